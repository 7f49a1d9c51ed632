"""MNASNet 0.5/0.75/1.0/1.3 (Tan et al., "MnasNet: platform-aware neural architecture search
for mobile", 2019), the B1 variant, as torchvision's."""
from __future__ import annotations

import warnings

from ... import nn
from ._api import register_model
from ._weights import WeightsEnum, builder, imagenet_weights

__all__ = ["MNASNet", "MNASNet0_5_Weights", "MNASNet0_75_Weights", "MNASNet1_0_Weights",
           "MNASNet1_3_Weights", "mnasnet0_5", "mnasnet0_75", "mnasnet1_0", "mnasnet1_3"]

_URL = "https://download.pytorch.org/models/"
_RECIPE = "https://github.com/1e100/mnasnet_trainer"
_NEW_RECIPE = "https://github.com/pytorch/vision/pull/6019"
# TensorFlow's batch-norm decay 0.9997 as PyTorch's momentum
_BN_MOMENTUM = 1 - 0.9997


class MNASNet0_5_Weights(WeightsEnum):
    IMAGENET1K_V1 = imagenet_weights(_URL + "mnasnet0.5_top1_67.823-3ffadce67e.pth", 2218512,
                                     67.734, 87.490, 0.104, 8.591, _RECIPE)
    DEFAULT = IMAGENET1K_V1


class MNASNet0_75_Weights(WeightsEnum):
    IMAGENET1K_V1 = imagenet_weights(_URL + "mnasnet0_75-7090bc5f.pth", 3170208, 71.180, 90.496,
                                     0.215, 12.303, _NEW_RECIPE, resize_size=232)
    DEFAULT = IMAGENET1K_V1


class MNASNet1_0_Weights(WeightsEnum):
    IMAGENET1K_V1 = imagenet_weights(_URL + "mnasnet1.0_top1_73.512-f206786ef8.pth", 4383312,
                                     73.456, 91.510, 0.314, 16.915, _RECIPE)
    DEFAULT = IMAGENET1K_V1


class MNASNet1_3_Weights(WeightsEnum):
    IMAGENET1K_V1 = imagenet_weights(_URL + "mnasnet1_3-a4c69d6f.pth", 6282256, 76.506, 93.522,
                                     0.526, 24.246, _NEW_RECIPE, resize_size=232)
    DEFAULT = IMAGENET1K_V1


class _InvertedResidual(nn.Module):
    """1x1 expansion, depthwise ``kernel_size`` convolution (strided), 1x1 projection, each
    with batch norm (ReLU after the first two); the input is added when the shapes allow.

    Shape:
        - Input: (N, in_ch, H, W); Output: (N, out_ch, H / stride, W / stride).
    """

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int, stride: int,
                 expansion_factor: int, bn_momentum: float = 0.1) -> None:
        super().__init__()
        if stride not in [1, 2]:
            raise ValueError(f"stride should be 1 or 2 instead of {stride}")
        if kernel_size not in [3, 5]:
            raise ValueError(f"kernel_size should be 3 or 5 instead of {kernel_size}")
        mid_ch = in_ch * expansion_factor
        self.apply_residual = in_ch == out_ch and stride == 1
        self.layers = nn.Sequential(
            nn.Conv2d(in_ch, mid_ch, 1, bias=False),
            nn.BatchNorm2d(mid_ch, momentum=bn_momentum), nn.ReLU(inplace=True),
            nn.Conv2d(mid_ch, mid_ch, kernel_size, padding=kernel_size // 2, stride=stride,
                      groups=mid_ch, bias=False),
            nn.BatchNorm2d(mid_ch, momentum=bn_momentum), nn.ReLU(inplace=True),
            nn.Conv2d(mid_ch, out_ch, 1, bias=False),
            nn.BatchNorm2d(out_ch, momentum=bn_momentum))

    def forward(self, input):
        out = self.layers(input)
        return out + input if self.apply_residual else out


def _stack(in_ch: int, out_ch: int, kernel_size: int, stride: int, exp_factor: int,
           repeats: int, bn_momentum: float) -> nn.Sequential:
    """``repeats`` inverted residuals, the first one changing the channels and striding."""
    if repeats < 1:
        raise ValueError(f"repeats should be >= 1, instead got {repeats}")
    first = _InvertedResidual(in_ch, out_ch, kernel_size, stride, exp_factor,
                              bn_momentum=bn_momentum)
    rest = [_InvertedResidual(out_ch, out_ch, kernel_size, 1, exp_factor,
                              bn_momentum=bn_momentum) for _ in range(1, repeats)]
    return nn.Sequential(first, *rest)


