"""Every optimizer follows PyTorch's trajectory for 20 steps from the same start."""
from __future__ import annotations

import io

import numpy as np
import pytest

import ember
import ember.optim as eo

from .optim_cases import CONFIGS, SHAPES, _loss

torch = pytest.importorskip("torch")
to = torch.optim

@pytest.mark.parametrize("name,kw", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
def test_trajectory_matches_torch(name, kw):
    rng = np.random.default_rng(0)
    init = [rng.standard_normal(s) for s in SHAPES]
    x = rng.standard_normal((5, 3))
    eps_ = [ember.tensor(a, requires_grad=True) for a in init]
    tps = [torch.tensor(a, requires_grad=True) for a in init]
    eopt = getattr(eo, name)(eps_, **kw)
    topt = getattr(to, name)(tps, **kw)
    ex, tx = ember.tensor(x), torch.tensor(x)
    for step in range(20):
        eopt.zero_grad()
        topt.zero_grad()
        _loss(ember, eps_, ex).backward()
        _loss(torch, tps, tx).backward()
        eopt.step()
        topt.step()
        for e, t in zip(eps_, tps):
            np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-6,
                                       atol=1e-10, err_msg=f"{name} step {step}")
    # the state dict has PyTorch's layout
    esd, tsd = eopt.state_dict(), topt.state_dict()
    assert esd["param_groups"] == tsd["param_groups"]
    assert sorted(esd["state"]) == sorted(tsd["state"])
    for k in tsd["state"]:
        assert sorted(esd["state"][k]) == sorted(tsd["state"][k])
        for sk, tv in tsd["state"][k].items():
            ev = esd["state"][k][sk]
            tv = tv.numpy() if hasattr(tv, "numpy") else tv
            ev = ev.numpy() if hasattr(ev, "numpy") else ev
            np.testing.assert_allclose(ev, tv, rtol=1e-6, atol=1e-10, err_msg=f"state {sk}")


def test_param_groups_and_none_grads():
    a = ember.ones(2, requires_grad=True)
    b = ember.ones(2, requires_grad=True)
    opt = eo.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1, momentum=0.5)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[1]["lr"] == 1.0
    (a.sum() * 2).backward()  # b has no grad: skipped
    opt.step()
    np.testing.assert_allclose(a.detach().numpy(), [0.8, 0.8], rtol=1e-6)
    assert b.tolist() == [1.0, 1.0]
    c = ember.ones(1, requires_grad=True)
    opt.add_param_group({"params": c, "momentum": 0.0})
    assert opt.param_groups[2]["lr"] == 0.1
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="empty parameter list"):
        eo.Adam([])
    with pytest.raises(ValueError, match="Invalid learning rate"):
        eo.Adam([a], lr=-1)
    with pytest.raises(ValueError, match="non-leaf"):
        eo.SGD([a * 2])
    with pytest.raises(NotImplementedError, match="fused"):
        eo.Adam([a], fused=True)


def test_zero_grad_set_to_none_false():
    a = ember.ones(2, requires_grad=True)
    opt = eo.SGD([a], lr=0.1)
    a.sum().backward()
    opt.zero_grad(set_to_none=False)
    assert a.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert a.grad is None


def _bytes(obj):
    buf = io.BytesIO()
    ember.save(obj, buf)
    buf.seek(0)
    return buf


def test_state_dict_roundtrip_continues_identically():
    rng = np.random.default_rng(3)
    init = rng.standard_normal((4, 3))
    x = ember.tensor(rng.standard_normal((5, 4)))

    def run(p, opt, n):
        for _ in range(n):
            opt.zero_grad()
            (ember.tanh(x @ p) ** 2).sum().backward()
            opt.step()

    p1 = ember.tensor(init, requires_grad=True)
    o1 = eo.Adam([p1], lr=0.05, amsgrad=True)
    run(p1, o1, 10)
    p2 = ember.tensor(init, requires_grad=True)
    o2 = eo.Adam([p2], lr=0.05, amsgrad=True)
    run(p2, o2, 5)
    saved = o2.state_dict()
    p3 = ember.tensor(p2.detach().numpy().copy(), requires_grad=True)
    o3 = eo.Adam([p3], lr=0.5, amsgrad=True)
    o3.load_state_dict(ember.load(_bytes(saved)))
    assert o3.param_groups[0]["lr"] == 0.05
    run(p3, o3, 5)
    np.testing.assert_allclose(p3.detach().numpy(), p1.detach().numpy(), rtol=1e-12)


def test_optimizer_state_dict_before_first_step():
    p = ember.ones(2, requires_grad=True)
    o = eo.Adam([p])
    sd = ember.load(_bytes(o.state_dict()))
    o.load_state_dict(sd)
    assert o.state_dict()["state"] == {}


def test_closure():
    p = ember.tensor([2.0], requires_grad=True)
    opt = eo.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 4.0
    assert p.item() == 1.0


@pytest.mark.parametrize("cls,kw", [("Adam", {}), ("Adam", {"amsgrad": True}),
                                    ("AdamW", {"weight_decay": 0.1})])
def test_adam_on_a_tensor_larger_than_its_cache_chunks_equals_torch(cls, kw, monkeypatch):
    """Adam updates large tensors piece by piece (the pieces stay in cache): the same
    arithmetic as PyTorch's, bit for bit the same as updating the whole tensor at once."""
    from ember.optim import _algos

    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((300, 700)).astype(np.float32)  # 210,000 > one 65,536 chunk
    grads = [rng.standard_normal(w0.shape).astype(np.float32) for _ in range(4)]

    def run(chunk):
        monkeypatch.setattr(_algos, "_CHUNK", chunk)
        p = ember.tensor(w0.copy(), requires_grad=True)
        opt = getattr(eo, cls)([p], lr=1e-2, **kw)
        for g in grads:
            p.grad = ember.tensor(g)
            opt.step()
        return p.detach().numpy()

    chunked, whole = run(1 << 16), run(1 << 30)
    np.testing.assert_array_equal(chunked, whole)
    tp = torch.tensor(w0.copy(), requires_grad=True)
    topt = getattr(torch.optim, cls)([tp], lr=1e-2, **kw)
    for g in grads:
        tp.grad = torch.tensor(g)
        topt.step()
    np.testing.assert_allclose(chunked, tp.detach().numpy(), rtol=1e-6, atol=1e-7)
