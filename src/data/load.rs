//! Loading corpora: the named SpamAssassin corpora and the user's own CSV/TSV/Parquet/JSONL.
//!
//! Every problem with the input is either an error that names it or a counted warning in the
//! [`LoadReport`]; rows are never dropped silently.

use super::corpus::{CONTEXT, Corpus, LABEL, SUBSET, TEXT};
use super::fetch::{self, SUBSETS};
use super::mail;
use crate::error::{Error, IoContext, Result};
use crate::rng::Rng;
use polars::prelude::*;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};

/// The names `--corpus` accepts besides a file path.
pub const NAMED_CORPORA: [&str; 3] = ["spamassassin", "spamassassin-hard", "spamassassin-subjects"];

/// The corpus every command and notebook uses unless told otherwise: short texts at 19% positive,
/// the seed report's regime.
pub const DEFAULT_CORPUS: &str = "spamassassin-subjects";

/// Positive rate of `spamassassin-hard`, the seed report's class balance.
pub const HARD_POSITIVE_RATE: f64 = 0.19;
/// Seed of the spam subsample in `spamassassin-hard` (fixed so everyone gets the same corpus).
pub const HARD_SEED: u64 = 2002;

/// What loading did to the input: label mapping, dropped rows, repaired bytes.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LoadReport {
    pub source: String,
    pub rows_read: usize,
    /// Original label value -> 0/1.
    pub label_mapping: Vec<(String, u8)>,
    pub dropped_empty_text: usize,
    pub dropped_null_label: usize,
    /// Characters replaced by U+FFFD (invalid UTF-8 or undecodable charset).
    pub replaced_chars: usize,
    pub warnings: Vec<String>,
}

impl LoadReport {
    fn warn(&mut self, w: String) {
        if std::env::var_os("TEXTLAB_QUIET").is_none() {
            eprintln!("warning: {w}");
        }
        self.warnings.push(w);
    }
}

