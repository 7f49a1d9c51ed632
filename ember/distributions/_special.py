"""The special functions the distributions need, as differentiable ops: ``lgamma``,
``digamma``, ``polygamma(n, .)`` (n >= 1), ``mvlgamma``, ``erfinv``, ``xlogy`` and ``atan``.

Private to the package: each kernel works on raw NumPy/CuPy arrays (the array module comes
from the input) in float64 and returns the input's dtype. The gamma-family kernels shift the
argument up by the recurrence until an asymptotic series is accurate to double precision;
negative arguments go through the reflection formulas.
"""
from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..autograd.function import Op
from ..ops import elementwise as _ew
from ..ops._util import binary_args, xp_of
from ..tensor import Tensor

_LOG_2PI_HALF = 0.5 * math.log(2 * math.pi)
# B_2k for k = 1..10 (the asymptotic series of the polygamma functions)
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
              43867 / 798, -174611 / 330)
_SHIFT = 10.0  # arguments are raised above this before the asymptotic series is used


def _f64(x):
    return x.astype(np.float64, copy=False)


def _lgamma_pos(xp, x):
    """log Gamma(x) for x > 0 (float64): shifted up by the recurrence, then Stirling's series."""
    z, logprod = x, xp.zeros_like(x)
    while True:
        small = z < _SHIFT
        if not bool(small.any()):
            break
        logprod = logprod + xp.log(xp.where(small, z, 1.0))
        z = xp.where(small, z + 1.0, z)
    r = 1.0 / z
    r2 = r * r
    series = r * (1 / 12 + r2 * (-1 / 360 + r2 * (1 / 1260 + r2 * (-1 / 1680 + r2 * (
        1 / 1188 + r2 * (-691 / 360360 + r2 / 156))))))
    return (z - 0.5) * xp.log(z) - z + _LOG_2PI_HALF + series - logprod


def lgamma_raw(x):
    xp = xp_of(x)
    xd = _f64(x)
    with backend.errstate(xp, divide="ignore", invalid="ignore", over="ignore"):
        pos = xd > 0
        safe = xp.where(pos, xd, 1.0 - xd)  # the reflected argument 1 - x is >= 1 for x <= 0
        lg = _lgamma_pos(xp, safe)
        # reflection: lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x)
        sinpx = xp.abs(xp.sin(math.pi * (xd - xp.floor(xd))))
        refl = math.log(math.pi) - xp.log(sinpx) - lg
        out = xp.where(pos, lg, xp.where(xd == xp.floor(xd), xp.inf, refl))
        out = xp.where(xp.isinf(xd), xp.inf, out)
        out = xp.where(xp.isnan(xd), xp.nan, out)
    return out.astype(x.dtype, copy=False)


def _digamma_pos(xp, x):
    """digamma(x) for x > 0 (float64): shifted up by the recurrence, then the asymptotic
    series log z - 1/(2z) - sum B_2k / (2k z^2k)."""
    z, head = x, xp.zeros_like(x)
    while True:
        small = z < _SHIFT
        if not bool(small.any()):
            break
        head = head + xp.where(small, 1.0 / xp.where(small, z, 1.0), 0.0)
        z = xp.where(small, z + 1.0, z)
    r2 = 1.0 / (z * z)
    series = r2 * (1 / 12 - r2 * (1 / 120 - r2 * (1 / 252 - r2 * (1 / 240 - r2 * (
        1 / 132 - r2 * (691 / 32760 - r2 / 12))))))
    return xp.log(z) - 0.5 / z - series - head


def digamma_raw(x):
    xp = xp_of(x)
    xd = _f64(x)
    with backend.errstate(xp, divide="ignore", invalid="ignore", over="ignore"):
        pos = xd > 0
        safe = xp.where(pos, xd, 1.0 - xd)
        dg = _digamma_pos(xp, safe)
        # reflection: digamma(x) = digamma(1 - x) - pi / tan(pi x)
        frac = xd - xp.floor(xd)
        refl = dg - math.pi / xp.tan(math.pi * frac)
        out = xp.where(pos, dg, refl)
        out = xp.where(xd == 0, -xp.inf, out)  # PyTorch: digamma(0) = -inf
        out = xp.where((xd < 0) & (frac == 0), xp.nan, out)
        out = xp.where(xd == xp.inf, xp.inf, out)
        out = xp.where(xd == -xp.inf, xp.nan, out)
    return out.astype(x.dtype, copy=False)


