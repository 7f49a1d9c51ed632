"""The tiling-window pooling path (kernel == stride, no padding): equal to PyTorch where the
general path's assumptions bite — ties after ReLU, NaN, odd sizes, strided inputs, indices."""
from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _both(a, k, fn, **kw):
    x = ember.tensor(a, requires_grad=True)
    xt = torch.tensor(a, requires_grad=True)
    y, yt = getattr(F, fn)(x, k, **kw), getattr(TF, fn)(xt, k, **kw)
    g = np.random.default_rng(1).standard_normal(tuple(yt.shape)).astype(a.dtype)
    (y * ember.tensor(g)).sum().backward()
    (yt * torch.tensor(g)).sum().backward()
    return (y.detach().numpy(), x.grad.numpy()), (yt.detach().numpy(), xt.grad.numpy())


@pytest.mark.parametrize("shape,k", [((4, 6, 28, 28), 2), ((2, 3, 9, 7), 2), ((2, 2, 9, 9), 3),
                                     ((1, 3, 6, 8), (3, 2)), ((2, 4, 10), 2)])
@pytest.mark.parametrize("fn", ["max_pool2d", "avg_pool2d"])
def test_matches_pytorch_with_ties(shape, k, fn):
    if len(shape) == 3:
        fn = fn.replace("2d", "1d")
    a = np.maximum(np.random.default_rng(0).standard_normal(shape), 0).astype(np.float32)
    a[..., :2] = 0.0  # whole windows of equal values: the first one takes the gradient
    (y, gx), (yt, gxt) = _both(a, k, fn)
    np.testing.assert_allclose(y, yt, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(gx, gxt) if fn.startswith("max") else \
        np.testing.assert_allclose(gx, gxt, rtol=1e-6)


def test_indices_strided_input_and_nan():
    a = np.random.default_rng(0).standard_normal((3, 2, 8, 6)).astype(np.float32)
    strided = ember.tensor(a).permute(1, 0, 2, 3)  # a conv output's (C, N, H, W) memory
    out, idx = F.max_pool2d(strided, 2, return_indices=True)
    ot, it = TF.max_pool2d(torch.tensor(a).permute(1, 0, 2, 3), 2, return_indices=True)
    np.testing.assert_array_equal(out.numpy(), ot.numpy())
    np.testing.assert_array_equal(idx.numpy(), it.numpy())
    x = ember.tensor(a, requires_grad=True)
    _, idx_recorded = F.max_pool2d(x, 2, return_indices=True)
    np.testing.assert_array_equal(idx_recorded.numpy(), TF.max_pool2d(torch.tensor(a), 2,
                                                                      return_indices=True)[1])
    a[0, 0, 1, 1] = np.nan  # NaN propagates, as in PyTorch
    np.testing.assert_array_equal(F.max_pool2d(ember.tensor(a), 2).numpy(),
                                  TF.max_pool2d(torch.tensor(a), 2).numpy())


def test_min_pool_and_float64_gradcheck():
    x = ember.tensor(np.random.default_rng(0).standard_normal((2, 2, 4, 6)), requires_grad=True)
    np.testing.assert_array_equal(ember.min_pool2d(x, 2).detach().numpy(),
                                  (-F.max_pool2d(-x, 2)).detach().numpy())
    assert ember.autograd.gradcheck(lambda t: ember.min_pool2d(t, 2), (x,))
    assert ember.autograd.gradgradcheck(lambda t: F.max_pool2d(t, 2) ** 2, (x,))
