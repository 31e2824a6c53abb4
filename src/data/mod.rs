//! Corpus loading (polars), SpamAssassin mail parsing, cleaning, splitting, summaries.
//!
//! ```no_run
//! use textlab::prelude::*;
//! let (corpus, report) = load_corpus("spamassassin-hard", &LoadOptions::new())?;
//! let split = Splitter::new().seed(42).split(&Cleaner::new().apply(&corpus)?)?;
//! println!("{}", Summary::of(&split.train));
//! # Ok::<(), textlab::Error>(())
//! ```

pub mod clean;
pub mod corpus;
pub mod fetch;
pub mod load;
pub mod mail;
pub mod source;
pub mod split;
pub mod summary;

pub use clean::{CleanPreview, Cleaner};
pub use corpus::{Corpus, Split};
pub use fetch::{FetchReport, fetch, textlab_home};
pub use load::{DEFAULT_CORPUS, Format, LoadOptions, LoadReport, NAMED_CORPORA, load_corpus};
pub use source::DataSource;
pub use split::Splitter;
pub use summary::{LengthQuantiles, Summary};
