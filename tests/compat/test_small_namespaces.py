"""The small names real programs import beside the big utilities: ``jit.Final``,
``jit.TracerWarning``, ``jit._flatten``, ``fx.wrap``, ``_utils._flatten_dense_tensors`` /
``_unflatten_dense_tensors`` and ``random.fork_rng`` — each run the same way with ember and
with PyTorch."""
from __future__ import annotations

import typing
import warnings

import numpy as np
import pytest

import ember

from ._libs import LIBS, as_np, needs_torch, torch


@pytest.mark.parametrize("m", LIBS)
def test_jit_markers(m):
    assert m.jit.Final is typing.Final

    class Block(m.nn.Module):
        fused: m.jit.Final[bool]

        def __init__(self):
            super().__init__()
            self.fused = True
    assert Block().fused is True
    assert issubclass(m.jit.TracerWarning, Warning)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=m.jit.TracerWarning)
        warnings.warn("traced", m.jit.TracerWarning)
    assert not caught
    with warnings.catch_warnings():
        m.jit.TracerWarning.ignore_lib_warnings()


@needs_torch
def test_jit_flatten_matches_torch():
    def run(m):
        nested = (m.ones(1), [m.zeros(2), (m.ones(3) * 2,)], {"b": m.ones(1), "a": 3}, None,
                  "name", 2.5, True)
        flat, desc = m.jit._flatten(nested)
        return [(str(t.dtype).split(".")[-1], t.tolist()) for t in flat]
    assert run(ember) == run(torch)
    flat, desc = ember.jit._flatten({"x": [ember.ones(1)], "y": (2,)})
    assert ember.jit._unflatten(flat, desc)["x"][0] is flat[0]
    with pytest.raises(RuntimeError, match="Only tuples, lists and Variables are supported"):
        ember.jit._flatten(object())
    with pytest.raises(RuntimeError, match="Only tuples, lists and Variables are supported"):
        torch.jit._flatten(object())


@pytest.mark.parametrize("m", LIBS)
def test_fx_wrap(m):
    import importlib  # noqa: PLC0415

    fx = importlib.import_module(m.__name__ + ".fx")

    def square(x):
        return x * x
    namespace = {"fx": fx, "square": square}
    exec("wrapped = fx.wrap(square)\nname = fx.wrap('len')", namespace)  # module level
    assert namespace["wrapped"] is square and namespace["name"] == "len"
    with pytest.raises(NotImplementedError, match="wrap must be called at the top level"):
        fx.wrap(square)
    with pytest.raises(RuntimeError, match="Unsupported type for global function"):
        exec("fx.wrap(3)", namespace)


@needs_torch
def test_dense_tensor_flattening_matches_torch():
    data = [np.arange(4.0).reshape(2, 2), np.array([5.0, 6.0]), np.array(7.0)]
    results = []
    for m in (ember, torch):
        ts = [m.tensor(a, requires_grad=True) for a in data]
        flat = m._utils._flatten_dense_tensors(ts)
        back = m._utils._unflatten_dense_tensors(flat * 2, ts)
        sum(b.sum() * (i + 1) for i, b in enumerate(back)).backward()
        results.append((as_np(flat), [as_np(b) for b in back], type(back).__name__,
                        [as_np(t.grad) for t in ts]))
    ours, theirs = results
    np.testing.assert_array_equal(ours[0], theirs[0])
    assert ours[2] == theirs[2]
    for a, b in zip(ours[1] + ours[3], theirs[1] + theirs[3]):
        np.testing.assert_array_equal(a, b)
    one = ember.ones(2, 2)
    single = ember._utils._flatten_dense_tensors([one])
    single[0] = 5  # one contiguous tensor: flattened as a view, as PyTorch's
    assert one[0, 0].item() == 5


@pytest.mark.parametrize("m", LIBS)
def test_fork_rng_puts_the_generators_back(m):
    m.manual_seed(3)
    with m.random.fork_rng():
        inside = m.rand(4)
    after = m.rand(4)
    assert inside.tolist() == after.tolist()
    with m.random.fork_rng(enabled=False):
        m.rand(4)
    assert m.rand(4).tolist() != after.tolist()
    m.manual_seed(3)
    with m.random.fork_rng(devices=[]):
        m.rand(1)
    assert m.rand(4).tolist() == after.tolist()


@pytest.mark.skipif(not ember.cuda.is_available(), reason="needs a GPU or the CPU stand-in")
def test_fork_rng_forks_the_gpu_generators():
    ember.rand(1, device="cuda")
    with ember.random.fork_rng(devices=[0]):
        inside = ember.rand(4, device="cuda").cpu().tolist()
    assert ember.rand(4, device="cuda").cpu().tolist() == inside
