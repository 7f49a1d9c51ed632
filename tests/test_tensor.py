"""Tensor creation, dtypes and promotion, devices, randomness, conversion and printing."""
from __future__ import annotations

import numpy as np
import pytest

import ember

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")


def test_tensor_infers_pytorch_dtypes():
    assert ember.tensor([1.0, 2.0]).dtype == ember.float32
    assert ember.tensor([1, 2]).dtype == ember.int64
    assert ember.tensor([True, False]).dtype == ember.bool
    assert ember.tensor(np.zeros(2)).dtype == ember.float64
    assert ember.tensor(3.5).shape == ()
    assert ember.tensor([[1, 2]], dtype=ember.float64).dtype == ember.float64
    with pytest.raises(TypeError):
        ember.tensor(np.array(["a"]))


def test_from_numpy_shares_memory_and_tensor_copies():
    a = np.zeros(3, dtype=np.float32)
    t = ember.from_numpy(a)
    c = ember.tensor(a)
    a[0] = 5
    assert t[0].item() == 5 and c[0].item() == 0
    assert ember.as_tensor(a)._data is a


@needs_torch
@pytest.mark.parametrize("name,args,kwargs", [
    ("zeros", (2, 3), {}), ("ones", ((4,),), {}), ("empty", (2, 0), {}),
    ("full", ((2, 2), 1.5), {}), ("full", ((2,), 3), {}), ("full", ((2,), True), {}),
    ("arange", (5,), {}), ("arange", (1, 4, 0.5), {}), ("arange", (0, 10, 3), {}),
    ("linspace", (0, 1, 5), {}), ("eye", (3,), {}), ("eye", (2, 3), {}),
    ("zeros", (2,), {"dtype": "float64"}), ("logspace", (0, 2, 3), {}),
])
def test_creation_matches_torch(name, args, kwargs):
    kw_e = {k: getattr(ember, v) for k, v in kwargs.items()}
    kw_t = {k: getattr(torch, v) for k, v in kwargs.items()}
    e = getattr(ember, name)(*args, **kw_e)
    t = getattr(torch, name)(*args, **kw_t)
    assert tuple(e.shape) == tuple(t.shape)
    assert e.dtype.name == str(t.dtype).replace("torch.", "")
    if name != "empty":
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)


def test_like_constructors():
    x = ember.ones(2, 3, dtype=ember.float64)
    for f in (ember.zeros_like, ember.ones_like, ember.empty_like, ember.rand_like,
              ember.randn_like):
        y = f(x)
        assert y.shape == (2, 3) and y.dtype == ember.float64
    assert ember.full_like(x, 7).numpy().max() == 7


def test_size_object():
    s = ember.ones(2, 3).shape
    assert s == (2, 3) and repr(s) == "ember.Size([2, 3])" and s.numel() == 6
    assert ember.ones(2, 3).size(1) == 3 and ember.ones(2, 3).size(-1) == 3


@needs_torch
@pytest.mark.parametrize("a,b", [
    ("float32", "float64"), ("int64", "float32"), ("int32", "int64"), ("bool", "int64"),
    ("bool", "float32"), ("uint8", "int8"), ("float16", "float32"), ("int64", "float64"),
])
@pytest.mark.parametrize("zero_dim", ["none", "a", "b"])
def test_type_promotion_matches_torch(a, b, zero_dim):
    sa = () if zero_dim == "a" else (2,)
    sb = () if zero_dim == "b" else (2,)
    ea = ember.ones(sa, dtype=getattr(ember, a))
    eb = ember.ones(sb, dtype=getattr(ember, b))
    ta = torch.ones(sa, dtype=getattr(torch, a))
    tb = torch.ones(sb, dtype=getattr(torch, b))
    for op in ("add", "mul", "sub"):
        if "bool" in (a, b) and op == "sub":
            continue
        e = getattr(ember, op)(ea, eb)
        t = getattr(torch, op)(ta, tb)
        assert e.dtype.name == str(t.dtype).replace("torch.", ""), (op, a, b, zero_dim)


