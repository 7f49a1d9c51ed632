"""``ember.cuda``: GPU queries, as ``torch.cuda`` (backed by CuPy, or the CPU stand-in).

``is_available()`` is True where CuPy imports and sees a GPU, or where
``EMBER_STANDIN_CUDA=1`` selects the CPU stand-in (which reports one device,
named so, and no memory). Memory figures are those of CuPy's memory pool,
which is where every ember tensor on the GPU lives.

Without a device the names still exist and behave as PyTorch's do on a machine without
CUDA: ``is_available()`` is False, the typed constructors (``ember.cuda.FloatTensor(2)``)
raise ``TypeError``, ``Event()`` raises ``RuntimeError``, and ``isinstance(t,
ember.cuda.FloatTensor)`` is False for every CPU tensor.
"""
from __future__ import annotations

from .. import backend
from ..backend import OutOfMemoryError

__all__ = ["is_available", "device_count", "current_device", "set_device", "synchronize",
           "get_device_name", "get_device_properties", "get_device_capability",
           "memory_allocated", "max_memory_allocated", "memory_reserved", "max_memory_reserved",
           "reset_peak_memory_stats", "empty_cache", "mem_get_info", "manual_seed",
           "manual_seed_all", "seed", "is_bf16_supported", "device", "memory_summary",
           "Event", "OutOfMemoryError", "is_initialized", "init",
           # the typed constructors, registered here by ember._tensor_types (they need Tensor)
           "FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "LongTensor",
           "IntTensor", "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"]


def is_available() -> bool:
    """True when CuPy imports and sees a GPU (or the stand-in is selected)."""
    return backend.cuda_is_available()


def device_count() -> int:
    return backend.device_count()


def _cp():
    cp = backend._get_cupy()
    if cp is None:
        raise RuntimeError("ember.cuda: no CUDA device is available (CuPy with a GPU, or "
                           "EMBER_STANDIN_CUDA=1 for the CPU stand-in)")
    backend._cuda_used[0] = True
    return cp


def is_initialized() -> bool:
    """Whether ember has used CUDA in this process (a tensor on the device, or a call that
    needs it); ``is_available()`` alone does not count, as in PyTorch."""
    return backend.cuda_initialized()


def init() -> None:
    """Initialise CUDA now (PyTorch does it lazily too); raises without a device."""
    _cp()


def __getattr__(name):
    if name == "_initialized":  # PyTorch's module flag, read by some programs
        return backend.cuda_initialized()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _register_tensor_types(types: dict) -> None:
    """Called by ``ember._tensor_types`` (the layer with Tensor) with the typed constructors
    ``FloatTensor``... of this namespace."""
    globals().update(types)


def _index(device) -> int:
    if device is None:
        return current_device()
    if isinstance(device, int):
        return device
    return backend.as_device(device).index or 0


def _on(device):
    """``with _on(device):`` runs a query against that device (its pool, its free memory)."""
    i = _index(device)
    if not 0 <= i < device_count():
        raise RuntimeError(f"CUDA error: invalid device ordinal {i}")
    return _cp().cuda.Device(i)


def current_device() -> int:
    return int(_cp().cuda.Device().id)


def set_device(device) -> None:
    """Make ``device`` the current one (where ``device='cuda'`` tensors go)."""
    dev = _on(device)
    if hasattr(dev, "use"):
        dev.use()


def synchronize(device=None) -> None:
    """Wait until every kernel queued on the device has finished."""
    if is_available():
        _cp().cuda.Device(_index(device)).synchronize()


def get_device_properties(device=None) -> dict:
    """CUDA's device properties (``name``, ``totalGlobalMem``, ``major``/``minor``...)."""
    props = dict(_cp().cuda.runtime.getDeviceProperties(_index(device)))
    name = props.get("name", b"")
    props["name"] = name.decode() if isinstance(name, bytes) else str(name)
    props.setdefault("total_memory", props.get("totalGlobalMem", 0))
    return props


def get_device_name(device=None) -> str:
    return get_device_properties(device)["name"]


