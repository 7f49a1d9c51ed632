"""``ember.hub``: weight files by URL, in PyTorch's hub cache; never code from the internet.

``load_state_dict_from_url`` and ``download_url_to_file`` behave as PyTorch's: files live in
``get_dir()/checkpoints`` (``$TORCH_HOME/hub``, default ``~/.cache/torch/hub``), so a file
PyTorch or torchvision already downloaded is used as it is, offline. A missing file is
downloaded (progress bar, SHA-256 prefix check, written under a temporary name and moved into
place); without network, the error is one line naming what to download and where to put it.
The files are read by :func:`ember.load`, which runs no code from them.

``hub.load``, ``hub.list`` and ``hub.help`` are refused: they import a ``hubconf.py``
downloaded from a GitHub repository, that is, they run code from the internet.
"""
from __future__ import annotations

import errno
import hashlib
import os
import re
import sys
import tempfile
import urllib.error
import urllib.request
import uuid
import warnings
import zipfile
from urllib.parse import urlparse

from .datasets._sources import data_root as _data_root
from .serialization import load as _load

__all__ = ["download_url_to_file", "get_dir", "help", "list", "load",
           "load_state_dict_from_url", "set_dir"]

# matches bfd8deac in resnet18-bfd8deac.pth: the first digits of the file's SHA-256
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
ENV_TORCH_HOME = "TORCH_HOME"
ENV_XDG_CACHE_HOME = "XDG_CACHE_HOME"
DEFAULT_CACHE_DIR = "~/.cache"
READ_DATA_CHUNK = 128 * 1024
_hub_dir = None


class DownloadError(urllib.error.URLError):
    """A file that is not on this machine and cannot be downloaded (a ``URLError``, whose
    message says what to download and where to put it)."""

    def __init__(self, message: str, reason):
        super().__init__(reason)
        self.message = message

    def __str__(self):
        return self.message


def _get_torch_home() -> str:
    return os.path.expanduser(os.getenv(ENV_TORCH_HOME, os.path.join(
        os.getenv(ENV_XDG_CACHE_HOME, DEFAULT_CACHE_DIR), "torch")))


def get_dir() -> str:
    """The hub folder: the one :func:`set_dir` chose, else ``$TORCH_HOME/hub`` (``$TORCH_HOME``
    defaults to ``$XDG_CACHE_HOME/torch``, and that to ``~/.cache/torch``)."""
    if os.getenv("TORCH_HUB"):
        warnings.warn("TORCH_HUB is deprecated, please use env TORCH_HOME instead",
                      stacklevel=2)
    if _hub_dir is not None:
        return _hub_dir
    return os.path.join(_get_torch_home(), "hub")


def set_dir(d) -> None:
    """Use ``d`` as the hub folder (weights go to ``d/checkpoints``)."""
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


def ember_checkpoints_dir() -> str:
    """ember's own cache of weight files: ``$EMBER_DATA/checkpoints`` (default
    ``~/.cache/ember/checkpoints``), searched after PyTorch's hub cache."""
    return os.path.join(_data_root(), "checkpoints")


def _progress_bar(total, enabled):
    from tqdm import tqdm  # noqa: PLC0415 - only where a download happens

    return tqdm(total=total, disable=not enabled, unit="B", unit_scale=True, unit_divisor=1024)


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download_url_to_file(url: str, dst, hash_prefix: str | None = None,
                         progress: bool = True) -> None:
    """Download ``url`` to the path ``dst``: through a temporary file beside it, moved into
    place only when complete (and, with ``hash_prefix``, when its SHA-256 starts so)."""
    dst = os.path.expanduser(os.fspath(dst))
    for _ in range(tempfile.TMP_MAX):
        tmp = f"{dst}.{uuid.uuid4().hex}.partial"
        try:
            f = open(tmp, "xb")  # noqa: SIM115 - closed in the finally below
        except FileExistsError:
            continue
        break
    else:
        raise FileExistsError(errno.EEXIST, "No usable temporary file name found")
    try:
        req = urllib.request.Request(url, headers={"User-Agent": "ember.hub"})
        with urllib.request.urlopen(req) as u:
            lengths = u.info().get_all("Content-Length")
            size = int(lengths[0]) if lengths else None
            sha256 = hashlib.sha256() if hash_prefix is not None else None
            with _progress_bar(size, progress) as bar:
                while True:
                    chunk = u.read(READ_DATA_CHUNK)
                    if not chunk:
                        break
                    f.write(chunk)
                    if sha256 is not None:
                        sha256.update(chunk)
                    bar.update(len(chunk))
        f.close()
        if sha256 is not None:
            digest = sha256.hexdigest()
            if digest[:len(hash_prefix)] != hash_prefix:
                raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got '
                                   f'"{digest}")')
        os.replace(tmp, dst)
    finally:
        f.close()
        if os.path.exists(tmp):
            os.remove(tmp)


