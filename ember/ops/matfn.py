"""Matrix functions and norms: pinv, lstsq, matrix_rank, cond, norms, matrix_power, matrix_exp,
cross, vecdot, multi_dot, householder_product, lu_solve, cholesky_solve/inverse.

Most are compositions of the decompositions and solvers (so their gradients are those ops'
gradients); ``pinv`` and ``matrix_exp`` are ops with PyTorch's backward formulas.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import return_types as RT
from ..autograd.function import Op
from ..tensor import Tensor, _wrap
from ._autocast import with_policy
from ._util import xp_of
from .complex_ops import conj_physical
from .decomp import lu_factor_ex_parts, lu_unpack
from .elementwise import abs as _abs
from .index import tril
from .linsolve import (SolveTriangular, c10, check_matrix, la, linalg_inv, linalg_solve, mH,
                       no_out, solve_triangular)
from .linsolve import real_dtype as _real_dtype
from .products import matmul
from .reduce import sum as _sum
from .shape import cat, movedim, roll, stack
from .strided import diagonal

__all__ = ["pinverse", "matrix_power", "matrix_exp", "cross", "cholesky_solve",
           "cholesky_inverse", "lu", "lu_solve", "chain_matmul", "lstsq", "solve", "matrix_rank"]


def _const(a):
    return _wrap(a, False, None, 0)


def _eps(dt) -> float:
    return float(np.finfo(_real_dtype(np.dtype(dt))).eps)


# ---------------------------------------------------------------------------- pinv


class Pinv(Op):
    """The pseudo-inverse P = A^+ (singular values at or below ``cut`` * relative dropped).

    Backward: gA = -P^H g P^H + (I - A P)^H... in full: -P^H g P^H + (I - A P) g^H P P^H +
    P^H P g^H (I - P A), PyTorch's formula (valid where the rank does not change).
    """

    complex_support = "own"

    @staticmethod
    def forward(ctx, a, atol, rtol, hermitian):
        xp = xp_of(a)
        if hermitian:
            w, v = la(xp, "eigh")(a)
            mag = xp.abs(w)
            cut = _cutoff(xp, mag.max(-1, initial=0.0), atol, rtol)
            inv = xp.where(mag > cut[..., None], 1.0 / xp.where(mag > cut[..., None], w, 1.0), 0)
            out = xp.matmul(v * inv[..., None, :].astype(v.dtype), xp.conj(xp.swapaxes(v, -1, -2)))
        else:
            u, s, vh = la(xp, "svd")(a, full_matrices=False)
            cut = _cutoff(xp, s.max(-1, initial=0.0), atol, rtol)
            keep = s > cut[..., None]
            inv = xp.where(keep, 1.0 / xp.where(keep, s, 1.0), 0).astype(u.dtype)
            out = xp.matmul(xp.conj(xp.swapaxes(vh, -1, -2)) * inv[..., None, :],
                            xp.conj(xp.swapaxes(u, -1, -2)))
        out = out.astype(a.dtype, copy=False)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        A, P = ctx.saved_tensors
        Ph, gh = mH(P), mH(g)
        m, n = A.shape[-2], A.shape[-1]
        if m <= n:
            K = matmul(gh, P)
            KPh = matmul(K, Ph)
            gA = -mH(matmul(P, K)) + KPh - matmul(matmul(A, P), KPh) + \
                matmul(matmul(Ph, P), gh - matmul(K, A))
        else:
            K = matmul(P, gh)
            PhK = matmul(Ph, K)
            gA = -mH(matmul(K, P)) + matmul(matmul(gh - matmul(A, K), P), Ph) + PhK - \
                matmul(matmul(PhK, P), A)
        return gA, None, None, None


def _cutoff(xp, smax, atol, rtol):
    """max(atol, rtol * smax), per matrix (atol, rtol: numbers or arrays broadcasting to the
    batch)."""
    return xp.maximum(xp.asarray(atol, dtype=smax.dtype), xp.asarray(rtol, dtype=smax.dtype) *
                      smax)


def _tolerances(A, atol, rtol):
    """PyTorch's defaults: rtol = eps * max(m, n) unless atol > 0 is given (then rtol = 0)."""
    def raw(v):
        return v._data if isinstance(v, Tensor) else (0.0 if v is None else float(v))
    if rtol is None:
        given = atol is not None and (not isinstance(atol, Tensor) and float(atol) > 0 or
                                      isinstance(atol, Tensor) and bool((atol._data > 0).all()))
        rtol = 0.0 if given else _eps(A._data.dtype) * max(A.shape[-2], A.shape[-1])
    return raw(atol), raw(rtol)


