//! Training-step throughput and peak memory of our encoder at fixed shapes, with PyTorch's on the
//! same shapes, in the same run and at the same thread count, when `python3 -c "import torch"`
//! works (or `$TEXTLAB_TORCH_PYTHON`, else `$TEXTLAB_PYTHON`, names a Python that has torch). The ratios are the numbers to
//! watch.

use crate::error::{Error, Result};
use crate::rng::Rng;
use crate::transformer::batch::Batch;
use crate::transformer::config::ModelConfig;
use crate::transformer::device::{
    DeviceChoice, choose_threads, describe, peak_memory_bytes, reset_peak_memory,
    resident_memory_bytes, set_cpu_threads, tune_allocator,
};
use crate::transformer::memory::{MemoryEstimate, human_bytes};
use crate::transformer::model::SequenceClassifier;
use crate::transformer::optim::AdamW;
use crate::transformer::params::Params;
use candle_core::Device;
use serde::{Deserialize, Serialize};
use std::process::Command;
use std::time::Instant;

/// One benchmarked shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchShape {
    pub name: String,
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub vocab: usize,
    pub batch: usize,
    pub seq_len: usize,
    pub parameters: usize,
    pub ms_per_step: f64,
    pub seq_per_second: f64,
    /// [`MemoryEstimate`](crate::transformer::memory::MemoryEstimate) of this training step.
    pub estimated_bytes: u64,
    /// Measured on CPU: peak resident memory during the model's creation and steps, minus the
    /// resident memory before (`None` where the OS does not report it, or on a GPU).
    pub measured_bytes: Option<u64>,
    /// PyTorch's time on the same shape, same run, when torch is importable.
    pub torch_ms_per_step: Option<f64>,
    /// `ms_per_step / torch_ms_per_step` (above 1: we are slower).
    pub ratio_vs_torch: Option<f64>,
    /// PyTorch's peak resident memory during its model's creation and steps minus the resident
    /// memory before, measured like `measured_bytes` (`None` without the anchor, or where the
    /// OS does not report it).
    #[serde(default)]
    pub torch_measured_bytes: Option<u64>,
    /// `measured_bytes / torch_measured_bytes` (above 1: we use more).
    #[serde(default)]
    pub memory_ratio_vs_torch: Option<f64>,
}

/// The benchmark's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    pub device: String,
    pub steps: usize,
    /// CPU threads our kernels ran with (`None` on a GPU).
    #[serde(default)]
    pub threads: Option<usize>,
    /// The anchor's version and the threads it ran with, when it ran.
    #[serde(default)]
    pub torch_version: Option<String>,
    #[serde(default)]
    pub torch_threads: Option<usize>,
    pub shapes: Vec<BenchShape>,
    /// Why there is no PyTorch anchor, when there is none.
    pub torch_note: Option<String>,
}

impl std::fmt::Display for BenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "transformer training step (forward + backward + AdamW), {} timed steps, {}{}",
            self.steps,
            self.device,
            self.threads
                .map_or(String::new(), |t| format!(", {t} thread(s)"))
        )?;
        if let (Some(v), Some(t)) = (&self.torch_version, self.torch_threads) {
            writeln!(f, "  anchor: PyTorch {v}, {t} thread(s)")?;
        }
        for s in &self.shapes {
            write!(
                f,
                "  {:<28} batch {:>2} x seq {:>3}: {:>9.1} ms/step {:>7.1} seq/s",
                s.name, s.batch, s.seq_len, s.ms_per_step, s.seq_per_second
            )?;
            write!(
                f,
                "  memory est. {} / measured {}",
                human_bytes(s.estimated_bytes),
                s.measured_bytes.map_or("n/a".into(), human_bytes)
            )?;
            if let (Some(t), Some(r)) = (s.torch_ms_per_step, s.ratio_vs_torch) {
                write!(f, "  | torch {t:.1} ms/step, ratio {r:.2}x")?;
            }
            match (s.torch_measured_bytes, s.memory_ratio_vs_torch) {
                (Some(b), Some(r)) => writeln!(f, ", peak {} ({r:.2}x)", human_bytes(b))?,
                (Some(b), None) => writeln!(f, ", peak {}", human_bytes(b))?,
                _ => writeln!(f)?,
            }
        }
        if let Some(n) = &self.torch_note {
            writeln!(f, "  {n}")?;
        }
        Ok(())
    }
}

