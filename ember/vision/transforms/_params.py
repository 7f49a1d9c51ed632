"""Argument checks shared by the transform classes, and the random stream they draw from."""
from __future__ import annotations

import numbers
from collections.abc import Sequence

from ... import backend
from ...nn.module import Module
from ...tensor import Tensor


def rng(generator=None):
    """The NumPy generator behind ``generator`` (an ``ember.Generator``), or behind ember's
    default CPU generator (seeded by ``ember.manual_seed``)."""
    return backend.generator_for(backend.CPU, generator).rng


def setup_size(size, error_msg):
    if isinstance(size, numbers.Number):
        return (int(size), int(size))
    if isinstance(size, Sequence) and len(size) == 1:
        return (size[0], size[0])
    if len(size) != 2:
        raise ValueError(error_msg)
    return size


def check_sequence_input(x, name, req_sizes):
    msg = req_sizes[0] if len(req_sizes) < 2 else " or ".join(str(s) for s in req_sizes)
    if not isinstance(x, Sequence):
        raise TypeError(f"{name} should be a sequence of length {msg}.")
    if len(x) not in req_sizes:
        raise ValueError(f"{name} should be a sequence of length {msg}.")


def setup_angle(x, name, req_sizes=(2,)):
    if isinstance(x, numbers.Number):
        if x < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        x = [-x, x]
    else:
        check_sequence_input(x, name, req_sizes)
    return [float(d) for d in x]


def check_fill(fill):
    if fill is None:
        return 0
    if not isinstance(fill, (Sequence, numbers.Number)):
        raise TypeError("Fill should be either a sequence or a number.")
    return fill


def tensor_fill(img, fill, channels: int):
    """``fill`` as one float per channel for a tensor image (PIL images take it as given)."""
    if not isinstance(img, Tensor):
        return fill
    if isinstance(fill, (int, float)):
        return [float(fill)] * channels
    if fill is None:
        return None
    return [float(f) for f in fill]


class RandomP(Module):
    """Base of the transforms applied with probability ``p``."""

    def __init__(self, p=0.5, *, generator=None):
        super().__init__()
        self.p, self.generator = p, generator

    def _draw(self) -> bool:
        return rng(self.generator).random() < self.p

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"
