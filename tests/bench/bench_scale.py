"""The debugger at scale (issue 15): reverse execution at depth and in long runs,
start-up, and the TUI's first paint of a large file.

    python tests/bench/bench_scale.py                      # every case, this tree
    python tests/bench/bench_scale.py deep fib             # some cases
    python tests/bench/bench_scale.py --base /tmp/base     # side by side with another tree

Both trees' .pyc files are written first (python -m compileall), as an installed package
has them. --base runs every case in the other tree too (an export of an earlier commit, made with
`git archive HEAD | tar -x -C /tmp/base`), the two trees in turns (base, this, base,
this), each case in a fresh process, and prints both and their ratio. Times are wall
time unless the row says CPU; the machine is shared, so single numbers move.

Cases:
  deep     100,000 frames deep (a recursion that spins at the bottom): back (goto) to a
           tick while spinning, going down and coming up, and five steps back at each (the
           first, and the median of the others); the history's memory mid-run (tracemalloc:
           what clearing it frees).
  fib      fib(33), about 114M instructions, one routine call: the Session goes forward
           to 25%, 50% and 90% of the run and steps back five times at each (the first
           step back, and the median of the next ones), then on to the end (run time
           against run_program) and back to 75% and 33% (goto into the past).
  tail     a self tail loop of 10M iterations (100M instructions): the same.
  startup  `vmdbg run` of an empty file and `python -c pass`: CPU time of the process
           (best of 10 each, in turns).
  load     VM.load of a generated 50,000-line file (read, compile, verify; best of 3 in
           one process), and `vmdbg run` of it as a whole process (wall time, best of 3).
  paint    the TUI's first paint of a 50,000-line file (Textual's headless pilot).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

DEEP = """
(defn spin [n] (var i 0) (while (< i n) (assign i (+ i 1))) i)
(defn deep [n] (if (= n 0) (spin 300000) (+ 1 (deep (- n 1)))))
(print (deep 100000))
"""
FIB = "(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))\n(print (fib 33))\n"
TAIL = "(defn loop [i acc] (if (< i 10000000) (loop (+ i 1) (+ acc 2)) acc))\n(print (loop 0 0))\n"


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


# -- cases, run in a child process whose sys.path starts with the tree measured --------

def case_deep() -> dict:
    import gc
    import tracemalloc
    from vmdbg.core.session import Session
    s = Session(DEEP, "deep.lisp", max_depth=200_000)
    end, run = timed(s.continue_)
    assert end.output == "400000", end.output
    out = {"ticks": end.tick, "run s": round(run, 2), "checkpoints": len(s.history.checkpoints)}
    for frac, label in ((0.5, "spinning"), (0.15, "going down"), (0.95, "coming up")):
        s.goto_tick(int(end.tick * frac))
        backs = []
        for _ in range(5):
            _, t = timed(s.step_back)
            backs.append(t)
        out[f"depth {label}"] = len(s.vm.root.frames)
        out[f"first step back ms, {label}"] = ms(backs[0])
        out[f"next step backs ms, {label}"] = ms(statistics.median(backs[1:]))
    del s
    gc.collect()
    # Memory: a second run traced by tracemalloc (what clearing the history frees).
    tracemalloc.start()
    s = Session(DEEP, "deep.lisp", max_depth=200_000)
    s.goto_tick(end.tick // 2)
    gc.collect()
    held = tracemalloc.get_traced_memory()[0]
    count = len(s.history.checkpoints)
    s.history.checkpoints.clear()
    if hasattr(s.history, "recent"):
        s.history.recent = None
    gc.collect()
    held -= tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    out["history MB (mid-run)"] = round(held / 1e6, 1)
    out["checkpoints (mid-run)"] = count
    return out


def long_run(text: str) -> dict:
    from vm.api import run_program
    from vmdbg.core.session import Session
    plain, t_plain = timed(lambda: run_program(text, "long.lisp"))
    s = Session(text, "long.lisp")
    firsts, backs = [], []
    run = 0.0
    for frac in (0.25, 0.5, 0.9):
        # Forward to a tick (as a continue to a breakpoint there would), then step back:
        # the first step back replays from the checkpoint before; the next ones from the
        # one that replay kept near (History.take_scratch).
        _, t = timed(lambda: s.goto_tick(int(plain.ticks * frac)))
        run += t
        _, t = timed(s.step_back)
        firsts.append(t)
        for _ in range(4):
            _, t = timed(s.step_back)
            backs.append(t)
    end, t = timed(s.continue_)
    run += t
    assert end.tick == plain.ticks and end.output == plain.output
    gotos = []
    for frac in (0.75, 0.33):
        _, t = timed(lambda: s.goto_tick(int(plain.ticks * frac)))
        gotos.append(t)
    return {"ticks": end.tick, "run_program s": round(t_plain, 2), "session forward s": round(run, 2),
            "checkpoints": len(s.history.checkpoints),
            "first step back ms (max of 3)": ms(max(firsts)),
            "next step backs ms (median)": ms(statistics.median(backs)),
            "goto into the past ms (max of 2)": ms(max(gotos))}


def case_fib() -> dict:
    return long_run(FIB)


def case_tail() -> dict:
    return long_run(TAIL)


def cpu_of(cmd: list, env=None) -> float:
    """CPU time (user + system) of a child process (getrusage: finer than os.times' 10 ms)."""
    import resource
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def case_startup() -> dict:
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        empty = os.path.join(tmp, "empty.lisp")
        open(empty, "w").close()
        env = dict(os.environ, PYTHONPATH=sys.path[0], VMDBG_PRELUDE_CACHE_DIR=os.path.join(tmp, "cache"))
        ours = [sys.executable, "-c", "import sys; from vmdbg.cli import main; sys.exit(main(['run', sys.argv[1]]))",
                empty]
        cpython = [sys.executable, "-c", "pass"]
        cpu_of(ours, env)                     # fills the prelude cache, if there is one
        mine, base = [], []
        for _ in range(10):
            mine.append(cpu_of(ours, env))
            base.append(cpu_of(cpython, env))
    return {"vmdbg run CPU ms": ms(min(mine)), "python -c pass CPU ms": ms(min(base)),
            "ratio": round(min(mine) / min(base), 2)}


PAINT_CHILD = r"""
import sys, time
t0 = time.perf_counter()
from vmdbg.tui.app import DebuggerApp
from vmdbg.core.session import Session
t1 = time.perf_counter()
session = Session.from_file(PATH)
t2 = time.perf_counter()
app = DebuggerApp(session, user_keys=False)
display = app._display
def first_paint(screen, renderable):
    display(screen, renderable)
    if app.snapshot is not None:
        t3 = time.perf_counter()
        print(f"{t1 - t0:.4f} {t2 - t1:.4f} {t3 - t2:.4f} {t3 - t0:.4f}", flush=True)
        app.exit()
app._display = first_paint
app.run(headless=True, size=(120, 40))
"""


def big_file() -> str:
    """10,000 small functions, five lines each (50,001 lines), calling one of them."""
    lines = []
    for i in range(10_000):
        lines.append(f"(defn f{i} [x]")
        lines.append(f'  # function number {i}: "adds" {i}')
        lines.append(f"  (let [y (+ x {i})]")
        lines.append(f'    (if (> y 0) y (string "neg" (- 0 y)))))')
        lines.append("")
    return "\n".join(lines) + "(print (f1 2))\n"


def case_load() -> dict:
    import gc
    import tempfile
    from vm.core import VM
    text = big_file()
    loads = []
    for _ in range(3):
        vm = VM()
        _, t = timed(lambda: vm.load(text, "big.lisp"))
        loads.append(t)
        vm.run()
        assert vm.output_text() == "3", vm.output_text()
        del vm
        gc.collect()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "big.lisp")
        with open(path, "w") as fh:
            fh.write(text)
        env = dict(os.environ, PYTHONPATH=sys.path[0], VMDBG_PRELUDE_CACHE_DIR=os.path.join(tmp, "cache"))
        cmd = [sys.executable, "-c", "import sys; from vmdbg.cli import main; sys.exit(main(['run', sys.argv[1]]))",
               path]
        runs = []
        for _ in range(3):
            start = time.perf_counter()
            r = subprocess.run(cmd, env=env, capture_output=True, text=True)
            runs.append(time.perf_counter() - start)
            assert r.stdout == "3", (r.stdout, r.stderr[-500:])
    return {"lines": len(text.splitlines()), "VM.load s": round(min(loads), 2),
            "vmdbg run s": round(min(runs), 2)}


