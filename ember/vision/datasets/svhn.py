"""SVHN (Street View House Numbers, cropped digits), as ``torchvision.datasets.SVHN``."""
from __future__ import annotations

import os

import numpy as np

from ...datasets import _sources as S
from ._matlab import read_mat
from .utils import verify_str_arg
from .vision import VisionDataset

__all__ = ["SVHN"]


class SVHN(VisionDataset):
    """The cropped-digits SVHN set: 32x32 colour images of house-number digits, labels 0-9
    (the files' label 10 for the digit 0 becomes 0, as in torchvision).

    Args:
        root: the folder holding ``<split>_32x32.mat`` (default ``$EMBER_DATA``, else
            ``~/.cache/ember``).
        split: ``'train'`` (73,257 images), ``'test'`` (26,032) or ``'extra'`` (531,131).
        transform, target_transform: applied to the PIL image and to the int label.
        download: fetch the file from the official site (MD5 checked) when it is missing.

    The MATLAB files are read by ember's own level-5 MAT-file reader (no SciPy needed).
    ``data`` is a uint8 array (N, 3, 32, 32) and ``labels`` an int64 array (N,), as
    torchvision's.
    """

    split_list = {
        "train": ["http://ufldl.stanford.edu/housenumbers/train_32x32.mat", "train_32x32.mat",
                  "e26dedcc434d2e4c54c9b2d4a06d8373"],
        "test": ["http://ufldl.stanford.edu/housenumbers/test_32x32.mat", "test_32x32.mat",
                 "eb5a983be6a315427106f1b164d9cef3"],
        "extra": ["http://ufldl.stanford.edu/housenumbers/extra_32x32.mat", "extra_32x32.mat",
                  "a93ce644f1a588dc4d68dda5feec44a7"],
    }

    def __init__(self, root=None, split: str = "train", transform=None, target_transform=None,
                 download: bool = False):
        super().__init__(S.data_root(root), transform=transform,
                         target_transform=target_transform)
        self.split = verify_str_arg(split, "split", tuple(self.split_list))
        self.url, self.filename, self.file_md5 = self.split_list[split]
        path = os.path.join(self.root, self.filename)
        if not os.path.exists(path):
            if not download:
                raise RuntimeError(f"SVHN: {path} not found. You can use download=True to get "
                                   f"it, or put {self.filename} (from {self.url}) into "
                                   f"{self.root}")
            self.download()
        try:
            self.data, self.labels = self._read(path)
        except (RuntimeError, NotImplementedError) as exc:
            if not download:
                raise RuntimeError(f"{exc}. download=True fetches it again") from None
            S.set_aside(path, ".corrupt")  # kept, not deleted
            self.download()
            self.data, self.labels = self._read(path)

    @staticmethod
    def _read(path):
        mat = read_mat(path)
        if "X" not in mat or "y" not in mat:
            raise RuntimeError(f"{path}: expected variables 'X' and 'y', found "
                               f"{sorted(mat)}")
        x, y = mat["X"], mat["y"]
        if x.ndim != 4 or x.shape[:3] != (32, 32, 3) or y.size != x.shape[3]:
            raise RuntimeError(f"{path}: X {list(x.shape)} and y {list(y.shape)} are not SVHN's "
                               "(32, 32, 3, N) images and N labels")
        labels = y.astype(np.int64).reshape(-1)
        labels[labels == 10] = 0
        data = np.ascontiguousarray(np.transpose(x, (3, 2, 0, 1)).astype(np.uint8))
        return data, labels

    def download(self) -> None:
        """Fetch ``<split>_32x32.mat`` into ``root`` (MD5 checked) unless it is there."""
        path = os.path.join(self.root, self.filename)
        if os.path.exists(path):
            return
        try:
            S.download(self.url, path, ("md5", self.file_md5))
        except Exception as exc:  # noqa: BLE001 - no network, a bad mirror...
            raise RuntimeError(f"SVHN: could not download {self.url} ({exc}). Without a "
                               f"network, put {self.filename} into {self.root} and run "
                               "again") from None

    def __getitem__(self, index: int):
        from PIL import Image  # noqa: PLC0415

        img = Image.fromarray(np.transpose(self.data[index], (1, 2, 0)))
        target = int(self.labels[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        return f"Split: {self.split}"
