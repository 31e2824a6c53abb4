//! Class balancing: scikit-learn's `balanced` class weights and seeded random over/under-sampling,
//! with the before/after class counts as a value that prints as a small table.
//!
//! ```
//! use textlab::balance::Balancing;
//! let y = [0, 0, 0, 0, 0, 0, 1, 1];
//! let (rows, report) = Balancing::Oversample.resample(&y, 7).unwrap();
//! assert_eq!(report.after, [6, 6]);
//! assert_eq!(rows.len(), 12);
//! let w = textlab::balance::balanced_class_weights(&y).unwrap();
//! assert_eq!(w, [8.0 / 12.0, 8.0 / 4.0]);
//! ```

use crate::error::{Error, Result};
use crate::features::Csr;
use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How to counter class imbalance in the training data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Balancing {
    /// Train on the data as it is.
    #[default]
    None,
    /// Weight each class by `n / (k * count)` in the loss (scikit-learn's `class_weight="balanced"`).
    ClassWeight,
    /// Duplicate random minority rows (with replacement) until both classes have the majority count.
    Oversample,
    /// Keep a random subset (without replacement) of the majority class of the minority's size.
    Undersample,
}

impl Balancing {
    /// All four, in the order a search table lists them.
    pub const ALL: [Balancing; 4] = [
        Balancing::None,
        Balancing::ClassWeight,
        Balancing::Oversample,
        Balancing::Undersample,
    ];

    /// Short name used in tables and JSON (`none`, `class_weight`, `oversample`, `undersample`).
    pub fn name(&self) -> &'static str {
        match self {
            Balancing::None => "none",
            Balancing::ClassWeight => "class_weight",
            Balancing::Oversample => "oversample",
            Balancing::Undersample => "undersample",
        }
    }

    /// The training rows to use (indices into `y`, repeats allowed) and the report. `None` and
    /// `ClassWeight` keep every row in order; the samplers are deterministic for a given seed.
    pub fn resample(&self, y: &[u8], seed: u64) -> Result<(Vec<usize>, BalanceReport)> {
        let before = class_counts(y)?;
        let rows = match self {
            Balancing::None | Balancing::ClassWeight => (0..y.len()).collect(),
            Balancing::Oversample => oversample(y, seed)?,
            Balancing::Undersample => undersample(y, seed)?,
        };
        let mut after = [0usize; 2];
        for &i in &rows {
            after[y[i] as usize] += 1;
        }
        let class_weight = match self {
            Balancing::ClassWeight => Some(balanced_class_weights(y)?),
            _ => None,
        };
        let report = BalanceReport {
            method: *self,
            seed,
            before,
            after,
            class_weight,
        };
        Ok((rows, report))
    }

    /// Apply to a training set: the rows to train on, their labels, and the class weights to pass to
    /// the model (`Some` only for [`Balancing::ClassWeight`]).
    pub fn apply(&self, x: &Csr, y: &[u8], seed: u64) -> Result<Balanced> {
        if x.n_rows != y.len() {
            return Err(Error::data(format!(
                "{} rows but {} labels",
                x.n_rows,
                y.len()
            )));
        }
        let (rows, report) = self.resample(y, seed)?;
        let (x, y) = match self {
            Balancing::None | Balancing::ClassWeight => (x.clone(), y.to_vec()),
            _ => (x.select_rows(&rows), rows.iter().map(|&i| y[i]).collect()),
        };
        Ok(Balanced {
            x,
            y,
            class_weight: report.class_weight,
            report,
        })
    }
}

impl fmt::Display for Balancing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl std::str::FromStr for Balancing {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().replace('-', "_").as_str() {
            "none" => Ok(Balancing::None),
            "class_weight" | "balanced" | "weights" => Ok(Balancing::ClassWeight),
            "oversample" | "over" => Ok(Balancing::Oversample),
            "undersample" | "under" => Ok(Balancing::Undersample),
            other => Err(Error::config(format!(
                "unknown balancing `{other}`; use none, class_weight, oversample or undersample"
            ))),
        }
    }
}

/// A balanced training set (see [`Balancing::apply`]).
#[derive(Debug, Clone)]
pub struct Balanced {
    pub x: Csr,
    pub y: Vec<u8>,
    /// Class weights for the model's loss (`[w0, w1]`), for [`Balancing::ClassWeight`].
    pub class_weight: Option<[f64; 2]>,
    pub report: BalanceReport,
}

