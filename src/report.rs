//! The lab report: a list of blocks (headings, text, tables, figures) rendered to Markdown (with
//! figures as `.svg` files beside it) and to one self-contained HTML file (figures inline as PNG
//! `<img>`, which every viewer draws, including ones that strip inline SVG).

use crate::display::{Table, escape};
use crate::error::{IoContext, Result};
use crate::plot::Figure;
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
