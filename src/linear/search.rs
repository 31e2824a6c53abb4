//! Grid search over `C x penalty x balancing` with stratified k-fold cross-validation, choosing by
//! mean validation F1 of the positive class. Within a fold the Cs are fitted from small to large,
//! each warm-started from the previous solution (the path is cheap that way).
//!
//! ```
//! use textlab::features::Csr;
//! use textlab::linear::{Penalty, Search};
//! use textlab::balance::Balancing;
//! let rows: Vec<Vec<f64>> = (0..40).map(|i| vec![(i % 4) as f64, ((i + 1) % 3) as f64, 1.0]).collect();
//! let y: Vec<u8> = (0..40).map(|i| u8::from(i % 4 >= 2)).collect();
//! let x = Csr::from_dense(&rows).unwrap();
//! let res = Search::new()
//!     .cs([0.1, 1.0, 10.0])
//!     .penalties([Penalty::L1, Penalty::L2])
//!     .balancings([Balancing::None, Balancing::ClassWeight])
//!     .folds(4)
//!     .run(&x, &y)
//!     .unwrap();
//! assert_eq!(res.rows.len(), 12);
//! println!("{res}");
//! assert!(res.best().mean_f1 > 0.9);
//! ```

use super::params::{ClassWeight, LogReg, Penalty};
use crate::balance::Balancing;
use crate::error::{Error, Result};
use crate::features::Csr;
use crate::metrics::Metrics;
use crate::progress::Progress;
use crate::rng::Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::time::Instant;

/// `n` values from `10^lo` to `10^hi`, evenly spaced in log scale (numpy's `logspace`).
pub fn log_space(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    match n {
        0 => vec![],
        1 => vec![10f64.powf(lo)],
        _ => (0..n)
            .map(|k| 10f64.powf(lo + (hi - lo) * k as f64 / (n - 1) as f64))
            .collect(),
    }
}

/// Assignment of each example to one of `k` validation folds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Folds {
    pub k: usize,
    /// `fold_of[i]` is the fold in which example `i` is held out.
    pub fold_of: Vec<usize>,
}

impl Folds {
    /// Stratified folds: each class is shuffled (seeded) and dealt round-robin, so every fold has
    /// nearly the same class ratio. Errors when a class has fewer than `k` examples (a fold would
    /// lack it).
    pub fn stratified(y: &[u8], k: usize, seed: u64) -> Result<Folds> {
        if k < 2 {
            return Err(Error::config(format!(
                "cross-validation needs at least 2 folds, got {k}"
            )));
        }
        let counts = crate::balance::class_counts(y)?;
        for (c, &n) in counts.iter().enumerate() {
            if n < k {
                return Err(Error::data(format!(
                    "class {c} has only {n} examples, fewer than the {k} CV folds: a fold would be missing class {c}; add labelled rows of class {c} (from the command line: a larger --limit or the whole corpus; in code: `Search::folds` lowers k; `--quick` uses 3 folds)"
                )));
            }
        }
        let mut rng = Rng::new(seed);
        let mut fold_of = vec![0; y.len()];
        let mut offset = 0;
        for c in 0..2u8 {
            let mut idx: Vec<usize> = (0..y.len()).filter(|&i| y[i] == c).collect();
            rng.shuffle(&mut idx);
            for (r, &i) in idx.iter().enumerate() {
                fold_of[i] = (r + offset) % k;
            }
            offset += idx.len();
        }
        Ok(Folds { k, fold_of })
    }

    /// Folds given by hand; every fold must hold out both classes and leave both to train on.
    pub fn from_assignment(y: &[u8], fold_of: Vec<usize>) -> Result<Folds> {
        if fold_of.len() != y.len() {
            return Err(Error::data(format!(
                "{} fold numbers for {} examples",
                fold_of.len(),
                y.len()
            )));
        }
        let k = fold_of.iter().max().map_or(0, |m| m + 1);
        let folds = Folds { k, fold_of };
        folds.check(y)?;
        Ok(folds)
    }

