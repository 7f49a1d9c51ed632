"""Layer 0: array modules, devices, dtypes and random generators.

Everything above this module asks it for the array module of an array
(:func:`xp`) instead of importing NumPy for array work, so that the same op
code runs on NumPy (CPU) and CuPy (NVIDIA GPU). CuPy is imported lazily, only
when a CUDA device or a CuPy array is actually seen.
"""
from __future__ import annotations

import json
import os
import sys
import threading

import ml_dtypes
import numpy as np

__all__ = [
    "device", "dtype", "xp", "get_array_module", "float16", "float32", "float64",
    "int8", "int16", "int32", "int64", "uint8", "bool_", "complex64", "complex128", "get_default_dtype",
    "set_default_dtype", "Generator", "manual_seed", "default_generator",
    "cuda_is_available",
]

# ----------------------------------------------------------------------------
# CuPy, lazily

_cupy = None
_cupy_checked = False


STANDIN_ENV = "EMBER_STANDIN_CUDA"


def standin_requested() -> bool:
    """True when ``EMBER_STANDIN_CUDA=1`` asks for the CPU stand-in of CuPy."""
    return os.environ.get(STANDIN_ENV, "") not in ("", "0")


def _get_cupy():
    """Return the cupy module (or its CPU stand-in), or None when there is none."""
    global _cupy, _cupy_checked
    if not _cupy_checked:
        _cupy_checked = True
        if standin_requested():
            from . import _standin  # noqa: PLC0415 - layer 0, only when asked for

            _cupy = _standin
            return _cupy
        try:
            import cupy  # noqa: PLC0415 - imported only when asked for

            if cupy.cuda.runtime.getDeviceCount() < 1:
                raise RuntimeError("no GPU")
            _cupy = cupy
            _track_peak(cupy)
        except Exception:  # noqa: BLE001 - any failure means "no usable GPU"
            _cupy = None
    return _cupy


_peak = [0, 0]  # peak used, peak reserved bytes of CuPy's pool


class OutOfMemoryError(RuntimeError):
    """A GPU allocation failed (``torch.OutOfMemoryError``, a ``RuntimeError``): CuPy's
    out-of-memory error is raised as this one, so ``except ember.cuda.OutOfMemoryError``
    catches it as PyTorch programs expect."""


def _track_peak(cupy):
    """Route CuPy's allocations through its pool with a peak counter (one call each), and
    raise its out-of-memory error as :class:`OutOfMemoryError`."""
    pool = cupy.get_default_memory_pool()
    # CuPy's OutOfMemoryError (a MemoryError) lives in cupy.cuda.memory
    oom = getattr(getattr(cupy.cuda, "memory", None), "OutOfMemoryError", MemoryError)

    def malloc(nbytes):
        try:
            mem = pool.malloc(nbytes)
        except oom as exc:
            raise OutOfMemoryError(f"CUDA out of memory. {exc}") from exc
        used = pool.used_bytes()
        if used > _peak[0]:
            _peak[0] = used
            _peak[1] = max(_peak[1], pool.total_bytes())
        return mem
    cupy.cuda.set_allocator(malloc)


def peak_device_bytes(reserved: bool = False) -> int:
    """The peak of the GPU pool's used (or reserved) bytes since start or the last reset."""
    return _peak[1 if reserved else 0]


def reset_peak_device_bytes() -> None:
    cp = _cupy
    used = total = 0
    if cp is not None:
        pool = cp.get_default_memory_pool()
        used, total = pool.used_bytes(), pool.total_bytes()
    _peak[0], _peak[1] = used, total


_cuda_used = [False]  # set once a CUDA array module has been handed out (torch.cuda._initialized)


def cuda_initialized() -> bool:
    """Whether ember has used its CUDA backend in this process (made a tensor there, or asked
    the device something), as ``torch.cuda.is_initialized()``."""
    return _cuda_used[0]


def cuda_is_available() -> bool:
    """True when CuPy imports and sees at least one GPU (or the stand-in is selected)."""
    return _get_cupy() is not None


