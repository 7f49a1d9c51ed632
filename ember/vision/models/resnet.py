"""ResNet 18/34/50 with BasicBlock and Bottleneck, and a standalone ResidualBlock."""
from __future__ import annotations

from ... import nn
from ._weights import WeightsEnum, builder, imagenet_weights

_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#resnet"


class ResNet18_Weights(WeightsEnum):
    IMAGENET1K_V1 = imagenet_weights("https://download.pytorch.org/models/resnet18-f37072fd.pth",
                                     11689512, 69.758, 89.078, 1.814, 44.661, _RECIPE)
    DEFAULT = IMAGENET1K_V1


class ResNet34_Weights(WeightsEnum):
    IMAGENET1K_V1 = imagenet_weights("https://download.pytorch.org/models/resnet34-b627a593.pth",
                                     21797672, 73.314, 91.42, 3.664, 83.275, _RECIPE)
    DEFAULT = IMAGENET1K_V1


class ResNet50_Weights(WeightsEnum):
    IMAGENET1K_V1 = imagenet_weights("https://download.pytorch.org/models/resnet50-0676ba61.pth",
                                     25557032, 76.13, 92.862, 4.089, 97.781, _RECIPE)
    IMAGENET1K_V2 = imagenet_weights(
        "https://download.pytorch.org/models/resnet50-11ad3fa6.pth", 25557032, 80.858, 95.434,
        4.089, 97.79, "https://github.com/pytorch/vision/issues/3995#issuecomment-1013906621",
        resize_size=232)
    DEFAULT = IMAGENET1K_V2


def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation,
                     groups=groups, bias=False, dilation=dilation)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and a skip connection: relu(F(x) + x)."""

    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3, 1x1 expand (x4), with batch norm and a skip connection."""

    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
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
    """ResNet (He et al., "Deep residual learning for image recognition", 2016).

    Keys equal torchvision's (``conv1``, ``bn1``, ``layer1.0.conv1``, ..., ``fc``).
    ``small_input=True`` (for 28x28 / 32x32 images) uses a 3x3 stride-1 first
    convolution and no max pooling; ``in_channels=1`` for grayscale.
    Shape: Input (N, 3, 224, 224) (or (N, C, 32, 32) with small_input).
    """

    def __init__(self, block, layers, num_classes: int = 1000, in_channels: int = 3,
                 small_input: bool = False, zero_init_residual: bool = False):
        super().__init__()
        self.inplanes = 64
        if small_input:
            self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=3, stride=1, padding=1,
                                   bias=False)
        else:
            self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3,
                                   bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.Identity() if small_input else nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck):
                    nn.init.zeros_(m.bn3.weight)
                elif isinstance(m, BasicBlock):
                    nn.init.zeros_(m.bn2.weight)

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       nn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


@builder(ResNet18_Weights, legacy=ResNet18_Weights.IMAGENET1K_V1)
def resnet18(**kw) -> ResNet:
    return ResNet(BasicBlock, [2, 2, 2, 2], **kw)


@builder(ResNet34_Weights, legacy=ResNet34_Weights.IMAGENET1K_V1)
def resnet34(**kw) -> ResNet:
    return ResNet(BasicBlock, [3, 4, 6, 3], **kw)


@builder(ResNet50_Weights, legacy=ResNet50_Weights.IMAGENET1K_V1)
def resnet50(**kw) -> ResNet:
    return ResNet(Bottleneck, [3, 4, 6, 3], **kw)
