//! Jupyter notebooks (nbformat 4) as plain `serde_json` values.
//!
//! Only what the runner and the exporter need: reading and writing in Jupyter's on-disk style
//! (one-space indent, sorted keys, multi-line strings as lists of lines), building the four output
//! types, merging stream chunks, and a structural check of the nbformat 4 schema that tests use.

use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::path::Path;

/// Reads a notebook and checks that it is nbformat 4.
pub fn read(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let nb: Value = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not valid JSON: {e}", path.display()))?;
    validate(&nb).map_err(|e| format!("{} is not an nbformat 4 notebook: {e}", path.display()))?;
    Ok(nb)
}

/// Serializes like Jupyter does: one-space indent, keys sorted, trailing newline.
pub fn to_string(nb: &Value) -> String {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    serde::Serialize::serialize(&sorted(nb), &mut ser).expect("serializing JSON to memory");
    let mut text = String::from_utf8(out).expect("serde_json writes UTF-8");
    text.push('\n');
    text
}

/// Writes `nb` to `path` atomically (temporary file + rename).
pub fn write(path: &Path, nb: &Value) -> std::io::Result<()> {
    let tmp = path.with_extension("ipynb.tmp");
    std::fs::write(&tmp, to_string(nb))?;
    std::fs::rename(&tmp, path)
}

// serde_json keeps insertion order when some crate in the graph enables `preserve_order`;
// Jupyter sorts keys, and so do we, so that re-running a notebook gives a small diff.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), sorted(&map[k]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Joins an nbformat multi-line string (a string or a list of strings).
pub fn join_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts.iter().filter_map(Value::as_str).collect(),
        _ => String::new(),
    }
}

/// Splits text into the list-of-lines form Jupyter writes (each line keeps its `\n`).
pub fn multiline(text: &str) -> Value {
    Value::Array(
        text.split_inclusive('\n')
            .map(|l| Value::String(l.to_owned()))
            .collect(),
    )
}

/// The source of a cell as one string.
pub fn source(cell: &Value) -> String {
    join_text(&cell["source"])
}

pub fn cell_type(cell: &Value) -> &str {
    cell["cell_type"].as_str().unwrap_or("")
}

