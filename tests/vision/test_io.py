"""ember.vision.io. torchvision's own decoders are compiled code that does not load beside
the CPU torch of the tests, so the results are checked against what they must be: PNG
decoding is lossless (the pixels written), the mode conversions against values computed by
hand from libpng's transforms as torchvision sets them, and JPEG against libjpeg's own
outputs reached through Pillow by another route (the luma plane of its YCbCr output)."""
from __future__ import annotations

import inspect
import io

import numpy as np
import pytest
from PIL import Image

import ember
from ember.vision import io as EIO

from ._images import photo

RNG = np.random.default_rng(0)


def _png(img: Image.Image, **kw) -> ember.Tensor:
    buf = io.BytesIO()
    img.save(buf, format="PNG", **kw)
    return ember.tensor(np.frombuffer(buf.getvalue(), np.uint8).copy())


def _chw(a):
    return a[None] if a.ndim == 2 else a.transpose(2, 0, 1)


@pytest.mark.parametrize("mode,shape", [("L", (5, 7)), ("LA", (5, 7, 2)), ("RGB", (6, 4, 3)),
                                        ("RGBA", (3, 8, 4))])
def test_png_unchanged_is_lossless(mode, shape):
    a = RNG.integers(0, 256, shape, dtype=np.uint8)
    out = EIO.decode_png(_png(Image.fromarray(a, mode) if mode != "LA" else
                              Image.fromarray(a[:, :, 0]).convert("LA")))
    if mode == "LA":
        a = np.stack([a[:, :, 0], np.full(a.shape[:2], 255, np.uint8)], -1)
    assert out.dtype == ember.uint8 and tuple(out.shape) == _chw(a).shape
    np.testing.assert_array_equal(out.numpy(), _chw(a))
    # a permuted channels-last view, as torchvision's (contiguous with one channel)
    assert out.is_contiguous() == (out.shape[0] == 1)


def test_png_low_bit_depths_and_palettes():
    bits = (RNG.random((4, 9)) > 0.5)
    out = EIO.decode_png(_png(Image.fromarray(bits)))  # 1-bit grey: 0 and 255
    np.testing.assert_array_equal(out.numpy()[0], bits * 255)
    grey4 = Image.fromarray(RNG.integers(0, 16, (3, 5), dtype=np.uint8) * 17)
    np.testing.assert_array_equal(EIO.decode_png(_png(grey4, bits=4)).numpy()[0],
                                  np.asarray(grey4))
    pal = Image.fromarray(RNG.integers(0, 256, (4, 6, 3), dtype=np.uint8)).quantize(8)
    idx = np.asarray(pal)
    np.testing.assert_array_equal(EIO.decode_png(_png(pal)).numpy()[0], idx)  # the indices
    rgb = np.asarray(pal.convert("RGB")).transpose(2, 0, 1)
    np.testing.assert_array_equal(EIO.decode_png(_png(pal), "RGB").numpy(), rgb)
    rgba = EIO.decode_png(_png(pal), EIO.ImageReadMode.RGB_ALPHA).numpy()
    np.testing.assert_array_equal(rgba[:3], rgb)
    assert (rgba[3] == 255).all()


def test_png_mode_conversions_by_hand():
    # libpng's grey from colour with torchvision's coefficients (0.2989, 0.587): the weights
    # 9794, 19234 and 3740 (out of 32768), the sum shifted right by 15 (truncated)
    pixels = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 10, 10], [200, 100, 50]]],
                      dtype=np.uint8)
    data = _png(Image.fromarray(pixels))
    assert EIO.decode_png(data, "GRAY").numpy().ravel().tolist() == [76, 149, 29, 10, 124]
    ga = EIO.decode_png(data, EIO.ImageReadMode.GRAY_ALPHA).numpy()
    assert ga[0].ravel().tolist() == [76, 149, 29, 10, 124] and (ga[1] == 255).all()
    rgba = np.concatenate([pixels, np.array([[[7], [8], [9], [10], [11]]], np.uint8)], 2)
    data = _png(Image.fromarray(rgba))
    assert EIO.decode_png(data, "gray").numpy().ravel().tolist() == [76, 149, 29, 10, 124]
    np.testing.assert_array_equal(EIO.decode_png(data, "RGB").numpy(), _chw(pixels))
    grey = RNG.integers(0, 256, (3, 4), dtype=np.uint8)
    out = EIO.decode_png(_png(Image.fromarray(grey)), "RGBA").numpy()
    np.testing.assert_array_equal(out[:3], np.stack([grey] * 3))
    assert (out[3] == 255).all()


def test_png_refusals_name_the_problem():
    with pytest.raises(RuntimeError, match="Content is not png"):
        EIO.decode_png(ember.tensor(np.frombuffer(b"GIF89a" + b"\0" * 40, np.uint8).copy()))
    with pytest.raises(RuntimeError, match="Expected a non empty 1-dimensional tensor"):
        EIO.decode_png(ember.zeros(0, dtype=ember.uint8))
    with pytest.raises(RuntimeError, match="Expected a torch.uint8 tensor"):
        EIO.decode_png(ember.zeros(10))
    deep = Image.fromarray(RNG.integers(0, 65535, (3, 3), dtype=np.uint16))
    with pytest.raises(NotImplementedError, match="16-bit"):
        EIO.decode_png(_png(deep))
    data = _png(Image.fromarray(RNG.integers(0, 256, (20, 20, 3), dtype=np.uint8)))
    with pytest.raises(RuntimeError, match="corrupt or truncated"):
        EIO.decode_png(data[:-30])


