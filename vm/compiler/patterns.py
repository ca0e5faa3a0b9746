"""Destructuring (let, def, parameters) and `match` patterns."""

from __future__ import annotations

from vm.compiler.state import Label
from vm.values import EMPTY, Symbol


def pattern_names(c, pat) -> list[str]:
    """Every name a destructuring pattern binds, in order (`_` and `&` excluded)."""
    if pat.kind == "atom":
        if type(pat.value) is Symbol and pat.value.name not in ("_", "&", "&opt"):
            return [pat.value.name]
        return []
    if pat.kind in ("array", "list"):
        out = []
        for p in pat.value:
            out += pattern_names(c, p)
        return out
    if pat.kind == "struct":
        out = []
        for p in pat.value[1::2]:
            out += pattern_names(c, p)
        return out
    c.error_at(pat, "malformed binding pattern")
    return []


def store_pattern(c, pat, store_name):
    """Consume the value on the stack, binding the names of `pat` (missing parts are nil).

    [a b & rest]: each element by index, `rest` the slice after them;
    {:k p}: each key's value; _: drop."""
    fs = c.fs
    if pat.kind == "atom":
        if type(pat.value) is not Symbol:
            c.error_at(pat, "malformed binding pattern: expected a name")
        if pat.value.name == "_":
            fs.emit("Pop")
        else:
            store_name(pat.value.name, pat)
        return
    if pat.kind not in ("array", "list", "struct"):
        c.error_at(pat, "malformed binding pattern")
    tmp = fs.declare(f"pattern#{len(fs.bindings)}")
    fs.emit_store_binding(tmp, init=True)
    if pat.kind == "struct":
        items = pat.value
        for i in range(0, len(items) - 1, 2):
            fs.emit_load_binding(tmp)
            c.compile(items[i])
            fs.emit("Get")
            store_pattern(c, items[i + 1], store_name)
        return
    items = pat.value
    index = 0
    k = 0
    while k < len(items):
        p = items[k]
        if p.is_symbol("&"):
            if k + 1 >= len(items):
                c.error_at(p, "malformed binding pattern: a name must follow &")
            emit_slice(c, tmp, index)
            store_pattern(c, items[k + 1], store_name)
            return
        fs.emit_load_binding(tmp)
        fs.emit_const(index)
        fs.emit("Get")
        store_pattern(c, p, store_name)
        index += 1
        k += 1


def emit_slice(c, tmp, start):
    fs = c.fs
    fs.emit("LoadConst", fs.add_constant(c.primitives["slice"]))
    fs.emit_load_binding(tmp)
    fs.emit_const(start)
    fs.emit("Call", 2)


# -- match ----------------------------------------------------------------------


def compile_match(c, form, tail):
    #     <value> StoreLocal v
    # arm:  <test pattern against v, JumpIfFalse next> [<guard> JumpIfFalse next]
    #       <body> Jump end
    # next: ... next arm ...
    # end:
    items = form.value
    if len(items) < 3:
        c.malformed(form, "match", "(match value pattern body ...)")
    fs = c.fs
    arms = parse_arms(c, form, items[2:])
    last_pat, last_guard, _ = arms[-1]
    if last_guard is not None or not is_catch_all(last_pat):
        c.error_at(form, "non-exhaustive match: the last arm must be a catch-all (_ or a name)")
    c.compile(items[1])
    fs.push_scope()
    src = fs.declare(f"match#{len(fs.bindings)}")
    fs.emit_store_binding(src, init=True)
    end = Label()
    for pat, guard, body in arms:
        nxt = Label()
        fs.push_scope()
        test_pattern(c, pat, src, nxt)
        if guard is not None:
            c.compile(guard)
            fs.emit_jump("JumpIfFalse", nxt)
        c.compile(body, tail)
        fs.emit_jump("Jump", end)
        fs.pop_scope()
        fs.place(nxt)
    fs.emit_const(None)
    fs.place(end)
    fs.pop_scope()


def parse_arms(c, form, rest):
    arms = []
    i = 0
    while i < len(rest):
        pat = rest[i]
        if i + 1 >= len(rest):
            c.error_at(pat, "malformed match: a pattern needs a body")
        if rest[i + 1].is_symbol("when"):
            if i + 3 >= len(rest):
                c.error_at(pat, "malformed match: expected pattern when guard body")
            arms.append((pat, rest[i + 2], rest[i + 3]))
            i += 4
        else:
            arms.append((pat, None, rest[i + 1]))
            i += 2
    return arms


def is_catch_all(pat) -> bool:
    return pat.kind == "atom" and type(pat.value) is Symbol


def bind_match_name(c, name, src):
    """Bind `name` in the current arm (or reuse it: alternatives of `or` share names)."""
    fs = c.fs
    b = fs.scopes[-1].get(name.lstrip("@"))
    fs.emit_load_binding(src)
    if b is None:
        b = fs.declare(name.lstrip("@"), mutable=name.startswith("@"))
        fs.emit_store_binding(b, init=True)
    else:
        fs.emit_store_binding(b)


