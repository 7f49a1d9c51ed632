"""``ember.cuda``: GPU queries, as ``torch.cuda`` (backed by CuPy, or the CPU stand-in).

``is_available()`` is True where CuPy imports and sees a GPU, or where
``EMBER_STANDIN_CUDA=1`` selects the CPU stand-in (which reports one device,
named so, and no memory). Memory figures are those of CuPy's memory pool,
which is where every ember tensor on the GPU lives.
"""
from __future__ import annotations

from .. import backend

__all__ = ["is_available", "device_count", "current_device", "set_device", "synchronize",
           "get_device_name", "get_device_properties", "get_device_capability",
           "memory_allocated", "max_memory_allocated", "memory_reserved", "max_memory_reserved",
           "reset_peak_memory_stats", "empty_cache", "mem_get_info", "manual_seed",
           "manual_seed_all", "seed", "is_bf16_supported", "device", "memory_summary"]


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
    return cp


def _index(device) -> int:
    if device is None:
        return current_device()
    if isinstance(device, int):
        return device
    return backend.as_device(device).index or 0


def current_device() -> int:
    return int(_cp().cuda.Device().id)


def set_device(device) -> None:
    """Make ``device`` the current one (where ``device='cuda'`` tensors go)."""
    i = _index(device)
    if not 0 <= i < device_count():
        raise RuntimeError(f"CUDA error: invalid device ordinal {i}")
    dev = _cp().cuda.Device(i)
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
    return False  # ember has no bfloat16 arithmetic


def memory_allocated(device=None) -> int:
    """Bytes held by live ember tensors on the GPU (CuPy pool's used bytes)."""
    return int(_cp().get_default_memory_pool().used_bytes()) if is_available() else 0


def memory_reserved(device=None) -> int:
    """Bytes the memory pool holds from the driver (used + cached for reuse)."""
    return int(_cp().get_default_memory_pool().total_bytes()) if is_available() else 0


def max_memory_allocated(device=None) -> int:
    """The peak of :func:`memory_allocated` since start or :func:`reset_peak_memory_stats`."""
    return max(backend.peak_device_bytes(), memory_allocated(device)) if is_available() else 0


def max_memory_reserved(device=None) -> int:
    return max(backend.peak_device_bytes(reserved=True), memory_reserved(device)) \
        if is_available() else 0


def reset_peak_memory_stats(device=None) -> None:
    backend.reset_peak_device_bytes()


def empty_cache() -> None:
    """Return the pool's cached, unused blocks to the driver (and ember's CPU work arrays)."""
    if is_available():
        _cp().get_default_memory_pool().free_all_blocks()
        _cp().get_default_pinned_memory_pool().free_all_blocks()
    backend.empty_cache()


def mem_get_info(device=None) -> tuple:
    """(free, total) bytes of the device, as the driver reports them."""
    free, total = _cp().cuda.runtime.memGetInfo()
    return int(free), int(total)


def memory_summary(device=None, abbreviated: bool = False) -> str:
    mib = 1 << 20
    return (f"ember CUDA memory ({get_device_name(device)}): allocated "
            f"{memory_allocated(device) / mib:.1f} MiB (peak {max_memory_allocated(device) / mib:.1f}"
            f" MiB), reserved {memory_reserved(device) / mib:.1f} MiB")


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
