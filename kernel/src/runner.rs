//! Headless notebook execution through the evcxr library, the engine behind the Jupyter kernel.
//!
//! Each notebook gets a fresh engine (like a fresh kernel) started in the notebook's directory
//! with the kernel's configuration (`init.evcxr` + prelude), then its code cells run top to
//! bottom. Outputs are written back as nbformat 4: merged stream outputs, one `execute_result`
//! with every MIME type the cell produced (what evcxr_jupyter sends), and `error` outputs.
//!
//! A cell **fails** the run on a compile error, a panic, a returned `Err` (`?` in a cell), an
//! engine error or a timeout; execution of that notebook stops there, as in papermill. Jupyter
//! itself reports the middle two as success (status ok, text on stderr).

use crate::markers;
use crate::nbformat::{self, Stream};
use evcxr::{CommandContext, EvalContextOutputs};
use serde_json::{Value, json};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Why a cell failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// rustc rejected the cell (or a `:dep` could not be resolved).
    Compile,
    /// The cell panicked (Jupyter: status ok, panic text on stderr).
    Panic,
    /// The cell returned an `Err` through `?` (Jupyter: status ok, message on stderr).
    ReturnedErr,
    /// The cell ran longer than its timeout; the engine was killed.
    Timeout,
    /// evcxr failed otherwise (child process died, variables lost, ...).
    Engine,
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FailureKind::Compile => "compile error",
            FailureKind::Panic => "panic",
            FailureKind::ReturnedErr => "returned Err",
            FailureKind::Timeout => "timeout",
            FailureKind::Engine => "engine error",
        })
    }
}

/// A failed cell. `cell` is the 1-based position among all the notebook's cells (0 for the
/// kernel start-up: `init.evcxr` and the prelude); `execution_count` is the `In [n]` number.
#[derive(Debug, Clone)]
pub struct CellFailure {
    pub cell: usize,
    pub execution_count: u64,
    pub kind: FailureKind,
    pub message: String,
}

impl fmt::Display for CellFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.cell == 0 {
            write!(f, "kernel start-up: {}: {}", self.kind, self.message)
        } else {
            write!(
                f,
                "cell {} [In {}]: {}: {}",
                self.cell, self.execution_count, self.kind, self.message
            )
        }
    }
}

/// Settings of one run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Limit for each cell after the first.
    pub timeout: Duration,
    /// Limit for the kernel start-up and for the first code cell: with a cold build cache they
    /// compile textlab and its dependencies (minutes).
    pub startup_timeout: Duration,
    /// `-p NAME VALUE` overrides for the `parameters` cell.
    pub parameters: Vec<(String, String)>,
    /// Print per-cell progress on stderr.
    pub progress: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            timeout: Duration::from_secs(600),
            startup_timeout: Duration::from_secs(3600),
            parameters: Vec::new(),
            progress: true,
        }
    }
}

/// The result of running one notebook: the notebook with outputs and the first failure.
#[derive(Debug)]
pub struct NotebookRun {
    pub notebook: Value,
    pub failure: Option<CellFailure>,
    pub elapsed: Duration,
}

/// Prepares this process to run notebooks: must be called before any thread is started (it
/// sets environment variables the evcxr child inherits). Writes the kernel's evcxr configuration
/// into `config_dir` and points evcxr at it and at the build-cache slot `tmpdir`.
pub fn prepare_process(config_dir: &Path, tmpdir: &Path) -> std::io::Result<()> {
    crate::cache::write_config(
        config_dir,
        &crate::cache::cache_root(),
        &crate::cache::textlab_repo(),
    )?;
    set_engine_env(config_dir, tmpdir);
    // SAFETY: as above, no other thread exists yet.
    unsafe {
        for (key, value) in crate::cache::engine_env() {
            std::env::set_var(key, value);
        }
    }
    Ok(())
}

/// Like [`prepare_process`] for an engine without textlab (evcxr's defaults, no `init.evcxr`):
/// `config_dir` should be an empty directory.
pub fn prepare_plain_process(config_dir: &Path, tmpdir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(config_dir)?;
    set_engine_env(config_dir, tmpdir);
    Ok(())
}

