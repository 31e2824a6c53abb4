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
use crate::lab::Profile;
use crate::lab::results::{Cost, Family, ModelResult};
use crate::linear::{
    LogReg, LogRegModel, Penalty, RegPath, Search, SearchResults, TopFeatures, log_space,
};
use crate::metrics::{Evaluation, Interval, Metrics, ThresholdSweep, f1_difference};
use crate::plot::{self, Figure};
use serde::Serialize;
use std::time::Instant;

/// Settings of the classic experiment as a builder: one setter per knob (its default in its doc),
/// validated in one place, [`ClassicLab::check`], into the [`ValidClassicLab`] that runs the steps.
/// The step methods on the builder (`features`, `out_of_the_box`, ...) check first, then run.
///
/// ```
/// use textlab::lab::{ClassicLab, Profile};
/// let lab = ClassicLab::for_profile(Profile::Quick).seed(7).check().unwrap();
/// assert_eq!((lab.folds(), lab.seed(), lab.cs().len()), (3, 7, 5));
/// assert!(ClassicLab::new().folds(1).check().is_err());
/// ```
#[derive(Debug, Clone)]
pub struct ClassicLab(ValidClassicLab);

/// Classic settings that passed [`ClassicLab::check`]; read them with the getters.
#[derive(Debug, Clone)]
pub struct ValidClassicLab {
    cleaner: Cleaner,
    tfidf: TfidfVectorizer,
    cs: Vec<f64>,
    penalties: Vec<Penalty>,
    balancings: Vec<Balancing>,
    folds: usize,
    seed: u64,
    top_k: usize,
}

impl Default for ClassicLab {
    fn default() -> Self {
        ClassicLab(ValidClassicLab {
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
        })
    }
}

impl ClassicLab {
    /// The main job's settings: the full profile (see the setters for each default).
    pub fn new() -> Self {
        Self::default()
    }
    /// A smaller grid (3-fold CV, 5 Cs) that runs in seconds: tests, quick notebooks.
    pub fn quick() -> Self {
        Self::default().cs(log_space(-1.0, 3.0, 5)).folds(3)
    }
    /// [`ClassicLab::quick`] or [`ClassicLab::new`].
    pub fn for_profile(profile: Profile) -> Self {
        match profile {
            Profile::Quick => Self::quick(),
            Profile::Full => Self::new(),
        }
    }
    /// Text cleaning before vectorizing (default [`Cleaner::new`]).
    pub fn cleaner(mut self, c: Cleaner) -> Self {
        self.0.cleaner = c;
        self
    }
    /// The vectorizer (default: 1-2 grams, min_df 2, max_df 0.95, sublinear tf).
    pub fn tfidf(mut self, t: TfidfVectorizer) -> Self {
        self.0.tfidf = t;
        self
    }
    /// Grid of C for the search and the regularization paths (default 9 values, 0.1 to 1000;
    /// quick: 5).
    pub fn cs(mut self, cs: Vec<f64>) -> Self {
        self.0.cs = cs;
        self
    }
    /// Penalties searched and tuned (default L1 and L2).
    pub fn penalties(mut self, p: Vec<Penalty>) -> Self {
        self.0.penalties = p;
        self
    }
    /// Balancings the search tries (default none and class weights; step 2 shows all three).
    pub fn balancings(mut self, b: Vec<Balancing>) -> Self {
        self.0.balancings = b;
        self
    }
    /// Cross-validation folds of the search (default 5; quick: 3).
    pub fn folds(mut self, k: usize) -> Self {
        self.0.folds = k;
        self
    }
    /// Seed of the folds and the samplers (default 42).
    pub fn seed(mut self, seed: u64) -> Self {
        self.0.seed = seed;
        self
    }
    /// Features tracked along the regularization path and listed as top features (default 15).
    pub fn top_k(mut self, k: usize) -> Self {
        self.0.top_k = k;
        self
    }

