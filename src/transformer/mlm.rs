//! Masked-language-model pretraining (RoBERTa recipe): dynamic masking of 15% of the non-special
//! tokens of every batch, of which 80% become `<mask>`, 10% a random token and 10% stay; the loss
//! is cross-entropy on the masked positions only. It runs a fixed number of steps, so the same seed
//! gives the same model on any machine; an optional wall-clock cap stops it early and says so.

use super::batch::{Batch, length_buckets};
use super::config::ModelConfig;
use super::model::MaskedLm;
use super::optim::{AdamW, Schedule};
use super::params::Params;
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::rng::Rng;
use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Masked-language-model pretraining settings: a builder (one setter per knob, defaults in each
/// setter's doc) that [`MlmOptions::check`]s into [`ValidMlmOptions`], which [`pretrain`] takes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MlmOptions(ValidMlmOptions);

/// MLM settings that passed [`MlmOptions::check`]; read them with the getters.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidMlmOptions {
    batch_size: usize,
    lr: f64,
    mask_prob: f64,
    steps: usize,
    budget: Option<Duration>,
    weight_decay: f64,
    warmup_frac: f64,
    max_grad_norm: f64,
    seed: u64,
}

impl Default for ValidMlmOptions {
    fn default() -> Self {
        ValidMlmOptions {
            batch_size: 16,
            lr: 5e-4,
            mask_prob: 0.15,
            steps: 1000,
            budget: None,
            weight_decay: 0.01,
            warmup_frac: 0.06,
            max_grad_norm: 1.0,
            seed: 42,
        }
    }
}

impl MlmOptions {
    pub fn new() -> Self {
        Self::default()
    }
    setters! {
        /// Sequences per step (default 16).
        batch_size: usize,
        /// Peak learning rate (default 5e-4).
        lr: f64,
        /// Fraction of tokens predicted (default 0.15).
        mask_prob: f64,
        /// Optimizer steps; the LR schedule decays to zero over them (default 1000).
        steps: usize,
        /// Optional wall-clock cap: stops early, and the run says so (default none).
        budget: Option<Duration>,
        /// AdamW weight decay (default 0.01).
        weight_decay: f64,
        /// Share of the steps spent warming the LR up (default 0.06).
        warmup_frac: f64,
        /// Gradient-norm clip (default 1.0).
        max_grad_norm: f64,
        /// Seed of the initial weights, the masks and the batch order (default 42).
        seed: u64,
    }

    /// Validates every setting.
    pub fn check(self) -> Result<ValidMlmOptions> {
        let p = &self.0;
        let bad = |name: &str, value: String, why: &str| {
            Err(Error::BadParam {
                name: name.into(),
                value,
                why: why.into(),
            })
        };
        if p.batch_size == 0 {
            return bad("batch_size", "0".into(), "must be at least 1");
        }
        if p.steps == 0 {
            return bad("steps", "0".into(), "must be at least 1");
        }
        if !(p.lr.is_finite() && p.lr > 0.0) {
            return bad("lr", p.lr.to_string(), "must be positive and finite");
        }
        if !(p.mask_prob > 0.0 && p.mask_prob < 1.0) {
            return bad("mask_prob", p.mask_prob.to_string(), "must be in (0, 1)");
        }
        if !(p.weight_decay.is_finite() && p.weight_decay >= 0.0) {
            return bad("weight_decay", p.weight_decay.to_string(), "must be >= 0");
        }
        if !(0.0..1.0).contains(&p.warmup_frac) {
            return bad(
                "warmup_frac",
                p.warmup_frac.to_string(),
                "must be in [0, 1)",
            );
        }
        if !(p.max_grad_norm.is_finite() && p.max_grad_norm > 0.0) {
            return bad(
                "max_grad_norm",
                p.max_grad_norm.to_string(),
                "must be positive",
            );
        }
        Ok(self.0)
    }
}

impl ValidMlmOptions {
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }
    pub fn lr(&self) -> f64 {
        self.lr
    }
    pub fn mask_prob(&self) -> f64 {
        self.mask_prob
    }
    pub fn steps(&self) -> usize {
        self.steps
    }
    pub fn budget(&self) -> Option<Duration> {
        self.budget
    }
    pub fn weight_decay(&self) -> f64 {
        self.weight_decay
    }
    pub fn warmup_frac(&self) -> f64 {
        self.warmup_frac
    }
    pub fn max_grad_norm(&self) -> f64 {
        self.max_grad_norm
    }
    pub fn seed(&self) -> u64 {
        self.seed
    }
}

