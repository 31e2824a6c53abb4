//! The lab's experiments and the main job.

use super::*;
use crate::lab::{ClassicRow, Finding, ThresholdChoice, Verdict};

/// A value's own text in a monospace block (for small reports whose text is already a table).
fn pre(text: &str) -> String {
    format!(
        "<pre style=\"font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;margin:4px 0;\
white-space:pre-wrap;color:inherit;background:transparent\">{}</pre>",
        escape(text.trim_end())
    )
}

pub(crate) fn classic_table(r: &ClassicReport) -> Table {
    rows_table(&r.rows, Some(r.best))
}

/// The results table of classic rows; `best` (chosen on validation) is bold.
fn rows_table(rows: &[ClassicRow], best: Option<usize>) -> Table {
    let mut t = Table::new(&[
        "stage",
        "penalty",
        "C",
        "balancing",
        "threshold",
        "val F1",
        "precision",
        "recall",
        "F1 (95% interval)",
        "accuracy",
        "support",
        "non-zero",
        "fit s",
    ])
    .caption("validation F1 chooses; the test columns only report");
    for (i, row) in rows.iter().enumerate() {
        let m = &row.test.metrics;
        let mut cells = vec![
            Cell::text(row.stage()),
            Cell::text(&row.penalty),
            Cell::num(plot::fmt_c(row.c)),
            Cell::text(&row.balancing),
            Cell::num(format!("{:.3}", row.threshold)),
            Cell::num(row.val_f1.map_or("n/a".into(), fmt3)),
            Cell::num(fmt3(m.precision())),
            Cell::num(fmt3(m.recall())),
            Cell::num(crate::lab::claims::fmt_interval(&row.test.f1)),
            Cell::num(fmt3(m.accuracy)),
            Cell::num(fmt_count(m.support())),
            Cell::num(fmt_count(row.cost.parameters)),
            Cell::num(format!("{:.2}", row.model.fit_seconds)),
        ];
        if Some(i) == best {
            cells = cells.into_iter().map(Cell::bold).collect();
            cells[0] = Cell::text(format!("{} (best on validation)", row.stage())).bold();
        }
        t.push(cells);
    }
    t
}

impl Render for ClassicReport {
    fn html(&self) -> String {
        let best = self.best();
        section(
            &format!(
                "Classic models: {} chosen on validation (test F1 {:.3})",
                best.stage(),
                best.test.metrics.f1()
            ),
            &format!(
                "{}{}{}",
                note(&format!(
                    "{} training texts, {} TF-IDF features ({:.2} s); the row with the best validation F1 is the chosen model",
                    fmt_count(self.n_train),
                    fmt_count(self.n_features),
                    self.tfidf_seconds
                )),
                classic_table(self).to_html(),
                note(&self.threshold.text()),
            ),
        )
    }
    fn text(&self) -> String {
        format!(
            "{}{} training texts, {} TF-IDF features ({:.2}s)\n{}\n",
            classic_table(self).to_text(),
            self.n_train,
            self.n_features,
            self.tfidf_seconds,
            self.threshold.text()
        )
    }
}

impl Render for ClassicRow {
    fn html(&self) -> String {
        let m = &self.test.metrics;
        let mut t = rows_table(std::slice::from_ref(self), None).to_html();
        if let Some(b) = &self.balance {
            t += &b.html();
        }
        section(
            &format!(
                "{}: test F1 {} with {} of {} positives found",
                self.stage(),
                crate::lab::claims::fmt_interval(&self.test.f1),
                fmt_count(m.confusion.tp),
                fmt_count(m.support())
            ),
            &t,
        )
    }
    fn text(&self) -> String {
        rows_table(std::slice::from_ref(self), None).to_text()
    }
}

impl Render for ThresholdChoice {
    fn html(&self) -> String {
        section(
            "Decision threshold (chosen on validation)",
            &format!(
                "{}{}",
                note(&self.text()),
                figure_html(plot::threshold_sweep(
                    &self.sweep,
                    Some(self.best_threshold)
                ))
            ),
        )
    }
    fn text(&self) -> String {
        let g = &self.gain;
        if self.moved {
            format!(
                "{}: the threshold moves from 0.5 to {:.3}: validation F1 gains {:+.3} (paired 95% interval {:+.3} to {:+.3}, above the noise).",
                self.base, self.best_threshold, g.estimate, g.low, g.high
            )
        } else {
            format!(
                "{}: the threshold stays at 0.5: the best cut on validation ({:.3}) gains {:+.3} F1, within the noise (paired 95% interval {:+.3} to {:+.3}).",
                self.base, self.sweep.best_threshold, g.estimate, g.low, g.high
            )
        }
    }
}