    fn check(&self, y: &[u8]) -> Result<()> {
        if self.k < 2 {
            return Err(Error::config("cross-validation needs at least 2 folds"));
        }
        if let Some(&f) = self.fold_of.iter().find(|&&f| f >= self.k) {
            return Err(Error::data(format!(
                "fold number {f} out of range for {} folds",
                self.k
            )));
        }
        let total = crate::balance::class_counts(y)?;
        let mut held = vec![[0usize; 2]; self.k];
        for (&f, &v) in self.fold_of.iter().zip(y) {
            held[f][v as usize] += 1;
        }
        for (f, h) in held.iter().enumerate() {
            if let Some(c) = h.iter().position(|&n| n == 0) {
                return Err(Error::data(format!(
                    "class {c} is missing from CV fold {f}: its F1 would be undefined; use `Folds::stratified` (in code) or add labelled rows of class {c}"
                )));
            }
        }
        for (f, h) in held.iter().enumerate() {
            for (c, (&n, &t)) in h.iter().zip(&total).enumerate() {
                if n == t {
                    return Err(Error::data(format!(
                        "CV fold {f} holds out every example of class {c}, leaving none to train on"
                    )));
                }
            }
        }
        Ok(())
    }

    /// Training and validation rows of fold `f`.
    pub fn split(&self, f: usize) -> (Vec<usize>, Vec<usize>) {
        (0..self.fold_of.len()).partition(|&i| self.fold_of[i] != f)
    }
}

/// The grid and the CV settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Search {
    penalties: Vec<Penalty>,
    cs: Vec<f64>,
    balancings: Vec<Balancing>,
    folds: usize,
    seed: u64,
    /// Settings shared by every fit (penalty, C and class weights are overridden by the grid).
    base: LogReg,
}

impl Default for Search {
    fn default() -> Self {
        Search::new()
    }
}

impl Search {
    /// Defaults: penalties L1 and L2, `C` in `log_space(-2, 3, 11)`, balancing none and class
    /// weights, 5 folds, seed 0, solver settings of `LogReg::default()`.
    pub fn new() -> Search {
        Search {
            penalties: vec![Penalty::L1, Penalty::L2],
            cs: log_space(-2.0, 3.0, 11),
            balancings: vec![Balancing::None, Balancing::ClassWeight],
            folds: 5,
            seed: 0,
            base: LogReg::default(),
        }
    }
    pub fn cs(mut self, cs: impl IntoIterator<Item = f64>) -> Self {
        self.cs = cs.into_iter().collect();
        self
    }
    pub fn penalties(mut self, p: impl IntoIterator<Item = Penalty>) -> Self {
        self.penalties = p.into_iter().collect();
        self
    }
    pub fn balancings(mut self, b: impl IntoIterator<Item = Balancing>) -> Self {
        self.balancings = b.into_iter().collect();
        self
    }
    pub fn folds(mut self, k: usize) -> Self {
        self.folds = k;
        self
    }
    /// Seed of the fold assignment and of the samplers.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Solver settings (tol, max_iter, intercept) for every fit.
    pub fn base(mut self, base: LogReg) -> Self {
        self.base = base;
        self
    }

    /// Validate the grid (and every setting in it) before any fitting.
    pub fn check(&self) -> Result<()> {
        if self.cs.is_empty() || self.penalties.is_empty() || self.balancings.is_empty() {
            return Err(Error::config(
                "the search grid is empty: give at least one C, penalty and balancing",
            ));
        }
        for &p in &self.penalties {
            for &c in &self.cs {
                self.base.clone().with_penalty(p).c(c).check()?;
            }
        }
        if self.folds < 2 {
            return Err(Error::config(format!(
                "cross-validation needs at least 2 folds, got {}",
                self.folds
            )));
        }
        Ok(())
    }

    /// Stratified k-fold CV over the whole grid.
    pub fn run(&self, x: &Csr, y: &[u8]) -> Result<SearchResults> {
        self.check()?;
        let folds = Folds::stratified(y, self.folds, self.seed)?;
        self.run_with_folds(x, y, &folds)
    }

