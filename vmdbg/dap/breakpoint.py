"""Breakpoint requests: source lines, functions, instructions, and signal catchpoints (exception filters).

The client sends the whole set of one family each time (the lines of one source, all
function breakpoints, ...); what it asked for is kept here as specs, and the Session's
breakpoints follow them. A spec equal to one already set keeps its Session breakpoint, so
its hit count survives the client re-sending the set. Specs sent before launch are applied
when the program loads (and reported with `breakpoint` events).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vmdbg.core import inspect
from vmdbg.core.listing import (add_instruction_breakpoint, breakpoint_places, format_address,
                                parse_address)
from vmdbg.dap.context import Context, DAPError
from vmdbg.dap.server import ANYTIME, capability, request

BUILTIN_LABELS = {"error": "Errors (:error)", "yield": "Yields (:yield)", "fuel": "Fuel exhausted (:fuel)"}


@dataclass
class Spec:
    id: int                     # the DAP breakpoint id
    kind: str                   # line / function / instruction / signal
    key: tuple                  # what the client asked for: equal keys, same breakpoint
    where: object               # line number, function name, address or signal name
    condition: str | None = None
    hit_count: int | None = None
    log_message: str | None = None
    error: str | None = None    # why it cannot be set at all
    bp: int | None = None       # the Session breakpoint's id
    source: dict | None = None  # line breakpoints: the Source the client named


class Breakpoints:
    """The specs of one connection, by family ("line", path) / "function" / ... ."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.families: dict[object, list[Spec]] = {}
        self.next_id = 1

    def replace(self, family, wanted: list[Spec]) -> list[Spec]:
        """Make `wanted` (ids unset) the family's set; returns the specs as kept."""
        old = {spec.key: spec for spec in self.families.get(family, [])}
        kept = []
        for spec in wanted:
            same = old.pop(spec.key, None)
            if same is not None:
                kept.append(same)
                continue
            spec.id = self.next_id
            self.next_id += 1
            self._apply(spec)
            kept.append(spec)
        for spec in old.values():
            self._remove(spec)
        self.families[family] = kept
        return kept

    def _remove(self, spec: Spec):
        session = self.ctx.session
        if session is not None and spec.bp is not None:
            session.remove_breakpoint(spec.bp)
        spec.bp = None

    def _apply(self, spec: Spec):
        session = self.ctx.session
        if session is None or spec.error or self.ctx.launch_args.get("noDebug"):
            return
        options = {"condition": spec.condition, "hit_count": spec.hit_count}
        if spec.kind == "line":
            if not self.ctx.is_program(spec.source):
                return
            bp = session.add_breakpoint(line=spec.where, log_message=spec.log_message, **options)
        elif spec.kind == "function":
            bp = session.add_breakpoint(function=spec.where, log_message=spec.log_message, **options)
        elif spec.kind == "instruction":
            bp, why = add_instruction_breakpoint(session, spec.where, **options)
            if bp is None:
                spec.error = why
                return
        else:
            bp = session.add_breakpoint(signal=":" + spec.where, condition=spec.condition)
        spec.bp = bp.id

    def apply_all(self):
        """The program was (re)loaded: set every spec in the new Session."""
        for specs in self.families.values():
            for spec in specs:
                spec.bp = None
                if spec.kind == "instruction" and spec.error and spec.error.startswith("no instruction"):
                    spec.error = None
                self._apply(spec)

    def after_restart(self):
        """The Session re-resolved its breakpoints in the reloaded code; instruction
        breakpoints are set again from their addresses (a name would match every `fn`)."""
        for specs in self.families.values():
            for spec in specs:
                if spec.kind == "instruction":
                    self._remove(spec)
                    spec.error = None
                    self._apply(spec)

    def all_specs(self) -> list[Spec]:
        return [spec for specs in self.families.values() for spec in specs]

    def dap_ids(self, bps) -> list[int]:
        ids = {bp.id for bp in bps}
        return [spec.id for spec in self.all_specs() if spec.bp in ids]

    def describe(self, spec: Spec) -> dict:
        """The DAP Breakpoint for a spec."""
        ctx = self.ctx
        out = {"id": spec.id, "verified": False}
        if spec.kind == "line":
            out["line"] = ctx.line_out(spec.where)
            out["source"] = spec.source
        session = ctx.session
        if spec.error:
            out["message"] = spec.error
        elif session is None:
            out["message"] = "pending: the program is not loaded yet"
        elif spec.bp is None:
            if ctx.launch_args.get("noDebug"):
                out["message"] = "running without debugging"
            else:
                out["message"] = f"breakpoints go in the program being debugged ({ctx.program_path()})"
        else:
            bp = session.breakpoints.get(spec.bp)
            out["verified"] = bool(bp is not None and bp.verified)
            if bp is not None and bp.message:
                out["message"] = bp.message
            places = breakpoint_places(session, spec.bp)
            if places and spec.kind != "signal":
                place = places[0]
                if place.line is not None:
                    out["line"] = ctx.line_out(place.line)
                    out["column"] = ctx.column_out(place.column)
                    source = ctx.source(place.file)
                    if source is not None:
                        out["source"] = source
                out["instructionReference"] = format_address(place.address)
        return out

    def changed_events(self):
        for spec in self.all_specs():
            self.ctx.event("breakpoint", {"reason": "changed", "breakpoint": self.describe(spec)})


