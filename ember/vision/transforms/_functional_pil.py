"""The PIL-image half of ``transforms.functional``: each function calls Pillow the way
torchvision does, so results are Pillow's own, pixel for pixel.

Pillow is imported only when a PIL image is actually met (``_is_pil_image`` looks for the
class among the modules already imported), so importing the transforms stays cheap.
"""
from __future__ import annotations

import numbers
import sys

import numpy as np


def _is_pil_image(img) -> bool:
    mod = sys.modules.get("PIL.Image")
    return mod is not None and isinstance(img, mod.Image)


def _check(img) -> None:
    if not _is_pil_image(img):
        raise TypeError(f"img should be PIL Image. Got {type(img)}")


def get_dimensions(img) -> list[int]:
    if _is_pil_image(img):
        width, height = img.size
        return [len(img.getbands()), height, width]
    raise TypeError(f"Unexpected type {type(img)}")


def get_image_size(img) -> list[int]:
    if _is_pil_image(img):
        return list(img.size)
    raise TypeError(f"Unexpected type {type(img)}")


def get_image_num_channels(img) -> int:
    if _is_pil_image(img):
        return len(img.getbands())
    raise TypeError(f"Unexpected type {type(img)}")


def from_array(arr: np.ndarray, mode: str):
    """A PIL image of ``mode`` reading the bytes of ``arr`` as that mode's raw layout (what
    ``Image.fromarray(arr, mode)`` did before Pillow 11.3 deprecated its ``mode``)."""
    from PIL import Image  # noqa: PLC0415

    h, w = arr.shape[:2]
    return Image.frombuffer(mode, (w, h), np.ascontiguousarray(arr).tobytes(), "raw", mode, 0, 1)


def hflip(img):
    from PIL import Image  # noqa: PLC0415

    _check(img)
    return img.transpose(Image.FLIP_LEFT_RIGHT)


def vflip(img):
    from PIL import Image  # noqa: PLC0415

    _check(img)
    return img.transpose(Image.FLIP_TOP_BOTTOM)


def _enhance(kind: str, img, factor: float):
    from PIL import ImageEnhance  # noqa: PLC0415

    _check(img)
    return getattr(ImageEnhance, kind)(img).enhance(factor)


def adjust_brightness(img, brightness_factor: float):
    return _enhance("Brightness", img, brightness_factor)


def adjust_contrast(img, contrast_factor: float):
    return _enhance("Contrast", img, contrast_factor)


def adjust_saturation(img, saturation_factor: float):
    return _enhance("Color", img, saturation_factor)


def adjust_sharpness(img, sharpness_factor: float):
    return _enhance("Sharpness", img, sharpness_factor)


def adjust_hue(img, hue_factor: float):
    from PIL import Image  # noqa: PLC0415

    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    _check(img)
    mode = img.mode
    if mode in {"L", "1", "I", "F"}:
        return img
    h, s, v = img.convert("HSV").split()
    hue = np.array(h, dtype=np.uint8)
    hue += np.int32(hue_factor * 255).astype(np.uint8)  # wraps around, as a hue should
    return Image.merge("HSV", (from_array(hue, "L"), s, v)).convert(mode)


def adjust_gamma(img, gamma: float, gain: float = 1.0):
    _check(img)
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    mode = img.mode
    rgb = img.convert("RGB")
    table = [int((256 - 1e-3) * gain * pow(v / 255.0, gamma)) for v in range(256)] * 3
    return rgb.point(table).convert(mode)


def parse_fill(fill, img, name: str = "fillcolor") -> dict:
    """``fill`` as Pillow wants it for ``img``: one int per band (floats for mode F)."""
    bands = get_image_num_channels(img)
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and bands > 1:
        fill = tuple([fill] * bands)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = tuple(fill) * bands
        elif len(fill) != bands:
            raise ValueError(f"The number of elements in 'fill' does not match the number of "
                             f"channels of the image ({len(fill)} != {bands})")
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, tuple) else int(fill)
    return {name: fill}


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    from PIL import Image, ImageOps  # noqa: PLC0415

    _check(img)
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if fill is not None and not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, list):
        padding = tuple(padding)
    if isinstance(padding, tuple) and len(padding) not in (1, 2, 4):
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    if isinstance(padding, tuple) and len(padding) == 1:
        padding = padding[0]
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")

    if padding_mode == "constant":
        opts = parse_fill(fill, img, name="fill")
        palette = img.getpalette() if img.mode == "P" else None
        out = ImageOps.expand(img, border=padding, **opts)
        if palette is not None:
            out.putpalette(palette)
        return out

    if isinstance(padding, tuple) and len(padding) == 2:
        left = right = padding[0]
        top = bottom = padding[1]
    elif isinstance(padding, tuple):
        left, top, right, bottom = padding
    else:
        left = top = right = bottom = padding
    ltrb = [left, top, right, bottom]
    cut = [-min(p, 0) for p in ltrb]
    if any(cut):
        img = img.crop((cut[0], cut[1], img.width - cut[2], img.height - cut[3]))
    left, top, right, bottom = (max(p, 0) for p in ltrb)
    palette = img.getpalette() if img.mode == "P" else None
    arr = np.asarray(img)
    widths = ((top, bottom), (left, right)) + (((0, 0),) if arr.ndim == 3 else ())
    out = Image.fromarray(np.pad(arr, widths, padding_mode))
    if palette is not None:
        out.putpalette(palette)
    return out


def crop(img, top: int, left: int, height: int, width: int):
    _check(img)
    return img.crop((left, top, left + width, top + height))


def resize(img, size, interpolation: int):
    _check(img)
    if not (isinstance(size, list) and len(size) == 2):
        raise TypeError(f"Got inappropriate size arg: {size}")
    return img.resize(tuple(size[::-1]), interpolation)


def affine(img, matrix, interpolation: int = 0, fill=None):
    from PIL import Image  # noqa: PLC0415

    _check(img)
    return img.transform(img.size, Image.AFFINE, matrix, interpolation,
                         **parse_fill(fill, img))


def rotate(img, angle: float, interpolation: int = 0, expand: bool = False, center=None,
           fill=None):
    _check(img)
    return img.rotate(angle, interpolation, expand, center, **parse_fill(fill, img))


def perspective(img, coeffs, interpolation: int = 3, fill=None):
    from PIL import Image  # noqa: PLC0415

    _check(img)
    return img.transform(img.size, Image.PERSPECTIVE, coeffs, interpolation,
                         **parse_fill(fill, img))


def to_grayscale(img, num_output_channels: int):
    _check(img)
    if num_output_channels == 1:
        return img.convert("L")
    if num_output_channels == 3:
        gray = np.array(img.convert("L"), dtype=np.uint8)
        return from_array(np.dstack([gray, gray, gray]), "RGB")
    raise ValueError("num_output_channels should be either 1 or 3")


def _ops(name, img, *args):
    from PIL import ImageOps  # noqa: PLC0415

    _check(img)
    return getattr(ImageOps, name)(img, *args)


def invert(img):
    return _ops("invert", img)


def posterize(img, bits: int):
    return _ops("posterize", img, bits)


def solarize(img, threshold):
    return _ops("solarize", img, threshold)


def autocontrast(img):
    return _ops("autocontrast", img)


def equalize(img):
    return _ops("equalize", img)