def get_device_capability(device=None) -> tuple:
    p = get_device_properties(device)
    return int(p.get("major", 0)), int(p.get("minor", 0))


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False: ember keeps bfloat16 tensors on the CPU (CuPy has no bfloat16), so neither
    native nor emulated (``including_emulation``) bfloat16 runs on the GPU."""
    return False


def memory_allocated(device=None) -> int:
    """Bytes held by live ember tensors on the GPU ``device`` (its CuPy pool's used bytes)."""
    if not is_available():
        return 0
    with _on(device):
        return int(_cp().get_default_memory_pool().used_bytes())


def memory_reserved(device=None) -> int:
    """Bytes the memory pool holds from the driver on ``device`` (used + cached for reuse)."""
    if not is_available():
        return 0
    with _on(device):
        return int(_cp().get_default_memory_pool().total_bytes())


def max_memory_allocated(device=None) -> int:
    """The peak of :func:`memory_allocated` since start or :func:`reset_peak_memory_stats`."""
    return max(backend.peak_device_bytes(), memory_allocated(device)) if is_available() else 0


def max_memory_reserved(device=None) -> int:
    return max(backend.peak_device_bytes(reserved=True), memory_reserved(device)) \
        if is_available() else 0


def reset_peak_memory_stats(device=None) -> None:
    """Start the peaks of :func:`max_memory_allocated` / :func:`max_memory_reserved` again.
    ember keeps one peak over all its devices, so resetting it for ``device`` resets it."""
    if is_available():
        _on(device)  # an invalid ordinal raises, as in PyTorch
    backend.reset_peak_device_bytes()


def empty_cache() -> None:
    """Return the pool's cached, unused blocks to the driver (and ember's CPU work arrays)."""
    if is_available():
        _cp().get_default_memory_pool().free_all_blocks()
        _cp().get_default_pinned_memory_pool().free_all_blocks()
    backend.empty_cache()


def mem_get_info(device=None) -> tuple:
    """(free, total) bytes of ``device``, as the driver reports them."""
    with _on(device):
        free, total = _cp().cuda.runtime.memGetInfo()
    return int(free), int(total)


def memory_summary(device=None, abbreviated: bool = False) -> str:
    """A readable account of ``device``'s memory: one line when ``abbreviated``, else also the
    pool's cached (free) blocks, the pinned host memory and the driver's free/total figures."""
    mib = 1 << 20
    used, reserved = memory_allocated(device), memory_reserved(device)
    text = (f"ember CUDA memory ({get_device_name(device)}): allocated "
            f"{used / mib:.1f} MiB (peak {max_memory_allocated(device) / mib:.1f}"
            f" MiB), reserved {reserved / mib:.1f} MiB")
    if abbreviated:
        return text
    free, total = mem_get_info(device)
    pinned = int(_cp().get_default_pinned_memory_pool().total_bytes()) \
        if hasattr(_cp().get_default_pinned_memory_pool(), "total_bytes") else 0
    return (text + f"\n  cached in the pool, free for reuse: {(reserved - used) / mib:.1f} MiB"
            f"\n  pinned host memory: {pinned / mib:.1f} MiB"
            f"\n  device: {free / mib:.1f} MiB free of {total / mib:.1f} MiB")


def manual_seed(seed: int) -> None:
    """Seed the current device's default generator (ember.manual_seed seeds every device)."""
    if is_available():
        backend.generator_for(backend.device("cuda", current_device())).manual_seed(seed)


def manual_seed_all(seed: int) -> None:
    for i in range(device_count()):
        backend.generator_for(backend.device("cuda", i)).manual_seed(seed)


def seed() -> None:
    import random  # noqa: PLC0415

    manual_seed(random.SystemRandom().getrandbits(63))


class device:
    """``with ember.cuda.device(i):`` makes device i current inside the block."""

    def __init__(self, device):
        self.idx = _index(device)
        self.prev = None

    def __enter__(self):
        if is_available():
            self.prev = current_device()
            set_device(self.idx)
        return self

    def __exit__(self, *exc):
        if self.prev is not None:
            set_device(self.prev)
        return False


class Event:
    """A CUDA event, as ``torch.cuda.Event``: a marker in the device's work queue that tells
    when the work before it has finished, and (``enable_timing=True``) when it happened.

    ``record()`` places it on a stream (the current one by default), ``query()`` tells whether
    the device has reached it, ``synchronize()`` waits for that, ``wait()`` makes a stream
    wait for it, and ``start.elapsed_time(end)`` gives the milliseconds between two recorded
    timing events. On the CPU stand-in of the device, work runs synchronously, so a recorded
    event is reached at once and its time is the host clock's. Without a CUDA device it cannot
    be created (``RuntimeError``), as in PyTorch.
    """

    def __init__(self, enable_timing: bool = False, blocking: bool = False,
                 interprocess: bool = False, external: bool = False):
        if not is_available():
            raise RuntimeError("ember.cuda.Event: no CUDA device is available, so no CUDA event "
                               "can be created (PyTorch without CUDA raises here too)")
        if external:
            raise NotImplementedError("ember.cuda.Event(external=True): external events (for "
                                      "CUDA graphs) are not supported by ember")
        self.enable_timing, self.blocking, self.interprocess = enable_timing, blocking, interprocess
        self._event = _cp().cuda.Event(block=blocking, disable_timing=not enable_timing,
                                       interprocess=interprocess)
        self._recorded = False

    def record(self, stream=None) -> None:
        """Record the event on ``stream`` (a CuPy stream; default: the current stream)."""
        self._event.record(stream)
        self._recorded = True

    def wait(self, stream=None) -> None:
        """Make ``stream`` (default: the current one) wait until the device reaches this event."""
        (stream if stream is not None else _cp().cuda.get_current_stream()).wait_event(
            self._event)

    def query(self) -> bool:
        """True once all the work before the event has finished (or it was never recorded)."""
        return bool(self._event.done)

    def synchronize(self) -> None:
        """Wait until the device has reached the event."""
        self._event.synchronize()

    def elapsed_time(self, end_event: Event) -> float:
        """Milliseconds from this event to ``end_event`` (both recorded, both timing events)."""
        if not (self.enable_timing and end_event.enable_timing):
            raise RuntimeError("Both events must be created with argument 'enable_timing=True'.")
        if not (self._recorded and end_event._recorded):
            raise RuntimeError("Both events must be recorded before calculating elapsed time.")
        return float(_cp().cuda.get_elapsed_time(self._event, end_event._event))

    def __repr__(self):
        return f"<ember.cuda.Event enable_timing={self.enable_timing}>"