fn shapes(with_base: bool) -> Vec<(String, usize, usize, usize, usize, usize)> {
    // name, hidden, layers, heads, vocab, batch (seq 128 for all)
    let mut v = vec![
        ("tiny h128 L2 H2".to_string(), 128, 2, 2, 8000, 16),
        ("small h256 L4 H4".to_string(), 256, 4, 4, 8000, 16),
    ];
    if with_base {
        v.push((
            "roberta-base h768 L12 H12".to_string(),
            768,
            12,
            12,
            50265,
            8,
        ));
    }
    v
}

/// What [`time_steps`] measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepTiming {
    pub ms_per_step: f64,
    pub seq_per_second: f64,
    /// [`MemoryEstimate`] of the step, to set against `peak_bytes`.
    pub estimated_bytes: u64,
    /// On CPU: the peak resident memory while the model was created and trained, minus the
    /// resident memory before (what the step really costs, to set against
    /// [`MemoryEstimate`]); `None` on a GPU or where the OS does not report it.
    pub peak_bytes: Option<u64>,
}

/// Time `steps` training steps (after one warm-up) of a classifier of `cfg` at `batch` x `seq`.
pub fn time_steps(
    cfg: &ModelConfig,
    batch: usize,
    seq: usize,
    steps: usize,
    device: &Device,
) -> Result<StepTiming> {
    let before = (device.is_cpu() && reset_peak_memory())
        .then(resident_memory_bytes)
        .flatten();
    let model = SequenceClassifier::new(cfg.clone(), Params::fresh(1, device))?;
    let mut opt = AdamW::new(model.params().vars(), 0.01)?;
    let mut rng = Rng::new(2);
    let seqs: Vec<Vec<u32>> = (0..batch)
        .map(|_| {
            let mut s: Vec<u32> = (0..seq)
                .map(|_| 5 + rng.below(cfg.vocab_size - 5) as u32)
                .collect();
            s[0] = 0;
            s[seq - 1] = 2;
            s
        })
        .collect();
    let refs: Vec<&[u32]> = seqs.iter().map(Vec::as_slice).collect();
    let labels: Vec<u8> = (0..batch).map(|i| (i % 2) as u8).collect();
    let b = Batch::new(&refs, Some(&labels), cfg, device)?;
    let y = b.labels.clone().ok_or_else(|| Error::model("no labels"))?;
    let mut step = |rng: &mut Rng| -> Result<()> {
        let logits = model.forward(&b, Some(rng))?;
        let loss = candle_nn::loss::cross_entropy(&logits, &y)?;
        opt.accumulate(&loss.backward()?)?;
        opt.step(1e-4, 1.0)?;
        Ok(())
    };
    step(&mut rng)?;
    let t = Instant::now();
    for _ in 0..steps {
        step(&mut rng)?;
    }
    let ms_per_step = t.elapsed().as_secs_f64() * 1000.0 / steps.max(1) as f64;
    let peak_bytes = before
        .zip(peak_memory_bytes())
        .map(|(b, p)| p.saturating_sub(b));
    Ok(StepTiming {
        ms_per_step,
        seq_per_second: batch as f64 * 1000.0 / ms_per_step,
        estimated_bytes: MemoryEstimate::new(cfg, batch, seq, true).total_bytes,
        peak_bytes,
    })
}

// Peak memory is measured as ours is: reset the high-water mark (`clear_refs` 5), then peak minus
// the resident memory before each shape; `ru_maxrss` (never reset) is the fallback. A throwaway
// step first, so that torch's one-time start-up allocations are not charged to the first shape.
const TORCH_SCRIPT: &str = r#"
import gc, json, resource, sys, time, torch, torch.nn as nn
torch.manual_seed(0)
shapes = json.loads(sys.argv[1]); steps = int(sys.argv[2]); torch.set_num_threads(int(sys.argv[3])); out = []; peaks = []
def status(field):
    try:
        for line in open("/proc/self/status"):
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None
def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False
class M(nn.Module):
    def __init__(s, h, l, nh, v):
        super().__init__()
        s.word = nn.Embedding(v, h); s.pos = nn.Embedding(130, h); s.ln = nn.LayerNorm(h, eps=1e-5)
        layer = nn.TransformerEncoderLayer(h, nh, 4 * h, dropout=0.1, activation="gelu", batch_first=True, layer_norm_eps=1e-5)
        s.enc = nn.TransformerEncoder(layer, l, enable_nested_tensor=False)
        s.dense = nn.Linear(h, h); s.out = nn.Linear(h, 2)
    def forward(s, ids):
        x = s.ln(s.word(ids) + s.pos(torch.arange(2, ids.shape[1] + 2)))
        x = s.enc(x)
        return s.out(torch.tanh(s.dense(x[:, 0])))
