"""Where compiled code finds an array's elements, and a closure's captures, in memory
(without llvmlite).

Compiled code reads and writes @array elements and captured variables in place (issue
14): an Array's `items` list and `mutable` flag, a Closure's `captures` list and a Cell's
`value` are __slots__ (vm/values.py, vm/fiber.py), the lists are CPython's PyListObject. The offsets are found by looking at live objects, not assumed, so a Python
that lays them out otherwise simply compiles nothing that touches arrays.
"""

from __future__ import annotations

import ctypes


def _object_layout():
    """Byte offsets compiled code reads arrays and closures at, found by looking at live
    objects: an Array's `items` list and `mutable` flag, a Closure's `captures`, a Cell's
    `value` (their __slots__), a list's length and item vector. None when this Python
    lays them out otherwise (then nothing touching arrays or captures compiles:
    vm/jit/translate.py offset() refuses then)."""
    from vm.values import Array
    word = ctypes.sizeof(ctypes.c_void_p)
    items = [object(), object(), object()]
    a = Array(items, True)
    found = {}
    for off in range(word, Array.__basicsize__, word):
        v = ctypes.c_void_p.from_address(id(a) + off).value
        if v == id(items):
            found["items"] = off
        elif v == id(True):
            found["mutable"] = off
    head = object.__basicsize__                     # ob_refcnt, ob_type
    if (set(found) != {"items", "mutable"} or list.__basicsize__ < head + 2 * word
            or ctypes.c_ssize_t.from_address(id(items) + head).value != 3):
        return None
    vector = ctypes.c_void_p.from_address(id(items) + head + word).value
    if [ctypes.c_void_p.from_address(vector + k * word).value for k in range(3)] != [id(x) for x in items]:
        return None
    from vm.fiber import Closure
    from vm.values import Cell, Struct
    table = {}
    struct = Struct(table, True)
    struct_offs = [off for off in range(word, Struct.__basicsize__, word)
                   if ctypes.c_void_p.from_address(id(struct) + off).value == id(table)]
    closure = Closure(a, items)
    cell = Cell(items)
    offs = [off for off in range(word, Closure.__basicsize__, word)
            if ctypes.c_void_p.from_address(id(closure) + off).value == id(items)]
    cell_offs = [off for off in range(word, Cell.__basicsize__, word)
                 if ctypes.c_void_p.from_address(id(cell) + off).value == id(items)]
    if len(offs) != 1 or len(cell_offs) != 1 or len(struct_offs) != 1:
        return None
    return {"array.items": found["items"], "array.mutable": found["mutable"],
            "list.size": head, "list.items": head + word,
            "closure.captures": offs[0], "cell.value": cell_offs[0], "struct.d": struct_offs[0]}


LAYOUT = _object_layout()
