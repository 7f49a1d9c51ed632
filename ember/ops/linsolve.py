"""Linear systems: inv, solve, solve_triangular, and the LU factorisation (with partial
pivoting) behind lu_factor, lu_solve and the error messages for singular matrices.

Every op works on batches of matrices (leading dims, broadcast where PyTorch broadcasts) with
the array module of its input (NumPy's or CuPy's ``linalg``); gradients are PyTorch's,
written with ember ops (so they are differentiable again) and correct for complex matrices
(conjugate Wirtinger convention: ``A^H`` where a real formula has ``A^T``).
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import backend
from .. import return_types as RT
from ..autograd.function import Op
from ..tensor import Tensor, _wrap
from ._autocast import with_policy
from ._util import xp_of
from .complex_ops import conj_physical
from .elementwise import where
from .index import tril, triu
from .products import matmul

__all__ = ["inverse", "triangular_solve"]


class LinAlgError(RuntimeError):
    """A matrix function failed on its input (singular, not positive-definite...), as
    ``torch.linalg.LinAlgError`` (a ``RuntimeError``)."""


_C10 = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
        "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
        "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def c10(t) -> str:
    """PyTorch's C++ name of ``t``'s dtype, as its error messages print it."""
    return _C10[t.dtype.name]


def check_matrix(name, A, square=True, arg="A"):
    """Refuse what PyTorch refuses: non-tensors, non-floating dtypes, fewer than 2 dims,
    non-square matrices (when ``square``)."""
    if not isinstance(A, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' must be Tensor, not {type(A).__name__}")
    dt = A._data.dtype
    if dt.kind not in "fc" or dt == np.float16:
        if dt == np.float16 or dt == backend.BF16:
            raise RuntimeError(f"{name}: Low precision dtypes not supported. Got {c10(A)}")
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{c10(A)}")
    if A._data.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {arg} must have at least 2 dimensions.")
    if square and A._data.shape[-1] != A._data.shape[-2]:
        raise RuntimeError(f"{name}: {arg} must be batches of square matrices, but they are "
                           f"{A._data.shape[-2]} by {A._data.shape[-1]} matrices")


def same_dtype(name, A, B):
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"{name}: Expected A and B to have the same dtype, but found A of type "
                           f"{c10(A)} and B of type {c10(B)} instead")
    if type(A._data) is not type(B._data):
        raise RuntimeError(f"{name}: Expected A and B on the same device, got {A.device} and "
                           f"{B.device}")


def la(xp, name):
    """``xp.linalg.<name>``; where the array module lacks it (an older CuPy), NumPy's on a
    host copy."""
    f = getattr(xp.linalg, name, None)
    if f is not None:
        return f
    host = getattr(np.linalg, name)

    def run(*args, **kwargs):
        out = host(*[backend.to_host(a) if backend.is_array(a) else a for a in args], **kwargs)
        if isinstance(out, tuple):
            return tuple(xp.asarray(o) for o in out)
        return xp.asarray(out)
    return run


def batch_prefix(shape, flat_index) -> str:
    """PyTorch's "(Batch element i): " for a failure in a batch (nothing for one matrix)."""
    return f"(Batch element {flat_index}): " if len(shape) > 2 else ""


def first_failure(info):
    """(flat batch index, value) of the first nonzero entry of an info array, or None."""
    flat = backend.to_host(info).reshape(-1)
    bad = np.flatnonzero(flat)
    return None if bad.size == 0 else (int(bad[0]), int(flat[bad[0]]))


def mH(t: Tensor) -> Tensor:
    """The conjugate transpose of the last two dims."""
    return conj_physical(t.transpose(-2, -1))


def real_dtype(dt):
    """The NumPy dtype of a complex dtype's parts (a real dtype itself)."""
    return {np.dtype(np.complex64): np.dtype(np.float32),
            np.dtype(np.complex128): np.dtype(np.float64)}.get(dt, dt)


# ---------------------------------------------------------------------------- LU


