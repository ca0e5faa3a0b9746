"""Observing is free: the debugger never changes what the program does.

With any breakpoints, logpoints, conditions, hit counts, catchpoints and watches that do
not stop, at any JIT threshold, with the run cut into slices (goto_tick forward, single
steps, step over, run to a line), the program's output, how it ends, its tick count, its
globals and every fiber's status, fuel and value are exactly those of a plain run
(`vm.api.run_program`, what `vmdbg run` does). And going back in time, then on to the end,
gives the forward run's end again; going back to a tick lands on the state a fresh session
that went forward to it shows.

Properties run derandomized in CI (tests/conftest.py), a few dozen examples each. The long
run, fresh random examples and many more of them:

    VMDBG_FUZZ_LONG=1 python -m pytest tests/test_observing.py -q

VMDBG_FUZZ_EXAMPLES=N sets the number of examples per property directly.

Log messages are not part of the program's output stream: the comparisons read the VM's
own output (`vm.output_text()`), never Snapshot.output, which interleaves log lines.

"Do not stop" is taken literally: a condition that fails to evaluate (an unknown name, a
watch-refused side effect) stops with a message, as gdb's does, so the generators only
count a condition as non-stopping when it is false without error (closed expressions, or
names the program marks in scope with a `# @scope NAME` comment on the line). The others
are used too, as stopping breakpoints, and the run continues past their stops.
"""

from __future__ import annotations

import gc
import os
import pprint
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from vm.api import format_uncaught, run_program
from vm.values import Cell, preview
from vmdbg.core.breakpoints import resolve_line
from vmdbg.core.session import Session

from test_fuzz import HAVE_JIT, LIMITS, LONG, Env, Gen, programs  # the fuzz program generator

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = sorted((ROOT / "tests" / "programs").rglob("*.lisp"))
EXAMPLES_DIR = ROOT / "vmdbg" / "examples"
EXAMPLE_FILES = sorted(EXAMPLES_DIR.glob("*.lisp"))

EXAMPLES = int(os.environ.get("VMDBG_FUZZ_EXAMPLES", 0)) or (3_000 if LONG else 30)
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, derandomize=not LONG, database=None,
                    suppress_health_check=list(HealthCheck), print_blob=True)

FILENAME = "gen.lisp"
FUEL = 30_000                   # program fuel of the random programs (--fuel)
JIT_THRESHOLDS = [0, 1, 2, 10] if HAVE_JIT else [0]
END_REASONS = ("finished", "error", "fuel")


# -- the observable state of a VM, as plain data -----------------------------------------

def fiber_state(vm, fiber) -> dict:
    return {"status": fiber.status, "fuel": vm.live_fuel(fiber), "value": preview(fiber.value),
            "bits": fiber.bits, "mask": fiber.mask, "frames": len(fiber.frames)}


def observable(vm, collect: bool = False) -> dict:
    """What a user can see of a program's run: output, how it ended (exit status, error
    text, value), ticks, the program's globals and every fiber by id.

    vm.fibers is weak: a dead fiber in a reference cycle stays listed until the cycle
    collector runs, at a moment of its own choosing. `collect` runs it first; compare()
    runs it only when two fiber lists differ (it is most of the cost of a comparison)."""
    if collect:
        gc.collect()
    state = {"tick": vm.tick, "status": vm.status, "output": vm.output_text()}
    if vm.status == "finished":
        state["exit"] = 0
        state["result"] = preview(vm.result)
    elif vm.halted:
        state["exit"] = 1
        state["error"] = format_uncaught(vm)[1]
    else:
        state["exit"] = None
    module = vm.module
    state["globals"] = {name: preview(vm.globals[g.index])
                        for name, g in sorted(module.globals.items())} if module is not None else {}
    state["fibers"] = {f.id: fiber_state(vm, f) for f in sorted(vm.fibers.values(), key=lambda f: f.id)}
    return state


def position(vm, collect: bool = False) -> dict:
    """The state at a stop, down to every frame: observable() plus where each fiber is, its
    operand stack and its locals (what going back in time must reproduce)."""
    state = observable(vm, collect)
    state["current"] = vm.current.id if vm.current is not None else None
    for f in vm.fibers.values():
        state["fibers"][f.id]["stack"] = [
            (fr.func.name, fr.ip, len(fr.stack), [preview(v, 60) for v in fr.stack],
             [preview(v.value if type(v) is Cell else v, 60) for v in fr.locals])
            for fr in f.frames]
    return state


def compare(got_vm, want, view=observable) -> tuple[dict, dict]:
    """The states (as `view` sees them) of a VM and of `want`: another VM, or a state taken
    with collect=True. Fiber lists that differ are taken again after a collection."""
    got = view(got_vm)
    wanted = want if isinstance(want, dict) else view(want)
    if set(got["fibers"]) != set(wanted["fibers"]):
        gc.collect()
        got = view(got_vm)
        wanted = want if isinstance(want, dict) else view(want)
    return got, wanted


def differences(got, want, path="") -> list[str]:
    """Readable paths where two plain-data states differ."""
    if isinstance(got, dict) and isinstance(want, dict):
        out = []
        for key in sorted(set(got) | set(want), key=repr):
            where = f"{path}.{key}" if path else str(key)
            if key not in got:
                out.append(f"{where}: missing (expected {want[key]!r})")
            elif key not in want:
                out.append(f"{where}: unexpected {got[key]!r}")
            else:
                out.extend(differences(got[key], want[key], where))
        return out
    if got != want:
        return [f"{path}: got {got!r}, expected {want!r}"]
    return []


