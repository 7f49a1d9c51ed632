"""DenseNet-121/161/169/201 (Huang et al., "Densely connected convolutional networks",
2017)."""
from __future__ import annotations

import re
from collections import OrderedDict

from ... import nn, ops
from ...nn import functional as F
from ...tensor import Tensor
from ._api import register_model
from ._weights import WeightsEnum, builder, imagenet_weights

__all__ = ["DenseNet", "DenseNet121_Weights", "DenseNet161_Weights", "DenseNet169_Weights",
           "DenseNet201_Weights", "densenet121", "densenet161", "densenet169", "densenet201"]

_URL = "https://download.pytorch.org/models/"
_RECIPE = "https://github.com/pytorch/vision/pull/116"
_weights = imagenet_weights


class DenseNet121_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "densenet121-a639ec97.pth", 7978856, 74.434, 91.972, 2.834,
        30.845, _RECIPE, min_size=(29, 29))
    DEFAULT = IMAGENET1K_V1


class DenseNet161_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "densenet161-8d451a50.pth", 28681000, 77.138, 93.56, 7.728,
        110.369, _RECIPE, min_size=(29, 29))
    DEFAULT = IMAGENET1K_V1


class DenseNet169_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "densenet169-b2777c0a.pth", 14149480, 75.6, 92.806, 3.36,
        54.708, _RECIPE, min_size=(29, 29))
    DEFAULT = IMAGENET1K_V1


class DenseNet201_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "densenet201-c1103571.pth", 20013928, 76.896, 93.37, 4.291,
        77.373, _RECIPE, min_size=(29, 29))
    DEFAULT = IMAGENET1K_V1


class _DenseLayer(nn.Module):
    """Batch norm, ReLU, 1x1 convolution to ``bn_size * growth_rate`` channels, batch norm,
    ReLU, 3x3 convolution to ``growth_rate`` channels, dropout; the input is the
    concatenation of all the earlier features of the block (a tensor or a list of them)."""

    def __init__(self, num_input_features: int, growth_rate: int, bn_size: int,
                 drop_rate: float, memory_efficient: bool = False) -> None:
        super().__init__()
        if memory_efficient:
            raise NotImplementedError(
                "DenseNet(memory_efficient=True): ember has no activation checkpointing to "
                "recompute the bottlenecks in backward; memory_efficient=False computes the "
                "same outputs and gradients, keeping the activations")
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1,
                               stride=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, stride=1,
                               padding=1, bias=False)
        self.drop_rate = float(drop_rate)
        self.memory_efficient = memory_efficient

    def bn_function(self, inputs) -> Tensor:
        return self.conv1(self.relu1(self.norm1(ops.cat(list(inputs), 1))))

    def forward(self, input) -> Tensor:
        prev_features = [input] if isinstance(input, Tensor) else input
        new_features = self.conv2(self.relu2(self.norm2(self.bn_function(prev_features))))
        if self.drop_rate > 0:
            new_features = F.dropout(new_features, p=self.drop_rate, training=self.training)
        return new_features


class _DenseBlock(nn.ModuleDict):
    """``num_layers`` dense layers, each fed the concatenation of the block's input and
    every earlier layer's output; returns the concatenation of all of them."""

    _version = 2

    def __init__(self, num_layers: int, num_input_features: int, bn_size: int,
                 growth_rate: int, drop_rate: float, memory_efficient: bool = False) -> None:
        super().__init__()
        for i in range(num_layers):
            self.add_module(f"denselayer{i + 1}", _DenseLayer(
                num_input_features + i * growth_rate, growth_rate=growth_rate, bn_size=bn_size,
                drop_rate=drop_rate, memory_efficient=memory_efficient))

    def forward(self, init_features: Tensor) -> Tensor:
        features = [init_features]
        for _, layer in self.items():
            features.append(layer(features))
        return ops.cat(features, 1)


class _Transition(nn.Sequential):
    """Batch norm, ReLU, 1x1 convolution, 2x2 average pooling between dense blocks."""

    def __init__(self, num_input_features: int, num_output_features: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(num_input_features, num_output_features, kernel_size=1, stride=1,
                              bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    """DenseNet-BC with torchvision's parameters and keys (``features.conv0``,
    ``features.denseblock1.denselayer1.norm1``, ..., ``classifier``).

    Args:
        growth_rate: channels each layer adds (k).
        block_config: layers in each of the four dense blocks.
        num_init_features: channels of the first convolution.
        bn_size: bottleneck width factor (``bn_size * k`` channels).
        drop_rate: dropout after each dense layer.
        num_classes: classifier outputs.
        memory_efficient: checkpointing in torchvision; ember has none, so True raises
            ``NotImplementedError``.

    Shape:
        - Input: (N, 3, H, W), H and W >= 29; Output: (N, num_classes).
    """

    def __init__(self, growth_rate: int = 32, block_config: tuple = (6, 12, 24, 16),
                 num_init_features: int = 64, bn_size: int = 4, drop_rate: float = 0,
                 num_classes: int = 1000, memory_efficient: bool = False) -> None:
        super().__init__()
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3,
                                bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1))]))
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            self.features.add_module(f"denseblock{i + 1}", _DenseBlock(
                num_layers=num_layers, num_input_features=num_features, bn_size=bn_size,
                growth_rate=growth_rate, drop_rate=drop_rate,
                memory_efficient=memory_efficient))
            num_features = num_features + num_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}",
                                         _Transition(num_features, num_features // 2))
                num_features = num_features // 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.features(x), inplace=True)
        out = F.adaptive_avg_pool2d(out, (1, 1))
        return self.classifier(out.flatten(1))


# the published files name the dense layers' parts "norm.1", "conv.2"...: today's names
# are "norm1", "conv2"
_OLD_KEY = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))\."
                      r"((?:[12])\.(?:weight|bias|running_mean|running_var))$")


def _renamed_keys(state: dict, kwargs) -> dict:
    out = {}
    for key, value in state.items():
        m = _OLD_KEY.match(key)
        out[m.group(1) + m.group(2) if m else key] = value
    return out


def _densenet(growth_rate, block_config, num_init_features, kwargs) -> DenseNet:
    return DenseNet(growth_rate, block_config, num_init_features, **kwargs)


@register_model()
@builder(DenseNet121_Weights, legacy=DenseNet121_Weights.IMAGENET1K_V1, adapt=_renamed_keys)
def densenet121(**kwargs) -> DenseNet:
    """DenseNet-121 (8.0M parameters)."""
    return _densenet(32, (6, 12, 24, 16), 64, kwargs)


@register_model()
@builder(DenseNet161_Weights, legacy=DenseNet161_Weights.IMAGENET1K_V1, adapt=_renamed_keys)
def densenet161(**kwargs) -> DenseNet:
    """DenseNet-161 (28.7M parameters)."""
    return _densenet(48, (6, 12, 36, 24), 96, kwargs)


@register_model()
@builder(DenseNet169_Weights, legacy=DenseNet169_Weights.IMAGENET1K_V1, adapt=_renamed_keys)
def densenet169(**kwargs) -> DenseNet:
    """DenseNet-169 (14.1M parameters)."""
    return _densenet(32, (6, 12, 32, 32), 64, kwargs)


@register_model()
@builder(DenseNet201_Weights, legacy=DenseNet201_Weights.IMAGENET1K_V1, adapt=_renamed_keys)
def densenet201(**kwargs) -> DenseNet:
    """DenseNet-201 (20.0M parameters)."""
    return _densenet(32, (6, 12, 48, 32), 64, kwargs)
