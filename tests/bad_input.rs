//! Bad input, run through the release binary: every case is a clear error (exit code 1, words
//! the message must hold, the file named) or a correct result, and never a panic. Then
//! kill-during-write tests: a split or report directory killed mid-write is the old run's or the
//! new run's, whole, never a mix.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use textlab::fsio::{MANIFEST, Manifest};

const BIN: &str = env!("CARGO_BIN_EXE_textlab");

/// One case: files to create (name, bytes), arguments (`{d}` is the case's directory), extra
/// environment, expected exit code, and words stderr (or stdout, for a success) must hold.
struct Case {
    name: &'static str,
    files: Vec<(&'static str, Vec<u8>)>,
    args: Vec<&'static str>,
    env: Vec<(&'static str, &'static str)>,
    code: i32,
    words: Vec<&'static str>,
}

fn case(name: &'static str, args: &[&'static str], code: i32, words: &[&'static str]) -> Case {
    Case {
        name,
        files: Vec::new(),
        args: args.to_vec(),
        env: Vec::new(),
        code,
        words: words.to_vec(),
    }
}

impl Case {
    fn file(mut self, name: &'static str, bytes: impl Into<Vec<u8>>) -> Self {
        self.files.push((name, bytes.into()));
        self
    }
    fn env(mut self, k: &'static str, v: &'static str) -> Self {
        self.env.push((k, v));
        self
    }
}

/// `n` rows `text,label` with both classes and distinct texts.
fn rows(n: usize, offset: usize) -> String {
    let mut s = String::from("text,label\n");
    for i in 0..n {
        let label = u8::from(i % 3 == 0);
        let word = if label == 1 { "prize" } else { "meeting" };
        s += &format!("\"{word} number {} of the lab\",{label}\n", i + offset);
    }
    s
}

fn run_in(dir: &Path, args: &[String], env: &[(&str, &str)], stdout: Stdio) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .current_dir(dir)
        .env("TEXTLAB_HOME", dir.join("home"))
        .env("TEXTLAB_QUIET", "1")
        .env("TEXTLAB_NPM_TIMEOUT", "1")
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run textlab")
}

