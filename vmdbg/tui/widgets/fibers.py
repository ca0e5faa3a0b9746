"""The Fibers panel: the fiber tree with status, mask, fuel and last signal; choose one to inspect."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Tree

from vmdbg.tui.messages import SelectFiber
from vmdbg.core.snapshot import FiberInfo, Snapshot
from vmdbg.tui.widgets.rows import Panel, clean, component_style, retitle

# Deeper fibers hang under their ancestor at this depth, so guides never eat the panel.
MAX_DEPTH = 12


def signal_path(snapshot: Snapshot) -> set[int]:
    """Fibers a signal is travelling through: from the emitter up to the fiber that catches it.

    At a catchpoint stop that is the held signal's route; at an uncaught error, the chain of
    fibers it killed; otherwise the route of the last signal caught after passing through
    more than one fiber (a pause-on-:log through a middle fiber, say)."""
    fibers = {f.id: f for f in snapshot.fibers}
    sig = snapshot.signal
    if sig is not None:
        path, f = set(), fibers.get(sig.fiber_id)
        while f is not None and f.id not in path:
            path.add(f.id)
            if f.id == sig.caught_by:
                break
            f = fibers.get(f.parent)
        return path
    if snapshot.status == "error":
        return {f.id for f in snapshot.fibers if f.status == "error"}
    best: set[int] = set()
    for f in snapshot.fibers:
        if f.caught_by is None or f.status != "paused" or not f.bits:
            continue
        path, g = {f.id}, fibers.get(f.child)
        while g is not None and g.status == "paused" and g.bits == f.bits and g.id not in path:
            path.add(g.id)
            g = fibers.get(g.child)
        if len(path) > 1 and len(path) > len(best):
            best = path
    return best


class FibersView(Tree, Panel):
    """Every fiber as a tree (children under the fiber that resumed or created them)."""

    COMPONENT_CLASSES = Tree.COMPONENT_CLASSES | {
        "fibers--current", "fibers--path", "fibers--shown", "fibers--dim", "fibers--changed",
        "fibers--status-dead", "fibers--status-error", "fibers--status-paused", "fibers--status-alive",
        "fibers--status-new", "fibers--fuel", "fibers--signal"}

    def __init__(self, **kwargs):
        super().__init__("fibers", **kwargs)
        self.border_title = "Fibers"
        self.show_root = False
        self.auto_expand = False
        self.guide_depth = 2
        self.structure: tuple = ()
        self.nodes: dict = {}

    def show(self, snapshot: Snapshot, previous: Snapshot | None) -> None:
        old = {f.id: f for f in previous.fibers} if previous is not None else {}
        path = signal_path(snapshot)
        listed = {f.id for f in snapshot.fibers}
        parents = {f.id: self._tree_parent(f, listed) for f in snapshot.fibers}
        structure = tuple(parents.items())
        if structure != self.structure:
            self._rebuild(snapshot, parents)
            self.structure = structure
        for f in snapshot.fibers:
            node = self.nodes.get(f.id)
            if node is not None:
                label = self._label(f, snapshot, path, old.get(f.id))
                if label != node.label:
                    node.set_label(label)
        more = snapshot.fiber_count - len(snapshot.fibers)
        retitle(self, subtitle=f"{snapshot.fiber_count} fiber{'s' if snapshot.fiber_count != 1 else ''}" + (f", {more} not shown" if more > 0 else ""))
        self.call_after_refresh(self._cursor_to, snapshot.fiber_id)

    def _cursor_to(self, fiber_id: int | None) -> None:
        shown = self.nodes.get(fiber_id)
        if shown is not None and self.cursor_node is not shown:
            self.move_cursor(shown)

    @staticmethod
    def _tree_parent(f: FiberInfo, listed: set) -> int | None:
        p = f.parent if f.parent is not None else f.creator
        return p if p in listed and p != f.id else None

    def _rebuild(self, snapshot: Snapshot, parents: dict) -> None:
        self.clear()
        self.nodes = {}
        children: dict = {}
        for fid, p in parents.items():
            children.setdefault(p, []).append(fid)
        # Breadth first from the roots, never recursing in Python (chains can be long).
        queue = [(self.root, fid, 0) for fid in children.get(None, [])]
        seen = set()
        while queue:
            parent_node, fid, depth = queue.pop(0)
            if fid in seen:
                continue
            seen.add(fid)
            node = parent_node.add(str(fid), data=fid, expand=True)
            node.allow_expand = bool(children.get(fid))
            self.nodes[fid] = node
            under = node if depth < MAX_DEPTH else parent_node
            queue.extend((under, c, min(depth + 1, MAX_DEPTH)) for c in children.get(fid, []))
        for fid in parents:               # a cycle (cannot happen) must not hide a fiber
            if fid not in seen:
                self.nodes[fid] = self.root.add(str(fid), data=fid, expand=True)

    def _label(self, f: FiberInfo, snapshot: Snapshot, path: set, before: FiberInfo | None) -> Text:
        text = Text(no_wrap=True)
        current = f.id == snapshot.current_fiber_id
        if current:
            text.append("▶ ", component_style(self, "fibers--current"))
        elif f.id in path:
            text.append("⚡", component_style(self, "fibers--path"))
        name_style = ("fibers--current" if current else "fibers--path" if f.id in path
                      else "fibers--shown" if f.id == snapshot.fiber_id else "")
        text.append(f"#{f.id} {clean(f.function, 24)}",
                    component_style(self, name_style) if name_style else "")
        self._part(text, f" {f.status}", f"fibers--status-{f.status}", before and before.status != f.status)
        if f.waiting_for is not None:
            # Alive but not running: blocked in fiber/resume until that fiber yields or ends.
            self._part(text, f" waiting on #{f.waiting_for}", "fibers--dim",
                       before and before.waiting_for != f.waiting_for)
        if f.fuel is not None:
            self._part(text, f" fuel {f.fuel}", "fibers--fuel", before and before.fuel != f.fuel)
        if f.mask:
            text.append(" mask " + clean("|".join(":" + n for n in f.mask_names), 60),
                        component_style(self, "fibers--dim"))
        if f.bits_names:
            self._part(text, " last " + " ".join(":" + n for n in f.bits_names), "fibers--signal",
                       before and before.bits != f.bits)
        return text

    def _part(self, text: Text, part: str, cls: str, changed) -> None:
        style = component_style(self, "fibers--changed" if changed else cls)
        text.append(clean(part), style)

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        event.stop()
        if event.node.data is not None:
            self.post_message(SelectFiber(event.node.data))
