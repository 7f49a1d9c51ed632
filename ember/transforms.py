"""Image transforms with ``torchvision.transforms``' names: ToTensor, Normalize, Compose, ...

Images are ember uint8 tensors or NumPy arrays, (H, W) or (H, W, C) as the
datasets return them; after ``ToTensor`` they are float (C, H, W) in [0, 1].
Random transforms draw from an ``ember.Generator`` (the default one unless
given), so ``ember.manual_seed`` makes them reproducible.
"""
from __future__ import annotations

import numpy as np

from . import backend
from .ops.creation import tensor as _tensor
from .tensor import Tensor, _wrap

__all__ = ["Compose", "ToTensor", "Normalize", "Lambda", "RandomCrop", "RandomHorizontalFlip"]


class Compose:
    """Apply the transforms in order."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        return "Compose(\n" + "".join(f"    {t}\n" for t in self.transforms) + ")"


class ToTensor:
    """uint8 (H, W) or (H, W, C) -> float32 (C, H, W) scaled to [0, 1]; floats are not scaled."""

    def __call__(self, pic):
        a = pic.data if isinstance(pic, Tensor) else np.asarray(pic)
        if a.ndim == 2:
            a = a[:, :, None]
        if a.ndim != 3:
            raise TypeError(f"ToTensor: expected an (H, W) or (H, W, C) image, got shape "
                            f"{tuple(a.shape)}")
        xp = backend.xp(a)
        out = xp.ascontiguousarray(a.transpose(2, 0, 1))
        out = out.astype(np.float32) / 255.0 if out.dtype == np.uint8 else out.astype(np.float32)
        return _wrap(out, False, None, 0)

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    """(x - mean) / std per channel of a (C, H, W) or (N, C, H, W) float tensor."""

    def __init__(self, mean, std, inplace: bool = False):
        self.mean, self.std = tuple(np.atleast_1d(mean)), tuple(np.atleast_1d(std))
        if any(s == 0 for s in self.std):
            raise ValueError(f"std evaluated to zero after conversion to float, leading to "
                             f"division by zero (std={self.std})")

    def __call__(self, t: Tensor) -> Tensor:
        if not isinstance(t, Tensor) or t.data.dtype.kind != "f":
            raise TypeError("Normalize: input should be a float tensor (use ToTensor first)")
        c = t.shape[-3]
        if len(self.mean) not in (1, c) or len(self.std) not in (1, c):
            raise ValueError(f"Normalize: mean/std of length {len(self.mean)}/{len(self.std)} "
                             f"for an image with {c} channels")
        shape = (-1, 1, 1)
        m = _tensor(np.asarray(self.mean, np.float64).reshape(shape), dtype=t.dtype)
        s = _tensor(np.asarray(self.std, np.float64).reshape(shape), dtype=t.dtype)
        return (t - m) / s

    def __repr__(self):
        return f"Normalize(mean={self.mean}, std={self.std})"


class Lambda:
    """Apply a user function."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)


def _rng(generator):
    return backend.generator_for(backend.CPU, generator).rng


class RandomCrop:
    """A random ``size`` crop of a (..., H, W) tensor, after zero padding by ``padding``."""

    def __init__(self, size, padding=None, pad_if_needed: bool = False, fill=0,
                 padding_mode: str = "constant", generator=None):
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        self.padding, self.fill, self.generator = padding, fill, generator
        self.pad_if_needed, self.padding_mode = pad_if_needed, padding_mode

    def __call__(self, img: Tensor) -> Tensor:
        from .ops.shape import pad as _pad  # noqa: PLC0415

        t = img if isinstance(img, Tensor) else _wrap(np.asarray(img), False, None, 0)
        if self.padding:
            p = self.padding
            p = (p, p, p, p) if isinstance(p, int) else (tuple(p) * 2 if len(p) == 2 else tuple(p))
            t = _pad(t, p, self.padding_mode, self.fill) if self.padding_mode == "constant" \
                else _pad(t, p, self.padding_mode)
        h, w = t.shape[-2], t.shape[-1]
        th, tw = self.size
        if h < th or w < tw:
            raise ValueError(f"RandomCrop: required crop size {(th, tw)} is larger than the "
                             f"input image size {(h, w)}")
        rng = _rng(self.generator)
        i, j = int(rng.integers(0, h - th + 1)), int(rng.integers(0, w - tw + 1))
        return t[..., i:i + th, j:j + tw]

    def __repr__(self):
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirror the last dim with probability ``p``."""

    def __init__(self, p: float = 0.5, generator=None):
        self.p, self.generator = p, generator

    def __call__(self, img: Tensor) -> Tensor:
        if _rng(self.generator).random() < self.p:
            return img.flip(-1) if isinstance(img, Tensor) else np.ascontiguousarray(
                np.asarray(img)[..., ::-1])
        return img

    def __repr__(self):
        return f"RandomHorizontalFlip(p={self.p})"
