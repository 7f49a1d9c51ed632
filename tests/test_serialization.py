"""ember.save / ember.load: safetensors files, PyTorch interop, atomic writes, no pickle."""
from __future__ import annotations

import os
import struct
from collections import Counter

import numpy as np
import pytest

import ember
import ember.nn as nn


def _model():
    return nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3))


def test_state_dict_roundtrip(tmp_path):
    m = _model()
    m(ember.randn(5, 4))  # move the running statistics
    path = tmp_path / "m.safetensors"
    ember.save(m.state_dict(), path)
    sd = ember.load(path)
    assert list(sd) == list(m.state_dict())
    m2 = _model()
    m2.load_state_dict(sd)
    m.eval()
    m2.eval()
    x = ember.randn(3, 4)
    np.testing.assert_array_equal(m(x).detach().numpy(), m2(x).detach().numpy())
    assert sd["1.num_batches_tracked"].dtype == ember.int64 and sd["1.num_batches_tracked"].ndim == 0


def test_nested_containers_roundtrip(tmp_path):
    obj = {"epoch": 3, "lr": 1e-3, "name": "run", "flags": [True, None], "inf": float("inf"),
           "t": ember.arange(4), "nested": {"a": (1, 2.5, ember.ones(2, 2)), 7: "int key"},
           "counter": Counter({2: 1, 5: 2}), "dtype": ember.float64}
    ember.save(obj, tmp_path / "x.st")
    back = ember.load(tmp_path / "x.st")
    assert back["epoch"] == 3 and back["lr"] == 1e-3 and back["name"] == "run"
    assert back["flags"] == [True, None] and back["inf"] == float("inf")
    assert back["t"].tolist() == [0, 1, 2, 3]
    assert back["nested"]["a"][0:2] == (1, 2.5) and back["nested"][7] == "int key"
    assert back["nested"]["a"][2].shape == (2, 2)
    assert isinstance(back["counter"], Counter) and back["counter"][5] == 2
    assert back["dtype"] is ember.float64


def test_interop_with_torch_both_ways(tmp_path):
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    m = _model().double()
    ember.save(m.state_dict(), tmp_path / "e.safetensors")
    tsd = st.load_file(str(tmp_path / "e.safetensors"))
    tm = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6), torch.nn.ReLU(),
                             torch.nn.Linear(6, 3)).double()
    tm.load_state_dict(tsd)
    for k, v in tm.state_dict().items():  # bit for bit
        np.testing.assert_array_equal(v.numpy(), m.state_dict()[k].numpy())
    tm.eval()
    m.eval()
    x = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_allclose(tm(torch.tensor(x)).detach().numpy(),
                               m(ember.tensor(x)).detach().numpy(), rtol=1e-12)
    # and the reverse: a file written by safetensors.torch loads in ember
    for p in tm.parameters():
        torch.nn.init.normal_(p)
    st.save_file(tm.state_dict(), str(tmp_path / "t.safetensors"))
    m.load_state_dict(ember.load(tmp_path / "t.safetensors"))
    np.testing.assert_allclose(tm(torch.tensor(x)).detach().numpy(),
                               m(ember.tensor(x)).detach().numpy(), rtol=1e-12)


def test_complex64_as_safetensors_c64_and_complex128_refused(tmp_path):
    """safetensors has C64 (complex64) and no complex128 code: complex64 tensors go both ways
    with safetensors.torch; a complex128 one is refused with a way out, the file untouched."""
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    z = ember.complex(ember.randn(2, 3), ember.randn(2, 3))
    ember.save({"z": z}, tmp_path / "c.safetensors")
    got = ember.load(tmp_path / "c.safetensors")["z"]
    assert got.dtype == ember.complex64
    np.testing.assert_array_equal(got.numpy(), z.numpy())
    tz = st.load_file(str(tmp_path / "c.safetensors"))["z"]
    assert tz.dtype == torch.complex64
    np.testing.assert_array_equal(tz.numpy(), z.numpy())
    st.save_file({"w": tz * 1j}, str(tmp_path / "t.safetensors"))
    np.testing.assert_array_equal(ember.load(tmp_path / "t.safetensors")["w"].numpy(),
                                  (tz * 1j).numpy())
    before = (tmp_path / "c.safetensors").read_bytes()
    with pytest.raises(TypeError, match="'z' is complex128.*view_as_real"):
        ember.save({"z": z.to(ember.complex128)}, tmp_path / "c.safetensors")
    assert (tmp_path / "c.safetensors").read_bytes() == before