def is_standin() -> bool:
    """True when ``device('cuda')`` is served by the CPU stand-in rather than CuPy."""
    cp = _get_cupy()
    return cp is not None and cp.__name__ == "ember._standin"


_DEVICE_MODULES = ("cupy", "ember._standin")


def is_device_array(a) -> bool:
    """True for a CuPy (or stand-in) array."""
    return type(a).__module__.startswith(_DEVICE_MODULES) and hasattr(a, "shape")


def is_array(a) -> bool:
    """True for an array of any backend (NumPy or device)."""
    return isinstance(a, np.ndarray) or is_device_array(a)


def xp(array):
    """The array module (numpy, cupy or the stand-in) that owns ``array``."""
    if isinstance(array, (np.ndarray, np.generic)):
        return np
    if type(array).__module__.startswith(_DEVICE_MODULES):
        return _get_cupy()
    return np


def get_array_module(*arrays):
    """The array module of the first device array among ``arrays``, else numpy."""
    for a in arrays:
        if not isinstance(a, (np.ndarray, np.generic)) and \
                type(a).__module__.startswith(_DEVICE_MODULES):
            return _get_cupy()
    return np


# ----------------------------------------------------------------------------
# Devices


# PyTorch's other device types: they can be named (programs build them conditionally), and
# using one for data is an error that says ember does not support it.
_OTHER_DEVICES = ("mps", "xpu", "meta", "hpu", "mtia", "ipu", "xla", "privateuseone")


class device:
    """A device, as ``torch.device``: ``device('cpu')``, ``device('cuda:0')``, ``device('cuda', 1)``."""

    __slots__ = ("type", "index")

    def __init__(self, type: str | device = "cpu", index: int | None = None):  # noqa: A002
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if not isinstance(type, str):
            raise TypeError(f"device(): expected a string or a device, got {type!r}")
        name = type.strip()
        if ":" in name:
            if index is not None:
                raise RuntimeError(f"device(): type {name!r} already names an index")
            name, idx = name.split(":", 1)
            try:
                index = int(idx)
            except ValueError:
                raise RuntimeError(f"Invalid device string: '{type}'") from None
        if name not in ("cpu", "cuda") + _OTHER_DEVICES:
            raise RuntimeError(f"Expected one of {', '.join(('cpu', 'cuda') + _OTHER_DEVICES)} "
                               f"device type at start of device string: {type}")
        if name == "cpu" and index not in (None, 0):
            raise RuntimeError(f"device(): the cpu has no index {index}")
        self.type = name
        self.index = index if name != "cpu" else None

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and (self.index or 0) == (other.index or 0)

    def __hash__(self):
        return hash((self.type, self.index or 0))


CPU = device("cpu")


def as_device(d) -> device:
    """Normalise ``None``/str/int/device to a device (``None`` means the CPU)."""
    if d is None:
        return CPU
    if isinstance(d, device):
        return d
    if isinstance(d, int):
        return device("cuda", d)
    return device(d)


def device_of(array) -> device:
    """The device holding ``array``."""
    if isinstance(array, (np.ndarray, np.generic)):
        return CPU
    return device("cuda", int(array.device.id))


def module_for(d: device):
    """The array module that serves device ``d``; raises if CUDA is asked for and absent."""
    if d.type == "cpu":
        return np
    if d.type != "cuda":
        raise RuntimeError(f"device type '{d.type}' is not supported by ember: it runs on the "
                           "CPU (NumPy) and on NVIDIA GPUs (device 'cuda', through CuPy)")
    cp = _get_cupy()
    if cp is None:
        raise RuntimeError(
            "CUDA is not available to ember: CuPy is not installed or sees no GPU (install "
            "ember[gpu] on a machine with an NVIDIA GPU, or set EMBER_STANDIN_CUDA=1 for the "
            "CPU stand-in)")
    n = device_count()
    if (d.index or 0) >= n:
        raise RuntimeError(f"CUDA error: invalid device ordinal: {d} (this machine has {n})")
    _cuda_used[0] = True
    return cp


