"""PyTorch's own files, read with ember's pickle interpreter: never Python's unpickler.

Three containers carry a pickle whose persistent ids stand for tensor storages:

* the zip archive ``torch.save`` writes since PyTorch 1.6: ``<name>/data.pkl``, one record
  ``<name>/data/<key>`` per storage (stored, not compressed), ``<name>/byteorder``,
  ``<name>/version``;
* the legacy stream (``_use_new_zipfile_serialization=False``): four pickles (magic number,
  protocol version, system info, the object), the list of storage keys, then each storage's
  element count (8 bytes) and bytes;
* the tar archive of PyTorch's first releases: members ``storages``, ``tensors``, ``pickle``.

Tensors come back as views of their storage with the file's dtype, shape, strides and offset,
so views that shared a storage share memory again. ``map_location`` places each storage as
``torch.load`` does. Hostile input is bounded: record names may not leave the archive,
compressed records are refused (PyTorch never compresses; a zip bomb cannot expand), every
view must lie inside its storage, and the storages together may not claim more bytes than
the file holds.
"""
from __future__ import annotations

import struct
import tarfile

import numpy as np

from .. import backend
from ..nn.module import Module
from ..nn.parameter import Parameter
from ..tensor import Tensor, _wrap
from . import allow
from .archives import MemFile, archive_prefix, zip_records
from .pickle_vm import Global, Interpreter, UnpicklingError, describe
from .torch_globals import Globals, Marker, StorageType, ember_dtype

__all__ = ["torch_format", "read_torch_file"]

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001


def torch_format(data) -> str | None:
    """``'zip'``, ``'legacy'`` or ``'tar'`` for a file PyTorch wrote, else None."""
    head = bytes(data[:64])
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if len(data) > 262 and bytes(data[257:262]) == b"ustar":
        return "tar"
    try:
        magic, _ = Interpreter(head, _no_globals).run()
    except UnpicklingError:
        return None
    return "legacy" if magic == MAGIC_NUMBER else None


def _no_globals(module, name):
    raise UnpicklingError(f"unexpected global {module}.{name}")


class _Storage:
    """One storage of the file: raw bytes on the host, typed views made on demand. In a
    big-endian file the bytes are swapped in place once, for the dtype they are read as."""

    def __init__(self, key, location, dtype_name, nbytes, big_endian):
        self.key, self.location, self.dtype_name = key, location, dtype_name
        self.nbytes, self.big_endian = nbytes, big_endian
        self.raw = None  # a 1-D uint8 array
        self.pending = False  # the legacy format's bytes come after the pickle
        self.swapped_as = None

    def allocate(self):
        """Room for bytes that come later (the legacy format); views made now see them."""
        self.raw = np.empty(self.nbytes, np.uint8)
        self.pending = True

    def fill(self, data, pos):
        self.raw[:] = np.frombuffer(data, np.uint8, self.nbytes, pos)
        self.pending = False
        if self.big_endian and self.dtype_name:
            self._swap(backend.np_dtype(self.dtype_name))

    def _swap(self, np_dt):
        if np_dt.itemsize > 1 and self.swapped_as is None:
            self.raw.view(np_dt).byteswap(inplace=True)
            self.swapped_as = np_dt

    def typed(self, np_dt, where):
        if self.nbytes % np_dt.itemsize:
            raise UnpicklingError(f"storage '{self.key}' has {self.nbytes} bytes, not a whole "
                                  f"number of {np_dt} elements ({where})")
        if self.big_endian and not self.pending and np_dt.itemsize > 1:
            self._swap(np_dt)
            if self.swapped_as != np_dt:
                raise UnpicklingError(f"storage '{self.key}' of a big-endian file is read as "
                                      f"two dtypes ({where})")
        return self.raw.view(np_dt)


class _StorageRef:
    """What a persistent id stands for: a storage seen as ``dtype``, from element ``offset``
    for ``numel`` elements (a legacy view of a larger storage)."""

    def __init__(self, storage, dtype, offset, numel):
        self.storage, self.dtype, self.offset, self.numel = storage, dtype, offset, numel


class _Rebuild(Global):
    def __init__(self, name, fn):
        super().__init__(f"torch._utils.{name}")
        self.fn = fn

    def call(self, args):
        try:
            return self.fn(*args)
        except TypeError as exc:
            raise UnpicklingError(f"{self.name}: wrong arguments ({exc})") from None


