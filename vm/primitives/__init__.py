"""The primitive table: every native function, registered by group modules."""

from __future__ import annotations

from vm.primitives.registry import PRIMITIVES, primitive  # noqa: F401


def load_all() -> dict:
    """Import every group module once and return the table."""
    from vm.primitives import (associative, collections, evaluation, fibers, internal, jsonfmt,  # noqa: F401
                               library, maths, numbers, order, output, sequences, strings,
                               tasks, types)
    return PRIMITIVES
