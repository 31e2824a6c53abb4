//! Rich display: every result value shows itself in a Jupyter notebook (evcxr kernel) as HTML or
//! SVG, and in a terminal as plain text.
//!
//! The evcxr kernel shows a value by calling its inherent method `evcxr_display(&self)`, which
//! prints `EVCXR_BEGIN_CONTENT <mime>` ... `EVCXR_END_CONTENT` on stdout. Values implement
//! [`Render`] (HTML + text, optionally SVG) and get `evcxr_display` (and `Display`) from the
//! [`rich_display!`](crate::rich_display) macro. Only one output per MIME type survives in a
//! cell, so a value that shows a table *and* a figure renders one HTML block with the SVG inline;
//! to show several values from one cell, combine them with [`stack`] or [`row`].
//!
//! All user text is escaped with [`escape`]; styles are inline and use `inherit` colours and
//! translucent greys so that tables read on light and dark notebook themes alike. Figures keep a
//! white background (like matplotlib's) on both.
//!
//! ```
//! use textlab::display::{Render, FrameExt, escape};
//! use polars::prelude::*;
//! let df = df!("text" => ["<script>alert(1)</script>", "hi"], "label" => [1i32, 0]).unwrap();
//! let html = df.show().html();
//! assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"));
//! ```

use crate::balance::{BalanceReport, Balanced};
use crate::data::{CleanPreview, Corpus, FetchReport, LoadReport, Split, Summary};
use crate::features::{Csr, Tfidf, Vocabulary};
use crate::lab::{
    AccumulationPlan, ClassicBench, ClassicReport, ComputeInfo, MemoryTable, RunResult,
};
use crate::linear::{LogRegModel, RegPath, SearchResults, TopFeatures};
use crate::metrics::{Confusion, Evaluation, Metrics, PrCurve, RocCurve, ThresholdSweep};
use crate::plot::{self, Figure};
use crate::transformer::TransformerReport;
use crate::transformer::bench::BenchReport;
use crate::transformer::memory::MemoryEstimate;
use crate::transformer::mlm::MlmRun;
use crate::transformer::train::FineTuneRun;
use polars::prelude::{AnyValue, DataFrame};
use std::fmt::Write as _;

/// A value that can show itself as HTML (notebook) and text (terminal).
pub trait Render {
    /// A self-contained HTML fragment: inline styles, no scripts, all user text escaped.
    fn html(&self) -> String;
    /// Plain text for a terminal (what `Display` prints).
    fn text(&self) -> String;
    /// An SVG document when the value *is* a figure; it is then sent as `image/svg+xml`
    /// instead of HTML.
    fn svg(&self) -> Option<String> {
        None
    }
}

/// The evcxr output block for `mime` with `content`.
pub fn evcxr_block(mime: &str, content: &str) -> String {
    format!("EVCXR_BEGIN_CONTENT {mime}\n{content}\nEVCXR_END_CONTENT\n")
}

/// What `evcxr_display` prints for a value: its SVG as `image/svg+xml` when it is a figure,
/// its HTML as `text/html` otherwise.
pub fn evcxr_output<R: Render + ?Sized>(value: &R) -> String {
    match value.svg() {
        Some(svg) => evcxr_block("image/svg+xml", &svg),
        None => evcxr_block("text/html", &value.html()),
    }
}

/// Print a value's evcxr output on stdout (the body of every `evcxr_display`).
pub fn emit<R: Render + ?Sized>(value: &R) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(evcxr_output(value).as_bytes());
    let _ = out.flush();
}

/// Implement `evcxr_display` (and, with `display:`, `std::fmt::Display`) through [`Render`] for
/// a list of types defined in the calling crate (a notebook cell is a crate too):
///
/// ```
/// use textlab::display::Render;
/// struct Note(String);
/// impl Render for Note {
///     fn html(&self) -> String { format!("<b>{}</b>", textlab::display::escape(&self.0)) }
///     fn text(&self) -> String { self.0.clone() }
/// }
/// textlab::rich_display!(display: Note);
/// assert_eq!(Note("hi".into()).to_string(), "hi");
/// ```
#[macro_export]
macro_rules! rich_display {
    (display: $($t:ty),+ $(,)?) => {
        $crate::rich_display!($($t),+);
        $(
            impl ::std::fmt::Display for $t {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str(&$crate::display::Render::text(self))
                }
            }
        )+
    };
    ($($t:ty),+ $(,)?) => {
        $(
            impl $t {
                /// Show this value in a Jupyter notebook (the evcxr kernel calls this).
                pub fn evcxr_display(&self) {
                    $crate::display::emit(self)
                }
            }
        )+
    };
}

// ---------------------------------------------------------------------------------------------
// Text helpers.

/// Escape text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` with runs of whitespace collapsed to one space and cut to `max` characters (with `…`).
/// Returns whether anything was cut.
pub fn truncate(text: &str, max: usize) -> (String, bool) {
    let mut out = String::new();
    let mut n = 0;
    let mut cut = false;
    for word in text.split_whitespace() {
        if n > 0 {
            if n >= max {
                cut = true;
                break;
            }
            out.push(' ');
            n += 1;
        }
        for c in word.chars() {
            if n >= max {
                cut = true;
                break;
            }
            out.push(c);
            n += 1;
        }
        if cut {
            break;
        }
    }
    if cut {
        while out.ends_with(' ') {
            out.pop();
        }
        out.push('…');
    }
    (out, cut)
}

/// `6046` -> `6,046`.
pub fn fmt_count(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A rate as a percentage with one decimal: `0.3137` -> `31.4%`.
pub fn fmt_pct(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}%", x * 100.0)
    } else {
        "n/a".into()
    }
}

/// A score with three decimals.
pub fn fmt3(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.3}")
    } else {
        "n/a".into()
    }
}

/// Strip tags and decode the few entities [`escape`] makes (for text fallbacks of HTML).
fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

// ---------------------------------------------------------------------------------------------
// HTML building blocks.

const BOX: &str = "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif;\
font-size:13px;line-height:1.45;color:inherit;max-width:100%";
const HEADING: &str = "font-weight:600;font-size:14px;margin:2px 0 6px 0";
const MUTED: &str = "opacity:0.7";
const TABLE: &str = "border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums;\
margin:4px 0;color:inherit;background:transparent;table-layout:auto";
const TH: &str = "padding:4px 10px;border-bottom:1.5px solid rgba(128,128,128,0.55);font-weight:600;\
background:transparent;color:inherit;white-space:nowrap";
const TD: &str = "padding:3px 10px;border-bottom:1px solid rgba(128,128,128,0.2);background:transparent;\
color:inherit;vertical-align:top";
const CAPTION: &str =
    "caption-side:top;text-align:left;font-weight:600;padding:2px 0 6px 0;color:inherit";
