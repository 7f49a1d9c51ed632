"""Learned and random augmentation policies, as ``torchvision.transforms.autoaugment``:
AutoAugment (Cubuk et al., 2019), RandAugment (Cubuk et al., 2020), TrivialAugmentWide
(Mueller & Hutter, 2021) and AugMix (Hendrycks et al., 2020).

The operations, magnitude bins and policies are torchvision's; the draws come from ember's
generator (``ember.manual_seed``) or the transform's own ``generator``.
"""
from __future__ import annotations

import math
from enum import Enum

import numpy as np

from ... import backend
from ...nn.module import Module
from ...tensor import Tensor, _wrap
from . import functional as F
from ._params import rng, tensor_fill
from ._resample import _linspace32
from .functional import InterpolationMode

__all__ = ["AutoAugmentPolicy", "AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix"]


def _apply_op(img, op_name: str, magnitude: float, interpolation, fill):
    if op_name == "ShearX":
        # shear about the top-left corner, as the original implementation
        return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0,
                        shear=[math.degrees(math.atan(magnitude)), 0.0],
                        interpolation=interpolation, fill=fill, center=[0, 0])
    if op_name == "ShearY":
        return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0,
                        shear=[0.0, math.degrees(math.atan(magnitude))],
                        interpolation=interpolation, fill=fill, center=[0, 0])
    if op_name == "TranslateX":
        return F.affine(img, angle=0.0, translate=[int(magnitude), 0], scale=1.0,
                        interpolation=interpolation, shear=[0.0, 0.0], fill=fill)
    if op_name == "TranslateY":
        return F.affine(img, angle=0.0, translate=[0, int(magnitude)], scale=1.0,
                        interpolation=interpolation, shear=[0.0, 0.0], fill=fill)
    if op_name == "Rotate":
        return F.rotate(img, magnitude, interpolation=interpolation, fill=fill)
    if op_name == "Brightness":
        return F.adjust_brightness(img, 1.0 + magnitude)
    if op_name == "Color":
        return F.adjust_saturation(img, 1.0 + magnitude)
    if op_name == "Contrast":
        return F.adjust_contrast(img, 1.0 + magnitude)
    if op_name == "Sharpness":
        return F.adjust_sharpness(img, 1.0 + magnitude)
    if op_name == "Posterize":
        return F.posterize(img, int(magnitude))
    if op_name == "Solarize":
        return F.solarize(img, magnitude)
    if op_name == "AutoContrast":
        return F.autocontrast(img)
    if op_name == "Equalize":
        return F.equalize(img)
    if op_name == "Invert":
        return F.invert(img)
    if op_name == "Identity":
        return img
    raise ValueError(f"The provided operator {op_name} is not recognized.")


class AutoAugmentPolicy(Enum):
    """The policies learned on ImageNet, CIFAR-10 and SVHN."""

    IMAGENET = "imagenet"
    CIFAR10 = "cifar10"
    SVHN = "svhn"


def _linspace(start: float, end: float, n: int) -> np.ndarray:
    return _linspace32(start, end, n)


def _posterize_bins(top: int, n: int, spread: int) -> np.ndarray:
    return (top - np.round(np.arange(n, dtype=np.float32) / np.float32((n - 1) / spread))
            ).astype(np.int32)


def _space(num_bins: int, shear: float, translate_x: float, translate_y: float,
           rotate: float, enhance: float, posterize) -> dict:
    """op name -> (magnitude bins or None, signed)."""
    return {"ShearX": (_linspace(0.0, shear, num_bins), True),
            "ShearY": (_linspace(0.0, shear, num_bins), True),
            "TranslateX": (_linspace(0.0, translate_x, num_bins), True),
            "TranslateY": (_linspace(0.0, translate_y, num_bins), True),
            "Rotate": (_linspace(0.0, rotate, num_bins), True),
            "Brightness": (_linspace(0.0, enhance, num_bins), True),
            "Color": (_linspace(0.0, enhance, num_bins), True),
            "Contrast": (_linspace(0.0, enhance, num_bins), True),
            "Sharpness": (_linspace(0.0, enhance, num_bins), True),
            "Posterize": (posterize, False),
            "Solarize": (_linspace(255.0, 0.0, num_bins), False),
            "AutoContrast": (None, False), "Equalize": (None, False)}


