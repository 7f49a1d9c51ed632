"""SyncBatchNorm under a real MPI launcher (2 and 3 ranks): equal to one process on the
global batch, forward and backward (see _syncbn_worker.py)."""
from __future__ import annotations

import os

import pytest

from .test_distributed import _mpirun

WORKER = os.path.join(os.path.dirname(__file__), "_syncbn_worker.py")


@pytest.mark.parametrize("n", [2, 3])
def test_sync_batchnorm_under_mpirun(n, tmp_path):
    r = _mpirun(n, WORKER, tmp_path)
    if r.returncode != 0 and "Traceback" not in r.stderr and not os.listdir(tmp_path):
        pytest.skip(f"mpirun could not start a job here: {r.stderr.strip()[-300:]}")
    assert r.returncode == 0, r.stdout + r.stderr
    assert sorted(os.listdir(tmp_path)) == [f"rank{k}" for k in range(n)]
    assert all((tmp_path / f"rank{k}").read_text() == "OK" for k in range(n))
