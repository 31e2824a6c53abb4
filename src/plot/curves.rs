//! ROC and precision-recall curves (several models on one chart) and the threshold sweep.

use super::{
    Area, DrawResult, Figure, HEIGHT, INK, MUTED, Swatch, WIDTH, bad_input, color, draw,
    legend_strip, mesh, thin,
};
use crate::error::Result;
use crate::metrics::{Evaluation, PrCurve, RocCurve, ThresholdSweep};
use plotters::prelude::*;
use std::ops::Range;

/// Most points drawn per curve (curves of big test sets have one point per distinct score).
const MAX_POINTS: usize = 1500;

/// ROC curves of several models on one chart, AUC in the legend, the chance diagonal dashed.
/// When every curve hugs the top-left corner (the usual case for a good classifier), a second
/// panel zooms into that corner, where the models actually differ.
///
/// ```
/// use textlab::metrics::RocCurve;
/// let a = RocCurve::new(&[0, 0, 1, 1], &[0.1, 0.4, 0.35, 0.8]).unwrap();
/// let b = RocCurve::new(&[0, 0, 1, 1], &[0.1, 0.2, 0.7, 0.8]).unwrap();
/// let fig = textlab::plot::roc_curves(&[("logreg", &a), ("roberta", &b)]).unwrap();
/// assert!(fig.svg().contains("roberta (AUC 1.000)"));
/// ```
pub fn roc_curves(models: &[(&str, &RocCurve)]) -> Result<Figure> {
    roc_sized(models, (WIDTH, 470))
}

/// [`roc_curves`] of evaluations, named by their `name`.
pub fn roc(evals: &[&Evaluation]) -> Result<Figure> {
    roc_curves(
        &evals
            .iter()
            .map(|e| (e.name.as_str(), &e.roc))
            .collect::<Vec<_>>(),
    )
}

/// Figures narrower than this have no room for a zoom panel.
const ZOOM_MIN_WIDTH: u32 = 600;

/// A curve panel: axes over `xr` x `yr`, the curves clipped to them.
struct Panel<'a> {
    xr: Range<f64>,
    yr: Range<f64>,
    x_desc: &'a str,
    y_desc: &'a str,
    caption: Option<&'a str>,
}

fn curve_panel(
    area: &Area,
    panel: &Panel,
    curves: &[Vec<(f64, f64)>],
    diagonal: bool,
) -> DrawResult {
    let mut b = ChartBuilder::on(area);
    b.margin(12).x_label_area_size(46).y_label_area_size(58);
    if let Some(c) = panel.caption {
        b.caption(c, super::font(14.0).color(&INK));
    }
    let mut chart = b.build_cartesian_2d(panel.xr.clone(), panel.yr.clone())?;
    mesh!(chart)
        .x_desc(panel.x_desc)
        .y_desc(panel.y_desc)
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&super::tick)
        .y_label_formatter(&super::tick)
        .draw()?;
    if diagonal {
        for part in clip(&[(0.0, 0.0), (1.0, 1.0)], &panel.xr, &panel.yr) {
            chart.draw_series(DashedLineSeries::new(part, 6, 5, MUTED.stroke_width(1)))?;
        }
    }
    for (i, pts) in curves.iter().enumerate() {
        for part in clip(pts, &panel.xr, &panel.yr) {
            chart.draw_series(LineSeries::new(part, color(i).stroke_width(2)))?;
        }
    }
    Ok(())
}

/// The square at `corner` (the (x, y) a perfect model reaches) to zoom into: the smallest of a
/// few round sizes that every curve enters deeply (within half its side of the corner), or
/// `None` when some curve stays away from the corner (the full view is then the informative one).
fn zoom(curves: &[Vec<(f64, f64)>], corner: (f64, f64)) -> Option<(Range<f64>, Range<f64>)> {
    let side = [0.05, 0.1, 0.2, 0.3, 0.5].into_iter().find(|&side| {
        curves.iter().all(|pts| {
            pts.iter().any(|&(x, y)| {
                (x - corner.0).abs() <= side / 2.0 && (y - corner.1).abs() <= side / 2.0
            })
        })
    })?;
    let xr = if corner.0 < 0.5 {
        -0.002..side
    } else {
        1.0 - side..1.002
    };
    Some((xr, 1.0 - side..1.002))
}

