"""A strict CPU stand-in for CuPy: the GPU code path, testable without a GPU.

Selected with ``EMBER_STANDIN_CUDA=1`` (see :mod:`ember.backend`). It is a module
shaped like ``cupy`` whose arrays (:class:`ndarray`) hold a NumPy array but are
a type of their own that behaves the way CuPy's arrays do where that matters
for correctness:

* mixing with NumPy arrays raises ``TypeError`` (arithmetic, ufuncs, indexing
  with a NumPy index array, assigning a NumPy array into a slice), as CuPy does
  for host arrays; Python and NumPy scalars mix freely;
* implicit conversion to NumPy (``numpy.asarray(a)``) raises; ``a.get()`` or
  ``asnumpy(a)`` copy to the host, ``asarray(host_array)`` copies to the device;
* reductions and integer indexing give 0-d arrays, never NumPy scalars;
* ``flags`` has only CuPy's fields (no ``writeable``); ``a.device.id`` is 0;
* names that CuPy lacks (``errstate``, ``frompyfunc``, ``ndindex``...) are absent.

So an op that reaches for NumPy directly, or mixes a host array into device
work, fails on the stand-in in CI just as it would on a real GPU. Results are
computed by NumPy and so equal the CPU's bit for bit.
"""
from __future__ import annotations

import sys
import time
import types

import numpy as np

__all__ = ["ndarray", "asarray", "asnumpy", "is_standin"]

_NP = np.ndarray
_MIX = ("Unsupported type <class 'numpy.ndarray'>: the CUDA stand-in refuses to mix host "
        "(NumPy) arrays into device work, as CuPy does; move the array with asarray() first")


def _unwrap(obj):
    """The NumPy value behind ``obj``; refuses NumPy arrays (host memory)."""
    t = type(obj)
    if t is ndarray:
        return obj._a
    if t is _NP or isinstance(obj, _NP):
        raise TypeError(_MIX)
    if t is tuple:
        return tuple(_unwrap(o) for o in obj)
    if t is list:
        return [_unwrap(o) for o in obj]
    if t is dict:
        return {k: _unwrap(v) for k, v in obj.items()}
    return obj


def _wrap(obj):
    """Device arrays for NumPy results (scalars become 0-d arrays, as in CuPy)."""
    if isinstance(obj, _NP):
        return _new(obj)
    if isinstance(obj, np.generic):
        return _new(np.asarray(obj))
    if isinstance(obj, tuple):  # NumPy's named results (SVDResult, ...) are plain in CuPy
        return tuple(_wrap(o) for o in obj)
    if type(obj) is list:
        return [_wrap(o) for o in obj]
    return obj


def _new(a):
    r = object.__new__(ndarray)
    r._a = a
    return r


def _quiet():
    return np.errstate(all="ignore")  # CuPy raises no floating-point warnings



def _call(fn, args, kwargs):
    with _quiet():
        return _wrap(fn(*_unwrap(args), **_unwrap(kwargs)))


class Device:
    """``cupy.cuda.Device``: the stand-in has one device, id 0."""

    def __init__(self, device=None):
        self.id = 0 if device is None else int(device)
        if self.id != 0:
            raise RuntimeError(f"CUDA stand-in: invalid device ordinal {self.id} (one device)")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def synchronize(self):
        pass

    def __repr__(self):
        return f"<CUDA Device {self.id}>"

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(self.id)


_DEVICE0 = Device(0)


class _Flags:
    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, f):
        self.c_contiguous, self.f_contiguous, self.owndata = (
            f.c_contiguous, f.f_contiguous, f.owndata)

    def __getitem__(self, key):
        return {"C_CONTIGUOUS": self.c_contiguous, "F_CONTIGUOUS": self.f_contiguous,
                "OWNDATA": self.owndata}[key]


