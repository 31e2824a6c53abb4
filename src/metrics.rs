//! Binary classification metrics: precision, recall, F1, accuracy and *support* (the real count,
//! never `None`), the confusion matrix, ROC and precision-recall curves, and the threshold sweep.
//!
//! Conventions follow scikit-learn so that numbers can be compared one to one: a ratio whose
//! denominator is zero is 0 (sklearn's `zero_division=0`), AUC is the trapezoid under the full ROC
//! curve, and average precision is `sum_n (R_n - R_{n-1}) P_n` over decreasing thresholds.
//!
//! ```
//! use textlab::metrics::Metrics;
//! let m = Metrics::from_predictions(&[1, 0, 1, 0], &[1, 0, 0, 0]).unwrap();
//! assert_eq!(m.positive.support, 2);
//! assert_eq!(m.positive.recall, 0.5);
//! ```

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// Counts of the 2x2 confusion matrix (positive class = label 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Confusion {
    pub tn: usize,
    pub fp: usize,
    pub fn_: usize,
    pub tp: usize,
}

impl Confusion {
    pub fn total(&self) -> usize {
        self.tn + self.fp + self.fn_ + self.tp
    }
    /// Rows are the true class (0, 1), columns the predicted class (0, 1), as sklearn prints it.
    pub fn matrix(&self) -> [[usize; 2]; 2] {
        [[self.tn, self.fp], [self.fn_, self.tp]]
    }
}

/// Precision, recall, F1 and support of one class.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ClassMetrics {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Number of true examples of this class.
    pub support: usize,
}

/// All the numbers of a binary classification, for the positive class and per class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// The positive class (label 1): the numbers the lab report quotes.
    pub positive: ClassMetrics,
    pub negative: ClassMetrics,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub weighted_f1: f64,
    pub confusion: Confusion,
    /// Decision threshold on the positive-class probability, when predictions came from scores.
    pub threshold: Option<f64>,
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

