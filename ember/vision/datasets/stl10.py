"""STL-10 from its binary files, as ``torchvision.datasets.STL10``."""
from __future__ import annotations

import os

import numpy as np

from ...datasets import _sources as S
from .utils import verify_str_arg
from .vision import VisionDataset

__all__ = ["STL10"]

_IMAGE_BYTES = 3 * 96 * 96


class STL10(VisionDataset):
    """STL-10: 96x96 colour images in 10 classes — 5,000 labelled training images (in 10
    predefined folds of 1,000), 8,000 test images and 100,000 unlabelled ones.

    Args:
        root: the folder holding ``stl10_binary`` (default ``$EMBER_DATA``, else
            ``~/.cache/ember``).
        split: ``'train'``, ``'test'``, ``'unlabeled'`` or ``'train+unlabeled'``
            (unlabelled images get the label -1).
        folds: 0-9 to keep one of the 10 training folds (``fold_indices.txt``), or None.
        transform, target_transform: applied to the PIL image and to the int label.
        download: fetch and extract the official archive (MD5 checked) when files are
            missing.

    ``data`` is a uint8 array (N, 3, 96, 96) and ``labels`` an array (N,) of class indices
    (uint8; int64 with -1 for the unlabelled images), as torchvision's; ``classes`` come from
    ``class_names.txt``.
    """

    base_folder = "stl10_binary"
    url = "http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz"
    filename = "stl10_binary.tar.gz"
    tgz_md5 = "91f7769df0f17e558f3565bffb0c7dfb"
    class_names_file = "class_names.txt"
    folds_list_file = "fold_indices.txt"
    train_list = [["train_X.bin", "918c2871b30a85fa023e0c44e0bee87f"],
                  ["train_y.bin", "5a34089d4802c674881badbb80307741"],
                  ["unlabeled_X.bin", "5242ba1fed5e4be9e1e742405eb56ca4"]]
    test_list = [["test_X.bin", "7f263ba9f9e0b06b93213547f721ac82"],
                 ["test_y.bin", "36f9794fa4beb8a2c72628de14fa638e"]]
    splits = ("train", "train+unlabeled", "unlabeled", "test")

    def __init__(self, root=None, split: str = "train", folds=None, transform=None,
                 target_transform=None, download: bool = False):
        super().__init__(S.data_root(root), transform=transform,
                         target_transform=target_transform)
        self.split = verify_str_arg(split, "split", self.splits)
        self.folds = self._verify_folds(folds)
        needed = self._needed_files()
        folder = os.path.join(self.root, self.base_folder)
        if not all(os.path.exists(os.path.join(folder, f)) for f in needed):
            if not download:
                raise RuntimeError(f"STL10: {', '.join(needed)} not found in {folder}. You can "
                                   "use download=True to get them, or put "
                                   f"{self.filename} into {os.path.join(self.root, 'downloads')}"
                                   f" (or its extracted {self.base_folder} folder into "
                                   f"{self.root})")
            self.download()
        try:
            self._load()
        except RuntimeError as exc:
            if not download:
                raise RuntimeError(f"{exc}. download=True extracts the archive again") from None
            S.set_aside(folder, ".corrupt")  # kept, not deleted
            self.download()
            self._load()
        class_file = os.path.join(folder, self.class_names_file)
        if os.path.isfile(class_file):
            with open(class_file) as f:
                self.classes = f.read().splitlines()

    def _needed_files(self):
        if self.split == "test":
            return [self.test_list[0][0], self.test_list[1][0]]
        names = {"train": [0, 1], "unlabeled": [2], "train+unlabeled": [0, 1, 2]}[self.split]
        return [self.train_list[i][0] for i in names]

    def _load(self):
        x_train, y_train, x_unlab = (self.train_list[i][0] for i in range(3))
        if self.split == "test":
            self.data, self.labels = self._loadfile(self.test_list[0][0], self.test_list[1][0])
        elif self.split == "unlabeled":
            self.data, _ = self._loadfile(x_unlab)
            self.labels = np.full(self.data.shape[0], -1, dtype=np.int64)
        else:
            self.data, self.labels = self._loadfile(x_train, y_train)
            self._load_folds(self.folds)
            if self.split == "train+unlabeled":
                extra, _ = self._loadfile(x_unlab)
                self.data = np.concatenate((self.data, extra))
                self.labels = np.concatenate((self.labels,
                                              np.full(extra.shape[0], -1, dtype=np.int64)))

    @staticmethod
    def _verify_folds(folds):
        if folds is None:
            return folds
        if isinstance(folds, int):
            if folds in range(10):
                return folds
            raise ValueError(f"Value for argument folds should be in the range [0, 10), but "
                             f"got {folds}.")
        raise ValueError(f"Expected type None or int for argument folds, but got type "
                         f"{type(folds)}.")

    def _loadfile(self, data_file, labels_file=None):
        folder = os.path.join(self.root, self.base_folder)
        labels = None
        if labels_file:
            path = os.path.join(folder, labels_file)
            raw = np.fromfile(path, dtype=np.uint8)
            if raw.size and (raw.min() < 1 or raw.max() > 10):
                raise RuntimeError(f"{path}: labels outside 1..10 (corrupt file)")
            labels = raw - 1  # 0-based (uint8, as torchvision's)
        path = os.path.join(folder, data_file)
        everything = np.fromfile(path, dtype=np.uint8)
        if everything.size % _IMAGE_BYTES:
            raise RuntimeError(f"{path}: {everything.size} bytes is not a whole number of "
                               f"{_IMAGE_BYTES}-byte STL-10 images (truncated or corrupt)")
        images = np.transpose(everything.reshape(-1, 3, 96, 96), (0, 1, 3, 2))  # column-major
        if labels is not None and labels.shape[0] != images.shape[0]:
            raise RuntimeError(f"{os.path.join(folder, labels_file)}: {labels.shape[0]} labels "
                               f"for {images.shape[0]} images in {data_file}")
        return images, labels

    def _load_folds(self, folds):
        if folds is None:
            return
        path = os.path.join(self.root, self.base_folder, self.folds_list_file)
        with open(path) as f:
            lines = f.read().splitlines()
        if len(lines) <= folds:
            raise RuntimeError(f"{path}: {len(lines)} folds, fold {folds} asked for")
        idx = np.array(lines[folds].split(), dtype=np.int64)
        self.data = self.data[idx]
        self.labels = self.labels[idx]

    def download(self) -> None:
        """Fetch ``stl10_binary.tar.gz`` into ``<root>/downloads`` (MD5 checked) and extract it
        into ``root``, unless the split's files are there."""
        folder = os.path.join(self.root, self.base_folder)
        if all(os.path.exists(os.path.join(folder, f)) for f in self._needed_files()):
            return
        S.fetch_archive(self.root, self.url, self.filename, ("md5", self.tgz_md5), "STL10",
                        self.base_folder)

    def __getitem__(self, index: int):
        from PIL import Image  # noqa: PLC0415

        img = Image.fromarray(np.transpose(self.data[index], (1, 2, 0)))
        target = int(self.labels[index]) if self.labels is not None else None
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return self.data.shape[0]

    def extra_repr(self) -> str:
        return f"Split: {self.split}"
