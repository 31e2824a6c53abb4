//! The architecture as a test: every `crate::X` (and `super::` reaching the crate root) in
//! `src/**/*.rs` must point at a module on the same floor or below, the two model families must
//! not know each other, and the command line (`clap`) stays in `src/bin/`. README's "The pieces"
//! draws the same order.

use std::collections::BTreeSet;
use std::path::Path;

/// Floors, bottom to top. Modules on one floor may import each other, except the model families.
/// `metrics` sits below the families because both score with it (the CV search's F1, early
/// stopping on validation F1) and it needs nothing but the ground floor.
const FLOORS: &[&[&str]] = &[
    &["error", "rng", "progress", "fsio"],
    &["data"],
    &["features"],
    &["balance"],
    &["metrics"],
    &["linear", "transformer"],
    &["view"],
    &["plot"],
    &["lab"],
    &["display"],
    &["report"],
    &["prelude"],
];

/// Modules on one floor that must still not import each other.
const APART: [(&str, &str); 1] = [("linear", "transformer")];

/// Names `src/lib.rs` re-exports at the root, and the module they come from.
const ROOT_REEXPORTS: [(&str, &str); 2] = [("Error", "error"), ("Result", "error")];

fn floor(module: &str) -> Option<usize> {
    let module = ROOT_REEXPORTS
        .iter()
        .find(|(name, _)| *name == module)
        .map_or(module, |(_, m)| m);
    FLOORS.iter().position(|f| f.contains(&module))
}

/// Source without comments: doc links name modules without depending on them.
fn code_of(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut in_block = false;
    for line in src.lines() {
        let mut rest = line;
        let mut kept = String::new();
        loop {
            if in_block {
                match rest.find("*/") {
                    Some(i) => {
                        rest = &rest[i + 2..];
                        in_block = false;
                    }
                    None => break,
                }
            } else {
                let line_c = rest.find("//");
                let block_c = rest.find("/*");
                match (line_c, block_c) {
                    (Some(l), Some(b)) if b < l => {
                        kept.push_str(&rest[..b]);
                        rest = &rest[b + 2..];
                        in_block = true;
                    }
                    (Some(l), _) => {
                        kept.push_str(&rest[..l]);
                        break;
                    }
                    (None, Some(b)) => {
                        kept.push_str(&rest[..b]);
                        rest = &rest[b + 2..];
                        in_block = true;
                    }
                    (None, None) => {
                        kept.push_str(rest);
                        break;
                    }
                }
            }
        }
        out.push_str(&kept);
        out.push('\n');
    }
    out
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The top-level modules a file refers to: `crate::x`, `crate::{x, y::z}`, and `super::` chains
/// that climb to the crate root. `crate::some_macro!` is not a module.
fn top_level_refs(file: &str, code: &str) -> BTreeSet<String> {
    // Depth of the file's module below the crate root: src/a.rs and src/a/mod.rs are 1.
    let rel = file.trim_start_matches("src/").trim_end_matches(".rs");
    let parts: Vec<&str> = rel.split('/').filter(|p| *p != "mod").collect();
    let depth = parts.len();
    let mut refs = BTreeSet::new();
    let add_after_root = |rest: &str, refs: &mut BTreeSet<String>| {
        let rest = rest.trim_start();
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                let id = ident_at(item.trim());
                if !id.is_empty() && id != "self" {
                    refs.insert(id.to_string());
                }
            }
        } else {
            let id = ident_at(rest);
            let is_macro = rest[id.len()..].starts_with('!');
            if !id.is_empty() && !is_macro {
                refs.insert(id.to_string());
            }
        }
    };
    for (i, _) in code.match_indices("crate::") {
        // `$crate::` (in macros) and `textlab_crate::` are not this crate's root path.
        let before = code[..i].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        add_after_root(&code[i + "crate::".len()..], &mut refs);
    }
    for (i, _) in code.match_indices("super::") {
        let before = code[..i].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            continue; // the middle of a `super::super::` chain
        }
        let mut rest = &code[i..];
        let mut up = 0;
        while let Some(r) = rest.strip_prefix("super::") {
            up += 1;
            rest = r;
        }
        if up >= depth {
            add_after_root(rest, &mut refs);
        }
    }
    refs
}

