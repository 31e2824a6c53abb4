//! The confusion matrix as a heatmap.

use super::{DrawResult, Figure, INK, KeyAxis, draw, mesh, text_style, thousands};
use crate::error::Result;
use crate::metrics::Confusion;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

/// Colour of a cell whose row share is `rate` (white to dark blue).
fn heat(rate: f64) -> RGBColor {
    let (lo, hi) = ((247.0, 251.0, 255.0), (8.0, 48.0, 107.0));
    let t = rate.clamp(0.0, 1.0).powf(0.8);
    let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    RGBColor(mix(lo.0, hi.0), mix(lo.1, hi.1), mix(lo.2, hi.2))
}

/// A 2x2 heatmap: rows are the true class, columns the predicted class; each cell shows the count
/// and its share of the true class (the colour), with TN/FP/FN/TP in the corner.
///
/// ```
/// use textlab::metrics::Confusion;
/// let c = Confusion { tn: 900, fp: 12, fn_: 30, tp: 270 };
/// let fig = textlab::plot::confusion_matrix(&c, ["ham", "spam"]).unwrap();
/// assert!(fig.svg().contains("270"));
/// ```
pub fn confusion_matrix(c: &Confusion, classes: [&str; 2]) -> Result<Figure> {
    confusion_sized(c, classes, (520, 440))
}

pub(crate) fn confusion_sized(
    c: &Confusion,
    classes: [&str; 2],
    size: (u32, u32),
) -> Result<Figure> {
    let m = c.matrix();
    let title = format!("Confusion matrix (n = {})", thousands(c.total()));
    draw(&title, size, |area| -> DrawResult {
        let label_w = classes.iter().map(|s| s.chars().count()).max().unwrap_or(1) as u32 * 8 + 40;
        let mut chart = ChartBuilder::on(area)
            .margin(14)
            .x_label_area_size(48)
            .y_label_area_size(label_w.clamp(60, 200))
            .build_cartesian_2d(
                KeyAxis::new(0.0..2.0, vec![0.5, 1.5]),
                KeyAxis::new(0.0..2.0, vec![0.5, 1.5]),
            )?;
        // Row 0 (true class 0) is drawn on top, as sklearn prints it.
        let col_name = |v: &f64| classes[usize::from(*v > 1.0)].to_string();
        let row_name = |v: &f64| classes[usize::from(*v < 1.0)].to_string();
        mesh!(chart)
            .disable_mesh()
            .x_label_formatter(&col_name)
            .y_label_formatter(&row_name)
            .x_desc("predicted class")
            .y_desc("true class")
            .draw()?;
        let tags = [["TN", "FP"], ["FN", "TP"]];
        for (i, row) in m.iter().enumerate() {
            let total: usize = row.iter().sum();
            for (j, &k) in row.iter().enumerate() {
                let rate = if total == 0 {
                    0.0
                } else {
                    k as f64 / total as f64
                };
                let (x0, y0) = (j as f64, 1.0 - i as f64);
                let fill = heat(rate);
                let ink = if rate > 0.5 { WHITE } else { INK };
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x0, y0), (x0 + 1.0, y0 + 1.0)],
                    fill.filled(),
                )))?;
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x0, y0), (x0 + 1.0, y0 + 1.0)],
                    WHITE.stroke_width(2),
                )))?;
                let centre = (x0 + 0.5, y0 + 0.5);
                let cell = EmptyElement::at(centre)
                    + Text::new(
                        thousands(k),
                        (0, -4),
                        text_style(26, ink, HPos::Center, VPos::Bottom).into_font_bold(),
                    )
                    + Text::new(
                        format!("{:.1}% of true {}", 100.0 * rate, classes[i]),
                        (0, 8),
                        text_style(13, ink, HPos::Center, VPos::Top),
                    );
                chart.draw_series(std::iter::once(cell))?;
                chart.draw_series(std::iter::once(
                    EmptyElement::at((x0, y0 + 1.0))
                        + Text::new(
                            tags[i][j],
                            (8, 8),
                            text_style(12, ink, HPos::Left, VPos::Top),
                        ),
                ))?;
            }
        }
        Ok(())
    })
}

trait Bold {
    fn into_font_bold(self) -> Self;
}

impl Bold for TextStyle<'static> {
    fn into_font_bold(mut self) -> Self {
        self.font = self.font.style(FontStyle::Bold);
        self
    }
}
