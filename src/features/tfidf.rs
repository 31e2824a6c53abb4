//! TF-IDF features, fitted on training texts only, as a sparse CSR matrix.
//!
//! The formulas are scikit-learn's `TfidfVectorizer` (so numbers can be compared one to one):
//! `tf` is the raw count (or `1 + ln(tf)` with `sublinear_tf`), `idf = ln((1 + n) / (1 + df)) + 1`
//! with `smooth_idf` (else `ln(n / df) + 1`), rows are L2-normalised, and the vocabulary is sorted.
//!
//! ```
//! use textlab::features::TfidfVectorizer;
//! let docs = ["free money now", "meeting at noon", "free free offer"];
//! let (tfidf, x) = TfidfVectorizer::new().fit_transform(&docs).unwrap();
//! assert_eq!(x.n_rows, 3);
//! assert!(tfidf.feature_names().contains(&"free".to_string()));
//! ```

use super::sparse::Csr;
use super::tokenize::{char_wb_ngrams, word_ngrams, word_tokens};
use crate::error::{Error, Result};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

/// A document frequency bound: an absolute count or a fraction of the documents.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum DocFreq {
    Count(usize),
    Fraction(f64),
}

impl DocFreq {
    fn resolve(self, n_docs: usize) -> f64 {
        match self {
            DocFreq::Count(c) => c as f64,
            DocFreq::Fraction(f) => f * n_docs as f64,
        }
    }
}

/// TF-IDF settings (a builder; every setter documents its default).
#[derive(Debug, Clone, Serialize)]
pub struct TfidfVectorizer {
    pub lowercase: bool,
    pub word_ngrams: Option<(usize, usize)>,
    pub char_ngrams: Option<(usize, usize)>,
    pub min_df: DocFreq,
    pub max_df: DocFreq,
    pub max_features: Option<usize>,
    pub sublinear_tf: bool,
    pub smooth_idf: bool,
    pub norm: bool,
}

impl Default for TfidfVectorizer {
    fn default() -> Self {
        TfidfVectorizer {
            lowercase: true,
            word_ngrams: Some((1, 1)),
            char_ngrams: None,
            min_df: DocFreq::Count(1),
            max_df: DocFreq::Fraction(1.0),
            max_features: None,
            sublinear_tf: false,
            smooth_idf: true,
            norm: true,
        }
    }
}

impl TfidfVectorizer {
    /// sklearn's defaults: lowercase word unigrams, smooth idf, L2 rows.
    pub fn new() -> Self {
        Self::default()
    }
    /// Lowercase before tokenizing (default true).
    pub fn lowercase(mut self, on: bool) -> Self {
        self.lowercase = on;
        self
    }
    /// Word n-grams `lo..=hi` (default 1..=1).
    pub fn ngrams(mut self, lo: usize, hi: usize) -> Self {
        self.word_ngrams = Some((lo, hi));
        self
    }
    /// No word features (character n-grams only).
    pub fn no_words(mut self) -> Self {
        self.word_ngrams = None;
        self
    }
    /// Also character n-grams `lo..=hi` within word boundaries (sklearn `char_wb`; default off).
    pub fn char_ngrams(mut self, lo: usize, hi: usize) -> Self {
        self.char_ngrams = Some((lo, hi));
        self
    }
    /// Drop terms in fewer than `n` documents (default 1).
    pub fn min_df(mut self, n: usize) -> Self {
        self.min_df = DocFreq::Count(n);
        self
    }
    /// Drop terms in more than this fraction of documents (default 1.0: keep all).
    pub fn max_df(mut self, f: f64) -> Self {
        self.max_df = DocFreq::Fraction(f);
        self
    }
    /// Keep only the `n` most frequent terms (default: all).
    pub fn max_features(mut self, n: usize) -> Self {
        self.max_features = Some(n);
        self
    }
    /// Use `1 + ln(tf)` instead of the raw count (default false).
    pub fn sublinear_tf(mut self, on: bool) -> Self {
        self.sublinear_tf = on;
        self
    }
    /// Add one to document frequencies as if an extra document held every term (default true).
    pub fn smooth_idf(mut self, on: bool) -> Self {
        self.smooth_idf = on;
        self
    }
    /// L2-normalise each row (default true).
    pub fn norm(mut self, on: bool) -> Self {
        self.norm = on;
        self
    }

