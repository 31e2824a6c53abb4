//! Figures for every stage of the lab, drawn with `plotters` into SVG, with a PNG twin rendered
//! by `resvg` (pure Rust; text is drawn with the fonts found in the system's font folders).
//!
//! The PNG exists because JupyterLab shows a notebook from a fresh clone as untrusted: it then
//! draws `image/png` and `<img src="data:image/png...">` but neither `image/svg+xml` outputs nor
//! `<svg>` inside HTML. Each plot is one call on plain inputs and returns a [`Figure`], which
//! shows itself in a notebook cell and saves to `.svg` or `.png`:
//!
//! ```
//! use textlab::metrics::RocCurve;
//! use textlab::plot;
//! let roc = RocCurve::new(&[0, 0, 1, 1], &[0.1, 0.4, 0.35, 0.8]).unwrap();
//! let fig = plot::roc_curves(&[("tf-idf + logreg", &roc)]).unwrap();
//! assert!(fig.svg().contains("AUC 0.750"));
//! ```
//!
//! All figures share one palette ([`PALETTE`], with [`NEGATIVE`] / [`POSITIVE`] for the two
//! classes) and fit a notebook at [`WIDTH`] pixels. [`save_all`] writes a set of figures into a
//! report directory.

mod classes;
mod compare;
mod confusion;
pub(crate) mod curves;
mod linear;
mod results;
mod training;

pub use crate::linear::fmt_c;
pub use classes::{class_distribution, split_distribution, text_lengths, text_lengths_of};
pub use compare::{Comparison, ModelStats, model_comparison};
pub use confusion::confusion_matrix;
pub use curves::{pr, pr_curves, roc, roc_curves, threshold_sweep};
pub use linear::{CvSeries, PathSeries, c_sweep, regularization_path, top_features};
pub use results::{balance, features, mlm_loss, reg_paths, search};
pub use training::{TrainingRun, training_curves};

use crate::error::{Error, IoContext, Result};
use crate::view::{Render, escape};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use resvg::{tiny_skia, usvg};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// Width of a full-size figure: the width of a Jupyter output area.
pub const WIDTH: u32 = 720;
/// Height of a standard single-chart figure.
pub const HEIGHT: u32 = 420;

/// Colour of class 0 (negative, e.g. ham) in every figure.
pub const NEGATIVE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
/// Colour of class 1 (positive, e.g. spam) in every figure.
pub const POSITIVE: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
/// Series colours (Okabe-Ito, readable by colour-blind readers), used in this order.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0x33, 0x22, 0x88),
    RGBColor(0x88, 0x88, 0x88),
];

/// The `i`-th series colour (wraps around).
pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Named families first so that the PNG and a browser lay out text with the same metrics where
/// DejaVu is installed; CJK last so that Latin text keeps the Latin design.
pub(crate) const FONT: &str = "DejaVu Sans, Noto Sans, Noto Sans CJK SC, sans-serif";
/// The PNG twin is drawn at this many pixels per SVG pixel, so it stays sharp on HiDPI screens
/// when shown at the SVG's size.
pub const PNG_SCALE: f32 = 2.0;
pub(crate) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub(crate) const MUTED: RGBColor = RGBColor(0x77, 0x77, 0x77);
pub(crate) const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
/// Minor grid lines: not drawn (they make small charts busy).
pub(crate) const GRID_LIGHT: RGBColor = RGBColor(0xF3, 0xF3, 0xF3);

/// A figure: an SVG document plus its PNG twin (drawn on first use). Shows itself in a notebook,
/// prints a one-line summary in a terminal, and saves to `.svg` or `.png`.
#[derive(Clone)]
pub struct Figure {
    title: String,
    svg: String,
    width: u32,
    height: u32,
    /// Rendered lazily: most figures are built into a value and only some are ever shown.
    png: OnceLock<std::result::Result<Arc<[u8]>, String>>,
}

impl PartialEq for Figure {
    fn eq(&self, other: &Figure) -> bool {
        // The PNG cache is derived from the SVG; whether it was filled yet is not a difference.
        (&self.title, &self.svg, self.width, self.height)
            == (&other.title, &other.svg, other.width, other.height)
    }
}