const FLEX: &str = "display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start";

/// A block with a bold heading (`title` is user text: escaped) above `body` (HTML).
pub fn section(title: &str, body: &str) -> String {
    format!(
        "<div style=\"{BOX}\"><div style=\"{HEADING}\">{}</div>{body}</div>",
        escape(title)
    )
}

/// Muted small print (`text` is escaped).
pub fn note(text: &str) -> String {
    format!(
        "<div style=\"{MUTED};font-size:12px;margin:2px 0\">{}</div>",
        escape(text)
    )
}

fn flex(parts: &[String]) -> String {
    let mut s = format!("<div style=\"{FLEX}\">");
    for p in parts {
        s += "<div>";
        s += p;
        s += "</div>";
    }
    s + "</div>"
}

/// Horizontal alignment of a table cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
    Center,
}

/// One table cell: its HTML and its terminal text.
#[derive(Debug, Clone)]
pub struct Cell {
    html: String,
    text: String,
    align: Align,
    style: String,
    title: Option<String>,
}

impl Cell {
    /// User text, escaped, left aligned.
    pub fn text(s: impl AsRef<str>) -> Cell {
        let s = s.as_ref();
        Cell {
            html: escape(s),
            text: s.to_string(),
            align: Align::Left,
            style: String::new(),
            title: None,
        }
    }
    /// A number (already formatted), right aligned.
    pub fn num(s: impl AsRef<str>) -> Cell {
        Cell {
            align: Align::Right,
            ..Cell::text(s)
        }
    }
    /// Long user text cut to `max` characters, the full text (up to 2,000 characters) on hover.
    pub fn long_text(s: &str, max: usize) -> Cell {
        let (short, cut) = truncate(s, max);
        let mut c = Cell::text(&short);
        if cut {
            let full: String = s.chars().take(2000).collect();
            let more = s.chars().count().saturating_sub(2000);
            c.title = Some(if more > 0 {
                format!("{full}… (+{} more characters)", fmt_count(more))
            } else {
                full
            });
        }
        c
    }
    /// Raw HTML (the caller escapes) with a text fallback.
    pub fn html(html: impl Into<String>, text: impl Into<String>) -> Cell {
        Cell {
            html: html.into(),
            text: text.into(),
            align: Align::Right,
            style: String::new(),
            title: None,
        }
    }
    /// A missing value, shown as a muted `null`.
    pub fn null() -> Cell {
        Cell::html(
            format!("<span style=\"{MUTED};font-style:italic\">null</span>"),
            "null",
        )
    }
    /// Extra inline CSS for the cell.
    pub fn style(mut self, css: &str) -> Cell {
        self.style.push_str(css);
        if !css.ends_with(';') {
            self.style.push(';');
        }
        self
    }
    pub fn bold(self) -> Cell {
        self.style("font-weight:600")
    }
    pub fn align(mut self, a: Align) -> Cell {
        self.align = a;
        self
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::text(s)
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::text(s)
    }
}

/// An HTML table with a text rendering, styled for light and dark themes.
#[derive(Debug, Clone, Default)]
pub struct Table {
    caption: Option<String>,
    header: Vec<Cell>,
    rows: Vec<Vec<Cell>>,
    /// Row indices before which a visual gap ("…" row) is drawn.
    gaps: Vec<usize>,
}

impl Table {
    /// A table with these column headings; the first column is left aligned, the others right.
    pub fn new<S: AsRef<str>>(header: &[S]) -> Table {
        let header = header
            .iter()
            .enumerate()
            .map(|(i, h)| Cell::text(h).align(if i == 0 { Align::Left } else { Align::Right }))
            .collect();
        Table {
            header,
            ..Table::default()
        }
    }
    pub fn caption(mut self, caption: impl Into<String>) -> Table {
        self.caption = Some(caption.into());
        self
    }
    pub fn row(mut self, cells: Vec<Cell>) -> Table {
        self.push(cells);
        self
    }
    pub fn push(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }
    /// Draw a `…` row before the next row pushed (rows were skipped).
    pub fn gap(&mut self) {
        self.gaps.push(self.rows.len());
    }
    pub fn n_rows(&self) -> usize {
        self.rows.len()
    }

    fn cell_html(tag: &str, base: &str, c: &Cell) -> String {
        let align = match c.align {
            Align::Left => "left",
            Align::Right => "right",
            Align::Center => "center",
        };
        let title = c
            .title
            .as_ref()
            .map(|t| format!(" title=\"{}\"", escape(t)))
            .unwrap_or_default();
        format!(
            "<{tag} style=\"{base};text-align:{align};{}\"{title}>{}</{tag}>",
            c.style, c.html
        )
    }

    pub fn to_html(&self) -> String {
        let mut s = format!("<table style=\"{TABLE}\">");
        if let Some(c) = &self.caption {
            let _ = write!(s, "<caption style=\"{CAPTION}\">{}</caption>", escape(c));
        }
        if !self.header.is_empty() {
            s += "<thead><tr>";
            for h in &self.header {
                s += &Self::cell_html("th", TH, h);
            }
            s += "</tr></thead>";
        }
        s += "<tbody>";
        let width = self
            .header
            .len()
            .max(self.rows.iter().map(Vec::len).max().unwrap_or(0));
        for (i, row) in self.rows.iter().enumerate() {
            if self.gaps.contains(&i) {
                let _ = write!(
                    s,
                    "<tr><td colspan=\"{width}\" style=\"{TD};text-align:center;{MUTED}\">…</td></tr>"
                );
            }
            s += "<tr>";
            for c in row {
                s += &Self::cell_html("td", TD, c);
            }
            s += "</tr>";
        }
        s + "</tbody></table>"
    }

    pub fn to_text(&self) -> String {
        let mut lines: Vec<Vec<&Cell>> = Vec::new();
        if !self.header.is_empty() {
            lines.push(self.header.iter().collect());
        }
        lines.extend(self.rows.iter().map(|r| r.iter().collect()));
        let n = lines.iter().map(Vec::len).max().unwrap_or(0);
        let mut widths = vec![0; n];
        for l in &lines {
            for (i, c) in l.iter().enumerate() {
                widths[i] = widths[i].max(c.text.chars().count());
            }
        }
        let mut s = String::new();
        if let Some(c) = &self.caption {
            s += c;
            s += "\n";
        }
        let offset = usize::from(!self.header.is_empty());
        for (k, l) in lines.iter().enumerate() {
            if k >= offset && self.gaps.contains(&(k - offset)) {
                s += "…\n";
            }
            let mut line = String::new();
            for (i, c) in l.iter().enumerate() {
                if i > 0 {
                    line += "  ";
                }
                let pad = widths[i] - c.text.chars().count();
                match c.align {
                    Align::Left => {
                        line += &c.text;
                        line += &" ".repeat(pad);
                    }
                    _ => {
                        line += &" ".repeat(pad);
                        line += &c.text;
                    }
                }
            }
            s += line.trim_end();
            s += "\n";
            if k == 0 && offset == 1 {
                let total: usize = widths.iter().sum::<usize>() + 2 * n.saturating_sub(1);
                s += &"-".repeat(total);
                s += "\n";
            }
        }
        s
    }
}

