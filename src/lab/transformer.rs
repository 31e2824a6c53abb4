//! The lab's transformer experiment: one call from a split to a report.
//!
//! With `model = "tiny"` (the offline default): train a byte-level BPE on the training texts (and
//! their unlabelled companion text, e.g. the bodies of the training mails for a subject-line
//! task), pretrain a small RoBERTa with MLM on the same text for a fixed number of steps,
//! fine-tune for a fixed number of epochs, evaluate on the test split, and fine-tune the same
//! architecture from random initialisation for the same number of steps, so the report says
//! honestly what pretraining bought. With a checkpoint directory or cached model id: load it
//! (fresh head), fine-tune, evaluate.
//!
//! Training stops on steps and epochs, never on a wall clock, so the same seed gives the same
//! numbers on any machine; `budget_minutes` is an optional cap that the report names when it bites.

use crate::data::{Corpus, Split};
use crate::error::{Error, Result};
use crate::lab::results::{Cost, Family, ModelResult};
use crate::metrics::{Evaluation, Interval};
use crate::transformer::checkpoint::{LoadNote, TransformerModel, save_classifier_with};
use crate::transformer::config::{Arch, ModelConfig};
use crate::transformer::device::{
    DeviceChoice, choose_threads, describe, peak_memory_bytes, set_cpu_threads, tune_allocator,
};
use crate::transformer::memory::MemoryEstimate;
use crate::transformer::mlm::{MlmOptions, MlmRun, pretrain};
use crate::transformer::model::SequenceClassifier;
use crate::transformer::params::Params;
use crate::transformer::tokenizer::{Encoded, TextTokenizer};
use crate::transformer::train::{
    FineTuneOptions, FineTuneRun, fine_tune, positive_probability, predict_logits,
};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Size of the `tiny` model trained here.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TinySize {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub vocab_size: usize,
}

impl Default for TinySize {
    /// hidden 128, 2 layers, 2 heads, 8000 BPE tokens.
    fn default() -> Self {
        TinySize {
            hidden: 128,
            layers: 2,
            heads: 2,
            vocab_size: 8000,
        }
    }
}

/// Settings of [`experiment`] as a builder: one setter per knob (its default in its doc), validated
/// in one place, [`TransformerOptions::check`], into the [`ValidTransformerOptions`] the experiment
/// runs on. `TransformerOptions::default()` fits the main job (about 10 minutes on 2 cores for the
/// default corpus); [`TransformerOptions::quick`] takes about a minute on a small split.
///
/// ```
/// use textlab::lab::{Profile, TransformerOptions};
/// let o = TransformerOptions::for_profile(Profile::Quick).epochs(2).seed(7).check().unwrap();
/// assert_eq!((o.epochs(), o.seed(), o.max_length()), (2, 7, 64));
/// assert!(TransformerOptions::default().max_length(0).check().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct TransformerOptions(ValidTransformerOptions);

/// Transformer settings that passed [`TransformerOptions::check`]; read them with the getters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidTransformerOptions {
    model: String,
    budget_minutes: Option<f64>,
    max_length: usize,
    batch_size: usize,
    grad_accum: usize,
    epochs: usize,
    lr: Option<f64>,
    seed: u64,
    device: DeviceChoice,
    threads: Option<usize>,
    compare_random_init: bool,
    tiny: TinySize,
    pretrain_steps: usize,
    pretrain_on_context: bool,
    save_to: Option<PathBuf>,
}

impl Default for TransformerOptions {
    fn default() -> Self {
        TransformerOptions(ValidTransformerOptions {
            model: "tiny".into(),
            budget_minutes: None,
            max_length: 128,
            batch_size: 16,
            grad_accum: 1,
            epochs: 5,
            lr: None,
            seed: 42,
            device: DeviceChoice::Cpu,
            threads: None,
            compare_random_init: true,
            tiny: TinySize::default(),
            pretrain_steps: 1500,
            pretrain_on_context: true,
            save_to: None,
        })
    }
}

