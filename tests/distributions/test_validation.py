"""Argument and value validation: the same ValueError messages as PyTorch for bad
parameters, values outside the support, and values whose shape does not fit; the class-wide
default and ``validate_args=False``; the constructors' own errors."""
from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.distributions as ED

from ._cases import E, T

torch = pytest.importorskip("torch")
TD = torch.distributions


def _message(fn):
    try:
        fn()
    except (ValueError, RuntimeError, NotImplementedError, TypeError) as exc:
        return type(exc), str(exc)
    return None, None


def _same_error(ember_fn, torch_fn):
    et, em = _message(ember_fn)
    tt, tm = _message(torch_fn)
    assert tt is not None, "PyTorch raised nothing"
    assert et is tt, f"ember raised {et}, PyTorch {tt}: {em!r} vs {tm!r}"
    assert em == tm.replace("torch.", "ember."), f"\n{em}\n{tm}"


BAD_PARAMS = [
    ("Normal", lambda D, mk: D.Normal(mk([0.0, 1.0]), mk([1.0, -1.0]))),
    ("Normal-nan-loc", lambda D, mk: D.Normal(mk([np.nan]), mk([1.0]))),
    ("Gamma", lambda D, mk: D.Gamma(mk([0.0]), mk([1.0]))),
    ("Beta", lambda D, mk: D.Beta(mk([1.0]), mk([-2.0]))),
    ("Dirichlet", lambda D, mk: D.Dirichlet(mk([[1.0, 0.0]]))),
    ("Bernoulli", lambda D, mk: D.Bernoulli(probs=mk([1.5]))),
    ("Categorical", lambda D, mk: D.Categorical(probs=mk([[2.0, -0.5]]))),
    ("Uniform", lambda D, mk: D.Uniform(mk([1.0]), mk([0.0]))),
    ("Poisson", lambda D, mk: D.Poisson(mk([-1.0]))),
    ("Binomial", lambda D, mk: D.Binomial(mk([2.5]), probs=mk([0.5]))),
    ("Exponential", lambda D, mk: D.Exponential(mk([0.0]))),
    ("StudentT", lambda D, mk: D.StudentT(mk([-1.0]))),
    ("MultivariateNormal", lambda D, mk: D.MultivariateNormal(
        mk([0.0, 0.0]), covariance_matrix=mk([[1.0, 2.0], [2.0, 1.0]]))),
    ("MultivariateNormal-tril", lambda D, mk: D.MultivariateNormal(
        mk([0.0, 0.0]), scale_tril=mk([[1.0, 0.0], [0.5, -1.0]]))),
    ("LowRank", lambda D, mk: D.LowRankMultivariateNormal(mk([0.0]), mk([[1.0]]), mk([0.0]))),
    ("Geometric-zero", lambda D, mk: D.Geometric(probs=mk([0.0, 0.5]))),
    ("Pareto", lambda D, mk: D.Pareto(mk([1.0]), mk([-1.0]))),
    ("LogNormal", lambda D, mk: D.LogNormal(mk([0.0]), mk([0.0]))),
]


@pytest.mark.parametrize("name,build", BAD_PARAMS, ids=[b[0] for b in BAD_PARAMS])
def test_bad_parameters_raise_pytorchs_value_error(name, build):
    _same_error(lambda: build(ED, E), lambda: build(TD, T))


OUT_OF_SUPPORT = [
    ("Normal-nan", lambda D, mk: D.Normal(mk([0.0]), mk([1.0])), [np.nan]),
    ("Gamma", lambda D, mk: D.Gamma(mk([1.0]), mk([1.0])), [-1.0]),
    ("Beta", lambda D, mk: D.Beta(mk([1.0]), mk([1.0])), [1.5]),
    ("Bernoulli", lambda D, mk: D.Bernoulli(probs=mk([0.5])), [0.5]),
    ("Categorical", lambda D, mk: D.Categorical(probs=mk([0.5, 0.5])), [2.0]),
    ("Poisson", lambda D, mk: D.Poisson(mk([1.0])), [1.5]),
    ("Dirichlet", lambda D, mk: D.Dirichlet(mk([1.0, 1.0])), [0.3, 0.3]),
    ("Uniform", lambda D, mk: D.Uniform(mk([0.0]), mk([1.0])), [1.5]),
    ("Binomial", lambda D, mk: D.Binomial(mk([3.0]), probs=mk([0.5])), [4.0]),
    ("OneHot", lambda D, mk: D.OneHotCategorical(probs=mk([0.5, 0.5])), [1.0, 1.0]),
    ("Pareto", lambda D, mk: D.Pareto(mk([1.0]), mk([2.0])), [0.5]),
    ("LogNormal", lambda D, mk: D.LogNormal(mk([0.0]), mk([1.0])), [-1.0]),
]


@pytest.mark.parametrize("name,build,value", OUT_OF_SUPPORT, ids=[b[0] for b in OUT_OF_SUPPORT])
def test_values_outside_the_support_raise_pytorchs_value_error(name, build, value):
    _same_error(lambda: build(ED, E).log_prob(E(value)),
                lambda: build(TD, T).log_prob(T(value)))


