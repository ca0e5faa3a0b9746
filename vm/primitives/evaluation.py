"""`eval`: compile quoted data in the program's global environment and run it."""

from __future__ import annotations

from vm.call import call_value
from vm.errors import LispError, SourceError
from vm.fiber import Closure
from vm.primitives.registry import primitive


@primitive("eval", 1, 1, pure=False, control=True)
def eval_(vm, datum):
    """(eval 'form) compile form as top-level code of the program and run it; its value.

    Top-level defs in it define globals (new names, or ones an earlier eval defined).
    A form that does not compile raises a catchable :compile-error at the eval call:
    `(protect (eval '(break 42)))` is `[false {:error :compile-error ...}]`."""
    from vm.compiler import compile_eval
    from vm.core import span_before
    from vm.execute import decode_function
    from vm.reader import form_of_value
    from vm.verify import VerifyError, verify_function
    cur = vm.current
    frame = cur.frames[-1]
    span = span_before(frame.func, max(frame.ip - 1, 0))
    where = f"{span.file}:{span.line}:{span.col}" if span is not None else "eval"
    try:
        form = form_of_value(datum, span)
    except ValueError as e:
        raise LispError("compile-error", f"eval: {where}: cannot evaluate {e}") from None
    except RecursionError:
        raise LispError("compile-error", f"eval: {where}: form nested too deeply") from None
    module = vm.module or vm.prelude
    try:
        main = compile_eval([form], span.file if span is not None else "<eval>", module,
                            vm.registry, vm.primitives)
        for func in main.all_functions():
            verify_function(func)
            decode_function(func, vm.jit_threshold > 0)
    except SourceError as e:
        raise LispError("compile-error", f"eval: {where}: {e.message}") from None
    except VerifyError as e:
        raise LispError("compile-error", f"eval: {where}: {e}") from None
    return call_value(vm, cur, frame, Closure(main, ()), [], frame.ip, False)
