"""Sorting and top-k speed: ember vs PyTorch (CPU) on the same logits, in one process.

The workloads are the sampling step of GPT-style programs, ``topk`` on a row of logits
(GPT-2's 50257-token vocabulary; a 65-character vocabulary at batch 64), and a full sort:

  topk_gpt2   - topk(k=50) of (1, 50257) float32 logits
  topk_gpt2_b - topk(k=50) of (32, 50257)
  topk_char   - topk(k=10) of (64, 65)
  sort_char   - sort(descending) of (64, 65)
  topk_grad   - topk(k=10) of (64, 65) that requires grad, and its backward

The two libraries alternate in short rounds; the script prints medians, the ratio
ember/torch (time: lower is better) and the load average.

    python bench/bench_sort.py --threads 1
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
    return p.parse_args()


ARGS = _parse()
pin_threads(ARGS.threads)

import numpy as np  # noqa: E402

import ember  # noqa: E402

torch = import_torch("bench_sort", ARGS.threads)


def _logits(shape):
    return np.random.default_rng(0).standard_normal(shape).astype(np.float32)


def make_topk(shape, k):
    def make(m):
        x = m.tensor(_logits(shape))
        return lambda: m.topk(x, k)
    return make


def make_sort(shape):
    def make(m):
        x = m.tensor(_logits(shape))
        return lambda: m.sort(x, -1, True)
    return make


def make_topk_grad(m):
    x = m.tensor(_logits((64, 65)), requires_grad=True)
    w = m.tensor(_logits((64, 10)))

    def step():
        (m.topk(x, 10).values * w).sum().backward()
        x.grad = None
    return step


WORKLOADS = [("topk_gpt2", make_topk((1, 50257), 50), 50),
             ("topk_gpt2_b", make_topk((32, 50257), 50), 3),
             ("topk_char", make_topk((64, 65), 10), 200),
             ("sort_char", make_sort((64, 65)), 200),
             ("topk_grad", make_topk_grad, 100)]


def main():
    print(f"threads={ARGS.threads} numpy={np.__version__} torch={torch.__version__} "
          f"load={os.getloadavg()[0]:.2f}")
    for name, make, inner in WORKLOADS:
        times = alternate({"ember": make(ember), "torch": make(torch)}, ARGS.rounds, inner)
        e, t = statistics.median(times["ember"]), statistics.median(times["torch"])
        print(f"{name:12s} ember {e * 1e6:9.1f} us   torch {t * 1e6:9.1f} us   "
              f"ratio ember/torch (time) {e / t:5.2f}")
    print(f"load after={os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