def report(title, text, config, got, want) -> str:
    diff = "\n  ".join(differences(got, want)) or "(no difference in the states)"
    return (f"{title}\n--- differences (debugger vs plain run):\n  {diff}\n"
            f"--- configuration:\n{pprint.pformat(config, width=100)}\n"
            f"--- program:\n{text}")


def plain(text, filename=FILENAME, jit=0, **options):
    """The plain run (what `vmdbg run` does): its Outcome and its VM at the end."""
    out = run_program(text, filename, jit=jit, **options)
    assert out.status in (0, 1), f"status {out.status}: {out.error_text}\n--- program:\n{text}"
    return out, out.vm


def reference_vm(text, filename, jit=0, fuel=None, **options):
    """A VM without the debugger, loaded and not started: vm.run(tick) cuts it anywhere."""
    from vm.core import VM
    vm = VM(jit=jit, **options)
    vm.load(text, filename)
    if fuel is not None:
        vm.set_fuel(fuel)
    return vm


def plain_ending(out) -> str:
    if out.status == 0:
        return "finished"
    return "fuel" if out.error_kind == "fuel" else "error"


# -- random programs -----------------------------------------------------------------------

def spread(text: str, keep: list[bool]) -> str:
    """The program with a line break before some opening parens (never inside a string or
    after a quote), so that inner forms start lines of their own and line breakpoints land
    inside functions and loops. `keep[i]` decides the i-th paren."""
    out, in_string, escaped, n = [], False, False, 0
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "(" and i > 0 and text[i - 1] in " \t":
            if keep and keep[n % len(keep)]:
                out.append("\n")
            n += 1
        out.append(ch)
    return "".join(out)


@st.composite
def spread_fuzz_programs(draw):
    """A test_fuzz program, its inner forms on lines of their own."""
    text = draw(programs(max_depth=3))
    return spread(text, draw(st.lists(st.booleans(), min_size=1, max_size=12)))


ARGS = ["0", "1", "3", "-1", '"a"', ":k", "[1 2]", "nil", "@[1]", "1.5"]
MASKS = [":fuel", "|:fuel :error|", "|:fuel :error :yield :user|"]


def scoped(line: str, *names: str) -> str:
    """`line` with a marker comment naming locals in scope where it starts: conditions on
    them evaluate cleanly there (scopes() reads the markers back)."""
    return f"{line}  # @scope {' '.join(names)}"


def scopes(text: str) -> dict[int, list[str]]:
    out = {}
    for number, line in enumerate(text.splitlines(), 1):
        m = re.search(r"# @scope (.*)$", line)
        if m:
            out[number] = m.group(1).split()
    return out


