"""The Fuel panel: a gauge of the tracked fiber's fuel and a sparkline of it over ticks."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from vmdbg.snapshot import Snapshot
from vmdbg.widgets.rows import Panel

BARS = "▁▂▃▄▅▆▇█"
MAX_SAMPLES = 600


class FuelHistory:
    """(tick, fuel) per fiber, collected from successive snapshots (stops and live ones)."""

    def __init__(self):
        self.samples: dict[int, list[tuple[int, int]]] = {}
        self.budget: dict[int, int] = {}
        self.tracked: int | None = None

    def add(self, snapshot: Snapshot) -> None:
        tick = snapshot.tick
        if snapshot.reason == "entry" and tick == 0:
            self.samples.clear()
            self.budget.clear()
            self.tracked = None
        fuels = {f.id: f.fuel for f in snapshot.fibers if f.fuel is not None}
        moved = None
        for fid, fuel in fuels.items():
            series = self.samples.setdefault(fid, [])
            while series and series[-1][0] > tick:      # went back in time
                series.pop()
            if series and series[-1][1] != fuel:
                moved = fid
            if not series or series[-1][0] < tick or series[-1][1] != fuel:
                if series and series[-1][0] == tick:
                    series.pop()
                series.append((tick, fuel))
                del series[:-MAX_SAMPLES]
            self.budget[fid] = max(self.budget.get(fid, 0), fuel)
        shown = snapshot.fiber_id
        if shown in fuels:
            self.tracked = shown
        elif moved is not None:
            self.tracked = moved
        elif self.tracked not in fuels:
            self.tracked = next(iter(fuels), None)


class FuelView(Static, Panel):
    """Gauge and history for the shown fiber, or the last fiber whose fuel moved."""

    COMPONENT_CLASSES = {"fuel--bar", "fuel--empty", "fuel--low", "fuel--label", "fuel--spark"}

    def __init__(self, **kwargs):
        super().__init__("", **kwargs)
        self.border_title = "Fuel"
        self.history = FuelHistory()
        self.snapshot: Snapshot | None = None

    def show(self, snapshot: Snapshot, previous: Snapshot | None) -> None:
        self.history.add(snapshot)
        self.snapshot = snapshot
        self.refresh()

    def render(self) -> Text:
        snap, hist = self.snapshot, self.history
        label = self.get_component_rich_style("fuel--label", partial=True)
        if snap is None:
            return Text("")
        width = max(self.content_region.width, 10)
        fid = hist.tracked
        if fid is None:
            return Text(f"fiber #{snap.fiber_id}: unlimited fuel\n(no fiber has a fuel budget)", label)
        series = hist.samples.get(fid, [])
        fuel = series[-1][1] if series else 0
        budget = max(hist.budget.get(fid, 1), 1)
        who = "current" if fid == snap.current_fiber_id else "last drained"
        text = Text(f"fiber #{fid} ({who}): {fuel} / {budget}\n", label)
        bar_width = width
        full = round(bar_width * fuel / budget)
        style = "fuel--low" if fuel * 5 < budget else "fuel--bar"
        text.append("█" * full, self.get_component_rich_style(style, partial=True))
        text.append("░" * (bar_width - full), self.get_component_rich_style("fuel--empty", partial=True))
        text.append("\n")
        values = [v for _, v in series[-width:]]
        spark = "".join(BARS[min(len(BARS) - 1, v * len(BARS) // (budget + 1))] for v in values)
        text.append(spark, self.get_component_rich_style("fuel--spark", partial=True))
        if series:
            text.append(f"\nticks {series[-len(values)][0]}–{series[-1][0]}", label)
        return text
