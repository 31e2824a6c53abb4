//! Stratified, seeded train/validation/test splits, and reading/writing them as CSV so that any
//! other tool (sklearn, transformers) can be run on exactly the same rows.

use super::corpus::{Corpus, LABEL, Split, TEXT};
use super::load::{LoadOptions, LoadReport};
use crate::error::{Error, Result};
use crate::rng::Rng;
use polars::prelude::*;
use std::path::{Path, PathBuf};

/// Split settings. Defaults: 20% test, 10% validation, seed 42, duplicates kept together.
#[derive(Debug, Clone)]
pub struct Splitter {
    pub test: f64,
    pub val: f64,
    pub seed: u64,
    pub group_duplicates: bool,
}

impl Default for Splitter {
    fn default() -> Self {
        Splitter {
            test: 0.2,
            val: 0.1,
            seed: 42,
            group_duplicates: true,
        }
    }
}

impl Splitter {
    pub fn new() -> Self {
        Self::default()
    }
    /// Fraction of rows for the test set (default 0.2).
    pub fn test(mut self, f: f64) -> Self {
        self.test = f;
        self
    }
    /// Fraction of rows for the validation set (default 0.1; 0 for none).
    pub fn val(mut self, f: f64) -> Self {
        self.val = f;
        self
    }
    pub fn seed(mut self, s: u64) -> Self {
        self.seed = s;
        self
    }
    /// Keep rows with the same text (trimmed, lowercased, whitespace collapsed) in the same part
    /// (default true). Short texts repeat: 37% of the subject lines of a plain split's test part
    /// also occur in its training part, and a test score on them measures memory, not
    /// generalisation.
    pub fn group_duplicates(mut self, yes: bool) -> Self {
        self.group_duplicates = yes;
        self
    }

    /// Split each class separately so every part keeps the corpus's positive rate.
    pub fn split(&self, corpus: &Corpus) -> Result<Split> {
        if !(0.0..1.0).contains(&self.test)
            || !(0.0..1.0).contains(&self.val)
            || self.test + self.val >= 1.0
        {
            return Err(Error::config(format!(
                "test ({}) and validation ({}) fractions must be in [0, 1) and sum below 1",
                self.test, self.val
            )));
        }
        let labels = corpus.labels();
        let mut rng = Rng::new(self.seed);
        let groups = self.groups(corpus, &labels);
        let (mut train, mut val, mut test) = (Vec::new(), Vec::new(), Vec::new());
        for class in [0u8, 1] {
            let mut gs: Vec<&Vec<usize>> = groups
                .iter()
                .filter(|g| g.0 == class)
                .map(|g| &g.1)
                .collect();
            let n: usize = gs.iter().map(|g| g.len()).sum();
            if gs.len() < 3 {
                return Err(Error::data(format!(
                    "corpus `{}` has {} distinct texts of class {class} ({n} rows): at least 3 are needed to split into train/val/test",
                    corpus.name,
                    gs.len()
                )));
            }
            rng.shuffle(&mut gs);
            let n_test =
                ((n as f64 * self.test).round() as usize).max(usize::from(self.test > 0.0));
            let n_val = ((n as f64 * self.val).round() as usize).max(usize::from(self.val > 0.0));
            // Whole groups fill the test quota, then validation's; the rest trains.
            let (mut in_test, mut in_val) = (0, 0);
            for g in gs {
                if in_test < n_test {
                    in_test += g.len();
                    test.extend_from_slice(g);
                } else if in_val < n_val {
                    in_val += g.len();
                    val.extend_from_slice(g);
                } else {
                    train.extend_from_slice(g);
                }
            }
        }
        // Sorted row order keeps the frame readable; models shuffle themselves.
        for v in [&mut train, &mut val, &mut test] {
            v.sort_unstable();
        }
        Ok(Split {
            train: corpus.take(format!("{}/train", corpus.name), &train)?,
            val: corpus.take(format!("{}/val", corpus.name), &val)?,
            test: corpus.take(format!("{}/test", corpus.name), &test)?,
            seed: Some(self.seed),
        })
    }
}

