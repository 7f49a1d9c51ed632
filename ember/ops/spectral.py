"""Discrete Fourier transforms, the ops behind ``ember.fft``.

Three ops do the work, each over a set of dims and times a real ``scale`` (the ``norm``):
complex-to-complex (:class:`FFTC2C`), real-to-complex onesided (:class:`FFTR2C`, ``rfftn``)
and complex-to-real (:class:`FFTC2R`, ``irfftn``). The sizes ``n``/``s`` are applied before
them by cropping or zero-padding (differentiable ops), so each transform sees exactly the
sizes it transforms. Gradients follow PyTorch's convention for complex numbers (conjugate
Wirtinger): the gradient of a transform is its adjoint -- the opposite transform with the same
scale; a real input gets the real part. NumPy's (or CuPy's) ``fft`` module does the transforms
for the array module of the input.
"""
from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..autograd.function import Op
from ..tensor import Tensor, _wrap
from ._util import complex_of, norm_dim, xp_of
from .complex_ops import conj_physical, real
from .shape import pad

__all__: list = []  # the functions are PyTorch's ``torch.fft.*`` (see ember/fft.py), not top level

_NORMS = (None, "backward", "ortho", "forward")


def _scale(norm, n: int, forward: bool) -> float:
    """The factor after the unnormalised transform of ``n`` points in direction ``forward``."""
    if norm not in _NORMS:
        raise RuntimeError(f'Invalid normalization mode: "{norm}"')
    if norm == "ortho":
        return 1.0 / math.sqrt(n) if n else 1.0
    if (norm in (None, "backward")) != forward:  # backward's inverse, forward's forward
        return 1.0 / n if n else 1.0
    return 1.0


def _unnormalised(xp, kind, x, axes, s=None):
    """NumPy's transform ``kind`` of ``x`` without any scaling, in x's precision."""
    f = getattr(xp.fft, kind)
    norm = "forward" if kind.startswith("i") else "backward"  # the unscaled direction
    return f(x, axes=axes, norm=norm) if s is None else f(x, s=s, axes=axes, norm=norm)


def _scaled(out, scale, dt):
    out = out.astype(dt, copy=False)  # NumPy < 2 computes float32 data in double precision
    if scale != 1.0:
        out *= scale
    return out


class FFTC2C(Op):
    """y = scale * DFT(x) over ``dims`` (``forward``: exp(-2 pi i jk/n), else exp(+...)).

    Backward: the adjoint, scale * DFT in the opposite direction.
    """

    complex_support = "own"

    @staticmethod
    def forward(ctx, x, dims, forward, scale):
        ctx.dims, ctx.fwd, ctx.scale = dims, forward, scale
        if not dims:
            return x.copy()
        out = _unnormalised(xp_of(x), "fftn" if forward else "ifftn", x, dims)
        return _scaled(out, scale, x.dtype)

    @staticmethod
    def backward(ctx, g):
        return FFTC2C.apply(g, ctx.dims, not ctx.fwd, ctx.scale), None, None, None


class FFTR2C(Op):
    """y = scale * DFT(x) of real x over ``dims``, onesided over the last (n // 2 + 1 outputs).

    Backward: g zero-padded to the full last size, the inverse DFT times scale, real part.
    """

    @staticmethod
    def forward(ctx, x, dims, scale):
        ctx.dims, ctx.scale, ctx.n = dims, scale, x.shape[dims[-1]]
        out = _unnormalised(xp_of(x), "rfftn", x, dims)
        return _scaled(out, scale, complex_of(x.dtype))

    @staticmethod
    def backward(ctx, g):
        d = ctx.dims[-1]
        widths = [0, 0] * (g.ndim - 1 - d) + [0, ctx.n - g.shape[d]]
        full = FFTC2C.apply(pad(g, widths), ctx.dims, False, ctx.scale)
        return real(full), None, None