def case_paint() -> dict:
    import tempfile
    text = big_file()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "big.lisp")
        with open(path, "w") as fh:
            fh.write(text)
        code = f"PATH = {path!r}\n" + PAINT_CHILD
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                           env=dict(os.environ, PYTHONPATH=sys.path[0]))
        if r.returncode:
            raise RuntimeError(r.stderr[-2000:])
        imports, load, paint, total = map(float, r.stdout.split()[:4])
    return {"lines": len(text.splitlines()), "imports s": imports, "load (Session) s": load,
            "app to first paint s": paint, "first paint from start s": total}


CASES = {"deep": case_deep, "fib": case_fib, "tail": case_tail, "startup": case_startup,
         "load": case_load, "paint": case_paint}


def child(root: str, name: str) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--child", name]
    env = dict(os.environ, PYTHONPATH=root)
    r = subprocess.run(cmd, env=env, cwd=root, capture_output=True, text=True)
    if r.returncode:
        return {"failed": r.stderr.strip().splitlines()[-1] if r.stderr.strip() else r.returncode}
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cases", nargs="*", default=list(CASES))
    ap.add_argument("--base", help="another tree to measure side by side")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        sys.path.insert(0, os.getcwd())
        print(json.dumps(CASES[args.child]()))
        return
    # Both trees with their .pyc files written, as an installed package has them: with
    # PYTHONDONTWRITEBYTECODE set, an edited module would be compiled at every start.
    for root in [ROOT] + ([args.base] if args.base else []):
        subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(root, "vm"),
                        os.path.join(root, "vmdbg")], stdout=subprocess.DEVNULL, check=False)
    for name in args.cases:
        if args.base:
            base = child(args.base, name)
            mine = child(ROOT, name)
            print(f"{name}:")
            for key in dict.fromkeys(list(base) + list(mine)):
                b, m = base.get(key), mine.get(key)
                ratio = (f"  ({b / m:.1f}x)" if isinstance(b, (int, float)) and isinstance(m, (int, float))
                         and m and key not in ("ticks", "depth", "lines") else "")
                print(f"  {key:24} base {b!s:>10}   now {m!s:>10}{ratio}")
        else:
            print(f"{name}: {child(ROOT, name)}")


if __name__ == "__main__":
    main()
