"""RegNetX and RegNetY (Radosavovic et al., "Designing network design spaces", 2020)."""
from __future__ import annotations

import math
from collections import OrderedDict
from functools import partial

import numpy as np

from ... import nn
from ..ops.misc import Conv2dNormActivation, SqueezeExcitation
from ..transforms.functional import InterpolationMode
from ._api import register_model
from ._utils import _make_divisible
from ._weights import WeightsEnum, builder, imagenet_weights

__all__ = ["RegNet", "RegNet_Y_400MF_Weights", "RegNet_Y_800MF_Weights",
           "RegNet_Y_1_6GF_Weights", "RegNet_Y_3_2GF_Weights", "RegNet_Y_8GF_Weights",
           "RegNet_Y_16GF_Weights", "RegNet_Y_32GF_Weights", "RegNet_Y_128GF_Weights",
           "RegNet_X_400MF_Weights", "RegNet_X_800MF_Weights", "RegNet_X_1_6GF_Weights",
           "RegNet_X_3_2GF_Weights", "RegNet_X_8GF_Weights", "RegNet_X_16GF_Weights",
           "RegNet_X_32GF_Weights", "regnet_y_400mf", "regnet_y_800mf", "regnet_y_1_6gf",
           "regnet_y_3_2gf", "regnet_y_8gf", "regnet_y_16gf", "regnet_y_32gf", "regnet_y_128gf",
           "regnet_x_400mf", "regnet_x_800mf", "regnet_x_1_6gf", "regnet_x_3_2gf",
           "regnet_x_8gf", "regnet_x_16gf", "regnet_x_32gf"]

_URL = "https://download.pytorch.org/models/"
_REFS = "https://github.com/pytorch/vision/tree/main/references/classification"
_RECIPE = _REFS + "#small-models"
_RECIPE_MEDIUM = _REFS + "#medium-models"
_RECIPE_LARGE = _REFS + "#large-models"
_V2 = "https://github.com/pytorch/vision/issues/3995#new-recipe"
_V2_FIXRES = "https://github.com/pytorch/vision/issues/3995#new-recipe-with-fixres"
_SWAG = "https://github.com/facebookresearch/SWAG"
_SWAG_LC = "https://github.com/pytorch/vision/pull/5793"
_SWAG_LICENSE = "https://github.com/facebookresearch/SWAG/blob/main/LICENSE"
_weights = imagenet_weights


