//! Fast tests (no evcxr compile): nbformat writing, stream merging, failure detection from
//! engine output, parameter injection and export.

use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use textlab_kernel::export;
use textlab_kernel::markers;
use textlab_kernel::nbformat::{self, Stream};
use textlab_kernel::params::{self, Parameter};
use textlab_kernel::runner::{self, FailureKind, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn chunks(items: &[(Stream, &str)]) -> Vec<(Stream, String)> {
    items.iter().map(|(s, l)| (*s, l.to_string())).collect()
}

fn eval_with(mime: &[(&str, &str)]) -> evcxr::EvalOutputs {
    let mut out = evcxr::EvalOutputs::new();
    out.content_by_mime_type = mime
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect::<HashMap<_, _>>();
    out
}

#[test]
fn smoke_fixture_is_valid_nbformat() {
    let nb = nbformat::read(&fixture("smoke.ipynb")).unwrap();
    nbformat::validate(&nb).unwrap();
    // What we write is byte-identical to what Jupyter (and the generator script) wrote.
    let on_disk = std::fs::read_to_string(fixture("smoke.ipynb")).unwrap();
    assert_eq!(nbformat::to_string(&nb), on_disk);
}

#[test]
fn consecutive_stream_chunks_merge() {
    let merged = nbformat::merge_streams(&chunks(&[
        (Stream::Stdout, "a"),
        (Stream::Stdout, "b"),
        (Stream::Stderr, "warn"),
        (Stream::Stdout, "c"),
    ]));
    assert_eq!(merged.len(), 3);
    assert_eq!(merged[0]["name"], "stdout");
    assert_eq!(merged[0]["text"], json!(["a\n", "b\n"]));
    assert_eq!(merged[1]["name"], "stderr");
    assert_eq!(nbformat::join_text(&merged[2]["text"]), "c\n");
}

#[test]
fn outputs_of_a_successful_cell() {
    let (outputs, failure) = runner::cell_outputs(
        chunks(&[
            (Stream::Stdout, "line 1"),
            (Stream::Stdout, "line 2"),
            (Stream::Stderr, "progress 50%"),
        ]),
        Ok(eval_with(&[
            ("text/html", "<table>\n<tr><td>1</td></tr>\n</table>"),
            ("image/svg+xml", "<svg/>"),
            ("application/json", "{\"a\": 1}"),
            ("text/plain", "42"),
        ])),
        3,
        false,
        Duration::from_secs(1),
    );
    assert!(failure.is_none(), "stderr text alone is not a failure");
    let kinds: Vec<&str> = outputs
        .iter()
        .map(|o| o["output_type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["stream", "stream", "execute_result"]);
    let result = &outputs[2];
    assert_eq!(result["execution_count"], 3);
    assert_eq!(
        result["data"]["text/html"],
        json!(["<table>\n", "<tr><td>1</td></tr>\n", "</table>"])
    );
    assert_eq!(result["data"]["application/json"], json!({"a": 1}));
    assert!(result["data"]["image/svg+xml"].is_array());

    let mut nb = nbformat::new_notebook(vec![nbformat::code_cell("42", &[])]);
    nb["cells"][0]["outputs"] = Value::Array(outputs);
    nb["cells"][0]["execution_count"] = json!(3);
    nbformat::validate(&nb).unwrap();
}

#[test]
fn panic_marker_fails_the_cell_with_the_message() {
    let (outputs, failure) = runner::cell_outputs(
        chunks(&[
            (Stream::Stdout, "before"),
            (
                Stream::Stderr,
                "thread '<unnamed>' panicked at src/lib.rs:7:1:",
            ),
            (Stream::Stderr, "boom 1"),
            (Stream::Stdout, markers::PANIC),
        ]),
        Ok(evcxr::EvalOutputs::new()),
        2,
        false,
        Duration::from_secs(1),
    );
    let (kind, message) = failure.unwrap();
    assert_eq!(kind, FailureKind::Panic);
    assert_eq!(message, "panicked at src/lib.rs:7:1: boom 1");
    assert!(
        outputs
            .iter()
            .all(|o| o["text"] != json!([format!("{}\n", markers::PANIC)])),
        "markers are not shown"
    );
    assert_eq!(outputs.last().unwrap()["output_type"], "error");
    assert_eq!(outputs.last().unwrap()["ename"], "Panic");
}

#[test]
fn panic_text_alone_still_fails() {
    // Without the marker (e.g. output from a spawned thread), the panic text is enough.
    let (_, failure) = runner::cell_outputs(
        chunks(&[
            (Stream::Stderr, "thread 'worker' panicked at a.rs:1:1:"),
            (Stream::Stderr, "oops"),
        ]),
        Ok(evcxr::EvalOutputs::new()),
        1,
        false,
        Duration::from_secs(1),
    );
    assert_eq!(failure.unwrap().0, FailureKind::Panic);
}

#[test]
fn returned_err_fails_with_the_printed_error() {
    let (outputs, failure) = runner::cell_outputs(
        chunks(&[
            (Stream::Stderr, "lengths differ: 2 vs 1"),
            (Stream::Stdout, markers::USER_ERROR),
        ]),
        Ok(evcxr::EvalOutputs::new()),
        4,
        false,
        Duration::from_secs(1),
    );
    let (kind, message) = failure.unwrap();
    assert_eq!(kind, FailureKind::ReturnedErr);
    assert_eq!(message, "lengths differ: 2 vs 1");
    assert_eq!(outputs.last().unwrap()["ename"], "Err");
}

#[test]
fn engine_errors_and_timeouts_fail() {
    let (outputs, failure) = runner::cell_outputs(
        Vec::new(),
        Err(evcxr::Error::from(
            "Subprocess terminated with status: signal 9",
        )),
        1,
        true,
        Duration::from_secs(5),
    );
    let (kind, message) = failure.unwrap();
    assert_eq!(kind, FailureKind::Timeout);
    assert!(message.contains("5 s timeout"), "{message}");
    assert_eq!(outputs[0]["output_type"], "error");

    let (_, failure) = runner::cell_outputs(
        Vec::new(),
        Err(evcxr::Error::from("child died")),
        1,
        false,
        Duration::from_secs(5),
    );
    assert_eq!(failure.unwrap(), (FailureKind::Engine, "child died".into()));
}

#[test]
fn written_notebooks_use_jupyter_style() {
    let nb = nbformat::new_notebook(vec![nbformat::code_cell("let x = 1;\nx", &["t"])]);
    let text = nbformat::to_string(&nb);
    assert!(text.starts_with("{\n \"cells\": [\n  {\n   \"cell_type\": \"code\""));
    assert!(text.ends_with("}\n"));
    let back: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(back, nb);
    assert_eq!(nbformat::source(&back["cells"][0]), "let x = 1;\nx");
}

#[test]
fn validate_rejects_broken_notebooks() {
    let good = nbformat::new_notebook(vec![nbformat::code_cell("1", &[])]);
    let mut bad = good.clone();
    bad["cells"][0]["outputs"] = json!([{"output_type": "stream", "name": "stdout"}]);
    assert!(nbformat::validate(&bad).is_err());
    let mut bad = good.clone();
    bad["cells"][0].as_object_mut().unwrap().remove("id");
    assert!(nbformat::validate(&bad).is_err());
    let mut bad = good;
    bad["nbformat"] = json!(3);
    assert!(nbformat::validate(&bad).is_err());
}

#[test]
fn parameters_cell_is_parsed() {
    let src = "// defaults\nlet quick = false; // small data\nlet mut lr: f64 = 0.1;\nlet path = \"a//b\".to_string();\nprintln!(\"x\");";
    assert_eq!(
        params::parse(src),
        vec![
            Parameter {
                name: "quick".into(),
                ty: None,
                default: "false".into()
            },
            Parameter {
                name: "lr".into(),
                ty: Some("f64".into()),
                default: "0.1".into()
            },
            Parameter {
                name: "path".into(),
                ty: None,
                default: "\"a//b\".to_string()".into()
            },
        ]
    );
}

#[test]
fn values_keep_the_default_type() {
    let p = |default: &str, ty: Option<&str>| Parameter {
        name: "x".into(),
        ty: ty.map(Into::into),
        default: default.into(),
    };
    assert_eq!(params::render_value(&p("false", None), "true"), "true");
    assert_eq!(
        params::render_value(&p("\"spam\"", None), "my.csv"),
        "\"my.csv\""
    );
    assert_eq!(
        params::render_value(&p("\"a\".to_string()", None), "b \"q\""),
        "\"b \\\"q\\\"\".to_string()"
    );
    assert_eq!(
        params::render_value(&p("PathBuf::from(\"data\")", None), "/tmp/x"),
        "PathBuf::from(\"/tmp/x\")"
    );
    assert_eq!(
        params::render_value(&p("\"a\"", None), "\"already\""),
        "\"already\""
    );
    assert_eq!(params::render_value(&p("0.1", None), "1"), "1.0");
    assert_eq!(params::render_value(&p("1", Some("f64")), "2"), "2.0");
    assert_eq!(params::render_value(&p("100", None), "5"), "5");
    assert_eq!(
        params::render_value(&p("String::new()", Some("String")), "x"),
        "\"x\".to_string()"
    );
}

#[test]
fn parameters_are_injected_after_the_parameters_cell() {
    let mut nb = nbformat::read(&fixture("smoke.ipynb")).unwrap();
    let overrides = vec![
        ("repeats".to_string(), "2".to_string()),
        ("label".to_string(), "ci run".to_string()),
    ];
    params::inject(&mut nb, &overrides).unwrap();
    // Injecting again replaces the earlier injected cell instead of adding a second one.
    params::inject(&mut nb, &overrides).unwrap();
    nbformat::validate(&nb).unwrap();
    let cells = nb["cells"].as_array().unwrap();
    let injected: Vec<usize> = (0..cells.len())
        .filter(|&i| nbformat::tags(&cells[i]).contains(&params::INJECTED_TAG.to_string()))
        .collect();
    assert_eq!(injected, [2], "right after the parameters cell (index 1)");
    let src = nbformat::source(&cells[2]);
    assert!(src.contains("let repeats = 2;\n"), "{src}");
    assert!(src.contains("let label = \"ci run\";"), "{src}");
    assert_eq!(cells[2]["id"], "injected-parameters");

    let err = params::inject(&mut nb, &[("repeat".into(), "1".into())]).unwrap_err();
    assert!(err.contains("unknown parameter `repeat`"), "{err}");
    let mut plain = nbformat::new_notebook(vec![nbformat::code_cell("1", &[])]);
    assert!(params::inject(&mut plain, &[("a".into(), "1".into())]).is_err());
    assert!(
        params::inject(&mut plain, &[]).is_ok(),
        "no -p, nothing to do"
    );
}

fn executed_notebook() -> Value {
    let mut nb = nbformat::new_notebook(vec![
        nbformat::markdown_cell("# Results\n\nThe *table* and the figure."),
        nbformat::code_cell("show(&m)", &[]),
        nbformat::code_cell("let x = 1 < 2;", &[]),
    ]);
    nb["cells"][1]["execution_count"] = json!(1);
    nb["cells"][1]["outputs"] = json!([
        nbformat::stream_output(Stream::Stdout, "p=1.0\n"),
        nbformat::execute_result(
            1,
            nbformat::mime_bundle(&HashMap::from([
                (
                    "text/html".to_string(),
                    "<table class=\"m\">\n\n<tr><td>1</td></tr></table>".to_string()
                ),
                (
                    "image/svg+xml".to_string(),
                    "<svg width=\"10\"></svg>".to_string()
                ),
                ("image/png".to_string(), "iVBORw0KGgo=".to_string()),
                ("text/plain".to_string(), "Metrics".to_string()),
            ]))
        ),
    ]);
    nb["cells"][2]["execution_count"] = json!(2);
    nb["cells"][2]["outputs"] = json!([
        nbformat::execute_result(
            2,
            nbformat::mime_bundle(&HashMap::from([(
                "text/plain".to_string(),
                "true".to_string()
            ),]))
        ),
        nbformat::error_output(
            "Panic",
            "panicked at x: \u{1b}[31mboom\u{1b}[0m",
            &["panicked at x: boom".to_string()]
        ),
    ]);
    nbformat::validate(&nb).unwrap();
    nb
}

#[test]
fn markdown_export_embeds_outputs() {
    let md = export::to_markdown(&executed_notebook());
    assert!(
        md.starts_with("# Results\n\nThe *table* and the figure.\n\n"),
        "{md}"
    );
    assert!(md.contains("```rust\nshow(&m)\n```"), "{md}");
    assert!(md.contains("```text\np=1.0\n```"), "{md}");
    assert!(
        md.contains("<table class=\"m\">\n<tr><td>1</td></tr></table>"),
        "HTML without blank lines: {md}"
    );
    assert!(md.contains("<svg width=\"10\"></svg>"), "SVG inline: {md}");
    assert!(
        !md.contains("data:image/png"),
        "the PNG beside an SVG is the same figure (textlab sends both): {md}"
    );
    assert!(
        !md.contains("Metrics"),
        "text/plain hidden next to rich output: {md}"
    );
    assert!(
        md.contains("```text\ntrue\n```"),
        "plain result shown: {md}"
    );
    assert!(
        md.contains("```text error\nPanic: panicked at x: boom"),
        "{md}"
    );
    assert!(!md.contains('\u{1b}'), "ANSI stripped");
}

#[test]
fn html_export_is_a_document() {
    let nb = executed_notebook();
    let one = export::html_document("Results", &[("Results".into(), "results".into(), &nb)]);
    assert!(one.starts_with("<!DOCTYPE html>"));
    assert!(one.contains("<h1>Results</h1>"), "markdown rendered");
    assert!(one.contains("<em>table</em>"));
    assert!(one.contains("show(&amp;m)"), "code escaped");
    assert!(one.contains("<svg width=\"10\"></svg>"));
    assert!(!one.contains("data:image/png"), "one figure, shown once");
    assert!(one.contains("<pre class=\"output error\">"));
    assert!(
        !one.contains("<nav"),
        "no table of contents for one notebook"
    );

    let both = export::html_document(
        "Lab",
        &[
            ("Results".into(), "a".into(), &nb),
            ("Again".into(), "b".into(), &nb),
        ],
    );
    assert!(both.contains("<a href=\"#a\">Results</a>"));
    assert!(both.contains("<section class=\"notebook\" id=\"b\">"));
    let md = export::markdown_document(
        "Lab",
        &[
            ("Results".into(), "a".into(), &nb),
            ("Again".into(), "b".into(), &nb),
        ],
    );
    assert!(
        md.starts_with("# Lab\n\n- [Results](#a)\n- [Again](#b)\n"),
        "{md}"
    );
}

#[test]
fn titles_and_anchors() {
    let nb = executed_notebook();
    assert_eq!(export::title(&nb, Path::new("x/03-a.ipynb")), "Results");
    let empty = nbformat::new_notebook(vec![]);
    assert_eq!(export::title(&empty, Path::new("x/03-a.ipynb")), "03-a");
    assert_eq!(
        export::anchor(Path::new("x/03 L1 vs L2.ipynb")),
        "03-l1-vs-l2"
    );
}

#[test]
fn output_paths() {
    let input = Path::new("/n/a.ipynb");
    assert_eq!(runner::output_path(&Output::None, input, false), None);
    assert_eq!(
        runner::output_path(&Output::InPlace, input, true).unwrap(),
        input
    );
    assert_eq!(
        runner::output_path(&Output::Path("/o/x.ipynb".into()), input, false).unwrap(),
        Path::new("/o/x.ipynb")
    );
    assert_eq!(
        runner::output_path(&Output::Path("/o".into()), input, true).unwrap(),
        Path::new("/o/a.ipynb")
    );
}

#[test]
fn kernelspec_runs_the_wrapper_with_the_config() {
    let spec = textlab_kernel::install::kernel_json(
        Path::new("/bin/textlab-kernel"),
        "Rust (textlab)",
        Path::new("/k/evcxr-config"),
        Path::new("/c/evcxr"),
        Path::new("/repo"),
    );
    assert_eq!(
        spec["argv"],
        json!([
            "/bin/textlab-kernel",
            "kernel",
            "--control_file",
            "{connection_file}"
        ])
    );
    assert_eq!(spec["display_name"], "Rust (textlab)");
    assert_eq!(spec["language"], "rust");
    assert_eq!(spec["env"]["EVCXR_CONFIG_DIR"], "/k/evcxr-config");
    assert!(
        spec["env"].get("TEXTLAB_EVCXR_JUPYTER").is_none(),
        "evcxr_jupyter is linked into the wrapper"
    );
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        textlab_kernel::install::kernels_dir(Some(dir.path())).unwrap(),
        dir.path().join("share/jupyter/kernels")
    );
}

#[test]
fn kernelspec_directory_holds_the_rendered_config() {
    let dir = tempfile::tempdir().unwrap();
    let spec_dir = textlab_kernel::install::write_kernelspec(
        dir.path(),
        "textlab",
        "Rust (textlab)",
        Path::new("/bin/textlab-kernel"),
        Path::new("/repo/textlab"),
        &dir.path().join("cache"),
    )
    .unwrap();
    let init = std::fs::read_to_string(spec_dir.join("evcxr-config/init.evcxr")).unwrap();
    assert!(init.contains("package = \"textlab-notebook\""), "{init}");
    let crate_dir = init
        .split("path = \"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("init.evcxr names the notebook crate's path");
    let toml = std::fs::read_to_string(Path::new(crate_dir).join("Cargo.toml")).unwrap();
    assert!(
        toml.contains("textlab = { path = \"/repo/textlab\" }"),
        "{toml}"
    );
    let prelude = std::fs::read_to_string(spec_dir.join("evcxr-config/prelude.rs")).unwrap();
    assert!(prelude.starts_with("use textlab::prelude::*;"), "{prelude}");
    assert!(
        prelude.contains("impl<T: ::std::fmt::Debug + ?Sized> EvcxrDebugDisplay for T"),
        "plain values display in one compile: {prelude}"
    );
    let spec: Value =
        serde_json::from_str(&std::fs::read_to_string(spec_dir.join("kernel.json")).unwrap())
            .unwrap();
    assert_eq!(
        spec["env"]["EVCXR_CONFIG_DIR"],
        json!(spec_dir.join("evcxr-config"))
    );
}
