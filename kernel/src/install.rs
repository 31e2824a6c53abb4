//! The `textlab` Jupyter kernelspec.
//!
//! `kernel.json` runs `textlab-kernel kernel --control_file {connection_file}`, a thin wrapper
//! that takes a free build-cache slot (see [`crate::cache`]), sets `EVCXR_TMPDIR` to it and
//! `exec`s `evcxr_jupyter --control_file ...` with the slot's lock still held. `EVCXR_CONFIG_DIR`
//! (in the kernelspec's `env`) names the rendered `init.evcxr` + `prelude.rs` next to
//! `kernel.json`.

use crate::cache;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The evcxr_jupyter version matching our `evcxr` library.
pub const EVCXR_JUPYTER_VERSION: &str = "0.22.0";

/// Directory that holds kernelspecs (`.../kernels`), in this order: `--prefix DIR`
/// (`DIR/share/jupyter/kernels`, as `jupyter kernelspec install --prefix`), the first entry of
/// `$JUPYTER_PATH`, `$JUPYTER_DATA_DIR`, then the user data dir (`$XDG_DATA_HOME/jupyter` or
/// `~/.local/share/jupyter`; `~/Library/Jupyter` on macOS).
pub fn kernels_dir(prefix: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(p) = prefix {
        return Ok(p.join("share").join("jupyter").join("kernels"));
    }
    let env_dir = |name: &str| {
        std::env::var_os(name)
            .and_then(|v| std::env::split_paths(&v).next())
            .filter(|p| !p.as_os_str().is_empty())
    };
    if let Some(p) = env_dir("JUPYTER_PATH").or_else(|| env_dir("JUPYTER_DATA_DIR")) {
        return Ok(p.join("kernels"));
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .ok_or("HOME is not set")?;
    let data = if cfg!(target_os = "macos") {
        home.join("Library").join("Jupyter")
    } else {
        std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".local").join("share"))
            .join("jupyter")
    };
    Ok(data.join("kernels"))
}

/// The kernelspec's `kernel.json`.
pub fn kernel_json(
    wrapper: &Path,
    display_name: &str,
    config_dir: &Path,
    cache_root: &Path,
    evcxr_jupyter: &Path,
    repo: &Path,
) -> Value {
    json!({
        "argv": [wrapper, "kernel", "--control_file", "{connection_file}"],
        "display_name": display_name,
        "language": "rust",
        "env": {
            "EVCXR_CONFIG_DIR": config_dir,
            "TEXTLAB_EVCXR_CACHE": cache_root,
            "TEXTLAB_EVCXR_JUPYTER": evcxr_jupyter,
            "TEXTLAB_REPO": repo,
        },
        "metadata": { "debugger": false },
    })
}

/// `evcxr_jupyter` on `PATH` or in `~/.cargo/bin`.
pub fn find_evcxr_jupyter() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(cargo_home) = std::env::var_os("CARGO_HOME") {
        dirs.push(PathBuf::from(cargo_home).join("bin"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo").join("bin"));
    }
    dirs.into_iter()
        .map(|d| d.join("evcxr_jupyter"))
        .find(|p| p.is_file())
}

/// `cargo install --locked evcxr_jupyter@0.22.0 [--target-dir DIR]`, output shown as it goes.
/// `target_dir` should be the one our own build uses so shared dependencies are reused.
pub fn cargo_install_evcxr_jupyter(target_dir: Option<&Path>) -> Result<PathBuf, String> {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.args([
        "install",
        "--locked",
        &format!("evcxr_jupyter@{EVCXR_JUPYTER_VERSION}"),
    ]);
    if let Some(dir) = target_dir {
        cmd.arg("--target-dir").arg(dir);
    }
    eprintln!("evcxr_jupyter not found; running {cmd:?} (about 20 minutes on 2 cores)");
    let t = Instant::now();
    let status = cmd.status().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("cargo install evcxr_jupyter failed ({status})"));
    }
    eprintln!(
        "installed evcxr_jupyter in {:.0} s",
        t.elapsed().as_secs_f64()
    );
    find_evcxr_jupyter().ok_or_else(|| "evcxr_jupyter still not found after cargo install".into())
}

/// Writes the kernelspec directory `kernels/NAME/` (kernel.json + rendered evcxr config).
pub fn write_kernelspec(
    kernels: &Path,
    name: &str,
    display_name: &str,
    wrapper: &Path,
    evcxr_jupyter: &Path,
    repo: &Path,
) -> Result<PathBuf, String> {
    let dir = kernels.join(name);
    let config_dir = dir.join("evcxr-config");
    cache::write_config(&config_dir, repo)
        .map_err(|e| format!("cannot write {}: {e}", config_dir.display()))?;
    let spec = kernel_json(
        wrapper,
        display_name,
        &config_dir,
        &cache::cache_root(),
        evcxr_jupyter,
        repo,
    );
    let text = serde_json::to_string_pretty(&spec).expect("serializing kernel.json");
    std::fs::write(dir.join("kernel.json"), text + "\n")
        .map_err(|e| format!("cannot write {}/kernel.json: {e}", dir.display()))?;
    Ok(dir)
}

/// The kernelspec's entry point: take a build-cache slot, then become evcxr_jupyter.
pub fn exec_kernel(control_file: &Path) -> Result<(), String> {
    use std::os::unix::process::CommandExt;
    let evcxr_jupyter = std::env::var_os("TEXTLAB_EVCXR_JUPYTER")
        .map(PathBuf::from)
        .or_else(find_evcxr_jupyter)
        .ok_or("evcxr_jupyter not found (run `textlab-kernel install`)")?;
    let slot = cache::acquire_slot(&cache::cache_root(), &cache::textlab_repo())
        .map_err(|e| format!("cannot take a build-cache slot: {e}"))?;
    slot.keep_across_exec().map_err(|e| e.to_string())?;
    eprintln!(
        "textlab kernel: build cache {} (slot {})",
        slot.dir.display(),
        slot.index
    );
    let mut cmd = Command::new(&evcxr_jupyter);
    cmd.arg("--control_file")
        .arg(control_file)
        .env("EVCXR_TMPDIR", &slot.dir);
    if let Some(p) = cache::child_library_path() {
        cmd.env("LD_LIBRARY_PATH", p);
    }
    let err = cmd.exec();
    Err(format!("cannot exec {}: {err}", evcxr_jupyter.display()))
}
