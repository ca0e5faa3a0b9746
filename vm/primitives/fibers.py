"""Fiber primitives: fiber/new, fiber/resume, status, fuel, cancel, abort, propagate; emit; apply."""

from __future__ import annotations

from vm.call import SWITCH, call_value, deliver_signal, resume_fiber
from vm.errors import LispError
from vm.fiber import (STATUS_ALIVE, STATUS_DEAD, STATUS_ERROR, STATUS_NEW, STATUS_PAUSED,
                      Closure, Fiber)
from vm.primitives.tasks import prelude_function
from vm.primitives.registry import primitive
from vm.signals import SIG_ERROR
from vm.values import EMPTY, Array, Keyword, Pair, kw, preview


def _fiber(name, f) -> Fiber:
    if type(f) is not Fiber:
        raise LispError("type-error", f"{name}: expected a fiber, got {preview(f, 60)}")
    return f


def _count(name, n) -> int:
    if type(n) is not int or n < 0:
        raise LispError("type-error", f"{name}: expected a non-negative integer, got {preview(n, 60)}")
    return n


@primitive("fiber/new", 1, None, pure=False)
@primitive("fiber", 1, None, pure=False)
def fiber_new(vm, f, mask=0, *options):
    """(fiber/new f mask) a new fiber that will run f, catching the signals in mask."""
    if type(f) is not Closure:
        raise LispError("type-error", f"fiber/new: expected a function, got {preview(f, 60)}")
    if options:
        # Elle's `:deny caps` withholds capabilities; there are none to withhold here.
        if options[0] is kw("deny"):
            raise LispError("argument-error", "fiber/new: capabilities (:deny) are not supported")
        raise LispError("arity-error", f"fiber/new: expected 1 to 2 arguments, got {2 + len(options)}")
    return vm.new_fiber(f, vm.registry.bits_of(mask), vm.current)


def check_resumable(f: Fiber) -> None:
    """Raise the :state-error fiber/resume gives for a fiber it cannot continue (Elle's words)."""
    status = f.status
    if status == STATUS_DEAD:
        raise LispError("state-error", "fiber/resume: cannot resume completed fiber")
    if status == STATUS_ALIVE:
        raise LispError("state-error", "fiber/resume: cannot resume running fiber")
    if f.pending is None and f.bits & SIG_ERROR and status in (STATUS_ERROR, STATUS_PAUSED):
        # Stopped by a runtime error (not an `emit` in its body): there is no emit for a
        # resume value to become.
        raise LispError("state-error", "fiber/resume: cannot resume errored fiber")


@primitive("fiber/resume", 1, 2, pure=False, control=True)
@primitive("resume", 1, 2, pure=False, control=True)
def fiber_resume(vm, f, value=None):
    """(fiber/resume fib v?) run fib until it returns or signals."""
    f = _fiber("fiber/resume", f)
    check_resumable(f)
    return resume_fiber(vm, vm.current, f, value)


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
@primitive("fiber/self", 0, 0)
def fiber_current(vm):
    """The fiber running now."""
    return vm.current


def status_test(name: str, statuses: tuple, doc: str):
    """Register a predicate on a fiber's status."""
    def test(vm, f):
        return _fiber(name, f).status in statuses
    test.__doc__ = doc
    primitive(name, 1, 1)(test)


status_test("fiber/new?", (STATUS_NEW,), "True for a fiber not yet resumed.")
status_test("fiber/alive?", (STATUS_ALIVE,), "True for a fiber that is running (it or a fiber it resumed).")
status_test("fiber/paused?", (STATUS_PAUSED,), "True for a fiber paused by a signal, waiting to be resumed.")
status_test("fiber/dead?", (STATUS_DEAD,), "True for a fiber whose function returned.")
status_test("fiber/error?", (STATUS_ERROR,), "True for a fiber stopped by an error it did not catch.")
status_test("fiber/done?", (STATUS_DEAD, STATUS_ERROR), "True for a dead or errored fiber.")


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


@primitive("fiber/cancel", 1, 2, pure=False, control=True)
@primitive("cancel", 1, 2, pure=False, control=True)
def fiber_cancel(vm, f, value=None):
    """(fiber/cancel fib v?) a :new or :paused fiber becomes :error with v, nothing in it runs;
    returns v. A fiber may cancel itself: it stops at once, as if v were an error it raised."""
    f = _fiber("fiber/cancel", f)
    if f is vm.current:
        return cancel_self(vm, f, value)
    if f.status not in (STATUS_NEW, STATUS_PAUSED):
        raise LispError("state-error", f"fiber/cancel: cannot cancel a fiber that is {f.status}")
    mark_cancelled(f, value)
    vm.current.frames[-1].stack.append(value)
    return SWITCH


