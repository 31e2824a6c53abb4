//! The encoder (embeddings + layers) and its two heads: sequence classification (what the lab
//! fine-tunes) and masked-language modelling (what the offline `tiny` model is pretrained with).
//! Parameter names are Hugging Face's, so checkpoints load and save unchanged:
//! `roberta.embeddings.word_embeddings.weight`, `roberta.encoder.layer.0.attention.self.query.weight`,
//! `classifier.dense.weight`, `classifier.out_proj.weight` (RoBERTa) or `bert.pooler.dense.weight`,
//! `classifier.weight` (BERT), `lm_head.dense.weight`, `lm_head.layer_norm.weight`, `lm_head.bias`.

use super::batch::Batch;
use super::config::{Arch, ModelConfig};
use super::layers::{EncoderLayer, LayerDims, LayerNorm, Linear, dropout};
use super::params::{Init, Params};
use crate::error::Result;
use crate::rng::Rng;
use candle_core::{D, IndexOp, Tensor};

/// Word + position + token-type embeddings, layer norm, dropout.
#[derive(Debug, Clone)]
pub struct Embeddings {
    word: Tensor,
    position: Tensor,
    token_type: Tensor,
    norm: LayerNorm,
    dropout: f64,
}

impl Embeddings {
    fn load(p: &mut Params, cfg: &ModelConfig) -> Result<Self> {
        let (h, std, pad) = (
            cfg.hidden_size,
            cfg.initializer_range,
            cfg.pad_token_id as usize,
        );
        let pre = format!("{}embeddings", cfg.arch.prefix());
        let pos_init = match cfg.arch {
            Arch::Roberta => Init::NormalPadRow(std, pad),
            Arch::Bert => Init::Normal(std),
        };
        Ok(Embeddings {
            word: p.get(
                &format!("{pre}.word_embeddings.weight"),
                &[cfg.vocab_size, h],
                Init::NormalPadRow(std, pad),
            )?,
            position: p.get(
                &format!("{pre}.position_embeddings.weight"),
                &[cfg.max_position_embeddings, h],
                pos_init,
            )?,
            token_type: p.get(
                &format!("{pre}.token_type_embeddings.weight"),
                &[cfg.type_vocab_size, h],
                Init::Normal(std),
            )?,
            norm: LayerNorm::load(p, &format!("{pre}.LayerNorm"), h, cfg.layer_norm_eps)?,
            dropout: cfg.hidden_dropout_prob,
        })
    }

    fn forward(&self, batch: &Batch, rng: Option<&mut Rng>) -> candle_core::Result<Tensor> {
        let (b, l) = batch.ids.dims2()?;
        let h = self.word.dim(1)?;
        // Token type ids are all 0 for single sentences: row 0 added to every token.
        let x = super::ops::embed(
            &self.word,
            &self.position,
            &self.token_type,
            &batch.ids,
            &batch.positions,
        )?
        .reshape((b, l, h))?;
        dropout(&self.norm.forward(&x)?, self.dropout, rng)
    }
}

/// Embeddings and the stack of encoder layers.
#[derive(Debug, Clone)]
pub struct Encoder {
    embeddings: Embeddings,
    layers: Vec<EncoderLayer>,
}

