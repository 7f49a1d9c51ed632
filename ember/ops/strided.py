"""Views over a tensor's memory by stride arithmetic: ``as_strided``, ``diagonal``,
``Tensor.unfold``; the diagonal family built on them (``diag``, ``diag_embed``, ``diagflat``,
``trace``); ``empty_strided``; and the in-place changes of a tensor's own geometry
(``transpose_``, ``squeeze_``..., ``as_strided_``, ``set_``, ``resize_``).

A view op here returns a strided array over the input's memory (sharing its version
counter, as PyTorch's views do); its gradient puts the upstream gradient back at the
positions it read, summing where windows or strides overlap.
"""
from __future__ import annotations

import numpy as np

from .. import _memory_format as MF
from .. import _storage as ST
from .. import backend
from ..autograd.function import Op
from ..autograd.grad_mode import state as _grad_state
from ..tensor import Tensor, _wrap
from ._util import norm_dim, xp_of
from .index import GetItem, IndexAddInto
from .shape import permute, squeeze, transpose, unsqueeze

__all__ = ["as_strided", "as_strided_", "diagonal", "diag", "diag_embed", "diagflat", "trace",
           "empty_strided", "swapdims", "resize_as_"]


def _strided(x, shape, strides):
    """``x``'s memory from its first element with this shape and these element strides."""
    return xp_of(x).lib.stride_tricks.as_strided(x, tuple(shape),
                                                 tuple(s * x.itemsize for s in strides))


def _positions(shape, strides, offset, xp):
    """The storage position of every element of a geometry, as an int64 array of ``shape``."""
    pos = xp.full(tuple(shape), offset, dtype=np.int64)
    for d, (n, s) in enumerate(zip(shape, strides)):
        step = xp.arange(n, dtype=np.int64) * s
        pos = pos + step.reshape((n,) + (1,) * (len(shape) - d - 1))
    return pos


# ---------------------------------------------------------------------------- as_strided


class AsStrided(Op):
    """A view of the input's storage with another geometry (size, stride, storage offset).

    Backward (PyTorch's rule): the gradient is summed into a buffer over the storage
    positions the output read, then read back at the input's positions; where the input
    itself covers a position several times, each copy gets an equal share.
    """

    view = True

    @staticmethod
    def forward(ctx, x, size, stride, offset):
        ctx.in_geom = (x.shape, MF.elem_strides(x), ST.storage_offset(x))
        ctx.out_geom = (size, stride, offset)
        return ST.regeometry(x, offset, size, stride)

    @staticmethod
    def backward(ctx, g):
        xp = xp_of(g._data)
        out_pos = _positions(*ctx.out_geom, xp)
        in_pos = _positions(*ctx.in_geom, xp)
        low = min(int(out_pos.min()) if out_pos.size else 0,
                  int(in_pos.min()) if in_pos.size else 0)
        high = max(int(out_pos.max()) if out_pos.size else 0,
                   int(in_pos.max()) if in_pos.size else 0)
        out_pos, in_pos = out_pos - low, in_pos - low
        buf = IndexAddInto.apply(g, (high - low + 1,), (out_pos,))
        gx = GetItem.apply(buf, (in_pos,))
        count = xp.bincount(in_pos.reshape(-1), minlength=high - low + 1)
        if count.size and int(count.max()) > 1:
            gx = gx / _wrap(xp.asarray(count[in_pos], dtype=g._data.dtype), False, None, 0)
        return gx, None, None, None


def as_strided(input: Tensor, size, stride, storage_offset=None) -> Tensor:
    """A view of ``input``'s memory with the given size, strides (in elements) and storage
    offset (default: ``input``'s own). Writes through it change ``input``."""
    size = tuple(int(s) for s in size)
    stride = tuple(int(s) for s in stride)
    offset = ST.storage_offset(input._data) if storage_offset is None else int(storage_offset)
    return AsStrided.apply(input, size, stride, offset)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None,
                  requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """An uninitialised tensor with the given size and strides (in elements) over fresh memory
    of just the size they span."""
    from .creation import _finish, _float_dtype, _xp_for  # noqa: PLC0415

    _check_layout("empty_strided", layout)
    if pin_memory:
        raise NotImplementedError("empty_strided(pin_memory=True): pin the tensor with "
                                  ".pin_memory() instead")
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality "
                           f"of strides ({len(stride)})")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                           f"strides={list(stride)}")
    if any(s < 0 for s in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: "
                           f"{list(size)}")
    arr = MF.empty_strided(_xp_for(device), size, stride, _float_dtype(dtype))
    return _finish(arr, requires_grad)


