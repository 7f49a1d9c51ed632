"""``ember train`` on several processes: starting the MPI job for ``--nproc N``, a process's
place in a job started by ``mpirun``, and each process's share of the data.

Under MPI every process builds the same model and optimizer, wraps the model in
``DistributedDataParallel`` and trains on its share of each batch (the global
``--batch-size`` split evenly); rank 0 alone prints, writes the run folder and its
checkpoints; the logged metrics are averaged over the processes (``Trainer`` does that for
a distributed model).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

__all__ = ["launched_size", "launch", "join", "shard", "abort"]

# What MPI launchers put in each process's environment: Open MPI, MPICH/Hydra, PMIx.
_SIZE_VARS = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE")


def launched_size() -> int:
    """The number of processes of the MPI job this process belongs to (1 when it was not
    started by an MPI launcher), read from the launcher's variables without starting MPI."""
    for var in _SIZE_VARS:
        value = os.environ.get(var, "")
        if value.isdigit():
            return int(value)
    return 1


def launch(argv: list[str], nproc: int) -> int:
    """Run ``ember <argv>`` as an MPI job of ``nproc`` processes on this machine (Open MPI's
    ``mpirun``) and return its exit status. Each process gets ``cores / nproc`` threads
    unless ``OMP_NUM_THREADS`` is set."""
    import importlib.util  # noqa: PLC0415

    mpirun = shutil.which("mpirun")
    if mpirun is None:
        raise SystemExit("ember train --nproc: no `mpirun` on this machine; install Open MPI "
                         "(Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev) and "
                         "pip install 'ember[mpi]'")
    if importlib.util.find_spec("mpi4py") is None:
        raise SystemExit("ember train --nproc: mpi4py is not installed: pip install "
                         "'ember[mpi]' (with Open MPI installed first)")
    cores = os.cpu_count() or 1
    cmd = [mpirun, "-q", "-n", str(nproc)]
    if nproc > cores:
        cmd.append("--oversubscribe")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-run-as-root")
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", str(max(1, cores // nproc)))
    cmd += [sys.executable, "-m", "ember.cli", *argv]
    # mpirun runs in a session of its own: Ctrl-C (SIGINT) and SIGTERM reach this process,
    # which passes them on to mpirun; mpirun stops the ranks, rank 0 says what the run
    # folder keeps, and this process exits 130 after an interrupt.
    proc = subprocess.Popen(cmd, env=env, start_new_session=True)
    got = []

    def forward(signum, frame):
        got.append(signum)
        proc.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = proc.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if code == 0 or not got:  # (Ctrl-C that only closed the dashboard ends normally)
        return code
    return 130 if signal.SIGINT in got else 128 + got[0]


def join():
    """Join the MPI job this process was started in: ``(rank, world size)``. SIGTERM (what
    ``mpirun`` sends every process when it is interrupted) stops training as Ctrl-C does,
    so rank 0 can say what the run folder holds."""
    from .. import distributed as dist  # noqa: PLC0415

    if not dist.is_initialized():
        dist.init_process_group("mpi")

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    return dist.get_rank(), dist.get_world_size()


def shard(n: int, rank: int, world: int):
    """Rank ``rank``'s part of ``n`` validation samples: every ``world``-th one, none
    repeated (the Trainer weights each part's metrics by its size)."""
    return list(range(rank, n, world))


def abort(code: int, message: str | None = None) -> None:
    """In an MPI job, end every process with ``code`` (not 0) after printing ``message``:
    the others would otherwise wait for this one in their next collective. Outside one,
    nothing."""
    from .. import distributed as dist  # noqa: PLC0415

    if code and dist.is_initialized() and dist.get_world_size() > 1:
        if message:
            print(message, file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        dist._comm().Abort(code)
