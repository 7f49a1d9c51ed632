"""GoogLeNet built from Inception modules, with torchvision's auxiliary classifiers."""
from __future__ import annotations

import warnings
from collections import namedtuple
from typing import Callable, Optional

from ... import nn, ops
from ...nn import functional as F
from ._api import register_model
from ._weights import WeightsEnum, _overwrite, builder, imagenet_weights

__all__ = ["GoogLeNet", "GoogLeNetOutputs", "_GoogLeNetOutputs", "GoogLeNet_Weights",
           "googlenet"]

# what a training GoogLeNet with its auxiliary classifiers returns
GoogLeNetOutputs = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])
_GoogLeNetOutputs = GoogLeNetOutputs


class GoogLeNet_Weights(WeightsEnum):
    IMAGENET1K_V1 = imagenet_weights(
        "https://download.pytorch.org/models/googlenet-1378be20.pth", 6624904, 69.778, 89.53,
        1.498, 49.731,
        "https://github.com/pytorch/vision/tree/main/references/classification#googlenet",
        min_size=(15, 15))
    DEFAULT = IMAGENET1K_V1


class BasicConv2d(nn.Module):
    """Convolution (no bias) + batch norm (eps 1e-3) + ReLU, as torchvision's GoogLeNet.

    Shape:
        - Input: (N, in_channels, H, W); Output: (N, out_channels, H', W').
    """

    def __init__(self, in_channels: int, out_channels: int, **kwargs) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x):
        return ops.relu(self.bn(self.conv(x)))


