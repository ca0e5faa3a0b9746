"""The library beyond its documented examples: limits, robustness, fibers inside callbacks, the debugger and the JIT."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vm.api import run_program
from vm.primitives import load_all
from vm.primitives.tasks import MACHINES

ROOT = Path(__file__).resolve().parent.parent


def run(text, **limits):
    out = run_program(text, "t.lisp", **limits)
    assert out.status != 2, out.error_text
    return out


def output_of(text, **limits) -> str:
    out = run(text, **limits)
    assert out.status == 0, out.error_text
    return out.output


# ---------------------------------------------------------------------------
# Resource limits: nothing new builds past --max-collection

@pytest.mark.parametrize("expr", [
    '(string/repeat "ab" 1000)',
    "(array/new 5000 0)",
    "(concat (range 600) (range 600))",
    "(flatten (fold (fn [d _] [d d]) 1 (range 20)))",   # 2^20 leaves from 20 shared levels
    "(interpose 0 (range 600))",
    '(uri-encode (string/repeat "é" 300))',
    '(json/pretty (range 400))',
    "(mapcat (fn [x] (range 100)) (range 20))",
    "(apply (partial + 1) (range 1000))",
    "(union (seq->set (range 600)) (seq->set (range 600 1200)))",
    "(merge (from-pairs (map (fn [i] [i i]) (range 600))) (from-pairs (map (fn [i] [(- i) i]) (range 600))))",
    '(string/replace (string/repeat "a" 900) "a" "bb")',
])
def test_new_primitives_respect_the_collection_limit(expr):
    out = run(f"(println {expr})\n", max_collection=1000)
    assert out.status == 1 and out.error_kind in ("size-limit", "argument-error"), (expr, out.error_text)


def test_huge_counts_are_refused_without_a_limit():
    for expr in ('(string/repeat "ab" (bit/shl 1 80))', "(array/new (bit/shl 1 80) 0)",
                 "(math/pow 3 10000000)", '(parse-int (string/repeat "9" 300000))'):
        out = run(f"(println {expr})\n")
        assert out.status == 1 and out.error_kind == "argument-error", (expr, out.error_text)
    assert output_of('(println (string/repeat "" (bit/shl 1 80)))\n') == "\n"


# ---------------------------------------------------------------------------
# Functions that call functions: random arguments give Lisp errors, never a Python one

SAMPLES = ["nil", "1", "-2.5", '"ab"', ":k", "'(1 2)", "[1 [2]]", "@[3 1]", "{:a 1}", "|1 2|",
           "inc", "(fn [& xs] xs)", "(fn [] 1)", "(fiber/new (fn [] 1) 0)"]


@pytest.mark.parametrize("name", sorted(MACHINES))
def test_library_functions_take_any_arguments(name):
    native = load_all()[name]
    counts = range(native.min_args, min(native.max_args if native.max_args is not None else 3, 3) + 1)
    lines = []
    for n in counts:
        for args in itertools.product(SAMPLES[:9] if n == 3 else SAMPLES, repeat=n):
            lines.append(f"(protect ({name} {' '.join(args)}))")
    out = run_program("\n".join(lines) + "\n(println :end)\n", "t.lisp", fuel=2_000_000)
    assert out.status == 0 and out.output == "end\n", out.error_text


def test_returned_functions_take_any_arguments():
    makers = ["(complement inc)", "(constantly 1)", "(partial +)", "(compose inc)", "(compose)",
              "(juxt inc dec)", "(memoize inc)"]
    lines = [f"(protect ({m} {' '.join(args)}))" for m in makers
             for n in range(3) for args in itertools.product(SAMPLES[:6], repeat=n)]
    out = run_program("\n".join(lines) + "\n(println :end)\n", "t.lisp", fuel=2_000_000)
    assert out.status == 0 and out.output == "end\n", out.error_text


def test_internal_helpers_refuse_forged_tasks():
    for expr in ("(%task-give @[1 nil nil nil] 1)", "(%task-give 5 1)", "(%apply-template [1] ())",
                 "(%apply-template @[] ())"):
        out = run(f"(println (protect {expr}))\n")
        assert out.status == 0 and "type-error" in out.output, (expr, out.output)


# ---------------------------------------------------------------------------
# Callbacks are ordinary calls: they may yield, fail, run out of fuel

def test_a_callback_may_yield_through_the_library():
    text = """
(def f (fiber/new (fn [] (map-indexed (fn [i x] (yield [i x]) (* x 10)) [5 6])) :yield))
(println (fiber/resume f) (fiber/resume f) (fiber/resume f) (fiber/status f))
(def g (fiber/new (fn [] (sort-with (fn [a b] (yield [a b]) (- a b)) [2 1])) :yield))
(println (fiber/resume g) (fiber/resume g) (fiber/status g))
"""
    assert output_of(text) == "[0 5][1 6][50 60]dead\n[2 1][1 2]dead\n"


def test_a_callback_error_is_the_callers_error():
    text = """
(println (protect (count (fn [x] (/ 1 x)) [1 0])))
(println (try (find (fn [x] (error :nope)) [1]) (catch e e)))
"""
    assert output_of(text) == ('[false {:error :division-by-zero :message "/: division by zero"}]\n'
                               "nope\n")


def test_callbacks_run_under_fuel():
    text = """
(def f (fiber/new (fn [] (all? (fn [x] (var i 0) (while (< i 100) (assign i (+ i 1))) true) (range 50))) :fuel))
(fiber/set-fuel f 500)
(var pauses 0)
(while (not= :dead (fiber/status f))
  (fiber/resume f)
  (assign pauses (+ pauses 1))
  (fiber/set-fuel f 500))
