"""Reading and writing PNG and JPEG images as uint8 tensors, as ``torchvision.io.image``,
through Pillow.

Decoded images are (C, H, W) uint8 tensors (a channels-last array seen through a permuted
view, as torchvision's). PNG decoding is lossless, so pixels equal torchvision's
(libpng's) whatever the decoder; the mode conversions follow libpng's transforms
(grey from colour with libpng's integer weights 9794/19234/3740 out of 32768, truncated, as
libpng computes it for files without gamma information). JPEG pixels come from Pillow's
libjpeg-turbo with the default settings, which torchvision's decoder also uses (grey from a
colour JPEG is its luma channel, as libjpeg gives it). Encoded bytes are Pillow's: they
decode to the same pixels, but are not byte-for-byte libpng's or libjpeg's output.
"""
from __future__ import annotations

import enum
import io
import os

import numpy as np

from ... import backend
from ...datasets import _sources as S
from ...tensor import Tensor, _wrap

__all__ = ["ImageReadMode", "read_file", "write_file", "decode_image", "decode_png",
           "decode_jpeg", "encode_png", "encode_jpeg", "read_image", "write_png", "write_jpeg"]


class ImageReadMode(enum.Enum):
    """The channels a decoder returns: ``UNCHANGED`` (as stored), ``GRAY``, ``GRAY_ALPHA``,
    ``RGB``, ``RGB_ALPHA`` (alias ``RGBA``). The decoders also take these names as
    strings, in any case."""

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = RGB_ALPHA


_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"


def _mode(mode) -> ImageReadMode:
    if isinstance(mode, str):
        return ImageReadMode[mode.upper()]
    if not isinstance(mode, ImageReadMode):
        raise TypeError(f"mode must be an ImageReadMode or a string, got {type(mode).__name__}")
    return mode


def _bytes_of(data, name: str) -> bytes:
    """The encoded bytes held by a 1-D uint8 tensor."""
    if not isinstance(data, Tensor):
        raise TypeError(f"{name}: expected a uint8 tensor of encoded bytes, got "
                        f"{type(data).__name__}")
    if data._data.dtype != np.uint8:
        raise RuntimeError("Expected a torch.uint8 tensor")
    if data.ndim != 1 or data.numel() == 0:
        raise RuntimeError("Expected a non empty 1-dimensional tensor")
    return backend.to_host(data._data).tobytes()


def _as_tensor(raw: bytes) -> Tensor:
    return _wrap(np.frombuffer(raw, dtype=np.uint8).copy(), False, None, 0)


def read_file(path) -> Tensor:
    """The bytes of the file at ``path`` as a 1-D uint8 tensor."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise RuntimeError(f"read_file: {exc}") from None
    return _as_tensor(raw)


def write_file(filename, data: Tensor) -> None:
    """Write the bytes of a 1-D uint8 tensor to ``filename`` (through a temporary file and a
    rename)."""
    S.atomic_write(os.fspath(filename), _bytes_of(data, "write_file"))


def _chw(array: np.ndarray) -> Tensor:
    """An (H, W) or (H, W, C) array as a (C, H, W) tensor: a permuted view, as torchvision's."""
    if array.ndim == 2:
        array = array[:, :, None]
    return _wrap(np.ascontiguousarray(array).transpose(2, 0, 1), False, None, 0)


def _exif(img, apply_exif_orientation):
    if not apply_exif_orientation:
        return img
    from PIL import ImageOps  # noqa: PLC0415

    return ImageOps.exif_transpose(img)


def _open(raw: bytes, what: str):
    from PIL import Image, UnidentifiedImageError  # noqa: PLC0415

    try:
        img = Image.open(io.BytesIO(raw))
    except UnidentifiedImageError:
        raise RuntimeError(f"{what}: the content is not an image Pillow can read") from None
    return img


def _load(img, what):
    try:
        img.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise RuntimeError(f"{what}: cannot decode the image ({exc}); it is corrupt or "
                           "truncated") from None
    return img


# libpng's integer weights for grey from colour (coefficients 0.2989 and 0.587, as
# torchvision sets them, in 1/32768ths, truncated as libpng truncates them)
_RC, _GC = 29890 * 32768 // 100000, 58700 * 32768 // 100000
_BC = 32768 - _RC - _GC


def _png_gray(rgb: np.ndarray) -> np.ndarray:
    c = rgb.astype(np.int64)
    g = (_RC * c[..., 0] + _GC * c[..., 1] + _BC * c[..., 2]) >> 15
    same = (c[..., 0] == c[..., 1]) & (c[..., 0] == c[..., 2])
    return np.where(same, c[..., 0], g).astype(np.uint8)


