"""CIFAR-10 and CIFAR-100 from the python (pickled arrays) or binary batch files."""
from __future__ import annotations

import os

import numpy as np

from ..tensor import _wrap
from . import _sources as S
from .mnist import ImageDataset

__all__ = ["CIFAR10", "CIFAR100", "read_cifar_binary"]


def read_cifar_binary(path: str, label_bytes: int = 1):
    """Records of ``label_bytes`` label byte(s) then 3072 pixels (R, G, B planes of 32x32)."""
    with open(path, "rb") as f:
        raw = f.read()
    rec = label_bytes + 3072
    if not raw or len(raw) % rec:
        raise RuntimeError(f"{path}: {len(raw)} bytes is not a whole number of {rec}-byte CIFAR "
                           "records (truncated or corrupt)")
    a = np.frombuffer(raw, np.uint8).reshape(-1, rec)
    images = a[:, label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), a[:, label_bytes - 1].astype(np.int64)


class CIFAR10(ImageDataset):
    """CIFAR-10: 50,000 training and 10,000 test 32x32 colour images in 10 classes.

    Samples are ``(image, label)`` with the image a 32x32 PIL image (mode 'RGB') unless
    a ``transform`` says otherwise. Reads ``root/cifar-10-batches-py`` (pickled
    arrays, loaded without running any code) or ``root/cifar-10-batches-bin``;
    ``download=True`` fetches the official archive (md5 checked).
    """

    base_folder = "cifar-10-batches-py"
    bin_folder = "cifar-10-batches-bin"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    archive = ("cifar-10-python.tar.gz", ("md5", "c58f30108f718f92721af3b95e74349a"))
    train_list = [f"data_batch_{i}" for i in range(1, 6)]
    test_list = ["test_batch"]
    label_key = "labels"
    bin_label_bytes = 1
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
               "truck"]
    meta_file = ("batches.meta", "label_names", "batches.meta.txt")  # python, key, binary

    def __init__(self, root=None, train: bool = True, transform=None, target_transform=None,
                 download: bool = False):
        self.root = S.data_root(root)
        self.train, self.transform, self.target_transform = train, transform, target_transform
        try:
            images, labels = self._load(download)
        except RuntimeError as exc:
            if not download or not self._present(self.train_list if train else self.test_list):
                raise
            # A damaged batch file: keep the extracted folders aside (*.corrupt), check the
            # archive again and extract (or fetch) it anew.
            del exc
            self._set_aside_cache(self.root, ".corrupt", archive=False)
            images, labels = self._load(download)
        self.data = _wrap(images, False, None, 0)
        self.targets = _wrap(labels, False, None, 0)
        self.classes = self._class_names()
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

    def _class_names(self):
        """The class names of the set's meta file (python or binary version) when present,
        else the published list."""
        py = os.path.join(self.root, self.base_folder, self.meta_file[0])
        txt = os.path.join(self.root, self.bin_folder, self.meta_file[2])
        if os.path.exists(py):
            with open(py, "rb") as f:
                try:
                    d = S.load_arrays_pickle(f.read())
                except Exception as exc:  # noqa: BLE001
                    raise RuntimeError(f"{py}: not a CIFAR meta file ({exc})") from None
            names = d.get(self.meta_file[1], d.get(self.meta_file[1].encode()))
            if names is None:
                raise RuntimeError(f"{py}: no {self.meta_file[1]!r} entry")
            return [n.decode() if isinstance(n, bytes) else str(n) for n in names]
        if os.path.exists(txt):
            with open(txt, encoding="utf-8") as f:
                return [line.strip() for line in f if line.strip()]
        return list(type(self).classes)

    def _present(self, files):
        py = os.path.join(self.root, self.base_folder)
        binf = os.path.join(self.root, self.bin_folder)
        return all(os.path.exists(os.path.join(py, f)) for f in files) or \
            all(os.path.exists(os.path.join(binf, f + ".bin")) for f in files)

    def _load(self, download):
        files = self.train_list if self.train else self.test_list
        py = os.path.join(self.root, self.base_folder)
        binf = os.path.join(self.root, self.bin_folder)
        if not self._present(files):
            if not download:
                raise RuntimeError(f"{type(self).__name__}: dataset not found in {self.root}. "
                                   "You can use download=True to get it.")
            self._download()
        images, labels = [], []
        for f in files:
            if os.path.exists(os.path.join(py, f)):
                x, y = self._read_python(os.path.join(py, f))
            else:
                x, y = read_cifar_binary(os.path.join(binf, f + ".bin"), self.bin_label_bytes)
            images.append(x)
            labels.append(y)
        return np.concatenate(images), np.concatenate(labels)

    @classmethod
    def _set_aside_cache(cls, root=None, suffix=".old", archive=True):
        """Rename the extracted folders (and, with ``archive``, the downloaded archive) to
        ``<name><suffix>``, so the next load fetches them again; returns (old, new) pairs."""
        root = S.data_root(root)
        paths = [os.path.join(root, cls.base_folder), os.path.join(root, cls.bin_folder)]
        if archive:
            paths.append(os.path.join(root, "downloads", cls.archive[0]))
        return [(p, S.set_aside(p, suffix)) for p in paths if os.path.exists(p)]

    def _read_python(self, path):
        with open(path, "rb") as fh:
            raw = fh.read()
        try:
            d = S.load_arrays_pickle(raw)
        except Exception as exc:  # noqa: BLE001
            raise RuntimeError(f"{path}: not a CIFAR python batch ({exc})") from None
        d = {(k.decode() if isinstance(k, bytes) else k): v for k, v in d.items()}
        data = np.asarray(d["data"], dtype=np.uint8)
        if data.ndim != 2 or data.shape[1] != 3072:
            raise RuntimeError(f"{path}: expected data of shape (N, 3072), got {data.shape}")
        labels = np.asarray(d[self.label_key], dtype=np.int64)
        return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy(), labels

    def _download(self):
        S.fetch_archive(self.root, self.url, *self.archive, type(self).__name__,
                        self.base_folder)


class CIFAR100(CIFAR10):
    """CIFAR-100: like CIFAR-10 with 100 fine classes (``fine_labels``); ``classes`` are the
    fine label names (from the set's meta file when present)."""

    base_folder = "cifar-100-python"
    bin_folder = "cifar-100-binary"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    archive = ("cifar-100-python.tar.gz", ("md5", "eb9058c3a382ffc7106e4002c42a8d85"))
    train_list = ["train"]
    test_list = ["test"]
    label_key = "fine_labels"
    bin_label_bytes = 2
    meta_file = ("meta", "fine_label_names", "fine_label_names.txt")
    classes = [
        "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle",
        "bottle", "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle",
        "caterpillar", "cattle", "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch",
        "crab", "crocodile", "cup", "dinosaur", "dolphin", "elephant", "flatfish", "forest",
        "fox", "girl", "hamster", "house", "kangaroo", "keyboard", "lamp", "lawn_mower",
        "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain",
        "mouse", "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear",
        "pickup_truck", "pine_tree", "plain", "plate", "poppy", "porcupine", "possum", "rabbit",
        "raccoon", "ray", "road", "rocket", "rose", "sea", "seal", "shark", "shrew", "skunk",
        "skyscraper", "snail", "snake", "spider", "squirrel", "streetcar", "sunflower",
        "sweet_pepper", "table", "tank", "telephone", "television", "tiger", "tractor", "train",
        "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm"]
