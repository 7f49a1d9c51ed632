"""The op table: one row per op (or per variant worth its own row).

``row(name, f, inputs)`` uses the same expression for both libraries: ``f(m, *xs)``
is called with ``m = ember`` and with ``m = torch``. Every input list covers,
where the op allows, a 0-d tensor, size-1 and zero-size axes, a
non-contiguous (transposed) input and broadcast pairs.
"""
from __future__ import annotations

import importlib
import pathlib

import ember

from ..opcheck import A0, B, C, I, N, OpCase, P, PR, T, U, torch
from ..opcheck import In


def row(name, f, inputs, **kw):
    return OpCase(name, lambda *xs: f(ember, *xs),
                  (lambda *xs: f(torch, *xs)) if torch is not None else None, inputs, **kw)


def only_ember(name, f, inputs, **kw):
    return OpCase(name, f, None, inputs, **kw)


BROADCAST = [
    (N(3, 4), N(3, 4)),
    (N(2, 3, 4), N(3, 1)),
    (N(), N(3)),
    (N(4), N()),
    (N(1, 3, 1, 2, 1), N(2, 1, 4, 1, 3)),
    (T(3, 4), N(4)),
    (N(0, 3), N(3)),
    (N(5, 1, 3, 1), N(1, 3, 1)),
]

UNARY_SHAPES = [(), (1,), (3, 4), (2, 1, 3), (0, 2)]


def unary(kind="normal"):
    sets = [(In(s, kind),) for s in UNARY_SHAPES]
    sets.append((In((3, 4), "T"),) if kind == "normal" else (In((4, 3), kind),))
    return sets


def _twice(f):
    """The gradient of ``sum(f(x) * w)`` w.r.t. x, recorded: exercises ops' backward ops."""
    def g(m, x, w):
        y = (f(m, x) * w).sum()
        return m.autograd.grad(y, x, create_graph=True)[0]
    return g


def _twice_sum(f):
    """The recorded gradient of ``sum(f(x))`` w.r.t. x (for a second-order row)."""
    def g(m, x):
        return m.autograd.grad(f(m, x).sum(), x, create_graph=True)[0]
    return g