/// The parts of a polyline inside the box `xr` x `yr` (plotters does not clip lines to a chart).
fn clip(pts: &[(f64, f64)], xr: &Range<f64>, yr: &Range<f64>) -> Vec<Vec<(f64, f64)>> {
    let mut parts: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    for w in pts.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        // Liang-Barsky: the parameter interval of the segment inside the box.
        let (dx, dy) = (x1 - x0, y1 - y0);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        let mut visible = true;
        for (p, q) in [
            (-dx, x0 - xr.start),
            (dx, xr.end - x0),
            (-dy, y0 - yr.start),
            (dy, yr.end - y0),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    visible = false;
                }
            } else {
                let t = q / p;
                if p < 0.0 {
                    t0 = t0.max(t);
                } else {
                    t1 = t1.min(t);
                }
            }
        }
        if !visible || t0 > t1 {
            if cur.len() > 1 {
                parts.push(std::mem::take(&mut cur));
            }
            cur.clear();
            continue;
        }
        let a = (x0 + t0 * dx, y0 + t0 * dy);
        let b = (x0 + t1 * dx, y0 + t1 * dy);
        if cur.last() != Some(&a) {
            if cur.len() > 1 {
                parts.push(std::mem::take(&mut cur));
            }
            cur = vec![a];
        }
        cur.push(b);
        if t1 < 1.0 {
            parts.push(std::mem::take(&mut cur));
        }
    }
    if cur.len() > 1 {
        parts.push(cur);
    }
    parts
}

/// Legend strip, then the full panel and (when the curves hug `corner`) a zoom panel beside it.
fn curve_figure(
    title: &str,
    size: (u32, u32),
    entries: Vec<(String, Swatch)>,
    curves: Vec<Vec<(f64, f64)>>,
    (x_desc, y_desc): (&str, &str),
    corner: (f64, f64),
    diagonal: bool,
) -> Result<Figure> {
    let zoomed = if size.0 >= ZOOM_MIN_WIDTH {
        zoom(&curves, corner)
    } else {
        None
    };
    draw(title, size, |area| -> DrawResult {
        let area = legend_strip(area, &entries)?;
        let full = Panel {
            xr: -0.01..1.01,
            yr: -0.01..1.02,
            x_desc,
            y_desc,
            caption: None,
        };
        match &zoomed {
            None => curve_panel(&area, &full, &curves, diagonal),
            Some((xr, yr)) => {
                let (w, _) = area.dim_in_pixel();
                let (left, right) = area.split_horizontally(w * 53 / 100);
                let caption = format!(
                    "zoom: the {} corner",
                    if corner.0 < 0.5 {
                        "top-left"
                    } else {
                        "top-right"
                    }
                );
                curve_panel(
                    &left,
                    &Panel {
                        caption: Some("all thresholds"),
                        ..full
                    },
                    &curves,
                    diagonal,
                )?;
                let z = Panel {
                    xr: xr.clone(),
                    yr: yr.clone(),
                    x_desc,
                    y_desc,
                    caption: Some(&caption),
                };
                curve_panel(&right, &z, &curves, diagonal)
            }
        }
    })
}

pub(crate) fn roc_sized(models: &[(&str, &RocCurve)], size: (u32, u32)) -> Result<Figure> {
    if models.is_empty() {
        return Err(bad_input("roc_curves needs at least one curve"));
    }
    let mut entries = vec![("chance (AUC 0.5)".to_string(), Swatch::Dashed(MUTED))];
    let mut curves = Vec::with_capacity(models.len());
    for (i, (name, roc)) in models.iter().enumerate() {
        entries.push((
            format!("{name} (AUC {:.3})", roc.auc),
            Swatch::Line(color(i), 2),
        ));
        let pts: Vec<(f64, f64)> = roc
            .fpr
            .iter()
            .copied()
            .zip(roc.tpr.iter().copied())
            .collect();
        curves.push(thin(&pts, MAX_POINTS));
    }
    curve_figure(
        "ROC curve",
        size,
        entries,
        curves,
        ("false positive rate", "true positive rate"),
        (0.0, 1.0),
        true,
    )
}

/// Precision-recall curves of several models on one chart (steps, as average precision sums
/// them), average precision in the legend; a zoom panel on the top-right corner when every
/// curve reaches it.
pub fn pr_curves(models: &[(&str, &PrCurve)]) -> Result<Figure> {
    pr_sized(models, (WIDTH, 470))
}

/// [`pr_curves`] of evaluations, named by their `name`.
pub fn pr(evals: &[&Evaluation]) -> Result<Figure> {
    pr_curves(
        &evals
            .iter()
            .map(|e| (e.name.as_str(), &e.pr))
            .collect::<Vec<_>>(),
    )
}

