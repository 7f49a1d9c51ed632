"""Samples agree with PyTorch's in distribution (a two-sample Kolmogorov-Smirnov test per
coordinate for continuous families, chi-square against PyTorch's mass function for discrete
ones, with fixed seeds and bounds a wrong sampler cannot meet); ``manual_seed`` makes draws
reproducible; draws are whole-array and work on the 'cuda' device."""
from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.distributions as ED

from ._cases import BY_ID, CASES, E, T, chi2_bound, ks_2samp, np_of

torch = pytest.importorskip("torch")

N = 20000
DISCRETE = {"Bernoulli-probs", "Bernoulli-logits", "Categorical-probs", "Categorical-logits",
            "Poisson", "Binomial-probs", "Binomial-logits", "Geometric", "OneHotCategorical",
            "OneHotCategoricalStraightThrough", "NegativeBinomial"}
MULTIVARIATE_COUNTS = {"Multinomial"}
CONTINUOUS = [c for c in CASES if c.id not in DISCRETE | MULTIVARIATE_COUNTS]


def _draws(case):
    ember.manual_seed(7)
    torch.manual_seed(7)
    (e, _), (t, _) = case.make("ember"), case.make("torch")
    with torch.no_grad():
        return np_of(e.sample((N,))), np_of(t.sample((N,))), t


@pytest.mark.parametrize("case", CONTINUOUS, ids=str)
def test_continuous_samples_match_pytorch_in_distribution(case):
    se, st, _ = _draws(case)
    assert se.shape == st.shape and np.isfinite(se).all()
    se, st = se.reshape(N, -1), st.reshape(N, -1)
    for j in range(se.shape[1]):
        d, crit = ks_2samp(se[:, j], st[:, j])
        assert d < crit, f"{case.id} coordinate {j}: KS distance {d:.4f} >= {crit:.4f}"


@pytest.mark.parametrize("case", [c for c in CASES if c.id in DISCRETE], ids=str)
def test_discrete_samples_follow_pytorchs_mass_function(case):
    se, _, t = _draws(case)
    if se.ndim == 3:  # one-hot: the category index
        assert ((se == 0) | (se == 1)).all() and (se.sum(-1) == 1).all()
        se = se.argmax(-1).astype(np.float64)
    for j in range(se.shape[1]):
        col = se[:, j]
        assert (col == np.round(col)).all() and (col >= 0).all()
        top = int(col.max())
        values = np.arange(top + 1, dtype=np.float64)
        if case.id.startswith("OneHot"):
            onehot = np.eye(t.event_shape[0])[values.astype(int)]
            lp = t.log_prob(T(onehot[:, None, :].repeat(se.shape[1], 1)))[:, j]
        else:
            lp = t.log_prob(T(values[:, None].repeat(se.shape[1], 1)))[:, j]
        pmf = np.exp(np_of(lp))
        counts = np.bincount(col.astype(int), minlength=top + 1).astype(np.float64)
        expected = N * pmf
        # cells with few expected draws, and all values above the largest drawn, are pooled
        keep = expected >= 5
        obs = np.append(counts[keep], counts[~keep].sum())
        exp = np.append(expected[keep], N - expected[keep].sum())
        mask = exp > 0
        stat = (((obs - exp) ** 2)[mask] / exp[mask]).sum()
        dof = max(int(mask.sum()) - 1, 1)
        assert stat < chi2_bound(dof), f"{case.id} column {j}: chi2 {stat:.1f}, dof {dof}"


def test_multinomial_counts_have_binomial_marginals():
    se, _, t = _draws(BY_ID["Multinomial"])
    n, probs = t.total_count, np_of(t.probs)
    assert (se.sum(-1) == n).all() and (se >= 0).all()
    values = np.arange(n + 1, dtype=np.float64)
    for j in range(se.shape[1]):
        for k in range(se.shape[2]):
            pmf = np.exp(np_of(torch.distributions.Binomial(n, probs=T(probs[j, k])).log_prob(
                T(values))))
            counts = np.bincount(se[:, j, k].astype(int), minlength=n + 1)
            exp = N * pmf
            keep = exp >= 5
            obs_, exp_ = np.append(counts[keep], counts[~keep].sum()), \
                np.append(exp[keep], exp[~keep].sum())
            mask = exp_ > 0
            stat = (((obs_ - exp_) ** 2)[mask] / exp_[mask]).sum()
            assert stat < chi2_bound(max(int(mask.sum()) - 1, 1)), (j, k, stat)


def test_a_wrong_sampler_fails_the_test():
    """Guard against a vacuous pass: a Normal sampler whose mean is off by a tenth of its
    scale, or whose scale is a fifth too large, is caught."""
    torch.manual_seed(7)
    b = np_of(torch.distributions.Normal(T([0.0]), T([1.0])).sample((N,)))
    for loc, scale in ((0.1, 1.0), (0.0, 1.2)):
        ember.manual_seed(7)
        a = np_of(ED.Normal(E([loc]), E([scale])).sample((N,)))
        d, crit = ks_2samp(a, b)
        assert d > crit, (loc, scale)


def test_manual_seed_makes_draws_reproducible():
    d = BY_ID["Gamma"].make("ember")[0]
    ember.manual_seed(3)
    a = np_of(d.sample((5,)))
    ember.manual_seed(3)
    b = np_of(d.sample((5,)))
    c = np_of(d.sample((5,)))
    assert np.array_equal(a, b) and not np.array_equal(b, c)
    for case in ("Categorical-probs", "Poisson", "Binomial-probs", "Dirichlet", "Beta"):
        d = BY_ID[case].make("ember")[0]
        ember.manual_seed(11)
        a = np_of(d.sample((4,)))
        ember.manual_seed(11)
        assert np.array_equal(a, np_of(d.sample((4,)))), case


@pytest.mark.parametrize("name", ["Normal", "Gamma", "Dirichlet", "Beta", "Poisson",
                                  "Binomial-probs", "Categorical-logits", "Geometric",
                                  "MultivariateNormal-tril", "Uniform", "Laplace"])
def test_sampling_and_log_prob_on_the_cuda_device(name):
    case = BY_ID[name]
    ps = {k: ember.tensor(v, dtype=ember.float64, device="cuda") for k, v in case.params.items()}
    d = case.build(ED, **ps)
    ember.manual_seed(5)
    s = d.sample((6,))
    assert s.device.type == "cuda"
    lp = d.log_prob(s)
    assert lp.device.type == "cuda" and np.isfinite(np_of(lp)).all()
    cpu = case.build(ED, **{k: E(v) for k, v in case.params.items()})
    np.testing.assert_allclose(np_of(lp), np_of(cpu.log_prob(E(np_of(s)))), rtol=1e-10)
    if d.has_rsample:
        for v in ps.values():
            v.requires_grad_(True)
        d = case.build(ED, **ps)
        d.rsample((3,)).sum().backward()
        assert any(v.grad is not None and v.grad.device.type == "cuda" for v in ps.values())
