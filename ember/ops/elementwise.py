"""Elementwise ops: arithmetic, powers, exponentials, trigonometry, clamps, comparisons.

Each differentiable op is a Function with forward (raw arrays) and backward
(ember ops, so it is itself differentiable). Broadcasting is undone by the
engine, never here.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import _memory_format as MF
from .. import backend
from ..autograd.function import Op
from ..autograd.grad_mode import state
from ..tensor import Tensor, _wrap
from ._autocast import amp_state, autocast_call
from ._util import (as_tensor_arg, binary_args, broadcast_error, float_dtype_for, is_float,
                    no_complex, nonzero_arrays, xp_of)

__all__ = [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
    "neg", "negative", "pow", "exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sqrt",
    "rsqrt", "square", "abs", "absolute", "sign", "sgn", "reciprocal", "clamp", "clip", "maximum",
    "minimum", "where", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "erf", "eq", "ne", "lt",
    "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal", "equal",
    "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_not", "isnan", "isinf",
    "isfinite", "isclose", "allclose", "to_dtype", "clone", "remainder", "floor", "ceil",
    "round", "trunc",
    "clamp_min", "clamp_max", "clamp_min_", "clamp_max_",
]


def _binary(cls, a, b, name):
    if not (type(a) is Tensor and (type(b) is Tensor and a._data.dtype == b._data.dtype or
                                   type(b) is float and a._data.dtype.kind == "f")):
        a, b = binary_args(a, b, name)
    try:
        return cls.apply(a, b)
    except ValueError as exc:
        err = broadcast_error(name, a, b)
        if err is None:
            raise
        raise err from exc


def _float_in(x, name):
    if not isinstance(x, Tensor):
        x = as_tensor_arg(x, name=name)
    if x._data.dtype.kind not in "fc" and x._data.dtype != backend.BF16:
        x = x.to(float_dtype_for(x))
    return x


# ---------------------------------------------------------------------------- arithmetic


class Add(Op):
    """a + b. Backward: (g, g)."""

    complex_support = "linear"

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g

    @staticmethod
    def fast_backward(ctx, g):
        return g, g


class Sub(Op):
    """a - b. Backward: (g, -g)."""

    complex_support = "linear"

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)

    @staticmethod
    def fast_backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Op):
    """a * b. Backward: (g b, g a)."""

    complex_support = "holomorphic"

    @staticmethod
    def forward(ctx, a, b):
        n = ctx.needs_input_grad
        if n:  # keep only what the wanted gradients need
            ctx.save_for_backward(a if n[1] else None, b if n[0] else None)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        n = ctx.needs_input_grad
        return (g * b if n[0] else None), (g * a if n[1] else None)

    @staticmethod
    def fast_backward(ctx, g):
        a, b = ctx.saved_arrays
        n = ctx.needs_input_grad
        return (g * b if n[0] else None), (g * a if n[1] else None)


class Div(Op):
    """a / b. Backward: (g / b, -g a / b^2)."""

    complex_support = "holomorphic"

    @staticmethod
    def forward(ctx, a, b):
        n = ctx.needs_input_grad
        if n:
            ctx.save_for_backward(a if n[1] else None, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        n = ctx.needs_input_grad
        ga = g / b if n[0] else None
        gb = -g * a / (b * b) if n[1] else None
        return ga, gb

    @staticmethod
    def fast_backward(ctx, g):
        a, b = ctx.saved_arrays
        n = ctx.needs_input_grad
        ga = g / b if n[0] else None
        return ga, ((-(ga if ga is not None else g / b) * a / b) if n[1] else None)


class Neg(Op):
    """-x. Backward: -g."""

    complex_support = "linear"

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g

    @staticmethod
    def fast_backward(ctx, g):
        return (-g,)


_LEGACY_WARNED = set()


def _legacy_alpha(name, other, args, alpha):
    """PyTorch's deprecated ``add(input, Number alpha, Tensor other)`` overload (older
    programs write ``p.data.add_(-lr, p.grad)``): the same result, with PyTorch's warning."""
    if len(args) != 1 or alpha != 1 or isinstance(other, Tensor) or not isinstance(
            args[0], Tensor):
        raise TypeError(f"{name}() received an invalid combination of arguments: expected "
                        f"({name}(Tensor other, *, Number alpha) or the deprecated "
                        f"{name}(Number alpha, Tensor other))")
    if name in _LEGACY_WARNED:  # once per process, as PyTorch's
        return args[0], other
    _LEGACY_WARNED.add(name)
    warnings.warn(f"This overload of {name} is deprecated:\n\t{name}(Number alpha, Tensor "
                  f"other)\nConsider using one of the following signatures instead:\n\t"
                  f"{name}(Tensor other, *, Number alpha = 1)", UserWarning, stacklevel=3)
    return args[0], other


