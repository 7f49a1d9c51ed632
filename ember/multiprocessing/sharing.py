"""The sharing strategy: how tensors sent to other processes are put in shared memory
(see ``ember/_shared_memory.py`` for the two strategies)."""
from __future__ import annotations

from .. import _shared_memory

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies"]


def set_sharing_strategy(new_strategy) -> None:
    """Use ``new_strategy`` ("file_descriptor" or "file_system") for the tensors shared from
    now on."""
    if new_strategy not in _shared_memory.STRATEGIES:
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}, expected one of "
                             f"{get_all_sharing_strategies()}")
    _shared_memory.strategy[0] = new_strategy


def get_sharing_strategy() -> str:
    return _shared_memory.strategy[0]


def get_all_sharing_strategies() -> set:
    return set(_shared_memory.STRATEGIES)
