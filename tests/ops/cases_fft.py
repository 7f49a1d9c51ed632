"""Op-table rows of ``ember.fft`` (``ember/ops/spectral.py``): every transform, with sizes that
crop and pad, each norm, real and complex inputs, batches and odd/even lengths."""
from __future__ import annotations

from ..opcheck import N, T, Z, ZT
from .cases import row

_NORMS = ("backward", "ortho", "forward")


def _fft(name, **kw):
    return lambda m, x: getattr(m.fft, name)(x, **kw)


CASES = [
    # (a zero-size batch is left out: PyTorch's MKL kernel fails on it)
    row("fft", _fft("fft"), [(N(8),), (N(3, 5),), (T(4, 3),), (Z(2, 6),), (ZT(3, 4),), (N(1),)]),
    row("fft_n_dim_norm", lambda m, x: m.fft.fft(x, n=6, dim=0, norm="ortho")
        + m.fft.fft(x, n=6, dim=0, norm="forward"), [(N(4, 3),), (Z(8, 2),)]),
    row("ifft", lambda m, x: sum(m.fft.ifft(x, n=5, norm=nm) for nm in _NORMS),
        [(Z(3, 7),), (N(4),)]),
    row("fft2", _fft("fft2"), [(N(3, 4),), (Z(2, 3, 5),), (T(4, 3),)]),
    row("ifft2", lambda m, x: m.fft.ifft2(x, s=(3, 6), norm="ortho"), [(Z(2, 4, 4),)]),
    row("fftn", lambda m, x: m.fft.fftn(x) + m.fft.fftn(x, s=(2, 5), dim=(0, 2)).sum(),
        [(N(3, 4, 5),), (Z(2, 3, 4),)]),
    row("fftn_s_only", lambda m, x: m.fft.fftn(x, s=(3, 2)), [(N(2, 4, 4),)]),
    row("fftn_0d", lambda m, x: m.fft.fftn(x), [(N(),)]),
    row("ifftn", lambda m, x: m.fft.ifftn(x, dim=(-1, 0), norm="forward"), [(Z(3, 2, 4),)]),
    row("rfft", lambda m, x: sum(m.fft.rfft(x, norm=nm) for nm in _NORMS),
        [(N(8),), (N(7),), (N(3, 6),), (T(5, 3),), (N(1),)]),
    row("rfft_n", lambda m, x: m.fft.rfft(x, n=9, dim=0) + m.fft.rfft(x, n=3, dim=0)[:1].sum(),
        [(N(6, 2),)]),
    row("irfft", lambda m, x: sum(m.fft.irfft(x, norm=nm) for nm in _NORMS),
        [(Z(5),), (Z(3, 4),), (N(2, 5),), (Z(2),)]),
    row("irfft_n", lambda m, x: m.fft.irfft(x, n=7) + m.fft.irfft(x, n=4).sum(-1, keepdim=True),
        [(Z(2, 5),), (ZT(4, 2),)]),
    row("rfft2", lambda m, x: m.fft.rfft2(x) + m.fft.rfft2(x, norm="ortho"),
        [(N(4, 6),), (N(2, 3, 5),)]),
    row("irfft2", lambda m, x: m.fft.irfft2(x, s=(4, 6)), [(Z(4, 4),), (Z(2, 3, 3),)]),
    row("rfftn", lambda m, x: m.fft.rfftn(x, dim=(0, 2)), [(N(3, 2, 4),)]),
    row("irfftn", lambda m, x: m.fft.irfftn(x, s=(3, 5), norm="forward"), [(Z(2, 3, 3),)]),
    row("hfft", lambda m, x: sum(m.fft.hfft(x, norm=nm) for nm in _NORMS), [(Z(5),), (Z(2, 4),)]),
    row("ihfft", lambda m, x: sum(m.fft.ihfft(x, norm=nm) for nm in _NORMS), [(N(6),), (N(2, 5),)]),
    row("hfft2_ihfft2", lambda m, x: m.fft.hfft2(m.fft.ihfft2(x), s=(3, 4)), [(N(3, 4),)]),
    row("hfftn_ihfftn", lambda m, x: m.fft.hfftn(x, s=(4, 6)).sum() * m.fft.ihfftn(x.real),
        [(Z(4, 4),)]),
    row("fftshift", lambda m, x: m.fft.fftshift(x) + m.fft.ifftshift(x, dim=0),
        [(N(5, 4),), (Z(3, 6),)]),
    row("fftshift_dims", lambda m, x: m.fft.ifftshift(m.fft.fftshift(x, dim=(0, 2)), dim=-1),
        [(N(3, 2, 5),)]),
    row("fnet_mixing", lambda m, x: m.fft.fft(m.fft.fft(x, dim=-1), dim=-2).real,
        [(N(2, 5, 4),)]),
    row("fourier_features", lambda m, x, b: m.cat([m.sin(x @ b), m.cos(x @ b)], -1)
        + m.fft.rfft(x @ b, dim=-1).abs().sum(-1, keepdim=True), [(N(4, 2), N(2, 6))]),
]
