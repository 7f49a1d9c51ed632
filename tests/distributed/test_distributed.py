"""ember.distributed under a real MPI launcher (Open MPI's mpirun, 2 and 3 ranks), and the
DistributedSampler against PyTorch's."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

import ember
import ember.distributed as dist
from ember.utils.data import DistributedSampler

MPIRUN = shutil.which("mpirun")
WORKER = os.path.join(os.path.dirname(__file__), "_worker.py")
DDP_WORKER = os.path.join(os.path.dirname(__file__), "_ddp_worker.py")
FAULT_WORKER = os.path.join(os.path.dirname(__file__), "_fault_worker.py")


def _mpirun(n, script, out, **env):
    if MPIRUN is None:
        pytest.skip("no mpirun here (.ci/run installs Debian's openmpi-bin)")
    if not dist.is_available():
        pytest.skip("mpi4py cannot load an MPI library here (pip install 'ember[mpi]')")
    flags = ["--oversubscribe"] + (["--allow-run-as-root"] if os.geteuid() == 0 else [])
    env = dict(os.environ, PYTHONPATH=os.getcwd(), OMPI_MCA_btl="self,vader,tcp",
               OMPI_MCA_plm_rsh_agent="false", EMBER_TEST_OUT=str(out), **env)
    return subprocess.run([MPIRUN, *flags, "-n", str(n), sys.executable, script],
                          capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.parametrize("n,script", [(2, WORKER), (3, WORKER), (2, DDP_WORKER),
                                      (3, DDP_WORKER)], ids=["collectives-2", "collectives-3",
                                                             "ddp-2", "ddp-3"])
@pytest.mark.slow
def test_under_mpirun(n, script, tmp_path):
    """Collectives against NumPy; DDP against one process on the global batch."""
    r = _mpirun(n, script, tmp_path)
    if r.returncode != 0 and "Traceback" not in r.stderr and not os.listdir(tmp_path):
        pytest.skip(f"mpirun could not start a job here: {r.stderr.strip()[-300:]}")
    assert r.returncode == 0, r.stdout + r.stderr
    assert sorted(os.listdir(tmp_path)) == [f"rank{k}" for k in range(n)]
    assert all((tmp_path / f"rank{k}").read_text() == "OK" for k in range(n))


@pytest.mark.parametrize("fault,says", [
    ("raise", "rank 1 of 2 stopped on ValueError; aborting the whole job"),
    ("kill", "exited on signal 9"),
    ("stuck", "all_reduce on rank 0 of 2 did not complete within 0:00:03")])
@pytest.mark.slow
def test_a_failing_rank_ends_the_job(fault, says, tmp_path):
    """Rank 1 raises, is killed, or hangs while rank 0 waits in an all-reduce: the job ends
    with an error status and a message naming what happened, in seconds (the "stuck" case
    through init_process_group's timeout of 3 s), instead of hanging."""
    start = time.monotonic()
    r = _mpirun(2, FAULT_WORKER, tmp_path, EMBER_FAULT=fault)
    took = time.monotonic() - start
    if r.returncode != 0 and "Traceback" not in r.stderr and fault != "kill" \
            and says not in r.stdout + r.stderr:
        pytest.skip(f"mpirun could not start a job here: {r.stderr.strip()[-300:]}")
    assert r.returncode != 0
    assert says in r.stdout + r.stderr, r.stdout + r.stderr
    assert took < 30, took


def test_sampler_partitions_like_pytorch():
    torch = pytest.importorskip("torch")
    from torch.utils.data import DistributedSampler as TorchSampler

    for size, n, drop in [(11, 3, False), (11, 3, True), (10, 4, False), (2, 5, False)]:
        for k in range(n):
            mine = list(DistributedSampler(list(range(size)), n, k, shuffle=False,
                                           drop_last=drop))
            theirs = list(TorchSampler(list(range(size)), n, k, shuffle=False, drop_last=drop))
            assert mine == theirs, (size, n, drop, k)
    assert torch.__version__
    # shuffled: ember's permutation, PyTorch's padding and striding: every index, one padded
    shares = [list(DistributedSampler(list(range(11)), 3, k, seed=5)) for k in range(3)]
    assert set(sum(shares, [])) == set(range(11)) and len(sum(shares, [])) == 12
    s = DistributedSampler(list(range(11)), 3, 0, seed=5)
    first = list(s)
    s.set_epoch(1)
    assert list(s) != first and len(s) == 4


def test_without_a_process_group_the_errors_say_what_to_do():
    with pytest.raises(RuntimeError, match="init_process_group"):
        dist.get_rank()
    with pytest.raises(ValueError, match="backend 'nccl' is not supported by ember"):
        dist.init_process_group("nccl")
    with pytest.raises(ValueError, match="Invalid rank 3"):
        DistributedSampler(list(range(4)), num_replicas=2, rank=3)
    assert ember.distributed is dist
