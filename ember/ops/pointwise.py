"""More elementwise arithmetic: logaddexp, copysign, nextafter, fmod, frac, float_power, lerp,
addcmul/addcdiv; and the trapezoid rule (``trapezoid``, ``cumulative_trapezoid``).

Ops keep forward (raw arrays) and backward (ember ops) side by side; the rest
are compositions of existing ops, whose gradients they inherit. dtypes follow
PyTorch: integer operands become the default float dtype where the result is a
float, and the functions PyTorch does not define for integers refuse them.
"""
from __future__ import annotations

import numbers

import numpy as np

from .. import backend
from ..autograd.function import Op
from ..tensor import Tensor
from ._autocast import amp_state, autocast_call
from . import elementwise as E
from . import reduce as R
from ._util import binary_args, norm_dim, xp_of
from .specfun import float_operands
from .trig import apply_binary, float_pair

__all__ = ["logaddexp", "logaddexp2", "copysign", "nextafter", "fmod", "frac", "float_power",
           "lerp", "addcmul", "addcdiv", "trapezoid", "trapz", "cumulative_trapezoid"]

_LN2 = float(np.log(2.0))


def _no_ints(t, name):
    if t._data.dtype.kind != "f":
        raise NotImplementedError(f'"{name}" not implemented for {t.dtype} tensors; convert to '
                                  "a floating dtype first")


# ---------------------------------------------------------------------------- log-sum of two


class Logaddexp(Op):
    """log(e^a + e^b) without overflow. Backward: (g sigmoid(a - b), g sigmoid(b - a))."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp_of(a).logaddexp(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        n = ctx.needs_input_grad
        return (g * E.sigmoid(a - b) if n[0] else None), (g * E.sigmoid(b - a) if n[1] else None)


class Logaddexp2(Op):
    """log2(2^a + 2^b) without overflow. Backward: (g / (1 + 2^(b-a)), g / (1 + 2^(a-b)))."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp_of(a).logaddexp2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        n = ctx.needs_input_grad
        return ((g * E.sigmoid((a - b) * _LN2) if n[0] else None),
                (g * E.sigmoid((b - a) * _LN2) if n[1] else None))


def logaddexp(input, other):
    """log(exp(input) + exp(other)), computed stably (floating tensors)."""
    a, b = float_pair(input, other, "logaddexp", ints=False)
    return apply_binary(Logaddexp, a, b, "logaddexp")


def logaddexp2(input, other):
    """log2(2^input + 2^other), computed stably (floating tensors)."""
    a, b = float_pair(input, other, "logaddexp2", ints=False)
    return apply_binary(Logaddexp2, a, b, "logaddexp2")


# ---------------------------------------------------------------------------- sign and spacing


def _tensor_first(input, other, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, {type(other).__name__}): 'input' must be a "
                        "Tensor")


class Copysign(Op):
    """|a| with the sign of b. Backward: (g out / a, 0 where a = 0; zeros for b)."""

    @staticmethod
    def forward(ctx, a, b):
        out = xp_of(a).copysign(a, b)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        n = ctx.needs_input_grad
        zero = a == 0
        ratio = E.where(zero, 0.0, out / E.where(zero, 1.0, a))
        return (g * ratio if n[0] else None), (g * 0.0 if n[1] else None)


class Nextafter(Op):
    """The next float after a towards b. Backward (PyTorch's): (g, zeros)."""

    @staticmethod
    def forward(ctx, a, b):
        return xp_of(a).nextafter(a, b)

    @staticmethod
    def backward(ctx, g):
        n = ctx.needs_input_grad
        return (g if n[0] else None), (g * 0.0 if n[1] else None)


def copysign(input, other):
    """The magnitude of ``input`` with the sign of ``other`` (a tensor or a number)."""
    _tensor_first(input, other, "copysign")
    a, b = float_operands(input, other, "copysign")
    return apply_binary(Copysign, a, b, "copysign")


def nextafter(input, other):
    """The next floating-point value after ``input`` towards ``other`` (floating tensors)."""
    a, b = float_pair(input, other, "nextafter", ints=False)
    return apply_binary(Nextafter, a, b, "nextafter")


