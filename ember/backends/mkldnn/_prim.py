"""Memory descriptors, primitives and their execution on NumPy arrays.

Safety rules, kept here so that no caller can break them:

* a pointer reaches oneDNN only for a C-contiguous NumPy array of the dtype the descriptor
  says, at least as large as the descriptor's size, referenced by the caller until the
  call returns (``execute`` takes the arrays themselves, never addresses);
* a memory object is created with its array's address in the same call that executes the
  primitive, and destroyed before that call returns: no memory object ever exists without
  a data handle, so none can be executed without one (oneDNN would crash, not raise);
* every primitive is created with a user-managed scratchpad, handed a buffer of its own
  thread at each call: a cached primitive can then run in two threads at once (in oneDNN's
  default mode a primitive must stay in the thread that created it).
"""
from __future__ import annotations

import collections
import ctypes
import threading

import numpy as np

from . import _flags, _lib
from ._lib import DIMS, ExecArg

_F32 = np.dtype(np.float32)
executions = [0]  # primitives run so far (what ``ember bench`` reads to name the path taken)


def _dims(values):
    return DIMS(*values)


class MD:
    """A memory descriptor ember created (and destroys): plain dims with a format tag or
    strides, float32 unless said."""

    __slots__ = ("ptr", "dims", "size", "_destroy")

    def __init__(self, dims, tag=None, strides=None, dtype=_lib.F32):
        self.dims = tuple(int(d) for d in dims)
        h = ctypes.c_void_p()
        if strides is not None:
            _lib.call("dnnl_memory_desc_create_with_strides", ctypes.byref(h), len(dims),
                      _dims(self.dims), dtype, _dims(strides))
        else:
            _lib.call("dnnl_memory_desc_create_with_tag", ctypes.byref(h), len(dims),
                      _dims(self.dims), dtype, tag)
        self.ptr = h.value
        self._destroy = _lib.fn("dnnl_memory_desc_destroy")
        self.size = md_size(self.ptr)

    def __del__(self):
        try:
            self._destroy(self.ptr)
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


class Desc:
    """A descriptor a primitive chose: its pointer (owned by ``owner``, kept alive here)
    and its size in bytes."""

    __slots__ = ("ptr", "size", "owner")

    def __init__(self, ptr, owner):
        self.ptr, self.owner = ptr, owner
        self.size = md_size(ptr)


def any_md(dims):
    """A descriptor that lets the primitive choose the layout (format_tag any)."""
    return MD(dims, tag=_lib.TAG_ANY)


_PLAIN_TAGS = {1: _lib.TAG_A, 2: _lib.TAG_AB, 3: _lib.TAG_ABC, 4: _lib.TAG_ABCD,
               5: _lib.TAG_ABCDE}


def plain_md(dims):
    """Row-major (C-contiguous) descriptor of ``dims``."""
    return MD(dims, tag=_PLAIN_TAGS[len(dims)])


def md_size(ptr) -> int:
    return int(_lib.fn("dnnl_memory_desc_get_size")(ptr))


def md_equal(a, b) -> bool:
    """Whether two descriptors (MD or Desc) describe the same layout."""
    return bool(_lib.fn("dnnl_memory_desc_equal")(a.ptr, b.ptr))


def _attr():
    """Primitive attributes with a user-managed scratchpad (see the module docstring)."""
    a = ctypes.c_void_p()
    _lib.call("dnnl_primitive_attr_create", ctypes.byref(a))
    try:
        _lib.call("dnnl_primitive_attr_set_scratchpad_mode", a, _lib.SCRATCHPAD_USER)
    except _lib.DnnlError:
        _lib.fn("dnnl_primitive_attr_destroy")(a)
        raise
    return a


class PrimitiveDesc:
    """A primitive descriptor made by ``create(pd_out_pointer, attr)``; destroyed with it."""

    __slots__ = ("ptr", "_destroy")

    def __init__(self, create):
        attr = _attr()
        pd = ctypes.c_void_p()
        try:
            create(ctypes.byref(pd), attr)
        finally:
            _lib.fn("dnnl_primitive_attr_destroy")(attr)
        self.ptr = pd.value
        self._destroy = _lib.fn("dnnl_primitive_desc_destroy")

    def md(self, query, index=0):
        """A descriptor the primitive chose (owned by this pd: keep the pd alive)."""
        p = _lib.fn("dnnl_primitive_desc_query_md")(self.ptr, query, index)
        if not p:
            raise _lib.DnnlError("dnnl_primitive_desc_query_md", _lib.INVALID_ARGUMENTS)
        return Desc(p, self)

    def impl(self) -> str:
        s = ctypes.c_char_p()
        _lib.call("dnnl_primitive_desc_query", self.ptr, _lib.Q_IMPL_INFO, 0, ctypes.byref(s))
        return (s.value or b"").decode()

    def __del__(self):
        try:
            self._destroy(self.ptr)
        except Exception:  # noqa: BLE001
            pass


