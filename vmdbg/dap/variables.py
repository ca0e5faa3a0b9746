"""The variables request: the parts of a scope or a value, fetched on expanding them, a page at a time.

A part that has parts of its own gets a new variables reference, valid until the program
runs again. Large collections say how many parts they have (indexedVariables /
namedVariables) and the client asks for pages with start and count.
"""

from __future__ import annotations

from vmdbg.core import children, inspect
from vmdbg.dap.context import Context, DAPError, Ref
from vmdbg.dap.server import request


def variable(ctx: Context, name: str, value, expression: str | None) -> dict:
    """The DAP Variable for a value (expandable ones get a reference)."""
    info = children.describe(value)
    out = {"name": name, "value": info.preview, "type": info.type, "variablesReference": 0}
    if info.named or info.indexed:
        out["variablesReference"] = ctx.ref(Ref("value", value=value, expression=expression))
        if info.named:
            out["namedVariables"] = info.named
        if info.indexed:
            out["indexedVariables"] = info.indexed
    if expression:
        out["evaluateName"] = expression
    return out


def _page(items: list, args: dict) -> list:
    start = max(0, int(args.get("start") or 0))
    count = int(args.get("count") or 0)
    return items[start:start + count] if count > 0 else items[start:]


def _fiber_fields(ctx: Context, fid: int) -> list[dict]:
    # From the last stop's Snapshot: the same fiber state the TUI's Fibers panel shows.
    info = next((f for f in ctx.snapshot.fibers if f.id == fid), None) if ctx.snapshot else None
    if info is None:
        return []

    def bits(value, names):
        return "|" + " ".join(":" + n for n in names) + "|" if names else str(value)

    def fiber(i):
        return "none" if i is None else f"fiber {i} (thread {ctx.thread_id(i)})"

    fields = [("status", info.status), ("function", info.function),
              ("mask", bits(info.mask, info.mask_names)),
              ("fuel", "unlimited" if info.fuel is None else str(info.fuel)),
              ("bits", bits(info.bits, info.bits_names)), ("value", info.payload),
              ("frames", str(info.depth)), ("resumed by", fiber(info.parent)),
              ("created by", fiber(info.creator)), ("resumed", fiber(info.child)),
              ("last signal caught by", fiber(info.caught_by))]
    return [{"name": n, "value": v, "variablesReference": 0} for n, v in fields]


@request("variables")
def variables(ctx: Context, args: dict):
    ref = ctx.deref(args.get("variablesReference"))
    session = ctx.session
    which = args.get("filter") if args.get("filter") in ("named", "indexed") else None
    try:
        if ref.kind == "value":
            parts = children.parts(ref.value, ref.expression, args.get("start") or 0,
                                   args.get("count") or 0, which)
            return {"variables": [variable(ctx, p.name, p.value, p.expression) for p in parts]}
        if ref.kind == "fiber":
            return {"variables": _page(_fiber_fields(ctx, ref.fiber_id), args)}
        if ref.kind == "stack":
            if which == "named":
                return {"variables": []}
            stack = inspect.frame_stack(session, ref.fiber_id, ref.index)
            items = [(f"[{i}]", v) for i, v in enumerate(stack)]
            return {"variables": [variable(ctx, n, v, None) for n, v in _page(items, args)]}
        if which == "indexed":
            return {"variables": []}
        if ref.kind == "locals":
            names = inspect.frame_locals(session, ref.fiber_id, ref.index)
        else:
            names = inspect.program_globals(session)
        return {"variables": [variable(ctx, n, v, n) for n, v in _page(names, args)]}
    except inspect.NoSuchFrame as e:
        raise DAPError(str(e))
    except (TypeError, ValueError):
        raise DAPError("start and count must be numbers")
