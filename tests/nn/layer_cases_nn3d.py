"""Layer-table rows of the 3-D layers, RMSNorm, Unfold/Fold, EmbeddingBag, SyncBatchNorm
(without a process group: plain batch norm, as in PyTorch), resizing by bicubic/trilinear
interpolation, and the weight/spectral normalizations (hook-based and as parametrizations).

Kept free of torch (tests/test_device.py runs the rows on the CUDA stand-in): the wrappers
find their library from the ``nn`` module they are given.
"""
from __future__ import annotations

import importlib

from .layer_cases import L


def _lib(nn):
    return importlib.import_module(nn.__name__.split(".")[0])


def _bag(nn, **kw):
    """An EmbeddingBag over fixed indices and offsets, scaled by the (float) input."""
    lib = _lib(nn)
    idx, offsets = [1, 2, 4, 5, 4, 3, 2, 0, 6, 6], [0, 3, 3, 8]

    class Bag(nn.Module):
        def __init__(self):
            super().__init__()
            self.bag = nn.EmbeddingBag(7, 3, **kw)

        def forward(self, x):
            dev = x.device
            return self.bag(lib.tensor(idx, device=dev), lib.tensor(offsets, device=dev)) * x
    return Bag()


def _unpool(nn):
    """MaxPool3d then MaxUnpool3d (back to the input's size)."""
    class Unpool(nn.Module):
        def __init__(self):
            super().__init__()
            self.pool = nn.MaxPool3d(2, return_indices=True)
            self.unpool = nn.MaxUnpool3d(2)

        def forward(self, x):
            y, i = self.pool(x)
            return self.unpool(y, i, output_size=x.shape)
    return Unpool()


