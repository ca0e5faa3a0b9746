"""Fiber switches without the handlers: the dispatch loop and regions (vm/regions.py) resume
a paused fiber and deliver a caught yield themselves, and a region runs the resumed fiber's
own region in place. None of it may show: stopped at any tick, every fiber is in the same
state as with the plain handlers (vm/call.py resume_fiber, vm/dispatch.py emit_signal), and
the debugger's catchpoints, fuel and watches behave as before."""

from __future__ import annotations

import os

import pytest

from vm import execute
from vm.api import run_program
from vm.core import VM
from vm.regions import NEST
from vm.values import preview
from vmdbg.core.session import Session

from test_regions import stops as region_stops  # the VM state at every stop of a sliced run

GEN = "(fn [] (var i 0) (while true (yield i) (assign i (+ i 1))))"

PROGRAMS = {
    "ping-pong": f"""
(defn ping-pong [n]
  (def gen (fiber/new {GEN} :yield))
  (var total 0) (var k 0)
  (while (< k n) (assign total (+ total (fiber/resume gen))) (assign k (+ k 1)))
  total)
(println (ping-pong 300))
""",
    # The resume value becomes the value of the pending yield.
    "resume values": """
(def acc (fiber/new (fn [] (var sum 0) (while true (assign sum (+ sum (yield sum))))) :yield))
(var k 0) (var last 0)
(while (< k 200) (assign last (fiber/resume acc k)) (assign k (+ k 1)))
(println last)
""",
    # A generator that resumes another one inside its own loop.
    "nested generators": f"""
(def inner (fiber/new {GEN} :yield))
(def outer (fiber/new (fn [] (while true (yield (* 2 (fiber/resume inner))))) :yield))
(var k 0) (var s 0)
(while (< k 150) (assign s (+ s (fiber/resume outer))) (assign k (+ k 1)))
(println s " " (fiber/status inner) " " (fiber/status outer))
""",
    # Two fibers take turns resuming one generator: its parent and the fiber that caught its
    # yield change at every switch.
    "a generator shared by two resumers": f"""
(def g (fiber/new {GEN} :yield))
(defn taker [] (fiber/new (fn [] (while true (yield (fiber/resume g)))) :yield))
(def a (taker)) (def b (taker))
(var k 0) (var s 0)
(while (< k 100) (assign s (+ s (fiber/resume a) (* 1000 (fiber/resume b)))) (assign k (+ k 1)))
(println s)
""",
    # Deeper than regions nest (NEST): the innermost switches go through the loop.
    "chain deeper than the nesting limit": f"""
(defn make [d]
  (if (= d 0)
    (fiber/new {GEN} :yield)
    (let [below (make (- d 1))]
      (fiber/new (fn [] (while true (yield (+ 1 (fiber/resume below))))) :yield))))
(def top (make {NEST + 4}))
(var k 0) (var s 0)
(while (< k 60) (assign s (+ s (fiber/resume top))) (assign k (+ k 1)))
(println s)
""",
    # The generator returns: the loop sees it dead, and one more resume is a state error.
    "generator that finishes": """
(def g (fiber/new (fn [] (var i 0) (while (< i 40) (yield i) (assign i (+ i 1))) :done) :yield))
(var n 0) (var v nil)
(while (not= (fiber/status g) :dead) (assign v (fiber/resume g)) (assign n (+ n 1)))
(println n " " v)
(println (protect (fiber/resume g)))
""",
    # The yield is in a function the fiber calls, not in its body.
    "yield from a callee": """
(defn twice [x] (yield x) (yield (+ x 1)))
(def g (fiber/new (fn [] (var i 0) (while true (twice i) (assign i (+ i 10)))) :yield))
(var k 0) (var s 0)
(while (< k 100) (assign s (+ s (fiber/resume g))) (assign k (+ k 1)))
(println s)
""",
    # The inner fiber catches nothing: its yield pauses it and its parent, which catches it;
    # resuming the parent resumes the inner fiber first (waiting_child).
    "a yield that passes through": f"""
(def inner (fiber/new {GEN}))
(def outer (fiber/new (fn [] (while true (fiber/resume inner))) :yield))
(var k 0) (var s 0)
(while (< k 80) (assign s (+ s (fiber/resume outer))) (assign k (+ k 1)))
(println s " " (fiber/status inner))
""",
    # Fuel on the generator: the switch goes through the handlers, which settle it.
    "generator with fuel": f"""
(def g (fiber/new {GEN} :yield))
(fiber/set-fuel g 100000)
(var k 0) (var s 0)
(while (< k 120) (assign s (+ s (fiber/resume g))) (assign k (+ k 1)))
(println s " " (fiber/fuel g))
""",
    # Fuel that runs out, again and again, inside the generator's loop.
    "fuel running out in the generator": f"""
(def g (fiber/new {GEN} [:yield :fuel]))
(var k 0) (var s 0)
(while (< k 150)
  (fiber/set-fuel g 23)
  (def v (fiber/resume g))
  (when (int? v) (assign s (+ s v)))
  (assign k (+ k 1)))
(println s " " (fiber/status g))
""",
    # Floats: the regions' integer paths stop and the interpreter adds.
    "float payloads": """
(def g (fiber/new (fn [] (var x 0.5) (while true (yield x) (assign x (+ x 0.25)))) :yield))
(var k 0) (var s 0)
(while (< k 90) (assign s (+ s (fiber/resume g))) (assign k (+ k 1)))
(println s)
""",
    # A caught error emitted in the body is resumable: the resume value becomes its value.
    "caught error emits": """
(def g (fiber/new (fn [] (var i 0) (while true (assign i (+ i (emit :error i) 1)))) :error))
(var k 0) (var s 0)
(while (< k 70) (assign s (+ s (fiber/resume g 1))) (assign k (+ k 1)))
(println s " " (fiber/status g))
""",
    # A runtime error inside the hot generator after many switches.
    "runtime error in the generator": """
(def g (fiber/new (fn [] (var i 0) (while true (yield (/ 100 (- 50 i))) (assign i (+ i 1)))) :yield))
(var k 0) (var s 0)
(while (< k 60) (assign s (+ s (fiber/resume g))) (assign k (+ k 1)))
(println s)
""",
}


