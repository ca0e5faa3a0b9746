"""Prelude forms (defn, when, each, protect, try, defer, ...) rewritten into core forms.

Each expander takes the whole form and returns a new Form built from the same spans, so
errors, breakpoints and the source view still point at what the user wrote.
"""

from __future__ import annotations

import itertools

from vm.reader import Form
from vm.values import Keyword, Symbol

_gensym_counter = itertools.count(1)


def gensym(prefix: str) -> str:
    """A name no program can write (the reader never produces `#`)."""
    return f"{prefix}#{next(_gensym_counter)}"


class Core(Form):
    """A name an expansion writes for a special form, a prelude form or a primitive: it
    means that, whatever the program binds to the same name (a local `let`, a global `=`),
    so expansions stay correct in any scope (vm/compiler/forms.py checks the type)."""

    __slots__ = ()


class Build:
    """Small constructors for Forms that all share one span."""

    def __init__(self, span):
        self.span = span

    def sym(self, name):
        if "#" in name:             # a gensym: a name of this expansion
            return Form("atom", Symbol(name), self.span)
        return Core("atom", Symbol(name), self.span)

    def kw(self, name):
        return Form("atom", Keyword(name), self.span)

    def atom(self, value):
        return Form("atom", value, self.span)

    def list(self, *items):
        return Form("list", list(items), self.span)

    def call(self, head, *args):
        return Form("list", [self.sym(head), *args], self.span)

    def vec(self, *items):
        return Form("array", list(items), self.span)


def _malformed(form, what, usage):
    from vm.errors import CompileError
    s = form.span
    raise CompileError(f"malformed {what}: expected {usage}", s.file, s.line, s.col)


def expand_defn(form):
    # (defn name [params] "doc"? body...) -> (def name (fn name [params] body...))
    items = form.value
    if len(items) < 3 or not items[1].is_symbol() or items[2].kind not in ("array", "list"):
        _malformed(form, "defn", "(defn name [params] body...)")
    body = items[3:]
    if len(body) > 1 and body[0].kind == "atom" and type(body[0].value) is str:
        body = body[1:]
    b = Build(form.span)
    fn = Form("list", [b.sym("fn"), items[1], items[2], *body], form.span)
    return b.list(b.sym("def"), items[1], fn)


def expand_when(form):
    items = form.value
    if len(items) < 2:
        _malformed(form, "when", "(when cond body...)")
    b = Build(form.span)
    return b.list(b.sym("if"), items[1], Form("list", [b.sym("begin"), *items[2:]], form.span), b.atom(None))


def expand_unless(form):
    items = form.value
    if len(items) < 2:
        _malformed(form, "unless", "(unless cond body...)")
    b = Build(form.span)
    return b.list(b.sym("if"), items[1], b.atom(None), Form("list", [b.sym("begin"), *items[2:]], form.span))


def expand_forever(form):
    b = Build(form.span)
    return Form("list", [b.sym("while"), b.atom(True), *form.value[1:]], form.span)


def expand_let_star(form):
    return Form("list", [Build(form.span).sym("let"), *form.value[1:]], form.span)


def expand_yield(form):
    items = form.value
    if len(items) > 2:
        _malformed(form, "yield", "(yield value?)")
    b = Build(form.span)
    return b.list(b.sym("emit"), b.kw("yield"), items[1] if len(items) == 2 else b.atom(None))


def expand_error(form):
    # (error v?) -> (emit :error v); (error :kind "message") builds the usual error struct.
    items = form.value
    b = Build(form.span)
    if len(items) == 1:
        payload = b.atom(None)
    elif len(items) == 2:
        payload = items[1]
    elif len(items) == 3:
        payload = Form("struct", [b.kw("error"), items[1], b.kw("message"), items[2]], form.span)
    else:
        _malformed(form, "error", "(error value?)")
    return b.list(b.sym("emit"), b.kw("error"), payload)


def _protect_fiber(b, body):
    # (fiber/new (fn [] body...) 1): a fiber whose mask catches only :error.
    thunk = Form("list", [b.sym("fn"), b.vec(), *body], b.span)
    return b.call("fiber/new", thunk, b.atom(1))


