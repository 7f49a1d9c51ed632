"""Flatten parameters into one vector and back."""
from __future__ import annotations

from ..._grad_mode import no_grad
from ...tensor import Tensor


def parameters_to_vector(parameters) -> Tensor:
    """Concatenate the flattened parameters into one 1-D tensor (differentiable)."""
    from ... import ops  # noqa: PLC0415

    return ops.cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Copy consecutive slices of ``vec`` into the parameters, in order."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected ember.Tensor, but got: {type(vec).__name__}")
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if vec.numel() != total:
        raise RuntimeError(f"vector_to_parameters: vector has {vec.numel()} elements, the "
                           f"parameters {total}")
    start = 0
    with no_grad():
        for p in params:
            n = p.numel()
            p._data[...] = vec._data[start:start + n].reshape(p._data.shape)
            p._bump()
            start += n
