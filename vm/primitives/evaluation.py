"""`eval`: compile quoted data in the program's global environment and run it."""

from __future__ import annotations

from vm.call import call_value
from vm.errors import LispError, SourceError, VMBug
from vm.fiber import Closure
from vm.primitives.registry import primitive
from vm.reader import form_of_value


@primitive("eval", 1, 1, pure=False, control=True)
def eval_(vm, datum):
    """(eval 'form) compile form as top-level code of the program and run it; its value.

    Top-level defs in it define globals (new names, or ones an earlier eval defined).
    A form that does not compile raises a catchable :compile-error at the eval call:
    `(protect (eval '(break 42)))` is `[false {:error :compile-error ...}]`."""
    cur = vm.current
    frame = cur.frames[-1]
    span = _call_span(frame)
    where = f"{span.file}:{span.line}:{span.col}" if span is not None else "eval"
    try:
        form = form_of_value(datum, span)
    except ValueError as e:
        raise LispError("compile-error", f"eval: {where}: cannot evaluate {e}") from None
    except RecursionError:
        raise LispError("compile-error", f"eval: {where}: form nested too deeply") from None
    try:
        main = vm.compile_eval([form], span.file if span is not None else "<eval>")
    except SourceError as e:
        raise LispError("compile-error", f"eval: {where}: {e.message}") from None
    except VMBug as e:          # the verifier refused the code
        raise LispError("compile-error", f"eval: {where}: {e}") from None
    return call_value(vm, cur, frame, Closure(main, ()), [], frame.ip, False)


def _call_span(frame):
    """The span of the call instruction (just before frame.ip), or the nearest before it."""
    func = frame.func
    locs = func.locations
    ip = frame.ip - 1
    while ip >= 0:
        s = locs.get(ip)
        if s is not None:
            return s
        ip -= 1
    return func.span
