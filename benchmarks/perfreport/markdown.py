"""report.md: the summary first, then the machine's limits, the cost of the
boundary, the charts and one detail table per group of kernels. The boundary
table is also what benchmarks/boundary.py prints."""

from __future__ import annotations

import math
from pathlib import Path

from .charts import group
from .limits import BANDWIDTH_KINDS, Limits, format_bytes
from .rows import baseline_target

GROUP_TITLES = {
    "reduce": "Reductions", "distance-distance": "Distances: one pair", "distance-cdist": "Distances: cdist",
    "distance-pdist": "Distances: pdist",
    "distance-topk": "Distances: topk", "math-f32": "Math: elementwise float32",
    "math-f64": "Math: elementwise float64", "math-f16": "Math: elementwise float16 (through float32 "
    "unless the target has float16 arithmetic)", "math-rows": "Math: row kernels", "convert": "Conversions",
}


# Who simdkit's Python calls are timed against: NumPy/SciPy and NumKong in
# every table (a dash where one has no such operation), FAISS where a row
# has it (topk).
CONTENDERS = (("reference", "NumPy/SciPy"), ("numkong", "NumKong"), ("faiss", "FAISS"))


def contenders(entries: list[dict]) -> list[tuple[str, str]]:
    return [(contender, title) for contender, title in CONTENDERS
            if contender != "faiss" or any((entry["python"] or {}).get(contender) for entry in entries)]


def table(header: list[str], rows: list[list[str]], text_columns: int = 1) -> str:
    """The first `text_columns` columns are labels (left-aligned), the rest numbers."""
    align = [":--" if column < text_columns else "--:" for column in range(len(header))]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in (header, align, *rows)) + "\n"


def number(value: float | None) -> str:
    """About three significant digits, without exponents; thousands separated."""
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if value >= 0.01 else f"{value:.2g}"


def duration(ns: float | None) -> str:
    """A time in the unit that keeps it between 1 and 1000."""
    if ns is None:
        return "–"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{number(ns / scale)} {unit}"
    return f"{number(ns)} ns"


def times(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f} %"


def size_label(entry: dict) -> str:
    return entry["size"].replace("/", " k=")


def header(info: dict, settings: dict, context: dict) -> str:
    versions = ", ".join(f"{name} {version or 'not installed'}" for name, version in info["versions"].items())
    threaded = " but for the math family at scale (wall-clock, one and two threads)" \
        if "math" in settings["families"] else ""
    lines = [
        f"# simdkit on {info['cpu_model']}\n\n",
        f"- Date: {info['date_utc']}; mode: {settings['mode']}; families: {', '.join(settings['families'])}\n",
        f"- CPU: {info['cpu_model']}; SIMD features: {' '.join(info['cpu_features'])}\n",
        f"- Targets supported: {', '.join(info['supported_targets'])} (Python calls run on "
        f"{info['active_target']}, the automatic choice)\n",
        f"- simdkit {info['simdkit_version']}, Highway {info['highway_version']} (loaded: "
        f"{info.get('highway_loaded_version', info['highway_version'])}), NumPy {info['numpy_version']}, "
        f"{versions}; Python {info['python']}, {info['platform']}\n",
        f"- Times are CPU time of the calling thread (the machine may be shared), single-threaded throughout"
        f"{threaded}: "
        f"C++ from Google Benchmark (min time {settings['benchmark_min_time_s']} s per benchmark), Python best "
        f"of {settings['python_timing']['repeats']} repeats of at least {settings['python_timing']['min_time']} s; "
        f"NumPy's BLAS: {settings['blas_threads']}.\n",
    ]
    if context.get("cpu_scaling_enabled"):
        lines.append("- Warning: CPU frequency scaling was enabled; timings may be noisy.\n")
    if context.get("library_build_type") == "debug":
        lines.append("- Google Benchmark reports its own library as a debug build (the harness, not "
                     "simdkit's kernels).\n")
    return "".join(lines)


