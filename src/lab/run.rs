//! `textlab run`: the whole lab in one go, written as a report directory whose structure follows
//! the seed report: I. problems and solutions (compute; the weak baseline fixed by balancing and
//! tuning), II. results (logistic regression; RoBERTa), conclusion. Every number in it comes from
//! this run.

use super::classic::{ClassicLab, ClassicReport};
use super::compute::{AccumulationPlan, ComputeInfo, MemoryTable, roberta_base};
use crate::data::cli::CorpusArgs;
use crate::data::{Cleaner, LoadReport, Split, Splitter, Summary};
use crate::display::{Cell, Table};
use crate::error::{IoContext, Result};
use crate::plot::{self, ModelStats};
use crate::report::Report;
use crate::transformer::lab::{LabOptions, TransformerReport, lab as transformer_lab};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Settings of the main job.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub corpus: CorpusArgs,
    pub out: PathBuf,
    /// Small grid and a ~1.5-minute transformer: minutes in all (tests, demos).
    pub quick: bool,
    /// Skip the transformer part.
    pub no_transformer: bool,
    /// Transformer options (budget, model, ...).
    pub transformer: LabOptions,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            corpus: CorpusArgs::default(),
            out: PathBuf::from("reports/latest"),
            quick: false,
            no_transformer: false,
            transformer: LabOptions::default(),
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

/// Run everything and write the report directory.
pub fn run(opts: &RunOptions) -> Result<RunResult> {
    let start = Instant::now();
    crate::transformer::device::tune_allocator();
    eprintln!("[1/4] data: loading {}", opts.corpus.corpus);
    let (corpus, load) = opts.corpus.load_corpus()?;
    let summary = Summary::of(&corpus);
    let split = match (&opts.corpus.train, &opts.corpus.test) {
        (Some(_), Some(_)) => opts.corpus.load_split()?,
        _ => Splitter::new().seed(opts.corpus.seed).split(&corpus)?,
    };
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
        Some(transformer_lab(&split, &t)?)
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
    let mut files = report.write(&opts.out)?;
    let metrics = opts.out.join("metrics.json");
    files.push(metrics.clone());
    result.files = files;
    std::fs::write(&metrics, serde_json::to_vec_pretty(&result)?).at(&metrics)?;
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
    rep.h3("I.2 Logistic regression: a weak baseline, fixed by class balancing and a hyper-parameter search");
    let ootb = &cl.rows[0];
    rep.text(format!(
        "Out of the box (L2, C = 1, no balancing, threshold 0.5) the model reaches F1 **{:.3}** (precision {:.3}, recall {:.3}): \
         with {:.0}% positives it rarely predicts the positive class. Balancing the classes and tuning C fix it:",
        ootb.f1,
        ootb.precision,
        ootb.recall,
        r.train.positive_ratio * 100.0
    ));
    rep.table(crate::display::classic_table(cl));
    rep.text(format!(
        "Search: {}-fold stratified cross-validation on the training split over C x penalty x balancing ({} settings, {:.0} s); \
         best mean CV F1 {:.3} at {} C = {:.3} with {} balancing. The decision threshold ({:.3}) was chosen on the validation split.",
        cl.search.folds,
        cl.search.rows.len(),
        cl.search.seconds,
        cl.search.best().mean_f1,
        cl.search.best().penalty,
        cl.search.best().c,
        cl.search.best().balancing.name(),
        cl.threshold
    ));
    let figs = cl.figures();
    for (name, fig) in figs {
        if name == "c-sweep" {
            rep.figure(name, fig);
        }
    }

    rep.h2("II. Results");
    rep.h3("II.1 TF-IDF + logistic regression: L1 against L2");
    let l1 = cl.row("tuned L1");
    let l2 = cl.row("tuned L2");
    if let (Some(a), Some(b)) = (l1, l2) {
        rep.text(format!(
            "At their tuned settings, **L1** gives F1 {:.3} / accuracy {:.3} with {} non-zero weights, **L2** F1 {:.3} / accuracy {:.3} with {} \
             (test split, support {} positives). {}",
            a.f1,
            a.accuracy,
            a.nnz,
            b.f1,
            b.accuracy,
            b.nnz,
            a.support,
            if a.f1 >= b.f1 { "L1 wins here, as in the seed report, with a far sparser model." } else { "Here L2 is ahead: the seed report's L1 win does not reproduce on this split." }
        ));
    }
    let best = cl.best();
    rep.text(format!(
        "Chosen model: {} ({}); its classification report on the test split:",
        best.stage, best.balancing
    ));
    rep.pre(best.metrics.classification_report());
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
            rep.figure("training-curves", plot::transformer_training(t));
            rep.figure(
                "confusion-transformer",
                plot::confusion_matrix(&t.test.metrics.confusion, ["negative", "positive"]),
            );
        }
        None => rep.text("Skipped (--no-transformer)."),
    }

    rep.h2("Conclusion");
    let mut stats = vec![ModelStats::from_logreg(
        format!("TF-IDF + LR ({})", best.penalty),
        &cl.best_model,
        &best.metrics,
    )];
    let mut g = Table::new(&[
        "model",
        "precision",
        "recall",
        "F1",
        "accuracy",
        "support",
        "train s",
        "size",
    ]);
    let num = |x: f64| Cell::num(f3(x));
    g.push(vec![
        Cell::text(format!(
            "TF-IDF + logistic regression ({}, C={}, {})",
            best.penalty,
            crate::linear::fmt_c(best.c),
            best.balancing
        )),
        num(best.precision),
        num(best.recall),
        num(best.f1),
        num(best.accuracy),
        Cell::num(best.support.to_string()),
        Cell::num(format!("{:.1}", best.fit_seconds + cl.tfidf_seconds)),
        Cell::num(format!("{} weights", best.nnz)),
    ]);
    if let Some(t) = &r.transformer {
        g.push(vec![
            Cell::text(&t.model),
            num(t.precision),
            num(t.recall),
            num(t.f1),
            num(t.accuracy),
            Cell::num(t.support.to_string()),
            Cell::num(format!("{:.0}", t.train_seconds)),
            Cell::num(crate::transformer::memory::human_bytes(
                t.summary.model_bytes,
            )),
        ]);
        stats.push(ModelStats::from_transformer(t));
    }
    rep.table(g);
    rep.figure("model-comparison", plot::model_comparison(&stats));
    rep.text(conclusion(best, r.transformer.as_ref()));
    rep
}