impl Figure {
    /// Wrap an SVG document made elsewhere.
    pub fn from_svg(
        title: impl Into<String>,
        svg: impl Into<String>,
        (width, height): (u32, u32),
    ) -> Figure {
        Figure {
            title: title.into(),
            svg: svg.into(),
            width,
            height,
            png: OnceLock::new(),
        }
    }

    /// The SVG document.
    pub fn svg(&self) -> &str {
        &self.svg
    }

    /// The figure as PNG bytes, [`PNG_SCALE`] times the SVG's size, rendered on the first call
    /// and kept.
    pub fn png(&self) -> Result<&[u8]> {
        self.png
            .get_or_init(|| render_png(&self.svg).map(Arc::from))
            .as_deref()
            .map_err(|e| Error::data(format!("cannot render `{}` to PNG: {e}", self.title)))
    }

    /// `<img src="data:image/png;base64,...">` at the SVG's size: the only way a figure inside
    /// HTML shows in an untrusted notebook (inline `<svg>` is sanitised away).
    pub fn img_tag(&self) -> Result<String> {
        Ok(format!(
            "<img src=\"data:image/png;base64,{}\" width=\"{}\" height=\"{}\" alt=\"{}\" \
             style=\"max-width:100%;height:auto\">",
            crate::view::base64(self.png()?),
            self.width,
            self.height,
            escape(&self.title)
        ))
    }

    /// The title drawn at the top of the figure.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// (width, height) in pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Write the figure as `.svg` or `.png` (by the extension; none means `.svg`). The file is
    /// written beside its final name and renamed, so a reader never sees half a figure.
    /// Returns the path written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<PathBuf> {
        let mut path = path.as_ref().to_path_buf();
        let png = match path.extension().and_then(|e| e.to_str()) {
            None => {
                path.set_extension("svg");
                false
            }
            Some(e) if e.eq_ignore_ascii_case("svg") => false,
            Some(e) if e.eq_ignore_ascii_case("png") => true,
            Some(e) => {
                return Err(Error::config(format!(
                    "cannot save a figure as .{e}: use .svg or .png"
                )));
            }
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).at(dir)?;
        }
        let bytes = if png {
            self.png()?
        } else {
            self.svg.as_bytes()
        };
        crate::fsio::write_bytes_atomic(&path, bytes)?;
        Ok(path)
    }
}

/// Font folders searched for the PNG's text, in the usual places of Linux, macOS and Windows.
fn font_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = [
        "/usr/share/fonts",
        "/usr/local/share/fonts",
        "/System/Library/Fonts",
        "/Library/Fonts",
        "C:\\Windows\\Fonts",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    if let Some(home) = std::env::var_os("HOME") {
        let home = PathBuf::from(home);
        dirs.push(home.join(".local/share/fonts"));
        dirs.push(home.join(".fonts"));
        dirs.push(home.join("Library/Fonts"));
    }
    dirs
}

/// The system's fonts, loaded once per process. Serif, monospace and math faces are skipped when
/// anything else is there (figures use sans-serif only, and a CJK serif collection alone is tens
/// of megabytes).
fn fonts() -> Arc<usvg::fontdb::Database> {
    static FONTS: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut files = Vec::new();
            let mut stack = font_dirs();
            while let Some(d) = stack.pop() {
                let Ok(entries) = std::fs::read_dir(&d) else {
                    continue;
                };
                for p in entries.flatten().map(|e| e.path()) {
                    let ext = p.extension().and_then(|x| x.to_str()).unwrap_or("");
                    if p.is_dir() {
                        stack.push(p);
                    } else if ["ttf", "otf", "ttc", "otc"]
                        .iter()
                        .any(|x| ext.eq_ignore_ascii_case(x))
                    {
                        files.push(p);
                    }
                }
            }
            let unused = |p: &PathBuf| {
                let n = p.file_name().map(|n| n.to_string_lossy().to_lowercase());
                let n = n.unwrap_or_default();
                ["serif", "mono", "math"].iter().any(|w| n.contains(w))
            };
            if files.iter().any(|p| !unused(p)) {
                files.retain(|p| !unused(p));
            }
            files.sort();
            let mut db = usvg::fontdb::Database::new();
            for f in files {
                if let Ok(data) = std::fs::read(&f) {
                    db.load_font_data(data);
                }
            }
            let has = |family: &str| {
                db.faces()
                    .any(|f| f.families.iter().any(|(n, _)| n == family))
            };
            if let Some(sans) = [
                "DejaVu Sans",
                "Noto Sans",
                "Liberation Sans",
                "Arial",
                "Helvetica",
            ]
            .into_iter()
            .find(|f| has(f))
            {
                db.set_sans_serif_family(sans);
            }
            Arc::new(db)
        })
        .clone()
}