def _check_pinv(name, A):
    if not isinstance(A, Tensor) or A._data.ndim < 2 or A._data.dtype.kind not in "fc" or \
            A._data.dtype == np.float16:
        what = f"{c10(A)}{{{list(A.shape)}}}" if isinstance(A, Tensor) else type(A).__name__
        raise RuntimeError(f"{name}({what}): expected a tensor with 2 or more dimensions of "
                           "float, double, cfloat or cdouble types")


def linalg_pinv(A: Tensor, *, atol=None, rtol=None, hermitian: bool = False, out=None):
    """The Moore-Penrose pseudo-inverse (through the SVD, or eigh when ``hermitian``): singular
    values at or below max(atol, rtol * largest) count as zero. Defaults as PyTorch's: rtol =
    eps * max(m, n), or 0 when a positive atol is given."""
    no_out("linalg.pinv", out)
    _check_pinv("linalg.pinv", A)
    a, r = _tolerances(A, atol, rtol)
    if hermitian:
        check_matrix("linalg.pinv", A)
    return Pinv.apply(A, a, r, bool(hermitian))


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """``torch.pinverse``: the pseudo-inverse with singular values below ``rcond`` times the
    largest dropped."""
    _check_pinv("linalg.pinv", input)
    return Pinv.apply(input, 0.0, float(rcond), False)


# ---------------------------------------------------------------------------- lstsq, rank


_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def linalg_lstsq(A: Tensor, B: Tensor, rcond=None, *, driver=None):
    """``(solution, residuals, rank, singular_values)`` of min ||A X - B||: the minimum-norm
    solution through the pseudo-inverse (singular values below ``rcond`` times the largest
    dropped; default eps * max(m, n)). As PyTorch's drivers report: ``residuals`` (squared
    column norms of A X - B) only for m > n, full rank and driver gels/gelsd/gelss; ``rank``
    except with gels; ``singular_values`` with gelsd/gelss; empty tensors otherwise. The
    default driver is gelsy (PyTorch's on the CPU)."""
    name = "torch.linalg.lstsq"
    check_matrix("torch.linalg.lstsq", A, square=False)
    if not isinstance(B, Tensor):
        raise TypeError(f"lstsq(): argument 'B' must be Tensor, not {type(B).__name__}")
    if driver is None:
        driver = "gelsy"
    if driver not in _DRIVERS:
        raise RuntimeError(f"{name}: parameter `driver` should be one of "
                           f"({', '.join(_DRIVERS)})")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"{name}: Expected input and other to have the same dtype, but got "
                           f"input's dtype {A.dtype} and other's dtype {B.dtype}")
    vec = B._data.ndim == A._data.ndim - 1
    Bm = B.unsqueeze(-1) if vec else B
    m, n = A.shape[-2], A.shape[-1]
    if Bm.shape[-2] != m:
        raise RuntimeError(f"{name}: input.size(-2) should match other.size(-2)")
    xp = xp_of(A._data)
    r = _eps(A._data.dtype) * max(m, n) if rcond is None or rcond < 0 else float(rcond)
    s = _const(la(xp, "svd")(A._data, compute_uv=False).astype(_real_dtype(A._data.dtype),
                                                             copy=False))
    smax = s._data.max(-1, initial=0.0)
    rank = xp.asarray((s._data > r * smax[..., None]).sum(-1))
    X = matmul(Pinv.apply(A, 0.0, r, False), Bm)
    empty = _const(xp.zeros((0,), dtype=_real_dtype(A._data.dtype)))
    res = _abs(X).reshape(-1)[:0]  # empty, but part of the graph (PyTorch's requires grad)
    if m > n and driver != "gelsy" and bool((rank == n).all()):
        diff = matmul(A, X) - Bm
        res = _sum(_abs(diff) ** 2, -2)
        if vec:
            res = res.squeeze(-1)
    rank_t = _const(xp.zeros((0,), dtype=np.int64)) if driver == "gels" else \
        _const(rank.astype(np.int64))
    sv = s if driver in ("gelsd", "gelss") else empty
    return RT.linalg_lstsq((X.squeeze(-1) if vec else X, res, rank_t, sv))


