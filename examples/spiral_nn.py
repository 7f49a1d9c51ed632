"""Two spirals, the PyTorch way: an nn.Sequential MLP, CrossEntropyLoss, Adam, save and load.

    python examples/spiral_nn.py [--epochs 300] [--lr 0.01] [--seed 0] [--out spiral.safetensors]

Prints the loss and accuracy as it trains (accuracy reaches ~100% within a few
seconds), saves the weights as safetensors, loads them into a fresh model and
checks it predicts the same.
"""
from __future__ import annotations

import argparse
import math
import os
import tempfile

import ember
import ember.nn as nn


def two_spirals(n_per_class: int, generator: ember.Generator):
    t = ember.rand(n_per_class, generator=generator) * 3 * math.pi + 0.5
    noise = ember.randn(2, n_per_class, 2, generator=generator) * 0.02
    arm = ember.stack([t * ember.cos(t), t * ember.sin(t)], dim=1) / 10
    x = ember.cat([arm + noise[0], -arm + noise[1]])
    y = ember.cat([ember.zeros(n_per_class), ember.ones(n_per_class)]).long()
    return x, y


def make_model(hidden: int = 64) -> nn.Module:
    return nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                         nn.Linear(hidden, 2))


def main(argv=None):
    p = argparse.ArgumentParser(description="Train an MLP on two spirals with ember.nn/optim.")
    p.add_argument("--epochs", type=int, default=300, help="full-batch Adam steps (300)")
    p.add_argument("--lr", type=float, default=0.01, help="Adam learning rate (0.01)")
    p.add_argument("--seed", type=int, default=0, help="random seed (0)")
    p.add_argument("--out", default=None, help="where to save the weights (a temp file)")
    args = p.parse_args(argv)

    ember.manual_seed(args.seed)
    x, y = two_spirals(200, ember.Generator().manual_seed(args.seed))
    model = make_model()
    loss_fn = nn.CrossEntropyLoss()
    opt = ember.optim.Adam(model.parameters(), lr=args.lr)
    for epoch in range(args.epochs + 1):
        logits = model(x)
        loss = loss_fn(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if epoch % 50 == 0:
            acc = (logits.argmax(1) == y).float().mean().item()
            print(f"epoch {epoch:4d}  loss {loss.item():.4f}  accuracy {acc:6.1%}")

    out = args.out or os.path.join(tempfile.mkdtemp(), "spiral.safetensors")
    ember.save(model.state_dict(), out)
    fresh = make_model()
    fresh.load_state_dict(ember.load(out))
    with ember.no_grad():
        same = bool((fresh(x).argmax(1) == model(x).argmax(1)).all())
        acc = (model(x).argmax(1) == y).float().mean().item()
    print(f"saved to {out}; reloaded model agrees: {same}")
    return acc, same


if __name__ == "__main__":
    main()
