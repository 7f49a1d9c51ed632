"""``ember.backends.mkldnn``: the switches, the safety of the binding, threads, and a machine
without the library (the kernels themselves: test_mkldnn_kernels.py)."""
from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import ember
from ember.backends import mkldnn
from ember.backends.mkldnn import _lib, _prim

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
needs_dnnl = pytest.mark.skipif(not mkldnn.is_available(), reason="oneDNN does not load here")


def _python(code, **env):
    """Run ``code`` in a fresh interpreter with this checkout's ember; its stdout."""
    e = dict(os.environ, PYTHONPATH=ROOT, **env)
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                       text=True, env=e, timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout


def _counting(monkeypatch):
    calls = []
    orig = _prim.Primitive.execute
    monkeypatch.setattr(_prim.Primitive, "execute",
                        lambda self, args: (calls.append(1), orig(self, args))[1])
    return calls


def _conv_step(dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    x = ember.tensor(rng.standard_normal((2, 3, 6, 5)).astype(dtype), requires_grad=True)
    w = ember.tensor(rng.standard_normal((4, 3, 3, 3)).astype(dtype), requires_grad=True)
    y = ember.nn.functional.conv2d(x, w, padding=1)
    (y * y).sum().backward()
    return y.detach().numpy(), x.grad.numpy(), w.grad.numpy()


def _lstm_step(seed=0):
    # weights from a local generator: the global one is shared by the threads that call this
    rng = np.random.default_rng(seed)
    m = ember.nn.LSTM(5, 6, bidirectional=True)
    with ember.no_grad():
        for p in m.parameters():
            p.copy_(ember.from_numpy(rng.uniform(-0.4, 0.4, tuple(p.shape)).astype(np.float32)))
    x = ember.tensor(rng.standard_normal((7, 3, 5)).astype(np.float32), requires_grad=True)
    out, _ = m(x)
    (out * out).sum().backward()
    return out.detach().numpy(), x.grad.numpy(), m.weight_hh_l0.grad.numpy()


# ---------------------------------------------------------------------------- switches
def test_switches_have_pytorchs_names_and_defaults():
    assert mkldnn.enabled is (os.environ.get("EMBER_ONEDNN", "1") != "0")
    assert mkldnn.deterministic is False and mkldnn.allow_tf32 is True
    assert mkldnn.fp32_precision == "none"
    before = mkldnn.enabled
    with mkldnn.flags(enabled=False):
        assert mkldnn.enabled is False
        with mkldnn.flags(enabled=True, deterministic=True):
            assert mkldnn.enabled is True and mkldnn.deterministic is True
        assert mkldnn.enabled is False and mkldnn.deterministic is False
    assert mkldnn.enabled is before
    orig = mkldnn.set_flags(False)
    try:
        assert orig[0] is before and mkldnn.enabled is False
    finally:
        mkldnn.set_flags(*orig)
    assert mkldnn.enabled is before


def test_reduced_precision_is_refused_without_changing_anything():
    before = (mkldnn.enabled, mkldnn.deterministic, mkldnn.fp32_precision)
    with pytest.raises(NotImplementedError, match="bf16"):
        with mkldnn.flags(enabled=False, fp32_precision="bf16"):
            pass
    assert (mkldnn.enabled, mkldnn.deterministic, mkldnn.fp32_precision) == before


@needs_dnnl
def test_enabled_routes_and_switching_off_falls_back(monkeypatch):
    calls = _counting(monkeypatch)
    with mkldnn.flags(enabled=True):
        on = _conv_step()
    assert calls, "oneDNN was not called with enabled=True"
    calls.clear()
    with mkldnn.flags(enabled=False):
        off = _conv_step()
    assert not calls
    for a, b in zip(on, off):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
    assert mkldnn.version()[:2] >= (3, 2) and "oneDNN" in mkldnn.status()


@needs_dnnl
def test_float64_and_second_order_keep_the_numpy_path(monkeypatch):
    calls = _counting(monkeypatch)
    with mkldnn.flags(enabled=True):
        _conv_step(np.float64)
    assert not calls, "float64 went to oneDNN"
    # second order: a oneDNN forward, its backward recorded with ember's composite ops
    rng = np.random.default_rng(1)
    xa = rng.standard_normal((2, 2, 5, 5)).astype(np.float32)
    wa = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    res = []
    for on in (True, False):
        with mkldnn.flags(enabled=on):
            x, w = ember.tensor(xa, requires_grad=True), ember.tensor(wa, requires_grad=True)
            y = ember.nn.functional.conv2d(x, w, stride=2, padding=1)
            gx, = ember.autograd.grad((y ** 2).sum(), x, create_graph=True)
            (gx ** 2).sum().backward()
            res.append((gx.detach().numpy(), w.grad.numpy(), x.grad.numpy()))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-3)


