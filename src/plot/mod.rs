//! Figures for every stage of the lab, drawn with `plotters` into SVG (no system libraries, no
//! fonts needed: the browser lays out the text).
//!
//! Each plot is one call on plain inputs and returns a [`Figure`], which shows itself in a
//! notebook cell and saves to `.svg`:
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
pub use results::{balance, features, mlm_loss, reg_paths, search, transformer_training};
pub use training::{TrainingRun, training_curves};

use crate::display::{Render, escape};
use crate::error::{Error, IoContext, Result};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::fmt;
use std::path::{Path, PathBuf};

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

pub(crate) const FONT: &str = "sans-serif";
pub(crate) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub(crate) const MUTED: RGBColor = RGBColor(0x77, 0x77, 0x77);
pub(crate) const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
/// Minor grid lines: not drawn (they make small charts busy).
pub(crate) const GRID_LIGHT: RGBColor = RGBColor(0xF3, 0xF3, 0xF3);

/// An SVG figure: shows itself in a notebook, prints a one-line summary in a terminal, and
/// saves to a `.svg` file.
#[derive(Clone, PartialEq)]
pub struct Figure {
    title: String,
    svg: String,
    width: u32,
    height: u32,
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
        }
    }

    /// The SVG document.
    pub fn svg(&self) -> &str {
        &self.svg
    }

    /// The title drawn at the top of the figure.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// (width, height) in pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Write the figure as SVG. A path without an extension gets `.svg`; any other extension than
    /// `.svg` is an error (PNG needs a bitmap backend with system fonts, which we do not build).
    /// Returns the path written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<PathBuf> {
        let mut path = path.as_ref().to_path_buf();
        match path.extension().and_then(|e| e.to_str()) {
            None => {
                path.set_extension("svg");
            }
            Some(e) if e.eq_ignore_ascii_case("svg") => {}
            Some(e) => {
                return Err(Error::config(format!(
                    "cannot save a figure as .{e}: figures are SVG (open the .svg in a browser, or convert it with resvg/rsvg-convert)"
                )));
            }
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).at(dir)?;
        }
        crate::fsio::write_bytes_atomic(&path, self.svg.as_bytes())?;
        Ok(path)
    }
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
    fn html(&self) -> String {
        format!(
            "<div style=\"max-width:100%;overflow-x:auto;margin:4px 0\" title=\"{}\">{}</div>",
            escape(&self.title),
            self.svg
        )
    }
    fn text(&self) -> String {
        format!(
            "[figure: {} ({}x{} SVG; .save(\"file.svg\") to keep it)]",
            self.title, self.width, self.height
        )
    }
    fn svg(&self) -> Option<String> {
        Some(self.svg.clone())
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
            let area = root.titled(title, (FONT, 20).into_font().color(&INK))?;
            body(&area)?;
            root.present()?;
            Ok(())
        })();
        result.map_err(|e| Error::data(format!("cannot draw `{title}`: {e}")))?;
    }
    Ok(Figure {
        title: title.to_string(),
        svg,
        width,
        height,
    })
}

/// The mesh style every chart uses; chain `.x_desc(..)` etc. and `.draw()?`.
macro_rules! mesh {
    ($chart:expr) => {
        $chart
            .configure_mesh()
            .bold_line_style($crate::plot::GRID)
            .light_line_style($crate::plot::GRID_LIGHT.mix(0.0))
            .axis_style($crate::plot::MUTED)
            .label_style(
                ($crate::plot::FONT, 13)
                    .into_font()
                    .color(&$crate::plot::INK),
            )
            .axis_desc_style(
                ($crate::plot::FONT, 14)
                    .into_font()
                    .color(&$crate::plot::INK),
            )
    };
}
pub(crate) use mesh;

/// Draw the series legend at `pos`.
pub(crate) fn legend<'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'a>, CT>,
    pos: SeriesLabelPosition,
) -> DrawResult {
    chart
        .configure_series_labels()
        .position(pos)
        .margin(8)
        .legend_area_size(22)
        .background_style(WHITE.mix(0.88))
        .border_style(RGBColor(0xCC, 0xCC, 0xCC))
        .label_font((FONT, 13).into_font().color(&INK))
        .draw()?;
    Ok(())
}

/// A legend swatch: a short line in `style`.
pub(crate) fn swatch_line(style: ShapeStyle) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style)
}

/// A legend swatch: a filled square in `color`.
pub(crate) fn swatch_box(color: RGBColor) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled())
}

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

/// Text style for annotations.
pub(crate) fn text_style(size: u32, color: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    (FONT, size).into_font().color(&color).pos(Pos::new(h, v))
}

/// How a legend entry is drawn.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Swatch {
    Line(RGBColor, u32),
    Dashed(RGBColor),
    Box(RGBColor),
}

/// A one-line legend across the top of `area` (wrapping onto more lines if needed); returns the
/// area below it.
pub(crate) fn legend_strip<'a>(
    area: &Area<'a>,
    entries: &[(String, Swatch)],
) -> std::result::Result<Area<'a>, Box<dyn std::error::Error>> {
    let (w, _) = area.dim_in_pixel();
    let style = text_style(13, INK, HPos::Left, VPos::Center);
    // Lay out first to know how many lines we need.
    let mut pos = Vec::with_capacity(entries.len());
    let (mut x, mut y) = (12i32, 12i32);
    for (label, _) in entries {
        let width = 26 + (label.chars().count() as f64 * 7.2) as i32 + 18;
        if x + width > w as i32 - 8 && x > 12 {
            x = 12;
            y += 20;
        }
        pos.push((x, y));
        x += width;
    }
    let height = (y + 14) as u32;
    let (strip, rest) = area.split_vertically(height);
    for ((label, swatch), &(x, y)) in entries.iter().zip(&pos) {
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
    crate::display::fmt_count(n)
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
    fn save_refuses_png_and_adds_extension() {
        let dir = tempfile::tempdir().unwrap();
        let fig = Figure::from_svg("t", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>", (10, 10));
        assert!(fig.save(dir.path().join("a.png")).is_err());
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
