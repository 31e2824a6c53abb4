//! Model comparison: quality and cost of each model side by side, as a figure and a table.

use super::{
    DrawResult, Figure, INK, MUTED, Swatch, WIDTH, bad_input, color, draw, legend_strip,
    log_padded, log_tick, mesh, text_style,
};
use crate::error::Result;
use crate::metrics::Evaluation;
use crate::view::{Cell, Table, fmt3};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

/// What the lab compares for each model. Costs are optional (unknown costs show as "n/a").
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelStats {
    pub name: String,
    /// Positive-class F1 on the test set.
    pub f1: f64,
    pub accuracy: f64,
    /// Wall-clock training time in seconds.
    pub train_secs: Option<f64>,
    /// Peak memory while training, in MB.
    pub memory_mb: Option<f64>,
    /// Size of the saved model, in MB.
    pub size_mb: Option<f64>,
}

impl ModelStats {
    pub fn new(name: impl Into<String>, f1: f64, accuracy: f64) -> ModelStats {
        ModelStats {
            name: name.into(),
            f1,
            accuracy,
            ..ModelStats::default()
        }
    }
    /// Name, F1 and accuracy of an evaluation.
    pub fn from_evaluation(e: &Evaluation) -> ModelStats {
        ModelStats::new(e.name.clone(), e.metrics.f1(), e.metrics.accuracy)
    }
    pub fn train_secs(mut self, s: f64) -> ModelStats {
        self.train_secs = Some(s);
        self
    }
    pub fn memory_mb(mut self, mb: f64) -> ModelStats {
        self.memory_mb = Some(mb);
        self
    }
    pub fn size_mb(mut self, mb: f64) -> ModelStats {
        self.size_mb = Some(mb);
        self
    }
}

/// One comparison panel: a title, a unit and how to read a model's value.
struct Metric {
    title: &'static str,
    get: fn(&ModelStats) -> Option<f64>,
    fmt: fn(f64) -> String,
    /// Scores live on [0, 1]; costs may span decades.
    score: bool,
}

fn fmt_secs(s: f64) -> String {
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else if s < 120.0 {
        format!("{s:.1} s")
    } else {
        format!("{:.1} min", s / 60.0)
    }
}

fn fmt_mb(mb: f64) -> String {
    if mb < 10.0 {
        format!("{mb:.2} MB")
    } else {
        format!("{mb:.0} MB")
    }
}

const METRICS: [Metric; 5] = [
    Metric {
        title: "F1 (positive class)",
        get: |m| Some(m.f1),
        fmt: fmt3,
        score: true,
    },
    Metric {
        title: "accuracy",
        get: |m| Some(m.accuracy),
        fmt: fmt3,
        score: true,
    },
    Metric {
        title: "training time, s",
        get: |m| m.train_secs,
        fmt: fmt_secs,
        score: false,
    },
    Metric {
        title: "peak memory",
        get: |m| m.memory_mb,
        fmt: fmt_mb,
        score: false,
    },
    Metric {
        title: "model size",
        get: |m| m.size_mb,
        fmt: fmt_mb,
        score: false,
    },
];

