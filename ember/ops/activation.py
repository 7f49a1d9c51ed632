"""Softmax and log-softmax along a dim, stable for logits of any magnitude."""
from __future__ import annotations

from ..autograd.function import Op
from ..tensor import Tensor, _wrap
from ._autocast import amp_state, autocast_call
from ._util import float_dtype_for, norm_dim, xp_of

__all__ = ["softmax", "log_softmax"]


class Softmax(Op):
    """softmax(x)_i = e^(x_i - m) / sum_j e^(x_j - m), m = max_j x_j.

    Backward: y (g - sum(g y)) along the dim.
    """

    @staticmethod
    def forward(ctx, x, dim):
        xp = xp_of(x)
        m = x.max(axis=dim, keepdims=True) if x.size else 0
        m = xp.where(xp.isfinite(m), m, 0) if x.size else 0
        e = xp.exp(x - m)
        out = e / e.sum(axis=dim, keepdims=True)
        ctx.dim = dim
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        gy = g * y
        return gy - y * gy.sum(ctx.dim, keepdim=True), None

    @staticmethod
    def fast_backward(ctx, g):
        y, = ctx.saved_arrays
        gy = g * y
        gy -= y * gy.sum(axis=ctx.dim, keepdims=True)
        return gy, None


class LogSoftmax(Op):
    """log_softmax(x)_i = x_i - m - log sum_j e^(x_j - m): never forms softmax then log.

    Backward: g - e^y sum(g) along the dim.
    """

    @staticmethod
    def forward(ctx, x, dim):
        xp = xp_of(x)
        m = x.max(axis=dim, keepdims=True) if x.size else 0
        m = xp.where(xp.isfinite(m), m, 0) if x.size else 0
        s = x - m
        out = s - xp.log(xp.exp(s).sum(axis=dim, keepdims=True))
        ctx.dim = dim
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        from .elementwise import exp  # noqa: PLC0415

        y, = ctx.saved_tensors
        return g - exp(y) * g.sum(ctx.dim, keepdim=True), None

    @staticmethod
    def fast_backward(ctx, g):
        y, = ctx.saved_arrays
        return g - xp_of(g).exp(y) * g.sum(axis=ctx.dim, keepdims=True), None


def _prep(input: Tensor, dim, dtype, name):
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind != "f":
        input = input.to(float_dtype_for(input))
    if dim is None:
        dim = 0 if input._data.ndim in (0, 1, 3) else 1  # PyTorch's legacy implicit choice
    return input, norm_dim(dim, input._data.ndim, name)


def softmax(input: Tensor, dim=None, dtype=None) -> Tensor:
    """Softmax along ``dim``: exponentials normalised to sum to 1."""
    if amp_state.on:
        return autocast_call("softmax", softmax, input, dim, dtype=dtype)
    x, d = _prep(input, dim, dtype, "softmax")
    if x._data.ndim == 0:
        return Softmax.apply(x.reshape(1), 0).reshape(())
    return Softmax.apply(x, d)


def log_softmax(input: Tensor, dim=None, dtype=None) -> Tensor:
    """Log of the softmax along ``dim``, computed stably."""
    if amp_state.on:
        return autocast_call("log_softmax", log_softmax, input, dim, dtype=dtype)
    x, d = _prep(input, dim, dtype, "log_softmax")
    if x._data.ndim == 0:
        return LogSoftmax.apply(x.reshape(1), 0).reshape(())
    return LogSoftmax.apply(x, d)


# ---------------------------------------------------------------------------- composites
# Written with the ops above, so their gradients (and second derivatives) come
# from those ops. Branches that would overflow are fed clamped inputs, so that
# where()'s untaken branch never turns into inf * 0 = nan in backward.


def _E():
    from . import elementwise  # noqa: PLC0415

    return elementwise


def relu6(input: Tensor) -> Tensor:
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """x clipped to [min_val, max_val]."""
    if min_val > max_val:
        raise ValueError("hardtanh: min_val cannot be greater than max_val")
    return _E().clamp(input, min_val, max_val)


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x for x > 0, negative_slope * x otherwise."""
    return _E().where(input > 0, input, input * negative_slope)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
          training: bool = False, generator=None) -> Tensor:
    """Randomized leaky ReLU (Xu et al., 2015): x for x >= 0, a x otherwise, with a drawn
    from U(lower, upper) per element in training and (lower + upper) / 2 in evaluation."""
    if not training:
        return leaky_relu(input, (lower + upper) / 2)
    from .. import backend  # noqa: PLC0415

    rng = backend.generator_for(input.device, generator).rng
    a = rng.uniform(lower, upper, tuple(input.shape)).astype(input._data.dtype)
    if type(a) is not type(input._data):
        a = backend.to_device(a, input.device)
    return _E().where(input >= 0, input, input * _wrap(a, False, None, 0))


def elu(input: Tensor, alpha: float = 1.0) -> Tensor:
    """x for x > 0, alpha (e^x - 1) otherwise."""
    if amp_state.on:
        return autocast_call("elu", elu, input, alpha)
    E = _E()
    return E.where(input > 0, input, alpha * E.expm1(E.clamp(input, max=0.0)))


def selu(input: Tensor) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants of Klambauer et al. (2017)."""
    return elu(input, 1.6732632423543772848170429916717) * 1.0507009873554804934193349852946


