"""JIT unit tests: tiering, guards, bail-outs, rejection reasons, tier 2, the debugger's say, listings."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import pytest

from vm.api import run_program
from vm.core import VM

FIB = "(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))\n"


def run_both(src: str, **kw):
    """Run `src` interpreted and with --jit=1; assert they agree; return the JIT run."""
    a = run_program(src, "t.lisp", jit=0, **kw)
    b = run_program(src, "t.lisp", jit=1, **kw)
    assert (b.output, b.status, b.error_kind, b.error_text, b.ticks) == \
           (a.output, a.status, a.error_kind, a.error_text, a.ticks)
    return b


def stats(outcome) -> dict:
    return {s["name"]: s for s in outcome.vm.jit.stats()}


def count_native_runs(code) -> list:
    """Wrap a JitCode's entry so the test sees each native run."""
    ran, native = [], code.native
    code.native = lambda *a: ran.append(a) or native(*a)
    return ran


def func_named(vm, name):
    return next(f for f in vm.main.all_functions() if f.name == name)


def test_vm_loads_and_runs_without_llvmlite():
    code = textwrap.dedent("""
        import sys
        from vm.api import run_program
        r = run_program('(defn f [x] (+ x 1)) (println (f 1))', 'x.lisp', jit=0)
        assert r.output == '2\\n', r.output
        assert 'llvmlite' not in sys.modules
    """)
    subprocess.run([sys.executable, "-c", code], check=True)


def test_jit_off_makes_no_engine():
    r = run_program(FIB + "(println (fib 10))", "t.lisp", jit=0)
    assert r.vm.jit is None and r.output == "55\n"


def test_fib_compiles_at_tier_1_and_agrees():
    r = run_both(FIB + "(println (fib 20))")
    s = stats(r)["fib"]
    assert (s["state"], s["tier"], s["calls"]) == ("compiled", "jit1", 1)
    assert s["compile_ms"][1] > 0


def test_threshold_counts_calls():
    src = FIB + "(fib 1) (fib 1) (println (fib 15))"
    vm = VM(jit=3)
    vm.load(src, "t.lisp")
    vm.run()
    fib = func_named(vm, "fib")
    assert vm.output_text() == "610\n"
    # Calls 1 and 2 ran interpreted; the third compiled and ran fib(15) natively.
    assert fib.calls == 3 and vm.jit.tier_of(fib) == "jit1"


def test_self_tail_call_is_a_loop():
    r = run_both("(defn loop [n acc] (if (= n 0) acc (loop (- n 1) (+ acc n))))\n"
                 "(println (loop 1000000 0))")
    assert r.output == "500000500000\n"
    assert stats(r)["loop"]["tier"] == "jit1"


def test_mutual_tail_calls_run_natively_in_constant_stack():
    r = run_both("(defn ev? [n] (if (= n 0) true (od? (- n 1))))\n"
                 "(defn od? [n] (if (= n 0) false (ev? (- n 1))))\n"
                 "(println (ev? 1000000))")
    assert r.output == "true\n"
    assert stats(r)["ev?"]["tier"] == "jit1" and stats(r)["od?"]["tier"] == "jit1"


def test_while_loop_with_floats():
    r = run_both("(defn w [n] (var i 0) (var s 0.0) (while (< i n) (assign s (+ s 0.5)) (assign i (+ i 1))) s)\n"
                 "(println (w 11))")
    assert r.output == "5.5\n" and stats(r)["w"]["tier"] == "jit1"


def test_mutable_parameters_in_cells_compile():
    """The compiler boxes mutable parameters in cells; with no closure to share them,
    compiled code keeps them as plain values."""
    r = run_both("(defn collatz [@n] (var s 0)\n"
                 "  (while (> n 1) (if (= (rem n 2) 0) (assign n (/ n 2)) (assign n (+ (* 3 n) 1)))"
                 " (assign s (+ s 1))) s)\n(println (collatz 27) (collatz 97))")
    assert r.output == "111118\n" and stats(r)["collatz"]["tier"] == "jit1"


