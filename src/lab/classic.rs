//! The classic half of the lab (report sections I.2 and II): TF-IDF + logistic regression, told
//! as the seed report tells it: the out-of-the-box model is weak on imbalanced data, balancing
//! and a hyper-parameter search fix it, and L1 is compared with L2 at their tuned settings.
//!
//! Every number is measured on the test split, which nothing is fitted or chosen on: the search
//! uses cross-validation on train, the decision threshold is chosen on validation.

use crate::balance::{BalanceReport, Balancing};
use crate::data::{Cleaner, Split};
use crate::error::Result;
use crate::features::{Csr, Tfidf, TfidfVectorizer, Vocabulary};
use crate::linear::{
    LogReg, LogRegModel, Penalty, RegPath, Search, SearchResults, SearchRow, TopFeatures, log_space,
};
use crate::metrics::{Evaluation, Metrics, ThresholdSweep};
use crate::plot::{self, Figure};
use serde::Serialize;
use std::fmt;
use std::time::Instant;

/// Validation-F1 gain needed before the decision threshold moves off 0.5.
pub const MIN_THRESHOLD_GAIN: f64 = 0.01;

/// Settings of the classic experiment (a builder with the defaults the main job uses).
#[derive(Debug, Clone)]
pub struct ClassicLab {
    pub cleaner: Cleaner,
    pub tfidf: TfidfVectorizer,
    /// Grid of C for the search and the regularization path.
    pub cs: Vec<f64>,
    pub penalties: Vec<Penalty>,
    pub balancings: Vec<Balancing>,
    pub folds: usize,
    pub seed: u64,
    /// Features tracked along the regularization path and listed as top features.
    pub top_k: usize,
}

impl Default for ClassicLab {
    fn default() -> Self {
        ClassicLab {
            cleaner: Cleaner::new(),
            tfidf: TfidfVectorizer::new()
                .ngrams(1, 2)
                .min_df(2)
                .max_df(0.95)
                .sublinear_tf(true),
            cs: log_space(-1.0, 3.0, 9),
            penalties: vec![Penalty::L1, Penalty::L2],
            balancings: vec![Balancing::None, Balancing::ClassWeight],
            folds: 5,
            seed: 42,
            top_k: 15,
        }
    }
}

impl ClassicLab {
    pub fn new() -> Self {
        Self::default()
    }
    /// A smaller grid (3-fold CV, 5 Cs, two balancings) that runs in seconds: tests, quick notebooks.
    pub fn quick() -> Self {
        ClassicLab {
            cs: log_space(-1.0, 3.0, 5),
            balancings: vec![Balancing::None, Balancing::ClassWeight],
            folds: 3,
            ..Self::default()
        }
    }
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    pub fn cs(mut self, cs: Vec<f64>) -> Self {
        self.cs = cs;
        self
    }
    pub fn folds(mut self, k: usize) -> Self {
        self.folds = k;
        self
    }
    pub fn tfidf(mut self, t: TfidfVectorizer) -> Self {
        self.tfidf = t;
        self
    }

    /// Clean, vectorize (fitted on train only) and return the three matrices.
    pub fn features(&self, split: &Split) -> Result<Features> {
        let start = Instant::now();
        let clean = |c: &crate::data::Corpus| -> Vec<String> {
            c.texts().iter().map(|t| self.cleaner.clean(t)).collect()
        };
        let (train_t, val_t, test_t) = (clean(&split.train), clean(&split.val), clean(&split.test));
        let (tfidf, x_train) = self.tfidf.fit_transform(&train_t)?;
        let x_val = tfidf.transform(&val_t)?;
        let x_test = tfidf.transform(&test_t)?;
        Ok(Features {
            names: tfidf.feature_names(),
            tfidf,
            x_train,
            y_train: split.train.labels(),
            x_val,
            y_val: split.val.labels(),
            x_test,
            y_test: split.test.labels(),
            seconds: start.elapsed().as_secs_f64(),
        })
    }

