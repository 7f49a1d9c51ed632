"""Matrix decompositions with gradients: Cholesky, QR, eigh, eig, SVD and LU.

Forward passes call the ``linalg`` module of the input's array module (NumPy or CuPy: LAPACK
or cuSOLVER, on whole batches); LU is ember's own (partial pivoting, vectorised over the
batch). The backward formulas are PyTorch's (the same conventions for degenerate spectra:
NaN/inf where eigenvalues or singular values coincide, an error where a complex loss depends
on the arbitrary phase of eigen- or singular vectors), written with ember ops.
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import return_types as RT
from ..autograd.function import Op
from ..tensor import Tensor, _wrap
from ._autocast import with_policy
from ._util import xp_of
from .complex_ops import conj_physical, real
from .elementwise import where
from .index import tril, triu
from .linsolve import (LinAlgError, SolveTriangular, batch_prefix, check_matrix, first_failure,
                       la, linalg_solve, lu_raw, mH, no_out, permutation_from_pivots)
from .linsolve import real_dtype as _real_dtype
from .products import matmul
from .shape import cat
from .strided import diag_embed, diagonal

__all__ = ["cholesky", "qr", "svd", "symeig", "eig", "lu_unpack"]


def _const(a):
    return _wrap(a, False, None, 0)


def _diag_embed(v: Tensor) -> Tensor:
    """A batch of diagonal matrices from a batch of vectors (differentiable)."""
    return diag_embed(v)


def _diagonal(t: Tensor) -> Tensor:
    return diagonal(t, 0, -2, -1)


# ---------------------------------------------------------------------------- Cholesky


def _cholesky_info(xp, a):
    """The order of the first leading minor that is not positive-definite, per matrix (0 when
    the factorisation succeeds): LAPACK's potrf info, by an unblocked Cholesky."""
    shape = a.shape
    n = shape[-1]
    work = a.reshape((-1, n, n)).astype(np.result_type(a.dtype, np.float64)
                                        if a.dtype.kind == "f" else a.dtype)
    info = xp.zeros(work.shape[0], dtype=np.int64)
    L = xp.zeros_like(work)
    for j in range(n):
        d = work[:, j, j].real - (xp.abs(L[:, j, :j]) ** 2).sum(-1)
        bad = ~(d > 0)
        info = xp.where((info == 0) & bad, j + 1, info)
        root = xp.sqrt(xp.where(bad, 1.0, d))
        L[:, j, j] = root
        if j + 1 < n:
            L[:, j + 1:, j] = (work[:, j + 1:, j] - (L[:, j + 1:, :j] * xp.conj(
                L[:, j, None, :j])).sum(-1)) / root[:, None]
    return info.reshape(shape[:-2])


def _not_pd(name, xp, a, info=None):
    info = _cholesky_info(xp, a) if info is None else info
    fail = first_failure(info) or (0, 1)
    return LinAlgError(f"{name}: {batch_prefix(a.shape, fail[0])}The factorization could not be "
                       f"completed because the input is not positive-definite (the leading minor "
                       f"of order {fail[1]} is not positive-definite).")


class Cholesky(Op):
    """L with A = L L^H (A's lower triangle read).

    Backward (PyTorch's): L^-H Phi L^-1 with Phi = tril(L^H gL) made Hermitian with half
    its diagonal.
    """

    complex_support = "own"

    @staticmethod
    def forward(ctx, a, name):
        xp = xp_of(a)
        try:
            out = la(xp, "cholesky")(a)
        except np.linalg.LinAlgError:
            raise _not_pd(name, xp, a) from None
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        L, = ctx.saved_tensors
        phi = tril(matmul(mH(L), g))
        phi = (phi + mH(tril(phi, -1))) * 0.5
        ga = SolveTriangular.apply(mH(L), phi, True, True, False)
        return SolveTriangular.apply(L, ga, False, False, False), None


def _cholesky(name, A, upper):
    check_matrix(name, A)
    if upper:  # the upper triangle of A is the lower one of A^H
        return mH(Cholesky.apply(mH(A), name))
    return Cholesky.apply(A, name)


