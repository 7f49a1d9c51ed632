"""``ember.vision.transforms.functional``: ``torchvision.transforms.functional``.

Every function takes a PIL image or an ember tensor image and returns the same kind. PIL
images go through Pillow exactly as torchvision calls it (identical pixels); tensor images
(..., C, H, W) (or (H, W)), uint8 in 0..255 or float in [0, 1], go through ember ops, so
float tensors keep their gradients through the geometric ops (resize, crop, pad, flips,
rotate, affine, perspective, elastic_transform), normalize and the colour adjustments.
Tensor results match torchvision's to floating-point rounding: identical for crops, pads,
flips, nearest resizing and the integer ops, within one grey level for uint8 images that
are interpolated, blurred or blended (a value near .5 can round either way).
"""
from __future__ import annotations

import math
import numbers
import sys
import warnings
from enum import Enum

import numpy as np

from ... import backend
from ...tensor import Tensor, _wrap
from . import _functional_pil as F_pil
from . import _functional_tensor as F_t

__all__ = ["InterpolationMode", "get_dimensions", "get_image_size", "get_image_num_channels",
           "to_tensor", "pil_to_tensor", "convert_image_dtype", "to_pil_image", "normalize",
           "resize", "pad", "crop", "center_crop", "resized_crop", "hflip", "perspective",
           "vflip", "five_crop", "ten_crop", "adjust_brightness", "adjust_contrast",
           "adjust_saturation", "adjust_hue", "adjust_gamma", "rotate", "affine",
           "to_grayscale", "rgb_to_grayscale", "erase", "gaussian_blur", "invert", "posterize",
           "solarize", "adjust_sharpness", "autocontrast", "equalize", "elastic_transform"]


