"""The VM: owns the current fiber, the primitive table, the compiler's globals, the JIT."""

from __future__ import annotations

import gc
import os
import weakref

from vm.call import STOP, SWITCH, deliver_signal
from vm.compiler import GlobalTable, Module, compile_program
from vm.errors import LispError, error_kind, error_message
from vm.execute import run_loop
from vm.fiber import STATUS_ALIVE, Closure, Fiber, Frame
from vm.heap import DEFAULT_MAX_HEAP, NO_LIMIT, live_size
from vm.primitives import load_all
from vm.primitives.types import DEFAULT_MAX_COLLECTION
from vm.reader import read_all
from vm.signals import SIG_ERROR, SIG_FUEL, SignalRegistry
from vm.verify import verify_all, verify_function

# A run re-checks for a pause request at least this often (in instructions).
PAUSE_SLICE = 20_000
NEVER = 1 << 62

PRELUDE_FILE = os.path.join(os.path.dirname(__file__), "prelude.lisp")


class ErrorSite:
    """Where an error was raised: the fiber, function, byte offset, span and a short trace.
    Immutable (the debugger's checkpoints share it); compared by its fields."""

    __slots__ = ("fiber_id", "function", "ip", "span", "trace")

    def __init__(self, fiber_id: int, function: str, ip: int, span, trace: tuple):
        set_ = object.__setattr__
        set_(self, "fiber_id", fiber_id)
        set_(self, "function", function)
        set_(self, "ip", ip)
        set_(self, "span", span)
        set_(self, "trace", trace)        # ((function name, Span or None), ...) innermost first

    def _key(self) -> tuple:
        return (self.fiber_id, self.function, self.ip, self.span, self.trace)

    def __setattr__(self, name, value):
        raise AttributeError(f"cannot assign to field {name!r} of ErrorSite")

    def __delattr__(self, name):
        raise AttributeError(f"cannot delete field {name!r} of ErrorSite")

    def __eq__(self, other):
        return self._key() == other._key() if type(other) is ErrorSite else NotImplemented

    def __hash__(self):
        return hash(self._key())

    def __repr__(self) -> str:
        return (f"ErrorSite(fiber_id={self.fiber_id!r}, function={self.function!r}, ip={self.ip!r}, "
                f"span={self.span!r}, trace={self.trace!r})")


class PausedGC:
    """The cyclic garbage collector paused (loading: the reader, compiler and verifier
    build hundreds of thousands of objects and free none in cycles, so collections would
    only rescan what was just built).

    Objects made while it is off all sit in the youngest generation, which the first
    collection after would scan whole (about a second for a 50,000-line file) and then
    promote to the middle one to scan again: at the end they are moved to the oldest
    generation at once (gc.freeze then gc.unfreeze), which a full collection scans when
    enough has been added to it, as for any old object. Only when nothing else is frozen:
    someone else's frozen objects stay frozen."""

    __slots__ = ("was",)

    def __enter__(self):
        self.was = gc.isenabled()
        gc.disable()
        return self

    def __exit__(self, *exc):
        if self.was:
            if not gc.get_freeze_count():
                gc.freeze()
                gc.unfreeze()
            gc.enable()
        return False


def span_before(func, ip):
    """The span of the instruction at `ip`, or of the nearest one before it."""
    locs = func.locations
    while ip >= 0:
        s = locs.get(ip)
        if s is not None:
            return s
        ip -= 1
    return func.span


