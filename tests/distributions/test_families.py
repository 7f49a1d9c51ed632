"""Each family against torch.distributions on the same parameters: log_prob, cdf/icdf,
moments, entropy, supports, shapes, expand, repr, and the gradients of log_prob and entropy
with respect to the parameters (float64, a random upstream gradient)."""
from __future__ import annotations

import numpy as np
import pytest

import ember

from ._cases import CASES, RNG, E, T, assert_close, both, np_of, outcome

torch = pytest.importorskip("torch")


def _torch_repr(obj):
    return repr(obj).replace("torch.", "ember.")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_log_prob(case):
    (e, _), (t, _) = both(case)
    assert_close(e.log_prob(E(case.values)), t.log_prob(T(case.values)), what=case.id)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_cdf_and_icdf(case):
    (e, _), (t, _) = both(case)
    got = outcome(lambda: e.cdf(E(case.values)))
    want = outcome(lambda: t.cdf(T(case.values)))
    if isinstance(want, type):
        assert got is want, f"{case.id}.cdf: torch raises {want.__name__}, ember gives {got}"
    else:
        assert_close(got, want, rtol=1e-8, atol=1e-9, what=f"{case.id}.cdf")
    q = RNG.uniform(0.05, 0.95, size=np.shape(case.values)[:2])
    got = outcome(lambda: e.icdf(E(q)))
    want = outcome(lambda: t.icdf(T(q)))
    if isinstance(want, type):
        assert got is want, f"{case.id}.icdf: torch raises {want.__name__}, ember gives {got}"
    else:
        assert_close(got, want, rtol=1e-8, atol=1e-9, what=f"{case.id}.icdf")


@pytest.mark.parametrize("prop", ["mean", "mode", "variance", "stddev"])
@pytest.mark.parametrize("case", CASES, ids=str)
def test_moments(case, prop):
    (e, _), (t, _) = both(case)
    want = outcome(lambda: getattr(t, prop))
    got = outcome(lambda: getattr(e, prop))
    if isinstance(want, type):
        assert got is want, f"{case.id}.{prop}: torch raises {want.__name__}, ember {got}"
    else:
        assert_close(got, want, rtol=1e-9, atol=1e-10, what=f"{case.id}.{prop}")
        assert np_of(got).dtype == np_of(want).dtype


@pytest.mark.parametrize("case", CASES, ids=str)
def test_entropy_and_perplexity(case):
    (e, _), (t, _) = both(case)
    want = outcome(t.entropy)
    got = outcome(e.entropy)
    if isinstance(want, type):
        assert got is want
        return
    assert_close(got, want, rtol=case.rtol, atol=1e-10, what=f"{case.id}.entropy")
    assert_close(e.perplexity(), t.perplexity(), rtol=case.rtol, what=f"{case.id}.perplexity")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_shapes_flags_supports_and_repr(case):
    (e, _), (t, _) = both(case)
    assert tuple(e.batch_shape) == tuple(t.batch_shape)
    assert tuple(e.event_shape) == tuple(t.event_shape)
    assert e.has_rsample == t.has_rsample
    assert e.has_enumerate_support == t.has_enumerate_support
    assert repr(e.support) == _torch_repr(t.support)
    assert repr(e) == _torch_repr(t)
    assert set(e.arg_constraints) == set(t.arg_constraints)
    for name, c in t.arg_constraints.items():
        assert repr(e.arg_constraints[name]) == _torch_repr(c)
    for shape in [(), (2,), (5, 1)]:
        s = e.sample(shape)
        assert tuple(s.shape) == tuple(t.sample(shape).shape)
        assert s.dtype.name == str(t.sample(shape).dtype).replace("torch.", "")
        assert not s.requires_grad
        if e.has_rsample:
            assert tuple(e.rsample(shape).shape) == tuple(t.rsample(shape).shape)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_expand(case):
    (e, _), (t, _) = both(case)
    shape = (2,) + tuple(t.batch_shape)
    ex, tx = e.expand(shape), t.expand(shape)
    assert type(ex) is type(e)
    assert tuple(ex.batch_shape) == tuple(tx.batch_shape)
    assert tuple(ex.event_shape) == tuple(tx.event_shape)
    assert_close(ex.log_prob(E(case.values[:2])), tx.log_prob(T(case.values[:2])),
                 what=f"{case.id} expanded")
    assert tuple(ex.sample((3,)).shape) == tuple(tx.sample((3,)).shape)


@pytest.mark.parametrize("case", [c for c in CASES if c.build(
    torch.distributions, **{k: T(v) for k, v in c.params.items()}).has_enumerate_support],
    ids=str)
