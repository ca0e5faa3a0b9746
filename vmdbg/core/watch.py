"""Watch expressions and breakpoint conditions, evaluated without touching program state."""

from __future__ import annotations

from vm.call import make_locals
from vm.compiler import Module
from vm.errors import SourceError
from vm.fiber import STATUS_ALIVE, Closure, Fiber, Frame
from vm.values import Cell

WATCH_FUEL = 100_000

# VM fields a watch run may disturb; saved before and put back after.
_SAVED = ("current", "tick", "fuel_tick", "fuel_dirty", "halted", "status", "result", "uncaught",
          "error_site", "held_signal", "held_ip", "catch_bits", "stop_reason", "next_fiber_id", "run_limit",
          "output_size", "pause_requested", "run_target", "max_instructions", "heap_room")


def frame_bindings(frame) -> dict:
    """Names visible in `frame` -> values (locals in scope, then captures)."""
    out = {}
    if frame is None:
        return out
    func = frame.func
    for i, (_, _, name) in enumerate(func.captures):
        if "#" not in name and i < len(frame.closure.captures):
            v = frame.closure.captures[i]
            out[name] = v.value if type(v) is Cell else v
    for slot, name in enumerate(func.local_names):
        if "#" in name or slot >= len(frame.locals):
            continue
        start, end = func.local_scopes[slot]
        if start <= frame.ip <= end:
            v = frame.locals[slot]
            out[name] = v.value if type(v) is Cell else v
    return out


def compile_watch(vm, expression: str, names: list[str]):
    """Compile `(fn [names...] expression)` against the program's globals."""
    module = Module(vm.table, vm.module or vm.prelude)
    params = " ".join(names)
    text = f"(fn [{params}]\n{expression}\n)"
    main = vm.compile_text(text, "<watch>", module)
    vm.sources.pop("<watch>", None)
    return main


def evaluate(vm, frame, expression: str, patches_of=None):
    """(True, value) or (False, error text). Program state never changes: the expression
    runs in a throwaway fiber with a fuel cap, impure primitives are refused, and every
    VM field it could move is put back."""
    from vm.api import format_uncaught
    bindings = frame_bindings(frame)
    names = [n for n in bindings if _plain(n)]
    # Compiling `(signal :x)` declares a signal: the registry is put back as well.
    registry = vm.registry
    saved_signals = (dict(registry.bits), registry.next_user)
    try:
        main = compile_watch(vm, expression, names)
    except Exception as e:          # SourceError, or the verifier refusing the code
        if not isinstance(e, SourceError):
            return False, f"internal error: {type(e).__name__}: {e}"
        if "cannot assign to immutable binding" in e.message and any(f"'{n}'" in e.message for n in names):
            return False, "watch-error: a watch cannot assign a local"
        return False, f"{e.phase} error: {e.message}"
    finally:
        registry.bits, registry.next_user = saved_signals
    saved = {name: getattr(vm, name) for name in _SAVED}
    saved_chunks = len(vm.output)
    lifted = patches_of().lift_all() if patches_of is not None else None
    vm.read_only = True
    vm.max_instructions = None          # the program's --fuel does not limit its watches
    vm.pause_requested = False          # a pause is for the program (put back after), not the watch
    try:
        maker = Closure(main, ())
        fiber = Fiber(maker, 0, None, -1)
        fiber.status = STATUS_ALIVE
        fiber.frames = [Frame(maker, [None] * main.nlocals)]
        fiber.fuel = WATCH_FUEL
        vm.current, vm.halted, vm.catch_bits, vm.held_signal = fiber, False, 0, None
        vm.run(vm.tick + 10)
        if vm.status != "finished":
            return False, "could not build the watch"
        closure = vm.result
        args = [bindings[n] for n in names]
        fiber = Fiber(closure, 0, None, -1)
        fiber.status = STATUS_ALIVE
        fiber.frames = [Frame(closure, make_locals(closure.func, args))]
        fiber.fuel = WATCH_FUEL
        vm.current, vm.halted = fiber, False
        vm.run(vm.tick + WATCH_FUEL + 10)
        if vm.status == "finished":
            return True, vm.result
        if vm.uncaught is None:
            return False, "watch did not finish"
        kind, text = format_uncaught(vm)
        return False, text.splitlines()[0]
    except Exception as e:  # a bug in the VM must not take the debugger down
        return False, f"internal error: {type(e).__name__}: {e}"
    finally:
        vm.read_only = False
        for name, value in saved.items():
            setattr(vm, name, value)
        del vm.output[saved_chunks:]
        if lifted is not None:
            patches_of().reapply(lifted)


def _plain(name: str) -> bool:
    return bool(name) and not name[0].isdigit() and " " not in name