def _png_ihdr(raw: bytes):
    if len(raw) < 8:
        raise RuntimeError("Content is too small for png!")
    if raw[:8] != _PNG_MAGIC:
        raise RuntimeError("Content is not png!")
    if len(raw) < 33 or raw[12:16] != b"IHDR":
        raise RuntimeError("decode_png: no IHDR chunk; the content is corrupt or truncated")
    return raw[24], raw[25]  # bit depth, colour type


def decode_png(input: Tensor, mode=ImageReadMode.UNCHANGED,
               apply_exif_orientation: bool = False) -> Tensor:
    """Decode PNG bytes (a 1-D uint8 tensor) into a (C, H, W) uint8 tensor.

    ``UNCHANGED`` keeps the stored channels: 1 (grey, or the indices of a palette image),
    2 (grey and alpha), 3 (RGB) or 4 (RGBA); grey of 1, 2 or 4 bits is scaled to 0..255.
    The other modes convert as libpng does for torchvision. ``apply_exif_orientation``
    applies the EXIF orientation tag. 16-bit PNGs are refused (ember has no uint16 dtype).
    """
    mode = _mode(mode)
    raw = _bytes_of(input, "decode_png")
    bit_depth, color_type = _png_ihdr(raw)
    if bit_depth == 16:
        raise NotImplementedError("decode_png: 16-bit PNG images decode to uint16 in "
                                  "torchvision; ember has no uint16 dtype")
    img = _load(_open(raw, "decode_png"), "decode_png")
    img = _exif(img, apply_exif_orientation)
    stored = img.mode
    if stored not in ("1", "L", "LA", "P", "RGB", "RGBA"):
        raise NotImplementedError(f"decode_png: Pillow mode {stored!r} is not supported")
    if mode is ImageReadMode.UNCHANGED:
        return _chw(np.asarray(img.convert("L") if stored == "1" else img))
    if stored == "1":
        img, stored = img.convert("L"), "L"
    if stored == "P":
        img = img.convert("RGBA")  # the palette with its transparency (opaque without)
    a = np.asarray(img)
    if a.ndim == 2:
        a = a[:, :, None]
    colour = a.shape[2] >= 3
    alpha = a[:, :, -1:] if a.shape[2] in (2, 4) else np.full(a.shape[:2] + (1,), 255, np.uint8)
    grey = _png_gray(a[:, :, :3])[:, :, None] if colour else a[:, :, :1]
    rgb = a[:, :, :3] if colour else np.repeat(a[:, :, :1], 3, axis=2)
    out = {ImageReadMode.GRAY: grey,
           ImageReadMode.GRAY_ALPHA: np.concatenate([grey, alpha], 2),
           ImageReadMode.RGB: rgb,
           ImageReadMode.RGB_ALPHA: np.concatenate([rgb, alpha], 2)}[mode]
    return _chw(out)


def _decode_jpeg_one(raw: bytes, mode: ImageReadMode, apply_exif_orientation: bool):
    if raw[:3] != _JPEG_MAGIC:
        raise RuntimeError("decode_jpeg: the content is not a JPEG image")
    img = _open(raw, "decode_jpeg")
    if img.mode not in ("L", "RGB"):
        raise NotImplementedError(f"decode_jpeg: {img.mode} JPEG images are not supported by "
                                  "ember (grey and colour ones are)")
    if mode is ImageReadMode.GRAY and img.mode != "L":
        img.draft("L", img.size)  # libjpeg's own grey output: the luma channel
    elif mode not in (ImageReadMode.UNCHANGED, ImageReadMode.GRAY, ImageReadMode.RGB):
        raise RuntimeError("The provided mode is not supported for JPEG files")
    img = _exif(_load(img, "decode_jpeg"), apply_exif_orientation)
    if mode is ImageReadMode.RGB and img.mode != "RGB":
        img = img.convert("RGB")
    return _chw(np.asarray(img))


