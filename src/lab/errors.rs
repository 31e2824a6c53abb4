//! Error analysis: the texts a model gets most confidently wrong, for the lab report's
//! discussion of what the model misses (works for any model that gives a probability).

use crate::error::{Error, Result};
use serde::Serialize;

/// One misclassified text.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorCase {
    /// Row in the evaluated set.
    pub row: usize,
    pub label: u8,
    /// P(class 1) the model gave.
    pub score: f64,
    pub text: String,
}

/// The most confident false positives and false negatives.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorAnalysis {
    pub model: String,
    pub threshold: f64,
    pub false_positives: Vec<ErrorCase>,
    pub false_negatives: Vec<ErrorCase>,
    /// Counts over the whole set (not only the `k` shown).
    pub n_false_positives: usize,
    pub n_false_negatives: usize,
}

impl ErrorAnalysis {
    /// The `k` worst mistakes of each kind at `threshold` (score >= threshold predicts 1).
    pub fn new<S: AsRef<str>>(
        model: impl Into<String>,
        texts: &[S],
        labels: &[u8],
        scores: &[f64],
        threshold: f64,
        k: usize,
    ) -> Result<Self> {
        if texts.len() != labels.len() || labels.len() != scores.len() {
            return Err(Error::data(format!(
                "{} texts, {} labels and {} scores must match",
                texts.len(),
                labels.len(),
                scores.len()
            )));
        }
        let case = |i: usize| ErrorCase {
            row: i,
            label: labels[i],
            score: scores[i],
            text: texts[i].as_ref().to_string(),
        };
        let mut fp: Vec<usize> = (0..labels.len())
            .filter(|&i| labels[i] == 0 && scores[i] >= threshold)
            .collect();
        let mut fn_: Vec<usize> = (0..labels.len())
            .filter(|&i| labels[i] == 1 && scores[i] < threshold)
            .collect();
        fp.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
        fn_.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
        Ok(ErrorAnalysis {
            model: model.into(),
            threshold,
            n_false_positives: fp.len(),
            n_false_negatives: fn_.len(),
            false_positives: fp.into_iter().take(k).map(case).collect(),
            false_negatives: fn_.into_iter().take(k).map(case).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::Render;

    #[test]
    fn picks_the_most_confident_mistakes() {
        let texts = ["a", "b", "c", "d", "e"];
        let labels = [0, 0, 1, 1, 0];
        let scores = [0.9, 0.6, 0.1, 0.8, 0.2];
        let e = ErrorAnalysis::new("m", &texts, &labels, &scores, 0.5, 1).unwrap();
        assert_eq!((e.n_false_positives, e.n_false_negatives), (2, 1));
        assert_eq!(e.false_positives[0].text, "a");
        assert_eq!(e.false_negatives[0].text, "c");
        assert!(e.html().contains("<table") && e.text().contains("false negative"));
        assert!(ErrorAnalysis::new("m", &texts, &labels[..2], &scores, 0.5, 1).is_err());
    }
}