def test_enumerate_support(case):
    (e, _), (t, _) = both(case)
    for expand in (True, False):
        assert_close(e.enumerate_support(expand), t.enumerate_support(expand),
                     what=f"{case.id} expand={expand}")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_log_prob_and_entropy_gradients(case):
    (e, ep), (t, tp) = both(case, grad=True)
    if not any(x.requires_grad for x in tp.values()):
        pytest.skip("no differentiable parameter")
    lt = t.log_prob(T(case.values))
    w = RNG.normal(size=tuple(lt.shape))
    le = e.log_prob(E(case.values))
    names = [k for k, x in tp.items() if x.requires_grad]
    ge = ember.autograd.grad((le * E(w)).sum(), [ep[k] for k in names], retain_graph=True)
    gt = torch.autograd.grad((lt * T(w)).sum(), [tp[k] for k in names], retain_graph=True)
    for k, a, b in zip(names, ge, gt):
        if case.id == "Wishart-tril":
            # PyTorch's cholesky_solve gives the strict upper triangle of a Cholesky factor
            # a gradient though the density does not read it; ember's is 0 there
            a, b = np.tril(np_of(a)), np.tril(np_of(b))
        assert_close(a, b, rtol=1e-7, atol=1e-9, what=f"{case.id}: d log_prob / d {k}")
    ht = outcome(t.entropy)
    if isinstance(ht, type) or not ht.requires_grad:
        return
    he = e.entropy()
    w = RNG.normal(size=tuple(ht.shape))
    ge = ember.autograd.grad((he * E(w)).sum(), [ep[k] for k in names], allow_unused=True)
    gt = torch.autograd.grad((ht * T(w)).sum(), [tp[k] for k in names], allow_unused=True)
    for k, a, b in zip(names, ge, gt):
        if b is None:
            assert a is None or not np.any(np_of(a)), f"{case.id}: d entropy / d {k}"
        else:
            assert_close(a, b, rtol=1e-7, atol=1e-9, what=f"{case.id}: d entropy / d {k}")


def test_float32_parameters_give_float32_results():
    e = ember.distributions.Normal(ember.zeros(3), ember.ones(3))
    t = torch.distributions.Normal(torch.zeros(3), torch.ones(3))
    v = RNG.normal(size=(2, 3)).astype(np.float32)
    le, lt = e.log_prob(ember.tensor(v)), t.log_prob(torch.tensor(v))
    assert le.dtype == ember.float32 and e.sample().dtype == ember.float32
    assert_close(le, lt, rtol=1e-6, atol=1e-6)
    g = ember.distributions.Gamma(ember.ones(3), ember.ones(3))
    assert g.rsample().dtype == ember.float32
    c = ember.distributions.Categorical(logits=ember.zeros(3, 4))
    assert c.sample().dtype == ember.int64


def test_scalar_parameters_make_scalar_batch():
    for D in (ember.distributions, torch.distributions):
        for d in (D.Normal(0.0, 1.0), D.Gamma(2.0, 1.0), D.Beta(2.0, 3.0),
                  D.Bernoulli(probs=0.3), D.Uniform(0.0, 2.0), D.Exponential(2.0)):
            assert tuple(d.batch_shape) == () and tuple(d.sample().shape) == ()
    assert repr(ember.distributions.Normal(0.0, 1.0)) == "Normal(loc: 0.0, scale: 1.0)"


def test_sample_n_is_deprecated_but_works():
    d = ember.distributions.Normal(ember.zeros(2), ember.ones(2))
    with pytest.warns(FutureWarning, match=r"sample\(\(n,\)\)"):
        assert tuple(d.sample_n(5).shape) == (5, 2)


def test_lazy_probs_and_logits_are_normalised_as_pytorch():
    p = RNG.uniform(0.1, 2.0, size=(2, 5))
    e, t = ember.distributions.Categorical(probs=E(p)), torch.distributions.Categorical(probs=T(p))
    assert_close(e.probs, t.probs)
    assert_close(e.logits, t.logits)
    lg = RNG.normal(size=(2, 5)) * 4
    e, t = ember.distributions.Categorical(logits=E(lg)), \
        torch.distributions.Categorical(logits=T(lg))
    assert_close(e.logits, t.logits)
    assert_close(e.probs, t.probs)
    assert "probs" in e.__dict__  # computed once, then stored