class FFTC2R(Op):
    """y = scale * inverse DFT over ``dims`` of a Hermitian signal given by its first
    n // 2 + 1 coefficients along the last dim; y is real, n long there (the imaginary parts of
    the coefficients that must be real are ignored).

    Backward (the adjoint): the onesided DFT of g times scale, the coefficients that stand
    for two (all but the first, and the last when n is even) doubled.
    """

    complex_support = "own"

    @staticmethod
    def forward(ctx, x, dims, n, scale):
        ctx.dims, ctx.n, ctx.scale = dims, n, scale
        s = [x.shape[d] for d in dims[:-1]] + [n]
        out = _unnormalised(xp_of(x), "irfftn", x, dims, s)
        return _scaled(out, scale, _REAL[x.dtype])

    @staticmethod
    def backward(ctx, g):
        gi = FFTR2C.apply(g, ctx.dims, ctx.scale)
        d = ctx.dims[-1]
        m = gi.shape[d]
        twice = ctx.n - m
        if twice > 0:
            xp = xp_of(g._data)
            w = xp.ones(m, dtype=g._data.dtype)
            w[1:1 + twice] = 2.0
            w = w.reshape((m,) + (1,) * (gi.ndim - 1 - d))
            gi = gi * _wrap(w, False, None, 0)
        return gi, None, None, None


_REAL = {np.dtype(np.complex64): np.dtype(np.float32),
         np.dtype(np.complex128): np.dtype(np.float64)}


# ---------------------------------------------------------------------------- arguments


def _prepare(name, x, complex_ok=True, real_ok=True):
    """``x`` in a dtype the transform takes: integers and bools become the default float."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(x).__name__}")
    dt = x._data.dtype
    if dt.kind == "c":
        if not complex_ok:
            raise RuntimeError(f"{name} expects a real input tensor, but got "
                               f"{_C10[x.dtype.name]}")
        return x
    if dt.kind in "biu":
        x = x.to(backend.get_default_dtype())
    elif dt.kind != "f" or dt == np.float16:
        raise RuntimeError(f"Unsupported dtype {_C10.get(x.dtype.name, x.dtype.name)}")
    if not real_ok:
        x = x.to(complex_of(x._data.dtype))
    return x


_C10 = {"float16": "Half", "bfloat16": "BFloat16", "complex64": "ComplexFloat",
        "complex128": "ComplexDouble", "float32": "Float", "float64": "Double"}


def _dims_and_sizes(name, x, s, dim, default_dims):
    """The transform dims (normalised, unique) and the signal size along each (``s``, with -1
    for 'as is'), from PyTorch's rules: ``s`` alone names the last len(s) dims."""
    nd = x._data.ndim
    if dim is None:
        if s is not None:
            s = [int(v) for v in s]
            if len(s) > nd:
                raise RuntimeError(f"Got shape with {len(s)} values but input tensor only has "
                                   f"{nd} dimensions.")
            dims = list(range(nd - len(s), nd))
        else:
            dims = list(range(nd)) if default_dims is None else \
                [norm_dim(d, nd, name) for d in default_dims]
    else:
        single = isinstance(dim, (int, np.integer))
        dims = [dim] if single else list(dim)
        if nd == 0:
            raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
        dims = [_dim(d, nd) for d in dims]
    if len(set(dims)) != len(dims):
        raise RuntimeError("FFT dims must be unique")
    if s is None:
        sizes = [x._data.shape[d] for d in dims]
    else:
        s = [int(v) for v in s]
        if len(s) != len(dims):
            raise RuntimeError(f"When given, dim and shape arguments must have the same length "
                               f"(got {len(dims)} dims and {len(s)} sizes)")
        sizes = [x._data.shape[d] if v == -1 else v for d, v in zip(dims, s)]
    for v in sizes:
        if v < 1:
            raise RuntimeError(f"Invalid number of data points ({v}) specified")
    return dims, sizes


def _dim(d, nd):
    if not -nd <= d < nd:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], "
                         f"but got {d})")
    return d % nd


def _resize(x, dims, sizes):
    """Crop or zero-pad ``x`` at the end of each of ``dims`` to ``sizes``."""
    idx = [slice(None)] * x._data.ndim
    widths = [0, 0] * x._data.ndim  # (last dim first, as pad takes them)
    crop = grow = False
    for d, n in zip(dims, sizes):
        have = x._data.shape[d]
        if n < have:
            idx[d], crop = slice(0, n), True
        elif n > have:
            widths[2 * (x._data.ndim - 1 - d) + 1], grow = n - have, True
    if crop:
        x = x[tuple(idx)]
    if grow:
        x = pad(x, widths)
    return x


