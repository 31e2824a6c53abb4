//! Hyper-parameters of logistic regression as a builder ([`LogReg`]), validated in one place
//! ([`LogReg::check`]) into [`ValidLogReg`], the only settings the solver accepts.

use crate::error::Error;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The regularization term `r(w)` of scikit-learn's objective `r(w) + C * sum_i s_i * logloss_i`.
/// The intercept is never penalized.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Penalty {
    /// `r(w) = 0`: plain (weighted) maximum likelihood. Diverges on separable data.
    None,
    /// `r(w) = ||w||^2 / 2`.
    L2,
    /// `r(w) = ||w||_1`: sparse models, one weight per kept term.
    L1,
    /// `r(w) = l1_ratio * ||w||_1 + (1 - l1_ratio) * ||w||^2 / 2`, `l1_ratio` in `[0, 1]`.
    ElasticNet { l1_ratio: f64 },
}

impl Penalty {
    /// The weights `(l1, l2)` of `l1 * |w_j| + l2 * w_j^2 / 2`.
    pub fn l1_l2(&self) -> (f64, f64) {
        match *self {
            Penalty::None => (0.0, 0.0),
            Penalty::L2 => (0.0, 1.0),
            Penalty::L1 => (1.0, 0.0),
            Penalty::ElasticNet { l1_ratio } => (l1_ratio, 1.0 - l1_ratio),
        }
    }

    /// `r(w)` for a coefficient vector (intercept excluded).
    pub fn value(&self, w: &[f64]) -> f64 {
        let (l1, l2) = self.l1_l2();
        w.iter().map(|&v| l1 * v.abs() + 0.5 * l2 * v * v).sum()
    }

    /// Short name for tables: `none`, `l2`, `l1`, `elasticnet(0.5)`.
    pub fn name(&self) -> String {
        match self {
            Penalty::None => "none".into(),
            Penalty::L2 => "l2".into(),
            Penalty::L1 => "l1".into(),
            Penalty::ElasticNet { l1_ratio } => format!("elasticnet({l1_ratio})"),
        }
    }
}

impl fmt::Display for Penalty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.name())
    }
}

impl std::str::FromStr for Penalty {
    type Err = Error;
    /// `none`, `l1`, `l2`, `elasticnet` (l1_ratio 0.5), `elasticnet(0.3)` or `elasticnet:0.3`.
    fn from_str(s: &str) -> crate::Result<Penalty> {
        let s = s.trim().to_ascii_lowercase();
        let bad = || {
            Error::config(format!(
                "unknown penalty `{s}`; use none, l1, l2, elasticnet or elasticnet(0.3)"
            ))
        };
        match s.as_str() {
            "none" => return Ok(Penalty::None),
            "l1" => return Ok(Penalty::L1),
            "l2" => return Ok(Penalty::L2),
            "elasticnet" | "elastic_net" | "elastic-net" => {
                return Ok(Penalty::ElasticNet { l1_ratio: 0.5 });
            }
            _ => {}
        }
        let rest = s.strip_prefix("elasticnet").ok_or_else(bad)?;
        let num = rest
            .trim_start_matches([':', '(', '='])
            .trim_end_matches(')');
        let l1_ratio: f64 = num.parse().map_err(|_| bad())?;
        Ok(Penalty::ElasticNet { l1_ratio })
    }
}

/// Per-class weights multiplying each example's loss (on top of sample weights).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub enum ClassWeight {
    /// Both classes weigh 1.
    #[default]
    None,
    /// scikit-learn's `"balanced"`: `n / (2 * count[c])`, computed on the training labels.
    Balanced,
    /// `[w0, w1]`.
    Manual([f64; 2]),
}

/// Why a setting was rejected (matchable; it converts into [`Error::BadParam`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamError {
    #[error("C must be positive and finite, got {0} (C is the inverse regularization strength)")]
    NonPositiveC(f64),
    #[error("l1_ratio must be in [0, 1], got {0}")]
    L1RatioOutOfRange(f64),
    #[error("tol must be positive and finite, got {0}")]
    NonPositiveTol(f64),
    #[error("max_iter must be at least 1")]
    ZeroMaxIter,
    #[error("class weights must be finite and >= 0 with at least one > 0, got {0:?}")]
    BadClassWeight([f64; 2]),
    #[error("warm start has non-finite coefficients (NaN or infinite)")]
    BadWarmStart,
}

impl From<ParamError> for Error {
    fn from(e: ParamError) -> Error {
        let (name, value, why) = match e {
            ParamError::NonPositiveC(c) => (
                "C",
                c.to_string(),
                "must be positive and finite (C is the inverse regularization strength)",
            ),
            ParamError::L1RatioOutOfRange(r) => ("l1_ratio", r.to_string(), "must be in [0, 1]"),
            ParamError::NonPositiveTol(t) => ("tol", t.to_string(), "must be positive and finite"),
            ParamError::ZeroMaxIter => ("max_iter", "0".into(), "must be at least 1"),
            ParamError::BadClassWeight(w) => (
                "class_weight",
                format!("{w:?}"),
                "must be finite and >= 0 with at least one > 0",
            ),
            ParamError::BadWarmStart => (
                "warm_start",
                "(coefficients)".into(),
                "must be finite (no NaN or infinite value)",
            ),
        };
        Error::BadParam {
            name: name.into(),
            value,
            why: why.into(),
        }
    }
}

