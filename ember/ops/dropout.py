"""Dropout: inverted dropout (scale at training time) and alpha dropout."""
from __future__ import annotations

import math

from .. import backend
from ..tensor import Tensor, _wrap

__all__ = ["dropout", "alpha_dropout", "dropout2d", "dropout1d"]


def _keep_mask(input, p, generator):
    rng = backend.generator_for(input.device, generator).rng
    return rng.random(input.shape) >= p


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
            generator=None) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (identity in eval)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    mask = _keep_mask(input, p, generator).astype(input._data.dtype)
    mask *= 1.0 / (1.0 - p)
    out = input * _wrap(mask, False, None, 0)
    return input.copy_(out) if inplace else out


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False,
                  generator=None) -> Tensor:
    """Dropout for SELU networks: dropped units take SELU's negative saturation, then an
    affine map keeps the mean and variance (Klambauer et al., 2017)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    alpha_p = -1.7580993408473766  # -scale * alpha of SELU
    keep = _keep_mask(input, p, generator).astype(input._data.dtype)
    a = 1.0 / math.sqrt((alpha_p ** 2 * p + 1) * (1 - p))
    b = -a * alpha_p * p
    kept = input * _wrap(keep, False, None, 0)
    out = (kept + _wrap((1 - keep) * alpha_p, False, None, 0)) * a + b
    return input.copy_(out) if inplace else out


def _channel_dropout(name, input, p, training, inplace, generator, spatial):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if input.ndim not in (spatial + 1, spatial + 2):
        raise RuntimeError(f"{name}: expected a {spatial + 1}D or {spatial + 2}D input, got "
                           f"{list(input.shape)}")
    if not training or p == 0.0:
        return input
    batched = input.ndim == spatial + 2
    lead = input.shape[:2] if batched else input.shape[:1]
    rng = backend.generator_for(input.device, generator).rng
    keep = (rng.random(tuple(lead)) >= p).astype(input._data.dtype)
    keep *= 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    mask = keep.reshape(tuple(lead) + (1,) * spatial)
    if not isinstance(input._data, type(mask)):
        mask = backend.to_device(mask, input.device)
    out = input * _wrap(mask, False, None, 0)
    return input.copy_(out) if inplace else out


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              generator=None) -> Tensor:
    """Zero whole channels of (N, C, H, W) with probability p, scale the rest by 1/(1-p)."""
    return _channel_dropout("dropout2d", input, p, training, inplace, generator, 2)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              generator=None) -> Tensor:
    """Zero whole channels of (N, C, L) with probability p, scale the rest by 1/(1-p)."""
    return _channel_dropout("dropout1d", input, p, training, inplace, generator, 1)