_IMAGENET = [(("Posterize", 0.4, 8), ("Rotate", 0.6, 9)),
             (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
             (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
             (("Posterize", 0.6, 7), ("Posterize", 0.6, 6)),
             (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
             (("Equalize", 0.4, None), ("Rotate", 0.8, 8)),
             (("Solarize", 0.6, 3), ("Equalize", 0.6, None)),
             (("Posterize", 0.8, 5), ("Equalize", 1.0, None)),
             (("Rotate", 0.2, 3), ("Solarize", 0.6, 8)),
             (("Equalize", 0.6, None), ("Posterize", 0.4, 6)),
             (("Rotate", 0.8, 8), ("Color", 0.4, 0)),
             (("Rotate", 0.4, 9), ("Equalize", 0.6, None)),
             (("Equalize", 0.0, None), ("Equalize", 0.8, None)),
             (("Invert", 0.6, None), ("Equalize", 1.0, None)),
             (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
             (("Rotate", 0.8, 8), ("Color", 1.0, 2)),
             (("Color", 0.8, 8), ("Solarize", 0.8, 7)),
             (("Sharpness", 0.4, 7), ("Invert", 0.6, None)),
             (("ShearX", 0.6, 5), ("Equalize", 1.0, None)),
             (("Color", 0.4, 0), ("Equalize", 0.6, None)),
             (("Equalize", 0.4, None), ("Solarize", 0.2, 4)),
             (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
             (("Invert", 0.6, None), ("Equalize", 1.0, None)),
             (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
             (("Equalize", 0.8, None), ("Equalize", 0.6, None))]
_CIFAR10 = [(("Invert", 0.1, None), ("Contrast", 0.2, 6)),
            (("Rotate", 0.7, 2), ("TranslateX", 0.3, 9)),
            (("Sharpness", 0.8, 1), ("Sharpness", 0.9, 3)),
            (("ShearY", 0.5, 8), ("TranslateY", 0.7, 9)),
            (("AutoContrast", 0.5, None), ("Equalize", 0.9, None)),
            (("ShearY", 0.2, 7), ("Posterize", 0.3, 7)),
            (("Color", 0.4, 3), ("Brightness", 0.6, 7)),
            (("Sharpness", 0.3, 9), ("Brightness", 0.7, 9)),
            (("Equalize", 0.6, None), ("Equalize", 0.5, None)),
            (("Contrast", 0.6, 7), ("Sharpness", 0.6, 5)),
            (("Color", 0.7, 7), ("TranslateX", 0.5, 8)),
            (("Equalize", 0.3, None), ("AutoContrast", 0.4, None)),
            (("TranslateY", 0.4, 3), ("Sharpness", 0.2, 6)),
            (("Brightness", 0.9, 6), ("Color", 0.2, 8)),
            (("Solarize", 0.5, 2), ("Invert", 0.0, None)),
            (("Equalize", 0.2, None), ("AutoContrast", 0.6, None)),
            (("Equalize", 0.2, None), ("Equalize", 0.6, None)),
            (("Color", 0.9, 9), ("Equalize", 0.6, None)),
            (("AutoContrast", 0.8, None), ("Solarize", 0.2, 8)),
            (("Brightness", 0.1, 3), ("Color", 0.7, 0)),
            (("Solarize", 0.4, 5), ("AutoContrast", 0.9, None)),
            (("TranslateY", 0.9, 9), ("TranslateY", 0.7, 9)),
            (("AutoContrast", 0.9, None), ("Solarize", 0.8, 3)),
            (("Equalize", 0.8, None), ("Invert", 0.1, None)),
            (("TranslateY", 0.7, 9), ("AutoContrast", 0.9, None))]
_SVHN = [(("ShearX", 0.9, 4), ("Invert", 0.2, None)),
         (("ShearY", 0.9, 8), ("Invert", 0.7, None)),
         (("Equalize", 0.6, None), ("Solarize", 0.6, 6)),
         (("Invert", 0.9, None), ("Equalize", 0.6, None)),
         (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
         (("ShearX", 0.9, 4), ("AutoContrast", 0.8, None)),
         (("ShearY", 0.9, 8), ("Invert", 0.4, None)),
         (("ShearY", 0.9, 5), ("Solarize", 0.2, 6)),
         (("Invert", 0.9, None), ("AutoContrast", 0.8, None)),
         (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
         (("ShearX", 0.9, 4), ("Solarize", 0.3, 3)),
         (("ShearY", 0.8, 8), ("Invert", 0.7, None)),
         (("Equalize", 0.9, None), ("TranslateY", 0.6, 6)),
         (("Invert", 0.9, None), ("Equalize", 0.6, None)),
         (("Contrast", 0.3, 3), ("Rotate", 0.8, 4)),
         (("Invert", 0.8, None), ("TranslateY", 0.0, 2)),
         (("ShearY", 0.7, 6), ("Solarize", 0.4, 8)),
         (("Invert", 0.6, None), ("Rotate", 0.8, 4)),
         (("ShearY", 0.3, 7), ("TranslateX", 0.9, 3)),
         (("ShearX", 0.1, 6), ("Invert", 0.6, None)),
         (("Solarize", 0.7, 2), ("TranslateY", 0.6, 7)),
         (("ShearY", 0.8, 4), ("Invert", 0.8, None)),
         (("ShearX", 0.7, 9), ("TranslateY", 0.8, 3)),
         (("ShearY", 0.8, 5), ("AutoContrast", 0.7, None)),
         (("ShearX", 0.7, 2), ("Invert", 0.1, None))]


def _magnitude(bins, index) -> float:
    return float(bins[index]) if bins is not None else 0.0


class AutoAugment(Module):
    """Apply one of the 25 two-operation sub-policies of ``policy`` (each operation with its
    own probability and magnitude) — Cubuk et al., "AutoAugment", 2019. Images are PIL or
    uint8 tensors (..., 1 or 3, H, W)."""

    def __init__(self, policy: AutoAugmentPolicy = AutoAugmentPolicy.IMAGENET,
                 interpolation: InterpolationMode = InterpolationMode.NEAREST, fill=None, *,
                 generator=None) -> None:
        super().__init__()
        self.policy, self.interpolation, self.fill = policy, interpolation, fill
        self.generator = generator
        self.policies = self._get_policies(policy)

    def _get_policies(self, policy):
        if policy == AutoAugmentPolicy.IMAGENET:
            return list(_IMAGENET)
        if policy == AutoAugmentPolicy.CIFAR10:
            return list(_CIFAR10)
        if policy == AutoAugmentPolicy.SVHN:
            return list(_SVHN)
        raise ValueError(f"The provided policy {policy} is not recognized.")

    def _augmentation_space(self, num_bins: int, image_size) -> dict:
        space = _space(num_bins, 0.3, 150.0 / 331.0 * image_size[1],
                       150.0 / 331.0 * image_size[0], 30.0, 0.9, _posterize_bins(8, num_bins, 4))
        space["Invert"] = (None, False)
        return space

    @staticmethod
    def get_params(transform_num: int, *, generator=None):
        """(sub-policy index, two probabilities (a float32 tensor), two signs (an int64
        tensor))."""
        r = rng(generator)
        policy_id = int(r.integers(transform_num))
        probs = _wrap(r.random(2, dtype=np.float32), False, None, 0)
        signs = _wrap(r.integers(0, 2, 2).astype(np.int64), False, None, 0)
        return policy_id, probs, signs

    def forward(self, img):
        channels, height, width = F.get_dimensions(img)
        fill = tensor_fill(img, self.fill, channels)
        transform_id, probs, signs = self.get_params(len(self.policies),
                                                     generator=self.generator)
        op_meta = self._augmentation_space(10, (height, width))
        for i, (op_name, p, magnitude_id) in enumerate(self.policies[transform_id]):
            if probs._data[i] <= p:
                bins, signed = op_meta[op_name]
                magnitude = _magnitude(bins, magnitude_id) if magnitude_id is not None else 0.0
                if signed and signs._data[i] == 0:
                    magnitude *= -1.0
                img = _apply_op(img, op_name, magnitude, interpolation=self.interpolation,
                                fill=fill)
        return img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(policy={self.policy}, fill={self.fill})"


def _random_op(op_meta: dict, r):
    names = list(op_meta)
    return names[int(r.integers(len(names)))]


class RandAugment(Module):
    """Apply ``num_ops`` operations drawn uniformly, all at the bin ``magnitude`` of
    ``num_magnitude_bins`` — Cubuk et al., "RandAugment", 2020."""

    def __init__(self, num_ops: int = 2, magnitude: int = 9, num_magnitude_bins: int = 31,
                 interpolation: InterpolationMode = InterpolationMode.NEAREST, fill=None, *,
                 generator=None) -> None:
        super().__init__()
        self.num_ops, self.magnitude = num_ops, magnitude
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation, self.fill, self.generator = interpolation, fill, generator

    def _augmentation_space(self, num_bins: int, image_size) -> dict:
        space = {"Identity": (None, False)}
        space.update(_space(num_bins, 0.3, 150.0 / 331.0 * image_size[1],
                            150.0 / 331.0 * image_size[0], 30.0, 0.9,
                            _posterize_bins(8, num_bins, 4)))
        return space

    def forward(self, img):
        channels, height, width = F.get_dimensions(img)
        fill = tensor_fill(img, self.fill, channels)
        op_meta = self._augmentation_space(self.num_magnitude_bins, (height, width))
        r = rng(self.generator)
        for _ in range(self.num_ops):
            op_name = _random_op(op_meta, r)
            bins, signed = op_meta[op_name]
            magnitude = _magnitude(bins, self.magnitude)
            if signed and r.integers(2):
                magnitude *= -1.0
            img = _apply_op(img, op_name, magnitude, interpolation=self.interpolation,
                            fill=fill)
        return img

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(num_ops={self.num_ops}, magnitude={self.magnitude}, "
                f"num_magnitude_bins={self.num_magnitude_bins}, "
                f"interpolation={self.interpolation}, fill={self.fill})")


class TrivialAugmentWide(Module):
    """Apply one operation drawn uniformly at a magnitude drawn uniformly from
    ``num_magnitude_bins`` wide bins — Mueller & Hutter, "TrivialAugment", 2021."""

    def __init__(self, num_magnitude_bins: int = 31,
                 interpolation: InterpolationMode = InterpolationMode.NEAREST, fill=None, *,
                 generator=None) -> None:
        super().__init__()
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation, self.fill, self.generator = interpolation, fill, generator

    def _augmentation_space(self, num_bins: int) -> dict:
        space = {"Identity": (None, False)}
        space.update(_space(num_bins, 0.99, 32.0, 32.0, 135.0, 0.99,
                            _posterize_bins(8, num_bins, 6)))
        return space

    def forward(self, img):
        channels, _, _ = F.get_dimensions(img)
        fill = tensor_fill(img, self.fill, channels)
        op_meta = self._augmentation_space(self.num_magnitude_bins)
        r = rng(self.generator)
        op_name = _random_op(op_meta, r)
        bins, signed = op_meta[op_name]
        magnitude = _magnitude(bins, int(r.integers(len(bins)))) if bins is not None else 0.0
        if signed and r.integers(2):
            magnitude *= -1.0
        return _apply_op(img, op_name, magnitude, interpolation=self.interpolation, fill=fill)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(num_magnitude_bins={self.num_magnitude_bins}, "
                f"interpolation={self.interpolation}, fill={self.fill})")


class AugMix(Module):
    """Mix the image with ``mixture_width`` chains of 1-3 (or ``chain_depth``) random
    operations of ``severity`` (1-10), with Dirichlet(``alpha``) weights and a Beta-like
    skip weight — Hendrycks et al., "AugMix", 2020. ``all_ops`` adds the colour ops."""

    def __init__(self, severity: int = 3, mixture_width: int = 3, chain_depth: int = -1,
                 alpha: float = 1.0, all_ops: bool = True,
                 interpolation: InterpolationMode = InterpolationMode.BILINEAR, fill=None, *,
                 generator=None) -> None:
        super().__init__()
        self._PARAMETER_MAX = 10
        if not 1 <= severity <= self._PARAMETER_MAX:
            raise ValueError(f"The severity must be between [1, {self._PARAMETER_MAX}]. Got "
                             f"{severity} instead.")
        self.severity, self.mixture_width, self.chain_depth = severity, mixture_width, chain_depth
        self.alpha, self.all_ops = alpha, all_ops
        self.interpolation, self.fill, self.generator = interpolation, fill, generator

    def _augmentation_space(self, num_bins: int, image_size) -> dict:
        space = _space(num_bins, 0.3, image_size[1] / 3.0, image_size[0] / 3.0, 30.0, 0.9,
                       _posterize_bins(4, num_bins, 4))
        if not self.all_ops:
            for name in ("Brightness", "Color", "Contrast", "Sharpness"):
                del space[name]
        else:  # torchvision's order: the colour ops come last
            for name in ("Brightness", "Color", "Contrast", "Sharpness"):
                space[name] = space.pop(name)
        return space

    def _sample_dirichlet(self, params: Tensor) -> Tensor:
        r = rng(self.generator)
        a = backend.to_host(params._data).astype(np.float64)
        g = r.standard_gamma(a)
        out = g / g.sum(axis=-1, keepdims=True)
        return _wrap(backend.xp(params._data).asarray(out.astype(params._data.dtype)), False,
                     None, 0)

    def forward(self, orig_img):
        channels, height, width = F.get_dimensions(orig_img)
        if isinstance(orig_img, Tensor):
            img = orig_img
            fill = tensor_fill(orig_img, self.fill, channels)
        else:
            img, fill = F.pil_to_tensor(orig_img), self.fill
        op_meta = self._augmentation_space(self._PARAMETER_MAX, (height, width))
        dims = list(img.shape)
        batch = img.reshape(*([1] * max(4 - img.ndim, 0) + dims))
        n = batch.shape[0]
        bshape = [n] + [1] * (batch.ndim - 1)
        xp = backend.xp(img._data)
        a = np.float32(self.alpha)
        m = self._sample_dirichlet(_wrap(xp.full((n, 2), a), False, None, 0))
        weights = self._sample_dirichlet(_wrap(xp.full((n, self.mixture_width), a), False,
                                               None, 0)) * m[:, 1].reshape(n, -1)
        mix = m[:, 0].reshape(*bshape) * batch
        r = rng(self.generator)
        for i in range(self.mixture_width):
            aug = batch
            depth = self.chain_depth if self.chain_depth > 0 else int(r.integers(1, 4))
            for _ in range(depth):
                op_name = _random_op(op_meta, r)
                bins, signed = op_meta[op_name]
                magnitude = _magnitude(bins, int(r.integers(self.severity))) \
                    if bins is not None else 0.0
                if signed and r.integers(2):
                    magnitude *= -1.0
                aug = _apply_op(aug, op_name, magnitude, interpolation=self.interpolation,
                                fill=fill)
            mix = mix + weights[:, i].reshape(*bshape) * aug
        mix = mix.reshape(*dims).to(img.dtype)
        if not isinstance(orig_img, Tensor):
            return F.to_pil_image(mix)
        return mix

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(severity={self.severity}, "
                f"mixture_width={self.mixture_width}, chain_depth={self.chain_depth}, "
                f"alpha={self.alpha}, all_ops={self.all_ops}, "
                f"interpolation={self.interpolation}, fill={self.fill})")
