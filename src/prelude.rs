//! Everything a notebook cell needs: `use textlab::prelude::*;`.

pub use crate::balance::{BalanceReport, Balancing};
pub use crate::data::{
    Cleaner, Corpus, DEFAULT_CORPUS, LoadOptions, LoadReport, Split, Splitter, Summary, load_corpus,
};
pub use crate::display::{FrameExt, Render};
pub use crate::error::{Error, Result};
pub use crate::features::{Csr, Tfidf, TfidfVectorizer, Vocabulary};
pub use crate::lab::transformer::{self as transformer_lab, TransformerOptions, TransformerReport};
pub use crate::lab::{
    AccumulationPlan, ClassicLab, ClassicReport, ClassicRow, ComputeInfo, Conclusion,
    ErrorAnalysis, ErrorOverlap, Family, Finding, MemoryTable, ModelResult, Predictions, Profile,
    ResultsFile, RunOptions, RunResult, Takeaways, ThresholdChoice, Throughput, Verdict, claims,
};
pub use crate::linear::{
    ClassWeight, Fit, Folds, LogReg, LogRegModel, Penalty, Predict, RegPath, Search, SearchResults,
    SearchRow, TopFeatures, log_space,
};
pub use crate::metrics::{
    Confusion, Evaluation, Interval, Metrics, PrCurve, RocCurve, ThresholdSweep,
};
pub use crate::plot::{self, Comparison, CvSeries, Figure, ModelStats, PathSeries, TrainingRun};
pub use crate::rng::Rng;
pub use crate::transformer::{
    self, TextTokenizer, checkpoint::TransformerModel, memory::MemoryEstimate,
    train::FineTuneOptions,
};
