//! `textlab-kernel bench`: what a notebook user waits for, next to plain evcxr in the same run.
//!
//! Each side runs in its own process (evcxr reads its directories from the environment when the
//! engine starts), one after the other so they never compete for the CPU:
//! - **textlab**: a kernel as the kernelspec starts it (build-cache slot, `init.evcxr` with the
//!   textlab dependency, prelude), then a first code cell and repeated small cells: a value, a
//!   table (`Metrics`), a figure (a ROC curve);
//! - **plain evcxr**: evcxr with its defaults and no dependency, in its own cache directory, the
//!   same value cells. It is the floor a Rust notebook cannot go below.
//!
//! Times are wall-clock around evcxr's `execute`, so they include evcxr's analysis, cargo,
//! rustc, linking and loading the cell library: what the user feels.

use crate::runner::{CellTiming, Session};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Which kernel a side measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    Textlab,
    /// textlab as this project's kernel set it up before 2026-12-01, for a before/after in one
    /// run: the cells link textlab's `rlib` statically, and the prelude has no `Debug` display
    /// (a plain value compiles twice).
    TextlabRlib,
    PlainEvcxr,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Textlab => "textlab",
            Side::TextlabRlib => "textlab-rlib",
            Side::PlainEvcxr => "plain-evcxr",
        }
    }

    /// The first code cell, then `repeat` rounds of the small cells, each with its kind.
    pub fn cells(self, repeat: usize) -> (String, Vec<(CellKind, String)>) {
        let first = match self {
            Side::Textlab | Side::TextlabRlib => {
                "let warm = Metrics::from_predictions(&[1, 0, 1, 0], &[1, 0, 0, 0])?;\nwarm.f1()"
            }
            Side::PlainEvcxr => "let warm = vec![1, 0, 1, 0];\nwarm.len()",
        };
        let mut cells = Vec::new();
        for i in 0..repeat {
            // Every cell's text differs, so nothing can be answered from a cache.
            cells.push((CellKind::Value, format!("{} * 2", 21 + i)));
            if self != Side::PlainEvcxr {
                cells.push((
                    CellKind::Table,
                    format!(
                        "let n = {i};\nMetrics::from_predictions(&[1, 0, 1, 0, 1], &[1, 0, (n % 2) as u8, 0, 1])?"
                    ),
                ));
                cells.push((
                    CellKind::Figure,
                    format!(
                        "plot::roc_curves(&[(\"model\", &RocCurve::new(&[0, 1, 1, 0, 1], \
                         &[0.1, 0.9, 0.6, 0.4, 0.3{i:03}])?)])?"
                    ),
                ));
            }
        }
        (first.to_string(), cells)
    }
}

/// What a small cell shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CellKind {
    Value,
    Table,
    Figure,
}

impl CellKind {
    fn label(self) -> &'static str {
        match self {
            CellKind::Value => "small cell: a value",
            CellKind::Table => "small cell: a table",
            CellKind::Figure => "small cell: a figure",
        }
    }
}

/// One timed cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellTime {
    pub kind: CellKind,
    pub seconds: f64,
    /// evcxr's `Final compile` phase: analysis, cargo, rustc and linking of the cell.
    pub compile_seconds: Option<f64>,
    /// evcxr's `Execution` phase: loading the cell library and running it.
    pub execution_seconds: Option<f64>,
}

/// One side's measurements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SideResult {
    pub side: Side,
    /// From starting the engine to ready for the first cell (init.evcxr and prelude included).
    pub start_seconds: f64,
    /// The start-up's parts: the engine, then (textlab) init.evcxr and the prelude.
    pub start_parts: Vec<(String, f64)>,
    pub first_cell_seconds: f64,
    pub cells: Vec<CellTime>,
}

