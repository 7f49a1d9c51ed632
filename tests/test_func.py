"""``ember.func`` against ``torch.func``: each transform on the same functions and inputs
(float64), with the same result structures, the same errors, and the same connection to the
caller's autograd graph."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import ember
import ember.func
from ember.utils._pytree import tree_flatten

from .compat._libs import as_np, needs_torch, torch

pytestmark = needs_torch

RNG = np.random.default_rng(0)
X = RNG.standard_normal(4)
Y = RNG.standard_normal(4)
B = RNG.standard_normal((5, 3))


def _func(lib):
    return ember.func if lib is ember else torch.func


def _leaves(tree):
    if torch is not None:
        import torch.utils._pytree as tp  # noqa: PLC0415
        return tp.tree_leaves(tree) if not isinstance(tree, ember.Tensor) and any(
            isinstance(x, torch.Tensor) for x in tp.tree_leaves(tree)) else tree_flatten(tree)[0]
    return tree_flatten(tree)[0]


def _same(build, *arrays, rtol=1e-10, atol=1e-12):
    """Run ``build(lib, F, *tensors)`` with both libraries; compare structures and values."""
    results = []
    for lib in (ember, torch):
        results.append(build(lib, _func(lib), *[lib.tensor(a) for a in arrays]))
    ours, theirs = (_leaves(r) for r in results)
    assert len(ours) == len(theirs)
    assert repr(tree_flatten(results[0])[1]) == repr(_torch_spec(results[1]))
    for a, b in zip(ours, theirs):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(as_np(a), as_np(b), rtol=rtol, atol=atol)
    return results


def _torch_spec(tree):
    import torch.utils._pytree as tp  # noqa: PLC0415
    return tp.tree_structure(tree)


# ---------------------------------------------------------------- grad and vjp
def test_grad_matches_torch():
    _same(lambda L, F, x: F.grad(lambda a: (a.sin() * a).sum())(x), X)
    _same(lambda L, F, x, y: F.grad(lambda a, b: (a * b.exp()).sum(), argnums=(0, 1))(x, y),
          X, Y)
    _same(lambda L, F, x, y: F.grad(lambda a, b: (a * b.exp()).sum(), argnums=-1)(x, y), X, Y)
    _same(lambda L, F, x, y: F.grad(lambda d: (d["a"] * d["b"].tanh()).sum())(
        {"a": x, "b": y}), X, Y)
    _same(lambda L, F, x: F.grad(lambda a, k: (a ** k).sum())(x, k=3), X)


def test_grad_and_value_with_aux_matches_torch():
    _same(lambda L, F, x: F.grad_and_value(lambda a: ((a ** 3).sum(), {"c": a.cos()}),
                                           has_aux=True)(x), X)
    _same(lambda L, F, x: F.grad(lambda a: ((a ** 2).sum(), a.detach() * 2), has_aux=True)(x),
          X)


def test_unused_input_gets_zeros():
    _same(lambda L, F, x, y: F.grad(lambda a, b: (b ** 2).sum())(x, y), X, Y)
    _same(lambda L, F, x: F.grad(lambda a: L.zeros((), dtype=L.float64))(x), X)


def test_vjp_matches_torch_and_can_be_called_twice():
    def build(L, F, x, y):
        out, fn = F.vjp(lambda a, b: (a.tanh() * b, (a * b).sum()), x, y)
        first = fn((L.ones_like(x), L.tensor(2.0, dtype=L.float64)))
        second = fn((y, L.tensor(-1.0, dtype=L.float64)))
        return out, first, second
    _same(build, X, Y)

    def with_aux(L, F, x):
        out, fn, aux = F.vjp(lambda a: (a.exp(), a.sum()), x, has_aux=True)
        return out, fn(x), aux
    _same(with_aux, X)


def test_jvp_matches_torch():
    _same(lambda L, F, x, y: F.jvp(lambda a: (a.sin() * a, a.exp().sum()), (x,), (y,)), X, Y)
    _same(lambda L, F, x, y: F.jvp(lambda a, b: a * b.sigmoid(), (x, y), (y, x)), X, Y)
    _same(lambda L, F, x, y: F.jvp(lambda a: (a.log_softmax(0), a * 2), (x,), (y,),
                                   has_aux=True), X, Y)
    _same(lambda L, F, x, y: F.jvp(lambda a: L.ones(2, dtype=L.float64), (x,), (y,)), X, Y)


def test_linearize_matches_torch():
    def build(L, F, x, y):
        out, fn = F.linearize(lambda a: (a ** 3).cumsum(0), x)
        return out, fn(y), fn(x)
    _same(build, X, Y)


# ---------------------------------------------------------------- Jacobians and Hessians
@pytest.mark.parametrize("name", ["jacrev", "jacfwd"])
def test_jacobians_match_torch(name):
    _same(lambda L, F, x: getattr(F, name)(lambda a: a.sin() * a.sum())(x), X)
    _same(lambda L, F, x, y: getattr(F, name)(lambda a, b: (a * b, a.sum() * b[:2]),
                                              argnums=(0, 1))(x, y), X, Y)
    _same(lambda L, F, x: getattr(F, name)(lambda a: (a ** 2, a.mean()), has_aux=True)(x), X)
    _same(lambda L, F, b: getattr(F, name)(lambda m: m @ m.t())(b), B)
    _same(lambda L, F, x: getattr(F, name)(lambda a: a.sum())(x), X)
    _same(lambda L, F, x: getattr(F, name)(lambda d: {"p": d["q"] ** 2})({"q": x}), X)


def test_hessians_match_torch():
    def rosenbrock(L):
        return lambda v: ((1 - v[:-1]) ** 2 + 100 * (v[1:] - v[:-1] ** 2) ** 2).sum()
    _same(lambda L, F, x: F.hessian(rosenbrock(L))(x), X)
    _same(lambda L, F, x: F.hessian(lambda a: a.logsumexp(0))(x), X)
    _same(lambda L, F, x, y: F.hessian(lambda a, b: (a ** 3 * b).sum(), argnums=(0, 1))(x, y),
          X, Y)


def test_compositions_match_torch():
    _same(lambda L, F, x: F.jacrev(F.jacrev(lambda a: a ** 3 * a.sum()))(x), X)
    _same(lambda L, F, x: F.grad(lambda b: F.grad(lambda a: (a ** 3).sum())(b).sum())(x), X)
    _same(lambda L, F, x: F.jacfwd(F.grad(lambda a: (a.sin() ** 2).sum()))(x), X)
    _same(lambda L, F, b: F.vmap(F.grad(lambda a: (a ** 2 * a.sin()).sum()))(b), B)
    _same(lambda L, F, b: F.vmap(F.jacrev(lambda a: a.exp() * a.sum()))(b), B)
    _same(lambda L, F, b: F.vmap(F.hessian(lambda a: (a ** 4).sum()))(b), B)
    # a closure: the inner level treats the outer variable as a constant
    _same(lambda L, F, x: F.grad(lambda a: F.grad(lambda b: (a * b).sum())(a).sum())(x), X)


def test_results_join_the_callers_graph_as_in_torch():
    for lib in (ember, torch):
        F = _func(lib)
        w = lib.tensor(Y, requires_grad=True)
        x = lib.tensor(X)
        g = F.grad(lambda a: (a * a * w).sum())(x)
        assert g.requires_grad
        g.sum().backward()  # g = 2 x w
        np.testing.assert_allclose(as_np(w.grad), 2 * X, rtol=1e-12)
        assert not F.grad(lambda a: (a * a).sum() + w.sum())(x).requires_grad
        xr = lib.tensor(X, requires_grad=True)
        g3 = F.grad(lambda a: (a ** 3).sum())(xr)
        assert g3.requires_grad
        g3.sum().backward()
        np.testing.assert_allclose(as_np(xr.grad), 6 * X, rtol=1e-12)
        assert not F.grad(lambda a: (a ** 2).sum())(x).requires_grad
        with lib.no_grad():
            out = F.grad(lambda a: (a * a * w).sum())(x)
            assert not out.requires_grad
            np.testing.assert_allclose(as_np(out), 2 * X * Y, rtol=1e-12)
        out, fn = F.vjp(lambda a: a.sin(), x)
        assert not out.requires_grad


# ---------------------------------------------------------------- functional_call
class _MLP:
    @staticmethod
    def make(lib):
        lib.manual_seed(0)
        return lib.nn.Sequential(lib.nn.Linear(3, 8), lib.nn.Tanh(), lib.nn.Linear(8, 2)).double()


def _same_weights(lib, src_state):
    m = _MLP.make(lib)
    m.load_state_dict({k: lib.tensor(v) for k, v in src_state.items()})
    return m


def test_per_sample_gradients_match_torch():
    """The torch.func tutorial's per-sample gradients: vmap over grad of a functional_call."""
    state = {k: v.detach().numpy() for k, v in _MLP.make(ember).state_dict().items()}
    data, targets = RNG.standard_normal((6, 3)), RNG.integers(0, 2, 6)
    results = []
    for lib in (ember, torch):
        F = _func(lib)
        model = _same_weights(lib, state)
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss(p, x, t):
            out = F.functional_call(model, p, (x.unsqueeze(0),))
            return lib.nn.functional.cross_entropy(out, t.unsqueeze(0))
        per_sample = F.vmap(F.grad(loss), in_dims=(None, 0, 0))(
            params, lib.tensor(data), lib.tensor(targets))
        results.append(per_sample)
        # the mean of the per-sample gradients is the batch gradient
        model.zero_grad()
        lib.nn.functional.cross_entropy(model(lib.tensor(data)), lib.tensor(targets)).backward()
        for name, p in model.named_parameters():
            np.testing.assert_allclose(as_np(per_sample[name].mean(0)), as_np(p.grad),
                                       rtol=1e-10, atol=1e-12)
    for name in results[1]:
        assert tuple(results[0][name].shape) == tuple(results[1][name].shape)
        np.testing.assert_allclose(as_np(results[0][name]), as_np(results[1][name]),
                                   rtol=1e-10, atol=1e-12)


