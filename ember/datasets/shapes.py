"""Captioned shapes: small generated images, each with a caption that says what it shows.

Every image holds one shape (square, circle, triangle or cross) of one colour (red, green,
blue or yellow) in one place (left, right, top or bottom) on a noisy dark background; its
caption is those three words: "red circle left". It exercises image captioning in miniature
(a CNN encoder feeding a recurrent decoder) with nothing to download.
"""
from __future__ import annotations

import numpy as np

from ..tensor import _wrap
from ..utils.data import Dataset

__all__ = ["CaptionedShapes"]

COLOURS = {"red": (1.0, 0.1, 0.1), "green": (0.1, 0.9, 0.1), "blue": (0.2, 0.3, 1.0),
           "yellow": (1.0, 0.9, 0.1)}
SHAPES = ("square", "circle", "triangle", "cross")
PLACES = ("left", "right", "top", "bottom")


def _mask(shape: str, size: int) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    c = size / 2
    if shape == "square":
        return (np.abs(xx - c) <= size * 0.35) & (np.abs(yy - c) <= size * 0.35)
    if shape == "circle":
        return (xx - c) ** 2 + (yy - c) ** 2 <= (size * 0.4) ** 2
    if shape == "triangle":
        return (yy >= size * 0.15) & (yy <= size * 0.85) & (np.abs(xx - c) <= (yy - size * 0.1)
                                                              * 0.5)
    return (np.abs(xx - c) <= size * 0.12) | (np.abs(yy - c) <= size * 0.12)  # cross


class CaptionedShapes(Dataset):
    """``n`` generated images (3, size, size) in [0, 1] with their captions.

    Items are ``(image, caption)``: a float32 tensor and an int64 tensor of word ids
    ``[<bos>, colour, shape, place, <eos>]``. ``vocab`` lists the words (id = index);
    ``decode(ids)`` turns ids back into words. The same ``seed`` gives the same set.
    """

    vocab = ("<pad>", "<bos>", "<eos>", *COLOURS, *SHAPES, *PLACES)

    def __init__(self, n: int = 1000, size: int = 24, seed: int = 0):
        if n <= 0 or size < 12:
            raise ValueError(f"CaptionedShapes: need n > 0 and size >= 12, got n={n}, "
                             f"size={size}")
        rng = np.random.default_rng(seed)
        self.size = size
        self.stoi = {w: i for i, w in enumerate(self.vocab)}
        images = rng.uniform(0.0, 0.15, (n, 3, size, size)).astype(np.float32)
        captions = np.zeros((n, 5), dtype=np.int64)
        half = size // 2
        for k in range(n):
            colour = list(COLOURS)[rng.integers(len(COLOURS))]
            shape = SHAPES[rng.integers(len(SHAPES))]
            place = PLACES[rng.integers(len(PLACES))]
            m = _mask(shape, half)
            jitter = rng.integers(0, size // 6 + 1, 2)
            top, left = {"left": (size // 4, 0), "right": (size // 4, size - half),
                         "top": (0, size // 4), "bottom": (size - half, size // 4)}[place]
            top = int(np.clip(top + jitter[0] - size // 12, 0, size - half))
            left = int(np.clip(left + jitter[1] - size // 12, 0, size - half))
            for ch, v in enumerate(COLOURS[colour]):
                region = images[k, ch, top:top + half, left:left + half]
                region[m] = v * rng.uniform(0.8, 1.0)
            captions[k] = [self.stoi["<bos>"], self.stoi[colour], self.stoi[shape],
                           self.stoi[place], self.stoi["<eos>"]]
        self.images = _wrap(images, False, None, 0)
        self.captions = _wrap(captions, False, None, 0)

    def __len__(self):
        return self.images.shape[0]

    def __getitem__(self, index):
        return self.images[index], self.captions[index]

    def decode(self, ids) -> str:
        """Words of a caption, without <bos>/<eos>/<pad>."""
        words = [self.vocab[int(i)] for i in (ids.tolist() if hasattr(ids, "tolist") else ids)]
        return " ".join(w for w in words if not w.startswith("<"))