def linalg_cholesky(A: Tensor, *, upper: bool = False, out=None) -> Tensor:
    """L with A = L L^H for Hermitian positive-definite A (``upper``: U with A = U^H U, from
    A's upper triangle). A matrix that is not positive-definite raises ``LinAlgError``."""
    no_out("linalg.cholesky", out)
    return _cholesky("linalg.cholesky", A, upper)


def cholesky(input: Tensor, upper: bool = False, *, out=None) -> Tensor:
    """``torch.cholesky`` (deprecated in PyTorch, which warns): :func:`linalg_cholesky`."""
    no_out("cholesky", out)
    warnings.warn("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be "
                  "removed in a future PyTorch release.\nL = torch.cholesky(A)\nshould be "
                  "replaced with\nL = torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, "
                  "upper=True)\nshould be replaced with\nU = torch.linalg.cholesky(A).mH\nThis "
                  "transform will produce equivalent results for all valid (symmetric positive "
                  "definite) inputs.", UserWarning, stacklevel=2)
    return _cholesky("cholesky", input, upper)


def linalg_cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False,
                       out=None):
    """``(L, info)``: info 0, or the order of the first leading minor that is not positive
    definite (that matrix's L then holds NaN)."""
    no_out("linalg.cholesky_ex", out)
    check_matrix("linalg.cholesky_ex", A)
    xp = xp_of(A._data)
    src = mH(A)._data if upper else A._data
    info = _cholesky_info(xp, src)
    if first_failure(info) is None:
        L = _cholesky("linalg.cholesky_ex", A, upper)
    elif check_errors:
        raise _not_pd("linalg.cholesky_ex", xp, src, info)
    else:
        ok = _const((info == 0)[..., None, None])
        eye = _const(xp.eye(A._data.shape[-1], dtype=A._data.dtype))
        L = where(ok, _cholesky("linalg.cholesky_ex", where(ok, A, eye), upper), float("nan"))
    return RT.linalg_cholesky_ex((L, _const(info.astype(np.int32))))


# ---------------------------------------------------------------------------- QR


def _qr_square_backward(Q, R, gQ, gR):
    """A = Q R with m >= n: gA = (gQ + Q copyltu(M)) R^-H, M = R gR^H - gQ^H Q (PyTorch's)."""
    M = matmul(gR, mH(R)) - matmul(mH(Q), gQ)
    T = triu(M)
    sym = T + mH(T)
    d = _diagonal(sym)
    sym = sym - _diag_embed(d - real(d) * 0.5) if sym.is_complex() else \
        sym - _diag_embed(d * 0.5)
    gA = matmul(Q, sym) + gQ
    return SolveTriangular.apply(mH(R), gA, False, False, False)


class QR(Op):
    """Q, R with A = Q R (``mode``: 'reduced', 'complete' or 'r').

    Backward (PyTorch's): for m >= n, (gQ + Q copyltu(R gR^H - gQ^H Q)) R^-H; for m < n,
    A = [X | Y] with X = Q R1 square: gY = Q gR2, and X's backward with gQ + Y gR2^H.
    """

    complex_support = "own"

    @staticmethod
    def forward(ctx, a, mode):
        xp = xp_of(a)
        m, n = a.shape[-2:]
        ctx.mode, ctx.mn = mode, (m, n)
        if mode == "r":
            r = la(xp, "qr")(a, mode="r") if a.size else xp.zeros(a.shape[:-2] + (min(m, n), n),
                                                                   dtype=a.dtype)
            q = xp.zeros((0,), dtype=a.dtype)
            ctx.mark_non_differentiable(q)
            return q, r
        q, r = la(xp, "qr")(a, mode=mode)
        ctx.save_for_backward(q, r)
        return q, r

    @staticmethod
    def backward(ctx, gQ, gR):
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                               "when mode='r'. Please use linalg.qr(A, mode='reduced') if you "
                               "are going to differentiate through linalg.qr.")
        m, n = ctx.mn
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when "
                               "mode='complete' and nrows > ncols.")
        Q, R = ctx.saved_tensors
        if m >= n:
            return _qr_square_backward(Q, R, gQ, gR), None
        R1, R2 = R[..., :, :m], R[..., :, m:]
        Y = matmul(Q, R2)
        gY = matmul(Q, gR[..., :, m:])
        gX = _qr_square_backward(Q, R1, gQ + matmul(Y, mH(gR[..., :, m:])), gR[..., :, :m])
        return cat([gX, gY], -1), None


