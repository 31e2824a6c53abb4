//! `textlab transformer ...` and `textlab bench transformer`: the flags, turned into the
//! library's [`TransformerOptions`] / [`TransformerBench`], and the printing of the results.

use crate::data::CorpusArgs;
use std::io::Write;
use std::path::PathBuf;
use textlab::Result;
use textlab::lab::Profile;
use textlab::lab::transformer::{TinySize, TransformerOptions, experiment};
use textlab::lab::transformer_bench::{TransformerBench, run_bench};
use textlab::transformer::checkpoint::TransformerModel;
use textlab::transformer::device::{DeviceChoice, tune_allocator};
use textlab::transformer::predict::{predict_texts, read_jsonl_texts};

/// `textlab transformer [--model DIR|ID|tiny] [--budget-minutes N] [--json] ...`: train
/// (pretrain for `tiny`), fine-tune and evaluate on the corpus split; or `predict`.
#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct TransformerCmd {
    #[command(subcommand)]
    pub action: Option<TransformerAction>,
    #[command(flatten)]
    pub corpus: CorpusArgs,
    /// `tiny` (tokenizer + RoBERTa pretrained here, offline), a checkpoint directory, or a model id
    /// in the Hugging Face cache (e.g. FacebookAI/roberta-base).
    #[arg(long, default_value = "tiny")]
    pub model: String,
    /// Optional wall-clock cap on all training, in minutes (default none: training runs its
    /// steps and epochs, the same on every machine; a cap that bites is reported).
    #[arg(long)]
    pub budget_minutes: Option<f64>,
    /// MLM pretraining steps of `tiny` (default 1500; 150 with --quick).
    #[arg(long)]
    pub pretrain_steps: Option<usize>,
    /// Do not pretrain on the corpus's unlabelled companion text (e.g. mail bodies).
    #[arg(long)]
    pub no_context: bool,
    /// Small model, short sequences, about a minute.
    #[arg(long)]
    pub quick: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Tokens per text, special tokens included (longer texts are truncated and counted).
    #[arg(long)]
    pub max_length: Option<usize>,
    /// Sequences per micro-batch.
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Micro-batches per optimizer step (effective batch = batch size x this).
    #[arg(long)]
    pub grad_accum: Option<usize>,
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Peak fine-tuning learning rate.
    #[arg(long)]
    pub lr: Option<f64>,
    /// cpu, cuda[:N], metal[:N] or auto (GPUs need the `cuda` / `metal` build features).
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// CPU threads (default: the cores this process may use; capped at those).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Skip fine-tuning `tiny` from random init for the same number of steps.
    #[arg(long)]
    pub no_baseline: bool,
    /// Save the fine-tuned model here (config.json, model.safetensors, tokenizer.json).
    #[arg(long)]
    pub save: Option<PathBuf>,
    /// `tiny` size: hidden width, layers, heads, BPE vocabulary.
    #[arg(long)]
    pub hidden: Option<usize>,
    #[arg(long)]
    pub layers: Option<usize>,
    #[arg(long)]
    pub heads: Option<usize>,
    #[arg(long)]
    pub vocab_size: Option<usize>,
}

#[derive(clap::Subcommand, Debug)]
pub enum TransformerAction {
    /// Predict JSONL texts (`{"text": ...}` per line) with a saved model.
    Predict(PredictArgs),
}

/// `textlab transformer predict --model DIR --input FILE.jsonl [--max-length N] [--json]`.
#[derive(clap::Args, Debug)]
pub struct PredictArgs {
    /// Checkpoint directory or cached model id.
    #[arg(long)]
    pub model: String,
    /// JSONL file, one `{"text": ...}` per line.
    #[arg(long)]
    pub input: PathBuf,
    /// Truncate at N tokens (default: the model's maximum).
    #[arg(long)]
    pub max_length: Option<usize>,
    /// One JSON object per line (`logits`, `probability`, `label`, `truncated`).
    #[arg(long)]
    pub json: bool,
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    #[arg(long, default_value = "cpu")]
    pub device: String,
}

/// `textlab bench transformer [--json]`.
#[derive(clap::Args, Debug, Clone)]
pub struct TransformerBenchArgs {
    /// Print JSON: per shape our ms/step and peak memory, PyTorch's (same run, same threads;
    /// `$TEXTLAB_TORCH_PYTHON` or `$TEXTLAB_PYTHON` picks the Python with torch) and the ratios.
    #[arg(long)]
    pub json: bool,
    /// Timed training steps per shape (after one warm-up step).
    #[arg(long, default_value_t = 3)]
    pub steps: usize,
    /// Skip the roberta-base-size step (the slow one).
    #[arg(long)]
    pub no_base: bool,
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// CPU threads (default: the cores this process may use; capped at those).
    #[arg(long)]
    pub threads: Option<usize>,
}

impl Default for TransformerBenchArgs {
    /// The flags' defaults: 3 timed steps, with the roberta-base-size step, on the CPU.
    fn default() -> Self {
        TransformerBenchArgs {
            json: false,
            steps: 3,
            no_base: false,
            device: "cpu".into(),
            threads: None,
        }
    }
}

impl TransformerBenchArgs {
    /// The benchmark settings these flags describe.
    pub fn options(&self) -> Result<TransformerBench> {
        Ok(TransformerBench {
            steps: self.steps,
            base: !self.no_base,
            device: self.device.parse::<DeviceChoice>()?,
            threads: self.threads,
        })
    }
}