fn f1(p: f64, r: f64) -> f64 {
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

fn check_labels(y: &[u8], what: &str) -> Result<()> {
    if let Some(bad) = y.iter().find(|&&v| v > 1) {
        return Err(Error::data(format!("{what} must be 0 or 1, found {bad}")));
    }
    Ok(())
}

impl Metrics {
    /// Metrics of hard predictions against the truth.
    pub fn from_predictions(y_true: &[u8], y_pred: &[u8]) -> Result<Metrics> {
        if y_true.len() != y_pred.len() {
            return Err(Error::data(format!(
                "{} true labels but {} predictions",
                y_true.len(),
                y_pred.len()
            )));
        }
        if y_true.is_empty() {
            return Err(Error::data("no examples to evaluate"));
        }
        check_labels(y_true, "true labels")?;
        check_labels(y_pred, "predicted labels")?;
        let mut c = Confusion::default();
        for (&t, &p) in y_true.iter().zip(y_pred) {
            tally(&mut c, t, p);
        }
        Ok(Self::from_confusion(c, None))
    }

    /// Metrics of positive-class scores (probabilities) cut at `threshold` (score >= threshold is 1).
    pub fn from_scores(y_true: &[u8], scores: &[f64], threshold: f64) -> Result<Metrics> {
        check_scores(scores)?;
        let mut m = Self::from_predictions(y_true, &predictions(scores, threshold))?;
        m.threshold = Some(threshold);
        Ok(m)
    }

    pub fn from_confusion(c: Confusion, threshold: Option<f64>) -> Metrics {
        let pos_support = c.tp + c.fn_;
        let neg_support = c.tn + c.fp;
        let pp = ratio(c.tp, c.tp + c.fp);
        let pr = ratio(c.tp, pos_support);
        let np = ratio(c.tn, c.tn + c.fn_);
        let nr = ratio(c.tn, neg_support);
        let positive = ClassMetrics {
            precision: pp,
            recall: pr,
            f1: f1(pp, pr),
            support: pos_support,
        };
        let negative = ClassMetrics {
            precision: np,
            recall: nr,
            f1: f1(np, nr),
            support: neg_support,
        };
        let n = c.total();
        Metrics {
            positive,
            negative,
            accuracy: ratio(c.tp + c.tn, n),
            macro_f1: (positive.f1 + negative.f1) / 2.0,
            weighted_f1: if n == 0 {
                0.0
            } else {
                (positive.f1 * pos_support as f64 + negative.f1 * neg_support as f64) / n as f64
            },
            confusion: c,
            threshold,
        }
    }

    /// Positive-class precision (shorthand for notebooks).
    pub fn precision(&self) -> f64 {
        self.positive.precision
    }
    pub fn recall(&self) -> f64 {
        self.positive.recall
    }
    pub fn f1(&self) -> f64 {
        self.positive.f1
    }
    /// Number of positive examples evaluated.
    pub fn support(&self) -> usize {
        self.positive.support
    }

    /// The text scikit-learn's `classification_report` prints, with the same layout.
    pub fn classification_report(&self) -> String {
        let n = self.confusion.total();
        let mut s = format!(
            "{:>12} {:>9} {:>9} {:>9} {:>9}\n\n",
            "", "precision", "recall", "f1-score", "support"
        );
        for (name, c) in [("0", &self.negative), ("1", &self.positive)] {
            s += &format!(
                "{:>12} {:>9.2} {:>9.2} {:>9.2} {:>9}\n",
                name, c.precision, c.recall, c.f1, c.support
            );
        }
        s += "\n";
        s += &format!(
            "{:>12} {:>9} {:>9} {:>9.2} {:>9}\n",
            "accuracy", "", "", self.accuracy, n
        );
        let (p, r) = (&self.positive, &self.negative);
        s += &format!(
            "{:>12} {:>9.2} {:>9.2} {:>9.2} {:>9}\n",
            "macro avg",
            (p.precision + r.precision) / 2.0,
            (p.recall + r.recall) / 2.0,
            self.macro_f1,
            n
        );
        let w = |a: f64, b: f64| {
            if n == 0 {
                0.0
            } else {
                (a * p.support as f64 + b * r.support as f64) / n as f64
            }
        };
        s += &format!(
            "{:>12} {:>9.2} {:>9.2} {:>9.2} {:>9}\n",
            "weighted avg",
            w(p.precision, r.precision),
            w(p.recall, r.recall),
            self.weighted_f1,
            n
        );
        s
    }
}

fn check_scores(scores: &[f64]) -> Result<()> {
    if let Some(i) = scores.iter().position(|s| !s.is_finite()) {
        return Err(Error::data(format!(
            "score {i} is {} (NaN or infinite): the model diverged or the input had NaN",
            scores[i]
        )));
    }
    Ok(())
}

/// For each distinct score (descending): cumulative true and false positives when cutting there.
fn cumulative_counts(y_true: &[u8], scores: &[f64]) -> Result<(Vec<f64>, Vec<usize>, Vec<usize>)> {
    if y_true.len() != scores.len() {
        return Err(Error::data(format!(
            "{} true labels but {} scores",
            y_true.len(),
            scores.len()
        )));
    }
    check_labels(y_true, "true labels")?;
    check_scores(scores)?;
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut th, mut tps, mut fps) = (Vec::new(), Vec::new(), Vec::new());
    let (mut tp, mut fp) = (0usize, 0usize);
    for (k, &i) in order.iter().enumerate() {
        if y_true[i] == 1 {
            tp += 1
        } else {
            fp += 1
        }
        let last_of_tie = k + 1 == order.len() || scores[order[k + 1]] != scores[i];
        if last_of_tie {
            th.push(scores[i]);
            tps.push(tp);
            fps.push(fp);
        }
    }
    Ok((th, tps, fps))
}

fn need_both_classes(y_true: &[u8], what: &str) -> Result<(usize, usize)> {
    let pos = y_true.iter().filter(|&&v| v == 1).count();
    let neg = y_true.len() - pos;
    if pos == 0 || neg == 0 {
        return Err(Error::data(format!(
            "{what} needs both classes in the evaluated labels, found {pos} positive and {neg} negative"
        )));
    }
    Ok((pos, neg))
}