@st.composite
def driven_programs(draw):
    """Functions made by the fuzz generator (tests/test_fuzz.py Gen), and helpers the JIT
    compiles, driven by loops, generators, signals and fuel slices that call them many times
    (the fuzz programs alone mostly run a few dozen instructions)."""
    g = Gen(draw(st.binary(min_size=16, max_size=1200)))
    out = ["(signal :user)"]
    fns = {g.fresh("fn"): draw(st.integers(0, 2)) for _ in range(draw(st.integers(1, 3)))}
    env = Env(fns=fns)
    depth = draw(st.integers(1, 3))
    for name, arity in fns.items():
        params = [g.fresh("p") for _ in range(arity)]
        inner = env.with_(params, fn_boundary=True)
        body = g.body(inner, depth)
        out.append(f"(defn {name} [{' '.join(params)}]\n  " + (scoped(body, *params) if params else body) + "\n  )")
    callees = [(name, lambda arity=arity: " ".join(draw(st.sampled_from(ARGS)) for _ in range(arity)))
               for name, arity in fns.items()]
    if draw(st.booleans()):
        tl = g.fresh("tl")
        out.append(f"(defn {tl} [n acc]\n  " + scoped("(if (<= n 0)", "n", "acc")
                   + f"\n    acc\n    ({tl} (- n 1) (+ acc n))))")
        callees.append((tl, lambda: f"{draw(st.integers(0, 60))} 0"))
    if draw(st.booleans()):
        fib = g.fresh("fib")
        out.append(f"(defn {fib} [n]\n  " + scoped("(if (< n 2)", "n")
                   + f"\n    n\n    (+ ({fib} (- n 1))\n       ({fib} (- n 2)))))")
        callees.append((fib, lambda: str(draw(st.integers(0, 9)))))

    def call():
        name, args = draw(st.sampled_from(callees))
        text = f"({name} {args()})".replace(" )", ")")
        return f"(protect {text})" if draw(st.integers(0, 3)) else text

    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["loop", "fuel", "fuel", "generator", "signals", "scheduler"]))
        if kind == "loop":
            k = g.fresh("k")
            out.append(f"(var {k} 0)\n(while (< {k} {draw(st.integers(1, 8))})\n  " + scoped(call(), k)
                       + f"\n  (assign {k} (+ {k} 1)))\n(println (string \"{k} \" {k}))")
        elif kind == "fuel":
            # The issue's program: a fiber refuelled by slices until it is done.
            w, j, s = g.fresh("w"), g.fresh("j"), g.fresh("s")
            out.append(
                f"(def {w} (fiber/new (fn []\n  (var {j} 0)\n  (while (< {j} {draw(st.integers(1, 6))})\n    "
                + scoped(call(), j) + f"\n    (assign {j} (+ {j} 1)))\n  {j})\n  {draw(st.sampled_from(MASKS))}))\n"
                f"(var {s} 0)\n(fiber/set-fuel {w} {draw(st.integers(1, 60))})\n(fiber/resume {w})\n"
                f"(while (and (= (fiber/status {w}) :paused) (< {s} 300))\n  "
                + scoped(f"(assign {s} (+ {s} 1))", s, w)
                + f"\n  (fiber/set-fuel {w} {draw(st.integers(1, 60))})\n  (fiber/resume {w}))\n"
                f"(println (string \"{w} \" {s} \" \" (fiber/status {w}) \" \" (fiber/fuel {w})))")
        elif kind == "generator":
            gen, j, acc = g.fresh("gen"), g.fresh("j"), g.fresh("acc")
            out.append(
                f"(def {gen} (fiber/new (fn []\n  (var {j} 0)\n  (while (< {j} {draw(st.integers(1, 5))})\n    "
                + scoped(f"(yield {call()})", j) + f"\n    (assign {j} (+ {j} 1)))\n  :done)\n  :yield))\n"
                f"(def {acc} @[])\n"
                f"(while (or (= (fiber/status {gen}) :new) (= (fiber/status {gen}) :paused))\n  "
                + scoped(f"(push {acc} (fiber/resume {gen})))", acc, gen)
                + f"\n(println (length {acc}) \" \" (fiber/status {gen}))")
        elif kind == "signals":
            u = g.fresh("u")
            out.append(
                f"(def {u} (fiber/new (fn []\n  (emit :user {call()})\n  (yield {call()})\n  {call()})\n"
                f"  |:user :yield :error|))\n"
                + "".join(f"(when (or (= (fiber/status {u}) :new) (= (fiber/status {u}) :paused))\n  "
                          + scoped(f"(println (fiber/resume {u} {i}) \" \" (fiber/status {u})))", u) + "\n"
                          for i in range(3)))
        else:
            tasks, live, r = g.fresh("tasks"), g.fresh("live"), g.fresh("r")
            bodies = " ".join(f"(fiber/new (fn []\n  {call()}\n  {call()})\n  {draw(st.sampled_from(MASKS))})"
                              for _ in range(draw(st.integers(1, 3))))
            out.append(
                f"(def {tasks} [{bodies}])\n"
                f"(defn {live} []\n  (filter (fn [t] (or (= (fiber/status t) :new)\n"
                f"                    (= (fiber/status t) :paused))) {tasks}))\n"
                f"(var {r} 0)\n(while (and (< {r} 100) (not (empty? ({live}))))\n"
                f"  (each t ({live})\n    " + scoped(f"(fiber/set-fuel t {draw(st.integers(1, 40))})", "t", r)
                + f"\n    (fiber/resume t))\n  (assign {r} (+ {r} 1)))\n"
                f"(println (string \"{r} \" {r} \" \" (map fiber/status {tasks})))")
    return "\n".join(out) + "\n"


random_programs = st.one_of(driven_programs(), driven_programs(), spread_fuzz_programs())


# -- random debugger configurations ----------------------------------------------------------

def names_in(text: str) -> list[str]:
    """Locals and globals the program binds (watches and log messages refer to them)."""
    found = set(re.findall(r"(?<![\w:\-/])@?((?:p|v|i|j|k|s|w|acc|gen|u|r|f|err|tasks)\d+)\b", text))
    return sorted(found) or ["nosuch"]


def functions_in(text: str) -> dict[str, list[str]]:
    return {m.group(1): m.group(2).split() for m in re.finditer(r"\(defn (\S+) \[([^\]]*)\]", text)}


@st.composite
def expressions(draw, text):
    """An expression for a watch or a log message: harmless ones, ones that fail, and ones
    that try to change the program (a watch must refuse them)."""
    names = names_in(text)
    fns = functions_in(text)
    name = draw(st.sampled_from(names))
    kinds = ["(+ 1 2)", name, f"(string {name})", f"(length (string {name}))", '(println "watch")',
             "(push @[] 1)", "(fiber/new (fn [] 1))", "(while true 1)", "nosuch", "(error :boom)",
             "(yield 1)", "(emit :user 1)", f"(fiber/status {name})", f"(fiber/fuel {name})",
             f"(fiber/resume {name})", f"(fiber/set-fuel {name} 1)", f"(put {name} 0 1)",
             f"(push {name} 1)", "(protect (/ 1 0))", f"(map (fn [x] x) {name})"]
    if fns:
        fn = draw(st.sampled_from(sorted(fns)))
        args = " ".join(draw(st.sampled_from(["0", "1", "3", name, '"a"'])) for _ in fns[fn])
        kinds += [f"({fn} {args})".replace(" )", ")")] * 4
    return draw(st.sampled_from(kinds))


# Conditions that evaluate to false or nil anywhere, without an error.
CLOSED_FALSE = ["false", "nil", "(= 1 2)", "(not true)", "(do (+ 1 2) false)", "(> (length \"ab\") 5)",
                "(if (= 1 1) nil true)", "(and true (= :a :b))", "(nil? 0)", "(string? 1)"]


