"""``ember.cuda``: GPU queries, as ``torch.cuda`` (backed by CuPy when installed)."""
from __future__ import annotations

from . import backend


def is_available() -> bool:
    """True when CuPy imports and sees a GPU."""
    return backend.cuda_is_available()


def device_count() -> int:
    if not is_available():
        return 0
    return int(backend._get_cupy().cuda.runtime.getDeviceCount())


def current_device() -> int:
    if not is_available():
        raise RuntimeError("ember.cuda: no CUDA device (CuPy with a GPU) is available")
    return int(backend._get_cupy().cuda.Device().id)


def synchronize(device=None) -> None:
    if is_available():
        backend._get_cupy().cuda.Stream.null.synchronize()


def manual_seed(seed: int) -> None:
    if is_available():
        backend.generator_for(backend.device("cuda", current_device())).manual_seed(seed)


def manual_seed_all(seed: int) -> None:
    for i in range(device_count()):
        backend.generator_for(backend.device("cuda", i)).manual_seed(seed)