    fn check(&self) -> Result<()> {
        for (what, r) in [("word", self.word_ngrams), ("char", self.char_ngrams)] {
            if let Some((lo, hi)) = r
                && (lo == 0 || hi < lo)
            {
                return Err(Error::config(format!(
                    "{what} n-gram range ({lo}, {hi}) must have 1 <= lo <= hi"
                )));
            }
        }
        if self.word_ngrams.is_none() && self.char_ngrams.is_none() {
            return Err(Error::config("TF-IDF needs word or character n-grams"));
        }
        for (what, d) in [("min_df", self.min_df), ("max_df", self.max_df)] {
            if let DocFreq::Fraction(f) = d
                && !(0.0..=1.0).contains(&f)
            {
                return Err(Error::config(format!(
                    "{what} fraction {f} must be in [0, 1]"
                )));
            }
        }
        if self.max_features == Some(0) {
            return Err(Error::config("max_features must be at least 1"));
        }
        Ok(())
    }

    /// Calls `emit` for every term occurrence in `doc`. Character n-grams get a `\u{1}` prefix so
    /// that they never collide with a word of the same spelling.
    fn for_each_term(&self, doc: &str, mut emit: impl FnMut(&str)) {
        let lowered;
        let doc = if self.lowercase {
            // Same result for ASCII text, without the per-character Unicode case tables.
            lowered = if doc.is_ascii() {
                doc.to_ascii_lowercase()
            } else {
                doc.to_lowercase()
            };
            lowered.as_str()
        } else {
            doc
        };
        if let Some((lo, hi)) = self.word_ngrams {
            let toks = word_tokens(doc);
            word_ngrams(&toks, lo, hi, &mut emit);
        }
        if let Some((lo, hi)) = self.char_ngrams {
            let mut key = String::from('\u{1}');
            char_wb_ngrams(doc, lo, hi, |g| {
                key.truncate(1);
                key.push_str(g);
                emit(&key);
            });
        }
    }

    /// Term counts of a run of documents against a dictionary local to the run: a term is
    /// allocated once per run, not once per document that contains it (per-document string maps
    /// were most of the fit time).
    fn count_chunk<S: AsRef<str>>(&self, docs: &[S]) -> ChunkCounts {
        let mut ids: FxHashMap<String, u32> = FxHashMap::default();
        let mut tally = Tally::default();
        let mut rows = Vec::with_capacity(docs.len());
        for doc in docs {
            self.for_each_term(doc.as_ref(), |t| {
                let id = match ids.get(t) {
                    Some(&id) => id,
                    None => {
                        let id = ids.len() as u32;
                        ids.insert(t.to_string(), id);
                        id
                    }
                };
                tally.add(id);
            });
            rows.push(tally.drain().collect());
        }
        let mut terms = vec![String::new(); ids.len()];
        for (t, id) in ids {
            terms[id as usize] = t;
        }
        ChunkCounts { terms, rows }
    }

    /// Learn the vocabulary and idf from training texts.
    pub fn fit<S: AsRef<str> + Sync>(&self, docs: &[S]) -> Result<Tfidf> {
        Ok(self.fit_transform(docs)?.0)
    }

