//! AdamW with decoupled weight decay (none on biases and layer norms, as the HF recipe),
//! gradient accumulation, global-norm clipping and a linear warmup + linear decay schedule.
//! candle-nn's `AdamW` decays every parameter and has no clipping, hence this one.
//!
//! On the CPU in f32 the update runs in place, one pass over parameter, gradient and moments:
//! as a chain of tensor ops it allocated and swept the whole model about a dozen times a step
//! (seconds at roberta-base size). Other devices and dtypes use the tensor ops.

use crate::error::Result;
use candle_core::backprop::GradStore;
use candle_core::{CpuStorage, InplaceOp2, Layout, Storage, Tensor, Var, bail};
use rayon::prelude::*;
use std::cell::RefCell;

/// Linear warmup to the peak rate over `warmup` steps, then linear decay to 0 at `total`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    pub peak_lr: f64,
    pub warmup: usize,
    pub total: usize,
}

impl Schedule {
    /// Learning rate for optimizer step `step` (0-based).
    pub fn lr(&self, step: usize) -> f64 {
        let s = step as f64 + 1.0;
        if step < self.warmup {
            self.peak_lr * s / self.warmup as f64
        } else if self.total <= self.warmup {
            self.peak_lr
        } else {
            self.peak_lr
                * ((self.total as f64 - step as f64) / (self.total - self.warmup) as f64)
                    .clamp(0.0, 1.0)
        }
    }
}

/// True for parameters that get no weight decay: biases and layer-norm weights.
pub fn no_decay(name: &str) -> bool {
    name.ends_with(".bias")
        || name.contains("LayerNorm")
        || name.contains("layer_norm")
        || name == "lm_head.bias"
}

/// AdamW's first and second moments of one parameter.
enum Moments {
    /// Updated in place by [`AdamUpdate`] (CPU, f32).
    Fused {
        m: Vec<f32>,
        v: Vec<f32>,
    },
    Tensors {
        m: Tensor,
        v: Tensor,
    },
}

struct Slot {
    var: Var,
    decay: bool,
    moments: Moments,
    acc: Option<Tensor>,
}

/// Elements per rayon task in the in-place update and the gradient norm.
const CHUNK: usize = 1 << 14;

/// One AdamW update of a CPU f32 parameter in place; the moments are the optimizer's own.
struct AdamUpdate<'a> {
    m: RefCell<&'a mut [f32]>,
    v: RefCell<&'a mut [f32]>,
    h: Hyper,
}

/// The update's constants for one parameter at one step.
#[derive(Debug, Clone, Copy)]
struct Hyper {
    beta1: f32,
    one_minus_beta1: f32,
    beta2: f32,
    one_minus_beta2: f32,
    eps: f32,
    /// Inverse bias corrections `1 / (1 - beta^t)`.
    inv_c1: f32,
    inv_c2: f32,
    lr: f32,
    /// `1 - lr * weight_decay`, or 1 without decay.
    shrink: f32,
    /// Gradient clipping factor (1: none).
    clip: f32,
}

impl InplaceOp2 for AdamUpdate<'_> {
    fn name(&self) -> &'static str {
        "textlab-adamw-update"
    }

    fn cpu_fwd(
        &self,
        s1: &mut CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<()> {
        let (CpuStorage::F32(p), CpuStorage::F32(g)) = (s1, s2) else {
            bail!("{}: f32 parameters only", self.name())
        };
        let (Some((p0, p1)), Some((g0, g1))) = (l1.contiguous_offsets(), l2.contiguous_offsets())
        else {
            bail!("{}: contiguous tensors only", self.name())
        };
        let (p, g) = (&mut p[p0..p1], &g[g0..g1]);
        let (mut m, mut v, h) = (self.m.borrow_mut(), self.v.borrow_mut(), self.h);
        if g.len() != p.len() || m.len() != p.len() || v.len() != p.len() {
            bail!("{}: gradient or moments of another size", self.name())
        }
        // The same f32 operations, in the same order, as the tensor-op path (where `t / c` is
        // `t * (1 / c)` and the constants are rounded from f64), so both give the same bits.
        p.par_chunks_mut(CHUNK)
            .zip(g.par_chunks(CHUNK))
            .zip(m.par_chunks_mut(CHUNK).zip(v.par_chunks_mut(CHUNK)))
            .for_each(|((p, g), (m, v))| {
                for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m).zip(v) {
                    let g = if h.clip < 1.0 { g * h.clip } else { g };
                    *m = *m * h.beta1 + g * h.one_minus_beta1;
                    *v = *v * h.beta2 + g * g * h.one_minus_beta2;
                    let update = (*m * h.inv_c1) / ((*v * h.inv_c2).sqrt() + h.eps);
                    *p = *p * h.shrink - update * h.lr;
                }
            });
        Ok(())
    }
}

