"""The CUDA device: the same ops on it agree with the CPU.

Runs on the GPU where CuPy sees one, else on the strict CPU stand-in that
tests/conftest.py selects (``EMBER_STANDIN_CUDA=1``).
"""
from __future__ import annotations

import numpy as np
import pytest

import ember

pytestmark = pytest.mark.skipif(not ember.cuda.is_available(),
                                reason="no CUDA device and the stand-in is not selected")


def test_to_device_roundtrip_and_grad():
    x = ember.randn(3, 4, requires_grad=True)
    y = x.to("cuda")
    assert y.device.type == "cuda" and y.is_cuda
    (y * y).sum().backward()  # ToDevice's backward brings the gradient home
    assert x.grad.device.type == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy(), rtol=1e-6)


@pytest.mark.parametrize("fn", [
    lambda m, a, b: (m.tanh(a @ b) * m.sigmoid(a @ b)).sum(1),
    lambda m, a, b: m.log_softmax(a @ b, 1).gather(1, m.zeros(3, 1, device=a.device).long()),
    lambda m, a, b: (a[:, 1:3] ** 2).sum() + m.exp(b).mean(),
])
def test_ops_agree_with_cpu(fn):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 5))
    ca, cb = ember.tensor(a, requires_grad=True), ember.tensor(b, requires_grad=True)
    ga = ember.tensor(a, device="cuda", requires_grad=True)
    gb = ember.tensor(b, device="cuda", requires_grad=True)
    co, go = fn(ember, ca, cb), fn(ember, ga, gb)
    np.testing.assert_allclose(go.cpu().detach().numpy(), co.detach().numpy(), rtol=1e-10)
    co.sum().backward()
    go.sum().backward()
    np.testing.assert_allclose(ga.grad.cpu().numpy(), ca.grad.numpy(), rtol=1e-10)


def test_mixing_devices_raises():
    with pytest.raises(RuntimeError, match="same device"):
        ember.ones(2) + ember.ones(2, device="cuda")


def test_module_and_optimizer_on_gpu():
    m = ember.nn.Linear(4, 2).cuda()
    opt = ember.optim.Adam(m.parameters())
    loss = m(ember.randn(8, 4).cuda()).pow(2).mean()
    loss.backward()
    opt.step()
    assert m.weight.device.type == "cuda"