def legend(baseline: str) -> str:
    return (
        f"\nThroughput: GB/s = 10^9 bytes read and written per second (streaming kernels), Gflop/s = 2 x "
        f"element pairs per second (cdist, pdist, topk: one multiply-add per component of each pair), Gelem/s = "
        f"10^9 elements per second (math). ×{baseline} = speedup over the {baseline} target (the scalar-class "
        f"baseline) on the same input. Limit = the best target's fraction of this machine's measured limit: "
        f"the bandwidth of one core at the row's own working set (the read bandwidth for kernels that only read, "
        f"the triad for those that write as much as they read), or the peak FMA rate (compute-bound kernels; "
        f"math: one FMA lane per element is 100 %); cdist, pdist and topk: the roofline, the longer of their flops at "
        f"the peak and their bytes at the bandwidth (a single query is held to memory). ×NumPy/SciPy, "
        f"×NumKong, ×FAISS = their time ÷ simdkit's, all called from Python on the same arrays, one thread "
        f"each (> 1: simdkit is faster); NumKong with its native output dtype, its only fast path; FAISS's "
        f"exact IndexFlat search (topk dot and sqeuclidean on float32), its index built once.\n")


def summary_section(chosen: list[dict], overall: dict, baseline: str) -> str:
    out = ["\n## Summary\n\n"]
    for contender, name in CONTENDERS:
        stats = overall.get(f"over_{contender}", {"kernels": 0})
        if stats["kernels"]:
            out.append(f"- Against {name}, over the {stats['kernels']} kernels below that it has: simdkit is "
                       f"faster on {stats['faster']}; geometric mean {times(stats['geometric_mean'])} "
                       f"(from {times(stats['min'])} to {times(stats['max'])}), measured in this run.\n")
    out.append("\nEach kernel at one size: the largest for compute-bound kernels, the largest of at most "
               "8 MiB for streaming ones (the detail tables have every size).\n\n")
    rows = [[entry["family"], entry["kernel"], entry["dtype"], size_label(entry), entry["best_target"],
             f"{number(entry['best_throughput'])} {entry['unit']}",
             times(entry["cpp"][entry["best_target"]]["speedup_over_baseline"]),
             percent(entry["limit_fraction"]),
             *(times(entry[f"over_{contender}"]) for contender, _ in contenders(chosen))]
            for entry in chosen]
    out.append(table(["family", "kernel", "dtype", "size", "best target", "throughput", f"×{baseline}",
                      "limit", *(f"×{title}" for _, title in contenders(chosen))], rows, text_columns=5))
    return "".join(out)


def limits_section(limits: Limits, targets: list[str]) -> str:
    out = ["\n## This machine's limits (one core, measured in this run)\n\n"]
    out.append(table(["target", "peak f32 Gflop/s", "peak f64 Gflop/s"],
                     [[target, number(limits.peak_flops.get("f32", {}).get(target, 0) / 1e9),
                       number(limits.peak_flops.get("f64", {}).get(target, 0) / 1e9)] for target in targets]))
    if any(limits.bandwidths.values()):
        out.append("\nBandwidth of one core on float64 arrays, on the best target: read = the sum of one array "
                   "(8 bytes per element), triad = STREAM's `a[i] = b[i] + s * c[i]` over three arrays (24 bytes "
                   "per element). Each row's limit is taken at its own working set, interpolated between these.\n\n")
        # The triad's working set is rounded down to whole elements of three
        # arrays (1 MiB - 16 B): rows are keyed by the power of two sampled.
        by_size: dict[str, dict[str, float]] = {}
        for kind in BANDWIDTH_KINDS:
            for sample in limits.bandwidths.get(kind, []):
                nominal = 2 ** round(math.log2(sample.working_set))
                by_size.setdefault(format_bytes(nominal), {})[kind] = sample.bytes_per_s
        out.append(table(["working set", *(f"{kind} GB/s" for kind in BANDWIDTH_KINDS)],
                         [[size, *(number(measured[kind] / 1e9) if kind in measured else "–"
                                   for kind in BANDWIDTH_KINDS)] for size, measured in by_size.items()]))
    return "".join(out)


def named_ns(entry: dict | None) -> str:
    return number(entry["ns"]) if entry and entry.get("ns") else "–"


BOUNDARY_CONTENDERS = (("numkong", "NumKong"), ("reference", "NumPy/SciPy"))