@st.composite
def conditions(draw, text, in_scope: list[str]):
    """(condition, certain): a condition that is never true. `certain`: it also never fails
    to evaluate (a condition that raises stops, as gdb's does, saying why); it uses only
    names in scope where it is evaluated, and pure operations."""
    if in_scope and draw(st.booleans()):
        name = draw(st.sampled_from(in_scope))
        return draw(st.sampled_from([f"(= {name} :never)", f"(identical? {name} :never)",
                                     f"(and (= {name} {name}) false)", f"(nil? [{name}])",
                                     f"(= (string {name}) \"never\")"])), True
    if draw(st.integers(0, 3)):
        return draw(st.sampled_from(CLOSED_FALSE)), True
    # Anything: an error (unknown name, read error, an impure call refused) stops.
    e = draw(expressions(text))
    return draw(st.sampled_from(["nosuch", "(", f"(and {e} false)", f"(do {e} false)",
                                 f"(if {e} false nil)"])), False


@st.composite
def log_messages(draw, text):
    a, b = draw(expressions(text)), draw(expressions(text))
    return draw(st.sampled_from([f"log {{{a}}}", f"{{{a}}} and {{{b}}}", "plain text", "{unclosed",
                                 f"at {{{a}}} {{"]))


SIGNALS = [":yield", ":error", ":fuel", ":user", "|:yield :error|", "|:fuel :user|", ":debug"]


@st.composite
def breakpoints(draw, text, stopping: bool):
    """(add_breakpoint keyword arguments, whether it may stop)."""
    lines = len(text.splitlines())
    marked = scopes(text)
    fns = functions_in(text)
    place = draw(st.sampled_from(["line", "line", "scoped line", "function", "function", "signal"]))
    in_scope = []
    if place == "scoped line" and marked:
        line = draw(st.sampled_from(sorted(marked)))
        where, in_scope = {"line": line}, marked[line]
    elif place == "function":
        fn = draw(st.sampled_from(sorted(fns) + ["map", "filter", "fold"]))
        where, in_scope = {"function": fn}, fns.get(fn, [])
    elif place == "signal":
        where = {"signal": draw(st.sampled_from(SIGNALS))}
    else:
        where = {"line": draw(st.integers(1, lines))}
    how = draw(st.sampled_from(["condition", "condition", "log", "log", "hits", "condition+log"]
                               + (["stop", "stop-hits", "maybe"] if stopping else [])))
    if how in ("condition", "condition+log", "maybe"):
        while True:
            condition, certain = draw(conditions(text, in_scope))
            if certain or how == "maybe":
                break
        kwargs = dict(where, condition=condition)
        if how == "condition+log":
            kwargs["log_message"] = draw(log_messages(text))
        return kwargs, not certain
    if how == "log":
        return dict(where, log_message=draw(log_messages(text))), False
    if how == "hits":
        return dict(where, hit_count=draw(st.sampled_from([10 ** 9, 1 << 40]))), False
    if how == "stop":
        return dict(where), True
    return dict(where, hit_count=draw(st.integers(1, 5))), True


@st.composite
def commands(draw, text):
    """Forward commands that cut the run into slices before the final continue."""
    lines = len(text.splitlines())
    out = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["goto", "goto", "goto", "step_instruction", "step_line",
                                     "step_over", "step_out", "run_to", "continue",
                                     "pause during evaluation", "pause from progress"]))
        if kind == "goto":
            out.append(("goto", draw(st.sampled_from([0.0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1.0]))))
        elif kind == "run_to":
            out.append(("run_to", draw(st.integers(1, lines))))
        elif kind.startswith("pause"):
            out.append((kind, draw(st.integers(1, 40))))
        else:
            out.append((kind,))
    return out


@st.composite
def configurations(draw, text, stopping: bool | None = None):
    if stopping is None:
        stopping = draw(st.integers(0, 3)) == 0
    bps = draw(st.lists(breakpoints(text, stopping), max_size=8))
    return {
        "jit": draw(st.sampled_from(JIT_THRESHOLDS)),
        "checkpoint_interval": draw(st.sampled_from([50_000, 50_000, 100, 7, 1])),
        "max_checkpoints": draw(st.sampled_from([48, 4])),
        "breakpoints": [b for b, _ in bps],
        "stopping": [s for _, s in bps],
        "watches": draw(st.lists(expressions(text), max_size=4)),
        "commands": draw(commands(text)),
    }


@st.composite
def cases(draw, stopping: bool | None = None):
    text = draw(random_programs)
    return text, draw(configurations(text, stopping))


def make_session(text, config, filename=FILENAME, **options) -> Session:
    s = Session.from_source(text, filename, jit=config["jit"],
                            checkpoint_interval=config["checkpoint_interval"],
                            max_checkpoints=config["max_checkpoints"], **options)
    for kwargs in config["breakpoints"]:
        s.add_breakpoint(**kwargs)
    for w in config["watches"]:
        s.add_watch(w)
    return s


def pause_during_evaluation(s: Session, k: int):
    """A continue during which the user presses pause while the engine evaluates its k-th
    condition or log message (a race with the pause key, made deterministic)."""
    from vmdbg.core import engine
    evaluate, count = engine.evaluate, [0]

    def evaluating(*args, **kwargs):
        result = evaluate(*args, **kwargs)
        count[0] += 1
        if count[0] == k:
            s.pause()
        return result

    engine.evaluate = evaluating
    try:
        return s.continue_()
    finally:
        engine.evaluate = evaluate


