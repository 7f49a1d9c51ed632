"""The gamma family on raw arrays: ``lgamma``, ``digamma``, ``polygamma``, the Hurwitz ``zeta``
function and the regularized incomplete gamma functions (kernels behind ``ops.specfun``).

Like ``_specfun.py``: float64 arrays of any array module in and out, whole-array operations,
no SciPy.

* ``lgamma``: ``lgamma(x) / (x - 2)`` as a Chebyshev series on ``[1.5, 2.5]`` (so the zeros
  at 1 and 2 keep their relative accuracy), recurrences into that interval below 13,
  Stirling's series above, the reflection formula below -10.
* ``digamma``: ``digamma(x) / (x - x0)`` as a Chebyshev series on ``[1, 2]``, ``x0`` its
  positive root; recurrences into it below 10, the asymptotic series above, reflection for
  x < 0.
* ``polygamma(n, x) = (-1)^(n+1) n! zeta(n + 1, x)``, the Hurwitz zeta function by the
  Euler-Maclaurin sum; for x < 0 the reflection formula with the n-th derivative of cot.
* ``gammainc``/``gammaincc``: the power series of ``P(a, x)``, Legendre's continued fraction
  of ``Q(a, x)`` and, for small x, a series of ``Q`` free of the cancellation in ``1 - P``
  (the regions as in Cephes); the prefactor ``x^a e^-x / Gamma(a)`` is taken from
  Stirling's series for a >= 10, so that it keeps its accuracy when a and x are large and
  close. The series need about 9 sqrt(a) steps near x = a.

Chebyshev coefficients: computed for ember at 50 digits (mpmath), cut below 1e-18.
"""
from __future__ import annotations

import math

from .. import backend
from ._specfun import _cheb, _ignore, cotpi, sinpi
from ._util import xp_of

_LOG_PI = math.log(math.pi)
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)

_LGAMMA = (
    0.41418612492156676, 0.16322170068760064, -0.008658972394126285, 0.0006727515726001485,
    -6.139556963628233e-05, 6.110065797003576e-06, -6.410003033826223e-07,
    6.962242692768951e-08, -7.747248733788217e-09, 8.774075140687239e-10,
    -1.0070266869830198e-10, 1.1678602130652374e-11, -1.3656871334744932e-12,
    1.6079351149711552e-13, -1.9039501088488732e-14, 2.2653768767833064e-15,
    -2.706656814831896e-16, 3.245660731626191e-17, -3.904483378457447e-18,
)
_DIGAMMA = (
    0.983570260441567, -0.2270640863346444, 0.03336889902393011, -0.005320077271596548,
    0.0008788656937820505, -0.00014773492650606044, 2.5060543468359146e-05,
    -4.2721034029993324e-06, 7.302769272465923e-07, -1.2502886813559594e-07,
    2.1425009322359472e-08, -3.673295918565179e-09, 6.299717236108931e-10,
    -1.080593028883266e-10, 1.853735192053638e-11, -3.18023536582553e-12, 5.456147570322795e-13,
    -9.360993131036438e-14, 1.606064636295075e-14, -2.7555431377438815e-15,
    4.727736178601912e-16, -8.11148420346509e-17, 1.391707769474154e-17,
    -2.3877901082188625e-18,
)


# ---------------------------------------------------------------------------- gamma family


_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156,
             -3617 / 122400)


def _stirling_tail(x):
    """lgamma(x) - ((x - 1/2) log x - x + log(2 pi) / 2) for x >= 10."""
    r = 1.0 / x
    r2 = r * r
    s = _STIRLING[-1]
    for c in _STIRLING[-2::-1]:
        s = s * r2 + c
    return s * r


def _steps(z, lo, hi):
    """How many unit steps bring every finite element of z into [lo, hi) (at most 12)."""
    xp = xp_of(z)
    if not z.size:
        return 0
    fin = xp.isfinite(z)
    zmin = float(xp.where(fin, z, lo).min())
    zmax = float(xp.where(fin, z, lo).max())
    up = math.ceil(lo - zmin) if zmin < lo else 0
    down = math.floor(zmax - hi) + 1 if zmax >= hi else 0
    return min(12, max(up, down))


