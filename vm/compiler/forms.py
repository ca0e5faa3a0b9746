"""Emission of every core form: compile_<form> methods dispatched from a table."""

from __future__ import annotations

from vm.compiler.control import ControlForms
from vm.compiler.macros import MACROS, Core
from vm.compiler.state import FunctionState
from vm.reader import Form
from vm.values import EMPTY, Keyword, Symbol

# Primitives that compile straight to one opcode when called with this many arguments
# and the name is not shadowed: name -> {argc: opcode}.
INTRINSICS = {
    "+": {2: "Add"}, "-": {2: "Sub"}, "*": {2: "Mul"}, "/": {2: "Div"}, "rem": {2: "Rem"},
    "=": {2: "Eq"}, "<": {2: "Lt"}, ">": {2: "Gt"}, "<=": {2: "Le"}, ">=": {2: "Ge"},
    "not": {1: "Not"}, "nil?": {1: "IsNil"}, "symbol?": {1: "IsSymbol"}, "array?": {1: "IsArray"},
    "pair?": {1: "IsPair"}, "struct?": {1: "IsStruct"}, "first": {1: "First"}, "rest": {1: "Rest"},
    "pair": {2: "MakePair"}, "length": {1: "Length"}, "get": {2: "Get"},
    "%add": {2: "Add"}, "%sub": {2: "Sub"}, "%mul": {2: "Mul"}, "%div": {2: "Div"},
    "%rem": {2: "Rem"}, "%eq": {2: "Eq"}, "%lt": {2: "Lt"}, "%gt": {2: "Gt"}, "%le": {2: "Le"},
    "%ge": {2: "Ge"}, "%not": {1: "Not"}, "%first": {1: "First"}, "%rest": {1: "Rest"},
    "%pair": {2: "MakePair"},
}

COLLECTION_OPS = {"array": "MakeArray", "marray": "MakeMArray", "struct": "MakeStruct",
                  "mstruct": "MakeMStruct", "set": "MakeSet", "mset": "MakeMSet"}

SPECIAL_FORMS = ("def", "var", "fn", "let", "letrec", "if", "cond", "begin", "do", "block",
                 "break", "while", "assign", "and", "or", "quote", "emit", "match", "signal")