class ndarray:
    """A device array of the stand-in: a NumPy array that refuses to meet NumPy arrays."""

    __slots__ = ("_a",)

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        if memptr is None:
            if strides is not None:
                raise NotImplementedError("CUDA stand-in: ndarray(strides=) needs a memptr")
            self._a = np.empty(shape, dtype=dtype, order=order)
            return
        # an array over existing memory, as CuPy's: from the pointer, with these strides
        dt = np.dtype(dtype)
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        if strides is None:  # (no builtins here: NumPy's max/sum get cached as module names)
            strides, step = [], dt.itemsize
            for n in reversed(shape):
                strides.insert(0, step)
                step *= n if n > 1 else 1
        start = memptr.ptr - memptr.mem.ptr
        first = memptr.mem._bytes[start:start + (dt.itemsize if 0 not in shape else 0)].view(dt)
        self._a = np.lib.stride_tricks.as_strided(first, shape, tuple(strides))

    # ---- what CuPy's arrays have
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: _Flags(self._a.flags))
    device = property(lambda self: _DEVICE0)
    T = property(lambda self: _new(self._a.T))
    real = property(lambda self: _new(self._a.real))

    @property
    def data(self):
        """CuPy's MemoryPointer: ``ptr`` is the address of the first element, ``mem`` the whole
        allocation the array lives in (shared by all its views)."""
        mem = _Memory(_host_root(self._a))
        return MemoryPointer(mem, self._a.__array_interface__["data"][0] - mem.ptr)

    @property
    def base(self):
        b = self._a.base
        return None if b is None or not isinstance(b, _NP) else _new(b)

    def get(self, stream=None, order="C", out=None):
        """Copy to the host: a NumPy array."""
        if out is not None:
            out[...] = self._a
            return out
        return np.array(self._a, copy=True, order=order)

    def set(self, arr, stream=None):
        if not isinstance(arr, _NP):
            raise TypeError("ndarray.set(): expected a NumPy array")
        self._a[...] = arr

    def __getattr__(self, name):  # methods: reshape, sum, astype, transpose, ...
        if name in _NO_METHODS or name.startswith("__"):
            raise AttributeError(f"CUDA stand-in: ndarray has no attribute {name!r} (nor has CuPy)")
        attr = getattr(self._a, name)
        if callable(attr):
            def method(*args, **kwargs):
                return _call(attr, args, kwargs)
            method.__name__ = name
            return method
        return _wrap(attr)

    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed (CUDA stand-in, as "
                        "CuPy). Please use `.get()` to construct a NumPy array explicitly.")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return _call(getattr(ufunc, method), inputs, kwargs)

    def __array_function__(self, func, types_, args, kwargs):
        if func in (np.asarray, np.array, np.asanyarray, np.ascontiguousarray):
            self.__array__()
        return _call(func, args, kwargs)

    # ---- Python protocols
    def __repr__(self):
        return repr(self._a)

    def __str__(self):
        return str(self._a)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(len(self._a)))

    def __bool__(self):
        return bool(self._a)

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __index__(self):
        return self._a.__index__()

    def __complex__(self):
        return complex(self._a)

    def __getitem__(self, key):
        return _wrap(self._a[_unwrap(key)])

    def __setitem__(self, key, value):
        self._a[_unwrap(key)] = _unwrap(value)

    def __copy__(self):
        return _new(self._a.copy())

    def __deepcopy__(self, memo):
        return _new(self._a.copy())

    def __reduce__(self):
        return (_rebuild, (self._a.copy(),))

    def __dlpack__(self, *args, **kwargs):
        raise TypeError("CUDA stand-in: DLPack exchange is not supported")


def _rebuild(a):
    return _new(a)


def _host_root(a):
    """The NumPy array that owns (or wraps) ``a``'s memory, through views and strided views."""
    r, b = a, a.base
    while b is not None:
        if isinstance(b, _NP):
            r = b
        elif not hasattr(b, "__array_interface__"):
            break
        b = getattr(b, "base", None)
    return r


class _Memory:
    """``cupy.cuda.Memory``: one allocation (``ptr``, ``size`` in bytes)."""

    __slots__ = ("ptr", "size", "_bytes")

    def __init__(self, root):
        self.ptr = root.__array_interface__["data"][0]
        self.size = 0
        if root.size:  # (a loop: the builtin sum may be shadowed by NumPy's, see above)
            self.size = root.itemsize
            for n, st in zip(root.shape, root.strides):
                self.size += (n - 1) * st
        first = root[(slice(0, 1),) * root.ndim].reshape(-1).view(np.uint8)
        self._bytes = np.lib.stride_tricks.as_strided(first, (self.size,), (1,))


class MemoryPointer:
    """``cupy.cuda.MemoryPointer``: an address ``offset`` bytes into ``mem``."""

    def __init__(self, mem, offset):
        self.mem, self.ptr = mem, mem.ptr + int(offset)


_NO_METHODS = frozenset({"tofile", "dump", "dumps", "ctypes", "data", "setflags", "itemset",
                         "byteswap", "newbyteorder", "getfield", "setfield", "tobytes"})


def _operator(name):
    uf = getattr(np, name)

    def op(self, other):
        with _quiet():
            return _wrap(uf(self._a, _unwrap(other)))

    def rop(self, other):
        with _quiet():
            return _wrap(uf(_unwrap(other), self._a))

    def iop(self, other):
        with _quiet():
            uf(self._a, _unwrap(other), out=self._a)
        return self
    return op, rop, iop


