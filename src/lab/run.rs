//! `textlab run`: the whole lab in one go, written as a report directory whose structure follows
//! the seed report: I. problems and solutions (compute; the weak baseline fixed by balancing and
//! tuning), II. results (logistic regression; RoBERTa), conclusion. Every number in it comes from
//! this run.

use super::Profile;
use super::classic::{ClassicLab, ClassicReport};
use super::compute::{AccumulationPlan, ComputeInfo, MemoryTable, roberta_base};
use super::transformer::{TransformerOptions, TransformerReport, experiment};
use crate::data::DataSource;
use crate::data::{CleanPreview, Cleaner, LoadReport, Summary};
use crate::error::Result;
use crate::plot::{self, Figure};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Settings of the main job.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub corpus: DataSource,
    pub out: PathBuf,
    /// Quick (small grid, a ~1.5-minute transformer: minutes in all) or full. The seed is the
    /// corpus's (`corpus.seed`), used for the split, the classic lab and the transformer.
    pub profile: Profile,
    /// Skip the transformer part.
    pub no_transformer: bool,
    /// Transformer options (budget, model, ...).
    pub transformer: TransformerOptions,
}

impl RunOptions {
    /// The defaults with `profile`'s transformer settings.
    pub fn for_profile(profile: Profile) -> RunOptions {
        RunOptions {
            profile,
            transformer: TransformerOptions::for_profile(profile),
            ..RunOptions::default()
        }
    }
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            corpus: DataSource::default(),
            out: PathBuf::from("reports/latest"),
            profile: Profile::Full,
            no_transformer: false,
            transformer: TransformerOptions::default(),
        }
    }
}

/// What the main job measured (`metrics.json`).
#[derive(Debug, Clone, Serialize)]
pub struct RunResult {
    pub corpus: Summary,
    pub load: LoadReport,
    pub train: Summary,
    pub val: Summary,
    pub test: Summary,
    pub compute: ComputeInfo,
    pub memory: MemoryTable,
    pub accumulation: AccumulationPlan,
    pub classic: ClassicReport,
    pub transformer: Option<TransformerReport>,
    /// Figures of the data: class balance of the split and text lengths, by class name.
    #[serde(skip)]
    pub data_figures: Vec<(&'static str, Figure)>,
    /// What cleaning does to two training texts.
    pub cleaning: CleanPreview,
    /// Whether the split came from files (`None`) or was drawn with a seed.
    pub split_seed: Option<u64>,
    pub seconds: f64,
    pub files: Vec<PathBuf>,
}

/// What a report directory holds.
pub const RUN_FILES: [&str; 4] = ["report.md", "report.html", "figures", "metrics.json"];

/// Run everything and return what it measured; [`crate::report::write_run`] writes it.
pub fn run(opts: &RunOptions) -> Result<RunResult> {
    let start = Instant::now();
    // Settings and the output directory are checked before minutes of training, not after.
    crate::fsio::check_out_dir(&opts.out, "--out", &RUN_FILES)?;
    if !opts.no_transformer {
        opts.transformer.check_ref()?;
    }
    crate::transformer::device::tune_allocator();
    let (corpus, load, split) = opts.corpus.load_run()?;
    eprintln!("[1/4] data: {}", corpus.name);
    let summary = Summary::of(&corpus);
    if opts.corpus.train.is_none() {
        opts.corpus.check_overlap(&split)?;
    }
    let compute = ComputeInfo::detect();
    let base = roberta_base();
    let memory = MemoryTable::new("roberta-base", &base, &[128, 256, 512], &[8, 16, 32, 64]);
    let accumulation = AccumulationPlan::new("roberta-base", &base, 512, 16 << 30, 64);

    eprintln!("[2/4] classic: TF-IDF + logistic regression");
    let lab = ClassicLab::for_profile(opts.profile).seed(opts.corpus.seed);
    let classic = lab.run(&split)?;

    let transformer = if opts.no_transformer {
        None
    } else {
        let t = opts.transformer.clone().seed(opts.corpus.seed);
        eprintln!("[3/4] transformer: {}", t.check_ref()?.model());
        Some(experiment(&split, &t)?)
    };

    let classes = corpus.class_names().unwrap_or(["negative", "positive"]);
    Ok(RunResult {
        corpus: summary,
        load,
        train: Summary::of(&split.train),
        val: Summary::of(&split.val),
        test: Summary::of(&split.test),
        compute,
        memory,
        accumulation,
        classic,
        transformer,
        data_figures: vec![
            (
                "class-distribution",
                plot::split_distribution(&split, classes)?,
            ),
            ("text-lengths", plot::text_lengths_of(&corpus, classes)?),
        ],
        cleaning: Cleaner::new().preview(&split.train, 2, 160),
        split_seed: split.seed,
        // The report quotes the run's duration: everything but writing the files themselves.
        seconds: start.elapsed().as_secs_f64(),
        files: Vec::new(),
    })
}

/// Where `textlab run` writes by default, relative to the current directory.
pub fn default_out() -> &'static Path {
    Path::new("reports/latest")
}
