//! TF-IDF against scikit-learn's `TfidfVectorizer` (fixture written by
//! tests/fixtures/sklearn/make_fixtures.py): same vocabulary, idf and values to 1e-9.

use serde_json::Value;
use textlab::features::TfidfVectorizer;

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sklearn/tfidf.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn check(setting: &str, vec: TfidfVectorizer) {
    let fx = fixture();
    let docs: Vec<String> = fx["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect();
    let want = &fx["settings"][setting];
    let (t, x) = vec.fit_transform(&docs).unwrap();
    let vocab: Vec<String> = want["vocabulary"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(t.feature_names(), vocab, "{setting}: vocabulary");
    for (j, idf) in want["idf"].as_array().unwrap().iter().enumerate() {
        assert!(
            (t.idf()[j] - idf.as_f64().unwrap()).abs() < 1e-9,
            "{setting}: idf of {}",
            vocab[j]
        );
    }
    for (i, row) in want["matrix"].as_array().unwrap().iter().enumerate() {
        let mut dense = vec![0.0; vocab.len()];
        let (cols, vals) = x.row(i);
        for (&c, &v) in cols.iter().zip(vals) {
            dense[c as usize] = v;
        }
        for (j, w) in row.as_array().unwrap().iter().enumerate() {
            assert!(
                (dense[j] - w.as_f64().unwrap()).abs() < 1e-9,
                "{setting}: doc {i} term {}: {} vs {}",
                vocab[j],
                dense[j],
                w
            );
        }
    }
}

#[test]
fn default_settings_match_sklearn() {
    check("default", TfidfVectorizer::new());
}

#[test]
fn bigrams_with_sublinear_tf_match_sklearn() {
    check(
        "bigrams_sublinear",
        TfidfVectorizer::new().ngrams(1, 2).sublinear_tf(true),
    );
}

#[test]
fn min_df_matches_sklearn() {
    check("min_df_2", TfidfVectorizer::new().min_df(2));
}

#[test]
fn char_wb_ngrams_match_sklearn() {
    check(
        "char_wb_2_3",
        TfidfVectorizer::new().no_words().char_ngrams(2, 3),
    );
}
