"""``Tensor.data`` the PyTorch way: a detached Tensor on the same memory, assignable.

Each test runs the same code with ember and with PyTorch (``m`` is the library) and
compares what a user sees.
"""
from __future__ import annotations

import numpy as np
import pytest

from ._libs import LIBS
from ._libs import as_np as _np


@pytest.mark.parametrize("m", LIBS)
def test_data_is_a_detached_tensor_on_the_same_memory(m):
    w = m.ones(3, requires_grad=True)
    y = w * 2
    d = w.data
    assert isinstance(d, m.Tensor) and not d.requires_grad and d.is_leaf and d.grad_fn is None
    assert y.data.grad_fn is None and not y.data.requires_grad
    assert d.size() == (3,) and tuple(d.shape) == (3,)
    d.add_(1.0)  # visible in w, unseen by autograd (no version bump on w)
    assert _np(w).tolist() == [2.0, 2.0, 2.0] and w._version == 0
    y.sum().backward()  # y saved nothing of w that changed: still allowed
    assert _np(w.grad).tolist() == [2.0, 2.0, 2.0]


@pytest.mark.parametrize("m", LIBS)
def test_manual_sgd_through_data(m):
    m.manual_seed(0)
    lin = m.nn.Linear(4, 2)
    w0 = _np(lin.weight).copy()
    x = m.tensor(np.arange(8, dtype=np.float32).reshape(2, 4))
    lin(x).pow(2).sum().backward()
    g = _np(lin.weight.grad)
    for p in lin.parameters():
        p.data.add_(p.grad, alpha=-0.1)
    np.testing.assert_allclose(_np(lin.weight), w0 - 0.1 * g, rtol=1e-6)
    assert lin.weight.requires_grad and lin.weight.is_leaf
    norm = lin.weight.grad.data.norm()
    np.testing.assert_allclose(float(norm), np.linalg.norm(g), rtol=1e-5)
    for p in lin.parameters():
        p.data.clamp_(-0.01, 0.01)
    assert np.abs(_np(lin.weight)).max() <= 0.01


@pytest.mark.parametrize("m", LIBS)
def test_init_through_data_inside_apply(m):
    def weights_init(mod):
        name = mod.__class__.__name__
        if name.find("Conv") != -1:
            mod.weight.data.normal_(0.0, 0.02)
        elif name.find("BatchNorm") != -1:
            mod.weight.data.normal_(1.0, 0.02)
            mod.bias.data.fill_(0)

    m.manual_seed(1)
    net = m.nn.Sequential(m.nn.Conv2d(3, 64, 4), m.nn.BatchNorm2d(64))
    net.apply(weights_init)
    w = _np(net[0].weight)
    assert abs(w.std() - 0.02) < 0.003 and abs(w.mean()) < 0.003
    assert _np(net[1].bias).tolist() == [0.0] * 64
    assert abs(_np(net[1].weight).mean() - 1.0) < 0.01


@pytest.mark.parametrize("m", LIBS)
def test_assigning_data_replaces_the_memory(m):
    w = m.nn.Parameter(m.zeros(3))
    w.data = m.ones(2, 3, dtype=m.float64)  # shape and dtype may change, as in PyTorch
    assert tuple(w.shape) == (2, 3) and w.dtype == m.float64 and w.requires_grad
    assert isinstance(w, m.nn.Parameter)
    src = m.full((2,), 5.0)
    w.data = src
    src.add_(1.0)  # the memory is shared with the assigned tensor
    assert _np(w).tolist() == [6.0, 6.0]
    with pytest.raises(TypeError, match="Variable data has to be a tensor"):
        w.data = 1
    with pytest.raises(RuntimeError, match="must be floating point"):
        w.data = m.zeros(2, dtype=m.int64)
    plain = m.ones(2)
    plain.data = m.zeros(2, dtype=m.int64)  # without grad any dtype goes
    assert plain.dtype == m.int64


@pytest.mark.parametrize("m", LIBS)
def test_in_place_augmented_assignment_on_data(m):
    w = m.ones(2, requires_grad=True)
    (w * 3).sum().backward()
    w.data -= 0.5 * w.grad.data
    assert _np(w).tolist() == [-0.5, -0.5] and w.is_leaf and w.requires_grad


@pytest.mark.parametrize("m", LIBS)
def test_outputs_data_for_argmax(m):
    out = m.nn.Linear(3, 4)(m.ones(5, 3))
    _, pred = m.max(out.data, 1)
    assert tuple(pred.shape) == (5,) and not out.data.requires_grad