def add(input, other, *args, alpha=1):
    """input + alpha * other, broadcasting. ``add(input, alpha, other)`` is PyTorch's
    deprecated overload, accepted with its warning."""
    if args:
        other, alpha = _legacy_alpha("add", other, args, alpha)
    if alpha != 1:
        other = mul(other, alpha)
    return _binary(Add, input, other, "add")


def sub(input, other, *args, alpha=1):
    """input - alpha * other, broadcasting. ``sub(input, alpha, other)`` is PyTorch's
    deprecated overload, accepted with its warning."""
    if args:
        other, alpha = _legacy_alpha("sub", other, args, alpha)
    if alpha != 1:
        other = mul(other, alpha)
    return _binary(Sub, input, other, "sub")


def mul(input, other):
    return _binary(Mul, input, other, "mul")


def div(input, other, *, rounding_mode=None):
    """True division (ints become floats); ``rounding_mode='floor'|'trunc'`` gives integer-valued results."""
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode == "trunc":
        q = div(input, other)
        return trunc(q).to(q.dtype if (isinstance(input, Tensor) and input.is_floating_point())
                           else _int_result(input, other))
    if rounding_mode is not None:
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    if isinstance(input, Tensor) and not is_float(input) and not (
            isinstance(other, Tensor) and is_float(other)) and not isinstance(
                other, float):
        input = input.to(backend.get_default_dtype().np)
    elif isinstance(other, Tensor) and not is_float(other) and not (
            isinstance(input, Tensor) and is_float(input)) and not isinstance(
                input, float):
        other = other.to(backend.get_default_dtype().np)
    return _binary(Div, input, other, "div")


def _int_result(a, b):
    ta = a if isinstance(a, Tensor) else None
    tb = b if isinstance(b, Tensor) else None
    return (ta or tb)._data.dtype


def floor_divide(input, other):
    """floor(input / other); not differentiable (the result records no graph)."""
    no_complex("floor_divide", input, other)
    a, b = binary_args(input, other, "floor_divide")
    ra = a._data if isinstance(a, Tensor) else a
    rb = b._data if isinstance(b, Tensor) else b
    xp = xp_of(ra if isinstance(a, Tensor) else rb)
    return _wrap(xp.asarray(xp.floor_divide(ra, rb)), False, None, 0)


def remainder(input, other):
    """Python-style modulus (sign of the divisor). Gradient: (g, -floor(a/b) g)."""
    q = floor_divide(input, other)
    return sub(input, mul(q, other))


subtract = sub
multiply = mul
divide = div


def true_divide(input, other):
    return div(input, other)


def neg(input):
    return Neg.apply(input)


negative = neg


# ---------------------------------------------------------------------------- powers


class Pow(Op):
    """a ** b for tensors a and b, or either one a Python number.

    Backward: d/da = b a^(b-1); d/db = a^b log a (0 where a = 0 and b >= 0).
    """

    complex_support = "holomorphic"

    @staticmethod
    def forward(ctx, a, b):
        out = a ** b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        n = ctx.needs_input_grad
        ga = gb = None
        if n[0]:
            if isinstance(b, Tensor):
                ga = g * b * a ** (b - 1)
            elif b == 0:
                ga = g * 0.0
            else:
                ga = g * b * a ** (b - 1)
        if n[1]:
            if isinstance(a, Tensor):
                zero = (a == 0) & ((b.real if b.is_complex() else b) >= 0)
                safe = where(zero, 1.0, a)
                gb = g * where(zero, 0.0, out * log(safe))
            else:
                gb = g * out * math.log(a) if a > 0 else g * out * float("nan") if a < 0 else \
                    g * where(b >= 0, 0.0, out * float("-inf"))
        return ga, gb


