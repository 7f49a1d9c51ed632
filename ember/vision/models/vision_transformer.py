"""Vision Transformer B/16, B/32, L/16, L/32, H/14 (Dosovitskiy et al., "An image is worth
16x16 words: transformers for image recognition at scale", 2021)."""
from __future__ import annotations

import math
from collections import OrderedDict
from functools import partial
from typing import Callable, NamedTuple

import numpy as np

from ... import nn, ops
from ...nn import functional as F
from ...tensor import Tensor
from ..ops.misc import MLP, Conv2dNormActivation
from ..transforms.functional import InterpolationMode
from ._api import register_model
from ._weights import WeightsEnum, _overwrite, builder, imagenet_weights

__all__ = ["VisionTransformer", "ViT_B_16_Weights", "ViT_B_32_Weights", "ViT_L_16_Weights",
           "ViT_L_32_Weights", "ViT_H_14_Weights", "vit_b_16", "vit_b_32", "vit_l_16",
           "vit_l_32", "vit_h_14"]

_URL = "https://download.pytorch.org/models/"
_REFS = "https://github.com/pytorch/vision/tree/main/references/classification"
_RECIPE, _RECIPE_B32 = _REFS + "#vit_b_16", _REFS + "#vit_b_32"
_RECIPE_L16, _RECIPE_L32 = _REFS + "#vit_l_16", _REFS + "#vit_l_32"
_SWAG = "https://github.com/facebookresearch/SWAG"
_SWAG_LC = "https://github.com/pytorch/vision/pull/5793"
_SWAG_LICENSE = "https://github.com/facebookresearch/SWAG/blob/main/LICENSE"
_weights = imagenet_weights


class ViT_B_16_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "vit_b_16-c867db91.pth", 86567656, 81.072, 95.318, 17.564,
        330.285, _RECIPE, min_size=(224, 224))
    IMAGENET1K_SWAG_E2E_V1 = _weights(_URL + "vit_b_16_swag-9ac1b537.pth", 86859496, 85.304, 97.65,
        55.484, 331.398, _SWAG, min_size=(384, 384), crop_size=384, resize_size=384,
        interpolation=InterpolationMode.BICUBIC, license=_SWAG_LICENSE)
    IMAGENET1K_SWAG_LINEAR_V1 = _weights(_URL + "vit_b_16_lc_swag-4e70ced5.pth", 86567656, 81.886,
        96.18, 17.564, 330.285, _SWAG_LC, min_size=(224, 224), resize_size=224,
        interpolation=InterpolationMode.BICUBIC, license=_SWAG_LICENSE)
    DEFAULT = IMAGENET1K_V1


class ViT_B_32_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "vit_b_32-d86f8d99.pth", 88224232, 75.912, 92.466, 4.409,
        336.604, _RECIPE_B32,
        min_size=(224, 224))
    DEFAULT = IMAGENET1K_V1


class ViT_L_16_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "vit_l_16-852ce7e3.pth", 304326632, 79.662, 94.638, 61.555,
        1161.023, _RECIPE_L16,
        min_size=(224, 224), resize_size=242)
    IMAGENET1K_SWAG_E2E_V1 = _weights(_URL + "vit_l_16_swag-4f3808c9.pth", 305174504, 88.064,
        98.512, 361.986, 1164.258, _SWAG, min_size=(512, 512), crop_size=512, resize_size=512,
        interpolation=InterpolationMode.BICUBIC, license=_SWAG_LICENSE)
    IMAGENET1K_SWAG_LINEAR_V1 = _weights(_URL + "vit_l_16_lc_swag-4d563306.pth", 304326632, 85.146,
        97.422, 61.555, 1161.023, _SWAG_LC, min_size=(224, 224), resize_size=224,
        interpolation=InterpolationMode.BICUBIC, license=_SWAG_LICENSE)
    DEFAULT = IMAGENET1K_V1


class ViT_L_32_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "vit_l_32-c7638314.pth", 306535400, 76.972, 93.07, 15.378,
        1169.449, _RECIPE_L32,
        min_size=(224, 224))
    DEFAULT = IMAGENET1K_V1


class ViT_H_14_Weights(WeightsEnum):
    IMAGENET1K_SWAG_E2E_V1 = _weights(_URL + "vit_h_14_swag-80465313.pth", 633470440, 88.552,
        98.694, 1016.717, 2416.643, _SWAG, min_size=(518, 518), crop_size=518, resize_size=518,
        interpolation=InterpolationMode.BICUBIC, license=_SWAG_LICENSE)
    IMAGENET1K_SWAG_LINEAR_V1 = _weights(_URL + "vit_h_14_lc_swag-c1eb923e.pth", 632045800, 85.708,
        97.73, 167.295, 2411.209, _SWAG_LC, min_size=(224, 224), resize_size=224,
        interpolation=InterpolationMode.BICUBIC, license=_SWAG_LICENSE)
    DEFAULT = IMAGENET1K_SWAG_E2E_V1


