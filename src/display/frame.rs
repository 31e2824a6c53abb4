//! DataFrame previews (`df.show()`).

use super::*;

/// `df.show()`: a displayable preview of a polars `DataFrame`.
pub trait FrameExt {
    /// Shape, column types, the first 5 and last 5 rows.
    fn show(&self) -> FramePreview {
        self.show_n(5)
    }
    /// Shape, column types, the first `n` and last `n` rows.
    fn show_n(&self, n: usize) -> FramePreview;
}

impl FrameExt for DataFrame {
    fn show_n(&self, n: usize) -> FramePreview {
        FramePreview::new(self, n)
    }
}

/// A preview of a `DataFrame`: shape, dtypes, head and tail rows, long text cut (full text on
/// hover in a notebook).
#[derive(Debug, Clone, PartialEq)]
pub struct FramePreview {
    title: Option<String>,
    height: usize,
    /// (name, dtype)
    columns: Vec<(String, String)>,
    /// (row index, values; `None` is null)
    rows: Vec<(usize, Vec<Option<String>>)>,
    max_chars: usize,
}

fn any_to_string(v: AnyValue<'_>) -> Option<String> {
    match v {
        AnyValue::Null => None,
        v => Some(match v.get_str() {
            Some(s) => s.to_string(),
            None => v.str_value().into_owned(),
        }),
    }
}

impl FramePreview {
    fn new(df: &DataFrame, n: usize) -> FramePreview {
        let height = df.height();
        let idx: Vec<usize> = if height <= 2 * n {
            (0..height).collect()
        } else {
            (0..n).chain(height - n..height).collect()
        };
        let columns = df
            .columns()
            .iter()
            .map(|c| (c.name().to_string(), c.dtype().to_string()))
            .collect();
        let rows = idx
            .into_iter()
            .map(|i| {
                (
                    i,
                    df.columns()
                        .iter()
                        .map(|c| c.get(i).ok().and_then(any_to_string))
                        .collect(),
                )
            })
            .collect();
        FramePreview {
            title: None,
            height,
            columns,
            rows,
            max_chars: 60,
        }
    }

    /// A heading above the preview.
    pub fn titled(mut self, title: impl Into<String>) -> FramePreview {
        self.title = Some(title.into());
        self
    }

    /// Cut text cells to `n` characters (default 60).
    pub fn max_chars(mut self, n: usize) -> FramePreview {
        self.max_chars = n.max(1);
        self
    }

    /// (rows, columns) of the whole frame.
    pub fn shape(&self) -> (usize, usize) {
        (self.height, self.columns.len())
    }

    fn table(&self, max_chars: usize) -> Table {
        let mut header = vec![String::new()];
        header.extend(self.columns.iter().map(|(n, _)| n.clone()));
        let mut t = Table::new(&header);
        let mut types = vec![Cell::text("")];
        types.extend(self.columns.iter().map(|(_, d)| {
            Cell::text(d).style(&format!("{MUTED};font-size:11px;font-style:italic"))
        }));
        t.push(types);
        let mut prev: Option<usize> = None;
        for (i, vals) in &self.rows {
            if prev.is_some_and(|p| p + 1 != *i) {
                t.gap();
            }
            prev = Some(*i);
            let mut cells = vec![Cell::num(i.to_string()).style(MUTED)];
            for (v, (_, dtype)) in vals.iter().zip(&self.columns) {
                cells.push(match v {
                    None => Cell::null(),
                    Some(s) if dtype == "str" || dtype == "String" => Cell::long_text(s, max_chars),
                    Some(s) => Cell::num(truncate(s, max_chars).0),
                });
            }
            t.push(cells);
        }
        t
    }

    fn summary(&self) -> String {
        format!(
            "{} rows × {} columns",
            fmt_count(self.height),
            self.columns.len()
        )
    }
}

impl Render for FramePreview {
    fn html(&self) -> String {
        let title = self.title.clone().unwrap_or_else(|| "DataFrame".into());
        let body = format!(
            "{}<div style=\"overflow-x:auto\">{}</div>",
            note(&format!(
                "{}; hover a cut text to read it all",
                self.summary()
            )),
            self.table(self.max_chars).to_html()
        );
        section(&title, &body)
    }
    fn text(&self) -> String {
        let mut s = String::new();
        if let Some(t) = &self.title {
            s += t;
            s += ": ";
        }
        s += &self.summary();
        s += "\n";
        s + &self.table(self.max_chars.min(40)).to_text()
    }
}

crate::rich_display!(display: FramePreview);
