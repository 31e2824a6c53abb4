//! What the data looks like: class counts per split (before/after balancing) and text lengths.

use super::{
    DrawResult, Figure, HEIGHT, INK, KeyAxis, MUTED, NEGATIVE, POSITIVE, Swatch, WIDTH, bad_input,
    color, draw, legend_strip, log_padded, mesh, text_style, thousands,
};
use crate::data::{Corpus, Split};
use crate::error::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

/// Grouped bars: for each group (a split, or a split before/after balancing) the number of
/// examples of each class, with the class share above each bar.
///
/// ```
/// let fig = textlab::plot::class_distribution(
///     &[("train", [2900, 1330]), ("train, oversampled", [2900, 2900])],
///     ["ham", "spam"],
/// ).unwrap();
/// assert!(fig.svg().contains("train, oversampled"));
/// ```
pub fn class_distribution(groups: &[(&str, [usize; 2])], classes: [&str; 2]) -> Result<Figure> {
    if groups.is_empty() {
        return Err(bad_input("class_distribution needs at least one group"));
    }
    let n = groups.len();
    let max = groups
        .iter()
        .flat_map(|(_, c)| c.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    draw(
        "Class distribution",
        (WIDTH, HEIGHT),
        |area| -> DrawResult {
            let entries = [(classes[0], NEGATIVE), (classes[1], POSITIVE)]
                .map(|(c, col)| (c.to_string(), Swatch::Box(col)));
            let area = legend_strip(area, &entries)?;
            let mut chart = ChartBuilder::on(&area)
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(64)
                .build_cartesian_2d(KeyAxis::slots(n), 0.0..max * 1.28)?;
            let names = |v: &f64| {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
                    groups[i as usize].0.to_string()
                } else {
                    String::new()
                }
            };
            mesh!(chart)
                .disable_x_mesh()
                .x_label_formatter(&names)
                .y_label_formatter(&|v: &f64| thousands(v.round().max(0.0) as usize))
                .y_desc("examples")
                .draw()?;
            let bar_w = 0.36;
            for (k, col) in [NEGATIVE, POSITIVE].into_iter().enumerate() {
                let bars = groups.iter().enumerate().map(move |(g, (_, counts))| {
                    let x0 = g as f64 - 0.37 + k as f64 * 0.38;
                    Rectangle::new([(x0, 0.0), (x0 + bar_w, counts[k] as f64)], col.filled())
                });
                chart.draw_series(bars)?;
                let labels = groups.iter().enumerate().map(move |(g, (_, counts))| {
                    let x = g as f64 - 0.37 + k as f64 * 0.38 + bar_w / 2.0;
                    let total = (counts[0] + counts[1]).max(1) as f64;
                    EmptyElement::at((x, counts[k] as f64))
                        + Text::new(
                            thousands(counts[k]),
                            (0, -3),
                            text_style(12, INK, HPos::Center, VPos::Bottom),
                        )
                        + Text::new(
                            format!("{:.0}%", 100.0 * counts[k] as f64 / total),
                            (0, -18),
                            text_style(12, MUTED, HPos::Center, VPos::Bottom),
                        )
                });
                chart.draw_series(labels)?;
            }
            Ok(())
        },
    )
}

/// [`class_distribution`] of a train/validation/test split.
pub fn split_distribution(split: &Split, classes: [&str; 2]) -> Result<Figure> {
    let counts = |c: &Corpus| {
        let p = c.positives();
        [c.len() - p, p]
    };
    class_distribution(
        &[
            ("train", counts(&split.train)),
            ("validation", counts(&split.val)),
            ("test", counts(&split.test)),
        ],
        classes,
    )
}

