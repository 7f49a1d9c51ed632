"""DataLoader overhead: MNIST-sized batches of 128 against the MLP training step they feed.

Times (1) iterating a shuffled DataLoader over the 60,000 x 784 uint8 training set
held once in memory (gather + cast to float32 and scaling per batch) and (2) the
MLP 784-256-128-10 + Adam training step; prints the loader's share of the step.
With ``--transforms`` it also times per-sample pipelines through a DataLoader:
``ember.datasets.MNIST`` (IDX files written to a temporary folder) with ToTensor and
Normalize, and CIFAR-sized float images with RandomCrop(32, padding=4),
RandomHorizontalFlip and Normalize.

    python bench/bench_data.py --threads 1 [--transforms]
"""
from __future__ import annotations

import argparse
import os
import time

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("--threads", type=int, default=1)
p.add_argument("--transforms", action="store_true",
               help="also time per-sample transform pipelines through a DataLoader")
ARGS = p.parse_args()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402

import ember  # noqa: E402
from ember.utils.data import DataLoader, TensorDataset  # noqa: E402

rng = np.random.default_rng(0)
images = ember.tensor(rng.integers(0, 256, (60000, 784)).astype(np.uint8))
labels = ember.tensor(rng.integers(0, 10, 60000))
loader = DataLoader(TensorDataset(images, labels), batch_size=128, shuffle=True,
                    generator=ember.Generator().manual_seed(0))

nn = ember.nn
model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                      nn.Linear(128, 10))
opt = ember.optim.Adam(model.parameters())


def epoch_loader_only():
    t0 = time.perf_counter()
    n = 0
    for xb, yb in loader:
        xb = xb.float() / 255.0
        n += 1
    return (time.perf_counter() - t0) / n


def step(xb, yb):
    opt.zero_grad()
    nn.functional.cross_entropy(model(xb), yb).backward()
    opt.step()


xb, yb = next(iter(loader))
xb = xb.float() / 255.0
for _ in range(5):
    step(xb, yb)
t0 = time.perf_counter()
for _ in range(100):
    step(xb, yb)
t_step = (time.perf_counter() - t0) / 100
t_load = min(epoch_loader_only() for _ in range(3))
print(f"threads={ARGS.threads} load={os.getloadavg()[0]:.2f}")
print(f"loader {t_load * 1e6:.0f} us/batch, training step {t_step * 1e6:.0f} us/batch: "
      f"loader = {100 * t_load / t_step:.1f}% of the step")


def per_sample_pipelines():
    """us per batch of 128 of two per-sample pipelines (best of three epochs of 20 batches)."""
    import tempfile  # noqa: PLC0415

    from ember import transforms as T  # noqa: PLC0415
    from ember.datasets import MNIST, write_idx  # noqa: PLC0415
    from ember.utils.data import Dataset  # noqa: PLC0415

    n = 128 * 20
    with tempfile.TemporaryDirectory() as root:
        raw = os.path.join(root, "MNIST", "raw")
        os.makedirs(raw)
        for split, count in (("train", n), ("t10k", 10)):
            write_idx(os.path.join(raw, f"{split}-images-idx3-ubyte"),
                      rng.integers(0, 256, (count, 28, 28)).astype(np.uint8))
            write_idx(os.path.join(raw, f"{split}-labels-idx1-ubyte"),
                      rng.integers(0, 10, count).astype(np.uint8))
        mnist = MNIST(root, transform=T.Compose([T.ToTensor(), T.Normalize((0.1307,),
                                                                          (0.3081,))]))

        class Cifar(Dataset):
            data = ember.rand(n, 3, 32, 32)
            tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(),
                            T.Normalize((0.49, 0.48, 0.45), (0.25, 0.24, 0.26))])

            def __len__(self):
                return n

            def __getitem__(self, i):
                return self.tf(self.data[i]), 0

        for name, ds in (("MNIST + ToTensor + Normalize", mnist),
                         ("CIFAR-sized RandomCrop(32, padding=4) + flip + Normalize", Cifar())):
            dl = DataLoader(ds, batch_size=128, shuffle=True)
            best = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                for _ in dl:
                    pass
                best = min(best, (time.perf_counter() - t0) / (n // 128))
            print(f"{name}: {best * 1e6:.0f} us per batch of 128 ({best * 1e6 / 128:.1f} us "
                  f"per sample)")


if ARGS.transforms:
    per_sample_pipelines()