/// Runs one side in this process (the environment must already point evcxr at its directories).
pub fn run_side(side: Side, repeat: usize, progress: bool) -> Result<SideResult, String> {
    let say = |msg: String| {
        if progress {
            eprintln!("[bench {}] {msg}", side.name());
        }
    };
    // The kernel's `:load_config`, step by step, to show where the start-up time goes.
    let (mut session, engine) = Session::start(false)?;
    let mut start_parts = vec![("engine".to_string(), engine.as_secs_f64())];
    if side != Side::PlainEvcxr {
        let dir = std::env::var_os("EVCXR_CONFIG_DIR").ok_or("EVCXR_CONFIG_DIR is not set")?;
        for (part, file) in [
            ("init.evcxr (:opt, :dep textlab)", "init.evcxr"),
            ("prelude.rs (use textlab::prelude::*)", "prelude.rs"),
        ] {
            let path = std::path::Path::new(&dir).join(file);
            let src = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let t = session
                .execute(&src)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            say(format!(
                "{part}: {:.2} s ({})",
                t.elapsed.as_secs_f64(),
                phase_text(&t)
            ));
            start_parts.push((part.to_string(), t.elapsed.as_secs_f64()));
        }
    }
    let start: f64 = start_parts.iter().map(|(_, s)| s).sum();
    say(format!("kernel ready in {start:.2} s"));
    let (first, cells) = side.cells(repeat);
    let first_timing = session
        .execute(&first)
        .map_err(|e| format!("first cell: {e}"))?;
    say(format!(
        "first code cell {:.2} s ({})",
        first_timing.elapsed.as_secs_f64(),
        phase_text(&first_timing)
    ));
    let mut times = Vec::new();
    for (kind, src) in cells {
        let t = session
            .execute(&src)
            .map_err(|e| format!("cell `{src}`: {e}"))?;
        say(format!(
            "{} {:.2} s ({})",
            kind.label(),
            t.elapsed.as_secs_f64(),
            phase_text(&t)
        ));
        times.push(CellTime {
            kind,
            seconds: t.elapsed.as_secs_f64(),
            compile_seconds: phase(&t, "Final compile"),
            execution_seconds: phase(&t, "Execution"),
        });
    }
    Ok(SideResult {
        side,
        start_seconds: start,
        start_parts,
        first_cell_seconds: first_timing.elapsed.as_secs_f64(),
        cells: times,
    })
}

fn phase(t: &CellTiming, name: &str) -> Option<f64> {
    t.phases
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, d)| d.as_secs_f64())
}

fn phase_text(t: &CellTiming) -> String {
    t.phases
        .iter()
        .map(|(n, d)| format!("{n} {:.2} s", d.as_secs_f64()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Median and maximum of some seconds (`None` when empty).
pub fn median_max(values: &[f64]) -> Option<(f64, f64)> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    Some((median, v[n - 1]))
}

/// The whole benchmark: both sides and the machine they ran on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    pub repeat: usize,
    pub cores: usize,
    /// 1-minute load average before and after (Linux), to judge how quiet the machine was.
    pub load_before: Option<f64>,
    pub load_after: Option<f64>,
    pub textlab: SideResult,
    /// The previous set-up (`--before`), measured in the same run.
    #[serde(default)]
    pub textlab_rlib: Option<SideResult>,
    /// `None` with `--no-anchor`.
    pub plain_evcxr: Option<SideResult>,
}

impl BenchReport {
    fn kind_stats(side: &SideResult, kind: CellKind) -> Option<(f64, f64)> {
        let v: Vec<f64> = side
            .cells
            .iter()
            .filter(|c| c.kind == kind)
            .map(|c| c.seconds)
            .collect();
        median_max(&v)
    }

    /// Median small-cell time (all kinds) of each side.
    pub fn small_median(side: &SideResult) -> Option<f64> {
        median_max(&side.cells.iter().map(|c| c.seconds).collect::<Vec<_>>()).map(|m| m.0)
    }

    /// textlab's median value cell over plain evcxr's (the same cell text on both sides).
    pub fn value_ratio(&self) -> Option<f64> {
        let ours = Self::kind_stats(&self.textlab, CellKind::Value)?.0;
        let anchor = Self::kind_stats(self.plain_evcxr.as_ref()?, CellKind::Value)?.0;
        (anchor > 0.0).then(|| ours / anchor)
    }

    /// Median of a phase over one side's value cells.
    fn phase_median(side: &SideResult, f: fn(&CellTime) -> Option<f64>) -> Option<f64> {
        let v: Vec<f64> = side
            .cells
            .iter()
            .filter(|c| c.kind == CellKind::Value)
            .filter_map(f)
            .collect();
        median_max(&v).map(|m| m.0)
    }
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let load = |l: Option<f64>| l.map_or("?".into(), |l| format!("{l:.2}"));
        writeln!(
            f,
            "notebook speed: {} round(s) of small cells, {} cores, load {} before / {} after",
            self.repeat,
            self.cores,
            load(self.load_before),
            load(self.load_after)
        )?;
        let anchor = self.plain_evcxr.as_ref();
        if let Some(before) = &self.textlab_rlib {
            writeln!(
                f,
                "before (textlab as rlib, value cells compiled twice): start {:.2} s, first cell \
                 {:.2} s, small cells median {:.2} s (now {:.2} s)",
                before.start_seconds,
                before.first_cell_seconds,
                Self::small_median(before).unwrap_or(f64::NAN),
                Self::small_median(&self.textlab).unwrap_or(f64::NAN),
            )?;
        }
        writeln!(
            f,
            "{:<34} {:>16} {:>16} {:>7}",
            "moment", "textlab", "plain evcxr", "ratio"
        )?;
        let secs = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.2} s"));
        let pair =
            |v: Option<(f64, f64)>| v.map_or("-".into(), |(m, x)| format!("{m:.2} / {x:.2} s"));
        let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if b > 0.0 => format!("{:.1}x", a / b),
            _ => "-".into(),
        };
        let t = &self.textlab;
        let rows = [
            (
                "kernel start".to_string(),
                secs(Some(t.start_seconds)),
                secs(anchor.map(|a| a.start_seconds)),
                ratio(Some(t.start_seconds), anchor.map(|a| a.start_seconds)),
            ),
            (
                "first code cell".to_string(),
                secs(Some(t.first_cell_seconds)),
                secs(anchor.map(|a| a.first_cell_seconds)),
                ratio(
                    Some(t.first_cell_seconds),
                    anchor.map(|a| a.first_cell_seconds),
                ),
            ),
            (
                "start + first cell".to_string(),
                secs(Some(t.start_seconds + t.first_cell_seconds)),
                secs(anchor.map(|a| a.start_seconds + a.first_cell_seconds)),
                "".to_string(),
            ),
        ];
        for (i, (name, a, b, r)) in rows.into_iter().enumerate() {
            writeln!(f, "{name:<34} {a:>16} {b:>16} {r:>7}")?;
            if i == 0 {
                for (part, s) in t.start_parts.iter() {
                    writeln!(f, "{:<34} {:>16}", format!("  {part}"), secs(Some(*s)))?;
                }
            }
        }
        for kind in [CellKind::Value, CellKind::Table, CellKind::Figure] {
            let ours = Self::kind_stats(t, kind);
            let theirs = anchor.and_then(|a| Self::kind_stats(a, kind));
            writeln!(
                f,
                "{:<34} {:>16} {:>16} {:>7}",
                format!("{} (median / max)", kind.label()),
                pair(ours),
                pair(theirs),
                ratio(ours.map(|m| m.0), theirs.map(|m| m.0))
            )?;
        }
        let compile = |s: &SideResult| Self::phase_median(s, |c| c.compile_seconds);
        let exec = |s: &SideResult| Self::phase_median(s, |c| c.execution_seconds);
        writeln!(
            f,
            "{:<34} {:>16} {:>16}",
            "  value cell: compile (median)",
            secs(compile(t)),
            secs(anchor.and_then(compile))
        )?;
        write!(
            f,
            "{:<34} {:>16} {:>16}",
            "  value cell: load + run (median)",
            secs(exec(t)),
            secs(anchor.and_then(exec))
        )
    }
}

