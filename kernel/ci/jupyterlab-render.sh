#!/usr/bin/env bash
# What a reader of a fresh clone sees: every figure of the given notebooks must draw in a real
# JupyterLab (headless Chromium). JupyterLab treats a notebook it has not signed as untrusted: it
# then hides `image/svg+xml` outputs and sanitises `<svg>` inside HTML to loose text, while
# `image/png` outputs and `<img src="data:image/...">` in HTML still show. So a figure counts as
# drawn only as an `<img src="data:image/...">` inside a cell's output area.
#
#   kernel/ci/jupyterlab-render.sh NOTEBOOK...
#
# Figures expected per notebook: outputs with image/png, image/jpeg or image/svg+xml, plus each
# `<img` and `<svg` inside text/html outputs. Exit status 1 when any notebook drew fewer.
#
# Each notebook is copied into a temporary directory (new content, no signature: untrusted, as
# in a fresh clone) with its kernelspec renamed to one that does not exist, so that opening it
# starts no Rust kernel. JupyterLab runs on 127.0.0.1 with fresh settings, data and workspace
# directories (no restored tabs, no trust database) and cell windowing off (every cell in the DOM).
#
# Installs when missing: jupyterlab in a venv outside the clone (TEXTLAB_JUPYTERLAB_VENV, default
# ~/.cache/textlab/venv-jupyterlab, ~150 MB) and Debian's chromium (apt-get, as root or sudo -n).
set -euo pipefail

cache=${XDG_CACHE_HOME:-$HOME/.cache}/textlab
venv=${TEXTLAB_JUPYTERLAB_VENV:-$cache/venv-jupyterlab}
if [ $# -eq 0 ]; then
  echo "usage: $0 NOTEBOOK.ipynb..." >&2
  exit 2
fi

step() { printf '\n== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

if [ ! -x "$venv/bin/jupyter-lab" ]; then
  step "venv with jupyterlab: $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet jupyterlab
fi

browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  step "install chromium"
  sudo_=""
  [ "$(id -u)" = 0 ] || sudo_="sudo -n"
  $sudo_ apt-get install -y --no-install-recommends chromium \
    || { $sudo_ apt-get update && $sudo_ apt-get install -y --no-install-recommends chromium; }
  browser=$(command -v chromium)
fi

work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/nb" "$work/settings/@jupyterlab/notebook-extension" "$work/workspaces" \
  "$work/data" "$work/config" "$work/runtime" "$work/chrome"
# Lazy cell rendering would leave cells outside the (virtual) viewport out of the DOM.
echo '{"windowingMode": "none"}' \
  >"$work/settings/@jupyterlab/notebook-extension/tracker.jupyterlab-settings"

step "copy the notebooks (untrusted, no kernel)"
names=()
for nb in "$@"; do
  name=$(basename "$nb")
  "$venv/bin/python" - "$nb" "$work/nb/$name" <<'PY'
import json, sys
nb = json.load(open(sys.argv[1], encoding="utf-8"))
nb.setdefault("metadata", {})["kernelspec"] = {
    "name": "textlab-render-check-no-such-kernel", "display_name": "none", "language": "none"}
json.dump(nb, open(sys.argv[2], "w", encoding="utf-8"))
PY
  names+=("$name")
done

port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
step "jupyter lab on 127.0.0.1:$port"
root_flag=()
[ "$(id -u)" != 0 ] || root_flag=(--allow-root)
JUPYTER_DATA_DIR=$work/data JUPYTER_CONFIG_DIR=$work/config JUPYTER_RUNTIME_DIR=$work/runtime \
  "$venv/bin/jupyter" lab --no-browser --ip=127.0.0.1 --port="$port" \
  --IdentityProvider.token='' --ServerApp.password='' --ServerApp.root_dir="$work/nb" "${root_flag[@]}" \
  --LabApp.workspaces_dir="$work/workspaces" --LabApp.user_settings_dir="$work/settings" \
  >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$port/api" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.5
done
if ! curl -fs "http://127.0.0.1:$port/api" >/dev/null 2>&1; then
  echo "FAIL: jupyter lab did not start:" >&2
  cat "$work/server.log" >&2
  exit 1
fi

status=0
for name in "${names[@]}"; do
  step "render $name"
  # ?reset: a fresh workspace, or JupyterLab reopens the notebooks of the previous loads too.
  url="http://127.0.0.1:$port/lab/tree/$name?reset"
  timeout 180 "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$work/chrome/$name" \
    --virtual-time-budget=30000 --dump-dom "$url" >"$work/$name.html" 2>"$work/$name.chrome.log" \
    || true
  "$venv/bin/python" - "$work/nb/$name" "$work/$name.html" <<'PY' || status=1
import json, re, sys
from html.parser import HTMLParser

nb = json.load(open(sys.argv[1], encoding="utf-8"))
def text(v):
    return "".join(v) if isinstance(v, list) else (v or "")
expected = 0
for cell in nb.get("cells", []):
    for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
        data = out.get("data", {})
        if any(m in data for m in ("image/png", "image/jpeg", "image/svg+xml")):
            expected += 1
        html = text(data.get("text/html"))
        expected += len(re.findall(r"<img\b", html)) + len(re.findall(r"<svg\b", html))

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
class Count(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.images, self.notebook = [], 0, False
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if "jp-Notebook" in classes:
            self.notebook = True
        inside = any(self.stack)
        if tag == "img" and inside and (a.get("src") or "").startswith("data:image/"):
            self.images += 1
        if tag not in VOID:
            self.stack.append("jp-OutputArea-output" in classes)
    def handle_endtag(self, tag):
        if tag not in VOID and self.stack:
            self.stack.pop()

dom = open(sys.argv[2], encoding="utf-8", errors="replace").read()
c = Count()
c.feed(dom)
name = sys.argv[1].rsplit("/", 1)[-1]
if not c.notebook:
    print(f"FAIL {name}: the notebook did not open (no .jp-Notebook in the DOM, {len(dom)} bytes)")
    sys.exit(1)
if c.images < expected:
    print(f"FAIL {name}: {expected} figures in the notebook, {c.images} drew as <img> in JupyterLab")
    sys.exit(1)
print(f"OK {name}: {c.images} of {expected} figures drew as <img>")
PY
done
exit $status
