"""EfficientNet B0-B7 (Tan & Le, 2019) and EfficientNetV2 S/M/L (Tan & Le, 2021)."""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from functools import partial
from typing import Callable

from ... import nn
from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ..ops.stochastic_depth import StochasticDepth
from ..transforms.functional import InterpolationMode
from ._api import register_model
from ._utils import _make_divisible
from ._weights import WeightsEnum, builder, imagenet_weights

__all__ = ["EfficientNet", "EfficientNet_B0_Weights", "EfficientNet_B1_Weights",
           "EfficientNet_B2_Weights", "EfficientNet_B3_Weights", "EfficientNet_B4_Weights",
           "EfficientNet_B5_Weights", "EfficientNet_B6_Weights", "EfficientNet_B7_Weights",
           "EfficientNet_V2_S_Weights", "EfficientNet_V2_M_Weights", "EfficientNet_V2_L_Weights",
           "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3",
           "efficientnet_b4", "efficientnet_b5", "efficientnet_b6", "efficientnet_b7",
           "efficientnet_v2_s", "efficientnet_v2_m", "efficientnet_v2_l"]

_URL = "https://download.pytorch.org/models/"
_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#efficientnet-v1"
_RECIPE_V2 = ("https://github.com/pytorch/vision/tree/main/references/classification"
              "#efficientnet-v2")
_B1_V2 = "https://github.com/pytorch/vision/issues/3995#new-recipe-with-lr-wd-crop-tuning"
_weights = imagenet_weights


class EfficientNet_B0_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "efficientnet_b0_rwightman-7f5810bc.pth", 5288548, 77.692,
        93.532, 0.386, 20.451, _RECIPE, interpolation=InterpolationMode.BICUBIC)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B1_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "efficientnet_b1_rwightman-bac287d4.pth", 7794184, 78.642,
        94.186, 0.687, 30.134, _RECIPE, crop_size=240, interpolation=InterpolationMode.BICUBIC)
    IMAGENET1K_V2 = _weights(_URL + "efficientnet_b1-c27df63c.pth", 7794184, 79.838, 94.934, 0.687,
        30.136, _B1_V2,
        crop_size=240, resize_size=255)
    DEFAULT = IMAGENET1K_V2


class EfficientNet_B2_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "efficientnet_b2_rwightman-c35c1473.pth", 9109994, 80.608,
        95.31, 1.088, 35.174, _RECIPE, crop_size=288, resize_size=288,
        interpolation=InterpolationMode.BICUBIC)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B3_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "efficientnet_b3_rwightman-b3899882.pth", 12233232, 82.008,
        96.054, 1.827, 47.184, _RECIPE, crop_size=300, resize_size=320,
        interpolation=InterpolationMode.BICUBIC)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B4_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "efficientnet_b4_rwightman-23ab8bcd.pth", 19341616, 83.384,
        96.594, 4.394, 74.489, _RECIPE, crop_size=380, resize_size=384,
        interpolation=InterpolationMode.BICUBIC)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B5_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "efficientnet_b5_lukemelas-1a07897c.pth", 30389784, 83.444,
        96.628, 10.266, 116.864, _RECIPE, crop_size=456, resize_size=456,
        interpolation=InterpolationMode.BICUBIC)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B6_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "efficientnet_b6_lukemelas-24a108a5.pth", 43040704, 84.008,
        96.916, 19.068, 165.362, _RECIPE, crop_size=528, resize_size=528,
        interpolation=InterpolationMode.BICUBIC)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B7_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "efficientnet_b7_lukemelas-c5b4e57e.pth", 66347960, 84.122,
        96.908, 37.746, 254.675, _RECIPE, crop_size=600, resize_size=600,
        interpolation=InterpolationMode.BICUBIC)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_S_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "efficientnet_v2_s-dd5fe13b.pth", 21458488, 84.228, 96.878,
        8.366, 82.704, _RECIPE_V2, min_size=(33, 33), crop_size=384, resize_size=384)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_M_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "efficientnet_v2_m-dc08266a.pth", 54139356, 85.112, 97.156,
        24.582, 208.01, _RECIPE_V2, min_size=(33, 33), crop_size=480, resize_size=480)
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_L_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "efficientnet_v2_l-59c71312.pth", 118515272, 85.808, 97.788,
        56.08, 454.573, _RECIPE_V2, min_size=(33, 33), crop_size=480, resize_size=480,
        interpolation=InterpolationMode.BICUBIC, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))
    DEFAULT = IMAGENET1K_V1


