"""Op-table rows of the special functions (``ember/ops/specfun.py``) and ``ember.special``."""
from __future__ import annotations

from ..opcheck import N, P, T, U, In
from .cases import row, unary

BINARY_POS = [  # second operand positive (a log or a zeta argument)
    (N(3, 4), P(3, 4)),
    (N(2, 3, 4), P(3, 1)),
    (N(), P(3)),
    (T(3, 4), P(4)),
    (N(0, 3), P(3)),
]


def _sp(m):
    return m.special


CASES = [
    # ------------------------------------------------------------------ gamma family
    row("lgamma", lambda m, a: m.lgamma(a), unary()),
    row("lgamma_pos_large", lambda m, a: m.lgamma(a * 20), unary("pos")),
    row("digamma", lambda m, a: m.digamma(a), unary()),
    row("digamma_pos", lambda m, a: a.digamma(), unary("pos")),
    row("polygamma_1", lambda m, a: m.polygamma(1, a), unary("pos")),
    row("polygamma_2_neg", lambda m, a: m.polygamma(2, -a - 0.25), unary("unit")),
    row("polygamma_3_method", lambda m, a: a.polygamma(3), unary("pos")),
    row("polygamma_0", lambda m, a: m.polygamma(0, a), [(P(3, 4),)]),
    row("mvlgamma", lambda m, a: m.mvlgamma(a, 3), unary("pos")),
    row("mvlgamma_method", lambda m, a: (a + 2).mvlgamma(p=2), [(N(3, 4),), (T(3, 4),)]),
    # ------------------------------------------------------------------ error function family
    row("erfc", lambda m, a: m.erfc(a), unary()),
    row("erfc_tail", lambda m, a: m.erfc(a * 4), unary("pos")),
    row("erfinv", lambda m, a: m.erfinv(a), unary("unit")),
    row("erfinv_near_one", lambda m, a: a.erfinv(),
        [(In((3, 4), value=[[0.999, -0.9999, 0.7, -0.6], [0.99999, 0.5, -0.5, 0.1],
                            [0.0, -0.999999, 0.3, 0.9]]),)],
        gradcheck=False),  # finite differences are too coarse this near the poles
    row("erfinv_inplace", lambda m, a: (a * 1).erfinv_(), [(U(3, 4),)]),
    row("special_erfcx", lambda m, a: _sp(m).erfcx(a * 3), unary()),
    row("special_ndtr", lambda m, a: _sp(m).ndtr(a * 3), unary()),
    row("special_ndtri", lambda m, a: _sp(m).ndtri(a), unary("prob")),
    row("special_log_ndtr", lambda m, a: _sp(m).log_ndtr(a * 4), unary()),
    row("special_erf_names", lambda m, a: _sp(m).erf(a) + _sp(m).erfc(a) * _sp(m).erfinv(a * 0.5),
        [(U(3, 4),)]),
    # ------------------------------------------------------------------ Bessel functions
    row("i0", lambda m, a: m.i0(a * 3), unary()),
    row("i0_large", lambda m, a: a.i0(),
        [(In((2, 3), value=[[9.0, -12.5, 30.0], [8.0, -7.9, 100.0]]),)]),
    row("special_i0e", lambda m, a: _sp(m).i0e(a * 5), unary()),
    row("special_i1", lambda m, a: _sp(m).i1(a * 5), unary()),
    row("special_i1e", lambda m, a: _sp(m).i1e(a * 5), unary()),
    # ------------------------------------------------------------------ elementary
    row("sinc", lambda m, a: m.sinc(a * 2), unary()),
    row("sinc_zero", lambda m, a: m.sinc(a * a.new_tensor([0.0, 1.0, 0.0, 1.0])),
        [(N(3, 4),)], gradcheck=False),
    row("logit", lambda m, a: m.logit(a), unary("prob")),
    row("logit_eps", lambda m, a: a.logit(eps=0.2), unary("prob")),
    row("special_entr", lambda m, a: _sp(m).entr(a), unary("pos")),
    row("special_expit", lambda m, a: _sp(m).expit(a), unary()),
    row("xlogy", lambda m, a, b: m.xlogy(a, b), BINARY_POS),
    row("xlogy_numbers", lambda m, a: m.xlogy(a, 2.5) + m.xlogy(3, a.abs() + 0.5),
        [(N(3, 4),), (N(),)]),
    row("xlogy_zero_x", lambda m, a, b: m.xlogy(a * a.new_tensor([0.0, 1.0, 0.0]), b),
        [(N(2, 3), P(2, 3))], gradcheck=False),
    row("special_xlog1py", lambda m, a, b: _sp(m).xlog1py(a, b), BINARY_POS),
    row("special_zeta_q", lambda m, a: _sp(m).zeta(2.5, a) + _sp(m).zeta(m.full_like(a, 4.0), a),
        unary("pos")),
    row("special_gammainc", lambda m, a, x: _sp(m).gammainc(a, x),
        [(P(3, 4, grad=False), P(3, 4)), (P(2, 1, grad=False), P(3)), (P(4, grad=False), P(2, 4)),
         (P(grad=False), P(0, 3))]),
    row("special_gammaincc", lambda m, a, x: _sp(m).gammaincc(a * 3, x * 4),
        [(P(3, 4, grad=False), P(3, 4)), (P(2, 1, grad=False), P(5))]),
    row("igamma_methods", lambda m, a, x: a.igamma(x) + a.igammac(x * 2),
        [(P(3, 4, grad=False), P(3, 4))]),
    row("special_gamma_names", lambda m, a: _sp(m).gammaln(a) + _sp(m).psi(a)
        + _sp(m).multigammaln(a + 1, 2) + _sp(m).polygamma(1, a) + _sp(m).digamma(a),
        [(P(3, 4),)]),
    row("special_namespace_ops", lambda m, a: _sp(m).softmax(a, 1) + _sp(m).log_softmax(a, 0)
        + _sp(m).logsumexp(a, 1, keepdim=True) + _sp(m).exp2(a) + _sp(m).expm1(a)
        + _sp(m).log1p(a.abs()) + _sp(m).sinc(a) + _sp(m).round(a, decimals=1),
        [(N(3, 4),), (T(3, 4),)]),
]