/// Receiver operating characteristic curve with its area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RocCurve {
    pub fpr: Vec<f64>,
    pub tpr: Vec<f64>,
    /// `thresholds[i]` gives (`fpr[i]`, `tpr[i]`); the first point (0, 0) has threshold +inf
    /// (JSON has no infinity: it is written as `null` and read back as +inf).
    #[serde(deserialize_with = "nulls_are_infinite")]
    pub thresholds: Vec<f64>,
    pub auc: f64,
}

fn nulls_are_infinite<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
    let v: Vec<Option<f64>> = Deserialize::deserialize(d)?;
    Ok(v.into_iter().map(|x| x.unwrap_or(f64::INFINITY)).collect())
}

impl RocCurve {
    pub fn new(y_true: &[u8], scores: &[f64]) -> Result<RocCurve> {
        let (pos, neg) = need_both_classes(y_true, "a ROC curve")?;
        let (th, tps, fps) = cumulative_counts(y_true, scores)?;
        let mut fpr = vec![0.0];
        let mut tpr = vec![0.0];
        let mut thresholds = vec![f64::INFINITY];
        for k in 0..th.len() {
            fpr.push(fps[k] as f64 / neg as f64);
            tpr.push(tps[k] as f64 / pos as f64);
            thresholds.push(th[k]);
        }
        let auc = fpr
            .windows(2)
            .zip(tpr.windows(2))
            .map(|(x, y)| (x[1] - x[0]) * (y[1] + y[0]) / 2.0)
            .sum();
        Ok(RocCurve {
            fpr,
            tpr,
            thresholds,
            auc,
        })
    }
}

/// Precision-recall curve with average precision (sklearn's definition, no interpolation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrCurve {
    /// Ordered by increasing threshold, ending at (recall 0, precision 1) as sklearn does.
    pub precision: Vec<f64>,
    pub recall: Vec<f64>,
    pub thresholds: Vec<f64>,
    pub average_precision: f64,
}

impl PrCurve {
    pub fn new(y_true: &[u8], scores: &[f64]) -> Result<PrCurve> {
        let (pos, _) = need_both_classes(y_true, "a precision-recall curve")?;
        let (th, tps, fps) = cumulative_counts(y_true, scores)?;
        // Decreasing thresholds first, then reversed to sklearn's order.
        let mut precision = Vec::with_capacity(th.len() + 1);
        let mut recall = Vec::with_capacity(th.len() + 1);
        let mut ap = 0.0;
        let mut prev_r = 0.0;
        for k in 0..th.len() {
            let p = tps[k] as f64 / (tps[k] + fps[k]) as f64;
            let r = tps[k] as f64 / pos as f64;
            ap += (r - prev_r) * p;
            prev_r = r;
            precision.push(p);
            recall.push(r);
        }
        // sklearn stops at the first threshold reaching full recall.
        let stop = recall
            .iter()
            .position(|&r| r >= 1.0)
            .map_or(th.len(), |i| i + 1);
        let mut precision: Vec<f64> = precision[..stop].iter().rev().copied().collect();
        let mut recall: Vec<f64> = recall[..stop].iter().rev().copied().collect();
        let thresholds: Vec<f64> = th[..stop].iter().rev().copied().collect();
        precision.push(1.0);
        recall.push(0.0);
        Ok(PrCurve {
            precision,
            recall,
            thresholds,
            average_precision: ap,
        })
    }
}

/// Precision, recall and F1 of the positive class at every distinct threshold, and the F1-optimal
/// one. Choose the threshold on validation data and apply it to test data, never the reverse.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThresholdSweep {
    pub thresholds: Vec<f64>,
    pub precision: Vec<f64>,
    pub recall: Vec<f64>,
    pub f1: Vec<f64>,
    pub best_threshold: f64,
    pub best_f1: f64,
}

