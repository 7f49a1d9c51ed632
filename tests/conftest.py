"""Test-session setup: give ``device="cuda"`` a backend on every machine.

With CuPy and a GPU the device tests run on the GPU. Without them (CI, most
development machines) the strict CPU stand-in of CuPy is selected, so the
whole op table and the layers still run on ``device="cuda"`` and any op that
reaches for NumPy directly or mixes devices fails. ``EMBER_STANDIN_CUDA=0``
in the environment turns the stand-in off (then the device tests skip).
"""
from __future__ import annotations

import os


def _real_gpu() -> bool:
    try:
        import cupy  # noqa: PLC0415

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # noqa: BLE001 - no CuPy, no driver, no device: all mean "no GPU"
        return False


if "EMBER_STANDIN_CUDA" not in os.environ and not _real_gpu():
    os.environ["EMBER_STANDIN_CUDA"] = "1"
