"""Special functions: the gamma family, the error function family, Bessel functions I0/I1,
the normal distribution's CDF and quantile, xlogy, sinc, entropy, logit.

Each differentiable function is an Op whose forward runs a kernel of
``_specfun.py`` (vectorised, NumPy/CuPy alike, no SciPy) in float64 and casts
back to the input's dtype, and whose backward is written with ember ops (the
derivative of ``lgamma`` is ``digamma``, of ``digamma`` ``polygamma(1, .)``...),
so gradients of any order follow. Integer and bool inputs become the default
float dtype, as in PyTorch. ``ember.special`` exposes these under
``torch.special``'s names; the ones PyTorch also has at the top level are
exported from here.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from .. import backend
from ..autograd.function import Op
from ..tensor import Tensor
from ._autocast import amp_state, autocast_call
from . import _gamma as G
from . import _specfun as K
from . import elementwise as E
from ._util import as_tensor_arg, binary_args, float_dtype_for, xp_of
from .trig import apply_binary

__all__ = ["lgamma", "digamma", "polygamma", "mvlgamma", "erfc", "erfinv", "i0", "sinc",
           "logit", "xlogy", "igamma", "igammac"]

_F64 = np.dtype(np.float64)


def _run(kernel, x, *args):
    """``kernel`` on ``x`` computed in float64, returned in ``x``'s dtype."""
    if x.dtype == _F64:
        return kernel(x, *args)
    return kernel(x.astype(_F64), *args).astype(x.dtype)


def _f(input, name):
    return E._float_in(input, name)


# ---------------------------------------------------------------------------- gamma family