impl LoadReport {
    /// One report for several files read together (a given train/val/test split).
    pub fn merge(reports: Vec<LoadReport>) -> LoadReport {
        let mut out = LoadReport {
            source: reports
                .iter()
                .map(|r| r.source.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            ..Default::default()
        };
        for r in reports {
            out.rows_read += r.rows_read;
            out.dropped_empty_text += r.dropped_empty_text;
            out.dropped_null_label += r.dropped_null_label;
            out.replaced_chars += r.replaced_chars;
            if out.label_mapping.is_empty() {
                out.label_mapping = r.label_mapping;
            }
            out.warnings
                .extend(r.warnings.into_iter().map(|w| format!("{}: {w}", r.source)));
        }
        out
    }
}

/// Load a corpus by name (see [`NAMED_CORPORA`]) or from a file path.
pub fn load_corpus(name_or_path: &str, opts: &LoadOptions) -> Result<(Corpus, LoadReport)> {
    match name_or_path {
        "spamassassin" => spamassassin(&fetch::textlab_home()),
        "spamassassin-hard" => spamassassin_hard(&fetch::textlab_home()),
        "spamassassin-subjects" => spamassassin_subjects(&fetch::textlab_home()),
        path => {
            let p = Path::new(path);
            if !p.exists() {
                return Err(Error::data(format!(
                    "`{path}` is neither a named corpus ({}) nor an existing file",
                    NAMED_CORPORA.join(", ")
                )));
            }
            opts.load(p)
        }
    }
}

/// One SpamAssassin mail as the named corpora use it.
struct ParsedMail {
    subset: String,
    label: u8,
    subject: String,
    /// Subject and body (what the whole-mail corpora read).
    text: String,
    body: String,
    /// Path inside the corpus directory, for messages that name a mail.
    file: String,
}

/// Parse every mail of the fetched corpus, in a fixed order (subset, then file name).
fn parse_spamassassin(home: &Path) -> Result<(Vec<ParsedMail>, LoadReport)> {
    let fetched = fetch::fetch(home)?;
    let mut files: Vec<(String, u8, PathBuf)> = Vec::new();
    for (subset, _, label) in SUBSETS {
        let dir = fetched.dir.join(subset);
        let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
            .at(&dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        names.sort();
        files.extend(names.into_iter().map(|p| (subset.to_string(), label, p)));
    }
    let hashes = fetch::manifest_hashes(&fetched.dir)?;
    let parsed: Vec<Result<(ParsedMail, usize)>> = files
        .par_iter()
        .map(|(subset, label, path)| {
            let raw = fetch::read_mail(&fetched.dir, path, &hashes)?;
            let m = mail::parse_mail(&raw).unwrap_or(mail::Mail {
                subject: String::new(),
                body: String::new(),
                replaced_chars: 0,
                html_only: false,
            });
            let text = m.text();
            Ok((
                ParsedMail {
                    subset: subset.clone(),
                    label: *label,
                    subject: m.subject,
                    text,
                    body: m.body,
                    file: path
                        .strip_prefix(&fetched.dir)
                        .unwrap_or(path)
                        .display()
                        .to_string(),
                },
                m.replaced_chars,
            ))
        })
        .collect();
    let mut report = LoadReport {
        source: format!("SpamAssassin public corpus ({})", fetched.dir.display()),
        rows_read: files.len(),
        label_mapping: vec![("ham".into(), 0), ("spam".into(), 1)],
        ..Default::default()
    };
    let mut mails = Vec::with_capacity(parsed.len());
    let mut lossy_mails = 0;
    for r in parsed {
        let (m, replaced) = r?;
        if replaced > 0 {
            lossy_mails += 1;
            report.replaced_chars += replaced;
        }
        mails.push(m);
    }
    if lossy_mails > 0 {
        let w = format!(
            "{} characters in {lossy_mails} mails could not be decoded and were replaced by U+FFFD",
            report.replaced_chars
        );
        report.warn(w);
    }
    Ok((mails, report))
}

/// The rows of the seed report's balance: every ham mail and a seeded sample of spam so that
/// [`HARD_POSITIVE_RATE`] of the rows are spam, drawn from the `usable` mails.
fn report_balance(mails: &[ParsedMail], usable: &[usize]) -> Vec<usize> {
    let (ham, mut spam): (Vec<usize>, Vec<usize>) =
        usable.iter().partition(|&&i| mails[i].label == 0);
    let want =
        (ham.len() as f64 * HARD_POSITIVE_RATE / (1.0 - HARD_POSITIVE_RATE)).round() as usize;
    Rng::new(HARD_SEED).shuffle(&mut spam);
    spam.truncate(want.min(spam.len()));
    let mut rows = ham;
    rows.extend(spam);
    rows.sort_unstable();
    rows
}

fn mail_frame(mails: &[ParsedMail], rows: &[usize], subjects: bool) -> Result<DataFrame> {
    let pick = |f: &dyn Fn(&ParsedMail) -> String| -> Vec<String> {
        rows.iter().map(|&i| f(&mails[i])).collect()
    };
    let mut cols = vec![
        Column::new(
            TEXT.into(),
            pick(&|m| {
                if subjects {
                    m.subject.clone()
                } else {
                    m.text.clone()
                }
            }),
        ),
        Column::new(
            LABEL.into(),
            rows.iter()
                .map(|&i| mails[i].label as i32)
                .collect::<Vec<i32>>(),
        ),
        Column::new(SUBSET.into(), pick(&|m| m.subset.clone())),
    ];
    if subjects {
        cols.push(Column::new(CONTEXT.into(), pick(&|m| m.body.clone())));
    }
    Ok(DataFrame::new_infer_height(cols)?)
}

/// Mails with no subject and no body cannot be classified: they are dropped, with a warning.
fn non_empty(mails: &[ParsedMail], report: &mut LoadReport) -> Vec<usize> {
    let rows: Vec<usize> = (0..mails.len())
        .filter(|&i| !mails[i].text.trim().is_empty())
        .collect();
    report.dropped_empty_text = mails.len() - rows.len();
    if report.dropped_empty_text > 0 {
        let emptied: Vec<&str> = mails
            .iter()
            .filter(|m| m.text.trim().is_empty())
            .map(|m| m.file.as_str())
            .collect();
        let w = format!(
            "dropped {} mails with no subject and no text body after parsing: {}{}",
            report.dropped_empty_text,
            emptied[..emptied.len().min(5)].join(", "),
            if emptied.len() > 5 { ", ..." } else { "" }
        );
        report.warn(w);
    }
    rows
}

/// All 6046 SpamAssassin mails (31% spam), fetched into `home` if needed.
pub fn spamassassin(home: &Path) -> Result<(Corpus, LoadReport)> {
    let (mails, mut report) = parse_spamassassin(home)?;
    let rows = non_empty(&mails, &mut report);
    let frame = mail_frame(&mails, &rows, false)?;
    Ok((
        Corpus::new("spamassassin", frame)?.with_classes(["ham", "spam"]),
        report,
    ))
}

/// The seed report's class balance on whole mails: every ham mail (hard ham included) and a
/// seeded random sample of spam so that 19% of the corpus is spam (973 of 5123 mails).
pub fn spamassassin_hard(home: &Path) -> Result<(Corpus, LoadReport)> {
    let (mails, mut report) = parse_spamassassin(home)?;
    let usable = non_empty(&mails, &mut report);
    let rows = report_balance(&mails, &usable);
    report.source = format!(
        "{} subsampled to {:.0}% spam (seed {HARD_SEED})",
        report.source,
        HARD_POSITIVE_RATE * 100.0
    );
    let frame = mail_frame(&mails, &rows, false)?;
    Ok((
        Corpus::new("spamassassin-hard", frame)?.with_classes(["ham", "spam"]),
        report,
    ))
}

/// The seed report's regime: short texts at 19% positive. The same mails as
/// `spamassassin-hard` (every ham, seeded spam sample), but the text is the RFC 2047-decoded
/// **subject line** only. A mail without a subject stays in the corpus as an empty text (the
/// model must still answer for it) and is counted in a warning. The mail's body travels along
/// in the `context` column: unlabelled text from which the transformer may pretrain (training
/// rows only).
pub fn spamassassin_subjects(home: &Path) -> Result<(Corpus, LoadReport)> {
    let (mails, mut report) = parse_spamassassin(home)?;
    // Same row choice as `spamassassin-hard`, so the two corpora differ only in their text.
    let usable = non_empty(&mails, &mut report);
    let rows = report_balance(&mails, &usable);
    let empty = rows
        .iter()
        .filter(|&&i| mails[i].subject.trim().is_empty())
        .count();
    if empty > 0 {
        report.warn(format!(
            "{empty} of {} mails have no subject; they stay in the corpus as empty texts",
            rows.len()
        ));
    }
    report.source = format!(
        "{}: subject lines, {:.0}% spam (seed {HARD_SEED})",
        report.source,
        HARD_POSITIVE_RATE * 100.0
    );
    let frame = mail_frame(&mails, &rows, true)?;
    Ok((
        Corpus::new("spamassassin-subjects", frame)?.with_classes(["ham", "spam"]),
        report,
    ))
}

/// File formats the loader reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Format {
    Csv,
    Tsv,
    Parquet,
    JsonLines,
}

impl Format {
    pub fn from_path(path: &Path) -> Result<Format> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Ok(Format::Csv),
            "tsv" | "tab" => Ok(Format::Tsv),
            "parquet" | "pq" => Ok(Format::Parquet),
            "jsonl" | "ndjson" | "json" => Ok(Format::JsonLines),
            _ => Err(Error::data(format!(
                "{}: unknown file type `.{ext}`; use .csv, .tsv, .parquet or .jsonl",
                path.display()
            ))),
        }
    }
}

