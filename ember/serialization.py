"""``ember.save`` / ``ember.load``: state dicts as safetensors files, never pickle.

A file is a standard safetensors file: an 8-byte little-endian header length,
a JSON header naming each tensor's dtype, shape and byte range, then the raw
bytes. A flat state dict is stored under its own keys, so
``safetensors.torch.load_file`` reads an ember checkpoint directly (and ember
reads PyTorch's). Nested containers (an optimizer's state dict, a training
checkpoint) keep their structure in the header's ``__metadata__['ember']`` as
JSON, with tensors referenced by key. Loading never runs code from the file.

Writes are atomic: a temporary file in the same folder, flushed and fsynced,
then renamed over the target, so a crash mid-save leaves the old file intact.
"""
from __future__ import annotations

import json
import math
import os
import struct
from collections import Counter, OrderedDict

import numpy as np

from . import backend
from .nn.module import Module
from .nn.parameter import Parameter
from .tensor import Tensor, _wrap

__all__ = ["save", "load", "safe_globals", "add_safe_globals", "get_safe_globals",
           "clear_safe_globals"]

_DTYPES = {"F16": np.float16, "F32": np.float32, "F64": np.float64, "I8": np.int8,
           "I16": np.int16, "I32": np.int32, "I64": np.int64, "U8": np.uint8, "BOOL": np.bool_, "BF16": backend.BF16}
_CODES = {np.dtype(v): k for k, v in _DTYPES.items()}
_MAX_HEADER = 100 * 1024 * 1024


# ---------------------------------------------------------------------------- encoding


def _encode(obj, tensors: OrderedDict, path: str, top_level: bool):
    """JSON-able structure for ``obj``; tensors go to ``tensors`` under a key."""
    if isinstance(obj, Module):
        raise TypeError("ember.save(): saving a whole Module is not supported (it would need "
                        "pickle); save model.state_dict() instead and load it into a new model "
                        "with model.load_state_dict(ember.load(path))")
    if isinstance(obj, Tensor) or backend.is_array(obj):
        key = path if path else "tensor"
        while key in tensors:
            key += "_"
        if not isinstance(obj, Tensor):  # a NumPy (or CuPy) array comes back as a NumPy array
            tensors[key] = _wrap(obj, False, None, 0)
            return {"__ndarray__": key}
        tensors[key] = obj
        node = {"__tensor__": key}
        if isinstance(obj, Parameter):
            node["parameter"] = True
        if obj.requires_grad:
            node["requires_grad"] = True
        return node
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else {"__float__": repr(f)}
    if isinstance(obj, backend.dtype):
        return {"__dtype__": obj.name}
    if isinstance(obj, Counter):
        return {"__counter__": [[_encode(k, tensors, f"{path}.{k}", False), v]
                                for k, v in obj.items()]}
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            sep = "" if top_level else "."
            return {"__dict__": {k: _encode(v, tensors, f"{path}{sep}{k}" if path else k, False)
                                 for k, v in obj.items()}}
        return {"__pairs__": [[_encode(k, tensors, f"{path}.k{i}", False),
                               _encode(v, tensors, f"{path}.{k}", False)]
                              for i, (k, v) in enumerate(obj.items())]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, tensors, f"{path}.{i}", False)
                              for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_encode(v, tensors, f"{path}.{i}", False) for i, v in enumerate(obj)]
    raise TypeError(f"ember.save(): cannot store a {type(obj).__name__} at '{path or '<root>'}' "
                    "(supported: tensors, numbers, strings, None, and lists/tuples/dicts of "
                    "them)")