class InterpolationMode(Enum):
    """Interpolation modes: ``nearest``, ``nearest-exact``, ``bilinear``, ``bicubic`` (PIL
    images and tensors), ``box``, ``hamming`` and ``lanczos`` (PIL images only)."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


def _interpolation_modes_from_int(i: int) -> InterpolationMode:
    """The mode of a Pillow filter constant (``PIL.Image.BILINEAR`` is 2, ...)."""
    return {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR,
            3: InterpolationMode.BICUBIC, 4: InterpolationMode.BOX,
            5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}[i]


pil_modes_mapping = {InterpolationMode.NEAREST: 0, InterpolationMode.BILINEAR: 2,
                     InterpolationMode.BICUBIC: 3, InterpolationMode.NEAREST_EXACT: 0,
                     InterpolationMode.BOX: 4, InterpolationMode.HAMMING: 5,
                     InterpolationMode.LANCZOS: 1}

_is_pil_image = F_pil._is_pil_image


def _mode(interpolation) -> InterpolationMode:
    if isinstance(interpolation, int):
        return _interpolation_modes_from_int(interpolation)
    if not isinstance(interpolation, InterpolationMode):
        raise TypeError("Argument interpolation should be a InterpolationMode or a "
                        "corresponding Pillow integer constant")
    return interpolation


def get_dimensions(img) -> list[int]:
    """[channels, height, width] of a PIL image or a tensor image."""
    if isinstance(img, Tensor):
        return F_t.get_dimensions(img)
    return F_pil.get_dimensions(img)


def get_image_size(img) -> list[int]:
    """[width, height] of a PIL image or a tensor image."""
    if isinstance(img, Tensor):
        return F_t.get_image_size(img)
    return F_pil.get_image_size(img)


def get_image_num_channels(img) -> int:
    """The number of channels of a PIL image or a tensor image."""
    if isinstance(img, Tensor):
        return F_t.get_image_num_channels(img)
    return F_pil.get_image_num_channels(img)


_PIL_DTYPES = {"I": np.int32, "I;16" if sys.byteorder == "little" else "I;16B": np.int16,
               "F": np.float32}


def _chw(a, xp):
    """An (H, W[, C]) array as a C-contiguous (C, H, W) one."""
    if a.ndim == 2:
        a = a[:, :, None]
    return xp.ascontiguousarray(a.transpose(2, 0, 1))


def to_tensor(pic) -> Tensor:
    """A PIL image or an (H, W[, C]) ndarray as a (C, H, W) tensor; uint8 data (and 8-bit PIL
    modes) become the default float dtype scaled to [0, 1], other data keep their dtype.

    ember also takes an (H, W[, C]) tensor here (read like an ndarray), as the tensor-backed
    datasets (``TensorDataset`` of uint8 images) give them.
    """
    if isinstance(pic, Tensor):
        data = pic._data
        if data.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {data.ndim} dimensions.")
        return _scaled(_chw(data, backend.xp(data)))
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        return _scaled(_chw(pic, np))
    if not _is_pil_image(pic):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    return _scaled(_chw(_pil_array(pic), np))


def _pil_array(pic) -> np.ndarray:
    """The pixels of a PIL image as (H, W, bands), uint8 for the 8-bit modes (read-only)."""
    w, h = pic.size
    if pic.mode in _PIL_DTYPES or pic.mode == "1":
        a = np.array(pic, _PIL_DTYPES.get(pic.mode, np.uint8), copy=True)
        if pic.mode == "1":
            a = a * np.uint8(255)
    else:  # 8 bits per band: the raw bytes are the array (faster than np.array(pic))
        a = np.frombuffer(pic.tobytes(), np.uint8)
    return a.reshape(h, w, len(pic.getbands()))


def _scaled(a) -> Tensor:
    if a.dtype != np.uint8:
        backend.from_np(a.dtype)  # a dtype ember has, or a TypeError naming it
        return _wrap(a, False, None, 0)
    out = a.astype(backend.get_default_dtype().np)
    out /= 255
    return _wrap(out, False, None, 0)


def pil_to_tensor(pic) -> Tensor:
    """A PIL image as a (C, H, W) tensor of its own dtype (no scaling); a copy."""
    if not _is_pil_image(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    a = np.array(pic, copy=True)
    a = a.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    return _wrap(a.transpose(2, 0, 1), False, None, 0)


def convert_image_dtype(image: Tensor, dtype=backend.float32) -> Tensor:
    """``image`` as ``dtype``, rescaled between the value ranges: [0, 1] for floats,
    0..max for integers (float -> int maps [0, 1] evenly onto 0..max)."""
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    return F_t.convert_image_dtype(image, dtype)


def to_pil_image(pic, mode=None):
    """A (C, H, W) tensor or (H, W, C) ndarray (or 2-D either) as a PIL image. Floats are
    scaled by 255 (truncated) unless ``mode`` is 'F'; the mode defaults from the channels
    (1: by dtype L/I;16/I/F, 2: LA, 3: RGB, 4: RGBA)."""
    if isinstance(pic, Tensor):
        a = backend.to_host(pic.detach()._data)
        if a.ndim == 3:
            a = a.transpose(1, 2, 0)
    elif isinstance(pic, np.ndarray):
        a = pic
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3:
        raise ValueError(f"pic should be 2/3 dimensional. Got {a.ndim} dimensions.")
    if a.shape[-1] > 4:
        raise ValueError(f"pic should not have > 4 channels. Got {a.shape[-1]} channels.")
    if np.issubdtype(a.dtype, np.floating) and mode != "F":
        a = (a * 255).astype(np.uint8)
    bands = a.shape[2]
    if bands == 1:
        a = a[:, :, 0]
        expected = {np.dtype(np.uint8): "L", np.dtype(np.int16): "I;16" if sys.byteorder ==
                    "little" else "I;16B", np.dtype(np.int32): "I",
                    np.dtype(np.float32): "F"}.get(a.dtype)
        if mode is not None and mode != expected:
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {np.dtype}. "
                             f"Should be {expected}")
        mode = expected
    else:
        allowed = {2: ["LA"], 3: ["RGB", "YCbCr", "HSV"], 4: ["RGBA", "CMYK", "RGBX"]}[bands]
        if mode is not None and mode not in allowed:
            raise ValueError(f"Only modes {allowed} are supported for {bands}D inputs")
        if mode is None and a.dtype == np.uint8:
            mode = allowed[0]
    if mode is None:
        raise TypeError(f"Input type {a.dtype} is not supported")
    return F_pil.from_array(a, mode)


def normalize(tensor: Tensor, mean, std, inplace: bool = False) -> Tensor:
    """(tensor - mean) / std per channel of a float (..., C, H, W) tensor (differentiable);
    ``inplace`` writes into ``tensor``."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    return F_t.normalize(tensor, mean=mean, std=std, inplace=inplace)


