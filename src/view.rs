//! The view layer: how any value becomes HTML (notebook), text (terminal) and Markdown (report),
//! with no knowledge of the lab's domain types. [`Render`] is the one trait a result implements;
//! [`Table`] / [`Cell`] build tables once and derive all three forms; [`escape`] and the
//! formatters are the one place for HTML safety and number formats. `plot` draws with it and
//! `display` implements it for every result type.
//!
//! ```
//! use textlab::view::{Cell, Render, Table};
//! let t = Table::new(&["model", "F1"]).row(vec![Cell::text("<b>x</b>"), Cell::num("0.800")]);
//! assert!(t.html().contains("&lt;b&gt;x&lt;/b&gt;"));
//! assert!(t.to_markdown().contains("| model | F1 |"));
//! ```

use std::fmt::Write as _;

/// A value that can show itself as HTML (notebook) and text (terminal).
pub trait Render {
    /// A self-contained HTML fragment: inline styles, no scripts, all user text escaped.
    fn html(&self) -> String;
    /// Plain text for a terminal (what `Display` prints).
    fn text(&self) -> String;
    /// An SVG document when the value *is* a figure; it is then sent as `image/svg+xml`
    /// (with [`Render::png`] beside it) instead of HTML.
    fn svg(&self) -> Option<String> {
        None
    }
    /// The PNG twin of [`Render::svg`]; front ends that will not draw the SVG (an untrusted
    /// notebook in JupyterLab) draw this instead.
    fn png(&self) -> Option<Vec<u8>> {
        None
    }
}

/// The evcxr output block for `mime` with `content`.
pub fn evcxr_block(mime: &str, content: &str) -> String {
    format!("EVCXR_BEGIN_CONTENT {mime}\n{content}\nEVCXR_END_CONTENT\n")
}

