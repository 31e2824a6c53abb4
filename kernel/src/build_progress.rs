//! Progress of evcxr's build of textlab in a build-cache slot, for the long waits: a cold slot
//! (textlab, polars, candle and ~250 other crates, about 15 minutes on 2 cores) or textlab
//! rebuilt after a change (about a minute).
//!
//! evcxr runs cargo itself and shows nothing while it works, so progress is read from the slot:
//! the plan is the notebook crate's dependency graph (`cargo tree`), each crate weighted by the
//! size of its Rust sources (compile time grows with it; a crate count alone would race through
//! the small crates and then stall on polars), and a crate is done once its library sits in the
//! slot's `deps` directories.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// The crates a slot's build compiles, each with its weight.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildPlan {
    /// Library file stem (`polars_core`) -> bytes of Rust source.
    pub crates: HashMap<String, u64>,
}

impl BuildPlan {
    /// The graph of the notebook crate at `notebook_crate` for target `host`, as cargo builds it
    /// (`cargo tree` follows the enabled features; `cargo metadata` lists every optional crate).
    pub fn for_crate(notebook_crate: &Path, host: &str) -> Result<BuildPlan, String> {
        let out = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args([
                "tree",
                "--target",
                host,
                "-e",
                "normal,build",
                "--prefix",
                "none",
            ])
            .args(["--format", "{lib}|{p}", "--manifest-path"])
            .arg(notebook_crate.join("Cargo.toml"))
            .output()
            .map_err(|e| format!("cannot run cargo tree: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "cargo tree failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let cargo_home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
            .unwrap_or_default();
        let registries: Vec<PathBuf> = std::fs::read_dir(cargo_home.join("registry").join("src"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect();
        Ok(Self::from_tree(
            &String::from_utf8_lossy(&out.stdout),
            &registries,
        ))
    }

    /// Parses `cargo tree --format "{lib}|{p}"` lines (`polars_core|polars-core v0.55.0`, or
    /// `textlab|textlab v0.1.0 (/work/main)` for a path package); each library is weighted by
    /// the Rust sources of its package, found in one of the `registries` source directories.
    pub fn from_tree(tree: &str, registries: &[PathBuf]) -> BuildPlan {
        let mut crates = HashMap::new();
        for line in tree.lines() {
            let Some((lib, package)) = line.split_once('|') else {
                continue;
            };
            let lib = lib.trim();
            if lib.is_empty() || crates.contains_key(lib) {
                continue;
            }
            let package = package.trim().trim_end_matches("(*)").trim();
            let mut words = package.splitn(3, ' ');
            let (name, version) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
            let dir = match words.next() {
                Some(path) if path.starts_with('(') && !path.contains("registry") => {
                    Some(PathBuf::from(path.trim_matches(['(', ')'])))
                }
                _ => {
                    let folder = format!("{name}-{}", version.trim_start_matches('v'));
                    registries
                        .iter()
                        .map(|r| r.join(&folder))
                        .find(|d| d.is_dir())
                }
            };
            let bytes = dir.map_or(0, |d| rust_bytes(&d));
            crates.insert(lib.to_string(), bytes.max(1024));
        }
        BuildPlan { crates }
    }

    pub fn total(&self) -> u64 {
        self.crates.values().sum()
    }

    /// (weight done, crates done) given the library stems present in the slot.
    pub fn done(&self, built: &HashSet<String>) -> (u64, usize) {
        self.crates
            .iter()
            .filter(|(name, _)| built.contains(*name))
            .fold((0, 0), |(w, n), (_, weight)| (w + weight, n + 1))
    }
}

/// Bytes of `.rs` files under `dir` (not descending into `target`).
fn rust_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut total = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() && entry.file_name() != "target" => total += rust_bytes(&path),
            Ok(t) if t.is_file() && path.extension().is_some_and(|e| e == "rs") => {
                total += entry.metadata().map_or(0, |m| m.len());
            }
            _ => {}
        }
    }
    total
}

/// Library stems (`polars_core`) whose `lib<stem>-<hash>.{rlib,rmeta,so}` is in `dirs`.
/// Library stems present in `dirs`, each with the time its newest library was written.
pub fn built_crates(dirs: &[PathBuf]) -> HashMap<String, SystemTime> {
    let mut built: HashMap<String, SystemTime> = HashMap::new();
    for dir in dirs {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // Not `.rmeta`: cargo's pipelining writes it first, and codegen, often most of a
            // crate's time, follows.
            let Some(stem) = name
                .strip_prefix("lib")
                .and_then(|n| [".rlib", ".so"].iter().find_map(|ext| n.strip_suffix(ext)))
            else {
                continue;
            };
            let stem = stem.rsplit_once('-').map_or(stem, |(s, _)| s);
            let at = entry
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(SystemTime::UNIX_EPOCH);
            let newest = built.entry(stem.to_string()).or_insert(at);
            *newest = (*newest).max(at);
        }
    }
    built
}

