"""The JIT engine: target machines, MCJIT execution engines, compile units, tiers, rejections, stats.

`VM.jit_engine()` creates one Engine per VM on first use (the only place llvmlite is
imported). `compile(func, args)` plans a unit (the function, speculating on the types of
`args`, plus every not-yet-compiled function it calls natively), translates it to one
LLVM module, optimises it with the new pass builder, finalizes it and wraps each body as
a Python builtin (the runtime's trampoline for its arity). Tier 1 is quick to build
(number slow paths out of line, a short pass list, codegen -O1); tier 2 (`promote`, for
functions that stay hot) inlines everything, unrolls self recursion once and runs -O3.
Any failure rejects the unit with the reason and the calls run interpreted. Set
VMDBG_JIT_DUMP=1 to print the unoptimised IR, the optimised IR and the assembly of every
unit on stderr.
"""

from __future__ import annotations

import ctypes
import os
import traceback

from vm.jit.analyse import Reject, analyse, become_deopt, resolver_for, speculated_types
from vm.jit.code import (BAIL_NAMES, SHARED_CHUNK, SHARED_DEFAULTS, SHARED_FLAG, SHARED_GRACE,
                         SHARED_MARGIN, SHARED_PAUSE_SINCE, SHARED_PUBLISHED, SHARED_SLICE,
                         SHARED_GLOBALS, SHARED_VM, SHARED_WORDS, JitCode, Rejection)
from vm.jit.listing import function_ir

# Optimisation per tier: (pass builder speed level, code generator level).
TIER_LEVELS = {1: (1, 1), 2: (3, 3)}
# Tier 2 is tried after this many more calls from the interpreter.
TIER2_CALLS = 1000


