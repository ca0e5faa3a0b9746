"""Per-function compiler state: bindings, scopes, captures, labels and the byte emitter."""

from __future__ import annotations

import struct

from vm.bytecode import BY_NAME, CompiledFunction, ROLE_KIND, stack_effect
from vm.errors import CompileError

_PACK_U16 = struct.Struct(">H").pack
_PACK_I32 = struct.Struct(">i").pack


def _emit_row(info) -> tuple:
    """(opcode, operand kinds, pops, pops per n, pushes, pushes per n) for emit."""
    pops0, pushes0 = stack_effect(info, (0,) * len(info.operands))
    pops1, pushes1 = stack_effect(info, (1,) * len(info.operands))
    return (info.code, tuple(ROLE_KIND[r] for r in info.operands), pops0, pops1 - pops0,
            pushes0, pushes1 - pushes0)


# name -> what emit needs of the opcode, worked out once.
_EMIT = {name: _emit_row(info) for name, info in BY_NAME.items()}


class Binding:
    """A name bound in some function: a local slot, a global, or (later) a cell."""

    __slots__ = ("name", "slot", "mutable", "letrec", "captured", "sites", "init_site",
                 "fn_arity", "state")

    def __init__(self, name, slot, mutable, letrec, state):
        self.name = name
        self.slot = slot            # local slot index
        self.mutable = mutable      # declared with @ or var: assign is allowed
        self.letrec = letrec        # a def in a body: may be captured before it is initialised
        self.captured = False       # some nested function captures it
        self.sites = []             # offsets of LoadLocal/StoreLocal that may become cell ops
        self.init_site = None       # offset of the StoreLocal that creates the binding
        self.fn_arity = None        # (nparams, nopt, rest) when bound to a known fn literal
        self.state = state          # FunctionState owning the slot

    @property
    def boxed(self) -> bool:
        """Lives in a Cell: captured and either mutable or letrec (see the compiler notes)."""
        return self.captured and (self.mutable or self.letrec)


class Global:
    """A top-level binding of a module."""

    __slots__ = ("name", "index", "mutable", "fn_arity")

    def __init__(self, name, index, mutable):
        self.name = name
        self.index = index
        self.mutable = mutable
        self.fn_arity = None


class Label:
    """A jump target; patched once placed."""

    __slots__ = ("offset", "uses", "depth")

    def __init__(self):
        self.offset = None
        self.uses = []          # offsets of i32 operands to patch
        self.depth = None       # stack depth expected at the label


class BlockInfo:
    """A `block` (or `while`) a `break` can leave."""

    __slots__ = ("name", "end", "depth")

    def __init__(self, name, end, depth):
        self.name = name
        self.end = end
        self.depth = depth


