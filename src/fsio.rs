//! Files that are never half-written: every file textlab writes goes to a temporary sibling
//! (`.NAME.tmp-<pid>-<n>`) that is flushed, fsynced and renamed over the target, and every
//! directory that is one unit (a split, a report, a checkpoint) is staged as a whole sibling
//! directory and swapped in with one rename. A reader sees the old content or the new content,
//! never a mix, whatever happens to the writer (crash, kill, full disk).
//!
//! ```
//! # fn main() -> textlab::Result<()> {
//! let d = tempfile::tempdir().unwrap();
//! let p = d.path().join("a.txt");
//! textlab::fsio::write_bytes_atomic(&p, b"hello")?;
//! textlab::fsio::write_dir_atomic(&d.path().join("run"), |stage| {
//!     textlab::fsio::write_bytes_atomic(&stage.join("x.csv"), b"text,label\n")
//! })?;
//! let m = textlab::fsio::Manifest::check(&d.path().join("run"))?.expect("a manifest");
//! assert_eq!(m.files[0].path, "x.csv");
//! # Ok(()) }
//! ```
//!
//! Every directory written by [`write_dir_atomic`] carries a [`Manifest`]
//! (`textlab-manifest.json`: each file's size and FNV-1a hash), which readers check with
//! [`Manifest::check`].

use crate::error::{Error, IoContext, Result};
use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Name of the manifest inside every directory written by [`write_dir_atomic`].
pub const MANIFEST: &str = "textlab-manifest.json";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh hidden sibling of `path`: `.NAME.KIND-<pid>-<n>` in the same directory (so that a
/// rename onto `path` never crosses file systems).
pub fn temp_sibling(path: &Path, kind: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{kind}-{}-{n}", std::process::id()))
}

/// Remove temporary siblings of `path` (`.NAME.tmp-<pid>-<n>`, `.NAME.old-...`) left by
/// processes that no longer run (killed mid-write). Linux only (it asks `/proc`).
fn clean_stale(path: &Path) {
    if !cfg!(target_os = "linux") {
        return;
    }
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let Ok(rd) = fs::read_dir(parent_of(path)) else {
        return;
    };
    let me = std::process::id();
    for e in rd.flatten() {
        let f = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = [".tmp-", ".old-"]
            .iter()
            .find_map(|k| f.strip_prefix(&format!(".{name}{k}")))
        else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != me && !Path::new("/proc").join(pid.to_string()).exists() {
            let p = e.path();
            let _ = if p.is_dir() {
                fs::remove_dir_all(&p)
            } else {
                fs::remove_file(&p)
            };
        }
    }
}

/// An existing directory's real path (`.`, `..` and symbolic links resolved: the link's target
/// is what gets replaced, not the link); `path` itself otherwise.
fn resolve(path: &Path) -> PathBuf {
    if path.is_dir() {
        fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
    } else {
        path.to_path_buf()
    }
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// fsync a directory so that a rename inside it survives a crash (a no-op where directories
/// cannot be opened).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Write `path` atomically: `write` fills a buffered temporary sibling, which is flushed,
/// fsynced and renamed over `path`. On any error the temporary file is removed and `path` is
/// untouched. The parent directory is created if needed.
pub fn write_atomic<T>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<T>,
) -> Result<T> {
    let dir = parent_of(path);
    fs::create_dir_all(dir).at(dir)?;
    let tmp = temp_sibling(path, "tmp");
    let result = (|| {
        let f = File::create(&tmp).at(&tmp)?;
        let mut w = BufWriter::new(f);
        let out = write(&mut w)?;
        let f = w
            .into_inner()
            .map_err(|e| Error::io(path, e.into_error()))?;
        f.sync_all().at(path)?;
        fs::rename(&tmp, path).at(path)?;
        Ok(out)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    } else {
        sync_dir(dir);
    }
    result
}

/// [`write_atomic`] with the whole content at hand.
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic(path, |w| w.write_all(bytes).at(path))
}

/// 64-bit FNV-1a of `bytes` (a corruption check, not a cryptographic hash).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// One file of a [`Manifest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Path relative to the directory, `/`-separated.
    pub path: String,
    pub bytes: u64,
    /// FNV-1a 64 of the content, 16 hex digits.
    pub fnv1a64: String,
}

/// What a directory written as one unit holds, written last into it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub written_by: String,
    pub files: Vec<ManifestEntry>,
}