def boundary_intro(info: dict, settings: dict) -> str:
    """What the boundary table measures, on what, and how."""
    return (f"Nanoseconds per call of every public simdkit function from Python on small float32 inputs "
            f"(n = {', '.join(map(str, settings['sizes']))}; row kernels, quantization, pack and paired: n rows of "
            f"{settings['row_length']}; cdist and topk: one query of {settings['row_length']} against n rows, "
            f"topk with k = 1), called as a user calls it (positional arguments, a new result: no out=, no "
            f"threads=) on {info['active_target']} of {info['cpu_model']}, beside the floor of a Python call "
            f"(simdkit_boundary_floor, built with the benchmarks: a bare METH_FASTCALL function taking one "
            f"ndarray and returning a numpy.float32, `scalar`, or a new 1-element array, `array`; each function "
            f"is held to the one returning what it returns), NumKong where it has the function and NumPy/SciPy, "
            f"all in this run. ÷floor = simdkit's time over the floor's (issue 17's goal: at most "
            f"{settings['floor_goal']}×); ×NumKong, ×NumPy/SciPy = their time ÷ simdkit's (> 1: simdkit is "
            f"faster). Each call timed as written (no lambda around simdkit, NumKong or the floor), the "
            f"candidates of a row in turn, best of {settings['rounds']} rounds of at least "
            f"{1e3 * settings['sample_seconds']:g} ms each; CPU time of the calling thread.\n")


def boundary_table(rows: list[dict], cpp: bool) -> str:
    """One line per function and n; with `cpp`, the public C++ function's
    time on the same work where the C++ benchmarks have it, and the
    difference, what the binding adds."""
    header = ["call", "n", "inputs", *(["C++ ns"] if cpp else []), "simdkit ns", "floor", "floor ns", "÷floor",
              *(["binding ns"] if cpp else []),
              *(cell for _, title in BOUNDARY_CONTENDERS for cell in (f"{title} ns", f"×{title}"))]
    body = []
    for row in rows:
        body.append([row["kernel"], str(row["n"]), row["inputs"],
                     *([number(row["cpp_ns"])] if cpp else []), number(row["simdkit"]["ns"]), row["returns"],
                     number(row["floor"]["ns"]), times(row["over_floor"]),
                     *([number(row["binding_ns"])] if cpp else []),
                     *(cell for contender, _ in BOUNDARY_CONTENDERS
                       for cell in (named_ns(row[contender]), times(row[f"over_{contender}"])))])
    return table(header, body, text_columns=3)


def boundary_goal(rows: list[dict], goal: float, furthest: int = 8) -> str:
    """How many calls meet issue 17's goal, and the few furthest from it (the
    table has the rest)."""
    beyond = sorted((row for row in rows if row["over_floor"] is not None and row["over_floor"] > goal),
                    key=lambda row: row["over_floor"], reverse=True)
    line = f"Within {goal}× of the floor: {len(rows) - len(beyond)} of {len(rows)} calls"
    if beyond:
        line += "; the furthest beyond it: " + ", ".join(
            f"{row['kernel']} n = {row['n']} {times(row['over_floor'])}" for row in beyond[:furthest])
    return line + ".\n"


def boundary_calls(rows: list[dict], named: tuple[tuple[str, str], ...] = BOUNDARY_CONTENDERS) -> str:
    """The `named` contenders' calls (default: NumKong's and NumPy/SciPy's),
    each once with the rows that make it (simdkit's are its functions on the
    inputs as stated, the floor's the one the floor column names), and the
    calls that did not run."""
    out = []
    for contender, title in named:
        unique: dict[str, list[str]] = {}
        for row in rows:
            if row[contender]:
                kernels = unique.setdefault(row[contender]["call"], [])
                if row["kernel"] not in kernels:
                    kernels.append(row["kernel"])
        if unique:
            out.append(f"\n{title}: " + "; ".join(f"`{call}` ({', '.join(kernels)})"
                                                for call, kernels in unique.items()) + ".\n")
    errors = [f"- {contender} for {row['kernel']} n = {row['n']}: {row[contender]['error']}\n"
              for row in rows for contender, _ in named if row[contender] and row[contender]["error"]]
    if errors:
        out.append("\nDid not run:\n\n" + "".join(errors))
    return "".join(out)