def warm_up():
    m = M(8, 1, 2, 16); opt = torch.optim.AdamW(m.parameters()); ids = torch.randint(5, 16, (2, 4))
    nn.functional.cross_entropy(m(ids), torch.arange(2) % 2).backward(); opt.step()
warm_up()
for (h, l, nh, v, b, t) in shapes:
    gc.collect()
    reset = reset_peak(); rss0 = status("VmRSS:"); max0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    m = M(h, l, nh, v); opt = torch.optim.AdamW(m.parameters(), lr=1e-4)
    ids = torch.randint(5, v, (b, t)); y = torch.arange(b) % 2
    def step():
        opt.zero_grad(); loss = nn.functional.cross_entropy(m(ids), y); loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step()
    step(); t0 = time.perf_counter()
    for _ in range(steps): step()
    out.append((time.perf_counter() - t0) * 1000 / steps)
    hwm = status("VmHWM:")
    if reset and hwm is not None and rss0 is not None:
        peaks.append(max(hwm - rss0, 0))
    else:
        peaks.append(max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - max0, 0))
    del m, opt, step
print(json.dumps({"ms": out, "peak_bytes": peaks, "threads": torch.get_num_threads(), "version": torch.__version__}))
"#;

/// What the PyTorch anchor measured: per shape ms/step and peak bytes, and its settings.
#[derive(Debug, Clone, PartialEq)]
struct TorchRun {
    ms: Vec<f64>,
    peak_bytes: Vec<Option<u64>>,
    threads: Option<usize>,
    version: Option<String>,
}

/// The Python with torch: `$TEXTLAB_TORCH_PYTHON` (torch and scikit-learn may live in different
/// virtual environments), else the scikit-learn anchor's `$TEXTLAB_PYTHON`, else `python3`.
fn python() -> String {
    std::env::var("TEXTLAB_TORCH_PYTHON").unwrap_or_else(|_| crate::lab::classic_bench::python())
}

fn torch_times(
    shapes: &[(String, usize, usize, usize, usize, usize)],
    seq: usize,
    steps: usize,
) -> std::result::Result<TorchRun, String> {
    let py = python();
    let ok = Command::new(&py)
        .args(["-c", "import torch"])
        .output()
        .map_err(|e| format!("no {py} ({e}): no PyTorch anchor in this run"))?;
    if !ok.status.success() {
        return Err(format!(
            "PyTorch is not installed (`{py} -c \"import torch\"` failed; set TEXTLAB_TORCH_PYTHON to \
             a Python with torch): no anchor in this run"
        ));
    }
    let arg: Vec<[usize; 6]> = shapes
        .iter()
        .map(|s| [s.1, s.2, s.3, s.4, s.5, seq])
        .collect();
    let out = Command::new(&py)
        .args([
            "-c",
            TORCH_SCRIPT,
            &serde_json::to_string(&arg).unwrap_or_default(),
            &steps.to_string(),
            &candle_core::utils::get_num_threads().to_string(),
        ])
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "the PyTorch anchor failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    parse_torch(&out.stdout)
}

fn parse_torch(stdout: &[u8]) -> std::result::Result<TorchRun, String> {
    let v: serde_json::Value = serde_json::from_slice(stdout)
        .map_err(|e| format!("the PyTorch anchor printed no JSON ({e})"))?;
    let list = |k: &str| v[k].as_array().cloned().unwrap_or_default();
    Ok(TorchRun {
        ms: list("ms").iter().filter_map(|x| x.as_f64()).collect(),
        peak_bytes: list("peak_bytes").iter().map(|x| x.as_u64()).collect(),
        threads: v["threads"].as_u64().map(|t| t as usize),
        version: v["version"].as_str().map(str::to_string),
    })
}

/// Settings of the transformer benchmark.
#[derive(Debug, Clone, PartialEq)]
pub struct TransformerBench {
    /// Timed training steps per shape (after one warm-up step). Default 3.
    pub steps: usize,
    /// Include the roberta-base-size shape (the slow one). Default true.
    pub base: bool,
    pub device: DeviceChoice,
    /// CPU threads (default: the cores this process may use).
    pub threads: Option<usize>,
}

impl Default for TransformerBench {
    fn default() -> Self {
        TransformerBench {
            steps: 3,
            base: true,
            device: DeviceChoice::Cpu,
            threads: None,
        }
    }
}

