"""Swin Transformer T/S/B (Liu et al., "Swin Transformer: hierarchical vision transformer
using shifted windows", 2021) and Swin Transformer V2 T/S/B (Liu et al., 2022)."""
from __future__ import annotations

import math
from functools import partial

import numpy as np

from ... import nn, ops
from ..._grad_mode import no_grad
from ...nn import functional as F
from ...tensor import Tensor
from ..ops.misc import MLP, Permute
from ..ops.stochastic_depth import StochasticDepth
from ..transforms.functional import InterpolationMode
from ._api import register_model
from ._weights import WeightsEnum, builder, imagenet_weights

__all__ = ["SwinTransformer", "Swin_T_Weights", "Swin_S_Weights", "Swin_B_Weights",
           "Swin_V2_T_Weights", "Swin_V2_S_Weights", "Swin_V2_B_Weights", "swin_t", "swin_s",
           "swin_b", "swin_v2_t", "swin_v2_s", "swin_v2_b"]

_URL = "https://download.pytorch.org/models/"
_RECIPE = "https://github.com/pytorch/vision/tree/main/references/classification#swintransformer"
_RECIPE_V2 = ("https://github.com/pytorch/vision/tree/main/references/classification"
              "#swintransformer-v2")
_weights = imagenet_weights


class Swin_T_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "swin_t-704ceda3.pth", 28288354, 81.474, 95.776, 4.491, 108.19,
        _RECIPE, min_size=(224, 224), resize_size=232, interpolation=InterpolationMode.BICUBIC)
    DEFAULT = IMAGENET1K_V1


class Swin_S_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "swin_s-5e29d889.pth", 49606258, 83.196, 96.36, 8.741, 189.786,
        _RECIPE, min_size=(224, 224), resize_size=246, interpolation=InterpolationMode.BICUBIC)
    DEFAULT = IMAGENET1K_V1


class Swin_B_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "swin_b-68c6b09e.pth", 87768224, 83.582, 96.64, 15.431, 335.364,
        _RECIPE, min_size=(224, 224), resize_size=238, interpolation=InterpolationMode.BICUBIC)
    DEFAULT = IMAGENET1K_V1


class Swin_V2_T_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "swin_v2_t-b137f0e2.pth", 28351570, 82.072, 96.132, 5.94,
        108.626, _RECIPE_V2, min_size=(256, 256), crop_size=256, resize_size=260,
        interpolation=InterpolationMode.BICUBIC)
    DEFAULT = IMAGENET1K_V1


class Swin_V2_S_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "swin_v2_s-637d8ceb.pth", 49737442, 83.712, 96.816, 11.546,
        190.675, _RECIPE_V2, min_size=(256, 256), crop_size=256, resize_size=260,
        interpolation=InterpolationMode.BICUBIC)
    DEFAULT = IMAGENET1K_V1


class Swin_V2_B_Weights(WeightsEnum):
    IMAGENET1K_V1 = _weights(_URL + "swin_v2_b-781e5279.pth", 87930848, 84.112, 96.864, 20.325,
        336.372, _RECIPE_V2, min_size=(256, 256), crop_size=256, resize_size=272,
        interpolation=InterpolationMode.BICUBIC)
    DEFAULT = IMAGENET1K_V1


def _patch_merging_pad(x: Tensor) -> Tensor:
    """(..., H, W, C) -> (..., ceil(H/2), ceil(W/2), 4C): each 2x2 block's four pixels side
    by side (zero-padding an odd H or W), ordered (0,0), (1,0), (0,1), (1,1)."""
    h, w, _ = x.shape[-3:]
    x = F.pad(x, (0, 0, 0, w % 2, 0, h % 2))
    return ops.cat([x[..., 0::2, 0::2, :], x[..., 1::2, 0::2, :], x[..., 0::2, 1::2, :],
                    x[..., 1::2, 1::2, :]], -1)


def _get_relative_position_bias(relative_position_bias_table: Tensor,
                                relative_position_index: Tensor, window_size) -> Tensor:
    """The (1, heads, N, N) attention bias of a window of N = wh * ww tokens: the table's
    row for each pair's relative offset."""
    n = window_size[0] * window_size[1]
    bias = relative_position_bias_table[relative_position_index].reshape(n, n, -1)
    return bias.permute(2, 0, 1).unsqueeze(0)


