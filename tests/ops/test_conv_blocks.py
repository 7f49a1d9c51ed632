"""Convolution in blocks of output rows: any block size gives PyTorch's values and
gradients (first order on raw arrays, second order through the composite backward)."""
from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.ops import conv

torch = pytest.importorskip("torch")

CASES = [((3, 4, 9, 8), (6, 4, 3, 3), dict(padding=1)),
         ((2, 4, 11, 7), (6, 2, 3, 2), dict(stride=(2, 1), padding=(2, 1), dilation=(2, 1),
                                            groups=2)),
         ((4, 1, 12, 12), (5, 1, 5, 5), dict(padding=2)),
         ((2, 3, 8, 8), (3, 1, 3, 3), dict(stride=3, groups=3))]


@pytest.mark.parametrize("block", [1, 200, 1 << 20])
@pytest.mark.parametrize("xs,ws,kw", CASES)
def test_blocks_match_pytorch(monkeypatch, block, xs, ws, kw):
    monkeypatch.setattr(conv, "_BLOCK_BYTES", block)
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(xs), rng.standard_normal(ws)
    x, w = ember.tensor(a, requires_grad=True), ember.tensor(b, requires_grad=True)
    xt, wt = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    y, yt = F.conv2d(x, w, **kw), torch.nn.functional.conv2d(xt, wt, **kw)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(tuple(yt.shape))
    (y * ember.tensor(g)).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), wt.grad.numpy(), rtol=1e-12, atol=1e-12)
    # second order: d/dx of |dy/dw . v|^2, through the recorded backward
    (gw,) = ember.autograd.grad((F.conv2d(x, w, **kw) ** 2).sum(), w, create_graph=True)
    (gwt,) = torch.autograd.grad((torch.nn.functional.conv2d(xt, wt, **kw) ** 2).sum(), wt,
                                 create_graph=True)
    (gx,) = ember.autograd.grad((gw ** 2).sum(), x)
    (gxt,) = torch.autograd.grad((gwt ** 2).sum(), xt)
    np.testing.assert_allclose(gx.numpy(), gxt.numpy(), rtol=1e-10, atol=1e-10)


def test_no_input_gradient_for_a_first_layer_and_float32():
    rng = np.random.default_rng(0)
    x = ember.tensor(rng.standard_normal((2, 1, 6, 6)).astype(np.float32))
    w = ember.tensor(rng.standard_normal((3, 1, 3, 3)).astype(np.float32), requires_grad=True)
    F.conv2d(x, w).sum().backward()
    assert x.grad is None and w.grad.dtype == ember.float32
    with pytest.raises(RuntimeError, match="conv2d: input type"):
        F.conv2d(x.double(), w)