def _lgamma_pos(x):
    """lgamma(x) for x >= -10 (not at a pole): shifted into [1.5, 2.5) or Stirling beyond 13."""
    xp = xp_of(x)
    z = xp.where((x >= 13.0) | xp.isinf(x), 2.0, x)
    up = xp.ones_like(x)  # product of the shifts up: Gamma(x) = Gamma(z) / up
    down = xp.ones_like(x)  # and down: Gamma(x) = Gamma(z) * down
    shift = xp.zeros_like(x)  # z = x + shift
    for _ in range(_steps(z, 1.5, 2.5)):
        lo, hi = z < 1.5, z >= 2.5
        up = xp.where(lo, up * z, up)
        z = xp.where(lo, z + 1.0, xp.where(hi, z - 1.0, z))
        shift = shift + lo - hi
        down = xp.where(hi, down * z, down)
    t = x - (2.0 - shift)  # z - 2, exact (z itself may have been rounded)
    t = xp.where(x >= 13.0, 0.0, t)
    core = t * _cheb(_LGAMMA, t + t)
    with _ignore(xp):
        # one step up from [0.5, 1.5): log|x| = log1p(x - 1) keeps lgamma's zero at 1 exact
        log_up = xp.where(shift == 1, xp.log1p(x - 1.0), xp.log(xp.abs(up)))
        small = core - log_up + xp.log(down)
        xs = xp.maximum(x, 13.0)
        big = (xs - 0.5) * xp.log(xs) - xs + _HALF_LOG_2PI + _stirling_tail(xs)
    return xp.where(x >= 13.0, big, small)


def lgamma(x):
    """log |Gamma(x)| (inf at the poles 0, -1, -2, ... and at +-inf)."""
    xp = xp_of(x)
    refl = x < -10.0
    pos = _lgamma_pos(xp.where(refl, 1.0 - x, x))  # lgamma(1 - x) where reflecting
    with _ignore(xp):
        r = _LOG_PI - xp.log(xp.abs(sinpi(x))) - pos
    out = xp.where(refl, r, pos)
    pole = (x <= 0) & (x == xp.floor(x))
    return xp.where(pole | xp.isinf(x), xp.inf, out)


_X0_HI, _X0_LO = 1.4616321449683622, 9.549995429965697e-17  # digamma's positive root
_PSI_ASYM = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12, -3617 / 8160)


def _digamma_pos(x):
    """digamma(x) for x > 0."""
    xp = xp_of(x)
    z = xp.where(x >= 10.0, 1.5, x)
    acc = xp.zeros_like(x)
    with _ignore(xp):
        below = z < 1.0  # one step up: psi(x) = psi(x + 1) - 1/x
        acc = xp.where(below, -1.0 / z, acc)
        z = xp.where(below, z + 1.0, z)
        for _ in range(_steps(z, 1.0, 2.0)):  # down into [1, 2]: psi(x) = psi(x - 1) + 1/(x - 1)
            hi = z > 2.0
            z = xp.where(hi, z - 1.0, z)
            acc = xp.where(hi, acc + 1.0 / z, acc)
        core = ((z - _X0_HI) - _X0_LO) * _cheb(_DIGAMMA, 2.0 * z - 3.0)
        xs = xp.maximum(x, 10.0)
        r2 = 1.0 / (xs * xs)
        s = _PSI_ASYM[-1]
        for c in _PSI_ASYM[-2::-1]:
            s = s * r2 + c
        big = xp.log(xs) - 0.5 / xs - s * r2
    return xp.where(x >= 10.0, big, core + acc)


def digamma(x):
    """The logarithmic derivative of Gamma (-inf at 0, +inf at -0, nan at negative integers)."""
    xp = xp_of(x)
    neg = x < 0
    pos = _digamma_pos(xp.where(neg, 1.0 - x, xp.where(x == 0, 1.0, x)))
    with _ignore(xp):
        out = xp.where(neg, pos - math.pi * cotpi(x), pos)  # psi(x) = psi(1 - x) - pi cot(pi x)
        out = xp.where(neg & (x == xp.floor(x)), xp.nan, out)
        out = xp.where(x == 0, xp.where(xp.signbit(x), xp.inf, -xp.inf), out)
    return xp.where(xp.isposinf(x), xp.inf, out)


# Bernoulli numbers B_2j / (2j)! for the Euler-Maclaurin tail of the Hurwitz zeta function
_BERN = tuple(float(b) for b in (
    1 / 12, -1 / 720, 1 / 30240, -1 / 1209600, 1 / 47900160, -691 / 1307674368000,
    1 / 74724249600, -3617 / 10670622842880000, 43867 / 5109094217170944000,
    -174611 / 802857662698291200000, 77683 / 14101100039391805440000,
    -236364091 / 1693824136731743669452800000))