CASES = [
    # ------------------------------------------------------------------ arithmetic
    row("add", lambda m, a, b: a + b, BROADCAST),
    row("add_alpha", lambda m, a, b: m.add(a, b, alpha=2.5), BROADCAST[:3]),
    row("add_scalar", lambda m, a: 3.5 + a, unary()),
    row("sub", lambda m, a, b: a - b, BROADCAST),
    row("rsub_scalar", lambda m, a: 2.0 - a, unary()),
    row("mul", lambda m, a, b: a * b, BROADCAST),
    row("mul_scalar", lambda m, a: a * -1.5, unary()),
    row("div", lambda m, a, b: a / b, [(N(3, 4), A0(3, 4)), (N(2, 3, 4), A0(3, 1)),
                                       (N(), A0(3)), (T(3, 4), A0(4)), (N(0, 2), A0(2))]),
    row("rdiv_scalar", lambda m, a: 2.0 / a, [(A0(3, 4),), (A0(),)]),
    row("neg", lambda m, a: -a, unary()),
    row("pow_tensor", lambda m, a, b: a ** b, [(P(3, 4), N(3, 4)), (P(2, 3), N(3)),
                                               (P(), N(2, 2)), (P(0, 3), N(3))]),
    row("pow_scalar", lambda m, a: a ** 3, unary()),
    row("pow_frac", lambda m, a: a ** 0.5, unary("pos")),
    row("rpow", lambda m, a: 2.0 ** a, unary()),
    row("square", lambda m, a: m.square(a), unary()),
    # ------------------------------------------------------------------ unary math
    row("exp", lambda m, a: m.exp(a), unary()),
    row("exp2", lambda m, a: m.exp2(a), unary()),
    row("log", lambda m, a: m.log(a), unary("pos")),
    row("log2", lambda m, a: m.log2(a), unary("pos")),
    row("log10", lambda m, a: m.log10(a), unary("pos")),
    row("log1p", lambda m, a: m.log1p(a), unary("pos")),
    row("expm1", lambda m, a: m.expm1(a), unary()),
    row("sqrt", lambda m, a: m.sqrt(a), unary("pos")),
    row("rsqrt", lambda m, a: m.rsqrt(a), unary("pos")),
    row("abs", lambda m, a: m.abs(a), unary("away0")),
    row("sign", lambda m, a: m.sign(a) * a, unary("away0")),
    row("reciprocal", lambda m, a: m.reciprocal(a), unary("away0")),
    row("sin", lambda m, a: m.sin(a), unary()),
    row("cos", lambda m, a: m.cos(a), unary()),
    row("tan", lambda m, a: m.tan(a), unary("unit")),
    row("tanh", lambda m, a: m.tanh(a), unary()),
    row("sigmoid", lambda m, a: m.sigmoid(a), unary()),
    row("relu", lambda m, a: m.relu(a), unary("away0"), double=False),
    row("erf", lambda m, a: m.erf(a), unary()),
    row("floor_zero_grad", lambda m, a: m.floor(a) + a, [(A0(3, 4),)]),
    # ------------------------------------------------------------------ clamps and selection
    row("clamp", lambda m, a: m.clamp(a, -0.5, 0.7), unary("normal")),
    row("clamp_min", lambda m, a: a.clamp(min=0.1), unary("normal")),
    row("clamp_tensor", lambda m, a, lo, hi: m.clamp(a, lo, hi),
        [(N(3, 4), U(3, 4), P(3, 4)), (N(2, 3), U(3), P(2, 3))]),
    row("maximum", lambda m, a, b: m.maximum(a, b), BROADCAST[:6]),
    row("minimum", lambda m, a, b: m.minimum(a, b), BROADCAST[:6]),
    row("where", lambda m, c, a, b: m.where(c, a, b),
        [(B(3, 4), N(3, 4), N(3, 4)), (B(3, 1), N(4), N(3, 4)), (B(), N(2), N(2)),
         (B(0, 2), N(2), N(0, 2))]),
    row("where_scalar", lambda m, c, a: m.where(c, a, 0.5), [(B(3, 4), N(3, 4))]),
    # ------------------------------------------------------------------ dtype / copies
    row("cast_roundtrip", lambda m, a: (a.float() * 2).double(), [(N(3, 4),)],
        gradcheck=False, atol=1e-6, rtol=1e-6),
    row("clone", lambda m, a: a.clone() * 1.5, unary()),
    row("contiguous", lambda m, a: a.t().contiguous(), [(N(3, 4),), (T(2, 5),)]),
    # ------------------------------------------------------------------ reductions
    row("sum_all", lambda m, a: a.sum(), unary()),
    row("sum_dim", lambda m, a: a.sum(1), [(N(3, 4),), (N(2, 3, 4),), (T(3, 5),), (N(2, 0),)]),
    row("sum_dims_keep", lambda m, a: a.sum((0, 2), keepdim=True), [(N(2, 3, 4),), (N(1, 1, 1),)]),
    row("sum_neg_dim", lambda m, a: a.sum(-1, keepdim=True), [(N(3, 4),), (N(5),)]),
    row("mean_all", lambda m, a: a.mean(), [(N(3, 4),), (N(),), (T(2, 3),)]),
    row("mean_dim", lambda m, a: a.mean((0, -1)), [(N(2, 3, 4),), (N(1, 5, 1),)]),
    row("prod_all", lambda m, a: a.prod(), [(A0(3, 3),), (A0(),)]),
    row("prod_dim", lambda m, a: a.prod(1, keepdim=True), [(A0(3, 4),), (A0(2, 3, 2),)]),
    row("prod_with_zero", lambda m, a: (a * m.tensor([[1.0, 0.0, 1.0]])).prod(1),
        [(A0(2, 3),)], double=False),
    row("max_dim", lambda m, a: a.max(1), [(N(3, 4),), (N(2, 3, 4),), (T(4, 3),)]),
    row("min_dim_keep", lambda m, a: a.min(0, keepdim=True), [(N(3, 4),), (N(5),)]),
    row("max_all", lambda m, a: a.max(), [(N(3, 4),), (N(),)]),
    row("min_all", lambda m, a: a.min(), [(N(3, 4),)]),
    row("amax", lambda m, a: m.amax(a, (0, 2)), [(N(2, 3, 4),)]),
    row("amin", lambda m, a: m.amin(a, -1, keepdim=True), [(N(3, 4),), (N(1),)]),
    row("amax_ties", lambda m, a: m.amax(a * 0 + m.tensor([1.0, 3.0, 3.0]), 0),
        [(N(3),)], gradcheck=False),
    row("var", lambda m, a: a.var(1), [(N(3, 4),), (N(2, 5, 3),)]),
    row("var_correction0", lambda m, a: m.var(a, (0, 1), correction=0, keepdim=True),
        [(N(3, 4),)]),
    row("std", lambda m, a: a.std(), [(N(3, 4),), (T(4, 3),)]),
    row("std_unbiased_false", lambda m, a: m.std(a, 0, unbiased=False), [(N(5, 2),)]),
    row("logsumexp", lambda m, a: m.logsumexp(a, 1), [(N(3, 4),), (N(2, 3, 4),), (N(2, 0),)]),
    row("logsumexp_keep", lambda m, a: m.logsumexp(a, (0, 1), keepdim=True), [(N(3, 4),)]),
    row("norm2", lambda m, a: a.norm(), [(N(3, 4),), (N(5),)]),
    row("norm_dim", lambda m, a: m.norm(a, dim=1), [(N(3, 4),)]),
    row("norm1", lambda m, a: m.norm(a, p=1, dim=0), [(A0(3, 4),)], double=False),
    row("norm3", lambda m, a: m.norm(a, p=3, dim=(0, 1), keepdim=True), [(A0(3, 4),)]),
    row("norm_inf", lambda m, a: m.norm(a, p=float("inf"), dim=1), [(A0(3, 4),)],
        double=False),
    row("cumsum", lambda m, a: a.cumsum(1), [(N(3, 4),), (N(2, 3, 2),), (T(3, 4),)]),
    row("cumsum_dim0", lambda m, a: m.cumsum(a, 0), [(N(5),), (N(0, 2),)]),
    # ------------------------------------------------------------------ linear algebra
    row("matmul_2d", lambda m, a, b: a @ b, [(N(3, 4), N(4, 5)), (T(3, 4), N(4, 2)),
                                             (N(1, 4), N(4, 1)), (N(0, 4), N(4, 3))]),
    row("matmul_vec_vec", lambda m, a, b: a @ b, [(N(4), N(4))]),
    row("matmul_mat_vec", lambda m, a, b: a @ b, [(N(3, 4), N(4)), (N(2, 3, 4), N(4))]),
    row("matmul_vec_mat", lambda m, a, b: a @ b, [(N(4), N(4, 3)), (N(4), N(2, 4, 3))]),
    row("matmul_batched_broadcast", lambda m, a, b: m.matmul(a, b),
        [(N(2, 1, 3, 4), N(5, 4, 2)), (N(2, 3, 4), N(4, 5)), (N(3, 4), N(2, 4, 5))]),
    row("mm", lambda m, a, b: m.mm(a, b), [(N(3, 4), N(4, 5))]),
    row("bmm", lambda m, a, b: m.bmm(a, b), [(N(2, 3, 4), N(2, 4, 5))]),
    row("mv", lambda m, a, b: m.mv(a, b), [(N(3, 4), N(4))]),
    row("dot", lambda m, a, b: m.dot(a, b), [(N(4), N(4))]),
    row("outer", lambda m, a, b: m.outer(a, b), [(N(3), N(4))]),
    row("einsum_mm", lambda m, a, b: m.einsum("ij,jk->ik", a, b), [(N(3, 4), N(4, 5))]),
    row("einsum_batch", lambda m, a, b: m.einsum("bij,bjk->bik", a, b),
        [(N(2, 3, 4), N(2, 4, 5))]),
    row("einsum_implicit_sum", lambda m, a, b: m.einsum("i,i", a, b), [(N(4), N(4))]),
    row("einsum_reduce_in_operand", lambda m, a, b: m.einsum("ij,k->k", a, b),
        [(N(2, 3), N(4))]),
    row("einsum_ellipsis", lambda m, a, b: m.einsum("...ij,...jk->...ik", a, b),
        [(N(2, 3, 4), N(2, 4, 2))]),
    row("einsum_permute", lambda m, a: m.einsum("ijk->kji", a), [(N(2, 3, 4),)]),
    # ------------------------------------------------------------------ shape
    row("reshape", lambda m, a: a.reshape(4, -1), [(N(2, 3, 4),), (T(4, 6),)]),
    row("view", lambda m, a: a.view(6, 4) * 2, [(N(2, 3, 4),)]),
    row("reshape_0d", lambda m, a: a.reshape(1, 1), [(N(),)]),
    row("flatten", lambda m, a: a.flatten(1), [(N(2, 3, 4),), (N(2, 0, 3),)]),
    row("unflatten", lambda m, a: a.unflatten(1, (2, 3)), [(N(4, 6),)]),
    row("squeeze", lambda m, a: a.squeeze(), [(N(1, 3, 1, 2),), (N(1),)]),
    row("squeeze_dim", lambda m, a: a.squeeze(2), [(N(3, 2, 1),)]),
    row("unsqueeze", lambda m, a: a.unsqueeze(-1), [(N(3, 2),), (N(),)]),
    row("permute", lambda m, a: a.permute(2, 0, 1), [(N(2, 3, 4),), (T(4, 3, 2),)]),
    row("transpose", lambda m, a: a.transpose(0, 2), [(N(2, 3, 4),)]),
    row("T", lambda m, a: a.T, [(N(3, 4),), (N(5),)]),
    row("mT", lambda m, a: a.mT, [(N(2, 3, 4),)]),
    row("movedim", lambda m, a: m.movedim(a, 0, -1), [(N(2, 3, 4),)]),
    row("expand", lambda m, a: a.expand(2, 3, 4), [(N(3, 1),), (N(1, 4),), (N(),)]),
    row("expand_as", lambda m, a, b: a.expand_as(b), [(N(3, 1), N(2, 3, 5))]),
    row("broadcast_to", lambda m, a: m.broadcast_to(a, (4, 3)), [(N(3),)]),
    row("repeat", lambda m, a: a.repeat(2, 1, 3), [(N(3, 2),), (N(2, 1, 2),)]),
    row("tile", lambda m, a: m.tile(a, (2,)), [(N(3, 2),)]),
    row("cat", lambda m, a, b: m.cat([a, b], 1), [(N(2, 3), N(2, 4)), (N(2, 0), N(2, 2)),
                                                  (T(3, 2), N(3, 1))]),
    row("cat_dim0_three", lambda m, a, b, c: m.cat([a, b, c]), [(N(1, 2), N(3, 2), N(2, 2))]),
    row("stack", lambda m, a, b: m.stack([a, b], -1), [(N(2, 3), N(2, 3)), (N(), N())]),
    row("split", lambda m, a: a.split(2, 1), [(N(3, 5),)]),
    row("split_sizes", lambda m, a: m.split(a, [1, 3], 0), [(N(4, 2),)]),
    row("chunk", lambda m, a: a.chunk(3, 0), [(N(7, 2),)]),
    row("unbind", lambda m, a: a.unbind(1), [(N(2, 3),)]),
    row("split_partial_use", lambda m, a: a.split(2, 0)[1] * 3, [(N(5, 2),)]),
    row("flip", lambda m, a: m.flip(a, (0, 1)), [(N(3, 4),), (T(2, 3),)]),
    row("roll", lambda m, a: m.roll(a, (1, -2), (0, 1)), [(N(3, 4),)]),
    row("roll_flat", lambda m, a: m.roll(a, 2), [(N(3, 4),)]),
    row("pad", lambda m, a: _pad(m, a),
        [(N(2, 3, 4),), (N(3, 4),)]),
    row("pad_crop", lambda m, a: _pad(m, a, (-1, 1)), [(N(3, 4),)]),
    row("narrow", lambda m, a: a.narrow(1, 1, 2), [(N(3, 4),)]),
    # ------------------------------------------------------------------ indexing
    row("getitem_slice", lambda m, a: a[1:, ::2], [(N(4, 5),), (T(5, 4),)]),
    row("getitem_int_none_ellipsis", lambda m, a: a[..., 1, None], [(N(2, 3, 4),)]),
    row("getitem_neg", lambda m, a: a[-1], [(N(3, 4),)]),
    row("getitem_int_tensor_dups", lambda m, a: a[m.tensor([0, 2, 0, 1])], [(N(3, 4),)]),
    row("getitem_two_arrays", lambda m, a: a[m.tensor([0, 1, 1]), m.tensor([2, 0, 2])],
        [(N(3, 4),)]),
    row("getitem_mask", lambda m, a, k: a[k], [(N(3, 4), B(3, 4)), (N(3, 4), B(3))]),
    row("getitem_mixed", lambda m, a: a[1:, m.tensor([0, 0, 2])], [(N(3, 4),)]),
    row("getitem_list", lambda m, a: a[[2, 0]], [(N(3, 2),)]),
    row("getitem_none_adv", lambda m, a: a[None, m.tensor([1, 1])], [(N(3, 2),)]),
    row("index_select", lambda m, a, i: m.index_select(a, 1, i), [(N(3, 4), I(4, 5))]),
    row("gather", lambda m, a, i: m.gather(a, 1, i), [(N(3, 4), I(4, 3, 5)), (N(2, 3), I(2, 1, 3))]),
    row("scatter", lambda m, a, s, i: m.scatter(a, 1, i, s),
        [(N(2, 5), N(2, 3), In((2, 3), "perm", grad=False)),
         (N(3, 4), N(3, 4), In((3, 4), "perm", grad=False))]),
    row("scatter_value", lambda m, a, i: a.scatter(1, i, 0.5), [(N(2, 5), In((2, 3), "perm", grad=False))]),
    row("scatter_add", lambda m, a, s, i: m.scatter_add(a, 0, i, s),
        [(N(3, 4), N(5, 4), I(3, 5, 4)), (N(3, 2), N(2, 2), I(3, 2, 2))]),
    row("masked_fill", lambda m, a, k: a.masked_fill(k, -2.0), [(N(3, 4), B(3, 4)),
                                                                (N(3, 4), B(4))]),
    row("take_along_dim", lambda m, a, i: m.take_along_dim(a, i, 1), [(N(3, 4), I(4, 3, 2)),
                                                                      (N(3, 4), I(4, 1, 2))]),
    row("setitem_grad", lambda m, a, v: _setitem(m, a, v), [(N(3, 4), N(4)), (N(3, 4), N())]),
    # ------------------------------------------------------------------ softmax family
    row("softmax", lambda m, a: m.softmax(a, 1), [(N(3, 4),), (N(2, 3, 4),), (N(2, 0),)]),
    row("softmax_dim0", lambda m, a: m.softmax(a, 0), [(N(5),), (T(3, 4),)]),
    row("log_softmax", lambda m, a: m.log_softmax(a, -1), [(N(3, 4),), (N(1, 1),)]),
    row("softmax_large_logits", lambda m, a: m.log_softmax(a * 1e4, 1), [(N(3, 4),)],
        gradcheck=False, rtol=1e-6, atol=1e-6),
    # ------------------------------------------------------------------ backward ops (double)
    row("grad_of_getitem", _twice(lambda m, x: x[m.tensor([0, 2, 0])] ** 2),
        [(N(3, 4), N(3, 4, grad=False))]),
    row("grad_of_gather", _twice(lambda m, x: m.gather(x, 1, m.tensor([[0, 1], [1, 1]])) ** 2),
        [(N(2, 3), N(2, 2, grad=False))]),
    row("grad_of_max_dim", _twice(lambda m, x: x.max(1)[0] ** 2), [(N(3, 4), N(3, grad=False))]),
]


