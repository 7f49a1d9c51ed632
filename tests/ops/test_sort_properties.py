"""Property tests (hypothesis) of sort, topk, unique and searchsorted against NumPy and PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import ember  # noqa: E402

from ..opcheck import torch  # noqa: E402

SETTINGS = settings(max_examples=80, deadline=None)
# few distinct values, so that ties are common; NaN and both zeros included
_ELEMS = st.sampled_from([-2.0, -1.0, -0.0, 0.0, 0.5, 1.0, 3.0, np.inf, -np.inf, np.nan])
_ARRAYS = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=6),
                     elements=_ELEMS)
_INTS = hnp.arrays(np.int64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=6),
                   elements=st.integers(-3, 3))


def _dim(data, a):
    return data.draw(st.integers(-a.ndim, a.ndim - 1))


@SETTINGS
@given(st.one_of(_ARRAYS, _INTS), st.data(), st.booleans())
def test_sort_is_numpys_stable_sort_and_pytorchs(a, data, descending):
    d = _dim(data, a)
    r = ember.sort(ember.tensor(a), d, descending, stable=True)
    v, i = r.values.numpy(), r.indices.numpy()
    np.testing.assert_array_equal(np.take_along_axis(a, i, d), v)
    assert (np.sort(i, axis=d) == np.arange(a.shape[d]).reshape(
        [-1 if k == d % a.ndim else 1 for k in range(a.ndim)])).all()
    if not descending:
        np.testing.assert_array_equal(i, np.argsort(a, axis=d, kind="stable"))
    if torch is not None:
        t = torch.sort(torch.tensor(a), dim=d, descending=descending, stable=True)
        np.testing.assert_array_equal(i, t.indices.numpy())
        np.testing.assert_array_equal(v, t.values.numpy())
    np.testing.assert_array_equal(ember.argsort(ember.tensor(a), d, descending, stable=True)
                                  .numpy(), i)


@SETTINGS
@given(st.one_of(_ARRAYS, _INTS), st.data(), st.booleans())
def test_topk_values_are_pytorchs_at_distinct_valid_indices(a, data, largest):
    d = _dim(data, a)
    k = data.draw(st.integers(0, a.shape[d]))
    r = ember.topk(ember.tensor(a), k, d, largest)
    v, i = r.values.numpy(), r.indices.numpy()
    np.testing.assert_array_equal(np.take_along_axis(a, i, d), v)
    assert (np.diff(np.sort(i, axis=d), axis=d) > 0).all()
    want = ember.sort(ember.tensor(a), d, largest, stable=True).values.numpy()
    np.testing.assert_array_equal(v, np.take(want, range(k), axis=d))
    if torch is not None:
        np.testing.assert_array_equal(v, torch.topk(torch.tensor(a), k, d, largest).values)


@SETTINGS
@given(st.one_of(_ARRAYS, _INTS), st.booleans(), st.booleans())
def test_unique_is_numpys_with_nans_apart(a, return_inverse, return_counts):
    out = ember.unique(ember.tensor(a), return_inverse=True, return_counts=True)
    u, inv, cnt = (t.numpy() for t in out)
    want = np.unique(a, return_inverse=True, return_counts=True, equal_nan=False)
    np.testing.assert_array_equal(u, want[0])
    nan = np.isnan(a)  # each NaN is its own entry; which NaN maps to which is unspecified
    np.testing.assert_array_equal(inv[~nan], want[1].reshape(a.shape)[~nan])
    assert len(set(inv[nan].tolist())) == nan.sum()
    np.testing.assert_array_equal(cnt, want[2])
    np.testing.assert_array_equal(u[inv], a)
    got = ember.unique(ember.tensor(a), return_inverse=return_inverse,
                       return_counts=return_counts)
    n = 1 + return_inverse + return_counts
    assert (len(got) if n > 1 else 1) == n


@SETTINGS
@given(_INTS, st.data())
def test_unique_along_a_dim_is_numpys_and_pytorchs(a, data):
    d = _dim(data, a)
    if any(s == 0 for k, s in enumerate(a.shape) if k != d % a.ndim) and a.shape[d]:
        return  # PyTorch refuses (0-size dims that are not the one selected)
    u, inv, cnt = (t.numpy() for t in ember.unique(ember.tensor(a), dim=d, return_inverse=True,
                                                       return_counts=True))
    want = np.unique(a, return_inverse=True, return_counts=True, axis=d)
    np.testing.assert_array_equal(u, want[0])
    np.testing.assert_array_equal(inv, want[1].reshape(-1))
    np.testing.assert_array_equal(cnt, want[2])
    if torch is not None:
        t = torch.unique(torch.tensor(a), dim=d, return_inverse=True, return_counts=True)
        for x, y in zip((u, inv, cnt), t):
            np.testing.assert_array_equal(x, y.numpy())


@SETTINGS
@given(hnp.arrays(np.float64, st.integers(0, 12), elements=_ELEMS),
       hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=2, max_side=5),
                  elements=_ELEMS),
       st.booleans())
def test_searchsorted_is_numpys_on_sorted_and_pytorchs_on_any_boundaries(bd, v, right):
    side = "right" if right else "left"
    got = ember.searchsorted(ember.tensor(bd), ember.tensor(v), right=right).numpy()
    s = np.sort(bd)
    if not np.isnan(s).any():
        np.testing.assert_array_equal(
            ember.searchsorted(ember.tensor(s), ember.tensor(v), side=side).numpy(),
            np.searchsorted(s, v, side=side))
    if torch is not None and bd.size:
        np.testing.assert_array_equal(
            got, torch.searchsorted(torch.tensor(bd), torch.tensor(v), right=right).numpy())
        order = np.argsort(bd, kind="stable")
        np.testing.assert_array_equal(
            ember.searchsorted(ember.tensor(bd), ember.tensor(v), side=side,
                               sorter=ember.tensor(order)).numpy(),
            torch.searchsorted(torch.tensor(bd), torch.tensor(v), side=side,
                               sorter=torch.tensor(order)).numpy())
