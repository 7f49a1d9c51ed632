"""In-place ops on views, and views of tensors changed in place: PyTorch's histories.

Each scenario runs under ember and PyTorch (``_same.run_both``) and the values, gradients
and errors are compared; the finite-difference checks run in float64; ``positions`` (the
map from a view's memory to its base's elements) is checked against NumPy's own views.
"""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.autograd import _views

from ._same import outcome, run_both

torch = pytest.importorskip("torch", reason="PyTorch 2.13 (the oracle) is not installed")


def _leaf(lib, shape, seed=0, dtype=None):
    vals = np.random.default_rng(seed).standard_normal(shape)
    dt = dtype or lib.float64  # float32 would differ in the 7th digit between libraries
    return lib.tensor(vals.tolist(), dtype=dt, requires_grad=True)


def _grads(out, *leaves):
    out.backward()
    return [t.grad for t in leaves]


def s_slice_mul_(lib):
    a = _leaf(lib, (3, 4))
    x = a * 2
    v = x[:, 1:]
    v.mul_(a[:, :3])
    return x, v, _grads((x * x).sum(), a)


def s_setitem_through_view(lib):
    a, y = _leaf(lib, (2, 3)), _leaf(lib, (), 1)
    x = a * 1.5
    x.view(-1)[4] = y * 3
    return x, _grads((x * a).sum(), a, y)


def s_transposed_view_relu_(lib):
    a = _leaf(lib, (3, 4))
    x = a * 1.5
    x.t().relu_()
    return x, _grads((x ** 2).sum(), a)


def s_view_of_view(lib):
    a = _leaf(lib, (4, 5))
    x = a.sin()
    x[1:3][:, ::2].add_(a[1:3, :3] ** 2)
    return x, _grads((x * x).sum(), a)


def s_stale_view_after_base_inplace(lib):
    a = _leaf(lib, (2, 3))
    x = a * 2
    y = x[:, 0]
    x.mul_(a)
    return y, _grads(y.sum(), a)


def s_stale_view_after_sibling_inplace(lib):
    a = _leaf(lib, (3, 3))
    x = a + 1
    row, col = x[0], x[:, 0]
    row.mul_(3)  # changes x[0, 0], which col also holds
    return col, _grads((col * col).sum(), a)


def s_stale_view_as_backward_root(lib):
    a = _leaf(lib, (2, 2))
    x = a * 3
    y = x[1]
    x.pow_(2)
    y.backward(lib.ones(2))
    return y, a.grad


def s_stale_expanded_view(lib):
    a = _leaf(lib, (2, 3))
    x = a * 2
    e = x[0].expand(4, 3)  # each element of x[0] four times: the gradients add up
    x.mul_(a)
    return e, _grads((e * lib.arange(12.0).reshape(4, 3)).sum(), a)


def s_retain_grad_follows_inplace(lib):
    a = _leaf(lib, (2, 2))
    y = a * 2
    y.retain_grad()
    y[0].mul_(3)  # y.grad is the gradient of y's latest values
    z = a * 1
    z.retain_grad()
    z.add_(a)
    return _grads((y * y).sum() + (z * z).sum(), a), y.grad, z.grad


def s_setitem_value_with_leading_ones(lib):
    a = _leaf(lib, (2, 2))
    x = a * 1
    x[1] = a[0:1] * 3  # (1, 2) into a row of 2: NumPy and PyTorch drop the leading 1
    x[0, :1] = (a[1:, 1:] * 2).reshape(1, 1, 1)
    return x, _grads((x * x).sum(), a)


def s_copy_constant_into_non_leaf(lib):
    a = _leaf(lib, (3,))
    x = a * 2
    x.copy_(lib.zeros(3))
    return x.requires_grad, _grads((x * a).sum() + x.sum(), a)


def s_copy_constant_into_view(lib):
    a = _leaf(lib, (2, 3))
    x = a * a
    x[0].copy_(lib.tensor([1.0, 2.0, 3.0]))
    return x, _grads((x * a).sum(), a)


def s_view_of_constant_gets_history(lib):
    a = _leaf(lib, (3,))
    x = lib.zeros(2, 3)
    x[1].copy_(a * 2)
    return x.requires_grad, x, _grads((x ** 2).sum(), a)


def s_view_of_leaf_refused(lib):
    a = _leaf(lib, (2, 3))
    kind, msg = outcome(lambda: a[0].mul_(2))
    # ember's message starts with the op's name
    return kind, msg.endswith("a view of a leaf Variable that requires grad is being used in "
                              "an in-place operation."), a, a.grad


def s_no_grad_inplace_keeps_history(lib):
    a = _leaf(lib, (2, 3))
    x = a * 2
    v = x[0]
    with lib.no_grad():
        v.mul_(10)
    return x, _grads((x * a).sum(), a)


def s_double_backward_through_view_inplace(lib):
    a = _leaf(lib, (2, 3))
    x = a * a
    x[:, 1].mul_(a[:, 1])
    (g,) = lib.autograd.grad(x.sum(), a, create_graph=True)
    return g, _grads((g * g).sum(), a)