def _pad(m, a, widths=(1, 2, 0, 1)):
    if m is ember:
        return ember.pad(a, widths)
    return torch.nn.functional.pad(a, widths)


def _setitem(m, a, v):
    b = a * 1.0
    b[1] = v
    return b * 2


def F(m):
    """The functional namespace of either library."""
    return m.nn.functional


X = [(N(4, 5),), (N(2, 3, 4),), (N(),), (T(3, 4),), (N(0, 3),)]
def _act(name, f, inputs=X, **kw):
    return row(name, f, inputs, **kw)


NN_CASES = [
    # ------------------------------------------------------------------ layers' math
    row("linear", lambda m, x, w, b: F(m).linear(x, w, b),
        [(N(4, 3), N(5, 3), N(5)), (N(2, 4, 3), N(5, 3), N(5)), (N(3), N(2, 3), N(2)),
         (T(3, 4), N(2, 4), N(2))]),
    row("linear_no_bias", lambda m, x, w: F(m).linear(x, w), [(N(4, 3), N(5, 3))]),
    row("bilinear", lambda m, a, b, w, c: F(m).bilinear(a, b, w, c),
        [(N(4, 3), N(4, 2), N(5, 3, 2), N(5))]),
    # ------------------------------------------------------------------ activations
    _act("relu6", lambda m, x: F(m).relu6(x * 4)),
    _act("hardtanh", lambda m, x: F(m).hardtanh(x, -0.5, 0.8)),
    _act("leaky_relu", lambda m, x: F(m).leaky_relu(x, 0.2), [(A0(4, 5),), (A0(),)],
         double=False),
    _act("rrelu_eval", lambda m, x: F(m).rrelu(x, 0.1, 0.3), [(A0(4, 5),), (A0(),)],
         double=False),
    _act("softmax2d", lambda m, x: m.nn.Softmax2d()(x), [(N(2, 3, 2, 2),), (N(3, 2, 4),)]),
    _act("elu", lambda m, x: F(m).elu(x, 1.3), [(A0(4, 5),), (A0(2, 3),)]),
    _act("elu_large", lambda m, x: F(m).elu(x * 1e3, 1.0), [(A0(3, 3),)], gradcheck=False),
    _act("selu", lambda m, x: F(m).selu(x), [(A0(4, 5),)]),
    _act("celu", lambda m, x: F(m).celu(x, 0.7), [(A0(4, 5),)]),
    _act("gelu", lambda m, x: F(m).gelu(x)),
    _act("gelu_tanh", lambda m, x: F(m).gelu(x, approximate="tanh")),
    _act("silu", lambda m, x: F(m).silu(x)),
    _act("mish", lambda m, x: F(m).mish(x)),
    _act("sigmoid_large", lambda m, x: m.sigmoid(x * 1e3), [(A0(3, 3),)], gradcheck=False),
    _act("logsigmoid", lambda m, x: F(m).logsigmoid(x)),
    _act("logsigmoid_large", lambda m, x: F(m).logsigmoid(x * 1e4), [(A0(3, 3),)],
         gradcheck=False),
    _act("hardsigmoid", lambda m, x: F(m).hardsigmoid(x * 4), [(A0(4, 5),)]),
    _act("hardswish", lambda m, x: F(m).hardswish(x * 4), [(A0(4, 5),)], double=False),
    _act("softplus", lambda m, x: F(m).softplus(x, beta=2.0, threshold=3.0)),
    _act("softplus_large", lambda m, x: F(m).softplus(x * 1e4), [(A0(3, 3),)],
         gradcheck=False),
    _act("softsign", lambda m, x: F(m).softsign(x), [(A0(4, 5),)]),
    _act("tanhshrink", lambda m, x: F(m).tanhshrink(x)),
    _act("threshold", lambda m, x: F(m).threshold(x, 0.1, -2.0), [(A0(4, 5),)]),
    _act("softmin", lambda m, x: F(m).softmin(x, 1), [(N(4, 5),), (N(2, 3, 4),)]),
    _act("prelu", lambda m, x, w: F(m).prelu(x, w), [(A0(4, 3), N(3)), (A0(2, 3, 5), N(3)),
                                                     (A0(4, 3), N(1))]),
    _act("glu", lambda m, x: F(m).glu(x, -1), [(N(4, 6),)]),
    _act("normalize", lambda m, x: F(m).normalize(x, dim=1), [(N(4, 5),), (N(2, 3, 4),)]),
    _act("cosine_similarity", lambda m, a, b: F(m).cosine_similarity(a, b),
         [(N(4, 5), N(4, 5)), (N(2, 3), N(1, 3))]),
    _act("pairwise_distance", lambda m, a, b: F(m).pairwise_distance(a, b),
         [(N(4, 5), N(4, 5))]),
    # ------------------------------------------------------------------ normalisation
    row("batch_norm_train", lambda m, x, w, b: F(m).batch_norm(x, None, None, w, b, True),
        [(N(6, 3), N(3), N(3)), (N(4, 3, 5), N(3), N(3))], atol=1e-7, rtol=1e-5),
    row("batch_norm_eval", lambda m, x, rm, rv, w, b: F(m).batch_norm(x, rm, rv, w, b, False),
        [(N(6, 3), N(3, grad=False), P(3, grad=False), N(3), N(3))]),
    row("layer_norm", lambda m, x, w, b: F(m).layer_norm(x, (4,), w, b),
        [(N(3, 4), N(4), N(4)), (N(2, 3, 4), N(4), N(4))], atol=1e-7, rtol=1e-5),
    row("layer_norm_2d", lambda m, x: F(m).layer_norm(x, (3, 4)), [(N(2, 3, 4),)],
        atol=1e-7, rtol=1e-5),
    row("group_norm", lambda m, x, w, b: F(m).group_norm(x, 2, w, b),
        [(N(3, 4, 5), N(4), N(4)), (N(2, 6), N(6), N(6))], atol=1e-7, rtol=1e-5),
    # ------------------------------------------------------------------ losses
    row("cross_entropy", lambda m, x, y: F(m).cross_entropy(x, y),
        [(N(5, 4), I(4, 5)), (N(1, 3), I(3, 1)), (T(4, 6), I(6, 4))]),
    row("cross_entropy_sum_none", lambda m, x, y: (F(m).cross_entropy(x, y, reduction="sum"),
                                                   F(m).cross_entropy(x, y, reduction="none")),
        [(N(5, 4), I(4, 5))]),
    row("cross_entropy_weight_ignore", lambda m, x, y, w: F(m).cross_entropy(
        x, y.masked_fill(y == 1, -100), weight=w), [(N(6, 4), I(4, 6), P(4, grad=False))]),
    row("cross_entropy_ignore", lambda m, x, y: (  # the default -100, and a class index
        F(m).cross_entropy(x, y.masked_fill(y == 1, -100)),
        F(m).cross_entropy(x, y, ignore_index=2)), [(N(6, 4), I(4, 6))]),
    row("cross_entropy_spatial", lambda m, x, y: F(m).cross_entropy(x, y),
        [(N(2, 3, 4, 5), I(3, 2, 4, 5)), (N(2, 3, 4), I(3, 2, 4))]),
    row("cross_entropy_unbatched", lambda m, x: F(m).cross_entropy(x, m.tensor(2)),
        [(N(4),)]),
    row("cross_entropy_probs", lambda m, x, t: F(m).cross_entropy(x, m.softmax(t, 1)),
        [(N(5, 4), N(5, 4, grad=False))]),
    row("cross_entropy_smoothing", lambda m, x, y: F(m).cross_entropy(x, y,
                                                                     label_smoothing=0.1),
        [(N(5, 4), I(4, 5))]),
    row("cross_entropy_smoothing_weight", lambda m, x, y, w: F(m).cross_entropy(
        x, y.masked_fill(y == 0, -100), weight=w, label_smoothing=0.2),
        [(N(6, 4), I(4, 6), P(4, grad=False))]),
    row("cross_entropy_smoothing_none", lambda m, x, y: F(m).cross_entropy(
        x, y, label_smoothing=0.1, reduction="none"), [(N(5, 4), I(4, 5))]),
    row("cross_entropy_large_logits", lambda m, x, y: F(m).cross_entropy(x * 1e4, y),
        [(N(5, 4), I(4, 5))], gradcheck=False, rtol=1e-6, atol=1e-6),
    row("nll_loss", lambda m, x, y: F(m).nll_loss(m.log_softmax(x, 1), y),
        [(N(5, 4), I(4, 5)), (N(2, 3, 4), I(3, 2, 4))]),
    row("nll_loss_weight", lambda m, x, y, w: F(m).nll_loss(x, y, weight=w, reduction="sum"),
        [(N(5, 4), I(4, 5), P(4, grad=False))]),
    row("bce", lambda m, p, t: F(m).binary_cross_entropy(m.sigmoid(p), t),
        [(N(4, 3), PR(4, 3, grad=False))]),
    row("bce_weight", lambda m, p, t, w: F(m).binary_cross_entropy(m.sigmoid(p), t, w,
                                                                   reduction="sum"),
        [(N(4, 3), PR(4, 3, grad=False), P(3, grad=False))]),
    row("bce_with_logits", lambda m, x, t: F(m).binary_cross_entropy_with_logits(x, t),
        [(N(4, 3), U(4, 3, grad=False)), (N(5), U(5))]),
    row("bce_with_logits_pos_weight", lambda m, x, t, pw: F(m).binary_cross_entropy_with_logits(
        x, t, pos_weight=pw, reduction="none"), [(N(4, 3), PR(4, 3, grad=False), P(3, grad=False))]),
    row("bce_with_logits_large", lambda m, x, t: F(m).binary_cross_entropy_with_logits(x * 1e4, t),
        [(A0(4, 3), U(4, 3, grad=False))], gradcheck=False, rtol=1e-6, atol=1e-6),
    row("mse", lambda m, a, b: F(m).mse_loss(a, b), [(N(4, 3), N(4, 3)), (N(), N())]),
    row("mse_sum", lambda m, a, b: F(m).mse_loss(a, b, reduction="sum"), [(N(4, 3), N(4, 3))]),
    row("l1", lambda m, a, b: F(m).l1_loss(a, b), [(A0(4, 3), N(4, 3, grad=False))],
        double=False),
    row("smooth_l1", lambda m, a, b: F(m).smooth_l1_loss(a, b, beta=0.5),
        [(N(4, 3), N(4, 3, grad=False))], double=False),
    row("huber", lambda m, a, b: F(m).huber_loss(a, b, delta=0.7, reduction="none"),
        [(N(4, 3), N(4, 3, grad=False))], double=False),
    row("kl_div", lambda m, x, t: F(m).kl_div(m.log_softmax(x, 1), m.softmax(t, 1),
                                              reduction="batchmean"),
        [(N(4, 5), N(4, 5))]),
    row("kl_div_log_target", lambda m, x, t: F(m).kl_div(x, t, reduction="sum",
                                                         log_target=True),
        [(N(4, 5), N(4, 5))]),
    row("gaussian_nll", lambda m, x, t, v: F(m).gaussian_nll_loss(x, t, v),
        [(N(4, 3), N(4, 3), P(4, 3)), (N(4, 3), N(4, 3), P(4, 1))]),
    row("gaussian_nll_full", lambda m, x, t, v: F(m).gaussian_nll_loss(x, t, v, full=True,
                                                                       reduction="sum"),
        [(N(4, 3), N(4, 3), P(4))]),
    row("poisson_nll", lambda m, x, t: F(m).poisson_nll_loss(x, t),
        [(N(4, 3), P(4, 3, grad=False))]),
    row("poisson_nll_full", lambda m, x, t: F(m).poisson_nll_loss(x, t * 3, log_input=False,
                                                                   full=True),
        [(P(4, 3), P(4, 3, grad=False))]),
    row("margin_ranking", lambda m, a, b, y: F(m).margin_ranking_loss(a, b, y.sign(), 0.1),
        [(N(6), N(6), A0(6, grad=False))], double=False),
    row("hinge_embedding", lambda m, x, y: F(m).hinge_embedding_loss(x, y.sign(), 0.8),
        [(N(6), A0(6, grad=False))], double=False),
    row("cosine_embedding", lambda m, a, b, y: F(m).cosine_embedding_loss(a, b, y.sign(), 0.1),
        [(N(5, 3), N(5, 3), A0(5, grad=False))], double=False),
    row("triplet_margin", lambda m, a, p, n: F(m).triplet_margin_loss(a, p, n, margin=2.0),
        [(N(5, 3), N(5, 3), N(5, 3))], double=False),
    row("triplet_margin_swap", lambda m, a, p, n: F(m).triplet_margin_loss(
        a, p, n, margin=2.0, p=1.0, swap=True), [(N(5, 3), N(5, 3), N(5, 3))], double=False),
    row("triplet_margin_with_distance", lambda m, a, p, n: F(m).triplet_margin_with_distance_loss(
        a, p, n, margin=1.5, swap=True), [(N(5, 3), N(5, 3), N(5, 3))], double=False),
    row("triplet_margin_with_cosine", lambda m, a, p, n: F(m).triplet_margin_with_distance_loss(
        a, p, n, distance_function=lambda u, v: 1 - F(m).cosine_similarity(u, v),
        reduction="none"), [(N(5, 3), N(5, 3), N(5, 3))], double=False),
    row("soft_margin", lambda m, x, y: F(m).soft_margin_loss(x, y.sign()),
        [(N(4, 3), A0(4, 3, grad=False)), (N(5), A0(5, grad=False))]),
    row("multilabel_soft_margin", lambda m, x, y: F(m).multilabel_soft_margin_loss(x, y),
        [(N(4, 3), PR(4, 3, grad=False))]),
    row("multilabel_soft_margin_weight", lambda m, x, y, w: F(m).multilabel_soft_margin_loss(
        x, y, w, reduction="none"), [(N(4, 3), PR(4, 3, grad=False), P(3, grad=False))]),
    row("multi_margin", lambda m, x, y: F(m).multi_margin_loss(x, y, margin=0.7),
        [(N(6, 4), I(4, 6)), (N(4), I(4))], double=False),
    row("multi_margin_p2_weight", lambda m, x, y, w: F(m).multi_margin_loss(
        x, y, p=2, weight=w, reduction="sum"), [(N(6, 4), I(4, 6), P(4, grad=False))],
        double=False),
    row("multilabel_margin", lambda m, x: F(m).multilabel_margin_loss(
        x, m.tensor([[3, 0, -1, 1], [1, 2, 3, -1], [-1, 0, 0, 0]])), [(N(3, 4),)], double=False),
    row("multilabel_margin_1d", lambda m, x: F(m).multilabel_margin_loss(
        x, m.tensor([2, 2, 0, -1]), reduction="none"), [(N(4),)], double=False),
    row("ctc", lambda m, x: F(m).ctc_loss(
        x.log_softmax(2), m.tensor([[1, 2, 2, 3], [3, 1, 0, 0], [2, 0, 0, 0]]), [8, 6, 5],
        [4, 2, 1]), [(N(8, 3, 4),)], double=False),
    row("ctc_sum_concat", lambda m, x: F(m).ctc_loss(
        x.log_softmax(2), m.tensor([1, 1, 3, 2, 2]), [7, 7], [3, 2], blank=0,
        reduction="sum"), [(N(7, 2, 4),)], double=False),
    row("ctc_none_blank_last", lambda m, x: F(m).ctc_loss(
        x.log_softmax(1), m.tensor([0, 1, 1]), m.tensor(6), m.tensor(3), blank=3,
        reduction="none"),
        [(N(6, 4),)], double=False),
]

