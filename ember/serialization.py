"""``ember.save`` / ``ember.load``: safetensors files written, PyTorch's files read; no pickle.

``ember.save`` writes a standard safetensors file: an 8-byte little-endian header length, a
JSON header naming each tensor's dtype, shape and byte range, then the raw bytes. A flat state
dict is stored under its own keys, so ``safetensors.torch.load_file`` reads an ember
checkpoint directly (and ember reads PyTorch's). Anything else -- nested containers, whole
modules, optimizers, objects of allowed classes -- keeps its structure in the header's
``__metadata__['ember']`` as JSON, with tensors referenced by key.

``ember.load`` also reads the files ``torch.save`` writes (its zip archive, the legacy stream
and the older tar archive) with ember's own interpreter of the pickle opcodes, which knows a
fixed list of globals and calls none of them: a file from a stranger cannot run code,
whichever format it is in. Classes a file names are ember's own, or those allowed with
:class:`safe_globals` / :func:`add_safe_globals` (PyTorch's API).

Writes are atomic: a temporary file in the same folder, flushed and fsynced, then renamed
over the target, so a crash mid-save leaves the old file intact.
"""
from __future__ import annotations

import json
import mmap as _mmap
import os
from collections import OrderedDict

import numpy as np

from . import backend
from ._serialization.allow import (add_safe_globals, clear_safe_globals, get_safe_globals,
                                   safe_globals)
from ._serialization.ember_format import decode as _decode
from ._serialization.ember_format import parse_safetensors as _parse_safetensors
from ._serialization.ember_format import serialize as _serialize
from ._serialization.torch_files import read_torch_file as _read_torch_file
from ._serialization.torch_files import torch_format as _torch_format
from .tensor import Tensor, _wrap

__all__ = ["save", "load", "safe_globals", "add_safe_globals", "get_safe_globals",
           "clear_safe_globals"]


def save(obj, f) -> None:
    """Store ``obj``: a tensor, a state dict, nested containers of tensors and plain values,
    a whole Module, an optimizer, or objects of importable classes (described, never
    pickled: a lambda, a closure or an open file in them makes saving fail, naming where).

    ``f`` is a path (written atomically) or a binary file object.
    """
    payload = _serialize(obj)
    if hasattr(f, "write"):
        f.write(payload)
        return
    atomic_write_bytes(f, payload)


