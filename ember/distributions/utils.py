"""Helpers of the distributions (``torch.distributions.utils``): broadcasting parameters,
probabilities <-> logits, lazily computed properties, lower-triangular packing."""
from __future__ import annotations

import functools
import numbers

import numpy as np

from ..autograd import enable_grad
from ..backend import get_default_dtype
from ..nn import functional as F
from ..ops import creation as _cr
from ..ops import elementwise as _ew
from ..ops import shape as _sh
from ..tensor import Tensor

euler_constant = 0.57721566490153286060  # the Euler-Mascheroni constant

__all__ = ["broadcast_all", "logits_to_probs", "clamp_probs", "probs_to_logits",
           "lazy_property", "tril_matrix_to_vec", "vec_to_tril_matrix"]


def broadcast_all(*values):
    """Broadcast tensors and numbers together: numbers become tensors of the first tensor's
    dtype and device (all numbers: 0-d tensors of the default dtype).

    Raises:
        ValueError: if a value is neither a number nor a Tensor.
    """
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of Number or ember.Tensor.")
    if not all(isinstance(v, Tensor) for v in values):
        like = next((v for v in values if isinstance(v, Tensor)), None)
        opts = ({"dtype": get_default_dtype()} if like is None
                else {"dtype": like.dtype, "device": like.device})
        values = [v if isinstance(v, Tensor) else _cr.tensor(v, **opts) for v in values]
    shape = _broadcast_shape([tuple(v.shape) for v in values])
    # a tensor of the full shape comes back as itself (PyTorch's ``d.loc is loc``)
    return tuple(v if tuple(v.shape) == shape else v.expand(shape) for v in values)


def _broadcast_shape(shapes):
    """The broadcast of ``shapes``; RuntimeError with PyTorch's message when they clash."""
    out = ()
    for shape in shapes:
        n = max(len(out), len(shape))
        a, b = (1,) * (n - len(out)) + tuple(out), (1,) * (n - len(shape)) + tuple(shape)
        for dim, (x, y) in enumerate(zip(a, b)):
            if x != y and x != 1 and y != 1:
                raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor "
                                   f"b ({y}) at non-singleton dimension {dim}")
        out = tuple(max(x, y) if min(x, y) != 0 else 0 for x, y in zip(a, b))
    return out


def _standard_normal(shape, dtype, device):
    return _cr.randn(*shape, dtype=dtype, device=device)


def _sum_rightmost(value, dim: int):
    """Sum out the ``dim`` rightmost dims of ``value``."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:-dim]) + (-1,)).sum(-1)


def logits_to_probs(logits, is_binary: bool = False):
    """Probabilities from logits: the sigmoid of log-odds (binary), else the softmax over the
    last dim of (unnormalised) log-probabilities."""
    if is_binary:
        return _ew.sigmoid(logits)
    return F.softmax(logits, dim=-1)


def clamp_probs(probs):
    """Clamp probabilities to [eps, 1 - eps], eps the machine epsilon of their dtype."""
    eps = float(np.finfo(probs._data.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary: bool = False):
    """Logits from probabilities (clamped first): log-odds (binary), else log-probabilities."""
    ps = clamp_probs(probs)
    if is_binary:
        return _ew.log(ps) - _ew.log1p(-ps)
    return _ew.log(ps)


class lazy_property:
    """A property computed on first access (with gradients recorded) and then stored on the
    instance, replacing itself."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        functools.update_wrapper(self, wrapped)

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return _lazy_property_and_property(self.wrapped)
        with enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


class _lazy_property_and_property(lazy_property, property):
    """What a lazy property looks like on its class: a property (for documentation tools)
    that is also a lazy_property (so validation skips it)."""

    def __init__(self, wrapped):
        property.__init__(self, wrapped)


def _tril_mask(n, diag, device):
    ar = _cr.arange(n, device=device)
    return ar < ar.view(-1, 1) + (diag + 1)


def tril_matrix_to_vec(mat, diag: int = 0):
    """The lower triangle (from diagonal ``diag``) of the last two dims, row by row."""
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    return mat[..., _tril_mask(n, diag, mat.device)]


def vec_to_tril_matrix(vec, diag: int = 0):
    """The inverse of :func:`tril_matrix_to_vec`: (..., m) -> (..., n, n) lower-triangular."""
    m = vec.shape[-1]
    n = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * m + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    eps = float(np.finfo(vec._data.dtype).eps)
    if round(n) - n > eps:
        raise ValueError(f"The size of last dimension is {m} which cannot be expressed as the "
                         "lower triangular part of a square D x D matrix.")
    n = round(n)
    mask = _tril_mask(n, diag, vec.device)
    # the masked positions take vec's entries in order, the others a zero: one gather
    padded = _sh.cat([_cr.zeros(tuple(vec.shape[:-1]) + (1,), dtype=vec.dtype,
                                device=vec.device), vec], -1)
    pos = mask.reshape(-1).long().cumsum(0) * mask.reshape(-1).long()
    out = padded.index_select(-1, pos)
    return out.reshape(tuple(vec.shape[:-1]) + (n, n))