def linalg_qr(A: Tensor, mode: str = "reduced", *, out=None):
    """``(Q, R)`` with A = Q R, Q with orthonormal columns and R upper triangular.
    ``mode``: 'reduced' (Q m x k, R k x n, k = min(m, n)), 'complete' (Q m x m) or 'r' (R only;
    Q is empty and the result is not differentiable)."""
    no_out("linalg.qr", out)
    check_matrix("linalg.qr", A, square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    return RT.linalg_qr(QR.apply(A, mode))


def qr(input: Tensor, some: bool = True, *, out=None):
    """``torch.qr`` (deprecated in PyTorch, which warns): reduced (``some``) or complete QR."""
    no_out("qr", out)
    warnings.warn("torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a "
                  "future PyTorch release.\nThe boolean parameter 'some' has been replaced with "
                  "a string parameter 'mode'.\nQ, R = torch.qr(A, some)\nshould be replaced "
                  "with\nQ, R = torch.linalg.qr(A, 'reduced' if some else 'complete')",
                  UserWarning, stacklevel=2)
    check_matrix("linalg.qr", input, square=False)
    return RT.qr(QR.apply(input, "reduced" if some else "complete"))


# ---------------------------------------------------------------------------- eigh


def _gauge_check(name, VhgV, what):
    im = VhgV._data.diagonal(0, -2, -1).imag
    xp = xp_of(im)
    if not bool(xp.allclose(im, 0, rtol=1e-2, atol=1e-2)):
        raise RuntimeError(f"{name}: The eigenvectors in the complex case are specified up to "
                           f"multiplication by e^{{i phi}}. The specified loss function depends "
                           f"on this quantity, so it is ill-defined.{what}")


class Eigh(Op):
    """Eigenvalues (ascending, real) and orthonormal eigenvectors of a Hermitian A (one
    triangle read, ``uplo``).

    Backward (PyTorch's): V (diag(gL) + skew(V^H gV) / E) V^H with E_ij = L_j - L_i (the
    complex case raises if the loss depends on the phases of the eigenvectors).
    """

    complex_support = "own"

    @staticmethod
    def forward(ctx, a, uplo):
        w, v = la(xp_of(a), "eigh")(a, UPLO=uplo)
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, gL, gV):
        L, V = ctx.saved_tensors
        VhgV = matmul(mH(V), gV)
        if V.is_complex():
            _gauge_check("linalg_eigh_backward", VhgV, "")
        VhgV = (VhgV - mH(VhgV)) * 0.5
        xp = xp_of(L._data)
        n = L.shape[-1]
        E = L.unsqueeze(-2) - L.unsqueeze(-1)
        eye = _const(xp.eye(n, dtype=bool))
        E = where(eye, 1.0, E)
        gA = where(eye, 0.0, VhgV / E) + _diag_embed(gL)
        return matmul(V, matmul(gA, mH(V))), None


def _uplo(name, UPLO):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"{name}: Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO


def linalg_eigh(A: Tensor, UPLO: str = "L", *, out=None):
    """``(eigenvalues, eigenvectors)`` of Hermitian (symmetric) A: real eigenvalues in ascending
    order, orthonormal eigenvectors as columns. Only the ``UPLO`` triangle is read."""
    no_out("linalg.eigh", out)
    check_matrix("linalg.eigh", A)
    return RT.linalg_eigh(Eigh.apply(A, _uplo("linalg.eigh", UPLO)))


def linalg_eigvalsh(A: Tensor, UPLO: str = "L", *, out=None) -> Tensor:
    """The eigenvalues of Hermitian A, ascending (differentiable, through eigh)."""
    no_out("linalg.eigvalsh", out)
    check_matrix("linalg.eigvalsh", A)
    uplo = _uplo("linalg.eigvalsh", UPLO)
    if A.requires_grad:
        return Eigh.apply(A, uplo)[0]
    return _const(la(xp_of(A._data), "eigvalsh")(A._data, UPLO=uplo))


