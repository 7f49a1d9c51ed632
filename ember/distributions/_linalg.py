"""The linear algebra the multivariate normals need: a batched Cholesky factorisation and a
batched triangular solve (``ember.linalg``'s ops), plus the diagonal helpers composed from
ember ops. Private to the package.
"""
from __future__ import annotations

from ..ops import creation as _cr
from ..ops.decomp import linalg_cholesky
from ..ops.linsolve import linalg_solve_triangular
from ..tensor import Tensor


def cholesky(a: Tensor) -> Tensor:
    """The lower Cholesky factor of a symmetric positive-definite matrix (batched)."""
    return linalg_cholesky(a)


def solve_triangular(a: Tensor, b: Tensor, *, upper: bool) -> Tensor:
    """A^-1 B for the lower (or upper) triangle of A; the other triangle is not read."""
    return linalg_solve_triangular(a, b, upper=bool(upper))


def diagonal(m: Tensor) -> Tensor:
    """The diagonal of the last two dims, (..., n, n) -> (..., n)."""
    n = m.shape[-1]
    return (m * _cr.eye(n, dtype=m.dtype, device=m.device)).sum(-1)


def diag_embed(v: Tensor) -> Tensor:
    """(..., n) -> (..., n, n) with v on the diagonal."""
    n = v.shape[-1]
    return v.unsqueeze(-1) * _cr.eye(n, dtype=v.dtype, device=v.device)