impl Encoder {
    pub fn load(p: &mut Params, cfg: &ModelConfig) -> Result<Self> {
        let dims = LayerDims {
            hidden: cfg.hidden_size,
            intermediate: cfg.intermediate_size,
            heads: cfg.num_attention_heads,
            eps: cfg.layer_norm_eps,
            std: cfg.initializer_range,
            attn_dropout: cfg.attention_probs_dropout_prob,
            hidden_dropout: cfg.hidden_dropout_prob,
        };
        let embeddings = Embeddings::load(p, cfg)?;
        let layers = (0..cfg.num_hidden_layers)
            .map(|i| {
                EncoderLayer::load(p, &format!("{}encoder.layer.{i}", cfg.arch.prefix()), &dims)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Encoder { embeddings, layers })
    }

    /// The last hidden state `[b, l, h]`. `rng` enables dropout (training); `None` is eval mode.
    pub fn forward(&self, batch: &Batch, mut rng: Option<&mut Rng>) -> candle_core::Result<Tensor> {
        let mut x = self.embeddings.forward(batch, rng.as_deref_mut())?;
        for layer in &self.layers {
            x = layer.forward(&x, &batch.mask_bias, rng.as_deref_mut())?;
        }
        Ok(x)
    }

    /// The (tied) word-embedding table.
    pub fn word_embeddings(&self) -> &Tensor {
        &self.embeddings.word
    }
}

#[derive(Debug, Clone)]
enum Head {
    /// `classifier.dense` -> tanh -> `classifier.out_proj` on the `<s>` row.
    Roberta { dense: Linear, out: Linear },
    /// `bert.pooler.dense` -> tanh -> `classifier` on the `[CLS]` row.
    Bert { pooler: Linear, out: Linear },
}

/// Encoder plus sequence-classification head (HF `*ForSequenceClassification`).
pub struct SequenceClassifier {
    pub config: ModelConfig,
    params: Params,
    encoder: Encoder,
    head: Head,
    head_dropout: f64,
}

impl SequenceClassifier {
    /// Build from a parameter store (checkpoint tensors and/or fresh initialisation).
    pub fn new(config: ModelConfig, mut params: Params) -> Result<Self> {
        config.validate()?;
        let (h, n, std) = (
            config.hidden_size,
            config.num_labels,
            config.initializer_range,
        );
        let encoder = Encoder::load(&mut params, &config)?;
        let head = match config.arch {
            Arch::Roberta => Head::Roberta {
                dense: Linear::load(&mut params, "classifier.dense", h, h, std)?,
                out: Linear::load(&mut params, "classifier.out_proj", h, n, std)?,
            },
            Arch::Bert => Head::Bert {
                pooler: Linear::load(&mut params, "bert.pooler.dense", h, h, std)?,
                out: Linear::load(&mut params, "classifier", h, n, std)?,
            },
        };
        let head_dropout = config
            .classifier_dropout
            .unwrap_or(config.hidden_dropout_prob);
        Ok(SequenceClassifier {
            config,
            params,
            encoder,
            head,
            head_dropout,
        })
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    pub fn params_mut(&mut self) -> &mut Params {
        &mut self.params
    }

    pub fn encoder(&self) -> &Encoder {
        &self.encoder
    }

    /// Last hidden state `[b, l, h]`.
    pub fn hidden_states(
        &self,
        batch: &Batch,
        rng: Option<&mut Rng>,
    ) -> candle_core::Result<Tensor> {
        self.encoder.forward(batch, rng)
    }

    /// Class logits `[b, num_labels]`; `rng` enables dropout (training).
    pub fn forward(&self, batch: &Batch, mut rng: Option<&mut Rng>) -> candle_core::Result<Tensor> {
        let x = self.encoder.forward(batch, rng.as_deref_mut())?;
        let first = x.i((.., 0, ..))?;
        match &self.head {
            Head::Roberta { dense, out } => {
                let z = dropout(&first, self.head_dropout, rng.as_deref_mut())?;
                let z = dense.forward(&z)?.tanh()?;
                out.forward(&dropout(&z, self.head_dropout, rng)?)
            }
            Head::Bert { pooler, out } => {
                let z = pooler.forward(&first)?.tanh()?;
                out.forward(&dropout(&z, self.head_dropout, rng)?)
            }
        }
    }
}

/// Encoder plus RoBERTa's masked-language-modelling head (decoder tied to the word embeddings).
pub struct MaskedLm {
    pub config: ModelConfig,
    params: Params,
    encoder: Encoder,
    dense: Linear,
    norm: LayerNorm,
    bias: Tensor,
}

impl MaskedLm {
    pub fn new(config: ModelConfig, mut params: Params) -> Result<Self> {
        config.validate()?;
        let h = config.hidden_size;
        let encoder = Encoder::load(&mut params, &config)?;
        let dense = Linear::load(&mut params, "lm_head.dense", h, h, config.initializer_range)?;
        let norm = LayerNorm::load(&mut params, "lm_head.layer_norm", h, config.layer_norm_eps)?;
        let bias = params.get("lm_head.bias", &[config.vocab_size], Init::Zeros)?;
        Ok(MaskedLm {
            config,
            params,
            encoder,
            dense,
            norm,
            bias,
        })
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Vocabulary logits `[n, vocab]` at the flattened positions `rows` (indices into `b * l`).
    pub fn forward(
        &self,
        batch: &Batch,
        rows: &Tensor,
        rng: Option<&mut Rng>,
    ) -> candle_core::Result<Tensor> {
        let x = self.encoder.forward(batch, rng)?;
        let h = x.dim(D::Minus1)?;
        let picked = x.reshape(((), h))?.index_select(rows, 0)?;
        let z = self
            .norm
            .forward(&self.dense.forward(&picked)?.gelu_erf()?)?;
        z.matmul(&self.encoder.word_embeddings().t()?)?
            .broadcast_add(&self.bias)
    }
}