fn set_engine_env(config_dir: &Path, tmpdir: &Path) {
    let library_path = crate::cache::child_library_path(tmpdir);
    // SAFETY: callers run before any other thread exists (see `prepare_process`).
    unsafe {
        if let Some(p) = library_path {
            std::env::set_var("LD_LIBRARY_PATH", p);
        }
        std::env::set_var("EVCXR_CONFIG_DIR", config_dir);
        std::env::set_var("EVCXR_TMPDIR", tmpdir);
        std::env::set_var(markers::ENV, "1");
    }
}

/// Lines the engine delivered on stdout/stderr, in arrival order.
#[derive(Default)]
struct Collected {
    chunks: Vec<(Stream, String)>,
    last: Option<Instant>,
}

struct Engine {
    ctx: CommandContext,
    collected: Arc<Mutex<Collected>>,
}

impl Engine {
    fn start(outputs_sink: Arc<Mutex<Collected>>) -> Result<Engine, String> {
        let (ctx, outputs) = CommandContext::new().map_err(|e| e.to_string())?;
        drain(outputs, outputs_sink.clone());
        Ok(Engine {
            ctx,
            collected: outputs_sink,
        })
    }

    /// Output lines since the last call, once the streams have been quiet briefly: stderr
    /// is a separate pipe, so panic text may still be in flight when `execute` returns.
    fn take_output(&self) -> Vec<(Stream, String)> {
        let quiet = Duration::from_millis(60);
        let give_up = Instant::now() + Duration::from_secs(2);
        loop {
            std::thread::sleep(Duration::from_millis(20));
            let c = self.collected.lock().unwrap();
            let idle = c.last.is_none_or(|t| t.elapsed() >= quiet);
            if idle || Instant::now() >= give_up {
                drop(c);
                return std::mem::take(&mut self.collected.lock().unwrap().chunks);
            }
        }
    }
}

/// A running engine for callers that time cells themselves (`textlab-kernel bench`).
pub struct Session {
    engine: Engine,
}

/// One executed cell: how long `execute` took, evcxr's phases, and whether it failed.
#[derive(Debug, Clone)]
pub struct CellTiming {
    pub elapsed: Duration,
    /// evcxr's own split of the time, e.g. `Final compile` (analysis + cargo + rustc + link) and
    /// `Execution` (loading the cell library and running it).
    pub phases: Vec<(String, Duration)>,
    pub output: Vec<(Stream, String)>,
}

impl Session {
    /// Starts an engine; with `load_config`, runs the kernel's `init.evcxr` and prelude (what a
    /// kernel does before its first cell).
    pub fn start(load_config: bool) -> Result<(Session, Duration), String> {
        let t = Instant::now();
        let engine = Engine::start(Arc::default())?;
        let mut session = Session { engine };
        if load_config {
            session.execute(":load_config --quiet")?;
        }
        Ok((session, t.elapsed()))
    }

    /// Runs `src`; a compile error, panic or returned `Err` is an `Err` with the message.
    pub fn execute(&mut self, src: &str) -> Result<CellTiming, String> {
        let t = Instant::now();
        let result = self.engine.ctx.execute(src);
        let elapsed = t.elapsed();
        let output = self.engine.take_output();
        let (phases, result) = match result {
            Ok(r) => {
                let phases = r
                    .phases
                    .iter()
                    .map(|p| (p.name.clone(), p.duration))
                    .collect();
                (phases, Ok(r))
            }
            Err(e) => (Vec::new(), Err(e)),
        };
        let (_, failure) = cell_outputs(output.clone(), result, 1, false, Duration::ZERO);
        if let Some((kind, message)) = failure {
            return Err(format!("{kind}: {message}"));
        }
        Ok(CellTiming {
            elapsed,
            phases,
            output,
        })
    }
}

fn drain(outputs: EvalContextOutputs, sink: Arc<Mutex<Collected>>) {
    for (stream, rx) in [
        (Stream::Stdout, outputs.stdout),
        (Stream::Stderr, outputs.stderr),
    ] {
        let sink = sink.clone();
        std::thread::spawn(move || {
            while let Ok(line) = rx.recv() {
                let mut c = sink.lock().unwrap();
                c.chunks.push((stream, line));
                c.last = Some(Instant::now());
            }
        });
    }
}

/// Kills the engine's processes (the evcxr child, cargo, rustc) when a deadline passes.
struct Watchdog {
    deadline: Arc<Mutex<Option<Instant>>>,
    fired: Arc<AtomicBool>,
}