def _decode(node, tensors, where):
    if isinstance(node, list):
        return [_decode(v, tensors, where) for v in node]
    if not isinstance(node, dict):
        return node
    key = node.get("__tensor__", node.get("__ndarray__"))
    if key is not None:
        try:
            t = tensors[key]
        except KeyError:
            raise RuntimeError(f"ember.load({where}): the structure names a tensor "
                               f"'{key}' that is not in the file") from None
        if "__ndarray__" in node:
            return backend.to_host(t._data)
        if node.get("parameter"):
            return Parameter(t, requires_grad=bool(node.get("requires_grad")))
        return t.requires_grad_(True) if node.get("requires_grad") else t
    if "__float__" in node:
        return float(node["__float__"])
    if "__dtype__" in node:
        return backend.to_dtype(node["__dtype__"])
    if "__tuple__" in node:
        return tuple(_decode(v, tensors, where) for v in node["__tuple__"])
    if "__counter__" in node:
        return Counter({_decode(k, tensors, where): v for k, v in node["__counter__"]})
    if "__pairs__" in node:
        return {_decode(k, tensors, where): _decode(v, tensors, where)
                for k, v in node["__pairs__"]}
    if "__dict__" in node:
        return OrderedDict((k, _decode(v, tensors, where)) for k, v in node["__dict__"].items())
    raise RuntimeError(f"ember.load({where}): unknown entry in the structure: {sorted(node)}")


