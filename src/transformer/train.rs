//! Fine-tuning a sequence classifier: AdamW (no decay on biases / layer norms), linear warmup +
//! decay, gradient accumulation, gradient clipping, class-weighted loss, length-bucketed dynamic
//! padding, early stopping on validation F1 with the best epoch restored, an optional time
//! budget, and seeded determinism (batch order and dropout masks come from [`Rng`]).

use super::batch::{Batch, length_buckets, sorted_batches};
use super::model::SequenceClassifier;
use super::optim::{AdamW, Schedule};
use crate::error::{Error, Result};
use crate::metrics::Metrics;
use crate::progress::Progress;
use crate::rng::Rng;
use candle_core::{D, Tensor};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// Fine-tuning settings as a builder: one setter per knob (its default in its doc), validated in
/// one place, [`FineTuneOptions::check`], into the [`ValidFineTuneOptions`] training runs on.
///
/// ```
/// use textlab::transformer::train::FineTuneOptions;
/// let o = FineTuneOptions::default().epochs(2).lr(1e-3).check().unwrap();
/// assert_eq!((o.epochs(), o.lr(), o.batch_size()), (2, 1e-3, 16));
/// assert!(FineTuneOptions::default().warmup_frac(1.0).check().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct FineTuneOptions(ValidFineTuneOptions);

/// Fine-tuning settings that passed [`FineTuneOptions::check`]; read them with the getters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidFineTuneOptions {
    batch_size: usize,
    grad_accum: usize,
    epochs: usize,
    lr: f64,
    weight_decay: f64,
    warmup_frac: f64,
    max_grad_norm: f64,
    class_weighted: bool,
    patience: usize,
    budget: Option<Duration>,
    eval_batch_size: usize,
    seed: u64,
}

impl Default for FineTuneOptions {
    fn default() -> Self {
        FineTuneOptions(ValidFineTuneOptions {
            batch_size: 16,
            grad_accum: 1,
            epochs: 4,
            lr: 3e-4,
            weight_decay: 0.01,
            warmup_frac: 0.06,
            max_grad_norm: 1.0,
            class_weighted: true,
            patience: 2,
            budget: None,
            eval_batch_size: 64,
            seed: 42,
        })
    }
}

impl FineTuneOptions {
    setters! {
        /// Sequences per micro-batch, what must fit in memory (default 16).
        batch_size: usize,
        /// Micro-batches per optimizer step: the effective batch is `batch_size * grad_accum`
        /// whatever fits in memory (default 1).
        grad_accum: usize,
        /// Maximum epochs (default 4).
        epochs: usize,
        /// Peak learning rate (default 3e-4, for small models trained here; use 2e-5..5e-5 for
        /// pretrained base-size checkpoints).
        lr: f64,
        /// AdamW weight decay on weights, not biases or layer norms (default 0.01).
        weight_decay: f64,
        /// Fraction of steps spent warming up, in [0, 1) (default 0.06).
        warmup_frac: f64,
        /// Global gradient-norm clip, 0 disables (default 1.0).
        max_grad_norm: f64,
        /// Weight the loss by inverse class frequency `n / (2 n_c)` (default true).
        class_weighted: bool,
        /// Stop after this many epochs without a better validation F1, 0: never (default 2).
        patience: usize,
        /// Optional wall-clock cap: training stops (and says so in the run's `stop`) when this
        /// much time has passed (default none: training runs its epochs, the same on every machine).
        budget: Option<Duration>,
        /// Batch size for evaluation (default 64).
        eval_batch_size: usize,
        /// Seed of the batch order and dropout masks (default 42).
        seed: u64,
    }

    /// Validate every setting.
    pub fn check(self) -> Result<ValidFineTuneOptions> {
        self.check_ref()?;
        Ok(self.0)
    }

    /// [`FineTuneOptions::check`] without giving up the builder.
    pub fn check_ref(&self) -> Result<&ValidFineTuneOptions> {
        let p = &self.0;
        let bad = |name: &str, value: String, why: &str| Error::BadParam {
            name: name.into(),
            value,
            why: why.into(),
        };
        for (name, v) in [
            ("batch_size", p.batch_size),
            ("grad_accum", p.grad_accum),
            ("epochs", p.epochs),
            ("eval_batch_size", p.eval_batch_size),
        ] {
            if v == 0 {
                return Err(bad(name, "0".into(), "must be at least 1"));
            }
        }
        if !p.lr.is_finite() || p.lr <= 0.0 {
            return Err(bad("learning rate", p.lr.to_string(), "must be positive"));
        }
        if !(0.0..1.0).contains(&p.warmup_frac) {
            return Err(bad(
                "warmup_frac",
                p.warmup_frac.to_string(),
                "must be in [0, 1)",
            ));
        }
        for (name, v) in [
            ("weight_decay", p.weight_decay),
            ("max_grad_norm", p.max_grad_norm),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(bad(name, v.to_string(), "must be finite and non-negative"));
            }
        }
        Ok(p)
    }
}