# -- guards and bail-outs -----------------------------------------------------------

@pytest.mark.parametrize("arg", ["2.5", "true", "nil", '"s"', "100000000000000000000000", "-0.0"])
def test_argument_guards(arg):
    r = run_both(f"(defn f [x] (if (= x nil) :nil (if (number? x) (* x 2) x)))\n(println (f {arg}))")
    assert r.status == 0


def test_speculation_on_argument_types_and_respecialising():
    """Compiled at a call with an integer, the code checks for integers (other types bail);
    when that keeps failing, it is compiled again for any type rather than given up."""
    src = ("(defn f [x] (* x 2))\n(println (f 21))\n"
           "(var i 0) (var s 0.0) (while (< i 150) (assign s (+ s (f 1.5))) (assign i (+ i 1)))\n(println s)")
    r = run_both(src)
    assert r.output == "42\n450.0\n"
    f = func_named(r.vm, "f")
    assert r.vm.jit.tier_of(f) == "jit1" and f.jit_state.param_types == (None,)
    assert len(r.vm.jit.codes[f]) == 2 and r.vm.jit.codes[f][0].param_types == (0,)


def test_overflow_bails_to_exact_big_integers():
    r = run_both("(defn sq [x] (* x x)) (println (sq 3)) (println (sq 4000000000000))")
    assert r.output == "9\n16000000000000000000000000\n"
    assert stats(r)["sq"]["bails"].get("overflow") == 1


def test_integer_edge_cases():
    r = run_both("(defn d [a b] [(/ a b) (rem a b) (mod a b)])\n"
                 "(println (d -7 2) (d 7 -2) (d -9223372036854775808 -1) (d 9223372036854775807 1))\n"
                 "(defn n [a] (- a)) (println (n -9223372036854775808))")
    assert "9223372036854775808" in r.output


@pytest.mark.parametrize("expr", ["(f 1 0)", "(f 1.5 0)", "(f 1 0.0)", "(f 1 -0.0)", "(g 5 0)"])
def test_division_by_zero_bails_and_errors_at_the_same_place(expr):
    r = run_both(f"(defn f [a b] (/ a b)) (defn g [a b] (rem a b))\n{expr}")
    assert r.error_kind == "division-by-zero" and "t.lisp:1:" in r.error_text


def test_type_error_inside_compiled_code_is_the_interpreters():
    r = run_both("(defn f [a b] (+ a b)) (f 1 2) (f 1 true)")
    assert r.error_kind == "type-error"


def test_mixed_int_float_comparison_is_exact():
    r = run_both("(defn lt [a b] (< a b)) (defn eq [a b] (= a b))\n"
                 "(println (lt 9007199254740993 9007199254740992.0) (eq 9007199254740993 9007199254740992.0)"
                 " (lt 1 1.5) (eq 2 2.0))")
    assert r.output == "falsefalsetruetrue\n"


def test_depth_limit_is_the_interpreters():
    src = "(defn down [n] (if (= n 0) 0 (+ 1 (down (- n 1)))))\n(println (down 40))\n(down 100)"
    a = run_program(src, "t.lisp", jit=0, max_depth=60)
    b = run_program(src, "t.lisp", jit=1, max_depth=60)
    assert (a.output, a.error_kind, a.error_text, a.ticks) == (b.output, b.error_kind, b.error_text, b.ticks)
    assert b.error_kind == "stack-overflow"
    assert stats(b)["down"]["bails"].get("depth") == 1


