//! The `textlab` Jupyter kernelspec.
//!
//! `kernel.json` runs `textlab-kernel kernel --control_file {connection_file}`, a thin wrapper
//! that takes a free build-cache slot (see [`crate::cache`]), sets `EVCXR_TMPDIR` to it and
//! `exec`s itself as `textlab-kernel --control_file ...`, which runs the evcxr_jupyter library
//! linked into this binary, with the slot's lock still held. `EVCXR_CONFIG_DIR`
//! (in the kernelspec's `env`) names the rendered `init.evcxr` + `prelude.rs` next to
//! `kernel.json`.

use crate::cache;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

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
    repo: &Path,
) -> Value {
    json!({
        "argv": [wrapper, "kernel", "--control_file", "{connection_file}"],
        "display_name": display_name,
        "language": "rust",
        "env": {
            "EVCXR_CONFIG_DIR": config_dir,
            "TEXTLAB_EVCXR_CACHE": cache_root,
            "TEXTLAB_REPO": repo,
        },
        "metadata": { "debugger": false },
    })
}

/// Writes the kernelspec directory `kernels/NAME/` (kernel.json + rendered evcxr config).
pub fn write_kernelspec(
    kernels: &Path,
    name: &str,
    display_name: &str,
    wrapper: &Path,
    repo: &Path,
    cache_root: &Path,
) -> Result<PathBuf, String> {
    let dir = kernels.join(name);
    let config_dir = dir.join("evcxr-config");
    cache::write_config(&config_dir, cache_root, repo)
        .map_err(|e| format!("cannot write {}: {e}", config_dir.display()))?;
    let spec = kernel_json(wrapper, display_name, &config_dir, cache_root, repo);
    let text = serde_json::to_string_pretty(&spec).expect("serializing kernel.json");
    std::fs::write(dir.join("kernel.json"), text + "\n")
        .map_err(|e| format!("cannot write {}/kernel.json: {e}", dir.display()))?;
    Ok(dir)
}

/// The argument that makes `textlab-kernel` run as the Jupyter kernel (evcxr_jupyter's `main`).
pub const CONTROL_FILE_ARG: &str = "--control_file";

/// The kernelspec's entry point: take a build-cache slot, then exec this binary as the Jupyter
/// kernel (`textlab-kernel --control_file F`, which runs evcxr_jupyter's `main`) with the slot's
/// lock still held. An exec rather than a call because evcxr_jupyter reads its arguments from
/// the process.
pub fn exec_kernel(control_file: &Path) -> Result<(), String> {
    use std::os::unix::process::CommandExt;
    let me = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let (root, repo) = (cache::cache_root(), cache::textlab_repo());
    // The kernelspec's init.evcxr names this crate; recreate it if the cache was cleared.
    cache::write_notebook_crate(&root, &repo).map_err(|e| {
        format!(
            "cannot write the notebook crate under {}: {e}",
            root.display()
        )
    })?;
    let slot = cache::acquire_slot(&root, &repo)
        .map_err(|e| format!("cannot take a build-cache slot: {e}"))?;
    slot.keep_across_exec().map_err(|e| e.to_string())?;
    eprintln!(
        "textlab kernel: build cache {} (slot {})",
        slot.dir.display(),
        slot.index
    );
    let mut cmd = Command::new(&me);
    if let Some(host) = cache::rustc_host()
        && let Some(message) = cache::slot_state(&slot.dir, &repo, &host).message()
    {
        eprintln!("textlab kernel: {message}");
        // A long build while the kernel starts shows nothing in the notebook: our evcxr builds
        // textlab at the start of the first cell instead, after printing this there.
        cmd.env(
            "EVCXR_DEFER_CONFIG_NOTE",
            format!("textlab kernel: {message}"),
        );
    }
    cmd.arg(CONTROL_FILE_ARG)
        .arg(control_file)
        .env("EVCXR_TMPDIR", &slot.dir)
        // evcxr_jupyter "updates" a kernelspec named `rust` found under $JUPYTER_PATH to point
        // at the running binary: a user's own evcxr kernel must not become ours.
        .env("JUPYTER_PATH", slot.dir.join("no-kernelspecs"))
        .envs(cache::engine_env());
    if let Some(p) = cache::child_library_path(&slot.dir) {
        cmd.env("LD_LIBRARY_PATH", p);
    }
    let err = cmd.exec();
    Err(format!("cannot exec {}: {err}", me.display()))
}
