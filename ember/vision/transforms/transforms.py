"""Image transforms with ``torchvision.transforms``' names: ToTensor, Normalize, Compose, ...

Images are ember uint8 tensors or NumPy arrays, (H, W) or (H, W, C) as the
datasets return them; after ``ToTensor`` they are float (C, H, W) in [0, 1].
Random transforms draw from an ``ember.Generator`` (the default one unless
given), so ``ember.manual_seed`` makes them reproducible.
"""
from __future__ import annotations

import numpy as np

from ... import backend
from ...ops.creation import tensor as _tensor
from ...tensor import Tensor, _wrap

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
        a = pic._data if isinstance(pic, Tensor) else np.asarray(pic)
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
        self.inplace = inplace
        if any(s == 0 for s in self.std):
            raise ValueError(f"std evaluated to zero after conversion to float, leading to "
                             f"division by zero (std={self.std})")

    def __call__(self, t: Tensor) -> Tensor:
        if not isinstance(t, Tensor) or t._data.dtype.kind != "f":
            raise TypeError("Normalize: input should be a float tensor (use ToTensor first)")
        c = t.shape[-3]
        if len(self.mean) not in (1, c) or len(self.std) not in (1, c):
            raise ValueError(f"Normalize: mean/std of length {len(self.mean)}/{len(self.std)} "
                             f"for an image with {c} channels")
        shape = (-1, 1, 1)
        m = _tensor(np.asarray(self.mean, np.float64).reshape(shape), dtype=t.dtype)
        s = _tensor(np.asarray(self.std, np.float64).reshape(shape), dtype=t.dtype)
        if self.inplace:  # the input itself, changed
            return t.sub_(m).div_(s)
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
        from ...ops.shape import pad as _pad  # noqa: PLC0415

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


class RandomRotation:
    """Rotate a (..., H, W) image by an angle drawn uniformly from ``degrees`` about its centre
    (nearest-neighbour sampling; uncovered pixels take ``fill``)."""

    def __init__(self, degrees, fill: float = 0.0, generator=None):
        if isinstance(degrees, (int, float)):
            if degrees < 0:
                raise ValueError("If degrees is a single number, it must be positive.")
            degrees = (-degrees, degrees)
        self.degrees, self.fill, self.generator = tuple(float(d) for d in degrees), fill, generator

    def __call__(self, img):
        t = img if isinstance(img, Tensor) else _wrap(np.asarray(img), False, None, 0)
        angle = float(_rng(self.generator).uniform(*self.degrees))
        return rotate(t, angle, self.fill)

    def __repr__(self):
        return f"RandomRotation(degrees={self.degrees})"


def rotate(img: Tensor, angle: float, fill: float = 0.0) -> Tensor:
    """``img`` (..., H, W) rotated counter-clockwise by ``angle`` degrees (nearest neighbour)."""
    h, w = img.shape[-2], img.shape[-1]
    a = -np.deg2rad(angle)  # image rows grow downwards: counter-clockwise on screen
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    # inverse map: where each output pixel comes from
    sy = np.cos(a) * (yy - cy) - np.sin(a) * (xx - cx) + cy
    sx = np.sin(a) * (yy - cy) + np.cos(a) * (xx - cx) + cx
    iy, ix = np.rint(sy).astype(np.int64), np.rint(sx).astype(np.int64)
    inside = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)
    src = img[..., np.clip(iy, 0, h - 1), np.clip(ix, 0, w - 1)]
    mask = _wrap(backend.xp(img._data).asarray(inside), False, None, 0)
    from ...ops.elementwise import where  # noqa: PLC0415

    return where(mask, src, _tensor(fill, dtype=img.dtype))


class RandomErasing:
    """With probability ``p``, set a random rectangle of a (C, H, W) tensor to ``value``
    (area fraction in ``scale``, aspect ratio in ``ratio``; Zhong et al., 2017)."""

    def __init__(self, p: float = 0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value: float = 0.0,
                 inplace: bool = False, generator=None):
        if not 0 <= p <= 1:
            raise ValueError("Random erasing probability should be between 0 and 1")
        self.p, self.scale, self.ratio, self.value = p, scale, ratio, value
        self.inplace, self.generator = inplace, generator

    def __call__(self, img: Tensor) -> Tensor:
        rng = _rng(self.generator)
        if rng.random() >= self.p:
            return img
        h, w = img.shape[-2], img.shape[-1]
        area = h * w
        for _ in range(10):
            target = area * rng.uniform(*self.scale)
            ar = np.exp(rng.uniform(np.log(self.ratio[0]), np.log(self.ratio[1])))
            eh, ew = int(round(np.sqrt(target * ar))), int(round(np.sqrt(target / ar)))
            if 0 < eh < h and 0 < ew < w:
                i, j = int(rng.integers(0, h - eh + 1)), int(rng.integers(0, w - ew + 1))
                mask = np.zeros((h, w), dtype=bool)
                mask[i:i + eh, j:j + ew] = True
                from ...ops.elementwise import where  # noqa: PLC0415

                if self.inplace:  # the input itself, with the rectangle erased
                    img[..., i:i + eh, j:j + ew] = self.value
                    return img
                m = _wrap(backend.xp(img._data).asarray(mask), False, None, 0)
                return where(m, _tensor(self.value, dtype=img.dtype), img)
        return img

    def __repr__(self):
        return f"RandomErasing(p={self.p}, scale={self.scale}, ratio={self.ratio})"


def batch_random_crop(x: Tensor, size, padding: int = 0, generator=None) -> Tensor:
    """A different random crop for every image of an (N, C, H, W) batch, in one gather."""
    from ...ops.shape import pad as _pad  # noqa: PLC0415

    th, tw = (size, size) if isinstance(size, int) else tuple(size)
    if padding:
        x = _pad(x, (padding,) * 4)
    n, _, h, w = x.shape
    if h < th or w < tw:
        raise ValueError(f"batch_random_crop: crop {(th, tw)} larger than images {(h, w)}")
    rng = _rng(generator)
    i = rng.integers(0, h - th + 1, n)
    j = rng.integers(0, w - tw + 1, n)
    rows = (i[:, None] + np.arange(th))[:, None, :, None]
    cols = (j[:, None] + np.arange(tw))[:, None, None, :]
    return x[np.arange(n)[:, None, None, None], np.arange(x.shape[1])[None, :, None, None],
             rows, cols]


def batch_random_horizontal_flip(x: Tensor, p: float = 0.5, generator=None) -> Tensor:
    """Mirror each image of an (N, ..., W) batch with probability ``p``, in one pass."""
    from ...ops.elementwise import where  # noqa: PLC0415

    flip = _rng(generator).random(x.shape[0]) < p
    m = _wrap(flip.reshape((-1,) + (1,) * (x.ndim - 1)), False, None, 0)
    return where(m, x.flip(-1), x)


__all__ += ["RandomRotation", "rotate", "RandomErasing", "batch_random_crop",
            "batch_random_horizontal_flip"]
