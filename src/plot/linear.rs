//! The linear-model story: cross-validated F1 against C, regularization paths (L1 vs L2), and
//! the features a model leans on.

use super::{
    DrawResult, Figure, GRID, INK, KeyAxis, MUTED, NEGATIVE, POSITIVE, Swatch, WIDTH, bad_input,
    color, draw, extent, fmt_c, legend_strip, log_padded, log_tick, mesh, padded, text_style,
    text_width, thousands, tick, y_label_area,
};
use crate::error::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

/// Cross-validation scores of one model family (e.g. "L1") over a grid of C values.
#[derive(Debug, Clone, PartialEq)]
pub struct CvSeries {
    pub name: String,
    /// The C values, any order (drawn sorted).
    pub cs: Vec<f64>,
    /// `fold_scores[i]`: the score of each fold at `cs[i]`.
    pub fold_scores: Vec<Vec<f64>>,
}

impl CvSeries {
    pub fn new(name: impl Into<String>, cs: Vec<f64>, fold_scores: Vec<Vec<f64>>) -> CvSeries {
        CvSeries {
            name: name.into(),
            cs,
            fold_scores,
        }
    }

    /// Mean and (population) standard deviation over folds at each C.
    pub fn mean_std(&self) -> Vec<(f64, f64)> {
        self.fold_scores
            .iter()
            .map(|f| {
                let n = f.len().max(1) as f64;
                let m = f.iter().sum::<f64>() / n;
                let v = f.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n;
                (m, v.sqrt())
            })
            .collect()
    }

    /// Index of the best mean score (the smallest C among ties, as the search picks it).
    pub fn best(&self) -> Option<usize> {
        let ms = self.mean_std();
        let mut best: Option<usize> = None;
        for i in (0..ms.len()).filter(|&i| ms[i].0.is_finite()) {
            let better = match best {
                None => true,
                Some(b) => ms[i].0 > ms[b].0 || (ms[i].0 == ms[b].0 && self.cs[i] < self.cs[b]),
            };
            if better {
                best = Some(i);
            }
        }
        best
    }
}

/// A C-axis tick: powers of ten written as everywhere else C is ([`fmt_c`]: `0.1`, `1`, `1000`).
fn c_tick(v: f64) -> String {
    if log_tick(v).is_empty() {
        String::new()
    } else {
        fmt_c(v)
    }
}

