//! Tokenizers: load a Hugging Face `tokenizer.json` (or RoBERTa's legacy `vocab.json` +
//! `merges.txt`), or train a RoBERTa-style byte-level BPE on the training texts (offline `tiny`).

use crate::error::{Error, Result};
use std::path::Path;
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::TrainerWrapper;
use tokenizers::models::bpe::{BPE, BpeTrainerBuilder};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::processors::roberta::RobertaProcessing;
use tokenizers::{AddedToken, Tokenizer, TruncationParams};

/// RoBERTa's special tokens, ids 0..4 in a trained tokenizer.
pub const SPECIAL_TOKENS: [&str; 5] = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"];

/// A tokenizer plus the special ids the models need.
#[derive(Clone)]
pub struct TextTokenizer {
    inner: Tokenizer,
    pad_id: u32,
    mask_id: Option<u32>,
}

/// Token ids of many texts, truncated to a maximum length.
#[derive(Debug, Clone, Default)]
pub struct Encoded {
    pub ids: Vec<Vec<u32>>,
    /// How many texts were longer than the maximum and got cut.
    pub truncated: usize,
    /// Per text: whether it was cut.
    pub cut: Vec<bool>,
}

impl Encoded {
    pub fn lengths(&self) -> Vec<usize> {
        self.ids.iter().map(Vec::len).collect()
    }
}

fn tok_err(what: impl std::fmt::Display, e: impl std::fmt::Display) -> Error {
    Error::model(format!("{what}: {e}"))
}

impl std::fmt::Debug for TextTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextTokenizer")
            .field("vocab_size", &self.vocab_size())
            .field("pad_id", &self.pad_id)
            .field("mask_id", &self.mask_id)
            .finish()
    }
}

impl TextTokenizer {
    /// Wrap a `tokenizers::Tokenizer`; the pad id is the id of `<pad>` or `[PAD]`.
    pub fn new(inner: Tokenizer) -> Result<Self> {
        let pad_id = ["<pad>", "[PAD]"]
            .iter()
            .find_map(|t| inner.token_to_id(t))
            .ok_or_else(|| Error::model("the tokenizer has no `<pad>` or `[PAD]` token"))?;
        let mask_id = ["<mask>", "[MASK]"]
            .iter()
            .find_map(|t| inner.token_to_id(t));
        Ok(TextTokenizer {
            inner,
            pad_id,
            mask_id,
        })
    }

    /// Load a `tokenizer.json`.
    pub fn from_file(path: &Path) -> Result<Self> {
        if !path.is_file() {
            return Err(Error::model(format!(
                "tokenizer file {} does not exist",
                path.display()
            )));
        }
        let t = Tokenizer::from_file(path).map_err(|e| tok_err(path.display(), e))?;
        Self::new(t)
    }

    /// RoBERTa's legacy pair `vocab.json` + `merges.txt`, with RoBERTa's pipeline.
    pub fn from_vocab_merges(vocab: &Path, merges: &Path) -> Result<Self> {
        let bpe = BPE::from_file(&vocab.to_string_lossy(), &merges.to_string_lossy())
            .build()
            .map_err(|e| tok_err(format!("{} + {}", vocab.display(), merges.display()), e))?;
        let mut t = Tokenizer::new(bpe);
        roberta_pipeline(&mut t)?;
        Self::new(t)
    }

