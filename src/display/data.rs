//! The data stage: corpora, splits, summaries, loading, cleaning, fetching, TF-IDF.

use super::*;
use crate::features::{DocFreq, TfidfVectorizer};

fn corpus_table(c: &Corpus) -> Table {
    let labels = c.labels();
    let pos = labels.iter().filter(|&&l| l == 1).count();
    let mut lens: Vec<usize> = c.texts().iter().map(|t| t.chars().count()).collect();
    lens.sort_unstable();
    let median = if lens.is_empty() {
        0
    } else {
        lens[lens.len() / 2]
    };
    let mut t = Table::new::<&str>(&[]);
    let rows = [
        ("rows", fmt_count(c.len())),
        (
            "class 1 (positive)",
            format!(
                "{} ({})",
                fmt_count(pos),
                fmt_pct(pos as f64 / c.len().max(1) as f64)
            ),
        ),
        ("class 0 (negative)", fmt_count(c.len() - pos)),
        ("median length", format!("{} characters", fmt_count(median))),
        (
            "columns",
            c.frame
                .get_column_names()
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ),
    ];
    for (k, v) in rows {
        t.push(vec![Cell::text(k).style(MUTED), Cell::text(v)]);
    }
    if let Some(subs) = c.subsets() {
        let mut seen: Vec<(&str, usize)> = Vec::new();
        for s in subs {
            match seen.iter_mut().find(|(n, _)| *n == s) {
                Some(e) => e.1 += 1,
                None => seen.push((s, 1)),
            }
        }
        let list = seen
            .iter()
            .map(|(n, k)| format!("{n} ({})", fmt_count(*k)))
            .collect::<Vec<_>>()
            .join(", ");
        t.push(vec![Cell::text("subsets").style(MUTED), Cell::text(list)]);
    }
    t
}

impl Render for Corpus {
    fn html(&self) -> String {
        section(
            &format!("Corpus: {}", self.name),
            &format!(
                "{}{}",
                corpus_table(self).to_html(),
                self.frame.show_n(3).titled("Rows").html()
            ),
        )
    }
    fn text(&self) -> String {
        format!("Corpus: {}\n{}", self.name, corpus_table(self).to_text())
    }
}

fn split_table(s: &Split) -> Table {
    let mut t = Table::new(&["split", "rows", "positive", "negative", "positive rate"]);
    let total: usize = [&s.train, &s.val, &s.test].iter().map(|c| c.len()).sum();
    for (name, c) in [("train", &s.train), ("val", &s.val), ("test", &s.test)] {
        let pos = c.positives();
        t.push(vec![
            Cell::text(name),
            Cell::num(format!(
                "{} ({})",
                fmt_count(c.len()),
                fmt_pct(c.len() as f64 / total.max(1) as f64)
            )),
            Cell::num(fmt_count(pos)),
            Cell::num(fmt_count(c.len() - pos)),
            Cell::num(fmt_pct(pos as f64 / c.len().max(1) as f64)),
        ]);
    }
    t
}

impl Render for Split {
    fn html(&self) -> String {
        let seed = match self.seed {
            Some(s) => format!("stratified split, seed {s}"),
            None => "split given by the user".into(),
        };
        section(
            "Train / validation / test split",
            &format!(
                "{}{}{}",
                note(&seed),
                split_table(self).to_html(),
                figure_html(plot::split_distribution(
                    self,
                    self.train.class_names().unwrap_or(CLASSES),
                ))
            ),
        )
    }
    fn text(&self) -> String {
        let seed = self
            .seed
            .map(|s| format!(" (seed {s})"))
            .unwrap_or_default();
        format!("Split{seed}\n{}", split_table(self).to_text())
    }
}

impl Render for Csr {
    fn html(&self) -> String {
        section("Sparse matrix (CSR)", &note(&self.text()))
    }
    fn text(&self) -> String {
        let nnz = self.data.len();
        let cells = (self.n_rows as f64) * (self.n_cols as f64);
        format!(
            "{} rows × {} columns, {} stored values ({:.3}% dense, {:.1} per row)",
            fmt_count(self.n_rows),
            fmt_count(self.n_cols),
            fmt_count(nnz),
            if cells > 0.0 {
                100.0 * nnz as f64 / cells
            } else {
                0.0
            },
            nnz as f64 / self.n_rows.max(1) as f64
        )
    }
}

crate::rich_display!(display: Corpus, Split, Csr);

// Summaries, loading, cleaning, fetching and TF-IDF print themselves (their owners' `Display`),
// so `text()` reuses it and only `evcxr_display` is added here.

fn summary_panel(r: &Summary) -> Panel {
    let overview = kv_table(
        "",
        vec![
            ("rows", fmt_count(r.rows)),
            (
                "class 1 (positive)",
                format!("{} ({})", fmt_count(r.positives), fmt_pct(r.positive_ratio)),
            ),
            ("class 0 (negative)", fmt_count(r.negatives)),
        ],
    );
    let mut lengths = Table::new(&[
        "length (characters)",
        "min",
        "p25",
        "median",
        "p75",
        "p95",
        "max",
        "mean",
    ])
    .caption("Text length");
    for (what, q) in [
        ("all", &r.length),
        ("class 0", &r.length_negative),
        ("class 1", &r.length_positive),
    ] {
        if let Some(q) = q {
            let mut row = vec![Cell::text(what)];
            row.extend(
                [q.min, q.p25, q.median, q.p75, q.p95, q.max].map(|v| Cell::num(fmt_count(v))),
            );
            row.push(Cell::num(format!("{:.0}", q.mean)));
            lengths.push(row);
        }
    }
    let mut parts = vec![overview, lengths];
    if !r.subsets.is_empty() {
        let mut t = Table::new(&["subset", "rows", "positive", "positive rate"]).caption("Subsets");
        for sub in &r.subsets {
            t.push(vec![
                Cell::text(&sub.subset),
                Cell::num(fmt_count(sub.rows)),
                Cell::num(fmt_count(sub.positives)),
                Cell::num(fmt_pct(sub.positives as f64 / sub.rows.max(1) as f64)),
            ]);
        }
        parts.push(t);
    }
    Panel::new(format!("Summary: {}", r.name)).side_by_side(parts)
}