/// What pretraining did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlmRun {
    pub steps: usize,
    pub seconds: f64,
    pub sequences: usize,
    pub seq_per_second: f64,
    /// Mean masked-token loss over the first and the last 10% of steps.
    pub first_loss: f64,
    pub last_loss: f64,
    /// The wall-clock cap stopped pretraining before `steps` (results then depend on speed).
    #[serde(default)]
    pub cut_by_budget: bool,
    /// `(step, mean loss since the previous point)`, about 20 points.
    pub loss_curve: Vec<(usize, f64)>,
}

/// Masked ids and prediction targets of one batch.
pub struct Masked {
    pub ids: Vec<Vec<u32>>,
    /// Flattened positions `row * len + col` that are predicted.
    pub rows: Vec<u32>,
    pub targets: Vec<u32>,
}

/// Dynamic 80/10/10 masking of `seqs` (padded length `len`); `special` ids are never chosen.
/// At least one token is chosen per batch.
pub fn mask_tokens(
    seqs: &[&[u32]],
    len: usize,
    mask_id: u32,
    vocab: usize,
    special: &[u32],
    p: f64,
    rng: &mut Rng,
) -> Masked {
    let mut out = Masked {
        ids: seqs.iter().map(|s| s.to_vec()).collect(),
        rows: Vec::new(),
        targets: Vec::new(),
    };
    let n_special = special.iter().map(|&s| s as usize + 1).max().unwrap_or(0);
    let mut candidates = Vec::new();
    for (r, s) in seqs.iter().enumerate() {
        for (c, &id) in s.iter().enumerate() {
            if special.contains(&id) {
                continue;
            }
            candidates.push((r, c));
            if rng.next_f64() < p {
                out.rows.push((r * len + c) as u32);
                out.targets.push(id);
                let u = rng.next_f64();
                out.ids[r][c] = if u < 0.8 {
                    mask_id
                } else if u < 0.9 && vocab > n_special {
                    (n_special + rng.below(vocab - n_special)) as u32
                } else {
                    id
                };
            }
        }
    }
    if out.rows.is_empty() && !candidates.is_empty() {
        let (r, c) = candidates[rng.below(candidates.len())];
        out.rows.push((r * len + c) as u32);
        out.targets.push(seqs[r][c]);
        out.ids[r][c] = mask_id;
    }
    out
}

