"""Routines (vm/routines.py) change nothing a user can see: the same output, errors, tick
counts and state at every stop as plain interpretation, with breakpoints, fuel, pauses,
depth limits and deep recursion."""

from __future__ import annotations

import threading

import pytest

from vm import execute
from vm.api import run_program
from vm.core import VM
from vmdbg.core.session import Session

from test_regions import stops     # the VM's state at every stop of a run cut into slices

PROGRAMS = {
    "fib": "(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))\n(println (fib 16))\n",
    # Floats, a helper, mixed arithmetic and comparisons through the primitives.
    "helpers and floats": """
(defn h [n a] (* a 2))
(defn s [n a] (if (<= n 0) a (+ (h n a) (s (- n 1) a))))
(println (s 30 1.5) " " (s 30 -0.0) " " (s 25 3))
""",
    # A self tail call is a loop; a tail call to another function a Python call.
    "tail calls": """
(defn even [n] (if (= n 0) true (odd (- n 1))))
(defn odd [n] (if (= n 0) false (even (- n 1))))
(defn loop [n acc] (if (= n 0) acc (loop (- n 1) (+ acc n))))
(println (loop 3000 0) " " (even 300) " " (odd 301))
""",
    # Locals, while loops, nil and booleans, captures of an immutable binding.
    "locals and loops": """
(defn tri [n] (var i 0) (var acc 0) (while (< i n) (assign acc (+ acc i)) (assign i (+ i 1))) acc)
(defn pick [x] (if (nil? x) :none (if (not x) :false x)))
(defn adder [k] (fn [x] (+ x k)))
(def add5 (adder 5))
(defn use [n] (if (< n 1) 0 (+ (add5 n) (use (- n 1)))))
(println (tri 50) (pick nil) (pick false) (pick 3) (use 40))
""",
    # An error deep inside: raised by the interpreter at the plain location.
    "error inside": """
(defn down [n] (if (= n 0) (+ 1 "x") (+ 1 (down (- n 1)))))
(defn safe [n] (if (< n 1) 0 (+ n (safe (- n 1)))))
(println (safe 50))
(println (protect (down 30)))
(down 20)
""",
    # Deeper than Python's recursion limit: the routine gives up, the interpreter goes on.
    "deep recursion": """
(defn deep [n] (if (= n 0) 0 (+ 1 (deep (- n 1)))))
(println (deep 3000))
""",
    # A counter closure stores to its captured cell: a leaf routine, called from a loop's
    # region; the count must go up exactly once per call, slices and fuel or not.
    "counter closure": """
(defn make-counter [] (var count 0) (fn [] (assign count (+ count 1))))
(var total 0)
(defn bump [] (assign total (+ total 2)) total)
(defn drive [n]
  (def counter (make-counter))
  (var i 0)
  (while (< i n) (counter) (bump) (assign i (+ i 1)))
  (counter))
(println (drive 500) " " total)
""",
    # Pure primitives are called; an impure one stops the routine before it runs.
    "primitives": """
(defn m [n] (if (< n 1) 0 (+ (max n 3) (abs (- 0 n)) (m (- n 1)))))
(def log @[])
(defn noisy [n] (if (< n 1) 0 (do (push log n) (+ 1 (noisy (- n 1))))))
(println (m 40) " " (noisy 10) " " (length log))
""",
}


def with_fusion(on, fn):
    old = execute.FUSION
    execute.FUSION = on
    try:
        return fn()
    finally:
        execute.FUSION = old


def routines_run(text) -> int:
    vm = VM()
    vm.load(text, "prog.lisp")
    vm.run()
    return sum(callable(f.routine) for f in vm.main.all_functions())


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_whole_runs_are_the_same(name):
    text = PROGRAMS[name]
    on = run_program(text, "prog.lisp")
    off = with_fusion(False, lambda: run_program(text, "prog.lisp"))
    assert (on.output, on.status, on.error_kind, on.error_text, on.ticks) == \
           (off.output, off.status, off.error_kind, off.error_text, off.ticks)


@pytest.mark.parametrize("name", ["fib", "helpers and floats", "tail calls", "locals and loops",
                                  "counter closure"])
def test_routines_do_run(name):
    # Otherwise the other tests here would prove nothing.
    assert routines_run(PROGRAMS[name]) > 0


# Long and short slices: a limit inside a routine's call makes it bail, and the
# interpreter must then stop exactly there.
STRIDES = [500, 37, 2000, 5, 13, 911, 64, 7, 5000, 250]


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_every_stop_is_the_same(name):
    (on, vm_on), (off, vm_off) = stops(PROGRAMS[name], True, STRIDES), stops(PROGRAMS[name], False, STRIDES)
    assert on == off and vm_on.output == vm_off.output


