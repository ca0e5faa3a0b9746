"""Fiber primitives: fiber/new, fiber/resume, status, fuel, cancel, propagate; emit; apply."""

from __future__ import annotations

from vm.call import SWITCH, call_value, deliver_signal, resume_fiber
from vm.errors import LispError
from vm.fiber import STATUS_ERROR, STATUS_NEW, STATUS_PAUSED, Closure, Fiber
from vm.primitives.registry import primitive
from vm.signals import SIG_ERROR
from vm.values import EMPTY, Array, Pair, preview


def _fiber(name, f) -> Fiber:
    if type(f) is not Fiber:
        raise LispError("type-error", f"{name}: expected a fiber, got {preview(f, 60)}")
    return f


def _count(name, n) -> int:
    if type(n) is not int or n < 0:
        raise LispError("type-error", f"{name}: expected a non-negative integer, got {preview(n, 60)}")
    return n


@primitive("fiber/new", 1, 2, pure=False)
def fiber_new(vm, f, mask=0):
    """(fiber/new f mask) a new fiber that will run f, catching the signals in mask."""
    if type(f) is not Closure:
        raise LispError("type-error", f"fiber/new: expected a function, got {preview(f, 60)}")
    return vm.new_fiber(f, vm.registry.bits_of(mask), vm.current)


@primitive("fiber/resume", 1, 2, pure=False, control=True)
def fiber_resume(vm, f, value=None):
    """(fiber/resume fib v?) run fib until it returns or signals."""
    return resume_fiber(vm, vm.current, _fiber("fiber/resume", f), value)


@primitive("fiber/status", 1, 1)
def fiber_status(vm, f):
    return _fiber("fiber/status", f).status_keyword


@primitive("fiber/value", 1, 1)
def fiber_value(vm, f):
    return _fiber("fiber/value", f).value


@primitive("fiber/bits", 1, 1)
def fiber_bits(vm, f):
    return _fiber("fiber/bits", f).bits


@primitive("fiber/mask", 1, 1)
def fiber_mask(vm, f):
    return _fiber("fiber/mask", f).mask


@primitive("fiber/parent", 1, 1)
def fiber_parent(vm, f):
    return _fiber("fiber/parent", f).parent


@primitive("fiber/child", 1, 1)
def fiber_child(vm, f):
    return _fiber("fiber/child", f).child


@primitive("fiber/current", 0, 0)
def fiber_current(vm):
    return vm.current


@primitive("fiber/fuel", 1, 1)
def fiber_fuel(vm, f):
    """(fiber/fuel fib) instructions left, or nil if unlimited."""
    return vm.live_fuel(_fiber("fiber/fuel", f))


def _set_fuel(vm, f, fuel):
    if f is vm.current:
        vm.settle_fuel()
        vm.fuel_dirty = True
    f.fuel = f.fuel_given = fuel
    vm.current.frames[-1].stack.append(f)
    return SWITCH


@primitive("fiber/set-fuel", 2, 2, pure=False, control=True)
def fiber_set_fuel(vm, f, n):
    """(fiber/set-fuel fib n) give fib n instructions; returns fib."""
    return _set_fuel(vm, _fiber("fiber/set-fuel", f), _count("fiber/set-fuel", n))


@primitive("fiber/clear-fuel", 1, 1, pure=False, control=True)
def fiber_clear_fuel(vm, f):
    """(fiber/clear-fuel fib) make fib's fuel unlimited; returns fib."""
    return _set_fuel(vm, _fiber("fiber/clear-fuel", f), None)


@primitive("fiber/cancel", 1, 2, pure=False)
def fiber_cancel(vm, f, value=None):
    """(fiber/cancel fib v) a :new or :paused fiber becomes :error with v; returns v."""
    f = _fiber("fiber/cancel", f)
    if f.status not in (STATUS_NEW, STATUS_PAUSED):
        raise LispError("state-error", f"fiber/cancel: cannot cancel a fiber that is {f.status}")
    f.status = STATUS_ERROR
    f.bits = SIG_ERROR
    f.value = value
    f.pending = None
    f.waiting_child = None
    return value


@primitive("fiber/propagate", 1, 1, pure=False, control=True)
def fiber_propagate(vm, f):
    """(fiber/propagate fib) re-raise fib's last signal from the current fiber."""
    f = _fiber("fiber/propagate", f)
    if not f.bits:
        raise LispError("state-error", "fiber/propagate: the fiber has no signal to propagate")
    cur = vm.current
    cur.pending = "emit"
    if f.error_site is not None:
        cur.error_site = f.error_site
        vm.error_site = f.error_site
    if vm.catch_bits & f.bits:
        vm.held_signal = (cur, f.bits, f.value)
        vm.stop_reason = "signal"
        return -2
    return deliver_signal(vm, cur, f.bits, f.value)


@primitive("emit", 1, 2, pure=False, control=True)
def emit(vm, signal, value=None):
    """(emit signal v) emit any signal bits (literal signals compile to Emit instead)."""
    bits = vm.registry.bits_of(signal)
    if bits <= 0:
        raise LispError("argument-error", "emit: expected at least one signal bit")
    cur = vm.current
    frame = cur.frames[-1]
    if bits & SIG_ERROR:
        vm.record_error_site(cur, max(frame.ip - 1, 0))
    cur.pending = "emit"
    if vm.catch_bits & bits:
        vm.held_signal = (cur, bits, value)
        vm.stop_reason = "signal"
        return -2
    return deliver_signal(vm, cur, bits, value)


@primitive("apply", 1, None, pure=False, control=True)
def apply(vm, f, *args):
    """(apply f a b... coll) call f with a, b... and the elements of coll."""
    if not args:
        spread = []
    else:
        last = args[-1]
        if type(last) is Array:
            tail = list(last.items)
        elif last is EMPTY or type(last) is Pair:
            tail = list(last)
        else:
            raise LispError("type-error", f"apply: the last argument must be a list or array, got {preview(last, 60)}")
        spread = list(args[:-1]) + tail
    cur = vm.current
    frame = cur.frames[-1]
    return call_value(vm, cur, frame, f, spread, frame.ip, False)


@primitive("signal", 1, 1)
def signal(vm, name):
    """(signal :name) declare a user signal at run time; returns the keyword."""
    if name is None or type(name).__name__ != "Keyword":
        raise LispError("type-error", "signal: expected a keyword")
    vm.registry.declare(name.name)
    return name