def linalg_matrix_rank(A: Tensor, tol=None, hermitian: bool = False, *, atol=None, rtol=None,
                       out=None) -> Tensor:
    """How many singular values (eigenvalue magnitudes when ``hermitian``) exceed max(atol,
    rtol * largest); ``tol`` (PyTorch's older form) is an absolute one."""
    no_out("linalg.matrix_rank", out)
    check_matrix("linalg.matrix_rank", A, square=bool(hermitian))
    if tol is not None:
        atol, rtol = tol, 0.0
    a, r = _tolerances(A, atol, rtol)
    xp = xp_of(A._data)
    if hermitian:
        s = xp.abs(la(xp, "eigvalsh")(A._data))
    else:
        s = la(xp, "svd")(A._data, compute_uv=False)
    cut = _cutoff(xp, s.max(-1, initial=0.0), a, r)
    return _const(xp.asarray((s > cut[..., None]).sum(-1), dtype=np.int64))


def lstsq(input, A, *, out=None):
    """Removed from PyTorch 2: raises PyTorch's error, which names the replacement."""
    raise RuntimeError(
        "This function was deprecated since version 1.9 and is now removed. `torch.lstsq` is "
        "deprecated in favor of `torch.linalg.lstsq`.\n`torch.linalg.lstsq` has reversed "
        "arguments and does not return the QR decomposition in the returned tuple (although it "
        "returns other information about the problem).\n\nTo get the QR decomposition consider "
        "using `torch.linalg.qr`.\n\nThe returned solution in `torch.lstsq` stored the "
        "residuals of the solution in the last m - n columns of the returned value whenever m > "
        "n. In torch.linalg.lstsq, the residuals are in the field 'residuals' of the returned "
        "named tuple.\n\nThe unpacking of the solution, as in\nX, _ = torch.lstsq(B, A)."
        "solution[:A.size(1)]\nshould be replaced with:\nX = torch.linalg.lstsq(A, B).solution")


def solve(input, A, *, out=None):
    """Removed from PyTorch 2: raises PyTorch's error, which names the replacement."""
    raise RuntimeError(
        "This function was deprecated since version 1.9 and is now removed. `torch.solve` is "
        "deprecated in favor of `torch.linalg.solve`. `torch.linalg.solve` has its arguments "
        "reversed and does not return the LU factorization.\n\nTo get the LU factorization see "
        "`torch.lu`, which can be used with `torch.lu_solve` or `torch.lu_unpack`.\nX = "
        "torch.solve(B, A).solution should be replaced with:\nX = torch.linalg.solve(A, B)")


def matrix_rank(input, tol=None, symmetric=False, *, out=None):
    """Removed from PyTorch 2: raises PyTorch's error, which names the replacement."""
    raise RuntimeError(
        "This function was deprecated since version 1.9 and is now removed.\nPlease use the "
        "`torch.linalg.matrix_rank` function instead. The parameter 'symmetric' was renamed in "
        "`torch.linalg.matrix_rank()` to 'hermitian'.")


