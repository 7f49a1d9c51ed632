"""The process-wide settings of PyTorch programs, each compared with PyTorch: print options
(tensors print character for character as PyTorch's), deterministic algorithms, the float32
matmul precision, the default device and the deprecated default tensor type."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember

from ._libs import LIBS, needs_torch, torch
from ._libs import as_np as _np


@pytest.fixture(autouse=True)
def restore_settings():
    """Each test starts from the defaults and leaves them so."""
    yield
    for m in (ember, torch):
        if m is None:
            continue
        m.set_printoptions(profile="default")
        m.use_deterministic_algorithms(False)
        m.set_float32_matmul_precision("highest")
        m.set_default_device(None)
        m.set_default_dtype(m.float32)


# ---------------------------------------------------------------------------- printing
def _arrays():
    rng = np.random.default_rng(0)
    yield rng.standard_normal((3, 4))
    yield rng.standard_normal(7) * 1e-6
    yield rng.standard_normal((2, 3)) * 1e9
    yield np.array([1.0, 2.0, -300.0])
    yield np.array([np.nan, np.inf, -np.inf, 0.0, 1.5])
    yield np.array([np.nan, 0.0])
    yield np.array([0.1, 1234.5])
    yield np.array(3.25)
    yield np.array(-7.0)
    yield rng.standard_normal((30, 40))
    yield rng.standard_normal((4, 5, 60))
    yield rng.standard_normal((2, 3, 4, 5))
    yield rng.standard_normal(2000)
    yield np.arange(1200.0).reshape(30, 40)
    yield rng.integers(-1000, 1000, (5, 30))
    yield np.arange(10)
    yield np.arange(2000).reshape(40, 50)
    yield rng.standard_normal((3, 4)) > 0
    yield np.array([True])
    yield np.zeros((0,))
    yield np.zeros((2, 0, 3))
    yield np.zeros((0,), dtype=np.int64)


OPTIONS = [{}, {"precision": 2}, {"precision": 8}, {"threshold": 5}, {"edgeitems": 1},
           {"edgeitems": 0, "threshold": 10}, {"linewidth": 40}, {"linewidth": 200},
           {"profile": "short"}, {"profile": "full"}, {"sci_mode": True}, {"sci_mode": False},
           {"profile": "short", "precision": 5}]
DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "uint8", "bool"]


def _same_kind(a: np.ndarray, dtype: str) -> bool:
    if a.dtype == bool:
        return dtype == "bool"
    if a.dtype.kind in "iu":
        return dtype in ("int64", "int32") or (dtype == "uint8" and a.size and a.min() >= 0)
    return dtype.startswith(("float", "bfloat"))


@needs_torch
@pytest.mark.filterwarnings("ignore:overflow encountered in cast")  # 1e9 as float16: inf
@pytest.mark.parametrize("opts", OPTIONS, ids=str)
def test_tensors_print_as_pytorchs(opts):
    for m in (ember, torch):
        m.set_printoptions(**opts)
    checked = 0
    for a in _arrays():
        for dtype in DTYPES:
            if not _same_kind(a, dtype):
                continue
            for requires_grad in (False, True):
                if requires_grad and not dtype.startswith("float"):
                    continue
                texts = [repr(m.tensor(a, dtype=getattr(m, dtype), requires_grad=requires_grad))
                         .replace("torch.", "ember.") for m in (ember, torch)]
                assert texts[0] == texts[1], f"{a.shape} {dtype} {opts}\n{texts[0]}\n{texts[1]}"
                checked += 1
    assert checked > 80


@needs_torch
def test_printing_follows_the_default_dtype():
    for m in (ember, torch):
        m.set_default_dtype(m.float64)
    for a in (np.array([1.5, 2.0]), np.zeros((0, 2))):
        for dt in ("float32", "float64", "int64"):
            texts = [repr(m.tensor(a, dtype=getattr(m, dt))).replace("torch.", "ember.")
                     for m in (ember, torch)]
            assert texts[0] == texts[1]


@pytest.mark.parametrize("m", LIBS)
def test_printoptions_profiles_and_errors(m):
    m.set_printoptions(threshold=5)
    assert repr(m.arange(10)) == "tensor([0, 1, 2,  ..., 7, 8, 9])"
    m.set_printoptions(profile="default")
    assert repr(m.arange(10)) == "tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])"
    m.set_printoptions(precision=2)
    assert repr(m.tensor([1.12345])) == "tensor([1.12])"
    m.set_printoptions(sci_mode=True)
    assert repr(m.tensor([1.5])) == "tensor([1.50e+00])"
    m.set_printoptions()  # sci_mode left out: back to automatic, precision kept
    assert repr(m.tensor([1.5])) == "tensor([1.50])"
    # a profile PyTorch does not know changes nothing, the other options still apply (a
    # real program calls set_printoptions(linewidth=320, precision=5, profile="long"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m.set_printoptions(linewidth=320, precision=5, profile="long")
    assert repr(m.tensor([1.5])) == "tensor([1.50000])"
    assert len(caught) == (1 if m is ember else 0)  # ember says it passed over the profile


# ---------------------------------------------------------------------------- determinism
@pytest.mark.parametrize("m", LIBS)
def test_deterministic_algorithms_flags(m):
    assert not m.are_deterministic_algorithms_enabled()
    m.use_deterministic_algorithms(True)
    assert m.are_deterministic_algorithms_enabled()
    assert not m.is_deterministic_algorithms_warn_only_enabled()
    assert m.get_deterministic_debug_mode() == 2
    m.use_deterministic_algorithms(True, warn_only=True)
    assert m.is_deterministic_algorithms_warn_only_enabled() and m.get_deterministic_debug_mode() == 1
    m.set_deterministic_debug_mode("default")
    assert not m.are_deterministic_algorithms_enabled()
    m.set_deterministic_debug_mode(2)
    assert m.are_deterministic_algorithms_enabled()
    for bad, exc in [(1, TypeError), ("yes", TypeError), (None, TypeError)]:
        with pytest.raises(exc):
            m.use_deterministic_algorithms(bad)
    for bad, exc in [("x", RuntimeError), (3, RuntimeError), (1.0, TypeError)]:
        with pytest.raises(exc):
            m.set_deterministic_debug_mode(bad)


@pytest.mark.parametrize("m", LIBS)
def test_deterministic_mode_fills_empty_memory(m):
    m.use_deterministic_algorithms(True)
    assert np.isnan(_np(m.empty(3))).all() and np.isnan(_np(m.empty_like(m.ones(2)))).all()
    assert np.isnan(_np(m.ones(2).new_empty(2))).all()
    assert np.isnan(_np(m.empty(2, dtype=m.float16).float())).all()
    assert _np(m.empty(2, dtype=m.int64)).tolist() == [2 ** 63 - 1] * 2
    assert _np(m.empty(2, dtype=m.uint8)).tolist() == [255] * 2
    assert _np(m.empty(2, dtype=m.bool)).tolist() == [True, True]
    m.use_deterministic_algorithms(True, warn_only=True)
    assert np.isnan(_np(m.empty(3))).all()


def test_deterministic_accumulation_on_the_device(monkeypatch):
    """Under deterministic algorithms, repeated-index sums on the device go through the host
    (NumPy's add.at, in index order) and give the same values."""
    from ember.ops import _util  # noqa: PLC0415

    w = ember.randn(5, 3, device="cuda", requires_grad=True)
    idx = ember.tensor([0, 2, 0, 0, 4, 2], device="cuda")
    g = ember.randn(6, 3, device="cuda")
    w[idx].backward(g)
    free = w.grad.cpu().numpy()
    w.grad = None
    ember.use_deterministic_algorithms(True)
    seen = []
    orig = _util.backend.to_host
    monkeypatch.setattr(_util.backend, "to_host", lambda a: (seen.append(1), orig(a))[1])
    w[idx].backward(g)
    assert seen, "the deterministic path did not run"
    np.testing.assert_allclose(w.grad.cpu().numpy(), free, rtol=1e-6)


# ---------------------------------------------------------------------------- matmul precision
@pytest.mark.parametrize("m", LIBS)
def test_float32_matmul_precision(m):
    assert m.get_float32_matmul_precision() == "highest"
    assert m.backends.cuda.matmul.allow_tf32 is False
    for p, tf32 in [("high", True), ("medium", True), ("highest", False)]:
        m.set_float32_matmul_precision(p)
        assert m.get_float32_matmul_precision() == p and m.backends.cuda.matmul.allow_tf32 is tf32
    m.backends.cuda.matmul.allow_tf32 = True
    assert m.get_float32_matmul_precision() == "high"
    m.backends.cuda.matmul.allow_tf32 = False
    assert m.get_float32_matmul_precision() == "highest"
    with pytest.warns(UserWarning, match="is not one of 'highest', 'high', or 'medium'"):
        m.set_float32_matmul_precision("HIGH")
    assert m.get_float32_matmul_precision() == "highest"
    with pytest.raises(RuntimeError, match="expects a str"):
        m.set_float32_matmul_precision(1)
    m.set_float32_matmul_precision("medium")  # products stay float32-exact on the CPU
    a = np.random.default_rng(1).standard_normal((16, 16)).astype(np.float32)
    np.testing.assert_allclose(_np(m.tensor(a) @ m.tensor(a)), a @ a, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------------- default device
FACTORIES = {
    "tensor": lambda m: m.tensor([1.0, 2.0]), "scalar_tensor": lambda m: m.scalar_tensor(1.0),
    "as_tensor(array)": lambda m: m.as_tensor(np.ones(2)),
    "as_tensor(cpu tensor)": lambda m: m.as_tensor(m.ones(2, device="cpu")),
    "zeros": lambda m: m.zeros(2), "ones": lambda m: m.ones(2), "empty": lambda m: m.empty(2),
    "full": lambda m: m.full((2,), 1.0), "arange": lambda m: m.arange(3),
    "linspace": lambda m: m.linspace(0, 1, 3), "logspace": lambda m: m.logspace(0, 1, 3),
    "eye": lambda m: m.eye(2), "rand": lambda m: m.rand(2), "randn": lambda m: m.randn(2),
    "randint": lambda m: m.randint(3, (2,)), "randperm": lambda m: m.randperm(3),
    "Linear": lambda m: m.nn.Linear(2, 2).weight,
    # not affected, in PyTorch as here
    "from_numpy": lambda m: m.from_numpy(np.ones(2)),
    "zeros_like": lambda m: m.zeros_like(m.ones(2, device="cpu")),
    "new_zeros": lambda m: m.ones(2, device="cpu").new_zeros(2),
    "FloatTensor": lambda m: m.FloatTensor(2), "normal(floats)": lambda m: m.normal(0., 1., (2,)),
    "explicit cpu": lambda m: m.zeros(2, device="cpu"),
}


@needs_torch
def test_default_device_reaches_the_same_factories():
    """Which factories follow the default device: PyTorch (default 'meta', which its CPU
    build has) and ember (default 'cuda', the stand-in) agree name by name."""
    torch.set_default_device("meta")
    theirs = {k: f(torch).device.type == "meta" for k, f in FACTORIES.items()}
    torch.set_default_device(None)
    ember.set_default_device("cuda")
    ours = {k: f(ember).device.type == "cuda" for k, f in FACTORIES.items()}
    assert ours == theirs and sum(ours.values()) == 17


@pytest.mark.parametrize("m", LIBS)
def test_default_device_get_set(m):
    assert m.get_default_device() == m.device("cpu")
    m.set_default_device("cpu")
    assert m.get_default_device() == m.device("cpu") and m.zeros(1).device.type == "cpu"
    m.set_default_device(None)
    assert m.zeros(1).device.type == "cpu"
    with pytest.raises(RuntimeError):
        m.set_default_device("nonsense")


def test_default_cuda_device_on_the_stand_in():
    ember.set_default_device("cuda")
    assert ember.get_default_device() == ember.device("cuda", 0)
    x = ember.zeros(2)
    assert x.device == ember.device("cuda", 0)
    assert repr(x) == "tensor([0., 0.])"  # the default device is not named...
    assert repr(ember.zeros(2, device="cpu")) == "tensor([0., 0.], device='cpu')"  # ...others are
    layer = ember.nn.Linear(3, 2)
    assert layer(ember.randn(4, 3)).device.type == "cuda"
    ember.set_default_device(None)
    assert repr(x) == "tensor([0., 0.], device='cuda:0')"


# ---------------------------------------------------------------------------- default tensor type
@pytest.mark.parametrize("m", LIBS)
def test_set_default_tensor_type(m, monkeypatch):
    from ember import _tensor_types  # noqa: PLC0415

    monkeypatch.setattr(_tensor_types, "_warned", [])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m.set_default_tensor_type(m.DoubleTensor)
        assert m.get_default_dtype() == m.float64 and m.zeros(1).dtype == m.float64
        assert m.tensor([1.0]).dtype == m.float64
        m.set_default_tensor_type(f"{m.__name__}.FloatTensor")
        assert m.get_default_dtype() == m.float32
        m.set_default_tensor_type("torch.HalfTensor")
        assert m.get_default_dtype() == m.float16
    deprecations = [w for w in caught if "set_default_tensor_type() is deprecated" in str(w.message)]
    assert len(deprecations) <= 1 and all(w.category is UserWarning for w in deprecations)
    if m is ember:  # PyTorch warns once per process, and may have warned already
        assert len(deprecations) == 1
    with pytest.raises(TypeError, match="only floating-point types"):
        m.set_default_tensor_type(m.LongTensor)
    with pytest.raises(TypeError, match="only floating-point types"):
        m.set_default_tensor_type(m.float64)
    m.set_default_tensor_type(m.FloatTensor)


@pytest.mark.parametrize("m", LIBS)
def test_set_default_tensor_type_cuda_without_a_gpu(m, monkeypatch):
    from ember import backend  # noqa: PLC0415

    monkeypatch.setattr(backend, "_cupy", None)
    monkeypatch.setattr(backend, "_cupy_checked", True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in (m.cuda.FloatTensor, f"{m.__name__}.cuda.FloatTensor"):
            with pytest.raises(TypeError, match="cuda.FloatTensor not available"):
                m.set_default_tensor_type(t)
    assert m.get_default_dtype() == m.float32


def test_set_default_tensor_type_cuda_on_the_stand_in():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ember.set_default_tensor_type(ember.cuda.DoubleTensor)
        x = ember.zeros(2)
        assert x.device.type == "cuda" and x.dtype == ember.float64
        ember.set_default_tensor_type(ember.FloatTensor)
    y = ember.zeros(2)
    assert y.device.type == "cpu" and y.dtype == ember.float32