def boundary_section(rows: list[dict], settings: dict | None, batches: list[dict], described: list[dict],
                     info: dict) -> str:
    out = ["\n## The cost of the boundary\n\n"]
    active = info["active_target"]
    if rows:
        out.append(boundary_intro(info, settings) + "\n")
        out.append(f"C++: the public C++ function on {active} where the C++ benchmarks have the same work "
                   "(dispatch and argument checks included); binding = simdkit − C++, what the Python entry "
                   "point, its checks and the result object cost.\n\n")
        out.append(boundary_table(rows, cpp=True))
        out.append("\n" + boundary_goal(rows, settings["floor_goal"]))
        out.append(boundary_calls(rows))
    if batches:
        out.append("\n2-D batches of rows of 16 float32, nanoseconds per row: one call for the whole array "
                   "against one simdkit call per row (a Python loop). The per-row cost of the single call "
                   "falls as rows are added: the dispatch and the checks are paid once per array.\n\n")
        cpp_per_row = {entry["kernel"]: entry["cpp"][active]["cpu_ns"] / int(entry["size"].split("x")[0])
                       for entry in described
                       if entry["size"] == "1024x16" and entry["dtype"] == "f32" and active in entry["cpp"]
                       and entry["kernel"] in ("sum_rows", "softmax")}
        out.append(table(["kernel", "rows", "simdkit, one call", "simdkit, a call per row", "NumPy", "NumKong"],
                         [[batch["kernel"], str(batch["rows"]), number(batch["ns_per_row"]["simdkit"]),
                           number(batch["ns_per_row"]["simdkit_per_row"]),
                           number(batch["ns_per_row"]["numpy"]),
                           number(batch["ns_per_row"].get("numkong"))] for batch in batches], text_columns=1))
        if cpp_per_row:
            out.append("\nC++ on " + active + ", 1024 rows of 16: " + "; ".join(
                f"{'sum' if kernel == 'sum_rows' else kernel} {number(ns)} ns per row"
                for kernel, ns in cpp_per_row.items()) + ".\n")
    return "".join(out)


SCALE_CONTENDERS = (("reference", "NumPy/SciPy"), ("numkong", "NumKong"), ("numexpr", "numexpr"))


