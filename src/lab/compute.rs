//! Report section I.1, compute: which device we run on, how much memory a fine-tuning step needs
//! for a model size, batch and sequence length, and how gradient accumulation keeps the
//! effective batch when only a small micro-batch fits (the seed report ran out of GPU memory).

use crate::transformer::config::ModelConfig;
use crate::transformer::memory::{MemoryEstimate, human_bytes};
use serde::Serialize;

/// The machine as the lab sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ComputeInfo {
    pub os: String,
    pub arch: String,
    pub logical_cpus: usize,
    /// Threads candle's CPU kernels use.
    pub compute_threads: usize,
    /// SIMD extensions the matmul kernels can use.
    pub cpu_features: Vec<String>,
    pub total_memory_bytes: Option<u64>,
    /// GPU backends compiled in (`cuda`, `metal` features) and whether a device opened.
    pub cuda_built: bool,
    pub cuda_available: bool,
    pub metal_built: bool,
    pub metal_available: bool,
}

impl ComputeInfo {
    pub fn detect() -> ComputeInfo {
        let mut cpu_features = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            for (name, on) in [
                ("sse4.2", std::arch::is_x86_feature_detected!("sse4.2")),
                ("avx", std::arch::is_x86_feature_detected!("avx")),
                ("avx2", std::arch::is_x86_feature_detected!("avx2")),
                ("fma", std::arch::is_x86_feature_detected!("fma")),
                ("avx512f", std::arch::is_x86_feature_detected!("avx512f")),
            ] {
                if on {
                    cpu_features.push(name.to_string());
                }
            }
        }
        #[cfg(target_arch = "aarch64")]
        cpu_features.push("neon".to_string());
        let total_memory_bytes = std::fs::read_to_string("/proc/meminfo").ok().and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("MemTotal:"))?;
            Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
        });
        ComputeInfo {
            os: std::env::consts::OS.into(),
            arch: std::env::consts::ARCH.into(),
            logical_cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            compute_threads: candle_core::utils::get_num_threads(),
            cpu_features,
            total_memory_bytes,
            cuda_built: cfg!(feature = "cuda"),
            cuda_available: candle_core::utils::cuda_is_available(),
            metal_built: cfg!(feature = "metal"),
            metal_available: candle_core::utils::metal_is_available(),
        }
    }

    /// `cuda:0`, `metal:0` or `cpu`: what `--device auto` picks.
    pub fn best_device(&self) -> &'static str {
        if self.cuda_available {
            "cuda:0"
        } else if self.metal_available {
            "metal:0"
        } else {
            "cpu"
        }
    }
}

/// roberta-base's shape (125M parameters): what the seed report fine-tuned.
pub fn roberta_base() -> ModelConfig {
    let mut c = ModelConfig::tiny_roberta(50265, 768, 12, 12, 512);
    c.intermediate_size = 3072;
    c
}

/// Training-step memory for every (sequence length, batch size) pair.
#[derive(Debug, Clone, Serialize)]
pub struct MemoryTable {
    pub model: String,
    pub parameters: usize,
    pub seq_lens: Vec<usize>,
    pub batches: Vec<usize>,
    /// `estimates[s][b]` for `seq_lens[s]`, `batches[b]`.
    pub estimates: Vec<Vec<MemoryEstimate>>,
}

impl MemoryTable {
    pub fn new(
        model: impl Into<String>,
        cfg: &ModelConfig,
        seq_lens: &[usize],
        batches: &[usize],
    ) -> MemoryTable {
        MemoryTable {
            model: model.into(),
            parameters: cfg.num_parameters(),
            seq_lens: seq_lens.to_vec(),
            batches: batches.to_vec(),
            estimates: seq_lens
                .iter()
                .map(|&s| {
                    batches
                        .iter()
                        .map(|&b| MemoryEstimate::new(cfg, b, s, true))
                        .collect()
                })
                .collect(),
        }
    }