impl Render for Table {
    fn html(&self) -> String {
        format!("<div style=\"{BOX}\">{}</div>", self.to_html())
    }
    fn text(&self) -> String {
        self.to_text()
    }
}

/// Raw HTML that displays as itself (the caller is responsible for escaping).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Html(pub String);

impl Render for Html {
    fn html(&self) -> String {
        self.0.clone()
    }
    fn text(&self) -> String {
        strip_tags(&self.0)
    }
}

/// Several values as one HTML block, one below the other (one cell shows one HTML output).
pub fn stack(items: &[&dyn Render]) -> Html {
    let mut s = format!("<div style=\"{BOX}\">");
    for it in items {
        s += "<div style=\"margin:0 0 12px 0\">";
        s += &it.html();
        s += "</div>";
    }
    Html(s + "</div>")
}

/// Several values side by side (wrapping on narrow screens) as one HTML block.
pub fn row(items: &[&dyn Render]) -> Html {
    Html(format!(
        "<div style=\"{BOX}\">{}</div>",
        flex(&items.iter().map(|i| i.html()).collect::<Vec<_>>())
    ))
}

crate::rich_display!(display: Html, Table);

// ---------------------------------------------------------------------------------------------
// DataFrame preview.

/// `df.show()`: a displayable preview of a polars `DataFrame`.
pub trait FrameExt {
    /// Shape, column types, the first 5 and last 5 rows.
    fn show(&self) -> FramePreview {
        self.show_n(5)
    }
    /// Shape, column types, the first `n` and last `n` rows.
    fn show_n(&self, n: usize) -> FramePreview;
}

impl FrameExt for DataFrame {
    fn show_n(&self, n: usize) -> FramePreview {
        FramePreview::new(self, n)
    }
}

/// A preview of a `DataFrame`: shape, dtypes, head and tail rows, long text cut (full text on
/// hover in a notebook).
#[derive(Debug, Clone, PartialEq)]
pub struct FramePreview {
    title: Option<String>,
    height: usize,
    /// (name, dtype)
    columns: Vec<(String, String)>,
    /// (row index, values; `None` is null)
    rows: Vec<(usize, Vec<Option<String>>)>,
    max_chars: usize,
}

fn any_to_string(v: AnyValue<'_>) -> Option<String> {
    match v {
        AnyValue::Null => None,
        v => Some(match v.get_str() {
            Some(s) => s.to_string(),
            None => v.str_value().into_owned(),
        }),
    }
}

impl FramePreview {
    fn new(df: &DataFrame, n: usize) -> FramePreview {
        let height = df.height();
        let idx: Vec<usize> = if height <= 2 * n {
            (0..height).collect()
        } else {
            (0..n).chain(height - n..height).collect()
        };
        let columns = df
            .columns()
            .iter()
            .map(|c| (c.name().to_string(), c.dtype().to_string()))
            .collect();
        let rows = idx
            .into_iter()
            .map(|i| {
                (
                    i,
                    df.columns()
                        .iter()
                        .map(|c| c.get(i).ok().and_then(any_to_string))
                        .collect(),
                )
            })
            .collect();
        FramePreview {
            title: None,
            height,
            columns,
            rows,
            max_chars: 60,
        }
    }

    /// A heading above the preview.
    pub fn titled(mut self, title: impl Into<String>) -> FramePreview {
        self.title = Some(title.into());
        self
    }

    /// Cut text cells to `n` characters (default 60).
    pub fn max_chars(mut self, n: usize) -> FramePreview {
        self.max_chars = n.max(1);
        self
    }

    /// (rows, columns) of the whole frame.
    pub fn shape(&self) -> (usize, usize) {
        (self.height, self.columns.len())
    }

    fn table(&self, max_chars: usize) -> Table {
        let mut header = vec![String::new()];
        header.extend(self.columns.iter().map(|(n, _)| n.clone()));
        let mut t = Table::new(&header);
        let mut types = vec![Cell::text("")];
        types.extend(self.columns.iter().map(|(_, d)| {
            Cell::text(d).style(&format!("{MUTED};font-size:11px;font-style:italic"))
        }));
        t.push(types);
        let mut prev: Option<usize> = None;
        for (i, vals) in &self.rows {
            if prev.is_some_and(|p| p + 1 != *i) {
                t.gap();
            }
            prev = Some(*i);
            let mut cells = vec![Cell::num(i.to_string()).style(MUTED)];
            for (v, (_, dtype)) in vals.iter().zip(&self.columns) {
                cells.push(match v {
                    None => Cell::null(),
                    Some(s) if dtype == "str" || dtype == "String" => Cell::long_text(s, max_chars),
                    Some(s) => Cell::num(truncate(s, max_chars).0),
                });
            }
            t.push(cells);
        }
        t
    }

    fn summary(&self) -> String {
        format!(
            "{} rows × {} columns",
            fmt_count(self.height),
            self.columns.len()
        )
    }
}

impl Render for FramePreview {
    fn html(&self) -> String {
        let title = self.title.clone().unwrap_or_else(|| "DataFrame".into());
        let body = format!(
            "{}<div style=\"overflow-x:auto\">{}</div>",
            note(&format!(
                "{}; hover a cut text to read it all",
                self.summary()
            )),
            self.table(self.max_chars).to_html()
        );
        section(&title, &body)
    }
    fn text(&self) -> String {
        let mut s = String::new();
        if let Some(t) = &self.title {
            s += t;
            s += ": ";
        }
        s += &self.summary();
        s += "\n";
        s + &self.table(self.max_chars.min(40)).to_text()
    }
}

crate::rich_display!(display: FramePreview);

// ---------------------------------------------------------------------------------------------
// Displays for the lab's result types.

/// Class names used where a display has no better ones.
pub const CLASSES: [&str; 2] = ["0 (negative)", "1 (positive)"];

