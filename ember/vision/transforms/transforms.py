"""``ember.vision.transforms.transforms``: the transform classes of
``torchvision.transforms`` (v1), on PIL images and ember tensor images.

Those that are ``nn.Module`` subclasses in torchvision are ``ember.nn.Module`` subclasses
here, so ``nn.Sequential`` of transforms works; ``Compose``, ``ToTensor``, ``PILToTensor``,
``ToPILImage``, ``Lambda``, ``RandomOrder`` and ``RandomChoice`` are plain classes, as there.
Random transforms draw their parameters from ember's default generator (``ember.manual_seed``
makes them reproducible) through the same ``get_params`` static methods as torchvision's;
each also takes a keyword-only ``generator`` (an ``ember.Generator``) of its own.
The photometric transforms live in ``_photometric`` and are re-exported here.
"""
from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence

import numpy as np

from ... import backend
from ...nn.module import Module
from ...tensor import Tensor
from . import functional as F
from ._params import (RandomP, check_fill, check_sequence_input, rng, setup_angle, setup_size,
                      tensor_fill)
from ._photometric import (ColorJitter, ElasticTransform, GaussianBlur, Grayscale,
                           LinearTransformation, RandomAdjustSharpness, RandomAutocontrast,
                           RandomEqualize, RandomErasing, RandomGrayscale, RandomInvert,
                           RandomPosterize, RandomSolarize)
from .functional import InterpolationMode, _interpolation_modes_from_int

__all__ = ["Compose", "ToTensor", "PILToTensor", "ConvertImageDtype", "ToPILImage", "Normalize",
           "Resize", "CenterCrop", "Pad", "Lambda", "RandomApply", "RandomChoice", "RandomOrder",
           "RandomCrop", "RandomHorizontalFlip", "RandomVerticalFlip", "RandomResizedCrop",
           "FiveCrop", "TenCrop", "LinearTransformation", "ColorJitter", "RandomRotation",
           "RandomAffine", "Grayscale", "RandomGrayscale", "RandomPerspective", "RandomErasing",
           "GaussianBlur", "InterpolationMode", "RandomInvert", "RandomPosterize",
           "RandomSolarize", "RandomAdjustSharpness", "RandomAutocontrast", "RandomEqualize",
           "ElasticTransform"]

_SIZE_MSG = "Please provide only two dimensions (h, w) for size."


def _host(values) -> np.ndarray:
    return np.asarray(backend.to_host(values._data) if isinstance(values, Tensor) else values,
                      dtype=np.float64)


def _listing(name: str, items, head: str = "") -> str:
    return name + "(" + head + "".join(f"\n    {t}" for t in items) + "\n)"


class Compose:
    """Apply ``transforms`` (a list of callables) in order."""

    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return _listing(type(self).__name__, self.transforms)


class ToTensor:
    """A PIL image or an (H, W[, C]) ndarray (ember: or tensor) -> (C, H, W) tensor, uint8 data
    scaled to float [0, 1]; see :func:`functional.to_tensor`."""

    def __init__(self) -> None:
        pass

    def __call__(self, pic):
        return F.to_tensor(pic)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class PILToTensor:
    """A PIL image -> (C, H, W) tensor of the image's dtype, values unchanged."""

    def __init__(self) -> None:
        pass

    def __call__(self, pic):
        return F.pil_to_tensor(pic)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ConvertImageDtype(Module):
    """Convert a tensor image to ``dtype``, rescaling its values (see
    :func:`functional.convert_image_dtype`)."""

    def __init__(self, dtype) -> None:
        super().__init__()
        self.dtype = dtype

    def forward(self, image):
        return F.convert_image_dtype(image, self.dtype)


class ToPILImage:
    """A (C, H, W) tensor or (H, W, C) ndarray -> PIL image of ``mode`` (inferred if None)."""

    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        return F.to_pil_image(pic, self.mode)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(" + (f"mode={self.mode}" if self.mode is not None
                                            else "") + ")"


