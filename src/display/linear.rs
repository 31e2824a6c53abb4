//! Balancing and linear models: fits, top features, searches, regularization paths.

use super::*;

impl Render for BalanceReport {
    fn html(&self) -> String {
        let mut t = Table::new(&["", "class 0", "class 1", "positive rate"]);
        for (what, c) in [("before", self.before), ("after", self.after)] {
            t.push(vec![
                Cell::text(what),
                Cell::num(fmt_count(c[0])),
                Cell::num(fmt_count(c[1])),
                Cell::num(fmt_pct(c[1] as f64 / (c[0] + c[1]).max(1) as f64)),
            ]);
        }
        let weights = match self.class_weight {
            Some([w0, w1]) => note(&format!(
                "loss weights: class 0 × {w0:.3}, class 1 × {w1:.3}"
            )),
            None => String::new(),
        };
        section(
            &format!("Balancing: {} (seed {})", self.method, self.seed),
            &format!(
                "{}{weights}{}",
                t.to_html(),
                figure_html(plot::balance(self, CLASSES))
            ),
        )
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

impl Render for Balanced {
    fn html(&self) -> String {
        self.report.html()
    }
    fn text(&self) -> String {
        format!(
            "{} rows × {} features\n{}",
            fmt_count(self.x.n_rows),
            fmt_count(self.x.n_cols),
            self.report
        )
    }
}

impl Render for LogRegModel {
    fn html(&self) -> String {
        let status = if self.converged {
            format!("{} (converged)", self.n_iter)
        } else {
            format!("{} (NOT converged: raise max_iter)", self.n_iter)
        };
        let t = kv_table(
            "",
            vec![
                ("penalty", self.penalty.to_string()),
                ("C", plot::fmt_c(self.c)),
                (
                    "class weights",
                    format!("{:.4} / {:.4}", self.class_weight[0], self.class_weight[1]),
                ),
                (
                    "non-zero weights",
                    format!(
                        "{} of {} ({})",
                        fmt_count(self.nnz),
                        fmt_count(self.coef.len()),
                        fmt_pct(self.nnz as f64 / self.coef.len().max(1) as f64)
                    ),
                ),
                ("intercept", format!("{:.4}", self.intercept)),
                ("objective", format!("{:.6}", self.objective)),
                ("iterations", status),
                (
                    "fit time",
                    format!(
                        "{:.3} s on {} examples",
                        self.fit_seconds,
                        fmt_count(self.n_samples)
                    ),
                ),
            ],
        );
        section("Logistic regression", &t.to_html())
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

impl Render for TopFeatures {
    fn html(&self) -> String {
        let list = |caption: &str, v: &[(String, f64)]| {
            let mut t = Table::new(&["term", "weight"]).caption(caption);
            for (f, w) in v {
                t.push(vec![Cell::text(f), Cell::num(format!("{w:.3}"))]);
            }
            t.to_html()
        };
        section(
            "Top features",
            &format!(
                "{}{}",
                flex(&[
                    list("towards class 1", &self.positive),
                    list("towards class 0", &self.negative)
                ]),
                figure_html(plot::features(self, CLASSES))
            ),
        )
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

fn search_table(r: &SearchResults, max_rows: usize) -> Table {
    let mut t = Table::new(&[
        "rank",
        "penalty",
        "C",
        "balancing",
        "mean F1",
        "± sd",
        "mean nnz",
        "seconds",
    ]);
    for (rank, row) in r.ranked().into_iter().take(max_rows).enumerate() {
        let mut cells = vec![
            Cell::num((rank + 1).to_string()),
            Cell::text(row.penalty.to_string()),
            Cell::num(plot::fmt_c(row.c)),
            Cell::text(row.balancing.to_string()),
            Cell::num(format!("{:.4}", row.mean_f1)),
            Cell::num(format!("{:.4}", row.std_f1)),
            Cell::num(format!("{:.0}", row.mean_nnz)),
            Cell::num(format!("{:.2}", row.seconds)),
        ];
        if !row.converged {
            cells[7] =
                Cell::num(format!("{:.2} (not converged)", row.seconds)).style("color:#c0392b");
        }
        if rank == 0 {
            cells = cells.into_iter().map(Cell::bold).collect();
        }
        t.push(cells);
    }
    t
}

impl Render for SearchResults {
    fn html(&self) -> String {
        let b = self.best();
        let shown = self.rows.len().min(12);
        section(
            &format!(
                "Cross-validated search: best {} C = {} {} (F1 {:.3} ± {:.3})",
                b.penalty,
                plot::fmt_c(b.c),
                b.balancing,
                b.mean_f1,
                b.std_f1
            ),
            &format!(
                "{}{}{}",
                note(&format!(
                    "{}-fold CV over {} settings in {:.1} s (seed {}); top {shown} by mean F1",
                    self.folds,
                    self.rows.len(),
                    self.seconds,
                    self.seed
                )),
                search_table(self, shown).to_html(),
                figure_html(plot::search(self))
            ),
        )
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

impl Render for RegPath {
    fn html(&self) -> String {
        let mut header = vec!["C", "non-zero", "train F1"];
        if self.val_f1.is_some() {
            header.push("val F1");
        }
        header.extend(["iterations", "seconds"]);
        let mut t = Table::new(&header);
        for k in 0..self.cs.len() {
            let mut row = vec![
                Cell::num(plot::fmt_c(self.cs[k])),
                Cell::num(fmt_count(self.nnz[k])),
                Cell::num(format!("{:.4}", self.train_f1[k])),
            ];
            if let Some(v) = &self.val_f1 {
                row.push(Cell::num(format!("{:.4}", v[k])));
            }
            row.push(Cell::num(
                self.n_iter
                    .get(k)
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
            ));
            row.push(Cell::num(
                self.seconds
                    .get(k)
                    .map(|s| format!("{s:.2}"))
                    .unwrap_or_default(),
            ));
            t.push(row);
        }
        section(
            &format!("Regularization path ({})", self.penalty),
            &format!("{}{}", figure_html(plot::reg_paths(&[self])), t.to_html()),
        )
    }
    fn text(&self) -> String {
        self.to_string()
    }
}

crate::rich_display!(
    BalanceReport,
    LogRegModel,
    TopFeatures,
    SearchResults,
    RegPath
);
crate::rich_display!(display: Balanced);