    /// `dir/tokenizer.json`, else `dir/vocab.json` + `dir/merges.txt`.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        let json = dir.join("tokenizer.json");
        if json.is_file() {
            return Self::from_file(&json);
        }
        let (v, m) = (dir.join("vocab.json"), dir.join("merges.txt"));
        if v.is_file() && m.is_file() {
            return Self::from_vocab_merges(&v, &m);
        }
        Err(Error::model(format!(
            "{} has no tokenizer: expected tokenizer.json, or vocab.json + merges.txt",
            dir.display()
        )))
    }

    /// Train a RoBERTa-style byte-level BPE (no normalizer, byte-level pre-tokenizer, special
    /// tokens `<s> <pad> </s> <unk> <mask>` = ids 0..4) with `vocab_size` entries on `texts`.
    pub fn train_bpe<S: AsRef<str> + Sync>(texts: &[S], vocab_size: usize) -> Result<Self> {
        if texts.iter().all(|t| t.as_ref().trim().is_empty()) {
            return Err(Error::data(
                "cannot train a tokenizer: every training text is empty",
            ));
        }
        if vocab_size < 300 {
            return Err(Error::config(format!(
                "vocab_size {vocab_size} is below the 256 bytes + 5 special tokens a byte-level BPE needs"
            )));
        }
        let specials: Vec<AddedToken> = SPECIAL_TOKENS
            .iter()
            .map(|s| AddedToken::from(*s, true).lstrip(*s == "<mask>"))
            .collect();
        let trainer = BpeTrainerBuilder::new()
            .vocab_size(vocab_size)
            .min_frequency(2)
            .show_progress(false)
            .special_tokens(specials)
            .initial_alphabet(ByteLevel::alphabet().into_iter().collect())
            .build();
        let mut t = Tokenizer::new(BPE::default());
        roberta_pipeline(&mut t)?;
        t.train(
            &mut TrainerWrapper::from(trainer),
            texts.iter().map(|s| s.as_ref()),
        )
        .map_err(|e| tok_err("training the BPE tokenizer", e))?;
        Self::new(t)
    }

    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    pub fn pad_id(&self) -> u32 {
        self.pad_id
    }

    /// The `<mask>` / `[MASK]` id (masked-language modelling needs one).
    pub fn mask_id(&self) -> Option<u32> {
        self.mask_id
    }

    /// Ids of the tokens that are special (never masked in MLM).
    pub fn special_ids(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self
            .inner
            .get_added_tokens_decoder()
            .iter()
            .filter(|(_, t)| t.special)
            .map(|(id, _)| *id)
            .collect();
        v.sort();
        v
    }

    pub fn inner(&self) -> &Tokenizer {
        &self.inner
    }

    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    /// Encode with special tokens, truncating to `max_len` tokens (special tokens included).
    pub fn encode_all<S: AsRef<str>>(&self, texts: &[S], max_len: usize) -> Result<Encoded> {
        if max_len < 3 {
            return Err(Error::config(format!(
                "max length {max_len} leaves no room for text between the special tokens"
            )));
        }
        let mut t = self.inner.clone();
        t.with_truncation(Some(TruncationParams {
            max_length: max_len,
            ..Default::default()
        }))
        .map_err(|e| tok_err("setting truncation", e))?;
        t.with_padding(None);
        let inputs: Vec<&str> = texts.iter().map(|s| s.as_ref()).collect();
        let enc = t
            .encode_batch(inputs, true)
            .map_err(|e| tok_err("tokenizing", e))?;
        let mut out = Encoded::default();
        for e in enc {
            let cut = !e.get_overflowing().is_empty();
            out.truncated += usize::from(cut);
            out.cut.push(cut);
            out.ids.push(e.get_ids().to_vec());
        }
        Ok(out)
    }

    /// Write `tokenizer.json`.
    pub fn save(&self, path: &Path) -> Result<()> {
        self.inner
            .save(path, false)
            .map_err(|e| tok_err(path.display(), e))
    }
}

fn roberta_pipeline(t: &mut Tokenizer) -> Result<()> {
    t.with_pre_tokenizer(Some(ByteLevel::new(false, true, true)));
    t.with_decoder(Some(ByteLevelDecoder::default()));
    t.with_post_processor(Some(
        RobertaProcessing::new(("</s>".into(), 2), ("<s>".into(), 0))
            .trim_offsets(true)
            .add_prefix_space(false),
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus() -> Vec<String> {
        (0..200)
            .map(|i| {
                format!(
                    "free money offer number {i} click now, meeting notes for project {}",
                    i % 7
                )
            })
            .collect()
    }

    #[test]
    fn trained_bpe_has_roberta_specials_and_truncates() {
        let tok = TextTokenizer::train_bpe(&corpus(), 400).unwrap();
        assert_eq!(
            SPECIAL_TOKENS.map(|s| tok.token_to_id(s).unwrap()),
            [0, 1, 2, 3, 4]
        );
        assert_eq!(tok.pad_id(), 1);
        assert_eq!(tok.mask_id(), Some(4));
        assert_eq!(tok.special_ids(), vec![0, 1, 2, 3, 4]);
        let long = "free money ".repeat(100);
        let e = tok
            .encode_all(&["free money", "", long.as_str()], 16)
            .unwrap();
        assert_eq!(e.truncated, 1);
        assert_eq!(e.ids[1], vec![0, 2]);
        assert_eq!(e.ids[2].len(), 16);
        assert_eq!((e.ids[2][0], e.ids[2][15]), (0, 2));
        // a learned merge makes common words short
        assert!(e.ids[0].len() <= 5, "{:?}", e.ids[0]);
        // bytes never seen in training still encode (byte fallback), no unk
        let e = tok.encode_all(&["Привет 🦀"], 64).unwrap();
        assert!(!e.ids[0].contains(&3));
    }

    #[test]
    fn save_and_reload_gives_same_ids() {
        let tok = TextTokenizer::train_bpe(&corpus(), 400).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("tokenizer.json");
        tok.save(&p).unwrap();
        let back = TextTokenizer::from_dir(dir.path()).unwrap();
        let a = tok.encode_all(&["click now for money"], 32).unwrap();
        assert_eq!(
            a.ids,
            back.encode_all(&["click now for money"], 32).unwrap().ids
        );
    }

    #[test]
    fn bad_input_errors() {
        assert!(
            TextTokenizer::train_bpe(&["", "  "], 400)
                .unwrap_err()
                .to_string()
                .contains("empty")
        );
        assert!(TextTokenizer::train_bpe(&corpus(), 100).is_err());
        let dir = tempfile::tempdir().unwrap();
        let e = TextTokenizer::from_dir(dir.path()).unwrap_err();
        assert!(e.to_string().contains("tokenizer.json"), "{e}");
        let tok = TextTokenizer::train_bpe(&corpus(), 400).unwrap();
        assert!(tok.encode_all(&["a"], 2).is_err());
    }
}
