"""The per-module state-dict steps (``_load_from_state_dict``, ``_save_to_state_dict``, their
hooks), ``_apply`` as the one path of ``to()``/``float()``/..., and ``share_memory``,
compared with PyTorch where both run the same code."""
from __future__ import annotations

import multiprocessing
import os
from collections import OrderedDict

import numpy as np
import pytest

import ember

from ..autograd._same import outcome, run_both, torch

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")


@needs_torch
def test_overriding_load_from_state_dict_renames_keys():
    def scenario(lib):
        log = []

        class Renamed(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.proj = lib.nn.Linear(2, 2)

            def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                                      missing_keys, unexpected_keys, error_msgs):
                for k in list(state_dict):
                    if k.startswith(prefix + "old_proj."):
                        state_dict[k.replace("old_proj.", "proj.")] = state_dict.pop(k)
                log.append(("local", local_metadata, prefix, sorted(state_dict)))
                super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                              missing_keys, unexpected_keys, error_msgs)

        class Outer(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = Renamed()

        o = Outer()
        old = {"inner.old_proj.weight": lib.ones(2, 2), "inner.old_proj.bias": lib.zeros(2)}
        log.append(repr(o.load_state_dict(old)))
        log.append(o.inner.proj.weight)
        sd = o.state_dict()
        log.append((list(sd), dict(sd._metadata)))
        o.load_state_dict(sd)
        log.append(log[1])
        return log

    ours, theirs = run_both(scenario)
    assert ours == theirs


@needs_torch
def test_batchnorm_fills_num_batches_tracked_by_version():
    def scenario(lib):
        bn = lib.nn.BatchNorm1d(2)
        bn.num_batches_tracked.fill_(7)
        out = [dict(bn.state_dict()._metadata)]
        sd = {k: v for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
        out.append((repr(bn.load_state_dict(sd)), bn.num_batches_tracked))
        sd = bn.state_dict()
        del sd["num_batches_tracked"]
        out.append(outcome(lambda: bn.load_state_dict(sd)))
        sd._metadata[""]["version"] = 1
        out.append(repr(bn.load_state_dict(sd)))
        return out

    ours, theirs = run_both(scenario)
    assert ours == theirs


@needs_torch
def test_state_dict_hooks():
    def scenario(lib):
        log = []
        m = lib.nn.Linear(2, 2)
        m.register_state_dict_pre_hook(lambda mod, prefix, keep: log.append(("pre", prefix, keep)))

        def post(mod, sd, prefix, meta):
            log.append(("post", prefix, sorted(sd), meta))
            sd[prefix + "extra"] = 1
        m.register_state_dict_post_hook(post)
        log.append(list(lib.nn.Sequential(m).state_dict(keep_vars=True)))
        m2 = lib.nn.Linear(2, 2)
        m2._register_state_dict_hook(lambda mod, sd, prefix, meta: OrderedDict(a=1))
        log.append((m2.state_dict(), list(lib.nn.Sequential(m2).state_dict())))
        m3 = lib.nn.Linear(2, 2)
        m3.register_state_dict_post_hook(lambda mod, sd, prefix, meta: OrderedDict(a=1))
        log.append(outcome(lambda: m3.state_dict()))
        m4 = lib.nn.Linear(2, 2)
        m4.register_load_state_dict_pre_hook(
            lambda mod, sd, prefix, meta, strict, mk, uk, em: log.append(
                ("load pre", type(mod).__name__, prefix, sorted(sd), strict)))

        def load_post(mod, incompatible):
            log.append(("load post", list(incompatible.missing_keys),
                        list(incompatible.unexpected_keys)))
            incompatible.unexpected_keys.clear()  # hooks may forgive keys
        m4.register_load_state_dict_post_hook(load_post)
        log.append(repr(m4.load_state_dict({"weight": lib.zeros(2, 2), "bias": lib.zeros(2),
                                            "junk": lib.ones(1)})))
        m5 = lib.nn.Linear(2, 2)
        m5.register_load_state_dict_post_hook(lambda mod, inc: 1)
        log.append(outcome(lambda: m5.load_state_dict(m4.state_dict())))
        log.append(outcome(lambda: list(lib.nn.Linear(2, 2).state_dict(None, "p."))))
        return log

    ours, theirs = run_both(scenario)
    assert ours == theirs


@needs_torch
def test_extra_state_assign_and_load_errors():
    def scenario(lib):
        out = []

        class ES(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.v = 3
                self.lin = lib.nn.Linear(1, 1)

            def get_extra_state(self):
                return {"v": self.v}

            def set_extra_state(self, state):
                self.v = state["v"]

        es, es2 = ES(), ES()
        es2.v = 0
        out.append(list(es.state_dict()))
        es2.load_state_dict(es.state_dict())
        out.append(es2.v)
        out.append(outcome(lambda: es2.load_state_dict(
            {k: v for k, v in es.state_dict().items() if k != "_extra_state"})))
        lin = lib.nn.Linear(1, 1)
        out.append(outcome(lambda: lin.load_state_dict(
            {"weight": lib.zeros(1, 1), "bias": lib.zeros(1), "_extra_state": 1})))
        out.append(outcome(lambda: lib.nn.Linear(2, 2).load_state_dict(
            {"weight": [[1, 2], [3, 4]], "bias": lib.zeros(2)})))
        out.append(outcome(lambda: lib.nn.Linear(2, 2).load_state_dict([1])))
        m = lib.nn.Linear(2, 2)
        w = lib.ones(2, 2, dtype=lib.float64)
        m.load_state_dict({"weight": w, "bias": lib.zeros(2)}, assign=True)
        out.append((type(m.weight).__name__, m.weight.dtype == lib.float64,
                    m.weight.requires_grad))

        class Z(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.register_buffer("s", lib.tensor(1.0))
        z = Z()
        z.load_state_dict({"s": lib.tensor([5.0])})  # a 0-d tensor saved as shape (1,)
        out.append(z.s)
        return out

    ours, theirs = run_both(scenario)
    assert ours == theirs


def test_failed_load_changes_nothing_even_after_overrides_copied():
    class Net(ember.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = ember.nn.Linear(2, 2)
            self.b = ember.nn.Linear(2, 2)

    m = Net()
    before = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    sd = {k: ember.full(tuple(v.shape), 9.0) for k, v in m.state_dict().items()}
    sd["b.weight"] = ember.zeros(3, 3)  # copied a.* first, then fails on b.weight
    with pytest.raises(RuntimeError, match="size mismatch for b.weight"):
        m.load_state_dict(sd)
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])
    w = m.a.weight
    m.a.register_load_state_dict_post_hook(lambda mod, inc: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        m.load_state_dict({k: ember.full(tuple(v.shape), 9.0) for k, v in before.items()},
                          assign=True)
    assert m.a.weight is w and (w.detach().numpy() == before["a.weight"]).all()


@needs_torch
def test_apply_is_the_one_path_of_conversions():
    def scenario(lib):
        out = []

        class Rot(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = lib.nn.Linear(2, 2)
                self.cache = lib.arange(4.0)
                self.register_buffer("idx", lib.arange(3))

            def _apply(self, fn, recurse=True):
                super()._apply(fn, recurse)
                self.cache = fn(self.cache)
                return self

        r = Rot()
        w = r.lin.weight
        r.lin.weight.grad = lib.ones(2, 2)
        g = r.lin.weight.grad
        idx = r.idx
        r.double()
        out.append((r.lin.weight is w, str(w.dtype), r.lin.weight.grad is g, str(g.dtype),
                    str(r.cache.dtype), str(r.idx.dtype), r.idx is idx))
        for step in (lambda: r.float(), lambda: r.half(), lambda: r.to(lib.float32),
                     lambda: r.to("cpu", lib.float64), lambda: r.to(lib.zeros(1)),
                     lambda: r.type(lib.float64), lambda: r.cpu(),
                     lambda: r.to(dtype=lib.float32, non_blocking=True)):
            res = step()
            out.append((res is r, str(w.dtype), str(r.cache.dtype), str(g.dtype)))
        out.append(outcome(lambda: r.to(lib.int64)))
        calls = []
        r._apply(lambda t: calls.append(tuple(t.shape)) or t)
        out.append(calls)
        out.append((r.share_memory() is r, w.is_shared(), g.is_shared(), r.idx.is_shared()))
        t = lib.ones(3)
        out.append((t.is_shared(), t.share_memory_() is t, t.is_shared()))
        return [o.replace("torch.", "").replace("ember.", "") if isinstance(o, str) else o
                for o in out]

    ours, theirs = run_both(scenario)
    assert ours == theirs


def _child_adds(t):
    t.add_(1)
    os._exit(0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_share_memory_is_seen_by_forked_processes():
    m = ember.nn.Linear(3, 2)
    w = m.weight
    assert m.share_memory() is m and m.weight is w and w.is_shared()
    before = w.detach().numpy().copy()
    ctx = multiprocessing.get_context("fork")
    p = ctx.Process(target=_child_adds, args=(w.data,))
    p.start()
    p.join()
    np.testing.assert_allclose(w.detach().numpy(), before + 1)
    assert not ember.ones(2).is_shared()