def _check_out(name, out):
    if out is not None:
        raise NotImplementedError(f"{name}(): out= is not supported by ember; use the returned "
                                  "tensor")


def _count(sizes):
    n = 1
    for v in sizes:
        n *= v
    return n


# ---------------------------------------------------------------------------- the transforms


def c2c(name, input, s, dim, norm, forward, default_dims=None):
    """``fft``/``ifft``/``fftn``/``ifftn``: complex-to-complex over the chosen dims."""
    x = _prepare(name, input, real_ok=False)
    dims, sizes = _dims_and_sizes(name, x, s, dim, default_dims)
    x = _resize(x, dims, sizes)
    return FFTC2C.apply(x, tuple(dims), forward, _scale(norm, _count(sizes), forward))


def r2c(name, input, s, dim, norm, forward, default_dims=None):
    """``rfft``/``rfftn`` (``forward``) and ``ihfft``/``ihfftn`` (the conjugate of the
    onesided inverse): real input, onesided complex output along the last dim."""
    x = _prepare(name, input, complex_ok=False)
    dims, sizes = _dims_and_sizes(name, x, s, dim, default_dims)
    if not dims:
        raise RuntimeError(f"{name} must transform at least one axis")
    x = _resize(x, dims, sizes)
    scale = _scale(norm, _count(sizes), forward)
    out = FFTR2C.apply(x, tuple(dims), scale)
    return out if forward else conj_physical(out)


def c2r(name, input, s, dim, norm, forward, default_dims=None):
    """``irfft``/``irfftn`` (inverse) and ``hfft``/``hfftn`` (forward, of the conjugate):
    onesided complex input along the last dim, real output of the last size ``n``
    (default 2 (m - 1))."""
    x = _prepare(name, input, real_ok=False)
    dims, sizes = _dims_and_sizes(name, x, s, dim, default_dims)
    if not dims:
        raise RuntimeError(f"{name} must transform at least one axis")
    last = dims[-1]
    if s is None or list(s)[-1] == -1:
        sizes[-1] = 2 * (x._data.shape[last] - 1)
        if sizes[-1] < 1:
            raise RuntimeError(f"Invalid number of data points ({sizes[-1]}) specified")
    n = sizes[-1]
    x = _resize(x, dims, sizes[:-1] + [n // 2 + 1])
    if forward:
        x = conj_physical(x)
    scale = _scale(norm, _count(sizes), forward)
    return FFTC2R.apply(x, tuple(dims), n, scale)


def frequencies(n, d, onesided, dtype, device, requires_grad):
    """The sample frequencies of a DFT of ``n`` points spaced ``d`` (``fftfreq``/``rfftfreq``)."""
    from .creation import arange  # noqa: PLC0415

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"fftfreq(): argument 'n' must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError(f"fftfreq: n must be non-negative, got {n}")
    dt = backend.get_default_dtype() if dtype is None else backend.to_dtype(dtype)
    if onesided:
        k = arange(n // 2 + 1, dtype=dt, device=device)
    else:
        k = arange(n, dtype=dt, device=device)
        half = (n + 1) // 2
        k._data[half:] -= n
    k._data /= (n * d) if n else 1.0
    if requires_grad:
        k.requires_grad_(True)
    return k


def shift(input, dim, inverse):
    """Move the zero frequency to the middle (``fftshift``) or back (``ifftshift``)."""
    from .shape import roll  # noqa: PLC0415

    nd = input._data.ndim
    if dim is None:
        dims = list(range(nd))
    elif isinstance(dim, (int, np.integer)):
        dims = [_dim(int(dim), nd)]
    else:
        dims = [_dim(int(d), nd) for d in dim]
    if not dims:
        return input
    shifts = [(input._data.shape[d] + (1 if inverse else 0)) // 2 for d in dims]
    return roll(input, shifts, dims)
