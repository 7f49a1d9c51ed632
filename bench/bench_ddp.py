"""Data-parallel scaling on MPI: training-step throughput with 1 process and with N
(``mpirun``, one thread each), the all-reduce time per step, and how much of it backward
hides (DistributedDataParallel starts a bucket's all-reduce while backward goes on).

    python bench/bench_ddp.py                  # 1 and 2 processes, MLP and LeNet-5
    python bench/bench_ddp.py --nproc 1 2 4 --rounds 9

Per workload and process count: samples/s of the whole job for a global batch of 128
split over the processes (strong scaling) and for 128 per process (weak scaling); the
all-reduce of the model's gradients alone (ms); the part of it left waiting after backward
(ms, ``comm_wait_seconds``: the all-reduce not hidden, plus waiting for the slower
process); the step without averaging, run at the same time on every process (compute ms);
the cost of averaging = step - compute, and the overlap = 1 - cost / all-reduce alone.
Medians of ``--rounds`` alternating rounds.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import pin_threads  # noqa: E402

WORKLOADS = {  # name -> (model builder, input shape, bucket_cap_mb)
    "mlp": ("mlp", (784,), 25),
    "mlp-buckets": ("mlp", (784,), 0.25),  # small buckets: the overlap made visible
    "lenet-max": ("lenet", (1, 28, 28), 25),
}


def _model(ember, kind):
    nn = ember.nn
    ember.manual_seed(0)
    if kind == "mlp":
        return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                             nn.Linear(128, 10))
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


def worker(rounds: int, steps: int, out: str) -> None:
    import time

    import numpy as np

    import ember
    import ember.distributed as dist
    from ember.nn.parallel import DistributedDataParallel as DDP

    dist.init_process_group("mpi")
    rank, n = dist.get_rank(), dist.get_world_size()
    rng = np.random.default_rng(rank)
    rows = []
    for name, (kind, shape, cap) in WORKLOADS.items():
        for scaling, per in (("strong", 128 // n), ("weak", 128)):
            net = _model(ember, kind)
            model = DDP(net, bucket_cap_mb=cap) if n > 1 else net
            opt = ember.optim.Adam(model.parameters(), lr=1e-3)
            x = ember.tensor(rng.standard_normal((per,) + shape).astype(np.float32))
            y = ember.tensor(rng.integers(0, 10, per))

            def step(model=model, opt=opt, x=x, y=y):
                opt.zero_grad()
                ember.nn.functional.cross_entropy(model(x), y).backward()
                opt.step()

            bare = _model(ember, kind)  # (net's parameters have DDP's hooks)
            plain_opt = ember.optim.Adam(bare.parameters(), lr=1e-3)

            def plain(opt=plain_opt, x=x, y=y, net=bare):  # no averaging: compute alone
                opt.zero_grad()
                ember.nn.functional.cross_entropy(net(x), y).backward()
                opt.step()

            for _ in range(5):
                step()
                plain()
            times, waits, computes = [], [], []
            for _ in range(rounds):  # alternating: the same load on the machine for both
                for fn, into in ((step, times), (plain, computes)):
                    if n > 1:
                        dist.barrier()
                    w0 = getattr(model, "comm_wait_seconds", 0.0)
                    t0 = time.perf_counter()
                    for _ in range(steps):
                        fn()
                    into.append((time.perf_counter() - t0) / steps)
                    if fn is step:
                        waits.append((getattr(model, "comm_wait_seconds", 0.0) - w0) / steps)
            # the same gradients' all-reduce on its own
            k = sum(p.numel() for p in net.parameters())
            flat = ember.zeros(k + len(list(net.parameters())))
            alone = []
            for _ in range(rounds):
                if n > 1:
                    dist.barrier()
                    t0 = time.perf_counter()
                    for _ in range(steps):
                        dist.all_reduce(flat)
                    alone.append((time.perf_counter() - t0) / steps)
                else:
                    alone.append(0.0)
            rows.append({"workload": name, "scaling": scaling, "nproc": n, "per_process": per,
                         "step_ms": 1e3 * float(np.median(times)),
                         "compute_ms": 1e3 * float(np.median(computes)),
                         "samples_s": n * per / float(np.median(times)),
                         "allreduce_ms": 1e3 * float(np.median(alone)),
                         "left_ms": 1e3 * float(np.median(waits)),
                         "params": k})
    if rank == 0:
        with open(out, "w") as f:
            json.dump(rows, f)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nproc", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--steps", type=int, default=20, help="steps per round")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args.rounds, args.steps, args.worker)
    mpirun = shutil.which("mpirun")
    if mpirun is None:
        sys.exit("bench_ddp: needs Open MPI's mpirun (apt-get install openmpi-bin "
                 "libopenmpi-dev) and mpi4py (pip install 'ember[mpi]')")
    results = []
    for n in args.nproc:
        with tempfile.NamedTemporaryFile(suffix=".json") as f:
            cmd = [mpirun, "-q", "-n", str(n), "--bind-to", "none"]
            if n > (os.cpu_count() or 1):
                cmd.append("--oversubscribe")
            if os.geteuid() == 0:
                cmd.append("--allow-run-as-root")
            cmd += [sys.executable, os.path.abspath(__file__), "--rounds", str(args.rounds),
                    "--steps", str(args.steps), "--worker", f.name]
            subprocess.run(cmd, check=True)
            with open(f.name) as g:
                results += json.load(g)
    base = {(r["workload"], r["scaling"]): r["samples_s"] for r in results if r["nproc"] == 1}
    load = os.getloadavg()[0]
    print(f"load average {load:.2f}; 1 thread per process")
    print(f"{'workload':12} {'scaling':7} {'procs':>5} {'batch/proc':>10} {'step ms':>8} "
          f"{'compute ms':>10} {'samples/s':>10} {'speed-up':>8} {'allreduce ms':>12} "
          f"{'left ms':>8} {'overlap':>7}")
    for r in results:
        speed = r["samples_s"] / base.get((r["workload"], r["scaling"]), r["samples_s"])
        cost = r["step_ms"] - r["compute_ms"]
        overlap = (f"{min(1.0, max(0.0, 1 - cost / r['allreduce_ms'])):7.0%}"
                   if r["allreduce_ms"] > 0 else f"{'-':>7}")
        print(f"{r['workload']:12} {r['scaling']:7} {r['nproc']:5d} {r['per_process']:10d} "
              f"{r['step_ms']:8.2f} {r['compute_ms']:10.2f} {r['samples_s']:10.0f} "
              f"{speed:8.2f} {r['allreduce_ms']:12.3f} {r['left_ms']:8.3f} {overlap}")


if __name__ == "__main__":
    pin_threads(1)
    main()
