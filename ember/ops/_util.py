"""Helpers shared by the op families: array module, type promotion, dims."""
from __future__ import annotations

import numbers

import numpy as np

from .. import _settings, backend
from ..tensor import Tensor, _norm_dim, _wrap

_ndarray = np.ndarray
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "V": 2, "c": 3}  # "V": bfloat16 (ml_dtypes)


def xp_of(a):
    """The array module of raw array ``a`` (NumPy fast path)."""
    return np if type(a) is _ndarray else backend.xp(a)


def nonzero_arrays(a):
    """``nonzero`` of raw array ``a`` as int64 arrays (a 0-d array counts as one element)."""
    xp = xp_of(a)
    return tuple(i.astype(np.int64) for i in (xp.nonzero(a) if a.ndim else xp.nonzero(a.reshape(1))))


def as_tensor_arg(x, like: Tensor | None = None, name: str = "op") -> Tensor:
    """Turn an array or nested data into a constant Tensor (tensors pass through)."""
    if isinstance(x, Tensor):
        return x
    if backend.is_array(x):
        return _wrap(x, False, None, 0)
    from .creation import tensor  # noqa: PLC0415

    try:
        t = tensor(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name}(): expected a Tensor, an array or a number, got "
                        f"{type(x).__name__} ({exc})") from None
    if like is not None and t.device != like.device:
        t = _wrap(backend.to_device(t._data, like.device), False, None, 0)
    return t


def _scalar_category(s):
    if isinstance(s, bool):
        return 0
    if isinstance(s, numbers.Integral):
        return 1
    if isinstance(s, numbers.Real):
        return 2
    if isinstance(s, numbers.Complex):
        return 3
    raise TypeError(f"unsupported operand type {type(s).__name__}")


def result_dtype(a: Tensor, b: Tensor):
    """PyTorch's result dtype for two tensors (0-d tensors rank below dimensioned ones)."""
    da, db = a._data.dtype, b._data.dtype
    if da == db:
        return da
    ca, cb = _CATEGORY[da.kind], _CATEGORY[db.kind]
    za, zb = a._data.ndim == 0, b._data.ndim == 0
    if za != zb:
        dim_t, zero_t = (b, a) if za else (a, b)
        cd, cz = _CATEGORY[dim_t._data.dtype.kind], _CATEGORY[zero_t._data.dtype.kind]
        if cz <= cd:
            return dim_t._data.dtype
        if cz == 3 and cd == 2:  # a complex scalar tensor keeps the floating precision
            return complex_of(dim_t._data.dtype)
        return zero_t._data.dtype
    if ca != cb:
        hi, lo = (da, db) if ca > cb else (db, da)
        if max(ca, cb) == 3 and min(ca, cb) == 2:  # complex64 with float64: complex128
            return complex_of(lo) if lo.itemsize > hi.itemsize // 2 else hi
        return hi
    return np.promote_types(da, db)


def complex_of(dt):
    """The complex NumPy dtype whose parts have the floating dtype ``dt`` (PyTorch's
    ``toComplexType``); ember has no complex32, so half precisions are refused."""
    if dt.kind == "c":
        return dt
    if dt == np.float64:
        return backend.C128
    if dt == np.float32:
        return backend.C64
    raise RuntimeError(f"ember has no complex dtype with {backend.from_np(dt)} parts "
                       "(PyTorch's complex32 is not supported): convert to float32 first")