/// Where the solver starts: the coefficients and intercept of an earlier fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WarmStart {
    pub coef: Vec<f64>,
    pub intercept: f64,
}

/// Logistic regression settings that passed [`LogReg::check`]: what `fit` runs on, so the solver
/// never sees an invalid setting. Read them with the getters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidLogReg {
    penalty: Penalty,
    c: f64,
    tol: f64,
    max_iter: usize,
    fit_intercept: bool,
    class_weight: ClassWeight,
    seed: u64,
    #[serde(skip)]
    warm: Option<WarmStart>,
}

impl ValidLogReg {
    pub fn penalty(&self) -> Penalty {
        self.penalty
    }
    pub fn c(&self) -> f64 {
        self.c
    }
    pub fn tol(&self) -> f64 {
        self.tol
    }
    pub fn max_iter(&self) -> usize {
        self.max_iter
    }
    pub fn fit_intercept(&self) -> bool {
        self.fit_intercept
    }
    pub fn class_weight(&self) -> ClassWeight {
        self.class_weight
    }
    pub fn seed(&self) -> u64 {
        self.seed
    }
    pub fn warm_start(&self) -> Option<&WarmStart> {
        self.warm.as_ref()
    }
    /// Back to a builder, to change a setting.
    pub fn to_builder(&self) -> LogReg {
        LogReg(self.clone())
    }
}

/// Logistic regression settings (scikit-learn's conventions) as a builder: one setter per knob,
/// validated in one place, [`LogReg::check`], into a [`ValidLogReg`]; `fit` gives a
/// [`LogRegModel`](super::LogRegModel).
///
/// ```
/// use textlab::linear::{LogReg, ParamError, Penalty};
/// let m = LogReg::l1().c(10.0).balanced().tol(1e-6).check().unwrap();
/// assert_eq!((m.penalty(), m.c(), m.tol()), (Penalty::L1, 10.0, 1e-6));
/// assert_eq!(LogReg::l2().c(0.0).check(), Err(ParamError::NonPositiveC(0.0)));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LogReg(ValidLogReg);

impl Default for LogReg {
    fn default() -> Self {
        LogReg::new(Penalty::L2)
    }
}

impl LogReg {
    /// Defaults: `C = 1`, `tol = 1e-4`, `max_iter = 100`, intercept fitted, no class weights,
    /// seed 0 (the coordinate order), cold start.
    pub fn new(penalty: Penalty) -> LogReg {
        LogReg(ValidLogReg {
            penalty,
            c: 1.0,
            tol: 1e-4,
            max_iter: 100,
            fit_intercept: true,
            class_weight: ClassWeight::None,
            seed: 0,
            warm: None,
        })
    }
    /// L1 (lasso) penalty: sparse coefficients.
    pub fn l1() -> LogReg {
        LogReg::new(Penalty::L1)
    }
    /// L2 (ridge) penalty, scikit-learn's default.
    pub fn l2() -> LogReg {
        LogReg::new(Penalty::L2)
    }
    /// Elastic net with the given `l1_ratio` in `[0, 1]`.
    pub fn elastic_net(l1_ratio: f64) -> LogReg {
        LogReg::new(Penalty::ElasticNet { l1_ratio })
    }
    /// No penalty.
    pub fn unpenalized() -> LogReg {
        LogReg::new(Penalty::None)
    }

