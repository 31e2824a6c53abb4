//! `textlab run`: the whole lab in one go, written as a report directory whose structure follows
//! the seed report: I. problems and solutions (compute; the weak baseline fixed by balancing and
//! tuning), II. results (logistic regression; RoBERTa), conclusion. Every number in it comes from
//! this run.

use super::claims::{self, Finding, Outcome, Verdict};
use super::classic::{ClassicLab, ClassicReport};
use super::compute::{AccumulationPlan, ComputeInfo, MemoryTable, roberta_base};
use super::transformer::{TransformerOptions, TransformerReport, experiment};
use crate::data::DataSource;
use crate::data::{Cleaner, LoadReport, Split, Summary};
use crate::display::{Cell, Table};
use crate::error::Result;
use crate::plot::{self, ModelStats};
use crate::report::Report;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Settings of the main job.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub corpus: DataSource,
    pub out: PathBuf,
    /// Small grid and a ~1.5-minute transformer: minutes in all (tests, demos).
    pub quick: bool,
    /// Skip the transformer part.
    pub no_transformer: bool,
    /// Transformer options (budget, model, ...).
    pub transformer: TransformerOptions,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            corpus: DataSource::default(),
            out: PathBuf::from("reports/latest"),
            quick: false,
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
    pub seconds: f64,
    pub files: Vec<PathBuf>,
}

/// What a report directory holds.
const RUN_FILES: [&str; 4] = ["report.md", "report.html", "figures", "metrics.json"];

