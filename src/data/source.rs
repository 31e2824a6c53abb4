//! Where a run's data comes from: a named corpus or one file, or a given train/test[/val] split,
//! plus the options to read it. Plain data: the command line fills it, and so can a notebook.

use super::corpus::{Corpus, Split};
use super::load::{DEFAULT_CORPUS, LoadOptions, LoadReport, load_corpus};
use super::split::Splitter;
use crate::error::{Error, Result};
use std::path::PathBuf;

/// Which data a run reads: a named corpus or a file (`corpus`), or a given split
/// (`train`/`test`/`val`), with how to read the files. The CLI's `--corpus`, `--train`, ...
/// flags fill one of these.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSource {
    /// Named corpus (spamassassin-subjects, spamassassin-hard, spamassassin) or a
    /// CSV/TSV/Parquet/JSONL file.
    pub corpus: String,
    /// Use this training file instead of splitting --corpus (needs --test).
    pub train: Option<PathBuf>,
    /// Test file of a given split.
    pub test: Option<PathBuf>,
    /// Validation file of a given split (default: 10% of --train, stratified).
    pub val: Option<PathBuf>,
    /// Column holding the text.
    pub text_col: String,
    /// Column holding the label.
    pub label_col: String,
    /// Label value of the positive class when it cannot be inferred.
    pub positive: Option<String>,
    /// Seed of the split (and of everything random downstream).
    pub seed: u64,
    /// Use only this many rows of the corpus (stratified sample, at least 2), for quick runs.
    pub limit: Option<usize>,
    /// Accept a split whose test texts also appear in the training texts beyond 5% of the test
    /// set (the overlap is always reported; above 5% it is an error without this flag).
    pub allow_overlap: bool,
}

/// Share of test texts that may also be training texts before a split is refused.
pub const MAX_OVERLAP: f64 = 0.05;

impl Default for DataSource {
    fn default() -> Self {
        DataSource {
            corpus: DEFAULT_CORPUS.into(),
            train: None,
            test: None,
            val: None,
            text_col: "text".into(),
            label_col: "label".into(),
            positive: None,
            seed: 42,
            limit: None,
            allow_overlap: false,
        }
    }
}

impl DataSource {
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            text_col: self.text_col.clone(),
            label_col: self.label_col.clone(),
            positive: self.positive.clone(),
            format: None,
        }
    }

    /// The whole corpus (not split).
    pub fn load_corpus(&self) -> Result<(Corpus, LoadReport)> {
        if self.limit == Some(0) {
            return Err(Error::config(
                "--limit 0 selects no rows; give at least 2 (one of each class) or leave it out",
            ));
        }
        let (c, r) = load_corpus(&self.corpus, &self.load_options())?;
        match self.limit {
            Some(n) => Ok((c.sample(n, self.seed)?, r)),
            None => Ok((c, r)),
        }
    }

    /// What a whole run reads: the corpus it summarises, how loading went, and the split. With
    /// `--train`/`--test` the corpus is those files together and `--corpus` is never read.
    pub fn load_run(&self) -> Result<(Corpus, LoadReport, Split)> {
        match (&self.train, &self.test) {
            (Some(tr), Some(te)) => {
                let (split, reports) = Split::from_files(
                    tr,
                    te,
                    self.val.as_deref(),
                    &self.load_options(),
                    self.seed,
                )?;
                Ok((split.whole()?, LoadReport::merge(reports), split))
            }
            (None, None) => {
                let (c, r) = self.load_corpus()?;
                let split = Splitter::new().seed(self.seed).split(&c)?;
                Ok((c, r, split))
            }
            _ => Err(Error::config("--train and --test go together")),
        }
    }

    /// Report how many test texts are also training texts (to stderr), and refuse more than
    /// [`MAX_OVERLAP`] of the test set unless `--allow-overlap`: the test score would measure
    /// memory, not generalisation.
    pub fn check_overlap(&self, split: &Split) -> Result<()> {
        let n = split.test_train_overlap();
        if n == 0 {
            return Ok(());
        }
        let share = n as f64 / split.test.len().max(1) as f64;
        let msg = format!(
            "{n} of {} test texts ({:.1}%) also appear in the training texts ({} and {})",
            split.test.len(),
            share * 100.0,
            split.train.name,
            split.test.name
        );
        if share > MAX_OVERLAP && !self.allow_overlap {
            return Err(Error::data(format!(
                "{msg}: above {:.0}% the test score measures memory; remove the duplicates or pass --allow-overlap",
                MAX_OVERLAP * 100.0
            )));
        }
        if std::env::var_os("TEXTLAB_QUIET").is_none() {
            eprintln!("warning: {msg}");
        }
        Ok(())
    }

    /// The train/val/test split: the given files, or a stratified split of `--corpus`.
    pub fn load_split(&self) -> Result<Split> {
        let split = self.load_split_unchecked()?;
        self.check_overlap(&split)?;
        Ok(split)
    }

    fn load_split_unchecked(&self) -> Result<Split> {
        match (&self.train, &self.test) {
            (Some(tr), Some(te)) => Ok(Split::from_files(
                tr,
                te,
                self.val.as_deref(),
                &self.load_options(),
                self.seed,
            )?
            .0),
            (None, None) => Splitter::new()
                .seed(self.seed)
                .split(&self.load_corpus()?.0),
            _ => Err(Error::config("--train and --test go together")),
        }
    }
}
