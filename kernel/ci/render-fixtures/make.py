"""Writes the two notebooks that check kernel/ci/jupyterlab-render.sh itself:
figures-as-png.ipynb must pass (an image/png output, and an <img> inside text/html),
figure-svg-only.ipynb must fail (its only figure is image/svg+xml, hidden when untrusted).

    python3 kernel/ci/render-fixtures/make.py
"""
import base64, json, os, struct, zlib


def png(w, h, rgb):
    raw = b"".join(b"\x00" + bytes(rgb) * w for _ in range(h))

    def chunk(kind, data):
        crc = struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


b64 = base64.b64encode(png(40, 30, (0xD5, 0x5E, 0x00))).decode()
svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30">'
       '<rect width="40" height="30" fill="#0072B2"/></svg>')


def notebook(outputs):
    return {"nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "textlab", "display_name": "Rust (textlab)",
                                        "language": "rust"},
                         "language_info": {"name": "rust"}},
            "cells": [{"cell_type": "markdown", "id": "m", "metadata": {},
                       "source": ["# render check fixture"]},
                      {"cell_type": "code", "id": "c", "execution_count": 1, "metadata": {},
                       "source": ["fig"], "outputs": outputs}]}


def result(data):
    return {"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": data}


html = ('<div><table><tr><td>1</td></tr></table>'
        f'<img src="data:image/png;base64,{b64}" width="40" height="30" alt="b"></div>')
here = os.path.dirname(os.path.abspath(__file__))
for name, outputs in [
    ("figures-as-png.ipynb", [
        result({"image/png": b64, "image/svg+xml": svg, "text/plain": "[figure: a (40x30)]"}),
        result({"text/html": html, "text/plain": "a table and a figure"}),
    ]),
    ("figure-svg-only.ipynb", [result({"image/svg+xml": svg, "text/plain": "[figure: a (40x30)]"})]),
]:
    with open(os.path.join(here, name), "w") as f:
        json.dump(notebook(outputs), f, indent=1)
        f.write("\n")