class VM:
    """One program's runtime. `load` compiles it; `run` and `step` execute it."""

    def __init__(self, max_depth: int = 10_000, jit: int = 0, on_output=None,
                 max_output: int | None = None, max_collection: int | None = DEFAULT_MAX_COLLECTION,
                 max_heap: int | None = DEFAULT_MAX_HEAP):
        self.primitives = load_all()
        self.registry = SignalRegistry()           # signal keywords -> bits
        self.table = GlobalTable()                 # every global: names and values
        self.globals = self.table.values
        self.prelude = Module(self.table)          # map, filter, fold...
        self.module = None                         # the loaded program's top level
        self.sources: dict[str, str] = {}          # file name -> text (the debugger shows it)
        self.main = None                           # the program's main CompiledFunction
        self.max_depth = max_depth                 # non-tail calls per fiber
        self.jit_threshold = jit                   # 0: interpreter only
        self.jit_tiering = None                    # compile by instructions run (vm/jit/code.py Tiering)
        self.jit = None                            # the JIT engine, made on first use
        self.stepping = False                      # the debugger steps: calls run interpreted
        self.routine_budget = [0]                  # ticks left to a running routine (vm/routines.py)
        self.routine_end = self.loop_limit = 0     # see limit_for
        self.routine_wait_until = -1               # routines wait after a bail (vm/routines.py)
        self.max_output = max_output               # characters of output allowed
        self.max_collection = max_collection       # elements/characters per collection
        self.max_heap = max_heap                   # elements the program may hold (vm/heap.py)
        self.heap_room = NO_LIMIT                  # elements it may build before the next census
        self.on_output = on_output                 # called with each chunk of output
        self.output: list[str] = []                # everything printed so far, in chunks
        self.output_size = 0
        self.tick = 0                              # instructions executed, all fibers
        self.root = None                           # the fiber running the file body
        self.current = None                        # the fiber running now
        self.fibers = weakref.WeakValueDictionary()  # id -> every live fiber
        self.next_fiber_id = 0
        self.halted = False                        # the program finished or failed
        self.status = "ready"                      # ready / running / finished / error
        self.result = None                         # the program's value when finished
        self.uncaught = None                       # (fiber, bits, payload) that ended it
        self.error_site = None                     # ErrorSite of the last error raised
        self.run_limit = 0                         # tick at which run_loop must come back
        self.run_target = NEVER                    # tick the current run() stops at (the JIT may not pass it)
        self.fuel_tick = None                      # tick when current.fuel was last settled
        self.fuel_dirty = False                    # current fiber's fuel changed mid-run
        self.catch_bits = 0                        # signal catchpoints (the debugger's)
        self.held_signal = None                    # a signal stopped at by a catchpoint
        self.held_ip = None                        # offset of the instruction that raised it (None: fuel)
        self.stop_reason = None                    # why the last run stopped early
        self.pause_requested = False               # set from any thread
        self.max_instructions = None               # program fuel: tick at which every fiber stops (set_fuel)
        self.read_only = False                     # watches: refuse anything impure
        self.record_events = False
        self.events: list = []                     # (kind, fiber id) while recording
        self._load_prelude()
        self.heap_room = NO_LIMIT if max_heap is None else max_heap

    # -- loading -------------------------------------------------------------

    def _load_prelude(self):
        with open(PRELUDE_FILE, encoding="utf-8") as fh:
            text = fh.read()
        # Compiled once and cached (vm/prelude_cache.py): only bytecode the verifier
        # accepted is written; a miss of any kind compiles it here as before.
        from vm import prelude_cache
        cached = prelude_cache.load(text, self.primitives)
        if cached is not None:
            names, globals_, bits, next_user, main = cached
            self.table.names = names            # the list main's functions share
            self.table.values.extend([None] * len(names))
            self.prelude.globals = globals_
            self.registry.bits = bits
            self.registry.next_user = next_user
        else:
            main = self._read_compile_verify(text, "<prelude>", self.prelude)
            prelude_cache.store(text, self.primitives, (self.table.names, self.prelude.globals,
                                                        self.registry.bits, self.registry.next_user, main))
        self.sources["<prelude>"] = text
        self._mark_decode(main)
        self.start(main)
        self.run()
        if self.status != "finished":
            raise RuntimeError("the prelude failed to load")
        self.tick = 0
        self.halted = False
        self.status = "ready"
        self.output.clear()
        self.output_size = 0
        self.fibers = weakref.WeakValueDictionary()
        self.next_fiber_id = 0

    def _read_compile_verify(self, text: str, filename: str, module: Module):
        """Read, compile and verify `text`, with the cyclic garbage collector paused: loading
        builds hundreds of thousands of objects (forms, spans, bytecode) and frees none in
        cycles, so collections during it only rescan what was just built."""
        with PausedGC():
            forms = read_all(text, filename)
            main = compile_program(forms, filename, module, self.registry, self.primitives)
            verify_all(main)               # VerifyError: never run unverified bytecode
        return main

    def _mark_decode(self, main):
        """Functions decode themselves on first use (vm/execute.py decode_function); with
        the JIT on at load, calls are to go through its door."""
        if self.jit_threshold > 0:
            for func in main.all_functions():
                func.decode_jit = True

    def compile_text(self, text: str, filename: str, module: Module):
        """Read, compile and verify `text`; raises ReadError, CompileError or VerifyError.
        Each function is decoded the first time it is used, not here."""
        self.sources[filename] = text
        main = self._read_compile_verify(text, filename, module)
        self._mark_decode(main)
        return main

    def compile_eval(self, forms, filename: str):
        """Compile Forms given to `eval` as top-level code of the program (vm/compiler's
        compile_eval) and verify them; raises CompileError or VerifyError."""
        from vm.compiler import compile_eval
        main = compile_eval(forms, filename, self.module or self.prelude, self.registry, self.primitives)
        for func in main.all_functions():
            verify_function(func)
        self._mark_decode(main)
        return main

    def load(self, text: str, filename: str):
        """Compile a program and make its root fiber, stopped before the first instruction.
        (The garbage collector is paused as in _read_compile_verify: making the root
        frame decodes the main function, as long as the file.)"""
        with PausedGC():
            self.module = Module(self.table, self.prelude)
            self.main = self.compile_text(text, filename, self.module)
            self.start(self.main)
        return self.main

    def start(self, main):
        root = self.new_fiber(Closure(main, ()), 0, None)
        root.status = STATUS_ALIVE
        root.frames = [Frame(root.closure, [None] * main.nlocals)]
        self.root = root
        self.current = root
        self.halted = False
        self.status = "ready"

    def new_fiber(self, closure, mask: int, creator) -> Fiber:
        fiber = Fiber(closure, mask, creator, self.next_fiber_id)
        self.next_fiber_id += 1
        self.fibers[fiber.id] = fiber
        return fiber

    # -- running -----------------------------------------------------------------

    def run(self, until_tick: int | None = None, between=None) -> str:
        """Run until the program ends, `until_tick`, a breakpoint, a catchpoint or a pause.

        Returns the reason: "finished", "error", "limit", "breakpoint", "signal", "pause".
        `between`, if given, is called between slices of the run, at an instruction
        boundary; when it returns true the run returns "slice". The debugger takes its
        checkpoints there: a run target at each checkpoint would make compiled code bail
        out of every call longer than the distance to it."""
        self.stop_reason = None
        if self.halted:
            return self.status
        target = NEVER if until_tick is None else until_tick
        cap = None if self.read_only else self.max_instructions
        if cap is not None and cap < target:
            target = cap
        self.run_target = target
        self.status = "running"
        if self.held_signal is not None and self.tick < target:
            self.release_held_signal()
        while not self.halted:
            if cap is not None and self.tick >= cap:
                self.out_of_fuel()
                return self.status
            if self.tick >= target:
                self.status = "ready"
                return "limit"
            if self.pause_requested:
                self.pause_requested = False
                self.status = "ready"
                return "pause"
            if between is not None and between():
                self.status = "ready"
                return "slice"
            self.run_limit = min(target, self.tick + PAUSE_SLICE)
            run_loop(self)
            if self.stop_reason is None and self.held_signal is not None:
                # The Emit handler holds a signal for a catchpoint and stops the loop
                # without naming a reason (vm/dispatch.py emit_signal).
                self.stop_reason = "signal"
            if self.stop_reason is not None:
                self.status = "ready" if not self.halted else self.status
                return self.stop_reason
        return self.status

    def set_fuel(self, fuel: int | None):
        """The program's fuel (--fuel, run_program(fuel=), Session(fuel=)): the root fiber's
        fuel, and a cap on the instructions all fibers together may run from now on, so
        fibers without fuel of their own (protect, try, each over a fiber...) cannot outrun it."""
        self.root.fuel = self.root.fuel_given = fuel
        self.max_instructions = None if fuel is None else self.tick + fuel

    def out_of_fuel(self):
        """The program's fuel is spent in a fiber without fuel of its own: the program ends
        as if the root ran dry (`fuel: fuel exhausted`); no mask catches it."""
        fiber = self.current
        self.settle_fuel()
        fiber.pending = "fuel"
        fiber.bits = SIG_FUEL
        self.uncaught_signal(fiber, SIG_FUEL, None)

    def jit_engine(self):
        """The JIT engine, made on first use: llvmlite is imported only here (vm/jit/compiler.py)."""
        if self.jit is None:
            from vm.jit.compiler import Engine
            self.jit = Engine(self)
            # A pause asked for while the engine was being made (ctrl+c lands during the
            # llvmlite import) must reach native code too, or a compiled loop never sees it.
            self.jit.interrupt(self._pause_requested)
        return self.jit

    @property
    def pause_requested(self) -> bool:
        """A pause was asked for (from any thread); native code sees it through the JIT."""
        return self._pause_requested

    @pause_requested.setter
    def pause_requested(self, value: bool):
        self._pause_requested = value
        if value:
            self.routine_budget[0] = -(1 << 62)     # a running routine bails at its next block
        if self.jit is not None:
            self.jit.interrupt(value)

    def step(self) -> str:
        """Run exactly one instruction of the current fiber (or deliver a held signal)."""
        return self.run(self.tick + 1)

    def limit_for(self, fiber, tick: int) -> int:
        """The tick at which run_loop must stop for `fiber`: the run's limit or its fuel."""
        self.fuel_dirty = False
        limit = self.run_limit
        end = self.run_target
        if fiber.fuel is not None:
            if self.fuel_tick is not None:
                # Ticks since the last settle are charged first: the loop may have stopped
                # without settling (at a breakpoint, a held signal, a pause), and the fuel
                # a fiber has must not depend on where the debugger cut the run.
                fiber.fuel -= tick - self.fuel_tick
            self.fuel_tick = tick
            if tick + fiber.fuel < limit:
                limit = tick + fiber.fuel
            if tick + fiber.fuel < end:
                end = tick + fiber.fuel
        else:
            self.fuel_tick = None
        # For routines (vm/routines.py): the loop's limit, and how far one may run.
        self.loop_limit = limit
        if end != self.routine_end:
            self.routine_end = end
            self.routine_wait_until = -1
        return limit

    def settle_fuel(self):
        """Charge the current fiber's fuel for the instructions run since the last settle."""
        f = self.current
        if f is not None and f.fuel is not None and self.fuel_tick is not None:
            f.fuel -= self.tick - self.fuel_tick
            self.fuel_tick = self.tick

    def live_fuel(self, fiber):
        """A fiber's fuel as of now (the current fiber's is settled lazily)."""
        if fiber is self.current and fiber.fuel is not None and self.fuel_tick is not None:
            return fiber.fuel - (self.tick - self.fuel_tick)
        return fiber.fuel

    def at_limit(self, fiber) -> bool:
        """run_loop hit its limit. Fuel exhausted: emit :fuel and go on (True); else stop."""
        self.settle_fuel()
        if fiber.fuel is not None and fiber.fuel <= 0:
            fiber.fuel = 0
            fiber.pending = "fuel"
            if self.catch_bits & SIG_FUEL:
                self.held_signal = (fiber, SIG_FUEL, None)
                self.held_ip = None
                self.stop_reason = "signal"
                return False
            return deliver_signal(self, fiber, SIG_FUEL, None) == SWITCH
        return False

    def switch_to(self, fiber):
        f = self.current        # settle_fuel, inline: every resume and yield comes here
        if f is not None and f.fuel is not None and self.fuel_tick is not None:
            f.fuel -= self.tick - self.fuel_tick
        self.current = fiber
        self.fuel_tick = None

    def release_held_signal(self):
        fiber, bits, payload = self.held_signal
        self.held_signal = None
        deliver_signal(self, fiber, bits, payload)

    # -- errors and ends -------------------------------------------------------

    def raise_error(self, fiber, frame, ip, exc: LispError) -> int:
        """A guest error at `ip`: record where, then emit it as an :error signal."""
        payload = exc.payload()
        self.record_error_site(fiber, ip)
        fiber.pending = None
        if self.catch_bits & SIG_ERROR:
            self.held_signal = (fiber, SIG_ERROR, payload)
            self.held_ip = ip
            self.stop_reason = "signal"
            return STOP
        r = deliver_signal(self, fiber, SIG_ERROR, payload)
        return r

    def record_error_site(self, fiber, ip):
        """Remember where an error was raised, with a short trace through the fibers that
        resumed this one (innermost first, at most 12 frames)."""
        trace = []
        f, depth = fiber, 0
        while f is not None and len(trace) < 12:
            for fr in reversed(f.frames):
                at = ip if depth == 0 else fr.ip - 1
                name = fr.func.name if f is fiber else f"{fr.func.name} [fiber {f.id}]"
                trace.append((name, span_before(fr.func, at)))
                depth += 1
                if len(trace) >= 12:
                    break
            f = f.parent
        top = fiber.frames[-1].func
        site = ErrorSite(fiber.id, top.name, ip, span_before(top, ip), tuple(trace))
        fiber.error_site = site
        self.error_site = site

    def uncaught_signal(self, fiber, bits, payload):
        self.halted = True
        self.status = "error"
        self.uncaught = (fiber, bits, payload)
        self.stop_reason = "error"

    def finish_program(self, value):
        self.halted = True
        self.status = "finished"
        self.result = value
        self.stop_reason = "finished"

    def note_event(self, kind, fiber):
        if self.record_events:
            self.events.append((kind, fiber.id))

    def describe_uncaught(self) -> tuple[str, str]:
        """(kind, message) of the signal that ended the program."""
        fiber, bits, payload = self.uncaught
        if bits & SIG_ERROR:
            return error_kind(payload), error_message(payload)
        if bits & SIG_FUEL:
            return "fuel", "fuel exhausted"
        names = self.registry.names(bits)
        return "signal", "uncaught signal " + " ".join(":" + n for n in names)

    # -- services for primitives ---------------------------------------------

    def write(self, text: str):
        """Append program output (print/println)."""
        if self.max_output is not None and self.output_size + len(text) > self.max_output:
            raise LispError("output-limit", f"output limit of {self.max_output} characters exceeded")
        self.output.append(text)
        self.output_size += len(text)
        if self.on_output is not None:
            self.on_output(text)

    def output_text(self) -> str:
        return "".join(self.output)

    def check_size(self, n: int):
        if self.max_collection is not None and n > self.max_collection:
            raise LispError("size-limit", f"collection of {n} elements exceeds the limit of {self.max_collection}")

    def take_census(self, name: str, n: int, extra=()):
        """`name` is about to build `n` elements and heap_room is short: measure what the
        program holds (vm/heap.py). A `:size-limit` error if `n` more would pass
        max_heap; otherwise room until the next census."""
        live = live_size(self, extra)
        if live + n > self.max_heap:
            raise LispError("size-limit", f"{name}: {n:,} more elements would make the program's data "
                                          f"{live + n:,} elements, over the limit of {self.max_heap:,}")
        self.heap_room = max(self.max_heap - live, live // 2)
