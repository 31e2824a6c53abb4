//! Model configuration read from (and written to) a Hugging Face `config.json`.
//!
//! Only the keys the encoder needs are typed; every other key is kept verbatim in
//! [`ModelConfig::extra`] so that a loaded-then-saved checkpoint keeps what `transformers` wrote.
//! Absent optional keys take the `transformers` defaults of the model type (RoBERTa's layer norm
//! eps is 1e-5, BERT's 1e-12; RoBERTa's padding id is 1, BERT's 0).

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::path::Path;

/// Which family of encoder the checkpoint is: they differ in position ids, tensor prefixes and
/// the classification head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    /// RoBERTa: position ids offset by the padding id, head `classifier.dense` -> tanh ->
    /// `classifier.out_proj` on `<s>`.
    Roberta,
    /// BERT (and BERT-shaped models such as MiniLM): absolute positions 0..L, token type
    /// embeddings, head `bert.pooler.dense` -> tanh -> `classifier`.
    Bert,
}

impl Arch {
    /// Tensor-name prefix of the encoder (`roberta.` / `bert.`).
    pub fn prefix(self) -> &'static str {
        match self {
            Arch::Roberta => "roberta.",
            Arch::Bert => "bert.",
        }
    }
    pub fn model_type(self) -> &'static str {
        match self {
            Arch::Roberta => "roberta",
            Arch::Bert => "bert",
        }
    }
}

/// The encoder's hyper-parameters (HF `config.json` names).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelConfig {
    pub arch: Arch,
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    pub type_vocab_size: usize,
    pub layer_norm_eps: f64,
    pub hidden_dropout_prob: f64,
    pub attention_probs_dropout_prob: f64,
    /// `classifier_dropout` (falls back to `hidden_dropout_prob` when null, as in transformers).
    pub classifier_dropout: Option<f64>,
    pub initializer_range: f64,
    pub pad_token_id: u32,
    pub bos_token_id: u32,
    pub eos_token_id: u32,
    pub num_labels: usize,
    /// Every other key of the original `config.json`, written back unchanged on save.
    pub extra: Map<String, Value>,
}

impl ModelConfig {
    /// A small RoBERTa (the offline `tiny` model): `hidden` wide, `layers` deep, `heads` heads,
    /// feed-forward 4x hidden, positions for `max_len` tokens.
    pub fn tiny_roberta(
        vocab_size: usize,
        hidden: usize,
        layers: usize,
        heads: usize,
        max_len: usize,
    ) -> Self {
        ModelConfig {
            arch: Arch::Roberta,
            vocab_size,
            hidden_size: hidden,
            num_hidden_layers: layers,
            num_attention_heads: heads,
            intermediate_size: 4 * hidden,
            max_position_embeddings: max_len.saturating_add(2),
            type_vocab_size: 1,
            layer_norm_eps: 1e-5,
            hidden_dropout_prob: 0.1,
            attention_probs_dropout_prob: 0.1,
            classifier_dropout: None,
            initializer_range: 0.02,
            pad_token_id: 1,
            bos_token_id: 0,
            eos_token_id: 2,
            num_labels: 2,
            extra: Map::new(),
        }
    }

