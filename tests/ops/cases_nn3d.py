"""Op-table rows of the 3-D layers' functions (ember/ops/conv3d.py, pool3d.py, dropout3d),
interpolate's newer modes, unfold/fold's unbatched forms, rms_norm and embedding_bag.

The 3-D ops are compositions of the 2-D ones (no Op classes of their own); these rows check
them against PyTorch in float64 with random upstream gradients, by finite differences and
second derivatives, on batched, unbatched, size-1, zero-batch and non-contiguous inputs.
"""
from __future__ import annotations

import ember

from ..opcheck import I, In, N, T, torch
from .cases import F, OpCase, _twice, row

_idx = [1, 2, 4, 5, 4, 3, 2, 0, 6, 6]


def _bag(m, x, off, **kw):
    return F(m).embedding_bag(m.tensor(_idx, device=x.device), x,
                              m.tensor(off, device=x.device), **kw)


CASES = [
    # ------------------------------------------------------------------ convolution
    row("conv3d", lambda m, x, w, b: F(m).conv3d(x, w, b),
        [(N(2, 3, 4, 5, 4), N(4, 3, 2, 3, 2), N(4)), (N(3, 3, 4, 3), N(2, 3, 1, 2, 2), N(2)),
         (N(1, 1, 1, 3, 3), N(2, 1, 1, 3, 3), N(2)), (N(0, 2, 3, 3, 3), N(2, 2, 2, 2, 2), N(2)),
         (T(2, 2, 3, 4, 3), N(3, 2, 2, 2, 2), N(3))]),
    row("conv3d_stride_pad_dil", lambda m, x, w: F(m).conv3d(x, w, None, (2, 1, 2), (1, 2, 0),
                                                             (2, 1, 1)),
        [(N(2, 2, 6, 5, 6), N(3, 2, 3, 2, 2))]),
    row("conv3d_same_groups", lambda m, x, w: F(m).conv3d(x, w, padding="same", groups=2,
                                                          dilation=(2, 1, 2)),
        [(N(1, 4, 4, 3, 5), N(4, 2, 2, 3, 2))]),
    row("conv3d_valid", lambda m, x, w: F(m).conv3d(x, w, padding="valid", stride=2),
        [(N(1, 2, 5, 4, 5), N(2, 2, 3, 2, 3))]),
    row("conv_transpose3d", lambda m, x, w, b: F(m).conv_transpose3d(
        x, w, b, stride=2, padding=1, output_padding=1),
        [(N(2, 3, 2, 3, 2), N(3, 2, 3, 3, 2), N(2)), (N(2, 2, 2, 2), N(2, 3, 2, 2, 2), N(3)),
         (T(1, 2, 2, 2, 3), N(2, 1, 2, 2, 2), N(1))]),
    row("conv_transpose3d_groups_dil", lambda m, x, w: F(m).conv_transpose3d(
        x, w, None, (3, 1, 2), (1, 0, 1), (1, 0, 1), 2, (2, 1, 1)),
        [(N(1, 4, 2, 3, 2), N(4, 2, 2, 2, 3))]),
    # ------------------------------------------------------------------ pooling
    row("max_pool3d", lambda m, x: F(m).max_pool3d(x, 2),
        [(N(2, 2, 4, 5, 4),), (N(2, 3, 4, 4),), (N(0, 2, 2, 2, 2),), (T(1, 2, 4, 4, 4),)]),
    row("max_pool3d_args_indices", lambda m, x: F(m).max_pool3d(
        x, (2, 3, 2), (1, 2, 1), (1, 1, 0), (1, 1, 2), ceil_mode=True, return_indices=True),
        [(N(1, 2, 4, 5, 5),)]),
    row("max_pool3d_ceil", lambda m, x: F(m).max_pool3d(x, 3, 2, 1, ceil_mode=True),
        [(N(1, 2, 5, 4, 6),), (N(1, 1, 1, 1, 1),)]),
    row("max_pool3d_grad", _twice(lambda m, x: F(m).max_pool3d(x, 2) ** 2),
        [(N(1, 2, 4, 4, 2), N(1, 2, 2, 2, 1))]),
    row("avg_pool3d", lambda m, x: F(m).avg_pool3d(x, 2),
        [(N(2, 2, 4, 5, 4),), (N(2, 3, 4, 4),), (N(0, 1, 2, 2, 2),), (T(1, 2, 2, 4, 4),)]),
    row("avg_pool3d_args", lambda m, x: F(m).avg_pool3d(x, 3, 2, 1, ceil_mode=True,
                                                        count_include_pad=False),
        [(N(1, 2, 5, 6, 5),), (N(1, 1, 3, 3, 3),)]),
    row("avg_pool3d_pad_counted", lambda m, x: F(m).avg_pool3d(x, (3, 2, 3), (2, 1, 2), 1,
                                                               ceil_mode=True),
        [(N(1, 2, 5, 4, 6),)]),
    row("avg_pool3d_divisor", lambda m, x: F(m).avg_pool3d(x, (2, 2, 3), divisor_override=5),
        [(N(1, 2, 4, 4, 6),)]),
    row("adaptive_avg_pool3d", lambda m, x: F(m).adaptive_avg_pool3d(x, (2, 3, 2)),
        [(N(2, 2, 5, 7, 4),), (N(2, 3, 4, 4),), (N(1, 1, 3, 2, 2),)]),
    row("adaptive_avg_pool3d_none", lambda m, x: F(m).adaptive_avg_pool3d(x, (None, 1, 3)),
        [(N(1, 2, 3, 4, 5),)]),
    row("adaptive_max_pool3d", lambda m, x: F(m).adaptive_max_pool3d(x, (2, 3, 2), True),
        [(N(2, 2, 5, 7, 4),), (N(2, 3, 4, 4),), (N(1, 1, 3, 3, 3),)]),
    row("max_unpool3d", lambda m, x: F(m).max_unpool3d(*F(m).max_pool3d(
        x, 2, return_indices=True), 2, output_size=(5, 4, 5)), [(N(1, 2, 5, 4, 5),)]),
    # ------------------------------------------------------------------ interpolate
    row("interpolate_bicubic", lambda m, x: F(m).interpolate(x, size=(5, 7), mode="bicubic"),
        [(N(1, 2, 3, 4),), (N(2, 1, 1, 1),), (T(1, 2, 4, 3),)]),
    row("interpolate_bicubic_ac", lambda m, x: F(m).interpolate(
        x, scale_factor=(1.5, 0.75), mode="bicubic", align_corners=True), [(N(2, 1, 4, 4),)]),
    row("interpolate_bicubic_down", lambda m, x: F(m).interpolate(
        x, scale_factor=0.6, mode="bicubic"), [(N(1, 2, 6, 7),)]),
    row("interpolate_trilinear", lambda m, x: F(m).interpolate(x, size=(3, 5, 4),
                                                               mode="trilinear"),
        [(N(1, 2, 2, 3, 4),), (N(0, 2, 2, 2, 2),)]),
    row("interpolate_trilinear_ac", lambda m, x: F(m).interpolate(
        x, scale_factor=1.5, mode="trilinear", align_corners=True), [(N(1, 1, 2, 3, 3),)]),
    row("interpolate_nearest_3d", lambda m, x: F(m).interpolate(x, scale_factor=(1.5, 2, 0.7)),
        [(N(1, 2, 2, 3, 5),)]),
    row("interpolate_nearest_exact", lambda m, x: F(m).interpolate(x, size=(5, 3),
                                                                   mode="nearest-exact"),
        [(N(1, 2, 3, 4),), (N(1, 1, 7, 6),)]),
    row("interpolate_nearest_exact_1d_3d", lambda m, x, y: (
        F(m).interpolate(x, size=7, mode="nearest-exact"),
        F(m).interpolate(y, scale_factor=1.7, mode="nearest-exact")),
        [(N(2, 3, 4), N(1, 1, 2, 3, 3))]),
    row("interpolate_area", lambda m, x, y, z: (
        F(m).interpolate(x, size=3, mode="area"), F(m).interpolate(y, scale_factor=0.6,
                                                                   mode="area"),
        F(m).interpolate(z, size=(2, 2, 3), mode="area")),
        [(N(2, 2, 7), N(1, 2, 5, 6), N(1, 1, 3, 4, 5))]),
    # ------------------------------------------------------------------ blocks, norms, bags
    row("unfold_unbatched", lambda m, x: F(m).unfold(x, 2, 2, 1, 3), [(N(3, 5, 6),)]),
    row("fold_unbatched", lambda m, x: F(m).fold(x, (7, 6), (2, 3), (2, 1), (1, 2), (2, 1)),
        [(N(12, 32),)]),
    row("rms_norm", lambda m, x, w: F(m).rms_norm(x, (4,), w),
        [(N(3, 4), N(4)), (N(2, 3, 4), N(4)), (T(5, 4), N(4)), (N(0, 4), N(4))]),
    row("rms_norm_2d_eps", lambda m, x: F(m).rms_norm(x, (2, 3), eps=1e-3),
        [(N(4, 2, 3),), (N(2, 3),)]),
    row("embedding_bag_sum", lambda m, w: _bag(m, w, [0, 3, 3, 8], mode="sum"),
        [(N(7, 3),)]),
    row("embedding_bag_mean_padding", lambda m, w: _bag(m, w, [0, 3, 3, 8], mode="mean",
                                                        padding_idx=4),
        [(N(7, 3),)]),
    row("embedding_bag_max_last_offset", lambda m, w: _bag(m, w, [0, 3, 3, 8, 9], mode="max",
                                                           include_last_offset=True),
        [(N(7, 3),)]),
    row("embedding_bag_per_sample", lambda m, w, p: _bag(m, w, [0, 4, 7], mode="sum",
                                                         per_sample_weights=p),
        [(N(7, 2), N(10))]),
    row("embedding_bag_2d", lambda m, w, i: F(m).embedding_bag(i, w, mode="mean"),
        [(N(6, 3), I(6, 4, 3)), (N(6, 1), I(6, 1, 5))]),
    row("embedding_bag_empty_input", lambda m, w: F(m).embedding_bag(
        m.tensor([], dtype=m.int64, device=w.device), w, m.tensor([0, 0], device=w.device),
        mode="sum"), [(N(4, 3),)]),
]

