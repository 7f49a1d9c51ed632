"""Views and in-place changes: the history a view and its base take after either is
changed in place (PyTorch's view + in-place rules).

A view shares its base's memory, so an in-place op through one changes what the other
holds. ember keeps the two histories true, as PyTorch does:

* an in-place op on a view ``v`` of ``base`` (``v.mul_(2)``, ``x[:, 0].zero_()``,
  ``x.view(-1)[i] = y``) gives ``base`` the history "``base`` before, with the view's
  elements replaced by the op's result" (``CopySlices``: the gradient of the replaced
  elements goes to the op, the rest to the old ``base``), and ``v`` the history "these
  elements of the new ``base``";
* every other view of the same memory, made before the change, then has a history that
  describes the old values. Each root tensor counts the recorded in-place changes made to
  its memory (``_hist``) and each view remembers the count its history belongs to
  (``_view_h``); a view whose count is behind is given "these elements of ``base`` as it
  is now" before it is next used in a recorded op or as the root of a backward pass.

A view's elements are located in its base by their memory addresses: ``positions(base,
view)`` gives, for each element of the view, its flat (row-major) index in ``base``.
That works for every view ember makes (slices, transposes, reshapes, diagonals,
``as_strided``) as long as the base's memory is one dense block; where it is not, the
in-place op is refused with an error, as before.
"""
from __future__ import annotations

import numpy as np

from .. import backend
from .function import Op
from .grad_mode import enable_grad


def _xp(a):
    return np if type(a) is np.ndarray else backend.xp(a)


def _address(a):
    return a.__array_interface__["data"][0] if type(a) is np.ndarray else a.data.ptr


