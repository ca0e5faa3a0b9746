"""The compiler: Forms to CompiledFunctions (scopes, captures, tail calls, emission)."""

from __future__ import annotations

from vm.compiler.state import Global


class GlobalTable:
    """Every top-level binding of every module loaded into one VM, by index."""

    def __init__(self):
        self.names: list[str] = []      # index -> name (shown by the disassembler)
        self.values: list = []          # index -> current value

    def new(self, name: str) -> int:
        self.names.append(name)
        self.values.append(None)
        return len(self.names) - 1


class Module:
    """The top-level bindings one file defines; lookups fall back to `parent` (the prelude)."""

    def __init__(self, table: GlobalTable, parent: "Module | None" = None):
        self.table = table
        self.parent = parent
        self.globals: dict[str, Global] = {}
        self.evaluated: set[str] | None = None     # names `eval` defined (vm/compiler/forms.py)

    def lookup(self, name: str) -> Global | None:
        g = self.globals.get(name)
        if g is None and self.parent is not None:
            return self.parent.lookup(name)
        return g

    def define(self, name: str, mutable: bool) -> Global:
        g = self.globals.get(name)
        if g is None:
            g = Global(name, self.table.new(name), mutable)
            self.globals[name] = g
        else:
            g.mutable = g.mutable or mutable
        return g


def compile_program(forms, filename, module, registry, primitives):
    """Compile a file's forms into its main function (the root fiber's body)."""
    from vm.compiler.forms import Compiler
    try:
        return Compiler(filename, module, registry, primitives).compile_program(forms)
    except RecursionError as e:
        # The compiler recurses per nesting level (macros add levels): a very deep
        # expression is a compile error at the deepest form reached, not a crash.
        raise _nested_too_deeply(e, filename) from None


def compile_eval(forms, filename, module, registry, primitives):
    """Compile data given to `eval` (already Forms) into a function of no arguments run in
    the program's global environment; its top-level defs become globals of `module`."""
    from vm.compiler.forms import Compiler
    if module.evaluated is None:
        module.evaluated = set()
    try:
        return Compiler(filename, module, registry, primitives).compile_program(
            forms, "eval", module.evaluated)
    except RecursionError as e:
        raise _nested_too_deeply(e, filename) from None


def _nested_too_deeply(exc, filename):
    from vm.errors import CompileError
    span = None
    tb = exc.__traceback__
    while tb is not None:
        form = tb.tb_frame.f_locals.get("form")
        if getattr(form, "span", None) is not None:
            span = form.span
        tb = tb.tb_next
    message = "expression nested too deeply to compile"
    if span is None:
        return CompileError(message, filename, 1, 1)
    return CompileError(message, span.file, span.line, span.col)
