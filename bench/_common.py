"""What the benchmarks share: thread pinning, the PyTorch reference, alternating rounds.

Import it before NumPy: ``pin_threads`` sets the BLAS/OpenMP thread variables, which the
libraries read when they load.
"""
from __future__ import annotations

import os
import sys
import time


def pin_threads(n: int) -> None:
    """Give both libraries' BLAS/OpenMP pools ``n`` threads (call before importing them)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)


def import_torch(script: str, threads: int):
    """PyTorch, the reference, with ``threads`` intra-op threads; exits with a clear line
    where it is not installed."""
    try:
        import torch  # noqa: PLC0415
    except ImportError:
        sys.exit(f"{script}: PyTorch is needed as the reference (pip install torch==2.13.0)")
    torch.set_num_threads(threads)
    return torch


def time_steps(step, n: int) -> float:
    """Seconds per call of ``step`` over ``n`` calls."""
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - t0) / n


def alternate(steps: dict, rounds: int, inner: int, warmup: int = 2) -> dict:
    """Seconds per step of each library's ``steps[name]``, measured in ``rounds`` short
    rounds whose order alternates, so that machine noise hits both: {name: [per round]}."""
    for s in steps.values():
        time_steps(s, warmup)
    names = list(steps)
    times = {n: [] for n in names}
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            times[name].append(time_steps(steps[name], inner))
    return times


def vm_hwm_kb() -> int:
    """This process's peak resident set (VmHWM; unlike ru_maxrss it is not inherited
    across exec from the parent)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0
