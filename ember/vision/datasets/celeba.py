"""CelebA (aligned and cropped faces with attributes), as ``torchvision.datasets.CelebA``."""
from __future__ import annotations

import csv
import os
from collections import namedtuple

import numpy as np

from ...datasets import _sources as S
from ...tensor import _wrap
from .utils import verify_str_arg
from .vision import VisionDataset

__all__ = ["CelebA"]

CSV = namedtuple("CSV", ["header", "index", "data"])


class CelebA(VisionDataset):
    """CelebA: 202,599 aligned and cropped 178x218 face images with 40 binary attributes,
    identities, boxes and landmarks.

    Args:
        root: the folder holding ``celeba/`` (default ``$EMBER_DATA``, else
            ``~/.cache/ember``).
        split: ``'train'``, ``'valid'``, ``'test'`` or ``'all'``.
        target_type: ``'attr'`` (int64 (40,) of 0/1), ``'identity'`` (int), ``'bbox'``
            (int64 (4,): x, y, width, height on the uncropped images) or ``'landmarks'``
            (int64 (10,)), or a list of them (the target is then a tuple); an empty list
            gives ``None``.
        transform, target_transform: applied to the PIL image and to the target.
        download: CelebA is published on Google Drive, from which ember does not download:
            with ``download=True`` an ``img_align_celeba.zip`` already in ``root/celeba``
            is extracted, and missing files are an error that says where to put them.

    The text files are checked by parsing (every row an image name and integers, every file
    the same images), not by MD5.
    """

    base_folder = "celeba"
    file_list = [  # (Google Drive id, MD5, name), as torchvision lists them
        ("0B7EVK8r0v71pZjFTYXZWM3FlRnM", "00d2c5bc6d35e252742224ab0c1e8fcb",
         "img_align_celeba.zip"),
        ("0B7EVK8r0v71pblRyaVFSWGxPY0U", "75e246fa4810816ffd6ee81facbd244c",
         "list_attr_celeba.txt"),
        ("1_ee_0u7vcNLOfNLegJRHmolfH5ICW-XS", "32bd1bd63d3c78cd57e08160ec5ed1e2",
         "identity_CelebA.txt"),
        ("0B7EVK8r0v71pbThiMVRxWXZ4dU0", "00566efa6fedff7a56946cd1c10f1c16",
         "list_bbox_celeba.txt"),
        ("0B7EVK8r0v71pd0FJY3Blby1HUTQ", "cc24ecafdb5b50baae59b03474781f8c",
         "list_landmarks_align_celeba.txt"),
        ("0B7EVK8r0v71pY0NSMzRuSXJEVkk", "d32c9cbf5e040fd4025c592c306e6668",
         "list_eval_partition.txt"),
    ]

    def __init__(self, root=None, split: str = "train", target_type="attr", transform=None,
                 target_transform=None, download: bool = False):
        super().__init__(S.data_root(root), transform=transform,
                         target_transform=target_transform)
        self.split = split
        self.target_type = list(target_type) if isinstance(target_type, list) else [target_type]
        if not self.target_type and self.target_transform is not None:
            raise RuntimeError("target_transform is specified but target_type is empty")
        if download:
            self.download()
        missing = self._missing()
        if missing:
            raise RuntimeError(f"CelebA: {', '.join(missing)} not found in {self._folder()}. "
                               "ember does not download from Google Drive: put the files "
                               "there (img_align_celeba.zip is extracted with download=True)")
        split_ = {"train": 0, "valid": 1, "test": 2, "all": None}[verify_str_arg(
            split.lower() if isinstance(split, str) else split, "split",
            ("train", "valid", "test", "all"))]
        splits = self._load_csv("list_eval_partition.txt")
        identity = self._load_csv("identity_CelebA.txt")
        bbox = self._load_csv("list_bbox_celeba.txt", header=1)
        landmarks_align = self._load_csv("list_landmarks_align_celeba.txt", header=1)
        attr = self._load_csv("list_attr_celeba.txt", header=1)
        for name, table in (("identity_CelebA.txt", identity), ("list_bbox_celeba.txt", bbox),
                            ("list_landmarks_align_celeba.txt", landmarks_align),
                            ("list_attr_celeba.txt", attr)):
            if table.index != splits.index:
                raise RuntimeError(f"{os.path.join(self._folder(), name)}: its images are not "
                                   "those of list_eval_partition.txt (corrupt or mismatched "
                                   "files)")
        if split_ is None:
            mask = np.ones(len(splits.index), dtype=bool)
            self.filename = splits.index
        else:
            mask = splits.data[:, 0] == split_
            self.filename = [name for name, keep in zip(splits.index, mask) if keep]

        def tensor(a):
            return _wrap(np.ascontiguousarray(a[mask]), False, None, 0)

        self.identity = tensor(identity.data)
        self.bbox = tensor(bbox.data)
        self.landmarks_align = tensor(landmarks_align.data)
        self.attr = tensor((attr.data + 1) // 2)  # {-1, 1} -> {0, 1}
        self.attr_names = attr.header

    def _folder(self):
        return os.path.join(self.root, self.base_folder)

    def _missing(self):
        folder = self._folder()
        out = [name for _, _, name in self.file_list[1:]
               if not os.path.isfile(os.path.join(folder, name))]
        if not os.path.isdir(os.path.join(folder, "img_align_celeba")):
            out.insert(0, "img_align_celeba/")
        return out

    def _load_csv(self, filename, header=None):
        path = os.path.join(self._folder(), filename)
        with open(path) as f:
            rows = list(csv.reader(f, delimiter=" ", skipinitialspace=True))
        headers = []
        if header is not None:
            headers = rows[header]
            rows = rows[header + 1:]
        try:
            data = np.array([[int(v) for v in row[1:]] for row in rows], dtype=np.int64)
        except ValueError as exc:
            raise RuntimeError(f"{path}: not a CelebA table of integers ({exc})") from None
        if data.ndim != 2:
            raise RuntimeError(f"{path}: rows of different lengths (corrupt file)")
        return CSV(headers, [row[0] for row in rows], data)

    def download(self) -> None:
        """Extract ``img_align_celeba.zip`` (MD5 checked) when its folder is missing; ember
        does not fetch from Google Drive."""
        folder = self._folder()
        if os.path.isdir(os.path.join(folder, "img_align_celeba")):
            return
        _, md5, name = self.file_list[0]
        archive = os.path.join(folder, name)
        if os.path.isfile(archive):
            S.check_file(archive, ("md5", md5))
            S.extract_into(archive, folder, "zip")

    def __getitem__(self, index: int):
        from PIL import Image  # noqa: PLC0415

        X = Image.open(os.path.join(self._folder(), "img_align_celeba", self.filename[index]))
        target = []
        for t in self.target_type:
            if t == "attr":
                target.append(self.attr[index, :])
            elif t == "identity":
                target.append(self.identity[index, 0])
            elif t == "bbox":
                target.append(self.bbox[index, :])
            elif t == "landmarks":
                target.append(self.landmarks_align[index, :])
            else:
                raise ValueError(f'Target type "{t}" is not recognized.')
        if self.transform is not None:
            X = self.transform(X)
        if target:
            target = tuple(target) if len(target) > 1 else target[0]
            if self.target_transform is not None:
                target = self.target_transform(target)
        else:
            target = None
        return X, target

    def __len__(self) -> int:
        return len(self.attr)

    def extra_repr(self) -> str:
        return f"Target type: {self.target_type}\nSplit: {self.split}"
