//! Named, trainable parameters: created fresh (seeded, HF-style init) or taken from a loaded
//! checkpoint, with a record of which tensors were new and which checkpoint tensors were unused.
//!
//! Layers hold clones of the [`Var`]s' tensors; an optimizer updating a `Var` in place updates
//! the layers too.

use crate::error::{Error, Result};
use crate::rng::Rng;
use candle_core::{DType, Device, Tensor, Var};
use std::collections::{BTreeMap, HashMap};

/// How a fresh parameter is initialised.
#[derive(Debug, Clone, Copy)]
pub enum Init {
    Zeros,
    Ones,
    /// Normal(0, std).
    Normal(f64),
    /// Normal(0, std) with one row (the padding id) set to zero, as HF initialises embeddings.
    NormalPadRow(f64, usize),
}

/// The parameter store of one model.
pub struct Params {
    vars: BTreeMap<String, Var>,
    loaded: HashMap<String, Tensor>,
    fresh: Vec<String>,
    rng: Rng,
    device: Device,
}

impl Params {
    /// An empty store: every parameter will be initialised fresh from `seed`.
    pub fn fresh(seed: u64, device: &Device) -> Self {
        Params {
            vars: BTreeMap::new(),
            loaded: HashMap::new(),
            fresh: Vec::new(),
            rng: Rng::new(seed),
            device: device.clone(),
        }
    }

    /// A store that takes parameters from `loaded` (checkpoint tensors by name) and initialises the
    /// missing ones from `seed`.
    pub fn from_tensors(loaded: HashMap<String, Tensor>, seed: u64, device: &Device) -> Self {
        Params {
            loaded,
            ..Self::fresh(seed, device)
        }
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The parameter `name` with `shape`: from the checkpoint when it has it (shape checked), fresh
    /// otherwise.
    pub fn get(&mut self, name: &str, shape: &[usize], init: Init) -> Result<Tensor> {
        if let Some(v) = self.vars.get(name) {
            return Ok(v.as_tensor().clone());
        }
        let t = match self.loaded.remove(name) {
            Some(t) => {
                if t.dims() != shape {
                    return Err(Error::model(format!(
                        "checkpoint tensor `{name}` has shape {:?} but the config needs {:?}",
                        t.dims(),
                        shape
                    )));
                }
                t.to_dtype(DType::F32)?.to_device(&self.device)?
            }
            None => {
                self.fresh.push(name.to_string());
                self.init(shape, init)?
            }
        };
        let var = Var::from_tensor(&t)?;
        let out = var.as_tensor().clone();
        self.vars.insert(name.to_string(), var);
        Ok(out)
    }

    fn init(&mut self, shape: &[usize], init: Init) -> Result<Tensor> {
        let n: usize = shape.iter().product();
        let data: Vec<f32> = match init {
            Init::Zeros => vec![0.0; n],
            Init::Ones => vec![1.0; n],
            Init::Normal(std) => (0..n).map(|_| (self.rng.normal() * std) as f32).collect(),
            Init::NormalPadRow(std, row) => {
                let mut d: Vec<f32> = (0..n).map(|_| (self.rng.normal() * std) as f32).collect();
                let width = shape.get(1).copied().unwrap_or(1);
                if let Some(r) = d.get_mut(row * width..(row + 1) * width) {
                    r.fill(0.0);
                }
                d
            }
        };
        Ok(Tensor::from_vec(data, shape, &self.device)?)
    }

    /// Names of the parameters that were not in the checkpoint (initialised fresh).
    pub fn fresh_names(&self) -> &[String] {
        &self.fresh
    }

    /// Checkpoint tensors no parameter asked for (e.g. a pooler or MLM head), sorted.
    pub fn unused_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.loaded.keys().cloned().collect();
        v.sort();
        v
    }

    /// Forget the unused checkpoint tensors (frees their memory).
    pub fn drop_unused(&mut self) {
        self.loaded.clear();
    }

    /// All parameters by name.
    pub fn vars(&self) -> &BTreeMap<String, Var> {
        &self.vars
    }

    /// Total number of scalars.
    pub fn num_parameters(&self) -> usize {
        self.vars.values().map(|v| v.elem_count()).sum()
    }

    /// Copies of every parameter's current value (for best-checkpoint restore).
    pub fn snapshot(&self) -> Result<BTreeMap<String, Tensor>> {
        self.vars
            .iter()
            .map(|(k, v)| Ok((k.clone(), v.as_tensor().copy()?)))
            .collect()
    }

    /// Set every parameter present in `snap` back to that value.
    pub fn restore(&self, snap: &BTreeMap<String, Tensor>) -> Result<()> {
        for (k, v) in &self.vars {
            if let Some(t) = snap.get(k) {
                v.set(t)?;
            }
        }
        Ok(())
    }

    /// The current values by name (for saving).
    pub fn tensors(&self) -> BTreeMap<String, Tensor> {
        self.vars
            .iter()
            .map(|(k, v)| (k.clone(), v.as_tensor().clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_present_inits_missing_and_checks_shapes() {
        let dev = Device::Cpu;
        let mut loaded = HashMap::new();
        loaded.insert(
            "a".to_string(),
            Tensor::ones((2, 3), DType::F32, &dev).unwrap(),
        );
        loaded.insert(
            "unused".to_string(),
            Tensor::ones(2, DType::F32, &dev).unwrap(),
        );
        let mut p = Params::from_tensors(loaded, 1, &dev);
        let a = p.get("a", &[2, 3], Init::Zeros).unwrap();
        assert_eq!(a.sum_all().unwrap().to_scalar::<f32>().unwrap(), 6.0);
        let e = p.get("b", &[4, 2], Init::NormalPadRow(0.02, 1)).unwrap();
        let rows = e.to_vec2::<f32>().unwrap();
        assert_eq!(rows[1], vec![0.0, 0.0]);
        assert!(rows[0].iter().all(|x| x.abs() < 0.2 && *x != 0.0));
        assert_eq!(p.fresh_names(), ["b".to_string()]);
        assert_eq!(p.unused_names(), vec!["unused".to_string()]);
        let mut loaded = HashMap::new();
        loaded.insert(
            "w".to_string(),
            Tensor::ones((2, 3), DType::F32, &dev).unwrap(),
        );
        let err = Params::from_tensors(loaded, 1, &dev)
            .get("w", &[3, 2], Init::Zeros)
            .unwrap_err();
        assert!(
            err.to_string().contains("`w`") && err.to_string().contains("[2, 3]"),
            "{err}"
        );
    }

    #[test]
    fn snapshot_restore_round_trip() {
        let dev = Device::Cpu;
        let mut p = Params::fresh(3, &dev);
        let t = p.get("x", &[3], Init::Normal(1.0)).unwrap();
        let before = t.to_vec1::<f32>().unwrap();
        let snap = p.snapshot().unwrap();
        p.vars()["x"]
            .set(&Tensor::zeros(3, DType::F32, &dev).unwrap())
            .unwrap();
        assert_eq!(t.to_vec1::<f32>().unwrap(), vec![0.0; 3]);
        p.restore(&snap).unwrap();
        assert_eq!(t.to_vec1::<f32>().unwrap(), before);
    }
}
