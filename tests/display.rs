//! Every displayable value emits the right evcxr MIME block, escapes user text, and prints
//! readable text in a terminal.
//!
//! Run: `cargo test --release --test display`

use polars::prelude::*;
use textlab::balance::Balancing;
use textlab::data::{Cleaner, Corpus, Split, Summary};
use textlab::display::{self, Cell, FrameExt, Html, Render, Table, evcxr_output};
use textlab::features::{Csr, TfidfVectorizer};
use textlab::linear::{LogReg, RegPath, Search, TopFeatures, log_space};
use textlab::metrics::{Confusion, Evaluation, Metrics, PrCurve, RocCurve, ThresholdSweep};
use textlab::plot::{self, Comparison, ModelStats};
use textlab::transformer::memory::MemoryEstimate;
use textlab::transformer::mlm::MlmRun;
use textlab::transformer::train::{EpochStats, FineTuneRun, StopReason};

const EVIL: &str = "<script>alert('x')</script>";

/// The evcxr block of `v` is HTML, well delimited, and has no raw `<script>`.
fn html_block<R: Render + ?Sized>(v: &R) -> String {
    let out = evcxr_output(v);
    assert!(
        out.starts_with("EVCXR_BEGIN_CONTENT text/html\n"),
        "{}",
        &out[..out.len().min(80)]
    );
    assert!(out.ends_with("\nEVCXR_END_CONTENT\n"));
    assert_eq!(
        out.matches("EVCXR_BEGIN_CONTENT").count(),
        1,
        "one output per value"
    );
    assert!(
        !out.to_lowercase().contains("<script"),
        "unescaped script in {out}"
    );
    out
}

fn corpus() -> Corpus {
    let texts: Vec<String> = (0..40)
        .map(|i| {
            if i == 1 {
                format!("{EVIL} win money now {}", "x".repeat(300))
            } else {
                format!(
                    "mail number {i} about {}",
                    if i % 4 == 0 {
                        "free money"
                    } else {
                        "the meeting"
                    }
                )
            }
        })
        .collect();
    let labels: Vec<u8> = (0..40).map(|i| u8::from(i % 4 == 0)).collect();
    Corpus::from_vecs(EVIL, texts, labels).unwrap()
}

fn scores() -> (Vec<u8>, Vec<f64>) {
    let y: Vec<u8> = (0..60).map(|i| u8::from(i % 3 == 0)).collect();
    let s = y
        .iter()
        .enumerate()
        .map(|(i, &l)| 0.5 * l as f64 + 0.5 * ((i * 37 % 17) as f64 / 17.0))
        .collect();
    (y, s)
}

#[test]
fn figure_is_svg_and_everything_else_is_html() {
    let fig = plot::class_distribution(&[("a", [3, 4])], ["x", "y"]).unwrap();
    let out = evcxr_output(&fig);
    assert!(out.starts_with("EVCXR_BEGIN_CONTENT image/svg+xml\n<svg"));
    assert!(
        out.ends_with("</svg>\nEVCXR_END_CONTENT\n")
            || out.ends_with("</svg>\n\nEVCXR_END_CONTENT\n")
    );
    assert!(fig.to_string().contains("Class distribution"));
    // Inline in HTML when combined with a table: one block, both inside.
    let t = Table::new(&["k"]).row(vec![Cell::text(EVIL)]);
    let both = display::stack(&[&t, &fig]);
    let out = html_block(&both);
    assert!(out.contains("<svg") && out.contains("&lt;script&gt;"));
    let side = display::row(&[&t, &fig]);
    assert!(html_block(&side).contains("display:flex"));
}

