//! One result type for "a model, evaluated": its test [`Evaluation`] and what it cost. The classic
//! story, the transformer story, the comparison and notebook 06 all speak it, and a
//! [`ResultsFile`] carries it from the notebooks that train to the one that concludes, so the
//! conclusion never retrains anything.

use super::claims::{Finding, Verdict};
use super::classic::ClassicRow;
use crate::error::{Error, Result};
use crate::lab::transformer::TransformerReport;
use crate::metrics::Evaluation;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Model family, for choosing "the best classic model" or "the transformer".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    Classic,
    Transformer,
}

/// What a model cost to obtain and to keep.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Cost {
    /// Fitting the model itself (TF-IDF, tokenizer, pretraining and fine-tuning included).
    pub fit_seconds: f64,
    /// The hyper-parameter search that chose its settings (0 when there was none).
    pub search_seconds: f64,
    /// Peak resident memory of the process while it trained, where measured.
    pub peak_memory_bytes: Option<u64>,
    /// Non-zero weights (linear models) or parameters (networks).
    pub parameters: usize,
    /// Size of the stored weights in bytes.
    pub size_bytes: u64,
}

impl Cost {
    /// Everything it took to get the model: search plus fit.
    pub fn total_seconds(&self) -> f64 {
        self.fit_seconds + self.search_seconds
    }
}

/// A model evaluated on the test split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelResult {
    pub name: String,
    pub family: Family,
    /// Validation F1, where the model had a validation split (what choices were made on).
    pub val_f1: Option<f64>,
    pub test: Evaluation,
    pub cost: Cost,
}

impl ModelResult {
    /// The figure's view of this result: F1, accuracy, time (search included), memory, size.
    pub fn stats(&self) -> crate::plot::ModelStats {
        let mut s = crate::plot::ModelStats::from_evaluation(&self.test)
            .train_secs(self.cost.total_seconds())
            .size_mb(self.cost.size_bytes as f64 / 1e6);
        s.memory_mb = self.cost.peak_memory_bytes.map(|b| b as f64 / 1e6);
        s
    }
}

impl ClassicRow {
    /// This row as a [`ModelResult`]; `search_seconds` is the search that chose it (0 if none),
    /// `tfidf_seconds` the vectorizer's fit.
    pub fn result(&self, name: &str, tfidf_seconds: f64, search_seconds: f64) -> ModelResult {
        let mut r = self.result.clone();
        r.name = name.to_string();
        r.test.name = name.to_string();
        r.cost.fit_seconds = tfidf_seconds + self.model.fit_seconds;
        r.cost.search_seconds = search_seconds;
        r
    }
}

impl TransformerReport {
    /// The fine-tuned model (and, with `random_init`, its random-init arm) as [`ModelResult`]s.
    pub fn results(&self) -> Vec<ModelResult> {
        let mut v = vec![ModelResult {
            name: self.model.clone(),
            family: Family::Transformer,
            val_f1: Some(self.fine_tuning.best_val_f1),
            test: self.test.clone(),
            cost: Cost {
                fit_seconds: self.train_seconds,
                search_seconds: 0.0,
                peak_memory_bytes: self.peak_memory_bytes,
                parameters: self.summary.parameters,
                size_bytes: self.summary.model_bytes,
            },
        }];
        v.extend(self.random_init.as_ref().map(|a| a.result.clone()));
        v
    }
}

/// Results saved by the notebooks that train (03-05) for the one that concludes (06): a JSON
/// list of [`ModelResult`]s, replaced by name, written whole or not at all.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ResultsFile {
    pub models: Vec<ModelResult>,
}

impl ResultsFile {
    /// Where the notebooks keep their results (`quick` runs apart from full ones, so that a
    /// quick test run never mixes into the committed outputs).
    pub fn notebook_path(quick: bool) -> PathBuf {
        PathBuf::from("../reports/notebooks").join(if quick {
            "results-quick.json"
        } else {
            "results.json"
        })
    }