LAYERS = [
    L("Conv3d", lambda nn: nn.Conv3d(3, 4, (2, 3, 2), stride=(2, 1, 1), padding=1),
      [(2, 3, 5, 6, 5)]),
    L("Conv3d_same_groups_reflect", lambda nn: nn.Conv3d(4, 6, 3, padding="same", groups=2,
                                                         padding_mode="reflect", bias=False),
      [(1, 4, 4, 5, 4)]),
    L("Conv3d_circular_unbatched", lambda nn: nn.Conv3d(2, 3, 3, padding=(1, 0, 1),
                                                        padding_mode="circular"),
      [(2, 4, 5, 4)]),
    L("Conv3d_replicate_dilated", lambda nn: nn.Conv3d(2, 2, 2, dilation=2, padding=1,
                                                       padding_mode="replicate"),
      [(1, 2, 4, 4, 5)]),
    L("ConvTranspose3d", lambda nn: nn.ConvTranspose3d(3, 4, 3, stride=2, padding=1,
                                                       output_padding=1), [(2, 3, 2, 3, 2)]),
    L("ConvTranspose3d_groups_dil", lambda nn: nn.ConvTranspose3d(4, 2, (2, 3, 2), stride=(1, 2, 1),
                                                                  groups=2, dilation=(2, 1, 1),
                                                                  bias=False),
      [(1, 4, 3, 2, 3)]),
    L("MaxPool3d", lambda nn: nn.MaxPool3d(3, 2, 1, ceil_mode=True), [(2, 3, 5, 6, 5)]),
    L("MaxPool3d_unbatched_dilated", lambda nn: nn.MaxPool3d(2, 1, dilation=(1, 2, 1)),
      [(2, 4, 5, 4)]),
    L("MaxUnpool3d", _unpool, [(1, 2, 4, 5, 4)]),
    L("AvgPool3d", lambda nn: nn.AvgPool3d(2, count_include_pad=False, padding=1),
      [(2, 3, 4, 5, 4)]),
    L("AvgPool3d_ceil_divisor", lambda nn: nn.AvgPool3d(3, 2, ceil_mode=True, divisor_override=4),
      [(1, 2, 5, 6, 5)]),
    L("AdaptiveAvgPool3d", lambda nn: nn.AdaptiveAvgPool3d((2, 3, None)), [(2, 3, 5, 7, 4)]),
    L("AdaptiveMaxPool3d", lambda nn: nn.AdaptiveMaxPool3d(2), [(2, 3, 5, 4, 5)]),
    L("BatchNorm3d", lambda nn: nn.BatchNorm3d(3), [(2, 3, 2, 3, 2)]),
    L("BatchNorm3d_eval", lambda nn: nn.BatchNorm3d(3), [(2, 3, 2, 3, 2)], train=False),
    L("BatchNorm3d_cma_nobias", lambda nn: nn.BatchNorm3d(3, momentum=None, bias=False),
      [(2, 3, 2, 2, 2)]),
    L("InstanceNorm3d", lambda nn: nn.InstanceNorm3d(3), [(2, 3, 2, 3, 4)]),
    L("InstanceNorm3d_affine_stats", lambda nn: nn.InstanceNorm3d(3, affine=True,
                                                                  track_running_stats=True),
      [(2, 3, 2, 3, 2)]),
    L("InstanceNorm3d_unbatched_eval", lambda nn: nn.InstanceNorm3d(2, affine=True,
                                                                    track_running_stats=True),
      [(2, 3, 2, 2)], train=False),
    L("InstanceNorm2d_nobias", lambda nn: nn.InstanceNorm2d(3, affine=True, bias=False),
      [(2, 3, 4, 4)]),
    L("Dropout3d_eval", lambda nn: nn.Dropout3d(0.5), [(2, 3, 2, 2, 2)], train=False),
    L("RMSNorm", lambda nn: nn.RMSNorm(4), [(3, 4)]),
    L("RMSNorm_2d_eps_noaffine", lambda nn: nn.RMSNorm((3, 4), eps=1e-3,
                                                       elementwise_affine=False),
      [(2, 3, 4)]),
    L("Unfold", lambda nn: nn.Unfold((2, 3), dilation=1, padding=1, stride=2), [(2, 3, 5, 6)]),
    L("Unfold_unbatched", lambda nn: nn.Unfold(2), [(3, 4, 4)]),
    L("Fold", lambda nn: nn.Fold((7, 6), (2, 3), (2, 1), (1, 2), (2, 1)), [(2, 12, 32)]),
    L("EmbeddingBag_mean", lambda nn: _bag(nn), [(4, 3)]),
    L("EmbeddingBag_max_padding", lambda nn: _bag(nn, mode="max", padding_idx=4), [(4, 3)]),
    L("EmbeddingBag_sum_max_norm", lambda nn: _bag(nn, mode="sum", max_norm=1.5), [(4, 3)]),
    L("SyncBatchNorm_no_group", lambda nn: nn.SyncBatchNorm(3), [(4, 3, 5)]),
    L("SyncBatchNorm_no_group_eval", lambda nn: nn.SyncBatchNorm(3), [(4, 3, 2, 2)],
      train=False),
    L("Upsample_bicubic", lambda nn: nn.Upsample(size=(5, 7), mode="bicubic"), [(1, 2, 3, 4)]),
    L("Upsample_bicubic_ac", lambda nn: nn.Upsample(scale_factor=1.5, mode="bicubic",
                                                    align_corners=True), [(1, 2, 4, 4)]),
    L("Upsample_trilinear", lambda nn: nn.Upsample(scale_factor=(2, 1.5, 1), mode="trilinear"),
      [(1, 2, 2, 2, 3)]),
    L("Upsample_nearest_3d", lambda nn: nn.Upsample(size=(3, 5, 2)), [(1, 2, 2, 3, 4)]),
    L("spectral_norm_Linear", lambda nn: nn.utils.spectral_norm(nn.Linear(5, 4)), [(3, 5)]),
    L("spectral_norm_Linear_eval", lambda nn: nn.utils.spectral_norm(nn.Linear(5, 4), eps=1e-6,
                                                                     n_power_iterations=3),
      [(3, 5)], train=False),
    L("spectral_norm_ConvTranspose2d", lambda nn: nn.utils.spectral_norm(
        nn.ConvTranspose2d(2, 3, 3)), [(1, 2, 4, 4)]),
    L("parametrizations_spectral_norm", lambda nn: nn.utils.parametrizations.spectral_norm(
        nn.Conv2d(2, 3, 3), n_power_iterations=2), [(1, 2, 5, 5)]),
    L("parametrizations_weight_norm", lambda nn: nn.utils.parametrizations.weight_norm(
        nn.Conv1d(3, 4, 3), dim=1), [(2, 3, 6)]),
    L("parametrizations_weight_norm_whole", lambda nn: nn.utils.parametrizations.weight_norm(
        nn.Linear(3, 4), dim=None), [(2, 3)]),
]