class Normalize(Module):
    """``(input[c] - mean[c]) / std[c]`` for a float tensor image (..., C, H, W); out of
    place unless ``inplace``. Differentiable."""

    def __init__(self, mean, std, inplace=False):
        super().__init__()
        self.mean, self.std, self.inplace = mean, std, inplace
        # checked here already (torchvision checks on every call, with the same error)
        if any(float(s) == 0 for s in np.ravel(_host(std))):
            raise ValueError(f"std evaluated to zero after conversion to float, leading to "
                             f"division by zero (std={std})")

    def forward(self, tensor: Tensor) -> Tensor:
        return F.normalize(tensor, self.mean, self.std, self.inplace)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class Resize(Module):
    """Resize to ``size`` ((h, w), or an int for the shorter edge), see
    :func:`functional.resize`."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
                 antialias=True):
        super().__init__()
        if not isinstance(size, (int, Sequence)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        if isinstance(size, Sequence) and len(size) not in (1, 2):
            raise ValueError("If size is a sequence, it should have 1 or 2 values")
        self.size, self.max_size = size, max_size
        if isinstance(interpolation, int):
            interpolation = _interpolation_modes_from_int(interpolation)
        self.interpolation, self.antialias = interpolation, antialias

    def forward(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(size={self.size}, interpolation="
                f"{self.interpolation.value}, max_size={self.max_size}, "
                f"antialias={self.antialias})")


class CenterCrop(Module):
    """The central ``size`` crop (zero-padded where the image is smaller)."""

    def __init__(self, size):
        super().__init__()
        self.size = setup_size(size, error_msg=_SIZE_MSG)

    def forward(self, img):
        return F.center_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size})"


class Pad(Module):
    """Pad every side (see :func:`functional.pad`)."""

    def __init__(self, padding, fill=0, padding_mode="constant"):
        super().__init__()
        if not isinstance(padding, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate padding arg")
        if not isinstance(fill, (numbers.Number, tuple, list)):
            raise TypeError("Got inappropriate fill arg")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError("Padding mode should be either constant, edge, reflect or "
                             "symmetric")
        if isinstance(padding, Sequence) and len(padding) not in (1, 2, 4):
            raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a "
                             f"{len(padding)} element tuple")
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def forward(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(padding={self.padding}, fill={self.fill}, "
                f"padding_mode={self.padding_mode})")


class Lambda:
    """Apply ``lambd`` (any callable) as a transform."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class RandomTransforms:
    """Base class of the transforms that pick among a list of ``transforms``."""

    def __init__(self, transforms, *, generator=None):
        if not isinstance(transforms, Sequence):
            raise TypeError("Argument transforms should be a sequence")
        self.transforms, self.generator = transforms, generator

    def __call__(self, *args, **kwargs):
        raise NotImplementedError("RandomTransforms is a base class: use RandomOrder or "
                                  "RandomChoice")

    def __repr__(self) -> str:
        return _listing(type(self).__name__, self.transforms)


class RandomApply(Module):
    """Apply all of ``transforms``, in order, with probability ``p``."""

    def __init__(self, transforms, p=0.5, *, generator=None):
        super().__init__()
        self.transforms, self.p, self.generator = transforms, p, generator

    def forward(self, img):
        if self.p < rng(self.generator).random():
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return _listing(type(self).__name__, self.transforms, f"\n    p={self.p}")


class RandomOrder(RandomTransforms):
    """Apply all of ``transforms`` in a random order (drawn from ember's generator;
    torchvision draws it from Python's ``random``)."""

    def __call__(self, img):
        for i in rng(self.generator).permutation(len(self.transforms)):
            img = self.transforms[int(i)](img)
        return img


class RandomChoice(RandomTransforms):
    """Apply one of ``transforms`` picked at random, with weights ``p`` (default equal;
    drawn from ember's generator, torchvision uses Python's ``random``)."""

    def __init__(self, transforms, p=None, *, generator=None):
        super().__init__(transforms, generator=generator)
        if p is not None and not isinstance(p, Sequence):
            raise TypeError("Argument p should be a sequence")
        self.p = p

    def __call__(self, *args):
        n = len(self.transforms)
        weights = np.ones(n) if self.p is None else np.asarray(self.p, dtype=np.float64)
        if weights.shape != (n,):
            raise ValueError("The number of weights does not match the population")
        cum = np.cumsum(weights)
        k = int(np.searchsorted(cum, rng(self.generator).random() * cum[-1], side="right"))
        return self.transforms[min(k, n - 1)](*args)

    def __repr__(self) -> str:
        return f"{super().__repr__()}(p={self.p})"


