"""Limits for untrusted programs: call depth, fuel, collection/string size, output size.

Each is configurable from the command line (`vmdbg run --max-depth/--fuel/--max-collection/
--max-output`) and from the Session (constructor keywords), and each ends a runaway program
with a clean Lisp error (catchable where the language says so), never a Python exception.
Also: no primitive touches files, the network, the environment or processes.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from vm.api import run_program
from vmdbg.cli import main
from vmdbg.core.session import Session

ROOT = Path(__file__).resolve().parent.parent

DEEP = "(defn down [n] (+ 1 (down (+ n 1))))\n(println :start)\n(down 0)\n"
# The loop runs inside a fiber (protect): fibers without fuel of their own must not
# outrun the program's fuel.
SPIN = "(println :start)\n(protect (forever 1))\n"
SPIN_ROOT = "(println :start)\n(var i 0)\n(forever (assign i (+ i 1)))\n"
CHATTY = '(println :start)\n(forever (print "abcdefghij"))\n'
HOARD = "(println :start)\n(def a @[])\n(forever (push a 1))\n"
HUGE_STRING = '(println :start)\n(var s "ab")\n(forever (assign s (string s s)))\n'
BIG_RANGE = "(println :start)\n(length (range 1000000))\n"


def cli(capsys, tmp_path, text, *flags):
    path = tmp_path / "prog.lisp"
    path.write_text(text, encoding="utf-8")
    status = main(["run", str(path), *flags])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


def session_end(text, **options):
    s = Session.from_source(text, "prog.lisp", **options)
    snap = s.continue_()
    return s, snap


# -- call depth ------------------------------------------------------------------------------


def test_max_depth_cli(capsys, tmp_path):
    status, out, err = cli(capsys, tmp_path, DEEP, "--max-depth", "50")
    assert status == 1 and out == "start\n"
    assert err.startswith("stack-overflow: stack overflow: more than 50 nested calls")
    assert "prog.lisp:1:" in err


def test_max_depth_session():
    s, snap = session_end(DEEP, max_depth=50)
    assert snap.reason == "error" and snap.output == "start\n"
    assert snap.error.startswith("stack-overflow: stack overflow: more than 50 nested calls")
    assert snap.frame_count == 50


def test_max_depth_is_catchable():
    r = run_program("(defn down [n] (+ 1 (down n)))\n(def [ok e] (protect (down 0)))\n"
                    "(println ok \" \" e:error)\n", "p.lisp", max_depth=40)
    assert (r.status, r.output) == (0, "false stack-overflow\n")


# -- fuel ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [SPIN, SPIN_ROOT], ids=["in-a-fiber", "in-the-root"])
def test_fuel_cli(capsys, tmp_path, text):
    status, out, err = cli(capsys, tmp_path, text, "--fuel", "5000")
    assert status == 1 and out == "start\n"
    assert err.startswith("fuel: fuel exhausted\n  at ") and "prog.lisp:" in err


@pytest.mark.parametrize("text", [SPIN, SPIN_ROOT], ids=["in-a-fiber", "in-the-root"])
def test_fuel_session(text):
    s, snap = session_end(text, fuel=5000)
    assert snap.reason == "fuel" and snap.tick == 5000 and snap.output == "start\n"
    assert snap.error.startswith("fuel: fuel exhausted")
    # The limit holds after a restart and in replay too.
    s.restart()
    assert s.continue_().tick == 5000
    assert s.goto_tick(2500).tick == 2500


def test_program_fuel_covers_nested_fibers_and_the_jit():
    text = ("(defn spin [n] (if (< n 0) n (spin (+ n 1))))\n"
            "(fiber/resume (fiber/new (fn [] (fiber/resume (fiber/new (fn [] (spin 0)))))))\n")
    for jit in (0, 1):
        r = run_program(text, "p.lisp", fuel=20_000, jit=jit)
        assert (r.status, r.error_kind, r.ticks) == (1, "fuel", 20_000), jit


def test_fiber_fuel_is_still_catchable_under_program_fuel():
    # A scheduler that refuels a child keeps working while the program's own fuel lasts.
    text = ("(def f (fiber/new (fn [] (forever 1)) :fuel))\n(var n 0)\n"
            "(while (< n 3) (fiber/set-fuel f 100) (fiber/resume f) (assign n (+ n 1)))\n"
            "(println n \" \" (fiber/status f))\n")
    assert run_program(text, "p.lisp", fuel=10_000).output == "3 paused\n"
    assert run_program(text, "p.lisp", fuel=300).error_kind == "fuel"


# -- output size ------------------------------------------------------------------------------


def test_max_output_cli(capsys, tmp_path):
    status, out, err = cli(capsys, tmp_path, CHATTY, "--max-output", "56")
    assert status == 1
    assert out == "start\n" + "abcdefghij" * 5
    assert err.startswith("output-limit: output limit of 56 characters exceeded")


def test_max_output_session():
    s, snap = session_end(CHATTY, max_output=56)
    assert snap.reason == "error"
    assert snap.output == "start\n" + "abcdefghij" * 5
    assert snap.error.startswith("output-limit: output limit of 56 characters exceeded")


def test_max_output_is_catchable():
    r = run_program('(def [ok e] (protect (forever (print "xx"))))\n(print "|" e:error)\n', "p.lisp",
                    max_output=11)
    assert r.status == 1          # the catch handler's own print no longer fits
    r = run_program('(def [ok e] (protect (forever (print "xx"))))\n', "p.lisp", max_output=11)
    assert (r.status, r.output) == (0, "xxxxxxxxxx")


# -- collection and string size ----------------------------------------------------------------


@pytest.mark.parametrize("text", [HOARD, HUGE_STRING, BIG_RANGE], ids=["push", "string", "range"])
def test_max_collection_cli(capsys, tmp_path, text):
    status, out, err = cli(capsys, tmp_path, text, "--max-collection", "1000")
    assert status == 1 and out == "start\n"
    assert err.startswith("size-limit: collection of ") and "exceeds the limit of 1000" in err


@pytest.mark.parametrize("text", [HOARD, HUGE_STRING, BIG_RANGE], ids=["push", "string", "range"])
def test_max_collection_session(text):
    s, snap = session_end(text, max_collection=1000)
    assert snap.reason == "error" and snap.output == "start\n"
    assert "size-limit: collection of " in snap.error and "exceeds the limit of 1000" in snap.error


def test_max_collection_is_catchable():
    r = run_program("(def [ok e] (protect (range 5000)))\n(println ok \" \" e:error)\n", "p.lisp",
                    max_collection=100)
    assert (r.status, r.output) == (0, "false size-limit\n")


def test_integer_growth_is_bounded():
    # Repeated squaring would ask for gigabytes within a few dozen instructions.
    r = run_program("(var x 3)\n(forever (assign x (* x x)))\n", "p.lisp")
    assert r.status == 1 and r.error_kind == "argument-error" and "exceed" in r.error_text


def test_limits_are_visible_in_help(capsys):
    assert main(["run", "--help"]) == 0
    out = capsys.readouterr().out
    for flag in ("--max-depth", "--fuel", "--max-output", "--max-collection"):
        assert flag in out


# -- the sandbox --------------------------------------------------------------------------------

FORBIDDEN_MODULES = {"os", "subprocess", "socket", "shutil", "pathlib", "io", "urllib", "http",
                     "ctypes", "importlib", "multiprocessing", "threading", "signal", "tempfile",
                     "glob", "fcntl", "select", "asyncio", "ssl", "requests", "builtins", "pty",
                     "posix", "nt", "platform", "pickle", "marshal", "webbrowser", "ftplib",
                     "smtplib", "telnetlib", "sqlite3", "dbm", "shelve", "mmap", "resource"}
FORBIDDEN_CALLS = {"open", "exec", "eval", "compile", "__import__", "input", "breakpoint",
                   "getattr", "setattr", "globals", "vars"}
# `sys` is imported for process-wide integer and size constants only.
ALLOWED_SYS = {"maxsize", "set_int_max_str_digits", "float_info"}


def primitive_sources():
    return sorted((ROOT / "vm" / "primitives").glob("*.py"))


@pytest.mark.parametrize("path", primitive_sources(), ids=lambda p: p.name)
def test_primitives_do_not_reach_outside_the_sandbox(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert alias.name.split(".")[0] not in FORBIDDEN_MODULES, f"{path.name}: import {alias.name}"
        elif isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] not in FORBIDDEN_MODULES, \
                f"{path.name}: from {node.module} import"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in FORBIDDEN_CALLS, f"{path.name}:{node.lineno}: {node.func.id}(...)"
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "sys":
            assert node.attr in ALLOWED_SYS, f"{path.name}:{node.lineno}: sys.{node.attr}"
        elif isinstance(node, ast.Name):
            assert node.id not in ("__builtins__", "__loader__"), f"{path.name}:{node.lineno}: {node.id}"


def test_no_primitive_is_named_for_io():
    from vm.primitives import load_all
    names = load_all()
    for name in names:
        for word in ("file", "slurp", "spit", "open", "env", "shell", "exec", "system", "socket",
                     "http", "sleep", "time", "random", "exit", "import", "load"):
            assert word not in name, name


def test_eval_stays_inside_the_sandbox():
    """`eval` compiles data in the same VM with the same primitives: nothing it names
    reaches the host, and what it runs counts against the program's fuel."""
    from vm.api import run_program
    r = run_program("(println (protect (eval '(slurp \"/etc/passwd\"))))\n", "e.lisp")
    assert r.status == 0 and "compile-error" in r.output and "unknown variable: slurp" in r.output
    text = "(eval '(while true 1))\n"
    r = run_program(text, "e.lisp", fuel=5_000)
    assert r.status == 1 and r.error_kind == "fuel" or "fuel" in (r.error_text or ""), r.error_text