/// How to read a user's file: which columns hold the text and the label, which label is positive.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub text_col: String,
    pub label_col: String,
    /// The label value that means "positive" when it cannot be inferred (e.g. `cat`/`dog`).
    pub positive: Option<String>,
    pub format: Option<Format>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            text_col: TEXT.into(),
            label_col: LABEL.into(),
            positive: None,
            format: None,
        }
    }
}

/// Label values understood as positive / negative without being told.
const POSITIVE_NAMES: [&str; 11] = [
    "1", "1.0", "true", "yes", "y", "spam", "pos", "positive", "toxic", "fake", "relevant",
];
const NEGATIVE_NAMES: [&str; 10] = [
    "0", "0.0", "false", "no", "n", "ham", "neg", "negative", "clean", "real",
];

impl LoadOptions {
    pub fn new() -> Self {
        Self::default()
    }
    /// Column holding the text (default `text`).
    pub fn text_col(mut self, c: impl Into<String>) -> Self {
        self.text_col = c.into();
        self
    }
    /// Column holding the label (default `label`).
    pub fn label_col(mut self, c: impl Into<String>) -> Self {
        self.label_col = c.into();
        self
    }
    /// Which label value is the positive class (default: inferred, e.g. spam/pos/1/true).
    pub fn positive(mut self, v: impl Into<String>) -> Self {
        self.positive = Some(v.into());
        self
    }