def pause_from_progress(s: Session, k: int):
    """A continue paused by its k-th progress report (the TUI's running view; a report
    comes at every chance with a negative interval)."""
    calls = [0]

    def progress(snapshot):
        calls[0] += 1
        if calls[0] == k:
            s.pause()

    s.progress, s.progress_interval = progress, -1.0
    try:
        return s.continue_()
    finally:
        s.progress, s.progress_interval = None, 0.1


def run_command(s: Session, command, end_tick: int):
    """One of the configuration's forward commands; each goto goes forward a share of what
    is left of the run."""
    vm = s.vm
    if command[0] == "goto":
        return s.goto_tick(vm.tick + round(command[1] * max(end_tick - vm.tick, 0)))
    if command[0] == "run_to":
        return s.run_to(command[1])
    if command[0] == "continue":
        return s.continue_()
    if command[0] == "pause during evaluation":
        return pause_during_evaluation(s, command[1])
    if command[0] == "pause from progress":
        return pause_from_progress(s, command[1])
    return getattr(s, command[0])()


# Found by this file (test_pause_while_a_quiet_catchpoint_is_evaluated): a pause pressed
# while the engine evaluated a catchpoint's condition (or log message) that did not stop
# landed with the signal still held. The engine now delivers it before reporting the pause.


def no_signal_held(s: Session, snap):
    """A landing that is not a catchpoint stop never shows a signal in flight (found by
    this file: goto_tick forward used to land with a quietly caught signal still held)."""
    assert snap.reason == "signal" or s.vm.held_signal is None, (
        f"{snap.reason} at tick {snap.tick} landed with a signal held for a catchpoint that did not stop")
    return snap


def finish(s: Session, stops_allowed: int = 40):
    """Continue to the end; after `stops_allowed` stops the stopping breakpoints are
    disabled (a breakpoint with a small hit count stops at every hit after it)."""
    stops = []
    while True:
        snap = s.continue_()
        if snap.reason in END_REASONS:
            return snap, stops
        stops.append((snap.reason, snap.tick))
        if len(stops) == stops_allowed:
            for bp in list(s.breakpoints.values()):
                s.enable_breakpoint(bp.id, False)
        assert len(stops) <= stops_allowed + 5, f"still stopping: {stops[-5:]}"


# -- 1. random programs x random configurations ---------------------------------------------------

def check_observing_is_free(text, config):
    out, plain_vm = plain(text, fuel=FUEL, jit=config["jit"], **LIMITS)
    if config["jit"]:
        _, base_vm = plain(text, fuel=FUEL, jit=0, **LIMITS)
        jitted, base = compare(plain_vm, base_vm)
        assert differences(jitted, base) == [], report(
            f"the plain run differs between jit={config['jit']} and jit=0 (a JIT bug, not the debugger's)",
            text, config, jitted, base)
    s = make_session(text, config, fuel=FUEL, **LIMITS)
    # Every landing on the way (a goto, a step, a pause, a breakpoint) is the state of the
    # program alone cut at the same tick; a catchpoint stop holds its signal, by design.
    reference = reference_vm(text, FILENAME, config["jit"], fuel=FUEL, **LIMITS)
    landings = []
    for command in config["commands"]:
        snap = run_command(s, command, out.ticks)
        landings.append((command, snap.reason, snap.tick))
        if snap.reason == "signal":
            continue
        reference.run(snap.tick)
        got, there = compare(s.vm, reference)
        assert differences(got, there) == [] and s.vm.held_signal is None, report(
            f"{command}: the landing ({snap.reason} at tick {snap.tick}) differs from the program alone "
            f"cut there{'; a signal is held' if s.vm.held_signal is not None else ''}; landings {landings}",
            text, config, got, there)
    snap, stops = finish(s)
    got, want = compare(s.vm, plain_vm)
    note(f"stops on the way: {stops}")
    # What the examples covered (--hypothesis-show-statistics).
    event(f"ending: {snap.reason}")
    event(f"jit {config['jit']}")
    event(f"ticks: {'<100' if out.ticks < 100 else '<1000' if out.ticks < 1000 else '>=1000'}")
    counted = any(bp.hits for bp in s.breakpoints.values())
    event(f"counted hits (conditions true or none): {'>0' if counted else '0'}")
    event(f"log messages: {'0' if not s.logs else '>0'}")
    event(f"fibers with fuel of their own: {any(f['fuel'] is not None for i, f in want['fibers'].items() if i)}")
    event(f"stops: {'0' if not stops else '>0'}")
    assert differences(got, want) == [], report("observing changed the program", text, config, got, want)
    assert snap.reason == plain_ending(out), report(
        f"the session ended with {snap.reason!r}, the plain run with {plain_ending(out)!r}", text, config, got, want)
    if out.status == 1:
        assert snap.error == out.error_text
    if not any(config["stopping"]):
        # Nothing in the configuration stops: a breakpoint that never fires never stops.
        assert stops == [], report(f"non-stopping breakpoints stopped: {stops}", text, config, got, want)
    return s, snap


@PROPERTY
@given(cases())
def test_observing_never_changes_the_program(case):
    text, config = case
    check_observing_is_free(text, config)


# -- the issue's reproduction -------------------------------------------------------------------

FUEL_SLICES = """\
(defn work []
  (var i 0)
  (while (< i 100)
    (assign i (+ i 1)))
  i)
(def f (fiber/new work :fuel))
(fiber/set-fuel f 50)
(var pauses 0)
(fiber/resume f)
(while (not= (fiber/status f) :dead)
  (assign pauses (+ pauses 1)) (fiber/set-fuel f 50) (fiber/resume f))
(println (string "pauses " pauses))
"""

