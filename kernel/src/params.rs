//! Papermill-style notebook parameters for Rust cells.
//!
//! A code cell tagged `parameters` holds defaults as `let` statements:
//!
//! ```text
//! let quick = false;
//! let corpus = "spamassassin";
//! let lr: f64 = 0.1;
//! ```
//!
//! `run -p quick true -p corpus my.csv -p lr 1` inserts a cell tagged `injected-parameters`
//! right after it (as papermill does) that shadows those names:
//!
//! ```text
//! let quick = true;
//! let corpus = "my.csv";
//! let lr: f64 = 1.0;
//! ```
//!
//! Values are Rust expressions, with two conveniences so shell quoting stays simple: where the
//! default is built from a string literal (`"x"`, `"x".to_string()`, `PathBuf::from("x")`), a bare
//! value is quoted into that literal's place; where the default is a float, an integer value gets
//! `.0` so the type does not change.

use crate::nbformat;
use serde_json::{Value, json};

/// Tag of the cell holding the defaults.
pub const PARAMETERS_TAG: &str = "parameters";
/// Tag of the cell the runner inserts.
pub const INJECTED_TAG: &str = "injected-parameters";

/// One `let` statement of the parameters cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    pub name: String,
    /// The type annotation, if any (`f64` in `let lr: f64 = 0.1;`).
    pub ty: Option<String>,
    /// The default expression (`0.1`).
    pub default: String,
}

/// Parses the `let NAME[: TYPE] = EXPR;` statements of a parameters cell (one per line; other
/// lines and comments are ignored).
pub fn parse(source: &str) -> Vec<Parameter> {
    source.lines().filter_map(parse_let).collect()
}

fn parse_let(line: &str) -> Option<Parameter> {
    let rest = line.trim().strip_prefix("let ")?.trim_start();
    let rest = rest.strip_prefix("mut ").unwrap_or(rest).trim_start();
    let name_len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let (name, rest) = rest.split_at(name_len);
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let rest = rest.trim_start();
    let (ty, rest) = match rest.strip_prefix(':') {
        Some(after) => {
            let eq = after.find('=')?;
            (Some(after[..eq].trim().to_owned()), &after[eq..])
        }
        None => (None, rest),
    };
    let expr = rest.strip_prefix('=')?;
    let expr = strip_trailing_comment(expr).trim();
    let expr = expr.strip_suffix(';')?.trim_end();
    Some(Parameter {
        name: name.to_owned(),
        ty,
        default: expr.to_owned(),
    })
}

/// Drops a `// comment` that is not inside a string literal.
fn strip_trailing_comment(s: &str) -> &str {
    let mut in_str = false;
    let mut escaped = false;
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if in_str {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_str = false,
                _ => {}
            }
        } else if b == b'"' {
            in_str = true;
        } else if b == b'/' && bytes.get(i + 1) == Some(&b'/') {
            return &s[..i];
        }
    }
    s
}

/// The range of the first string literal in `expr`, quotes included.
fn string_literal(expr: &str) -> Option<(usize, usize)> {
    let start = expr.find('"')?;
    let mut escaped = false;
    for (i, c) in expr[start + 1..].char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some((start, start + 1 + i + 1)),
            _ => {}
        }
    }
    None
}

fn is_float_literal(expr: &str) -> bool {
    let e = expr.trim_end_matches("f64").trim_end_matches("f32");
    e.parse::<f64>().is_ok() && (e.contains('.') || e.contains(['e', 'E']))
}

/// The Rust expression for overriding `param` with the command-line `value`.
pub fn render_value(param: &Parameter, value: &str) -> String {
    let quoted = value.starts_with('"') || value.starts_with("r\"") || value.starts_with("r#");
    let stringy = matches!(
        param.ty.as_deref(),
        Some("&str" | "&'static str" | "String")
    );
    if let Some((a, b)) = string_literal(&param.default) {
        // The default is built from a literal: put the value in the literal's place.
        let lit = if quoted {
            value.to_owned()
        } else {
            format!("{value:?}")
        };
        return format!("{}{lit}{}", &param.default[..a], &param.default[b..]);
    }
    if stringy && !quoted {
        let lit = format!("{value:?}");
        return if param.ty.as_deref() == Some("String") {
            format!("{lit}.to_string()")
        } else {
            lit
        };
    }
    let float_typed = matches!(param.ty.as_deref(), Some("f64" | "f32"));
    if (float_typed || is_float_literal(&param.default)) && value.parse::<i64>().is_ok() {
        return format!("{value}.0");
    }
    value.to_owned()
}

/// Inserts (or replaces) the `injected-parameters` cell after the `parameters` cell.
///
/// Errors when `overrides` is non-empty and the notebook has no parameters cell, or names a
/// parameter the cell does not define (a typo would otherwise be silently ignored).
pub fn inject(nb: &mut Value, overrides: &[(String, String)]) -> Result<(), String> {
    if overrides.is_empty() {
        return Ok(());
    }
    let needs_id = nbformat::needs_cell_ids(nb);
    let cells = nb["cells"].as_array_mut().ok_or("notebook has no cells")?;
    cells.retain(|c| !nbformat::tags(c).iter().any(|t| t == INJECTED_TAG));
    let at = cells
        .iter()
        .position(|c| {
            nbformat::cell_type(c) == "code"
                && nbformat::tags(c).iter().any(|t| t == PARAMETERS_TAG)
        })
        .ok_or("`-p` given but no code cell is tagged `parameters`")?;
    let defined = parse(&nbformat::source(&cells[at]));
    let mut src = String::from("// Parameters injected by `textlab-kernel run -p`.\n");
    for (name, value) in overrides {
        let param = defined.iter().find(|p| &p.name == name).ok_or_else(|| {
            let known: Vec<&str> = defined.iter().map(|p| p.name.as_str()).collect();
            format!(
                "unknown parameter `{name}` (the parameters cell defines: {})",
                known.join(", ")
            )
        })?;
        let ty = param
            .ty
            .as_ref()
            .map(|t| format!(": {t}"))
            .unwrap_or_default();
        src.push_str(&format!(
            "let {name}{ty} = {};\n",
            render_value(param, value)
        ));
    }
    let src = src.trim_end_matches('\n');
    let mut cell = nbformat::code_cell(src, &[INJECTED_TAG]);
    if needs_id {
        cell["id"] = json!("injected-parameters");
    }
    cells.insert(at + 1, cell);
    Ok(())
}
