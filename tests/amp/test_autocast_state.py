"""The autocast state and its functions (``ember.is_autocast_enabled``...), the context
manager's warnings and errors, the deprecated ``cuda.amp``/``cpu.amp`` spellings and the
helpers for custom autograd Functions, each compared with PyTorch."""
from __future__ import annotations

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import ember

from ..compat._libs import LIBS, as_np, needs_torch, torch


def _name(dtype):
    return str(dtype).split(".")[-1]


@pytest.mark.parametrize("m", LIBS)
def test_defaults_and_setters(m):
    assert m.is_autocast_enabled() is False and m.is_autocast_enabled("cpu") is False
    assert m.is_autocast_enabled(device_type="cpu") is False
    assert [_name(m.get_autocast_dtype(d)) for d in ("cpu", "cuda", "xpu", "hpu", "xla")] == \
        ["bfloat16", "float16", "float16", "bfloat16", "bfloat16"]
    assert m.is_autocast_cache_enabled() is True
    assert m.amp.is_autocast_available("cpu") and m.amp.is_autocast_available("cuda")
    assert not m.amp.is_autocast_available("meta")
    try:
        m.set_autocast_enabled("cpu", True)
        m.set_autocast_dtype("cpu", m.float16)
        assert m.is_autocast_enabled("cpu") and _name(m.get_autocast_dtype("cpu")) == "float16"
        m.set_autocast_enabled(True)  # one argument: CUDA's state
        assert m.is_autocast_enabled() and m.is_autocast_enabled("cuda")
    finally:
        m.set_autocast_enabled("cpu", False)
        m.set_autocast_enabled(False)
        m.set_autocast_dtype("cpu", m.bfloat16)
    assert [m.autocast_increment_nesting(), m.autocast_increment_nesting(),
            m.autocast_decrement_nesting(), m.autocast_decrement_nesting()] == [1, 2, 1, 0]
    m.set_autocast_cache_enabled(False)
    assert m.is_autocast_cache_enabled() is False
    m.set_autocast_cache_enabled(True)
    assert m.clear_autocast_cache() is None


@pytest.mark.parametrize("m", LIBS)
def test_argument_errors(m):
    with pytest.raises(TypeError):
        m.set_autocast_enabled(1)
    with pytest.raises(TypeError):
        m.set_autocast_enabled("cpu", 1)
    with pytest.raises(TypeError):
        m.is_autocast_enabled(None)
    with pytest.raises(TypeError):
        m.get_autocast_dtype(m.device("cpu"))
    with pytest.raises(TypeError, match="must be a bool"):
        m.set_autocast_cache_enabled(1)
    with pytest.raises(RuntimeError, match="Expected one of"):
        m.is_autocast_enabled("foo")
    with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
        m.autocast(m.device("cpu"))
    with pytest.raises(RuntimeError, match="unsupported autocast device_type 'meta'"):
        m.autocast("meta", dtype=m.float16)
    with pytest.raises(TypeError):
        m.autocast()


DEPRECATED = [("is_autocast_cpu_enabled", ()), ("get_autocast_cpu_dtype", ()),
              ("get_autocast_gpu_dtype", ()), ("set_autocast_cpu_enabled", (False,)),
              ("set_autocast_cpu_dtype", ("bfloat16",)), ("set_autocast_gpu_dtype", ("float16",)),
              ("is_autocast_ipu_enabled", ()), ("get_autocast_ipu_dtype", ()),
              ("set_autocast_ipu_enabled", (False,)), ("set_autocast_ipu_dtype", ("float16",)),
              ("is_autocast_xla_enabled", ()), ("get_autocast_xla_dtype", ()),
              ("set_autocast_xla_enabled", (False,)), ("set_autocast_xla_dtype", ("bfloat16",))]