impl TransformerOptions {
    /// A small, fast configuration: hidden 64, 2 layers, 2000 tokens, 64-token sequences,
    /// 150 MLM steps, 3 epochs, learning rate 5e-4.
    pub fn quick() -> Self {
        Self::default()
            .max_length(64)
            .epochs(3)
            .tiny(TinySize {
                hidden: 64,
                layers: 2,
                heads: 2,
                vocab_size: 2000,
            })
            .pretrain_steps(150)
            .lr(Some(5e-4))
    }

    /// [`TransformerOptions::quick`] or the defaults.
    pub fn for_profile(profile: crate::lab::Profile) -> Self {
        match profile {
            crate::lab::Profile::Quick => Self::quick(),
            crate::lab::Profile::Full => Self::default(),
        }
    }

    /// `tiny` (trained here, the default), a checkpoint directory, or a model id in the Hugging Face cache.
    pub fn model(mut self, v: impl Into<String>) -> Self {
        self.0.model = v.into();
        self
    }
    setters! {
        /// Optional wall-clock cap on all training, in minutes (default none: training runs its steps and
        /// epochs; a cap that stops it early is reported as such).
        budget_minutes: Option<f64>,
        /// Tokens per sequence including special tokens (default 128; quick: 64); longer texts are
        /// truncated and counted.
        max_length: usize,
        /// Training sequences per batch (default 16).
        batch_size: usize,
        /// Batches accumulated per optimizer step (default 1).
        grad_accum: usize,
        /// Fine-tuning epochs of every arm; the best epoch on validation is kept (default 5; quick: 3).
        epochs: usize,
        /// Peak fine-tuning learning rate (default `None`: 3e-4 for `tiny`, 5e-5 for a checkpoint;
        /// quick: 5e-4).
        lr: Option<f64>,
        /// Seed of initialisation, masking and batch order (default 42).
        seed: u64,
        /// Where to train (default CPU).
        device: DeviceChoice,
        /// CPU threads (default `None`: the cores this process may use, capped at what exists).
        threads: Option<usize>,
        /// For `tiny`: also fine-tune from random init for the same number of steps (default true).
        compare_random_init: bool,
        /// Size of the `tiny` model (default [`TinySize::default`]; quick: hidden 64, 2000 tokens).
        tiny: TinySize,
        /// MLM pretraining steps of the `tiny` model (default 1500; quick: 150).
        pretrain_steps: usize,
        /// Pretrain (and train the tokenizer) on the training rows' unlabelled companion text too (the
        /// corpus's `context` column, e.g. mail bodies). Default true.
        pretrain_on_context: bool,
        /// Save the fine-tuned model (HF format) here (default `None`: not saved).
        save_to: Option<PathBuf>,
    }

    /// Validate every setting (and, for `tiny` on the CPU, that the model fits in memory).
    pub fn check(self) -> Result<ValidTransformerOptions> {
        self.check_ref()?;
        Ok(self.0)
    }

