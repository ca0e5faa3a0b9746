"""The fast paths of regions and routines beyond small integers (floats and int/float mixing,
comparisons of floats and strings, primitives called from compiled code, array and struct
access, push/put, the library's map/filter/fold calling closures) change nothing a user can
see: stopped at any tick, every fiber is in the same state with and without them (execute.FUSION
off runs no superinstruction, region or routine), errors come from the same form with the
same message, and fuel runs out at the same instruction."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings, strategies as st

from vm import execute
from vm.api import run_program
from vm.core import VM
from vmdbg.core.session import Session

from test_fiber_switches import state as full_state    # every fiber's state, frames included
from test_regions import stops as region_stops          # the state at every stop of a sliced run

PROGRAMS = {
    # Mandelbrot-like: float arithmetic, ints mixed in, float comparisons feeding branches.
    "floats": """
(defn mandel [size max-iter]
  (var count 0) (var y 0)
  (while (< y size)
    (def ci (- (/ (* 2.0 y) size) 1.0))
    (var x 0)
    (while (< x size)
      (def cr (- (/ (* 2.0 x) size) 1.5))
      (var zr 0.0) (var zi 0.0) (var i 0)
      (while (and (< i max-iter) (<= (+ (* zr zr) (* zi zi)) 4.0))
        (def t (+ (- (* zr zr) (* zi zi)) cr))
        (assign zi (+ (* (* 2.0 zr) zi) ci))
        (assign zr t)
        (assign i (+ i 1)))
      (if (= i max-iter) (assign count (+ count 1)))
      (assign x (+ x 1)))
    (assign y (+ y 1)))
  count)
(println (mandel 6 12))
""",
    # Every operator on every pair of int and float, -0.0, nan and inf, rem, and a division
    # by zero (float and int) raised from inside a hot loop.
    "mixed arithmetic": """
(defn mix [n]
  (var acc 0) (var f 0.5) (var i 0) (var log @[])
  (while (< i n)
    (assign acc (+ acc (* i f)))
    (assign f (- f 0.125))
    (push log (/ i 4))
    (push log (/ i 4.0))
    (push log (rem i 3))
    (push log (rem 7.5 (+ i 1)))
    (push log (* -0.0 i))
    (push log (- 1e308 (* i 1e308)))
    (when (> acc 1e300) (assign acc (* acc acc)))
    (assign i (+ i 1)))
  [acc f (length log) (get log 5) (get log -1)])
(println (mix 30))
(defn div-loop [d]
  (var i 0) (var s 0.0)
  (while (< i 40) (assign s (+ s (/ 1.0 (- d i)))) (assign i (+ i 1)))
  s)
(println (protect (div-loop 20.0)))
(println (protect (div-loop 20)))
(println (div-loop 100.5))
""",
    # Comparisons of floats, of ints with floats and of strings; a keyword and a mixed pair
    # reach `<` in a compiled loop: the error names the comparison's form.
    "comparisons": """
(defn count-less [xs pivot]
  (var i 0) (var c 0)
  (while (< i (length xs))
    (when (< (get xs i) pivot) (assign c (+ c 1)))
    (when (>= (get xs i) pivot) (assign c (+ c 100)))
    (assign i (+ i 1)))
  c)
(println (count-less [1 2.5 3 -0.0 4.75 1e10] 3))
(println (count-less ["pear" "apple" "fig" "kiwi"] "grape"))
(println (count-less [1.5 2.5 3.5 4.5 5.5 6.5] 4.0))
(println (protect (count-less [1 2 :k 4] 3)))
(count-less [1 2 3 "four" 5] 3)
""",
    # @array get/put/push/length, negative and out-of-range indexes, wrong types, immutable
    # arrays, structs, strings: insertion sort and friends.
    "arrays": """
(defn make-data [n]
  (def a @[]) (var s 12345) (var i 0)
  (while (< i n)
    (assign s (rem (+ (* s 1103515245) 12345) 2147483648))
    (push a (rem s 1000))
    (assign i (+ i 1)))
  a)
