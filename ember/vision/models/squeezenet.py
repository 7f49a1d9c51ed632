"""SqueezeNet 1.0 and 1.1 (Iandola et al., "SqueezeNet: AlexNet-level accuracy with 50x
fewer parameters and <0.5MB model size", 2016)."""
from __future__ import annotations

from ... import nn, ops
from ._api import register_model
from ._weights import WeightsEnum, builder, imagenet_weights

__all__ = ["SqueezeNet", "SqueezeNet1_0_Weights", "SqueezeNet1_1_Weights", "squeezenet1_0",
           "squeezenet1_1"]

_URL = "https://download.pytorch.org/models/"
_RECIPE = "https://github.com/pytorch/vision/pull/49#issuecomment-277560717"
_weights = imagenet_weights


class SqueezeNet1_0_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "squeezenet1_0-b66bff10.pth", 1248424, 58.092, 80.42, 0.819,
        4.778, _RECIPE, min_size=(21, 21))
    DEFAULT = IMAGENET1K_V1


class SqueezeNet1_1_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "squeezenet1_1-b8a52dc0.pth", 1235496, 58.178, 80.624, 0.349,
        4.729, _RECIPE, min_size=(17, 17))
    DEFAULT = IMAGENET1K_V1


class Fire(nn.Module):
    """A 1x1 "squeeze" convolution, then 1x1 and 3x3 "expand" convolutions whose outputs
    are concatenated (ReLU after each).

    Shape:
        - Input: (N, inplanes, H, W); Output: (N, expand1x1_planes + expand3x3_planes, H, W).
    """

    def __init__(self, inplanes: int, squeeze_planes: int, expand1x1_planes: int,
                 expand3x3_planes: int) -> None:
        super().__init__()
        self.inplanes = inplanes
        self.squeeze = nn.Conv2d(inplanes, squeeze_planes, kernel_size=1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze_planes, expand1x1_planes, kernel_size=1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze_planes, expand3x3_planes, kernel_size=3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))
        return ops.cat([self.expand1x1_activation(self.expand1x1(x)),
                        self.expand3x3_activation(self.expand3x3(x))], 1)


class SqueezeNet(nn.Module):
    """SqueezeNet with torchvision's parameters and keys (``features``, ``classifier``):
    ``version="1_0"`` (the paper's) or ``"1_1"`` (2.4x less computation, the same accuracy).
    The classifier is a 1x1 convolution to ``num_classes`` channels, ReLU and global
    average pooling.

    Shape:
        - Input: (N, 3, H, W), H and W >= 21 (1_0) or 17 (1_1); Output: (N, num_classes).
    """

    def __init__(self, version: str = "1_0", num_classes: int = 1000,
                 dropout: float = 0.5) -> None:
        super().__init__()
        self.num_classes = num_classes
        pool = lambda: nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)  # noqa: E731
        if version == "1_0":
            self.features = nn.Sequential(
                nn.Conv2d(3, 96, kernel_size=7, stride=2), nn.ReLU(inplace=True), pool(),
                Fire(96, 16, 64, 64), Fire(128, 16, 64, 64), Fire(128, 32, 128, 128), pool(),
                Fire(256, 32, 128, 128), Fire(256, 48, 192, 192), Fire(384, 48, 192, 192),
                Fire(384, 64, 256, 256), pool(), Fire(512, 64, 256, 256))
        elif version == "1_1":
            self.features = nn.Sequential(
                nn.Conv2d(3, 64, kernel_size=3, stride=2), nn.ReLU(inplace=True), pool(),
                Fire(64, 16, 64, 64), Fire(128, 16, 64, 64), pool(), Fire(128, 32, 128, 128),
                Fire(256, 32, 128, 128), pool(), Fire(256, 48, 192, 192),
                Fire(384, 48, 192, 192), Fire(384, 64, 256, 256), Fire(512, 64, 256, 256))
        else:
            raise ValueError(f"Unsupported SqueezeNet version {version}: 1_0 or 1_1 expected")
        final_conv = nn.Conv2d(512, self.num_classes, kernel_size=1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), final_conv, nn.ReLU(inplace=True),
                                        nn.AdaptiveAvgPool2d((1, 1)))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                if m is final_conv:
                    nn.init.normal_(m.weight, mean=0.0, std=0.01)
                else:
                    nn.init.kaiming_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        return self.classifier(self.features(x)).flatten(1)


@register_model()
@builder(SqueezeNet1_0_Weights, legacy=SqueezeNet1_0_Weights.IMAGENET1K_V1)
def squeezenet1_0(**kwargs) -> SqueezeNet:
    """SqueezeNet 1.0 (1.2M parameters)."""
    return SqueezeNet("1_0", **kwargs)


@register_model()
@builder(SqueezeNet1_1_Weights, legacy=SqueezeNet1_1_Weights.IMAGENET1K_V1)
def squeezenet1_1(**kwargs) -> SqueezeNet:
    """SqueezeNet 1.1 (1.2M parameters)."""
    return SqueezeNet("1_1", **kwargs)