@pytest.mark.parametrize("fuel", [1, 5, 100, 1234, 20000])
def test_fuel_stops_at_the_same_instruction(fuel):
    src = FIB + ("(def f (fiber/new (fn [] (fib 15)) :fuel))\n(fiber/set-fuel f %d)\n"
                 "(var r (fiber/resume f))\n(var pauses 0)\n"
                 "(while (= (fiber/status f) :paused) (assign pauses (+ pauses 1))"
                 " (fiber/set-fuel f %d) (assign r (fiber/resume f)))\n(println r pauses)") % (fuel, fuel)
    r = run_both(src)
    assert r.output.startswith("610")


def test_root_fuel_pause_matches():
    run_both(FIB + "(println (fib 18))", fuel=5000)


def test_run_target_is_never_passed():
    vm_a, vm_b = VM(jit=0), VM(jit=1)
    for vm in (vm_a, vm_b):
        vm.load(FIB + "(println (fib 1)) (println (fib 16))", "t.lisp")
    for target in (50, 300, 5000, 6000):
        assert vm_a.run(target) == vm_b.run(target) == "limit"
        assert vm_a.tick == vm_b.tick == target
        fa, fb = vm_a.current.frames[-1], vm_b.current.frames[-1]
        assert (fa.func.name, fa.ip, repr(fa.stack)) == (fb.func.name, fb.ip, repr(fb.stack))
    assert vm_a.run() == vm_b.run() == "finished"
    assert vm_a.output_text() == vm_b.output_text() and vm_a.tick == vm_b.tick


# -- rejections ---------------------------------------------------------------------

REJECTIONS = [
    ("(defn f [x] (yield x))", "yields"),
    ("(defn f [x] (emit :debug x))", "emits a signal"),
    ("(defn f [x] (error x))", "raises an error"),
    ("(defn f [x] (fn [] x))", "creates closures"),
    ("(defn f [x] (println x))", "calls impure primitive println"),
    ("(defn f [x] (string x))", "calls primitive string, which the JIT does not translate"),
    ("(defn f [x] (fiber/resume x))", "calls fiber/resume"),
    ("(defn f [x & more] x)", "takes &opt or & rest parameters"),
    ("(defn f [x &opt y] x)", "takes &opt or & rest parameters"),
    ("(def @counter 0) (defn f [x] (+ x counter))", "reads mutable global counter"),
    ("(defn f [x] [x])", "works on collections"),
    ("(defn f [x] (first x))", "works on collections"),
    ('(defn f [x] "text")', "uses a string constant"),
    ("(defn f [x] (x 1))", "calls a function computed at run time"),
    ("(defn g [x] (println x)) (defn f [x] (g x))", "calls g, which is not compiled"),
    ("(defn g [y] y) (defn f [x] (g g))", "passes as an argument a function value (g)"),
    ("(def k 1000000000000000000000) (defn f [x] (+ x k))", "reads global k, which holds"),
    ("(def s \"str\") (defn f [x] s)", "reads global s, which holds a string"),
]


@pytest.mark.parametrize("defs,reason", REJECTIONS)
def test_rejection_reasons(defs, reason):
    src = f"{defs}\n(protect (f 1))\n(protect (f 2))"
    a = run_program(src, "t.lisp", jit=0)
    b = run_program(src, "t.lisp", jit=1)
    assert (a.output, a.status, a.ticks) == (b.output, b.status, b.ticks)
    s = stats(b)["f"]
    assert s["state"] == "rejected" and reason in s["reason"], s["reason"]
    f = func_named(b.vm, "f")
    # Rejected at the first call and never retried; back on the interpreter's fast path.
    assert f.jit_state.calls_at == 1 and (f.calls == 1 or f.rest or f.nopt)
    assert f.fast_argc == (-1 if (f.rest or f.nopt) else f.nparams)


def test_a_closure_reading_what_it_captured_compiles():
    # (tests/test_jit_closures.py has the rest: calls of closures, captured cells)
    r = run_both("(defn mk [k] (fn [x] (+ x k))) (def add5 (mk 5)) (println (add5 1) (add5 2))")
    assert r.output == "67\n" and stats(r)["fn"]["state"] == "compiled"


