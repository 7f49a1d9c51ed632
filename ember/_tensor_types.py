"""PyTorch's legacy typed constructors: ``ember.FloatTensor(2, 3)``, ``ember.LongTensor([1, 2])``.

Each is a class whose call builds a plain ``Tensor`` of its dtype (sizes give an uninitialized
tensor, a sequence or array its values converted) and whose ``isinstance`` tells whether a
tensor has that dtype on the CPU, as in PyTorch. ``Tensor.type()`` names them.

``ember.cuda.FloatTensor`` and the nine others are their CUDA twins: they build tensors on
the current CUDA device and recognise tensors there. Without a device, calling one raises
``TypeError`` (as PyTorch built without CUDA does) and ``isinstance`` is False.
"""
from __future__ import annotations

import warnings

from . import _settings, backend, cuda
from .tensor import Tensor, _legacy_array, _wrap

__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "LongTensor", "IntTensor",
           "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"]


class _TensorType(type):
    def __call__(cls, *args, device=None):
        if cls.device_type == "cuda":
            if not backend.cuda_is_available():
                raise TypeError(f"type ember.cuda.{cls.__name__} not available: ember found no "
                                "CUDA device (CuPy with a GPU)")
            if cls.dtype is backend.bfloat16:
                raise TypeError("ember.cuda.BFloat16Tensor: bfloat16 tensors cannot be on the "
                                "GPU in ember (CuPy has no bfloat16)")
            device = backend.device("cuda", cuda.current_device()) if device is None else device
        return _wrap(_legacy_array(args, cls.dtype.np, device, cls.__name__), False, None, 0)

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype and \
            obj.device.type == cls.device_type

    def __repr__(cls):
        return f"<class '{cls.__module__}.{cls.__name__}'>"


def _make(name, dtype, device_type="cpu"):
    where = "the CPU" if device_type == "cpu" else "a CUDA device"
    return _TensorType(name, (), {"dtype": dtype, "device_type": device_type,
                                  "__module__": "ember" if device_type == "cpu" else "ember.cuda",
                                  "__doc__": f"A {dtype} tensor on {where} (PyTorch's legacy "
                                  "constructor and isinstance check)."})


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
# ember.cuda.FloatTensor...: the same names for tensors on the CUDA device
CUDA_TYPES = {name: _make(name, t.dtype, "cuda") for name, t in _BY_NAME.items()}
cuda._register_tensor_types(CUDA_TYPES)


def type_name(t: Tensor) -> str:
    """``t.type()``: ``'ember.FloatTensor'``, or ``'ember.cuda.FloatTensor'`` on the GPU."""
    name = _BY_DTYPE[t.dtype].__name__
    return f"ember.cuda.{name}" if t.device.type == "cuda" else f"ember.{name}"


def parse_type(spec):
    """The (dtype, device type) that ``t.type(spec)`` asks for: a dtype, a typed constructor or
    its name, ``'torch.FloatTensor'`` and ``'ember.cuda.LongTensor'`` alike."""
    if isinstance(spec, _TensorType):
        return spec.dtype, spec.device_type
    if isinstance(spec, str):
        parts = spec.split(".")
        cls = _BY_NAME.get(parts[-1])
        if cls is None or parts[0] not in ("torch", "ember") or len(parts) > 3 or (
                len(parts) == 3 and parts[1] != "cuda"):
            raise ValueError(f"invalid type: '{spec}'")
        return cls.dtype, "cuda" if len(parts) == 3 else "cpu"
    return backend.to_dtype(spec), None


_warned: list = []  # PyTorch warns once per process


def set_default_tensor_type(t, /) -> None:
    """Deprecated (PyTorch 2.1): make a floating typed constructor's dtype the default, as
    ``set_default_dtype`` does (``ember.DoubleTensor`` or ``'torch.DoubleTensor'``); a CUDA
    one (``ember.cuda.FloatTensor``) also makes CUDA the default device, and raises without a
    device, as PyTorch does. Warns (once) that ``set_default_dtype`` and
    ``set_default_device`` are the alternatives."""
    if not _warned:
        _warned.append(True)
        warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please "
                      "use torch.set_default_dtype() and torch.set_default_device() as "
                      "alternatives.", UserWarning, stacklevel=2)
    if not isinstance(t, (str, _TensorType)):
        raise TypeError("invalid type object: only floating-point types are supported as the "
                        "default type")
    dtype, device_type = parse_type(t)
    if device_type == "cuda" and not backend.cuda_is_available():
        name = t if isinstance(t, str) else f"ember.cuda.{t.__name__}"
        raise TypeError(f"type {name} not available: ember found no CUDA device")
    if not dtype.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    backend.set_default_dtype(dtype)
    if device_type == "cuda":
        _settings.set_default_device("cuda")
    elif _settings.default_device_type() == "cuda":
        _settings.set_default_device(None)  # a CPU type after a CUDA one: back to the CPU