def elements_label(n: int) -> str:
    """1048576 -> '1 Mi', 4096 -> '4 Ki'."""
    for unit, scale in (("Mi", 1 << 20), ("Ki", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return str(n)


def scale_title(settings: dict) -> str:
    sizes = " and ".join(elements_label(n) for n in settings["sizes"])
    return f"## Elementwise at scale: {sizes}, one and two threads, beside NumPy and numexpr\n\n"


def scale_section(rows: list[dict], settings: dict, info: dict, described: list[dict]) -> str:
    """The math family on float32 arrays of the scale sizes, simdkit on one
    and two threads beside NumPy/SciPy, NumKong and numexpr on one and two;
    the math kernels of the detail tables that it has not, named."""
    repeats = " and ".join(f"{settings['repeats'][n]} calls at {elements_label(n)}" for n in settings["sizes"])
    numexpr_version = info["versions"].get("numexpr")
    measured = {row["kernel"] for row in rows}
    with_numkong = list(dict.fromkeys(row["kernel"] for row in rows if row["numkong"]))
    left_out = list(dict.fromkeys(entry["kernel"] for entry in described
                                  if entry["family"] == "math" and entry["kernel"] not in measured))
    out = [scale_title(settings),
           f"Every math function numexpr {numexpr_version or '(not installed)'} has, as a function or as the "
           f"expression its users write, and softmax (square matrices of the same element counts), on float32 "
           f"arrays, simdkit on {info['active_target']} with threads=1 and threads=2, numexpr with its own pool "
           f"set to 1 and 2 threads (numexpr.set_num_threads), NumPy/SciPy and NumKong "
           f"({', '.join(with_numkong) or 'none'}) on their one thread; all on the same arrays, into an out= "
           f"where the call has one. Wall-clock time "
           f"(the rest of the report is CPU time of the calling thread, which cannot see a second thread), "
           f"best of {repeats}, after an untimed one. ×2 threads = simdkit threads=1 ÷ threads=2; "
           f"×NumPy/SciPy, ×NumKong = their time ÷ simdkit's on one thread; ×numexpr = numexpr's time ÷ "
           f"simdkit's on as many threads (> 1: simdkit is faster). Not here: {', '.join(left_out) or 'none'} "
           f"(numexpr has no such function, or the report no numexpr form of the row kernel). numexpr's calls are "
           f"`numexpr.evaluate(expression, out=)` of the expressions below (half, sqrt_2_over_pi and cubic are "
           f"float32 constants: a Python float would make numexpr compute in float64; it computes hypot in "
           f"float64 whatever the operands).\n\n"]
    body = []
    for row in rows:
        numexpr = row["numexpr"] or {"ns": {}}
        ratios = row["over_numexpr"] or {}
        body.append([row["kernel"], row["size"], duration(row["simdkit_ns"]["1"]), duration(row["simdkit_ns"]["2"]),
                     times(row["two_threads_over_one"]), duration((row["reference"] or {}).get("ns")),
                     times(row["over_reference"]), times(row["over_numkong"]),
                     duration(numexpr["ns"].get("1")), times(ratios.get("1")),
                     duration(numexpr["ns"].get("2")), times(ratios.get("2"))])
    out.append(table(["kernel", "size", "simdkit, 1 thread", "2 threads", "×2 threads", "NumPy/SciPy",
                      "×NumPy/SciPy", "×NumKong", "numexpr, 1 thread", "×numexpr", "numexpr, 2 threads",
                      "×numexpr"], body, text_columns=2))
    out.append(boundary_calls(rows, SCALE_CONTENDERS))
    return "".join(out)


def detail_section(described: list[dict], targets: list[str], baseline: str) -> str:
    out = ["\n## Every kernel, dtype and size\n"]
    groups: dict[str, list[dict]] = {}
    for entry in described:
        groups.setdefault(group(entry), []).append(entry)
    for name in GROUP_TITLES:
        entries = groups.get(name)
        if not entries:
            continue
        out.append(f"\n### {GROUP_TITLES[name]} ({entries[0]['unit']})\n\n")
        rows = []
        for entry in entries:
            cells = []
            for target in targets:
                result = entry["cpp"].get(target)
                cells.append("–" if result is None else
                             f"{number(result['throughput'])} ({times(result['speedup_over_baseline'])})")
            python = entry["python"] or {}
            rows.append([entry["kernel"], entry["dtype"], size_label(entry), *cells,
                         percent(entry["limit_fraction"]), duration(entry["cpp_active_ns"]),
                         duration(python.get("simdkit_ns")),
                         *(times(entry[f"over_{contender}"]) for contender, _ in contenders(entries))])
        out.append(table(["kernel", "dtype", "size", *targets, "limit", "C++", "Python",
                          *(f"×{title}" for _, title in contenders(entries))], rows, text_columns=3))
        calls = {}
        for entry in entries:
            for contender, _ in CONTENDERS:
                named = (entry["python"] or {}).get(contender)
                if named:
                    calls.setdefault(contender, {}).setdefault(f"{entry['kernel']} {entry['dtype']}", named["call"])
        for contender, title in CONTENDERS:
            if contender in calls:
                unique = {}
                for kernel, call in calls[contender].items():
                    unique.setdefault(call, []).append(kernel)
                out.append(f"\n{title}: " + "; ".join(f"`{call}` ({', '.join(kernels)})"
                                                      for call, kernels in unique.items()) + ".\n")
    return "".join(out)


def problems_section(failures: list[dict], described: list[dict]) -> str:
    errors = [(entry, contender, entry["python"][contender]["error"])
              for entry in described if entry["python"]
              for contender, _ in CONTENDERS
              if entry["python"].get(contender) and entry["python"][contender].get("error")]
    if not failures and not errors:
        return ""
    out = ["\n## What did not run\n\n"]
    out.extend(f"- C++ {failure['name']}: {failure['error']}\n" for failure in failures)
    out.extend(f"- {contender} for {entry['kernel']} {entry['dtype']} {entry['size']}: {error}\n"
               for entry, contender, error in errors)
    return "".join(out)


def render(report: dict, chart_paths: list[Path], out_dir: Path, limits: Limits) -> str:
    """The C++ sections only when a C++ family ran (not for --filter boundary alone)."""
    info, targets = report["machine"], report["targets"]
    baseline = baseline_target(targets) or "scalar baseline"
    parts = [header(info, report["settings"], report["cpp_context"])]
    if report["rows"]:
        parts += [legend(baseline), summary_section(report["summary"], report["headline"], baseline),
                  limits_section(limits, targets)]
    if report["boundary"] or report["batches"]:
        parts.append(boundary_section(report["boundary"], report["settings"]["boundary_timing"],
                                      report["batches"], report["rows"], info))
    if report["scale"]:
        parts.append("\n" + scale_section(report["scale"], report["settings"]["scale"], info, report["rows"]))
    if chart_paths:
        parts.append("\n## Charts\n\nThroughput against size per target (lines), and the Python calls "
                     "(dashed) for the same work.\n\n")
        parts.extend(f"![{path.stem}]({path.relative_to(out_dir).as_posix()})\n\n" for path in chart_paths)
    if report["rows"]:
        parts.append(detail_section(report["rows"], targets, baseline))
    parts.append(problems_section(report["failures"], report["rows"]))
    return "".join(parts)