def test_internal_jit_errors_fall_back(monkeypatch):
    import vm.jit.translate as T

    def broken(self):
        raise RuntimeError("boom")
    monkeypatch.setattr(T.FunctionTranslator, "translate", broken)
    r = run_both(FIB + "(println (fib 12))")
    s = stats(r)["fib"]
    assert s["state"] == "rejected" and "JIT error: RuntimeError: boom" in s["reason"]


def test_function_that_keeps_bailing_is_given_up():
    r = run_both("(defn f [x] (+ x 1))\n"
                 "(var i 0) (while (< i 200) (f \"s\") (assign i (+ i 1)))" .replace('(f "s")', '(protect (f "s"))'))
    s = stats(r)["f"]
    assert s["state"] == "rejected" and "bails too often" in s["reason"]


# -- tier 2 -------------------------------------------------------------------------

def test_tier_2_after_a_thousand_more_calls():
    r = run_both("(defn sq [x] (* x x))\n(var i 0) (var s 0)\n"
                 "(while (< i 1100) (assign s (+ s (sq i))) (assign i (+ i 1)))\n(println s)")
    s = stats(r)["sq"]
    assert s["tier"] == "jit2" and set(s["compile_ms"]) == {1, 2}
    assert "t1" in r.vm.jit.format_stats() and "t2" in r.vm.jit.format_stats()


# -- the debugger wins --------------------------------------------------------------

def test_blocked_function_and_its_callers_run_interpreted():
    vm = VM(jit=1)
    vm.load("(defn g [x] (* x 2)) (defn f [x] (+ (g x) 1)) (println (f 1)) (println (f 2)) (println (f 3))",
            "t.lisp")
    g, f = func_named(vm, "g"), func_named(vm, "f")
    while vm.output_text() != "3\n":
        vm.step()
    assert vm.jit.tier_of(f) == "jit1"
    ran = count_native_runs(f.jit_state)
    g.jit_blocked = True        # what the Session does when it patches a breakpoint into g
    vm.run()
    assert vm.output_text() == "3\n5\n7\n" and ran == []


def test_stepping_runs_interpreted():
    vm = VM(jit=1)
    vm.load(FIB + "(println (fib 10))", "t.lisp")
    engine, ran = vm.jit_engine(), []
    compile_ = engine.compile

    def compile_and_watch(func, args=None):
        code = compile_(func, args)
        ran.append(count_native_runs(code))
        return code
    engine.compile = compile_and_watch
    vm.stepping = True
    vm.run()
    assert vm.output_text() == "55\n" and ran == [[]]


def test_rebound_global_is_not_called_natively():
    """Compiled code calls g directly; if the global ever holds something else (a
    checkpoint restored to before g's definition), the call runs interpreted."""
    vm = VM(jit=1)
    vm.load("(defn g [x] (* x 2)) (defn f [x] (+ (g x) 1)) (println (f 1))", "t.lisp")
    vm.run()
    f = func_named(vm, "f")
    from vm.jit.code import guards_hold
    assert guards_hold(vm, f.jit_state)
    index = vm.table.names.index("g")
    saved, vm.globals[index] = vm.globals[index], None
    assert not guards_hold(vm, f.jit_state)
    vm.globals[index] = saved


def test_pause_request_interrupts_a_native_loop():
    """The compiled while loop hands its frame over at its back-edge: the pause lands at
    the loop head with the true i for the tick (6 ticks a turn from tick 10), no bail."""
    vm = VM(jit=1)
    vm.load("(defn spin [] (var i 0) (while true (assign i (+ i 1))))\n(spin)", "t.lisp")
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("why", vm.run()))
    t.start()
    time.sleep(0.5)
    vm.pause_requested = True
    t.join(10)
    assert not t.is_alive() and result["why"] == "pause"
    code = func_named(vm, "spin").jit_state
    assert code.bails == {} and code.exits == 1
    frame = vm.current.frames[-1]
    assert (frame.func.name, frame.ip, frame.stack) == ("spin", 10, [])
    assert vm.tick == 10 + 6 * frame.locals[0] and vm.tick > 1_000_000