    /// Validate every setting before any fitting.
    pub fn check(self) -> Result<ValidClassicLab> {
        self.check_ref()?;
        Ok(self.0)
    }

    /// [`ClassicLab::check`] without giving up the builder.
    pub fn check_ref(&self) -> Result<&ValidClassicLab> {
        let p = &self.0;
        let bad = |name: &str, value: String, why: &str| crate::Error::BadParam {
            name: name.into(),
            value,
            why: why.into(),
        };
        if p.cs.is_empty() || p.cs.iter().any(|c| !(c.is_finite() && *c > 0.0)) {
            return Err(bad(
                "cs",
                format!("{:?}", p.cs),
                "must hold at least one C, each positive and finite",
            ));
        }
        if p.penalties.is_empty() {
            return Err(bad(
                "penalties",
                "[]".into(),
                "must name at least one penalty",
            ));
        }
        for &pen in &p.penalties {
            LogReg::new(pen).check_ref()?;
        }
        if p.balancings.is_empty() {
            return Err(bad(
                "balancings",
                "[]".into(),
                "must name at least one balancing",
            ));
        }
        if p.folds < 2 {
            return Err(bad(
                "folds",
                p.folds.to_string(),
                "must be at least 2 (cross-validation)",
            ));
        }
        if p.top_k == 0 {
            return Err(bad("top_k", "0".into(), "must be at least 1"));
        }
        Ok(p)
    }

    /// See [`ValidClassicLab::features`].
    pub fn features(&self, split: &Split) -> Result<Features> {
        self.check_ref()?.features(split)
    }
    /// See [`ValidClassicLab::fit_row`].
    pub fn fit_row(
        &self,
        stage: &str,
        lr: &LogReg,
        balancing: Balancing,
        f: &Features,
    ) -> Result<(ClassicRow, BalanceReport)> {
        self.check_ref()?.fit_row(stage, lr, balancing, f)
    }
    /// See [`ValidClassicLab::out_of_the_box`].
    pub fn out_of_the_box(&self, f: &Features) -> Result<ClassicRow> {
        self.check_ref()?.out_of_the_box(f)
    }
    /// See [`ValidClassicLab::balanced`].
    pub fn balanced(&self, f: &Features, balancing: Balancing) -> Result<ClassicRow> {
        self.check_ref()?.balanced(f, balancing)
    }
    /// See [`ValidClassicLab::search`].
    pub fn search(&self, f: &Features) -> Result<SearchResults> {
        self.check_ref()?.search(f)
    }
    /// See [`ValidClassicLab::tuned`].
    pub fn tuned(
        &self,
        f: &Features,
        search: &SearchResults,
        penalty: Penalty,
    ) -> Result<ClassicRow> {
        self.check_ref()?.tuned(f, search, penalty)
    }
    /// See [`ValidClassicLab::threshold`].
    pub fn threshold(&self, f: &Features, row: &ClassicRow) -> Result<ThresholdChoice> {
        self.check_ref()?.threshold(f, row)
    }
    /// See [`ValidClassicLab::classify`].
    pub fn classify<S: AsRef<str>>(
        &self,
        f: &Features,
        row: &ClassicRow,
        texts: &[S],
        classes: [&str; 2],
    ) -> Result<crate::lab::Predictions> {
        self.check_ref()?.classify(f, row, texts, classes)
    }
    /// See [`ValidClassicLab::run`].
    pub fn run(&self, split: &Split) -> Result<ClassicReport> {
        self.check_ref()?.run(split)
    }
    /// See [`ValidClassicLab::paths`].
    pub fn paths(&self, f: &Features) -> Result<Vec<RegPath>> {
        self.check_ref()?.paths(f)
    }
}

