"""Op-table rows of the strided views (ember/ops/strided.py), the index updates
(ember/ops/index_update.py) and the grids and repeats (ember/ops/grids.py).

``as_strided`` rows use contiguous inputs that own their memory: the checker hands PyTorch a
contiguous copy of each input, so a non-contiguous input would have another storage layout
there. View semantics, dtypes and errors are in tests/compat/test_tensor_names.py.
"""
from __future__ import annotations

from ..opcheck import B, C, I, In, N, T
from .cases import row


def _ix(*values):
    """A constant int64 index tensor."""
    return C(list(values))


_EMPTY_IX = In((0,), "int:3", grad=False)
# (a src larger than its index has no gradient in PyTorch: the forward is in test_tensor_names)
_SR_INPUTS = [(N(3, 4), N(2, 4), I(3, 2, 4)), (N(4), N(6), I(4, 6)),
              (T(4, 3), N(2, 3), I(4, 2, 3)), (N(1, 3), N(4, 3), I(1, 4, 3)),
              (N(2, 3), N(0, 3), I(2, 0, 3))]

CASES = [
    # ------------------------------------------------------------------ as_strided
    row("as_strided", lambda m, a: m.as_strided(a, (2, 2), (1, 2), 1),
        [(N(6),), (N(2, 3),), (N(1, 5),)]),
    row("as_strided_overlapping_out", lambda m, a: a.as_strided((3, 2), (1, 1)), [(N(4),)]),
    row("as_strided_overlapping_in", lambda m, a: a.expand(3, 4).as_strided((3, 2), (1, 1)),
        [(N(4),)]),
    row("as_strided_view_offset", lambda m, a: a[1:].as_strided((2, 2), (2, 1)), [(N(6),)]),
    row("as_strided_0d_empty", lambda m, a: (m.as_strided(a, (), ()) * 2,
                                             m.as_strided(a, (0, 3), (1, 1)) + 1),
        [(N(4),), (N(),)]),
    # ------------------------------------------------------------------ diagonal family
    row("diagonal", lambda m, a: m.diagonal(a), [(N(3, 4),), (T(4, 3),), (N(1, 1),),
                                                 (N(0, 3),)]),
    row("diagonal_offset_dims", lambda m, a: m.diagonal(a, 1, 2, 0), [(N(3, 4, 5),),
                                                                     (T(2, 3, 4),)]),
    row("diagonal_negative_offset", lambda m, a: a.diagonal(-1), [(N(4, 3),), (N(2, 2),),
                                                                  (N(3, 5),)]),
    row("diagonal_beyond", lambda m, a: a.diagonal(5) + 1, [(N(3, 4),)]),
    row("diag_vector", lambda m, a: m.diag(a), [(N(3),), (N(1),), (N(0),)]),
    row("diag_vector_offset", lambda m, a: m.diag(a, -2), [(N(3),), (N(1),)]),
    row("diag_matrix", lambda m, a: a.diag(1), [(N(3, 4),), (T(3, 4),), (N(1, 2),)]),
    row("diag_embed", lambda m, a: m.diag_embed(a), [(N(2, 3),), (N(3),), (T(2, 3),),
                                                     (N(0, 2),)]),
    row("diag_embed_offset_dims", lambda m, a: m.diag_embed(a, 1, 0, 2), [(N(2, 3),)]),
    row("diag_embed_dims_reversed", lambda m, a: m.diag_embed(a, -1, -1, -3), [(N(2, 3),)]),
    row("diagflat", lambda m, a: m.diagflat(a, -1), [(N(2, 2),), (N(),), (T(2, 3),)]),
    row("trace", lambda m, a: m.trace(a), [(N(3, 4),), (T(3, 3),), (N(1, 1),), (N(0, 3),)]),
    # ------------------------------------------------------------------ unfold
    row("tensor_unfold", lambda m, a: a.unfold(1, 2, 1), [(N(2, 5),), (T(3, 4),), (N(1, 2),)]),
    row("unfold_step", lambda m, a: a.unfold(-1, 3, 2), [(N(2, 7),), (N(3, 3),)]),
    row("unfold_dim0_overlap", lambda m, a: a.unfold(0, 3, 1), [(N(5, 2),), (T(4, 3),)]),
    row("unfold_0d_empty", lambda m, a: a.unfold(0, 1, 1) * 2, [(N(),), (N(4),)]),
    row("unfold_zero_windows", lambda m, a: a.unfold(1, 2, 2) + 1, [(N(0, 4),)]),
    row("unfold_twice", lambda m, a: a.unfold(0, 2, 1).unfold(1, 2, 2), [(N(4, 5),)]),
    # ------------------------------------------------------------------ index updates
    row("index_add", lambda m, a, s, i: m.index_add(a, 0, i, s),
        [(N(3, 4), N(2, 4), _ix(0, 2)), (N(3, 4), N(3, 4), _ix(1, 1, 1)),
         (T(4, 3), N(2, 3), _ix(3, 0)), (N(3, 4), N(0, 4), _EMPTY_IX)]),
    row("index_add_alpha_dim1", lambda m, a, s, i: a.index_add(1, i, s, alpha=-2.5),
        [(N(3, 4), N(3, 2), _ix(3, 3)), (N(2, 1), N(2, 3), _ix(0, 0, 0))]),
    row("index_add_0d", lambda m, a, s, i: m.index_add(a, 0, i, s), [(N(), N(), _ix(0))]),
    row("index_add_inplace", lambda m, a, s, i: (a * 1).index_add_(0, i, s, alpha=2),
        [(N(3, 4), N(2, 4), _ix(2, 2))]),
    row("index_copy", lambda m, a, s, i: m.index_copy(a, 0, i, s),
        [(N(3, 4), N(2, 4), _ix(2, 0)), (T(4, 3), N(1, 3), _ix(3,)),
         (N(3, 4), N(0, 4), _EMPTY_IX)]),
    row("index_copy_dim1_inplace", lambda m, a, s, i: (a * 1).index_copy_(1, i, s),
        [(N(2, 4), N(2, 3), _ix(3, 1, 0))]),
    row("index_fill", lambda m, a, i: m.index_fill(a, 1, i, -1.5),
        [(N(3, 4), _ix(0, 2)), (T(4, 3), _ix(2,)), (N(2, 3), _ix(1, 1))]),
    row("index_fill_tensor_value", lambda m, a, v, i: a.index_fill(0, i, v),
        [(N(3, 4), N(), _ix(2, 0)), (N(3, 2), N(), _ix(1, 1))]),
    row("index_fill_inplace", lambda m, a, i: (a * 1).index_fill_(0, i, 2.0),
        [(N(3, 4), _ix(1,))]),
    row("index_put", lambda m, a, v, i, j: m.index_put(a, (i, j), v),
        [(N(3, 4), N(2), _ix(0, 2), _ix(1, 3)), (N(3, 4), N(1), _ix(2, 0), _ix(1, 1)),
         (T(4, 3), N(), _ix(3,), _ix(2,))]),
    row("index_put_accumulate", lambda m, a, v, i: a.index_put((i,), v, accumulate=True),
        [(N(3, 4), N(3, 4), _ix(0, 0, 2)), (N(3, 4), N(4), _ix(1, 1)),
         (N(3, 4), N(), _ix(2,))]),
    row("index_put_bool_mask", lambda m, a, v, b: a.index_put((b,), v),
        [(N(3, 4), N(1), B(3, 4))]),
    row("index_put_inplace_accumulate",
        lambda m, a, v, i, j: (a * 1).index_put_((i, j), v, accumulate=True),
        [(N(3, 4), N(3), _ix(0, 0, 1), _ix(2, 2, 3))]),
    row("masked_scatter", lambda m, a, s, b: m.masked_scatter(a, b, s),
        [(N(2, 3), N(7), B(2, 3)), (N(2, 3), N(2, 4), B(3)), (T(3, 2), N(6), B(3, 2)),
         (N(0, 3), N(2), B(3)), (N(), N(2), B())]),
    row("masked_scatter_inplace", lambda m, a, s, b: (a * 1).masked_scatter_(b, s),
        [(N(2, 3), N(2, 3), B(2, 3))]),
    row("put", lambda m, a, s, i: m.put(a, i, s),
        [(N(2, 3), N(3), _ix(5, 0, 2)), (N(2, 3), N(2, 1), _ix(-1, 3)), (T(3, 2), N(1), _ix(4,))]),
    row("put_accumulate", lambda m, a, s, i: a.put(i, s, accumulate=True),
        [(N(2, 3), N(4), _ix(1, 1, -1, 0)), (N(4), N(2, 2), _ix(0, 0, 0, 3))]),
    row("put_inplace", lambda m, a, s, i: (a * 1).put_(i, s), [(N(2, 3), N(2), _ix(1, 4))]),
    # ------------------------------------------------------------------ grids and repeats
    row("meshgrid_ij", lambda m, a, b: m.meshgrid(a, b, indexing="ij"),
        [(N(3), N(2)), (N(), N(3)), (N(0), N(2))]),
    row("meshgrid_xy", lambda m, a, b, c: m.meshgrid([a, b, c], indexing="xy"),
        [(N(3), N(2), N(4)), (N(1), N(2), N())]),
    row("cartesian_prod", lambda m, a, b: m.cartesian_prod(a, b), [(N(2), N(3)), (N(1), N(0))]),
    row("cartesian_prod_three", lambda m, a, b, c: m.cartesian_prod(a, b, c),
        [(N(2), N(1), N(3))]),
    row("combinations", lambda m, a: m.combinations(a), [(N(4),), (N(1),), (N(0),)]),
    row("combinations_r3_replacement", lambda m, a: m.combinations(a, 3, True),
        [(N(3),), (N(2),)]),
    row("repeat_interleave_int", lambda m, a: m.repeat_interleave(a, 2),
        [(N(2, 3),), (N(),), (T(3, 2),), (N(0, 2),)]),
    row("repeat_interleave_tensor_dim", lambda m, a, r: a.repeat_interleave(r, dim=1),
        [(N(2, 3), _ix(1, 0, 3)), (T(3, 3), _ix(2,)), (N(2, 3), C(2))]),
    row("repeat_interleave_dim0_output_size",
        lambda m, a: a.repeat_interleave(3, dim=0, output_size=6), [(N(2, 3),)]),
    row("fill", lambda m, a, v: m.fill(a, v), [(N(3, 4), N()), (N(), N()), (N(0, 2), N())]),
    row("fill_number", lambda m, a: m.fill(a, 1.5) + a, [(N(3, 4),)]),
    # ------------------------------------------------------------------ clamps, in-place forms
    row("clamp_min_fn", lambda m, a: m.clamp_min(a, 0.2), [(N(3, 4),), (N(),), (T(3, 2),)]),
    row("clamp_max_tensor", lambda m, a, b: a.clamp_max(b),
        [(N(3, 4), N(3, 4)), (N(2, 3), N(3))]),
    row("clamp_min_inplace", lambda m, a: (a * 1).clamp_min_(-0.3), [(N(3, 4),)]),
    row("transpose_inplace", lambda m, a: (a * 1).transpose_(0, 1) * 2,
        [(N(3, 4),), (T(2, 3),)]),
    row("t_squeeze_unsqueeze_inplace",
        lambda m, a: (a * 1).squeeze_(0).unsqueeze_(1).t_() * 2, [(N(1, 4),), (N(1, 1),)]),
    row("compare_inplace_zero_grad", lambda m, a: (a * 1).gt_(0.1) * 3 + a,
        [(N(3, 4),), (N(),)]),
    row("scatter_reduce_sum", lambda m, a, s, i: m.scatter_reduce(a, 0, i, s, "sum"),
        _SR_INPUTS),
    row("scatter_reduce_sum_exclude", lambda m, a, s, i: a.scatter_reduce(
        0, i, s, "sum", include_self=False), _SR_INPUTS[:3]),
    row("scatter_reduce_prod", lambda m, a, s, i: a.scatter_reduce(0, i, s, "prod"),
        _SR_INPUTS[:4]),
    row("scatter_reduce_prod_exclude", lambda m, a, s, i: a.scatter_reduce(
        0, i, s, "prod", include_self=False), _SR_INPUTS[:3]),
    row("scatter_reduce_mean", lambda m, a, s, i: a.scatter_reduce(0, i, s, "mean"),
        _SR_INPUTS[:4]),
    row("scatter_reduce_mean_exclude", lambda m, a, s, i: a.scatter_reduce(
        0, i, s, "mean", include_self=False), _SR_INPUTS[:3]),
    row("scatter_reduce_amax", lambda m, a, s, i: a.scatter_reduce(0, i, s, "amax"),
        _SR_INPUTS[:4], double=False),
    row("scatter_reduce_amin_exclude", lambda m, a, s, i: a.scatter_reduce(
        0, i, s, "amin", include_self=False), _SR_INPUTS[:3], double=False),
    row("scatter_reduce_dim1_inplace", lambda m, a, s, i: (a * 1).scatter_reduce_(
        1, i, s, "prod"), [(N(2, 4), N(2, 3), I(4, 2, 3))]),
]
