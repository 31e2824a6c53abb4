//! The lab's stages strung together: what `textlab classic`, `textlab run` and the notebooks call.

pub mod classic;

pub use classic::{ClassicLab, ClassicReport, ClassicRow, Features};
pub mod bench;

pub use bench::{bench_classic, ClassicBench};
pub mod compute;

pub use compute::{AccumulationPlan, ComputeInfo, MemoryTable, Throughput};
pub mod run;

pub use run::{run, RunOptions, RunResult};
pub mod errors;

pub use errors::ErrorAnalysis;
