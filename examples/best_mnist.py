"""The ``ember train mnist-best`` / ``fashion-best`` recipe as a plain PyTorch-style script.

It runs unchanged under PyTorch or under ember (``--lib torch`` / ``--lib ember``: the
library is imported as ``torch``). The data order and the augmentation's random draws come
from NumPy (seeded by ``--seed``), so both libraries see the same batches; only the
initial weights differ (each library's own generator).

    python examples/best_mnist.py [--lib ember|torch] [--dataset mnist|fashion-mnist]
                                  [--epochs N] [--seed 0] [--limit N] [--threads N]

The recipe: a VGG-style network with batch norm (3x3 convolutions 32, 32, pool, 64, 64,
pool, 128, 128, pool, linear; 298,410 parameters), random affine images (MNIST:
rotations up to 10 degrees, shifts up to 10%, scales 0.9-1.1) or random crops and flips
(Fashion-MNIST), AdamW (weight decay 5e-2) with a 1cycle schedule peaking at 4e-3, label
smoothing 0.1, batch 128; the last 5,000 training images are held out and the epoch with
the lowest validation loss is scored on the test set.
"""
from __future__ import annotations

import argparse
import gzip
import importlib
import os
import time

import numpy as np

STATS = {"mnist": (0.1307, 0.3081), "fashion-mnist": (0.2860, 0.3530)}
FOLDERS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}
EPOCHS = {"mnist": 16, "fashion-mnist": 15}  # as ember train mnist-best / fashion-best