/// The crates a slot's build compiles even when its dependencies were seeded: textlab and the
/// notebook crate (path packages, hashed by where they are used) and evcxr's cell crate.
const ALWAYS_COMPILED: [&str; 3] = ["textlab", "textlab_notebook", "ctx"];

/// Where a slot's dependencies came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seed {
    /// Not seeded: whatever is there was built for this slot.
    None,
    /// Copied from a release build, and cargo has rewritten none of them so far.
    Matching,
    /// Copied, but cargo compiles them again: that build used other settings.
    Mismatched,
}

/// Whether cargo wrote a dependency's library since `started` (see [`ALWAYS_COMPILED`]): the
/// seeded units did not match.
fn rewritten_dependency(built: &HashMap<String, SystemTime>, started: SystemTime) -> bool {
    built
        .iter()
        .any(|(stem, at)| *at >= started && !ALWAYS_COMPILED.contains(&stem.as_str()))
}

/// The crates that count as built: every library present in an unseeded slot; with a matching
/// seed, the seeded dependencies and what this build wrote (textlab's seeded library is the
/// project's, not the one the notebook links); after a mismatch, only what this build wrote.
fn counted(
    written: HashMap<String, SystemTime>,
    started: SystemTime,
    seed: Seed,
) -> HashSet<String> {
    written
        .into_iter()
        .filter(|(stem, at)| match seed {
            Seed::None => true,
            Seed::Matching => *at >= started || !ALWAYS_COMPILED.contains(&stem.as_str()),
            Seed::Mismatched => *at >= started,
        })
        .map(|(stem, _)| stem)
        .collect()
}

/// One progress line: a bar, the share of the weighted graph, crates, elapsed and what is left.
pub fn line(done: u64, total: u64, crates: (usize, usize), elapsed: Duration) -> String {
    let fraction = if total == 0 {
        0.0
    } else {
        (done as f64 / total as f64).min(1.0)
    };
    let width = 24;
    let filled = (fraction * width as f64).round() as usize;
    let secs = elapsed.as_secs();
    let left = if fraction >= 0.05 && secs >= 20 && fraction < 1.0 {
        let rest = secs as f64 * (1.0 - fraction) / fraction;
        format!("about {} left", minutes(rest))
    } else if fraction >= 1.0 {
        "linking".to_string()
    } else {
        "estimating the time left".to_string()
    };
    format!(
        "[{}{}] {:>3.0}% ({}/{} crates), {}:{:02} elapsed, {left}",
        "#".repeat(filled),
        ".".repeat(width - filled),
        fraction * 100.0,
        crates.0,
        crates.1,
        secs / 60,
        secs % 60
    )
}

fn minutes(secs: f64) -> String {
    if secs < 90.0 {
        format!("{:.0} s", (secs / 10.0).ceil() * 10.0)
    } else {
        format!("{:.0} min", (secs / 60.0).ceil())
    }
}