def test_environment_switch_starts_off():
    out = _python("""
        import numpy as np, ember
        from ember.backends import mkldnn
        from ember.backends.mkldnn import _prim
        calls = []
        orig = _prim.Primitive.execute
        _prim.Primitive.execute = lambda s, a: (calls.append(1), orig(s, a))[1]
        x = ember.randn(2, 3, 5, 5, requires_grad=True)
        ember.nn.functional.conv2d(x, ember.randn(4, 3, 3, 3)).sum().backward()
        print(mkldnn.enabled, len(calls), mkldnn.status())
    """, EMBER_ONEDNN="0")
    assert out.startswith("False 0 oneDNN switched off (EMBER_ONEDNN=0)")


def test_a_machine_without_the_library_runs_everything_on_numpy():
    """The library forced missing: nothing raises, every kernel runs on NumPy, and
    ``ember bench`` says so in its first lines."""
    out = _python("""
        import io, numpy as np, ember
        from ember.backends.mkldnn import _lib
        _lib._candidates = lambda: iter(["/nonexistent/libdnnl.so.3"])
        from ember.backends import mkldnn
        assert not mkldnn.is_available() and mkldnn.version() is None
        x = ember.randn(2, 3, 6, 6, requires_grad=True)
        y = ember.nn.functional.conv2d(x, ember.randn(4, 3, 3, 3), padding=1)
        z = ember.nn.functional.conv_transpose2d(y, ember.randn(4, 2, 2, 2), stride=2)
        out, _ = ember.nn.LSTM(12, 5, batch_first=True)(z.reshape(2, 24, 12))
        out.sum().backward()
        assert x.grad.shape == (2, 3, 6, 6)
        from ember import bench
        buf = io.StringIO()
        bench.run(["ops"], rounds=1, memory=False, out=buf)
        print(buf.getvalue().splitlines()[1])
    """)
    assert "oneDNN not available" in out and "NumPy path" in out


@needs_dnnl
def test_bench_names_the_path_each_workload_took():
    import io

    from ember import bench

    buf = io.StringIO()
    rows = bench.run(["lenet-max"], rounds=1, memory=False, out=buf)
    assert rows[0]["path"] == "oneDNN" and "oneDNN 3." in buf.getvalue()
    with mkldnn.flags(enabled=False):
        rows = bench.run(["lenet-max"], rounds=1, memory=False, out=io.StringIO())
    assert rows[0]["path"] == "NumPy"


# ---------------------------------------------------------------------------- safety
@needs_dnnl
def test_arrays_are_checked_before_any_pointer_is_passed():
    from ember.backends.mkldnn import conv as dconv

    x = np.zeros((1, 2, 5, 5), np.float32)
    w = np.zeros((3, 2, 3, 3), np.float32)
    _, state = dconv.forward(x, w, None, (1, 1), (1, 1, 1, 1), (1, 1), 1)
    plan, xs, xin, wb = state
    assert plan.f_dst.back is None  # NHWC output: the array below is oneDNN's argument
    good = [(_lib.ARG_SRC, plan.f_src.desc, xin), (_lib.ARG_WEIGHTS, plan.w_fwd, wb),
            (_lib.ARG_DST, plan.f_dst.desc, np.zeros((1, 5, 5, 3), np.float32))]
    plan.fwd.execute(good)
    bad_arrays = {
        "too small": np.zeros((1, 5, 5, 2), np.float32),
        "not contiguous": np.zeros((1, 5, 5, 6), np.float32)[..., ::2],
        "wrong dtype": np.zeros((1, 5, 5, 3), np.float64),
        "not an array": [0.0] * 75,
    }
    for what, a in bad_arrays.items():
        args = good[:2] + [(_lib.ARG_DST, plan.f_dst.desc, a)]
        with pytest.raises((ValueError, TypeError)):
            plan.fwd.execute(args)
    with pytest.raises(ValueError, match="gradient of shape"):
        dconv.backward(state, w, np.zeros((1, 3, 5, 4), np.float32), True, True, False)