# ---------------------------------------------------------------------------- remainders


class Fmod(Op):
    """C's remainder a - trunc(a / b) b (the sign of a). Backward: (g, -g trunc(a / b))."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        xp = xp_of(a) if not isinstance(a, (int, float)) else xp_of(b)
        with backend.errstate(xp, invalid="ignore", divide="ignore"):
            return xp.fmod(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        n = ctx.needs_input_grad
        return (g if n[0] else None), (-g * E.trunc(a / b) if n[1] else None)


def fmod(input, other):
    """The remainder of input / other with the sign of ``input`` (C's fmod); integer tensors stay
    integer and refuse a zero divisor, as in PyTorch."""
    _tensor_first(input, other, "fmod")
    a, b = binary_args(input, other, "fmod")
    if a._data.dtype.kind in "iub":  # an integer result: a zero divisor is an error
        zero = bool((b._data == 0).any()) if isinstance(b, Tensor) else b == 0
        if zero:
            raise RuntimeError("ZeroDivisionError")
    return apply_binary(Fmod, a, b, "fmod")


def frac(input):
    """The fractional part input - trunc(input), with the sign of ``input``. Gradient: g."""
    _no_ints(input, "frac")
    return E.sub(input, E.trunc(input))


# ---------------------------------------------------------------------------- powers, blends


def float_power(input, exponent):
    """input ** exponent computed in float64 (either may be a number); the result is float64."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError("float_power(): expected at least one Tensor argument")
    base = input.to(np.float64) if isinstance(input, Tensor) else float(input)
    exp = exponent.to(np.float64) if isinstance(exponent, Tensor) else float(exponent)
    return E.pow(base, exp)


class Lerp(Op):
    """start + w (end - start), as PyTorch evaluates it (from the nearer end).

    Backward: (g (1 - w), g w, g (end - start)).
    """

    @staticmethod
    def forward(ctx, start, end, w):
        ctx.save_for_backward(start, end, w)
        xp = xp_of(start)
        d = end - start
        return xp.asarray(xp.where(xp.abs(w) < 0.5, start + w * d, end - d * (1 - w)),
                          dtype=start.dtype)

    @staticmethod
    def backward(ctx, g):
        start, end, w = ctx.saved_tensors
        n = ctx.needs_input_grad
        return (g * (1 - w) if n[0] else None, g * w if n[1] else None,
                g * (end - start) if n[2] else None)


def lerp(input, end, weight):
    """Linear interpolation input + weight * (end - input); ``weight`` a number or a tensor of
    the same dtype."""
    for name, v in (("input", input), ("end", end)):
        if not isinstance(v, Tensor):
            raise TypeError(f"lerp(): argument '{name}' must be Tensor, not {type(v).__name__}")
    _no_ints(input, "lerp")
    for name, v in (("end", end), ("weight", weight)):
        if isinstance(v, Tensor) and v._data.dtype != input._data.dtype:
            raise RuntimeError(f"expected dtype {input.dtype} for `{name}` but got dtype "
                               f"{v.dtype}")
    if not isinstance(weight, Tensor):
        if not isinstance(weight, numbers.Real):
            raise TypeError(f"lerp(): argument 'weight' must be Tensor or Number, not "
                            f"{type(weight).__name__}")
        weight = float(weight)
    try:
        return Lerp.apply(input, end, weight)
    except ValueError as exc:
        shapes = [list(t.shape) for t in (input, end, weight) if isinstance(t, Tensor)]
        raise RuntimeError(f"lerp(): shapes {shapes} are not broadcastable") from exc


def _addc(input, tensor1, tensor2, value, name, combine):
    for pos, (arg, v) in enumerate((("input", input), ("tensor1", tensor1),
                                    ("tensor2", tensor2)), start=1):
        if not isinstance(v, Tensor):
            raise TypeError(f"{name}(): argument '{arg}' (position {pos}) must be Tensor, not "
                            f"{type(v).__name__}")
    t1, t2 = binary_args(tensor1, tensor2, name)
    if input._data.dtype.kind in "iub" and t1._data.dtype.kind in "iub" and \
            isinstance(value, float):
        value = int(value)  # PyTorch casts the scalar to the integer result type
    scaled = t1 if value == 1 else E.mul(t1, value)
    return E.add(input, combine(scaled, t2))


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2, broadcasting."""
    if amp_state.on:
        return autocast_call("addcmul", addcmul, input, tensor1, tensor2, value=value)
    return _addc(input, tensor1, tensor2, value, "addcmul", E.mul)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2, broadcasting (integer tensor1 and tensor2 are refused,
    as in PyTorch)."""
    if amp_state.on:
        return autocast_call("addcdiv", addcdiv, input, tensor1, tensor2, value=value)
    if isinstance(tensor1, Tensor) and isinstance(tensor2, Tensor) and \
            tensor1._data.dtype.kind in "iub" and tensor2._data.dtype.kind in "iub":
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))"
            ".to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for "
            "float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes.")
    return _addc(input, tensor1, tensor2, value, "addcdiv", E.div)


