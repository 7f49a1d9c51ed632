"""Reparameterised samples and their gradients. Where the reparameterisation is deterministic
(Normal: loc + scale * eps), both libraries are given the same base noise and must return the
same samples and the same gradients with respect to every parameter. Gamma, Beta, Dirichlet
(and the families built on them) use implicit reparameterisation: the gradient of a draw is
compared with PyTorch's on the same draw and with finite differences of the CDF."""
from __future__ import annotations

import math

import numpy as np
import pytest

import ember
import ember.distributions as ED
from ember.distributions import _samplers

from ._cases import BY_ID, RNG, E, T, assert_close, np_of

torch = pytest.importorskip("torch")
TD = torch.distributions


class _Noise:
    """The same sequence of noise arrays for either library: the k-th call gets the k-th
    array of the requested shape."""

    def __init__(self, kind):
        self.kind, self.calls = kind, 0

    def draw(self, shape):
        r = np.random.default_rng(1000 + self.calls)
        self.calls += 1
        shape = tuple(int(s) for s in shape)
        return r.standard_normal(shape) if self.kind == "normal" else r.uniform(0.01, 0.99, shape)


def _shape_of(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list, torch.Size)):
        return tuple(size[0])
    return tuple(size)


def _patch_noise(monkeypatch, lib, kind, transform=None):
    """Route the library's base noise through a _Noise; ``transform`` maps the uniform draw u
    to what the library's own primitive returns (for ember's rand-based samplers)."""
    noise = _Noise(kind)
    if lib == "torch":
        def std_normal(shape, dtype, device):
            return torch.tensor(noise.draw(shape), dtype=dtype)

        def rand(*size, dtype=None, device=None, **_):
            return torch.tensor(noise.draw(_shape_of(size)), dtype=dtype or torch.float32)

        for mod in (TD.normal, TD.multivariate_normal, TD.lowrank_multivariate_normal):
            monkeypatch.setattr(mod, "_standard_normal", std_normal)
        monkeypatch.setattr(torch, "rand", rand)
        monkeypatch.setattr(torch.Tensor, "exponential_",
                            lambda self: self.copy_(torch.tensor(-np.log1p(-noise.draw(
                                self.shape)))))
        monkeypatch.setattr(torch.Tensor, "cauchy_",
                            lambda self: self.copy_(torch.tensor(np.tan(math.pi * (noise.draw(
                                self.shape) - 0.5)))))
        monkeypatch.setattr(torch.Tensor, "uniform_",
                            lambda self, lo, hi: self.copy_(torch.tensor(
                                lo + (hi - lo) * noise.draw(self.shape))))
    else:
        from ember.ops import creation

        def std_normal(shape, dtype, device):
            return ember.tensor(noise.draw(shape), dtype=dtype)

        def rand(*size, dtype=None, device=None, **_):
            return ember.tensor(noise.draw(_shape_of(size)), dtype=dtype or ember.float32)

        for mod in (ED.normal, ED.multivariate_normal, ED.lowrank_multivariate_normal):
            monkeypatch.setattr(mod, "_standard_normal", std_normal)
        monkeypatch.setattr(creation, "rand", rand)
    return noise


# (case, noise kind); ember's Laplace maps its uniform to PyTorch's (eps - 1, 1) range itself
DETERMINISTIC = [("Normal", "normal"), ("LogNormal", "normal"), ("HalfNormal", "normal"),
                 ("Independent-Normal", "normal"), ("MultivariateNormal-cov", "normal"),
                 ("MultivariateNormal-prec", "normal"), ("MultivariateNormal-tril", "normal"),
                 ("LowRankMultivariateNormal", "normal"),
                 ("TransformedDistribution-affine-exp", "normal"),
                 ("TransformedDistribution-stickbreaking", "normal"),
                 ("Uniform", "uniform"), ("Gumbel", "uniform"), ("Exponential", "uniform"),
                 ("Pareto", "uniform"), ("RelaxedBernoulli", "uniform"),
                 ("RelaxedOneHotCategorical", "uniform"), ("ContinuousBernoulli", "uniform")]


