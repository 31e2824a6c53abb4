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

impl Render for TransformerReport {
    fn html(&self) -> String {
        let s = &self.summary;
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
                ("device", self.device.clone()),
                (
                    "peak memory",
                    self.peak_memory_bytes.map_or("unknown".into(), bytes),
                ),
                (
                    "training time",
                    format!(
                        "{:.0} s (tokenizer {:.0} s; budget {:.0} min)",
                        self.train_seconds, self.tokenizer_seconds, self.budget_minutes
                    ),
                ),
                (
                    "throughput",
                    format!("{:.1} sequences/s", self.seq_per_second),
                ),
                (
                    "truncated to",
                    format!(
                        "{} tokens: {} train / {} val / {} test texts cut",
                        self.truncated.max_length,
                        fmt_count(self.truncated.train),
                        fmt_count(self.truncated.val),
                        fmt_count(self.truncated.test)
                    ),
                ),
            ],
        );
        let mut results = Table::new(&[
            "model",
            "precision",
            "recall",
            "F1",
            "accuracy",
            "training time",
        ])
        .caption("Test set");
        results.push(vec![
            Cell::text(&self.model).bold(),
            Cell::num(fmt3(self.precision)),
            Cell::num(fmt3(self.recall)),
            Cell::num(fmt3(self.f1)).bold(),
            Cell::num(fmt3(self.accuracy)),
            Cell::num(format!("{:.0} s", self.train_seconds)),
        ]);
        if let Some(a) = &self.random_init {
            results.push(vec![
                Cell::text(&a.name),
                Cell::num(fmt3(a.precision)),
                Cell::num(fmt3(a.recall)),
                Cell::num(fmt3(a.f1)),
                Cell::num(fmt3(a.accuracy)),
                Cell::num(format!("{:.0} s", a.train_seconds)),
            ]);
        }
        let mut notes = String::new();
        if let Some(g) = self.pretraining_gain_f1 {
            notes += &note(&format!("F1 gained by pretraining: {g:+.3}"));
        }
        notes += &note(&format!(
            "threshold {:.3} on P(class 1); support {}",
            self.threshold,
            fmt_count(self.support)
        ));
        if let Some(l) = &self.load_note {
            notes += &note(&l.to_string());
        }
        for n in &self.notes {
            notes += &note(n);
        }
        let mut figs = vec![figure_html(plot::transformer_training(self))];
        if let Some(p) = &self.pretraining {
            figs.push(note(&format!("MLM pretraining: {}", mlm_summary(p))));
            figs.push(figure_html(plot::mlm_loss(p)));
        }
        section(
            &format!("Transformer: {}", self.model),
            &format!(
                "{}{notes}{}{}{}",
                results.to_html(),
                flex(&[
                    model.to_html(),
                    memory_table(&self.memory_estimate).to_html()
                ]),
                figs.concat(),
                self.test.html()
            ),
        )
    }
    fn text(&self) -> String {
        self.to_string()
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

crate::rich_display!(
    FineTuneRun,
    MlmRun,
    MemoryEstimate,
    TransformerReport,
    BenchReport
);
