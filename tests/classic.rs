//! The classic story end to end on a stratified sample of the real corpus, through the library
//! and through the `textlab` binary (`classic --json`, `run`).

use std::process::Command;
use textlab::prelude::*;

fn split(n: usize) -> Split {
    let (c, _) = load_corpus("spamassassin-subjects", &LoadOptions::new()).unwrap();
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
        weighted.metrics().recall() >= ootb.metrics().recall(),
        "{} vs {}",
        weighted.metrics().recall(),
        ootb.metrics().recall()
    );
    // Support is the real number of positives in the test split, for every row.
    let pos = s.test.positives();
    assert!(r.rows.iter().all(
        |row| row.metrics().support() == pos && row.metrics().confusion.total() == s.test.len()
    ));
    // The chosen row is the best on validation, never picked on test.
    let best_val = r
        .rows
        .iter()
        .map(|row| row.val_f1.unwrap())
        .fold(f64::MIN, f64::max);
    assert_eq!(r.best().val_f1, Some(best_val));
    // The threshold moved only with a validation gain above the noise, and then both rows show.
    let t = &r.threshold;
    assert_eq!(t.moved, t.row.is_some());
    assert_eq!(t.moved, t.gain.low > 0.0);
    assert_eq!(
        r.rows
            .iter()
            .filter(|row| row.stage().ends_with("validation threshold"))
            .count(),
        usize::from(t.moved)
    );
    let l1 = r.row("tuned L1").unwrap();
    let l2 = r.row("tuned L2").unwrap();
    assert!(
        l1.cost.parameters * 2 < l2.cost.parameters,
        "L1 is sparse: {} vs {}",
        l1.cost.parameters,
        l2.cost.parameters
    );
    // Each row is a complete result: the search that chose a tuned row is part of its cost, and
    // the stage is its name in the comparison and the results file.
    assert_eq!(l1.cost.search_seconds, r.search.seconds);
    assert!(l1.cost.search_seconds > 0.0);
    assert_eq!(ootb.cost.search_seconds, 0.0);
    assert_eq!(l1.cost.parameters, l1.model.nnz);
    let names: Vec<&str> = r.rows.iter().map(|row| row.name.as_str()).collect();
    assert_eq!(names[0], "out-of-the-box");
    let saved = l1.result("L1", 0.5, 2.0).cost.total_seconds();
    assert!(
        (saved - (2.5 + l1.model.fit_seconds)).abs() < 1e-9,
        "{saved}"
    );
    // Subject lines at 19% spam: the tuned model is far from perfect but well above chance.
    assert!(r.best().metrics().f1() > 0.5, "{}", r.best().metrics().f1());
    assert_eq!(r.search.rows.len(), 5 * 2 * 2);
    assert!((0.0..=1.0).contains(&r.threshold.best_threshold));
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
    // out of the box, three balancings, tuned L1 and L2 (and a threshold row when it moved)
    assert!(rows.len() >= 6);
    for key in [
        "penalty",
        "C",
        "balancing",
        "precision",
        "recall",
        "f1",
        "f1_low",
        "f1_high",
        "val_f1",
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
        .args(["run", "--quick", "--limit", "700", "--out"])
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
    // The accumulation plan reads as one sentence, not as a titled panel pasted into the text.
    let accumulation = md
        .lines()
        .find(|l| l.contains("Gradient accumulation answers it:"))
        .expect("the I.1 accumulation sentence");
    assert!(
        accumulation.contains("micro-batch") && accumulation.contains("B x K."),
        "{accumulation}"
    );
    // The results table is a Markdown table with the chosen model in bold.
    assert!(
        md.contains("| stage | penalty | C |") && md.contains(" (best on validation)**"),
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
    assert!(m["classic"]["rows"].as_array().unwrap().len() >= 6);
    assert!(m["transformer"]["test"]["f1"]["estimate"].is_number());
    assert!(m["test"]["positives"].as_u64().unwrap() > 0);
}

#[test]
fn run_on_given_files_summarises_those_files_only() {
    let d = tempfile::tempdir().unwrap();
    let (train, test) = (d.path().join("a.csv"), d.path().join("b.csv"));
    let rows = |n: usize, off: usize| -> String {
        let mut s = String::from("text,label\n");
        for i in 0..n {
            let spam = i % 4 == 0;
            let text = if spam {
                format!("win cash prize now offer {}", i + off)
            } else {
                format!("meeting notes for project {} attached", i + off)
            };
            s += &format!("{text},{}\n", u8::from(spam));
        }
        s
    };
    std::fs::write(&train, rows(160, 0)).unwrap();
    std::fs::write(&test, rows(40, 1000)).unwrap();
    let out = d.path().join("out");
    // A home without the SpamAssassin corpus: reading it would have to fetch.
    let home = d.path().join("home");
    let status = textlab()
        .env("TEXTLAB_HOME", &home)
        .args(["run", "--quick", "--no-transformer", "--train"])
        .arg(&train)
        .arg("--test")
        .arg(&test)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert!(
        !home.exists(),
        "the named corpus was fetched although files were given"
    );
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(m["corpus"]["rows"].as_u64(), Some(200));
    assert_eq!(m["test"]["rows"].as_u64(), Some(40));
}
