"""Determinants and norms: det, slogdet, logdet, vector/matrix norms and the condition number.

``det``/``slogdet`` are ops with PyTorch's gradients (the cofactor matrix, from the SVD, at an
exactly singular matrix); the norms are compositions of ember's reductions and of the SVD.
"""
from __future__ import annotations

import math

import numpy as np

from .. import backend
from .. import return_types as RT
from ..autograd.function import Op
from ..tensor import Tensor, _wrap
from ._autocast import with_policy
from ._util import norm_dims, xp_of
from .complex_ops import conj_physical
from .decomp import SVD, linalg_svd, linalg_svdvals
from .elementwise import abs as _abs
from .elementwise import where
from .linsolve import c10, check_matrix, la, linalg_inv, mH, no_out, real_dtype
from .products import matmul
from .reduce import Norm, amax, amin
from .reduce import sum as _sum
from .shape import movedim, stack

__all__ = ["det", "logdet", "slogdet"]


# ---------------------------------------------------------------------------- determinants


class Det(Op):
    """det(A). Backward: g conj(det) A^-H; for a singular matrix the cofactor matrix from the
    SVD A = U diag(s) Vh: conj(det U det Vh) U diag(prod of the other s) Vh, times g."""

    complex_support = "own"

    @staticmethod
    def forward(ctx, a):
        out = la(xp_of(a), "det")(a)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, d = ctx.saved_tensors
        xp = xp_of(a._data)
        singular = d._data == 0
        eye = _wrap(xp.eye(a._data.shape[-1], dtype=a._data.dtype), False, None, 0)
        s_mask = _wrap(singular[..., None, None], False, None, 0)
        safe = where(s_mask, eye, a)
        grad = (g * conj_physical(d)).unsqueeze(-1).unsqueeze(-1) * mH(linalg_inv(safe))
        if bool(singular.any()):
            grad = where(s_mask, _cofactor_grad(a, g), grad)
        return grad


def _cofactor_grad(a, g):
    u, s, vh = linalg_svd(a, full_matrices=False)
    alpha = conj_physical(_det_raw(u) * _det_raw(vh)) * g
    n = s.shape[-1]
    xp = xp_of(s._data)
    others = []
    for i in range(n):  # prod of the other singular values (n is the matrix size)
        keep = _wrap(xp.arange(n) != i, False, None, 0)
        others.append(where(keep, s, 1.0).prod(-1))
    d = stack(others, -1) * alpha.unsqueeze(-1)
    return matmul(u * d.unsqueeze(-2), vh)


def _det_raw(t):
    return Det.apply(t)


def linalg_det(A: Tensor, *, out=None) -> Tensor:
    """The determinant of each square matrix of A."""
    no_out("linalg.det", out)
    check_matrix("linalg.det", A)
    return Det.apply(A)


def det(input: Tensor) -> Tensor:
    """``torch.det``: :func:`linalg_det`."""
    check_matrix("linalg.det", input)
    return Det.apply(input)


class Slogdet(Op):
    """(sign, log|det A|). Backward: (g_logabs + i c) A^-H with c = -Im(conj(g_sign) sign) for
    complex A (the sign of a real matrix is piecewise constant: its gradient is zero)."""

    complex_support = "own"

    @staticmethod
    def forward(ctx, a):
        sign, logabs = la(xp_of(a), "slogdet")(a)
        sign = xp_of(a).asarray(sign, dtype=a.dtype)
        ctx.save_for_backward(a, sign)
        return sign, xp_of(a).asarray(logabs, dtype=real_dtype(a.dtype))

    @staticmethod
    def backward(ctx, g_sign, g_logabs):
        a, sign = ctx.saved_tensors
        w = g_logabs
        if a.is_complex():
            c = -(conj_physical(g_sign) * sign).imag
            w = g_logabs + c * 1j
        return w.unsqueeze(-1).unsqueeze(-1) * mH(linalg_inv(a))


def linalg_slogdet(A: Tensor, *, out=None):
    """``(sign, logabsdet)``: det(A) = sign exp(logabsdet), stable for large or tiny
    determinants (sign 0 and logabsdet -inf for a singular matrix)."""
    no_out("linalg.slogdet", out)
    check_matrix("linalg.slogdet", A)
    return RT.linalg_slogdet(Slogdet.apply(A))


def slogdet(input: Tensor, *, out=None):
    """``torch.slogdet``: :func:`linalg_slogdet` as ``torch.return_types.slogdet``."""
    no_out("slogdet", out)
    check_matrix("linalg.slogdet", input)
    return RT.slogdet(Slogdet.apply(input))


def logdet(input: Tensor) -> Tensor:
    """log det(A): NaN for a real matrix with a negative determinant, -inf for a singular one
    (complex: log of the sign plus log|det|)."""
    check_matrix("logdet", input)
    sign, logabs = Slogdet.apply(input)
    if input.is_complex():
        from .elementwise import log  # noqa: PLC0415

        return log(sign) + logabs
    return where(sign == -1, float("nan"), logabs)


# ---------------------------------------------------------------------------- norms


