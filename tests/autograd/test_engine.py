"""Engine semantics: accumulation, graph freeing, deep graphs, hooks, grad(), higher order."""
from __future__ import annotations

import gc
import sys

import numpy as np
import pytest

import ember
from ember.autograd.function import Node

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")


def test_lecture_worked_example():
    # f(x, y, z) = (x + y) z at x = -2, y = 5, z = -4
    x = ember.tensor(-2.0, requires_grad=True)
    y = ember.tensor(5.0, requires_grad=True)
    z = ember.tensor(-4.0, requires_grad=True)
    f = (x + y) * z
    f.backward()
    assert f.item() == -12.0
    assert (x.grad.item(), y.grad.item(), z.grad.item()) == (-4.0, -4.0, 3.0)


def test_node_used_twice_gets_both_contributions():
    # micrograd PR #64: b = a + a; c = b + b  =>  dc/da = 4
    a = ember.tensor(3.0, requires_grad=True)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad.item() == 4.0


def test_gradients_accumulate_across_backward_calls():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3 + 2, 3 + 4])


def test_zero_grad_then_backward_twice_gives_same_grads():
    x = ember.tensor([1.0, -2.0], requires_grad=True)
    for _ in range(2):
        x.grad = None
        (x.exp() * x).sum().backward()
        g = x.grad.numpy().copy()
    np.testing.assert_allclose(g, np.exp([1.0, -2.0]) * (1 + np.array([1.0, -2.0])))


def test_second_backward_without_retain_graph_raises():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_second_backward_and_accumulates():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


def test_deep_chain_has_no_recursion_limit():
    x = ember.tensor(1.0, requires_grad=True)
    y = x
    n = 100_000
    for _ in range(n):
        y = y + 1e-6
    assert n > sys.getrecursionlimit()
    y.backward()
    assert x.grad.item() == 1.0


def test_graph_is_freed_after_backward():
    x = ember.randn(4, 4, requires_grad=True)
    y = (x.exp() * 2).sum()
    fn = y.grad_fn
    import weakref

    ref = weakref.ref(fn)
    y.backward()
    del y, fn
    gc.collect()
    assert ref() is None


def _live_tensors():
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is ember.Tensor or type(o) is Node)


def test_training_loop_memory_is_flat():
    w = ember.randn(8, 4, requires_grad=True)
    x = ember.randn(16, 8)

    def step():
        loss = ((x @ w).tanh() ** 2).mean()
        loss.backward()
        with ember.no_grad():
            w.data -= 0.1 * w.grad.data
        w.grad = None

    step()
    before = _live_tensors()
    for _ in range(10):
        step()
    assert _live_tensors() == before


def test_no_graph_under_no_grad():
    x = ember.ones(3, requires_grad=True)
    with ember.no_grad():
        y = x * 2
    assert not y.requires_grad and y.grad_fn is None

    @ember.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    with ember.no_grad():
        with ember.enable_grad():
            assert (x * 2).requires_grad
    ember.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        ember.set_grad_enabled(True)
    with ember.set_grad_enabled(False):
        assert not ember.is_grad_enabled()
    assert ember.is_grad_enabled()
    with ember.inference_mode():
        assert not (x * 2).requires_grad


def test_grad_mode_is_thread_local():
    import threading

    seen = []
    with ember.no_grad():
        t = threading.Thread(target=lambda: seen.append(ember.is_grad_enabled()))
        t.start()
        t.join()
    assert seen == [True]


