"""Bitwise ops on integer and bool tensors: and, or, xor, left and right shifts (not
differentiable). Operands follow PyTorch's type promotion; floating operands are refused as
PyTorch refuses them. Shifts by a negative amount or by the width of the type or more give
what PyTorch's kernels give: 0 to the left, the sign fill to the right.
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor, _wrap
from ._util import binary_args, broadcast_error, xp_of

__all__ = ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
           "bitwise_right_shift"]

_KERNEL = {"bitwise_and": "bitwise_and_cpu", "bitwise_or": "bitwise_or_cpu",
           "bitwise_xor": "bitwise_xor_cpu", "bitwise_left_shift": "lshift_cpu",
           "bitwise_right_shift": "rshift_cpu"}
_KIND = {"f": "Float", "d": "Double", "e": "Half"}


def _operands(name, input, other):
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, {type(other).__name__}), but expected at "
                        "least one Tensor")
    a, b = binary_args(input, other, name)
    t = a if isinstance(a, Tensor) else b
    if t._data.dtype.kind not in "biu":
        label = _KIND.get(t._data.dtype.char, str(t.dtype))
        raise NotImplementedError(f"\"{_KERNEL[name]}\" not implemented for '{label}'")
    ra = a._data if isinstance(a, Tensor) else a
    rb = b._data if isinstance(b, Tensor) else b
    return a, b, ra, rb, t._data.dtype, xp_of(t._data)


def _logic(name, ufunc):
    def fn(input, other):
        a, b, ra, rb, dt, xp = _operands(name, input, other)
        try:
            out = getattr(xp, ufunc)(ra, rb)
        except ValueError as exc:
            raise (broadcast_error(name, a, b) or exc) from exc
        return _wrap(xp.asarray(out, dtype=dt), False, None, 0)
    fn.__name__ = name
    fn.__doc__ = f"Elementwise {ufunc.split('_')[1]} of the bits of two integer or bool tensors."
    return fn


bitwise_and = _logic("bitwise_and", "bitwise_and")
bitwise_or = _logic("bitwise_or", "bitwise_or")
bitwise_xor = _logic("bitwise_xor", "bitwise_xor")


def _shift(name, left):
    def fn(input, other):
        a, b, ra, rb, dt, xp = _operands(name, input, other)
        if dt == np.bool_:
            dt = np.dtype(np.int64)
        ra = xp.asarray(ra).astype(dt, copy=False)
        rb = xp.asarray(rb).astype(dt, copy=False)
        bits = dt.itemsize * 8
        try:
            shape = np.broadcast_shapes(ra.shape, rb.shape)
        except ValueError as exc:
            raise (broadcast_error(name, a, b) or exc) from exc
        wide = (rb < 0) | (rb >= bits)
        amount = xp.where(wide, 0, rb).astype(dt)
        if left:
            out = xp.where(wide, 0, xp.left_shift(ra, amount))
        else:
            fill = xp.right_shift(ra, bits - 1) if dt.kind == "i" else xp.zeros_like(ra)
            out = xp.where(wide, fill, xp.right_shift(ra, amount))
        return _wrap(xp.broadcast_to(xp.asarray(out, dtype=dt), shape).copy(), False, None, 0)
    fn.__name__ = name
    fn.__doc__ = (f"Shift the bits of ``input`` {'left' if left else 'right'} by ``other`` "
                  f"({'input * 2**other, wrapping' if left else 'input // 2**other'}).")
    return fn


bitwise_left_shift = _shift("bitwise_left_shift", True)
bitwise_right_shift = _shift("bitwise_right_shift", False)