# -- reporting ----------------------------------------------------------------------

def test_listings_show_bytecode_ir_and_assembly():
    r = run_both(FIB + "(println (fib 5))")
    bc, ir_text, asm = r.vm.jit.listings(func_named(r.vm, "fib"))
    assert "LoadLocal" in bc and "define" in ir_text and "ret" in asm
    assert r.vm.jit.listings(r.vm.main) is None


def test_format_stats_names_functions_tiers_and_reasons():
    r = run_both(FIB + "(defn p [x] (println x)) (p (fib 5))")
    text = r.vm.jit.format_stats()
    assert "fib" in text and "jit1" in text and "rejected: calls impure primitive println" in text


def test_cli_jit_prints_three_listings_per_compiled_function(tmp_path, capsys):
    from vmdbg.cli import main
    prog = tmp_path / "p.lisp"
    prog.write_text(FIB + "(defn show [x] (println x))\n(show (fib 12))\n")
    assert main(["jit", str(prog)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("144\n")
    assert "=== fib (" in out and "jit1" in out and "=== show" not in out
    for header in ("--- bytecode ---", "--- optimised LLVM IR ---", "--- native assembly ---"):
        assert out.count(header) == 1


def test_a_jit_that_cannot_start_falls_back(monkeypatch):
    import vm.jit.compiler as compiler

    def broken(self, vm):
        raise ImportError("no llvmlite here")
    monkeypatch.setattr(compiler.Engine, "__init__", broken)
    r = run_program(FIB + "(println (fib 15))", "t.lisp", jit=1)
    assert r.output == "610\n" and r.status == 0 and r.vm.jit_threshold == 0
    assert "JIT unavailable" in func_named(r.vm, "fib").jit_state.reason


# -- calls from regions (vm/regions.py goes into compiled code without the loop) ----------

# `drive` reads a mutable global, so the JIT rejects it: its loop is an interpreted region
# that calls the compiled `inc1`.
DRIVE = """(def @step 1)
(defn inc1 [x] (+ x 1))
(defn drive [n] (var i 0) (var s 0) (while (< i n) (assign s (inc1 s)) (assign i (+ i step))) s)
(println (drive {n}))
"""


def test_a_hot_interpreted_loop_calls_compiled_code_from_its_region_counting_each_call(monkeypatch):
    from vm import execute
    through_the_loop = []
    enter = execute.jit_enter
    monkeypatch.setattr(execute, "jit_enter", lambda *a: through_the_loop.append(1) or enter(*a))
    r = run_both(DRIVE.format(n=1500))
    assert len(through_the_loop) < 5     # the first calls, before the loop's region is hot
    assert r.output == "1500\n"
    s = stats(r)
    assert s["drive"]["state"] == "rejected"
    # Every call counted once, and the 1,000 calls after compiling promoted it to tier 2.
    assert (s["inc1"]["calls"], s["inc1"]["tier"]) == (1500, "jit2")
    drive = func_named(r.vm, "drive")
    sources = [e[1].source for e in drive.decoded if e is not None and hasattr(e[1], "source")]
    assert any("RUN_COMPILED" in src for src in sources), "the loop's region never called native code"


def test_compiled_code_called_from_a_region_bails_to_the_interpreter_exactly():
    """inc1 overflows 64 bits partway: the bail re-runs that call interpreted, and from then
    on the result is a big integer the compiled code does not take."""
    src = DRIVE.replace("(var s 0)", "(var s 9223372036854775800)").format(n=40)
    r = run_both(src)
    assert r.output == "9223372036854775840\n"
    assert stats(r)["inc1"]["bails"]


@pytest.mark.parametrize("fuel", [7, 50, 333, 1000])
def test_fuel_pauses_in_a_region_calling_compiled_code_match_the_interpreter(fuel):
    src = DRIVE.format(n=300).replace("(println (drive 300))", in_fuel_slices("(drive 300)", fuel))
    r = run_both(src)
    assert r.output.startswith("300 ")


def in_fuel_slices(call: str, fuel: int) -> str:
    """Run `call` in a fiber given `fuel` at a time until it is done; print its value, the
    number of slices and the fuel left after the first."""
    return (f"(def f (fiber/new (fn [] {call}) :fuel))\n"
            f"(var seen @[])\n"
            f"(while (not= (fiber/status f) :dead)\n"
            f"  (fiber/set-fuel f {fuel}) (fiber/resume f) (push seen (fiber/fuel f)))\n"
            f"(println (fiber/value f) \" \" (length seen) \" \" (get seen 0))")


def test_a_breakpoint_in_compiled_code_called_from_a_hot_region_is_hit_every_time():
    from vmdbg.core.session import Session
    s = Session.from_source(DRIVE.format(n=200) + "(println (drive 20))\n", "t.lisp", jit=1)
    bp = s.add_breakpoint(line=5)       # the second (drive 20): the loop has run hot
    assert s.continue_().reason == "breakpoint"
    s.remove_breakpoint(bp.id)
    bp = s.add_breakpoint(function="inc1")
    hits = 0
    while (snap := s.continue_()).reason == "breakpoint":
        assert snap.frames[0].function == "inc1"
        hits += 1
    assert hits == 20 and snap.output == "200\n20\n"


# -- what a function's calls of itself return -------------------------------------------

def plan_of(src: str, name: str, args):
    from vm.jit.analyse import analyse, resolver_for
    from vm.jit.compiler import speculated_types
    vm = VM(jit=0)
    vm.load(src, "t.lisp")
    vm.run()
    func = func_named(vm, name)
    return analyse(func, resolver_for(vm), speculated_types(args))


def test_fib_is_proved_to_return_an_int_from_its_own_calls():
    from vm.jit.code import TAG_BOOL, TAG_FLOAT, TAG_INT
    assert plan_of(FIB, "fib", [10]).self_return == TAG_INT
    # Without the speculation on n there is nothing to prove.
    assert plan_of(FIB, "fib", None).self_return is None
    halves = "(defn h [x] (if (< x 1.0) x (+ (h (- x 1.0)) 0.5)))"
    assert plan_of(halves, "h", [3.5]).self_return == TAG_FLOAT
    parity = "(defn b [n] (if (< n 1) (= n 0) (not (b (- n 1)))))"
    assert plan_of(parity, "b", [7]).self_return == TAG_BOOL


@pytest.mark.parametrize("src, name", [
    # Returns an int on one path and a float on another: no single type.
    ("(defn g [n] (if (< n 1) 1 (if (< n 5) 2.5 (+ 0 (g (- n 1))))))", "g"),
    # Assuming the keyword it returns at the bottom, the + above it gives no single type:
    # the second flow refutes the assumption.
    ("(defn k [n] (if (< n 1) :k (+ 1 (k (- n 1)))))", "k"),
])
def test_mixed_results_are_not_assumed(src, name):
    assert plan_of(src, name, [7]).self_return is None


@pytest.mark.parametrize("body, call", [
    ("(defn g [n] (if (< n 1) 1 (if (< n 5) 2.5 (+ 0 (g (- n 1))))))", "(g 40)"),
    # Doubling overflows 64 bits partway: the bail re-runs the whole call with big integers.
    ("(defn d [n] (if (= n 0) 1 (let [x (d (- n 1))] (+ x x))))", "(d 70)"),
    ("(defn d [n] (if (= n 0) 1 (* 2 (d (- n 1)))))", "(d 80)"),
    ("(defn h [x] (if (< x 1.0) x (+ (h (- x 1.0)) 0.5)))", "(h 30.25)"),
    ("(defn t [n] (if (< n 2) n (- (t (- n 1)) (t (- n 2)))))", "(t 25)"),
    ("(defn b [n] (if (< n 1) (= n 0) (not (b (- n 1)))))", "(b 301)"),
    ("(defn k [n] (if (< n 1) :k (+ 1 (k (- n 1)))))", "(protect (k 5))"),
])
def test_self_calls_with_proved_results_agree_with_the_interpreter(body, call):
    r = run_both(f"{body}\n(println {call})")
    assert r.status == 0


# -- `(+ x (f ...))` returned: a turn of a loop at tier 1 -----------------------------------

def test_fib_s_last_call_is_a_turn_of_a_loop_in_tier_1():
    r = run_both(FIB + "(println (fib 22))")
    asm = r.vm.jit.listings(func_named(r.vm, "fib"))[2]
    assert asm.count("call") < 4, asm      # one recursive call left (plus the refill)
    assert r.output == "17711\n"


ACCUMULATING = [
    ("(defn cnt [n] (if (< n 1) 0 (+ 1 (cnt (- n 1)))))", "(cnt 150)"),
    ("(defn tri [n] (if (= n 0) 0 (+ n (tri (- n 1)))))", "(tri 180)"),
    # The put-aside sum overflows 64 bits partway: the bail re-runs the call with big integers.
    ("(defn big [n] (if (= n 0) 0 (+ 4611686018427387904 (big (- n 1)))))", "(big 9)"),
    ("(defn big [n] (if (= n 0) 0 (+ -4611686018427387904 (big (- n 1)))))", "(big 9)"),
    # Both calls feed the sum, and the base case is not zero.
    ("(defn fib3 [n] (if (< n 3) 1 (+ (fib3 (- n 1)) (+ (fib3 (- n 2)) (fib3 (- n 3))))))", "(fib3 18)"),
    ("(defn g [n] (if (< n 2) (* n 3) (+ (g (- n 2)) (g (- n 1)))))", "(g 19)"),
]


@pytest.mark.parametrize("body, call", ACCUMULATING)
def test_accumulating_self_calls_agree_with_the_interpreter(body, call):
    r = run_both(f"{body}\n(println {call})")
    assert r.status == 0


@pytest.mark.parametrize("depth", [5, 40, 149, 150, 151, 200])
def test_the_depth_limit_falls_where_the_calls_would_have_reached_it(depth):
    """cnt's calls become turns of a loop; the VM's depth limit must still stop it at the
    same call, with the same error, as the interpreter's frames would."""
    r = run_both("(defn cnt [n] (if (< n 1) 0 (+ 1 (cnt (- n 1)))))\n(println (cnt 150))",
                 max_depth=depth)
    if depth > 151:
        assert r.output == "150\n"
    else:
        assert r.error_kind == "stack-overflow"


@pytest.mark.parametrize("fuel", [9, 100, 777, 5000])
def test_fuel_pauses_inside_accumulating_calls_match_the_interpreter(fuel):
    r = run_both(FIB + in_fuel_slices("(fib 16)", fuel))
    assert r.output.startswith("987 ")


@pytest.mark.parametrize("depth", [60, 149, 151])
def test_tier_2_keeps_the_turns_and_the_depth_limit(depth):
    """After 1,000 calls from the interpreter cnt is compiled again at tier 2, which runs
    the same turns (not the unrolled copy tier 2 makes of other recursive functions)."""
    src = ("(defn cnt [n] (if (< n 1) 0 (+ 1 (cnt (- n 1)))))\n"
           "(var i 0) (var s 0) (while (< i 1100) (assign s (+ s (cnt 3))) (assign i (+ i 1)))\n"
           "(println s (protect (cnt 150)))")
    r = run_both(src, max_depth=depth)
    code = func_named(r.vm, "cnt").jit_state
    assert code.level == 2 and "_r" not in code.ir_text
    assert r.output.startswith("3300")