def specs_of(ctx: Context) -> Breakpoints:
    if ctx.breakpoints is None:
        ctx.breakpoints = Breakpoints(ctx)
    return ctx.breakpoints


def parse_hit_condition(text) -> tuple[int | None, str | None]:
    """(hit count, error). The Session stops from the Nth hit on: "N", ">= N" or "> N-1"."""
    if text is None or str(text).strip() == "":
        return None, None
    m = re.fullmatch(r"\s*(>=|>)?\s*(\d+)\s*", str(text))
    if not m:
        return None, (f"hit condition {text!r} not understood: write N (or >= N) to stop "
                      f"from the Nth hit on")
    n = int(m.group(2)) + (1 if m.group(1) == ">" else 0)
    return (n if n > 1 else None), None


def _spec(kind: str, where, args: dict, log: bool = True, **extra) -> Spec:
    condition = (args.get("condition") or "").strip() or None
    hit_count, error = parse_hit_condition(args.get("hitCondition"))
    log_message = (args.get("logMessage") or None) if log else None
    key = (kind, where, condition, args.get("hitCondition"), log_message)
    return Spec(0, kind, key, where, condition, hit_count, log_message, error, **extra)


@request("setBreakpoints", when=ANYTIME, needs_session=False,
         capability="supportsConditionalBreakpoints")
def set_breakpoints(ctx: Context, args: dict):
    source = args.get("source") or {}
    if not isinstance(source, dict) or not (source.get("path") or source.get("sourceReference")):
        raise DAPError("setBreakpoints needs a source with a path")
    wanted = args.get("breakpoints")
    if wanted is None:          # the deprecated form: just line numbers
        wanted = [{"line": line} for line in args.get("lines") or []]
    specs = [_spec("line", ctx.line_in(b.get("line")), b, source=source) for b in wanted]
    family = ("line", source.get("path") or source.get("sourceReference"))
    kept = specs_of(ctx).replace(family, specs)
    return {"breakpoints": [specs_of(ctx).describe(s) for s in kept]}


capability("supportsHitConditionalBreakpoints")
capability("supportsLogPoints")


@request("setFunctionBreakpoints", when=ANYTIME, needs_session=False,
         capability="supportsFunctionBreakpoints")
def set_function_breakpoints(ctx: Context, args: dict):
    specs = []
    for b in args.get("breakpoints") or []:
        name = str(b.get("name") or "").strip()
        spec = _spec("function", name, b, log=False)
        if not name:
            spec.error = "a function breakpoint needs a function name"
        specs.append(spec)
    kept = specs_of(ctx).replace("function", specs)
    return {"breakpoints": [specs_of(ctx).describe(s) for s in kept]}


@request("setInstructionBreakpoints", when=ANYTIME, needs_session=False,
         capability="supportsInstructionBreakpoints")
def set_instruction_breakpoints(ctx: Context, args: dict):
    specs = []
    for b in args.get("breakpoints") or []:
        base = parse_address(b.get("instructionReference"))
        address = None if base is None else base + int(b.get("offset") or 0)
        spec = _spec("instruction", address, b, log=False)
        if address is None:
            spec.error = f"not an instruction address: {b.get('instructionReference')!r}"
        specs.append(spec)
    kept = specs_of(ctx).replace("instruction", specs)
    return {"breakpoints": [specs_of(ctx).describe(s) for s in kept]}


def exception_filters(ctx: Context) -> list[dict]:
    """One filter per signal keyword the program knows (its user signals only once it is
    loaded: a `capabilities` event then sends the full list)."""
    out = []
    for name, bit in inspect.signal_keywords(ctx.session):
        label = BUILTIN_LABELS.get(name, f"Signal :{name}")
        out.append({"filter": name, "label": label, "default": False, "supportsCondition": True,
                    "description": f"Stop when a fiber emits :{name} (bit {bit}), before a mask catches it",
                    "conditionDescription": "an expression in the emitting frame, e.g. (= i 3)"})
    return out


capability("exceptionBreakpointFilters", exception_filters)
capability("supportsExceptionFilterOptions")


@request("setExceptionBreakpoints", when=ANYTIME, needs_session=False)
def set_exception_breakpoints(ctx: Context, args: dict):
    options = [{"filterId": f} for f in args.get("filters") or []]
    options += [o for o in args.get("filterOptions") or [] if isinstance(o, dict)]
    known = {f["filter"] for f in exception_filters(ctx)}
    specs = []
    for o in options:
        name = str(o.get("filterId") or "").lstrip(":")
        spec = _spec("signal", name, o, log=False)
        if name not in known and ctx.session is not None:
            spec.error = f"unknown signal :{name}"
        specs.append(spec)
    kept = specs_of(ctx).replace("signal", specs)
    return {"breakpoints": [specs_of(ctx).describe(s) for s in kept]}


@request("breakpointLocations", when=ANYTIME, capability="supportsBreakpointLocationsRequest")
def breakpoint_locations(ctx: Context, args: dict):
    if not ctx.is_program(args.get("source")):
        return {"breakpoints": []}
    first = ctx.line_in(args.get("line"))
    last = ctx.line_in(args.get("endLine")) if args.get("endLine") is not None else first
    lines = inspect.code_lines(ctx.session, first, min(last, first + 10_000))
    return {"breakpoints": [{"line": ctx.line_out(line)} for line in lines]}
