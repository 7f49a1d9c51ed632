"""Bind the op functions as Tensor methods and Python operators, and the in-place variants.

Every method here is a one-line call into an op; no math lives in this file.
"""
from __future__ import annotations

import warnings

import numpy as np

from .. import _memory_format as MF
from .. import backend
from ..autograd.function import Op
from ..autograd.grad_mode import state as _grad_state
from ..tensor import Tensor, _wrap
from . import activation as A
from . import creation as C
from . import elementwise as E
from . import index as I
from . import products as L
from . import reduce as R
from . import shape as S
from . import scan as SC, search as SE
from .sort import argsort, kthvalue, median, mode, msort, nanmedian, sort, topk
from . import blas as BL
from . import complex_ops as CX
from . import decomp as DC
from . import detnorm as DN
from . import linsolve as LS
from . import matfn as MX
from . import pointwise as PW
from . import specfun as SF
from . import trig as TR

# ---------------------------------------------------------------------------- plain methods

_SAME_NAME = {
    E: ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
        "floor_divide", "remainder", "neg", "negative", "pow", "exp", "exp2", "log", "log2",
        "log10", "log1p", "expm1", "sqrt", "rsqrt", "square", "abs", "absolute", "sign",
        "reciprocal", "clamp", "clip", "maximum", "minimum", "sin", "cos", "tan", "tanh",
        "sigmoid", "relu", "erf", "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal",
        "less", "less_equal", "not_equal", "equal", "logical_and", "logical_or", "logical_xor",
        "logical_not", "bitwise_not", "isnan", "isinf", "isfinite", "isclose", "allclose",
        "clone", "floor", "ceil", "round", "trunc"],
    R: ["sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "var", "std",
        "logsumexp", "norm", "cumsum", "all", "any", "count_nonzero"],
    L: ["matmul", "mm", "bmm", "mv", "dot", "outer", "inner"],
    S: ["reshape", "view", "flatten", "unflatten", "squeeze", "unsqueeze", "permute",
        "transpose", "swapaxes", "t", "movedim", "expand", "expand_as", "broadcast_to", "repeat",
        "tile", "split", "chunk", "unbind", "flip", "roll", "contiguous", "narrow", "select",
        "tensor_split", "hsplit", "vsplit", "dsplit", "ravel", "moveaxis", "split_with_sizes"],
    I: ["index_select", "gather", "scatter", "scatter_add", "masked_fill", "take_along_dim",
        "nonzero", "masked_select", "take", "triu", "tril"],
    A: ["softmax", "log_softmax"],
}

for _mod, _names in _SAME_NAME.items():
    for _name in _names:
        setattr(Tensor, _name, getattr(_mod, _name))


def _where(self, condition, other):
    return E.where(condition, self, other)


def _reshape_as(self, other):
    return S.reshape(self, other._data.shape)


def _view_as(self, other):
    return S.view(self, other._data.shape)


def _type_as(self, other):
    return self.to(other.dtype)


Tensor.where = _where
Tensor.reshape_as = _reshape_as
Tensor.view_as = _view_as
Tensor.type_as = _type_as
Tensor.T = property(lambda self: S.permute(self, tuple(range(self._data.ndim))[::-1]))
Tensor.mT = property(lambda self: S.transpose(self, -2, -1))


def _adjoint(self):
    """The conjugate transpose of the last two dims (``mH``, ``adjoint()``)."""
    return CX.conj(S.transpose(self, -2, -1))


def _h(self):
    if self._data.ndim > 2:
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{self._data.ndim}-D tensor.")
    return CX.conj(Tensor.T.fget(self))


Tensor.H = property(_h)
Tensor.mH = property(_adjoint)
Tensor.adjoint = _adjoint

# ---------------------------------------------------------------------------- operators


def _r(fn):
    def rev(self, other):
        return fn(other, self)
    return rev