    /// Read `path` into a corpus with columns `text`, `label` (and `subset` if the file has one).
    pub fn load(&self, path: &Path) -> Result<(Corpus, LoadReport)> {
        let format = match self.format {
            Some(f) => f,
            None => Format::from_path(path)?,
        };
        let mut report = LoadReport {
            source: path.display().to_string(),
            ..Default::default()
        };
        self.check_columns()?;
        let frame = read_frame(path, format, &self.text_col, &mut report)?;
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("corpus")
            .to_string();
        let corpus = self.from_frame(&name, frame, &mut report)?;
        Ok((corpus, report))
    }

    /// The text and label columns must be two different columns.
    fn check_columns(&self) -> Result<()> {
        if self.text_col == self.label_col {
            return Err(Error::config(format!(
                "--text-col and --label-col are both `{}`: the text and the label must be two different columns",
                self.text_col
            )));
        }
        Ok(())
    }

    /// Turn any frame with a text and a label column into a corpus.
    pub fn from_frame(
        &self,
        name: &str,
        frame: DataFrame,
        report: &mut LoadReport,
    ) -> Result<Corpus> {
        self.check_columns()?;
        let cols: Vec<String> = frame
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect();
        for (what, c) in [("text", &self.text_col), ("label", &self.label_col)] {
            if !cols.contains(c) {
                return Err(Error::MissingColumn {
                    file: report.source.clone(),
                    what: what.into(),
                    column: c.clone(),
                    columns: cols.join(", "),
                });
            }
        }
        report.rows_read = frame.height();
        if frame.height() == 0 {
            return Err(Error::data(format!(
                "{}: no data rows (only a header with the columns {})",
                report.source,
                cols.join(", ")
            )));
        }
        let text_col = frame.column(&self.text_col)?;
        let texts_ca = text_col.cast(&DataType::String)?;
        let texts = texts_ca.str()?;
        let raw_labels = label_strings(frame.column(&self.label_col)?)?;
        let mapping = self.label_mapping(&raw_labels, &report.source)?;
        let subsets = frame
            .column(SUBSET)
            .ok()
            .and_then(|c| c.cast(&DataType::String).ok());
        let (mut out_t, mut out_l, mut out_s) = (Vec::new(), Vec::new(), Vec::new());
        let (mut first_null, mut first_empty) = (None, None);
        for (i, label) in raw_labels.iter().enumerate() {
            let Some(label) = label.as_ref() else {
                report.dropped_null_label += 1;
                first_null.get_or_insert(i);
                continue;
            };
            let text = texts.get(i).unwrap_or("");
            if text.trim().is_empty() {
                report.dropped_empty_text += 1;
                first_empty.get_or_insert(i);
                continue;
            }
            out_t.push(text.to_string());
            out_l.push(mapping[label]);
            if let Some(s) = &subsets {
                out_s.push(s.str()?.get(i).unwrap_or("").to_string());
            }
        }
        if report.dropped_null_label > 0 {
            let w = format!(
                "dropped {} rows with a missing label (first at data row {})",
                report.dropped_null_label,
                first_null.unwrap_or(0) + 1
            );
            report.warn(w);
        }
        if report.dropped_empty_text > 0 {
            let w = format!(
                "dropped {} rows with an empty or whitespace-only text (first at data row {})",
                report.dropped_empty_text,
                first_empty.unwrap_or(0) + 1
            );
            report.warn(w);
        }
        report.replaced_chars += out_t
            .iter()
            .map(|t| t.matches('\u{FFFD}').count())
            .sum::<usize>();
        let mut m: Vec<(String, u8)> = mapping.into_iter().collect();
        m.sort_by_key(|(_, v)| *v);
        report.label_mapping = m;
        let pos = out_l.iter().filter(|&&l| l == 1).count();
        if out_l.is_empty() {
            return Err(Error::data(format!(
                "{}: no usable rows (all texts empty or labels missing)",
                report.source
            )));
        }
        if pos == 0 || pos == out_l.len() {
            return Err(Error::OneClass {
                file: report.source.clone(),
                detail: format!(
                    "{} rows, all labelled {}",
                    out_l.len(),
                    if pos == 0 { 0 } else { 1 }
                ),
            });
        }
        let labels_i32: Vec<i32> = out_l.iter().map(|&l| l as i32).collect();
        let mut columns = vec![
            Column::new(TEXT.into(), out_t),
            Column::new(LABEL.into(), labels_i32),
        ];
        if subsets.is_some() {
            columns.push(Column::new(SUBSET.into(), out_s));
        }
        // Several raw values can mean one class (`-1`/`0`): name the class by all of them.
        let names = [0u8, 1].map(|class| {
            let raw: Vec<&str> = report
                .label_mapping
                .iter()
                .filter(|(_, v)| *v == class)
                .map(|(k, _)| k.as_str())
                .collect();
            raw.join("/")
        });
        let corpus = Corpus::new(name, DataFrame::new_infer_height(columns)?)?;
        Ok(if names.iter().all(|n| !n.is_empty()) {
            corpus.with_classes(names)
        } else {
            corpus
        })
    }

