"""Quality scores for generated images, without any download.

A small convolutional classifier for MNIST or Fashion-MNIST is trained once by ember and
cached as safetensors in the data folder. Two scores use it (the Inception-score and FID
recipes with this network in place of Inception):

* ``classifier_score``: the mean confidence (max class probability) of the generated images,
  and the entropy of the histogram of their predicted classes (log 10 = 2.30 nats when all
  ten classes are produced equally often; 0 for a collapsed generator);
* ``frechet_distance``: the Fréchet distance between Gaussians fitted to the classifier's
  penultimate-layer features of real and of generated images,
  ||mu_r - mu_g||^2 + Tr(S_r + S_g - 2 (S_r S_g)^(1/2)). Lower is better; 0 for the same set.

Images are (N, 1, 28, 28) with values in ``value_range`` (default [0, 1]; pass (-1, 1) for
tanh outputs).
"""
from __future__ import annotations

import math
import os

import numpy as np

from . import nn
from ._grad_mode import no_grad
from .serialization import load, save

__all__ = ["Classifier", "classifier", "is_cached", "features", "classifier_score",
           "frechet_distance"]

_STATS = {"mnist": (0.1307, 0.3081), "fashion-mnist": (0.2860, 0.3530)}
_CACHE: dict = {}


class Classifier(nn.Module):
    """Two 5x5 convolutions with max pooling, then 256 -> 84 (the features) -> 10."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(32 * 7 * 7, 84), nn.ReLU())
        self.head = nn.Linear(84, 10)

    def forward(self, x):
        return self.head(self.body(x))


def _path(dataset, root):
    from .datasets._sources import data_root  # noqa: PLC0415

    return os.path.join(data_root(root), "metrics", f"{dataset}-classifier.safetensors")


# How long the first use trains the classifier (2 epochs, 938 batches of 128, over the 60,000
# training images): measured at 0.59 CPU-seconds a batch, about 9 CPU-minutes, which is 5 to 8
# minutes on 2 free cores and more on a busy machine; see docs/generative.md.
TRAIN_TIME = "about 5 to 10 minutes on 2 CPU cores"


def is_cached(dataset: str = "mnist", root=None) -> bool:
    """Whether the scoring classifier for ``dataset`` is ready (in memory or in the cache),
    so that using it trains nothing."""
    path = _path(dataset, root)
    return (dataset, path) in _CACHE or os.path.exists(path)


def classifier(dataset: str = "mnist", root=None, epochs: int = 2, verbose: bool = True):
    """The scoring classifier for ``dataset`` ('mnist' or 'fashion-mnist'): loaded from the
    cache, or trained once on the training set (seeded; ``TRAIN_TIME`` on a CPU) and saved.
    ``verbose``: say so before training, with a progress bar over each epoch."""
    if dataset not in _STATS:
        raise ValueError(f"ember.metrics: dataset must be 'mnist' or 'fashion-mnist', got "
                         f"{dataset!r}")
    path = _path(dataset, root)
    key = (dataset, path)
    if key in _CACHE:
        return _CACHE[key]
    model = Classifier()
    if os.path.exists(path):
        model.load_state_dict(load(path))
    else:
        _train(model, dataset, root, epochs, verbose, path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        save(model.state_dict(), path)
        if verbose:
            print(f"ember.metrics: the {dataset} scoring classifier is cached in {path}",
                  flush=True)
    model.eval()
    _CACHE[key] = model
    return model


def _train(model, dataset, root, epochs, verbose, path):
    from . import datasets, manual_seed, optim, tensor  # noqa: PLC0415
    from .utils.data import DataLoader, TensorDataset  # noqa: PLC0415

    cls = datasets.MNIST if dataset == "mnist" else datasets.FashionMNIST
    train = cls(root, train=True, download=True)
    if verbose:
        print(f"ember.metrics: training the {dataset} scoring classifier ({epochs} epochs over "
              f"{len(train):,} training images, {TRAIN_TIME}; done once: it is then cached in "
              f"{path})", flush=True)
    mean, std = _STATS[dataset]
    x = tensor(((train.data.numpy().astype(np.float32) / 255.0 - mean) / std)[:, None])
    y = train.targets.long()
    manual_seed(0)
    opt = optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(TensorDataset(x, y), batch_size=128, shuffle=True)
    model.train()
    for epoch in range(epochs):
        bar = None
        if verbose:
            from tqdm import tqdm  # noqa: PLC0415

            bar = tqdm(total=len(loader), desc=f"scoring classifier, epoch {epoch + 1}/{epochs}",
                       unit="batch", dynamic_ncols=True)
        try:
            for xb, yb in loader:
                loss = nn.functional.cross_entropy(model(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                if bar is not None:
                    bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()


def _normalised(images, dataset, value_range):
    lo, hi = value_range
    x = (images.detach().float() - lo) / (hi - lo)
    if tuple(x.shape[1:]) != (1, 28, 28):
        x = x.reshape(-1, 1, 28, 28)
    mean, std = _STATS[dataset]
    return (x.clamp(0.0, 1.0) - mean) / std


def features(images, dataset: str = "mnist", value_range=(0.0, 1.0), model=None,
             batch_size: int = 500) -> np.ndarray:
    """The classifier's 84 penultimate-layer features of each image, (N, 84) float64."""
    model = model or classifier(dataset)
    x = _normalised(images, dataset, value_range).to(next(model.parameters()).device)
    out = []
    with no_grad():
        for i in range(0, x.shape[0], batch_size):
            out.append(model.body(x[i:i + batch_size]).cpu().numpy())
    return np.concatenate(out).astype(np.float64)


def classifier_score(images, dataset: str = "mnist", value_range=(0.0, 1.0),
                     model=None) -> dict:
    """``{'confidence': mean max probability, 'class_entropy': entropy (nats) of the
    predicted-class histogram, 'classes': the histogram}`` of generated images."""
    model = model or classifier(dataset)
    x = _normalised(images, dataset, value_range).to(next(model.parameters()).device)
    with no_grad():
        probs = model(x).softmax(1).cpu().numpy()
    hist = np.bincount(probs.argmax(1), minlength=10) / max(len(probs), 1)
    nz = hist[hist > 0]
    return {"confidence": float(probs.max(1).mean()),
            "class_entropy": float(-(nz * np.log(nz)).sum()) + 0.0, "classes": hist.tolist()}


def _sqrt_psd(m):
    w, v = np.linalg.eigh((m + m.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(real, fake, dataset: str = "mnist", value_range=(0.0, 1.0),
                     model=None) -> float:
    """The Fréchet distance between the classifier features of ``real`` and ``fake`` images
    (each an image tensor, or an (N, 84) feature array already computed)."""
    fr = real if isinstance(real, np.ndarray) else features(real, dataset, value_range, model)
    ff = fake if isinstance(fake, np.ndarray) else features(fake, dataset, value_range, model)
    if len(fr) < 2 or len(ff) < 2:
        raise ValueError("frechet_distance: need at least two images on each side")
    mu1, mu2 = fr.mean(0), ff.mean(0)
    s1, s2 = np.cov(fr, rowvar=False), np.cov(ff, rowvar=False)
    r1 = _sqrt_psd(s1)
    cross = _sqrt_psd(r1 @ s2 @ r1)  # (S1 S2)^(1/2) has the trace of (S1^½ S2 S1^½)^½
    value = float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(cross))
    return max(value, 0.0) if math.isfinite(value) else value
