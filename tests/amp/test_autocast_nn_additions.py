"""The 3-D layers' functions, resizing, grid sampling and the new norms under CPU autocast,
against PyTorch: the dtype each computes in (its cast policy) and its value within
bfloat16's precision, for float32 and bfloat16 inputs."""
from __future__ import annotations

import numpy as np
import pytest

import ember

from ..compat._libs import as_np, needs_torch, torch

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

RNG = np.random.default_rng(1)
VOL = RNG.standard_normal((2, 3, 4, 6, 6)).astype(np.float32)
K3 = RNG.standard_normal((4, 3, 2, 3, 3)).astype(np.float32)
IMG = RNG.standard_normal((2, 3, 6, 6)).astype(np.float32)
GRID = RNG.uniform(-1.2, 1.2, (2, 4, 5, 2)).astype(np.float32)


def F(m):
    return m.nn.functional


CASES = [
    ("conv3d", VOL, lambda m, x: F(m).conv3d(x, m.tensor(K3), padding=1)),
    ("conv_transpose3d", VOL, lambda m, x: F(m).conv_transpose3d(
        x, m.tensor(K3).transpose(0, 1), stride=2)),
    ("max_pool3d", VOL, lambda m, x: F(m).max_pool3d(x, 2)),
    ("avg_pool3d", VOL, lambda m, x: F(m).avg_pool3d(x, 2, padding=1)),
    ("adaptive_avg_pool3d", VOL, lambda m, x: F(m).adaptive_avg_pool3d(x, (2, 3, 2))),
    ("adaptive_max_pool3d", VOL, lambda m, x: F(m).adaptive_max_pool3d(x, 2)),
    ("max_unpool3d", VOL, lambda m, x: F(m).max_unpool3d(*F(m).max_pool3d(
        x, 2, return_indices=True), 2)),
    ("interpolate_bicubic", IMG, lambda m, x: F(m).interpolate(x, scale_factor=1.5,
                                                               mode="bicubic")),
    ("interpolate_trilinear", VOL, lambda m, x: F(m).interpolate(x, size=(3, 5, 7),
                                                                 mode="trilinear")),
    ("grid_sample", IMG, lambda m, x: F(m).grid_sample(x, m.tensor(GRID), align_corners=False)),
    ("rms_norm", IMG, lambda m, x: F(m).rms_norm(x, (6,))),
    ("instance_norm_3d", VOL, lambda m, x: m.nn.InstanceNorm3d(3)(x)),
]


def _run(m, fn, x_np, low):
    x = m.tensor(x_np)
    if low:
        x = x.bfloat16()
    with m.autocast("cpu"):
        return fn(m, x)


@needs_torch
@pytest.mark.parametrize("low", [False, True], ids=["float32_in", "bfloat16_in"])
@pytest.mark.parametrize("name,x,fn", CASES, ids=[c[0] for c in CASES])
def test_dtype_and_value_under_cpu_autocast(name, x, fn, low):
    if name == "grid_sample" and low:
        pytest.skip("PyTorch's grid_sample runs its float32 policy on a float32 grid only")
    out_t, out_e = _run(torch, fn, x, low), _run(ember, fn, x, low)
    assert str(out_e.dtype).split(".")[-1] == str(out_t.dtype).split(".")[-1], name
    a, b = as_np(out_t.float()), as_np(out_e.float())
    scale = max(1.0, float(np.abs(a).max()))
    np.testing.assert_allclose(b, a, rtol=0, atol=0.02 * scale, err_msg=name)
