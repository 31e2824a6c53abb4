//! Stratified, seeded train/validation/test splits, and reading/writing them as CSV so that any
//! other tool (sklearn, transformers) can be run on exactly the same rows.

use super::corpus::{Corpus, LABEL, Split, TEXT};
use super::load::{LoadOptions, LoadReport};
use crate::error::{Error, IoContext, Result};
use crate::rng::Rng;
use polars::prelude::*;
use std::path::{Path, PathBuf};

/// Split settings. Defaults: 20% test, 10% validation, seed 42.
#[derive(Debug, Clone)]
pub struct Splitter {
    pub test: f64,
    pub val: f64,
    pub seed: u64,
}

impl Default for Splitter {
    fn default() -> Self {
        Splitter {
            test: 0.2,
            val: 0.1,
            seed: 42,
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
        let (mut train, mut val, mut test) = (Vec::new(), Vec::new(), Vec::new());
        for class in [0u8, 1] {
            let mut idx: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
            if idx.len() < 3 {
                return Err(Error::data(format!(
                    "corpus `{}` has {} rows of class {class}: at least 3 are needed to split into train/val/test",
                    corpus.name,
                    idx.len()
                )));
            }
            rng.shuffle(&mut idx);
            let n = idx.len() as f64;
            let n_test = ((n * self.test).round() as usize).max(usize::from(self.test > 0.0));
            let n_val = ((n * self.val).round() as usize).max(usize::from(self.val > 0.0));
            test.extend_from_slice(&idx[..n_test]);
            val.extend_from_slice(&idx[n_test..n_test + n_val]);
            train.extend_from_slice(&idx[n_test + n_val..]);
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

impl Corpus {
    /// A stratified random sample of `n` rows (the whole corpus when `n >= len`): quick runs on
    /// less data with the same class balance.
    pub fn sample(&self, n: usize, seed: u64) -> Result<Corpus> {
        if n >= self.len() {
            return Ok(self.clone());
        }
        let frac = n as f64 / self.len() as f64;
        let s = Splitter::new().test(0.0).val(frac).seed(seed).split(self)?;
        Ok(Corpus {
            name: format!("{} (sample of {})", self.name, s.val.len()),
            frame: s.val.frame,
            classes: self.classes.clone(),
        })
    }
}

impl Split {
    /// Write `train.csv`, `val.csv`, `test.csv` (columns text,label) into `dir`.
    pub fn save_csv(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir).at(dir)?;
        let mut out = Vec::new();
        for (name, c) in [
            ("train", &self.train),
            ("val", &self.val),
            ("test", &self.test),
        ] {
            let path = dir.join(format!("{name}.csv"));
            let mut frame = c.frame.select([TEXT, LABEL])?;
            let mut f = std::fs::File::create(&path).at(&path)?;
            CsvWriter::new(&mut f)
                .include_header(true)
                .finish(&mut frame)?;
            out.push(path);
        }
        Ok(out)
    }

    /// Use a split given as files. Without a validation file, 10% of train (stratified) is held out.
    pub fn from_files(
        train: &Path,
        test: &Path,
        val: Option<&Path>,
        opts: &LoadOptions,
        seed: u64,
    ) -> Result<(Split, Vec<LoadReport>)> {
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
