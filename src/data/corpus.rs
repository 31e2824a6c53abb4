//! `Corpus`: a polars `DataFrame` with the columns the lab needs, and `Split`: train/val/test.

use crate::error::{Error, Result};
use polars::prelude::*;

/// Column names every corpus has (`subset` only where known).
pub const TEXT: &str = "text";
pub const LABEL: &str = "label";
pub const SUBSET: &str = "subset";
/// Unlabelled text that comes with a row (a mail's body beside its subject line). Only the
/// transformer's masked-language-model pretraining reads it, and only from the training split,
/// so it never carries test data into a model.
pub const CONTEXT: &str = "context";

/// A labelled text collection: a `DataFrame` with `text` (String), `label` (Int32, 0/1) and
/// optionally `subset` (String, e.g. the SpamAssassin folder a mail came from).
#[derive(Debug, Clone)]
pub struct Corpus {
    pub name: String,
    pub frame: DataFrame,
    /// Names of class 0 and class 1 (`ham`, `spam`) when the source has them; figures and tables
    /// use them instead of 0/1.
    pub classes: Option<[String; 2]>,
}

impl Corpus {
    /// Wrap a frame, checking that it has the required columns and types.
    pub fn new(name: impl Into<String>, frame: DataFrame) -> Result<Corpus> {
        let name = name.into();
        let cols: Vec<String> = frame
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect();
        for need in [TEXT, LABEL] {
            if !cols.iter().any(|c| c == need) {
                return Err(Error::data(format!(
                    "corpus `{name}` has no `{need}` column; columns are: {}",
                    cols.join(", ")
                )));
            }
        }
        let frame = frame
            .lazy_free_cast(LABEL, DataType::Int32)?
            .lazy_free_cast(TEXT, DataType::String)?;
        Ok(Corpus {
            name,
            frame,
            classes: None,
        })
    }

    /// Name the two classes (builder style): `corpus.with_classes(["ham", "spam"])`.
    pub fn with_classes(mut self, names: [impl Into<String>; 2]) -> Corpus {
        self.classes = Some(names.map(Into::into));
        self
    }

    /// The names of class 0 and class 1, when known.
    pub fn class_names(&self) -> Option<[&str; 2]> {
        self.classes.as_ref().map(|[a, b]| [a.as_str(), b.as_str()])
    }

    /// Build from plain vectors (tests, small examples, notebooks).
    pub fn from_vecs(
        name: impl Into<String>,
        texts: Vec<String>,
        labels: Vec<u8>,
    ) -> Result<Corpus> {
        if texts.len() != labels.len() {
            return Err(Error::data(format!(
                "{} texts but {} labels",
                texts.len(),
                labels.len()
            )));
        }
        let frame = DataFrame::new_infer_height(vec![
            Column::new(TEXT.into(), texts),
            Column::new(
                LABEL.into(),
                labels.iter().map(|&l| l as i32).collect::<Vec<i32>>(),
            ),
        ])?;
        Corpus::new(name, frame)
    }

    pub fn len(&self) -> usize {
        self.frame.height()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The texts, borrowed from the frame.
    pub fn texts(&self) -> Vec<&str> {
        self.frame
            .column(TEXT)
            .and_then(|c| c.str().map(|s| s.iter().map(|t| t.unwrap_or("")).collect()))
            .unwrap_or_default()
    }

    /// The labels as 0/1.
    pub fn labels(&self) -> Vec<u8> {
        self.frame
            .column(LABEL)
            .and_then(|c| {
                c.i32()
                    .map(|s| s.iter().map(|t| t.unwrap_or(0) as u8).collect())
            })
            .unwrap_or_default()
    }

    /// The non-empty companion texts of the rows (the [`CONTEXT`] column), when the corpus has it.
    pub fn context(&self) -> Vec<&str> {
        let Ok(c) = self.frame.column(CONTEXT) else {
            return Vec::new();
        };
        c.str()
            .map(|s| {
                s.iter()
                    .flatten()
                    .filter(|t| !t.trim().is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The subset of each row, when the corpus has that column.
    pub fn subsets(&self) -> Option<Vec<&str>> {
        let c = self.frame.column(SUBSET).ok()?;
        Some(c.str().ok()?.iter().map(|t| t.unwrap_or("")).collect())
    }

    /// Number of positive (label 1) rows.
    pub fn positives(&self) -> usize {
        self.labels().iter().filter(|&&l| l == 1).count()
    }

    /// Rows by index, in order (used by split and sampling).
    pub fn take(&self, name: impl Into<String>, rows: &[usize]) -> Result<Corpus> {
        let idx = IdxCa::from_vec("idx".into(), rows.iter().map(|&r| r as IdxSize).collect());
        Ok(Corpus {
            name: name.into(),
            frame: self.frame.take(&idx)?,
            classes: self.classes.clone(),
        })
    }
}

trait CastColumn: Sized {
    fn lazy_free_cast(self, col: &str, dtype: DataType) -> Result<Self>;
}

impl CastColumn for DataFrame {
    fn lazy_free_cast(mut self, col: &str, dtype: DataType) -> Result<Self> {
        let c = self.column(col)?;
        if c.dtype() != &dtype {
            let cast = c.strict_cast(&dtype).map_err(|e| {
                Error::data(format!("column `{col}` cannot be read as {dtype}: {e}"))
            })?;
            self.with_column(cast)?;
        }
        Ok(self)
    }
}

/// A stratified train / validation / test split of one corpus.
#[derive(Debug, Clone)]
pub struct Split {
    pub train: Corpus,
    pub val: Corpus,
    pub test: Corpus,
    /// The seed it was drawn with (`None` for a split the user supplied as files).
    pub seed: Option<u64>,
}
