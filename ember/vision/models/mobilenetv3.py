"""MobileNetV3 large and small (Howard et al., "Searching for MobileNetV3", 2019)."""
from __future__ import annotations

from functools import partial

from ... import nn
from ..ops.misc import Conv2dNormActivation
from ..ops.misc import SqueezeExcitation as SElayer
from ._api import register_model
from ._utils import _make_divisible
from ._weights import WeightsEnum, builder, imagenet_weights

__all__ = ["MobileNetV3", "MobileNet_V3_Large_Weights", "MobileNet_V3_Small_Weights",
           "mobilenet_v3_large", "mobilenet_v3_small"]

_URL = "https://download.pytorch.org/models/"
_MNV3 = ("https://github.com/pytorch/vision/tree/main/references/classification"
         "#mobilenetv3-large--small")
_V2 = "https://github.com/pytorch/vision/issues/3995#new-recipe-with-reg-tuning"
_weights = imagenet_weights


class MobileNet_V3_Large_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "mobilenet_v3_large-8738ca79.pth", 5483032, 74.042, 91.34,
                             0.217, 21.114, _MNV3)
    IMAGENET1K_V2 = _weights(_URL + "mobilenet_v3_large-5c1a4163.pth", 5483032, 75.274, 92.566,
                             0.217, 21.107, _V2, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class MobileNet_V3_Small_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "mobilenet_v3_small-047dcff4.pth", 2542856, 67.668, 87.402,
                             0.057, 9.829, _MNV3)
    DEFAULT = IMAGENET1K_V1


class InvertedResidualConfig:
    """One block of the table: channels (scaled by ``width_mult`` and rounded to multiples
    of 8), kernel size, squeeze-and-excitation, activation ("RE" ReLU or "HS" hardswish),
    stride and dilation."""

    def __init__(self, input_channels: int, kernel: int, expanded_channels: int,
                 out_channels: int, use_se: bool, activation: str, stride: int, dilation: int,
                 width_mult: float):
        self.input_channels = self.adjust_channels(input_channels, width_mult)
        self.kernel = kernel
        self.expanded_channels = self.adjust_channels(expanded_channels, width_mult)
        self.out_channels = self.adjust_channels(out_channels, width_mult)
        self.use_se = use_se
        self.use_hs = activation == "HS"
        self.stride = stride
        self.dilation = dilation

    @staticmethod
    def adjust_channels(channels: int, width_mult: float) -> int:
        return _make_divisible(channels * width_mult, 8)


