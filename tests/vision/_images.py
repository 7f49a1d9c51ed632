"""Photo-like test images (smooth gradients, hard edges, noise) as PIL images, ember tensors
and torch tensors, and the comparisons the vision tests use."""
from __future__ import annotations

import numpy as np

import ember

SIZES = [(32, 32), (37, 53), (64, 41)]  # square, odd, portrait


def photo(h: int, w: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    """(h, w, channels) uint8: a colour gradient with a bright disc, a dark bar and noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    y, x = y / max(h - 1, 1), x / max(w - 1, 1)
    planes = []
    for c in range(channels):
        a, b, f = rng.uniform(40, 200), rng.uniform(-80, 80), rng.uniform(2, 6)
        plane = a + b * x - 0.6 * b * y + 30 * np.sin(f * x + c) * np.cos(f * y)
        disc = (x - 0.6) ** 2 + (y - 0.4) ** 2 < 0.06
        plane = np.where(disc, 230 - 20 * c, plane)
        plane = np.where((x > 0.15) & (x < 0.3) & (y > 0.2), 25 + 10 * c, plane)
        planes.append(plane + rng.normal(0, 6, (h, w)))
    return np.clip(np.rint(np.stack(planes, -1)), 0, 255).astype(np.uint8)


def pil(h: int, w: int, mode: str = "RGB", seed: int = 0):
    from PIL import Image

    channels = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
    a = photo(h, w, channels, seed)
    return Image.fromarray(a[:, :, 0] if channels == 1 else a)


def pair(a: np.ndarray):
    """The same (…, C, H, W) array as an ember tensor and a torch tensor."""
    import torch

    return ember.tensor(a.copy()), torch.from_numpy(a.copy())


def chw(h: int, w: int, channels: int = 3, seed: int = 0, dtype="uint8", batch=None):
    """A (C, H, W) (or (batch, C, H, W)) image array, uint8 or float32 in [0, 1]."""
    if batch:
        a = np.stack([photo(h, w, channels, seed + k).transpose(2, 0, 1) for k in range(batch)])
    else:
        a = photo(h, w, channels, seed).transpose(2, 0, 1)
    a = np.ascontiguousarray(a)
    return a if dtype == "uint8" else (a / np.float32(255)).astype(dtype)


def as_array(x) -> np.ndarray:
    """An ember tensor, torch tensor or PIL image as a NumPy array."""
    if isinstance(x, ember.Tensor):
        return x.detach().numpy()
    if hasattr(x, "detach"):
        return x.detach().numpy()
    return np.asarray(x)


def assert_same_image(ours, theirs, tol: float = 0.0, outliers: float = 0.0):
    """Same kind, size and mode; pixels equal, or within ``tol`` (uint8: grey levels),
    except at most the fraction ``outliers`` of the values (a nearest-neighbour source
    coordinate that lands on .5 rounds either way depending on the CPU's arithmetic:
    PyTorch's AVX-512 kernels and NumPy differ in the last bit there)."""
    from PIL import Image

    if isinstance(theirs, Image.Image):
        assert isinstance(ours, Image.Image), f"expected a PIL image, got {type(ours).__name__}"
        assert (ours.mode, ours.size) == (theirs.mode, theirs.size)
    a, b = as_array(ours), as_array(theirs)
    assert a.shape == b.shape, (a.shape, b.shape)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    if tol == 0 and not outliers:
        np.testing.assert_array_equal(a, b)
    elif outliers:
        diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
        bad = int((diff > tol).sum())
        assert bad <= outliers * diff.size, (
            f"{bad} of {diff.size} values differ by more than {tol} (at most "
            f"{outliers:.1%} may; max difference {diff.max()})")
    else:
        diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
        assert diff.max() <= tol, (f"max difference {diff.max()} > {tol} "
                                   f"({int((diff > tol).sum())} of {diff.size} values)")