def _serialize(obj) -> bytes:
    tensors: OrderedDict = OrderedDict()
    structure = _encode(obj, tensors, "", True)
    header = {}
    offset = 0
    chunks = []
    for key, t in tensors.items():
        arr = t._data if isinstance(t._data, np.ndarray) else t._data.get()
        if not arr.flags.c_contiguous:  # (np.ascontiguousarray would turn 0-d into 1-d)
            arr = arr.copy(order="C")
        code = _CODES.get(arr.dtype)
        if code is None:
            raise TypeError(f"ember.save(): unsupported dtype {arr.dtype} for tensor '{key}'")
        raw = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        header[key] = {"dtype": code, "shape": list(arr.shape),
                       "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        chunks.append(raw)
    header["__metadata__"] = {"format": "pt", "ember": json.dumps(structure)}
    hbytes = json.dumps(header, separators=(",", ":")).encode()
    hbytes += b" " * (-len(hbytes) % 8)
    return struct.pack("<Q", len(hbytes)) + hbytes + b"".join(chunks)


def save(obj, f) -> None:
    """Store ``obj`` (a state dict, or nested dicts/lists of tensors and plain values).

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
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
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


def _fail(where, msg):
    raise RuntimeError(f"ember.load({where}): {msg}")


def _looks_pickled(data: bytes) -> bool:
    """A zip (torch.save's format) or a pickle of protocol 2-5 (``\\x80`` then the protocol).
    Asked only once the bytes fail as safetensors: a header length can start the same way."""
    return data[:4] == b"PK\x03\x04" or (data[:1] == b"\x80" and data[1:2] in b"\x02\x03\x04\x05")


def _parse(data: bytes, where: str):
    try:
        return _parse_safetensors(data, where)
    except RuntimeError:
        if _looks_pickled(data):
            _fail(where, "this is a pickle (or a zip of pickles, as torch.save writes); ember "
                         "never unpickles. In PyTorch, store the tensors with "
                         "safetensors.torch.save_file(state_dict, path) and load that file "
                         "here")
        raise


def _parse_safetensors(data: bytes, where: str):
    if len(data) < 8:
        _fail(where, f"file is {len(data)} bytes, too short for a safetensors header "
                     "(truncated?)")
    (n,) = struct.unpack("<Q", data[:8])
    if n > _MAX_HEADER or 8 + n > len(data):
        _fail(where, f"header claims {n} bytes but the file has {len(data) - 8} after the "
                     "length field (truncated or not a safetensors file)")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        _fail(where, f"header is not valid JSON ({exc}); the file is corrupt")
    if not isinstance(header, dict):
        _fail(where, "header is not a JSON object; the file is corrupt")
    meta = header.pop("__metadata__", None) or {}
    body = memoryview(data)[8 + n:]
    tensors = {}
    end_max = 0
    for key, info in header.items():
        if isinstance(info, dict) and isinstance(info.get("dtype"), str) and \
                info["dtype"] not in _DTYPES:
            _fail(where, f"tensor '{key}' has dtype {info['dtype']}, unsupported by ember "
                         f"(it reads {', '.join(sorted(_DTYPES))})")
        try:
            dt = np.dtype(_DTYPES[info["dtype"]])
            shape = tuple(int(s) for s in info["shape"])
            start, end = (int(v) for v in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            _fail(where, f"bad header entry for tensor '{key}': {info!r}")
        if any(s < 0 for s in shape):
            _fail(where, f"tensor '{key}' has a negative dimension in {list(shape)}")
        want = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
        if not 0 <= start <= end or end - start != want:
            _fail(where, f"tensor '{key}' of shape {list(shape)} and dtype {info['dtype']} needs "
                         f"{want} bytes but its offsets are [{start}, {end}]")
        if end > len(body):
            _fail(where, f"tensor '{key}' ends at byte {end} of the data but the file has only "
                         f"{len(body)} (truncated)")
        end_max = max(end_max, end)
        arr = np.frombuffer(body[start:end], dtype=dt.newbyteorder("<")).astype(dt)
        tensors[key] = arr.reshape(shape)
    if end_max != len(body):
        _fail(where, f"{len(body) - end_max} bytes after the last tensor: the file is corrupt")
    return tensors, meta


def load(f, map_location=None, weights_only: bool = True, mmap=None):
    """Read what :func:`save` stored (or any safetensors file: a dict of tensors).

    ``map_location``: a device (or string) to put the tensors on, a dict mapping the saved
    location (always ``'cpu'`` in an ember file) to one, or PyTorch's callable
    ``(storage, location) -> storage``. Never unpickles: an ember file holds tensors, arrays
    and plain values only, so ``weights_only`` (True or False) loads the same objects.
    """
    if hasattr(f, "read"):
        data = f.read()
        where = getattr(f, "name", "<file object>")
    else:
        where = os.fspath(f)
        try:
            with open(where, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            raise FileNotFoundError(f"ember.load: no such file: '{where}'") from None
    if isinstance(data, str):
        _fail(where, "expected a binary file")
    arrays, meta = _parse(bytes(data) if not isinstance(data, bytes) else data, where)
    if isinstance(map_location, dict):  # ember files hold host data: their location is 'cpu'
        map_location = map_location.get("cpu")
    dev = backend.as_device(map_location) if map_location is not None and not callable(
        map_location) else None
    tensors = {}
    for k, a in arrays.items():
        if dev is not None and dev.type != "cpu":
            a = backend.to_device(a, dev)
        t = _wrap(a, False, None, 0)
        if callable(map_location):  # PyTorch's map_location(storage, location) -> storage
            t = map_location(t, "cpu")
            if not isinstance(t, Tensor):
                _fail(where, f"map_location returned a {type(t).__name__}, not a tensor")
        tensors[k] = t
    if "ember" in meta:
        try:
            structure = json.loads(meta["ember"])
        except json.JSONDecodeError as exc:
            _fail(where, f"the ember metadata is not valid JSON ({exc})")
        return _decode(structure, tensors, where)
    return OrderedDict(tensors)


# ---------------------------------------------------------------------------- allow lists
# PyTorch's weights-only unpickler needs the classes of a pickled object allowed by name.
# ember never unpickles, so there is nothing to allow: these keep such programs running.
_SAFE: list = []


class safe_globals:
    """``with ember.serialization.safe_globals([...]):`` — accepted; ember never unpickles."""

    def __init__(self, safe_globals_list):
        self._globals = list(safe_globals_list)

    def __enter__(self):
        _SAFE.extend(self._globals)
        return self

    def __exit__(self, *exc):
        del _SAFE[len(_SAFE) - len(self._globals):]
        return False


def add_safe_globals(safe_globals_list) -> None:
    _SAFE.extend(safe_globals_list)


def get_safe_globals() -> list:
    return list(_SAFE)


def clear_safe_globals() -> None:
    _SAFE.clear()
