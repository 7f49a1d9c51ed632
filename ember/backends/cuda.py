"""``torch.backends.cuda``: whether ember's GPU path (CuPy) is usable, TF32 switches, and the
choice of attention backend (``SDPBackend``, ``sdp_kernel``, ``enable_*_sdp``)."""
import contextlib
import enum
import warnings

from .. import _settings, backend


class _MatmulFlags:
    allow_fp16_reduced_precision_reduction = True
    allow_bf16_reduced_precision_reduction = True

    @property
    def allow_tf32(self) -> bool:
        """Whether float32 products may use TF32: the float32 matmul precision is not
        'highest' (the two are one setting, as in PyTorch)."""
        return _settings.get_float32_matmul_precision() != "highest"

    @allow_tf32.setter
    def allow_tf32(self, value: bool) -> None:
        _settings.set_float32_matmul_precision("high" if value else "highest")


matmul = _MatmulFlags()


def is_built() -> bool:
    """True when CuPy is installed and sees a GPU (the stand-in counts: it runs the GPU path)."""
    return backend.cuda_is_available()


# ---------------------------------------------------------------------------- attention backends
class SDPBackend(enum.IntEnum):
    """The backends of ``scaled_dot_product_attention`` that PyTorch can choose between.

    ember has one implementation: softmax(Q K^T * scale + mask) V composed of its matmul and
    softmax ops, which is what PyTorch's ``MATH`` backend computes. ``FLASH_ATTENTION``
    selects it too where PyTorch's CPU flash kernel would accept the inputs (4-D floating
    query, key and value with one head size, no dropout); elsewhere a ``FLASH_ATTENTION``-only
    choice raises as PyTorch's does. ember has no memory-efficient, cuDNN or third-party
    kernel, so ``EFFICIENT_ATTENTION``, ``CUDNN_ATTENTION`` and ``OVERRIDEABLE`` alone raise
    as on PyTorch's CPU build ("No viable backend").
    """

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4

    __str__ = enum.Enum.__str__


_SDP_DEFAULT_PRIORITY = (SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION,
                         SDPBackend.MATH, SDPBackend.CUDNN_ATTENTION, SDPBackend.OVERRIDEABLE)
# Process-wide, as PyTorch's flags are: the enabled backends and the order they are tried in.
_sdp = {"enabled": set(_SDP_DEFAULT_PRIORITY), "priority": list(_SDP_DEFAULT_PRIORITY)}


def sdp_enabled_backends() -> list:
    """The enabled attention backends in the order they are tried."""
    return [b for b in _sdp["priority"] if b in _sdp["enabled"]]


def _set_sdp(backend: SDPBackend, enabled: bool) -> None:
    if enabled:
        _sdp["enabled"].add(backend)
    else:
        _sdp["enabled"].discard(backend)


def enable_flash_sdp(enabled: bool) -> None:
    """Allow (or forbid) the flash backend of ``scaled_dot_product_attention``."""
    _set_sdp(SDPBackend.FLASH_ATTENTION, enabled)


def enable_mem_efficient_sdp(enabled: bool) -> None:
    _set_sdp(SDPBackend.EFFICIENT_ATTENTION, enabled)


def enable_math_sdp(enabled: bool) -> None:
    _set_sdp(SDPBackend.MATH, enabled)


def enable_cudnn_sdp(enabled: bool) -> None:
    _set_sdp(SDPBackend.CUDNN_ATTENTION, enabled)


def flash_sdp_enabled() -> bool:
    return SDPBackend.FLASH_ATTENTION in _sdp["enabled"]


def mem_efficient_sdp_enabled() -> bool:
    return SDPBackend.EFFICIENT_ATTENTION in _sdp["enabled"]


def math_sdp_enabled() -> bool:
    return SDPBackend.MATH in _sdp["enabled"]


def cudnn_sdp_enabled() -> bool:
    return SDPBackend.CUDNN_ATTENTION in _sdp["enabled"]


@contextlib.contextmanager
def sdp_backends(backends, set_priority: bool = False):
    """Enable exactly ``backends`` inside the block (``set_priority``: try them in the order
    given, before the others); the previous choice comes back on exit. The body of
    ``ember.nn.attention.sdpa_kernel``."""
    if not isinstance(backends, (list, SDPBackend)):
        raise AssertionError("Backend must be an instance of SDPBackend or a list of SDPBackend "
                             f"instances, got {type(backends).__name__}")
    chosen = list(dict.fromkeys([backends] if isinstance(backends, SDPBackend) else backends))
    previous = {"enabled": set(_sdp["enabled"]), "priority": list(_sdp["priority"])}
    try:
        _sdp["enabled"] = set(chosen) - {SDPBackend.ERROR}
        if set_priority:
            _sdp["priority"] = chosen + [b for b in _sdp["priority"] if b not in chosen]
        yield {}
    finally:
        _sdp.update(previous)


@contextlib.contextmanager
def sdp_kernel(enable_flash: bool = True, enable_math: bool = True,
               enable_mem_efficient: bool = True, enable_cudnn: bool = True):
    """Deprecated form of ``ember.nn.attention.sdpa_kernel``: enable the named backends inside
    the block (PyTorch's ``FutureWarning``)."""
    warnings.warn("`torch.backends.cuda.sdp_kernel()` is deprecated. In the future, this context "
                  "manager will be removed. Please see `torch.nn.attention.sdpa_kernel()` for the "
                  "new context manager, with updated signature.", FutureWarning, stacklevel=3)
    flags = [(enable_flash, SDPBackend.FLASH_ATTENTION),
             (enable_mem_efficient, SDPBackend.EFFICIENT_ATTENTION),
             (enable_math, SDPBackend.MATH), (enable_cudnn, SDPBackend.CUDNN_ATTENTION)]
    with sdp_backends([b for on, b in flags if on]) as ctx:
        yield ctx