/// Prints a progress line every `every` while evcxr builds in `slot`, until dropped.
pub struct Watcher {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watcher {
    /// Starts watching; `plan` is computed on the watcher's thread (cargo metadata takes a second).
    ///
    /// `seeded`: the slot's dependencies were copied from the project's release build. They count
    /// as built until cargo writes one of them anew (that build used other settings); from then
    /// on only libraries written during this build count.
    pub fn start(
        notebook_crate: PathBuf,
        slot: PathBuf,
        host: String,
        every: Duration,
        seeded: bool,
    ) -> Watcher {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let started = SystemTime::now();
        let thread = std::thread::spawn(move || {
            let t = Instant::now();
            let plan = match BuildPlan::for_crate(&notebook_crate, &host) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("  (no progress bar: {e})");
                    return;
                }
            };
            let dirs = [
                // Our evcxr's release profile (`EVCXR_RELEASE_PROFILE`).
                slot.join("target").join("release").join("deps"),
                slot.join("target").join(&host).join("debug").join("deps"),
                // Proc-macros and build scripts are built for the host without `--target`.
                slot.join("target").join("debug").join("deps"),
            ];
            let mut last = Instant::now() - every;
            let mut seed = if seeded { Seed::Matching } else { Seed::None };
            // What was already there at the first look: the bar and its estimate cover the
            // rest, the work this build does.
            let mut base = None;
            while !flag.load(Ordering::SeqCst) {
                if last.elapsed() >= every {
                    let written = built_crates(&dirs);
                    if seed == Seed::Matching && rewritten_dependency(&written, started) {
                        seed = Seed::Mismatched;
                        base = Some((0, 0));
                        eprintln!(
                            "  cargo compiles dependencies again: the release build lacked them \
                             or made them with other settings (about 15 min on 2 cores for all)"
                        );
                    }
                    let (done, n) = plan.done(&counted(written, started, seed));
                    let (base_w, base_n) = *base.get_or_insert((done, n));
                    eprintln!(
                        "  {}",
                        line(
                            done.saturating_sub(base_w),
                            plan.total().saturating_sub(base_w),
                            (
                                n.saturating_sub(base_n),
                                plan.crates.len().saturating_sub(base_n)
                            ),
                            t.elapsed()
                        )
                    );
                    last = Instant::now();
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        });
        Watcher {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_weighs_each_library_by_its_package_sources() {
        let dir = tempfile::tempdir().unwrap();
        let registry = dir.path().join("index.crates.io-1234");
        let big = registry.join("big-crate-1.2.0");
        std::fs::create_dir_all(big.join("src/deep")).unwrap();
        std::fs::write(big.join("src/lib.rs"), vec![b'x'; 5000]).unwrap();
        std::fs::write(big.join("src/deep/m.rs"), vec![b'x'; 3000]).unwrap();
        std::fs::write(big.join("src/notes.txt"), vec![b'x'; 9000]).unwrap();
        let local = dir.path().join("my lab");
        std::fs::create_dir_all(local.join("src")).unwrap();
        std::fs::write(local.join("src/lib.rs"), vec![b'x'; 2000]).unwrap();
        let tree = format!(
            "big_crate|big-crate v1.2.0\n\
             big_crate|big-crate v1.2.0 (*)\n\
             small_macro|small-macro v0.1.0\n\
             textlab|textlab v0.1.0 ({})\n\
             |tool v1.0.0\n",
            local.display()
        );
        let plan = BuildPlan::from_tree(&tree, &[dir.path().join("other"), registry]);
        assert_eq!(plan.crates.len(), 3, "{plan:?}");
        assert_eq!(plan.crates["big_crate"], 8000);
        assert_eq!(plan.crates["textlab"], 2000, "a path package's own sources");
        assert_eq!(
            plan.crates["small_macro"], 1024,
            "a floor for missing sources"
        );
        let built = HashSet::from(["small_macro".to_string(), "textlab".to_string()]);
        assert_eq!(plan.done(&built), (3024, 2));
    }

    #[test]
    fn built_crates_reads_library_stems() {
        let dir = tempfile::tempdir().unwrap();
        for f in [
            "libpolars_core-0123abcd.rlib",
            "libpolars_core-0123abcd.rmeta",
            "libserde_derive-99.so",
            "libtextlab_notebook.so",
            // Metadata alone: still in codegen.
            "libtextlab-77.rmeta",
            "polars_core-0123abcd.d",
            "build_script_build-1",
        ] {
            std::fs::write(dir.path().join(f), b"").unwrap();
        }
        let built = built_crates(&[dir.path().to_path_buf(), dir.path().join("missing")]);
        let mut names: Vec<_> = built.into_keys().collect();
        names.sort();
        assert_eq!(names, ["polars_core", "serde_derive", "textlab_notebook"]);
    }

    #[test]
    fn a_seeded_dependency_written_again_means_the_seed_did_not_match() {
        let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let started = old + Duration::from_secs(3600);
        let later = started + Duration::from_secs(5);
        let mut built = HashMap::from([
            ("polars_core".to_string(), old),
            ("textlab".to_string(), later),
            ("textlab_notebook".to_string(), later),
            ("ctx".to_string(), later),
        ]);
        assert!(!rewritten_dependency(&built, started));
        let names = |built: &HashMap<String, SystemTime>, seed| {
            let mut v: Vec<_> = counted(built.clone(), started, seed).into_iter().collect();
            v.sort();
            v
        };
        assert_eq!(names(&built, Seed::None).len(), 4);
        assert_eq!(
            names(&built, Seed::Matching),
            ["ctx", "polars_core", "textlab", "textlab_notebook"]
        );
        // textlab's seeded library is the project's own: not the one this build needs.
        built.insert("textlab".to_string(), old);
        assert_eq!(
            names(&built, Seed::Matching),
            ["ctx", "polars_core", "textlab_notebook"]
        );
        built.insert("polars_core".to_string(), later);
        assert!(rewritten_dependency(&built, started));
        built.insert("serde".to_string(), old);
        assert_eq!(
            names(&built, Seed::Mismatched),
            ["ctx", "polars_core", "textlab_notebook"]
        );
    }

    #[test]
    fn line_estimates_only_once_there_is_something_to_go_on() {
        let early = line(1, 100, (3, 250), Duration::from_secs(10));
        assert!(early.contains("estimating"), "{early}");
        let half = line(50, 100, (120, 250), Duration::from_secs(300));
        assert!(half.contains(" 50%"), "{half}");
        assert!(half.contains("(120/250 crates)"), "{half}");
        assert!(half.contains("5:00 elapsed"), "{half}");
        assert!(half.contains("about 5 min left"), "{half}");
        assert!(half.contains("[############............]"), "{half}");
        let done = line(100, 100, (250, 250), Duration::from_secs(900));
        assert!(done.contains("100%") && done.contains("linking"), "{done}");
    }
}
