//! Balancing and linear models: fits, top features, searches, regularization paths.

use super::*;

fn balance_panel(r: &BalanceReport) -> Panel {
    {
        let mut t = Table::new(&["", "class 0", "class 1", "positive rate"]);
        for (what, c) in [("before", r.before), ("after", r.after)] {
            t.push(vec![
                Cell::text(what),
                Cell::num(fmt_count(c[0])),
                Cell::num(fmt_count(c[1])),
                Cell::num(fmt_pct(c[1] as f64 / (c[0] + c[1]).max(1) as f64)),
            ]);
        }
        let mut p = Panel::new(format!("Balancing: {} (seed {})", r.method, r.seed)).table(t);
        if let Some([w0, w1]) = r.class_weight {
            p = p.note(format!(
                "loss weights: class 0 × {w0:.3}, class 1 × {w1:.3}"
            ));
        }
        p.html_only(figure_html(plot::balance(r, CLASSES)))
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

fn logreg_panel(m: &LogRegModel) -> Panel {
    {
        let status = if m.converged {
            format!("{} (converged)", m.n_iter)
        } else {
            format!("{} (NOT converged: raise max_iter)", m.n_iter)
        };
        let t = kv_table(
            "",
            vec![
                ("penalty", m.penalty.to_string()),
                ("C", plot::fmt_c(m.c)),
                (
                    "class weights",
                    format!("{:.4} / {:.4}", m.class_weight[0], m.class_weight[1]),
                ),
                (
                    "non-zero weights",
                    format!(
                        "{} of {} ({})",
                        fmt_count(m.nnz),
                        fmt_count(m.coef.len()),
                        fmt_pct(m.nnz as f64 / m.coef.len().max(1) as f64)
                    ),
                ),
                ("intercept", format!("{:.4}", m.intercept)),
                ("objective", format!("{:.6}", m.objective)),
                ("iterations", status),
                (
                    "fit time",
                    format!(
                        "{:.3} s on {} examples",
                        m.fit_seconds,
                        fmt_count(m.n_samples)
                    ),
                ),
            ],
        );
        Panel::new("Logistic regression").table(t)
    }
}

fn top_features_panel(f: &TopFeatures) -> Panel {
    let list = |caption: &str, v: &[(String, f64)]| {
        let mut t = Table::new(&["term", "weight"]).caption(caption);
        for (f, w) in v {
            t.push(vec![Cell::text(f), Cell::num(format!("{w:.3}"))]);
        }
        t
    };
    Panel::new("Top features")
        .side_by_side(vec![
            list("towards class 1", &f.positive),
            list("towards class 0", &f.negative),
        ])
        .html_only(figure_html(plot::features(f, CLASSES)))
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

fn search_panel(r: &SearchResults) -> Panel {
    let b = r.best();
    let shown = r.rows.len().min(12);
    Panel::new(format!(
        "Cross-validated search: best {} C = {} {} (F1 {:.3} ± {:.3})",
        b.penalty,
        plot::fmt_c(b.c),
        b.balancing,
        b.mean_f1,
        b.std_f1
    ))
    .note(format!(
        "{}-fold CV over {} settings in {:.1} s (seed {}); top {shown} by mean F1",
        r.folds,
        r.rows.len(),
        r.seconds,
        r.seed
    ))
    .table(search_table(r, shown))
    .html_only(figure_html(plot::search(r)))
}

fn reg_path_panel(p: &RegPath) -> Panel {
    {
        let mut header = vec!["C", "non-zero", "train F1"];
        if p.val_f1.is_some() {
            header.push("val F1");
        }
        header.extend(["iterations", "seconds"]);
        let mut t = Table::new(&header);
        for k in 0..p.cs.len() {
            let mut row = vec![
                Cell::num(plot::fmt_c(p.cs[k])),
                Cell::num(fmt_count(p.nnz[k])),
                Cell::num(format!("{:.4}", p.train_f1[k])),
            ];
            if let Some(v) = &p.val_f1 {
                row.push(Cell::num(format!("{:.4}", v[k])));
            }
            row.push(Cell::num(
                p.n_iter.get(k).map(|n| n.to_string()).unwrap_or_default(),
            ));
            row.push(Cell::num(
                p.seconds
                    .get(k)
                    .map(|s| format!("{s:.2}"))
                    .unwrap_or_default(),
            ));
            t.push(row);
        }
        Panel::new(format!("Regularization path ({})", p.penalty))
            .html_only(figure_html(plot::reg_paths(&[p])))
            .table(t)
    }
}

panel_render!(
    BalanceReport => balance_panel,
    LogRegModel => logreg_panel,
    TopFeatures => top_features_panel,
    SearchResults => search_panel,
    RegPath => reg_path_panel,
);
crate::rich_display!(display: BalanceReport, LogRegModel, TopFeatures, SearchResults, RegPath);
crate::rich_display!(display: Balanced);