/// The cell's `metadata.tags`.
pub fn tags(cell: &Value) -> Vec<String> {
    cell["metadata"]["tags"]
        .as_array()
        .map(|t| {
            t.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether this notebook's cells must carry an `id` (nbformat 4.5 and later).
pub fn needs_cell_ids(nb: &Value) -> bool {
    nb["nbformat_minor"].as_u64().unwrap_or(0) >= 5
}

/// A new code cell (no outputs, not executed).
pub fn code_cell(source: &str, tags: &[&str]) -> Value {
    let mut metadata = Map::new();
    if !tags.is_empty() {
        metadata.insert("tags".into(), json!(tags));
    }
    json!({
        "cell_type": "code",
        "execution_count": null,
        "metadata": metadata,
        "outputs": [],
        "source": multiline(source),
    })
}

/// A new markdown cell.
pub fn markdown_cell(source: &str) -> Value {
    json!({ "cell_type": "markdown", "metadata": {}, "source": multiline(source) })
}

/// A new nbformat 4.5 notebook for the textlab kernel; cells get ids `cell-1`, `cell-2`, ...
pub fn new_notebook(cells: Vec<Value>) -> Value {
    let cells: Vec<Value> = cells
        .into_iter()
        .enumerate()
        .map(|(i, mut c)| {
            c["id"] = json!(format!("cell-{}", i + 1));
            c
        })
        .collect();
    json!({
        "cells": cells,
        "metadata": {
            "kernelspec": { "display_name": "Rust (textlab)", "language": "rust", "name": "textlab" },
            "language_info": {
                "codemirror_mode": "rust",
                "file_extension": ".rs",
                "mimetype": "text/rust",
                "name": "Rust",
                "pygment_lexer": "rust",
                "version": ""
            }
        },
        "nbformat": 4,
        "nbformat_minor": 5
    })
}

/// Which stream a chunk of text went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    pub fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// Stream outputs from line chunks in arrival order: evcxr delivers printed text one line at a
/// time, and consecutive chunks of the same stream become one output (as Jupyter's front end
/// shows them). A line rewritten with `\r` is stored as shown (see [`overprint`]).
pub fn merge_streams(chunks: &[(Stream, String)]) -> Vec<Value> {
    let mut out: Vec<(Stream, String)> = Vec::new();
    for (stream, line) in chunks {
        let line = &overprint(line);
        match out.last_mut() {
            Some((s, text)) if s == stream => {
                text.push_str(line);
                text.push('\n');
            }
            _ => out.push((*stream, format!("{line}\n"))),
        }
    }
    out.into_iter()
        .map(|(s, text)| stream_output(s, &text))
        .collect()
}

/// What a terminal, and Jupyter's front end, shows of a line rewritten with `\r`: each part
/// overwrites the start of the line. A progress line rewrites itself hundreds of times in a long
/// run; storing every rewrite would bloat the notebook with text nobody sees.
pub fn overprint(line: &str) -> String {
    if !line.contains('\r') {
        return line.to_string();
    }
    let mut shown: Vec<char> = Vec::new();
    for part in line.split('\r') {
        for (i, c) in part.chars().enumerate() {
            match shown.get_mut(i) {
                Some(old) => *old = c,
                None => shown.push(c),
            }
        }
    }
    shown.into_iter().collect()
}

pub fn stream_output(stream: Stream, text: &str) -> Value {
    json!({ "name": stream.name(), "output_type": "stream", "text": multiline(text) })
}

/// MIME bundle as nbformat stores it: JSON types as JSON, everything else as lines.
pub fn mime_bundle(content_by_mime_type: &HashMap<String, String>) -> Map<String, Value> {
    let mut data = Map::new();
    for (mime, content) in content_by_mime_type {
        let value = if is_json_mime(mime) {
            serde_json::from_str(content).unwrap_or_else(|_| Value::String(content.clone()))
        } else {
            multiline(content)
        };
        data.insert(mime.clone(), value);
    }
    data
}

fn is_json_mime(mime: &str) -> bool {
    mime == "application/json" || mime.ends_with("+json")
}

/// The value a cell produced, with every MIME type evcxr collected (this is what
/// evcxr_jupyter sends, so notebooks read the same whichever ran them).
pub fn execute_result(execution_count: u64, data: Map<String, Value>) -> Value {
    json!({
        "data": data,
        "execution_count": execution_count,
        "metadata": {},
        "output_type": "execute_result",
    })
}

pub fn display_data(data: Map<String, Value>) -> Value {
    json!({ "data": data, "metadata": {}, "output_type": "display_data" })
}

pub fn error_output(ename: &str, evalue: &str, traceback: &[String]) -> Value {
    json!({
        "ename": ename,
        "evalue": evalue,
        "output_type": "error",
        "traceback": traceback,
    })
}

/// Structural check of the nbformat 4 schema: the keys every cell and output type requires,
/// with the right JSON types. Not the full JSON schema, but what Jupyter refuses to open.
pub fn validate(nb: &Value) -> Result<(), String> {
    if nb["nbformat"].as_u64() != Some(4) {
        return Err("`nbformat` is not 4".into());
    }
    if !nb["nbformat_minor"].is_u64() {
        return Err("`nbformat_minor` missing".into());
    }
    if !nb["metadata"].is_object() {
        return Err("`metadata` is not an object".into());
    }
    let cells = nb["cells"].as_array().ok_or("`cells` is not a list")?;
    let ids = needs_cell_ids(nb);
    let mut seen = std::collections::HashSet::new();
    for (i, cell) in cells.iter().enumerate() {
        let at = |m: &str| format!("cell {}: {m}", i + 1);
        if !cell["metadata"].is_object() {
            return Err(at("`metadata` is not an object"));
        }
        if !is_multiline(&cell["source"]) {
            return Err(at("`source` is not a string or list of strings"));
        }
        if ids {
            let id = cell["id"]
                .as_str()
                .ok_or_else(|| at("`id` missing (nbformat 4.5)"))?;
            let ok = !id.is_empty()
                && id.len() <= 64
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok || !seen.insert(id.to_owned()) {
                return Err(at(&format!("bad or duplicate id {id:?}")));
            }
        }
        match cell_type(cell) {
            "code" => {
                if !(cell["execution_count"].is_null() || cell["execution_count"].is_u64()) {
                    return Err(at("`execution_count` is not null or an integer"));
                }
                let outputs = cell["outputs"]
                    .as_array()
                    .ok_or_else(|| at("`outputs` is not a list"))?;
                for (j, o) in outputs.iter().enumerate() {
                    validate_output(o).map_err(|e| at(&format!("output {}: {e}", j + 1)))?;
                }
            }
            "markdown" | "raw" => {
                if cell.get("outputs").is_some() {
                    return Err(at("non-code cell has `outputs`"));
                }
            }
            other => return Err(at(&format!("unknown cell_type {other:?}"))),
        }
    }
    Ok(())
}

fn is_multiline(v: &Value) -> bool {
    v.is_string() || v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
}

fn validate_output(o: &Value) -> Result<(), String> {
    match o["output_type"].as_str() {
        Some("stream") => {
            if !matches!(o["name"].as_str(), Some("stdout" | "stderr")) {
                return Err("stream `name` is not stdout/stderr".into());
            }
            if !is_multiline(&o["text"]) {
                return Err("stream `text` is not text".into());
            }
        }
        Some(t @ ("display_data" | "execute_result")) => {
            let data = o["data"].as_object().ok_or("`data` is not an object")?;
            for (mime, v) in data {
                if !mime.contains('/') {
                    return Err(format!("bad MIME type {mime:?}"));
                }
                if !is_json_mime(mime) && !is_multiline(v) {
                    return Err(format!("{mime} is not text"));
                }
            }
            if !o["metadata"].is_object() {
                return Err("`metadata` is not an object".into());
            }
            if t == "execute_result"
                && !(o["execution_count"].is_null() || o["execution_count"].is_u64())
            {
                return Err("`execution_count` is not null or an integer".into());
            }
        }
        Some("error") => {
            if !o["ename"].is_string() || !o["evalue"].is_string() {
                return Err("`ename`/`evalue` missing".into());
            }
            let tb = o["traceback"]
                .as_array()
                .ok_or("`traceback` is not a list")?;
            if !tb.iter().all(Value::is_string) {
                return Err("`traceback` has a non-string".into());
            }
        }
        other => return Err(format!("unknown output_type {other:?}")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carriage_returns_keep_what_is_shown() {
        assert_eq!(overprint("plain"), "plain");
        assert_eq!(
            overprint("\rstep 1/9\rstep 20/90\rstep 90/90"),
            "step 90/90"
        );
        assert_eq!(
            overprint("abcdef\rXY"),
            "XYcdef",
            "a shorter rewrite leaves the rest"
        );
        assert_eq!(overprint("done\r"), "done");
        let merged = merge_streams(&[(Stream::Stderr, "\rt 1/4\rt 4/4".into())]);
        assert_eq!(merged[0]["text"], json!(["t 4/4\n"]));
    }

    #[test]
    fn multiline_round_trips() {
        for text in ["", "a", "a\n", "a\nb", "a\n\nb\n"] {
            assert_eq!(join_text(&multiline(text)), text);
        }
    }
}
