"""Initialisers draw from PyTorch's distributions; gradient clipping and vector helpers."""
from __future__ import annotations

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn import init

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def _ks(a, b):
    """Two-sample Kolmogorov-Smirnov statistic."""
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    fa = np.searchsorted(a, grid, side="right") / a.size
    fb = np.searchsorted(b, grid, side="right") / b.size
    return np.abs(fa - fb).max()


@pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")
@pytest.mark.parametrize("name,kw", [
    ("uniform_", dict(a=-0.3, b=0.7)), ("normal_", dict(mean=0.5, std=2.0)),
    ("xavier_uniform_", dict(gain=1.5)), ("xavier_normal_", {}),
    ("kaiming_uniform_", dict(a=math.sqrt(5))), ("kaiming_normal_", dict(mode="fan_out",
                                                                          nonlinearity="relu")),
    ("trunc_normal_", dict(std=0.5, a=-0.4, b=0.9)),
])
def test_initialisers_match_torch_distribution(name, kw):
    shape = (300, 200, 3)
    e = getattr(init, name)(ember.empty(*shape), **kw).numpy().ravel()
    t = getattr(torch.nn.init, name)(torch.empty(*shape), **kw).numpy().ravel()
    assert _ks(e[:50_000], t[:50_000]) < 0.015


@pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")
def test_default_layer_init_matches_torch_distribution():
    e = np.concatenate([nn.Linear(400, 300).weight.detach().numpy().ravel() for _ in range(2)])
    t = np.concatenate([torch.nn.Linear(400, 300).weight.detach().numpy().ravel()
                        for _ in range(2)])
    assert _ks(e, t) < 0.01
    assert abs(e.max() - 1 / math.sqrt(400)) < 1e-4
    eb = nn.Linear(400, 300).bias.detach().numpy()
    assert eb.max() <= 1 / math.sqrt(400) and eb.min() >= -1 / math.sqrt(400)


def test_gain_constant_eye_orthogonal():
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    with pytest.raises(ValueError):
        init.calculate_gain("nope")
    assert init.constant_(ember.empty(2), 3.0).tolist() == [3.0, 3.0]
    assert init.eye_(ember.empty(2, 3)).tolist() == [[1, 0, 0], [0, 1, 0]]
    q = init.orthogonal_(ember.empty(4, 6)).numpy()
    np.testing.assert_allclose(q @ q.T, np.eye(4), atol=1e-5)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(ember.empty(3))


def test_init_is_reproducible_with_manual_seed():
    ember.manual_seed(4)
    a = nn.Linear(5, 5).weight.detach().numpy().copy()
    ember.manual_seed(4)
    b = nn.Linear(5, 5).weight.detach().numpy()
    np.testing.assert_array_equal(a, b)


@pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")
@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_clip_grad_norm_matches_torch(norm_type):
    rng = np.random.default_rng(0)
    gs = [rng.standard_normal(s) for s in [(3, 4), (5,)]]
    eps_ = [ember.tensor(np.zeros(g.shape), requires_grad=True) for g in gs]
    tps = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in gs]
    for p, q, g in zip(eps_, tps, gs):
        p.grad = ember.tensor(g)
        q.grad = torch.tensor(g)
    en = nn.utils.clip_grad_norm_(eps_, 1.5, norm_type)
    tn = torch.nn.utils.clip_grad_norm_(tps, 1.5, norm_type)
    assert en.item() == pytest.approx(tn.item())
    for p, q in zip(eps_, tps):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10)


def test_clip_grad_value_and_nonfinite():
    p = ember.zeros(3, requires_grad=True)
    p.grad = ember.tensor([-5.0, 0.5, 7.0])
    nn.utils.clip_grad_value_([p], 1.0)
    assert p.grad.tolist() == [-1.0, 0.5, 1.0]
    p.grad = ember.tensor([float("nan"), 1.0, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_parameters_vector_roundtrip():
    m = nn.Linear(3, 2)
    v = nn.utils.parameters_to_vector(m.parameters())
    assert v.shape == (8,)
    nn.utils.vector_to_parameters(ember.arange(8).float(), m.parameters())
    assert m.weight.tolist() == [[0, 1, 2], [3, 4, 5]] and m.bias.tolist() == [6, 7]
