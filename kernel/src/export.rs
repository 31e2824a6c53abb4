//! The lab report: executed notebooks as Markdown or self-contained HTML.
//!
//! Markdown cells are copied (rendered, for HTML), code cells become `rust` code blocks, and
//! outputs follow their cell: streams as text blocks, figures embedded (SVG inline, PNG/JPEG as
//! `data:` URIs), HTML tables as HTML, errors as text. evcxr gathers everything a cell displays
//! into one MIME bundle, so its entries are different displays (a table *and* a figure), not
//! alternatives: each rich entry is shown, and `text/plain` only when nothing richer is there.
//! The one pair of alternatives is a textlab figure, sent as `image/png` and `image/svg+xml`
//! together: the SVG is shown.

use crate::nbformat;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;

/// Report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Html => "html",
        }
    }
}

/// One rendered piece of a cell's output.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// Preformatted text; `class` is `stdout`, `stderr`, `result` or `error`.
    Text {
        class: &'static str,
        text: String,
    },
    Html(String),
    Markdown(String),
    Svg(String),
    Image {
        mime: String,
        base64: String,
    },
}

const RICH: [&str; 5] = [
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "text/html",
    "text/markdown",
];

fn pieces(output: &Value) -> Vec<Piece> {
    match output["output_type"].as_str() {
        Some("stream") => {
            let class = if output["name"] == "stderr" {
                "stderr"
            } else {
                "stdout"
            };
            vec![Piece::Text {
                class,
                text: strip_ansi(&nbformat::join_text(&output["text"])),
            }]
        }
        Some("execute_result" | "display_data") => {
            let data = &output["data"];
            let text = |mime: &str| nbformat::join_text(&data[mime]);
            let mut out = Vec::new();
            for mime in RICH {
                if data.get(mime).is_none()
                    || mime == "image/png" && data.get("image/svg+xml").is_some()
                {
                    continue;
                }
                out.push(match mime {
                    "image/svg+xml" => Piece::Svg(text(mime)),
                    "text/html" => Piece::Html(text(mime)),
                    "text/markdown" => Piece::Markdown(text(mime)),
                    _ => Piece::Image {
                        mime: mime.to_owned(),
                        base64: text(mime).split_whitespace().collect(),
                    },
                });
            }
            if out.is_empty() && data.get("text/plain").is_some() {
                out.push(Piece::Text {
                    class: "result",
                    text: strip_ansi(&text("text/plain")),
                });
            }
            out
        }
        Some("error") => {
            let mut text = format!(
                "{}: {}",
                output["ename"].as_str().unwrap_or("Error"),
                output["evalue"].as_str().unwrap_or("")
            );
            let tb: Vec<&str> = output["traceback"]
                .as_array()
                .map(|t| t.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if tb.len() > 1 || tb.first().is_some_and(|l| !text.ends_with(l)) {
                text.push('\n');
                text.push_str(&tb.join("\n"));
            }
            vec![Piece::Text {
                class: "error",
                text: strip_ansi(&text),
            }]
        }
        _ => Vec::new(),
    }
}

/// Removes ANSI colour/control sequences (evcxr and cargo colour some messages).
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// The notebook's title: its first Markdown `# heading`, else the file stem.
pub fn title(nb: &Value, path: &Path) -> String {
    for cell in nb["cells"].as_array().into_iter().flatten() {
        if nbformat::cell_type(cell) == "markdown" {
            for line in nbformat::source(cell).lines() {
                if let Some(h) = line.strip_prefix("# ") {
                    return h.trim().to_owned();
                }
            }
        }
    }
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "notebook".into())
}

fn fence(text: &str) -> String {
    let mut ticks = 3;
    while text.contains(&"`".repeat(ticks)) {
        ticks += 1;
    }
    "`".repeat(ticks)
}

/// One notebook as Markdown.
pub fn to_markdown(nb: &Value) -> String {
    let mut md = String::new();
    for cell in nb["cells"].as_array().into_iter().flatten() {
        let src = nbformat::source(cell);
        match nbformat::cell_type(cell) {
            "markdown" => {
                md.push_str(src.trim_end());
                md.push_str("\n\n");
            }
            "code" => {
                if src.trim().is_empty() {
                    continue;
                }
                let f = fence(&src);
                let _ = write!(md, "{f}rust\n{}\n{f}\n\n", src.trim_end());
                for output in cell["outputs"].as_array().into_iter().flatten() {
                    for piece in pieces(output) {
                        md.push_str(&piece_markdown(&piece));
                        md.push_str("\n\n");
                    }
                }
            }
            _ => {}
        }
    }
    md
}

fn piece_markdown(piece: &Piece) -> String {
    match piece {
        Piece::Text { class, text } => {
            let f = fence(text);
            let label = match *class {
                "stderr" => "text stderr",
                "error" => "text error",
                _ => "text",
            };
            format!("{f}{label}\n{}\n{f}", text.trim_end_matches('\n'))
        }
        // Raw HTML blocks must not contain blank lines, or Markdown resumes in the middle.
        Piece::Html(h) | Piece::Svg(h) => without_blank_lines(h),
        Piece::Markdown(m) => m.trim_end().to_owned(),
        Piece::Image { mime, base64 } => format!("![output](data:{mime};base64,{base64})"),
    }
}

