//! `textlab-kernel`: install the `textlab` Jupyter kernel, run notebooks headlessly through the
//! same evcxr engine, and export them as the lab report. See the crate docs of `textlab_kernel`.

use clap::{ArgAction, Parser, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};
use textlab_kernel::runner::{self, Output, RunOptions};
use textlab_kernel::{bench, cache, export, install, markers, nbformat};

#[derive(Parser)]
#[command(name = "textlab-kernel", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Register the `textlab` Jupyter kernel and warm its build cache.
    Install {
        /// Install into DIR/share/jupyter/kernels (default: $JUPYTER_PATH, $JUPYTER_DATA_DIR,
        /// then the user's Jupyter data dir).
        #[arg(long, value_name = "DIR")]
        prefix: Option<PathBuf>,
        /// Kernelspec name (what `jupyter execute --kernel_name` takes).
        #[arg(long, default_value = "textlab")]
        name: String,
        /// Name shown in Jupyter's kernel menu.
        #[arg(long, default_value = "Rust (textlab)")]
        display_name: String,
        /// Skip compiling textlab into the build cache (the first notebook cell will do it).
        #[arg(long)]
        no_warm: bool,
    },
    /// Execute notebooks through evcxr; fail on compile errors, panics and returned `Err`s.
    Run {
        /// Notebooks (.ipynb) to run, each in a fresh kernel.
        #[arg(required = true)]
        notebooks: Vec<PathBuf>,
        /// Override a `let` in the cell tagged `parameters` (papermill style).
        #[arg(short = 'p', long = "param", num_args = 2, value_names = ["NAME", "VALUE"], action = ArgAction::Append)]
        params: Vec<String>,
        /// Per-cell timeout in seconds (the lab's full-size training cells run ~15 minutes).
        #[arg(long, default_value_t = 3600, value_name = "SECS")]
        timeout: u64,
        /// Timeout for kernel start-up and the first code cell, which compile textlab when the
        /// build cache is cold.
        #[arg(long, default_value_t = 3600, value_name = "SECS")]
        startup_timeout: u64,
        /// Write executed notebooks here: a file, or a directory for several notebooks.
        #[arg(long, value_name = "PATH", conflicts_with = "in_place")]
        out: Option<PathBuf>,
        /// Write outputs back into the input notebooks.
        #[arg(long)]
        in_place: bool,
        /// Only print failures and the summary.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Export executed notebooks as the lab report (Markdown or HTML, figures embedded).
    Export {
        #[arg(required = true)]
        notebooks: Vec<PathBuf>,
        #[arg(long, value_enum)]
        to: ExportFormat,
        /// Output file (one notebook or --combined) or directory (default: beside each notebook;
        /// `report.<ext>` for --combined).
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
        /// One report for all notebooks, with a table of contents.
        #[arg(long)]
        combined: bool,
        /// Title of the combined report.
        #[arg(long, default_value = "textlab lab report")]
        title: String,
    },
    /// Compile textlab into the kernel's build cache (what `install` ends with).
    Warm,
    /// Time what a notebook user waits for (kernel start, first cell, small cells), next to
    /// plain evcxr without textlab in the same run.
    Bench {
        /// Rounds of small cells (each round: a value, a table, a figure).
        #[arg(long, default_value_t = 5, value_name = "N")]
        repeat: usize,
        /// Print the measurements as JSON.
        #[arg(long)]
        json: bool,
        /// Skip the plain-evcxr anchor.
        #[arg(long)]
        no_anchor: bool,
        /// Also measure the previous set-up (textlab linked statically into every cell, plain
        /// values compiled twice) in the same run.
        #[arg(long)]
        before: bool,
        /// Run one side in this process and print its JSON (the parent starts one per side).
        #[arg(long, value_enum, hide = true)]
        side: Option<BenchSide>,
    },
    /// The kernelspec's entry point (runs evcxr_jupyter on a free build-cache slot).
    #[command(hide = true)]
    Kernel {
        #[arg(long = "control_file")]
        control_file: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum BenchSide {
    Textlab,
    TextlabRlib,
    PlainEvcxr,
}

impl From<BenchSide> for bench::Side {
    fn from(s: BenchSide) -> bench::Side {
        match s {
            BenchSide::Textlab => bench::Side::Textlab,
            BenchSide::TextlabRlib => bench::Side::TextlabRlib,
            BenchSide::PlainEvcxr => bench::Side::PlainEvcxr,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    Md,
    Html,
}

fn main() -> ExitCode {
    markers::install_in_runtime_child();
    evcxr::runtime_hook();
    // The kernelspec's wrapper (`kernel`) execs this binary as the Jupyter kernel itself.
    if std::env::args().nth(1).as_deref() == Some(install::CONTROL_FILE_ARG) {
        return match evcxr_jupyter::main() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Install {
            prefix,
            name,
            display_name,
            no_warm,
        } => cmd_install(InstallArgs {
            prefix,
            name,
            display_name,
            no_warm,
        }),
        Cmd::Run {
            notebooks,
            params,
            timeout,
            startup_timeout,
            out,
            in_place,
            quiet,
        } => {
            let output = match (out, in_place) {
                (Some(p), _) => Output::Path(p),
                (None, true) => Output::InPlace,
                (None, false) => Output::None,
            };
            let opts = RunOptions {
                timeout: Duration::from_secs(timeout),
                startup_timeout: Duration::from_secs(startup_timeout),
                parameters: params
                    .chunks(2)
                    .map(|c| (c[0].clone(), c[1].clone()))
                    .collect(),
                progress: !quiet,
            };
            cmd_run(&notebooks, &opts, &output)
        }
        Cmd::Export {
            notebooks,
            to,
            out,
            combined,
            title,
        } => {
            let format = match to {
                ExportFormat::Md => export::Format::Markdown,
                ExportFormat::Html => export::Format::Html,
            };
            cmd_export(&notebooks, format, out.as_deref(), combined, &title)
        }
        Cmd::Warm => warm(None),
        Cmd::Bench {
            repeat,
            json,
            no_anchor,
            before,
            side,
        } => match side {
            Some(side) => cmd_bench_side(side.into(), repeat),
            None => cmd_bench(repeat, json, no_anchor, before),
        },
        Cmd::Kernel { control_file } => install::exec_kernel(&control_file),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// A process-private directory for the rendered evcxr config, removed on drop.
struct TempConfigDir(PathBuf);

impl TempConfigDir {
    fn new() -> TempConfigDir {
        TempConfigDir(
            std::env::temp_dir().join(format!("textlab-kernel-config-{}", std::process::id())),
        )
    }
}

impl Drop for TempConfigDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn cmd_run(notebooks: &[PathBuf], opts: &RunOptions, output: &Output) -> Result<(), String> {
    let slot = cache::acquire_slot(&cache::cache_root(), &cache::textlab_repo())
        .map_err(|e| format!("cannot take a build-cache slot: {e}"))?;
    let config = TempConfigDir::new();
    runner::prepare_process(&config.0, &slot.dir).map_err(|e| e.to_string())?;
    if opts.progress {
        eprintln!("build cache: {} (slot {})", slot.dir.display(), slot.index);
    }
    let several = notebooks.len() > 1;
    if let Output::Path(p) = output
        && several
    {
        std::fs::create_dir_all(p).map_err(|e| format!("cannot create {}: {e}", p.display()))?;
    }
    let mut failures = Vec::new();
    for path in notebooks {
        let path = path
            .canonicalize()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let nb = nbformat::read(&path)?;
        let run = runner::run_notebook(&path, nb, opts)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if let Some(dest) = runner::output_path(output, &path, several) {
            if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            nbformat::write(&dest, &run.notebook)
                .map_err(|e| format!("cannot write {}: {e}", dest.display()))?;
        }
        match run.failure {
            Some(f) => {
                eprintln!("FAIL {}: {f}", path.display());
                failures.push(path);
            }
            None => eprintln!(
                "ok   {} ({:.1} s)",
                path.display(),
                run.elapsed.as_secs_f64()
            ),
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} of {} notebooks failed",
            failures.len(),
            notebooks.len()
        ))
    }
}

fn cmd_export(
    notebooks: &[PathBuf],
    format: export::Format,
    out: Option<&Path>,
    combined: bool,
    title: &str,
) -> Result<(), String> {
    let mut loaded = Vec::new();
    for path in notebooks {
        let nb = nbformat::read(path)?;
        loaded.push((export::title(&nb, path), export::anchor(path), nb, path));
    }
    let render = |entries: &[(String, String, &serde_json::Value)], title: &str| match format {
        export::Format::Markdown => export::markdown_document(title, entries),
        export::Format::Html => export::html_document(title, entries),
    };
    let write = |dest: &Path, text: String| {
        std::fs::write(dest, text).map_err(|e| format!("cannot write {}: {e}", dest.display()))?;
        eprintln!("wrote {}", dest.display());
        Ok::<(), String>(())
    };
    if combined {
        let entries: Vec<_> = loaded
            .iter()
            .map(|(t, a, nb, _)| (t.clone(), a.clone(), nb))
            .collect();
        let dest = out
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(format!("report.{}", format.extension())));
        return write(&dest, render(&entries, title));
    }
    let to_dir = out.is_some_and(|o| notebooks.len() > 1 || o.is_dir());
    if to_dir && let Some(dir) = out {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    for (t, a, nb, path) in &loaded {
        let file_name = path.with_extension(format.extension());
        let dest = match out {
            Some(dir) if to_dir => dir.join(file_name.file_name().unwrap_or_default()),
            Some(file) => file.to_path_buf(),
            None => file_name,
        };
        write(&dest, render(&[(t.clone(), a.clone(), nb)], t))?;
    }
    Ok(())
}

/// One side of the bench, in this process: prints its `SideResult` as JSON on stdout.
fn cmd_bench_side(side: bench::Side, repeat: usize) -> Result<(), String> {
    let root = cache::cache_root();
    let repo = cache::textlab_repo();
    let config = TempConfigDir::new();
    let slot = match side {
        bench::Side::Textlab => {
            let slot = cache::acquire_slot(&root, &repo)
                .map_err(|e| format!("cannot take a build-cache slot: {e}"))?;
            runner::prepare_process(&config.0, &slot.dir).map_err(|e| e.to_string())?;
            slot
        }
        bench::Side::TextlabRlib => {
            // The set-up before: evcxr as published (whole graph analysed, `?` found by trial,
            // its own profile). Its profile is chosen before the slot is taken, so that a cold
            // slot is not seeded from the release build, which that profile cannot use.
            // SAFETY: no other thread exists yet.
            unsafe { std::env::set_var("EVCXR_RELEASE_PROFILE", "0") };
            let slot = cache::acquire_slot(&root, &repo)
                .map_err(|e| format!("cannot take a build-cache slot: {e}"))?;
            runner::prepare_process(&config.0, &slot.dir).map_err(|e| e.to_string())?;
            cache::write_rlib_config(&config.0, &repo).map_err(|e| e.to_string())?;
            // SAFETY: as above.
            unsafe {
                for (key, _) in cache::engine_env() {
                    if key != "EVCXR_RELEASE_PROFILE" {
                        std::env::remove_var(key);
                    }
                }
            }
            slot
        }
        bench::Side::PlainEvcxr => {
            // evcxr as published, in its own cache, so the anchor never touches (or benefits
            // from) textlab's.
            // SAFETY: no other thread exists yet.
            unsafe { std::env::set_var("EVCXR_RELEASE_PROFILE", "0") };
            let slot = cache::acquire_slot(&root.join("plain-evcxr"), &repo)
                .map_err(|e| format!("cannot take a build-cache slot: {e}"))?;
            runner::prepare_plain_process(&config.0, &slot.dir).map_err(|e| e.to_string())?;
            slot
        }
    };
    eprintln!("[bench {}] build cache {}", side.name(), slot.dir.display());
    let result = bench::run_side(side, repeat, true)?;
    println!(
        "{}",
        serde_json::to_string(&result).map_err(|e| e.to_string())?
    );
    Ok(())
}

/// Runs each side in a child process, one after the other, and prints the comparison.
fn cmd_bench(repeat: usize, json: bool, no_anchor: bool, before: bool) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let run_side = |side: &str| -> Result<bench::SideResult, String> {
        let out = std::process::Command::new(&exe)
            .args(["bench", "--side", side, "--repeat", &repeat.to_string()])
            .stderr(std::process::Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
        if !out.status.success() {
            return Err(format!("the {side} side failed ({})", out.status));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .rev()
            .find(|l| l.starts_with('{'))
            .unwrap_or("");
        serde_json::from_str(line).map_err(|e| format!("the {side} side printed no result: {e}"))
    };
    let load_before = bench::load_average();
    let textlab = run_side("textlab")?;
    let textlab_rlib = if before {
        Some(run_side("textlab-rlib")?)
    } else {
        None
    };
    let plain_evcxr = if no_anchor {
        None
    } else {
        Some(run_side("plain-evcxr")?)
    };
    let report = bench::BenchReport {
        repeat,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        load_before,
        load_after: bench::load_average(),
        textlab,
        textlab_rlib,
        plain_evcxr,
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        );
    } else {
        println!("{report}");
    }
    Ok(())
}

struct InstallArgs {
    prefix: Option<PathBuf>,
    name: String,
    display_name: String,
    no_warm: bool,
}

/// The evcxr / evcxr_jupyter version linked in (pinned in Cargo.toml).
const EVCXR_VERSION: &str = "0.22.0";

fn cmd_install(args: InstallArgs) -> Result<(), String> {
    let t = Instant::now();
    let wrapper = std::env::current_exe().map_err(|e| e.to_string())?;
    let kernels = install::kernels_dir(args.prefix.as_deref())?;
    std::fs::create_dir_all(kernels.join(&args.name))
        .map_err(|e| format!("cannot create {}: {e}", kernels.display()))?;
    let repo = cache::textlab_repo();
    let dir = install::write_kernelspec(
        &kernels,
        &args.name,
        &args.display_name,
        &wrapper,
        &repo,
        &cache::cache_root(),
    )?;
    eprintln!(
        "installed kernelspec `{}` (\"{}\") in {}\n  kernel: {} (evcxr_jupyter {} built in)\n  textlab: {}\n  build cache: {}",
        args.name,
        args.display_name,
        dir.display(),
        wrapper.display(),
        EVCXR_VERSION,
        repo.display(),
        cache::cache_root().display()
    );
    if !args.no_warm {
        warm(Some(&dir.join("evcxr-config")))?;
    }
    eprintln!("install done in {:.0} s", t.elapsed().as_secs_f64());
    Ok(())
}

/// Runs a first cell headlessly so the build cache holds textlab at the kernel's settings.
fn warm(config_dir: Option<&Path>) -> Result<(), String> {
    let slot = cache::acquire_slot(&cache::cache_root(), &cache::textlab_repo())
        .map_err(|e| format!("cannot take a build-cache slot: {e}"))?;
    let temp = TempConfigDir::new();
    let config = config_dir.unwrap_or(&temp.0);
    runner::prepare_process(config, &slot.dir).map_err(|e| e.to_string())?;
    eprintln!("warming the build cache {}", slot.dir.display());
    let t = Instant::now();
    let nb = nbformat::new_notebook(vec![nbformat::code_cell(
        "let warm = Metrics::from_predictions(&[1, 0, 1, 0], &[1, 0, 0, 0])?;\nwarm.f1()",
        &[],
    )]);
    let opts = RunOptions {
        progress: true,
        ..RunOptions::default()
    };
    let run = runner::run_notebook(&slot.dir.join("warm.ipynb"), nb, &opts);
    let run = run?;
    if let Some(f) = run.failure {
        return Err(format!("warm-up failed: {f}"));
    }
    eprintln!(
        "build cache warm in {:.0} s: the first cell of a new kernel now only loads textlab",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
