//! Transformer results: fine-tuning, MLM pretraining, memory, benchmarks.

use super::*;

fn history_table(run: &FineTuneRun) -> Table {
    let mut t = Table::new(&[
        "epoch",
        "steps",
        "train loss",
        "val loss",
        "val F1",
        "val accuracy",
        "lr",
        "seconds",
    ]);
    for e in &run.history {
        let mut row = vec![
            Cell::num(e.epoch.to_string()),
            Cell::num(fmt_count(e.steps)),
            Cell::num(format!("{:.4}", e.train_loss)),
            Cell::num(format!("{:.4}", e.val_loss)),
            Cell::num(format!("{:.4}", e.val_f1)),
            Cell::num(format!("{:.4}", e.val_accuracy)),
            Cell::num(format!("{:.2e}", e.lr)),
            Cell::num(format!("{:.0}", e.seconds)),
        ];
        if e.epoch == run.best_epoch {
            row = row.into_iter().map(Cell::bold).collect();
        }
        t.push(row);
    }
    t
}

fn stop_reason(s: &crate::transformer::train::StopReason) -> &'static str {
    use crate::transformer::train::StopReason;
    match s {
        StopReason::Completed => "all epochs done",
        StopReason::EarlyStopped => "early (validation F1 stopped improving)",
        StopReason::Budget => "time budget reached",
    }
}

fn fine_tune_summary(run: &FineTuneRun) -> String {
    format!(
        "best epoch {} (val F1 {:.3}); {} steps, {} sequences at {:.1} seq/s; {:.0} s training, {:.0} s in all; stopped: {}",
        run.best_epoch,
        run.best_val_f1,
        fmt_count(run.steps),
        fmt_count(run.sequences),
        run.seq_per_second,
        run.train_seconds,
        run.total_seconds,
        stop_reason(&run.stop)
    )
}

impl Render for FineTuneRun {
    fn html(&self) -> String {
        let fig = plot::training_curves(
            &[plot::TrainingRun::from_fine_tune("fine-tuning", self)],
            "epoch",
        );
        section(
            "Fine-tuning",
            &format!(
                "{}{}{}",
                note(&fine_tune_summary(self)),
                history_table(self).to_html(),
                figure_html(fig)
            ),
        )
    }
    fn text(&self) -> String {
        format!(
            "Fine-tuning: {}\n{}",
            fine_tune_summary(self),
            history_table(self).to_text()
        )
    }
}

fn mlm_summary(run: &MlmRun) -> String {
    format!(
        "{} steps in {:.0} s ({:.1} seq/s, {} sequences); masked-token loss {:.2} → {:.2}",
        fmt_count(run.steps),
        run.seconds,
        run.seq_per_second,
        fmt_count(run.sequences),
        run.first_loss,
        run.last_loss
    )
}

impl Render for MlmRun {
    fn html(&self) -> String {
        section(
            "MLM pretraining",
            &format!(
                "{}{}",
                note(&mlm_summary(self)),
                figure_html(plot::mlm_loss(self))
            ),
        )
    }
    fn text(&self) -> String {
        format!("MLM pretraining: {}", mlm_summary(self))
    }
}

fn memory_table(m: &MemoryEstimate) -> Table {
    kv_table(
        "Memory estimate",
        vec![
            ("parameters", fmt_count(m.parameters)),
            ("weights", bytes(m.weights_bytes)),
            ("training state", bytes(m.training_state_bytes)),
            ("activations", bytes(m.activation_bytes)),
            ("total", bytes(m.total_bytes)),
        ],
    )
}

