//! Every plot renders to a valid SVG with the expected structure (title, axis labels, one line
//! per series, legend text), checked on the document rather than on pixels; a few are rendered
//! to PNG with resvg to prove they draw.
//!
//! Run: `cargo test --release --test plots`

use resvg::{tiny_skia, usvg};
use std::path::PathBuf;
use textlab::metrics::{Confusion, Evaluation, PrCurve, RocCurve, ThresholdSweep};
use textlab::plot::{self, CvSeries, Figure, ModelStats, PathSeries, TrainingRun};

fn hex(c: plotters::style::RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// Parse the SVG (proves it is well-formed SVG) and check the basics every figure has.
fn valid(fig: &Figure) -> usvg::Tree {
    let svg = fig.svg();
    assert!(
        svg.len() > 500,
        "suspiciously small SVG for `{}`",
        fig.title()
    );
    assert!(svg.trim_start().starts_with("<svg"), "not an SVG document");
    let (w, h) = fig.size();
    assert!(svg.contains(&format!("width=\"{w}\"")) && svg.contains(&format!("height=\"{h}\"")));
    usvg::Tree::from_str(svg, &usvg::Options::default())
        .unwrap_or_else(|e| panic!("`{}` is not valid SVG: {e}", fig.title()))
}

/// Text elements (plotters writes each label as `<text ...>label\n</text>`).
fn texts(fig: &Figure) -> Vec<String> {
    fig.svg()
        .split("<text")
        .skip(1)
        .filter_map(|t| {
            let body = &t[t.find('>')? + 1..];
            Some(body[..body.find("</text>")?].trim().to_string())
        })
        .collect()
}

fn has_text(fig: &Figure, s: &str) -> bool {
    texts(fig).iter().any(|t| t == s)
}

fn assert_text(fig: &Figure, s: &str) {
    assert!(
        has_text(fig, s),
        "no text `{s}` in `{}`; texts: {:?}",
        fig.title(),
        texts(fig)
    );
}

fn assert_text_containing(fig: &Figure, s: &str) {
    assert!(
        texts(fig).iter().any(|t| t.contains(s)),
        "no text containing `{s}` in `{}`; texts: {:?}",
        fig.title(),
        texts(fig)
    );
}

/// Polylines stroked in `color` (each series is one polyline, plus one in its legend swatch).
fn lines_in(fig: &Figure, color: &str) -> usize {
    fig.svg()
        .split("<polyline")
        .skip(1)
        .filter(|t| t[..t.find("/>").unwrap_or(t.len())].contains(&format!("stroke=\"{color}\"")))
        .count()
}

/// Polylines stroked in `color` at least 2 pixels wide (data lines, not guides or error bars).
fn thick_lines_in(fig: &Figure, color: &str) -> usize {
    fig.svg()
        .split("<polyline")
        .skip(1)
        .map(|t| &t[..t.find("/>").unwrap_or(t.len())])
        .filter(|t| t.contains(&format!("stroke=\"{color}\"")) && !t.contains("stroke-width=\"1\""))
        .count()
}

fn rects_in(fig: &Figure, color: &str) -> usize {
    fig.svg()
        .split("<rect")
        .skip(1)
        .filter(|t| t[..t.find("/>").unwrap_or(t.len())].contains(&format!("fill=\"{color}\"")))
        .count()
}

fn scores() -> (Vec<u8>, Vec<f64>, Vec<f64>) {
    // Two models on 200 examples: a good one and a weak one (deterministic "noise").
    let y: Vec<u8> = (0..200).map(|i| u8::from(i % 3 == 0)).collect();
    let noise = |i: usize, k: usize| ((i * 7919 + k * 104729) % 1000) as f64 / 1000.0;
    let good = y
        .iter()
        .enumerate()
        .map(|(i, &l)| (0.7 * l as f64 + 0.3 * noise(i, 1)).min(1.0))
        .collect();
    let weak = y
        .iter()
        .enumerate()
        .map(|(i, &l)| (0.25 * l as f64 + 0.75 * noise(i, 2)).min(1.0))
        .collect();
    (y, good, weak)
}

#[test]
fn class_distribution_has_bars_labels_and_legend() {
    let fig = plot::class_distribution(
        &[
            ("train", [2900, 1330]),
            ("train, oversampled", [2900, 2900]),
            ("test", [620, 285]),
        ],
        ["ham", "spam"],
    )
    .unwrap();
    valid(&fig);
    assert_text(&fig, "Class distribution");
    for s in [
        "train",
        "train, oversampled",
        "test",
        "ham",
        "spam",
        "examples",
        "2,900",
        "1,330",
    ] {
        assert_text(&fig, s);
    }
    // Three bars per class plus one legend swatch each.
    assert_eq!(rects_in(&fig, &hex(plot::NEGATIVE)), 4);
    assert_eq!(rects_in(&fig, &hex(plot::POSITIVE)), 4);
    assert!(plot::class_distribution(&[], ["a", "b"]).is_err());
}

#[test]
fn text_length_histogram_has_one_outline_per_class() {
    let ham: Vec<usize> = (1..400).map(|i| 200 + i * 7).collect();
    let spam: Vec<usize> = (1..200).map(|i| 500 + i * 40).collect();
    let fig = plot::text_lengths(&[("ham", &ham), ("spam", &spam)]).unwrap();
    valid(&fig);
    assert_text(&fig, "Text length by class");
    assert_text(&fig, "length in characters (log scale)");
    assert_text_containing(&fig, "ham: 399 texts, median");
    assert_text_containing(&fig, "spam: 199 texts, median");
    assert_eq!(
        thick_lines_in(&fig, &hex(plot::color(0))),
        2,
        "outline + legend swatch"
    );
    assert_eq!(thick_lines_in(&fig, &hex(plot::color(1))), 2);
    assert!(plot::text_lengths(&[("empty", &[][..])]).is_err());
}

#[test]
fn confusion_heatmap_shows_counts_and_rates() {
    let c = Confusion {
        tn: 900,
        fp: 12,
        fn_: 30,
        tp: 270,
    };
    let fig = plot::confusion_matrix(&c, ["ham", "spam"]).unwrap();
    valid(&fig);
    assert_text(&fig, "Confusion matrix (n = 1,212)");
    for s in [
        "900",
        "12",
        "30",
        "270",
        "TN",
        "FP",
        "FN",
        "TP",
        "predicted class",
        "true class",
        "98.7% of true ham",
        "90.0% of true spam",
    ] {
        assert_text(&fig, s);
    }
    assert!(fig.svg().matches("<rect").count() >= 8);
}

#[test]
fn roc_and_pr_draw_one_line_per_model_with_auc_in_the_legend() {
    let (y, good, weak) = scores();
    let a = Evaluation::new("good", &y, &good, 0.5).unwrap();
    let b = Evaluation::new("weak", &y, &weak, 0.5).unwrap();
    let roc = plot::roc(&[&a, &b]).unwrap();
    valid(&roc);
    assert_text(&roc, "ROC curve");
    assert_text(&roc, "false positive rate");
    assert_text(&roc, "true positive rate");
    assert_text(&roc, &format!("good (AUC {:.3})", a.roc.auc));
    assert_text(&roc, &format!("weak (AUC {:.3})", b.roc.auc));
    assert_text(&roc, "chance (AUC 0.5)");
    for i in 0..2 {
        assert_eq!(
            lines_in(&roc, &hex(plot::color(i))),
            2,
            "curve + legend swatch of model {i}"
        );
    }
    let pr = plot::pr(&[&a, &b]).unwrap();
    valid(&pr);
    assert_text(&pr, "Precision-recall curve");
    assert_text(&pr, "recall");
    assert_text(&pr, "precision");
    assert_text(&pr, &format!("good (AP {:.3})", a.pr.average_precision));
    for i in 0..2 {
        assert_eq!(lines_in(&pr, &hex(plot::color(i))), 2);
    }
    assert!(plot::roc_curves(&[]).is_err());
    // A raw curve works too, and user names are escaped by the SVG writer.
    let r = RocCurve::new(&[0, 0, 1, 1], &[0.1, 0.4, 0.35, 0.8]).unwrap();
    let fig = plot::roc_curves(&[("<script>x</script>", &r)]).unwrap();
    assert!(!fig.svg().contains("<script>") && fig.svg().contains("&lt;script&gt;"));
    let p = PrCurve::new(&[0, 0, 1, 1], &[0.1, 0.4, 0.35, 0.8]).unwrap();
    valid(&plot::pr_curves(&[("m", &p)]).unwrap());
    // A name longer than the figure is wide is shortened with an ellipsis, not clipped.
    let long = "a fine-tuned model with a very long descriptive name ".repeat(3);
    let fig = plot::roc_curves(&[(long.as_str(), &r)]).unwrap();
    let shown = texts(&fig)
        .into_iter()
        .find(|t| t.starts_with("a fine-tuned model"))
        .expect("the legend entry");
    assert!(
        shown.ends_with('…') && shown.chars().count() < long.chars().count(),
        "{shown}"
    );
    // The weak model stays away from the corner: no zoom panel.
    assert!(!texts(&roc).iter().any(|t| t.starts_with("zoom")));
}

#[test]
fn curves_that_hug_the_corner_get_a_zoom_panel() {
    // Two good models: both reach TPR 0.9 at FPR <= 0.05.
    let y: Vec<u8> = (0..400).map(|i| u8::from(i % 4 == 0)).collect();
    let noise = |i: usize, k: usize| ((i * 7919 + k * 104729) % 1000) as f64 / 1000.0;
    let model = |k: usize, gap: f64| -> Vec<f64> {
        y.iter()
            .enumerate()
            .map(|(i, &l)| (gap * l as f64 + (1.0 - gap) * noise(i, k)).min(1.0))
            .collect()
    };
    let a = Evaluation::new("a", &y, &model(1, 0.45), 0.5).unwrap();
    let b = Evaluation::new("b", &y, &model(2, 0.42), 0.5).unwrap();
    assert!(
        a.roc.auc > 0.95 && b.roc.auc > 0.95,
        "{} {}",
        a.roc.auc,
        b.roc.auc
    );
    let roc = plot::roc(&[&a, &b]).unwrap();
    valid(&roc);
    assert_text(&roc, "zoom: the top-left corner");
    assert_text(&roc, "all thresholds");
    for i in 0..2 {
        // Full panel, zoom panel (one or more clipped pieces) and the legend swatch.
        assert!(lines_in(&roc, &hex(plot::color(i))) >= 3);
    }
    let pr = plot::pr(&[&a, &b]).unwrap();
    valid(&pr);
    assert_text(&pr, "zoom: the top-right corner");
}

#[test]
fn threshold_sweep_marks_the_chosen_threshold() {
    let (y, good, _) = scores();
    let s = ThresholdSweep::new(&y, &good).unwrap();
    let fig = plot::threshold_sweep(&s, None).unwrap();
    valid(&fig);
    assert_text(&fig, "Threshold sweep");
    for t in [
        "precision",
        "recall",
        "F1",
        "threshold on the positive-class score",
    ] {
        assert_text(&fig, t);
    }
    assert_text_containing(&fig, &format!("chosen {:.3}", s.best_threshold));
    for i in 0..3 {
        assert_eq!(
            lines_in(&fig, &hex(plot::color(i))),
            2,
            "series {i}: line + legend swatch"
        );
    }
    let fig = plot::threshold_sweep(&s, Some(0.5)).unwrap();
    assert_text_containing(&fig, "chosen 0.500");
}

#[test]
fn c_sweep_has_log_axis_error_bars_and_best_c() {
    let cs = vec![0.01, 0.1, 1.0, 10.0, 100.0];
    let folds = |base: [f64; 5]| {
        base.iter()
            .map(|&b| vec![b - 0.02, b, b + 0.02])
            .collect::<Vec<_>>()
    };
    let l1 = CvSeries::new("L1", cs.clone(), folds([0.4, 0.8, 0.93, 0.95, 0.94]));
    let l2 = CvSeries::new("L2", cs, folds([0.7, 0.88, 0.94, 0.95, 0.96]));
    let fig = plot::c_sweep(&[l1, l2]).unwrap();
    valid(&fig);
    assert_text(&fig, "Cross-validated F1 against C");
    assert_text(&fig, "C = 1 / regularization strength (log scale)");
    assert_text(&fig, "CV F1 (mean ± 1 sd over folds)");
    for t in ["0.01", "0.1", "1", "10", "100"] {
        assert_text(&fig, t);
    }
    assert_text_containing(&fig, "L1 (best C = 10: 0.950");
    assert_text_containing(&fig, "L2 (best C = 100: 0.960");
    // Per series: the mean line, its legend swatch, 5 bars and 10 caps.
    assert_eq!(lines_in(&fig, &hex(plot::color(0))), 2 + 5 + 10);
    assert!(plot::c_sweep(&[CvSeries::new("bad", vec![0.0], vec![vec![0.5]])]).is_err());
}

#[test]
fn regularization_path_shows_coefficients_and_sparsity() {
    let cs: Vec<f64> = (0..8).map(|i| 10f64.powi(i - 3)).collect();
    let features: Vec<String> = (0..20).map(|j| format!("word{j}")).collect();
    // L1: feature j enters at step j/3; L2: all non-zero, shrinking.
    let l1: Vec<Vec<f64>> = (0..8)
        .map(|i| {
            (0..20)
                .map(|j| {
                    if j / 3 < i {
                        (j as f64 - 9.5) / 5.0
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect();
    let l2: Vec<Vec<f64>> = (0..8)
        .map(|i| {
            (0..20)
                .map(|j| (j as f64 - 9.5) / 5.0 * (i as f64 + 1.0) / 8.0)
                .collect()
        })
        .collect();
    let a = PathSeries::from_matrix("L1", cs.clone(), &features, &l1, 12);
    let b = PathSeries::from_matrix("L2", cs, &features, &l2, 12);
    assert_eq!(a.nnz[0], 0);
    assert_eq!(b.nnz[0], 20);
    let fig = plot::regularization_path(&[a, b]).unwrap();
    valid(&fig);
    assert_text(&fig, "Regularization path");
    assert_text(&fig, "L1 coefficients");
    assert_text(&fig, "L2 coefficients");
    assert_text(&fig, "Non-zero coefficients");
    assert_text(&fig, "word0");
    assert_text_containing(&fig, "L1 (20 at C = ");

    // Wide tick labels ("-60.0") get a label area wide enough that they clear the rotated axis
    // description (a fixed 48 px ran them into it).
    let big: Vec<Vec<f64>> = l1
        .iter()
        .map(|row| row.iter().map(|v| v * 6.0).collect())
        .collect();
    let fig = plot::regularization_path(&[PathSeries::from_matrix(
        "L1",
        (0..8).map(|i| 10f64.powi(i - 3)).collect(),
        &features,
        &big,
        12,
    )])
    .unwrap();
    let svg = fig.svg();
    // Each `<text ...>` element of the SVG as (its x, its trimmed text).
    let elements: Vec<(f64, &str)> = svg
        .match_indices("<text ")
        .map(|(i, _)| {
            let el = &svg[i..];
            let x = &el[el.find("x=\"").unwrap() + 3..];
            let x: f64 = x[..x.find('"').unwrap()].parse().unwrap();
            (
                x,
                el[el.find('>').unwrap() + 1..el.find("</text>").unwrap()].trim(),
            )
        })
        .collect();
    let desc = elements
        .iter()
        .find(|(_, t)| *t == "coefficient")
        .unwrap()
        .0;
    // Right-aligned tick labels end at the area's edge; ~8 px a character at 13 px.
    let ticks: Vec<(f64, usize)> = elements
        .iter()
        .filter(|(_, t)| t.starts_with('-') && t.contains('.'))
        .map(|(x, t)| (*x, t.chars().count()))
        .collect();
    assert!(!ticks.is_empty(), "negative tick labels drawn");
    for (x, chars) in ticks {
        assert!(
            x - 8.0 * chars as f64 >= desc + 14.0,
            "a tick label ending at {x} ({chars} characters) runs into the description at {desc}"
        );
    }
}

#[test]
fn top_features_are_bars_both_ways() {
    let w: Vec<(String, f64)> = (0..50)
        .map(|j| (format!("f{j}"), (j as f64 - 24.5) / 10.0))
        .chain([("<script>".to_string(), 9.0)])
        .collect();
    let fig = plot::top_features(&w, 5, ["ham", "spam"]).unwrap();
    valid(&fig);
    assert_text(&fig, "Top features");
    assert_text(&fig, "towards spam");
    assert_text(&fig, "towards ham");
    assert_text(&fig, "&lt;script&gt;");
    assert_text(&fig, "f49");
    assert_text(&fig, "f0");
    assert!(!has_text(&fig, "f25"), "only the top 5 each way");
    assert_eq!(rects_in(&fig, &hex(plot::POSITIVE)), 5 + 1);
    assert_eq!(rects_in(&fig, &hex(plot::NEGATIVE)), 5 + 1);
    assert!(plot::top_features::<&str>(&[], 5, ["a", "b"]).is_err());
}

#[test]
fn training_curves_have_loss_and_validation_panels() {
    let a = TrainingRun::new("from scratch")
        .loss(
            (0..200)
                .map(|s| {
                    (
                        s as f64,
                        0.7 / (1.0 + s as f64 / 50.0) + 0.05 * ((s * 37 % 11) as f64 / 11.0),
                    )
                })
                .collect(),
        )
        .val_f1(vec![
            (50.0, 0.7),
            (100.0, 0.82),
            (150.0, 0.86),
            (200.0, 0.88),
        ]);
    let b = TrainingRun::new("after MLM")
        .loss(
            (0..200)
                .map(|s| (s as f64, 0.5 / (1.0 + s as f64 / 30.0)))
                .collect(),
        )
        .val_f1(vec![
            (50.0, 0.85),
            (100.0, 0.93),
            (150.0, 0.96),
            (200.0, 0.95),
        ]);
    let fig = plot::training_curves(&[a, b], "step").unwrap();
    valid(&fig);
    assert_text(&fig, "Training curves");
    assert_text(&fig, "training loss");
    assert_text(&fig, "validation F1");
    assert_text(&fig, "step");
    assert_text(&fig, "from scratch");
    assert_text(&fig, "after MLM");
    assert_text(&fig, "0.960");
    // Run 0: raw + smoothed loss + val line + its swatch in the one legend both panels share.
    assert_eq!(lines_in(&fig, &hex(plot::color(0))), 4);
    let loss_only = plot::training_curves(
        &[TrainingRun::new("mlm").loss(vec![(0.0, 9.0), (1.0, 7.0)])],
        "epoch",
    )
    .unwrap();
    assert!(!has_text(&loss_only, "validation F1"));
    assert!(plot::training_curves(&[TrainingRun::new("nothing")], "step").is_err());
}

#[test]
fn model_comparison_shows_known_measures_only() {
    let m = [
        ModelStats::new("logreg L1", 0.93, 0.95)
            .train_secs(2.1)
            .size_mb(0.3),
        ModelStats::new("logreg L2", 0.94, 0.96)
            .train_secs(3.2)
            .size_mb(1.5),
        ModelStats::new("roberta-tiny", 0.96, 0.97).train_secs(706.0),
    ];
    let fig = plot::model_comparison(&m).unwrap();
    valid(&fig);
    for t in [
        "Model comparison",
        "F1 (positive class)",
        "accuracy",
        "training time, s (log scale)",
        "model size",
        "logreg L1",
        "roberta-tiny",
        "0.960",
        "11.8 min",
        "n/a",
    ] {
        assert_text(&fig, t);
    }
    assert!(!has_text(&fig, "peak memory"));
    for i in 0..3 {
        // legend + F1 + accuracy + time bars
        assert!(rects_in(&fig, &hex(plot::color(i))) >= 4);
    }
}

#[test]
fn save_all_writes_svg_files_for_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let c = Confusion {
        tn: 5,
        fp: 1,
        fn_: 2,
        tp: 4,
    };
    let cm = plot::confusion_matrix(&c, ["ham", "spam"]).unwrap();
    let cd = plot::class_distribution(&[("all", [6, 6])], ["ham", "spam"]).unwrap();
    let files = plot::save_all(
        dir.path().join("figs"),
        &[("Confusion matrix", &cm), ("classes", &cd)],
    )
    .unwrap();
    assert_eq!(
        files,
        vec![
            PathBuf::from("confusion-matrix.svg"),
            PathBuf::from("classes.svg")
        ]
    );
    let back = std::fs::read_to_string(dir.path().join("figs").join(&files[0])).unwrap();
    assert_eq!(back, cm.svg());
    // PNG by extension, written whole (no temporary file left beside it).
    let p = cm.save(dir.path().join("figs/cm.png")).unwrap();
    assert_eq!(std::fs::read(&p).unwrap(), cm.png().unwrap());
    let names: Vec<String> = std::fs::read_dir(dir.path().join("figs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    assert!(cm.save(dir.path().join("cm.jpg")).is_err());
}

// ---------------------------------------------------------------------------------------------
// Rasterising: the SVGs draw, and (where the system has fonts) their text draws too.

fn system_fonts() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut stack = vec![
        PathBuf::from("/usr/share/fonts"),
        PathBuf::from("/usr/local/share/fonts"),
    ];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("ttf") || x.eq_ignore_ascii_case("otf"))
                && let Ok(b) = std::fs::read(&p)
            {
                out.push(b);
            }
        }
    }
    out
}

/// Render to a pixmap; returns the number of clearly non-white pixels.
fn rasterise(fig: &Figure, opt: &usvg::Options) -> (usize, tiny_skia::Pixmap) {
    let tree = usvg::Tree::from_str(fig.svg(), opt).unwrap();
    let size = tree.size().to_int_size();
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    let inked = pixmap
        .pixels()
        .iter()
        .filter(|p| p.alpha() > 0 && (p.red() < 200 || p.green() < 200 || p.blue() < 200))
        .count();
    (inked, pixmap)
}

#[test]
fn figures_render_to_png() {
    let (y, good, weak) = scores();
    let a = Evaluation::new("good", &y, &good, 0.5).unwrap();
    let b = Evaluation::new("weak", &y, &weak, 0.5).unwrap();
    let figs = [
        plot::roc(&[&a, &b]).unwrap(),
        plot::confusion_matrix(&a.metrics.confusion, ["ham", "spam"]).unwrap(),
        plot::class_distribution(&[("train", [290, 133])], ["ham", "spam"]).unwrap(),
        plot::threshold_sweep(&ThresholdSweep::new(&y, &good).unwrap(), None).unwrap(),
    ];
    let bare = usvg::Options::default();
    let fonts = system_fonts();
    let mut with_fonts = usvg::Options::default();
    for f in &fonts {
        with_fonts.fontdb_mut().load_font_data(f.clone());
    }
    if with_fonts
        .fontdb
        .faces()
        .any(|f| f.families.iter().any(|(n, _)| n == "DejaVu Sans"))
    {
        with_fonts.fontdb_mut().set_sans_serif_family("DejaVu Sans");
    }
    let dir = tempfile::tempdir().unwrap();
    for fig in &figs {
        let (inked, pixmap) = rasterise(fig, &bare);
        let (w, h) = fig.size();
        assert_eq!((pixmap.width(), pixmap.height()), (w, h));
        assert!(
            inked > 1000,
            "`{}` drew only {inked} dark pixels",
            fig.title()
        );
        let png = pixmap.encode_png().unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        std::fs::write(
            dir.path()
                .join(format!("{}.png", plot::file_stem(fig.title()))),
            png,
        )
        .unwrap();
        if fonts.is_empty() {
            eprintln!("no fonts under /usr/share/fonts: skipping the text rendering check");
            continue;
        }
        let (inked_text, _) = rasterise(fig, &with_fonts);
        assert!(
            inked_text > inked + 200,
            "text of `{}` did not draw with system fonts ({inked_text} vs {inked} dark pixels)",
            fig.title()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The PNG twin: what an untrusted notebook shows.

fn decode(png: &[u8]) -> tiny_skia::Pixmap {
    tiny_skia::Pixmap::decode_png(png).expect("the PNG decodes")
}

fn inked(p: &tiny_skia::Pixmap) -> usize {
    p.pixels()
        .iter()
        .filter(|p| p.red() < 200 || p.green() < 200 || p.blue() < 200)
        .count()
}

#[test]
fn png_twin_is_twice_the_size_and_draws_text() {
    let (y, good, weak) = scores();
    let a = Evaluation::new("good", &y, &good, 0.5).unwrap();
    let b = Evaluation::new("weak", &y, &weak, 0.5).unwrap();
    let fig = plot::roc(&[&a, &b]).unwrap();
    let png = decode(fig.png().unwrap());
    let (w, h) = fig.size();
    assert_eq!((png.width(), png.height()), (2 * w, 2 * h));
    // Opaque white background (a transparent PNG turns black in some viewers' dark themes).
    assert!(png.pixels().iter().all(|p| p.alpha() == 255));
    let (bare, _) = rasterise(&fig, &usvg::Options::default());
    let ink = inked(&png);
    // At 2x the shapes alone give ~4x the ink of the bare 1x rendering; text adds more.
    assert!(
        ink > 4 * bare,
        "{ink} dark pixels at 2x vs {bare} at 1x without text"
    );
    // Cached: the same bytes on the second call.
    assert!(std::ptr::eq(fig.png().unwrap(), fig.png().unwrap()));
}

/// Whether the system has a font family whose name contains one of `names`.
fn have_font(names: &[&str]) -> bool {
    let mut db = usvg::fontdb::Database::new();
    for f in system_fonts() {
        db.load_font_data(f);
    }
    db.faces().any(|f| {
        f.families
            .iter()
            .any(|(n, _)| names.iter().any(|x| n.contains(x)))
    })
}

/// A class name in a script draws real glyphs in the PNG: the figure differs from the same
/// figure with unassigned code points of the same UTF-8 length, which every font draws as the
/// same missing-glyph box.
fn script_draws(label: &str, missing: &str) -> bool {
    assert_eq!(label.len(), missing.len());
    assert_eq!(label.chars().count(), missing.chars().count());
    let fig = |l: &str| plot::class_distribution(&[("all", [6, 4])], ["ham", l]).unwrap();
    fig(label).png().unwrap() != fig(missing).png().unwrap()
}

#[test]
fn png_draws_cyrillic_and_cjk_where_a_font_covers_them() {
    if have_font(&["DejaVu Sans", "Noto Sans", "Liberation Sans"]) {
        assert!(script_draws("спам", "\u{378}\u{379}\u{378}\u{379}"));
    } else {
        eprintln!("SKIPPED: no DejaVu/Noto/Liberation Sans: Cyrillic check");
    }
    if have_font(&["CJK", "WenQuanYi", "Source Han", "Droid Sans Fallback"]) {
        assert!(script_draws("垃圾邮件", "\u{E000}\u{E001}\u{E002}\u{E003}"));
    } else {
        eprintln!("SKIPPED: no CJK font installed (Debian: fonts-noto-cjk): CJK check");
    }
}

/// One figure of every kind, rendered to PNG; prints the render time of each. With
/// `TEXTLAB_FIGURE_DIR=dir` the PNGs are written there to be looked at:
/// `TEXTLAB_FIGURE_DIR=/tmp/figs cargo test --release --test plots gallery -- --nocapture`
#[test]
fn gallery_of_every_figure_kind_renders() {
    let (y, good, weak) = scores();
    let a = Evaluation::new("tf-idf + logreg L2 (C=10, balanced)", &y, &good, 0.5).unwrap();
    let b = Evaluation::new("roberta-tiny", &y, &weak, 0.5).unwrap();
    let cs: Vec<f64> = (0..7).map(|i| 10f64.powi(i - 3)).collect();
    let folds = |base: &[f64]| {
        base.iter()
            .map(|&b| vec![b - 0.02, b, b + 0.02])
            .collect::<Vec<_>>()
    };
    let features: Vec<String> = (0..20).map(|j| format!("feature_{j}")).collect();
    let coefs: Vec<Vec<f64>> = (0..7)
        .map(|i| {
            (0..20)
                .map(|j| {
                    if j / 3 < i {
                        (j as f64 - 9.5) / 5.0
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect();
    let ham: Vec<usize> = (1..400).map(|i| 200 + i * 7).collect();
    let spam: Vec<usize> = (1..200).map(|i| 500 + i * 40).collect();
    let weights: Vec<(String, f64)> = (0..40)
        .map(|j| (format!("word{j}"), (j as f64 - 19.5) / 7.0))
        .chain([("click here to unsubscribe now".to_string(), 4.0)])
        .collect();
    let run = |name: &str, k: f64| {
        TrainingRun::new(name)
            .loss(
                (0..300)
                    .map(|s| {
                        (
                            s as f64,
                            k / (1.0 + s as f64 / 40.0) + 0.03 * ((s * 37 % 11) as f64),
                        )
                    })
                    .collect(),
            )
            .val_f1(vec![(100.0, 0.8), (200.0, 0.9), (300.0, 0.93)])
    };
    let y4: Vec<u8> = (0..400).map(|i| u8::from(i % 4 == 0)).collect();
    let noise = |i: usize, k: usize| ((i * 7919 + k * 104729) % 1000) as f64 / 1000.0;
    let hugging = |name: &str, k: usize, gap: f64| {
        let s: Vec<f64> = y4
            .iter()
            .enumerate()
            .map(|(i, &l)| (gap * l as f64 + (1.0 - gap) * noise(i, k)).min(1.0))
            .collect();
        Evaluation::new(name, &y4, &s, 0.5).unwrap()
    };
    let (c, d) = (hugging("L1", 1, 0.45), hugging("L2", 2, 0.42));
    let figs = vec![
        ("roc-zoom", plot::roc(&[&c, &d])),
        ("pr-zoom", plot::pr(&[&c, &d])),
        (
            "classes",
            plot::class_distribution(
                &[
                    ("train", [2900, 1330]),
                    ("train, oversampled", [2900, 2900]),
                    ("test", [620, 285]),
                ],
                ["ham", "spam"],
            ),
        ),
        (
            "lengths",
            plot::text_lengths(&[("ham", &ham), ("spam", &spam)]),
        ),
        (
            "confusion",
            plot::confusion_matrix(&a.metrics.confusion, ["ham", "spam"]),
        ),
        ("roc", plot::roc(&[&a, &b])),
        ("pr", plot::pr(&[&a, &b])),
        (
            "threshold",
            plot::threshold_sweep(&ThresholdSweep::new(&y, &good).unwrap(), None),
        ),
        (
            "c-sweep",
            plot::c_sweep(&[
                CvSeries::new(
                    "L1",
                    cs.clone(),
                    folds(&[0.4, 0.7, 0.85, 0.93, 0.95, 0.94, 0.93]),
                ),
                CvSeries::new(
                    "L2",
                    cs.clone(),
                    folds(&[0.6, 0.8, 0.9, 0.94, 0.95, 0.96, 0.95]),
                ),
            ]),
        ),
        (
            "path",
            plot::regularization_path(&[
                PathSeries::from_matrix("L1", cs.clone(), &features, &coefs, 12),
                PathSeries::from_matrix("L2", cs.clone(), &features, &coefs, 12),
            ]),
        ),
        (
            "features",
            plot::top_features(&weights, 10, ["ham", "spam"]),
        ),
        (
            "training",
            plot::training_curves(&[run("from scratch", 0.7), run("after MLM", 0.5)], "step"),
        ),
        (
            "comparison",
            plot::model_comparison(&[
                ModelStats::new("logreg L1", 0.93, 0.95)
                    .train_secs(1.5)
                    .size_mb(0.3),
                ModelStats::new("logreg L2 balanced", 0.94, 0.96)
                    .train_secs(3.2)
                    .size_mb(1.5),
                ModelStats::new("roberta-tiny", 0.96, 0.97)
                    .train_secs(706.0)
                    .memory_mb(490.0),
            ]),
        ),
    ];
    let dir = std::env::var_os("TEXTLAB_FIGURE_DIR").map(PathBuf::from);
    for (name, fig) in figs {
        let fig = fig.unwrap_or_else(|e| panic!("{name}: {e}"));
        let t = std::time::Instant::now();
        let png = fig.png().unwrap().to_vec();
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        let p = decode(&png);
        let (w, h) = fig.size();
        assert_eq!((p.width(), p.height()), (2 * w, 2 * h), "{name}");
        assert!(inked(&p) > 20_000, "{name} drew almost nothing");
        eprintln!(
            "{name:>11}: {w}x{h}, PNG {} kB in {ms:.0} ms",
            png.len() / 1024
        );
        if let Some(d) = &dir {
            fig.save(d.join(format!("{name}.png"))).unwrap();
        }
    }
    // The small side-by-side ROC and PR of an evaluation's notebook view.
    if let Some(d) = &dir {
        use textlab::display::Render;
        let html = c.html();
        for (k, part) in html.split("data:image/png;base64,").skip(1).enumerate() {
            let b64 = &part[..part.find('"').unwrap()];
            std::fs::write(d.join(format!("evaluation-{k}.png")), unbase64(b64)).unwrap();
        }
    }
}

fn unbase64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let mut out = Vec::new();
    for chunk in s.as_bytes().chunks(4) {
        let pad = chunk.iter().filter(|&&c| c == b'=').count();
        let n = chunk
            .iter()
            .map(|&c| if c == b'=' { 0 } else { u32::from(val(c)) })
            .fold(0u32, |acc, v| acc << 6 | v);
        out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8][..3 - pad]);
    }
    out
}
