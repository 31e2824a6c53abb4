//! The evcxr configuration and the persistent build cache shared by the kernel and the runner.
//!
//! evcxr compiles a notebook's crate (and with it textlab, polars, candle) with its own flags
//! (`-Cprefer-dynamic`, its own `[profile.dev]`, an explicit `--target`) in `$EVCXR_TMPDIR/target`,
//! so nothing from our `cargo build --release` can be reused: the best we can do is keep that
//! directory between kernel starts. Two evcxr processes must never share one (each rewrites the
//! crate's `src/lib.rs` before building), so the cache is split into slots, `slot-0`, `slot-1`, ...
//! each guarded by an exclusive `flock`: a kernel or a runner takes the first free slot. With one
//! notebook open at a time everything lands in the warm `slot-0`.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// `:opt` level of the cell crate (dependencies always get opt-level 3, see `cargo-config.toml`).
///
/// Measured on this project's 2-core machine: cells are glue code calling into textlab, so
/// optimizing them buys nothing visible while it costs compile time on every cell.
pub const CELL_OPT_LEVEL: &str = "0";

const INIT_TEMPLATE: &str = include_str!("../config/init.evcxr");
const PRELUDE: &str = include_str!("../config/prelude.rs");
const CARGO_CONFIG: &str = include_str!("../config/cargo-config.toml");

/// Root of the build cache: `$TEXTLAB_EVCXR_CACHE`, else `$XDG_CACHE_HOME/textlab/evcxr`, else
/// `~/.cache/textlab/evcxr`.
pub fn cache_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("TEXTLAB_EVCXR_CACHE") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("textlab").join("evcxr")
}

/// The textlab checkout notebooks depend on: `$TEXTLAB_REPO`, else the parent of this crate.
pub fn textlab_repo() -> PathBuf {
    let dir = std::env::var_os("TEXTLAB_REPO")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    dir.canonicalize().unwrap_or(dir)
}

/// `init.evcxr` for a checkout at `repo`.
pub fn render_init(repo: &Path, opt_level: &str) -> String {
    let path = repo
        .to_string_lossy()
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    INIT_TEMPLATE
        .replace("{{OPT_LEVEL}}", opt_level)
        .replace("{{TEXTLAB_PATH}}", &path)
}

/// Writes `init.evcxr` and `prelude.rs` into `dir` (the directory `EVCXR_CONFIG_DIR` names).
pub fn write_config(dir: &Path, repo: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    write_if_changed(&dir.join("init.evcxr"), &render_init(repo, CELL_OPT_LEVEL))?;
    write_if_changed(&dir.join("prelude.rs"), PRELUDE)
}

fn write_if_changed(path: &Path, content: &str) -> io::Result<()> {
    if fs::read_to_string(path).ok().as_deref() != Some(content) {
        fs::write(path, content)?;
    }
    Ok(())
}

/// `LD_LIBRARY_PATH` for evcxr's child process: the toolchain's `lib/rustlib/<host>/lib`
/// prepended to the current value.
///
/// evcxr builds cells with `-Cprefer-dynamic`, so each cell library needs `libstd-*.so`. rustc
/// writes a `$ORIGIN`-relative RUNPATH for the library in `target/<triple>/debug/deps/`, but evcxr
/// loads a copy one directory up, so the path climbs one level too many. In evcxr's default
/// `/tmp/.tmpXXXX` that lands on `/` and still works; in `~/.cache/textlab/evcxr/slot-N` it does
/// not (`dlopen failed`, libstd not found).
pub fn child_library_path() -> Option<std::ffi::OsString> {
    // Jupyter may start the kernel without ~/.cargo/bin on PATH (evcxr adds it for cargo).
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|d| d.join("bin").join("rustc"));
    let candidates: Vec<std::ffi::OsString> = std::env::var_os("RUSTC")
        .into_iter()
        .chain(["rustc".into()])
        .chain(cargo_bin.map(Into::into))
        .collect();
    let run = |args: &[&str]| {
        candidates.iter().find_map(|rustc| {
            let out = std::process::Command::new(rustc).args(args).output().ok()?;
            out.status
                .success()
                .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
        })
    };
    let sysroot = run(&["--print", "sysroot"])?;
    let version = run(&["-vV"])?;
    let host = version.lines().find_map(|l| l.strip_prefix("host: "))?;
    let lib = Path::new(sysroot.trim())
        .join("lib")
        .join("rustlib")
        .join(host.trim())
        .join("lib");
    let mut paths = vec![lib];
    if let Some(old) = std::env::var_os("LD_LIBRARY_PATH") {
        paths.extend(std::env::split_paths(&old));
    }
    std::env::join_paths(paths).ok()
}

/// An exclusively held build directory; the lock is released when this is dropped (or, after
/// [`Slot::keep_across_exec`], when the process that exec'd exits).
#[derive(Debug)]
pub struct Slot {
    pub index: usize,
    pub dir: PathBuf,
    lock: File,
}

impl Slot {
    /// Lets the lock survive `exec` (the kernel wrapper execs evcxr_jupyter).
    pub fn keep_across_exec(&self) -> io::Result<()> {
        // SAFETY: plain fcntl on a descriptor we own.
        let rc = unsafe { libc::fcntl(self.lock.as_raw_fd(), libc::F_SETFD, 0) };
        if rc == -1 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

/// Takes the first free slot under `root`, creating it (and the cache's cargo settings) if
/// needed. A new slot is seeded with `repo`'s `Cargo.lock` so notebooks build against the same
/// dependency versions as the tests.
pub fn acquire_slot(root: &Path, repo: &Path) -> io::Result<Slot> {
    fs::create_dir_all(root.join(".cargo"))?;
    write_if_changed(&root.join(".cargo").join("config.toml"), CARGO_CONFIG)?;
    for index in 0.. {
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(root.join(format!("slot-{index}.lock")))?;
        // SAFETY: flock on a descriptor we own.
        let rc = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let err = io::Error::last_os_error();
            if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
                continue;
            }
            return Err(err);
        }
        let dir = root.join(format!("slot-{index}"));
        fs::create_dir_all(&dir)?;
        let lockfile = dir.join("Cargo.lock");
        if !lockfile.exists() {
            // Best effort: without it cargo just resolves the newest compatible versions.
            let _ = fs::copy(repo.join("Cargo.lock"), &lockfile);
        }
        return Ok(Slot { index, dir, lock });
    }
    unreachable!("slot indices are unbounded")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_names_the_repo_and_opt_level() {
        let init = render_init(Path::new("/x/my \"repo\""), "1");
        assert!(init.contains(":opt 1\n"), "{init}");
        assert!(
            init.contains(r#":dep textlab = { path = "/x/my \"repo\"" }"#),
            "{init}"
        );
    }

    #[test]
    fn slots_are_exclusive() {
        let root = tempfile::tempdir().unwrap();
        let repo = tempfile::tempdir().unwrap();
        let a = acquire_slot(root.path(), repo.path()).unwrap();
        let b = acquire_slot(root.path(), repo.path()).unwrap();
        assert_eq!((a.index, b.index), (0, 1));
        drop(a);
        let c = acquire_slot(root.path(), repo.path()).unwrap();
        assert_eq!(c.index, 0);
        assert!(root.path().join(".cargo/config.toml").exists());
    }
}
