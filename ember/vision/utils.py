"""Image grids and drawing, as ``torchvision.utils``: ``make_grid``, ``save_image``,
``draw_bounding_boxes``, ``draw_segmentation_masks`` and ``draw_keypoints``."""
from __future__ import annotations

import math
import os
import tempfile
import warnings

import numpy as np

from .. import backend
from ..tensor import Tensor, _wrap

__all__ = ["make_grid", "save_image", "draw_bounding_boxes", "draw_segmentation_masks",
           "draw_keypoints"]


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


# ---------------------------------------------------------------------------- drawing
# Boxes, labels and keypoints are drawn by Pillow's ImageDraw with the calls torchvision
# makes, so the pixels are the same; masks are blended in float32 as torchvision blends them.

def _generate_color_palette(num_objects: int):
    palette = np.array([2 ** 25 - 1, 2 ** 15 - 1, 2 ** 21 - 1], dtype=np.int64)
    return [tuple(int(v) for v in (i * palette) % 255) for i in range(num_objects)]


def _parse_colors(colors, *, num_objects: int, floating: bool = False):
    """A list of ``num_objects`` RGB tuples from None (a palette), one colour (a name,
    "#RRGGBB" or an RGB tuple) or a list of them; in [0, 1] for floating images."""
    from PIL import ImageColor  # noqa: PLC0415

    if colors is None:
        colors = _generate_color_palette(num_objects)
    elif isinstance(colors, list):
        if len(colors) < num_objects:
            raise ValueError(f"Number of colors must be equal or larger than the number of "
                             f"objects, but got {len(colors)} < {num_objects}.")
    elif not isinstance(colors, (tuple, str)):
        raise ValueError(f"colors must be a tuple or a string, or a list thereof, but got "
                         f"{colors}.")
    elif isinstance(colors, tuple) and len(colors) != 3:
        raise ValueError(f"If passed as tuple, colors should be an RGB triplet, but got "
                         f"{colors}.")
    else:
        colors = [colors] * num_objects
    colors = [ImageColor.getrgb(c) if isinstance(c, str) else c for c in colors]
    if floating:
        colors = [tuple(v / 255 for v in c) for c in colors]
    return colors


def _image_check(image, name_rgb: bool):
    if not isinstance(image, Tensor):
        raise TypeError(f"The image must be a tensor, got {type(image)}" if name_rgb else
                        f"Tensor expected, got {type(image)}")
    if not (image.dtype.is_floating_point or image._data.dtype == np.uint8):
        raise ValueError(f"The image dtype must be uint8 or float, got {image.dtype}")
    if image.ndim != 3:
        raise ValueError("Pass individual images, not batches")


def _to_uint8_hwc(image: Tensor) -> np.ndarray:
    """(C, H, W) -> (H, W, C) uint8, floats scaled as torchvision's ``to_dtype(scale=True)``
    (x * (256 - 1e-3), truncated)."""
    a = backend.to_host(image.detach()._data)
    if a.dtype.kind == "f":
        a = (a * a.dtype.type(256.0 - 1e-3)).astype(np.uint8)
    return np.ascontiguousarray(a.transpose(1, 2, 0))


def _from_uint8_hwc(a: np.ndarray, like: Tensor) -> Tensor:
    out = np.ascontiguousarray(a.transpose(2, 0, 1))
    if like.dtype.is_floating_point:
        dt = like._data.dtype
        out = out.astype(dt) * dt.type(1.0 / 255)
    return _wrap(out, False, None, 0)


def _dashed_line(draw, xy, fill=None, width=0, dash_length=5, space_length=5):
    """torchvision's dashed edge of an oriented box: dashes and gaps along the segments."""
    current_dash = True
    for i in range(1, len(xy)):
        x1, y1 = xy[i - 1]
        x2, y2 = xy[i]
        segment = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
        while segment > 0:
            step = min(segment, dash_length if current_dash else space_length)
            angle = math.atan2(y2 - y1, x2 - x1)
            end_x, end_y = x1 + math.cos(angle) * step, y1 + math.sin(angle) * step
            if current_dash:
                draw.line([(x1, y1), (end_x, end_y)], fill, width, None)
            segment -= step
            x1, y1 = end_x, end_y
            current_dash = not current_dash


def _oriented_rectangle(draw, xy, fill=None, outline=None, width=1):
    _dashed_line(draw, ((xy[0], xy[1]), (xy[2], xy[3])), width=width, fill=outline)
    for i in range(2, len(xy), 2):
        draw.line(((xy[i], xy[i + 1]), (xy[(i + 2) % len(xy)], xy[(i + 3) % len(xy)])),
                  width=width, fill=outline)
    draw.polygon(xy, fill=fill, outline=None, width=0)


