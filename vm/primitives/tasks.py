"""Tasks: how a primitive calls functions it was given, through a loop the prelude installs, without nesting the interpreter.

A primitive cannot call a closure itself: that would nest the interpreter once per call.
Writing each library function that takes a function in the prelude instead costs every VM
the compilation of thirty functions at start-up (ten times the whole start-up before them).
So such a function is a *machine* (vm/primitives/library.py) and each call of it a *task*:
a mutable array the primitive fills in, which a loop the prelude installs,

    (fn %drive [task]
      (while (get task 1)
        (%task-give task (apply (get task 1) (get task 2))))
      (get task 3))

runs: it calls what the task asks for and hands each result back to the machine, until the
task holds its answer. Task slots: 0 the machine, 1 the next function to call (nil when
done), 2 that call's arguments, 3 the answer, 4... the machine's own state. Tasks hold only
values of the language (and the machine, shared like a primitive), so checkpoints copy
them like any other value. The prelude hands its closures over with %install-library
rather than defining globals, so the program's global numbering stays as it was.
"""

from __future__ import annotations

import weakref

from vm.call import SWITCH, call_value
from vm.errors import LispError
from vm.primitives.registry import primitive
from vm.primitives.types import type_error
from vm.values import Array, EmptyList, Pair

# VM -> {"drive": closure, ...}: what the prelude installed in that VM (%install-library).
# The closures capture nothing and never change, so checkpoints need not copy them.
INSTALLED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()

FN, ARGS, ANSWER, STATE = 1, 2, 3, 4


class Machine:
    """How one library function proceeds: start fills a new task, give takes each result."""

    name = ""
    slots = 0           # state slots after STATE

    def start(self, vm, task, *args):
        raise NotImplementedError

    def give(self, vm, task, value):
        raise NotImplementedError

    def __deepcopy__(self, memo):
        return self     # one per library function, never changed: checkpoints share it

    def __copy__(self):
        return self

    def __reduce__(self):
        return (machine_named, (self.name,))

    def __repr__(self) -> str:
        return f"<task {self.name}>"

    type_name = "task"


MACHINES: dict[str, Machine] = {}


def machine_named(name: str) -> Machine:
    return MACHINES[name]


def ask(task, f, *args) -> None:
    """The task's next step: call f with args."""
    items = task.items
    items[FN] = f
    items[ARGS] = Array(list(args), False)


def answer(task, value) -> None:
    """The task is done; value is what the library function returns."""
    items = task.items
    items[FN] = None
    items[ARGS] = None
    items[ANSWER] = value


def new_task(machine: Machine) -> Array:
    return Array([machine, None, None, None] + [None] * machine.slots, True)


def prelude_function(vm, name: str):
    closures = INSTALLED.get(vm)
    if closures is None:
        raise LispError("state-error", "the library loop is not installed (the prelude did not run)")
    return closures[name]


@primitive("%install-library", 4, 4, pure=False)
def install_library(vm, drive_loop, wrap, abort, fold):
    """(%install-library drive wrap abort fold): the prelude hands over the task loop, the
    maker of returned functions, fiber/abort's two steps, and fold (for reduce)."""
    INSTALLED[vm] = {"drive": drive_loop, "wrap": wrap, "abort": abort, "fold": fold}
    return None


def drive(vm, task):
    """Run the task through the prelude's %drive loop, whose value becomes this call's value."""
    cur = vm.current
    frame = cur.frames[-1]
    if task.items[FN] is None:
        # Nothing to call: the answer is ready (an empty collection, constantly...).
        frame.stack.append(task.items[ANSWER])
        return SWITCH
    return call_value(vm, cur, frame, prelude_function(vm, "drive"), [task], frame.ip, False)


def library(name: str, min_args: int, max_args: int | None, doc: str, aliases: tuple = ()):
    """Register the Machine class as the primitive `name` (and its aliases)."""
    def register(cls):
        machine = cls()
        machine.name = name
        MACHINES[name] = machine

        def run(vm, *args):
            task = new_task(machine)
            machine.start(vm, task, *args)
            return drive(vm, task)
        run.__doc__ = doc
        for n in (name, *aliases):
            primitive(n, min_args, max_args, pure=False, control=True)(run)
        return cls
    return register


def task_machine(task) -> Machine:
    """The machine of a task built here; a type error for anything else."""
    if type(task) is not Array or not task.mutable or len(task.items) < STATE \
            or not isinstance(task.items[0], Machine) or len(task.items) != STATE + task.items[0].slots:
        raise type_error("%task-give", "a library task", task)
    return task.items[0]


@primitive("%task-give", 2, 2, pure=False)
def task_give(vm, task, value):
    """(%task-give task v): hand v, the result of the call the task asked for, to its machine."""
    task_machine(task).give(vm, task, value)
    return None


@primitive("%apply-template", 2, 2, pure=False, control=True)
def apply_template(vm, template, args):
    """(%apply-template template args): call a function made by compose, partial, juxt,
    complement, constantly or memoize (template: its machine and data) with args."""
    machine = template.items[0] if type(template) is Array and template.items else None
    if not isinstance(machine, MakerMachine) or template.mutable \
            or len(template.items) != STATE + machine.slots:
        raise type_error("%apply-template", "a function template", template)
    task = new_task(machine)
    task.items[STATE:] = template.items[STATE:]
    machine.call(vm, task, list(args) if type(args) in (Pair, EmptyList) else [])
    return drive(vm, task)


@primitive("reduce", 3, 3, pure=False, control=True)
def reduce(vm, f, init, coll):
    """(reduce f init coll): fold under Elle's other name."""
    cur = vm.current
    frame = cur.frames[-1]
    return call_value(vm, cur, frame, prelude_function(vm, "fold"), [f, init, coll], frame.ip, False)


# ---------------------------------------------------------------------------
# Functions that make functions: the primitive asks the prelude's %wrap for a closure
# `(fn [& args] (%apply-template template args))` over a template (the machine and the
# data it was made with); each call of that closure is a task, begun by call().

class MakerMachine(Machine):
    """A machine for a function-making primitive: data() gives the template's state slots."""

    def data(self, vm, *args) -> list:
        raise NotImplementedError

    def call(self, vm, task, args: list):
        raise NotImplementedError

    def give(self, vm, task, value):
        answer(task, value)


def maker(name: str, min_args: int, max_args: int | None, doc: str):
    """Register the MakerMachine class as the primitive `name`, which returns a function."""
    def register(cls):
        machine = cls()
        machine.name = name
        MACHINES[name] = machine

        def run(vm, *args):
            template = Array([machine, None, None, None] + machine.data(vm, *args), False)
            cur = vm.current
            frame = cur.frames[-1]
            return call_value(vm, cur, frame, prelude_function(vm, "wrap"), [template], frame.ip, False)
        run.__doc__ = doc
        primitive(name, min_args, max_args, pure=False, control=True)(run)
        return cls
    return register
