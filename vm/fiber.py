"""Fiber, CallFrame (Frame), Closure: the execution state the VM runs and the debugger shows."""

from __future__ import annotations

import itertools

from vm.values import kw

STATUS_NEW = "new"
STATUS_ALIVE = "alive"
STATUS_PAUSED = "paused"
STATUS_DEAD = "dead"
STATUS_ERROR = "error"

STATUS_KEYWORDS = {s: kw(s) for s in (STATUS_NEW, STATUS_ALIVE, STATUS_PAUSED, STATUS_DEAD, STATUS_ERROR)}


class Closure:
    """A function value: compiled code plus the values (or cells) it captured."""

    __slots__ = ("func", "captures")
    type_name = "closure"

    def __init__(self, func, captures):
        self.func = func            # CompiledFunction
        self.captures = captures    # list: captured values, or Cells for mutable captures

    def __repr__(self) -> str:
        return f"<closure {self.func.name}>"

    def __deepcopy__(self, memo):
        # A closure without captures can never change: checkpoints share it.
        if not self.captures:
            return self
        import copy
        dup = Closure(self.func, [])
        memo[id(self)] = dup
        dup.captures = copy.deepcopy(self.captures, memo)
        return dup


class Frame:
    """One activation of a closure (the seed's CallFrame + BytecodeFrame)."""

    # __weakref__: checkpoints (vmdbg/core/history.py) know a frame is still live by a
    # weak reference, so they never keep one alive after it returned.
    __slots__ = ("closure", "func", "code", "ip", "stack", "locals", "__weakref__")

    def __init__(self, closure, locals_):
        self.closure = closure          # the Closure being run
        self.func = closure.func        # its CompiledFunction
        self.code = closure.func.decoded  # pre-decoded instructions indexed by byte offset
        self.ip = 0                     # byte offset of the next instruction (saved while not running)
        self.stack = []                 # this frame's operand stack, bottom first
        self.locals = locals_           # local slots: parameters first

    def __repr__(self) -> str:
        return f"<frame {self.func.name} @{self.ip}>"


_fiber_ids = itertools.count(0)


class Fiber:
    """An execution context with its own frames; fibers form the tree the debugger shows."""

    __slots__ = ("id", "closure", "status", "mask", "frames", "creator", "parent", "child",
                 "fuel", "fuel_given", "bits", "value", "pending", "waiting_child", "caught_by",
                 "error_site", "__weakref__")
    type_name = "fiber"

    def __init__(self, closure, mask: int, creator, fid: int):
        self.id = fid                   # stable small number, unique within one VM
        self.closure = closure          # the function the fiber runs
        self.status = STATUS_NEW        # new / alive / paused / dead / error
        self.mask = mask                # signal bits this fiber catches for its resumer
        self.frames = []                # call frames, outermost first; empty when new or dead
        self.creator = creator          # fiber that called fiber/new (None for the root)
        self.parent = None              # fiber that last resumed this one
        self.child = None               # fiber this one last resumed
        self.fuel = None                # instructions left, or None for unlimited
        self.fuel_given = None          # the budget last set (fiber/set-fuel, --fuel): the gauge's full mark
        self.bits = 0                   # bits of the last signal (0 after a return)
        self.value = None               # last signal payload or return value
        # How a resume continues a paused fiber: "emit" pushes the resume value as the
        # result of the pending Emit/call, "fuel" re-runs the instruction that ran dry,
        # None when the fiber cannot be continued that way.
        self.pending = None
        # Set when a non-error signal propagated through this fiber from its child: a
        # resume of this fiber resumes that child first.
        self.waiting_child = None
        self.caught_by = None           # fiber whose resume received the last caught signal
        self.error_site = None          # (function name, offset, Span) of the last error raised here

    @property
    def status_keyword(self):
        return STATUS_KEYWORDS[self.status]

    @property
    def function_name(self) -> str:
        if self.frames:
            return self.frames[-1].func.name
        return self.closure.func.name if self.closure is not None else "?"

    def __repr__(self) -> str:
        return f"<fiber {self.id} {self.status}>"
