//! The lab's stages strung together: what `textlab classic`, `textlab run` and the notebooks call.

pub mod claims;
pub mod classic;
mod profile;

pub use profile::Profile;

pub use claims::{Finding, Outcome, Takeaways, Verdict};
pub use classic::{
    ClassicLab, ClassicReport, ClassicRow, Features, ThresholdChoice, ValidClassicLab,
};
pub mod classic_bench;

pub use classic_bench::{ClassicBench, bench_classic};
pub mod compute;

pub use compute::{AccumulationPlan, ComputeInfo, MemoryTable, Throughput};
pub mod run;

pub use run::{RunOptions, RunResult, run};
pub mod errors;
mod figures;

pub use errors::ErrorAnalysis;
pub mod results;
pub mod transformer;
pub mod transformer_bench;

pub use transformer::{TransformerOptions, TransformerReport, ValidTransformerOptions, experiment};
pub use transformer_bench::{BenchReport, TransformerBench};

pub use results::{Conclusion, Cost, ErrorOverlap, Family, ModelResult, Predictions, ResultsFile};