impl Manifest {
    /// Hash every file under `dir` (the manifest itself excluded).
    pub fn of_dir(dir: &Path) -> Result<Manifest> {
        Self::of_dir_synced(dir, false)
    }

    /// [`Manifest::of_dir`], fsyncing each file when `sync`.
    fn of_dir_synced(dir: &Path, sync: bool) -> Result<Manifest> {
        let mut files = Vec::new();
        collect(dir, dir, sync, &mut files)?;
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(Manifest {
            written_by: format!("textlab {}", env!("CARGO_PKG_VERSION")),
            files,
        })
    }

    /// The entry for `rel` (a `/`-separated path relative to the directory).
    pub fn entry(&self, rel: &str) -> Option<&ManifestEntry> {
        self.files.iter().find(|e| e.path == rel)
    }

    /// Read `dir`'s manifest (None when it has none) and check that every listed file is there
    /// with its size; `hash` also compares the content hashes.
    pub fn check_with(dir: &Path, hash: bool) -> Result<Option<Manifest>> {
        let mp = dir.join(MANIFEST);
        let text = match fs::read_to_string(&mp) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(mp, e)),
        };
        let m: Manifest = serde_json::from_str(&text)
            .map_err(|e| Error::data(format!("{}: not a textlab manifest ({e})", mp.display())))?;
        for f in &m.files {
            let p = dir.join(&f.path);
            let bad = |why: String| {
                Error::data(format!(
                    "{}: {why}; {} says it was written as {} bytes by {}: the directory was changed or damaged after it was written",
                    p.display(),
                    MANIFEST,
                    f.bytes,
                    m.written_by
                ))
            };
            let meta = match fs::metadata(&p) {
                Ok(m) => m,
                Err(_) => return Err(bad("missing".into())),
            };
            if meta.len() != f.bytes {
                return Err(bad(format!("{} bytes", meta.len())));
            }
            if hash {
                let bytes = fs::read(&p).at(&p)?;
                if format!("{:016x}", fnv1a64(&bytes)) != f.fnv1a64 {
                    return Err(bad("content differs (hash mismatch)".into()));
                }
            }
        }
        Ok(Some(m))
    }

    /// [`Manifest::check_with`] comparing sizes and hashes.
    pub fn check(dir: &Path) -> Result<Option<Manifest>> {
        Self::check_with(dir, true)
    }
}

fn collect(root: &Path, dir: &Path, sync: bool, out: &mut Vec<ManifestEntry>) -> Result<()> {
    for e in fs::read_dir(dir).at(dir)? {
        let p = e.at(dir)?.path();
        if p.is_dir() {
            collect(root, &p, sync, out)?;
            if sync {
                sync_dir(&p);
            }
            continue;
        }
        let rel = p.strip_prefix(root).unwrap_or(&p);
        let rel = rel
            .iter()
            .map(|c| c.to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        if rel == MANIFEST {
            continue;
        }
        let mut f = File::open(&p).at(&p)?;
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).at(&p)?;
        if sync {
            f.sync_all().at(&p)?;
        }
        out.push(ManifestEntry {
            path: rel,
            bytes: bytes.len() as u64,
            fnv1a64: format!("{:016x}", fnv1a64(&bytes)),
        });
    }
    Ok(())
}

