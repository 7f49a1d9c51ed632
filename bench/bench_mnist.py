"""PyTorch's MNIST example program, unchanged, with ``torch`` and with ember as ``torch``: the
time of one training epoch of each, measured in fresh processes that alternate.

The program is tests/compat/programs/mnist_cnn.py (pytorch/examples' network: two
convolutions, max pooling, dropout, two linear layers, Adadelta); each child imports it with
its library registered as ``torch`` (ember through tests/compat/programs/_run.py), builds
``--samples`` random 28x28 images in 10 classes, and times its ``train`` function over one
epoch at batch 64 after a warm-up of a few batches. The parent prints each library's median
epoch time, the ratio ember/torch (time: below 1.0 ember is faster) and the load average.

    python bench/bench_mnist.py --threads 1                  # 60,000 images: MNIST's epoch
    python bench/bench_mnist.py --threads 2 --samples 6400 --rounds 3
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PROGRAMS = os.path.join(ROOT, "tests", "compat", "programs")


def _child(lib, samples, threads):
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)  # (OMP_WAIT_POLICY: the parent's, for both libraries)
    sys.path.insert(0, PROGRAMS)
    if lib == "ember":
        from _run import install_ember_as_torch  # noqa: PLC0415

        install_ember_as_torch()
    import time  # noqa: PLC0415

    import numpy as np  # noqa: PLC0415
    import torch  # noqa: PLC0415 - ember's modules under torch's names for lib == "ember"
    from torch.utils.data import DataLoader, TensorDataset  # noqa: PLC0415

    import mnist_cnn  # noqa: PLC0415 - the program, unchanged

    torch.set_num_threads(threads)
    torch.manual_seed(1)
    rng = np.random.default_rng(0)
    protos = rng.standard_normal((10, 1, 28, 28)).astype(np.float32)
    target = rng.integers(0, 10, samples)
    data = protos[target] + 0.5 * rng.standard_normal((samples, 1, 28, 28)).astype(np.float32)
    loader = DataLoader(TensorDataset(torch.tensor(data), torch.tensor(target)), batch_size=64,
                        shuffle=True)
    model = mnist_cnn.Net()
    opt = torch.optim.Adadelta(model.parameters(), lr=1.0)
    warm = DataLoader(TensorDataset(torch.tensor(data[:256]), torch.tensor(target[:256])),
                      batch_size=64)
    mnist_cnn.train(model, "cpu", warm, opt, 1, [])
    t0 = time.perf_counter()
    losses = []
    mnist_cnn.train(model, "cpu", loader, opt, 1, losses)
    print(json.dumps({"seconds": time.perf_counter() - t0, "last_loss": losses[-1]}))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--samples", type=int, default=60000, help="images in the epoch")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds (epochs each)")
    p.add_argument("--wait-policy", default=os.environ.get("OMP_WAIT_POLICY", "PASSIVE"),
                   help="OMP_WAIT_POLICY of both children (ember sets PASSIVE where it is "
                        "unset; the same for both keeps the comparison fair)")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        _child(a.child, a.samples, a.threads)
        return
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
               OMP_WAIT_POLICY=a.wait_policy)
    times = {"ember": [], "torch": []}
    print(f"threads={a.threads} samples={a.samples} OMP_WAIT_POLICY={a.wait_policy} "
          f"load={os.getloadavg()[0]:.2f}", flush=True)
    for r in range(a.rounds):
        for lib in (["ember", "torch"] if r % 2 == 0 else ["torch", "ember"]):
            out = subprocess.run([sys.executable, __file__, "--child", lib, "--samples",
                                  str(a.samples), "--threads", str(a.threads)], env=env,
                                 capture_output=True, text=True, check=True)
            res = json.loads(out.stdout.strip().splitlines()[-1])
            times[lib].append(res["seconds"])
            print(f"  round {r}: {lib:5s} {res['seconds']:7.2f} s (last loss "
                  f"{res['last_loss']:.3f})", flush=True)
    e, t = statistics.median(times["ember"]), statistics.median(times["torch"])
    print(f"mnist epoch ({a.samples} images): ember {e:.2f} s, torch {t:.2f} s, ratio "
          f"ember/torch (time) {e / t:.2f}; load after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
