//! The lab report: a list of blocks (headings, text, tables, figures) rendered to Markdown (with
//! figures as `.svg` files beside it) and to one self-contained HTML file (figures inline as PNG
//! `<img>`, which every viewer draws, including ones that strip inline SVG).

use crate::display::{Cell, Table, escape};
use crate::error::{IoContext, Result};
use crate::lab::claims::{self, Finding, Outcome, Verdict};
use crate::lab::{RunResult, TransformerReport};
use crate::plot::{self, Figure, ModelStats};
use std::path::{Path, PathBuf};

/// One piece of the report.
#[derive(Debug, Clone)]
pub enum Block {
    Heading(u8, String),
    /// A paragraph; `**bold**` and `` `code` `` are kept in both renderings.
    Text(String),
    Table(Table),
    /// A figure saved as `figures/<name>.svg`.
    Figure(String, Figure),
    /// Preformatted text (e.g. a classification report).
    Pre(String),
}

/// Escape text, then turn `**x**` into bold and `` `x` `` into code.
fn inline(text: &str) -> String {
    let mut out = String::new();
    let esc = escape(text);
    let mut bold = false;
    let mut code = false;
    let mut rest = esc.as_str();
    while let Some(i) = rest.find(['*', '`']) {
        out.push_str(&rest[..i]);
        if rest[i..].starts_with("**") && !code {
            out.push_str(if bold { "</strong>" } else { "<strong>" });
            bold = !bold;
            rest = &rest[i + 2..];
        } else if rest[i..].starts_with('`') {
            out.push_str(if code { "</code>" } else { "<code>" });
            code = !code;
            rest = &rest[i + 1..];
        } else {
            out.push('*');
            rest = &rest[i + 1..];
        }
    }
    out.push_str(rest);
    if bold {
        out.push_str("</strong>");
    }
    if code {
        out.push_str("</code>");
    }
    out
}

/// A report under construction.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub title: String,
    pub blocks: Vec<Block>,
}

impl Report {
    pub fn new(title: impl Into<String>) -> Report {
        Report {
            title: title.into(),
            blocks: Vec::new(),
        }
    }
    pub fn h2(&mut self, t: impl Into<String>) {
        self.blocks.push(Block::Heading(2, t.into()));
    }
    pub fn h3(&mut self, t: impl Into<String>) {
        self.blocks.push(Block::Heading(3, t.into()));
    }
    pub fn text(&mut self, t: impl Into<String>) {
        self.blocks.push(Block::Text(t.into()));
    }
    pub fn table(&mut self, g: Table) {
        self.blocks.push(Block::Table(g));
    }
    pub fn pre(&mut self, t: impl Into<String>) {
        self.blocks.push(Block::Pre(t.into()));
    }
    /// Add a figure; a failed plot becomes a visible note instead of aborting the report.
    pub fn figure(&mut self, name: &str, fig: Result<Figure>) {
        match fig {
            Ok(f) => self.blocks.push(Block::Figure(name.to_string(), f)),
            Err(e) => self.blocks.push(Block::Text(format!(
                "(figure `{name}` could not be drawn: {e})"
            ))),
        }
    }

    fn figure_file(name: &str) -> String {
        format!("figures/{}.svg", crate::plot::file_stem(name))
    }

    pub fn markdown(&self) -> String {
        let mut s = format!("# {}\n\n", self.title);
        for b in &self.blocks {
            match b {
                Block::Heading(l, t) => s += &format!("{} {t}\n\n", "#".repeat(*l as usize)),
                Block::Text(t) => s += &format!("{t}\n\n"),
                Block::Table(t) => s += &format!("{}\n", t.to_markdown()),
                Block::Figure(name, f) => {
                    s += &format!("![{}]({})\n\n", f.title(), Self::figure_file(name))
                }
                Block::Pre(t) => s += &format!("```text\n{}\n```\n\n", t.trim_end()),
            }
        }
        s
    }