class InvertedResidual(nn.Module):
    """1x1 expansion, kxk depthwise convolution, optional squeeze-and-excitation (hard
    sigmoid gate), linear 1x1 projection; a skip connection when the shape is kept.

    Shape:
        - Input: (N, cnf.input_channels, H, W); Output: (N, cnf.out_channels, H', W').
    """

    def __init__(self, cnf: InvertedResidualConfig, norm_layer,
                 se_layer=partial(SElayer, scale_activation=nn.Hardsigmoid)):
        super().__init__()
        if not (1 <= cnf.stride <= 2):
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        activation_layer = nn.Hardswish if cnf.use_hs else nn.ReLU
        layers: list = []
        if cnf.expanded_channels != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, cnf.expanded_channels,
                                               kernel_size=1, norm_layer=norm_layer,
                                               activation_layer=activation_layer))
        layers.append(Conv2dNormActivation(
            cnf.expanded_channels, cnf.expanded_channels, kernel_size=cnf.kernel,
            stride=1 if cnf.dilation > 1 else cnf.stride, dilation=cnf.dilation,
            groups=cnf.expanded_channels, norm_layer=norm_layer,
            activation_layer=activation_layer))
        if cnf.use_se:
            layers.append(se_layer(cnf.expanded_channels,
                                   _make_divisible(cnf.expanded_channels // 4, 8)))
        layers.append(Conv2dNormActivation(cnf.expanded_channels, cnf.out_channels,
                                           kernel_size=1, norm_layer=norm_layer,
                                           activation_layer=None))
        self.block = nn.Sequential(*layers)
        self.out_channels = cnf.out_channels
        self._is_cn = cnf.stride > 1

    def forward(self, input):
        result = self.block(input)
        return result + input if self.use_res_connect else result


class MobileNetV3(nn.Module):
    """MobileNetV3 with torchvision's parameters and keys (``features``, ``avgpool``,
    ``classifier``).

    Args:
        inverted_residual_setting: the blocks, a list of :class:`InvertedResidualConfig`.
        last_channel: width of the classifier's hidden layer.
        num_classes: classifier outputs.
        block: the block class (``InvertedResidual``).
        norm_layer: normalisation layer (``BatchNorm2d`` with eps 0.001, momentum 0.01).
        dropout: in the classifier.

    The builders' ``width_mult``, ``reduced_tail`` and ``dilated`` shape the block table
    before the model is built; torchvision's constructor also accepts and drops them (and
    any other keyword), ember's refuses unknown keywords.

    Shape:
        - Input: (N, 3, H, W) (224x224 for the ImageNet weights); Output: (N, num_classes).
    """

    def __init__(self, inverted_residual_setting, last_channel: int, num_classes: int = 1000,
                 block=None, norm_layer=None, dropout: float = 0.2) -> None:
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        if not (isinstance(inverted_residual_setting, (list, tuple))
                and all(isinstance(s, InvertedResidualConfig)
                        for s in inverted_residual_setting)):
            raise TypeError("The inverted_residual_setting should be "
                            "List[InvertedResidualConfig]")
        if block is None:
            block = InvertedResidual
        if norm_layer is None:
            norm_layer = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)
        first = inverted_residual_setting[0].input_channels
        layers: list = [Conv2dNormActivation(3, first, kernel_size=3, stride=2,
                                             norm_layer=norm_layer,
                                             activation_layer=nn.Hardswish)]
        layers += [block(cnf, norm_layer) for cnf in inverted_residual_setting]
        last_in = inverted_residual_setting[-1].out_channels
        last_out = 6 * last_in
        layers.append(Conv2dNormActivation(last_in, last_out, kernel_size=1,
                                           norm_layer=norm_layer,
                                           activation_layer=nn.Hardswish))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(last_out, last_channel), nn.Hardswish(inplace=True),
            nn.Dropout(p=dropout, inplace=True), nn.Linear(last_channel, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


# (input, kernel, expanded, out, SE, activation, stride) of each block; the last three
# blocks of the large network ("C4") and of the small one are halved by reduced_tail
# and dilated by dilated
_LARGE = [(16, 3, 16, 16, False, "RE", 1), (16, 3, 64, 24, False, "RE", 2),
          (24, 3, 72, 24, False, "RE", 1), (24, 5, 72, 40, True, "RE", 2),
          (40, 5, 120, 40, True, "RE", 1), (40, 5, 120, 40, True, "RE", 1),
          (40, 3, 240, 80, False, "HS", 2), (80, 3, 200, 80, False, "HS", 1),
          (80, 3, 184, 80, False, "HS", 1), (80, 3, 184, 80, False, "HS", 1),
          (80, 3, 480, 112, True, "HS", 1), (112, 3, 672, 112, True, "HS", 1),
          (112, 5, 672, 160, True, "HS", 2), (160, 5, 960, 160, True, "HS", 1),
          (160, 5, 960, 160, True, "HS", 1)]
_SMALL = [(16, 3, 16, 16, True, "RE", 2), (16, 3, 72, 24, False, "RE", 2),
          (24, 3, 88, 24, False, "RE", 1), (24, 5, 96, 40, True, "HS", 2),
          (40, 5, 240, 40, True, "HS", 1), (40, 5, 240, 40, True, "HS", 1),
          (40, 5, 120, 48, True, "HS", 1), (48, 5, 144, 48, True, "HS", 1),
          (48, 5, 288, 96, True, "HS", 2), (96, 5, 576, 96, True, "HS", 1),
          (96, 5, 576, 96, True, "HS", 1)]


def _mobilenet_v3_conf(arch: str, width_mult: float = 1.0, reduced_tail: bool = False,
                       dilated: bool = False):
    """The block table and last channel of ``arch``."""
    if arch not in ("mobilenet_v3_large", "mobilenet_v3_small"):
        raise ValueError(f"Unsupported model type {arch}")
    table, last = (_LARGE, 1280) if arch == "mobilenet_v3_large" else (_SMALL, 1024)
    div = 2 if reduced_tail else 1
    setting = []
    for i, (cin, k, exp, cout, se, act, stride) in enumerate(table):
        tail = i >= len(table) - 3  # the C4 stage
        if tail:
            # the first tail block keeps its input width; the others are halved throughout
            cin = cin if i == len(table) - 3 else cin // div
            exp, cout = (exp if i == len(table) - 3 else exp // div), cout // div
        setting.append(InvertedResidualConfig(cin, k, exp, cout, se, act, stride,
                                              2 if (tail and dilated) else 1, width_mult))
    return setting, InvertedResidualConfig.adjust_channels(last // div, width_mult)


def _mobilenet_v3(arch: str, kwargs) -> MobileNetV3:
    conf = {k: kwargs.pop(k) for k in ("width_mult", "reduced_tail", "dilated") if k in kwargs}
    setting, last_channel = _mobilenet_v3_conf(arch, **conf)
    return MobileNetV3(setting, last_channel, **kwargs)


@register_model()
@builder(MobileNet_V3_Large_Weights, legacy=MobileNet_V3_Large_Weights.IMAGENET1K_V1)
def mobilenet_v3_large(**kwargs) -> MobileNetV3:
    """MobileNetV3-Large (5.5M parameters); ``width_mult``, ``reduced_tail`` and
    ``dilated`` adjust the block table."""
    return _mobilenet_v3("mobilenet_v3_large", kwargs)


@register_model()
@builder(MobileNet_V3_Small_Weights, legacy=MobileNet_V3_Small_Weights.IMAGENET1K_V1)
def mobilenet_v3_small(**kwargs) -> MobileNetV3:
    """MobileNetV3-Small (2.5M parameters); ``width_mult``, ``reduced_tail`` and
    ``dilated`` adjust the block table."""
    return _mobilenet_v3("mobilenet_v3_small", kwargs)