def _check_layout(name, layout):
    if layout is not None and getattr(layout, "name", None) != "strided":
        raise NotImplementedError(f"{name}(layout={layout}): ember has strided tensors only")


# ---------------------------------------------------------------------------- diagonal


def _diag_geometry(shape, offset, d1, d2):
    """(first element index, diagonal length) of the diagonal ``offset`` of dims d1, d2."""
    n1, n2 = shape[d1], shape[d2]
    r0, c0 = (0, offset) if offset >= 0 else (-offset, 0)
    length = max(0, min(n1 - r0, n2 - c0))
    return r0, c0, length


class Diagonal(Op):
    """The diagonal ``offset`` of the planes of dims (d1, d2), as a new last dim (a view).

    Backward: zeros of the input's shape with g written on that diagonal.
    """

    view = True
    complex_support = "linear"

    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        r0, c0, length = _diag_geometry(x.shape, offset, d1, d2)
        ctx.in_shape, ctx.d1, ctx.d2, ctx.r0, ctx.c0 = x.shape, d1, d2, r0, c0
        rest = [d for d in range(x.ndim) if d not in (d1, d2)]
        st = MF.elem_strides(x)
        start = [slice(None)] * x.ndim
        if length:
            start[d1], start[d2] = slice(r0, None), slice(c0, None)
        first = x[tuple(start)]
        return _strided(first, [x.shape[d] for d in rest] + [length],
                        [st[d] for d in rest] + [st[d1] + st[d2]])

    @staticmethod
    def backward(ctx, g):
        xp = xp_of(g._data)
        shape, d1, d2 = ctx.in_shape, ctx.d1, ctx.d2
        length = g._data.shape[-1]
        rest = [d for d in range(len(shape)) if d not in (d1, d2)]
        moved = tuple(shape[d] for d in rest) + (shape[d1], shape[d2])
        i1 = xp.arange(length, dtype=np.int64) + ctx.r0
        i2 = xp.arange(length, dtype=np.int64) + ctx.c0
        full = IndexAddInto.apply(g, moved, (Ellipsis, i1, i2))
        order = rest + [d1, d2]  # full's axes, in the input's dims
        return permute(full, tuple(order.index(d) for d in range(len(shape)))), None, None, None


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """A view of the diagonal ``offset`` of the 2-D planes spanned by ``dim1`` and ``dim2``,
    as the last dim (0: main diagonal, > 0 above it, < 0 below)."""
    nd = input._data.ndim
    d1, d2 = norm_dim(dim1, nd, "diagonal"), norm_dim(dim2, nd, "diagonal")
    if nd < 2 or not -max(nd, 1) <= dim2 < max(nd, 1):
        raise IndexError(f"diagonal: Dimension out of range (expected to be in range of "
                         f"[{-max(nd, 1)}, {max(nd, 1) - 1}], but got {dim2 if nd else 1})")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(input, int(offset), d1, d2)


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """A tensor whose diagonal ``offset`` over dims (dim1, dim2) holds ``input``'s last dim,
    zeros elsewhere (the inverse of :func:`diagonal`)."""
    nd = input._data.ndim + 1
    d1, d2 = norm_dim(dim1, nd, "diag_embed"), norm_dim(dim2, nd, "diag_embed")
    if nd < 2:
        raise IndexError(f"diag_embed: Dimension out of range (expected to be in range of "
                         f"[-1, 0], but got {dim1})")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    xp = xp_of(input._data)
    n = input._data.shape[-1]
    m = n + abs(int(offset))
    i1 = xp.arange(n, dtype=np.int64) + max(-offset, 0)
    i2 = xp.arange(n, dtype=np.int64) + max(offset, 0)
    full = IndexAddInto.apply(input, input._data.shape[:-1] + (m, m), (Ellipsis, i1, i2))
    rest = iter(range(nd - 2))
    order = tuple(nd - 2 if p == d1 else nd - 1 if p == d2 else next(rest) for p in range(nd))
    return permute(full, order)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-D input: the square matrix with it on diagonal ``diagonal``; a 2-D input: a copy of
    its diagonal ``diagonal``."""
    from .elementwise import clone  # noqa: PLC0415

    nd = input._data.ndim
    if nd == 1:
        return diag_embed(input, diagonal)
    if nd == 2:
        return clone(Diagonal.apply(input, int(diagonal), 0, 1))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {nd}D")


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    """The square matrix with the flattened input on diagonal ``offset``."""
    return diag_embed(input.reshape(-1), offset)


def trace(input: Tensor) -> Tensor:
    """The sum of the main diagonal of a matrix (integers sum to int64)."""
    from .reduce import sum as _sum  # noqa: PLC0415

    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim "
                           f"{input._data.ndim}")
    if input._data.dtype == np.bool_:
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    return _sum(Diagonal.apply(input, 0, 0, 1))


# ---------------------------------------------------------------------------- unfold


class Unfold(Op):
    """All windows of ``size`` elements, ``step`` apart, along ``dim``: that dim becomes the
    window count and a new last dim of ``size`` holds each window (a view).

    Backward: each window's gradient added back at the positions it covers.
    """

    view = True

    @staticmethod
    def forward(ctx, x, dim, size, step):
        n = x.shape[dim]
        count = (n - size) // step + 1
        st = MF.elem_strides(x)
        ctx.in_shape, ctx.dim, ctx.size, ctx.step = x.shape, dim, size, step
        shape = x.shape[:dim] + (count,) + x.shape[dim + 1:] + (size,)
        strides = st[:dim] + (st[dim] * step,) + st[dim + 1:] + (st[dim],)
        return _strided(x, shape, strides)

    @staticmethod
    def backward(ctx, g):
        xp = xp_of(g._data)
        dim, count = ctx.dim, g._data.shape[ctx.dim]
        pos = (xp.arange(count, dtype=np.int64)[:, None] * ctx.step +
               xp.arange(ctx.size, dtype=np.int64)[None, :])
        moved = g.movedim(-1, dim + 1)  # (..., count, size, ...) as x[..., pos, ...] reads
        return IndexAddInto.apply(moved, ctx.in_shape, (slice(None),) * dim + (pos,)), \
            None, None, None


def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """A view of every slice of ``size`` elements along ``dimension``, ``step`` apart, as a new
    last dim (``Tensor.unfold``)."""
    nd = input._data.ndim
    d = norm_dim(dimension, nd, "unfold")
    n = input._data.shape[d] if nd else 1
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if nd == 0:
        return Unfold.apply(input.reshape(1), 0, int(size), int(step)).reshape(int(size))
    return Unfold.apply(input, d, int(size), int(step))


def swapdims(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Alias of :func:`transpose`."""
    return transpose(input, dim0, dim1)