class RandomCrop(Module):
    """A random ``size`` crop, after optional ``padding`` (any padding mode) and, with
    ``pad_if_needed``, padding up to ``size``."""

    @staticmethod
    def get_params(img, output_size, *, generator=None):
        """(i, j, h, w) of a random ``output_size`` crop of ``img``."""
        _, h, w = F.get_dimensions(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than the input image "
                             f"size {(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        r = rng(generator)
        i = int(r.integers(0, h - th + 1))
        j = int(r.integers(0, w - tw + 1))
        return i, j, th, tw

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0,
                 padding_mode="constant", *, generator=None):
        super().__init__()
        self.size = tuple(setup_size(size, error_msg=_SIZE_MSG))
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode, self.generator = fill, padding_mode, generator

    def forward(self, img):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, height, width = F.get_dimensions(img)
        if self.pad_if_needed and width < self.size[1]:
            img = F.pad(img, [self.size[1] - width, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and height < self.size[0]:
            img = F.pad(img, [0, self.size[0] - height], self.fill, self.padding_mode)
        i, j, h, w = self.get_params(img, self.size, generator=self.generator)
        return F.crop(img, i, j, h, w)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip(RandomP):
    """Mirror left-right with probability ``p``."""

    def forward(self, img):
        return F.hflip(img) if self._draw() else img


class RandomVerticalFlip(RandomP):
    """Mirror top-bottom with probability ``p``."""

    def forward(self, img):
        return F.vflip(img) if self._draw() else img


class RandomPerspective(Module):
    """With probability ``p``, a random perspective transform moving each corner by up to
    ``distortion_scale`` of half the image size."""

    def __init__(self, distortion_scale=0.5, p=0.5, interpolation=InterpolationMode.BILINEAR,
                 fill=0, *, generator=None):
        super().__init__()
        self.p, self.distortion_scale, self.generator = p, distortion_scale, generator
        if isinstance(interpolation, int):
            interpolation = _interpolation_modes_from_int(interpolation)
        self.interpolation = interpolation
        self.fill = check_fill(fill)

    def forward(self, img):
        channels, height, width = F.get_dimensions(img)
        fill = tensor_fill(img, self.fill, channels)
        if rng(self.generator).random() < self.p:
            start, end = self.get_params(width, height, self.distortion_scale,
                                         generator=self.generator)
            return F.perspective(img, start, end, self.interpolation, fill)
        return img

    @staticmethod
    def get_params(width: int, height: int, distortion_scale: float, *, generator=None):
        """([four corners], [their random new places]), each [top-left, top-right,
        bottom-right, bottom-left]."""
        r = rng(generator)
        dw, dh = int(distortion_scale * (width // 2)), int(distortion_scale * (height // 2))

        def near(lo, hi):
            return int(r.integers(lo, hi))

        top_left = [near(0, dw + 1), near(0, dh + 1)]
        top_right = [near(width - dw - 1, width), near(0, dh + 1)]
        bot_right = [near(width - dw - 1, width), near(height - dh - 1, height)]
        bot_left = [near(0, dw + 1), near(height - dh - 1, height)]
        start = [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]
        return start, [top_left, top_right, bot_right, bot_left]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomResizedCrop(Module):
    """A crop of random area (``scale`` of the image) and aspect ratio (``ratio``,
    log-uniform), resized to ``size``."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias=True, *, generator=None):
        super().__init__()
        self.size = setup_size(size, error_msg=_SIZE_MSG)
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        if isinstance(interpolation, int):
            interpolation = _interpolation_modes_from_int(interpolation)
        self.interpolation, self.antialias = interpolation, antialias
        self.scale, self.ratio, self.generator = scale, ratio, generator

    @staticmethod
    def get_params(img, scale, ratio, *, generator=None):
        """(i, j, h, w) of a random crop: ten tries at a random area and aspect ratio, else
        the central crop of the largest box within ``ratio``."""
        _, height, width = F.get_dimensions(img)
        area = height * width
        r = rng(generator)
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            target_area = area * r.uniform(scale[0], scale[1])
            aspect = math.exp(r.uniform(log_ratio[0], log_ratio[1]))
            w = int(round(math.sqrt(target_area * aspect)))
            h = int(round(math.sqrt(target_area / aspect)))
            if 0 < w <= width and 0 < h <= height:
                i = int(r.integers(0, height - h + 1))
                j = int(r.integers(0, width - w + 1))
                return i, j, h, w
        in_ratio = float(width) / float(height)
        if in_ratio < min(ratio):
            w = width
            h = int(round(w / min(ratio)))
        elif in_ratio > max(ratio):
            h = height
            w = int(round(h * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def forward(self, img):
        i, j, h, w = self.get_params(img, self.scale, self.ratio, generator=self.generator)
        return F.resized_crop(img, i, j, h, w, self.size, self.interpolation,
                              antialias=self.antialias)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(size={self.size}, "
                f"scale={tuple(round(s, 4) for s in self.scale)}, "
                f"ratio={tuple(round(r, 4) for r in self.ratio)}, "
                f"interpolation={self.interpolation.value}, antialias={self.antialias})")


class FiveCrop(Module):
    """The four corner crops and the central crop of ``size``, as a tuple."""

    def __init__(self, size):
        super().__init__()
        self.size = setup_size(size, error_msg=_SIZE_MSG)

    def forward(self, img):
        return F.five_crop(img, self.size)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size})"


class TenCrop(Module):
    """``FiveCrop`` of the image and of its mirror image (``vertical_flip``: top-bottom)."""

    def __init__(self, size, vertical_flip=False):
        super().__init__()
        self.size = setup_size(size, error_msg=_SIZE_MSG)
        self.vertical_flip = vertical_flip

    def forward(self, img):
        return F.ten_crop(img, self.size, self.vertical_flip)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, vertical_flip={self.vertical_flip})"


class RandomRotation(Module):
    """Rotate by an angle drawn uniformly from ``degrees`` (see :func:`functional.rotate`)."""

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False,
                 center=None, fill=0, *, generator=None):
        super().__init__()
        if isinstance(interpolation, int):
            interpolation = _interpolation_modes_from_int(interpolation)
        self.degrees = setup_angle(degrees, name="degrees", req_sizes=(2,))
        if center is not None:
            check_sequence_input(center, "center", req_sizes=(2,))
        self.center, self.interpolation, self.expand = center, interpolation, expand
        self.fill, self.generator = check_fill(fill), generator

    @staticmethod
    def get_params(degrees, *, generator=None) -> float:
        """An angle drawn uniformly from [degrees[0], degrees[1]]."""
        return float(rng(generator).uniform(float(degrees[0]), float(degrees[1])))

    def forward(self, img):
        channels, _, _ = F.get_dimensions(img)
        fill = tensor_fill(img, self.fill, channels)
        angle = self.get_params(self.degrees, generator=self.generator)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, fill)

    def __repr__(self) -> str:
        s = (f"{type(self).__name__}(degrees={self.degrees}, interpolation="
             f"{self.interpolation.value}, expand={self.expand}")
        if self.center is not None:
            s += f", center={self.center}"
        if self.fill is not None:
            s += f", fill={self.fill}"
        return s + ")"


class RandomAffine(Module):
    """A random affine map: rotation from ``degrees``, translation up to ``translate`` of
    the size, scale from ``scale``, shear from ``shear``; the centre stays fixed."""

    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation=InterpolationMode.NEAREST, fill=0, center=None, *,
                 generator=None):
        super().__init__()
        if isinstance(interpolation, int):
            interpolation = _interpolation_modes_from_int(interpolation)
        self.degrees = setup_angle(degrees, name="degrees", req_sizes=(2,))
        if translate is not None:
            check_sequence_input(translate, "translate", req_sizes=(2,))
            for t in translate:
                if not 0.0 <= t <= 1.0:
                    raise ValueError("translation values should be between 0 and 1")
        self.translate = translate
        if scale is not None:
            check_sequence_input(scale, "scale", req_sizes=(2,))
            for s in scale:
                if s <= 0:
                    raise ValueError("scale values should be positive")
        self.scale = scale
        self.shear = setup_angle(shear, name="shear", req_sizes=(2, 4)) if shear is not None \
            else None
        self.interpolation, self.fill = interpolation, check_fill(fill)
        if center is not None:
            check_sequence_input(center, "center", req_sizes=(2,))
        self.center, self.generator = center, generator

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size, *, generator=None):
        """(angle, (tx, ty), scale, (shear_x, shear_y)) drawn from the ranges; ``img_size``
        is [width, height]."""
        r = rng(generator)
        angle = float(r.uniform(float(degrees[0]), float(degrees[1])))
        if translate is not None:
            max_dx = float(translate[0] * img_size[0])
            max_dy = float(translate[1] * img_size[1])
            translations = (int(round(r.uniform(-max_dx, max_dx))),
                            int(round(r.uniform(-max_dy, max_dy))))
        else:
            translations = (0, 0)
        scale = float(r.uniform(scale_ranges[0], scale_ranges[1])) if scale_ranges is not None \
            else 1.0
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = float(r.uniform(shears[0], shears[1]))
            if len(shears) == 4:
                shear_y = float(r.uniform(shears[2], shears[3]))
        return angle, translations, scale, (shear_x, shear_y)

    def forward(self, img):
        channels, height, width = F.get_dimensions(img)
        fill = tensor_fill(img, self.fill, channels)
        ret = self.get_params(self.degrees, self.translate, self.scale, self.shear,
                              [width, height], generator=self.generator)
        return F.affine(img, *ret, interpolation=self.interpolation, fill=fill,
                        center=self.center)

    def __repr__(self) -> str:
        s = f"{type(self).__name__}(degrees={self.degrees}"
        s += f", translate={self.translate}" if self.translate is not None else ""
        s += f", scale={self.scale}" if self.scale is not None else ""
        s += f", shear={self.shear}" if self.shear is not None else ""
        s += f", interpolation={self.interpolation.value}" \
            if self.interpolation != InterpolationMode.NEAREST else ""
        s += f", fill={self.fill}" if self.fill != 0 else ""
        s += f", center={self.center}" if self.center is not None else ""
        return s + ")"
