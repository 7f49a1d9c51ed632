"""PyTorch's legacy typed constructors: ``ember.FloatTensor(2, 3)``, ``ember.LongTensor([1, 2])``.

Each is a class whose call builds a plain ``Tensor`` of its dtype (sizes give an uninitialized
tensor, a sequence or array its values converted) and whose ``isinstance`` tells whether a
tensor has that dtype on the CPU, as in PyTorch. ``Tensor.type()`` names them.
"""
from __future__ import annotations

from . import backend
from .tensor import Tensor, _legacy_array, _wrap

__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "LongTensor", "IntTensor",
           "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"]


class _TensorType(type):
    def __call__(cls, *args, device=None):
        return _wrap(_legacy_array(args, cls.dtype.np, device, cls.__name__), False, None, 0)

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype and obj.device.type == "cpu"

    def __repr__(cls):
        return f"<class 'ember.{cls.__name__}'>"


def _make(name, dtype):
    return _TensorType(name, (), {"dtype": dtype, "__doc__": f"A {dtype} tensor on the CPU "
                                  "(PyTorch's legacy constructor and isinstance check)."})


FloatTensor = _make("FloatTensor", backend.float32)
DoubleTensor = _make("DoubleTensor", backend.float64)
HalfTensor = _make("HalfTensor", backend.float16)
BFloat16Tensor = _make("BFloat16Tensor", backend.bfloat16)
LongTensor = _make("LongTensor", backend.int64)
IntTensor = _make("IntTensor", backend.int32)
ShortTensor = _make("ShortTensor", backend.int16)
CharTensor = _make("CharTensor", backend.int8)
ByteTensor = _make("ByteTensor", backend.uint8)
BoolTensor = _make("BoolTensor", backend.bool_)

_BY_DTYPE = {t.dtype: t for t in (FloatTensor, DoubleTensor, HalfTensor, BFloat16Tensor,
                                  LongTensor, IntTensor,
                                  ShortTensor, CharTensor, ByteTensor, BoolTensor)}
_BY_NAME = {t.__name__: t for t in _BY_DTYPE.values()}


def type_name(t: Tensor) -> str:
    """``t.type()``: ``'ember.FloatTensor'``, or ``'ember.cuda.FloatTensor'`` on the GPU."""
    name = _BY_DTYPE[t.dtype].__name__
    return f"ember.cuda.{name}" if t.device.type == "cuda" else f"ember.{name}"


def parse_type(spec):
    """The (dtype, device type) that ``t.type(spec)`` asks for: a dtype, a typed constructor or
    its name, ``'torch.FloatTensor'`` and ``'ember.cuda.LongTensor'`` alike."""
    if isinstance(spec, _TensorType):
        return spec.dtype, "cpu"
    if isinstance(spec, str):
        parts = spec.split(".")
        cls = _BY_NAME.get(parts[-1])
        if cls is None or parts[0] not in ("torch", "ember") or len(parts) > 3 or (
                len(parts) == 3 and parts[1] != "cuda"):
            raise ValueError(f"invalid type: '{spec}'")
        return cls.dtype, "cuda" if len(parts) == 3 else "cpu"
    return backend.to_dtype(spec), None