class RegNet_Y_400MF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "regnet_y_400mf-c65dace8.pth", 4344144, 74.046, 91.716, 0.402,
        16.806, _RECIPE)
    IMAGENET1K_V2 = _weights(_URL + "regnet_y_400mf-e6988f5f.pth", 4344144, 75.804, 92.742, 0.402,
        16.806, _V2, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_800MF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "regnet_y_800mf-1b27b58c.pth", 6432512, 76.42, 93.136, 0.834,
        24.774, _RECIPE)
    IMAGENET1K_V2 = _weights(_URL + "regnet_y_800mf-58fc7688.pth", 6432512, 78.828, 94.502, 0.834,
        24.774, _V2, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_1_6GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "regnet_y_1_6gf-b11a554e.pth", 11202430, 77.95, 93.966, 1.612,
        43.152, _RECIPE)
    IMAGENET1K_V2 = _weights(_URL + "regnet_y_1_6gf-0d7bc02a.pth", 11202430, 80.876, 95.444, 1.612,
        43.152, _V2, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_3_2GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "regnet_y_3_2gf-b5a9779c.pth", 19436338, 78.948, 94.576, 3.176,
        74.567, _RECIPE_MEDIUM)
    IMAGENET1K_V2 = _weights(_URL + "regnet_y_3_2gf-9180c971.pth", 19436338, 81.982, 95.972, 3.176,
        74.567, _V2, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_8GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "regnet_y_8gf-d0d0e4a8.pth", 39381472, 80.032, 95.048, 8.473,
        150.701, _RECIPE_MEDIUM)
    IMAGENET1K_V2 = _weights(_URL + "regnet_y_8gf-dc2b1b54.pth", 39381472, 82.828, 96.33, 8.473,
        150.701, _V2, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_16GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "regnet_y_16gf-9e6ed7dd.pth", 83590140, 80.424, 95.24, 15.912,
        319.49, _RECIPE_LARGE)
    IMAGENET1K_V2 = _weights(_URL + "regnet_y_16gf-3e4a00f9.pth", 83590140, 82.886, 96.328, 15.912,
        319.49, _V2, resize_size=232)
    IMAGENET1K_SWAG_E2E_V1 = _weights(_URL + "regnet_y_16gf_swag-43afe44d.pth", 83590140, 86.012,
        98.054, 46.735, 319.49, _SWAG, crop_size=384, resize_size=384,
        interpolation=InterpolationMode.BICUBIC, license=_SWAG_LICENSE)
    IMAGENET1K_SWAG_LINEAR_V1 = _weights(_URL + "regnet_y_16gf_lc_swag-f3ec0043.pth", 83590140,
        83.976, 97.244, 15.912, 319.49, _SWAG_LC, resize_size=224,
        interpolation=InterpolationMode.BICUBIC, license=_SWAG_LICENSE)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_32GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "regnet_y_32gf-4dee3f7a.pth", 145046770, 80.878, 95.34, 32.28,
        554.076, _RECIPE_LARGE)
    IMAGENET1K_V2 = _weights(_URL + "regnet_y_32gf-8db6d4b5.pth", 145046770, 83.368, 96.498, 32.28,
        554.076, _V2, resize_size=232)
    IMAGENET1K_SWAG_E2E_V1 = _weights(_URL + "regnet_y_32gf_swag-04fdfa75.pth", 145046770, 86.838,
        98.362, 94.826, 554.076, _SWAG, crop_size=384, resize_size=384,
        interpolation=InterpolationMode.BICUBIC, license=_SWAG_LICENSE)
    IMAGENET1K_SWAG_LINEAR_V1 = _weights(_URL + "regnet_y_32gf_lc_swag-e1583746.pth", 145046770,
        84.622, 97.48, 32.28, 554.076, _SWAG_LC, resize_size=224,
        interpolation=InterpolationMode.BICUBIC, license=_SWAG_LICENSE)
    DEFAULT = IMAGENET1K_V2


class RegNet_Y_128GF_Weights(WeightsEnum):
    IMAGENET1K_SWAG_E2E_V1 = _weights(_URL + "regnet_y_128gf_swag-c8ce3e52.pth", 644812894, 88.228,
        98.682, 374.57, 2461.564, _SWAG, crop_size=384, resize_size=384,
        interpolation=InterpolationMode.BICUBIC, license=_SWAG_LICENSE)
    IMAGENET1K_SWAG_LINEAR_V1 = _weights(_URL + "regnet_y_128gf_lc_swag-cbe8ce12.pth", 644812894,
        86.068, 97.844, 127.518, 2461.564, _SWAG_LC, resize_size=224,
        interpolation=InterpolationMode.BICUBIC, license=_SWAG_LICENSE)
    DEFAULT = IMAGENET1K_SWAG_E2E_V1