def cached_file(url: str, model_dir: str, file_name: str | None = None,
                check_hash: bool = False, progress: bool = True, verify_cached: bool = False,
                also_in=(), what: str = "") -> str:
    """The path of ``url``'s file: found in ``model_dir`` (then in the folders ``also_in``),
    else downloaded into ``model_dir``. ``check_hash`` checks the SHA-256 prefix in the file
    name on download (and, with ``verify_cached``, of a file found). Without network: a
    :class:`DownloadError` naming the file and where to put it."""
    filename = file_name if file_name is not None else os.path.basename(urlparse(url).path)
    hash_prefix = None
    if check_hash:
        r = HASH_REGEX.search(filename)
        hash_prefix = r.group(1) if r else None
    for folder in (model_dir, *also_in):
        path = os.path.join(folder, filename)
        if os.path.exists(path):
            if verify_cached and hash_prefix:
                digest = file_sha256(path)
                if not digest.startswith(hash_prefix):
                    raise RuntimeError(f"{path}: SHA-256 {digest[:16]}... does not start with "
                                       f"{hash_prefix} as its name says: the file is corrupt "
                                       f"or not the published one; delete it to download it "
                                       f"again from {url}")
            return path
    path = os.path.join(model_dir, filename)
    try:
        os.makedirs(model_dir, exist_ok=True)
        sys.stdout.write(f'Downloading: "{url}" to {path}\n')
        download_url_to_file(url, path, hash_prefix, progress=progress)
    except urllib.error.URLError as exc:
        if isinstance(exc, DownloadError):
            raise
        where = " or ".join([path] + [os.path.join(d, filename) for d in also_in])
        raise DownloadError(f"{what or url}: {filename} is not on this machine and cannot be "
                            f"downloaded ({getattr(exc, 'reason', exc)}); download {url} and "
                            f"put it at {where}", exc.reason) from None
    return path


def _legacy_zip_member(path: str):
    """The single file of a hub zip made by hand (PyTorch < 1.6), read in memory (never
    extracted: its name cannot place a file anywhere), or None for another file."""
    if not zipfile.is_zipfile(path):
        return None
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        if len(infos) != 1 or infos[0].is_dir() or any(
                n.startswith("archive/") or n.endswith("data.pkl") for n in zf.namelist()):
            return None
        info = infos[0]
        if info.compress_type != zipfile.ZIP_STORED and \
                info.file_size > 100 * max(info.compress_size, 1):
            raise RuntimeError(f"{path}: its member {info.filename!r} would expand "
                               f"{info.file_size // max(info.compress_size, 1)} times (a zip "
                               "bomb?); refusing it")
        with zf.open(info) as member:
            return bytearray(member.read(info.file_size + 1)[:info.file_size])


def load_state_dict_from_url(url: str, model_dir=None, map_location=None, progress: bool = True,
                             check_hash: bool = False, file_name: str | None = None,
                             weights_only: bool = False):
    """Load the object saved at ``url`` with :func:`ember.load`, downloading it once into
    ``model_dir`` (default ``get_dir()/checkpoints``) -- offline when it is there.

    ``check_hash``: the downloaded file's SHA-256 must start with the digits after the last
    ``-`` of its name (``resnet18-f37072fd.pth``). ``file_name``: the cached file's name
    (default: the URL's). ``map_location`` and ``weights_only`` are :func:`ember.load`'s.
    """
    if os.getenv("TORCH_MODEL_ZOO"):
        warnings.warn("TORCH_MODEL_ZOO is deprecated, please use env TORCH_HOME instead",
                      stacklevel=2)
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    path = cached_file(url, os.fspath(model_dir), file_name, check_hash, progress)
    member = _legacy_zip_member(path)
    if member is not None:
        import io  # noqa: PLC0415

        buf = io.BytesIO(member)
        buf.name = path
        return _load(buf, map_location=map_location, weights_only=weights_only)
    return _load(path, map_location=map_location, weights_only=weights_only)


_REFUSED = ("ember.hub.{0}({1!r}) is not supported: it downloads a GitHub repository and runs "
            "its hubconf.py, that is, code from the internet, and ember never runs code from a "
            "download. Build the model in your program (ember.vision.models has torchvision's "
            "builders) and load its weights with ember.hub.load_state_dict_from_url(url)")


def load(repo_or_dir, model, *args, source="github", trust_repo="check", force_reload=False,
         verbose=True, skip_validation=False, **kwargs):
    """Refused: PyTorch's ``hub.load`` runs a repository's ``hubconf.py``."""
    raise NotImplementedError(_REFUSED.format("load", repo_or_dir))


def list(github, force_reload=False, skip_validation=False, trust_repo="check",  # noqa: A001
         verbose=True):
    """Refused: PyTorch's ``hub.list`` runs a repository's ``hubconf.py``."""
    raise NotImplementedError(_REFUSED.format("list", github))


def help(github, model, force_reload=False, skip_validation=False,  # noqa: A001
         trust_repo="check"):
    """Refused: PyTorch's ``hub.help`` runs a repository's ``hubconf.py``."""
    raise NotImplementedError(_REFUSED.format("help", github))
