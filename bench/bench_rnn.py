"""Recurrent speed: ember vs PyTorch (CPU) on the same character-level language-model step.

The step: embedding 64 -> one LSTM (or GRU) layer of 256 -> linear to 65 characters,
sequence 64, batch 32, cross-entropy over every position, backward, Adam. The two libraries
alternate in short rounds; the script prints medians (ms per step), the ratio ember/torch
(time: lower is better; below 1.0 ember is faster) and the load average. Both sides get
``--threads`` (BLAS and torch intra-op).

    python bench/bench_rnn.py --threads 1
    python bench/bench_rnn.py --threads 2 --cell gru
    python bench/bench_rnn.py --memory      # also the peak memory of each, fresh processes
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

from _common import alternate, import_torch, pin_threads, vm_hwm_kb  # bench/, beside this file


def _parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1, help="threads for both libraries")
    p.add_argument("--rounds", type=int, default=7, help="alternating rounds")
    p.add_argument("--steps", type=int, default=3, help="training steps per round")
    p.add_argument("--cell", choices=["lstm", "gru"], default="lstm")
    p.add_argument("--memory", action="store_true",
                   help="also each library's peak memory growth over 3 steps (fresh processes)")
    p.add_argument("--memory-of", default=None, help=argparse.SUPPRESS)
    return p.parse_args()


ARGS = _parse()
pin_threads(ARGS.threads)

import numpy as np  # noqa: E402

import ember  # noqa: E402

torch = import_torch("bench_rnn", ARGS.threads)
VOCAB, EMBED, HIDDEN, SEQ, BATCH = 65, 64, 256, 64, 32


def make_step(m):
    m.manual_seed(0)
    nn = m.nn

    class CharLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(VOCAB, EMBED)
            self.rnn = (nn.LSTM if ARGS.cell == "lstm" else nn.GRU)(EMBED, HIDDEN)
            self.head = nn.Linear(HIDDEN, VOCAB)

        def forward(self, x):
            out, _ = self.rnn(self.embed(x))
            return self.head(out)

    model = CharLM()
    opt = m.optim.Adam(model.parameters(), lr=2e-3)
    rng = np.random.default_rng(0)
    x = m.tensor(rng.integers(0, VOCAB, (SEQ, BATCH)))
    y = m.tensor(rng.integers(0, VOCAB, (SEQ, BATCH)))

    def step():
        opt.zero_grad()
        logits = model(x)
        loss = nn.functional.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1))
        loss.backward()
        opt.step()
    return step


def peak_growth_mb(lib):
    """Peak RSS growth of a fresh process that builds the model and runs 3 steps, over its
    state after the imports."""
    out = subprocess.run([sys.executable, __file__, "--threads", str(ARGS.threads), "--cell",
                          ARGS.cell, "--memory-of", lib], capture_output=True, text=True,
                         check=False)
    return out.stdout.strip().splitlines()[-1] if out.returncode == 0 else "n/a"


def main():
    if ARGS.memory_of:
        base = vm_hwm_kb()
        step = make_step(ember if ARGS.memory_of == "ember" else torch)
        for _ in range(3):
            step()
        print(f"{(vm_hwm_kb() - base) / 1024:.0f}")
        return
    print(f"threads={ARGS.threads} cell={ARGS.cell} numpy={np.__version__} "
          f"torch={torch.__version__} load={os.getloadavg()[0]:.2f}")
    times = alternate({"ember": make_step(ember), "torch": make_step(torch)}, ARGS.rounds,
                      ARGS.steps)
    e, t = statistics.median(times["ember"]), statistics.median(times["torch"])
    print(f"{ARGS.cell}-lm ember {e * 1e3:8.1f} ms/step   torch {t * 1e3:8.1f} ms/step   "
          f"ratio ember/torch (time) {e / t:5.2f}   (worst round ember "
          f"{max(times['ember']) * 1e3:.1f}, torch {max(times['torch']) * 1e3:.1f})")
    if ARGS.memory:
        print(f"peak memory growth over 3 steps: ember {peak_growth_mb('ember')} MB, "
              f"torch {peak_growth_mb('torch')} MB")
    print(f"load after={os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