@pytest.mark.parametrize("fuel", [1, 77, 1000, 5003, 20_000])
def test_fuel_runs_out_at_the_same_instruction(fuel):
    text = PROGRAMS["fib"]
    on = run_program(text, "prog.lisp", fuel=fuel)
    off = with_fusion(False, lambda: run_program(text, "prog.lisp", fuel=fuel))
    assert (on.output, on.status, on.error_text, on.ticks) == (off.output, off.status, off.error_text, off.ticks)


def test_fuel_pauses_inside_a_fiber_are_the_same():
    text = """
(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))
(def f (fiber/new (fn [] (fib 15)) :fuel))
(var pauses 0)
(fiber/set-fuel f 333)
(fiber/resume f)
(while (= (fiber/status f) :paused)
  (assign pauses (+ pauses 1))
  (fiber/set-fuel f 333)
  (fiber/resume f))
(println pauses " " (fiber/value f))
"""
    on = run_program(text, "prog.lisp")
    off = with_fusion(False, lambda: run_program(text, "prog.lisp"))
    assert on.output == off.output and on.ticks == off.ticks
    assert on.output.split()[1] == "610"


def test_a_small_depth_limit_is_still_an_error():
    text = "(defn deep [n] (if (= n 0) 0 (+ 1 (deep (- n 1)))))\n(deep 10)\n(deep 10)\n(deep 60)\n"
    r = run_program(text, "prog.lisp", max_depth=50)
    assert r.error_kind == "stack-overflow"


def test_a_breakpoint_inside_a_routine_function_is_hit():
    text = PROGRAMS["fib"]
    s = Session.from_source(text, "prog.lisp")
    s.add_breakpoint(function="fib")
    snap = s.continue_()
    hits = 1
    while snap.reason == "breakpoint" and hits < 40:
        snap = s.continue_()
        hits += 1
    assert hits == 40 and snap.function == "fib"      # every call stops: none ran as a routine


def test_a_breakpoint_in_a_callee_stops_the_caller_routine():
    text = """
(defn leaf [n] (* n 2))
(defn walk [n] (if (< n 1) 0 (+ (leaf n) (walk (- n 1)))))
(println (walk 5))
(println (walk 30))
"""
    s = Session.from_source(text, "prog.lisp")
    snap = s.continue_()
    assert snap.reason == "finished"
    s.restart()
    s.add_breakpoint(function="leaf")
    hits = 0
    snap = s.continue_()
    while snap.reason == "breakpoint":
        hits += 1
        snap = s.continue_()
    assert hits == 35


def test_step_over_a_call_to_a_routine_lands_on_the_next_line():
    text = "(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))\n(def a (fib 12))\n(def b (fib 13))\n(println a b)\n"
    s = Session.from_source(text, "prog.lisp")
    s.run_to(line=2)
    plain = with_fusion(False, lambda: Session.from_source(text, "prog.lisp"))
    plain.run_to(line=2)
    for _ in range(3):
        a, b = s.step_over(), plain.step_over()
        assert (a.line, a.tick, a.reason) == (b.line, b.tick, b.reason)


def test_pause_stops_a_long_routine():
    text = "(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))\n(fib 40)\n"
    s = Session.from_source(text, "prog.lisp")
    timer = threading.Timer(0.3, s.pause)
    timer.start()
    snap = s.continue_()
    timer.join()
    assert snap.reason == "pause" and snap.function == "fib"
    # A pause is not the budget running out: routines must not wait afterwards (they did
    # once, and everything after a pause in the TUI ran 3x slower).
    assert s.vm.routine_wait_until < s.vm.tick


def test_a_watch_cannot_assign_through_a_leaf_routine():
    text = PROGRAMS["counter closure"]
    s = Session.from_source(text, "prog.lisp")
    s.add_breakpoint(function="bump")
    for _ in range(5):
        s.continue_()
    s.select_frame(1)                   # drive, where `counter` is a local
    s.add_watch("(counter)")
    for _ in range(3):                  # the counter closure is hot by now
        assert "cannot assign" in s.snapshot().watches["(counter)"]
    s.continue_()
    s.select_frame(1)
    assert "cannot assign" in s.snapshot().watches["(counter)"]
    s.remove_breakpoint(1)
    assert s.continue_().output.endswith("501 1000\n")   # the watches changed nothing


def test_a_raised_python_recursion_limit_does_not_outrun_the_depth_limit():
    import sys
    text = "(defn deep [n] (if (= n 0) 0 (+ 1 (deep (- n 1)))))\n(deep 10)\n(deep 10)\n(println (deep 2500))\n"
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(6000)
    try:
        r = run_program(text, "prog.lisp", max_depth=2000)
    finally:
        sys.setrecursionlimit(old)
    assert r.error_kind == "stack-overflow" and r.output == ""