#[test]
fn frame_preview_shows_shape_types_head_tail_and_hover_text() {
    let long = format!("{EVIL} {}", "word ".repeat(100));
    let texts: Vec<String> = (0..30)
        .map(|i| {
            if i == 1 {
                long.clone()
            } else {
                format!("text {i}")
            }
        })
        .collect();
    let df = df!("text" => texts, "n" => (0..30).map(|i| i as i64).collect::<Vec<_>>()).unwrap();
    let p = df.show();
    assert_eq!(p.shape(), (30, 2));
    let html = html_block(&p);
    assert!(html.contains("30 rows × 2 columns"), "{html}");
    assert!(
        html.contains(">str<") && html.contains(">i64<"),
        "dtypes: {html}"
    );
    assert!(html.contains(">text 0<") && html.contains(">text 29<") && !html.contains(">text 10<"));
    assert!(html.contains(">…<"), "a gap row between head and tail");
    // Cut to 60 characters, full text in the title attribute, both escaped.
    assert!(
        html.contains("title=\"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; word word"),
        "{html}"
    );
    assert!(!html.contains(&"word ".repeat(20)[..60]) || html.contains("title="));
    let text = p.to_string();
    assert!(
        text.contains("30 rows × 2 columns") && text.contains("text 29") && text.contains(EVIL)
    );
    // Small frames are shown whole; nulls are marked.
    let df = df!("a" => [Some(1i32), None]).unwrap();
    let html = html_block(&df.show_n(3));
    assert!(html.contains(">null<"));
}

#[test]
fn metrics_types_display_as_tables_and_figures() {
    let (y, s) = scores();
    let m = Metrics::from_scores(&y, &s, 0.5).unwrap();
    let html = html_block(&m);
    assert!(
        html.contains("Classification report (threshold 0.500)")
            && html.contains("Confusion matrix")
    );
    assert!(html.contains("f1-score") && html.contains("weighted avg"));
    assert!(m.to_string().contains(&m.classification_report()));

    let c = Confusion {
        tn: 5,
        fp: 1,
        fn_: 2,
        tp: 4,
    };
    let html = html_block(&c);
    assert!(html.contains(">5<") && html.contains("83.3%"));
    assert!(c.to_string().contains("5 (83.3%)"));

    let roc = RocCurve::new(&y, &s).unwrap();
    assert!(html_block(&roc).contains("<svg"));
    assert!(roc.to_string().starts_with("ROC curve: AUC"));
    let pr = PrCurve::new(&y, &s).unwrap();
    assert!(html_block(&pr).contains("average precision"));
    let sw = ThresholdSweep::new(&y, &s).unwrap();
    assert!(html_block(&sw).contains("Threshold sweep: best F1"));
    assert!(
        sw.to_string()
            .contains("threshold  precision  recall     f1"),
        "{sw}"
    );

    let e = Evaluation::new(EVIL, &y, &s, 0.5).unwrap();
    let html = html_block(&e);
    assert!(html.contains("Evaluation: &lt;script&gt;"));
    assert_eq!(html.matches("<svg").count(), 2, "ROC and PR inline");
    assert!(e.to_string().contains("ROC AUC"));
}

#[test]
fn data_types_display_and_escape_user_text() {
    let c = corpus();
    let html = html_block(&c);
    assert!(html.contains("Corpus: &lt;script&gt;") && html.contains("40"));
    assert!(
        html.contains("title=\"&lt;script&gt;"),
        "long text has its hover"
    );
    assert!(c.to_string().contains("rows"));

    let split = Split {
        train: c.take("train", &(0..20).collect::<Vec<_>>()).unwrap(),
        val: c.take("val", &(20..30).collect::<Vec<_>>()).unwrap(),
        test: c.take("test", &(30..40).collect::<Vec<_>>()).unwrap(),
        seed: Some(7),
    };
    let html = html_block(&split);
    assert!(html.contains("seed 7") && html.contains("<svg"));
    assert!(split.to_string().contains("train"));

    let s = Summary::of(&c);
    let html = html_block(&s);
    assert!(html.contains("Summary: &lt;script&gt;") && html.contains("median"));

    let preview = Cleaner::default().preview(&c, 3, 200);
    html_block(&preview);

    let texts = c.texts();
    let (tfidf, x) = TfidfVectorizer::new().fit_transform(&texts).unwrap();
    let html = html_block(&tfidf);
    assert!(html.contains("TF-IDF:") && html.contains("Most common terms"));
    let html = html_block(&tfidf.vocabulary(5));
    assert!(html.contains("Vocabulary:"));
    let html = html_block(&x);
    assert!(html.contains("stored values"));
    assert!(x.to_string().contains("40 rows"));
}