    /// The whole story on one split.
    pub fn run(&self, split: &Split) -> Result<ClassicReport> {
        let f = self.features(split)?;
        let mut rows = Vec::new();

        // (a) out of the box: L2, C = 1, no balancing, threshold 0.5.
        let base = LogReg::l2().c(1.0);
        let m = base.fit(&f.x_train, &f.y_train)?;
        rows.push(ClassicRow::test(
            "out-of-the-box",
            &m,
            Balancing::None,
            0.5,
            &f,
        )?);

        // (b) the same model with each balancing method.
        let mut balance_reports = Vec::new();
        for bal in [
            Balancing::ClassWeight,
            Balancing::Oversample,
            Balancing::Undersample,
        ] {
            let (m, report) = base.fit_balanced(bal, &f.x_train, &f.y_train, self.seed)?;
            rows.push(ClassicRow::test(
                &format!("balancing: {}", bal.name()),
                &m,
                bal,
                0.5,
                &f,
            )?);
            balance_reports.push(report);
        }

        // (c) grid search with stratified CV on train.
        let search = Search::new()
            .cs(self.cs.clone())
            .penalties(self.penalties.clone())
            .balancings(self.balancings.clone())
            .folds(self.folds)
            .seed(self.seed)
            .run(&f.x_train, &f.y_train)?;

        // (d) each penalty at its own best setting, refitted on all of train.
        let mut tuned: Vec<(SearchRow, LogRegModel)> = Vec::new();
        for &p in &self.penalties {
            if let Some(row) = search.best_for(p) {
                let m = search.refit(row, &f.x_train, &f.y_train, self.seed)?;
                rows.push(ClassicRow::test(
                    &format!("tuned {}", p.to_string().to_uppercase()),
                    &m,
                    row.balancing,
                    0.5,
                    &f,
                )?);
                tuned.push((row.clone(), m));
            }
        }
        let best_row = search.best().clone();
        let (_, best_model) = tuned
            .iter()
            .find(|(r, _)| r.penalty == best_row.penalty)
            .cloned()
            .unwrap_or_else(|| (best_row.clone(), tuned[0].1.clone()));

        // (e) decision threshold of the chosen model, chosen on validation data only.
        let val_scores = best_model.predict_proba(&f.x_val);
        let sweep = ThresholdSweep::new(&f.y_val, &val_scores)?;
        let at_half = Metrics::from_scores(&f.y_val, &val_scores, 0.5)?;
        // A small validation set makes the F1-optimal cut noisy: move off 0.5 only for a clear gain.
        let threshold = if sweep.best_f1 > at_half.f1() + MIN_THRESHOLD_GAIN {
            sweep.best_threshold
        } else {
            0.5
        };
        let stage = if threshold == 0.5 {
            format!(
                "tuned {} (validation keeps threshold 0.5)",
                best_row.penalty.to_string().to_uppercase()
            )
        } else {
            format!(
                "tuned {} + threshold from validation",
                best_row.penalty.to_string().to_uppercase()
            )
        };
        rows.push(ClassicRow::test(
            &stage,
            &best_model,
            best_row.balancing,
            threshold,
            &f,
        )?);
        let best = rows.len() - 1;

        // Curves of both tuned models on test, at the chosen model's threshold rule.
        let evaluations = tuned
            .iter()
            .map(|(r, m)| {
                Evaluation::new(
                    format!(
                        "{} (C={}, {})",
                        r.penalty,
                        crate::linear::fmt_c(r.c),
                        r.balancing.name()
                    ),
                    &f.y_test,
                    &m.predict_proba(&f.x_test),
                    0.5,
                )
            })
            .collect::<Result<Vec<_>>>()?;

        // Regularization paths: how sparsity and validation F1 move with C.
        let mut paths = Vec::new();
        for &p in &self.penalties {
            let lr = LogReg::new(p).class_weighting(crate::linear::ClassWeight::Balanced);
            paths.push(RegPath::compute(
                &lr,
                &self.cs,
                &f.x_train,
                &f.y_train,
                Some((&f.x_val, &f.y_val)),
                &f.names,
                self.top_k,
            )?);
        }

        let top_features = best_model.top_features(&f.names, self.top_k)?;
        Ok(ClassicReport {
            rows,
            best,
            search,
            paths,
            evaluations,
            sweep,
            threshold,
            top_features,
            vocabulary: f.tfidf.vocabulary(20),
            balance_reports,
            n_train: f.y_train.len(),
            n_features: f.names.len(),
            tfidf_seconds: f.seconds,
            best_model,
        })
    }
}

/// Matrices of one split and the fitted vectorizer.
#[derive(Debug, Clone)]
pub struct Features {
    pub tfidf: Tfidf,
    pub names: Vec<String>,
    pub x_train: Csr,
    pub y_train: Vec<u8>,
    pub x_val: Csr,
    pub y_val: Vec<u8>,
    pub x_test: Csr,
    pub y_test: Vec<u8>,
    pub seconds: f64,
}

