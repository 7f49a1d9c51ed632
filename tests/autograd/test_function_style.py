"""Custom ``autograd.Function``s, both styles, compared with PyTorch: each scenario runs with
ember and with torch and records the same things (values, gradients, what backward and
setup_context receive, errors)."""
from __future__ import annotations

import warnings

import pytest

import ember

from ._same import outcome, plain, run_both, torch

pytestmark = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")


def _x(lib, values=(1.0, -2.0, 3.0)):
    return lib.tensor(list(values), dtype=lib.float64, requires_grad=True)


def _clamp_fn(lib, log):
    class Clamp(lib.autograd.Function):
        @staticmethod
        def forward(x, lo, hi=1.0):
            return x.clamp(lo, hi)

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, lo, hi = inputs
            ctx.save_for_backward(x)
            ctx.lo, ctx.hi = lo, hi
            log.append(("setup", [type(i).__name__ for i in inputs], lo, hi,
                            output.requires_grad, output.grad_fn is None,
                            tuple(ctx.needs_input_grad), lib.is_grad_enabled()))

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * ((x >= ctx.lo) & (x <= ctx.hi)), None, None

    return Clamp


def test_setup_context_style_matches_pytorch():
    def scenario(lib):
        log = []
        Clamp = _clamp_fn(lib, log)
        x = _x(lib)
        w = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)
        y = Clamp.apply(x, -1.5, hi=2.5)
        log.append(("y", y, y.grad_fn.name(), type(y.grad_fn).__name__))
        (y * w).sum().backward()
        log.append(("grad", x.grad))
        with lib.no_grad():
            log.append(("no_grad", Clamp.apply(x, 0.0)))
        log.append(("no input requires grad", Clamp.apply(x.detach(), 0.0)))
        return log

    ours, theirs = run_both(scenario)
    assert ours == theirs


def test_old_style_keeps_working_and_arguments_bind_as_pytorch():
    def scenario(lib):
        class Scale(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, k=2.0, shift=0.0):
                ctx.k = k
                return x * k + shift

            @staticmethod
            def backward(ctx, g):
                return g * ctx.k, None, None

        class NewScale(lib.autograd.Function):
            @staticmethod
            def forward(x, k=2.0):
                return x * k

            @staticmethod
            def setup_context(ctx, inputs, output):
                ctx.k = inputs[1]
                ctx.n_inputs = len(inputs)

            @staticmethod
            def backward(ctx, g):
                return g * ctx.k, None

        class Mixed(lib.autograd.Function):  # forward takes ctx but setup_context is defined
            @staticmethod
            def forward(ctx, x):
                return x

            @staticmethod
            def setup_context(ctx, inputs, output):
                pass

        x = _x(lib)
        out = [Scale.apply(x, 3.0, shift=1.0), Scale.apply(x, k=5.0), Scale.apply(x),
               NewScale.apply(x, k=4.0),
               NewScale.apply(x)]
        out.append(out[-1].grad_fn.n_inputs)
        out.append(outcome(lambda: Mixed.apply(x)))
        return out

    ours, theirs = run_both(scenario)
    assert ours == theirs


def test_non_tensor_arguments_and_outputs():
    def scenario(lib):
        seen = []

        class Multi(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, k, name):
                ctx.k = k
                return x * k, k, name, x.argmax()

            @staticmethod
            def backward(ctx, g, g_k, g_name, g_idx):
                seen.append((g, g_k, g_name, g_idx))
                return g * ctx.k, None, None

        x = _x(lib)
        out = Multi.apply(x, 2, "s")
        seen.append([type(o).__name__ for o in out])
        seen.append((out[1], out[2], out[3].requires_grad, out[0].requires_grad))
        out[0].sum().backward()
        seen.append(x.grad)
        return seen

    ours, theirs = run_both(scenario)
    assert ours == theirs