# ---------------------------------------------------------------------------- products


def linalg_matrix_power(A: Tensor, n: int, *, out=None) -> Tensor:
    """A^n by repeated squaring (n < 0: powers of the inverse; n = 0: the identity)."""
    no_out("linalg.matrix_power", out)
    check_matrix("linalg.matrix_power", A)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"matrix_power(): argument 'n' must be int, not {type(n).__name__}")
    if n == 0:
        xp = xp_of(A._data)
        eye = _const(xp.broadcast_to(xp.eye(A.shape[-1], dtype=A._data.dtype), A._data.shape))
        return A * 0 + eye if A.requires_grad else eye.clone()
    base = linalg_inv(A) if n < 0 else A
    n = abs(int(n))
    result = None
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result if result is not A else A.clone()


def matrix_power(input: Tensor, n: int, *, out=None) -> Tensor:
    """``torch.matrix_power``: :func:`linalg_matrix_power`."""
    no_out("matrix_power", out)
    return linalg_matrix_power(input, n)


# Pade approximants of degree 13 and the scaling thresholds (Higham, 2005)
_PADE13 = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800.,
           129060195264000., 10559470521600., 670442572800., 33522128640., 1323241920.,
           40840800., 960960., 16380., 182., 1.)
_THETA13 = 5.371920351148152


class MatrixExp(Op):
    """exp(A) by scaling and squaring with a degree-13 Pade approximant, per matrix.

    Backward: the Frechet derivative at A^H applied to g, read off exp([[A^H, g], [0, A^H]])'s
    upper-right block (PyTorch's), itself differentiable.
    """

    complex_support = "own"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _expm(xp_of(a), a)

    @staticmethod
    def backward(ctx, g):
        a, = ctx.saved_tensors
        n = a.shape[-1]
        ah = mH(a)
        zero = g * 0
        block = cat([cat([ah, g], -1), cat([zero, ah], -1)], -2)
        return MatrixExp.apply(block)[..., :n, n:]


def _expm(xp, a):
    n = a.shape[-1]
    if n == 0 or a.size == 0:
        return a.copy()
    work = a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)
    norm1 = xp.abs(work).sum(-2).max(-1)
    s = xp.maximum(0, xp.ceil(xp.log2(xp.maximum(norm1, 1e-300) / _THETA13))).astype(np.int64)
    work = work / (2.0 ** s)[..., None, None]
    eye = xp.eye(n, dtype=work.dtype)
    b = _PADE13
    a2 = work @ work
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = work @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2 +
                b[1] * eye)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + \
        b[0] * eye
    r = la(xp, "solve")(v - u, v + u)
    top = int(s.max()) if s.size else 0
    for k in range(top):
        sq = r @ r
        r = xp.where((s > k)[..., None, None], sq, r)
    return r.astype(a.dtype, copy=False)


def linalg_matrix_exp(A: Tensor) -> Tensor:
    """The matrix exponential of each square matrix of A."""
    check_matrix("linalg.matrix_exp", A)
    return MatrixExp.apply(A)


def matrix_exp(A: Tensor) -> Tensor:
    """``torch.matrix_exp``: :func:`linalg_matrix_exp`."""
    return linalg_matrix_exp(A)