def test_functional_call_semantics_match_torch():
    class Tied:
        @staticmethod
        def make(lib):
            class M(lib.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.a = lib.nn.Linear(2, 2, bias=False)
                    self.b = lib.nn.Linear(2, 2, bias=False)
                    self.b.weight = self.a.weight
                    with lib.no_grad():
                        self.a.weight.copy_(lib.tensor([[0.3, -1.0], [2.0, 0.5]]))
                    self.register_buffer("scale", lib.ones(1))

                def forward(self, x):
                    self.scale = self.scale * 2  # a reassigned buffer goes back into the dict
                    return self.b(self.a(x)) * self.scale
            return M()

    def outcome(fn):
        try:
            return fn()
        except Exception as e:  # noqa: BLE001
            return f"{type(e).__name__}: {e}"

    found = []
    for lib in (ember, torch):
        F = _func(lib)
        m = Tied.make(lib)
        w = lib.full((2, 2), 0.5)
        x = lib.ones(1, 2)
        d = {"a.weight": w, "scale": lib.ones(1)}
        out = F.functional_call(m, d, x)
        r = [out.tolist(), d["scale"].tolist(), m.scale.tolist(),
             m.a.weight is m.b.weight and m.a.weight is not w]
        r.append(F.functional_call(m, {"a.weight": w}, (x,), tie_weights=False).tolist())
        r.append(outcome(lambda: F.functional_call(m, {"a.weight": w, "b.weight": w * 2}, x)))
        r.append(outcome(lambda: F.functional_call(m, {"a.weight": w, "nope": w}, x,
                                                   strict=True)))
        r.append(outcome(lambda: F.functional_call(m, ({"a.weight": w}, {"a.weight": w}), x)))
        r.append(F.functional_call(m, ({"a.weight": w}, {"scale": lib.ones(1)}), x,
                                   kwargs=None).tolist())
        r.append(outcome(lambda: F.functional_call(m, 3, x)))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            r.append(lib.nn.utils.stateless.functional_call(m, {"a.weight": w}, x).tolist())
        r.append([str(c.category.__name__) for c in caught])
        found.append([re.sub(r"torch|ember", "LIB", str(v)) for v in r])
    assert found[0] == found[1]


def test_stack_module_state_ensemble_matches_torch():
    results = []
    data = RNG.standard_normal((4, 3))
    for lib in (ember, torch):
        F = _func(lib)
        lib.manual_seed(0)
        models = [lib.nn.Linear(3, 2).double() for _ in range(3)]
        if lib is torch:  # the same weights as ember's
            for m, theirs in zip(models, results[0][1]):
                m.load_state_dict({k: torch.tensor(v) for k, v in theirs.items()})
        params, buffers = F.stack_module_state(models)
        assert all(p.is_leaf and p.requires_grad for p in params.values())

        def run(p, b, x):
            return F.functional_call(models[0], (p, b), (x,))
        out = F.vmap(run, in_dims=(0, 0, None))(params, buffers, lib.tensor(data))
        results.append((out, [{k: v.detach().numpy() for k, v in m.state_dict().items()}
                              for m in models]))
    assert tuple(results[0][0].shape) == tuple(results[1][0].shape) == (3, 4, 2)
    np.testing.assert_allclose(as_np(results[0][0]), as_np(results[1][0]), rtol=1e-12)


# ---------------------------------------------------------------- vmap
def test_vmap_matches_torch():
    _same(lambda L, F, b: F.vmap(L.sum)(b), B)
    _same(lambda L, F, b, x: F.vmap(lambda a, c: a * c, in_dims=(1, None), out_dims=1)(
        b, x[:3] if False else L.ones(5, dtype=L.float64)), B, X)
    _same(lambda L, F, b: F.vmap(lambda a: (a * 2, {"s": a.sum()}), out_dims=(0, -1))(b), B)
    _same(lambda L, F, b: F.vmap(F.vmap(lambda a: a ** 2))(b), B)
    _same(lambda L, F, b: F.vmap(lambda a, k: a * k, in_dims=-1)(b, k=L.ones(5,
                                                                               dtype=L.float64)),
          B)
    _same(lambda L, F, b: F.vmap(lambda d: d["x"].outer(d["x"]))({"x": b}), B)
    _same(lambda L, F, b: F.vmap(lambda a, c: c, in_dims=(0, None), out_dims=None)(
        b, L.ones(3, dtype=L.float64)), B)
    _same(lambda L, F, b: F.vmap(lambda a: a.sum(), in_dims=1)(b[:, :0]), B)
    _same(lambda L, F, b: F.vmap(lambda a: a * 2)(b[:0]), B)
    assert ember.vmap is ember.func.vmap


def test_gradients_flow_through_vmap():
    for lib in (ember, torch):
        x = lib.tensor(B, requires_grad=True)
        _func(lib).vmap(lambda a: (a.sin() * a).sum())(x).sum().backward()
        np.testing.assert_allclose(as_np(x.grad), np.cos(B) * B + np.sin(B), rtol=1e-12)


_VMAP_ERRORS = [
    lambda L, F: F.vmap(lambda a, b: a + b)(L.ones(2), L.ones(3)),
    lambda L, F: F.vmap(lambda a: a, in_dims=2)(L.ones(2)),
    lambda L, F: F.vmap(lambda a: a, in_dims=(0, 0))(L.ones(2)),
    lambda L, F: F.vmap(lambda a, b: a * b, in_dims=(0, 0))(L.ones(2), 3.0),
    lambda L, F: F.vmap(lambda a: a, in_dims=None)(L.ones(2)),
    lambda L, F: F.vmap(lambda a: a, in_dims=(None,))(L.ones(2)),
    lambda L, F: F.vmap(lambda a: a, in_dims=(0.5,))(L.ones(2)),
    lambda L, F: F.vmap(lambda a: 3.0)(L.ones(2)),
    lambda L, F: F.vmap(lambda a: (a, "x"))(L.ones(2)),
    lambda L, F: F.vmap(lambda a: a, out_dims=None)(L.arange(6.0).reshape(2, 3)),
    lambda L, F: F.vmap(lambda a: a, out_dims=(0, 1))(L.ones(2, 3)),
    lambda L, F: F.vmap(lambda a: a, out_dims="x")(L.ones(2, 3)),
    lambda L, F: F.vmap(lambda a: a, randomness="foo")(L.ones(2, 3)),
    lambda L, F: F.vmap(lambda a: a, chunk_size=0)(L.ones(2, 3)),
    lambda L, F: F.vmap(lambda a: a, in_dims="x")(L.ones(2, 3)),
    lambda L, F: F.vmap(lambda a: L.nn.functional.dropout(a, 0.5))(L.ones(2, 3)),
    lambda L, F: F.vmap(lambda a: a)(L.ones(())),
    lambda L, F: F.vmap(lambda a: a)(),
]


@pytest.mark.parametrize("case", range(len(_VMAP_ERRORS)))
def test_vmap_errors_match_torch(case):
    def outcome(lib):
        try:
            _VMAP_ERRORS[case](lib, _func(lib))
        except Exception as e:  # noqa: BLE001 - the comparison is the point
            return type(e).__name__, re.sub(r"torch|ember", "LIB", str(e))
        return None
    ours, theirs = outcome(ember), outcome(torch)
    assert theirs is not None and ours == theirs


_TRANSFORM_ERRORS = [
    lambda L, F: F.grad(lambda a: a)(L.ones(3)),
    lambda L, F: F.grad(lambda a: 3.0)(L.ones(3)),
    lambda L, F: F.grad(lambda a: a.sum())(3.0),
    lambda L, F: F.grad(lambda a: a.sum(), argnums=2)(L.ones(3)),
    lambda L, F: F.grad(lambda a: a.sum(), argnums=())(L.ones(3)),
    lambda L, F: F.grad(lambda a: a.sum(), argnums=(0, 0))(L.ones(3)),
    lambda L, F: F.grad(lambda a: a.sum(), has_aux=True)(L.ones(3)),
    lambda L, F: F.grad(lambda a: a.sum())(L.arange(3)),
    lambda L, F: F.vjp(lambda a: 3.0, L.ones(3)),
    lambda L, F: F.vjp(lambda a: a * 2, L.ones(3), has_aux=True),
    lambda L, F: F.vjp(lambda a: a * 2, L.ones(3))[1]((L.ones(3),)),
    lambda L, F: F.jvp(L.sin, L.ones(3), L.ones(3)),
    lambda L, F: F.jvp(L.sin, (L.ones(3),), (L.ones(2),)),
    lambda L, F: F.jvp(L.sin, (L.ones(3),), (L.ones(3), L.ones(3))),
    lambda L, F: F.jvp(lambda a: L.ones(2), (L.ones(3),), (L.ones(3),), strict=True),
    lambda L, F: F.jacrev(lambda a: a * 2, chunk_size=0)(L.ones(3)),
    lambda L, F: F.jacrev(lambda a: 3.0)(L.ones(3)),
    lambda L, F: F.jacfwd(lambda a: a, randomness="foo")(L.ones(3)),
    lambda L, F: F.jacfwd(lambda a: L.nn.functional.dropout(a, 0.5))(L.ones(3)),
]


@pytest.mark.parametrize("case", range(len(_TRANSFORM_ERRORS)))
def test_transform_errors_match_torch(case):
    def outcome(lib):
        try:
            _TRANSFORM_ERRORS[case](lib, _func(lib))
        except Exception as e:  # noqa: BLE001 - the comparison is the point
            return type(e).__name__, re.sub(r"torch\.Size\((\[.*?\])\)", r"\1",
                                            re.sub(r"torch|ember", "LIB", str(e)))
        return None
    ours, theirs = outcome(ember), outcome(torch)
    assert theirs is not None and ours == theirs


def test_vmap_randomness_modes():
    ember.manual_seed(0)
    x = ember.ones(4, 6)
    same = ember.vmap(lambda a: ember.nn.functional.dropout(a, 0.5), randomness="same")(x)
    assert all(ember.equal(same[0], same[i]) for i in range(4))
    different = ember.vmap(lambda a: ember.rand(6) + a, randomness="different")(x)
    assert not ember.equal(different[0], different[1])
    # 'same' replays one draw: the stream moves on as after one sample
    ember.manual_seed(1)
    ember.vmap(lambda a: ember.rand(6) + a, randomness="same")(x)
    after = ember.rand(1)
    ember.manual_seed(1)
    ember.rand(6)
    assert ember.equal(after, ember.rand(1))


def test_vmap_judges_unbatched_outputs_by_value():
    """An ``out_dims=None`` output must be the same for every sample; ember (which runs the
    samples one by one) tells so by value, where PyTorch tells whether it was batched."""
    assert ember.vmap(lambda a: a, out_dims=None)(ember.ones(2, 3)).tolist() == [1.0] * 3
    with pytest.raises(ValueError, match="can not return a BatchedTensor"):
        ember.vmap(lambda a: a, out_dims=None)(ember.arange(6.0).reshape(2, 3))


def test_vmap_loops_where_torch_would_refuse():
    """ember's vmap runs the function per sample, so ``.item()`` works (PyTorch refuses)."""
    out = ember.vmap(lambda a: a * a.sum().item())(ember.arange(6.0).reshape(2, 3))
    assert out.tolist() == [[0.0, 3.0, 6.0], [36.0, 48.0, 60.0]]
