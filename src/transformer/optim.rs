//! AdamW with decoupled weight decay (none on biases and layer norms, as the HF recipe),
//! gradient accumulation, global-norm clipping and a linear warmup + linear decay schedule.
//! candle-nn's `AdamW` decays every parameter and has no clipping, hence this one.

use crate::error::Result;
use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};

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

struct Slot {
    var: Var,
    decay: bool,
    m: Tensor,
    v: Tensor,
    acc: Option<Tensor>,
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
        let slots = vars
            .into_iter()
            .map(|(name, var)| {
                Ok(Slot {
                    var: var.clone(),
                    decay: !no_decay(name),
                    m: var.as_tensor().zeros_like()?,
                    v: var.as_tensor().zeros_like()?,
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
                total += a.sqr()?.sum_all()?.to_scalar::<f32>()? as f64;
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
        for s in &mut self.slots {
            let Some(g) = s.acc.take() else { continue };
            let g = if clip < 1.0 { (g * clip)? } else { g };
            s.m = ((&s.m * self.beta1)? + (&g * (1.0 - self.beta1))?)?;
            s.v = ((&s.v * self.beta2)? + (g.sqr()? * (1.0 - self.beta2))?)?;
            let update = ((&s.m / c1)? / ((&s.v / c2)?.sqrt()? + self.eps)?)?;
            let p = s.var.as_tensor();
            let p = if s.decay && self.weight_decay > 0.0 {
                (p * (1.0 - lr * self.weight_decay))?
            } else {
                p.clone()
            };
            s.var.set(&(p - (update * lr)?)?)?;
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
