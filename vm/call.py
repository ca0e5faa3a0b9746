"""Call and return mechanics: frames for closures, natives, tail calls, fiber switches."""

from __future__ import annotations

from vm.errors import LispError
from vm.fiber import (STATUS_ALIVE, STATUS_DEAD, STATUS_ERROR, STATUS_NEW, STATUS_PAUSED,
                      Closure, Frame)
from vm.heap import HeapCensus
from vm.values import EMPTY, Native, Pair, preview
from vm.jit.code import enter as jit_enter
from vm.signals import SIG_ERROR, SIG_HALT

# What a handler returns besides a next ip (always >= 0).
SWITCH = -1   # frames or the current fiber changed: reload everything from vm.current
STOP = -2     # stop the run here (state saved); the run loop returns to its caller


def make_locals(func, args: list) -> list:
    """Lay out parameters (padding &opt with nil, collecting & rest) then the other slots."""
    n = len(args)
    if func.rest or func.nopt:
        fixed = func.nparams + func.nopt
        if n < fixed:
            args = args + [None] * (fixed - n)
        elif func.rest:
            rest = EMPTY
            for x in reversed(args[fixed:]):
                rest = Pair(x, rest)
            args = args[:fixed]
            args.append(rest)
        if func.rest and n < fixed:
            args.append(EMPTY)
    extra = func.nlocals - len(args)
    if extra > 0:
        args = args + [None] * extra
    return args


def arity_error(name: str, func, argc: int) -> LispError:
    return LispError("arity-error", f"{name}: expected {func.arity_text} argument"
                     f"{'' if func.arity_text == '1' else 's'}, got {argc}")


def native_arity_error(f: Native, argc: int) -> LispError:
    lo, hi = f.min_args, f.max_args
    if hi is None:
        expected = f"at least {lo}"
    elif lo == hi:
        expected = str(lo)
    else:
        expected = f"{lo} to {hi}"
    return LispError("arity-error", f"{f.name}: expected {expected} argument{'' if expected == '1' else 's'}, got {argc}")


def not_callable(f) -> LispError:
    return LispError("type-error", f"cannot call {preview(f, 60)}: it is not a function")


def call_value(vm, fiber, frame, f, args: list, return_ip: int, tail: bool) -> int:
    """Call `f` with `args` from `frame`; the caller continues at `return_ip` afterwards.

    Closures get a new frame (or replace this one for a tail call); natives run now and
    their result is pushed (or returned, for a tail call)."""
    if type(f) is Closure:
        if vm.jit_threshold:
            # Count the call; compiled code runs it whole or declines (vm/jit/code.py).
            done = jit_enter(vm, fiber, f, args, tail)
            if done.__class__ is tuple:
                if tail:
                    return return_value(vm, fiber, done[0])
                frame.ip = return_ip
                frame.stack.append(done[0])
                return SWITCH
            if done is not None:
                # Native code stopped at a loop's back-edge: the frame it hands over stands
                # where the call's own frame would at vm.tick.
                if tail:
                    fiber.frames[-1] = done
                else:
                    frame.ip = return_ip
                    fiber.frames.append(done)
                return SWITCH
        return push_closure(vm, fiber, frame, f, args, return_ip, tail)
    if type(f) is Native:
        argc = len(args)
        if argc < f.min_args or (f.max_args is not None and argc > f.max_args):
            raise native_arity_error(f, argc)
        if vm.read_only and not f.pure:
            raise LispError("watch-error", f"{f.name} would change the program's state")
        frame.ip = return_ip
        if f.control:
            vm.settle_fuel()
            return f.fn(vm, *args)
        try:
            result = f.fn(vm, *args)
        except HeapCensus as e:
            result = call_after_census(vm, f.fn, args, e)
        if tail:
            return return_value(vm, fiber, result)
        frame.stack.append(result)
        return return_ip
    raise not_callable(f)


def call_after_census(vm, fn, args: list, e: HeapCensus):
    """A primitive's allocation did not fit in vm.heap_room (vm/heap.py): measure what the
    program holds, with this call's arguments (a `:size-limit` error when it is too much),
    and make the call again. The interpreter's state is exact here, whichever tier ran up
    to this call (the fast paths hand a HeapCensus over to the interpreter)."""
    vm.take_census(e.name, e.n, args)
    try:
        return fn(vm, *args)
    except HeapCensus as again:     # a primitive that charges twice: never a loop
        raise LispError("size-limit", f"{again.name}: the program's data is over the limit of "
                                      f"{vm.max_heap:,} elements") from None


