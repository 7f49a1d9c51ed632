"""Op-table rows of ``ember.linalg`` and PyTorch's older top-level names
(``ember/ops/linsolve.py``, ``decomp.py``, ``matfn.py``): batches, 1x1 and 0x0 matrices,
non-contiguous and complex inputs, float64 gradchecks and double backward.

Matrices are made well-posed inside the rows (``+ 3 I`` for invertible ones, ``A A^H + n I`` for
positive-definite ones), so the expressions are the same for both libraries. Eigen- and
singular vectors are defined up to a sign (a phase for complex ones), so the rows return
functions of them that do not depend on it (squares, moduli, the matrices they rebuild).
"""
from __future__ import annotations

import ember

from ..opcheck import In, N, T, Z, ZT
from .cases import only_ember, row


def _eye(m, a, k=3.0):
    return m.eye(a.shape[-1], dtype=a.dtype, device=a.device) * k


def _wp(m, a):
    """A well-conditioned square matrix from ``a``."""
    return a + _eye(m, a)


def _pd(m, a):
    """A Hermitian positive-definite matrix from ``a``."""
    return a @ a.mH + _eye(m, a, float(a.shape[-1]))


def _sym(m, a):
    return (a + a.mH) / 2


SQ = [(N(3, 3),), (N(2, 4, 4),), (T(3, 3),), (N(1, 1),), (Z(3, 3),), (ZT(2, 2),)]
SQ0 = SQ + [(N(0, 0),), (N(0, 3, 3),)]

