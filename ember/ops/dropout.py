"""Dropout: inverted dropout (scale at training time) and alpha dropout."""
from __future__ import annotations

import math
import warnings

from .. import backend
from ..tensor import Tensor, _wrap

__all__ = ["dropout", "alpha_dropout", "dropout2d", "dropout1d", "dropout3d"]


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


def _channel_dropout(name, input, p, training, inplace, generator, spatial, batched=None):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if batched is None and input.ndim not in (spatial + 1, spatial + 2):
        raise RuntimeError(f"{name}: expected a {spatial + 1}D or {spatial + 2}D input, got "
                           f"{list(input.shape)}")
    if not training or p == 0.0:
        return input
    if batched is None:
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
    """Zero whole channels of (N, C, H, W) with probability p, scale the rest by 1/(1-p).

    As PyTorch 2.x: the mask is always drawn over the first two dimensions, so a 3-D input
    is read as (N, C, L) and a 2-D or 5-D one gets a deprecation warning (not an error).
    """
    if input.ndim < 2:
        raise RuntimeError(f"dropout2d: expected a 3D or 4D input, got {list(input.shape)}")
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    elif input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2)
    return _channel_dropout("dropout2d", input, p, training, inplace, generator,
                            input.ndim - 2, batched=True)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              generator=None) -> Tensor:
    """Zero whole channels of (N, C, L) with probability p, scale the rest by 1/(1-p)."""
    return _channel_dropout("dropout1d", input, p, training, inplace, generator, 1)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              generator=None) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) with probability p, scale the
    rest by 1/(1-p). As PyTorch 2.x: any other rank is read as unbatched (the mask over its
    first dimension) with a deprecation warning."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if input.ndim not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead. Note that dropout3d exists to provide "
            "channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 4D or 5D inputs).", stacklevel=2)
    if input.ndim < 1:
        raise RuntimeError(f"dropout3d: expected a 4D or 5D input, got {list(input.shape)}")
    batched = input.ndim == 5
    return _channel_dropout("dropout3d", input, p, training, inplace, generator,
                            input.ndim - (2 if batched else 1), batched=batched)
