"""Parametrizations, weight normalization and spectral normalization against PyTorch:
state-dict keys and their round trip between the libraries, the values and gradients,
the power iteration from the same u and v, evaluation mode, removal, caching, errors."""
from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

import ember
import ember.nn as enn
from ember.nn.utils import parametrize as P

torch = pytest.importorskip("torch")
tnn = torch.nn
tP = torch.nn.utils.parametrize


def _to_torch(sd):
    return {k: torch.tensor(v.detach().numpy()) for k, v in sd.items()}


def _to_ember(sd):
    return {k: ember.tensor(v.detach().numpy()) for k, v in sd.items()}


def _close(a, b, tol=1e-10):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol)


def _symmetric(nn):
    class Symmetric(nn.Module):
        def forward(self, x):
            return x.triu() + x.triu(1).transpose(-1, -2)

        def right_inverse(self, a):
            return a.triu()
    return Symmetric()


def _scale(nn, lib):
    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.s = nn.Parameter(lib.tensor(2.0, dtype=lib.float64))

        def forward(self, x):
            return x * self.s
    return Scale()


def test_register_parametrization_as_pytorch():
    em, tm = enn.Linear(3, 3).double(), tnn.Linear(3, 3).double()
    tm.load_state_dict(_to_torch(em.state_dict()))
    w0 = em.weight
    P.register_parametrization(em, "weight", _symmetric(enn))
    tP.register_parametrization(tm, "weight", _symmetric(tnn))
    assert type(em).__name__ == type(tm).__name__ == "ParametrizedLinear"
    assert isinstance(em, enn.Linear) and P.type_before_parametrizations(em) is enn.Linear
    assert repr(em) == repr(tm)
    assert list(em.state_dict()) == list(tm.state_dict()) == \
        ["bias", "parametrizations.weight.original"]
    assert em.parametrizations.weight.original is w0  # the same Parameter object
    assert [n for n, _ in em.named_parameters()] == [n for n, _ in tm.named_parameters()]
    _close(em.weight, tm.weight)
    w = em.weight.detach().numpy()
    np.testing.assert_allclose(w, w.T)
    x = np.random.default_rng(0).standard_normal((2, 3))
    (em(ember.tensor(x)) ** 2).sum().backward()
    (tm(torch.tensor(x)) ** 2).sum().backward()
    _close(em.parametrizations.weight.original.grad, tm.parametrizations.weight.original.grad)
    assert P.is_parametrized(em) and P.is_parametrized(em, "weight")
    assert not P.is_parametrized(em, "bias")
    # a second parametrization is applied after the first; its parameters join the state
    P.register_parametrization(em, "weight", _scale(enn, ember))
    tP.register_parametrization(tm, "weight", _scale(tnn, torch))
    assert list(em.state_dict()) == list(tm.state_dict())
    _close(em.weight, tm.weight)


def test_state_dicts_round_trip_between_the_libraries():
    em = enn.utils.parametrizations.weight_norm(enn.Conv2d(2, 3, 3).double())
    tm = tnn.utils.parametrizations.weight_norm(tnn.Conv2d(2, 3, 3).double())
    assert list(em.state_dict()) == list(tm.state_dict()) == \
        ["bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    tm.load_state_dict(_to_torch(em.state_dict()))
    _close(em.weight, tm.weight)
    with torch.no_grad():
        for p in tm.parameters():
            p.mul_(1.5)
    em.load_state_dict(_to_ember(tm.state_dict()))
    _close(em.weight, tm.weight)


def test_assigning_goes_through_right_inverse_and_caching():
    em, tm = enn.Linear(3, 3).double(), tnn.Linear(3, 3).double()
    P.register_parametrization(em, "weight", _symmetric(enn))
    tP.register_parametrization(tm, "weight", _symmetric(tnn))
    a = np.random.default_rng(1).standard_normal((3, 3))
    em.weight = ember.tensor(a)
    tm.weight = torch.tensor(a)
    _close(em.parametrizations.weight.original, tm.parametrizations.weight.original)
    _close(em.weight, tm.weight)
    assert em.weight is not em.weight
    with P.cached():
        assert em.weight is em.weight
        with P.cached():
            assert em.weight is em.weight
    assert em.weight is not em.weight
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        em.weight = enn.Parameter(ember.ones(3, 3))


def test_remove_parametrizations_as_pytorch():
    for leave in (True, False):
        em, tm = enn.Linear(3, 3).double(), tnn.Linear(3, 3).double()
        tm.load_state_dict(_to_torch(em.state_dict()))
        orig = em.weight
        P.register_parametrization(em, "weight", _symmetric(enn))
        tP.register_parametrization(tm, "weight", _symmetric(tnn))
        P.remove_parametrizations(em, "weight", leave_parametrized=leave)
        tP.remove_parametrizations(tm, "weight", leave_parametrized=leave)
        assert type(em) is enn.Linear and not hasattr(em, "parametrizations")
        assert em.weight is orig and isinstance(em.weight, enn.Parameter)
        assert list(em.state_dict()) == list(tm.state_dict()) == ["bias", "weight"]
        _close(em.weight, tm.weight)
    wn = enn.utils.parametrizations.weight_norm(enn.Linear(3, 2))
    twn = tnn.utils.parametrizations.weight_norm(tnn.Linear(3, 2))
    for mod, m in ((P, wn), (tP, twn)):
        with pytest.raises(ValueError, match="Cannot leave unparametrized"):
            mod.remove_parametrizations(m, "weight", leave_parametrized=False)
        mod.remove_parametrizations(m, "weight")
    assert type(wn) is enn.Linear and list(wn.state_dict()) == list(twn.state_dict())


def test_parametrization_errors_as_pytorch():
    class Halve(enn.Module):
        def forward(self, x):
            return x[:1]

    with pytest.raises(ValueError, match="may not change the shape"):
        P.register_parametrization(enn.Linear(3, 3), "weight", Halve())
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a "
                                         "parametrized element with name 'nope'"):
        P.register_parametrization(enn.Linear(3, 3), "nope", _symmetric(enn))
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        P.remove_parametrizations(enn.Linear(3, 3), "weight")
    with pytest.raises(RuntimeError, match="only supported through state_dict"):
        import pickle
        pickle.dumps(P.register_parametrization(enn.Linear(2, 2), "weight", _symmetric(enn)))
    twin = copy.deepcopy(P.register_parametrization(enn.Linear(2, 2), "weight", _symmetric(enn)))
    assert P.is_parametrized(twin, "weight")