class Inception(nn.Module):
    """The Inception module: 1x1, 3x3 and "5x5" convolution branches and a pooling branch,
    concatenated along the channels (Szegedy et al., 2015). As in torchvision, the "5x5"
    branch uses a 3x3 kernel (so that its weights load). ``conv_block`` replaces
    :class:`BasicConv2d`.

    Shape:
        - Input: (N, in_channels, H, W);
          Output: (N, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W).
    """

    def __init__(self, in_channels: int, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int,
                 ch5x5: int, pool_proj: int, conv_block: Optional[Callable] = None) -> None:
        super().__init__()
        if conv_block is None:
            conv_block = BasicConv2d
        self.branch1 = conv_block(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(conv_block(in_channels, ch3x3red, kernel_size=1),
                                     conv_block(ch3x3red, ch3x3, kernel_size=3, padding=1))
        self.branch3 = nn.Sequential(conv_block(in_channels, ch5x5red, kernel_size=1),
                                     conv_block(ch5x5red, ch5x5, kernel_size=3, padding=1))
        self.branch4 = nn.Sequential(nn.MaxPool2d(kernel_size=3, stride=1, padding=1,
                                                  ceil_mode=True),
                                     conv_block(in_channels, pool_proj, kernel_size=1))

    def forward(self, x):
        return ops.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class InceptionAux(nn.Module):
    """An auxiliary classifier: 4x4 adaptive average pooling, a 1x1 convolution to 128
    channels, two linear layers (2048 -> 1024 -> ``num_classes``) with ReLU and dropout.

    Shape:
        - Input: (N, in_channels, H, W); Output: (N, num_classes).
    """

    def __init__(self, in_channels: int, num_classes: int, conv_block: Optional[Callable] = None,
                 dropout: float = 0.7) -> None:
        super().__init__()
        if conv_block is None:
            conv_block = BasicConv2d
        self.conv = conv_block(in_channels, 128, kernel_size=1)
        self.fc1 = nn.Linear(2048, 1024)
        self.fc2 = nn.Linear(1024, num_classes)
        self.dropout = nn.Dropout(p=dropout)

    def forward(self, x):
        x = self.conv(F.adaptive_avg_pool2d(x, (4, 4))).flatten(1)
        return self.fc2(self.dropout(ops.relu(self.fc1(x))))


class GoogLeNet(nn.Module):
    """GoogLeNet (Szegedy et al., "Going deeper with convolutions", 2015), torchvision's
    layout and keys.

    With ``aux_logits`` (the default) it has the two auxiliary classifiers ``aux1`` (after
    ``inception4a``) and ``aux2`` (after ``inception4d``); in training mode the forward then
    returns ``GoogLeNetOutputs(logits, aux_logits2, aux_logits1)``, otherwise the logits.
    ``transform_input`` re-normalises ImageNet-normalised inputs to the (x - 0.5) / 0.5 scale
    the original weights were trained on (as torchvision's pretrained model does).
    ``init_weights`` (None: True, with torchvision's ``FutureWarning``) draws the convolution
    and linear weights from a normal of std 0.01 truncated to [-2, 2]. ``blocks`` replaces
    ``[BasicConv2d, Inception, InceptionAux]``.

    Shape:
        - Input: (N, 3, H, W), 224x224 for the ImageNet weights.
        - Output: (N, num_classes), or the ``GoogLeNetOutputs`` of three of them.
    """

    def __init__(self, num_classes: int = 1000, aux_logits: bool = True,
                 transform_input: bool = False, init_weights: Optional[bool] = None,
                 blocks: Optional[list] = None, dropout: float = 0.2,
                 dropout_aux: float = 0.7) -> None:
        super().__init__()
        if blocks is None:
            blocks = [BasicConv2d, Inception, InceptionAux]
        if init_weights is None:
            warnings.warn(
                "The default weight initialization of GoogleNet will be changed in future "
                "releases of torchvision. If you wish to keep the old behavior (which leads to "
                "long initialization times due to scipy/scipy#11299), please set "
                "init_weights=True.", FutureWarning, stacklevel=2)
            init_weights = True
        if len(blocks) != 3:
            raise ValueError(f"blocks length should be 3 instead of {len(blocks)}")
        conv_block, inception_block, inception_aux_block = blocks
        self.aux_logits = aux_logits
        self.transform_input = transform_input
        self.conv1 = conv_block(3, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = conv_block(64, 64, kernel_size=1)
        self.conv3 = conv_block(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception3a = inception_block(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = inception_block(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception4a = inception_block(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = inception_block(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = inception_block(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = inception_block(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = inception_block(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        self.inception5a = inception_block(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = inception_block(832, 384, 192, 384, 48, 128, 128)
        if aux_logits:
            self.aux1 = inception_aux_block(512, num_classes, dropout=dropout_aux)
            self.aux2 = inception_aux_block(528, num_classes, dropout=dropout_aux)
        else:
            self.aux1 = None
            self.aux2 = None
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(1024, num_classes)
        if init_weights:
            for m in self.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    nn.init.trunc_normal_(m.weight, mean=0.0, std=0.01, a=-2, b=2)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)

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
        x = self.inception4a(x)
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None
        x = self.maxpool4(self.inception4e(x))
        x = self.inception5b(self.inception5a(x))
        x = self.fc(self.dropout(self.avgpool(x).flatten(1)))
        if self.training and self.aux_logits:
            return GoogLeNetOutputs(x, aux2, aux1)
        return x


def _pretrained_input(kwargs, weights):
    """The file holds the auxiliary classifiers: build them to load it, without drawing
    weights the file replaces."""
    kwargs.setdefault("transform_input", True)
    _overwrite(kwargs, "aux_logits", True)
    _overwrite(kwargs, "init_weights", False)


def _aux_unless_asked(model, given):
    """After loading: drop the auxiliary classifiers (the file's are not trained) unless the
    caller asked for them, which warns as torchvision does."""
    if not given.get("aux_logits", False):
        model.aux_logits = False
        model.aux1 = None
        model.aux2 = None
    else:
        warnings.warn("auxiliary heads in the pretrained googlenet model are NOT pretrained, "
                      "so make sure to train them", stacklevel=3)


@register_model()
@builder(GoogLeNet_Weights, legacy=GoogLeNet_Weights.IMAGENET1K_V1, prepare=_pretrained_input,
         finish=_aux_unless_asked)
def googlenet(**kwargs) -> GoogLeNet:
    """GoogLeNet (Inception v1): 6.6M parameters, 13.0M with the auxiliary classifiers
    (built by default, as torchvision's; with pretrained weights they are dropped unless
    ``aux_logits=True`` is given)."""
    return GoogLeNet(**kwargs)
