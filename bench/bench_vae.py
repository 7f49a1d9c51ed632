"""The MLP VAE on full MNIST, ember vs PyTorch: the same PyTorch-style script with each library.

The classic example's model (784-400-20, Bernoulli decoder), Adam 1e-3, batch 128, pixel
intensities in [0, 1] as Bernoulli means (as the example). After each epoch the
script prints the test negative ELBO (nats per image) and the epoch's training time.

    python bench/bench_vae.py --epochs 10 --threads 2 [--libs ember,torch]
"""
from __future__ import annotations

import argparse
import importlib
import os
import time

from _common import pin_threads  # bench/, beside this file


def _parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--libs", default="ember,torch")
    return p.parse_args()


ARGS = _parse()
pin_threads(ARGS.threads)

import numpy as np  # noqa: E402

import ember  # noqa: E402


def run(torch, xtr, xte):
    nn, F = torch.nn, torch.nn.functional
    torch.set_num_threads(ARGS.threads)
    torch.manual_seed(1)

    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), \
                nn.Linear(400, 20)
            self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

        def forward(self, x):
            h = F.relu(self.fc1(x))
            mu, logvar = self.fc21(h), self.fc22(h)
            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
            return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar

    def loss_fn(recon, x, mu, logvar):
        bce = F.binary_cross_entropy(recon, x, reduction="sum")
        return bce - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())

    model = VAE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    test = torch.tensor(xte)
    rows = []
    for epoch in range(1, ARGS.epochs + 1):
        t0 = time.perf_counter()
        order = rng.permutation(len(xtr))
        for i in range(0, len(xtr), 128):
            x = torch.tensor(xtr[order[i:i + 128]])
            opt.zero_grad()
            recon, mu, logvar = model(x)
            loss = loss_fn(recon, x, mu, logvar)
            loss.backward()
            opt.step()
        seconds = time.perf_counter() - t0
        with torch.no_grad():
            recon, mu, logvar = model(test)
            nelbo = float(loss_fn(recon, test, mu, logvar)) / len(xte)
        rows.append((epoch, nelbo, seconds))
        print(f"  {torch.__name__:6s} epoch {epoch:2d}  test -ELBO {nelbo:7.2f} nats  "
              f"{seconds:5.1f} s/epoch", flush=True)
    return rows


def main():
    train = ember.datasets.MNIST(train=True, download=True)
    test = ember.datasets.MNIST(train=False, download=True)
    xtr = (train.data.numpy().reshape(-1, 784) / 255.0).astype(np.float32)
    xte = (test.data.numpy().reshape(-1, 784) / 255.0).astype(np.float32)
    print(f"MNIST {len(xtr)} training / {len(xte)} test images, threads={ARGS.threads}, "
          f"load={os.getloadavg()[0]:.2f}")
    for name in ARGS.libs.split(","):
        run(importlib.import_module(name), xtr, xte)


if __name__ == "__main__":
    main()