    /// Read a results file; a missing file says which notebooks write it.
    pub fn load(path: impl AsRef<Path>) -> Result<ResultsFile> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::data(format!(
                    "{}: no saved results; run notebooks 03, 04 and 05 first (they save their models' results here)",
                    path.display()
                ))
            } else {
                Error::io(path, e)
            }
        })?;
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::data(format!(
                "{}: not a textlab results file ({e}); delete it and re-run notebooks 03-05",
                path.display()
            ))
        })
    }

    /// Add `models` to the file at `path` (replacing entries of the same name) and write it
    /// whole or not at all ([`crate::fsio::write_bytes_atomic`]).
    pub fn save(path: impl AsRef<Path>, models: &[ModelResult]) -> Result<ResultsFile> {
        let path = path.as_ref();
        let mut file = if path.exists() {
            ResultsFile::load(path)?
        } else {
            ResultsFile::default()
        };
        for m in models {
            file.models.retain(|o| o.name != m.name);
            file.models.push(m.clone());
        }
        crate::fsio::write_bytes_atomic(path, &serde_json::to_vec_pretty(&file)?)?;
        Ok(file)
    }

    /// The entry named `name`.
    pub fn get(&self, name: &str) -> Result<&ModelResult> {
        self.models.iter().find(|m| m.name == name).ok_or_else(|| {
            Error::data(format!(
                "no saved result named `{name}`; saved: {}",
                self.models
                    .iter()
                    .map(|m| m.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    }

    /// Every saved model in the comparison figure and table (time includes the search).
    pub fn comparison(&self) -> crate::plot::Comparison {
        crate::plot::Comparison::new(self.models.iter().map(ModelResult::stats).collect())
    }

    /// The model of a family with the best validation F1 (chosen without looking at test).
    pub fn best_of(&self, family: Family) -> Option<&ModelResult> {
        self.models
            .iter()
            .filter(|m| m.family == family)
            .max_by(|a, b| a.val_f1.unwrap_or(0.0).total_cmp(&b.val_f1.unwrap_or(0.0)))
    }
}

/// How two models' mistakes overlap on the same test rows: are their errors the same texts?
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorOverlap {
    pub first: String,
    pub second: String,
    pub rows: usize,
    pub both_wrong: usize,
    pub only_first_wrong: usize,
    pub only_second_wrong: usize,
    pub both_right: usize,
}

impl ErrorOverlap {
    pub fn between(first: &Evaluation, second: &Evaluation) -> Result<ErrorOverlap> {
        if first.y_true != second.y_true {
            return Err(Error::data(format!(
                "`{}` and `{}` were evaluated on different test rows",
                first.name, second.name
            )));
        }
        let (a, b) = (first.predictions(), second.predictions());
        let mut o = ErrorOverlap {
            first: first.name.clone(),
            second: second.name.clone(),
            rows: a.len(),
            both_wrong: 0,
            only_first_wrong: 0,
            only_second_wrong: 0,
            both_right: 0,
        };
        for ((&y, &pa), &pb) in first.y_true.iter().zip(&a).zip(&b) {
            match (pa != y, pb != y) {
                (true, true) => o.both_wrong += 1,
                (true, false) => o.only_first_wrong += 1,
                (false, true) => o.only_second_wrong += 1,
                (false, false) => o.both_right += 1,
            }
        }
        Ok(o)
    }

    /// Share of the first model's errors that the second model makes too.
    pub fn shared_share(&self) -> f64 {
        self.both_wrong as f64 / (self.both_wrong + self.only_first_wrong).max(1) as f64
    }
}

/// The report's margin of the transformer over TF-IDF + logistic regression (F1 0.780 - 0.773).
pub const REPORT_TRANSFORMER_MARGIN: f64 = 0.007;

/// The closing comparison of notebook 06 and the report: the findings of the seed report,
/// each checked against saved results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conclusion {
    pub findings: Vec<Finding>,
    /// Transformer seconds over classic seconds (search included), when both exist.
    pub cost_ratio: Option<f64>,
    pub classic: Option<ModelResult>,
    pub transformer: Option<ModelResult>,
}

impl Conclusion {
    /// Check the seed report's findings against `results`: L1 against L2 (entries `tuned L1`
    /// and `tuned L2`), pretraining against random init, and the best transformer against the
    /// best classic model (each family's best chosen on validation).
    pub fn from_results(results: &ResultsFile) -> Result<Conclusion> {
        let mut findings = Vec::new();
        if let (Ok(l1), Ok(l2)) = (results.get("tuned L1"), results.get("tuned L2")) {
            findings.push(Finding::new(
                "the report: L1 beat L2",
                Verdict::between(&l1.test, &l2.test)?,
            ));
        }
        let transformers: Vec<&ModelResult> = results
            .models
            .iter()
            .filter(|m| m.family == Family::Transformer)
            .collect();
        if let (Some(pre), Some(rand)) = (
            transformers.iter().find(|m| m.name.contains("pretrained")),
            transformers.iter().find(|m| m.name.contains("random init")),
        ) {
            findings.push(Finding::new(
                "MLM pretraining pays, at equal fine-tuning steps",
                Verdict::between(&pre.test, &rand.test)?,
            ));
        }
        let classic = results.best_of(Family::Classic).cloned();
        let transformer = results.best_of(Family::Transformer).cloned();
        let mut cost_ratio = None;
        if let (Some(c), Some(t)) = (&classic, &transformer) {
            findings.push(Finding::new(
                "the report: the transformer beat TF-IDF + logistic regression",
                Verdict::between(&t.test, &c.test)?,
            ));
            cost_ratio = Some(t.cost.total_seconds() / c.cost.total_seconds().max(1e-3));
        }
        Ok(Conclusion {
            findings,
            cost_ratio,
            classic,
            transformer,
        })
    }
}

/// Texts a user typed, with a model's answer: "classify your own text".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Predictions {
    pub model: String,
    pub threshold: f64,
    /// Names of class 0 and class 1 (e.g. ham, spam).
    pub classes: [String; 2],
    /// (text, P(class 1)).
    pub rows: Vec<(String, f64)>,
}

impl Predictions {
    pub fn new<S: AsRef<str>>(
        model: impl Into<String>,
        texts: &[S],
        probabilities: Vec<f64>,
        threshold: f64,
        classes: [&str; 2],
    ) -> Predictions {
        Predictions {
            model: model.into(),
            threshold,
            classes: classes.map(str::to_string),
            rows: texts
                .iter()
                .map(|t| t.as_ref().to_string())
                .zip(probabilities)
                .collect(),
        }
    }

    /// Predictions of a saved transformer (threshold 0.5, as it was evaluated).
    pub fn transformer<S: AsRef<str>>(
        model: &crate::transformer::checkpoint::TransformerModel,
        name: &str,
        texts: &[S],
        classes: [&str; 2],
    ) -> Result<Predictions> {
        let p = crate::transformer::predict::predict_texts(model, texts, None, 32)?;
        Ok(Predictions::new(
            name,
            texts,
            p.iter().map(|p| p.probability).collect(),
            0.5,
            classes,
        ))
    }

    /// The predicted class name of each row.
    pub fn labels(&self) -> Vec<&str> {
        self.rows
            .iter()
            .map(|(_, p)| self.classes[usize::from(*p >= self.threshold)].as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(name: &str, family: Family, val: f64, y: &[u8], s: &[f64]) -> ModelResult {
        ModelResult {
            name: name.into(),
            family,
            val_f1: Some(val),
            test: Evaluation::new(name, y, s, 0.5).unwrap(),
            cost: Cost {
                fit_seconds: 2.0,
                ..Cost::default()
            },
        }
    }

    #[test]
    fn results_round_trip_replace_by_name_and_pick_on_validation() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("r/results.json");
        let y = [0, 1, 1, 0];
        let a = result("tuned L1", Family::Classic, 0.7, &y, &[0.1, 0.9, 0.8, 0.2]);
        let b = result("tuned L2", Family::Classic, 0.8, &y, &[0.6, 0.9, 0.8, 0.2]);
        ResultsFile::save(&p, &[a.clone(), b.clone()]).unwrap();
        let b2 = result("tuned L2", Family::Classic, 0.6, &y, &[0.1, 0.9, 0.8, 0.2]);
        let f = ResultsFile::save(&p, std::slice::from_ref(&b2)).unwrap();
        assert_eq!(f.models.len(), 2);
        assert_eq!(ResultsFile::load(&p).unwrap(), f);
        // Validation decides: L1 (0.7) over the replaced L2 (0.6), whatever test says.
        assert_eq!(f.best_of(Family::Classic).unwrap().name, "tuned L1");
        assert!(f.get("nope").unwrap_err().to_string().contains("tuned L1"));
        let e = ResultsFile::load(d.path().join("none.json")).unwrap_err();
        assert!(e.to_string().contains("run notebooks 03"), "{e}");
        let c = Conclusion::from_results(&f).unwrap();
        assert_eq!(c.findings.len(), 1);
        assert!(c.transformer.is_none() && c.cost_ratio.is_none());
    }

    #[test]
    fn error_overlap_counts_each_row_once() {
        let y = [0, 1, 1, 0, 1];
        let a = Evaluation::new("a", &y, &[0.9, 0.9, 0.1, 0.1, 0.9], 0.5).unwrap();
        let b = Evaluation::new("b", &y, &[0.9, 0.1, 0.9, 0.1, 0.9], 0.5).unwrap();
        let o = ErrorOverlap::between(&a, &b).unwrap();
        assert_eq!(
            (
                o.both_wrong,
                o.only_first_wrong,
                o.only_second_wrong,
                o.both_right
            ),
            (1, 1, 1, 2)
        );
        assert!((o.shared_share() - 0.5).abs() < 1e-12);
    }
}
