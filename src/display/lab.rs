//! The lab's experiments and the main job.

use super::*;
use crate::lab::{ClassicRow, Finding, ThresholdChoice, Verdict};

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

fn memory_table_panel(m: &MemoryTable) -> Panel {
    Panel::new(format!(
        "Training memory: {} ({} parameters, f32, AdamW)",
        m.model,
        fmt_count(m.parameters)
    ))
    .table(memory_table(m))
}

fn compute_panel(c: &ComputeInfo) -> Panel {
    let gpu = |built: bool, avail: bool| match (built, avail) {
        (false, _) => "not built (enable the feature)",
        (true, false) => "built, no device found",
        (true, true) => "available",
    };
    let mut rows = vec![
        ("system", format!("{} / {}", c.os, c.arch)),
        (
            "CPU",
            format!(
                "{} logical CPUs, {} compute threads",
                c.logical_cpus, c.compute_threads
            ),
        ),
        ("SIMD", c.cpu_features.join(" ")),
    ];
    if let Some(m) = c.total_memory_bytes {
        rows.push(("memory", bytes(m)));
    }
    rows.extend([
        ("CUDA", gpu(c.cuda_built, c.cuda_available).to_string()),
        ("Metal", gpu(c.metal_built, c.metal_available).to_string()),
        ("--device auto would use", c.best_device().to_string()),
    ]);
    Panel::new("Compute").table(kv_table("", rows))
}

fn accumulation_panel(a: &AccumulationPlan) -> Panel {
    Panel::new("Gradient accumulation").note(accumulation_sentence(a))
}

/// The plan as one sentence, for the panel and for running text (the lab report).
pub(crate) fn accumulation_sentence(a: &AccumulationPlan) -> String {
    format!(
        "{} at {} tokens: batch {} needs {} (limit {}); micro-batch {} x {} accumulation steps needs {} and gives the same effective batch{}",
        a.model,
        a.seq_len,
        a.effective_batch,
        bytes(a.full_batch_bytes),
        bytes(a.limit_bytes),
        a.micro_batch,
        a.accumulation_steps,
        bytes(a.micro_batch_bytes),
        if a.fits() {
            ""
        } else {
            " (even batch 1 does not fit: shorten sequences or use a smaller model)"
        }
    )
}

/// A time ratio (ours / the anchor's) said the way that reads: "12.5x faster" or "2.3x slower";
/// "-" without an anchor.
fn speed(time_ratio: Option<f64>) -> String {
    match time_ratio {
        None => "-".to_string(),
        Some(r) if r <= 1.0 => format!("{:.1}x faster", 1.0 / r.max(1e-9)),
        Some(r) => format!("{r:.1}x slower"),
    }
}

fn classic_bench_panel(b: &ClassicBench) -> Panel {
    let s = b.sklearn.as_ref();
    let num =
        |v: Option<f64>, p: usize| Cell::num(v.map_or("-".to_string(), |x| format!("{x:.p$}")));
    let mut t = Table::new(&["", "textlab", "sklearn", "ratio"]);
    t.push(vec![
        Cell::text("features"),
        Cell::num(b.n_features.to_string()),
        Cell::num(s.map_or("-".into(), |s| s.n_features.to_string())),
        Cell::text(""),
    ]);
    t.push(vec![
        Cell::text("TF-IDF fit_transform (s)"),
        num(Some(b.tfidf_seconds), 3),
        num(s.map(|s| s.tfidf_seconds), 3),
        Cell::num(speed(b.tfidf_time_ratio())),
    ]);
    t.push(vec![
        Cell::text("L1 fit C=10 balanced (s)"),
        num(Some(b.l1_fit_seconds), 3),
        num(s.map(|s| s.l1_fit_seconds), 3),
        Cell::num(speed(b.l1_time_ratio())),
    ]);
    t.push(vec![
        Cell::text("L1 objective"),
        num(Some(b.l1_objective), 6),
        num(s.map(|s| s.l1_objective), 6),
        Cell::text(""),
    ]);
    t.push(vec![
        Cell::text("L1 nnz"),
        Cell::num(b.l1_nnz.to_string()),
        Cell::num(s.map_or("-".into(), |s| s.l1_nnz.to_string())),
        Cell::text(""),
    ]);
    t.push(vec![
        Cell::text("L1 test F1 (thr 0.5)"),
        num(Some(b.l1_test_f1), 4),
        num(s.map(|s| s.l1_test_f1), 4),
        Cell::text(""),
    ]);
    let mut notes = Vec::new();
    if let Some(g) = &b.grid {
        t.push(vec![
            Cell::text("grid best (5-fold CV F1)"),
            Cell::num(&g.ours_best),
            Cell::num(&g.sklearn_best),
            Cell::text(""),
        ]);
        t.push(vec![
            Cell::text("grid best CV F1"),
            num(Some(g.ours_cv_f1), 4),
            num(Some(g.sklearn_cv_f1), 4),
            Cell::text(""),
        ]);
        t.push(vec![
            Cell::text("grid best test F1"),
            num(Some(g.ours_test_f1), 4),
            num(Some(g.sklearn_test_f1), 4),
            Cell::num(format!("{:+.4}", g.ours_test_f1 - g.sklearn_test_f1)),
        ]);
        t.push(vec![
            Cell::text("grid search (s)"),
            num(Some(g.ours_seconds), 1),
            num(Some(g.sklearn_seconds), 1),
            Cell::num(speed(Some(g.time_ratio()))),
        ]);
    } else if b.sklearn.is_some() {
        notes.push("(grid comparison: add --grid)".to_string());
    }
    notes.push(b.note.clone());
    notes.into_iter().fold(
        Panel::new(format!(
            "Classic benchmark: {} train / {} test texts, best of {} runs",
            b.n_train, b.n_test, b.repeats
        ))
        .table(t),
        Panel::note,
    )
}

panel_render!(
    MemoryTable => memory_table_panel,
    ComputeInfo => compute_panel,
    AccumulationPlan => accumulation_panel,
    ClassicBench => classic_bench_panel,
);
crate::rich_display!(display: MemoryTable, ComputeInfo, AccumulationPlan, ClassicBench);

crate::rich_display!(display: ClassicReport);
crate::rich_display!(RunResult);

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

#[cfg(test)]
mod tests {
    use super::speed;

    #[test]
    fn speed_reads_as_faster_or_slower() {
        assert_eq!(speed(Some(0.25)), "4.0x faster");
        assert_eq!(speed(Some(2.26)), "2.3x slower");
        assert_eq!(speed(Some(1.0)), "1.0x faster");
        assert_eq!(speed(None), "-");
    }
}