fn figure_html(fig: crate::Result<Figure>) -> String {
    match fig {
        Ok(f) => f.html(),
        Err(e) => format!(
            "<div style=\"color:#c0392b;font-family:monospace;font-size:12px\">{}</div>",
            escape(&e.to_string())
        ),
    }
}

fn report_table(m: &Metrics) -> Table {
    let mut t = Table::new(&["", "precision", "recall", "f1-score", "support"]).caption(
        match m.threshold {
            Some(th) => format!("Classification report (threshold {th:.3})"),
            None => "Classification report".into(),
        },
    );
    for (name, c, strong) in [("0", &m.negative, false), ("1", &m.positive, true)] {
        let mut row = vec![
            Cell::text(name),
            Cell::num(format!("{:.3}", c.precision)),
            Cell::num(format!("{:.3}", c.recall)),
            Cell::num(format!("{:.3}", c.f1)),
            Cell::num(fmt_count(c.support)),
        ];
        if strong {
            row = row.into_iter().map(Cell::bold).collect();
        }
        t.push(row);
    }
    let n = m.confusion.total();
    let (p, q) = (&m.positive, &m.negative);
    let w = |a: f64, b: f64| {
        if n == 0 {
            0.0
        } else {
            (a * p.support as f64 + b * q.support as f64) / n as f64
        }
    };
    let sep = "border-top:1.5px solid rgba(128,128,128,0.45)";
    t.push(vec![
        Cell::text("accuracy").style(sep),
        Cell::num("").style(sep),
        Cell::num("").style(sep),
        Cell::num(format!("{:.3}", m.accuracy)).style(sep),
        Cell::num(fmt_count(n)).style(sep),
    ]);
    t.push(vec![
        Cell::text("macro avg"),
        Cell::num(format!("{:.3}", (p.precision + q.precision) / 2.0)),
        Cell::num(format!("{:.3}", (p.recall + q.recall) / 2.0)),
        Cell::num(format!("{:.3}", m.macro_f1)),
        Cell::num(fmt_count(n)),
    ]);
    t.push(vec![
        Cell::text("weighted avg"),
        Cell::num(format!("{:.3}", w(p.precision, q.precision))),
        Cell::num(format!("{:.3}", w(p.recall, q.recall))),
        Cell::num(format!("{:.3}", m.weighted_f1)),
        Cell::num(fmt_count(n)),
    ]);
    t
}

/// The confusion matrix as a heat-mapped table: counts, and the share of each true class.
fn confusion_table(c: &Confusion) -> Table {
    let m = c.matrix();
    let mut t = Table::new(&["true \\ predicted", "0", "1"]).caption("Confusion matrix");
    for (i, counts) in m.iter().enumerate() {
        let row_total: usize = counts.iter().sum();
        let mut cells = vec![Cell::text(i.to_string()).bold()];
        for &k in counts {
            let rate = if row_total == 0 {
                0.0
            } else {
                k as f64 / row_total as f64
            };
            let alpha = 0.06 + 0.55 * rate;
            cells.push(
                Cell::html(
                    format!(
                        "<div style=\"font-size:15px;font-weight:600\">{}</div><div style=\"{MUTED};font-size:11px\">{}</div>",
                        fmt_count(k),
                        fmt_pct(rate)
                    ),
                    format!("{} ({})", fmt_count(k), fmt_pct(rate)),
                )
                .align(Align::Center)
                .style(&format!("background:rgba(0,114,178,{alpha:.2});min-width:70px;padding:6px 12px")),
            );
        }
        t.push(cells);
    }
    t
}

impl Render for Confusion {
    fn html(&self) -> String {
        format!(
            "<div style=\"{BOX}\">{}{}</div>",
            confusion_table(self).to_html(),
            note("rows: true class; columns: predicted class; % of the true class")
        )
    }
    fn text(&self) -> String {
        confusion_table(self).to_text()
    }
}

impl Render for Metrics {
    fn html(&self) -> String {
        format!(
            "<div style=\"{BOX}\">{}</div>",
            flex(&[report_table(self).to_html(), self.confusion.html()])
        )
    }
    fn text(&self) -> String {
        let mut s = String::new();
        if let Some(th) = self.threshold {
            let _ = writeln!(s, "threshold {th:.3}");
        }
        s += &self.classification_report();
        s += "\n";
        s += &confusion_table(&self.confusion).to_text();
        s
    }
}

impl Render for RocCurve {
    fn html(&self) -> String {
        section(
            &format!("ROC curve: AUC {:.3}", self.auc),
            &figure_html(plot::roc_curves(&[("model", self)])),
        )
    }
    fn text(&self) -> String {
        format!("ROC curve: AUC {:.4} ({} points)", self.auc, self.fpr.len())
    }
}

impl Render for PrCurve {
    fn html(&self) -> String {
        section(
            &format!(
                "Precision-recall curve: average precision {:.3}",
                self.average_precision
            ),
            &figure_html(plot::pr_curves(&[("model", self)])),
        )
    }
    fn text(&self) -> String {
        format!(
            "Precision-recall curve: average precision {:.4} ({} points)",
            self.average_precision,
            self.recall.len()
        )
    }
}

impl Render for ThresholdSweep {
    fn html(&self) -> String {
        section(
            &format!(
                "Threshold sweep: best F1 {:.3} at threshold {:.3}",
                self.best_f1, self.best_threshold
            ),
            &format!(
                "{}{}",
                figure_html(plot::threshold_sweep(self, None)),
                note(
                    "choose the threshold on validation data, then apply it unchanged to the test set"
                )
            ),
        )
    }
    fn text(&self) -> String {
        let mut t = Table::new(&["threshold", "precision", "recall", "f1"]);
        let n = self.thresholds.len();
        for i in plot::thin(&(0..n).collect::<Vec<_>>(), 9) {
            t.push(vec![
                Cell::num(format!("{:.3}", self.thresholds[i])),
                Cell::num(fmt3(self.precision[i])),
                Cell::num(fmt3(self.recall[i])),
                Cell::num(fmt3(self.f1[i])),
            ]);
        }
        format!(
            "Threshold sweep: best F1 {:.4} at threshold {:.4} ({n} thresholds)\n{}",
            self.best_f1,
            self.best_threshold,
            t.to_text()
        )
    }
}

