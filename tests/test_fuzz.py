"""Fuzzing with hypothesis: nothing a program (or its bytecode) does raises a Python exception.

Properties:

- random text through the reader and compiler (and, when it compiles, a short run) gives a
  value or a ReadError/CompileError (status 2 with `read error`/`compile error`), never
  another Python exception;
- random well-formed programs, generated from a small grammar of the language, run under a
  fuel cap with status 0 or 1, and the interpreter (`jit=0`) and the JIT (`jit=1`) agree on
  output, status, error text and ticks;
- random bytecode (built instruction by instruction, or compiled code with one mutation) is
  refused by the verifier or runs to a clean end.

Short by default (CI). The long fuzz, at least 10 minutes:

    VMDBG_FUZZ_LONG=1 python -m pytest tests/test_fuzz.py -q

VMDBG_FUZZ_EXAMPLES=N sets the number of examples per property directly. A hypothesis run
that is stopped reports no count, so for a run of a known size there is a counted mode:

    VMDBG_FUZZ_SECONDS=1800 python -m pytest tests/test_fuzz.py -q -s -k for_a_while

which generates programs from random tapes for that long, checks each one as the three
properties below do (runs cleanly; the same with and without fast paths; both tiers agree),
and prints how many it ran. A failure prints the seed and the program.
"""

from __future__ import annotations

import os
import random
import time

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from vm import bytecode
from vm.api import format_uncaught, run_program
from vm.bytecode import CompiledFunction, encode
from vm.compiler import Module
from vm.core import VM
from vm.errors import SourceError
from vm.execute import decode_function
from vm.values import Keyword, Symbol
from vm.verify import VerifyError, verify_all

LONG = bool(os.environ.get("VMDBG_FUZZ_LONG"))
EXAMPLES = int(os.environ.get("VMDBG_FUZZ_EXAMPLES", 0)) or (25_000 if LONG else 80)

FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not LONG, database=None,
                suppress_health_check=list(HealthCheck), print_blob=True)

FUEL = 20_000
LIMITS = dict(max_depth=200, max_collection=5_000, max_output=20_000, max_heap=3_000)

try:
    import llvmlite  # noqa: F401
    HAVE_JIT = os.path.isdir(os.path.join(os.path.dirname(bytecode.__file__), "jit"))
except ImportError:  # pragma: no cover
    HAVE_JIT = False


def ok_outcome(r, text):
    assert r.status in (0, 1, 2), text
    if r.status == 2:
        assert " read error: " in r.error_text or " compile error: " in r.error_text, r.error_text


# -- 1. random text --------------------------------------------------------------------

TOKENS = ["(", ")", "(", ")", "[", "]", "{", "}", "@[", "@{", "|", "@|", "'", "`", ",", ",;",
          "#", "##", "#!", "\n", '"', '"s"', '"a\\n\\"b"', '"\\q"', "1", "-1", "+2", "0x1f", "0b102",
          "1_000", "1__0", "1.5", "1.", ".5", "1e400", "-0.0", "99999999999999999999999", ":kw",
          ":", "::", "nil", "true", "false", "def", "var", "defn", "fn", "let", "let*", "letrec",
          "if", "cond", "begin", "do", "block", "break", "while", "assign", "and", "or",
          "quote", "emit", "match", "when", "unless", "each", "yield", "error", "protect",
          "try", "catch", "defer", "case", "if-let", "when-let", "forever", "signal",
          "x", "y", "f", "&", "&opt", "@x", "a:b", "x:", "_", "+", "-", "/", "%add", "%first",
          "fiber/new", "fiber/resume", "println", "elle/epoch", "10", "9", ":yield", ":error",
          ":halt", ";", "\\", "\t", " ", " ", " "]


@st.composite
def token_soup(draw):
    toks = draw(st.lists(st.sampled_from(TOKENS), max_size=40))
    seps = draw(st.lists(st.sampled_from([" ", "", "\n"]), min_size=len(toks), max_size=len(toks)))
    return "".join(t + s for t, s in zip(toks, seps))


LISP_ALPHABET = st.sampled_from(list("()[]{}@|'`,;#\"\\:&_.+-*/%=<>!?0123456789abcdefxyz \n\t"))
random_text = st.one_of(token_soup(),
                        st.text(LISP_ALPHABET, max_size=60),
                        st.text(max_size=40))