def push_closure(vm, fiber, frame, f, args: list, return_ip: int, tail: bool) -> int:
    """Run closure `f` interpreted: a new frame (replacing this one for a tail call)."""
    func = f.func
    if not func.accepts(len(args)):
        raise arity_error(func.name, func, len(args))
    new = Frame(f, make_locals(func, args))
    frames = fiber.frames
    if tail:
        frames[-1] = new
    else:
        if len(frames) >= vm.max_depth:
            raise LispError("stack-overflow", f"stack overflow: more than {vm.max_depth} nested calls")
        frame.ip = return_ip
        frames.append(new)
    return SWITCH


def return_value(vm, fiber, value) -> int:
    """Pop the current frame; deliver `value` to the caller frame or finish the fiber."""
    frames = fiber.frames
    frames.pop()
    if frames:
        frames[-1].stack.append(value)
        return SWITCH
    finish_fiber(vm, fiber, value)
    return SWITCH


def finish_fiber(vm, fiber, value):
    """The fiber's body returned: it is dead and its resumer gets the value."""
    fiber.status = STATUS_DEAD
    fiber.value = value
    fiber.bits = 0
    fiber.pending = None
    # A dead fiber needs no creator (only the debugger's tree shows it, and a dead fiber
    # sits under its resumer). Dropping it keeps a fiber that creates the next one and dies,
    # a million times over, from pinning the whole chain of dead creators.
    fiber.creator = None
    parent = fiber.parent
    vm.note_event("return-fiber", fiber)
    if parent is None:
        vm.finish_program(value)
        return
    vm.switch_to(parent)
    parent.frames[-1].stack.append(value)


def resume_fiber(vm, caller, target, value) -> int:
    """fiber/resume: start or continue `target` from `caller` (no Python recursion)."""
    status = target.status
    if status == STATUS_NEW:
        closure = target.closure
        func = closure.func
        args = [] if func.nparams == 0 and not func.rest else [value]
        if not func.accepts(len(args)):
            raise arity_error(func.name, func, len(args))
        target.frames = [Frame(closure, make_locals(func, args))]
    elif status == STATUS_PAUSED or (status == STATUS_ERROR and target.pending is not None):
        if target.pending is None and target.bits & SIG_ERROR:
            # Caught, but raised by the VM (a type error, a bad call...), not by an `emit` in
            # the fiber's body: there is no emit for a resume value to become, and the
            # failed instruction has already taken its operands.
            raise LispError("state-error", f"cannot resume fiber {target.id}: it stopped with "
                                           f"a runtime error")
    elif status == STATUS_ERROR:
        raise LispError("state-error", f"cannot resume fiber {target.id}: it stopped with a runtime error")
    elif status == STATUS_DEAD:
        raise LispError("state-error", f"cannot resume fiber {target.id}: it is dead")
    else:
        raise LispError("state-error", f"cannot resume fiber {target.id}: it is already running")
    target.parent = caller
    caller.child = target
    # A signal that propagated through target from its child: resume the innermost first.
    f = target
    f.status = STATUS_ALIVE
    while f.waiting_child is not None:
        inner = f.waiting_child
        f.waiting_child = None
        f = inner
        f.status = STATUS_ALIVE
    if status != STATUS_NEW and f.pending == "emit":
        f.frames[-1].stack.append(value)
    f.pending = None
    vm.switch_to(f)
    vm.note_event("resume", f)
    return SWITCH


def deliver_signal(vm, fiber, bits: int, payload) -> int:
    """`fiber` emitted `bits`: catch it at the first fiber whose mask matches, going up.

    Caught at X: X pauses and X's resumer gets the payload as fiber/resume's value.
    Not caught: an error marks the fiber :error and is re-raised in the parent; any other
    signal pauses the fiber and its parent, remembered so a resume goes back down."""
    f = fiber
    is_error = bits & SIG_ERROR
    while True:
        f.bits = bits
        f.value = payload
        if bits & f.mask and not bits & SIG_HALT:
            f.status = STATUS_PAUSED
            parent = f.parent
            f.caught_by = parent
            # Every fiber the signal passed through records who got it (the debugger shows it).
            g = fiber
            while g is not f:
                g.caught_by = parent
                g = g.parent
            vm.note_event("caught", f)
            vm.switch_to(parent)
            parent.frames[-1].stack.append(payload)
            return SWITCH
        parent = f.parent
        if parent is None:
            f.status = STATUS_ERROR if is_error else STATUS_PAUSED
            vm.uncaught_signal(fiber, bits, payload)
            return STOP
        if is_error:
            f.status = STATUS_ERROR
            parent.pending = "emit"
        else:
            f.status = STATUS_PAUSED
            parent.waiting_child = f
            parent.pending = "emit"
        f = parent


def will_catch(fiber, bits: int):
    """The fiber whose mask would catch `bits` emitted by `fiber`, or None (uncaught)."""
    f = fiber
    while f is not None:
        if bits & f.mask and not bits & SIG_HALT:
            return f
        f = f.parent
    return None