    /// [`TransformerOptions::check`] without giving up the builder.
    pub fn check_ref(&self) -> Result<&ValidTransformerOptions> {
        let p = &self.0;
        // Upper bounds keep every later conversion and size computation in range (a budget of
        // 1e20 minutes overflowed `Duration`); the memory check below catches what is in range
        // but does not fit this machine.
        if let Some(b) = p.budget_minutes
            && (!b.is_finite() || b <= 0.0 || b > MAX_BUDGET_MINUTES)
        {
            return Err(Error::BadParam {
                name: "budget_minutes (--budget-minutes)".into(),
                value: b.to_string(),
                why: format!("must be positive and at most {MAX_BUDGET_MINUTES} (a year)"),
            });
        }
        if !(8..=MAX_LENGTH).contains(&p.max_length) {
            return Err(Error::BadParam {
                name: "max_length (--max-length)".into(),
                value: p.max_length.to_string(),
                why: format!("must be between 8 and {MAX_LENGTH} tokens"),
            });
        }
        for (name, v, max) in [
            ("batch_size (--batch-size)", p.batch_size, 1 << 16),
            ("grad_accum (--grad-accum)", p.grad_accum, 1 << 16),
            ("epochs (--epochs)", p.epochs, 1 << 20),
            (
                "pretrain_steps (--pretrain-steps)",
                p.pretrain_steps,
                1 << 24,
            ),
            ("tiny hidden size (--hidden)", p.tiny.hidden, 1 << 16),
            ("tiny layers (--layers)", p.tiny.layers, 1 << 10),
            ("tiny heads (--heads)", p.tiny.heads, 1 << 10),
            ("tiny vocabulary (--vocab-size)", p.tiny.vocab_size, 1 << 22),
        ] {
            if !(1..=max).contains(&v) {
                return Err(Error::BadParam {
                    name: name.into(),
                    value: v.to_string(),
                    why: format!("must be between 1 and {max}"),
                });
            }
        }
        if let Some(lr) = p.lr
            && (!lr.is_finite() || lr <= 0.0 || lr > 1.0)
        {
            return Err(Error::BadParam {
                name: "learning rate (--lr)".into(),
                value: lr.to_string(),
                why: "must be in (0, 1]".into(),
            });
        }
        let t = &p.tiny;
        if t.heads == 0 || !t.hidden.is_multiple_of(t.heads) || t.layers == 0 {
            return Err(Error::BadParam {
                name: "tiny hidden size (--hidden)".into(),
                value: t.hidden.to_string(),
                why: format!("must be a multiple of the heads ({})", t.heads),
            });
        }
        if p.model == "tiny" && p.device == DeviceChoice::Cpu {
            let cfg =
                ModelConfig::tiny_roberta(t.vocab_size, t.hidden, t.layers, t.heads, p.max_length);
            crate::transformer::memory::check_fits(&cfg, p.batch_size, p.max_length)?;
        }
        Ok(p)
    }
}

impl ValidTransformerOptions {
    pub fn model(&self) -> &str {
        &self.model
    }
    pub fn budget_minutes(&self) -> Option<f64> {
        self.budget_minutes
    }
    pub fn max_length(&self) -> usize {
        self.max_length
    }
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }
    pub fn grad_accum(&self) -> usize {
        self.grad_accum
    }
    pub fn epochs(&self) -> usize {
        self.epochs
    }
    pub fn lr(&self) -> Option<f64> {
        self.lr
    }
    pub fn seed(&self) -> u64 {
        self.seed
    }
    pub fn device(&self) -> DeviceChoice {
        self.device
    }
    pub fn threads(&self) -> Option<usize> {
        self.threads
    }
    pub fn compare_random_init(&self) -> bool {
        self.compare_random_init
    }
    pub fn tiny(&self) -> TinySize {
        self.tiny
    }
    pub fn pretrain_steps(&self) -> usize {
        self.pretrain_steps
    }
    pub fn pretrain_on_context(&self) -> bool {
        self.pretrain_on_context
    }
    pub fn save_to(&self) -> Option<&std::path::Path> {
        self.save_to.as_deref()
    }

    /// Back to a builder, to change a setting.
    pub fn to_builder(&self) -> TransformerOptions {
        TransformerOptions(self.clone())
    }
}

/// Largest training budget, in minutes (a year).
pub const MAX_BUDGET_MINUTES: f64 = 525_600.0;
/// Longest sequence the options accept, in tokens (memory is checked separately).
pub const MAX_LENGTH: usize = 1 << 20;

/// One fine-tuned arm: the model evaluated (a [`ModelResult`], its cost the arm's training wall
/// seconds, tokenizer included) and its fine-tuning curves. Dereferences to its `ModelResult`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmResult {
    #[serde(flatten)]
    pub result: ModelResult,
    pub fine_tuning: FineTuneRun,
}

