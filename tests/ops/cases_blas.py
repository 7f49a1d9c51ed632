"""Op-table rows of the BLAS-style fused products and ``cdist`` (``ember/ops/blas.py``)."""
from __future__ import annotations

from ..opcheck import C, N, T
from .cases import row

_NAN = float("nan")

CASES = [
    row("addmm", lambda m, i, a, b: m.addmm(i, a, b),
        [(N(2, 5), N(2, 3), N(3, 5)), (N(5), T(2, 3), N(3, 5)), (N(), N(2, 3), T(3, 5)),
         (N(1, 5), N(2, 3), N(3, 5)), (N(0, 5), N(0, 3), N(3, 5)), (N(2, 4), N(2, 0), N(0, 4))]),
    row("addmm_scaled", lambda m, i, a, b: m.addmm(i, a, b, beta=0.5, alpha=-2.0)
        + i.addmm(a, b, alpha=3), [(N(2, 5), N(2, 3), N(3, 5)), (N(2, 1), N(2, 3), N(3, 5))]),
    row("addmm_beta0_ignores_nan", lambda m, i, a, b: m.addmm(i, a, b, beta=0),
        [(C([[_NAN, float("inf")], [1.0, _NAN]]), N(2, 3), N(3, 2))]),
    row("addmm_alpha0", lambda m, i, a, b: m.addmm(i, a, b, beta=2, alpha=0),
        [(N(2, 2), N(2, 3), N(3, 2))]),
    row("addmm_inplace", lambda m, i, a, b: (i * 1).addmm_(a, b, beta=0.5),
        [(N(2, 5), N(2, 3), N(3, 5))]),
    row("addmv", lambda m, i, a, v: m.addmv(i, a, v, beta=0.3, alpha=1.5),
        [(N(3), N(3, 4), N(4)), (N(1), T(3, 4), N(4)), (N(), N(3, 4), N(4)),
         (N(0), N(0, 2), N(2))]),
    row("addmv_methods", lambda m, i, a, v: i.addmv(a, v) + (i * 1).addmv_(a, v, alpha=2),
        [(N(3), N(3, 4), N(4))]),
    row("addr", lambda m, i, a, b: m.addr(i, a, b, alpha=0.5),
        [(N(3, 4), N(3), N(4)), (N(4), N(3), N(4)), (N(), N(3), N(4)), (N(0, 2), N(0), N(2))]),
    row("addr_methods", lambda m, i, a, b: i.addr(a, b, beta=2) + (i * 1).addr_(a, b),
        [(N(3, 4), N(3), N(4))]),
    row("baddbmm", lambda m, i, a, b: m.baddbmm(i, a, b, beta=0.5, alpha=2),
        [(N(2, 3, 5), N(2, 3, 4), N(2, 4, 5)), (N(3, 5), N(2, 3, 4), N(2, 4, 5)),
         (N(1, 1, 5), T(2, 3, 4), N(2, 4, 5)), (N(0, 3, 2), N(0, 3, 4), N(0, 4, 2))]),
    row("baddbmm_methods", lambda m, i, a, b: i.baddbmm(a, b) + (i * 1).baddbmm_(a, b, beta=0),
        [(N(2, 3, 5), N(2, 3, 4), N(2, 4, 5))]),
    row("addbmm", lambda m, i, a, b: m.addbmm(i, a, b, alpha=0.5),
        [(N(3, 5), N(2, 3, 4), N(2, 4, 5)), (N(5), T(2, 3, 4), N(2, 4, 5)),
         (N(3, 5), N(0, 3, 4), N(0, 4, 5))]),
    row("addbmm_methods", lambda m, i, a, b: i.addbmm(a, b) + (i * 1).addbmm_(a, b, beta=2),
        [(N(3, 5), N(2, 3, 4), N(2, 4, 5))]),
    # ------------------------------------------------------------------ distances
    row("cdist", lambda m, a, b: m.cdist(a, b),
        [(N(5, 3), N(4, 3)), (N(2, 5, 3), N(2, 4, 3)), (T(3, 5), N(4, 5)), (N(1, 1), N(1, 1)),
         (N(2, 1, 3, 2), N(4, 5, 2)), (N(0, 3), N(4, 3)), (N(3, 0), N(2, 0))]),
    row("cdist_p1", lambda m, a, b: m.cdist(a, b, p=1), [(N(5, 3), N(4, 3)), (T(3, 4), N(2, 4))]),
    row("cdist_p0", lambda m, a, b: m.cdist(a, b, p=0) * a.sum(), [(N(5, 3), N(4, 3))]),
    row("cdist_pinf", lambda m, a, b: m.cdist(a, b, p=float("inf")), [(N(2, 5, 3), N(2, 4, 3))]),
    row("cdist_p3", lambda m, a, b: m.cdist(a, b, p=3),
        [(N(5, 3), N(4, 3)), (N(2, 3, 2), N(1, 4, 2))]),
    row("cdist_p_half", lambda m, a, b: m.cdist(a, b, p=0.5), [(N(5, 3), N(4, 3))]),
    row("cdist_p1_5", lambda m, a, b: m.cdist(a, b, p=1.5), [(N(5, 3), N(4, 3))]),
    row("cdist_mm", lambda m, a, b: m.cdist(a, b), [(N(30, 3), N(4, 3)), (N(2, 3, 4), N(2, 27, 4))],
        rtol=1e-6, atol=1e-7),
    row("cdist_modes", lambda m, a, b: m.cdist(a, b, compute_mode="use_mm_for_euclid_dist")
        + m.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist"), [(N(5, 3), N(4, 3))]),
    row("cdist_coincident_rows", lambda m, a: m.cdist(a, a[:2]), [(N(4, 3),)], gradcheck=False),
]