def lu_raw(xp, a):
    """LU with partial pivoting of a batch ``a`` (..., m, n), as LAPACK's getrf: returns the
    packed factors (L's unit diagonal implied), the pivots (0-based: row j was swapped with
    row piv[j] at step j) and info (the 1-based index of the first exactly-zero pivot, or 0).
    A loop over the min(m, n) columns, each step vectorised over the whole batch."""
    shape = a.shape
    m, n = shape[-2], shape[-1]
    k = min(m, n)
    work = a.reshape((-1, m, n)).copy()
    nb = work.shape[0]
    rows = xp.arange(nb)
    piv = xp.zeros((nb, k), dtype=np.int64)
    info = xp.zeros(nb, dtype=np.int64)
    cplx = a.dtype.kind == "c"
    for j in range(k):
        col = work[:, j:, j]  # LAPACK's i?amax: |re| + |im| for complex numbers
        p = xp.argmax(xp.abs(col.real) + xp.abs(col.imag) if cplx else xp.abs(col), axis=1) + j
        piv[:, j] = p
        top = work[:, j, :].copy()
        work[:, j, :] = work[rows, p, :]
        work[rows, p, :] = top
        pivot = work[:, j, j]
        zero = pivot == 0
        info = xp.where((info == 0) & zero, j + 1, info)
        if j + 1 < m:
            col = work[:, j + 1:, j] / xp.where(zero, 1, pivot)[:, None]
            col = xp.where(zero[:, None], work[:, j + 1:, j], col)
            work[:, j + 1:, j] = col
            if j + 1 < n:
                work[:, j + 1:, j + 1:] -= col[:, :, None] * work[:, j, None, j + 1:]
    return (work.reshape(shape), piv.reshape(shape[:-2] + (k,)), info.reshape(shape[:-2]))


def permutation_from_pivots(xp, piv, m):
    """The row order ``perm`` with A[perm] = L U, from LAPACK-style pivots (0-based): A = P L U
    with P[perm[i], i] = 1."""
    batch = piv.shape[:-1]
    perm = xp.broadcast_to(xp.arange(m), batch + (m,)).copy().reshape((-1, m))
    flat = piv.reshape((-1, piv.shape[-1]))
    rows = xp.arange(perm.shape[0])
    for j in range(flat.shape[1]):
        p = flat[:, j]
        a, b = perm[:, j].copy(), perm[rows, p].copy()
        perm[:, j], perm[rows, p] = b, a
    return perm.reshape(batch + (m,))


def _singular_error(name, xp, a, what):
    """PyTorch's message for the first singular matrix of batch ``a``."""
    _, _, info = lu_raw(xp, a)
    fail = first_failure(info)
    idx, j = fail if fail is not None else (0, a.shape[-1])
    pre = batch_prefix(a.shape, idx)
    if what == "inv":
        return LinAlgError(f"{name}: {pre}The diagonal element {j} is zero, the inversion could "
                           "not be completed because the input matrix is singular.")
    return LinAlgError(f"{name}: {pre}The solver failed because the input matrix is singular.")


# ---------------------------------------------------------------------------- inverse


class Inv(Op):
    """B = A^-1. Backward: -B^H g B^H."""

    complex_support = "own"

    @staticmethod
    def forward(ctx, a, name):
        xp = xp_of(a)
        try:
            out = la(xp, "inv")(a)
        except np.linalg.LinAlgError:
            raise _singular_error(name, xp, a, "inv") from None
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        b, = ctx.saved_tensors
        bh = mH(b)
        return -matmul(bh, matmul(g, bh)), None


def linalg_inv(A: Tensor, *, out=None) -> Tensor:
    """The inverse of each square matrix of A; a singular one raises ``LinAlgError``."""
    no_out("linalg.inv", out)
    check_matrix("linalg.inv", A)
    return Inv.apply(A, "linalg.inv")


def inverse(input: Tensor, *, out=None) -> Tensor:
    """``torch.inverse``: :func:`linalg_inv`."""
    no_out("inverse", out)
    check_matrix("linalg.inv", input)
    return Inv.apply(input, "linalg.inv")


def linalg_inv_ex(A: Tensor, *, check_errors: bool = False, out=None):
    """``(inverse, info)``: info is 0, or the 1-based index of the zero pivot that made a matrix
    singular (then its inverse holds no meaningful values: ember fills it with NaN)."""
    no_out("linalg.inv_ex", out)
    check_matrix("linalg.inv_ex", A)
    xp = xp_of(A._data)
    _, _, info = lu_raw(xp, A._data) if A._data.size else (None, None, xp.zeros(
        A._data.shape[:-2], dtype=np.int64))
    fail = first_failure(info)
    if fail is not None and check_errors:
        raise _singular_error("linalg.inv_ex", xp, A._data, "inv")
    if fail is None:
        inv = Inv.apply(A, "linalg.inv_ex")
    else:
        ok = _wrap((info == 0)[..., None, None], False, None, 0)
        eye = _wrap(xp.eye(A._data.shape[-1], dtype=A._data.dtype), False, None, 0)
        inv = where(ok, Inv.apply(where(ok, A, eye), "linalg.inv_ex"), float("nan"))
    return RT.linalg_inv_ex((inv, _wrap(info.astype(np.int32), False, None, 0)))


# ---------------------------------------------------------------------------- solve