@pytest.mark.parametrize("m", LIBS)
@pytest.mark.parametrize("name,args", DEPRECATED, ids=[d[0] for d in DEPRECATED])
def test_per_device_functions_are_deprecated(m, name, args):
    args = tuple(getattr(m, a) if isinstance(a, str) else a for a in args)
    with pytest.warns(DeprecationWarning, match="is deprecated. Please use"):
        out = getattr(m, name)(*args)
    if name.startswith("is_"):
        assert out is False
    elif name.startswith("get_"):
        assert _name(out) in ("bfloat16", "float16")


@pytest.mark.parametrize("m", LIBS)
def test_context_manager_state_and_restoring(m):
    with m.autocast("cpu") as ac:
        assert isinstance(ac, m.autocast)
        assert m.is_autocast_enabled("cpu") and not m.is_autocast_enabled()
        with m.autocast("cpu", dtype=m.float16, cache_enabled=False):
            assert _name(m.get_autocast_dtype("cpu")) == "float16"
            assert not m.is_autocast_cache_enabled()
        assert _name(m.get_autocast_dtype("cpu")) == "bfloat16" and m.is_autocast_cache_enabled()
        with m.autocast("cpu", enabled=False):
            assert not m.is_autocast_enabled("cpu")
        assert m.is_autocast_enabled("cpu")
    assert not m.is_autocast_enabled("cpu")
    with pytest.raises(ZeroDivisionError):
        with m.autocast("cpu"):
            1 / 0
    assert not m.is_autocast_enabled("cpu")  # restored when the region raises


