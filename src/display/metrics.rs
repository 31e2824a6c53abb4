//! Metrics, curves and evaluations.

use super::*;

fn report_table(m: &Metrics) -> Table {
    let mut t = Table::new(&["", "precision", "recall", "f1-score", "support"]).caption(
        match m.threshold {
            Some(th) => format!("Classification report (threshold {th:.3})"),
            None => "Classification report".into(),
        },
    );
    for (name, c, strong) in [("0", &m.negative, false), ("1", &m.positive, true)] {
        let mut row = vec![
            Cell::text(name),
            Cell::num(format!("{:.3}", c.precision)),
            Cell::num(format!("{:.3}", c.recall)),
            Cell::num(format!("{:.3}", c.f1)),
            Cell::num(fmt_count(c.support)),
        ];
        if strong {
            row = row.into_iter().map(Cell::bold).collect();
        }
        t.push(row);
    }
    let n = m.confusion.total();
    let (p, q) = (&m.positive, &m.negative);
    let w = |a: f64, b: f64| {
        if n == 0 {
            0.0
        } else {
            (a * p.support as f64 + b * q.support as f64) / n as f64
        }
    };
    let sep = "border-top:1.5px solid rgba(128,128,128,0.45)";
    t.push(vec![
        Cell::text("accuracy").style(sep),
        Cell::num("").style(sep),
        Cell::num("").style(sep),
        Cell::num(format!("{:.3}", m.accuracy)).style(sep),
        Cell::num(fmt_count(n)).style(sep),
    ]);
    t.push(vec![
        Cell::text("macro avg"),
        Cell::num(format!("{:.3}", (p.precision + q.precision) / 2.0)),
        Cell::num(format!("{:.3}", (p.recall + q.recall) / 2.0)),
        Cell::num(format!("{:.3}", m.macro_f1)),
        Cell::num(fmt_count(n)),
    ]);
    t.push(vec![
        Cell::text("weighted avg"),
        Cell::num(format!("{:.3}", w(p.precision, q.precision))),
        Cell::num(format!("{:.3}", w(p.recall, q.recall))),
        Cell::num(format!("{:.3}", m.weighted_f1)),
        Cell::num(fmt_count(n)),
    ]);
    t
}

/// The confusion matrix as a heat-mapped table: counts, and the share of each true class.
fn confusion_table(c: &Confusion) -> Table {
    let m = c.matrix();
    let mut t = Table::new(&["true \\ predicted", "0", "1"]).caption("Confusion matrix");
    for (i, counts) in m.iter().enumerate() {
        let row_total: usize = counts.iter().sum();
        let mut cells = vec![Cell::text(i.to_string()).bold()];
        for &k in counts {
            let rate = if row_total == 0 {
                0.0
            } else {
                k as f64 / row_total as f64
            };
            let alpha = 0.06 + 0.55 * rate;
            cells.push(
                Cell::html(
                    format!(
                        "<div style=\"font-size:15px;font-weight:600\">{}</div><div style=\"{MUTED};font-size:11px\">{}</div>",
                        fmt_count(k),
                        fmt_pct(rate)
                    ),
                    format!("{} ({})", fmt_count(k), fmt_pct(rate)),
                )
                .align(Align::Center)
                .style(&format!("background:rgba(0,114,178,{alpha:.2});min-width:70px;padding:6px 12px")),
            );
        }
        t.push(cells);
    }
    t
}

impl Render for Confusion {
    fn html(&self) -> String {
        format!(
            "<div style=\"{BOX}\">{}{}</div>",
            confusion_table(self).to_html(),
            note("rows: true class; columns: predicted class; % of the true class")
        )
    }
    fn text(&self) -> String {
        confusion_table(self).to_text()
    }
}

impl Render for Metrics {
    fn html(&self) -> String {
        format!(
            "<div style=\"{BOX}\">{}</div>",
            flex(&[report_table(self).to_html(), self.confusion.html()])
        )
    }
    fn text(&self) -> String {
        let mut s = String::new();
        if let Some(th) = self.threshold {
            let _ = writeln!(s, "threshold {th:.3}");
        }
        s += &self.classification_report();
        s += "\n";
        s += &confusion_table(&self.confusion).to_text();
        s
    }
}

impl Render for RocCurve {
    fn html(&self) -> String {
        section(
            &format!("ROC curve: AUC {:.3}", self.auc),
            &figure_html(plot::roc_curves(&[("model", self)])),
        )
    }
    fn text(&self) -> String {
        format!("ROC curve: AUC {:.4} ({} points)", self.auc, self.fpr.len())
    }
}

impl Render for PrCurve {
    fn html(&self) -> String {
        section(
            &format!(
                "Precision-recall curve: average precision {:.3}",
                self.average_precision
            ),
            &figure_html(plot::pr_curves(&[("model", self)])),
        )
    }
    fn text(&self) -> String {
        format!(
            "Precision-recall curve: average precision {:.4} ({} points)",
            self.average_precision,
            self.recall.len()
        )
    }
}

impl Render for ThresholdSweep {
    fn html(&self) -> String {
        section(
            &format!(
                "Threshold sweep: best F1 {:.3} at threshold {:.3}",
                self.best_f1, self.best_threshold
            ),
            &format!(
                "{}{}",
                figure_html(plot::threshold_sweep(self, None)),
                note(
                    "choose the threshold on validation data, then apply it unchanged to the test set"
                )
            ),
        )
    }
    fn text(&self) -> String {
        let mut t = Table::new(&["threshold", "precision", "recall", "f1"]);
        let n = self.thresholds.len();
        for i in plot::thin(&(0..n).collect::<Vec<_>>(), 9) {
            t.push(vec![
                Cell::num(format!("{:.3}", self.thresholds[i])),
                Cell::num(fmt3(self.precision[i])),
                Cell::num(fmt3(self.recall[i])),
                Cell::num(fmt3(self.f1[i])),
            ]);
        }
        format!(
            "Threshold sweep: best F1 {:.4} at threshold {:.4} ({n} thresholds)\n{}",
            self.best_f1,
            self.best_threshold,
            t.to_text()
        )
    }
}

impl Render for Evaluation {
    fn html(&self) -> String {
        let small = (350, 330);
        let figs = flex(&[
            figure_html(plot::curves::roc_sized(
                &[(self.name.as_str(), &self.roc)],
                small,
            )),
            figure_html(plot::curves::pr_sized(
                &[(self.name.as_str(), &self.pr)],
                small,
            )),
        ]);
        section(
            &format!("Evaluation: {}", self.name),
            &format!(
                "{}{}{}",
                note(&format!(
                    "F1 {:.3} · accuracy {:.3} · ROC AUC {:.3} · average precision {:.3}",
                    self.metrics.f1(),
                    self.metrics.accuracy,
                    self.roc.auc,
                    self.pr.average_precision
                )),
                self.metrics.html(),
                figs
            ),
        )
    }
    fn text(&self) -> String {
        format!(
            "Evaluation: {}\nROC AUC {:.4}, average precision {:.4}\n{}",
            self.name,
            self.roc.auc,
            self.pr.average_precision,
            self.metrics.text()
        )
    }
}

crate::rich_display!(display: Confusion, Metrics, RocCurve, PrCurve, ThresholdSweep, Evaluation);