@needs_torch
@pytest.mark.parametrize("dt", ["int64", "bool", "float32", "float64"])
@pytest.mark.parametrize("scalar", [2, 2.5, True])
def test_scalar_promotion_matches_torch(dt, scalar):
    e = ember.ones(3, dtype=getattr(ember, dt)) * scalar
    t = torch.ones(3, dtype=getattr(torch, dt)) * scalar
    assert e.dtype.name == str(t.dtype).replace("torch.", "")
    np.testing.assert_allclose(e.numpy().astype(float), t.numpy().astype(float))


def test_true_division_of_ints_gives_float():
    r = ember.tensor([3, 4]) / 2
    assert r.dtype == ember.float32
    np.testing.assert_allclose(r.numpy(), [1.5, 2.0])
    assert (ember.tensor([7, -7]) // 2).tolist() == [3, -4]
    assert ember.div(ember.tensor([7.0, -7.0]), 2, rounding_mode="trunc").tolist() == [3.0, -3.0]


def test_default_dtype_switch():
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.tensor([1.0]).dtype == ember.float64
        assert ember.zeros(2).dtype == ember.float64
        assert (ember.tensor([1, 2]) * 0.5).dtype == ember.float64
    finally:
        ember.set_default_dtype(ember.float32)
    with pytest.raises(TypeError):
        ember.set_default_dtype(ember.int64)


def test_manual_seed_reproduces_draws_and_generators_are_independent():
    ember.manual_seed(123)
    a = ember.randn(5)
    b = ember.rand(2, 2)
    ember.manual_seed(123)
    assert np.array_equal(a.numpy(), ember.randn(5).numpy())
    assert np.array_equal(b.numpy(), ember.rand(2, 2).numpy())
    g1 = ember.Generator().manual_seed(7)
    g2 = ember.Generator().manual_seed(7)
    assert np.array_equal(ember.randn(4, generator=g1).numpy(), ember.randn(4, generator=g2).numpy())
    assert not np.array_equal(ember.randn(4).numpy(), ember.randn(4).numpy())


def test_rng_state_roundtrip():
    ember.manual_seed(5)
    state = ember.get_rng_state()
    x = ember.rand(3)
    ember.set_rng_state(state)
    assert np.array_equal(x.numpy(), ember.rand(3).numpy())


def test_random_distributions():
    ember.manual_seed(0)
    u = ember.rand(200_000).numpy()
    n = ember.randn(200_000).numpy()
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.01
    assert abs(n.mean()) < 0.01 and abs(n.std() - 1) < 0.01
    r = ember.randint(3, 7, (10_000,)).numpy()
    assert r.min() == 3 and r.max() == 6 and r.dtype == np.int64
    p = ember.randperm(10).numpy()
    assert sorted(p.tolist()) == list(range(10))
    b = ember.bernoulli(ember.full((100_000,), 0.3)).numpy()
    assert abs(b.mean() - 0.3) < 0.01
    m = ember.normal(2.0, 3.0, size=(100_000,)).numpy()
    assert abs(m.mean() - 2.0) < 0.05 and abs(m.std() - 3.0) < 0.05
    x = ember.empty(1000).uniform_(-2, 2).numpy()
    assert x.min() >= -2 and x.max() <= 2


def test_devices_on_a_cpu_machine():
    assert ember.device("cpu") == ember.device("cpu")
    assert str(ember.device("cuda:1")) == "cuda:1"
    assert repr(ember.device("cuda", 0)) == "device(type='cuda', index=0)"
    x = ember.ones(2)
    assert x.device == ember.device("cpu") and x.to("cpu") is x and x.cpu() is x
    if not ember.cuda.is_available():
        assert ember.accelerator.current_accelerator() is None
        assert not ember.accelerator.is_available()
        with pytest.raises(RuntimeError, match="CUDA"):
            x.cuda()
    with pytest.raises(RuntimeError):
        ember.device("tpu")


def test_to_and_conversions():
    x = ember.tensor([1.5, -2.0])
    assert x.to(ember.float64).dtype == ember.float64
    assert x.double().dtype == ember.float64 and x.long().tolist() == [1, -2]
    assert x.to(x.double()).dtype == ember.float64
    assert x.to(dtype=ember.float32) is x
    assert x.bool().tolist() == [True, True] and x.int().dtype == ember.int32
    assert float(ember.tensor(2.5)) == 2.5 and int(ember.tensor(3)) == 3
    assert ember.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert ember.tensor([4.0]).item() == 4.0
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        ember.ones(2).item()
    with pytest.raises(RuntimeError, match="requires grad"):
        ember.ones(2, requires_grad=True).numpy()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(ember.ones(2))
    assert np.asarray(ember.ones(2)).dtype == np.float32


@needs_torch
@pytest.mark.parametrize("make", [
    lambda m: m.tensor([1.0, 2.5, -3.0]),
    lambda m: m.tensor([[1.0, 2.0], [3.0, 4.0]]),
    lambda m: m.tensor([1, 2, 3]),
    lambda m: m.tensor([True, False]),
    lambda m: m.tensor(2.5),
    lambda m: m.tensor([1.0, 2.0], dtype=m.float64),
    lambda m: m.tensor([1.0, 2.0], requires_grad=True),
    lambda m: m.tensor([1.0, 2.0], requires_grad=True) * 2,
    lambda m: m.zeros(2, 0),
    lambda m: m.tensor([]),
    lambda m: m.tensor([1e-5, 1e5]),
    lambda m: m.tensor([0.1, -20.5, 300.25]),
])
def test_repr_matches_torch(make):
    e, t = repr(make(ember)), repr(make(torch))
    t = t.replace("torch.", "ember.").replace("Backward0", "Backward")
    assert e == t


def test_in_place_methods():
    x = ember.zeros(3)
    x.fill_(2).add_(1).mul_(ember.tensor([1.0, 2.0, 3.0]))
    assert x.tolist() == [3.0, 6.0, 9.0]
    x.zero_()
    assert x.tolist() == [0.0, 0.0, 0.0]
    x.copy_(ember.tensor([1, 2, 3]))
    assert x.tolist() == [1.0, 2.0, 3.0] and x.dtype == ember.float32
    x.clamp_(min=2.0)
    assert x.tolist() == [2.0, 2.0, 3.0]
    y = ember.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        y.add_(0.5)
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        ember.zeros(3).add_(ember.zeros(2, 3))


def test_indexing_matches_numpy():
    a = np.arange(24.0).reshape(2, 3, 4)
    t = ember.tensor(a)
    for key in [0, -1, (1, 2), (slice(None), 1), (Ellipsis, 0), (None, 0), (0, [2, 0]),
                (slice(None), slice(None), [True, False, True, False])]:
        np.testing.assert_array_equal(t[key].numpy(), a[key])
    np.testing.assert_array_equal(t[ember.tensor(a > 10)].numpy(), a[a > 10])
    with pytest.raises(IndexError):
        t[5]
    with pytest.raises(IndexError):
        t[ember.tensor([0, 9])]


def test_nonzero_and_predicates():
    x = ember.tensor([[0.0, 1.0], [2.0, 0.0]])
    assert x.nonzero().tolist() == [[0, 1], [1, 0]]
    rows, cols = ember.nonzero(x, as_tuple=True)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
    y = ember.tensor([1.0, float("nan"), float("inf")])
    assert ember.isnan(y).tolist() == [False, True, False]
    assert ember.isinf(y).tolist() == [False, False, True]
    assert ember.isfinite(y).tolist() == [True, False, False]
    assert (x > 0).dtype == ember.bool
    assert ((x > 0) & (x < 2)).tolist() == [[False, True], [False, False]]
    assert ember.equal(x, x.clone()) and ember.allclose(x, x + 1e-9)