# ---------------------------------------------------------------------------- trapezoid rule


def _spacing(y, x, dx, d, name):
    """The spacing between samples along ``d``: a number, or a tensor broadcastable to y."""
    if y._data.dtype == np.bool_:
        raise RuntimeError(f"{name}: received a bool input for `y`, but bool is not supported")
    if x is None:
        if dx is None:
            return 1.0
        if isinstance(dx, bool) or not isinstance(dx, numbers.Real):
            raise RuntimeError(f"{name}: Currently, we only support dx as a real number.")
        return float(dx) if isinstance(dx, float) else dx
    if dx is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments: give `x` or "
                        "`dx`, not both")
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'x' must be Tensor, not {type(x).__name__}")
    if x._data.dtype == np.bool_:
        raise RuntimeError(f"{name}: received a bool input for `x`, but bool is not supported")
    if x._data.ndim == 1:
        if x.shape[0] != y.shape[d]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        x = x.reshape([-1 if i == d else 1 for i in range(y._data.ndim)])
    elif x._data.ndim < y._data.ndim:
        x = x.reshape((1,) * (y._data.ndim - x._data.ndim) + tuple(x.shape))
    n = x.shape[d]
    return x.narrow(d, 1, n - 1) - x.narrow(d, 0, n - 1)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The integral of ``y`` along ``dim`` by the trapezoid rule, with sample points ``x`` or a
    constant spacing ``dx`` (default 1)."""
    if not isinstance(y, Tensor):
        raise TypeError(f"trapezoid(): argument 'y' must be Tensor, not {type(y).__name__}")
    d = norm_dim(dim, y._data.ndim, "trapezoid")
    step = _spacing(y, x, dx, d, "trapezoid")
    n = y.shape[d]
    if n == 0:
        dt = y._data.dtype if y._data.dtype.kind == "f" else backend.get_default_dtype().np
        return E.mul(y.sum(d), 0).to(dt)
    if not isinstance(step, Tensor):
        lead = (slice(None),) * d
        ends = E.mul(E.add(y[lead + (0,)], y[lead + (-1,)]), 0.5)
        return E.mul(E.sub(y.sum(d), ends), step)
    mids = E.add(y.narrow(d, 0, n - 1), y.narrow(d, 1, n - 1))
    return E.div(E.mul(step, mids).sum(d), 2.0)


def trapz(y, x=None, *, dx=None, dim=-1):
    """The older name of :func:`trapezoid`."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running integral of ``y`` along ``dim`` by the trapezoid rule (one element fewer)."""
    if not isinstance(y, Tensor):
        raise TypeError(f"cumulative_trapezoid(): argument 'y' must be Tensor, not "
                        f"{type(y).__name__}")
    d = norm_dim(dim, y._data.ndim, "cumulative_trapezoid")
    step = _spacing(y, x, dx, d, "cumulative_trapezoid")
    n = y.shape[d]
    m = max(n - 1, 0)
    mids = E.add(y.narrow(d, 0, m), y.narrow(d, min(1, n), m))
    if not isinstance(step, Tensor):
        return R.cumsum(E.mul(mids, step / 2.0), d)
    return E.div(R.cumsum(E.mul(step, mids), d), 2.0)
