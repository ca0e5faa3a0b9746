"""Memory stays flat: a 10,000,000-iteration loop and 1,000,000 fibers created and finished.

    python tests/bench/bench_memory.py                 # every workload, full size (a few minutes)
    python tests/bench/bench_memory.py --quick         # a tenth of the size
    python tests/bench/bench_memory.py --tracemalloc   # also trace Python allocations (slower)
    python tests/bench/bench_memory.py fibers relay    # only some workloads

Each workload runs in a fresh VM in slices; after every slice it samples the process RSS
(/proc/self/statm), the number of live fibers (`vm.fibers` is a WeakValueDictionary, so it
counts only fibers something still references) and, with --tracemalloc, the bytes Python
has allocated. Memory is flat when the samples after the first tenth of the run grow by less
than the tolerance; dead fibers are freed when the live-fiber count stays small. The exit
status is 1 if any workload grows.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from vm.core import VM  # noqa: E402

LOOPS = 10_000_000
FIBERS = 1_000_000
TOLERANCE_MB = 4.0          # RSS noise allowed after warm-up
TRACED_TOLERANCE_MB = 1.0   # tracemalloc is exact; allow small caches (interned ints...)
SAMPLES = 20

WORKLOADS = {
    # name: (program with N, iterations, what it shows)
    "while": ("(var i 0)\n(while (< i N) (assign i (+ i 1)))\n(println i)\n",
              LOOPS, "a while loop"),
    "tail": ("(defn loop [i acc] (if (< i N) (loop (+ i 1) (+ acc 2)) acc))\n(println (loop 0 0))\n",
             LOOPS, "self tail calls"),
    "fibers": ("(var i 0) (var sum 0)\n"
               "(while (< i N) (assign sum (+ sum (fiber/resume (fiber/new (fn [] i))))) (assign i (+ i 1)))\n"
               "(println sum)\n", FIBERS, "fibers created, run and finished"),
    "generators": ("(var i 0)\n"
                   "(while (< i N)\n"
                   "  (def f (fiber/new (fn [] (yield i) (yield [i i]) i) :yield))\n"
                   "  (fiber/resume f) (fiber/resume f) (fiber/resume f)\n"
                   "  (assign i (+ i 1)))\n(println i)\n", FIBERS, "fibers that yield twice then finish"),
    "errors": ("(var i 0)\n"
               "(while (< i N) (protect (error {:n i :data @[i i]})) (assign i (+ i 1)))\n(println i)\n",
               FIBERS, "fibers that end in an error (protect)"),
    "relay": ("(defn relay [n] (fiber/new (fn [] (if (> n 0) (relay (- n 1)) n))))\n"
              "(var f (relay N))\n(while (fiber? f) (assign f (fiber/resume f)))\n(println f)\n",
              FIBERS, "each fiber creates the next one and dies (creator chain)"),
    "nested": ("(defn nest [n] (if (= n 0) 0 (fiber/resume (fiber/new (fn [] (+ 1 (nest (- n 1))))))))\n"
               "(var i 0)\n(while (< i (/ N 100)) (nest 100) (assign i (+ i 1)))\n(println i)\n",
               FIBERS, "chains of 100 nested fibers, finished"),
}


def rss_mb() -> float:
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:  # not Linux: peak RSS is the best we have
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(name: str, scale: float, traced: bool) -> dict:
    template, n, what = WORKLOADS[name]
    n = max(int(n * scale), 100)
    text = template.replace("N", str(n))
    vm = VM()
    vm.load(text, f"{name}.lisp")
    # Ticks per iteration, from a short dry run, to cut the run into even slices.
    probe = VM()
    probe.load(template.replace("N", "1000"), "probe.lisp")
    probe.run()
    total = probe.tick * n // 1000
    step = max(total // SAMPLES, 1)
    gc.collect()
    if traced:
        tracemalloc.start()
    samples = []
    start = time.perf_counter()
    while not vm.halted:
        vm.run(vm.tick + step)
        gc.collect()
        samples.append((vm.tick, rss_mb(), len(vm.fibers),
                        tracemalloc.get_traced_memory()[0] / 2**20 if traced else None))
    elapsed = time.perf_counter() - start
    if traced:
        tracemalloc.stop()
    assert vm.status == "finished", (name, vm.status, vm.describe_uncaught() if vm.uncaught else None)
    warm = samples[max(len(samples) // 10, 1) - 1:]
    rss_growth = max(s[1] for s in warm) - warm[0][1]
    traced_growth = (max(s[3] for s in warm) - warm[0][3]) if traced else None
    max_fibers = max(s[2] for s in samples)
    flat = rss_growth < TOLERANCE_MB and (traced_growth is None or traced_growth < TRACED_TOLERANCE_MB)
    return {"name": name, "what": what, "n": n, "ticks": vm.tick, "seconds": elapsed,
            "rss_start": warm[0][1], "rss_max": max(s[1] for s in samples), "rss_growth": rss_growth,
            "traced_growth": traced_growth, "max_live_fibers": max_fibers, "flat": flat,
            "output": vm.output_text().strip(), "samples": samples}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workloads", nargs="*", choices=[[], *WORKLOADS], default=[])
    ap.add_argument("--quick", action="store_true", help="a tenth of the iterations")
    ap.add_argument("--tracemalloc", action="store_true", help="also sample tracemalloc (slower)")
    ap.add_argument("--samples", action="store_true", help="print every sample")
    args = ap.parse_args(argv)
    names = args.workloads or list(WORKLOADS)
    scale = 0.1 if args.quick else 1.0
    print(f"{'workload':<11} {'iterations':>11} {'ticks':>12} {'time s':>7} {'RSS MB':>8} "
          f"{'growth MB':>9} {'traced MB':>9} {'live fibers':>11}  flat")
    ok = True
    for name in names:
        r = measure(name, scale, args.tracemalloc)
        ok &= r["flat"]
        traced = f"{r['traced_growth']:9.2f}" if r["traced_growth"] is not None else f"{'-':>9}"
        print(f"{name:<11} {r['n']:>11,} {r['ticks']:>12,} {r['seconds']:>7.1f} {r['rss_start']:>8.1f} "
              f"{r['rss_growth']:>9.2f} {traced} {r['max_live_fibers']:>11}  {'yes' if r['flat'] else 'NO'}",
              flush=True)
        if args.samples:
            for tick, rss, live, tr in r["samples"]:
                print(f"    tick {tick:>12,}  rss {rss:8.1f} MB  live fibers {live:>7}"
                      + (f"  traced {tr:8.2f} MB" if tr is not None else ""))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
