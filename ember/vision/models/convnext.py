"""ConvNeXt tiny/small/base/large (Liu et al., "A ConvNet for the 2020s", 2022)."""
from __future__ import annotations

from functools import partial

from ... import nn, ops
from ...nn import functional as F
from ...tensor import Tensor
from ..ops.misc import Conv2dNormActivation, Permute
from ..ops.stochastic_depth import StochasticDepth
from ._api import register_model
from ._weights import WeightsEnum, builder, imagenet_weights

__all__ = ["ConvNeXt", "ConvNeXt_Tiny_Weights", "ConvNeXt_Small_Weights",
           "ConvNeXt_Base_Weights", "ConvNeXt_Large_Weights", "convnext_tiny", "convnext_small",
           "convnext_base", "convnext_large"]

_URL = "https://download.pytorch.org/models/"
_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#convnext"
_weights = imagenet_weights


class ConvNeXt_Tiny_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "convnext_tiny-983f1562.pth", 28589128, 82.52, 96.146, 4.456,
        109.119, _RECIPE, min_size=(32, 32), resize_size=236)
    DEFAULT = IMAGENET1K_V1


class ConvNeXt_Small_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "convnext_small-0c510722.pth", 50223688, 83.616, 96.65,
        8.684, 191.703, _RECIPE, min_size=(32, 32), resize_size=230)
    DEFAULT = IMAGENET1K_V1


class ConvNeXt_Base_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "convnext_base-6075fbad.pth", 88591464, 84.062, 96.87,
        15.355, 338.064, _RECIPE, min_size=(32, 32), resize_size=232)
    DEFAULT = IMAGENET1K_V1