impl Watchdog {
    fn start() -> Watchdog {
        let deadline: Arc<Mutex<Option<Instant>>> = Arc::default();
        let fired = Arc::new(AtomicBool::new(false));
        let (d, f) = (deadline.clone(), fired.clone());
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_millis(200));
                let due = d.lock().unwrap().is_some_and(|t| Instant::now() >= t);
                if due {
                    *d.lock().unwrap() = None;
                    f.store(true, Ordering::SeqCst);
                    kill_descendants();
                }
            }
        });
        Watchdog { deadline, fired }
    }

    fn arm(&self, limit: Duration) {
        self.fired.store(false, Ordering::SeqCst);
        *self.deadline.lock().unwrap() = Some(Instant::now() + limit);
    }

    /// Disarms; true if the deadline had fired.
    fn disarm(&self) -> bool {
        *self.deadline.lock().unwrap() = None;
        self.fired.load(Ordering::SeqCst)
    }
}

/// SIGKILLs every process descended from this one (Linux: walks /proc).
fn kill_descendants() {
    let me = std::process::id() as i32;
    let mut parent_of: Vec<(i32, i32)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for e in entries.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
                continue;
            };
            // Fields after the parenthesised command name: state, ppid, ...
            if let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r)
                && let Some(ppid) = rest.split_whitespace().nth(1).and_then(|p| p.parse().ok())
            {
                parent_of.push((pid, ppid));
            }
        }
    }
    let mut victims = vec![me];
    let mut i = 0;
    while i < victims.len() {
        let p = victims[i];
        victims.extend(parent_of.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    for pid in victims.into_iter().skip(1) {
        // SAFETY: sending a signal to a process we started (directly or via cargo).
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}

/// Runs one notebook (already parsed) whose file is at `path` (its directory becomes the
/// working directory, as in Jupyter).
pub fn run_notebook(path: &Path, mut nb: Value, opts: &RunOptions) -> Result<NotebookRun, String> {
    crate::params::inject(&mut nb, &opts.parameters)?;
    let started = Instant::now();
    let name = path.display().to_string();
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let previous = std::env::current_dir().map_err(|e| e.to_string())?;
    std::env::set_current_dir(dir).map_err(|e| format!("cannot enter {}: {e}", dir.display()))?;
    let result = run_cells(&name, &mut nb, opts);
    std::env::set_current_dir(&previous).map_err(|e| e.to_string())?;
    let failure = result?;
    Ok(NotebookRun {
        notebook: nb,
        failure,
        elapsed: started.elapsed(),
    })
}

fn watchdog() -> &'static Watchdog {
    static WATCHDOG: std::sync::OnceLock<Watchdog> = std::sync::OnceLock::new();
    WATCHDOG.get_or_init(Watchdog::start)
}

fn run_cells(name: &str, nb: &mut Value, opts: &RunOptions) -> Result<Option<CellFailure>, String> {
    let watchdog = watchdog();
    let say = |msg: String| {
        if opts.progress {
            eprintln!("[{name}] {msg}");
        }
    };
    for cell in nb["cells"].as_array_mut().into_iter().flatten() {
        if nbformat::cell_type(cell) == "code" {
            cell["outputs"] = json!([]);
            cell["execution_count"] = Value::Null;
        }
    }

    say("starting kernel (init.evcxr + prelude)".into());
    let _watcher = build_watcher(&say);
    let t = Instant::now();
    watchdog.arm(opts.startup_timeout);
    let engine = Engine::start(Arc::default());
    let mut engine = match engine {
        Ok(e) => e,
        Err(message) => {
            let timed_out = watchdog.disarm();
            return Ok(Some(startup_failure(timed_out, opts, message)));
        }
    };
    let loaded = engine.ctx.execute(":load_config --quiet");
    let timed_out = watchdog.disarm();
    let startup_output = engine.take_output();
    if let Err(e) = loaded {
        let mut message = render_error(&e).1.join("\n");
        for (_, line) in &startup_output {
            message.push('\n');
            message.push_str(line);
        }
        return Ok(Some(startup_failure(timed_out, opts, message)));
    }
    drop(_watcher);
    if let Some(slot) = std::env::var_os("EVCXR_TMPDIR") {
        crate::cache::mark_verified(Path::new(&slot));
    }
    say(format!(
        "kernel ready in {:.1} s",
        t.elapsed().as_secs_f64()
    ));

    let mut count = 0u64;
    let cells = nb["cells"].as_array_mut().ok_or("notebook has no cells")?;
    let total_code = cells
        .iter()
        .filter(|c| nbformat::cell_type(c) == "code")
        .count();
    for (index, cell) in cells.iter_mut().enumerate() {
        if nbformat::cell_type(cell) != "code" {
            continue;
        }
        let src = nbformat::source(cell);
        if src.trim().is_empty() {
            continue;
        }
        count += 1;
        let limit = if count == 1 {
            opts.startup_timeout
        } else {
            opts.timeout
        };
        let t = Instant::now();
        watchdog.arm(limit);
        let result = engine.ctx.execute(&src);
        let timed_out = watchdog.disarm();
        let chunks = engine.take_output();
        let (outputs, failure) = cell_outputs(chunks, result, count, timed_out, limit);
        cell["execution_count"] = json!(count);
        cell["outputs"] = Value::Array(outputs);
        let failure = failure.map(|(kind, message)| CellFailure {
            cell: index + 1,
            execution_count: count,
            kind,
            message,
        });
        match failure {
            Some(f) => {
                say(format!("FAILED {f}"));
                return Ok(Some(f));
            }
            None => say(format!(
                "cell {} [In {count}/{total_code}] ok ({:.1} s)",
                index + 1,
                t.elapsed().as_secs_f64()
            )),
        }
    }
    Ok(None)
}

/// Says why the start will take long (cold or stale build cache) and watches the build.
fn build_watcher(say: &dyn Fn(String)) -> Option<crate::build_progress::Watcher> {
    let slot = PathBuf::from(std::env::var_os("EVCXR_TMPDIR")?);
    let host = crate::cache::rustc_host()?;
    let repo = crate::cache::textlab_repo();
    let state = crate::cache::slot_state(&slot, &repo, &host);
    say(state.message()?);
    let seeded = match state {
        crate::cache::SlotState::Cold => false,
        crate::cache::SlotState::Seeded(_) => true,
        // Only textlab recompiles: every other crate is already in place, so a bar would sit
        // at 100% (cargo's own "Compiling textlab" line follows).
        crate::cache::SlotState::Stale(_) | crate::cache::SlotState::Warm => return None,
    };
    let notebook_crate =
        crate::cache::write_notebook_crate(&crate::cache::cache_root(), &repo).ok()?;
    Some(crate::build_progress::Watcher::start(
        notebook_crate,
        slot,
        host,
        Duration::from_secs(15),
        seeded,
    ))
}

fn startup_failure(timed_out: bool, opts: &RunOptions, message: String) -> CellFailure {
    let (kind, message) = if timed_out {
        (
            FailureKind::Timeout,
            format!(
                "kernel start-up exceeded {} s (raise --startup-timeout)",
                opts.startup_timeout.as_secs()
            ),
        )
    } else {
        (FailureKind::Engine, message)
    };
    CellFailure {
        cell: 0,
        execution_count: 0,
        kind,
        message,
    }
}

/// The nbformat outputs of one executed cell, and why it failed, if it did.
pub fn cell_outputs(
    chunks: Vec<(Stream, String)>,
    result: Result<evcxr::EvalOutputs, evcxr::Error>,
    execution_count: u64,
    timed_out: bool,
    limit: Duration,
) -> (Vec<Value>, Option<(FailureKind, String)>) {
    let mut panicked = false;
    let mut returned_err = false;
    let mut kept = Vec::with_capacity(chunks.len());
    for (stream, line) in chunks {
        match (stream, line.as_str()) {
            (Stream::Stdout, markers::PANIC) => panicked = true,
            (Stream::Stdout, markers::USER_ERROR) => returned_err = true,
            _ => kept.push((stream, line)),
        }
    }
    let stderr: Vec<&str> = kept
        .iter()
        .filter(|(s, _)| *s == Stream::Stderr)
        .map(|(_, l)| l.as_str())
        .collect();
    let panic_message = panic_message(&stderr);
    panicked |= panic_message.is_some();
    let mut outputs = nbformat::merge_streams(&kept);

    let mut failure = None;
    match result {
        Ok(eval) => {
            if !eval.content_by_mime_type.is_empty() {
                outputs.push(nbformat::execute_result(
                    execution_count,
                    nbformat::mime_bundle(&eval.content_by_mime_type),
                ));
            }
        }
        Err(e) => {
            let (kind, lines) = if timed_out {
                (
                    FailureKind::Timeout,
                    vec![format!(
                        "cell exceeded its {} s timeout; the kernel was stopped",
                        limit.as_secs()
                    )],
                )
            } else {
                render_error(&e)
            };
            let evalue = lines.first().cloned().unwrap_or_default();
            outputs.push(nbformat::error_output("Error", &evalue, &lines));
            failure = Some((kind, lines.join("\n")));
        }
    }
    if failure.is_none() && panicked {
        let message = panic_message.unwrap_or_else(|| "the cell panicked".into());
        outputs.push(nbformat::error_output(
            "Panic",
            &message,
            std::slice::from_ref(&message),
        ));
        failure = Some((FailureKind::Panic, message));
    } else if failure.is_none() && returned_err {
        // evcxr prints the error (Display) on stderr just before its notification.
        let message = stderr
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map_or_else(|| "the cell returned an Err".to_owned(), |l| l.to_string());
        outputs.push(nbformat::error_output(
            "Err",
            &message,
            std::slice::from_ref(&message),
        ));
        failure = Some((FailureKind::ReturnedErr, message));
    }
    (outputs, failure)
}

/// `panicked at LOCATION: MESSAGE` from panic text on stderr (the std panic hook prints the
/// location line, then the message lines).
pub fn panic_message(stderr: &[&str]) -> Option<String> {
    let at = stderr.iter().position(|l| l.contains("panicked at"))?;
    let location = stderr[at]
        .split_once("panicked at")
        .map(|(_, r)| r.trim().trim_end_matches(':'))
        .unwrap_or_default();
    let message: Vec<&str> = stderr[at + 1..]
        .iter()
        .take_while(|l| !l.starts_with("note:") && !l.starts_with("stack backtrace:"))
        .copied()
        .collect();
    Some(format!("panicked at {location}: {}", message.join("\n")))
}

/// Kind and human-readable lines (cell-relative line numbers) of an evcxr error.
pub fn render_error(e: &evcxr::Error) -> (FailureKind, Vec<String>) {
    match e {
        evcxr::Error::CompilationErrors(errors) => {
            let mut lines = Vec::new();
            for err in errors {
                let code = err.code().map(|c| format!("[{c}]")).unwrap_or_default();
                let first = err
                    .primary_spanned_message()
                    .and_then(|m| m.span)
                    .map(|s| format!(" (line {}, column {})", s.start_line, s.start_column))
                    .unwrap_or_default();
                lines.push(format!("error{code}: {}{first}", err.message()));
                for m in err.spanned_messages() {
                    lines.extend(m.lines.iter().cloned());
                    if let Some(span) = m.span {
                        let width = span.end_column.saturating_sub(span.start_column).max(1);
                        lines.push(format!(
                            "{}{} {}",
                            " ".repeat(span.start_column.saturating_sub(1)),
                            "^".repeat(width),
                            m.label
                        ));
                    } else if !m.label.is_empty() {
                        lines.push(m.label.clone());
                    }
                }
                lines.extend(err.help().into_iter().map(|h| format!("help: {h}")));
            }
            (FailureKind::Compile, lines)
        }
        other => (
            FailureKind::Engine,
            other.to_string().lines().map(str::to_owned).collect(),
        ),
    }
}

/// Where `run` writes executed notebooks.
#[derive(Debug, Clone)]
pub enum Output {
    /// Only check; write nothing.
    None,
    /// Overwrite the input notebooks.
    InPlace,
    /// A file (one notebook) or a directory (several, or an existing directory).
    Path(PathBuf),
}

/// The file an executed `input` is written to, if any.
pub fn output_path(output: &Output, input: &Path, several: bool) -> Option<PathBuf> {
    match output {
        Output::None => None,
        Output::InPlace => Some(input.to_path_buf()),
        Output::Path(p) if several || p.is_dir() || p.to_string_lossy().ends_with('/') => {
            Some(p.join(input.file_name().unwrap_or_default()))
        }
        Output::Path(p) => Some(p.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_message_skips_notes() {
        let stderr = [
            "thread '<unnamed>' panicked at src/lib.rs:10:5:",
            "boom",
            "note: run with `RUST_BACKTRACE=1`",
        ];
        assert_eq!(
            panic_message(&stderr).unwrap(),
            "panicked at src/lib.rs:10:5: boom"
        );
        assert!(panic_message(&["fine"]).is_none());
    }
}