@FUZZ
@given(random_text)
def test_random_text_reads_compiles_or_fails_cleanly(text):
    vm = VM()
    try:
        main = vm.compile_text(text, "fuzz.lisp", Module(vm.table, vm.prelude))
    except SourceError as e:
        assert str(e).startswith("fuzz.lisp:") or str(e).startswith("<"), str(e)
        return
    verify_all(main)
    r = run_program(text, "fuzz.lisp", fuel=2_000, **LIMITS)
    ok_outcome(r, text)


# -- 2. random well-formed programs ------------------------------------------------------------

BINARY = ["+", "-", "*", "/", "rem", "mod", "min", "max", "<", ">", "<=", ">=", "=", "not=",
          "%add", "%sub", "%lt", "%eq", "bit/and", "bit/xor", "identical?", "pair", "get",
          "string", "append", "has?", "string-contains?"]
UNARY = ["not", "inc", "dec", "abs", "-", "first", "rest", "length", "type-of", "nil?", "int?",
         "string?", "empty?", "string", "int", "float", "bit/not", "reverse", "freeze", "thaw",
         "keys", "values", "last", "butlast", "array", "list", "set", "string/length",
         "fiber?", "closure?", "%not", "%first", "%rest"]
MASKS = [":yield", ":error", "|:yield :error|", "0", ":user", "|:user :yield|", ":fuel"]


class Env:
    """What is in scope where an expression is generated."""

    def __init__(self, values=(), muts=(), fns=None, blocks=(), loop_depth=0):
        self.values = list(values)       # readable names
        self.muts = list(muts)           # assignable names
        self.fns = dict(fns or {})       # name -> arity (top-level functions)
        self.blocks = list(blocks)       # block names a break may leave (this fn only)
        self.loop_depth = loop_depth

    def with_(self, values=(), muts=(), blocks=None, fn_boundary=False, loop=0):
        return Env(self.values + list(values), self.muts + list(muts), self.fns,
                   [] if fn_boundary else self.blocks + list(blocks or ()),
                   self.loop_depth + loop)


