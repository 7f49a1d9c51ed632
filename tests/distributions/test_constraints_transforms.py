"""Constraints, transforms and the biject_to / transform_to registries against PyTorch's:
checks, reprs and attributes; forward, inverse and log-det-Jacobian values and gradients;
shapes, signs, equality and caching."""
from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.distributions as ED
from ember.distributions import constraints as EC

from ._cases import RNG, E, T, assert_close, np_of

torch = pytest.importorskip("torch")
TD = torch.distributions
TC = TD.constraints


def _tr(obj):
    return repr(obj).replace("torch.", "ember.")


def test_every_pytorch_constraint_and_transform_name_exists():
    for name in TC.__all__:
        assert hasattr(EC, name), name
    for name in TD.transforms.__all__:
        assert hasattr(ED.transforms, name), name
    for name in ("biject_to", "transform_to", "ConstraintRegistry"):
        assert hasattr(ED.constraint_registry, name)


def _spd(n=3, b=(2,)):
    a = RNG.normal(size=b + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


CHECKS = [
    ("real", [0.0, np.inf, np.nan, -3.0]),
    ("positive", [0.0, 1.0, -1.0, np.inf]),
    ("nonnegative", [0.0, 1.0, -1e-9]),
    ("unit_interval", [0.0, 1.0, 1.1, -0.1, 0.5]),
    ("boolean", [0.0, 1.0, 0.5, 2.0]),
    ("nonnegative_integer", [0.0, 1.0, 1.5, -1.0, 7.0]),
    ("positive_integer", [0.0, 1.0, 2.0, 2.5]),
    ("real_vector", [[0.0, np.nan], [1.0, 2.0]]),
    ("simplex", [[0.5, 0.5], [0.7, 0.2], [1.2, -0.2]]),
    ("one_hot", [[0.0, 1.0], [1.0, 1.0], [0.5, 0.5]]),
    ("lower_triangular", [[[1.0, 0.0], [2.0, 3.0]], [[1.0, 1.0], [0.0, 1.0]]]),
    ("lower_cholesky", [[[1.0, 0.0], [2.0, 3.0]], [[1.0, 0.0], [2.0, -3.0]]]),
    ("square", np.zeros((2, 3, 3))),
    ("symmetric", [[[1.0, 2.0], [2.0, 1.0]], [[1.0, 2.0], [2.5, 1.0]]]),
    ("positive_definite", np.stack([_spd(2, ())[()], -np.eye(2)])),
    ("positive_semidefinite", np.stack([np.zeros((2, 2)), -np.eye(2)])),
    ("corr_cholesky", [[[1.0, 0.0], [0.6, 0.8]], [[1.0, 0.0], [0.6, 0.9]]]),
]


@pytest.mark.parametrize("name,value", CHECKS, ids=[c[0] for c in CHECKS])
def test_constraint_checks_and_attributes(name, value):
    e, t = getattr(EC, name), getattr(TC, name)
    assert np.array_equal(np_of(e.check(E(value))), np_of(t.check(T(value))))
    assert repr(e) == _tr(t)
    assert e.is_discrete == t.is_discrete and e.event_dim == t.event_dim


FACTORIES = [
    ("greater_than", (1.0,), [0.0, 1.0, 2.0]),
    ("greater_than_eq", (1.0,), [0.0, 1.0, 2.0]),
    ("less_than", (1.0,), [0.0, 1.0, 2.0]),
    ("interval", (-1.0, 1.0), [-1.0, 0.0, 1.0, 2.0]),
    ("half_open_interval", (-1.0, 1.0), [-1.0, 0.0, 1.0, 2.0]),
    ("integer_interval", (0, 3), [0.0, 3.0, 1.5, 4.0]),
    ("multinomial", (3,), [[1.0, 2.0], [2.0, 2.0], [-1.0, 1.0]]),
]


@pytest.mark.parametrize("name,args,value", FACTORIES, ids=[f[0] for f in FACTORIES])
def test_constraint_factories(name, args, value):
    e, t = getattr(EC, name)(*args), getattr(TC, name)(*args)
    assert np.array_equal(np_of(e.check(E(value))), np_of(t.check(T(value))))
    assert repr(e) == _tr(t)
    assert e.is_discrete == t.is_discrete and e.event_dim == t.event_dim


def test_composite_constraints():
    v = RNG.normal(size=(2, 3, 4))
    pairs = [
        (EC.independent(EC.positive, 2), TC.independent(TC.positive, 2)),
        (EC.cat([EC.positive, EC.real], dim=-1, lengths=[2, 2]),
         TC.cat([TC.positive, TC.real], dim=-1, lengths=[2, 2])),
        (EC.stack([EC.positive, EC.real, EC.unit_interval, EC.real], dim=-1),
         TC.stack([TC.positive, TC.real, TC.unit_interval, TC.real], dim=-1)),
        (EC.MixtureSameFamilyConstraint(EC.positive), TC.MixtureSameFamilyConstraint(TC.positive)),
    ]
    for e, t in pairs:
        assert np.array_equal(np_of(e.check(E(v))), np_of(t.check(T(v))))
        assert repr(e) == _tr(t)
        assert e.is_discrete == t.is_discrete and e.event_dim == t.event_dim
    with pytest.raises(ValueError, match="Expected value.dim\\(\\) >= 3 but got 2"):
        EC.independent(EC.positive, 3).check(E(np.ones((2, 2))))


def test_dependent_constraints():
    assert EC.is_dependent(EC.dependent) and not EC.is_dependent(EC.real)
    with pytest.raises(ValueError, match="Cannot determine validity of dependent constraint"):
        EC.dependent.check(E([1.0]))
    with pytest.raises(NotImplementedError, match="cannot be determined statically"):
        EC.dependent.event_dim
    d = EC.dependent(is_discrete=True, event_dim=1)
    assert d.is_discrete and d.event_dim == 1
    # a dependent property is a constraint on the class, a value on the instance
    assert EC.is_dependent(ED.Uniform.support) and ED.Uniform.support.event_dim == 0
    u = ED.Uniform(E([0.0]), E([2.0]))
    assert repr(u.support) == repr(TD.Uniform(T([0.0]), T([2.0])).support).replace("torch",
                                                                                    "ember")


def _unit(shape):
    return RNG.uniform(0.05, 0.95, size=shape)


TRANSFORMS = [
    ("ExpTransform", (), lambda: RNG.normal(size=(2, 3))),
    ("SigmoidTransform", (), lambda: RNG.normal(size=(2, 3)) * 3),
    ("TanhTransform", (), lambda: RNG.normal(size=(2, 3))),
    ("SoftplusTransform", (), lambda: RNG.normal(size=(2, 3)) * 3),
    ("AbsTransform", (), lambda: RNG.normal(size=(2, 3))),
    ("AffineTransform", (0.5, -2.0), lambda: RNG.normal(size=(2, 3))),
    ("AffineTransform-tensors-event1", "affine1", lambda: RNG.normal(size=(2, 3))),
    ("PowerTransform", "power", lambda: RNG.uniform(0.2, 3, size=(2, 3))),
    ("SoftmaxTransform", (), lambda: RNG.normal(size=(2, 4))),
    ("StickBreakingTransform", (), lambda: RNG.normal(size=(2, 3))),
    ("LowerCholeskyTransform", (), lambda: RNG.normal(size=(2, 3, 3))),
    ("PositiveDefiniteTransform", (), lambda: RNG.normal(size=(2, 3, 3))),
    ("CorrCholeskyTransform", (), lambda: RNG.normal(size=(2, 6))),
]


def _make_transform(lib, name, args):
    D, mk = (ED, E) if lib == "ember" else (TD, T)
    if args == "affine1":
        return D.AffineTransform(mk([0.5, 1.0, -1.0]), mk([2.0, -1.0, 0.5]), event_dim=1)
    if args == "power":
        return D.PowerTransform(mk([2.0, 0.5, -1.5]))
    return getattr(D, name.split("-")[0])(*args)


@pytest.mark.parametrize("name,args,sample", TRANSFORMS, ids=[t[0] for t in TRANSFORMS])
def test_transform_values_gradients_and_attributes(name, args, sample):
    e, t = _make_transform("ember", name, args), _make_transform("torch", name, args)
    x = sample()
    xe, xt = E(x, True), T(x, True)
    ye, yt = e(xe), t(xt)
    assert_close(ye, yt, what=f"{name} forward")
    assert_close(e.inv(ye), t.inv(yt), rtol=1e-8, atol=1e-9, what=f"{name} inverse")
    assert repr(e) == _tr(t) and repr(e.inv) == _tr(t.inv)
    assert repr(e.domain) == _tr(t.domain) and repr(e.codomain) == _tr(t.codomain)
    assert e.bijective == t.bijective
    assert tuple(e.forward_shape(xt.shape)) == tuple(t.forward_shape(xt.shape))
    assert tuple(e.inverse_shape(yt.shape)) == tuple(t.inverse_shape(yt.shape))
    try:
        want_sign = t.sign
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            e.sign
    else:
        assert_close(E(np_of(e.sign)) if not isinstance(e.sign, int) else e.sign,
                     want_sign if not isinstance(want_sign, int) else want_sign)
    try:
        lt = t.log_abs_det_jacobian(xt, yt)
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            e.log_abs_det_jacobian(xe, ye)
        return
    le = e.log_abs_det_jacobian(xe, ye)
    assert_close(le, lt, rtol=1e-8, atol=1e-9, what=f"{name} log|det J|")
    assert_close(e.inv.log_abs_det_jacobian(ye, xe), t.inv.log_abs_det_jacobian(yt, xt),
                 rtol=1e-8, atol=1e-9)
    assert le.requires_grad == lt.requires_grad
    if not lt.requires_grad:  # a constant Jacobian (affine)
        return
    w = RNG.normal(size=tuple(lt.shape))
    ge, = ember.autograd.grad((le * E(w)).sum(), [xe])
    gt, = torch.autograd.grad((lt * T(w)).sum(), [xt])
    assert_close(ge, gt, rtol=1e-7, atol=1e-9, what=f"{name} d log|det J| / dx")


def test_transform_equality_caching_and_inverse_of_inverse():
    assert ED.ExpTransform() == ED.ExpTransform() and ED.ExpTransform() != ED.SigmoidTransform()
    assert ED.AffineTransform(1.0, 2.0) == ED.AffineTransform(1.0, 2.0)
    assert ED.AffineTransform(1.0, 2.0) != ED.AffineTransform(1.0, 3.0)
    assert ED.ExpTransform().inv == ED.ExpTransform().inv
    t = ED.ExpTransform()
    assert t.inv.inv is t
    c = ED.ComposeTransform([ED.ExpTransform(), ED.AffineTransform(0.0, 2.0)])
    assert c == ED.ComposeTransform([ED.ExpTransform(), ED.AffineTransform(0.0, 2.0)])
    assert c.inv.inv is c and c.bijective and c.sign == 1
    with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
        ED.ExpTransform(cache_size=2)
    cached = ED.ExpTransform(cache_size=1)
    x = E([0.5])
    y = cached(x)
    assert cached(x) is y and cached.inv(y) is x  # the latest pair is returned as is
    assert ED.ExpTransform().with_cache(1)._cache_size == 1
    with pytest.raises(TypeError):
        hash(ED.ExpTransform())  # unhashable, as PyTorch's (they define __eq__)


def test_compose_independent_reshape_cat_stack_and_cdf_transforms():
    x = RNG.normal(size=(2, 3, 4))
    cases = [
        lambda D, mk: D.ComposeTransform([D.ExpTransform(), D.AffineTransform(1.0, 2.0),
                                          D.StickBreakingTransform()]),
        lambda D, mk: D.IndependentTransform(D.SigmoidTransform(), 2),
        lambda D, mk: D.ReshapeTransform((3, 4), (12,)),
        lambda D, mk: D.CatTransform([D.ExpTransform(), D.AffineTransform(0.0, 3.0)], dim=-1,
                                     lengths=[1, 3]),
        lambda D, mk: D.StackTransform([D.ExpTransform(), D.TanhTransform(),
                                        D.SigmoidTransform(), D.AffineTransform(1.0, -1.0)],
                                       dim=-1),
        lambda D, mk: D.CumulativeDistributionTransform(D.Normal(mk(0.0), mk(2.0))),
    ]
    for build in cases:
        e, t = build(ED, E), build(TD, T)
        xe, xt = E(x, True), T(x, True)
        ye, yt = e(xe), t(xt)
        assert_close(ye, yt)
        assert_close(e.inv(ye), t.inv(yt), rtol=1e-8, atol=1e-9)
        le, lt = e.log_abs_det_jacobian(xe, ye), t.log_abs_det_jacobian(xt, yt)
        assert_close(le, lt, rtol=1e-8, atol=1e-9)
        assert repr(e.domain) == _tr(t.domain) and repr(e.codomain) == _tr(t.codomain)
        assert tuple(e.forward_shape(xt.shape)) == tuple(t.forward_shape(xt.shape))
        assert le.requires_grad == lt.requires_grad
        if lt.requires_grad:
            ge, = ember.autograd.grad(le.sum(), [xe])
            gt, = torch.autograd.grad(lt.sum(), [xt])
            assert_close(ge, gt, rtol=1e-7, atol=1e-9)
    assert repr(ED.identity_transform) == _tr(TD.identity_transform)
    with pytest.raises(ValueError, match="different numbers of elements"):
        ED.ReshapeTransform((3,), (4,))


CONSTRAINTS_TO_TRANSFORM = [
    ("real", lambda C: C.real), ("positive", lambda C: C.positive),
    ("nonnegative", lambda C: C.nonnegative), ("unit_interval", lambda C: C.unit_interval),
    ("greater_than", lambda C: C.greater_than(1.5)),
    ("greater_than_eq", lambda C: C.greater_than_eq(-1.0)),
    ("less_than", lambda C: C.less_than(2.0)), ("interval", lambda C: C.interval(-1.0, 3.0)),
    ("half_open_interval", lambda C: C.half_open_interval(0.0, 1.0)),
    ("simplex", lambda C: C.simplex), ("real_vector", lambda C: C.real_vector),
    ("independent", lambda C: C.independent(C.positive, 1)),
    ("lower_cholesky", lambda C: C.lower_cholesky),
    ("positive_definite", lambda C: C.positive_definite),
    ("positive_semidefinite", lambda C: C.positive_semidefinite),
    ("corr_cholesky", lambda C: C.corr_cholesky),
    ("cat", lambda C: C.cat([C.positive, C.real], dim=-1, lengths=[1, 5])),
    ("stack", lambda C: C.stack([C.positive] * 6, dim=-1)),
]


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("name,make", CONSTRAINTS_TO_TRANSFORM,
                         ids=[c[0] for c in CONSTRAINTS_TO_TRANSFORM])
def test_biject_to_and_transform_to(registry, name, make):
    er, tr = getattr(ED, registry), getattr(TD, registry)
    try:
        t = tr(make(TC))
    except NotImplementedError as exc:
        with pytest.raises(NotImplementedError, match=str(exc)):
            er(make(EC))
        return
    e = er(make(EC))
    assert repr(e) == _tr(t)
    x = RNG.normal(size=(2, 6) if "cholesky" not in name and "definite" not in name
                   else ((2, 3, 3) if name != "corr_cholesky" else (2, 3)))
    ye, yt = e(E(x)), t(T(x))
    assert_close(ye, yt, rtol=1e-9, atol=1e-10)
    assert bool(make(EC).check(ye).all())


def test_registering_a_new_constraint():
    class _Odd(EC.Constraint):
        def check(self, value):
            return value % 2 == 1

    reg = ED.constraint_registry.ConstraintRegistry()
    reg.register(_Odd, lambda c: ED.identity_transform)
    assert reg(_Odd()) is ED.identity_transform
    with pytest.raises(NotImplementedError, match="Cannot transform _Real constraints"):
        reg(EC.real)
    with pytest.raises(TypeError, match="Expected constraint to be either"):
        reg.register(3, lambda c: None)