def device_count() -> int:
    """How many CUDA devices there are (0 without CuPy and a GPU)."""
    cp = _get_cupy()
    return 0 if cp is None else int(cp.cuda.runtime.getDeviceCount())


# Page-locked host arrays handed out by pin(): their buffers, by id of the array.
_pinned: dict = {}
# (source, event) of the non-blocking copies: a pinned source must outlive its
# asynchronous copy, so it is kept here until the event recorded after it is done.
_in_flight: list = []


def pin(array):
    """A copy of the NumPy ``array`` in page-locked (pinned) host memory.

    With CuPy, copies from such memory to the GPU can run asynchronously
    (``to_device(..., non_blocking=True)``). Needs a CUDA device (or the stand-in).
    """
    cp = _get_cupy()
    if cp is None:
        raise RuntimeError("pin_memory(): pinned memory needs a CUDA device, and ember found none")
    mem = cp.cuda.alloc_pinned_memory(max(array.nbytes, 1))
    out = np.frombuffer(mem, array.dtype, array.size).reshape(array.shape)
    out[...] = array
    _pinned[id(out)] = mem
    import weakref  # noqa: PLC0415

    weakref.finalize(out, _pinned.pop, id(out), None)
    return out


def is_pinned(array) -> bool:
    """True for an array made by :func:`pin` (or a view of one)."""
    while array is not None:
        if id(array) in _pinned:
            return True
        array = getattr(array, "base", None) if isinstance(array, np.ndarray) else None
    return False


def to_device(array, d: device, non_blocking: bool = False):
    """Copy ``array`` to device ``d`` (no copy when it is already there).

    ``non_blocking`` copies from pinned host memory without waiting for the copy
    to finish (the source is kept alive until then); other copies are synchronous.
    """
    if device_of(array) == d:
        return array
    if d.type == "cpu":
        return array.get()
    if array.dtype == BF16:
        raise TypeError("bfloat16 tensors cannot go to the GPU in ember (CuPy has no "
                        "bfloat16); convert with .float() or .half() first")
    cp = module_for(d)
    with cp.cuda.Device(d.index or 0):
        if _in_flight:
            _in_flight[:] = [(a, ev) for a, ev in _in_flight if not ev.done]
        if non_blocking and is_pinned(array) and not is_standin():
            out = cp.asarray(array, blocking=False)
            ev = cp.cuda.Event(disable_timing=True)
            ev.record()
            _in_flight.append((array, ev))
            return out
        return cp.asarray(array)


def writeable(arr) -> bool:
    """False for a read-only or expanded (broadcast) array, whose elements share memory.

    NumPy says so in ``flags.writeable``; CuPy has no such flag, so a zero
    stride over an axis longer than one tells it there.
    """
    if isinstance(arr, np.ndarray):
        return arr.flags.writeable
    if arr.size == 0:  # no elements, nothing shared (CuPy gives empty arrays zero strides)
        return True
    return not any(st == 0 and n > 1 for st, n in zip(arr.strides, arr.shape))


def errstate(xp_mod, **kwargs):
    """``numpy.errstate`` for NumPy work; nothing for a device (CuPy has no such switch)."""
    if xp_mod is np:
        return np.errstate(**kwargs)
    import contextlib  # noqa: PLC0415

    return contextlib.nullcontext()


def special(xp_mod, name: str):
    """The special function ``name`` (e.g. ``"erf"``) for arrays of ``xp_mod``.

    SciPy's (or CuPy's ``cupyx.scipy.special``) where installed; on the CPU
    without SciPy, the math module's, element by element.
    """
    if xp_mod is np:
        try:
            import scipy.special as sp  # noqa: PLC0415

            return getattr(sp, name)
        except ImportError:
            import math  # noqa: PLC0415

            f = np.frompyfunc(getattr(math, name), 1, 1)
            return lambda x: np.asarray(f(x), dtype=x.dtype)
    if getattr(xp_mod, "__name__", "") == "ember._standin":
        host = special(np, name)
        return lambda x: xp_mod.asarray(host(x.get()))
    import cupyx.scipy.special as csp  # noqa: PLC0415

    return getattr(csp, name)


