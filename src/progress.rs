//! Progress with ETA for long work (fetch, search, pretraining, fine-tuning): an indicatif bar in
//! a terminal; elsewhere (a notebook, a log file) one line on stderr that is rewritten in place
//! with `\r` and ends in a one-line summary.
//!
//! Outside a terminal the line is also ended (`\n`) when a quarter of the work is done, at most
//! three times: the evcxr kernel forwards stderr to the notebook one *line* at a time, so a line
//! that is only ever rewritten with `\r` would show nothing until the work ends. Front ends
//! (JupyterLab, VS Code, `jupyter execute`) collapse the `\r` rewrites, so a stored output holds
//! at most five lines however long the work runs.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// The in-place line is redrawn at most this often (each redraw is kept in a log file).
const REDRAW: Duration = Duration::from_secs(2);

/// A progress reporter; cheap to call often (the non-terminal output is throttled).
pub struct Progress {
    label: String,
    total: u64,
    done: u64,
    start: Instant,
    /// Starts at `start`: a first line after one step would show an ETA from a single sample.
    last_draw: Instant,
    /// Quarters of the work already ended with a newline (0..=3).
    quarters: u64,
    /// Characters of the line on screen, to blank what a shorter redraw leaves behind.
    drawn: usize,
    bar: Option<ProgressBar>,
    quiet: bool,
    message: String,
}

impl Progress {
    /// `total` steps of work; `TEXTLAB_QUIET=1` silences it (tests).
    pub fn new(label: impl Into<String>, total: u64) -> Progress {
        let label = label.into();
        let quiet = std::env::var_os("TEXTLAB_QUIET").is_some_and(|v| v != "0");
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let b = ProgressBar::new(total);
            b.set_style(
                ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} (eta {eta})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            b.set_prefix(label.clone());
            b
        });
        let start = Instant::now();
        Progress {
            label,
            total,
            done: 0,
            start,
            last_draw: start,
            quarters: 0,
            drawn: 0,
            bar,
            quiet,
            message: String::new(),
        }
    }

    /// Change the amount of work once the plan is known (a time budget that fits fewer steps
    /// than first planned), so that the counter ends at `total/total`.
    pub fn set_total(&mut self, total: u64) {
        self.total = total.max(self.done);
        if let Some(b) = &self.bar {
            b.set_length(self.total);
        }
    }

    pub fn set_message(&mut self, msg: impl Into<String>) {
        self.message = msg.into();
        if let Some(b) = &self.bar {
            b.set_message(self.message.clone());
        }
    }

    pub fn inc(&mut self, n: u64) {
        self.done += n;
        if let Some(b) = &self.bar {
            b.inc(n);
            return;
        }
        if self.quiet {
            return;
        }
        let now = Instant::now();
        let quarter = quarters_done(self.done, self.total);
        if quarter > self.quarters {
            self.quarters = quarter;
            self.draw(true);
        } else if now - self.last_draw >= REDRAW {
            self.draw(false);
        } else {
            return;
        }
        self.last_draw = now;
    }

    /// `label 120/400 (30%) msg, 12s elapsed, eta 28s`.
    pub fn line(&self) -> String {
        status_line(
            &self.label,
            self.done,
            self.total,
            self.start.elapsed().as_secs_f64(),
            &self.message,
        )
    }

    /// Rewrite the current stderr line; `end` starts a new one after it.
    fn draw(&mut self, end: bool) {
        let line = self.line();
        self.write(&line, end);
    }

    fn write(&mut self, line: &str, end: bool) {
        let n = line.chars().count();
        let pad = " ".repeat(self.drawn.saturating_sub(n));
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{line}{pad}{}", if end { "\n" } else { "" });
        let _ = err.flush();
        self.drawn = if end { 0 } else { n };
    }

    /// End the progress with its one-line summary; returns the time the work took.
    pub fn finish(mut self) -> Duration {
        let took = self.start.elapsed();
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
        if !self.quiet {
            let s = summary(&self.label, self.done, self.total, took.as_secs_f64());
            if self.bar.is_some() {
                eprintln!("{s}");
            } else {
                self.write(&s, true);
            }
        }
        took
    }
}

