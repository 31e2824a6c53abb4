//! Logistic regression with L1 / L2 / elastic-net penalties on sparse TF-IDF matrices, the
//! cross-validated search over `C x penalty x balancing`, and the regularization path.
//!
//! The objective is scikit-learn's, so numbers compare one to one:
//! `r(w) + C * sum_i s_i * cw_{y_i} * log(1 + exp(-y_i (x_i . w + b)))`, the intercept `b`
//! unpenalized. The solver is newGLMNET (liblinear's L1 solver) generalized to elastic net, with
//! warm starts, shrinking and a working set (see `src/linear/solver.rs` for how it works).
//!
//! ```
//! use textlab::features::Csr;
//! use textlab::linear::LogReg;
//! let x = Csr::from_dense(&[
//!     vec![1.0, 0.0], vec![0.9, 0.1], vec![0.0, 1.0], vec![0.2, 0.8], vec![0.7, 0.0], vec![0.0, 0.6],
//! ]).unwrap();
//! let y = [1, 1, 0, 0, 1, 0];
//! let model = LogReg::l1().c(10.0).balanced().fit(&x, &y).unwrap();
//! assert!(model.converged);
//! assert_eq!(model.predict(&x), y.to_vec());
//! println!("{model}");
//! ```

mod model;
mod params;
pub mod path;
pub mod search;
mod solver;

pub use model::{KktReport, LogRegModel, TopFeatures};
pub use params::{ClassWeight, LogReg, ParamError, Penalty, ValidLogReg, WarmStart};
pub use path::RegPath;
pub use search::{Folds, Search, SearchResults, SearchRow, log_space};

use crate::error::Result;
use crate::features::Csr;

/// Fit hyper-parameters to data, giving a model (the shape of linfa's `Fit`).
pub trait Fit<X: ?Sized, T: ?Sized> {
    type Object;
    fn fit(&self, x: &X, targets: &T) -> Result<Self::Object>;
}

/// Predict targets for new records (the shape of linfa's `Predict`).
pub trait Predict<X: ?Sized, T> {
    fn predict(&self, x: &X) -> T;
}

impl Fit<Csr, [u8]> for LogReg {
    type Object = LogRegModel;
    fn fit(&self, x: &Csr, targets: &[u8]) -> Result<LogRegModel> {
        LogReg::fit(self, x, targets)
    }
}

impl Fit<Csr, [u8]> for ValidLogReg {
    type Object = LogRegModel;
    fn fit(&self, x: &Csr, targets: &[u8]) -> Result<LogRegModel> {
        ValidLogReg::fit(self, x, targets)
    }
}

impl Predict<Csr, Vec<u8>> for LogRegModel {
    fn predict(&self, x: &Csr) -> Vec<u8> {
        LogRegModel::predict(self, x)
    }
}

/// A C value for a legend or table: `0.001`, `0.3`, `3.16`, `316`, `1e5`.
pub fn fmt_c(c: f64) -> String {
    if !(c.is_finite() && c > 0.0) {
        return format!("{c}");
    }
    if !(1e-4..1e5).contains(&c) {
        return format!("{c:.0e}");
    }
    // Three significant digits, trailing zeros dropped.
    let digits = (2 - c.log10().floor() as i32).max(0) as usize;
    let s = format!("{c:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}