#[test]
fn linear_types_display() {
    let rows: Vec<Vec<f64>> = (0..60)
        .map(|i| {
            vec![
                (i % 3) as f64,
                (i % 5) as f64 / 4.0,
                ((i * 7) % 11) as f64 / 10.0,
            ]
        })
        .collect();
    let y: Vec<u8> = (0..60).map(|i| u8::from(i % 3 == 0)).collect();
    let x = Csr::from_dense(&rows).unwrap();
    let model = LogReg::l1().c(10.0).fit(&x, &y).unwrap();
    assert!(html_block(&model).contains("non-zero weights"));
    let top = TopFeatures {
        positive: vec![(EVIL.to_string(), 2.0)],
        negative: vec![("meeting".into(), -1.0)],
    };
    let html = html_block(&top);
    assert!(html.contains("&lt;script&gt;") && html.contains("<svg"));

    let results = Search::new()
        .cs(log_space(-1.0, 1.0, 3))
        .folds(2)
        .seed(1)
        .run(&x, &y)
        .unwrap();
    let html = html_block(&results);
    assert!(html.contains("Cross-validated search: best") && html.contains("<svg"));
    assert!(html.contains("L1") || html.contains("l1"));

    let path = RegPath::compute(
        &LogReg::l1(),
        &log_space(-2.0, 2.0, 5),
        &x,
        &y,
        None,
        &["a", "b", EVIL],
        3,
    )
    .unwrap();
    let html = html_block(&path);
    assert!(html.contains("Regularization path") && html.contains("<svg"));

    let (_, report) = Balancing::Oversample.resample(&y, 7).unwrap();
    let html = html_block(&report);
    assert!(html.contains("Balancing: oversample") && html.contains("<svg"));
}

#[test]
fn transformer_types_display() {
    let epoch = |e: usize, f1: f64| EpochStats {
        epoch: e,
        steps: e * 10,
        train_loss: 1.0 / e as f64,
        val_loss: 0.9 / e as f64,
        val_f1: f1,
        val_accuracy: f1,
        lr: 1e-4,
        seconds: e as f64 * 30.0,
    };
    let run = FineTuneRun {
        history: vec![epoch(1, 0.8), epoch(2, 0.9), epoch(3, 0.88)],
        best_epoch: 2,
        best_val_f1: 0.9,
        steps: 30,
        train_seconds: 80.0,
        total_seconds: 90.0,
        sequences: 960,
        seq_per_second: 12.0,
        stop: StopReason::Completed,
    };
    let html = html_block(&run);
    assert!(html.contains("best epoch 2") && html.contains("<svg"));
    assert!(run.text().contains("val F1"));
    let mlm = MlmRun {
        steps: 100,
        seconds: 50.0,
        sequences: 3200,
        seq_per_second: 64.0,
        first_loss: 9.0,
        last_loss: 5.5,
        loss_curve: (1..=20).map(|i| (i * 5, 9.0 - i as f64 * 0.2)).collect(),
        cut_by_budget: false,
    };
    assert!(html_block(&mlm).contains("9.00 → 5.50"));
    let mem = MemoryEstimate {
        parameters: 1_500_000,
        weights_bytes: 6_000_000,
        training_state_bytes: 30_000_000,
        activation_bytes: 100_000_000,
        total_bytes: 136_000_000,
    };
    assert!(html_block(&mem).contains("1,500,000"));
}

#[test]
fn comparison_is_one_block_with_table_and_figure() {
    let c = Comparison::new(vec![
        ModelStats::new(EVIL, 0.9, 0.95).train_secs(1.5),
        ModelStats::new("roberta", 0.95, 0.97)
            .train_secs(700.0)
            .memory_mb(490.0),
    ]);
    let html = html_block(&c);
    assert!(html.contains("&lt;script&gt;") && html.contains("<svg") && html.contains("11.7 min"));
    assert!(c.to_string().contains("roberta"));
}

#[test]
fn html_wrapper_and_macro_for_notebook_types() {
    struct Note(String);
    impl Render for Note {
        fn html(&self) -> String {
            format!("<b>{}</b>", display::escape(&self.0))
        }
        fn text(&self) -> String {
            self.0.clone()
        }
    }
    textlab::rich_display!(display: Note);
    let n = Note(EVIL.into());
    assert_eq!(n.to_string(), EVIL);
    assert!(html_block(&n).contains("<b>&lt;script&gt;"));
    assert_eq!(Html("<i>a &amp; b</i>".into()).text(), "a & b");
}