def linalg_cross(input: Tensor, other: Tensor, *, dim: int = -1, out=None) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (batch dims broadcast)."""
    no_out("linalg.cross", out)
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    nd = max(input.ndim, other.ndim)
    if not -nd <= dim < nd:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], "
                         f"but got {dim})")
    a, b = input, other
    d = dim % nd
    if a.shape[d] != 3 or b.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{a.shape[d]} and {b.shape[d]}")
    return roll(a, -1, d) * roll(b, -2, d) - roll(a, -2, d) * roll(b, -1, d)


def cross(input: Tensor, other: Tensor, dim=None, *, out=None) -> Tensor:
    """``torch.cross``: along ``dim``, or (deprecated, with PyTorch's warning) the first dim of
    size 3."""
    no_out("cross", out)
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease "
                      "either pass the dim explicitly or simply use torch.linalg.cross.\nThe "
                      "default value of dim will change to agree with that of linalg.cross in a "
                      "future release.", UserWarning, stacklevel=2)
        shape = np.broadcast_shapes(tuple(input.shape), tuple(other.shape))
        dim = next((i for i, s in enumerate(shape) if s == 3), -1)
    return linalg_cross(input, other, dim=dim)


def linalg_vecdot(x: Tensor, y: Tensor, *, dim: int = -1, out=None) -> Tensor:
    """sum(conj(x) * y) along ``dim`` (the dot product, conjugating x for complex vectors)."""
    no_out("linalg.vecdot", out)
    if x._data.dtype != y._data.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x "
                           f"of type {c10(x)} and y of type {c10(y)} instead")
    return _sum(conj_physical(x) * y, dim)


def linalg_multi_dot(tensors, *, out=None) -> Tensor:
    """The product of a chain of matrices in the order that costs the fewest multiplications
    (the first and last may be vectors)."""
    no_out("linalg.multi_dot", out)
    ts = list(tensors)
    if len(ts) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(ts)}")
    first_vec, last_vec = ts[0].ndim == 1, ts[-1].ndim == 1
    if first_vec:
        ts[0] = ts[0].unsqueeze(0)
    if last_vec:
        ts[-1] = ts[-1].unsqueeze(-1)
    for i, t in enumerate(ts):
        if t.ndim != 2:
            where_ = "first" if i == 0 else "last" if i == len(ts) - 1 else None
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D" if
                               where_ is None else f"multi_dot(): the {where_} tensor must be 1D "
                               f"or 2D but got {t.ndim}D")
    for i in range(len(ts) - 1):
        if ts[i].shape[1] != ts[i + 1].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes "
                               f"{list(ts[i].shape)} and {list(ts[i + 1].shape)} cannot be "
                               "multiplied")
    out_ = _chain(ts)
    if first_vec:
        out_ = out_.squeeze(0)
    if last_vec:
        out_ = out_.squeeze(-1)
    return out_


def _chain(ts):
    """The cheapest parenthesisation (the classic dynamic programme), then its products."""
    dims = [t.shape[0] for t in ts] + [ts[-1].shape[1]]
    k = len(ts)
    cost = [[0] * k for _ in range(k)]
    split = [[0] * k for _ in range(k)]
    for length in range(1, k):
        for i in range(k - length):
            j = i + length
            cost[i][j] = None
            for s in range(i, j):
                c = cost[i][s] + cost[s + 1][j] + dims[i] * dims[s + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, s

    def build(i, j):
        if i == j:
            return ts[i]
        s = split[i][j]
        return matmul(build(i, s), build(s + 1, j))
    return build(0, k - 1)


def chain_matmul(*matrices, out=None) -> Tensor:
    """``torch.chain_matmul`` (deprecated in PyTorch, which warns): the product of 2-D
    matrices."""
    no_out("chain_matmul", out)
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch "
                  "release. Use torch.linalg.multi_dot instead, which accepts a list of two or "
                  "more tensors rather than multiple parameters.", UserWarning, stacklevel=2)
    if len(matrices) == 1:
        return matrices[0].clone()
    return linalg_multi_dot(matrices)


def linalg_householder_product(A: Tensor, tau: Tensor, *, out=None) -> Tensor:
    """The first n columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^H with v_i the i-th column of
    A below the diagonal (a unit 1 on it): the Q of a QR from LAPACK's geqrf form."""
    no_out("linalg.householder_product", out)
    check_matrix("linalg.householder_product", A, square=False)
    m, n = A.shape[-2], A.shape[-1]
    k = tau.shape[-1]
    if n > m:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-2] must be greater "
                           "than or equal to input.shape[-1]")
    if k > n:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-1] must be greater "
                           "than or equal to tau.shape[-1]")
    xp = xp_of(A._data)
    eye = _const(xp.eye(m, n, dtype=A._data.dtype))
    V = tril(A, -1) + eye
    Q = _const(xp.broadcast_to(xp.eye(m, n, dtype=A._data.dtype), A._data.shape[:-2] + (m, n)))
    for i in reversed(range(k)):  # Q = H_i Q, from the last reflector back
        v = V[..., :, i:i + 1]
        Q = Q - tau[..., i:i + 1].unsqueeze(-1) * matmul(v, matmul(mH(v), Q))
    return Q


