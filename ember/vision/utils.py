"""Image grids, as ``torchvision.utils.make_grid`` and ``torchvision.utils.save_image``."""
from __future__ import annotations

import math
import os
import tempfile

import numpy as np

from .. import backend
from ..tensor import Tensor, _wrap

__all__ = ["make_grid", "save_image"]


def make_grid(tensor, nrow: int = 8, padding: int = 2, normalize: bool = False,
              value_range=None, scale_each: bool = False, pad_value: float = 0.0) -> Tensor:
    """Tile a batch of images (B, C, H, W) (or a list of (C, H, W)) into one image, ``nrow``
    per row, ``padding`` pixels of ``pad_value`` between and around them. One-channel images
    become three-channel. ``normalize`` maps ``value_range`` (default: the min and max, of
    each image with ``scale_each``) onto [0, 1]. Shape: -> (C, rows * (H + p) + p,
    cols * (W + p) + p). The result is not part of any graph.
    """
    if isinstance(tensor, (list, tuple)):
        arr = np.stack([backend.to_host(t._data) for t in tensor])
    elif isinstance(tensor, Tensor):
        arr = backend.to_host(tensor._data)
    else:
        raise TypeError(f"make_grid: expected a tensor or a list of tensors, got "
                        f"{type(tensor).__name__}")
    arr = np.array(arr, dtype=np.float32 if arr.dtype.kind != "f" else arr.dtype, copy=True)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 3:
        if arr.shape[0] == 1:
            arr = np.concatenate([arr] * 3, 0)
        arr = arr[None]
    if arr.ndim != 4:
        raise ValueError(f"make_grid: expected images of shape (B, C, H, W), (C, H, W) or "
                         f"(H, W), got {list(arr.shape)}")
    if arr.shape[1] == 1:
        arr = np.concatenate([arr] * 3, 1)
    if normalize:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and "
                            "max are numbers")

        def scale(a):
            lo, hi = value_range if value_range is not None else (float(a.min()),
                                                                 float(a.max()))
            np.clip(a, lo, hi, out=a)
            a -= lo
            a /= max(hi - lo, 1e-5)
        if scale_each:
            for img in arr:
                scale(img)
        else:
            scale(arr)
    if arr.shape[0] == 1:
        return _wrap(arr[0], False, None, 0)
    n, c, h, w = arr.shape
    cols = min(nrow, n)
    rows = int(math.ceil(n / cols))
    cell_h, cell_w = h + padding, w + padding
    grid = np.full((c, cell_h * rows + padding, cell_w * cols + padding), pad_value,
                   dtype=arr.dtype)
    for k in range(n):
        y, x = divmod(k, cols)
        grid[:, y * cell_h + padding:y * cell_h + padding + h,
             x * cell_w + padding:x * cell_w + padding + w] = arr[k]
    return _wrap(grid, False, None, 0)


def save_image(tensor, fp, format=None, **kwargs) -> None:
    """Write ``make_grid(tensor, **kwargs)`` as an image file (PNG for a ``.png`` path):
    values in [0, 1] become 0..255 (rounded, clamped). A path is written atomically."""
    from PIL import Image  # noqa: PLC0415

    grid = make_grid(tensor, **kwargs)._data
    if grid.ndim == 2:
        grid = grid[None]
    pixels = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    img = Image.fromarray(pixels[:, :, 0] if pixels.shape[2] == 1 else pixels)
    if hasattr(fp, "write"):
        img.save(fp, format=format)
        return
    path = os.fspath(fp)
    folder = os.path.dirname(os.path.abspath(path))
    suffix = os.path.splitext(path)[1]
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=suffix, dir=folder)
    os.close(fd)
    _umask = os.umask(0)  # mkstemp makes 0600 files: give the final file the usual mode
    os.umask(_umask)
    os.chmod(tmp, 0o666 & ~_umask)
    try:
        img.save(tmp, format=format)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