/// One small bar chart per measure (F1, accuracy, and whichever of training time, memory and
/// size are known), one colour per model, values written on the bars. Cost panels switch to a
/// log axis when the models differ by more than 30x.
///
/// ```
/// use textlab::plot::ModelStats;
/// let m = [
///     ModelStats::new("logreg L2", 0.94, 0.96).train_secs(3.2).size_mb(1.5),
///     ModelStats::new("roberta-tiny", 0.96, 0.97).train_secs(706.0).size_mb(6.0),
/// ];
/// let fig = textlab::plot::model_comparison(&m).unwrap();
/// assert!(fig.svg().contains("training time") && !fig.svg().contains("peak memory"));
/// ```
pub fn model_comparison(models: &[ModelStats]) -> Result<Figure> {
    if models.is_empty() {
        return Err(bad_input("model_comparison needs at least one model"));
    }
    let shown: Vec<&Metric> = METRICS
        .iter()
        .filter(|m| models.iter().any(|s| (m.get)(s).is_some()))
        .collect();
    let cols = shown.len().min(3);
    let rows = shown.len().div_ceil(cols);
    let entries: Vec<(String, Swatch)> = models
        .iter()
        .enumerate()
        .map(|(i, m)| (m.name.clone(), Swatch::Box(color(i))))
        .collect();
    let legend_lines = 1 + entries
        .iter()
        .map(|e| e.0.chars().count() * 7 + 44)
        .sum::<usize>()
        / (WIDTH as usize - 20);
    let height = 50 + 20 * legend_lines as u32 + 240 * rows as u32;
    draw("Model comparison", (WIDTH, height), |area| -> DrawResult {
        let area = legend_strip(area, &entries)?;
        let panels = area.split_evenly((rows, cols));
        let n = models.len();
        for (metric, panel) in shown.iter().zip(&panels) {
            let vals: Vec<Option<f64>> = models
                .iter()
                .map(|m| (metric.get)(m).filter(|v| v.is_finite()))
                .collect();
            let vmax = vals.iter().flatten().copied().fold(0.0, f64::max);
            let vmin_pos = vals
                .iter()
                .flatten()
                .copied()
                .filter(|&v| v > 0.0)
                .fold(f64::INFINITY, f64::min);
            let log = !metric.score && vmin_pos.is_finite() && vmax / vmin_pos > 30.0;
            let xr = -0.6..n as f64 - 0.4;
            let caption = super::font(14.0).color(&INK);
            let fmt = metric.fmt;
            let value_labels = |chart_vals: &[(usize, f64)]| {
                chart_vals
                    .iter()
                    .map(|&(i, v)| {
                        EmptyElement::at((i as f64, v))
                            + Text::new(
                                fmt(v),
                                (0, -3),
                                text_style(12, INK, HPos::Center, VPos::Bottom),
                            )
                    })
                    .collect::<Vec<_>>()
            };
            let known: Vec<(usize, f64)> = vals
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| (i, v)))
                .collect();
            let missing = vals
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_none())
                .map(|(i, _)| i);
            if log {
                // Bars start a whole decade below the smallest value, at a labelled power of
                // ten: a base just under the smallest bar (e.g. 1 s under 1.5 s) makes that
                // bar look like nothing.
                let decade = 10f64.powf(vmin_pos.log10().floor() - 1.0);
                // Just below the decade, so that its tick is inside the axis and labelled.
                let base = decade * 0.97;
                let yr = base..log_padded(vmin_pos, vmax).end * 3.0;
                let mut chart = ChartBuilder::on(panel)
                    .caption(format!("{} (log scale)", metric.title), caption)
                    .margin(8)
                    .x_label_area_size(8)
                    .y_label_area_size(50)
                    .build_cartesian_2d(xr.clone(), yr.log_scale())?;
                mesh!(chart)
                    .disable_x_mesh()
                    .disable_x_axis()
                    .y_label_formatter(&|v: &f64| log_tick(*v))
                    .draw()?;
                chart.draw_series(known.iter().map(|&(i, v)| {
                    Rectangle::new(
                        [(i as f64 - 0.35, base), (i as f64 + 0.35, v.max(base))],
                        color(i).filled(),
                    )
                }))?;
                chart.draw_series(value_labels(&known))?;
                chart.draw_series(missing.map(|i| {
                    EmptyElement::at((i as f64, base))
                        + Text::new(
                            "n/a",
                            (0, -4),
                            text_style(12, MUTED, HPos::Center, VPos::Bottom),
                        )
                }))?;
            } else {
                let top = if metric.score {
                    1.12
                } else {
                    vmax.max(1e-9) * 1.2
                };
                let mut chart = ChartBuilder::on(panel)
                    .caption(metric.title, caption)
                    .margin(8)
                    .x_label_area_size(8)
                    .y_label_area_size(50)
                    .build_cartesian_2d(xr.clone(), 0.0..top)?;
                mesh!(chart)
                    .disable_x_mesh()
                    .disable_x_axis()
                    .y_label_formatter(&super::tick)
                    .draw()?;
                chart.draw_series(known.iter().map(|&(i, v)| {
                    Rectangle::new(
                        [(i as f64 - 0.35, 0.0), (i as f64 + 0.35, v)],
                        color(i).filled(),
                    )
                }))?;
                chart.draw_series(value_labels(&known))?;
                chart.draw_series(missing.map(|i| {
                    EmptyElement::at((i as f64, 0.0))
                        + Text::new(
                            "n/a",
                            (0, -4),
                            text_style(12, MUTED, HPos::Center, VPos::Bottom),
                        )
                }))?;
            }
        }
        Ok(())
    })
}

/// A model comparison that displays as a table and the [`model_comparison`] figure together.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Comparison {
    pub models: Vec<ModelStats>,
}

impl Comparison {
    pub fn new(models: Vec<ModelStats>) -> Comparison {
        Comparison { models }
    }
    /// Add a model (builder style).
    pub fn with(mut self, m: ModelStats) -> Comparison {
        self.models.push(m);
        self
    }
    /// The comparison figure.
    pub fn figure(&self) -> Result<Figure> {
        model_comparison(&self.models)
    }
    /// The comparison table (best F1 in bold).
    pub fn table(&self) -> Table {
        let mut t = Table::new(&[
            "model",
            "F1",
            "accuracy",
            "training time",
            "peak memory",
            "model size",
        ]);
        let best = self
            .models
            .iter()
            .map(|m| m.f1)
            .fold(f64::NEG_INFINITY, f64::max);
        for m in &self.models {
            let na = |v: Option<f64>, f: fn(f64) -> String| v.map_or_else(|| "n/a".to_string(), f);
            let mut f1 = Cell::num(fmt3(m.f1));
            if m.f1 == best {
                f1 = f1.bold();
            }
            t.push(vec![
                Cell::text(&m.name),
                f1,
                Cell::num(fmt3(m.accuracy)),
                Cell::num(na(m.train_secs, fmt_secs)),
                Cell::num(na(m.memory_mb, fmt_mb)),
                Cell::num(na(m.size_mb, fmt_mb)),
            ]);
        }
        t
    }
}