def _float_input(name, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument must be Tensor, not {type(x).__name__}")
    if x._data.dtype.kind not in "fc" and x._data.dtype != backend.BF16:
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{c10(x)}")


def linalg_vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None,
                       out=None) -> Tensor:
    """The ``ord``-norm of x over ``dim`` (all dims when None) as a vector: (sum |x|^ord)^(1/ord);
    inf/-inf: max/min |x|; 0: the number of nonzeros. Complex x: norms of |x|."""
    no_out("linalg.vector_norm", out)
    _float_input("linalg.vector_norm", x)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    if dtype is not None:
        x = x.to(dtype)
    p = float(ord)
    if x._data.ndim == 0:
        x = x.reshape(1)
        dims = (0,)
        if keepdim:
            return linalg_vector_norm(x, p, 0, False)
    else:
        dims = norm_dims(dim, x._data.ndim, "linalg.vector_norm")
    if p < 0 and any(x._data.shape[d] == 0 for d in dims):
        raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor "
                           "because the operation does not have an identity")
    if p == math.inf and x._data.size == 0 and any(x._data.shape[d] == 0 for d in dims):
        raise RuntimeError("linalg.vector_norm cannot compute the inf norm on an empty tensor "
                           "because the operation does not have an identity")
    if x.is_complex():
        x = _abs(x)
    return Norm.apply(x, p, dims, bool(keepdim))


def linalg_matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None,
                       out=None) -> Tensor:
    """The matrix norm of A over the two ``dim``: 'fro' (Frobenius), 'nuc' (sum of singular
    values), 2/-2 (largest/smallest singular value), 1/-1 (max/min column sum of |A|),
    inf/-inf (max/min row sum)."""
    no_out("linalg.matrix_norm", out)
    _float_input("linalg.matrix_norm", A)
    if A._data.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 "
                           f"dimensions.")
    if dtype is not None:
        A = A.to(dtype)
    d0, d1 = norm_dims(dim[0], A.ndim, "linalg.matrix_norm")[0], \
        norm_dims(dim[1], A.ndim, "linalg.matrix_norm")[0]
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, "
                           f"{dim[1]})")
    if ord == "fro":
        return linalg_vector_norm(A, 2, (d0, d1), keepdim)
    if ord == "nuc" or ord in (2, -2):
        B = movedim(A, (d0, d1), (-2, -1))
        s = SVD.apply(B, False)[1] if B.requires_grad else linalg_svdvals(B)
        out = _sum(s, -1) if ord == "nuc" else (amax(s, -1) if ord == 2 else amin(s, -1))
        if keepdim:
            out = out.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
        return out
    if ord in (1, -1, math.inf, -math.inf):
        summed, kept = (d0, d1) if ord in (1, -1) else (d1, d0)
        col = _sum(_abs(A), summed, keepdim=True)
        pick = amax if ord in (1, math.inf) else amin
        out = pick(col, kept, keepdim=True)
        if not keepdim:
            out = out.squeeze(max(d0, d1)).squeeze(min(d0, d1))
        return out
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def linalg_norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, out=None, dtype=None):
    """A vector norm (``dim`` an int, or x 1-D) or a matrix norm (``dim`` a pair, or A 2-D);
    with neither ``ord`` nor ``dim``, the 2-norm of the flattened input."""
    no_out("linalg.norm", out)
    _float_input("linalg.norm", A)
    if dim is not None:
        dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        if len(dims) == 1:
            return linalg_vector_norm(A, 2 if ord is None else ord, dims[0], keepdim,
                                      dtype=dtype)
        if len(dims) != 2:
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. "
                               f"Got {list(dims)}")
        return linalg_matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
    if ord is None:
        return linalg_vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim == 1:
        return linalg_vector_norm(A, ord, None, keepdim, dtype=dtype)
    if A.ndim == 2:
        return linalg_matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D "
                       f"or 2D. Got {A.ndim}D.")


def linalg_cond(A: Tensor, p=None, *, out=None) -> Tensor:
    """The condition number: sigma_max / sigma_min (p None or 2; -2 the reverse), or
    ||A||_p ||A^-1||_p for 'fro', 'nuc', inf, -inf, 1, -1 (square A)."""
    no_out("linalg.cond", out)
    check_matrix("linalg.cond", A, square=p not in (None, 2, -2))
    if p in (None, 2, -2):
        s = SVD.apply(A, False)[1] if A.requires_grad else linalg_svdvals(A)
        big, small = s[..., 0], s[..., -1]
        return big / small if p != -2 else small / big
    return linalg_matrix_norm(A, p) * linalg_matrix_norm(linalg_inv(A), p)


# PyTorch's autocast lists name these (float32 under CPU autocast; the norms take a float32
# dtype under CUDA autocast)
linalg_cond = with_policy("linalg_cond", linalg_cond)
linalg_vector_norm = with_policy("linalg_vector_norm", linalg_vector_norm)
linalg_matrix_norm = with_policy("linalg_matrix_norm", linalg_matrix_norm)