(println (fiber/value f) " " (> pauses 10))
"""
    assert output_of(text) == "true true\n"


def test_deep_library_recursion_is_a_stack_overflow_not_a_crash():
    text = "(defn deep [n] (if (= n 0) 0 (+ 1 (first (map deep [(- n 1)])))))\n(println (deep 100000))\n"
    out = run(text)
    assert out.status == 1 and out.error_kind == "stack-overflow"


# ---------------------------------------------------------------------------
# fiber/abort and fiber/cancel

def test_abort_runs_the_fibers_cleanup_and_never_raises_in_the_caller():
    text = """
(def log @[])
(def f (fiber/new (fn [] (defer (push log :outer) (defer (push log :inner) (yield 1)))) :yield))
(fiber/resume f)
(println (fiber/abort f {:why :stop}) " " (fiber/status f) " " log " " (fiber/mask f))
(def g (fiber/new (fn [] (try (yield 1) (catch e [:handled e]))) :yield))
(fiber/resume g)
(println (fiber/abort g :stop) " " (fiber/status g))
(println (protect (fiber/abort g)))
"""
    assert output_of(text) == ("{:why :stop} error @[inner outer] 2\n"
                               "[handled stop] dead\n"
                               '[false {:error :state-error :message "fiber/abort: cannot abort a fiber that is dead"}]\n')


def test_abort_reaches_a_fiber_paused_inside_another():
    text = """
(def inner (fiber/new (fn [] (defer (println "inner cleanup") (yield :deep))) 0))
(def outer (fiber/new (fn [] (fiber/resume inner)) :yield))
(println (fiber/resume outer))
(println (fiber/abort outer :stop) " " (fiber/status outer) " " (fiber/status inner))
"""
    assert output_of(text) == ":deep\ninner cleanup\nstop error error\n".replace(":deep", "deep")


def test_a_fiber_may_cancel_itself():
    text = """
(def caught (fiber/new (fn [] (fiber/cancel (fiber/self) :bye) (println "never")) :error))
(println (fiber/resume caught) " " (fiber/status caught))
(def loose (fiber/new (fn [] (fiber/cancel (fiber/self) :bye)) 0))
(println (protect (fiber/resume loose)) " " (fiber/status loose))
"""
    assert output_of(text) == "bye error\n[false bye] error\n"


def test_resume_errors_use_elles_wording():
    text = """
(def d (fiber/new (fn [] 1) 0))
(fiber/resume d)
(println (get (get (protect (fiber/resume d)) 1) :message))
(def a (fiber/new (fn [] (fiber/resume a)) 0))
(println (get (get (protect (fiber/resume a)) 1) :message))
(def e (fiber/new (fn [] (+ 1 :x)) :error))
(fiber/resume e)
(println (get (get (protect (fiber/resume e)) 1) :message))
"""
    assert output_of(text) == ("fiber/resume: cannot resume completed fiber\n"
                               "fiber/resume: cannot resume running fiber\n"
                               "fiber/resume: cannot resume errored fiber\n")


# ---------------------------------------------------------------------------
# hash is the same in every run (Python's own string hash is not)

def test_hash_does_not_depend_on_the_process():
    code = ("from vm.api import run_program; "
            "print(run_program('(println (hash \"abc\") (hash [:k \"s\" 1.5]) (hash {:a |1 2|}))', 'h.lisp').output)")
    outputs = set()
    for seed in ("1", "2", "3"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        outputs.add(subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                                   capture_output=True, text=True, check=True).stdout)
    assert len(outputs) == 1


def test_equal_values_hash_alike():
    text = """
(println (= (hash 1) (hash 1.0)) (= (hash [1 2]) (hash @[1 2])) (= (hash {:a 1 :b 2}) (hash @{:b 2 :a 1}))
         (= (hash |1 2|) (hash (set 2 1))) (= (hash (list 1 2)) (hash '(1 2))) (= (hash -0.0) (hash 0)))
"""
    assert output_of(text) == "truetruetruetruetruetrue\n"


# ---------------------------------------------------------------------------
# The debugger and the JIT see the same program

LIBRARY_PROGRAM = """
(def m (memoize (fn [x] (* x x))))
(def xs (range 40))
(println (all? (fn [x] (< (m x) 10000)) xs) (count odd? xs))
(println (sort-with (fn [a b] (- b a)) (take 10 xs)) (sort-by (fn [x] (- (m x))) (take 5 xs)))
(println (map-indexed (fn [i x] (+ i (m x))) (take 5 xs)) (group-by even? (take 6 xs)))
(println ((compose inc m) 3) ((juxt m inc) 4) (update-in {:a [1 2]} [:a 1] m))
(def f (fiber/new (fn [] (find (fn [x] (yield x) (> x 3)) xs)) :yield))
(each v f (print v))
(println)
"""


def test_time_travel_through_library_calls():
    from vmdbg.core import Session
    path = ROOT / "tests" / "library" / "_time_travel.lisp"
    path.write_text(LIBRARY_PROGRAM, encoding="utf-8")
    try:
        s = Session.from_file(str(path), jit=0)
        end = s.continue_()
        assert end.reason == "finished"
        for tick in (10, end.tick // 3, end.tick // 2, end.tick - 5):
            s.goto_tick(tick)
            assert s.continue_().output == end.output
    finally:
        path.unlink()


def test_both_tiers_agree_on_the_library():
    a = run_program(LIBRARY_PROGRAM, "t.lisp", jit=0)
    b = run_program(LIBRARY_PROGRAM, "t.lisp", jit=1)
    assert a.status == b.status == 0
    assert (a.output, a.ticks) == (b.output, b.ticks)