def expand_protect(form):
    # (let [f (fiber/new (fn [] body...) |:error|) v (fiber/resume f)]
    #   [(= (fiber/status f) :dead) v])
    b = Build(form.span)
    f, v = gensym("protect-fiber"), gensym("protect-value")
    return b.list(b.sym("let"),
                  b.vec(b.sym(f), _protect_fiber(b, form.value[1:]),
                        b.sym(v), b.call("fiber/resume", b.sym(f))),
                  b.vec(b.call("=", b.call("fiber/status", b.sym(f)), b.kw("dead")), b.sym(v)))


def expand_try(form):
    # (try body... (catch e handler...)) ->   (e: a name or a destructuring pattern)
    # (let [f (fiber/new (fn [] body...) 1) v (fiber/resume f)]
    #   (if (= (fiber/status f) :dead) v (let [e v] handler...)))
    items = form.value
    if len(items) < 2 or items[-1].kind != "list" or not items[-1].value or not items[-1].value[0].is_symbol("catch"):
        _malformed(form, "try", "(try body... (catch e handler...))")
    catch = items[-1].value
    # The error is bound by a name or a destructuring pattern: (catch {:error k :message m} ...)
    if len(catch) < 2 or not (catch[1].is_symbol() or catch[1].kind in ("array", "list", "struct")):
        _malformed(items[-1], "catch", "(catch e handler...) or (catch {:error kind :message msg} handler...)")
    b = Build(form.span)
    f, v = gensym("try-fiber"), gensym("try-value")
    handler = Form("list", [b.sym("let"), b.vec(catch[1], b.sym(v)), *catch[2:]], items[-1].span)
    return b.list(b.sym("let"),
                  b.vec(b.sym(f), _protect_fiber(b, items[1:-1]),
                        b.sym(v), b.call("fiber/resume", b.sym(f))),
                  b.list(b.sym("if"), b.call("=", b.call("fiber/status", b.sym(f)), b.kw("dead")),
                         b.sym(v), handler))


def expand_defer(form):
    # (defer cleanup body...) ->
    # (let [f (fiber/new (fn [] body...) 1) v (fiber/resume f)]
    #   cleanup
    #   (if (= (fiber/status f) :dead) v (fiber/propagate f)))
    items = form.value
    if len(items) < 2:
        _malformed(form, "defer", "(defer cleanup body...)")
    b = Build(form.span)
    f, v = gensym("defer-fiber"), gensym("defer-value")
    return b.list(b.sym("let"),
                  b.vec(b.sym(f), _protect_fiber(b, items[2:]),
                        b.sym(v), b.call("fiber/resume", b.sym(f))),
                  items[1],
                  b.list(b.sym("if"), b.call("=", b.call("fiber/status", b.sym(f)), b.kw("dead")),
                         b.sym(v), b.call("fiber/propagate", b.sym(f))))


def expand_case(form):
    # (case e v1 b1 v2 b2 default?) -> (let [t e] (cond (= t 'v1) b1 ... default))
    items = form.value
    if len(items) < 2:
        _malformed(form, "case", "(case expr value body ... default?)")
    b = Build(form.span)
    t = gensym("case")
    clauses = []
    rest = items[2:]
    for i in range(0, len(rest) - 1, 2):
        clauses += [b.call("=", b.sym(t), b.list(b.sym("quote"), rest[i])), rest[i + 1]]
    if len(rest) % 2:
        clauses.append(rest[-1])
    return b.list(b.sym("let"), b.vec(b.sym(t), items[1]), Form("list", [b.sym("cond"), *clauses], form.span))


def expand_if_let(form):
    # (if-let [x e] then else?) -> (let [t e] (if t (let [x t] then) else))
    items = form.value
    if len(items) not in (3, 4) or items[1].kind not in ("array", "list") or len(items[1].value) != 2:
        _malformed(form, "if-let", "(if-let [name expr] then else?)")
    b = Build(form.span)
    t = gensym("if-let")
    pat, expr = items[1].value
    then = b.list(b.sym("let"), b.vec(pat, b.sym(t)), items[2])
    other = items[3] if len(items) == 4 else b.atom(None)
    return b.list(b.sym("let"), b.vec(b.sym(t), expr), b.list(b.sym("if"), b.sym(t), then, other))