fn cases() -> Vec<Case> {
    let ok = rows(40, 0);
    vec![
        case(
            "header-only CSV",
            &["data", "summary", "--corpus", "{d}/h.csv"],
            1,
            &["h.csv", "no data rows"],
        )
        .file("h.csv", "text,label\n"),
        case(
            "ragged CSV row",
            &["data", "summary", "--corpus", "{d}/r.csv"],
            1,
            &["r.csv", "line 4", "3 fields", "header has 2"],
        )
        .file("r.csv", "text,label\na,1\nb,0\nc,0,oops\n"),
        case(
            "same text and label column",
            &[
                "data",
                "summary",
                "--corpus",
                "{d}/s.csv",
                "--text-col",
                "text",
                "--label-col",
                "text",
            ],
            1,
            &["--text-col", "--label-col", "different columns"],
        )
        .file("s.csv", ok.clone()),
        case(
            "Parquet named .csv",
            &["data", "summary", "--corpus", "{d}/p.csv"],
            1,
            &["p.csv", "Parquet", "PAR1"],
        )
        .file("p.csv", b"PAR1\x15\x04\x15\x00garbage".to_vec()),
        case(
            "CSV named .parquet",
            &["data", "summary", "--corpus", "{d}/c.parquet"],
            1,
            &["c.parquet", "not a Parquet file"],
        )
        .file("c.parquet", ok.clone()),
        case(
            "empty file",
            &["data", "summary", "--corpus", "{d}/e.csv"],
            1,
            &["e.csv"],
        )
        .file("e.csv", ""),
        case(
            "JSONL garbage",
            &["data", "summary", "--corpus", "{d}/g.jsonl"],
            1,
            &["g.jsonl", "line 2", "column 2"],
        )
        .file("g.jsonl", "{\"text\": \"a\", \"label\": 1}\n{not json\n"),
        case(
            "unknown extension",
            &["data", "summary", "--corpus", "{d}/x.txt"],
            1,
            &["x.txt", "unknown file type"],
        )
        .file("x.txt", "hello"),
        case(
            "missing corpus file",
            &["data", "summary", "--corpus", "{d}/missing.csv"],
            1,
            &["missing.csv", "neither a named corpus"],
        ),
        case(
            "missing label column",
            &[
                "data",
                "summary",
                "--corpus",
                "{d}/m.csv",
                "--label-col",
                "y",
            ],
            1,
            &["m.csv", "no label column `y`"],
        )
        .file("m.csv", ok.clone()),
        case(
            "one class only",
            &["data", "summary", "--corpus", "{d}/o.csv"],
            1,
            &["o.csv", "only one class"],
        )
        .file("o.csv", "text,label\na,1\nb,1\n"),
        case(
            "empty TEXTLAB_HOME",
            &["data", "fetch"],
            1,
            &["TEXTLAB_HOME", "empty"],
        )
        .env("TEXTLAB_HOME", ""),
        case(
            "--limit 0",
            &["data", "summary", "--corpus", "{d}/l.csv", "--limit", "0"],
            1,
            &["--limit 0"],
        )
        .file("l.csv", ok.clone()),
        case(
            "--limit 1",
            &["data", "summary", "--corpus", "{d}/l.csv", "--limit", "1"],
            1,
            &["at least 2"],
        )
        .file("l.csv", ok.clone()),
        case(
            "--limit 2 gives 2 rows",
            &[
                "data",
                "summary",
                "--corpus",
                "{d}/l.csv",
                "--limit",
                "2",
                "--json",
            ],
            0,
            &["\"rows\": 2"],
        )
        .file("l.csv", ok.clone()),
        case(
            "budget 1e20 minutes",
            &[
                "transformer",
                "--corpus",
                "{d}/l.csv",
                "--budget-minutes",
                "1e20",
            ],
            1,
            &["--budget-minutes", "at most"],
        )
        .file("l.csv", ok.clone()),
        case(
            "budget NaN",
            &[
                "transformer",
                "--corpus",
                "{d}/l.csv",
                "--budget-minutes",
                "NaN",
            ],
            1,
            &["--budget-minutes"],
        )
        .file("l.csv", ok.clone()),
        case(
            "run budget 1e20",
            &[
                "run",
                "--corpus",
                "{d}/l.csv",
                "--out",
                "{d}/rep",
                "--budget-minutes",
                "1e20",
            ],
            1,
            &["--budget-minutes"],
        )
        .file("l.csv", ok.clone()),
        case(
            "max length 1e12",
            &[
                "transformer",
                "--corpus",
                "{d}/l.csv",
                "--max-length",
                "1000000000000",
            ],
            1,
            &["--max-length", "between 8"],
        )
        .file("l.csv", ok.clone()),
        case(
            "max length u64::MAX",
            &[
                "transformer",
                "--corpus",
                "{d}/l.csv",
                "--max-length",
                "18446744073709551615",
            ],
            1,
            &["--max-length"],
        )
        .file("l.csv", ok.clone()),
        case(
            "hidden 1e8",
            &[
                "transformer",
                "--corpus",
                "{d}/l.csv",
                "--hidden",
                "100000000",
                "--heads",
                "1",
            ],
            1,
            &["--hidden"],
        )
        .file("l.csv", ok.clone()),
        case(
            "model larger than memory",
            &[
                "transformer",
                "--corpus",
                "{d}/l.csv",
                "--hidden",
                "16384",
                "--layers",
                "512",
                "--heads",
                "8",
            ],
            1,
            &["memory", "available", "--hidden"],
        )
        .file("l.csv", ok.clone()),
        case(
            "batch size 0",
            &["transformer", "--corpus", "{d}/l.csv", "--batch-size", "0"],
            1,
            &["--batch-size"],
        )
        .file("l.csv", ok.clone()),
        case(
            "--save into a file's subdirectory",
            &[
                "transformer",
                "--corpus",
                "{d}/l.csv",
                "--save",
                "{d}/l.csv/model",
                "--quick",
            ],
            1,
            &["--save", "l.csv"],
        )
        .file("l.csv", ok.clone()),
        case(
            "--out under a file",
            &[
                "data",
                "split",
                "--corpus",
                "{d}/l.csv",
                "--out",
                "{d}/l.csv/split",
            ],
            1,
            &["--out", "cannot"],
        )
        .file("l.csv", ok.clone()),
        case(
            "--out holding other files",
            &["data", "split", "--corpus", "{d}/l.csv", "--out", "{d}"],
            1,
            &["--out", "did not write", "l.csv"],
        )
        .file("l.csv", ok.clone()),
        case(
            "run --out holding other files",
            &["run", "--corpus", "{d}/l.csv", "--out", "{d}", "--quick"],
            1,
            &["--out", "did not write"],
        )
        .file("l.csv", ok.clone()),
        case(
            "train = test overlap",
            &[
                "data",
                "summary",
                "--train",
                "{d}/a.csv",
                "--test",
                "{d}/a.csv",
            ],
            1,
            &["also appear in the training texts", "--allow-overlap"],
        )
        .file("a.csv", ok.clone()),
        case(
            "overlap allowed",
            &[
                "data",
                "summary",
                "--train",
                "{d}/a.csv",
                "--test",
                "{d}/a.csv",
                "--allow-overlap",
            ],
            0,
            &["rows"],
        )
        .file("a.csv", ok.clone()),
        case(
            "predict with a missing model",
            &[
                "transformer",
                "predict",
                "--model",
                "{d}/nope",
                "--input",
                "{d}/in.jsonl",
            ],
            1,
            &["nope", "does not exist"],
        )
        .file("in.jsonl", "{\"text\": \"hi\"}\n"),
    ]
}

