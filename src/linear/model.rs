//! Fitting ([`LogReg::fit`]) and the fitted model ([`LogRegModel`]): coefficients, intercept, the
//! objective value reached, predictions and the terms with the largest weights.

use super::params::{ClassWeight, LogReg, Penalty, ValidLogReg};
use super::solver::{self, Options, Problem};
use crate::balance::{BalanceReport, Balancing};
use crate::error::{Error, Result};
use crate::features::Csr;
use crate::metrics::Metrics;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// A fitted logistic regression (plain data: clone it, serialize it, display it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogRegModel {
    pub penalty: Penalty,
    pub c: f64,
    /// The class weights `[w0, w1]` the loss used (after resolving `balanced`).
    pub class_weight: [f64; 2],
    pub fit_intercept: bool,
    /// One weight per feature (column of the training matrix).
    pub coef: Vec<f64>,
    pub intercept: f64,
    /// `r(w) + C * sum_i s_i * cw_{y_i} * logloss_i` at the solution (scikit-learn's objective).
    pub objective: f64,
    /// Newton iterations used.
    pub n_iter: usize,
    /// Whether the stopping rule was met within `max_iter`.
    pub converged: bool,
    /// Number of non-zero coefficients.
    pub nnz: usize,
    pub fit_seconds: f64,
    pub n_samples: usize,
    pub tol: f64,
}

/// Terms with the largest positive and negative weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopFeatures {
    /// Largest weights first (evidence for class 1).
    pub positive: Vec<(String, f64)>,
    /// Most negative weights first (evidence for class 0).
    pub negative: Vec<(String, f64)>,
}

impl LogRegModel {
    pub fn n_features(&self) -> usize {
        self.coef.len()
    }

    /// `x_i . w + b` for each row. Columns beyond the fitted width contribute nothing.
    pub fn decision_function(&self, x: &Csr) -> Vec<f64> {
        (0..x.n_rows)
            .map(|i| {
                let (idx, val) = x.row(i);
                self.intercept
                    + idx
                        .iter()
                        .zip(val)
                        .map(|(&j, &v)| self.coef.get(j as usize).map_or(0.0, |w| w * v))
                        .sum::<f64>()
            })
            .collect()
    }

    /// Probability of class 1 for each row.
    pub fn predict_proba(&self, x: &Csr) -> Vec<f64> {
        self.decision_function(x)
            .into_iter()
            .map(|s| 1.0 / (1.0 + (-s).exp()))
            .collect()
    }

    /// Class (0 or 1) of each row: 1 where the decision function is > 0 (probability > 0.5).
    pub fn predict(&self, x: &Csr) -> Vec<u8> {
        self.decision_function(x)
            .into_iter()
            .map(|s| u8::from(s > 0.0))
            .collect()
    }

    /// Metrics of [`predict`](Self::predict) against the truth.
    pub fn evaluate(&self, x: &Csr, y: &[u8]) -> Result<Metrics> {
        self.check_width(x)?;
        Metrics::from_predictions(y, &self.predict(x))
    }

    fn check_width(&self, x: &Csr) -> Result<()> {
        if x.n_cols != self.coef.len() {
            return Err(Error::data(format!(
                "the matrix has {} columns but the model was fitted on {}: transform with the same vectorizer",
                x.n_cols,
                self.coef.len()
            )));
        }
        Ok(())
    }

    /// The `k` largest positive and `k` most negative weights with their terms (`names[j]` names
    /// column `j`); zero weights are never listed.
    pub fn top_features<S: AsRef<str>>(&self, names: &[S], k: usize) -> Result<TopFeatures> {
        if names.len() != self.coef.len() {
            return Err(Error::data(format!(
                "{} feature names for {} coefficients",
                names.len(),
                self.coef.len()
            )));
        }
        let mut order: Vec<usize> = (0..self.coef.len())
            .filter(|&j| self.coef[j] != 0.0)
            .collect();
        order.sort_by(|&a, &b| self.coef[b].total_cmp(&self.coef[a]).then(a.cmp(&b)));
        let pick = |j: &usize| (names[*j].as_ref().to_string(), self.coef[*j]);
        let positive = order
            .iter()
            .filter(|&&j| self.coef[j] > 0.0)
            .take(k)
            .map(pick)
            .collect();
        let negative = order
            .iter()
            .rev()
            .filter(|&&j| self.coef[j] < 0.0)
            .take(k)
            .map(pick)
            .collect();
        Ok(TopFeatures { positive, negative })
    }

