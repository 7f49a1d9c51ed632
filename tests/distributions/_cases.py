"""The families under test, each built the same way in ember and in PyTorch, and the helpers
the distribution tests share (tensors of either library, two-sample KS and chi-square
bounds)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import ember
import ember.distributions as ED

torch = pytest.importorskip("torch")
TD = torch.distributions

RNG = np.random.default_rng(20260611)


def E(a, grad=False):
    return ember.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def T(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def np_of(t):
    if isinstance(t, (int, float, np.ndarray)):
        return np.asarray(t, dtype=np.float64)
    return np.asarray(t.detach().cpu().numpy())


def assert_close(e, t, rtol=1e-9, atol=1e-10, what=""):
    a, b = np_of(e), np_of(t)
    assert a.shape == b.shape, f"{what}: shapes {a.shape} vs {b.shape}"
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)


def ks_2samp(a, b):
    """The two-sample Kolmogorov-Smirnov statistic and its 0.1% critical value."""
    a, b = np.sort(np.ravel(a)), np.sort(np.ravel(b))
    grid = np.concatenate([a, b])
    d = np.abs(np.searchsorted(a, grid, side="right") / a.size -
               np.searchsorted(b, grid, side="right") / b.size).max()
    return d, 1.95 * math.sqrt((a.size + b.size) / (a.size * b.size))


def chi2_bound(dof, z=3.09):
    """The (1 - 0.001) quantile of chi-square with ``dof`` degrees (Wilson-Hilferty)."""
    return dof * (1 - 2 / (9 * dof) + z * math.sqrt(2 / (9 * dof))) ** 3


def _pos(*shape, lo=0.3, hi=3.0):
    return RNG.uniform(lo, hi, size=shape)


def _probs(*shape):
    p = RNG.uniform(0.05, 1.0, size=shape)
    return p / p.sum(-1, keepdims=True)


def _spd(k, batch=()):
    a = RNG.normal(size=batch + (k, k))
    return a @ np.swapaxes(a, -1, -2) + k * np.eye(k)


class Case:
    """One family: how to build it from named parameters (NumPy arrays, given to each
    library as float64 tensors), values inside its support for log_prob/cdf, and which
    parameters are differentiable."""

    def __init__(self, id, build, params, values, grads=None, icdf=True, sample_ks=True,
                 rtol=1e-9):
        self.id = id
        self.rtol = rtol
        self.build = build  # (D, **tensors) -> distribution
        self.params = params
        self.values = values
        self.grads = list(params) if grads is None else grads
        self.icdf = icdf
        self.sample_ks = sample_ks

    def make(self, lib, grad=False):
        mk, dists = (E, ED) if lib == "ember" else (T, TD)
        tensors = {k: mk(v, grad and k in self.grads) for k, v in self.params.items()}
        return self.build(dists, **tensors), tensors

    def __repr__(self):
        return self.id


_B = 3  # the batch size of the cases
_U = RNG.uniform(0.02, 0.98, size=(4, _B))  # points inside (0, 1)
_X = RNG.normal(size=(4, _B)) * 1.5
_POSX = RNG.uniform(0.05, 4.0, size=(4, _B))
_COUNTS = RNG.integers(0, 6, size=(4, _B)).astype(np.float64)
_K = 4

CASES = [
    Case("Normal", lambda D, loc, scale: D.Normal(loc, scale),
         {"loc": RNG.normal(size=_B), "scale": _pos(_B)}, _X),
    Case("Bernoulli-probs", lambda D, probs: D.Bernoulli(probs=probs),
         {"probs": RNG.uniform(0.1, 0.9, _B)}, (_COUNTS % 2)),
    Case("Bernoulli-logits", lambda D, logits: D.Bernoulli(logits=logits),
         {"logits": RNG.normal(size=_B)}, (_COUNTS % 2)),
    Case("Categorical-probs", lambda D, probs: D.Categorical(probs=probs),
         {"probs": RNG.uniform(0.1, 1.0, (_B, _K))}, _COUNTS % _K),
    Case("Categorical-logits", lambda D, logits: D.Categorical(logits=logits),
         {"logits": RNG.normal(size=(_B, _K))}, _COUNTS % _K),
    Case("OneHotCategorical", lambda D, probs: D.OneHotCategorical(probs=probs),
         {"probs": _probs(_B, _K)}, np.eye(_K)[(_COUNTS % _K).astype(int)]),
    Case("OneHotCategoricalStraightThrough",
         lambda D, logits: D.OneHotCategoricalStraightThrough(logits=logits),
         {"logits": RNG.normal(size=(_B, _K))}, np.eye(_K)[(_COUNTS % _K).astype(int)]),
    Case("Uniform", lambda D, low, high: D.Uniform(low, high),
         {"low": np.array([-1.0, 0.0, 2.0]), "high": np.array([1.0, 4.0, 2.5])},
         np.array([-1.0, 0.0, 2.0]) + _U * np.array([2.0, 4.0, 0.5])),
    Case("Beta", lambda D, a, b: D.Beta(a, b), {"a": _pos(_B), "b": _pos(_B)}, _U),
    Case("Gamma", lambda D, c, r: D.Gamma(c, r), {"c": _pos(_B), "r": _pos(_B)}, _POSX),
    Case("Chi2", lambda D, df: D.Chi2(df), {"df": _pos(_B, lo=1.0, hi=6.0)}, _POSX),
    Case("Exponential", lambda D, rate: D.Exponential(rate), {"rate": _pos(_B)}, _POSX),
    Case("Dirichlet", lambda D, c: D.Dirichlet(c), {"c": _pos(_B, _K)},
         RNG.dirichlet(np.ones(_K), size=(4, _B))),
    Case("Cauchy", lambda D, loc, scale: D.Cauchy(loc, scale),
         {"loc": RNG.normal(size=_B), "scale": _pos(_B)}, _X),
    Case("Laplace", lambda D, loc, scale: D.Laplace(loc, scale),
         {"loc": RNG.normal(size=_B), "scale": _pos(_B)}, _X),
    Case("Poisson", lambda D, rate: D.Poisson(rate), {"rate": _pos(_B, lo=0.5, hi=6.0)},
         _COUNTS),
    Case("Binomial-probs", lambda D, n, probs: D.Binomial(n, probs=probs),
         {"n": np.array([5.0, 5.0, 5.0]), "probs": RNG.uniform(0.1, 0.9, _B)}, _COUNTS % 6,
         grads=["probs"]),
    Case("Binomial-logits", lambda D, n, logits: D.Binomial(n, logits=logits),
         {"n": np.array([8.0, 8.0, 8.0]), "logits": RNG.normal(size=_B)}, _COUNTS,
         grads=["logits"]),
    Case("Geometric", lambda D, probs: D.Geometric(probs=probs),
         {"probs": RNG.uniform(0.1, 0.9, _B)}, _COUNTS),
    Case("LogNormal", lambda D, loc, scale: D.LogNormal(loc, scale),
         {"loc": RNG.normal(size=_B) * 0.3, "scale": _pos(_B, lo=0.3, hi=1.0)}, _POSX),
    Case("StudentT", lambda D, df, loc, scale: D.StudentT(df, loc, scale),
         {"df": np.array([0.8, 1.5, 5.0]), "loc": RNG.normal(size=_B), "scale": _pos(_B)}, _X),
    Case("HalfNormal", lambda D, scale: D.HalfNormal(scale), {"scale": _pos(_B)}, _POSX),
    Case("HalfCauchy", lambda D, scale: D.HalfCauchy(scale), {"scale": _pos(_B)}, _POSX),
    Case("Gumbel", lambda D, loc, scale: D.Gumbel(loc, scale),
         {"loc": RNG.normal(size=_B), "scale": _pos(_B)}, _X),
    Case("Pareto", lambda D, scale, alpha: D.Pareto(scale, alpha),
         {"scale": np.array([0.02, 0.03, 0.04]), "alpha": np.array([0.8, 2.5, 4.0])},
         _POSX + 0.05),
    Case("ContinuousBernoulli", lambda D, probs: D.ContinuousBernoulli(probs=probs),
         {"probs": np.array([0.2, 0.4995, 0.8])}, _U),
    Case("MultivariateNormal-cov",
         lambda D, loc, cov: D.MultivariateNormal(loc, covariance_matrix=cov),
         {"loc": RNG.normal(size=(_B, _K)), "cov": _spd(_K, (_B,))},
         RNG.normal(size=(4, _B, _K))),
    Case("MultivariateNormal-prec",
         lambda D, loc, prec: D.MultivariateNormal(loc, precision_matrix=prec),
         {"loc": RNG.normal(size=(_K,)), "prec": _spd(_K, (_B,))}, RNG.normal(size=(4, _B, _K))),
    Case("MultivariateNormal-tril",
         lambda D, loc, tril: D.MultivariateNormal(loc, scale_tril=tril),
         {"loc": RNG.normal(size=(_B, _K)), "tril": np.linalg.cholesky(_spd(_K))},
         RNG.normal(size=(4, _B, _K))),
    Case("LowRankMultivariateNormal",
         lambda D, loc, w, d: D.LowRankMultivariateNormal(loc, w, d),
         {"loc": RNG.normal(size=(_B, _K)), "w": RNG.normal(size=(_B, _K, 2)),
          "d": _pos(_B, _K)}, RNG.normal(size=(4, _B, _K))),
    Case("Independent-Normal",
         lambda D, loc, scale: D.Independent(D.Normal(loc, scale), 1),
         {"loc": RNG.normal(size=(_B, _K)), "scale": _pos(_B, _K)},
         RNG.normal(size=(4, _B, _K))),
    Case("RelaxedBernoulli", lambda D, t, probs: D.RelaxedBernoulli(t, probs=probs),
         {"t": np.array(0.7), "probs": RNG.uniform(0.1, 0.9, _B)}, _U),
    Case("RelaxedOneHotCategorical",
         lambda D, t, logits: D.RelaxedOneHotCategorical(t, logits=logits),
         {"t": np.array(0.8), "logits": RNG.normal(size=(_B, _K))},
         RNG.dirichlet(np.ones(_K), size=(4, _B))),
    Case("MixtureSameFamily",
         lambda D, mix, loc, scale: D.MixtureSameFamily(D.Categorical(logits=mix),
                                                         D.Normal(loc, scale)),
         {"mix": RNG.normal(size=(_B, 2)), "loc": RNG.normal(size=(_B, 2)),
          "scale": _pos(_B, 2)}, _X),
    Case("Weibull", lambda D, scale, k: D.Weibull(scale, k),
         {"scale": _pos(_B), "k": np.array([0.7, 1.5, 3.0])}, _POSX),
    Case("InverseGamma", lambda D, c, r: D.InverseGamma(c, r),
         {"c": np.array([0.8, 1.5, 3.0]), "r": _pos(_B)}, _POSX),
    Case("Kumaraswamy", lambda D, a, b: D.Kumaraswamy(a, b),
         {"a": np.array([0.7, 2.0, 3.0]), "b": np.array([1.5, 0.8, 2.5])}, _U),
    Case("LogisticNormal", lambda D, loc, scale: D.LogisticNormal(loc, scale),
         {"loc": RNG.normal(size=(_B, _K - 1)), "scale": _pos(_B, _K - 1)},
         RNG.dirichlet(np.ones(_K), size=(4, _B))),
    # PyTorch's Multinomial.entropy takes lgamma(total_count + 1) in float32
    Case("Multinomial", lambda D, probs: D.Multinomial(5, probs=probs),
         {"probs": _probs(_B, _K)},
         RNG.multinomial(5, np.ones(_K) / _K, size=(4, _B)).astype(np.float64), rtol=1e-7),
    Case("NegativeBinomial", lambda D, n, probs: D.NegativeBinomial(n, probs=probs),
         {"n": np.array([2.0, 3.5, 6.0]), "probs": RNG.uniform(0.1, 0.8, _B)}, _COUNTS),
    Case("FisherSnedecor", lambda D, df1, df2: D.FisherSnedecor(df1, df2),
         {"df1": np.array([1.5, 4.0, 8.0]), "df2": np.array([3.0, 5.0, 12.0])}, _POSX),
    Case("LKJCholesky", lambda D, c: D.LKJCholesky(3, c), {"c": np.array([0.5, 1.0, 2.5])},
         np.linalg.cholesky(np.stack([np.corrcoef(RNG.normal(size=(3, 6))) for _ in range(12)])
                            ).reshape(4, _B, 3, 3)),
    Case("VonMises", lambda D, loc, k: D.VonMises(loc, k),
         {"loc": np.array([0.0, 1.0, -2.5]), "k": np.array([0.5, 3.0, 12.0])},
         RNG.uniform(-np.pi, np.pi, size=(4, _B))),
    Case("Wishart-cov", lambda D, df, cov: D.Wishart(df, covariance_matrix=cov),
         {"df": np.array([3.5, 5.0, 8.0]), "cov": _spd(3, (_B,))},
         np.stack([_spd(3) for _ in range(12)]).reshape(4, _B, 3, 3)),
    Case("Wishart-tril", lambda D, df, tril: D.Wishart(df, scale_tril=tril),
         {"df": np.array([4.0]), "tril": np.linalg.cholesky(_spd(3, (_B,)))},
         np.stack([_spd(3) for _ in range(12)]).reshape(4, _B, 3, 3)),
    Case("TransformedDistribution-affine-exp",
         lambda D, loc, scale: D.TransformedDistribution(
             D.Normal(loc, scale), [D.AffineTransform(0.5, 2.0), D.ExpTransform()]),
         {"loc": RNG.normal(size=_B), "scale": _pos(_B)}, _POSX),
    Case("TransformedDistribution-stickbreaking",
         lambda D, loc, scale: D.TransformedDistribution(
             D.Normal(loc, scale), D.StickBreakingTransform()),
         {"loc": RNG.normal(size=(_B, _K - 1)), "scale": _pos(_B, _K - 1)},
         RNG.dirichlet(np.ones(_K), size=(4, _B))),
]
CASE_IDS = [c.id for c in CASES]
BY_ID = {c.id: c for c in CASES}


def both(case, grad=False):
    """(ember distribution, its tensors), (torch distribution, its tensors)."""
    return case.make("ember", grad), case.make("torch", grad)


def outcome(fn):
    """fn()'s result, or the type of the exception it raised (to compare the libraries)."""
    try:
        return fn()
    except (NotImplementedError, ValueError, RuntimeError) as exc:
        return type(exc)