/// Class counts before and after balancing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BalanceReport {
    pub method: Balancing,
    pub seed: u64,
    /// `[negatives, positives]` in the input.
    pub before: [usize; 2],
    /// `[negatives, positives]` in the rows to train on.
    pub after: [usize; 2],
    /// The loss weights `[w0, w1]` when the method is class weighting.
    pub class_weight: Option<[f64; 2]>,
}

/// `[negatives, positives]`; an error unless both classes are present and labels are 0/1.
pub fn class_counts(y: &[u8]) -> Result<[usize; 2]> {
    let mut counts = [0usize; 2];
    for &v in y {
        if v > 1 {
            return Err(Error::data(format!("labels must be 0 or 1, found {v}")));
        }
        counts[v as usize] += 1;
    }
    if counts[0] == 0 || counts[1] == 0 {
        return Err(Error::data(format!(
            "balancing needs both classes, found {} negative and {} positive examples (one class only)",
            counts[0], counts[1]
        )));
    }
    Ok(counts)
}

/// scikit-learn's `compute_class_weight("balanced")`: `n / (2 * count[c])`.
pub fn balanced_class_weights(y: &[u8]) -> Result<[f64; 2]> {
    let c = class_counts(y)?;
    let n = y.len() as f64;
    Ok([n / (2.0 * c[0] as f64), n / (2.0 * c[1] as f64)])
}

fn minority(counts: [usize; 2]) -> u8 {
    u8::from(counts[1] < counts[0])
}

/// All rows in order, then random minority rows (with replacement) until the classes are even.
pub fn oversample(y: &[u8], seed: u64) -> Result<Vec<usize>> {
    let counts = class_counts(y)?;
    let small = minority(counts);
    let pool: Vec<usize> = (0..y.len()).filter(|&i| y[i] == small).collect();
    let extra = counts[1 - small as usize] - counts[small as usize];
    let mut rng = Rng::new(seed);
    let mut rows: Vec<usize> = (0..y.len()).collect();
    rows.extend((0..extra).map(|_| pool[rng.below(pool.len())]));
    Ok(rows)
}

/// Every minority row and a random subset (without replacement) of the majority of the same
/// size, in their original order.
pub fn undersample(y: &[u8], seed: u64) -> Result<Vec<usize>> {
    let counts = class_counts(y)?;
    let small = minority(counts);
    let mut big: Vec<usize> = (0..y.len()).filter(|&i| y[i] != small).collect();
    let mut rng = Rng::new(seed);
    rng.shuffle(&mut big);
    big.truncate(counts[small as usize]);
    let mut rows: Vec<usize> = (0..y.len()).filter(|&i| y[i] == small).chain(big).collect();
    rows.sort_unstable();
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_match_sklearn_balanced() {
        // sklearn: compute_class_weight("balanced", classes=[0, 1], y=[0, 0, 0, 1]) -> [0.667, 2.0]
        let w = balanced_class_weights(&[0, 0, 0, 1]).unwrap();
        assert!((w[0] - 4.0 / 6.0).abs() < 1e-15 && (w[1] - 2.0).abs() < 1e-15);
    }

    #[test]
    fn samplers_even_the_classes_and_are_seeded() {
        let y: Vec<u8> = (0..50).map(|i| u8::from(i % 5 == 0)).collect();
        let (o, r) = Balancing::Oversample.resample(&y, 1).unwrap();
        assert_eq!(r.before, [40, 10]);
        assert_eq!(r.after, [40, 40]);
        assert_eq!(o.len(), 80);
        assert_eq!(o, Balancing::Oversample.resample(&y, 1).unwrap().0);
        assert_ne!(o, Balancing::Oversample.resample(&y, 2).unwrap().0);
        let (u, r) = Balancing::Undersample.resample(&y, 1).unwrap();
        assert_eq!(r.after, [10, 10]);
        assert!(u.windows(2).all(|w| w[0] < w[1]), "distinct and ordered");
        let (n, r) = Balancing::ClassWeight.resample(&y, 1).unwrap();
        assert_eq!(n.len(), 50);
        assert_eq!(r.class_weight, Some([50.0 / 80.0, 50.0 / 20.0]));
        assert!(r.to_string().contains("before"));
    }

    #[test]
    fn one_class_is_an_error() {
        let e = Balancing::Oversample.resample(&[1, 1, 1], 0).unwrap_err();
        assert!(e.to_string().contains("one class only"), "{e}");
        assert!(balanced_class_weights(&[0, 0]).is_err());
        assert!(class_counts(&[0, 2]).is_err());
        assert_eq!(
            "balanced".parse::<Balancing>().unwrap(),
            Balancing::ClassWeight
        );
        assert!("x".parse::<Balancing>().is_err());
    }
}
