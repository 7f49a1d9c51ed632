"""Anomaly detection: backward raises at the first op whose gradient has NaN or Inf."""
from __future__ import annotations

from .grad_mode import state

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled"]


class detect_anomaly:
    """Context manager: record each op's forward stack and check every gradient for NaN/Inf.

    The error names the op (``'DivBackward'``) and shows where its forward was
    called. Slows everything down; use it to debug.
    """

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = state.anomaly
        state.anomaly = self.check_nan
        return self

    def __exit__(self, *exc):
        state.anomaly = self._prev
        return False


class set_detect_anomaly(detect_anomaly):
    """Turn anomaly detection on or off (at once, and restored on leaving a ``with`` block)."""

    def __init__(self, mode: bool, check_nan: bool = True):
        super().__init__(check_nan)
        self._prev = state.anomaly
        state.anomaly = bool(mode) and check_nan

    def __enter__(self):
        return self


def is_anomaly_enabled() -> bool:
    return state.anomaly
