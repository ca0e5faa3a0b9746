"""The registry every primitive group writes into: the table and its decorator."""

from __future__ import annotations

from vm.values import Native

# name -> Native; filled by the group modules imported at the bottom.
PRIMITIVES: dict[str, Native] = {}


def primitive(name: str, min_args: int = 0, max_args: int | None = None,
              pure: bool = True, control: bool = False):
    """Register `fn(vm, *args)` as the primitive `name`.

    The VM checks the argument count against min_args/max_args (None: variadic) before
    calling, so bodies may assume it. `pure=False` marks side effects (output, mutation,
    fiber state) so the JIT never calls it."""

    def register(fn):
        PRIMITIVES[name] = Native(name, fn, min_args, max_args, pure, control,
                                  (fn.__doc__ or "").strip())
        return fn

    return register
