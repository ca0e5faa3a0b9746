"""Superinstructions: common instruction sequences fused at pre-decode time.

The byte stream never changes; only the pre-decoded list the fast loop reads does. A fused
entry sits at the offset of its group's first instruction and covers the whole group; the
other offsets of the group keep their plain entries, so a jump, a resume or a metered step
that lands inside a group still works. A fused instruction counts the ticks (and fuel) of
every instruction it covers, and the fast loop only runs fused entries while at least
MAX_FUSED ticks remain before its limit, so fuel pauses, steps and breakpoints always land
on exact instruction boundaries. When an operand is not a small-integer case the fused
handler executes the group's leading loads, then hands over to the plain instruction that
would fail (deoptimises), so errors report exactly what the unfused code reports.

    LoadLocal a, LoadLocal b, Lt, JumpIfFalse t   -> FUSED_LL_LT_JIF (a, b, t, lt_ip)
    LoadLocal a, LoadConst k, Lt, JumpIfFalse t   -> FUSED_LK_LT_JIF (a, k, t, lt_ip)
    LoadLocal a, AddInt k, StoreLocal c           -> FUSED_INC_LOCAL (a, k, c, add_ip)
    LoadLocal a, LoadLocal b, Add, StoreLocal c   -> FUSED_LL_ADD_STORE (a, b, c, add_ip)
    LoadGlobal g, LoadLocal a, AddInt k           -> FUSED_GLOBAL_LOCAL_ADDK (g, a, k, add_ip)
    LoadLocal a, AddInt k                         -> FUSED_LOCAL_ADDK (a, k, add_ip)
"""

from __future__ import annotations

from vm import bytecode

# Opcode numbers after the table and OP_BREAK (vm/execute.py): never in a byte stream.
FUSED_BASE = bytecode.NUM_OPCODES + 1
(FUSED_LL_LT_JIF, FUSED_LK_LT_JIF, FUSED_INC_LOCAL, FUSED_LL_ADD_STORE,
 FUSED_GLOBAL_LOCAL_ADDK, FUSED_LOCAL_ADDK) = range(FUSED_BASE, FUSED_BASE + 6)
FUSED_NAMES = {FUSED_LL_LT_JIF: "LoadLocal+LoadLocal+Lt+JumpIfFalse",
               FUSED_LK_LT_JIF: "LoadLocal+LoadConst+Lt+JumpIfFalse",
               FUSED_INC_LOCAL: "LoadLocal+AddInt+StoreLocal",
               FUSED_LL_ADD_STORE: "LoadLocal+LoadLocal+Add+StoreLocal",
               FUSED_GLOBAL_LOCAL_ADDK: "LoadGlobal+LoadLocal+AddInt",
               FUSED_LOCAL_ADDK: "LoadLocal+AddInt"}
MAX_FUSED = 4
# A region (vm/regions.py): many blocks of simple instructions compiled to one Python function.
FUSED_REGION = FUSED_BASE + 6
FUSED_NAMES[FUSED_REGION] = "region"

_LL = bytecode.OP_LoadLocal
_LK = bytecode.OP_LoadConst
_LG = bytecode.OP_LoadGlobal
_LT = bytecode.OP_Lt
_JIF = bytecode.OP_JumpIfFalse
_ADDK = bytecode.OP_AddInt
_ADD = bytecode.OP_Add
_SL = bytecode.OP_StoreLocal
_JUMPS = (bytecode.OP_Jump, bytecode.OP_JumpIfFalse, bytecode.OP_JumpIfTrue)

# (opcode pattern, fused opcode, builder of the fused argument from the group's entries)
_PATTERNS = [
    ((_LL, _LL, _LT, _JIF), FUSED_LL_LT_JIF, lambda e, o: (e[0][1], e[1][1], e[3][1], o[2])),
    ((_LL, _LK, _LT, _JIF), FUSED_LK_LT_JIF, lambda e, o: (e[0][1], e[1][1], e[3][1], o[2])),
    ((_LL, _LL, _ADD, _SL), FUSED_LL_ADD_STORE, lambda e, o: (e[0][1], e[1][1], e[3][1], o[2])),
    ((_LL, _ADDK, _SL), FUSED_INC_LOCAL, lambda e, o: (e[0][1], e[1][1], e[2][1], o[1])),
    ((_LG, _LL, _ADDK), FUSED_GLOBAL_LOCAL_ADDK, lambda e, o: (e[0][1], e[1][1], e[2][1], o[2])),
    ((_LL, _ADDK), FUSED_LOCAL_ADDK, lambda e, o: (e[0][1], e[1][1], o[1])),
]

_FIRSTS = frozenset(pattern[0] for pattern, _, _ in _PATTERNS)


def fuse(plain: list) -> tuple[list, dict]:
    """(fused list, {inner offset: group head}) for one function's plain entries."""
    offsets = [off for off, entry in enumerate(plain) if entry is not None]
    targets = {entry[1] for entry in plain if entry is not None and entry[0] in _JUMPS}
    fused = list(plain)
    heads: dict[int, int] = {}
    i = 0
    while i < len(offsets):
        group = None
        if plain[offsets[i]][0] not in _FIRSTS:       # most instructions start no pattern
            i += 1
            continue
        for pattern, op, build in _PATTERNS:
            n = len(pattern)
            offs = offsets[i:i + n]
            if len(offs) < n:
                continue
            entries = [plain[o] for o in offs]
            if tuple(e[0] for e in entries) != pattern:
                continue
            if any(o in targets for o in offs[1:]):
                continue
            if op in (FUSED_INC_LOCAL, FUSED_LOCAL_ADDK, FUSED_GLOBAL_LOCAL_ADDK) and type(entries[-1 if op != FUSED_INC_LOCAL else 1][1]) is not int:
                continue
            group = (offs, op, build(entries, offs), entries[-1][2])
            break
        if group is None:
            i += 1
            continue
        offs, op, arg, nxt = group
        fused[offs[0]] = (op, arg, nxt)
        for o in offs[1:]:
            heads[o] = offs[0]
        i += len(offs)
    return fused, heads