class Gen:
    """Makes one program from a tape of small integers (one hypothesis draw, so generating is
    cheap). Hypothesis shrinks the tape toward zeros, and a zero always picks the simplest
    choice (the first of each list), so failing programs shrink to small ones."""

    def __init__(self, tape):
        self.tape = tape
        self.i = 0
        self.n = 0

    def next(self) -> int:
        if self.i >= len(self.tape):
            return 0
        self.i += 1
        return self.tape[self.i - 1]

    def pick(self, seq):
        return seq[self.next() % len(seq)]

    def num(self, lo, hi):
        return lo + self.next() % (hi - lo + 1)

    def fresh(self, prefix="v"):
        self.n += 1
        return f"{prefix}{self.n}"

    # atoms
    def atom(self, env):
        kinds = ["int", "int", "float", "str", "kw", "const", "quote"]
        if env.values:
            kinds += ["var", "var", "var"]
        k = self.pick(kinds)
        if k == "int":
            return str(self.pick([0, 1, 2, 3, -1, 7, 10, 100, -5, 2 ** 62, 2 ** 64 + 3, -2 ** 63]))
        if k == "float":
            return self.pick(["1.5", "0.0", "-2.25", "1e300", "3.0", "1e-9"])
        if k == "str":
            return self.pick(['""', '"a"', '"hello"', '"a,b,c"', '"x\\ny"', '"\\"q\\""'])
        if k == "kw":
            return self.pick([":a", ":b", ":yield", ":error", ":k"])
        if k == "const":
            return self.pick(["nil", "true", "false", "()", "[]", "{}", "@[]"])
        if k == "quote":
            return self.pick(["'a", "'(1 2 3)", "'(a (b c))", "'[1 :x]", "'{:a 1}"])
        return self.pick(env.values)

    def expr(self, env, depth):
        if depth <= 0:
            return self.atom(env)
        kinds = ["atom", "binary", "binary", "unary", "if", "cond", "let", "let", "do",
                 "andor", "coll", "call_fn", "while", "fiber", "protect", "match", "each",
                 "strings", "higher", "case", "when", "block", "emit", "defer", "println",
                 "fuel", "apply", "iflet", "shared"]
        if env.muts:
            kinds += ["assign", "assign"]
        if env.fns:
            kinds += ["call", "call", "call"]
        if env.blocks:
            kinds += ["break"]
        k = self.pick(kinds)
        return getattr(self, "g_" + k)(env, depth - 1)

    def body(self, env, depth, n=None):
        n = self.num(1, 3) if n is None else n
        return " ".join(self.expr(env, depth) for _ in range(n))

    def g_atom(self, env, d):
        return self.atom(env)

    def g_binary(self, env, d):
        return f"({self.pick(BINARY)} {self.expr(env, d)} {self.expr(env, d)})"

    def g_unary(self, env, d):
        return f"({self.pick(UNARY)} {self.expr(env, d)})"

    def g_if(self, env, d):
        if self.num(0, 1):
            return f"(if {self.expr(env, d)} {self.expr(env, d)} {self.expr(env, d)})"
        return f"(if {self.expr(env, d)} {self.expr(env, d)})"

    def g_when(self, env, d):
        return f"({self.pick(['when', 'unless'])} {self.expr(env, d)} {self.body(env, d)})"

    def g_cond(self, env, d):
        parts = [f"{self.expr(env, d)} {self.expr(env, d)}" for _ in range(self.num(1, 3))]
        if self.num(0, 1):
            parts.append(self.expr(env, d))
        return f"(cond {' '.join(parts)})"

    def g_case(self, env, d):
        return (f"(case {self.expr(env, d)} 1 {self.expr(env, d)} :a {self.expr(env, d)} "
                f"{self.expr(env, d)})")

    def g_let(self, env, d):
        names, muts, binds = [], [], []
        for _ in range(self.num(1, 3)):
            name = self.fresh()
            mutable = self.num(0, 2) == 0
            binds.append(f"{'@' if mutable else ''}{name} {self.expr(env.with_(names, muts), d)}")
            names.append(name)
            if mutable:
                muts.append(name)
        if self.num(0, 4) == 0:       # a destructuring pattern
            a, b = self.fresh(), self.fresh()
            binds.append(f"[{a} {b}] {self.expr(env.with_(names, muts), d)}")
            names += [a, b]
        inner = env.with_(names, muts)
        head = self.pick(["let", "let", "let*"])
        return f"({head} [{' '.join(binds)}] {self.body(inner, d)})"

    def g_iflet(self, env, d):
        x = self.fresh()
        return f"(if-let [{x} {self.expr(env, d)}] {self.expr(env.with_([x]), d)} {self.expr(env, d)})"

    def g_do(self, env, d):
        return f"({self.pick(['do', 'begin'])} {self.body(env, d)})"

    def g_andor(self, env, d):
        return f"({self.pick(['and', 'or'])} {self.body(env, d)})"

    def g_coll(self, env, d):
        k = self.pick(["arr", "marr", "struct", "mstruct", "set", "list", "push", "put", "range"])
        e = lambda: self.expr(env, d)  # noqa: E731
        if k == "arr":
            return f"[{e()} {e()}]"
        if k == "marr":
            return f"@[{e()}]"
        if k == "struct":
            return f"{{:a {e()} :b {e()}}}"
        if k == "mstruct":
            return f"@{{:a {e()}}}"
        if k == "set":
            # A `|` inside a set closes it, so elements that could be set literals are wrapped.
            return f"|(begin {e()}) (begin {e()})|"
        if k == "list":
            return f"(list {e()} {e()} {e()})"
        if k == "push":
            return f"(push @[{e()}] {e()})"
        if k == "put":
            return f"(put @{{}} {e()} {e()})"
        return f"(range {self.pick(['0', '3', '10', e()])})"

    # Hostile values (issue 18): structure shared 20 to 40 levels deep (2^40 paths, 41
    # nodes), collections that hold themselves, and values that double until a limit.
    TOWERS = ["[{t} {t}]", "@[{t} {t}]", "|{t}|", "(list {t} {t})", "{{:a {t} :b {t}}}",
              "@{{:a {t} :b {t}}}", "[{t} [{t}]]"]
    USES = ["{t}", "(= {t} {u})", "(get (put @{{}} {t} 1) {u})", "(length (string {t}))",
            "(string/join [{t} {u}] \",\")", "(sort [{t} {u}])",
            "(= [{t}] [{u}])", "|{t} {u}|", "(length {t})"]

    def g_shared(self, env, d):
        t, u, i = self.fresh("t"), self.fresh("t"), self.fresh("i")
        k = self.pick(["tower", "tower", "self", "double", "huge"])
        # The seed is written inside `(fn [] ...)`: no block of the caller is open there.
        seed = self.expr(env.with_(fn_boundary=True), d)
        if k == "tower":
            shape = self.pick(self.TOWERS)
            use = self.pick(self.USES)
            n = self.num(20, 40)
            return (f"((fn [] (var {t} {seed}) (var {u} {seed}) (var {i} 0)"
                    f" (while (< {i} {n}) (assign {t} {shape.format(t=t)})"
                    f" (assign {u} {shape.format(t=u)}) (assign {i} (+ {i} 1)))"
                    f" {use.format(t=t, u=u)}))")
        if k == "self":
            use = self.pick(self.USES)
            return (f"((fn [] (def {t} @[]) (push {t} {t}) (push {t} {seed}) (push {t} {t})"
                    f" (def {u} {t}) {use.format(t=t, u=u)}))")
        if k == "double":
            step = self.pick(["(string {t} {t})", "(append {t} {t})", "(append @[] {t} {t})",
                              "(concat {t} {t})", "(string/repeat {t} 2)"])
            start = '"xy"' if "string" in step else "[1 2]"
            return (f"((fn [] (var {t} {start}) (while true (assign {t} {step.format(t=t)}))))")
        return self.pick(["(range 1000000000)", "(range 1 1e18 1)", "(array/new 1000000000 0)",
                          '(string/repeat "ab" 1000000000)', f"(range {seed})"])

    def g_strings(self, env, d):
        k = self.pick(["join", "split", "format", "concat"])
        if k == "join":
            return f'(string/join [{self.expr(env, d)} "x"] ",")'
        if k == "split":
            return f'(string/split {self.expr(env, d)} ",")'
        if k == "format":
            return f'(string/format "{{}}-{{}}" {self.expr(env, d)} {self.expr(env, d)})'
        return f"(string {self.expr(env, d)} {self.expr(env, d)})"

    def lambda_(self, env, d, arity):
        params = [self.fresh("p") for _ in range(arity)]
        rest = ""
        if arity and self.num(0, 4) == 0:
            rest = f" & {self.fresh('r')}"
        inner = env.with_(params + ([rest.split()[-1]] if rest else []), fn_boundary=True)
        return f"(fn [{' '.join(params)}{rest}] {self.body(inner, d)})"

    def g_call_fn(self, env, d):
        arity = self.num(0, 2)
        args = " ".join(self.expr(env, d) for _ in range(arity))
        return f"({self.lambda_(env, d, arity)} {args})"

    def g_call(self, env, d):
        name = self.pick(sorted(env.fns))
        args = " ".join(self.expr(env, d) for _ in range(env.fns[name]))
        return f"({name} {args})"

    def g_higher(self, env, d):
        k = self.pick(["map", "filter", "fold"])
        coll = self.pick(["[1 2 3]", "'(4 5)", "(range 4)", self.expr(env, d)])
        if k == "fold":
            return f"(fold {self.lambda_(env, d, 2)} {self.expr(env, d)} {coll})"
        return f"({k} {self.lambda_(env, d, 1)} {coll})"

    def g_apply(self, env, d):
        return f"(apply {self.pick(['+', 'list', 'max', 'string'])} {self.expr(env, d)} [{self.expr(env, d)}])"

    def g_while(self, env, d):
        i = self.fresh("i")
        inner = env.with_([i], blocks=["while"], loop=1)
        n = self.pick(["3", "10", self.expr(env, d)])
        return (f"(let [@{i} 0] (while (< {i} {n}) {self.body(inner, d)} (assign {i} (+ {i} 1))) {i})")

    def g_each(self, env, d):
        x = self.fresh()
        coll = self.pick(["[1 2 3]", "'(a b)", '"ab"', "{:a 1}", "|1 2|", self.expr(env, d)])
        return f"(each {x} {coll} {self.body(env.with_([x]), d)})"

    def g_block(self, env, d):
        name = self.fresh("b")
        return f"(block :{name} {self.body(env.with_(blocks=[name]), d)})"

    def g_break(self, env, d):
        name = self.pick(env.blocks)       # `while` is an implicit block named :while
        return f"(break :{name} {self.expr(env, d)})"

    def g_assign(self, env, d):
        return f"(assign {self.pick(env.muts)} {self.expr(env, d)})"

    def g_fiber(self, env, d):
        k = self.pick(["once", "gen", "nested", "cancel"])
        fenv = env.with_(fn_boundary=True)
        if k == "once":
            return (f"(fiber/resume (fiber/new (fn [] {self.body(fenv, d)}) {self.pick(MASKS)}) "
                    f"{self.expr(env, d)})")
        if k == "gen":
            f = self.fresh("f")
            return (f"(let [{f} (fiber/new (fn [] (yield {self.expr(fenv, d)}) "
                    f"(emit :user {self.expr(fenv, d)}) {self.expr(fenv, d)}) {self.pick(MASKS)})] "
                    f"(list (fiber/resume {f}) (fiber/status {f}) (fiber/resume {f} 1) "
                    f"(fiber/resume {f}) (fiber/status {f}) (fiber/value {f}) (fiber/bits {f})))")
        if k == "nested":
            return (f"(fiber/resume (fiber/new (fn [] (fiber/resume (fiber/new (fn [] "
                    f"{self.body(fenv, d)}) {self.pick(MASKS)}))) {self.pick(MASKS)}))")
        f = self.fresh("f")
        return (f"(let [{f} (fiber/new (fn [] {self.body(fenv, d)}) :yield)] "
                f"(fiber/cancel {f} {self.expr(env, d)}) (fiber/status {f}))")

    def g_fuel(self, env, d):
        f = self.fresh("f")
        fenv = env.with_(fn_boundary=True)
        return (f"(let [{f} (fiber/new (fn [] {self.body(fenv, d)}) :fuel)] "
                f"(fiber/set-fuel {f} {self.pick(['0', '5', '50', '1000'])}) "
                f"(list (fiber/resume {f}) (fiber/fuel {f}) (fiber/status {f})))")

    def g_protect(self, env, d):
        k = self.pick(["protect", "try", "error", "assert"])
        inner = env.with_(fn_boundary=True)      # protect/try/defer run the body in a fiber's fn
        if k == "protect":
            return f"(protect {self.body(inner, d)})"
        if k == "try":
            e = self.fresh("err")
            return f"(try {self.body(inner, d)} (catch {e} {self.expr(env.with_([e]), d)}))"
        if k == "error":
            return f"(error {self.expr(env, d)})"
        return f'(assert {self.expr(env, d)} "fuzz")'

    def g_defer(self, env, d):
        return f"(defer {self.expr(env, d)} {self.body(env.with_(fn_boundary=True), d)})"

    def g_emit(self, env, d):
        return f"({self.pick(['yield', 'emit :user', 'emit :yield', 'emit :debug'])} {self.expr(env, d)})"

    def g_println(self, env, d):
        return f"({self.pick(['println', 'print'])} {self.expr(env, d)})"

    def g_match(self, env, d):
        a, b, r, x = self.fresh(), self.fresh(), self.fresh(), self.fresh()
        arms = [f"1 {self.expr(env, d)}",
                f"[{a} {b}] {self.expr(env.with_([a, b]), d)}",
                f"({a} & {r}) {self.expr(env.with_([a, r]), d)}",
                f"{{:a {a}}} {self.expr(env.with_([a]), d)}",
                f":k {self.expr(env, d)}",
                f"{x} {self.expr(env.with_([x]), d)}"]
        keep = [arm for arm in arms[:-1] if self.num(0, 1)]
        return f"(match {self.expr(env, d)} {' '.join(keep + [arms[-1]])})"