def test_print_writes_to_the_vm_not_the_terminal(capfd):
    from vm.core import VM
    chunks = []
    vm = VM(on_output=chunks.append)
    vm.load('(println "to the vm")\n', "p.lisp")
    vm.run()
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    assert "".join(chunks) == vm.output_text() == "to the vm\n"


# -- default limits: the process stays alive without any flag (issue 18) ------------------------

DOUBLING = {
    "string": '(println :start)\n(var s "xy")\n(while true (assign s (string s s)))\n',
    "append-array": "(println :start)\n(var a [1])\n(while true (assign a (append a a)))\n",
    "append-@array": "(println :start)\n(var a @[1])\n(while true (assign a (append a a)))\n",
    "range": "(println :start)\n(range 1000000000)\n",
    "array/new": "(println :start)\n(array/new 1000000000 0)\n",
    "string/repeat": '(println :start)\n(string/repeat "ab" 1000000000)\n',
}


@pytest.mark.parametrize("name", sorted(DOUBLING))
def test_default_collection_limit_cli(capsys, tmp_path, name):
    from vm.primitives.types import DEFAULT_MAX_COLLECTION
    status, out, err = cli(capsys, tmp_path, DOUBLING[name], "--jit", "0")
    assert status == 1 and out == "start\n"
    assert err.startswith("size-limit: ") and f"the limit of {DEFAULT_MAX_COLLECTION}" in err