/// Pretrain a fresh encoder of `cfg` with MLM on `ids` (token ids with special tokens). Returns
/// the trained tensors by HF name (encoder + `lm_head.*`), ready for
/// [`Params::from_tensors`] under a classification head.
pub fn pretrain(
    cfg: &ModelConfig,
    ids: &[Vec<u32>],
    mask_id: u32,
    special: &[u32],
    opts: &ValidMlmOptions,
    device: &Device,
) -> Result<(HashMap<String, Tensor>, MlmRun)> {
    let usable: Vec<&Vec<u32>> = ids
        .iter()
        .filter(|s| s.iter().any(|t| !special.contains(t)))
        .collect();
    if usable.is_empty() {
        return Err(Error::data(
            "MLM pretraining needs texts with at least one token; every text is empty",
        ));
    }
    let model = MaskedLm::new(cfg.clone(), Params::fresh(opts.seed, device))?;
    let mut rng = Rng::new(opts.seed ^ 0x6d6c6d);
    let lengths: Vec<usize> = usable.iter().map(|s| s.len()).collect();
    let sched = Schedule {
        peak_lr: opts.lr,
        warmup: ((opts.steps as f64 * opts.warmup_frac) as usize).max(1),
        total: opts.steps,
    };
    let mut opt = AdamW::new(model.params().vars(), opts.weight_decay)?;
    let start = Instant::now();
    let mut progress = Progress::new("mlm pretraining", opts.steps as u64);
    let (mut step, mut seqs, mut cut_by_budget) = (0usize, 0usize, false);
    let mut losses: Vec<f64> = Vec::new();
    'outer: loop {
        for b in length_buckets(&lengths, opts.batch_size, &mut rng) {
            let seq: Vec<&[u32]> = b.iter().map(|&i| usable[i].as_slice()).collect();
            let len = seq.iter().map(|s| s.len()).max().unwrap_or(0);
            let m = mask_tokens(
                &seq,
                len,
                mask_id,
                cfg.vocab_size,
                special,
                opts.mask_prob,
                &mut rng,
            );
            let masked: Vec<&[u32]> = m.ids.iter().map(Vec::as_slice).collect();
            let batch = Batch::new(&masked, None, cfg, device)?;
            let rows = Tensor::new(m.rows.as_slice(), device)?;
            let targets = Tensor::new(m.targets.as_slice(), device)?;
            let logits = model.forward(&batch, &rows, Some(&mut rng))?;
            let loss = candle_nn::loss::cross_entropy(&logits, &targets)?;
            let l = loss.to_scalar::<f32>()? as f64;
            if !l.is_finite() {
                return Err(Error::model(format!(
                    "MLM loss became {l} at step {step}: lower the learning rate"
                )));
            }
            losses.push(l);
            opt.accumulate(&loss.backward()?)?;
            opt.step(sched.lr(step), opts.max_grad_norm)?;
            step += 1;
            seqs += seq.len();
            progress.set_message(format!("loss {l:.3}"));
            progress.inc(1);
            if step >= opts.steps {
                break 'outer;
            }
            if opts.budget.is_some_and(|b| start.elapsed() >= b) {
                cut_by_budget = true;
                break 'outer;
            }
        }
    }
    progress.finish();
    let seconds = start.elapsed().as_secs_f64();
    let tenth = (losses.len() / 10).max(1);
    let mean = |s: &[f64]| s.iter().sum::<f64>() / s.len().max(1) as f64;
    let every = (losses.len() / 20).max(1);
    let loss_curve = losses
        .chunks(every)
        .enumerate()
        .map(|(i, c)| ((i * every + c.len()), mean(c)))
        .collect();
    let run = MlmRun {
        steps: step,
        seconds,
        sequences: seqs,
        seq_per_second: seqs as f64 / seconds.max(1e-9),
        first_loss: mean(&losses[..tenth]),
        last_loss: mean(&losses[losses.len() - tenth..]),
        loss_curve,
        cut_by_budget,
    };
    let tensors = model.params().tensors().into_iter().collect();
    Ok((tensors, run))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_follows_80_10_10_and_skips_specials() {
        let seq: Vec<u32> = std::iter::once(0)
            .chain((0..2000).map(|i| 5 + (i % 50)))
            .chain(std::iter::once(2))
            .collect();
        let m = mask_tokens(
            &[seq.as_slice()],
            seq.len(),
            4,
            60,
            &[0, 1, 2, 3, 4],
            0.15,
            &mut Rng::new(1),
        );
        let n = m.rows.len() as f64;
        assert!((n / 2000.0 - 0.15).abs() < 0.03, "{n}");
        let masked = m
            .rows
            .iter()
            .filter(|&&r| m.ids[0][r as usize] == 4)
            .count() as f64;
        assert!((masked / n - 0.8).abs() < 0.06, "{}", masked / n);
        assert!(!m.rows.contains(&0) && !m.rows.contains(&(seq.len() as u32 - 1)));
        for (&r, &t) in m.rows.iter().zip(&m.targets) {
            assert_eq!(seq[r as usize], t);
        }
        // a short batch still predicts one token
        let m = mask_tokens(
            &[&[0, 9, 2]],
            3,
            4,
            60,
            &[0, 1, 2, 3, 4],
            0.0001,
            &mut Rng::new(2),
        );
        assert_eq!(m.rows, vec![1]);
    }

    #[test]
    fn pretraining_lowers_the_loss_on_a_repetitive_corpus() {
        let cfg = ModelConfig::tiny_roberta(30, 32, 1, 2, 16);
        let ids: Vec<Vec<u32>> = (0..64u32)
            .map(|i| vec![0, 5 + i % 3, 10, 11, 12, 13, 5 + i % 3, 2])
            .collect();
        let opts = MlmOptions::new().steps(150).lr(3e-3).check().unwrap();
        let (tensors, run) =
            pretrain(&cfg, &ids, 4, &[0, 1, 2, 3, 4], &opts, &Device::Cpu).unwrap();
        assert_eq!(run.steps, 150);
        assert!(!run.cut_by_budget);
        // The same seed gives the same run, step for step.
        let (_, again) = pretrain(&cfg, &ids, 4, &[0, 1, 2, 3, 4], &opts, &Device::Cpu).unwrap();
        assert_eq!(again.loss_curve, run.loss_curve);
        assert!(
            run.last_loss < run.first_loss * 0.6,
            "{} -> {}",
            run.first_loss,
            run.last_loss
        );
        assert!(
            tensors.contains_key("roberta.embeddings.word_embeddings.weight")
                && tensors.contains_key("lm_head.bias")
        );
        let e = pretrain(
            &cfg,
            &[vec![0, 2]],
            4,
            &[0, 1, 2, 3, 4],
            &opts,
            &Device::Cpu,
        )
        .unwrap_err();
        assert!(e.to_string().contains("empty"), "{e}");
    }
}
