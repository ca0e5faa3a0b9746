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
import itertools
import os
import sys
import time
import traceback

import llvmlite.binding as llvm
from llvmlite import ir

from vm.jit import runtime
from vm.jit.analyse import CONSTANT_TAGS, Reject, analyse, resolver_for
from vm.jit.code import (BAIL_NAMES, SHARED_CHUNK, SHARED_DEFAULTS, SHARED_FLAG, SHARED_GRACE,
                         SHARED_MARGIN, SHARED_PAUSE_SINCE, SHARED_PUBLISHED, SHARED_SLICE,
                         SHARED_WORDS, JitCode, Rejection)
from vm.jit.irutil import fits_i64
from vm.jit.listing import function_assembly, function_ir
from vm.jit.runtime import body_type, get_runtime
from vm.jit.translate import FunctionTranslator, may_accumulate

# Optimisation per tier: (pass builder speed level, code generator level).
TIER_LEVELS = {1: (1, 1), 2: (3, 3)}
# Tier 2 is tried after this many more calls from the interpreter.
TIER2_CALLS = 1000

_symbol_ids = itertools.count(1)


class _MethodDef(ctypes.Structure):
    _fields_ = [("ml_name", ctypes.c_char_p), ("ml_meth", ctypes.c_void_p),
                ("ml_flags", ctypes.c_int), ("ml_doc", ctypes.c_char_p)]


_new_builtin = ctypes.pythonapi.PyCFunction_NewEx
_new_builtin.restype = ctypes.py_object
_new_builtin.argtypes = [ctypes.c_void_p, ctypes.py_object, ctypes.py_object]


def make_builtin(name: str, trampoline: int, body: int, flag: int):
    """A Python builtin running `body` through the arity's trampoline.

    Its `self` is the address of a {body, flag} descriptor. Returns (builtin, what must
    stay alive as long as it: the PyMethodDef, the name and the descriptor)."""
    raw = name.encode()
    md = _MethodDef(raw, trampoline, runtime.METH_FASTCALL, None)
    desc = (ctypes.c_void_p * 2)(body, flag)
    fn = _new_builtin(ctypes.addressof(md), ctypes.addressof(desc), None)
    return fn, (md, raw, desc)


def self_recursive(plan) -> bool:
    """The function loads itself to call it. (When all its self calls are tail calls,
    which are loops, the unrolled copy is never called and the optimiser drops it.)"""
    return plan.func in plan.callees


def speculated_types(args):
    """The type tag of each argument value, as the code will check it (None: any)."""
    if args is None:
        return None
    return tuple(CONSTANT_TAGS.get(type(a)) if type(a) is not int or fits_i64(a) else None for a in args)


def symbol_for(func, tier: int) -> str:
    safe = "".join(c if c.isalnum() else "_" for c in func.name)[:40]
    return f"jit{tier}_{safe}_{next(_symbol_ids)}"


