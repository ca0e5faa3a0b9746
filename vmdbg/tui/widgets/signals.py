"""The Signals panel: the shown fiber's mask and last signal as named bits, and the route."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from vmdbg.core.snapshot import Snapshot
from vmdbg.tui.widgets.rows import Panel, clean, component_style, retitle


class SignalsView(Static, Panel):
    """Each known signal by name, lit when its bit is set in the mask / the last signal."""

    COMPONENT_CLASSES = {"signals--on", "signals--off", "signals--label", "signals--route"}

    def __init__(self, **kwargs):
        super().__init__("", **kwargs)
        self.border_title = "Signals"
        self.snapshot: Snapshot | None = None
        self.key = None

    def show(self, snapshot: Snapshot, previous: Snapshot | None) -> None:
        fiber = next((f for f in snapshot.fibers if f.id == snapshot.fiber_id), None)
        key = (fiber and (fiber.id, fiber.mask, fiber.bits), snapshot.signal, snapshot.signal_names)
        self.snapshot = snapshot
        retitle(self, subtitle=f"fiber #{fiber.id} {fiber.status}" if fiber is not None else "")
        if key != self.key:         # repaint only what changed: most steps change no signal
            self.key = key
            self.refresh()

    def render(self) -> Text:
        snap = self.snapshot
        label = component_style(self, "signals--label")
        fiber = next((f for f in snap.fibers if f.id == snap.fiber_id), None) if snap else None
        if fiber is None:
            return Text("(no fiber)", label)
        width = max(self.content_region.width, 12)
        text = Text(no_wrap=True, overflow="ellipsis")
        self._bits(text, "mask", fiber.mask, snap.signal_names, width)
        self._bits(text, "last", fiber.bits, snap.signal_names, width)
        sig = snap.signal
        if sig is not None:
            names = " ".join(":" + n for n in sig.names)
            where = f"caught by #{sig.caught_by}" if sig.caught_by is not None else "uncaught"
            text.append(f"{names} from #{sig.fiber_id}, {where}", component_style(self, "signals--route"))
        return text

    def _bits(self, text: Text, title: str, bits: int, known: tuple, width: int) -> None:
        """`mask (bits N)`, then every known signal as a chip, lit when its bit is set (the
        number comes first, so it never reads as the value of the last chip)."""
        on, off = component_style(self, "signals--on"), component_style(self, "signals--off")
        label = component_style(self, "signals--label")
        text.append(f"{title} (bits {bits})\n     ", label)
        chips = [(name, bool(bits & bit)) for name, bit in known]
        extra = bits & ~sum(bit for _, bit in known)
        if extra:
            chips.append((str(extra), True))
        used = 5
        for name, lit in chips:
            chip = f" {clean(name, 20)} " if lit is not None else f" {name}"
            if used > 5 and used + len(chip) > width:
                text.append("\n     ")
                used = 5
            text.append(chip, label if lit is None else on if lit else off)
            used += len(chip)
        text.append("\n")
