"""``ember._assert``: PyTorch's traceable ``assert`` (a plain assert in eager code)."""
from __future__ import annotations

__all__ = ["_assert"]


def _assert(condition, message):
    """Raise ``AssertionError(message)`` when ``condition`` (a bool or a one-element tensor)
    is false."""
    if not condition:
        raise AssertionError(message)