def test_generalized_pareto_in_float32():
    """PyTorch 2.13's GeneralizedPareto compares its concentration with a float32 zero, so it
    only runs with float32 parameters: compared there (ember also runs in float64)."""
    loc, scale, conc = np.zeros(3), RNG.uniform(0.5, 2, 3), np.array([-0.1, 0.0, 0.4])
    v = RNG.uniform(0.01, 0.8, size=(4, 3))
    f32 = lambda lib, a, g=False: lib.tensor(a, dtype=lib.float32, requires_grad=g)  # noqa
    e = ember.distributions.GeneralizedPareto(*(f32(ember, a, True) for a in (loc, scale, conc)))
    t = torch.distributions.GeneralizedPareto(*(f32(torch, a, True) for a in (loc, scale, conc)))
    for m in ("log_prob", "cdf", "log_cdf", "log_survival_function"):
        assert_close(getattr(e, m)(f32(ember, v)), getattr(t, m)(f32(torch, v)), rtol=2e-6,
                     atol=1e-6, what=m)
    q = RNG.uniform(0.05, 0.95, size=(4, 3))
    assert_close(e.icdf(f32(ember, q)), t.icdf(f32(torch, q)), rtol=2e-6, atol=1e-6)
    for p in ("mean", "mode", "variance", "stddev"):
        assert_close(getattr(e, p), getattr(t, p), rtol=2e-6, atol=1e-6, what=p)
    assert_close(e.entropy(), t.entropy(), rtol=2e-6)
    e0 = ember.distributions.GeneralizedPareto(*(f32(ember, a) for a in (loc, scale, conc)))
    t0 = torch.distributions.GeneralizedPareto(*(f32(torch, a) for a in (loc, scale, conc)))
    assert repr(e0.support) == repr(t0.support).replace("torch.", "ember.")
    assert tuple(e.expand((2, 3)).sample((4,)).shape) == (4, 2, 3)
    le, lt = e.log_prob(f32(ember, v)).sum(), t.log_prob(f32(torch, v)).sum()
    ge = ember.autograd.grad(le, [e.scale, e.concentration])
    gt = torch.autograd.grad(lt, [t.scale, t.concentration])
    for a, b in zip(ge, gt):
        assert_close(a, b, rtol=1e-5, atol=1e-5)
    x = ember.distributions.GeneralizedPareto(E(loc), E(scale), E(conc)).log_prob(E(v))
    assert x.dtype == ember.float64 and np.isfinite(np_of(x)).all()


def test_parameters_of_the_full_shape_are_kept_as_given():
    loc, scale = ember.zeros(3, requires_grad=True), ember.ones(3)
    d = ember.distributions.Normal(loc, scale)
    assert d.loc is loc and d.scale is scale  # as PyTorch's broadcast_all
    assert tuple(ember.distributions.Normal(loc, 1.0).scale.shape) == (3,)


def _fixed_classes(D):
    """The subclasses real PyTorch programs write (a2c/ppo's FixedCategorical & co.)."""

    class FixedCategorical(D.Categorical):
        def sample(self):
            return super().sample().unsqueeze(-1)

        def log_probs(self, actions):
            return super().log_prob(actions.squeeze(-1)).view(actions.size(0), -1) \
                .sum(-1).unsqueeze(-1)

        def mode(self):
            return self.probs.argmax(dim=-1, keepdim=True)

    class FixedNormal(D.Normal):
        def log_probs(self, actions):
            return super().log_prob(actions).sum(-1, keepdim=True)

        def entropy(self):
            return super().entropy().sum(-1)

        def mode(self):
            return self.mean

    class FixedBernoulli(D.Bernoulli):
        def log_probs(self, actions):
            return super().log_prob(actions).view(actions.size(0), -1).sum(-1).unsqueeze(-1)

        def entropy(self):
            return super().entropy().sum(-1)

        def mode(self):
            return (self.probs > 0.5).float()

    return FixedCategorical, FixedNormal, FixedBernoulli


def test_subclasses_written_as_pytorch_programs_write_them():
    logits, loc, probs = RNG.normal(size=(5, 3)), RNG.normal(size=(5, 2)), RNG.uniform(size=(5, 2))
    acts = RNG.integers(0, 3, size=(5, 1)).astype(np.float64)
    out = {}
    for lib, D, mk in (("ember", ember.distributions, E), ("torch", torch.distributions, T)):
        cat, normal, bern = _fixed_classes(D)
        c = cat(logits=mk(logits))
        n = normal(mk(loc), mk(np.ones((5, 2))))
        b = bern(probs=mk(probs))
        out[lib] = [c.log_probs(mk(acts)), c.mode(), c.entropy(), n.log_probs(mk(loc)),
                    n.entropy(), n.mode(), b.log_probs(mk((probs > 0.5) * 1.0)), b.entropy(),
                    b.mode(), tuple(c.sample().shape),
                    torch.distributions.kl_divergence(c, c) if lib == "torch" else
                    ember.distributions.kl_divergence(c, c)]
    for a, b in zip(out["ember"], out["torch"]):
        if isinstance(b, tuple):
            assert a == b
        else:
            assert_close(a, b)