impl Render for MemoryEstimate {
    fn html(&self) -> String {
        format!(
            "<div style=\"{BOX}\">{}</div>",
            memory_table(self).to_html()
        )
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

/// The report's one view: HTML, text (the CLI) and Markdown all come from it.
fn transformer_panel(r: &TransformerReport) -> Panel {
    let s = &r.summary;
    let model = kv_table(
        "Model",
        vec![
            (
                "architecture",
                match s.arch {
                    crate::transformer::config::Arch::Roberta => "RoBERTa",
                    crate::transformer::config::Arch::Bert => "BERT",
                }
                .to_string(),
            ),
            (
                "size",
                format!(
                    "hidden {} × {} layers, {} heads, FFN {}",
                    s.hidden, s.layers, s.heads, s.intermediate
                ),
            ),
            ("vocabulary", fmt_count(s.vocab_size)),
            (
                "parameters",
                format!("{} ({})", fmt_count(s.parameters), bytes(s.model_bytes)),
            ),
            ("device", r.device.clone()),
            (
                "peak memory",
                r.peak_memory_bytes.map_or("unknown".into(), bytes),
            ),
            (
                "training time",
                format!(
                    "{:.0} s (tokenizer {:.0} s; {})",
                    r.train_seconds,
                    r.tokenizer_seconds,
                    r.budget_minutes
                        .map_or("stops on steps and epochs".into(), |b| {
                            format!("wall-clock cap {b} min")
                        })
                ),
            ),
            ("throughput", format!("{:.1} sequences/s", r.seq_per_second)),
            (
                "truncated to",
                format!(
                    "{} tokens: {} train / {} val / {} test texts cut",
                    r.truncated.max_length,
                    fmt_count(r.truncated.train),
                    fmt_count(r.truncated.val),
                    fmt_count(r.truncated.test)
                ),
            ),
        ],
    );
    let mut results = Table::new(&[
        "model",
        "fine-tuning steps",
        "precision",
        "recall",
        "F1 (95% interval)",
        "accuracy",
        "support",
        "training time",
    ])
    .caption("Test set");
    let arms = std::iter::once((&r.model, &r.test, &r.fine_tuning, r.train_seconds)).chain(
        r.random_init
            .iter()
            .map(|a| (&a.name, &a.test, &a.fine_tuning, a.cost.fit_seconds)),
    );
    for (i, (name, e, run, secs)) in arms.enumerate() {
        let m = &e.metrics;
        let mut name = Cell::text(name);
        if i == 0 {
            name = name.bold();
        }
        results.push(vec![
            name,
            Cell::num(fmt_count(run.steps)),
            Cell::num(fmt3(m.precision())),
            Cell::num(fmt3(m.recall())),
            Cell::num(crate::lab::claims::fmt_interval(&e.f1)),
            Cell::num(fmt3(m.accuracy)),
            Cell::num(fmt_count(m.support())),
            Cell::num(format!("{secs:.0} s")),
        ]);
    }
    let mut panel = Panel::new(format!("Transformer: {}", r.model)).table(results);
    if let Some(g) = &r.pretraining_gain {
        panel = panel.note(format!(
            "F1 gained by pretraining: {:+.3} (paired 95% interval {:+.3} to {:+.3})",
            g.estimate, g.low, g.high
        ));
    }
    panel = panel.note(format!("threshold {:.3} on P(class 1)", r.threshold));
    if let Some(l) = &r.load_note {
        panel = panel.note(l.to_string());
    }
    if let Some(p) = &r.saved_to {
        panel = panel.note(format!("saved to {p}"));
    }
    for n in &r.notes {
        panel = panel.note(format!("note: {n}"));
    }
    panel = panel
        .side_by_side(vec![model, memory_table(&r.memory_estimate)])
        .html_only(figure_html(r.training_figure()))
        .note(format!(
            "Fine-tuning: {}",
            fine_tune_summary(&r.fine_tuning)
        ))
        .table(history_table(&r.fine_tuning));
    if let Some(p) = &r.pretraining {
        panel = panel
            .note(format!(
                "MLM pretraining: {} ({} companion texts){}",
                mlm_summary(p),
                fmt_count(r.context_texts),
                if p.cut_by_budget {
                    ", cut short by the wall-clock cap"
                } else {
                    ""
                }
            ))
            .html_only(figure_html(plot::mlm_loss(p)));
    }
    panel.html_only(r.test.html())
}

impl Render for TransformerReport {
    fn html(&self) -> String {
        transformer_panel(self).to_html()
    }
    fn text(&self) -> String {
        transformer_panel(self).to_text()
    }
}

impl Render for BenchReport {
    fn html(&self) -> String {
        let mut t = Table::new(&[
            "shape",
            "parameters",
            "batch × seq",
            "ms / step",
            "seq / s",
            "memory (estimate)",
            "memory (measured peak)",
            "PyTorch ms / step",
            "ratio",
        ]);
        for s in &self.shapes {
            t.push(vec![
                Cell::text(&s.name),
                Cell::num(fmt_count(s.parameters)),
                Cell::num(format!("{} × {}", s.batch, s.seq_len)),
                Cell::num(format!("{:.1}", s.ms_per_step)),
                Cell::num(format!("{:.1}", s.seq_per_second)),
                Cell::num(bytes(s.estimated_bytes)),
                Cell::num(s.measured_bytes.map_or("n/a".into(), bytes)),
                Cell::num(
                    s.torch_ms_per_step
                        .map_or("n/a".into(), |v| format!("{v:.1}")),
                ),
                Cell::num(
                    s.ratio_vs_torch
                        .map_or("n/a".into(), |v| format!("{v:.2}×")),
                ),
            ]);
        }
        let torch = self.torch_note.as_deref().map(note).unwrap_or_default();
        section(
            &format!(
                "Training-step benchmark ({}, {} timed steps)",
                self.device, self.steps
            ),
            &format!("{}{torch}", t.to_html()),
        )
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

crate::rich_display!(FineTuneRun, MlmRun, MemoryEstimate, BenchReport);
crate::rich_display!(display: TransformerReport);

/// The training arguments as a table (what a tutorial shows before it trains).
fn options_table(o: &crate::lab::transformer::ValidTransformerOptions) -> Table {
    let tiny = o.model() == "tiny";
    let mut rows = vec![
        ("model", o.model().to_string()),
        ("max length (tokens)", o.max_length().to_string()),
        (
            "batch",
            format!(
                "{} x {} accumulated = {} per optimizer step",
                o.batch_size(),
                o.grad_accum(),
                o.batch_size() * o.grad_accum()
            ),
        ),
        ("fine-tuning epochs (every arm)", o.epochs().to_string()),
        (
            "peak learning rate",
            o.lr().map_or(
                if tiny {
                    "3e-4 (default)"
                } else {
                    "5e-5 (default)"
                }
                .into(),
                |l| format!("{l:e}"),
            ),
        ),
        ("seed", o.seed().to_string()),
        (
            "device",
            match o.device() {
                crate::transformer::device::DeviceChoice::Cpu => "cpu".to_string(),
                crate::transformer::device::DeviceChoice::Cuda(i) => format!("cuda:{i}"),
                crate::transformer::device::DeviceChoice::Metal(i) => format!("metal:{i}"),
                crate::transformer::device::DeviceChoice::Auto => "auto".to_string(),
            },
        ),
        (
            "threads",
            o.threads()
                .map_or("the cores this process may use".into(), |t| t.to_string()),
        ),
        (
            "wall-clock cap",
            o.budget_minutes()
                .map_or("none: stops on steps and epochs".into(), |b| {
                    format!("{b} min (reported if it cuts training)")
                }),
        ),
    ];
    if tiny {
        rows.extend([
            (
                "tiny size",
                format!(
                    "hidden {}, {} layers, {} heads, {} BPE tokens",
                    o.tiny().hidden,
                    o.tiny().layers,
                    o.tiny().heads,
                    o.tiny().vocab_size
                ),
            ),
            ("MLM pretraining steps", o.pretrain_steps().to_string()),
            (
                "pretrain on companion text",
                if o.pretrain_on_context() {
                    "yes (training rows only)"
                } else {
                    "no"
                }
                .into(),
            ),
            (
                "random-init arm",
                if o.compare_random_init() {
                    "yes, same fine-tuning steps"
                } else {
                    "no"
                }
                .into(),
            ),
        ]);
    }
    kv_table("Training arguments", rows)
}

impl Render for crate::lab::transformer::ValidTransformerOptions {
    fn html(&self) -> String {
        options_table(self).to_html()
    }
    fn text(&self) -> String {
        options_table(self).to_text()
    }
}

/// Unchecked settings show as their table when valid, else as the reason they are not.
impl Render for crate::lab::transformer::TransformerOptions {
    fn html(&self) -> String {
        match self.check_ref() {
            Ok(o) => o.html(),
            Err(e) => format!(
                "<p>invalid training arguments: {}</p>",
                escape(&e.to_string())
            ),
        }
    }
    fn text(&self) -> String {
        match self.check_ref() {
            Ok(o) => o.text(),
            Err(e) => format!("invalid training arguments: {e}\n"),
        }
    }
}

crate::rich_display!(
    crate::lab::transformer::TransformerOptions,
    crate::lab::transformer::ValidTransformerOptions
);