fn load_panel(r: &LoadReport) -> Panel {
    let map = r
        .label_mapping
        .iter()
        .map(|(k, v)| format!("{k} → {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let t = kv_table(
        "",
        vec![
            ("rows read", fmt_count(r.rows_read)),
            ("label mapping", map),
            ("dropped: empty text", fmt_count(r.dropped_empty_text)),
            ("dropped: no label", fmt_count(r.dropped_null_label)),
            ("replaced characters", fmt_count(r.replaced_chars)),
        ],
    );
    r.warnings.iter().fold(
        Panel::new(format!("Loaded {}", r.source)).table(t),
        |p, w| p.warning(w.as_str()),
    )
}

fn clean_preview_panel(r: &CleanPreview) -> Panel {
    let p = Panel::new("Cleaning preview").note(r.cleaner.to_string());
    if r.examples.is_empty() {
        return p.note("the cleaner changes none of the texts");
    }
    let mut t = Table::new(&["#", "before", "after"]);
    for (i, (before, after)) in r.examples.iter().enumerate() {
        t.push(vec![
            Cell::num(i.to_string()).style(MUTED),
            Cell::long_text(before, 160).align(Align::Left),
            Cell::long_text(after, 160).align(Align::Left),
        ]);
    }
    p.table(t)
}

fn fetch_panel(r: &FetchReport) -> Panel {
    let subsets = r
        .subsets
        .iter()
        .map(|(s, n)| format!("{s} ({})", fmt_count(*n)))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = vec![
        ("directory", r.dir.display().to_string()),
        ("source", r.source.clone()),
        ("mails", fmt_count(r.mails)),
        (
            "spam",
            format!(
                "{} ({})",
                fmt_count(r.spam),
                fmt_pct(r.spam as f64 / r.mails.max(1) as f64)
            ),
        ),
        ("subsets", subsets),
    ];
    Panel::new("SpamAssassin corpus").table(kv_table("", rows))
}

fn vocabulary_panel(v: &Vocabulary) -> Panel {
    Panel::new(format!(
        "Vocabulary: {} terms from {} documents",
        fmt_count(v.size),
        fmt_count(v.n_docs)
    ))
    .table(vocabulary_table(v))
}

fn vocabulary_table(v: &Vocabulary) -> Table {
    let mut t = Table::new(&["term", "documents", "share", "idf"]).caption("Most common terms");
    for (term, df, idf) in &v.top {
        t.push(vec![
            Cell::text(term),
            Cell::num(fmt_count(*df as usize)),
            Cell::num(fmt_pct(*df as f64 / v.n_docs.max(1) as f64)),
            Cell::num(format!("{idf:.3}")),
        ]);
    }
    t
}

/// TF-IDF settings in words: `word 1-2 grams, lowercase, min_df 2, max_df 95.0%, sublinear tf,
/// smooth idf, L2 rows`.
fn tfidf_settings(s: &TfidfVectorizer) -> String {
    let df = |d: DocFreq| match d {
        DocFreq::Count(c) => fmt_count(c),
        DocFreq::Fraction(x) => fmt_pct(x),
    };
    let grams = |(lo, hi): (usize, usize)| {
        if lo == hi {
            format!("{lo}-grams")
        } else {
            format!("{lo}-{hi} grams")
        }
    };
    let mut parts = Vec::new();
    if let Some(g) = s.word_ngrams {
        parts.push(format!("word {}", grams(g)));
    }
    if let Some(g) = s.char_ngrams {
        parts.push(format!("character {}", grams(g)));
    }
    if s.lowercase {
        parts.push("lowercase".into());
    }
    parts.push(format!("min_df {}", df(s.min_df)));
    parts.push(format!("max_df {}", df(s.max_df)));
    if let Some(m) = s.max_features {
        parts.push(format!("at most {} terms", fmt_count(m)));
    }
    for (on, what) in [
        (s.sublinear_tf, "sublinear tf"),
        (s.smooth_idf, "smooth idf"),
        (s.norm, "L2 rows"),
    ] {
        if on {
            parts.push(what.into());
        }
    }
    parts.join(", ")
}

impl Render for Tfidf {
    fn html(&self) -> String {
        let v = self.vocabulary(15);
        section(
            &format!(
                "TF-IDF: {} terms from {} documents",
                fmt_count(v.size),
                fmt_count(v.n_docs)
            ),
            &format!(
                "<div style=\"font-family:monospace;font-size:12px;{MUTED};margin:2px 0 6px 0\">{}</div>{}",
                escape(&tfidf_settings(&self.settings)),
                vocabulary_table(&v).to_html()
            ),
        )
    }
    fn text(&self) -> String {
        format!(
            "TF-IDF: {}\n{}",
            tfidf_settings(&self.settings),
            self.vocabulary(15)
        )
    }
}

panel_render!(
    Summary => summary_panel,
    LoadReport => load_panel,
    CleanPreview => clean_preview_panel,
    FetchReport => fetch_panel,
    Vocabulary => vocabulary_panel,
);
crate::rich_display!(display: Summary, LoadReport, CleanPreview, FetchReport, Vocabulary);
crate::rich_display!(Tfidf);