def _rsample_and_grads(case, lib, monkeypatch, kind, sample_shape=(5,)):
    with monkeypatch.context() as m:
        _patch_noise(m, lib, kind)
        d, params = case.make(lib, grad=True)
        x = d.rsample(sample_shape)
    w = np.random.default_rng(9).normal(size=tuple(x.shape))
    names = [k for k, v in params.items() if v.requires_grad]
    if lib == "torch":
        grads = torch.autograd.grad((x * T(w)).sum(), [params[k] for k in names])
    else:
        grads = ember.autograd.grad((x * E(w)).sum(), [params[k] for k in names])
    return x, dict(zip(names, grads))


@pytest.mark.parametrize("name,kind", DETERMINISTIC, ids=[d[0] for d in DETERMINISTIC])
def test_rsample_equals_pytorch_given_the_same_noise(name, kind, monkeypatch):
    case = BY_ID[name]
    xe, ge = _rsample_and_grads(case, "ember", monkeypatch, kind)
    xt, gt = _rsample_and_grads(case, "torch", monkeypatch, kind)
    assert_close(xe, xt, rtol=1e-9, atol=1e-11, what=f"{name} rsample")
    assert set(ge) == set(gt)
    for k in gt:
        assert_close(ge[k], gt[k], rtol=1e-8, atol=1e-10, what=f"{name}: d sample / d {k}")


def test_laplace_and_cauchy_rsample_through_their_inverse_cdfs():
    for name in ("Laplace", "Cauchy"):
        case = BY_ID[name]
        d, params = case.make("ember", grad=True)
        ember.manual_seed(0)
        x = d.rsample((7,))
        u = np_of(d.cdf(x))  # the uniform behind each draw
        (x * 1.0).sum().backward()
        t, tp = case.make("torch", grad=True)
        xt = t.icdf(T(u))
        assert_close(x, xt, rtol=1e-8, atol=1e-10, what=name)
        xt.sum().backward()
        for k in params:
            assert_close(params[k].grad, tp[k].grad, rtol=1e-7, atol=1e-9, what=f"{name} {k}")


def test_straight_through_passes_the_gradient_of_the_probabilities():
    case = BY_ID["OneHotCategoricalStraightThrough"]
    (e, ep), (t, tp) = case.make("ember", True), case.make("torch", True)
    se, st = e.rsample((6,)), t.rsample((6,))
    assert ((np_of(se) == 0) | (np_of(se) == 1)).all()
    w = RNG.normal(size=tuple(st.shape))
    ge, = ember.autograd.grad((se * E(w)).sum(), [ep["logits"]])
    gt, = torch.autograd.grad((st * T(w)).sum(), [tp["logits"]])
    assert_close(ge, gt, rtol=1e-9)


# ---------------------------------------------------------------------------- implicit gradients


def _gamma_cdf(a, x):
    return _samplers.gammainc_raw(np.asarray(a, float), np.asarray(x, float))


def test_standard_gamma_gradient_is_minus_dcdf_over_pdf():
    a = np.concatenate([RNG.uniform(0.05, 5, 40), RNG.uniform(5, 200, 20), [1e3, 3e4]])
    x = np.maximum(RNG.standard_gamma(a), 1e-300)
    got = _samplers.gamma_sample_grad_raw(a, x)
    h = 1e-6 * np.maximum(a, 1.0)
    dcdf = (_gamma_cdf(a + h, x) - _gamma_cdf(a - h, x)) / (2 * h)
    log_pdf = (a - 1) * np.log(x) - x - np_of(ED._special.lgamma(E(a)))
    want = -dcdf / np.exp(log_pdf)
    np.testing.assert_allclose(got, want, rtol=2e-6)
    # PyTorch computes the same quantity by approximation (within about 1e-3)
    np.testing.assert_allclose(got, np_of(torch._standard_gamma_grad(T(a), T(x))), rtol=2e-3)


def test_gamma_rsample_gradients_match_pytorchs_formula_on_the_same_draw():
    c, r = RNG.uniform(0.3, 4, 5), RNG.uniform(0.5, 2, 5)
    conc, rate = E(c, True), E(r, True)
    ember.manual_seed(1)
    x = ED.Gamma(conc, rate).rsample((3,))
    w = RNG.normal(size=(3, 5))
    (x * E(w)).sum().backward()
    std = T(np_of(x) * r)  # the standard gamma draw behind x
    want_c = (T(w) * torch._standard_gamma_grad(T(c).expand(3, 5), std) / T(r)).sum(0)
    want_r = (-T(w) * T(np_of(x)) / T(r)).sum(0)
    assert_close(conc.grad, want_c, rtol=2e-3, atol=1e-8)
    assert_close(rate.grad, want_r, rtol=1e-9)


