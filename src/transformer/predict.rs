//! Prediction with a saved classifier: texts in, logits and P(class 1) out, in input order.

use super::checkpoint::TransformerModel;
use super::train::{positive_probability, predict_logits};
use crate::error::{Error, IoContext, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One text's prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub logits: [f32; 2],
    /// P(class 1).
    pub probability: f64,
    /// 1 when `probability >= 0.5`.
    pub label: u8,
    /// Whether the text was cut to the maximum length.
    pub truncated: bool,
}

/// Predict `texts` with `model`, truncating at `max_length` tokens (default: the model's
/// maximum).
pub fn predict_texts<S: AsRef<str>>(
    model: &TransformerModel,
    texts: &[S],
    max_length: Option<usize>,
    batch_size: usize,
) -> Result<Vec<Prediction>> {
    if batch_size == 0 {
        return Err(Error::config("--batch-size must be at least 1"));
    }
    let limit = model.classifier.config.max_tokens();
    let max_len = match max_length {
        Some(n) if n > limit => {
            return Err(Error::config(format!(
                "--max-length {n} exceeds the model's {limit} positions"
            )));
        }
        Some(n) => n,
        None => limit,
    };
    if texts.is_empty() {
        return Ok(Vec::new());
    }
    let enc = model.tokenizer.encode_all(texts, max_len)?;
    let logits = predict_logits(&model.classifier, &enc.ids, batch_size)?;
    Ok(logits
        .into_iter()
        .zip(enc.cut)
        .map(|(l, cut)| {
            let p = positive_probability(l);
            Prediction {
                logits: l,
                probability: p,
                label: u8::from(p >= 0.5),
                truncated: cut,
            }
        })
        .collect())
}

/// The `text` field of every line of a JSONL file (blank lines skipped). A line that is not a
/// JSON object with a string `text` is an error naming the line.
pub fn read_jsonl_texts(path: &Path) -> Result<Vec<String>> {
    let s = std::fs::read_to_string(path).at(path)?;
    let mut out = Vec::new();
    for (i, line) in s.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| Error::data(format!("{}:{}: not JSON: {e}", path.display(), i + 1)))?;
        let t = v.get("text").and_then(|t| t.as_str()).ok_or_else(|| {
            Error::data(format!(
                "{}:{}: expected an object with a string \"text\"",
                path.display(),
                i + 1
            ))
        })?;
        out.push(t.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_reading_names_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("in.jsonl");
        std::fs::write(&p, "{\"text\": \"a\"}\n\n{\"text\": \"b\", \"id\": 3}\n").unwrap();
        assert_eq!(read_jsonl_texts(&p).unwrap(), vec!["a", "b"]);
        std::fs::write(&p, "{\"text\": \"a\"}\n{\"body\": 1}\n").unwrap();
        let e = read_jsonl_texts(&p).unwrap_err();
        assert!(e.to_string().contains(":2:"), "{e}");
        std::fs::write(&p, "nope\n").unwrap();
        assert!(
            read_jsonl_texts(&p)
                .unwrap_err()
                .to_string()
                .contains(":1:")
        );
        assert!(read_jsonl_texts(&dir.path().join("missing.jsonl")).is_err());
    }
}
