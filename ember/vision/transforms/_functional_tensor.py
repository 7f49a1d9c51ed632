"""The tensor half of ``transforms.functional``: images are ember tensors (..., C, H, W)
(or (H, W)), uint8 in 0..255 or float in [0, 1].

Float images go through ember ops, so crops, pads, flips, normalize, the colour blends
(brightness, contrast, saturation, sharpness), hue, gamma, solarize, invert, autocontrast,
grayscale, gaussian_blur, erase and the resampling ops carry gradients. Integer images take
PyTorch's integer arithmetic (truncating casts after blends, rounding after resampling);
posterize and equalize exist for uint8 only and are not differentiable, as in torchvision.
"""
from __future__ import annotations

import numpy as np

from ... import backend
from ...ops.conv import conv2d
from ...ops.elementwise import to_dtype, where
from ...ops.reduce import amax, amin
from ...ops.shape import pad as _pad
from ...ops.shape import stack
from ...tensor import Tensor, _wrap
from . import _resample

_MAX = {np.dtype(np.uint8): 255, np.dtype(np.int8): 127, np.dtype(np.int16): 32767,
        np.dtype(np.int32): 2147483647, np.dtype(np.int64): 9223372036854775807}


def _const(xp, arr) -> Tensor:
    return _wrap(xp.asarray(arr), False, None, 0)


def _is_float(img: Tensor) -> bool:
    return img._data.dtype.kind == "f"


def _as_float(img: Tensor) -> Tensor:
    return img if _is_float(img) else to_dtype(img, np.float32)


def _max_value(dtype) -> int:
    return _MAX.get(np.dtype(dtype), 1)


def _assert_image_tensor(img: Tensor) -> None:
    if img._data.ndim < 2:
        raise TypeError("Tensor is not a torch image.")


def _assert_3d(img: Tensor) -> None:
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found "
                        f"{img.ndim}")


def get_dimensions(img: Tensor) -> list[int]:
    shape = img._data.shape
    if len(shape) < 2:
        raise TypeError("Tensor is not a torch image.")
    return [1 if len(shape) == 2 else shape[-3], shape[-2], shape[-1]]


def get_image_size(img: Tensor) -> list[int]:
    _assert_image_tensor(img)
    return [img._data.shape[-1], img._data.shape[-2]]


def get_image_num_channels(img: Tensor) -> int:
    _assert_image_tensor(img)
    return 1 if img.ndim == 2 else img._data.shape[-3]


def _assert_channels(img: Tensor, permitted) -> None:
    c = get_dimensions(img)[0]
    if c not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {list(permitted)}, "
                        f"but found {c}")


