"""ResNet (18/34/50/101/152), ResNeXt and Wide ResNet with BasicBlock and Bottleneck, and a
standalone ResidualBlock."""
from __future__ import annotations

from ... import nn
from ._api import register_model
from ._weights import WeightsEnum, _overwrite, builder, imagenet_weights

__all__ = ["ResNet", "BasicBlock", "Bottleneck", "ResidualBlock", "ResNet18_Weights",
           "ResNet34_Weights", "ResNet50_Weights", "ResNet101_Weights", "ResNet152_Weights",
           "ResNeXt50_32X4D_Weights", "ResNeXt101_32X8D_Weights", "ResNeXt101_64X4D_Weights",
           "Wide_ResNet50_2_Weights", "Wide_ResNet101_2_Weights", "resnet18", "resnet34",
           "resnet50", "resnet101", "resnet152", "resnext50_32x4d", "resnext101_32x8d",
           "resnext101_64x4d", "wide_resnet50_2", "wide_resnet101_2"]

_URL = "https://download.pytorch.org/models/"
_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#resnet"
_RESNEXT = "https://github.com/pytorch/vision/tree/main/references/classification#resnext"
_WIDE = "https://github.com/pytorch/vision/pull/912#issue-445437439"
_V2 = "https://github.com/pytorch/vision/issues/3995#new-recipe"
_V2_FIXRES = "https://github.com/pytorch/vision/issues/3995#new-recipe-with-fixres"
_weights = imagenet_weights


class ResNet18_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "resnet18-f37072fd.pth", 11689512, 69.758, 89.078, 1.814,
                             44.661, _RECIPE)
    DEFAULT = IMAGENET1K_V1


class ResNet34_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "resnet34-b627a593.pth", 21797672, 73.314, 91.42, 3.664,
                             83.275, _RECIPE)
    DEFAULT = IMAGENET1K_V1


class ResNet50_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "resnet50-0676ba61.pth", 25557032, 76.13, 92.862, 4.089,
                             97.781, _RECIPE)
    IMAGENET1K_V2 = _weights(
        _URL + "resnet50-11ad3fa6.pth", 25557032, 80.858, 95.434, 4.089, 97.79,
        "https://github.com/pytorch/vision/issues/3995#issuecomment-1013906621",
        resize_size=232)
    DEFAULT = IMAGENET1K_V2


class ResNet101_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "resnet101-63fe2227.pth", 44549160, 77.374, 93.546, 7.801,
        170.511, _RECIPE)
    IMAGENET1K_V2 = _weights(_URL + "resnet101-cd907fc2.pth", 44549160, 81.886, 95.78, 7.801,
        170.53, _V2, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class ResNet152_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "resnet152-394f9c45.pth", 60192808, 78.312, 94.046, 11.514,
        230.434, _RECIPE)
    IMAGENET1K_V2 = _weights(_URL + "resnet152-f82ba261.pth", 60192808, 82.284, 96.002, 11.514,
        230.474, _V2, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class ResNeXt50_32X4D_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "resnext50_32x4d-7cdf4587.pth", 25028904, 77.618, 93.698, 4.23,
        95.789, _RESNEXT)
    IMAGENET1K_V2 = _weights(_URL + "resnext50_32x4d-1a0047aa.pth", 25028904, 81.198, 95.34, 4.23,
        95.833, _V2, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class ResNeXt101_32X8D_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "resnext101_32x8d-8ba56ff5.pth", 88791336, 79.312, 94.526,
        16.414, 339.586, _RESNEXT)
    IMAGENET1K_V2 = _weights(_URL + "resnext101_32x8d-110c445d.pth", 88791336, 82.834, 96.228,
        16.414, 339.673, _V2_FIXRES, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class ResNeXt101_64X4D_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "resnext101_64x4d-173b62eb.pth", 83455272, 83.246, 96.454,
        15.46, 319.318, 'https://github.com/pytorch/vision/pull/5935', resize_size=232)
    DEFAULT = IMAGENET1K_V1