impl Splitter {
    /// Rows grouped for splitting, each group with the class it is stratified by (the majority
    /// label of its rows; a text that appears under both labels stays in one part). Without
    /// grouping every row is its own group.
    fn groups(&self, corpus: &Corpus, labels: &[u8]) -> Vec<(u8, Vec<usize>)> {
        if !self.group_duplicates {
            return (0..labels.len()).map(|i| (labels[i], vec![i])).collect();
        }
        let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for (i, t) in corpus.texts().iter().enumerate() {
            let key = t
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase();
            let g = *index.entry(key).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[g].push(i);
        }
        groups
            .into_iter()
            .map(|rows| {
                let pos = rows.iter().filter(|&&i| labels[i] == 1).count();
                (u8::from(2 * pos >= rows.len()), rows)
            })
            .collect()
    }
}

impl Corpus {
    /// A stratified random sample of exactly `n` rows (the whole corpus when `n >= len`): quick
    /// runs on less data with the same class balance. Each class keeps at least one row, so `n`
    /// must be at least 2.
    pub fn sample(&self, n: usize, seed: u64) -> Result<Corpus> {
        if n >= self.len() {
            return Ok(self.clone());
        }
        if n < 2 {
            return Err(Error::config(format!(
                "a sample of {n} row{} cannot keep both classes: a stratified sample needs at least 2 rows",
                if n == 1 { "" } else { "s" }
            )));
        }
        let labels = self.labels();
        let by_class: Vec<Vec<usize>> = [0u8, 1]
            .iter()
            .map(|&c| (0..labels.len()).filter(|&i| labels[i] == c).collect())
            .collect();
        if by_class.iter().any(Vec::is_empty) {
            return Err(Error::data(format!(
                "corpus `{}` has only one class: a stratified sample needs both",
                self.name
            )));
        }
        // Rows per class: proportional, rounded so that they sum to n, at least 1 each.
        let frac = n as f64 / self.len() as f64;
        let want0 = (by_class[0].len() as f64 * frac).round() as usize;
        let k0 = want0.clamp(
            1.max(n.saturating_sub(by_class[1].len())),
            (n - 1).min(by_class[0].len()),
        );
        let counts = [k0, n - k0];
        let mut rng = Rng::new(seed);
        let mut rows = Vec::with_capacity(n);
        for (mut idx, k) in by_class.into_iter().zip(counts) {
            rng.shuffle(&mut idx);
            rows.extend_from_slice(&idx[..k]);
        }
        rows.sort_unstable();
        Ok(Corpus {
            name: format!("{} (sample of {})", self.name, rows.len()),
            frame: self.take(self.name.clone(), &rows)?.frame,
            classes: self.classes.clone(),
        })
    }
}

impl Split {
    /// Write `train.csv`, `val.csv`, `test.csv` (columns text,label) into `dir`, as one unit:
    /// the three files (and a [`crate::fsio::Manifest`]) are staged beside `dir` and swapped in
    /// together, so `dir` never mixes two runs (see [`crate::fsio::write_dir_atomic`]).
    pub fn save_csv(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        crate::fsio::write_dir_atomic(dir, |stage| {
            let mut out = Vec::new();
            for (name, c) in [
                ("train", &self.train),
                ("val", &self.val),
                ("test", &self.test),
            ] {
                let file = format!("{name}.csv");
                let path = stage.join(&file);
                let mut frame = c.frame.select([TEXT, LABEL])?;
                crate::fsio::write_atomic(&path, |w| {
                    CsvWriter::new(w)
                        .include_header(true)
                        .finish(&mut frame)
                        .map_err(Error::from)
                })?;
                out.push(dir.join(file));
            }
            Ok(out)
        })
    }

