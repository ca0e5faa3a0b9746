"""Whole-process benchmark: `vmdbg run FILE` as a user runs it, against CPython running the same algorithm.

    python tests/bench/bench_process.py              # median of 5, full sizes (about 10 minutes)
    python tests/bench/bench_process.py --quick      # median of 2, smaller sizes (under a minute)
    python tests/bench/bench_process.py -n 3 --only fib30,mandelbrot
    python tests/bench/bench_process.py --startup 15   # only what compiling one function costs

Each program in tests/bench/programs/ (NAME.lisp) has a CPython twin (NAME.py) with the
same algorithm; both print one result line, and the bench checks the outputs match. Every
measurement is a fresh process (wall time, Python's own start-up included), in turns:
for each round, each program, each way of running it: `--jit 0`; the default (a function
compiles once it has run enough instructions, loops included: vm/jit/code.py Tiering) and
`--jit 1`, each with a cold code cache (an empty directory) and a warm one (filled
by an earlier run of the same command); then `python3 NAME.py`. The JIT's cache goes to a
directory of this bench (VMDBG_JIT_CACHE_DIR), never the user's. Compiled Python modules
(.pyc) are written under a directory of the bench too and used, as an installed package
would use its own, whatever PYTHONDONTWRITEBYTECODE says.

`--startup N` measures only the start-up cost of the JIT: the `startup` program (one
function compiled at its 10th call, `--jit 10`; the default compiles nothing there) N times in turns with `--jit 0`, a warm cache,
a cache that holds the runtime and trampolines but not the function (filled by another
program), and an empty cache; medians of wall time and of the process's CPU time (user +
system, which a loaded machine inflates less), and each one's excess over `--jit 0`.

Not a test: timings vary with the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PROGRAMS = os.path.join(HERE, "programs")

# (name, description, {text: replacement} for --quick, applied to both twins)
ROWS = [
    ("startup", "a one-line function called 20 times", {}),
    ("calls20", "one function called 20 times, 1k iterations each", {"1000)": "300)"}),
    ("fib25", "fib(25)", {"25": "20"}),
    ("fib30", "fib(30)", {"30": "24"}),
    ("loop_fn", "1M-iteration while loop in a function called once", {"1000000": "100000"}),
    ("loop_top", "10M-iteration while loop (top level)", {"10000000": "1000000"}),
    ("closure", "closure counter, 1M calls", {"1000000": "100000"}),
    ("mandelbrot", "mandelbrot 200x200, 50 iterations (floats)", {"200": "40"}),
    ("isort", "insertion sort of 3,000 in an @array", {"3000": "600"}),
    ("strings", "push + string/join of 200,000 pieces", {"200000": "20000"}),
    ("fold", "(fold + 0 (range 1000000))", {"1000000": "100000"}),
]

# Ways of running the .lisp file: (column, vmdbg run options, cache: None / "cold" / "warm").
MODES = [
    ("--jit 0", ["--jit", "0"], None),
    ("default cold", [], "cold"),
    ("default warm", [], "warm"),
    ("--jit 1 cold", ["--jit", "1"], "cold"),
    ("--jit 1 warm", ["--jit", "1"], "warm"),
]


def environment(work: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "VMDBG_JIT_CACHE")}
    env["PYTHONPYCACHEPREFIX"] = os.path.join(work, "pyc")
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return env


def timed(cmd, env, cpu=False) -> tuple:
    """(wall ms, stdout), or with `cpu` (wall ms, CPU ms of the process, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    elapsed = (time.perf_counter() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(f"failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr}")
    if cpu:
        used = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000
        return elapsed, used, r.stdout
    return elapsed, r.stdout


OTHER = "(defn twice [x] (* x 2))\n(var i 0)\n(while (< i 20) (twice i) (assign i (+ i 1)))\n"


def startup(work: str, rounds: int) -> int:
    env = environment(work)
    lisp = prepare(work, False, {"startup"})["startup"][0]
    vmdbg = [sys.executable, "-m", "vmdbg", "run"]
    other = os.path.join(work, "other.lisp")
    with open(other, "w", encoding="utf-8") as f:
        f.write(OTHER)
    warm = os.path.join(work, "warm")
    runtime_only = os.path.join(work, "runtime-only")
    timed(vmdbg + ["--jit", "0", lisp], env)                              # .pyc files
    ten = ["--jit", "10"]       # the default (Tiering) would compile nothing here
    timed(vmdbg + ten + [lisp], dict(env, VMDBG_JIT_CACHE_DIR=warm))
    timed(vmdbg + ten + [other], dict(env, VMDBG_JIT_CACHE_DIR=runtime_only))

    def fresh(template=None):
        d = tempfile.mkdtemp(dir=work, prefix="cache-")
        if template:
            shutil.rmtree(d)
            shutil.copytree(template, d)
        return d

    ways = [("--jit 0", ["--jit", "0"], lambda: None), ("warm cache", ten, lambda: warm),
            ("runtime cached, function not", ten, lambda: fresh(runtime_only)),
            ("empty cache", ten, fresh)]
    got: dict = {}
    for r in range(rounds):
        k = r % len(ways)
        for col, opts, where in ways[k:] + ways[:k]:
            e = dict(env)
            d = where()
            if d is None:
                e["VMDBG_JIT_CACHE"] = "0"
            else:
                e["VMDBG_JIT_CACHE_DIR"] = d
            wall, cpu, _ = timed(vmdbg + opts + [lisp], e, cpu=True)
            got.setdefault(col, []).append((wall, cpu))
    med = {c: (statistics.median(w for w, _ in v), statistics.median(u for _, u in v)) for c, v in got.items()}
    base = med["--jit 0"]
    print(f"Start-up of a process that compiles one function (tests/bench/programs/startup.lisp, --jit "
          f"10), median of {rounds}; {platform.machine()}, {os.cpu_count()} CPUs, CPython "
          f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the end.\n")
    print("| cache | wall | CPU (user + system) | wall over --jit 0 | CPU over --jit 0 |")
    print("|---|---:|---:|---:|---:|")
    for col, _, _ in ways:
        w, u = med[col]
        print(f"| {col} | {fmt(w)} | {fmt(u)} | {w - base[0]:+.0f} ms | {u - base[1]:+.0f} ms |")
    return 0


def prepare(work: str, quick: bool, only):
    """Copy the programs (with --quick sizes) into the work directory: {name: (lisp, py)}."""
    files = {}
    for name, _, small in ROWS:
        if only and name not in only:
            continue
        paths = []
        for ext in (".lisp", ".py"):
            with open(os.path.join(PROGRAMS, name + ext), encoding="utf-8") as f:
                text = f.read()
            if quick:
                for a, b in small.items():
                    text = text.replace(a, b)
            path = os.path.join(work, name + ext)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            paths.append(path)
        files[name] = tuple(paths)
    return files


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes, median of 2")
    ap.add_argument("-n", type=int, default=None, help="rounds (default 5; 2 with --quick)")
    ap.add_argument("--only", default="", help="comma-separated program names")
    ap.add_argument("--startup", type=int, default=0, metavar="N",
                    help="only measure the cost of compiling one function, N rounds")
    args = ap.parse_args(argv)
    if args.startup:
        work = tempfile.mkdtemp(prefix="vmdbg-bench-process-")
        try:
            return startup(work, args.startup)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    rounds = args.n or (2 if args.quick else 5)
    only = set(filter(None, args.only.split(",")))
    work = tempfile.mkdtemp(prefix="vmdbg-bench-process-")
    try:
        return run(work, args.quick, rounds, only)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(work: str, quick: bool, rounds: int, only) -> int:
    env = environment(work)
    files = prepare(work, quick, only)
    vmdbg = [sys.executable, "-m", "vmdbg", "run"]
    py = [sys.executable]
    warm_dirs = {}
    outputs = {}
    # Untimed: write the .pyc files, fill each warm cache, record every output.
    for name, (lisp, script) in files.items():
        outputs[(name, "CPython")] = timed(py + [script], env)[1]
        for col, opts, cache in MODES:
            e = dict(env)
            if cache == "warm":
                warm_dirs[(name, col)] = e["VMDBG_JIT_CACHE_DIR"] = os.path.join(work, f"warm-{name}-{len(warm_dirs)}")
            elif cache == "cold":
                e["VMDBG_JIT_CACHE_DIR"] = tempfile.mkdtemp(dir=work, prefix="cold-")
            else:
                e["VMDBG_JIT_CACHE"] = "0"
            outputs[(name, col)] = timed(vmdbg + opts + [lisp], e)[1]
    times: dict = {}
    for r in range(rounds):
        for name, (lisp, script) in files.items():
            order = MODES + [("CPython", None, None)]
            k = r % len(order)
            for col, opts, cache in order[k:] + order[:k]:      # rotate who goes first
                e = dict(env)
                if col == "CPython":
                    cmd = py + [script]
                else:
                    cmd = vmdbg + opts + [lisp]
                    if cache == "warm":
                        e["VMDBG_JIT_CACHE_DIR"] = warm_dirs[(name, col)]
                    elif cache == "cold":
                        e["VMDBG_JIT_CACHE_DIR"] = tempfile.mkdtemp(dir=work, prefix="cold-")
                    else:
                        e["VMDBG_JIT_CACHE"] = "0"
                ms, out = timed(cmd, e)
                if out != outputs[(name, col)]:
                    raise SystemExit(f"{name} {col}: output changed between runs")
                times.setdefault((name, col), []).append(ms)
        print(f"round {r + 1}/{rounds} done", file=sys.stderr)
    print(report(files, times, outputs, rounds, quick))
    return 0


def fmt(ms: float) -> str:
    return f"{ms:,.0f} ms"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x"


def report(files, times, outputs, rounds, quick) -> str:
    med = {k: statistics.median(v) for k, v in times.items()}
    cols = [m[0] for m in MODES] + ["CPython"]
    lines = [f"Whole process, wall time, median of {rounds}{' (--quick sizes)' if quick else ''}; "
             f"{platform.machine()}, {os.cpu_count()} CPUs, CPython {platform.python_version()}, "
             f"load average {os.getloadavg()[0]:.1f} at the end.",
             "",
             "| program | " + " | ".join(cols) + " | default / --jit 0 | default / CPython | "
             "--jit 1 warm / CPython | same output |",
             "|---|" + "---:|" * (len(cols) + 3) + "---|"]
    same_all = True
    for name, desc, _ in ROWS:
        if name not in files:
            continue
        py_out = outputs[(name, "CPython")]
        same = all(outputs[(name, c)] == py_out for c in cols)
        same_all &= same
        d = med[(name, "default warm")]
        row = [desc] + [fmt(med[(name, c)]) for c in cols]
        row += [ratio(d, med[(name, "--jit 0")]), ratio(d, med[(name, "CPython")]),
                ratio(med[(name, "--jit 1 warm")], med[(name, "CPython")]),
                "yes" if same else "NO: " + repr(py_out.strip())]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.append("every program printed what its CPython twin printed" if same_all
                 else "SOME OUTPUTS DIFFER (last column)")
    lines += ["", "Targets (issue 14):"] + targets(files, med)
    return "\n".join(lines)


def targets(files, med) -> list:
    out = []
    names = [n for n, _, _ in ROWS if n in files]
    worst = max(names, key=lambda n: med[(n, "default warm")] / med[(n, "--jit 0")])
    w = med[(worst, "default warm")] / med[(worst, "--jit 0")]
    out.append(f"- default never more than 10% slower than --jit 0: worst {worst} {w:.2f}x "
               f"({'met' if w <= 1.10 else 'missed'})")
    for n in ("fib30", "loop_top", "mandelbrot", "isort"):
        if n in files:
            r = med[(n, "default warm")] / med[(n, "CPython")]
            out.append(f"- default faster than CPython on {n}: {r:.2f}x CPython's time "
                       f"({'met' if r < 1 else 'missed'})")
    if "startup" in files:
        # The default compiles nothing in `startup`; --jit 1 compiles its one function.
        base = med[("startup", "--jit 0")]
        for col, limit in (("--jit 1 warm", 40), ("--jit 1 cold", 100)):
            extra = med[("startup", col)] - base
            out.append(f"- one function compiled (--jit 1), {col.split()[2]} cache: {extra:+.0f} ms over --jit 0 "
                       f"(target <= {limit} ms: {'met' if extra <= limit else 'missed'})")
    return out


if __name__ == "__main__":
    sys.exit(main())