# ---------------------------------------------------------------------------- in-place geometry


def _rebase_to(self: Tensor, out: Tensor) -> Tensor:
    """Give ``self`` the array (and, when recorded, the history) of its view ``out``."""
    self._data = out._data
    self._bump()
    if _grad_state.enabled and out.requires_grad:
        self.grad_fn, self._out_nr, self.requires_grad = out.grad_fn, out._out_nr, True
    return self


def _geometry_method(fn, name):
    def method(self, *args, **kwargs):
        self._check_inplace(name)
        return _rebase_to(self, fn(self, *args, **kwargs))
    method.__name__ = name
    method.__doc__ = (f"In-place version of :meth:`{fn.__name__}`: this tensor becomes that "
                      "view of its own memory (its version counter moves on).")
    return method


def _t_checked(self):
    if self._data.ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is "
                           f"{self._data.ndim}D")
    return transpose(self, 0, 1) if self._data.ndim == 2 else self


transpose_ = _geometry_method(transpose, "transpose_")
swapdims_ = _geometry_method(transpose, "swapdims_")
swapaxes_ = _geometry_method(transpose, "swapaxes_")
t_ = _geometry_method(_t_checked, "t_")
squeeze_ = _geometry_method(squeeze, "squeeze_")
unsqueeze_ = _geometry_method(unsqueeze, "unsqueeze_")
as_strided_ = _geometry_method(as_strided, "as_strided_")