def _round_to_multiple_of(val: float, divisor: int, round_up_bias: float = 0.9) -> int:
    """``val`` rounded to a multiple of ``divisor``, one step up when rounding took more than
    ``1 - round_up_bias`` of it away ((83, 8) -> 80, (84, 8) -> 88)."""
    if not 0.0 < round_up_bias < 1.0:
        raise ValueError("round_up_bias should be greater than 0.0 and smaller than 1.0 "
                         f"instead of {round_up_bias}")
    new_val = max(divisor, int(val + divisor / 2) // divisor * divisor)
    return new_val if new_val >= round_up_bias * val else new_val + divisor


def _get_depths(alpha: float) -> list[int]:
    """The channel counts of the stem and the six stacks, scaled by ``alpha``."""
    return [_round_to_multiple_of(depth * alpha, 8)
            for depth in [32, 16, 24, 40, 80, 96, 192, 320]]


class MNASNet(nn.Module):
    """MNASNet (B1) with depth multiplier ``alpha``: a stem, six stacks of inverted residuals,
    a 1x1 convolution to 1280 channels, global average pooling and a dropout + linear
    classifier, with torchvision's keys (``layers.*``, ``classifier.1``).

    A state dict saved by the first version of the model (``_metadata`` version 1) with
    ``alpha != 1`` has an unscaled stem: loading it rebuilds the stem to fit and warns, as
    torchvision does; a state dict without version metadata is refused, as torchvision's.

    Shape:
        - Input: (N, 3, H, W); Output: (N, num_classes).
    """

    _version = 2

    def __init__(self, alpha: float, num_classes: int = 1000, dropout: float = 0.2) -> None:
        super().__init__()
        if alpha <= 0.0:
            raise ValueError(f"alpha should be greater than 0.0 instead of {alpha}")
        self.alpha = alpha
        self.num_classes = num_classes
        depths = _get_depths(alpha)
        m = _BN_MOMENTUM
        self.layers = nn.Sequential(
            nn.Conv2d(3, depths[0], 3, padding=1, stride=2, bias=False),
            nn.BatchNorm2d(depths[0], momentum=m), nn.ReLU(inplace=True),
            nn.Conv2d(depths[0], depths[0], 3, padding=1, stride=1, groups=depths[0],
                      bias=False),
            nn.BatchNorm2d(depths[0], momentum=m), nn.ReLU(inplace=True),
            nn.Conv2d(depths[0], depths[1], 1, padding=0, stride=1, bias=False),
            nn.BatchNorm2d(depths[1], momentum=m),
            _stack(depths[1], depths[2], 3, 2, 3, 3, m),
            _stack(depths[2], depths[3], 5, 2, 3, 3, m),
            _stack(depths[3], depths[4], 5, 2, 6, 3, m),
            _stack(depths[4], depths[5], 3, 1, 6, 2, m),
            _stack(depths[5], depths[6], 5, 2, 6, 4, m),
            _stack(depths[6], depths[7], 3, 1, 6, 1, m),
            nn.Conv2d(depths[7], 1280, 1, padding=0, stride=1, bias=False),
            nn.BatchNorm2d(1280, momentum=m), nn.ReLU(inplace=True))
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True),
                                        nn.Linear(1280, num_classes))
        for mod in self.modules():
            if isinstance(mod, nn.Conv2d):
                nn.init.kaiming_normal_(mod.weight, mode="fan_out", nonlinearity="relu")
                if mod.bias is not None:
                    nn.init.zeros_(mod.bias)
            elif isinstance(mod, nn.BatchNorm2d):
                nn.init.ones_(mod.weight)
                nn.init.zeros_(mod.bias)
            elif isinstance(mod, nn.Linear):
                nn.init.kaiming_uniform_(mod.weight, mode="fan_out", nonlinearity="sigmoid")
                nn.init.zeros_(mod.bias)

    def forward(self, x):
        # (the mean is a new tensor, which the classifier's in-place dropout may write)
        return self.classifier(self.layers(x).mean([2, 3]))

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        version = local_metadata.get("version", None)
        if version not in [1, 2]:
            raise ValueError(f"version should be set to 1 or 2 instead of {version}")
        if version == 1 and not self.alpha == 1.0:
            depths = _get_depths(self.alpha)
            m = _BN_MOMENTUM
            v1_stem = [
                nn.Conv2d(3, 32, 3, padding=1, stride=2, bias=False),
                nn.BatchNorm2d(32, momentum=m), nn.ReLU(inplace=True),
                nn.Conv2d(32, 32, 3, padding=1, stride=1, groups=32, bias=False),
                nn.BatchNorm2d(32, momentum=m), nn.ReLU(inplace=True),
                nn.Conv2d(32, 16, 1, padding=0, stride=1, bias=False),
                nn.BatchNorm2d(16, momentum=m),
                _stack(16, depths[2], 3, 2, 3, 3, m)]
            for idx, layer in enumerate(v1_stem):
                self.layers[idx] = layer
            self._version = 1
            warnings.warn(
                "A new version of MNASNet model has been implemented. Your checkpoint was saved "
                "using the previous version. This checkpoint will load and work as before, but "
                "you may want to upgrade by training a newer model or transfer learning from an "
                "updated ImageNet checkpoint.", UserWarning, stacklevel=2)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


@register_model()
@builder(MNASNet0_5_Weights, legacy=MNASNet0_5_Weights.IMAGENET1K_V1)
def mnasnet0_5(**kwargs) -> MNASNet:
    """MNASNet with depth multiplier 0.5 (2.2M parameters)."""
    return MNASNet(0.5, **kwargs)


@register_model()
@builder(MNASNet0_75_Weights, legacy=MNASNet0_75_Weights.IMAGENET1K_V1)
def mnasnet0_75(**kwargs) -> MNASNet:
    """MNASNet with depth multiplier 0.75 (3.2M parameters)."""
    return MNASNet(0.75, **kwargs)


@register_model()
@builder(MNASNet1_0_Weights, legacy=MNASNet1_0_Weights.IMAGENET1K_V1)
def mnasnet1_0(**kwargs) -> MNASNet:
    """MNASNet with depth multiplier 1.0 (4.4M parameters)."""
    return MNASNet(1.0, **kwargs)


@register_model()
@builder(MNASNet1_3_Weights, legacy=MNASNet1_3_Weights.IMAGENET1K_V1)
def mnasnet1_3(**kwargs) -> MNASNet:
    """MNASNet with depth multiplier 1.3 (6.3M parameters)."""
    return MNASNet(1.3, **kwargs)
