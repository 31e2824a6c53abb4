//! Device choice (CPU default; CUDA / Metal when built with the `cuda` / `metal` features) and
//! the allocator settings that make candle's CPU training fast.

use crate::error::{Error, Result};
use candle_core::Device;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Where tensors live. Parse from `cpu`, `cuda`, `cuda:1`, `metal`, `auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum DeviceChoice {
    #[default]
    Cpu,
    Cuda(usize),
    Metal(usize),
    /// CUDA if compiled in and present, else Metal, else CPU.
    Auto,
}

impl FromStr for DeviceChoice {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let (kind, ord) = s.split_once(':').unwrap_or((s, "0"));
        let ord: usize = ord.parse().map_err(|_| {
            Error::config(format!(
                "device `{s}`: the ordinal after `:` must be a number"
            ))
        })?;
        match kind.to_ascii_lowercase().as_str() {
            "cpu" => Ok(DeviceChoice::Cpu),
            "cuda" | "gpu" => Ok(DeviceChoice::Cuda(ord)),
            "metal" | "mps" => Ok(DeviceChoice::Metal(ord)),
            "auto" => Ok(DeviceChoice::Auto),
            _ => Err(Error::config(format!(
                "unknown device `{s}`: use cpu, cuda[:N], metal[:N] or auto"
            ))),
        }
    }
}

impl std::fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeviceChoice::Cpu => write!(f, "cpu"),
            DeviceChoice::Cuda(i) => write!(f, "cuda:{i}"),
            DeviceChoice::Metal(i) => write!(f, "metal:{i}"),
            DeviceChoice::Auto => write!(f, "auto"),
        }
    }
}

impl DeviceChoice {
    /// Open the device; a GPU the binary was not built for is a clear error.
    pub fn open(self) -> Result<Device> {
        match self {
            DeviceChoice::Cpu => Ok(Device::Cpu),
            DeviceChoice::Cuda(i) => {
                if !cfg!(feature = "cuda") {
                    return Err(Error::config(
                        "device cuda: textlab was built without the `cuda` feature (cargo build --release --features cuda)",
                    ));
                }
                Ok(Device::new_cuda(i)?)
            }
            DeviceChoice::Metal(i) => {
                if !cfg!(feature = "metal") {
                    return Err(Error::config(
                        "device metal: textlab was built without the `metal` feature (cargo build --release --features metal)",
                    ));
                }
                Ok(Device::new_metal(i)?)
            }
            DeviceChoice::Auto => {
                if cfg!(feature = "cuda")
                    && let Ok(d) = Device::new_cuda(0)
                {
                    return Ok(d);
                }
                if cfg!(feature = "metal")
                    && let Ok(d) = Device::new_metal(0)
                {
                    return Ok(d);
                }
                Ok(Device::Cpu)
            }
        }
    }
}

/// A short name for reports: `cpu (2 threads)`, `cuda:0`, `metal:0`.
pub fn describe(device: &Device) -> String {
    match device {
        Device::Cpu => format!("cpu ({} threads)", candle_core::utils::get_num_threads()),
        Device::Cuda(_) => "cuda".into(),
        Device::Metal(_) => "metal".into(),
    }
}

/// glibc's malloc hands every large tensor buffer a fresh mmap and returns it on free, so each
/// training step page-faults its activations in again. Raising the mmap and trim thresholds
/// (measured: half the step time of a small model on 2 cores) keeps freed buffers for reuse.
/// Idempotent; a no-op off linux-gnu.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // SAFETY: mallopt only changes allocator parameters; called once, before heavy work.
            unsafe {
                libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
                libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
            }
        });
    }
}

/// How many threads candle's CPU kernels should use: `RAYON_NUM_THREADS` when the user set it,
/// else `requested`, else the cores this process may use. Never more than those cores: more
/// workers than cores wait on each other (measured: 1000 threads ran 8x slower than 1). The
/// machine's load of the moment is not consulted, so a passing spike cannot halve a whole run.
pub fn choose_threads(requested: Option<usize>) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let wanted = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .or(requested.filter(|&n| n > 0))
        .unwrap_or(cores);
    if wanted > cores {
        eprintln!("note: --threads {wanted} lowered to the {cores} cores this process may use");
    }
    wanted.min(cores)
}

/// Make candle's CPU kernels use `n` threads (candle reads `RAYON_NUM_THREADS` at every matmul).
///
/// candle 0.11 also runs its own elementwise ops (the backward pass's gradient sums among them)
/// on a second pool of `CANDLE_NUM_THREADS - 1` workers beside rayon's (which runs the products
/// and our fused kernels), and that pool's idle workers spin for about 25,000 pauses before they
/// sleep. On a machine with few cores they took a core from rayon's workers after every such op:
/// measured on 2 cores, the main thread spent a fifth of the training step waiting for them, and
/// two threads were 1.0-1.15x PyTorch's time where one thread was 0.75-0.84x. Unless the user set
/// `CANDLE_NUM_THREADS`, that pool now has no workers: candle's elementwise ops run on the calling
/// thread and every other thread is rayon's. (Letting its workers sleep at once instead,
/// `CANDLE_BARRIER_POOL_SPIN_LIMIT=0`, was about as fast, but the main thread then spent 4% of
/// the step waiting for a worker to wake.) The pool is created at candle's first large
/// elementwise op, so this must run before that (at the start of a run, as the lab and the bench
/// do).
pub fn set_cpu_threads(n: usize) {
    // SAFETY: called at the start of a training run, before this process starts the work that
    // reads the variables; no other thread of ours writes the environment.
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        unsafe { std::env::set_var("CANDLE_NUM_THREADS", "1") };
    }
    if std::env::var("RAYON_NUM_THREADS").ok().as_deref() == Some(n.to_string().as_str()) {
        return;
    }
    unsafe { std::env::set_var("RAYON_NUM_THREADS", n.to_string()) };
}

/// Memory the machine can give a new allocation without swapping (`MemAvailable` of
/// `/proc/meminfo`), in bytes, where the OS tells it.
pub fn available_memory_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = s.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Peak resident memory of this process so far (`VmHWM`), in bytes, where the OS tells it.
pub fn peak_memory_bytes() -> Option<u64> {
    proc_status_bytes("VmHWM:")
}

/// Current resident memory of this process (`VmRSS`), in bytes, where the OS tells it.
pub fn resident_memory_bytes() -> Option<u64> {
    proc_status_bytes("VmRSS:")
}

/// A `kB` field of `/proc/self/status`, in bytes.
fn proc_status_bytes(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Reset the peak that [`peak_memory_bytes`] reports to the current resident memory (Linux:
/// `/proc/self/clear_refs`), so that one phase's peak can be measured. False where unsupported.
pub fn reset_peak_memory() -> bool {
    // Freed memory the allocator keeps (up to M_TRIM_THRESHOLD, see `tune_allocator`) would
    // count as resident before the phase and hide what the phase allocates again: return it.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free heap memory to the OS.
    unsafe {
        libc::malloc_trim(0);
    }
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_devices_and_rejects_unknown() {
        assert_eq!("cpu".parse::<DeviceChoice>().unwrap(), DeviceChoice::Cpu);
        assert_eq!(
            "cuda:1".parse::<DeviceChoice>().unwrap(),
            DeviceChoice::Cuda(1)
        );
        assert_eq!(
            "Metal".parse::<DeviceChoice>().unwrap(),
            DeviceChoice::Metal(0)
        );
        assert!("tpu".parse::<DeviceChoice>().is_err());
        assert!("cuda:x".parse::<DeviceChoice>().is_err());
        assert!(DeviceChoice::Cpu.open().unwrap().is_cpu());
        if !cfg!(feature = "cuda") {
            let e = DeviceChoice::Cuda(0).open().unwrap_err();
            assert!(e.to_string().contains("feature"), "{e}");
        }
        tune_allocator();
        if cfg!(target_os = "linux") {
            assert!(peak_memory_bytes().unwrap() > 1 << 20);
        }
    }
}