def symeig(input, eigenvectors=False, upper=True, *, out=None):
    """Removed from PyTorch 2: raises PyTorch's error, which names the replacement."""
    raise RuntimeError(
        "This function was deprecated since version 1.9 and is now removed. The default "
        "behavior has changed from using the upper triangular portion of the matrix by default "
        "to using the lower triangular portion.\n\nL, _ = torch.symeig(A, upper=upper) should "
        "be replaced with:\nL = torch.linalg.eigvalsh(A, UPLO='U' if upper else 'L')\n\nand\n\n"
        "L, V = torch.symeig(A, eigenvectors=True) should be replaced with:\nL, V = "
        "torch.linalg.eigh(A, UPLO='U' if upper else 'L')")


def eig(input, eigenvectors=False, *, out=None):
    """Removed from PyTorch 2: raises PyTorch's error, which names the replacement."""
    raise RuntimeError(
        "This function was deprecated since version 1.9 and is now removed. `torch.linalg.eig` "
        "returns complex tensors of dtype `cfloat` or `cdouble` rather than real tensors "
        "mimicking complex tensors.\n\nL, _ = torch.eig(A) should be replaced with:\n"
        "L_complex = torch.linalg.eigvals(A)\n\nand\n\nL, V = torch.eig(A, eigenvectors=True) "
        "should be replaced with:\nL_complex, V_complex = torch.linalg.eig(A)")


# ---------------------------------------------------------------------------- eig


def _complex_dtype(dt):
    return np.dtype(np.complex64) if dt in (np.float32, np.complex64) else np.dtype(np.complex128)


class Eig(Op):
    """Eigenvalues and eigenvectors (unit norm) of a general square A, complex.

    Backward (PyTorch's): V^-H (diag(gL) + (V^H gV - V^H V diag(re(V^H gV))) / conj(E)) V^H
    with E_ij = L_j - L_i; an error if the loss depends on the eigenvectors' phases.
    """

    complex_support = "own"

    @staticmethod
    def forward(ctx, a):
        xp = xp_of(a)
        w, v = la(xp, "eig")(a)
        c = _complex_dtype(a.dtype)
        w, v = w.astype(c, copy=False), v.astype(c, copy=False)
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, gL, gV):
        L, V = ctx.saved_tensors
        Vh = mH(V)
        VhgV = matmul(Vh, gV)
        _gauge_check("linalg_eig_backward", VhgV, "")
        diag_re = real(_diagonal(VhgV))
        VhgV = VhgV - matmul(Vh, V * diag_re.unsqueeze(-2))
        xp = xp_of(L._data)
        n = L.shape[-1]
        Lc = conj_physical(L)
        E = Lc.unsqueeze(-2) - Lc.unsqueeze(-1)
        eye = _const(xp.eye(n, dtype=bool))
        E = where(eye, 1.0, E)
        gA = where(eye, 0.0, VhgV / E) + _diag_embed(gL)
        return linalg_solve(Vh, matmul(gA, Vh))


def linalg_eig(A: Tensor, *, out=None):
    """``(eigenvalues, eigenvectors)`` of a general square A, always complex (eigenvectors of
    unit norm as columns, in LAPACK's order and phase)."""
    no_out("linalg.eig", out)
    check_matrix("linalg.eig", A)
    return RT.linalg_eig(Eig.apply(A))


def linalg_eigvals(A: Tensor, *, out=None) -> Tensor:
    """The eigenvalues of a general square A (complex)."""
    no_out("linalg.eigvals", out)
    check_matrix("linalg.eigvals", A)
    if A.requires_grad:
        return Eig.apply(A)[0]
    xp = xp_of(A._data)
    return _const(la(xp, "eigvals")(A._data).astype(_complex_dtype(A._data.dtype), copy=False))


# ---------------------------------------------------------------------------- SVD