    /// The settings that produced this model, warm-started from it (to refit nearby settings).
    pub fn params(&self) -> LogReg {
        LogReg::new(self.penalty)
            .c(self.c)
            .tol(self.tol)
            .fit_intercept(self.fit_intercept)
            .class_weight(self.class_weight)
            .warm_start(self)
    }

    /// How far from optimal this model is on `(x, y)`: the largest and summed violation of the
    /// optimality (KKT) conditions, and the summed violation at `w = 0` for scale.
    pub fn kkt_violation(
        &self,
        x: &Csr,
        y: &[u8],
        sample_weight: Option<&[f64]>,
    ) -> Result<KktReport> {
        self.check_width(x)?;
        let cw = self.class_weight;
        check_matrix(x)?;
        let data = prepare(x, y, sample_weight, cw, self.c)?;
        let (l1, l2) = self.penalty.l1_l2();
        let xt = x.transpose();
        let p = Problem {
            xt: &xt,
            y: &data.ys,
            c: &data.c,
            l1,
            l2,
            fit_intercept: self.fit_intercept,
        };
        let k = solver::kkt(&p, &self.coef, self.intercept);
        Ok(KktReport {
            max: k.max,
            sum: k.sum,
            sum_at_zero: k.sum_at_zero,
        })
    }
}

/// Optimality check of a model (see [`LogRegModel::kkt_violation`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KktReport {
    /// Largest minimum-norm subgradient over the coefficients and the intercept (0 at the optimum).
    pub max: f64,
    pub sum: f64,
    /// Summed violation at `w = 0, b = 0`.
    pub sum_at_zero: f64,
}

/// The CSR invariants the solver relies on (the fields are public, so check them once).
pub(crate) fn check_matrix(x: &Csr) -> Result<()> {
    let ok = x.indptr.len() == x.n_rows + 1
        && x.indptr.first() == Some(&0)
        && x.indptr.windows(2).all(|w| w[0] <= w[1])
        && x.indptr[x.n_rows] == x.indices.len()
        && x.indices.len() == x.data.len()
        && x.indices.iter().all(|&j| (j as usize) < x.n_cols);
    if ok {
        Ok(())
    } else {
        Err(Error::data(
            "malformed sparse matrix (indptr/indices/data inconsistent or a column out of range)",
        ))
    }
}

/// Labels as +-1 and per-example loss weights `C * s_i * cw[y_i]`, after checking the input.
pub(crate) struct Prepared {
    pub ys: Vec<f64>,
    pub c: Vec<f64>,
}

pub(crate) fn prepare(
    x: &Csr,
    y: &[u8],
    sample_weight: Option<&[f64]>,
    cw: [f64; 2],
    c: f64,
) -> Result<Prepared> {
    if x.n_rows != y.len() {
        return Err(Error::data(format!(
            "{} rows but {} labels",
            x.n_rows,
            y.len()
        )));
    }
    if let Some(bad) = y.iter().find(|&&v| v > 1) {
        return Err(Error::data(format!("labels must be 0 or 1, found {bad}")));
    }
    if let Some(v) = x.data.iter().find(|v| !v.is_finite()) {
        return Err(Error::data(format!("the feature matrix contains {v}")));
    }
    if let Some(sw) = sample_weight {
        if sw.len() != y.len() {
            return Err(Error::data(format!(
                "{} sample weights for {} examples",
                sw.len(),
                y.len()
            )));
        }
        if let Some(i) = sw.iter().position(|w| !w.is_finite() || *w < 0.0) {
            return Err(Error::data(format!(
                "sample weight {i} is {}: weights must be finite and >= 0 (NaN or negative weight)",
                sw[i]
            )));
        }
    }
    let weight = |i: usize| sample_weight.map_or(1.0, |s| s[i]);
    let mut have = [false; 2];
    for (i, &v) in y.iter().enumerate() {
        if weight(i) * cw[v as usize] > 0.0 {
            have[v as usize] = true;
        }
    }
    if !have[0] || !have[1] {
        let n1 = y.iter().filter(|&&v| v == 1).count();
        return Err(Error::data(format!(
            "logistic regression needs both classes with positive weight, found {} negative and {n1} positive examples (one class only)",
            y.len() - n1
        )));
    }
    Ok(Prepared {
        ys: y.iter().map(|&v| if v == 1 { 1.0 } else { -1.0 }).collect(),
        c: y.iter()
            .enumerate()
            .map(|(i, &v)| c * weight(i) * cw[v as usize])
            .collect(),
    })
}