@st.composite
def programs(draw, max_depth=4):
    return program_from_tape(draw(st.binary(min_size=64, max_size=2000)), max_depth)


def program_from_tape(tape, max_depth=4) -> str:
    g = Gen(tape)
    fns = {g.fresh("fn"): g.num(0, 3) for _ in range(g.num(0, 3))}
    env = Env(fns=fns)
    out = ["(signal :user)"]
    for name, arity in fns.items():
        params = [g.fresh("p") for _ in range(arity)]
        inner = env.with_(params, fn_boundary=True)
        out.append(f"(defn {name} [{' '.join(params)}] {g.body(inner, max_depth)})")
    top = []
    for _ in range(g.num(1, 4)):
        e = g.expr(env, max_depth)
        top.append(f"(println {e})" if g.num(0, 1) else e)
    return "\n".join(out + top) + "\n"


def run_checked(text, jit=0):
    try:
        r = run_program(text, "gen.lisp", fuel=FUEL, jit=jit, **LIMITS)
    except Exception as e:  # noqa: BLE001 - the point of the test
        raise AssertionError(f"Python exception {type(e).__name__}: {e}\n--- program:\n{text}") from e
    assert r.status in (0, 1), f"status {r.status}: {r.error_text}\n--- program:\n{text}"
    return r