class SVD(Op):
    """U, S, Vh with A = U diag(S) Vh (S descending). ``full``: U m x m and Vh n x n.

    Backward (PyTorch's, from the reduced factors; with ``full`` the extra columns of U and
    rows of Vh get no gradient): U [(skew(U^H gU) S + S skew(Vh gVh^H)) / E + diag(gS)] Vh
    with E_ij = S_j^2 - S_i^2, plus the parts orthogonal to U (m > n) or Vh (m < n); NaN/inf
    for repeated singular values, an error if a complex loss depends on the phases.
    """

    complex_support = "own"

    @staticmethod
    def forward(ctx, a, full):
        xp = xp_of(a)
        u, s, vh = la(xp, "svd")(a, full_matrices=full)
        s = s.astype(_real_dtype(a.dtype), copy=False)
        ctx.full = full
        ctx.save_for_backward(u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        U, S, Vh = ctx.saved_tensors
        m, n = U.shape[-2], Vh.shape[-1]
        k = S.shape[-1]
        if ctx.full:
            U, gU = U[..., :, :k], gU[..., :, :k]
            Vh, gVh = Vh[..., :k, :], gVh[..., :k, :]
        UhgU = matmul(mH(U), gU)
        UhgU = UhgU - mH(UhgU)
        VhgV = matmul(Vh, mH(gVh))
        VhgV = VhgV - mH(VhgV)
        if U.is_complex():
            im_u, im_v = _diagonal(UhgU)._data.imag, _diagonal(VhgV)._data.imag
            if not bool(xp_of(im_u).allclose(im_u, -im_v, rtol=1e-2, atol=1e-2)):
                raise RuntimeError(
                    "svd_backward: The singular vectors in the complex case are specified up to "
                    "multiplication by e^{i phi}. The specified loss function depends on this "
                    "phase term, making it ill-defined.")
        xp = xp_of(S._data)
        S2 = S * S
        E = S2.unsqueeze(-2) - S2.unsqueeze(-1)
        eye = _const(xp.eye(k, dtype=bool))
        E = where(eye, 1.0, E)
        gA = (UhgU * S.unsqueeze(-2) + S.unsqueeze(-1) * VhgV) / E
        gA = gA + _diag_embed(gS)
        if U.is_complex():
            gA = gA + _diag_embed(_diagonal(UhgU) / (S * 2.0))
        if m > n:
            gA = matmul(U, gA)
            gUSinv = gU / S.unsqueeze(-2)
            gA = gA + gUSinv - matmul(U, matmul(mH(U), gUSinv))
            gA = matmul(gA, Vh)
        elif m < n:
            gA = matmul(gA, Vh)
            SinvgVh = gVh / S.unsqueeze(-1)
            gA = gA + SinvgVh - matmul(matmul(SinvgVh, mH(Vh)), Vh)
            gA = matmul(U, gA)
        else:
            gA = matmul(U, matmul(gA, Vh))
        return gA, None


def linalg_svd(A: Tensor, full_matrices: bool = True, *, driver=None, out=None):
    """``(U, S, Vh)`` with A = U diag(S) Vh, singular values descending. ``full_matrices``: U
    is m x m and Vh n x n (else m x k and k x n, k = min(m, n)). ``driver`` picks a cuSOLVER
    algorithm in PyTorch (CUDA only); ember uses its array module's one."""
    no_out("linalg.svd", out)
    check_matrix("linalg.svd", A, square=False)
    _driver(driver, A)
    return RT.linalg_svd(SVD.apply(A, bool(full_matrices)))


def _driver(driver, A):
    if driver is None:
        return
    if driver not in ("gesvd", "gesvdj", "gesvda"):
        raise RuntimeError(f"torch.linalg.svd: Expected driver to be one of gesvd, gesvdj, "
                           f"gesvda, but got {driver}")
    if A.device.type != "cuda":
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on "
                           "CUDA inputs with cuSOLVER backend.")


def linalg_svdvals(A: Tensor, *, driver=None, out=None) -> Tensor:
    """The singular values of A, descending (differentiable through the SVD)."""
    no_out("linalg.svdvals", out)
    check_matrix("linalg.svdvals", A, square=False)
    _driver(driver, A)
    if A.requires_grad:
        return SVD.apply(A, False)[1]
    xp = xp_of(A._data)
    s = la(xp, "svd")(A._data, compute_uv=False)
    return _const(s.astype(_real_dtype(A._data.dtype), copy=False))


def svd(input: Tensor, some: bool = True, compute_uv: bool = True, *, out=None):
    """``torch.svd`` (deprecated in PyTorch): ``(U, S, V)`` with A = U diag(S) V^H -- V, not
    Vh. ``some``: the reduced factors; ``compute_uv=False``: U and V are zero-filled (m x m and
    n x n)."""
    no_out("svd", out)
    check_matrix("linalg.svd", input, square=False)
    if not compute_uv:
        xp = xp_of(input._data)  # (zero-filled square factors, whatever ``some`` says)
        m, n = input._data.shape[-2:]
        s = linalg_svdvals(input)
        batch = input._data.shape[:-2]
        zu = _const(xp.zeros(batch + (m, m), dtype=input._data.dtype))
        zv = _const(xp.zeros(batch + (n, n), dtype=input._data.dtype))
        return RT.svd((zu, s, zv))
    u, s, vh = SVD.apply(input, not some)
    return RT.svd((u, s, mH(vh)))