impl Render for Evaluation {
    fn html(&self) -> String {
        let small = (350, 330);
        let figs = flex(&[
            figure_html(plot::curves::roc_sized(
                &[(self.name.as_str(), &self.roc)],
                small,
            )),
            figure_html(plot::curves::pr_sized(
                &[(self.name.as_str(), &self.pr)],
                small,
            )),
        ]);
        section(
            &format!("Evaluation: {}", self.name),
            &format!(
                "{}{}{}",
                note(&format!(
                    "F1 {:.3} · accuracy {:.3} · ROC AUC {:.3} · average precision {:.3}",
                    self.metrics.f1(),
                    self.metrics.accuracy,
                    self.roc.auc,
                    self.pr.average_precision
                )),
                self.metrics.html(),
                figs
            ),
        )
    }
    fn text(&self) -> String {
        format!(
            "Evaluation: {}\nROC AUC {:.4}, average precision {:.4}\n{}",
            self.name,
            self.roc.auc,
            self.pr.average_precision,
            self.metrics.text()
        )
    }
}

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
                figure_html(plot::split_distribution(self, CLASSES))
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

crate::rich_display!(display: Confusion, Metrics, RocCurve, PrCurve, ThresholdSweep, Evaluation, Corpus, Split, Csr);

// ---------------------------------------------------------------------------------------------
// Data stage: summaries, loading, cleaning, fetching, TF-IDF. These types print themselves
// (their owners' `Display`), so `text()` reuses it and only `evcxr_display` is added here.

/// A two-column table of (label, value) rows, labels muted.
fn kv_table(caption: &str, rows: Vec<(&str, String)>) -> Table {
    let mut t = Table::new::<&str>(&[]);
    if !caption.is_empty() {
        t = t.caption(caption);
    }
    for (k, v) in rows {
        t.push(vec![Cell::text(k).style(MUTED), Cell::text(v)]);
    }
    t
}

fn bytes(b: u64) -> String {
    crate::transformer::memory::human_bytes(b)
}