/// Cross-validated score against C (log axis) for each series, with ±1 standard deviation
/// error bars across folds and the best C of each series marked.
///
/// ```
/// use textlab::plot::CvSeries;
/// let cs = vec![0.01, 0.1, 1.0, 10.0];
/// let l1 = CvSeries::new("L1", cs.clone(), vec![vec![0.5, 0.6], vec![0.8, 0.82], vec![0.93, 0.95], vec![0.9, 0.92]]);
/// let l2 = CvSeries::new("L2", cs, vec![vec![0.7, 0.72], vec![0.88, 0.9], vec![0.94, 0.95], vec![0.94, 0.96]]);
/// let fig = textlab::plot::c_sweep(&[l1, l2]).unwrap();
/// assert!(fig.svg().contains("L1 (best C = 1"));
/// ```
pub fn c_sweep(series: &[CvSeries]) -> Result<Figure> {
    if series.is_empty()
        || series
            .iter()
            .any(|s| s.cs.is_empty() || s.cs.len() != s.fold_scores.len())
    {
        return Err(bad_input(
            "c_sweep needs series with one list of fold scores per C",
        ));
    }
    if series
        .iter()
        .flat_map(|s| &s.cs)
        .any(|&c| !(c.is_finite() && c > 0.0))
    {
        return Err(bad_input(
            "c_sweep: every C must be positive (the axis is logarithmic)",
        ));
    }
    let (clo, chi) = extent(series.iter().flat_map(|s| s.cs.iter().copied())).unwrap_or((1.0, 1.0));
    let stats: Vec<Vec<(f64, f64)>> = series.iter().map(CvSeries::mean_std).collect();
    let (ylo, yhi) =
        extent(stats.iter().flatten().flat_map(|&(m, s)| [m - s, m + s])).unwrap_or((0.0, 1.0));
    let yr = padded(ylo.max(0.0), yhi.min(1.0));
    draw(
        "Cross-validated F1 against C",
        (WIDTH, 440),
        |area| -> DrawResult {
            let entries: Vec<(String, Swatch)> = series
                .iter()
                .zip(&stats)
                .enumerate()
                .map(|(i, (s, ms))| {
                    let label = match s.best() {
                        Some(b) => format!(
                            "{} (best C = {}: {:.3} ± {:.3})",
                            s.name,
                            fmt_c(s.cs[b]),
                            ms[b].0,
                            ms[b].1
                        ),
                        None => s.name.clone(),
                    };
                    (label, Swatch::Line(color(i), 2))
                })
                .collect();
            let area = legend_strip(area, &entries)?;
            let mut chart = ChartBuilder::on(&area)
                .margin(12)
                .x_label_area_size(46)
                .y_label_area_size(60)
                .build_cartesian_2d(log_padded(clo, chi).log_scale(), yr.clone())?;
            mesh!(chart)
                .x_label_formatter(&|v: &f64| c_tick(*v))
                .y_label_formatter(&|v: &f64| format!("{v:.2}"))
                .x_desc("C = 1 / regularization strength (log scale)")
                .y_desc("CV F1 (mean ± 1 sd over folds)")
                .draw()?;
            for (i, (s, ms)) in series.iter().zip(&stats).enumerate() {
                let col = color(i);
                let mut order: Vec<usize> = (0..s.cs.len()).collect();
                order.sort_by(|&a, &b| s.cs[a].total_cmp(&s.cs[b]));
                let line: Vec<(f64, f64)> = order.iter().map(|&k| (s.cs[k], ms[k].0)).collect();
                chart.draw_series(LineSeries::new(line.clone(), col.stroke_width(2)))?;
                chart.draw_series(line.iter().map(|&p| Circle::new(p, 3, col.filled())))?;
                // Error bars: a vertical line in data coordinates, caps 8 pixels wide.
                let style = col.stroke_width(1);
                let spread: Vec<(f64, f64, f64)> = order
                    .iter()
                    .filter(|&&k| ms[k].1 > 0.0)
                    .map(|&k| (s.cs[k], ms[k].0 - ms[k].1, ms[k].0 + ms[k].1))
                    .collect();
                chart.draw_series(
                    spread
                        .iter()
                        .map(|&(c, lo, hi)| PathElement::new(vec![(c, lo), (c, hi)], style)),
                )?;
                chart.draw_series(spread.iter().flat_map(|&(c, lo, hi)| {
                    [lo, hi].map(|y| {
                        EmptyElement::at((c, y)) + PathElement::new(vec![(-4, 0), (4, 0)], style)
                    })
                }))?;
                if let Some(b) = s.best() {
                    chart.draw_series(std::iter::once(Circle::new(
                        (s.cs[b], ms[b].0),
                        8,
                        col.stroke_width(2),
                    )))?;
                }
            }
            Ok(())
        },
    )
}

/// A regularization path: the coefficients of a model family fitted at each C.
#[derive(Debug, Clone, PartialEq)]
pub struct PathSeries {
    /// e.g. "L1" or "L2".
    pub name: String,
    /// Increasing C values.
    pub cs: Vec<f64>,
    /// (feature, coefficient at each C) for the features worth drawing.
    pub paths: Vec<(String, Vec<f64>)>,
    /// Number of non-zero coefficients at each C (over all features).
    pub nnz: Vec<usize>,
}

impl PathSeries {
    /// From the full coefficient matrix (`coefs[i][j]`: feature `j` at `cs[i]`): counts the
    /// non-zeros and keeps the `keep` features with the largest coefficient anywhere on the path.
    pub fn from_matrix(
        name: impl Into<String>,
        cs: Vec<f64>,
        features: &[String],
        coefs: &[Vec<f64>],
        keep: usize,
    ) -> PathSeries {
        let nnz = coefs
            .iter()
            .map(|w| w.iter().filter(|&&v| v != 0.0).count())
            .collect();
        let nf = features.len();
        let mut peak: Vec<(usize, f64)> = (0..nf)
            .map(|j| {
                (
                    j,
                    coefs
                        .iter()
                        .map(|w| w.get(j).copied().unwrap_or(0.0).abs())
                        .fold(0.0, f64::max),
                )
            })
            .collect();
        peak.sort_by(|a, b| b.1.total_cmp(&a.1));
        let paths = peak
            .iter()
            .take(keep)
            .filter(|(_, p)| *p > 0.0)
            .map(|&(j, _)| {
                (
                    features[j].clone(),
                    coefs
                        .iter()
                        .map(|w| w.get(j).copied().unwrap_or(0.0))
                        .collect(),
                )
            })
            .collect();
        PathSeries {
            name: name.into(),
            cs,
            paths,
            nnz,
        }
    }
}

