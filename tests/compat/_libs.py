"""The two libraries every compatibility test runs its code with: ember and PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

import ember

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")
LIBS = [pytest.param(ember, id="ember"), pytest.param(torch, id="torch", marks=needs_torch)]


def as_np(t):
    """A tensor of either library as a NumPy array."""
    return np.asarray(t.detach().cpu().numpy())
