"""``ember.finfo`` and ``ember.iinfo``: the numerical limits of ember's dtypes, as PyTorch's."""
from __future__ import annotations

import builtins
import math

import ml_dtypes
import numpy as np

from . import backend

__all__ = ["finfo", "iinfo"]


def _dtype_arg(name, value):
    """An ember dtype from ``value`` (an ember dtype, or Python's ``float``/``int``/``bool``)."""
    if isinstance(value, backend.dtype):
        return value
    if value is builtins.float:
        return backend.float64
    if value is builtins.int:
        return backend.int64
    if value is builtins.bool:
        return backend.bool_
    raise TypeError(f"{name}(): argument 'type' (position 1) must be ember.dtype, not "
                    f"{type(value).__name__}")


class _Info:
    """Read-only fields; equal when they describe the same dtype; unhashable, as PyTorch's."""

    __slots__ = ("_fields",)
    __hash__ = None

    def __eq__(self, other):
        return type(other) is type(self) and other._fields == self._fields

    def __ne__(self, other):
        return not self == other

    def _set(self, **fields):
        self._fields = fields


def _field(name, doc):
    return property(lambda self: self._fields[name], doc=doc)


class finfo(_Info):
    """The machine limits of a floating dtype (the default dtype when none is given).

    Attributes:
        bits: the number of bits the type occupies.
        eps: the smallest number such that ``1.0 + eps != 1.0``.
        max / min: the largest / most negative finite number.
        tiny / smallest_normal: the smallest positive normal number.
        resolution: the approximate decimal resolution, ``10 ** -floor(-log10(eps))``.
        dtype: the dtype's name, a string (``'float32'``).
    """

    __slots__ = ()
    bits = _field("bits", "the number of bits the type occupies")
    eps = _field("eps", "the smallest number such that 1.0 + eps != 1.0")
    max = _field("max", "the largest finite number")
    min = _field("min", "the most negative finite number")
    tiny = _field("tiny", "the smallest positive normal number")
    smallest_normal = _field("smallest_normal", "the smallest positive normal number")
    resolution = _field("resolution", "the approximate decimal resolution")
    dtype = _field("dtype", "the dtype's name")

    def __init__(self, type=None):  # noqa: A002 - PyTorch's parameter name
        dt = backend.get_default_dtype() if type is None else _dtype_arg("finfo", type)
        if not dt.is_floating_point:
            raise TypeError("ember.finfo() requires a floating point input type. Use "
                            "ember.iinfo to handle 'ember.finfo'")
        info = ml_dtypes.finfo(dt.np) if dt.np == backend.BF16 else np.finfo(dt.np)
        self._set(bits=int(info.bits), eps=float(info.eps), max=float(info.max),
                  min=float(info.min), tiny=float(info.smallest_normal),
                  smallest_normal=float(info.smallest_normal),
                  resolution=10.0 ** -math.floor(-math.log10(float(info.eps))), dtype=dt.name)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo(_Info):
    """The machine limits of an integer dtype.

    Attributes:
        bits: the number of bits the type occupies.
        max / min: the largest / smallest representable number.
        dtype: the dtype's name, a string (``'int64'``).
    """

    __slots__ = ()
    bits = _field("bits", "the number of bits the type occupies")
    max = _field("max", "the largest representable number")
    min = _field("min", "the smallest representable number")
    dtype = _field("dtype", "the dtype's name")

    def __init__(self, type):  # noqa: A002 - PyTorch's parameter name
        dt = _dtype_arg("iinfo", type)
        if dt is backend.bool_:
            raise TypeError("ember.bool is not supported by ember.iinfo")
        if dt.is_floating_point:
            raise TypeError("ember.iinfo() requires an integer input type. Use ember.finfo "
                            "to handle 'ember.iinfo'")
        info = np.iinfo(dt.np)
        self._set(bits=int(info.bits), max=int(info.max), min=int(info.min), dtype=dt.name)

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