    pub fn html(&self) -> String {
        let mut s = format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title>\n<style>\
             body{{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;line-height:1.45;color:#222}}\
             table{{border-collapse:collapse;margin:1em 0;font-size:0.9em}}th,td{{border:1px solid #ccc;padding:3px 8px;text-align:right}}\
             th{{background:#f3f3f3}}td:first-child,th:first-child{{text-align:left}}pre{{background:#f7f7f7;padding:0.8em;overflow-x:auto}}\
             figure{{margin:1em 0}}figure img{{max-width:100%;height:auto}}</style></head><body>\n<h1>{}</h1>\n",
            escape(&self.title),
            escape(&self.title)
        );
        for b in &self.blocks {
            match b {
                Block::Heading(l, t) => s += &format!("<h{l}>{}</h{l}>\n", inline(t)),
                Block::Text(t) => s += &format!("<p>{}</p>\n", inline(t)),
                Block::Table(t) => s += &format!("{}\n", t.to_html()),
                Block::Figure(_, f) => match f.img_tag() {
                    Ok(img) => s += &format!("<figure>{img}</figure>\n"),
                    Err(e) => s += &format!("<p>{}</p>\n", escape(&e.to_string())),
                },
                Block::Pre(t) => s += &format!("<pre>{}</pre>\n", escape(t)),
            }
        }
        s + "</body></html>\n"
    }

    /// Write `report.md`, `report.html` and `figures/*.svg` into `dir` as one unit (staged beside
    /// it and swapped in whole: see [`crate::fsio::write_dir_atomic`]); returns the files written.
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        crate::fsio::write_dir_atomic(dir, |stage| self.write_into(stage, dir))
    }

    /// The names [`Report::write`] puts in its directory.
    pub const FILES: [&'static str; 3] = ["report.md", "report.html", "figures"];

    /// Write the report's files into the staging directory `stage` of `dir` (the caller swaps it
    /// in, e.g. with more files of the same run); returns the paths they will have under `dir`.
    pub fn write_into(&self, stage: &Path, dir: &Path) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(stage.join("figures")).at(stage)?;
        let mut files = Vec::new();
        for b in &self.blocks {
            if let Block::Figure(name, f) = b {
                let rel = Self::figure_file(name);
                f.save(stage.join(&rel))?;
                files.push(dir.join(rel));
            }
        }
        for (name, text) in [("report.md", self.markdown()), ("report.html", self.html())] {
            crate::fsio::write_bytes_atomic(&stage.join(name), text.as_bytes())?;
            files.push(dir.join(name));
        }
        Ok(files)
    }
}

fn f3(x: f64) -> String {
    format!("{x:.3}")
}

/// The lab report of a run, in the seed report's order; every sentence is computed from `r`.
pub fn lab_report(r: &RunResult) -> Report {
    let mut rep = Report::new("Text classification lab report");
    let c = &r.corpus;
    rep.text(format!(
        "Corpus **{}**: {} texts, {} positive ({:.1}%). Stratified split (seed {}): {} train, {} validation, {} test. \
         Everything below was measured in this run ({:.0} s in all).",
        c.name,
        c.rows,
        c.positives,
        c.positive_ratio * 100.0,
        r.split_seed.map_or("given files".into(), |s| s.to_string()),
        r.train.rows,
        r.val.rows,
        r.test.rows,
        r.seconds
    ));
    for w in &r.load.warnings {
        rep.text(format!("Data warning: {w}"));
    }
    for (name, fig) in &r.data_figures {
        rep.figure(name, Ok(fig.clone()));
    }
    if !r.cleaning.examples.is_empty() {
        rep.text("Cleaning (URLs and e-mail addresses to placeholders, lowercase, whitespace), before and after:");
        rep.pre(r.cleaning.to_string());
    }

    rep.h2("I. Problems and solutions");
    rep.h3("I.1 Compute: memory, batch size and gradient accumulation");
    rep.pre(r.compute.to_string());
    rep.text(format!(
        "Estimated memory of one fine-tuning step of roberta-base ({} parameters, f32, AdamW), by sequence length and batch size:",
        r.memory.parameters
    ));
    rep.table(crate::display::memory_table(&r.memory));
    rep.text(format!(
        "This is why large batches ran out of GPU memory. Gradient accumulation answers it: {}. \
         `textlab transformer --batch-size B --grad-accum K` trains with effective batch B x K.",
        crate::display::accumulation_sentence(&r.accumulation)
    ));

    let cl = &r.classic;
    rep.h3("I.2 Logistic regression: out of the box, balanced, tuned");
    let ootb = &cl.rows[0];
    let m = ootb.metrics();
    rep.text(format!(
        "Out of the box (L2, C = 1, no balancing, threshold 0.5) the model reaches test F1 **{}** \
         (precision {:.3}, recall {:.3}): it flags {} texts as positive and finds {} of the {} positives ({:.0}% positives in training).",
        claims::fmt_interval(&ootb.test.f1),
        m.precision(),
        m.recall(),
        m.confusion.tp + m.confusion.fp,
        m.confusion.tp,
        m.support(),
        r.train.positive_ratio * 100.0
    ));
    rep.table(crate::display::classic_table(cl));
    for row in cl
        .rows
        .iter()
        .skip(1)
        .filter(|r| r.stage().starts_with("balancing"))
    {
        if let Ok(v) = Verdict::between(&row.test, &ootb.test) {
            rep.text(v.sentence());
        }
    }
    let sb = cl.search.best();
    rep.text(format!(
        "Search: {}-fold stratified cross-validation on the training split over C x penalty x balancing ({} settings, {:.0} s); \
         best mean CV F1 {:.3} at {} C = {} with {} balancing. {}",
        cl.search.folds,
        cl.search.rows.len(),
        cl.search.seconds,
        sb.mean_f1,
        sb.penalty,
        crate::linear::fmt_c(sb.c),
        sb.balancing.name(),
        crate::display::Render::text(&cl.threshold)
    ));
    if let Ok(v) = Verdict::between(&cl.best().test, &ootb.test) {
        rep.text(format!(
            "Chosen on validation: {}. {}",
            cl.best().stage(),
            v.sentence()
        ));
    }
    for (name, fig) in cl.figures() {
        if name == "c-sweep" {
            rep.figure(name, fig);
        }
    }

    rep.h2("II. Results");
    rep.h3("II.1 TF-IDF + logistic regression: L1 against L2");
    if let (Some(a), Some(b)) = (cl.row("tuned L1"), cl.row("tuned L2")) {
        rep.text(format!(
            "At their tuned settings L1 keeps {} non-zero weights and L2 {}.",
            a.cost.parameters, b.cost.parameters
        ));
        if let Ok(v) = Verdict::between(&a.test, &b.test) {
            rep.text(Finding::new("the report: L1 beat L2", v).sentence());
        }
    }
    let best = cl.best();
    rep.text(format!(
        "Chosen model: {} ({}); its classification report on the test split:",
        best.stage(),
        best.balancing
    ));
    rep.pre(best.metrics().classification_report());
    for (name, fig) in cl.figures() {
        if name != "c-sweep" {
            rep.figure(name, fig);
        }
    }
    rep.text("Top features of the chosen model:");
    rep.pre(cl.top_features.to_string());

    rep.h3("II.2 Transformer (RoBERTa)");
    match &r.transformer {
        Some(t) => {
            rep.pre(t.to_string());
            if let Some(a) = &t.random_init
                && let Ok(v) = Verdict::between(&t.test, &a.test)
            {
                rep.text(format!("Did pretraining pay? {}", v.sentence()));
            }
            rep.figure("training-curves", t.training_figure());
            rep.figure(
                "confusion-transformer",
                plot::confusion_matrix(&t.test.metrics.confusion, ["negative", "positive"]),
            );
        }
        None => rep.text("Skipped (--no-transformer)."),
    }

    rep.h2("Conclusion");
    let classic_cost = cl.tfidf_seconds + cl.search.seconds + best.model.fit_seconds;
    let mut stats = vec![
        ModelStats::from_logreg(
            format!("TF-IDF + LR ({})", best.penalty),
            &cl.best_model,
            best.metrics(),
        )
        .train_secs(classic_cost),
    ];
    let mut g = Table::new(&[
        "model",
        "precision",
        "recall",
        "F1 (95% interval)",
        "accuracy",
        "support",
        "training s (search included)",
        "size",
    ]);
    let num = |x: f64| Cell::num(f3(x));
    let bm = best.metrics();
    g.push(vec![
        Cell::text(format!(
            "TF-IDF + logistic regression ({}, C={}, {})",
            best.penalty,
            crate::linear::fmt_c(best.c),
            best.balancing
        )),
        num(bm.precision()),
        num(bm.recall()),
        Cell::num(claims::fmt_interval(&best.test.f1)),
        num(bm.accuracy),
        Cell::num(bm.support().to_string()),
        Cell::num(format!("{classic_cost:.1}")),
        Cell::num(format!("{} weights", best.cost.parameters)),
    ]);
    if let Some(t) = &r.transformer {
        let tm = &t.test.metrics;
        g.push(vec![
            Cell::text(&t.model),
            num(tm.precision()),
            num(tm.recall()),
            Cell::num(claims::fmt_interval(&t.test.f1)),
            num(tm.accuracy),
            Cell::num(tm.support().to_string()),
            Cell::num(format!("{:.0}", t.train_seconds)),
            Cell::num(crate::transformer::memory::human_bytes(
                t.summary.model_bytes,
            )),
        ]);
        stats.push(t.model_stats());
    }
    rep.table(g);
    rep.figure("model-comparison", plot::model_comparison(&stats));
    rep.text(conclusion(best, classic_cost, r.transformer.as_ref()));
    rep
}

/// The report's conclusion, re-derived from this run's numbers: which family wins (or whether
/// the test set cannot tell), and at what cost (the classic cost includes its search).
pub fn conclusion(
    best: &crate::lab::ClassicRow,
    classic_seconds: f64,
    t: Option<&TransformerReport>,
) -> String {
    let Some(t) = t else {
        return format!(
            "TF-IDF + logistic regression reaches test F1 {}; the transformer part was not run.",
            claims::fmt_interval(&best.test.f1)
        );
    };
    let cost = format!(
        "The transformer took {:.0} s to train against {:.1} s for the classic model, TF-IDF and search included ({:.0}x).",
        t.train_seconds,
        classic_seconds,
        t.train_seconds / classic_seconds.max(1e-3)
    );
    match Verdict::between(&t.test, &best.test) {
        Ok(v) => {
            let holds = match v.outcome() {
                Outcome::Tie => {
                    "holds here: the two are within the noise, and the classic model costs far less"
                }
                Outcome::FirstWins
                    if v.difference.low > crate::lab::results::REPORT_TRANSFORMER_MARGIN =>
                {
                    "does not hold here: the transformer's gain is larger than the report's +0.007 F1, beyond the test set's noise"
                }
                Outcome::FirstWins => {
                    "holds here: the transformer is ahead by a margin whose interval includes the report's +0.007 F1"
                }
                Outcome::SecondWins => {
                    "holds more strongly here: the classic model is better, not only cheaper"
                }
            };
            format!(
                "{} {cost} The seed report's conclusion (the transformer only slightly better, the classic model far cheaper) {holds}.",
                v.sentence()
            )
        }
        Err(e) => format!("The two models cannot be compared: {e}"),
    }
}

/// Write a run's report directory (`report.md`, `report.html`, `figures/`, `metrics.json`) as
/// one unit: it never mixes the figures of one run with another's numbers.
pub fn write_run(r: &mut RunResult, out: &Path) -> Result<()> {
    let report = lab_report(r);
    let files = crate::fsio::write_dir_atomic(out, |stage| {
        let mut files = report.write_into(stage, out)?;
        files.push(out.join("metrics.json"));
        r.files = files.clone();
        crate::fsio::write_bytes_atomic(
            &stage.join("metrics.json"),
            &serde_json::to_vec_pretty(&*r)?,
        )?;
        Ok(files)
    })?;
    r.files = files;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::display::Cell;

    #[test]
    fn markdown_and_html_escape_user_text() {
        let mut r = Report::new("Lab <1>");
        r.h2("I. Problems");
        r.text("F1 **0.78** with `C=10` <script>x</script>");
        r.table(
            Table::new(&["model", "f1"])
                .row(vec![Cell::text("L1 | sparse").bold(), Cell::num("0.77")]),
        );
        let md = r.markdown();
        assert!(
            md.contains("## I. Problems")
                && md.contains("| **L1 \\| sparse** | 0.77 |")
                && md.contains("|:---|---:|"),
            "{md}"
        );
        let html = r.html();
        assert!(
            html.contains("<strong>0.78</strong>") && html.contains("<code>C=10</code>"),
            "{html}"
        );
        assert!(
            html.contains("&lt;script&gt;") && !html.contains("<script>"),
            "{html}"
        );
        assert!(html.contains("<title>Lab &lt;1&gt;</title>"));
    }

    #[test]
    fn html_embeds_figures_as_png_images() {
        let mut r = Report::new("figs");
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"8\" height=\"6\"><rect width=\"4\" height=\"4\"/></svg>";
        r.figure("a <b>", Ok(Figure::from_svg("A <b>", svg, (8, 6))));
        let html = r.html();
        assert!(
            html.contains("<figure><img src=\"data:image/png;base64,iVBOR")
                && html.contains("width=\"8\" height=\"6\" alt=\"A &lt;b&gt;\""),
            "{html}"
        );
        assert!(!html.contains("<svg"), "{html}");
    }
}
