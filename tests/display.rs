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

/// The evcxr blocks of one `evcxr_display` call as (mime, content), in order.
fn blocks(out: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = out;
    while let Some(start) = rest.find("EVCXR_BEGIN_CONTENT ") {
        let after = &rest[start + "EVCXR_BEGIN_CONTENT ".len()..];
        let (mime, body) = after.split_once('\n').expect("mime line");
        let end = body
            .find("\nEVCXR_END_CONTENT\n")
            .expect("every block is closed");
        found.push((mime.to_string(), body[..end].to_string()));
        rest = &body[end + "\nEVCXR_END_CONTENT\n".len()..];
    }
    assert!(rest.is_empty(), "text after the last block: {rest:?}");
    found
}

/// The text/plain twin of an evcxr output: present once, and terminal text rather than Rust
/// `Debug` output or HTML.
fn plain_text(out: &str) -> String {
    let b = blocks(out);
    let texts: Vec<&String> = b
        .iter()
        .filter(|(m, _)| m == "text/plain")
        .map(|(_, t)| t)
        .collect();
    assert_eq!(texts.len(), 1, "one text/plain twin in {out:.200}");
    let t = texts[0].clone();
    assert!(!t.trim().is_empty(), "empty text/plain");
    for debugish in ["{ ", " }", "Some(", "<div", "<table", "<img"] {
        assert!(!t.contains(debugish), "`{debugish}` in text/plain: {t}");
    }
    t
}

/// The evcxr output of `v` is one HTML block plus its text twin, well delimited, with no raw
/// `<script>` and no inline `<svg>` (sanitised away in untrusted notebooks); returns the HTML.
fn html_block<R: Render + ?Sized>(v: &R) -> String {
    let out = evcxr_output(v);
    assert!(
        out.starts_with("EVCXR_BEGIN_CONTENT text/html\n"),
        "{}",
        &out[..out.len().min(80)]
    );
    let b = blocks(&out);
    let mimes: Vec<&str> = b.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(
        mimes,
        ["text/html", "text/plain"],
        "one HTML output per value"
    );
    assert_eq!(plain_text(&out).trim_end(), v.text().trim_end());
    let html = b[0].1.clone();
    assert!(
        !html.to_lowercase().contains("<script"),
        "unescaped script in {html}"
    );
    assert!(!html.contains("<svg"), "inline SVG in HTML: {html:.300}");
    html
}

/// Every `<img>` in `html` is a PNG data URI whose bytes decode to an image of twice the size
/// written on the tag; returns how many there are.
fn png_images(html: &str) -> usize {
    let mut n = 0;
    for tag in html.split("<img ").skip(1) {
        let tag = &tag[..tag.find('>').expect("closed tag")];
        let src = tag
            .split("src=\"data:image/png;base64,")
            .nth(1)
            .unwrap_or_else(|| panic!("not a PNG data URI: {tag:.120}"));
        let b64 = &src[..src.find('"').unwrap()];
        let attr = |name: &str| -> u32 {
            let v = tag.split(&format!("{name}=\"")).nth(1).expect(name);
            v[..v.find('"').unwrap()].parse().unwrap()
        };
        let (w, h) = (attr("width"), attr("height"));
        assert!(tag.contains("alt=\""), "img without alt: {tag:.200}");
        let png = decode_base64(b64);
        let (pw, ph) = png_size(&png);
        assert_eq!((pw, ph), (2 * w, 2 * h), "PNG drawn at 2x");
        n += 1;
    }
    n
}