impl ValidLogReg {
    /// Fit on a TF-IDF (or any) matrix with 0/1 labels.
    pub fn fit(&self, x: &Csr, y: &[u8]) -> Result<LogRegModel> {
        self.fit_weighted_opt(x, y, None)
    }

    /// Fit with a non-negative weight per example (multiplies its loss, as sklearn's `sample_weight`).
    pub fn fit_weighted(&self, x: &Csr, y: &[u8], sample_weight: &[f64]) -> Result<LogRegModel> {
        self.fit_weighted_opt(x, y, Some(sample_weight))
    }

    /// Balance the training data, then fit: [`Balancing::ClassWeight`] sets the balanced class
    /// weights, the samplers fit on the resampled rows (`seed` picks them); the report says what
    /// changed.
    pub fn fit_balanced(
        &self,
        balancing: Balancing,
        x: &Csr,
        y: &[u8],
        seed: u64,
    ) -> Result<(LogRegModel, BalanceReport)> {
        check_matrix(x)?;
        let data = balancing.apply(x, y, seed)?;
        let lr = match data.class_weight {
            Some(w) => self.to_builder().class_weight(w).check()?,
            None => self.clone(),
        };
        Ok((lr.fit(&data.x, &data.y)?, data.report))
    }

    fn fit_weighted_opt(&self, x: &Csr, y: &[u8], sw: Option<&[f64]>) -> Result<LogRegModel> {
        let start = Instant::now();
        check_matrix(x)?;
        let xt = x.transpose();
        self.fit_transposed(x, &xt, y, sw, start)
    }

    /// The class weights this setting gives on labels `y` (with sample weights, `balanced` uses
    /// the weighted class totals, as scikit-learn >= 1.6 does).
    pub fn resolve_class_weight(
        &self,
        y: &[u8],
        sample_weight: Option<&[f64]>,
    ) -> Result<[f64; 2]> {
        Ok(match (self.class_weight(), sample_weight) {
            (ClassWeight::None, _) => [1.0, 1.0],
            (ClassWeight::Manual(w), _) => w,
            (ClassWeight::Balanced, None) => crate::balance::balanced_class_weights(y)?,
            (ClassWeight::Balanced, Some(sw)) => {
                let mut tot = [0.0f64; 2];
                for (&v, &w) in y.iter().zip(sw) {
                    tot[usize::from(v == 1)] += w;
                }
                if tot[0] <= 0.0 || tot[1] <= 0.0 || !(tot[0] + tot[1]).is_finite() {
                    return Err(Error::data(format!(
                        "balanced class weights need positive total weight in both classes, got {tot:?} (one class only)"
                    )));
                }
                let n = tot[0] + tot[1];
                [n / (2.0 * tot[0]), n / (2.0 * tot[1])]
            }
        })
    }