(defn isort [a]
  (def n (length a)) (var i 1)
  (while (< i n)
    (def key (get a i)) (var j (- i 1))
    (while (and (>= j 0) (> (get a j) key))
      (put a (+ j 1) (get a j))
      (assign j (- j 1)))
    (put a (+ j 1) key)
    (assign i (+ i 1)))
  a)
(println (isort (make-data 40)))
(defn reads [c n]
  (var i (- 0 n)) (var out @[])
  (while (< i n) (push out (get c i)) (assign i (+ i 1)))
  out)
(println (reads [1 2 3] 5) (reads "abc" 4) (reads @[:a :b] 3) (reads {1 :one -1 :neg} 2))
(println (reads (list 1 2 3) 4))
(defn writes [c n]
  (var i 0)
  (while (< i n) (put c i (* i i)) (assign i (+ i 1)))
  c)
(println (writes @[0 0 0 0 0] 5) (writes [0 0 0] 3) (writes @{} 4))
(println (protect (writes @[0 0 0] 5)))
(println (protect (reads 42 3)))
(defn pushes [c n] (var i 0) (while (< i n) (push c i) (assign i (+ i 1))) [(length c) c])
(println (pushes @[] 6) (pushes [9] 3))
(println (protect (pushes "no" 3)))
(println (length {:a 1 :b 2}) (length "héllo") (length (list 1 2)))
(writes @[0 0] 5)
""",
    # Struct reads by keyword, string, integer, float, boolean and nil keys; mutable
    # structs changed between reads; a read of something not a collection raises.
    "structs": """
(defn sget [st ks]
  (var i 0) (var out @[])
  (while (< i (length ks)) (push out (get st (get ks i))) (assign i (+ i 1)))
  out)
(def st {:a 1 "b" 2 3 3 true 4 1.5 5 nil 6})
(println (sget st [:a "b" 3 3.0 true 1 1.5 :zz nil false]))
(def ms @{:n 0})
(defn bump [s k] (var i 0) (while (< i k) (put s :n (+ (get s :n) 1)) (assign i (+ i 1))) (get s :n))
(println (bump ms 30) (sget ms [:n :n]))
(defn total [rows] (if (< (length rows) 1) 0 (+ (get (get rows 0) :v) (total (slice rows 1)))))
(println (total [{:v 1} {:v 2.5} {:v -3}]) (total [{:v 1} {:v 2}]))
(println (protect (total [{:v 1} {:w 2}])))
(sget st [:a 2])
(sget 42 [:a])
""",
    # Routines (whole functions compiled): floats, division, get/length, pure primitives,
    # integers near the size limit of `*`, and an error raised from a routine's callee.
    "routines": """
(defn dist2 [x y] (+ (* x x) (* y y)))
(defn walk [xs i acc] (if (>= i (length xs)) acc (walk xs (+ i 1) (+ acc (sqrt (dist2 (get xs i) 1.5))))))
(defn halves [n] (if (< n 1) 0.0 (+ (/ n 2) (/ n 2.0) (rem n 3) (halves (- n 1)))))
(defn fact [n] (if (< n 2) 1 (* n (fact (- n 1)))))
(defn sq [x] (* x x))
(defn grow [x k] (if (= k 0) (length (string x)) (grow (sq x) (- k 1))))
(defn pick [xs i] (if (< i 0) :none (if (> (get xs i) 2.5) (get xs i) (pick xs (- i 1)))))
(println (walk [1 2.5 -3 4.25] 0 0) " " (halves 40) " " (length (string (fact 60))))
(println (pick [1 2 3.5 0.5] 3) " " (pick ["a"] -1) " " (grow 3 10))
(println (protect (pick [1 :x 3] 2)))
(println (protect (halves 2.5)))
(println (protect (grow 3 20)))
(walk [1 2 "3"] 0 0)
""",
    # Strings: building a big string from pieces, string comparisons, string/join.
    "strings": """
(defn build [n]
  (def parts @[]) (var i 0)
  (while (< i n)
    (push parts (string i ":" (* i 0.5)))
    (assign i (+ i 1)))
  (string/join parts ","))
