"""The base of the list-like panels: rows are built on demand, so only visible rows cost.

A panel says how many rows it has and how to build row `i` as a Rich Text; scrolling,
the optional cursor, mouse clicks and a small strip cache live here. A 5,000-line listing
costs the same per step as a 50-line one.
"""

from __future__ import annotations

from rich.color import ColorType
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.color import Color
from textual.events import Click
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from vmdbg.core.snapshot import Snapshot

# Program data can hold any character; these would reach the terminal as control codes.
_CONTROL = {c: 0x2400 + c for c in range(32)} | {127: 0x2421}
_CONTROL[9] = ord(" ")
MAX_ROW_CHARS = 1_000


def clean(text: str, limit: int = MAX_ROW_CHARS) -> str:
    """Program text made safe to draw: control characters shown as symbols, length capped."""
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    return text.translate(_CONTROL)


def component_style(widget, name: str) -> Style:
    """A component class's style, with a translucent background blended as drawn, and a
    true-colour foreground made readable (contrast 4.5:1, WCAG AA) on the panel's
    background whatever the theme; cached per theme.

    The partial style keeps only what the stylesheet set (so token colours survive a
    background highlight), but its background would lose its alpha; the full style has
    the blended one."""
    key = (name, widget.app.theme)
    cache = widget.__dict__.setdefault("_component_styles", {})
    style = cache.get(key)
    if style is None:
        style = widget.get_component_rich_style(name, partial=True)
        if style.bgcolor is not None:
            style = style + Style(bgcolor=widget.get_component_rich_style(name).bgcolor)
        style = cache[key] = readable(style, widget.background_colors[1])
    return style


def contrast(a: Color, b: Color) -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""
    def luminance(c: Color) -> float:
        def channel(v: int) -> float:
            v /= 255
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
        return 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def readable(style: Style, background: Color, target: float = 4.5) -> Style:
    """`style` with its foreground darkened (on a light background) or lightened (on a
    dark one) until it reaches `target` contrast. ANSI colours are left as they are: an
    ANSI theme leaves the choice of colours to the terminal."""
    color = style.color
    if color is None or color.type != ColorType.TRUECOLOR:
        return style
    back = Color.from_rich_color(style.bgcolor) if style.bgcolor is not None else background
    fg = Color.from_rich_color(color)
    light = back.brightness > 0.5
    for _ in range(20):
        if contrast(fg, back) >= target:
            break
        fg = fg.darken(0.04) if light else fg.lighten(0.04)
    return style + Style(color=fg.rich_color)


class Panel:
    """Mixin of every panel: `show` renders one snapshot (`previous` is the last stop)."""

    def show(self, snapshot: Snapshot, previous: Snapshot | None) -> None:
        raise NotImplementedError


