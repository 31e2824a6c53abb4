//! Turning token-id sequences into padded batches, and ordering examples into length buckets so
//! that each batch pads only to its own longest sequence (dynamic padding).

use super::config::{Arch, ModelConfig};
use crate::error::{Error, Result};
use crate::rng::Rng;
use candle_core::{Device, Tensor};

/// One padded batch, ready for the encoder.
#[derive(Debug, Clone)]
pub struct Batch {
    /// `[b, l]` u32 token ids, right-padded with the pad id.
    pub ids: Tensor,
    /// `[b, l]` u32 position ids (RoBERTa: `cumsum(mask) * mask + pad`; BERT: `0..l`).
    pub positions: Tensor,
    /// `[b, 1, 1, l]` f32 additive attention mask: 0 for tokens, `f32::MIN` for padding.
    pub mask_bias: Tensor,
    /// `[b]` u32 labels when known.
    pub labels: Option<Tensor>,
    /// Number of non-pad tokens.
    pub tokens: usize,
}

impl Batch {
    /// Pad `seqs` to the longest one. Errors on an empty batch or an empty sequence.
    pub fn new(
        seqs: &[&[u32]],
        labels: Option<&[u8]>,
        cfg: &ModelConfig,
        device: &Device,
    ) -> Result<Batch> {
        let b = seqs.len();
        let l = seqs.iter().map(|s| s.len()).max().unwrap_or(0);
        if b == 0 || l == 0 {
            return Err(Error::data("cannot build a batch from no tokens"));
        }
        if l > cfg.max_tokens() {
            return Err(Error::data(format!(
                "a sequence has {l} tokens but the model allows {}; truncate it",
                cfg.max_tokens()
            )));
        }
        let pad = cfg.pad_token_id;
        let mut ids = vec![pad; b * l];
        let mut pos = vec![0u32; b * l];
        let mut bias = vec![f32::MIN; b * l];
        let mut tokens = 0;
        for (r, s) in seqs.iter().enumerate() {
            if s.is_empty() {
                return Err(Error::data(format!(
                    "sequence {r} of the batch has no tokens"
                )));
            }
            tokens += s.len();
            for j in 0..l {
                let k = r * l + j;
                if j < s.len() {
                    ids[k] = s[j];
                    bias[k] = 0.0;
                }
                pos[k] = match cfg.arch {
                    Arch::Roberta if j < s.len() => j as u32 + pad + 1,
                    Arch::Roberta => pad,
                    Arch::Bert => j as u32,
                };
            }
        }
        let labels = match labels {
            Some(y) if y.len() != b => {
                return Err(Error::data(format!("{b} sequences but {} labels", y.len())));
            }
            Some(y) => Some(Tensor::from_vec(
                y.iter().map(|&v| v as u32).collect::<Vec<u32>>(),
                b,
                device,
            )?),
            None => None,
        };
        Ok(Batch {
            ids: Tensor::from_vec(ids, (b, l), device)?,
            positions: Tensor::from_vec(pos, (b, l), device)?,
            mask_bias: Tensor::from_vec(bias, (b, 1, 1, l), device)?,
            labels,
            tokens,
        })
    }

    pub fn size(&self) -> usize {
        self.ids.dims()[0]
    }

    /// Padded length.
    pub fn len(&self) -> usize {
        self.ids.dims()[1]
    }

    pub fn is_empty(&self) -> bool {
        self.size() == 0
    }
}

/// Batches of example indices for one epoch: shuffled, then sorted by length within windows of
/// 50 batches, cut into batches, and the batches shuffled. Padding stays small and every
/// batch still mixes examples from across the data set.
pub fn length_buckets(lengths: &[usize], batch_size: usize, rng: &mut Rng) -> Vec<Vec<usize>> {
    let bs = batch_size.max(1);
    let mut idx: Vec<usize> = (0..lengths.len()).collect();
    rng.shuffle(&mut idx);
    let mut batches = Vec::new();
    for window in idx.chunks(bs * 50) {
        let mut w = window.to_vec();
        w.sort_by_key(|&i| std::cmp::Reverse(lengths[i]));
        batches.extend(w.chunks(bs).map(|c| c.to_vec()));
    }
    rng.shuffle(&mut batches);
    batches
}

/// Batches of indices in length order for inference (no shuffling; the caller scatters the
/// outputs back to input order).
pub fn sorted_batches(lengths: &[usize], batch_size: usize) -> Vec<Vec<usize>> {
    let mut idx: Vec<usize> = (0..lengths.len()).collect();
    idx.sort_by_key(|&i| std::cmp::Reverse(lengths[i]));
    idx.chunks(batch_size.max(1)).map(|c| c.to_vec()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roberta_positions_and_mask() {
        let cfg = ModelConfig::tiny_roberta(10, 8, 1, 2, 16);
        let b = Batch::new(&[&[0, 5, 2], &[0, 2]], Some(&[1, 0]), &cfg, &Device::Cpu).unwrap();
        assert_eq!(
            b.ids.to_vec2::<u32>().unwrap(),
            vec![vec![0, 5, 2], vec![0, 2, 1]]
        );
        assert_eq!(
            b.positions.to_vec2::<u32>().unwrap(),
            vec![vec![2, 3, 4], vec![2, 3, 1]]
        );
        let m = b.mask_bias.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(&m[..5], &[0.0; 5]);
        assert_eq!(m[5], f32::MIN);
        assert_eq!(b.tokens, 5);
    }

    #[test]
    fn bad_batches_are_errors() {
        let cfg = ModelConfig::tiny_roberta(10, 8, 1, 2, 4);
        assert!(Batch::new(&[], None, &cfg, &Device::Cpu).is_err());
        assert!(Batch::new(&[&[0, 2], &[]], None, &cfg, &Device::Cpu).is_err());
        let e = Batch::new(&[&[0, 3, 3, 3, 2]], None, &cfg, &Device::Cpu).unwrap_err();
        assert!(e.to_string().contains("truncate"), "{e}");
        assert!(Batch::new(&[&[0, 2]], Some(&[1, 0]), &cfg, &Device::Cpu).is_err());
    }

    #[test]
    fn buckets_cover_every_index_once_and_group_lengths() {
        let lengths: Vec<usize> = (0..1000).map(|i| (i * 37) % 120 + 1).collect();
        let batches = length_buckets(&lengths, 16, &mut Rng::new(5));
        let mut all: Vec<usize> = batches.iter().flatten().copied().collect();
        all.sort();
        assert_eq!(all, (0..1000).collect::<Vec<_>>());
        let padded: usize = batches
            .iter()
            .map(|b| b.iter().map(|&i| lengths[i]).max().unwrap() * b.len())
            .sum();
        let real: usize = lengths.iter().sum();
        assert!(
            (padded as f64) < real as f64 * 1.1,
            "padding overhead {padded} vs {real}"
        );
        assert_eq!(batches, length_buckets(&lengths, 16, &mut Rng::new(5)));
    }
}
