"""The disassemble request: instructions around an address, with source lines, for a view that follows ip.

Addresses come from vmdbg.core.listing: every function of the program laid end to end
(a frame's instructionPointerReference is one). Asking past either end of the code gives
filler instructions (presentationHint "invalid"), as the protocol wants exactly
instructionCount of them.
"""

from __future__ import annotations

from vmdbg.core.listing import code_map, format_address, parse_address
from vmdbg.dap.context import Context, DAPError
from vmdbg.dap.server import request

MAX_COUNT = 10_000


@request("disassemble", capability="supportsDisassembleRequest")
def disassemble(ctx: Context, args: dict):
    base = parse_address(args.get("memoryReference"))
    if base is None:
        raise DAPError(f"not an instruction address: {args.get('memoryReference')!r}")
    try:
        address = base + int(args.get("offset") or 0)
        shift = int(args.get("instructionOffset") or 0)
        count = min(int(args.get("instructionCount") or 0), MAX_COUNT)
    except (TypeError, ValueError):
        raise DAPError("offset, instructionOffset and instructionCount must be numbers")
    out = []
    for ins in code_map(ctx.session).instructions(address, shift, count):
        item = {"address": format_address(ins.address), "instruction": ins.text}
        if not ins.valid:
            item["presentationHint"] = "invalid"
            out.append(item)
            continue
        item["instructionBytes"] = ins.raw
        item["symbol"] = ins.function
        source = ctx.source(ins.file)
        if source is not None and ins.line is not None:
            item["location"] = source
            item["line"] = ctx.line_out(ins.line)
            item["column"] = ctx.column_out(ins.column)
            item["endLine"] = ctx.line_out(ins.end_line)
            item["endColumn"] = ctx.column_out(ins.end_column)
        out.append(item)
    return {"instructions": out}