def zeta_pos(s, q):
    """The Hurwitz zeta function sum_k (q + k)^-s for q > 0, s > 1 (s an array or a number)."""
    xp = xp_of(q)
    s_max = float(s if isinstance(s, (int, float)) else s.max()) if getattr(s, "size", 1) else 2.0
    q_min = float(xp.where(xp.isnan(q), xp.inf, q).min()) if q.size else math.inf
    n = max(0, math.ceil(12.0 + min(s_max, 1e4) - q_min)) if math.isfinite(q_min) else 0
    with _ignore(xp):
        total = xp.zeros_like(q)
        for k in range(n):
            total = total + (q + k) ** (-s)
        a = q + n
        w = a ** (-s)
        total = total + a ** (1.0 - s) / (s - 1.0) + 0.5 * w  # a^(1-s) apart: a w may underflow
        p = s * w / a
        inv2 = 1.0 / (a * a)
        for j, b in enumerate(_BERN, start=1):
            total = total + b * p
            p = p * (s + 2 * j - 1) * (s + 2 * j) * inv2
    return total


def _cot_derivative_poly(n):
    """Integer coefficients (lowest first) of P_n with d^n/dy^n cot(y) = P_n(cot y)."""
    p = [0, 1]
    for _ in range(n):
        dp = [k * p[k] for k in range(1, len(p))]  # P'
        out = [0] * (len(dp) + 2)
        for k, c in enumerate(dp):  # -(1 + c^2) P'
            out[k] -= c
            out[k + 2] -= c
        p = out
    return p


def polygamma(n: int, x):
    """The n-th derivative of digamma (n >= 1): (-1)^(n+1) n! zeta(n + 1, x)."""
    xp = xp_of(x)
    fact = float(math.factorial(n)) if n <= 170 else math.inf
    sign = 1.0 if n % 2 else -1.0
    neg = x < 0
    xr = xp.where(neg, 1.0 - x, xp.where(x == 0, 1.0, x))
    with _ignore(xp):
        pos = sign * fact * zeta_pos(n + 1.0, xr)
        # reflection: psi_n(x) = (-1)^n psi_n(1 - x) - pi^(n+1) P_n(cot(pi x))
        c = cotpi(xp.where(neg, x, 0.5))
        poly = xp.zeros_like(x)
        for coef in _cot_derivative_poly(n)[::-1]:
            poly = poly * c + float(coef)
        refl = (1.0 if n % 2 == 0 else -1.0) * pos - math.pi ** (n + 1) * poly
        out = xp.where(neg, refl, pos)
        pole = (x <= 0) & (x == xp.floor(x))
        out = xp.where(pole, xp.inf if n % 2 else -xp.inf, out)  # PyTorch's values
    out = xp.where(xp.isposinf(x), 0.0, out)
    return xp.where(xp.isneginf(x), xp.nan, out)


# ---------------------------------------------------------------------------- zeta


def zeta(s, q):
    """The Hurwitz zeta function with PyTorch's (Cephes') conventions: inf at s = 1 and at
    q = 0, -1, -2, ...; nan for s < 1, and for q < 0 unless s is an integer."""
    xp = xp_of(q)
    s, q = xp.broadcast_arrays(s, q)
    with _ignore(xp):
        good = (s > 1) & (q > 0) & ~xp.isinf(s)
        out = zeta_pos(xp.where(good, s, 2.0), xp.where(good, q, 1.0))
        # q < 0 with an integer s: zeta(s, q) = (-1)^s psi^(s-1)(q) / (s-1)!, one s at a time
        neg = (s > 1) & (q < 0) & (q != xp.floor(q)) & (s == xp.floor(s)) & ~xp.isinf(s)
        if bool(neg.any()):
            for sv in backend.to_host(xp.unique(s[neg])).tolist():
                n = int(sv) - 1
                pick = neg & (s == sv)
                scale = (-1.0) ** (n + 1) / math.gamma(n + 1)
                val = polygamma(n, xp.where(pick, q, -0.5)) * scale
                out = xp.where(pick, val, out)
        out = xp.where(neg | good, out, xp.nan)
        out = xp.where((s > 1) & (q <= 0) & (q == xp.floor(q)), xp.inf, out)
        out = xp.where(xp.isinf(s) & (s > 0) & (q > 0),
                       xp.where(q > 1, 0.0, xp.where(q == 1, 1.0, xp.inf)), out)
        out = xp.where((s > 1) & xp.isposinf(q), 0.0, out)
    return xp.where(s == 1, xp.inf, out)