def test_backward_on_non_scalar_needs_gradient():
    x = ember.ones(3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        y.backward()
    y.backward(ember.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ember.ones(2).sum().backward()


def test_gradient_shape_mismatch_raises():
    x = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(ember.ones(4))


def test_user_gradient_is_not_aliased_by_grad():
    x = ember.ones(3, requires_grad=True)
    g = ember.tensor([1.0, 2.0, 3.0])
    (x + 0).backward(g)
    x.grad.zero_()
    np.testing.assert_allclose(g.numpy(), [1.0, 2.0, 3.0])


def test_broadcast_grad_is_writable_and_owned():
    b = ember.zeros(4, requires_grad=True)
    (ember.ones(3, 4) + b).sum().backward()
    b.grad.mul_(2)  # would fail on a read-only broadcast view
    np.testing.assert_allclose(b.grad.numpy(), [6.0] * 4)


def test_autograd_grad_does_not_touch_dot_grad():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (x ** 3).sum()
    (g,) = ember.autograd.grad(y, x)
    np.testing.assert_allclose(g.numpy(), [3.0, 12.0])
    assert x.grad is None


def test_grad_of_intermediate_and_unused():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    u = ember.tensor([1.0], requires_grad=True)
    h = x * 2
    y = (h * h).sum()
    gh, gx = ember.autograd.grad(y, [h, x], retain_graph=True)
    np.testing.assert_allclose(gh.numpy(), [4.0, 8.0])
    np.testing.assert_allclose(gx.numpy(), [8.0, 16.0])
    with pytest.raises(RuntimeError, match="not have been used"):
        ember.autograd.grad(y, [x, u], retain_graph=True)
    gx, gu = ember.autograd.grad(y, [x, u], allow_unused=True)
    assert gu is None


def test_backward_inputs_restricts_accumulation():
    a = ember.tensor(2.0, requires_grad=True)
    b = ember.tensor(3.0, requires_grad=True)
    (a * b).backward(inputs=[a])
    assert a.grad.item() == 3.0 and b.grad is None


def test_hooks_and_retain_grad():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    h = x.register_hook(lambda g: seen.append(g.numpy().copy()))
    y = x * 3
    y.retain_grad()
    y.register_hook(lambda g: g * 2)  # doubles what flows back
    y.sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])
    np.testing.assert_allclose(seen[0], [6.0, 6.0])
    h.remove()
    x.grad = None
    (x * 1).sum().backward()
    assert len(seen) == 1


def test_detach_and_requires_grad_flags():
    x = ember.ones(2, requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    with pytest.raises(RuntimeError, match="leaf"):
        (x * 2).requires_grad_(False)
    with pytest.raises(RuntimeError, match="floating point"):
        ember.tensor([1, 2]).requires_grad_()


def test_integer_outputs_do_not_require_grad():
    x = ember.randn(3, 4, requires_grad=True)
    vals, idx = x.max(1)
    assert vals.requires_grad and not idx.requires_grad
    assert idx.dtype == ember.int64
    assert not (x > 0).requires_grad


@needs_torch
def test_second_derivatives_match_torch():
    rng = np.random.default_rng(0)
    xa = rng.standard_normal((3, 4))
    wa = rng.standard_normal((4, 2))

    def f(m, x, w):
        return (m.tanh(x @ w) ** 2).sum() + (x.exp() * x).sum()

    x, w = ember.tensor(xa, requires_grad=True), ember.tensor(wa, requires_grad=True)
    tx, tw = torch.tensor(xa, requires_grad=True), torch.tensor(wa, requires_grad=True)
    gx, = ember.autograd.grad(f(ember, x, w), x, create_graph=True)
    tgx, = torch.autograd.grad(f(torch, tx, tw), tx, create_graph=True)
    v = rng.standard_normal((3, 4))
    (gx * ember.tensor(v)).sum().backward()
    (tgx * torch.tensor(v)).sum().backward()
    np.testing.assert_allclose(gx.detach().numpy(), tgx.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-9)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-9)


def test_third_derivative_of_cube():
    x = ember.tensor(2.0, requires_grad=True)
    y = x ** 3
    (g1,) = ember.autograd.grad(y, x, create_graph=True)
    (g2,) = ember.autograd.grad(g1, x, create_graph=True)
    (g3,) = ember.autograd.grad(g2, x)
    assert (g1.item(), g2.item(), g3.item()) == (12.0, 12.0, 6.0)


def test_gradient_penalty_pattern():
    # WGAN-GP: penalise ||d critic / d input||; needs create_graph through matmul + relu
    rng = np.random.default_rng(1)
    w = ember.tensor(rng.standard_normal((5, 1)), requires_grad=True)
    x = ember.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    out = (x @ w).tanh().sum()
    (gx,) = ember.autograd.grad(out, x, create_graph=True)
    penalty = ((gx.norm(dim=1) - 1) ** 2).mean()
    penalty.backward()
    assert w.grad is not None and np.isfinite(w.grad.numpy()).all()
    xa = x.detach().numpy().copy()

    def pen(w_):
        xx = ember.tensor(xa, requires_grad=True)
        (g,) = ember.autograd.grad((xx @ w_).tanh().sum(), xx, create_graph=True)
        return ((g.norm(dim=1) - 1) ** 2).mean()

    assert ember.autograd.gradcheck(pen, (ember.tensor(rng.standard_normal((5, 1)),
                                                       requires_grad=True),))


