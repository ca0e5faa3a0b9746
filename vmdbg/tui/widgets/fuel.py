"""The Fuel panel: a gauge of the tracked fiber's fuel and a sparkline of it over ticks."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from vmdbg.core.snapshot import Snapshot
from vmdbg.tui.widgets.rows import Panel, component_style

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
        for f in snapshot.fibers:
            if f.fuel is not None:
                # The budget the program set; a fuel above it (set again) raises the mark.
                self.budget[f.id] = max(f.fuel_budget or 0, f.fuel)
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
        self.key = None
        self.snapshot: Snapshot | None = None

    def show(self, snapshot: Snapshot, previous: Snapshot | None) -> None:
        self.history.add(snapshot)
        self.snapshot = snapshot
        fid = self.history.tracked
        series = self.history.samples.get(fid, ())
        key = (fid, snapshot.fiber_id if fid is None else None, snapshot.current_fiber_id == fid,
               len(series), series[-1] if series else None, self.history.budget.get(fid))
        if key != self.key:         # repaint only when the picture changes
            self.key = key
            self.refresh()

    def render(self) -> Text:
        snap, hist = self.snapshot, self.history
        label = component_style(self, "fuel--label")
        text = Text(no_wrap=True, overflow="ellipsis")
        if snap is None:
            return text
        width = max(self.content_region.width, 10)
        fid = hist.tracked
        if fid is None:
            text.append(f"fiber #{snap.fiber_id}: unlimited\n(no fiber has a fuel budget)", label)
            return text
        series = hist.samples.get(fid, [])
        fuel = series[-1][1] if series else 0
        budget = hist.budget.get(fid, 0)
        idle = "" if fid == snap.current_fiber_id else ", not running"
        if budget:
            text.append(f"fiber #{fid}{idle}: {fuel:,} of {budget:,} left\n", label)
            full = round(width * fuel / budget)
        else:
            text.append(f"fiber #{fid}{idle}: out of fuel\n", label)
            full = 0
        style = "fuel--low" if fuel * 5 < budget or not budget else "fuel--bar"
        text.append("█" * full, component_style(self, style))
        text.append("░" * (width - full), component_style(self, "fuel--empty"))
        text.append("\n")
        if len(series) > 1:
            text.append(sparkline(series, width, max(budget, 1)), component_style(self, "fuel--spark"))
            text.append(f"\nticks {series[0][0]:,} – {series[-1][0]:,}", label)
        return text


def sparkline(series: list[tuple[int, int]], width: int, budget: int) -> str:
    """Fuel over ticks: column c shows the fuel at its tick, read off the straight line
    between the samples around it (fuel drains one unit per instruction in between)."""
    first, last = series[0][0], series[-1][0]
    span = max(last - first, 1)
    out, i = [], 0
    for col in range(width):
        tick = first + span * (col + 1) / width
        while i + 2 < len(series) and series[i + 1][0] < tick:
            i += 1
        (t0, f0), (t1, f1) = series[i], series[min(i + 1, len(series) - 1)]
        fuel = f1 if t1 <= t0 else f0 + (f1 - f0) * min(1.0, max(0.0, (tick - t0) / (t1 - t0)))
        level = int(fuel * (len(BARS) - 1) / budget + 0.5)
        out.append(BARS[max(0, min(len(BARS) - 1, level))])
    return "".join(out)
