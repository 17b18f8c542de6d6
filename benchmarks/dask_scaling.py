"""simdkit.dask against one direct simdkit call: Dask's overhead and scaling
(issue 19's targets: 2 worker processes >= 1.7x one direct call, Dask's
overhead <= 10 % of it).

    python3 benchmarks/dask_scaling.py [--repeat 5]

Cases: topk, queries 2000 x 128 against a database of 200000 x 128, k = 10,
sqeuclidean; cdist, 4000 x 4000 x 768, euclidean (simdkit's default); all
float32. The inputs are on the workers before anything is timed (each
block scattered to its worker and copied there once into aligned memory;
the queries and cdist's B replicated to every worker, with the active
memory manager off so that the replicas stay), so what is timed is the
kernels, the scheduling and what the tasks exchange: topk's candidate
lists and their merge, gathered into this process; cdist's result left on
the workers (persisted), as a pipeline would keep it. Every Dask run
starts once the last run's results are released (their keys would
otherwise be found in memory).

Times are wall-clock, best and median of --repeat runs of:
  direct     simdkit in this process, threads=1 (and threads=2: what the
             cores give one process, for comparison);
  1 worker   a LocalCluster of 1 worker process, 1 thread (threads=1 tasks);
  2 workers  a LocalCluster of 2 worker processes, 1 thread each;
             both clusters with the workers' profiler off unless
             --worker-profiler;
  threads=None  the same with simdkit's threads=None in each task
             (a simdkit thread per core in each of the 2 concurrent tasks).
overhead = (1 worker - direct) / direct, scaling = direct / 2 workers.
"""

import argparse
import os
import platform
import statistics
import time

import dask
import dask.array as da
import numpy as np
from distributed import Client, LocalCluster, wait

import simdkit
import simdkit.dask as sd

TOPK = {"queries": 2000, "rows": 200_000, "dims": 128, "k": 10, "metric": "sqeuclidean"}
CDIST = {"rows_a": 4000, "rows_b": 4000, "dims": 768, "metric": "euclidean"}
WORKER_COUNTS = (1, 2)


def timings(run, repeat, before=lambda: None):
    """(best, median) wall-clock seconds of `repeat` calls of run(), each
    after an untimed before()."""
    seconds = []
    for _ in range(repeat):
        before()
        start = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - start)
    return min(seconds), statistics.median(seconds)


def cpu_model():
    return simdkit.info()["cpu_model"] or platform.processor()


def make_inputs():
    rng = np.random.default_rng(19)
    topk_queries = rng.standard_normal((TOPK["queries"], TOPK["dims"]), dtype=np.float32)
    topk_database = rng.standard_normal((TOPK["rows"], TOPK["dims"]), dtype=np.float32)
    cdist_a = rng.standard_normal((CDIST["rows_a"], CDIST["dims"]), dtype=np.float32)
    cdist_b = rng.standard_normal((CDIST["rows_b"], CDIST["dims"]), dtype=np.float32)
    return topk_queries, topk_database, cdist_a, cdist_b


def direct_runs(inputs, threads=1):
    topk_queries, topk_database, cdist_a, cdist_b = inputs
    return {
        "topk": lambda: simdkit.topk(topk_queries, topk_database, TOPK["k"], TOPK["metric"],
                                     threads=threads),
        "cdist": lambda: simdkit.cdist(cdist_a, cdist_b, CDIST["metric"], threads=threads),
    }


def on_workers(client, array, blocks, everywhere=False):
    """`array` in `blocks` blocks of rows on the workers (every block on
    every worker with `everywhere`), as a persisted Dask array: the data is
    moved once, before anything is timed, and the graphs hold references to
    it, not the data (as da.from_array's would).

    Arrays received over TCP start at arbitrary byte offsets (33 bytes past
    a cache line measured: not even element-aligned), and simdkit copies
    such inputs on every call; so each block is copied once, where it is,
    into aligned memory. Replicas are received again, unaligned: the
    worker that gets one copies it per call (docs/distributed.md).
    """
    parts = np.array_split(array, blocks)
    workers = sorted(client.scheduler_info()["workers"])
    futures = [client.scatter(part, workers=[workers[i % len(workers)]])
               for i, part in enumerate(parts)]
    scattered = da.concatenate([da.from_delayed(future, part.shape, dtype=part.dtype)
                                for future, part in zip(futures, parts)])
    placed = client.persist(scattered.map_blocks(np.require, requirements=["C", "A"]))
    wait(placed)
    if everywhere:
        client.replicate(client.futures_of(placed))
    return placed


def place(client, inputs):
    """The inputs on the workers: the database split into one block per
    worker of the largest cluster, cdist's A likewise, so that both clusters
    run the same tasks; the queries and cdist's B on every worker."""
    topk_queries, topk_database, cdist_a, cdist_b = inputs
    blocks = max(WORKER_COUNTS)
    return (on_workers(client, topk_queries, 1, everywhere=True),
            on_workers(client, topk_database, blocks),
            on_workers(client, cdist_a, blocks),
            on_workers(client, cdist_b, 1, everywhere=True))