    /// Map the distinct label values to 0/1, or say clearly why that is impossible.
    fn label_mapping(&self, raw: &[Option<String>], source: &str) -> Result<BTreeMap<String, u8>> {
        let mut distinct: Vec<&String> = raw.iter().flatten().collect();
        distinct.sort();
        distinct.dedup();
        let shown = |d: &[&String]| {
            let v: Vec<String> = d.iter().take(10).map(|s| format!("`{s}`")).collect();
            v.join(", ") + if d.len() > 10 { ", ..." } else { "" }
        };
        if distinct.len() > 2 {
            return Err(Error::data(format!(
                "{source}: labels must be binary, found {} distinct values: {}",
                distinct.len(),
                shown(&distinct)
            )));
        }
        if distinct.len() < 2 {
            return Err(Error::OneClass {
                file: source.to_string(),
                detail: format!("label values: {}", shown(&distinct)),
            });
        }
        let (a, b) = (distinct[0].clone(), distinct[1].clone());
        let positive = if let Some(p) = &self.positive {
            if p != &a && p != &b {
                return Err(Error::data(format!(
                    "{source}: positive label `{p}` not among the labels `{a}`, `{b}`"
                )));
            }
            p.clone()
        } else {
            let is_pos = |s: &str| POSITIVE_NAMES.contains(&s.to_ascii_lowercase().as_str());
            let is_neg = |s: &str| NEGATIVE_NAMES.contains(&s.to_ascii_lowercase().as_str());
            let numeric = |s: &str| s.parse::<f64>().ok();
            if let (Some(x), Some(y)) = (numeric(&a), numeric(&b)) {
                // Two numbers (0/1, -1/1, 1/2): the larger is positive.
                if x > y { a.clone() } else { b.clone() }
            } else if is_pos(&a) && !is_pos(&b) {
                a.clone()
            } else if (is_pos(&b) && !is_pos(&a)) || (is_neg(&a) && !is_neg(&b)) {
                b.clone()
            } else if is_neg(&b) && !is_neg(&a) {
                a.clone()
            } else {
                return Err(Error::data(format!(
                    "{source}: cannot tell which of the labels `{a}` and `{b}` is positive; say it with --positive"
                )));
            }
        };
        Ok([(a, 0), (b, 0)]
            .into_iter()
            .map(|(k, _)| {
                let v = u8::from(k == positive);
                (k, v)
            })
            .collect())
    }
}