class Wide_ResNet50_2_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "wide_resnet50_2-95faca4d.pth", 68883240, 78.468, 94.086,
        11.398, 131.82, _WIDE)
    IMAGENET1K_V2 = _weights(_URL + "wide_resnet50_2-9ba9bcbe.pth", 68883240, 81.602, 95.758,
        11.398, 263.124, _V2_FIXRES, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class Wide_ResNet101_2_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "wide_resnet101_2-32ee1156.pth", 126886696, 78.848, 94.284,
        22.753, 242.896, _WIDE)
    IMAGENET1K_V2 = _weights(_URL + "wide_resnet101_2-d733dc28.pth", 126886696, 82.51, 96.02,
        22.753, 484.747, _V2, resize_size=232)
    DEFAULT = IMAGENET1K_V2


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1,
            dilation: int = 1) -> nn.Conv2d:
    """3x3 convolution with padding (``dilation`` wide), no bias."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation,
                     groups=groups, bias=False, dilation=dilation)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    """1x1 convolution, no bias."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with normalisation and a skip connection: relu(F(x) + x).

    ``groups``/``base_width`` other than 1/64 and ``dilation`` > 1 are not defined for this
    block (ValueError / NotImplementedError, as torchvision).

    Shape:
        - Input: (N, inplanes, H, W); Output: (N, planes, H / stride, W / stride).
    """

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample=None,
                 groups: int = 1, base_width: int = 64, dilation: int = 1,
                 norm_layer=None) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (grouped for ResNeXt, strided), 1x1 expand (x4), with normalisation
    and a skip connection; the inner width is ``planes * base_width / 64 * groups``.

    Shape:
        - Input: (N, inplanes, H, W); Output: (N, 4 * planes, H / stride, W / stride).
    """

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample=None,
                 groups: int = 1, base_width: int = 64, dilation: int = 1,
                 norm_layer=None) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class ResidualBlock(BasicBlock):
    """A residual block usable on its own: ``ResidualBlock(in_ch, out_ch, stride)`` adds the
    1x1-convolution projection on the skip path when the shape changes."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1):
        down = None
        if stride != 1 or in_channels != out_channels:
            down = nn.Sequential(conv1x1(in_channels, out_channels, stride),
                                 nn.BatchNorm2d(out_channels))
        super().__init__(in_channels, out_channels, stride, down)


class ResNet(nn.Module):
    """ResNet (He et al., "Deep residual learning for image recognition", 2016), with
    torchvision's parameters and keys (``conv1``, ``bn1``, ``layer1.0.conv1``, ..., ``fc``):
    ``groups``/``width_per_group`` make ResNeXt and Wide ResNet,
    ``replace_stride_with_dilation`` (three flags, for layer2-4) dilates instead of
    striding, ``norm_layer`` replaces ``BatchNorm2d``, ``zero_init_residual`` zeroes the
    last normalisation weight of each block.

    ember's additions (keyword-only): ``small_input=True`` (for 28x28 / 32x32 images) uses a
    3x3 stride-1 first convolution and no max pooling; ``in_channels=1`` for grayscale.

    Shape:
        - Input: (N, 3, H, W), 224x224 for the ImageNet weights (any size >= 1 works through
          the adaptive pooling); (N, C, 32, 32) with ``small_input``.
        - Output: (N, num_classes).
    """

    def __init__(self, block, layers, num_classes: int = 1000, zero_init_residual: bool = False,
                 groups: int = 1, width_per_group: int = 64, replace_stride_with_dilation=None,
                 norm_layer=None, *, in_channels: int = 3, small_input: bool = False) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self._norm_layer = norm_layer
        self.inplanes = 64
        self.dilation = 1
        if replace_stride_with_dilation is None:
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError("replace_stride_with_dilation should be None or a 3-element "
                             f"tuple, got {replace_stride_with_dilation}")
        self.groups = groups
        self.base_width = width_per_group
        if small_input:
            self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=3, stride=1, padding=1,
                                   bias=False)
        else:
            self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3,
                                   bias=False)
        self.bn1 = norm_layer(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.Identity() if small_input else nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2,
                                       dilate=replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2,
                                       dilate=replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2,
                                       dilate=replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        # the norm class served the layers' construction; a class is not an attribute
        # ember.save can store with the whole module
        del self._norm_layer
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck) and m.bn3.weight is not None:
                    nn.init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock) and m.bn2.weight is not None:
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block, planes: int, blocks: int, stride: int = 1,
                    dilate: bool = False) -> nn.Sequential:
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       norm_layer(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width,
                        previous_dilation, norm_layer)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes, groups=self.groups, base_width=self.base_width,
                         dilation=self.dilation, norm_layer=norm_layer)
                   for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


@register_model()
@builder(ResNet18_Weights, legacy=ResNet18_Weights.IMAGENET1K_V1)
def resnet18(**kwargs) -> ResNet:
    """ResNet-18 (11.7M parameters)."""
    return ResNet(BasicBlock, [2, 2, 2, 2], **kwargs)


@register_model()
@builder(ResNet34_Weights, legacy=ResNet34_Weights.IMAGENET1K_V1)
def resnet34(**kwargs) -> ResNet:
    """ResNet-34 (21.8M parameters)."""
    return ResNet(BasicBlock, [3, 4, 6, 3], **kwargs)


@register_model()
@builder(ResNet50_Weights, legacy=ResNet50_Weights.IMAGENET1K_V1)
def resnet50(**kwargs) -> ResNet:
    """ResNet-50 (25.6M parameters)."""
    return ResNet(Bottleneck, [3, 4, 6, 3], **kwargs)


@register_model()
@builder(ResNet101_Weights, legacy=ResNet101_Weights.IMAGENET1K_V1)
def resnet101(**kwargs) -> ResNet:
    """ResNet-101 (44.5M parameters)."""
    return ResNet(Bottleneck, [3, 4, 23, 3], **kwargs)


@register_model()
@builder(ResNet152_Weights, legacy=ResNet152_Weights.IMAGENET1K_V1)
def resnet152(**kwargs) -> ResNet:
    """ResNet-152 (60.2M parameters)."""
    return ResNet(Bottleneck, [3, 8, 36, 3], **kwargs)


def _grouped(layers, groups, width, kwargs) -> ResNet:
    _overwrite(kwargs, "groups", groups)
    _overwrite(kwargs, "width_per_group", width)
    return ResNet(Bottleneck, layers, **kwargs)


@register_model()
@builder(ResNeXt50_32X4D_Weights, legacy=ResNeXt50_32X4D_Weights.IMAGENET1K_V1)
def resnext50_32x4d(**kwargs) -> ResNet:
    """ResNeXt-50 32x4d (Xie et al., 2017): 32 groups of width 4 (25.0M parameters)."""
    return _grouped([3, 4, 6, 3], 32, 4, kwargs)


@register_model()
@builder(ResNeXt101_32X8D_Weights, legacy=ResNeXt101_32X8D_Weights.IMAGENET1K_V1)
def resnext101_32x8d(**kwargs) -> ResNet:
    """ResNeXt-101 32x8d (88.8M parameters)."""
    return _grouped([3, 4, 23, 3], 32, 8, kwargs)


@register_model()
@builder(ResNeXt101_64X4D_Weights, legacy=ResNeXt101_64X4D_Weights.IMAGENET1K_V1)
def resnext101_64x4d(**kwargs) -> ResNet:
    """ResNeXt-101 64x4d (83.5M parameters)."""
    return _grouped([3, 4, 23, 3], 64, 4, kwargs)


@register_model()
@builder(Wide_ResNet50_2_Weights, legacy=Wide_ResNet50_2_Weights.IMAGENET1K_V1)
def wide_resnet50_2(**kwargs) -> ResNet:
    """Wide ResNet-50-2 (Zagoruyko & Komodakis, 2016): bottlenecks twice as wide (68.9M
    parameters)."""
    _overwrite(kwargs, "width_per_group", 64 * 2)
    return ResNet(Bottleneck, [3, 4, 6, 3], **kwargs)


@register_model()
@builder(Wide_ResNet101_2_Weights, legacy=Wide_ResNet101_2_Weights.IMAGENET1K_V1)
def wide_resnet101_2(**kwargs) -> ResNet:
    """Wide ResNet-101-2 (126.9M parameters)."""
    _overwrite(kwargs, "width_per_group", 64 * 2)
    return ResNet(Bottleneck, [3, 4, 23, 3], **kwargs)