for _dunder, _uf in (("add", "add"), ("sub", "subtract"), ("mul", "multiply"),
                     ("truediv", "true_divide"), ("floordiv", "floor_divide"), ("mod", "remainder"),
                     ("pow", "power"), ("matmul", "matmul"), ("and", "bitwise_and"),
                     ("or", "bitwise_or"), ("xor", "bitwise_xor"), ("lshift", "left_shift"),
                     ("rshift", "right_shift")):
    _o, _r, _i = _operator(_uf)
    setattr(ndarray, f"__{_dunder}__", _o)
    setattr(ndarray, f"__r{_dunder}__", _r)
    if _uf != "matmul":
        setattr(ndarray, f"__i{_dunder}__", _i)
for _dunder, _uf in (("lt", "less"), ("le", "less_equal"), ("gt", "greater"),
                     ("ge", "greater_equal"), ("eq", "equal"), ("ne", "not_equal")):
    setattr(ndarray, f"__{_dunder}__", _operator(_uf)[0])
for _dunder, _uf in (("neg", "negative"), ("pos", "positive"), ("abs", "absolute"),
                     ("invert", "invert")):
    setattr(ndarray, f"__{_dunder}__", (lambda f: lambda self: _wrap(f(self._a)))(getattr(np, _uf)))
ndarray.__hash__ = None


class ufunc:
    """A NumPy ufunc seen through the stand-in (calls, ``at``, ``reduce``, ``outer``...)."""

    def __init__(self, uf):
        self._uf = uf
        self.__name__ = uf.__name__
        self.nin, self.nout = uf.nin, uf.nout

    def __call__(self, *args, **kwargs):
        return _call(self._uf, args, kwargs)

    def at(self, a, indices, b=None):
        if type(a) is not ndarray:
            raise TypeError(f"{self.__name__}.at(): expected a device array, got {type(a)}")
        args = (a._a, _unwrap(indices)) + (() if b is None else (_unwrap(b),))
        self._uf.at(*args)

    def __getattr__(self, name):
        fn = getattr(self._uf, name)
        return lambda *args, **kwargs: _call(fn, args, kwargs)

    def __repr__(self):
        return f"<ufunc '{self.__name__}' (CUDA stand-in)>"


# ---------------------------------------------------------------------------- transfers


def asarray(a, dtype=None, order=None, *, blocking=False):
    """Copy host data (NumPy arrays, lists, scalars) to the device; device arrays pass."""
    if type(a) is ndarray:
        return a if dtype is None or a._a.dtype == np.dtype(dtype) else _new(a._a.astype(dtype))
    return _new(np.array(_host_only(a), dtype=dtype, order=order or "K", copy=True))


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, *, blocking=False):
    if type(obj) is ndarray:
        return _new(np.array(obj._a, dtype=dtype, copy=copy, order=order, ndmin=ndmin))
    return _new(np.array(_host_only(obj), dtype=dtype, copy=True, order=order, ndmin=ndmin))


def ascontiguousarray(a, dtype=None):
    if type(a) is not ndarray:
        return asarray(np.ascontiguousarray(_host_only(a), dtype=dtype))
    return _new(np.ascontiguousarray(a._a, dtype=dtype))


def _host_only(obj):
    if type(obj) is ndarray:
        return obj._a
    if isinstance(obj, (list, tuple)):
        return type(obj)(_host_only(o) for o in obj)
    return obj


def asnumpy(a, stream=None, order="C", out=None, *, blocking=True):
    """Copy to the host (anything else passes through ``numpy.asarray``)."""
    if type(a) is ndarray:
        return a.get(order=order, out=out)
    return np.asarray(a, order=order)


def get_array_module(*args):
    for a in args:
        if type(a) is ndarray:
            return sys.modules[__name__]
    return np


def is_standin(a) -> bool:
    return type(a) is ndarray


# ---------------------------------------------------------------------------- submodules


class _Stream:
    def synchronize(self):
        pass

    def wait_event(self, event):
        pass  # the stand-in's work is synchronous: every event is reached when recorded

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class Event:
    """``cupy.cuda.Event``: the stand-in runs its work synchronously, so an event is reached
    when it is recorded, and its time is the host clock's at that moment."""

    def __init__(self, block=False, disable_timing=False, interprocess=False):
        if interprocess and not disable_timing:
            raise ValueError("interprocess events need disable_timing=True")
        self.disable_timing = disable_timing
        self._time = None

    def record(self, stream=None):
        self._time = time.perf_counter()

    def synchronize(self):
        pass

    @property
    def done(self):
        return True


def _get_elapsed_time(start, end):
    """Milliseconds between two recorded timing events (``cupy.cuda.get_elapsed_time``)."""
    if start.disable_timing or end.disable_timing or start._time is None or end._time is None:
        raise RuntimeError("cudaErrorInvalidResourceHandle: invalid resource handle")
    return (end._time - start._time) * 1000.0