    /// Fit with the columns of `x` already at hand (`xt = x.transpose()`): searches reuse them.
    pub(crate) fn fit_transposed(
        &self,
        x: &Csr,
        xt: &Csr,
        y: &[u8],
        sw: Option<&[f64]>,
        start: Instant,
    ) -> Result<LogRegModel> {
        prepare(x, y, sw, [1.0, 1.0], 1.0)?;
        let cw = self.resolve_class_weight(y, sw)?;
        let data = prepare(x, y, sw, cw, self.c())?;
        let init = match self.warm_start() {
            Some(ws) if ws.coef.len() != x.n_cols => {
                return Err(Error::config(format!(
                    "warm start has {} coefficients but the matrix has {} columns",
                    ws.coef.len(),
                    x.n_cols
                )));
            }
            Some(ws) => Some((ws.coef.as_slice(), ws.intercept)),
            None => None,
        };
        let (l1, l2) = self.penalty().l1_l2();
        let p = Problem {
            xt,
            y: &data.ys,
            c: &data.c,
            l1,
            l2,
            fit_intercept: self.fit_intercept(),
        };
        let opt = Options {
            tol: self.tol(),
            max_iter: self.max_iter(),
            seed: self.seed(),
        };
        let sol = solver::solve(&p, init, &opt);
        Ok(LogRegModel {
            penalty: self.penalty(),
            c: self.c(),
            class_weight: cw,
            fit_intercept: self.fit_intercept(),
            nnz: sol.w.iter().filter(|v| **v != 0.0).count(),
            coef: sol.w,
            intercept: sol.b,
            objective: sol.objective,
            n_iter: sol.n_iter,
            converged: sol.converged,
            fit_seconds: start.elapsed().as_secs_f64(),
            n_samples: y.len(),
            tol: self.tol(),
        })
    }

    /// This setting's objective (`r(w) + C * sum_i s_i cw_{y_i} logloss_i`) at given coefficients:
    /// compare solutions from elsewhere (scikit-learn) on equal terms.
    pub fn objective(
        &self,
        x: &Csr,
        y: &[u8],
        sample_weight: Option<&[f64]>,
        coef: &[f64],
        intercept: f64,
    ) -> Result<f64> {
        check_matrix(x)?;
        if coef.len() != x.n_cols {
            return Err(Error::data(format!(
                "{} coefficients for {} columns",
                coef.len(),
                x.n_cols
            )));
        }
        prepare(x, y, sample_weight, [1.0, 1.0], 1.0)?;
        let cw = self.resolve_class_weight(y, sample_weight)?;
        let data = prepare(x, y, sample_weight, cw, self.c())?;
        let b = if self.fit_intercept() { intercept } else { 0.0 };
        let z = x.dot(coef);
        let loss: f64 = z
            .iter()
            .zip(&data.ys)
            .zip(&data.c)
            .map(|((&zi, &yi), &ci)| ci * solver::log1p_exp_neg(yi * (zi + b)))
            .sum();
        Ok(loss + self.penalty().value(coef))
    }
}

/// The same methods on the builder: each checks the settings first.
impl LogReg {
    /// Fit on a TF-IDF (or any) matrix with 0/1 labels.
    pub fn fit(&self, x: &Csr, y: &[u8]) -> Result<LogRegModel> {
        self.check_ref()?.fit(x, y)
    }

    /// Fit with a non-negative weight per example (multiplies its loss, as sklearn's `sample_weight`).
    pub fn fit_weighted(&self, x: &Csr, y: &[u8], sample_weight: &[f64]) -> Result<LogRegModel> {
        self.check_ref()?.fit_weighted(x, y, sample_weight)
    }

    /// See [`ValidLogReg::fit_balanced`].
    pub fn fit_balanced(
        &self,
        balancing: Balancing,
        x: &Csr,
        y: &[u8],
        seed: u64,
    ) -> Result<(LogRegModel, BalanceReport)> {
        self.check_ref()?.fit_balanced(balancing, x, y, seed)
    }

    /// See [`ValidLogReg::resolve_class_weight`].
    pub fn resolve_class_weight(
        &self,
        y: &[u8],
        sample_weight: Option<&[f64]>,
    ) -> Result<[f64; 2]> {
        self.check_ref()?.resolve_class_weight(y, sample_weight)
    }

    pub(crate) fn fit_transposed(
        &self,
        x: &Csr,
        xt: &Csr,
        y: &[u8],
        sw: Option<&[f64]>,
        start: Instant,
    ) -> Result<LogRegModel> {
        self.check_ref()?.fit_transposed(x, xt, y, sw, start)
    }

    /// See [`ValidLogReg::objective`].
    pub fn objective(
        &self,
        x: &Csr,
        y: &[u8],
        sample_weight: Option<&[f64]>,
        coef: &[f64],
        intercept: f64,
    ) -> Result<f64> {
        self.check_ref()?
            .objective(x, y, sample_weight, coef, intercept)
    }
}