SCENARIOS = [s_slice_mul_, s_setitem_through_view, s_transposed_view_relu_, s_view_of_view,
             s_stale_view_after_base_inplace, s_stale_view_after_sibling_inplace,
             s_stale_view_as_backward_root, s_stale_expanded_view,
             s_retain_grad_follows_inplace, s_setitem_value_with_leading_ones,
             s_copy_constant_into_non_leaf,
             s_copy_constant_into_view, s_view_of_constant_gets_history,
             s_view_of_leaf_refused, s_no_grad_inplace_keeps_history,
             s_double_backward_through_view_inplace]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__[2:])
def test_same_as_pytorch(scenario):
    mine, theirs = run_both(scenario)
    assert mine == theirs


def test_view_inplace_gradcheck_float64():
    def f(a, y):
        x = a * a
        x[1:, ::2].mul_(y)
        x.t()[0].add_(y.sum())
        return x.exp()
    a = ember.randn(3, 4, dtype=ember.float64, requires_grad=True)
    y = ember.randn(2, 2, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(f, (a, y))
    assert ember.autograd.gradgradcheck(f, (a, y))


def test_stale_view_gradcheck_float64():
    def f(a):
        x = a.sin()
        col, row = x[:, 1], x[2]
        row.mul_(a[2])
        x.mul_(2)
        return col * col + x[0].sum()
    a = ember.randn(4, 3, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(f, (a,))


def _brute(base, make_view):
    """The row-major indices of base's elements that make_view(base) holds, by NumPy: the
    same view taken of an index array laid out in base's memory order."""
    idx = np.empty_like(base, dtype=np.int64)
    idx[...] = np.arange(base.size).reshape(base.shape)
    return make_view(idx)


VIEWS = [lambda t: t[1:, ::2], lambda t: t.T, lambda t: t[:, 1][::-1],
         lambda t: t.reshape(-1)[3:9] if t.flags.c_contiguous else t[0],
         lambda t: np.diagonal(t), lambda t: t[None, 1:2, :],
         lambda t: np.broadcast_to(t[0], (2,) + t[0].shape)]


@pytest.mark.parametrize("layout", ["c", "f"])
@pytest.mark.parametrize("k", range(len(VIEWS)))
def test_positions_match_numpy_views(layout, k):
    base = np.asarray(np.random.default_rng(0).standard_normal((4, 5)), dtype=np.float32,
                      order=layout.upper())
    view = VIEWS[k](base)
    pos, unique = _views.positions(base, view)
    expect = _brute(base, VIEWS[k])
    np.testing.assert_array_equal(pos, expect)
    np.testing.assert_array_equal(base.reshape(-1)[pos], view)
    assert unique == (np.unique(expect).size == expect.size)


def test_positions_refuse_what_does_not_map():
    big = np.zeros((6, 6), np.float32)
    sparse_base = big[::2]  # not one dense block
    assert _views.positions(sparse_base, sparse_base[1]) is None
    assert _views.positions(big, big.view(np.int32)) is None  # other dtype
    assert _views.positions(big[:3], big[3:]) is None  # outside the base


def test_refused_inplace_changes_nothing():
    # a base ember cannot map (a strided NumPy array) raises before any write
    arr = np.arange(24, dtype=np.float32).reshape(4, 6)[:, ::2]
    a = ember.ones(4, 3, requires_grad=True)
    x = ember.from_numpy(arr) * 1  # contiguous: in-place on its view works
    x[0].mul_(a[0])
    base = ember.from_numpy(arr)
    v = base[1]
    before = arr.copy()
    with pytest.raises(RuntimeError, match=r"copy_: in-place op on a view of shape \[3\] on "
                                           r"a base of shape \[4, 3\] .*cannot map"):
        v.copy_(a[1] * 2)
    np.testing.assert_array_equal(arr, before)
    assert not base.requires_grad


def test_training_loop_view_inplace_matches_pytorch():
    """A model whose forward writes through views (a masked feature map, PyTorch-style)."""
    def run(lib):
        lib.manual_seed(0)
        w = _leaf(lib, (6, 4), 3)
        xs = _leaf(lib, (5, 6), 4).detach()
        opt = lib.optim.SGD([w], lr=0.1)
        losses = []
        for _ in range(3):
            h = xs @ w
            h[:, :2].clamp_(min=0)
            h.view(-1)[::7] = 0.0
            loss = (h.tanh() ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses, w
    assert plain_close(run(ember), run(torch))


def plain_close(a, b):
    from ._same import plain

    pa, pb = plain(a), plain(b)
    np.testing.assert_allclose(np.asarray(pa[0]), np.asarray(pb[0]), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(pa[1][2]), np.asarray(pb[1][2]), rtol=1e-5,
                               atol=1e-6)
    return True


INPLACE_ARGS = {"add": "o", "sub": "o", "mul": "o", "div": "o", "pow": "o",
                "clamp": (0.7, 1.2), "clip": (0.7, 1.2), "masked_fill": "mask",
                "scatter": "idx", "scatter_add": "idx", "remainder": "o+1"}
INPLACE = ["add", "sub", "mul", "div", "pow", "clamp", "clip", "neg", "exp", "log", "sqrt",
           "abs", "sign", "reciprocal", "sin", "cos", "tanh", "sigmoid", "relu", "floor",
           "ceil", "round", "trunc", "masked_fill", "scatter", "scatter_add", "square", "exp2",
           "log1p", "expm1", "rsqrt", "erf", "remainder", "triu", "tril"]


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_op_on_non_leaf_same_as_pytorch(name):
    """``x.<op>_(...)`` on a tensor that requires grad: the values and the gradients of
    both operands (mul_, clamp_, abs_... save their input: they once failed at backward
    with "modified by an inplace operation")."""
    def scenario(lib):
        a, o = _leaf(lib, (3, 3), 5), _leaf(lib, (3, 3), 6)
        x = a * 0.5 + 1
        spec = INPLACE_ARGS.get(name, ())
        args = {"o": (o,), "o+1": (o + 3,), "mask": (o > 0.5, 0.0),
                "idx": (0, lib.tensor([[0, 1, 2], [1, 2, 0], [2, 0, 1]]), o)}.get(spec, spec) \
            if isinstance(spec, str) else spec
        getattr(x, name + "_")(*args)
        return x, _grads((x * x).sum(), a, o)
    mine, theirs = run_both(scenario)
    assert mine == theirs


def test_mul_by_a_number_in_place():
    a = ember.randn(4, requires_grad=True)
    x = a * 2
    x.mul_(3)  # a number: x itself is not saved, so it is written without a copy
    x.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.full(4, 6.0))


@pytest.mark.skipif(not ember.cuda.is_available(),
                    reason="no CUDA device and the stand-in is not selected")
def test_view_inplace_on_device_equals_cpu():
    """The positions live on the tensor's device (the stand-in refuses NumPy arrays there)."""
    def run(dev):
        a = ember.tensor(np.arange(12.0).reshape(3, 4) / 7, requires_grad=True, device=dev)
        x = a * 2
        col = x[:, 0]
        x[1:, ::2].mul_(a[1:, :2])
        x.t()[3].zero_()
        wide = x[2].expand(2, 4)
        x.mul_(3)  # col and wide are rebuilt from x (wide's positions repeat)
        loss = (x * x).sum() + (col * col).sum() + (wide * wide).sum()
        loss.backward()
        return x.detach().cpu().numpy(), a.grad.cpu().numpy()
    cpu, dev = run("cpu"), run("cuda")
    np.testing.assert_allclose(dev[0], cpu[0])
    np.testing.assert_allclose(dev[1], cpu[1])


def test_stale_view_of_unmappable_base_raises_clearly():
    arr = np.arange(24, dtype=np.float32).reshape(4, 6)[:, ::2]  # not one dense block
    a = ember.ones(4, 3, requires_grad=True)
    base = ember.from_numpy(arr)
    base.copy_(a * 2)  # the base itself: no mapping needed
    v = base[1]
    base.mul_(2)  # v's history is now stale, and cannot be rebuilt
    with pytest.raises(RuntimeError, match=r"a view of shape \[3\] on a base of shape \[4, 3\] "
                                           r"was changed in place"):
        (v * 1).sum()


ACTIVATIONS = [("relu", ()), ("relu6", ()), ("leaky_relu", (0.2,)), ("elu", (1.0,)),
               ("selu", ()), ("celu", (1.0,)), ("silu", ()), ("mish", ()),
               ("hardtanh", (-0.5, 0.5)), ("hardsigmoid", ()), ("hardswish", ()),
               ("threshold", (0.1, 2.0)), ("rrelu", (0.1, 0.3, False)), ("dropout", (0.0, True))]


@pytest.mark.parametrize("name,args", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
@pytest.mark.parametrize("through_view", [False, True], ids=["tensor", "view"])
def test_functional_inplace_activation_same_as_pytorch(name, args, through_view):
    """``F.<act>(x, inplace=True)`` on a tensor that requires grad (elu, silu, hardtanh...
    save their input: they once failed at backward), and on a view of one."""
    def scenario(lib):
        a = _leaf(lib, (4, 3), 7)
        x = a * 3
        target = x[1:, ::2] if through_view else x
        getattr(lib.nn.functional, name)(target, *args, inplace=True)
        return x, _grads((x * x).sum(), a)
    mine, theirs = run_both(scenario)
    assert mine == theirs


def test_inplace_on_split_and_unbind_outputs_gives_true_gradients():
    """PyTorch refuses in-place ops on the outputs of split/unbind (multi-output views);
    ember allows them, with the gradients of what was computed."""
    p = ember.tensor([[1.0, 2.0], [3.0, -4.0]], requires_grad=True)
    x = p * 1
    parts = x.split(1, dim=1)
    parts[0].mul_(5)
    x.sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), [[5.0, 1.0], [5.0, 1.0]])
    p.grad = None
    x = p * 1
    rows = x.unbind(0)
    x.mul_(2)  # rows now hold twice p's rows
    (rows[0] * rows[1]).sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), [[4 * 3.0, 4 * -4.0], [4 * 1.0, 4 * 2.0]])
