"""Reading any fiber of a stopped Session without selecting it: frames, bindings, stacks, evaluation.

The Session's own views show one fiber at a time (the selected one); a protocol client such
as the DAP server asks about any fiber and any frame by number, in any order, without
moving the selection the TUI would show. Everything here reads; nothing changes the program.
"""

from __future__ import annotations

from dataclasses import dataclass

from vm.core import span_before
from vm.signals import BUILTIN_SIGNALS
from vm.values import Cell

from vmdbg.core.breakpoints import resolve_line
from vmdbg.core.snapshot import FrameInfo, describe_frame
from vmdbg.core.watch import evaluate, frame_bindings


class NoSuchFrame(LookupError):
    """A fiber or frame number that does not exist (any more)."""


@dataclass(frozen=True)
class FramePlace:
    """A frame of some fiber, with what a protocol needs beyond FrameInfo: the function
    itself (for instruction addresses), the offset shown and the end of its source span."""

    info: FrameInfo
    func: object                # the CompiledFunction (opaque to front ends)
    ip: int                     # the offset shown: the next instruction, or the held one
    end_line: int | None
    end_column: int | None


def fiber_ids(session) -> list[int]:
    return sorted(session.vm.fibers.keys())


def _fiber(session, fiber_id: int):
    fiber = session.vm.fibers.get(fiber_id)
    if fiber is None:
        raise NoSuchFrame(f"no fiber {fiber_id}")
    return fiber


def _held_ip(session, fiber):
    # At a catchpoint the stop is shown at the instruction that raised the signal (as the
    # Session's snapshot does), not at the instruction after it.
    vm = session.vm
    held = vm.held_signal
    ip = getattr(vm, "held_ip", None)
    if held is None or held[0] is not fiber or ip is None or not fiber.frames:
        return None
    return ip


def frame_count(session, fiber_id: int) -> int:
    return len(_fiber(session, fiber_id).frames)


def fiber_frames(session, fiber_id: int, start: int = 0, count: int | None = None) -> list[FramePlace]:
    """Frames start .. start+count-1 (0 = innermost) of any fiber, suspended ones included."""
    fiber = _fiber(session, fiber_id)
    frames = fiber.frames
    n = len(frames)
    start = max(0, int(start))
    end = n if not count else min(n, start + int(count))
    held = _held_ip(session, fiber)
    out = []
    for i in range(start, end):
        frame = frames[n - 1 - i]
        info = describe_frame(i, frame, i == 0)
        ip = frame.ip
        if i == 0 and held is not None:
            ip = held
        at = span_before(frame.func, ip if i == 0 else max(frame.ip - 1, 0))
        if i == 0 and held is not None:
            info = FrameInfo(info.index, info.function, info.file, at.line if at else None,
                             at.col if at else None, held, info.locals, info.tier, info.stack_depth)
        out.append(FramePlace(info, frame.func, ip, at.end_line if at else None,
                              at.end_col if at else None))
    return out


def _frame(session, fiber_id: int, index: int):
    frames = _fiber(session, fiber_id).frames
    if not 0 <= index < len(frames):
        raise NoSuchFrame(f"fiber {fiber_id} has no frame {index}")
    return frames[len(frames) - 1 - index]


def frame_locals(session, fiber_id: int, index: int) -> list[tuple[str, object]]:
    """(name, value) of the names in scope in a frame: captures, then locals, as a watch
    sees them (hidden compiler temporaries left out)."""
    return list(frame_bindings(_frame(session, fiber_id, index)).items())


def frame_stack(session, fiber_id: int, index: int) -> list:
    """A frame's operand stack, bottom first (a held Emit's payload is still on it)."""
    return [v.value if type(v) is Cell else v for v in _frame(session, fiber_id, index).stack]


def program_globals(session) -> list[tuple[str, object]]:
    """(name, value) of the program's own top-level definitions, in definition order."""
    vm = session.vm
    module = vm.module
    if module is None:
        return []
    out = []
    for name, g in module.globals.items():
        if "#" in name:
            continue
        v = vm.globals[g.index] if g.index < len(vm.globals) else None
        out.append((name, v.value if type(v) is Cell else v))
    return out


def evaluate_at(session, fiber_id: int | None, index: int, expression: str) -> tuple[bool, object]:
    """(True, value) or (False, error text): `expression` in a frame of any fiber (None:
    the current fiber's innermost frame), with a watch's fuel cap and no side effects."""
    vm = session.vm
    if fiber_id is None:
        fiber = vm.current
        frame = fiber.frames[-1] if fiber is not None and fiber.frames else None
    else:
        fiber = _fiber(session, fiber_id)
        frame = _frame(session, fiber_id, index) if fiber.frames else None
    return evaluate(vm, frame, expression, lambda: session.patches)


def breakpoints_hit(session) -> list:
    """The user breakpoints (Breakpoint objects) that made the current stop: placed at the
    current instruction and hit at this very tick (log points never stop). If none was
    counted here (a condition that failed to evaluate, a stop found by reverse continue),
    every stopping breakpoint placed here."""
    vm = session.vm
    fiber = vm.current
    if fiber is None or not fiber.frames:
        return []
    frame = fiber.frames[-1]
    here = [bp for bp in session.breakpoints.values()
            if bp.kind != "signal" and bp.enabled and not bp.log_message
            and any(f is frame.func and off == frame.ip for f, off in bp.locations)]
    fired = [bp for bp in here if bp.hit_ticks and bp.hit_ticks[-1] == vm.tick
             and not (bp.hit_count and bp.hits < bp.hit_count)]
    return fired or here


def catchpoints_hit(session) -> list:
    """The enabled signal catchpoints whose bits the signal held at this stop carries."""
    held = session.vm.held_signal
    if held is None:
        return []
    bits = held[1]
    return [bp for bp in session.breakpoints.values()
            if bp.kind == "signal" and bp.enabled and bp.verified and bp.bits & bits]


def signal_keywords(session=None) -> list[tuple[str, int]]:
    """(name, bit) of every signal the program knows (no session: the built-in ones),
    lowest bit first."""
    bits = session.vm.registry.bits if session is not None else BUILTIN_SIGNALS
    return sorted(bits.items(), key=lambda kv: kv[1])


def source_text(session, name: str) -> str | None:
    """The text of a source the program was compiled from (the program, `<prelude>`)."""
    return session.vm.sources.get(name)


def code_lines(session, first: int, last: int) -> list[int]:
    """The lines in first..last of the program file where a line breakpoint would resolve."""
    vm = session.vm
    return [line for line in range(max(1, first), last + 1)
            if resolve_line(vm, session.filename, line) is not None]