def decode_jpeg(input, mode=ImageReadMode.UNCHANGED, device="cpu",
                apply_exif_orientation: bool = False):
    """Decode JPEG bytes (a 1-D uint8 tensor, or a list of them) into (C, H, W) uint8
    tensors: 1 channel for grey images, 3 for colour ones (``UNCHANGED``), or as ``mode``
    asks (``GRAY``, ``RGB``). Decoding runs on the CPU; the result is moved to ``device``.
    CMYK JPEGs are refused."""
    mode = _mode(mode)
    from ...backend import device as _device  # noqa: PLC0415

    dev = _device(device) if not isinstance(device, _device) else device

    def one(t):
        out = _decode_jpeg_one(_bytes_of(t, "decode_jpeg"), mode, apply_exif_orientation)
        return out if dev.type == "cpu" else out.to(dev)

    return [one(t) for t in input] if isinstance(input, (list, tuple)) else one(input)


def decode_image(input, mode=ImageReadMode.UNCHANGED,
                 apply_exif_orientation: bool = False) -> Tensor:
    """Decode a PNG or JPEG image (bytes as a 1-D uint8 tensor, or a file path) into a
    (C, H, W) uint8 tensor: :func:`decode_png` or :func:`decode_jpeg` by the content's
    signature. Other formats (GIF, WebP, AVIF, HEIC) are refused."""
    if not isinstance(input, Tensor):
        input = read_file(str(input))
    mode = _mode(mode)
    head = backend.to_host(input._data[:8]).tobytes() if input.ndim == 1 else b""
    if head.startswith(_JPEG_MAGIC):
        return decode_jpeg(input, mode, apply_exif_orientation=apply_exif_orientation)
    if head == _PNG_MAGIC:
        return decode_png(input, mode, apply_exif_orientation)
    _bytes_of(input, "decode_image")
    raise NotImplementedError("decode_image: only PNG and JPEG images are supported by ember "
                              "(the content is neither)")


def read_image(path, mode=ImageReadMode.UNCHANGED, apply_exif_orientation: bool = False):
    """:func:`decode_image` of the file at ``path``."""
    return decode_image(read_file(path), mode, apply_exif_orientation=apply_exif_orientation)


def _pixels(input, name: str) -> np.ndarray:
    """A (C, H, W) uint8 tensor with 1 or 3 channels as an (H, W[, C]) array."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: expected a uint8 tensor, got {type(input).__name__}")
    if input._data.dtype != np.uint8:
        raise RuntimeError(f"Input tensor dtype should be uint8, got {input.dtype}")
    if input.ndim != 3:
        raise RuntimeError(f"Input data should be a 3-dimensional tensor, got "
                           f"{input.ndim} dims.")
    if input.shape[0] not in (1, 3):
        raise RuntimeError(f"The number of channels should be 1 or 3, got: {input.shape[0]}")
    a = np.ascontiguousarray(backend.to_host(input._data).transpose(1, 2, 0))
    return a[:, :, 0] if a.shape[2] == 1 else a


def encode_png(input: Tensor, compression_level: int = 6) -> Tensor:
    """A (C, H, W) uint8 tensor (1 or 3 channels) as PNG bytes in a 1-D uint8 tensor, zlib
    ``compression_level`` 0-9."""
    if not 0 <= compression_level <= 9:
        raise RuntimeError("Compression level should be between 0 and 9")
    from PIL import Image  # noqa: PLC0415

    buf = io.BytesIO()
    Image.fromarray(_pixels(input, "encode_png")).save(buf, format="PNG",
                                                       compress_level=compression_level)
    return _as_tensor(buf.getvalue())


def encode_jpeg(input, quality: int = 75):
    """A (C, H, W) uint8 tensor (1 or 3 channels), or a list of them, as JPEG bytes in 1-D
    uint8 tensors, at ``quality`` 1-100 (4:2:0 chroma subsampling, libjpeg's default)."""
    if quality < 1 or quality > 100:
        raise ValueError("Image quality should be a positive number between 1 and 100")
    from PIL import Image  # noqa: PLC0415

    def one(t):
        buf = io.BytesIO()
        Image.fromarray(_pixels(t, "encode_jpeg")).save(buf, format="JPEG", quality=quality)
        return _as_tensor(buf.getvalue())

    if isinstance(input, (list, tuple)):
        if not input:
            raise ValueError("encode_jpeg requires at least one input tensor when a list is "
                             "passed")
        return [one(t) for t in input]
    return one(input)


def write_png(input: Tensor, filename, compression_level: int = 6) -> None:
    """:func:`encode_png` into the file ``filename``."""
    write_file(filename, encode_png(input, compression_level))


def write_jpeg(input: Tensor, filename, quality: int = 75) -> None:
    """:func:`encode_jpeg` into the file ``filename``."""
    write_file(filename, encode_jpeg(input, quality))
