#!/usr/bin/env bash
# Real-Jupyter check of the textlab kernel: nbclient in a venv outside the clone, the kernelspec
# installed into a temporary JUPYTER_PATH, `jupyter execute` on the smoke notebook (or the
# notebooks given), then a check that no cell has an error output and no stderr stream holds
# panic text: Jupyter reports a panicking cell as a success, so `jupyter execute` alone would pass.
#
#   kernel/ci/jupyter-smoke.sh [NOTEBOOK...]     default: kernel/tests/fixtures/smoke.ipynb
#
# Environment: CARGO_TARGET_DIR (default ~/.cache/textlab-target), TEXTLAB_JUPYTER_VENV (default
# ~/.cache/textlab/venv-jupyter), TEXTLAB_EVCXR_CACHE (evcxr build cache, default
# ~/.cache/textlab/evcxr). evcxr_jupyter is linked into textlab-kernel; a cold machine compiles
# textlab for evcxr once (about 15 minutes on 2 cores), kept in that cache for later runs.
# TEXTLAB_SMOKE_STALE=1 touches src/prelude.rs after the install and checks that the first code
# cell says textlab is being rebuilt (the rebuild happens in that cell, not in a silent start).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/textlab
venv=${TEXTLAB_JUPYTER_VENV:-$cache/venv-jupyter}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/textlab-target}
if [ $# -eq 0 ]; then
  set -- "$repo/kernel/tests/fixtures/smoke.ipynb"
fi

step() { printf '\n== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

step "venv with nbclient (provides \`jupyter execute\`; no ipykernel needed)"
if [ ! -x "$venv/bin/jupyter-execute" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet nbclient
fi

step "build textlab-kernel"
cargo build --release -p textlab-kernel --manifest-path "$repo/Cargo.toml"
kernel_bin=$CARGO_TARGET_DIR/release/textlab-kernel

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export JUPYTER_PATH=$work/jupyter

step "install the kernelspec into $JUPYTER_PATH (warms the build cache)"
"$kernel_bin" install
"$venv/bin/jupyter" kernelspec list

stale_check=${TEXTLAB_SMOKE_STALE:-0}
if [ "$stale_check" = 1 ]; then
  touch "$repo/src/prelude.rs"
fi

status=0
for nb in "$@"; do
  name=$(basename "$nb" .ipynb)
  step "jupyter execute $name"
  # The kernel starts in the notebook's directory (relative paths in cells work as in Jupyter);
  # nbclient writes --output beside the input, so the executed copy is moved out at once.
  executed=$(cd "$(dirname "$nb")" && pwd)/executed-$name.ipynb
  t0=$(date +%s)
  if ! "$venv/bin/jupyter" execute --kernel_name=textlab --startup_timeout=900 --timeout=1800 \
      --output="executed-$name" "$nb"; then
    echo "FAIL $name: jupyter execute failed"
    rm -f "$executed"
    status=1
    continue
  fi
  echo "jupyter execute $name: $(( $(date +%s) - t0 )) s"
  mv "$executed" "$work/executed-$name.ipynb"
  # Only the first kernel starts on the stale cache (it rebuilds textlab).
  TEXTLAB_SMOKE_STALE=$stale_check "$venv/bin/python" - "$work/executed-$name.ipynb" <<'PY' || status=1
import json, os, sys
path = sys.argv[1]
nb = json.load(open(path))
problems = []
if os.environ["TEXTLAB_SMOKE_STALE"] == "1":
    first = next(c for c in nb["cells"] if c["cell_type"] == "code")
    said = "".join("".join(o.get("text", "")) for o in first.get("outputs", []))
    if "textlab changed since this build cache was made (src/prelude.rs)" not in said:
        problems.append(f"first code cell does not say textlab is rebuilt: {said[:300]!r}")
for i, cell in enumerate(nb["cells"], 1):
    for out in cell.get("outputs", []):
        if out["output_type"] == "error":
            problems.append(f"cell {i}: error output: {out.get('ename')}: {out.get('evalue')}")
        if out["output_type"] == "stream" and out["name"] == "stderr":
            text = "".join(out["text"]) if isinstance(out["text"], list) else out["text"]
            if "panicked at" in text:
                problems.append(f"cell {i}: panic on stderr: {text.strip()[:300]}")
if problems:
    print("FAIL " + path)
    print("\n".join(problems))
    sys.exit(1)
print(f"ok   {path}: {len(nb['cells'])} cells, no errors, no panics")
PY
  stale_check=0
done
exit $status
