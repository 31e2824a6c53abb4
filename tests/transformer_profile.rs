//! Where a training step's time goes (ignored: run by hand).
//! `cargo test --release --test transformer_profile -- --ignored --nocapture`

use candle_core::Device;
use std::time::Instant;
use textlab::rng::Rng;
use textlab::transformer::optim::AdamW;
use textlab::transformer::params::Params;
use textlab::transformer::{Batch, ModelConfig, SequenceClassifier};

#[test]
#[ignore = "timing, by hand"]
fn profile_step() {
    textlab::transformer::device::tune_allocator();
    for (h, l, nh, v, b, t) in [(64, 2, 2, 2000, 16, 64), (128, 2, 2, 8000, 16, 128)] {
        let cfg = ModelConfig::tiny_roberta(v, h, l, nh, t);
        let dev = Device::Cpu;
        let model = SequenceClassifier::new(cfg.clone(), Params::fresh(1, &dev)).unwrap();
        let mut opt = AdamW::new(model.params().vars(), 0.01).unwrap();
        let mut rng = Rng::new(2);
        let seqs: Vec<Vec<u32>> = (0..b)
            .map(|_| (0..t).map(|_| 5 + rng.below(v - 5) as u32).collect())
            .collect();
        let refs: Vec<&[u32]> = seqs.iter().map(Vec::as_slice).collect();
        let y: Vec<u8> = (0..b).map(|i| (i % 2) as u8).collect();
        let batch = Batch::new(&refs, Some(&y), &cfg, &dev).unwrap();
        let labels = batch.labels.clone().unwrap();
        let n = 5;
        let time = |f: &mut dyn FnMut()| {
            f();
            let s = Instant::now();
            for _ in 0..n {
                f();
            }
            s.elapsed().as_secs_f64() * 1000.0 / n as f64
        };
        let fwd_eval = time(&mut || {
            model.forward(&batch, None).unwrap();
        });
        let fwd_train = time(&mut || {
            model.forward(&batch, Some(&mut rng)).unwrap();
        });
        let fwd_bwd = time(&mut || {
            let lo = model.forward(&batch, Some(&mut rng)).unwrap();
            candle_nn::loss::cross_entropy(&lo, &labels)
                .unwrap()
                .backward()
                .unwrap();
        });
        let full = time(&mut || {
            let lo = model.forward(&batch, Some(&mut rng)).unwrap();
            opt.accumulate(
                &candle_nn::loss::cross_entropy(&lo, &labels)
                    .unwrap()
                    .backward()
                    .unwrap(),
            )
            .unwrap();
            opt.step(1e-4, 1.0).unwrap();
        });
        println!(
            "h{h} L{l} b{b} t{t}: forward eval {fwd_eval:.1} ms, forward+dropout {fwd_train:.1} ms, +backward {fwd_bwd:.1} ms, +AdamW {full:.1} ms ({:.1} seq/s); threads {}",
            b as f64 * 1000.0 / full,
            candle_core::utils::get_num_threads()
        );
    }
}

/// `textlab bench transformer` through the library (the binary wires the same function).
#[test]
#[ignore = "timing, by hand"]
fn bench_transformer() {
    let base = std::env::var_os("TEXTLAB_BENCH_BASE").is_some();
    let args = textlab::transformer::cli::TransformerBenchArgs {
        no_base: !base,
        ..Default::default()
    };
    textlab::transformer::cli::bench(args).unwrap();
}