class Engine:
    """One VM's JIT: thresholds, compiled code, rejections, stats, listings."""

    def __init__(self, vm):
        self.vm = vm
        self.runtime = get_runtime()
        self.target = llvm.Target.from_default_triple()
        self.machines = {tier: self.target.create_target_machine(opt=cg, jit=True)
                         for tier, (_, cg) in TIER_LEVELS.items()}
        self.engines = {tier: llvm.create_mcjit_compiler(llvm.parse_assembly(""), tm)
                        for tier, tm in self.machines.items()}
        # Words shared with running native code (vm/jit/code.py SHARED_*): the pause flag,
        # the ticks a running call has published, and the slice, chunk and margin.
        self.shared = (ctypes.c_int64 * SHARED_WORDS)()
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
                if g.jit_state is None:
                    work.append(g)
        # A function that calls one that will not compile cannot compile either.
        changed = True
        while changed:
            changed = False
            for f, plan in list(plans.items()):
                for g in plan.callees:
                    state = g.jit_state
                    if g in rejected or isinstance(state, Rejection):
                        rejected[f] = f"calls {g.name}, which is not compiled"
                        del plans[f]
                        changed = True
                        break
        return plans, rejected

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
                self.build({func: analyse(func, resolver_for(self.vm))}, code.level)
                if func.jit_state is not code:
                    return
            except Exception:
                self.last_error = traceback.format_exc()
        self.reject(func, reason)

    def note(self, func):
        if func not in self.seen:
            self.seen.append(func)

    def build(self, plans: dict, tier: int):
        """Translate, optimise and load one unit; sets jit_state of every function in it."""
        start, start_cpu = time.perf_counter(), time.thread_time()
        module = ir.Module(name=f"unit{tier}_{next(_symbol_ids)}")
        module.triple = llvm.get_process_triple()
        module.data_layout = str(self.machines[tier].target_data)
        symbols = {}
        for f in plans:
            symbols[f] = ir.Function(module, body_type(f.nparams), symbol_for(f, tier))
        for plan in plans.values():
            for g in plan.callees:
                if g not in symbols:
                    symbols[g] = ir.Function(module, body_type(g.nparams), g.jit_state.symbol)
        for f, plan in plans.items():
            if tier == 2 and self_recursive(plan) and not may_accumulate(plan):
                self.emit_unrolled(module, plan, symbols)
            else:
                FunctionTranslator(module, plan, symbols, compact=tier == 1, sites=self.exit_sites).translate()
        raw_ir = str(module)
        mod = llvm.parse_assembly(raw_ir)
        mod.verify()
        self.optimise(mod, tier)
        opt_ir = str(mod)
        ee = self.engines[tier]
        ee.add_module(mod)
        ee.finalize_object()
        elapsed = (time.perf_counter() - start) * 1000
        cpu = (time.thread_time() - start_cpu) * 1000
        for f, plan in plans.items():
            self.install(f, tier, symbols[f].name, ee, opt_ir, raw_ir, (elapsed, cpu), plan, plans)
        if self.dump:
            self.dump_unit(raw_ir, opt_ir, tier)

    def emit_unrolled(self, module, plan, symbols):
        """Tier 2, self-recursive: the body's own calls go to an always-inlined copy whose
        calls come back to the body, so each native call runs two levels of the recursion
        (what gcc does to fib). Behaviour is unchanged: the copy charges, checks and bails
        exactly like the body."""
        f = plan.func
        body = symbols[f]
        copy = ir.Function(module, body.function_type, body.name + "_r")
        copy.linkage = "internal"
        copy.attributes.add("alwaysinline")
        FunctionTranslator(module, plan, {**symbols, f: copy}, compact=False, fn=body,
                           sites=self.exit_sites).translate()
        FunctionTranslator(module, plan, symbols, compact=False, fn=copy, sites=self.exit_sites).translate()

    def optimise(self, mod, tier: int):
        """Tier 1: a short list of cheap passes (SSA, folding, CFG cleanup). Tier 2: -O3."""
        speed, _ = TIER_LEVELS[tier]
        pto = llvm.create_pipeline_tuning_options(speed_level=speed)
        pb = llvm.create_pass_builder(self.machines[tier], pto)
        if tier == 1:
            mpm = llvm.create_new_module_pass_manager()
            mpm.add_sroa_pass()
            mpm.add_instruction_combine_pass()
            mpm.add_simplify_cfg_pass()
            mpm.add_new_gvn_pass()
            mpm.add_instruction_combine_pass()
            mpm.add_simplify_cfg_pass()
        else:
            pto.inlining_threshold = 250
            mpm = pb.getModulePassManager()
        mpm.run(mod, pb)

    def install(self, f, tier, sym, ee, opt_ir, raw_ir, times, plan, plans):
        body = ee.get_function_address(sym)
        llvm.add_symbol(sym, body)     # later units call this body by name
        trampoline = self.runtime.trampoline(f.nparams)
        entry, keep = make_builtin(f.name, trampoline, body, ctypes.addressof(self.shared))
        code = JitCode(f, tier, sym, entry, keep, opt_ir, raw_ir, times[0], self)
        code.compile_cpu_ms = times[1]
        code.param_types = plan.param_types
        code.blockers, code.global_guards = self.dependencies(f, plans)
        for g in code.blockers:
            # The Session sets jit_blocked when it patches a breakpoint in; default it here
            # so the check on every call is a plain attribute read.
            g.__dict__.setdefault("jit_blocked", False)
        code.promote_at = TIER2_CALLS if tier == 1 else 0
        f.jit_state = code
        self.codes.setdefault(f, []).append(code)
        self.note(f)

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
            plan = analyse(func, resolver_for(self.vm), code.param_types)
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
        }

    def format_stats(self) -> str:
        rows = self.stats()
        lines = [f"JIT (threshold {self.vm.jit_threshold}): "
                 f"{sum(r['state'] == 'compiled' for r in rows)} compiled, "
                 f"{sum(r['state'] == 'rejected' for r in rows)} rejected",
                 f"  {'function':<22} {'calls':>9} {'tier':<6} {'compile ms':<18} note"]
        for r in rows:
            ms = " / ".join(f"t{t} {v:.1f}" for t, v in sorted(r["compile_ms"].items())) or "-"
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
            text = disassemble_function(func, self.vm.registry)
        except ImportError:
            from vm.bytecode import iter_instructions
            text = "\n".join(f"{off:04d} {info.name} {' '.join(map(str, ops))}"
                             for off, info, ops, _ in iter_instructions(func.code))
        if getattr(code, "asm_text", None) is None:
            code.asm_text = self.assembly(code)
        return text, function_ir(code.ir_text, code.symbol), code.asm_text

    def assembly(self, code) -> str:
        asm = self.machines[code.level].emit_assembly(llvm.parse_assembly(code.ir_text))
        return function_assembly(asm, code.symbol)

    def dump_unit(self, raw_ir, opt_ir, tier):
        asm = self.machines[tier].emit_assembly(llvm.parse_assembly(opt_ir))
        for title, text in (("unoptimised LLVM IR", raw_ir), ("optimised LLVM IR", opt_ir),
                            ("assembly", asm)):
            print(f"=== {title} (tier {tier}) ===\n{text}", file=sys.stderr)
