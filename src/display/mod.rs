//! Rich display: every result value shows itself in a Jupyter notebook (evcxr kernel) as HTML or
//! SVG, and in a terminal as plain text.
//!
//! The evcxr kernel shows a value by calling its inherent method `evcxr_display(&self)`, which
//! prints `EVCXR_BEGIN_CONTENT <mime>` ... `EVCXR_END_CONTENT` on stdout. Values implement
//! [`Render`] (HTML + text, optionally SVG) and get `evcxr_display` (and `Display`) from the
//! [`rich_display!`](crate::rich_display) macro. Every value also sends its text as
//! `text/plain` (for consoles, `jupyter execute` logs and notebook diffs), and a figure sends its
//! PNG beside its SVG. Only one output per MIME type survives in a cell, so a value that shows a
//! table *and* a figure renders one HTML block with the figure inline; to show several values
//! from one cell, combine them with [`stack`] or [`row`].
//!
//! A figure inside HTML is always an `<img src="data:image/png;base64,...">`, never `<svg>`:
//! JupyterLab treats a notebook from a fresh clone as untrusted and sanitises inline SVG to loose
//! text, while images (and `image/png` outputs) still show.
//!
//! All user text is escaped with [`escape`]; styles are inline and use `inherit` colours and
//! translucent greys so that tables read on light and dark notebook themes alike. Figures keep a
//! white background (like matplotlib's) on both.
//!
//! ```
//! use textlab::display::{Render, FrameExt, escape};
//! use polars::prelude::*;
//! let df = df!("text" => ["<script>alert(1)</script>", "hi"], "label" => [1i32, 0]).unwrap();
//! let html = df.show().html();
//! assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"));
//! ```

use crate::balance::{BalanceReport, Balanced};
use crate::data::{CleanPreview, Corpus, FetchReport, LoadReport, Split, Summary};
use crate::features::{Csr, Tfidf, Vocabulary};
use crate::lab::transformer::TransformerReport;
use crate::lab::transformer_bench::BenchReport;
use crate::lab::{
    AccumulationPlan, ClassicBench, ClassicReport, ComputeInfo, ErrorAnalysis, MemoryTable,
    RunResult, Throughput,
};
use crate::linear::{LogRegModel, RegPath, SearchResults, TopFeatures};
use crate::metrics::{Confusion, Evaluation, Metrics, PrCurve, RocCurve, ThresholdSweep};
use crate::plot::{self, Comparison, Figure};
use crate::transformer::memory::MemoryEstimate;
use crate::transformer::mlm::MlmRun;
use crate::transformer::train::FineTuneRun;
use polars::prelude::{AnyValue, DataFrame};
use std::fmt::Write as _;

pub use crate::view::*;

/// `Render` from a type's one view (a [`Panel`] built by `$view`).
macro_rules! panel_render {
    ($($t:ty => $view:ident),+ $(,)?) => {
        $(
            impl Render for $t {
                fn html(&self) -> String {
                    $view(self).to_html()
                }
                fn text(&self) -> String {
                    $view(self).to_text()
                }
            }
        )+
    };
}

mod data;
mod frame;
mod lab;
mod linear;
mod metrics;
mod transformer;

pub use frame::{FrameExt, FramePreview};
pub(crate) use lab::{accumulation_sentence, classic_table, memory_table};

/// Class names used where a display has no better ones.
pub const CLASSES: [&str; 2] = ["0 (negative)", "1 (positive)"];

/// A figure for inside HTML (an `<img>`, see [`Figure::img_tag`]), or its error as a red note.
fn figure_html(fig: crate::Result<Figure>) -> String {
    match fig {
        Ok(f) => f.html(),
        Err(e) => format!(
            "<div style=\"color:#c0392b;font-family:monospace;font-size:12px\">{}</div>",
            escape(&e.to_string())
        ),
    }
}

/// A two-column table of (label, value) rows, labels muted.
fn kv_table(caption: &str, rows: Vec<(&str, String)>) -> Table {
    let mut t = Table::new::<&str>(&[]);
    if !caption.is_empty() {
        t = t.caption(caption);
    }
    for (k, v) in rows {
        t.push(vec![Cell::text(k).style(MUTED), Cell::text(v)]);
    }
    t
}

fn bytes(b: u64) -> String {
    crate::transformer::memory::human_bytes(b)
}