/// The report's conclusion, re-derived from this run's numbers.
pub fn conclusion(best: &super::classic::ClassicRow, t: Option<&TransformerReport>) -> String {
    match t {
        None => format!(
            "TF-IDF + logistic regression reaches F1 {:.3}; the transformer part was not run.",
            best.f1
        ),
        Some(t) => {
            let diff = t.f1 - best.f1;
            let cost = t.train_seconds / (best.fit_seconds.max(1e-3));
            let verdict = if diff > 0.01 {
                format!("the transformer is better by {diff:.3} F1")
            } else if diff < -0.01 {
                format!("the classic model is better by {:.3} F1", -diff)
            } else {
                format!("the two are within {:.3} F1 of each other", diff.abs())
            };
            format!(
                "On this split {verdict} (transformer F1 {:.3}, classic F1 {:.3}), while the transformer took {:.0} s to train against \
                 {:.2} s for the logistic regression fit (~{:.0}x). The seed report's conclusion, that the classic model costs far less \
                 for nearly the same quality, is {}.",
                t.f1,
                best.f1,
                t.train_seconds,
                best.fit_seconds,
                cost,
                if diff <= 0.02 {
                    "confirmed here"
                } else {
                    "not confirmed here: the transformer's gain is larger than the seed report found"
                }
            )
        }
    }
}

/// Where `textlab run` writes by default, relative to the current directory.
pub fn default_out() -> &'static Path {
    Path::new("reports/latest")
}
