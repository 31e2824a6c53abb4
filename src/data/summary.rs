//! What a corpus looks like: rows, class balance, text lengths, per subset.

use super::corpus::Corpus;
use serde::Serialize;

/// Text length quantiles in characters.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct LengthQuantiles {
    pub min: usize,
    pub p25: usize,
    pub median: usize,
    pub p75: usize,
    pub p95: usize,
    pub max: usize,
    pub mean: f64,
}

impl LengthQuantiles {
    pub fn of(mut lens: Vec<usize>) -> Option<LengthQuantiles> {
        if lens.is_empty() {
            return None;
        }
        lens.sort_unstable();
        let q = |p: f64| lens[((lens.len() - 1) as f64 * p).round() as usize];
        Some(LengthQuantiles {
            min: lens[0],
            p25: q(0.25),
            median: q(0.5),
            p75: q(0.75),
            p95: q(0.95),
            max: lens[lens.len() - 1],
            mean: lens.iter().sum::<usize>() as f64 / lens.len() as f64,
        })
    }
}

/// Rows and positives of one subset (e.g. `spam-2`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SubsetSummary {
    pub subset: String,
    pub rows: usize,
    pub positives: usize,
}

/// The numbers `textlab data summary` prints.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    pub name: String,
    pub rows: usize,
    pub positives: usize,
    pub negatives: usize,
    pub positive_ratio: f64,
    /// Lengths of all texts, then of each class.
    pub length: Option<LengthQuantiles>,
    pub length_negative: Option<LengthQuantiles>,
    pub length_positive: Option<LengthQuantiles>,
    pub subsets: Vec<SubsetSummary>,
}

impl Summary {
    pub fn of(corpus: &Corpus) -> Summary {
        let texts = corpus.texts();
        let labels = corpus.labels();
        let lens: Vec<usize> = texts.iter().map(|t| t.chars().count()).collect();
        let by = |c: u8| {
            lens.iter()
                .zip(&labels)
                .filter(|(_, l)| **l == c)
                .map(|(n, _)| *n)
                .collect()
        };
        let positives = labels.iter().filter(|&&l| l == 1).count();
        let mut subsets: Vec<SubsetSummary> = Vec::new();
        if let Some(subs) = corpus.subsets() {
            for (s, l) in subs.iter().zip(&labels) {
                match subsets.iter_mut().find(|x| x.subset == *s) {
                    Some(x) => {
                        x.rows += 1;
                        x.positives += usize::from(*l);
                    }
                    None => subsets.push(SubsetSummary {
                        subset: s.to_string(),
                        rows: 1,
                        positives: usize::from(*l),
                    }),
                }
            }
        }
        Summary {
            name: corpus.name.clone(),
            rows: labels.len(),
            positives,
            negatives: labels.len() - positives,
            positive_ratio: if labels.is_empty() {
                0.0
            } else {
                positives as f64 / labels.len() as f64
            },
            length: LengthQuantiles::of(lens.clone()),
            length_negative: LengthQuantiles::of(by(0)),
            length_positive: LengthQuantiles::of(by(1)),
            subsets,
        }
    }
}
