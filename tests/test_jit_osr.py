"""Loops tier up (issue 14; vm/jit/osr.py, vm/jit/piece.py): a hot loop is compiled on its
own and entered at its header, in functions and at top level.

Every run here is differential: the tiered VM (small thresholds, so loops compile early)
against --jit 0, compared at every stop on everything a stop shows: tick, status, output,
errors and their locations, every fiber's frames (locals and stack) and fuel, and the
globals (top-level variables are globals). Runs are cut into slices, given fuel, paused;
loops are nested, on floats, exit by an error, overflow into big integers, allocate
under a heap budget, or cannot compile (and keep their regions). The debugger still
stops at a breakpoint in a loop that is already compiled.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vm.core import VM
from vm.fuse import FUSED_REGION
from vm.jit.code import JitCode, Tiering


pytest.importorskip("llvmlite")

from test_jit_tiering import norm, state as tiered_state   # noqa: E402

TOP = ("(var i 0)\n(var s 0)\n(while (< i 60000)\n  (assign s (+ s (rem i 7)))\n  (assign i (+ i 1)))\n"
       "(println s)\n")
IN_FN = ("(defn count-up [n]\n  (var i 0)\n  (var s 0)\n  (while (< i n)\n    (assign s (+ s (rem i 7)))\n"
         "    (assign i (+ i 1)))\n  s)\n(println (count-up 60000))\n")
NESTED = ("(defn mandel [size iters]\n  (var inside 0)\n  (var y 0)\n  (while (< y size)\n"
          "    (var ci (- (/ (* 2.0 y) size) 1.0))\n    (var x 0)\n    (while (< x size)\n"
          "      (var cr (- (/ (* 3.0 x) size) 2.0))\n      (var zr 0.0)\n      (var zi 0.0)\n      (var i 0)\n"
          "      (while (and (< i iters) (<= (+ (* zr zr) (* zi zi)) 4.0))\n"
          "        (var t (+ (- (* zr zr) (* zi zi)) cr))\n        (assign zi (+ (* 2.0 (* zr zi)) ci))\n"
          "        (assign zr t)\n        (assign i (+ i 1)))\n      (if (= i iters) (assign inside (+ inside 1)))\n"
          "      (assign x (+ x 1)))\n    (assign y (+ y 1)))\n  inside)\n(println (mandel 30 30))\n")
FLOATS = ("(var x 0.5)\n(var k 0)\n(while (< k 40000)\n  (assign x (+ (* x 0.999) 0.25))\n"
          "  (assign k (+ k 1)))\n(println x)\n")
# Division by zero when i reaches 30,000: long after the loop compiled.
ERROR = ("(defn f [n]\n  (var i 0)\n  (var s 0)\n  (while (< i n)\n    (assign s (+ s (/ 100 (- 30000 i))))\n"
         "    (assign i (+ i 1)))\n  s)\n(println (f 50000))\n")
# s doubles every turn: past 64 bits after a while (the piece bails, then is given up).
OVERFLOW = ("(var i 0)\n(var s 1)\n(while (< i 40000)\n  (if (< i 39900) (assign s (+ (rem s 1000) 1)) (assign s (* s 3)))\n"
            "  (assign i (+ i 1)))\n(println s)\n")
# Prints inside the loop: cannot compile; keeps its regions.
PRINTS = ("(var i 0)\n(var s 0)\n(while (< i 30000)\n  (assign s (+ s i))\n  (if (= (rem i 10000) 0) (println i))\n"
          "  (assign i (+ i 1)))\n(println s)\n")
# A loop inside an expression: values on the stack at its header (stays interpreted).
CALLS = ("(defn sq [x] (* x x))\n(defn g [n]\n  (var i 0)\n  (var s 0)\n  (while (< i n)\n"
         "    (assign s (+ s (sq (rem i 13))))\n    (assign i (+ i 1)))\n  s)\n"
         "(println (g 40000))\n(println (g 20000))\n")
# Two fibers: a loop in each, with fuel on the one it resumes.
FIBERS = ("(defn work [n] (var i 0) (var s 0) (while (< i n) (assign s (+ s i)) (assign i (+ i 1))) s)\n"
          "(var fb (fiber/new (fn [] (work 30000) (work 30000)) [:fuel]))\n"
          "(fiber/set-fuel fb 200000) (println (fiber/resume fb)) (println (fiber/status fb))\n"
          "(var j 0) (var t 0) (while (< j 30000) (assign t (+ t j)) (assign j (+ j 1))) (println t)\n")

PROGRAMS = {"top": TOP, "in a function": IN_FN, "nested floats": NESTED, "floats": FLOATS,
            "error": ERROR, "overflow": OVERFLOW, "prints": PRINTS, "calls": CALLS, "fibers": FIBERS}


def state(vm) -> tuple:
    """What test_jit_tiering compares at a stop, and the globals (a piece writes top-level vars)."""
    return tiered_state(vm) + (tuple(map(norm, vm.globals)),)


def tiered(src, first=4_000, more=2_000, fuel=None, tune=None, **limits) -> VM:
    vm = VM(jit=0, **limits)
    Tiering(first, more).install(vm)
    vm.load(src, "p.lisp")
    if fuel is not None:
        vm.set_fuel(fuel)
    if tune:
        vm.jit_engine().tune(**tune)
    return vm


def plain(src, fuel=None, **limits) -> VM:
    vm = VM(jit=0, **limits)
    vm.load(src, "p.lisp")
    if fuel is not None:
        vm.set_fuel(fuel)
    return vm


def loops(vm) -> list:
    return [st for table in vm.jit_tiering.loop_table.values() for st in table.values()]


def live(vm) -> list:
    return [st for st in loops(vm) if st.piece is not None and st.dead is None]


def entered(vm) -> int:
    """Times native code ran a piece (all tiers)."""
    return sum(c.calls for st in loops(vm) if st.piece is not None
               for c in (vm.jit.codes.get(st.piece, []) if vm.jit else []))


def total_ticks(src, fuel=None) -> int:
    vm = plain(src, fuel)
    vm.run()
    return vm.tick


def sliced(src, stops, fuel=None, tune=None, first=4_000, more=2_000):
    a, b = plain(src, fuel), tiered(src, first, more, fuel, tune)
    for t in stops:
        ra, rb = a.run(until_tick=t), b.run(until_tick=t)
        assert (ra, state(a)) == (rb, state(b)), (src, t)
        if a.halted:
            break
    return b


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_a_tiered_run_ends_as_the_interpreters(name):
    src = PROGRAMS[name]
    a, b = plain(src), tiered(src)
    assert (a.run(), state(a)) == (b.run(), state(b))


def test_a_loop_at_top_level_compiles_and_is_entered():
    vm = sliced(TOP, [10 ** 9])
    assert vm.output_text() == "179994\n"
    (st,) = live(vm)
    assert st.func is vm.main and st.piece.globals and not st.piece.slots
    assert entered(vm) >= 1
    # Most of the loop ran natively: the interpreter's samples saw only its start.
    assert st.work < 20 * 4_000


def test_a_loop_in_a_function_called_once_compiles_and_is_entered():
    vm = sliced(IN_FN, [10 ** 9])
    (st,) = live(vm)
    assert st.func.name == "count-up" and not st.piece.globals and entered(vm) >= 1
    assert not isinstance(st.func.jit_state, JitCode)      # the function itself never ran again


def test_nested_loops_on_floats():
    vm = sliced(NESTED, [10 ** 9])
    assert vm.output_text() == plain_output(NESTED)
    assert live(vm) and entered(vm) >= 1


def plain_output(src) -> str:
    vm = plain(src)
    vm.run()
    return vm.output_text()


def test_a_loop_that_ends_in_an_error_reports_it_where_the_interpreter_does():
    vm = sliced(ERROR, [10 ** 9])
    assert vm.halted and vm.error_site is not None and vm.error_site.span.line == 5
    # The piece ran (up to its bail) and was given up: the interpreter raised the error.
    pieces = [st for st in loops(vm) if st.piece is not None]
    assert pieces and all(st.dead is not None for st in pieces)


def test_a_loop_that_overflows_is_given_up_and_gets_its_regions_back():
    vm = sliced(OVERFLOW, [10 ** 9])
    (st,) = [st for st in loops(vm) if st.piece is not None]
    assert st.dead is not None and st.dead.startswith("gave up")
    saved = vm.jit_tiering.osr_funcs[vm.main]
    assert saved is not None
    # Every entry is the one before the piece (or the region its stub compiled into since).
    for code in (vm.main.decoded, vm.main.fast):
        assert len(code) == len(saved)
        for a, b in zip(code, saved):
            assert a is b or (a[0] == b[0] == FUSED_REGION and a[2] == b[2] and a[1] is not st.entry)


def test_a_loop_that_cannot_compile_keeps_its_regions():
    vm = tiered(PRINTS)
    before = list(vm.main.decoded)
    assert any(e is not None and e[0] == FUSED_REGION for e in before)
    ref = plain(PRINTS)
    assert (ref.run(), state(ref)) == (vm.run(), state(vm))
    (st,) = loops(vm)
    assert st.piece is None and "println" in st.dead
    assert vm.jit_tiering.osr_funcs.get(vm.main) is None        # never touched
    assert [e and e[0] for e in vm.main.decoded] == [e and e[0] for e in before]


def test_runs_cut_into_slices_stop_where_the_interpreter_stops():
    rnd = random.Random(14)
    for name, src in PROGRAMS.items():
        end = total_ticks(src)
        for tune in (None, dict(slice_ns=0, chunk=97, margin=300), dict(slice_ns=0, chunk=5000, margin=2000)):
            stops = sorted(rnd.sample(range(1, end), 8)) + [end + 5]
            sliced(src, stops, tune=tune)


def test_fuel_runs_out_mid_loop_where_it_does_in_the_interpreter():
    for name in ("top", "in a function", "nested floats", "floats", "fibers", "calls"):
        src = PROGRAMS[name]
        end = total_ticks(src)
        for fuel in (end // 3, end // 2 + 17, end - 1, 7_001):
            a, b = plain(src, fuel), tiered(src, fuel=fuel)
            assert (a.run(), state(a)) == (b.run(), state(b)), (name, fuel)


def test_a_pause_in_a_compiled_loop_shows_the_interpreters_state():
    for src in (TOP, IN_FN):
        vm = tiered(src, tune=dict(slice_ns=0, chunk=97, margin=300))
        seen, pauses = [], []

        def between():
            seen.append(vm.tick)
            if len(seen) in (2, 5):
                vm.pause_requested = True
            return False

        while True:
            r = vm.run(between=between)
            if r != "pause":
                break
            ref = plain(src)
            ref.run(until_tick=vm.tick)
            assert state(ref) == state(vm)
            pauses.append(vm.tick)
        ref = plain(src)
        ref.run()
        assert pauses and state(vm) == state(ref)
        assert live(vm)


def test_compiled_loops_leave_the_heap_budget_to_the_interpreter():
    # A loop that builds an array compiles (its push calls the primitive, which charges
    # the budget) and hits :size-limit at the same instruction, with the same accounting.
    src = ("(var a @[])\n(var i 0)\n(var s 0)\n(while (< i 100000)\n  (assign s (+ s i))\n"
           "  (push a i)\n  (assign i (+ i 1)))\n(println s)\n")
    a, b = plain(src, max_heap=50_000), tiered(src, max_heap=50_000)
    assert (a.run(), state(a)) == (b.run(), state(b))
    assert a.status == "error" and "size-limit" in repr(a.error_site) + a.output_text() + str(a.uncaught)
    assert live(b) and a.heap_room == b.heap_room
    # A compiled loop next to the data: the budget's accounting is unchanged by it.
    src2 = ("(var a @[1 2 3])\n(var i 0)\n(var s 0)\n(while (< i 60000) (assign s (+ s (rem i 5))) (assign i (+ i 1)))\n"
            "(var b @[])\n(var j 0)\n(while (< j 100000) (push b j) (assign j (+ j 1)))\n(println s)\n")
    a, b = plain(src2, max_heap=50_000), tiered(src2, max_heap=50_000)
    assert (a.run(), state(a)) == (b.run(), state(b))
    assert live(b) and a.heap_room == b.heap_room


def test_a_breakpoint_in_a_compiled_loop_is_hit():
    from vmdbg.core.session import Session
    text = ("(defn count-up [n]\n  (var i 0)\n  (var s 0)\n  (while (< i n)\n    (assign s (+ s (rem i 7)))\n"
            "    (assign i (+ i 1)))\n  s)\n(println (count-up 100000))\n(println (count-up 1000))\n")
    runs = []
    for osr in (True, False):
        s = Session.from_source(text, "t.lisp")
        if osr:
            Tiering(4_000, 2_000).install(s.vm)
        first = s.run_to(line=9)
        if osr:
            assert live(s.vm) and entered(s.vm) >= 1
        s.add_breakpoint(line=5)
        stops = [s.continue_() for _ in range(3)]
        runs.append([(x.reason, x.tick, x.line, x.output) for x in [first] + stops])
        if osr:
            assert s.vm.main.jit_blocked is False
            fn = [f for f in s.vm.main.all_functions() if f.name == "count-up"][0]
            assert fn.jit_blocked       # the breakpoint blocks the piece
    assert runs[0] == runs[1]
    assert runs[0][1][0] == "breakpoint" and runs[0][1][2] == 5


# -- random loop programs -----------------------------------------------------------------

VARS = ("a", "b", "c")


def expr(draw, depth):
    choice = draw(st.integers(0, 6 if depth < 2 else 2))
    if choice == 0:
        return str(draw(st.integers(-9, 9)))
    if choice == 1:
        return draw(st.sampled_from(VARS + ("i",)))
    if choice == 2:
        return draw(st.sampled_from(("0.5", "1.25", "-2.0", "3")))
    op = draw(st.sampled_from(("+", "-", "*", "rem", "min", "max")))
    x, y = expr(draw, depth + 1), expr(draw, depth + 1)
    if op == "rem":
        return f"(rem {x} 7)"
    return f"({op} {x} {y})"


@st.composite
def loop_programs(draw):
    n = draw(st.integers(2_000, 9_000))
    body = []
    for _ in range(draw(st.integers(1, 3))):
        v = draw(st.sampled_from(VARS))
        e = expr(draw, 0)
        if draw(st.booleans()):
            body.append(f"(if (< (rem i 3) 1) (assign {v} (rem {e} 1000)) (assign {v} (- {v} 1)))")
        else:
            body.append(f"(assign {v} (rem {e} 100000))")
    inner = " ".join(body)
    loop = f"(while (< i {n}) {inner} (assign i (+ i 1)))"
    if draw(st.booleans()):
        return ("(defn run [x y z]\n  (var a x)\n  (var b y)\n  (var c z)\n  (var i 0)\n  " + loop + "\n  (+ a b c))\n"
                f"(println (run 1 2 3))\n(println (run 2 3 4))\n")
    return f"(var a 1)\n(var b 2)\n(var c 3)\n(var i 0)\n{loop}\n(println a b c)\n"


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(src=loop_programs(), cuts=st.lists(st.floats(0, 1), min_size=0, max_size=3),
       fuel=st.one_of(st.none(), st.integers(1_000, 200_000)), seed=st.integers(0, 2))
def test_random_loops_agree_with_the_interpreter(src, cuts, fuel, seed):
    end = total_ticks(src, fuel)
    stops = sorted({max(1, int(c * end)) for c in cuts}) + [end + 5]
    tune = [None, dict(slice_ns=0, chunk=97, margin=300), dict(slice_ns=0, chunk=5000, margin=2000)][seed]
    sliced(src, stops, fuel=fuel, tune=tune, first=3_000, more=1_000)


def test_vmdbg_run_compiles_a_hot_top_level_loop_unless_told_not_to(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    prog = tmp_path / "loop.lisp"
    prog.write_text(TOP.replace("60000", "400000"), encoding="utf-8")
    outs = {}
    for loops in ("1", "0"):
        env = dict(os.environ, VMDBG_JIT_CACHE="0", VMDBG_JIT_LOOPS=loops,
                   PYTHONPATH=str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        r = subprocess.run([sys.executable, "-m", "vmdbg", "run", "--stats", str(prog)], cwd=root, env=env,
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        outs[loops] = r
    assert outs["1"].stdout == outs["0"].stdout == "1199997\n"
    assert "main loop line 3" in outs["1"].stderr and "jit1" in outs["1"].stderr
    assert "loop line" not in outs["0"].stderr
    # The same instruction count either way.
    count = [line for line in outs["1"].stderr.splitlines() if line.startswith("instructions:")]
    assert count and count[0].split()[1] == \
        [line for line in outs["0"].stderr.splitlines() if line.startswith("instructions:")][0].split()[1]


def test_without_superinstructions_loops_tier_up_the_same():
    from vm import execute
    old = execute.FUSION
    execute.FUSION = False
    try:
        for src in (TOP, NESTED, OVERFLOW):
            a, b = plain(src), tiered(src)
            assert (a.run(), state(a)) == (b.run(), state(b))
            assert entered(b) >= 1
    finally:
        execute.FUSION = old


@pytest.mark.parametrize("src", [PRINTS, "(var a @[1 2 3])\n(defn g [f] (var i 0) (var s 0)\n"
                                 "  (while (< i 30000) (assign s (f s (get a (rem i 3)))) (assign i (+ i 1))) s)\n"
                                 "(println (g +))\n"])
def test_a_hot_loop_that_cannot_compile_does_not_load_llvmlite(src):
    # (the second: it reads an array, which compiles, but calls the function it was
    # passed, which does not; the planner says so before the engine is made)
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    code = ("import sys\nfrom vm.core import VM\nfrom vm.jit.code import Tiering\n"
            "vm = VM(jit=0)\nTiering(4000, 2000).install(vm)\n"
            f"vm.load({src!r}, 'p.lisp')\nvm.run()\n"
            "st, = [s for t in vm.jit_tiering.loop_table.values() for s in t.values()]\n"
            "print(st.dead is not None, 'llvmlite' in sys.modules, 'vm.jit.compiler' in sys.modules)\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert r.stdout.split() == ["True", "False", "False"], r.stderr


def test_the_outermost_hot_loop_compiles_first_and_an_inner_one_if_it_stays_hot():
    # mandel: the y loop compiles and runs the x and i loops inside it; they never
    # compile on their own, since the y loop's header comes round again soon.
    vm = tiered(NESTED.replace("(mandel 30 30)", "(mandel 60 30)"), first=40_000, more=30_000)
    ref = plain(NESTED.replace("(mandel 30 30)", "(mandel 60 30)"))
    assert (ref.run(), state(ref)) == (vm.run(), state(vm))
    (st,) = live(vm)
    assert st.head == min(s.head for s in loops(vm))
    # Two turns of an outer loop around a long inner one: the outer compiles first, but
    # its header is far away, so the inner one, still hot, compiles and runs too.
    src = ("(var k 0)\n(var s 0)\n(while (< k 2)\n  (var i 0)\n  (while (< i 200000)\n"
           "    (assign s (+ s (rem i 3)))\n    (assign i (+ i 1)))\n  (assign k (+ k 1)))\n(println s)\n")
    vm, ref = tiered(src), plain(src)
    assert (ref.run(), state(ref)) == (vm.run(), state(vm))
    assert len(live(vm)) == 2
    inner = max(live(vm), key=lambda s: s.head)
    assert sum(c.calls for c in vm.jit.codes[inner.piece]) >= 1