# ---------------------------------------------------------------------------- LU


def _unpack_raw(xp, packed, piv):
    m, n = packed.shape[-2:]
    k = min(m, n)
    L = xp.tril(packed[..., :, :k], -1) + xp.eye(m, k, dtype=packed.dtype)
    U = xp.triu(packed[..., :k, :])
    perm = permutation_from_pivots(xp, piv, m)
    P = xp.swapaxes(xp.eye(m, dtype=packed.dtype)[perm], -1, -2)
    return P, L, U


def _lu_square_backward(L, U, gL, gU):
    """B = L U (no pivoting, square): gB = L^-H (tril(L^H gL, -1) + triu(gU U^H)) U^-H."""
    phi = tril(matmul(mH(L), gL), -1) + triu(matmul(gU, mH(U)))
    y = SolveTriangular.apply(mH(U), phi, False, False, False)
    return SolveTriangular.apply(mH(L), y, True, True, True)


class LU(Op):
    """P, L, U with A = P L U (partial pivoting; L unit lower triangular m x k, U upper k x n).

    Backward (PyTorch's): with B = P^T A = L U, the square case gives
    gB = L^-H (tril(L^H gL, -1) + triu(gU U^H)) U^-H; a wide A splits U = [U1 | U2] (U2 =
    L^-1 B2), a tall one L = [L1; L2] (L2 = B2 U^-1); gA = P gB.
    """

    complex_support = "own"

    @staticmethod
    def forward(ctx, a):
        xp = xp_of(a)
        packed, piv, _ = lu_raw(xp, a)
        P, L, U = _unpack_raw(xp, packed, piv)
        ctx.mark_non_differentiable(P)
        ctx.save_for_backward(P, L, U)
        return P, L, U

    @staticmethod
    def backward(ctx, _gP, gL, gU):
        P, L, U = ctx.saved_tensors
        m, n = L.shape[-2], U.shape[-1]
        if m == n:
            gB = _lu_square_backward(L, U, gL, gU)
        elif m < n:  # wide: B = L [U1 | U2]
            U1, U2, gU2 = U[..., :, :m], U[..., :, m:], gU[..., :, m:]
            gB2 = SolveTriangular.apply(mH(L), gU2, True, True, True)
            gL1 = gL - matmul(gB2, mH(U2))
            gB = cat([_lu_square_backward(L, U1, gL1, gU[..., :, :m]), gB2], -1)
        else:  # tall: B = [L1; L2] U
            L1, L2, gL2 = L[..., :n, :], L[..., n:, :], gL[..., n:, :]
            gB2 = SolveTriangular.apply(mH(U), gL2, False, False, False)
            gU1 = gU - matmul(mH(L2), gB2)
            gB = cat([_lu_square_backward(L1, U, gL[..., :n, :], gU1), gB2], -2)
        return matmul(P, gB)


def linalg_lu(A: Tensor, *, pivot: bool = True, out=None):
    """``(P, L, U)`` with A = P L U: LU with partial pivoting (``pivot=False`` is CUDA-only in
    PyTorch, and not supported by ember)."""
    no_out("linalg.lu", out)
    check_matrix("linalg.lu", A, square=False)
    _pivot(pivot, "linalg.lu")
    return RT.linalg_lu(LU.apply(A))


def _pivot(pivot, name):
    if not pivot:
        raise RuntimeError(f"{name}: LU without pivoting is not implemented on the CPU")


def _packed(L, U):
    m, n = L.shape[-2], U.shape[-1]
    k = min(m, n)
    low = tril(L, -1)
    if n > k:  # wide: U's extra columns
        return triu(U) + cat([low, _const(xp_of(L._data).zeros(L.shape[:-1] + (n - k,),
                                                                dtype=L._data.dtype))], -1)
    if m > k:  # tall: L's extra rows
        pad = _const(xp_of(U._data).zeros(U.shape[:-2] + (m - k, n), dtype=U._data.dtype))
        return low + cat([U, pad], -2)
    return low + U


