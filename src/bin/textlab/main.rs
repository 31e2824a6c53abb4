//! `textlab`: the lab from the command line. `textlab run` is the main job; the other commands
//! run one stage each and print a table (or JSON with `--json`) that other tools can read.

use clap::{Parser, Subcommand};
use data::CorpusArgs;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use textlab::data::Summary;
use textlab::lab::transformer::TransformerOptions;
use textlab::lab::{ClassicLab, Profile, RunOptions, bench_classic};
use transformer::{TransformerBenchArgs, TransformerCmd};

mod data;
mod transformer;

#[derive(Parser)]
#[command(
    name = "textlab",
    version,
    about = "Text-classification lab: data, TF-IDF + logistic regression, RoBERTa, report"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once at start-up: the size of the largest variant costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Corpus download, summary and split.
    #[command(subcommand)]
    Data(DataCmd),
    /// TF-IDF + logistic regression: out-of-the-box, balancing, search, L1 vs L2 (report I.2, II).
    Classic(ClassicArgs),
    /// RoBERTa / BERT fine-tuning (report II), or `predict` with a saved model.
    Transformer(TransformerCmd),
    /// Benchmarks against scikit-learn / PyTorch when they are installed.
    #[command(subcommand)]
    Bench(BenchCmd),
    /// The main job: the whole lab (data, compute, classic, transformer) as a report directory.
    Run(RunArgs),
}

#[derive(clap::Args)]
struct RunArgs {
    #[command(flatten)]
    corpus: CorpusArgs,
    /// Report directory (report.md, report.html, figures/, metrics.json).
    #[arg(long, default_value = "reports/latest")]
    out: PathBuf,
    /// Minutes instead of ~25: small search grid and a ~1.5-minute transformer.
    #[arg(long)]
    quick: bool,
    /// Skip the transformer part.
    #[arg(long)]
    no_transformer: bool,
    /// Transformer model: `tiny` (pretrained here, offline), a checkpoint dir, or a Hugging Face id.
    #[arg(long, default_value = "tiny")]
    model: String,
    /// Optional wall-clock cap on transformer training, in minutes (default none: training
    /// stops on steps and epochs, so the same seed gives the same numbers everywhere).
    #[arg(long)]
    budget_minutes: Option<f64>,
}