    /// Learn from `docs` and return their matrix too (tokenizes once).
    pub fn fit_transform<S: AsRef<str> + Sync>(&self, docs: &[S]) -> Result<(Tfidf, Csr)> {
        self.check()?;
        if docs.is_empty() {
            return Err(Error::data("cannot fit TF-IDF on zero documents"));
        }
        let chunks: Vec<ChunkCounts> = docs
            .par_chunks(chunk_len(docs.len()))
            .map(|c| self.count_chunk(c))
            .collect();
        // One dictionary over the runs: `local[c][id]` is the global id of run c's term id.
        let biggest = chunks.iter().map(|c| c.terms.len()).max().unwrap_or(0);
        let mut global: FxHashMap<&str, u32> =
            FxHashMap::with_capacity_and_hasher(2 * biggest, Default::default());
        let mut all_terms: Vec<&str> = Vec::new();
        let mut stats: Vec<(u32, u64)> = Vec::new();
        let mut local: Vec<Vec<u32>> = Vec::with_capacity(chunks.len());
        for c in &chunks {
            let map: Vec<u32> = c
                .terms
                .iter()
                .map(|t| {
                    *global.entry(t.as_str()).or_insert_with(|| {
                        all_terms.push(t.as_str());
                        stats.push((0, 0));
                        (all_terms.len() - 1) as u32
                    })
                })
                .collect();
            for row in &c.rows {
                for &(id, n) in row {
                    let e = &mut stats[map[id as usize] as usize];
                    e.0 += 1;
                    e.1 += n as u64;
                }
            }
            local.push(map);
        }
        let n = docs.len();
        let total_terms = all_terms.len();
        let (lo, hi) = (self.min_df.resolve(n), self.max_df.resolve(n));
        // (term, df, total count, global id)
        let mut kept: Vec<(&str, u32, u64, u32)> = stats
            .iter()
            .enumerate()
            .filter(|(_, (df, _))| (*df as f64) >= lo && (*df as f64) <= hi)
            .map(|(g, &(df, tf))| (all_terms[g], df, tf, g as u32))
            .collect();
        if kept.is_empty() {
            return Err(Error::data(format!(
                "empty vocabulary: the {n} documents have {total_terms} distinct terms but none is within \
                 min_df={:?} and max_df={:?}: the texts share too few words (from the command line: use more rows, \
                 e.g. a larger --limit; in code: `TfidfVectorizer::min_df` lower or `max_df` higher)",
                self.min_df, self.max_df
            )));
        }
        if let Some(k) = self.max_features
            && kept.len() > k
        {
            // Most frequent first; ties by term so the choice is deterministic.
            kept.sort_unstable_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
            kept.truncate(k);
        }
        kept.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let nf = n as f64;
        let mut vocab: FxHashMap<String, u32> = FxHashMap::default();
        let mut terms = Vec::with_capacity(kept.len());
        let mut idf = Vec::with_capacity(kept.len());
        let mut df = Vec::with_capacity(kept.len());
        let mut column = vec![u32::MAX; total_terms];
        for (j, (t, d, _, g)) in kept.iter().enumerate() {
            column[*g as usize] = j as u32;
            vocab.insert(t.to_string(), j as u32);
            terms.push(t.to_string());
            df.push(*d);
            let d = *d as f64;
            idf.push(if self.smooth_idf {
                ((1.0 + nf) / (1.0 + d)).ln() + 1.0
            } else {
                (nf / d).ln() + 1.0
            });
        }
        let tfidf = Tfidf {
            settings: self.clone(),
            vocab,
            terms,
            idf,
            df,
            n_docs: n,
        };
        let rows: Vec<Vec<(u32, f64)>> = chunks
            .par_iter()
            .zip(&local)
            .flat_map_iter(|(c, map)| {
                c.rows.iter().map(|row| {
                    tfidf.weigh_row(row.iter().filter_map(|&(id, n)| {
                        let j = column[map[id as usize] as usize];
                        (j != u32::MAX).then_some((j, n))
                    }))
                })
            })
            .collect();
        let x = Csr::from_rows(tfidf.terms.len(), rows)?;
        Ok((tfidf, x))
    }
}

/// Term counts of a run of documents: `rows[d]` holds (local term id, count) pairs and
/// `terms[id]` the term.
struct ChunkCounts {
    terms: Vec<String>,
    rows: Vec<Vec<(u32, u32)>>,
}