def polygamma_raw(n, x):
    """psi^(n)(x) = (-1)^(n+1) n! sum_k 1/(x+k)^(n+1), for n >= 1."""
    if n == 0:
        return digamma_raw(x)
    xp = xp_of(x)
    xd = _f64(x)
    with backend.errstate(xp, divide="ignore", invalid="ignore", over="ignore"):
        bad = ~xp.isfinite(xd) | ((xd <= 0) & (xd == xp.floor(xd)))
        z = xp.where(bad, _SHIFT + n + 1.0, xd)
        head = xp.zeros_like(z)
        while True:
            small = z < _SHIFT + n  # the series' terms grow with n: start it further out
            if not bool(small.any()):
                break
            head = head + xp.where(small, xp.where(small, z, 1.0) ** (-(n + 1)), 0.0)
            z = xp.where(small, z + 1.0, z)
        # the tail sum_{k>=0} 1/(z+k)^(n+1) by Euler-Maclaurin:
        # z^-n / n + z^-(n+1) / 2 + sum_j B_2j (n+2j-1)! / ((2j)! n!) z^-(n+2j)
        tail = z ** (-n) / n + 0.5 * z ** (-(n + 1))
        coef = (n + 1) / 2.0
        for j, b2j in enumerate(_BERNOULLI, start=1):
            tail = tail + b2j * coef * z ** (-(n + 2 * j))
            coef = coef * (n + 2 * j) * (n + 2 * j + 1) / ((2 * j + 1) * (2 * j + 2))
        out = (-1.0) ** (n + 1) * math.factorial(n) * (head + tail)
        pole = (xd <= 0) & (xd == xp.floor(xd))
        out = xp.where(pole, xp.inf if n % 2 else -xp.inf, out)  # PyTorch's signs
        out = xp.where(xd == xp.inf, 0.0, out)
        out = xp.where(xp.isnan(xd) | (xd == -xp.inf), xp.nan, out)
    return out.astype(x.dtype, copy=False)


def _erf(xp, x):
    return backend.special(xp, "erf")(x)


def _erfc(xp, x):
    return backend.special(xp, "erfc")(x)


def _newton_erfinv(xp, x, a):
    """Refine x ~ erfinv(a) (0 <= a < 1) by Newton's method, each element with one special
    function per step: near 0 on erf(x) = a; for a > 1/2 on log erfc(x) = log(1 - a), which
    is nearly linear in x^2 and exact where 1 - a is tiny. Elements stop once converged."""
    slope = 2.0 / math.sqrt(math.pi)
    shape = x.shape
    x, a = x.reshape(-1).copy(), a.reshape(-1)
    for tail in (False, True):
        idx = xp.nonzero((a > 0.5) if tail else (a <= 0.5))[0]
        xs, target = x[idx], a[idx]
        log_c = xp.log(1.0 - target) if tail else None
        for _ in range(8):
            if xs.size == 0:
                break
            d = slope * xp.exp(-xs * xs)
            safe_d = xp.where(d > 0, d, 1.0)
            if tail:
                ec = _erfc(xp, xs)
                step = -(xp.log(xp.where(ec > 0, ec, 1.0)) - log_c) * ec / safe_d
            else:
                step = (_erf(xp, xs) - target) / safe_d
            step = xp.where(d > 0, step, 0.0)
            xs = xs - step
            x[idx] = xs
            going = xp.abs(step) > 1e-15 * xp.abs(xs)
            idx, xs = idx[going], xs[going]
            target = target[going]
            log_c = log_c[going] if tail else None
    return x.reshape(shape)


