"""Character-LM quality, ember vs PyTorch: the same training script, run with each library.

The script is written against PyTorch's API and run twice (``torch`` is the library given):
an LSTM language model (embedding 64, one LSTM layer of 256, windows of 64 characters,
batch 32, Adam 2e-3, gradient clipping 1.0) trained for ``--steps`` steps on Debian's
fortunes (ember.datasets.TextCorpus.fortunes: the same text and character ids for both),
then the validation loss in bits per character and the time per step are printed.
Random streams differ between the libraries, so compare the numbers, not the digits.

    python bench/bench_charlm.py --steps 600 --threads 1
"""
from __future__ import annotations

import argparse
import importlib
import math
import os
import time

from _common import pin_threads  # bench/, beside this file


def _parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--libs", default="ember,torch", help="comma-separated: ember,torch")
    return p.parse_args()


ARGS = _parse()
pin_threads(ARGS.threads)

import numpy as np  # noqa: E402

from ember.datasets import TextCorpus  # noqa: E402


def run(torch, train_ids, valid_ids, vocab):
    nn = torch.nn
    torch.set_num_threads(ARGS.threads)
    torch.manual_seed(0)

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, 64)
            self.rnn = nn.LSTM(64, 256)
            self.head = nn.Linear(256, vocab)

        def forward(self, x):
            out, _ = self.rnn(self.embed(x))
            return self.head(out)

    model = LM()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    rng = np.random.default_rng(0)
    seq, batch = 64, 32
    t0 = time.perf_counter()
    for _ in range(ARGS.steps):
        starts = rng.integers(0, len(train_ids) - seq - 1, batch)
        x = np.stack([train_ids[s:s + seq] for s in starts], 1)
        y = np.stack([train_ids[s + 1:s + seq + 1] for s in starts], 1)
        logits = model(torch.tensor(x))
        loss = nn.functional.cross_entropy(logits.reshape(-1, vocab), torch.tensor(y).reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    per_step = (time.perf_counter() - t0) / ARGS.steps
    n = (len(valid_ids) - 1) // seq
    vx = valid_ids[:n * seq].reshape(n, seq).T[:, :256]
    vy = valid_ids[1:n * seq + 1].reshape(n, seq).T[:, :256]
    with torch.no_grad():
        logits = model(torch.tensor(np.ascontiguousarray(vx)))
        v = nn.functional.cross_entropy(logits.reshape(-1, vocab),
                                        torch.tensor(np.ascontiguousarray(vy)).reshape(-1))
    return float(v) / math.log(2), per_step


def main():
    corpus = TextCorpus.fortunes()
    train_ids, valid_ids = corpus.train.numpy(), corpus.valid.numpy()
    print(f"fortunes: {len(train_ids):,} training characters, vocabulary {corpus.vocab_size}; "
          f"{ARGS.steps} steps, threads={ARGS.threads}, load={os.getloadavg()[0]:.2f}")
    for name in ARGS.libs.split(","):
        lib = importlib.import_module(name)
        bpc, per_step = run(lib, train_ids, valid_ids, corpus.vocab_size)
        print(f"{name:6s} validation {bpc:.3f} bits/char   {per_step * 1e3:.1f} ms/step")


if __name__ == "__main__":
    main()
