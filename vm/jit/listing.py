"""Cut one function's body out of a compile unit's LLVM IR or assembly text."""

from __future__ import annotations


def function_ir(module_text: str, symbol: str) -> str:
    """The `define` of `symbol` in a module's IR text."""
    return "\n".join(_ir_definition(module_text.splitlines(), symbol)).rstrip()


def _ir_definition(lines, name):
    marks = (f"@{name}(", f'@"{name}"(')
    for i, line in enumerate(lines):
        if line.startswith("define") and any(m in line for m in marks):
            end = i
            while end < len(lines) and lines[end] != "}":
                end += 1
            return lines[i:end + 1] + [""]
    return []


def function_assembly(asm: str, symbol: str) -> str:
    """The assembly of `symbol`, from its label to its `.size` directive."""
    lines = asm.splitlines()
    out = []
    for name in (symbol,):
        start = next((i for i, ln in enumerate(lines) if ln == f"{name}:"), None)
        if start is None:
            continue
        end = start
        while end < len(lines) and not lines[end].strip().startswith(f".size\t{name},"):
            end += 1
        out += lines[start:end + 1] + [""]
    return "\n".join(out) if out else asm