def expand_when_let(form):
    items = form.value
    if len(items) < 2 or items[1].kind not in ("array", "list") or len(items[1].value) != 2:
        _malformed(form, "when-let", "(when-let [name expr] body...)")
    b = Build(form.span)
    body = Form("list", [b.sym("begin"), *items[2:]], form.span)
    return b.list(b.sym("if-let"), items[1], body)


def expand_each(form):
    # (each x coll body...) ->
    # (let [c coll]
    #   (if (fiber? c)
    #     (while true
    #       (let [v (fiber/resume c)]
    #         (if (or (not v) (= (fiber/status c) :dead)) (break :while nil))
    #         (let [x v] body...)))
    #     (let [a (%each-items c) @i 0 n (length a)]
    #       (while (< i n) (let [x (get a i)] body...) (assign i (+ i 1))))))
    items = form.value
    if len(items) < 3:
        _malformed(form, "each", "(each name collection body...)")
    b = Build(form.span)
    pat, coll, body = items[1], items[2], items[3:]
    c, v, a, i, n = (gensym(p) for p in ("each-coll", "each-value", "each-items", "each-index", "each-count"))
    fiber_loop = b.list(
        b.sym("while"), b.atom(True),
        b.list(b.sym("let"), b.vec(b.sym(v), b.call("fiber/resume", b.sym(c))),
               b.list(b.sym("if"), b.call("or", b.call("not", b.sym(v)),
                                           b.call("=", b.call("fiber/status", b.sym(c)), b.kw("dead"))),
                      b.call("break", b.kw("while"), b.atom(None))),
               Form("list", [b.sym("let"), b.vec(pat, b.sym(v)), *body], form.span)))
    index_loop = b.list(
        b.sym("let"), b.vec(b.sym(a), b.call("%each-items", b.sym(c)), b.sym("@" + i), b.atom(0),
                            b.sym(n), b.call("length", b.sym(a))),
        b.list(b.sym("while"), b.call("<", b.sym(i), b.sym(n)),
               Form("list", [b.sym("let"), b.vec(pat, b.call("get", b.sym(a), b.sym(i))), *body], form.span),
               b.call("assign", b.sym(i), b.call("+", b.sym(i), b.atom(1)))))
    return b.list(b.sym("let"), b.vec(b.sym(c), coll),
                  b.list(b.sym("if"), b.call("fiber?", b.sym(c)), fiber_loop, index_loop))


def expand_quasiquote(form):
    items = form.value
    if len(items) != 2:
        _malformed(form, "quasiquote", "`form")
    return _qq(items[1])


def _qq(x):
    b = Build(x.span)
    if x.kind == "list" and x.value and x.value[0].is_symbol("unquote"):
        return x.value[1]
    if x.kind in ("list", "array", "marray"):
        parts = []
        for item in x.value:
            if item.kind == "list" and item.value and item.value[0].is_symbol("unquote-splicing"):
                parts.append(item.value[1])
            else:
                parts.append(b.call("list", _qq(item)))
        joined = b.call("%qq-append", *parts)
        if x.kind == "array":
            return b.call("%list->array", joined, b.atom(False))
        if x.kind == "marray":
            return b.call("%list->array", joined, b.atom(True))
        return joined
    return b.list(b.sym("quote"), x)


MACROS = {
    "defn": expand_defn, "when": expand_when, "unless": expand_unless,
    "forever": expand_forever, "let*": expand_let_star, "yield": expand_yield,
    "error": expand_error, "protect": expand_protect, "try": expand_try,
    "defer": expand_defer, "case": expand_case, "if-let": expand_if_let,
    "when-let": expand_when_let, "each": expand_each, "quasiquote": expand_quasiquote,
}