def set_(self: Tensor, source=None, storage_offset: int = 0, size=None, stride=None) -> Tensor:
    """Make this tensor use ``source``'s memory: a tensor (its storage and geometry), a
    storage (1-D over all of it, or the given offset, size and strides), or nothing (an empty
    tensor). Not recorded by autograd."""
    self._check_inplace("set_")
    if _grad_state.enabled and (self.requires_grad or (isinstance(source, Tensor)
                                                       and source.requires_grad)):
        raise NotImplementedError("set_(): autograd does not follow set_ in ember; call it "
                                  "under ember.no_grad() or on .data")
    dt = self.dtype
    if source is None:
        if size is not None or stride is not None or storage_offset:
            raise TypeError("set_(): an offset, size or stride needs a source")
        arr = xp_of(self._data).empty((0,), dtype=self._data.dtype)
    elif isinstance(source, Tensor):
        if source._data.dtype != self._data.dtype:
            raise RuntimeError(f"Could not set tensor of type {source.dtype} to a tensor of "
                               f"type {dt}")
        if type(source._data) is not type(self._data):
            raise RuntimeError(f"set_(): source is on {source.device}, the tensor on "
                               f"{self.device}")
        if size is None:
            if storage_offset or stride is not None:
                raise TypeError("set_(): with a tensor source, give the size with the offset")
            arr = source._data
        else:
            arr = _regeometry(source._data, storage_offset, size, stride)
    elif ST.is_storage(source):
        whole = ST.typed_view(source, dt)
        if type(whole) is not type(self._data):
            raise RuntimeError(f"set_(): the storage is on {source.device}, the tensor on "
                               f"{self.device}")
        if size is None:
            if storage_offset or stride is not None:
                raise TypeError("set_(): with a storage source, give the size with the offset")
            arr = whole
        else:
            arr = _regeometry(whole, storage_offset, size, stride)
    else:
        raise TypeError(f"set_(): expected a Tensor or a storage as source, got "
                        f"{type(source).__name__}")
    self._data = arr
    self._bump()
    return self


def _regeometry(arr, offset, size, stride):
    size = tuple(int(s) for s in size)
    stride = MF.strides_for(size, MF.contiguous_format) if stride is None else \
        tuple(int(s) for s in stride)
    return ST.regeometry(arr, int(offset), size, stride)


def resize_(self: Tensor, *sizes, memory_format=None) -> Tensor:
    """Give this tensor the shape ``sizes``, contiguous (or channels-last) over its memory from
    its storage offset on; memory is reallocated, keeping its bytes, only when the storage is
    too small (other tensors on the old memory then keep it). New elements are uninitialised."""
    if self.requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    fmt = MF.check(memory_format, "resize_") if memory_format is not None else \
        MF.contiguous_format
    if fmt is MF.preserve_format:
        raise RuntimeError("Unsupported memory formatPreserve")
    if not sizes:
        raise TypeError("resize_() missing 1 required positional arguments: \"size\"")
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    size = tuple(int(s) for s in sizes)
    if any(s < 0 for s in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: "
                           f"{list(size)}")
    MF.check_rank(fmt, len(size))
    arr = self._data
    if memory_format is None and size == arr.shape:  # same size: the geometry stays
        self._bump()
        return self
    stride = MF.strides_for(size, fmt)
    offset = ST.storage_offset(arr)
    need = (offset + MF.extent(size, stride)) * arr.itemsize
    raw = ST.byte_view(arr)
    if need > raw.shape[0]:
        grown = xp_of(arr).empty((need,), dtype=np.uint8)
        grown[:raw.shape[0]] = raw
        raw = grown
    self._data = ST.view_of(raw, offset, size, stride, arr.dtype)
    self._bump()
    return self


