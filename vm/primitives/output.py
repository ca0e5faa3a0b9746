"""Output primitives: print and println write display forms to the VM's output stream."""

from __future__ import annotations

from vm.errors import LispError
from vm.primitives.registry import primitive
from vm.primitives.types import guard_depth
from vm.values import display


def printed(vm, args, end: str = "") -> str:
    """The text print writes, never longer than one string may be (--max-collection) or
    than the output still allowed (--max-output): a longer one stops as soon as a part of
    it is too long, with the error a longer string or output gives."""
    limit = vm.max_collection
    room = None if vm.max_output is None else vm.max_output - vm.output_size - len(end)
    cap = limit if room is None else room if limit is None else min(limit, room)
    parts = []
    try:
        for v in args:
            s = display(v, cap)
            parts.append(s)
            if cap is not None:
                cap -= len(s)
                if cap < 0:
                    raise LispError("size-limit", "")
    except LispError as e:
        if e.kind != "size-limit":
            raise
        if room is not None and (limit is None or room < limit):
            raise LispError("output-limit", f"output limit of {vm.max_output} characters exceeded") from None
        raise LispError("size-limit", f"printed text of more than {limit} characters exceeds the limit "
                                      f"of {limit}") from None
    return "".join(parts) + end


@primitive("print", 0, None, pure=False)
@guard_depth("print")
def print_values(vm, *args):
    """Write the display forms of the arguments, with nothing between them; returns nil."""
    vm.write(printed(vm, args))
    return None


@primitive("println", 0, None, pure=False)
@guard_depth("println")
def print_line(vm, *args):
    """Like print, then a newline."""
    vm.write(printed(vm, args, "\n"))
    return None