Tensor.__add__ = E.add
Tensor.__radd__ = _r(E.add)
Tensor.__sub__ = E.sub
Tensor.__rsub__ = _r(E.sub)
Tensor.__mul__ = E.mul
Tensor.__rmul__ = _r(E.mul)
Tensor.__truediv__ = E.div
Tensor.__rtruediv__ = _r(E.div)
Tensor.__floordiv__ = E.floor_divide
Tensor.__rfloordiv__ = _r(E.floor_divide)
Tensor.__mod__ = E.remainder
Tensor.__rmod__ = _r(E.remainder)
Tensor.__pow__ = E.pow
Tensor.__rpow__ = _r(E.pow)
Tensor.__matmul__ = L.matmul
Tensor.__rmatmul__ = _r(L.matmul)
Tensor.__neg__ = E.neg
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = E.abs
def _dunder_compare(fn):
    """``t == obj`` with an object that is no number, array or tensor: Python's answer (as in
    PyTorch, ``t == 'a'`` is False and ``t != None`` True), not an error."""
    def op(self, other):
        if other is None or isinstance(other, (str, bytes, dict, set)):
            return NotImplemented
        return fn(self, other)
    op.__name__ = fn.__name__
    return op


Tensor.__eq__ = _dunder_compare(E.eq)
Tensor.__ne__ = _dunder_compare(E.ne)
Tensor.__lt__ = E.lt
Tensor.__le__ = E.le
Tensor.__gt__ = E.gt
Tensor.__ge__ = E.ge
Tensor.__invert__ = lambda self: E.logical_not(self) if self._data.dtype == np.bool_ else \
    E.bitwise_not(self)


Tensor.__getitem__ = I.getitem
Tensor.__setitem__ = I.setitem
Tensor.__hash__ = lambda self: id(self)

# ---------------------------------------------------------------------------- in place


def _inplace(fn, name):
    def method(self, *args, **kwargs):
        return self._assign_result(fn(self, *args, **kwargs), name)
    method.__name__ = name
    method.__doc__ = f"In-place version of :meth:`{fn.__name__}`."
    return method


def _recording(*args):
    return _grad_state.enabled and any(isinstance(a, Tensor) and a.requires_grad for a in args)


def _inplace_saving(fn, name, needs_self=None):
    """An in-place method for an op that saves its input for backward: while gradients are
    recorded it runs on a copy of ``self`` (as PyTorch keeps the original), so that writing
    the result into ``self`` does not invalidate what backward needs. ``needs_self(args)``,
    where given, says whether these arguments make the op save ``self`` (``x.mul_(2)``
    does not; ``x.mul_(y)`` with y requiring grad does)."""
    def method(self, *args, **kwargs):
        rec = _recording(self, *args, *kwargs.values()) and (
            needs_self is None or needs_self(args, kwargs))
        src = E.clone(self) if rec else self
        return self._assign_result(fn(src, *args, **kwargs), name)
    method.__name__ = name
    method.__doc__ = f"In-place version of :meth:`{fn.__name__}`."
    return method


def _other_requires_grad(args, kwargs):
    return any(isinstance(a, Tensor) and a.requires_grad for a in (*args, *kwargs.values()))


# the ops whose result is all backward needs (or nothing) write into self directly
for _name in ["add", "sub", "neg", "exp", "sqrt", "sign", "reciprocal", "tanh", "sigmoid",
              "relu", "floor", "ceil", "round", "trunc", "masked_fill", "scatter",
              "scatter_add", "exp2", "expm1", "rsqrt", "remainder", "triu", "tril"]:
    setattr(Tensor, _name + "_", _inplace(getattr(Tensor, _name), _name + "_"))
# those that save their input run on a copy of it while gradients are recorded
for _name in ["pow", "clamp", "clip", "log", "abs", "sin", "cos", "maximum", "minimum",
              "square", "log1p", "erf"]:
    setattr(Tensor, _name + "_", _inplace_saving(getattr(Tensor, _name), _name + "_"))
for _name in ["mul", "div"]:  # self is saved for the other operand's gradient
    setattr(Tensor, _name + "_", _inplace_saving(getattr(Tensor, _name), _name + "_",
                                                 _other_requires_grad))

Tensor.__iadd__ = Tensor.add_
Tensor.__isub__ = Tensor.sub_
Tensor.__imul__ = Tensor.mul_
Tensor.__itruediv__ = Tensor.div_
Tensor.__ipow__ = Tensor.pow_


def fill_(self, value):
    """Set every element to ``value`` in place."""
    self._check_inplace("fill_")
    if isinstance(value, Tensor):
        value = value.item() if not value.requires_grad else value
    if _grad_state.enabled and (self.requires_grad or (isinstance(value, Tensor))):
        filled = E.add(E.mul(self, 0), value)
        return self._assign_result(filled.to(self._data.dtype), "fill_")
    if not backend.writeable(self._data):
        raise RuntimeError("fill_: the tensor is an expanded view; clone() it first")
    self._data.fill(value)
    self._bump()
    return self