impl ValidFineTuneOptions {
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }
    pub fn grad_accum(&self) -> usize {
        self.grad_accum
    }
    pub fn epochs(&self) -> usize {
        self.epochs
    }
    pub fn lr(&self) -> f64 {
        self.lr
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
    pub fn class_weighted(&self) -> bool {
        self.class_weighted
    }
    pub fn patience(&self) -> usize {
        self.patience
    }
    pub fn budget(&self) -> Option<Duration> {
        self.budget
    }
    pub fn eval_batch_size(&self) -> usize {
        self.eval_batch_size
    }
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Back to a builder, to change a setting.
    pub fn to_builder(&self) -> FineTuneOptions {
        FineTuneOptions(self.clone())
    }
}

/// Training and validation numbers after one epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochStats {
    pub epoch: usize,
    /// Optimizer steps so far.
    pub steps: usize,
    pub train_loss: f64,
    pub val_loss: f64,
    pub val_f1: f64,
    pub val_accuracy: f64,
    pub lr: f64,
    /// Wall seconds since training started.
    pub seconds: f64,
}

/// Why training stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    Completed,
    EarlyStopped,
    Budget,
}

/// What a fine-tuning run did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FineTuneRun {
    pub history: Vec<EpochStats>,
    /// Epoch (1-based) whose weights were restored.
    pub best_epoch: usize,
    pub best_val_f1: f64,
    pub steps: usize,
    /// Wall seconds of training steps (validation passes excluded).
    pub train_seconds: f64,
    /// Wall seconds including validation.
    pub total_seconds: f64,
    pub sequences: usize,
    /// Training sequences per second of training time (forward + backward + update).
    pub seq_per_second: f64,
    pub stop: StopReason,
}

fn loss_of(logits: &Tensor, labels: &Tensor, weights: &Tensor) -> candle_core::Result<Tensor> {
    let lp = candle_nn::ops::log_softmax(logits, D::Minus1)?;
    let nll = lp.gather(&labels.unsqueeze(1)?, 1)?.squeeze(1)?.neg()?;
    let w = weights.index_select(labels, 0)?;
    (nll * &w)?.sum_all()? / w.sum_all()?.to_scalar::<f32>()? as f64
}

/// Logits `[n][2]` for `ids`, in input order (eval mode, length-sorted batches).
pub fn predict_logits(
    model: &SequenceClassifier,
    ids: &[Vec<u32>],
    batch_size: usize,
) -> Result<Vec<[f32; 2]>> {
    let lengths: Vec<usize> = ids.iter().map(Vec::len).collect();
    let mut out = vec![[0f32; 2]; ids.len()];
    let dev = model.params().device().clone();
    for chunk in sorted_batches(&lengths, batch_size) {
        let seqs: Vec<&[u32]> = chunk.iter().map(|&i| ids[i].as_slice()).collect();
        let batch = Batch::new(&seqs, None, &model.config, &dev)?;
        let logits = model.forward(&batch, None)?.to_vec2::<f32>()?;
        for (&i, row) in chunk.iter().zip(logits) {
            out[i] = [row[0], row[1]];
        }
    }
    Ok(out)
}

/// Probability of class 1 from two logits.
pub fn positive_probability(l: [f32; 2]) -> f64 {
    let (a, b) = (l[0] as f64, l[1] as f64);
    1.0 / (1.0 + (a - b).exp())
}

fn evaluate(
    model: &SequenceClassifier,
    ids: &[Vec<u32>],
    y: &[u8],
    bs: usize,
) -> Result<(f64, Metrics)> {
    let logits = predict_logits(model, ids, bs)?;
    let probs: Vec<f64> = logits.iter().map(|&l| positive_probability(l)).collect();
    let loss = logits
        .iter()
        .zip(y)
        .map(|(l, &t)| {
            let p = positive_probability(*l).clamp(1e-12, 1.0 - 1e-12);
            if t == 1 { -p.ln() } else { -(1.0 - p).ln() }
        })
        .sum::<f64>()
        / y.len().max(1) as f64;
    Ok((loss, Metrics::from_scores(y, &probs, 0.5)?))
}

/// Inverse-frequency class weights `n / (2 n_c)` (1, 1 when disabled or a class is absent).
pub fn class_weights(y: &[u8], enabled: bool) -> [f32; 2] {
    let pos = y.iter().filter(|&&v| v == 1).count();
    let neg = y.len() - pos;
    if !enabled || pos == 0 || neg == 0 {
        return [1.0, 1.0];
    }
    let n = y.len() as f32;
    [n / (2.0 * neg as f32), n / (2.0 * pos as f32)]
}