def lu_factor_ex_parts(name, A, pivot):
    check_matrix(name, A, square=False)
    _pivot(pivot, name)
    xp = xp_of(A._data)
    packed, piv, info = lu_raw(xp, A._data)
    if A.requires_grad:
        _, L, U = LU.apply(A)
        LU_ = _packed(L, U)
    else:
        LU_ = _const(packed)
    return LU_, _const((piv + 1).astype(np.int32)), _const(info.astype(np.int32))


def linalg_lu_factor(A: Tensor, *, pivot: bool = True, out=None):
    """``(LU, pivots)``: the compact LU factorisation (L below the diagonal, its unit diagonal
    implied; U on and above it) and LAPACK's 1-based pivots (int32). A matrix with an exact
    zero pivot raises, as PyTorch's."""
    no_out("linalg.lu_factor", out)
    LU_, piv, info = lu_factor_ex_parts("torch.linalg.lu_factor", A, pivot)
    fail = first_failure(info._data)
    if fail is not None:
        raise RuntimeError(f"torch.linalg.lu_factor: {batch_prefix(A.shape, fail[0])}U[{fail[1]},"
                           f"{fail[1]}] is zero and using it on lu_solve would result in a "
                           "division by zero. If you still want to perform the factorization, "
                           "consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, "
                           "pivot)")
    return RT.linalg_lu_factor((LU_, piv))


def linalg_lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False, out=None):
    """``(LU, pivots, info)``: :func:`linalg_lu_factor` with info (the 1-based index of the first
    zero pivot, or 0) instead of an error."""
    no_out("linalg.lu_factor_ex", out)
    LU_, piv, info = lu_factor_ex_parts("torch.linalg.lu_factor_ex", A, pivot)
    if check_errors and first_failure(info._data) is not None:
        fail = first_failure(info._data)
        raise LinAlgError(f"torch.linalg.lu_factor_ex: {batch_prefix(A.shape, fail[0])}U["
                          f"{fail[1]},{fail[1]}] is zero and using it on lu_solve would result "
                          "in a division by zero.")
    return RT.linalg_lu_factor_ex((LU_, piv, info))


def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True,
              unpack_pivots: bool = True, *, out=None):
    """``(P, L, U)`` from :func:`linalg_lu_factor`'s compact form (differentiable in LU_data);
    a part not unpacked is an empty tensor."""
    no_out("lu_unpack", out)
    xp = xp_of(LU_data._data)
    m, n = LU_data.shape[-2:]
    k = min(m, n)
    empty = _const(xp.zeros((0,), dtype=LU_data._data.dtype))
    L = U = P = empty
    if unpack_data:
        eye = _const(xp.eye(m, k, dtype=LU_data._data.dtype))
        L = tril(LU_data[..., :, :k], -1) + eye
        U = triu(LU_data[..., :k, :])
    if unpack_pivots:
        piv = LU_pivots._data.astype(np.int64) - 1
        perm = permutation_from_pivots(xp, piv, m)
        P = _const(xp.swapaxes(xp.eye(m, dtype=LU_data._data.dtype)[perm], -1, -2))
    return RT.lu_unpack((P, L, U))

# PyTorch's autocast lists name these (float32 under CPU autocast)
linalg_cholesky = with_policy("linalg_cholesky", linalg_cholesky)
cholesky = with_policy("cholesky", cholesky)
linalg_cholesky_ex = with_policy("linalg_cholesky_ex", linalg_cholesky_ex)
linalg_qr = with_policy("linalg_qr", linalg_qr)
qr = with_policy("qr", qr)
linalg_eigh = with_policy("linalg_eigh", linalg_eigh)
linalg_eigvalsh = with_policy("linalg_eigvalsh", linalg_eigvalsh)
linalg_eig = with_policy("linalg_eig", linalg_eig)
linalg_eigvals = with_policy("linalg_eigvals", linalg_eigvals)
linalg_svd = with_policy("linalg_svd", linalg_svd)
linalg_svdvals = with_policy("linalg_svdvals", linalg_svdvals)
svd = with_policy("svd", svd)