impl ThresholdSweep {
    pub fn new(y_true: &[u8], scores: &[f64]) -> Result<ThresholdSweep> {
        let (pos, _) = need_both_classes(y_true, "a threshold sweep")?;
        let (th, tps, fps) = cumulative_counts(y_true, scores)?;
        let mut s = ThresholdSweep {
            thresholds: Vec::new(),
            precision: Vec::new(),
            recall: Vec::new(),
            f1: Vec::new(),
            best_threshold: 0.5,
            best_f1: -1.0,
        };
        // Increasing thresholds read better on a plot.
        for k in (0..th.len()).rev() {
            let p = tps[k] as f64 / (tps[k] + fps[k]) as f64;
            let r = tps[k] as f64 / pos as f64;
            let f = f1(p, r);
            s.thresholds.push(th[k]);
            s.precision.push(p);
            s.recall.push(r);
            s.f1.push(f);
            if f > s.best_f1 {
                s.best_f1 = f;
                // Cut halfway to the next lower score so tiny score shifts on new data do not flip.
                let lower = if k + 1 < th.len() { th[k + 1] } else { th[k] };
                s.best_threshold = (th[k] + lower) / 2.0;
            }
        }
        Ok(s)
    }
}

/// Resamples of the bootstrap intervals: enough for a stable 2.5% / 97.5% percentile.
pub const BOOTSTRAP_RESAMPLES: usize = 1000;
/// Seed of the bootstrap resampling, fixed so that an interval is the same on every machine.
pub const BOOTSTRAP_SEED: u64 = 7;

/// A point estimate with its 95% bootstrap interval (percentile method).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Interval {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
}

impl Interval {
    /// Half the width of the interval: the "+-" a reader quotes.
    pub fn half_width(&self) -> f64 {
        (self.high - self.low) / 2.0
    }
    /// The interval excludes zero: a difference that the test set can tell apart from none.
    pub fn excludes_zero(&self) -> bool {
        self.low > 0.0 || self.high < 0.0
    }
}

fn percentile_interval(estimate: f64, mut draws: Vec<f64>) -> Interval {
    draws.sort_by(f64::total_cmp);
    let at = |q: f64| draws[((draws.len() - 1) as f64 * q).round() as usize];
    Interval {
        estimate,
        low: at(0.025),
        high: at(0.975),
    }
}

fn positive_f1(c: &Confusion) -> f64 {
    f1(ratio(c.tp, c.tp + c.fp), ratio(c.tp, c.tp + c.fn_))
}

/// F1 of the positive class with a 95% bootstrap interval: the test rows are resampled with
/// replacement [`BOOTSTRAP_RESAMPLES`] times (seeded), so the interval says how much the score
/// would move on another test set of the same size.
pub fn f1_interval(y_true: &[u8], y_pred: &[u8]) -> Result<Interval> {
    let estimate = Metrics::from_predictions(y_true, y_pred)?.f1();
    let mut rng = crate::rng::Rng::new(BOOTSTRAP_SEED);
    let n = y_true.len();
    let draws = (0..BOOTSTRAP_RESAMPLES)
        .map(|_| {
            let mut c = Confusion::default();
            for _ in 0..n {
                let i = rng.below(n);
                tally(&mut c, y_true[i], y_pred[i]);
            }
            positive_f1(&c)
        })
        .collect();
    Ok(percentile_interval(estimate, draws))
}

/// `F1(a) - F1(b)` on the same test rows, with a paired 95% bootstrap interval (both models are
/// scored on the same resampled rows, which removes the test set's own luck from the margin).
pub fn f1_difference(y_true: &[u8], pred_a: &[u8], pred_b: &[u8]) -> Result<Interval> {
    let fa = Metrics::from_predictions(y_true, pred_a)?.f1();
    let fb = Metrics::from_predictions(y_true, pred_b)?.f1();
    let mut rng = crate::rng::Rng::new(BOOTSTRAP_SEED);
    let n = y_true.len();
    let draws = (0..BOOTSTRAP_RESAMPLES)
        .map(|_| {
            let (mut ca, mut cb) = (Confusion::default(), Confusion::default());
            for _ in 0..n {
                let i = rng.below(n);
                tally(&mut ca, y_true[i], pred_a[i]);
                tally(&mut cb, y_true[i], pred_b[i]);
            }
            positive_f1(&ca) - positive_f1(&cb)
        })
        .collect();
    Ok(percentile_interval(fa - fb, draws))
}