CNN_CASES = [
    row("conv2d", lambda m, x, w, b: F(m).conv2d(x, w, b),
        [(N(2, 3, 5, 6), N(4, 3, 3, 2), N(4)), (N(1, 1, 4, 4), N(2, 1, 1, 1), N(2)),
         (N(3, 5, 5), N(2, 3, 3, 3), N(2))]),
    row("conv2d_stride_pad_dil", lambda m, x, w: F(m).conv2d(x, w, None, (2, 1), (1, 2), (2, 1)),
        [(N(2, 2, 7, 6), N(3, 2, 3, 3))]),
    row("conv2d_stride_gt_kernel", lambda m, x, w: F(m).conv2d(x, w, stride=3),
        [(N(1, 2, 8, 7), N(2, 2, 2, 2))]),
    row("conv2d_groups", lambda m, x, w, b: F(m).conv2d(x, w, b, padding=1, groups=2),
        [(N(2, 4, 5, 5), N(6, 2, 3, 3), N(6))]),
    row("conv2d_depthwise", lambda m, x, w: F(m).conv2d(x, w, groups=3, padding="same"),
        [(N(2, 3, 5, 4), N(3, 1, 3, 3)), (T(2, 3, 5, 4), N(3, 1, 2, 2))]),
    row("conv2d_valid", lambda m, x, w: F(m).conv2d(x, w, padding="valid"),
        [(N(1, 2, 4, 5), N(3, 2, 2, 3))]),
    row("conv1d", lambda m, x, w, b: F(m).conv1d(x, w, b, stride=2, padding=1),
        [(N(2, 3, 9), N(4, 3, 3), N(4)), (N(3, 7), N(2, 3, 2), N(2))]),
    row("conv1d_groups_dilation", lambda m, x, w: F(m).conv1d(x, w, groups=2, dilation=2),
        [(N(2, 4, 9), N(4, 2, 3))]),
    row("conv_transpose2d", lambda m, x, w, b: F(m).conv_transpose2d(x, w, b, stride=2,
                                                                     padding=1,
                                                                     output_padding=1),
        [(N(2, 3, 3, 4), N(3, 2, 3, 3), N(2))]),
    row("conv_transpose2d_groups_dil", lambda m, x, w: F(m).conv_transpose2d(
        x, w, groups=2, dilation=2), [(N(1, 4, 3, 3), N(4, 3, 2, 2))]),
    row("conv_transpose1d", lambda m, x, w: F(m).conv_transpose1d(x, w, stride=3, padding=1),
        [(N(2, 3, 4), N(3, 2, 3))]),
    row("unfold", lambda m, x: F(m).unfold(x, (2, 3), dilation=1, padding=1, stride=2),
        [(N(2, 3, 5, 6),)]),
    row("fold", lambda m, x: F(m).fold(x, (4, 5), (2, 2), stride=1),
        [(N(2, 12, 12),)]),
    row("max_pool2d", lambda m, x: F(m).max_pool2d(x, 2), [(N(2, 3, 6, 7),), (N(3, 4, 4),)]),
    # tiling windows (kernel == stride): the fused path; its backward's backward through _twice
    row("max_pool2d_tiled_3x2", lambda m, x: F(m).max_pool2d(x, (3, 2)), [(N(2, 3, 7, 8),)]),
    row("max_pool2d_grad", _twice(lambda m, x: F(m).max_pool2d(x, 2) ** 2),
        [(N(2, 2, 4, 6), N(2, 2, 2, 3))]),
    row("max_pool2d_grad_grad", _twice(_twice_sum(lambda m, x: F(m).max_pool2d(x, 2) ** 3)),
        [(N(1, 2, 4, 4), N(1, 2, 4, 4))]),
    row("max_pool2d_args", lambda m, x: F(m).max_pool2d(x, 3, stride=2, padding=1, dilation=1,
                                                        ceil_mode=True),
        [(N(2, 2, 7, 8),), (N(1, 1, 5, 5),)]),
    row("max_pool2d_indices", lambda m, x: F(m).max_pool2d(x, (2, 3), stride=(1, 2),
                                                           dilation=(2, 1),
                                                           return_indices=True),
        [(N(2, 2, 6, 7),)]),
    row("max_pool1d", lambda m, x: F(m).max_pool1d(x, 3, stride=2, padding=1),
        [(N(2, 3, 9),)]),
    row("avg_pool2d", lambda m, x: F(m).avg_pool2d(x, 2), [(N(2, 3, 6, 7),)]),
    row("avg_pool2d_grad", _twice(lambda m, x: F(m).avg_pool2d(x, (2, 3)) ** 2),
        [(N(2, 2, 5, 7), N(2, 2, 2, 2))]),
    row("avg_pool2d_args", lambda m, x: F(m).avg_pool2d(x, 3, 2, 1, ceil_mode=True,
                                                        count_include_pad=False),
        [(N(2, 2, 7, 8),), (N(1, 1, 6, 6),)]),
    row("avg_pool2d_divisor", lambda m, x: F(m).avg_pool2d(x, 2, divisor_override=3),
        [(N(1, 2, 4, 4),)]),
    row("avg_pool1d", lambda m, x: F(m).avg_pool1d(x, 3, 2, 1, ceil_mode=True),
        [(N(2, 3, 8),)]),
    row("lp_pool2d", lambda m, x: F(m).lp_pool2d(x, 2.0, 2), [(P(1, 2, 4, 6),)]),
    row("adaptive_avg_pool2d", lambda m, x: F(m).adaptive_avg_pool2d(x, (3, 2)),
        [(N(2, 3, 7, 5),), (N(2, 3, 6, 4),)]),
    row("adaptive_avg_pool2d_1x1", lambda m, x: F(m).adaptive_avg_pool2d(x, 1),
        [(N(2, 3, 4, 5),)]),
    row("adaptive_avg_pool1d", lambda m, x: F(m).adaptive_avg_pool1d(x, 4), [(N(2, 3, 9),)]),
    row("adaptive_max_pool2d", lambda m, x: F(m).adaptive_max_pool2d(x, (3, 4), True),
        [(N(2, 2, 7, 9),), (N(1, 2, 4, 4),)]),
    row("max_unpool2d", lambda m, x: F(m).max_unpool2d(*F(m).max_pool2d(
        x, 2, return_indices=True), 2), [(N(2, 2, 4, 6),)]),
    row("pad_reflect", lambda m, x: F(m).pad(x, (2, 1, 1, 2), mode="reflect"),
        [(N(2, 2, 4, 5),)]),
    row("pad_replicate", lambda m, x: F(m).pad(x, (3, 0, 1, 2), mode="replicate"),
        [(N(1, 2, 3, 3),)]),
    row("pad_circular", lambda m, x: F(m).pad(x, (1, 2), mode="circular"), [(N(2, 3, 4),)]),
    row("interpolate_nearest", lambda m, x: F(m).interpolate(x, scale_factor=2),
        [(N(1, 2, 3, 4),), (N(2, 3, 5),)]),
    row("interpolate_nearest_size", lambda m, x: F(m).interpolate(x, size=(5, 3)),
        [(N(1, 2, 3, 4),)]),
    row("interpolate_bilinear", lambda m, x: F(m).interpolate(x, size=(5, 7), mode="bilinear"),
        [(N(1, 2, 3, 4),)]),
    row("interpolate_bilinear_ac", lambda m, x: F(m).interpolate(
        x, scale_factor=2, mode="bilinear", align_corners=True), [(N(2, 1, 3, 3),)]),
    row("interpolate_linear", lambda m, x: F(m).interpolate(x, size=7, mode="linear"),
        [(N(2, 3, 4),)]),
    row("pixel_shuffle", lambda m, x: F(m).pixel_shuffle(x, 2), [(N(2, 8, 3, 4),)]),
    row("pixel_unshuffle", lambda m, x: F(m).pixel_unshuffle(x, 2), [(N(2, 2, 4, 6),)]),
    row("instance_norm", lambda m, x, w, b: F(m).instance_norm(x, weight=w, bias=b),
        [(N(2, 3, 4, 5), N(3), N(3))], atol=1e-7, rtol=1e-5),
    row("local_response_norm", lambda m, x: F(m).local_response_norm(x, 3, alpha=0.1, k=2.0),
        [(N(2, 5, 3, 3),), (N(2, 4, 6),)]),
]