def _jpeg(a, quality=90, **kw):
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="JPEG", quality=quality, **kw)
    return buf.getvalue()


def test_jpeg_decodes_as_libjpeg():
    a = np.clip(RNG.normal(128, 40, (17, 23, 3)), 0, 255).astype(np.uint8)
    raw = _jpeg(a)
    data = ember.tensor(np.frombuffer(raw, np.uint8).copy())
    out = EIO.decode_jpeg(data)
    np.testing.assert_array_equal(out.numpy(), np.asarray(Image.open(io.BytesIO(raw)))
                                  .transpose(2, 0, 1))
    luma = Image.open(io.BytesIO(raw))
    luma.draft("YCbCr", luma.size)  # libjpeg's YCbCr output, no colour conversion
    grey = EIO.decode_jpeg(data, "GRAY")
    np.testing.assert_array_equal(grey.numpy()[0], np.asarray(luma)[:, :, 0])
    g = EIO.decode_jpeg(ember.tensor(np.frombuffer(_jpeg(a[:, :, 0]), np.uint8).copy()))
    assert g.shape == (1, 17, 23)
    rgb = EIO.decode_jpeg(ember.tensor(np.frombuffer(_jpeg(a[:, :, 0]), np.uint8).copy()),
                          EIO.ImageReadMode.RGB).numpy()
    assert (rgb == rgb[:1]).all()
    both = EIO.decode_jpeg([data, data])
    assert isinstance(both, list) and len(both) == 2
    with pytest.raises(RuntimeError, match="not supported for JPEG"):
        EIO.decode_jpeg(data, "RGBA")
    on_device = EIO.decode_jpeg(data, device="cuda")
    assert on_device.device.type == "cuda"


def test_exif_orientation():
    a = RNG.integers(0, 256, (6, 10, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    for fmt in ("PNG", "JPEG"):
        buf = io.BytesIO()
        Image.fromarray(a).save(buf, format=fmt, exif=exif, quality=95)
        data = ember.tensor(np.frombuffer(buf.getvalue(), np.uint8).copy())
        plain = EIO.decode_image(data).numpy()
        turned = EIO.decode_image(data, apply_exif_orientation=True).numpy()
        assert turned.shape == (3, 10, 6)
        np.testing.assert_array_equal(turned, np.rot90(plain, k=-1, axes=(1, 2)))


def test_encode_write_read_roundtrip(tmp_path):
    a = RNG.integers(0, 256, (3, 9, 11), dtype=np.uint8)
    t = ember.tensor(a)
    EIO.write_png(t, tmp_path / "a.png", compression_level=9)
    np.testing.assert_array_equal(EIO.read_image(tmp_path / "a.png").numpy(), a)
    np.testing.assert_array_equal(EIO.decode_image(str(tmp_path / "a.png")).numpy(), a)
    g = ember.tensor(a[:1])
    np.testing.assert_array_equal(EIO.decode_png(EIO.encode_png(g, 0)).numpy(), a[:1])
    smooth = photo(24, 30).transpose(2, 0, 1).copy()
    EIO.write_jpeg(ember.tensor(smooth), tmp_path / "a.jpg", quality=95)
    back = EIO.read_image(tmp_path / "a.jpg", EIO.ImageReadMode.RGB).numpy().astype(int)
    assert back.shape == smooth.shape and np.abs(back - smooth).mean() < 8  # noise: ~50
    raw = EIO.read_file(tmp_path / "a.jpg")
    assert raw.dtype == ember.uint8 and raw.ndim == 1
    EIO.write_file(tmp_path / "copy.jpg", raw)
    assert (tmp_path / "copy.jpg").read_bytes() == (tmp_path / "a.jpg").read_bytes()
    assert len(EIO.encode_jpeg([t, t], quality=50)) == 2
    with pytest.raises(ValueError, match="between 1 and 100"):
        EIO.encode_jpeg(t, quality=0)
    with pytest.raises(RuntimeError, match="between 0 and 9"):
        EIO.encode_png(t, 10)
    with pytest.raises(RuntimeError, match="should be 1 or 3"):
        EIO.encode_png(ember.zeros(2, 4, 4, dtype=ember.uint8))
    with pytest.raises(RuntimeError, match="read_file"):
        EIO.read_file(tmp_path / "missing.png")
    gif = io.BytesIO()
    Image.fromarray(a[0]).save(gif, format="GIF")
    with pytest.raises(NotImplementedError, match="only PNG and JPEG"):
        EIO.decode_image(ember.tensor(np.frombuffer(gif.getvalue(), np.uint8).copy()))


def test_signatures_match_torchvision():
    TIO = pytest.importorskip("torchvision.io")
    for name in EIO.__all__:
        ours, theirs = getattr(EIO, name), getattr(TIO, name)
        if name == "ImageReadMode":
            assert [(m.name, m.value) for m in ours] == [(m.name, m.value) for m in theirs]
            continue

        def params(f):
            return [(p.name, p.kind, getattr(p.default, "name", p.default))
                    for p in inspect.signature(f).parameters.values()]
        assert params(ours) == params(theirs), name