def _compute_resized_output_size(image_size, size, max_size=None, allow_size_none=False):
    h, w = image_size
    short, long = (w, h) if w <= h else (h, w)
    if size is None:
        if not allow_size_none:
            raise ValueError("This should never happen!!")
        if not isinstance(max_size, int):
            raise ValueError(f"max_size must be an integer when size is None, but got "
                             f"{max_size} instead.")
        new_short, new_long = int(max_size * short / long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    elif len(size) == 1:
        requested = size if isinstance(size, int) else size[0]
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the "
                                 f"requested size for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    else:
        new_w, new_h = size[1], size[0]
    return [new_h, new_w]


def resize(img, size, interpolation: InterpolationMode = InterpolationMode.BILINEAR,
           max_size=None, antialias=True):
    """``img`` resized to ``size`` ((h, w), or an int for the shorter edge keeping the aspect
    ratio, capped by ``max_size`` on the longer edge). PIL images are always antialiased in
    bilinear/bicubic; tensors are when ``antialias`` (PyTorch's antialiased filters)."""
    interpolation = _mode(interpolation)
    if isinstance(size, (list, tuple)):
        if len(size) not in (1, 2):
            raise ValueError(f"Size must be an int or a 1 or 2 element tuple/list, not a "
                             f"{len(size)} element tuple/list")
        if max_size is not None and len(size) != 1:
            raise ValueError("max_size should only be passed if size specifies the length of "
                             "the smaller edge, i.e. size should be an int or a sequence of "
                             "length 1 in torchscript mode.")
    _, height, width = get_dimensions(img)
    if isinstance(size, int):
        size = [size]
    out_size = _compute_resized_output_size((height, width), size, max_size)
    if [height, width] == out_size:
        return img
    if not isinstance(img, Tensor):
        if antialias is False:
            warnings.warn("Anti-alias option is always applied for PIL Image input. Argument "
                          "antialias is ignored.", stacklevel=2)
        return F_pil.resize(img, out_size, pil_modes_mapping[interpolation])
    from ._resample import resize as _tensor_resize  # noqa: PLC0415

    return _tensor_resize(img, out_size, interpolation.value, bool(antialias))


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pad every side: ``padding`` an int, (left/right, top/bottom) or (left, top, right,
    bottom); ``padding_mode`` 'constant' (with ``fill``), 'edge', 'reflect' or 'symmetric'."""
    if not isinstance(img, Tensor):
        return F_pil.pad(img, padding=padding, fill=fill, padding_mode=padding_mode)
    return F_t.pad(img, padding=padding, fill=fill, padding_mode=padding_mode)


def crop(img, top: int, left: int, height: int, width: int):
    """The ``height`` x ``width`` box at (``top``, ``left``); outside the image is zero."""
    if not isinstance(img, Tensor):
        return F_pil.crop(img, top, left, height, width)
    return F_t.crop(img, top, left, height, width)


def _pair_size(size):
    if isinstance(size, numbers.Number):
        return (int(size), int(size))
    if isinstance(size, (tuple, list)) and len(size) == 1:
        return (size[0], size[0])
    return size


def center_crop(img, output_size):
    """The central ``output_size`` box (zero-padded first where the image is smaller)."""
    crop_h, crop_w = _pair_size(output_size)
    _, h, w = get_dimensions(img)
    if crop_w > w or crop_h > h:
        ltrb = [(crop_w - w) // 2 if crop_w > w else 0, (crop_h - h) // 2 if crop_h > h else 0,
                (crop_w - w + 1) // 2 if crop_w > w else 0,
                (crop_h - h + 1) // 2 if crop_h > h else 0]
        img = pad(img, ltrb, fill=0)
        _, h, w = get_dimensions(img)
        if crop_w == w and crop_h == h:
            return img
    top = int(round((h - crop_h) / 2.0))
    left = int(round((w - crop_w) / 2.0))
    return crop(img, top, left, crop_h, crop_w)


def resized_crop(img, top: int, left: int, height: int, width: int, size,
                 interpolation: InterpolationMode = InterpolationMode.BILINEAR,
                 antialias=True):
    """``crop`` then ``resize`` to ``size``."""
    img = crop(img, top, left, height, width)
    return resize(img, size, interpolation, antialias=antialias)


def hflip(img):
    """Mirror left-right."""
    if not isinstance(img, Tensor):
        return F_pil.hflip(img)
    return F_t.hflip(img)


def vflip(img):
    """Mirror top-bottom."""
    if not isinstance(img, Tensor):
        return F_pil.vflip(img)
    return F_t.vflip(img)


def _get_perspective_coeffs(startpoints, endpoints) -> list[float]:
    """(a, b, c, d, e, f, g, h) of the map taking each end point to its start point:
    x -> (a x + b y + c) / (g x + h y + 1), y -> (d x + e y + f) / (g x + h y + 1); solved in
    float64, returned rounded to float32 values."""
    if len(startpoints) != 4 or len(endpoints) != 4:
        raise ValueError(f"Please provide exactly four corners, got {len(startpoints)} "
                         f"startpoints and {len(endpoints)} endpoints.")
    a = np.zeros((8, 8), np.float64)
    for i, (p1, p2) in enumerate(zip(endpoints, startpoints)):
        a[2 * i] = [p1[0], p1[1], 1, 0, 0, 0, -p2[0] * p1[0], -p2[0] * p1[1]]
        a[2 * i + 1] = [0, 0, 0, p1[0], p1[1], 1, -p2[1] * p1[0], -p2[1] * p1[1]]
    b = np.asarray(startpoints, np.float64).reshape(8)
    res = np.linalg.lstsq(a, b, rcond=None)[0]
    return res.astype(np.float32).tolist()


def perspective(img, startpoints, endpoints,
                interpolation: InterpolationMode = InterpolationMode.BILINEAR, fill=None):
    """The perspective transform that moves the four ``startpoints`` corners
    ([top-left, top-right, bottom-right, bottom-left]) onto ``endpoints``."""
    coeffs = _get_perspective_coeffs(startpoints, endpoints)
    interpolation = _mode(interpolation)
    if not isinstance(img, Tensor):
        return F_pil.perspective(img, coeffs, interpolation=pil_modes_mapping[interpolation],
                                 fill=fill)
    return F_t.perspective(img, coeffs, interpolation=interpolation.value, fill=fill)


def five_crop(img, size):
    """(top-left, top-right, bottom-left, bottom-right, center) crops of ``size``."""
    size = _pair_size(size)
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    _, h, w = get_dimensions(img)
    ch, cw = size
    if cw > w or ch > h:
        raise ValueError(f"Requested crop size {size} is bigger than input size {(h, w)}")
    return (crop(img, 0, 0, ch, cw), crop(img, 0, w - cw, ch, cw), crop(img, h - ch, 0, ch, cw),
            crop(img, h - ch, w - cw, ch, cw), center_crop(img, [ch, cw]))


def ten_crop(img, size, vertical_flip: bool = False):
    """``five_crop`` of the image, then of its mirror image (top-bottom with
    ``vertical_flip``, else left-right)."""
    size = _pair_size(size)
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    first = five_crop(img, size)
    return first + five_crop(vflip(img) if vertical_flip else hflip(img), size)


def _colour(name: str, img, *args):
    if not isinstance(img, Tensor):
        return getattr(F_pil, name)(img, *args)
    return getattr(F_t, name)(img, *args)


def adjust_brightness(img, brightness_factor: float):
    """Multiply by ``brightness_factor`` (0 black, 1 unchanged)."""
    return _colour("adjust_brightness", img, brightness_factor)


def adjust_contrast(img, contrast_factor: float):
    """Blend with the mean grey level (0 solid grey, 1 unchanged)."""
    return _colour("adjust_contrast", img, contrast_factor)


def adjust_saturation(img, saturation_factor: float):
    """Blend with the grayscale image (0 gray, 1 unchanged, 2 twice as saturated)."""
    return _colour("adjust_saturation", img, saturation_factor)


def adjust_hue(img, hue_factor: float):
    """Shift the hue by ``hue_factor`` in [-0.5, 0.5] (through HSV)."""
    return _colour("adjust_hue", img, hue_factor)


def adjust_gamma(img, gamma: float, gain: float = 1):
    """255 * gain * (I / 255) ** gamma."""
    return _colour("adjust_gamma", img, gamma, gain)


def _get_inverse_affine_matrix(center, angle: float, translate, scale: float, shear,
                               inverted: bool = True) -> list[float]:
    """The 2x3 matrix (6 numbers) of T * C * R * S * SHy * SHx * C^-1 or, ``inverted``, of
    its inverse, in pixel coordinates; angles in degrees, clockwise."""
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    if inverted:
        m = [x / scale for x in (d, -b, 0.0, -c, a, 0.0)]
        m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
        m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
        m[2] += cx
        m[5] += cy
    else:
        m = [x * scale for x in (a, b, 0.0, c, d, 0.0)]
        m[2] += m[0] * (-cx) + m[1] * (-cy)
        m[5] += m[3] * (-cx) + m[4] * (-cy)
        m[2] += cx + tx
        m[5] += cy + ty
    return m


def rotate(img, angle: float, interpolation: InterpolationMode = InterpolationMode.NEAREST,
           expand: bool = False, center=None, fill=None):
    """Rotate counter-clockwise by ``angle`` degrees about ``center`` (default the image
    centre); ``expand`` grows the output to hold the whole rotated image."""
    interpolation = _mode(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    if not isinstance(img, Tensor):
        return F_pil.rotate(img, angle=angle, interpolation=pil_modes_mapping[interpolation],
                            expand=expand, center=center, fill=fill)
    center_f = [0.0, 0.0]
    if center is not None:
        _, height, width = get_dimensions(img)
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    matrix = _get_inverse_affine_matrix(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    return F_t.rotate(img, matrix=matrix, interpolation=interpolation.value, expand=expand,
                      fill=fill)


def affine(img, angle: float, translate, scale: float, shear,
           interpolation: InterpolationMode = InterpolationMode.NEAREST, fill=None,
           center=None):
    """Rotate by ``angle`` (clockwise degrees), translate by ``translate`` pixels, scale and
    shear (degrees, x then y), keeping ``center`` (default the image centre) fixed."""
    interpolation = _mode(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, (list, tuple)):
        raise TypeError("Argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if not isinstance(shear, (numbers.Number, list, tuple)):
        raise TypeError("Shear should be either a single value or a sequence of two values")
    angle = float(angle)
    translate = list(translate)
    shear = [shear, 0.0] if isinstance(shear, numbers.Number) else list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    _, height, width = get_dimensions(img)
    if not isinstance(img, Tensor):
        # the centre without the half-pixel offset, so that 90 degrees matches rot90
        if center is None:
            center = [width * 0.5, height * 0.5]
        matrix = _get_inverse_affine_matrix(center, angle, translate, scale, shear)
        return F_pil.affine(img, matrix=matrix, interpolation=pil_modes_mapping[interpolation],
                            fill=fill)
    center_f = [0.0, 0.0]
    if center is not None:
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    matrix = _get_inverse_affine_matrix(center_f, angle, [1.0 * t for t in translate], scale,
                                        shear)
    return F_t.affine(img, matrix=matrix, interpolation=interpolation.value, fill=fill)


def to_grayscale(img, num_output_channels: int = 1):
    """A PIL image of any mode as grayscale ('L', or 'RGB' with three equal bands)."""
    if _is_pil_image(img):
        return F_pil.to_grayscale(img, num_output_channels)
    raise TypeError("Input should be PIL Image")


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """0.2989 R + 0.587 G + 0.114 B (tensors; PIL images use Pillow's 'L' conversion), as 1
    or 3 channels."""
    if not isinstance(img, Tensor):
        return F_pil.to_grayscale(img, num_output_channels)
    return F_t.rgb_to_grayscale(img, num_output_channels)


def erase(img: Tensor, i: int, j: int, h: int, w: int, v: Tensor, inplace: bool = False):
    """Set the ``h`` x ``w`` box at (``i``, ``j``) of a tensor image to ``v``."""
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    return F_t.erase(img, i, j, h, w, v, inplace=inplace)


def gaussian_blur(img, kernel_size, sigma=None):
    """Blur with a ``kernel_size`` (odd; (kx, ky) or one int) Gaussian of ``sigma`` (default
    0.3 ((k - 1) / 2 - 1) + 0.8), reflecting at the borders. PIL images go through the
    tensor path and back, as in torchvision."""
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError(f"kernel_size should be int or a sequence of integers. Got "
                        f"{type(kernel_size)}")
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    if len(kernel_size) != 2:
        raise ValueError(f"If kernel_size is a sequence its length should be 2. Got "
                         f"{len(kernel_size)}")
    for k in kernel_size:
        if k % 2 == 0 or k < 0:
            raise ValueError(f"kernel_size should have odd and positive integers. Got "
                             f"{kernel_size}")
    if sigma is None:
        sigma = [k * 0.15 + 0.35 for k in kernel_size]
    if not isinstance(sigma, (int, float, list, tuple)):
        raise TypeError(f"sigma should be either float or sequence of floats. Got "
                        f"{type(sigma)}")
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    if isinstance(sigma, (list, tuple)) and len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    if len(sigma) != 2:
        raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    for s in sigma:
        if s <= 0.0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")
    if isinstance(img, Tensor):
        return F_t.gaussian_blur(img, kernel_size, sigma)
    if not _is_pil_image(img):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")
    out = F_t.gaussian_blur(pil_to_tensor(img), kernel_size, sigma)
    return to_pil_image(out, mode=img.mode)


def invert(img):
    """max - img (255 - v for uint8, 1 - v for floats)."""
    return _colour("invert", img)


def posterize(img, bits: int):
    """Keep the top ``bits`` bits (0-8) of every channel (uint8 tensors, L/RGB PIL images)."""
    if not 0 <= bits <= 8:
        raise ValueError(f"The number if bits should be between 0 and 8. Got {bits}")
    return _colour("posterize", img, bits)


def solarize(img, threshold: float):
    """Invert every value at or above ``threshold``."""
    return _colour("solarize", img, threshold)


def adjust_sharpness(img, sharpness_factor: float):
    """Blend with a smoothed copy (0 blurred, 1 unchanged, 2 sharper)."""
    return _colour("adjust_sharpness", img, sharpness_factor)


def autocontrast(img):
    """Stretch each channel so that its darkest value becomes 0 and its lightest the max."""
    return _colour("autocontrast", img)


def equalize(img):
    """Histogram equalization per channel (uint8 tensors; P, L or RGB PIL images)."""
    return _colour("equalize", img)


def elastic_transform(img, displacement: Tensor,
                      interpolation: InterpolationMode = InterpolationMode.BILINEAR, fill=None):
    """Resample at the identity grid plus ``displacement`` (1, H, W, 2), in normalised
    coordinates. PIL images go through the tensor path and back, as in torchvision."""
    if isinstance(interpolation, int):
        warnings.warn("Argument interpolation should be of type InterpolationMode instead of "
                      "int. Please, use InterpolationMode enum.", stacklevel=2)
        interpolation = _interpolation_modes_from_int(interpolation)
    if not isinstance(displacement, Tensor):
        raise TypeError("Argument displacement should be a Tensor")
    t_img = img
    if not isinstance(img, Tensor):
        if not _is_pil_image(img):
            raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")
        t_img = pil_to_tensor(img)
    shape = (1,) + tuple(t_img.shape[-2:]) + (2,)
    if tuple(displacement.shape) != shape:
        raise ValueError(f"Argument displacement shape should be {list(shape)}, but given "
                         f"{list(displacement.shape)}")
    out = F_t.elastic_transform(t_img, displacement, interpolation=interpolation.value,
                                fill=fill)
    if not isinstance(img, Tensor):
        out = to_pil_image(out, mode=img.mode)
    return out