/// The 1-minute load average (Linux only).
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median_max(&[3.0, 1.0, 2.0]), Some((2.0, 3.0)));
        assert_eq!(median_max(&[4.0, 1.0, 2.0, 3.0]), Some((2.5, 4.0)));
        assert_eq!(median_max(&[]), None);
    }

    #[test]
    fn every_small_cell_differs_and_plain_needs_no_textlab() {
        let (_, cells) = Side::Textlab.cells(3);
        assert_eq!(cells.len(), 9);
        let mut texts: Vec<&str> = cells.iter().map(|(_, s)| s.as_str()).collect();
        texts.sort();
        texts.dedup();
        assert_eq!(
            texts.len(),
            9,
            "a repeated cell could be answered from a cache"
        );
        let (first, plain) = Side::PlainEvcxr.cells(3);
        assert!(plain.iter().all(|(k, _)| *k == CellKind::Value));
        for src in plain.iter().map(|(_, s)| s).chain([&first]) {
            assert!(!src.contains("Metrics") && !src.contains("plot::"), "{src}");
        }
    }

    fn side(side: Side, start: f64, values: &[f64]) -> SideResult {
        SideResult {
            side,
            start_seconds: start,
            start_parts: vec![("engine".into(), start)],
            first_cell_seconds: 1.0,
            cells: values
                .iter()
                .map(|&s| CellTime {
                    kind: CellKind::Value,
                    seconds: s,
                    compile_seconds: Some(s * 0.8),
                    execution_seconds: Some(s * 0.1),
                })
                .collect(),
        }
    }

    #[test]
    fn ratio_compares_value_cells_and_text_shows_both_sides() {
        let report = BenchReport {
            repeat: 3,
            cores: 2,
            load_before: Some(0.5),
            load_after: None,
            textlab: side(Side::Textlab, 10.0, &[1.0, 3.0, 2.0]),
            textlab_rlib: None,
            plain_evcxr: Some(side(Side::PlainEvcxr, 1.0, &[0.5, 0.4, 0.6])),
        };
        assert!((report.value_ratio().unwrap() - 4.0).abs() < 1e-12);
        let text = report.to_string();
        assert!(text.contains("2.00 / 3.00 s"), "{text}");
        assert!(text.contains("0.50 / 0.60 s"), "{text}");
        assert!(text.contains("10.0x"), "{text}");
        let json = serde_json::to_string(&report).unwrap();
        let back: BenchReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, report);
    }
}