impl Render for Summary {
    fn html(&self) -> String {
        let overview = kv_table(
            "",
            vec![
                ("rows", fmt_count(self.rows)),
                (
                    "class 1 (positive)",
                    format!(
                        "{} ({})",
                        fmt_count(self.positives),
                        fmt_pct(self.positive_ratio)
                    ),
                ),
                ("class 0 (negative)", fmt_count(self.negatives)),
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
            ("all", &self.length),
            ("class 0", &self.length_negative),
            ("class 1", &self.length_positive),
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
        let mut parts = vec![overview.to_html(), lengths.to_html()];
        if !self.subsets.is_empty() {
            let mut t =
                Table::new(&["subset", "rows", "positive", "positive rate"]).caption("Subsets");
            for sub in &self.subsets {
                t.push(vec![
                    Cell::text(&sub.subset),
                    Cell::num(fmt_count(sub.rows)),
                    Cell::num(fmt_count(sub.positives)),
                    Cell::num(fmt_pct(sub.positives as f64 / sub.rows.max(1) as f64)),
                ]);
            }
            parts.push(t.to_html());
        }
        section(&format!("Summary: {}", self.name), &flex(&parts))
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

impl Render for LoadReport {
    fn html(&self) -> String {
        let map = self
            .label_mapping
            .iter()
            .map(|(k, v)| format!("{k} → {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        let t = kv_table(
            "",
            vec![
                ("rows read", fmt_count(self.rows_read)),
                ("label mapping", map),
                ("dropped: empty text", fmt_count(self.dropped_empty_text)),
                ("dropped: no label", fmt_count(self.dropped_null_label)),
                ("replaced characters", fmt_count(self.replaced_chars)),
            ],
        );
        let warnings: String = self
            .warnings
            .iter()
            .map(|w| format!("<div style=\"color:#c0392b\">warning: {}</div>", escape(w)))
            .collect();
        section(
            &format!("Loaded {}", self.source),
            &format!("{}{warnings}", t.to_html()),
        )
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

impl Render for CleanPreview {
    fn html(&self) -> String {
        let mut t = Table::new(&["#", "before", "after"]);
        for (i, (before, after)) in self.examples.iter().enumerate() {
            t.push(vec![
                Cell::num(i.to_string()).style(MUTED),
                Cell::long_text(before, 160).align(Align::Left),
                Cell::long_text(after, 160).align(Align::Left),
            ]);
        }
        let settings = format!(
            "<div style=\"font-family:monospace;font-size:12px;{MUTED};margin:2px 0 6px 0\">{}</div>",
            escape(&format!("{:?}", self.cleaner))
        );
        let body = if self.examples.is_empty() {
            format!(
                "{settings}{}",
                note("the cleaner changes none of the texts")
            )
        } else {
            format!("{settings}{}", t.to_html())
        };
        section("Cleaning preview", &body)
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

impl Render for FetchReport {
    fn html(&self) -> String {
        let mut rows = vec![
            ("directory", self.dir.display().to_string()),
            ("source", self.source.clone()),
            ("mails", fmt_count(self.mails)),
            (
                "spam",
                format!(
                    "{} ({})",
                    fmt_count(self.spam),
                    fmt_pct(self.spam as f64 / self.mails.max(1) as f64)
                ),
            ),
        ];
        let subsets = self
            .subsets
            .iter()
            .map(|(s, n)| format!("{s} ({})", fmt_count(*n)))
            .collect::<Vec<_>>()
            .join(", ");
        rows.push(("subsets", subsets));
        section("SpamAssassin corpus", &kv_table("", rows).to_html())
    }
    fn text(&self) -> String {
        self.to_string()
    }
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

impl Render for Vocabulary {
    fn html(&self) -> String {
        section(
            &format!(
                "Vocabulary: {} terms from {} documents",
                fmt_count(self.size),
                fmt_count(self.n_docs)
            ),
            &vocabulary_table(self).to_html(),
        )
    }
    fn text(&self) -> String {
        self.to_string()
    }
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
                escape(&format!("{:?}", self.settings)),
                vocabulary_table(&v).to_html()
            ),
        )
    }
    fn text(&self) -> String {
        format!("TF-IDF {:?}\n{}", self.settings, self.vocabulary(15))
    }
}

crate::rich_display!(
    Summary,
    LoadReport,
    CleanPreview,
    FetchReport,
    Vocabulary,
    Tfidf
);

// ---------------------------------------------------------------------------------------------
// Balancing and linear models.

impl Render for BalanceReport {
    fn html(&self) -> String {
        let mut t = Table::new(&["", "class 0", "class 1", "positive rate"]);
        for (what, c) in [("before", self.before), ("after", self.after)] {
            t.push(vec![
                Cell::text(what),
                Cell::num(fmt_count(c[0])),
                Cell::num(fmt_count(c[1])),
                Cell::num(fmt_pct(c[1] as f64 / (c[0] + c[1]).max(1) as f64)),
            ]);
        }
        let weights = match self.class_weight {
            Some([w0, w1]) => note(&format!(
                "loss weights: class 0 × {w0:.3}, class 1 × {w1:.3}"
            )),
            None => String::new(),
        };
        section(
            &format!("Balancing: {} (seed {})", self.method, self.seed),
            &format!(
                "{}{weights}{}",
                t.to_html(),
                figure_html(plot::balance(self, CLASSES))
            ),
        )
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

impl Render for Balanced {
    fn html(&self) -> String {
        self.report.html()
    }
    fn text(&self) -> String {
        format!(
            "{} rows × {} features\n{}",
            fmt_count(self.x.n_rows),
            fmt_count(self.x.n_cols),
            self.report
        )
    }
}

impl Render for LogRegModel {
    fn html(&self) -> String {
        let status = if self.converged {
            format!("{} (converged)", self.n_iter)
        } else {
            format!("{} (NOT converged: raise max_iter)", self.n_iter)
        };
        let t = kv_table(
            "",
            vec![
                ("penalty", self.penalty.to_string()),
                ("C", format!("{}", self.c)),
                (
                    "class weights",
                    format!("{:.4} / {:.4}", self.class_weight[0], self.class_weight[1]),
                ),
                (
                    "non-zero weights",
                    format!(
                        "{} of {} ({})",
                        fmt_count(self.nnz),
                        fmt_count(self.coef.len()),
                        fmt_pct(self.nnz as f64 / self.coef.len().max(1) as f64)
                    ),
                ),
                ("intercept", format!("{:.4}", self.intercept)),
                ("objective", format!("{:.6}", self.objective)),
                ("iterations", status),
                (
                    "fit time",
                    format!(
                        "{:.3} s on {} examples",
                        self.fit_seconds,
                        fmt_count(self.n_samples)
                    ),
                ),
            ],
        );
        section("Logistic regression", &t.to_html())
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

impl Render for TopFeatures {
    fn html(&self) -> String {
        let list = |caption: &str, v: &[(String, f64)]| {
            let mut t = Table::new(&["term", "weight"]).caption(caption);
            for (f, w) in v {
                t.push(vec![Cell::text(f), Cell::num(format!("{w:.3}"))]);
            }
            t.to_html()
        };
        section(
            "Top features",
            &format!(
                "{}{}",
                flex(&[
                    list("towards class 1", &self.positive),
                    list("towards class 0", &self.negative)
                ]),
                figure_html(plot::features(self, CLASSES))
            ),
        )
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

fn search_table(r: &SearchResults, max_rows: usize) -> Table {
    let mut t = Table::new(&[
        "rank",
        "penalty",
        "C",
        "balancing",
        "mean F1",
        "± sd",
        "mean nnz",
        "seconds",
    ]);
    for (rank, row) in r.ranked().into_iter().take(max_rows).enumerate() {
        let mut cells = vec![
            Cell::num((rank + 1).to_string()),
            Cell::text(row.penalty.to_string()),
            Cell::num(plot::fmt_c(row.c)),
            Cell::text(row.balancing.to_string()),
            Cell::num(format!("{:.4}", row.mean_f1)),
            Cell::num(format!("{:.4}", row.std_f1)),
            Cell::num(format!("{:.0}", row.mean_nnz)),
            Cell::num(format!("{:.2}", row.seconds)),
        ];
        if !row.converged {
            cells[7] =
                Cell::num(format!("{:.2} (not converged)", row.seconds)).style("color:#c0392b");
        }
        if rank == 0 {
            cells = cells.into_iter().map(Cell::bold).collect();
        }
        t.push(cells);
    }
    t
}

impl Render for SearchResults {
    fn html(&self) -> String {
        let b = self.best();
        let shown = self.rows.len().min(12);
        section(
            &format!(
                "Cross-validated search: best {} C = {} {} (F1 {:.3} ± {:.3})",
                b.penalty,
                plot::fmt_c(b.c),
                b.balancing,
                b.mean_f1,
                b.std_f1
            ),
            &format!(
                "{}{}{}",
                note(&format!(
                    "{}-fold CV over {} settings in {:.1} s (seed {}); top {shown} by mean F1",
                    self.folds,
                    self.rows.len(),
                    self.seconds,
                    self.seed
                )),
                search_table(self, shown).to_html(),
                figure_html(plot::search(self))
            ),
        )
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

impl Render for RegPath {
    fn html(&self) -> String {
        let mut header = vec!["C", "non-zero", "train F1"];
        if self.val_f1.is_some() {
            header.push("val F1");
        }
        header.extend(["iterations", "seconds"]);
        let mut t = Table::new(&header);
        for k in 0..self.cs.len() {
            let mut row = vec![
                Cell::num(plot::fmt_c(self.cs[k])),
                Cell::num(fmt_count(self.nnz[k])),
                Cell::num(format!("{:.4}", self.train_f1[k])),
            ];
            if let Some(v) = &self.val_f1 {
                row.push(Cell::num(format!("{:.4}", v[k])));
            }
            row.push(Cell::num(
                self.n_iter
                    .get(k)
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
            ));
            row.push(Cell::num(
                self.seconds
                    .get(k)
                    .map(|s| format!("{s:.2}"))
                    .unwrap_or_default(),
            ));
            t.push(row);
        }
        section(
            &format!("Regularization path ({})", self.penalty),
            &format!("{}{}", figure_html(plot::reg_paths(&[self])), t.to_html()),
        )
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

crate::rich_display!(
    BalanceReport,
    LogRegModel,
    TopFeatures,
    SearchResults,
    RegPath
);
crate::rich_display!(display: Balanced);

// ---------------------------------------------------------------------------------------------
// Transformer results.

fn history_table(run: &FineTuneRun) -> Table {
    let mut t = Table::new(&[
        "epoch",
        "steps",
        "train loss",
        "val loss",
        "val F1",
        "val accuracy",
        "lr",
        "seconds",
    ]);
    for e in &run.history {
        let mut row = vec![
            Cell::num(e.epoch.to_string()),
            Cell::num(fmt_count(e.steps)),
            Cell::num(format!("{:.4}", e.train_loss)),
            Cell::num(format!("{:.4}", e.val_loss)),
            Cell::num(format!("{:.4}", e.val_f1)),
            Cell::num(format!("{:.4}", e.val_accuracy)),
            Cell::num(format!("{:.2e}", e.lr)),
            Cell::num(format!("{:.0}", e.seconds)),
        ];
        if e.epoch == run.best_epoch {
            row = row.into_iter().map(Cell::bold).collect();
        }
        t.push(row);
    }
    t
}

fn fine_tune_summary(run: &FineTuneRun) -> String {
    format!(
        "best epoch {} (val F1 {:.3}); {} steps, {} sequences at {:.1} seq/s; {:.0} s training, {:.0} s in all; stopped: {:?}",
        run.best_epoch,
        run.best_val_f1,
        fmt_count(run.steps),
        fmt_count(run.sequences),
        run.seq_per_second,
        run.train_seconds,
        run.total_seconds,
        run.stop
    )
}

impl Render for FineTuneRun {
    fn html(&self) -> String {
        let fig = plot::training_curves(
            &[plot::TrainingRun::from_fine_tune("fine-tuning", self)],
            "epoch",
        );
        section(
            "Fine-tuning",
            &format!(
                "{}{}{}",
                note(&fine_tune_summary(self)),
                history_table(self).to_html(),
                figure_html(fig)
            ),
        )
    }
    fn text(&self) -> String {
        format!(
            "Fine-tuning: {}\n{}",
            fine_tune_summary(self),
            history_table(self).to_text()
        )
    }
}

fn mlm_summary(run: &MlmRun) -> String {
    format!(
        "{} steps in {:.0} s ({:.1} seq/s, {} sequences); masked-token loss {:.2} → {:.2}",
        fmt_count(run.steps),
        run.seconds,
        run.seq_per_second,
        fmt_count(run.sequences),
        run.first_loss,
        run.last_loss
    )
}

impl Render for MlmRun {
    fn html(&self) -> String {
        section(
            "MLM pretraining",
            &format!(
                "{}{}",
                note(&mlm_summary(self)),
                figure_html(plot::mlm_loss(self))
            ),
        )
    }
    fn text(&self) -> String {
        format!("MLM pretraining: {}", mlm_summary(self))
    }
}

fn memory_table(m: &MemoryEstimate) -> Table {
    kv_table(
        "Memory estimate",
        vec![
            ("parameters", fmt_count(m.parameters)),
            ("weights", bytes(m.weights_bytes)),
            ("training state", bytes(m.training_state_bytes)),
            ("activations", bytes(m.activation_bytes)),
            ("total", bytes(m.total_bytes)),
        ],
    )
}

impl Render for MemoryEstimate {
    fn html(&self) -> String {
        format!(
            "<div style=\"{BOX}\">{}</div>",
            memory_table(self).to_html()
        )
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

impl Render for TransformerReport {
    fn html(&self) -> String {
        let s = &self.summary;
        let model = kv_table(
            "Model",
            vec![
                ("architecture", format!("{:?}", s.arch)),
                (
                    "size",
                    format!(
                        "hidden {} × {} layers, {} heads, FFN {}",
                        s.hidden, s.layers, s.heads, s.intermediate
                    ),
                ),
                ("vocabulary", fmt_count(s.vocab_size)),
                (
                    "parameters",
                    format!("{} ({})", fmt_count(s.parameters), bytes(s.model_bytes)),
                ),
                ("device", self.device.clone()),
                (
                    "peak memory",
                    self.peak_memory_bytes.map_or("unknown".into(), bytes),
                ),
                (
                    "training time",
                    format!(
                        "{:.0} s (tokenizer {:.0} s; budget {:.0} min)",
                        self.train_seconds, self.tokenizer_seconds, self.budget_minutes
                    ),
                ),
                (
                    "throughput",
                    format!("{:.1} sequences/s", self.seq_per_second),
                ),
                (
                    "truncated to",
                    format!(
                        "{} tokens: {} train / {} val / {} test texts cut",
                        self.truncated.max_length,
                        fmt_count(self.truncated.train),
                        fmt_count(self.truncated.val),
                        fmt_count(self.truncated.test)
                    ),
                ),
            ],
        );
        let mut results = Table::new(&[
            "model",
            "precision",
            "recall",
            "F1",
            "accuracy",
            "training time",
        ])
        .caption("Test set");
        results.push(vec![
            Cell::text(&self.model).bold(),
            Cell::num(fmt3(self.precision)),
            Cell::num(fmt3(self.recall)),
            Cell::num(fmt3(self.f1)).bold(),
            Cell::num(fmt3(self.accuracy)),
            Cell::num(format!("{:.0} s", self.train_seconds)),
        ]);
        if let Some(a) = &self.random_init {
            results.push(vec![
                Cell::text(&a.name),
                Cell::num(fmt3(a.precision)),
                Cell::num(fmt3(a.recall)),
                Cell::num(fmt3(a.f1)),
                Cell::num(fmt3(a.accuracy)),
                Cell::num(format!("{:.0} s", a.train_seconds)),
            ]);
        }
        let mut notes = String::new();
        if let Some(g) = self.pretraining_gain_f1 {
            notes += &note(&format!("F1 gained by pretraining: {g:+.3}"));
        }
        notes += &note(&format!(
            "threshold {:.3} on P(class 1); support {}",
            self.threshold,
            fmt_count(self.support)
        ));
        if let Some(l) = &self.load_note {
            notes += &note(&l.to_string());
        }
        for n in &self.notes {
            notes += &note(n);
        }
        let mut figs = vec![figure_html(plot::transformer_training(self))];
        if let Some(p) = &self.pretraining {
            figs.push(note(&format!("MLM pretraining: {}", mlm_summary(p))));
            figs.push(figure_html(plot::mlm_loss(p)));
        }
        section(
            &format!("Transformer: {}", self.model),
            &format!(
                "{}{notes}{}{}{}",
                results.to_html(),
                flex(&[
                    model.to_html(),
                    memory_table(&self.memory_estimate).to_html()
                ]),
                figs.concat(),
                self.test.html()
            ),
        )
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

impl Render for BenchReport {
    fn html(&self) -> String {
        let mut t = Table::new(&[
            "shape",
            "parameters",
            "batch × seq",
            "ms / step",
            "seq / s",
            "PyTorch ms / step",
            "ratio",
        ]);
        for s in &self.shapes {
            t.push(vec![
                Cell::text(&s.name),
                Cell::num(fmt_count(s.parameters)),
                Cell::num(format!("{} × {}", s.batch, s.seq_len)),
                Cell::num(format!("{:.1}", s.ms_per_step)),
                Cell::num(format!("{:.1}", s.seq_per_second)),
                Cell::num(
                    s.torch_ms_per_step
                        .map_or("n/a".into(), |v| format!("{v:.1}")),
                ),
                Cell::num(
                    s.ratio_vs_torch
                        .map_or("n/a".into(), |v| format!("{v:.2}×")),
                ),
            ]);
        }
        let torch = self.torch_note.as_deref().map(note).unwrap_or_default();
        section(
            &format!(
                "Training-step benchmark ({}, {} timed steps)",
                self.device, self.steps
            ),
            &format!("{}{torch}", t.to_html()),
        )
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

crate::rich_display!(
    FineTuneRun,
    MlmRun,
    MemoryEstimate,
    TransformerReport,
    BenchReport
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_dangerous() {
        assert_eq!(
            escape("<script>\"a\" & 'b'</script>"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn truncates_on_characters_and_collapses_space() {
        assert_eq!(truncate("a  b\n\nc", 10), ("a b c".to_string(), false));
        let (s, cut) = truncate("ééééé ééééé", 7);
        assert!(cut);
        assert_eq!(s, "ééééé é…");
    }

    #[test]
    fn counts_have_separators() {
        assert_eq!(fmt_count(0), "0");
        assert_eq!(fmt_count(999), "999");
        assert_eq!(fmt_count(6046), "6,046");
        assert_eq!(fmt_count(1234567), "1,234,567");
    }

    #[test]
    fn text_table_aligns() {
        let t = Table::new(&["name", "n"])
            .row(vec![Cell::text("a"), Cell::num("10")])
            .row(vec![Cell::text("long name"), Cell::num("2")]);
        let s = t.to_text();
        assert!(s.contains("a          10"), "{s}");
        assert!(s.contains("long name   2"), "{s}");
    }
}

// ---------------------------------------------------------------------------------------------
// The lab's experiments and the main job.

/// A value's own text in a monospace block (for small reports whose text is already a table).
fn pre(text: &str) -> String {
    format!(
        "<pre style=\"font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;margin:4px 0;\
white-space:pre-wrap;color:inherit;background:transparent\">{}</pre>",
        escape(text.trim_end())
    )
}

pub(crate) fn classic_table(r: &ClassicReport) -> Table {
    let mut t = Table::new(&[
        "stage",
        "penalty",
        "C",
        "balancing",
        "threshold",
        "precision",
        "recall",
        "F1",
        "accuracy",
        "support",
        "non-zero",
        "fit s",
    ]);
    for (i, row) in r.rows.iter().enumerate() {
        let mut cells = vec![
            Cell::text(&row.stage),
            Cell::text(&row.penalty),
            Cell::num(plot::fmt_c(row.c)),
            Cell::text(&row.balancing),
            Cell::num(format!("{:.3}", row.threshold)),
            Cell::num(fmt3(row.precision)),
            Cell::num(fmt3(row.recall)),
            Cell::num(fmt3(row.f1)),
            Cell::num(fmt3(row.accuracy)),
            Cell::num(fmt_count(row.support)),
            Cell::num(fmt_count(row.nnz)),
            Cell::num(format!("{:.2}", row.fit_seconds)),
        ];
        if i == r.best {
            cells = cells.into_iter().map(Cell::bold).collect();
            cells[0] = Cell::text(format!("{} (best)", row.stage)).bold();
        }
        t.push(cells);
    }
    t
}

impl Render for ClassicReport {
    fn html(&self) -> String {
        let evals: Vec<&Evaluation> = self.evaluations.iter().collect();
        let names: Vec<(&str, &RocCurve)> =
            evals.iter().map(|e| (e.name.as_str(), &e.roc)).collect();
        let prs: Vec<(&str, &PrCurve)> = evals.iter().map(|e| (e.name.as_str(), &e.pr)).collect();
        let small = (350, 330);
        let curves = if evals.is_empty() {
            String::new()
        } else {
            flex(&[
                figure_html(plot::curves::roc_sized(&names, small)),
                figure_html(plot::curves::pr_sized(&prs, small)),
            ])
        };
        let best = self.best();
        section(
            &format!(
                "Classic models: best {} (test F1 {:.3})",
                best.stage, best.f1
            ),
            &format!(
                "{}{}{}{}{}",
                note(&format!(
                    "{} training texts, {} TF-IDF features ({:.2} s); test-set numbers, threshold chosen on validation data",
                    fmt_count(self.n_train),
                    fmt_count(self.n_features),
                    self.tfidf_seconds
                )),
                classic_table(self).to_html(),
                figure_html(plot::search(&self.search)),
                curves,
                figure_html(plot::features(&self.top_features, CLASSES)),
            ),
        )
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

impl Render for RunResult {
    fn html(&self) -> String {
        let mut t = Table::new(&["corpus", "rows", "positive", "positive rate"]);
        for s in [&self.corpus, &self.train, &self.val, &self.test] {
            t.push(vec![
                Cell::text(&s.name),
                Cell::num(fmt_count(s.rows)),
                Cell::num(fmt_count(s.positives)),
                Cell::num(fmt_pct(s.positive_ratio)),
            ]);
        }
        let cmp = plot::Comparison::from_run(self);
        let files = self
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        section(
            &format!("Lab run ({:.0} s)", self.seconds),
            &format!(
                "{}{}{}{}",
                t.to_html(),
                cmp.html(),
                classic_table(&self.classic).to_html(),
                if files.is_empty() {
                    String::new()
                } else {
                    note(&format!("wrote: {files}"))
                }
            ),
        )
    }
    fn text(&self) -> String {
        format!(
            "Lab run ({:.0} s)\n{}\n{}",
            self.seconds,
            plot::Comparison::from_run(self).text(),
            self.classic
        )
    }
}

impl Render for MemoryTable {
    fn html(&self) -> String {
        let mut header = vec!["seq len \\ batch".to_string()];
        header.extend(self.batches.iter().map(|b| b.to_string()));
        let mut t = Table::new(&header);
        let max = self
            .estimates
            .iter()
            .flatten()
            .map(|e| e.total_bytes)
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        for (i, l) in self.seq_lens.iter().enumerate() {
            let mut row = vec![Cell::text(l.to_string()).bold()];
            for e in &self.estimates[i] {
                let alpha = 0.05 + 0.5 * (e.total_bytes as f64 / max).sqrt();
                row.push(
                    Cell::num(bytes(e.total_bytes))
                        .style(&format!("background:rgba(213,94,0,{alpha:.2})")),
                );
            }
            t.push(row);
        }
        section(
            &format!(
                "Training memory: {} ({} parameters)",
                self.model,
                fmt_count(self.parameters)
            ),
            &t.to_html(),
        )
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

impl Render for ComputeInfo {
    fn html(&self) -> String {
        section("Compute", &pre(&self.to_string()))
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

impl Render for AccumulationPlan {
    fn html(&self) -> String {
        section("Gradient accumulation", &note(&self.to_string()))
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

impl Render for ClassicBench {
    fn html(&self) -> String {
        section("Classic benchmark", &pre(&self.to_string()))
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

crate::rich_display!(
    ClassicReport,
    RunResult,
    MemoryTable,
    ComputeInfo,
    AccumulationPlan,
    ClassicBench
);