/// Rasterise an SVG document at [`PNG_SCALE`] and encode it as PNG.
fn render_png(svg: &str) -> std::result::Result<Vec<u8>, String> {
    let opt = usvg::Options {
        fontdb: fonts(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &opt).map_err(|e| e.to_string())?;
    let size = tree
        .size()
        .to_int_size()
        .scale_by(PNG_SCALE)
        .ok_or("empty figure")?;
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height()).ok_or("empty figure")?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(PNG_SCALE, PNG_SCALE),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| e.to_string())
}

impl fmt::Debug for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Figure")
            .field("title", &self.title)
            .field("size", &(self.width, self.height))
            .field("svg_bytes", &self.svg.len())
            .finish()
    }
}

impl Render for Figure {
    /// The PNG as an `<img>`: HTML that embeds a figure must show in untrusted notebooks too.
    fn html(&self) -> String {
        match self.img_tag() {
            Ok(img) => {
                format!("<div style=\"max-width:100%;overflow-x:auto;margin:4px 0\">{img}</div>")
            }
            Err(e) => format!(
                "<div style=\"color:#c0392b;font-family:monospace;font-size:12px\">{}</div>",
                escape(&e.to_string())
            ),
        }
    }
    fn text(&self) -> String {
        format!(
            "[figure: {} ({}x{}); .save(\"name.png\") or .save(\"name.svg\") to keep it]",
            self.title, self.width, self.height
        )
    }
    fn svg(&self) -> Option<String> {
        Some(self.svg.clone())
    }
    fn png(&self) -> Option<Vec<u8>> {
        Figure::png(self).ok().map(<[u8]>::to_vec)
    }
}

crate::rich_display!(display: Figure);

/// File-name stem for a figure name: lowercase ASCII letters, digits, `-` and `_`.
pub fn file_stem(name: &str) -> String {
    let mut s = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') {
            s.push('-');
        }
    }
    let s = s.trim_matches('-').to_string();
    if s.is_empty() { "figure".into() } else { s }
}

/// Write named figures into `dir` (created if needed) as `<name>.svg` and return the file names
/// relative to `dir`, in order, ready to be linked from a report in that directory
/// (`![title](roc.svg)`). Names are reduced to [`file_stem`]; a repeated name gets `-2`, `-3`...
///
/// ```no_run
/// # fn f(roc: textlab::plot::Figure, cm: textlab::plot::Figure) -> textlab::Result<()> {
/// let files = textlab::plot::save_all("reports/run1", &[("roc", &roc), ("confusion", &cm)])?;
/// assert_eq!(files[0], std::path::PathBuf::from("roc.svg"));
/// # Ok(()) }
/// ```
pub fn save_all(dir: impl AsRef<Path>, figures: &[(&str, &Figure)]) -> Result<Vec<PathBuf>> {
    let dir = dir.as_ref();
    std::fs::create_dir_all(dir).at(dir)?;
    let mut names: Vec<PathBuf> = Vec::with_capacity(figures.len());
    for (name, fig) in figures {
        let stem = file_stem(name);
        let mut file = PathBuf::from(format!("{stem}.svg"));
        let mut k = 2;
        while names.contains(&file) {
            file = PathBuf::from(format!("{stem}-{k}.svg"));
            k += 1;
        }
        fig.save(dir.join(&file))?;
        names.push(file);
    }
    Ok(names)
}

// ---------------------------------------------------------------------------------------------
// Drawing helpers shared by the plot modules.