def draw_bounding_boxes(image: Tensor, boxes: Tensor, labels=None, colors=None,
                        fill: bool = False, width: int = 1, font=None, font_size=None,
                        label_colors=None, label_background_colors=None,
                        fill_labels: bool = False) -> Tensor:
    """Draw boxes (and their labels) on an image, pixel for pixel as torchvision does.

    Args:
        image: (C, H, W) with C 1 or 3, uint8 or float in [0, 1].
        boxes: (N, 4) ``(x1, y1, x2, y2)`` in pixels, or (N, 8) corners of oriented boxes
            (first edge dashed).
        labels: one string per box, drawn inside its top-left corner.
        colors: one colour for all boxes or a list (names, "#RRGGBB", RGB tuples);
            a fixed palette when None.
        fill: fill the boxes with their colour at alpha 100/255.
        width: line width.
        font: a TrueType font file; Pillow's default font when None.
        font_size: the font size in points (with ``font`` only).
        label_colors: text colours (default: the box colours, black with ``fill_labels``).
        label_background_colors: label box colours with ``fill_labels`` (default: the box
            colours).
        fill_labels: draw each label on a filled box.

    Returns:
        (3, H, W) image of the input's dtype, on the CPU.
    """
    from PIL import Image, ImageDraw, ImageFont  # noqa: PLC0415

    _image_check(image, False)
    if image.shape[0] not in (1, 3):
        raise ValueError("Only grayscale and RGB images are supported")
    b = backend.to_host(boxes.detach()._data)
    if b.shape[-1] == 4 and ((b[:, 0] > b[:, 2]).any() or (b[:, 1] > b[:, 3]).any()):
        raise ValueError("Boxes need to be in (xmin, ymin, xmax, ymax) format. Use "
                         "torchvision.ops.box_convert to convert them")
    num_boxes = b.shape[0]
    if num_boxes == 0:
        warnings.warn("boxes doesn't contain any box. No box was drawn")
        return image
    if labels is None:
        labels = [None] * num_boxes
    elif len(labels) != num_boxes:
        raise ValueError(f"Number of boxes ({num_boxes}) and labels ({len(labels)}) mismatch. "
                         "Please specify labels for each box.")
    colors = _parse_colors(colors, num_objects=num_boxes)
    if label_colors or fill_labels:
        label_colors = _parse_colors(label_colors if label_colors else "black",
                                     num_objects=num_boxes)
    else:
        label_colors = colors.copy()
    if fill_labels and label_background_colors:
        label_background_colors = _parse_colors(label_background_colors, num_objects=num_boxes)
    else:
        label_background_colors = colors.copy()
    if font is None:
        if font_size is not None:
            warnings.warn("Argument 'font_size' will be ignored since 'font' is not set.")
        txt_font = ImageFont.load_default()
    else:
        txt_font = ImageFont.truetype(font=font, size=font_size or 10)
    pixels = _to_uint8_hwc(image)
    if pixels.shape[2] == 1:
        pixels = np.repeat(pixels, 3, axis=2)
    img = Image.fromarray(pixels)
    draw = ImageDraw.Draw(img, "RGBA") if fill else ImageDraw.Draw(img)
    for bbox, color, label, label_color, label_bg in zip(b.astype(np.int64).tolist(), colors,
                                                         labels, label_colors,
                                                         label_background_colors):
        fill_color = tuple(color) + (100,) if fill else None
        if len(bbox) > 4:
            _oriented_rectangle(draw, bbox, width=width, outline=color, fill=fill_color)
        else:
            draw.rectangle(bbox, width=width, outline=color, fill=fill_color)
        if label is not None:
            box_margin = 1
            margin = width + box_margin
            at = (bbox[0] + margin, bbox[1] + margin)
            if fill_labels:
                left, top, right, bottom = draw.textbbox(at, label, font=txt_font)
                draw.rectangle((left - box_margin, top - box_margin, right + box_margin,
                                bottom + box_margin), fill=label_bg)
            draw.text(at, label, fill=label_color, font=txt_font)
    return _from_uint8_hwc(np.asarray(img), image)