def linalg_vander(x: Tensor, *, N=None) -> Tensor:
    """The Vandermonde matrix [1, x, x^2, ..., x^(N-1)] along a new last dim."""
    n = x.shape[-1] if N is None else int(N)
    if n <= 1 and N is not None and n < 1:
        raise RuntimeError("N must be greater than 1.")
    cols = [x * 0 + 1]
    for _ in range(1, n):
        cols.append(cols[-1] * x)
    return stack(cols, -1)


def linalg_diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """A view of the diagonal (``offset`` above it when positive) of A over ``dim1``, ``dim2``,
    as a last dim: :func:`diagonal` with the matrix dims as defaults."""
    return diagonal(A, offset, dim1, dim2)


def linalg_tensorinv(A: Tensor, ind: int = 2, *, out=None) -> Tensor:
    """The inverse of A seen as a linear map from its last dims to its first ``ind`` dims."""
    no_out("linalg.tensorinv", out)
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    left, right = tuple(A.shape[:ind]), tuple(A.shape[ind:])
    p, q = math.prod(left), math.prod(right)
    if p != q:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {q} != {p}")
    return linalg_inv(A.reshape(p, q)).reshape(right + left)


def linalg_tensorsolve(A: Tensor, B: Tensor, dims=None, *, out=None) -> Tensor:
    """X with tensordot(A, X, X.ndim) = B."""
    no_out("linalg.tensorsolve", out)
    if dims is not None:
        nd = A.ndim
        rest = [d % nd for d in dims]
        A = movedim(A, rest, list(range(nd - len(rest), nd)))
    xs = tuple(A.shape[B.ndim:])
    n = math.prod(xs)
    if math.prod(tuple(B.shape)) != n:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[other.ndim:])"
                           f" == prod(self.shape[:other.ndim]), but got {n} != "
                           f"{math.prod(tuple(B.shape))}")
    return linalg_solve(A.reshape(n, n), B.reshape(n)).reshape(xs)


# ------------------------------------------------------------------------- LU and Cholesky solves


def linalg_lu_solve(LU_: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True,
                    adjoint: bool = False, out=None) -> Tensor:
    """X with A X = B (``left``; X A = B otherwise; A^H in place of A when ``adjoint``) from
    A's compact LU factorisation and pivots (differentiable in LU and B)."""
    no_out("linalg.lu_solve", out)
    check_matrix("linalg.lu_solve", LU_, arg="LU")
    P, _, _ = lu_unpack(LU_, pivots, unpack_data=False)
    if not left:  # X A = B  <=>  A^H X^H = B^H
        return mH(linalg_lu_solve(LU_, pivots, mH(B), adjoint=not adjoint))
    if not adjoint:  # A = P L U: X = U^-1 L^-1 P^T B
        y = matmul(P.mT, B)
        y = solve_triangular(LU_, y, upper=False, unitriangular=True)
        return solve_triangular(LU_, y, upper=True)
    # A^H = U^H L^H P^T: X = P L^-H U^-H B
    y = solve_triangular(mH(LU_), B, upper=False)
    y = solve_triangular(mH(LU_), y, upper=True, unitriangular=True)
    return matmul(P, y)