def pow(input, exponent):
    """input ** exponent, with PyTorch's dtype rules."""
    if amp_state.on:
        return autocast_call("pow", pow, input, exponent)
    if isinstance(input, Tensor) and input._data.dtype.kind in "iub" and isinstance(
            exponent, (int, np.integer)) and not isinstance(exponent, bool) and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return _binary(Pow, input, exponent, "pow")


def square(input):
    return mul(input, input)


# ---------------------------------------------------------------------------- unary math


class Exp(Op):
    """e^x. Backward: g e^x (the saved output)."""

    complex_support = "holomorphic"

    @staticmethod
    def forward(ctx, x):
        out = xp_of(x).exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * out

    @staticmethod
    def fast_backward(ctx, g):
        return (g * ctx.saved_arrays[0],)


class Exp2(Op):
    """2^x. Backward: g 2^x ln 2."""

    complex_support = "holomorphic"

    @staticmethod
    def forward(ctx, x):
        out = xp_of(x).exp2(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * out * math.log(2.0)


class Log(Op):
    """ln x. Backward: g / x."""

    complex_support = "holomorphic"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp_of(x).log(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / x

    @staticmethod
    def fast_backward(ctx, g):
        return (g / ctx.saved_arrays[0],)


class Log2(Op):
    """log2 x. Backward: g / (x ln 2)."""

    complex_support = "holomorphic"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp_of(x).log2(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / (x * math.log(2.0))


class Log10(Op):
    """log10 x. Backward: g / (x ln 10)."""

    complex_support = "holomorphic"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp_of(x).log10(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / (x * math.log(10.0))


class Log1p(Op):
    """ln(1 + x), accurate near 0. Backward: g / (1 + x)."""

    complex_support = "holomorphic"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp_of(x).log1p(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / (x + 1)


class Expm1(Op):
    """e^x - 1, accurate near 0. Backward: g (out + 1)."""

    complex_support = "holomorphic"

    @staticmethod
    def forward(ctx, x):
        out = xp_of(x).expm1(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * (out + 1)


class Sqrt(Op):
    """sqrt x. Backward: g / (2 sqrt x)."""

    complex_support = "holomorphic"

    @staticmethod
    def forward(ctx, x):
        out = xp_of(x).sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g / (out * 2)

    @staticmethod
    def fast_backward(ctx, g):
        out = ctx.saved_arrays[0]
        return (g / (out * 2),)


class Rsqrt(Op):
    """1 / sqrt x. Backward: -g out^3 / 2."""

    complex_support = "holomorphic"

    @staticmethod
    def forward(ctx, x):
        out = 1.0 / xp_of(x).sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * out * out * out * -0.5


class Reciprocal(Op):
    """1 / x. Backward: -g out^2."""

    complex_support = "holomorphic"

    @staticmethod
    def forward(ctx, x):
        out = 1.0 / x
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return -g * out * out


class Abs(Op):
    """|x|. Backward: g sign(x) (0 at 0, as PyTorch); for complex x (a real result) the
    conjugate Wirtinger gradient g x / |x| (PyTorch's ``sgn``, 0 at 0)."""

    complex_support = "own"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp_of(x).abs(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (sgn(x) if x.is_complex() else sign(x))


class Sign(Op):
    """sign(x) in {-1, 0, 1}. Backward: 0 (piecewise constant)."""

    @staticmethod
    def forward(ctx, x):
        return xp_of(x).sign(x)

    @staticmethod
    def backward(ctx, g):
        return g * 0.0


class Sin(Op):
    """sin x. Backward: g cos x."""

    complex_support = "holomorphic"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp_of(x).sin(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * cos(x)


class Cos(Op):
    """cos x. Backward: -g sin x."""

    complex_support = "holomorphic"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp_of(x).cos(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return -g * sin(x)


class Tan(Op):
    """tan x. Backward: g (1 + tan^2 x)."""

    complex_support = "holomorphic"

    @staticmethod
    def forward(ctx, x):
        out = xp_of(x).tan(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * (out * out + 1)


class Tanh(Op):
    """tanh x (NumPy's tanh: no overflow for large |x|). Backward: g (1 - tanh^2 x)."""

    complex_support = "holomorphic"

    @staticmethod
    def forward(ctx, x):
        out = xp_of(x).tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * (1 - out * out)

    @staticmethod
    def fast_backward(ctx, g):
        out = ctx.saved_arrays[0]
        if out.ndim == 0:
            return ((1 - out * out) * g,)
        d = out * out  # 1 - tanh^2, in place: one temporary
        xp_of(out).subtract(1, d, out=d)
        d *= g
        return (d,)


class Sigmoid(Op):
    """1 / (1 + e^-x). Backward: g s (1 - s).

    For very negative x, e^-x overflows to inf and the result is the correct
    limit 0 (the overflow warning is silenced); four in-place passes.
    """

    complex_support = "holomorphic"

    @staticmethod
    def forward(ctx, x):
        xp = xp_of(x)
        t = xp.negative(x, out=xp.empty_like(x))  # an array even for 0-d input
        if xp is np:
            with np.errstate(over="ignore"):
                np.exp(t, out=t)
        else:
            xp.exp(t, out=t)
        t += 1
        xp.reciprocal(t, out=t)
        ctx.save_for_backward(t)
        return t

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * out * (1 - out)

    @staticmethod
    def fast_backward(ctx, g):
        out = ctx.saved_arrays[0]
        return ((1 - out) * out * g,)


class Relu(Op):
    """max(x, 0). Backward: g where x > 0, else 0."""

    @staticmethod
    def forward(ctx, x):
        out = xp_of(x).maximum(x, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * (out._data > 0)

    @staticmethod
    def fast_backward(ctx, g):
        out = ctx.saved_arrays[0]
        return (g * (out > 0),)  # a multiply by the mask beats where() 3x


def _erf_raw(x):
    return backend.special(xp_of(x), "erf")(x)


class Erf(Op):
    """The error function. Backward: g 2/sqrt(pi) e^(-x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        out = _erf_raw(x)
        return out.astype(x.dtype, copy=False) if out.dtype != x.dtype else out

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (2.0 / math.sqrt(math.pi)) * exp(-(x * x))


def _unary(cls, name):
    def fn(input):
        if amp_state.on:
            return autocast_call(name, fn, input)
        return cls.apply(_float_in(input, name))
    fn.__name__ = name
    fn.__doc__ = cls.__doc__
    return fn


exp = _unary(Exp, "exp")
exp2 = _unary(Exp2, "exp2")
log = _unary(Log, "log")
log2 = _unary(Log2, "log2")
log10 = _unary(Log10, "log10")
log1p = _unary(Log1p, "log1p")
expm1 = _unary(Expm1, "expm1")
sqrt = _unary(Sqrt, "sqrt")
rsqrt = _unary(Rsqrt, "rsqrt")
reciprocal = _unary(Reciprocal, "reciprocal")
sin = _unary(Sin, "sin")
cos = _unary(Cos, "cos")
tan = _unary(Tan, "tan")
tanh = _unary(Tanh, "tanh")
sigmoid = _unary(Sigmoid, "sigmoid")
erf = _unary(Erf, "erf")


def abs(input):  # noqa: A001 - PyTorch's name
    return Abs.apply(input)


absolute = abs


def sign(input):
    return Sign.apply(input)


def sgn(input):
    """x / |x| for complex x (0 where x is 0); ``sign`` for real x."""
    if not input.is_complex():
        return sign(input)
    mag = abs(input)
    return where(mag == 0, 0.0, input / where(mag == 0, 1.0, mag))


def relu(input):
    return Relu.apply(input)


def floor(input):
    """Largest integer <= x (same dtype); gradient 0."""
    return _piecewise_constant(input, "floor")


def ceil(input):
    return _piecewise_constant(input, "ceil")


def trunc(input):
    return _piecewise_constant(input, "trunc")


def round(input, *, decimals=0):  # noqa: A001
    xp = xp_of(input._data)
    return _piecewise_constant(input, None, xp.round(input._data, decimals))


def _piecewise_constant(input, name, values=None):
    """A step function of ``input``: its values, with a zero gradient flowing back."""
    no_complex(name or "round", input)
    xp = xp_of(input._data)
    if values is None:
        values = getattr(xp, name)(input._data)
    const = _wrap(xp.asarray(values), False, None, 0)  # a 0-d input gives a NumPy scalar
    if input.requires_grad and input._data.dtype.kind == "f":
        return sign(input) * 0 + const
    return const


# ---------------------------------------------------------------------------- clamps


class Clamp(Op):
    """min(max(x, lo), hi) with number bounds. Backward: g where lo <= x <= hi."""

    @staticmethod
    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        return xp_of(x).clip(x, lo, hi)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        m = x._data
        mask = True
        if ctx.lo is not None:
            mask = m >= ctx.lo
        if ctx.hi is not None:
            mask = mask & (m <= ctx.hi)
        return g * mask, None, None


class ClampTensor(Op):
    """Clamp with tensor bounds: hi applied after lo. Gradient flows to whichever value is taken."""

    @staticmethod
    def forward(ctx, x, lo, hi):
        xp = xp_of(x)
        out = x
        if lo is not None:
            out = xp.maximum(out, lo)
        if hi is not None:
            out = xp.minimum(out, hi)
        ctx.save_for_backward(x, lo, hi)
        return out

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.saved_tensors
        xd = x._data
        take_lo = (xd < lo._data) if lo is not None else False
        take_hi = (xd > hi._data) if hi is not None else False
        if hi is not None and lo is not None:
            take_hi = take_hi | (lo._data > hi._data)
            take_lo = take_lo & ~take_hi
        keep = ~(take_lo | take_hi) if (lo is not None or hi is not None) else True
        n = ctx.needs_input_grad
        return (g * keep if n[0] else None,
                g * take_lo if n[1] else None,
                g * take_hi if n[2] else None)


def clamp(input, min=None, max=None):  # noqa: A002 - PyTorch's names
    """Limit values to [min, max]; bounds may be numbers or tensors."""
    if min is None and max is None:
        raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        lo = None if min is None else binary_args(input, min, "clamp")[1]
        hi = None if max is None else binary_args(input, max, "clamp")[1]
        lo = lo if lo is None or isinstance(lo, Tensor) else as_tensor_arg(
            np.asarray(lo, dtype=input._data.dtype), input)
        hi = hi if hi is None or isinstance(hi, Tensor) else as_tensor_arg(
            np.asarray(hi, dtype=input._data.dtype), input)
        return ClampTensor.apply(input, lo, hi)
    if input._data.dtype.kind != "f" and (isinstance(min, float) or isinstance(max, float)):
        input = input.to(backend.get_default_dtype().np)
    return Clamp.apply(input, min, max)


clip = clamp


def clamp_min(input, min):  # noqa: A002 - PyTorch's name
    """``clamp(input, min=min)``: the larger of ``input`` and ``min`` (a number or tensor)."""
    if min is None:
        raise TypeError("clamp_min(): argument 'min' must be a Tensor or a Number, not None")
    return clamp(input, min=min)


def clamp_max(input, max):  # noqa: A002 - PyTorch's name
    """``clamp(input, max=max)``: the smaller of ``input`` and ``max`` (a number or tensor)."""
    if max is None:
        raise TypeError("clamp_max(): argument 'max' must be a Tensor or a Number, not None")
    return clamp(input, max=max)


def _kept(input, bound):
    """``input``, or (while recorded) a copy of it: the clamp keeps its input for backward,
    which the in-place write must not change."""
    if state.enabled and (input.requires_grad or getattr(bound, "requires_grad", False)):
        return clone(input)
    return input


def clamp_min_(input, min):  # noqa: A002
    """In-place :func:`clamp_min`."""
    return input._assign_result(clamp_min(_kept(input, min), min), "clamp_min_")


def clamp_max_(input, max):  # noqa: A002
    """In-place :func:`clamp_max`."""
    return input._assign_result(clamp_max(_kept(input, max), max), "clamp_max_")


class Maximum(Op):
    """Elementwise max(a, b). Backward: g to the larger; split in half on ties."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp_of(a).maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        gt = (a._data > b._data)
        eq = (a._data == b._data) * 0.5
        n = ctx.needs_input_grad
        return (g * (gt + eq) if n[0] else None), (g * ((a._data < b._data) + eq) if n[1] else None)


class Minimum(Op):
    """Elementwise min(a, b). Backward: g to the smaller; split in half on ties."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp_of(a).minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        lt = (a._data < b._data)
        eq = (a._data == b._data) * 0.5
        n = ctx.needs_input_grad
        return (g * (lt + eq) if n[0] else None), (g * ((a._data > b._data) + eq) if n[1] else None)


def maximum(input, other):
    if not isinstance(other, Tensor):
        raise TypeError("maximum(): argument 'other' must be Tensor")
    return _binary(Maximum, input, other, "maximum")


def minimum(input, other):
    if not isinstance(other, Tensor):
        raise TypeError("minimum(): argument 'other' must be Tensor")
    return _binary(Minimum, input, other, "minimum")


class Where(Op):
    """cond ? a : b. Backward: (g where cond, g where not cond)."""

    complex_support = "linear"

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond = cond
        return xp_of(cond).where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        c = ctx.cond
        n = ctx.needs_input_grad
        return None, (g * c if n[1] else None), (g * ~c if n[2] else None)

    @staticmethod
    def fast_backward(ctx, g):
        c = ctx.cond
        n = ctx.needs_input_grad
        return (None, (g * c if n[1] else None), (g * ~c if n[2] else None))


def where(condition, input=None, other=None):
    """Pick from ``input`` where ``condition`` holds, else from ``other``; one argument: nonzero."""
    if input is None and other is None:  # where(c) is nonzero(c, as_tuple=True)
        c = condition if isinstance(condition, Tensor) else as_tensor_arg(condition)
        return tuple(_wrap(a, False, None, 0) for a in nonzero_arrays(c._data))
    cond = condition if isinstance(condition, Tensor) else as_tensor_arg(condition)
    if cond._data.dtype != np.bool_:
        cond = _wrap(cond._data.astype(bool), False, None, 0)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        a = as_tensor_arg(input, cond)
        b = other
        a, b = binary_args(a, b, "where")
    else:
        a, b = binary_args(input, other, "where")
    ref = a if isinstance(a, Tensor) else b
    dt = ref._data.dtype
    if type(cond._data) is not type(ref._data):
        raise RuntimeError(f"where: expected condition, x and y to be on the same device, but "
                           f"condition is on {cond.device} and x/y on {ref.device}")
    xp = xp_of(cond._data)
    ra = a if isinstance(a, Tensor) else _wrap(xp.asarray(a, dtype=dt), False, None, 0)
    rb = b if isinstance(b, Tensor) else _wrap(xp.asarray(b, dtype=dt), False, None, 0)
    try:
        return Where.apply(cond._data, ra, rb)
    except ValueError as exc:
        raise RuntimeError(
            f"where: shapes {list(cond.shape)}, {list(ra.shape)} and {list(rb.shape)} are not "
            "broadcastable") from exc


# ---------------------------------------------------------------------------- dtype and copies


class Cast(Op):
    """Change dtype. Backward: the gradient, cast back (the engine casts it)."""

    complex_support = "own"
    bf16_native = True

    @staticmethod
    def forward(ctx, x, dt):
        if x.dtype.kind == "c" and dt.kind != "c":
            x = x.real  # the imaginary part is discarded (to_dtype warns)
        out = x.astype(dt)
        if out.dtype.kind not in "fc" and out.dtype != backend.BF16:
            ctx.mark_non_differentiable(out)
        return out

    @staticmethod
    def backward(ctx, g):
        return g, None

    @staticmethod
    def fast_backward(ctx, g):
        return g, None


class Clone(Op):
    """A copy with its own memory, laid out as the memory format asks. Backward: g."""

    complex_support = "linear"

    @staticmethod
    def forward(ctx, x, fmt):
        return MF.copy_as(xp_of(x), x, fmt)

    @staticmethod
    def backward(ctx, g):
        return g, None

    @staticmethod
    def fast_backward(ctx, g):
        return g, None


def to_dtype(input: Tensor, dtype) -> Tensor:
    dt = backend.np_dtype(dtype)
    if input._data.dtype == dt:
        return input
    if input._data.dtype.kind == "c" and dt.kind != "c":
        warnings.warn("Casting complex values to real discards the imaginary part",
                      UserWarning, stacklevel=2)
    return Cast.apply(input, dt)


def clone(input: Tensor, *, memory_format=None) -> Tensor:
    """A copy with its own memory (and a gradient that flows back to ``input``), in the
    layout ``memory_format`` asks for: by default (``preserve_format``) the input's own
    strides when it is dense, else the layout they suggest."""
    fmt = MF.check(memory_format, "clone")
    MF.check_rank(fmt, input._data.ndim)
    return Clone.apply(input, fmt)


# ---------------------------------------------------------------------------- comparisons


def _compare(ufunc_name, torch_name):
    ordering = torch_name in ("lt", "le", "gt", "ge")

    def fn(input, other):
        if ordering:
            no_complex(torch_name, input, other)
        a, b = binary_args(input, other, torch_name)
        ra = a._data if isinstance(a, Tensor) else a
        rb = b._data if isinstance(b, Tensor) else b
        xp = xp_of(ra if isinstance(a, Tensor) else rb)
        try:
            out = getattr(xp, ufunc_name)(ra, rb)
        except ValueError as exc:
            err = broadcast_error(torch_name, a, b)
            raise (err or exc) from exc
        return _wrap(xp.asarray(out), False, None, 0)
    fn.__name__ = torch_name
    fn.__doc__ = f"Elementwise {torch_name} as a bool tensor (not differentiable)."
    return fn


eq = _compare("equal", "eq")
ne = _compare("not_equal", "ne")
lt = _compare("less", "lt")
le = _compare("less_equal", "le")
gt = _compare("greater", "gt")
ge = _compare("greater_equal", "ge")
logical_and = _compare("logical_and", "logical_and")
logical_or = _compare("logical_or", "logical_or")
logical_xor = _compare("logical_xor", "logical_xor")
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def _unary_pred(ufunc_name):
    def fn(input):
        xp = xp_of(input._data)
        return _wrap(xp.asarray(getattr(xp, ufunc_name)(input._data)), False, None, 0)
    fn.__name__ = ufunc_name
    return fn


logical_not = _unary_pred("logical_not")
isnan = _unary_pred("isnan")
isinf = _unary_pred("isinf")
isfinite = _unary_pred("isfinite")


def bitwise_not(input):
    xp = xp_of(input._data)
    return _wrap(xp.asarray(xp.invert(input._data)), False, None, 0)


def equal(input, other) -> bool:
    """True when both tensors have the same shape and elements."""
    return input.shape == other.shape and bool((input._data == other._data).all())


def isclose(input, other, rtol=1e-5, atol=1e-8, equal_nan=False):
    xp = xp_of(input._data)
    o = other._data if isinstance(other, Tensor) else other
    return _wrap(xp.asarray(xp.isclose(input._data, o, rtol=rtol, atol=atol, equal_nan=equal_nan)),
                 False, None, 0)


def allclose(input, other, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())
