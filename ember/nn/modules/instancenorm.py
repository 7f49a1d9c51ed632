"""Instance normalization: batch norm's statistics taken per sample and channel."""
from __future__ import annotations

import warnings

from ... import ops
from .normalization import _LazyNormBase, _NormBase

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LazyInstanceNorm1d",
           "LazyInstanceNorm2d", "LazyInstanceNorm3d"]


class _InstanceNorm(_NormBase):
    _dims = (3, 4)  # (unbatched, batched) ranks

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device=None,
                 dtype=None, *, bias: bool = True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype,
                         bias=bias)

    def _check_input_dim(self, input):
        if input.ndim not in self._dims:
            raise ValueError(f"expected {self._dims[0]}D or {self._dims[1]}D input (got "
                             f"{input.ndim}D input)")

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs) -> None:
        """A state dict from before PyTorch 0.4 (no version) may hold running statistics
        that a layer without ``track_running_stats`` does not have: an error, as PyTorch."""
        version = local_metadata.get("version", None)
        if version is None and not self.track_running_stats:
            keys = [prefix + n for n in ("running_mean", "running_var")
                    if prefix + n in state_dict]
            if keys:
                name = type(self).__name__
                names = " and ".join(f'"{k}"' for k in keys)
                error_msgs.append(
                    f"Unexpected running stats buffer(s) {names} "
                    f"for {name} with track_running_stats=False. If state_dict is a checkpoint "
                    f"saved before 0.4.0, this may be expected because {name} does not track "
                    "running stats by default since 0.4.0. Please remove these keys from "
                    f"state_dict. If the running stats are actually needed, instead set "
                    f"track_running_stats=True in {name} to enable them. See the documentation "
                    f"of {name} for details.")
                for k in keys:
                    state_dict.pop(k)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    def forward(self, input):
        self._check_input_dim(input)
        feature_dim = input.ndim - self._dims[0]
        if input.shape[feature_dim] != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={feature_dim} to match "
                                 f"num_features ({self.num_features}), but got: "
                                 f"{input.shape[feature_dim]}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. You "
                          "can silence this warning by not passing in num_features, which is "
                          "not used because affine=False", stacklevel=2)
        batched = input.ndim == self._dims[1]
        x = input if batched else input.unsqueeze(0)
        out = ops.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                                self.training or not self.track_running_stats,
                                self.momentum if self.momentum is not None else 0.0, self.eps)
        return out if batched else out.squeeze(0)


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


class InstanceNorm3d(_InstanceNorm):
    """Normalise each sample's channel over D, H, W (no learned affine map by default).

    Shape: Input (N, C, D, H, W) or (C, D, H, W); output the same.
    """

    _dims = (4, 5)


class LazyInstanceNorm1d(_LazyNormBase, _InstanceNorm):
    """An :class:`InstanceNorm1d` whose ``num_features`` is read from the first input's dim 1;
    it then becomes an :class:`InstanceNorm1d`. As PyTorch's, its ``affine`` and
    ``track_running_stats`` default to True (the lazy norms' defaults)."""

    cls_to_become = InstanceNorm1d
    _dims = InstanceNorm1d._dims


class LazyInstanceNorm2d(_LazyNormBase, _InstanceNorm):
    """An :class:`InstanceNorm2d` whose ``num_features`` is read from the first input's dim 1;
    it then becomes an :class:`InstanceNorm2d`. As PyTorch's, its ``affine`` and
    ``track_running_stats`` default to True (the lazy norms' defaults)."""

    cls_to_become = InstanceNorm2d
    _dims = InstanceNorm2d._dims


class LazyInstanceNorm3d(_LazyNormBase, _InstanceNorm):
    """An :class:`InstanceNorm3d` whose ``num_features`` is read from the first input's dim 1;
    it then becomes an :class:`InstanceNorm3d`. As PyTorch's, its ``affine`` and
    ``track_running_stats`` default to True (the lazy norms' defaults)."""

    cls_to_become = InstanceNorm3d
    _dims = InstanceNorm3d._dims