# ---------------------------------------------------------------------------- incomplete gamma


def _log1pmx(u):
    """log(1 + u) - u, accurate for small u (series in s = u / (2 + u) for |u| < 1/2)."""
    xp = xp_of(u)
    small = xp.abs(u) < 0.5
    us = xp.where(small, u, 0.0)
    s = us / (2.0 + us)
    s2 = s * s
    acc = xp.zeros_like(u)
    for k in range(19, 0, -1):  # sum_k s^(2k-2) / (2k+1)
        acc = acc * s2 + 1.0 / (2 * k + 1)
    series = -2.0 * s2 / (1.0 - s) + 2.0 * s * s2 * acc
    with _ignore(xp):
        direct = xp.log1p(u) - u
    return xp.where(small, series, direct)


def _lgamma1p(a):
    """lgamma(1 + a), accurate for small |a| (1 + a is never formed)."""
    xp = xp_of(a)
    small = xp.abs(a) < 0.5
    t = xp.where(small, a, 0.0)
    near = t * _cheb(_LGAMMA, t + t) - xp.log1p(t)  # lgamma(2 + a) - log(1 + a)
    return xp.where(small, near, lgamma(1.0 + a))


def _igam_log_prefactor(a, x):
    """log(x^a e^-x / Gamma(a)), through Stirling's series for a >= 10 so that it keeps its
    accuracy when a and x are large and close."""
    xp = xp_of(a)
    with _ignore(xp):
        direct = a * xp.log(x) - x - lgamma(a)
        ab = xp.maximum(a, 10.0)
        big = (ab * _log1pmx((x - ab) / ab) + 0.5 * xp.log(ab / (2 * math.pi))
               - _stirling_tail(ab))
    return xp.where(a >= 10.0, big, direct)


_EPS = 2.0 ** -53


def _iterate(step, live, a):
    """Call ``step()`` (which returns the elements not yet converged) until no element of
    ``live`` is left; the series and the continued fraction need ~ 9 sqrt(a) steps near x = a."""
    xp = xp_of(a)
    top = float(xp.where(live, a, 0.0).max()) if a.size else 0.0
    if not top < 1e10:
        raise NotImplementedError(
            "gammainc/gammaincc: a shape parameter a above 1e10 with x within a few sqrt(a) of a "
            "is not supported by ember (the series would need more than 1e6 steps)")
    for i in range(int(100 + 12 * math.sqrt(max(top, 1.0)))):
        busy = step()
        if i % 8 == 7 and not bool((busy & live).any()):
            return


def _p_series(a, x, lpre, live):
    """P(a, x) = x^a e^-x / Gamma(a + 1) sum_n x^n / ((a + 1) ... (a + n)); ``lpre`` is the log
    of the prefactor x^a e^-x / Gamma(a + 1)."""
    xp = xp_of(a)
    st = {"term": xp.ones_like(a), "sum": xp.ones_like(a), "ap": a}

    def step():
        st["ap"] = st["ap"] + 1.0
        st["term"] = st["term"] * (x / st["ap"])
        st["sum"] = st["sum"] + st["term"]
        return st["term"] > st["sum"] * _EPS

    _iterate(step, live, a)
    with _ignore(xp):
        return xp.exp(lpre) * st["sum"]


def _q_cf(a, x, lpre, live):
    """Q(a, x) by Legendre's continued fraction (modified Lentz), for x > a and x > 1."""
    xp = xp_of(a)
    tiny = 1e-300
    b = x + 1.0 - a
    st = {"b": b, "c": xp.full_like(a, 1.0 / tiny), "d": 1.0 / b, "h": 1.0 / b, "i": 0}

    def step():
        st["i"] += 1
        i = st["i"]
        an = -i * (i - a)
        st["b"] = st["b"] + 2.0
        d = an * st["d"] + st["b"]
        d = xp.where(xp.abs(d) < tiny, tiny, d)
        c = st["b"] + an / st["c"]
        c = xp.where(xp.abs(c) < tiny, tiny, c)
        st["d"] = d = 1.0 / d
        st["c"] = c
        delta = d * c
        st["h"] = st["h"] * delta
        return xp.abs(delta - 1.0) > _EPS

    _iterate(step, live, a)
    with _ignore(xp):
        return xp.exp(lpre) * st["h"]


