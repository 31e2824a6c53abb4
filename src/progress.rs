//! Progress with ETA for long work (fetch, search, pretraining, fine-tuning): an indicatif bar in
//! a terminal, a throttled text line on stderr elsewhere (a notebook shows stderr as it comes).

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// A progress reporter; cheap to call often (the non-terminal output is throttled).
pub struct Progress {
    label: String,
    total: u64,
    done: u64,
    start: Instant,
    last_print: Option<Instant>,
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
        Progress {
            label,
            total,
            done: 0,
            start: Instant::now(),
            last_print: None,
            bar,
            quiet,
            message: String::new(),
        }
    }

    pub fn set_message(&mut self, msg: impl Into<String>) {
        self.message = msg.into();
        if let Some(b) = &self.bar {
            b.set_message(self.message.clone());
        }
    }

    pub fn inc(&mut self, n: u64) {
        self.done = (self.done + n).min(self.total.max(self.done + n));
        if let Some(b) = &self.bar {
            b.inc(n);
            return;
        }
        if self.quiet {
            return;
        }
        let now = Instant::now();
        if self
            .last_print
            .is_none_or(|t| now - t >= Duration::from_secs(5))
        {
            self.last_print = Some(now);
            eprintln!("{}", self.line());
        }
    }

    /// `label 120/400 (30%) msg, 12s elapsed, eta 28s`.
    pub fn line(&self) -> String {
        let elapsed = self.start.elapsed().as_secs_f64();
        let frac = if self.total == 0 {
            1.0
        } else {
            self.done as f64 / self.total as f64
        };
        let eta = if frac > 0.0 {
            elapsed / frac - elapsed
        } else {
            f64::NAN
        };
        let msg = if self.message.is_empty() {
            String::new()
        } else {
            format!(" {}", self.message)
        };
        format!(
            "{} {}/{} ({:.0}%){}, {:.0}s elapsed, eta {}",
            self.label,
            self.done,
            self.total,
            frac * 100.0,
            msg,
            elapsed,
            if eta.is_finite() {
                format!("{eta:.0}s")
            } else {
                "?".into()
            }
        )
    }

    pub fn finish(self) -> Duration {
        let took = self.start.elapsed();
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
        if !self.quiet {
            eprintln!("{} done in {:.1}s", self.label, took.as_secs_f64());
        }
        took
    }
}
