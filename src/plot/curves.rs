//! ROC and precision-recall curves (several models on one chart) and the threshold sweep.

use super::{
    DrawResult, Figure, HEIGHT, INK, MUTED, Swatch, WIDTH, bad_input, color, draw, legend,
    legend_strip, mesh, swatch_line, thin,
};
use crate::error::Result;
use crate::metrics::{Evaluation, PrCurve, RocCurve, ThresholdSweep};
use plotters::prelude::*;

/// Most points drawn per curve (curves of big test sets have one point per distinct score).
const MAX_POINTS: usize = 1500;

/// ROC curves of several models on one chart, AUC in the legend, the chance diagonal dashed.
///
/// ```
/// use textlab::metrics::RocCurve;
/// let a = RocCurve::new(&[0, 0, 1, 1], &[0.1, 0.4, 0.35, 0.8]).unwrap();
/// let b = RocCurve::new(&[0, 0, 1, 1], &[0.1, 0.2, 0.7, 0.8]).unwrap();
/// let fig = textlab::plot::roc_curves(&[("logreg", &a), ("roberta", &b)]).unwrap();
/// assert!(fig.svg().contains("roberta (AUC 1.000)"));
/// ```
pub fn roc_curves(models: &[(&str, &RocCurve)]) -> Result<Figure> {
    roc_sized(models, (600, 500))
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

pub(crate) fn roc_sized(models: &[(&str, &RocCurve)], size: (u32, u32)) -> Result<Figure> {
    if models.is_empty() {
        return Err(bad_input("roc_curves needs at least one curve"));
    }
    draw("ROC curve", size, |area| -> DrawResult {
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(52)
            .build_cartesian_2d(-0.01..1.01, -0.01..1.01)?;
        mesh!(chart)
            .x_desc("false positive rate")
            .y_desc("true positive rate")
            .draw()?;
        chart
            .draw_series(DashedLineSeries::new(
                vec![(0.0, 0.0), (1.0, 1.0)],
                6,
                5,
                MUTED.stroke_width(1),
            ))?
            .label("chance (AUC 0.5)")
            .legend(swatch_line(MUTED.stroke_width(1)));
        for (i, (name, roc)) in models.iter().enumerate() {
            let pts: Vec<(f64, f64)> = roc
                .fpr
                .iter()
                .copied()
                .zip(roc.tpr.iter().copied())
                .collect();
            let style = color(i).stroke_width(2);
            chart
                .draw_series(LineSeries::new(thin(&pts, MAX_POINTS), style))?
                .label(format!("{name} (AUC {:.3})", roc.auc))
                .legend(swatch_line(style));
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

/// Precision-recall curves of several models on one chart (steps, as average precision sums
/// them), average precision in the legend.
pub fn pr_curves(models: &[(&str, &PrCurve)]) -> Result<Figure> {
    pr_sized(models, (600, 500))
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
    draw("Precision-recall curve", size, |area| -> DrawResult {
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(52)
            .build_cartesian_2d(-0.01..1.01, -0.01..1.02)?;
        mesh!(chart).x_desc("recall").y_desc("precision").draw()?;
        for (i, (name, pr)) in models.iter().enumerate() {
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
            let style = color(i).stroke_width(2);
            chart
                .draw_series(LineSeries::new(thin(&steps, 2 * MAX_POINTS), style))?
                .label(format!("{name} (AP {:.3})", pr.average_precision))
                .legend(swatch_line(style));
        }
        legend(&mut chart, SeriesLabelPosition::LowerLeft)
    })
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