@dataclass
class _MBConvConfig:
    expand_ratio: float
    kernel: int
    stride: int
    input_channels: int
    out_channels: int
    num_layers: int
    block: Callable

    @staticmethod
    def adjust_channels(channels: int, width_mult: float, min_value: int | None = None) -> int:
        return _make_divisible(channels * width_mult, 8, min_value)


class MBConvConfig(_MBConvConfig):
    """A stage of MBConv blocks: expansion ratio, kernel, first stride, channels (scaled by
    ``width_mult``) and number of blocks (scaled by ``depth_mult``, rounded up)."""

    def __init__(self, expand_ratio: float, kernel: int, stride: int, input_channels: int,
                 out_channels: int, num_layers: int, width_mult: float = 1.0,
                 depth_mult: float = 1.0, block=None) -> None:
        input_channels = self.adjust_channels(input_channels, width_mult)
        out_channels = self.adjust_channels(out_channels, width_mult)
        num_layers = self.adjust_depth(num_layers, depth_mult)
        super().__init__(expand_ratio, kernel, stride, input_channels, out_channels, num_layers,
                         MBConv if block is None else block)

    @staticmethod
    def adjust_depth(num_layers: int, depth_mult: float) -> int:
        return int(math.ceil(num_layers * depth_mult))


class FusedMBConvConfig(_MBConvConfig):
    """A stage of Fused-MBConv blocks (EfficientNetV2's early stages)."""

    def __init__(self, expand_ratio: float, kernel: int, stride: int, input_channels: int,
                 out_channels: int, num_layers: int, block=None) -> None:
        super().__init__(expand_ratio, kernel, stride, input_channels, out_channels, num_layers,
                         FusedMBConv if block is None else block)


class MBConv(nn.Module):
    """1x1 expansion (SiLU), depthwise kxk convolution (SiLU), squeeze-and-excitation,
    linear 1x1 projection; stochastic depth on the residual branch when the shape is kept.

    Shape:
        - Input: (N, cnf.input_channels, H, W); Output: (N, cnf.out_channels, H', W').
    """

    def __init__(self, cnf: MBConvConfig, stochastic_depth_prob: float, norm_layer,
                 se_layer=SqueezeExcitation) -> None:
        super().__init__()
        if not (1 <= cnf.stride <= 2):
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        layers: list = []
        if expanded != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded, kernel_size=1,
                                               norm_layer=norm_layer, activation_layer=nn.SiLU))
        layers.append(Conv2dNormActivation(expanded, expanded, kernel_size=cnf.kernel,
                                           stride=cnf.stride, groups=expanded,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU))
        layers.append(se_layer(expanded, max(1, cnf.input_channels // 4),
                               activation=partial(nn.SiLU, inplace=True)))
        layers.append(Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=None))
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, input):
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result) + input
        return result


class FusedMBConv(nn.Module):
    """kxk expansion convolution (SiLU) and a linear 1x1 projection (or one kxk convolution
    when the ratio is 1); stochastic depth on the residual branch when the shape is kept.

    Shape:
        - Input: (N, cnf.input_channels, H, W); Output: (N, cnf.out_channels, H', W').
    """

    def __init__(self, cnf: FusedMBConvConfig, stochastic_depth_prob: float,
                 norm_layer) -> None:
        super().__init__()
        if not (1 <= cnf.stride <= 2):
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        if expanded != cnf.input_channels:
            layers = [Conv2dNormActivation(cnf.input_channels, expanded, kernel_size=cnf.kernel,
                                           stride=cnf.stride, norm_layer=norm_layer,
                                           activation_layer=nn.SiLU),
                      Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=None)]
        else:
            layers = [Conv2dNormActivation(cnf.input_channels, cnf.out_channels,
                                           kernel_size=cnf.kernel, stride=cnf.stride,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU)]
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, input):
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result) + input
        return result