class Lgamma(Op):
    """log |Gamma(x)|. Backward: g digamma(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _run(G.lgamma, x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * digamma(x)


class Digamma(Op):
    """psi(x) = d/dx log Gamma(x). Backward: g polygamma(1, x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _run(G.digamma, x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * polygamma(1, x)


class Polygamma(Op):
    """psi^(n)(x), the n-th derivative of digamma (n >= 1). Backward: g psi^(n+1)(x)."""

    @staticmethod
    def forward(ctx, x, n):
        ctx.save_for_backward(x)
        ctx.n = n
        return _run(lambda a: G.polygamma(n, a), x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * polygamma(ctx.n + 1, x), None


def lgamma(input):
    """The natural log of the absolute value of the gamma function."""
    return Lgamma.apply(_f(input, "lgamma"))


def digamma(input):
    """The logarithmic derivative of the gamma function (-inf at 0, nan at negative integers)."""
    return Digamma.apply(_f(input, "digamma"))


def polygamma(n, input):
    """The n-th derivative of the digamma function; ``polygamma(0, x)`` is ``digamma(x)``."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    if n == 0:
        return digamma(input)
    return Polygamma.apply(_f(input, "polygamma"), int(n))


def mvlgamma(input, p):
    """The multivariate log-gamma function of dimension ``p``:
    p (p - 1) / 4 log(pi) + sum_{i < p} lgamma(x - i / 2)."""
    if isinstance(p, bool) or not isinstance(p, numbers.Integral):
        raise TypeError(f"mvlgamma(): argument 'p' must be int, not {type(p).__name__}")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = _f(input, "mvlgamma")
    xp = xp_of(x._data)
    halves = as_tensor_arg(xp.arange(p, dtype=x._data.dtype) * -0.5)
    terms = lgamma(E.add(x.unsqueeze(-1), halves)).sum(-1)
    return E.add(terms, p * (p - 1) / 4 * math.log(math.pi))


# ---------------------------------------------------------------------------- error function


class Erfc(Op):
    """1 - erf(x), accurate where erf(x) is near 1. Backward: -g 2/sqrt(pi) e^(-x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _run(K.erfc, x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (-2.0 / math.sqrt(math.pi)) * E.exp(-(x * x))


class Erfcx(Op):
    """e^(x^2) erfc(x). Backward: g (2 x out - 2/sqrt(pi))."""

    @staticmethod
    def forward(ctx, x):
        out = _run(K.erfcx, x)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return g * (2 * x * out - 2.0 / math.sqrt(math.pi))


class Erfinv(Op):
    """The inverse of erf on [-1, 1]. Backward: g sqrt(pi)/2 e^(out^2)."""

    @staticmethod
    def forward(ctx, x):
        out = _run(K.erfinv, x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * (0.5 * math.sqrt(math.pi)) * E.exp(out * out)


class Ndtr(Op):
    """The standard normal CDF. Backward: g e^(-x^2/2) / sqrt(2 pi)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _run(K.ndtr, x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * E.exp(x * x * -0.5) * (1.0 / math.sqrt(2 * math.pi))


class Ndtri(Op):
    """The standard normal quantile (inverse of ndtr). Backward: g sqrt(2 pi) e^(out^2/2)."""

    @staticmethod
    def forward(ctx, x):
        out = _run(K.ndtri, x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * math.sqrt(2 * math.pi) * E.exp(out * out * 0.5)


class LogNdtr(Op):
    """log ndtr(x), accurate in both tails. Backward: g e^(-(out + x^2/2)) / sqrt(2 pi)."""

    @staticmethod
    def forward(ctx, x):
        out = _run(K.log_ndtr, x)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return g * E.exp(-(out + x * x * 0.5)) * (1.0 / math.sqrt(2 * math.pi))


def erfc(input):
    """The complementary error function 1 - erf(x)."""
    return Erfc.apply(_f(input, "erfc"))


def erfcx(input):
    """The scaled complementary error function e^(x^2) erfc(x)."""
    return Erfcx.apply(_f(input, "erfcx"))


def erfinv(input):
    """The inverse error function (inf at +-1, nan outside [-1, 1])."""
    if amp_state.on:
        return autocast_call("erfinv", erfinv, input)
    return Erfinv.apply(_f(input, "erfinv"))


def ndtr(input):
    """The standard normal CDF: the area under the Gaussian density from -inf to x."""
    return Ndtr.apply(_f(input, "ndtr"))


def ndtri(input):
    """The x with ndtr(x) = p: the standard normal quantile function."""
    return Ndtri.apply(_f(input, "ndtri"))


def log_ndtr(input):
    """log of the standard normal CDF, finite far into the left tail."""
    return LogNdtr.apply(_f(input, "log_ndtr"))


# ---------------------------------------------------------------------------- Bessel functions


def _eps(t):
    return float(np.finfo(t._data.dtype).eps) if t._data.dtype.kind == "f" else 2.2e-16


class I0(Op):
    """The modified Bessel function of the first kind, order 0. Backward: g i1(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _run(K.i0, x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * i1(x)


class I0e(Op):
    """e^-|x| I0(x). Backward: g (i1e(x) - sign(x) out)."""

    @staticmethod
    def forward(ctx, x):
        out = _run(K.i0e, x)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return g * (i1e(x) - E.sign(x) * out)


class I1(Op):
    """The modified Bessel function of the first kind, order 1.

    Backward: g (i0(x) - out / x), and g / 2 at x = 0.
    """

    @staticmethod
    def forward(ctx, x):
        out = _run(K.i1, x)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        eps = _eps(x)
        big = E.abs(x) > eps
        safe = E.where(big, x, eps)
        return g * E.where(big, i0(safe) - out / safe, 0.5)


class I1e(Op):
    """e^-|x| I1(x). Backward: g (i0e(x) - out (sign(x) + 1/x)), and g / 2 at x = 0."""

    @staticmethod
    def forward(ctx, x):
        out = _run(K.i1e, x)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        eps = _eps(x)
        big = E.abs(x) > eps
        safe = E.where(big, x, eps)
        return g * E.where(big, i0e(safe) - out * (E.sign(safe) + E.reciprocal(safe)), 0.5)


def i0(input):
    """The modified Bessel function of the first kind, order 0."""
    return I0.apply(_f(input, "i0"))


def i0e(input):
    """The exponentially scaled modified Bessel function of order 0: e^-|x| I0(x)."""
    return I0e.apply(_f(input, "i0e"))


def i1(input):
    """The modified Bessel function of the first kind, order 1."""
    return I1.apply(_f(input, "i1"))


def i1e(input):
    """The exponentially scaled modified Bessel function of order 1: e^-|x| I1(x)."""
    return I1e.apply(_f(input, "i1e"))


# ---------------------------------------------------------------------------- elementary


class Sinc(Op):
    """sin(pi x) / (pi x), 1 at 0. Backward: g (cos(pi x) pi x - sin(pi x)) / (pi x^2), 0 at 0."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        xp = xp_of(x)
        with backend.errstate(xp, all="ignore"):
            out = K.sinpi(x) / (math.pi * x)
        return xp.asarray(xp.where(x == 0, 1.0, out), dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        zero = x == 0
        safe = E.where(zero, 1.0, x)
        px = safe * math.pi
        return g * E.where(zero, 0.0, (E.cos(px) * px - E.sin(px)) / (px * safe))


class Entr(Op):
    """The elementwise entropy -x log x (0 at 0, -inf for x < 0). Backward: -g (1 + log x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        xp = xp_of(x)
        with backend.errstate(xp, all="ignore"):
            return xp.asarray(xp.where(x < 0, -xp.inf, xp.where(x == 0, 0.0, -x * xp.log(x))),
                              dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return -g * (E.log(x) + 1)


class Logit(Op):
    """log(z / (1 - z)) with z = x, or x clamped to [eps, 1 - eps].

    Backward: g / (x (1 - x)); 0 outside [eps, 1 - eps] when eps is given, nan outside
    [0, 1] when it is not (PyTorch's convention).
    """

    @staticmethod
    def forward(ctx, x, eps):
        ctx.save_for_backward(x)
        ctx.eps = eps
        xp = xp_of(x)
        z = x if eps is None else xp.clip(x, eps, 1 - eps)
        with backend.errstate(xp, all="ignore"):
            return xp.log(z / (1 - z))

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        eps = ctx.eps
        d = g / (x * (1 - x))
        if eps is None:
            return E.where((x < 0) | (x > 1), float("nan"), d), None
        return E.where((x < eps) | (x > 1 - eps), 0.0, d), None


def sinc(input):
    """The normalized sinc function sin(pi x) / (pi x) (1 at 0)."""
    return Sinc.apply(_f(input, "sinc"))


def entr(input):
    """The elementwise entropy: -x log(x) for x > 0, 0 at 0, -inf for x < 0."""
    return Entr.apply(_f(input, "entr"))


def logit(input, eps=None):
    """The log-odds log(p / (1 - p)); with ``eps``, p is first clamped to [eps, 1 - eps]."""
    return Logit.apply(_f(input, "logit"), None if eps is None else float(eps))


def expit(input):
    """The logistic sigmoid 1 / (1 + e^-x)."""
    return E.sigmoid(input)


# ---------------------------------------------------------------------------- two arguments


def float_operands(input, other, name):
    """Both operands as tensors of their common float dtype (numbers allowed for either one)."""
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, {type(other).__name__}): one of them must "
                        "be a Tensor")
    a, b = binary_args(input, other, name)
    ref = a if isinstance(a, Tensor) else b
    dt = float_dtype_for(ref)
    out = []
    for v in (a, b):
        if not isinstance(v, Tensor):
            v = as_tensor_arg(xp_of(ref._data).asarray(v, dtype=dt))
        out.append(v if v._data.dtype == dt else v.to(dt))
    return out


class Xlogy(Op):
    """x log y, 0 where x = 0 (unless y is nan). Backward: (g xlogy(x != 0, y), g x / y)."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        xp = xp_of(x)
        with backend.errstate(xp, all="ignore"):
            return xp.where((x == 0) & ~xp.isnan(y), 0.0, x * xp.log(y)).astype(x.dtype)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        n = ctx.needs_input_grad
        return (g * xlogy((x != 0).to(x.dtype), y) if n[0] else None,
                g * x / y if n[1] else None)


class Xlog1py(Op):
    """x log(1 + y), 0 where x = 0 (unless y is nan).

    Backward: (g xlog1py(x != 0, y), g x / (1 + y)).
    """

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        xp = xp_of(x)
        with backend.errstate(xp, all="ignore"):
            return xp.where((x == 0) & ~xp.isnan(y), 0.0, x * xp.log1p(y)).astype(x.dtype)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        n = ctx.needs_input_grad
        return (g * xlog1py((x != 0).to(x.dtype), y) if n[0] else None,
                g * x / (y + 1) if n[1] else None)


def xlogy(input, other):
    """input * log(other), with 0 where input is 0 (entropy-style terms)."""
    a, b = float_operands(input, other, "xlogy")
    return apply_binary(Xlogy, a, b, "xlogy")


def xlog1py(input, other):
    """input * log1p(other), with 0 where input is 0."""
    a, b = float_operands(input, other, "xlog1py")
    return apply_binary(Xlog1py, a, b, "xlog1py")


def _not_implemented(what):
    raise NotImplementedError(f"the derivative for '{what}' is not implemented.")


class Zeta(Op):
    """The Hurwitz zeta function sum_k (q + k)^-x.

    Backward: w.r.t. q, -g x zeta(x + 1, q); w.r.t. x not implemented (as in PyTorch).
    """

    @staticmethod
    def forward(ctx, x, q):
        ctx.save_for_backward(x, q)
        return _run2(G.zeta, x, q)

    @staticmethod
    def backward(ctx, g):
        x, q = ctx.saved_tensors
        n = ctx.needs_input_grad
        if n[0]:
            _not_implemented("zeta")
        return None, (-g * x * zeta(x + 1, q) if n[1] else None)


def _run2(kernel, a, b):
    if a.dtype == _F64:
        return kernel(a, b)
    return kernel(a.astype(_F64), b.astype(_F64)).astype(a.dtype)


def zeta(input, other):
    """The Hurwitz zeta function zeta(x, q) = sum_{k >= 0} (q + k)^-x (x = input, q = other)."""
    a, b = float_operands(input, other, "zeta")
    return apply_binary(Zeta, a, b, "zeta")


class Igamma(Op):
    """The regularized lower incomplete gamma function P(a, x).

    Backward: w.r.t. x, g x^(a-1) e^-x / Gamma(a); w.r.t. a not implemented (as in PyTorch).
    """

    @staticmethod
    def forward(ctx, a, x):
        ctx.save_for_backward(a, x)
        return _run2(G.gammainc, a, x)

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        n = ctx.needs_input_grad
        if n[0]:
            _not_implemented("igamma: input")
        return None, (g * E.exp((a - 1) * E.log(x) - x - lgamma(a)) if n[1] else None)


class Igammac(Op):
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x).

    Backward: w.r.t. x, -g x^(a-1) e^-x / Gamma(a); w.r.t. a not implemented (as in PyTorch).
    """

    @staticmethod
    def forward(ctx, a, x):
        ctx.save_for_backward(a, x)
        return _run2(G.gammaincc, a, x)

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        n = ctx.needs_input_grad
        if n[0]:
            _not_implemented("igammac: input")
        return None, (-g * E.exp((a - 1) * E.log(x) - x - lgamma(a)) if n[1] else None)


def igamma(input, other):
    """The regularized lower incomplete gamma function P(input, other)."""
    a, x = float_operands(input, other, "igamma")
    _no_ints(input, other, "igamma")
    return apply_binary(Igamma, a, x, "igamma")


def igammac(input, other):
    """The regularized upper incomplete gamma function Q(input, other) = 1 - P(input, other)."""
    a, x = float_operands(input, other, "igammac")
    _no_ints(input, other, "igammac")
    return apply_binary(Igammac, a, x, "igammac")


def _no_ints(a, b, name):
    if all(not isinstance(v, Tensor) or v._data.dtype.kind != "f" for v in (a, b)):
        raise NotImplementedError(f'"{name}" not implemented for integer tensors; convert them '
                                  "to a floating dtype first")