def lu(A: Tensor, pivot: bool = True, get_infos: bool = False, out=None):
    """``torch.lu`` (deprecated in PyTorch, which warns): ``(LU, pivots)``, with ``infos`` when
    asked."""
    if out is not None:
        raise NotImplementedError("lu(): out= is not supported by ember; use the returned "
                                  "tensors")
    warnings.warn("torch.lu is deprecated in favor of torch.linalg.lu_factor / "
                  "torch.linalg.lu_factor_ex and will be removed in a future PyTorch release.\n"
                  "LU, pivots = torch.lu(A, compute_pivots)\nshould be replaced with\nLU, pivots "
                  "= torch.linalg.lu_factor(A, compute_pivots)\nand\nLU, pivots, info = "
                  "torch.lu(A, compute_pivots, get_infos=True)\nshould be replaced with\nLU, "
                  "pivots, info = torch.linalg.lu_factor_ex(A, compute_pivots)", UserWarning,
                  stacklevel=2)
    LU_, piv, info = lu_factor_ex_parts("torch.lu", A, pivot)
    return (LU_, piv, info) if get_infos else (LU_, piv)


def lu_solve(b: Tensor, LU_data: Tensor, LU_pivots: Tensor, *, out=None) -> Tensor:
    """``torch.lu_solve`` (deprecated in PyTorch, which warns): :func:`linalg_lu_solve` with the
    arguments in the old order."""
    no_out("lu_solve", out)
    warnings.warn("torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be "
                  "removed in a future PyTorch release.\nNote that torch.linalg.lu_solve has its "
                  "arguments reversed.\nX = torch.lu_solve(B, LU, pivots)\nshould be replaced "
                  "with\nX = torch.linalg.lu_solve(LU, pivots, B)", UserWarning, stacklevel=2)
    return linalg_lu_solve(LU_data, LU_pivots, b)


def cholesky_solve(B: Tensor, L: Tensor, upper: bool = False, *, out=None) -> Tensor:
    """X with A X = B from A's Cholesky factor L (A = L L^H; A = U^H U when ``upper``)."""
    no_out("cholesky_solve", out)
    check_matrix("cholesky_solve", L)
    if upper:
        y = SolveTriangular.apply(mH(L), B, False, True, False)
        return SolveTriangular.apply(L, y, True, True, False)
    y = SolveTriangular.apply(L, B, False, True, False)
    return SolveTriangular.apply(mH(L), y, True, True, False)


def cholesky_inverse(L: Tensor, upper: bool = False, *, out=None) -> Tensor:
    """A^-1 from A's Cholesky factor (A = L L^H; A = U^H U when ``upper``)."""
    no_out("cholesky_inverse", out)
    check_matrix("cholesky_inverse", L)
    xp = xp_of(L._data)
    eye = _const(xp.broadcast_to(xp.eye(L.shape[-1], dtype=L._data.dtype), L._data.shape))
    return cholesky_solve(eye, L, upper)

# PyTorch's autocast lists name these (on the CPU: float32, or lower precision for vecdot; on
# CUDA: the products in lower precision, the norms with a float32 dtype, cross promoted)
pinverse = with_policy("pinverse", pinverse)
linalg_matrix_rank = with_policy("linalg_matrix_rank", linalg_matrix_rank)
linalg_lstsq = with_policy("linalg_lstsq", linalg_lstsq)
linalg_householder_product = with_policy("linalg_householder_product",
                                         linalg_householder_product)
linalg_tensorinv = with_policy("linalg_tensorinv", linalg_tensorinv)
linalg_tensorsolve = with_policy("linalg_tensorsolve", linalg_tensorsolve)
cholesky_solve = with_policy("cholesky_solve", cholesky_solve)
cholesky_inverse = with_policy("cholesky_inverse", cholesky_inverse)
lu_solve = with_policy("lu_solve", lu_solve)
linalg_vecdot = with_policy("linalg_vecdot", linalg_vecdot)
linalg_multi_dot = with_policy("linalg_multi_dot", linalg_multi_dot)
chain_matmul = with_policy("chain_matmul", chain_matmul)
cross = with_policy("cross", cross)