/// Coefficient paths against C (one panel per series, the 6 largest features coloured and
/// named) above the number of non-zero coefficients against C for all series: L1 zeroes most
/// features at small C, L2 keeps them all.
pub fn regularization_path(series: &[PathSeries]) -> Result<Figure> {
    if series.is_empty() {
        return Err(bad_input("regularization_path needs at least one series"));
    }
    for s in series {
        if s.cs.is_empty()
            || s.nnz.len() != s.cs.len()
            || s.paths.iter().any(|(_, p)| p.len() != s.cs.len())
        {
            return Err(bad_input(format!(
                "regularization_path: series `{}` needs one value per C",
                s.name
            )));
        }
        if s.cs.iter().any(|&c| !(c.is_finite() && c > 0.0)) {
            return Err(bad_input(
                "regularization_path: every C must be positive (the axis is logarithmic)",
            ));
        }
    }
    const NAMED: usize = 6;
    let (clo, chi) = extent(series.iter().flat_map(|s| s.cs.iter().copied())).unwrap_or((1.0, 1.0));
    let xr = log_padded(clo, chi);
    draw("Regularization path", (WIDTH, 780), |area| -> DrawResult {
        let (top, bottom) = area.split_vertically(450);
        let panels = top.split_evenly((1, series.len()));
        for (s, panel) in series.iter().zip(&panels) {
            let (ylo, yhi) = extent(
                s.paths
                    .iter()
                    .flat_map(|(_, p)| p.iter().copied())
                    .chain([0.0]),
            )
            .unwrap_or((-1.0, 1.0));
            let short = |f: &str| -> String {
                if f.chars().count() > 18 {
                    f.chars().take(17).collect::<String>() + "…"
                } else {
                    f.to_string()
                }
            };
            let (caption, panel) = panel.split_vertically(24);
            caption.draw(&Text::new(
                format!("{} coefficients", s.name),
                (caption.dim_in_pixel().0 as i32 / 2, 4),
                text_style(15, INK, HPos::Center, VPos::Top),
            ))?;
            let entries: Vec<(String, Swatch)> = s
                .paths
                .iter()
                .take(NAMED)
                .enumerate()
                .map(|(k, (f, _))| (short(f), Swatch::Line(color(k), 2)))
                .collect();
            let panel = legend_strip(&panel, &entries)?;
            let yr = padded(ylo, yhi);
            let mut chart = ChartBuilder::on(&panel)
                .margin(8)
                .x_label_area_size(40)
                .y_label_area_size(y_label_area(&[
                    format!("{:.1}", yr.start),
                    format!("{:.1}", yr.end),
                ]))
                .build_cartesian_2d(xr.clone().log_scale(), yr)?;
            mesh!(chart)
                .x_label_formatter(&|v: &f64| c_tick(*v))
                .y_label_formatter(&|v: &f64| format!("{v:.1}"))
                .x_desc("C (log scale)")
                .y_desc("coefficient")
                .draw()?;
            chart.draw_series(LineSeries::new(
                s.cs.iter().map(|&c| (c, 0.0)),
                GRID.stroke_width(1),
            ))?;
            // Unnamed paths first, in grey, so the named ones stay on top.
            for (_, p) in s.paths.iter().skip(NAMED) {
                chart.draw_series(LineSeries::new(
                    s.cs.iter().copied().zip(p.iter().copied()),
                    MUTED.mix(0.35).stroke_width(1),
                ))?;
            }
            for (k, (_, p)) in s.paths.iter().take(NAMED).enumerate() {
                chart.draw_series(LineSeries::new(
                    s.cs.iter().copied().zip(p.iter().copied()),
                    color(k).stroke_width(2),
                ))?;
            }
        }
        let nmax = series
            .iter()
            .flat_map(|s| s.nnz.iter().copied())
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        let floor = 0.7;
        let entries: Vec<(String, Swatch)> = series
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let label = format!(
                    "{} ({} at C = {})",
                    s.name,
                    thousands(s.nnz.last().copied().unwrap_or(0)),
                    fmt_c(*s.cs.last().unwrap_or(&1.0))
                );
                (label, Swatch::Line(color(i), 2))
            })
            .collect();
        let (caption, bottom) = bottom.split_vertically(24);
        caption.draw(&Text::new(
            "Non-zero coefficients",
            (caption.dim_in_pixel().0 as i32 / 2, 4),
            text_style(15, INK, HPos::Center, VPos::Top),
        ))?;
        let bottom = legend_strip(&bottom, &entries)?;
        let mut chart = ChartBuilder::on(&bottom)
            .margin(8)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(xr.clone().log_scale(), log_padded(floor, nmax).log_scale())?;
        mesh!(chart)
            .x_label_formatter(&|v: &f64| c_tick(*v))
            .y_label_formatter(&|v: &f64| log_tick(*v))
            .x_desc("C (log scale)")
            .y_desc("non-zero (log scale)")
            .draw()?;
        for (i, s) in series.iter().enumerate() {
            let col = color(i);
            let pts: Vec<(f64, f64)> =
                s.cs.iter()
                    .copied()
                    .zip(s.nnz.iter().map(|&n| (n as f64).max(floor)))
                    .collect();
            chart.draw_series(LineSeries::new(pts.clone(), col.stroke_width(2)))?;
            chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, col.filled())))?;
        }
        Ok(())
    })
}