/// Run the benchmark.
pub fn run_bench(args: &TransformerBench) -> Result<BenchReport> {
    tune_allocator();
    let device = args.device.open()?;
    if device.is_cpu() {
        set_cpu_threads(choose_threads(args.threads));
    }
    let seq = 128;
    let steps = args.steps.max(1);
    let list = shapes(args.base);
    let mut out = Vec::new();
    for (name, h, l, nh, v, b) in &list {
        let mut cfg = ModelConfig::tiny_roberta(*v, *h, *l, *nh, seq);
        cfg.max_position_embeddings = 514;
        eprintln!("bench: {name} ...");
        let m = time_steps(&cfg, *b, seq, steps, &device)?;
        out.push(BenchShape {
            name: name.clone(),
            hidden: *h,
            layers: *l,
            heads: *nh,
            vocab: *v,
            batch: *b,
            seq_len: seq,
            parameters: cfg.num_parameters(),
            ms_per_step: m.ms_per_step,
            seq_per_second: m.seq_per_second,
            estimated_bytes: m.estimated_bytes,
            measured_bytes: m.peak_bytes,
            torch_ms_per_step: None,
            ratio_vs_torch: None,
            torch_measured_bytes: None,
            memory_ratio_vs_torch: None,
        });
    }
    let (mut torch_version, mut torch_threads) = (None, None);
    let torch_note = match torch_times(&list, seq, steps) {
        Ok(t) if t.ms.len() == out.len() => {
            for (i, s) in out.iter_mut().enumerate() {
                s.torch_ms_per_step = Some(t.ms[i]);
                s.ratio_vs_torch = Some(s.ms_per_step / t.ms[i]);
                s.torch_measured_bytes = t.peak_bytes.get(i).copied().flatten();
                s.memory_ratio_vs_torch = s
                    .measured_bytes
                    .zip(s.torch_measured_bytes)
                    .filter(|&(_, t)| t > 0)
                    .map(|(o, t)| o as f64 / t as f64);
            }
            (torch_version, torch_threads) = (t.version, t.threads);
            None
        }
        Ok(_) => Some("the PyTorch anchor returned no times".to_string()),
        Err(e) => Some(e),
    };
    Ok(BenchReport {
        device: describe(&device),
        steps,
        threads: device.is_cpu().then(candle_core::utils::get_num_threads),
        torch_version,
        torch_threads,
        shapes: out,
        torch_note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_anchor_output_is_parsed_and_shown_with_ratios() {
        let t = parse_torch(
            br#"{"ms": [100.0, 500.5], "peak_bytes": [2000000, null], "threads": 1, "version": "2.15.0"}"#,
        )
        .unwrap();
        assert_eq!(t.ms, vec![100.0, 500.5]);
        assert_eq!(t.peak_bytes, vec![Some(2_000_000), None]);
        assert_eq!((t.threads, t.version.as_deref()), (Some(1), Some("2.15.0")));
        assert!(parse_torch(b"Traceback (most recent call last)").is_err());

        let shape = BenchShape {
            name: "tiny".into(),
            hidden: 8,
            layers: 1,
            heads: 2,
            vocab: 10,
            batch: 2,
            seq_len: 4,
            parameters: 100,
            ms_per_step: 150.0,
            seq_per_second: 13.3,
            estimated_bytes: 1_000_000,
            measured_bytes: Some(3_000_000),
            torch_ms_per_step: Some(100.0),
            ratio_vs_torch: Some(1.5),
            torch_measured_bytes: Some(2_000_000),
            memory_ratio_vs_torch: Some(1.5),
        };
        let r = BenchReport {
            device: "cpu".into(),
            steps: 3,
            threads: Some(1),
            torch_version: Some("2.15.0".into()),
            torch_threads: Some(1),
            shapes: vec![shape],
            torch_note: None,
        };
        let text = r.to_string();
        assert!(text.contains("1 thread(s)") && text.contains("PyTorch 2.15.0, 1 thread(s)"));
        assert!(
            text.contains("ratio 1.50x") && text.contains("(1.50x)"),
            "{text}"
        );
        // JSON written before these fields existed still reads
        let mut v = serde_json::to_value(&r).unwrap();
        for k in ["threads", "torch_version", "torch_threads"] {
            v.as_object_mut().unwrap().remove(k);
        }
        let old: BenchReport = serde_json::from_value(v).unwrap();
        assert_eq!(old.threads, None);
    }
}