fn tally(c: &mut Confusion, t: u8, p: u8) {
    match (t, p) {
        (0, 0) => c.tn += 1,
        (0, _) => c.fp += 1,
        (_, 0) => c.fn_ += 1,
        _ => c.tp += 1,
    }
}

/// Everything about one model on one evaluation set: metrics at the threshold, the F1 interval,
/// curves, and the scores themselves (so that two evaluations on the same rows can be compared
/// later, e.g. after loading them from a results file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub name: String,
    pub metrics: Metrics,
    /// Test F1 with its 95% bootstrap interval.
    pub f1: Interval,
    pub roc: RocCurve,
    pub pr: PrCurve,
    pub y_true: Vec<u8>,
    /// P(positive) of every row.
    pub scores: Vec<f64>,
}

impl Evaluation {
    pub fn new(
        name: impl Into<String>,
        y_true: &[u8],
        scores: &[f64],
        threshold: f64,
    ) -> Result<Self> {
        let metrics = Metrics::from_scores(y_true, scores, threshold)?;
        Ok(Evaluation {
            name: name.into(),
            f1: f1_interval(y_true, &predictions(scores, threshold))?,
            metrics,
            roc: RocCurve::new(y_true, scores)?,
            pr: PrCurve::new(y_true, scores)?,
            y_true: y_true.to_vec(),
            scores: scores.to_vec(),
        })
    }

    /// The decision threshold the metrics were taken at.
    pub fn threshold(&self) -> f64 {
        self.metrics.threshold.unwrap_or(0.5)
    }

    /// Hard predictions at the evaluation's threshold.
    pub fn predictions(&self) -> Vec<u8> {
        predictions(&self.scores, self.threshold())
    }

    /// `F1(self) - F1(other)` with a paired bootstrap interval. Both must be evaluated on the
    /// same rows in the same order.
    pub fn f1_minus(&self, other: &Evaluation) -> Result<Interval> {
        if self.y_true != other.y_true {
            return Err(Error::data(format!(
                "`{}` and `{}` were evaluated on different rows ({} and {}): compare models on the same test split",
                self.name,
                other.name,
                self.y_true.len(),
                other.y_true.len()
            )));
        }
        f1_difference(&self.y_true, &self.predictions(), &other.predictions())
    }
}