#[test]
fn every_bad_input_is_a_clear_error_and_never_a_panic() {
    let mut failures = Vec::new();
    for c in cases() {
        let d = tempfile::tempdir().unwrap();
        for (name, bytes) in &c.files {
            std::fs::write(d.path().join(name), bytes).unwrap();
        }
        let dir = d.path().display().to_string();
        let args: Vec<String> = c.args.iter().map(|a| a.replace("{d}", &dir)).collect();
        let out = run_in(d.path(), &args, &c.env, Stdio::piped());
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let text = format!("{stderr}{stdout}");
        let code = out.status.code().unwrap_or(-1);
        let missing: Vec<&&str> = c.words.iter().filter(|w| !text.contains(**w)).collect();
        if code != c.code || !missing.is_empty() || text.contains("panicked") {
            failures.push(format!(
                "{}: exit {code} (want {}), missing {missing:?}\n  args {args:?}\n  stderr: {stderr}",
                c.name, c.code
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn full_stdout_is_an_error_not_a_panic() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("l.csv"), rows(150, 0)).unwrap();
    let dir = d.path().display().to_string();
    let cmds: Vec<Vec<String>> = vec![
        vec!["data", "summary", "--corpus", "{d}/l.csv"],
        vec!["data", "summary", "--corpus", "{d}/l.csv", "--json"],
        vec!["data", "split", "--corpus", "{d}/l.csv", "--out", "{d}/s"],
        vec!["classic", "--quick", "--json", "--corpus", "{d}/l.csv"],
    ]
    .into_iter()
    .map(|v| v.into_iter().map(|a| a.replace("{d}", &dir)).collect())
    .collect();
    for args in cmds {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let out = run_in(d.path(), &args, &[], Stdio::from(full));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains("stdout") && !stderr.contains("panicked"),
            "{args:?}: {stderr}"
        );
    }
}

/// A short real training: `--threads` above the cores is lowered with a note, `--save` writes a
/// checkpoint that records what it was trained with, and `predict` refuses a zero batch.
#[test]
fn saved_model_records_its_training_and_predict_checks_its_input() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("l.csv"), rows(150, 0)).unwrap();
    std::fs::write(
        d.path().join("in.jsonl"),
        "{\"text\": \"prize number 3\"}\n",
    )
    .unwrap();
    let dir = d.path().display().to_string();
    let args = |v: &[&str]| -> Vec<String> { v.iter().map(|a| a.replace("{d}", &dir)).collect() };
    let out = run_in(
        d.path(),
        &args(&[
            "transformer",
            "--corpus",
            "{d}/l.csv",
            "--quick",
            "--no-baseline",
            "--threads",
            "100000",
            "--budget-minutes",
            "0.05",
            "--epochs",
            "1",
            "--save",
            "{d}/model",
        ]),
        &[],
        Stdio::piped(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("--threads 100000 lowered to the"),
        "{stderr}"
    );
    let model = d.path().join("model");
    let with: serde_json::Value =
        serde_json::from_slice(&std::fs::read(model.join("textlab.json")).unwrap()).unwrap();
    assert_eq!(with["settings"]["options"]["seed"], 42, "{with}");
    assert_eq!(with["labels"].as_array().unwrap().len(), 2, "{with}");
    whole(&model).unwrap();
    let bad = run_in(
        d.path(),
        &args(&[
            "transformer",
            "predict",
            "--model",
            "{d}/model",
            "--input",
            "{d}/in.jsonl",
            "--batch-size",
            "0",
        ]),
        &[],
        Stdio::piped(),
    );
    let e = String::from_utf8_lossy(&bad.stderr);
    assert!(
        bad.status.code() == Some(1) && e.contains("--batch-size") && !e.contains("panicked"),
        "{e}"
    );
    let good = run_in(
        d.path(),
        &args(&[
            "transformer",
            "predict",
            "--model",
            "{d}/model",
            "--input",
            "{d}/in.jsonl",
        ]),
        &[],
        Stdio::piped(),
    );
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&good.stdout).lines().count(), 1);
}

