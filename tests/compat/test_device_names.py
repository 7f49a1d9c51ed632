"""Device features on a machine without a GPU behave as PyTorch's CPU build: each check runs
the same code with ember (its CUDA backend switched off for the test) and with PyTorch.
Where ember has a device (the CPU stand-in of CuPy that the tests select), the same names
do their real work, checked against what the names promise."""
from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

import ember
from ember import backend

from ._libs import LIBS, needs_torch, torch
from ._libs import as_np as _np

TYPE_NAMES = ["FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "LongTensor",
              "IntTensor", "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"]
PIN_WARNING = ("'pin_memory' argument is set as true but no accelerator is found, then device "
               "pinned memory won't be used.")


@pytest.fixture
def no_gpu(monkeypatch):
    """ember as on a machine without CuPy or a GPU (the stand-in switched off)."""
    monkeypatch.setattr(backend, "_cupy", None)
    monkeypatch.setattr(backend, "_cupy_checked", True)
    monkeypatch.setattr(backend, "_cuda_used", [False])


@pytest.mark.parametrize("m", LIBS)
def test_pin_memory_without_a_gpu_warns_once_and_proceeds(m, no_gpu):
    ds = m.utils.data.TensorDataset(m.arange(10.0), m.arange(10))
    plain = [[_np(t) for t in b] for b in m.utils.data.DataLoader(ds, batch_size=4)]
    loader = m.utils.data.DataLoader(ds, batch_size=4, pin_memory=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")  # Python's usual filter: once per code location
        epochs = [[[_np(t) for t in b] for b in loader] for _ in range(3)]
        for _ in m.utils.data.DataLoader(ds, batch_size=5, pin_memory=True):
            pass
        assert not next(iter(loader))[0].is_pinned()
    pin = [w for w in caught if "pin_memory" in str(w.message)]
    assert [(w.category, str(w.message)) for w in pin] == [(UserWarning, PIN_WARNING)]
    for batches in epochs:
        for got, want in zip(batches, plain):
            for a, b in zip(got, want):
                np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("m", LIBS)
def test_tensor_pin_memory_without_a_gpu_raises(m, no_gpu):
    with pytest.raises(RuntimeError):
        m.zeros(3).pin_memory()
    assert m.zeros(3).is_pinned() is False
    with pytest.warns(DeprecationWarning, match="The argument 'device' of Tensor.is_pinned"):
        assert m.zeros(3).is_pinned("cuda") is False


@pytest.mark.parametrize("m", LIBS)
def test_dataloader_options_checked_as_pytorch(m):
    ds = m.utils.data.TensorDataset(m.arange(6.0))
    for kw, msg in [({"persistent_workers": True}, "persistent_workers option needs"),
                    ({"prefetch_factor": 2}, "prefetch_factor option could only be specified"),
                    ({"timeout": -1}, "timeout option should be non-negative")]:
        with pytest.raises(ValueError, match=msg):
            m.utils.data.DataLoader(ds, **kw)
    loader = m.utils.data.DataLoader(ds, batch_size=2, in_order=False)
    assert loader.in_order is False and len(list(loader)) == 3


def test_persistent_workers_initialise_once():
    calls = []
    ds = ember.utils.data.TensorDataset(ember.arange(6.0))
    for persistent, want in [(False, 3), (True, 1)]:
        calls.clear()
        loader = ember.utils.data.DataLoader(ds, batch_size=2, num_workers=1,
                                             persistent_workers=persistent,
                                             worker_init_fn=calls.append)
        for _ in range(3):
            assert len(list(loader)) == 3
        assert calls == [0] * want


@pytest.mark.parametrize("m", LIBS)
@pytest.mark.parametrize("name", TYPE_NAMES)
def test_cuda_typed_constructors_without_a_gpu(m, name, no_gpu):
    cls = getattr(m.cuda, name)
    for args in [(), (2, 3), ([1, 0],)]:
        with pytest.raises(TypeError, match=f"{m.__name__}.cuda.{name} not available"):
            cls(*args)
    cpu = getattr(m, name)(2)
    assert not isinstance(cpu, cls) and isinstance(cpu, getattr(m, name))
    assert repr(cls) == f"<class '{m.__name__}.cuda.{name}'>"
    assert cls is not getattr(m, name)


@pytest.mark.parametrize("name", TYPE_NAMES)
def test_cuda_typed_constructors_on_the_device(name):
    cls, dtype = getattr(ember.cuda, name), getattr(ember, name).dtype
    if name == "BFloat16Tensor":  # CuPy has no bfloat16: ember keeps it on the CPU
        with pytest.raises(TypeError, match="bfloat16"):
            cls(2)
        return
    t = cls(2, 3)
    assert t.device == ember.device("cuda", 0) and t.dtype is dtype and tuple(t.shape) == (2, 3)
    assert isinstance(t, cls) and not isinstance(t, getattr(ember, name))
    assert t.type() == f"ember.cuda.{name}"
    v = cls([1, 0])
    assert v.tolist() == ([True, False] if name == "BoolTensor" else [1, 0])
    back = v.type(getattr(ember, name))
    assert back.device.type == "cpu" and isinstance(back, getattr(ember, name))
    assert isinstance(ember.zeros(2).type(cls), cls)


@pytest.mark.parametrize("m", LIBS)
def test_event_without_a_gpu_cannot_be_made(m, no_gpu):
    with pytest.raises(RuntimeError):
        m.cuda.Event(enable_timing=True)


def test_event_on_the_device_times_and_waits():
    start, end = ember.cuda.Event(enable_timing=True), ember.cuda.Event(enable_timing=True)
    assert start.query()  # never recorded: nothing to wait for
    with pytest.raises(RuntimeError, match="must be recorded"):
        start.elapsed_time(end)
    start.record()
    x = ember.randn(64, 64, device="cuda")
    for _ in range(5):
        x = x @ x.T / 64
    end.record()
    end.synchronize()
    assert end.query() and start.elapsed_time(end) >= 0.0
    end.wait()
    plain = ember.cuda.Event()
    plain.record()
    with pytest.raises(RuntimeError, match="enable_timing=True"):
        start.elapsed_time(plain)
    with pytest.raises(NotImplementedError, match="external"):
        ember.cuda.Event(external=True)


@pytest.mark.parametrize("m", LIBS)
def test_out_of_memory_error_is_pytorchs(m):
    assert m.cuda.OutOfMemoryError is m.OutOfMemoryError
    assert issubclass(m.cuda.OutOfMemoryError, RuntimeError)
    with pytest.raises(RuntimeError):
        raise m.cuda.OutOfMemoryError("CUDA out of memory.")


def test_cupy_out_of_memory_is_raised_as_ember_s(monkeypatch):
    """CuPy's allocator error comes out as ember.cuda.OutOfMemoryError (a RuntimeError)."""
    class CupyOOM(MemoryError):
        pass

    installed = []

    class Pool:
        def malloc(self, nbytes):
            if nbytes > 100:
                raise CupyOOM(f"Out of memory allocating {nbytes} bytes")
            return bytearray(nbytes)

        def used_bytes(self):
            return 0

        def total_bytes(self):
            return 0

    class FakeCupy:
        cuda = type("cuda", (), {"memory": type("memory", (), {"OutOfMemoryError": CupyOOM}),
                                 "set_allocator": staticmethod(installed.append)})

        @staticmethod
        def get_default_memory_pool():
            return Pool()

    monkeypatch.setattr(backend, "_peak", [0, 0])
    backend._track_peak(FakeCupy)
    malloc, = installed
    assert len(malloc(10)) == 10
    with pytest.raises(ember.cuda.OutOfMemoryError, match="CUDA out of memory. Out of memory "
                                                          "allocating 1000 bytes") as info:
        malloc(1000)
    assert isinstance(info.value.__cause__, CupyOOM)


@pytest.mark.parametrize("m", LIBS)
def test_cuda_initialized_without_a_gpu(m, no_gpu):
    assert m.cuda._initialized is False and m.cuda.is_initialized() is False
    assert m.cuda.is_available() is False


def test_cuda_initialized_once_the_device_is_used():
    """In a fresh process: not by is_available(), yes by a tensor on the device."""
    code = ("import json, ember; a = ember.cuda._initialized; ember.cuda.is_available(); "
            "b = ember.cuda.is_initialized(); ember.zeros(1, device='cuda'); "
            "print(json.dumps([a, b, ember.cuda._initialized]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**__import__("os").environ, "EMBER_STANDIN_CUDA": "1"},
                         timeout=120, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [False, False, True]


# ---------------------------------------------------------------------------- attention backends
def _qkv(m, shape=(2, 3, 4, 8), vdim=None, dtype="float64"):
    rng = np.random.default_rng(5)
    q, k = rng.standard_normal(shape), rng.standard_normal(shape)
    v = rng.standard_normal(shape[:-1] + (vdim or shape[-1],))
    return [m.tensor(a).to(getattr(m, dtype)) for a in (q, k, v)]


def _attempt(m, backends, qkv_kw, call_kw, set_priority=False):
    B = m.nn.attention.SDPBackend
    chosen = [getattr(B, b) for b in backends] if isinstance(backends, list) else \
        getattr(B, backends)
    q, k, v = _qkv(m, **qkv_kw)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with m.nn.attention.sdpa_kernel(chosen, set_priority=set_priority):
                out = _np(m.nn.functional.scaled_dot_product_attention(q, k, v, **call_kw))
        except RuntimeError as exc:
            out = str(exc)
    return out, [str(w.message).split(" (Triggered")[0] for w in caught]


CHOICES = ["MATH", "FLASH_ATTENTION", "EFFICIENT_ATTENTION", "CUDNN_ATTENTION", "OVERRIDEABLE",
           ["EFFICIENT_ATTENTION", "CUDNN_ATTENTION"], ["FLASH_ATTENTION", "MATH"]]
INPUTS = [({}, {}), ({}, {"is_causal": True}), ({}, {"dropout_p": 0.0, "scale": 0.3}),
          ({"shape": (3, 4, 8)}, {}), ({"vdim": 5}, {}), ({"dtype": "float32"}, {}),
          ({"shape": (2, 3, 4, 8)}, {"dropout_p": 0.5})]


@needs_torch
@pytest.mark.parametrize("choice", CHOICES, ids=str)
@pytest.mark.parametrize("qkv_kw,call_kw", INPUTS, ids=str)
def test_sdpa_kernel_runs_or_refuses_as_pytorch(choice, qkv_kw, call_kw):
    ours, our_warnings = _attempt(ember, choice, qkv_kw, call_kw)
    theirs, their_warnings = _attempt(torch, choice, qkv_kw, call_kw)
    if isinstance(theirs, str):
        assert ours == theirs
        assert our_warnings[:1] == their_warnings[:1]
    elif call_kw.get("dropout_p", 0) == 0:  # dropout draws differ between the libraries
        np.testing.assert_allclose(ours, theirs, rtol=1e-5 if qkv_kw.get("dtype") else 1e-10,
                                   atol=1e-6)


@pytest.mark.parametrize("m", LIBS)
def test_sdpa_kernel_flags_and_their_restoring(m):
    B, cuda = m.nn.attention.SDPBackend, m.backends.cuda
    assert [(b.name, int(b)) for b in B.__members__.values()] == [
        ("ERROR", -1), ("MATH", 0), ("FLASH_ATTENTION", 1), ("EFFICIENT_ATTENTION", 2),
        ("CUDNN_ATTENTION", 3), ("OVERRIDEABLE", 4)]
    assert repr(B.MATH) == "<SDPBackend.MATH: 0>" and str(B.MATH) == "SDPBackend.MATH"
    flags = lambda: (cuda.flash_sdp_enabled(), cuda.mem_efficient_sdp_enabled(),  # noqa: E731
                     cuda.math_sdp_enabled(), cuda.cudnn_sdp_enabled())
    assert flags() == (True, True, True, True)
    with m.nn.attention.sdpa_kernel(B.MATH):
        assert flags() == (False, False, True, False)
        with m.nn.attention.sdpa_kernel([B.FLASH_ATTENTION, B.CUDNN_ATTENTION],
                                        set_priority=True):
            assert flags() == (True, False, False, True)
        assert flags() == (False, False, True, False)
    assert flags() == (True, True, True, True)
    with pytest.warns(FutureWarning, match=r"`torch.backends.cuda.sdp_kernel\(\)` is deprecated"):
        with cuda.sdp_kernel(enable_flash=False, enable_mem_efficient=False):
            assert flags() == (False, False, True, True)
    assert flags() == (True, True, True, True)
    with pytest.raises(AssertionError, match="Backend must be an instance of SDPBackend"):
        with m.nn.attention.sdpa_kernel("math"):
            pass

    @m.nn.attention.sdpa_kernel(B.EFFICIENT_ATTENTION)
    def attend(q):
        return m.nn.functional.scaled_dot_product_attention(q, q, q)

    with pytest.raises(RuntimeError, match="No viable backend"):
        attend(m.ones(1, 2, 3, 4))
    cuda.enable_math_sdp(False)
    try:
        assert not cuda.math_sdp_enabled()
        m.nn.functional.scaled_dot_product_attention(*_qkv(m))  # flash still on: runs
    finally:
        cuda.enable_math_sdp(True)


@needs_torch
def test_set_priority_keeps_results():
    """Priority changes which backend PyTorch tries first, not the function computed."""
    ours, _ = _attempt(ember, ["MATH", "FLASH_ATTENTION"], {}, {"is_causal": True}, True)
    theirs, _ = _attempt(torch, ["MATH", "FLASH_ATTENTION"], {}, {"is_causal": True}, True)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