@pytest.mark.parametrize("materialize", [True, False])
def test_mark_non_differentiable_and_materialize_grads(materialize):
    def scenario(lib):
        seen = []

        class Split(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(materialize)
                a, c = x * 2, x * 3
                ctx.mark_non_differentiable(c)
                return a, c, x * 4

            @staticmethod
            def backward(ctx, ga, gc, gd):
                seen.append(("backward", ga, gc, gd))
                return (ga * 2 if ga is not None else 0) + (gd * 4 if gd is not None else 0)

        x = _x(lib)
        a, c, d = Split.apply(x)
        seen.append((a.requires_grad, c.requires_grad, c.grad_fn is None, c.is_leaf))
        a.sum().backward()
        seen.append(x.grad)
        return seen

    ours, theirs = run_both(scenario)
    assert ours == theirs


def test_saved_inputs_outputs_intermediates_and_version_checks():
    def scenario(lib):
        out = []

        class Exp2(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                h = x * 2
                y = h.exp()
                ctx.save_for_backward(x, y, h, None)
                ctx.h = h
                return y

            @staticmethod
            def backward(ctx, g):
                x, y, h, none = ctx.saved_tensors
                out.append(("saved", none, y.grad_fn is not None, y.requires_grad,
                            x.requires_grad, h.requires_grad))
                return g * y * 2

        x = _x(lib, (0.5, -1.0))
        y = Exp2.apply(x)
        y.sum().backward(retain_graph=True)
        out.append(x.grad)
        out.append(outcome(lambda: y.grad_fn.saved_tensors[1]))

        def stale(what):
            x.grad = None
            y = Exp2.apply(x)
            with lib.no_grad():
                (y if what == "output" else y.grad_fn.h).add_(1)
            y.sum().backward()
        for what in ("output", "intermediate"):
            kind, msg = outcome(lambda: stale(what))
            out.append((kind, "modified by an inplace operation" in msg, "is at version 1" in msg))
        y = Exp2.apply(x)
        y.sum().backward()
        out.append(outcome(lambda: y.grad_fn.saved_tensors, 60))

        class SaveInt(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x, 3)
                return x * 2

        out.append(outcome(lambda: SaveInt.apply(x)))
        return out

    ours, theirs = run_both(scenario)
    assert ours == theirs


def test_once_differentiable_as_pytorch():
    def scenario(lib):
        class Sq(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 2

            @staticmethod
            @lib.autograd.function.once_differentiable
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 2 * x * g

        x = _x(lib)
        out = []
        (g,) = lib.autograd.grad(Sq.apply(x).sum(), x, create_graph=True)
        out.append((g, g.grad_fn is None))
        out.append(outcome(lambda: g.sum().backward()))
        y = Sq.apply(x)
        (g,) = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        out.append((g, g.grad_fn.name()))
        out.append(outcome(lambda: g.sum().backward()))
        (g,) = lib.autograd.grad(Sq.apply(x).sum(), x)
        out.append(g)
        return out

    ours, theirs = run_both(scenario)
    assert ours == theirs


def test_mark_dirty_in_place_function():
    def scenario(lib):
        class MulInPlace(lib.autograd.Function):
            @staticmethod
            def forward(x):
                x.mul_(2)
                return x

            @staticmethod
            def setup_context(ctx, inputs, output):
                ctx.mark_dirty(inputs[0])

            @staticmethod
            def backward(ctx, g):
                return g * 2

        class NotReturned(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.mul_(2)
                ctx.mark_dirty(x)
                return x * 1

            @staticmethod
            def backward(ctx, g):
                return g

        out = []
        x = _x(lib)
        a = x.clone()
        v0 = a._version
        b = MulInPlace.apply(a)
        out.append((b is a, a.grad_fn.name(), a._version - v0, a.requires_grad))
        (b * b).sum().backward()
        out.append(x.grad)
        out.append(outcome(lambda: MulInPlace.apply(x)))
        out.append(outcome(lambda: NotReturned.apply(x.clone())))
        h = x.clone()
        saved = h * h
        MulInPlace.apply(h)
        kind, msg = outcome(lambda: saved.sum().backward())
        out.append((kind, "modified by an inplace operation" in msg, "is at version 2" in msg))
        c = x.detach().clone()
        out.append((MulInPlace.apply(c) is c, c._version, c.requires_grad))
        return out

    ours, theirs = run_both(scenario)
    assert ours == theirs


def test_gradient_count_and_shape_errors():
    def scenario(lib):
        def fn(n_grads, shape=None):
            class F(lib.autograd.Function):
                @staticmethod
                def forward(ctx, x, y):
                    return x * y

                @staticmethod
                def backward(ctx, g):
                    grads = (g if shape is None else g.sum().expand(shape),) + (None,) * (
                        n_grads - 1)
                    return grads if n_grads > 1 else grads[0]
            F.__name__ = "F"
            return F

        x = _x(lib)
        return [outcome(lambda n=n: fn(n).apply(x, x.detach()).sum().backward())
                for n in (1, 2, 4)] + [
            outcome(lambda: fn(2, (2,)).apply(x, x.detach()).sum().backward())]

    ours, theirs = run_both(scenario)
    assert ours == theirs


def test_function_class_rules():
    def scenario(lib):
        F = lib.autograd.Function

        class Both(F):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g

            @staticmethod
            def vjp(ctx, g):
                return g

        class OnlyVjp(F):
            generate_vmap_rule = True  # read only by torch.vmap, as in PyTorch

            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def vjp(ctx, g):
                return g * 5

        class Id(F):
            @staticmethod
            def forward(ctx, x):
                return x

            @staticmethod
            def backward(ctx, g):
                return g

        x = _x(lib)
        out = [outcome(lambda: Both.apply(x).sum().backward())]
        OnlyVjp.apply(x).sum().backward()
        out.append(x.grad)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            inst = Id()
        out.append([(c.category.__name__, str(c.message)[-60:]) for c in w])
        out.append(outcome(lambda: inst(x)))
        y = Id.apply(x * 1)
        out.append((y._base is not None, outcome(lambda: y.add_(1))))
        with lib.no_grad():
            out.append(outcome(lambda: y.add_(1)))
        out.append(outcome(lambda: F.apply(x)))
        return out

    ours, theirs = run_both(scenario)
    assert ours == theirs


def test_node_hooks_order_and_replacement():
    def scenario(lib):
        log = []
        x = _x(lib)
        y = x * 2
        y.grad_fn.register_prehook(lambda go: log.append(("pre", go)))
        y.grad_fn.register_hook(lambda gi, go: log.append(("post", gi, go)))
        y.register_hook(lambda g: log.append(("tensor", g)))
        y.sum().backward()
        z = x * 3
        h = z.grad_fn.register_hook(lambda gi, go: (gi[0] * 10, None))
        z.sum().backward()
        log.append(x.grad)
        h.remove()
        w = x * 3
        w.grad_fn.register_prehook(lambda go: (go[0] * 2,))
        w.grad_fn.register_hook(lambda gi, go: (gi[0], gi[0]))
        log.append(outcome(lambda: w.sum().backward()))
        v = x * 3
        v.grad_fn.register_hook(lambda gi, go: (gi[0], gi[0]))
        log.append(outcome(lambda: v.sum().backward()))
        return log

    ours, theirs = run_both(scenario)
    assert ours == theirs


def test_setup_context_function_passes_gradcheck():
    class Cube(ember.autograd.Function):
        @staticmethod
        def forward(x):
            return x ** 3

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * g

    x = ember.randn(4, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(Cube.apply, (x,))
    assert ember.autograd.gradgradcheck(Cube.apply, (x,))
    assert isinstance(Cube.apply(x).grad_fn, ember.autograd.graph.Node)
    assert plain(Cube.apply(x))[2] == plain(x.detach() ** 3)[2]


def test_mark_dirty_on_a_view_is_refused_clearly():
    class Double(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    base = ember.ones(3, requires_grad=True).clone()
    with pytest.raises(NotImplementedError, match="mark_dirty: in-place modification of a view"):
        Double.apply(base[:2])
