"""kl_divergence for every pair PyTorch registers, value and gradients against
torch.distributions; the lookup of the most specific match, its ambiguity warning, and the
NotImplementedError for pairs without a function."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
import ember.distributions as ED

from ._cases import E, T, assert_close, np_of

torch = pytest.importorskip("torch")
TD = torch.distributions


def _params(name, seed):
    r = np.random.default_rng(seed)
    pos = lambda *s: r.uniform(0.4, 3.0, size=s)  # noqa: E731
    b, k = 3, 4
    if name in ("Normal", "Cauchy", "Laplace", "Gumbel"):
        return {"loc": r.normal(size=b), "scale": pos(b)}
    if name in ("Bernoulli", "Geometric", "ContinuousBernoulli"):
        return {"probs": r.uniform(0.1, 0.9, b)}
    if name == "Binomial":
        return {"total_count": np.full(b, 6.0), "probs": r.uniform(0.1, 0.9, b)}
    if name in ("Categorical", "OneHotCategorical"):
        return {"logits": r.normal(size=(b, k))}
    if name == "Beta":
        return {"concentration1": pos(b), "concentration0": pos(b)}
    if name == "Gamma":
        return {"concentration": pos(b), "rate": pos(b)}
    if name in ("Exponential", "Poisson"):
        return {"rate": pos(b)}
    if name == "Dirichlet":
        return {"concentration": pos(b, k)}
    if name == "HalfNormal":
        return {"scale": pos(b)}
    if name == "Uniform":
        # inside (0, 1), covering [0, 1], and beyond 1.5: every pair has finite entries; the
        # second distribution of a pair (seed 2) is wider, so it contains the first
        wider = 0.1 * (seed - 1)
        lo = np.array([0.1, -0.2, 1.6]) - wider
        return {"low": lo, "high": lo + np.array([0.5, 1.3, 1.3]) + 2 * wider}
    if name == "Pareto":  # alpha <= 1, <= 2 and > 2: every branch of the Pareto KLs
        return {"scale": r.uniform(0.5, 1.5, b), "alpha": np.array([0.8, 1.7, 3.5])}
    if name == "MultivariateNormal":
        a = r.normal(size=(b, k, k))
        return {"loc": r.normal(size=(b, k)),
                "scale_tril": np.linalg.cholesky(a @ a.transpose(0, 2, 1) + k * np.eye(k))}
    if name == "LowRankMultivariateNormal":
        return {"loc": r.normal(size=(b, k)), "cov_factor": r.normal(size=(b, k, 2)),
                "cov_diag": pos(b, k)}
    if name == "Independent":
        return {"loc": r.normal(size=(b, k)), "scale": pos(b, k)}
    if name == "TransformedDistribution":
        return {"loc": r.normal(size=b), "scale": pos(b)}
    raise KeyError(name)


def _build(D, name, p):
    if name == "Independent":
        return D.Independent(D.Normal(p["loc"], p["scale"]), 1)
    if name == "TransformedDistribution":  # LogNormal is one
        return D.LogNormal(p["loc"], p["scale"])
    if name in ("Categorical", "OneHotCategorical"):
        return getattr(D, name)(logits=p["logits"])
    if name in ("Bernoulli", "Geometric", "ContinuousBernoulli"):
        return getattr(D, name)(probs=p["probs"])
    if name == "Binomial":
        return D.Binomial(p["total_count"], probs=p["probs"])
    if name == "MultivariateNormal":
        return D.MultivariateNormal(p["loc"], scale_tril=p["scale_tril"])
    return getattr(D, name)(**p)


def _make(name, seed, grad=False):
    p = _params(name, seed)
    ne = {k: E(v, grad and k != "total_count") for k, v in p.items()}
    nt = {k: T(v, grad and k != "total_count") for k, v in p.items()}
    return (_build(ED, name, ne), ne), (_build(TD, name, nt), nt)


PAIRS = sorted((p.__name__, q.__name__) for p, q in TD.kl._KL_REGISTRY
               if p is not TD.ExponentialFamily)


def test_every_pytorch_pair_is_registered():
    ours = {(p.__name__, q.__name__) for p, q in ED.kl._KL_REGISTRY}
    theirs = {(p.__name__, q.__name__) for p, q in TD.kl._KL_REGISTRY}
    assert ours == theirs


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: f"{p[0]}-{p[1]}")
def test_kl_values_and_gradients(pair):
    pn, qn = pair
    (ep, epp), (tp, tpp) = _make(pn, 1, grad=True)
    (eq, eqp), (tq, tqp) = _make(qn, 2, grad=True)
    kt = TD.kl_divergence(tp, tq)
    ke = ED.kl_divergence(ep, eq)
    assert_close(ke, kt, rtol=1e-8, atol=1e-9, what=f"KL({pn} || {qn})")
    if not kt.requires_grad or not np.isfinite(np_of(kt)).any():
        return
    w = np.random.default_rng(3).normal(size=tuple(kt.shape))
    w = np.where(np.isfinite(np_of(kt)), w, 0.0)  # inf entries carry no gradient
    names = [("p", k) for k, v in tpp.items() if v.requires_grad] + \
        [("q", k) for k, v in tqp.items() if v.requires_grad]
    src_t = {"p": tpp, "q": tqp}
    src_e = {"p": epp, "q": eqp}
    loss_t = (torch.where(torch.isfinite(kt), kt, 0.0) * T(w)).sum()
    loss_e = (ember.where(ke.isfinite(), ke, 0.0) * E(w)).sum()
    gt = torch.autograd.grad(loss_t, [src_t[s][k] for s, k in names], allow_unused=True)
    ge = ember.autograd.grad(loss_e, [src_e[s][k] for s, k in names], allow_unused=True)
    for (s, k), a, b in zip(names, ge, gt):
        if b is None:
            assert a is None or not np.any(np_of(a)), f"KL({pn}||{qn}) d/d {s}.{k}"
        else:
            assert a is not None, f"KL({pn}||{qn}): no gradient for {s}.{k}"
            assert_close(a, b, rtol=1e-7, atol=1e-9, what=f"KL({pn}||{qn}) d/d {s}.{k}")


def test_binomial_kl_refuses_a_larger_q_count_and_gives_inf_for_a_smaller_one():
    p = ED.Binomial(E([4.0, 6.0]), probs=E([0.3, 0.3]))
    q = ED.Binomial(E([5.0, 5.0]), probs=E([0.4, 0.4]))
    with pytest.raises(NotImplementedError, match="q.total_count > p.total_count"):
        ED.kl_divergence(p, q)
    q = ED.Binomial(E([4.0, 5.0]), probs=E([0.4, 0.4]))
    kl = np_of(ED.kl_divergence(p, q))
    assert np.isfinite(kl[0]) and kl[1] == np.inf


def test_the_exponential_family_fallback_is_a_bregman_divergence():
    (ep, _), (tp, _) = _make("Normal", 1)
    (eq, _), (tq, _) = _make("Normal", 2)
    assert_close(ED.kl._kl_expfamily_expfamily(ep, eq), TD.kl_divergence(tp, tq), rtol=1e-9)
    (ep, _), (tp, _) = _make("Gamma", 1)
    (eq, _), (tq, _) = _make("Gamma", 2)
    assert_close(ED.kl._kl_expfamily_expfamily(ep, eq), TD.kl_divergence(tp, tq), rtol=1e-9)


def test_missing_pairs_raise_not_implemented_as_pytorch():
    for D, mk in ((ED, E), (TD, T)):
        with pytest.raises(NotImplementedError,
                           match="No KL\\(p \\|\\| q\\) is implemented for p type Cauchy and "
                                 "q type Normal"):
            D.kl_divergence(D.Cauchy(mk([0.0]), mk([1.0])), D.Normal(mk([0.0]), mk([1.0])))
        # two exponential families without a registered pair reach the fallback, which refuses
        with pytest.raises(NotImplementedError, match="different exponential families"):
            D.kl_divergence(D.Poisson(mk([1.0])), D.Gamma(mk([1.0]), mk([1.0])))


def test_lookup_takes_the_most_specific_match_and_warns_when_ambiguous():
    class Base(ED.Normal):
        pass

    class Derived(Base):
        pass

    calls = []

    @ED.register_kl(Base, ED.Normal)
    def _base_normal(p, q):
        calls.append("base-normal")
        return p.loc * 0

    @ED.register_kl(Derived, ED.Normal)
    def _derived_normal(p, q):
        calls.append("derived-normal")
        return p.loc * 0

    try:
        ED.kl_divergence(Derived(E([0.0]), E([1.0])), ED.Normal(E([0.0]), E([1.0])))
        ED.kl_divergence(Base(E([0.0]), E([1.0])), ED.Normal(E([0.0]), E([1.0])))
        assert calls == ["derived-normal", "base-normal"]

        @ED.register_kl(ED.Normal, Derived)
        def _normal_derived(p, q):
            return p.loc * 0

        with pytest.warns(RuntimeWarning, match=r"Ambiguous kl_divergence\(Derived, Derived\). "
                                                r"Please register_kl\(Derived, Derived\)"):
            ED.kl_divergence(Derived(E([0.0]), E([1.0])), Derived(E([0.0]), E([1.0])))
    finally:
        for key in [(Base, ED.Normal), (Derived, ED.Normal), (ED.Normal, Derived)]:
            ED.kl._KL_REGISTRY.pop(key, None)
        ED.kl._KL_MEMOIZE.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ED.kl_divergence(ED.Normal(E([0.0]), E([1.0])), ED.Normal(E([0.5]), E([2.0])))


def test_kl_of_transformed_and_independent_needs_matching_structure():
    a = ED.LogNormal(E([0.0]), E([1.0]))
    b = ED.TransformedDistribution(ED.Normal(E([0.0]), E([1.0])), [ED.SigmoidTransform()])
    with pytest.raises(NotImplementedError):
        ED.kl_divergence(a, b)
    i1 = ED.Independent(ED.Normal(E(np.zeros((2, 3))), E(np.ones((2, 3)))), 1)
    i2 = ED.Independent(ED.Normal(E(np.zeros((2, 3))), E(np.ones((2, 3)))), 2)
    with pytest.raises(NotImplementedError):
        ED.kl_divergence(i1, i2)


def test_mvn_kl_refuses_different_event_shapes():
    p = ED.MultivariateNormal(E(np.zeros(2)), scale_tril=E(np.eye(2)))
    q = ED.MultivariateNormal(E(np.zeros(3)), scale_tril=E(np.eye(3)))
    with pytest.raises(ValueError, match="different event shapes"):
        ED.kl_divergence(p, q)


def test_wishart_kl_goes_through_the_exponential_family_fallback_as_pytorchs():
    r = np.random.default_rng(4)
    a = r.normal(size=(2, 2, 3, 3))
    cov = a @ np.swapaxes(a, -1, -2) + 3 * np.eye(3)
    df1, df2 = np.array([4.0, 6.0]), np.array([5.0, 7.0])
    e = ED.kl_divergence(ED.Wishart(E(df1), covariance_matrix=E(cov[0])),
                         ED.Wishart(E(df2), covariance_matrix=E(cov[1])))
    t = TD.kl_divergence(TD.Wishart(T(df1), covariance_matrix=T(cov[0])),
                         TD.Wishart(T(df2), covariance_matrix=T(cov[1])))
    assert_close(e, t, rtol=1e-8)