    /// Hidden size of one attention head.
    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_attention_heads.max(1)
    }

    /// Longest token sequence (special tokens included) the position table allows.
    pub fn max_tokens(&self) -> usize {
        match self.arch {
            Arch::Roberta => self
                .max_position_embeddings
                .saturating_sub(self.pad_token_id as usize + 1),
            Arch::Bert => self.max_position_embeddings,
        }
    }

    /// Number of parameters of the encoder plus classification head.
    pub fn num_parameters(&self) -> usize {
        let (h, i, l) = (
            self.hidden_size,
            self.intermediate_size,
            self.num_hidden_layers,
        );
        let emb =
            (self.vocab_size + self.max_position_embeddings + self.type_vocab_size) * h + 2 * h;
        let layer = 4 * (h * h + h) + 2 * h + (h * i + i) + (i * h + h) + 2 * h;
        let head = (h * h + h) + (h * self.num_labels + self.num_labels);
        emb + l * layer + head
    }

    /// Parse a `config.json` value. Unknown model types are an error naming what is supported.
    pub fn from_value(v: Value) -> Result<Self> {
        let Value::Object(mut map) = v else {
            return Err(Error::model("config.json is not a JSON object"));
        };
        let model_type = map
            .get("model_type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let arch = match model_type.as_str() {
            "roberta" | "xlm-roberta" | "camembert" => Arch::Roberta,
            "bert" => Arch::Bert,
            "" => {
                return Err(Error::model(
                    "config.json has no `model_type`; supported: roberta, xlm-roberta, camembert, bert",
                ));
            }
            other => {
                return Err(Error::model(format!(
                    "config.json has model_type `{other}`; only RoBERTa (roberta, xlm-roberta, camembert) and BERT (bert) encoders are supported"
                )));
            }
        };
        if let Some(p) = map.get("position_embedding_type").and_then(Value::as_str)
            && p != "absolute"
        {
            return Err(Error::model(format!(
                "position_embedding_type `{p}` is not supported (only `absolute`)"
            )));
        }
        if let Some(act) = map.get("hidden_act").and_then(Value::as_str)
            && act != "gelu"
        {
            return Err(Error::model(format!(
                "hidden_act `{act}` is not supported (only exact `gelu`)"
            )));
        }
        let mut take_usize = |k: &str, default: Option<usize>| -> Result<usize> {
            match map.remove(k) {
                Some(v) => v.as_u64().map(|x| x as usize).ok_or_else(|| {
                    Error::model(format!(
                        "config.json: `{k}` is {v}, expected a non-negative integer"
                    ))
                }),
                None => default.ok_or_else(|| Error::model(format!("config.json has no `{k}`"))),
            }
        };
        let vocab_size = take_usize("vocab_size", None)?;
        let hidden_size = take_usize("hidden_size", Some(768))?;
        let num_hidden_layers = take_usize("num_hidden_layers", Some(12))?;
        let num_attention_heads = take_usize("num_attention_heads", Some(12))?;
        let intermediate_size = take_usize("intermediate_size", Some(4 * hidden_size))?;
        let max_position_embeddings = take_usize("max_position_embeddings", Some(512))?;
        let type_vocab_size = take_usize("type_vocab_size", Some(2))?;
        let default_pad = match arch {
            Arch::Roberta => 1,
            Arch::Bert => 0,
        };
        let take_id = |map: &mut Map<String, Value>, k: &str, d: u32| -> u32 {
            map.remove(k)
                .and_then(|v| v.as_u64())
                .map_or(d, |x| x as u32)
        };
        let pad_token_id = take_id(&mut map, "pad_token_id", default_pad);
        let bos_token_id = take_id(&mut map, "bos_token_id", 0);
        let eos_token_id = take_id(&mut map, "eos_token_id", 2);
        let take_f = |map: &mut Map<String, Value>, k: &str, d: f64| -> f64 {
            map.remove(k).and_then(|v| v.as_f64()).unwrap_or(d)
        };
        let layer_norm_eps = take_f(
            &mut map,
            "layer_norm_eps",
            if arch == Arch::Roberta { 1e-5 } else { 1e-12 },
        );
        let hidden_dropout_prob = take_f(&mut map, "hidden_dropout_prob", 0.1);
        let attention_probs_dropout_prob = take_f(&mut map, "attention_probs_dropout_prob", 0.1);
        let initializer_range = take_f(&mut map, "initializer_range", 0.02);
        let classifier_dropout = map.remove("classifier_dropout").and_then(|v| v.as_f64());
        let num_labels = map
            .get("id2label")
            .and_then(Value::as_object)
            .map(|m| m.len())
            .or_else(|| {
                map.get("num_labels")
                    .and_then(Value::as_u64)
                    .map(|x| x as usize)
            })
            .unwrap_or(2);
        map.remove("model_type");
        let cfg = ModelConfig {
            arch,
            vocab_size,
            hidden_size,
            num_hidden_layers,
            num_attention_heads,
            intermediate_size,
            max_position_embeddings,
            type_vocab_size,
            layer_norm_eps,
            hidden_dropout_prob,
            attention_probs_dropout_prob,
            classifier_dropout,
            initializer_range,
            pad_token_id,
            bos_token_id,
            eos_token_id,
            num_labels,
            extra: map,
        };
        cfg.validate()?;
        Ok(cfg)
    }

    /// Check the sizes fit together (heads divide hidden, non-zero sizes).
    pub fn validate(&self) -> Result<()> {
        let zero = [
            ("vocab_size", self.vocab_size),
            ("hidden_size", self.hidden_size),
            ("num_hidden_layers", self.num_hidden_layers),
            ("num_attention_heads", self.num_attention_heads),
            ("intermediate_size", self.intermediate_size),
            ("max_position_embeddings", self.max_position_embeddings),
            ("type_vocab_size", self.type_vocab_size),
        ];
        if let Some((k, _)) = zero.iter().find(|(_, v)| *v == 0) {
            return Err(Error::model(format!("config: `{k}` must be positive")));
        }
        if !self.hidden_size.is_multiple_of(self.num_attention_heads) {
            return Err(Error::model(format!(
                "config: hidden_size {} is not a multiple of num_attention_heads {}",
                self.hidden_size, self.num_attention_heads
            )));
        }
        if self.num_labels != 2 {
            return Err(Error::model(format!(
                "config: {} labels; the lab classifies two classes (0/1)",
                self.num_labels
            )));
        }
        if self.max_tokens() < 3 {
            return Err(Error::model(
                "config: max_position_embeddings leaves room for fewer than 3 tokens",
            ));
        }
        Ok(())
    }

    /// Read `dir/config.json` (or a file path).
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| Error::model(format!("{}: not valid JSON: {e}", path.display())))?;
        Self::from_value(v)
    }

    /// The `config.json` object `transformers` reads as `RobertaForSequenceClassification` /
    /// `BertForSequenceClassification`.
    pub fn to_value(&self) -> Value {
        let mut m = self.extra.clone();
        let arch = match self.arch {
            Arch::Roberta => "RobertaForSequenceClassification",
            Arch::Bert => "BertForSequenceClassification",
        };
        let mut set = |k: &str, v: Value| {
            m.insert(k.to_string(), v);
        };
        set("architectures", Value::from(vec![arch]));
        set("model_type", self.arch.model_type().into());
        set("vocab_size", self.vocab_size.into());
        set("hidden_size", self.hidden_size.into());
        set("num_hidden_layers", self.num_hidden_layers.into());
        set("num_attention_heads", self.num_attention_heads.into());
        set("intermediate_size", self.intermediate_size.into());
        set(
            "max_position_embeddings",
            self.max_position_embeddings.into(),
        );
        set("type_vocab_size", self.type_vocab_size.into());
        set("layer_norm_eps", self.layer_norm_eps.into());
        set("hidden_dropout_prob", self.hidden_dropout_prob.into());
        set(
            "attention_probs_dropout_prob",
            self.attention_probs_dropout_prob.into(),
        );
        set(
            "classifier_dropout",
            self.classifier_dropout.map_or(Value::Null, Value::from),
        );
        set("initializer_range", self.initializer_range.into());
        set("pad_token_id", self.pad_token_id.into());
        set("bos_token_id", self.bos_token_id.into());
        set("eos_token_id", self.eos_token_id.into());
        set("hidden_act", "gelu".into());
        set("position_embedding_type", "absolute".into());
        if !m.contains_key("id2label") {
            m.insert(
                "id2label".into(),
                serde_json::json!({"0": "LABEL_0", "1": "LABEL_1"}),
            );
            m.insert(
                "label2id".into(),
                serde_json::json!({"LABEL_0": 0, "LABEL_1": 1}),
            );
        }
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn absent_optional_keys_take_family_defaults() {
        let c =
            ModelConfig::from_value(json!({"model_type": "roberta", "vocab_size": 50})).unwrap();
        assert_eq!(c.layer_norm_eps, 1e-5);
        assert_eq!(c.pad_token_id, 1);
        assert_eq!(c.max_tokens(), 510);
        let b = ModelConfig::from_value(json!({"model_type": "bert", "vocab_size": 50, "hidden_size": 64, "num_attention_heads": 4})).unwrap();
        assert_eq!(b.layer_norm_eps, 1e-12);
        assert_eq!(b.pad_token_id, 0);
        assert_eq!(b.max_tokens(), 512);
        assert_eq!(b.intermediate_size, 256);
    }

    #[test]
    fn bad_configs_are_clear_errors() {
        let e =
            ModelConfig::from_value(json!({"model_type": "gpt2", "vocab_size": 50})).unwrap_err();
        assert!(
            e.to_string().contains("gpt2") && e.to_string().contains("RoBERTa"),
            "{e}"
        );
        let e = ModelConfig::from_value(json!({"model_type": "roberta"})).unwrap_err();
        assert!(e.to_string().contains("vocab_size"), "{e}");
        let e = ModelConfig::from_value(json!({"model_type": "roberta", "vocab_size": 5, "hidden_size": 10, "num_attention_heads": 3})).unwrap_err();
        assert!(e.to_string().contains("multiple"), "{e}");
        let e = ModelConfig::from_value(json!({"model_type": "roberta", "vocab_size": "x"}))
            .unwrap_err();
        assert!(e.to_string().contains("vocab_size"), "{e}");
        let e = ModelConfig::from_value(json!([1, 2])).unwrap_err();
        assert!(e.to_string().contains("object"), "{e}");
    }

    #[test]
    fn round_trip_keeps_unknown_keys() {
        let mut v = ModelConfig::tiny_roberta(100, 32, 2, 2, 64).to_value();
        v["my_key"] = json!("kept");
        let c = ModelConfig::from_value(v).unwrap();
        assert_eq!(c.to_value()["my_key"], "kept");
        assert_eq!(
            c.to_value()["architectures"][0],
            "RobertaForSequenceClassification"
        );
        assert_eq!(c, ModelConfig::from_value(c.to_value()).unwrap());
    }
}