class Solve(Op):
    """X = A^-1 B (B a batch of matrices). Backward: gB = A^-H g, gA = -gB X^H."""

    complex_support = "own"

    @staticmethod
    def forward(ctx, a, b, name):
        xp = xp_of(a)
        try:
            out = la(xp, "solve")(a, b)
        except np.linalg.LinAlgError:
            raise _singular_error(name, xp, a, "solve") from None
        ctx.save_for_backward(a, out)
        ctx.name = name
        return out

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        gb = Solve.apply(mH(a), g, ctx.name)
        ga = -matmul(gb, mH(x)) if ctx.needs_input_grad[0] else None
        return ga, gb, None


def _vector_rhs(A, B) -> bool:
    """PyTorch's rule: B is a (batch of) vector(s) when it is 1-D, or has one dim less than A
    with A's leading shape."""
    return B._data.ndim == 1 or (B._data.ndim == A._data.ndim - 1 and
                                 B._data.shape == A._data.shape[:-1])


def solve_checked(name, A, B, left=True):
    """X with A X = B (``left``) or X A = B; B a batch of matrices or vectors."""
    check_matrix(name, A)
    if not isinstance(B, Tensor):
        raise TypeError(f"{name}(): argument 'B' must be Tensor, not {type(B).__name__}")
    same_dtype(name, A, B)
    vec = _vector_rhs(A, B)
    Bm = B.unsqueeze(-1) if vec else B
    n = A._data.shape[-1]
    if Bm._data.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor B must have at least 2 dimensions.")
    rows = Bm._data.shape[-2] if left else Bm._data.shape[-1]
    if rows != n:
        sa, sb = A._data.shape, Bm._data.shape
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation {eq} "
                           f"({sa[-2]}x{sa[-1]} and {sb[-2]}x{sb[-1]})")
    try:
        np.broadcast_shapes(A._data.shape[:-2], Bm._data.shape[:-2])
    except ValueError:
        raise RuntimeError(f"{name}: the batch dims of A {list(A.shape)} and B {list(B.shape)} "
                           "are not broadcastable") from None
    if left:
        X = Solve.apply(A, Bm, name)
    else:  # X A = B  <=>  A^T X^T = B^T
        X = Solve.apply(A.mT, Bm.mT, name).mT
    return X.squeeze(-1) if vec else X


def linalg_solve(A: Tensor, B: Tensor, *, left: bool = True, out=None) -> Tensor:
    """The solution X of A X = B (``left=True``) or X A = B, batched and broadcast; B may be
    a (batch of) vector(s). A singular A raises ``LinAlgError``."""
    no_out("linalg.solve", out)
    return solve_checked("torch.linalg.solve", A, B, left)


def linalg_solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False,
                    out=None):
    """``(result, info)``: info is 0, or nonzero for a singular matrix (whose result then
    holds NaN)."""
    no_out("linalg.solve_ex", out)
    check_matrix("linalg.solve_ex", A)
    xp = xp_of(A._data)
    info = lu_raw(xp, A._data)[2] if A._data.size else xp.zeros(A._data.shape[:-2],
                                                                  dtype=np.int64)
    if first_failure(info) is not None:
        if check_errors:
            raise _singular_error("torch.linalg.solve_ex", xp, A._data, "solve")
        ok = _wrap((info == 0)[..., None, None], False, None, 0)
        eye = _wrap(xp.eye(A._data.shape[-1], dtype=A._data.dtype), False, None, 0)
        X = solve_checked("torch.linalg.solve_ex", where(ok, A, eye), B, left)
        bad = ok if X.ndim == A.ndim else ok.squeeze(-1)
        X = where(bad, X, float("nan"))
    else:
        X = solve_checked("torch.linalg.solve_ex", A, B, left)
    return RT.linalg_solve_ex((X, _wrap(info.astype(np.int32), False, None, 0)))


# ---------------------------------------------------------------------------- triangular


def _triangle(a, upper, unit, xp):
    t = xp.triu(a) if upper else xp.tril(a)
    if unit:
        n = a.shape[-1]
        t = t.copy()
        t[..., xp.arange(n), xp.arange(n)] = 1
    return t


def _substitute(xp, t, b, upper):
    """Back (``upper``) or forward substitution: a loop over the rows, vectorised over the
    batch and the right-hand sides; a zero pivot gives inf/NaN, as LAPACK's trsm."""
    n = t.shape[-1]
    shape = np.broadcast_shapes(t.shape[:-2], b.shape[:-2])
    t = xp.broadcast_to(t, shape + t.shape[-2:])
    x = xp.broadcast_to(b, shape + b.shape[-2:]).astype(np.result_type(t.dtype, b.dtype))
    x = x.copy()
    order = range(n - 1, -1, -1) if upper else range(n)
    for i in order:
        if upper:
            acc = (t[..., i, i + 1:, None] * x[..., i + 1:, :]).sum(-2) if i + 1 < n else 0
        else:
            acc = (t[..., i, :i, None] * x[..., :i, :]).sum(-2) if i else 0
        x[..., i, :] = (x[..., i, :] - acc) / t[..., i, i, None]
    return x


