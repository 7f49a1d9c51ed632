"""Normalisation: batch, layer and group norm (compositions of core ops)."""
from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd.function import Op
from ..autograd.grad_mode import no_grad
from ..backends.mkldnn import norm as _dnn_norm
from ..backends.mkldnn._flags import use as _use_dnnl
from ..tensor import Tensor, _wrap
from ._autocast import amp_state, autocast_call
from . import elementwise as E
from ._util import xp_of

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "local_response_norm"]


def _in_dtype(out: Tensor, input: Tensor) -> Tensor:
    """A norm's result in its input's dtype when that is float16/bfloat16 and the statistics or
    parameters are float32, as PyTorch's mixed-type norms give it (autocast makes such calls)."""
    dt = input._data.dtype
    if out._data.dtype != dt and (dt == np.float16 or dt == backend.BF16):
        return E.to_dtype(out, dt)
    return out


def _affine(x, weight, bias, shape):
    if weight is not None:
        x = x * weight.reshape(shape)
    if bias is not None:
        x = x + bias.reshape(shape)
    return x


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dim 1) over the batch and spatial dims.

    Training: batch statistics (biased variance), and the running statistics
    move by ``momentum`` towards the batch mean and unbiased variance.
    Evaluation: the running statistics. Shape: (N, C) or (N, C, *).
    """
    if amp_state.on:
        return autocast_call("batch_norm", batch_norm, input, running_mean, running_var, weight,
                             bias, training, momentum, eps)
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected 2D or more input (N, C, *), got shape "
                         f"{list(input.shape)}")
    c = input.shape[1]
    shape = (1, c) + (1,) * (input.ndim - 2)
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise RuntimeError(f"batch_norm: {name} should have shape ({c},) for input of shape "
                               f"{list(input.shape)}, got {list(t.shape)}")
    dims = (0,) + tuple(range(2, input.ndim))
    if training:
        n = input.numel() // c
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {list(input.shape)}")
        out, mean, var = BatchNormTrain.apply(input, weight, bias, dims, eps)
        if running_mean is not None and running_var is not None:
            with no_grad():
                m = momentum
                running_mean.mul_(1 - m).add_(_wrap(mean._data.reshape(c) * m, False, None, 0))
                running_var.mul_(1 - m).add_(_wrap(var._data.reshape(c) * (m * n / (n - 1)),
                                                   False, None, 0))
        return _in_dtype(out, input)
    if running_mean is None or running_var is None:
        raise RuntimeError("batch_norm: running_mean and running_var are needed when not "
                           "training")
    xhat = (input - running_mean.reshape(shape)) * E.rsqrt(running_var.reshape(shape) + eps)
    return _in_dtype(_affine(xhat, weight, bias, shape), input)


def _batch_norm_composite(x, weight, bias, dims, eps):
    """The reference formula in core ops (serves create_graph and the tests)."""
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    mean = x.mean(dims, keepdim=True)
    d = x - mean
    var = (d * d).mean(dims, keepdim=True)
    return _affine(d * E.rsqrt(var + eps), weight, bias, shape)


class BatchNormTrain(Op):
    """Batch norm with batch statistics, fused: y = (x - mu) / sqrt(var + eps) * w + b.

    Outputs (y, mu, var) with mu and var shaped (1, C, 1, ...), not differentiable.
    On oneDNN (float32 NumPy arrays, 8 channels or more) forward and backward are its
    batch-normalisation primitives, in the input's own memory layout.
    Fast backward (first order), with x^ the normalised input and M the count:
    dx = invstd / M (M g w - sum(g w) - x^ sum(g w x^)), dw = sum(g x^), db = sum(g).
    ``backward`` (create_graph) differentiates the composite formula instead.
    """

    @staticmethod
    def forward(ctx, x, w, b, dims, eps):
        if _use_dnnl(*[a for a in (x, w, b) if a is not None]):
            res = _dnn_norm.forward(x, w, b, eps)
            if res is not None:
                out, mean, var, state = res
                shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
                mean, var = mean.reshape(shape), var.reshape(shape)
                ctx.save_for_backward(x, w, b)
                ctx.dims, ctx.eps, ctx.dnnl = dims, eps, state
                ctx.mark_non_differentiable(mean, var)
                return out, mean, var
        xp = xp_of(x)
        mean = x.mean(axis=dims, keepdims=True)
        xc = x - mean
        var = xp.mean(xc * xc, axis=dims, keepdims=True)
        invstd = 1.0 / xp.sqrt(var + eps)
        xhat = xc
        xhat *= invstd
        shape = mean.shape
        out = xhat * w.reshape(shape) if w is not None else xhat.copy()
        if b is not None:
            out += b.reshape(shape)
        ctx.save_for_backward(x, w, b)
        ctx.xhat, ctx.invstd, ctx.dims, ctx.eps = xhat, invstd, dims, eps
        ctx.mark_non_differentiable(mean, var)
        return out, mean, var

    @staticmethod
    def fast_backward(ctx, g, _gm, _gv):
        _, w, _ = ctx.saved_arrays
        n = ctx.needs_input_grad
        state = getattr(ctx, "dnnl", None)
        if state is not None:
            gx, gw, gb = _dnn_norm.backward(state, g, n[1], n[2])
            return (gx if n[0] else None), gw, gb, None, None
        xhat, invstd, dims = ctx.xhat, ctx.invstd, ctx.dims
        shape = invstd.shape
        gw = (g * xhat).sum(axis=dims) if n[1] else None
        gb = g.sum(axis=dims) if n[2] else None
        gx = None
        if n[0]:
            gxh = g * w.reshape(shape) if w is not None else g
            m = xhat.size // xhat.shape[1]
            s1 = gxh.sum(axis=dims, keepdims=True)
            s2 = (gxh * xhat).sum(axis=dims, keepdims=True)
            gx = gxh * m
            gx -= s1
            gx -= xhat * s2
            gx *= invstd / m
        return gx, gw, gb, None, None

    @staticmethod
    def backward(ctx, g, _gm, _gv):
        # create_graph: differentiate the composite formula at the same inputs, recorded,
        # so that second derivatives flow through x, w and b.
        from ..autograd.engine import grad  # noqa: PLC0415

        x, w, b = ctx.saved_tensors
        ins = [t for t in (x, w, b) if t is not None and t.requires_grad]
        out = _batch_norm_composite(x, w, b, ctx.dims, ctx.eps)
        gs = dict(zip(map(id, ins), grad(out, ins, g, create_graph=True, allow_unused=True)))
        return tuple(gs.get(id(t)) if t is not None else None for t in (x, w, b)) + (None, None)


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dims (biased variance)."""
    if amp_state.on:
        return autocast_call("layer_norm", layer_norm, input, normalized_shape, weight, bias,
                             eps)
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(ns):]) != ns:
        raise RuntimeError(f"layer_norm: Given normalized_shape={list(ns)}, expected input with "
                           f"shape [*, {', '.join(map(str, ns))}], but got input of size "
                           f"{list(input.shape)}")
    dims = tuple(range(input.ndim - len(ns), input.ndim))
    mean = input.mean(dims, keepdim=True)
    d = input - mean
    var = (d * d).mean(dims, keepdim=True)
    out = d * E.rsqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return _in_dtype(out, input)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise groups of channels per sample. Shape: (N, C, *), C divisible by num_groups."""
    if amp_state.on:
        return autocast_call("group_norm", group_norm, input, num_groups, weight, bias, eps)
    if input.ndim < 2:
        raise RuntimeError(f"group_norm: expected input (N, C, *), got {list(input.shape)}")
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise RuntimeError(f"group_norm: Expected number of channels in input ({c}) to be "
                           f"divisible by num_groups ({num_groups})")
    g = input.reshape(n, num_groups, -1)
    mean = g.mean(2, keepdim=True)
    d = g - mean
    var = (d * d).mean(2, keepdim=True)
    out = (d * E.rsqrt(var + eps)).reshape(input.shape)
    return _in_dtype(_affine(out, weight, bias, (1, c) + (1,) * (input.ndim - 2)), input)


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each (sample, channel) over its spatial dims. Shape: (N, C, *)."""
    if amp_state.on:
        return autocast_call("instance_norm", instance_norm, input, running_mean, running_var,
                             weight, bias, use_input_stats, momentum, eps)
    if input.ndim < 3:
        raise ValueError(f"instance_norm: expected (N, C, *) input with spatial dims, got "
                         f"{list(input.shape)}")
    n, c = input.shape[0], input.shape[1]
    shape = (1, c) + (1,) * (input.ndim - 2)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError("instance_norm: running stats are needed when not using input "
                               "statistics")
        xhat = (input - running_mean.reshape(shape)) * E.rsqrt(running_var.reshape(shape) + eps)
        return _in_dtype(_affine(xhat, weight, bias, shape), input)
    dims = tuple(range(2, input.ndim))
    mean = input.mean(dims, keepdim=True)
    d = input - mean
    var = (d * d).mean(dims, keepdim=True)
    if running_mean is not None and running_var is not None:
        cnt = input.numel() // (n * c)
        with no_grad():
            m = momentum
            running_mean.mul_(1 - m).add_(mean.reshape(n, c).mean(0).detach() * m)
            running_var.mul_(1 - m).add_(var.reshape(n, c).mean(0).detach()
                                         * (m * cnt / max(cnt - 1, 1)))
    return _in_dtype(_affine(d * E.rsqrt(var + eps), weight, bias, shape), input)


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """x / (k + alpha * mean of x^2 over ``size`` neighbouring channels)^beta (AlexNet).

    Shape: (N, C, *). The channel window is centred, zero-padded at the ends.
    """
    if input.ndim < 3:
        raise ValueError(f"local_response_norm: expected 3D or higher input, got "
                         f"{list(input.shape)}")
    if input.numel() == 0:
        return input
    from .shape import pad  # noqa: PLC0415

    c = input.shape[1]
    sq = input * input
    widths = [0, 0] * (input.ndim - 2) + [size // 2, (size - 1) // 2]
    padded = pad(sq, widths)
    acc = padded[:, 0:c]
    for j in range(1, size):  # a loop over the kernel offsets only
        acc = acc + padded[:, j:j + c]
    div = (acc * (alpha / size) + k) ** beta
    return input / div


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """x / sqrt(mean(x^2) + eps) over the last ``len(normalized_shape)`` dims, times
    ``weight`` (Zhang & Sennrich, 2019). ``eps`` None: the machine epsilon of the input's
    (computation) dtype, as PyTorch. Shape: (*, *normalized_shape), unchanged."""
    if not isinstance(normalized_shape, (tuple, list)):
        raise TypeError(f"rms_norm(): argument 'normalized_shape' (position 2) must be tuple of "
                        f"ints, not {type(normalized_shape).__name__}")
    ns = tuple(int(v) for v in normalized_shape)
    if tuple(input.shape[input.ndim - len(ns):]) != ns or len(ns) > input.ndim:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape "
                           f"[*{', '.join(map(str, ns))}], but got input of size"
                           f"{list(input.shape)}")
    if weight is not None and tuple(weight.shape) != ns:
        raise RuntimeError(f"Expected weight to be of same shape as normalized_shape, but got "
                           f"weight of shape {list(weight.shape)} and normalized_shape = "
                           f"{list(ns)}")
    if eps is None:
        dt = input._data.dtype
        eps = float(np.finfo(dt if dt == np.float64 else np.float32).eps)
    dims = tuple(range(input.ndim - len(ns), input.ndim))
    out = input * E.rsqrt((input * input).mean(dims, keepdim=True) + eps)
    if weight is not None:
        out = out * weight
    return _in_dtype(out, input)


__all__ += ["rms_norm"]