def binary_args(a, b, name: str):
    """Bring the operands of a binary op to PyTorch's result dtype.

    Returns ``(a, b)`` where each is a Tensor or a Python number; at least one
    is a Tensor. Python numbers stay numbers (NumPy treats them as weak).
    """
    if type(a) is Tensor:  # fast paths: the common cases need no promotion
        tb = type(b)
        if tb is Tensor:
            if a._data.dtype == b._data.dtype:
                return a, b
        elif tb is float:
            if a._data.dtype.kind == "f":
                return a, b
        elif tb is int and a._data.dtype.kind in "fiu":
            return a, b
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if ta and tb:
        if a._data.dtype is b._data.dtype or a._data.dtype == b._data.dtype:
            return a, b
        dt = result_dtype(a, b)
        if a._data.dtype != dt:
            a = a.to(dt)
        if b._data.dtype != dt:
            b = b.to(dt)
        return a, b
    if ta or tb:
        t, s = (a, b) if ta else (b, a)
        if backend.is_array(s) or \
                isinstance(s, (list, tuple)):
            s = as_tensor_arg(s, t, name)
            return binary_args(a if ta else s, s if ta else b, name)
        if isinstance(s, np.generic):
            s = s.item()
        cs = _scalar_category(s)
        ct = _CATEGORY[t._data.dtype.kind]
        if cs > ct:
            if cs == 3:  # a Python complex number: floats keep their precision
                to = complex_of(t._data.dtype) if ct == 2 else \
                    backend.default_complex_dtype().np
            else:
                to = backend.get_default_dtype().np if cs == 2 else np.int64
            t = t.to(to)
        return (t, s) if ta else (s, t)
    raise TypeError(f"{name}: expected at least one Tensor operand, got "
                    f"{type(a).__name__} and {type(b).__name__}")


def no_complex(name, *tensors) -> None:
    """Refuse complex tensors in an op that has no complex meaning (ordering, rounding), as
    PyTorch does (``NotImplementedError``)."""
    for t in tensors:
        if isinstance(t, Tensor) and t._data.dtype.kind == "c":
            raise NotImplementedError(f"{name}: not implemented for complex tensors (got "
                                      f"{t.dtype})")


def broadcast_error(name, a, b):
    sa = tuple(a.shape) if isinstance(a, Tensor) else ()
    sb = tuple(b.shape) if isinstance(b, Tensor) else ()
    ra, rb = sa[::-1], sb[::-1]
    for i in range(min(len(ra), len(rb))):
        if ra[i] != rb[i] and ra[i] != 1 and rb[i] != 1:
            dim = max(len(sa), len(sb)) - 1 - i
            return RuntimeError(
                f"{name}: The size of tensor a ({ra[i]}) must match the size of tensor b ({rb[i]}) "
                f"at non-singleton dimension {dim} (shapes {list(sa)} and {list(sb)})")
    return None


def norm_dim(dim, ndim, name="op"):
    return _norm_dim(dim, ndim, name)


def norm_dims(dim, ndim, name="op"):
    """Normalise ``dim`` (None, int or sequence) to a sorted tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        return (_norm_dim(int(dim), ndim, name),)
    dims = tuple(_norm_dim(int(d), ndim, name) for d in dim)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"{name}: dim {list(dim)} appears multiple times in the list of dims")
    return tuple(sorted(dims))


def is_float(t: Tensor) -> bool:
    """Floating or complex: a dtype true division keeps."""
    dt = t._data.dtype
    return dt.kind in "fc" or dt == backend.BF16


def float_dtype_for(t: Tensor):
    """The dtype an integer tensor becomes in a float-valued op (the default dtype)."""
    dt = t._data.dtype
    return dt if dt.kind == "f" or dt == backend.BF16 else backend.get_default_dtype().np


def add_at(xp, a, index, values) -> None:
    """``a[index] += values`` with repeated indices accumulating (``ufunc.add.at``). On a GPU,
    CuPy's atomic additions sum repeated indices in no fixed order; under
    ``use_deterministic_algorithms(True)`` the sums go through the host in index order, so
    that every run gives the same bits."""
    if xp is np or not _settings.are_deterministic_algorithms_enabled():
        xp.add.at(a, index, values)
        return
    def host(k):
        return backend.to_host(k) if backend.is_device_array(k) else k
    idx = tuple(host(k) for k in index) if isinstance(index, tuple) else host(index)
    acc = backend.to_host(a)
    np.add.at(acc, idx, host(values))
    a[...] = xp.asarray(acc)