#[test]
fn summary_of_a_given_split_is_one_json_document() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("a.csv"), rows(40, 0)).unwrap();
    std::fs::write(d.path().join("b.csv"), rows(20, 1000)).unwrap();
    let dir = d.path().display().to_string();
    let args: Vec<String> = [
        "data",
        "summary",
        "--train",
        "{d}/a.csv",
        "--test",
        "{d}/b.csv",
        "--json",
    ]
    .iter()
    .map(|a| a.replace("{d}", &dir))
    .collect();
    let out = run_in(d.path(), &args, &[], Stdio::piped());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    assert_eq!(v["test"]["rows"], 20);
    assert_eq!(
        v["train"]["rows"].as_u64().unwrap() + v["val"]["rows"].as_u64().unwrap(),
        40
    );
}

#[test]
fn a_text_column_of_digits_stays_text() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("digits.csv");
    std::fs::write(&p, "text,label\n00003,1\n0042,0\n7,0\n").unwrap();
    let (c, _) = textlab::data::LoadOptions::new().load(&p).unwrap();
    assert_eq!(c.texts(), ["00003", "0042", "7"]);
    let tsv = d.path().join("digits.tsv");
    std::fs::write(&tsv, "label\ttext\n1\t00003\n0\t0042\n").unwrap();
    let (c, _) = textlab::data::LoadOptions::new().load(&tsv).unwrap();
    assert_eq!(c.texts(), ["00003", "0042"]);
}

/// Whether `dir` is one run's whole output: its manifest matches every file.
fn whole(dir: &Path) -> Result<Manifest, String> {
    match Manifest::check(dir) {
        Ok(Some(m)) => Ok(m),
        Ok(None) => Err(format!("{}: no {MANIFEST}", dir.display())),
        Err(e) => Err(e.to_string()),
    }
}

fn split_args(corpus: &Path, out: &Path, seed: u64) -> Vec<String> {
    vec![
        "data".into(),
        "split".into(),
        "--corpus".into(),
        corpus.display().to_string(),
        "--out".into(),
        out.display().to_string(),
        "--seed".into(),
        seed.to_string(),
    ]
}