/// Per-document term counts by id, reused across documents: only the ids a document touched
/// are visited and reset, so the cost follows the document, not the dictionary.
#[derive(Default)]
struct Tally {
    counts: Vec<u32>,
    touched: Vec<u32>,
}

impl Tally {
    fn add(&mut self, id: u32) {
        let i = id as usize;
        if i >= self.counts.len() {
            self.counts.resize(i + 1, 0);
        }
        if self.counts[i] == 0 {
            self.touched.push(id);
        }
        self.counts[i] += 1;
    }

    /// This document's (id, count) pairs in first-seen order; leaves the tally empty.
    fn drain(&mut self) -> impl Iterator<Item = (u32, u32)> + '_ {
        let counts = &mut self.counts;
        self.touched
            .drain(..)
            .map(move |id| (id, std::mem::take(&mut counts[id as usize])))
    }
}

/// Documents per parallel run: a few runs per thread balance the load while keeping the number
/// of per-run dictionaries (and so of repeated term allocations) small.
fn chunk_len(n_docs: usize) -> usize {
    n_docs.div_ceil(rayon::current_num_threads() * 4).max(1)
}

/// A fitted TF-IDF: vocabulary, document frequencies and idf weights.
#[derive(Debug, Clone)]
pub struct Tfidf {
    pub settings: TfidfVectorizer,
    vocab: FxHashMap<String, u32>,
    terms: Vec<String>,
    idf: Vec<f64>,
    df: Vec<u32>,
    n_docs: usize,
}

