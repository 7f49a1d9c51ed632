"""Batch normalisation with the statistics of a batch spread over processes.

``sync_batch_norm`` is batch norm's formula with its two reductions taken over every
process of an ``ember.distributed`` job: the per-channel sums (and the element count) are
all-reduced to give the global mean, then the per-channel sums of squared deviations from
it are all-reduced to give the global (biased) variance. The all-reduce is the op
:class:`AllReduceSum`, whose gradient is the all-reduce of the incoming gradients (every
process's loss depends on every process's sum), so the backward pass of the composition
gives each process exactly its part of the global batch's input gradient, and higher-order
gradients too. ``weight``/``bias`` are applied locally, so their gradients are each
process's own part, as in PyTorch (``DistributedDataParallel`` sums them).
"""
from __future__ import annotations

from .. import distributed as dist
from ..autograd.function import Op
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor, _wrap
from . import elementwise as E
from .normalization import _affine, _in_dtype
from .shape import cat
from ._util import xp_of

__all__ = ["sync_batch_norm"]


class AllReduceSum(Op):
    """The elementwise sum of ``x`` over all processes of ``group`` (a new array; ``x`` is
    not changed). Backward: the same sum of the gradients."""

    @staticmethod
    def forward(ctx, x, group):
        ctx.group = group
        t = _wrap(xp_of(x).ascontiguousarray(x).copy(), False, None, 0)
        dist.all_reduce(t, op=dist.ReduceOp.SUM, group=group)
        return t._data

    @staticmethod
    def backward(ctx, g):
        return AllReduceSum.apply(g, ctx.group), None

    @staticmethod
    def fast_backward(ctx, g):
        return AllReduceSum.forward(ctx, g, ctx.group), None


def sync_batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,
                    running_mean: Tensor | None, running_var: Tensor | None, eps: float,
                    momentum: float, process_group=None) -> Tensor:
    """Training-mode batch norm of ``input`` (N, C, *) with the mean and variance of the
    inputs of all processes together; the running statistics (when given) move towards the
    global mean and unbiased variance. Every process must call it (a collective)."""
    c = input.shape[1]
    dims = (0,) + tuple(range(2, input.ndim))
    shape = (1, c) + (1,) * (input.ndim - 2)
    xp = xp_of(input._data)
    local = _wrap(xp.asarray([input.numel() // c], dtype=input._data.dtype), False, None, 0)
    sums = AllReduceSum.apply(cat([input.sum(dims), local]), process_group)
    count = float(sums._data[c])
    if count <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {list(input.shape)} on this process and {int(count)} values "
                         "per channel over all processes")
    mean = sums[:c] / count
    d = input - mean.reshape(shape)
    var = AllReduceSum.apply((d * d).sum(dims), process_group) / count
    out = _affine(d * E.rsqrt(var.reshape(shape) + eps), weight, bias, shape)
    if running_mean is not None and running_var is not None:
        with no_grad():
            m = momentum
            running_mean.mul_(1 - m).add_(mean.detach().to(running_mean.dtype) * m)
            running_var.mul_(1 - m).add_(var.detach().to(running_var.dtype)
                                         * (m * count / (count - 1)))
    return _in_dtype(out, input)
