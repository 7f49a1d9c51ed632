"""A small CNN learns real images: LeNet-5 on a few thousand Fashion-MNIST images.

The data are the standard IDX files of Debian's ``dataset-fashion-mnist``
package (``.ci/run`` installs it); the test is skipped where they are absent.
"""
from __future__ import annotations

import gzip
import os
import struct

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.models import LeNet5

ROOT = "/usr/share/datasets/fashion-mnist"


def _idx(name):
    with gzip.open(os.path.join(ROOT, name)) as f:
        data = f.read()
    magic, n = struct.unpack(">II", data[:8])
    if magic == 2051:
        rows, cols = struct.unpack(">II", data[8:16])
        return np.frombuffer(data, np.uint8, offset=16).reshape(n, rows, cols)
    return np.frombuffer(data, np.uint8, offset=8).astype(np.int64)


@pytest.mark.skipif(not os.path.exists(os.path.join(ROOT, "t10k-images-idx3-ubyte.gz")),
                    reason="Debian package dataset-fashion-mnist is not installed")
@pytest.mark.slow
def test_lenet_learns_fashion_mnist_subset():
    x = _idx("train-images-idx3-ubyte.gz")[:4000]
    y = _idx("train-labels-idx1-ubyte.gz")[:4000]
    xt = _idx("t10k-images-idx3-ubyte.gz")[:1000]
    yt = _idx("t10k-labels-idx1-ubyte.gz")[:1000]

    def prep(a):
        return ember.tensor((a.astype(np.float32)[:, None] / 255.0 - 0.286) / 0.353)

    ember.manual_seed(0)
    model = LeNet5(pool="max", activation="relu")
    opt = ember.optim.Adam(model.parameters(), lr=2e-3)
    rng = np.random.default_rng(0)
    for _ in range(6):
        order = rng.permutation(len(x))
        for i in range(0, len(x), 64):
            idx = order[i:i + 64]
            loss = F.cross_entropy(model(prep(x[idx])), ember.tensor(y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    with ember.no_grad():
        acc = (model(prep(xt)).argmax(1).numpy() == yt).mean()
    print(f"accuracy {acc:.3f}")
    assert acc >= 0.78, f"test accuracy {acc:.1%}"
