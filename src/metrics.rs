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
            match (t, p) {
                (0, 0) => c.tn += 1,
                (0, _) => c.fp += 1,
                (_, 0) => c.fn_ += 1,
                _ => c.tp += 1,
            }
        }
        Ok(Self::from_confusion(c, None))
    }

    /// Metrics of positive-class scores (probabilities) cut at `threshold` (score >= threshold is 1).
    pub fn from_scores(y_true: &[u8], scores: &[f64], threshold: f64) -> Result<Metrics> {
        check_scores(scores)?;
        let pred: Vec<u8> = scores.iter().map(|&s| u8::from(s >= threshold)).collect();
        let mut m = Self::from_predictions(y_true, &pred)?;
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
    /// `thresholds[i]` gives (`fpr[i]`, `tpr[i]`); the first point (0, 0) has threshold +inf.
    pub thresholds: Vec<f64>,
    pub auc: f64,
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

/// Everything about one model on one evaluation set: metrics at the threshold plus curves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub name: String,
    pub metrics: Metrics,
    pub roc: RocCurve,
    pub pr: PrCurve,
}

impl Evaluation {
    pub fn new(
        name: impl Into<String>,
        y_true: &[u8],
        scores: &[f64],
        threshold: f64,
    ) -> Result<Self> {
        Ok(Evaluation {
            name: name.into(),
            metrics: Metrics::from_scores(y_true, scores, threshold)?,
            roc: RocCurve::new(y_true, scores)?,
            pr: PrCurve::new(y_true, scores)?,
        })
    }
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
}
