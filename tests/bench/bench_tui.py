"""TUI speed: keypress-to-repaint for a step, and cold start to first paint.

    python tests/bench/bench_tui.py            # both, results appended to tests/bench/README.md
    python tests/bench/bench_tui.py --no-write # just print

Keypress-to-repaint: the app runs headless at 120x40 on the bundled demo; for each `s`
press we time from the key event to the end of the first screen update that shows the new
stop (App._display after the snapshot was drawn). Cold start: a fresh Python process
imports vmdbg, builds the session and the app, and reports when the first screen update
with the program's first stop has been written; the parent also times the whole process
start (interpreter start-up included).

Goals (tests/bench/README.md): step median under 30 ms, cold start under 1.5 s.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "README.md")
STEPS = 60


async def measure_steps(size=(120, 40), steps=STEPS, key="s") -> list[float]:
    """Seconds from each key press to the repaint that shows its stop."""
    from vmdbg.testing import settle, stopped_app
    app = stopped_app(os.path.join(ROOT, "vmdbg", "examples", "demo.lisp"))
    stamps = {"rendered": None, "painted": None}
    render, display = app.render_snapshot, app._display

    def timed_render(snapshot):
        render(snapshot)
        stamps["rendered"] = time.perf_counter()

    def timed_display(screen, renderable):
        display(screen, renderable)
        if stamps["rendered"] is not None and stamps["painted"] is None:
            stamps["painted"] = time.perf_counter()

    app.render_snapshot, app._display = timed_render, timed_display
    out = []
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for _ in range(steps):
            stamps["rendered"] = stamps["painted"] = None
            start = time.perf_counter()
            await pilot.press(key)
            while stamps["painted"] is None:
                await asyncio.sleep(0.0005)
            out.append(stamps["painted"] - start)
            await settle(pilot)
    return out


CHILD = r"""
import time
t0 = time.perf_counter()
import asyncio, sys
sys.path.insert(0, ROOT)
from vmdbg.tui.app import DebuggerApp
from vmdbg.core.session import Session
session = Session.from_file(DEMO)
app = DebuggerApp(session, user_keys=False)
display = app._display
def first_paint(screen, renderable):
    display(screen, renderable)
    if app.snapshot is not None:
        print(f"{time.perf_counter() - t0:.4f}", flush=True)
        app.exit()
app._display = first_paint
app.run(headless=True, size=(120, 40))
"""


def measure_cold_start(runs: int = 5) -> tuple[list[float], list[float]]:
    """(in-process seconds to first paint, whole-process seconds) for fresh interpreters."""
    inside, whole = [], []
    demo = os.path.join(ROOT, "vmdbg", "examples", "demo.lisp")
    code = f"ROOT = {ROOT!r}\nDEMO = {demo!r}\n" + CHILD
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        elapsed = time.perf_counter() - start
        lines = [ln for ln in result.stdout.split() if ln.strip()]
        if result.returncode != 0 or not lines:
            raise RuntimeError(f"cold start run failed: {result.stderr[-2000:]}")
        inside.append(float(lines[0]))
        whole.append(elapsed)
    return inside, whole


def main(argv: list[str]) -> int:
    steps = asyncio.run(measure_steps())
    compact = asyncio.run(measure_steps(size=(80, 24), steps=30))
    inside, whole = measure_cold_start()
    ms = lambda xs: f"{statistics.median(xs) * 1000:.1f} ms"
    lines = [
        f"- step (`s`) keypress to repaint, 120x40, demo.lisp, {len(steps)} steps: median {ms(steps)}, "
        f"p90 {sorted(steps)[int(len(steps) * 0.9)] * 1000:.1f} ms (goal < 30 ms)",
        f"- the same at 80x24, {len(compact)} steps: median {ms(compact)}",
        f"- cold start to first paint (imports, session, app, first stop drawn), {len(inside)} runs: "
        f"median {statistics.median(inside):.2f} s (goal < 1.5 s); whole process including "
        f"interpreter start-up: median {statistics.median(whole):.2f} s",
    ]
    print("\n".join(lines))
    if "--no-write" not in argv:
        append_results(lines)
    return 0


def append_results(lines: list[str]) -> None:
    """Replace the "TUI" section of tests/bench/README.md (other sections are left alone)."""
    import platform
    stamp = time.strftime("%Y-%m-%d")
    body = (f"## TUI\n\nMeasured with `python tests/bench/bench_tui.py` on {stamp} "
            f"(Python {platform.python_version()}, {os.cpu_count()} CPUs, headless Textual):\n\n"
            + "\n".join(lines) + "\n")
    text = open(README, encoding="utf-8").read() if os.path.exists(README) else "# Benchmarks\n"
    start = text.find("## TUI\n")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + body + (text[end + 1:] if end >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + body
    with open(README, "w", encoding="utf-8") as fh:
        fh.write(text)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