/// Kill `textlab data split` at spread-out moments of its run: the output directory is always
/// the previous complete split or the new one, whole (its manifest matches), never a mix.
#[test]
fn killed_split_writer_leaves_old_or_new_never_a_mix() {
    let d = tempfile::tempdir().unwrap();
    let corpus = d.path().join("big.csv");
    // ~25 MB: the CSV writing takes a noticeable share of the run.
    let mut f = std::io::BufWriter::new(std::fs::File::create(&corpus).unwrap());
    writeln!(f, "text,label").unwrap();
    let filler = "lorem ipsum dolor sit amet ".repeat(8);
    for i in 0..120_000 {
        writeln!(f, "\"{filler} {i}\",{}", u8::from(i % 4 == 0)).unwrap();
    }
    drop(f);
    let out = d.path().join("split");
    let t0 = Instant::now();
    let first = run_in(d.path(), &split_args(&corpus, &out, 1), &[], Stdio::null());
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let full = t0.elapsed();
    let baseline = whole(&out).unwrap();
    let mut seen_new = 0;
    for (k, frac) in [0.2, 0.4, 0.6, 0.75, 0.85, 0.9, 0.95, 0.99]
        .iter()
        .enumerate()
    {
        let mut child = Command::new(BIN)
            .args(split_args(&corpus, &out, 2 + k as u64))
            .env("TEXTLAB_QUIET", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(full.mul_f64(*frac));
        let _ = child.kill();
        let _ = child.wait();
        let m = whole(&out).unwrap_or_else(|e| panic!("after a kill at {frac} of the run: {e}"));
        for name in ["train.csv", "val.csv", "test.csv"] {
            assert!(m.entry(name).is_some(), "{name} missing from {m:?}");
        }
        if m != baseline {
            seen_new += 1;
        }
    }
    println!("split run {full:?}; {seen_new} of 8 killed runs had already swapped in their split");
    // The reader refuses a directory whose files were mixed by hand.
    std::fs::write(out.join("test.csv"), "text,label\nx,1\n").unwrap();
    let again = run_in(
        d.path(),
        &[
            "data".into(),
            "summary".into(),
            "--train".into(),
            out.join("train.csv").display().to_string(),
            "--test".into(),
            out.join("test.csv").display().to_string(),
        ],
        &[],
        Stdio::piped(),
    );
    let e = String::from_utf8_lossy(&again.stderr);
    assert!(
        !again.status.success() && e.contains("test.csv") && e.contains(MANIFEST),
        "{e}"
    );
}

/// The same for the report writer, in a child process (this test binary re-run in writer mode)
/// that rewrites a report with large figures in a loop until it is killed.
#[test]
fn killed_report_writer_leaves_old_or_new_never_a_mix() {
    let dir = std::env::var_os("TEXTLAB_REPORT_CHILD_DIR");
    if let Some(dir) = dir {
        report_writer_loop(Path::new(&dir));
    }
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("report");
    let mut checked = 0;
    for k in 0..12u64 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "killed_report_writer_leaves_old_or_new_never_a_mix",
                "--nocapture",
            ])
            .env("TEXTLAB_REPORT_CHILD_DIR", &out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // First wait for a first report (however slow the machine), then kill at a jittered time.
        let t0 = Instant::now();
        while !out.exists() && t0.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(7 + 23 * k));
        let _ = child.kill();
        let _ = child.wait();
        if !out.exists() {
            continue;
        }
        let m = whole(&out).unwrap_or_else(|e| panic!("kill {k}: {e}"));
        // Every file of one run carries that run's number: all equal, or it is a mix.
        let runs: std::collections::BTreeSet<String> = m
            .files
            .iter()
            .map(|f| {
                let s = std::fs::read_to_string(out.join(&f.path)).unwrap();
                s.split("RUN-")
                    .nth(1)
                    .unwrap_or("")
                    .chars()
                    .take_while(|c| c.is_ascii_digit())
                    .collect()
            })
            .collect();
        assert_eq!(runs.len(), 1, "kill {k}: files from runs {runs:?}");
        checked += 1;
    }
    assert_eq!(checked, 12, "a report was not written within 60 s");
    let leftovers = std::fs::read_dir(d.path()).unwrap().count();
    println!(
        "{checked} kills checked; {leftovers} entries left beside the report (staging dirs of killed writers)"
    );
}

fn report_writer_loop(dir: &Path) -> ! {
    use textlab::plot::Figure;
    use textlab::report::Report;
    // ~2 MB of figures per report, so that a kill often lands mid-write.
    let body = "<rect width=\"1\" height=\"1\"/>".repeat(12_000);
    for run in 0u64.. {
        let mut r = Report::new(format!("RUN-{run}"));
        for i in 0..6 {
            let svg = format!("<svg><title>RUN-{run}</title>{body}</svg>");
            r.figure(
                &format!("f{i}"),
                Ok(Figure::from_svg(format!("RUN-{run}"), svg, (10, 10))),
            );
        }
        let _ = r.write(dir);
    }
    unreachable!()
}