(def s (build 30))
(println (length s) " " (slice s 0 40))
(defn longest [words]
  (var best "") (var i 0)
  (while (< i (length words))
    (when (> (length (get words i)) (length best)) (assign best (get words i)))
    (when (< (get words i) best) (assign best (string best "!")))
    (assign i (+ i 1)))
  best)
(println (longest ["a" "abc" "ab" "abcd" "b"]))
(println (protect (string/join [1 2] ",")))
""",
    # map, filter and fold with closures and primitives; a closure that raises mid-way and
    # one that runs out of fuel inside a fiber.
    "higher order": """
(println (fold + 0 (range 50)) " " (fold * 1 (range 1 12)) " " (fold + 0.5 [1 2.5 3]))
(println (map (fn [x] (* x x)) (range 12)))
(println (filter (fn [x] (< (rem x 3) 1)) (range 20)))
(println (fold (fn [acc x] (+ acc (* 2 x))) 0 (range 30)))
(println (map (fn [x] (string x "!")) ["a" "b" "c"]))
(println (fold max 0 [3 9 2 11 4]) (fold < 0 [1]))
(println (protect (fold (fn [acc x] (if (= x 17) (+ acc "boom") (+ acc x))) 0 (range 30))))
(println (protect (map (fn [x] (/ 10 (- x 5))) (range 9))))
(println (protect (fold + 0 [1 2 :three 4])))
(def worker (fiber/new (fn [] (fold (fn [a x] (+ a x)) 0 (range 400))) :fuel))
(fiber/set-fuel worker 500)
(fiber/resume worker)
(println (fiber/status worker))
(fiber/set-fuel worker 100000)
(println (fiber/resume worker))
(fold (fn [acc x] (+ acc (get x 0))) 0 [[1] [2] 3])
""",
}


def stops(text, fusion, strides):
    return region_stops(text, fusion, strides, state=full_state, most=100_000)


# Short slices put the limit at every offset of the loop bodies; longer ones let routines
# and whole stretches of blocks run.
STRIDES = [5, 6, 7, 9, 13, 8, 11, 17, 10, 23, 12, 31, 14, 6, 19, 47, 15, 101, 64, 333]


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_every_stop_is_the_same_with_and_without_fast_paths(name):
    on, vm_on = stops(PROGRAMS[name], True, STRIDES)
    off, vm_off = stops(PROGRAMS[name], False, STRIDES)
    assert on == off
    assert "".join(vm_on.output) == "".join(vm_off.output)


def run_both(text, **kw):
    results = []
    for fusion in (True, False):
        old = execute.FUSION
        execute.FUSION = fusion
        try:
            out = run_program(text, "prog.lisp", **kw)
        finally:
            execute.FUSION = old
        results.append((out.output, out.status, out.error_kind, out.error_text, out.ticks))
    assert results[0] == results[1]
    return results[0]


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_whole_runs_are_the_same(name):
    output, status, kind, error, ticks = run_both(PROGRAMS[name])
    # Each program ends in an uncaught error raised inside a compiled loop (or finishes).
    expected = {"floats": 0, "mixed arithmetic": 0, "strings": 0}
    if name == "structs":
        assert kind == "type-error" and "prog.lisp:4:" in error
    assert status == expected.get(name, 1), error
    if name == "comparisons":
        assert kind == "type-error" and "prog.lisp:5:" in error
    if name == "arrays":
        assert kind == "argument-error" and "index 2 out of range" in error and "prog.lisp:28:" in error
    if name == "higher order":
        assert kind == "type-error"


@pytest.mark.parametrize("fuel", [3, 100, 1234, 5000, 20_011])
@pytest.mark.parametrize("name", ["floats", "arrays", "higher order"])
def test_fuel_runs_out_at_the_same_instruction(name, fuel):
    run_both(PROGRAMS[name], fuel=fuel)


def test_a_small_collection_limit_stops_push_at_the_same_place():
    text = "(defn fill [a n] (var i 0) (while (< i n) (push a i) (assign i (+ i 1))) a)\n" \
           "(println (length (fill @[] 5)))\n(fill @[] 50)\n"
    output, status, kind, error, ticks = run_both(text, max_collection=20)
    assert status == 1 and kind == "size-limit" and output == "5\n"


def region_sources(vm) -> str:
    from vm.fiber import Closure
    funcs = list(vm.main.all_functions())
    funcs += [f for g in vm.globals if type(g) is Closure for f in g.func.all_functions()]
    return "\n".join(getattr(e[1], "source", "") for f in funcs for e in f.decoded
                     if e is not None and e[0] == execute.FUSED_REGION)


def test_the_fast_paths_really_run():
    """The loops above run inside regions (else the tests above prove nothing)."""
    vm = VM()
    vm.load(PROGRAMS["floats"] + PROGRAMS["arrays"].rsplit("(writes @[0 0] 5)", 1)[0]
            + PROGRAMS["structs"].rsplit("(sget st [:a 2])", 1)[0]
            + "(println (fold + 0 (range 50)))\n", "prog.lisp")
    vm.run()
    assert vm.status == "finished"
    src = region_sources(vm)
    assert "is float" in src            # float arithmetic inline
    assert ".items[" in src and ".items.append(" in src   # get, put and push inline
    assert ".d.get(" in src                               # struct reads inline
    assert "value = " in src and ".fn(vm" in src          # fold's `+` called directly
    assert "is PLUS and" in src                           # ... and inline on two integers


def test_a_watch_cannot_push_through_a_compiled_loop():
    text = """