def erfinv_raw(y):
    """The inverse error function: Giles' single-precision approximation refined by Newton's
    method (the first guess is coarse beyond float32's range)."""
    xp = xp_of(y)
    yd = _f64(y)
    with backend.errstate(xp, divide="ignore", invalid="ignore", over="ignore"):
        a = xp.abs(yd)
        inside = a < 1
        a_in = xp.where(inside, a, 0.0)
        w = -xp.log((1.0 - a_in) * (1.0 + a_in))
        wc = w - 2.5
        p_c = 2.81022636e-08
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941):
            p_c = c + p_c * wc
        wt = xp.sqrt(w) - 3.0
        p_t = -0.000200214257
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                  -0.0076224613, 0.00943887047, 1.00167406, 2.83297682):
            p_t = c + p_t * wt
        x = xp.where(w < 5.0, p_c, p_t) * a_in
        x = _newton_erfinv(xp, x, a_in)
        out = xp.where(inside, x, xp.where(a == 1, xp.inf, xp.nan))
        out = xp.sign(yd) * out
        out = xp.where(xp.isnan(yd), xp.nan, out)
    return out.astype(y.dtype, copy=False)


# ---------------------------------------------------------------------------- ops


class Lgamma(Op):
    """log |Gamma(x)|. Backward: g digamma(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return lgamma_raw(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * Digamma.apply(x)


class Digamma(Op):
    """The logarithmic derivative of Gamma. Backward: g polygamma(1, x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return digamma_raw(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * Polygamma.apply(x, 1)


class Polygamma(Op):
    """The n-th derivative of digamma (n >= 1). Backward: g polygamma(n + 1, x)."""

    @staticmethod
    def forward(ctx, x, n):
        ctx.save_for_backward(x)
        ctx.n = n
        return polygamma_raw(n, x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * Polygamma.apply(x, ctx.n + 1), None


class Erfinv(Op):
    """The inverse of erf on (-1, 1). Backward: g sqrt(pi)/2 exp(out^2)."""

    @staticmethod
    def forward(ctx, y):
        out = erfinv_raw(y)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        return g * (0.5 * math.sqrt(math.pi)) * _ew.exp(out * out)


def _float(t):
    if not isinstance(t, Tensor):
        raise TypeError(f"expected a Tensor, got {type(t).__name__}")
    return t if t.is_floating_point() else t.to(backend.get_default_dtype())


def lgamma(input: Tensor) -> Tensor:
    return Lgamma.apply(_float(input))


def digamma(input: Tensor) -> Tensor:
    return Digamma.apply(_float(input))


def polygamma(n: int, input: Tensor) -> Tensor:
    if n == 0:
        return digamma(input)
    if n < 0:
        raise RuntimeError(f"polygamma(n, x) does not support negative n, got n = {n}")
    return Polygamma.apply(_float(input), int(n))


def mvlgamma(input: Tensor, p: int) -> Tensor:
    """The log of the multivariate gamma function of dimension p (composed from lgamma)."""
    return p * (p - 1) / 4 * math.log(math.pi) + sum(lgamma(input - i / 2) for i in range(p))


def erfinv(input: Tensor) -> Tensor:
    return Erfinv.apply(_float(input))


class Xlogy(Op):
    """x log y, 0 where x == 0 (unless y is nan). Backward: (g xlogy(x != 0, y), g x / y), as
    PyTorch's (so the gradient in y is nan at x = y = 0)."""

    @staticmethod
    def forward(ctx, x, y):
        xp = xp_of(x)
        ctx.save_for_backward(x, y)
        with backend.errstate(xp, divide="ignore", invalid="ignore"):
            return xp.where((x == 0) & ~xp.isnan(y), xp.zeros_like(x * y), x * xp.log(y))

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        n = ctx.needs_input_grad
        gx = g * Xlogy.apply((x != 0).to(x.dtype), y) if n[0] else None
        gy = g * x / y if n[1] else None
        return gx, gy


def xlogy(input: Tensor, other: Tensor) -> Tensor:
    input, other = binary_args(input, other, "xlogy")
    return Xlogy.apply(_float(input), _float(other))


class Atan(Op):
    """The inverse tangent. Backward: g / (1 + x^2)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return xp_of(x).arctan(x)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / (1 + x * x)


def atan(input: Tensor) -> Tensor:
    return Atan.apply(_float(input))