impl Drop for Progress {
    /// Work that ends early with an error (`?`) never calls `finish`: end the rewritten line so
    /// that the error message starts on a line of its own.
    fn drop(&mut self) {
        if self.drawn > 0 {
            eprintln!();
        }
    }
}

/// Seconds left at the rate so far, or `None` before any work is done.
pub(crate) fn eta_secs(done: u64, total: u64, elapsed: f64) -> Option<f64> {
    if done == 0 || !(elapsed.is_finite() && elapsed >= 0.0) {
        return None;
    }
    let rate = done as f64 / elapsed.max(1e-9);
    Some(total.saturating_sub(done) as f64 / rate)
}

/// How many quarters (at most 3; the summary ends the fourth) of `total` are done.
fn quarters_done(done: u64, total: u64) -> u64 {
    if total == 0 {
        return 0;
    }
    (done.min(total) * 4 / total).min(3)
}

/// `12s`, `3m05s`, `1h02m`.
fn clock(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}

fn status_line(label: &str, done: u64, total: u64, elapsed: f64, message: &str) -> String {
    let pct = if total == 0 {
        100.0
    } else {
        done.min(total) as f64 / total as f64 * 100.0
    };
    let msg = if message.is_empty() {
        String::new()
    } else {
        format!(" {message}")
    };
    let eta = eta_secs(done, total, elapsed).map_or_else(|| "?".into(), clock);
    format!(
        "{label} {done}/{total} ({pct:.0}%){msg}, {} elapsed, eta {eta}",
        clock(elapsed)
    )
}

/// `label: 400/400 in 3m05s`, or where the work ended early (early stopping, a time budget)
/// `label: stopped at 120/400 after 45s`.
fn summary(label: &str, done: u64, total: u64, elapsed: f64) -> String {
    if done >= total {
        format!("{label}: {done}/{total} done in {}", clock(elapsed))
    } else {
        format!(
            "{label}: stopped at {done}/{total} after {}",
            clock(elapsed)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eta_comes_from_the_rate_so_far() {
        assert_eq!(eta_secs(0, 100, 5.0), None);
        assert_eq!(eta_secs(25, 100, 10.0), Some(30.0));
        assert_eq!(eta_secs(100, 100, 40.0), Some(0.0));
        // More done than planned (a plan that was too small) never gives a negative ETA.
        assert_eq!(eta_secs(120, 100, 40.0), Some(0.0));
    }

    #[test]
    fn line_and_summary_read_well() {
        assert_eq!(
            status_line("search", 30, 120, 12.4, "fold 1"),
            "search 30/120 (25%) fold 1, 12s elapsed, eta 37s"
        );
        assert_eq!(
            status_line("mlm", 0, 900, 0.2, ""),
            "mlm 0/900 (0%), 0s elapsed, eta ?"
        );
        assert_eq!(
            summary("fine-tune", 2700, 2700, 185.0),
            "fine-tune: 2700/2700 done in 3m05s"
        );
        assert_eq!(
            summary("fine-tune", 898, 2700, 3725.0),
            "fine-tune: stopped at 898/2700 after 1h02m"
        );
    }

    #[test]
    fn newlines_only_at_quarters() {
        let q: Vec<u64> = [0, 24, 25, 49, 50, 75, 99, 100, 130]
            .iter()
            .map(|&d| quarters_done(d, 100))
            .collect();
        assert_eq!(q, [0, 0, 1, 1, 2, 3, 3, 3, 3]);
        assert_eq!(quarters_done(5, 0), 0);
    }

    #[test]
    fn a_smaller_plan_ends_at_total() {
        // A time budget that fits 898 of 2700 planned steps: the counter ends at 898/898.
        let mut p = Progress::new("t", 2700);
        p.quiet = true;
        p.bar = None;
        p.inc(10);
        p.set_total(898);
        p.inc(888);
        assert_eq!((p.done, p.total), (898, 898));
        assert!(p.line().starts_with("t 898/898 (100%)"), "{}", p.line());
        // Never below what is done.
        p.set_total(5);
        assert_eq!(p.total, 898);
    }
}