def test_dirichlet_and_beta_gradients_match_pytorchs_backward_on_the_same_draw():
    conc = RNG.uniform(0.4, 4, size=(4, 3))
    c = E(conc, True)
    ember.manual_seed(2)
    x = ED.Dirichlet(c).rsample()
    g = RNG.normal(size=(4, 3))
    (x * E(g)).sum().backward()
    want = TD.dirichlet._Dirichlet_backward(T(np_of(x)), T(conc), T(g))
    assert_close(c.grad, want, rtol=5e-3, atol=1e-6)
    a, b = E([1.5, 0.7], True), E([2.5, 3.0], True)
    ember.manual_seed(3)
    y = ED.Beta(a, b).rsample()
    y.sum().backward()
    xy = np.stack([np_of(y), 1 - np_of(y)], -1)
    want = TD.dirichlet._Dirichlet_backward(T(xy), T(np.stack([[1.5, 0.7], [2.5, 3.0]], -1)),
                                             T(np.stack([np.ones(2), np.zeros(2)], -1)))
    assert_close(a.grad, want[:, 0], rtol=5e-3, atol=1e-6)
    assert_close(b.grad, want[:, 1], rtol=5e-3, atol=1e-6)


def test_beta_sample_gradient_is_minus_dcdf_over_pdf():
    """Against mpmath's regularised incomplete beta, differentiated numerically."""
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 30
    a, b = RNG.uniform(0.1, 8, 30), RNG.uniform(0.1, 8, 30)
    x = np.clip(RNG.beta(a, b), 1e-12, 1 - 1e-12)
    got = _samplers.beta_sample_grad_raw(x, a, b)
    for xi, ai, bi, gi in zip(x, a, b, got):
        cdf = lambda s: mp.betainc(s, bi, 0, xi, regularized=True)  # noqa: E731, B023
        pdf = mp.mpf(xi) ** (ai - 1) * (1 - mp.mpf(xi)) ** (bi - 1) / mp.beta(ai, bi)
        want = float(-mp.diff(cdf, ai) / pdf)
        assert abs(gi - want) <= 1e-9 * abs(want) + 1e-12, (xi, ai, bi, gi, want)


@pytest.mark.parametrize("name,dmean", [
    ("Gamma", lambda c, r: (1 / r, -c / r ** 2)),
    ("Beta", lambda a, b: (b / (a + b) ** 2, -a / (a + b) ** 2)),
])
def test_implicit_gradients_are_unbiased(name, dmean):
    """The average gradient of draws is the gradient of the mean."""
    p1, p2 = np.array([0.6, 2.5]), np.array([1.5, 0.8])
    a, b = E(p1, True), E(p2, True)
    ember.manual_seed(4)
    n = 40000
    getattr(ED, name)(a, b).rsample((n,)).sum().backward()
    want_a, want_b = dmean(p1, p2)
    np.testing.assert_allclose(np_of(a.grad) / n, want_a, rtol=0.03)
    np.testing.assert_allclose(np_of(b.grad) / n, want_b, rtol=0.03)


def test_studentt_and_chi2_rsample_are_differentiable():
    df, loc, scale = E([3.0, 7.0], True), E([0.5, -1.0], True), E([1.0, 2.0], True)
    ember.manual_seed(6)
    x = ED.StudentT(df, loc, scale).rsample((4,))
    x.sum().backward()
    assert np.isfinite(np_of(df.grad)).all() and np.allclose(np_of(loc.grad), 4.0)
    d = E([2.0, 5.0], True)
    ED.Chi2(d).rsample((3,)).sum().backward()
    assert np.isfinite(np_of(d.grad)).all() and (np_of(d.grad) > 0).all()


def test_second_order_through_a_gamma_draw_is_refused():
    a = E([2.0], True)
    x = ED.Gamma(a, 1.0).rsample()
    g, = ember.autograd.grad(x.sum(), [a], create_graph=True)
    with pytest.raises(RuntimeError):
        ember.autograd.grad(g.sum(), [a])
