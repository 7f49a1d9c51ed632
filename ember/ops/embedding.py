"""Bags of embeddings: ``embedding_bag`` (sums, means or maxima of looked-up rows).

The bags are contiguous runs of the index list (from ``offsets``), so every reduction is
whole-array: each index learns its bag from one ``searchsorted``, the rows of the indices
that count (in a bag, not ``padding_idx``) are gathered once, and the bags are formed by
one scatter-add (sum, mean) or by one gather of each bag's rows into a (bags, longest bag)
table whose missing places are -inf (max; ties go to the first row, as in PyTorch).
Gradients are those of the gather, scatter-add and max; an empty bag gives zeros.

This is ``torch.nn.functional.embedding_bag``; it is not exported at the top of ``ember``,
where PyTorch's ``torch.embedding_bag`` is a different, lower-level function.
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import backend
from ..tensor import Tensor, _wrap
from .index import scatter_add
from .elementwise import where
from ._util import xp_of

__all__ = ["embedding_bag"]


def _renorm_rows(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    """Rescale in place the rows of ``weight`` named by ``input`` whose norm exceeds max_norm."""
    xp = backend.xp(weight._data)
    rows = xp.unique(input._data.reshape(-1))
    w = weight._data[rows]
    norms = (xp.abs(w) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    big = norms > max_norm
    if bool(big.any()):
        scale = xp.where(big, max_norm / (norms + 1e-7), 1.0).astype(w.dtype)
        weight._data[rows] = w * scale[:, None]
        weight._bump()


def _const(xp, a) -> Tensor:
    return _wrap(xp.asarray(a), False, None, 0)


def _bags(name, input, offsets, per_sample_weights, include_last_offset):
    """Flat indices, per-sample weights and (starts, ends) of the bags, as PyTorch reads them."""
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated "
                             "is a mini-batch of fixed length sequences. However, found offsets "
                             f"of type {type(offsets)}")
        if input.shape[1] == 0:  # PyTorch's offsets would step by 0
            raise RuntimeError(f"{name}: a 2D input needs bags of at least one index, got "
                               f"shape {list(input.shape)}")
        xp = xp_of(input._data)
        flat = input._data.reshape(-1)
        starts = xp.arange(0, flat.size, input.shape[1], dtype=np.int64)
        ends = starts + input.shape[1]
        psw = per_sample_weights.reshape(-1) if per_sample_weights is not None else None
        return flat, psw, starts, ends
    if input.ndim != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.ndim}")
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    if offsets.ndim != 1:
        raise ValueError("offsets has to be a 1D Tensor")
    if offsets._data.dtype.kind not in "iu":
        raise RuntimeError(f"{name}: expected offsets of an integer type (int64 or int32), got "
                           f"{offsets.dtype}")
    xp = xp_of(input._data)
    flat = input._data
    off = offsets._data.astype(np.int64)
    m = flat.size
    if off.size:
        if int(off[0]) != 0:
            raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the "
                               f"mini-batch has to start from position 0. However, got "
                               f"{int(off[0])}")
        if int(off[-1]) > m:
            raise RuntimeError(f"offsets[-1] can not be greater than input's length {m} but got "
                               f"offsets[-1] of {int(off[-1])}")
        if bool((off[1:] < off[:-1]).any()):
            raise RuntimeError(f"{name}: offsets must be non-decreasing, got "
                               f"{backend.to_host(off).tolist()}")
    if include_last_offset:
        starts, ends = off[:-1], off[1:]
    else:
        starts, ends = off, xp.concatenate([off[1:], xp.asarray([m], dtype=np.int64)])
    return flat, per_sample_weights, starts, ends


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """The sum, mean or maximum of the rows of ``weight`` named by each bag of indices.

    Shape: input (B, L) — B bags of L indices, ``offsets`` None — or a flat (M,) list cut
    into bags where ``offsets`` (B,) start them (with ``include_last_offset``, (B + 1,) whose
    last entry ends the last bag); weight (num_embeddings, D); output (B, D). Indices equal
    to ``padding_idx`` are left out of their bag (and of its count for 'mean'); an empty bag
    gives zeros. ``per_sample_weights`` (input's shape, 'sum' only) scales each row.
    ``max_norm`` renormalises the looked-up rows of ``weight`` in place first;
    ``scale_grad_by_freq`` divides each row's gradient by how often its index occurs.
    """
    if weight._data.dtype.kind in "iu" and input._data.dtype.kind == "f":
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage "
                      "`embedding_bag(weight, input, ...)` is deprecated, and should now be "
                      "`embedding_bag(input, weight, ...)`.", stacklevel=2)
        weight, input = input, weight
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is "
                         f"not None, then it must have the same shape as the input "
                         f"({input.shape})")
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.ndim}")
    if input.ndim == 2:
        include_last_offset = False
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    elif mode not in ("sum", "mean"):
        raise ValueError("mode has to be one of sum, mean or max")
    if sparse:
        raise NotImplementedError("embedding_bag: sparse gradients are not supported by ember "
                                  "(ember has no sparse tensors); use sparse=False")
    if input._data.dtype.kind not in "iu":
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {input.dtype} instead "
                           "(while checking arguments for embedding_bag)")
    n, dim = weight.shape
    flat_all = input._data.reshape(-1)
    if flat_all.size:
        lo, hi = int(flat_all.min()), int(flat_all.max())
        if lo < 0 or hi >= n:
            bad = int(xp_of(flat_all).argmax((flat_all < 0) | (flat_all >= n)))
            raise RuntimeError(f"Index {bad} of input takes value {int(flat_all[bad])} which is "
                               f"not in the valid range [0, {n})")
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, {-n} "
                               f"through {n - 1}, but got {padding_idx}")
        padding_idx %= n
    if max_norm is not None:
        _renorm_rows(weight, input, float(max_norm), float(norm_type))
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                      f"per_sample_weights is only supported for mode='sum' "
                                      f"(got mode='{mode}'). Please open a feature request on "
                                      "GitHub.")
        if per_sample_weights.dtype != weight.dtype:
            raise RuntimeError(f"embedding_bag: per_sample_weights ({per_sample_weights.dtype}) "
                               f"must have the weight's dtype ({weight.dtype})")
    flat, psw, starts, ends = _bags("embedding_bag", input, offsets, per_sample_weights,
                                    include_last_offset)
    xp = xp_of(weight._data)
    flat = flat.astype(np.int64)
    B = int(starts.shape[0])
    pos = xp.arange(flat.size)
    bag = xp.searchsorted(starts, pos, side="right") - 1  # each index's bag (-1: before any)
    keep = bag >= 0
    if B:
        keep &= pos < ends[xp.clip(bag, 0, B - 1)]
    if padding_idx is not None:
        keep &= flat != padding_idx
    sel = xp.nonzero(keep)[0]
    bag_of, rows_of = bag[sel], flat[sel]
    rows = weight[_const(xp, rows_of)]  # (K, D)
    if scale_grad_by_freq and weight.requires_grad:
        _, inverse, counts = xp.unique(flat_all.astype(np.int64), return_inverse=True,
                                       return_counts=True)
        freq = counts[inverse.reshape(-1)][sel].astype(weight._data.dtype)
        rows = rows.detach() + (rows - rows.detach()) * _const(xp, (1.0 / freq)[:, None])
    if psw is not None:
        rows = rows * psw.reshape(-1)[_const(xp, sel)].unsqueeze(1)
    counts = xp.bincount(bag_of, minlength=B)[:B] if sel.size else xp.zeros(B, dtype=np.int64)
    longest = int(counts.max()) if B and sel.size else 0
    if mode in ("sum", "mean") or longest == 0:
        zeros = _const(xp, xp.zeros((B, dim), dtype=weight._data.dtype))
        index = _const(xp, xp.broadcast_to(bag_of[:, None], (sel.size, dim)))
        out = scatter_add(zeros, 0, index, rows)
        if mode == "mean":
            out = out / _const(xp, xp.maximum(counts, 1).astype(weight._data.dtype)[:, None])
        return out
    first = xp.concatenate([xp.zeros(1, dtype=np.int64), xp.cumsum(counts)[:-1]])
    rank = xp.arange(sel.size) - first[bag_of]  # place of each kept row within its bag
    table = xp.full((B, longest), -1, dtype=np.int64)
    table[bag_of, rank] = xp.arange(sel.size)
    present = table >= 0
    gathered = rows[_const(xp, xp.maximum(table, 0))]  # (B, longest, D)
    neg = _const(xp, weight._data.dtype.type(-np.inf))
    vals = where(_const(xp, present[:, :, None]), gathered, neg).max(1)[0]
    return where(_const(xp, (counts > 0)[:, None]), vals, _const(xp, weight._data.dtype.type(0)))
