"""The linear algebra the multivariate normals need, as differentiable ops: a batched
Cholesky factorisation and a batched triangular solve, plus the diagonal helpers composed
from ember ops. Private to the package.
"""
from __future__ import annotations

import numpy as np

from ..autograd.function import Op
from ..ops import creation as _cr
from ..ops import index as _ix
from ..ops._util import xp_of
from ..tensor import Tensor


def _triangle(xp, a, upper):
    return xp.triu(a) if upper else xp.tril(a)


class Cholesky(Op):
    """The lower Cholesky factor L of a symmetric positive-definite A = L L^T (batched).

    Backward (A symmetric): with phi(X) the lower triangle of X with its diagonal halved,
    gA = L^-T phi(L^T gL) L^-1, symmetrised.
    """

    @staticmethod
    def forward(ctx, a):
        xp = xp_of(a)
        try:
            out = xp.linalg.cholesky(a)
        except Exception as exc:  # noqa: BLE001 - NumPy's LinAlgError, CuPy's own
            raise RuntimeError(
                "linalg.cholesky: The factorization could not be completed because the input "
                f"is not positive-definite ({exc}).") from None
        if not bool(xp.isfinite(out).all()):  # CuPy reports failure with NaNs
            raise RuntimeError("linalg.cholesky: The factorization could not be completed "
                               "because the input is not positive-definite.")
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        L, = ctx.saved_tensors
        n = L.shape[-1]
        eye = _cr.eye(n, dtype=L.dtype, device=L.device)
        phi = _ix.tril(L.mT @ g)
        phi = phi - 0.5 * phi * eye
        # L^-T phi L^-1 = (L^-T (L^-T phi)^T)^T
        s = solve_triangular(L.mT, phi, upper=True)
        s = solve_triangular(L.mT, s.mT, upper=True).mT
        return 0.5 * (s + s.mT)


class SolveTriangular(Op):
    """X = A^-1 B for triangular A (batched, broadcasting over the batch dims).

    Backward: gB = A^-T gX, gA = -gB X^T restricted to A's triangle.
    """

    @staticmethod
    def forward(ctx, a, b, upper):
        xp = xp_of(a)
        tri = _triangle(xp, a, upper)
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])  # shape arithmetic only
        out = xp.linalg.solve(xp.broadcast_to(tri, batch + a.shape[-2:]),
                              xp.broadcast_to(b, batch + b.shape[-2:]))
        ctx.save_for_backward(a, out)
        ctx.upper = upper
        return out

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        upper = ctx.upper
        tri = _ix.triu(a) if upper else _ix.tril(a)
        gb = solve_triangular(tri.mT, g, upper=not upper)
        ga = None
        if ctx.needs_input_grad[0]:
            ga = -(gb @ x.mT)
            ga = _ix.triu(ga) if upper else _ix.tril(ga)
        return ga, gb, None


def cholesky(a: Tensor) -> Tensor:
    return Cholesky.apply(a)


def solve_triangular(a: Tensor, b: Tensor, *, upper: bool) -> Tensor:
    """A^-1 B for the lower (or upper) triangle of A; the other triangle is not read."""
    return SolveTriangular.apply(a, b, bool(upper))


def diagonal(m: Tensor) -> Tensor:
    """The diagonal of the last two dims, (..., n, n) -> (..., n)."""
    n = m.shape[-1]
    return (m * _cr.eye(n, dtype=m.dtype, device=m.device)).sum(-1)


def diag_embed(v: Tensor) -> Tensor:
    """(..., n) -> (..., n, n) with v on the diagonal."""
    n = v.shape[-1]
    return v.unsqueeze(-1) * _cr.eye(n, dtype=v.dtype, device=v.device)
