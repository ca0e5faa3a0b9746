"""The LLVM side of an Engine: target machines, MCJIT execution engines, building and loading units.

This is where llvmlite is imported (vm/jit/compiler.py makes a Backend when a unit first
has something to compile, so a process where every function is rejected, or none gets
hot, never loads LLVM). A unit is translated to IR (vm/jit/translate.py), then its
object code comes from the on-disk cache (vm/jit/cache.py) keyed by that IR, or is made
by optimising the IR and emitting an object; either way the object is loaded with
`add_object_file`, its exit sites are numbered from the unit's base (a global of the
unit) and each body is wrapped as a Python builtin (the runtime's trampoline for its arity).
"""

from __future__ import annotations

import ctypes
import sys
import threading
import time

import llvmlite.binding as llvm
from llvmlite import ir

from vm.jit import cache as jitcache
from vm.jit import runtime
from vm.jit.code import JitCode
from vm.jit.listing import function_assembly
from vm.jit.runtime import body_arity, body_type, get_runtime
from vm.jit.translate import FunctionTranslator, may_accumulate, site_base_name

# Symbols are unique in the process (llvm.add_symbol is process-wide) and the same in
# every process that compiles the same functions in the same order: `jit<tier>_<name>_<n>`,
# n counting per name. (They are in the IR, so they are part of the cache's key.)
_symbol_counts: dict = {}
_symbol_lock = threading.Lock()


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


def symbol_for(func, tier: int) -> str:
    safe = "".join(c if c.isalnum() else "_" for c in func.name)[:40]
    base = f"jit{tier}_{safe}"
    with _symbol_lock:
        n = _symbol_counts[base] = _symbol_counts.get(base, 0) + 1
    return f"{base}_{n}"