    /// Inverse regularization strength (default 1): the loss is multiplied by `C`.
    pub fn c(mut self, c: f64) -> Self {
        self.0.c = c;
        self
    }
    /// The penalty (default: the constructor's; [`LogReg::default`] is L2).
    pub fn with_penalty(mut self, penalty: Penalty) -> Self {
        self.0.penalty = penalty;
        self
    }
    /// Stopping tolerance (default 1e-4, liblinear's rule: the summed KKT violation must fall below
    /// `tol * max(min(#pos, #neg), 1) / n` times its value at `w = 0`).
    pub fn tol(mut self, tol: f64) -> Self {
        self.0.tol = tol;
        self
    }
    /// Maximum Newton iterations (default 100); the model's `converged` says if it was enough.
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.0.max_iter = max_iter;
        self
    }
    /// Fit an unpenalized intercept (default true).
    pub fn fit_intercept(mut self, yes: bool) -> Self {
        self.0.fit_intercept = yes;
        self
    }
    /// scikit-learn's `class_weight="balanced"` (default: no class weights).
    pub fn balanced(mut self) -> Self {
        self.0.class_weight = ClassWeight::Balanced;
        self
    }
    /// Loss weights `[w0, w1]` of the two classes (default `[1, 1]`).
    pub fn class_weight(mut self, w: [f64; 2]) -> Self {
        self.0.class_weight = ClassWeight::Manual(w);
        self
    }
    /// The class weighting as a value (default [`ClassWeight::None`]).
    pub fn class_weighting(mut self, w: ClassWeight) -> Self {
        self.0.class_weight = w;
        self
    }
    /// Seed of the coordinate order (default 0); results agree across seeds up to `tol`.
    pub fn seed(mut self, seed: u64) -> Self {
        self.0.seed = seed;
        self
    }
    /// Start from an earlier model's coefficients (same features) instead of zero (default: zero).
    pub fn warm_start(mut self, model: &super::LogRegModel) -> Self {
        self.0.warm = Some(WarmStart {
            coef: model.coef.clone(),
            intercept: model.intercept,
        });
        self
    }
    /// Start from given coefficients and intercept.
    pub fn warm_start_from(mut self, coef: Vec<f64>, intercept: f64) -> Self {
        self.0.warm = Some(WarmStart { coef, intercept });
        self
    }
    /// Forget any warm start.
    pub fn cold_start(mut self) -> Self {
        self.0.warm = None;
        self
    }

    /// Validate every setting, giving the checked settings `fit` runs on.
    pub fn check(self) -> Result<ValidLogReg, ParamError> {
        self.check_ref()?;
        Ok(self.0)
    }

    /// [`LogReg::check`] without giving up the builder.
    pub fn check_ref(&self) -> Result<&ValidLogReg, ParamError> {
        let p = &self.0;
        if !positive_finite(p.c) {
            return Err(ParamError::NonPositiveC(p.c));
        }
        if let Penalty::ElasticNet { l1_ratio } = p.penalty
            && !(0.0..=1.0).contains(&l1_ratio)
        {
            return Err(ParamError::L1RatioOutOfRange(l1_ratio));
        }
        if !positive_finite(p.tol) {
            return Err(ParamError::NonPositiveTol(p.tol));
        }
        if p.max_iter == 0 {
            return Err(ParamError::ZeroMaxIter);
        }
        if let ClassWeight::Manual(w) = p.class_weight
            && (w.iter().any(|v| !v.is_finite() || *v < 0.0) || w.iter().all(|v| *v == 0.0))
        {
            return Err(ParamError::BadClassWeight(w));
        }
        if let Some(ws) = &p.warm
            && (!ws.intercept.is_finite() || ws.coef.iter().any(|v| !v.is_finite()))
        {
            return Err(ParamError::BadWarmStart);
        }
        Ok(p)
    }
}

fn positive_finite(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_rejects_each_bad_setting() {
        assert_eq!(
            LogReg::l1().c(0.0).check(),
            Err(ParamError::NonPositiveC(0.0))
        );
        assert_eq!(LogReg::l1().c(3.0).check().map(|p| p.c()), Ok(3.0));
        assert!(matches!(
            LogReg::l1().c(f64::NAN).check(),
            Err(ParamError::NonPositiveC(_))
        ));
        assert_eq!(
            LogReg::elastic_net(1.5).check(),
            Err(ParamError::L1RatioOutOfRange(1.5))
        );
        assert!(LogReg::l2().tol(0.0).check().is_err());
        assert_eq!(
            LogReg::l2().max_iter(0).check(),
            Err(ParamError::ZeroMaxIter)
        );
        assert!(LogReg::l2().class_weight([f64::NAN, 1.0]).check().is_err());
        assert!(LogReg::l2().class_weight([-1.0, 1.0]).check().is_err());
        assert!(
            LogReg::l2()
                .warm_start_from(vec![f64::NAN], 0.0)
                .check()
                .is_err()
        );
        assert!(LogReg::elastic_net(0.0).check().is_ok());
        let e: Error = ParamError::NonPositiveC(-1.0).into();
        assert!(
            matches!(&e, Error::BadParam { name, value, .. } if name == "C" && value == "-1"),
            "{e:?}"
        );
        assert!(e.to_string().contains("C -1 must be positive"), "{e}");
    }

    #[test]
    fn penalty_parses_and_prints() {
        assert_eq!("l1".parse::<Penalty>().unwrap(), Penalty::L1);
        assert_eq!(
            "elasticnet(0.3)".parse::<Penalty>().unwrap(),
            Penalty::ElasticNet { l1_ratio: 0.3 }
        );
        assert!("l3".parse::<Penalty>().is_err());
        assert_eq!(
            Penalty::ElasticNet { l1_ratio: 0.5 }.to_string(),
            "elasticnet(0.5)"
        );
        assert_eq!(
            Penalty::ElasticNet { l1_ratio: 0.5 }.value(&[2.0, -1.0]),
            0.5 * 3.0 + 0.25 * 5.0
        );
    }
}