def run_both_ways(text):
    """(output, status, error kind, error text, ticks) with and without fast paths."""
    from vm import execute
    outcomes = []
    for fusion in (True, False):
        old = execute.FUSION
        execute.FUSION = fusion
        try:
            r = run_program(text, "gen.lisp", fuel=FUEL, jit=0, **dict(LIMITS, max_depth=5_000))
        finally:
            execute.FUSION = old
        outcomes.append((r.output, r.status, r.error_kind, r.error_text, r.ticks))
    return outcomes


@FUZZ
@given(programs())
def test_random_programs_run_cleanly(text):
    r = run_checked(text)
    if r.status == 1:
        assert r.error_text and "Traceback" not in r.error_text


@settings(FUZZ, max_examples=max(EXAMPLES // 4, 25))
@given(programs())
def test_random_programs_agree_with_and_without_fast_paths(text):
    """Superinstructions, regions and routines change nothing: the same output, error and
    ticks with them (a depth limit high enough for routines to run) and without."""
    fast, slow = run_both_ways(text)
    assert fast == slow, text


@pytest.mark.skipif(not HAVE_JIT, reason="no JIT (vm/jit)")
@settings(FUZZ, max_examples=max(EXAMPLES // 4, 25))
@given(programs())
def test_random_programs_agree_in_both_tiers(text):
    a = run_checked(text, jit=0)
    b = run_checked(text, jit=1)
    assert (a.status, a.output, a.error_text, a.ticks) == (b.status, b.output, b.error_text, b.ticks), \
        f"tiers differ\n--- program:\n{text}\n--- jit=0: {a.status} {a.ticks} {a.output!r} {a.error_text}" \
        f"\n--- jit=1: {b.status} {b.ticks} {b.output!r} {b.error_text}"


SECONDS = float(os.environ.get("VMDBG_FUZZ_SECONDS", 0))


@pytest.mark.skipif(not SECONDS, reason="long mode: set VMDBG_FUZZ_SECONDS")
def test_random_programs_for_a_while():
    """VMDBG_FUZZ_SECONDS of programs from random tapes, each checked by all three properties."""
    seeds = random.Random()
    end = time.monotonic() + SECONDS
    counts = {0: 0, 1: 0}
    while time.monotonic() < end:
        seed = seeds.randrange(1 << 62)
        rnd = random.Random(seed)
        text = program_from_tape(bytes(rnd.randrange(256) for _ in range(rnd.randrange(64, 2000))))
        where = f"seed {seed}\n--- program:\n{text}"
        a = run_checked(text)
        if a.status == 1:
            assert a.error_text and "Traceback" not in a.error_text, where
        fast, slow = run_both_ways(text)
        assert fast == slow, f"fast paths change the run: {where}"
        if HAVE_JIT:
            b = run_checked(text, jit=1)
            assert (a.status, a.output, a.error_text, a.ticks) == (b.status, b.output, b.error_text, b.ticks), \
                f"tiers differ: {where}\n--- jit=0: {a.status} {a.ticks} {a.error_text}\n--- jit=1: " \
                f"{b.status} {b.ticks} {b.error_text}"
        counts[a.status] += 1
    print(f"\nfuzz long run: {sum(counts.values())} programs in {SECONDS:.0f} s: {counts[0]} finished, "
          f"{counts[1]} ended with a Lisp error")


def test_generator_makes_programs_that_compile():
    """Most generated programs must get past the compiler, or the fuzz tests little."""
    seen = []

    @settings(max_examples=100, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(programs())
    def collect(text):
        seen.append(run_program(text, "gen.lisp", fuel=FUEL, **LIMITS).status)

    collect()
    assert seen and all(s in (0, 1) for s in seen)
    # Some runs end in a Lisp error or run out of fuel; enough must finish to exercise
    # whole programs.
    assert seen.count(0) >= len(seen) // 10, seen


# -- 3. random bytecode ------------------------------------------------------------------------

CONST_POOL = [0, 1, -1, 7, 2 ** 70, 1.5, "s", "", None, True, False, Keyword("a"), Symbol("x"),
              2, 3, 4096, 1 << 32]
NATIVES = ["+", "list", "println", "fiber/new", "fiber/resume", "first", "get", "emit", "apply",
           "range", "string", "fiber/set-fuel", "=", "push", "length"]
ROLE_RANGE = {"const": 6, "local": 4, "capture": 2, "global": 4, "count": 3, "argc": 3, "bits": 4}


@st.composite
def instruction_lists(draw, n_instr):
    """[(name, operand or None, jump target index or None)]; jumps name instruction indexes."""
    out = []
    for _ in range(n_instr):
        info = draw(st.sampled_from(bytecode.OPCODES))
        ops = []
        target = None
        for role in info.operands:
            if role == "jump":
                target = draw(st.integers(0, n_instr))        # n_instr: just past the end
                ops.append(0)
            elif role == "bits":
                ops.append(draw(st.sampled_from([0, 1, 2, 4, 256, 4096, 3, 1024])))
            else:
                ops.append(draw(st.integers(0, ROLE_RANGE[role])))
        out.append((info.name, ops, target))
    if draw(st.booleans()):
        out.append(("LoadNil", [], None))
        out.append(("Return", [], None))
    return out


def assemble(instrs) -> bytes:
    offsets, off = [], 0
    for name, _, _ in instrs:
        offsets.append(off)
        off += bytecode.BY_NAME[name].size
    offsets.append(off)
    code = b""
    for i, (name, ops, target) in enumerate(instrs):
        if target is not None:
            ops = [offsets[min(target, len(instrs))] - offsets[i + 1]]
        code += encode(name, *ops)
    return code


@st.composite
def random_functions(draw, nested=True):
    from vm.primitives import PRIMITIVES
    consts = draw(st.lists(st.sampled_from(CONST_POOL), min_size=1, max_size=5))
    consts += [PRIMITIVES[n] for n in draw(st.lists(st.sampled_from(NATIVES), max_size=2))]
    nlocals = draw(st.integers(0, 3))
    nparams = draw(st.integers(0, nlocals))
    captures = draw(st.lists(st.tuples(st.booleans(), st.integers(0, 2), st.just("c")), max_size=2)) \
        if not nested else []
    children = []
    if nested and draw(st.booleans()):
        child = draw(random_functions(nested=False))
        children.append(child)
        consts.append(child)
    instrs = draw(instruction_lists(draw(st.integers(1, 12))))
    return CompiledFunction(name="fz" if nested else "child", code=assemble(instrs), constants=consts,
                            nlocals=nlocals, nparams=nparams if not nested else 0,
                            captures=captures, children=children, source="fuzz")


@st.composite
def balanced_code(draw, nconsts, nlocals, ncaptures, max_len=14):
    """Straight-line code that never underflows the stack, with an occasional forward
    JumpIfFalse over a stack-neutral stretch, ending in Return: it mostly verifies, so the
    run-time side of random bytecode gets exercised too."""
    out = []          # (name, ops, target index)
    depth = 0

    def pick_op():
        infos = [i for i in bytecode.OPCODES if i.name not in ("Jump", "JumpIfFalse", "JumpIfTrue")]
        return draw(st.sampled_from(infos))

    def operands(info, depth):
        ops = []
        for role in info.operands:
            if role == "argc":
                ops.append(draw(st.integers(0, max(depth - 1, 0))))
            elif role == "count":
                ops.append(draw(st.integers(0, depth)))
            elif role == "bits":
                ops.append(draw(st.sampled_from([1, 2, 4, 256, 4096, 3])))
            elif role == "const":
                ops.append(draw(st.integers(0, max(nconsts - 1, 0))))
            elif role == "local":
                ops.append(draw(st.integers(0, max(nlocals - 1, 0))))
            elif role == "capture":
                ops.append(draw(st.integers(0, max(ncaptures - 1, 0))))
            else:
                ops.append(draw(st.integers(0, 3)))
        return ops

    n = draw(st.integers(1, max_len))
    i = 0
    while i < n:
        if depth >= 1 and draw(st.integers(0, 6)) == 0:
            # cond JumpIfFalse L; <neutral>; L:
            jump_at = len(out)
            out.append(["JumpIfFalse", [0], None])
            depth -= 1
            base = depth
            for _ in range(draw(st.integers(0, 3))):
                info = pick_op()
                ops = operands(info, depth)
                pops, pushes = bytecode.stack_effect(info, ops)
                if pops > depth or info.name in ("Return", "TailCall"):
                    continue
                out.append([info.name, ops, None])
                depth += pushes - pops
            while depth > base:
                out.append(["Pop", [], None])
                depth -= 1
            while depth < base:
                out.append(["LoadNil", [], None])
                depth += 1
            out[jump_at][2] = len(out)
            i += 1
            continue
        info = pick_op()
        ops = operands(info, depth)
        pops, pushes = bytecode.stack_effect(info, ops)
        if pops > depth:
            continue
        out.append([info.name, ops, None])
        i += 1
        if info.name in ("Return", "TailCall"):
            return [tuple(x) for x in out]
        depth += pushes - pops
    if depth == 0:
        out.append(["LoadNil", [], None])
    out.append(["Return", [], None])
    return [tuple(x) for x in out]


@st.composite
def balanced_functions(draw):
    from vm.primitives import PRIMITIVES
    consts = draw(st.lists(st.sampled_from(CONST_POOL), min_size=1, max_size=4))
    consts += [PRIMITIVES[n] for n in draw(st.lists(st.sampled_from(NATIVES), min_size=1, max_size=3))]
    child = None
    if draw(st.booleans()):
        nloc = draw(st.integers(0, 2))
        child = CompiledFunction(name="child", constants=list(consts), nlocals=nloc,
                                 nparams=draw(st.integers(0, nloc)), source="fuzz")
        child.code = assemble(draw(balanced_code(len(consts), nloc, 0)))
        consts.append(child)
    nlocals = draw(st.integers(1, 3))
    main = CompiledFunction(name="fz", constants=consts, nlocals=nlocals, source="fuzz",
                            children=[child] if child is not None else [])
    main.code = assemble(draw(balanced_code(len(consts), nlocals, 0)))
    return main


@FUZZ
@given(balanced_functions())
def test_random_stack_balanced_bytecode_is_refused_or_runs_cleanly(main):
    run_function(main)


def run_function(main, jit=0, fuel=2_000):
    """Verify `main` (and nested functions) like VM.compile_text does, then run it."""
    vm = VM(jit=jit, **LIMITS)
    for f in main.all_functions():
        f.global_names = vm.table.names
    try:
        verify_all(main)
    except VerifyError as e:
        assert str(e).startswith("verify error in function"), str(e)
        return None
    for f in main.all_functions():
        decode_function(f, jit > 0)
    vm.main = main
    vm.start(main)
    vm.set_fuel(fuel)
    reason = vm.run()
    assert vm.halted and vm.status in ("finished", "error"), (reason, vm.status)
    if vm.status == "error":
        kind, text = format_uncaught(vm)
        assert kind and text
    return vm


@FUZZ
@given(random_functions())
def test_random_bytecode_is_refused_or_runs_cleanly(main):
    run_function(main)


@st.composite
def mutated_programs(draw):
    """A generated program's compiled code with one byte changed."""
    text = draw(programs(max_depth=3))
    vm = VM(**LIMITS)
    try:
        main = vm.compile_text(text, "gen.lisp", Module(vm.table, vm.prelude))
    except SourceError:
        assume(False)
    funcs = list(main.all_functions())
    func = draw(st.sampled_from(funcs))
    code = bytearray(func.code)
    i = draw(st.integers(0, len(code) - 1))
    how = draw(st.sampled_from(["byte", "small", "opcode"]))
    if how == "byte":
        code[i] = draw(st.integers(0, 255))
    elif how == "small":
        code[i] = (code[i] + draw(st.sampled_from([1, -1, 2, -2]))) % 256
    else:
        starts = [off for off, *_ in bytecode.iter_instructions(bytes(code))]
        off = draw(st.sampled_from(starts))
        same = [o.code for o in bytecode.OPCODES if o.size == bytecode.OPCODES[code[off]].size]
        code[off] = draw(st.sampled_from(same))
    func.code = bytes(code)
    return vm, main, text


@FUZZ
@given(mutated_programs())
def test_mutated_bytecode_is_refused_or_runs_cleanly(case):
    vm, main, text = case
    try:
        verify_all(main)
    except VerifyError:
        return
    for f in main.all_functions():
        decode_function(f, False)
    vm.main = main
    vm.start(main)
    vm.set_fuel(FUEL)
    try:
        vm.run()
    except Exception as e:  # noqa: BLE001
        raise AssertionError(f"{type(e).__name__}: {e}\n--- program:\n{text}") from e
    assert vm.halted and vm.status in ("finished", "error")
    if vm.status == "error":
        format_uncaught(vm)


def test_bytecode_generator_gets_past_the_verifier_often():
    accepted = []

    @settings(max_examples=100, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(balanced_functions())
    def collect(main):
        accepted.append(run_function(main) is not None)

    collect()
    assert sum(accepted) >= len(accepted) // 3, f"only {sum(accepted)} of {len(accepted)} verified"