/// Why `dir` cannot be replaced as a whole: it holds entries that textlab did not write there
/// (none of them in its manifest nor in `ours`).
fn foreign_entries(dir: &Path, ours: &[String]) -> Result<Vec<String>> {
    let listed: Vec<String> = match Manifest::check_with(dir, false) {
        Ok(Some(m)) => m
            .files
            .iter()
            .filter_map(|f| f.path.split('/').next().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    let mut foreign = Vec::new();
    for e in fs::read_dir(dir).at(dir)? {
        let name = e.at(dir)?.file_name().to_string_lossy().into_owned();
        if name != MANIFEST && !listed.contains(&name) && !ours.contains(&name) {
            foreign.push(name);
        }
    }
    foreign.sort();
    Ok(foreign)
}

/// Check, before any long computation, that `dir` can later be written as one unit by
/// [`write_dir_atomic`]: its parent can be created and written (a probe file is created and
/// removed there), and `dir`, if it exists, is a directory holding only what textlab wrote
/// there before (or the names in `ours`). `flag` names the option in the message (`--out`).
pub fn check_out_dir(dir: &Path, flag: &str, ours: &[&str]) -> Result<()> {
    if dir.as_os_str().is_empty() {
        return Err(Error::config(format!("{flag} is empty: give a directory")));
    }
    if dir.exists() && !dir.is_dir() {
        return Err(Error::config(format!(
            "{flag} {}: exists and is not a directory",
            dir.display()
        )));
    }
    let resolved = resolve(dir);
    let parent = parent_of(&resolved);
    fs::create_dir_all(parent).map_err(|e| {
        Error::config(format!(
            "{flag} {}: cannot create {} ({e})",
            dir.display(),
            parent.display()
        ))
    })?;
    let probe = temp_sibling(&resolved, "probe");
    match File::create(&probe) {
        Ok(_) => {
            let _ = fs::remove_file(&probe);
        }
        Err(e) => {
            return Err(Error::config(format!(
                "{flag} {}: cannot write in {} ({e})",
                dir.display(),
                parent.display()
            )));
        }
    }
    if dir.is_dir() {
        let ours: Vec<String> = ours.iter().map(|s| s.to_string()).collect();
        let foreign = foreign_entries(dir, &ours)?;
        if !foreign.is_empty() {
            return Err(foreign_error(dir, flag, &foreign));
        }
    }
    Ok(())
}

fn foreign_error(dir: &Path, flag: &str, foreign: &[String]) -> Error {
    let shown: Vec<&str> = foreign.iter().take(5).map(String::as_str).collect();
    Error::config(format!(
        "{flag} {}: the directory holds files textlab did not write there ({}{}); textlab replaces \
         its output directory as a whole, so choose a new or empty directory",
        dir.display(),
        shown.join(", "),
        if foreign.len() > 5 { ", ..." } else { "" }
    ))
}

/// Write the directory `dir` as one unit: `write` fills a staging sibling directory (passed to
/// it), a [`Manifest`] is written last, everything is fsynced, and the staging directory is
/// swapped with `dir` in one atomic rename (`renameat2(RENAME_EXCHANGE)` on Linux; elsewhere two
/// renames, between which `dir` is briefly absent but never mixed). The old content is then
/// removed. A `dir` holding files textlab did not write is refused (nothing is replaced).
pub fn write_dir_atomic<T>(dir: &Path, write: impl FnOnce(&Path) -> Result<T>) -> Result<T> {
    write_dir(dir, true, write)
}

/// [`write_dir_atomic`] without fsyncing each file: for directories of thousands of files whose
/// contents readers check against the manifest's hashes anyway (the corpus cache), where a
/// crash right after the swap is caught on reading, and 6000 fsyncs cost ~40 s here.
pub fn write_dir_atomic_unsynced<T>(
    dir: &Path,
    write: impl FnOnce(&Path) -> Result<T>,
) -> Result<T> {
    write_dir(dir, false, write)
}

fn write_dir<T>(dir: &Path, sync: bool, write: impl FnOnce(&Path) -> Result<T>) -> Result<T> {
    let resolved = resolve(dir);
    let dir = resolved.as_path();
    let parent = parent_of(dir);
    fs::create_dir_all(parent).at(parent)?;
    clean_stale(dir);
    let stage = temp_sibling(dir, "tmp");
    fs::create_dir(&stage).at(&stage)?;
    let result = (|| {
        let out = write(&stage)?;
        let m = Manifest::of_dir_synced(&stage, sync)?;
        let mp = stage.join(MANIFEST);
        write_bytes_atomic(&mp, &serde_json::to_vec_pretty(&m)?)?;
        sync_dir(&stage);
        swap_in(&stage, dir)?;
        Ok(out)
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&stage);
    }
    result
}

/// Put the finished `stage` at `dir` (see [`write_dir_atomic`]).
fn swap_in(stage: &Path, dir: &Path) -> Result<()> {
    let parent = parent_of(dir);
    if !dir.exists() {
        match fs::rename(stage, dir) {
            Ok(()) => {
                sync_dir(parent);
                return Ok(());
            }
            // Someone created `dir` meanwhile: replace it like any existing directory.
            Err(_) if dir.is_dir() => {}
            Err(e) => return Err(Error::io(dir, e)),
        }
    }
    if !dir.is_dir() {
        return Err(Error::config(format!(
            "{}: exists and is not a directory",
            dir.display()
        )));
    }
    let ours: Vec<String> = fs::read_dir(stage)
        .at(stage)?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    let foreign = foreign_entries(dir, &ours)?;
    if !foreign.is_empty() {
        return Err(foreign_error(dir, "output directory", &foreign));
    }
    if exchange(stage, dir).is_ok() {
        // `stage` now holds the old content.
        sync_dir(parent);
        let _ = fs::remove_dir_all(stage);
        return Ok(());
    }
    let old = temp_sibling(dir, "old");
    fs::rename(dir, &old).at(dir)?;
    if let Err(e) = fs::rename(stage, dir) {
        let _ = fs::rename(&old, dir);
        return Err(Error::io(dir, e));
    }
    sync_dir(parent);
    let _ = fs::remove_dir_all(&old);
    Ok(())
}

/// Swap two paths atomically (Linux `renameat2(RENAME_EXCHANGE)`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: two valid NUL-terminated paths; the syscall reads them only.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "no atomic exchange",
    ))
}

