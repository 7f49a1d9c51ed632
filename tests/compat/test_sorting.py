"""Sorting, selection, scans and searching against PyTorch: ties, NaN, dtypes, return types,
errors and every keyword (the op table checks the gradients)."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

import ember

from ._libs import needs_torch, torch

pytestmark = needs_torch
NAN, INF = float("nan"), float("inf")


def _same(a, b, exact=True):
    """ember's result ``a`` equals PyTorch's ``b``: tensors (values, NaNs, shape, dtype), the
    tuple types (``return_types.sort`` is ``return_types.sort``) and plain values."""
    if isinstance(b, torch.Tensor):
        assert isinstance(a, ember.Tensor), type(a)
        assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1], (a.dtype, b.dtype)
        assert tuple(a.shape) == tuple(b.shape), (a.shape, b.shape)
        got, want = a.detach().cpu().numpy(), b.detach().numpy()
        if exact or want.dtype.kind != "f":
            np.testing.assert_array_equal(got, want)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    elif isinstance(b, tuple):
        assert type(a).__name__ == type(b).__name__ and len(a) == len(b), (type(a), type(b))
        for x, y in zip(a, b):
            _same(x, y, exact)
    else:
        assert a == b


def _both(f, exact=True):
    """Run ``f(m)`` with ``m = ember`` and ``m = torch``; results or exception types agree."""
    try:
        want = f(torch)
    except Exception as e:  # noqa: BLE001 - the error type is what is compared
        with pytest.raises(type(e)):
            f(ember)
        return None
    got = f(ember)
    _same(got, want, exact)
    return got


def _t(m, data, dtype=None):
    return m.tensor(data, dtype=getattr(m, dtype) if dtype else None)


TIES = [[3.0, 1.0, 2.0, 1.0, 3.0, NAN, 1.0, 0.0, -0.0, NAN], [5.0, 5.0, -1.0, 5.0, NAN, 2.0,
                                                                 2.0, -1.0, 7.0, 0.0]]


# ---------------------------------------------------------------------------- return types


def test_return_types_look_like_pytorchs():
    x = ember.tensor([[2.0, 1.0], [0.0, 3.0]])
    r = ember.sort(x)
    assert isinstance(r, tuple) and isinstance(r, ember.return_types.sort) and len(r) == 2
    assert r.values is r[0] and r.indices is r[-1]
    values, indices = r
    assert values.tolist() == [[1.0, 2.0], [0.0, 3.0]] and indices.tolist() == [[1, 0], [0, 1]]
    assert repr(r).startswith("ember.return_types.sort(\nvalues=tensor([[1., 2.],")
    assert "\nindices=tensor([[1, 0]," in repr(r) and repr(r).endswith("))")
    assert (r.n_fields, r.n_sequence_fields, r.n_unnamed_fields) == (2, 2, 0)
    assert type(r[0:1]) is tuple and r[0:1][0] is r.values and r.index(r.values) == 0
    back = pickle.loads(pickle.dumps(r))
    assert type(back) is ember.return_types.sort and back.indices.tolist() == [[1, 0], [0, 1]]
    assert ember.return_types.topk((1, 2)).indices == 2
    with pytest.raises(TypeError, match="2-sequence"):
        ember.return_types.sort((1,))
    with pytest.raises(TypeError, match="sequence"):
        ember.return_types.sort(1)


@pytest.mark.parametrize("f", [
    lambda m, x: m.sort(x), lambda m, x: m.topk(x, 2), lambda m, x: m.kthvalue(x, 1),
    lambda m, x: m.median(x, 0), lambda m, x: m.nanmedian(x, 0), lambda m, x: m.mode(x, 0),
    lambda m, x: m.cummax(x, 0), lambda m, x: m.cummin(x, 0), lambda m, x: m.max(x, 0),
    lambda m, x: m.min(x, 0)])
def test_each_op_returns_its_named_tuple(f):
    got = _both(lambda m: f(m, m.tensor([[3.0, 1.0], [2.0, 0.0], [5.0, 4.0]])))
    assert repr(got).startswith(f"ember.return_types.{type(got).__name__}(\nvalues=")


def test_methods_exist_where_pytorch_has_them():
    names = ["sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode",
             "unique", "unique_consecutive", "cummax", "cummin", "cumprod", "cumprod_",
             "logcumsumexp", "histc", "bincount", "searchsorted", "bucketize"]
    for n in names:
        assert hasattr(ember.Tensor, n) == hasattr(torch.Tensor, n), n
        assert hasattr(ember, n) == hasattr(torch, n) or n.endswith("_"), n


# ---------------------------------------------------------------------------- sort, argsort


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_stable_sort_ties_nan_and_signed_zero(descending, dim):
    # (PyTorch takes dim and descending by keyword once stable is given)
    _both(lambda m: m.sort(m.tensor(TIES), dim=dim, descending=descending, stable=True))
    _both(lambda m: m.argsort(m.tensor(TIES), dim=dim, descending=descending, stable=True))
    _both(lambda m: m.tensor(TIES).sort(dim=dim, descending=descending, stable=True))


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int32", "int64", "float16",
                                   "float32", "float64"])
def test_sort_dtypes(dtype):
    rng = np.random.default_rng(0)
    data = rng.integers(0, 4, (3, 20)).tolist()
    for desc in (False, True):
        _both(lambda m: m.sort(_t(m, data, dtype), descending=desc, stable=True))
        _both(lambda m: m.argsort(_t(m, data, dtype), dim=0, descending=desc, stable=True))


def test_unstable_sort_gives_the_same_values_and_a_valid_order():
    x = np.random.default_rng(1).integers(0, 3, 500).astype(float)
    got, want = ember.sort(ember.tensor(x), descending=True), torch.sort(torch.tensor(x),
                                                                           descending=True)
    np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
    np.testing.assert_array_equal(x[got.indices.numpy()], got.values.numpy())
    assert sorted(got.indices.tolist()) == list(range(500))


def test_sort_edge_shapes_and_errors():
    _both(lambda m: m.sort(m.tensor(3.0)))
    _both(lambda m: m.sort(m.tensor(3.0), 0))
    _both(lambda m: m.sort(m.tensor(3.0), 1))  # IndexError
    _both(lambda m: m.sort(m.zeros(2, 0), 1))
    _both(lambda m: m.sort(m.zeros(0, 3), 1, True))
    _both(lambda m: m.sort(m.ones(2, 3), 2))  # IndexError
    _both(lambda m: m.sort(m.ones(2, 3), -3))
    _both(lambda m: m.argsort(m.tensor(3.0)))
    _both(lambda m: m.msort(m.tensor([[3.0, 1.0], [0.0, 5.0], [NAN, 2.0]])))
    _both(lambda m: m.msort(m.tensor(3.0)))
    _both(lambda m: m.sort(m.ones(3), stable=None))
    _both(lambda m: m.sort(m.ones(3), dim=0.0))  # TypeError
    with pytest.raises(TypeError):
        ember.sort(ember.ones(3), stable=1)
    with pytest.raises(NotImplementedError, match="out"):
        ember.sort(ember.ones(3), out=(ember.ones(3), ember.ones(3)))


def test_sort_of_a_noncontiguous_view():
    base = np.random.default_rng(2).standard_normal((5, 4))
    _both(lambda m: m.sort(m.tensor(base).t(), 1, True))
    _both(lambda m: m.tensor(base)[:, ::2].sort(0))


# ---------------------------------------------------------------------------- topk


def test_topk_keywords_nan_and_edges():
    x = [[1.0, NAN, 3.0, -2.0, 3.5, 0.0], [4.0, 4.5, -1.0, 2.0, 0.5, NAN]]
    for largest in (True, False):
        for k in range(7):
            _both(lambda m: m.topk(m.tensor(x), k, largest=largest))
        _both(lambda m: m.topk(m.tensor(x), 2, 0, largest, True))
        _both(lambda m: m.tensor(x).topk(k=1, dim=-1, largest=largest, sorted=True))
    _both(lambda m: m.topk(m.tensor(x), 7))  # RuntimeError: k out of range
    _both(lambda m: m.topk(m.tensor(x), -1))
    _both(lambda m: m.topk(m.tensor(x), 2, dim=2))  # IndexError
    _both(lambda m: m.topk(m.tensor(x), 2.0))  # TypeError
    _both(lambda m: m.topk(m.tensor([True, False]), 1))  # bool: RuntimeError on the CPU
    _both(lambda m: m.topk(m.tensor(3.0), 1))
    _both(lambda m: m.topk(m.tensor(3.0), 0))  # PyTorch returns the element for k = 0 too
    _both(lambda m: m.topk(m.tensor(3.0), 2))
    _both(lambda m: m.topk(m.zeros(0, 3), 2))
    _both(lambda m: m.topk(m.zeros(3, 0), 0))
    _both(lambda m: m.topk(m.tensor([1, 2, 3], dtype=m.uint8), 2))
    _both(lambda m: m.topk(m.tensor([1.0, 2.0, 3.0]), m.tensor(2)))
    _both(lambda m: m.topk(m.tensor([1.0, 2.0]), 1, sorted=None))  # TypeError


@pytest.mark.parametrize("shape,k", [((1, 50257), 50), ((64, 65), 10), ((4, 1000), 3),
                                     ((3, 300), 299), ((2, 300), 100)])
def test_topk_of_logits_rows_equals_pytorch(shape, k):
    x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    for largest in (True, False):
        _both(lambda m: m.topk(m.tensor(x), k, largest=largest))  # distinct: same indices
        # sorted=False: PyTorch's order is unspecified; the same elements
        got = ember.topk(ember.tensor(x), k, sorted=False, largest=largest)
        want = torch.topk(torch.tensor(x), k, sorted=False, largest=largest)
        np.testing.assert_array_equal(np.sort(got.indices.numpy()), np.sort(want.indices.numpy()))


def test_topk_ties_give_equal_values_at_valid_indices():
    rng = np.random.default_rng(4)
    for n in (7, 40, 600):
        x = rng.integers(0, 4, (3, n)).astype(np.float64)
        x[:, ::97] = NAN
        for k, largest in ((1, True), (3, False), (6, True), (n // 2, False), (n // 2, True)):
            got = ember.topk(ember.tensor(x), k, largest=largest)
            want = torch.topk(torch.tensor(x), k, largest=largest)
            np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
            idx = got.indices.numpy()
            np.testing.assert_array_equal(np.take_along_axis(x, idx, 1), got.values.numpy())
            assert all(len(set(r)) == k for r in idx.tolist())
    # small rows: equal values come lowest index first (PyTorch leaves their order open)
    r = ember.topk(ember.tensor([1.0, 3.0, 3.0, 2.0, 3.0]), 2)
    assert r.indices.tolist() == [1, 2]


# ---------------------------------------------------------------------------- kthvalue, median


def test_kthvalue_keywords_and_errors():
    x = [[3.0, 1.0, NAN, 2.0], [0.0, 5.0, 4.0, -1.0]]
    for k in range(1, 5):
        _both(lambda m: m.kthvalue(m.tensor(x), k))
        _both(lambda m: m.kthvalue(m.tensor(x), k, 1, True))
    _both(lambda m: m.tensor(x).kthvalue(2, dim=0, keepdim=True))
    for k in (0, 5):
        _both(lambda m: m.kthvalue(m.tensor(x), k))  # RuntimeError
    _both(lambda m: m.kthvalue(m.tensor(x), 3, 0))  # RuntimeError: k > size of dim 0
    _both(lambda m: m.kthvalue(m.tensor(3.0), 1))
    _both(lambda m: m.kthvalue(m.tensor(3.0), 2))
    _both(lambda m: m.kthvalue(m.zeros(0, 3), 1))
    _both(lambda m: m.kthvalue(m.zeros(3, 0), 1))  # IndexError
    _both(lambda m: m.kthvalue(m.tensor([True, False]), 1))  # NotImplementedError
    _both(lambda m: m.kthvalue(m.tensor([5, 1, 3]), 2))
    _both(lambda m: m.kthvalue(m.tensor(x), 2.0))  # TypeError


@pytest.mark.parametrize("name", ["median", "nanmedian"])
def test_median_ties_pick_pytorchs_index(name):
    # PyTorch partitions by (value, index): the stable sort's middle, which ember takes
    rng = np.random.default_rng(5)
    for n in (1, 2, 5, 9, 40, 101):
        x = rng.integers(0, 3, (6, n)).astype(np.float64)
        if name == "nanmedian":
            x[rng.random(x.shape) < 0.25] = NAN
            x[:, 0] = 1.0  # no row all NaN (there PyTorch's index is its partitioning's)
        _both(lambda m: getattr(m, name)(m.tensor(x), 1))
        _both(lambda m: getattr(m, name)(m.tensor(x.T.copy()), 0, True))


@pytest.mark.parametrize("name", ["kthvalue", "mode"])
def test_ties_give_pytorchs_value_at_a_valid_index(name):
    # kthvalue's index among equal values (and mode's, for rows over 16) is whatever PyTorch's
    # quickselect (introsort) leaves there: ember gives the stable sort's, of the same value
    rng = np.random.default_rng(5)
    for n in (5, 9, 40):
        x = rng.integers(0, 3, (4, n)).astype(np.float64)
        args = (2,) if name == "kthvalue" else ()
        got = getattr(ember, name)(ember.tensor(x), *args, 1)
        want = getattr(torch, name)(torch.tensor(x), *args, 1)
        np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
        np.testing.assert_array_equal(
            np.take_along_axis(x, got.indices.numpy()[:, None], 1)[:, 0], got.values.numpy())


def test_mode_index_is_pytorchs_for_short_rows():
    # PyTorch sorts a short row (n <= 16) stably and reports the last occurrence; so does ember
    rng = np.random.default_rng(6)
    for n in (1, 2, 5, 16):
        x = rng.integers(0, 3, (50, n))
        _both(lambda m: m.mode(m.tensor(x)))
        _both(lambda m: m.mode(m.tensor(x.astype(np.float32)), 1, True))
    _both(lambda m: m.mode(m.tensor([[2, 2, 1, 1, 5, 5], [0, 9, 9, 0, 0, 1]]), 1))
    _both(lambda m: m.mode(m.tensor([True, False, True])))
    _both(lambda m: m.mode(m.tensor(3.0)))
    _both(lambda m: m.mode(m.zeros(0, 3)))
    _both(lambda m: m.mode(m.zeros(0)))  # IndexError
    _both(lambda m: m.mode(m.zeros(3, 0), 1))
    _both(lambda m: m.tensor([[1.0, 2.0], [1.0, 3.0]]).mode(dim=0, keepdim=True))


def test_median_nan_lower_middle_and_dtypes():
    _both(lambda m: m.median(m.tensor([1.0, 3.0, 3.0, 2.0, 3.0, 1.0])))
    _both(lambda m: m.median(m.tensor([1, 4, 2, 8])))  # the lower of the two middles
    _both(lambda m: m.median(m.tensor([1.0, NAN, 2.0, 3.0])))
    _both(lambda m: m.nanmedian(m.tensor([1.0, NAN, 2.0, 3.0])))
    _both(lambda m: m.nanmedian(m.tensor([NAN, NAN])))
    _both(lambda m: m.median(m.zeros(0)))
    _both(lambda m: m.nanmedian(m.zeros(0)))
    _both(lambda m: m.median(m.tensor(2.5)))
    x = [[3.0, NAN, 1.0, 5.0, 3.0, 2.0], [NAN, 1.0, NAN, 3.0, 2.0, 0.0],
         [NAN, 2.0, 1.0, 1.0, 2.0, 1.0]]
    _both(lambda m: m.nanmedian(m.tensor(x), 1))
    _both(lambda m: m.tensor(x).nanmedian(0, keepdim=True))
    # a row of NaNs: NaN (PyTorch's index there depends on its partitioning; ember gives 0)
    r = ember.nanmedian(ember.tensor([[NAN] * 6, [1.0] * 6]), 1)
    assert np.isnan(r.values[0].item()) and r.indices.tolist() == [0, 2]
    _both(lambda m: m.median(m.tensor(x[:2])[:, 1:], 1))
    _both(lambda m: m.median(m.tensor([[3.0, NAN, 1.0, 4.0]]), 1))  # the NaN and its index
    _both(lambda m: m.median(m.tensor([[1, 4, 2, 8], [0, 0, 5, 1]]), -1, True))
    _both(lambda m: m.median(m.tensor(3.0), 0))
    _both(lambda m: m.median(m.zeros(0, 3), 1))
    _both(lambda m: m.median(m.zeros(3, 0), 1))  # IndexError
    _both(lambda m: m.median(m.tensor([True, False])))  # NotImplementedError
    _both(lambda m: m.median(m.ones(2, 2), keepdim=True))  # TypeError: needs dim


def test_median_gradient_is_shared_among_equal_elements():
    for data in ([1.0, 2.0, 2.0, 3.0, 2.0], [1.0, NAN, 2.0, NAN], [NAN, NAN, NAN]):
        for name in ("median", "nanmedian"):
            grads = []
            for m in (ember, torch):
                x = m.tensor(data, requires_grad=True)
                getattr(m, name)(x).backward()
                grads.append(np.asarray(x.grad.tolist()))
            np.testing.assert_allclose(grads[0], grads[1])


# ---------------------------------------------------------------------------- scans


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_cummax_cummin_ties_nan_dtypes(name):
    for data in ([1.0, 3.0, 3.0, 2.0, 3.0, NAN, 5.0, NAN], [1.0, 1.0, 0.0, 0.0, -1.0, -1.0]):
        _both(lambda m: getattr(m, name)(m.tensor(data), 0))
    x = np.random.default_rng(7).integers(0, 3, (4, 9))
    for dtype in ("int64", "int32", "uint8", "float32", "bool"):
        _both(lambda m: getattr(m, name)(_t(m, x.tolist(), dtype), 1))
        _both(lambda m: getattr(m.tensor(x.tolist()), name)(dim=0))
    _both(lambda m: getattr(m, name)(m.tensor(3.0), 0))
    _both(lambda m: getattr(m, name)(m.zeros(0, 3), 0))
    _both(lambda m: getattr(m, name)(m.zeros(2, 3), 2))  # IndexError
    with pytest.raises(NotImplementedError, match="out"):
        getattr(ember, name)(ember.ones(3), 0, out=(ember.ones(3), ember.ones(3)))


def test_cumprod_dtypes_and_in_place():
    _both(lambda m: m.cumprod(m.tensor([1, 2, 3]), 0))
    _both(lambda m: m.cumprod(m.tensor([1, 2, 3], dtype=m.int32), 0))
    _both(lambda m: m.cumprod(m.tensor([True, True, False]), 0))
    _both(lambda m: m.cumprod(m.tensor([1, 2, 3]), 0, dtype=m.float64))
    _both(lambda m: m.cumprod(m.ones(2, 3, dtype=m.float16), dim=1, dtype=m.int32))
    _both(lambda m: m.cumprod(m.tensor(3.0), 0))
    _both(lambda m: m.cumprod(m.ones(2, 3), 2))  # IndexError
    _both(lambda m: m.tensor([[1.0, 2.0], [3.0, 0.5]]).cumprod(dim=0))

    def in_place(m):
        x = m.tensor([[1.0, 2.0, 3.0], [0.5, 0.0, 2.0]])
        y = x.cumprod_(1)
        return x, y is x
    _both(in_place)
    _both(lambda m: m.tensor([1, 2], dtype=m.int32).cumprod_(0))
    _both(lambda m: m.tensor([1.0, 2.0], requires_grad=True).cumprod_(0))  # leaf: RuntimeError

    def recorded(m):  # in place on a non-leaf: recorded, the gradient flows through it
        x = m.tensor([[1.0, 2.0, 0.0], [0.5, 3.0, 2.0]], requires_grad=True)
        y = x * 2
        y.cumprod_(1)
        (y * m.tensor([[1.0, -1.0, 2.0], [0.5, 1.0, 3.0]])).sum().backward()
        return x.grad
    _both(recorded)


def test_cumprod_gradient_through_zeros_to_third_order():
    data = [[2.0, 0.0, 3.0, 0.0, 4.0], [0.0, 0.0, 1.5, 2.0, 1.0], [1.0, 2.0, 3.0, 4.0, 0.0]]
    w, v1, v2 = np.random.default_rng(8).standard_normal((3, 3, 5))
    res = []
    for m in (ember, torch):
        x = m.tensor(data, dtype=m.float64, requires_grad=True)
        g, = m.autograd.grad((m.cumprod(x, 1) * m.tensor(w)).sum(), x, create_graph=True)
        gg, = m.autograd.grad((g * m.tensor(v1)).sum(), x, create_graph=True)
        ggg, = m.autograd.grad((gg * m.tensor(v2)).sum(), x)
        res.append([t.detach().numpy() for t in (g, gg, ggg)])
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_logcumsumexp_infinities_nan_and_dtypes():
    for data in ([-INF, -INF, 0.0], [INF, 1.0, NAN, 2.0], [1e4, -1e4, 1e4 + 1], [-1e4, 0.0]):
        _both(lambda m: m.logcumsumexp(m.tensor(data), 0), exact=False)
    _both(lambda m: m.logcumsumexp(m.tensor(3.0), 0))
    _both(lambda m: m.logcumsumexp(m.zeros(0, 2), 1))
    _both(lambda m: m.tensor([[1.0, 2.0], [3.0, 4.0]]).logcumsumexp(dim=0), exact=False)
    _both(lambda m: m.logcumsumexp(m.tensor([1.0, 2.0], dtype=m.float16), 0), exact=False)
    _both(lambda m: m.logcumsumexp(m.tensor([1, 2]), 0))  # NotImplementedError
    _both(lambda m: m.logcumsumexp(m.tensor([True]), 0))


# ---------------------------------------------------------------------------- unique


@pytest.mark.parametrize("inv", [False, True])
@pytest.mark.parametrize("counts", [False, True])
def test_unique_every_keyword(inv, counts):
    kw = dict(return_inverse=inv, return_counts=counts)
    _both(lambda m: m.unique(m.tensor([[3, 1, 2], [1, 3, 5]]), **kw))
    _both(lambda m: m.unique(m.tensor([3, 1, 2, 1]), False, inv, counts))
    _both(lambda m: m.unique(m.tensor([3.0, NAN, 1.0, NAN, 1.0, -0.0, 0.0]), **kw))
    _both(lambda m: m.unique(m.tensor([True, False, True]), **kw))
    _both(lambda m: m.tensor([2, 2, 0]).unique(sorted=True, **kw))
    _both(lambda m: m.unique(m.tensor(3.5), **kw))
    _both(lambda m: m.unique(m.zeros(0), **kw))
    _both(lambda m: m.unique(m.zeros(2, 0), **kw))
    rows = [[1, 2, 1, 3], [1, 2, 1, 3], [0, 5, 0, 1], [1, 2, 1, 3]]
    for dim in (0, 1, -1):
        _both(lambda m: m.unique(m.tensor(rows), dim=dim, **kw))
        _both(lambda m: m.unique(m.tensor(rows, dtype=m.float32).t(), dim=dim, **kw))
        _both(lambda m: m.unique_consecutive(m.tensor(rows), dim=dim, **kw))
    _both(lambda m: m.unique(m.tensor([[[1, 2], [1, 2]], [[0, 1], [1, 2]]]), dim=2, **kw))
    _both(lambda m: m.unique(m.tensor([True, False, True]), dim=0, **kw))
    _both(lambda m: m.unique(m.zeros(0, 3), dim=0, **kw))
    _both(lambda m: m.unique(m.zeros(2, 0), dim=0, **kw))  # RuntimeError
    _both(lambda m: m.unique(m.tensor(5), dim=0, **kw))  # IndexError
    _both(lambda m: m.unique(m.tensor(rows), dim=2, **kw))
    _both(lambda m: m.unique_consecutive(m.tensor([1, 1, 2, 2, 3, 1, 1, 2]), **kw))
    _both(lambda m: m.unique_consecutive(m.tensor([NAN, NAN, 1.0, 1.0]), **kw))
    _both(lambda m: m.unique_consecutive(m.tensor(3.0), **kw))
    _both(lambda m: m.tensor([1, 2, 2]).unique_consecutive(**kw))


def test_unique_is_not_differentiable_and_sorted_false_sorts():
    x = ember.tensor([2.0, 1.0, 2.0], requires_grad=True)
    assert not ember.unique(x).requires_grad
    _both(lambda m: m.unique(m.tensor([5, 3, 5, 1, 9]), sorted=False, return_inverse=True))


# ---------------------------------------------------------------------------- searchsorted


def test_searchsorted_every_keyword():
    b = [1.0, 3.0, 5.0, 7.0, 9.0]
    v = [[3.0, 6.0, 9.0, 0.0], [10.0, 1.0, 5.0, 7.5]]
    for kw in ({}, {"right": True}, {"side": "right"}, {"side": "left"},
               {"side": "right", "right": True}, {"out_int32": True},
               {"side": "left", "right": True}, {"side": "middle"}):
        _both(lambda m: m.searchsorted(m.tensor(b), m.tensor(v), **kw))
    _both(lambda m: m.searchsorted(m.tensor(b), 5))
    _both(lambda m: m.searchsorted(m.tensor(b), 5.5, out_int32=True, right=True))
    _both(lambda m: m.searchsorted(m.tensor([1, 3, 5]), m.tensor([2.5, 3.0])))
    _both(lambda m: m.searchsorted(m.tensor([1.0, 3.0, 5.0]), m.tensor([2, 3])))
    _both(lambda m: m.searchsorted(m.tensor([1, 3, 5], dtype=m.uint8), m.tensor([2.0, 300.0])))
    _both(lambda m: m.searchsorted(m.tensor([1.0, 2.0]), m.tensor(1.5)))
    _both(lambda m: m.searchsorted(m.tensor([1.0, 2.0]), m.zeros(0)))
    _both(lambda m: m.searchsorted(m.tensor([1.0, 3.0]), m.tensor([[[2.0]]])))
    _both(lambda m: m.searchsorted(m.tensor([True, False]), m.tensor([True])))
    _both(lambda m: m.searchsorted([1.0, 2.0], m.tensor([1.5])))  # TypeError
    _both(lambda m: m.bucketize(m.tensor([1.5]), [1.0, 2.0]))
    _both(lambda m: m.bincount(m.tensor([0, 1]), weights=[1.0, 2.0]))


def test_searchsorted_batched_boundaries_and_sorter():
    bd = [[1, 3, 5, 7], [2, 4, 6, 8]]
    _both(lambda m: m.searchsorted(m.tensor(bd), m.tensor([[3, 6, 9], [3, 6, 9]])))
    _both(lambda m: m.searchsorted(m.tensor(bd), m.tensor([[3, 6, 9], [3, 6, 9]]), right=True))
    _both(lambda m: m.searchsorted(m.tensor([bd, bd]), m.tensor([[[0], [8]], [[4], [5]]])))
    _both(lambda m: m.searchsorted(m.zeros(2, 0), m.tensor([[1.0], [2.0]])))
    _both(lambda m: m.searchsorted(m.zeros(0, 3), m.zeros(0, 2)))
    _both(lambda m: m.searchsorted(m.tensor(bd), m.tensor([3, 4])))  # RuntimeError: dims
    _both(lambda m: m.searchsorted(m.tensor(bd), m.tensor(3)))  # RuntimeError: scalar
    _both(lambda m: m.searchsorted(m.tensor(bd), 3))
    _both(lambda m: m.searchsorted(m.tensor(3.0), m.tensor([2.0])))  # RuntimeError: 0-d
    s = [5.0, 1.0, 3.0]
    for sorter in ([1, 2, 0], [0, 1, 2]):
        for right in (False, True):
            _both(lambda m: m.searchsorted(m.tensor(s), m.tensor([0.0, 2.0, 3.0, 4.0, 6.0]),
                                           right=right, sorter=m.tensor(sorter)))
    _both(lambda m: m.searchsorted(m.tensor([[5.0, 1.0], [0.0, 2.0]]), m.tensor([[1.5], [1.5]]),
                                   sorter=m.tensor([[1, 0], [0, 1]])))
    for bad in ([1, 2], [0, 1, 3], [0, 1, -1], [[0, 1, 2]]):
        _both(lambda m: m.searchsorted(m.tensor(s), m.tensor([2.0]), sorter=m.tensor(bad)))
    _both(lambda m: m.searchsorted(m.tensor(s), m.tensor([2.0]),
                                   sorter=m.tensor([1, 2, 0], dtype=m.int32)))


def test_searchsorted_nan_and_unsorted_boundaries_follow_pytorchs_search():
    for bd in ([1.0, 3.0, NAN], [1.0, 3.0, NAN, NAN, NAN], [NAN, 1.0, 2.0], [3.0, 1.0, 2.0, 0.0],
               [5.0, 4.0, 3.0, 2.0, 1.0, 0.0, -1.0]):
        vals = [-2.0, 0.0, 1.0, 2.0, 3.0, 4.0, NAN, INF]
        for right in (False, True):
            _both(lambda m: m.searchsorted(m.tensor(bd), m.tensor(vals), right=right))
            _both(lambda m: m.searchsorted(m.tensor([bd, sorted(bd)]), m.tensor([vals, vals]),
                                           right=right))


def test_bucketize():
    b = [1.0, 3.0, 5.0, 7.0, 9.0]
    v = [[3.0, 6.0, 9.0], [0.0, 10.0, 1.0]]
    _both(lambda m: m.bucketize(m.tensor(v), m.tensor(b)))
    _both(lambda m: m.bucketize(m.tensor(v), m.tensor(b), right=True, out_int32=True))
    _both(lambda m: m.bucketize(5, m.tensor(b)))
    _both(lambda m: m.bucketize(m.tensor(5), m.tensor(b)))
    _both(lambda m: m.bucketize(input=m.tensor([2.0]), boundaries=m.tensor(b)))
    _both(lambda m: m.bucketize(m.tensor(v), m.tensor([[1.0, 2.0]])))  # RuntimeError
    _both(lambda m: m.bucketize(m.tensor(v), m.tensor(1.0)))
    with pytest.raises(NotImplementedError, match="out"):
        ember.bucketize(ember.tensor(v), ember.tensor(b), out=ember.zeros(2, 3))


# ---------------------------------------------------------------------------- histc, bincount


def test_histc_every_keyword():
    x = [1.0, 2.0, 1.0, 4.0, 2.5]
    _both(lambda m: m.histc(m.tensor(x), bins=4, min=0, max=3))
    _both(lambda m: m.histc(m.tensor(x), 4))
    _both(lambda m: m.histc(m.tensor(x), 3, 0, 3))
    _both(lambda m: m.tensor(x).histc(bins=3, min=2, max=2))  # min == max: the data's range
    _both(lambda m: m.histc(m.tensor([1.0, 1.0, 1.0]), bins=4))
    _both(lambda m: m.histc(m.zeros(0), bins=4))
    _both(lambda m: m.histc(m.tensor([1.0, NAN, 3.0]), bins=4, min=0, max=4))
    _both(lambda m: m.histc(m.tensor([1.0, INF, 3.0]), bins=4, min=0, max=4))
    _both(lambda m: m.histc(m.tensor([[0.1, 0.2, 0.3], [0.7, 0.9, 1.0]]), 10, 0, 1))
    _both(lambda m: m.histc(m.tensor([1.0, 2.0], dtype=m.float64), 3, 1, 3))
    _both(lambda m: m.histc(m.tensor([1.0, 2.0, 3.0], dtype=m.float16), 2))
    _both(lambda m: m.histc(m.tensor(2.0), 2))
    _both(lambda m: m.histc(m.tensor([1.0, 2.0]), bins=3, min=m.tensor(0.0), max=3))
    rng = np.random.default_rng(9)
    data = rng.standard_normal(5000).astype(np.float32)
    _both(lambda m: m.histc(m.tensor(data), 37, -2.5, 2.0))
    _both(lambda m: m.histc(m.tensor(data), 100))
    for bad in ({"bins": 0}, {"bins": -1}, {"bins": 3.0}, {"min": 3, "max": 1}):
        _both(lambda m: m.histc(m.tensor(x), **bad))
    _both(lambda m: m.histc(m.tensor([1.0, NAN, 3.0]), bins=4))  # RuntimeError: range not finite
    _both(lambda m: m.histc(m.tensor([1.0, INF, 3.0]), bins=4))
    _both(lambda m: m.histc(m.tensor([1, 2, 3]), bins=4))  # NotImplementedError
    x_grad = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert not ember.histc(x_grad, 2).requires_grad


def test_bincount_every_keyword():
    i = [0, 1, 1, 3]
    _both(lambda m: m.bincount(m.tensor(i)))
    _both(lambda m: m.bincount(m.tensor(i), minlength=6))
    _both(lambda m: m.bincount(m.tensor(i), m.tensor([0.5, 1.0, 1.0, 2.0]), 2))
    _both(lambda m: m.tensor(i).bincount(weights=m.tensor([0.5, 1, 1, 2], dtype=m.float64)))
    _both(lambda m: m.bincount(m.tensor(i), weights=m.tensor([1, 1, 1, 2])))
    _both(lambda m: m.bincount(m.tensor(i), weights=m.tensor([1, 1, 1, 2], dtype=m.float16)))
    _both(lambda m: m.bincount(m.tensor([1]), weights=m.tensor([True])))
    _both(lambda m: m.bincount(m.tensor([1, 1], dtype=m.uint8)))
    _both(lambda m: m.bincount(m.tensor([], dtype=m.int64)))
    _both(lambda m: m.bincount(m.tensor([], dtype=m.int64), minlength=3))
    _both(lambda m: m.bincount(m.tensor([], dtype=m.int64), weights=m.tensor([]), minlength=3))
    for bad in (lambda m: m.bincount(m.tensor([-1, 1])),  # RuntimeError
                lambda m: m.bincount(m.tensor([[1, 1]])),
                lambda m: m.bincount(m.tensor(1)),
                lambda m: m.bincount(m.tensor([1.0, 1.0])),  # NotImplementedError
                lambda m: m.bincount(m.tensor([True, True])),
                lambda m: m.bincount(m.tensor([1, 1]), minlength=-1),
                lambda m: m.bincount(m.tensor([1, 1]), weights=m.tensor([1.0]))):
        _both(bad)


@pytest.mark.parametrize("call", [
    lambda x: ember.topk(x, 1, out=(x, x)), lambda x: ember.kthvalue(x, 1, out=(x, x)),
    lambda x: ember.median(x, 0, out=(x, x)), lambda x: ember.nanmedian(x, out=x),
    lambda x: ember.mode(x, out=(x, x)), lambda x: ember.msort(x, out=x),
    lambda x: ember.cumprod(x, 0, out=x), lambda x: ember.logcumsumexp(x, 0, out=x),
    lambda x: ember.searchsorted(x, x, out=x), lambda x: ember.histc(x, out=x)])
def test_out_is_refused_by_name(call):
    with pytest.raises(NotImplementedError, match="out"):
        call(ember.tensor([1.0, 2.0]))


@pytest.mark.skipif(not ember.cuda.is_available(), reason="no CUDA device and no stand-in")
def test_searching_and_counting_on_the_device_equal_the_cpu():
    # (the differentiable ops run on the device through the op table: tests/test_device.py)
    rng = np.random.default_rng(10)
    x = rng.integers(0, 4, (5, 7)).astype(np.float32)
    x[0, 0] = NAN
    bd = np.array([3.0, 1.0, NAN, 2.0], dtype=np.float32)
    calls = [
        lambda m, d: m.unique(m.tensor(x, device=d), return_inverse=True, return_counts=True),
        lambda m, d: m.unique(m.tensor(x, device=d), dim=1, return_inverse=True),
        lambda m, d: m.unique_consecutive(m.tensor(x, device=d), return_counts=True, dim=0),
        lambda m, d: m.searchsorted(m.tensor(np.sort(x, 1), device=d), m.tensor(x, device=d)),
        lambda m, d: m.searchsorted(m.tensor(bd, device=d), m.tensor(x, device=d), right=True),
        lambda m, d: m.searchsorted(m.tensor(bd[[1, 3, 0]], device=d), 2.5,
                                    sorter=m.tensor([0, 1, 2], device=d)),
        lambda m, d: m.bucketize(m.tensor(x, device=d), m.tensor([0.5, 2.0], device=d)),
        lambda m, d: m.histc(m.tensor(x, device=d), 5, 0, 4),
        lambda m, d: m.bincount(m.tensor([1, 3, 3], device=d), m.tensor([0.5, 1.0, 2.0],
                                                                        device=d)),
        lambda m, d: m.argsort(m.tensor(x, device=d), 0, True),
    ]
    for f in (lambda: ember.searchsorted(ember.tensor([1.0, 2.0]), ember.ones(2, device="cuda")),
              lambda: ember.bincount(ember.tensor([0, 1]), ember.ones(2, device="cuda"))):
        with pytest.raises(RuntimeError, match="same device"):
            f()
    for f in calls:
        cpu, dev = f(ember, "cpu"), f(ember, "cuda")
        for a, b in zip(cpu if isinstance(cpu, tuple) else (cpu,),
                        dev if isinstance(dev, tuple) else (dev,)):
            assert b.device.type == "cuda" and a.dtype == b.dtype
            np.testing.assert_array_equal(a.numpy(), b.cpu().numpy())