@pytest.mark.parametrize("m", LIBS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unsupported_cpu_dtype_warns_and_disables(m, dtype):
    with pytest.warns(UserWarning, match="In CPU autocast, but the target dtype is not "
                                         "supported. Disabling autocast"):
        ac = m.autocast("cpu", dtype=getattr(m, dtype))
    with ac:
        assert not m.is_autocast_enabled("cpu")
        assert _name(m.get_autocast_dtype("cpu")) == dtype
        assert m.nn.Linear(2, 2)(m.ones(1, 2)).dtype == m.float32


def test_cuda_autocast_on_the_device_uses_float16():
    if not ember.cuda.is_available():
        pytest.skip("no CUDA device or stand-in")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with ember.autocast("cuda"):
            assert ember.is_autocast_enabled() and _name(ember.get_autocast_dtype("cuda")) == \
                "float16"
    with pytest.raises(RuntimeError, match="does not support bfloat16"):
        ember.autocast("cuda", dtype=ember.bfloat16)
    with pytest.warns(FutureWarning, match=r"`ember.cuda.amp.autocast\(args...\)` is deprecated"):
        ac = ember.cuda.amp.autocast()
    with ac:
        assert ember.is_autocast_enabled("cuda")


@pytest.mark.parametrize("m", LIBS)
def test_cpu_amp_autocast_is_deprecated(m):
    with pytest.warns(FutureWarning, match=r"cpu.amp.autocast\(args...\)` is deprecated"):
        ac = m.cpu.amp.autocast(dtype=m.bfloat16)
    with ac:
        assert m.is_autocast_enabled("cpu")
    assert not m.is_autocast_enabled("cpu")


_NO_GPU = r"""
import json, warnings
import {lib} as m
out = {{}}
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    with m.autocast("cuda"):
        out["enabled"] = m.is_autocast_enabled("cuda")
    out["autocast"] = [(x.category.__name__, str(x.message).split(".")[0]) for x in w]
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    s = m.cuda.amp.GradScaler()
    out["cuda_amp_scaler"] = [x.category.__name__ for x in w]
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    s = m.amp.GradScaler("cuda")
    out["scaler"] = [(x.category.__name__, str(x.message).split(" is enabled")[1]) for x in w]
lin = m.nn.Linear(2, 1)
opt = m.optim.SGD(lin.parameters(), lr=0.5)
loss = lin(m.ones(1, 2)).sum()
out["same_loss"] = s.scale(loss) is loss
loss.backward()
out["step"] = s.step(opt)
s.update()
out["state"] = [s.is_enabled(), s.get_scale(), s.state_dict(), s._get_growth_tracker()]
print(json.dumps(out))
"""


def _no_gpu_run(lib):
    env = dict(os.environ, EMBER_STANDIN_CUDA="0", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run([sys.executable, "-c", _NO_GPU.format(lib=lib)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    import json  # noqa: PLC0415

    return json.loads(proc.stdout.strip().splitlines()[-1])


@needs_torch
def test_without_a_gpu_cuda_autocast_and_scaler_warn_and_disable_as_pytorch():
    try:
        import cupy  # noqa: F401,PLC0415

        pytest.skip("a real GPU is present")
    except ImportError:
        pass
    e, t = _no_gpu_run("ember"), _no_gpu_run("torch")
    assert e == t
    assert e["enabled"] is False and e["state"] == [False, 1.0, {}, 0] and e["step"] is None
    assert e["cuda_amp_scaler"] == ["FutureWarning", "UserWarning"]


def _mm_function(m):
    class MyMM(m.autograd.Function):
        @staticmethod
        @m.amp.custom_fwd(device_type="cpu", cast_inputs=m.float32)
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            ctx.inner_enabled = m.is_autocast_enabled("cpu")
            return a.mm(b)

        @staticmethod
        @m.amp.custom_bwd(device_type="cpu")
        def backward(ctx, grad):
            a, b = ctx.saved_tensors
            ctx.bwd_enabled = m.is_autocast_enabled("cpu")
            return grad.mm(b.t()), a.t().mm(grad)

    class Plain(m.autograd.Function):
        @staticmethod
        @m.amp.custom_fwd(device_type="cpu")
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a.mm(b)

        @staticmethod
        @m.amp.custom_bwd(device_type="cpu")
        def backward(ctx, grad):
            a, b = ctx.saved_tensors
            ctx.grad_dtype = str(grad.mm(b.t()).dtype)
            return grad.mm(b.t()), a.t().mm(grad)
    return MyMM, Plain


@pytest.mark.parametrize("m", LIBS)
def test_custom_fwd_and_custom_bwd(m):
    MyMM, Plain = _mm_function(m)
    rng = np.random.default_rng(0)
    a = m.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    b = m.tensor(rng.standard_normal((4, 2)).astype(np.float32), requires_grad=True)
    with m.autocast("cpu"):
        out = MyMM.apply(a.bfloat16(), b)  # cast_inputs: float32, autocast off inside
    assert out.dtype == m.float32 and out.grad_fn is not None
    out.sum().backward()
    assert a.grad.dtype == m.float32 and b.grad.dtype == m.float32
    np.testing.assert_allclose(as_np(b.grad), as_np(a.bfloat16().float()).sum(0)[:, None]
                               * np.ones((1, 2)), rtol=1e-6)
    with m.autocast("cpu"):
        out = Plain.apply(a, b)  # no cast_inputs: forward runs under autocast
    assert out.dtype == m.bfloat16
    out.float().sum().backward()
    assert out.grad_fn.grad_dtype.endswith("bfloat16")  # backward ran under autocast too
    out = MyMM.apply(a, b)  # outside a region: a no-op
    assert out.dtype == m.float32
    with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
        m.amp.custom_fwd(device_type=m.device("cpu"))


@pytest.mark.parametrize("m", LIBS)
def test_cuda_amp_custom_fwd_is_deprecated(m):
    with pytest.warns(FutureWarning, match=r"cuda.amp.custom_fwd\(args...\)` is deprecated"):
        m.cuda.amp.custom_fwd(lambda ctx, x: x)
    with pytest.warns(FutureWarning, match=r"cuda.amp.custom_bwd\(args...\)` is deprecated"):
        m.cuda.amp.custom_bwd(lambda ctx, g: g)


def test_autocast_state_is_per_thread():
    import threading

    seen = []
    with ember.autocast("cpu"):
        t = threading.Thread(target=lambda: seen.append(
            (ember.is_autocast_enabled("cpu"), ember.nn.functional.linear(
                ember.ones(1, 2), ember.ones(1, 2)).dtype)))
        t.start()
        t.join()
    assert seen == [(False, ember.float32)]
