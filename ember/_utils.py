"""``ember._utils``: the private helpers of ``torch._utils`` that real programs import."""
from __future__ import annotations

from . import ops

__all__ = ["_flatten_dense_tensors", "_unflatten_dense_tensors"]


def _flatten_dense_tensors(tensors):
    """One 1-D tensor holding the elements of ``tensors`` one after another (differentiable),
    as gradient bucketing in data-parallel code uses it. One tensor is returned flattened
    (a view when it is contiguous)."""
    tensors = list(tensors)
    if len(tensors) == 1:
        return tensors[0].reshape(-1)
    return ops.cat([t.reshape(-1) for t in tensors], 0)


def _unflatten_dense_tensors(flat, tensors):
    """Views of ``flat`` shaped like each of ``tensors``, in order (the inverse of
    :func:`_flatten_dense_tensors`)."""
    out = []
    offset = 0
    for t in tensors:
        n = t.numel()
        out.append(flat[offset:offset + n].view(t.shape))
        offset += n
    return tuple(out)
