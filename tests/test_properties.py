"""Property tests (hypothesis): broadcasting, reductions and shape ops against NumPy."""
from __future__ import annotations

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import ember  # noqa: E402

SETTINGS = settings(max_examples=60, deadline=None)
floats = st.floats(-10, 10, allow_nan=False, width=64)


@SETTINGS
@given(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=4),
       st.sampled_from(["add", "sub", "mul", "maximum"]), st.integers(0, 2**31))
def test_broadcast_binary_values_and_grad_shapes(shapes, op, seed):
    rng = np.random.default_rng(seed)
    (sa, sb), out_shape = shapes.input_shapes, shapes.result_shape
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    ta, tb = ember.tensor(a, requires_grad=True), ember.tensor(b, requires_grad=True)
    out = getattr(ember, op)(ta, tb)
    want = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "maximum": np.maximum}[op](a, b)
    assert tuple(out.shape) == out_shape
    np.testing.assert_allclose(out.detach().numpy(), want)
    w = rng.standard_normal(out_shape)
    (out * ember.tensor(w)).sum().backward()
    assert ta.grad.shape == sa and tb.grad.shape == sb
    if op == "add":  # the reduced gradient is the sum of w over the broadcast dims
        np.testing.assert_allclose(ta.grad.numpy().sum(), w.sum() if a.size else 0.0,
                                   atol=1e-9 * max(1, w.size))


@SETTINGS
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=4, max_side=4), elements=floats),
       st.data(), st.booleans(), st.sampled_from(["sum", "mean", "amax", "amin", "prod"]))
def test_reductions_match_numpy(arr, data, keepdim, op):
    ndim = arr.ndim
    dims = data.draw(st.lists(st.integers(-ndim, ndim - 1), min_size=1, max_size=ndim,
                              unique_by=lambda d: d % ndim))
    if op in ("amax", "amin") and any(arr.shape[d] == 0 for d in dims):
        return
    t = ember.tensor(arr, requires_grad=True)
    if op == "prod":
        d = dims[0]
        out = t.prod(d, keepdim=keepdim)
        want = arr.prod(axis=d, keepdims=keepdim)
    else:
        out = getattr(ember, op)(t, tuple(dims), keepdim=keepdim)
        npf = {"sum": np.sum, "mean": np.mean, "amax": np.max, "amin": np.min}[op]
        want = npf(arr, axis=tuple(d % ndim for d in dims), keepdims=keepdim)
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-10, atol=1e-10)
    if out.numel():
        out.sum().backward()
        assert t.grad.shape == arr.shape


@SETTINGS
@given(hnp.array_shapes(min_dims=1, max_dims=4, max_side=4), st.integers(0, 2**31))
def test_permute_reshape_roundtrip_gradients(shape, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    perm = tuple(rng.permutation(len(shape)).tolist())
    t = ember.tensor(a, requires_grad=True)
    out = t.permute(perm).reshape(-1)
    np.testing.assert_array_equal(out.detach().numpy(), a.transpose(perm).reshape(-1))
    w = rng.standard_normal(out.shape)
    (out * ember.tensor(w)).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy().transpose(perm).reshape(-1), w)


@SETTINGS
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
                  elements=st.floats(-1e4, 1e4, allow_nan=False, width=64)), st.data())
def test_softmax_is_a_distribution_for_any_magnitude(arr, data):
    d = data.draw(st.integers(0, arr.ndim - 1))
    s = ember.softmax(ember.tensor(arr), d).numpy()
    ls = ember.log_softmax(ember.tensor(arr), d).numpy()
    assert np.isfinite(s).all() and np.isfinite(ls).all()
    if arr.shape[d]:
        np.testing.assert_allclose(s.sum(axis=d), 1.0, rtol=1e-12)
        np.testing.assert_allclose(np.exp(ls), s, atol=1e-12)
