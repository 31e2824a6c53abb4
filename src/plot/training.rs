//! Training curves: loss and validation F1 against step or epoch, for one or several runs.

use super::{
    DrawResult, Figure, INK, Swatch, WIDTH, bad_input, color, draw, extent, legend_strip, mesh,
    padded, text_style,
};
use crate::error::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

/// The logged history of one training run, as (x, value) points where x is the step or epoch.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrainingRun {
    /// e.g. "from scratch" or "after MLM pretraining".
    pub name: String,
    /// Training loss per step (or epoch).
    pub loss: Vec<(f64, f64)>,
    /// Validation F1 where it was measured.
    pub val_f1: Vec<(f64, f64)>,
}

impl TrainingRun {
    pub fn new(name: impl Into<String>) -> TrainingRun {
        TrainingRun {
            name: name.into(),
            ..TrainingRun::default()
        }
    }
    pub fn loss(mut self, points: Vec<(f64, f64)>) -> TrainingRun {
        self.loss = points;
        self
    }
    pub fn val_f1(mut self, points: Vec<(f64, f64)>) -> TrainingRun {
        self.val_f1 = points;
        self
    }
}

/// Exponential moving average over about `n / 25` points (bias-corrected at the start).
fn smooth(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let w = (points.len() / 25).max(1) as f64;
    let a = 2.0 / (w + 1.0);
    let (mut m, mut norm) = (0.0, 0.0);
    points
        .iter()
        .map(|&(x, y)| {
            m = (1.0 - a) * m + a * y;
            norm = (1.0 - a) * norm + a;
            (x, m / norm)
        })
        .collect()
}

/// Training loss (left) and validation F1 (right, when any run has it) against `x_label`
/// ("step" or "epoch"). Noisy per-step losses are drawn faint with a smoothed line on top; the
/// best validation F1 of each run is marked.
///
/// ```
/// use textlab::plot::TrainingRun;
/// let run = TrainingRun::new("roberta-tiny")
///     .loss((0..100).map(|s| (s as f64, 1.0 / (1.0 + s as f64 / 10.0))).collect())
///     .val_f1(vec![(25.0, 0.7), (50.0, 0.85), (75.0, 0.9), (100.0, 0.89)]);
/// let fig = textlab::plot::training_curves(&[run], "step").unwrap();
/// assert!(fig.svg().contains("validation F1"));
/// ```
pub fn training_curves(runs: &[TrainingRun], x_label: &str) -> Result<Figure> {
    if runs
        .iter()
        .all(|r| r.loss.is_empty() && r.val_f1.is_empty())
    {
        return Err(bad_input(
            "training_curves needs at least one run with logged points",
        ));
    }
    let all_x = runs
        .iter()
        .flat_map(|r| r.loss.iter().chain(&r.val_f1).map(|p| p.0));
    let (xlo, xhi) = extent(all_x).unwrap_or((0.0, 1.0));
    let xr = padded(xlo, xhi);
    let has_loss = runs.iter().any(|r| !r.loss.is_empty());
    let has_val = runs.iter().any(|r| !r.val_f1.is_empty());
    draw("Training curves", (WIDTH, 400), |area| -> DrawResult {
        // One legend for both panels: a run has the same colour in each.
        let entries: Vec<(String, Swatch)> = runs
            .iter()
            .enumerate()
            .map(|(i, r)| (r.name.clone(), Swatch::Line(color(i), 2)))
            .collect();
        let area = legend_strip(area, &entries)?;
        let panels = area.split_evenly((1, usize::from(has_loss) + usize::from(has_val)));
        let mut panel = panels.iter();
        if has_loss {
            let p = panel.next().ok_or("no panel")?;
            let (lo, hi) =
                extent(runs.iter().flat_map(|r| r.loss.iter().map(|p| p.1))).unwrap_or((0.0, 1.0));
            let mut chart = ChartBuilder::on(p)
                .caption("training loss", super::font(15.0).color(&INK))
                .margin(8)
                .x_label_area_size(46)
                .y_label_area_size(58)
                .build_cartesian_2d(
                    xr.clone(),
                    padded(lo.min(0.0).max(lo - (hi - lo) * 0.05), hi),
                )?;
            mesh!(chart)
                .x_desc(x_label)
                .y_desc("loss")
                .x_label_formatter(&super::tick)
                .y_label_formatter(&super::tick)
                .draw()?;
            for (i, r) in runs.iter().enumerate().filter(|(_, r)| !r.loss.is_empty()) {
                let col = color(i);
                let noisy = r.loss.len() > 30;
                if noisy {
                    chart.draw_series(LineSeries::new(
                        super::thin(&r.loss, 2000),
                        col.mix(0.25).stroke_width(1),
                    ))?;
                }
                let line = if noisy {
                    smooth(&r.loss)
                } else {
                    r.loss.clone()
                };
                chart.draw_series(LineSeries::new(
                    super::thin(&line, 2000),
                    col.stroke_width(2),
                ))?;
            }
        }
        if has_val {
            let p = panel.next().ok_or("no panel")?;
            let (lo, hi) = extent(runs.iter().flat_map(|r| r.val_f1.iter().map(|p| p.1)))
                .unwrap_or((0.0, 1.0));
            let yr = padded(lo.max(0.0), hi.min(1.0));
            let mut chart = ChartBuilder::on(p)
                .caption("validation F1", super::font(15.0).color(&INK))
                .margin(8)
                .x_label_area_size(46)
                .y_label_area_size(58)
                .build_cartesian_2d(xr.clone(), yr.start..(yr.end + (yr.end - yr.start) * 0.08))?;
            mesh!(chart)
                .x_desc(x_label)
                .y_desc("F1")
                .x_label_formatter(&super::tick)
                .y_label_formatter(&|v: &f64| format!("{v:.2}"))
                .draw()?;
            for (i, r) in runs
                .iter()
                .enumerate()
                .filter(|(_, r)| !r.val_f1.is_empty())
            {
                let col = color(i);
                chart.draw_series(LineSeries::new(r.val_f1.clone(), col.stroke_width(2)))?;
                chart.draw_series(r.val_f1.iter().map(|&p| Circle::new(p, 3, col.filled())))?;
                if let Some(&(bx, by)) = r
                    .val_f1
                    .iter()
                    .filter(|p| p.1.is_finite())
                    .max_by(|a, b| a.1.total_cmp(&b.1))
                {
                    chart.draw_series(std::iter::once(
                        EmptyElement::at((bx, by))
                            + Circle::new((0, 0), 7, col.stroke_width(2))
                            + Text::new(
                                format!("{by:.3}"),
                                (0, -10),
                                text_style(12, col, HPos::Center, VPos::Bottom),
                            ),
                    ))?;
                }
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoothing_keeps_a_constant() {
        let pts: Vec<(f64, f64)> = (0..100).map(|i| (i as f64, 2.0)).collect();
        assert!(smooth(&pts).iter().all(|p| (p.1 - 2.0).abs() < 1e-12));
    }
}