/// What `evcxr_display` prints for a value: for a figure its PNG (`image/png`, base64) and SVG
/// (`image/svg+xml`), for anything else its HTML (`text/html`); and always its text
/// (`text/plain`). evcxr gathers the blocks of one call into one output with one entry per MIME
/// type, and the front end picks the richest one it is allowed to draw.
pub fn evcxr_output<R: Render + ?Sized>(value: &R) -> String {
    let mut out = match value.svg() {
        Some(svg) => {
            let png = value
                .png()
                .map(|png| evcxr_block("image/png", &base64(&png)));
            png.unwrap_or_default() + &evcxr_block("image/svg+xml", &svg)
        }
        None => evcxr_block("text/html", &value.html()),
    };
    out += &evcxr_block("text/plain", value.text().trim_end());
    out
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
/// use textlab::view::Render;
/// struct Note(String);
/// impl Render for Note {
///     fn html(&self) -> String { format!("<b>{}</b>", textlab::view::escape(&self.0)) }
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
                    f.write_str(&$crate::view::Render::text(self))
                }
            }
        )+
    };
    ($($t:ty),+ $(,)?) => {
        $(
            impl $t {
                /// Show this value in a Jupyter notebook (the evcxr kernel calls this).
                pub fn evcxr_display(&self) {
                    $crate::view::emit(self)
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
pub(crate) fn strip_tags(html: &str) -> String {
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

/// Standard base64 with padding (data URIs).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// HTML building blocks.

pub(crate) const BOX: &str = "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif;\
font-size:13px;line-height:1.45;color:inherit;max-width:100%";
pub(crate) const HEADING: &str = "font-weight:600;font-size:14px;margin:2px 0 6px 0";
pub(crate) const MUTED: &str = "opacity:0.7";
pub(crate) const TABLE: &str = "border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums;\
margin:4px 0;color:inherit;background:transparent;table-layout:auto";
pub(crate) const TH: &str = "padding:4px 10px;border-bottom:1.5px solid rgba(128,128,128,0.55);font-weight:600;\
background:transparent;color:inherit;white-space:nowrap";
pub(crate) const TD: &str = "padding:3px 10px;border-bottom:1px solid rgba(128,128,128,0.2);background:transparent;\
color:inherit;vertical-align:top";
pub(crate) const CAPTION: &str =
    "caption-side:top;text-align:left;font-weight:600;padding:2px 0 6px 0;color:inherit";
pub(crate) const FLEX: &str = "display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start";

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

pub(crate) fn flex(parts: &[String]) -> String {
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
    /// Strong in every rendering (HTML weight, Markdown `**`).
    strong: bool,
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
            strong: false,
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
            strong: false,
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
    pub fn bold(mut self) -> Cell {
        self.strong = true;
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

    /// A GitHub Markdown table (the written report): cell text with `|` escaped, bold cells in
    /// `**`, the caption as an italic line above.
    pub fn to_markdown(&self) -> String {
        let cell = |c: &Cell| {
            let t = c.text.replace('|', "\\|").replace('\n', " ");
            if c.strong && !t.is_empty() {
                format!("**{t}**")
            } else {
                t
            }
        };
        let width = self
            .header
            .len()
            .max(self.rows.iter().map(Vec::len).max().unwrap_or(0));
        let mut s = String::new();
        if let Some(c) = &self.caption {
            let _ = writeln!(s, "*{}*\n", c.replace('*', "\\*"));
        }
        let line = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
        let mut header: Vec<String> = self.header.iter().map(cell).collect();
        header.resize(width, String::new());
        s += &line(header);
        let rule = (0..width)
            .map(
                |i| match self.header.get(i).map_or(Align::Left, |h| h.align) {
                    Align::Left => ":---",
                    Align::Right => "---:",
                    Align::Center => ":---:",
                },
            )
            .collect::<Vec<_>>()
            .join("|");
        let _ = writeln!(s, "|{rule}|");
        for row in &self.rows {
            let mut cells: Vec<String> = row.iter().map(cell).collect();
            cells.resize(width, String::new());
            s += &line(cells);
        }
        s
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

/// Several values shown as one (one cell shows one HTML output), keeping each value's own text
/// form for `text/plain`: stripping the tags of the combined HTML would run every table's cells
/// together.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Block {
    html: String,
    text: String,
}

impl Render for Block {
    fn html(&self) -> String {
        self.html.clone()
    }
    fn text(&self) -> String {
        self.text.clone()
    }
}

fn texts(items: &[&dyn Render]) -> String {
    items
        .iter()
        .map(|it| it.text().trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n\n")
        + "\n"
}

/// Several values one below the other.
pub fn stack(items: &[&dyn Render]) -> Block {
    let mut html = format!("<div style=\"{BOX}\">");
    for it in items {
        html += "<div style=\"margin:0 0 12px 0\">";
        html += &it.html();
        html += "</div>";
    }
    Block {
        html: html + "</div>",
        text: texts(items),
    }
}

/// Several values side by side (wrapping on narrow screens); one below the other as text.
pub fn row(items: &[&dyn Render]) -> Block {
    Block {
        html: format!(
            "<div style=\"{BOX}\">{}</div>",
            flex(&items.iter().map(|i| i.html()).collect::<Vec<_>>())
        ),
        text: texts(items),
    }
}

crate::rich_display!(display: Html, Table, Block);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (raw, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(raw.as_bytes()), enc);
        }
        assert_eq!(base64(&[0xff, 0xfe, 0x3f]), "//4/");
    }

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

/// A titled block of tables, notes and figures built once, from which the HTML, the plain text
/// and the Markdown of a result are all derived (so the three never disagree).
///
/// ```
/// use textlab::view::{Cell, Panel, Table};
/// let t = Table::new(&["model", "F1"]).row(vec![Cell::text("a"), Cell::num("0.800")]);
/// let p = Panel::new("Results").table(t).note("threshold 0.5").html_only("<img src=\"x\">");
/// assert!(p.to_text().starts_with("Results\n") && p.to_text().contains("threshold 0.5"));
/// assert!(!p.to_text().contains("img") && p.to_html().contains("<img"));
/// assert!(p.to_markdown().contains("| a | 0.800 |"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Panel {
    title: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone)]
enum Part {
    Table(Table),
    /// Tables shown side by side in HTML, one below the other elsewhere.
    Side(Vec<Table>),
    Note(String),
    Warning(String),
    /// A figure or another rich block: HTML only, the text view has no picture.
    Html(String),
}

impl Panel {
    pub fn new(title: impl Into<String>) -> Panel {
        Panel {
            title: title.into(),
            parts: Vec::new(),
        }
    }
    pub fn table(mut self, t: Table) -> Panel {
        self.parts.push(Part::Table(t));
        self
    }
    pub fn side_by_side(mut self, ts: Vec<Table>) -> Panel {
        self.parts.push(Part::Side(ts));
        self
    }
    pub fn note(mut self, text: impl Into<String>) -> Panel {
        self.parts.push(Part::Note(text.into()));
        self
    }
    /// A line that must not be missed (shown in red in HTML, `warning: ` in text).
    pub fn warning(mut self, text: impl Into<String>) -> Panel {
        self.parts.push(Part::Warning(text.into()));
        self
    }
    pub fn html_only(mut self, html: impl Into<String>) -> Panel {
        self.parts.push(Part::Html(html.into()));
        self
    }

    pub fn to_html(&self) -> String {
        let body: String = self
            .parts
            .iter()
            .map(|p| match p {
                Part::Table(t) => t.to_html(),
                Part::Side(ts) => flex(&ts.iter().map(Table::to_html).collect::<Vec<_>>()),
                Part::Note(n) => note(n),
                Part::Warning(w) => {
                    format!("<div style=\"color:#c0392b\">warning: {}</div>", escape(w))
                }
                Part::Html(h) => h.clone(),
            })
            .collect();
        section(&self.title, &body)
    }

    pub fn to_text(&self) -> String {
        let mut s = format!("{}\n", self.title);
        for p in &self.parts {
            match p {
                Part::Table(t) => s += &t.to_text(),
                Part::Side(ts) => ts.iter().for_each(|t| s += &t.to_text()),
                Part::Note(n) => {
                    s += n;
                    s += "\n";
                }
                Part::Warning(w) => s += &format!("warning: {w}\n"),
                Part::Html(_) => {}
            }
        }
        s
    }

    pub fn to_markdown(&self) -> String {
        let mut s = format!("### {}\n\n", self.title);
        for p in &self.parts {
            match p {
                Part::Table(t) => s += &format!("{}\n", t.to_markdown()),
                Part::Side(ts) => ts
                    .iter()
                    .for_each(|t| s += &format!("{}\n", t.to_markdown())),
                Part::Note(n) => s += &format!("{n}\n\n"),
                Part::Warning(w) => s += &format!("**warning:** {w}\n\n"),
                Part::Html(_) => {}
            }
        }
        s
    }
}

impl Render for Panel {
    fn html(&self) -> String {
        self.to_html()
    }
    fn text(&self) -> String {
        self.to_text()
    }
}
