"""GoogLeNet built from Inception modules."""
from __future__ import annotations

from ... import nn, ops
from ._api import register_model
from ._weights import WeightsEnum, builder, imagenet_weights


class GoogLeNet_Weights(WeightsEnum):
    IMAGENET1K_V1 = imagenet_weights(
        "https://download.pytorch.org/models/googlenet-1378be20.pth", 6624904, 69.778, 89.53,
        1.498, 49.731,
        "https://github.com/pytorch/vision/tree/main/references/classification#googlenet",
        min_size=(15, 15))
    DEFAULT = IMAGENET1K_V1


class BasicConv2d(nn.Module):
    """Convolution (no bias) + batch norm (eps 1e-3) + ReLU, as torchvision's GoogLeNet."""

    def __init__(self, in_channels, out_channels, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x):
        return ops.relu(self.bn(self.conv(x)))


class Inception(nn.Module):
    """The Inception module: 1x1, 3x3 and "5x5" convolution branches and a pooling branch,
    concatenated along the channels (Szegedy et al., 2015). As in torchvision, the "5x5"
    branch uses a 3x3 kernel (so that its weights load)."""

    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
        super().__init__()
        self.branch1 = BasicConv2d(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(BasicConv2d(in_channels, ch3x3red, kernel_size=1),
                                     BasicConv2d(ch3x3red, ch3x3, kernel_size=3, padding=1))
        self.branch3 = nn.Sequential(BasicConv2d(in_channels, ch5x5red, kernel_size=1),
                                     BasicConv2d(ch5x5red, ch5x5, kernel_size=3, padding=1))
        self.branch4 = nn.Sequential(nn.MaxPool2d(kernel_size=3, stride=1, padding=1,
                                                  ceil_mode=True),
                                     BasicConv2d(in_channels, pool_proj, kernel_size=1))

    def forward(self, x):
        return ops.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class GoogLeNet(nn.Module):
    """GoogLeNet (Szegedy et al., "Going deeper with convolutions", 2015), without the
    auxiliary classifiers (torchvision's ``aux_logits=False`` layout and keys).
    ``transform_input`` re-normalises ImageNet-normalised inputs to the (x - 0.5) / 0.5 scale
    the original weights were trained on (as torchvision's pretrained model does).
    Shape: Input (N, 3, 224, 224).
    """

    def __init__(self, num_classes: int = 1000, aux_logits: bool = False,
                 transform_input: bool = False, dropout: float = 0.2):
        super().__init__()
        if aux_logits:
            raise NotImplementedError("GoogLeNet: aux_logits=True (the auxiliary classifiers) "
                                      "is not supported by ember")
        self.transform_input = transform_input
        self.conv1 = BasicConv2d(3, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = BasicConv2d(64, 64, kernel_size=1)
        self.conv3 = BasicConv2d(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception3a = Inception(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = Inception(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception4a = Inception(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = Inception(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = Inception(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = Inception(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = Inception(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        self.inception5a = Inception(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = Inception(832, 384, 192, 384, 48, 128, 128)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(1024, num_classes)

    def _transform_input(self, x):
        """Each channel from ImageNet's (mean, std) normalisation to (0.5, 0.5)'s."""
        mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
        return ops.cat([x[:, c:c + 1] * (std[c] / 0.5) + (mean[c] - 0.5) / 0.5
                        for c in range(3)], 1)

    def forward(self, x):
        if self.transform_input:
            x = self._transform_input(x)
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        for name in ("inception4a", "inception4b", "inception4c", "inception4d", "inception4e"):
            x = getattr(self, name)(x)
        x = self.maxpool4(x)
        x = self.inception5b(self.inception5a(x))
        return self.fc(self.dropout(self.avgpool(x).flatten(1)))


def _pretrained_input(kwargs, weights):
    kwargs.setdefault("transform_input", True)


def _without_aux(state, kwargs):
    """The file also holds the auxiliary classifiers (``aux1``, ``aux2``), which ember's
    GoogLeNet leaves out (as torchvision's does once built with ``aux_logits=False``)."""
    return {k: v for k, v in state.items() if not k.startswith(("aux1.", "aux2."))}


@register_model()
@builder(GoogLeNet_Weights, legacy=GoogLeNet_Weights.IMAGENET1K_V1, prepare=_pretrained_input,
         adapt=_without_aux)
def googlenet(**kw) -> GoogLeNet:
    return GoogLeNet(**kw)
