"""The Signals panel: the shown fiber's mask and last signal as named bits, and the route."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from vmdbg.snapshot import Snapshot
from vmdbg.widgets.rows import Panel, clean


class SignalsView(Static, Panel):
    """Each known signal by name, lit when its bit is set in the mask / the last signal."""

    COMPONENT_CLASSES = {"signals--on", "signals--off", "signals--label", "signals--route"}

    def __init__(self, **kwargs):
        super().__init__("", **kwargs)
        self.border_title = "Signals"

    def show(self, snapshot: Snapshot, previous: Snapshot | None) -> None:
        fiber = next((f for f in snapshot.fibers if f.id == snapshot.fiber_id), None)
        text = Text()
        label = self.get_component_rich_style("signals--label", partial=True)
        if fiber is None:
            self.update(Text("(no fiber)", label))
            return
        text.append(f"fiber #{fiber.id} ({fiber.status})\n", label)
        self._bits(text, "mask", fiber.mask, snapshot.signal_names)
        self._bits(text, "last", fiber.bits, snapshot.signal_names)
        sig = snapshot.signal
        route = self.get_component_rich_style("signals--route", partial=True)
        if sig is not None:
            names = " ".join(":" + n for n in sig.names)
            where = (f"caught by #{sig.caught_by}" if sig.caught_by is not None
                     else "uncaught: it propagates to the top")
            text.append(f"{names} from #{sig.fiber_id}, {where}", route)
            if sig.payload and sig.payload != "nil":
                text.append(f" ({clean(sig.payload, 60)})", label)
        elif fiber.bits:
            text.append(f"payload {clean(fiber.payload, 60)}", label)
        self.update(text)

    def _bits(self, text: Text, title: str, bits: int, known: tuple) -> None:
        on = self.get_component_rich_style("signals--on", partial=True)
        off = self.get_component_rich_style("signals--off", partial=True)
        text.append(f"{title} ", self.get_component_rich_style("signals--label", partial=True))
        seen = 0
        for name, bit in known:
            text.append(f" {clean(name, 20)} ", on if bits & bit else off)
            seen |= bit
        if bits & ~seen:
            text.append(f" {bits & ~seen} ", on)
        text.append(f" = {bits}\n", self.get_component_rich_style("signals--label", partial=True))