def positions(base, view):
    """For each element of the array ``view`` (which shares ``base``'s memory), its flat
    row-major index in ``base``: ``(pos, unique)``, pos an int64 array of ``view``'s shape
    on ``base``'s device and unique whether no two elements share a position. None where
    the layout does not allow it (``base`` not one dense block, ``view`` reinterpreting
    the bytes as another dtype, or reaching outside ``base``). Only the arrays' shapes,
    strides and addresses are read; the work is done on the host, in three passes over
    the view's size."""
    item = base.itemsize
    if view.dtype != base.dtype or base.size == 0:
        return None
    if any(s % item for s in base.strides) or any(s % item for s in view.strides):
        return None
    # base must be one dense block: its axes, by decreasing stride, step through it row by
    # row (any axis order: a transposed or channels-last base is dense too)
    axes = sorted((k for k in range(base.ndim) if base.shape[k] > 1),
                  key=lambda k: -base.strides[k])
    step = 1
    for k in reversed(axes):
        if base.strides[k] != step * item:
            return None
        step *= base.shape[k]
    off = _address(view) - _address(base)
    if off % item:
        return None
    off //= item
    vstrides = [s // item for s in view.strides]
    if view.size:  # every element the view reaches must lie in base's block
        lo = off + sum(min(0, s * (n - 1)) for s, n in zip(vstrides, view.shape))
        hi = off + sum(max(0, s * (n - 1)) for s, n in zip(vstrides, view.shape))
        if lo < 0 or hi >= base.size:
            return None
    # memory slot -> row-major index of the base element stored there; then read through
    # the view's geometry (bounds checked above)
    logical = np.arange(base.size, dtype=np.int64)
    if base.flags.c_contiguous:
        slots = logical
    else:
        slots = np.empty(base.size, dtype=np.int64)
        np.lib.stride_tricks.as_strided(slots, base.shape, tuple(
            s // item * 8 for s in base.strides))[...] = logical.reshape(base.shape)
    if view.size == 0:
        pos = np.zeros(view.shape, dtype=np.int64)
    else:
        pos = np.lib.stride_tricks.as_strided(
            slots[off:], view.shape, tuple(s * 8 for s in vstrides)).copy()
    unique = _no_overlap(view.shape, vstrides) or np.unique(pos).size == pos.size
    if type(base) is not np.ndarray:
        pos = backend.xp(base).asarray(pos)
    return pos, unique


def _no_overlap(shape, strides):
    """Whether a view of this geometry reaches each memory slot at most once (sufficient
    test: each axis, by increasing stride, steps over all the smaller axes' extent)."""
    reach = 0
    for s, n in sorted((abs(s), n) for s, n in zip(strides, shape) if n > 1):
        if s <= reach:
            return False
        reach += s * (n - 1)
    return True


class Gather(Op):
    """``x.flatten()[pos]`` (pos: an int64 array of the result's shape; ``unique``: no
    position repeats). Backward: the gradient added into zeros of x's shape at ``pos``."""

    complex_support = "linear"
    bf16_native = True

    @staticmethod
    def forward(ctx, x, pos, unique):
        ctx.pos, ctx.unique, ctx.shape = pos, unique, x.shape
        return x.reshape(-1)[pos]

    @staticmethod
    def backward(ctx, g):
        return ScatterAdd.apply(g, ctx.pos, ctx.unique, ctx.shape), None, None


class ScatterAdd(Op):
    """Zeros of ``shape`` with ``g`` added at the flat positions ``pos``. Backward:
    ``gg.flatten()[pos]``."""

    complex_support = "linear"
    bf16_native = True

    @staticmethod
    def forward(ctx, g, pos, unique, shape):
        ctx.pos, ctx.unique = pos, unique
        size = int(np.prod(shape, dtype=np.int64))
        if unique:
            z = _xp(g).zeros(size, dtype=g.dtype)
            z[pos.reshape(-1)] = g.reshape(-1)
            return z.reshape(shape)
        # repeated positions (a stale expanded view): summed on the host, in index order
        z = np.zeros(size, dtype=g.dtype)
        np.add.at(z, backend.to_host(pos).reshape(-1), backend.to_host(g).reshape(-1))
        return z.reshape(shape) if type(g) is np.ndarray else _xp(g).asarray(z.reshape(shape))

    @staticmethod
    def backward(ctx, gg):
        return Gather.apply(gg, ctx.pos, ctx.unique), None, None, None


class CopySlices(Op):
    """``base`` with the elements at ``pos`` replaced by ``src`` (the history of a base one
    of whose views was changed in place). ``base_now`` is the base's memory, already
    written. Backward: the gradient, zero at ``pos``, to the old base; the gradient at
    ``pos`` to ``src``."""

    complex_support = "linear"
    bf16_native = True

    @staticmethod
    def forward(ctx, base_old, src, pos, base_now):
        ctx.pos, ctx.src_dtype = pos, src.dtype
        return base_now

    @staticmethod
    def backward(ctx, g):
        keep = _xp(g._data).ones(g._data.shape, dtype=g._data.dtype)
        keep.reshape(-1)[ctx.pos.reshape(-1)] = 0
        gs = Gather.apply(g, ctx.pos, True)
        if gs._data.dtype != ctx.src_dtype:
            gs = gs.to(backend.from_np(ctx.src_dtype))
        return g * _const(keep), gs, None, None

    @staticmethod
    def fast_backward(ctx, g):
        rest = g.copy()
        rest.reshape(-1)[ctx.pos.reshape(-1)] = 0
        return rest, g.reshape(-1)[ctx.pos].astype(ctx.src_dtype, copy=False), None, None


def _const(a):
    from ..tensor import _wrap  # noqa: PLC0415

    return _wrap(a, False, None, 0)


def locate(view, op=None):
    """``positions`` of the view's elements in its base; where the base's memory layout does
    not allow it, the error of in-place op ``op`` on the view (or, without ``op``, of
    rebuilding a stale view's history)."""
    base = view._base
    found = positions(base._data, view._data)
    if found is None:
        what = (f"view of shape {list(view._data.shape)} on a base of shape "
                f"{list(base._data.shape)}")
        why = ("ember cannot map its memory onto the base's (not one dense block, or the "
               "view reinterprets its bytes)")
        if op is not None:
            raise RuntimeError(f"{op}: in-place op on a {what} while gradients are recorded: "
                               f"{why}; use the out-of-place op")
        raise RuntimeError(f"a {what} was changed in place through its base or another view, "
                           f"and {why} to rebuild its history; take the view again after the "
                           "in-place op")
    return found


def rebase(view, result, found):
    """Give ``view`` (already written with ``result``'s values) and its base the histories
    an in-place op on the view leaves (see the module docstring); ``found`` is
    ``locate``'s."""
    base = view._base
    with enable_grad():
        new = CopySlices.apply(base, result, found[0], base._data)
    base._set_history(new.grad_fn, 0)
    base._hist += 1
    _set_from_base(view, base, found)


class Overwritten(Op):
    """A tensor requiring grad, overwritten in place by constants (``x.copy_(c)``): the
    result's values, with a zero gradient to what the tensor was."""

    complex_support = "linear"
    bf16_native = True

    @staticmethod
    def forward(ctx, old, new):
        ctx.shape, ctx.dtype = old.shape, old.dtype
        return new

    @staticmethod
    def backward(ctx, g):
        return g * 0, None

    @staticmethod
    def fast_backward(ctx, g):
        return _xp(g).zeros(ctx.shape, dtype=ctx.dtype), None


def _set_from_base(view, base, found):
    with enable_grad():
        fresh = Gather.apply(base, *found)
    view._set_history(fresh.grad_fn, 0)
    view._view_h = base._hist


def refresh(view):
    """Rebuild the history of ``view`` from its base's current one, where an in-place op
    through the base or another view changed their memory since ``view``'s was recorded."""
    base = view._base
    if not base.requires_grad or view._custom_view is not None:
        view._view_h = base._hist
        return
    found = locate(view)
    _set_from_base(view, base, found)
