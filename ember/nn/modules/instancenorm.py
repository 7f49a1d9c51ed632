"""Instance normalization: batch norm's statistics taken per sample and channel."""
from __future__ import annotations

from ... import ops
from .normalization import _BatchNorm

__all__ = ["InstanceNorm1d", "InstanceNorm2d"]


class _InstanceNorm(_BatchNorm):
    _dims = (3, 4)

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device=None,
                 dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)

    def forward(self, input):
        if input.ndim not in self._dims:
            raise ValueError(f"{type(self).__name__}({self.num_features}): expected "
                             f"{self._dims[0]}D or {self._dims[1]}D input, "
                             f"got {input.ndim}D input of shape {tuple(input.shape)}")
        batched = input.ndim == self._dims[1]
        x = input if batched else input.unsqueeze(0)
        if x.shape[1] != self.num_features and self.affine:
            raise ValueError(f"{type(self).__name__}({self.num_features}): expected input with "
                             f"{self.num_features} channels, got shape {tuple(input.shape)}")
        use_stats = self.training or not self.track_running_stats
        out = ops.instance_norm(x, self.running_mean if self.track_running_stats else None,
                                self.running_var if self.track_running_stats else None,
                                self.weight, self.bias, use_stats, self.momentum or 0.0,
                                self.eps)
        return out if batched else out.squeeze(0)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """Normalise each sample's channel over L (no learned affine map by default).

    Shape: Input (N, C, L) or (C, L); output the same.
    """

    _dims = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    """Normalise each sample's channel over H, W (no learned affine map by default).

    Shape: Input (N, C, H, W) or (C, H, W); output the same.
    """

    _dims = (3, 4)
