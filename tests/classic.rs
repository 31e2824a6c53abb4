//! The classic story end to end on a stratified sample of the real corpus, through the library
//! and through the `textlab` binary (`classic --json`, `run`).

use std::process::Command;
use textlab::prelude::*;

fn split(n: usize) -> Split {
    let (c, _) = load_corpus("spamassassin-hard", &LoadOptions::new()).unwrap();
    Splitter::new()
        .seed(3)
        .split(&c.sample(n, 3).unwrap())
        .unwrap()
}

#[test]
fn balancing_and_search_tell_the_reports_story() {
    let s = split(1200);
    let r = ClassicLab::quick().run(&s).unwrap();
    let ootb = r.row("out-of-the-box").unwrap();
    let weighted = r.row("balancing: class_weight").unwrap();
    // Class weights move the decision towards the rare class: recall cannot drop.
    assert!(
        weighted.recall >= ootb.recall,
        "{} vs {}",
        weighted.recall,
        ootb.recall
    );
    // Support is the real number of positives in the test split, for every row.
    let pos = s.test.positives();
    assert!(
        r.rows
            .iter()
            .all(|row| row.support == pos && row.metrics.confusion.total() == s.test.len())
    );
    let l1 = r.row("tuned L1").unwrap();
    let l2 = r.row("tuned L2").unwrap();
    assert!(
        l1.nnz < l2.nnz / 5,
        "L1 is sparse: {} vs {}",
        l1.nnz,
        l2.nnz
    );
    assert!(r.best().f1 > 0.8, "{}", r.best().f1);
    assert_eq!(r.search.rows.len(), 5 * 2 * 2);
    assert!((0.0..=1.0).contains(&r.threshold));
    // Every figure of the story draws.
    for (name, fig) in r.figures() {
        let fig = fig.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(fig.svg().contains("<svg"), "{name}");
    }
}

fn textlab() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_textlab"));
    c.env("TEXTLAB_QUIET", "1");
    c
}

#[test]
fn cli_classic_json_has_the_documented_fields() {
    let out = textlab()
        .args([
            "classic", "--quick", "--json", "--limit", "900", "--seed", "5",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert!(rows.len() >= 7);
    for key in [
        "penalty",
        "C",
        "balancing",
        "precision",
        "recall",
        "f1",
        "accuracy",
        "support",
        "nnz",
        "fit_seconds",
        "best",
    ] {
        assert!(rows.iter().all(|r| !r[key].is_null()), "{key}");
    }
    assert_eq!(rows.iter().filter(|r| r["best"] == true).count(), 1);
    assert!(v["best"]["support"].as_u64().unwrap() > 0);
}

#[test]
fn cli_reports_bad_input_without_panicking() {
    let out = textlab()
        .args(["classic", "--corpus", "/nonexistent.csv"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/nonexistent.csv") && !err.contains("panicked"),
        "{err}"
    );
    let d = tempfile::tempdir().unwrap();
    let one = d.path().join("one.csv");
    std::fs::write(&one, "text,label\na b,1\nc d,1\ne f,1\n").unwrap();
    let out = textlab()
        .args(["data", "summary", "--corpus", one.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("only one class") && !err.contains("panicked"),
        "{err}"
    );
}

#[test]
fn main_job_writes_the_report_directory() {
    let d = tempfile::tempdir().unwrap();
    let out = textlab()
        .args([
            "run",
            "--quick",
            "--limit",
            "700",
            "--budget-minutes",
            "0.3",
            "--out",
        ])
        .arg(d.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = std::fs::read_to_string(d.path().join("report.md")).unwrap();
    for section in [
        "## I. Problems and solutions",
        "### I.1 Compute",
        "### I.2 Logistic regression",
        "## II. Results",
        "### II.2 Transformer",
        "## Conclusion",
    ] {
        assert!(md.contains(section), "missing {section}");
    }
    assert!(!md.contains("Support: None"));
    // The results table is a Markdown table with the chosen model in bold.
    assert!(
        md.contains("| stage | penalty | C |") && md.contains(" (best)**"),
        "{md}"
    );
    // Every figure the Markdown references exists.
    for line in md.lines().filter(|l| l.starts_with("![")) {
        let file = &line[line.find("](").unwrap() + 2..line.len() - 1];
        assert!(d.path().join(file).is_file(), "{file}");
    }
    let html = std::fs::read_to_string(d.path().join("report.html")).unwrap();
    assert!(
        html.contains("<img src=\"data:image/png;base64,")
            && !html.contains("<svg")
            && !html.contains("<script")
    );
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.path().join("metrics.json")).unwrap()).unwrap();
    assert!(m["classic"]["rows"].as_array().unwrap().len() >= 7);
    assert!(m["transformer"]["f1"].is_number());
    assert!(m["test"]["positives"].as_u64().unwrap() > 0);
}
