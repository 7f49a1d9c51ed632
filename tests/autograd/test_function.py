"""The public Function API, gradcheck itself, anomaly detection, in-place safety."""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.autograd import Function, GradcheckError, gradcheck, gradgradcheck


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * grad


class MulAdd(Function):
    """Two inputs, two outputs, a non-tensor argument."""

    @staticmethod
    def forward(ctx, a, b, k):
        ctx.save_for_backward(a, b)
        ctx.k = k
        return a * b * k, a + b

    @staticmethod
    def backward(ctx, g_prod, g_sum):
        a, b = ctx.saved_tensors
        return g_prod * b * ctx.k + g_sum, g_prod * a * ctx.k + g_sum, None


def test_custom_function_forward_backward_and_double():
    x = ember.tensor([1.0, -2.0, 0.5], dtype=ember.float64, requires_grad=True)
    y = Cube.apply(x)
    assert y.grad_fn.name() == "CubeBackward"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * x.detach().numpy() ** 2)
    assert gradcheck(Cube.apply, (x,))
    assert gradgradcheck(Cube.apply, (x,))


def test_custom_function_multi_output():
    a = ember.randn(3, dtype=ember.float64, requires_grad=True)
    b = ember.randn(3, dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda a, b: MulAdd.apply(a, b, 2.0), (a, b))
    p, s = MulAdd.apply(a, b, 2.0)
    p.sum().backward()  # the unused output's gradient arrives as zeros
    np.testing.assert_allclose(a.grad.numpy(), 2 * b.detach().numpy())


def test_custom_function_without_grad_records_nothing():
    x = ember.ones(2)
    assert Cube.apply(x).grad_fn is None


def test_mark_non_differentiable():
    class ArgSort(Function):
        @staticmethod
        def forward(ctx, x):
            idx = ember.tensor(np.argsort(x.detach().numpy()))
            ctx.mark_non_differentiable(idx)
            return x * 1, idx

        @staticmethod
        def backward(ctx, g, _):
            return g

    v, i = ArgSort.apply(ember.tensor([3.0, 1.0], requires_grad=True))
    assert v.requires_grad and not i.requires_grad


def test_gradcheck_catches_a_wrong_backward():
    class Wrong(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x  # should be 2 x g

    x = ember.randn(4, dtype=ember.float64, requires_grad=True)
    with pytest.raises(GradcheckError):
        gradcheck(Wrong.apply, (x,))
    with pytest.raises(GradcheckError):
        gradcheck(Wrong.apply, (x,), fast_mode=True)
    assert gradcheck(Wrong.apply, (x,), raise_exception=False) is False


def test_gradcheck_catches_a_transposed_backward():
    class BadT(Function):
        @staticmethod
        def forward(ctx, x):
            return x.t().contiguous()

        @staticmethod
        def backward(ctx, g):
            return g.reshape(g.shape[1], g.shape[0])  # reshape is not a transpose

    x = ember.randn(2, 3, dtype=ember.float64, requires_grad=True)
    with pytest.raises(GradcheckError):
        gradcheck(BadT.apply, (x,), fast_mode=True)


def test_gradcheck_requires_float64():
    with pytest.raises(GradcheckError, match="float64"):
        gradcheck(lambda x: x * 2, (ember.ones(2, requires_grad=True),))


def test_detect_anomaly_names_the_op():
    x = ember.tensor([0.0, 1.0], requires_grad=True)
    with ember.autograd.detect_anomaly():
        y = ember.sqrt(x).sum()  # d sqrt / dx at 0 is inf
        with pytest.raises(RuntimeError, match="SqrtBackward.*inf|SqrtBackward.*nan"):
            y.backward()
    y2 = ember.sqrt(ember.tensor([0.0], requires_grad=True)).sum()
    y2.backward()  # without anomaly mode: no error, inf gradient
    assert not ember.autograd.is_anomaly_enabled()


def test_inplace_on_saved_tensor_raises_at_backward():
    x = ember.randn(3, requires_grad=True)
    h = x * 2
    y = h * h  # saves h
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_inplace_on_saved_output_raises():
    x = ember.randn(3, requires_grad=True)
    y = x.exp()  # saves its output
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_inplace_through_a_view_bumps_the_base_version():
    x = ember.randn(4, requires_grad=True)
    h = x * 1
    y = h.exp()  # saves the output of exp, not h
    z = (h * h).sum()  # saves h
    with ember.no_grad():
        h[1:3].zero_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()
    y.sum().backward()


def test_inplace_on_leaf_requiring_grad_raises():
    w = ember.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.add_(1)
    with ember.no_grad():
        w.add_(1)  # allowed: how optimizers update
    np.testing.assert_allclose(w.detach().numpy(), [2.0, 2.0, 2.0])


def test_inplace_ops_rebase_history():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    h.mul_(3)
    h += 1
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])
    np.testing.assert_allclose(h.detach().numpy(), [4.0, 7.0])


def test_setitem_records_gradient():
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = ember.tensor(5.0, requires_grad=True)
    h = x * 2
    h[1] = v * 3
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 0.0, 2.0])
    assert v.grad.item() == 3.0


def test_setitem_without_grad_and_bad_value():
    t = ember.zeros(2, 3)
    t[0, 1:] = 7
    t[ember.tensor([False, True])] = ember.tensor([1.0, 2.0, 3.0])
    np.testing.assert_allclose(t.numpy(), [[0, 7, 7], [1, 2, 3]])
    assert t._version == 2
    with pytest.raises(RuntimeError, match="setitem"):
        t[0] = ember.ones(4)
    np.testing.assert_allclose(t.numpy(), [[0, 7, 7], [1, 2, 3]])  # unchanged


def test_once_differentiable_blocks_double_backward():
    class Sq(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @ember.autograd.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = ember.tensor([1.5], requires_grad=True)
    # As in PyTorch: the gradient that reaches the backward does not require grad, so what
    # it returns is a plain constant...
    (g,) = ember.autograd.grad(Sq.apply(x).sum(), x, create_graph=True)
    assert g.item() == 3.0 and not g.requires_grad
    # ...and where it does (the output is used twice), differentiating through it raises.
    y = Sq.apply(x)
    (g,) = ember.autograd.grad((y * y).sum(), x, create_graph=True)
    assert g.requires_grad and g.grad_fn.name() == "ember::autograd::Error"
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.sum().backward()
