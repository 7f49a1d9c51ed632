"""Every layer against PyTorch in float64: state-dict names and shapes, outputs, all gradients."""
from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as enn

torch = pytest.importorskip("torch")
tnn = torch.nn


def L(name, make, shapes, kind="normal", train=True):
    """make(nn) builds the layer with either library's nn module."""
    return pytest.param(make, shapes, kind, train, id=name)


LAYERS = [
    L("Linear", lambda nn: nn.Linear(5, 3), [(4, 5)]),
    L("Linear_3d_nobias", lambda nn: nn.Linear(5, 3, bias=False), [(2, 4, 5)]),
    L("Bilinear", lambda nn: nn.Bilinear(3, 4, 2), [(5, 3), (5, 4)]),
    L("Sequential_MLP", lambda nn: nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8),
                                                 nn.Tanh(), nn.Linear(8, 3), nn.LogSoftmax(1)),
      [(4, 6)], "away0"),
    L("ReLU", lambda nn: nn.ReLU(), [(4, 5)], "away0"),
    L("ReLU6", lambda nn: nn.ReLU6(), [(4, 5)], "away0"),
    L("LeakyReLU", lambda nn: nn.LeakyReLU(0.1), [(4, 5)], "away0"),
    L("PReLU", lambda nn: nn.PReLU(3), [(4, 3, 2)], "away0"),
    L("ELU", lambda nn: nn.ELU(0.5), [(4, 5)], "away0"),
    L("SELU", lambda nn: nn.SELU(), [(4, 5)], "away0"),
    L("CELU", lambda nn: nn.CELU(1.5), [(4, 5)], "away0"),
    L("GELU", lambda nn: nn.GELU(), [(4, 5)]),
    L("GELU_tanh", lambda nn: nn.GELU("tanh"), [(4, 5)]),
    L("SiLU", lambda nn: nn.SiLU(), [(4, 5)]),
    L("Mish", lambda nn: nn.Mish(), [(4, 5)]),
    L("Sigmoid", lambda nn: nn.Sigmoid(), [(4, 5)]),
    L("LogSigmoid", lambda nn: nn.LogSigmoid(), [(4, 5)]),
    L("Tanh", lambda nn: nn.Tanh(), [(4, 5)]),
    L("Hardtanh", lambda nn: nn.Hardtanh(-0.5, 0.5), [(4, 5)], "away0"),
    L("Hardsigmoid", lambda nn: nn.Hardsigmoid(), [(4, 5)], "away0"),
    L("Hardswish", lambda nn: nn.Hardswish(), [(4, 5)], "away0"),
    L("Softplus", lambda nn: nn.Softplus(2.0, 5.0), [(4, 5)]),
    L("Softsign", lambda nn: nn.Softsign(), [(4, 5)]),
    L("Tanhshrink", lambda nn: nn.Tanhshrink(), [(4, 5)]),
    L("Threshold", lambda nn: nn.Threshold(0.2, -1.0), [(4, 5)], "away0"),
    L("Softmax", lambda nn: nn.Softmax(dim=1), [(4, 5)]),
    L("LogSoftmax", lambda nn: nn.LogSoftmax(dim=-1), [(2, 4, 5)]),
    L("Softmin", lambda nn: nn.Softmin(dim=1), [(4, 5)]),
    L("GLU", lambda nn: nn.GLU(), [(4, 6)]),
    L("Identity", lambda nn: nn.Identity(), [(4, 5)]),
    L("Flatten", lambda nn: nn.Flatten(), [(2, 3, 4)]),
    L("Unflatten", lambda nn: nn.Unflatten(1, (2, 3)), [(4, 6)]),
    L("BatchNorm1d_train", lambda nn: nn.BatchNorm1d(3), [(6, 3)]),
    L("BatchNorm1d_3d", lambda nn: nn.BatchNorm1d(3, momentum=0.3), [(4, 3, 5)]),
    L("BatchNorm1d_eval", lambda nn: nn.BatchNorm1d(3), [(6, 3)], train=False),
    L("BatchNorm1d_noaffine", lambda nn: nn.BatchNorm1d(3, affine=False), [(6, 3)]),
    L("BatchNorm1d_nostats", lambda nn: nn.BatchNorm1d(3, track_running_stats=False), [(6, 3)],
      train=False),
    L("BatchNorm1d_cma", lambda nn: nn.BatchNorm1d(3, momentum=None), [(6, 3)]),
    L("BatchNorm2d", lambda nn: nn.BatchNorm2d(3), [(2, 3, 4, 4)]),
    L("LayerNorm", lambda nn: nn.LayerNorm(5), [(4, 5)]),
    L("LayerNorm_2d", lambda nn: nn.LayerNorm((3, 4), elementwise_affine=True), [(2, 3, 4)]),
    L("GroupNorm", lambda nn: nn.GroupNorm(2, 4), [(3, 4, 5)]),
    L("Dropout_eval", lambda nn: nn.Dropout(0.5), [(4, 5)], train=False),
    L("Conv2d", lambda nn: nn.Conv2d(3, 4, 3, stride=2, padding=1), [(2, 3, 7, 6)]),
    L("Conv2d_groups_dil", lambda nn: nn.Conv2d(4, 6, (3, 2), dilation=2, groups=2, bias=False),
      [(2, 4, 8, 7)]),
    L("Conv2d_same_reflect", lambda nn: nn.Conv2d(2, 3, 3, padding="same",
                                                  padding_mode="reflect"), [(1, 2, 5, 6)]),
    L("Conv2d_circular", lambda nn: nn.Conv2d(2, 3, 3, padding=1, padding_mode="circular"),
      [(1, 2, 5, 6)]),
    L("Conv2d_replicate_unbatched", lambda nn: nn.Conv2d(2, 3, 3, padding=(1, 2),
                                                         padding_mode="replicate"),
      [(2, 5, 6)]),
    L("Conv1d", lambda nn: nn.Conv1d(3, 5, 3, stride=2, padding=1), [(2, 3, 9)]),
    L("ConvTranspose2d", lambda nn: nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1,
                                                       output_padding=1), [(2, 3, 4, 5)]),
    L("ConvTranspose1d", lambda nn: nn.ConvTranspose1d(4, 2, 3, stride=2, groups=2),
      [(2, 4, 5)]),
    L("MaxPool2d", lambda nn: nn.MaxPool2d(3, 2, 1, ceil_mode=True), [(2, 3, 7, 8)]),
    L("MaxPool1d", lambda nn: nn.MaxPool1d(2), [(2, 3, 8)]),
    L("AvgPool2d", lambda nn: nn.AvgPool2d(2, count_include_pad=False, padding=1),
      [(2, 3, 6, 7)]),
    L("AvgPool1d", lambda nn: nn.AvgPool1d(3, 2), [(2, 3, 9)]),
    L("LPPool2d", lambda nn: nn.LPPool2d(2, 2), [(1, 2, 4, 6)], "pos"),
    L("AdaptiveAvgPool2d", lambda nn: nn.AdaptiveAvgPool2d((2, 3)), [(2, 3, 7, 8)]),
    L("AdaptiveAvgPool1d", lambda nn: nn.AdaptiveAvgPool1d(3), [(2, 3, 8)]),
    L("AdaptiveMaxPool2d", lambda nn: nn.AdaptiveMaxPool2d(3), [(2, 3, 7, 8)]),
    L("InstanceNorm2d", lambda nn: nn.InstanceNorm2d(3), [(2, 3, 4, 5)]),
    L("InstanceNorm2d_affine_stats", lambda nn: nn.InstanceNorm2d(3, affine=True,
                                                                  track_running_stats=True),
      [(2, 3, 4, 5)]),
    L("LocalResponseNorm", lambda nn: nn.LocalResponseNorm(3), [(2, 5, 3, 3)]),
    L("Dropout2d_eval", lambda nn: nn.Dropout2d(0.5), [(2, 3, 4, 4)], train=False),
    L("Upsample_nearest", lambda nn: nn.Upsample(scale_factor=2), [(1, 2, 3, 4)]),
    L("Upsample_bilinear", lambda nn: nn.Upsample(size=(5, 7), mode="bilinear"),
      [(1, 2, 3, 4)]),
    L("UpsamplingBilinear2d", lambda nn: nn.UpsamplingBilinear2d(scale_factor=2),
      [(1, 2, 3, 3)]),
    L("UpsamplingNearest2d", lambda nn: nn.UpsamplingNearest2d(size=(5, 5)), [(1, 2, 3, 3)]),
    L("PixelShuffle", lambda nn: nn.PixelShuffle(2), [(2, 8, 3, 3)]),
    L("ZeroPad2d", lambda nn: nn.ZeroPad2d((1, 2, 0, 1)), [(1, 2, 3, 3)]),
    L("ConstantPad2d", lambda nn: nn.ConstantPad2d(1, 3.5), [(1, 2, 3, 3)]),
    L("ReflectionPad2d", lambda nn: nn.ReflectionPad2d(2), [(1, 2, 3, 4)]),
    L("ReplicationPad2d", lambda nn: nn.ReplicationPad2d((1, 0, 2, 1)), [(1, 2, 3, 4)]),
    L("BatchNorm2d_eval", lambda nn: nn.BatchNorm2d(3), [(2, 3, 4, 4)], train=False),
    L("ModuleList_in_Sequential", lambda nn: nn.Sequential(*nn.ModuleList([nn.Linear(3, 3)
                                                                           for _ in range(2)])),
      [(2, 3)]),
]


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
    if kind == "away0":
        xs = [rng.choice([-1.0, 1.0], s) * rng.uniform(0.2, 2.0, s) for s in shapes]
    elif kind == "pos":
        xs = [rng.uniform(0.5, 2.0, s) for s in shapes]
    else:
        xs = [rng.standard_normal(s) for s in shapes]
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