pub(crate) fn pr_sized(models: &[(&str, &PrCurve)], size: (u32, u32)) -> Result<Figure> {
    if models.is_empty() {
        return Err(bad_input("pr_curves needs at least one curve"));
    }
    let mut entries = Vec::with_capacity(models.len());
    let mut curves = Vec::with_capacity(models.len());
    for (i, (name, pr)) in models.iter().enumerate() {
        entries.push((
            format!("{name} (AP {:.3})", pr.average_precision),
            Swatch::Line(color(i), 2),
        ));
        // Points by increasing recall; precision P_n holds on (R_{n-1}, R_n].
        let mut pts: Vec<(f64, f64)> = pr
            .recall
            .iter()
            .copied()
            .zip(pr.precision.iter().copied())
            .collect();
        pts.reverse();
        let mut steps = Vec::with_capacity(2 * pts.len());
        for (k, &(r, p)) in pts.iter().enumerate() {
            if k > 0 {
                steps.push((pts[k - 1].0, p));
            }
            steps.push((r, p));
        }
        curves.push(thin(&steps, 2 * MAX_POINTS));
    }
    curve_figure(
        "Precision-recall curve",
        size,
        entries,
        curves,
        ("recall", "precision"),
        (1.0, 1.0),
        false,
    )
}

/// Precision, recall and F1 against the decision threshold, with the chosen threshold marked
/// (`chosen`, or the sweep's F1-optimal threshold when `None`) and the default 0.5 dotted.
///
/// ```
/// use textlab::metrics::ThresholdSweep;
/// let s = ThresholdSweep::new(&[0, 0, 0, 1, 1], &[0.1, 0.2, 0.6, 0.7, 0.9]).unwrap();
/// let fig = textlab::plot::threshold_sweep(&s, None).unwrap();
/// assert!(fig.svg().contains("F1"));
/// ```
pub fn threshold_sweep(sweep: &ThresholdSweep, chosen: Option<f64>) -> Result<Figure> {
    let n = sweep.thresholds.len();
    if n == 0 || sweep.precision.len() != n || sweep.recall.len() != n || sweep.f1.len() != n {
        return Err(bad_input(
            "threshold_sweep needs equally long, non-empty threshold/precision/recall/f1",
        ));
    }
    let t = chosen.unwrap_or(sweep.best_threshold);
    // Metrics at cut t are those of the first swept threshold >= t (scores >= t are positive).
    let at = sweep
        .thresholds
        .iter()
        .position(|&th| th >= t)
        .unwrap_or(n - 1);
    let (lo, hi) = super::extent(sweep.thresholds.iter().copied().chain([t])).unwrap_or((0.0, 1.0));
    let xr = if lo >= 0.0 && hi <= 1.0 {
        -0.01..1.01
    } else {
        super::padded(lo, hi)
    };
    let colours = [color(0), color(1), color(2)];
    draw("Threshold sweep", (WIDTH, HEIGHT), |area| -> DrawResult {
        let marker = format!(
            "chosen {:.3}: P {:.3}, R {:.3}, F1 {:.3}",
            t, sweep.precision[at], sweep.recall[at], sweep.f1[at]
        );
        let entries = vec![
            ("precision".to_string(), Swatch::Line(colours[0], 2)),
            ("recall".to_string(), Swatch::Line(colours[1], 2)),
            ("F1".to_string(), Swatch::Line(colours[2], 3)),
            (marker, Swatch::Dashed(INK)),
        ];
        let area = legend_strip(area, &entries)?;
        let mut chart = ChartBuilder::on(&area)
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(52)
            .build_cartesian_2d(xr.clone(), -0.01..1.03)?;
        mesh!(chart)
            .x_desc("threshold on the positive-class score")
            .y_desc("score")
            .draw()?;
        if (xr.start..xr.end).contains(&0.5) && (t - 0.5).abs() > 1e-9 {
            chart.draw_series(DashedLineSeries::new(
                vec![(0.5, 0.0), (0.5, 1.0)],
                2,
                4,
                MUTED.stroke_width(1),
            ))?;
        }
        for (k, ys) in [&sweep.precision, &sweep.recall, &sweep.f1]
            .into_iter()
            .enumerate()
        {
            let pts: Vec<(f64, f64)> = sweep
                .thresholds
                .iter()
                .copied()
                .zip(ys.iter().copied())
                .collect();
            let width = if k == 2 { 3 } else { 2 };
            chart.draw_series(LineSeries::new(
                thin(&pts, MAX_POINTS),
                colours[k].stroke_width(width),
            ))?;
        }
        chart.draw_series(DashedLineSeries::new(
            vec![(t, 0.0), (t, 1.0)],
            6,
            4,
            INK.stroke_width(1),
        ))?;
        chart.draw_series(std::iter::once(Circle::new(
            (t, sweep.f1[at]),
            5,
            colours[2].filled(),
        )))?;
        Ok(())
    })
}