# min pooling is not in PyTorch: checked against -max_pool2d(-x) and by gradcheck.
CNN_CASES.append(OpCase("min_pool2d", lambda x: ember.min_pool2d(x, 2, padding=1),
                        (lambda x: -torch.nn.functional.max_pool2d(-x, 2, padding=1))
                        if torch is not None else None, [(N(2, 3, 5, 6),)]))



# ---------------------------------------------------------------------------- recurrences
# The fused recurrent ops against the same recurrences written step by step with core ops
# (which PyTorch runs too): LSTM gates i, f, g, o; GRU gates r, z, n; masks for ragged lengths.


def _lstm_ref(m, g, c):
    h = c.shape[-1]
    i, f = m.sigmoid(g[..., :h]), m.sigmoid(g[..., h:2 * h])
    gg, o = m.tanh(g[..., 2 * h:3 * h]), m.sigmoid(g[..., 3 * h:])
    c2 = f * c + i * gg
    return o * m.tanh(c2), c2


def _gru_ref(m, gi, gh, h):
    n_ = h.shape[-1]
    r = m.sigmoid(gi[..., :n_] + gh[..., :n_])
    z = m.sigmoid(gi[..., n_:2 * n_] + gh[..., n_:2 * n_])
    n = m.tanh(gi[..., 2 * n_:] + r * gh[..., 2 * n_:])
    return (1 - z) * n + z * h