def to_host(array):
    """``array`` as a NumPy array (a copy from the device, the array itself on the CPU)."""
    return array if isinstance(array, np.ndarray) else array.get()


# ----------------------------------------------------------------------------
# Dtypes


# bfloat16 comes from ml_dtypes (NumPy has none): a storage and conversion dtype in ember,
# as on most CPUs; arithmetic runs through ml_dtypes' NumPy loops, without autograd.
BF16 = np.dtype(ml_dtypes.bfloat16)


class dtype:
    """An element type, as ``torch.dtype``: ``ember.float32``, ``ember.int64``..."""

    __slots__ = ("name", "np", "is_floating_point", "is_complex", "is_signed", "itemsize")

    def __init__(self, name: str, np_dtype):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f" or self.np == BF16
        self.is_complex = self.np.kind == "c"
        self.is_signed = self.is_floating_point or self.is_complex or self.np.kind == "i"
        self.itemsize = self.np.itemsize

    def to_real(self) -> dtype:
        """The real dtype of a complex one's parts (itself for a real dtype)."""
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    def to_complex(self) -> dtype:
        """The complex dtype whose parts have this floating dtype (itself when complex)."""
        if self.is_complex:
            return self
        if self.name == "float64":
            return complex128
        if self.name == "float32":
            return complex64
        raise RuntimeError(f"ember has no complex dtype with {self.name} parts (it has "
                           "complex64 and complex128)")

    def __repr__(self):
        return f"ember.{self.name}"

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))


float16 = dtype("float16", np.float16)
float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
int8 = dtype("int8", np.int8)
int16 = dtype("int16", np.int16)
int32 = dtype("int32", np.int32)
int64 = dtype("int64", np.int64)
uint8 = dtype("uint8", np.uint8)
bool_ = dtype("bool", np.bool_)
bfloat16 = dtype("bfloat16", BF16)
complex64 = dtype("complex64", np.complex64)
complex128 = dtype("complex128", np.complex128)
C64, C128 = complex64.np, complex128.np  # the NumPy dtypes, for identity checks on hot paths

_ALL = (float16, float32, float64, int8, int16, int32, int64, uint8, bool_, bfloat16, complex64,
        complex128)
_FROM_NP = {d.np: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update(half=float16, float=float32, double=float64, short=int16, int=int32,
                long=int64, cfloat=complex64, cdouble=complex128)


def _dtype_by_name(name):
    return _BY_NAME[name]


_default = [float32]


def get_default_dtype() -> dtype:
    """The floating dtype that Python floats become (float32 unless changed)."""
    return _default[0]


def default_complex_dtype() -> dtype:
    """The complex dtype that Python complex numbers become (complex64 with the default
    float32, complex128 with float64), as PyTorch's ``get_default_complex_dtype``."""
    return complex128 if _default[0] is float64 else complex64


def set_default_dtype(d) -> None:
    """Set the default floating dtype (float32 or float64, as PyTorch allows)."""
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"set_default_dtype(): only floating-point types are supported, got {d}")
    _default[0] = d


def from_np(np_dtype) -> dtype:
    """The ember dtype of a NumPy dtype."""
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        d = _FROM_NP.get(np.dtype(np_dtype))
        if d is None:
            raise TypeError(f"ember does not support the NumPy dtype {np_dtype}") from None
        return d


def to_dtype(d) -> dtype:
    """Normalise an ember dtype, NumPy dtype, Python type or name to an ember dtype."""
    if isinstance(d, dtype):
        return d
    if d is float:
        return _default[0]
    if d is int:
        return int64
    if d is bool:
        return bool_
    if d is complex:
        return complex128
    if isinstance(d, str):
        name = d[len("ember."):] if d.startswith("ember.") else d
        if name in _BY_NAME:
            return _BY_NAME[name]
    return from_np(np.dtype(d))


def np_dtype(d):
    """The NumPy dtype for an ember dtype (or anything :func:`to_dtype` accepts)."""
    return to_dtype(d).np