def fiber_state(vm, f):
    ident = lambda x: None if x is None else x.id  # noqa: E731
    return (f.id, f.status, f.pending, f.bits, preview(f.value), ident(f.parent), ident(f.child),
            ident(f.caught_by), ident(f.waiting_child), vm.live_fuel(f),
            [(fr.func.name, fr.ip, [preview(v) for v in fr.stack], [preview(v) for v in fr.locals])
             for fr in f.frames])


def state(vm):
    fibers = sorted((f for f in vm.fibers.values() if f.status != "dead"), key=lambda f: f.id)
    return (vm.tick, vm.status, None if vm.current is None else vm.current.id,
            [fiber_state(vm, f) for f in fibers])


def stops(text, fusion, strides):
    """Every fiber's state at every stop of a run cut into slices of the given lengths."""
    return region_stops(text, fusion, strides, state=state, most=50_000)


STRIDES = [5, 6, 7, 9, 13, 8, 11, 17, 10, 23, 12, 31, 14, 6, 19, 47, 15, 101, 64]


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_every_stop_is_the_same_with_and_without_fast_switches(name):
    on, vm_on = stops(PROGRAMS[name], True, STRIDES)
    off, vm_off = stops(PROGRAMS[name], False, STRIDES)
    assert on == off
    assert "".join(vm_on.output) == "".join(vm_off.output)


def run_both(text):
    results = []
    for fusion in (True, False):
        old = execute.FUSION
        execute.FUSION = fusion
        try:
            out = run_program(text, "prog.lisp")
        finally:
            execute.FUSION = old
        results.append((out.output, out.status, out.error_text, out.ticks))
    assert results[0] == results[1]
    return results[0]