def draw_segmentation_masks(image: Tensor, masks: Tensor, alpha: float = 0.8,
                            colors=None) -> Tensor:
    """Blend boolean masks onto an RGB image: ``image * (1 - alpha) + painted * alpha``,
    where ``painted`` is the image with each mask's pixels set to its colour (later masks
    over earlier ones, pixels of several masks black), computed in float32 (the image's
    float dtype) and cast back as torchvision does.

    Args:
        image: (3, H, W), uint8 or float in [0, 1].
        masks: (N, H, W) or (H, W), bool.
        alpha: opacity of the masks (0 transparent, 1 opaque).
        colors: one colour or a list, as in :func:`draw_bounding_boxes`.

    Returns:
        (3, H, W) of the input's dtype, on the input's device.
    """
    _image_check(image, True)
    if image.shape[0] != 3:
        raise ValueError("Pass an RGB image. Other Image formats are not supported")
    if masks.ndim == 2:
        masks = masks[None, :, :]
    if masks.ndim != 3:
        raise ValueError("masks must be of shape (H, W) or (batch_size, H, W)")
    if masks._data.dtype != np.bool_:
        raise ValueError(f"The masks must be of dtype bool. Got {masks.dtype}")
    if tuple(masks.shape[-2:]) != tuple(image.shape[-2:]):
        raise ValueError("The image and the masks must have the same height and width")
    num_masks = masks.shape[0]
    if num_masks == 0:
        warnings.warn("masks doesn't contain any mask. No mask was drawn")
        return image
    xp = backend.xp(image._data)
    dt = image._data.dtype
    floating = dt.kind == "f"
    palette = xp.asarray(np.array(_parse_colors(colors, num_objects=num_masks,
                                                floating=floating))).astype(dt)  # (N, 3)
    m = masks._data
    img = image.detach()._data
    painted = img.copy()
    covered = m.any(axis=0)
    last = (num_masks - 1) - m[::-1].argmax(axis=0)  # later masks paint over earlier ones
    chosen = palette[last].transpose(2, 0, 1)
    painted = xp.where(covered[None], chosen, painted)
    painted = xp.where((m.sum(axis=0) > 1)[None], dt.type(0), painted)
    work = dt if floating else np.dtype(np.float32)
    out = img.astype(work) * work.type(1 - alpha) + painted.astype(work) * work.type(alpha)
    return _wrap(out.astype(dt), False, None, 0)


def draw_keypoints(image: Tensor, keypoints: Tensor, connectivity=None, colors=None,
                   radius: int = 2, width: int = 3, visibility=None) -> Tensor:
    """Draw keypoints (discs of ``radius``) and the lines of ``connectivity`` between them,
    pixel for pixel as torchvision does.

    Args:
        image: (3, H, W), uint8 or float in [0, 1].
        keypoints: (num_instances, K, 2) ``(x, y)`` positions.
        connectivity: pairs of keypoint indices to join with a line of ``width``.
        colors: the keypoints' colour (a name, "#RRGGBB" or an RGB tuple).
        radius: the discs' radius.
        width: the lines' width.
        visibility: (num_instances, K) booleans; an invisible keypoint and its lines are
            not drawn (all visible when None).

    Returns:
        (3, H, W) of the input's dtype, on the CPU.
    """
    from PIL import Image, ImageDraw  # noqa: PLC0415

    _image_check(image, True)
    if image.shape[0] != 3:
        raise ValueError("Pass an RGB image. Other Image formats are not supported")
    if keypoints.ndim != 3:
        raise ValueError("keypoints must be of shape (num_instances, K, 2)")
    if visibility is None:
        vis = np.ones(tuple(keypoints.shape[:-1]), dtype=bool)
    else:
        vis = backend.to_host(visibility._data).astype(bool)
        if vis.ndim == 3:
            vis = vis.squeeze(-1)
        if vis.ndim != 2:
            raise ValueError(f"visibility must be of shape (num_instances, K). Got "
                             f"ndim={vis.ndim}")
        if vis.shape != tuple(keypoints.shape[:-1]):
            raise ValueError("keypoints and visibility must have the same dimensionality for "
                             f"num_instances and K. Got visibility.shape={tuple(vis.shape)} "
                             f"and keypoints.shape={tuple(keypoints.shape)}")
    img = Image.fromarray(_to_uint8_hwc(image))
    draw = ImageDraw.Draw(img)
    points = backend.to_host(keypoints.detach()._data).astype(np.int64).tolist()
    for inst, inst_vis in zip(points, vis.tolist()):
        for (x, y), shown in zip(inst, inst_vis):
            if shown:
                draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=colors,
                             outline=None, width=0)
        for a, c in connectivity or ():
            if inst_vis[a] and inst_vis[c]:
                draw.line(((inst[a][0], inst[a][1]), (inst[c][0], inst[c][1])), width=width)
    return _from_uint8_hwc(np.asarray(img), image)
