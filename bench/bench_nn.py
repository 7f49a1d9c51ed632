"""Training-step speed: ember vs PyTorch (CPU) on the lectures' MLP, in one process.

The step: forward of nn.Sequential(Linear 784-256, ReLU, Linear 256-128, ReLU,
Linear 128-10), CrossEntropyLoss, backward, Adam step, at batch 128. The two
libraries alternate in short rounds; the script prints the median samples/s
and the ratio ember/torch (throughput: higher is better), with the load average.

    python bench/bench_nn.py --threads 1
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

from _common import import_torch, pin_threads  # bench/, beside this file


def _parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1, help="threads for both libraries")
    p.add_argument("--rounds", type=int, default=15, help="alternating rounds")
    p.add_argument("--batch", type=int, default=128, help="batch size")
    return p.parse_args()


ARGS = _parse()
pin_threads(ARGS.threads)

import numpy as np  # noqa: E402

import ember  # noqa: E402

torch = import_torch("bench_nn", ARGS.threads)


def make_step(lib):
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                          nn.Linear(128, 10))
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((ARGS.batch, 784)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, ARGS.batch))

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    return step


def samples_per_s(step, n):
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    return n * ARGS.batch / (time.perf_counter() - t0)


def main():
    print(f"threads={ARGS.threads} batch={ARGS.batch} numpy={np.__version__} "
          f"torch={torch.__version__} load={os.getloadavg()[0]:.2f}")
    steps = {"ember": make_step(ember), "torch": make_step(torch)}
    for s in steps.values():
        samples_per_s(s, 5)
    rates = {"ember": [], "torch": []}
    for r in range(ARGS.rounds):
        for lib in (("ember", "torch") if r % 2 == 0 else ("torch", "ember")):
            rates[lib].append(samples_per_s(steps[lib], 10))
    e, t = statistics.median(rates["ember"]), statistics.median(rates["torch"])
    print(f"mlp+adam  ember {e:9.0f} samples/s   torch {t:9.0f} samples/s   "
          f"ratio ember/torch (throughput) {e / t:5.2f}")
    print(f"load after={os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