    pub fn markdown(&self) -> String {
        let mut s = format!(
            "| seq len \\ batch | {} |\n|---|{}\n",
            self.batches
                .iter()
                .map(|b| b.to_string())
                .collect::<Vec<_>>()
                .join(" | "),
            "---|".repeat(self.batches.len())
        );
        for (i, l) in self.seq_lens.iter().enumerate() {
            s += &format!(
                "| {l} | {} |\n",
                self.estimates[i]
                    .iter()
                    .map(|e| human_bytes(e.total_bytes))
                    .collect::<Vec<_>>()
                    .join(" | ")
            );
        }
        s
    }
}

/// How to reach an effective batch within a memory limit: micro-batch x accumulation steps.
#[derive(Debug, Clone, Serialize)]
pub struct AccumulationPlan {
    pub model: String,
    pub seq_len: usize,
    pub limit_bytes: u64,
    pub effective_batch: usize,
    /// Memory of the whole batch in one step (what ran out of memory).
    pub full_batch_bytes: u64,
    pub micro_batch: usize,
    pub accumulation_steps: usize,
    pub micro_batch_bytes: u64,
}

impl AccumulationPlan {
    pub fn new(
        model: impl Into<String>,
        cfg: &ModelConfig,
        seq_len: usize,
        limit_bytes: u64,
        effective_batch: usize,
    ) -> Self {
        let (micro_batch, accumulation_steps) =
            MemoryEstimate::fit(cfg, seq_len, limit_bytes, effective_batch);
        AccumulationPlan {
            model: model.into(),
            seq_len,
            limit_bytes,
            effective_batch,
            full_batch_bytes: MemoryEstimate::new(cfg, effective_batch, seq_len, true).total_bytes,
            micro_batch,
            accumulation_steps,
            micro_batch_bytes: MemoryEstimate::new(cfg, micro_batch, seq_len, true).total_bytes,
        }
    }
    pub fn fits(&self) -> bool {
        self.micro_batch_bytes <= self.limit_bytes
    }
}

/// Measured training-step throughput of one model shape at several batch sizes.
#[derive(Debug, Clone, Serialize)]
pub struct Throughput {
    pub model: String,
    pub seq_len: usize,
    pub device: String,
    pub points: Vec<ThroughputPoint>,
}

/// One batch size of a [`Throughput`] measurement.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ThroughputPoint {
    pub batch: usize,
    pub ms_per_step: f64,
    pub seq_per_second: f64,
    /// [`MemoryEstimate`] of the training step.
    pub estimated_bytes: u64,
    /// Peak resident memory of the step over the process's memory before it (CPU, Linux).
    pub measured_bytes: Option<u64>,
}

impl Throughput {
    /// Time `steps` training steps (forward, backward, AdamW) at each batch size on the CPU.
    pub fn measure(
        model: impl Into<String>,
        cfg: &ModelConfig,
        seq_len: usize,
        batches: &[usize],
        steps: usize,
    ) -> crate::Result<Throughput> {
        crate::transformer::device::tune_allocator();
        let device = candle_core::Device::Cpu;
        let mut points = Vec::new();
        for &b in batches {
            let m = crate::lab::transformer_bench::time_steps(cfg, b, seq_len, steps, &device)?;
            points.push(ThroughputPoint {
                batch: b,
                ms_per_step: m.ms_per_step,
                seq_per_second: m.seq_per_second,
                estimated_bytes: m.estimated_bytes,
                measured_bytes: m.peak_bytes,
            });
        }
        Ok(Throughput {
            model: model.into(),
            seq_len,
            device: crate::transformer::device::describe(&device),
            points,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_grows_with_batch_and_accumulation_fits_the_limit() {
        let cfg = roberta_base();
        assert!(
            (120_000_000..130_000_000).contains(&cfg.num_parameters()),
            "{}",
            cfg.num_parameters()
        );
        let t = MemoryTable::new("roberta-base", &cfg, &[128, 512], &[8, 32]);
        assert!(t.estimates[0][1].total_bytes > t.estimates[0][0].total_bytes);
        assert!(t.estimates[1][0].total_bytes > t.estimates[0][0].total_bytes);
        let limit = 16u64 << 30;
        let p = AccumulationPlan::new("roberta-base", &cfg, 512, limit, 64);
        assert!(p.full_batch_bytes > limit);
        assert!(p.fits());
        assert!(p.micro_batch * p.accumulation_steps >= 64);
        assert!(p.micro_batch < 64);
    }
}
