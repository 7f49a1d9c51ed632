"""VGG 11/13/16/19, with and without batch norm."""
from __future__ import annotations

from ... import nn
from ._weights import builder

_CFGS = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512,
          "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512,
          512, 512, "M"],
}


def make_layers(cfg, batch_norm: bool = False, in_channels: int = 3) -> nn.Sequential:
    layers = []
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(v))
            layers.append(nn.ReLU(inplace=True))
            in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """VGG (Simonyan & Zisserman, "Very deep convolutional networks for large-scale image
    recognition", 2015): stacks of 3x3 convolutions and 2x2 max pooling, then three fully
    connected layers. Keys equal torchvision's. Shape: Input (N, 3, 224, 224).
    """

    def __init__(self, features: nn.Module, num_classes: int = 1000, init_weights: bool = True,
                 dropout: float = 0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes))
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.zeros_(m.bias)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


def _vgg(cfg, bn, **kw):
    in_channels = kw.pop("in_channels", 3)
    return VGG(make_layers(_CFGS[cfg], bn, in_channels), **kw)


@builder
def vgg11(**kw):
    return _vgg("A", False, **kw)


@builder
def vgg11_bn(**kw):
    return _vgg("A", True, **kw)


@builder
def vgg13(**kw):
    return _vgg("B", False, **kw)


@builder
def vgg13_bn(**kw):
    return _vgg("B", True, **kw)


@builder
def vgg16(**kw):
    return _vgg("D", False, **kw)


@builder
def vgg16_bn(**kw):
    return _vgg("D", True, **kw)


@builder
def vgg19(**kw):
    return _vgg("E", False, **kw)


@builder
def vgg19_bn(**kw):
    return _vgg("E", True, **kw)