class EfficientNet(nn.Module):
    """EfficientNet with torchvision's parameters and keys (``features``, ``avgpool``,
    ``classifier``).

    Args:
        inverted_residual_setting: the stages (:class:`MBConvConfig` /
            :class:`FusedMBConvConfig`).
        dropout: before the classifier.
        stochastic_depth_prob: the drop probability, growing linearly over the blocks up to
            this value.
        num_classes: classifier outputs.
        norm_layer: normalisation layer (``BatchNorm2d``).
        last_channel: width of the last convolution (4x the last stage's when None).

    Shape:
        - Input: (N, 3, H, W); Output: (N, num_classes).
    """

    def __init__(self, inverted_residual_setting, dropout: float,
                 stochastic_depth_prob: float = 0.2, num_classes: int = 1000, norm_layer=None,
                 last_channel: int | None = None) -> None:
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        if not (isinstance(inverted_residual_setting, (list, tuple))
                and all(isinstance(s, _MBConvConfig) for s in inverted_residual_setting)):
            raise TypeError("The inverted_residual_setting should be List[MBConvConfig]")
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        layers: list = [Conv2dNormActivation(3, inverted_residual_setting[0].input_channels,
                                             kernel_size=3, stride=2, norm_layer=norm_layer,
                                             activation_layer=nn.SiLU)]
        total = sum(cnf.num_layers for cnf in inverted_residual_setting)
        block_id = 0
        for cnf in inverted_residual_setting:
            stage: list = []
            for _ in range(cnf.num_layers):
                block_cnf = copy.copy(cnf)
                if stage:  # later blocks of a stage keep the shape
                    block_cnf.input_channels = block_cnf.out_channels
                    block_cnf.stride = 1
                sd_prob = stochastic_depth_prob * float(block_id) / total
                stage.append(block_cnf.block(block_cnf, sd_prob, norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))
        last_in = inverted_residual_setting[-1].out_channels
        last_out = last_channel if last_channel is not None else 4 * last_in
        layers.append(Conv2dNormActivation(last_in, last_out, kernel_size=1,
                                           norm_layer=norm_layer, activation_layer=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True),
                                        nn.Linear(last_out, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                init_range = 1.0 / math.sqrt(m.out_features)
                nn.init.uniform_(m.weight, -init_range, init_range)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        # the classifier's in-place dropout writes into this view of the pooled features
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


# (expand ratio, kernel, stride, in, out, blocks) of EfficientNet-B0's stages
_B_STAGES = [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2),
             (6, 3, 2, 40, 80, 3), (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4),
             (6, 3, 1, 192, 320, 1)]
# EfficientNetV2's stages: Fused-MBConv first (True), then MBConv
_V2_STAGES = {
    "s": [(True, 1, 3, 1, 24, 24, 2), (True, 4, 3, 2, 24, 48, 4), (True, 4, 3, 2, 48, 64, 4),
          (False, 4, 3, 2, 64, 128, 6), (False, 6, 3, 1, 128, 160, 9),
          (False, 6, 3, 2, 160, 256, 15)],
    "m": [(True, 1, 3, 1, 24, 24, 3), (True, 4, 3, 2, 24, 48, 5), (True, 4, 3, 2, 48, 80, 5),
          (False, 4, 3, 2, 80, 160, 7), (False, 6, 3, 1, 160, 176, 14),
          (False, 6, 3, 2, 176, 304, 18), (False, 6, 3, 1, 304, 512, 5)],
    "l": [(True, 1, 3, 1, 32, 32, 4), (True, 4, 3, 2, 32, 64, 7), (True, 4, 3, 2, 64, 96, 7),
          (False, 4, 3, 2, 96, 192, 10), (False, 6, 3, 1, 192, 224, 19),
          (False, 6, 3, 2, 224, 384, 25), (False, 6, 3, 1, 384, 640, 7)],
}


def _efficientnet_b(width_mult, depth_mult, dropout, kwargs, **fixed) -> EfficientNet:
    setting = [MBConvConfig(*row, width_mult=width_mult, depth_mult=depth_mult)
               for row in _B_STAGES]
    return EfficientNet(setting, kwargs.pop("dropout", dropout), last_channel=None, **fixed,
                        **kwargs)


def _efficientnet_v2(size, dropout, kwargs) -> EfficientNet:
    setting = [(FusedMBConvConfig if fused else MBConvConfig)(*row)
               for fused, *row in _V2_STAGES[size]]
    return EfficientNet(setting, kwargs.pop("dropout", dropout), last_channel=1280,
                        norm_layer=partial(nn.BatchNorm2d, eps=1e-03), **kwargs)


_BN_B5 = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)  # B5-B7's normalisation


