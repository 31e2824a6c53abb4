//! One-call figures of the lab's result types (balancing, linear models, searches, paths,
//! transformer runs), built on the plain-input plots of the other modules.

use super::{
    CvSeries, Figure, ModelStats, PathSeries, TrainingRun, c_sweep, class_distribution,
    regularization_path, top_features, training_curves,
};
use crate::balance::BalanceReport;
use crate::error::Result;
use crate::linear::{LogRegModel, Penalty, RegPath, SearchResults, TopFeatures};
use crate::metrics::Metrics;
use crate::transformer::mlm::MlmRun;
use crate::transformer::train::FineTuneRun;

/// Class counts before and after balancing (a class-weighted report shows the weights too).
pub fn balance(report: &BalanceReport, classes: [&str; 2]) -> Result<Figure> {
    let after = match report.class_weight {
        Some([w0, w1]) => format!("{} (weights {w0:.2} / {w1:.2})", report.method),
        None => format!("after {}", report.method),
    };
    class_distribution(
        &[("before", report.before), (after.as_str(), report.after)],
        classes,
    )
}

/// [`top_features`] of a fitted model's [`TopFeatures`] (all of them, both ways).
pub fn features(top: &TopFeatures, classes: [&str; 2]) -> Result<Figure> {
    let all: Vec<(&str, f64)> = top
        .positive
        .iter()
        .chain(&top.negative)
        .map(|(f, w)| (f.as_str(), *w))
        .collect();
    top_features(&all, top.positive.len().max(top.negative.len()), classes)
}

/// `L1`, `L2`, `elasticnet(0.5)`.
fn penalty_label(p: &Penalty) -> String {
    match p {
        Penalty::L1 => "L1".into(),
        Penalty::L2 => "L2".into(),
        other => other.name(),
    }
}

impl CvSeries {
    /// One series per penalty, each at the balancing of that penalty's best row (named
    /// `L1 (oversample)` when the search tried several balancings).
    pub fn from_search(results: &SearchResults) -> Vec<CvSeries> {
        let mut penalties: Vec<Penalty> = Vec::new();
        for r in &results.rows {
            if !penalties.contains(&r.penalty) {
                penalties.push(r.penalty);
            }
        }
        let several = results
            .rows
            .iter()
            .any(|r| r.balancing != results.rows[0].balancing);
        penalties
            .into_iter()
            .filter_map(|p| {
                let best = results.best_for(p)?;
                let (cs, folds) = results.fold_scores(p, best.balancing);
                let name = if several {
                    format!("{} ({})", penalty_label(&p), best.balancing)
                } else {
                    penalty_label(&p)
                };
                Some(CvSeries::new(name, cs, folds))
            })
            .collect()
    }

    /// One series per (penalty, balancing) pair of the search.
    pub fn from_search_all(results: &SearchResults) -> Vec<CvSeries> {
        let mut pairs = Vec::new();
        for r in &results.rows {
            if !pairs.contains(&(r.penalty, r.balancing)) {
                pairs.push((r.penalty, r.balancing));
            }
        }
        pairs
            .into_iter()
            .map(|(p, b)| {
                let (cs, folds) = results.fold_scores(p, b);
                CvSeries::new(format!("{} ({b})", penalty_label(&p)), cs, folds)
            })
            .collect()
    }
}

/// [`c_sweep`] of a cross-validated search: each penalty at its best balancing.
pub fn search(results: &SearchResults) -> Result<Figure> {
    c_sweep(&CvSeries::from_search(results))
}

impl PathSeries {
    /// The tracked features and sparsity of a computed [`RegPath`].
    pub fn from_reg_path(path: &RegPath) -> PathSeries {
        PathSeries {
            name: penalty_label(&path.penalty),
            cs: path.cs.clone(),
            paths: path
                .features
                .iter()
                .cloned()
                .zip(path.coef.iter().cloned())
                .collect(),
            nnz: path.nnz.clone(),
        }
    }
}

/// [`regularization_path`] of computed paths (e.g. the L1 and the L2 path).
pub fn reg_paths(paths: &[&RegPath]) -> Result<Figure> {
    regularization_path(
        &paths
            .iter()
            .map(|p| PathSeries::from_reg_path(p))
            .collect::<Vec<_>>(),
    )
}

impl TrainingRun {
    /// Training loss and validation F1 per epoch of a fine-tuning run (x = epoch).
    pub fn from_fine_tune(name: impl Into<String>, run: &FineTuneRun) -> TrainingRun {
        TrainingRun::new(name)
            .loss(
                run.history
                    .iter()
                    .map(|e| (e.epoch as f64, e.train_loss))
                    .collect(),
            )
            .val_f1(
                run.history
                    .iter()
                    .map(|e| (e.epoch as f64, e.val_f1))
                    .collect(),
            )
    }

    /// Masked-token loss per step of an MLM pretraining run (x = step).
    pub fn from_mlm(name: impl Into<String>, run: &MlmRun) -> TrainingRun {
        TrainingRun::new(name).loss(run.loss_curve.iter().map(|&(s, l)| (s as f64, l)).collect())
    }
}

/// The masked-token loss of MLM pretraining.
pub fn mlm_loss(run: &MlmRun) -> Result<Figure> {
    training_curves(&[TrainingRun::from_mlm("MLM pretraining", run)], "step")
}

const MB: f64 = 1e6;

impl ModelStats {
    /// A linear model's test metrics, its fit time and the size of its weights (8 bytes per
    /// coefficient, vocabulary not included).
    pub fn from_logreg(name: impl Into<String>, model: &LogRegModel, test: &Metrics) -> ModelStats {
        ModelStats::new(name, test.f1(), test.accuracy)
            .train_secs(model.fit_seconds)
            .size_mb((model.coef.len() + 1) as f64 * 8.0 / MB)
    }
}