(def log @[])
(defn note [n] (var i 0) (while (< i n) (push log i) (assign i (+ i 1))) (length log))
(note 20) (note 20)
(println (length log))
"""
    s = Session.from_source(text, "prog.lisp")
    s.add_breakpoint(line=5)
    snap = s.continue_()
    assert snap.reason == "breakpoint"
    ok, text_ = s.evaluate("(note 3)")
    assert not ok and "would change" in text_
    assert s.evaluate("(length log)") == (True, "40")
    assert s.continue_().output == "40\n"


def test_a_breakpoint_inside_a_hot_float_loop_is_hit_every_time():
    text = """
(defn walk [n] (var x 0.0) (var i 0)
  (while (< i n)
    (assign x (+ x 0.5))
    (assign i (+ i 1)))
  x)
(println (walk 100))
(println (walk 30))
"""
    s = Session.from_source(text, "prog.lisp")
    s.add_breakpoint(line=8)
    assert s.continue_().reason == "breakpoint"
    s.add_breakpoint(line=4)
    hits = 0
    snap = s.continue_()
    while snap.reason == "breakpoint":
        hits += 1
        snap = s.continue_()
    assert hits == 30 and snap.output == "50.0\n15.0\n"


# ---------------------------------------------------------------------------
# Random programs of the new shapes

EXAMPLES = (int(os.environ.get("VMDBG_FUZZ_EXAMPLES", 0))
            or (5000 if os.environ.get("VMDBG_FUZZ_LONG") else 30))

VALUES = ["0", "1", "-3", "2.5", "-0.0", "1e300", "0.0", "\"s\"", ":k", "nil", "7", "100000000000000000000"]
EXPRS = ["(+ a b)", "(- a b)", "(* a b)", "(/ a b)", "(rem a b)", "(< a b)", "(>= a b)",
         "(= a b)", "(get arr i)", "(get arr a)", "(length arr)", "(get \"xyz\" i)",
         "(put arr i a)", "(push arr a)", "(put arr a b)", "(abs a)", "(max a b)", "(string a b)",
         "(fold + a arr)", "(map (fn [x] (+ x a)) arr)", "(filter (fn [x] (< x b)) arr)",
         "(fold (fn [acc x] (* acc x)) b arr)", "(get {:k 1 1 2} a)"]


@st.composite
def shaped_programs(draw):
    a = draw(st.sampled_from(VALUES))
    b = draw(st.sampled_from(VALUES))
    exprs = draw(st.lists(st.sampled_from(EXPRS), min_size=1, max_size=4))
    update = draw(st.sampled_from(["(assign a (+ a 1))", "(assign a (* a 1.5))", "(assign b (- b 0.25))",
                                   "(assign a (get arr 0))", "(assign b (length arr))", ""]))
    n = draw(st.integers(1, 25))
    body = " ".join(f"(assign r {e})" for e in exprs)
    fuel = draw(st.sampled_from([None, None, 50, 400, 3000]))
    text = f"""