@pytest.mark.parametrize("name", sorted(DOUBLING))
def test_default_collection_limit_is_the_same_in_every_tier_and_the_session(name):
    text = DOUBLING[name]
    runs = [run_program(text, "p.lisp", jit=jit) for jit in (0, 1)]
    assert [(r.status, r.error_kind, r.ticks, r.output) for r in runs] == [(1, "size-limit", runs[0].ticks, "start\n")] * 2
    s, snap = session_end(text)
    assert snap.reason == "error" and snap.tick == runs[0].ticks and "size-limit" in snap.error


def test_sizes_are_checked_before_allocating():
    import tracemalloc
    tracemalloc.start()
    try:
        for text in ("(protect (range 100000000))", "(protect (array/new 100000000 0))",
                     '(protect (string/repeat "ab" 100000000))',
                     "(def a (range 4000000)) (protect (append a a))"):
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            r = run_program(text + "\n", "p.lisp")
            assert r.status == 0, r.error_text
            assert tracemalloc.get_traced_memory()[1] - before < 400_000_000, text
    finally:
        tracemalloc.stop()


def test_the_default_limit_is_in_help(capsys):
    from vm.primitives.types import DEFAULT_MAX_COLLECTION
    assert main(["run", "--help"]) == 0
    assert f"{DEFAULT_MAX_COLLECTION:,}" in capsys.readouterr().out.replace("\n", " ")
