"""Gradient clipping."""
from __future__ import annotations

import math

from ..._grad_mode import no_grad
from ...tensor import Tensor


def _params(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Scale all gradients together so their joint ``norm_type``-norm is at most ``max_norm``.

    Returns the total norm before clipping (a 0-d tensor).
    """
    from ...ops.creation import tensor  # noqa: PLC0415

    params = _params(parameters)
    norm_type = float(norm_type)
    if not params:
        return tensor(0.0)
    with no_grad():
        grads = [p.grad._data for p in params]
        if norm_type == math.inf:
            total = max(float(abs(g).max()) if g.size else 0.0 for g in grads)
        else:
            total = sum(float((abs(g.astype("float64")) ** norm_type).sum()) for g in grads) \
                ** (1.0 / norm_type)
        if error_if_nonfinite and not math.isfinite(total):
            raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                               "`parameters` is non-finite, so it cannot be clipped. To disable "
                               "this error and scale the gradients by the non-finite norm anyway, "
                               "set `error_if_nonfinite=False`")
        coef = max_norm / (total + 1e-6)
        if coef < 1:
            for p in params:
                p.grad._data *= coef
                p.grad._bump()
    return tensor(total, dtype=params[0].grad.dtype)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element to [-clip_value, clip_value] in place."""
    with no_grad():
        for p in _params(parameters):
            p.grad.clamp_(-clip_value, clip_value)