fn decode_base64(s: &str) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let mut out = Vec::new();
    for chunk in s.as_bytes().chunks(4) {
        let pad = chunk.iter().filter(|&&c| c == b'=').count();
        let n = chunk
            .iter()
            .map(|&c| if c == b'=' { 0 } else { val(c) })
            .fold(0u32, |acc, v| acc << 6 | v);
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    out
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let be = |i: usize| u32::from_be_bytes(png[i..i + 4].try_into().unwrap());
    (be(16), be(20))
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
fn figure_is_png_and_svg_and_everything_else_is_html() {
    let fig = plot::class_distribution(&[("a", [3, 4])], ["x", "y"]).unwrap();
    let out = evcxr_output(&fig);
    let b = blocks(&out);
    let mimes: Vec<&str> = b.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(mimes, ["image/png", "image/svg+xml", "text/plain"]);
    let (w, h) = fig.size();
    assert_eq!(png_size(&decode_base64(&b[0].1)), (2 * w, 2 * h));
    assert!(
        !b[0].1.contains('\n'),
        "base64 on one line (evcxr reads lines)"
    );
    assert!(b[1].1.starts_with("<svg") && b[1].1.trim_end().ends_with("</svg>"));
    assert!(plain_text(&out).contains("Class distribution"));
    assert!(fig.to_string().contains("Class distribution"));
    // Inside HTML (combined with a table): one block, the figure as a PNG <img>.
    let t = Table::new(&["k"]).row(vec![Cell::text(EVIL)]);
    let both = display::stack(&[&t, &fig]);
    let html = html_block(&both);
    assert!(html.contains("&lt;script&gt;"));
    assert_eq!(png_images(&html), 1);
    assert!(html.contains("alt=\"Class distribution\""));
    let side = display::row(&[&t, &fig]);
    let html = html_block(&side);
    assert!(html.contains("display:flex"));
    assert_eq!(png_images(&html), 1);
    // The text/plain twin keeps each part's own text: the table's rows stay rows.
    let table = Table::new(&["name", "value"])
        .row(vec![Cell::text("alpha"), Cell::num("1")])
        .row(vec![Cell::text("beta"), Cell::num("22")]);
    for combined in [
        display::stack(&[&table, &fig]),
        display::row(&[&table, &fig]),
    ] {
        let text = plain_text(&evcxr_output(&combined));
        assert!(text.contains(&table.to_text()), "{text}");
        assert!(text.contains("Class distribution"), "{text}");
    }
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
    assert_eq!(png_images(&html_block(&roc)), 1);
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
    assert_eq!(png_images(&html), 2, "ROC and PR inline");
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
    assert!(html.contains("seed 7") && png_images(&html) == 1);
    // Class names of the corpus reach the figure (drawn into the PNG: checked on the SVG).
    let named = |c: &Corpus| c.clone().with_classes(["ham", "spam"]);
    let split_named = Split {
        train: named(&split.train),
        val: named(&split.val),
        test: named(&split.test),
        seed: Some(7),
    };
    let fig =
        plot::split_distribution(&split_named, split_named.train.class_names().unwrap()).unwrap();
    assert!(fig.svg().contains("spam") && !fig.svg().contains("1 (positive)"));
    assert_eq!(split.train.class_names(), None);
    assert!(split.to_string().contains("train"));

    let s = Summary::of(&c);
    let html = html_block(&s);
    assert!(html.contains("Summary: &lt;script&gt;") && html.contains("median"));

    let preview = Cleaner::default().preview(&c, 3, 200);
    let html = html_block(&preview);
    // Settings in words, not `Cleaner { lowercase: true, .. }`.
    let words = "cleaning: URLs -&gt; &lt;url&gt;, e-mails -&gt; &lt;email&gt;, lowercase, whitespace collapsed (numbers kept)";
    assert!(html.contains(words), "{html}");
    // The text comes from the same view as the HTML: title, then the settings in words.
    assert!(
        preview
            .to_string()
            .starts_with("Cleaning preview\ncleaning: URLs -> <url>"),
        "{preview}"
    );

    let texts = c.texts();
    let (tfidf, x) = TfidfVectorizer::new().fit_transform(&texts).unwrap();
    let html = html_block(&tfidf);
    assert!(html.contains("TF-IDF:") && html.contains("Most common terms"));
    assert!(
        html.contains("word 1-grams, lowercase, min_df 1, max_df 100.0%, smooth idf, L2 rows"),
        "{html}"
    );
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
    assert!(html.contains("&lt;script&gt;") && png_images(&html) == 1);

    let results = Search::new()
        .cs(log_space(-1.0, 1.0, 3))
        .folds(2)
        .seed(1)
        .run(&x, &y)
        .unwrap();
    let html = html_block(&results);
    assert!(html.contains("Cross-validated search: best") && png_images(&html) == 1);
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
    assert!(html.contains("Regularization path") && png_images(&html) == 1);

    let (_, report) = Balancing::Oversample.resample(&y, 7).unwrap();
    let html = html_block(&report);
    assert!(html.contains("Balancing: oversample") && png_images(&html) == 1);
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
    assert!(html.contains("best epoch 2") && png_images(&html) == 1);
    assert!(html.contains("stopped: all epochs done"), "{html:.2000}");
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
    assert!(html.contains("&lt;script&gt;") && html.contains("11.7 min"));
    assert_eq!(png_images(&html), 1);
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