class ConvStemConfig(NamedTuple):
    """One convolution-norm-activation layer of a convolutional stem (instead of the patch
    embedding)."""

    out_channels: int
    kernel_size: int
    stride: int
    norm_layer: Callable = nn.BatchNorm2d
    activation_layer: Callable = nn.ReLU


class MLPBlock(MLP):
    """The transformer's feed-forward block: Linear, GELU, Dropout, Linear, Dropout
    (Xavier-uniform weights, biases ~ N(0, 1e-6)). State dicts of version 1 (keys
    ``linear_1``/``linear_2``) load too.

    Shape:
        - Input: (*, in_dim); Output: (*, in_dim).
    """

    _version = 2

    def __init__(self, in_dim: int, mlp_dim: int, dropout: float):
        super().__init__(in_dim, [mlp_dim, in_dim], activation_layer=nn.GELU, inplace=None,
                         dropout=dropout)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        version = local_metadata.get("version", None)
        if version is None or version < 2:
            for i in range(2):  # linear_1 -> 0, linear_2 -> 3
                for kind in ("weight", "bias"):
                    old_key = f"{prefix}linear_{i + 1}.{kind}"
                    if old_key in state_dict:
                        state_dict[f"{prefix}{3 * i}.{kind}"] = state_dict.pop(old_key)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


def _expect_3d(x: Tensor) -> None:
    if x.ndim != 3:
        raise RuntimeError(f"Expected (batch_size, seq_length, hidden_dim) got {x.shape}")