impl Tfidf {
    /// Texts to a matrix with this vocabulary (unknown terms are ignored; a text with no known
    /// term is an all-zero row).
    pub fn transform<S: AsRef<str> + Sync>(&self, docs: &[S]) -> Result<Csr> {
        let rows: Vec<Vec<(u32, f64)>> = docs
            .par_chunks(chunk_len(docs.len()))
            .flat_map_iter(|chunk| {
                // Unknown terms are skipped before anything is allocated for them.
                let mut tally = Tally::default();
                chunk
                    .iter()
                    .map(|doc| {
                        self.settings.for_each_term(doc.as_ref(), |t| {
                            if let Some(&j) = self.vocab.get(t) {
                                tally.add(j);
                            }
                        });
                        self.weigh_row(tally.drain())
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        Csr::from_rows(self.terms.len(), rows)
    }

    /// One TF-IDF row from (column, count) pairs.
    fn weigh_row(&self, counts: impl Iterator<Item = (u32, u32)>) -> Vec<(u32, f64)> {
        let mut row: Vec<(u32, f64)> = counts
            .map(|(j, n)| {
                let tf = if self.settings.sublinear_tf {
                    1.0 + (n as f64).ln()
                } else {
                    n as f64
                };
                (j, tf * self.idf[j as usize])
            })
            .collect();
        if self.settings.norm {
            let norm = row.iter().map(|(_, v)| v * v).sum::<f64>().sqrt();
            if norm > 0.0 {
                row.iter_mut().for_each(|e| e.1 /= norm);
            }
        }
        row
    }

    /// Number of features.
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Feature names in column order (character n-grams shown as `'ab '` when words are on too).
    pub fn feature_names(&self) -> Vec<String> {
        let both = self.settings.word_ngrams.is_some() && self.settings.char_ngrams.is_some();
        self.terms
            .iter()
            .map(|t| match t.strip_prefix('\u{1}') {
                Some(g) if both => format!("'{g}'"),
                Some(g) => g.to_string(),
                None => t.clone(),
            })
            .collect()
    }

    /// Column of a term, if in the vocabulary.
    pub fn index_of(&self, term: &str) -> Option<usize> {
        self.vocab
            .get(term)
            .or_else(|| self.vocab.get(&format!("\u{1}{term}")))
            .map(|&j| j as usize)
    }

    pub fn idf(&self) -> &[f64] {
        &self.idf
    }

    /// The `k` terms in most training documents, with df and idf.
    pub fn vocabulary(&self, k: usize) -> Vocabulary {
        let names = self.feature_names();
        let mut order: Vec<usize> = (0..self.terms.len()).collect();
        order.sort_by(|&a, &b| self.df[b].cmp(&self.df[a]).then(names[a].cmp(&names[b])));
        Vocabulary {
            size: self.terms.len(),
            n_docs: self.n_docs,
            top: order
                .into_iter()
                .take(k)
                .map(|j| (names[j].clone(), self.df[j], self.idf[j]))
                .collect(),
        }
    }
}

/// A view of a fitted vocabulary: its size and most common terms.
#[derive(Debug, Clone, Serialize)]
pub struct Vocabulary {
    pub size: usize,
    pub n_docs: usize,
    /// (term, document frequency, idf), most frequent first.
    pub top: Vec<(String, u32, f64)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sklearn_default_values() {
        // sklearn TfidfVectorizer().fit_transform(["a cat sat", "the cat", "the dog sat"]):
        // vocabulary cat dog sat the; row 1 (the cat) = [0.70710678, 0, 0, 0.70710678]
        let docs = ["a cat sat", "the cat", "the dog sat"];
        let (t, x) = TfidfVectorizer::new().fit_transform(&docs).unwrap();
        assert_eq!(t.feature_names(), vec!["cat", "dog", "sat", "the"]);
        let (c, v) = x.row(1);
        assert_eq!(c, &[0, 3]);
        assert!((v[0] - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-12);
        // idf(cat) = ln(4/3) + 1
        assert!((t.idf()[0] - ((4.0f64 / 3.0).ln() + 1.0)).abs() < 1e-12);
        let y = t.transform(&["unknown words only"]).unwrap();
        assert_eq!(y.nnz(), 0);
    }

    #[test]
    fn bad_settings_and_empty_vocabulary() {
        let e = TfidfVectorizer::new()
            .min_df(5)
            .fit(&["a b c", "dd ee"])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("empty vocabulary") && e.contains("min_df"),
            "{e}"
        );
        assert!(TfidfVectorizer::new().ngrams(2, 1).fit(&["aa bb"]).is_err());
        assert!(TfidfVectorizer::new().fit(&Vec::<String>::new()).is_err());
        assert!(TfidfVectorizer::new().max_df(1.5).fit(&["aa"]).is_err());
    }

    #[test]
    fn max_features_keeps_most_frequent_and_chars_do_not_collide() {
        let docs = ["aa aa aa bb", "aa cc", "bb"];
        let t = TfidfVectorizer::new().max_features(2).fit(&docs).unwrap();
        assert_eq!(t.feature_names(), vec!["aa", "bb"]);
        let t = TfidfVectorizer::new()
            .char_ngrams(2, 2)
            .fit(&["aa"])
            .unwrap();
        assert_eq!(t.feature_names(), vec!["' a'", "'a '", "'aa'", "aa"]);
        assert_eq!(t.vocabulary(1).top[0].1, 1);
    }

    #[test]
    fn fit_transform_and_transform_agree_across_parallel_runs() {
        // Many documents, so both paths split them into several runs (and so several per-run
        // dictionaries that must be merged back into one column order).
        let docs: Vec<String> = (0..500)
            .map(|i| {
                format!(
                    "doc{} shared words here ÉTÉ été {} w{}",
                    i % 37,
                    i % 5,
                    i % 11
                )
            })
            .collect();
        let v = TfidfVectorizer::new()
            .ngrams(1, 2)
            .char_ngrams(2, 3)
            .min_df(2);
        let (t, x) = v.fit_transform(&docs).unwrap();
        let y = t.transform(&docs).unwrap();
        assert_eq!(x.indptr, y.indptr);
        assert_eq!(x.indices, y.indices);
        for (a, b) in x.data.iter().zip(&y.data) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
        // df counts each document once, whichever run it was in.
        let j = t.index_of("shared").unwrap();
        assert_eq!(t.df[j], 500);
        assert!(t.index_of("doc36").is_some() && t.index_of("été").is_some());
    }
}