    /// CV over the grid with given folds.
    pub fn run_with_folds(&self, x: &Csr, y: &[u8], folds: &Folds) -> Result<SearchResults> {
        self.check()?;
        if x.n_rows != y.len() {
            return Err(Error::data(format!(
                "{} rows but {} labels",
                x.n_rows,
                y.len()
            )));
        }
        if folds.fold_of.len() != y.len() {
            return Err(Error::data(format!(
                "folds for {} examples, data has {}",
                folds.fold_of.len(),
                y.len()
            )));
        }
        folds.check(y)?;
        super::model::check_matrix(x)?;
        let start = Instant::now();
        let mut cs = self.cs.clone();
        cs.sort_by(f64::total_cmp);
        cs.dedup();
        let (nb, np, nc, k) = (
            self.balancings.len(),
            self.penalties.len(),
            cs.len(),
            folds.k,
        );
        let cell = |b: usize, p: usize, c: usize| (b * np + p) * nc + c;
        let progress = Mutex::new(Progress::new("search", (nb * np * nc * k) as u64));
        // Folds are independent (each has its own split, balancing seed and warm-start chain),
        // so they run in parallel; the scores do not depend on the number of threads.
        let per_fold: Vec<Vec<FoldScore>> = (0..k)
            .into_par_iter()
            .map(|f| -> Result<Vec<FoldScore>> {
                let (tr, va) = folds.split(f);
                let x_tr = x.select_rows(&tr);
                let y_tr: Vec<u8> = tr.iter().map(|&i| y[i]).collect();
                let x_va = x.select_rows(&va);
                let y_va: Vec<u8> = va.iter().map(|&i| y[i]).collect();
                let mut scores = vec![FoldScore::default(); nb * np * nc];
                for (bi, bal) in self.balancings.iter().enumerate() {
                    let t0 = Instant::now();
                    let data = bal.apply(&x_tr, &y_tr, self.seed.wrapping_add(f as u64))?;
                    let xt = data.x.transpose();
                    let prep_secs = t0.elapsed().as_secs_f64();
                    for (pi, &pen) in self.penalties.iter().enumerate() {
                        let mut prev: Option<super::LogRegModel> = None;
                        for (ci, &c) in cs.iter().enumerate() {
                            let t = Instant::now();
                            let mut lr = self
                                .base
                                .clone()
                                .cold_start()
                                .with_penalty(pen)
                                .c(c)
                                .class_weighting(ClassWeight::None);
                            if let Some(w) = data.class_weight {
                                lr = lr.class_weight(w);
                            }
                            if let Some(m) = &prev {
                                lr = lr.warm_start(m);
                            }
                            let m = lr.fit_transposed(&data.x, &xt, &data.y, None, t)?;
                            let met = Metrics::from_predictions(&y_va, &m.predict(&x_va))?;
                            scores[cell(bi, pi, ci)] = FoldScore {
                                f1: met.f1(),
                                nnz: m.nnz,
                                seconds: t.elapsed().as_secs_f64() + prep_secs / (np * nc) as f64,
                                converged: m.converged,
                            };
                            prev = Some(m);
                            if let Ok(mut p) = progress.lock() {
                                p.set_message(format!(
                                    "fold {} {} {} C={}",
                                    f + 1,
                                    bal,
                                    pen,
                                    super::fmt_c(c)
                                ));
                                p.inc(1);
                            }
                        }
                    }
                }
                Ok(scores)
            })
            .collect::<Result<_>>()?;
        let mut f1 = vec![vec![0.0; k]; nb * np * nc];
        let mut nnz = vec![0.0; nb * np * nc];
        let mut secs = vec![0.0; nb * np * nc];
        let mut all_converged = vec![true; nb * np * nc];
        for (f, scores) in per_fold.iter().enumerate() {
            for (id, s) in scores.iter().enumerate() {
                f1[id][f] = s.f1;
                nnz[id] += s.nnz as f64 / k as f64;
                secs[id] += s.seconds;
                all_converged[id] &= s.converged;
            }
        }
        if let Ok(p) = progress.into_inner() {
            p.finish();
        }
        let mut rows = Vec::with_capacity(nb * np * nc);
        for (bi, &bal) in self.balancings.iter().enumerate() {
            for (pi, &pen) in self.penalties.iter().enumerate() {
                for (ci, &c) in cs.iter().enumerate() {
                    let id = cell(bi, pi, ci);
                    let fs = &f1[id];
                    let mean = fs.iter().sum::<f64>() / k as f64;
                    let var = fs.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / k as f64;
                    rows.push(SearchRow {
                        penalty: pen,
                        c,
                        balancing: bal,
                        mean_f1: mean,
                        std_f1: var.sqrt(),
                        fold_f1: fs.clone(),
                        mean_nnz: nnz[id],
                        seconds: secs[id],
                        converged: all_converged[id],
                    });
                }
            }
        }
        let mut best = 0;
        for (i, r) in rows.iter().enumerate() {
            if r.mean_f1 > rows[best].mean_f1 {
                best = i;
            }
        }
        Ok(SearchResults {
            rows,
            best,
            folds: k,
            seed: self.seed,
            seconds: start.elapsed().as_secs_f64(),
            base: self.base.clone().cold_start(),
        })
    }
}

/// One fit's validation score inside the search.
#[derive(Debug, Clone, Copy, Default)]
struct FoldScore {
    f1: f64,
    nnz: usize,
    seconds: f64,
    converged: bool,
}