ISSUE_BREAKPOINTS = {
    "condition false": dict(line=4, condition="false"),
    "condition on a local": dict(line=4, condition="(= i -1)"),
    "logpoint": dict(line=4, log_message="i={i}"),
    "hit count never reached": dict(line=4, hit_count=1_000_000),
    "function entry, condition false": dict(function="work", condition="false"),
    "fuel catchpoint, condition false": dict(signal=":fuel", condition="false"),
}


@pytest.mark.parametrize("checkpoint_interval", [50_000, 1])
@pytest.mark.parametrize("jit", sorted({0, 1} & set(JIT_THRESHOLDS) | {0}))
@pytest.mark.parametrize("name", sorted(ISSUE_BREAKPOINTS))
def test_a_breakpoint_that_never_fires_leaves_fuel_slices_alone(name, jit, checkpoint_interval):
    out, want = plain(FUEL_SLICES, "fuel.lisp", jit=jit)
    assert (out.output, out.ticks) == ("pauses 16\n", 1_168)
    s = Session.from_source(FUEL_SLICES, "fuel.lisp", jit=jit, checkpoint_interval=checkpoint_interval)
    bp = s.add_breakpoint(**ISSUE_BREAKPOINTS[name])
    assert bp.verified
    snap = s.continue_()
    assert (snap.reason, snap.tick) == ("finished", 1_168)
    assert differences(*compare(s.vm, want)) == []
    if "log_message" in ISSUE_BREAKPOINTS[name]:
        logs = [text for _, _, text in s.logs]
        assert len(logs) == 100 and logs[:2] == ["i=0\n", "i=1\n"]
        assert snap.output != out.output and s.vm.output_text() == out.output
    # Back and forth in time, then on to the end: the same run.
    for tick in (600, 13, 1_167, 0, 900, 1_168, 400):
        no_signal_held(s, s.goto_tick(tick))
        assert s.vm.tick == tick
        assert differences(*compare(s.vm, plain_at(FUEL_SLICES, "fuel.lisp", jit, tick))) == []
    snap = s.continue_()
    assert (snap.reason, snap.tick) == ("finished", 1_168)
    assert differences(*compare(s.vm, want)) == []


def test_fuel_slices_cut_at_every_tick():
    """The issue's program stopped at every single instruction (step_instruction to the
    end) ends exactly like the plain run, and so does one cut by goto_tick every 7 ticks."""
    _, want = plain(FUEL_SLICES, "fuel.lisp")
    s = Session.from_source(FUEL_SLICES, "fuel.lisp", checkpoint_interval=7)
    s.add_breakpoint(line=4, condition="false")
    while s.step_instruction().reason not in END_REASONS:
        pass
    assert differences(*compare(s.vm, want)) == []
    s = Session.from_source(FUEL_SLICES, "fuel.lisp", checkpoint_interval=7)
    s.add_breakpoint(line=4, log_message="{i}")
    s.add_breakpoint(signal=":fuel", condition="(= i -1)")
    reference = plain_at(FUEL_SLICES, "fuel.lisp", 0, 0)      # the VM alone, cut the same way
    tick = 0
    while True:
        snap = s.goto_tick(tick)
        no_signal_held(s, snap)
        reference.run(tick)
        assert differences(*compare(s.vm, reference)) == [], f"at tick {tick}"
        if snap.reason in END_REASONS:
            break
        tick += 7
    assert differences(*compare(s.vm, want)) == []


# -- found by these tests ---------------------------------------------------------------------

HELD_PROGRAMS = {
    "error caught by a mask": ("(def f (fiber/new (fn [] (error :boom)) :error))\n"
                               "(fiber/resume f)\n"
                               "(println (fiber/status f))\n", ":error"),
    "yield": ("(def g (fiber/new (fn [] (yield 1) 2) :yield))\n"
              "(println (fiber/resume g))\n"
              "(println (fiber/resume g))\n", ":yield"),
}
QUIET_CATCHPOINTS = {"condition false": dict(condition="false"),
                     "logpoint": dict(log_message="caught {(+ 1 2)}"),
                     "hit count not reached": dict(hit_count=99)}


def first_pause(text, filename) -> int:
    """The tick right after the instruction that first leaves a fiber paused (it emitted a
    signal its mask caught)."""
    from vm.core import VM
    vm = VM()
    vm.load(text, filename)
    while not vm.halted:
        vm.run(vm.tick + 1)
        if any(f.status == "paused" for f in vm.fibers.values()):
            return vm.tick
    raise AssertionError("no fiber ever paused")


@pytest.mark.parametrize("catch", sorted(QUIET_CATCHPOINTS))
@pytest.mark.parametrize("program", sorted(HELD_PROGRAMS))
def test_a_quiet_catchpoint_leaves_the_timeline_alone(program, catch):
    """With a catchpoint that does not stop, the run ends as the plain one does, and going
    back to the tick after the emitting instruction shows the signal delivered."""
    text, signal = HELD_PROGRAMS[program]
    tick = first_pause(text, "held.lisp")
    out, plain_vm = plain(text, "held.lisp")
    s = Session.from_source(text, "held.lisp")
    s.add_breakpoint(signal=signal, **QUIET_CATCHPOINTS[catch])
    snap = s.continue_()
    assert (snap.reason, snap.tick) == ("finished", out.ticks)
    assert differences(*compare(s.vm, plain_vm)) == []
    snap = s.goto_tick(tick)
    assert (snap.tick, snap.signal, s.vm.held_signal) == (tick, None, None)
    assert differences(*compare(s.vm, plain_at(text, "held.lisp", 0, tick))) == []