    /// The names [`Split::save_csv`] writes (for checking an output directory up front).
    pub const CSV_FILES: [&'static str; 3] = ["train.csv", "val.csv", "test.csv"];

    /// Use a split given as files. Without a validation file, 10% of train (stratified) is held out.
    pub fn from_files(
        train: &Path,
        test: &Path,
        val: Option<&Path>,
        opts: &LoadOptions,
        seed: u64,
    ) -> Result<(Split, Vec<LoadReport>)> {
        for p in [Some(train), Some(test), val].into_iter().flatten() {
            crate::fsio::check_beside(p)?;
        }
        let (tr, r1) = opts.load(train)?;
        let (te, r2) = opts.load(test)?;
        let mut reports = vec![r1, r2];
        let (tr, va) = match val {
            Some(v) => {
                let (va, r3) = opts.load(v)?;
                reports.push(r3);
                (tr, va)
            }
            None => {
                let s = Splitter::new().test(0.0).val(0.1).seed(seed).split(&tr)?;
                (s.train, s.val)
            }
        };
        Ok((
            Split {
                train: tr,
                val: va,
                test: te,
                seed: val.is_none().then_some(seed),
            },
            reports,
        ))
    }

    /// Every row of the split (train, validation, test) as one corpus: what a run on given
    /// files summarises.
    pub fn whole(&self) -> Result<Corpus> {
        let mut frame = self.train.frame.select([TEXT, LABEL])?;
        for part in [&self.val, &self.test] {
            frame.vstack_mut(&part.frame.select([TEXT, LABEL])?)?;
        }
        Corpus::new(
            format!(
                "{} + {} + {}",
                self.train.name, self.val.name, self.test.name
            ),
            frame,
        )
    }

    /// How many test texts (whitespace-trimmed) are also training texts.
    pub fn test_train_overlap(&self) -> usize {
        let train: std::collections::HashSet<&str> =
            self.train.texts().into_iter().map(str::trim).collect();
        self.test
            .texts()
            .into_iter()
            .filter(|t| train.contains(t.trim()))
            .count()
    }

    /// Train + validation rows together (for refitting after model selection).
    pub fn train_and_val(&self) -> Result<Corpus> {
        let mut frame = self.train.frame.select([TEXT, LABEL])?;
        frame.vstack_mut(&self.val.frame.select([TEXT, LABEL])?)?;
        let mut both = Corpus::new(format!("{}+val", self.train.name), frame)?;
        both.classes = self.train.classes.clone();
        Ok(both)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(n: usize, pos_every: usize) -> Corpus {
        let texts = (0..n).map(|i| format!("text {i}")).collect();
        let labels = (0..n).map(|i| u8::from(i % pos_every == 0)).collect();
        Corpus::from_vecs("toy", texts, labels).unwrap()
    }

    #[test]
    fn stratified_reproducible_and_disjoint() {
        let c = corpus(1000, 5);
        let a = Splitter::new().seed(1).split(&c).unwrap();
        let b = Splitter::new().seed(1).split(&c).unwrap();
        assert_eq!(a.test.texts(), b.test.texts());
        let other = Splitter::new().seed(2).split(&c).unwrap();
        assert_ne!(a.test.texts(), other.test.texts());
        assert_eq!(a.train.len() + a.val.len() + a.test.len(), 1000);
        assert_eq!(a.test.len(), 200);
        assert_eq!(a.test.positives(), 40);
        assert_eq!(a.val.positives(), 20);
        let mut all: Vec<&str> = a.train.texts();
        all.extend(a.val.texts());
        all.extend(a.test.texts());
        all.sort();
        all.dedup();
        assert_eq!(all.len(), 1000);
    }

    #[test]
    fn samples_have_exactly_n_rows_with_both_classes() {
        let c = corpus(1000, 5);
        for n in [2, 3, 7, 10, 999] {
            let s = c.sample(n, 1).unwrap();
            assert_eq!(s.len(), n);
            assert!(s.positives() >= 1 && s.positives() < n, "{n}");
        }
        assert_eq!(c.sample(100, 1).unwrap().positives(), 20);
        let e = c.sample(1, 1).unwrap_err().to_string();
        assert!(e.contains("at least 2"), "{e}");
    }

    #[test]
    fn too_few_of_a_class_or_bad_fractions() {
        let c = corpus(100, 50);
        assert!(
            Splitter::new()
                .split(&c)
                .unwrap_err()
                .to_string()
                .contains("class 1")
        );
        assert!(
            Splitter::new()
                .test(0.7)
                .val(0.4)
                .split(&corpus(100, 2))
                .is_err()
        );
    }
}
