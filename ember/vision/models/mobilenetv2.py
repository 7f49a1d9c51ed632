"""MobileNetV2 (Sandler et al., "MobileNetV2: inverted residuals and linear bottlenecks",
2018)."""
from __future__ import annotations

from ... import nn
from ..ops.misc import Conv2dNormActivation
from ._api import register_model
from ._utils import _make_divisible
from ._weights import WeightsEnum, builder, imagenet_weights

__all__ = ["MobileNetV2", "MobileNet_V2_Weights", "mobilenet_v2"]

_URL = "https://download.pytorch.org/models/"
_MNV2 = "https://github.com/pytorch/vision/tree/main/references/classification#mobilenetv2"
_V2 = "https://github.com/pytorch/vision/issues/3995#new-recipe-with-reg-tuning"
_weights = imagenet_weights


class MobileNet_V2_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "mobilenet_v2-b0353104.pth", 3504872, 71.878, 90.286, 0.301,
                             13.555, _MNV2)
    IMAGENET1K_V2 = _weights(_URL + "mobilenet_v2-7ebf99e0.pth", 3504872, 72.154, 90.822, 0.301,
                             13.598, _V2, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class InvertedResidual(nn.Module):
    """1x1 expansion (by ``expand_ratio``, ReLU6), 3x3 depthwise convolution (ReLU6), linear
    1x1 projection; a skip connection when the shape is kept.

    Shape:
        - Input: (N, inp, H, W); Output: (N, oup, H / stride, W / stride).
    """

    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int,
                 norm_layer=None) -> None:
        super().__init__()
        self.stride = stride
        if stride not in [1, 2]:
            raise ValueError(f"stride should be 1 or 2 instead of {stride}")
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        hidden_dim = int(round(inp * expand_ratio))
        self.use_res_connect = self.stride == 1 and inp == oup
        layers: list = []
        if expand_ratio != 1:
            layers.append(Conv2dNormActivation(inp, hidden_dim, kernel_size=1,
                                               norm_layer=norm_layer,
                                               activation_layer=nn.ReLU6))
        layers += [Conv2dNormActivation(hidden_dim, hidden_dim, stride=stride, groups=hidden_dim,
                                        norm_layer=norm_layer, activation_layer=nn.ReLU6),
                   nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False),
                   norm_layer(oup)]
        self.conv = nn.Sequential(*layers)
        self.out_channels = oup
        self._is_cn = stride > 1

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    """MobileNetV2 with torchvision's parameters and keys (``features``, ``classifier``).

    Args:
        num_classes: classifier outputs.
        width_mult: channel multiplier of every layer.
        inverted_residual_setting: rows ``[t, c, n, s]`` (expansion, channels, repeats,
            first stride); the network's default when None.
        round_nearest: channel counts are rounded to multiples of it.
        block: the block class (``InvertedResidual``).
        norm_layer: normalisation layer (``BatchNorm2d``).
        dropout: before the classifier.

    Shape:
        - Input: (N, 3, H, W) (224x224 for the ImageNet weights); Output: (N, num_classes).
    """

    def __init__(self, num_classes: int = 1000, width_mult: float = 1.0,
                 inverted_residual_setting=None, round_nearest: int = 8, block=None,
                 norm_layer=None, dropout: float = 0.2) -> None:
        super().__init__()
        if block is None:
            block = InvertedResidual
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        if inverted_residual_setting is None:
            inverted_residual_setting = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2],
                                         [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2],
                                         [6, 320, 1, 1]]
        if len(inverted_residual_setting) == 0 or len(inverted_residual_setting[0]) != 4:
            raise ValueError("inverted_residual_setting should be non-empty or a 4-element "
                             f"list, got {inverted_residual_setting}")
        input_channel = _make_divisible(32 * width_mult, round_nearest)
        self.last_channel = _make_divisible(1280 * max(1.0, width_mult), round_nearest)
        features: list = [Conv2dNormActivation(3, input_channel, stride=2, norm_layer=norm_layer,
                                               activation_layer=nn.ReLU6)]
        for t, c, n, s in inverted_residual_setting:
            output_channel = _make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                features.append(block(input_channel, output_channel, s if i == 0 else 1,
                                      expand_ratio=t, norm_layer=norm_layer))
                input_channel = output_channel
        features.append(Conv2dNormActivation(input_channel, self.last_channel, kernel_size=1,
                                             norm_layer=norm_layer, activation_layer=nn.ReLU6))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout),
                                        nn.Linear(self.last_channel, num_classes))
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
        x = nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(x.flatten(1))


@register_model()
@builder(MobileNet_V2_Weights, legacy=MobileNet_V2_Weights.IMAGENET1K_V1)
def mobilenet_v2(**kwargs) -> MobileNetV2:
    """MobileNetV2 (3.5M parameters)."""
    return MobileNetV2(**kwargs)
