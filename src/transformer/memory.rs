//! How much memory a training (or inference) step needs for a model size, batch size and sequence
//! length, and the largest micro-batch that fits a memory limit: gradient accumulation then
//! gives any effective batch (the answer to running out of GPU memory with large batches).

use super::config::ModelConfig;
use serde::{Deserialize, Serialize};

/// A memory estimate in bytes (f32 everywhere).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MemoryEstimate {
    pub parameters: usize,
    pub weights_bytes: u64,
    /// Gradients, the accumulation buffer, AdamW's two moments and the best-epoch snapshot
    /// (0 for inference).
    pub training_state_bytes: u64,
    /// Activations kept for the backward pass of one micro-batch, and the gradients built
    /// from them while it runs (forward activations only for inference).
    pub activation_bytes: u64,
    pub total_bytes: u64,
}

/// Floats saved per token per layer on the hidden-size and intermediate-size paths, and per
/// attention score, counted from the graph nodes of `layers::EncoderLayer` with the fused ops of
/// `ops` (q, k, v, context, two sublayer outputs with their dropout masks and residual sums, two
/// layer norms; the linear and GELU outputs of the feed-forward; the attention probabilities and
/// their dropout mask).
const PER_HIDDEN: u64 = 12;
const PER_INTERMEDIATE: u64 = 2;
const PER_SCORE: u64 = 2;

impl MemoryEstimate {
    /// Estimate for `batch` sequences of `seq_len` tokens; `training` adds gradients and
    /// optimizer state.
    pub fn new(cfg: &ModelConfig, batch: usize, seq_len: usize, training: bool) -> Self {
        let p = cfg.num_parameters();
        // u128 then saturated: absurd sizes (a 10^12-token sequence) give u64::MAX, not a wrap.
        let (b, l) = (batch as u128, seq_len as u128);
        let (h, i, nh) = (
            cfg.hidden_size as u128,
            cfg.intermediate_size as u128,
            cfg.num_attention_heads as u128,
        );
        let per_layer = (b * l)
            .saturating_mul(PER_HIDDEN as u128 * h + PER_INTERMEDIATE as u128 * i)
            .saturating_add((PER_SCORE as u128 * b * nh).saturating_mul(l.saturating_mul(l)));
        let forward = (cfg.num_hidden_layers as u128)
            .saturating_mul(per_layer)
            .saturating_add((8 * b * l).saturating_mul(h));
        // candle keeps every forward tensor alive until `backward` returns (its sorted node list
        // holds them) while gradients are built: measured peaks on CPU, less weights and
        // optimizer state, are 1.1-1.5x the forward activations (`textlab bench transformer`,
        // 2026-12-01: h128 L2 1.5x, h256 L4 1.2x, roberta-base size 1.1x).
        let floats = if training {
            forward.saturating_mul(3) / 2
        } else {
            forward
        };
        let sat = |x: u128| u64::try_from(x).unwrap_or(u64::MAX);
        let weights_bytes = sat(4 * p as u128);
        let training_state_bytes = if training {
            weights_bytes.saturating_mul(5)
        } else {
            0
        };
        let activation_bytes = sat(floats.saturating_mul(4));
        MemoryEstimate {
            parameters: p,
            weights_bytes,
            training_state_bytes,
            activation_bytes,
            total_bytes: weights_bytes
                .saturating_add(training_state_bytes)
                .saturating_add(activation_bytes),
        }
    }

    /// Largest micro-batch (at least 1) whose training step fits in `limit_bytes`, and the
    /// gradient-accumulation steps that reach `effective_batch` with it.
    pub fn fit(
        cfg: &ModelConfig,
        seq_len: usize,
        limit_bytes: u64,
        effective_batch: usize,
    ) -> (usize, usize) {
        let mut b = effective_batch.max(1);
        while b > 1 && Self::new(cfg, b, seq_len, true).total_bytes > limit_bytes {
            b -= 1;
        }
        (b, effective_batch.max(1).div_ceil(b))
    }
}

/// Refuse a training step whose [`MemoryEstimate`] exceeds the memory this machine has
/// available (`MemAvailable`; no check where the OS does not tell), before anything is allocated:
/// an allocation failure aborts the process without a message.
pub fn check_fits(cfg: &ModelConfig, batch: usize, seq_len: usize) -> crate::Result<()> {
    let Some(avail) = super::device::available_memory_bytes() else {
        return Ok(());
    };
    let est = MemoryEstimate::new(cfg, batch, seq_len, true);
    if est.total_bytes > avail {
        return Err(crate::Error::config(format!(
            "training this model needs about {} (hidden {}, {} layers, batch {batch}, {seq_len} tokens per text: {est}) \
             but {} of memory is available; use a shorter max length, a smaller model or batch \
             (textlab transformer: --max-length, --hidden, --layers, --batch-size; --grad-accum keeps the effective batch)",
            if est.total_bytes == u64::MAX {
                "more than 16 EB".to_string()
            } else {
                human_bytes(est.total_bytes)
            },
            cfg.hidden_size,
            cfg.num_hidden_layers,
            human_bytes(avail)
        )));
    }
    Ok(())
}

/// `1.5 GB`, `120 MB`.
pub fn human_bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.0} MB", b / 1e6)
    } else {
        format!("{:.0} kB", b / 1e3)
    }
}

impl std::fmt::Display for MemoryEstimate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} parameters: weights {}, training state {}, activations {}, total {}",
            self.parameters,
            human_bytes(self.weights_bytes),
            human_bytes(self.training_state_bytes),
            human_bytes(self.activation_bytes),
            human_bytes(self.total_bytes)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_scales_and_fit_uses_accumulation() {
        let base = ModelConfig::from_value(serde_json::json!({"model_type": "roberta", "vocab_size": 50265, "max_position_embeddings": 514, "type_vocab_size": 1})).unwrap();
        let m = MemoryEstimate::new(&base, 32, 512, true);
        // roberta-base has 124.6M encoder parameters + the head
        assert!(
            (124_000_000..126_000_000).contains(&m.parameters),
            "{}",
            m.parameters
        );
        // batch 32 x 512 does not fit a 16 GB card; batch 8 does, with 4 accumulation steps
        assert!(m.total_bytes > 16_000_000_000, "{m}");
        let (b, acc) = MemoryEstimate::fit(&base, 512, 16_000_000_000, 32);
        assert!((4..32).contains(&b) && b * acc >= 32, "{b} x {acc}");
        assert!(MemoryEstimate::new(&base, b, 512, true).total_bytes <= 16_000_000_000);
        let inf = MemoryEstimate::new(&base, 32, 512, false);
        assert_eq!(inf.training_state_bytes, 0);
        assert!(m.to_string().contains("GB"));
        let huge = MemoryEstimate::new(&base, 16, 1_000_000_000_000, true);
        assert_eq!(huge.total_bytes, u64::MAX);
        let two = MemoryEstimate::new(&base, 64, 512, true);
        assert!(two.activation_bytes == 2 * m.activation_bytes);
    }
}
