"""Module hooks compared with PyTorch on the same modules with the same weights: the order
in which hooks run, what they receive, what returning a value does, the errors and the
warnings. Each scenario runs with ember and with torch and the two logs must be equal."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember

from ..autograd._same import outcome, run_both, torch

pytestmark = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")


def _load(lib, module, seed=0):
    """Give ``module`` deterministic float64 weights (the same in both libraries)."""
    rng = np.random.default_rng(seed)
    module.double()
    module.load_state_dict({k: lib.tensor(rng.standard_normal(tuple(v.shape)),
                                          dtype=lib.float64)
                            for k, v in module.state_dict().items()})
    return module


def _x(lib, *shape, grad=True):
    rng = np.random.default_rng(1)
    return lib.tensor(rng.standard_normal(shape), dtype=lib.float64, requires_grad=grad)


def _caught(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        res = fn()
    return res, [(c.category.__name__, str(c.message)[:70]) for c in w]


def _logger(log, name):
    def full(m, gi, go):
        log.append((name, "bw", type(m).__name__, type(gi).__name__, gi, go))

    def pre(m, go):
        log.append((name, "bwpre", type(go).__name__, go))
    return full, pre


def test_full_backward_hooks_order_arguments_and_prepend():
    def scenario(lib):
        log = []
        lin = _load(lib, lib.nn.Linear(3, 2))
        x = _x(lib, 2, 3)
        full_a, pre_p = _logger(log, "a")
        full_b, _ = _logger(log, "b")
        h1 = lin.register_full_backward_hook(full_a)
        h2 = lin.register_full_backward_pre_hook(pre_p)
        lin.register_full_backward_hook(full_b, prepend=True)
        y = lin(x)
        log.append(("view of forward's output", y._base is not None, y.grad_fn.name()))
        y.register_hook(lambda g: log.append(("tensor hook", g)))
        (y * _x(lib, 2, 2, grad=False)).sum().backward()
        log.append(("grads", x.grad, lin.weight.grad, lin.bias.grad))
        h1.remove()
        h2.remove()
        x.grad = None
        lin(x).sum().backward()
        log.append(("after remove", x.grad))
        return log

    ours, theirs = run_both(scenario)
    assert ours == theirs


def test_returning_a_value_replaces_gradients():
    def scenario(lib):
        out = []
        lin = _load(lib, lib.nn.Linear(3, 2))
        x = _x(lib, 2, 3)

        def run(**hooks):
            hs = [getattr(lin, "register_" + k)(h) for k, h in hooks.items()]
            x.grad = None
            lin.zero_grad()
            res = outcome(lambda: lin(x).sum().backward())
            for h in hs:
                h.remove()
            # (after an error PyTorch may have accumulated some .grad already; ember has not)
            return (res, x.grad, lin.weight.grad) if res[0] == "ok" else res
        out.append(run(full_backward_hook=lambda m, gi, go: (gi[0] * 10,)))
        out.append(run(full_backward_pre_hook=lambda m, go: (go[0] * 2,)))
        out.append(run(full_backward_pre_hook=lambda m, go: (go[0] * 2,),
                       full_backward_hook=lambda m, gi, go: (gi[0] + 1,)))
        out.append(run(full_backward_hook=lambda m, gi, go: (gi[0], gi[0])))
        out.append(run(full_backward_hook=lambda m, gi, go: gi[0]))
        out.append(run(full_backward_pre_hook=lambda m, go: go[0] * 2))
        return out

    ours, theirs = run_both(scenario)
    assert ours == theirs


def test_inputs_without_grad_and_outputs_without_grad():
    def scenario(lib):
        log = []
        lin = _load(lib, lib.nn.Linear(3, 2))
        full, pre = _logger(log, "first layer")
        h = lin.register_full_backward_hook(full)
        lin.register_full_backward_pre_hook(pre)
        x = _x(lib, 2, 3, grad=False)
        _, w = _caught(lambda: lin(x).sum().backward())
        log.append(("warnings", w, lin.weight.grad))
        h.remove()
        lin.register_full_backward_hook(lambda m, gi, go: (lib.ones(2, 3),))
        log.append(outcome(lambda: lin(x).sum().backward()))
        lin2 = _load(lib, lib.nn.Linear(3, 2))
        lin2.register_full_backward_hook(full)
        with lib.no_grad():
            lin2(x)
        lin2.requires_grad_(False)
        lin2(x)
        log.append(("no output requires grad", len(log)))
        return log

    ours, theirs = run_both(scenario)
    assert ours == theirs


def test_several_inputs_non_tensor_arguments_and_outputs():
    def scenario(lib):
        log = []

        class Two(lib.nn.Module):
            def forward(self, a, b, k, c=None):
                return a * b * k + (0 if c is None else c), a - b, "tag"

        two = Two()
        full, pre = _logger(log, "two")
        two.register_full_backward_hook(full)
        two.register_full_backward_pre_hook(pre)
        a = _x(lib, 2)
        b = _x(lib, 2, grad=False) + 1
        c = _x(lib, 2) * 3
        o1, o2, tag = two(a, b, 2.0, c=c)
        log.append(tag)
        o1.sum().backward()
        o1, o2, _ = two(a, b, 2.0)
        (o1.sum() + o2.sum()).backward()
        log.append((a.grad,))
        return log

    ours, theirs = run_both(scenario)
    assert ours == theirs


def test_nested_modules_hook_order():
    def scenario(lib):
        log = []

        class Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.l1 = lib.nn.Linear(3, 4)
                self.act = lib.nn.Tanh()
                self.l2 = lib.nn.Linear(4, 1)

            def forward(self, x):
                return self.l2(self.act(self.l1(x)))

        net = _load(lib, Net())
        for name, m in net.named_modules():
            name = name or "net"
            full, pre = _logger(log, name)
            m.register_full_backward_hook(full)
            m.register_full_backward_pre_hook(pre)
            m.register_forward_pre_hook(lambda m, a, n=name: log.append((n, "fwdpre", a)))
            m.register_forward_hook(lambda m, a, o, n=name: log.append((n, "fwd", o)))
        net(_x(lib, 2, 3)).sum().backward()
        return log

    ours, theirs = run_both(scenario)
    assert ours == theirs


def test_in_place_changes_of_inputs_or_outputs_are_errors():
    def scenario(lib):
        out = []

        class AddIn(lib.nn.Module):
            def forward(self, x):
                return x.add_(1) * 2

        m = AddIn()
        m.register_full_backward_hook(lambda *a: None)
        x = _x(lib, 2, 3)
        out.append(outcome(lambda: m(x * 1)))
        lin = _load(lib, lib.nn.Linear(3, 2))
        lin.register_full_backward_pre_hook(lambda *a: None)
        out.append(outcome(lambda: lin(x).mul_(2)))
        with lib.no_grad():
            out.append(outcome(lambda: lin(x).mul_(2)))
        return out

    ours, theirs = run_both(scenario)
    assert ours == theirs


def test_forward_hooks_keywords_and_return_values():
    def scenario(lib):
        log = []

        class M(lib.nn.Module):
            def forward(self, a, b=1.0, *, scale=1.0):
                log.append(("forward", a, b, scale))
                return a * b * scale

        m = M()
        a = lib.tensor([1.0, 2.0])
        hs = [m.register_forward_pre_hook(lambda mod, args: log.append(("pre1", args))),
              m.register_forward_pre_hook(
                  lambda mod, args, kwargs: log.append(("pre2", args, kwargs)), with_kwargs=True),
              m.register_forward_pre_hook(lambda mod, args: log.append(("pre0", args)),
                                          prepend=True),
              m.register_forward_hook(lambda mod, args, o: log.append(("fwd1", args, o))),
              m.register_forward_hook(
                  lambda mod, args, kwargs, o: log.append(("fwd2", args, kwargs, o)),
                  with_kwargs=True),
              m.register_forward_hook(lambda mod, args, o: log.append(("fwd0", o)), prepend=True)]
        log.append(m(a, 2.0, scale=3.0))
        for h in hs:
            h.remove()
        log.append((dict(m._forward_hooks), dict(m._forward_pre_hooks),
                    dict(m._forward_hooks_with_kwargs), dict(m._forward_pre_hooks_with_kwargs),
                    dict(m._forward_hooks_always_called)))

        def once(**kw):
            (kind, hook), = kw.items()
            with_kwargs = kind.endswith("_kw")
            reg = m.register_forward_pre_hook if kind.startswith("pre") else \
                m.register_forward_hook
            with reg(hook, with_kwargs=with_kwargs):
                return outcome(lambda: m(a, scale=2.0))
        log.append(once(pre=lambda mod, args: args[0] * 10))
        log.append(once(pre=lambda mod, args: (args[0], 5.0)))
        log.append(once(pre_kw=lambda mod, args, kw: ((args[0],), {"scale": 7.0})))
        log.append(once(pre_kw=lambda mod, args, kw: (args[0],)))
        log.append(once(pre_kw=lambda mod, args, kw: [(args[0],), {}]))
        log.append(once(fwd=lambda mod, args, o: o + 100))
        log.append(once(fwd_kw=lambda mod, args, kw, o: o + kw["scale"]))
        return log

    ours, theirs = run_both(scenario)
    assert ours == theirs


def test_always_call_hooks_and_handles():
    def scenario(lib):
        log = []

        class Bad(lib.nn.Module):
            def forward(self, x):
                raise ValueError("boom")

        def failing(mod, args, out):
            raise KeyError("hookfail")

        b = Bad()
        a = lib.tensor([1.0, 2.0])
        b.register_forward_hook(lambda mod, args, o: log.append(("always", args, o)),
                                always_call=True)
        b.register_forward_hook(lambda mod, args, o: log.append("not always"))
        b.register_forward_hook(lambda mod, args, kw, o: log.append(("always kw", kw, o)),
                                always_call=True, with_kwargs=True)
        b.register_forward_hook(failing, always_call=True)
        log.append(_caught(lambda: outcome(lambda: b(a))))
        m = lib.nn.Identity()
        m.register_forward_hook(lambda mod, args, o: log.append("A"), always_call=True)
        m.register_forward_hook(failing)
        log.append(outcome(lambda: m(a)))
        m2 = lib.nn.Identity()
        m2.register_forward_pre_hook(lambda mod, args: 1 / 0)
        m2.register_forward_hook(lambda mod, args, o: log.append(("A2", o)), always_call=True)
        log.append(outcome(lambda: m2(a)))
        m3 = lib.nn.Identity()
        with m3.register_forward_hook(lambda *args: log.append("in with")):
            m3(a)
        m3(a)
        h = m3.register_forward_hook(lambda *args: None)
        h.remove()
        h.remove()

        def self_removing(mod, args, o):
            log.append("self removing")
            hs.remove()
        hs = m3.register_forward_hook(self_removing)
        m3.register_forward_hook(lambda *args: log.append("after"))
        m3(a)
        m3(a)
        log.append(type(h).__name__)
        return log

    ours, theirs = run_both(scenario)
    assert ours == theirs


def test_global_hooks():
    def scenario(lib):
        log = []
        mm = lib.nn.modules.module
        m = lib.nn.Identity()
        m.register_forward_hook(lambda mod, args, o: log.append("local"))
        m.register_forward_pre_hook(lambda mod, args: log.append("local pre"))
        hs = [mm.register_module_forward_pre_hook(
                  lambda mod, args: log.append(("global pre", type(mod).__name__))),
              mm.register_module_forward_hook(
                  lambda mod, args, o: log.append(("global", type(mod).__name__)))]
        m(lib.ones(1))
        for h in hs:
            h.remove()
        lin = _load(lib, lib.nn.Linear(2, 1))
        lin.register_full_backward_hook(lambda mod, gi, go: log.append("local bw"))
        hs = [mm.register_module_full_backward_hook(
                  lambda mod, gi, go: log.append(("global bw", type(mod).__name__, gi, go))),
              mm.register_module_full_backward_pre_hook(
                  lambda mod, go: log.append(("global bw pre", go)))]
        log.append(outcome(lambda: mm.register_module_backward_hook(lambda *a: None)))
        log.append(outcome(lambda: lin.register_backward_hook(lambda *a: None)))
        lin(_x(lib, 1, 2)).sum().backward()
        for h in hs:
            h.remove()
        lin(_x(lib, 1, 2)).sum().backward()
        regs = []
        hs = [mm.register_module_parameter_registration_hook(
                  lambda mod, name, p: regs.append(("param", name))),
              mm.register_module_buffer_registration_hook(
                  lambda mod, name, b: regs.append(("buffer", name))),
              mm.register_module_module_registration_hook(
                  lambda mod, name, sub: regs.append(("module", name)))]
        lib.nn.Sequential(lib.nn.Linear(1, 1), lib.nn.BatchNorm1d(1))
        for h in hs:
            h.remove()
        log.append(regs)
        return log

    try:
        ours, theirs = run_both(scenario)
    finally:  # a failed scenario must not leave its global kind behind for the others
        ember.nn._hooks._global_is_full[0] = None
        torch.nn.modules.module._global_is_full_backward_hook = None
    assert ours == theirs


@pytest.mark.parametrize("name", ["ReLU", "Tanh", "Sigmoid", "Softmax", "LogSoftmax", "Hardtanh"])
def test_deprecated_backward_hook_on_single_op_modules(name):
    def scenario(lib):
        log = []
        mod = getattr(lib.nn, name)(**({"dim": 1} if "Softmax" in name else {}))
        mod.register_backward_hook(lambda m, gi, go: log.append((gi, go)))
        x = _x(lib, 2, 3)
        for inp in (x, x * 1):  # a leaf input warns (a node without a hook), another not
            out, w = _caught(lambda: mod(inp))
            log.append(w)
            out.backward(_x(lib, 2, 3, grad=False))
        mod2 = getattr(lib.nn, name)(**({"dim": 1} if "Softmax" in name else {}))
        mod2.register_backward_hook(lambda m, gi, go: (gi[0] * 0 + 1,))
        x.grad = None
        _caught(lambda: mod2(x * 1).sum().backward())
        log.append(x.grad)
        return log

    ours, theirs = run_both(scenario)
    assert ours == theirs


def test_dict_output_warns_and_hooks_do_not_fire():
    def scenario(lib):
        log = []

        class D(lib.nn.Module):
            def forward(self, x):
                return {"y": x * 2}

        d = D()
        d.register_full_backward_hook(lambda *a: log.append("fired"))
        out, w = _caught(lambda: d(_x(lib, 2)))
        out["y"].sum().backward()
        log.append(w)
        return log

    ours, theirs = run_both(scenario)
    assert ours == theirs


def test_calls_without_hooks_take_the_direct_path():
    m = ember.nn.Linear(2, 2)
    assert not m._call_hooks
    h = m.register_forward_hook(lambda *a: None)
    assert m._call_hooks
    h.remove()
    m(ember.ones(1, 2))  # the call that finds no hook left clears the flag
    assert not m._call_hooks
    with ember.nn.modules.module.register_module_forward_hook(lambda *a: None):
        assert ember.nn._hooks.global_call_hooks[0]
    m(ember.ones(1, 2))
    assert not ember.nn._hooks.global_call_hooks[0]