/// Label values as strings (None for null / NaN), whatever the column's type.
fn label_strings(col: &Column) -> Result<Vec<Option<String>>> {
    let s = col.as_materialized_series();
    let out = match s.dtype() {
        DataType::Float32 | DataType::Float64 => s
            .cast(&DataType::Float64)?
            .f64()?
            .iter()
            .map(|v| {
                v.filter(|x| !x.is_nan()).map(|x| {
                    if x.fract() == 0.0 {
                        format!("{}", x as i64)
                    } else {
                        x.to_string()
                    }
                })
            })
            .collect(),
        DataType::String => s
            .str()?
            .iter()
            .map(|v| v.map(|t| t.trim().to_string()))
            .collect(),
        _ => {
            let c = s.cast(&DataType::String)?;
            c.str()?.iter().map(|v| v.map(str::to_string)).collect()
        }
    };
    Ok(out)
}

fn read_frame(
    path: &Path,
    format: Format,
    text_col: &str,
    report: &mut LoadReport,
) -> Result<DataFrame> {
    let head = {
        use std::io::Read;
        let mut h = [0u8; 4];
        let n = std::fs::File::open(path).at(path)?.read(&mut h).at(path)?;
        h[..n].to_vec()
    };
    if head == b"PAR1" && format != Format::Parquet {
        return Err(Error::data(format!(
            "{}: this is a Parquet file (it starts with PAR1), not {}; rename it to .parquet",
            path.display(),
            format!("{format:?}").to_uppercase()
        )));
    }
    // The text column is always text: a column of `00003` must stay "00003", not become 3.
    let text_schema = Schema::from_iter([Field::new(text_col.into(), DataType::String)]);
    match format {
        Format::Parquet => {
            if head != b"PAR1" {
                return Err(Error::data(format!(
                    "{}: not a Parquet file (it does not start with PAR1); is it CSV or JSONL with a .parquet name?",
                    path.display()
                )));
            }
            let f = std::fs::File::open(path).at(path)?;
            ParquetReader::new(f).finish().map_err(|e| {
                Error::data(format!(
                    "{}: not a readable Parquet file: {e}",
                    path.display()
                ))
            })
        }
        Format::Csv | Format::Tsv | Format::JsonLines => {
            let bytes = std::fs::read(path).at(path)?;
            let text = match String::from_utf8(bytes) {
                Ok(s) => s,
                Err(e) => {
                    let bytes = e.into_bytes();
                    let lossy = String::from_utf8_lossy(&bytes).into_owned();
                    let n = lossy.matches('\u{FFFD}').count() - count_fffd_valid(&bytes);
                    let first_line = first_invalid_line(&bytes);
                    report.warn(format!(
                        "{}: {n} invalid UTF-8 byte sequences (first on line {first_line}) replaced by U+FFFD; \
                         convert the file to UTF-8 to keep those characters",
                        path.display()
                    ));
                    lossy
                }
            };
            let sep = if format == Format::Tsv { b'\t' } else { b',' };
            let header_has_text = format != Format::JsonLines && {
                let first = text.lines().next().unwrap_or("");
                first
                    .split(sep as char)
                    .any(|f| f.trim().trim_matches('"') == text_col)
            };
            let cursor = Cursor::new(text.as_bytes());
            let res = if format == Format::JsonLines {
                let has_text = text.contains(&format!("\"{text_col}\""));
                let mut r = JsonReader::new(cursor).with_json_format(JsonFormat::JsonLines);
                if has_text {
                    r = r.with_schema_overwrite(&text_schema);
                }
                r.finish()
            } else {
                CsvReadOptions::default()
                    .with_has_header(true)
                    .with_infer_schema_length(Some(10_000))
                    .with_schema_overwrite(header_has_text.then(|| Arc::new(text_schema.clone())))
                    .with_parse_options(
                        CsvParseOptions::default()
                            .with_separator(sep)
                            .with_quote_char(Some(b'"')),
                    )
                    .into_reader_with_file_handle(cursor)
                    .finish()
            };
            res.map_err(|e| {
                if format == Format::JsonLines
                    && let Some((line, err)) = text.lines().enumerate().find_map(|(i, l)| {
                        let bad = !l.trim().is_empty()
                            && !matches!(
                                serde_json::from_str::<serde_json::Value>(l),
                                Ok(serde_json::Value::Object(_))
                            );
                        bad.then(|| {
                            let why = match serde_json::from_str::<serde_json::Value>(l) {
                                Err(e) => {
                                    let msg = e.to_string();
                                    let msg =
                                        msg.rsplit_once(" at line ").map_or(msg.as_str(), |m| m.0);
                                    format!("column {}: {msg}", e.column())
                                }
                                Ok(_) => "not a JSON object".to_string(),
                            };
                            (i + 1, why)
                        })
                    })
                {
                    return Error::data(format!(
                        "{}: line {line}, {err} (JSONL needs one JSON object per line)",
                        path.display()
                    ));
                }
                if format != Format::JsonLines
                    && let Some((line, got, want)) = ragged_line(&text, sep)
                {
                    return Error::data(format!(
                        "{}: line {line} has {got} fields but the header has {want}; \
                         quote fields that contain `{}` or newlines (\"...\")",
                        path.display(),
                        sep as char
                    ));
                }
                let msg = e.to_string();
                let msg = msg
                    .split("\n\nYou might want")
                    .next()
                    .unwrap_or(&msg)
                    .to_string();
                Error::data(format!(
                    "{}: cannot parse as {format:?}: {msg}",
                    path.display()
                ))
            })
        }
    }
}