(defn work [a0 b0 n]
  (var a a0) (var b b0) (var i 0) (var r nil) (def arr @[1 2.5 3])
  (while (< i n) {body} {update} (assign i (+ i 1)))
  [r (length arr)])
(println (protect (work {a} {b} {n})))
(println (protect (work {b} {a} {n})))
(println (work {a} {b} {n}))
"""
    strides = draw(st.lists(st.integers(1, 150), min_size=1, max_size=6))
    return text, strides, fuel


@settings(max_examples=EXAMPLES, deadline=None)
@given(shaped_programs())
def test_random_programs_stop_the_same_with_and_without_fast_paths(case):
    text, strides, fuel = case
    on, vm_on = stops(text, True, strides)
    off, vm_off = stops(text, False, strides)
    assert on == off, text
    assert "".join(vm_on.output) == "".join(vm_off.output)
    run_both(text, fuel=fuel)


def test_the_float_functions_run_as_routines():
    vm = VM()
    vm.load(PROGRAMS["routines"].rsplit("(walk [1 2", 1)[0], "prog.lisp")
    vm.run()
    assert vm.status == "finished"
    compiled = {f.name for f in vm.main.all_functions() if callable(f.routine)}
    assert {"dist2", "walk", "halves", "fact", "pick"} <= compiled


# ---------------------------------------------------------------------------
# With the JIT on: what it rejects still runs as routines and regions (issue 14)

JIT_REJECTS = """
(defn label [n] (if (< n 1) "" (string (label (- n 1)) "x")))
(defn make-counter [] (var c 0) (fn [] (assign c (+ c 1)) c))
(def counter (make-counter))
(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
(defn scale [xs k] (if (< (length xs) 1) 0.0 (+ (* (get xs 0) k) (* (get xs -1) k))))
(defn fmt [n] (if (< n 1) "" (string (fmt (- n 1)) (fib n) ",")))
(defn run [n]
  (var i 0) (var s "") (var f 0.0) (var t "")
  (while (< i n)
    (counter)
    (assign s (label (rem i 7)))
    (assign f (+ f (scale [1.5 2 i] 0.5)))
    (assign t (fmt (rem i 9)))
    (assign i (+ i 1)))
  [s f t (counter) (fib 12)])
(println (run 120))
(println (protect (label :x)))
(println (run 7))
"""


def test_a_function_the_jit_rejects_still_runs_as_a_routine():
    out = run_program(JIT_REJECTS, "prog.lisp", jit=1)
    assert out.status == 0, out.error_text
    funcs = {}
    for f in out.vm.main.all_functions():
        funcs.setdefault(f.name, f)         # the first `fn` is the counter (protect makes more)
    from vm.jit.code import JitCode, Rejection
    # label works on strings, the counter on a captured cell: the JIT says no to both...
    for name in ("label", "fn", "fmt"):
        assert isinstance(funcs[name].jit_state, Rejection), (name, funcs[name].jit_state)
        # ...and they ran as routines all the same (at --jit 0 they do too)
        assert callable(funcs[name].routine), name
    assert isinstance(funcs["fib"].jit_state, JitCode)       # the JIT's own stays native
    # (scale reads an array it is passed: compiled since arrays are, tests/test_jit_arrays.py)
    assert isinstance(funcs["scale"].jit_state, JitCode)
    # fmt's routine calls fib's native code: it never failed (nor was given up).
    assert funcs["fmt"].routine_fails == 0
    plain = run_both(JIT_REJECTS)
    assert (out.output, out.status, out.ticks) == (plain[0], 0, plain[4])


JIT_STRIDES = [3, 5, 7, 11, 50, 13, 400, 9, 31, 2000, 6]


@pytest.mark.parametrize("threshold", [1, 3])
def test_every_stop_with_the_jit_on_is_the_same_as_plain(threshold):
    on, vm_on = region_stops(JIT_REJECTS, True, JIT_STRIDES, state=full_state, most=100_000,
                             jit=threshold)
    off, vm_off = stops(JIT_REJECTS, False, JIT_STRIDES)
    assert on == off
    assert "".join(vm_on.output) == "".join(vm_off.output)
    assert any(callable(f.routine) for f in vm_on.main.all_functions())


@settings(max_examples=max(EXAMPLES // 3, 10), deadline=None)
@given(shaped_programs())
def test_random_programs_stop_the_same_with_the_jit_on(case):
    text, strides, fuel = case
    on, vm_on = region_stops(text, True, strides, state=full_state, most=100_000, jit=1)
    off, vm_off = stops(text, False, strides)
    assert on == off, text
    assert "".join(vm_on.output) == "".join(vm_off.output)


def test_a_routine_stopped_by_the_budget_hands_over_its_frames(monkeypatch):
    """A slice that ends inside a routine's call stops the routine there (Suspend): the
    frames it hands over are the interpreter's at that tick, and the call is not re-run."""
    import vm.regions
    import vm.routines
    handed = []
    real = vm.routines.frames_of

    def counting(e):
        frames = real(e)
        handed.append(len(frames))
        return frames
    monkeypatch.setattr(vm.routines, "frames_of", counting)
    monkeypatch.setattr(vm.regions, "frames_of", counting)
    text = """
(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
(defn walk [xs i acc] (if (>= i (length xs)) acc (walk xs (+ i 1) (+ acc (* 0.5 (get xs i))))))
(defn go [k] (var i 0) (var s 0) (while (< i k) (assign s (+ s (fib 12) (walk [1 2.5 3] 0 0))) (assign i (+ i 1))) s)
(println (go 30))
"""
    strides = [997, 1499, 2003, 389]
    on, vm_on = stops(text, True, strides)
    off, vm_off = stops(text, False, strides)
    assert on == off and vm_on.output == vm_off.output
    assert handed and max(handed) > 3           # stopped deep inside fib's recursion
    fib = next(f for f in vm_on.main.all_functions() if f.name == "fib")
    assert callable(fib.routine) and fib.routine_fails == 0


# ---------------------------------------------------------------------------
# The primitives' own fast paths (two-argument + and *, one-argument string) give what
# their general loops give, errors included

NUMBERS = st.one_of(st.integers(-10**30, 10**30), st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([0, -0.0, 0.0, 1, 10**400, -(10**400), 1e308, float("nan")]))


def outcome(fn, *args):
    from vm.errors import LispError
    try:
        v = fn(None, *args)
        return ("value", type(v), repr(v))
    except LispError as e:
        return ("error", e.kind, str(e))


@settings(max_examples=300, deadline=None)
@given(NUMBERS, NUMBERS)
def test_two_argument_add_and_multiply_match_the_general_loop(a, b):
    from vm.primitives import PRIMITIVES
    add, mul = PRIMITIVES["+"].fn, PRIMITIVES["*"].fn
    # The general loops, reached with a third argument that changes nothing: x + (-0.0) is
    # x for every float (and turns an int into a float), x * 1 is x.
    assert outcome(mul, a, b) == outcome(mul, a, b, 1)
    two = outcome(add, a, b)
    assert two == outcome(add, a, b, -0.0 if two[0] == "value" and two[1] is float else 0)


@pytest.mark.parametrize("v", [0, -7, 10**50, 10**5000, "", "héllo", "x" * 50])
def test_one_argument_string_matches_the_display_walk(v):
    from vm.primitives import PRIMITIVES
    from vm.primitives.strings import _make_string
    vm = VM()
    fast = outcome(lambda _vm, x: PRIMITIVES["string"].fn(vm, x), v)
    general = outcome(lambda _vm, x: _make_string(vm, x), v)
    assert fast == general
    small = VM(max_collection=10)
    assert outcome(lambda _vm, x: PRIMITIVES["string"].fn(small, x), v) == \
        outcome(lambda _vm, x: _make_string(small, x), v)