class Engine:
    """One VM's JIT: thresholds, compiled code, rejections, stats, listings."""

    def __init__(self, vm):
        self.vm = vm
        self._backend = None              # the LLVM side (vm/jit/backend.py), made on first build
        # Words shared with running native code (vm/jit/code.py SHARED_*): the pause flag,
        # the ticks a running call has published, and the slice, chunk and margin.
        self.shared = (ctypes.c_int64 * SHARED_WORDS)()
        self.shared[SHARED_VM] = id(vm)     # (the engine lives no longer than its VM)
        self.shared[SHARED_GLOBALS] = id(vm.globals)    # (a list that is never replaced)
        self.exit_margin = 0
        # Where compiled bodies of this engine may hand their activation over: a body's
        # exit returns an index here (vm/jit/code.py ExitSite, exit_frame).
        self.exit_sites: list = []
        self.tune(slice_ns=SHARED_DEFAULTS[SHARED_SLICE], chunk=SHARED_DEFAULTS[SHARED_CHUNK],
                  margin=SHARED_DEFAULTS[SHARED_MARGIN], grace_ns=SHARED_DEFAULTS[SHARED_GRACE])
        self.seen: list = []              # every function compiled or rejected, in order
        self.codes: dict = {}             # func -> [JitCode per tier, oldest first]
        self.dump = bool(os.environ.get("VMDBG_JIT_DUMP"))
        self.last_error = None            # traceback of the last internal JIT failure
        self.bail_horizon = -1            # tick at which the budget of the last fuel bail ended
        self.bail_budget = 0              # and that budget (see code.enter)

    # -- compiling ---------------------------------------------------------------

    def compile(self, func, args=None):
        """Compile `func` (and the callees it needs) at tier 1; returns its new jit_state.

        `args`: the arguments of the call that reached the threshold; the code speculates
        that later calls pass the same types (a mismatch bails, see respecialize)."""
        unit: dict = {}
        try:
            unit, rejected = self.plan_unit(func, speculated_types(args))
            for f, reason in rejected.items():
                self.reject(f, reason)
            if len(unit) == 1 and func in unit and unit[func].effects == "leaf":
                # Called from the interpreter, its routine is faster than a native call;
                # it compiles with the first compiled caller (plan_unit).
                self.reject(func, "one short block assigning outside its frame: compiled with "
                                  "its compiled callers, a routine when the interpreter calls it")
                func.jit_state.callee_ok = True
                return func.jit_state
            if unit:
                self.build(unit, 1)
        except Exception as e:  # the JIT must never take the program down
            self.last_error = traceback.format_exc()
            for f in [func, *unit]:
                if not isinstance(f.jit_state, JitCode):
                    self.reject(f, f"JIT error: {type(e).__name__}: {e}")
        return func.jit_state

    def plan_unit(self, func, param_types=None):
        """({func: Plan} to compile together, {func: reason} rejected). Only `func`'s
        parameters are speculated on; callees compiled with it take any types."""
        resolve = resolver_for(self.vm)
        plans, rejected, work = {}, {}, [func]
        while work:
            f = work.pop()
            if f in plans or f in rejected:
                continue
            try:
                plans[f] = plan = analyse(f, resolve, param_types if f is func else None)
            except Reject as r:
                rejected[f] = str(r)
                continue
            for g in plan.callees:
                if g.jit_state is None or getattr(g.jit_state, "callee_ok", False):
                    work.append(g)
        # A function that calls one that will not compile cannot compile either.
        changed = True
        while changed:
            changed = False
            for f, plan in list(plans.items()):
                for g in plan.callees:
                    state = g.jit_state
                    effects = plans[g].effects if g in plans else getattr(state, "effects", None)
                    if g in rejected or (isinstance(state, Rejection) and g not in plans):
                        rejected[f] = f"calls {g.name}, which is not compiled"
                    elif g is not f and effects == "deopt":
                        # (it hands its frame to the interpreter: only the interpreter calls it)
                        rejected[f] = f"calls {g.name}, which changes something outside its frame"
                    elif g is not f and effects == "leaf" and plan.effects != "deopt":
                        # It may bail before its change, not after: f must then hand its
                        # frame over at the call rather than bail and run g again.
                        try:
                            become_deopt(plan)
                        except Reject as r:
                            rejected[f] = str(r)
                        else:
                            changed = True
                            break
                    else:
                        continue
                    del plans[f]
                    changed = True
                    break
        return plans, rejected

    def settle_effects(self, plan):
        """Plan.effects of a function compiled on its own (again) against its callees'
        code, as plan_unit does for a unit; raises Reject when it cannot call them."""
        for g in plan.callees:
            if g is plan.func:
                continue
            effects = getattr(g.jit_state, "effects", None)
            if effects == "deopt":
                raise Reject(f"calls {g.name}, which changes something outside its frame")
            if effects == "leaf" and plan.effects != "deopt":
                become_deopt(plan)
        return plan

    def reject(self, func, reason: str):
        func.jit_state = Rejection(reason, func.calls)
        self.restore_fast_path(func)
        if func not in self.codes:
            self.note(func)

    def restore_fast_path(self, func):
        """Calls to an interpreted-only function take the interpreter's inline path again."""
        exact = not (func.rest or func.nopt)
        func.fast_argc = func.nparams if exact else -1

    def give_up(self, func, reason: str):
        """A compiled function that keeps bailing runs interpreted from now on; one that
        speculated on its argument types and keeps failing that check is compiled again
        for any types instead."""
        code = func.jit_state
        if isinstance(code, JitCode) and any(t is not None for t in code.param_types):
            try:
                self.build({func: self.settle_effects(analyse(func, resolver_for(self.vm)))}, code.level)
                if func.jit_state is not code:
                    return
            except Exception:
                self.last_error = traceback.format_exc()
        self.reject(func, reason)

    def note(self, func):
        if func not in self.seen:
            self.seen.append(func)

    @staticmethod
    def tier_levels(tier: int) -> tuple:
        """(speed, optimisation level) of a tier, read when used (tests change them)."""
        return TIER_LEVELS[tier]

    @staticmethod
    def promote_at(tier: int) -> int:
        """Calls after which code of `tier` is recompiled at the next tier (0: never)."""
        return TIER2_CALLS if tier == 1 else 0

    @property
    def backend(self):
        """The LLVM side, made (llvmlite imported, the runtime loaded) when a unit first
        has something to compile."""
        if self._backend is None:
            from vm.jit.backend import Backend
            self._backend = Backend(self)
        return self._backend

    def build(self, plans: dict, tier: int):
        """Translate, optimise and load one unit; sets jit_state of every function in it."""
        self.backend.build(plans, tier)

    def dependencies(self, func, plans):
        """Every function `func` may run natively, and the globals those calls rely on."""
        blockers, guards, work = [], [], [func]
        while work:
            f = work.pop()
            if f in blockers:
                continue
            blockers.append(f)
            plan = plans.get(f)
            if plan is not None:
                fns, consts = plan.global_fns, plan.global_consts
            else:
                fns, consts = (), ()
                old = f.jit_state
                if isinstance(old, JitCode):
                    blockers.extend(b for b in old.blockers if b not in blockers)
                    guards.extend(g for g in old.global_guards if g not in guards)
            for index, g in dict(fns).items():
                if (index, g) not in guards:
                    guards.append((index, g))
                work.append(g)
            for index, value in dict(consts).items():
                if (index, value) not in guards:
                    guards.append((index, value))
        return tuple(blockers), tuple(guards)

    def promote(self, func):
        """Recompile a hot tier-1 function at tier 2; on any failure keep tier 1."""
        code = func.jit_state
        code.promote_at = 0
        try:
            plan = self.settle_effects(analyse(func, resolver_for(self.vm), code.param_types))
            if any(not isinstance(g.jit_state, JitCode) for g in plan.callees if g is not func):
                return code
            self.build({func: plan}, 2)
        except Exception:  # keep tier 1; never take the program down
            self.last_error = traceback.format_exc()
            func.jit_state = code
        return func.jit_state

    def interrupt(self, on: bool):
        """Ask running compiled code to stop at its next look (a pause was requested): the
        activation the interpreter called hands over at its next back-edge, or the call
        bails (see runtime.emit_refill)."""
        self.shared[SHARED_FLAG] = 1 if on else 0
        if not on:
            self.shared[SHARED_PAUSE_SINCE] = 0

    def tune(self, slice_ns: int | None = None, chunk: int | None = None, margin: int | None = None,
             grace_ns: int | None = None):
        """Set how often native code looks (`chunk` ticks), how long a native slice lasts
        before the outermost activation hands over at a tail call (`slice_ns`), how many
        ticks it keeps back before the run's target or the fuel (`margin`), and how long a
        pause waits for a back-edge before the call bails (`grace_ns`). Results, ticks and
        fuel do not depend on them; tests make them small to exit everywhere."""
        if slice_ns is not None:
            self.shared[SHARED_SLICE] = max(0, int(slice_ns))
        if chunk is not None:
            self.shared[SHARED_CHUNK] = max(1, int(chunk))
        if margin is not None:
            self.shared[SHARED_MARGIN] = self.exit_margin = max(0, int(margin))
        if grace_ns is not None:
            self.shared[SHARED_GRACE] = max(0, int(grace_ns))

    def native_ticks(self) -> int:
        """Ticks the native call running now has used so far, as of its last look (about
        chunk of ticks; 0 when no native call runs). Any thread may read it: while a
        long call runs, vm.tick (the tick it was entered at, or earlier) plus this is a
        lower bound of the program's tick."""
        return self.shared[SHARED_PUBLISHED]

    # -- reporting ---------------------------------------------------------------

    def tier_of(self, func) -> str:
        state = func.jit_state
        return state.tier if isinstance(state, JitCode) else "interp"

    def stats(self) -> list:
        """Per function (the program's, then any other the JIT touched): plain data."""
        funcs = []
        if self.vm.main is not None:
            funcs = [f for f in self.vm.main.all_functions() if f is not self.vm.main]
        funcs += [f for f in self.seen if f not in funcs]
        return [self.function_stats(f) for f in funcs]

    def function_stats(self, func) -> dict:
        state = func.jit_state
        codes = self.codes.get(func, [])
        bails: dict = {}
        for c in codes:
            for reason, n in c.bails.items():
                bails[BAIL_NAMES.get(reason, str(reason))] = bails.get(BAIL_NAMES.get(reason, str(reason)), 0) + n
        span = func.span
        return {
            "name": func.name,
            "where": f"{span.file}:{span.line}" if span is not None else "",
            "calls": func.calls + sum(c.calls for c in codes),
            "tier": self.tier_of(func),
            "state": ("compiled" if isinstance(state, JitCode) else
                      "rejected" if isinstance(state, Rejection) else "cold"),
            "compile_ms": {c.level: round(c.compile_ms, 3) for c in codes},
            "reason": state.reason if isinstance(state, Rejection) else None,
            "bails": bails,
            "exits": sum(c.exits for c in codes),
            "cached": sorted({c.level for c in codes if getattr(c, "cached", False)}),
        }

    def format_stats(self) -> str:
        rows = self.stats()
        tiering = self.vm.jit_tiering
        when = (f"threshold {self.vm.jit_threshold}" if tiering is None else
                f"compiles after {tiering.first:,} instructions, then {tiering.more:,}; "
                f"calls counted from when it is hot")
        lines = [f"JIT ({when}): "
                 f"{sum(r['state'] == 'compiled' for r in rows)} compiled, "
                 f"{sum(r['state'] == 'rejected' for r in rows)} rejected",
                 f"  {'function':<22} {'calls':>9} {'tier':<6} {'compile ms':<18} note"]
        if any(r["cached"] for r in rows):
            lines[0] += " (c: loaded from the code cache)"
        for r in rows:
            # "c": loaded from the on-disk code cache (vm/jit/cache.py), not compiled here
            ms = " / ".join(f"t{t} {v:.1f}{'c' if t in r['cached'] else ''}"
                            for t, v in sorted(r["compile_ms"].items())) or "-"
            note = r["reason"] or ", ".join(f"{k} bails {v}" for k, v in r["bails"].items())
            if r["state"] == "rejected" and r["compile_ms"]:
                note = "gave up: " + note
            elif r["state"] == "rejected":
                note = "rejected: " + note
            lines.append(f"  {r['name'][:22]:<22} {r['calls']:>9} {r['tier']:<6} {ms:<18} {note}".rstrip())
        return "\n".join(lines)

    def listings(self, func):
        """(bytecode text, optimised LLVM IR, native assembly) of a compiled function, or None."""
        code = func.jit_state
        if not isinstance(code, JitCode):
            return None
        try:
            from vm.disasm import disassemble_function
            if hasattr(func, "piece_insts"):
                text = piece_listing(func, disassemble_function(func.func, self.vm.registry))
            else:
                text = disassemble_function(func, self.vm.registry)
        except ImportError:
            from vm.bytecode import iter_instructions
            text = "\n".join(f"{off:04d} {info.name} {' '.join(map(str, ops))}"
                             for off, info, ops, _ in iter_instructions(func.code))
        if getattr(code, "asm_text", None) is None:
            code.asm_text = self.backend.assembly(code)
        return text, function_ir(code.ir_text, code.symbol), code.asm_text


def piece_listing(piece, whole: str) -> str:
    """The bytecode of a loop compiled on its own (vm/jit/piece.py): its function's
    listing from the loop's header to its end, under a header naming its variables."""
    lines = [f"== {piece.name}: offsets {piece.head:04d}-{piece.end - 1:04d} of {piece.func.name}, "
             f"variables: {', '.join(piece.local_names) or '-'} =="]
    for line in whole.splitlines()[1:]:
        head = line[:4]
        if head.isdigit() and piece.head <= int(head) < piece.end:
            lines.append(line)
    return "\n".join(lines)