class FunctionState:
    """Compiler state for one function, chained to the enclosing function (clox style)."""

    def __init__(self, name, enclosing, filename, span, globals_):
        self.enclosing = enclosing
        self.filename = filename
        self.globals = globals_
        self.func = CompiledFunction(name=name, source=filename, span=span,
                                     global_names=globals_.names)
        self.code = bytearray()
        self.constants = []
        self.const_index = {}
        self.scopes = [{}]          # innermost last: name -> Binding
        self.bindings = []          # every Binding, by slot
        self.captures = {}          # id(Binding) -> capture index
        self.capture_list = []      # (from_local, index, name, Binding)
        self.blocks = []
        self.depth = 0              # operand stack depth at the current point
        self.max_depth = 0
        self.cur_span = span

    # -- errors -------------------------------------------------------------

    def error(self, message, span=None):
        span = span or self.cur_span
        if span is None:
            raise CompileError(message, self.filename, 1, 1)
        raise CompileError(message, span.file, span.line, span.col)

    # -- constants and locals ---------------------------------------------

    def add_constant(self, value) -> int:
        key = (type(value), value) if _hashable(value) else ("id", id(value))
        if key is not None and key in self.const_index:
            return self.const_index[key]
        if len(self.constants) >= 0xFFFF:
            self.error("too many constants in one function (the limit is 65535)")
        self.constants.append(value)
        if key is not None:
            self.const_index[key] = len(self.constants) - 1
        return len(self.constants) - 1

    def declare(self, name, mutable=False, letrec=False) -> Binding:
        slot = len(self.bindings)
        if slot >= 0xFFFF:
            self.error("too many local variables in one function (the limit is 65535)")
        b = Binding(name, slot, mutable, letrec, self)
        self.bindings.append(b)
        self.func.local_names.append(name)
        self.func.local_scopes.append([len(self.code), None])
        self.scopes[-1][name] = b
        return b

    def push_scope(self):
        self.scopes.append({})

    def pop_scope(self):
        for b in self.scopes.pop().values():
            self.func.local_scopes[b.slot][1] = len(self.code)

    def lookup_here(self, name):
        scopes = self.scopes
        if len(scopes) == 1:
            return scopes[0].get(name)
        for scope in reversed(scopes):
            b = scope.get(name)
            if b is not None:
                return b
        return None

    def resolve(self, name):
        """('local', Binding) | ('capture', index, Binding) | None, searching outward."""
        scopes = self.scopes
        if len(scopes) == 1:                # lookup_here, inline: most lookups miss
            b = scopes[0].get(name)
        else:
            b = self.lookup_here(name)
        if b is not None:
            return ("local", b)
        if self.enclosing is None:
            return None
        outer = self.enclosing.resolve(name)
        if outer is None:
            return None
        binding = outer[-1]
        binding.captured = True
        key = id(binding)
        if key not in self.captures:
            if outer[0] == "local":
                self.capture_list.append((True, binding.slot, name, binding))
            else:
                self.capture_list.append((False, outer[1], name, binding))
            self.captures[key] = len(self.capture_list) - 1
        return ("capture", self.captures[key], binding)

    # -- emitting -----------------------------------------------------------

    def here(self) -> int:
        return len(self.code)

    def emit(self, name, *operands) -> int:
        """Append one instruction, tracking the stack depth; return its offset."""
        code, kinds, pops, pops_n, pushes, pushes_n = _EMIT[name]
        buf = self.code
        off = len(buf)
        buf.append(code)
        if kinds:
            for kind, value in zip(kinds, operands):
                if kind == "u16":
                    if not 0 <= value <= 0xFFFF:
                        self.error(f"too many elements in one {name} (the limit is 65535)")
                    buf += _PACK_U16(value)
                elif kind == "u8":
                    if not 0 <= value <= 255:
                        self.error("too many arguments in one call (the limit is 255)")
                    buf.append(value)
                else:
                    buf += _PACK_I32(value)
        if pops_n or pushes_n:
            n = operands[0] if operands else 0
            pops += pops_n * n
            pushes += pushes_n * n
        span = self.cur_span
        if span is not None:
            self.func.locations[off] = span
        depth = self.depth = self.depth + pushes - pops
        if depth > self.max_depth:
            self.max_depth = depth
        return off

    def emit_jump(self, name, label: Label) -> int:
        """Emit a jump to `label`, patched now (backward) or when placed (forward)."""
        off = self.emit(name, 0)
        if label.offset is not None:
            self._patch(off + 1, label.offset)
        else:
            label.uses.append(off + 1)
        if label.depth is None:
            label.depth = self.depth
        return off

    def place(self, label: Label):
        """Place `label` here; the stack depth becomes the one its jumps arrive with."""
        label.offset = len(self.code)
        for use in label.uses:
            self._patch(use, label.offset)
        label.uses = []
        if label.depth is not None:
            self.depth = label.depth
        else:
            label.depth = self.depth

    def _patch(self, use: int, target: int):
        self.code[use:use + 4] = struct.pack(">i", target - (use + 4))

    def emit_const(self, value):
        if value is None:
            return self.emit("LoadNil")
        if value is True:
            return self.emit("LoadTrue")
        if value is False:
            return self.emit("LoadFalse")
        return self.emit("LoadConst", self.add_constant(value))

    def emit_load_binding(self, binding: Binding):
        if binding.boxed:
            self.emit("LoadCell", binding.slot)
        else:
            off = self.emit("LoadLocal", binding.slot)
            binding.sites.append(off)

    def emit_store_binding(self, binding: Binding, init: bool = False):
        """Store into a binding; `init` marks the store that creates it (a MakeCell if boxed)."""
        if binding.boxed:
            self.emit("MakeCell" if init else "StoreCell", binding.slot)
        else:
            off = self.emit("StoreLocal", binding.slot)
            if init and binding.init_site is None:
                binding.init_site = off
            else:
                binding.sites.append(off)

    # -- finishing ----------------------------------------------------------

    def finish(self) -> CompiledFunction:
        """Patch labels, turn accesses of bindings that became boxed into cell ops."""
        load_local = BY_NAME["LoadLocal"].code
        for b in self.bindings:
            if b.boxed:
                for off in b.sites:
                    op = self.code[off]
                    self.code[off] = BY_NAME["LoadCell" if op == load_local else "StoreCell"].code
                if b.init_site is not None:
                    self.code[b.init_site] = BY_NAME["MakeCell"].code
        f = self.func
        f.code = bytes(self.code)
        f.constants = self.constants
        f.nlocals = len(self.bindings)
        f.captures = [(fl, i, n) for fl, i, n, _ in self.capture_list]
        for scope in self.scopes:
            for b in scope.values():
                if f.local_scopes[b.slot][1] is None:
                    f.local_scopes[b.slot][1] = len(self.code)
        f.local_scopes = [tuple(s) for s in f.local_scopes]
        return f


def _hashable(v) -> bool:
    try:
        hash(v)
    except TypeError:
        return False
    return type(v) in (int, float, str, bool) or type(v).__name__ in ("Keyword", "Symbol")