/// Random inputs built from the characters that break parsers (separators, quotes, newlines,
/// invalid UTF-8, magic bytes): the loaders and the mail parser return a value or an error,
/// and never panic. Seeded, so a failure reproduces.
#[test]
fn random_inputs_never_panic_the_loaders_or_the_mail_parser() {
    use textlab::rng::Rng;
    let pieces: [&[u8]; 22] = [
        b",",
        b"\t",
        b"\"",
        b"\n",
        b"\r\n",
        b"text",
        b"label",
        b"0",
        b"1",
        b"spam",
        b"ham",
        b"00003",
        b"\xff\xfe",
        b"\xc3",
        b"PAR1",
        b"{",
        b"}",
        b":",
        b"\"text\"",
        b" ",
        b"NaN",
        b"=?utf-8?b?w6k=?=",
    ];
    let headers: [&[u8]; 4] = [
        b"text,label\n",
        b"label\ttext\n",
        b"",
        b"Subject: hi\nContent-Type: multipart/mixed; boundary=x\n\n--x\n",
    ];
    let d = tempfile::tempdir().unwrap();
    let mut rng = Rng::new(12);
    let (mut panics, mut ok, mut errors) = (Vec::new(), 0, 0);
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for i in 0..3000 {
        let mut bytes = headers[rng.below(headers.len())].to_vec();
        if i % 2 == 0 {
            // Mostly well-formed rows with junk texts: exercises the paths past parsing.
            bytes = b"text,label\n".to_vec();
            for r in 0..2 + rng.below(20) {
                bytes.push(b'"');
                for _ in 0..rng.below(8) {
                    let p = pieces[rng.below(pieces.len())];
                    if p != b"\"" {
                        bytes.extend_from_slice(p);
                    }
                }
                bytes.extend_from_slice(format!("\",{}\n", r % 2).as_bytes());
            }
        } else {
            for _ in 0..rng.below(60) {
                bytes.extend_from_slice(pieces[rng.below(pieces.len())]);
            }
        }
        let ext = ["csv", "csv", "tsv", "jsonl", "parquet", "csv"][i % 6];
        let p = d.path().join(format!("r{i}.{ext}"));
        std::fs::write(&p, &bytes).unwrap();
        let r = std::panic::catch_unwind(|| textlab::data::LoadOptions::new().load(&p).is_ok());
        match r {
            Ok(true) => ok += 1,
            Ok(false) => errors += 1,
            Err(_) => panics.push(format!("loader on {}", String::from_utf8_lossy(&bytes))),
        }
        if std::panic::catch_unwind(|| textlab::data::mail::parse_mail(&bytes).map(|m| m.text()))
            .is_err()
        {
            panics.push(format!(
                "mail parser on {}",
                String::from_utf8_lossy(&bytes)
            ));
        }
        let _ = std::fs::remove_file(&p);
    }
    std::panic::set_hook(quiet);
    println!(
        "3000 random inputs: {ok} loaded, {errors} errors, {} panics",
        panics.len()
    );
    assert!(
        panics.is_empty(),
        "{} panics, first: {:?}",
        panics.len(),
        &panics[..panics.len().min(3)]
    );
}

#[test]
fn errors_a_caller_may_match_on_are_typed() {
    use textlab::Error;
    use textlab::data::LoadOptions;
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("a.csv");
    std::fs::write(&p, "body,y\nhi,1\nho,0\n").unwrap();
    let e = LoadOptions::new().load(&p).unwrap_err();
    assert!(
        matches!(&e, Error::MissingColumn { column, what, .. } if column == "text" && what == "text"),
        "{e:?}"
    );
    std::fs::write(&p, "text,label\nhi,1\nho,1\n").unwrap();
    let e = LoadOptions::new().load(&p).unwrap_err();
    assert!(matches!(&e, Error::OneClass { .. }), "{e:?}");
    assert!(e.to_string().contains("a.csv"), "{e}");
    let opts = textlab::lab::TransformerOptions::default().budget_minutes(Some(1e20));
    let e = opts.check().unwrap_err();
    assert!(
        matches!(&e, Error::BadParam { name, .. } if name.contains("--budget-minutes")),
        "{e:?}"
    );
    let e = textlab::transformer::checkpoint::TransformerModel::load(
        d.path().to_str().unwrap(),
        0,
        &candle_core::Device::Cpu,
    )
    .err()
    .unwrap();
    assert!(
        matches!(&e, Error::MissingModelFile { file, .. } if file == "config.json"),
        "{e:?}"
    );
}