def _tri_solve(xp, a, b, upper, left, unit):
    """A^-1 B (``left``) or B A^-1 on raw arrays, with A's other triangle ignored."""
    if not left:  # X A = B  <=>  A^T X^T = B^T (A^T has the other triangle)
        x = _tri_solve(xp, xp.swapaxes(a, -1, -2), xp.swapaxes(b, -1, -2), not upper, True, unit)
        return xp.swapaxes(x, -1, -2)
    t = _triangle(a, upper, unit, xp)
    if not t.shape[-1]:
        return xp.zeros(np.broadcast_shapes(t.shape[:-2], b.shape[:-2]) + b.shape[-2:],
                        dtype=b.dtype)
    try:
        return la(xp, "solve")(t, b)
    except np.linalg.LinAlgError:
        with backend.errstate(xp, divide="ignore", invalid="ignore"):
            return _substitute(xp, t, b, upper)


class SolveTriangular(Op):
    """X = A^-1 B (``left``) or B A^-1 for triangular A (its other triangle ignored; a unit
    diagonal assumed when ``unit``).

    Backward: gB = the same solve with A^H (the other triangle); gA = -gB X^H (left) or
    -X^H gB, kept to A's triangle (strictly, with a unit diagonal).
    """

    complex_support = "own"

    @staticmethod
    def forward(ctx, a, b, upper, left, unit):
        x = _tri_solve(xp_of(a), a, b, upper, left, unit)
        ctx.upper, ctx.left, ctx.unit = upper, left, unit
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        upper, left, unit = ctx.upper, ctx.left, ctx.unit
        gb = SolveTriangular.apply(mH(a), g, not upper, left, unit)
        ga = None
        if ctx.needs_input_grad[0]:
            ga = -matmul(gb, mH(x)) if left else -matmul(mH(x), gb)
            k = 1 if unit else 0
            ga = triu(ga, k) if upper else tril(ga, -k)
        return ga, gb, None, None, None


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Tensor:
    """Checked ``X = A^-1 B`` (or ``B A^-1``) for a triangular ``A``."""
    name = "linalg.solve_triangular"
    check_matrix(name, A)
    check_matrix(name, B, square=False, arg="B")
    same_dtype(name, A, B)
    n = A._data.shape[-1]
    k = B._data.shape[-2] if left else B._data.shape[-1]
    if k != n:
        eq = "AX = B" if left else "XA = B"
        sb = B._data.shape
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation {eq} "
                           f"({n}x{n} and {sb[-2]}x{sb[-1]})")
    return SolveTriangular.apply(A, B, bool(upper), bool(left), bool(unitriangular))


def linalg_solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,
                            unitriangular: bool = False, out=None) -> Tensor:
    """X with A X = B (``left``) or X A = B for triangular A (only its ``upper`` or lower
    triangle is read; ``unitriangular``: its diagonal taken as ones). No error for a singular
    A: the result holds inf/NaN, as PyTorch's."""
    no_out("linalg.solve_triangular", out)
    return solve_triangular(A, B, upper=upper, left=left, unitriangular=unitriangular)


def triangular_solve(b: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,
                     unitriangular: bool = False, *, out=None):
    """``torch.triangular_solve`` (deprecated in PyTorch): ``(solution, cloned_coefficient)``
    with A X = b, A^T X = b when ``transpose``."""
    no_out("triangular_solve", out)
    warnings.warn("torch.triangular_solve is deprecated in favor of "
                  "torch.linalg.solve_triangularand will be removed in a future PyTorch release."
                  "\ntorch.linalg.solve_triangular has its arguments reversed and does not return "
                  "a copy of one of the inputs.\nX = torch.triangular_solve(B, A).solution\n"
                  "should be replaced with\nX = torch.linalg.solve_triangular(A, B).",
                  UserWarning, stacklevel=2)
    coef = A.mT if transpose else A
    x = solve_triangular(coef, b, upper=upper != transpose, unitriangular=unitriangular)
    return RT.triangular_solve((x, A.clone()))


def no_out(name, out):
    if out is not None:
        raise NotImplementedError(f"{name}(): out= is not supported by ember; use the returned "
                                  "tensor(s)")


# PyTorch's autocast lists name these (float32 under CPU autocast)
linalg_inv = with_policy("linalg_inv", linalg_inv)
inverse = with_policy("inverse", inverse)
linalg_inv_ex = with_policy("linalg_inv_ex", linalg_inv_ex)
linalg_solve = with_policy("linalg_solve", linalg_solve)
triangular_solve = with_policy("triangular_solve", triangular_solve)
