//! The regularization path: one fit per `C` (small to large, each warm-started from the last),
//! recording sparsity, F1 and the coefficients of the most important features, ready to plot.
//!
//! ```
//! use textlab::features::Csr;
//! use textlab::linear::{LogReg, RegPath, log_space};
//! let rows: Vec<Vec<f64>> = (0..30).map(|i| vec![(i % 3) as f64, (i % 5) as f64 / 4.0, 1.0]).collect();
//! let y: Vec<u8> = (0..30).map(|i| u8::from(i % 3 == 0)).collect();
//! let x = Csr::from_dense(&rows).unwrap();
//! let path = RegPath::compute(&LogReg::l1(), &log_space(-2.0, 2.0, 5), &x, &y, None, &["a", "b", "c"], 2).unwrap();
//! assert_eq!(path.nnz.len(), 5);
//! assert!(path.nnz[0] <= path.nnz[4]);
//! ```

use super::params::LogReg;
use super::params::Penalty;
use crate::error::{Error, Result};
use crate::features::Csr;
use crate::metrics::Metrics;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Coefficient paths and sparsity against `C`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegPath {
    pub penalty: Penalty,
    /// Increasing.
    pub cs: Vec<f64>,
    pub nnz: Vec<usize>,
    pub objective: Vec<f64>,
    pub intercept: Vec<f64>,
    pub n_iter: Vec<usize>,
    pub seconds: Vec<f64>,
    /// Positive-class F1 on the training data at each C.
    pub train_f1: Vec<f64>,
    /// Positive-class F1 on the validation data at each C, when given.
    pub val_f1: Option<Vec<f64>>,
    /// The tracked features: those that become non-zero first (ties: larger final |weight|).
    pub features: Vec<String>,
    pub feature_index: Vec<usize>,
    /// `coef[f][k]` is the weight of `features[f]` at `cs[k]`.
    pub coef: Vec<Vec<f64>>,
}

impl RegPath {
    /// Fit `model` (its penalty, class weights and solver settings) at every C in `cs` on
    /// `(x, y)`, tracking the `top_k` features named by `names` (one name per column).
    pub fn compute<S: AsRef<str>>(
        model: &LogReg,
        cs: &[f64],
        x: &Csr,
        y: &[u8],
        val: Option<(&Csr, &[u8])>,
        names: &[S],
        top_k: usize,
    ) -> Result<RegPath> {
        if names.len() != x.n_cols {
            return Err(Error::data(format!(
                "{} feature names for {} columns",
                names.len(),
                x.n_cols
            )));
        }
        if cs.is_empty() {
            return Err(Error::config("the path needs at least one C"));
        }
        let mut cs = cs.to_vec();
        cs.sort_by(f64::total_cmp);
        cs.dedup();
        super::model::check_matrix(x)?;
        let xt = x.transpose();
        let mut p = RegPath {
            penalty: model.check_ref()?.penalty(),
            cs: cs.clone(),
            nnz: vec![],
            objective: vec![],
            intercept: vec![],
            n_iter: vec![],
            seconds: vec![],
            train_f1: vec![],
            val_f1: val.map(|_| vec![]),
            features: vec![],
            feature_index: vec![],
            coef: vec![],
        };
        let mut all = Vec::with_capacity(cs.len());
        let mut prev: Option<super::LogRegModel> = None;
        for &c in &cs {
            let mut lr = model.clone().cold_start().c(c);
            if let Some(m) = &prev {
                lr = lr.warm_start(m);
            }
            let m = lr.fit_transposed(x, &xt, y, None, Instant::now())?;
            p.nnz.push(m.nnz);
            p.objective.push(m.objective);
            p.intercept.push(m.intercept);
            p.n_iter.push(m.n_iter);
            p.seconds.push(m.fit_seconds);
            p.train_f1
                .push(Metrics::from_predictions(y, &m.predict(x))?.f1());
            if let (Some((xv, yv)), Some(v)) = (val, p.val_f1.as_mut()) {
                v.push(m.evaluate(xv, yv)?.f1());
            }
            all.push(m.coef.clone());
            prev = Some(m);
        }
        let last = all.last().map(Vec::as_slice).unwrap_or(&[]);
        let entry = |j: usize| all.iter().position(|w| w[j] != 0.0).unwrap_or(usize::MAX);
        let mut order: Vec<usize> = (0..x.n_cols).filter(|&j| entry(j) != usize::MAX).collect();
        order.sort_by(|&a, &b| {
            entry(a)
                .cmp(&entry(b))
                .then(last[b].abs().total_cmp(&last[a].abs()))
        });
        order.truncate(top_k);
        for j in order {
            p.features.push(names[j].as_ref().to_string());
            p.feature_index.push(j);
            p.coef.push(all.iter().map(|w| w[j]).collect());
        }
        Ok(p)
    }
}