def convert_image_dtype(image: Tensor, dtype) -> Tensor:
    target = backend.to_dtype(dtype)
    src = image._data.dtype
    if src == target.np:
        return image
    if src.kind == "f":
        if target.is_floating_point:
            return to_dtype(image, target.np)
        if (src == np.float32 and target.np in (np.int32, np.int64)) or (
                src == np.float64 and target.np == np.int64):
            raise RuntimeError(f"The cast from {backend.from_np(src)} to {target} cannot be "
                               "performed safely.")
        # max + 1 - eps spreads [0, 1] evenly over the integers; only 1.0 maps to max
        return to_dtype(image * (float(_max_value(target.np)) + 1.0 - 1e-3), target.np)
    in_max = float(_max_value(src))
    if target.is_floating_point:
        return to_dtype(image, target.np) / in_max
    out_max = float(_max_value(target.np))
    a = image._data
    if in_max > out_max:
        factor = int((in_max + 1) // (out_max + 1))
        return _wrap((a // factor).astype(target.np), False, None, 0)
    factor = int((out_max + 1) // (in_max + 1))
    return _wrap(a.astype(target.np) * target.np.type(factor), False, None, 0)


def vflip(img: Tensor) -> Tensor:
    _assert_image_tensor(img)
    return img.flip(-2)


def hflip(img: Tensor) -> Tensor:
    _assert_image_tensor(img)
    return img.flip(-1)


def crop(img: Tensor, top: int, left: int, height: int, width: int) -> Tensor:
    _assert_image_tensor(img)
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        return pad(img[..., max(top, 0):bottom, max(left, 0):right], ltrb, fill=0)
    return img[..., top:bottom, left:right]


def _parse_padding(padding) -> list[int]:
    """[left, right, top, bottom] from an int or a 1, 2 or 4 element sequence."""
    if isinstance(padding, int):
        return [padding] * 4
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[0], padding[1], padding[1]]
    return [padding[0], padding[2], padding[1], padding[3]]


def _pad_symmetric(img: Tensor, p) -> Tensor:
    if img.ndim not in (3, 4):
        raise RuntimeError("Symmetric padding of N-D tensors are not supported yet")
    if min(p) < 0:
        left, right, top, bottom = (-min(v, 0) for v in p)
        img = img[..., top:img.shape[-2] - bottom, left:img.shape[-1] - right]
        p = [max(v, 0) for v in p]
    xp = backend.xp(img._data)
    h, w = img.shape[-2], img.shape[-1]
    cols = np.concatenate([np.arange(p[0] - 1, -1, -1), np.arange(w), -1 - np.arange(p[1])])
    rows = np.concatenate([np.arange(p[2] - 1, -1, -1), np.arange(h), -1 - np.arange(p[3])])
    return img[..., xp.asarray(rows % h)[:, None], xp.asarray(cols % w)[None, :]]


def pad(img: Tensor, padding, fill=0, padding_mode: str = "constant") -> Tensor:
    _assert_image_tensor(img)
    if fill is None:
        fill = 0
    if not isinstance(padding, (int, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if not isinstance(fill, (int, float)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2, 4):
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    p = _parse_padding(padding)
    if padding_mode == "symmetric":
        return _pad_symmetric(img, p)
    if padding_mode == "constant":
        return _pad(img, p, "constant", float(fill))
    mode = "replicate" if padding_mode == "edge" else "reflect"
    if img.ndim < 3:
        return _pad(img.unsqueeze(0), p, mode).squeeze(0)
    return _pad(img, p, mode)


def rgb_to_grayscale(img: Tensor, num_output_channels: int = 1) -> Tensor:
    _assert_3d(img)
    _assert_channels(img, (1, 3))
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if img.shape[-3] == 3:
        r, g, b = _as_float(img).unbind(-3)
        gray = to_dtype(0.2989 * r + 0.587 * g + 0.114 * b, img._data.dtype).unsqueeze(-3)
    else:
        gray = img.clone()
    if num_output_channels == 3:
        return gray.expand(*img.shape)
    return gray


def _blend(img1: Tensor, img2, ratio: float) -> Tensor:
    """ratio * img1 + (1 - ratio) * img2, clamped to the dtype's range, cast back (truncating
    for integer images); ``img2`` None stands for black."""
    ratio = float(ratio)
    out = ratio * _as_float(img1)
    if img2 is not None:
        out = out + (1.0 - ratio) * _as_float(img2)
    out = out.clamp(0, _max_value(img1._data.dtype))
    return to_dtype(out, img1._data.dtype)


def adjust_brightness(img: Tensor, brightness_factor: float) -> Tensor:
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, (1, 3))
    return _blend(img, None, brightness_factor)


def adjust_contrast(img: Tensor, contrast_factor: float) -> Tensor:
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, (3, 1))
    src = rgb_to_grayscale(img) if get_dimensions(img)[0] == 3 else img
    mean = _as_float(src).mean(dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, contrast_factor)


def adjust_saturation(img: Tensor, saturation_factor: float) -> Tensor:
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, (1, 3))
    if get_dimensions(img)[0] == 1:
        return img
    return _blend(img, rgb_to_grayscale(img), saturation_factor)


def _rgb2hsv(img: Tensor) -> Tensor:
    r, g, b = img.unbind(-3)
    xp = backend.xp(img._data)
    maxc, minc = amax(img, dim=-3), amin(img, dim=-3)
    eqc = maxc == minc
    cr = maxc - minc
    one, zero = _const(xp, np.ones((), img._data.dtype)), _const(xp, np.zeros((), img._data.dtype))
    s = cr / where(eqc, one, maxc)
    cr_div = where(eqc, one, cr)
    rc, gc, bc = (maxc - r) / cr_div, (maxc - g) / cr_div, (maxc - b) / cr_div
    is_r, is_g = maxc == r, maxc == g
    not_r = ~is_r._data
    hr = where(is_r, bc - gc, zero)
    hg = where(_const(xp, is_g._data & not_r), 2.0 + rc - bc, zero)
    hb = where(_const(xp, ~is_g._data & not_r), 4.0 + gc - rc, zero)
    h = ((hr + hg + hb) / 6.0 + 1.0).remainder(1.0)
    return stack([h, s, maxc], dim=-3)


def _hsv2rgb(img: Tensor) -> Tensor:
    h, s, v = img.unbind(-3)
    xp = backend.xp(img._data)
    i = (h * 6.0).floor()
    f = h * 6.0 - i
    sector = xp.asarray(i._data).astype(np.int32) % 6
    p = (v * (1.0 - s)).clamp(0.0, 1.0)
    q = (v * (1.0 - s * f)).clamp(0.0, 1.0)
    t = (v * (1.0 - s * (1.0 - f))).clamp(0.0, 1.0)

    def pick(*choices):
        out = choices[5]
        for k in range(4, -1, -1):
            out = where(_const(xp, sector == k), choices[k], out)
        return out

    return stack([pick(v, q, p, p, t, v), pick(t, v, v, q, p, p), pick(p, p, t, v, v, q)],
                 dim=-3)


def adjust_hue(img: Tensor, hue_factor: float) -> Tensor:
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if not isinstance(img, Tensor):
        raise TypeError("Input img should be Tensor image")
    _assert_image_tensor(img)
    _assert_channels(img, (1, 3))
    if get_dimensions(img)[0] == 1:
        return img
    dtype = img._data.dtype
    hsv = _rgb2hsv(convert_image_dtype(img, np.float32))
    h, s, v = hsv.unbind(-3)
    h = (h + hue_factor).remainder(1.0)
    return convert_image_dtype(_hsv2rgb(stack([h, s, v], dim=-3)), dtype)


def adjust_gamma(img: Tensor, gamma: float, gain: float = 1) -> Tensor:
    if not isinstance(img, Tensor):
        raise TypeError("Input img should be a Tensor.")
    _assert_channels(img, (1, 3))
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    dtype = img._data.dtype
    out = img if _is_float(img) else convert_image_dtype(img, np.float32)
    out = (gain * out.pow(gamma)).clamp(0, 1)
    return convert_image_dtype(out, dtype)


def _depthwise(img: Tensor, kernel: np.ndarray) -> Tensor:
    """Every channel of ``img`` (..., C, H, W) correlated with the 2-D ``kernel`` (no
    padding), as one grouped conv2d over the flattened leading dims."""
    xp = backend.xp(img._data)
    lead, (c, h, w) = img.shape[:-3], img.shape[-3:]
    x = img.reshape(-1, c, h, w)
    weight = _const(xp, np.broadcast_to(kernel, (c, 1) + kernel.shape).copy())
    out = conv2d(x, weight, groups=c)
    return out.reshape(*lead, c, out.shape[-2], out.shape[-1])


def _gaussian_kernel1d(size: int, sigma: float, ft) -> np.ndarray:
    half = (size - 1) * 0.5
    x = np.linspace(-half, half, size).astype(ft)
    pdf = np.exp(ft(-0.5) * (x / ft(sigma)) ** 2).astype(ft)
    return (pdf / pdf.sum(dtype=ft)).astype(ft)


def gaussian_blur(img: Tensor, kernel_size, sigma) -> Tensor:
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor. Got {type(img)}")
    _assert_image_tensor(img)
    dtype = img._data.dtype
    ft = dtype.type if dtype.kind == "f" else np.float32
    kx = _gaussian_kernel1d(kernel_size[0], sigma[0], ft)
    ky = _gaussian_kernel1d(kernel_size[1], sigma[1], ft)
    x = to_dtype(img, ft) if dtype != ft else img
    squeeze = x.ndim == 2
    if squeeze:
        x = x.unsqueeze(0)
    px, py = kernel_size[0] // 2, kernel_size[1] // 2
    x = _pad(x, [px, px, py, py], "reflect")
    h, w = img.shape[-2], img.shape[-1]
    # the kernel is separable: the rows, then the columns (k + k taps instead of k * k)
    rows = _taps_sum([x[..., j:j + w] for j in range(len(kx))], kx)
    out = _taps_sum([rows[..., i:i + h, :] for i in range(len(ky))], ky)
    if squeeze:
        out = out.squeeze(0)
    return _resample._cast_back(out, dtype)


def _taps_sum(views, weights) -> Tensor:
    out = None
    for v, wt in zip(views, weights):
        term = v * float(wt)
        out = term if out is None else out + term
    return out


def invert(img: Tensor) -> Tensor:
    _assert_image_tensor(img)
    _assert_3d(img)
    _assert_channels(img, (1, 3))
    return _max_value(img._data.dtype) - img


def posterize(img: Tensor, bits: int) -> Tensor:
    _assert_image_tensor(img)
    _assert_3d(img)
    if img._data.dtype != np.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {img.dtype}")
    _assert_channels(img, (1, 3))
    keep = np.uint8((0xFF << (8 - bits)) & 0xFF)
    return _wrap(img._data & keep, False, None, 0)


def solarize(img: Tensor, threshold: float) -> Tensor:
    _assert_image_tensor(img)
    _assert_3d(img)
    _assert_channels(img, (1, 3))
    if threshold > _max_value(img._data.dtype):
        raise TypeError("Threshold should be less than bound of img.")
    return where(img >= threshold, invert(img), img)


def adjust_sharpness(img: Tensor, sharpness_factor: float) -> Tensor:
    if sharpness_factor < 0:
        raise ValueError(f"sharpness_factor ({sharpness_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, (1, 3))
    if img.shape[-1] <= 2 or img.shape[-2] <= 2:
        return img
    dtype = img._data.dtype
    ft = dtype.type if dtype.kind == "f" else np.float32
    kernel = np.ones((3, 3), ft)
    kernel[1, 1] = 5.0
    kernel /= kernel.sum()
    x = img if img.ndim > 2 else img.unsqueeze(0)
    smooth = _depthwise(to_dtype(x, ft) if dtype != ft else x, kernel)
    smooth = _resample._cast_back(smooth, dtype)
    if img.ndim == 2:
        smooth = smooth.squeeze(0)
    # the smoothed interior framed by the image's own border pixels
    xp = backend.xp(img._data)
    inner = np.zeros(img.shape[-2:], bool)
    inner[1:-1, 1:-1] = True
    degenerate = where(_const(xp, inner), _pad(smooth, [1, 1, 1, 1]), img)
    return _blend(img, degenerate, sharpness_factor)


def autocontrast(img: Tensor) -> Tensor:
    _assert_image_tensor(img)
    _assert_3d(img)
    _assert_channels(img, (1, 3))
    bound = _max_value(img._data.dtype)
    x = _as_float(img)
    xp = backend.xp(img._data)
    lo = amin(x, dim=(-2, -1), keepdim=True)
    hi = amax(x, dim=(-2, -1), keepdim=True)
    with backend.errstate(xp, divide="ignore", over="ignore", invalid="ignore"):
        flat = ~xp.isfinite(bound / (hi._data - lo._data))
    flat_t = _const(xp, flat)
    scale = where(flat_t, _const(xp, x._data.dtype.type(1)), bound / where(
        flat_t, _const(xp, x._data.dtype.type(1)), hi - lo))
    lo = where(flat_t, _const(xp, x._data.dtype.type(0)), lo)
    return to_dtype(((x - lo) * scale).clamp(0, bound), img._data.dtype)


def equalize(img: Tensor) -> Tensor:
    _assert_image_tensor(img)
    if not 3 <= img.ndim <= 4:
        raise TypeError(f"Input image tensor should have 3 or 4 dimensions, but found "
                        f"{img.ndim}")
    if img._data.dtype != np.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {img.dtype}")
    _assert_channels(img, (1, 3))
    xp = backend.xp(img._data)
    a = img._data
    rows = a.reshape(-1, a.shape[-2] * a.shape[-1]).astype(np.int64)
    n_rows, n_pix = rows.shape
    offset = xp.arange(n_rows)[:, None] * 256
    hist = xp.bincount((rows + offset).ravel(), minlength=n_rows * 256).reshape(n_rows, 256)
    # the count of the top grey level present is left out of the step, as in PIL
    top = hist[xp.arange(n_rows), rows.max(axis=1)]
    step = (n_pix - top) // 255
    safe = xp.where(step == 0, 1, step)[:, None]
    lut = (xp.cumsum(hist, axis=1) + (step // 2)[:, None]) // safe
    lut = xp.clip(xp.concatenate([xp.zeros((n_rows, 1), lut.dtype), lut[:, :-1]], 1), 0, 255)
    mapped = xp.take_along_axis(lut, rows, axis=1)
    out = xp.where((step == 0)[:, None], rows, mapped).astype(np.uint8)
    return _wrap(out.reshape(a.shape), False, None, 0)


def normalize(tensor: Tensor, mean, std, inplace: bool = False) -> Tensor:
    _assert_image_tensor(tensor)
    if not _is_float(tensor):
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tensor.shape}")
    xp = backend.xp(tensor._data)
    dt = tensor._data.dtype
    m = xp.asarray(mean._data if isinstance(mean, Tensor) else mean, dtype=dt)
    s = xp.asarray(std._data if isinstance(std, Tensor) else std, dtype=dt)
    if (s == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading "
                         "to division by zero.")
    if m.ndim == 1:
        m = m.reshape(-1, 1, 1)
    if s.ndim == 1:
        s = s.reshape(-1, 1, 1)
    if inplace:
        return tensor.sub_(_wrap(m, False, None, 0)).div_(_wrap(s, False, None, 0))
    if not tensor.requires_grad:  # no graph to record: one pass over the raw array
        out = tensor._data - m
        out /= s
        return _wrap(out, False, None, 0)
    return (tensor - _wrap(m, False, None, 0)) / _wrap(s, False, None, 0)


def erase(img: Tensor, i: int, j: int, h: int, w: int, v: Tensor, inplace: bool = False):
    _assert_image_tensor(img)
    if not inplace:
        img = img.clone()
    img[..., i:i + h, j:j + w] = v
    return img


def _grid_inputs(img, matrix, interpolation, fill, coeffs=None) -> None:
    if not isinstance(img, Tensor):
        raise TypeError("Input img should be Tensor")
    _assert_image_tensor(img)
    if matrix is not None and not isinstance(matrix, list):
        raise TypeError("Argument matrix should be a list")
    if matrix is not None and len(matrix) != 6:
        raise ValueError("Argument matrix should have 6 float values")
    if coeffs is not None and len(coeffs) != 8:
        raise ValueError("Argument coeffs should have 8 float values")
    channels = get_dimensions(img)[0]
    if isinstance(fill, (tuple, list)) and len(fill) > 1 and len(fill) != channels:
        raise ValueError(f"The number of elements in 'fill' cannot broadcast to match the "
                         f"number of channels of the image ({len(fill)} != {channels})")
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor "
                         "input")


def _grid_dtype(img: Tensor):
    dt = img._data.dtype
    return dt.type if dt.kind == "f" else np.float32


def affine(img: Tensor, matrix, interpolation: str = "nearest", fill=None) -> Tensor:
    _grid_inputs(img, matrix, interpolation, fill)
    h, w = img.shape[-2], img.shape[-1]
    gx, gy = _resample.affine_grid(matrix, w, h, w, h, _grid_dtype(img))
    return _resample.grid_sample(img, gx, gy, interpolation, fill)


def _affine_output_size(matrix, w: int, h: int):
    """(width, height) of the box holding the whole image after ``matrix`` (about the
    centre); corners within 1e-4 of an integer do not round the box up."""
    pts = np.asarray([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                      [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]], np.float32)
    theta = np.asarray(matrix, np.float32).reshape(2, 3)
    new = (pts @ theta.T).astype(np.float32)
    lo = new.min(axis=0) + np.asarray([w * 0.5, h * 0.5], np.float32)
    hi = new.max(axis=0) + np.asarray([w * 0.5, h * 0.5], np.float32)
    tol = np.float32(1e-4)
    cmax = np.ceil(np.trunc(hi / tol) * tol)
    cmin = np.floor(np.trunc(lo / tol) * tol)
    size = cmax - cmin
    return int(size[0]), int(size[1])


def rotate(img: Tensor, matrix, interpolation: str = "nearest", expand: bool = False,
           fill=None) -> Tensor:
    _grid_inputs(img, matrix, interpolation, fill)
    h, w = img.shape[-2], img.shape[-1]
    ow, oh = _affine_output_size(matrix, w, h) if expand else (w, h)
    gx, gy = _resample.affine_grid(matrix, w, h, ow, oh, _grid_dtype(img))
    return _resample.grid_sample(img, gx, gy, interpolation, fill)


def perspective(img: Tensor, coeffs, interpolation: str = "bilinear", fill=None) -> Tensor:
    _grid_inputs(img, None, interpolation, fill, coeffs)
    h, w = img.shape[-2], img.shape[-1]
    gx, gy = _resample.perspective_grid(coeffs, w, h, _grid_dtype(img))
    return _resample.grid_sample(img, gx, gy, interpolation, fill)


def elastic_transform(img: Tensor, displacement: Tensor, interpolation: str = "bilinear",
                      fill=None) -> Tensor:
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor. Got {type(img)}")
    h, w = img.shape[-2], img.shape[-1]
    d = backend.to_host(displacement._data)
    gx, gy = _resample.identity_grid(h, w)
    gx = (gx + d[0, :, :, 0]).astype(np.float32)
    gy = (gy + d[0, :, :, 1]).astype(np.float32)
    return _resample.grid_sample(img, gx, gy, interpolation, fill)
