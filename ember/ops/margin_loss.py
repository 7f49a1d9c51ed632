"""Margin and multi-label losses, as compositions of ember ops (gradients come from theirs).

PyTorch's definitions, with x the scores and y the targets:

* soft margin: log(1 + exp(-y x)), averaged over every element;
* multi-label soft margin: -(y log sigma(x) + (1 - y) log sigma(-x)), averaged over classes;
* multi-class margin (SVM hinge): sum over j != y of max(0, margin - x_y + x_j)^p, over C;
* multi-label margin: sum over targets j and non-targets i of max(0, 1 - (x_j - x_i)), over C;
* triplet margin with a distance function: max(d(a, p) - d(a, n) + margin, 0).
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..tensor import Tensor, _wrap
from . import elementwise as E
from ._autocast import with_policy
from .activation import logsigmoid, softplus
from .loss import _reduce, legacy_reduction, pairwise_distance

__all__ = ["soft_margin_loss", "multilabel_soft_margin_loss", "multi_margin_loss",
           "multilabel_margin_loss", "triplet_margin_with_distance_loss"]


def _same_shape(name, input, target):
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"{name}: target shape {list(target.shape)} must equal the input shape "
                         f"{list(input.shape)}")


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + exp(-y x)) with y in {-1, 1}. Shape: input (*), target (*) -> () or (*)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _same_shape("soft_margin_loss", input, target)
    return _reduce(softplus(-target * input), reduction, "soft_margin_loss")


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average=None, reduce=None,
                                reduction: str = "mean") -> Tensor:
    """One binary logistic loss per class, averaged over the C classes.

    Shape: input (N, C) or (C,), target (same, 0/1) -> () or (N,).
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    _same_shape("multilabel_soft_margin_loss", input, target)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    c = input.shape[-1] if input.ndim else 1
    loss = loss.sum(-1) / c if input.ndim else loss
    return _reduce(loss, reduction, "multilabel_soft_margin_loss")


def _class_index(name, input, target):
    if target._data.dtype.kind not in "iu":
        raise RuntimeError(f"{name}: expected target of an integer dtype (class indices), got "
                           f"{target.dtype}")
    if input.ndim not in (1, 2):
        raise RuntimeError(f"{name}: expected input of shape (N, C) or (C,), got "
                           f"{list(input.shape)}")
    x = input if input.ndim == 2 else input.unsqueeze(0)
    t = target.reshape(-1)
    if t.shape[0] != x.shape[0]:
        raise RuntimeError(f"{name}: {x.shape[0]} samples in the input {list(input.shape)} but "
                           f"{t.shape[0]} targets {list(target.shape)}")
    raw = backend.to_host(t._data)
    if raw.size and (raw.min() < 0 or raw.max() >= x.shape[1]):
        raise IndexError(f"{name}: target {int(raw[(raw < 0) | (raw >= x.shape[1])][0])} is out "
                         f"of bounds for {x.shape[1]} classes")
    return x, t


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """The multi-class hinge (SVM) loss: sum_{j != y} w_y max(0, margin - x_y + x_j)^p / C.

    Shape: input (N, C) or (C,), target (N,) or () class indices -> () or (N,).
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("multi_margin_loss: only p == 1 and p == 2 supported")
    x, t = _class_index("multi_margin_loss", input, target)
    n, c = x.shape
    x_y = x.gather(1, t.unsqueeze(1))
    z = E.clamp(margin - x_y + x, min=0.0)
    if p == 2:
        z = z * z
    others = _wrap(backend.xp(x._data).arange(c)[None, :] != t._data[:, None], False, None, 0)
    z = E.where(others, z, 0.0)
    if weight is not None:
        z = z * weight[t].unsqueeze(1)
    loss = z.sum(1) / c
    if input.ndim == 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction, "multi_margin_loss")


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """sum over target classes j and other classes i of max(0, 1 - (x_j - x_i)), over C.

    ``target`` holds class indices padded with -1: the targets of a sample are those before
    its first -1. Shape: input (N, C) or (C,), target of the same shape -> () or (N,).
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    _same_shape("multilabel_margin_loss", input, target)
    if target._data.dtype.kind not in "iu":
        raise RuntimeError(f"multilabel_margin_loss: expected target of an integer dtype, got "
                           f"{target.dtype}")
    x = input if input.ndim == 2 else input.reshape(1, -1)
    n, c = x.shape
    raw = backend.to_host(target._data).reshape(n, c)
    counts = np.zeros((n, c), dtype=x._data.dtype)  # how often each class is a target
    for row in range(n):
        for cls in raw[row]:
            if cls < 0:
                break
            if cls >= c:
                raise IndexError(f"multilabel_margin_loss: target {int(cls)} is out of bounds "
                                 f"for {c} classes")
            counts[row, cls] += 1
    is_target = counts > 0
    dev = x.device
    cnt = _wrap(backend.to_device(counts, dev), False, None, 0)
    other = _wrap(backend.to_device((~is_target).astype(counts.dtype), dev), False, None, 0)
    z = E.clamp(1.0 - x.unsqueeze(2) + x.unsqueeze(1), min=0.0)  # z[n, j, i]
    loss = (z * cnt.unsqueeze(2) * other.unsqueeze(1)).sum((1, 2)) / c
    if input.ndim == 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction, "multilabel_margin_loss")


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function=None, margin: float = 1.0,
                                      swap: bool = False, reduction: str = "mean") -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0); d defaults to the Euclidean pairwise distance."""
    if margin <= 0:
        raise ValueError(f"triplet_margin_with_distance_loss: margin must be greater than 0, got "
                         f"{margin}")
    d = distance_function if distance_function is not None else pairwise_distance
    d_pos = d(anchor, positive)
    d_neg = d(anchor, negative)
    if swap:
        d_neg = E.minimum(d_neg, d(positive, negative))
    return _reduce(E.clamp(d_pos - d_neg + margin, min=0.0), reduction,
                   "triplet_margin_with_distance_loss")


# Under autocast these run as PyTorch lists them (float32 for the losses): ember.ops._autocast.
soft_margin_loss = with_policy("soft_margin_loss", soft_margin_loss)
multi_margin_loss = with_policy("multi_margin_loss", multi_margin_loss)
multilabel_margin_loss = with_policy("multilabel_margin_loss", multilabel_margin_loss)
