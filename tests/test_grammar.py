"""A grammar-driven generator: every special form and prelude form nested in every position.

tests/test_fuzz.py generates programs that are valid by construction, from the forms a
program usually writes. This generator instead takes the language's grammar, a template for
each special form, each prelude form and the calls that shape control (fibers, eval), and
fills every hole of a template (a call argument, a binding's value, a condition, a body, a
`fn` body, a pattern, the top level; tail and non-tail) with any other form, valid or not.
So `def` turns up inside a `begin` inside a call argument, `break` in a binding, `yield`
in a `catch` handler, a destructuring pattern where a name was expected.

The contract checked for every program:

- no Python exception escapes the reader, the compiler, the verifier or the VM;
- the outcome is status 0 (finished), 1 (an uncaught Lisp error, reported with a
  `FILE:LINE:COL` location) or 2 (a read or compile error, `FILE:LINE:COL: ... error:`);
- the interpreter and the JIT (`jit=1`) agree on output, status, error text and ticks;
- a sample also runs through the command line, whose exit status and stderr follow the
  same rules (no traceback).

Short by default (CI: a fixed set of seeds). The long mode runs random seeds for a time:

    VMDBG_GRAMMAR_SECONDS=1800 python -m pytest tests/test_grammar.py -q -s

and prints how many programs it ran. A failure prints the seed and the program; each bug
it found has a minimal program under tests/programs/regression/.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import time

import pytest

from vm.api import run_program
from vm.compiler.forms import SPECIAL_FORMS
from vm.compiler.macros import MACROS

SECONDS = float(os.environ.get("VMDBG_GRAMMAR_SECONDS", 0))
CI_SEEDS = range(int(os.environ.get("VMDBG_GRAMMAR_PROGRAMS", 240)))
FUEL = 5_000
LIMITS = dict(max_depth=120, max_collection=2_000, max_output=5_000, max_heap=1_500)
LOCATION = re.compile(r"\S+:\d+:\d+")

try:
    import llvmlite  # noqa: F401
    HAVE_JIT = True
except ImportError:  # pragma: no cover
    HAVE_JIT = False

# Each template is a form with holes:
#   E  any expression (any template, recursively)   B  a body: one to three E
#   N  a name being bound (usually a new one)        R  a name read or assigned (usually in scope)
#   P  a pattern: a name, [P P], [P & N], {:k P}, _  K  a signal keyword    V  a literal value
# The key says where it came from; the test checks every special form and prelude form
# has at least one template.
TEMPLATES = {
    "and": ["(and E E)", "(and)", "(and E E E)"],
    "or": ["(or E E)", "(or)"],
    "assign": ["(assign R E)", "(assign x E)", "(assign x E)"],
    "begin": ["(begin B)", "(begin)"],
    "do": ["(do B)"],
    "block": ["(block B)", "(block :lbl B)"],
    "break": ["(break)", "(break E)", "(break :lbl E)", "(block B (break E))", "(block :lbl B (break :lbl E))"],
    "cond": ["(cond E E E E)", "(cond E E true E)", "(cond)"],
    "def": ["(def N E)", "(def P E)", "(def N)"],
    "var": ["(var N E)", "(var @N E)", "(var P E)"],
    "emit": ["(emit K E)", "(emit E E)", "(emit K)"],
    "fn": ["(fn [] B)", "(fn [N] B)", "(fn [N N] B)", "(fn [P & N] B)", "(fn [&opt N] B)"],
    "if": ["(if E E E)", "(if E E)"],
    "let": ["(let [P E] B)", "(let [N E N E] B)", "(let [] B)"],
    "letrec": ["(letrec [N (fn [N] B)] (R E))"],
    "match": ["(match E V E _ E)", "(match E [P P] E N E)", "(match E {:a P} E _ E)",
              "(match E (P when E) E _ E)"],
    "quote": ["(quote E)", "'V", "'(R V)"],
    "signal": ["(signal :user)"],
    "while": ["(while E B)", "(while false E)"],
    "case": ["(case E V E V E E)", "(case E V E)"],
    "defer": ["(defer E B)"],
    "defn": ["(defn N [N] B)", "(defn N [] B)", "(defn N [P] B)"],
    "each": ["(each N E B)", "(each P E B)"],
    "error": ["(error E)", "(error K V)", "(error)"],
    "forever": ["(forever (break E))", "(block (forever B (break)))"],
    "if-let": ["(if-let [N E] E E)", "(if-let [P E] E)"],
    "let*": ["(let* [N E N E] B)"],
    "protect": ["(protect B)"],
    "quasiquote": ["`(V ,E ,;E)", "`[V ,E]", "(quasiquote E)"],
    "try": ["(try B (catch N B))", "(try B (catch {:error N :message N} B))",
            "(try B (catch [P P] E))"],
    "unless": ["(unless E B)"],
    "when": ["(when E B)"],
    "when-let": ["(when-let [N E] B)"],
    "yield": ["(yield E)", "(yield)"],
    # calls that shape control, and ordinary calls in argument positions
    "fiber": ["(fiber/resume (fiber/new (fn [] B) K))", "(fiber/resume (fiber/new (fn [] B) K) E)",
              "(let [N (fiber/new (fn [] B) |:yield :error|)] (fiber/resume R) (fiber/status R))",
              "(fiber/set-fuel (fiber/new (fn [] B) |:fuel|) 50)"],
    "eval": ["(eval 'E)", "(eval (list '+ E 1))", "(protect (eval 'E))"],
    "call": ["(R E)", "(+ E E)", "(println E)", "((fn [N] E) E)", "(apply + [E E])",
             "(map (fn [N] E) [V V])", "(fold (fn [N N] E) 0 [V V])", "(get E E)",
             "(push @[V] E)", "(string E V)", "(length E)", "(first E)", "(E E)"],
    "collection": ["[E E]", "@[E]", "{:a E :b E}", "@{:a E}", "|V E|", "(list E E)"],
}
ATOMS = ["0", "1", "-1", "2.5", "-0.0", "\"s\"", "\"\"", "nil", "true", "false", ":a", ":error",
         "'sym", "4294967296", "9223372036854775807"]
SIGNALS = [":yield", ":error", ":user", ":fuel", "|:yield :error|", ":io", "1", "0", "||"]
NAMES = ["x", "y", "f", "acc", "n", "&", "_", "@x", "nil", "+", "let", "if", "when", "=", "fiber/status"]


class Grammar:
    """Random programs from TEMPLATES; `depth` bounds the nesting."""

    def __init__(self, seed: int):
        self.r = random.Random(seed)
        self.counter = 0

    def name(self, scope: list) -> str:
        """A name to bind: mostly new (then in scope for what follows), sometimes one
        already bound (shadowing) or an odd one (`&`, `nil`, a special form's name)."""
        r = self.r
        k = r.random()
        if scope and k < 0.2:
            return r.choice(scope)
        if k < 0.27:
            return r.choice(NAMES)
        self.counter += 1
        name = f"v{self.counter}"
        scope.append(name)
        return name

    def ref(self, scope: list) -> str:
        """A name to read: one in scope, rarely one that is not."""
        r = self.r
        if scope and r.random() < 0.97:
            return r.choice(scope)
        return r.choice(["undefined-name", "&", "_", "+", "nil"])

    def pattern(self, scope: list, depth: int) -> str:
        r = self.r
        k = r.random()
        if depth <= 0 or k < 0.5:
            return self.name(scope)
        if k < 0.65:
            return f"[{self.pattern(scope, depth - 1)} {self.pattern(scope, depth - 1)}]"
        if k < 0.8:
            return f"[{self.pattern(scope, depth - 1)} & {self.name(scope)}]"
        if k < 0.95:
            return f"{{:a {self.pattern(scope, depth - 1)}}}"
        return "_"

    def expr(self, scope: list, depth: int) -> str:
        r = self.r
        if depth <= 0 or r.random() < 0.2:
            return self.ref(scope) if scope and r.random() < 0.4 else r.choice(ATOMS)
        kind = r.choice(list(TEMPLATES))
        return self.fill(r.choice(TEMPLATES[kind]), list(scope), depth - 1)

    def fill(self, template: str, scope: list, depth: int) -> str:
        # A name a template binds is in scope after the next expression (its value:
        # `(let [N E] B)`) or at its body.
        out = []
        pending: list = []
        for tok in re.split(r"(\b[EBNRPKV]\b)", template):
            if tok == "E":
                out.append(self.expr(scope, depth))
                scope += pending
                pending.clear()
            elif tok == "B":
                scope += pending
                pending.clear()
                out.append(" ".join(self.expr(scope, depth) for _ in range(self.r.randint(1, 3))))
            elif tok == "N":
                out.append(self.name(pending))
            elif tok == "R":
                out.append(self.ref(scope))
            elif tok == "P":
                out.append(self.pattern(pending, 2))
            elif tok == "K":
                out.append(self.r.choice(SIGNALS))
            elif tok == "V":
                out.append(self.r.choice(ATOMS))
            else:
                out.append(tok)
        return "".join(out)

    def program(self, depth: int = 4) -> str:
        scope = ["x", "y", "f"]
        lines = ["(signal :user)", "(var x 1)", "(def y [1 2])", "(defn f [a] a)"]
        for _ in range(self.r.randint(1, 4)):
            e = self.expr(scope, depth)
            lines.append(f"(println {e})" if self.r.random() < 0.5 else e)
        return "\n".join(lines) + "\n"


def check(text: str, seed) -> tuple:
    """Run `text` in both tiers; assert the contract; the interpreter's outcome."""
    outcomes = []
    for jit in ((0, 1) if HAVE_JIT else (0,)):
        try:
            r = run_program(text, "gen.lisp", fuel=FUEL, jit=jit, **LIMITS)
        except Exception as e:  # noqa: BLE001 - the point of the test
            raise AssertionError(f"seed {seed}, jit={jit}: Python exception {type(e).__name__}: {e}"
                                 f"\n--- program:\n{text}") from e
        assert r.status in (0, 1, 2), f"seed {seed}: status {r.status}\n{text}"
        if r.status == 2:
            assert re.match(r"gen\.lisp:\d+:\d+: (read|compile) error: ", r.error_text), \
                f"seed {seed}: {r.error_text}\n--- program:\n{text}"
        if r.status == 1:
            assert r.error_text and "Traceback" not in r.error_text and LOCATION.search(r.error_text), \
                f"seed {seed}: {r.error_text}\n--- program:\n{text}"
        outcomes.append((r.status, r.output, r.error_text, r.ticks))
    if len(outcomes) == 2:
        a, b = outcomes
        assert a == b, f"seed {seed}: the tiers differ\n--- program:\n{text}\n--- jit=0: {a}\n--- jit=1: {b}"
    return outcomes[0]


def test_every_form_has_a_template():
    """The generator covers the whole grammar: a new special or prelude form needs a
    template here before it is tested in every position."""
    missing = (set(SPECIAL_FORMS) | set(MACROS)) - set(TEMPLATES)
    assert not missing, f"forms the grammar generator never writes: {sorted(missing)}"


def test_generated_programs_keep_the_contract():
    """A fixed set of programs in CI; each form turns up in many positions."""
    statuses = []
    for seed in CI_SEEDS:
        statuses.append(check(Grammar(seed).program(), seed)[0])
    # The programs must reach the VM often enough to test it, not only the compiler.
    assert statuses.count(0) + statuses.count(1) >= len(statuses) // 4, statuses
    assert statuses.count(2) >= 1


@pytest.mark.skipif(not SECONDS, reason="long mode: set VMDBG_GRAMMAR_SECONDS")
def test_long_run():
    """VMDBG_GRAMMAR_SECONDS of random seeds."""
    seeds = random.Random()
    end = time.monotonic() + SECONDS
    n = 0
    counts = [0, 0, 0]
    while time.monotonic() < end:
        seed = seeds.randrange(1 << 62)
        counts[check(Grammar(seed).program(5), seed)[0]] += 1
        n += 1
    print(f"\ngrammar long run: {n} programs in {SECONDS:.0f} s: {counts[0]} finished, "
          f"{counts[1]} ended with a Lisp error, {counts[2]} did not compile")


def test_the_command_line_keeps_the_contract(tmp_path):
    """Through `vmdbg run` as a user would: exit 0, 1 or 2, no traceback, a located message."""
    texts = [Grammar(seed).program(3) for seed in range(1000, 1012)]
    for i, text in enumerate(texts):
        path = tmp_path / f"g{i}.lisp"
        path.write_text(text, encoding="utf-8")
        p = subprocess.run([sys.executable, "-m", "vmdbg", "run", "--fuel", str(FUEL), "--max-depth", "120",
                            str(path)], capture_output=True, text=True, timeout=120)
        assert p.returncode in (0, 1, 2), (p.returncode, p.stderr, text)
        assert "Traceback" not in p.stderr, (p.stderr, text)
        if p.returncode:
            assert LOCATION.search(p.stderr), (p.stderr, text)