class ConvNeXt_Large_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "convnext_large-ea097f82.pth", 197767336, 84.414, 96.976,
        34.361, 754.537, _RECIPE, min_size=(32, 32), resize_size=232)
    DEFAULT = IMAGENET1K_V1


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of an (N, C, H, W) tensor (each pixel normalised on its
    own), computed channels-last.

    Shape:
        - Input: (N, C, H, W); Output: the same.
    """

    def forward(self, x: Tensor) -> Tensor:
        x = F.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape, self.weight, self.bias,
                         self.eps)
        return x.permute(0, 3, 1, 2)


class CNBlock(nn.Module):
    """7x7 depthwise convolution, LayerNorm (channels-last), 4x linear expansion, GELU,
    linear projection, per-channel ``layer_scale``; stochastic depth on the branch, added
    to the input.

    Shape:
        - Input: (N, dim, H, W); Output: the same.
    """

    def __init__(self, dim: int, layer_scale: float, stochastic_depth_prob: float,
                 norm_layer=None) -> None:
        super().__init__()
        if norm_layer is None:
            norm_layer = partial(nn.LayerNorm, eps=1e-6)
        self.block = nn.Sequential(
            nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim, bias=True),
            Permute([0, 2, 3, 1]), norm_layer(dim),
            nn.Linear(in_features=dim, out_features=4 * dim, bias=True), nn.GELU(),
            nn.Linear(in_features=4 * dim, out_features=dim, bias=True), Permute([0, 3, 1, 2]))
        self.layer_scale = nn.Parameter(ops.ones(dim, 1, 1) * layer_scale)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")

    def forward(self, input: Tensor) -> Tensor:
        return self.stochastic_depth(self.layer_scale * self.block(input)) + input


class CNBlockConfig:
    """A stage: its channels, the channels after the downsampling that follows it (None for
    the last stage) and its number of blocks."""

    def __init__(self, input_channels: int, out_channels: int | None, num_layers: int) -> None:
        self.input_channels = input_channels
        self.out_channels = out_channels
        self.num_layers = num_layers

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(input_channels={self.input_channels}, "
                f"out_channels={self.out_channels}, num_layers={self.num_layers})")


class ConvNeXt(nn.Module):
    """ConvNeXt with torchvision's parameters and keys (``features``, ``avgpool``,
    ``classifier``).

    Args:
        block_setting: the stages (:class:`CNBlockConfig`).
        stochastic_depth_prob: drop probability, growing linearly over the blocks to it.
        layer_scale: initial value of the blocks' per-channel scales.
        num_classes: classifier outputs.
        block: the block class (``CNBlock``).
        norm_layer: the stem's, downsamplings' and classifier's normalisation
            (``LayerNorm2d`` with eps 1e-6).

    torchvision's constructor also takes ``**kwargs`` and drops them; ember's refuses
    unknown keywords.

    Shape:
        - Input: (N, 3, H, W), H and W >= 32; Output: (N, num_classes).
    """

    def __init__(self, block_setting, stochastic_depth_prob: float = 0.0,
                 layer_scale: float = 1e-6, num_classes: int = 1000, block=None,
                 norm_layer=None) -> None:
        super().__init__()
        if not block_setting:
            raise ValueError("The block_setting should not be empty")
        if not (isinstance(block_setting, (list, tuple))
                and all(isinstance(s, CNBlockConfig) for s in block_setting)):
            raise TypeError("The block_setting should be List[CNBlockConfig]")
        if block is None:
            block = CNBlock
        if norm_layer is None:
            norm_layer = partial(LayerNorm2d, eps=1e-6)
        layers: list = [Conv2dNormActivation(3, block_setting[0].input_channels, kernel_size=4,
                                             stride=4, padding=0, norm_layer=norm_layer,
                                             activation_layer=None, bias=True)]
        total = sum(cnf.num_layers for cnf in block_setting)
        block_id = 0
        for cnf in block_setting:
            stage = []
            for _ in range(cnf.num_layers):
                sd_prob = stochastic_depth_prob * block_id / (total - 1.0)
                stage.append(block(cnf.input_channels, layer_scale, sd_prob))
                block_id += 1
            layers.append(nn.Sequential(*stage))
            if cnf.out_channels is not None:
                layers.append(nn.Sequential(
                    norm_layer(cnf.input_channels),
                    nn.Conv2d(cnf.input_channels, cnf.out_channels, kernel_size=2, stride=2)))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        last = block_setting[-1]
        last_channels = last.out_channels if last.out_channels is not None else \
            last.input_channels
        self.classifier = nn.Sequential(norm_layer(last_channels), nn.Flatten(1),
                                        nn.Linear(last_channels, num_classes))
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.avgpool(self.features(x)))


def _convnext(stages, stochastic_depth_prob, kwargs) -> ConvNeXt:
    setting = [CNBlockConfig(*s) for s in stages]
    return ConvNeXt(setting, stochastic_depth_prob=kwargs.pop("stochastic_depth_prob",
                                                              stochastic_depth_prob), **kwargs)


@register_model()
@builder(ConvNeXt_Tiny_Weights, legacy=ConvNeXt_Tiny_Weights.IMAGENET1K_V1)
def convnext_tiny(**kwargs) -> ConvNeXt:
    """ConvNeXt-T (28.6M parameters)."""
    return _convnext([(96, 192, 3), (192, 384, 3), (384, 768, 9), (768, None, 3)], 0.1, kwargs)


@register_model()
@builder(ConvNeXt_Small_Weights, legacy=ConvNeXt_Small_Weights.IMAGENET1K_V1)
def convnext_small(**kwargs) -> ConvNeXt:
    """ConvNeXt-S (50.2M parameters)."""
    return _convnext([(96, 192, 3), (192, 384, 3), (384, 768, 27), (768, None, 3)], 0.4,
                     kwargs)


@register_model()
@builder(ConvNeXt_Base_Weights, legacy=ConvNeXt_Base_Weights.IMAGENET1K_V1)
def convnext_base(**kwargs) -> ConvNeXt:
    """ConvNeXt-B (88.6M parameters)."""
    return _convnext([(128, 256, 3), (256, 512, 3), (512, 1024, 27), (1024, None, 3)], 0.5,
                     kwargs)


@register_model()
@builder(ConvNeXt_Large_Weights, legacy=ConvNeXt_Large_Weights.IMAGENET1K_V1)
def convnext_large(**kwargs) -> ConvNeXt:
    """ConvNeXt-L (197.8M parameters)."""
    return _convnext([(192, 384, 3), (384, 768, 3), (768, 1536, 27), (1536, None, 3)], 0.5,
                     kwargs)