pub(crate) type DrawResult = std::result::Result<(), Box<dyn std::error::Error>>;
pub(crate) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Draw a figure of `size` with `title` on top; `body` draws into the area below the title.
pub(crate) fn draw(
    title: &str,
    (width, height): (u32, u32),
    body: impl FnOnce(&Area) -> DrawResult,
) -> Result<Figure> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        let result = (|| -> DrawResult {
            root.fill(&WHITE)?;
            let area = root.titled(title, font(18.0).color(&INK))?;
            body(&area)?;
            root.present()?;
            Ok(())
        })();
        result.map_err(|e| Error::data(format!("cannot draw `{title}`: {e}")))?;
    }
    Ok(Figure::from_svg(title, svg, (width, height)))
}

/// The mesh style every chart uses; chain `.x_desc(..)` etc. and `.draw()?`.
macro_rules! mesh {
    ($chart:expr) => {
        $chart
            .configure_mesh()
            .bold_line_style($crate::plot::GRID)
            .light_line_style($crate::plot::GRID_LIGHT.mix(0.0))
            .axis_style($crate::plot::MUTED)
            .label_style($crate::plot::font(13.0).color(&$crate::plot::INK))
            .axis_desc_style($crate::plot::font(14.0).color(&$crate::plot::INK))
    };
}
pub(crate) use mesh;

/// A linear `f64` axis whose ticks sit exactly at `keys` (categories at 0, 1, 2, ...), labelled
/// by the chart's label formatter.
pub(crate) struct KeyAxis {
    range: std::ops::Range<f64>,
    keys: Vec<f64>,
}

impl KeyAxis {
    pub(crate) fn new(range: std::ops::Range<f64>, keys: Vec<f64>) -> KeyAxis {
        KeyAxis { range, keys }
    }
    /// Slots `0..n` with half a slot of room on each side.
    pub(crate) fn slots(n: usize) -> KeyAxis {
        KeyAxis::new(-0.6..n as f64 - 0.4, (0..n).map(|i| i as f64).collect())
    }
}

impl Ranged for KeyAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;
    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let frac = (v - self.range.start) / (self.range.end - self.range.start);
        let len = limit.1 - limit.0;
        if len == 0 || !frac.is_finite() {
            return limit.0;
        }
        limit.0 + (len as f64 * frac + 1e-3).floor() as i32
    }
    fn key_points<H: KeyPointHint>(&self, _: H) -> Vec<f64> {
        self.keys.clone()
    }
    fn range(&self) -> std::ops::Range<f64> {
        self.range.clone()
    }
}

/// Error for an unusable plot input.
pub(crate) fn bad_input(what: impl Into<String>) -> Error {
    Error::data(what.into())
}

/// At most `max` points, evenly spaced in index, always keeping the first and last.
pub(crate) fn thin<T: Copy>(points: &[T], max: usize) -> Vec<T> {
    if points.len() <= max || max < 2 {
        return points.to_vec();
    }
    let step = (points.len() - 1) as f64 / (max - 1) as f64;
    (0..max)
        .map(|i| points[((i as f64 * step).round() as usize).min(points.len() - 1)])
        .collect()
}

/// Finite min and max of values, or `None` when there are none.
pub(crate) fn extent(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// A linear axis range around `[lo, hi]` with 5% padding (and a unit span when flat).
pub(crate) fn padded(lo: f64, hi: f64) -> std::ops::Range<f64> {
    if hi - lo < 1e-12 {
        let d = if lo.abs() > 1e-12 {
            lo.abs() * 0.1
        } else {
            1.0
        };
        return (lo - d)..(hi + d);
    }
    let pad = (hi - lo) * 0.05;
    (lo - pad)..(hi + pad)
}

/// A log axis range covering `[lo, hi]` (both > 0) with a little padding, always containing at
/// least one power of ten (the labelled ticks).
pub(crate) fn log_padded(lo: f64, hi: f64) -> std::ops::Range<f64> {
    let (a, b) = (lo.log10(), hi.log10());
    let (a, b) = if b - a < 1e-9 {
        (a - 0.5, b + 0.5)
    } else {
        (a, b)
    };
    let pad = ((b - a) * 0.04).max(0.05);
    let (mut a, mut b) = (a - pad, b + pad);
    if b.floor() < a.ceil() {
        // No power of ten inside: reach out to the nearer one.
        if a - a.floor() < b.ceil() - b {
            a = a.floor() - 0.02
        } else {
            b = b.ceil() + 0.02
        }
    }
    10f64.powf(a)..10f64.powf(b)
}

/// The smallest text in any figure, in CSS pixels at the figure's own size (notebooks show
/// figures at [`WIDTH`] = 720 px, so this is what a reader sees).
pub(crate) const MIN_TEXT_PX: f64 = 12.0;

/// The chart font at `px` CSS pixels. plotters' SVG backend writes `font-size` as the size it is
/// given divided by 1.24, so the size is scaled up here to come out at `px`.
pub(crate) fn font(px: f64) -> FontDesc<'static> {
    (FONT, px.max(MIN_TEXT_PX) * 1.24).into_font()
}

