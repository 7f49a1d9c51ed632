"""The differentiable building blocks private to ember.distributions (special functions,
Cholesky, triangular solve, the regularised incomplete gamma function): values against
PyTorch over wide grids, float64 gradchecks and gradgradchecks, and the 'cuda' device."""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.distributions import _linalg, _samplers, _special

from ._cases import RNG, E, T, assert_close, np_of

torch = pytest.importorskip("torch")

_GRID = np.concatenate([RNG.uniform(1e-3, 30, 300), RNG.uniform(-25, 0, 100),
                        [1.0, 2.0, 3.0, 0.5, 1e-8, 1e5, 1e12, 170.5, 300.0]])


@pytest.mark.parametrize("name,ours,theirs,grid", [
    ("lgamma", _special.lgamma, torch.lgamma, _GRID),
    ("digamma", _special.digamma, torch.digamma, _GRID),
    ("polygamma1", lambda t: _special.polygamma(1, t), lambda t: torch.polygamma(1, t),
     _GRID[_GRID > 0]),
    ("polygamma3", lambda t: _special.polygamma(3, t), lambda t: torch.polygamma(3, t),
     _GRID[_GRID > 0]),
    ("erfinv", _special.erfinv, torch.erfinv,
     np.concatenate([RNG.uniform(-1, 1, 300), [0.0, 0.5, -0.999999, 1 - 1e-12, 1.0, -1.0]])),
    ("atan", _special.atan, torch.atan, RNG.normal(size=50) * 10),
])
def test_values_against_pytorch(name, ours, theirs, grid):
    # PyTorch's trigamma is accurate to ~1e-9 relative (ours to ~1e-15, checked with mpmath
    # when the tests were written): the tolerance is PyTorch's
    rtol = 2e-9 if name.startswith("polygamma") else 1e-12
    assert_close(ours(E(grid)), theirs(T(grid)), rtol=rtol, atol=1e-12, what=name)


def test_special_values_at_poles_and_edges_follow_pytorch():
    x = np.array([0.0, -1.0, -2.0, np.inf, -np.inf, np.nan])
    assert_close(_special.lgamma(E(x)), torch.lgamma(T(x)))
    assert_close(_special.digamma(E(x)), torch.digamma(T(x)))
    y = np.array([1.0, -1.0, 1.5, np.nan, 0.0])
    assert_close(_special.erfinv(E(y)), torch.erfinv(T(y)))


def test_float32_inputs_stay_float32():
    x = ember.tensor([0.5, 3.0])
    for fn in (_special.lgamma, _special.digamma, _special.erfinv, _special.atan):
        assert fn(x * 0.5).dtype == ember.float32


@pytest.mark.parametrize("fn,lo,hi", [
    (_special.lgamma, 0.2, 6.0), (_special.digamma, 0.2, 6.0),
    (lambda t: _special.polygamma(1, t), 0.2, 6.0), (_special.erfinv, -0.9, 0.9),
    (_special.atan, -3.0, 3.0), (lambda t: _special.xlogy(t, t + 1.0), 0.1, 3.0),
])
def test_gradcheck_and_gradgradcheck(fn, lo, hi):
    x = E(RNG.uniform(lo, hi, size=(3, 2)), True)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_xlogy_is_zero_where_x_is_zero_with_a_zero_gradient():
    x, y = E([0.0, 0.0, 2.0], True), E([0.0, 3.0, 0.5], True)
    out = _special.xlogy(x, y)
    assert_close(out, torch.xlogy(T([0.0, 0.0, 2.0]), T([0.0, 3.0, 0.5])))
    out.sum().backward()
    xt, yt = T([0.0, 0.0, 2.0], True), T([0.0, 3.0, 0.5], True)
    torch.xlogy(xt, yt).sum().backward()
    assert_close(y.grad, yt.grad)