/// Fine-tune `model` in place on (`train_ids`, `train_y`), selecting the epoch by F1 on
/// (`val_ids`, `val_y`); the best epoch's weights are restored before returning.
/// Training and validation examples present, one 0/1 label each.
fn check_data(
    train_ids: &[Vec<u32>],
    train_y: &[u8],
    val_ids: &[Vec<u32>],
    val_y: &[u8],
) -> Result<()> {
    if train_ids.is_empty() || val_ids.is_empty() {
        return Err(Error::data(
            "fine-tuning needs training and validation examples",
        ));
    }
    if train_ids.len() != train_y.len() || val_ids.len() != val_y.len() {
        return Err(Error::data("texts and labels differ in number"));
    }
    if let Some(v) = train_y.iter().chain(val_y).find(|&&v| v > 1) {
        return Err(Error::data(format!("labels must be 0 or 1, found {v}")));
    }
    Ok(())
}

/// The class-weighted loss of the training rows `idx` (dropout drawn from `rng`).
fn batch_loss(
    model: &SequenceClassifier,
    (ids, y): (&[Vec<u32>], &[u8]),
    idx: &[usize],
    weights: &Tensor,
    rng: &mut Rng,
) -> Result<Tensor> {
    let seqs: Vec<&[u32]> = idx.iter().map(|&i| ids[i].as_slice()).collect();
    let ys: Vec<u8> = idx.iter().map(|&i| y[i]).collect();
    let batch = Batch::new(&seqs, Some(&ys), &model.config, model.params().device())?;
    let logits = model.forward(&batch, Some(rng))?;
    let labels = batch
        .labels
        .as_ref()
        .ok_or_else(|| Error::model("batch without labels"))?;
    Ok(loss_of(&logits, labels, weights)?)
}