/// The first line (1-based, physical) whose record has a different number of fields than the
/// header, with that count and the header's; quoted fields may hold separators and newlines.
fn ragged_line(text: &str, sep: u8) -> Option<(usize, usize, usize)> {
    let bytes = text.as_bytes();
    let (mut line, mut record_line) = (1usize, 1usize);
    let (mut fields, mut in_quotes, mut want) = (1usize, false, None);
    let mut empty_record = true;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_quotes {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    in_quotes = false;
                }
            } else if b == b'\n' {
                line += 1;
            }
        } else if b == b'"' {
            in_quotes = true;
            empty_record = false;
        } else if b == sep {
            fields += 1;
            empty_record = false;
        } else if b == b'\n' {
            if !empty_record {
                match want {
                    None => want = Some(fields),
                    Some(w) if w != fields => return Some((record_line, fields, w)),
                    _ => {}
                }
            }
            line += 1;
            record_line = line;
            fields = 1;
            empty_record = true;
        } else if b != b'\r' {
            empty_record = false;
        }
        i += 1;
    }
    match want {
        Some(w) if !empty_record && w != fields => Some((record_line, fields, w)),
        _ => None,
    }
}

/// U+FFFD characters that were already in the file as valid UTF-8 (not introduced by repair).
fn count_fffd_valid(bytes: &[u8]) -> usize {
    bytes.windows(3).filter(|w| w == b"\xEF\xBF\xBD").count()
}

fn first_invalid_line(bytes: &[u8]) -> usize {
    let valid_up_to = std::str::from_utf8(bytes)
        .err()
        .map_or(bytes.len(), |e| e.valid_up_to());
    bytes[..valid_up_to].iter().filter(|&&b| b == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> LoadOptions {
        LoadOptions::new()
    }

    #[test]
    fn label_names_are_inferred_or_refused() {
        let m = |v: &[&str]| {
            let raw: Vec<Option<String>> = v.iter().map(|s| Some(s.to_string())).collect();
            opts().label_mapping(&raw, "t")
        };
        assert_eq!(m(&["ham", "spam"]).unwrap()["spam"], 1);
        assert_eq!(m(&["pos", "neg"]).unwrap()["pos"], 1);
        assert_eq!(m(&["-1", "1"]).unwrap()["1"], 1);
        assert_eq!(m(&["1", "2"]).unwrap()["2"], 1);
        assert_eq!(m(&["false", "true"]).unwrap()["true"], 1);
        let e = m(&["cat", "dog"]).unwrap_err().to_string();
        assert_eq!(
            super::ragged_line("a,b\n1,2\n\"x,\ny\",3\n4,5,6\n", b','),
            Some((5, 3, 2))
        );
        assert_eq!(super::ragged_line("a,b\n1,2\n", b','), None);
        assert!(e.contains("--positive"), "{e}");
        let e = m(&["a", "b", "c"]).unwrap_err().to_string();
        assert!(e.contains("3 distinct values") && e.contains("`c`"), "{e}");
        let raw = vec![Some("cat".to_string()), Some("dog".to_string())];
        assert_eq!(
            opts().positive("dog").label_mapping(&raw, "t").unwrap()["dog"],
            1
        );
    }
}
