"""ShuffleNetV2 (Ma et al., "ShuffleNet V2: practical guidelines for efficient CNN
architecture design", 2018)."""
from __future__ import annotations

from ... import nn, ops
from ...tensor import Tensor
from ._api import register_model
from ._weights import WeightsEnum, builder, imagenet_weights

__all__ = ["ShuffleNetV2", "ShuffleNet_V2_X0_5_Weights", "ShuffleNet_V2_X1_0_Weights",
           "ShuffleNet_V2_X1_5_Weights", "ShuffleNet_V2_X2_0_Weights", "shufflenet_v2_x0_5",
           "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0"]

_URL = "https://download.pytorch.org/models/"
_RECIPE = "https://github.com/ericsun99/Shufflenet-v2-Pytorch"
_RECIPE_V2 = "https://github.com/pytorch/vision/pull/5906"
_weights = imagenet_weights


class ShuffleNet_V2_X0_5_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "shufflenetv2_x0.5-f707e7126e.pth", 1366792, 60.552, 81.746,
        0.04, 5.282, _RECIPE)
    DEFAULT = IMAGENET1K_V1


class ShuffleNet_V2_X1_0_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "shufflenetv2_x1-5666bf0f80.pth", 2278604, 69.362, 88.316,
        0.145, 8.791, _RECIPE)
    DEFAULT = IMAGENET1K_V1


class ShuffleNet_V2_X1_5_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "shufflenetv2_x1_5-3c479a10.pth", 3503624, 72.996, 91.086,
        0.296, 13.557, _RECIPE_V2, resize_size=232)
    DEFAULT = IMAGENET1K_V1


class ShuffleNet_V2_X2_0_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "shufflenetv2_x2_0-8be3c8ee.pth", 7393996, 76.23, 93.006,
        0.583, 28.433, _RECIPE_V2, resize_size=232)
    DEFAULT = IMAGENET1K_V1


