"""``ember.utils.checkpoint``: the block is recomputed in backward (its activations are not
kept: measured on the graph and on the peak memory of a deep stack), the random state is
replayed so dropout repeats, the gradients are those of the plain run bit for bit, and the two
variants behave as PyTorch's (against ``torch.utils.checkpoint`` on the same weights)."""
from __future__ import annotations

import gc
import re
import tracemalloc
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.autograd.node import Node
from ember.utils.checkpoint import (CheckpointError, DefaultDeviceType, checkpoint, checkpoint_sequential,
                                    get_device_states, set_device_states,
                                    set_checkpoint_debug_enabled)

from ..compat._libs import LIBS, as_np, needs_torch, torch

MODES = [pytest.param(True, id="reentrant"), pytest.param(False, id="non-reentrant")]


class Block(nn.Module):
    """A residual, gated block: many activations per block for backward to keep."""

    def __init__(self, width, p=0.0):
        super().__init__()
        self.l1, self.l2 = nn.Linear(width, width), nn.Linear(width, width)
        self.drop = nn.Dropout(p)

    def forward(self, x):
        h = self.drop(self.l1(x).tanh())
        return x + h * self.l2(h).sigmoid()


def _stack(n=8, width=16, p=0.0, seed=0):
    ember.manual_seed(seed)
    return [Block(width, p) for _ in range(n)]


def _run(blocks, x, mode, seed=1, **kw):
    """Forward through the stack (each block checkpointed unless ``mode`` is None), backward
    of a loss with a random upstream weighting; returns the loss and every gradient."""
    x = x.clone().requires_grad_()
    for b in blocks:
        b.zero_grad()
    ember.manual_seed(seed)
    h = x
    for b in blocks:
        h = b(h) if mode is None else checkpoint(b, h, use_reentrant=mode, **kw)
    w = ember.linspace(-1.0, 1.0, h.numel()).reshape(h.shape)
    loss = (h * h * w).sum()
    loss.backward()
    return loss.item(), [p.grad.numpy().copy() for b in blocks for p in b.parameters()] + [
        x.grad.numpy().copy()]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("p", [0.0, 0.4], ids=["plain", "dropout"])
def test_gradients_equal_the_plain_run_bit_for_bit(mode, p):
    blocks = _stack(p=p)
    x = ember.randn(6, 16)
    loss0, grads0 = _run(blocks, x, None)
    loss, grads = _run(blocks, x, mode)
    assert loss == loss0
    for a, b in zip(grads, grads0):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("mode", MODES)
def test_dropout_repeats_with_the_cpu_as_default_device_type(mode):
    """Where no accelerator is available the default device type is the CPU's, which has no
    device generators to fork (only the CPU generator is replayed), as in PyTorch."""
    prev = DefaultDeviceType._default_device_type
    DefaultDeviceType.set_device_type("cpu")
    try:
        blocks = _stack(p=0.4)
        x = ember.randn(6, 16)
        loss0, grads0 = _run(blocks, x, None)
        loss, grads = _run(blocks, x, mode)
    finally:
        DefaultDeviceType._default_device_type = prev
    assert loss == loss0
    for a, b in zip(grads, grads0):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("mode", MODES)
def test_without_preserving_the_rng_dropout_differs(mode):
    """The replay is what makes dropout repeat: without it the recomputation draws new masks,
    so the gradients no longer match (as in PyTorch)."""
    blocks = _stack(p=0.5)
    x = ember.randn(6, 16)
    _, grads0 = _run(blocks, x, None)
    _, grads = _run(blocks, x, mode, preserve_rng_state=False)
    assert not all(np.array_equal(a, b) for a, b in zip(grads, grads0))