class RowsView(ScrollView, Panel, can_focus=True):
    """Rows rendered lazily; subclasses implement `row_count`-setting `show` and `row_text`."""

    COMPONENT_CLASSES = {"rows--cursor", "rows--changed", "rows--dim", "rows--error",
                         "rows--marker", "rows--name"}

    cursor_enabled = False
    cursor = reactive(0, init=False, repaint=False)     # watch_cursor redraws two rows

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self._count = 0
        self._strips: dict[int, Strip] = {}
        self._sized_now = True
        self._scroll_request = None
        self._scroll_tries = 0
        self.empty_text = ""

    # -- content ----------------------------------------------------------------

    def set_row_count(self, count: int, changed=None) -> None:
        """`count` rows, each built by row_text when first visible.

        With `changed` (row indexes) and the same count, only those rows are redrawn: a
        step repaints the handful of rows that differ, not whole panels."""
        if changed is not None and (self._sized_now or not self.scrollable_content_region.height):
            changed = None          # not laid out yet: partial redraws could miss rows
        if changed is not None:
            if count != self._count:
                old = self._count
                self._count = count
                self._fit_virtual_size()
                changed = set(changed) | set(range(min(old, count), max(old, count)))
            self.refresh_rows(changed)
            return
        self._count = count
        self._strips.clear()
        self._fit_virtual_size()
        if self.cursor_enabled and count:
            self.set_reactive(RowsView.cursor, max(0, min(self.cursor, count - 1)))
        self.refresh()

    def _fit_virtual_size(self) -> None:
        # A new virtual size means a new layout of the whole screen, and a full repaint.
        # While the rows fit, keep the virtual height at the panel height, so a stack that
        # grows from 3 to 4 values repaints one row instead of everything.
        height = self.scrollable_content_region.height
        size = Size(0, self._count if self._count > height else height)
        if size != self.virtual_size:       # scrolling must wait for the layout
            self._sized_now = True
            self.virtual_size = size
            self.call_after_refresh(self._laid_out)

    def _laid_out(self) -> None:
        self._sized_now = False

    def on_resize(self) -> None:
        self._fit_virtual_size()

    def refresh_rows(self, rows) -> None:
        """Rebuild and redraw just these rows (those scrolled out of view cost nothing)."""
        top = int(self.scroll_y)
        bottom = top + self.scrollable_content_region.height
        for row in rows:
            self._strips.pop(row, None)
            if top <= row < bottom:
                self.refresh_lines(row)

    @property
    def row_count(self) -> int:
        return self._count

    def row_text(self, index: int) -> Text:
        raise NotImplementedError

    def style(self, name: str):
        """A component style from the stylesheet, e.g. style("rows--changed")."""
        return component_style(self, name)

    # -- rendering --------------------------------------------------------------

    def render_lines(self, crop):
        # rich_style walks the ancestors; work it out once per paint, not once per row.
        self._base = self.rich_style
        self._cursor = self.cursor_style() if self.cursor_enabled else None
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        base = getattr(self, "_base", None) or self.rich_style
        if index >= self._count:
            if index == 0 and self.empty_text:
                text = Text(self.empty_text, style=self.style("rows--dim"), no_wrap=True)
                return Strip(text.render(self.app.console), text.cell_len).crop_extend(0, width, base)
            return Strip.blank(width, base)
        strip = self._strips.get(index)
        if strip is None:
            if len(self._strips) > 400:
                self._strips.clear()
            text = self.row_text(index)
            text.no_wrap = True
            strip = Strip(text.render(self.app.console), text.cell_len)
            self._strips[index] = strip
        row_style = base
        if self.cursor_enabled and index == self.cursor:
            cursor_style = getattr(self, "_cursor", None)
            if cursor_style is not None:
                row_style = base + cursor_style
        strip = strip.apply_style(row_style).crop_extend(scroll_x, scroll_x + width, row_style)
        return strip.apply_offsets(scroll_x, index)

    def cursor_style(self):
        """The style laid over the cursor row (None: not drawn), by default only when focused."""
        return self.style("rows--cursor") if self.has_focus else None

    # -- scrolling and the cursor ------------------------------------------------

    def scroll_row_into_view(self, index: int, center: bool = False) -> None:
        """Scroll so row `index` is visible (centred-ish if asked).

        Done at once when the panel has its size (so the first paint is already scrolled),
        else after the layout that gives it one."""
        self._scroll_request = (index, center)
        self._scroll_tries = 0
        if self.scrollable_content_region.height > 0 and not self._sized_now:
            self._scroll_row_into_view()
        else:
            self.call_after_refresh(self._scroll_row_into_view)

    def _scroll_row_into_view(self) -> None:
        # The newest request wins: a deferred scroll must not undo a later one.
        request = self._scroll_request
        if request is None:
            return
        index, center = request
        height = self.scrollable_content_region.height
        if height <= 0 or self._sized_now:
            # Not laid out yet: scrolling now would be clamped to the old size (the panel
            # would stay at the top). Try again after the next refresh, a bounded number of
            # times (a panel hidden by the compact layout never gets a height).
            self._scroll_tries += 1
            if self._scroll_tries < 50:
                self.call_after_refresh(self._scroll_row_into_view)
            return
        self._scroll_request = None
        self._scroll_tries = 0
        top = int(self.scroll_y)
        if center and not top + 1 <= index < top + height - 1:
            self.scroll_to(y=max(0, index - height // 3), animate=False, immediate=True)
        elif index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False, immediate=True)

    def watch_cursor(self, old: int, new: int) -> None:
        self.scroll_row_into_view(new)
        self.refresh_rows((old, new))

    def on_focus(self) -> None:
        if self.cursor_enabled:
            self.refresh_rows((self.cursor,))

    def on_blur(self) -> None:
        if self.cursor_enabled:
            self.refresh_rows((self.cursor,))

    def move_cursor(self, delta: int) -> None:
        if self._count:
            self.cursor = max(0, min(self._count - 1, self.cursor + delta))

    def on_click(self, event: Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = int(self.scroll_y) + offset.y
        if 0 <= index < self._count:
            if self.cursor_enabled:
                self.cursor = index
            self.row_clicked(index, offset.x + int(self.scroll_x))

    def row_clicked(self, index: int, x: int) -> None:
        """A row was clicked at content column x (override to act on it)."""


class CursorRowsView(RowsView):
    """RowsView with a keyboard cursor: arrows, page keys, home/end, enter."""

    cursor_enabled = True
    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "cursor(-1000000000)", "First", show=False),
        Binding("end", "cursor(1000000000)", "Last", show=False),
        Binding("enter", "choose", "Choose", show=False),
    ]

    def action_cursor(self, delta: int) -> None:
        self.move_cursor(delta)

    def action_page(self, direction: int) -> None:
        self.move_cursor(direction * max(1, self.scrollable_content_region.height - 1))

    def action_choose(self) -> None:
        if 0 <= self.cursor < self._count:
            self.row_clicked(self.cursor, 0)


def retitle(widget, title: str | None = None, subtitle: str | None = None) -> None:
    """Set border titles only when they change: setting one repaints the whole panel."""
    if title is not None and widget.border_title != title:
        widget.border_title = title
    if subtitle is not None and widget.border_subtitle != subtitle:
        widget.border_subtitle = subtitle


def changed_rows(old: list, new: list) -> set:
    """Indexes where two row lists differ (rows past the shorter one count as changed)."""
    return {i for i, (a, b) in enumerate(zip(old, new)) if a != b}


def same_frame(a: Snapshot, b: Snapshot) -> bool:
    """Whether two snapshots show the same activation (so value changes mean something)."""
    return (a.fiber_id == b.fiber_id and a.function == b.function
            and a.frame_count - a.selected_frame == b.frame_count - b.selected_frame)
