//! RoBERTa and BERT-family encoders in candle that can be trained: HF-compatible checkpoints,
//! tokenizers, masked-language-model pretraining, fine-tuning with AdamW. The model family
//! only: the experiment that strings these together lives in [`crate::lab::transformer`].
//!
//! In a notebook cell:
//!
//! ```no_run
//! use textlab::prelude::*;
//! let (corpus, _) = load_corpus("spamassassin-hard", &LoadOptions::new())?;
//! let split = Splitter::new().seed(42).split(&corpus.sample(1500, 42)?)?;
//! let report = textlab::lab::transformer::experiment(&split, &TransformerOptions::quick())?;
//! println!("{report}");
//! # Ok::<(), textlab::Error>(())
//! ```
//!
//! Modules, by what they do: [`config`] (HF `config.json`), [`params`] (named parameters,
//! init, load), [`layers`] (layer norm, attention, encoder layer), [`ops`] (their fused CPU
//! kernels with backward passes), [`model`]
//! (encoder + heads), [`batch`] (padding, position ids, length buckets), [`tokenizer`],
//! [`checkpoint`] (HF directories and cache, saving), [`optim`] (AdamW, schedule), [`mlm`]
//! (pretraining), [`train`] (fine-tuning), [`predict`], [`memory`] (estimates), [`device`].

pub mod batch;
pub mod checkpoint;
pub mod config;
pub mod device;
pub mod layers;
pub mod memory;
pub mod mlm;
pub mod model;
pub mod ops;
pub mod optim;
pub mod params;
pub mod predict;
pub mod tokenizer;
pub mod train;

pub use batch::Batch;
pub use config::{Arch, ModelConfig};
pub use model::{MaskedLm, SequenceClassifier};
pub use tokenizer::TextTokenizer;