def read_idx(path):
    """An IDX file (plain or .gz) as a NumPy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load(dataset, folder):
    """(x_train, y_train, x_test, y_test): uint8 (N, 28, 28) images and int64 labels, from
    ``folder/<MNIST|FashionMNIST>/raw`` (as ``ember data fetch`` leaves them)."""
    raw = os.path.join(folder, FOLDERS[dataset], "raw")
    if not os.path.isdir(raw):  # not fetched yet: ember fetches it (offline sources too)
        ember = importlib.import_module("ember")
        cls = getattr(ember.datasets, FOLDERS[dataset])
        cls(folder, train=True, download=True)
        cls(folder, train=False, download=True)

    def part(name):
        for suffix in ("", ".gz"):
            p = os.path.join(raw, name + suffix)
            if os.path.exists(p):
                return read_idx(p)
        raise FileNotFoundError(os.path.join(raw, name))

    return (part("train-images-idx3-ubyte"), part("train-labels-idx1-ubyte").astype(np.int64),
            part("t10k-images-idx3-ubyte"), part("t10k-labels-idx1-ubyte").astype(np.int64))


def build(torch, stages=((32, 32), (64, 64), (128, 128))):
    """VGG-style: per stage 3x3 convolutions with batch norm and ReLU, then 2x2 max pooling;
    a linear layer on the 3x3 maps."""
    nn = torch.nn
    layers, cin = [], 1
    for stage in stages:
        for cout in stage:
            layers += [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                       nn.ReLU()]
            cin = cout
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(cin * 3 * 3, 10))


def affine_thetas(rng, n, h, w, degrees=10.0, translate=0.1, scale=(0.9, 1.1)):
    """RandomAffine's parameters per image (torchvision's distributions: whole-pixel shifts)
    as the (n, 2, 3) inverse maps that affine_grid takes (align_corners=False)."""
    angle = np.radians(rng.uniform(-degrees, degrees, n))
    tx = np.round(rng.uniform(-translate * w, translate * w, n))
    ty = np.round(rng.uniform(-translate * h, translate * h, n))
    s = rng.uniform(scale[0], scale[1], n)
    cos, sin = np.cos(angle) / s, np.sin(angle) / s
    t = np.empty((n, 2, 3), np.float32)
    t[:, 0, 0], t[:, 0, 1], t[:, 0, 2] = cos, sin * h / w, (-cos * tx - sin * ty) * 2 / w
    t[:, 1, 0], t[:, 1, 1], t[:, 1, 2] = -sin * w / h, cos, (sin * tx - cos * ty) * 2 / h
    return t


def crop_flip(rng, x, pad=2):
    """RandomCrop(28, padding=pad) + RandomHorizontalFlip() of each uint8 image (NumPy)."""
    n, h, w = x.shape
    padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    i = rng.integers(0, 2 * pad + 1, n)
    j = rng.integers(0, 2 * pad + 1, n)
    rows = (i[:, None] + np.arange(h))[:, :, None]
    cols = (j[:, None] + np.arange(w))[:, None, :]
    out = padded[np.arange(n)[:, None, None], rows, cols]
    flip = rng.random(n) < 0.5
    out[flip] = out[flip, :, ::-1]
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description="The mnist-best / fashion-best recipe, PyTorch-style.")
    p.add_argument("--lib", default="ember", choices=["ember", "torch"],
                   help="the library imported as torch")
    p.add_argument("--dataset", default="mnist", choices=sorted(STATS))
    p.add_argument("--epochs", type=int, default=None,
                   help="epochs (default: the recipe's, 16 for mnist, 15 for fashion-mnist)")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=4e-3, help="peak learning rate (1cycle)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int, default=None, help="only the first N training images")
    p.add_argument("--val-size", type=int, default=5000)
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: the "
                   "library's own default)")
    p.add_argument("--data", default=os.environ.get("EMBER_DATA", os.path.join(
        os.path.expanduser("~"), ".cache", "ember")), help="data folder")
    args = p.parse_args(argv)
    if args.epochs is None:
        args.epochs = EPOCHS[args.dataset]
    torch = importlib.import_module(args.lib)
    F = torch.nn.functional
    if args.threads:
        torch.set_num_threads(args.threads)

    x_all, y_all, x_test, y_test = load(args.dataset, args.data)
    if args.limit:
        x_all, y_all = x_all[:args.limit], y_all[:args.limit]
    nval = min(args.val_size, len(x_all) // 5)
    x_train, y_train = x_all[:len(x_all) - nval], y_all[:len(y_all) - nval]
    x_val, y_val = x_all[len(x_all) - nval:], y_all[len(y_all) - nval:]
    mean, std = STATS[args.dataset]

    def to_input(images):
        return torch.from_numpy(((images.astype(np.float32) / 255 - mean) / std)[:, None])

    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    model = build(torch)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=5e-2)
    steps = -(-len(x_train) // args.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, epochs=args.epochs,
                                                steps_per_epoch=steps)
    black = -mean / std

    def evaluate(x, y, batch=1000):
        model.eval()
        loss, wrong = 0.0, 0
        with torch.no_grad():
            for i in range(0, len(x), batch):
                out = model(to_input(x[i:i + batch]))
                target = torch.from_numpy(y[i:i + batch])
                loss += F.cross_entropy(out, target, label_smoothing=0.1).item() * len(target)
                wrong += int((out.argmax(1) != target).sum().item())
        model.train()
        return loss / len(x), wrong / len(x)

    best, best_state = float("inf"), None
    t_start = time.time()
    for epoch in range(1, args.epochs + 1):
        t0 = time.time()
        order = rng.permutation(len(x_train))
        total = 0.0
        for i in range(0, len(order), args.batch_size):
            idx = order[i:i + args.batch_size]
            if args.dataset == "mnist":
                x = to_input(x_train[idx])
                theta = torch.from_numpy(affine_thetas(rng, len(idx), 28, 28))
                grid = F.affine_grid(theta, list(x.shape), align_corners=False)
                x = F.grid_sample(x - black, grid, mode="bilinear", padding_mode="zeros",
                                  align_corners=False) + black
            else:
                x = to_input(crop_flip(rng, x_train[idx]))
            loss = F.cross_entropy(model(x), torch.from_numpy(y_train[idx]), label_smoothing=0.1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        val_loss, val_err = evaluate(x_val, y_val) if nval else (float("nan"), float("nan"))
        if not nval or val_loss < best:
            best = val_loss
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
            best_epoch = epoch
        print(f"epoch {epoch}  train loss {total / len(order):.4f}  val loss {val_loss:.4f}  "
              f"val error {val_err:.2%}  ({time.time() - t0:.0f}s)", flush=True)
    model.load_state_dict(best_state)
    _, err = evaluate(x_test, y_test)
    print(f"{args.lib}: test error {err:.2%} (epoch {best_epoch}, lowest validation loss), "
          f"seed {args.seed}, {time.time() - t_start:.0f}s")
    return err


if __name__ == "__main__":
    main()