def resize_as_(self: Tensor, the_template: Tensor, memory_format=None) -> Tensor:
    """``resize_`` to ``the_template``'s shape (and, with ``preserve_format``, its layout)."""
    fmt = MF.check(memory_format, "resize_as_") if memory_format is not None else None
    if fmt is MF.preserve_format:
        tpl = the_template._data
        st = MF.elem_strides(tpl)
        fmt = MF.suggest(tpl.shape, st) if MF.non_overlapping_and_dense(tpl.shape, st) else \
            MF.contiguous_format
    return resize_(self, the_template._data.shape, memory_format=fmt)


def data_ptr(self: Tensor) -> int:
    """The address of this tensor's first element (0 when it has no elements)."""
    return 0 if self._data.size == 0 else ST.data_ptr(self._data)


def storage_offset(self: Tensor) -> int:
    """How many elements lie between the start of the storage and this tensor's first one."""
    return ST.storage_offset(self._data)


def untyped_storage(self: Tensor):
    """The memory this tensor views, as bytes (shared by every tensor on the same memory)."""
    return ST.UntypedStorage._of(self._data)


def storage(self: Tensor):
    """The memory as elements of this tensor's dtype (deprecated by PyTorch, with its
    warning: prefer :meth:`untyped_storage`)."""
    ST._warn_typed()
    return ST.TypedStorage._of(untyped_storage(self), self.dtype)


def new(self: Tensor, *args, device=None) -> Tensor:
    """PyTorch's legacy constructor in this tensor's dtype and device: ``x.new(2, 3)`` or
    ``x.new(size)`` uninitialised, ``x.new(data)`` a copy converted, ``x.new(tensor)`` /
    ``x.new(storage)`` sharing memory, ``x.new()`` empty."""
    from ..tensor import _legacy_array  # noqa: PLC0415

    dev = self.device if device is None else backend.as_device(device)
    return _wrap(_legacy_array(args, self._data.dtype, dev, "new"), False, None, 0)


def is_set_to(self: Tensor, tensor: Tensor) -> bool:
    """True when both tensors view the same memory the same way (storage, offset, size and
    strides)."""
    a, b = self._data, tensor._data
    return (type(a) is type(b) and ST.block(a) == ST.block(b) and
            ST.data_ptr(a) == ST.data_ptr(b) and a.shape == b.shape and a.strides == b.strides)


def storage_type(self: Tensor):
    """The legacy typed storage class of this tensor's dtype (``ember.FloatStorage``...)."""
    return ST.legacy_class(self.dtype)


def new_empty_strided(self: Tensor, size, stride, *, dtype=None, layout=None, device=None,
                      requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """:func:`empty_strided` in this tensor's dtype and device unless given."""
    return empty_strided(size, stride, dtype=self.dtype if dtype is None else dtype,
                         layout=layout, device=self.device if device is None else device,
                         requires_grad=requires_grad, pin_memory=pin_memory)


def reinforce(self: Tensor, reward):
    """Removed from PyTorch; raises its RuntimeError with the migration advice."""
    raise RuntimeError(
        "reinforce() was removed.\nUse ember.distributions instead.\nSee "
        "https://pytorch.org/docs/main/distributions.html\n\nInstead of:\n\n"
        "probs = policy_network(state)\naction = probs.multinomial()\n"
        "next_state, reward = env.step(action)\naction.reinforce(reward)\naction.backward()\n\n"
        "Use:\n\nprobs = policy_network(state)\n"
        "# NOTE: categorical is equivalent to what used to be called multinomial\n"
        "m = ember.distributions.Categorical(probs)\naction = m.sample()\n"
        "next_state, reward = env.step(action)\nloss = -m.log_prob(action) * reward\n"
        "loss.backward()")
