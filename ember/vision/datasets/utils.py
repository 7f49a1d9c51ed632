"""Download and archive helpers, as ``torchvision.datasets.utils``.

Downloads go through a temporary file and a rename, and an archive is extracted through a
temporary folder, so an interrupted run never leaves a half-written file or folder behind.
Without a network the error names the file and the folder to put it in.
"""
from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
import os
import pathlib

from ...datasets import _sources as S

__all__ = ["calculate_md5", "check_md5", "check_integrity", "download_url", "list_dir",
           "list_files", "extract_archive", "download_and_extract_archive", "iterable_to_str",
           "verify_str_arg"]


def calculate_md5(fpath, chunk_size: int = 1024 * 1024) -> str:
    """The MD5 hex digest of the file at ``fpath``, read ``chunk_size`` bytes at a time."""
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath, md5: str, **kwargs) -> bool:
    """Whether the file's MD5 is ``md5`` (``kwargs`` go to :func:`calculate_md5`)."""
    return md5 == calculate_md5(fpath, **kwargs)


def check_integrity(fpath, md5=None) -> bool:
    """Whether ``fpath`` is a file and, when ``md5`` is given, has that MD5."""
    if not os.path.isfile(fpath):
        return False
    return md5 is None or check_md5(fpath, md5)


def download_url(url: str, root, filename=None, md5=None, max_redirect_hops: int = 3) -> None:
    """Download ``url`` into ``root/filename`` (``filename`` defaults to the URL's last part)
    unless a file with that MD5 is there already. At most ``max_redirect_hops`` redirects
    are followed; a download whose MD5 differs from ``md5`` is a ``RuntimeError`` and
    leaves nothing behind. Google Drive links are not followed (ember does not download
    from Google Drive): the error says where to put the file."""
    root = os.path.expanduser(root)
    filename = filename or os.path.basename(url)
    fpath = os.fspath(os.path.join(root, filename))
    os.makedirs(root, exist_ok=True)
    if check_integrity(fpath, md5):
        return
    if "drive.google.com" in url or "docs.google.com" in url:
        raise RuntimeError(f"download_url: ember does not download from Google Drive ({url}); "
                           f"put {filename} into {root} and run again")
    try:
        S.download(url, fpath, None if md5 is None else ("md5", md5),
                   max_redirects=max_redirect_hops)
    except Exception as exc:  # noqa: BLE001 - no network, a bad mirror, a checksum mismatch
        raise RuntimeError(f"could not download {url} ({exc}); without a network, put "
                           f"{filename} into {root} and run again") from None


def list_dir(root, prefix: bool = False) -> list:
    """The folders directly inside ``root`` (full paths with ``prefix``)."""
    root = os.path.expanduser(root)
    names = [p for p in os.listdir(root) if os.path.isdir(os.path.join(root, p))]
    return [os.path.join(root, d) for d in names] if prefix is True else names


def list_files(root, suffix, prefix: bool = False) -> list:
    """The files directly inside ``root`` whose names end with ``suffix`` (a string or a
    tuple), full paths with ``prefix``."""
    root = os.path.expanduser(root)
    names = [p for p in os.listdir(root)
             if os.path.isfile(os.path.join(root, p)) and p.endswith(suffix)]
    return [os.path.join(root, d) for d in names] if prefix is True else names


_ARCHIVES = {".tar": "", ".zip": "zip"}
_COMPRESSIONS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
_ALIASES = {".tgz": (".tar", ".gz"), ".tbz": (".tar", ".bz2"), ".tbz2": (".tar", ".bz2")}


def _file_type(path):
    """``(suffix, archive type, compression)`` from the file name, as torchvision reads it."""
    suffixes = pathlib.Path(path).suffixes
    if not suffixes:
        raise RuntimeError(f"File '{path}' has no suffixes that could be used to detect the "
                           "archive type and compression.")
    suffix = suffixes[-1]
    if suffix in _ALIASES:
        return (suffix,) + _ALIASES[suffix]
    if suffix in _ARCHIVES:
        return suffix, suffix, None
    if suffix in _COMPRESSIONS:
        if len(suffixes) > 1 and suffixes[-2] in _ARCHIVES:
            return suffixes[-2] + suffix, suffixes[-2], suffix
        return suffix, None, suffix
    known = sorted(set(_ALIASES) | set(_ARCHIVES) | set(_COMPRESSIONS))
    raise RuntimeError(f"Unknown compression or archive type: '{suffix}'.\nKnown suffixes are: "
                       f"'{known}'.")


def extract_archive(from_path, to_path=None, remove_finished: bool = False):
    """Extract a ``.tar``/``.zip`` archive (optionally ``.gz``/``.bz2``/``.xz`` compressed,
    ``.tgz`` etc.) into ``to_path`` (default: the archive's folder), or decompress a single
    compressed file there. Entries cannot land outside ``to_path`` (tar members are
    extracted with the ``data`` filter). ``remove_finished`` deletes the archive after.
    Returns ``to_path`` (or the decompressed file), a ``pathlib.Path`` when ``from_path``
    is one."""
    def same_kind(p):
        return p if not isinstance(from_path, str) else os.fspath(p)

    if to_path is None:
        to_path = os.path.dirname(from_path)
    suffix, archive, compression = _file_type(from_path)
    if archive is None:  # a single compressed file
        out = os.path.join(to_path, os.path.basename(from_path).replace(suffix, ""))
        with _COMPRESSIONS[compression](from_path, "rb") as f:
            try:
                data = f.read()
            except (OSError, EOFError, lzma.LZMAError) as exc:
                raise RuntimeError(f"{from_path}: cannot decompress ({exc}); the file is "
                                   "corrupt or truncated") from None
        S.atomic_write(out, data)
        result = pathlib.Path(out)
    else:
        kind = _ARCHIVES[archive] or (compression or "")[1:]
        S.extract_into(os.fspath(from_path), os.fspath(to_path), kind)
        result = pathlib.Path(to_path)
    if remove_finished:
        os.remove(from_path)
    return same_kind(result)


def download_and_extract_archive(url: str, download_root, extract_root=None, filename=None,
                                 md5=None, remove_finished: bool = False) -> None:
    """:func:`download_url` into ``download_root`` then :func:`extract_archive` into
    ``extract_root`` (default: ``download_root``)."""
    download_root = os.path.expanduser(download_root)
    if extract_root is None:
        extract_root = download_root
    filename = filename or os.path.basename(url)
    download_url(url, download_root, filename, md5)
    extract_archive(os.path.join(download_root, filename), extract_root, remove_finished)


def iterable_to_str(iterable) -> str:
    return "'" + "', '".join(str(item) for item in iterable) + "'"


def verify_str_arg(value, arg=None, valid_values=None, custom_msg=None):
    """``value`` when it is a string among ``valid_values`` (any string when None), else a
    ``ValueError`` naming ``arg`` and the valid values (or saying ``custom_msg``)."""
    if not isinstance(value, str):
        where = "" if arg is None else f" for argument {arg}"
        raise ValueError(f"Expected type str{where}, but got type {type(value)}.")
    if valid_values is None or value in valid_values:
        return value
    if custom_msg is not None:
        raise ValueError(custom_msg)
    raise ValueError(f"Unknown value '{value}' for argument {arg}. Valid values are "
                     f"{{{iterable_to_str(valid_values)}}}.")