@needs_dnnl
def test_read_only_inputs_are_accepted():
    x = np.random.default_rng(0).standard_normal((1, 2, 5, 5)).astype(np.float32)
    w = np.ones((2, 2, 1, 1), np.float32)
    x.flags.writeable = False
    w.flags.writeable = False
    y = ember.nn.functional.conv2d(ember.from_numpy(x), ember.from_numpy(w))
    np.testing.assert_allclose(y.numpy(), np.repeat(x.sum(1, keepdims=True), 2, 1), rtol=1e-6)


@needs_dnnl
def test_zero_size_and_odd_shapes_never_reach_onednn(monkeypatch):
    calls = _counting(monkeypatch)
    y = ember.nn.functional.conv2d(ember.zeros(0, 3, 5, 5), ember.zeros(4, 3, 3, 3))
    assert tuple(y.shape) == (0, 4, 3, 3) and not calls


# ---------------------------------------------------------------------------- threads
@needs_dnnl
def test_cached_primitives_are_safe_in_two_threads():
    """Two threads train convolutions and LSTMs of the same shapes (one cached plan each)
    and convolutions of new shapes at once: each gets exactly its single-threaded result."""
    want = {s: _conv_step(seed=s) + _lstm_step(seed=s) for s in range(4)}
    errors = []

    def work(seeds):
        try:
            for _ in range(5):
                for s in seeds:
                    got = _conv_step(seed=s) + _lstm_step(seed=s)
                    for a, b in zip(got, want[s]):
                        np.testing.assert_array_equal(a, b)
                rng = np.random.default_rng()
                n = int(rng.integers(1, 5))  # new shapes: plans built concurrently
                x = ember.randn(n, 3, 7, 7, requires_grad=True)
                ember.nn.functional.conv2d(x, ember.randn(5, 3, 2, 2)).sum().backward()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=([0, 1, 2, 3],)),
               threading.Thread(target=work, args=([3, 2, 1, 0],))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


@needs_dnnl
def test_results_are_deterministic():
    a, b = _conv_step(seed=5), _conv_step(seed=5)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@needs_dnnl
def test_set_num_threads_reaches_onednn_in_every_thread():
    gomp = ctypes.CDLL("libgomp.so.1")
    before = ember.get_num_threads()
    seen = []

    def worker():
        _conv_step()
        seen.append(gomp.omp_get_max_threads())
    try:
        ember.set_num_threads(1)
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert seen == [1]
    finally:
        ember.set_num_threads(before)


def _forked_conv(q, x, w):
    from ember.backends import mkldnn as m

    y = ember.nn.functional.conv2d(ember.from_numpy(x), ember.from_numpy(w))
    q.put((m.is_available(), y.numpy()))


@needs_dnnl
@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_forked_child_takes_the_numpy_path_instead_of_hanging():
    """libgomp's threads do not survive fork: oneDNN in the child would hang."""
    import multiprocessing as mp

    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 8, 9, 9)).astype(np.float32)
    w = rng.standard_normal((8, 8, 3, 3)).astype(np.float32)
    before = ember.get_num_threads()
    ember.set_num_threads(2)  # an OpenMP thread pool in the parent
    try:
        want = ember.nn.functional.conv2d(ember.from_numpy(x), ember.from_numpy(w)).numpy()
        ctx = mp.get_context("fork")
        q = ctx.Queue()
        p = ctx.Process(target=_forked_conv, args=(q, x, w))
        p.start()
        p.join(120)
        if p.is_alive():
            p.kill()
            pytest.fail("the forked child hung in oneDNN")
        available, got = q.get(timeout=10)
    finally:
        ember.set_num_threads(before)
    assert p.exitcode == 0 and available is False
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