def _recurrence(mode, lengths, reverse):
    def f(m, xp, w, b, h0, *c0):
        if m is ember:
            return ember.ops.recurrent_layer(xp, w, b, h0, c0[0] if c0 else None, None, mode,
                                             lengths, reverse)
        t_max = xp.shape[0]
        h, c = h0, (c0[0] if c0 else None)
        outs = [None] * t_max
        for k in range(t_max):
            t = t_max - 1 - k if reverse else k
            on = m.tensor([[1.0 if (t < n) else 0.0] for n in lengths], dtype=xp.dtype)
            if mode == "gru":
                hn = _gru_ref(m, xp[t], h @ w.T + b, h)
            elif mode == "lstm":
                hn, cn = _lstm_ref(m, xp[t] + h @ w.T + b, c)
                c = c + on * (cn - c)
            else:
                pre = xp[t] + h @ w.T + b
                hn = m.tanh(pre) if mode == "rnn_tanh" else m.relu(pre)
            h = h + on * (hn - h)
            outs[t] = h * on
        out = m.stack(outs, 0)
        return (out, h, c) if mode == "lstm" else (out, h)
    return f


def _rec_inputs(gates, lstm):
    base = (N(5, 3, gates * 2), N(gates * 2, 2), N(gates * 2), N(3, 2))
    return [base + ((N(3, 2),) if lstm else ())]