/// Text style for annotations, `px` CSS pixels high.
pub(crate) fn text_style(px: u32, color: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    font(px.into()).color(&color).pos(Pos::new(h, v))
}

/// Legend text size in CSS pixels.
pub(crate) const LEGEND_PX: f64 = 13.0;

/// Width in CSS pixels of `text` in the chart font at `px`, laid out with the fonts the PNG uses
/// (a browser with the same fonts agrees); a per-character estimate where no font is installed.
pub(crate) fn text_width(text: &str, px: f64) -> f64 {
    let estimate = text.chars().count() as f64 * px * 0.62;
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\">\
         <text x=\"0\" y=\"0\" font-family=\"{FONT}\" font-size=\"{px}\">{}</text></svg>",
        escape(text)
    );
    let opt = usvg::Options {
        fontdb: fonts(),
        ..usvg::Options::default()
    };
    match usvg::Tree::from_str(&svg, &opt) {
        Ok(tree) if tree.root().abs_bounding_box().width() > 0.0 => {
            f64::from(tree.root().abs_bounding_box().width())
        }
        _ => estimate,
    }
}

/// How a legend entry is drawn.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Swatch {
    Line(RGBColor, u32),
    Dashed(RGBColor),
    Box(RGBColor),
}

/// The legend of every chart: swatches and labels in rows across the top of `area`, wrapped by
/// the labels' measured widths, so that it never covers data and is never clipped; returns the
/// area below it.
pub(crate) fn legend_strip<'a>(
    area: &Area<'a>,
    entries: &[(String, Swatch)],
) -> std::result::Result<Area<'a>, Box<dyn std::error::Error>> {
    let (w, _) = area.dim_in_pixel();
    let style = text_style(LEGEND_PX as u32, INK, HPos::Left, VPos::Center);
    // A label longer than a whole line is shortened with an ellipsis rather than clipped at the
    // figure's edge (a long model name in a small panel).
    let room = (w as f64 - 12.0 - 26.0 - 8.0).max(40.0);
    let labels: Vec<String> = entries
        .iter()
        .map(|(label, _)| fit_width(label, LEGEND_PX, room))
        .collect();
    // Lay out first (with the real text widths) to know how many lines we need.
    let mut pos = Vec::with_capacity(entries.len());
    let (mut x, mut y) = (12i32, 14i32);
    for label in &labels {
        let width = 26 + text_width(label, LEGEND_PX).ceil() as i32 + 18;
        if x + width > w as i32 - 8 && x > 12 {
            x = 12;
            y += 22;
        }
        pos.push((x, y));
        x += width;
    }
    let height = (y + 16) as u32;
    let (strip, rest) = area.split_vertically(height);
    for (((_, swatch), label), &(x, y)) in entries.iter().zip(&labels).zip(&pos) {
        match *swatch {
            Swatch::Line(c, wd) => strip.draw(&PathElement::new(
                vec![(x, y), (x + 20, y)],
                c.stroke_width(wd),
            ))?,
            Swatch::Dashed(c) => {
                for k in 0..3 {
                    strip.draw(&PathElement::new(
                        vec![(x + k * 8, y), (x + k * 8 + 5, y)],
                        c.stroke_width(2),
                    ))?
                }
            }
            Swatch::Box(c) => strip.draw(&Rectangle::new(
                [(x + 4, y - 6), (x + 16, y + 6)],
                c.filled(),
            ))?,
        }
        strip.draw(&Text::new(label.clone(), (x + 26, y), style.clone()))?;
    }
    Ok(rest)
}

