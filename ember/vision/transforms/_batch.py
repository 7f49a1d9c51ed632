"""ember's batched augmentations: one random crop / flip per image of an (N, C, H, W) batch,
in one gather each (no Python loop over the batch)."""
from __future__ import annotations

import numpy as np

from ...ops.elementwise import where
from ...ops.shape import pad as _pad
from ...tensor import Tensor, _wrap
from ._params import rng


def batch_random_crop(x: Tensor, size, padding: int = 0, generator=None) -> Tensor:
    """A different random ``size`` crop of every image of an (N, C, H, W) batch, after zero
    padding by ``padding``, in one gather."""
    th, tw = (size, size) if isinstance(size, int) else tuple(size)
    if padding:
        x = _pad(x, (padding,) * 4)
    n, _, h, w = x.shape
    if h < th or w < tw:
        raise ValueError(f"batch_random_crop: crop {(th, tw)} larger than images {(h, w)}")
    r = rng(generator)
    i = r.integers(0, h - th + 1, n)
    j = r.integers(0, w - tw + 1, n)
    rows = (i[:, None] + np.arange(th))[:, None, :, None]
    cols = (j[:, None] + np.arange(tw))[:, None, None, :]
    return x[np.arange(n)[:, None, None, None], np.arange(x.shape[1])[None, :, None, None],
             rows, cols]


def batch_random_horizontal_flip(x: Tensor, p: float = 0.5, generator=None) -> Tensor:
    """Mirror each image of an (N, ..., W) batch with probability ``p``, in one pass."""
    flip = rng(generator).random(x.shape[0]) < p
    m = _wrap(flip.reshape((-1,) + (1,) * (x.ndim - 1)), False, None, 0)
    return where(m, x.flip(-1), x)