def zero_(self):
    """Set every element to zero in place."""
    return fill_(self, 0)


def copy_(self, src, non_blocking=False):
    """Copy ``src`` (broadcast to this shape, cast to this dtype/device) into this tensor."""
    self._check_inplace("copy_")
    if not isinstance(src, Tensor):
        src = C.tensor(src)
    if _grad_state.enabled and (self.requires_grad or src.requires_grad):
        s = src.to(self.device, non_blocking=non_blocking) if src.device != self.device else src
        s = S.expand(s, self._data.shape).to(self._data.dtype)
        if s is src:
            s = E.clone(s)
        return self._assign_result(s, "copy_")
    try:
        arr = np.broadcast_to(src._data, self._data.shape) if isinstance(src._data, np.ndarray) \
            else src._data
    except ValueError:
        raise RuntimeError(f"copy_: the size of src {list(src.shape)} must be broadcastable to "
                           f"the tensor's size {list(self._data.shape)}") from None
    if type(arr) is not type(self._data):
        arr = backend.to_device(arr, self.device, non_blocking)
    self._data[...] = arr
    self._bump()
    return self


def uniform_(self, a=0.0, b=1.0, generator=None):
    """Fill in place with draws from U(a, b)."""
    self._check_inplace("uniform_")
    rng = backend.generator_for(self.device, generator).rng
    self._data[...] = rng.uniform(a, b, self._data.shape)
    self._bump()
    return self


def normal_(self, mean=0.0, std=1.0, generator=None):
    """Fill in place with draws from N(mean, std^2)."""
    self._check_inplace("normal_")
    rng = backend.generator_for(self.device, generator).rng
    self._data[...] = mean + std * rng.standard_normal(self._data.shape)
    self._bump()
    return self


def bernoulli_(self, p=0.5, generator=None):
    self._check_inplace("bernoulli_")
    rng = backend.generator_for(self.device, generator).rng
    self._data[...] = rng.random(self._data.shape) < p
    self._bump()
    return self


def random_(self, low=0, high=None, generator=None):
    self._check_inplace("random_")
    if high is None:
        low, high = 0, low if low else 2 ** 24
    rng = backend.generator_for(self.device, generator).rng
    self._data[...] = rng.integers(low, high, self._data.shape)
    self._bump()
    return self


Tensor.fill_ = fill_
Tensor.zero_ = zero_
Tensor.copy_ = copy_
Tensor.uniform_ = uniform_
Tensor.normal_ = normal_
Tensor.bernoulli_ = bernoulli_
Tensor.multinomial = C.multinomial
Tensor.random_ = random_
Tensor.bernoulli = lambda self, generator=None: C.bernoulli(self, generator=generator)

# ---------------------------------------------------------------------------- conversion


class ToDevice(Op):
    """Copy to another device. Backward: the gradient copied back."""

    complex_support = "linear"

    @staticmethod
    def forward(ctx, x, dev, non_blocking=False):
        ctx.src = backend.device_of(x)
        return backend.to_device(x, dev, non_blocking)

    @staticmethod
    def backward(ctx, g):
        return g.to(ctx.src), None, None


def to(self, *args, **kwargs):
    """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other_tensor)``; self when unchanged."""
    dev = kwargs.pop("device", None)
    dt = kwargs.pop("dtype", None)
    non_blocking = bool(kwargs.pop("non_blocking", False))
    copy = kwargs.pop("copy", False)
    fmt = kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            dev, dt = a.device, a.dtype
        elif isinstance(a, (backend.dtype, np.dtype)) or a in (float, int, bool) or (
                isinstance(a, type) and issubclass(a, np.generic)):
            dt = a
        elif isinstance(a, (str, backend.device, int)):
            if isinstance(a, str) and a.replace("ember.", "") in backend._BY_NAME:
                dt = a
            else:
                dev = a
        elif a is not None:
            raise TypeError(f"to() received an invalid combination of arguments: {a!r}")
    out = self
    if dev is not None:
        d = backend.as_device(dev)
        if d != self.device:
            backend.module_for(d)
            out = ToDevice.apply(out, d, non_blocking)
    if dt is not None:
        out = E.to_dtype(out, dt)
    if fmt is not None:
        out = _to_format(self, out, MF.check(fmt, "to"), copy)
    if copy and out is self:
        out = E.clone(self)
    return out