/// Run everything and write the report directory.
pub fn run(opts: &RunOptions) -> Result<RunResult> {
    let start = Instant::now();
    // Settings and the output directory are checked before minutes of training, not after.
    crate::fsio::check_out_dir(&opts.out, "--out", &RUN_FILES)?;
    if !opts.no_transformer {
        opts.transformer.check()?;
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
    let lab = if opts.quick {
        ClassicLab::quick()
    } else {
        ClassicLab::new()
    }
    .seed(opts.corpus.seed);
    let classic = lab.run(&split)?;

    let transformer = if opts.no_transformer {
        None
    } else {
        eprintln!("[3/4] transformer: {}", opts.transformer.model);
        let mut t = opts.transformer.clone();
        t.seed = opts.corpus.seed;
        Some(experiment(&split, &t)?)
    };

    eprintln!("[4/4] report: {}", opts.out.display());
    let mut result = RunResult {
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
        seconds: 0.0,
        files: Vec::new(),
    };
    // The report quotes the run's duration: everything but writing the files themselves.
    result.seconds = start.elapsed().as_secs_f64();
    let report = build_report(&result, &split, &corpus);
    // One unit: a report directory never mixes the figures of one run with another's numbers.
    let files = crate::fsio::write_dir_atomic(&opts.out, |stage| {
        let mut files = report.write_into(stage, &opts.out)?;
        files.push(opts.out.join("metrics.json"));
        result.files = files.clone();
        crate::fsio::write_bytes_atomic(
            &stage.join("metrics.json"),
            &serde_json::to_vec_pretty(&result)?,
        )?;
        Ok(files)
    })?;
    result.files = files;
    Ok(result)
}

fn f3(x: f64) -> String {
    format!("{x:.3}")
}

fn build_report(r: &RunResult, split: &Split, corpus: &crate::data::Corpus) -> Report {
    let mut rep = Report::new("Text classification lab report");
    let c = &r.corpus;
    rep.text(format!(
        "Corpus **{}**: {} texts, {} positive ({:.1}%). Stratified split (seed {}): {} train, {} validation, {} test. \
         Everything below was measured in this run ({:.0} s in all).",
        c.name,
        c.rows,
        c.positives,
        c.positive_ratio * 100.0,
        split.seed.map_or("given files".into(), |s| s.to_string()),
        r.train.rows,
        r.val.rows,
        r.test.rows,
        r.seconds
    ));
    for w in &r.load.warnings {
        rep.text(format!("Data warning: {w}"));
    }
    let classes = corpus.class_names().unwrap_or(["negative", "positive"]);
    rep.figure(
        "class-distribution",
        plot::split_distribution(split, classes),
    );
    rep.figure("text-lengths", plot::text_lengths_of(corpus, classes));
    let preview = Cleaner::new().preview(&split.train, 2, 160);
    if !preview.examples.is_empty() {
        rep.text("Cleaning (URLs and e-mail addresses to placeholders, lowercase, whitespace), before and after:");
        rep.pre(preview.to_string());
    }

    rep.h2("I. Problems and solutions");
    rep.h3("I.1 Compute: memory, batch size and gradient accumulation");
    rep.pre(r.compute.to_string());
    rep.text(format!(
        "Estimated memory of one fine-tuning step of roberta-base ({} parameters, f32, AdamW), by sequence length and batch size:",
        r.memory.parameters
    ));
    rep.table(crate::display::memory_table(&r.memory));
    rep.text(format!(
        "This is why large batches ran out of GPU memory. Gradient accumulation answers it: {}. \
         `textlab transformer --batch-size B --grad-accum K` trains with effective batch B x K.",
        r.accumulation
    ));

    let cl = &r.classic;
    rep.h3("I.2 Logistic regression: out of the box, balanced, tuned");
    let ootb = &cl.rows[0];
    let m = ootb.metrics();
    rep.text(format!(
        "Out of the box (L2, C = 1, no balancing, threshold 0.5) the model reaches test F1 **{}** \
         (precision {:.3}, recall {:.3}): it flags {} texts as positive and finds {} of the {} positives ({:.0}% positives in training).",
        claims::fmt_interval(&ootb.test.f1),
        m.precision(),
        m.recall(),
        m.confusion.tp + m.confusion.fp,
        m.confusion.tp,
        m.support(),
        r.train.positive_ratio * 100.0
    ));
    rep.table(crate::display::classic_table(cl));
    for row in cl
        .rows
        .iter()
        .skip(1)
        .filter(|r| r.stage.starts_with("balancing"))
    {
        if let Ok(v) = Verdict::between(&row.test, &ootb.test) {
            rep.text(v.sentence());
        }
    }
    let sb = cl.search.best();
    rep.text(format!(
        "Search: {}-fold stratified cross-validation on the training split over C x penalty x balancing ({} settings, {:.0} s); \
         best mean CV F1 {:.3} at {} C = {} with {} balancing. {}",
        cl.search.folds,
        cl.search.rows.len(),
        cl.search.seconds,
        sb.mean_f1,
        sb.penalty,
        crate::linear::fmt_c(sb.c),
        sb.balancing.name(),
        crate::display::Render::text(&cl.threshold)
    ));
    if let Ok(v) = Verdict::between(&cl.best().test, &ootb.test) {
        rep.text(format!(
            "Chosen on validation: {}. {}",
            cl.best().stage,
            v.sentence()
        ));
    }
    for (name, fig) in cl.figures() {
        if name == "c-sweep" {
            rep.figure(name, fig);
        }
    }

    rep.h2("II. Results");
    rep.h3("II.1 TF-IDF + logistic regression: L1 against L2");
    if let (Some(a), Some(b)) = (cl.row("tuned L1"), cl.row("tuned L2")) {
        rep.text(format!(
            "At their tuned settings L1 keeps {} non-zero weights and L2 {}.",
            a.nnz, b.nnz
        ));
        if let Ok(v) = Verdict::between(&a.test, &b.test) {
            rep.text(Finding::new("L1 beat L2", v).sentence());
        }
    }
    let best = cl.best();
    rep.text(format!(
        "Chosen model: {} ({}); its classification report on the test split:",
        best.stage, best.balancing
    ));
    rep.pre(best.metrics().classification_report());
    for (name, fig) in cl.figures() {
        if name != "c-sweep" {
            rep.figure(name, fig);
        }
    }
    rep.text("Top features of the chosen model:");
    rep.pre(cl.top_features.to_string());

    rep.h3("II.2 Transformer (RoBERTa)");
    match &r.transformer {
        Some(t) => {
            rep.pre(t.to_string());
            if let Some(a) = &t.random_init
                && let Ok(v) = Verdict::between(&t.test, &a.test)
            {
                rep.text(format!("Did pretraining pay? {}", v.sentence()));
            }
            rep.figure("training-curves", t.training_figure());
            rep.figure(
                "confusion-transformer",
                plot::confusion_matrix(&t.test.metrics.confusion, ["negative", "positive"]),
            );
        }
        None => rep.text("Skipped (--no-transformer)."),
    }

    rep.h2("Conclusion");
    let classic_cost = cl.tfidf_seconds + cl.search.seconds + best.fit_seconds;
    let mut stats = vec![
        ModelStats::from_logreg(
            format!("TF-IDF + LR ({})", best.penalty),
            &cl.best_model,
            best.metrics(),
        )
        .train_secs(classic_cost),
    ];
    let mut g = Table::new(&[
        "model",
        "precision",
        "recall",
        "F1 (95% interval)",
        "accuracy",
        "support",
        "training s (search included)",
        "size",
    ]);
    let num = |x: f64| Cell::num(f3(x));
    let bm = best.metrics();
    g.push(vec![
        Cell::text(format!(
            "TF-IDF + logistic regression ({}, C={}, {})",
            best.penalty,
            crate::linear::fmt_c(best.c),
            best.balancing
        )),
        num(bm.precision()),
        num(bm.recall()),
        Cell::num(claims::fmt_interval(&best.test.f1)),
        num(bm.accuracy),
        Cell::num(bm.support().to_string()),
        Cell::num(format!("{classic_cost:.1}")),
        Cell::num(format!("{} weights", best.nnz)),
    ]);
    if let Some(t) = &r.transformer {
        let tm = &t.test.metrics;
        g.push(vec![
            Cell::text(&t.model),
            num(tm.precision()),
            num(tm.recall()),
            Cell::num(claims::fmt_interval(&t.test.f1)),
            num(tm.accuracy),
            Cell::num(tm.support().to_string()),
            Cell::num(format!("{:.0}", t.train_seconds)),
            Cell::num(crate::transformer::memory::human_bytes(
                t.summary.model_bytes,
            )),
        ]);
        stats.push(t.model_stats());
    }
    rep.table(g);
    rep.figure("model-comparison", plot::model_comparison(&stats));
    rep.text(conclusion(best, classic_cost, r.transformer.as_ref()));
    rep
}

/// The report's conclusion, re-derived from this run's numbers: which family wins (or whether
/// the test set cannot tell), and at what cost (the classic cost includes its search).
pub fn conclusion(
    best: &super::classic::ClassicRow,
    classic_seconds: f64,
    t: Option<&TransformerReport>,
) -> String {
    let Some(t) = t else {
        return format!(
            "TF-IDF + logistic regression reaches test F1 {}; the transformer part was not run.",
            claims::fmt_interval(&best.test.f1)
        );
    };
    let cost = format!(
        "The transformer took {:.0} s to train against {:.1} s for the classic model, TF-IDF and search included ({:.0}x).",
        t.train_seconds,
        classic_seconds,
        t.train_seconds / classic_seconds.max(1e-3)
    );
    match Verdict::between(&t.test, &best.test) {
        Ok(v) => {
            let holds = match v.outcome() {
                Outcome::Tie => {
                    "holds here: the two are within the noise, and the classic model costs far less"
                }
                Outcome::FirstWins => {
                    "does not hold here: the transformer's gain is larger than the test set's noise"
                }
                Outcome::SecondWins => {
                    "holds more strongly here: the classic model is better, not only cheaper"
                }
            };
            format!(
                "{} {cost} The seed report's conclusion (the transformer only slightly better, the classic model far cheaper) {holds}.",
                v.sentence()
            )
        }
        Err(e) => format!("The two models cannot be compared: {e}"),
    }
}

/// Where `textlab run` writes by default, relative to the current directory.
pub fn default_out() -> &'static Path {
    Path::new("reports/latest")
}
