"""Small learnable stand-ins for real datasets, written where ember.datasets looks."""
from __future__ import annotations

import numpy as np

from ember.datasets import write_idx


def write_fake_mnist(root, train: int = 300, test: int = 100) -> None:
    """IDX files of a 10-class fake MNIST under ``root``/MNIST/raw: noise with one bright bar
    whose row is the class, so a small network learns it in a few epochs."""
    rng = np.random.default_rng(0)
    for prefix, n in (("train", train), ("t10k", test)):
        y = rng.integers(0, 10, n)
        x = rng.integers(0, 40, (n, 28, 28))
        for i, c in enumerate(y):
            x[i, 2 + 2 * c, 4:24] = 250
        write_idx(f"{root}/MNIST/raw/{prefix}-images-idx3-ubyte.gz", x.astype(np.uint8))
        write_idx(f"{root}/MNIST/raw/{prefix}-labels-idx1-ubyte.gz", y.astype(np.uint8))