/// Width of a y label area that holds the axis description and tick labels as wide as the
/// widest of `ticks` (the range's ends, formatted as the axis formats them): a fixed width let
/// "-60.0" run into the description.
pub(crate) fn y_label_area(ticks: &[String]) -> u32 {
    let widest = ticks
        .iter()
        .map(|t| text_width(t, 13.0))
        .fold(0.0, f64::max);
    (widest.ceil() as u32 + 34).max(48)
}

/// `text` if it is at most `max` pixels wide at `px`, else its longest prefix that fits with `…`.
pub(crate) fn fit_width(text: &str, px: f64, max: f64) -> String {
    if text_width(text, px) <= max {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let (mut lo, mut hi) = (0, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let candidate: String = chars[..mid].iter().collect::<String>() + "…";
        if text_width(&candidate, px) <= max {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    chars[..lo]
        .iter()
        .collect::<String>()
        .trim_end()
        .to_string()
        + "…"
}

/// Tick label for a value on a log axis: `0.001`, `0.1`, `1`, `100`, `1e6`.
pub(crate) fn log_tick(v: f64) -> String {
    if v.is_nan() || v <= 0.0 {
        return String::new();
    }
    let e = v.log10();
    if (e - e.round()).abs() > 0.02 {
        // Not a power of ten: plotters adds intermediate ticks; keep them unlabelled.
        return String::new();
    }
    let e = e.round() as i32;
    match e {
        i32::MIN..=-4 | 6..=i32::MAX => format!("1e{e}"),
        ..=-1 => format!("{:.*}", (-e) as usize, 10f64.powi(e)),
        _ => thousands(10usize.pow(e as u32)),
    }
}

/// Tick label for a linear axis: `0`, `2.5`, `1,500`, `-0.25` (no trailing `.0`).
pub(crate) fn tick(v: &f64) -> String {
    let v = *v;
    if v.is_finite() && (v - v.round()).abs() < 1e-9 {
        let n = v.round();
        let s = thousands(n.abs() as usize);
        return if n < 0.0 { format!("-{s}") } else { s };
    }
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `1234567` -> `1,234,567`.
pub(crate) fn thousands(n: usize) -> String {
    crate::view::fmt_count(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_are_safe() {
        assert_eq!(file_stem("ROC curves (test)"), "roc-curves-test");
        assert_eq!(file_stem("../../etc/passwd"), "etc-passwd");
        assert_eq!(file_stem("   "), "figure");
    }

    #[test]
    fn log_ticks_read_well() {
        assert_eq!(log_tick(0.01), "0.01");
        assert_eq!(log_tick(1.0), "1");
        assert_eq!(log_tick(1000.0), "1,000");
        assert_eq!(fmt_c(316.227766), "316");
        assert_eq!(fmt_c(0.031622), "0.0316");
        assert_eq!(fmt_c(1.0), "1");
        assert_eq!(fmt_c(10.0), "10");
        assert_eq!(tick(&50.0), "50");
        assert_eq!(tick(&-2.5), "-2.5");
        assert_eq!(tick(&1500.0), "1,500");
        assert_eq!(log_tick(1e7), "1e7");
        assert_eq!(log_tick(3.0), "");
    }

    #[test]
    fn thin_keeps_ends() {
        let v: Vec<usize> = (0..1000).collect();
        let t = thin(&v, 11);
        assert_eq!(t.len(), 11);
        assert_eq!(t[0], 0);
        assert_eq!(t[10], 999);
    }

    #[test]
    fn save_writes_svg_and_png_and_refuses_others() {
        let dir = tempfile::tempdir().unwrap();
        let fig = Figure::from_svg(
            "t",
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><rect width=\"5\" height=\"5\"/></svg>",
            (10, 10),
        );
        assert!(fig.save(dir.path().join("a.pdf")).is_err());
        let p = fig.save(dir.path().join("a.PNG")).unwrap();
        assert!(std::fs::read(&p).unwrap().starts_with(b"\x89PNG"));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .filter(|n| n.to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        let p = fig.save(dir.path().join("sub/a")).unwrap();
        assert!(p.ends_with("sub/a.svg"));
        let names = save_all(dir.path(), &[("ROC", &fig), ("roc", &fig)]).unwrap();
        assert_eq!(
            names,
            vec![PathBuf::from("roc.svg"), PathBuf::from("roc-2.svg")]
        );
        assert!(dir.path().join("roc-2.svg").exists());
    }
}
