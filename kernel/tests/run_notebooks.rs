//! Runs notebooks through `textlab-kernel run`, i.e. through evcxr compiling textlab.
//!
//! The first run on a machine compiles textlab and its dependencies for evcxr (minutes); the
//! build cache (`~/.cache/textlab/evcxr`, or `$TEXTLAB_EVCXR_CACHE`) makes later runs take
//! seconds. Set `TEXTLAB_KERNEL_SKIP_EVCXR=1` to skip these tests (they say so when skipped).
//! Everything runs in one test so the cache slot is not contended.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use textlab_kernel::nbformat;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_textlab-kernel"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn outputs_of<'a>(nb: &'a Value, id: &str) -> &'a [Value] {
    nb["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no cell {id}"))["outputs"]
        .as_array()
        .unwrap()
}

fn text_of(outputs: &[Value], kind: &str) -> String {
    outputs
        .iter()
        .filter(|o| o["output_type"] == "stream" && o["name"] == kind)
        .map(|o| nbformat::join_text(&o["text"]))
        .collect()
}

fn failing(dir: &Path, name: &str, cells: &[&str]) -> PathBuf {
    let nb = nbformat::new_notebook(cells.iter().map(|c| nbformat::code_cell(c, &[])).collect());
    let path = dir.join(name);
    nbformat::write(&path, &nb).unwrap();
    path
}

#[test]
fn notebooks_run_through_evcxr() {
    if std::env::var_os("TEXTLAB_KERNEL_SKIP_EVCXR").is_some() {
        eprintln!(
            "skipped: TEXTLAB_KERNEL_SKIP_EVCXR is set (these tests compile textlab in evcxr)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();

    // 1. The smoke notebook passes, with parameters, and its outputs land in valid nbformat.
    let out = dir.path().join("smoke.out.ipynb");
    let run = bin()
        .args(["run", "-p", "repeats", "2", "-p", "label", "from test"])
        .arg(fixture("smoke.ipynb"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "smoke notebook failed:\n{stderr}");
    let nb = nbformat::read(&out).unwrap();
    nbformat::validate(&nb).unwrap();
    let cells = nb["cells"].as_array().unwrap();
    assert_eq!(cells[2]["id"], "injected-parameters");

    let metrics = outputs_of(&nb, "metrics");
    let stdout = text_of(metrics, "stdout");
    assert_eq!(
        metrics
            .iter()
            .filter(|o| o["output_type"] == "stream")
            .count(),
        1,
        "printed lines merged into one stream output: {metrics:?}"
    );
    assert!(stdout.contains("label=from test"), "{stdout}");
    assert_eq!(
        stdout.matches("precision").count(),
        2,
        "report printed `repeats` = 2 times: {stdout}"
    );

    let html = outputs_of(&nb, "html");
    let result = html
        .iter()
        .find(|o| o["output_type"] == "execute_result")
        .expect("HTML display");
    let table = nbformat::join_text(&result["data"]["text/html"]);
    assert!(table.contains("<table class=\"smoke\">"), "{table}");

    assert_eq!(
        text_of(outputs_of(&nb, "stderr"), "stderr"),
        "a note on stderr\n"
    );
    let value = &outputs_of(&nb, "value")[0];
    assert_eq!(value["output_type"], "execute_result");
    assert!(
        nbformat::join_text(&value["data"]["text/plain"]).starts_with("\"0.6"),
        "{value}"
    );
    // A plain value shows as `{:?}` (the kernel prelude's trait: one compile, not two) ...
    let number = &outputs_of(&nb, "number")[0];
    assert_eq!(nbformat::join_text(&number["data"]["text/plain"]), "42");
    // ... while a textlab result, even behind a reference, keeps its own rich display.
    let rich = &outputs_of(&nb, "rich")[0];
    assert!(
        rich["data"]["text/html"].is_string() || rich["data"]["text/html"].is_array(),
        "a reference to Metrics still shows HTML: {rich}"
    );

    // A variable computed through a crate the engine's analysis left out (candle's
    // `Device::is_cpu`): the analysis widens once, says so in the cell, and the variable is usable
    // in the next cell.
    let widened = text_of(outputs_of(&nb, "outside"), "stdout");
    assert!(
        widened.contains("loading the whole dependency graph once"),
        "{widened}"
    );
    let used = &outputs_of(&nb, "outside-used")[0];
    assert_eq!(nbformat::join_text(&used["data"]["text/plain"]), "true");

    // 2. A panic, a returned Err, a compile error and a timeout each fail, naming the cell.
    let panic = failing(
        dir.path(),
        "panic.ipynb",
        &[
            "let x = 1;",
            "panic!(\"boom {}\", x);",
            "println!(\"not reached\");",
        ],
    );
    let err = failing(
        dir.path(),
        "err.ipynb",
        &[
            "let ok = 1;",
            "let m = Metrics::from_predictions(&[1, 0], &[1])?;",
        ],
    );
    let compile = failing(
        dir.path(),
        "compile.ipynb",
        &["let a = 1;", "let b = 2;", "let c: u32 = \"text\";"],
    );
    let slow = failing(
        dir.path(),
        "slow.ipynb",
        &[
            "let a = 1;",
            "std::thread::sleep(std::time::Duration::from_secs(600));",
        ],
    );
    let run = bin()
        .args(["run", "--timeout", "60", "--out"])
        .arg(dir.path().join("executed"))
        .args([&panic, &err, &compile, &slow])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        !run.status.success(),
        "failures must fail the run:\n{stderr}"
    );
    let fail_line = |name: &str| {
        stderr
            .lines()
            .find(|l| l.starts_with("FAIL ") && l.contains(name))
            .unwrap_or_else(|| panic!("no FAIL line for {name}:\n{stderr}"))
            .to_owned()
    };
    let line = fail_line("panic.ipynb");
    assert!(line.contains("cell 2 [In 2]: panic: panicked at"), "{line}");
    assert!(line.contains("boom 1"), "{line}");
    let line = fail_line("err.ipynb");
    assert!(line.contains("cell 2 [In 2]: returned Err:"), "{line}");
    let line = fail_line("compile.ipynb");
    assert!(line.contains("cell 3 [In 3]: compile error:"), "{line}");
    assert!(line.contains("mismatched types"), "{line}");
    let line = fail_line("slow.ipynb");
    assert!(line.contains("cell 2 [In 2]: timeout:"), "{line}");

    // Execution stops at the failing cell and the notebook records the error.
    let nb = nbformat::read(&dir.path().join("executed/panic.ipynb")).unwrap();
    let cells = nb["cells"].as_array().unwrap();
    let errors: Vec<&Value> = cells[1]["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["output_type"] == "error")
        .collect();
    assert_eq!(errors.len(), 1, "{:?}", cells[1]);
    assert!(text_of(cells[1]["outputs"].as_array().unwrap(), "stderr").contains("panicked at"));
    assert!(cells[2]["execution_count"].is_null(), "cell 3 not run");
}
