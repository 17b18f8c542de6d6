"""The C++ side: simdkit_benchmarks run once per target, each run writing its
own Google Benchmark JSON file, and those files read back as rows.

Benchmark names put the target after the kernel and dtype and before the
size, e.g. sum/f32/AVX2/1024, distance/cosine/f32/AVX2/128,
cdist/cosine/f32/AVX2/1000x1000x768, topk/cosine/f32/AVX2/16x1024x16/16,
math/exp/f32/AVX2/1024, convert/to_float16/f32/AVX2/1024,
limits/peak_fma/f32/AVX2, limits/read/f64/AVX2/16KiB and limits/triad/f64/AVX2/16KiB.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .timing import Progress

REDUCE_KERNELS = ("sum", "dot", "norm", "min", "max", "argmin", "argmax", "sum_rows")
DISTANCE_KERNELS = ("distance", "cdist", "pdist", "topk")
FAMILIES = ("reduce", "distance", "math", "convert")

# The part of a name before the target, per family: a POSIX extended regex
# (Google Benchmark's), so groups are plain parentheses.
NAME_PREFIX = {
    "reduce": f"({'|'.join(REDUCE_KERNELS)})/[^/]+",
    "distance": f"({'|'.join(DISTANCE_KERNELS)})/[^/]+/[^/]+",
    "math": "math/[^/]+/[^/]+",
    "convert": "convert/[^/]+/[^/]+",
    "limits": "limits/[^/]+/[^/]+",
}

# --quick: n = 16 and 1024 (two sizes: a chart), the smallest shape of every
# batch kernel and the smallest working set of the bandwidths, so that every
# kernel still has its row on every target.
QUICK_SIZES = ("16", "1024", "1024x16", "64x64x128", "64x128", "16x1024x16/16", "16KiB")
TIME_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


@dataclass
class CppResult:
    """One benchmark on one target."""
    family: str
    kernel: str        # 'sum', 'distance cosine', 'exp', 'to_float16', 'peak_fma'
    dtype: str         # f64, f32, f16, bf16, i8, u8, bits
    size: str          # '1024', '1024x16', '64x64x128', '16x1024x16/16', '' (peak_fma)
    target: str
    cpu_ns: float      # CPU time per call
    real_ns: float     # wall time per call
    bytes: float       # bytes read and written per call (0 if not counted)
    items: float       # items per call: elements, element pairs or flops


def target_filter(families: list[str], target: str, quick: bool) -> str:
    """Google Benchmark regex for the families' benchmarks (and the machine's
    limits) on one target."""
    prefixes = "|".join(NAME_PREFIX[family] for family in (*families, "limits"))
    sizes = "|".join(QUICK_SIZES) if quick else ".+"
    return f"^({prefixes})/{target}(/({sizes}))?$"


def run_binary(binary: Path, targets: list[str], families: list[str], quick: bool,
               min_time: float, json_dir: Path) -> dict[str, Path]:
    """Runs the binary once per target; returns the JSON file of each."""
    json_dir.mkdir(parents=True, exist_ok=True)
    names: dict[str, set[str]] = {}
    for target in targets:
        regex = target_filter(families, target, quick)
        listed = subprocess.run([str(binary), f"--benchmark_filter={regex}", "--benchmark_list_tests=true"],
                                capture_output=True, text=True, check=False)
        if listed.returncode != 0:
            sys.exit(f"error: {binary} --benchmark_list_tests failed:\n{listed.stderr}")
        names[target] = set(listed.stdout.split())
    total = sum(len(found) for found in names.values())
    if total == 0:
        sys.exit(f"error: {binary} has no benchmark for {', '.join(families)}")
    progress = Progress("C++", total)
    files = {}
    for target in targets:
        files[target] = json_dir / f"{target}.json"
        command = [str(binary), f"--benchmark_filter={target_filter(families, target, quick)}",
                   f"--benchmark_out={files[target]}", "--benchmark_out_format=json",
                   "--benchmark_color=false", f"--benchmark_min_time={min_time}"]
        stderr_path = json_dir / f"{target}.stderr"
        # stderr goes to a file: a pipe nobody reads could fill up and block.
        with open(stderr_path, "w+", encoding="utf-8") as stderr_file:
            with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr_file,
                                  text=True) as process:
                # The console table has one line per finished benchmark.
                for line in process.stdout:
                    first_word = line.split(maxsplit=1)[0] if line.strip() else ""
                    if first_word in names[target]:
                        progress.advance(first_word)
            if process.returncode != 0:
                stderr_file.seek(0)
                progress.finish()
                sys.exit(f"error: {binary} exited with {process.returncode} on {target}:\n"
                         f"{stderr_file.read()}")
        stderr_path.unlink()
    progress.finish()
    return files


def parse_name(name: str, targets: set[str]) -> tuple[str, str, str, str, str] | None:
    """'cdist/cosine/f32/AVX2/64x64x128' -> ('distance', 'cdist cosine', 'f32',
    '64x64x128', 'AVX2'): CppResult's fields; None for a name of no known family."""
    parts = name.split("/")
    at = next((index for index, part in enumerate(parts) if part in targets), None)
    if at is None:
        return None
    prefix, target, size = parts[:at], parts[at], "/".join(parts[at + 1:])
    if len(prefix) == 2 and prefix[0] in REDUCE_KERNELS:
        return "reduce", prefix[0], prefix[1], size, target
    if len(prefix) == 3 and prefix[0] in DISTANCE_KERNELS:
        return "distance", f"{prefix[0]} {prefix[1]}", prefix[2], size, target
    if len(prefix) == 3 and prefix[0] in ("math", "convert", "limits"):
        return prefix[0], prefix[1], prefix[2], size, target
    return None


def read_results(files: dict[str, Path]) -> tuple[list[CppResult], list[dict], dict]:
    """(results, failed benchmarks, the context of the first file)."""
    targets = set(files)
    results, failures, context = [], [], {}
    for path in files.values():
        document = json.loads(path.read_text(encoding="utf-8"))
        context = context or document.get("context", {})
        for entry in document.get("benchmarks", []):
            # Aggregates (mean, stddev, ...) only exist with --benchmark_repetitions.
            if entry.get("run_type", "iteration") != "iteration":
                continue
            if entry.get("error_occurred"):
                failures.append({"name": entry["name"], "error": entry.get("error_message", "error")})
                continue
            parsed = parse_name(entry["name"], targets)
            if parsed is None:
                continue
            unit = TIME_UNIT_NS[entry.get("time_unit", "ns")]
            cpu_ns, real_ns = entry["cpu_time"] * unit, entry["real_time"] * unit
            # Google Benchmark divides the counts by CPU time to make its rates.
            results.append(CppResult(*parsed, cpu_ns=cpu_ns, real_ns=real_ns,
                                     bytes=entry.get("bytes_per_second", 0.0) * cpu_ns * 1e-9,
                                     items=entry.get("items_per_second", 0.0) * cpu_ns * 1e-9))
    return results, failures, context
