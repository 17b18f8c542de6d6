"""The per-ISA benchmark report of the main job (benchmarks/report.py runs it).

Modules, in the order a run uses them:
  machine   the CPU, its flags and the library versions
  cpp       the Google Benchmark binary, run once per target (JSON per target)
  limits    this machine's peak FMA rate and its read and triad bandwidth at
            every working set, and each row's fraction of them
  cases     the Python call of every C++ benchmark row, beside the NumPy/SciPy,
            NumKong and FAISS calls that compute the same thing on the same inputs
  timing    CPU time per call, NumPy's BLAS on one thread, the progress bar
  rows      C++ and Python measurements joined into one row per kernel,
            dtype and size; the summary and the batches
  scale     the math family at 1 Mi and 16 Mi float32 elements, simdkit
            with threads=1 and 2 beside NumPy/SciPy, NumKong and numexpr
            on 1 and 2 threads (wall-clock)
  boundary  every public function's small call beside the floor of a
            Python call (simdkit_boundary_floor), NumKong and NumPy/SciPy;
            also benchmarks/boundary.py alone
  charts    throughput against size per target (matplotlib, Agg)
  markdown  report.md
  cli       the command line and the run
"""