def test_parametrized_buffer_and_transfer():
    m = enn.BatchNorm1d(3)
    P.register_parametrization(m, "running_var", _scale(enn, ember).float())
    assert list(m.state_dict())[:3] == ["weight", "bias", "running_mean"]
    np.testing.assert_allclose(m.running_var.detach().numpy(), 2.0)
    src = enn.utils.parametrizations.weight_norm(enn.Linear(3, 2))
    dst = P.transfer_parametrizations_and_params(src, enn.Linear(3, 2))
    assert P.is_parametrized(dst, "weight")
    assert dst.parametrizations.weight.original0 is src.parametrizations.weight.original0


# ---------------------------------------------------------------------------- weight norm


def test_hook_weight_norm_warns_and_computes_as_pytorch():
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        em = enn.utils.weight_norm(enn.Conv2d(2, 4, 3).double(), dim=2)
    assert got[0].category is FutureWarning and got[0].filename == __file__
    assert "`torch.nn.utils.weight_norm` is deprecated in favor of " \
           "`torch.nn.utils.parametrizations.weight_norm`." == str(got[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = tnn.utils.weight_norm(tnn.Conv2d(2, 4, 3).double(), dim=2)
    assert list(em.state_dict()) == list(tm.state_dict()) == ["bias", "weight_g", "weight_v"]
    assert tuple(em.weight_g.shape) == tuple(tm.weight_g.shape) == (1, 1, 3, 1)
    tm.load_state_dict(_to_torch(em.state_dict()))
    x = np.random.default_rng(2).standard_normal((1, 2, 5, 5))
    eo, to = em(ember.tensor(x)), tm(torch.tensor(x))
    _close(eo, to)
    (eo ** 2).sum().backward()
    (to ** 2).sum().backward()
    _close(em.weight_g.grad, tm.weight_g.grad)
    _close(em.weight_v.grad, tm.weight_v.grad)
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            enn.utils.weight_norm(em, dim=2)
    enn.utils.remove_weight_norm(em)
    assert list(em.state_dict()) == ["bias", "weight"] and not em._forward_pre_hooks
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        enn.utils.remove_weight_norm(em)


@pytest.mark.parametrize("dim", [0, 1, None, -2])
def test_weight_norm_magnitudes_and_old_state_dicts(dim):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        old = enn.utils.weight_norm(enn.Conv1d(3, 4, 2).double(), dim=dim)
        told = tnn.utils.weight_norm(tnn.Conv1d(3, 4, 2).double(), dim=dim)
    assert tuple(old.weight_g.shape) == tuple(told.weight_g.shape)
    new = enn.utils.parametrizations.weight_norm(enn.Conv1d(3, 4, 2).double(), dim=dim)
    tnew = tnn.utils.parametrizations.weight_norm(tnn.Conv1d(3, 4, 2).double(), dim=dim)
    new.load_state_dict(old.state_dict())  # weight_g / weight_v become original0 / original1
    tnew.load_state_dict(_to_torch(old.state_dict()))
    _close(new.weight, old.weight)
    _close(new.weight, tnew.weight)


# ---------------------------------------------------------------------------- spectral norm


def _power_iteration_pair(make, n_iter=1):
    em = enn.utils.spectral_norm(make(enn).double(), n_power_iterations=n_iter)
    tm = tnn.utils.spectral_norm(make(tnn).double(), n_power_iterations=n_iter)
    assert list(em.state_dict()) == list(tm.state_dict()) == \
        ["bias", "weight_orig", "weight_u", "weight_v"]
    em.load_state_dict(_to_ember(tm.state_dict()))  # the same u and v
    return em, tm


@pytest.mark.parametrize("make", [lambda nn: nn.Linear(5, 4), lambda nn: nn.Conv2d(2, 3, 3),
                                  lambda nn: nn.ConvTranspose2d(3, 2, 2)],
                         ids=["Linear", "Conv2d", "ConvTranspose2d"])
def test_hook_spectral_norm_iterates_as_pytorch(make):
    em, tm = _power_iteration_pair(make, 2)
    shape = (2, 5) if isinstance(em, enn.Linear) else (1, em.in_channels, 4, 4)
    rng = np.random.default_rng(3)
    for train in (True, True, False, False):
        em.train(train)
        tm.train(train)
        u = em.weight_u.detach().numpy().copy()
        x = rng.standard_normal(shape)
        eo, to = em(ember.tensor(x)), tm(torch.tensor(x))
        _close(eo, to)
        _close(em.weight_u, tm.weight_u)
        _close(em.weight_v, tm.weight_v)
        assert np.array_equal(u, em.weight_u.detach().numpy()) != train  # eval: u stays
        (eo ** 2).sum().backward()
        (to ** 2).sum().backward()
        _close(em.weight_orig.grad, tm.weight_orig.grad, 1e-9)
    assert em.state_dict()._metadata[""]["spectral_norm"] == {"weight.version": 1}
    enn.utils.remove_spectral_norm(em)
    tnn.utils.remove_spectral_norm(tm)
    assert list(em.state_dict()) == list(tm.state_dict())
    assert not em._state_dict_hooks and not em._load_state_dict_pre_hooks
    _close(em.weight, tm.weight)


def test_spectral_norm_estimates_the_largest_singular_value():
    m = enn.utils.spectral_norm(enn.Linear(6, 5).double(), n_power_iterations=5)
    for _ in range(20):
        m(ember.randn(1, 6, dtype=ember.float64))
    sigma = np.linalg.svd(m.weight_orig.detach().numpy(), compute_uv=False)[0]
    np.testing.assert_allclose(np.linalg.svd(m.weight.detach().numpy(), compute_uv=False)[0],
                               1.0, rtol=1e-8)
    assert sigma != pytest.approx(1.0)
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive"):
        enn.utils.spectral_norm(enn.Linear(2, 2), n_power_iterations=0)


def test_spectral_norm_parametrization_as_pytorch():
    em = enn.utils.parametrizations.spectral_norm(enn.Conv2d(2, 3, 3).double())
    tm = tnn.utils.parametrizations.spectral_norm(tnn.Conv2d(2, 3, 3).double())
    assert list(em.state_dict()) == list(tm.state_dict()) == \
        ["bias", "parametrizations.weight.original", "parametrizations.weight.0._u",
         "parametrizations.weight.0._v"]
    em.load_state_dict(_to_ember(tm.state_dict()))
    for train in (True, False):
        em.train(train)
        tm.train(train)
        _close(em.weight, tm.weight)  # each access iterates in training
        _close(em.parametrizations.weight[0]._u, tm.parametrizations.weight[0]._u)
    # registration runs 15 iterations from random u, v: close to the largest singular value
    fresh = enn.utils.parametrizations.spectral_norm(enn.Linear(8, 6).double())
    fresh.eval()
    s = np.linalg.svd(fresh.weight.detach().numpy(), compute_uv=False)[0]
    assert abs(s - 1.0) < 0.05
    vec = enn.utils.parametrizations.spectral_norm(enn.BatchNorm1d(4).double())
    np.testing.assert_allclose(np.linalg.norm(vec.weight.detach().numpy()), 1.0)
    for mod, nn in ((enn, enn), (tnn, tnn)):
        with pytest.raises(IndexError, match="Dimension out of range"):
            mod.utils.parametrizations.spectral_norm(nn.Linear(2, 2), dim=2)
        with pytest.raises(ValueError, match="has no parameter or buffer with name 'w'"):
            mod.utils.parametrizations.spectral_norm(nn.Linear(2, 2), name="w")