def channel_shuffle(x: Tensor, groups: int) -> Tensor:
    """Interleave the channels of ``groups`` equal groups: (N, g * c, H, W) viewed as
    (N, g, c, H, W), the two channel axes swapped, viewed back."""
    n, channels, h, w = x.shape
    x = x.reshape(n, groups, channels // groups, h, w).transpose(1, 2)
    return x.reshape(n, channels, h, w)


class InvertedResidual(nn.Module):
    """ShuffleNetV2's unit: with stride 1, half the channels pass through and the other half
    go through 1x1, depthwise 3x3 and 1x1 convolutions; with stride 2, both halves are
    computed from the whole input (``branch1`` and ``branch2``); then the channels are
    shuffled.

    Shape:
        - Input: (N, inp, H, W); Output: (N, oup, H / stride, W / stride).
    """

    def __init__(self, inp: int, oup: int, stride: int) -> None:
        super().__init__()
        if not (1 <= stride <= 3):
            raise ValueError("illegal stride value")
        self.stride = stride
        branch_features = oup // 2
        if (self.stride == 1) and (inp != branch_features << 1):
            raise ValueError(f"Invalid combination of stride {stride}, inp {inp} and oup {oup} "
                             "values. If stride == 1 then inp should be equal to oup // 2 << 1.")
        if self.stride > 1:
            self.branch1 = nn.Sequential(
                self.depthwise_conv(inp, inp, kernel_size=3, stride=self.stride, padding=1),
                nn.BatchNorm2d(inp),
                nn.Conv2d(inp, branch_features, kernel_size=1, stride=1, padding=0, bias=False),
                nn.BatchNorm2d(branch_features), nn.ReLU(inplace=True))
        else:
            self.branch1 = nn.Sequential()
        self.branch2 = nn.Sequential(
            nn.Conv2d(inp if (self.stride > 1) else branch_features, branch_features,
                      kernel_size=1, stride=1, padding=0, bias=False),
            nn.BatchNorm2d(branch_features), nn.ReLU(inplace=True),
            self.depthwise_conv(branch_features, branch_features, kernel_size=3,
                                stride=self.stride, padding=1),
            nn.BatchNorm2d(branch_features),
            nn.Conv2d(branch_features, branch_features, kernel_size=1, stride=1, padding=0,
                      bias=False),
            nn.BatchNorm2d(branch_features), nn.ReLU(inplace=True))

    @staticmethod
    def depthwise_conv(i: int, o: int, kernel_size: int, stride: int = 1, padding: int = 0,
                       bias: bool = False) -> nn.Conv2d:
        return nn.Conv2d(i, o, kernel_size, stride, padding, bias=bias, groups=i)

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = ops.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = ops.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    """ShuffleNetV2 with torchvision's parameters and keys (``conv1``, ``stage2``-``stage4``,
    ``conv5``, ``fc``).

    Args:
        stages_repeats: units in stages 2, 3 and 4.
        stages_out_channels: output channels of conv1, the three stages and conv5.
        num_classes: classifier outputs.
        inverted_residual: the unit class.

    Shape:
        - Input: (N, 3, H, W); Output: (N, num_classes).
    """

    def __init__(self, stages_repeats, stages_out_channels, num_classes: int = 1000,
                 inverted_residual=InvertedResidual) -> None:
        super().__init__()
        if len(stages_repeats) != 3:
            raise ValueError("expected stages_repeats as list of 3 positive ints")
        if len(stages_out_channels) != 5:
            raise ValueError("expected stages_out_channels as list of 5 positive ints")
        self._stage_out_channels = stages_out_channels
        input_channels, output_channels = 3, stages_out_channels[0]
        self.conv1 = nn.Sequential(
            nn.Conv2d(input_channels, output_channels, 3, 2, 1, bias=False),
            nn.BatchNorm2d(output_channels), nn.ReLU(inplace=True))
        input_channels = output_channels
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        for name, repeats, output_channels in zip(["stage2", "stage3", "stage4"], stages_repeats,
                                                  stages_out_channels[1:]):
            seq = [inverted_residual(input_channels, output_channels, 2)]
            seq += [inverted_residual(output_channels, output_channels, 1)
                    for _ in range(repeats - 1)]
            setattr(self, name, nn.Sequential(*seq))
            input_channels = output_channels
        output_channels = stages_out_channels[-1]
        self.conv5 = nn.Sequential(
            nn.Conv2d(input_channels, output_channels, 1, 1, 0, bias=False),
            nn.BatchNorm2d(output_channels), nn.ReLU(inplace=True))
        self.fc = nn.Linear(output_channels, num_classes)

    def forward(self, x):
        x = self.maxpool(self.conv1(x))
        x = self.conv5(self.stage4(self.stage3(self.stage2(x))))
        return self.fc(x.mean([2, 3]))  # global average pooling


@register_model()
@builder(ShuffleNet_V2_X0_5_Weights, legacy=ShuffleNet_V2_X0_5_Weights.IMAGENET1K_V1)
def shufflenet_v2_x0_5(**kwargs) -> ShuffleNetV2:
    """ShuffleNetV2 with 0.5x output channels (1.4M parameters)."""
    return ShuffleNetV2([4, 8, 4], [24, 48, 96, 192, 1024], **kwargs)


@register_model()
@builder(ShuffleNet_V2_X1_0_Weights, legacy=ShuffleNet_V2_X1_0_Weights.IMAGENET1K_V1)
def shufflenet_v2_x1_0(**kwargs) -> ShuffleNetV2:
    """ShuffleNetV2 with 1.0x output channels (2.3M parameters)."""
    return ShuffleNetV2([4, 8, 4], [24, 116, 232, 464, 1024], **kwargs)


@register_model()
@builder(ShuffleNet_V2_X1_5_Weights, legacy=ShuffleNet_V2_X1_5_Weights.IMAGENET1K_V1)
def shufflenet_v2_x1_5(**kwargs) -> ShuffleNetV2:
    """ShuffleNetV2 with 1.5x output channels (3.5M parameters)."""
    return ShuffleNetV2([4, 8, 4], [24, 176, 352, 704, 1024], **kwargs)


@register_model()
@builder(ShuffleNet_V2_X2_0_Weights, legacy=ShuffleNet_V2_X2_0_Weights.IMAGENET1K_V1)
def shufflenet_v2_x2_0(**kwargs) -> ShuffleNetV2:
    """ShuffleNetV2 with 2.0x output channels (7.4M parameters)."""
    return ShuffleNetV2([4, 8, 4], [24, 244, 488, 976, 2048], **kwargs)
