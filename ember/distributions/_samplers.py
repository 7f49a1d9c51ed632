"""Random draws for the distributions, whole-array, from ember's generators.

``standard_gamma`` and ``dirichlet`` are differentiable through implicit
reparameterisation (Figurnov et al. 2018; Jankowiak & Obermeyer 2018): a draw x with CDF
F(x; a) moves with its parameter as dx/da = -(dF/da) / p(x; a). The partial derivatives of
the regularised incomplete gamma and beta functions are computed exactly (to double
precision) by carrying derivatives through their power series and continued fractions, with
the array module of the inputs. The other samplers (Poisson, binomial) have no gradient.
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd.function import Op, op_once_differentiable
from ..ops._util import xp_of
from ..tensor import Tensor, _wrap
from ._special import digamma_raw, lgamma_raw

_EPS = 1e-15
_CF_TOL = 1e-14
_MAX_ITER = 100_000


def rng_for(t: Tensor):
    """The raw generator (NumPy's, or the device's) that draws for tensors like ``t``."""
    return backend.generator_for(t.device).rng


def _f64(a):
    return a.astype(np.float64, copy=False)


# ---------------------------------------------------------------------------- gamma


def _gamma_series(xp, a, x):
    """S = sum_n x^n / ((a+1)...(a+n)) and dS/da (for x < a + 1)."""
    t = xp.ones_like(x)
    dt = xp.zeros_like(x)
    s, ds = t, dt
    for n in range(1, _MAX_ITER):
        r = x / (a + n)
        dt = (dt - t / (a + n)) * r
        t = t * r
        s, ds = s + t, ds + dt
        if not bool(((xp.abs(t) > _EPS * xp.abs(s)) | (xp.abs(dt) > _EPS * xp.abs(ds))).any()):
            break
    return s, ds


def _lentz_cf(xp, b0, db0, terms):
    """K = b0 + a1/(b1 + a2/(b2 + ...)) and dK/dp by the forward recurrence of numerators
    and denominators, rescaled each step; ``terms(n)`` gives (a_n, da_n, b_n, db_n). Each
    element keeps the values of the step where it converged (rounding then only wobbles)."""
    a_prev, da_prev = xp.ones_like(b0), xp.zeros_like(b0)      # A_{-1}
    b_prev, db_prev = xp.zeros_like(b0), xp.zeros_like(b0)     # B_{-1}
    a_cur, da_cur = b0, db0                                    # A_0
    b_cur, db_cur = xp.ones_like(b0), xp.zeros_like(b0)        # B_0
    h, dh = a_cur, da_cur
    done = xp.zeros(b0.shape, dtype=bool)
    for n in range(1, _MAX_ITER):
        an, dan, bn, dbn = terms(n)
        a_new = bn * a_cur + an * a_prev
        b_new = bn * b_cur + an * b_prev
        da_new = dbn * a_cur + bn * da_cur + dan * a_prev + an * da_prev
        db_new = dbn * b_cur + bn * db_cur + dan * b_prev + an * db_prev
        scale = xp.where(b_new != 0, 1.0 / b_new, 1.0)
        a_prev, da_prev, b_prev, db_prev = (a_cur * scale, da_cur * scale, b_cur * scale,
                                            db_cur * scale)
        a_cur, da_cur, b_cur, db_cur = a_new * scale, da_new * scale, b_new * scale, \
            db_new * scale
        h_new = a_cur / b_cur
        dh_new = (da_cur * b_cur - a_cur * db_cur) / (b_cur * b_cur)
        settled = (xp.abs(h_new - h) <= _CF_TOL * xp.abs(h_new)) & \
            (xp.abs(dh_new - dh) <= _CF_TOL * xp.abs(dh_new))
        h = xp.where(done, h, h_new)
        dh = xp.where(done, dh, dh_new)
        done = done | settled | ~xp.isfinite(h_new)
        if bool(done.all()):
            break
    return h, dh


def gamma_sample_grad_raw(a, x):
    """dx/da for a draw x of Gamma(a, 1): -(dP(a, x)/da) / p(x; a), P the regularised lower
    incomplete gamma function (float64 arrays)."""
    xp = xp_of(a)
    a, x = _f64(a), _f64(x)
    with backend.errstate(xp, divide="ignore", invalid="ignore", over="ignore",
                          under="ignore"):
        lo = x < a + 1
        # power series of P where x < a + 1: P = x^a e^-x / Gamma(a+1) S, and
        # [x^a e^-x / Gamma(a+1)] / p(x; a) = x / a
        xs = xp.where(lo, x, 0.5 * a)
        s, ds = _gamma_series(xp, a, xs)
        g_lo = -(xs / a) * ((xp.log(xs) - digamma_raw(a + 1)) * s + ds)
        # continued fraction of Q = 1 - P elsewhere: Q = x^a e^-x / Gamma(a) / K with
        # K = (x+1-a) - 1(1-a)/((x+3-a) - 2(2-a)/(...)); [x^a e^-x / Gamma(a)] / p = x
        xc = xp.where(lo, a + 2, x)

        def terms(n):
            return -n * (n - a), xp.full_like(a, float(n)), xc + 2 * n + 1 - a, -xp.ones_like(a)

        k, dk = _lentz_cf(xp, xc + 1 - a, -xp.ones_like(a), terms)
        c, dc = 1.0 / k, -dk / (k * k)
        g_hi = xc * ((xp.log(xc) - digamma_raw(a)) * c + dc)
        out = xp.where(lo, g_lo, g_hi)
        return xp.where(x > 0, out, 0.0)


def gammainc_raw(a, x):
    """The regularised lower incomplete gamma function P(a, x) (float64 arrays)."""
    xp = xp_of(a)
    a, x = _f64(a), _f64(x)
    with backend.errstate(xp, divide="ignore", invalid="ignore", over="ignore",
                          under="ignore"):
        lo = x < a + 1
        xs = xp.where(lo, x, 0.5 * a)
        s, _ = _gamma_series(xp, a, xs)
        p_lo = xp.exp(a * xp.log(xs) - xs - lgamma_raw(a + 1)) * s
        xc = xp.where(lo, a + 2, x)

        def terms(n):
            return -n * (n - a), xp.zeros_like(a), xc + 2 * n + 1 - a, xp.zeros_like(a)

        k, _ = _lentz_cf(xp, xc + 1 - a, xp.zeros_like(a), terms)
        p_hi = 1.0 - xp.exp(a * xp.log(xc) - xc - lgamma_raw(a)) / k
        out = xp.where(lo, p_lo, p_hi)
        out = xp.where(x <= 0, 0.0, out)
        return xp.where(xp.isinf(x) & (x > 0), 1.0, out)


class Gammainc(Op):
    """P(a, x), the regularised lower incomplete gamma function. Backward: dP/dx is the
    Gamma(a, 1) density; dP/da = -p(x; a) dx/da, from the implicit-gradient kernel."""

    @staticmethod
    def forward(ctx, a, x):
        ctx.save_for_backward(a, x)
        return gammainc_raw(a, x).astype(x.dtype, copy=False)

    @staticmethod
    @op_once_differentiable
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        xp = xp_of(x._data)
        ad, xd = _f64(a._data), _f64(x._data)
        with backend.errstate(xp, divide="ignore", invalid="ignore", under="ignore"):
            pdf = xp.exp((ad - 1) * xp.log(xd) - xd - lgamma_raw(ad))
            pdf = xp.where(xd > 0, pdf, 0.0)
        ga = gx = None
        if ctx.needs_input_grad[0]:
            dxda = gamma_sample_grad_raw(*xp.broadcast_arrays(ad, xd))
            ga = g * _wrap((-pdf * dxda).astype(x._data.dtype), False, None, 0)
        if ctx.needs_input_grad[1]:
            gx = g * _wrap(pdf.astype(x._data.dtype), False, None, 0)
        return ga, gx


def gammainc(a: Tensor, x: Tensor) -> Tensor:
    return Gammainc.apply(a, x)


class StandardGamma(Op):
    """Draws of Gamma(alpha, 1), differentiable in alpha by implicit reparameterisation."""

    @staticmethod
    def forward(ctx, alpha):
        xp = xp_of(alpha)
        raw = backend.generator_for(backend.device_of(alpha)).rng.standard_gamma(_f64(alpha))
        tiny = np.finfo(alpha.dtype).tiny
        out = xp.maximum(xp.asarray(raw).astype(alpha.dtype, copy=False), tiny)
        ctx.save_for_backward(alpha, out)
        return out

    @staticmethod
    @op_once_differentiable
    def backward(ctx, g):
        alpha, x = ctx.saved_tensors
        grad = gamma_sample_grad_raw(alpha._data, x._data).astype(x._data.dtype, copy=False)
        return g * _wrap(grad, False, None, 0)


def standard_gamma(alpha: Tensor) -> Tensor:
    return StandardGamma.apply(alpha)


# ---------------------------------------------------------------------------- beta / dirichlet


def _beta_cf(xp, a, b, x):
    """The continued fraction of I_x(a, b) = x^a (1-x)^b / (a B(a, b)) / K, with
    K = 1 + d1/(1 + d2/(1 + ...)), and dK/da, dK/db (x < (a+1)/(a+b+2))."""
    one = xp.ones_like(a)

    def d_terms(n):
        m = n // 2
        if n % 2:  # d_{2m+1} = -(a+m)(a+b+m) x / ((a+2m)(a+2m+1))
            num = -(a + m) * (a + b + m) * x
            den = (a + 2 * m) * (a + 2 * m + 1)
            dnum_a = -((a + b + m) + (a + m)) * x
            dnum_b = -(a + m) * x
            dden_a = (a + 2 * m + 1) + (a + 2 * m)
        else:  # d_{2m} = m(b-m) x / ((a+2m-1)(a+2m))
            num = m * (b - m) * x
            den = (a + 2 * m - 1) * (a + 2 * m)
            dnum_a = xp.zeros_like(a)
            dnum_b = m * x * one
            dden_a = (a + 2 * m) + (a + 2 * m - 1)
        d = num / den
        return d, (dnum_a * den - num * dden_a) / (den * den), dnum_b / den

    out = {}
    for which in ("a", "b"):
        def terms(n, which=which):
            d, dda, ddb = d_terms(n)
            return d, (dda if which == "a" else ddb), one, xp.zeros_like(a)

        out[which] = _lentz_cf(xp, one, xp.zeros_like(a), terms)
    k = out["a"][0]
    return k, out["a"][1], out["b"][1]


def beta_sample_grad_raw(x, a, b):
    """dx/da (b held fixed) for a draw x of Beta(a, b): -(dI_x(a, b)/da) / p(x; a, b)."""
    xp = xp_of(a)
    x, a, b = _f64(x), _f64(a), _f64(b)
    with backend.errstate(xp, divide="ignore", invalid="ignore", over="ignore",
                          under="ignore"):
        direct = x < (a + 1) / (a + b + 2)
        # I_x(a, b) directly: [x^a (1-x)^b / (a B)] / p(x; a, b) = x (1-x) / a
        k, dka, _ = _beta_cf(xp, a, b, xp.where(direct, x, 0.0))
        dlog_a = xp.log(x) - 1.0 / a - digamma_raw(a) + digamma_raw(a + b)
        g_direct = -(x * (1 - x) / a) * (dlog_a / k - dka / (k * k))
        # by symmetry I_x(a, b) = 1 - I_{1-x}(b, a): a is the second parameter there
        k2, _, dkb2 = _beta_cf(xp, b, a, xp.where(direct, 0.0, 1.0 - x))
        dlog_2 = xp.log(x) - digamma_raw(a) + digamma_raw(a + b)
        g_swap = (x * (1 - x) / b) * (dlog_2 / k2 - dkb2 / (k2 * k2))
        return xp.where(direct, g_direct, g_swap)


class Dirichlet(Op):
    """Draws of Dirichlet(concentration) (normalised gamma draws), differentiable in the
    concentration: x_i moves with a_j as (dx_i/da_i)|_{others fixed} / (1 - x_i) scaled by
    (delta_ij - x_j), the transport that keeps x on the simplex (PyTorch's)."""

    @staticmethod
    def forward(ctx, conc):
        xp = xp_of(conc)
        raw = backend.generator_for(backend.device_of(conc)).rng.standard_gamma(_f64(conc))
        g = xp.asarray(raw)
        tiny = np.finfo(conc.dtype).tiny
        x = g / g.sum(-1, keepdims=True)
        out = xp.clip(x, tiny, 1.0 - np.finfo(conc.dtype).eps).astype(conc.dtype, copy=False)
        ctx.save_for_backward(conc, out)
        return out

    @staticmethod
    @op_once_differentiable
    def backward(ctx, g):
        conc, x = ctx.saved_tensors
        total = conc._data.sum(-1, keepdims=True)
        xd = x._data
        grad = beta_sample_grad_raw(xd, conc._data, total - conc._data) / (1.0 - _f64(xd))
        grad = _wrap(grad.astype(xd.dtype, copy=False), False, None, 0)
        return grad * (g - (x * g).sum(-1, keepdim=True))


def dirichlet(concentration: Tensor) -> Tensor:
    return Dirichlet.apply(concentration)


# ---------------------------------------------------------------------------- discrete


def poisson(rate: Tensor) -> Tensor:
    """Poisson draws with the given rates, as floats of the rate's dtype."""
    raw = rng_for(rate).poisson(_f64(rate._data))
    return _wrap(xp_of(rate._data).asarray(raw).astype(rate._data.dtype), False, None, 0)


def binomial(count: Tensor, prob: Tensor) -> Tensor:
    """Binomial draws (count and prob broadcast together), as floats of prob's dtype."""
    xp = xp_of(prob._data)
    n, p = xp.broadcast_arrays(count._data, prob._data)
    raw = rng_for(prob).binomial(n.astype(np.int64), _f64(p))
    return _wrap(xp.asarray(raw).astype(prob._data.dtype), False, None, 0)
