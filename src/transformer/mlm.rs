//! Masked-language-model pretraining (RoBERTa recipe): dynamic masking of 15% of the non-special
//! tokens of every batch, of which 80% become `<mask>`, 10% a random token and 10% stay; the loss
//! is cross-entropy on the masked positions only. Time-budgeted: the LR schedule is planned to
//! end when the budget does.

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

/// Pretraining settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MlmOptions {
    /// Default 16.
    pub batch_size: usize,
    /// Peak learning rate. Default 5e-4.
    pub lr: f64,
    /// Fraction of tokens predicted. Default 0.15.
    pub mask_prob: f64,
    /// Wall-time budget. Default 4 minutes.
    pub budget: Duration,
    /// Stop after this many steps even if time is left. Default none.
    pub max_steps: Option<usize>,
    /// Default 0.01.
    pub weight_decay: f64,
    /// Default 0.06.
    pub warmup_frac: f64,
    /// Default 1.0.
    pub max_grad_norm: f64,
    pub seed: u64,
}

impl Default for MlmOptions {
    fn default() -> Self {
        MlmOptions {
            batch_size: 16,
            lr: 5e-4,
            mask_prob: 0.15,
            budget: Duration::from_secs(240),
            max_steps: None,
            weight_decay: 0.01,
            warmup_frac: 0.06,
            max_grad_norm: 1.0,
            seed: 42,
        }
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
    opts: &MlmOptions,
    device: &Device,
) -> Result<(HashMap<String, Tensor>, MlmRun)> {
    if opts.batch_size == 0
        || !opts.lr.is_finite()
        || opts.lr <= 0.0
        || !(opts.mask_prob > 0.0 && opts.mask_prob < 1.0)
    {
        return Err(Error::config(
            "MLM needs batch_size >= 1, lr > 0 and 0 < mask_prob < 1",
        ));
    }
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
    let per_epoch = usable.len().div_ceil(opts.batch_size);
    let provisional = opts.max_steps.unwrap_or(per_epoch * 1000).max(1);
    let mut sched = Schedule {
        peak_lr: opts.lr,
        warmup: ((provisional as f64 * opts.warmup_frac) as usize).clamp(1, 50),
        total: provisional,
    };
    let mut opt = AdamW::new(model.params().vars(), opts.weight_decay)?;
    let start = Instant::now();
    let mut progress = Progress::new("mlm pretraining", provisional as u64);
    let (mut step, mut seqs) = (0usize, 0usize);
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
            let elapsed = start.elapsed();
            if step == 5 && opts.max_steps.is_none() {
                let per_step = elapsed.as_secs_f64() / 5.0;
                let fit = ((opts.budget.as_secs_f64() / per_step) as usize).max(6);
                sched.total = fit;
                sched.warmup = ((fit as f64 * opts.warmup_frac) as usize).max(1);
                progress.set_total(fit as u64);
            }
            progress.set_message(format!("loss {l:.3}"));
            progress.inc(1);
            if elapsed >= opts.budget
                || step >= sched.total
                || opts.max_steps.is_some_and(|m| step >= m)
            {
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
        let opts = MlmOptions {
            max_steps: Some(150),
            lr: 3e-3,
            budget: Duration::from_secs(600),
            ..Default::default()
        };
        let (tensors, run) =
            pretrain(&cfg, &ids, 4, &[0, 1, 2, 3, 4], &opts, &Device::Cpu).unwrap();
        assert_eq!(run.steps, 150);
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
