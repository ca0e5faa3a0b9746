"""Start-up and loading (issue 15): what loading does not do, so that it stays cheap.

Functions are decoded on first use (vm/bytecode.py CompiledFunction, vm/execute.py
decode_function), not at load; these tests check that unused functions stay undecoded and
that running, stepping (into a function decoded only then), breakpoints and disassembly
give what decoding everything at load gave. (Timings are in tests/bench/bench_scale.py.)
"""

from __future__ import annotations

import textwrap

from vm.api import run_program
from vm.core import VM
from vm.disasm import disassemble_program
from vmdbg.core.session import Session

PROGRAM = textwrap.dedent("""
    (defn unused [x] (* x 1000))
    (defn inner [x]
      (var y (+ x 1))
      (* y 2))
    (defn outer [x]
      (var a (inner x))
      (+ a (inner (+ x 10))))
    (defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
    (println (outer 1))
    (println (fib 12))
""").lstrip()


def functions(vm) -> dict:
    return {f.name: f for f in vm.main.all_functions()}


def decode_everything(vm):
    """What loading did before decoding became lazy."""
    for f in vm.main.all_functions():
        f.decoded


def test_load_decodes_nothing_but_what_runs():
    vm = VM()
    vm.load(PROGRAM, "prog.lisp")
    funcs = functions(vm)
    assert not any(f.is_decoded for name, f in funcs.items() if name != "main")
    vm.run()
    assert vm.status == "finished" and vm.output_text() == "28\n144\n"
    assert funcs["inner"].is_decoded and funcs["outer"].is_decoded and funcs["fib"].is_decoded
    assert not funcs["unused"].is_decoded


def test_lazy_and_eager_decoding_run_alike():
    lazy = VM()
    lazy.load(PROGRAM, "prog.lisp")
    eager = VM()
    eager.load(PROGRAM, "prog.lisp")
    decode_everything(eager)
    for vm in (lazy, eager):
        vm.run()
    assert lazy.output_text() == eager.output_text()
    assert lazy.tick == eager.tick
    # Sliced at every tick too: every stop at the same place.
    places = []
    for vm in (VM(), VM()):
        vm.load(PROGRAM, "prog.lisp")
        if places:
            decode_everything(vm)
        seen = []
        while not vm.halted:
            vm.run(vm.tick + 1)
            frame = vm.current.frames[-1] if vm.current and vm.current.frames else None
            seen.append((vm.tick, frame.func.name if frame else None, frame.ip if frame else None))
        places.append(seen)
    assert places[0] == places[1]


def test_the_jit_flag_is_the_one_at_load():
    vm = VM(jit=1000)
    vm.load(PROGRAM, "prog.lisp")
    inner = functions(vm)["inner"]
    assert not inner.is_decoded
    assert inner.fast_argc == -1        # calls go through the JIT's door, as decoded at load
    plain = VM()
    plain.load(PROGRAM, "prog.lisp")
    assert functions(plain)["inner"].fast_argc == 1


def test_disassembly_needs_no_decoding():
    vm = VM()
    vm.load(PROGRAM, "prog.lisp")
    text = disassemble_program(vm.main, vm.registry)
    assert not functions(vm)["unused"].is_decoded
    eager = VM()
    eager.load(PROGRAM, "prog.lisp")
    decode_everything(eager)
    assert text == disassemble_program(eager.main, eager.registry)
    assert "unused" in text


def stops(session: Session, command, count: int) -> list:
    out = []
    for _ in range(count):
        snap = command()
        out.append((snap.reason, snap.tick, snap.function, snap.line))
        if snap.reason in ("finished", "error"):
            break
    return out


def test_stepping_into_a_function_never_decoded():
    lazy = Session.from_source(PROGRAM, "prog.lisp")
    eager = Session.from_source(PROGRAM, "prog.lisp")
    decode_everything(eager.vm)
    assert not functions(lazy.vm)["inner"].is_decoded
    a = stops(lazy, lazy.step_line, 60)
    b = stops(eager, eager.step_line, 60)
    assert a == b
    assert any(s[2] == "inner" for s in a)


def test_stepping_traps_a_function_decoded_while_running_fast():
    """After Session.fast_after single steps, a step runs at full speed with the entry of
    every function patched; one decoded only then is patched as it is decoded."""
    text = PROGRAM.replace("(println (outer 1))", "(var i 0) (while (< i 300) (assign i (+ i 1))) (println (outer 1))")
    runs = []
    for eager in (False, True):
        s = Session.from_source(text, "prog.lisp")
        s.fast_after = 5
        if eager:
            decode_everything(s.vm)
        else:
            assert not functions(s.vm)["outer"].is_decoded
        runs.append(stops(s, s.step_line, 3000))
    assert runs[0] == runs[1]
    assert any(stop[2] == "outer" for stop in runs[0])
    assert runs[0][-1][0] == "finished"


def test_a_breakpoint_in_a_function_never_decoded():
    runs = []
    for eager in (False, True):
        s = Session.from_source(PROGRAM, "prog.lisp")
        if eager:
            decode_everything(s.vm)
        s.add_breakpoint(function="inner")
        runs.append(stops(s, s.continue_, 10))
    assert runs[0] == runs[1]
    assert [r[2] for r in runs[0][:2]] == ["inner", "inner"]


