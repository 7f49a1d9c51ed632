"""PyTorch's ``torch.fft``: discrete Fourier transforms, with gradients.

A namespace over ember's ops (``ember/ops/spectral.py``), each function a one-line call into
them. Arguments as PyTorch's: ``n``/``s`` crop or zero-pad the signal, ``dim`` picks the
dims, ``norm`` is ``"backward"`` (the default: no scaling forward, 1/n on the inverse),
``"ortho"`` (1/sqrt(n) both ways) or ``"forward"``. Real inputs give complex64/complex128
results (float32/float64 parts; integers become the default dtype); ``out=`` is not supported.
Under autocast (CPU), the transforms PyTorch lists run in float32.
"""
from __future__ import annotations

from ._amp_state import state as _amp
from .ops import spectral as _S
from .ops._autocast import autocast_call as _autocast

__all__ = ["fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2",
           "rfftn", "irfftn", "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn", "fftfreq",
           "rfftfreq", "fftshift", "ifftshift"]


def _one(n, dim):
    return None if n is None else (n,), (dim,)


def fft(input, n=None, dim=-1, norm=None, *, out=None):
    """The 1-D DFT of ``input`` along ``dim`` (complex result)."""
    if _amp.on:
        return _autocast("fft_fft", fft, input, n, dim, norm, out=out)
    _S._check_out("fft", out)
    return _S.c2c("fft", input, *_one(n, dim), norm, True)


def ifft(input, n=None, dim=-1, norm=None, *, out=None):
    """The 1-D inverse DFT along ``dim``."""
    if _amp.on:
        return _autocast("fft_ifft", ifft, input, n, dim, norm, out=out)
    _S._check_out("ifft", out)
    return _S.c2c("ifft", input, *_one(n, dim), norm, False)


def fft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """The 2-D DFT over ``dim`` (the last two by default)."""
    if _amp.on:
        return _autocast("fft_fft2", fft2, input, s, dim, norm, out=out)
    _S._check_out("fft2", out)
    return _S.c2c("fft2", input, s, dim, norm, True)


def ifft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """The 2-D inverse DFT over ``dim``."""
    if _amp.on:
        return _autocast("fft_ifft2", ifft2, input, s, dim, norm, out=out)
    _S._check_out("ifft2", out)
    return _S.c2c("ifft2", input, s, dim, norm, False)


def fftn(input, s=None, dim=None, norm=None, *, out=None):
    """The N-D DFT over ``dim`` (all dims, or the last len(s), by default)."""
    if _amp.on:
        return _autocast("fft_fftn", fftn, input, s, dim, norm, out=out)
    _S._check_out("fftn", out)
    return _S.c2c("fftn", input, s, dim, norm, True)


def ifftn(input, s=None, dim=None, norm=None, *, out=None):
    """The N-D inverse DFT over ``dim``."""
    if _amp.on:
        return _autocast("fft_ifftn", ifftn, input, s, dim, norm, out=out)
    _S._check_out("ifftn", out)
    return _S.c2c("ifftn", input, s, dim, norm, False)


def rfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The 1-D DFT of a real signal: the n // 2 + 1 non-negative frequencies."""
    if _amp.on:
        return _autocast("fft_rfft", rfft, input, n, dim, norm, out=out)
    _S._check_out("rfft", out)
    return _S.r2c("rfft", input, *_one(n, dim), norm, True)


def irfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The inverse of :func:`rfft`: a real signal of length ``n`` (default 2 (m - 1))."""
    if _amp.on:
        return _autocast("fft_irfft", irfft, input, n, dim, norm, out=out)
    _S._check_out("irfft", out)
    return _S.c2r("irfft", input, *_one(n, dim), norm, False)


def rfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """The 2-D DFT of a real signal, onesided along the last of ``dim``."""
    if _amp.on:
        return _autocast("fft_rfft2", rfft2, input, s, dim, norm, out=out)
    _S._check_out("rfft2", out)
    return _S.r2c("rfft2", input, s, dim, norm, True)


def irfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """The inverse of :func:`rfft2`."""
    if _amp.on:
        return _autocast("fft_irfft2", irfft2, input, s, dim, norm, out=out)
    _S._check_out("irfft2", out)
    return _S.c2r("irfft2", input, s, dim, norm, False)


def rfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The N-D DFT of a real signal, onesided along the last of ``dim``."""
    if _amp.on:
        return _autocast("fft_rfftn", rfftn, input, s, dim, norm, out=out)
    _S._check_out("rfftn", out)
    return _S.r2c("rfftn", input, s, dim, norm, True)


def irfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The inverse of :func:`rfftn`."""
    if _amp.on:
        return _autocast("fft_irfftn", irfftn, input, s, dim, norm, out=out)
    _S._check_out("irfftn", out)
    return _S.c2r("irfftn", input, s, dim, norm, False)


def hfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The DFT of a Hermitian-symmetric signal given by its first half: a real result."""
    if _amp.on:
        return _autocast("fft_hfft", hfft, input, n, dim, norm, out=out)
    _S._check_out("hfft", out)
    return _S.c2r("hfft", input, *_one(n, dim), norm, True)


def ihfft(input, n=None, dim=-1, norm=None, *, out=None):
    """The inverse of :func:`hfft`: the first half of the inverse DFT of a real signal."""
    if _amp.on:
        return _autocast("fft_ihfft", ihfft, input, n, dim, norm, out=out)
    _S._check_out("ihfft", out)
    return _S.r2c("ihfft", input, *_one(n, dim), norm, False)


def hfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """The 2-D :func:`hfft`."""
    _S._check_out("hfft2", out)
    return _S.c2r("hfft2", input, s, dim, norm, True)


def ihfft2(input, s=None, dim=(-2, -1), norm=None, *, out=None):
    """The 2-D :func:`ihfft`."""
    _S._check_out("ihfft2", out)
    return _S.r2c("ihfft2", input, s, dim, norm, False)


def hfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The N-D :func:`hfft`."""
    _S._check_out("hfftn", out)
    return _S.c2r("hfftn", input, s, dim, norm, True)


def ihfftn(input, s=None, dim=None, norm=None, *, out=None):
    """The N-D :func:`ihfft`."""
    _S._check_out("ihfftn", out)
    return _S.r2c("ihfftn", input, s, dim, norm, False)


def fftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None,
            requires_grad=False):
    """The sample frequencies [0, 1, ..., -(n // 2), ..., -1] / (d n) of an n-point DFT."""
    _S._check_out("fftfreq", out)
    _strided(layout)
    return _S.frequencies(n, d, False, dtype, device, requires_grad)


def rfftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    """The non-negative sample frequencies [0, 1, ..., n // 2] / (d n) (:func:`rfft`'s)."""
    _S._check_out("rfftfreq", out)
    _strided(layout)
    return _S.frequencies(n, d, True, dtype, device, requires_grad)


def fftshift(input, dim=None):
    """Roll the zero frequency to the middle of ``dim`` (all dims by default)."""
    return _S.shift(input, dim, False)


def ifftshift(input, dim=None):
    """The inverse of :func:`fftshift`."""
    return _S.shift(input, dim, True)


def _strided(layout):
    if layout is not None:
        raise NotImplementedError(f"fftfreq(layout={layout}): ember has no layouts but the "
                                  "strided one; leave layout out")