/// One grid point: its cross-validated F1 and cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchRow {
    pub penalty: Penalty,
    pub c: f64,
    pub balancing: Balancing,
    /// Mean over folds of the positive-class F1 on the held-out fold.
    pub mean_f1: f64,
    /// Population standard deviation of the fold F1s (as sklearn's `std_test_score`).
    pub std_f1: f64,
    pub fold_f1: Vec<f64>,
    /// Mean number of non-zero coefficients over the folds.
    pub mean_nnz: f64,
    /// Fit time of this grid point summed over the folds (folds run in parallel, so this can
    /// exceed its share of the wall time).
    pub seconds: f64,
    /// Whether every fold's fit met the stopping rule.
    pub converged: bool,
}

/// The whole table of a search and the chosen row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    /// Ordered by balancing, then penalty, then increasing C.
    pub rows: Vec<SearchRow>,
    /// Index in `rows` of the best mean F1 (the first, i.e. smallest C, among ties).
    pub best: usize,
    pub folds: usize,
    pub seed: u64,
    pub seconds: f64,
    /// Solver settings used for every fit.
    pub base: LogReg,
}

impl SearchResults {
    pub fn best(&self) -> &SearchRow {
        &self.rows[self.best]
    }

    /// Rows from best to worst mean F1.
    pub fn ranked(&self) -> Vec<&SearchRow> {
        let mut v: Vec<&SearchRow> = self.rows.iter().collect();
        v.sort_by(|a, b| b.mean_f1.total_cmp(&a.mean_f1));
        v
    }

    /// The best row of one penalty (e.g. "L1 vs L2 at their best settings").
    pub fn best_for(&self, penalty: Penalty) -> Option<&SearchRow> {
        self.rows.iter().filter(|r| r.penalty == penalty).fold(
            None,
            |acc: Option<&SearchRow>, r| match acc {
                Some(a) if a.mean_f1 >= r.mean_f1 => Some(a),
                _ => Some(r),
            },
        )
    }

    /// For plotting F1 against C: the Cs of one (penalty, balancing) series and each C's fold F1s.
    pub fn fold_scores(&self, penalty: Penalty, balancing: Balancing) -> (Vec<f64>, Vec<Vec<f64>>) {
        self.rows
            .iter()
            .filter(|r| r.penalty == penalty && r.balancing == balancing)
            .map(|r| (r.c, r.fold_f1.clone()))
            .unzip()
    }

    /// Refit a row's settings on a whole training set (class weights, or resampling with `seed`).
    pub fn refit(
        &self,
        row: &SearchRow,
        x: &Csr,
        y: &[u8],
        seed: u64,
    ) -> Result<super::LogRegModel> {
        let lr = self
            .base
            .clone()
            .with_penalty(row.penalty)
            .c(row.c)
            .class_weighting(ClassWeight::None);
        Ok(lr.fit_balanced(row.balancing, x, y, seed)?.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stratified_folds_keep_the_ratio_and_are_seeded() {
        let y: Vec<u8> = (0..103).map(|i| u8::from(i % 4 == 0)).collect();
        let f = Folds::stratified(&y, 5, 3).unwrap();
        for k in 0..5 {
            let (_, va) = f.split(k);
            let pos = va.iter().filter(|&&i| y[i] == 1).count();
            assert!((5..=6).contains(&pos), "fold {k}: {pos} positives");
            assert!((20..=21).contains(&va.len()));
        }
        assert_eq!(f, Folds::stratified(&y, 5, 3).unwrap());
        assert_ne!(f, Folds::stratified(&y, 5, 4).unwrap());
    }

    #[test]
    fn a_class_missing_from_a_fold_is_an_error() {
        let y = [1, 1, 0, 0, 0, 0, 0, 0];
        let e = Folds::stratified(&y, 3, 0).unwrap_err();
        assert!(e.to_string().contains("missing class 1"), "{e}");
        let e = Folds::from_assignment(&y, vec![0, 0, 0, 1, 1, 1, 0, 1]).unwrap_err();
        assert!(
            e.to_string().contains("class 1 is missing from CV fold 1"),
            "{e}"
        );
        assert!(Folds::from_assignment(&y, vec![0, 1, 0, 1, 0, 1, 0, 1]).is_ok());
    }

    #[test]
    fn log_space_matches_numpy() {
        let v = log_space(-2.0, 2.0, 5);
        assert_eq!(v.len(), 5);
        assert!(
            (v[0] - 0.01).abs() < 1e-15
                && (v[2] - 1.0).abs() < 1e-15
                && (v[4] - 100.0).abs() < 1e-12
        );
    }
}