def _to_format(self, out, fmt, copy):
    """``to(memory_format=fmt)``: ``self`` itself when nothing else changes and its strides
    already suggest ``fmt`` (PyTorch's aliasing rule), else a copy laid out as ``fmt``."""
    if fmt is MF.preserve_format:
        return out
    MF.check_rank(fmt, self._data.ndim)
    arr = out._data
    st = MF.elem_strides(arr)
    if out is self:
        if copy or MF.suggest(arr.shape, st) is not fmt:
            return E.clone(self, memory_format=fmt)
        return out
    # a new tensor made by the conversion: PyTorch lays it out exactly as the format says
    return out if st == MF.strides_for(arr.shape, fmt) else E.clone(out, memory_format=fmt)


def _device_method(name):
    def method(self, device=None, non_blocking=False):
        if name == "cpu":
            return to(self, "cpu")
        d = backend.as_device(device if device is not None else "cuda")
        if d.type != "cuda":
            raise RuntimeError(f"cuda(): expected a cuda device, got {d}")
        return to(self, d, non_blocking=non_blocking)
    method.__name__ = name
    return method


def _deprecated_device_arg(method: str, device) -> None:
    if device is not None:
        warnings.warn(f"The argument 'device' of Tensor.{method}() is deprecated. Please do not "
                      "pass this argument.", DeprecationWarning, stacklevel=3)


def pin_memory(self, device=None):
    """A copy in page-locked host memory, for asynchronous copies to the GPU (CPU tensors).

    Without a CUDA device it raises ``RuntimeError``, as PyTorch does. ``device`` is
    deprecated (PyTorch's warning): the pinned memory serves the CUDA device.
    """
    _deprecated_device_arg("pin_memory", device)
    if self.device.type != "cpu":
        raise RuntimeError(f"cannot pin '{self.device}' memory: only dense CPU tensors can be "
                           "pinned")
    if backend.is_pinned(self._data):
        return self
    return _wrap(backend.pin(self._data), False, None, 0)


def is_pinned(self, device=None) -> bool:
    """Whether this tensor lives in pinned host memory (``device``: deprecated, as in PyTorch)."""
    _deprecated_device_arg("is_pinned", device)
    return self.device.type == "cpu" and backend.is_pinned(self._data)


Tensor.pin_memory = pin_memory
Tensor.is_pinned = is_pinned


Tensor.to = to
Tensor.cpu = _device_method("cpu")
Tensor.cuda = _device_method("cuda")


def _converter(dt, name):
    def method(self, *, memory_format=None):
        if memory_format is None:
            return E.to_dtype(self, dt)
        return to(self, dt, memory_format=memory_format)
    method.__name__ = name
    method.__doc__ = (f"``self.{name}()`` is ``self.to(ember.{dt.name})``; ``memory_format`` "
                      "as in :meth:`to`.")
    return method


for _name, _dt in [("float", backend.float32), ("double", backend.float64),
                   ("half", backend.float16), ("bfloat16", backend.bfloat16),
                   ("long", backend.int64), ("int", backend.int32), ("short", backend.int16),
                   ("char", backend.int8), ("byte", backend.uint8), ("bool", backend.bool_)]:
    setattr(Tensor, _name, _converter(_dt, _name))


def _type(self, dtype=None, non_blocking: bool = False):
    """With no argument the type's name (``'ember.FloatTensor'``); else a converted tensor."""
    from .._tensor_types import parse_type, type_name  # noqa: PLC0415

    if dtype is None:
        return type_name(self)
    dt, dev = parse_type(dtype)
    out = E.to_dtype(self, dt)
    return out if dev is None or dev == self.device.type else to(out, dev,
                                                                 non_blocking=non_blocking)


Tensor.type = _type

# ---------------------------------------------------------------------------- new_* factories


def _new(fn):
    def method(self, *size, dtype=None, device=None, requires_grad=False):
        return fn(*size, dtype=dtype or self.dtype, device=device or self.device,
                  requires_grad=requires_grad)
    return method