/// Every rule broken by `files` (path relative to the crate root, source).
fn violations(files: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (path, src) in files {
        if path.starts_with("src/bin/") || path == "src/lib.rs" {
            continue;
        }
        let code = code_of(src);
        if code
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .any(|w| w == "clap")
        {
            out.push(format!(
                "{path}: uses clap; command-line types live in src/bin/"
            ));
        }
        let rel = path.trim_start_matches("src/");
        let module = rel.split(['/', '.']).next().unwrap_or(rel);
        let Some(own) = floor(module) else {
            out.push(format!(
                "{path}: module `{module}` has no floor in tests/layers.rs"
            ));
            continue;
        };
        for dep in top_level_refs(path, &code) {
            if dep == module {
                continue;
            }
            match floor(&dep) {
                None => out.push(format!("{path}: refers to unknown module `crate::{dep}`")),
                Some(f) if f > own => out.push(format!(
                    "{path}: `{module}` imports `{dep}`, which is above it"
                )),
                Some(_)
                    if APART
                        .iter()
                        .any(|&(a, b)| (a, b) == (module, &*dep) || (b, a) == (module, &*dep)) =>
                {
                    out.push(format!(
                        "{path}: `{module}` imports `{dep}`; the model families stay apart"
                    ))
                }
                Some(_) => {}
            }
        }
    }
    out
}

fn sources(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            sources(&p, root, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            let rel = p
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, std::fs::read_to_string(&p).unwrap()));
        }
    }
}

#[test]
fn no_module_imports_one_above_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("src"), root, &mut files);
    assert!(files.len() > 50, "found only {} source files", files.len());
    let v = violations(&files);
    assert!(v.is_empty(), "layering broken:\n{}", v.join("\n"));
}

#[test]
fn the_checker_sees_each_kind_of_violation() {
    let f = |p: &str, s: &str| (p.to_string(), s.to_string());
    let v = violations(&[
        f("src/linear/search.rs", "use crate::lab::ClassicLab;"),
        f(
            "src/linear/model.rs",
            "use crate::{metrics::Metrics, transformer::X};",
        ),
        f("src/metrics.rs", "fn a() { super::plot::bar(); }"),
        f("src/lab/run.rs", "#[derive(clap::Args)] struct A;"),
        f(
            "src/data/split/deep.rs",
            "use super::super::super::view::Table;",
        ),
        f("src/newthing.rs", "use crate::error::Result;"),
        f(
            "src/features/ok.rs",
            "fn f() -> crate::Result<()> { Err(crate::Error::data(\"x\")) }",
        ),
        // Allowed: below, same module, comments, macros, the binary.
        f(
            "src/lab/ok.rs",
            "use crate::{data, linear::LogReg}; // crate::report\ncrate::rich_display!(X);",
        ),
        f(
            "src/display/ok.rs",
            "/* crate::prelude */ use super::super::lab::X;",
        ),
        f(
            "src/bin/textlab/main.rs",
            "use clap::Parser; use crate::lab::X;",
        ),
    ]);
    let has = |needle: &str| v.iter().any(|m| m.contains(needle));
    assert!(
        has("src/linear/search.rs: `linear` imports `lab`"),
        "{v:#?}"
    );
    assert!(
        has("src/linear/model.rs: `linear` imports `transformer`; the model families"),
        "{v:#?}"
    );
    assert!(has("src/metrics.rs: `metrics` imports `plot`"), "{v:#?}");
    assert!(has("src/lab/run.rs: uses clap"), "{v:#?}");
    assert!(
        has("src/data/split/deep.rs: `data` imports `view`"),
        "{v:#?}"
    );
    assert!(has("module `newthing` has no floor"), "{v:#?}");
    assert_eq!(v.len(), 6, "{v:#?}");
}