/// Check the manifest of the directory holding `path`, if it has one (a file written by
/// [`write_dir_atomic`] is read only when its directory is whole and unchanged).
pub fn check_beside(path: &Path) -> Result<()> {
    Manifest::check(parent_of(path)).map(|_| ())
}

/// Print to stdout; a failed write (full disk, closed pipe with SIGPIPE ignored) is an error
/// naming stdout, not a panic.
pub fn stdout(s: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(s.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Error::io("stdout", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_file_replaces_whole_and_leaves_no_temp() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("sub").join("f.txt");
        write_bytes_atomic(&p, b"one").unwrap();
        write_bytes_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        let e = write_atomic(&p, |w| {
            w.write_all(b"partial").at(&p)?;
            Err::<(), _>(Error::data("boom"))
        });
        assert!(e.is_err());
        assert_eq!(
            fs::read(&p).unwrap(),
            b"two",
            "a failed write leaves the old file"
        );
        let names: Vec<_> = fs::read_dir(p.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left");
    }

    #[test]
    fn directory_is_swapped_whole_with_a_manifest() {
        let d = tempfile::tempdir().unwrap();
        let out = d.path().join("run");
        write_dir_atomic(&out, |s| {
            write_bytes_atomic(&s.join("a.csv"), b"1")?;
            write_bytes_atomic(&s.join("figs").join("x.svg"), b"<svg/>")
        })
        .unwrap();
        write_dir_atomic(&out, |s| write_bytes_atomic(&s.join("b.csv"), b"22")).unwrap();
        let mut names: Vec<String> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["b.csv", MANIFEST], "nothing of the old run is left");
        let m = Manifest::check(&out).unwrap().unwrap();
        assert_eq!(m.files.len(), 1);
        assert_eq!(m.entry("b.csv").unwrap().bytes, 2);
        // a failing writer leaves the old directory as it was
        assert!(write_dir_atomic(&out, |_| Err::<(), _>(Error::data("no"))).is_err());
        assert!(out.join("b.csv").is_file());
        assert_eq!(
            fs::read_dir(d.path()).unwrap().count(),
            1,
            "no staging dir left"
        );
        // a changed file is caught by the reader's check
        fs::write(out.join("b.csv"), b"33").unwrap();
        let e = Manifest::check(&out).unwrap_err().to_string();
        assert!(e.contains("b.csv") && e.contains("hash"), "{e}");
        fs::write(out.join("b.csv"), b"333").unwrap();
        let e = Manifest::check_with(&out, false).unwrap_err().to_string();
        assert!(e.contains("3 bytes"), "{e}");
    }

    #[test]
    fn foreign_directories_are_refused_before_and_at_write_time() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("notes.txt"), "mine").unwrap();
        let e = check_out_dir(d.path(), "--out", &["train.csv"]).unwrap_err();
        assert!(e.to_string().contains("notes.txt"), "{e}");
        let e = write_dir_atomic(d.path(), |s| write_bytes_atomic(&s.join("a"), b"x"));
        assert!(e.is_err());
        assert!(d.path().join("notes.txt").is_file());
        check_out_dir(&d.path().join("new").join("deeper"), "--out", &[]).unwrap();
        // an old-style directory holding only our names is fine
        let old = d.path().join("old");
        fs::create_dir(&old).unwrap();
        fs::write(old.join("train.csv"), "x").unwrap();
        check_out_dir(&old, "--out", &["train.csv"]).unwrap();
        let f = d.path().join("notes.txt");
        assert!(check_out_dir(&f, "--out", &[]).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_output_directory_keeps_its_link() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("real");
        fs::create_dir(&real).unwrap();
        let link = d.path().join("latest");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_dir_atomic(&link, |s| write_bytes_atomic(&s.join("a"), b"1")).unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(real.join("a")).unwrap(), b"1");
    }

    #[test]
    fn fnv_known_values() {
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
    }
}
