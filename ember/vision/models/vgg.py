"""VGG 11/13/16/19, with and without batch norm."""
from __future__ import annotations

from ... import nn
from ._api import register_model
from ._weights import WeightsEnum, _overwrite, builder, imagenet_weights

_URL = "https://download.pytorch.org/models/"
_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#alexnet-and-vgg"


def _vgg_weights(file, num_params, acc1, acc5, ops, size):
    return imagenet_weights(_URL + file, num_params, acc1, acc5, ops, size, _RECIPE,
                            min_size=(32, 32))


class VGG11_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vgg_weights("vgg11-8a719046.pth", 132863336, 69.02, 88.628, 7.609, 506.84)
    DEFAULT = IMAGENET1K_V1


class VGG11_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vgg_weights("vgg11_bn-6002323d.pth", 132868840, 70.37, 89.81, 7.609,
                                 506.881)
    DEFAULT = IMAGENET1K_V1


class VGG13_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vgg_weights("vgg13-19584684.pth", 133047848, 69.928, 89.246, 11.308,
                                 507.545)
    DEFAULT = IMAGENET1K_V1


class VGG13_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vgg_weights("vgg13_bn-abd245e5.pth", 133053736, 71.586, 90.374, 11.308,
                                 507.59)
    DEFAULT = IMAGENET1K_V1


class VGG16_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vgg_weights("vgg16-397923af.pth", 138357544, 71.592, 90.382, 15.47,
                                 527.796)
    # the SSD authors' features (expects inputs in [0, 255] less the mean; no classifier
    # categories, so the builder keeps its num_classes)
    IMAGENET1K_FEATURES = imagenet_weights(
        _URL + "vgg16_features-amdegroot-88682ab5.pth", 138357544, float("nan"), float("nan"),
        15.47, 527.802, "https://github.com/amdegroot/ssd.pytorch#training-ssd",
        min_size=(32, 32), categories=None, mean=(0.48235, 0.45882, 0.40784),
        std=(1.0 / 255.0, 1.0 / 255.0, 1.0 / 255.0))
    DEFAULT = IMAGENET1K_V1


class VGG16_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vgg_weights("vgg16_bn-6c64b313.pth", 138365992, 73.36, 91.516, 15.47,
                                 527.866)
    DEFAULT = IMAGENET1K_V1


class VGG19_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vgg_weights("vgg19-dcbb9e9d.pth", 143667240, 72.376, 90.876, 19.632,
                                 548.051)
    DEFAULT = IMAGENET1K_V1


class VGG19_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _vgg_weights("vgg19_bn-c79401a0.pth", 143678248, 74.218, 91.842, 19.632,
                                 548.143)
    DEFAULT = IMAGENET1K_V1


def _no_init(kwargs, weights):
    _overwrite(kwargs, "init_weights", False)  # the file's weights replace them

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


@register_model()
@builder(VGG11_Weights, legacy=VGG11_Weights.IMAGENET1K_V1, prepare=_no_init)
def vgg11(**kw):
    return _vgg("A", False, **kw)


@register_model()
@builder(VGG11_BN_Weights, legacy=VGG11_BN_Weights.IMAGENET1K_V1, prepare=_no_init)
def vgg11_bn(**kw):
    return _vgg("A", True, **kw)


@register_model()
@builder(VGG13_Weights, legacy=VGG13_Weights.IMAGENET1K_V1, prepare=_no_init)
def vgg13(**kw):
    return _vgg("B", False, **kw)


@register_model()
@builder(VGG13_BN_Weights, legacy=VGG13_BN_Weights.IMAGENET1K_V1, prepare=_no_init)
def vgg13_bn(**kw):
    return _vgg("B", True, **kw)


@register_model()
@builder(VGG16_Weights, legacy=VGG16_Weights.IMAGENET1K_V1, prepare=_no_init)
def vgg16(**kw):
    return _vgg("D", False, **kw)


@register_model()
@builder(VGG16_BN_Weights, legacy=VGG16_BN_Weights.IMAGENET1K_V1, prepare=_no_init)
def vgg16_bn(**kw):
    return _vgg("D", True, **kw)


@register_model()
@builder(VGG19_Weights, legacy=VGG19_Weights.IMAGENET1K_V1, prepare=_no_init)
def vgg19(**kw):
    return _vgg("E", False, **kw)


@register_model()
@builder(VGG19_BN_Weights, legacy=VGG19_BN_Weights.IMAGENET1K_V1, prepare=_no_init)
def vgg19_bn(**kw):
    return _vgg("E", True, **kw)