class Primitive:
    """A created primitive, its pd, and its scratchpad size."""

    __slots__ = ("pd", "ptr", "scratch", "_destroy", "__weakref__")

    def __init__(self, pd: PrimitiveDesc):
        self.pd = pd
        h = ctypes.c_void_p()
        _lib.call("dnnl_primitive_create", ctypes.byref(h), pd.ptr)
        self.ptr = h.value
        self._destroy = _lib.fn("dnnl_primitive_destroy")
        self.scratch = pd.md(_lib.Q_SCRATCHPAD)

    def __del__(self):
        try:
            self._destroy(self.ptr)
        except Exception:  # noqa: BLE001
            pass

    def execute(self, args):
        """Run on ``args``: (DNNL_ARG_*, descriptor (MD or Desc), array) triples.

        Each array is checked (type, dtype, contiguity, size) before any memory object
        exists; see the module docstring.
        """
        checked = []
        for arg, md, a in args:
            checked.append((arg, md.ptr, _address(a, md.size, arg)))
        scratch = None
        if self.scratch.size:
            scratch = _scratchpad(self.scratch.size)
            checked.append((_lib.ARG_SCRATCHPAD, self.scratch.ptr,
                            _address(scratch, self.scratch.size, _lib.ARG_SCRATCHPAD)))
        lib = _lib.load()
        if lib is None:  # a forked child holding a graph recorded before the fork
            raise RuntimeError(f"oneDNN kernel called where oneDNN is unavailable: "
                               f"{_lib.failure()}")
        _flags.apply_threads()
        f = lib["f"]
        engine = lib["engine"]
        n = len(checked)
        packed = (ExecArg * n)()
        mems = []
        create = f["dnnl_memory_create"]
        destroy = f["dnnl_memory_destroy"]
        try:
            for k, (arg, md, addr) in enumerate(checked):
                m = ctypes.c_void_p()
                st = create(ctypes.byref(m), md, engine, addr)
                if st != _lib.SUCCESS:
                    raise _lib.DnnlError("dnnl_memory_create", st)
                mems.append(m)
                packed[k].arg = arg
                packed[k].memory = m
            s = _lib.stream()
            executions[0] += 1
            st = f["dnnl_primitive_execute"](self.ptr, s, n, packed)
            if st != _lib.SUCCESS:
                raise _lib.DnnlError("dnnl_primitive_execute", st)
            _lib.call("dnnl_stream_wait", s)
        finally:
            for m in mems:
                destroy(m)
        del scratch  # kept referenced until here: oneDNN wrote into it during the call


def _address(a, nbytes, arg):
    """The data address of ``a`` after checking it may be handed to oneDNN for ``nbytes``."""
    if type(a) is not np.ndarray:
        raise TypeError(f"oneDNN argument {arg}: expected a NumPy array, got {type(a).__name__}")
    if a.dtype != _F32 and a.dtype != np.uint8:
        raise TypeError(f"oneDNN argument {arg}: dtype {a.dtype} (float32 or bytes expected)")
    if not a.flags.c_contiguous:
        raise ValueError(f"oneDNN argument {arg}: the array is not C-contiguous")
    if a.nbytes < nbytes or nbytes == 0:
        raise ValueError(f"oneDNN argument {arg}: {a.nbytes} bytes for a descriptor of "
                         f"{nbytes}")
    try:
        addr = ctypes.addressof(ctypes.c_char.from_buffer(a))
    except (TypeError, ValueError):  # read-only input: same address, slower to read
        addr = a.ctypes.data
    if not addr:
        raise ValueError(f"oneDNN argument {arg}: null data pointer")
    return addr


_tls = threading.local()


def _scratchpad(nbytes):
    """This thread's scratchpad buffer, grown to ``nbytes`` (reused: no fresh pages)."""
    buf = getattr(_tls, "scratch", None)
    if buf is None or buf.nbytes < nbytes:
        buf = _tls.scratch = np.empty(nbytes, dtype=np.uint8)
    return buf


# ---------------------------------------------------------------------------- caches
class Cache:
    """Thread-safe LRU of objects built by ``make(key)`` (primitives are built once per key).

    Building happens under the lock: two threads asking for one key get one object.
    """

    def __init__(self, capacity=256):
        self.capacity = capacity
        self._d: collections.OrderedDict = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, make):
        d = self._d
        with self._lock:
            v = d.get(key)
            if v is not None:
                d.move_to_end(key)
                return v
            v = make()
            d[key] = v
            if len(d) > self.capacity:
                d.popitem(last=False)
            return v

    def clear(self):
        with self._lock:
            self._d.clear()

    def __len__(self):
        return len(self._d)


class Reorder:
    """A reorder from one layout to another of the same logical tensor (both descriptors
    must outlive it: it keeps the objects that own them)."""

    __slots__ = ("prim", "src", "dst", "keep")

    def __init__(self, src_md, dst_md, keep=()):
        eng = _lib.load()["engine"]
        self.src, self.dst, self.keep = src_md, dst_md, keep
        self.prim = Primitive(PrimitiveDesc(lambda pd, attr: _lib.call(
            "dnnl_reorder_primitive_desc_create", pd, src_md.ptr, eng, dst_md.ptr, eng, attr)))

    def __call__(self, a, out):
        self.prim.execute([(_lib.ARG_FROM, self.src, a), (_lib.ARG_TO, self.dst, out)])
        return out