impl Render for Verdict {
    fn html(&self) -> String {
        section("Comparison on the test split", &note(&self.sentence()))
    }
    fn text(&self) -> String {
        self.sentence()
    }
}

impl Render for Finding {
    fn html(&self) -> String {
        section(
            &format!("\"{}\": {}", self.claim, self.status()),
            &note(&self.verdict.sentence()),
        )
    }
    fn text(&self) -> String {
        self.sentence()
    }
}

crate::rich_display!(display: ClassicRow, ThresholdChoice, Verdict, Finding);

impl Render for RunResult {
    fn html(&self) -> String {
        let mut t = Table::new(&["corpus", "rows", "positive", "positive rate"]);
        for s in [&self.corpus, &self.train, &self.val, &self.test] {
            t.push(vec![
                Cell::text(&s.name),
                Cell::num(fmt_count(s.rows)),
                Cell::num(fmt_count(s.positives)),
                Cell::num(fmt_pct(s.positive_ratio)),
            ]);
        }
        let cmp = self.comparison();
        let files = self
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        section(
            &format!("Lab run ({:.0} s)", self.seconds),
            &format!(
                "{}{}{}{}",
                t.to_html(),
                cmp.html(),
                classic_table(&self.classic).to_html(),
                if files.is_empty() {
                    String::new()
                } else {
                    note(&format!("wrote: {files}"))
                }
            ),
        )
    }
    fn text(&self) -> String {
        format!(
            "Lab run ({:.0} s)\n{}\n{}",
            self.seconds,
            self.comparison().text(),
            self.classic
        )
    }
}

/// Training memory by sequence length (rows) and batch size (columns), shaded by size.
pub(crate) fn memory_table(m: &MemoryTable) -> Table {
    let mut header = vec!["seq len \\ batch".to_string()];
    header.extend(m.batches.iter().map(|b| b.to_string()));
    let mut t = Table::new(&header);
    let max = m
        .estimates
        .iter()
        .flatten()
        .map(|e| e.total_bytes)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    for (i, l) in m.seq_lens.iter().enumerate() {
        let mut row = vec![Cell::text(l.to_string()).bold()];
        for e in &m.estimates[i] {
            let alpha = 0.05 + 0.5 * (e.total_bytes as f64 / max).sqrt();
            row.push(
                Cell::num(bytes(e.total_bytes))
                    .style(&format!("background:rgba(213,94,0,{alpha:.2})")),
            );
        }
        t.push(row);
    }
    t
}