def celu(input: Tensor, alpha: float = 1.0) -> Tensor:
    """max(0, x) + min(0, alpha (e^(x/alpha) - 1))."""
    if amp_state.on:
        return autocast_call("celu", celu, input, alpha)
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: celu: alpha cannot be 0")
    E = _E()
    return E.where(input > 0, input, alpha * E.expm1(E.clamp(input, max=0.0) / alpha))


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x Phi(x) (exact, with erf) or its tanh approximation (``approximate='tanh'``)."""
    E = _E()
    if approximate == "none":
        return input * 0.5 * (1 + E.erf(input * 0.7071067811865476))
    if approximate == "tanh":
        inner = 0.7978845608028654 * (input + 0.044715 * input * input * input)
        return 0.5 * input * (1 + E.tanh(inner))
    raise RuntimeError(f"gelu: approximate argument must be either none or tanh, got "
                       f"{approximate!r}")


def silu(input: Tensor) -> Tensor:
    """x sigmoid(x) (swish)."""
    return input * _E().sigmoid(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(beta x)) / beta, linear where beta x > threshold; stable for any x."""
    if amp_state.on:
        return autocast_call("softplus", softplus, input, beta, threshold)
    E = _E()
    bx = input * beta
    smooth = (E.clamp(bx, min=0.0) + E.log1p(E.exp(-E.abs(bx)))) / beta
    return E.where(bx > threshold, input, smooth)


def mish(input: Tensor) -> Tensor:
    """x tanh(softplus(x))."""
    if amp_state.on:
        return autocast_call("mish", mish, input)
    return input * _E().tanh(softplus(input))


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|."""
    if amp_state.on:
        return autocast_call("logsigmoid", logsigmoid, input)
    E = _E()
    return E.clamp(input, max=0.0) - E.log1p(E.exp(-E.abs(input)))


def hardsigmoid(input: Tensor) -> Tensor:
    """relu6(x + 3) / 6."""
    return relu6(input + 3.0) / 6.0


def hardswish(input: Tensor) -> Tensor:
    """x relu6(x + 3) / 6."""
    return input * relu6(input + 3.0) / 6.0


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return input / (1 + _E().abs(input))


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    return input - _E().tanh(input)


def threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    """x where x > threshold, else ``value``."""
    return _E().where(input > threshold, input, value)


def softmin(input: Tensor, dim=None, dtype=None) -> Tensor:
    """softmax(-x) along ``dim``."""
    return softmax(-input, dim, dtype)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """max(0, x) + weight min(0, x), with one weight per channel (dim 1) or a shared one."""
    if amp_state.on:
        return autocast_call("prelu", prelu, input, weight)
    E = _E()
    w = weight
    if weight.numel() != 1:
        if input.ndim < 2 or input.shape[1] != weight.numel():
            raise RuntimeError(
                f"prelu: mismatch in parameter count: weight has {weight.numel()} elements but "
                f"the input has {input.shape[1] if input.ndim > 1 else 1} channels (input shape "
                f"{list(input.shape)})")
        w = weight.reshape((weight.numel(),) + (1,) * (input.ndim - 2))
    return E.clamp(input, min=0.0) + w * E.clamp(input, max=0.0)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a sigmoid(b) where (a, b) are the two halves of ``input`` along ``dim``."""
    if input.shape[dim] % 2:
        raise RuntimeError(f"glu: Halving dimension must be even, but dimension {dim} is size "
                           f"{input.shape[dim]}")
    a, b = input.chunk(2, dim)
    return a * _E().sigmoid(b)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    return _E().where(_E().abs(input) > lambd, input, 0.0)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    E = _E()
    return E.where(input > lambd, input - lambd, E.where(input < -lambd, input + lambd, 0.0))


__all__ += ["relu6", "hardtanh", "leaky_relu", "rrelu", "elu", "selu", "celu", "gelu", "silu", "softplus",
            "mish", "logsigmoid", "hardsigmoid", "hardswish", "softsign", "tanhshrink",
            "threshold", "softmin", "prelu", "glu", "hardshrink", "softshrink"]


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """Samples of the Gumbel-softmax (concrete) distribution: softmax((logits + g) / tau)
    along ``dim`` with g ~ Gumbel(0, 1) = -log(Exponential(1)), drawn from ember's
    generator. ``hard``: the one-hot of the sample's arg-max in the forward pass, with the
    soft sample's gradient (straight-through: y_hard - y_soft.detach() + y_soft).
    ``eps`` is deprecated and unused (a warning says so when it is given), as in PyTorch.
    """
    import warnings  # noqa: PLC0415

    from .. import backend  # noqa: PLC0415
    from .index import scatter  # noqa: PLC0415

    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    rng = backend.generator_for(logits.device, None).rng
    u = rng.random(tuple(logits.shape))  # [0, 1): Exponential(1) = -log(1 - u)
    if not isinstance(u, type(logits._data)):
        u = backend.to_device(u, logits.device)
    xp = xp_of(logits._data)
    gumbels = _wrap((-xp.log(-xp.log1p(-u))).astype(logits._data.dtype), False, None, 0)
    y_soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = scatter(_wrap(xp.zeros(logits._data.shape, logits._data.dtype), False, None, 0),
                     dim, index, value=1.0)
    return y_hard - y_soft.detach() + y_soft


__all__ += ["gumbel_softmax"]