/// One line of the results table: a model and its test-set numbers.
#[derive(Debug, Clone, Serialize)]
pub struct ClassicRow {
    pub stage: String,
    pub penalty: String,
    #[serde(rename = "C")]
    pub c: f64,
    pub balancing: String,
    pub threshold: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub accuracy: f64,
    /// Positive examples in the test set (the seed report printed `None` here).
    pub support: usize,
    pub nnz: usize,
    pub fit_seconds: f64,
    pub metrics: Metrics,
}

impl ClassicRow {
    fn test(
        stage: &str,
        m: &LogRegModel,
        bal: Balancing,
        threshold: f64,
        f: &Features,
    ) -> Result<ClassicRow> {
        let metrics = Metrics::from_scores(&f.y_test, &m.predict_proba(&f.x_test), threshold)?;
        Ok(ClassicRow {
            stage: stage.to_string(),
            penalty: m.penalty.to_string(),
            c: m.c,
            balancing: bal.name().to_string(),
            threshold,
            precision: metrics.precision(),
            recall: metrics.recall(),
            f1: metrics.f1(),
            accuracy: metrics.accuracy,
            support: metrics.support(),
            nnz: m.nnz,
            fit_seconds: m.fit_seconds,
            metrics,
        })
    }
}

/// Everything the classic experiment measured.
#[derive(Debug, Clone, Serialize)]
pub struct ClassicReport {
    pub rows: Vec<ClassicRow>,
    /// Index in `rows` of the chosen model.
    pub best: usize,
    pub search: SearchResults,
    /// One regularization path per penalty (balanced class weights).
    pub paths: Vec<RegPath>,
    /// Test-set curves of each penalty at its tuned setting.
    pub evaluations: Vec<Evaluation>,
    /// Threshold sweep of the chosen model on validation data.
    pub sweep: ThresholdSweep,
    pub threshold: f64,
    pub top_features: TopFeatures,
    pub vocabulary: Vocabulary,
    pub balance_reports: Vec<BalanceReport>,
    pub n_train: usize,
    pub n_features: usize,
    pub tfidf_seconds: f64,
    #[serde(skip)]
    pub best_model: LogRegModel,
}

impl ClassicReport {
    pub fn best(&self) -> &ClassicRow {
        &self.rows[self.best]
    }
    /// The row of a stage by name (e.g. `out-of-the-box`, `tuned L1`).
    pub fn row(&self, stage: &str) -> Option<&ClassicRow> {
        self.rows.iter().find(|r| r.stage == stage)
    }
}

impl fmt::Display for ClassicReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The same table the notebook shows, as text.
        f.write_str(&crate::display::classic_table(self).to_text())?;
        writeln!(
            f,
            "{} training texts, {} TF-IDF features ({:.2}s)",
            self.n_train, self.n_features, self.tfidf_seconds
        )
    }
}

impl ClassicReport {
    /// The figures of the classic story, named for files.
    pub fn figures(&self) -> Vec<(&'static str, Result<Figure>)> {
        vec![
            ("c-sweep", self.c_sweep_figure()),
            ("regularization-path", self.path_figure()),
            ("confusion-classic", self.confusion_figure()),
            (
                "roc-classic",
                plot::roc(&self.evaluations.iter().collect::<Vec<_>>()),
            ),
            (
                "pr-classic",
                plot::pr(&self.evaluations.iter().collect::<Vec<_>>()),
            ),
            (
                "threshold-classic",
                plot::threshold_sweep(&self.sweep, Some(self.threshold)),
            ),
            ("top-features", self.top_features_figure()),
        ]
    }

    /// Cross-validated F1 against C, one series per (penalty, balancing).
    pub fn c_sweep_figure(&self) -> Result<Figure> {
        plot::search(&self.search)
    }

    /// Coefficient paths and non-zero counts against C, L1 beside L2.
    pub fn path_figure(&self) -> Result<Figure> {
        plot::reg_paths(&self.paths.iter().collect::<Vec<_>>())
    }

    /// Confusion matrix of the chosen model on the test split.
    pub fn confusion_figure(&self) -> Result<Figure> {
        plot::confusion_matrix(&self.best().metrics.confusion, ["negative", "positive"])
    }

    /// The chosen model's strongest positive and negative terms.
    pub fn top_features_figure(&self) -> Result<Figure> {
        plot::features(&self.top_features, ["negative", "positive"])
    }
}