class EncoderBlock(nn.Module):
    """Pre-norm transformer layer: x + attention(ln_1(x)), then + mlp(ln_2(.)).

    Shape:
        - Input: (N, S, hidden_dim); Output: the same.
    """

    def __init__(self, num_heads: int, hidden_dim: int, mlp_dim: int, dropout: float,
                 attention_dropout: float, norm_layer=partial(nn.LayerNorm, eps=1e-6)):
        super().__init__()
        self.num_heads = num_heads
        self.ln_1 = norm_layer(hidden_dim)
        self.self_attention = nn.MultiheadAttention(hidden_dim, num_heads,
                                                    dropout=attention_dropout, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.ln_2 = norm_layer(hidden_dim)
        self.mlp = MLPBlock(hidden_dim, mlp_dim, dropout)

    def forward(self, input: Tensor) -> Tensor:
        _expect_3d(input)
        x = self.ln_1(input)
        x, _ = self.self_attention(x, x, x, need_weights=False)
        x = self.dropout(x) + input
        return x + self.mlp(self.ln_2(x))


class Encoder(nn.Module):
    """Learned position embedding (N(0, 0.02)), dropout, ``num_layers`` encoder blocks and a
    final LayerNorm.

    Shape:
        - Input: (N, seq_length, hidden_dim); Output: the same.
    """

    def __init__(self, seq_length: int, num_layers: int, num_heads: int, hidden_dim: int,
                 mlp_dim: int, dropout: float, attention_dropout: float,
                 norm_layer=partial(nn.LayerNorm, eps=1e-6)):
        super().__init__()
        self.pos_embedding = nn.Parameter(ops.empty(1, seq_length, hidden_dim).normal_(std=0.02))
        self.dropout = nn.Dropout(dropout)
        self.layers = nn.Sequential(OrderedDict(
            (f"encoder_layer_{i}", EncoderBlock(num_heads, hidden_dim, mlp_dim, dropout,
                                                attention_dropout, norm_layer))
            for i in range(num_layers)))
        self.ln = norm_layer(hidden_dim)

    def forward(self, input: Tensor) -> Tensor:
        _expect_3d(input)
        return self.ln(self.layers(self.dropout(input + self.pos_embedding)))


class VisionTransformer(nn.Module):
    """Vision Transformer with torchvision's parameters and keys (``conv_proj``,
    ``class_token``, ``encoder.pos_embedding``, ``encoder.layers.encoder_layer_0...``,
    ``heads.head``).

    The image is cut into ``patch_size`` patches (a strided convolution, or a convolutional
    stem given ``conv_stem_configs``), a class token is prepended, and the class token's
    final state is classified. The position embedding has one entry per patch of an
    ``image_size`` x ``image_size`` image (plus the class token), so inputs must be that
    size; :func:`interpolate_embeddings` adapts a state dict to another size.

    Shape:
        - Input: (N, 3, image_size, image_size); Output: (N, num_classes).
    """

    def __init__(self, image_size: int, patch_size: int, num_layers: int, num_heads: int,
                 hidden_dim: int, mlp_dim: int, dropout: float = 0.0,
                 attention_dropout: float = 0.0, num_classes: int = 1000,
                 representation_size: int | None = None,
                 norm_layer=partial(nn.LayerNorm, eps=1e-6), conv_stem_configs=None):
        super().__init__()
        if image_size % patch_size != 0:
            raise RuntimeError("Input shape indivisible by patch size!")
        self.image_size = image_size
        self.patch_size = patch_size
        self.hidden_dim = hidden_dim
        self.mlp_dim = mlp_dim
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.num_classes = num_classes
        self.representation_size = representation_size
        self.norm_layer = norm_layer
        if conv_stem_configs is not None:
            seq_proj = nn.Sequential()
            prev_channels = 3
            for i, cfg in enumerate(conv_stem_configs):
                seq_proj.add_module(f"conv_bn_relu_{i}", Conv2dNormActivation(
                    in_channels=prev_channels, out_channels=cfg.out_channels,
                    kernel_size=cfg.kernel_size, stride=cfg.stride, norm_layer=cfg.norm_layer,
                    activation_layer=cfg.activation_layer))
                prev_channels = cfg.out_channels
            seq_proj.add_module("conv_last", nn.Conv2d(in_channels=prev_channels,
                                                       out_channels=hidden_dim, kernel_size=1))
            self.conv_proj = seq_proj
        else:
            self.conv_proj = nn.Conv2d(in_channels=3, out_channels=hidden_dim,
                                       kernel_size=patch_size, stride=patch_size)
        seq_length = (image_size // patch_size) ** 2 + 1  # the patches and the class token
        self.class_token = nn.Parameter(ops.zeros(1, 1, hidden_dim))
        self.encoder = Encoder(seq_length, num_layers, num_heads, hidden_dim, mlp_dim, dropout,
                               attention_dropout, norm_layer)
        self.seq_length = seq_length
        heads: OrderedDict = OrderedDict()
        if representation_size is None:
            heads["head"] = nn.Linear(hidden_dim, num_classes)
        else:
            heads["pre_logits"] = nn.Linear(hidden_dim, representation_size)
            heads["act"] = nn.Tanh()
            heads["head"] = nn.Linear(representation_size, num_classes)
        self.heads = nn.Sequential(heads)

        if isinstance(self.conv_proj, nn.Conv2d):
            fan_in = (self.conv_proj.in_channels * self.conv_proj.kernel_size[0]
                      * self.conv_proj.kernel_size[1])
            nn.init.trunc_normal_(self.conv_proj.weight, std=math.sqrt(1 / fan_in))
            if self.conv_proj.bias is not None:
                nn.init.zeros_(self.conv_proj.bias)
        else:
            last = self.conv_proj.conv_last
            nn.init.normal_(last.weight, mean=0.0, std=math.sqrt(2.0 / last.out_channels))
            if last.bias is not None:
                nn.init.zeros_(last.bias)
        if hasattr(self.heads, "pre_logits") and isinstance(self.heads.pre_logits, nn.Linear):
            fan_in = self.heads.pre_logits.in_features
            nn.init.trunc_normal_(self.heads.pre_logits.weight, std=math.sqrt(1 / fan_in))
            nn.init.zeros_(self.heads.pre_logits.bias)
        if isinstance(self.heads.head, nn.Linear):
            nn.init.zeros_(self.heads.head.weight)
            nn.init.zeros_(self.heads.head.bias)

    def _process_input(self, x: Tensor) -> Tensor:
        """(N, 3, H, W) images as (N, patches, hidden_dim) patch embeddings."""
        n, _, h, w = x.shape
        p = self.patch_size
        if h != self.image_size:
            raise RuntimeError(f"Wrong image height! Expected {self.image_size} but got {h}!")
        if w != self.image_size:
            raise RuntimeError(f"Wrong image width! Expected {self.image_size} but got {w}!")
        x = self.conv_proj(x)
        return x.reshape(n, self.hidden_dim, (h // p) * (w // p)).permute(0, 2, 1)

    def forward(self, x: Tensor) -> Tensor:
        x = self._process_input(x)
        x = ops.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1)
        return self.heads(self.encoder(x)[:, 0])


def _vit_size(kwargs, weights):
    """Pretrained weights fix the image size (their position embedding's)."""
    _overwrite(kwargs, "image_size", weights.meta["min_size"][0])


def _vision_transformer(patch_size, num_layers, num_heads, hidden_dim, mlp_dim,
                        kwargs) -> VisionTransformer:
    return VisionTransformer(image_size=kwargs.pop("image_size", 224), patch_size=patch_size,
                             num_layers=num_layers, num_heads=num_heads, hidden_dim=hidden_dim,
                             mlp_dim=mlp_dim, **kwargs)


@register_model()
@builder(ViT_B_16_Weights, legacy=ViT_B_16_Weights.IMAGENET1K_V1, prepare=_vit_size)
def vit_b_16(**kwargs) -> VisionTransformer:
    """ViT-B/16 (86.6M parameters)."""
    return _vision_transformer(16, 12, 12, 768, 3072, kwargs)


@register_model()
@builder(ViT_B_32_Weights, legacy=ViT_B_32_Weights.IMAGENET1K_V1, prepare=_vit_size)
def vit_b_32(**kwargs) -> VisionTransformer:
    """ViT-B/32 (88.2M parameters)."""
    return _vision_transformer(32, 12, 12, 768, 3072, kwargs)


@register_model()
@builder(ViT_L_16_Weights, legacy=ViT_L_16_Weights.IMAGENET1K_V1, prepare=_vit_size)
def vit_l_16(**kwargs) -> VisionTransformer:
    """ViT-L/16 (304.3M parameters)."""
    return _vision_transformer(16, 24, 16, 1024, 4096, kwargs)


@register_model()
@builder(ViT_L_32_Weights, legacy=ViT_L_32_Weights.IMAGENET1K_V1, prepare=_vit_size)
def vit_l_32(**kwargs) -> VisionTransformer:
    """ViT-L/32 (306.5M parameters)."""
    return _vision_transformer(32, 24, 16, 1024, 4096, kwargs)


@register_model()
@builder(ViT_H_14_Weights, legacy=None, prepare=_vit_size)
def vit_h_14(**kwargs) -> VisionTransformer:
    """ViT-H/14 (632M parameters; only SWAG weights, so no ``pretrained=True``)."""
    return _vision_transformer(14, 32, 16, 1280, 5120, kwargs)


def _cubic_matrix(n_in: int, n_out: int) -> np.ndarray:
    """The (n_out, n_in) matrix of 1-D bicubic interpolation with aligned corners
    (Keys' kernel, a = -0.75, edge samples repeated), as PyTorch's bicubic upsampling."""
    a = -0.75
    src = np.arange(n_out) * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    base = np.floor(src)
    t = src - base
    near = lambda d: ((a + 2) * d - (a + 3)) * d * d + 1  # noqa: E731 - |d| <= 1
    far = lambda d: ((a * d - 5 * a) * d + 8 * a) * d - 4 * a  # noqa: E731 - 1 < |d| < 2
    taps = [far(t + 1), near(t), near(1 - t), far(2 - t)]
    m = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    for k, w in zip(range(-1, 3), taps):
        np.add.at(m, (rows, np.clip(base.astype(np.int64) + k, 0, n_in - 1)), w)
    return m


def interpolate_embeddings(image_size: int, patch_size: int, model_state,
                           interpolation_mode: str = "bicubic", reset_heads: bool = False):
    """A ViT state dict whose position embedding is resized to the patch grid of
    ``image_size`` (the class token's entry kept, the grid's entries interpolated with
    ``interpolation_mode`` and aligned corners), for fine-tuning at another resolution;
    ``reset_heads`` drops the classifier's entries. Returns the (same or a new) dict.

    Shape:
        - ``model_state["encoder.pos_embedding"]``: (1, 1 + s * s, hidden_dim), replaced by
          (1, 1 + (image_size // patch_size) ** 2, hidden_dim).
    """
    pos_embedding = model_state["encoder.pos_embedding"]
    n, seq_length, hidden_dim = pos_embedding.shape
    if n != 1:
        raise ValueError(f"Unexpected position embedding shape: {pos_embedding.shape}")
    new_seq_length = (image_size // patch_size) ** 2 + 1
    if new_seq_length != seq_length:
        seq_length -= 1
        token, grid = pos_embedding[:, :1, :], pos_embedding[:, 1:, :]
        side = int(math.sqrt(seq_length))
        if side * side != seq_length:
            raise ValueError(f"seq_length is not a perfect square! Instead got seq_length_1d * "
                             f"seq_length_1d = {side * side} and seq_length = {seq_length}")
        grid = grid.permute(0, 2, 1).reshape(1, hidden_dim, side, side)
        new_side = image_size // patch_size
        if interpolation_mode == "bicubic":
            m = ops.tensor(_cubic_matrix(side, new_side), dtype=grid.dtype, device=grid.device)
            grid = ops.matmul(ops.matmul(m, grid), m.transpose(0, 1))
        else:
            grid = F.interpolate(grid, size=new_side, mode=interpolation_mode,
                                 align_corners=True)
        grid = grid.reshape(1, hidden_dim, new_side * new_side).permute(0, 2, 1)
        model_state["encoder.pos_embedding"] = ops.cat([token, grid], dim=1)
        if reset_heads:
            model_state = OrderedDict((k, v) for k, v in model_state.items()
                                      if not k.startswith("heads"))
    return model_state
