"""Op-table rows of the sorting, selection and scan ops (ember/ops/sort.py, scan.py).

Gradient rows use distinct random values, where the picked index is unique and PyTorch's and
ember's agree. Rows with ties use values PyTorch picks the same way (stable order, n <= 16 for
mode) and skip the finite-difference check (a tie has no derivative). The behaviour with
ties, NaN, dtypes and errors is in tests/compat/test_sorting.py.
"""
from __future__ import annotations

from ..opcheck import In, N, T
from .cases import _twice, row

_ROWS = [(N(3, 4),), (N(2, 3, 5),), (T(3, 4),), (N(1),), (N(),), (N(2, 0),), (N(0, 3),)]
# PyTorch's cummax/cummin backward returns the input itself for an empty input (a tensor that
# requires grad), which the checker cannot compare: their empty case is in test_sorting.py.
_NONEMPTY = _ROWS[:5]
_TIES = [[1.0, 3.0, 3.0, 2.0, 3.0, 1.0, 1.0], [0.5, 0.5, -2.0, 4.0, 4.0, 4.0, -2.0]]
_ZEROS = [[2.0, 0.0, 3.0, 0.0, 4.0], [0.5, 1.5, 0.0, 2.0, -1.0], [0.0, 1.5, 3.0, 2.0, -1.0],
          [1.0, -2.0, 0.5, 3.0, 0.0]]


def _tied(m, a):
    """``a`` (for the gradient) plus constant tied values: the picked index decides where
    the gradient goes."""
    return a * 0 + m.tensor(_TIES, dtype=a.dtype, device=a.device)


CASES = [
    # ------------------------------------------------------------------ sort and selection
    row("sort", lambda m, a: m.sort(a), _ROWS),
    row("sort_desc_dim0", lambda m, a: m.sort(a, 0, descending=True), _ROWS[:5]),
    row("sort_stable_ties", lambda m, a: m.sort(_tied(m, a), dim=1, stable=True),
        [(N(2, 7),)], gradcheck=False),
    row("sort_stable_ties_desc", lambda m, a: a.sort(dim=-1, descending=True, stable=True),
        [(In((2, 7), value=_TIES),)], gradcheck=False),
    row("msort", lambda m, a: m.msort(a), [(N(4, 3),), (T(3, 2),), (N(),)]),
    row("topk", lambda m, a: m.topk(a, 2), [(N(3, 4),), (T(3, 4),), (N(2, 3, 5),)]),
    row("topk_smallest_dim0", lambda m, a: a.topk(3, 0, largest=False), [(N(4, 3),), (N(3),)]),
    row("topk_k0_0d", lambda m, a: (m.topk(a, 0, 1)[0], m.topk(a[0, 0], 1)[0]), [(N(3, 4),)]),
    row("topk_long_row", lambda m, a: m.topk(a, 5), [(N(2, 300),)]),  # partitioned
    row("topk_long_row_smallest", lambda m, a: m.topk(a, 7, largest=False), [(N(1, 400),)]),
    row("kthvalue", lambda m, a: m.kthvalue(a, 2), [(N(3, 4),), (T(3, 4),), (N(5),)]),
    row("kthvalue_0d", lambda m, a: m.kthvalue(a, 1), [(N(),), (N(1),)]),
    row("kthvalue_dim0_keepdim", lambda m, a: a.kthvalue(3, 0, keepdim=True),
        [(N(4, 2, 3),), (N(3, 0),)]),
    row("median_dim", lambda m, a: m.median(a, -1), [(N(3, 4),), (N(3, 5),), (T(4, 3),), (N(),)]),
    row("median_dim_keepdim", lambda m, a: a.median(0, keepdim=True), [(N(4, 3),), (N(2, 0),)]),
    row("nanmedian_dim", lambda m, a: m.nanmedian(a, -1), [(N(3, 4),), (N(2, 3, 5),)]),
    row("median_all", lambda m, a: m.median(a), [(N(3, 4),), (N(5),), (T(3, 2),), (N(),)]),
    row("nanmedian_all", lambda m, a: a.nanmedian(), [(N(3, 4),), (N(),)]),
    row("median_all_ties", lambda m, a: m.median(_tied(m, a)), [(N(2, 7),)], gradcheck=False),
    row("mode", lambda m, a: m.mode(a), [(N(3, 4),), (N(5),), (N(),)]),
    row("mode_ties", lambda m, a: m.mode(_tied(m, a), 1), [(N(2, 7),)], gradcheck=False),
    row("mode_dim0_keepdim", lambda m, a: a.mode(0, keepdim=True), [(T(3, 4),), (N(2, 0),)]),
    row("grad_of_sort", _twice(lambda m, x: m.sort(x, 1)[0] ** 3),
        [(N(3, 4), N(3, 4, grad=False))]),
    row("grad_of_topk", _twice(lambda m, x: m.topk(x, 2)[0] ** 2),
        [(N(3, 4), N(3, 2, grad=False))]),
    # ------------------------------------------------------------------ scans
    row("cummax", lambda m, a: m.cummax(a, -1), _NONEMPTY),
    row("cummin_dim0", lambda m, a: a.cummin(0), [(N(5, 3),), (T(4, 3),), (N(),)]),
    row("cummax_ties", lambda m, a: m.cummax(_tied(m, a), 1), [(N(2, 7),)], gradcheck=False),
    row("cummin_ties", lambda m, a: m.cummin(_tied(m, a), -1), [(N(2, 7),)], gradcheck=False),
    row("cumprod", lambda m, a: m.cumprod(a, -1), _ROWS),
    row("cumprod_dim0", lambda m, a: a.cumprod(0), [(N(5, 3),), (N(0, 2),)]),
    row("cumprod_zeros", lambda m, a: m.cumprod(a, 1), [(In((4, 5), value=_ZEROS),)]),
    row("cumprod_zeros_dim0", lambda m, a: m.cumprod(a, 0), [(In((4, 5), value=_ZEROS),)]),
    # (its third derivative is compared with PyTorch's in test_sorting.py: finite differences
    # across the zeros, where the formula changes, are too noisy for the 1e-3 check)
    row("grad_of_cumprod_zeros", _twice(lambda m, x: m.cumprod(x, 1)),
        [(In((4, 5), value=_ZEROS), N(4, 5, grad=False))], double=False),
    row("logcumsumexp", lambda m, a: m.logcumsumexp(a, -1), _ROWS),
    row("logcumsumexp_dim0", lambda m, a: a.logcumsumexp(0), [(N(5, 3),), (N(0, 2),)]),
    row("logcumsumexp_large", lambda m, a: m.logcumsumexp(a * 1e3, -1), [(N(3, 6),)],
        gradcheck=False, rtol=1e-6, atol=1e-6),
    row("grad_of_logcumsumexp", _twice(lambda m, x: m.logcumsumexp(x, 1)),
        [(N(3, 4), N(3, 4, grad=False))]),
]

EXEMPT = {"_Pick": "the base class of the selecting ops (Sort, Topk, ... Cummin); never applied"}
