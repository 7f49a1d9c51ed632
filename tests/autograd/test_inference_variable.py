"""Inference tensors refused by autograd, ``autograd.Variable``, ``autograd.graph`` and the
engine entry points, compared with PyTorch."""
from __future__ import annotations

import warnings

import pytest

import ember

from ._same import outcome, run_both, torch

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")


@needs_torch
def test_inference_tensors_as_pytorch():
    def scenario(lib):
        out = []
        lin = lib.nn.Linear(3, 2)
        w = lib.ones(2, 3, requires_grad=True)
        with lib.inference_mode():
            x = lib.ones(2, 3)
            y = lin(x)
            out.append((x.is_inference(), y.is_inference(), y.requires_grad,
                        (x * 2).is_inference(), x[0].is_inference(), x.detach().is_inference(),
                        lib.is_inference_mode_enabled(), lib.is_grad_enabled()))
            out.append(outcome(lambda: x.add_(1)))  # allowed inside
            with lib.inference_mode(False):
                out.append((lib.is_inference_mode_enabled(), lib.is_grad_enabled(),
                            lib.ones(1).is_inference()))
        out.append((x.is_inference(), (x * 2).is_inference(), x.clone().is_inference(),
                    x[0].is_inference(), x.detach().is_inference(), x.data.is_inference(),
                    lib.ones(2).is_inference(), lib.is_inference(x)))
        out.append(outcome(lambda: lin(x).sum().backward()))  # the matmul saves x
        out.append(outcome(lambda: (x * w).sum()))
        out.append(outcome(lambda: (x + w).sum().backward()))  # add saves nothing: fine
        out.append(outcome(lambda: x.add_(1)))
        out.append(outcome(lambda: x.__setitem__(0, 1.0)))
        out.append(outcome(lambda: x.copy_(lib.zeros(2, 3))))
        out.append(outcome(lambda: x.requires_grad_()))
        out.append(outcome(lambda: x._version))
        out.append(outcome(lambda: lin(x.clone()).sum().backward()))

        class Keep(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a, b):
                ctx.save_for_backward(b)
                return a * b

            @staticmethod
            def backward(ctx, g):
                return g * ctx.saved_tensors[0], None

        out.append(outcome(lambda: Keep.apply(w, x)))

        @lib.inference_mode()
        def decorated(a):
            return a * 2
        r = decorated(w)
        out.append((r.is_inference(), r.requires_grad))
        return out

    ours, theirs = run_both(scenario)
    assert ours == theirs


@needs_torch
def test_variable_as_pytorch():
    def scenario(lib):
        V = lib.autograd.Variable
        t = lib.ones(2)
        out = []
        v = V(t)
        out.append((type(v).__name__, v is t, v.requires_grad, v.is_leaf))
        v2 = V(t, requires_grad=True)
        out.append((v2.requires_grad, t.requires_grad, v2.is_leaf, v2.grad))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            v3 = V(t, volatile=True)
        out.append((v3.requires_grad, [str(c.message) for c in w]))
        out.append(outcome(lambda: V(t, volatile=True, requires_grad=True)))
        out.append(outcome(lambda: V([1, 2])))
        out.append(V())
        out.append(V(t, True).requires_grad)
        y = lib.ones(2, requires_grad=True) * 2
        out.append((V(y).grad_fn is None, V(y).is_leaf, V(y).requires_grad))
        out.append((isinstance(t, V), isinstance(lib.nn.Parameter(t), V),
                    issubclass(lib.Tensor, V), V(t, name="n").name))
        out.append(lib.autograd.variable.Variable is V)
        v.add_(1)
        out.append((t, t._version == v._version))
        return out

    ours, theirs = run_both(scenario)
    assert ours == theirs


@needs_torch
def test_grad_and_backward_entry_points():
    def scenario(lib):
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        u = lib.tensor([3.0], dtype=lib.float64, requires_grad=True)
        y = x ** 2
        out = [lib.autograd.grad(y, x, grad_outputs=lib.tensor([1.0, 3.0], dtype=lib.float64),
                                 retain_graph=True)]
        out.append(outcome(lambda: lib.autograd.grad(y.sum(), [x, u], retain_graph=True)))
        out.append(lib.autograd.grad(y.sum(), [x, u], allow_unused=True, retain_graph=True))
        out.append(lib.autograd.grad(y.sum(), [x, u], materialize_grads=True, retain_graph=True))
        lib.autograd.backward([y], [lib.ones(2, dtype=lib.float64)])
        out.append(x.grad)
        done = []
        z = (x * 3).sum()
        z.register_hook(lambda g: lib.autograd.Variable._execution_engine.queue_callback(
            lambda: done.append(x.grad)))
        z.backward()
        out.append(done)
        return out

    ours, theirs = run_both(scenario)
    assert ours == theirs


def test_graph_namespace():
    x = ember.ones(2, requires_grad=True)
    y = x * 2
    assert isinstance(y.grad_fn, ember.autograd.graph.Node)
    before = x._version
    ember.autograd.graph.increment_version(x)
    assert x._version == before + 1
    with pytest.raises(NotImplementedError, match="saved_tensors_hooks"):
        ember.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t)
    if not ember.cuda.is_available():  # every saved tensor is in CPU memory already
        with ember.autograd.graph.save_on_cpu(pin_memory=True):
            z = (x * x).sum()
        z.backward()
        assert x.grad.tolist() == [2.0, 2.0]