def _shift_mask(pad_h: int, pad_w: int, window_size, shift_size, like: Tensor) -> Tensor:
    """(windows, N, N) additive mask of shifted-window attention: -100 between tokens that
    came from different regions of the rolled image (so do not neighbour each other), else
    0. The regions are the bands [0, -window), [-window, -shift), [-shift, end) of each
    axis."""
    def bands(size, win, shift):
        idx = ops.arange(size, device=like.device)
        return (idx >= size - win).long() + (idx >= size - shift).long()

    region = bands(pad_h, window_size[0], shift_size[0]).reshape(-1, 1) * 3 + \
        bands(pad_w, window_size[1], shift_size[1]).reshape(1, -1)
    region = region.reshape(pad_h // window_size[0], window_size[0], pad_w // window_size[1],
                            window_size[1]).permute(0, 2, 1, 3)
    region = region.reshape(-1, window_size[0] * window_size[1])
    differ = region.unsqueeze(1) != region.unsqueeze(2)
    return ops.zeros(differ.shape, dtype=like.dtype, device=like.device).masked_fill(differ,
                                                                                    -100.0)


def shifted_window_attention(input: Tensor, qkv_weight: Tensor, proj_weight: Tensor,
                             relative_position_bias: Tensor, window_size, num_heads: int,
                             shift_size, attention_dropout: float = 0.0, dropout: float = 0.0,
                             qkv_bias: Tensor | None = None, proj_bias: Tensor | None = None,
                             logit_scale: Tensor | None = None, training: bool = True) -> Tensor:
    """Multi-head self-attention within windows of ``window_size`` (the image padded to
    whole windows), the image first rolled by ``-shift_size`` (with the attention between
    tokens of different regions masked, and rolled back after); the windows are cut out
    with reshapes and permutes. ``logit_scale`` selects V2's scaled cosine attention.

    Shape:
        - input: (N, H, W, C); relative_position_bias: (1, heads, wh * ww, wh * ww).
        - Output: (N, H, W, C).
    """
    b, h, w, c = input.shape
    pad_r = (window_size[1] - w % window_size[1]) % window_size[1]
    pad_b = (window_size[0] - h % window_size[0]) % window_size[0]
    x = F.pad(input, (0, 0, 0, pad_r, 0, pad_b))
    _, pad_h, pad_w, _ = x.shape
    shift_size = list(shift_size)
    if window_size[0] >= pad_h:  # one window along the axis: nothing to shift
        shift_size[0] = 0
    if window_size[1] >= pad_w:
        shift_size[1] = 0
    shifted = sum(shift_size) > 0
    if shifted:
        x = ops.roll(x, shifts=(-shift_size[0], -shift_size[1]), dims=(1, 2))
    nh, nw = pad_h // window_size[0], pad_w // window_size[1]
    num_windows = nh * nw
    tokens = window_size[0] * window_size[1]
    x = x.reshape(b, nh, window_size[0], nw, window_size[1], c).permute(0, 1, 3, 2, 4, 5)
    x = x.reshape(b * num_windows, tokens, c)
    if logit_scale is not None and qkv_bias is not None:  # V2: no bias on the keys
        third = qkv_bias.numel() // 3
        qkv_bias = ops.cat([qkv_bias[:third], ops.zeros_like(qkv_bias[third:2 * third]),
                            qkv_bias[2 * third:]])
    qkv = F.linear(x, qkv_weight, qkv_bias)
    qkv = qkv.reshape(x.shape[0], tokens, 3, num_heads, c // num_heads).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]
    if logit_scale is not None:
        attn = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1)
        attn = attn * ops.clamp(logit_scale, max=math.log(100.0)).exp()
    else:
        attn = (q * (c // num_heads) ** -0.5) @ k.transpose(-2, -1)
    attn = attn + relative_position_bias
    if shifted:
        mask = _shift_mask(pad_h, pad_w, window_size, shift_size, attn)
        attn = attn.reshape(b, num_windows, num_heads, tokens, tokens) + \
            mask.unsqueeze(1).unsqueeze(0)
        attn = attn.reshape(-1, num_heads, tokens, tokens)
    attn = F.dropout(F.softmax(attn, dim=-1), p=attention_dropout, training=training)
    x = (attn @ v).transpose(1, 2).reshape(x.shape[0], tokens, c)
    x = F.dropout(F.linear(x, proj_weight, proj_bias), p=dropout, training=training)
    x = x.reshape(b, nh, nw, window_size[0], window_size[1], c).permute(0, 1, 3, 2, 4, 5)
    x = x.reshape(b, pad_h, pad_w, c)
    if shifted:
        x = ops.roll(x, shifts=(shift_size[0], shift_size[1]), dims=(1, 2))
    return x[:, :h, :w, :]


class PatchMerging(nn.Module):
    """Downsampling: each 2x2 block's pixels concatenated (4C), normalised, projected to 2C.

    Shape:
        - Input: (N, H, W, C); Output: (N, ceil(H/2), ceil(W/2), 2C).
    """

    def __init__(self, dim: int, norm_layer=nn.LayerNorm):
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(4 * dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.reduction(self.norm(_patch_merging_pad(x)))


class PatchMergingV2(nn.Module):
    """V2's downsampling: as :class:`PatchMerging`, normalising after the projection.

    Shape:
        - Input: (N, H, W, C); Output: (N, ceil(H/2), ceil(W/2), 2C).
    """

    def __init__(self, dim: int, norm_layer=nn.LayerNorm):
        super().__init__()
        self.dim = dim
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = norm_layer(2 * dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(self.reduction(_patch_merging_pad(x)))


def _relative_position_index(window_size) -> np.ndarray:
    """Row of the bias table for each (query, key) pair of a window, flattened: the
    offsets (dy, dx), shifted to start at 0, as dy * (2 * ww - 1) + dx."""
    wh, ww = window_size
    coords = np.stack(np.meshgrid(np.arange(wh), np.arange(ww), indexing="ij")).reshape(2, -1)
    rel = coords[:, :, None] - coords[:, None, :]
    return ((rel[0] + wh - 1) * (2 * ww - 1) + rel[1] + ww - 1).reshape(-1).astype(np.int64)


class ShiftedWindowAttention(nn.Module):
    """Window attention with a learned relative position bias: a table of
    ``(2 wh - 1)(2 ww - 1)`` rows (trunc-normal, std 0.02) per head, indexed by the buffer
    ``relative_position_index``.

    Shape:
        - Input: (N, H, W, dim); Output: the same.
    """

    def __init__(self, dim: int, window_size, shift_size, num_heads: int, qkv_bias: bool = True,
                 proj_bias: bool = True, attention_dropout: float = 0.0, dropout: float = 0.0):
        super().__init__()
        if len(window_size) != 2 or len(shift_size) != 2:
            raise ValueError("window_size and shift_size must be of length 2")
        self.window_size = window_size
        self.shift_size = shift_size
        self.num_heads = num_heads
        self.attention_dropout = attention_dropout
        self.dropout = dropout
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim, bias=proj_bias)
        self.define_relative_position_bias_table()
        self.define_relative_position_index()

    def define_relative_position_bias_table(self):
        rows = (2 * self.window_size[0] - 1) * (2 * self.window_size[1] - 1)
        self.relative_position_bias_table = nn.Parameter(ops.zeros(rows, self.num_heads))
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def define_relative_position_index(self):
        self.register_buffer("relative_position_index",
                             ops.tensor(_relative_position_index(self.window_size)))

    def get_relative_position_bias(self) -> Tensor:
        return _get_relative_position_bias(self.relative_position_bias_table,
                                           self.relative_position_index, self.window_size)

    def forward(self, x: Tensor) -> Tensor:
        return shifted_window_attention(
            x, self.qkv.weight, self.proj.weight, self.get_relative_position_bias(),
            self.window_size, self.num_heads, shift_size=self.shift_size,
            attention_dropout=self.attention_dropout, dropout=self.dropout,
            qkv_bias=self.qkv.bias, proj_bias=self.proj.bias, training=self.training)


class ShiftedWindowAttentionV2(ShiftedWindowAttention):
    """V2's window attention: scaled cosine attention (a learned per-head ``logit_scale``,
    at most 100) and a continuous position bias, ``16 sigmoid(cpb_mlp(log-spaced
    offsets))``; the keys get no bias.

    Shape:
        - Input: (N, H, W, dim); Output: the same.
    """

    def __init__(self, dim: int, window_size, shift_size, num_heads: int, qkv_bias: bool = True,
                 proj_bias: bool = True, attention_dropout: float = 0.0, dropout: float = 0.0):
        super().__init__(dim, window_size, shift_size, num_heads, qkv_bias=qkv_bias,
                         proj_bias=proj_bias, attention_dropout=attention_dropout,
                         dropout=dropout)
        self.logit_scale = nn.Parameter(ops.log(10 * ops.ones((num_heads, 1, 1))))
        self.cpb_mlp = nn.Sequential(nn.Linear(2, 512, bias=True), nn.ReLU(inplace=True),
                                     nn.Linear(512, num_heads, bias=False))
        if qkv_bias:
            third = self.qkv.bias.numel() // 3
            with no_grad():
                self.qkv.bias[third:2 * third] = 0.0

    def define_relative_position_bias_table(self):
        wh, ww = self.window_size
        dy = np.arange(-(wh - 1), wh, dtype=np.float32)
        dx = np.arange(-(ww - 1), ww, dtype=np.float32)
        table = np.stack(np.meshgrid(dy, dx, indexing="ij")).transpose(1, 2, 0)[None].copy()
        table[..., 0] /= wh - 1
        table[..., 1] /= ww - 1
        table *= 8  # offsets in [-8, 8], then log-spaced
        table = np.sign(table) * np.log2(np.abs(table) + 1.0) / 3.0
        self.register_buffer("relative_coords_table", ops.tensor(table.astype(np.float32)))

    def get_relative_position_bias(self) -> Tensor:
        bias = _get_relative_position_bias(
            self.cpb_mlp(self.relative_coords_table).reshape(-1, self.num_heads),
            self.relative_position_index, self.window_size)
        return 16 * ops.sigmoid(bias)

    def forward(self, x: Tensor) -> Tensor:
        return shifted_window_attention(
            x, self.qkv.weight, self.proj.weight, self.get_relative_position_bias(),
            self.window_size, self.num_heads, shift_size=self.shift_size,
            attention_dropout=self.attention_dropout, dropout=self.dropout,
            qkv_bias=self.qkv.bias, proj_bias=self.proj.bias, logit_scale=self.logit_scale,
            training=self.training)


class SwinTransformerBlock(nn.Module):
    """x + drop(attn(norm1(x))), then + drop(mlp(norm2(.))), channels-last.

    Shape:
        - Input: (N, H, W, dim); Output: the same.
    """

    def __init__(self, dim: int, num_heads: int, window_size, shift_size, mlp_ratio: float = 4.0,
                 dropout: float = 0.0, attention_dropout: float = 0.0,
                 stochastic_depth_prob: float = 0.0, norm_layer=nn.LayerNorm,
                 attn_layer=ShiftedWindowAttention):
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = attn_layer(dim, window_size, shift_size, num_heads,
                               attention_dropout=attention_dropout, dropout=dropout)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.norm2 = norm_layer(dim)
        self.mlp = MLP(dim, [int(dim * mlp_ratio), dim], activation_layer=nn.GELU, inplace=None,
                       dropout=dropout)
        for m in self.mlp.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.normal_(m.bias, std=1e-6)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.stochastic_depth(self.attn(self.norm1(x)))
        return x + self.stochastic_depth(self.mlp(self.norm2(x)))


class SwinTransformerBlockV2(SwinTransformerBlock):
    """V2's block: normalisation after attention and MLP (res-post-norm).

    Shape:
        - Input: (N, H, W, dim); Output: the same.
    """

    def __init__(self, dim: int, num_heads: int, window_size, shift_size, mlp_ratio: float = 4.0,
                 dropout: float = 0.0, attention_dropout: float = 0.0,
                 stochastic_depth_prob: float = 0.0, norm_layer=nn.LayerNorm,
                 attn_layer=ShiftedWindowAttentionV2):
        super().__init__(dim, num_heads, window_size, shift_size, mlp_ratio=mlp_ratio,
                         dropout=dropout, attention_dropout=attention_dropout,
                         stochastic_depth_prob=stochastic_depth_prob, norm_layer=norm_layer,
                         attn_layer=attn_layer)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.stochastic_depth(self.norm1(self.attn(x)))
        return x + self.stochastic_depth(self.norm2(self.mlp(x)))


class SwinTransformer(nn.Module):
    """Swin Transformer with torchvision's parameters and keys (``features``, ``norm``,
    ``head``): a patch embedding, stages of blocks whose windows alternate between unshifted
    and shifted by half a window, patch merging between stages.

    Args:
        patch_size: the patch embedding's kernel and stride.
        embed_dim: channels of the first stage (doubled at each merging).
        depths: blocks per stage.
        num_heads: attention heads per stage.
        window_size: attention window.
        mlp_ratio: MLP hidden width / channels.
        dropout, attention_dropout: dropout rates.
        stochastic_depth_prob: drop probability, growing linearly over the blocks to it.
        num_classes: classifier outputs.
        norm_layer: normalisation (``LayerNorm``, eps 1e-5).
        block: the block class (``SwinTransformerBlock`` / ``SwinTransformerBlockV2``).
        downsample_layer: the merging class (``PatchMerging`` / ``PatchMergingV2``).

    Shape:
        - Input: (N, 3, H, W) (224x224 for Swin's weights, 256 for V2's; other sizes work);
          Output: (N, num_classes).
    """

    def __init__(self, patch_size, embed_dim: int, depths, num_heads, window_size,
                 mlp_ratio: float = 4.0, dropout: float = 0.0, attention_dropout: float = 0.0,
                 stochastic_depth_prob: float = 0.1, num_classes: int = 1000, norm_layer=None,
                 block=None, downsample_layer=PatchMerging):
        super().__init__()
        self.num_classes = num_classes
        if block is None:
            block = SwinTransformerBlock
        if norm_layer is None:
            norm_layer = partial(nn.LayerNorm, eps=1e-5)
        layers: list = [nn.Sequential(
            nn.Conv2d(3, embed_dim, kernel_size=(patch_size[0], patch_size[1]),
                      stride=(patch_size[0], patch_size[1])),
            Permute([0, 2, 3, 1]), norm_layer(embed_dim))]
        total = sum(depths)
        block_id = 0
        for i_stage, depth in enumerate(depths):
            dim = embed_dim * 2 ** i_stage
            stage = []
            for i_layer in range(depth):
                sd_prob = stochastic_depth_prob * float(block_id) / (total - 1)
                stage.append(block(dim, num_heads[i_stage], window_size=window_size,
                                   shift_size=[0 if i_layer % 2 == 0 else w // 2
                                               for w in window_size],
                                   mlp_ratio=mlp_ratio, dropout=dropout,
                                   attention_dropout=attention_dropout,
                                   stochastic_depth_prob=sd_prob, norm_layer=norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))
            if i_stage < len(depths) - 1:
                layers.append(downsample_layer(dim, norm_layer))
        self.features = nn.Sequential(*layers)
        num_features = embed_dim * 2 ** (len(depths) - 1)
        self.norm = norm_layer(num_features)
        self.permute = Permute([0, 3, 1, 2])  # (N, H, W, C) -> (N, C, H, W)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten(1)
        self.head = nn.Linear(num_features, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        x = self.permute(self.norm(self.features(x)))
        return self.head(self.flatten(self.avgpool(x)))


def _swin(embed_dim, depths, num_heads, window, sd_prob, kwargs, **v2) -> SwinTransformer:
    return SwinTransformer(patch_size=[4, 4], embed_dim=embed_dim, depths=depths,
                           num_heads=num_heads, window_size=[window, window],
                           stochastic_depth_prob=sd_prob, **v2, **kwargs)


_V2 = {"block": SwinTransformerBlockV2, "downsample_layer": PatchMergingV2}


@register_model()
@builder(Swin_T_Weights, legacy=Swin_T_Weights.IMAGENET1K_V1)
def swin_t(**kwargs) -> SwinTransformer:
    """Swin-T (28.3M parameters)."""
    return _swin(96, [2, 2, 6, 2], [3, 6, 12, 24], 7, 0.2, kwargs)


@register_model()
@builder(Swin_S_Weights, legacy=Swin_S_Weights.IMAGENET1K_V1)
def swin_s(**kwargs) -> SwinTransformer:
    """Swin-S (49.6M parameters)."""
    return _swin(96, [2, 2, 18, 2], [3, 6, 12, 24], 7, 0.3, kwargs)


@register_model()
@builder(Swin_B_Weights, legacy=Swin_B_Weights.IMAGENET1K_V1)
def swin_b(**kwargs) -> SwinTransformer:
    """Swin-B (87.8M parameters)."""
    return _swin(128, [2, 2, 18, 2], [4, 8, 16, 32], 7, 0.5, kwargs)


@register_model()
@builder(Swin_V2_T_Weights, legacy=Swin_V2_T_Weights.IMAGENET1K_V1)
def swin_v2_t(**kwargs) -> SwinTransformer:
    """Swin-V2-T (28.4M parameters)."""
    return _swin(96, [2, 2, 6, 2], [3, 6, 12, 24], 8, 0.2, kwargs, **_V2)


@register_model()
@builder(Swin_V2_S_Weights, legacy=Swin_V2_S_Weights.IMAGENET1K_V1)
def swin_v2_s(**kwargs) -> SwinTransformer:
    """Swin-V2-S (49.7M parameters)."""
    return _swin(96, [2, 2, 18, 2], [3, 6, 12, 24], 8, 0.3, kwargs, **_V2)


@register_model()
@builder(Swin_V2_B_Weights, legacy=Swin_V2_B_Weights.IMAGENET1K_V1)
def swin_v2_b(**kwargs) -> SwinTransformer:
    """Swin-V2-B (87.9M parameters)."""
    return _swin(128, [2, 2, 18, 2], [4, 8, 16, 32], 8, 0.5, kwargs, **_V2)
