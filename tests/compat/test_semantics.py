"""Semantics that used to differ silently from PyTorch: each runs the same code with ember and
with PyTorch (``m`` is the library) and checks the same result, warning or error."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from ._libs import LIBS
from ._libs import as_np as _np


@pytest.mark.parametrize("m", LIBS)
def test_reassigning_a_child_keeps_its_position(m):
    seq = m.nn.Sequential(m.nn.Linear(4, 3), m.nn.ReLU(), m.nn.Linear(3, 2))
    seq[0] = m.nn.Linear(4, 3)
    assert [type(c).__name__ for c in seq] == ["Linear", "ReLU", "Linear"]
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    out = seq(-m.ones(5, 4) * 10)  # runs Linear first: an output < 0 is possible only so
    assert tuple(out.shape) == (5, 2)

    class Net(m.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = m.nn.Conv2d(1, 2, 3)
            self.fc = m.nn.Linear(2, 2)
            self.register_buffer("stat", m.zeros(1))

    net = Net()
    net.conv1 = m.nn.Conv2d(1, 2, 5)
    net.fc.weight = m.nn.Parameter(m.zeros(2, 2))
    net.stat = m.ones(1)
    assert [n for n, _ in net.named_children()] == ["conv1", "fc"]
    assert list(net.state_dict()) == ["stat", "conv1.weight", "conv1.bias", "fc.weight",
                                      "fc.bias"]
    assert [n for n, _ in net.fc.named_parameters()] == ["weight", "bias"]
    assert list(net.children())[:-1][0].kernel_size == (5, 5)


@pytest.mark.parametrize("m", LIBS)
def test_dropout2d_on_2d_and_3d_inputs_warns_and_proceeds(m):
    m.manual_seed(0)
    x = m.ones(64, 50)
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d"):
        y = m.nn.Dropout2d()(x)
    z = _np(y) == 0  # 2-D: every element is its own channel
    assert 0.3 < z.mean() < 0.7 and not (z.all(1) | ~z.any(1)).all()
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        y = m.nn.functional.dropout2d(m.ones(6, 8, 40))
    z = _np(y) == 0  # 3-D: read as (N, C, L): the mask is constant along L
    assert (z.all(2) | ~z.any(2)).all()
    with pytest.warns(UserWarning, match="Received a 5-D input"):
        y = m.nn.functional.dropout2d(m.ones(3, 4, 2, 5, 6))
    z = _np(y) == 0
    assert (z.reshape(12, -1).all(1) | ~z.reshape(12, -1).any(1)).all()


@pytest.mark.parametrize("m", LIBS)
def test_legacy_tensor_constructor(m):
    assert tuple(m.Tensor(3).shape) == (3,) and m.Tensor(3).dtype == m.float32
    assert tuple(m.Tensor(2, 3).shape) == (2, 3) and tuple(m.Tensor().shape) == (0,)
    assert tuple(m.Tensor(m.Size([2, 4])).shape) == (2, 4)
    t = m.Tensor([1, 2])
    assert t.dtype == m.float32 and _np(t).tolist() == [1.0, 2.0]
    assert m.Tensor(np.array([1, 2])).dtype == m.float32
    assert m.Tensor((2, 3)).tolist() == [2.0, 3.0]
    src = m.ones(2, dtype=m.int64)
    assert m.Tensor(src).dtype == m.int64  # a tensor argument shares its memory
    with pytest.raises(TypeError, match="must be a sequence"):
        m.Tensor(3.5)


@pytest.mark.parametrize("m", LIBS)
def test_view_needs_compatible_strides(m):
    t = m.arange(6.0).reshape(2, 3)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        t.T.view(-1)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        m.ones(2, 3, 4).transpose(0, 1).view(3, 8)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        t.T.view_as(m.ones(6))
    assert t.T.reshape(-1).tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    v = m.ones(2, 3, 4)[:, :, :2].view(6, 2)  # merging contiguous runs is a view
    assert tuple(v.shape) == (6, 2)
    w = m.zeros(2, 3, 4).transpose(1, 2)  # splitting a dim and keeping a strided one
    u = w.view(2, 2, 2, 3)
    u[0, 0, 0, 0] = 7.0  # writes go through a real view
    assert float(w[0, 0, 0]) == 7.0
    assert tuple(m.ones(1, 4, 1).transpose(0, 2).view(4).shape) == (4,)


@pytest.mark.parametrize("m", LIBS)
def test_matmul_does_not_promote(m):
    for a, b in [(m.ones(2, 3), m.ones(3, 2, dtype=m.float64)),
                 (m.ones(2, 3, dtype=m.int64), m.ones(3, 2)),
                 (m.ones(2, 2, 3, dtype=m.float64), m.ones(3, 2))]:
        with pytest.raises(RuntimeError, match="same dtype"):
            a @ b
        with pytest.raises(RuntimeError, match="same dtype"):
            m.matmul(a, b)
    with pytest.raises(RuntimeError, match="same dtype"):
        m.mm(m.ones(2, 3), m.ones(3, 2, dtype=m.float64))
    assert (m.ones(2, 3, dtype=m.int64) @ m.ones(3, 2, dtype=m.int64)).tolist() == [[3, 3]] * 2


@pytest.mark.parametrize("m", LIBS)
@pytest.mark.parametrize("loss", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_losses_warn_on_a_broadcast_target(m, loss):
    with pytest.warns(UserWarning, match="Using a target size"):
        getattr(m.nn.functional, loss)(m.ones(4, 1), m.ones(4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(m.nn.functional, loss)(m.ones(4), m.ones(4))


@pytest.mark.parametrize("m", LIBS)
def test_grad_of_a_non_leaf_warns(m):
    x = m.ones(2, requires_grad=True)
    y = x * 2
    y.sum().backward(retain_graph=True)
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert y.grad is None
    y.retain_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y.sum().backward()
        assert _np(y.grad).tolist() == [1.0, 1.0] and x.grad is not None
    with pytest.raises(RuntimeError, match="same size"):
        x.grad = m.zeros(3)
    x.grad = None
    assert x.grad is None


@pytest.mark.parametrize("m", LIBS)
def test_scheduler_step_before_optimizer_step_warns(m):
    p = m.nn.Parameter(m.ones(2))
    opt = m.optim.SGD([p], lr=0.1)
    sched = m.optim.lr_scheduler.StepLR(opt, 1, gamma=0.5)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    opt2 = m.optim.Adam([p], lr=0.1)
    sched2 = m.optim.lr_scheduler.StepLR(opt2, 1, gamma=0.5)
    p.grad = m.ones(2)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched2.step()
        sched2.step()


@pytest.mark.parametrize("m", LIBS)
def test_index_with_a_range(m):
    t = m.arange(10)
    assert t[range(2, 5)].tolist() == [2, 3, 4]
    assert m.arange(12).reshape(3, 4)[range(2), 1].tolist() == [1, 5]


@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")
@pytest.mark.parametrize("m", LIBS)
@pytest.mark.parametrize("fan", [(0, 3), (3, 0)])
def test_linear_with_zero_features_trains(m, fan):
    lin = m.nn.Linear(*fan)
    lin(m.ones(4, fan[0])).sum().backward()
    assert _np(lin.bias.grad).tolist() == [4.0] * fan[1]
    assert tuple(lin.weight.grad.shape) == (fan[1], fan[0])