def _spd(n, batch):
    a = RNG.normal(size=batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def test_cholesky_and_solve_triangular_against_pytorch():
    a = _spd(4, (3,))
    ea, ta = E(a, True), T(a, True)
    le, lt = _linalg.cholesky(ea), torch.linalg.cholesky(ta)
    assert_close(le, lt)
    w = RNG.normal(size=(3, 4, 4))
    ge, = ember.autograd.grad((le * E(w)).sum(), [ea])
    gt, = torch.autograd.grad((lt * T(w)).sum(), [ta])
    assert_close(ge, gt, rtol=1e-9, atol=1e-12)
    b = RNG.normal(size=(2, 1, 4, 3))  # batch dims broadcast against A's
    for upper in (False, True):
        m = np.tril(RNG.normal(size=(3, 4, 4))) + 4 * np.eye(4)
        m = np.swapaxes(m, -1, -2) if upper else m
        m = m + (np.triu(np.ones((4, 4)), 1) if not upper else np.tril(np.ones((4, 4)), -1))
        em, tm, eb, tb = E(m, True), T(m, True), E(b, True), T(b, True)
        xe = _linalg.solve_triangular(em, eb, upper=upper)
        xt = torch.linalg.solve_triangular(tm, tb, upper=upper)
        assert_close(xe, xt)
        w = RNG.normal(size=tuple(xt.shape))
        ge = ember.autograd.grad((xe * E(w)).sum(), [em, eb])
        gt = torch.autograd.grad((xt * T(w)).sum(), [tm, tb])
        for a_, b_ in zip(ge, gt):
            assert_close(a_, b_, rtol=1e-9, atol=1e-12)


def test_linalg_gradchecks():
    a = E(_spd(3, ()), True)
    assert gradcheck(lambda m: _linalg.cholesky((m + m.mT) / 2), (a,))
    assert gradgradcheck(lambda m: _linalg.cholesky((m + m.mT) / 2), (a,))
    m = E(np.tril(RNG.normal(size=(3, 3))) + 3 * np.eye(3), True)
    b = E(RNG.normal(size=(3, 2)), True)
    for upper in (False, True):
        fn = lambda m, b: _linalg.solve_triangular(m.mT if upper else m, b, upper=upper)  # noqa
        assert gradcheck(fn, (m, b)) and gradgradcheck(fn, (m, b))


def test_cholesky_of_a_non_positive_definite_matrix_raises():
    with pytest.raises(RuntimeError, match="not positive-definite"):
        _linalg.cholesky(E([[1.0, 2.0], [2.0, 1.0]]))


def test_gammainc_against_pytorch_and_its_gradients():
    a = np.concatenate([RNG.uniform(0.01, 50, 200), [1e4, 2.0, 2.0]])
    x = np.concatenate([RNG.uniform(0, 80, 200), [1.01e4, 0.0, np.inf]])
    assert_close(_samplers.gammainc(E(a), E(x)), torch.special.gammainc(T(a), T(x)),
                 rtol=1e-9, atol=2e-9)
    ea, ex = E(RNG.uniform(0.5, 4, 5), True), E(RNG.uniform(0.2, 6, 5), True)
    assert gradcheck(_samplers.gammainc, (ea, ex))
    xt = T(np_of(ex), True)
    torch.special.gammainc(T(np_of(ea)), xt).sum().backward()
    ex.grad = None
    _samplers.gammainc(ea.detach(), ex).sum().backward()
    assert_close(ex.grad, xt.grad)


def test_private_ops_on_the_cuda_device():
    x = ember.tensor([0.5, 2.0, 7.0], dtype=ember.float64, device="cuda", requires_grad=True)
    for fn in (_special.lgamma, _special.digamma, _special.erfinv, _special.atan):
        y = fn(x * 0.1)
        assert y.device.type == "cuda"
        y.sum().backward()
    a = ember.tensor(_spd(3, ()), device="cuda", requires_grad=True)
    low = _linalg.cholesky(a)
    _linalg.solve_triangular(low, ember.eye(3, dtype=ember.float64, device="cuda"),
                             upper=False).sum().backward()
    assert a.grad.device.type == "cuda"
    g = _samplers.standard_gamma(ember.tensor([1.5, 3.0], dtype=ember.float64, device="cuda",
                                              requires_grad=True))
    assert g.device.type == "cuda"
