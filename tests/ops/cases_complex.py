"""Op-table rows of complex numbers: the ops that take complex tensors (holomorphic ones through
their conjugated variant, linear ones as they are), the complex parts and views
(``ember/ops/complex_ops.py``), and real inputs promoted to complex.

Inputs ``Z``/``ZT`` are complex128 (``ZT`` non-contiguous); the checker compares values and
complex gradients with PyTorch and runs the finite-difference checks through real pairs.
"""
from __future__ import annotations

from ..opcheck import A0, N, P, T, Z, ZT
from .cases import row

_ZSHAPES = [(), (1,), (3, 4), (2, 1, 3), (0, 2)]


def zunary():
    return [(Z(*s),) for s in _ZSHAPES] + [(ZT(3, 4),)]


ZBROADCAST = [(Z(3, 4), Z(3, 4)), (Z(2, 3, 4), Z(3, 1)), (Z(), Z(3)), (ZT(3, 4), Z(4)),
              (Z(0, 3), Z(3)), (Z(3, 4), N(4)), (N(2, 3), Z(3))]


def _rope(m, x, t):
    """Rotary embeddings as LLaMA writes them: pairs as complex numbers times unit phasors."""
    freqs = m.outer(t, m.arange(1, x.shape[-1] // 2 + 1, dtype=x.dtype, device=x.device))
    cis = m.polar(m.ones_like(freqs), freqs)
    xc = m.view_as_complex(x.reshape(*x.shape[:-1], -1, 2))
    return m.view_as_real(xc * cis).flatten(-2)


CASES = [
    # ------------------------------------------------------------------ arithmetic
    row("complex_add", lambda m, a, b: a + b, ZBROADCAST),
    row("complex_sub", lambda m, a, b: a - b * 2, ZBROADCAST[:4] + ZBROADCAST[5:]),
    row("complex_mul", lambda m, a, b: a * b, ZBROADCAST),
    row("complex_div", lambda m, a, b: a / b, [(Z(3, 4), Z(3, 4)), (Z(2, 3), Z(3)),
                                               (N(3, 4), Z(4)), (Z(3), A0(3))]),
    row("complex_scalar_ops", lambda m, a: (a * (2 - 1j) + 1j) / (0.5 + 2j) - 3j, zunary()),
    row("real_times_imaginary_unit", lambda m, x: x * 1j + x, [(N(3, 4),), (N(),), (T(2, 3),)]),
    row("complex_neg", lambda m, a: -a, zunary()),
    row("complex_pow_scalar", lambda m, a: a ** 3 + a ** 0.5, zunary()),
    row("complex_pow_tensor", lambda m, a, b: a ** b, [(Z(3, 4), Z(3, 4)), (Z(2, 3), Z(3))]),
    row("complex_rpow", lambda m, a: 2.0 ** a, [(Z(3, 4),)]),
    # ------------------------------------------------------------------ analytic functions
    row("complex_exp", lambda m, a: m.exp(a), zunary()),
    row("complex_exp2", lambda m, a: m.exp2(a), [(Z(3, 4),)]),
    row("complex_log", lambda m, a: m.log(a), zunary()),
    row("complex_log2", lambda m, a: m.log2(a), [(Z(3, 4),)]),
    row("complex_log10", lambda m, a: m.log10(a), [(Z(3, 4),)]),
    row("complex_log1p", lambda m, a: m.log1p(a), [(Z(3, 4),)]),
    row("complex_expm1", lambda m, a: m.expm1(a), [(Z(3, 4),)]),
    row("complex_sqrt", lambda m, a: m.sqrt(a), zunary()),
    row("complex_rsqrt", lambda m, a: m.rsqrt(a), [(Z(3, 4),)]),
    row("complex_reciprocal", lambda m, a: m.reciprocal(a), [(Z(3, 4),), (Z(),)]),
    row("complex_sin_cos", lambda m, a: m.sin(a) + m.cos(a), [(Z(3, 4),), (ZT(2, 3),)]),
    row("complex_tan", lambda m, a: m.tan(a * 0.3), [(Z(3, 4),)]),
    row("complex_tanh", lambda m, a: m.tanh(a * 0.3), [(Z(3, 4),)]),
    row("complex_sigmoid", lambda m, a: m.sigmoid(a * 0.3), [(Z(3, 4),)]),
    row("complex_square", lambda m, a: m.square(a), [(Z(3, 4),)]),
    # ------------------------------------------------------------------ parts and views
    row("complex_abs", lambda m, a: m.abs(a), zunary()),
    row("complex_angle", lambda m, a: m.angle(a), zunary()),
    row("real_angle", lambda m, x: m.angle(x) + x, [(A0(3, 4),)]),
    row("complex_sgn", lambda m, a: m.sgn(a), [(Z(3, 4),), (Z(),)]),
    row("complex_real_imag", lambda m, a: m.real(a) * 2 + a.imag * 3, zunary()),
    row("real_of_real", lambda m, x: m.real(x), [(N(3, 4),)]),
    # (no zero-size rows: torch.from_numpy gives an empty array zero strides, which PyTorch's
    # own view_as_complex refuses)
    row("view_as_real", lambda m, a: m.view_as_real(a), [(Z(*s),) for s in _ZSHAPES[:4]] +
        [(ZT(3, 4),)]),
    row("view_as_complex", lambda m, x: m.view_as_complex(x), [(N(3, 2),), (N(2),),
                                                               (N(2, 3, 2),)]),
    row("view_as_complex_strided", lambda m, x: m.view_as_complex(x[:, ::2]),
        [(N(3, 4, 2),)]),
    row("conj", lambda m, a: m.conj(a) * a.conj_physical(), zunary()),
    row("mH_adjoint", lambda m, a: a.mH @ a + a.adjoint(), [(Z(3, 3),), (Z(2, 4, 4),)]),
    row("complex_from_parts", lambda m, a, b: m.complex(a, b), [(N(3, 4), N(3, 4)),
                                                                (N(2, 3), N(3)), (N(), N(2))]),
    row("polar", lambda m, r, t: m.polar(r, t), [(P(3, 4), N(3, 4)), (P(3), N(2, 3)),
                                                 (P(), N())]),
    row("cast_real_complex", lambda m, x: x.to(m.complex128) * (1 + 2j), [(N(3, 4),)]),
    row("complex_to_real_parts", lambda m, a: m.view_as_real(a.to(m.complex128)), [(Z(3),)]),
    row("rotary_embedding", _rope, [(N(2, 5, 8), N(5, grad=False)), (N(3, 4), N(3, grad=False))]),
    # ------------------------------------------------------------------ reductions and shapes
    row("complex_sum_mean", lambda m, a: a.sum(1) + a.mean(1) * 2, [(Z(3, 4),), (ZT(4, 3),)]),
    row("complex_sum_empty", lambda m, a: a.sum(1), [(Z(2, 0),)]),
    row("complex_sum_all", lambda m, a: a.sum() + a.mean(), [(Z(3, 4),), (Z(),)]),
    row("complex_cumsum", lambda m, a: a.cumsum(0), [(Z(3, 4),)]),
    row("complex_shapes", lambda m, a: m.cat([a.reshape(6, 2).T[:, ::2], a.flatten()[None, :3]
                                              .flip(1)], 0).roll(1, 1).unsqueeze(0)
        .expand(2, 3, 3).permute(2, 0, 1), [(Z(3, 4),), (ZT(4, 3),)]),
    row("complex_stack_split", lambda m, a, b: m.stack(m.split(m.stack([a, b]), 1, 0), -1),
        [(Z(3), Z(3))]),
    row("complex_indexing", lambda m, a: a[_ix(m, a, [0, 2, 0])] + a[:, None][..., 0, :],
        [(Z(3, 4),)]),
    row("complex_gather_scatter", lambda m, a, b: m.gather(a, 1, _ix(m, a, [[0, 1], [2, 2]]))
        + m.scatter_add(b, 1, _ix(m, a, [[0, 0], [1, 1]]), a[:, :2])[:, :2]
        + m.scatter(b, 1, _ix(m, a, [[1], [0]]), a[:, 1:2])[:, :2],
        [(Z(2, 3), Z(2, 3))]),
    row("complex_index_put", lambda m, a, v: _setitem(m, a, v), [(Z(3, 4), Z(4))]),
    row("complex_where", lambda m, a, b: m.where(a.real > 0, a, b), [(Z(3, 4), Z(3, 4))]),
    row("complex_pad", lambda m, a: m.nn.functional.pad(a, (1, 2)), [(Z(2, 3),)]),
    row("complex_repeat", lambda m, a: a.repeat(2, 3), [(Z(2, 2),)]),
    row("complex_clone", lambda m, a: a.clone() * 2, [(Z(3),)]),
    # ------------------------------------------------------------------ products
    row("complex_matmul", lambda m, a, b: a @ b, [(Z(3, 4), Z(4, 5)), (ZT(3, 4), Z(4, 2)),
                                                  (Z(2, 3, 4), Z(4)), (Z(4), Z(4, 3)),
                                                  (Z(4), Z(4)), (Z(2, 1, 3, 4), Z(5, 4, 2))]),
    row("complex_einsum", lambda m, a, b: m.einsum("bij,bjk->bik", a, b),
        [(Z(2, 3, 4), Z(2, 4, 5))]),
    row("complex_linear", lambda m, x, w, b: m.nn.functional.linear(x, w, b),
        [(Z(2, 3, 4), Z(5, 4), Z(5)), (Z(3, 4), Z(2, 4), Z(2))]),
]


def _ix(m, a, index):
    """An index tensor on ``a``'s device (so the row runs on the device too)."""
    return m.tensor(index, device=a.device)


def _setitem(m, a, v):
    b = a * 1.0
    b[1] = v
    return b * 2