def mark_cancelled(f: Fiber, value) -> None:
    f.status = STATUS_ERROR
    f.bits = SIG_ERROR
    f.value = value
    f.pending = None
    f.waiting_child = None


def cancel_self(vm, f: Fiber, value):
    """The current fiber ends with status :error. Its resumer gets v from fiber/resume when
    the fiber's mask catches errors; otherwise v is an error raised in the resumer."""
    frame = f.frames[-1]
    vm.record_error_site(f, max(frame.ip - 1, 0))
    mark_cancelled(f, value)
    f.frames = []
    parent = f.parent
    if parent is None:
        vm.uncaught_signal(f, SIG_ERROR, value)
        return -2
    if f.mask & SIG_ERROR:
        f.caught_by = parent
        vm.switch_to(parent)
        parent.frames[-1].stack.append(value)
        return SWITCH
    parent.pending = "emit"
    vm.switch_to(parent)
    return deliver_signal(vm, parent, SIG_ERROR, value)


@primitive("fiber/abort", 1, 2, pure=False, control=True)
@primitive("abort", 1, 2, pure=False, control=True)
def fiber_abort(vm, f, value=None):
    """(fiber/abort fib v?) end a paused fiber gracefully: v is raised as an error where it
    paused, so its protect, try and defer forms run; if the error leaves the fiber, the fiber
    is :error and fiber/abort returns v (it never raises it in the caller). A :new fiber is
    simply cancelled."""
    f = _fiber("fiber/abort", f)
    if f.status == STATUS_NEW:
        mark_cancelled(f, value)
        vm.current.frames[-1].stack.append(value)
        return SWITCH
    check_abortable(f)
    # The prelude's (fn %abort [f v mask] (%abort-done f mask (%abort-raise f v))): the
    # raise and the clean-up after it, with the fiber's code running in between.
    cur = vm.current
    frame = cur.frames[-1]
    return call_value(vm, cur, frame, prelude_function(vm, "abort"), [f, value, f.mask], frame.ip, False)


def check_abortable(f: Fiber) -> None:
    if f.status not in (STATUS_PAUSED, STATUS_ERROR) or (f.pending is None and f.bits & SIG_ERROR):
        # Dead, running, or stopped by a runtime error: nothing is paused to raise into.
        raise LispError("state-error", f"fiber/abort: cannot abort a fiber that is {f.status}")


@primitive("%abort-raise", 2, 2, pure=False, control=True)
def abort_raise(vm, f, value):
    """(%abort-raise fib v) resume fib with the error v raised where it paused; fib's mask
    catches errors until %abort-done, so the error comes back here as a value."""
    f = _fiber("fiber/abort", f)
    check_abortable(f)
    f.mask |= SIG_ERROR
    inner = f
    while inner.waiting_child is not None:
        inner = inner.waiting_child
    pushed = inner.pending == "emit"
    resume_fiber(vm, vm.current, f, None)
    cur = vm.current                      # the innermost paused fiber, now running
    frame = cur.frames[-1]
    if pushed:
        frame.stack.pop()                 # the resume value: the error takes its place
        cur.pending = "emit"
    vm.record_error_site(cur, max(frame.ip - 1, 0))
    if vm.catch_bits & SIG_ERROR:
        vm.held_signal = (cur, SIG_ERROR, value)
        vm.stop_reason = "signal"
        return -2
    return deliver_signal(vm, cur, SIG_ERROR, value)


@primitive("%abort-done", 3, 3, pure=False)
def abort_done(vm, f, mask, result):
    """(%abort-done fib mask result) give fib its mask back; a fiber the error stopped is
    :error, for good. Returns result."""
    f = _fiber("fiber/abort", f)
    if type(mask) is not int:
        raise LispError("type-error", f"%abort-done: expected an integer mask, got {preview(mask, 60)}")
    f.mask = mask
    if f.status == STATUS_PAUSED and f.bits & SIG_ERROR:
        f.status = STATUS_ERROR
        f.pending = None
        f.waiting_child = None
    return result


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
@primitive("fiber/emit", 1, 2, pure=False, control=True)
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
    if type(name) is not Keyword:
        raise LispError("type-error", "signal: expected a keyword")
    vm.registry.declare(name.name)
    return name
