"""Faults the debugger survives (Session level; the TUI's Pilot tests are elsewhere):

- any program error, including hostile ones (data nested 20,000 deep, an @array that
  contains itself, thousands of nested fibers, limits hit, uncaught signals): the Session
  stops with a reason, snapshots, watches, reverse steps and restarts;
- ctrl+c under `vmdbg run`: prints where it stopped, exit 130 (interpreted and JIT code);
- a file that changes or disappears before Session.restart: a clear message, the session
  is kept as it was;
- bytecode the verifier refuses at restart: a clear message, the session kept;
- an exception inside the JIT: the function runs interpreted and the reason is recorded.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from vm.api import run_program
from vmdbg.core.session import Session

ROOT = Path(__file__).resolve().parent.parent
# Error programs and the examples (but the million-iteration tail loop: several full runs
# of it would take long, and it has no error).
ERROR_PROGRAMS = sorted((ROOT / "tests" / "programs" / "errors").glob("*.lisp")) + \
    sorted(p for p in (ROOT / "vmdbg" / "examples").glob("*.lisp") if p.stem != "tail_loop")

HOSTILE = {
    "deep-list": "(var x ()) (var i 0)\n(while (< i 20000) (assign x (list x)) (assign i (+ i 1)))\n"
                 "(println (= x (list x)))\n",
    "deep-error-value": "(var x []) (var i 0)\n(while (< i 20000) (assign x [x]) (assign i (+ i 1)))\n"
                        "(error x)\n",
    "self-containing": "(def a @[1]) (push a a) (def b @[1]) (push b b)\n(println (length a))\n"
                       "(println |a| (= a b))\n",
    "nested-fibers": "(defn nest [n] (if (= n 0) (yield :bottom)\n"
                     "  (fiber/resume (fiber/new (fn [] (nest (- n 1))) :yield))))\n"
                     "(println (nest 3000))\n(error :after-nesting)\n",
    "uncaught-yield": "(println 1)\n(yield 2)\n",
    "halt": "(fiber/resume (fiber/new (fn [] (emit :halt 3)) |:halt :error|))\n",
    "division": "(defn f [x] (/ x 0))\n(f 7)\n",
    "deep-recursion": "(defn f [n] (+ 1 (f n)))\n(f 0)\n",
    "bad-call": "(def x 1)\n(x 2 3)\n",
    "state-error": "(def f (fiber/new (fn [] 1)))\n(fiber/resume f)\n(fiber/resume f)\n",
    "huge-int": "(var x 3)\n(forever (assign x (* x x)))\n",
    "cancelled": "(def f (fiber/new (fn [] (yield 1)) :yield))\n(fiber/resume f)\n(fiber/cancel f :gone)\n"
                 "(fiber/resume f)\n",
}


def survive(s: Session, end_reasons=("error", "fuel", "finished")):
    """Run to the end, then exercise everything a user would touch after an error."""
    snap = s.continue_()
    assert snap.reason in end_reasons, (snap.reason, snap.error)
    if snap.reason != "finished":
        assert snap.error and "Traceback" not in snap.error
    end = snap.tick
    s.add_watch("(+ 1 2)")
    s.add_watch("(error :in-a-watch)")
    s.add_watch("((((")
    snap = s.snapshot()
    assert snap.watches["(+ 1 2)"] == "3"
    assert snap.watches["(error :in-a-watch)"].startswith("error:")
    assert "read error" in snap.watches["(((("]
    for i in range(snap.frame_count):
        s.select_frame(i)
    for f in snap.fibers[:5]:
        s.select_fiber(f.id)
    s.select_fiber(None)
    back = s.step_back()
    assert back.tick == max(end - 1, 0)
    assert s.goto_tick(end // 2).tick == end // 2
    again = s.continue_()
    assert again.tick == end and again.reason == snap.reason
    assert s.restart().reason == "entry"
    assert s.continue_().tick == end
    return again


@pytest.mark.parametrize("path", ERROR_PROGRAMS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_session_survives_program_errors(path):
    s = Session.from_file(str(path))
    survive(s)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_session_survives_hostile_programs(name):
    s = Session.from_source(HOSTILE[name], f"{name}.lisp", checkpoint_interval=2_000, max_depth=500)
    snap = survive(s)
    headless = run_program(HOSTILE[name], f"{name}.lisp", max_depth=500)
    assert (snap.output, snap.tick) == (headless.output, headless.ticks)
    if headless.status == 1:
        assert snap.error == headless.error_text


def test_session_survives_limits():
    text = "(println :a)\n(protect (forever 1))\n"
    snap = survive(Session.from_source(text, "p.lisp", fuel=3_000))
    assert snap.reason == "fuel" and snap.tick == 3_000
    text = '(forever (print "0123456789"))\n'
    snap = survive(Session.from_source(text, "p.lisp", max_output=35))
    assert snap.error.startswith("output-limit") and snap.output == "0123456789" * 3
    text = "(def a @[])\n(forever (push a 1))\n"
    assert survive(Session.from_source(text, "p.lisp", max_collection=50)).error.startswith("size-limit")


def test_run_and_headless_agree_on_errors_at_each_step():
    # Stepping instruction by instruction into an error reports it like a run does.
    text = HOSTILE["division"]
    s = Session.from_source(text, "p.lisp")
    for _ in range(200):
        snap = s.step_instruction()
        if snap.reason == "error":
            break
    assert snap.reason == "error" and snap.error == run_program(text, "p.lisp").error_text


# -- ctrl+c under `vmdbg run` -------------------------------------------------------------------

SPIN = "(println \"started\")\n(var i 0)\n(forever (assign i (+ i 1)))\n"
SPIN_FN = "(defn spin [n] (if (< n 0) n (spin (+ n 1))))\n(println \"started\")\n(spin 0)\n"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("text,flags,delay", [
    (SPIN, [], 0.3), (SPIN_FN, ["--jit", "0"], 0.3), (SPIN_FN, ["--jit", "1"], 0.3),
    # ctrl+c at once: it lands while the JIT engine is still being made (llvmlite import),
    # and the compiled loop must still see it.
    (SPIN_FN, ["--jit", "1"], 0.0)],
    ids=["loop", "tail-calls", "tail-calls-jit", "tail-calls-jit-early"])
def test_ctrl_c_under_run_prints_where_and_exits_130(tmp_path, text, flags, delay):
    path = tmp_path / "spin.lisp"
    path.write_text(text, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.Popen([sys.executable, "-u", "-m", "vmdbg", "run", str(path), *flags], cwd=str(ROOT),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert p.stdout.readline() == "started\n"
        time.sleep(delay)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    assert p.returncode == 130, err
    assert err.startswith("interrupted at ") and "spin.lisp:" in err and "(tick " in err, err
    assert "Traceback" not in err


# -- the file changes or disappears before restart --------------------------------------------


def file_session(tmp_path, text="(println :one)\n(+ 1 2)\n"):
    path = tmp_path / "prog.lisp"
    path.write_text(text, encoding="utf-8")
    s = Session.from_file(str(path))
    s.add_breakpoint(line=2)
    s.continue_()
    return s, path


def assert_kept(s, snap, before_text):
    assert snap.message.startswith("restart failed: ")
    assert "the session is" in snap.message or "error" in snap.message
    assert s.text == before_text
    # The old program is still there and still runs.
    end = s.continue_()
    assert end.reason == "finished" and end.output == "one\n"


def test_restart_picks_up_an_edited_file(tmp_path):
    s, path = file_session(tmp_path)
    path.write_text("(println :two)\n(println :three)\n", encoding="utf-8")
    snap = s.restart()
    assert snap.message == "restarted" and snap.reason == "entry"
    assert s.continue_().output == "two\n"       # the line-2 breakpoint still applies


def test_restart_when_the_file_disappeared(tmp_path):
    s, path = file_session(tmp_path)
    before = s.text
    path.unlink()
    snap = s.restart()
    assert "no such file" in snap.message
    assert_kept(s, snap, before)


def test_restart_when_the_file_became_a_directory(tmp_path):
    s, path = file_session(tmp_path)
    before = s.text
    path.unlink()
    path.mkdir()
    snap = s.restart()
    assert "is a directory" in snap.message
    assert_kept(s, snap, before)


def test_restart_when_the_file_no_longer_compiles(tmp_path):
    s, path = file_session(tmp_path)
    before = s.text
    path.write_text("(println (undefined-thing))\n", encoding="utf-8")
    snap = s.restart()
    assert "compile error" in snap.message and "undefined-thing" in snap.message
    assert_kept(s, snap, before)


def test_restart_when_the_file_no_longer_reads(tmp_path):
    s, path = file_session(tmp_path)
    before = s.text
    path.write_text("(println :unclosed\n", encoding="utf-8")
    snap = s.restart()
    assert "read error" in snap.message
    assert_kept(s, snap, before)


def test_restart_when_the_file_is_not_utf8(tmp_path):
    s, path = file_session(tmp_path)
    before = s.text
    path.write_bytes(b"(println \xff\xfe)\n")
    snap = s.restart()
    assert "not valid UTF-8" in snap.message
    assert_kept(s, snap, before)


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads anything")
def test_restart_when_the_file_is_unreadable(tmp_path):
    s, path = file_session(tmp_path)
    before = s.text
    path.chmod(0)
    try:
        snap = s.restart()
    finally:
        path.chmod(0o644)
    assert "cannot read" in snap.message
    assert_kept(s, snap, before)


def test_restart_when_the_verifier_refuses_the_code(tmp_path, monkeypatch):
    import vm.core as core
    s, path = file_session(tmp_path)
    before = s.text
    real = core.compile_program

    def broken(*args, **kwargs):
        main = real(*args, **kwargs)
        if args[1] != "<prelude>":
            main.code = main.code[:-1]          # falls off the end
        return main

    monkeypatch.setattr(core, "compile_program", broken)
    snap = s.restart()
    assert "verify error in function main" in snap.message and "falls off the end" in snap.message
    monkeypatch.undo()
    assert_kept(s, snap, before)


# -- an exception inside the JIT ------------------------------------------------------------------

FIB = "(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))\n(println (fib 15))\n"


@pytest.fixture
def jit_compiler():
    return pytest.importorskip("vm.jit.compiler")


def test_jit_build_failure_falls_back_and_is_recorded(jit_compiler, monkeypatch):
    def explode(self, *args, **kwargs):
        raise RuntimeError("injected JIT failure")

    monkeypatch.setattr(jit_compiler.Engine, "build", explode)
    interp = run_program(FIB, "fib.lisp", jit=0)
    r = run_program(FIB, "fib.lisp", jit=1)
    assert (r.status, r.output, r.ticks) == (interp.status, "610\n", interp.ticks)
    stats = {row["name"]: row for row in r.vm.jit.stats()}
    assert stats["fib"]["tier"] == "interp"
    assert stats["fib"]["reason"] == "JIT error: RuntimeError: injected JIT failure"
    assert "injected JIT failure" in r.vm.jit.last_error


def test_jit_analysis_failure_falls_back(jit_compiler, monkeypatch):
    def explode(*args, **kwargs):
        raise ZeroDivisionError("injected analysis failure")

    monkeypatch.setattr(jit_compiler, "analyse", explode)
    r = run_program(FIB, "fib.lisp", jit=1)
    assert (r.status, r.output) == (0, "610\n")
    assert "injected analysis failure" in {row["name"]: row for row in r.vm.jit.stats()}["fib"]["reason"]


def test_jit_failure_under_the_session(jit_compiler, monkeypatch):
    def explode(self, *args, **kwargs):
        raise MemoryError("injected")

    monkeypatch.setattr(jit_compiler.Engine, "build", explode)
    s = Session.from_source(FIB, "fib.lisp", jit=1)
    snap = s.continue_()
    assert snap.reason == "finished" and snap.output == "610\n"
    tiers = {name: (tier, reason) for name, tier, reason in snap.functions}
    assert tiers["fib"][0] == "interp" and "JIT error: MemoryError" in tiers["fib"][1]
    assert s.goto_tick(snap.tick // 2).tick == snap.tick // 2