impl std::ops::Deref for ArmResult {
    type Target = ModelResult;
    fn deref(&self) -> &ModelResult {
        &self.result
    }
}

/// Texts cut to `max_length` tokens, per split.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Truncation {
    pub max_length: usize,
    pub train: usize,
    pub val: usize,
    pub test: usize,
}

/// The model that was trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    pub arch: Arch,
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub intermediate: usize,
    pub vocab_size: usize,
    pub parameters: usize,
    /// Size of the weights in f32 (the saved model.safetensors).
    pub model_bytes: u64,
}

/// Everything the transformer part of the lab measured. Serializes to the CLI's `--json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransformerReport {
    /// Short description, e.g. `tiny RoBERTa (h128 L2 H2), MLM-pretrained here`.
    pub model: String,
    pub device: String,
    pub summary: ModelSummary,
    /// Decision threshold on P(class 1) (the loss is class-weighted).
    pub threshold: f64,
    /// Training wall seconds of the reported model: tokenizer + pretraining + fine-tuning.
    pub train_seconds: f64,
    /// Fine-tuning throughput (training sequences per second).
    pub seq_per_second: f64,
    /// Peak resident memory of the process (bytes), where the OS reports it.
    pub peak_memory_bytes: Option<u64>,
    pub memory_estimate: MemoryEstimate,
    pub tokenizer_seconds: f64,
    pub pretraining: Option<MlmRun>,
    pub fine_tuning: FineTuneRun,
    pub truncated: Truncation,
    /// Texts with no content (they still get a prediction from `<s></s>`).
    pub empty_texts: usize,
    pub load_note: Option<LoadNote>,
    /// The same architecture fine-tuned from random init for the same number of steps.
    pub random_init: Option<ArmResult>,
    /// `F1 - random_init F1` on the test split, with its paired bootstrap interval.
    pub pretraining_gain: Option<Interval>,
    /// Unlabelled companion texts (training rows only) added to the MLM corpus.
    pub context_texts: usize,
    pub budget_minutes: Option<f64>,
    pub wall_seconds: f64,
    pub saved_to: Option<String>,
    pub test: Evaluation,
    pub notes: Vec<String>,
}

impl TransformerReport {
    pub fn to_json(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(self)?)
    }
}

fn texts_of(c: &Corpus) -> (Vec<String>, Vec<u8>) {
    (
        c.texts().into_iter().map(str::to_string).collect(),
        c.labels(),
    )
}

fn evaluate_arm(
    name: &str,
    model: &SequenceClassifier,
    test: &Encoded,
    y: &[u8],
    bs: usize,
) -> Result<Evaluation> {
    let probs: Vec<f64> = predict_logits(model, &test.ids, bs)?
        .into_iter()
        .map(positive_probability)
        .collect();
    Evaluation::new(name, y, &probs, 0.5)
}

fn summary(cfg: &ModelConfig, params: usize) -> ModelSummary {
    ModelSummary {
        arch: cfg.arch,
        hidden: cfg.hidden_size,
        layers: cfg.num_hidden_layers,
        heads: cfg.num_attention_heads,
        intermediate: cfg.intermediate_size,
        vocab_size: cfg.vocab_size,
        parameters: params,
        model_bytes: 4 * params as u64,
    }
}

/// A short name for a checkpoint: a model id as given, a directory by its last component (its
/// parent's when the last one is a generic `model`).
fn checkpoint_name(model: &str) -> String {
    let p = std::path::Path::new(model);
    if !p.is_dir() {
        return model.to_string();
    }
    let name = |p: &std::path::Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    match name(p) {
        Some(n) if n == "model" => p.parent().and_then(name).unwrap_or(n),
        Some(n) => n,
        None => model.to_string(),
    }
}

