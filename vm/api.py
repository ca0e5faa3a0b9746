"""Run a whole program in a fresh VM and collect what a user would see (tests, CLI)."""

from __future__ import annotations

from vm.errors import SourceError


class Outcome:
    """What running a program produced (a plain class: `vmdbg run` does not import
    dataclasses)."""

    __slots__ = ("output", "status", "value", "error_kind", "error_text", "ticks", "vm")

    def __init__(self, output: str, status: int, value=None, error_kind: str | None = None,
                 error_text: str = "", ticks: int = 0, vm=None):
        self.output = output
        self.status = status            # 0 ok, 1 uncaught runtime error, 2 read/compile error
        self.value = value
        self.error_kind = error_kind
        self.error_text = error_text    # what the CLI prints on stderr
        self.ticks = ticks
        self.vm = vm

    def __eq__(self, other):
        if type(other) is not Outcome:
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self.__slots__)

    __hash__ = None

    def __repr__(self) -> str:
        return "Outcome(" + ", ".join(f"{f}={getattr(self, f)!r}" for f in self.__slots__) + ")"


def format_uncaught(vm) -> tuple[str, str]:
    """(kind, text) for the signal that ended the program: `kind: message`, where, trace."""
    kind, message = vm.describe_uncaught()
    lines = [f"{kind}: {message}"]
    site = vm.error_site
    fiber, bits, _ = vm.uncaught
    from vm.signals import SIG_ERROR
    if bits & SIG_ERROR and site is not None:
        if site.span is not None:
            lines.append(f"  at {site.span.file}:{site.span.line}:{site.span.col}")
        lines.append("stack trace (innermost first):")
        for name, span in site.trace:
            where = f"{span.file}:{span.line}:{span.col}" if span is not None else "?"
            lines.append(f"  {name} ({where})")
    else:
        frame = fiber.frames[-1] if fiber.frames else None
        if frame is not None:
            from vm.core import span_before
            span = span_before(frame.func, frame.ip)
            if span is not None:
                lines.append(f"  at {span.file}:{span.line}:{span.col}")
    return kind, "\n".join(lines)


def run_program(text: str, filename: str, fuel: int | None = None, max_depth: int = 10_000,
                jit: int = 0, on_output=None, **limits) -> Outcome:
    """Compile and run `text` to the end."""
    from vm.core import VM
    vm = VM(max_depth=max_depth, jit=jit, on_output=on_output, **limits)
    try:
        vm.load(text, filename)
    except SourceError as e:
        return Outcome("", 2, error_text=str(e), vm=vm)
    if fuel is not None:
        vm.set_fuel(fuel)
    vm.run()
    if vm.status == "finished":
        return Outcome(vm.output_text(), 0, value=vm.result, ticks=vm.tick, vm=vm)
    kind, text_ = format_uncaught(vm)
    return Outcome(vm.output_text(), 1, error_kind=kind, error_text=text_, ticks=vm.tick, vm=vm)