/// Sum of squares of `t`, in f64 over fixed chunks added in order (the same bits whatever the
/// thread count); `None` when `t` is not a contiguous CPU f32 tensor.
fn cpu_sum_sq(t: &Tensor) -> Option<f64> {
    let (storage, layout) = t.storage_and_layout();
    let (Storage::Cpu(CpuStorage::F32(data)), Some((a, b))) =
        (&*storage, layout.contiguous_offsets())
    else {
        return None;
    };
    let parts: Vec<f64> = data[a..b]
        .par_chunks(CHUNK)
        .map(|c| c.iter().map(|&x| x as f64 * x as f64).sum::<f64>())
        .collect();
    Some(parts.iter().sum())
}

/// AdamW over named variables, with accumulated gradients.
pub struct AdamW {
    slots: Vec<Slot>,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
    steps: usize,
}

impl AdamW {
    /// `vars` by name; decay applies to the names for which [`no_decay`] is false.
    pub fn new<'a>(
        vars: impl IntoIterator<Item = (&'a String, &'a Var)>,
        weight_decay: f64,
    ) -> Result<Self> {
        Self::with_kernel(vars, weight_decay, true)
    }

    /// `in_place`: use the in-place update where the parameter allows it (tests turn it off
    /// to compare both paths).
    fn with_kernel<'a>(
        vars: impl IntoIterator<Item = (&'a String, &'a Var)>,
        weight_decay: f64,
        in_place: bool,
    ) -> Result<Self> {
        let slots = vars
            .into_iter()
            .map(|(name, var)| {
                let t = var.as_tensor();
                let moments =
                    if in_place && t.device().is_cpu() && t.dtype() == candle_core::DType::F32 {
                        Moments::Fused {
                            m: vec![0.0; t.elem_count()],
                            v: vec![0.0; t.elem_count()],
                        }
                    } else {
                        Moments::Tensors {
                            m: t.zeros_like()?,
                            v: t.zeros_like()?,
                        }
                    };
                Ok(Slot {
                    var: var.clone(),
                    decay: !no_decay(name),
                    moments,
                    acc: None,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(AdamW {
            slots,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay,
            steps: 0,
        })
    }

    /// Add this micro-batch's gradients to the accumulator.
    pub fn accumulate(&mut self, grads: &GradStore) -> Result<()> {
        for s in &mut self.slots {
            if let Some(g) = grads.get(s.var.as_tensor()) {
                s.acc = Some(match s.acc.take() {
                    Some(a) => (a + g)?,
                    None => g.detach(),
                });
            }
        }
        Ok(())
    }

    /// L2 norm of the accumulated gradient over all parameters.
    pub fn grad_norm(&self) -> Result<f64> {
        let mut total = 0.0f64;
        for s in &self.slots {
            if let Some(a) = &s.acc {
                total += match cpu_sum_sq(a) {
                    Some(v) => v,
                    None => a
                        .sqr()?
                        .sum_all()?
                        .to_dtype(candle_core::DType::F64)?
                        .to_scalar::<f64>()?,
                };
            }
        }
        Ok(total.sqrt())
    }

    /// Clip the accumulated gradient to `max_norm` (if positive), apply one AdamW update at `lr`,
    /// and clear the accumulator. Returns the gradient norm before clipping.
    pub fn step(&mut self, lr: f64, max_norm: f64) -> Result<f64> {
        let norm = self.grad_norm()?;
        let clip = if max_norm > 0.0 && norm > max_norm {
            max_norm / (norm + 1e-6)
        } else {
            1.0
        };
        self.steps += 1;
        let t = self.steps as i32;
        let (c1, c2) = (1.0 - self.beta1.powi(t), 1.0 - self.beta2.powi(t));
        let decays = self.weight_decay > 0.0;
        for s in &mut self.slots {
            let Some(g) = s.acc.take() else { continue };
            let shrink = if s.decay && decays {
                1.0 - lr * self.weight_decay
            } else {
                1.0
            };
            match &mut s.moments {
                Moments::Fused { m, v } => {
                    let h = Hyper {
                        beta1: self.beta1 as f32,
                        one_minus_beta1: (1.0 - self.beta1) as f32,
                        beta2: self.beta2 as f32,
                        one_minus_beta2: (1.0 - self.beta2) as f32,
                        eps: self.eps as f32,
                        inv_c1: (1.0 / c1) as f32,
                        inv_c2: (1.0 / c2) as f32,
                        lr: lr as f32,
                        shrink: shrink as f32,
                        clip: clip as f32,
                    };
                    let op = AdamUpdate {
                        m: RefCell::new(m),
                        v: RefCell::new(v),
                        h,
                    };
                    s.var.as_tensor().inplace_op2(&g.contiguous()?, &op)?;
                }
                Moments::Tensors { m, v } => {
                    let g = if clip < 1.0 { (g * clip)? } else { g };
                    *m = ((&*m * self.beta1)? + (&g * (1.0 - self.beta1))?)?;
                    *v = ((&*v * self.beta2)? + (g.sqr()? * (1.0 - self.beta2))?)?;
                    let update = ((&*m / c1)? / ((&*v / c2)?.sqrt()? + self.eps)?)?;
                    let p = (s.var.as_tensor() * shrink)?;
                    s.var.set(&(p - (update * lr)?)?)?;
                }
            }
        }
        Ok(norm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor};
    use std::collections::BTreeMap;

    #[test]
    fn schedule_warms_up_then_decays_to_zero() {
        let s = Schedule {
            peak_lr: 1.0,
            warmup: 4,
            total: 12,
        };
        assert_eq!(s.lr(0), 0.25);
        assert_eq!(s.lr(3), 1.0);
        assert!((s.lr(8) - 0.5).abs() < 1e-12);
        assert_eq!(s.lr(12), 0.0);
        assert!(
            no_decay("roberta.encoder.layer.0.output.LayerNorm.weight")
                && no_decay("classifier.dense.bias")
        );
        assert!(!no_decay("classifier.dense.weight"));
    }

    #[test]
    fn adamw_minimises_a_quadratic_with_accumulation_and_clipping() {
        let dev = Device::Cpu;
        let mut vars = BTreeMap::new();
        vars.insert("w".to_string(), Var::new(&[3.0f32, -2.0], &dev).unwrap());
        vars.insert("b.bias".to_string(), Var::new(&[1.0f32], &dev).unwrap());
        let mut opt = AdamW::new(&vars, 0.0).unwrap();
        let target = Tensor::new(&[1.0f32, 1.0], &dev).unwrap();
        for _ in 0..300 {
            for _ in 0..2 {
                let w = vars["w"].as_tensor();
                let loss = ((w - &target).unwrap().sqr().unwrap().sum_all().unwrap()
                    + vars["b.bias"].as_tensor().sqr().unwrap().sum_all().unwrap())
                .unwrap();
                opt.accumulate(&loss.backward().unwrap()).unwrap();
            }
            opt.step(0.05, 1.0).unwrap();
        }
        let w = vars["w"].as_tensor().to_vec1::<f32>().unwrap();
        assert!(
            (w[0] - 1.0).abs() < 0.05 && (w[1] - 1.0).abs() < 0.05,
            "{w:?}"
        );
        // accumulated twice: the gradient of two identical losses is doubled
        let loss = vars["b.bias"].as_tensor().sum_all().unwrap();
        opt.accumulate(&loss.backward().unwrap()).unwrap();
        opt.accumulate(&loss.backward().unwrap()).unwrap();
        assert!((opt.grad_norm().unwrap() - 2.0).abs() < 1e-6);
    }

    #[test]
    fn in_place_update_gives_the_tensor_ops_bits() {
        let dev = Device::Cpu;
        let run = |in_place: bool| {
            let mut vars = BTreeMap::new();
            let w: Vec<f32> = (0..50_000)
                .map(|i| ((i * 37 % 101) as f32 - 50.0) / 7.0)
                .collect();
            vars.insert("w".to_string(), Var::new(w.as_slice(), &dev).unwrap());
            vars.insert(
                "x.bias".to_string(),
                Var::new(&[1.0f32, -3.0], &dev).unwrap(),
            );
            let mut opt = AdamW::with_kernel(&vars, 0.1, in_place).unwrap();
            let mut norms = Vec::new();
            for step in 0..4 {
                let loss = (vars["w"].as_tensor().sqr().unwrap().sum_all().unwrap()
                    + vars["x.bias"].as_tensor().sum_all().unwrap())
                .unwrap();
                opt.accumulate(&loss.backward().unwrap()).unwrap();
                // clipping bites on the first steps only
                norms.push(opt.step(0.01 * (step + 1) as f64, 1000.0).unwrap());
            }
            let w = vars["w"].as_tensor().to_vec1::<f32>().unwrap();
            (
                w,
                vars["x.bias"].as_tensor().to_vec1::<f32>().unwrap(),
                norms,
            )
        };
        let (fused, tensors) = (run(true), run(false));
        assert!(fused.2[0] > 1000.0, "{:?}", fused.2);
        assert_eq!(fused.0, tensors.0);
        assert_eq!(fused.1, tensors.1);
        for (a, b) in fused.2.iter().zip(&tensors.2) {
            assert!((a - b).abs() <= 1e-6 * b, "{a} vs {b}");
        }
    }

    #[test]
    fn weight_decay_skips_biases() {
        let dev = Device::Cpu;
        let mut vars = BTreeMap::new();
        vars.insert("w".to_string(), Var::new(&[1.0f32], &dev).unwrap());
        vars.insert("x.bias".to_string(), Var::new(&[1.0f32], &dev).unwrap());
        let mut opt = AdamW::new(&vars, 0.5).unwrap();
        // gradient 1 for both: Adam's first update is lr * 1; decay multiplies w by 1 - lr * wd.
        let loss = (vars["w"].as_tensor().sum_all().unwrap()
            + vars["x.bias"].as_tensor().sum_all().unwrap())
        .unwrap();
        opt.accumulate(&loss.backward().unwrap()).unwrap();
        opt.step(0.1, 0.0).unwrap();
        let w = vars["w"].as_tensor().to_vec1::<f32>().unwrap()[0];
        assert!((w - 0.85).abs() < 1e-5, "{w}");
        let b = vars["x.bias"].as_tensor().to_vec1::<f32>().unwrap()[0];
        assert!((b - 0.9).abs() < 1e-5, "{b}");
    }
}