@pytest.mark.parametrize("catch", sorted(QUIET_CATCHPOINTS))
@pytest.mark.parametrize("program", sorted(HELD_PROGRAMS))
def test_goto_tick_forward_past_a_catchpoint_that_does_not_fire(program, catch):
    """A catchpoint that does not stop leaves no trace: goto_tick forward to the tick after
    the emitting instruction shows the fiber paused, as the plain run (and goto_tick
    backwards to the same tick) does, and no signal in flight."""
    text, signal = HELD_PROGRAMS[program]
    tick = first_pause(text, "held.lisp")
    s = Session.from_source(text, "held.lisp")
    s.add_breakpoint(signal=signal, **QUIET_CATCHPOINTS[catch])
    snap = s.goto_tick(tick)
    got, want = compare(s.vm, plain_at(text, "held.lisp", 0, tick))
    assert (snap.tick, snap.signal, s.vm.held_signal) == (tick, None, None), differences(got, want)
    assert differences(got, want) == []


@pytest.mark.parametrize("catch", ["condition false", "logpoint"])
@pytest.mark.parametrize("program", sorted(HELD_PROGRAMS))
def test_pause_while_a_quiet_catchpoint_is_evaluated(program, catch):
    """The user presses pause while the engine evaluates a catchpoint's condition (false) or
    log message: the pause lands where the run was, and the catchpoint, which did not stop,
    leaves no trace: the signal is delivered, as the plain run at that tick shows."""
    text, signal = HELD_PROGRAMS[program]
    s = Session.from_source(text, "held.lisp")
    s.add_breakpoint(signal=signal, **QUIET_CATCHPOINTS[catch])
    snap = pause_during_evaluation(s, 1)
    assert snap.reason == "pause"
    got, want = compare(s.vm, plain_at(text, "held.lisp", 0, snap.tick))
    assert (snap.signal, s.vm.held_signal) == (None, None), differences(got, want)
    assert differences(got, want) == []


# -- 2. every golden program and example -------------------------------------------------------

def corpus():
    """Golden programs and examples that compile (a `# expect compile error:` or `# expect
    read error:` program never runs)."""
    return [path for path in GOLDEN + EXAMPLE_FILES
            if not re.search(r"#\s*expect (compile|read) error:", path.read_text(encoding="utf-8"))]


def code_lines(s: Session) -> list[int]:
    return [n for n in range(1, len(s.text.splitlines()) + 1)
            if resolve_line(s.vm, s.filename, n) is not None]


# A breakpoint with a condition costs an evaluation at every arrival, a log message with
# {expressions} one per expression. Programs that run more than LONG_TICKS instructions
# (million-iteration loops) get hit counts and plain log messages instead: the same
# patches, without the evaluations. In CI they run observed up to CUT_TICKS, are compared
# with a plain run stopped there, then go on unobserved (VMDBG_FUZZ_LONG=1: observed to the end).
LONG_TICKS = 30_000
CUT_TICKS = 30_000


def corpus_id(path):
    return path.relative_to(ROOT).as_posix()


# CI runs every program with the interpreter, and with the JIT (threshold 1) the examples
# and the folders about fibers, fuel, signals, errors, closures and tail calls; the long
# run does every program both ways.
JIT_FOLDERS = {"fibers", "fuel", "signals", "errors", "closures", "tailcalls", "examples"}
CORPUS_RUNS = [pytest.param(path, jit, id=f"{corpus_id(path)}-jit{jit}")
               for path in corpus() for jit in sorted({0, 1} & set(JIT_THRESHOLDS) | {0})
               if jit == 0 or LONG or path.parent.name in JIT_FOLDERS]


def plain_at(text, filename, jit, tick, **options):
    """A plain run stopped at `tick` (vm.run(until_tick)): its VM."""
    vm = reference_vm(text, filename, jit, **options)
    vm.run(tick)
    return vm