def test_what_cannot_be_described_is_refused_by_its_path(tmp_path):
    m = _model()
    m[0].fn = lambda x: x
    with pytest.raises(TypeError, match=r"'model\.0\.fn'.*lambda"):
        ember.save({"model": m}, tmp_path / "never-written.st")
    with pytest.raises(TypeError, match="cannot store a object at 'x'"):
        ember.save({"x": object()}, tmp_path / "never-written.st")
    assert not os.path.exists(tmp_path / "never-written.st")


def test_truncated_and_tampered_files_name_the_file(tmp_path):
    path = tmp_path / "m.st"
    ember.save({"w": ember.ones(100)}, path)
    data = path.read_bytes()
    bad = tmp_path / "trunc.st"
    bad.write_bytes(data[:-10])
    with pytest.raises(RuntimeError, match=r"trunc\.st.*truncated"):
        ember.load(bad)
    bad.write_bytes(data[:5])
    with pytest.raises(RuntimeError, match=r"trunc\.st.*too short"):
        ember.load(bad)
    n = struct.unpack("<Q", data[:8])[0]
    header = data[8:8 + n].replace(b'"F32"', b'"F64"')
    bad.write_bytes(data[:8] + header + data[8 + n:])
    with pytest.raises(RuntimeError, match=r"trunc\.st.*needs 800 bytes"):
        ember.load(bad)
    bad.write_bytes(data[:9] + b"x" + data[10:])
    with pytest.raises(RuntimeError, match=r"trunc\.st.*not valid JSON"):
        ember.load(bad)


def test_a_plain_pickle_is_never_loaded(tmp_path):
    import pickle

    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"w": np.ones(2)}))
    with pytest.raises(RuntimeError, match="evil.pt.*pickle"):
        ember.load(path)
    with pytest.raises(RuntimeError, match="evil.pt.*pickle"):
        ember.load(path, weights_only=False)  # the same: ember never unpickles


def test_crash_during_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.st"
    ember.save({"w": ember.zeros(3)}, path)
    import ember.serialization as ser

    def boom(out, payload, chunk=1 << 24):
        out.write(payload[: len(payload) // 2])
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(ser, "_write_all", boom)
    with pytest.raises(KeyboardInterrupt):
        ember.save({"w": ember.ones(3)}, path)
    assert ember.load(path)["w"].tolist() == [0.0, 0.0, 0.0]
    assert os.listdir(tmp_path) == ["ckpt.st"]  # no temp file left behind


def test_killed_process_leaves_previous_file(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "big.st"
    ember.save({"w": ember.zeros(10)}, path)
    code = (
        "import os, signal, ember, ember.serialization as s\n"
        "def die(out, payload, chunk=0):\n"
        "    out.write(payload[:1000]); out.flush(); os.kill(os.getpid(), signal.SIGKILL)\n"
        "s._write_all = die\n"
        f"ember.save({{'w': ember.ones(100000)}}, {str(path)!r})\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert r.returncode != 0
    assert ember.load(path)["w"].tolist() == [0.0] * 10


def test_file_objects_and_map_location(tmp_path):
    import io

    buf = io.BytesIO()
    ember.save({"a": ember.ones(2)}, buf)
    buf.seek(0)
    assert ember.load(buf, map_location="cpu")["a"].tolist() == [1.0, 1.0]
