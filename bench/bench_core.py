"""Core speed: ember vs PyTorch (CPU) on the same work, in one process.

Two workloads, forward and backward each step:
  chain  - 20 small elementwise ops on a 64x64 tensor (per-op overhead)
  mlp    - the lectures' MLP 784-256-128-10 (ReLU) at batch 128, mean cross-entropy
           written with core ops (log_softmax + gather)

The two libraries alternate in short rounds so that machine noise hits both;
the script prints medians, the ratio ember/torch (time: lower is better) and
the load average. Threads: both sides get ``--threads`` (BLAS and torch intra-op).

    python bench/bench_core.py --threads 1
"""
from __future__ import annotations

import argparse
import os
import statistics

from _common import alternate, import_torch, pin_threads  # bench/, beside this file


def _parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1, help="threads for both libraries")
    p.add_argument("--rounds", type=int, default=15, help="alternating rounds")
    p.add_argument("--only", choices=["chain", "mlp"], default=None)
    return p.parse_args()


ARGS = _parse()
pin_threads(ARGS.threads)

import numpy as np  # noqa: E402

import ember  # noqa: E402

torch = import_torch("bench_core", ARGS.threads)


def chain(m, x):
    y = x
    for _ in range(4):
        y = y * 1.01
        y = y + 0.1
        y = m.tanh(y)
        y = y - 0.05
        y = m.sigmoid(y)
    return y


def make_chain(m):
    x = m.tensor(np.random.default_rng(0).standard_normal((64, 64)).astype(np.float32),
                 requires_grad=True)

    def step():
        out = chain(m, x).sum()
        out.backward()
        x.grad = None
    return step


def make_mlp(m):
    rng = np.random.default_rng(0)
    shapes = [(784, 256), (256, 128), (128, 10)]
    ws = [m.tensor((rng.standard_normal(s) * 0.05).astype(np.float32), requires_grad=True)
          for s in shapes]
    bs = [m.tensor(np.zeros(s[1], np.float32), requires_grad=True) for s in shapes]
    x = m.tensor(rng.standard_normal((128, 784)).astype(np.float32))
    y = m.tensor(rng.integers(0, 10, (128, 1)))

    def step():
        h = x
        for i, (w, b) in enumerate(zip(ws, bs)):
            h = h @ w + b
            if i < 2:
                h = m.relu(h)
        loss = -m.gather(m.log_softmax(h, 1), 1, y).mean()
        loss.backward()
        for p in ws + bs:
            p.grad = None
    return step


def compare(name, make, inner):
    times = alternate({"ember": make(ember), "torch": make(torch)}, ARGS.rounds, inner,
                      warmup=max(3, inner // 5))
    e, t = statistics.median(times["ember"]), statistics.median(times["torch"])
    print(f"{name:6s} ember {e * 1e6:9.1f} us/step   torch {t * 1e6:9.1f} us/step   "
          f"ratio ember/torch (time) {e / t:5.2f}")
    return e / t


def main():
    print(f"threads={ARGS.threads} numpy={np.__version__} torch={torch.__version__} "
          f"load={os.getloadavg()[0]:.2f}")
    if ARGS.only in (None, "chain"):
        compare("chain", make_chain, 50)
    if ARGS.only in (None, "mlp"):
        compare("mlp", make_mlp, 10)
    print(f"load after={os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