fn predictions(scores: &[f64], threshold: f64) -> Vec<u8> {
    scores.iter().map(|&s| u8::from(s >= threshold)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_case() {
        // tp=2 fp=1 fn=1 tn=3
        let t = [1, 1, 1, 0, 0, 0, 0];
        let p = [1, 1, 0, 1, 0, 0, 0];
        let m = Metrics::from_predictions(&t, &p).unwrap();
        assert_eq!(
            m.confusion,
            Confusion {
                tn: 3,
                fp: 1,
                fn_: 1,
                tp: 2
            }
        );
        assert!((m.precision() - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.recall() - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.accuracy - 5.0 / 7.0).abs() < 1e-12);
        assert_eq!(m.support(), 3);
        assert_eq!(m.negative.support, 4);
        assert!((m.negative.precision - 0.75).abs() < 1e-12);
        let report = m.classification_report();
        assert!(report.contains("support"));
        assert!(
            report.contains("           1      0.67      0.67      0.67         3"),
            "{report}"
        );
        assert!(
            report.contains("    accuracy                          0.71         7"),
            "{report}"
        );
    }

    #[test]
    fn zero_division_is_zero_like_sklearn() {
        let m = Metrics::from_predictions(&[1, 0, 0], &[0, 0, 0]).unwrap();
        assert_eq!(m.precision(), 0.0);
        assert_eq!(m.f1(), 0.0);
        assert_eq!(m.support(), 1);
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(Metrics::from_predictions(&[1, 0], &[1]).is_err());
        assert!(Metrics::from_predictions(&[], &[]).is_err());
        assert!(Metrics::from_predictions(&[2, 0], &[1, 0]).is_err());
        let e = Metrics::from_scores(&[1, 0], &[f64::NAN, 0.1], 0.5).unwrap_err();
        assert!(e.to_string().contains("NaN"), "{e}");
        let e = RocCurve::new(&[1, 1], &[0.2, 0.3]).unwrap_err();
        assert!(e.to_string().contains("both classes"), "{e}");
    }

    #[test]
    fn roc_auc_and_average_precision_match_sklearn() {
        // sklearn: roc_auc_score -> 0.75, average_precision_score -> 0.8333333333333333
        let y = [0, 0, 1, 1];
        let s = [0.1, 0.4, 0.35, 0.8];
        let roc = RocCurve::new(&y, &s).unwrap();
        assert!((roc.auc - 0.75).abs() < 1e-12);
        let pr = PrCurve::new(&y, &s).unwrap();
        assert!((pr.average_precision - 0.833_333_333_333_333_3).abs() < 1e-12);
        // sklearn precision_recall_curve: precision [0.5, 0.667, 0.5, 1, 1], recall [1, 1, .5, .5, 0]
        assert_eq!(pr.recall, vec![1.0, 0.5, 0.5, 0.0]);
        assert_eq!(pr.thresholds, vec![0.35, 0.4, 0.8]);
        // ties: a constant score is a coin flip
        let roc = RocCurve::new(&[0, 1, 0, 1], &[0.5; 4]).unwrap();
        assert!((roc.auc - 0.5).abs() < 1e-12);
    }

    #[test]
    fn threshold_sweep_finds_the_separating_cut() {
        let y = [0, 0, 0, 1, 1];
        let s = [0.1, 0.2, 0.6, 0.7, 0.9];
        let sw = ThresholdSweep::new(&y, &s).unwrap();
        assert_eq!(sw.best_f1, 1.0);
        assert!(sw.best_threshold > 0.6 && sw.best_threshold <= 0.7);
        let m = Metrics::from_scores(&y, &s, sw.best_threshold).unwrap();
        assert_eq!(m.f1(), 1.0);
    }

    #[test]
    fn bootstrap_interval_brackets_the_estimate_and_shrinks_with_more_rows() {
        // 40 rows, 20 positive, 15 found, 5 false alarms: F1 = 0.75.
        let mut y = vec![1u8; 20];
        y.extend([0u8; 20]);
        let mut p = vec![1u8; 15];
        p.extend([0u8; 5]);
        p.extend([1u8; 5]);
        p.extend([0u8; 15]);
        let small = f1_interval(&y, &p).unwrap();
        assert!((small.estimate - 0.75).abs() < 1e-12);
        assert!(small.low < 0.75 && small.high > 0.75, "{small:?}");
        let (y4, p4) = (y.repeat(16), p.repeat(16));
        let big = f1_interval(&y4, &p4).unwrap();
        assert!((big.estimate - 0.75).abs() < 1e-12);
        // sqrt(16) = 4: the interval should be about four times narrower.
        let ratio = small.half_width() / big.half_width();
        assert!((2.8..5.5).contains(&ratio), "{small:?} {big:?}");
    }

    #[test]
    fn paired_difference_sees_a_real_gap_and_no_gap() {
        let y: Vec<u8> = (0..400).map(|i| u8::from(i % 5 == 0)).collect();
        let perfect = y.clone();
        // Misses half of the positives.
        let weak: Vec<u8> = y
            .iter()
            .enumerate()
            .map(|(i, &t)| if i % 10 == 0 { 0 } else { t })
            .collect();
        let d = f1_difference(&y, &perfect, &weak).unwrap();
        assert!(d.estimate > 0.3 && d.excludes_zero(), "{d:?}");
        let same = f1_difference(&y, &weak, &weak).unwrap();
        assert_eq!((same.low, same.estimate, same.high), (0.0, 0.0, 0.0));
        assert!(!same.excludes_zero());
    }

    #[test]
    fn evaluations_on_other_rows_cannot_be_compared() {
        let a = Evaluation::new("a", &[0, 1, 1, 0], &[0.2, 0.9, 0.4, 0.1], 0.5).unwrap();
        let b = Evaluation::new("b", &[0, 1, 0], &[0.2, 0.9, 0.4], 0.5).unwrap();
        let e = a.f1_minus(&b).unwrap_err();
        assert!(e.to_string().contains("same test split"), "{e}");
        assert_eq!(a.predictions(), vec![0, 1, 0, 0]);
    }
}