EXPECTED = {
    "ping-pong": "44850\n",
    "resume values": "19900\n",
    "nested generators": "22350 paused paused\n",
    "a generator shared by two resumers": f"{sum(2 * k + 1000 * (2 * k + 1) for k in range(100))}\n",
    "chain deeper than the nesting limit": f"{sum(range(60)) + 60 * (NEST + 4)}\n",
    "generator that finishes": "41 done\n",
    "yield from a callee": f"{sum(10 * (k // 2) + k % 2 for k in range(100))}\n",
    "a yield that passes through": f"{sum(range(80))} paused\n",
    "generator with fuel": f"{sum(range(120))} ",
    "float payloads": f"{sum(0.5 + 0.25 * k for k in range(90))}\n",
    "caught error emits": f"{sum(2 * k for k in range(70))} paused\n",
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_whole_runs_are_the_same(name):
    output, status, error, ticks = run_both(PROGRAMS[name])
    if name == "runtime error in the generator":
        assert status == 1 and "division-by-zero" in error and "prog.lisp:2:" in error
    else:
        assert status == 0, error
    if name in EXPECTED:
        assert output.startswith(EXPECTED[name])


def test_the_loops_switch_fibers_inside_regions():
    """The ping-pong loop and the generator run as regions that switch fibers themselves,
    with the generator's region run from the loop's (else the tests above prove little)."""
    vm = VM()
    vm.load(PROGRAMS["ping-pong"], "prog.lisp")
    vm.run()
    sources = [e[1].source for f in vm.main.all_functions() for e in f.decoded
               if e is not None and e[0] == execute.FUSED_REGION and hasattr(e[1], "source")]
    assert any("vm.current = p" in src for src in sources), "no region delivers the yield"
    assert any("e[1](tf.locals" in src for src in sources), "no region resumes in place"
    assert "".join(vm.output) == "44850\n"


def test_a_yield_catchpoint_sees_every_yield_of_a_hot_generator():
    s = Session.from_source(PROGRAMS["ping-pong"], "prog.lisp")
    s.add_breakpoint(signal=":yield")
    hits = 0
    while True:
        snap = s.continue_()
        if snap.reason != "signal":
            break
        assert snap.signal.payload == str(hits)
        hits += 1
    assert hits == 300
    assert snap.reason == "finished" and snap.output == "44850\n"


def test_a_watch_cannot_resume_a_generator_the_loop_resumes_in_regions():
    s = Session.from_source(PROGRAMS["ping-pong"], "prog.lisp")
    bp = s.add_breakpoint(line=5)       # the loop's test, once per iteration
    for _ in range(40):                 # into the hot part of the loop
        snap = s.continue_()
    assert snap.reason == "breakpoint" and snap.line == 5
    status = s.evaluate("(fiber/status gen)")
    ok, text = s.evaluate("(fiber/resume gen)")
    assert not ok and "fiber/resume" in text
    assert s.evaluate("(fiber/status gen)") == status == (True, ":paused")
    s.remove_breakpoint(bp.id)
    assert s.continue_().output == "44850\n"


def test_stepping_through_hot_switches_shows_one_running_fiber_at_a_time():
    """Stepping one instruction at a time through the hot ping-pong: at every stop the
    generator is the current fiber or paused, and the run still ends with the right sum."""
    s = Session.from_source(PROGRAMS["ping-pong"], "prog.lisp")
    bp = s.add_breakpoint(line=5)
    for _ in range(30):
        s.continue_()
    s.remove_breakpoint(bp.id)
    seen = set()
    for _ in range(200):
        snap = s.step_instruction()
        gen = {f.id: f.status for f in snap.fibers}[1]
        assert gen == ("alive" if snap.fiber_id == 1 else "paused")
        seen.add(snap.fiber_id)
    assert seen == {0, 1}
    assert s.continue_().output == "44850\n"


# Random generator loops: the shapes above, mixed. Each program has a generator (maybe
# nested in another, maybe shared, maybe with fuel or an error partway) resumed in a loop;
# every stop of runs cut into random slices must match the plain handlers'.
from hypothesis import given, settings, strategies as st  # noqa: E402

# As tests/test_fuzz.py: more with VMDBG_FUZZ_LONG=1, or exactly VMDBG_FUZZ_EXAMPLES.
EXAMPLES = (int(os.environ.get("VMDBG_FUZZ_EXAMPLES", 0))
            or (5000 if os.environ.get("VMDBG_FUZZ_LONG") else 40))

YIELDS = ["(yield i)", "(yield (* 0.5 i))", "(yield :k)", "(emit :error i)", "(twice i)",
          "(assign i (+ i (yield i)))", "(yield (fiber/resume inner))"]
MASKS = [":yield", "|:yield :error|", ":error", "0", "|:yield :fuel|"]


@st.composite
def generator_programs(draw):
    y = draw(st.sampled_from(YIELDS))
    mask = draw(st.sampled_from(MASKS))
    stop_at = draw(st.sampled_from([None, 3, 17]))
    body = f"(while true {y} (assign i (+ i 1))"
    if stop_at is not None:
        body += f" (when (= i {stop_at}) {draw(st.sampled_from(['(/ 1 0)', '(break)', ':done']))})"
    body += ")"
    outer = draw(st.booleans())            # the generator runs inside a catching fiber
    fuel = draw(st.sampled_from([None, None, 7, 40, 100000]))
    n = draw(st.integers(1, 60))
    resume = draw(st.sampled_from(["(fiber/resume g)", "(fiber/resume g k)"]))
    lines = [
        "(defn twice [x] (yield x) (yield (+ x 1)))",
        f"(def inner (fiber/new {GEN} :yield))",
        f"(def g (fiber/new (fn [] (var i 0) {body} i) {mask}))",
    ]
    if fuel is not None:
        lines.append(f"(fiber/set-fuel g {fuel})")
    step = (f"(let [v {resume}] (when (number? v) (assign s (+ s v))) "
            f"(when (= (fiber/status g) :dead) (break)))")
    loop = f"(var k 0) (var s 0) (while (< k {n}) {step} (assign k (+ k 1)))"
    if outer:
        lines.append(f"(def o (fiber/new (fn [] {loop} s) |:yield :error :fuel|))")
        lines.append(f"(var t 0) (while (< t 3) (println (protect (fiber/resume o))) (assign t (+ t 1)))")
    else:
        lines.append(f"(defn run [] {loop} s)")
        lines.append("(println (protect (run)))")
    lines.append("(println (fiber/status g) (fiber/status inner))")
    strides = draw(st.lists(st.integers(1, 120), min_size=1, max_size=6))
    return "\n".join(lines) + "\n", strides


@settings(max_examples=EXAMPLES, deadline=None)
@given(generator_programs())
def test_random_generator_loops_stop_the_same_with_and_without_fast_switches(case):
    text, strides = case
    on, vm_on = stops(text, True, strides)
    off, vm_off = stops(text, False, strides)
    assert on == off, text
    assert "".join(vm_on.output) == "".join(vm_off.output)