def temp_from(c, src, op, *consts):
    """A fresh hidden local holding `op` applied to src (and constants)."""
    fs = c.fs
    fs.emit_load_binding(src)
    for k in consts:
        fs.emit_const(k)
    fs.emit(op)
    t = fs.declare(f"match#{len(fs.bindings)}")
    fs.emit_store_binding(t, init=True)
    return t


def test_literal(c, src, value, fail):
    fs = c.fs
    fs.emit_load_binding(src)
    fs.emit_const(value)
    fs.emit("Eq")
    fs.emit_jump("JumpIfFalse", fail)


def test_pattern(c, pat, src, fail):
    """Emit a test of the value in `src` against `pat`, jumping to `fail` on mismatch."""
    fs = c.fs
    if pat.kind == "atom":
        v = pat.value
        if type(v) is Symbol:
            if v.name != "_":
                bind_match_name(c, v.name, src)
        else:
            test_literal(c, src, v, fail)
        return
    if pat.kind == "list" and pat.value and pat.value[0].is_symbol("quote"):
        if len(pat.value) != 2:
            c.error_at(pat, "malformed quote pattern: expected (quote datum)")
        test_literal(c, src, pat.value[1].to_value(), fail)
        return
    if pat.kind == "list" and pat.value and pat.value[0].is_symbol("or"):
        if len(pat.value) < 2:
            c.error_at(pat, "malformed or pattern: expected (or pattern...)")
        test_or(c, pat.value[1:], src, fail)
        return
    if pat.kind in ("array", "marray"):
        test_array(c, pat.value, src, fail)
        return
    if pat.kind == "list":
        test_list(c, pat.value, src, fail)
        return
    if pat.kind in ("struct", "mstruct"):
        test_struct(c, pat.value, src, fail)
        return
    c.error_at(pat, "malformed match pattern")


def test_or(c, alternatives, src, fail):
    fs = c.fs
    matched = Label()
    for alt in alternatives[:-1]:
        nxt = Label()
        test_pattern(c, alt, src, nxt)
        fs.emit_jump("Jump", matched)
        fs.place(nxt)
    test_pattern(c, alternatives[-1], src, fail)
    fs.place(matched)


def split_rest(c, items):
    for k, p in enumerate(items):
        if p.is_symbol("&"):
            if k + 2 != len(items):
                c.error_at(p, "malformed match pattern: exactly one pattern must follow &")
            return items[:k], items[k + 1]
    return items, None


def test_array(c, items, src, fail):
    fs = c.fs
    fixed, rest = split_rest(c, items)
    fs.emit_load_binding(src)
    fs.emit("IsArray")
    fs.emit_jump("JumpIfFalse", fail)
    fs.emit_load_binding(src)
    fs.emit("Length")
    fs.emit_const(len(fixed))
    fs.emit("Eq" if rest is None else "Ge")
    fs.emit_jump("JumpIfFalse", fail)
    for i, p in enumerate(fixed):
        test_pattern(c, p, temp_from(c, src, "Get", i), fail)
    if rest is not None:
        fs.emit("LoadConst", fs.add_constant(c.primitives["slice"]))
        fs.emit_load_binding(src)
        fs.emit_const(len(fixed))
        fs.emit("Call", 2)
        t = fs.declare(f"match#{len(fs.bindings)}")
        fs.emit_store_binding(t, init=True)
        test_pattern(c, rest, t, fail)


def test_list(c, items, src, fail):
    fs = c.fs
    fixed, rest = split_rest(c, items)
    cur = src
    for p in fixed:
        fs.emit_load_binding(cur)
        fs.emit("IsPair")
        fs.emit_jump("JumpIfFalse", fail)
        test_pattern(c, p, temp_from(c, cur, "First"), fail)
        cur = temp_from(c, cur, "Rest")
    if rest is None:
        test_literal(c, cur, EMPTY, fail)
    else:
        test_pattern(c, rest, cur, fail)


def test_struct(c, items, src, fail):
    fs = c.fs
    fs.emit_load_binding(src)
    fs.emit("IsStruct")
    fs.emit_jump("JumpIfFalse", fail)
    for i in range(0, len(items) - 1, 2):
        key = items[i]
        if key.kind != "atom":
            c.error_at(key, "malformed match pattern: struct keys must be literals")
        fs.emit("LoadConst", fs.add_constant(c.primitives["has?"]))
        fs.emit_load_binding(src)
        fs.emit_const(key.value)
        fs.emit("Call", 2)
        fs.emit_jump("JumpIfFalse", fail)
        test_pattern(c, items[i + 1], temp_from(c, src, "Get", key.value), fail)