/// Cut long companion texts into pieces of about `chars` characters at whitespace, so that MLM
/// sees all of a long mail body instead of its first `max_length` tokens.
fn chunks(text: &str, chars: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        if !cur.is_empty() && cur.len() + word.len() + 1 > chars {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

/// The split's texts and labels, checked: no split empty, not every text empty.
struct SplitTexts {
    train_x: Vec<String>,
    train_y: Vec<u8>,
    val_x: Vec<String>,
    val_y: Vec<u8>,
    test_x: Vec<String>,
    test_y: Vec<u8>,
    /// Texts with no content (they still get a prediction).
    empty_texts: usize,
}

fn split_texts(split: &Split) -> Result<SplitTexts> {
    let (train_x, train_y) = texts_of(&split.train);
    let (val_x, val_y) = texts_of(&split.val);
    let (test_x, test_y) = texts_of(&split.test);
    for (name, x) in [
        ("training", &train_x),
        ("validation", &val_x),
        ("test", &test_x),
    ] {
        if x.is_empty() {
            return Err(Error::data(format!("the {name} split is empty")));
        }
    }
    let empty_texts = train_x
        .iter()
        .chain(&val_x)
        .chain(&test_x)
        .filter(|t| t.trim().is_empty())
        .count();
    if empty_texts == train_x.len() + val_x.len() + test_x.len() {
        return Err(Error::data("every text is empty: nothing to learn from"));
    }
    Ok(SplitTexts {
        train_x,
        train_y,
        val_x,
        val_y,
        test_x,
        test_y,
        empty_texts,
    })
}

/// The three splits as token ids, with their labels.
struct Tokenized<'a> {
    train: &'a Encoded,
    train_y: &'a [u8],
    val: &'a Encoded,
    val_y: &'a [u8],
    test: &'a Encoded,
    test_y: &'a [u8],
}

/// Fine-tune `model` (validation picks the epoch), then evaluate it on test as `name`.
fn train_and_test(
    model: &SequenceClassifier,
    data: &Tokenized,
    ft: &FineTuneOptions,
    progress: &str,
    name: &str,
) -> Result<(FineTuneRun, Evaluation)> {
    let run = fine_tune(
        model,
        &data.train.ids,
        data.train_y,
        &data.val.ids,
        data.val_y,
        ft,
        progress,
    )?;
    let bs = ft.check_ref()?.eval_batch_size();
    let test = evaluate_arm(name, model, data.test, data.test_y, bs)?;
    Ok((run, test))
}

/// The same architecture fine-tuned from random initialisation with the same settings: what the
/// pretrained arm is measured against. Its cost counts the shared tokenizer's training.
fn random_init_arm(
    config: &ModelConfig,
    seed: u64,
    device: &candle_core::Device,
    data: &Tokenized,
    ft: &FineTuneOptions,
    tokenizer_seconds: f64,
    params: usize,
) -> Result<ArmResult> {
    let fresh = SequenceClassifier::new(config.clone(), Params::fresh(seed, device))?;
    let (rrun, ev) = train_and_test(
        &fresh,
        data,
        ft,
        "fine-tuning from random init",
        "same architecture, random init",
    )?;
    Ok(ArmResult {
        result: ModelResult {
            name: ev.name.clone(),
            family: Family::Transformer,
            val_f1: Some(rrun.best_val_f1),
            test: ev,
            cost: Cost {
                fit_seconds: tokenizer_seconds + rrun.train_seconds,
                search_seconds: 0.0,
                // Filled in by the caller with the run's peak, as for the main arm.
                peak_memory_bytes: None,
                parameters: params,
                size_bytes: 4 * params as u64,
            },
        },
        fine_tuning: rrun,
    })
}

/// The report's name of the model: the tiny model by its size, a checkpoint by its name.
fn model_name(tiny: bool, config: &ModelConfig, model: &str) -> String {
    if tiny {
        format!(
            "tiny RoBERTa (h{} L{} H{}), MLM-pretrained here",
            config.hidden_size, config.num_hidden_layers, config.num_attention_heads
        )
    } else {
        format!("{} ({})", checkpoint_name(model), config.arch.model_type())
    }
}

/// Run the transformer experiment on `split` (see the module docs).
pub fn experiment(split: &Split, opts: &TransformerOptions) -> Result<TransformerReport> {
    let opts = opts.check_ref()?;
    if let Some(dir) = &opts.save_to {
        crate::fsio::check_out_dir(
            dir,
            "save_to",
            &crate::transformer::checkpoint::CHECKPOINT_FILES,
        )?;
    }
    tune_allocator();
    let wall = Instant::now();
    let cap = opts
        .budget_minutes
        .map(|m| Duration::from_secs_f64(m * 60.0));
    let left = |since: Instant| cap.map(|c| c.saturating_sub(since.elapsed()));
    let device = opts.device.open()?;
    if device.is_cpu() {
        set_cpu_threads(choose_threads(opts.threads));
    }
    let SplitTexts {
        train_x,
        train_y,
        val_x,
        val_y,
        test_x,
        test_y,
        empty_texts,
    } = split_texts(split)?;
    let mut notes = Vec::new();
    let tiny = opts.model == "tiny";
    // Unlabelled text of the training rows only: nothing from validation or test reaches the model.
    let context: Vec<String> = if tiny && opts.pretrain_on_context {
        split
            .train
            .context()
            .iter()
            .flat_map(|t| chunks(t, opts.max_length * 4))
            .collect()
    } else {
        Vec::new()
    };
    let t0 = Instant::now();
    let (tokenizer, mut config, loaded) = if tiny {
        let corpus: Vec<&str> = train_x
            .iter()
            .map(String::as_str)
            .chain(context.iter().map(String::as_str))
            .collect();
        let tok = TextTokenizer::train_bpe(&corpus, opts.tiny.vocab_size)?;
        let cfg = ModelConfig::tiny_roberta(
            tok.vocab_size(),
            opts.tiny.hidden,
            opts.tiny.layers,
            opts.tiny.heads,
            opts.max_length,
        );
        (tok, cfg, None)
    } else {
        let m = TransformerModel::load(&opts.model, opts.seed, &device)?;
        (m.tokenizer.clone(), m.classifier.config.clone(), Some(m))
    };
    let tokenizer_seconds = if tiny {
        t0.elapsed().as_secs_f64()
    } else {
        0.0
    };
    let max_len = opts.max_length.min(config.max_tokens());
    if device.is_cpu() {
        crate::transformer::memory::check_fits(&config, opts.batch_size, max_len)?;
    }
    if max_len < opts.max_length {
        notes.push(format!(
            "max_length lowered to the model's {max_len} positions"
        ));
    }
    let enc_train = tokenizer.encode_all(&train_x, max_len)?;
    let enc_val = tokenizer.encode_all(&val_x, max_len)?;
    let enc_test = tokenizer.encode_all(&test_x, max_len)?;
    let truncated = Truncation {
        max_length: max_len,
        train: enc_train.truncated,
        val: enc_val.truncated,
        test: enc_test.truncated,
    };
    // Both arms get the same epochs and no early stopping: the same number of steps.
    let ft = FineTuneOptions::default()
        .batch_size(opts.batch_size)
        .grad_accum(opts.grad_accum)
        .epochs(opts.epochs)
        .lr(opts.lr.unwrap_or(if tiny { 3e-4 } else { 5e-5 }))
        .seed(opts.seed)
        .patience(0)
        .check()?;
    let mut pretraining = None;
    let mut load_note = None;
    let model = if tiny {
        let mask_id = tokenizer
            .mask_id()
            .ok_or_else(|| Error::model("tokenizer has no <mask> token"))?;
        let mut mlm_ids = enc_train.ids.clone();
        mlm_ids.extend(tokenizer.encode_all(&context, max_len)?.ids);
        let mlm = MlmOptions::new()
            .batch_size(opts.batch_size)
            .steps(opts.pretrain_steps)
            .budget(left(wall))
            .seed(opts.seed)
            .check()?;
        let (tensors, run) = pretrain(
            &config,
            &mlm_ids,
            mask_id,
            &tokenizer.special_ids(),
            &mlm,
            &device,
        )?;
        if run.cut_by_budget {
            notes.push(format!(
                "MLM pretraining was cut by the wall-clock cap after {} of {} steps: the numbers depend on this machine's speed",
                run.steps, opts.pretrain_steps
            ));
        }
        pretraining = Some(run);
        let mut m = SequenceClassifier::new(
            config.clone(),
            Params::from_tensors(tensors, opts.seed, &device),
        )?;
        // The MLM head is not part of the classifier.
        m.params_mut().drop_unused();
        m
    } else {
        let m = loaded.ok_or_else(|| Error::model("checkpoint not loaded"))?;
        load_note = Some(m.note.clone());
        config = m.classifier.config.clone();
        m.classifier
    };
    let data = Tokenized {
        train: &enc_train,
        train_y: &train_y,
        val: &enc_val,
        val_y: &val_y,
        test: &enc_test,
        test_y: &test_y,
    };
    let name = model_name(tiny, &config, &opts.model);
    let (run, test) = train_and_test(
        &model,
        &data,
        &ft.to_builder().budget(left(wall)),
        "fine-tuning",
        &name,
    )?;
    let pre_secs = pretraining.as_ref().map_or(0.0, |p| p.seconds);
    let train_seconds = tokenizer_seconds + pre_secs + run.train_seconds;
    let mut saved_to = None;
    if let Some(dir) = &opts.save_to {
        let with = serde_json::json!({"options": opts, "corpus": split.train.name});
        save_classifier_with(&model, &tokenizer, dir, with)?;
        saved_to = Some(dir.display().to_string());
    }
    let params = model.params().num_parameters();
    drop(model);
    let mut random_init = if tiny && opts.compare_random_init {
        Some(random_init_arm(
            &config,
            opts.seed,
            &device,
            &data,
            &ft.to_builder().budget(left(wall)),
            tokenizer_seconds,
            params,
        )?)
    } else {
        notes.push(if tiny {
            "random-init comparison skipped (compare_random_init = false)".into()
        } else {
            "random-init comparison runs for `tiny` only; compare a checkpoint against `tiny` by running both on the same split".into()
        });
        None
    };
    for (arm, r) in [("fine-tuning", Some(&run))].into_iter().chain([(
        "random-init fine-tuning",
        random_init.as_ref().map(|a| &a.fine_tuning),
    )]) {
        if r.is_some_and(|r| r.stop == crate::transformer::train::StopReason::Budget) {
            notes.push(format!(
                "{arm} was cut by the wall-clock cap: the numbers depend on this machine's speed"
            ));
        }
    }
    let pretraining_gain = random_init
        .as_ref()
        .map(|r| test.f1_minus(&r.test))
        .transpose()?;
    let peak = peak_memory_bytes();
    if let Some(a) = &mut random_init {
        a.result.cost.peak_memory_bytes = peak;
    }
    Ok(TransformerReport {
        model: name,
        device: describe(&device),
        summary: summary(&config, params),
        threshold: 0.5,
        train_seconds,
        seq_per_second: run.seq_per_second,
        peak_memory_bytes: peak,
        memory_estimate: MemoryEstimate::new(&config, opts.batch_size, max_len, true),
        tokenizer_seconds,
        pretraining,
        fine_tuning: run,
        truncated,
        empty_texts,
        load_note,
        random_init,
        pretraining_gain,
        context_texts: context.len(),
        budget_minutes: opts.budget_minutes,
        wall_seconds: wall.elapsed().as_secs_f64(),
        saved_to,
        test,
        notes,
    })
}
