"""bfloat16 tensors in the graph (what autocast makes on the CPU): every op computes in float32
and rounds its result, as PyTorch's CPU kernels do, and gradients flow back through them to
float32 leaves. Compared with PyTorch on the same bfloat16 inputs."""
from __future__ import annotations

import numpy as np
import pytest

import ember

from ..compat._libs import as_np, needs_torch, torch

RNG = np.random.default_rng(3)
A = RNG.standard_normal((4, 6)).astype(np.float32)
B = RNG.standard_normal((4, 6)).astype(np.float32)

OPS = [
    ("add", lambda m, a, b: a + b),
    ("mul", lambda m, a, b: a * b),
    ("div", lambda m, a, b: a / (b.abs() + 1)),
    ("sub_scalar", lambda m, a, b: 1.5 - a),
    ("relu", lambda m, a, b: a.relu()),
    ("gelu", lambda m, a, b: m.nn.functional.gelu(a)),
    ("silu", lambda m, a, b: m.nn.functional.silu(a)),
    ("tanh", lambda m, a, b: a.tanh()),
    ("exp", lambda m, a, b: a.exp()),
    ("softmax", lambda m, a, b: a.softmax(-1)),
    ("log_softmax", lambda m, a, b: a.log_softmax(-1)),
    ("layer_norm", lambda m, a, b: m.nn.functional.layer_norm(a, (6,))),
    ("sum", lambda m, a, b: a.sum(-1)),
    ("mean", lambda m, a, b: a.mean()),
    ("var", lambda m, a, b: a.var(0)),
    ("max", lambda m, a, b: a.max(-1).values),
    ("transpose_reshape", lambda m, a, b: a.t().reshape(3, 8)),
    ("cat", lambda m, a, b: m.cat([a, b], 1)),
    ("index", lambda m, a, b: a[1:, ::2]),
    ("masked_fill", lambda m, a, b: a.masked_fill(b > 0, 0.0)),
    ("where", lambda m, a, b: m.where(b > 0, a, b)),
    ("matmul", lambda m, a, b: a @ b.t()),
    ("pow", lambda m, a, b: a.abs() ** 1.5),
    ("promote_float32", lambda m, a, b: a + b.float()),
]


@needs_torch
@pytest.mark.parametrize("name,fn", OPS, ids=[o[0] for o in OPS])
def test_bfloat16_op_values_dtype_and_gradient(name, fn):
    res = []
    for m in (torch, ember):
        a = m.tensor(A, requires_grad=True)
        b = m.tensor(B, requires_grad=True)
        out = fn(m, a.bfloat16(), b.bfloat16())
        g = m.tensor(RNG.standard_normal(tuple(out.shape)).astype(np.float32)) \
            if m is torch else m.tensor(res[0][2])
        (out.float() * g).sum().backward()
        res.append((out, as_np(out.float()), as_np(g), as_np(a.grad), b.grad))
    (ot, vt, _, gat, gbt), (oe, ve, _, gae, gbe) = res
    assert str(oe.dtype).split(".")[-1] == str(ot.dtype).split(".")[-1]
    scale = max(1.0, float(np.abs(vt).max()))
    np.testing.assert_allclose(ve, vt, rtol=0, atol=0.016 * scale)
    np.testing.assert_allclose(gae, gat, rtol=0, atol=0.03 * max(1.0, float(np.abs(gat).max())))
    assert (gbe is None) == (gbt is None)
    assert oe.requires_grad and oe.grad_fn is not None


def test_sums_accumulate_in_float32():
    a = ember.full((4096,), 0.1).bfloat16()  # ml_dtypes' own loop would stop at 32
    assert a.sum().item() == 410.0 and a.sum().dtype is ember.bfloat16
    assert a.sum(dtype=ember.float32).dtype is ember.float32
    assert abs(a.mean().item() - 0.1) < 1e-3


def test_views_share_memory_and_version():
    x = ember.zeros(2, 3).bfloat16()
    v = x.view(3, 2)
    v.add_(1.0)
    assert x.sum().item() == 6.0 and x._version == v._version


@needs_torch
def test_gradient_through_the_cast_is_float32_and_rounded():
    for m in (torch, ember):
        w = m.tensor([1.0 + 2 ** -12], requires_grad=True)
        y = (w.bfloat16() * 3.0).float()
        y.backward(m.tensor([1.0 + 2 ** -12]))
        assert w.grad.dtype == m.float32
        assert w.grad.item() == 3.0  # 3 * 1.0002 in bfloat16 (float32 would keep 3.0007)
