//! Every notebook of the lab (notebooks/*.ipynb) runs top to bottom in quick mode through the
//! real engine (evcxr compiling textlab), with no failing cell, and shows what it should: HTML
//! tables and SVG figures. One test, so the notebooks share one warm build-cache slot.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn mimes(nb: &Value) -> Vec<String> {
    let mut v = Vec::new();
    for c in nb["cells"].as_array().unwrap() {
        for o in c["outputs"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
            if let Some(d) = o["data"].as_object() {
                v.extend(d.keys().cloned());
            }
        }
    }
    v
}

#[test]
fn lab_notebooks_run_in_quick_mode() {
    if std::env::var_os("TEXTLAB_KERNEL_SKIP_EVCXR").is_some() {
        eprintln!(
            "skipped: TEXTLAB_KERNEL_SKIP_EVCXR is set (these tests compile textlab in evcxr)"
        );
        return;
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let dir = repo.join("notebooks");
    let mut books: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "ipynb"))
        .collect();
    books.sort();
    assert_eq!(books.len(), 6, "{books:?}");
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_textlab-kernel"))
        .arg("run")
        .args(&books)
        .args(["-p", "quick", "true", "--out"])
        .arg(out.path())
        .env("TEXTLAB_QUIET", "1")
        .status()
        .unwrap();
    assert!(
        status.success(),
        "a notebook failed (see the cell and message above)"
    );
    // What each notebook must show (one output per MIME type per cell survives in Jupyter).
    let want: [(&str, &[&str]); 6] = [
        ("01-compute", &["text/html"]),
        ("02-data", &["text/html", "image/png", "image/svg+xml"]),
        ("03-logreg-balancing", &["text/html"]),
        ("04-l1-vs-l2", &["text/html", "image/png", "image/svg+xml"]),
        ("05-roberta", &["text/html"]),
        ("06-conclusions", &["text/html", "image/png"]),
    ];
    for (name, kinds) in want {
        let path = out.path().join(format!("{name}.ipynb"));
        let nb: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let got = mimes(&nb);
        for k in kinds {
            assert!(
                got.iter().any(|m| m == k),
                "{name}: no {k} output (got {got:?})"
            );
        }
        // A value evcxr could not show richly falls back to its Debug text: every displayed
        // value of the lab must arrive as HTML or as a PNG figure (which an untrusted notebook
        // still draws), always with a text/plain twin, and no HTML may carry inline <svg>.
        for c in nb["cells"].as_array().unwrap() {
            for o in c["outputs"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
                if let Some(d) = o["data"].as_object() {
                    assert!(
                        d.contains_key("text/html") || d.contains_key("image/png"),
                        "{name}: a cell showed only {:?} (evcxr fell back to Debug): {}",
                        d.keys().collect::<Vec<_>>(),
                        c["source"]
                    );
                    assert!(
                        d.contains_key("text/plain"),
                        "{name}: an output has no text/plain twin: {}",
                        c["source"]
                    );
                    let html = serde_json::to_string(&d.get("text/html")).unwrap();
                    assert!(
                        !html.contains("<svg"),
                        "{name}: inline <svg> in HTML (untrusted notebooks drop it): {}",
                        c["source"]
                    );
                }
            }
            // Progress is one rewritten line per job, not a flood of stored lines.
            let stderr_lines: usize = c["outputs"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[])
                .iter()
                .filter(|o| o["name"] == "stderr")
                .map(|o| match &o["text"] {
                    Value::String(t) => t.lines().count(),
                    Value::Array(a) => a
                        .iter()
                        .filter_map(Value::as_str)
                        .map(|t| t.lines().count())
                        .sum(),
                    _ => 0,
                })
                .sum();
            assert!(
                stderr_lines <= 30,
                "{name}: {stderr_lines} stored stderr lines in one cell: {}",
                c["source"]
            );
        }
        let text = serde_json::to_string(&nb).unwrap();
        // Every notebook after 01 draws figures, as PNG outputs or PNG <img> inside HTML (what an
        // untrusted notebook still shows).
        if name != "01-compute" {
            assert!(
                text.contains("image/png") || text.contains("data:image/png;base64,"),
                "{name}: no figure drew as PNG"
            );
        }
        assert!(
            !text.contains("panicked at"),
            "{name}: panic text in outputs"
        );
    }
}
