"""Trigonometric and hyperbolic functions beyond sin/cos/tan/tanh: the inverse functions,
sinh/cosh and their inverses, ``atan2``, ``hypot``, angle conversions.

Each differentiable op is an Op with forward on raw arrays and backward written
with ember ops, so it is itself differentiable. Integer and bool inputs become
the default float dtype, as in PyTorch.
"""
from __future__ import annotations

import math

from .. import backend
from ..autograd.function import Op
from ..tensor import Tensor
from ._autocast import amp_state, autocast_call
from . import elementwise as E
from ._util import binary_args, broadcast_error, float_dtype_for, xp_of

__all__ = [
    "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "arcsin", "arccos",
    "arctan", "arcsinh", "arccosh", "arctanh", "atan2", "arctan2", "hypot", "deg2rad",
    "rad2deg",
]


# ---------------------------------------------------------------------------- unary


class Asin(Op):
    """arcsin x. Backward: g / sqrt(1 - x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        xp = xp_of(x)
        with backend.errstate(xp, invalid="ignore", divide="ignore"):  # nan/inf outside the domain
            return xp.arcsin(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * E.rsqrt(1 - x * x)


class Acos(Op):
    """arccos x. Backward: -g / sqrt(1 - x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        xp = xp_of(x)
        with backend.errstate(xp, invalid="ignore", divide="ignore"):  # nan/inf outside the domain
            return xp.arccos(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return -g * E.rsqrt(1 - x * x)


class Atan(Op):
    """arctan x. Backward: g / (1 + x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp_of(x).arctan(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / (x * x + 1)


class Sinh(Op):
    """sinh x. Backward: g cosh x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp_of(x).sinh(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * cosh(x)


class Cosh(Op):
    """cosh x. Backward: g sinh x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp_of(x).cosh(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * sinh(x)


class Asinh(Op):
    """arsinh x. Backward: g / sqrt(x^2 + 1)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp_of(x).arcsinh(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * E.rsqrt(x * x + 1)


class Acosh(Op):
    """arcosh x (nan below 1). Backward: g / sqrt(x^2 - 1)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        xp = xp_of(x)
        with backend.errstate(xp, invalid="ignore", divide="ignore"):  # nan/inf outside the domain
            return xp.arccosh(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * E.rsqrt(x * x - 1)


class Atanh(Op):
    """artanh x (nan outside [-1, 1]). Backward: g / (1 - x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        xp = xp_of(x)
        with backend.errstate(xp, invalid="ignore", divide="ignore"):  # nan/inf outside the domain
            return xp.arctanh(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / (1 - x * x)


asin = E._unary(Asin, "asin")
acos = E._unary(Acos, "acos")
atan = E._unary(Atan, "atan")
sinh = E._unary(Sinh, "sinh")
cosh = E._unary(Cosh, "cosh")
asinh = E._unary(Asinh, "asinh")
acosh = E._unary(Acosh, "acosh")
atanh = E._unary(Atanh, "atanh")
arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh


def deg2rad(input):
    """Degrees to radians: input * pi / 180 (integers become the default float dtype)."""
    return E.mul(E._float_in(input, "deg2rad"), math.pi / 180.0)


def rad2deg(input):
    """Radians to degrees: input * 180 / pi (integers become the default float dtype)."""
    return E.mul(E._float_in(input, "rad2deg"), 180.0 / math.pi)


# ---------------------------------------------------------------------------- binary


def float_pair(input, other, name, ints=True):
    """Both operands (tensors, as PyTorch requires) at their common float dtype.

    ``ints=False`` refuses integer operands the way PyTorch's kernels do.
    """
    for n, v in (("input", input), ("other", other)):
        if not isinstance(v, Tensor):
            raise TypeError(f"{name}(): argument '{n}' must be Tensor, not {type(v).__name__}")
    a, b = binary_args(input, other, name)
    if a._data.dtype.kind != "f":
        if not ints:
            raise NotImplementedError(f'"{name}" not implemented for integer or bool tensors '
                                      f"({a.dtype}); convert them to a floating dtype first")
        dt = float_dtype_for(a)
        a, b = a.to(dt), b.to(dt)
    return a, b


def apply_binary(cls, a, b, name):
    """``cls.apply(a, b)`` with PyTorch's broadcasting error."""
    try:
        return cls.apply(a, b)
    except ValueError as exc:
        err = broadcast_error(name, a, b)
        if err is None:
            raise
        raise err from exc


class Atan2(Op):
    """The angle of the point (other, input): atan2(a, b).

    Backward: (g b / (a^2 + b^2), -g a / (a^2 + b^2)).
    """

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return xp_of(a).arctan2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        n = ctx.needs_input_grad
        r = g / (a * a + b * b)
        return (r * b if n[0] else None), (-r * a if n[1] else None)


class Hypot(Op):
    """sqrt(a^2 + b^2) without overflow. Backward: (g a / out, g b / out)."""

    @staticmethod
    def forward(ctx, a, b):
        out = xp_of(a).hypot(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        n = ctx.needs_input_grad
        r = g / out
        return (r * a if n[0] else None), (r * b if n[1] else None)


def atan2(input, other):
    """Elementwise arctangent of input / other, in the quadrant of the point (other, input)."""
    if amp_state.on:
        return autocast_call("atan2", atan2, input, other)
    a, b = float_pair(input, other, "atan2")
    return apply_binary(Atan2, a, b, "atan2")


arctan2 = atan2


def hypot(input, other):
    """Elementwise sqrt(input^2 + other^2) (floating tensors)."""
    a, b = float_pair(input, other, "hypot", ints=False)
    return apply_binary(Hypot, a, b, "hypot")