@pytest.mark.parametrize("path, jit", CORPUS_RUNS)
def test_every_corpus_program_runs_the_same_under_observation(path, jit):
    """A false-condition breakpoint on every line with code, logpoints, a catchpoint with a
    false condition and watches; cut at a third and two thirds of the run: at each cut the
    state is the plain run's at that tick, and the end is the plain run's end."""
    text = path.read_text(encoding="utf-8")
    name = corpus_id(path)
    out, plain_vm = plain(text, name, jit=jit)
    s = Session.from_source(text, name, jit=jit)
    lines = code_lines(s)
    assert lines, name
    long_run = out.ticks > LONG_TICKS
    config = {"breakpoints": [], "watches": ["(+ 1 2)", "nosuch", '(println "x")']}
    for n in lines:
        kwargs = dict(line=n, hit_count=10 ** 9) if long_run else dict(line=n, condition="false")
        config["breakpoints"].append(kwargs)
    config["breakpoints"].append(dict(line=lines[len(lines) // 2],
                                      log_message="log" if long_run else "log {(+ 1 2)} {nosuch}"))
    config["breakpoints"].append(dict(line=lines[-1], log_message="last line"))
    config["breakpoints"].append(dict(signal="|:yield :error :fuel|", condition="false"))
    for kwargs in config["breakpoints"]:
        assert s.add_breakpoint(**kwargs).verified, kwargs
    for w in config["watches"]:
        s.add_watch(w)
    observed_until = out.ticks if LONG or not long_run else CUT_TICKS
    for cut in (observed_until // 3, observed_until * 2 // 3, observed_until):
        if cut >= out.ticks:
            break
        snap = s.goto_tick(cut)
        no_signal_held(s, snap)
        got, there = compare(s.vm, plain_at(text, name, jit, cut))
        assert snap.tick == cut, report(f"goto_tick({cut}) stopped early: {snap.reason} at {snap.tick}",
                                        text, config, got, there)
        assert differences(got, there) == [], report(f"at tick {cut}, observing changed the program",
                                                     text, config, got, there)
    if observed_until < out.ticks:
        for bp in list(s.breakpoints.values()):
            s.enable_breakpoint(bp.id, False)
    snap = s.continue_()
    got, want = compare(s.vm, plain_vm)
    assert differences(got, want) == [], report("observing changed the program", text, config, got, want)
    assert snap.reason == plain_ending(out)
    if out.status == 1:
        assert snap.error == out.error_text


# -- 3. time travel ------------------------------------------------------------------------------

def check_time_travel(text, filename, jit, interval, max_checkpoints, shares, config=None, **options):
    """Forward to the end; then for each tick, go back there and continue: the same end.
    Going back lands on the state a fresh session that went forward to the tick shows."""
    config = config or {"breakpoints": [], "watches": []}
    def session():
        s = Session.from_source(text, filename, jit=jit, checkpoint_interval=interval,
                                max_checkpoints=max_checkpoints, **options)
        for kwargs in config["breakpoints"]:
            s.add_breakpoint(**kwargs)
        for w in config["watches"]:
            s.add_watch(w)
        return s

    s = session()
    end, _ = finish(s)
    forward = observable(s.vm, collect=True)
    total = end.tick
    for share in shares:
        tick = min(total, max(0, round(share * total)))
        s.goto_tick(tick)
        fresh = session()
        no_signal_held(fresh, fresh.goto_tick(tick))
        assert fresh.vm.tick == tick, f"a fresh session stopped at {fresh.vm.tick} on its way to {tick}"
        here, there = compare(s.vm, fresh.vm, view=position)
        assert differences(here, there) == [], report(
            f"goto_tick({tick}) backwards from the end differs from a fresh session gone forward to it",
            text, dict(config, jit=jit, checkpoint_interval=interval, ticks=shares), here, there)
        snap, _ = finish(s)
        got, _ = compare(s.vm, forward)
        assert differences(got, forward) == [], report(
            f"after goto_tick({tick}) and continue, the end differs from the forward run's",
            text, dict(config, jit=jit, checkpoint_interval=interval, ticks=shares), got, forward)
        assert snap.reason == end.reason
    return forward


@settings(PROPERTY, max_examples=max(EXAMPLES * 2 // 3, 20))
@given(st.data())
def test_going_back_and_on_again_gives_the_forward_run(data):
    text = data.draw(random_programs, label="program")
    config = data.draw(configurations(text, stopping=False), label="configuration")
    shares = data.draw(st.lists(st.sampled_from([0.0, 0.001, 0.1, 0.3, 0.5, 0.77, 0.95, 0.999, 1.0]),
                                min_size=1, max_size=4), label="ticks (share of the run)")
    out, plain_vm = plain(text, fuel=FUEL, jit=config["jit"], **LIMITS)
    forward = check_time_travel(text, FILENAME, config["jit"], config["checkpoint_interval"],
                                      config["max_checkpoints"], shares, config, fuel=FUEL, **LIMITS)
    event(f"ending: {'finished' if forward['exit'] == 0 else 'error or fuel'}")
    event(f"jit {config['jit']}")
    event(f"checkpoint interval {config['checkpoint_interval']}")
    want, _ = compare(plain_vm, forward)
    assert differences(forward, want) == [], report("the forward run differs from the plain run",
                                                    text, config, forward, want)


@pytest.mark.parametrize("path", EXAMPLE_FILES + [ROOT / "tests/programs/fuel/pause_and_refuel.lisp",
                                                  ROOT / "tests/programs/fuel/propagated_fuel.lisp"],
                         ids=corpus_id)
def test_examples_go_back_and_on_again(path):
    text = path.read_text(encoding="utf-8")
    name = corpus_id(path)
    out, plain_vm = plain(text, name)
    if out.ticks > 1_000_000 and not LONG:
        pytest.skip(f"{out.ticks:,} instructions under the debugger: VMDBG_FUZZ_LONG=1 runs it")
    # Long runs: fewer, farther checkpoints, and breakpoints that evaluate nothing.
    long_run = out.ticks > LONG_TICKS
    interval = 200_000 if long_run else 97
    lines = code_lines(Session.from_source(text, name))
    config = {"breakpoints": [dict(line=n, log_message="log" if long_run else "{(+ 1 2)}") for n in lines[::7]]
              + [dict(line=n, **(dict(hit_count=10 ** 9) if long_run else dict(condition="false")))
                 for n in lines[3::7]],
              "watches": ["(+ 1 2)"]}
    forward = check_time_travel(text, name, 0, interval, 6, [0.0, 0.37, 0.999, 1.0, 0.5], config)
    want, _ = compare(plain_vm, forward)
    assert differences(forward, want) == []
