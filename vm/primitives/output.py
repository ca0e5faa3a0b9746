"""Output primitives: print and println write display forms to the VM's output stream."""

from __future__ import annotations

from vm.primitives.registry import primitive
from vm.primitives.types import guard_depth
from vm.values import display


@primitive("print", 0, None, pure=False)
@guard_depth("print")
def print_values(vm, *args):
    """Write the display forms of the arguments, with nothing between them; returns nil."""
    vm.write("".join(display(v) for v in args))
    return None


@primitive("println", 0, None, pure=False)
@guard_depth("println")
def print_line(vm, *args):
    """Like print, then a newline."""
    vm.write("".join(display(v) for v in args) + "\n")
    return None