def _ints(value, what, where):
    if not isinstance(value, (tuple, list)) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value):
        raise UnpicklingError(f"tensor {what} {value!r} is not a tuple of non-negative ints "
                              f"({where})")
    return tuple(value)


def _empty_hooks(hooks, where):
    if hooks:
        raise UnpicklingError(f"the file attaches backward hooks to a tensor; ember does not "
                              f"load hooks (they are functions) ({where})")


class _Reader:
    """One load: the storages, the tensors made from them, and where they go."""

    def __init__(self, where, weights_only, map_location, encoding, errors, budget):
        self.where = where
        self.map_location = map_location
        self.encoding, self.errors = encoding, errors
        self.storages: dict = {}
        self.views: dict = {}  # id(tensor) -> (tensor, ref, start, shape, strides)
        self.budget = budget  # bytes the storages may still claim (the file's size)
        rebuilders = {
            "_rebuild_tensor_v2": _Rebuild("_rebuild_tensor_v2", self.rebuild_v2),
            "_rebuild_tensor_v3": _Rebuild("_rebuild_tensor_v3", self.rebuild_v3),
            "_rebuild_tensor": _Rebuild("_rebuild_tensor", self.rebuild_v1),
            "_rebuild_parameter": _Rebuild("_rebuild_parameter", self.rebuild_parameter),
            "_rebuild_parameter_with_state": _Rebuild("_rebuild_parameter_with_state",
                                                      self.rebuild_parameter_with_state),
            "_rebuild_from_type_v2": _Rebuild("_rebuild_from_type_v2", self.rebuild_from_type),
        }
        self.globals = Globals(rebuilders, weights_only, where)

    # ------------------------------------------------------------------ pickles
    def run(self, data, pos=0, persistent_load=None):
        vm = Interpreter(data, self.globals.resolve, persistent_load, self.globals.build,
                         encoding=self.encoding, errors=self.errors, objects=(Module,))
        return vm.run(pos)

    def claim(self, nbytes):
        if nbytes > self.budget:
            raise UnpicklingError(f"the storages claim more bytes than the file holds "
                                  f"(truncated or crafted file: {self.where})")
        self.budget -= nbytes

    def storage(self, key, storage_type, location, numel, big_endian):
        """The storage ``key`` (made on first sight, with its size checked)."""
        if not isinstance(storage_type, StorageType):
            raise UnpicklingError(f"persistent id names {describe(storage_type)}, not a storage "
                                  "type")
        if not isinstance(location, str) or not isinstance(numel, int) or numel < 0 or \
                not allow.plain_name(key) or not allow.plain_name(location):
            raise UnpicklingError(f"bad storage id ({describe(key)}, {describe(location)}, "
                                  f"{describe(numel)}) ({self.where})")
        dtype_name = storage_type.dtype_name or "uint8"
        np_dt = backend.np_dtype(ember_dtype(dtype_name, f" ({self.where})"))
        st = self.storages.get(key)
        if st is None:
            nbytes = numel * np_dt.itemsize
            self.claim(nbytes)
            st = self.storages[key] = _Storage(key, location, storage_type.dtype_name, nbytes,
                                               big_endian)
        elif st.nbytes != numel * np_dt.itemsize:
            raise UnpicklingError(f"storage '{key}' is named with two sizes ({self.where})")
        return st, np_dt

    # ------------------------------------------------------------------ tensors
    def _tensor(self, ref, offset, size, stride, requires_grad, np_dt=None):
        if not isinstance(ref, _StorageRef):
            raise UnpicklingError(f"a tensor's storage is a {type(ref).__name__}, not a "
                                  f"storage of the file ({self.where})")
        size = _ints(size, "size", self.where)
        stride = _ints(stride, "stride", self.where)
        if len(size) != len(stride) or not isinstance(offset, int) or offset < 0:
            raise UnpicklingError(f"tensor of size {size} has stride {stride} and offset "
                                  f"{offset!r} ({self.where})")
        np_dt = np_dt or ref.dtype
        numel = ref.numel
        if ref.dtype != np_dt:  # a typed view of an untyped storage (rebuild_tensor_v3)
            if ref.offset or numel % np_dt.itemsize:
                raise UnpicklingError(f"storage '{ref.storage.key}' cannot be read as {np_dt} "
                                      f"({self.where})")
            numel //= np_dt.itemsize
        if 0 in size:
            fits = offset <= numel
        else:
            fits = offset + sum((n - 1) * s for n, s in zip(size, stride)) < numel
        if not fits:
            raise UnpicklingError(f"a tensor of size {list(size)}, stride {list(stride)} and "
                                  f"offset {offset} reaches outside its storage of {numel} "
                                  f"elements ({self.where})")
        if not isinstance(requires_grad, bool) or (requires_grad and np_dt.kind not in "fc"
                                                   and np_dt != backend.BF16):
            raise UnpicklingError(f"bad requires_grad {requires_grad!r} for a {np_dt} tensor "
                                  f"({self.where})")
        start = ref.offset + offset
        base = ref.storage.typed(np_dt, self.where)
        arr = np.lib.stride_tricks.as_strided(base[start:], size,
                                              tuple(s * np_dt.itemsize for s in stride))
        t = _wrap(arr, requires_grad, None, 0)
        self.views[id(t)] = (t, ref.storage, np_dt, start, size, stride)
        return t

    def rebuild_v2(self, storage, offset, size, stride, requires_grad, hooks, metadata=None):
        _empty_hooks(hooks, self.where)
        self._no_metadata(metadata)
        return self._tensor(storage, offset, size, stride, requires_grad)

    def rebuild_v3(self, storage, offset, size, stride, requires_grad, hooks, dtype,
                   metadata=None):
        _empty_hooks(hooks, self.where)
        self._no_metadata(metadata)
        if not isinstance(dtype, backend.dtype):
            raise UnpicklingError(f"_rebuild_tensor_v3 needs a dtype, got {dtype!r}")
        return self._tensor(storage, offset, size, stride, requires_grad, dtype.np)

    def rebuild_v1(self, storage, offset, size, stride):
        return self._tensor(storage, offset, size, stride, False)

    def _no_metadata(self, metadata):
        if metadata:
            raise UnpicklingError(f"tensor metadata {sorted(map(str, metadata))} is not "
                                  f"supported by ember ({self.where})")

    def _as_parameter(self, data, requires_grad):
        if not isinstance(data, Tensor) or not isinstance(requires_grad, bool):
            raise UnpicklingError(f"a parameter needs a tensor and a flag ({self.where})")
        if isinstance(data, Parameter):
            return data
        p = Parameter(data, requires_grad)
        spec = self.views.get(id(data))
        if spec is not None:
            self.views[id(p)] = (p,) + spec[1:]
        return p

    def rebuild_parameter(self, data, requires_grad, hooks):
        _empty_hooks(hooks, self.where)
        return self._as_parameter(data, requires_grad)

    def rebuild_parameter_with_state(self, data, requires_grad, hooks, state):
        p = self.rebuild_parameter(data, requires_grad, hooks)
        self._set_state(p, state)
        return p

    def rebuild_from_type(self, func, new_type, args, state):
        if not isinstance(func, _Rebuild) or not isinstance(args, tuple):
            raise UnpicklingError(f"_rebuild_from_type_v2 of {func!r} ({self.where})")
        t = func.call(args)
        if isinstance(new_type, Marker) and new_type.name == "torch.nn.parameter.Parameter":
            t = self._as_parameter(t, t.requires_grad)
        elif not (isinstance(new_type, Marker) and new_type.name == "torch.Tensor"):
            raise UnpicklingError(f"tensor subclass {new_type!r} is not supported by ember "
                                  f"({self.where})")
        self._set_state(t, state)
        return t

    def _set_state(self, t, state):
        if isinstance(state, tuple) and len(state) == 2 and state[1] is None:
            state = state[0]
        if not state:
            return
        if not isinstance(state, dict) or not all(
                isinstance(k, str) and not k.startswith("_") and not hasattr(t, k)
                for k in state):
            raise UnpicklingError(f"tensor attributes {state!r} cannot be set by a file "
                                  f"({self.where})")
        for k, v in state.items():
            setattr(t, k, v)

    # ------------------------------------------------------------------ placing
    def place(self):
        """Put every storage where ``map_location`` says, and make the tensors views of it."""
        targets: dict = {}
        for t, storage, np_dt, start, size, stride in self.views.values():
            key = (id(storage), np_dt)
            if key not in targets:
                targets[key] = self._restore(storage, np_dt)
            arr = targets[key]
            if arr is None:  # stays on the host where it was read
                continue
            xp = backend.xp(arr)
            t._data = xp.lib.stride_tricks.as_strided(
                arr[start:], size, tuple(s * np_dt.itemsize for s in stride))

    def _restore(self, storage, np_dt):
        """The storage (typed) on its target device, or None to keep the host array."""
        loc, ml = storage.location, self.map_location
        host = storage.typed(np_dt, self.where)
        if ml is None:
            dev = self._default_device(loc)
        elif isinstance(ml, dict):
            dev = self._default_device(ml.get(loc, loc))
        elif isinstance(ml, (str, backend.device, int)):
            dev = backend.as_device(ml)
        elif callable(ml):
            out = ml(_wrap(host, False, None, 0), loc)
            if out is None:
                dev = self._default_device(loc)
            else:
                if not isinstance(out, Tensor) or out.shape != (host.shape[0],) or \
                        out._data.dtype != np_dt:
                    raise RuntimeError(f"ember.load({self.where}): map_location returned "
                                       f"{type(out).__name__}, not the storage (a 1-D "
                                       f"{np_dt} tensor of {host.shape[0]} elements)")
                return None if out._data is host else out._data
        else:
            raise TypeError(f"map_location should be a string, a device, a dict or a "
                            f"callable, got {type(ml).__name__}")
        if dev.type == "cpu":
            return None
        if dev.type == "cuda" and not backend.cuda_is_available():
            raise RuntimeError(
                f"ember.load({self.where}): the file's tensors go to {dev} but CUDA is not "
                "available (ember.cuda.is_available() is False); pass map_location='cpu' to "
                "load them on the CPU")
        return backend.to_device(host, dev)

    def _default_device(self, loc):
        if not isinstance(loc, str):
            raise TypeError(f"map_location maps to {loc!r}, not a device string")
        try:
            dev = backend.as_device(loc)
        except RuntimeError:
            raise RuntimeError(f"ember.load({self.where}): unknown storage location "
                               f"'{loc}'") from None
        if dev.type not in ("cpu", "cuda"):
            raise RuntimeError(f"ember.load({self.where}): the file's tensors were saved on "
                               f"'{loc}', a device ember does not have; pass "
                               "map_location='cpu'")
        return dev

    # ------------------------------------------------------------------ containers
    def read_zip(self, buf):
        records = zip_records(buf, self.where)
        prefix = archive_prefix(records, self.where)
        pkl = records.get(prefix + "data.pkl")
        if pkl is None:
            if prefix + "constants.pkl" in records or any(
                    n.startswith(prefix + "code/") for n in records):
                raise RuntimeError(f"ember.load({self.where}): this is a TorchScript archive "
                                   "(torch.jit.save); ember cannot run TorchScript code. Save "
                                   "the model's state_dict() with torch.save instead")
            raise RuntimeError(f"ember.load({self.where}): the zip archive has no data.pkl: "
                               "not a file written by torch.save")
        order = records.get(prefix + "byteorder")
        big = False
        if order is not None:
            text = bytes(buf[order[0]:order[1]])
            if text not in (b"little", b"big"):
                raise RuntimeError(f"ember.load({self.where}): byteorder record says "
                                   f"{text[:20]!r}")
            big = text == b"big"

        def persistent_load(pid):
            if not isinstance(pid, tuple) or len(pid) != 5 or _ascii(pid[0]) != "storage":
                raise UnpicklingError(f"unknown persistent id {_pid_text(pid)} ({self.where})")
            _, storage_type, key, location, numel = pid
            key = _ascii(key)
            st, np_dt = self.storage(key, storage_type, _ascii(location), numel, big)
            if st.raw is None:
                rec = records.get(f"{prefix}data/{key}")
                if rec is None:
                    raise UnpicklingError(f"storage record data/{key} is missing "
                                          f"({self.where})")
                if rec[1] - rec[0] != st.nbytes:
                    raise UnpicklingError(f"storage record data/{key} has {rec[1] - rec[0]} "
                                          f"bytes, the data names {st.nbytes} (truncated or "
                                          f"oversized record: {self.where})")
                st.raw = np.frombuffer(buf, np.uint8, st.nbytes, rec[0])
                if not st.raw.flags.writeable:
                    st.raw = st.raw.copy()
            return _StorageRef(st, np_dt, 0, st.nbytes // np_dt.itemsize)

        obj, _ = self.run(bytes(buf[pkl[0]:pkl[1]]), 0, persistent_load)
        self.place()
        return obj

    def read_legacy(self, data):
        pos = 0
        magic, pos = self.run(data, pos)
        version, pos = self.run(data, pos)
        if version != PROTOCOL_VERSION:
            raise RuntimeError(f"ember.load({self.where}): legacy protocol version {version!r} "
                               f"(expected {PROTOCOL_VERSION})")
        sys_info, pos = self.run(data, pos)
        big = isinstance(sys_info, dict) and sys_info.get("little_endian") is False
        views: dict = {}

        def persistent_load(pid):
            if not isinstance(pid, tuple) or not pid:
                raise UnpicklingError(f"unknown persistent id {_pid_text(pid)} ({self.where})")
            kind = _ascii(pid[0])
            if kind == "module" and len(pid) == 4:
                return pid[1]  # the class of an old whole-module file, already resolved
            if kind != "storage" or len(pid) != 6:
                raise UnpicklingError(f"unknown persistent id {_pid_text(pid)} ({self.where})")
            _, storage_type, key, location, numel, view = pid
            st, np_dt = self.storage(_ascii(key), storage_type, _ascii(location), numel, big)
            if st.raw is None:
                st.allocate()
            if view is None:
                return _StorageRef(st, np_dt, 0, numel)
            if not isinstance(view, tuple) or len(view) != 3:
                raise UnpicklingError(f"bad storage view {view!r} ({self.where})")
            vkey, off, n = view
            if not (isinstance(off, int) and isinstance(n, int) and 0 <= off
                    and off + n <= numel):
                raise UnpicklingError(f"storage view {view!r} lies outside its storage "
                                      f"({self.where})")
            return views.setdefault(_ascii(vkey), _StorageRef(st, np_dt, off, n))

        obj, pos = self.run(data, pos, persistent_load)
        keys, pos = self.run(data, pos)
        if not isinstance(keys, list):
            raise RuntimeError(f"ember.load({self.where}): the storage key list is missing")
        for key in keys:
            st = self.storages.get(_ascii(key))
            if st is None or not st.pending:
                raise RuntimeError(f"ember.load({self.where}): storage key {key!r} is unknown "
                                   "or repeated")
            pos = self._read_raw(st, data, pos, big)
        missing = [k for k, st in self.storages.items() if st.pending]
        if missing:
            raise RuntimeError(f"ember.load({self.where}): the data of storages {missing[:5]} "
                               "is missing (truncated file)")
        self.place()
        return obj

    def _read_raw(self, st, data, pos, big):
        """``_write_file``'s layout: the element count (8 bytes), then the bytes."""
        if pos + 8 > len(data):
            raise RuntimeError(f"ember.load({self.where}): the file ends inside storage "
                               f"'{st.key}' (truncated)")
        (count,) = struct.unpack(">q" if big else "<q", bytes(data[pos:pos + 8]))
        itemsize = backend.np_dtype(ember_dtype(st.dtype_name or "uint8", "")).itemsize
        if count * itemsize != st.nbytes:
            raise RuntimeError(f"ember.load({self.where}): storage '{st.key}' holds {count} "
                               f"elements, the data names {st.nbytes // itemsize}")
        pos += 8
        if pos + st.nbytes > len(data):
            raise RuntimeError(f"ember.load({self.where}): the file ends inside storage "
                               f"'{st.key}' (truncated)")
        st.fill(data, pos)
        return pos + st.nbytes

    def read_tar(self, buf):
        try:
            with tarfile.open(fileobj=MemFile(buf), mode="r:") as tar:
                members = {m.name: m for m in tar.getmembers()}
                parts = {}
                for name in ("storages", "tensors", "pickle"):
                    m = members.get(name)
                    if m is None or not m.isfile():
                        raise RuntimeError(f"ember.load({self.where}): the tar archive has no "
                                           f"'{name}' member: not a file written by torch.save")
                    parts[name] = tar.extractfile(m).read()
        except tarfile.TarError as exc:
            raise RuntimeError(f"ember.load({self.where}): broken tar archive ({exc})") from None
        objects: dict = {}
        data, pos = parts["storages"], 0
        count, pos = self.run(data, pos)
        if not isinstance(count, int) or count < 0:
            raise RuntimeError(f"ember.load({self.where}): bad storage count")
        for _ in range(count):
            info, pos = self.run(data, pos)
            if not isinstance(info, tuple) or len(info) != 3:
                raise RuntimeError(f"ember.load({self.where}): bad storage entry")
            key, location, storage_type = info
            if pos + 8 > len(data):
                raise RuntimeError(f"ember.load({self.where}): truncated storages member")
            (numel,) = struct.unpack("<q", data[pos:pos + 8])
            st, np_dt = self.storage(_ascii(key), storage_type, _ascii(location), numel, False)
            if st.raw is not None:
                raise RuntimeError(f"ember.load({self.where}): storage {key!r} is repeated")
            st.allocate()
            pos = self._read_raw(st, data, pos, False)
            objects[_ascii(key)] = _StorageRef(st, np_dt, 0, numel)
        views, pos = self.run(data, pos)
        for target, root, offset, numel in (views or []):
            ref = objects.get(_ascii(root))
            if ref is None or not (0 <= offset and offset + numel <= ref.numel):
                raise RuntimeError(f"ember.load({self.where}): bad storage view")
            objects[_ascii(target)] = _StorageRef(ref.storage, ref.dtype, offset, numel)
        data, pos = parts["tensors"], 0
        count, pos = self.run(data, pos)
        for _ in range(count if isinstance(count, int) else 0):
            info, pos = self.run(data, pos)
            if not isinstance(info, tuple) or len(info) != 3:
                raise RuntimeError(f"ember.load({self.where}): bad tensor entry")
            key, storage_id, _ = info
            ref = objects.get(_ascii(storage_id))
            if pos + 8 > len(data):
                raise RuntimeError(f"ember.load({self.where}): truncated tensors member")
            (ndim,) = struct.unpack("<i", data[pos:pos + 4])
            pos += 8
            if not 0 <= ndim <= 64 or pos + 16 * ndim + 8 > len(data):
                raise RuntimeError(f"ember.load({self.where}): bad tensor header")
            size = struct.unpack(f"<{ndim}q", data[pos:pos + 8 * ndim])
            stride = struct.unpack(f"<{ndim}q", data[pos + 8 * ndim:pos + 16 * ndim])
            (offset,) = struct.unpack("<q", data[pos + 16 * ndim:pos + 16 * ndim + 8])
            pos += 16 * ndim + 8
            objects[_ascii(key)] = self._tensor(ref, offset, size, stride, False)

        def persistent_load(pid):
            if isinstance(pid, tuple) and pid:
                return pid[0]  # an old whole-module file: the class
            obj = objects.get(_ascii(pid))
            if obj is None:
                raise UnpicklingError(f"unknown persistent id {_pid_text(pid)} ({self.where})")
            return obj

        obj, _ = self.run(parts["pickle"], 0, persistent_load)
        self.place()
        return obj


def _pid_text(pid) -> str:
    parts = pid if isinstance(pid, tuple) else (pid,)
    return "(" + ", ".join(describe(p) for p in parts[:6]) + ")"


def _ascii(value):
    if isinstance(value, bytes):
        try:
            return value.decode("ascii")
        except UnicodeDecodeError:
            raise UnpicklingError("a storage key is not ASCII") from None
    if not isinstance(value, str):
        raise UnpicklingError(f"a storage key is a {type(value).__name__}, not a string")
    return value


def read_torch_file(buf, fmt, where, *, map_location=None, weights_only=True,
                    encoding="utf-8", errors="strict"):
    """The object a PyTorch file holds (``fmt`` from :func:`torch_format`)."""
    reader = _Reader(where, weights_only, map_location, encoding, errors, len(buf))
    try:
        if fmt == "zip":
            return reader.read_zip(buf)
        if fmt == "legacy":
            return reader.read_legacy(buf)
        return reader.read_tar(buf)
    except UnpicklingError as exc:
        msg = str(exc)
        if not msg.startswith("ember.load("):
            msg = f"ember.load({where}): {msg}"
        raise UnpicklingError(msg) from None