/// Histogram of text lengths (characters, log-spaced bins) for each named group of lengths, as
/// the share of the group's texts per bin, with each group's median marked.
///
/// ```
/// let ham = [120, 800, 950, 2000, 4000];
/// let spam = [300, 3000, 5000, 9000, 20000];
/// let fig = textlab::plot::text_lengths(&[("ham", &ham[..]), ("spam", &spam[..])]).unwrap();
/// assert!(fig.svg().contains("median"));
/// ```
pub fn text_lengths(groups: &[(&str, &[usize])]) -> Result<Figure> {
    let all = groups.iter().flat_map(|(_, l)| l.iter().copied());
    let (lo, hi) = match (all.clone().min(), all.max()) {
        (Some(lo), Some(hi)) => (lo.max(1) as f64, hi.max(1) as f64),
        _ => return Err(bad_input("text_lengths needs at least one text")),
    };
    let range = log_padded(lo, hi);
    let (a, b) = (range.start.log10(), range.end.log10());
    let bins = 36;
    let edges: Vec<f64> = (0..=bins)
        .map(|i| 10f64.powf(a + (b - a) * i as f64 / bins as f64))
        .collect();
    let hists: Vec<Vec<f64>> = groups
        .iter()
        .map(|(_, lens)| {
            let mut h = vec![0.0; bins];
            for &l in lens.iter() {
                let x = (l.max(1) as f64).log10();
                let i = (((x - a) / (b - a)) * bins as f64)
                    .floor()
                    .clamp(0.0, bins as f64 - 1.0) as usize;
                h[i] += 100.0 / lens.len().max(1) as f64;
            }
            h
        })
        .collect();
    let ymax = hists.iter().flatten().copied().fold(0.0, f64::max).max(1.0)
        * (1.12 + 0.1 * groups.len() as f64);
    draw(
        "Text length by class",
        (WIDTH, HEIGHT),
        |area| -> DrawResult {
            let entries: Vec<(String, Swatch)> = groups
                .iter()
                .enumerate()
                .map(|(g, (name, lens))| {
                    let mut sorted = lens.to_vec();
                    sorted.sort_unstable();
                    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0).max(1);
                    (
                        format!(
                            "{name}: {} texts, median {} chars",
                            thousands(lens.len()),
                            thousands(median)
                        ),
                        Swatch::Line(color(g), 2),
                    )
                })
                .collect();
            let area = legend_strip(area, &entries)?;
            let mut chart = ChartBuilder::on(&area)
                .margin(12)
                .x_label_area_size(46)
                .y_label_area_size(60)
                .build_cartesian_2d(range.clone().log_scale(), 0.0..ymax)?;
            mesh!(chart)
                .x_label_formatter(&length_tick)
                .y_label_formatter(&|v: &f64| format!("{v:.0}%"))
                .x_desc("length in characters (log scale)")
                .y_desc("share of the class's texts")
                .draw()?;
            for (g, ((_, lens), h)) in groups.iter().zip(&hists).enumerate() {
                let col = color(g);
                let mut step = vec![(edges[0], 0.0)];
                for (i, &v) in h.iter().enumerate() {
                    step.push((edges[i], v));
                    step.push((edges[i + 1], v));
                }
                step.push((edges[bins], 0.0));
                chart.draw_series(std::iter::once(Polygon::new(
                    step.clone(),
                    col.mix(0.16).filled(),
                )))?;
                let mut sorted = lens.to_vec();
                sorted.sort_unstable();
                let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0).max(1);
                chart.draw_series(LineSeries::new(step, col.stroke_width(2)))?;
                let m = median as f64;
                chart.draw_series(DashedLineSeries::new(
                    vec![(m, 0.0), (m, ymax * 0.93)],
                    5,
                    4,
                    col.stroke_width(1),
                ))?;
            }
            Ok(())
        },
    )
}

/// Length ticks at 1, 2 and 5 times a power of ten: text lengths often span under two decades,
/// where powers of ten alone leave a single labelled tick.
fn length_tick(v: &f64) -> String {
    let mantissa = v / 10f64.powf(v.log10().floor());
    if [1.0, 2.0, 5.0].iter().any(|m| (mantissa - m).abs() < 0.02) {
        thousands(v.round() as usize)
    } else {
        String::new()
    }
}

/// [`text_lengths`] of a corpus, one histogram per class.
pub fn text_lengths_of(corpus: &Corpus, classes: [&str; 2]) -> Result<Figure> {
    let mut lens = [Vec::new(), Vec::new()];
    for (t, l) in corpus.texts().iter().zip(corpus.labels()) {
        lens[usize::from(l == 1)].push(t.chars().count());
    }
    text_lengths(&[(classes[0], &lens[0]), (classes[1], &lens[1])])
}