def atomic_write_bytes(path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` through a temporary file in the same folder (flushed,
    fsynced, renamed): readers see the old file or the new one, never a part."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as out:
            _write_all(out, payload)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.remove(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError) and exc.errno is not None and \
                exc.filename in (None, tmp):
            # (name the file asked for, not the hidden temporary the error arose on)
            raise OSError(exc.errno, exc.strerror or os.strerror(exc.errno), path) from None
        raise
    try:
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def _write_all(out, payload: bytes, chunk: int = 1 << 24):
    view = memoryview(payload)
    for start in range(0, len(view), chunk):
        out.write(view[start:start + chunk])


# ---------------------------------------------------------------------------- loading

_PICKLE_ARGS = ("encoding", "errors", "fix_imports")


def _read(f, use_mmap):
    """``(buffer, name)``: the file's bytes (writable, so tensors can be views of them), or a
    private copy-on-write map of it with ``mmap``."""
    if hasattr(f, "read"):
        if use_mmap:
            raise ValueError("f must be a file path in order to use the mmap argument")
        data = f.read()
        where = getattr(f, "name", "<file object>")
        if isinstance(data, str):
            raise RuntimeError(f"ember.load({where}): expected a binary file")
        return bytearray(data), str(where)
    where = os.fspath(f)
    try:
        with open(where, "rb") as fh:
            if use_mmap:
                size = os.fstat(fh.fileno()).st_size
                return (_mmap.mmap(fh.fileno(), 0, access=_mmap.ACCESS_COPY) if size else
                        bytearray()), str(where)
            buf = np.empty(os.fstat(fh.fileno()).st_size, np.uint8)  # (not zero-filled)
            n = fh.readinto(memoryview(buf))
            return memoryview(buf)[:n], str(where)
    except FileNotFoundError:
        raise FileNotFoundError(f"ember.load: no such file: '{where}'") from None


def _check_map_location(map_location):
    if map_location is None or callable(map_location) or isinstance(
            map_location, (str, dict, backend.device, int)):
        return
    raise TypeError(f"ember.load(): map_location should be a string, a device, a dict or a "
                    f"callable, got {type(map_location).__name__}")


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Read a file written by :func:`save`, by ``safetensors``, or by ``torch.save``.

    ``map_location``: where the tensors go -- a device (or string), a dict mapping the saved
    location (``'cpu'``, ``'cuda:0'``...) to another, or PyTorch's callable
    ``(storage, location) -> storage`` (here the storage is a 1-D tensor). ``weights_only``
    (default True, as PyTorch 2.6+): classes a file names must be ember's own or allowed with
    :class:`safe_globals`; with False, classes and functions of modules already imported may
    be named too (still created empty and filled in, never called). ``mmap``: map the file
    instead of reading it (tensors are copy-on-write views of the map). ``encoding`` and
    ``errors`` decode Python 2 strings in old PyTorch files. A pickle is never run: ember
    interprets PyTorch's pickles itself and refuses every global outside its list.
    """
    if pickle_module is not None:
        raise NotImplementedError("ember.load(pickle_module=...): ember never unpickles with a "
                                  "pickle module; it reads PyTorch's pickles with its own "
                                  "interpreter (leave pickle_module out)")
    unknown = sorted(set(pickle_load_args) - set(_PICKLE_ARGS))
    if unknown:
        raise TypeError(f"ember.load() got unexpected keyword arguments {unknown}")
    if not pickle_load_args.get("fix_imports", True):
        raise NotImplementedError("ember.load(fix_imports=False): Python 2 module names are "
                                  "always mapped to Python 3's")
    _check_map_location(map_location)
    weights_only = True if weights_only is None else bool(weights_only)
    buf, where = _read(f, bool(mmap))
    try:
        arrays, meta = _parse_safetensors(buf, where)
    except RuntimeError as not_safetensors:
        fmt = _torch_format(buf)
        if fmt is None:
            if _looks_pickled(buf):
                raise RuntimeError(
                    f"ember.load({where}): a pickle without torch.save's magic number: not a "
                    "file written by torch.save or ember.save (ember reads pickles only as "
                    "parts of PyTorch's file formats, and never with Python's unpickler)"
                ) from None
            raise not_safetensors from None
        if mmap and fmt != "zip":
            raise RuntimeError(f"ember.load({where}): mmap can only be used with files saved "
                               "with torch.save(_use_new_zipfile_serialization=True) (this is "
                               f"the {fmt} format)")
        return _read_torch_file(buf, fmt, where, map_location=map_location,
                               weights_only=weights_only,
                               encoding=pickle_load_args.get("encoding", "utf-8"),
                               errors=pickle_load_args.get("errors", "strict"))
    return _ember_file(arrays, meta, where, map_location, weights_only)


def _looks_pickled(data) -> bool:
    """A pickle of protocol 2-5 (``\\x80`` then the protocol)."""
    return data[:1] == b"\x80" and bytes(data[1:2]) in (b"\x02", b"\x03", b"\x04", b"\x05")


def _ember_file(arrays, meta, where, map_location, weights_only):
    """The object of an ember (or plain safetensors) file; its tensors' location is 'cpu'."""
    if isinstance(map_location, dict):
        map_location = map_location.get("cpu", "cpu")
    dev = backend.as_device(map_location) if map_location is not None and not callable(
        map_location) else None
    if dev is not None and dev.type not in ("cpu", "cuda"):
        raise RuntimeError(f"ember.load({where}): ember has no '{dev.type}' device; pass "
                           "map_location='cpu'")
    tensors = {}
    for k, a in arrays.items():
        if dev is not None and dev.type != "cpu":
            a = backend.to_device(a, dev)
        t = _wrap(a, False, None, 0)
        if callable(map_location):  # PyTorch's map_location(storage, location) -> storage
            out = map_location(t, "cpu")
            if out is not None and not isinstance(out, Tensor):
                raise RuntimeError(f"ember.load({where}): map_location returned a "
                                   f"{type(out).__name__}, not a tensor")
            t = t if out is None else out
        tensors[k] = t
    if "ember" in meta:
        try:
            structure = json.loads(meta["ember"])
        except (json.JSONDecodeError, TypeError, RecursionError) as exc:
            raise RuntimeError(f"ember.load({where}): the ember metadata is not valid JSON "
                               f"({type(exc).__name__})") from None
        return _decode(structure, tensors, where, weights_only)
    return OrderedDict(tensors)
