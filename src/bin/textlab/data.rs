//! The corpus flags every command shares: `--corpus NAME|PATH` or `--train P --test P [--val P]`,
//! turned into the library's plain [`DataSource`].

use std::path::PathBuf;
use textlab::data::{DEFAULT_CORPUS, DataSource};

/// Which data a command runs on (flattened into every command that reads a corpus).
#[derive(clap::Args, Debug, Clone)]
pub struct CorpusArgs {
    /// Named corpus (spamassassin-subjects, spamassassin-hard, spamassassin) or a
    /// CSV/TSV/Parquet/JSONL file.
    #[arg(long, default_value = DEFAULT_CORPUS)]
    pub corpus: String,
    /// Use this training file instead of splitting --corpus (needs --test).
    #[arg(long, requires = "test")]
    pub train: Option<PathBuf>,
    /// Test file of a given split.
    #[arg(long, requires = "train")]
    pub test: Option<PathBuf>,
    /// Validation file of a given split (default: 10% of --train, stratified).
    #[arg(long, requires = "train")]
    pub val: Option<PathBuf>,
    /// Column holding the text.
    #[arg(long, default_value = "text")]
    pub text_col: String,
    /// Column holding the label.
    #[arg(long, default_value = "label")]
    pub label_col: String,
    /// Label value of the positive class when it cannot be inferred.
    #[arg(long)]
    pub positive: Option<String>,
    /// Seed of the split (and of everything random downstream).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Use only this many rows of the corpus (stratified sample, at least 2), for quick runs.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Accept a split whose test texts also appear in the training texts beyond 5% of the test
    /// set (the overlap is always reported; above 5% it is an error without this flag).
    #[arg(long)]
    pub allow_overlap: bool,
}

impl CorpusArgs {
    /// The data source these flags describe.
    pub fn source(&self) -> DataSource {
        DataSource {
            corpus: self.corpus.clone(),
            train: self.train.clone(),
            test: self.test.clone(),
            val: self.val.clone(),
            text_col: self.text_col.clone(),
            label_col: self.label_col.clone(),
            positive: self.positive.clone(),
            seed: self.seed,
            limit: self.limit,
            allow_overlap: self.allow_overlap,
        }
    }
}