Tensor.new_zeros = _new(C.zeros)
Tensor.new_ones = _new(C.ones)
Tensor.new_empty = _new(C.empty)


def _new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
    return C.full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                  requires_grad=requires_grad)


def _new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    return C.tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                    requires_grad=requires_grad)


Tensor.new_full = _new_full
Tensor.new_tensor = _new_tensor

# ---------------------------------------------------------------------------- sorting and scans

for _fn in (sort, argsort, msort, topk, kthvalue, median, nanmedian, mode, SC.cummax, SC.cummin,
            SC.cumprod, SC.logcumsumexp, SE.unique, SE.unique_consecutive, SE.histc, SE.bincount):
    setattr(Tensor, _fn.__name__, _fn)


def cumprod_(self, dim, dtype=None):
    """In-place :func:`cumprod`; when recorded, the backward keeps a copy of the input."""
    src = E.clone(self) if _grad_state.enabled and self.requires_grad else self
    return self._assign_result(SC.cumprod(src, dim, dtype=dtype), "cumprod_")


Tensor.cumprod_ = cumprod_
# ---------------------------------------------------------------------------- math functions
# (trigonometric, special functions, pointwise extras, BLAS-style fused products)

_MATH_METHODS = {
    TR: ["asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "arcsin", "arccos",
         "arctan", "arcsinh", "arccosh", "arctanh", "atan2", "arctan2", "hypot", "deg2rad",
         "rad2deg"],
    SF: ["lgamma", "digamma", "mvlgamma", "erfc", "erfinv", "i0", "sinc", "logit", "xlogy",
         "igamma", "igammac"],
    PW: ["logaddexp", "logaddexp2", "copysign", "nextafter", "fmod", "frac", "lerp", "addcmul",
         "addcdiv"],
    BL: ["addmm", "addmv", "addr", "baddbmm", "addbmm"],
}


for _mod, _names in _MATH_METHODS.items():
    for _name in _names:
        setattr(Tensor, _name, getattr(_mod, _name))
        if _name not in ("logaddexp", "logaddexp2"):  # PyTorch has no in-place forms of these
            setattr(Tensor, _name + "_", _inplace_saving(getattr(_mod, _name), _name + "_"))


def _polygamma(self, n):
    return SF.polygamma(n, self)


Tensor.polygamma = _polygamma
Tensor.polygamma_ = _inplace_saving(_polygamma, "polygamma_")
Tensor.tan_ = _inplace_saving(E.tan, "tan_")


def _float_power(self, exponent):
    return PW.float_power(self, exponent)


def _float_power_(self, exponent):
    if self._data.dtype != np.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype "
                           f"{backend.from_np(self._data.dtype)} but the operation's result "
                           "requires dtype ember.float64")
    return _float_power_write(self, exponent)


_float_power_write = _inplace_saving(_float_power, "float_power_")
Tensor.float_power = _float_power
Tensor.float_power_ = _float_power_
# ---------------------------------------------------------------------------- tensor names
# (strided views and geometry, index updates, bitwise ops, in-place comparisons, clamps)
from . import bitwise as BW  # noqa: E402
from . import grids as GR  # noqa: E402
from . import index_update as IU  # noqa: E402
from . import strided as SD  # noqa: E402

for _mod, _names in {
        SD: ["diagonal", "diag", "diag_embed", "diagflat", "trace", "unfold", "as_strided",
             "swapdims", "transpose_", "swapdims_", "swapaxes_", "t_", "squeeze_", "unsqueeze_",
             "as_strided_", "set_", "resize_", "resize_as_", "data_ptr", "storage_offset",
             "untyped_storage", "storage", "new", "reinforce", "is_set_to", "storage_type",
             "new_empty_strided"],
        IU: ["index_add", "index_copy", "index_fill", "index_put", "scatter_reduce",
             "masked_scatter", "put"],
        BW: ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
             "bitwise_right_shift"],
        GR: ["repeat_interleave"],
        E: ["clamp_min", "clamp_max"]}.items():
    for _name in _names:
        setattr(Tensor, _name, getattr(_mod, _name))

for _name in ["index_add", "index_copy", "index_fill", "masked_scatter", "put", "bitwise_and",
              "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift"]:
    setattr(Tensor, _name + "_", _inplace(getattr(Tensor, _name), _name + "_"))