def _q_small_x(a, x):
    """Q(a, x) for small x without the cancellation of 1 - P: 1 - x^a / Gamma(a + 1)
    + x^a / Gamma(a) sum_{n >= 1} (-x)^n / (n! (a + n))."""
    xp = xp_of(a)
    fac = xp.ones_like(a)
    total = xp.zeros_like(a)
    for n in range(1, 60):  # x <= 1.1: the terms fall below 2^-53 of the sum by n ~ 25
        fac = fac * (-x / n)
        total = total + fac / (a + n)
    with _ignore(xp):
        lx = xp.log(x)
        return -xp.expm1(a * lx - _lgamma1p(a)) - xp.exp(a * lx - lgamma(a)) * total


def _igam_args(a, x):
    xp = xp_of(a)
    a, x = xp.broadcast_arrays(a, x)
    ok = (a > 0) & (x > 0) & xp.isfinite(a) & xp.isfinite(x)
    return xp, a, x, ok, xp.where(ok, a, 1.0), xp.where(ok, x, 1.0)


def _igam_edges(xp, a, x, out, lower):
    """PyTorch's values where the series do not apply (zeros, infinities, negatives)."""
    one, zero = (1.0, 0.0) if lower else (0.0, 1.0)
    out = xp.where((a == 0) & (x > 0), one, out)
    out = xp.where((x == 0) & (a > 0), zero, out)
    out = xp.where(xp.isposinf(x) & xp.isfinite(a) & (a >= 0), one, out)
    out = xp.where(xp.isposinf(a) & xp.isfinite(x) & (x >= 0), zero, out)
    bad = (a < 0) | (x < 0) | ((a == 0) & (x == 0)) | (xp.isinf(a) & xp.isinf(x))
    return xp.where(bad | xp.isnan(a) | xp.isnan(x), xp.nan, out)


def _igam_parts(a, x):
    """The log-prefactors of P's series and Q's continued fraction, each with the mask of the
    elements where it does not underflow (elsewhere the result is 0 or 1 without a series)."""
    xp, a, x, ok, aa, xx = _igam_args(a, x)
    lq = _igam_log_prefactor(aa, xx)  # log(x^a e^-x / Gamma(a)), Q's continued fraction
    with _ignore(xp):  # log(x^a e^-x / Gamma(a + 1)), P's series; exact for tiny a too
        lp = xp.where(aa < 10.0, aa * xp.log(xx) - xx - _lgamma1p(aa), lq - xp.log(aa))
    return xp, a, x, ok, aa, xx, (lp, ok & (lp > -760.0)), (lq, ok & (lq > -760.0))


def gammainc(a, x):
    """The regularized lower incomplete gamma function P(a, x)."""
    xp, a, x, ok, aa, xx, (lp, live_p), (lq, live_q) = _igam_parts(a, x)
    cf = (xx > 1.0) & (xx > aa)
    q = _q_cf(aa, xp.where(cf, xx, aa + 2.0), xp.where(cf, lq, -800.0), live_q & cf)
    p = _p_series(aa, xp.where(cf, 0.5 * aa, xx), xp.where(cf, -800.0, lp), live_p & ~cf)
    out = xp.where(ok, xp.where(cf, 1.0 - q, p), 0.0)
    return _igam_edges(xp, a, x, out, True)


def gammaincc(a, x):
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x)."""
    xp, a, x, ok, aa, xx, (lp, live_p), (lq, live_q) = _igam_parts(a, x)
    small = (xx <= 1.1) & xp.where(xx <= 0.5, -0.4 / xp.log(xp.minimum(xx, 0.5)) >= aa,
                                    xx * 1.1 >= aa)
    cf = ~small & (xx >= aa)
    ser = ~small & ~cf
    q_cf = _q_cf(aa, xp.where(cf, xx, aa + 2.0), xp.where(cf, lq, -800.0), live_q & cf)
    p = _p_series(aa, xp.where(ser, xx, 0.5 * aa), xp.where(ser, lp, -800.0), live_p & ser)
    q_small = _q_small_x(aa, xp.where(small, xx, 0.5))
    out = xp.where(small, q_small, xp.where(cf, q_cf, 1.0 - p))
    return _igam_edges(xp, a, x, xp.where(ok, out, 0.0), False)
