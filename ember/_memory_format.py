"""Memory formats (``ember.channels_last``...) and the stride arithmetic behind them.

A memory format names an order of the elements in memory for a given shape: row-major
(``contiguous_format``), NHWC for an NCHW shape (``channels_last``), NDHWC for NCDHW
(``channels_last_3d``). A strided array holds any of them exactly; these helpers compute
the strides, recognise a layout (PyTorch's rules, size-1 dimensions being free) and make
new arrays in one. They work on raw arrays of any array module.
"""
from __future__ import annotations

__all__ = ["memory_format", "preserve_format", "contiguous_format", "channels_last",
           "channels_last_3d"]


class memory_format:
    """A memory layout of a tensor's elements, as ``torch.memory_format``."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self):
        return f"ember.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))


preserve_format = memory_format("preserve_format")
contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
_ALL = {f.name: f for f in (preserve_format, contiguous_format, channels_last, channels_last_3d)}
# the order of the dims from the fastest-varying to the slowest, per channels-last rank
_CL_ORDER = {4: (1, 3, 2, 0), 5: (1, 4, 3, 2, 0)}


def _by_name(name):
    return _ALL[name]


def check(fmt, name: str):
    """``fmt`` as a memory format, or TypeError naming the function."""
    if fmt is None:
        return preserve_format
    if not isinstance(fmt, memory_format):
        raise TypeError(f"{name}(): argument 'memory_format' must be ember.memory_format, not "
                        f"{type(fmt).__name__}")
    return fmt


def _rank_of(fmt):
    return 4 if fmt is channels_last else 5 if fmt is channels_last_3d else None


def check_rank(fmt, ndim: int) -> None:
    """PyTorch's error for a channels-last format on a tensor of the wrong rank."""
    rank = _rank_of(fmt)
    if rank is not None and ndim != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {fmt.name} format")


def elem_strides(arr):
    """The strides of ``arr`` in elements."""
    return tuple(s // arr.itemsize for s in arr.strides)


def strides_for(shape, fmt):
    """The strides (in elements) of a new, dense array of ``shape`` in format ``fmt``."""
    order = _CL_ORDER.get(len(shape)) if fmt in (channels_last, channels_last_3d) else None
    if order is None:
        order = tuple(range(len(shape) - 1, -1, -1))
    strides = [0] * len(shape)
    step = 1
    for d in order:
        strides[d] = step
        step *= max(shape[d], 1)
    return tuple(strides)


def is_contiguous_as(shape, strides, fmt) -> bool:
    """Whether a tensor of this geometry is contiguous in ``fmt`` (PyTorch's rule: the
    strides of size-1 dims are free; any empty tensor is row-major contiguous)."""
    order = _CL_ORDER.get(len(shape)) if fmt in (channels_last, channels_last_3d) else None
    if fmt in (channels_last, channels_last_3d):
        if order is None or len(shape) != _rank_of(fmt):
            return False
    else:
        if 0 in shape:
            return True
        order = tuple(range(len(shape) - 1, -1, -1))
    expected = 1
    for d in order:
        if shape[d] != 1:
            if strides[d] != expected:
                return False
            expected *= shape[d]
    return True


def _strides_like_channels_last(shape, strides) -> bool:
    """PyTorch's guess that a (possibly non-dense) geometry is laid out channels-last."""
    order = _CL_ORDER.get(len(shape))
    if order is None or strides[1] == 0:
        return False
    low = 0
    for d in order:
        if shape[d] == 0 or strides[d] < low:
            return False
        if d == 0 and low == strides[1]:
            return False  # ambiguous (N111-like): row-major by default
        low = strides[d] * (shape[d] if shape[d] > 1 else 1)
    return True


def suggest(shape, strides):
    """The format PyTorch's ``suggest_memory_format`` names for this geometry."""
    return channels_last if len(shape) == 4 and _strides_like_channels_last(shape, strides) \
        else channels_last_3d if len(shape) == 5 and _strides_like_channels_last(shape, strides) \
        else contiguous_format


def non_overlapping_and_dense(shape, strides) -> bool:
    """Whether the elements fill one block of memory with no gaps and no overlaps."""
    if len(shape) == 1:
        return shape[0] < 2 or strides[0] == 1
    dims = sorted(range(len(shape)), key=lambda d: (shape[d] < 2, strides[d] if shape[d] >= 2
                                                    else 0))
    need = 1
    for d in dims:
        if shape[d] < 2:
            return True
        if strides[d] != need:
            return False
        need *= shape[d]
    return True


def extent(shape, strides) -> int:
    """How many elements of memory a geometry spans from its first element (0 when empty)."""
    if 0 in shape:
        return 0
    return 1 + sum((n - 1) * s for n, s in zip(shape, strides))


def empty_strided(xp, shape, strides, dtype):
    """A new array of ``shape`` with exactly these element strides over fresh memory."""
    dt = xp.dtype(dtype)
    buf = xp.empty((max(extent(shape, strides), 1),), dtype=dt)
    return xp.lib.stride_tricks.as_strided(buf, tuple(shape),
                                           tuple(s * dt.itemsize for s in strides))


def target_strides(arr, fmt):
    """The strides (in elements) of a new array laid out as ``fmt`` asks for ``arr``:
    ``preserve_format`` keeps a dense array's strides and otherwise takes the layout its
    strides suggest; None means row-major (NumPy's own default)."""
    shape = arr.shape
    if fmt is preserve_format:
        if arr.flags.c_contiguous and (1 not in shape or arr.strides == _c_strides(arr)):
            return None
        st = elem_strides(arr)
        if non_overlapping_and_dense(shape, st):
            return st
        fmt = suggest(shape, st)
    if fmt is contiguous_format:
        return None
    check_rank(fmt, len(shape))
    return strides_for(shape, fmt)


def _c_strides(arr):
    """NumPy's row-major strides (in bytes) for ``arr``'s shape and dtype."""
    return tuple(s * arr.itemsize for s in strides_for(arr.shape, contiguous_format))


def empty_as(xp, arr, fmt, dtype=None, zero=False):
    """A new array shaped as ``arr`` in the layout ``fmt`` asks for: uninitialised, or zeros."""
    dt = arr.dtype if dtype is None else dtype
    st = target_strides(arr, fmt)
    if st is None:
        return (xp.zeros if zero else xp.empty)(arr.shape, dtype=dt)
    out = empty_strided(xp, arr.shape, st, dt)
    if zero:
        out.fill(0)
    return out


def copy_as(xp, arr, fmt, dtype=None):
    """A copy of ``arr`` (cast to ``dtype``) in the layout ``fmt`` asks for."""
    if dtype is None and (fmt is contiguous_format or (
            fmt is preserve_format and arr.flags.c_contiguous and 1 not in arr.shape)):
        return arr.copy()  # row-major, NumPy's (and CuPy's) default
    out = empty_as(xp, arr, fmt, dtype)
    out[...] = arr
    return out