impl ValidClassicLab {
    pub fn cleaner(&self) -> &Cleaner {
        &self.cleaner
    }
    pub fn tfidf(&self) -> &TfidfVectorizer {
        &self.tfidf
    }
    pub fn cs(&self) -> &[f64] {
        &self.cs
    }
    pub fn penalties(&self) -> &[Penalty] {
        &self.penalties
    }
    pub fn balancings(&self) -> &[Balancing] {
        &self.balancings
    }
    pub fn folds(&self) -> usize {
        self.folds
    }
    pub fn seed(&self) -> u64 {
        self.seed
    }
    pub fn top_k(&self) -> usize {
        self.top_k
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

    /// Fit `lr` with `balancing` on train and score it on validation and test (threshold 0.5).
    pub fn fit_row(
        &self,
        stage: &str,
        lr: &LogReg,
        balancing: Balancing,
        f: &Features,
    ) -> Result<(ClassicRow, BalanceReport)> {
        let (m, report) = lr.fit_balanced(balancing, &f.x_train, &f.y_train, self.seed)?;
        Ok((ClassicRow::new(stage, m, balancing, 0.5, f)?, report))
    }

    /// Step 1: the model as it comes out of the box (L2, C = 1, no balancing, threshold 0.5).
    pub fn out_of_the_box(&self, f: &Features) -> Result<ClassicRow> {
        Ok(self
            .fit_row(OUT_OF_THE_BOX, &LogReg::l2().c(1.0), Balancing::None, f)?
            .0)
    }

    /// Step 2: the out-of-the-box model trained with one balancing method.
    pub fn balanced(&self, f: &Features, balancing: Balancing) -> Result<ClassicRow> {
        let stage = format!("balancing: {}", balancing.name());
        let (mut row, report) = self.fit_row(&stage, &LogReg::l2().c(1.0), balancing, f)?;
        row.balance = Some(report);
        Ok(row)
    }

    /// Step 3: grid search (C x penalty x balancing) with stratified CV on train.
    pub fn search(&self, f: &Features) -> Result<SearchResults> {
        Search::new()
            .cs(self.cs.clone())
            .penalties(self.penalties.clone())
            .balancings(self.balancings.clone())
            .folds(self.folds)
            .seed(self.seed)
            .run(&f.x_train, &f.y_train)
    }

    /// Step 4: one penalty at its best setting of the search, refitted on all of train.
    pub fn tuned(
        &self,
        f: &Features,
        search: &SearchResults,
        penalty: Penalty,
    ) -> Result<ClassicRow> {
        let row = search.best_for(penalty).ok_or_else(|| {
            crate::Error::config(format!("the search did not try the {penalty} penalty"))
        })?;
        let m = search.refit(row, &f.x_train, &f.y_train, self.seed)?;
        let mut r = ClassicRow::new(
            &format!("tuned {}", penalty.to_string().to_uppercase()),
            m,
            row.balancing,
            0.5,
            f,
        )?;
        r.cv_f1 = Some(row.mean_f1);
        r.result.cost.search_seconds = search.seconds;
        Ok(r)
    }

    /// Step 5: should the decision threshold of `row`'s model move off 0.5? Chosen on the
    /// validation split only, and moved only when the validation gain is larger than its noise
    /// (the paired bootstrap interval of the gain excludes zero).
    pub fn threshold(&self, f: &Features, row: &ClassicRow) -> Result<ThresholdChoice> {
        let val_scores = row.model.predict_proba(&f.x_val);
        let sweep = ThresholdSweep::new(&f.y_val, &val_scores)?;
        let at = |t: f64| -> Vec<u8> { val_scores.iter().map(|&s| u8::from(s >= t)).collect() };
        let gain = f1_difference(&f.y_val, &at(sweep.best_threshold), &at(0.5))?;
        let moved = gain.excludes_zero() && gain.estimate > 0.0;
        let threshold = if moved { sweep.best_threshold } else { 0.5 };
        let stage = format!("{} + validation threshold", row.stage());
        let mut tuned =
            ClassicRow::new(&stage, row.model.clone(), row.balancing_kind, threshold, f)?;
        tuned.cv_f1 = row.cv_f1;
        tuned.result.cost.search_seconds = row.cost.search_seconds;
        Ok(ThresholdChoice {
            sweep,
            best_threshold: threshold,
            gain,
            moved,
            row: moved.then_some(tuned),
            base: row.stage().to_string(),
        })
    }

    /// Classify new texts with a row's model: the same cleaning and vectorizer as training.
    pub fn classify<S: AsRef<str>>(
        &self,
        f: &Features,
        row: &ClassicRow,
        texts: &[S],
        classes: [&str; 2],
    ) -> Result<crate::lab::Predictions> {
        let clean: Vec<String> = texts
            .iter()
            .map(|t| self.cleaner.clean(t.as_ref()))
            .collect();
        let x = f.tfidf.transform(&clean)?;
        Ok(crate::lab::Predictions::new(
            row.stage(),
            texts,
            row.model.predict_proba(&x),
            row.threshold,
            classes,
        ))
    }

    /// The whole story on one split (the CLI and the main job; notebooks call the steps).
    pub fn run(&self, split: &Split) -> Result<ClassicReport> {
        let f = self.features(split)?;
        let mut rows = vec![self.out_of_the_box(&f)?];
        let mut balance_reports = Vec::new();
        for bal in [
            Balancing::ClassWeight,
            Balancing::Oversample,
            Balancing::Undersample,
        ] {
            let mut row = self.balanced(&f, bal)?;
            balance_reports.extend(row.balance.take());
            rows.push(row);
        }
        let search = self.search(&f)?;
        let tuned = self
            .penalties
            .iter()
            .map(|&p| self.tuned(&f, &search, p))
            .collect::<Result<Vec<_>>>()?;
        let evaluations = tuned.iter().map(|r| r.test.clone()).collect();
        rows.extend(tuned);
        // The threshold is tried on the row the validation split prefers, never on test.
        let chosen = best_on_validation(&rows);
        let threshold = self.threshold(&f, &rows[chosen])?;
        rows.extend(threshold.row.clone());
        let best = best_on_validation(&rows);
        let paths = self.paths(&f)?;
        let top_features = rows[best].model.top_features(&f.names, self.top_k)?;
        Ok(ClassicReport {
            best_model: rows[best].model.clone(),
            rows,
            best,
            search,
            paths,
            evaluations,
            threshold,
            top_features,
            vocabulary: f.tfidf.vocabulary(20),
            balance_reports,
            n_train: f.y_train.len(),
            n_features: f.names.len(),
            tfidf_seconds: f.seconds,
        })
    }

    /// Regularization paths (balanced class weights): how sparsity and validation F1 move with C.
    pub fn paths(&self, f: &Features) -> Result<Vec<RegPath>> {
        self.penalties
            .iter()
            .map(|&p| {
                let lr = LogReg::new(p).class_weighting(crate::linear::ClassWeight::Balanced);
                RegPath::compute(
                    &lr,
                    &self.cs,
                    &f.x_train,
                    &f.y_train,
                    Some((&f.x_val, &f.y_val)),
                    &f.names,
                    self.top_k,
                )
            })
            .collect()
    }
}

/// Stage name of the first row.
pub const OUT_OF_THE_BOX: &str = "out-of-the-box";

/// Index of the row with the best validation F1 (the first among ties: the simpler story).
pub fn best_on_validation(rows: &[ClassicRow]) -> usize {
    rows.iter().enumerate().fold(0, |best, (i, r)| {
        if r.val_f1.unwrap_or(f64::MIN) > rows[best].val_f1.unwrap_or(f64::MIN) {
            i
        } else {
            best
        }
    })
}

/// The decision threshold of one model, chosen on validation data.
#[derive(Debug, Clone, Serialize)]
pub struct ThresholdChoice {
    /// The stage whose model was tried.
    pub base: String,
    /// F1 against the threshold, on validation data.
    pub sweep: ThresholdSweep,
    /// The threshold in use: the sweep's best when it moved, else 0.5.
    pub best_threshold: f64,
    /// Validation F1 at the sweep's best threshold minus at 0.5, with its paired interval.
    pub gain: Interval,
    pub moved: bool,
    /// The model at the moved threshold, scored on test (only when it moved).
    pub row: Option<ClassicRow>,
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

/// One line of the results table: a model evaluated (a [`ModelResult`]: its stage as the name,
/// validation F1, test evaluation, cost) and how it was trained. It dereferences to its
/// `ModelResult`, so `row.test`, `row.val_f1` and `row.cost` read through.
#[derive(Debug, Clone, Serialize)]
pub struct ClassicRow {
    #[serde(flatten)]
    pub result: ModelResult,
    pub penalty: String,
    #[serde(rename = "C")]
    pub c: f64,
    pub balancing: String,
    #[serde(skip)]
    pub balancing_kind: Balancing,
    pub threshold: f64,
    /// Mean cross-validated F1 of the setting, for rows chosen by the search.
    pub cv_f1: Option<f64>,
    /// What resampling did to the training set, for balancing rows.
    pub balance: Option<BalanceReport>,
    #[serde(skip)]
    pub model: LogRegModel,
}

impl std::ops::Deref for ClassicRow {
    type Target = ModelResult;
    fn deref(&self) -> &ModelResult {
        &self.result
    }
}

impl ClassicRow {
    fn new(
        stage: &str,
        m: LogRegModel,
        bal: Balancing,
        threshold: f64,
        f: &Features,
    ) -> Result<ClassicRow> {
        let val = Metrics::from_scores(&f.y_val, &m.predict_proba(&f.x_val), threshold)?;
        let test = Evaluation::new(stage, &f.y_test, &m.predict_proba(&f.x_test), threshold)?;
        let result = ModelResult {
            name: stage.to_string(),
            family: Family::Classic,
            val_f1: Some(val.f1()),
            test,
            cost: Cost {
                fit_seconds: f.seconds + m.fit_seconds,
                search_seconds: 0.0,
                peak_memory_bytes: None,
                parameters: m.nnz,
                // f64 weights plus the intercept; the vocabulary is not counted.
                size_bytes: 8 * (m.coef.len() as u64 + 1),
            },
        };
        Ok(ClassicRow {
            result,
            penalty: m.penalty.to_string(),
            c: m.c,
            balancing: bal.name().to_string(),
            balancing_kind: bal,
            threshold,
            cv_f1: None,
            balance: None,
            model: m,
        })
    }

