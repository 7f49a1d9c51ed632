"""Complex numbers: parts as views (real, imag, view_as_real, view_as_complex), conj, complex,
polar, angle.

Gradients follow PyTorch's convention for complex autograd: the gradient of a real loss L with
respect to z = x + iy is dL/dx + i dL/dy (the conjugate Wirtinger derivative, times two), so
that a step along -grad descends. A real input of a complex op receives the real part of its
complex gradient (the engine takes it). ember has no lazy conjugate bit: ``conj`` copies, and
``is_conj()`` is always False.
"""
from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..autograd.function import Op
from ..tensor import Tensor, _wrap
from ._autocast import amp_state, autocast_call
from .elementwise import Cast, sgn, sign, where
from ._util import xp_of

__all__ = ["real", "imag", "view_as_real", "view_as_complex", "conj", "conj_physical",
           "resolve_conj", "resolve_neg", "is_conj", "is_neg", "is_complex", "complex", "polar",
           "angle"]

_REAL_OF = {np.dtype(np.complex64): np.dtype(np.float32),
            np.dtype(np.complex128): np.dtype(np.float64)}


def _parts(x):
    """``x`` (complex) as a real array of shape (..., 2) on the same memory."""
    xp = xp_of(x)
    r = x.real
    step = r.itemsize
    return xp.lib.stride_tricks.as_strided(r, x.shape + (2,), r.strides + (step,))


class Real(Op):
    """The real part of a complex tensor, a view. Backward: g (as a complex gradient)."""

    complex_support = "own"
    view = True

    @staticmethod
    def forward(ctx, x):
        return x.real

    @staticmethod
    def backward(ctx, g):
        return g  # the engine makes it complex: g + 0i

    @staticmethod
    def fast_backward(ctx, g):
        return (g,)


class Imag(Op):
    """The imaginary part of a complex tensor, a view. Backward: i g."""

    complex_support = "own"
    view = True

    @staticmethod
    def forward(ctx, x):
        return x.imag

    @staticmethod
    def backward(ctx, g):
        return g * 1j

    @staticmethod
    def fast_backward(ctx, g):
        return (g * 1j,)


class ViewAsReal(Op):
    """A complex tensor as real pairs (..., 2), a view. Backward: the pairs as complex numbers."""

    complex_support = "own"
    view = True

    @staticmethod
    def forward(ctx, x):
        return _parts(x)

    @staticmethod
    def backward(ctx, g):
        return complex(g[..., 0], g[..., 1])

    @staticmethod
    def fast_backward(ctx, g):
        return (g[..., 0] + 1j * g[..., 1],)


class ViewAsComplex(Op):
    """Real pairs (..., 2) as complex numbers, a view. Backward: the gradient as real pairs."""

    complex_support = "own"
    view = True

    @staticmethod
    def forward(ctx, x):
        c = np.dtype(np.complex64 if x.dtype == np.float32 else np.complex128)
        if not x.size:
            return xp_of(x).zeros(x.shape[:-1], dtype=c)
        return x.view(c)[..., 0]

    @staticmethod
    def backward(ctx, g):
        return view_as_real(g)

    @staticmethod
    def fast_backward(ctx, g):
        return (_parts(g),)


class Conj(Op):
    """The complex conjugate (a copy: ember has no lazy conjugate bit). Backward: conj(g)."""

    complex_support = "own"

    @staticmethod
    def forward(ctx, x):
        return xp_of(x).conj(x)

    @staticmethod
    def backward(ctx, g):
        return conj_physical(g)

    @staticmethod
    def fast_backward(ctx, g):
        return (xp_of(g).conj(g),)


class Complex(Op):
    """real + i imag from two real tensors (broadcasting). Backward: (re g, im g)."""

    complex_support = "own"

    @staticmethod
    def forward(ctx, re, im):
        xp = xp_of(re)
        shape = np.broadcast_shapes(re.shape, im.shape)
        out = xp.empty(shape, dtype=np.complex64 if re.dtype == np.float32 else np.complex128)
        out.real[...] = re
        out.imag[...] = im
        return out

    @staticmethod
    def backward(ctx, g):
        n = ctx.needs_input_grad
        return (real(g) if n[0] else None), (imag(g) if n[1] else None)

    @staticmethod
    def fast_backward(ctx, g):
        n = ctx.needs_input_grad
        return (g.real if n[0] else None), (g.imag if n[1] else None)


class Polar(Op):
    """abs (cos angle + i sin angle). Backward (PyTorch's): re(conj(g) sgn(out)) for abs and
    re(conj(g) i out) for angle."""

    complex_support = "own"

    @staticmethod
    def forward(ctx, r, theta):
        xp = xp_of(r)
        shape = np.broadcast_shapes(r.shape, theta.shape)
        out = xp.empty(shape, dtype=np.complex64 if r.dtype == np.float32 else np.complex128)
        out.real[...] = r * xp.cos(theta)
        out.imag[...] = r * xp.sin(theta)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        out, = ctx.saved_tensors
        n = ctx.needs_input_grad
        gc = conj_physical(g)
        g_abs = real(gc * sgn(out)) if n[0] else None
        g_angle = real(gc * (out * 1j)) if n[1] else None
        return g_abs, g_angle


class Angle(Op):
    """The argument atan2(im, re) of a complex tensor (a real result). Backward:
    g i z / |z|^2 (0 at z = 0), PyTorch's."""

    complex_support = "own"

    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return xp_of(z).angle(z)

    @staticmethod
    def backward(ctx, g):
        z, = ctx.saved_tensors
        mag2 = real(z * conj_physical(z))
        zero = mag2 == 0
        return where(zero, 0.0, g * z / where(zero, 1.0, mag2) * 1j)