Tensor.index_put_ = IU.index_put_
Tensor.clamp_min_ = E.clamp_min_
Tensor.clamp_max_ = E.clamp_max_


def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
    """In-place version of :meth:`scatter_reduce` (while recorded, the gradient is taken
    from a copy of ``self``, as PyTorch keeps the original values it needs)."""
    recording = _grad_state.enabled and (self.requires_grad or src.requires_grad)
    base = E.clone(self) if recording else self
    return self._assign_result(IU.scatter_reduce(base, dim, index, src, reduce,
                                                 include_self=include_self), "scatter_reduce_")


Tensor.scatter_reduce_ = scatter_reduce_


def _compare_inplace(fn, name):
    """``self.gt_(other)``...: the comparison's truth written into ``self`` in its own dtype;
    while recorded, the result carries a zero gradient back to ``self``'s old value."""
    def method(self, *other):
        truth = fn(self, *other)
        vals = _wrap(truth._data.astype(self._data.dtype), False, None, 0)
        if _grad_state.enabled and self.requires_grad and self._data.dtype.kind == "f":
            everywhere = _wrap(backend.xp(self._data).ones(vals._data.shape, dtype=bool), False,
                               None, 0)
            vals = E.where(everywhere, vals, self)
        return self._assign_result(vals, name)
    method.__name__ = name
    method.__doc__ = f"In-place version of :meth:`{fn.__name__}` (the result in self's dtype)."
    return method


for _name in ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less",
              "less_equal", "not_equal", "logical_and", "logical_or", "logical_xor"]:
    setattr(Tensor, _name + "_", _compare_inplace(getattr(E, _name), _name + "_"))
Tensor.logical_not_ = _compare_inplace(E.logical_not, "logical_not_")
Tensor.bitwise_not_ = _inplace(E.bitwise_not, "bitwise_not_")

Tensor.__and__ = BW.bitwise_and
Tensor.__rand__ = _r(BW.bitwise_and)
Tensor.__or__ = BW.bitwise_or
Tensor.__ror__ = _r(BW.bitwise_or)
Tensor.__xor__ = BW.bitwise_xor
Tensor.__rxor__ = _r(BW.bitwise_xor)
Tensor.__lshift__ = BW.bitwise_left_shift
Tensor.__rlshift__ = _r(BW.bitwise_left_shift)
Tensor.__rshift__ = BW.bitwise_right_shift
Tensor.__rrshift__ = _r(BW.bitwise_right_shift)
Tensor.__iand__ = Tensor.bitwise_and_
Tensor.__ior__ = Tensor.bitwise_or_
Tensor.__ixor__ = Tensor.bitwise_xor_
Tensor.__ilshift__ = Tensor.bitwise_left_shift_
Tensor.__irshift__ = Tensor.bitwise_right_shift_

# ---------------------------------------------------------------------------- complex numbers

Tensor.real = property(CX.real)
Tensor.imag = property(CX.imag)
for _fn in (CX.conj, CX.conj_physical, CX.resolve_conj, CX.resolve_neg, CX.is_conj, CX.is_neg,
            CX.angle, E.sgn):
    setattr(Tensor, _fn.__name__, _fn)
Tensor.conj_physical_ = _inplace(CX.conj_physical, "conj_physical_")
Tensor.sgn_ = _inplace_saving(E.sgn, "sgn_")
Tensor.cfloat = lambda self: E.to_dtype(self, backend.complex64)
Tensor.cdouble = lambda self: E.to_dtype(self, backend.complex128)

# ---------------------------------------------------------------------------- linear algebra
# (PyTorch's Tensor methods of its older top-level linear-algebra functions)

for _fn in (LS.inverse, DN.det, DN.logdet, DN.slogdet, LS.triangular_solve, DC.svd, DC.qr,
            DC.cholesky, DC.symeig, DC.eig, MX.cholesky_solve, MX.cholesky_inverse, MX.pinverse,
            MX.matrix_power, MX.matrix_exp, MX.cross, MX.lstsq, MX.solve):
    setattr(Tensor, _fn.__name__, _fn)


def _lu(self, pivot=True, get_infos=False):
    return MX.lu(self, pivot=pivot, get_infos=get_infos)


def _lu_solve(self, LU_data, LU_pivots):
    return MX.lu_solve(self, LU_data, LU_pivots)


Tensor.lu = _lu
Tensor.lu_solve = _lu_solve
