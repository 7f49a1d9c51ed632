"""Module mechanics: registration, iteration, state dicts, modes, hooks, printing, containers."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn as nn

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def _build(self, lib):
        self.fc1 = lib.Linear(4, 8)
        self.bn = lib.BatchNorm1d(8)
        self.blocks = lib.ModuleList([lib.Linear(8, 8), lib.Linear(8, 8)])
        self.heads = lib.ModuleDict({"a": lib.Linear(8, 2), "b": lib.Linear(8, 3)})
        self.scale = lib.Parameter(ember.ones(1) if lib is nn else torch.ones(1))
        self.register_buffer("steps", ember.zeros(1) if lib is nn else torch.zeros(1))
        self.register_buffer("scratch", ember.zeros(2) if lib is nn else torch.zeros(2),
                             persistent=False)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        _build(self, nn)

    def forward(self, x):
        x = self.bn(self.fc1(x)).relu()
        for b in self.blocks:
            x = b(x).tanh()
        return self.heads["a"](x) * self.scale


def test_registration_order_and_names():
    m = Net()
    names = [n for n, _ in m.named_parameters()]
    assert names[0] == "scale" and names[1] == "fc1.weight"
    assert "blocks.1.bias" in names and "heads.b.weight" in names
    assert [n for n, _ in m.named_buffers()] == ["steps", "scratch", "bn.running_mean",
                                                 "bn.running_var", "bn.num_batches_tracked"]
    assert "scratch" not in m.state_dict()
    assert [n for n, _ in m.named_children()] == ["fc1", "bn", "blocks", "heads"]
    assert len(list(m.modules())) == 9
    assert m.get_submodule("heads.b").out_features == 3
    assert m.get_parameter("blocks.0.weight").shape == (8, 8)


@pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")
def test_state_dict_keys_match_the_same_model_in_torch():
    class TNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            _build(self, torch.nn)

    t = TNet()
    e = Net()
    assert list(e.state_dict()) == list(t.state_dict())
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]


def test_shared_parameters_are_listed_once():
    lin = nn.Linear(3, 3)
    m = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(m.parameters())) == 2
    assert list(m.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_load_state_dict_strict_errors_change_nothing():
    m = Net()
    before = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    sd = {k: v.clone() for k, v in Net().state_dict().items()}
    sd["fc1.weight"] = ember.zeros(8, 5)
    sd["extra"] = ember.zeros(1)
    del sd["bn.bias"]
    with pytest.raises(RuntimeError) as err:
        m.load_state_dict(sd)
    msg = str(err.value)
    assert 'Missing key(s) in state_dict: "bn.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "extra"' in msg
    assert "size mismatch for fc1.weight: copying a param with shape ember.Size([8, 5])" in msg
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])
    sd["fc1.weight"] = ember.zeros(8, 4)
    res = m.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["bn.bias"] and res.unexpected_keys == ["extra"]
    assert m.fc1.weight.abs().sum().item() == 0


def test_load_state_dict_keeps_parameter_identity():
    m = nn.Linear(2, 2)
    w = m.weight
    m.load_state_dict({"weight": ember.ones(2, 2), "bias": ember.zeros(2)})
    assert m.weight is w and w.tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_train_eval_zero_grad_requires_grad():
    m = Net()
    assert m.training and m.bn.training
    m.eval()
    assert not m.training and not m.bn.training and not m.heads["a"].training
    m.train()
    out = m(ember.randn(5, 4)).sum()
    out.backward()
    assert m.fc1.weight.grad is not None
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_to_double_and_apply():
    m = Net().double()
    assert all(p.dtype == ember.float64 for p in m.parameters())
    assert m.bn.num_batches_tracked.dtype == ember.int64
    w = m.fc1.weight
    m.float()
    assert m.fc1.weight is w and w.dtype == ember.float32
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen[-1] == "Net" and seen.count("Linear") == 5
    with pytest.raises(TypeError):
        m.to(ember.int64)


def test_forward_hooks():
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append(out.shape) or out + 1)
    y = m(ember.ones(3, 2))
    np.testing.assert_allclose(y.detach().numpy(), np.tile(m.bias.detach().numpy() + 1, (3, 1)),
                               rtol=1e-6)
    assert calls == [(3, 2)]
    h1.remove()
    h2.remove()
    m(ember.ones(3, 2))
    assert len(calls) == 1


@pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")
def test_repr_matches_torch():
    def make(lib):
        return lib.Sequential(lib.Linear(784, 256), lib.ReLU(), lib.Dropout(0.2),
                              lib.BatchNorm1d(256), lib.Linear(256, 10, bias=False),
                              lib.LogSoftmax(dim=1))
    assert repr(make(nn)) == repr(make(torch.nn))
    assert repr(nn.LayerNorm(5)) == repr(torch.nn.LayerNorm(5))
    assert repr(nn.GELU()) == repr(torch.nn.GELU())
    assert repr(nn.Embedding(10, 3, padding_idx=0)) == repr(torch.nn.Embedding(10, 3,
                                                                                padding_idx=0))


def test_sequential_indexing_and_ordereddict():
    s = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.ReLU())]))
    assert isinstance(s[0], nn.Linear) and isinstance(s[-1], nn.ReLU) and len(s) == 2
    assert isinstance(s[:1], nn.Sequential) and len(s[:1]) == 1
    s.append(nn.Linear(3, 1))
    assert list(s.state_dict()) == ["fc.weight", "fc.bias", "2.weight", "2.bias"]
    assert s(ember.ones(4, 2)).shape == (4, 1)
    pl = nn.ParameterList([nn.Parameter(ember.ones(2)) for _ in range(3)])
    assert len(pl) == 3 and list(pl.state_dict()) == ["0", "1", "2"]


def test_linear_input_error_names_layer_and_shapes():
    m = nn.Linear(784, 256)
    with pytest.raises(RuntimeError, match=r"Linear\(in_features=784, out_features=256\): "
                                           r"expected input with last dimension 784, got shape "
                                           r"\(32, 785\)"):
        m(ember.ones(32, 785))


def test_assignment_rules():
    m = nn.Module()
    m.p = nn.Parameter(ember.ones(2))
    with pytest.raises(TypeError):
        m.p = ember.ones(2)  # a plain tensor cannot replace a parameter
    m.p = None
    assert "p" in m._parameters and m._parameters["p"] is None
    with pytest.raises(KeyError):
        m.register_buffer("a.b", ember.ones(1))
    del m.p
    assert "p" not in m._parameters


def test_parameter_basics():
    p = nn.Parameter(ember.ones(2, 3))
    assert p.requires_grad and p.is_leaf and isinstance(p, ember.Tensor)
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert not nn.Parameter(ember.ones(2), requires_grad=False).requires_grad