def test_run_program_output_unchanged():
    out = run_program(PROGRAM, "prog.lisp")
    assert out.output == "28\n144\n" and out.status == 0


# -- what `vmdbg run` imports ------------------------------------------------------------

import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Never needed to run a program: the TUI and its libraries, the JIT's LLVM binding (until
# something compiles), and modules whose import alone costs start-up time.
NOT_ON_THE_RUN_PATH = ("textual", "rich", "pygments", "llvmlite", "hashlib", "json", "platformdirs",
                       "dataclasses", "inspect", "importlib.metadata")


def modules_after(code: str, env: dict) -> set:
    r = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sorted(sys.modules)))"],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    return set(r.stdout.split())


def test_vmdbg_run_of_an_empty_file_imports_only_what_it_needs(tmp_path):
    empty = tmp_path / "empty.lisp"
    empty.write_text("")
    env = dict(os.environ, PYTHONPATH=ROOT, VMDBG_PRELUDE_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("VMDBG_PRELUDE_CACHE", None)
    # What Python itself imports at start-up here (site, .pth files) is not ours.
    python_alone = modules_after("pass", env)
    run = (f"from vmdbg.cli import main\nassert main(['run', {str(empty)!r}]) == 0")
    for attempt in ("cache filled", "cache read"):
        ours = modules_after(run, env) - python_alone
        assert "vm.core" in ours
        bad = sorted(m for m in ours if m.split(".")[0] in NOT_ON_THE_RUN_PATH or m in NOT_ON_THE_RUN_PATH)
        assert bad == [], f"{attempt}: {bad}"
    assert os.listdir(tmp_path / "cache"), "the prelude cache was written"


def test_run_parses_alike_with_only_its_own_parser():
    from vmdbg.cli import build_parser
    for argv in (["run", "x.lisp"], ["run", "x.lisp", "--jit", "3", "--fuel", "9", "--stats", "--no-jit-cache"],
                 ["trace", "x.lisp", "--limit", "5"], ["dis", "x.lisp"], ["jit", "x.lisp"]):
        assert vars(build_parser(argv[0]).parse_args(argv)) == vars(build_parser().parse_args(argv))


def test_the_prelude_cache_hash_is_sha256():
    import hashlib
    from vm.prelude_cache import _sha256
    data = b"vmdbg" * 1000
    assert _sha256(data).digest() == hashlib.sha256(data).digest()
    h = _sha256()
    h.update(data)
    assert h.hexdigest() == hashlib.sha256(data).hexdigest()


def test_the_cache_directory_is_platformdirs_one(monkeypatch):
    platformdirs = __import__("pytest").importorskip("platformdirs")
    from vm.prelude_cache import user_cache_path
    monkeypatch.delenv("VMDBG_TEST_DIR", raising=False)
    for xdg in (None, "/tmp/some-cache", "relative/dir", "  "):
        if xdg is None:
            monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
        else:
            monkeypatch.setenv("XDG_CACHE_HOME", xdg)
        assert user_cache_path("part", "VMDBG_TEST_DIR") == os.path.join(platformdirs.user_cache_dir("vmdbg"), "part")
    monkeypatch.setenv("VMDBG_TEST_DIR", "/elsewhere")
    assert user_cache_path("part", "VMDBG_TEST_DIR") == "/elsewhere"


# -- the debugger's listing, made a line at a time --------------------------------------

def test_a_disassembly_made_line_by_line_is_the_whole_listing():
    import glob
    import random
    import re
    from vm.disasm import Disassembly, disassemble_lines
    paths = sorted(glob.glob(os.path.join(ROOT, "vmdbg", "examples", "*.lisp")))
    assert paths
    rng = random.Random(15)
    for path in paths:
        vm = VM()
        with open(path, encoding="utf-8") as fh:
            vm.load(fh.read(), path)
        for func in vm.main.all_functions():
            whole = tuple(disassemble_lines(func, vm.registry))
            lazy = Disassembly(func, vm.registry)
            order = list(range(len(whole)))
            rng.shuffle(order)                      # any order of first reads
            for i in order:
                assert lazy[i] == whole[i]
            assert len(lazy) == len(whole) and tuple(lazy) == whole and lazy == whole
            if whole:
                assert lazy[-1] == whole[-1] and lazy[1:3] == whole[1:3]
            jumps = {off: int(m.group(1)) for off, text in whole if (m := re.search(r"-> (\d+)", text))}
            assert Disassembly(func).jumps() == jumps


def test_loading_leaves_the_garbage_collector_as_it_found_it():
    import gc
    assert gc.isenabled()
    before = gc.get_freeze_count()          # (whatever else in this process froze)
    vm = VM()
    vm.load(PROGRAM, "prog.lisp")
    assert gc.isenabled() and gc.get_freeze_count() == before
    gc.disable()
    try:
        VM().load(PROGRAM, "prog.lisp")
        assert not gc.isenabled()
    finally:
        gc.enable()
    # A read error on the way: the collector is back on all the same.
    try:
        VM().load("(unclosed", "bad.lisp")
    except Exception:
        pass
    assert gc.isenabled() and gc.get_freeze_count() == before
    # Someone else's frozen objects stay frozen.
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        VM().load(PROGRAM, "prog.lisp")
        assert gc.get_freeze_count() == frozen
    finally:
        if not before:
            gc.unfreeze()