/// The `k` most positive and `k` most negative coefficients of a linear model as horizontal
/// bars: features pushing towards `classes[1]` on the right, towards `classes[0]` on the left.
///
/// ```
/// let w = [("free", 3.1), ("click", 2.4), ("meeting", -2.2), ("thanks", -1.5), ("the", 0.01)];
/// let fig = textlab::plot::top_features(&w, 2, ["ham", "spam"]).unwrap();
/// assert!(fig.svg().contains("meeting") && !fig.svg().contains(">the<"));
/// ```
pub fn top_features<S: AsRef<str>>(
    weights: &[(S, f64)],
    k: usize,
    classes: [&str; 2],
) -> Result<Figure> {
    let mut pos: Vec<(&str, f64)> = weights
        .iter()
        .filter(|w| w.1 > 0.0)
        .map(|(f, w)| (f.as_ref(), *w))
        .collect();
    let mut neg: Vec<(&str, f64)> = weights
        .iter()
        .filter(|w| w.1 < 0.0)
        .map(|(f, w)| (f.as_ref(), *w))
        .collect();
    pos.sort_by(|a, b| b.1.total_cmp(&a.1));
    neg.sort_by(|a, b| a.1.total_cmp(&b.1));
    pos.truncate(k);
    neg.truncate(k);
    // Top row first: the strongest positive, down to the strongest negative at the bottom.
    let rows: Vec<(&str, f64)> = pos
        .iter()
        .copied()
        .chain(neg.iter().rev().copied())
        .collect();
    if rows.is_empty() {
        return Err(bad_input("top_features: no non-zero weights"));
    }
    let n = rows.len();
    let (lo, hi) = extent(rows.iter().map(|r| r.1).chain([0.0])).unwrap_or((-1.0, 1.0));
    let span = hi - lo;
    let xr = (lo - 0.12 * span)..(hi + 0.12 * span);
    let label = |s: &str| {
        if s.chars().count() > 28 {
            s.chars().take(27).collect::<String>() + "…"
        } else {
            s.to_string()
        }
    };
    let label_w = rows
        .iter()
        .map(|r| text_width(&label(r.0), 12.0).ceil() as u32)
        .max()
        .unwrap_or(30)
        + 16;
    let height = (110 + 20 * n as u32).max(300);
    draw("Top features", (WIDTH, height), |area| -> DrawResult {
        let entries = [
            (format!("towards {}", classes[1]), Swatch::Box(POSITIVE)),
            (format!("towards {}", classes[0]), Swatch::Box(NEGATIVE)),
        ];
        let area = legend_strip(area, &entries)?;
        let mut chart = ChartBuilder::on(&area)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(label_w.clamp(60, 260))
            .build_cartesian_2d(xr.clone(), KeyAxis::slots(n))?;
        // y = n-1 is the top row.
        let names = |v: &f64| {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
                label(rows[n - 1 - i as usize].0)
            } else {
                String::new()
            }
        };
        mesh!(chart)
            .disable_y_mesh()
            .y_label_formatter(&names)
            .y_label_style(super::font(12.0).color(&INK))
            .x_label_formatter(&tick)
            .x_desc("coefficient (log-odds per unit of feature)")
            .draw()?;
        for (c, sign) in [(POSITIVE, 1.0), (NEGATIVE, -1.0)] {
            let bars = rows
                .iter()
                .enumerate()
                .filter(|(_, r)| r.1 * sign > 0.0)
                .map(|(i, r)| {
                    let y = (n - 1 - i) as f64;
                    Rectangle::new([(0.0, y - 0.36), (r.1, y + 0.36)], c.filled())
                });
            chart.draw_series(bars)?;
        }
        let values = rows.iter().enumerate().map(|(i, r)| {
            let y = (n - 1 - i) as f64;
            let (h, dx) = if r.1 > 0.0 {
                (HPos::Left, 4)
            } else {
                (HPos::Right, -4)
            };
            EmptyElement::at((r.1, y))
                + Text::new(
                    format!("{:.2}", r.1),
                    (dx, 0),
                    text_style(12, MUTED, h, VPos::Center),
                )
        });
        chart.draw_series(values)?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, -0.6), (0.0, n as f64 - 0.4)],
            INK.stroke_width(1),
        )))?;
        Ok(())
    })
}