def _graph_bytes(t, exclude):
    """Bytes of the arrays the graph behind ``t`` keeps for backward (each memory block
    once; parameters, ``exclude``, not counted)."""
    seen, blocks, stack = set(), {}, [t.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        held = [e[1] for e in (node._saved or ())] + list(vars(node).values())
        for obj in held:
            arr = obj._data if isinstance(obj, ember.Tensor) else obj
            if isinstance(arr, np.ndarray):
                while isinstance(arr.base, np.ndarray):
                    arr = arr.base
                if id(arr) not in exclude:
                    blocks[id(arr)] = arr.nbytes
        stack += [e[0] for e in node._edges if e is not None and isinstance(e[0], Node)]
    return sum(blocks.values())


@pytest.mark.parametrize("mode", MODES)
def test_the_graph_keeps_only_the_block_inputs(mode):
    """After forward, a checkpointed stack's graph holds one array per block (its input),
    where the plain stack holds every activation: this fails without recomputation."""
    n, width, batch = 12, 32, 64
    blocks = _stack(n, width)
    params = set()
    for b in blocks:
        for p in b.parameters():
            params.add(id(p._data))
    x = ember.randn(batch, width).requires_grad_()
    plain = x
    for b in blocks:
        plain = b(plain)
    ckpt = x
    for b in blocks:
        ckpt = checkpoint(b, ckpt, use_reentrant=mode)
    one = batch * width * 4
    plain_bytes, ckpt_bytes = _graph_bytes(plain, params), _graph_bytes(ckpt, params)
    assert plain_bytes >= 3 * n * one
    assert ckpt_bytes <= n * one
    ckpt.sum().backward()  # and the recomputation delivers the gradients
    assert all(p.grad is not None for b in blocks for p in b.parameters())


@pytest.mark.parametrize("mode", MODES)
def test_peak_memory_is_lower_on_a_deep_stack(mode):
    blocks = _stack(16, 64)
    x = ember.randn(256, 64)

    def peak(m):
        gc.collect()
        tracemalloc.start()
        try:
            _run(blocks, x, m)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    plain, ckpt = peak(None), peak(mode)
    assert ckpt < 0.6 * plain, (plain, ckpt)


# ---------------------------------------------------------------- the variants' rules
@pytest.mark.parametrize("m", LIBS)
def test_missing_use_reentrant_warns_and_means_reentrant(m):
    ck = m.utils.checkpoint
    x = m.ones(2, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        y = ck.checkpoint(lambda a: a * 2, x)
        ck.checkpoint_sequential([lambda a: a + 1, lambda a: a * 3], 2, x)
    texts = [str(c.message) for c in caught]
    assert texts[0].startswith("torch.utils.checkpoint: the use_reentrant parameter should be "
                               "passed explicitly. Starting in PyTorch 2.9")
    assert texts[1].startswith("torch.utils.checkpoint.checkpoint_sequential: the use_reentrant")
    assert type(y.grad_fn).__name__ == "CheckpointFunctionBackward"


def _outcome(fn):
    try:
        out = fn()
    except Exception as e:  # noqa: BLE001 - the comparison is the point
        return type(e).__name__, re.sub(r"torch|ember", "LIB", str(e))
    return "ok", out


@needs_torch
@pytest.mark.parametrize("case", [
    "grad", "backward-inputs", "kwargs", "context_fn", "debug", "no-input-requires-grad",
    "nondeterministic-shapes"])
def test_variant_rules_match_torch(case):
    def scenario(m):
        ck = m.utils.checkpoint
        x = m.ones(3, requires_grad=True)
        f = lambda a, k=1.0: (a * 2).sin() * k  # noqa: E731
        if case == "grad":
            out = [_outcome(lambda: m.autograd.grad(ck.checkpoint(f, x, use_reentrant=r).sum(),
                                                    x)[0].tolist()) for r in (True, False)]
            return [(o[0], o[1] if o[0] != "ok" else [round(v, 6) for v in o[1]]) for o in out]
        if case == "backward-inputs":
            y = ck.checkpoint(f, x, use_reentrant=True).sum()
            return _outcome(lambda: y.backward(inputs=[x]))
        if case == "kwargs":
            return [_outcome(lambda: ck.checkpoint(f, x, use_reentrant=True, k=2.0)),
                    round(ck.checkpoint(f, x, use_reentrant=False, k=2.0).sum().item(), 5)]
        if case == "context_fn":
            return _outcome(lambda: ck.checkpoint(f, x, use_reentrant=True,
                                                  context_fn=lambda: (None, None)))
        if case == "debug":
            return [_outcome(lambda: ck.checkpoint(f, x, use_reentrant=True, debug=True)),
                    _outcome(lambda: ck.checkpoint(f, x, use_reentrant=False,
                                                   determinism_check="all"))]
        if case == "no-input-requires-grad":
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                y = ck.checkpoint(f, m.ones(3), use_reentrant=True)
            z = ck.checkpoint(lambda a: a * x, m.ones(3), use_reentrant=False)
            return [str(c.message) for c in caught], y.requires_grad, z.requires_grad
        calls = []

        def changing(a):  # the recomputation saves a tensor of another shape
            calls.append(1)
            return a[:len(calls)].exp().sum()
        y = ck.checkpoint(changing, x, use_reentrant=False)
        return _outcome(lambda: y.backward())

    ours, theirs = scenario(ember), scenario(torch)
    if case == "nondeterministic-shapes":  # both refuse; the wording is each library's own
        assert ours[0] == theirs[0] == "CheckpointError"
    else:
        assert ours == theirs


@needs_torch
@pytest.mark.parametrize("mode", MODES)
def test_gradients_match_torch_on_the_same_weights(mode):
    ember.set_default_dtype(ember.float64)
    try:
        blocks = _stack(4, 8)
    finally:
        ember.set_default_dtype(ember.float32)
    torch.manual_seed(0)
    t_blocks = []
    for b in blocks:
        tb = torch.nn.Module()
        tb.l1, tb.l2 = torch.nn.Linear(8, 8).double(), torch.nn.Linear(8, 8).double()
        for name in ("l1", "l2"):
            for pn in ("weight", "bias"):
                getattr(getattr(tb, name), pn).data = torch.tensor(
                    getattr(getattr(b, name), pn).detach().numpy())
        t_blocks.append(tb)

    def t_block(tb):
        return lambda x: x + tb.l1(x).tanh() * tb.l2(tb.l1(x).tanh()).sigmoid()
    data = np.random.default_rng(3).standard_normal((5, 8))
    x, tx = ember.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    h, th = x, tx
    for b, tb in zip(blocks, t_blocks):
        h = checkpoint(b, h, use_reentrant=mode)
        th = torch.utils.checkpoint.checkpoint(t_block(tb), th, use_reentrant=mode)
    wgt = np.linspace(-1, 1, 40).reshape(5, 8)
    (h * h * ember.tensor(wgt)).sum().backward()
    (th * th * torch.tensor(wgt)).sum().backward()
    np.testing.assert_allclose(as_np(x.grad), as_np(tx.grad), rtol=1e-10)
    for b, tb in zip(blocks, t_blocks):
        for name in ("l1", "l2"):
            np.testing.assert_allclose(as_np(getattr(b, name).weight.grad),
                                       as_np(getattr(tb, name).weight.grad), rtol=1e-10)


@needs_torch
@pytest.mark.parametrize("mode", MODES)
def test_checkpoint_sequential_matches_torch(mode):
    results = []
    for m in (ember, torch):
        m.manual_seed(0)
        seq = m.nn.Sequential(*[m.nn.Linear(4, 4) for _ in range(5)]).double()
        if m is torch:
            seq.load_state_dict({k: torch.tensor(v) for k, v in results[0][2].items()})
        x = m.tensor(np.linspace(-1, 1, 12).reshape(3, 4), requires_grad=True)
        out = m.utils.checkpoint.checkpoint_sequential(seq, 3, x, use_reentrant=mode)
        out.pow(2).sum().backward()
        results.append((as_np(out), as_np(x.grad), {k: as_np(v) for k, v in
                                                     seq.state_dict().items()}))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


# ---------------------------------------------------------------- non-reentrant extras
def test_non_reentrant_supports_autograd_grad_nesting_and_structures():
    blocks = _stack(3, 8)
    x = ember.randn(4, 8, requires_grad=True)

    def two(a, *, scale):
        return {"y": blocks[0](a) * scale, "aux": [checkpoint(blocks[1], a,
                                                              use_reentrant=False), 3]}
    out = checkpoint(two, x, use_reentrant=False, scale=2.0)
    assert out["aux"][1] == 3 and type(out["y"].grad_fn).__name__ == "CheckpointBackward"
    gx, gw = ember.autograd.grad((out["y"].sum() + out["aux"][0].pow(2).sum()),
                                 [x, blocks[1].l1.weight])
    ref_x = x.detach().requires_grad_()
    ref = blocks[0](ref_x).sum() * 2 + blocks[1](ref_x).pow(2).sum()
    rx, rw = ember.autograd.grad(ref, [ref_x, blocks[1].l1.weight])
    np.testing.assert_allclose(gx.numpy(), rx.numpy(), rtol=1e-6)
    np.testing.assert_allclose(gw.numpy(), rw.numpy(), rtol=1e-6)


def test_non_reentrant_double_backward_equals_plain():
    x = ember.tensor([0.3, -1.2, 2.0], dtype=ember.float64, requires_grad=True)
    w = ember.tensor([1.5, 0.5, -2.0], dtype=ember.float64, requires_grad=True)

    def f(a):
        return ((a * w).sin() * a).sum()
    y = checkpoint(f, x, use_reentrant=False)
    g, = ember.autograd.grad(y, x, create_graph=True)
    gg = ember.autograd.grad(g.pow(2).sum(), [x, w])
    x2 = x.detach().requires_grad_()
    g2, = ember.autograd.grad(f(x2), x2, create_graph=True)
    gg2 = ember.autograd.grad(g2.pow(2).sum(), [x2, w])
    for a, b in zip(gg, gg2):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


def test_backward_twice_needs_retain_graph():
    x = ember.ones(3, requires_grad=True)
    y = checkpoint(lambda a: a.exp() * 2, x, use_reentrant=False).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.e * np.ones(3), rtol=1e-6)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_an_input_changed_in_place_is_refused():
    x = ember.ones(3, requires_grad=True)
    a = x * 1
    y = checkpoint(lambda t: t.exp(), a, use_reentrant=False).sum()
    with ember.no_grad():
        a.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_determinism_check_sees_different_operations():
    """ember compares the operations recorded (and their inputs' shapes and dtypes), so it
    also catches a recomputation that runs other operations on the same shapes."""
    calls = []

    def f(a):
        calls.append(1)
        return a.sin() if len(calls) == 1 else a.cos()
    x = ember.ones(3, requires_grad=True)
    y = checkpoint(f, x, use_reentrant=False).sum()
    with pytest.raises(CheckpointError, match="different operations") as info:
        y.backward()
    assert "debug=True" in str(info.value)
    calls.clear()
    with set_checkpoint_debug_enabled(True):
        y = checkpoint(f, x, use_reentrant=False).sum()
    with pytest.raises(CheckpointError, match="SinBackward|Sin") as info:
        y.backward()
    calls.clear()
    y = checkpoint(f, x, use_reentrant=False, determinism_check="none").sum()
    y.backward()  # not checked: the recomputation's operations give the gradient
    np.testing.assert_allclose(x.grad.numpy(), -np.sin(np.ones(3)), rtol=1e-6)


def test_context_fn_wraps_forward_and_recomputation():
    entered = []

    class Ctx:
        def __init__(self, name):
            self.name = name

        def __enter__(self):
            entered.append(self.name)

        def __exit__(self, *exc):
            return False
    x = ember.ones(2, requires_grad=True)
    y = checkpoint(lambda a: a * 3, x, use_reentrant=False,
                   context_fn=lambda: (Ctx("forward"), Ctx("recompute")))
    assert entered == ["forward"]
    y.sum().backward()
    assert entered == ["forward", "recompute"]


def test_outputs_made_outside_pass_through():
    x = ember.ones(2, requires_grad=True)
    a, b = checkpoint(lambda t: (t, t * 2), x, use_reentrant=False)
    assert a is x and b.grad_fn is not None
    (a.sum() + b.sum()).backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_no_grad_runs_plainly():
    with ember.no_grad():
        y = checkpoint(lambda t: t * 2, ember.ones(2, requires_grad=True), use_reentrant=False)
    assert not y.requires_grad and y.tolist() == [2.0, 2.0]


# ---------------------------------------------------------------- devices and autocast
@pytest.mark.skipif(not ember.cuda.is_available(), reason="needs a GPU or the CPU stand-in")
@pytest.mark.parametrize("mode", MODES)
def test_dropout_repeats_on_the_gpu(mode):
    blocks = _stack(3, 8, p=0.5)
    for b in blocks:
        b.to("cuda")
    x = ember.randn(4, 8).to("cuda")
    _run_gpu = []
    for m in (None, mode):
        xx = x.clone().requires_grad_()
        for b in blocks:
            b.zero_grad()
        ember.manual_seed(5)
        h = xx
        for b in blocks:
            h = b(h) if m is None else checkpoint(b, h, use_reentrant=m)
        h.pow(2).sum().backward()
        _run_gpu.append([p.grad.cpu().numpy() for b in blocks for p in b.parameters()])
    for a, b in zip(*_run_gpu):
        assert np.array_equal(a, b)


@pytest.mark.skipif(not ember.cuda.is_available(), reason="needs a GPU or the CPU stand-in")
def test_device_states_round_trip():
    t = ember.ones(2).to("cuda")
    ember.rand(1, device="cuda")  # the device's generator exists
    ids, states = get_device_states(t, [t], {"k": ember.ones(1)})
    assert ids == [0, 0] and len(states) == 2
    first = ember.rand(3, device="cuda").cpu().numpy()
    set_device_states(ids[:1], states[:1], device_type="cuda")
    assert np.array_equal(ember.rand(3, device="cuda").cpu().numpy(), first)


def test_autocast_state_is_replayed():
    lin = nn.Linear(8, 8)
    x = ember.randn(4, 8, requires_grad=True)
    with ember.autocast("cpu", dtype=ember.bfloat16):
        y = checkpoint(lin, x, use_reentrant=False)
        ref = lin(x)
    assert y.dtype == ember.bfloat16
    y.float().sum().backward()
    g = x.grad.clone()
    x.grad = None
    ref.float().sum().backward()
    assert np.array_equal(g.numpy(), x.grad.numpy())