# ----------------------------------------------------------------------------
# Reused work arrays


class _Scratch:
    """Reuse of the large work arrays (im2col buffers) from one step to the next.

    A fresh multi-megabyte array is new pages for the OS to fault in at every
    step (that cost rivalled the copies themselves). An array is handed out again
    only when nothing else refers to it any more (the graph that used it has
    been freed), so two users never share one. At most ``per_key`` arrays are kept
    per shape and dtype; NumPy only (CuPy has its own memory pool).
    """

    def __init__(self, per_key=2, min_bytes=1 << 20):
        self.per_key, self.min_bytes = per_key, min_bytes
        self.free: dict = {}

    def empty(self, xp, shape, dtype):
        if xp is not np:
            return xp.empty(shape, dtype=dtype)
        dt = np.dtype(dtype)
        if int(np.prod(shape)) * dt.itemsize < self.min_bytes:
            return np.empty(shape, dtype=dt)
        arrays = self.free.setdefault((shape, dt.str), [])
        for a in arrays:
            if sys.getrefcount(a) <= 3:  # the list, the loop variable and the call
                return a
        a = np.empty(shape, dtype=dt)
        if len(arrays) < self.per_key:
            arrays.append(a)
        return a

    def clear(self):
        self.free.clear()

    def zeros(self, xp, shape, dtype):
        a = self.empty(xp, shape, dtype)
        a.fill(0)
        return a


scratch = _Scratch()


def empty_cache() -> None:
    """Release the work arrays that convolutions keep for reuse between steps."""
    scratch.clear()


# ----------------------------------------------------------------------------
# Random generators


class Generator:
    """A seeded random stream, as ``torch.Generator``.

    It wraps NumPy's PCG64 generator on the CPU (CuPy's on a GPU). Library code
    draws only from generators, never from NumPy's global state. A new generator starts
    from PyTorch's fixed default seed; the default generator of each process starts from a
    fresh random one (``initial_seed()`` tells which), as in PyTorch.
    """

    def __init__(self, device="cpu"):
        self.device = as_device(device)
        self._seed = 67280421310721
        self._rng = self._make(self._seed)

    def _make(self, seed):
        if self.device.type == "cpu":
            return np.random.Generator(np.random.PCG64(seed))
        cp = module_for(self.device)
        return cp.random.default_rng(seed)

    def manual_seed(self, seed: int) -> Generator:
        """Re-seed the stream; returns the generator, as PyTorch does."""
        seed = int(seed)
        self._seed = seed
        self._rng = self._make(seed & 0xFFFFFFFFFFFFFFFF)
        return self

    def seed(self) -> int:
        """Seed from fresh OS entropy and return the seed used."""
        s = int(np.random.SeedSequence().entropy) & 0xFFFFFFFFFFFFFFFF
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        """The stream's state as a uint8 Tensor (JSON bytes of the bit generator state)."""
        if self.device.type != "cpu":
            raise NotImplementedError(
                "Generator.get_state(): saving the state of a CUDA generator is not supported by "
                "ember; re-seed it with manual_seed() instead")
        state = {"seed": self._seed, "bit_generator": _jsonable(self._rng.bit_generator.state)}
        raw = np.frombuffer(json.dumps(state).encode(), dtype=np.uint8).copy()
        return _state_wrapper[0](raw)

    def set_state(self, state) -> Generator:
        data = state._data if hasattr(state, "_data") else np.asarray(state)
        try:
            decoded = json.loads(bytes(np.asarray(data, dtype=np.uint8)).decode())
            self._seed = int(decoded["seed"])
            bg = np.random.PCG64()
            bg.state = decoded["bit_generator"]
        except (ValueError, KeyError, TypeError) as exc:
            raise RuntimeError(f"Generator.set_state(): not a state from get_state(): {exc}") from None
        self._rng = np.random.Generator(bg)
        return self

    @property
    def rng(self):
        """The underlying NumPy/CuPy generator."""
        return self._rng

    def _snapshot(self):
        """The stream's whole state, to come back to with :meth:`_restore` (any device: a
        copy of the underlying generator, whose state CuPy keeps in device memory)."""
        import copy  # noqa: PLC0415

        return self._seed, copy.deepcopy(self._rng)

    def _restore(self, snapshot) -> None:
        import copy  # noqa: PLC0415

        self._seed, self._rng = snapshot[0], copy.deepcopy(snapshot[1])