def _need_complex(name, t):
    if not isinstance(t, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(t).__name__}")
    return t._data.dtype.kind == "c"


def real(input: Tensor) -> Tensor:
    """The real part (a view; a real tensor itself)."""
    if not _need_complex("real", input):
        return input
    return Real.apply(input)


def imag(input: Tensor) -> Tensor:
    """The imaginary part (a view); complex tensors only."""
    if not _need_complex("imag", input):
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return Imag.apply(input)


def view_as_real(input: Tensor) -> Tensor:
    """A complex tensor of shape (*) as a real one of shape (*, 2) on the same memory."""
    if not _need_complex("view_as_real", input):
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return ViewAsReal.apply(input)


def view_as_complex(input: Tensor) -> Tensor:
    """A float32/float64 tensor of shape (*, 2) as a complex one of shape (*), sharing memory.

    As in PyTorch the last dimension must have size 2 and stride 1, and every other stride
    must be even."""
    if amp_state.on:
        return autocast_call("view_as_complex", view_as_complex, input)
    if not isinstance(input, Tensor):
        raise TypeError(f"view_as_complex(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    d = input._data
    if d.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"view_as_complex is only supported for float and double tensors, "
                           f"but got a tensor of scalar type: {input.dtype}")
    if d.ndim == 0 or d.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    if d.size:  # (an empty tensor's strides say nothing)
        st = [s // d.itemsize for s in d.strides]
        if st[-1] != 1:
            raise RuntimeError("Tensor must have a last dimension with stride 1")
        if any(s % 2 for s, n in zip(st[:-1], d.shape[:-1]) if n > 1):
            raise RuntimeError("Tensor must have a stride divisible by 2 for all but last "
                               "dimension")
    return ViewAsComplex.apply(input)


def conj_physical(input: Tensor) -> Tensor:
    """The complex conjugate as a new tensor (a real tensor itself)."""
    if not _need_complex("conj_physical", input):
        return input
    return Conj.apply(input)


def conj(input: Tensor) -> Tensor:
    """The complex conjugate. PyTorch returns a lazily conjugated view; ember computes it (a
    new tensor, so writes to it do not reach ``input``). Real tensors: ``input`` itself."""
    return conj_physical(input)


def resolve_conj(input: Tensor) -> Tensor:
    """``input`` itself: ember never holds a lazily conjugated tensor."""
    return input


def resolve_neg(input: Tensor) -> Tensor:
    """``input`` itself: ember never holds a lazily negated tensor."""
    return input


def is_conj(input: Tensor) -> bool:
    """False: ember's ``conj`` computes the conjugate instead of setting a bit."""
    _need_complex("is_conj", input)
    return False


def is_neg(input: Tensor) -> bool:
    """False: ember has no lazily negated tensors."""
    _need_complex("is_neg", input)
    return False


def is_complex(input: Tensor) -> bool:
    """Whether ``input`` has a complex dtype (complex64 or complex128)."""
    return input._data.dtype.kind == "c"


def _same_float(name, a, b, message):
    for t in (a, b):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): expected Tensor arguments, got {type(t).__name__}")
    da, db = a._data.dtype, b._data.dtype
    if da.kind != "f" or db.kind != "f":
        raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                           f"{_c10(a)} and {_c10(b)}")
    if da != db:
        raise RuntimeError(message.format(_c10(a), _c10(b)))
    if da == np.float16:
        raise NotImplementedError(f"{name}(): ember has no complex32 (ComplexHalf): convert the "
                                  "inputs to float32 first")
    if type(a._data) is not type(b._data):
        raise RuntimeError(f"{name}(): expected both inputs on the same device, got "
                           f"{a.device} and {b.device}")
    try:
        np.broadcast_shapes(a._data.shape, b._data.shape)
    except ValueError:
        raise RuntimeError(f"{name}(): the shapes {list(a.shape)} and {list(b.shape)} are not "
                           "broadcastable") from None


def _c10(t):
    """PyTorch's C++ name of a dtype, as its error messages print it."""
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
            "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
            "bfloat16": "BFloat16", "complex64": "ComplexFloat",
            "complex128": "ComplexDouble"}[t.dtype.name]


_SECOND = "Expected object of scalar type {0} but got scalar type {1} for second argument"


def complex(real: Tensor, imag: Tensor) -> Tensor:  # noqa: A001 - PyTorch's name
    """The complex tensor real + i imag (float32 -> complex64, float64 -> complex128)."""
    _same_float("complex", real, imag, _SECOND)
    return Complex.apply(real, imag)


def polar(abs: Tensor, angle: Tensor) -> Tensor:  # noqa: A002 - PyTorch's names
    """The complex tensor abs (cos angle + i sin angle)."""
    if amp_state.on:
        return autocast_call("polar", polar, abs, angle)
    _same_float("polar", abs, angle, _SECOND)
    return Polar.apply(abs, angle)


def angle(input: Tensor) -> Tensor:
    """The argument of each element: atan2(imag, real) for complex, pi or 0 for real numbers
    (pi where negative; NaN stays NaN; integers give the default float dtype)."""
    if _need_complex("angle", input):
        return Angle.apply(input)
    x = input
    if x._data.dtype.kind != "f" and x._data.dtype != backend.BF16:
        x = Cast.apply(x, backend.get_default_dtype().np)
    xp = xp_of(x._data)
    vals = xp.where(xp.isnan(x._data), x._data, xp.where(x._data < 0, math.pi, 0.0))
    const = _wrap(xp.asarray(vals, dtype=x._data.dtype), False, None, 0)
    if x.requires_grad:  # a zero gradient flows back, as PyTorch's
        return sign(x) * 0 + const
    return const