# The scale_grad_by_freq gradient of PyTorch 2.13's CPU embedding_bag divides some rows by
# another index's count (pytorch/pytorch#190063); the documented one (each row's gradient
# over its own index's count) is embedding's, which this row compares against.
CASES.append(OpCase(
    "embedding_bag_scale_grad_by_freq",
    lambda w: ember.nn.functional.embedding_bag(
        ember.tensor(_idx, device=w.device), w, ember.tensor([0, 3, 3, 8], device=w.device),
        mode="sum", scale_grad_by_freq=True),
    (lambda w: torch.stack([torch.nn.functional.embedding(
        torch.tensor(_idx), w, scale_grad_by_freq=True)[a:b].sum(0)
        for a, b in ((0, 3), (3, 3), (3, 8), (8, 10))])) if torch is not None else None,
    [(N(7, 3),)], gradcheck=False))  # a scaled gradient is not the derivative

# dropout3d draws its mask from ember's generator: checked with the generator reseeded on
# every call, so that the finite differences see one mask; the mask is a per-channel one.
CASES.append(OpCase(
    "dropout3d_seeded",
    lambda x: (ember.manual_seed(3), ember.nn.functional.dropout3d(x, 0.4))[1], None,
    [(N(2, 3, 2, 2, 2),), (N(3, 2, 1, 2),), (In((2, 2, 1, 1, 1)),)]))
