"""PNG charts: throughput against size, one line per target (C++), and the
Python calls (simdkit on the active target, NumPy/SciPy, NumKong) dashed,
in the same unit for the same work. One file per group of kernels, one
panel per kernel and dtype measured at two sizes or more."""

from __future__ import annotations

import io
import math
from pathlib import Path

import matplotlib
from PIL import Image  # Pillow: a dependency of matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import NullLocator  # noqa: E402

from .cases import dims  # noqa: E402

COLUMNS = 5
PYTHON_LINES = (("simdkit", "simdkit (Python)", "black"), ("reference", "NumPy/SciPy", "tab:red"),
                ("numkong", "NumKong", "tab:purple"), ("faiss", "FAISS", "tab:green"))


def group(entry: dict) -> str:
    """The chart a row belongs in."""
    if entry["family"] == "distance":
        return f"distance-{entry['kernel'].split()[0]}"
    if entry["family"] == "math":
        return "math-rows" if "x" in entry["size"] else f"math-{entry['dtype']}"
    return entry["family"]


def elements(size: str) -> int:
    """The x axis: elements (n, rows x cols, or rows x rows x d), k left out."""
    return math.prod(dims(size.split("/")[0]))


def python_throughput(entry: dict, contender: str) -> float | None:
    """Python's time for the C++ row's work, in the row's unit."""
    python = entry["python"] or {}
    ns = python.get("simdkit_ns") if contender == "simdkit" else (python.get(contender) or {}).get("ns")
    if not ns:
        return None
    best = entry["cpp"][entry["best_target"]]
    return entry["best_throughput"] * best["cpu_ns"] / ns


def save_palette_png(figure, path: Path) -> None:
    """A 64-colour palette PNG: a quarter of the size of matplotlib's RGBA
    file for the same picture (the charts are committed with the report)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=72)
    buffer.seek(0)
    with Image.open(buffer) as image:
        image.convert("RGB").quantize(colors=64).save(path, optimize=True)


def draw(described: list[dict], targets: list[str], out_dir: Path) -> list[Path]:
    panels: dict[str, dict[tuple[str, str], list[dict]]] = {}
    for entry in described:
        panels.setdefault(group(entry), {}).setdefault((entry["kernel"], entry["dtype"]), []).append(entry)
    out_dir.mkdir(parents=True, exist_ok=True)
    # Dark (baseline) to light (best target), short of viridis' pale yellow end.
    colors = {target: plt.get_cmap("viridis")(0.85 * index / max(len(targets) - 1, 1))
              for index, target in enumerate(reversed(targets))}
    written = []
    for name, by_kernel in sorted(panels.items()):
        plotted = {key: sorted(entries, key=lambda entry: elements(entry["size"]))
                   for key, entries in by_kernel.items() if len({elements(e["size"]) for e in entries}) > 1}
        if not plotted:
            continue
        rows = math.ceil(len(plotted) / COLUMNS)
        columns = min(COLUMNS, len(plotted))
        figure, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.5 * rows), squeeze=False)
        for axis in axes.flat[len(plotted):]:
            axis.set_visible(False)
        for axis, ((kernel, dtype), entries) in zip(axes.flat, plotted.items()):
            x = [elements(entry["size"]) for entry in entries]
            for target in targets:
                y = [entry["cpp"].get(target, {}).get("throughput") for entry in entries]
                axis.plot(x, y, marker=".", color=colors[target], label=target)
            for contender, label, color in PYTHON_LINES:
                y = [python_throughput(entry, contender) for entry in entries]
                if any(y):
                    axis.plot(x, y, linestyle="--", marker="x", color=color, label=label, linewidth=1)
            axis.set_xscale("log")
            axis.set_yscale("log")
            # Log axes' minor ticks cost most of the drawing time and say little here.
            axis.xaxis.set_minor_locator(NullLocator())
            axis.yaxis.set_minor_locator(NullLocator())
            axis.set_title(f"{kernel} {dtype}", fontsize=9)
            axis.set_ylabel(entries[0]["unit"], fontsize=8)
            axis.tick_params(labelsize=7)
            axis.grid(True, which="major", alpha=0.3)
        lines = {}  # every label of every panel, once (not every panel has NumKong)
        for axis in axes.flat:
            for handle, label in zip(*axis.get_legend_handles_labels()):
                lines.setdefault(label, handle)
        figure.legend(lines.values(), lines.keys(), loc="upper center", ncol=len(lines), fontsize=8,
                      frameon=False)
        figure.supxlabel("elements (n, rows x cols, or rows x rows x d)", fontsize=8)
        # Fixed margins: tight_layout measures every tick label, seconds per figure.
        height = 2.5 * rows
        figure.subplots_adjust(left=0.06, right=0.98, bottom=0.45 / height, top=1 - 0.6 / height,
                               wspace=0.35, hspace=0.45)
        path = out_dir / f"{name}.png"
        save_palette_png(figure, path)
        plt.close(figure)
        written.append(path)
    return written