def test_queue_callback_runs_after_the_grads_are_written_and_not_after_a_failure():
    from ember.autograd.engine import queue_callback

    w = ember.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    w.register_hook(lambda g: queue_callback(lambda: seen.append(w.grad.tolist())) or g)
    (w * 3).sum().backward()
    assert seen == [[3.0, 3.0]]

    class Boom(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            queue_callback(lambda: seen.append("stale"))
            raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        Boom.apply(w).sum().backward()
    w.grad = None
    (w * 2).sum().backward()
    assert seen == [[3.0, 3.0], [2.0, 2.0]]  # the failed pass's callback never ran


def _post_hook_trace(lib):
    """Two layers; each weight's post-accumulate hook records what it sees, and a Function
    between the layers records when backward passes it."""
    torch_like = lib is torch
    w1 = lib.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=lib.float64, requires_grad=True)
    w2 = lib.tensor([[2.0, 1.0], [-1.0, 4.0]], dtype=lib.float64, requires_grad=True)
    x = lib.tensor([[1.0, 2.0], [3.0, -1.0]], dtype=lib.float64)
    seen = []
    for name, w in (("w1", w1), ("w2", w2)):
        w.register_post_accumulate_grad_hook(
            lambda p, name=name: seen.append((name, p.grad.detach().clone().tolist())))
    w1.register_hook(lambda g: seen.append(("w1 hook", g.tolist())) or g * 2)

    base = torch.autograd.Function if torch_like else ember.autograd.Function

    class Mark(base):
        @staticmethod
        def forward(ctx, t):
            return t * 1

        @staticmethod
        def backward(ctx, g):
            seen.append(("between",))
            return g

    h = Mark.apply(x @ w1).tanh()
    loss = ((h @ w2) ** 2).sum() + (w2 * w2).sum()  # w2 reached along two paths
    loss.backward()
    return seen, w1.grad.tolist(), w2.grad.tolist()


@needs_torch
def test_post_accumulate_grad_hooks_run_when_each_grad_is_final_like_torch():
    got, want = _post_hook_trace(ember), _post_hook_trace(torch)
    assert [e[0] for e in got[0]] == [e[0] for e in want[0]] == ["w2", "between", "w1 hook",
                                                                "w1"]
    for (_, *a), (_, *b) in zip(got[0], want[0]):
        np.testing.assert_allclose(np.array(a, dtype=float), np.array(b, dtype=float),
                                   rtol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12)
    np.testing.assert_allclose(got[2], want[2], rtol=1e-12)


def test_post_accumulate_grad_hook_sees_the_accumulated_grad_and_can_be_removed():
    from ember.autograd import engine

    before = engine._post_hooks[0]
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.tolist()))
    (w * 3).sum().backward()
    (w * 2).sum().backward()  # accumulates: the hook sees the sum
    w.sum().backward(create_graph=True)  # the recording path runs it too (after the pass)
    assert seen == [[3.0, 3.0], [5.0, 5.0], [6.0, 6.0]]
    w.grad = None
    ember.autograd.grad((w * 4).sum(), w)  # autograd.grad writes no .grad: no hook
    (w * 4).sum().backward(inputs=[w])
    assert seen[-1] == [4.0, 4.0] and len(seen) == 4
    handle.remove()
    handle.remove()
    assert engine._post_hooks[0] == before
    (w * 1).sum().backward()
    assert len(seen) == 4
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(lambda p: None)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ember.zeros(2).register_post_accumulate_grad_hook(lambda p: None)


def test_post_accumulate_grad_hook_may_update_the_parameter_in_backward():
    """PyTorch's documented use: an optimizer step fused into backward."""
    v = ember.tensor([0.0, 0.0, 0.0], requires_grad=True)
    v.register_post_accumulate_grad_hook(lambda p: p.data.add_(p.grad, alpha=-0.01))
    v.backward(ember.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(v.detach().numpy(), [-0.01, -0.02, -0.03])
