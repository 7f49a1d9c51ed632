"""``ember bench``: the table, the workloads built alike for both libraries, the memory
children."""
from __future__ import annotations

import io

import numpy as np
import pytest

import ember
from ember import bench, cli


def test_bench_prints_a_row_per_workload(capsys):
    threads = ember.get_num_threads()
    rows = cli.run(["bench", "--only", "ops", "mlp", "--rounds", "1", "--no-memory",
                    "--threads", str(threads + 1)])
    assert ember.get_num_threads() == threads  # the caller's setting is restored
    out = capsys.readouterr().out
    assert [r["name"] for r in rows] == ["ops", "mlp"] and "ember/s" in out
    assert "ember's CPU kernels:" in out
    for r in rows:
        assert r["ember"] > 0 and r["ember_mb"] is None
        if r["torch"] is not None:
            assert r["ratio"] == pytest.approx(r["ember"] / r["torch"])
    # elementwise ops never call oneDNN; a linear layer's large products do at more than one
    # thread (one thread pool for all multi-threaded work), never at one
    from ember.backends import mkldnn  # noqa: PLC0415

    dnnl = mkldnn.is_available() and mkldnn.enabled and threads + 1 > 1
    assert [r["path"] for r in rows] == ["NumPy", "oneDNN" if dnnl else "NumPy"]


def test_memory_child_measures_a_step():
    mb = bench._memory_child("ops", "ember", 1)
    assert mb is not None and 0 <= mb < 100


def test_workloads_are_the_same_network_in_both_libraries():
    torch = pytest.importorskip("torch")
    e, t = bench.resnet18_small(ember), bench.resnet18_small(torch)
    assert [(k, tuple(v.shape)) for k, v in e.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in t.state_dict().items()]
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    e.eval()
    t.eval()
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(np.float32)
    np.testing.assert_allclose(e(ember.tensor(x)).detach().numpy(),
                               t(torch.tensor(x)).detach().numpy(), rtol=1e-4, atol=1e-4)


def test_without_torch_only_embers_column(monkeypatch):
    monkeypatch.setattr(bench, "_torch", lambda threads=None: None)
    buf = io.StringIO()
    (row,) = bench.run(["ops"], rounds=1, memory=False, out=buf)
    assert row["torch"] is None and "not installed" in buf.getvalue()