pub fn fine_tune(
    model: &SequenceClassifier,
    train_ids: &[Vec<u32>],
    train_y: &[u8],
    val_ids: &[Vec<u32>],
    val_y: &[u8],
    opts: &FineTuneOptions,
    label: &str,
) -> Result<FineTuneRun> {
    let opts = opts.check_ref()?;
    check_data(train_ids, train_y, val_ids, val_y)?;
    let dev = model.params().device().clone();
    let mut rng = Rng::new(opts.seed);
    let w = class_weights(train_y, opts.class_weighted);
    let weights = Tensor::new(&w, &dev)?;
    let lengths: Vec<usize> = train_ids.iter().map(Vec::len).collect();
    let batches_per_epoch = train_ids.len().div_ceil(opts.batch_size);
    let steps_per_epoch = batches_per_epoch.div_ceil(opts.grad_accum);
    let sched = Schedule {
        peak_lr: opts.lr,
        warmup: ((steps_per_epoch * opts.epochs) as f64 * opts.warmup_frac).ceil() as usize,
        total: steps_per_epoch * opts.epochs,
    };
    let mut opt = AdamW::new(model.params().vars(), opts.weight_decay)?;
    let start = Instant::now();
    let mut train_time = Duration::ZERO;
    let mut progress = Progress::new(label, sched.total as u64);
    let (mut step, mut seqs) = (0usize, 0usize);
    let mut history = Vec::new();
    let (mut best_f1, mut best_epoch, mut best) = (-1.0f64, 0usize, None);
    let mut stop = StopReason::Completed;
    let mut since_best = 0;
    'epochs: for epoch in 1..=opts.epochs {
        let batches = length_buckets(&lengths, opts.batch_size, &mut rng);
        let (mut loss_sum, mut loss_n) = (0.0f64, 0usize);
        let mut out_of_time = false;
        for group in batches.chunks(opts.grad_accum) {
            let t0 = Instant::now();
            for idx in group {
                let loss = batch_loss(model, (train_ids, train_y), idx, &weights, &mut rng)?;
                let l = loss.to_scalar::<f32>()? as f64;
                if !l.is_finite() {
                    return Err(Error::model(format!(
                        "training loss became {l} at step {step}: lower the learning rate"
                    )));
                }
                loss_sum += l;
                loss_n += 1;
                opt.accumulate(&(loss / group.len() as f64)?.backward()?)?;
                seqs += idx.len();
            }
            opt.step(sched.lr(step), opts.max_grad_norm)?;
            step += 1;
            train_time += t0.elapsed();
            progress.set_message(format!(
                "epoch {epoch} loss {:.3}",
                loss_sum / loss_n as f64
            ));
            progress.inc(1);
            // The cap is a safety net, not the stopping rule: the schedule stays planned in
            // steps, so a run that is not cut is the same on every machine.
            if opts.budget.is_some_and(|b| start.elapsed() >= b) {
                out_of_time = true;
                break;
            }
        }
        let (val_loss, m) = evaluate(model, val_ids, val_y, opts.eval_batch_size)?;
        history.push(EpochStats {
            epoch,
            steps: step,
            train_loss: loss_sum / loss_n.max(1) as f64,
            val_loss,
            val_f1: m.f1(),
            val_accuracy: m.accuracy,
            lr: sched.lr(step.saturating_sub(1)),
            seconds: start.elapsed().as_secs_f64(),
        });
        if m.f1() > best_f1 {
            best_f1 = m.f1();
            best_epoch = epoch;
            best = Some(model.params().snapshot()?);
            since_best = 0;
        } else {
            since_best += 1;
        }
        if out_of_time {
            stop = StopReason::Budget;
            break 'epochs;
        }
        if opts.patience > 0 && since_best >= opts.patience && epoch < opts.epochs {
            stop = StopReason::EarlyStopped;
            break;
        }
    }
    progress.finish();
    if let Some(s) = &best {
        model.params().restore(s)?;
    }
    let train_seconds = train_time.as_secs_f64();
    Ok(FineTuneRun {
        history,
        best_epoch,
        best_val_f1: best_f1.max(0.0),
        steps: step,
        train_seconds,
        total_seconds: start.elapsed().as_secs_f64(),
        sequences: seqs,
        seq_per_second: seqs as f64 / train_seconds.max(1e-9),
        stop,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transformer::config::ModelConfig;
    use crate::transformer::params::Params;
    use candle_core::Device;

    /// Class 1 sequences contain token 7, class 0 sequences token 8.
    fn toy(n: usize, seed: u64) -> (Vec<Vec<u32>>, Vec<u8>) {
        let mut r = Rng::new(seed);
        (0..n)
            .map(|i| {
                let y = (i % 3 == 0) as u8;
                let len = 3 + r.below(8);
                let mut s = vec![0u32];
                s.extend((0..len).map(|_| 10 + r.below(20) as u32));
                let at = 1 + r.below(len);
                s[at] = if y == 1 { 7 } else { 8 };
                s.push(2);
                (s, y)
            })
            .unzip()
    }

    fn tiny() -> SequenceClassifier {
        let cfg = ModelConfig::tiny_roberta(40, 16, 1, 2, 16);
        SequenceClassifier::new(cfg, Params::fresh(3, &Device::Cpu)).unwrap()
    }

    #[test]
    fn learns_a_separable_toy_task_and_is_deterministic() {
        let (x, y) = toy(240, 1);
        let (vx, vy) = toy(60, 2);
        let opts = FineTuneOptions::default()
            .epochs(6)
            .batch_size(8)
            .grad_accum(2)
            .lr(3e-3)
            .patience(0);
        let m = tiny();
        let run = fine_tune(&m, &x, &y, &vx, &vy, &opts, "test").unwrap();
        assert!(run.best_val_f1 > 0.9, "{:?}", run.history);
        assert_eq!(run.history.len(), 6);
        assert!(run.history.last().unwrap().train_loss < run.history[0].train_loss);
        assert_eq!(run.steps, 6 * 240usize.div_ceil(8).div_ceil(2));
        let m2 = tiny();
        let run2 = fine_tune(&m2, &x, &y, &vx, &vy, &opts, "test").unwrap();
        assert_eq!(run.history[0].train_loss, run2.history[0].train_loss);
        assert_eq!(run.best_val_f1, run2.best_val_f1);
        // best restored: evaluating gives the recorded best F1
        let (_, met) = evaluate(&m, &vx, &vy, 16).unwrap();
        assert_eq!(met.f1(), run.best_val_f1);
    }

    #[test]
    fn bad_options_and_data_are_errors() {
        let (x, y) = toy(10, 1);
        let m = tiny();
        let bad = FineTuneOptions::default().batch_size(0);
        let e = fine_tune(&m, &x, &y, &x, &y, &bad, "t").unwrap_err();
        assert!(
            matches!(&e, Error::BadParam { name, .. } if name == "batch_size"),
            "{e:?}"
        );
        let bad = FineTuneOptions::default().lr(-1.0);
        assert!(fine_tune(&m, &x, &y, &x, &y, &bad, "t").is_err());
        let e = fine_tune(&m, &x, &y[..5], &x, &y, &FineTuneOptions::default(), "t").unwrap_err();
        assert!(e.to_string().contains("labels"), "{e}");
        assert!(fine_tune(&m, &[], &[], &x, &y, &FineTuneOptions::default(), "t").is_err());
    }

    #[test]
    fn class_weights_balance_the_classes() {
        assert_eq!(class_weights(&[1, 0, 0, 0], true), [4.0 / 6.0, 2.0]);
        assert_eq!(class_weights(&[1, 0, 0, 0], false), [1.0, 1.0]);
        assert_eq!(class_weights(&[0, 0], true), [1.0, 1.0]);
        assert!((positive_probability([0.0, 0.0]) - 0.5).abs() < 1e-12);
    }
}
