"""Seeding as PyTorch: each process starts its default generator from a fresh random seed
(so unseeded programs do not repeat themselves), ``manual_seed`` makes a run repeatable, and
``random.fork_rng`` sets the state aside for a block. Each check runs under both libraries;
the fresh-process checks start new interpreters."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import ember

from ._libs import LIBS, needs_torch, torch
from ._libs import as_np as _np

_PROCESS = """
import json, sys
lib = sys.argv[1]
m = __import__(lib)
if len(sys.argv) > 2:
    m.manual_seed(int(sys.argv[2]))
layer = m.nn.Linear(3, 2)
print(json.dumps({"initial": m.initial_seed(), "random_initial": m.random.initial_seed(),
                  "draws": m.rand(4).tolist(), "weight": layer.weight.flatten().tolist(),
                  "perm": m.randperm(6).tolist()}))
"""


def _fresh(lib, *args):
    env = {**os.environ, "EMBER_STANDIN_CUDA": "0"}
    out = subprocess.run([sys.executable, "-c", _PROCESS, lib, *map(str, args)],
                         capture_output=True, text=True, env=env, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


LIB_NAMES = ["ember", pytest.param("torch", marks=needs_torch)]


@pytest.mark.parametrize("lib", LIB_NAMES)
def test_unseeded_processes_differ(lib):
    a, b = _fresh(lib), _fresh(lib)
    for r in (a, b):
        assert 0 <= r["initial"] < 2 ** 64 and r["initial"] == r["random_initial"]
    assert a["initial"] != b["initial"]
    assert a["draws"] != b["draws"] and a["weight"] != b["weight"]


@pytest.mark.parametrize("lib", LIB_NAMES)
def test_seeded_processes_repeat(lib):
    a, b = _fresh(lib, 1234), _fresh(lib, 1234)
    assert a == b and a["initial"] == 1234


@pytest.mark.parametrize("m", LIBS)
def test_random_module_names(m):
    names = {"set_rng_state", "get_rng_state", "manual_seed", "seed", "initial_seed",
             "fork_rng", "Generator", "default_generator"}
    assert names <= set(dir(m.random))
    assert m.random.default_generator is m.default_generator
    assert m.random.manual_seed(5) is m.default_generator and m.random.initial_seed() == 5
    s = m.random.seed()
    assert isinstance(s, int) and 0 <= s < 2 ** 64 and m.initial_seed() == s
    assert m.Generator().initial_seed() == 67280421310721  # a new generator's fixed seed


@pytest.mark.parametrize("m", LIBS)
def test_rng_state_round_trip(m):
    m.random.manual_seed(11)
    state = m.random.get_rng_state()
    first = _np(m.rand(5))
    m.random.set_rng_state(state)
    np.testing.assert_array_equal(_np(m.rand(5)), first)


@pytest.mark.parametrize("m", LIBS)
def test_fork_rng_restores_the_state(m):
    m.manual_seed(7)
    want = _np(m.rand(3))
    m.manual_seed(7)
    with m.random.fork_rng():
        m.rand(10)
        m.manual_seed(99)
    np.testing.assert_array_equal(_np(m.rand(3)), want)
    m.manual_seed(7)
    with m.random.fork_rng(enabled=False):
        m.rand(10)
    assert not np.array_equal(_np(m.rand(3)), want)
    m.manual_seed(7)
    with m.random.fork_rng(devices=iter([]), device_type="cuda"):  # a one-pass iterable
        m.randn(4)
    np.testing.assert_array_equal(_np(m.rand(3)), want)
    with m.random.fork_rng(device_type="meta"):
        m.rand(1)


def test_fork_rng_restores_the_device_generators():
    ember.manual_seed(3)
    want = ember.rand(4, device="cuda").tolist()
    ember.manual_seed(3)
    with ember.random.fork_rng():  # every device (the stand-in has one)
        ember.rand(8, device="cuda")
    assert ember.rand(4, device="cuda").tolist() == want
    ember.manual_seed(3)
    with ember.random.fork_rng(devices=[]):  # the CPU only: the device stream moves on
        ember.rand(8, device="cuda")
    assert ember.rand(4, device="cuda").tolist() != want
    with pytest.raises(RuntimeError, match="xpu"):
        with ember.random.fork_rng(device_type="xpu"):
            pass


_WORKERS = """
import json, sys
import ember
from ember.utils.data import DataLoader, TensorDataset, get_worker_info
ember.manual_seed(int(sys.argv[1]))
seen = []
def init(worker_id):
    seen.append(get_worker_info().seed)
ds = TensorDataset(ember.arange(20.0))
loader = DataLoader(ds, batch_size=5, shuffle=True, num_workers=2, worker_init_fn=init)
order = [b[0].tolist() for b in loader]
gen = DataLoader(ds, batch_size=5, shuffle=True, generator=ember.Generator().manual_seed(4))
print(json.dumps({"order": order, "worker_seeds": seen,
                  "generator_order": [b[0].tolist() for b in gen]}))
"""


def test_dataloader_workers_repeat_when_seeded():
    runs = [subprocess.run([sys.executable, "-c", _WORKERS, "21"], capture_output=True,
                           text=True, timeout=120, check=True) for _ in range(2)]
    a, b = (json.loads(r.stdout.strip().splitlines()[-1]) for r in runs)
    assert a == b and a["worker_seeds"]


def test_ember_train_repeats_itself(tmp_path):
    """``ember train`` seeds every random choice (``--seed``, 0 by default): two fresh runs
    give the same metrics, whatever seed each process started with."""
    rng = np.random.default_rng(0)
    raw = tmp_path / "data" / "MNIST" / "raw"
    for prefix, n in (("train", 200), ("t10k", 50)):
        y = rng.integers(0, 10, n)
        x = rng.integers(0, 40, (n, 28, 28))
        x[np.arange(n), 2 + 2 * y, 4:24] = 250
        ember.datasets.write_idx(str(raw / f"{prefix}-images-idx3-ubyte.gz"), x.astype(np.uint8))
        ember.datasets.write_idx(str(raw / f"{prefix}-labels-idx1-ubyte.gz"), y.astype(np.uint8))
    env = dict(os.environ, EMBER_DATA=str(tmp_path / "data"), EMBER_STANDIN_CUDA="0")
    metrics = []
    for k in range(2):
        out = tmp_path / f"runs{k}"
        r = subprocess.run([sys.executable, "-m", "ember.cli", "train", "--epochs", "2",
                            "--limit", "150", "--val-size", "30", "--dropout", "0.2",
                            "--out", str(out), "--quiet"], capture_output=True, text=True,
                           env=env, timeout=300)
        assert r.returncode == 0, r.stderr
        (run,) = list(out.iterdir())
        metrics.append([{k_: v for k_, v in json.loads(line).items() if k_ != "seconds"}
                        for line in open(run / "metrics.jsonl")])
    assert metrics[0] == metrics[1]