    /// The stage this row stands for (`out-of-the-box`, `tuned L1`, ...): its result's name.
    pub fn stage(&self) -> &str {
        &self.result.name
    }

    /// The test metrics at the row's threshold.
    pub fn metrics(&self) -> &Metrics {
        &self.result.test.metrics
    }
}

/// Everything the classic experiment measured.
#[derive(Debug, Clone, Serialize)]
pub struct ClassicReport {
    pub rows: Vec<ClassicRow>,
    /// Index in `rows` of the chosen model: the best validation F1.
    pub best: usize,
    pub search: SearchResults,
    /// One regularization path per penalty (balanced class weights).
    pub paths: Vec<RegPath>,
    /// Test-set curves of each penalty at its tuned setting.
    pub evaluations: Vec<Evaluation>,
    /// The threshold tried on the model validation preferred.
    pub threshold: ThresholdChoice,
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
        self.rows.iter().find(|r| r.stage() == stage)
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
                plot::threshold_sweep(&self.threshold.sweep, Some(self.threshold.best_threshold)),
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
        plot::confusion_matrix(
            &self.best().test.metrics.confusion,
            ["negative", "positive"],
        )
    }

    /// The chosen model's strongest positive and negative terms.
    pub fn top_features_figure(&self) -> Result<Figure> {
        plot::features(&self.top_features, ["negative", "positive"])
    }
}
