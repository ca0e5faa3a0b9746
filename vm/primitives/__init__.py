"""The primitive table: every native function, registered by group modules."""

from __future__ import annotations

from vm.primitives.registry import PRIMITIVES, primitive  # noqa: F401


def load_all() -> dict:
    """Import every group module once and return the table."""
    from vm.primitives import numbers, types, collections, strings, output, fibers, internal  # noqa: F401
    return PRIMITIVES