# Generator.get_state() returns a Tensor, a type of the layer above: tensor.py registers
# it here when it is imported, so this module imports nothing of ember's.
_state_wrapper = [lambda raw: raw]


def register_state_wrapper(fn) -> None:
    """Called by ``ember.tensor``: wrap the raw uint8 state array of get_state()."""
    _state_wrapper[0] = fn


def _jsonable(obj):
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


default_generator = Generator("cpu")
default_generator.seed()  # a fresh seed per process: unseeded programs do not repeat themselves
_cuda_generators: dict[int, Generator] = {}
_rng_lock = threading.Lock()


def generator_for(d: device, generator: Generator | None = None) -> Generator:
    """The generator to draw from on device ``d``: the one given or the device default."""
    if generator is not None:
        if generator.device != d:
            raise RuntimeError(
                f"Expected a '{d.type}' device type for generator but found '{generator.device.type}'")
        return generator
    if d.type == "cpu":
        return default_generator
    with _rng_lock:
        g = _cuda_generators.get(d.index or 0)
        if g is None:
            g = Generator(d).manual_seed(default_generator.initial_seed())
            _cuda_generators[d.index or 0] = g
        return g


def manual_seed(seed: int) -> Generator:
    """Seed the default generator of every device; returns the CPU one."""
    default_generator.manual_seed(seed)
    for g in _cuda_generators.values():
        g.manual_seed(seed)
    return default_generator


def seed() -> int:
    """Seed every default generator from OS entropy; returns the seed."""
    s = default_generator.seed()
    for g in _cuda_generators.values():
        g.manual_seed(s)
    return s


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state) -> None:
    default_generator.set_state(state)


# ---------------------------------------------------------------------------- CPU threads
_threads: list = []  # the limit set by set_num_threads, when one was set


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in the CPU's BLAS and OpenMP pools (NumPy's matrix products and
    oneDNN's kernels)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads expects a positive integer, got {n!r}")
    from threadpoolctl import threadpool_limits  # noqa: PLC0415

    from .backends.mkldnn import _flags  # noqa: PLC0415

    threadpool_limits(limits=n)
    _flags.set_num_threads(n)
    _threads[:] = [n]


def get_num_threads() -> int:
    """The threads the CPU's BLAS pool uses (as set by ``set_num_threads``)."""
    lib = _blas_lib()
    if lib is not None:
        return max(1, int(lib.get_num_threads() or 1))
    return _threads[0] if _threads else 1


_blas: list = []  # threadpoolctl's handle on NumPy's BLAS (or None), found once

# OpenBLAS cores with small-matrix sgemm kernels (no packing of the operands): a per-step
# product with a few rows runs up to twice as fast when split into blocks they take
_SMALL_GEMM_CORES = frozenset({"SkylakeX", "Cooperlake", "SapphireRapids"})


def _blas_lib():
    if not _blas:
        lib = None
        try:
            from threadpoolctl import ThreadpoolController  # noqa: PLC0415

            libs = [c for c in ThreadpoolController().lib_controllers if c.user_api == "blas"]
            lib = libs[0] if libs else None
        except Exception:  # noqa: BLE001 - an unknown BLAS: no tuning, one thread assumed
            lib = None
        _blas.append(lib)
    return _blas[0]


def blas_small_gemm() -> bool:
    """Whether NumPy's BLAS runs single-threaded on an OpenBLAS core with small-matrix
    sgemm kernels (then the recurrent layers split their per-step products into blocks)."""
    lib = _blas_lib()
    return (lib is not None and lib.internal_api == "openblas"
            and getattr(lib, "architecture", None) in _SMALL_GEMM_CORES
            and lib.get_num_threads() == 1)
