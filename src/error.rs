//! One error type for the whole lab, so a notebook cell can `?` anything and the message says
//! what went wrong and what to do about it.

use std::path::PathBuf;

/// Everything that can go wrong in textlab.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The input data is unusable (wrong column, one class only, empty text, ...).
    #[error("data error: {0}")]
    Data(String),
    /// A setting is invalid (C <= 0, unknown penalty, ...).
    #[error("invalid setting: {0}")]
    Config(String),
    /// A model could not be fitted, loaded or saved.
    #[error("model error: {0}")]
    Model(String),
    /// A column the options name is not in the file.
    #[error(
        "data error: {file}: no {what} column `{column}`; the columns are: {columns} (choose with --{what}-col)"
    )]
    MissingColumn {
        file: String,
        /// `text` or `label`.
        what: String,
        column: String,
        /// The file's columns, comma-separated.
        columns: String,
    },
    /// The labels hold one class only (a classifier needs both).
    #[error("data error: {file}: only one class present ({detail}); a classifier needs both")]
    OneClass { file: String, detail: String },
    /// A setting is out of its range (`name` says the option, with its flag where there is one).
    #[error("invalid setting: {name} {value} {why}")]
    BadParam {
        name: String,
        value: String,
        why: String,
    },
    /// A checkpoint directory lacks a file it needs.
    #[error("model error: {} has no {file}", dir.display())]
    MissingModelFile { dir: PathBuf, file: String },
    /// An external tool (npm, python) is missing or failed.
    #[error("{0}")]
    Tool(String),
    #[error("polars: {0}")]
    Polars(#[from] polars::error::PolarsError),
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

/// `Result` with textlab's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
    pub fn data(msg: impl Into<String>) -> Self {
        Error::Data(msg.into())
    }
    pub fn config(msg: impl Into<String>) -> Self {
        Error::Config(msg.into())
    }
    pub fn model(msg: impl Into<String>) -> Self {
        Error::Model(msg.into())
    }
}

/// Attach the path to an `io::Result`.
pub trait IoContext<T> {
    fn at(self, path: impl Into<PathBuf>) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, path: impl Into<PathBuf>) -> Result<T> {
        self.map_err(|e| Error::io(path, e))
    }
}
