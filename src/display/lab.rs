//! The lab's experiments and the main job.

use super::*;

/// A value's own text in a monospace block (for small reports whose text is already a table).
fn pre(text: &str) -> String {
    format!(
        "<pre style=\"font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;margin:4px 0;\
white-space:pre-wrap;color:inherit;background:transparent\">{}</pre>",
        escape(text.trim_end())
    )
}

pub(crate) fn classic_table(r: &ClassicReport) -> Table {
    let mut t = Table::new(&[
        "stage",
        "penalty",
        "C",
        "balancing",
        "threshold",
        "precision",
        "recall",
        "F1",
        "accuracy",
        "support",
        "non-zero",
        "fit s",
    ]);
    for (i, row) in r.rows.iter().enumerate() {
        let mut cells = vec![
            Cell::text(&row.stage),
            Cell::text(&row.penalty),
            Cell::num(plot::fmt_c(row.c)),
            Cell::text(&row.balancing),
            Cell::num(format!("{:.3}", row.threshold)),
            Cell::num(fmt3(row.precision)),
            Cell::num(fmt3(row.recall)),
            Cell::num(fmt3(row.f1)),
            Cell::num(fmt3(row.accuracy)),
            Cell::num(fmt_count(row.support)),
            Cell::num(fmt_count(row.nnz)),
            Cell::num(format!("{:.2}", row.fit_seconds)),
        ];
        if i == r.best {
            cells = cells.into_iter().map(Cell::bold).collect();
            cells[0] = Cell::text(format!("{} (best)", row.stage)).bold();
        }
        t.push(cells);
    }
    t
}

impl Render for ClassicReport {
    fn html(&self) -> String {
        let evals: Vec<&Evaluation> = self.evaluations.iter().collect();
        let names: Vec<(&str, &RocCurve)> =
            evals.iter().map(|e| (e.name.as_str(), &e.roc)).collect();
        let prs: Vec<(&str, &PrCurve)> = evals.iter().map(|e| (e.name.as_str(), &e.pr)).collect();
        let small = (350, 330);
        let curves = if evals.is_empty() {
            String::new()
        } else {
            flex(&[
                figure_html(plot::curves::roc_sized(&names, small)),
                figure_html(plot::curves::pr_sized(&prs, small)),
            ])
        };
        let best = self.best();
        section(
            &format!(
                "Classic models: best {} (test F1 {:.3})",
                best.stage, best.f1
            ),
            &format!(
                "{}{}{}{}{}",
                note(&format!(
                    "{} training texts, {} TF-IDF features ({:.2} s); test-set numbers, threshold chosen on validation data",
                    fmt_count(self.n_train),
                    fmt_count(self.n_features),
                    self.tfidf_seconds
                )),
                classic_table(self).to_html(),
                figure_html(plot::search(&self.search)),
                curves,
                figure_html(plot::features(&self.top_features, CLASSES)),
            ),
        )
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

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
        let cmp = plot::Comparison::from_run(self);
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
            plot::Comparison::from_run(self).text(),
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

crate::rich_display!(
    ClassicReport,
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