class RegNet_X_400MF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "regnet_x_400mf-adf1edd5.pth", 5495976, 72.834, 90.95, 0.414,
        21.258, _RECIPE)
    IMAGENET1K_V2 = _weights(_URL + "regnet_x_400mf-62229a5f.pth", 5495976, 74.864, 92.322, 0.414,
        21.257, _V2_FIXRES,
        resize_size=232)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_800MF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "regnet_x_800mf-ad17e45c.pth", 7259656, 75.212, 92.348, 0.8,
        27.945, _RECIPE)
    IMAGENET1K_V2 = _weights(_URL + "regnet_x_800mf-94a99ebd.pth", 7259656, 77.522, 93.826, 0.8,
        27.945, _V2_FIXRES,
        resize_size=232)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_1_6GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "regnet_x_1_6gf-e3633e7f.pth", 9190136, 77.04, 93.44, 1.603,
        35.339, _RECIPE)
    IMAGENET1K_V2 = _weights(_URL + "regnet_x_1_6gf-a12f2b72.pth", 9190136, 79.668, 94.922, 1.603,
        35.339, _V2_FIXRES,
        resize_size=232)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_3_2GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "regnet_x_3_2gf-f342aeae.pth", 15296552, 78.364, 93.992, 3.177,
        58.756, _RECIPE_MEDIUM)
    IMAGENET1K_V2 = _weights(_URL + "regnet_x_3_2gf-7071aa85.pth", 15296552, 81.196, 95.43, 3.177,
        58.756, _V2, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_8GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "regnet_x_8gf-03ceed89.pth", 39572648, 79.344, 94.686, 7.995,
        151.456, _RECIPE_MEDIUM)
    IMAGENET1K_V2 = _weights(_URL + "regnet_x_8gf-2b70d774.pth", 39572648, 81.682, 95.678, 7.995,
        151.456, _V2, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_16GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "regnet_x_16gf-2007eb11.pth", 54278536, 80.058, 94.944, 15.941,
        207.627, _RECIPE_MEDIUM)
    IMAGENET1K_V2 = _weights(_URL + "regnet_x_16gf-ba3796d7.pth", 54278536, 82.716, 96.196, 15.941,
        207.627, _V2, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class RegNet_X_32GF_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "regnet_x_32gf-9d47f8d0.pth", 107811560, 80.622, 95.248, 31.736,
        412.039, _RECIPE_LARGE)
    IMAGENET1K_V2 = _weights(_URL + "regnet_x_32gf-6eb8fdc6.pth", 107811560, 83.014, 96.288, 31.736,
        412.039, _V2, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class SimpleStemIN(Conv2dNormActivation):
    """The stem: a 3x3 stride-2 convolution, normalisation, activation."""

    def __init__(self, width_in: int, width_out: int, norm_layer, activation_layer) -> None:
        super().__init__(width_in, width_out, kernel_size=3, stride=2, norm_layer=norm_layer,
                         activation_layer=activation_layer)


class BottleneckTransform(nn.Sequential):
    """1x1 (``a``), grouped 3x3 (``b``, groups of ``group_width`` channels), optional
    squeeze-and-excitation (``se``), 1x1 without activation (``c``)."""

    def __init__(self, width_in: int, width_out: int, stride: int, norm_layer,
                 activation_layer, group_width: int, bottleneck_multiplier: float,
                 se_ratio: float | None) -> None:
        w_b = int(round(width_out * bottleneck_multiplier))
        layers = OrderedDict()
        layers["a"] = Conv2dNormActivation(width_in, w_b, kernel_size=1, stride=1,
                                           norm_layer=norm_layer,
                                           activation_layer=activation_layer)
        layers["b"] = Conv2dNormActivation(w_b, w_b, kernel_size=3, stride=stride,
                                           groups=w_b // group_width, norm_layer=norm_layer,
                                           activation_layer=activation_layer)
        if se_ratio:
            layers["se"] = SqueezeExcitation(input_channels=w_b,
                                             squeeze_channels=int(round(se_ratio * width_in)),
                                             activation=activation_layer)
        layers["c"] = Conv2dNormActivation(w_b, width_out, kernel_size=1, stride=1,
                                           norm_layer=norm_layer, activation_layer=None)
        super().__init__(layers)


class ResBottleneckBlock(nn.Module):
    """activation(x + f(x)), with a 1x1 projection of x when the shape changes.

    Shape:
        - Input: (N, width_in, H, W); Output: (N, width_out, H / stride, W / stride).
    """

    def __init__(self, width_in: int, width_out: int, stride: int, norm_layer,
                 activation_layer, group_width: int = 1, bottleneck_multiplier: float = 1.0,
                 se_ratio: float | None = None) -> None:
        super().__init__()
        self.proj = None
        if (width_in != width_out) or (stride != 1):
            self.proj = Conv2dNormActivation(width_in, width_out, kernel_size=1, stride=stride,
                                             norm_layer=norm_layer, activation_layer=None)
        self.f = BottleneckTransform(width_in, width_out, stride, norm_layer, activation_layer,
                                     group_width, bottleneck_multiplier, se_ratio)
        self.activation = activation_layer(inplace=True)

    def forward(self, x):
        skip = x if self.proj is None else self.proj(x)
        return self.activation(skip + self.f(x))


class AnyStage(nn.Sequential):
    """``depth`` blocks (``block{stage_index}-{i}``), the first one striding."""

    def __init__(self, width_in: int, width_out: int, stride: int, depth: int,
                 block_constructor, norm_layer, activation_layer, group_width: int,
                 bottleneck_multiplier: float, se_ratio: float | None = None,
                 stage_index: int = 0) -> None:
        super().__init__()
        for i in range(depth):
            self.add_module(f"block{stage_index}-{i}", block_constructor(
                width_in if i == 0 else width_out, width_out, stride if i == 0 else 1,
                norm_layer, activation_layer, group_width, bottleneck_multiplier, se_ratio))


class BlockParams:
    """The stages of a RegNet: depths, widths, group widths, bottleneck multipliers,
    strides and the squeeze-and-excitation ratio."""

    def __init__(self, depths, widths, group_widths, bottleneck_multipliers, strides,
                 se_ratio: float | None = None) -> None:
        self.depths = depths
        self.widths = widths
        self.group_widths = group_widths
        self.bottleneck_multipliers = bottleneck_multipliers
        self.strides = strides
        self.se_ratio = se_ratio

    @classmethod
    def from_init_params(cls, depth: int, w_0: int, w_a: float, w_m: float, group_width: int,
                         bottleneck_multiplier: float = 1.0,
                         se_ratio: float | None = None) -> BlockParams:
        """The stages of the design space's linear rule: block j's width
        ``w_0 + w_a * j``, snapped to ``w_0 * w_m^k`` and to multiples of 8; blocks of equal
        width form a stage. Computed in float32, as torchvision does."""
        if w_a < 0 or w_0 <= 0 or w_m <= 1 or w_0 % 8 != 0:
            raise ValueError("Invalid RegNet settings")
        f32 = np.float32
        widths_cont = np.arange(depth).astype(f32) * f32(w_a) + f32(w_0)
        capacity = np.round(np.log(widths_cont / f32(w_0)) / f32(math.log(w_m)))
        block_widths = (np.round(f32(w_0) * np.power(f32(w_m), capacity) / f32(8)) * 8)
        block_widths = [int(w) for w in block_widths.astype(f32)]
        num_stages = len(set(block_widths))
        starts = [i for i in range(depth + 1)
                  if i == 0 or i == depth or block_widths[i] != block_widths[i - 1]]
        stage_widths = [block_widths[i] for i in starts[:-1]]
        stage_depths = [b - a for a, b in zip(starts[:-1], starts[1:])]
        multipliers = [bottleneck_multiplier] * num_stages
        stage_widths, group_widths = cls._adjust_widths_groups_compatibilty(
            stage_widths, multipliers, [group_width] * num_stages)
        return cls(depths=stage_depths, widths=stage_widths, group_widths=group_widths,
                   bottleneck_multipliers=multipliers, strides=[2] * num_stages,
                   se_ratio=se_ratio)

    def _get_expanded_params(self):
        return zip(self.widths, self.strides, self.depths, self.group_widths,
                   self.bottleneck_multipliers)

    @staticmethod
    def _adjust_widths_groups_compatibilty(stage_widths, bottleneck_ratios, group_widths):
        """Bottleneck widths made multiples of the group widths (a group never wider than
        the bottleneck)."""
        widths = [int(w * b) for w, b in zip(stage_widths, bottleneck_ratios)]
        group_widths_min = [min(g, w_bot) for g, w_bot in zip(group_widths, widths)]
        ws_bot = [_make_divisible(w_bot, g) for w_bot, g in zip(widths, group_widths_min)]
        stage_widths = [int(w_bot / b) for w_bot, b in zip(ws_bot, bottleneck_ratios)]
        return stage_widths, group_widths_min


class RegNet(nn.Module):
    """RegNet with torchvision's parameters and keys (``stem``, ``trunk_output.block1``...,
    ``fc``).

    Args:
        block_params: the stages (:class:`BlockParams`).
        num_classes: classifier outputs.
        stem_width: channels of the stem.
        stem_type, block_type: the stem and block classes.
        norm_layer: normalisation (``BatchNorm2d``).
        activation: activation class (``ReLU``).

    Shape:
        - Input: (N, 3, H, W); Output: (N, num_classes).
    """

    def __init__(self, block_params: BlockParams, num_classes: int = 1000, stem_width: int = 32,
                 stem_type=None, block_type=None, norm_layer=None, activation=None) -> None:
        super().__init__()
        stem_type = SimpleStemIN if stem_type is None else stem_type
        norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        block_type = ResBottleneckBlock if block_type is None else block_type
        activation = nn.ReLU if activation is None else activation
        self.stem = stem_type(3, stem_width, norm_layer, activation)
        current_width = stem_width
        blocks = []
        for i, (width_out, stride, depth, group_width, multiplier) in enumerate(
                block_params._get_expanded_params()):
            blocks.append((f"block{i + 1}", AnyStage(
                current_width, width_out, stride, depth, block_type, norm_layer, activation,
                group_width, multiplier, block_params.se_ratio, stage_index=i + 1)))
            current_width = width_out
        self.trunk_output = nn.Sequential(OrderedDict(blocks))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(in_features=current_width, out_features=num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                nn.init.normal_(m.weight, mean=0.0, std=math.sqrt(2.0 / fan_out))
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, mean=0.0, std=0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.avgpool(self.trunk_output(self.stem(x)))
        return self.fc(x.flatten(start_dim=1))


def _regnet(params: BlockParams, kwargs) -> RegNet:
    norm_layer = kwargs.pop("norm_layer", partial(nn.BatchNorm2d, eps=1e-05, momentum=0.1))
    return RegNet(params, norm_layer=norm_layer, **kwargs)


def _y(depth, w_0, w_a, w_m, group_width):
    return BlockParams.from_init_params(depth=depth, w_0=w_0, w_a=w_a, w_m=w_m,
                                        group_width=group_width, se_ratio=0.25)


def _x(depth, w_0, w_a, w_m, group_width):
    return BlockParams.from_init_params(depth=depth, w_0=w_0, w_a=w_a, w_m=w_m,
                                        group_width=group_width)


@register_model()
@builder(RegNet_Y_400MF_Weights, legacy=RegNet_Y_400MF_Weights.IMAGENET1K_V1)
def regnet_y_400mf(**kwargs) -> RegNet:
    """RegNetY-400MF (4.3M parameters)."""
    return _regnet(_y(16, 48, 27.89, 2.09, 8), kwargs)


@register_model()
@builder(RegNet_Y_800MF_Weights, legacy=RegNet_Y_800MF_Weights.IMAGENET1K_V1)
def regnet_y_800mf(**kwargs) -> RegNet:
    """RegNetY-800MF (6.4M parameters)."""
    return _regnet(_y(14, 56, 38.84, 2.4, 16), kwargs)


@register_model()
@builder(RegNet_Y_1_6GF_Weights, legacy=RegNet_Y_1_6GF_Weights.IMAGENET1K_V1)
def regnet_y_1_6gf(**kwargs) -> RegNet:
    """RegNetY-1.6GF (11.2M parameters)."""
    return _regnet(_y(27, 48, 20.71, 2.65, 24), kwargs)


@register_model()
@builder(RegNet_Y_3_2GF_Weights, legacy=RegNet_Y_3_2GF_Weights.IMAGENET1K_V1)
def regnet_y_3_2gf(**kwargs) -> RegNet:
    """RegNetY-3.2GF (19.4M parameters)."""
    return _regnet(_y(21, 80, 42.63, 2.66, 24), kwargs)


@register_model()
@builder(RegNet_Y_8GF_Weights, legacy=RegNet_Y_8GF_Weights.IMAGENET1K_V1)
def regnet_y_8gf(**kwargs) -> RegNet:
    """RegNetY-8GF (39.4M parameters)."""
    return _regnet(_y(17, 192, 76.82, 2.19, 56), kwargs)


@register_model()
@builder(RegNet_Y_16GF_Weights, legacy=RegNet_Y_16GF_Weights.IMAGENET1K_V1)
def regnet_y_16gf(**kwargs) -> RegNet:
    """RegNetY-16GF (83.6M parameters)."""
    return _regnet(_y(18, 200, 106.23, 2.48, 112), kwargs)


@register_model()
@builder(RegNet_Y_32GF_Weights, legacy=RegNet_Y_32GF_Weights.IMAGENET1K_V1)
def regnet_y_32gf(**kwargs) -> RegNet:
    """RegNetY-32GF (145.0M parameters)."""
    return _regnet(_y(20, 232, 115.89, 2.53, 232), kwargs)


@register_model()
@builder(RegNet_Y_128GF_Weights, legacy=None)
def regnet_y_128gf(**kwargs) -> RegNet:
    """RegNetY-128GF (644.8M parameters; only SWAG weights, so no ``pretrained=True``)."""
    return _regnet(_y(27, 456, 160.83, 2.52, 264), kwargs)


@register_model()
@builder(RegNet_X_400MF_Weights, legacy=RegNet_X_400MF_Weights.IMAGENET1K_V1)
def regnet_x_400mf(**kwargs) -> RegNet:
    """RegNetX-400MF (5.5M parameters)."""
    return _regnet(_x(22, 24, 24.48, 2.54, 16), kwargs)


@register_model()
@builder(RegNet_X_800MF_Weights, legacy=RegNet_X_800MF_Weights.IMAGENET1K_V1)
def regnet_x_800mf(**kwargs) -> RegNet:
    """RegNetX-800MF (7.3M parameters)."""
    return _regnet(_x(16, 56, 35.73, 2.28, 16), kwargs)


@register_model()
@builder(RegNet_X_1_6GF_Weights, legacy=RegNet_X_1_6GF_Weights.IMAGENET1K_V1)
def regnet_x_1_6gf(**kwargs) -> RegNet:
    """RegNetX-1.6GF (9.2M parameters)."""
    return _regnet(_x(18, 80, 34.01, 2.25, 24), kwargs)


@register_model()
@builder(RegNet_X_3_2GF_Weights, legacy=RegNet_X_3_2GF_Weights.IMAGENET1K_V1)
def regnet_x_3_2gf(**kwargs) -> RegNet:
    """RegNetX-3.2GF (15.3M parameters)."""
    return _regnet(_x(25, 88, 26.31, 2.25, 48), kwargs)


@register_model()
@builder(RegNet_X_8GF_Weights, legacy=RegNet_X_8GF_Weights.IMAGENET1K_V1)
def regnet_x_8gf(**kwargs) -> RegNet:
    """RegNetX-8GF (39.6M parameters)."""
    return _regnet(_x(23, 80, 49.56, 2.88, 120), kwargs)


@register_model()
@builder(RegNet_X_16GF_Weights, legacy=RegNet_X_16GF_Weights.IMAGENET1K_V1)
def regnet_x_16gf(**kwargs) -> RegNet:
    """RegNetX-16GF (54.3M parameters)."""
    return _regnet(_x(22, 216, 55.59, 2.1, 128), kwargs)


@register_model()
@builder(RegNet_X_32GF_Weights, legacy=RegNet_X_32GF_Weights.IMAGENET1K_V1)
def regnet_x_32gf(**kwargs) -> RegNet:
    """RegNetX-32GF (107.8M parameters)."""
    return _regnet(_x(23, 320, 69.86, 2.0, 168), kwargs)