class Backend:
    """Target machines and one MCJIT engine per tier, made on first use; builds units."""

    def __init__(self, engine):
        self.engine = engine
        self.cache = jitcache.open_cache(llvm)
        self.runtime = get_runtime(self.cache)
        self.target = llvm.Target.from_default_triple()
        self.machines: dict = {}
        self.engines: dict = {}

    def machine(self, tier: int):
        tm = self.machines.get(tier)
        if tm is None:
            tm = self.machines[tier] = self.target.create_target_machine(opt=self.engine.tier_levels(tier)[1], jit=True)
        return tm

    def execution_engine(self, tier: int):
        ee = self.engines.get(tier)
        if ee is None:
            ee = self.engines[tier] = llvm.create_mcjit_compiler(llvm.parse_assembly(""), self.machine(tier))
        return ee

    def build(self, plans: dict, tier: int):
        """Translate, optimise (or find in the cache) and load one unit; sets jit_state
        of every function in it."""
        engine = self.engine
        start, start_cpu = time.perf_counter(), time.thread_time()
        tm = self.machine(tier)
        symbols = {f: symbol_for(f, tier) for f in plans}
        module = ir.Module(name=f"unit_{symbols[next(iter(plans))]}")
        module.triple = llvm.get_process_triple()
        module.data_layout = str(tm.target_data)
        fns = {f: ir.Function(module, body_type(body_arity(f)), symbols[f]) for f in plans}
        for plan in plans.values():
            for g in plan.callees:
                if g not in fns:
                    fns[g] = ir.Function(module, body_type(body_arity(g)), g.jit_state.symbol)
        sites: list = []
        for f, plan in plans.items():
            if tier == 2 and self_recursive(plan) and not may_accumulate(plan):
                self.emit_unrolled(module, plan, fns, sites)
            else:
                FunctionTranslator(module, plan, fns, compact=tier == 1, sites=sites).translate()
        raw_ir = str(module)
        cache = self.cache
        key = cache.key("unit", tier, raw_ir) if cache is not None else None
        entry = cache.load(key) if key is not None else None
        if entry is not None:
            obj, opt_ir = entry
        else:
            mod = llvm.parse_assembly(raw_ir)
            mod.verify()
            self.optimise(mod, tier)
            opt_ir = str(mod)
            obj = tm.emit_object(mod)
            if key is not None:
                cache.store(key, obj, opt_ir)
        ee = self.execution_engine(tier)
        ee.add_object_file(llvm.ObjectFileRef.from_data(obj))
        ee.finalize_object()
        if sites:
            addr = ee.get_global_value_address(site_base_name(module))
            if not addr:
                raise RuntimeError("the unit's exit-site base is missing")
            ctypes.c_int64.from_address(addr).value = len(engine.exit_sites)
            engine.exit_sites.extend(sites)
        elapsed = (time.perf_counter() - start) * 1000
        cpu = (time.thread_time() - start_cpu) * 1000
        for f, plan in plans.items():
            self.install(f, tier, symbols[f], ee, opt_ir, raw_ir, (elapsed, cpu), plan, plans,
                         entry is not None)
        if engine.dump:
            self.dump_unit(raw_ir, opt_ir, tier)

    def emit_unrolled(self, module, plan, fns, sites):
        """Tier 2, self-recursive: the body's own calls go to an always-inlined copy whose
        calls come back to the body, so each native call runs two levels of the recursion
        (what gcc does to fib). Behaviour is unchanged: the copy charges, checks and bails
        exactly like the body."""
        f = plan.func
        body = fns[f]
        copy = ir.Function(module, body.function_type, body.name + "_r")
        copy.linkage = "internal"
        copy.attributes.add("alwaysinline")
        FunctionTranslator(module, plan, {**fns, f: copy}, compact=False, fn=body, sites=sites).translate()
        FunctionTranslator(module, plan, fns, compact=False, fn=copy, sites=sites).translate()

    def optimise(self, mod, tier: int):
        """Tier 1: a short list of cheap passes (SSA, folding, CFG cleanup). Tier 2: -O3."""
        speed, _ = self.engine.tier_levels(tier)
        pto = llvm.create_pipeline_tuning_options(speed_level=speed)
        pb = llvm.create_pass_builder(self.machine(tier), pto)
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

    def install(self, f, tier, sym, ee, opt_ir, raw_ir, times, plan, plans, cached):
        engine = self.engine
        body = ee.get_function_address(sym)
        if not body:
            raise RuntimeError(f"{sym} missing from its unit")
        llvm.add_symbol(sym, body)     # later units call this body by name
        trampoline = self.runtime.trampoline(body_arity(f), self.cache)
        entry, keep = make_builtin(f.name, trampoline, body, ctypes.addressof(engine.shared))
        code = JitCode(f, tier, sym, entry, keep, opt_ir, raw_ir, times[0], engine)
        code.compile_cpu_ms = times[1]
        code.cached = cached
        code.param_types = plan.param_types
        code.effects = plan.effects
        code.env = bool(f.captures)
        code.blockers, code.global_guards = engine.dependencies(f, plans)
        for g in code.blockers:
            # The Session sets jit_blocked when it patches a breakpoint in; default it here
            # so the check on every call is a plain attribute read.
            g.__dict__.setdefault("jit_blocked", False)
        code.promote_at = self.engine.promote_at(tier)
        f.jit_state = code
        # Calls come to the JIT's door (with VM.jit_tiering, not hot ones did not); a leaf
        # with a change keeps the interpreter's inline call (code.interpreted_for_now).
        f.fast_argc = f.nparams if plan.effects == "leaf" and not (f.rest or f.nopt) else -1
        engine.codes.setdefault(f, []).append(code)
        engine.note(f)

    def assembly(self, code) -> str:
        asm = self.machine(code.level).emit_assembly(llvm.parse_assembly(code.ir_text))
        return function_assembly(asm, code.symbol)

    def dump_unit(self, raw_ir, opt_ir, tier):
        asm = self.machine(tier).emit_assembly(llvm.parse_assembly(opt_ir))
        for title, text in (("unoptimised LLVM IR", raw_ir), ("optimised LLVM IR", opt_ir),
                            ("assembly", asm)):
            print(f"=== {title} (tier {tier}) ===\n{text}", file=sys.stderr)