CASES = [
    # ------------------------------------------------------------------ inverse, solve, det
    row("linalg_inv", lambda m, a: m.linalg.inv(_wp(m, a)), SQ0),
    row("inverse", lambda m, a: m.inverse(_wp(m, a)) + _wp(m, a).inverse(), SQ[:2]),
    row("linalg_inv_ex", lambda m, a: m.linalg.inv_ex(_wp(m, a)), [(N(2, 3, 3),), (Z(2, 2),)]),
    row("linalg_solve", lambda m, a, b: m.linalg.solve(_wp(m, a), b),
        [(N(3, 3), N(3, 2)), (N(3, 3), N(3)), (N(2, 3, 3), N(3, 1)), (N(2, 3, 3), N(2, 3)),
         (T(3, 3), N(4, 3, 2)), (Z(3, 3), Z(3, 2)), (N(1, 1), N(1, 1)), (N(0, 0), N(0, 2))]),
    row("linalg_solve_right", lambda m, a, b: m.linalg.solve(_wp(m, a), b, left=False),
        [(N(3, 3), N(2, 3)), (Z(2, 3, 3), Z(2, 4, 3))]),
    row("linalg_solve_ex", lambda m, a, b: m.linalg.solve_ex(_wp(m, a), b),
        [(N(3, 3), N(3, 2)), (Z(2, 2), Z(2))]),
    row("linalg_det", lambda m, a: m.linalg.det(a) + m.det(a), SQ0),
    # at an exactly singular matrix ember's gradient is the cofactor matrix, the derivative
    # (PyTorch's with create_graph=True; its first-order formula gives zeros there)
    only_ember("linalg_det_singular", lambda a: ember.linalg.det(a),
               [(In((2, 2), value=[[1.0, 2.0], [2.0, 4.0]]),), (In((3, 3), value=[
                   [1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]),)], double=False),
    row("linalg_slogdet", lambda m, a: m.linalg.slogdet(a), SQ0),
    row("slogdet", lambda m, a: m.slogdet(_wp(m, a)), [(N(3, 3),), (Z(2, 2),)]),
    row("logdet", lambda m, a: m.logdet(_pd(m, a)) + _pd(m, a).logdet(), [(N(3, 3),),
                                                                        (N(2, 2, 2),)]),
    row("logdet_negative", lambda m, a: m.logdet(a.detach() * m.tensor([[-1.0, 0], [0, 1]],
                                                                       dtype=a.dtype,
                                                                       device=a.device)),
        [(N(2, 2, grad=False),)]),
    # ------------------------------------------------------------------ triangular
    row("linalg_solve_triangular", lambda m, a, b: m.linalg.solve_triangular(_wp(m, a), b,
                                                                             upper=True)
        + m.linalg.solve_triangular(_wp(m, a), b, upper=False, unitriangular=True),
        [(N(3, 3), N(3, 2)), (N(2, 3, 3), N(3, 4)), (T(3, 3), N(3, 1)), (Z(3, 3), Z(3, 2)),
         (N(1, 1), N(1, 3))]),
    row("linalg_solve_triangular_right", lambda m, a, b: m.linalg.solve_triangular(
        _wp(m, a), b, upper=True, left=False), [(N(3, 3), N(2, 3)), (Z(2, 2), Z(4, 2))]),
    row("triangular_solve", lambda m, b, a: m.triangular_solve(b, _wp(m, a))
        + m.triangular_solve(b, _wp(m, a), upper=False, transpose=True),
        [(N(3, 2), N(3, 3))]),
    row("solve_triangular_singular", lambda m, a, b: m.linalg.solve_triangular(
        a * m.tensor([[1.0, 1, 1], [0, 0, 1], [0, 0, 1]], dtype=a.dtype,
                   device=a.device), b, upper=True),
        [(N(3, 3, grad=False), N(3, 1, grad=False))]),
    # ------------------------------------------------------------------ Cholesky
    row("linalg_cholesky", lambda m, a: m.linalg.cholesky(_pd(m, a)),
        [(N(3, 3),), (N(2, 4, 4),), (T(3, 3),), (N(1, 1),), (Z(3, 3),), (N(0, 0),)]),
    row("linalg_cholesky_upper", lambda m, a: m.linalg.cholesky(_pd(m, a), upper=True),
        [(N(3, 3),), (Z(2, 2),)]),
    row("linalg_cholesky_ex", lambda m, a: m.linalg.cholesky_ex(_pd(m, a)), [(N(2, 3, 3),)]),
    row("cholesky", lambda m, a: m.cholesky(_pd(m, a)) + m.cholesky(_pd(m, a), upper=True),
        [(N(3, 3),)]),
    row("cholesky_solve", lambda m, b, a: m.cholesky_solve(b, m.linalg.cholesky(_pd(m, a)))
        + m.cholesky_solve(b, m.linalg.cholesky(_pd(m, a), upper=True), upper=True),
        [(N(3, 2), N(3, 3)), (Z(2, 3, 1), Z(3, 3))]),
    row("cholesky_inverse", lambda m, a: m.cholesky_inverse(m.linalg.cholesky(_pd(m, a)))
        + m.cholesky_inverse(m.linalg.cholesky(_pd(m, a), upper=True), upper=True),
        [(N(3, 3),), (Z(2, 2, 2),)]),
    # ------------------------------------------------------------------ QR
    row("linalg_qr", lambda m, a: m.linalg.qr(a), [(N(4, 3),), (N(3, 3),), (N(2, 5, 3),),
                                                  (T(4, 2),), (Z(4, 3),), (N(1, 1),)]),
    row("linalg_qr_wide", lambda m, a: m.linalg.qr(a), [(N(3, 5),), (Z(2, 4),)]),
    row("linalg_qr_complete", lambda m, a: m.linalg.qr(a, mode="complete"),
        [(N(3, 3),), (N(2, 4),), (Z(3, 5),)]),
    row("linalg_qr_r", lambda m, a: m.linalg.qr(a, mode="r")[1], [(N(4, 3, grad=False),)]),
    row("qr", lambda m, a: m.qr(a) + m.qr(a, some=False) if a.shape[-1] >= a.shape[-2] else
        m.qr(a), [(N(4, 3),), (N(3, 4),)]),
    # ------------------------------------------------------------------ eigen
    row("linalg_eigh", lambda m, a: _eigh_invariants(m, m.linalg.eigh(_sym(m, a))),
        [(N(3, 3),), (N(2, 4, 4),), (Z(3, 3),), (N(1, 1),)]),
    row("linalg_eigh_upper", lambda m, a: _eigh_invariants(m, m.linalg.eigh(_sym(m, a),
                                                                            UPLO="U")),
        [(N(3, 3),)]),
    row("linalg_eigvalsh", lambda m, a: m.linalg.eigvalsh(_sym(m, a)) + m.linalg.eigvalsh(
        _sym(m, a), UPLO="U"), [(N(3, 3),), (N(2, 4, 4),), (Z(3, 3),), (N(0, 0),)]),
    row("linalg_eigvalsh_one_triangle", lambda m, a: m.linalg.eigvalsh(a.detach(), UPLO="U"),
        [(N(3, 3, grad=False),)]),
    row("linalg_eig", lambda m, a: _eig_invariants(m, m.linalg.eig(a)),
        [(N(3, 3),), (N(2, 4, 4),), (Z(3, 3),)]),
    row("linalg_eigvals", lambda m, a: m.linalg.eigvals(a), [(N(3, 3),), (Z(2, 2, 2),)]),
    # ------------------------------------------------------------------ SVD
    row("linalg_svd", lambda m, a: _svd_invariants(m, m.linalg.svd(a, full_matrices=False)),
        [(N(4, 3),), (N(3, 4),), (N(3, 3),), (N(2, 5, 3),), (T(3, 4),), (Z(4, 3),),
         (Z(2, 3),), (N(1, 1),)]),
    row("linalg_svd_full", lambda m, a: _svd_invariants(m, m.linalg.svd(a), full=True),
        [(N(4, 3),), (N(2, 4),)]),
    row("linalg_svdvals", lambda m, a: m.linalg.svdvals(a), [(N(4, 3),), (N(2, 3, 5),),
                                                            (Z(3, 3),), (N(0, 2),)]),
    row("svd_legacy", lambda m, a: _svd_legacy(m, a), [(N(4, 3),), (N(3, 5),)]),
    row("svd_legacy_no_uv", lambda m, a: m.svd(a, compute_uv=False), [(N(4, 3),)]),
    # ------------------------------------------------------------------ pinv, lstsq, rank
    row("linalg_pinv", lambda m, a: m.linalg.pinv(a), [(N(4, 3),), (N(3, 5),), (N(2, 3, 3),),
                                                      (Z(3, 2),), (T(2, 4),)]),
    row("linalg_pinv_hermitian", lambda m, a: m.linalg.pinv(_pd(m, a), hermitian=True),
        [(N(3, 3),), (Z(2, 2),)]),
    row("linalg_pinv_tolerances", lambda m, a: m.linalg.pinv(a, rtol=0.3) + m.linalg.pinv(
        a, atol=0.5) + m.pinverse(a, rcond=0.2), [(N(4, 3),)], gradcheck=False),
    row("pinverse", lambda m, a: m.pinverse(a) + a.pinverse(), [(N(3, 4),)]),
    row("linalg_lstsq", lambda m, a, b: m.linalg.lstsq(a, b), [(N(5, 3), N(5, 2)),
                                                              (N(2, 4, 2), N(2, 4, 3)),
                                                              (N(5, 3), N(5)), (Z(4, 2), Z(4, 1))]),
    row("linalg_lstsq_drivers", lambda m, a, b: [x for d in ("gels", "gelsd", "gelss") for x in
                                                 m.linalg.lstsq(a, b, driver=d)],
        [(N(5, 3), N(5, 2))]),
    row("linalg_matrix_rank", lambda m, a: m.linalg.matrix_rank(a) + m.linalg.matrix_rank(
        a[..., :1] @ a[..., :1, :], hermitian=True) + m.linalg.matrix_rank(a, atol=1.0, rtol=0.1)
        + m.linalg.matrix_rank(a, 0.5), [(N(3, 3, grad=False),), (N(2, 4, 4, grad=False),)]),
    # ------------------------------------------------------------------ norms
    row("linalg_vector_norm", lambda m, x: [m.linalg.vector_norm(x, o) for o in
                                            (2, 1, 3, 0.5, float("inf"), -float("inf"), -1)],
        [(N(5),), (N(3, 4),), (Z(3, 2),), (T(2, 3),)], double=False),
    row("linalg_vector_norm_dims", lambda m, x: m.linalg.vector_norm(x, 2, (0, 2), True)
        + m.linalg.vector_norm(x, 3, -1, keepdim=True).sum(), [(N(2, 3, 4),), (Z(2, 2, 3),)]),
    row("linalg_vector_norm_0d", lambda m, x: m.linalg.vector_norm(x) + m.linalg.vector_norm(
        x, 0), [(N(),)]),
    row("linalg_matrix_norm", lambda m, a: [m.linalg.matrix_norm(a, o) for o in
                                            ("fro", "nuc", 2, -2, 1, -1, float("inf"),
                                             -float("inf"))],
        [(N(3, 4),), (N(2, 3, 3),), (Z(3, 2),)], double=False),
    row("linalg_matrix_norm_dims", lambda m, a: m.linalg.matrix_norm(a, "nuc", (0, 2), True)
        + m.linalg.matrix_norm(a, 1, (2, 0), keepdim=True), [(N(3, 2, 4),)], double=False),
    row("linalg_norm", lambda m, a: [m.linalg.norm(a), m.linalg.norm(a, "fro"),
                                     m.linalg.norm(a, 2), m.linalg.norm(a, dim=1),
                                     m.linalg.norm(a, 1, (0, 1)), m.linalg.norm(a[0], 3)],
        [(N(3, 4),), (Z(2, 3),)], double=False),
    row("linalg_cond", lambda m, a: [m.linalg.cond(_wp(m, a), p) for p in (None, "nuc", -2)],
        [(N(3, 3),), (N(2, 3, 3),)], double=False),
    # PyTorch 2.13 cannot differentiate cond with p in (fro, 1, inf) (its inv_ex is changed in
    # place): ember's gradient is checked by finite differences, its values against PyTorch
    only_ember("linalg_cond_norms", lambda a: sum(ember.linalg.cond(_wp(ember, a), p) for p in
                                                  ("fro", 1, float("inf"), -1, -float("inf"))),
               [(N(3, 3),), (N(2, 3, 3),)], double=False),
    row("linalg_cond_norms_values", lambda m, a: [m.linalg.cond(_wp(m, a), p) for p in
                                                  ("fro", 1, float("inf"))], [(N(3, 3,
                                                                                 grad=False),)]),
    # ------------------------------------------------------------------ matrix functions
    row("linalg_matrix_power", lambda m, a: [m.linalg.matrix_power(a, n) for n in (0, 1, 2, 3)]
        + [m.linalg.matrix_power(_wp(m, a), -2), m.matrix_power(a, 5), a.matrix_power(2)],
        [(N(3, 3),), (N(2, 2, 2),), (Z(2, 2),)]),
    row("linalg_matrix_exp", lambda m, a: m.linalg.matrix_exp(a) + m.matrix_exp(a * 0.1),
        [(N(3, 3),), (N(2, 4, 4),), (Z(3, 3),), (N(1, 1),), (N(0, 0),)], atol=1e-7, rtol=1e-6),
    row("linalg_matrix_exp_large", lambda m, a: a.matrix_exp(), [(In((3, 3), value=[
        [4.0, -2.0, 1.0], [3.0, 5.0, -6.0], [0.5, 2.0, 7.0]]),)], atol=1e-5, rtol=1e-7),
    row("linalg_cross", lambda m, a, b: m.linalg.cross(a, b) + m.cross(a, b, dim=-1),
        [(N(3), N(3)), (N(4, 3), N(4, 3)), (N(2, 1, 3), N(1, 4, 3)), (Z(2, 3), Z(2, 3))]),
    row("linalg_cross_dim", lambda m, a, b: m.linalg.cross(a, b, dim=0), [(N(3, 4), N(3, 4))]),
    row("linalg_vecdot", lambda m, a, b: m.linalg.vecdot(a, b) + m.linalg.vecdot(a, b, dim=0).sum(),
        [(N(3, 4), N(3, 4)), (Z(2, 3), Z(2, 3)), (N(4), N(2, 4))]),
    row("linalg_multi_dot", lambda m, a, b, c, d: m.linalg.multi_dot([a, b, c, d]),
        [(N(2, 5), N(5, 3), N(3, 6), N(6, 1)), (N(5), N(5, 3), N(3, 6), N(6)),
         (Z(2, 3), Z(3, 2), Z(2, 4), Z(4, 2))]),
    row("chain_matmul", lambda m, a, b, c: m.chain_matmul(a, b, c), [(N(2, 3), N(3, 4), N(4, 2))]),
    row("linalg_householder_product", lambda m, a, t: m.linalg.householder_product(a, t),
        [(N(4, 3), N(3)), (N(2, 3, 3), N(2, 2)), (Z(3, 2), Z(2))]),
    row("linalg_vander", lambda m, x: m.linalg.vander(x) + m.linalg.vander(x, N=4)[..., :3],
        [(N(3),), (N(2, 3),)]),
    row("linalg_diagonal", lambda m, a: (m.linalg.diagonal(a), m.linalg.diagonal(
        a, offset=1, dim1=0, dim2=2), m.linalg.diagonal(a, offset=-2)), [(N(3, 4, 3),),
                                                                        (Z(2, 3, 4),)]),
    row("linalg_tensorinv", lambda m, a: m.linalg.tensorinv(_wp(m, a.reshape(6, 6)).reshape(
        2, 3, 6), ind=2), [(N(6, 6),)]),
    row("linalg_tensorsolve", lambda m, a, b: m.linalg.tensorsolve(
        _wp(m, a.reshape(6, 6)).reshape(2, 3, 6), b), [(N(6, 6), N(2, 3))]),
    # ------------------------------------------------------------------ LU
    row("linalg_lu", lambda m, a: m.linalg.lu(a), [(N(3, 3),), (N(2, 4, 4),), (T(3, 3),),
                                                  (Z(3, 3),), (N(1, 1),)]),
    row("linalg_lu_rectangular", lambda m, a: m.linalg.lu(a), [(N(4, 2),), (N(2, 4),),
                                                              (Z(2, 3, 2),)]),
    row("linalg_lu_factor", lambda m, a: m.linalg.lu_factor(a), [(N(3, 3),), (N(2, 4, 3),),
                                                                (N(3, 5),), (Z(3, 3),)]),
    row("linalg_lu_factor_ex", lambda m, a: m.linalg.lu_factor_ex(a), [(N(3, 3),)]),
    row("lu_legacy", lambda m, a: m.lu(a, get_infos=True), [(N(3, 3),), (N(2, 3, 3),)]),
    row("linalg_lu_solve", lambda m, a, b: _lu_solves(m, _wp(m, a), b),
        [(N(3, 3), N(3, 2)), (N(2, 3, 3), N(2, 3, 4)), (Z(3, 3), Z(3, 1))]),
    row("lu_unpack", lambda m, a: m.lu_unpack(*m.linalg.lu_factor(a)), [(N(3, 3),),
                                                                       (N(2, 4, 3),)]),
]


def _eigh_invariants(m, res):
    w, v = res
    return w, v * v.conj(), (v * w.unsqueeze(-2)) @ v.mH


def _eig_invariants(m, res):
    w, v = res
    return w, v.abs()


def _svd_invariants(m, res, full=False):
    u, s, vh = res
    k = s.shape[-1]
    if full:
        u, vh = u[..., :, :k], vh[..., :k, :]
    return s, (u * u.conj()), (vh * vh.conj()), (u * s.unsqueeze(-2)) @ vh


def _svd_legacy(m, a):
    u, s, v = m.svd(a)
    uf, sf, vf = m.svd(a, some=False)
    k = s.shape[-1]
    return s, u * u, v * v, sf, uf[..., :k] ** 2, vf[..., :k] ** 2


def _lu_solves(m, a, b):
    lu, piv = m.linalg.lu_factor(a)
    out = m.linalg.lu_solve(lu, piv, b) + m.linalg.lu_solve(lu, piv, b, adjoint=True)
    out = out + m.linalg.lu_solve(lu, piv, b.mT, left=False).mT
    if b.dtype.is_complex:
        return out
    return out + m.lu_solve(b, lu, piv)