class Compiler(ControlForms):
    """Compiles one file. Function states chain through `enclosing`."""

    def __init__(self, filename, module, registry, primitives):
        self.filename = filename
        self.module = module
        self.registry = registry
        self.primitives = primitives
        self.fs: FunctionState | None = None
        self.special = {name: getattr(self, "compile_" + name) for name in SPECIAL_FORMS}
        self.def_mutable = False        # the def being compiled is a var (store_def_name)

    # -- entry -------------------------------------------------------------

    def compile_program(self, forms, name="main", evaluated=None):
        """The file body becomes the main function; its top-level defs are globals.

        evaluated: for `eval`, the set of names earlier evals defined (it gains the new
        ones). An eval may define new globals and redefine its own, never the program's,
        and no code relies on the arity of what it defines."""
        forms = self.strip_epoch(forms)
        self.declare_signals(forms)
        self.fs = FunctionState(name, None, self.filename, forms[0].span if forms else None, self.module.table)
        for gname, mutable, value in self.scan_defs(forms):
            if evaluated is not None:
                if gname not in evaluated and self.module.lookup(gname) is not None:
                    self.error_at(forms[0], f"eval cannot redefine '{gname}', a global of the program")
                evaluated.add(gname)
            g = self.module.define(gname, mutable)
            g.fn_arity = None if mutable or evaluated is not None else self.fn_literal_arity(value)
        self.compile_sequence(forms, tail=False)
        if not forms:
            self.fs.emit_const(None)
        self.fs.emit("Return")
        return self.fs.finish()

    def strip_epoch(self, forms):
        if forms and forms[0].kind == "list" and forms[0].value and forms[0].value[0].is_symbol("elle/epoch"):
            f = forms[0]
            if len(f.value) != 2 or f.value[1].value != 10 or type(f.value[1].value) is not int:
                self.error_at(f, "only epoch 10 is supported")
            return forms[1:]
        return forms

    def declare_signals(self, forms):
        """(signal :name) anywhere declares a user signal before any code is compiled."""
        stack = list(reversed(forms))
        while stack:
            f = stack.pop()
            if f.kind == "atom":
                continue
            items = f.value
            if f.kind == "list" and len(items) == 2 and items[0].is_symbol("signal") and items[1].is_keyword():
                self.registry.declare(items[1].value.name)
            stack.extend(reversed(items))

    # -- helpers -------------------------------------------------------------

    def error_at(self, form, message):
        from vm.errors import CompileError
        s = form.span
        raise CompileError(message, s.file, s.line, s.col)

    def malformed(self, form, what, usage):
        self.error_at(form, f"malformed {what}: expected {usage}")

    def scan_defs(self, forms):
        """(name, mutable, value form) of every def/var/defn in a body, through begin."""
        from vm.compiler.patterns import pattern_names
        out = []
        for f in forms:
            if f.kind != "list" or not f.value or not f.value[0].is_symbol():
                continue
            head = f.value[0].value.name
            if self.fs is not None and self.fs.lookup_here(head) is not None:
                continue
            if head == "begin":
                out += self.scan_defs(f.value[1:])
            elif head in ("def", "var") and len(f.value) >= 2:
                target = f.value[1]
                value = f.value[2] if len(f.value) > 2 else None
                for name in pattern_names(self, target):
                    mutable = head == "var" or name.startswith("@")
                    out.append((name.lstrip("@"), mutable, value if target.kind == "atom" else None))
            elif head == "defn" and len(f.value) >= 3 and f.value[1].is_symbol():
                out.append((f.value[1].value.name, False, Form("list", [Form("atom", Symbol("fn"), f.span), *f.value[2:]], f.span)))
        return out

    def fn_literal_arity(self, value):
        """(nparams, nopt, rest) when `value` is an (fn [params] ...) form."""
        if value is None or value.kind != "list" or not value.value or not value.value[0].is_symbol("fn"):
            return None
        items = value.value
        params = items[1] if len(items) > 1 else None
        if params is not None and params.is_symbol() and len(items) > 2:
            params = items[2]
        if params is None or params.kind not in ("array", "list"):
            return None
        return self.parse_params(params)[1]

    # -- dispatch --------------------------------------------------------------

    def compile(self, form, tail=False):
        """Emit code leaving the value of `form` on the stack (or tail-calling)."""
        fs = self.fs
        saved = fs.cur_span
        span = fs.cur_span = form.span
        fs.func.form_starts.append((span, len(fs.code)))
        try:
            kind = form.kind
            if kind == "atom":
                v = form.value               # compile_atom, inline: a third of all forms
                if type(v) is Symbol:
                    self.compile_symbol(form, v.name)
                else:
                    fs.emit_const(v)
            elif kind == "list":
                self.compile_list(form, tail)
            elif kind in COLLECTION_OPS:
                for item in form.value:
                    self.compile(item)
                n = len(form.value) // 2 if kind in ("struct", "mstruct") else len(form.value)
                fs.emit(COLLECTION_OPS[kind], n)
            else:
                self.error_at(form, f"cannot compile {kind}")
        finally:
            fs.cur_span = saved

    def compile_atom(self, form):
        v = form.value
        if type(v) is Symbol:
            self.compile_symbol(form, v.name)
        else:
            self.fs.emit_const(v)

    def compile_symbol(self, form, name):
        # a:b:c reads (get (get a :b) :c)
        if ":" in name[1:] and not name.endswith(":"):
            parts = name.split(":")
            self.compile_symbol(form, parts[0])
            for key in parts[1:]:
                self.fs.emit_const(Keyword(key))
                self.fs.emit("Get")
            return
        self.compile_variable(form, name)

    def compile_variable(self, form, name):
        fs = self.fs
        if type(form) is Core:
            # An expansion's name for a prelude function or a primitive: never the program's.
            prelude = self.module
            while prelude.parent is not None:
                prelude = prelude.parent
            g = prelude.globals.get(name)
        else:
            r = fs.resolve(name)
            if r is not None:
                if r[0] == "local":
                    fs.emit_load_binding(r[1])
                else:
                    binding = r[2]
                    fs.emit("LoadCaptureCell" if binding.mutable or binding.letrec else "LoadCapture", r[1])
                return
            g = self.module.lookup(name)
        if g is not None:
            fs.emit("LoadGlobal", g.index)
            return
        prim = self.primitives.get(name)
        if prim is not None:
            fs.emit("LoadConst", fs.add_constant(prim))
            return
        self.error_at(form, f"unknown variable: {name}")

    def compile_list(self, form, tail):
        items = form.value
        if not items:
            self.fs.emit_const(EMPTY)
            return
        head = items[0]
        core = type(head) is Core          # written by an expansion: never the program's binding
        if head.kind == "atom" and type(head.value) is Symbol and (core or self.fs.resolve(head.value.name) is None):
            name = head.value.name
            if name in self.special:
                self.special[name](form, tail)
                return
            if name in MACROS and (core or self.module.lookup(name) is None):
                self.compile(MACROS[name](form), tail)
                return
            # (Not for a Core head: its bindings were not looked up.)
            self.compile_call(form, tail, unbound=not core)
            return
        self.compile_call(form, tail)

    # -- calls -------------------------------------------------------------------

    def compile_call(self, form, tail, unbound=False):
        """A call; `unbound`: the head is a symbol the caller found no local or captured
        binding for (fs.resolve gave None), so it is not looked up again."""
        fs = self.fs
        head, args = form.value[0], form.value[1:]
        if head.kind == "atom" and type(head.value) is Symbol:
            name = head.value.name
            if name.startswith("%") and name in INTRINSICS and (unbound or self.fs.resolve(name) is None):
                self.compile_intrinsic(form, name, args)
                return
            if type(head) is Core:
                prim = self.primitives.get(name)
            elif unbound:
                prim = None if self.module.lookup(name) is not None else self.primitives.get(name)
            else:
                prim = self.primitive_named(name)
            if prim is not None:
                if self.compile_intrinsic(form, name, args):
                    return
                self.check_arity(form, name, len(args), (prim.min_args, prim.max_args))
            else:
                self.check_known_arity(form, name, len(args))
        elif head.kind == "atom":
            self.error_at(head, f"cannot call {head.value!r}: it is not a function")
        self.compile(head)
        for a in args:
            self.compile(a)
        fs.cur_span = form.span
        fs.emit("TailCall" if tail else "Call", len(args))

    def primitive_named(self, name):
        if self.fs.resolve(name) is not None or self.module.lookup(name) is not None:
            return None
        return self.primitives.get(name)

    def compile_intrinsic(self, form, name, args):
        ops = INTRINSICS.get(name)
        if ops is None:
            return False
        fs = self.fs
        n = len(args)
        if name.startswith("%") and n not in ops:
            self.error_at(form, f"wrong number of arguments to {name}: expected {next(iter(ops))}, got {n}")
        if name in ("+", "-", "%add", "%sub") and n == 2 and args[1].kind == "atom" and type(args[1].value) is int:
            self.compile(args[0])
            k = args[1].value if name in ("+", "%add") else -args[1].value
            fs.cur_span = form.span
            fs.emit("AddInt", fs.add_constant(k))
            return True
        if n not in ops:
            return False
        for a in args:
            self.compile(a)
        fs.cur_span = form.span
        fs.emit(ops[n])
        return True

    def check_known_arity(self, form, name, argc):
        r = self.fs.resolve(name)
        arity = None
        if r is not None:
            binding = r[-1]
            if not binding.mutable:
                arity = binding.fn_arity
        else:
            g = self.module.lookup(name)
            if g is not None and not g.mutable:
                arity = g.fn_arity
        if arity is not None:
            nparams, nopt, rest = arity
            self.check_arity(form, name, argc, (nparams, None if rest else nparams + nopt))

    def check_arity(self, form, name, argc, bounds):
        lo, hi = bounds
        if argc < lo or (hi is not None and argc > hi):
            if hi is None:
                expected = f"at least {lo}"
            elif lo == hi:
                expected = str(lo)
            else:
                expected = f"{lo} to {hi}"
            self.error_at(form, f"wrong number of arguments to {name}: expected {expected}, got {argc}")

    # -- bodies ------------------------------------------------------------------

    def compile_sequence(self, forms, tail, void=False):
        """Each form's value is dropped except the last one's (nil for none).

        With `void`, no value is left at all (a loop body)."""
        if not forms:
            if not void:
                self.fs.emit_const(None)
            return
        for f in forms[:-1]:
            self.compile_statement(f)
        if void:
            self.compile_statement(forms[-1])
        else:
            self.compile(forms[-1], tail)

    def compile_statement(self, form):
        """Compile a form whose value is not used: assignments store without Dup/Pop."""
        fs = self.fs
        items = form.value
        head = items[0].value.name if form.kind == "list" and items and items[0].is_symbol() else None
        if head in ("assign", "def", "var") and fs.resolve(head) is None and len(items) == 3:
            saved, fs.cur_span = fs.cur_span, form.span
            fs.func.form_starts.append((form.span, fs.here()))
            try:
                if head == "assign":
                    self.compile_assign(form, False, keep=False)
                else:
                    self.compile_def(form, False, keep=False)
            finally:
                fs.cur_span = saved
            return
        self.compile(form)
        saved, fs.cur_span = fs.cur_span, form.span
        fs.emit("Pop")
        fs.cur_span = saved

    def compile_body(self, forms, tail, void=False):
        """A body: defs in it form one letrec, declared (as nil) before anything runs.

        So do defs nested in its expressions (a branch of an `if`, a call's argument): the
        name is the body's from its start, nil until the def runs, so a function that
        captures it on a path where the def did not run still finds its cell."""
        fs = self.fs
        for name, mutable, value in self.scan_defs(forms) + self.scan_nested_defs(forms):
            if fs.scopes[-1].get(name) is None:
                b = fs.declare(name, mutable=mutable, letrec=True)
                b.fn_arity = None if mutable else self.fn_literal_arity(value)
                fs.emit_const(None)
                fs.emit_store_binding(b, init=True)
        self.compile_sequence(forms, tail, void)

    # Forms whose insides are another scope (or another function, or data): a def in them
    # is not the body's.
    _SCOPED = frozenset(("fn", "defn", "let", "let*", "letrec", "do", "block", "forever", "each",
                         "match", "case", "quote", "quasiquote", "if-let", "when-let", "protect",
                         "defer", "try"))

    def scan_nested_defs(self, forms):
        """(name, mutable, None) of every def/var inside the expressions of a body, outside
        nested scopes (see compile_body)."""
        from vm.compiler.patterns import pattern_names
        from vm.errors import CompileError
        out = []
        lookup_here = self.fs.lookup_here
        stack = list(reversed(forms))
        while stack:
            f = stack.pop()
            if f.kind == "atom":
                continue
            items = f.value
            if (f.kind == "list" and items and items[0].kind == "atom" and type(items[0].value) is Symbol
                    and lookup_here(items[0].value.name) is None):
                head = items[0].value.name
                if head in ("def", "var") and len(items) >= 2:
                    try:
                        names = pattern_names(self, items[1])
                    except CompileError:
                        names = []          # malformed: compiling it reports that
                    for name in names:
                        out.append((name.lstrip("@"), head == "var" or name.startswith("@"), None))
                    stack.extend(reversed(items[2:]))
                    continue
                if head == "defn" and len(items) >= 3 and items[1].is_symbol():
                    out.append((items[1].value.name, False, None))
                    continue
                if head == "while":
                    stack.extend(reversed(items[1:2]))      # the loop body is a scope of its own
                    continue
                if head in self._SCOPED:
                    continue
            stack.extend(reversed(items))
        return out

    def compile_begin(self, form, tail):
        self.compile_sequence(form.value[1:], tail)

    def compile_do(self, form, tail):
        self.fs.push_scope()
        self.compile_body(form.value[1:], tail)
        self.fs.pop_scope()

    # -- definitions -------------------------------------------------------------

    def compile_def(self, form, tail, keep=True):
        from vm.compiler.patterns import store_pattern
        items = form.value
        if len(items) not in (2, 3):
            self.malformed(form, items[0].value.name, f"({items[0].value.name} name value)")
        target = items[1]
        if target.kind == "atom" and type(target.value) is not Symbol:
            self.malformed(form, items[0].value.name, f"({items[0].value.name} name value)")
        if target.is_symbol("&") or target.is_symbol("&opt"):
            self.error_at(target, f"{items[0].value.name}: {target.value.name} cannot be a name")
        self.def_mutable = items[0].is_symbol("var")
        if len(items) == 3:
            value = items[2]
            if target.is_symbol() and value.kind == "list" and value.value and value.value[0].is_symbol("fn"):
                self.compile_fn(value, False, name=target.value.name.lstrip("@"))
            else:
                self.compile(value)
        else:
            self.fs.emit_const(None)
        if keep:
            self.fs.emit("Dup")
        store_pattern(self, target, self.store_def_name)

    def compile_var(self, form, tail):
        self.compile_def(form, tail)

    def store_def_name(self, name, form):
        """Store the value on the stack into a def'd name: a global at top level, else a local."""
        fs = self.fs
        name = name.lstrip("@")
        if fs.enclosing is None and len(fs.scopes) == 1:
            # Top-level defs were declared before compiling; one inside an expression
            # (`(println (def x 1))`, a begin in a def's value) is declared here.
            g = self.module.globals.get(name) or self.module.define(name, self.def_mutable)
            fs.emit("StoreGlobal", g.index)
            return
        b = fs.lookup_here(name)
        if b is None:
            b = fs.declare(name, mutable=True)
            fs.emit_store_binding(b, init=True)
        else:
            fs.emit_store_binding(b)

    # -- functions -------------------------------------------------------------

    def parse_params(self, params):
        """([(name or pattern Form, mutable)], (nparams, nopt, rest), rest_index)."""
        out = []
        nparams = nopt = 0
        rest = False
        mode = "req"
        for p in params.value:
            if p.is_symbol("&"):
                mode = "rest"
                continue
            if p.is_symbol("&opt"):
                mode = "opt"
                continue
            if p.kind == "atom" and type(p.value) is not Symbol:
                self.error_at(p, "malformed parameter list: expected names")
            if mode == "rest":
                if rest:
                    self.error_at(p, "malformed parameter list: only one name may follow &")
                rest = True
            elif mode == "opt":
                nopt += 1
            else:
                nparams += 1
            out.append(p)
        return out, (nparams, nopt, rest)

    def compile_fn(self, form, tail, name=None):
        # (fn name? [params] body...) -> a new FunctionState; here: MakeClosure [const]
        from vm.compiler.patterns import store_pattern
        items = form.value
        i = 1
        if len(items) > 1 and items[1].is_symbol():
            name = items[1].value.name
            i = 2
        if name is not None and "#" in name:
            name = None         # bound to an expansion's own name: as anonymous as written
        if len(items) <= i or items[i].kind not in ("array", "list"):
            self.malformed(form, "fn", "(fn [params] body...)")
        params, (nparams, nopt, rest) = self.parse_params(items[i])
        body = items[i + 1:]
        outer = self.fs
        fs = FunctionState(name or "fn", outer, self.filename, form.span, self.module.table)
        fs.func.nparams, fs.func.nopt, fs.func.rest = nparams, nopt, rest
        self.fs = fs
        try:
            patterns = []
            for p in params:
                if p.is_symbol():
                    pname = p.value.name
                    b = fs.declare(pname.lstrip("@"), mutable=pname.startswith("@"))
                    if b.mutable:
                        b.captured = True       # mutable parameters always live in cells
                        fs.emit("LoadLocal", b.slot)
                        fs.emit("MakeCell", b.slot)
                else:
                    b = fs.declare(f"arg{len(fs.bindings)}")
                    patterns.append((b, p))
            for b, p in patterns:
                fs.emit("LoadLocal", b.slot)
                store_pattern(self, p, self.store_let_name)
            self.compile_body(body, tail=True)
            fs.emit("Return")
            func = fs.finish()
        finally:
            self.fs = outer
        outer.func.children.append(func)
        outer.emit("MakeClosure", outer.add_constant(func))

    # -- let -------------------------------------------------------------------

    def store_let_name(self, name, form):
        fs = self.fs
        b = fs.declare(name.lstrip("@"), mutable=name.startswith("@"))
        fs.emit_store_binding(b, init=True)
        return b

    def binding_pairs(self, form, what):
        items = form.value
        if len(items) < 2 or items[1].kind not in ("array", "list") or len(items[1].value) % 2:
            self.malformed(form, what, f"({what} [name value ...] body...)")
        pairs = items[1].value
        return [(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2)], items[2:]

    def compile_let(self, form, tail):
        # <v1> StoreLocal a; <v2> StoreLocal b; ...; <body>
        from vm.compiler.patterns import store_pattern
        pairs, body = self.binding_pairs(form, "let")
        fs = self.fs
        fs.push_scope()
        for target, value in pairs:
            if target.is_symbol() and value.kind == "list" and value.value and value.value[0].is_symbol("fn"):
                self.compile_fn(value, False, name=target.value.name.lstrip("@"))
            else:
                self.compile(value)
            fs.cur_span = target.span
            store_pattern(self, target, self.store_let_name)
            if target.is_symbol() and not target.value.name.startswith("@"):
                b = fs.lookup_here(target.value.name)
                if b is not None:
                    b.fn_arity = self.fn_literal_arity(value)
        self.compile_body(body, tail)
        fs.pop_scope()

    def compile_letrec(self, form, tail):
        # Every name is declared (nil, in a cell if captured) before any value runs.
        pairs, body = self.binding_pairs(form, "letrec")
        fs = self.fs
        fs.push_scope()
        bindings = []
        for target, value in pairs:
            if not target.is_symbol():
                self.error_at(target, "malformed letrec: names must be symbols")
            name = target.value.name
            b = fs.declare(name.lstrip("@"), mutable=name.startswith("@"), letrec=True)
            b.fn_arity = self.fn_literal_arity(value)
            fs.emit_const(None)
            fs.emit_store_binding(b, init=True)
            bindings.append(b)
        for (target, value), b in zip(pairs, bindings):
            self.compile(value)
            fs.emit_store_binding(b)
        self.compile_body(body, tail)
        fs.pop_scope()

    # -- assignment --------------------------------------------------------------

    def compile_assign(self, form, tail, keep=True):
        # <value> [Dup] Store...   (the Dup only when the assignment's value is used)
        items = form.value
        if len(items) != 3 or not items[1].is_symbol():
            self.malformed(form, "assign", "(assign name value)")
        name = items[1].value.name
        fs = self.fs
        self.compile(items[2])
        fs.cur_span = form.span
        if keep:
            fs.emit("Dup")
        r = fs.resolve(name)
        if r is not None:
            binding = r[-1]
            if not binding.mutable:
                self.immutable_error(items[1], name)
            if r[0] == "local":
                fs.emit_store_binding(binding)
            else:
                fs.emit("StoreCaptureCell", r[1])
            return
        g = self.module.lookup(name)
        if g is None:
            if name in self.primitives:
                self.immutable_error(items[1], name)
            self.error_at(items[1], f"unknown variable: {name}")
        if not g.mutable:
            self.immutable_error(items[1], name)
        fs.emit("StoreGlobal", g.index)

    def immutable_error(self, form, name):
        self.error_at(form, f"cannot assign to immutable binding '{name}'; "
                            f"declare it mutable with @{name} (or var)")
