"""FakeData: random images with labels, as ``torchvision.datasets.FakeData``."""
from __future__ import annotations

import numpy as np

from .. import backend
from ..tensor import _wrap
from ..utils.data import Dataset

__all__ = ["FakeData"]


class FakeData(Dataset):
    """``size`` random images of ``image_size`` (C, H, W) with labels in [0, num_classes).

    Item ``i`` is drawn from its own generator seeded with ``i + random_offset`` (the global
    random state is left alone), so it is the same every time. The image is a PIL image, as
    torchvision returns it (normal draws times 255, clamped to 0..255), for ``transform``
    (e.g. ``ember.transforms.ToTensor()``); the label is a 0-d int64 tensor.
    """

    def __init__(self, size: int = 1000, image_size=(3, 224, 224), num_classes: int = 10,
                 transform=None, target_transform=None, random_offset: int = 0):
        if size < 0 or num_classes <= 0 or len(tuple(image_size)) != 3:
            raise ValueError(f"FakeData: need size >= 0, num_classes > 0 and an image_size "
                             f"(C, H, W), got {size}, {num_classes}, {image_size}")
        self.size, self.num_classes = size, num_classes
        self.image_size = tuple(image_size)
        self.transform, self.target_transform = transform, target_transform
        self.random_offset = random_offset

    def __len__(self):
        return self.size

    def __getitem__(self, index: int):
        from PIL import Image  # noqa: PLC0415

        if not -self.size <= index < self.size:
            raise IndexError(f"FakeData index out of range: {index} (size {self.size})")
        index %= self.size
        rng = backend.Generator().manual_seed(index + self.random_offset).rng
        img = rng.standard_normal(self.image_size, dtype=np.float32)
        target = _wrap(np.asarray(rng.integers(0, self.num_classes), dtype=np.int64), False,
                       None, 0)
        pixels = np.clip(img * 255, 0, 255).astype(np.uint8).transpose(1, 2, 0)
        pil = Image.fromarray(pixels[:, :, 0] if pixels.shape[2] == 1 else pixels)
        if self.transform is not None:
            pil = self.transform(pil)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return pil, target

    def __repr__(self):
        return (f"Dataset FakeData\n    Number of datapoints: {self.size}\n    image_size: "
                f"{self.image_size}, num_classes: {self.num_classes}")
