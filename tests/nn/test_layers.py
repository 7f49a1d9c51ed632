"""Every layer against PyTorch in float64: state-dict names and shapes, outputs, all gradients."""
from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as enn

from .layer_cases import LAYERS, layer_inputs

torch = pytest.importorskip("torch")
tnn = torch.nn


def _init_torch_params(tm, rng):
    with torch.no_grad():
        for p in tm.parameters():
            p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape))))
        for name, b in tm.named_buffers():
            if b.dtype.is_floating_point:
                b.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, tuple(b.shape))))


@pytest.mark.parametrize("make,shapes,kind,train", LAYERS)
def test_layer_matches_torch(make, shapes, kind, train):
    rng = np.random.default_rng(0)
    tm = make(tnn).double()
    em = make(enn).double()
    _init_torch_params(tm, rng)
    tsd = tm.state_dict()
    esd = em.state_dict()
    assert list(esd) == list(tsd), "state-dict keys differ from PyTorch's"
    for k in tsd:
        assert tuple(esd[k].shape) == tuple(tsd[k].shape), k
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tsd.items()})
    tm.train(train)
    em.train(train)
    xs = layer_inputs(rng, shapes, kind)
    ex = [ember.tensor(x, requires_grad=True) for x in xs]
    tx = [torch.tensor(x, requires_grad=True) for x in xs]
    eo, to = em(*ex), tm(*tx)
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), rtol=1e-7, atol=1e-9)
    w = rng.standard_normal(tuple(to.shape))
    (eo * ember.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    for a, b in zip(ex, tx):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-6, atol=1e-9)
    ep = dict(em.named_parameters())
    for name, p in tm.named_parameters():
        np.testing.assert_allclose(ep[name].grad.numpy(), p.grad.numpy(), rtol=1e-6, atol=1e-9,
                                   err_msg=name)
    for k, v in tm.state_dict().items():  # running statistics after the step
        np.testing.assert_allclose(em.state_dict()[k].numpy(), v.numpy(), rtol=1e-7, atol=1e-9,
                                   err_msg=k)


def test_embedding_matches_torch_with_padding():
    rng = np.random.default_rng(1)
    te = tnn.Embedding(6, 3, padding_idx=2).double()
    ee = enn.Embedding(6, 3, padding_idx=2).double()
    assert list(ee.state_dict()) == ["weight"]
    ee.load_state_dict({"weight": ember.tensor(te.weight.detach().numpy())})
    idx = rng.integers(0, 6, (4, 5))
    idx[0, 0] = 2
    eo, to = ee(ember.tensor(idx)), te(torch.tensor(idx))
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy())
    w = rng.standard_normal(tuple(to.shape))
    (eo * ember.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(ee.weight.grad.numpy(), te.weight.grad.numpy(), rtol=1e-12)
    assert np.all(ee.weight.grad.numpy()[2] == 0)
    assert np.all(enn.Embedding(5, 2, padding_idx=1).weight.detach().numpy()[1] == 0)


def test_maxout_is_the_max_of_affine_pieces():
    rng = np.random.default_rng(2)
    m = enn.Maxout(4, 3, pieces=2).double()
    assert [k for k in m.state_dict()] == ["weight", "bias"]
    assert m.weight.shape == (6, 4)
    x = rng.standard_normal((5, 4))
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    want = (x @ w.T + b).reshape(5, 3, 2).max(-1)
    xt = ember.tensor(x, requires_grad=True)
    np.testing.assert_allclose(m(xt).detach().numpy(), want)
    assert ember.autograd.gradcheck(lambda t: m(t), (xt,))
    with pytest.raises(RuntimeError, match=r"Maxout\(in_features=4.*got shape \(5, 5\)"):
        m(ember.ones(5, 5, dtype=ember.float64))


def test_abs_module():
    x = ember.tensor([-2.0, 3.0], requires_grad=True)
    enn.Abs()(x).sum().backward()
    assert x.grad.tolist() == [-1.0, 1.0]


def test_dropout_training_statistics_and_gradient():
    ember.manual_seed(0)
    d = enn.Dropout(0.25)
    x = ember.ones(200_000, requires_grad=True)
    y = d(x)
    kept = y.detach().numpy() != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / 0.75)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.detach().numpy())  # grad = mask / (1 - p)
    d.eval()
    assert d(x) is x
    assert enn.Dropout(1.0)(x).detach().numpy().max() == 0
    with pytest.raises(ValueError):
        enn.Dropout(1.5)


def test_alpha_dropout_keeps_mean_and_variance():
    ember.manual_seed(1)
    x = ember.randn(400_000)
    y = enn.AlphaDropout(0.2).train()(x).numpy()
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1) < 0.01


@pytest.mark.parametrize("kw", [dict(max_norm=1.5), dict(max_norm=1.0, norm_type=1.0),
                                dict(scale_grad_by_freq=True),
                                dict(scale_grad_by_freq=True, padding_idx=2, max_norm=2.0)])
def test_embedding_options_match_torch(kw):
    rng = np.random.default_rng(2)
    w = rng.standard_normal((6, 3)) * 2
    idx = np.array([[1, 2, 2], [5, 1, 0]])
    em = enn.Embedding.from_pretrained(ember.tensor(w), freeze=False, **kw)
    tm = tnn.Embedding.from_pretrained(torch.tensor(w), freeze=False, **kw)
    assert repr(em) == repr(tm)
    eo, to = em(ember.tensor(idx)), tm(torch.tensor(idx))
    g = rng.standard_normal(tuple(to.shape))
    (eo * ember.tensor(g)).sum().backward()
    (to * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(em.weight.detach().numpy(), tm.weight.detach().numpy(),
                               rtol=1e-12)  # max_norm renormalizes the weight in place
    np.testing.assert_allclose(em.weight.grad.numpy(), tm.weight.grad.numpy(), rtol=1e-12)
    frozen = enn.Embedding.from_pretrained(ember.tensor(w))
    assert not frozen.weight.requires_grad
    with pytest.raises(NotImplementedError, match="sparse"):
        enn.Embedding(3, 2, sparse=True)
