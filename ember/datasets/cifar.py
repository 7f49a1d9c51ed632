"""CIFAR-10 and CIFAR-100 from the python (pickled arrays) or binary batch files."""
from __future__ import annotations

import os
import shutil
import tarfile
import tempfile

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
        dl = os.path.join(self.root, "downloads")
        name, checksum = self.archive
        path = os.path.join(dl, name)
        if os.path.exists(path):
            try:
                S.check_file(path, checksum)
            except RuntimeError:
                S.set_aside(path, ".corrupt")
        if not os.path.exists(path):
            try:
                S.download(self.url, path, checksum)
            except Exception as exc:  # noqa: BLE001 - no network, a bad mirror...
                kind = S.SourceMissing if S.is_network_error(exc) else RuntimeError
                why = "there is no network: " if kind is S.SourceMissing else ""
                raise kind(
                    f"{type(self).__name__} is not in the cache ({self.root}) and could not "
                    f"download {self.url} ({why}{exc}). CIFAR has no offline source: put "
                    f"{name} into {dl} (or its extracted {self.base_folder} folder into "
                    f"{self.root}) and run again") from None
        # Extract into a temporary folder, give the files the usual mode, then rename it:
        # an interrupted extraction leaves no half folder behind.
        tmp = tempfile.mkdtemp(dir=self.root, prefix=".extract-")
        try:
            with tarfile.open(path, "r:gz") as tar:
                try:
                    tar.extractall(tmp, filter="data")
                except TypeError:  # Python without extraction filters
                    tar.extractall(tmp)
            for top in os.listdir(tmp):
                for folder, _, names in os.walk(os.path.join(tmp, top)):
                    os.chmod(folder, 0o777 & ~S.umask())
                    for n in names:
                        S._usual_mode(os.path.join(folder, n))
                dest = os.path.join(self.root, top)
                if os.path.exists(dest):
                    S.set_aside(dest, ".old")
                os.replace(os.path.join(tmp, top), dest)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)



class CIFAR100(CIFAR10):
    """CIFAR-100: like CIFAR-10 with 100 fine classes (``fine_labels``)."""

    base_folder = "cifar-100-python"
    bin_folder = "cifar-100-binary"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    archive = ("cifar-100-python.tar.gz", ("md5", "eb9058c3a382ffc7106e4002c42a8d85"))
    train_list = ["train"]
    test_list = ["test"]
    label_key = "fine_labels"
    bin_label_bytes = 2
