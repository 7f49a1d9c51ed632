"""PNG plots of a run: loss/accuracy curves, confusion matrix, misclassified images."""
from __future__ import annotations

import os
import tempfile

import numpy as np

__all__ = ["plot_history", "plot_confusion", "plot_misclassified", "plot_attention",
           "plot_curves", "plot_latent_map"]


def _plt():
    import matplotlib  # noqa: PLC0415 - only when plotting

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    return plt


def _save(fig, path):
    """Write the figure atomically, through a temporary file of its own (two runs writing
    the same plot at once never share one)."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp.png",
                               dir=folder)
    os.close(fd)
    _umask = os.umask(0)  # mkstemp makes 0600 files: give the final file the usual mode
    os.umask(_umask)
    os.chmod(tmp, 0o666 & ~_umask)
    try:
        fig.savefig(tmp, dpi=100, bbox_inches="tight")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
        _plt().close(fig)


def plot_history(history: list[dict], path: str) -> str:
    """Loss (train, validation) and validation accuracy per epoch."""
    plt = _plt()
    ep = [h["epoch"] for h in history]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    a1.plot(ep, [h["train_loss"] for h in history], "o-", label="train")
    if "val_loss" in history[0]:
        a1.plot(ep, [h["val_loss"] for h in history], "o-", label="validation")
    a1.set(xlabel="epoch", ylabel="loss", title="Loss")
    a1.legend()
    if "val_accuracy" in history[0]:
        a2.plot(ep, [100 * h["val_accuracy"] for h in history], "o-", color="C2")
    a2.set(xlabel="epoch", ylabel="accuracy (%)", title="Validation accuracy")
    _save(fig, path)
    return path


def plot_confusion(matrix: np.ndarray, classes, path: str) -> str:
    """counts[true, predicted] as a heat map with the numbers written in."""
    plt = _plt()
    n = len(matrix)
    fig, ax = plt.subplots(figsize=(7, 6))
    ax.imshow(matrix, cmap="Blues")
    ax.set(xticks=range(n), yticks=range(n), xlabel="predicted", ylabel="true",
           title="Confusion matrix (test)")
    ax.set_xticklabels(classes, rotation=45, ha="right")
    ax.set_yticklabels(classes)
    hi = matrix.max() / 2 if matrix.size else 0
    for i in range(n):
        for j in range(n):
            ax.text(j, i, int(matrix[i, j]), ha="center", va="center", fontsize=7,
                    color="white" if matrix[i, j] > hi else "black")
    _save(fig, path)
    return path


def plot_misclassified(images: np.ndarray, true, pred, classes, path: str, n: int = 25) -> str:
    """A grid of up to ``n`` misclassified images titled 'true -> predicted'."""
    plt = _plt()
    k = min(n, len(images))
    cols = 5
    rows = max(1, -(-k // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(2 * cols, 2.2 * rows))
    for ax in np.atleast_1d(axes).ravel():
        ax.axis("off")
    for i, ax in zip(range(k), np.atleast_1d(axes).ravel()):
        img = images[i]
        ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
        ax.set_title(f"{classes[int(true[i])]} -> {classes[int(pred[i])]}", fontsize=7)
    _save(fig, path)
    return path


def plot_attention(weights, source, output, path: str, title: str = "Attention") -> str:
    """A heat map of attention ``weights`` (output steps x source steps), labelled with the
    source and output tokens: where each output step looked."""
    plt = _plt()
    w = np.asarray(weights, dtype=np.float64)
    fig, ax = plt.subplots(figsize=(1 + 0.45 * w.shape[1], 1 + 0.45 * w.shape[0]))
    ax.imshow(w, cmap="viridis", vmin=0, vmax=max(float(w.max()), 1e-9))
    ax.set(xticks=range(w.shape[1]), yticks=range(w.shape[0]), xlabel="source",
           ylabel="output", title=title)
    ax.set_xticklabels([str(t) for t in source])
    ax.set_yticklabels([str(t) for t in output])
    _save(fig, path)
    return path


def plot_curves(history: list[dict], path: str, title: str = "Training") -> str:
    """Every ``*loss*`` series of ``history`` (e.g. both players of a GAN) per epoch."""
    plt = _plt()
    keys = [k for k in history[0] if "loss" in k] if history else []
    fig, ax = plt.subplots(figsize=(6, 4))
    ep = [h["epoch"] for h in history]
    for k in keys:
        ax.plot(ep, [h.get(k, float("nan")) for h in history], "o-", label=k)
    ax.set(xlabel="epoch", ylabel="loss", title=title)
    if keys:
        ax.legend()
    _save(fig, path)
    return path


def plot_latent_map(codes, labels, manifold, path: str, span: float = 3.0) -> str:
    """A 2-D latent space: the test set's codes coloured by label, beside the decoded
    manifold (a (k*28, k*28) image of decodes over [-span, span]^2)."""
    plt = _plt()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 5.5))
    sc = a1.scatter(codes[:, 0], codes[:, 1], c=labels, cmap="tab10", s=4)
    a1.set(xlabel="z1", ylabel="z2", title="Test images in latent space")
    fig.colorbar(sc, ax=a1, ticks=range(10))
    a2.imshow(manifold, cmap="gray", extent=(-span, span, -span, span))
    a2.set(xlabel="z1", ylabel="z2", title="Decodes across the latent plane")
    _save(fig, path)
    return path