impl TransformerCmd {
    /// The lab options these flags describe.
    pub fn lab_options(&self) -> Result<TransformerOptions> {
        // Flags left out keep the profile's value.
        let base = TransformerOptions::for_profile(Profile::from_quick(self.quick)).check()?;
        let t = base.tiny();
        let o = base
            .to_builder()
            .model(self.model.clone())
            .seed(self.corpus.seed)
            .device(self.device.parse::<DeviceChoice>()?)
            .compare_random_init(!self.no_baseline)
            .threads(self.threads)
            .save_to(self.save.clone())
            .budget_minutes(self.budget_minutes.or(base.budget_minutes()))
            .pretrain_steps(self.pretrain_steps.unwrap_or(base.pretrain_steps()))
            .pretrain_on_context(!self.no_context)
            .max_length(self.max_length.unwrap_or(base.max_length()))
            .batch_size(self.batch_size.unwrap_or(base.batch_size()))
            .grad_accum(self.grad_accum.unwrap_or(base.grad_accum()))
            .epochs(self.epochs.unwrap_or(base.epochs()))
            .lr(self.lr.or(base.lr()))
            .tiny(TinySize {
                hidden: self.hidden.unwrap_or(t.hidden),
                layers: self.layers.unwrap_or(t.layers),
                heads: self.heads.unwrap_or(t.heads),
                vocab_size: self.vocab_size.unwrap_or(t.vocab_size),
            });
        o.check_ref()?;
        Ok(o)
    }
}

/// Run `textlab transformer ...`.
pub fn run(cmd: TransformerCmd) -> Result<()> {
    tune_allocator();
    if let Some(TransformerAction::Predict(p)) = cmd.action {
        return predict(p);
    }
    let opts = cmd.lab_options()?;
    if let Some(dir) = opts.check_ref()?.save_to() {
        textlab::fsio::check_out_dir(
            dir,
            "--save",
            &textlab::transformer::checkpoint::CHECKPOINT_FILES,
        )?;
    }
    let split = cmd.corpus.source().load_split()?;
    let report = experiment(&split, &opts)?;
    if cmd.json {
        textlab::fsio::stdout(&format!("{}\n", report.to_json()?))
    } else {
        textlab::fsio::stdout(&report.to_string())
    }
}

/// Run `textlab transformer predict ...`: one output line per input text, in order.
pub fn predict(p: PredictArgs) -> Result<()> {
    let device = p.device.parse::<DeviceChoice>()?.open()?;
    let model = TransformerModel::load(&p.model, 0, &device)?;
    if !model.note.fresh.is_empty() {
        eprintln!("warning: {} (its predictions are untrained)", model.note);
    }
    let texts = read_jsonl_texts(&p.input)?;
    let preds = predict_texts(&model, &texts, p.max_length, p.batch_size)?;
    let mut out = std::io::stdout().lock();
    for (t, pr) in texts.iter().zip(&preds) {
        let line = if p.json {
            serde_json::to_string(pr)?
        } else {
            let short: String = t
                .chars()
                .take(60)
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            format!("{:.4}\t{}\t{}", pr.probability, pr.label, short)
        };
        writeln!(out, "{line}").map_err(|e| textlab::Error::io("stdout", e))?;
    }
    let cut = preds.iter().filter(|p| p.truncated).count();
    if cut > 0 {
        eprintln!(
            "{cut} of {} texts were truncated to the maximum length",
            preds.len()
        );
    }
    Ok(())
}

/// Run `textlab bench transformer ...`.
pub fn bench(args: TransformerBenchArgs) -> Result<()> {
    let report = run_bench(&args.options()?)?;
    if args.json {
        textlab::fsio::stdout(&format!("{}\n", serde_json::to_string_pretty(&report)?))
    } else {
        textlab::fsio::stdout(&report.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        cmd: TransformerCmd,
    }

    #[derive(Parser, Debug)]
    struct Bench {
        #[command(flatten)]
        args: TransformerBenchArgs,
    }

    #[test]
    fn flags_parse_and_map_to_lab_options() {
        Cli::command().debug_assert();
        Bench::command().debug_assert();
        let c = Cli::try_parse_from([
            "t",
            "--model",
            "tiny",
            "--budget-minutes",
            "2",
            "--json",
            "--grad-accum",
            "4",
            "--max-length",
            "64",
            "--seed",
            "7",
            "--threads",
            "1",
        ])
        .unwrap();
        assert!(c.cmd.json && c.cmd.action.is_none());
        let o = c.cmd.lab_options().unwrap().check().unwrap();
        assert_eq!(
            (
                o.budget_minutes(),
                o.grad_accum(),
                o.max_length(),
                o.seed(),
                o.threads()
            ),
            (Some(2.0), 4, 64, 7, Some(1))
        );
        let q = Cli::try_parse_from(["t", "--quick"])
            .unwrap()
            .cmd
            .lab_options()
            .unwrap();
        assert_eq!(q, TransformerOptions::quick().seed(42));
        let p = Cli::try_parse_from([
            "t",
            "predict",
            "--model",
            "dir",
            "--input",
            "x.jsonl",
            "--max-length",
            "32",
        ])
        .unwrap();
        match p.cmd.action {
            Some(TransformerAction::Predict(a)) => {
                assert_eq!((a.model.as_str(), a.max_length), ("dir", Some(32)))
            }
            other => panic!("{other:?}"),
        }
        let bad = Cli::try_parse_from(["t", "--device", "tpu"])
            .unwrap()
            .cmd
            .lab_options()
            .unwrap_err();
        assert!(bad.to_string().contains("tpu"), "{bad}");
        let bad = Cli::try_parse_from(["t", "--budget-minutes=-1"])
            .unwrap()
            .cmd
            .lab_options();
        assert!(bad.is_err());
        let b = Bench::try_parse_from(["b", "--json", "--no-base"]).unwrap();
        assert!(b.args.json && b.args.no_base && b.args.steps == 3);
    }
}