def test_value_shape_and_type_errors():
    for fn in (lambda D, mk: D.Normal(mk(np.zeros(3)), mk(np.ones(3))).log_prob(mk([[1.0, 2.0]])),
               lambda D, mk: D.Dirichlet(mk(np.ones(3))).log_prob(mk([0.5, 0.5])),
               lambda D, mk: D.Normal(mk([0.0]), mk([1.0])).log_prob(0.5)):
        _same_error(lambda: fn(ED, E), lambda: fn(TD, T))


def test_constructor_errors():
    cases = [
        lambda D, mk: D.Categorical(),
        lambda D, mk: D.Categorical(probs=mk([0.5, 0.5]), logits=mk([0.0, 0.0])),
        lambda D, mk: D.Categorical(probs=mk(0.5)),
        lambda D, mk: D.Bernoulli(),
        lambda D, mk: D.Dirichlet(mk(1.0)),
        lambda D, mk: D.MultivariateNormal(mk(0.0), covariance_matrix=mk([[1.0]])),
        lambda D, mk: D.MultivariateNormal(mk([0.0])),
        lambda D, mk: D.MultivariateNormal(mk([0.0]), covariance_matrix=mk([1.0])),
        lambda D, mk: D.LowRankMultivariateNormal(mk([0.0, 0.0]), mk([[1.0]]), mk([1.0, 1.0])),
        lambda D, mk: D.LowRankMultivariateNormal(mk([0.0, 0.0]), mk([[1.0], [1.0]]),
                                                  mk([1.0])),
        lambda D, mk: D.Independent(D.Normal(mk([0.0]), mk([1.0])), 2),
        lambda D, mk: D.TransformedDistribution(D.Normal(mk([0.0]), mk([1.0])), "exp"),
        lambda D, mk: D.MixtureSameFamily(D.Normal(mk([0.0]), mk([1.0])),
                                          D.Normal(mk([0.0]), mk([1.0]))),
        lambda D, mk: D.MixtureSameFamily(D.Categorical(logits=mk([0.0, 0.0, 0.0])),
                                          D.Normal(mk([0.0, 1.0]), mk([1.0, 1.0]))),
        lambda D, mk: D.Binomial(mk([4.0, 5.0]), probs=mk([0.5, 0.5])).entropy(),
        lambda D, mk: D.Normal(mk([0.0, 1.0]), mk([1.0, 1.0, 1.0])),
        lambda D, mk: D.Gamma(mk(np.ones((2, 3))), mk(np.ones((4, 1, 2)))),
    ]
    for fn in cases:
        _same_error(lambda: fn(ED, E), lambda: fn(TD, T))  # noqa: B023


def test_validate_args_false_and_the_class_default():
    d = ED.Normal(E([0.0]), E([-1.0]), validate_args=False)  # no error
    assert np.isnan(d.log_prob(E([0.0])).numpy()).all()
    ED.Gamma(E([1.0]), E([1.0]), validate_args=False).log_prob(E([-1.0]))
    try:
        ED.Distribution.set_default_validate_args(False)
        ED.Normal(E([0.0]), E([-1.0]))
        ED.Gamma(E([1.0]), E([1.0])).log_prob(E([-1.0]))
        with pytest.raises(ValueError):  # an explicit request still validates
            ED.Normal(E([0.0]), E([-1.0]), validate_args=True)
    finally:
        ED.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        ED.Normal(E([0.0]), E([-1.0]))
    with pytest.raises(ValueError):
        ED.Distribution.set_default_validate_args("yes")


def test_expand_keeps_the_validation_setting_and_does_not_recheck():
    d = ED.Normal(E([0.0]), E([1.0]), validate_args=False)
    assert d.expand((3,))._validate_args is False
    d = ED.Normal(E([0.0]), E([1.0]))
    with pytest.raises(ValueError):
        d.expand((3,)).log_prob(E([np.nan, 0.0, 0.0]))


def test_a_subclass_with_its_own_init_must_define_expand():
    class Shifted(ED.Normal):
        def __init__(self, loc):
            super().__init__(loc, ember.ones_like(loc))

    with pytest.raises(NotImplementedError, match="must also define a custom .expand"):
        Shifted(E([0.0])).expand((2,))


def test_the_base_class_raises_for_what_a_family_leaves_out():
    d = ED.Distribution(validate_args=False)
    for method in ("rsample", "entropy", "enumerate_support"):
        with pytest.raises(NotImplementedError):
            getattr(d, method)()
    for method in ("log_prob", "cdf", "icdf"):
        with pytest.raises(NotImplementedError):
            getattr(d, method)(E([0.0]))
    with pytest.raises(NotImplementedError, match="does not implement mode"):
        d.mode
    with pytest.warns(UserWarning, match="does not define `arg_constraints`"):
        ED.Distribution()
