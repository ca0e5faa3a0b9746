"""The layers stay true: imports point down only, and nothing imports in a circle.

    vm  <-  vmdbg.core  <-  {vmdbg.tui, vmdbg.dap}  <-  {vmdbg.testing, vmdbg.screenshot}
        <-  vmdbg.cli (and vmdbg.__main__)

Every import counts, also the ones inside functions: a lazy import is still an arrow.
The front ends reach the VM only through the core (they may name vm.errors' exception
types, to report a program that does not load).
"""

from __future__ import annotations

import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# layer -> the layers (package prefixes) it may import, itself included.
FRONT_END_VM = ("vm.errors",)
ALLOWED = {
    "vm": ("vm",),
    "vmdbg.core": ("vm", "vmdbg.core"),
    "vmdbg.tui": ("vmdbg.core", "vmdbg.tui") + FRONT_END_VM,
    "vmdbg.dap": ("vmdbg.core", "vmdbg.dap") + FRONT_END_VM,
    "vmdbg.testing": ("vmdbg.core", "vmdbg.tui", "vmdbg.testing") + FRONT_END_VM,
    "vmdbg.screenshot": ("vmdbg.core", "vmdbg.tui", "vmdbg.testing", "vmdbg.screenshot") + FRONT_END_VM,
    "vmdbg.cli": ("vm", "vmdbg"),
    "vmdbg.__main__": ("vmdbg.cli",),
    "vmdbg.examples": (),
    "vmdbg": (),
}
# Third-party packages that belong to one front end only.
UI_LIBRARIES = ("textual", "rich", "pygments")
MAY_USE_UI = ("vmdbg.tui", "vmdbg.testing", "vmdbg.screenshot", "vmdbg.cli")


def project_modules(root: str = ROOT) -> dict[str, str]:
    """module name -> path, for every module of vm and vmdbg."""
    out = {}
    for package in ("vm", "vmdbg"):
        for directory, _, files in os.walk(os.path.join(root, package)):
            for name in files:
                if name.endswith(".py"):
                    rel = os.path.relpath(os.path.join(directory, name), root)[:-3]
                    module = rel.replace(os.sep, ".")
                    out[module.removesuffix(".__init__")] = os.path.join(directory, name)
    return out


def imports_of(path: str, modules: dict) -> set[str]:
    """Every module `path` imports (project modules resolved to the deepest match, others
    by their top-level package)."""
    with open(path, encoding="utf-8") as fh:
        tree = ast.parse(fh.read(), path)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import; write the whole name"
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names
                         if f"{node.module}.{alias.name}" in modules)
    return found


def layer_of(module: str) -> str:
    best = ""
    for layer in ALLOWED:
        if (module == layer or module.startswith(layer + ".")) and len(layer) > len(best):
            best = layer
    return best


def within(module: str, prefixes) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def back_edges(modules: dict) -> list[str]:
    bad = []
    for module, path in sorted(modules.items()):
        layer = layer_of(module)
        for target in sorted(imports_of(path, modules)):
            top = target.split(".")[0]
            if top in ("vm", "vmdbg"):
                if target != module and not within(target, ALLOWED[layer]) and target not in ("vm", "vmdbg"):
                    bad.append(f"{module} imports {target} (layer {layer} may import {ALLOWED[layer]})")
            elif top in UI_LIBRARIES and not within(module, MAY_USE_UI):
                bad.append(f"{module} imports {target} (only the TUI and its users may)")
    return bad


def cycles(modules: dict) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    graph = {m: sorted(t for t in imports_of(p, modules) if t in modules and t != m)
             for m, p in modules.items()}
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            if i < len(graph[node]):
                work.append((node, i + 1))
                nxt = graph[node][i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                group = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    group.append(w)
                    if w == node:
                        break
                if len(group) > 1:
                    out.append(sorted(group))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return out


def test_every_module_has_a_layer():
    modules = project_modules()
    assert "vmdbg.core.session" in modules and "vmdbg.tui.app" in modules
    assert [m for m in modules if layer_of(m) == ""] == []


def test_imports_point_down_only():
    assert back_edges(project_modules()) == []


def test_no_import_circles():
    assert cycles(project_modules()) == []


def test_no_module_under_vmdbg_is_too_long_to_hold_in_your_head():
    long = {m: n for m, p in project_modules().items() if m.startswith("vmdbg")
            for n in [sum(1 for _ in open(p, encoding="utf-8"))] if n > 500}
    assert long == {}


@pytest.mark.parametrize("module, source, expect", [
    # A back edge: the core importing the TUI.
    ("vmdbg.core.fake", "from vmdbg.tui.app import DebuggerApp\n", "vmdbg.core.fake imports vmdbg.tui.app"),
    # The VM importing the debugger, even lazily inside a function.
    ("vm.fake", "def f():\n    import vmdbg.core.session\n", "vm.fake imports vmdbg.core.session"),
    # A front end touching the VM directly.
    ("vmdbg.dap.fake", "from vm.core import VM\n", "vmdbg.dap.fake imports vm.core"),
    # The core importing textual.
    ("vmdbg.core.fake", "import textual.app\n", "vmdbg.core.fake imports textual.app"),
])
def test_the_layer_check_catches_a_back_edge(tmp_path, module, source, expect):
    path = tmp_path / "fake.py"
    path.write_text(source)
    modules = project_modules() | {module: str(path)}
    assert any(line.startswith(expect) for line in back_edges(modules))


def test_the_circle_check_catches_a_circle(tmp_path):
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("import vm.fake_b\n")
    b.write_text("def f():\n    from vm.fake_a import x\n")
    modules = project_modules() | {"vm.fake_a": str(a), "vm.fake_b": str(b)}
    assert ["vm.fake_a", "vm.fake_b"] in cycles(modules)