_BMASK = [[True, False, True, True, False], [True, True, False, False, False],
          [False, True, True, True, True], [True, True, True, True, True]]
RNN_CASES = [
    row("sdpa", lambda m, q, k, v: F(m).scaled_dot_product_attention(q, k, v),
        [(N(2, 4, 3), N(2, 5, 3), N(2, 5, 2)), (N(2, 2, 4, 3), N(2, 2, 5, 3), N(2, 2, 5, 3))]),
    row("sdpa_bool_mask", lambda m, q, k, v, b: F(m).scaled_dot_product_attention(
        q, k, v, attn_mask=b), [(N(2, 4, 3), N(2, 5, 3), N(2, 5, 2), C(_BMASK))]),
    row("sdpa_float_mask_scale", lambda m, q, k, v, b: F(m).scaled_dot_product_attention(
        q, k, v, attn_mask=b, scale=0.7), [(N(2, 4, 3), N(2, 5, 3), N(2, 5, 2), N(4, 5))]),
    row("sdpa_causal", lambda m, q, k, v: F(m).scaled_dot_product_attention(
        q, k, v, is_causal=True), [(N(2, 4, 3), N(2, 4, 3), N(2, 4, 3))]),
    row("sdpa_gqa", lambda m, q, k, v: F(m).scaled_dot_product_attention(
        q, k, v, enable_gqa=True), [(N(1, 4, 3, 2), N(1, 2, 3, 2), N(1, 2, 3, 2))]),
    row("triu", lambda m, x: m.triu(x, 1), [(N(4, 5),), (N(2, 3, 3),), (T(3, 4),)]),
    row("tril", lambda m, x: m.tril(x, -1), [(N(4, 5),), (N(2, 3, 3),)]),
    row("tril_method", lambda m, x: x.tril(), [(N(3, 3),)]),
    row("lstm_step", lambda m, g, c: (ember.ops.lstm_step(g, c) if m is ember else
                                      _lstm_ref(m, g, c)),
        [(N(3, 8), N(3, 2)), (N(8), N(2))]),
    row("gru_step", lambda m, gi, gh, h: (ember.ops.gru_step(gi, gh, h) if m is ember else
                                          _gru_ref(m, gi, gh, h)),
        [(N(3, 6), N(3, 6), N(3, 2))]),
]
for _mode, _gates in [("rnn_tanh", 1), ("rnn_relu", 1), ("lstm", 4), ("gru", 3)]:
    for _rev in (False, True):
        RNN_CASES.append(row(f"recurrent_{_mode}{'_reverse' if _rev else ''}",
                             _recurrence(_mode, [5, 2, 4], _rev),
                             _rec_inputs(_gates, _mode == "lstm"), double=False,
                             gradcheck=_mode != "rnn_relu"))

CASES = CASES + NN_CASES + CNN_CASES + RNN_CASES

# Ops checked elsewhere, with the reason (the meta-test accepts only these).
EXEMPT = {
    "ToDevice": "needs a GPU: tests/test_cuda.py covers it where CuPy and a GPU exist",
}

# Each op family may keep its rows in a file of its own, ``cases_<family>.py`` beside this one,
# defining ``CASES`` (and, where needed, ``EXEMPT``) with the helpers above; they join here.
for _path in sorted(pathlib.Path(__file__).parent.glob("cases_*.py")):
    _family = importlib.import_module(f"{__package__}.{_path.stem}")
    CASES = CASES + list(_family.CASES)
    EXEMPT.update(getattr(_family, "EXEMPT", {}))

REGISTRY = {c.name: c for c in CASES}
assert len(REGISTRY) == len(CASES), "duplicate case names"
