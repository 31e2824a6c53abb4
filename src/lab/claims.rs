//! Sentences that state a result, computed from the results: who wins, by how much, and whether
//! the margin is larger than the test set's noise (a paired bootstrap interval of the F1
//! difference). A notebook's markdown frames the question; these values give the answer.
//!
//! ```
//! use textlab::lab::Verdict;
//! use textlab::metrics::Evaluation;
//! let y = [0, 0, 1, 1, 0, 1, 0, 0];
//! let a = Evaluation::new("A", &y, &[0.1, 0.2, 0.9, 0.8, 0.3, 0.7, 0.2, 0.1], 0.5).unwrap();
//! let b = Evaluation::new("B", &y, &[0.1, 0.6, 0.9, 0.4, 0.3, 0.7, 0.2, 0.1], 0.5).unwrap();
//! let v = Verdict::between(&a, &b).unwrap();
//! assert!(v.sentence().contains("F1"));
//! ```

use crate::error::Result;
use crate::metrics::{Evaluation, Interval};
use serde::{Deserialize, Serialize};

/// Which of two models the test set prefers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// The first model is better, and the interval of the difference excludes zero.
    FirstWins,
    /// The second model is better, and the interval of the difference excludes zero.
    SecondWins,
    /// The difference is within the noise of the test set.
    Tie,
}

/// Two models compared on the same test rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub first: String,
    pub second: String,
    /// Test F1 of each, with its own interval.
    pub first_f1: Interval,
    pub second_f1: Interval,
    /// `F1(first) - F1(second)` with its paired interval.
    pub difference: Interval,
    pub test_rows: usize,
    pub test_positives: usize,
}

impl Verdict {
    /// Compare `first` with `second` (evaluated on the same rows).
    pub fn between(first: &Evaluation, second: &Evaluation) -> Result<Verdict> {
        Ok(Verdict {
            first: first.name.clone(),
            second: second.name.clone(),
            first_f1: first.f1,
            second_f1: second.f1,
            difference: first.f1_minus(second)?,
            test_rows: first.y_true.len(),
            test_positives: first.metrics.support(),
        })
    }

    pub fn outcome(&self) -> Outcome {
        let d = &self.difference;
        if !d.excludes_zero() {
            Outcome::Tie
        } else if d.estimate > 0.0 {
            Outcome::FirstWins
        } else {
            Outcome::SecondWins
        }
    }

    /// The name of the better model, or `None` for a tie.
    pub fn winner(&self) -> Option<&str> {
        match self.outcome() {
            Outcome::FirstWins => Some(&self.first),
            Outcome::SecondWins => Some(&self.second),
            Outcome::Tie => None,
        }
    }

    /// One sentence: the two scores, the margin and its interval, and what follows from it.
    pub fn sentence(&self) -> String {
        let d = &self.difference;
        let scores = format!(
            "{} F1 {} vs {} F1 {}",
            self.first,
            fmt_interval(&self.first_f1),
            self.second,
            fmt_interval(&self.second_f1)
        );
        let margin = format!(
            "difference {:+.3} (paired 95% interval {:+.3} to {:+.3}, {} test texts, {} positive)",
            d.estimate, d.low, d.high, self.test_rows, self.test_positives
        );
        match self.outcome() {
            Outcome::Tie => format!(
                "{} and {} tie: {scores}; {margin} includes zero, so this test set cannot tell them apart.",
                self.first, self.second
            ),
            _ => {
                let (w, l) = if d.estimate > 0.0 {
                    (&self.first, &self.second)
                } else {
                    (&self.second, &self.first)
                };
                format!(
                    "{w} beats {l} by {:.3} F1: {scores}; {margin} excludes zero.",
                    d.estimate.abs()
                )
            }
        }
    }
}

/// `0.773 (0.741-0.804)`.
pub fn fmt_interval(i: &Interval) -> String {
    format!("{:.3} ({:.3}-{:.3})", i.estimate, i.low, i.high)
}

/// A claim checked against this run: "first beats second" (a finding of the seed report, or a
/// question the lab asks, e.g. whether pretraining pays).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The claim in words, e.g. `the report: L1 beat L2`.
    pub claim: String,
    pub verdict: Verdict,
}

impl Finding {
    /// The claim that `verdict.first` beats `verdict.second`.
    pub fn new(claim: impl Into<String>, verdict: Verdict) -> Finding {
        Finding {
            claim: claim.into(),
            verdict,
        }
    }

    /// `reproduced`, `not reproduced (a tie)` or `reversed`.
    pub fn status(&self) -> &'static str {
        match self.verdict.outcome() {
            Outcome::FirstWins => "reproduced",
            Outcome::Tie => "not reproduced: within the noise",
            Outcome::SecondWins => "reversed",
        }
    }

    pub fn sentence(&self) -> String {
        format!(
            "\"{}\": {} here. {}",
            self.claim,
            self.status(),
            self.verdict.sentence()
        )
    }
}

/// Did MLM pretraining pay? The pretrained arm against the random-init arm of the same run.
pub fn pretraining(t: &crate::lab::transformer::TransformerReport) -> Result<Finding> {
    let arm = t.random_init.as_ref().ok_or_else(|| {
        crate::Error::config(
            "this run has no random-init arm (it runs for the `tiny` model with compare_random_init)",
        )
    })?;
    Ok(Finding::new(
        "MLM pretraining pays, at equal fine-tuning steps",
        Verdict::between(&t.test, &arm.test)?,
    ))
}

/// The closing cell of a notebook: what the numbers on the page showed, one computed sentence
/// each.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Takeaways {
    pub title: String,
    pub points: Vec<String>,
}

impl Takeaways {
    pub fn new(title: impl Into<String>) -> Takeaways {
        Takeaways {
            title: title.into(),
            points: Vec::new(),
        }
    }
    /// Add a sentence (builder style).
    pub fn point(mut self, sentence: impl Into<String>) -> Takeaways {
        self.points.push(sentence.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(name: &str, y: &[u8], pred: &[u8]) -> Evaluation {
        let s: Vec<f64> = pred
            .iter()
            .map(|&p| if p == 1 { 0.9 } else { 0.1 })
            .collect();
        Evaluation::new(name, y, &s, 0.5).unwrap()
    }

    #[test]
    fn a_clear_gap_names_the_winner_and_a_small_one_is_a_tie() {
        let y: Vec<u8> = (0..500).map(|i| u8::from(i % 5 == 0)).collect();
        let good = eval("good", &y, &y);
        let half: Vec<u8> = y
            .iter()
            .enumerate()
            .map(|(i, &t)| if i % 10 == 0 { 0 } else { t })
            .collect();
        let weak = eval("weak", &y, &half);
        let v = Verdict::between(&weak, &good).unwrap();
        assert_eq!(v.outcome(), Outcome::SecondWins);
        assert_eq!(v.winner(), Some("good"));
        assert!(
            v.sentence().starts_with("good beats weak by 0.333"),
            "{}",
            v.sentence()
        );
        let f = Finding::new("weak beat good", v);
        assert_eq!(f.status(), "reversed");
        // One extra miss out of 100 positives is noise.
        let almost: Vec<u8> = y
            .iter()
            .enumerate()
            .map(|(i, &t)| if i == 0 { 0 } else { t })
            .collect();
        let v = Verdict::between(&good, &eval("almost", &y, &almost)).unwrap();
        assert_eq!(v.outcome(), Outcome::Tie);
        assert!(v.sentence().contains("tie"), "{}", v.sentence());
        assert_eq!(
            Finding::new("good beat almost", v).status(),
            "not reproduced: within the noise"
        );
    }
}