class _MemoryPool:
    """``cupy.get_default_memory_pool()``: the stand-in holds no pool; it counts nothing."""

    def used_bytes(self):
        return 0

    def total_bytes(self):
        return 0

    def free_all_blocks(self, stream=None):
        pass

    def set_limit(self, size=None, fraction=None):
        pass

    def get_limit(self):
        return 0


_POOL = _MemoryPool()
_PINNED_POOL = _MemoryPool()


def get_default_memory_pool():
    return _POOL


def get_default_pinned_memory_pool():
    return _PINNED_POOL


def _runtime():
    rt = types.SimpleNamespace()
    rt.getDeviceCount = lambda: 1
    rt.getDeviceProperties = lambda i: {"name": b"ember CUDA stand-in (CPU)",
                                        "totalGlobalMem": 0, "major": 0, "minor": 0,
                                        "multiProcessorCount": 0}
    rt.memGetInfo = lambda: (0, 0)
    rt.deviceSynchronize = lambda: None
    rt.runtimeGetVersion = lambda: 0
    rt.driverGetVersion = lambda: 0
    return rt


cuda = types.SimpleNamespace(
    Device=Device, runtime=_runtime(), Stream=types.SimpleNamespace(null=_Stream()),
    get_current_stream=lambda: _Stream(), is_available=lambda: True,
    alloc_pinned_memory=lambda nbytes: bytearray(nbytes), MemoryPool=_MemoryPool, Event=Event,
    get_elapsed_time=_get_elapsed_time, MemoryPointer=MemoryPointer)


class Generator:
    """``cupy.random.Generator`` over NumPy's PCG64 (same seed -> the CPU's stream)."""

    def __init__(self, seed):
        self._g = np.random.Generator(np.random.PCG64(seed))

    def random(self, size=None, dtype=np.float64, out=None):
        return _wrap(np.asarray(self._g.random(size, dtype=dtype)))

    def standard_normal(self, size=None, dtype=np.float64, out=None):
        return _wrap(np.asarray(self._g.standard_normal(size, dtype=dtype)))

    def uniform(self, low=0.0, high=1.0, size=None, dtype=np.float64):
        return _wrap(np.asarray(self._g.uniform(low, high, size)).astype(dtype, copy=False))

    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        return _wrap(np.asarray(self._g.integers(low, high, size, dtype=dtype,
                                                 endpoint=endpoint)))

    def standard_gamma(self, shape, size=None, dtype=np.float64, out=None):
        return _wrap(np.asarray(self._g.standard_gamma(_unwrap(shape), size, dtype=dtype)))

    def poisson(self, lam=1.0, size=None):
        return _wrap(np.asarray(self._g.poisson(_unwrap(lam), size)))

    def binomial(self, n, p, size=None):
        return _wrap(np.asarray(self._g.binomial(_unwrap(n), _unwrap(p), size)))


random = types.SimpleNamespace(default_rng=lambda seed=None: Generator(seed),
                               Generator=Generator)


def _as_strided(x, shape=None, strides=None):
    if type(x) is not ndarray:
        raise TypeError(_MIX)
    return _new(np.lib.stride_tricks.as_strided(x._a, shape, strides, writeable=True))


lib = types.SimpleNamespace(stride_tricks=types.SimpleNamespace(as_strided=_as_strided))
linalg = types.SimpleNamespace(**{n: (lambda f: lambda *a, **k: _call(f, a, k))(getattr(np.linalg, n))
                                  for n in ("norm", "qr", "svd", "inv", "det", "solve", "eigh",
                                            "cholesky", "slogdet", "pinv", "matrix_power")})

# Names NumPy has and CuPy does not: absent here too, so code that needs them fails in CI.
_ABSENT = frozenset({"errstate", "seterr", "geterr", "frompyfunc", "vectorize", "ndindex",
                     "nditer", "ndenumerate", "fromfunction", "ma", "char", "rec",
                     "testing", "polynomial", "ctypeslib", "typing", "emath"})

# ---------------------------------------------------------------------------- everything else


def __getattr__(name):
    """Any other NumPy name: ufuncs and functions seen through the stand-in, dtypes as they are."""
    if name in _ABSENT or name.startswith("_"):
        raise AttributeError(f"module 'cupy' (CUDA stand-in) has no attribute {name!r}")
    attr = getattr(np, name)
    if isinstance(attr, np.ufunc):
        value = ufunc(attr)
    elif isinstance(attr, type) or not callable(attr):
        value = attr  # dtypes (float32, int64, ...), constants (pi, inf, newaxis)
    else:
        def value(*args, _f=attr, **kwargs):
            return _call(_f, args, kwargs)
        value.__name__ = name
    globals()[name] = value  # cached: later lookups are plain module attributes
    return value