@register_model()
@builder(EfficientNet_B0_Weights, legacy=EfficientNet_B0_Weights.IMAGENET1K_V1)
def efficientnet_b0(**kwargs) -> EfficientNet:
    """EfficientNet-B0 (5.3M parameters)."""
    return _efficientnet_b(1.0, 1.0, 0.2, kwargs)


@register_model()
@builder(EfficientNet_B1_Weights, legacy=EfficientNet_B1_Weights.IMAGENET1K_V1)
def efficientnet_b1(**kwargs) -> EfficientNet:
    """EfficientNet-B1 (7.8M parameters)."""
    return _efficientnet_b(1.0, 1.1, 0.2, kwargs)


@register_model()
@builder(EfficientNet_B2_Weights, legacy=EfficientNet_B2_Weights.IMAGENET1K_V1)
def efficientnet_b2(**kwargs) -> EfficientNet:
    """EfficientNet-B2 (9.1M parameters)."""
    return _efficientnet_b(1.1, 1.2, 0.3, kwargs)


@register_model()
@builder(EfficientNet_B3_Weights, legacy=EfficientNet_B3_Weights.IMAGENET1K_V1)
def efficientnet_b3(**kwargs) -> EfficientNet:
    """EfficientNet-B3 (12.2M parameters)."""
    return _efficientnet_b(1.2, 1.4, 0.3, kwargs)


@register_model()
@builder(EfficientNet_B4_Weights, legacy=EfficientNet_B4_Weights.IMAGENET1K_V1)
def efficientnet_b4(**kwargs) -> EfficientNet:
    """EfficientNet-B4 (19.3M parameters)."""
    return _efficientnet_b(1.4, 1.8, 0.4, kwargs)


@register_model()
@builder(EfficientNet_B5_Weights, legacy=EfficientNet_B5_Weights.IMAGENET1K_V1)
def efficientnet_b5(**kwargs) -> EfficientNet:
    """EfficientNet-B5 (30.4M parameters)."""
    return _efficientnet_b(1.6, 2.2, 0.4, kwargs, norm_layer=_BN_B5)


@register_model()
@builder(EfficientNet_B6_Weights, legacy=EfficientNet_B6_Weights.IMAGENET1K_V1)
def efficientnet_b6(**kwargs) -> EfficientNet:
    """EfficientNet-B6 (43.0M parameters)."""
    return _efficientnet_b(1.8, 2.6, 0.5, kwargs, norm_layer=_BN_B5)


@register_model()
@builder(EfficientNet_B7_Weights, legacy=EfficientNet_B7_Weights.IMAGENET1K_V1)
def efficientnet_b7(**kwargs) -> EfficientNet:
    """EfficientNet-B7 (66.3M parameters)."""
    return _efficientnet_b(2.0, 3.1, 0.5, kwargs, norm_layer=_BN_B5)


@register_model()
@builder(EfficientNet_V2_S_Weights, legacy=EfficientNet_V2_S_Weights.IMAGENET1K_V1)
def efficientnet_v2_s(**kwargs) -> EfficientNet:
    """EfficientNetV2-S (21.5M parameters)."""
    return _efficientnet_v2("s", 0.2, kwargs)


@register_model()
@builder(EfficientNet_V2_M_Weights, legacy=EfficientNet_V2_M_Weights.IMAGENET1K_V1)
def efficientnet_v2_m(**kwargs) -> EfficientNet:
    """EfficientNetV2-M (54.1M parameters)."""
    return _efficientnet_v2("m", 0.3, kwargs)


@register_model()
@builder(EfficientNet_V2_L_Weights, legacy=EfficientNet_V2_L_Weights.IMAGENET1K_V1)
def efficientnet_v2_l(**kwargs) -> EfficientNet:
    """EfficientNetV2-L (118.5M parameters)."""
    return _efficientnet_v2("l", 0.4, kwargs)