fn without_blank_lines(s: &str) -> String {
    s.lines()
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// HTML-escapes text.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

fn markdown_to_html(md: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(md, Options::all()));
    out
}

/// One notebook as an HTML fragment (a `<section>`), `id` its anchor.
pub fn to_html_section(nb: &Value, id: &str) -> String {
    let mut h = format!("<section class=\"notebook\" id=\"{}\">\n", escape_html(id));
    for cell in nb["cells"].as_array().into_iter().flatten() {
        let src = nbformat::source(cell);
        match nbformat::cell_type(cell) {
            "markdown" => {
                h.push_str(&markdown_to_html(&src));
            }
            "code" => {
                if src.trim().is_empty() {
                    continue;
                }
                let count = cell["execution_count"]
                    .as_u64()
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| " ".into());
                let _ = writeln!(
                    h,
                    "<div class=\"cell\"><div class=\"prompt\">In [{count}]:</div><pre class=\"code\"><code class=\"language-rust\">{}</code></pre>",
                    escape_html(src.trim_end())
                );
                for output in cell["outputs"].as_array().into_iter().flatten() {
                    for piece in pieces(output) {
                        h.push_str(&piece_html(&piece));
                        h.push('\n');
                    }
                }
                h.push_str("</div>\n");
            }
            _ => {}
        }
    }
    h.push_str("</section>\n");
    h
}

fn piece_html(piece: &Piece) -> String {
    match piece {
        Piece::Text { class, text } => format!(
            "<pre class=\"output {class}\">{}</pre>",
            escape_html(text.trim_end_matches('\n'))
        ),
        Piece::Html(x) => format!("<div class=\"output html\">{x}</div>"),
        Piece::Svg(x) => format!("<div class=\"output figure\">{x}</div>"),
        Piece::Markdown(m) => format!(
            "<div class=\"output markdown\">{}</div>",
            markdown_to_html(m)
        ),
        Piece::Image { mime, base64 } => format!(
            "<div class=\"output figure\"><img alt=\"output\" src=\"data:{mime};base64,{base64}\"></div>"
        ),
    }
}

const CSS: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5}\
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;border-radius:4px}\
.prompt{color:#888;font-size:.8rem}.cell{margin:1rem 0}\
pre.stderr{background:#fff4e5}pre.error{background:#fde8e8;color:#8a1c1c}\
.output.figure svg,.output.figure img{max-width:100%;height:auto}\
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem}\
nav.toc{border-bottom:1px solid #ddd;margin-bottom:2rem}";

/// A complete HTML document from `(title, anchor, notebook)` entries; with several entries it
/// starts with a table of contents.
pub fn html_document(title: &str, notebooks: &[(String, String, &Value)]) -> String {
    let mut body = String::new();
    if notebooks.len() > 1 {
        body.push_str("<nav class=\"toc\"><ol>\n");
        for (t, id, _) in notebooks {
            let _ = writeln!(
                body,
                "<li><a href=\"#{}\">{}</a></li>",
                escape_html(id),
                escape_html(t)
            );
        }
        body.push_str("</ol></nav>\n");
    }
    for (_, id, nb) in notebooks {
        body.push_str(&to_html_section(nb, id));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape_html(title)
    )
}

/// A combined Markdown report: a title, a table of contents, then each notebook.
pub fn markdown_document(title: &str, notebooks: &[(String, String, &Value)]) -> String {
    let mut md = String::new();
    if notebooks.len() > 1 {
        let _ = write!(md, "# {title}\n\n");
        for (t, id, _) in notebooks {
            let _ = writeln!(md, "- [{t}](#{id})");
        }
        md.push('\n');
    }
    for (_, id, nb) in notebooks {
        if notebooks.len() > 1 {
            let _ = write!(md, "<a id=\"{id}\"></a>\n\n");
        }
        md.push_str(&to_markdown(nb));
    }
    md
}

/// A URL-fragment-safe anchor for a notebook file.
pub fn anchor(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_colour() {
        assert_eq!(strip_ansi("\u{1b}[31merror\u{1b}[0m: x"), "error: x");
    }

    #[test]
    fn a_figure_sent_as_png_and_svg_shows_once() {
        let out = serde_json::json!({
            "output_type": "execute_result",
            "data": {"image/png": "iVBORw0KGgo=", "image/svg+xml": "<svg></svg>", "text/plain": "fig"},
        });
        assert_eq!(pieces(&out), vec![Piece::Svg("<svg></svg>".into())]);
        let png_only = serde_json::json!({
            "output_type": "display_data",
            "data": {"image/png": "iVBORw0KGgo=", "text/html": "<b>t</b>"},
        });
        assert_eq!(pieces(&png_only).len(), 2);
    }

    #[test]
    fn fences_outgrow_backticks() {
        assert_eq!(fence("a ``` b"), "````");
    }
}