impl Render for MemoryTable {
    fn html(&self) -> String {
        let t = memory_table(self);
        section(
            &format!(
                "Training memory: {} ({} parameters)",
                self.model,
                fmt_count(self.parameters)
            ),
            &t.to_html(),
        )
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

impl Render for ComputeInfo {
    fn html(&self) -> String {
        section("Compute", &pre(&self.to_string()))
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

impl Render for AccumulationPlan {
    fn html(&self) -> String {
        section("Gradient accumulation", &note(&self.to_string()))
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

impl Render for ClassicBench {
    fn html(&self) -> String {
        section("Classic benchmark", &pre(&self.to_string()))
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

crate::rich_display!(display: ClassicReport);
crate::rich_display!(
    RunResult,
    MemoryTable,
    ComputeInfo,
    AccumulationPlan,
    ClassicBench
);

fn throughput_table(tp: &Throughput) -> Table {
    let mut t = Table::new(&[
        "batch",
        "ms / step",
        "sequences / s",
        "memory (estimate)",
        "memory (measured peak)",
    ])
    .caption(format!(
        "{} at {} tokens, {}",
        tp.model, tp.seq_len, tp.device
    ));
    for p in &tp.points {
        t.push(vec![
            Cell::num(p.batch.to_string()),
            Cell::num(format!("{:.1}", p.ms_per_step)),
            Cell::num(format!("{:.1}", p.seq_per_second)),
            Cell::num(bytes(p.estimated_bytes)),
            Cell::num(p.measured_bytes.map_or("n/a".into(), bytes)),
        ]);
    }
    t
}

impl Render for Throughput {
    fn html(&self) -> String {
        throughput_table(self).to_html()
    }
    fn text(&self) -> String {
        throughput_table(self).to_text()
    }
}

fn error_table(e: &ErrorAnalysis) -> Table {
    let mut t = Table::new(&["kind", "row", "true label", "P(positive)", "text"]).caption(format!(
        "{}: {} false positives, {} false negatives at threshold {:.3} (most confident first)",
        e.model, e.n_false_positives, e.n_false_negatives, e.threshold
    ));
    for (kind, cases) in [
        ("false positive", &e.false_positives),
        ("false negative", &e.false_negatives),
    ] {
        for c in cases {
            t.push(vec![
                Cell::text(kind),
                Cell::num(c.row.to_string()),
                Cell::num(c.label.to_string()),
                Cell::num(format!("{:.3}", c.score)),
                Cell::long_text(&c.text.replace('\n', " "), 160),
            ]);
        }
    }
    t
}

impl Render for ErrorAnalysis {
    fn html(&self) -> String {
        error_table(self).to_html()
    }
    fn text(&self) -> String {
        error_table(self).to_text()
    }
}

impl Render for Comparison {
    fn html(&self) -> String {
        let fig = match self.figure() {
            Ok(f) => f.html(),
            Err(e) => note(&e.to_string()),
        };
        section(
            "Model comparison",
            &format!("{}{fig}", self.table().to_html()),
        )
    }
    fn text(&self) -> String {
        format!("Model comparison\n{}", self.table().to_text())
    }
}

crate::rich_display!(display: Throughput, ErrorAnalysis, Comparison);

/// The results table of saved models: every cost column filled where it was measured.
fn results_table(models: &[&crate::lab::ModelResult]) -> Table {
    let mut t = Table::new(&[
        "model",
        "val F1",
        "precision",
        "recall",
        "F1 (95% interval)",
        "accuracy",
        "support",
        "fit s",
        "search s",
        "peak memory",
        "weights",
        "size",
    ]);
    for m in models {
        let e = &m.test.metrics;
        t.push(vec![
            Cell::text(&m.name),
            Cell::num(m.val_f1.map_or("n/a".into(), fmt3)),
            Cell::num(fmt3(e.precision())),
            Cell::num(fmt3(e.recall())),
            Cell::num(crate::lab::claims::fmt_interval(&m.test.f1)),
            Cell::num(fmt3(e.accuracy)),
            Cell::num(fmt_count(e.support())),
            Cell::num(format!("{:.1}", m.cost.fit_seconds)),
            Cell::num(format!("{:.1}", m.cost.search_seconds)),
            Cell::num(
                m.cost
                    .peak_memory_bytes
                    .map_or("not measured".into(), bytes),
            ),
            Cell::num(fmt_count(m.cost.parameters)),
            Cell::num(bytes(m.cost.size_bytes)),
        ]);
    }
    t
}

impl Render for crate::lab::ModelResult {
    fn html(&self) -> String {
        results_table(&[self]).to_html()
    }
    fn text(&self) -> String {
        results_table(&[self]).to_text()
    }
}

impl Render for crate::lab::ResultsFile {
    fn html(&self) -> String {
        section(
            "Saved results",
            &results_table(&self.models.iter().collect::<Vec<_>>()).to_html(),
        )
    }
    fn text(&self) -> String {
        results_table(&self.models.iter().collect::<Vec<_>>()).to_text()
    }
}

impl crate::lab::ErrorOverlap {
    fn sentence(&self) -> String {
        format!(
            "On {} test texts: both wrong on {}, only {} wrong on {}, only {} wrong on {}, both right on {}. {:.0}% of {}'s mistakes are also {}'s.",
            fmt_count(self.rows),
            fmt_count(self.both_wrong),
            self.first,
            fmt_count(self.only_first_wrong),
            self.second,
            fmt_count(self.only_second_wrong),
            fmt_count(self.both_right),
            100.0 * self.shared_share(),
            self.first,
            self.second
        )
    }
}

impl Render for crate::lab::ErrorOverlap {
    fn html(&self) -> String {
        let mut t = Table::new(&[
            String::new(),
            format!("{} right", self.second),
            format!("{} wrong", self.second),
        ]);
        t.push(vec![
            Cell::text(format!("{} right", self.first)).bold(),
            Cell::num(fmt_count(self.both_right)),
            Cell::num(fmt_count(self.only_second_wrong)),
        ]);
        t.push(vec![
            Cell::text(format!("{} wrong", self.first)).bold(),
            Cell::num(fmt_count(self.only_first_wrong)),
            Cell::num(fmt_count(self.both_wrong)),
        ]);
        section(
            "Where the two models' errors overlap",
            &format!("{}{}", t.to_html(), note(&self.sentence())),
        )
    }
    fn text(&self) -> String {
        self.sentence()
    }
}

impl crate::lab::Conclusion {
    fn sentences(&self) -> Vec<String> {
        let mut v: Vec<String> = self.findings.iter().map(Finding::sentence).collect();
        // "Only slightly better": is this run's margin compatible with the report's?
        if let Some(f) = self
            .findings
            .iter()
            .find(|f| f.claim.contains("transformer beat"))
        {
            let d = &f.verdict.difference;
            let m = crate::lab::results::REPORT_TRANSFORMER_MARGIN;
            v.push(if d.low > m {
                format!(
                    "The report called the transformer only slightly better (+{m:.3} F1); here the margin is {:+.3} ({:+.3} to {:+.3}), larger than that: \"only slightly\" does not hold.",
                    d.estimate, d.low, d.high
                )
            } else if d.high < m {
                format!(
                    "The report called the transformer slightly better (+{m:.3} F1); here the margin is {:+.3} ({:+.3} to {:+.3}), below that.",
                    d.estimate, d.low, d.high
                )
            } else {
                format!(
                    "The report's margin (+{m:.3} F1) lies inside this run's interval ({:+.3} to {:+.3}): \"only slightly better\" is consistent with this test set.",
                    d.low, d.high
                )
            });
        }
        if let (Some(r), Some(c), Some(t)) = (self.cost_ratio, &self.classic, &self.transformer) {
            v.push(format!(
                "Cost: {} took {:.0} s to obtain against {:.1} s for {} (search included): {:.0}x. Memory: {} against {}; weights: {} against {}.",
                t.name,
                t.cost.total_seconds(),
                c.cost.total_seconds(),
                c.name,
                r,
                t.cost.peak_memory_bytes.map_or("not measured".into(), bytes),
                c.cost.peak_memory_bytes.map_or("not measured".into(), bytes),
                bytes(t.cost.size_bytes),
                bytes(c.cost.size_bytes)
            ));
        }
        v
    }
}

impl Render for crate::lab::Conclusion {
    fn html(&self) -> String {
        let models: Vec<&crate::lab::ModelResult> =
            self.classic.iter().chain(&self.transformer).collect();
        let mut body = results_table(&models).to_html();
        body += "<ul style=\"margin:6px 0;padding-left:20px\">";
        for s in self.sentences() {
            body += &format!("<li>{}</li>", escape(&s));
        }
        body += "</ul>";
        section("Conclusion, computed from the saved results", &body)
    }
    fn text(&self) -> String {
        self.sentences().join("\n")
    }
}

crate::rich_display!(
    display: crate::lab::ModelResult,
    crate::lab::ResultsFile,
    crate::lab::ErrorOverlap,
    crate::lab::Conclusion
);

fn predictions_table(p: &crate::lab::Predictions) -> Table {
    let mut t = Table::new(&["text", "P(positive)", "predicted"])
        .caption(format!("{} (threshold {:.3})", p.model, p.threshold));
    for ((text, prob), label) in p.rows.iter().zip(p.labels()) {
        t.push(vec![
            Cell::long_text(text, 120),
            Cell::num(format!("{prob:.3}")),
            Cell::text(label).bold(),
        ]);
    }
    t
}

impl Render for crate::lab::Predictions {
    fn html(&self) -> String {
        predictions_table(self).to_html()
    }
    fn text(&self) -> String {
        predictions_table(self).to_text()
    }
}

crate::rich_display!(display: crate::lab::Predictions);

impl Render for crate::lab::Takeaways {
    fn html(&self) -> String {
        let mut body = String::from("<ul style=\"margin:4px 0;padding-left:20px\">");
        for p in &self.points {
            body += &format!("<li>{}</li>", escape(p));
        }
        section(&self.title, &(body + "</ul>"))
    }
    fn text(&self) -> String {
        let mut s = self.title.clone();
        for p in &self.points {
            s += "\n- ";
            s += p;
        }
        s
    }
}

crate::rich_display!(display: crate::lab::Takeaways);
