"""What PyTorch programs save with ``torch.save`` and read with ``torch.load``, without pickle:
the same code runs with both libraries and gets the same objects back."""
from __future__ import annotations

import io

import numpy as np
import pytest

import ember

from ._libs import LIBS
from ._libs import as_np as _np


def _roundtrip(m, obj, tmp_path, as_file):
    if as_file:
        buf = io.BytesIO()
        m.save(obj, buf)
        buf.seek(0)
        return m.load(buf, weights_only=False)  # PyTorch needs it for NumPy arrays
    path = tmp_path / "obj.pt"
    m.save(obj, str(path))
    return m.load(str(path), map_location="cpu", weights_only=False)


@pytest.mark.parametrize("m", LIBS)
@pytest.mark.parametrize("as_file", [False, True], ids=["path", "file"])
def test_tensors_arrays_and_containers(m, tmp_path, as_file):
    arr = np.linspace(0, 1, 6).reshape(2, 3)
    obj = {"epoch": 3, "loss": 0.25, "name": "run", "none": None, "flags": [True, False],
           "pair": (1, 2.5), "x": m.arange(4), "arr": arr,
           "nested": {"w": m.ones(2, 2, dtype=m.float64), "list": [m.zeros(1), 7]}}
    back = _roundtrip(m, obj, tmp_path, as_file)
    assert list(back) == list(obj)
    assert back["epoch"] == 3 and back["loss"] == 0.25 and back["name"] == "run"
    assert back["none"] is None and back["flags"] == [True, False] and back["pair"] == (1, 2.5)
    assert isinstance(back["arr"], np.ndarray) and np.array_equal(back["arr"], arr)
    assert _np(back["x"]).tolist() == [0, 1, 2, 3] and back["x"].dtype == m.int64
    assert back["nested"]["w"].dtype == m.float64 and back["nested"]["list"][1] == 7
    np.testing.assert_array_equal(_np(back["nested"]["list"][0]), [0.0])
    a = _roundtrip(m, arr, tmp_path, as_file)  # a bare array, as the sine-wave example saves
    assert isinstance(a, np.ndarray) and np.array_equal(a, arr)
    t = _roundtrip(m, m.ones(3, requires_grad=True), tmp_path, as_file)
    assert isinstance(t, m.Tensor) and t.requires_grad
    p = _roundtrip(m, m.nn.Parameter(m.ones(2)), tmp_path, as_file)
    assert isinstance(p, m.nn.Parameter) and p.requires_grad


@pytest.mark.parametrize("m", LIBS)
def test_optimizer_and_scheduler_state_dicts_resume_the_run(m, tmp_path):
    def build():
        m.manual_seed(0)
        net = m.nn.Linear(3, 1)
        opt = m.optim.Adam(net.parameters(), lr=0.1)
        sched = m.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        return net, opt, sched

    x = m.tensor(np.arange(12, dtype=np.float32).reshape(4, 3) / 10)

    def train(net, opt, sched, steps):
        for _ in range(steps):
            opt.zero_grad()
            net(x).pow(2).mean().backward()
            opt.step()
            sched.step()

    net, opt, sched = build()
    train(net, opt, sched, 6)
    want = _np(net.weight).copy()

    net, opt, sched = build()
    train(net, opt, sched, 3)
    m.save({"model": net.state_dict(), "optimizer": opt.state_dict(),
            "scheduler": sched.state_dict()}, str(tmp_path / "ckpt.pt"))
    net, opt, sched = build()
    ck = m.load(str(tmp_path / "ckpt.pt"))
    net.load_state_dict(ck["model"])
    opt.load_state_dict(ck["optimizer"])
    sched.load_state_dict(ck["scheduler"])
    train(net, opt, sched, 3)
    np.testing.assert_allclose(_np(net.weight), want, rtol=1e-6)


@pytest.mark.parametrize("m", LIBS)
def test_map_location_forms(m, tmp_path):
    path = str(tmp_path / "w.pt")
    m.save({"w": m.ones(2)}, path)
    for loc in ["cpu", m.device("cpu"), {"cpu": "cpu"}, lambda storage, where: storage]:
        assert _np(m.load(path, map_location=loc)["w"]).tolist() == [1.0, 1.0]


@pytest.mark.parametrize("m", LIBS)
def test_safe_globals_allow_lists_are_accepted(m, tmp_path):
    path = str(tmp_path / "sd.pt")
    m.save(m.nn.Linear(2, 2).state_dict(), path)
    with m.serialization.safe_globals([m.nn.Linear]):
        sd = m.load(path)
    assert list(sd) == ["weight", "bias"]


@pytest.mark.parametrize("m", LIBS)
def test_whole_modules_load_inside_safe_globals(m, tmp_path):
    net = m.nn.Sequential(m.nn.Linear(2, 3), m.nn.ReLU())
    m.save(net, str(tmp_path / "m.pt"))
    allowed = [m.nn.Sequential, m.nn.Linear, m.nn.ReLU]
    with m.serialization.safe_globals(allowed):
        back = m.load(str(tmp_path / "m.pt"))
    assert type(back) is type(net) and [type(c) for c in back] == [m.nn.Linear, m.nn.ReLU]
    np.testing.assert_array_equal(_np(back[0].weight), _np(net[0].weight))
    assert m.serialization.get_safe_globals()[-3:] != allowed  # the block's list is gone
    with pytest.raises(Exception, match="Unsupported global"):
        m.save({"x": _Plain()}, str(tmp_path / "o.pt"))
        m.load(str(tmp_path / "o.pt"))


class _Plain:
    pass