def scheduler_task_count(dask_scheduler):
    return len(dask_scheduler.tasks)


def settled(client):
    """A function that waits until the scheduler holds no more tasks than
    now (the placed inputs): a run's results are released asynchronously,
    and a graph with the same keys would otherwise find them in memory
    instead of computing them again."""
    baseline = client.run_on_scheduler(scheduler_task_count)

    def wait_for_release():
        while client.run_on_scheduler(scheduler_task_count) > baseline:
            time.sleep(0.01)

    return wait_for_release


def dask_runs(client, placed, threads=1):
    """The cases on the cluster, over `placed` inputs; `threads` for each
    task's simdkit call."""
    queries, database, a, b = placed

    def topk():
        return client.compute(sd.topk(queries, database, TOPK["k"], TOPK["metric"],
                                      threads=threads), sync=True)

    def cdist():
        wait(client.persist(sd.cdist(a, b, CDIST["metric"], threads=threads)))

    return {"topk": topk, "cdist": cdist}


def check_equal(client, inputs, placed):
    """The cluster's topk is the direct call's, bit for bit."""
    indices, distances = dask_runs(client, placed)["topk"]()
    expected = direct_runs(inputs)["topk"]()
    np.testing.assert_array_equal(indices, expected[0])
    np.testing.assert_array_equal(distances, expected[1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement")
    parser.add_argument("--worker-profiler", action="store_true",
                        help="keep distributed's statistical profiler on in the workers "
                             "(its default; off here, as docs/distributed.md advises)")
    args = parser.parse_args()

    inputs = make_inputs()
    results = {case: {} for case in ("topk", "cdist")}
    load_before = os.getloadavg()[0]
    for threads in (1, 2):
        for case, run in direct_runs(inputs, threads).items():
            run()  # warm: first-touch of pages, lazy initialisations
            results[case][f"direct, threads={threads}"] = timings(run, args.repeat)
    targets = {}
    # The active memory manager drops replicas it deems redundant within
    # seconds, and with cdist's B on one worker the scheduler runs both
    # tasks there, one after the other: keep the replicas. The workers'
    # profiler samples every task thread's stack every 10 ms, on the cores
    # the tasks run on (the nannies pass this configuration to the workers).
    with dask.config.set({"distributed.scheduler.active-memory-manager.start": False,
                          "distributed.worker.profile.enabled": args.worker_profiler}):
        for workers in WORKER_COUNTS:
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                              host="127.0.0.1", dashboard_address=None) as cluster, \
                    Client(cluster) as client:
                targets[workers] = sorted({r["active"] for r in sd.targets(client).values()})
                placed = place(client, inputs)
                fresh = settled(client)
                if workers == max(WORKER_COUNTS):
                    check_equal(client, inputs, placed)
                for case, run in dask_runs(client, placed).items():
                    run()
                    results[case][workers] = timings(run, args.repeat, before=fresh)
                if workers == max(WORKER_COUNTS):
                    # What threads=None in tasks costs: every task starts a
                    # simdkit thread per core, while Dask runs a task per core.
                    for case, run in dask_runs(client, placed, threads=None).items():
                        run()
                        results[case]["oversubscribed"] = timings(run, args.repeat, before=fresh)

    print(f"load average (1 min) {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    print(f"CPU: {cpu_model()}, {len(os.sched_getaffinity(0))} CPUs available; "
          f"simdkit {simdkit.__version__}, target here {simdkit.targets()['active']}, "
          f"on the workers {targets}; best / median of {args.repeat}, seconds")
    print(f"workers' profiler {'on' if args.worker_profiler else 'off'}")
    print(f"topk: {TOPK}")
    print(f"cdist: {CDIST}")
    print("| case | direct, threads=1 | Dask, 1 worker | overhead | Dask, 2 workers | scaling "
          "| 2 workers, threads=None | direct, threads=2 (×threads=1) |")
    print("|---|---|---|---|---|---|---|---|")
    for case, times in results.items():
        direct, one, two = times["direct, threads=1"], times[1], times[2]
        direct_two = times["direct, threads=2"]
        oversubscribed = times["oversubscribed"]
        overhead = (one[0] - direct[0]) / direct[0]
        scaling = direct[0] / two[0]
        print(f"| {case} | {direct[0]:.3f} / {direct[1]:.3f} | {one[0]:.3f} / {one[1]:.3f} | "
              f"{overhead:+.1%} {'PASS' if overhead <= 0.10 else 'MISS'} (<= 10 %) | "
              f"{two[0]:.3f} / {two[1]:.3f} | {scaling:.2f}x "
              f"{'PASS' if scaling >= 1.7 else 'MISS'} (>= 1.7x) | "
              f"{oversubscribed[0]:.3f} / {oversubscribed[1]:.3f} | "
              f"{direct_two[0]:.3f} / {direct_two[1]:.3f} ({direct[0] / direct_two[0]:.2f}x) |")


if __name__ == "__main__":
    main()
