"""The math functions against PyTorch: values over wide float64 grids and at the hard points
(0, -0, poles, infinities, nan), dtypes, errors, in-place forms, and ``ember.special`` name by
name against ``torch.special``.

Where PyTorch's own float64 result is known to be inexact (trigamma, ndtr's left tail,
gammainc for tiny ``a``), ember is checked against identities computed with other PyTorch
functions instead, and the grids below leave those points out of the direct comparison.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import ember

from ._libs import LIBS, needs_torch, torch
from ._libs import as_np as _np

pytestmark = needs_torch
INF, NAN = math.inf, math.nan
RNG = np.random.default_rng(20261207)
HARD = np.array([0.0, -0.0, INF, -INF, NAN, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 1e-300, -1e-300,
                 5e-324, 1e300, -1e300, 1e-8, -1e-8, 30.0, -30.5, 1.4616321449683622])


def _grid(*parts):
    return np.concatenate(parts + (HARD,))


WIDE = _grid(RNG.uniform(-10, 10, 2000), np.exp(RNG.uniform(-700, 700, 1000)),
             -np.exp(RNG.uniform(-700, 700, 500)), RNG.uniform(-200, 200, 500))
MODERATE = WIDE[np.abs(WIDE) < 1e6]  # for PyTorch's polygamma/zeta, whose loops run |x| steps
UNIT = _grid(RNG.uniform(-1, 1, 2000), 1 - np.exp(RNG.uniform(-37, -1, 500)),
             -1 + np.exp(RNG.uniform(-37, -1, 300)))
PROB = _grid(RNG.uniform(0, 1, 2000), np.exp(RNG.uniform(-700, -1, 500)),
             1 - np.exp(RNG.uniform(-37, -1, 300)))


def _run(fn, lib, *xs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _np(fn(lib)(*[lib.tensor(x, dtype=lib.float64) for x in xs]))


def _same(got, want, rtol, atol, what):
    """nan where PyTorch has nan, the same infinities, finite values within the tolerance."""
    got, want = np.broadcast_arrays(got, want)
    assert (np.isnan(got) == np.isnan(want)).all(), \
        f"{what}: nan at {np.flatnonzero(np.isnan(got) != np.isnan(want))[:5]}"
    inf = np.isinf(want) | np.isinf(got)
    assert (got[inf] == want[inf]).all(), f"{what}: infinities differ"
    fin = np.isfinite(want)
    np.testing.assert_allclose(got[fin], want[fin], rtol=rtol, atol=atol, err_msg=what)


def _excluding(x, bad):
    return x[~bad(x)]


def _neg_int(x):
    return (x <= 0) & (x == np.floor(x))


# name, fn(lib) -> callable, inputs, rtol, atol. The tolerances say how far the two libraries
# may differ: a few float64 ulps, except where noted.
UNARY = [
    ("lgamma", lambda m: m.lgamma, WIDE, 1e-13, 1e-14),  # cancellation near lgamma's zeros
    ("digamma", lambda m: m.digamma, WIDE, 1e-11, 1e-12),  # PyTorch's is ~5e-12 near the root
    ("polygamma_1", lambda m: lambda t: m.polygamma(1, t),  # PyTorch's trigamma: ~5e-10
     _excluding(MODERATE, _neg_int), 1e-9, 1e-300),
    ("polygamma_2", lambda m: lambda t: m.polygamma(2, t),
     _excluding(MODERATE, lambda x: np.isinf(x)), 1e-12, 1e-200),
    ("polygamma_3", lambda m: lambda t: t.polygamma(3), _excluding(MODERATE, np.isinf), 1e-12,
     1e-200),
    ("mvlgamma_3", lambda m: lambda t: m.mvlgamma(t, 3), WIDE, 1e-12, 1e-13),
    ("erfc", lambda m: m.erfc, WIDE, 4e-15, 0),
    ("erfinv", lambda m: m.erfinv, UNIT, 4e-15, 0),
    ("i0", lambda m: m.i0, WIDE, 4e-15, 0),
    ("sinc", lambda m: m.sinc, WIDE, 1e-11, 1e-15),  # ember reduces pi x exactly, PyTorch not
    ("logit", lambda m: m.logit, PROB, 1e-15, 0),
    ("logit_eps", lambda m: lambda t: t.logit(1e-6), PROB, 1e-15, 0),
    ("asin", lambda m: m.asin, UNIT, 4e-16, 0),
    ("acos", lambda m: m.arccos, UNIT, 4e-16, 0),
    ("atan", lambda m: m.atan, WIDE, 4e-16, 0),
    ("sinh", lambda m: m.sinh, WIDE, 4e-16, 0),
    ("cosh", lambda m: m.cosh, WIDE, 4e-16, 0),
    ("asinh", lambda m: m.arcsinh, WIDE, 4e-16, 0),
    ("acosh", lambda m: m.acosh, WIDE, 4e-16, 0),
    ("atanh", lambda m: m.atanh, UNIT, 4e-16, 0),
    ("deg2rad", lambda m: m.deg2rad, WIDE, 4e-16, 0),
    ("rad2deg", lambda m: lambda t: t.rad2deg(), WIDE, 4e-16, 0),
    ("frac", lambda m: m.frac, WIDE, 0, 0),
    ("erf", lambda m: m.special.erf, WIDE, 4e-16, 0),
    ("erfcx", lambda m: m.special.erfcx, WIDE, 1e-13, 0),  # PyTorch's loses ~6e-14 for x < -20
    ("ndtr", lambda m: m.special.ndtr, WIDE, 1e-15, 1e-16),  # see the left-tail test below
    ("ndtri", lambda m: m.special.ndtri, PROB, 4e-15, 0),
    ("log_ndtr", lambda m: m.special.log_ndtr, WIDE, 4e-13, 0),  # PyTorch: x^2 eps for x > 20
    ("i0e", lambda m: m.special.i0e, WIDE, 4e-15, 0),
    ("i1", lambda m: m.special.i1, WIDE, 4e-15, 1e-300),  # i1(x) ~ x/2 rounds subnormals
    ("i1e", lambda m: m.special.i1e, WIDE, 4e-15, 1e-300),
    ("entr", lambda m: m.special.entr, WIDE, 4e-16, 0),
    ("expit", lambda m: m.special.expit, WIDE, 4e-16, 0),
    ("gammaln", lambda m: m.special.gammaln, WIDE, 1e-13, 1e-14),
    ("psi", lambda m: m.special.psi, WIDE, 1e-11, 1e-12),
    ("multigammaln", lambda m: lambda t: m.special.multigammaln(t, 2), WIDE, 1e-12, 1e-13),
]


@pytest.mark.parametrize("name,fn,xs,rtol,atol", [pytest.param(*u, id=u[0]) for u in UNARY])
def test_unary_matches_torch_on_wide_grids(name, fn, xs, rtol, atol):
    _same(_run(fn, ember, xs), _run(fn, torch, xs), rtol, atol, name)


def _pairs(xs, n=2500):
    a = RNG.choice(xs, n)
    return a, RNG.permutation(np.resize(xs, n))


PAIRS = _pairs(WIDE)
with np.errstate(all="ignore"):  # PyTorch's fmod gives nan where a / b overflows
    _FMOD_OK = ~(np.abs(PAIRS[0] / PAIRS[1]) > 1e300)
A_POS = _grid(np.exp(RNG.uniform(-5, 8, 1500)), RNG.uniform(0, 30, 500))
A_POS = A_POS[~(A_POS < 1e-3) & ~(np.abs(A_POS) > 1e6)]  # PyTorch's P(a, x) fails for tiny a
X_POS = np.abs(RNG.permutation(A_POS)) * np.exp(RNG.uniform(-1, 1, A_POS.size))
BINARY = [
    ("atan2", lambda m: m.atan2, PAIRS, 4e-16, 0),
    ("arctan2", lambda m: lambda a, b: a.arctan2(b), PAIRS, 4e-16, 0),
    ("hypot", lambda m: m.hypot, PAIRS, 4e-16, 0),
    ("logaddexp", lambda m: m.logaddexp, PAIRS, 4e-16, 0),
    ("logaddexp2", lambda m: m.logaddexp2, PAIRS, 4e-15, 0),
    ("copysign", lambda m: m.copysign, PAIRS, 0, 0),
    ("nextafter", lambda m: m.nextafter, PAIRS, 0, 0),
    ("fmod", lambda m: m.fmod, (PAIRS[0][_FMOD_OK], PAIRS[1][_FMOD_OK]), 0, 0),
    ("float_power", lambda m: m.float_power, PAIRS, 4e-16, 0),
    ("xlogy", lambda m: m.xlogy, PAIRS, 4e-16, 0),
    ("xlog1py", lambda m: m.special.xlog1py, PAIRS, 4e-16, 0),
    ("gammainc", lambda m: m.special.gammainc, (A_POS, X_POS), 1e-8, 1e-300),  # PyTorch: ~2e-9
    ("gammaincc", lambda m: m.special.gammaincc, (A_POS, X_POS), 1e-8, 1e-300),
    ("igamma_method", lambda m: lambda a, x: a.igammac(x), (A_POS, X_POS), 1e-8, 1e-300),
    ("zeta", lambda m: m.special.zeta,
     (_grid(RNG.uniform(1, 20, 1500), np.round(RNG.uniform(-3, 12, 300)))[:1800],
      np.clip(_grid(RNG.uniform(-10, 20, 1500), RNG.uniform(-3, 3, 300))[:1800], -100, 1e6)),
     1e-12, 1e-300),
]


@pytest.mark.parametrize("name,fn,xs,rtol,atol", [pytest.param(*b, id=b[0]) for b in BINARY])
def test_binary_matches_torch(name, fn, xs, rtol, atol):
    got, want = _run(fn, ember, *xs), _run(fn, torch, *xs)
    if name == "zeta":  # at infinite arguments ember returns the limit, PyTorch nan
        keep = np.isfinite(xs[0]) & np.isfinite(xs[1]) & ~(np.abs(xs[0]) > 1e6)
        got, want = got[keep], want[keep]
    _same(got, want, rtol, atol, name)


def test_lerp_matches_torch_up_to_fused_multiply_add():
    a, b = PAIRS
    a, b = a[np.abs(a) < 1e100], b[np.abs(a) < 1e100]  # keep b - a finite
    w = RNG.uniform(-2, 3, a.size)
    got = _run(lambda m: m.lerp, ember, a, b, w)
    want = _run(lambda m: m.lerp, torch, a, b, w)
    scale = np.abs(a) + np.abs(w * (b - a))  # PyTorch's kernel fuses the multiply-add
    ok = np.isfinite(want)
    assert (np.abs(got[ok] - want[ok]) <= 4e-16 * scale[ok] + 1e-300).all()
    assert _np(ember.lerp(ember.tensor([1.5]), ember.tensor([7.25]), 1.0)).tolist() == [7.25]


# ---------------------------------------------------------------------------- accuracy where
# PyTorch's own values are inexact: identities with other PyTorch functions


def test_trigamma_is_exact_at_known_values():
    x = ember.tensor([1.0, 0.5, 2.0, -0.5], dtype=ember.float64)
    want = [math.pi ** 2 / 6, math.pi ** 2 / 2, math.pi ** 2 / 6 - 1, math.pi ** 2 / 2 + 4]
    np.testing.assert_allclose(_np(ember.polygamma(1, x)), want, rtol=4e-16)


def test_trigamma_satisfies_the_reflection_formula():
    x = RNG.uniform(-20, 20, 2000)
    x = x[np.abs(x - np.round(x)) > 1e-3]
    lhs = _run(lambda m: lambda t: m.polygamma(1, t) + m.polygamma(1, 1 - t), ember, x)
    r = x - np.round(x)  # exact: sin(pi x)^2 = sin(pi r)^2 without rounding pi x
    rhs = math.pi ** 2 / _run(lambda m: lambda t: m.sin(math.pi * t) ** 2, torch, r)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-12)


def test_ndtr_keeps_its_accuracy_in_the_left_tail():
    x = RNG.uniform(-37, -5, 500)
    got = _run(lambda m: m.special.ndtr, ember, x)
    want = np.exp(_run(lambda m: m.special.log_ndtr, torch, x))  # PyTorch's is accurate here
    np.testing.assert_allclose(got, want, rtol=5e-13)  # exp() magnifies log_ndtr's rounding


def test_incomplete_gamma_identities():
    x = np.concatenate([np.exp(RNG.uniform(-30, 5, 500)), [1e-300, 0.5, 1.0, 50.0, 700.0]])
    one = np.ones_like(x)
    P = _run(lambda m: m.special.gammainc, ember, one, x)
    Q = _run(lambda m: m.special.gammaincc, ember, one, x)
    np.testing.assert_allclose(P, -np.expm1(-x), rtol=3e-13)  # P(1, x) = 1 - e^-x
    np.testing.assert_allclose(Q, np.exp(-x), rtol=1e-13)
    half = np.full_like(x, 0.5)
    Q_half = _run(lambda m: m.special.gammaincc, ember, half, x)
    want = _run(lambda m: lambda t: m.special.erfc(m.sqrt(t)), torch, x)  # Q(1/2, x)
    np.testing.assert_allclose(Q_half, want, rtol=1e-13, atol=1e-300)
    a = np.array([3.0, 10.0, 40.0, 400.0])  # Q(n, x) = e^-x sum_{k<n} x^k / k!, x near n
    x3 = a * 1.05
    q = _run(lambda m: m.special.gammaincc, ember, a, x3)
    series = [math.fsum(math.exp(k * math.log(v) - v - math.lgamma(k + 1)) for k in range(int(n)))
              for n, v in zip(a, x3)]
    np.testing.assert_allclose(q, series, rtol=1e-13)
    tiny = _run(lambda m: m.special.gammainc, ember, np.array([1e-300, 5e-324]),
                np.array([0.5, 3.0]))
    assert tiny.tolist() == pytest.approx([1.0, 1.0], abs=5e-16)  # P(a, x) -> 1 as a -> 0


def test_gammainc_for_large_a_and_far_tails():
    a = np.array([1e6, 1e6, 1e12, 1e12, 5e5])
    x = np.array([1e6, 1e6 + 1e3, 1e9, 1e15, 4e5])
    got = _run(lambda m: m.special.gammainc, ember, a, x)
    want = _run(lambda m: m.special.gammainc, torch, a, x)
    np.testing.assert_allclose(got, want, rtol=1e-10)
    with pytest.raises(NotImplementedError, match="above 1e10"):
        ember.special.gammainc(ember.tensor([1e12], dtype=ember.float64),
                               ember.tensor([1e12], dtype=ember.float64))


# ---------------------------------------------------------------------------- dtypes


FLOAT_FNS = ["lgamma", "digamma", "erfc", "erfinv", "i0", "sinc", "asin", "sinh", "atan",
             "deg2rad", "logit"]


@pytest.mark.parametrize("name", FLOAT_FNS)
def test_unary_dtypes_follow_pytorch(name):
    x32 = RNG.uniform(-0.9, 0.9, 50).astype(np.float32)
    for x in (x32, np.array([0, 1, 2, -3]), np.array([True, False])):
        got = getattr(ember, name)(ember.tensor(x))
        want = getattr(torch, name)(torch.tensor(x))
        assert str(got.dtype).split(".")[1] == str(want.dtype).split(".")[1], (name, x.dtype)
        _same(_np(got), _np(want), 2e-6, 1e-6, f"{name} {x.dtype}")


@pytest.mark.parametrize("m", LIBS)
def test_binary_dtypes_follow_pytorch(m):
    i = m.tensor([1, 2, 3])
    f = m.tensor([0.5, 1.5, 2.5])
    d = m.tensor([0.5, 1.5, 2.5], dtype=m.float64)
    assert m.atan2(i, i).dtype == m.float32
    assert m.atan2(f, d).dtype == m.float64
    assert m.xlogy(2, i).dtype == m.float32 and m.xlogy(i, d).dtype == m.float64
    assert m.copysign(i, -1).dtype == m.float32
    assert m.fmod(i, 2).dtype == m.int64 and m.fmod(i, 2.5).dtype == m.float32
    assert m.float_power(i, 2).dtype == m.float64 and m.float_power(f, 2).dtype == m.float64
    assert m.addcmul(i, i, i, value=2).dtype == m.int64
    assert _np(m.addcmul(i, i, i, value=1.5)).tolist() == [2, 6, 12]  # value cast to int
    assert m.addcdiv(m.ones(3, dtype=m.int64), f, f).dtype == m.float32
    assert m.special.zeta(f + 1, 2.0).dtype == m.float32
    assert m.trapezoid(i).dtype == m.float32
    assert m.polygamma(1, i).dtype == m.float32 and m.mvlgamma(i + 3, 2).dtype == m.float32
    h = m.erfinv(m.tensor([0.5], dtype=m.float16))
    assert h.dtype == m.float16 and abs(float(h) - 0.4769) < 2e-3


# ---------------------------------------------------------------------------- errors


ERRORS = [
    ("polygamma_negative_n", lambda m, x: m.polygamma(-1, x), RuntimeError),
    ("polygamma_float_n", lambda m, x: m.polygamma(1.5, x), TypeError),
    ("mvlgamma_p0", lambda m, x: m.mvlgamma(x, 0), RuntimeError),
    ("atan2_number", lambda m, x: m.atan2(x, 2.0), TypeError),
    ("hypot_number", lambda m, x: x.hypot(2.0), TypeError),
    ("hypot_ints", lambda m, x: m.hypot(x.long(), x.long()), NotImplementedError),
    ("logaddexp_ints", lambda m, x: m.logaddexp(x.long(), x.long()), NotImplementedError),
    ("nextafter_ints", lambda m, x: m.nextafter(x.long(), x.long()), NotImplementedError),
    ("frac_ints", lambda m, x: m.frac(x.long()), NotImplementedError),
    ("lerp_ints", lambda m, x: m.lerp(x.long(), x.long(), 0.5), NotImplementedError),
    ("lerp_end_dtype", lambda m, x: m.lerp(x, x.double(), 0.5), RuntimeError),
    ("lerp_weight_dtype", lambda m, x: m.lerp(x, x, x.double()), RuntimeError),
    ("lerp_end_number", lambda m, x: m.lerp(x, 2.0, 0.5), TypeError),
    ("copysign_number_first", lambda m, x: m.copysign(2.0, x), TypeError),
    ("fmod_int_by_zero", lambda m, x: m.fmod(x.long(), 0), RuntimeError),
    ("fmod_int_by_zero_tensor", lambda m, x: m.fmod(x.long(), x.long() * 0), RuntimeError),
    ("addcdiv_ints", lambda m, x: m.addcdiv(x, x.long(), x.long()), RuntimeError),
    ("addcmul_number", lambda m, x: m.addcmul(x, x, 2.0), TypeError),
    ("addcmul_inplace_broadcast", lambda m, x: x.clone().addcmul_(m.ones(3, 4), x), RuntimeError),
    ("float_power_inplace_float32", lambda m, x: x.clone().float_power_(2), RuntimeError),
    ("xlogy_numbers", lambda m, x: m.xlogy(2.0, 3.0), TypeError),
    ("atan2_inplace_int", lambda m, x: x.long().atan2_(x), RuntimeError),
    ("addmm_vector", lambda m, x: m.addmm(m.ones(2, 4), m.ones(3), m.ones(3, 4)), RuntimeError),
    ("addmm_shapes", lambda m, x: m.addmm(m.ones(2, 4), m.ones(2, 3), m.ones(4, 4)), RuntimeError),
    ("addmm_input", lambda m, x: m.addmm(m.ones(3, 4), m.ones(2, 3), m.ones(3, 4)), RuntimeError),
    ("addmm_dtypes", lambda m, x: m.addmm(m.ones(2, 4), m.ones(2, 3).double(), m.ones(3, 4)),
     RuntimeError),
    ("addmm_inplace_shape", lambda m, x: m.ones(1, 4).addmm_(m.ones(2, 3), m.ones(3, 4)),
     RuntimeError),
    ("addmv_sizes", lambda m, x: m.addmv(m.ones(2), m.ones(2, 3), m.ones(4)), RuntimeError),
    ("addmv_dims", lambda m, x: m.addmv(m.ones(2), m.ones(2, 3), m.ones(3, 1)), RuntimeError),
    ("addr_dims", lambda m, x: m.addr(m.ones(2, 4), m.ones(2, 1), m.ones(4)), RuntimeError),
    ("baddbmm_batches", lambda m, x: m.baddbmm(m.ones(2, 2, 4), m.ones(2, 2, 3),
                                               m.ones(3, 3, 4)), RuntimeError),
    ("addbmm_batches", lambda m, x: m.addbmm(m.ones(2, 4), m.ones(5, 2, 3), m.ones(4, 3, 4)),
     RuntimeError),
    ("cdist_ints", lambda m, x: m.cdist(m.ones(3, 2).long(), m.ones(3, 2)), RuntimeError),
    ("cdist_1d", lambda m, x: m.cdist(m.ones(3), m.ones(3, 2)), RuntimeError),
    ("cdist_columns", lambda m, x: m.cdist(m.ones(3, 2), m.ones(3, 3)), RuntimeError),
    ("cdist_negative_p", lambda m, x: m.cdist(m.ones(3, 2), m.ones(3, 2), p=-1), RuntimeError),
    ("cdist_dtypes", lambda m, x: m.cdist(m.ones(3, 2), m.ones(3, 2).double()), RuntimeError),
    ("cdist_mode", lambda m, x: m.cdist(m.ones(3, 2), m.ones(3, 2), compute_mode="foo"),
     ValueError),
    ("cdist_batches", lambda m, x: m.cdist(m.ones(2, 3, 2), m.ones(3, 4, 2)), RuntimeError),
    ("trapezoid_bool", lambda m, x: m.trapezoid(m.tensor([True, False])), RuntimeError),
    ("trapezoid_x_length", lambda m, x: m.trapezoid(m.ones(3, 4), m.arange(3.0)), RuntimeError),
    ("trapezoid_dim", lambda m, x: m.trapezoid(m.ones(2, 3), dim=2), IndexError),
    ("trapezoid_x_and_dx", lambda m, x: m.trapezoid(m.ones(3), m.ones(3), dx=2), TypeError),
    ("trapezoid_dx_bool", lambda m, x: m.trapezoid(m.ones(3), dx=True), RuntimeError),
    ("special_softmax_dim", lambda m, x: m.special.softmax(x), TypeError),
]


@pytest.mark.parametrize("m", LIBS)
@pytest.mark.parametrize("name,call,exc", [pytest.param(*e, id=e[0]) for e in ERRORS])
def test_errors_match_pytorch(m, name, call, exc):
    with pytest.raises(exc):
        call(m, m.tensor([0.5, 1.5]))


@pytest.mark.parametrize("m", LIBS)
def test_no_gradient_for_the_first_argument_of_zeta_and_gammainc(m):
    a = m.tensor([1.5, 2.5], dtype=m.float64, requires_grad=True)
    x = m.tensor([0.7, 3.0], dtype=m.float64, requires_grad=True)
    for f in (m.special.zeta, m.special.gammainc, m.special.gammaincc):
        with pytest.raises(NotImplementedError, match="not implemented"):
            f(a + 1, x).sum().backward()
        gx, = m.autograd.grad(f(a.detach() + 1, x).sum(), x)
        assert np.isfinite(_np(gx)).all()


# ---------------------------------------------------------------------------- in-place forms


INPLACE = [  # method, arguments, input maker
    ("erfinv", (), "unit"), ("lgamma", (), "pos"), ("digamma", (), "pos"),
    ("polygamma", (2,), "pos"),
    ("mvlgamma", (2,), "pos"), ("erfc", (), "any"), ("i0", (), "any"), ("sinc", (), "any"),
    ("logit", (0.1,), "unit"), ("xlogy", ("pos",), "any"), ("asin", (), "unit"),
    ("arccos", (), "unit"), ("atan", (), "any"), ("sinh", (), "any"), ("cosh", (), "any"),
    ("asinh", (), "any"), ("acosh", (), "pos"), ("atanh", (), "unit"), ("atan2", ("any",), "any"),
    ("arctan2", ("any",), "any"), ("hypot", ("any",), "any"), ("deg2rad", (), "any"),
    ("rad2deg", (), "any"), ("copysign", ("any",), "any"), ("nextafter", ("any",), "any"),
    ("fmod", (1.5,), "any"), ("frac", (), "any"), ("lerp", ("any", 0.3), "any"),
    ("addcmul", ("any", "any"), "any"), ("addcdiv", ("any", "pos"), "any"),
    ("igamma", ("pos",), "pos"), ("igammac", ("pos",), "pos"),
]


@pytest.mark.parametrize("name,args,kind", [pytest.param(*i, id=i[0]) for i in INPLACE])
def test_inplace_forms_match_pytorch_and_the_functions(name, args, kind):
    seed = abs(hash(name)) % 2**32
    results = []
    for m in (ember, torch):
        rng = np.random.default_rng(seed)
        arrs = {k: rng.uniform(-0.9, 0.9, (3, 4)) if k == "unit" else
                rng.uniform(1.2, 3, (3, 4)) if k == "pos" else rng.standard_normal((3, 4))
                for k in ("unit", "pos", "any")}
        x = m.tensor(arrs[kind], dtype=m.float64)
        call = [m.tensor(arrs[a] * 0.9, dtype=m.float64) if isinstance(a, str) else a
                for a in args]
        out = getattr(x, name)(*call)
        y = x.clone()
        assert getattr(y, name + "_")(*call) is y
        np.testing.assert_allclose(_np(y), _np(out), rtol=1e-15, err_msg=name)
        results.append(_np(out))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-9, err_msg=name)


def test_erfinv_inplace_as_trunc_normal_initialisers_use_it():
    t = ember.empty(1000)
    with ember.no_grad():
        t.uniform_(-0.99, 0.99)
        ref = ember.erfinv(t.clone())
        t.erfinv_()
    assert (_np(t) == _np(ref)).all()


def test_inplace_on_a_recorded_tensor_keeps_the_gradient():
    """In-place forms on non-leaf tensors record the same gradient as the functions (PyTorch
    lacks the backward of asinh_, acosh_ and atanh_; ember has it)."""
    x = ember.tensor(RNG.uniform(0.2, 0.8, 5), dtype=ember.float64, requires_grad=True)
    for name in ("asinh", "atanh", "erfinv", "lgamma", "sinc", "logit"):
        g_in, = ember.autograd.grad(getattr(x * 1, name + "_")().sum(), x)
        g_out, = ember.autograd.grad(getattr(x * 1, name)().sum(), x)
        np.testing.assert_allclose(_np(g_in), _np(g_out), rtol=1e-15, err_msg=name)
    g_in, = ember.autograd.grad(((x + 1) * 1).acosh_().sum(), x)
    np.testing.assert_allclose(_np(g_in), 1 / np.sqrt((_np(x.detach()) + 1) ** 2 - 1), rtol=1e-14)


@pytest.mark.parametrize("m", LIBS)
def test_fused_products_ignore_nan_in_input_when_beta_is_zero(m):
    nan = m.full((2, 4), NAN)
    a, b, v = m.ones(2, 3), m.ones(3, 4), m.ones(3)
    outs = [m.addmm(nan, a, b, beta=0), m.addr(nan, m.ones(2), m.ones(4), beta=0),
            m.baddbmm(nan.unsqueeze(0), a.unsqueeze(0), b.unsqueeze(0), beta=0),
            m.addbmm(nan, a.unsqueeze(0), b.unsqueeze(0), beta=0), m.addmv(nan[:, 0], a, v, beta=0)]
    for o in outs:
        assert not m.isnan(o).any()
    assert _np(m.addmm(m.ones(2, 4), m.full((2, 3), NAN), b, alpha=0)).tolist() == [[1.0] * 4] * 2


def test_cdist_compute_modes_follow_pytorch():
    x1 = RNG.standard_normal((40, 3))
    x2 = np.concatenate([x1[:5], RNG.standard_normal((3, 3))])
    for mode in ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                 "donot_use_mm_for_euclid_dist"):
        got = _run(lambda m: lambda a, b: m.cdist(a, b, compute_mode=mode), ember, x1, x2)
        want = _run(lambda m: lambda a, b: m.cdist(a, b, compute_mode=mode), torch, x1, x2)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    direct = _run(lambda m: lambda a: m.cdist(a, a, compute_mode="donot_use_mm_for_euclid_dist"),
                  ember, x1)
    assert (np.diag(direct) == 0).all()
    x = ember.tensor(x1[:3], dtype=ember.float64, requires_grad=True)
    g, = ember.autograd.grad(ember.cdist(x, x).sum(), x)  # 0 where a distance is 0
    tx = torch.tensor(x1[:3], requires_grad=True)
    tg, = torch.autograd.grad(torch.cdist(tx, tx).sum(), tx)
    np.testing.assert_allclose(_np(g), _np(tg), rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------------------- ember.special


BRIEF = ["expm1", "exp2", "erf", "erfc", "erfcx", "erfinv", "logit", "expit", "xlogy", "xlog1py",
         "gammaln", "digamma", "psi", "polygamma", "multigammaln", "i0", "i0e", "i1", "i1e",
         "ndtr", "ndtri", "log_ndtr", "log1p", "log_softmax", "softmax", "logsumexp", "entr",
         "sinc", "round", "gammainc", "gammaincc", "zeta"]
# torch.special's functions ember does not provide (listed in docs/ops.md)
ABSENT = {"airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0",
          "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1",
          "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0",
          "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
          "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
          "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
          "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
          "laguerre_polynomial_l", "legendre_polynomial_p"}


def _functions(mod):
    return {n for n in dir(mod) if not n.startswith("_") and callable(getattr(mod, n))
            and not isinstance(getattr(mod, n), type) and n not in ("torch",)}


def test_special_namespace_has_torch_special_names():
    ours, theirs = _functions(ember.special), _functions(torch.special)
    assert set(BRIEF) <= ours
    assert ours <= theirs, f"ember.special has names torch.special lacks: {ours - theirs}"
    assert theirs - ours == ABSENT


SPECIAL_CALLS = {  # how to call each function: (args after the input tensor, input kind)
    "polygamma": "n", "multigammaln": (2,), "log_softmax": (1,), "softmax": (1,),
    "logsumexp": (1,), "round": (), "xlogy": "pair", "xlog1py": "pair", "zeta": "pair",
    "gammainc": "pair", "gammaincc": "pair", "logit": (), "erfinv": "unit", "ndtri": "prob",
}


@pytest.mark.parametrize("name", BRIEF)
def test_special_functions_equal_torch_name_by_name(name):
    """Values and gradients (w.r.t. every argument PyTorch differentiates) on one input."""
    how = SPECIAL_CALLS.get(name, ())
    base = RNG.uniform(0.1, 0.9, (3, 4)) if how in ("unit", "prob") or name == "logit" else \
        RNG.uniform(0.5, 3.0, (3, 4))
    other = RNG.uniform(0.5, 3.0, (3, 4))
    seed = int(RNG.integers(2**32))
    res = []
    for m in (ember, torch):
        x = m.tensor(base, dtype=m.float64, requires_grad=True)
        f = getattr(m.special, name)
        if how == "n":
            y = f(2, x)
        elif how == "pair":
            first = name in ("zeta", "gammainc", "gammaincc")  # no gradient for their 1st argument
            o = m.tensor(other, dtype=m.float64, requires_grad=not first)
            y = f(o + 1, x) if first else f(x, o)
        else:
            y = f(x, *(how if isinstance(how, tuple) else ()))
        wt = m.tensor(np.random.default_rng(seed).standard_normal(tuple(y.shape)), dtype=m.float64)
        leaves = [x] if how != "pair" or name in ("zeta", "gammainc", "gammaincc") else [x, o]
        if name == "round":
            res.append((_np(y), []))
            continue
        grads = m.autograd.grad((y * wt).sum(), leaves)
        res.append((_np(y), [_np(g) for g in grads]))
    (ye, ge), (yt, gt) = res
    np.testing.assert_allclose(ye, yt, rtol=1e-9, err_msg=name)
    for a, b in zip(ge, gt):
        np.testing.assert_allclose(a, b, rtol=1e-8, err_msg=f"{name} gradient")