#[derive(clap::Args)]
struct ClassicArgs {
    #[command(flatten)]
    corpus: CorpusArgs,
    /// Smaller grid (3 folds, 5 Cs, two balancings).
    #[arg(long)]
    quick: bool,
    /// Print JSON (rows with penalty, C, balancing, precision, recall, f1, accuracy, support, nnz, fit_seconds, and best).
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum BenchCmd {
    /// TF-IDF and L1 fit, against scikit-learn on the same split.
    Classic {
        #[command(flatten)]
        corpus: CorpusArgs,
        /// Runs per measurement (the best is kept).
        #[arg(long, default_value_t = 3)]
        repeats: usize,
        /// Also compare the best of the search grid with sklearn's GridSearchCV (minutes).
        #[arg(long)]
        grid: bool,
        #[arg(long)]
        json: bool,
    },
    /// Training-step throughput against PyTorch.
    Transformer(TransformerBenchArgs),
}

#[derive(Subcommand)]
enum DataCmd {
    /// Fetch the SpamAssassin corpus into $TEXTLAB_HOME (default ~/.cache/textlab) and verify it.
    Fetch {
        #[arg(long)]
        json: bool,
    },
    /// Rows, class balance, text lengths and subsets of a corpus.
    Summary {
        #[command(flatten)]
        corpus: CorpusArgs,
        #[arg(long)]
        json: bool,
    },
    /// Write a stratified train/val/test split as CSV files (columns text,label).
    Split {
        #[command(flatten)]
        corpus: CorpusArgs,
        /// Output directory for train.csv, val.csv, test.csv.
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

/// Print a value as text or JSON; a failed write to stdout (`> /dev/full`) is an error, not a
/// panic.
fn print<T: Serialize + std::fmt::Display>(value: &T, json: bool) -> textlab::Result<()> {
    if json {
        out(&format!("{}\n", serde_json::to_string_pretty(value)?))
    } else {
        out(&value.to_string())
    }
}

use textlab::fsio::stdout as out;

#[derive(Serialize)]
struct SplitOut {
    files: Vec<PathBuf>,
    train: Summary,
    val: Summary,
    test: Summary,
}

impl std::fmt::Display for SplitOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (p, s) in self.files.iter().zip([&self.train, &self.val, &self.test]) {
            writeln!(
                f,
                "{}: {} rows, {} positive ({:.1}%)",
                p.display(),
                s.rows,
                s.positives,
                s.positive_ratio * 100.0
            )?;
        }
        Ok(())
    }
}

/// A JSON value that prints as itself.
#[derive(Serialize)]
#[serde(transparent)]
struct JsonDoc(serde_json::Value);

impl std::fmt::Display for JsonDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

fn run(cli: Cli) -> textlab::Result<()> {
    match cli.command {
        Command::Data(DataCmd::Fetch { json }) => {
            print(&textlab::data::fetch(&textlab::data::textlab_home())?, json)
        }
        Command::Data(DataCmd::Summary { corpus, json }) => {
            if corpus.train.is_some() {
                let split = corpus.source().load_split()?;
                let parts = [
                    ("train", Summary::of(&split.train)),
                    ("val", Summary::of(&split.val)),
                    ("test", Summary::of(&split.test)),
                ];
                if json {
                    // One JSON document: {"train": ..., "val": ..., "test": ...}.
                    let doc: serde_json::Map<String, serde_json::Value> = parts
                        .iter()
                        .map(|(k, v)| Ok((k.to_string(), serde_json::to_value(v)?)))
                        .collect::<textlab::Result<_>>()?;
                    print(&JsonDoc(serde_json::Value::Object(doc)), true)
                } else {
                    for (_, s) in &parts {
                        print(s, false)?;
                    }
                    Ok(())
                }
            } else {
                let (c, report) = corpus.source().load_corpus()?;
                if !json {
                    out(&report.to_string())?;
                }
                print(&Summary::of(&c), json)
            }
        }
        Command::Data(DataCmd::Split {
            corpus,
            out: dir,
            json,
        }) => {
            textlab::fsio::check_out_dir(&dir, "--out", &textlab::data::Split::CSV_FILES)?;
            let split = corpus.source().load_split()?;
            let files = split.save_csv(&dir)?;
            let o = SplitOut {
                files,
                train: Summary::of(&split.train),
                val: Summary::of(&split.val),
                test: Summary::of(&split.test),
            };
            print(&o, json)
        }
        Command::Classic(a) => {
            let split = a.corpus.source().load_split()?;
            let lab = ClassicLab::for_profile(Profile::from_quick(a.quick)).seed(a.corpus.seed);
            let report = lab.run(&split)?;
            if a.json {
                // One flat line per model (the scores behind the intervals stay in the library).
                let rows: Vec<serde_json::Value> = report
                    .rows
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let m = r.metrics();
                        serde_json::json!({
                            "stage": r.stage(),
                            "penalty": r.penalty,
                            "C": r.c,
                            "balancing": r.balancing,
                            "threshold": r.threshold,
                            "cv_f1": r.cv_f1,
                            "val_f1": r.val_f1,
                            "precision": m.precision(),
                            "recall": m.recall(),
                            "f1": m.f1(),
                            "f1_low": r.test.f1.low,
                            "f1_high": r.test.f1.high,
                            "accuracy": m.accuracy,
                            "support": m.support(),
                            "nnz": r.cost.parameters,
                            "fit_seconds": r.model.fit_seconds,
                            "best": i == report.best,
                        })
                    })
                    .collect();
                let doc = serde_json::json!({
                    "corpus": split.train.name,
                    "search_seconds": report.search.seconds,
                    "threshold_moved": report.threshold.moved,
                    "n_train": report.n_train,
                    "n_features": report.n_features,
                    "rows": rows,
                    "best": rows[report.best],
                });
                out(&format!("{}\n", serde_json::to_string_pretty(&doc)?))
            } else {
                out(&report.to_string())
            }
        }
        Command::Transformer(cmd) => transformer::run(cmd),
        Command::Bench(BenchCmd::Classic {
            corpus,
            repeats,
            grid,
            json,
        }) => {
            let split = corpus.source().load_split()?;
            print(&bench_classic(&split, repeats, grid)?, json)
        }
        Command::Bench(BenchCmd::Transformer(args)) => transformer::bench(args),
        Command::Run(a) => {
            let transformer = TransformerOptions::for_profile(Profile::from_quick(a.quick))
                .model(a.model)
                .budget_minutes(a.budget_minutes);
            let opts = RunOptions {
                corpus: a.corpus.source(),
                out: a.out,
                profile: Profile::from_quick(a.quick),
                no_transformer: a.no_transformer,
                transformer,
            };
            let mut r = textlab::lab::run(&opts)?;
            eprintln!("[4/4] report: {}", opts.out.display());
            textlab::report::write_run(&mut r, &opts.out)?;
            let best = r.classic.best();
            let mut text = String::new();
            for (name, e) in std::iter::once((best.stage(), &best.test))
                .chain(r.transformer.as_ref().map(|t| (t.model.as_str(), &t.test)))
            {
                let m = &e.metrics;
                text += &format!(
                    "{name}: F1 {:.3} (95% interval {:.3}-{:.3}) accuracy {:.3} support {}\n",
                    m.f1(),
                    e.f1.low,
                    e.f1.high,
                    m.accuracy,
                    m.support()
                );
            }
            text += &format!(
                "report: {} ({:.0} s)\n",
                opts.out.join("report.md").display(),
                r.seconds
            );
            out(&text)
        }
    }
}

fn main() -> ExitCode {
    // `textlab data summary | head` should end quietly, like any Unix tool, not panic.
    #[cfg(unix)]
    // SAFETY: restoring the default SIGPIPE disposition before any thread or output exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    textlab::transformer::device::tune_allocator();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
