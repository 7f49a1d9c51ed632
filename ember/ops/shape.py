"""Shape ops: reshape/view, permute/transpose, expand, repeat, cat/stack, split, flip, roll, pad."""
from __future__ import annotations

import numpy as np

from .. import _memory_format as MF
from ..autograd.function import Op
from ..tensor import Tensor, _wrap
from ._autocast import amp_state, autocast_call
from ._util import norm_dim, xp_of

__all__ = [
    "reshape", "view", "flatten", "unflatten", "squeeze", "unsqueeze", "permute", "transpose",
    "swapaxes", "t", "movedim", "expand", "expand_as", "broadcast_to", "repeat", "tile", "cat",
    "concat", "concatenate", "stack", "split", "chunk", "unbind", "flip", "roll", "pad",
    "contiguous", "narrow", "atleast_1d", "broadcast_tensors", "hstack", "vstack",
    "select", "tensor_split", "hsplit", "vsplit", "dsplit", "ravel", "moveaxis",
    "split_with_sizes",
]


def _shape_arg(args):
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _infer_shape(shape, numel, name, in_shape):
    shape = [int(s) for s in shape]
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError(f"{name}: only one dimension can be inferred")
    if any(s < -1 for s in shape):
        raise RuntimeError(f"{name}: invalid shape dimension {min(shape)}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"{name}: shape '{shape}' is invalid for input of size {numel} "
                               f"(input shape {list(in_shape)})")
        shape[neg[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"{name}: shape '{shape}' is invalid for input of size {numel} "
                           f"(input shape {list(in_shape)})")
    return tuple(shape)


class Reshape(Op):
    """Same elements, new shape (a view when the memory layout allows). Backward: reshape back."""

    complex_support = "linear"
    view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None

    @staticmethod
    def fast_backward(ctx, g):
        return g.reshape(ctx.in_shape), None


def reshape(input: Tensor, *shape) -> Tensor:
    shape = _infer_shape(_shape_arg(shape), input._data.size, "reshape", input._data.shape)
    if shape == input._data.shape:
        return Reshape.apply(input, shape) if input.requires_grad else _view_of(input)
    return Reshape.apply(input, shape)


def _view_of(t):
    return Reshape.apply(t, t._data.shape)


def view(input: Tensor, *shape) -> Tensor:
    """Reshape; with a dtype argument, reinterpret the bytes (not differentiable)."""
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list, np.integer)):
        from .. import backend  # noqa: PLC0415

        return _wrap(input._data.view(backend.np_dtype(shape[0])), False, None, 0)
    arr = input._data
    if not arr.flags.c_contiguous:
        new = _infer_shape(_shape_arg(shape), arr.size, "view", arr.shape)
        if not _viewable(arr.shape, tuple(st // arr.itemsize for st in arr.strides), new):
            raise RuntimeError(
                f"view size is not compatible with input tensor's size and stride (at least one "
                f"dimension spans across two contiguous subspaces). Use .reshape(...) instead. "
                f"(view: input shape {list(arr.shape)}, strides {list(input.stride())}, "
                f"requested {list(new)})")
    return reshape(input, *shape)


def _viewable(shape, strides, new) -> bool:
    """Whether ``new`` can be laid over memory of this shape and these element strides without
    a copy (PyTorch's rule for ``view``: each run of dimensions merged or split must be one
    contiguous chunk)."""
    numel = 1
    for n in shape:
        numel *= n
    if numel == 0 or not shape:
        return True
    view_d = len(new) - 1
    base = strides[-1]
    tensor_numel = view_numel = 1
    for d in range(len(shape) - 1, -1, -1):
        tensor_numel *= shape[d]
        if d == 0 or (shape[d - 1] != 1 and strides[d - 1] != tensor_numel * base):
            while view_d >= 0 and (view_numel < tensor_numel or new[view_d] == 1):
                view_numel *= new[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return False
            if d > 0:
                base = strides[d - 1]
                tensor_numel = view_numel = 1
    return view_d == -1


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    nd = input._data.ndim
    if nd == 0:
        return reshape(input, 1)
    s = norm_dim(start_dim, nd, "flatten")
    e = norm_dim(end_dim, nd, "flatten")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shp = input._data.shape
    n = 1
    for d in shp[s:e + 1]:
        n *= d
    return reshape(input, shp[:s] + (n,) + shp[e + 1:])


def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    d = norm_dim(dim, input._data.ndim, "unflatten")
    shp = input._data.shape
    sizes = _infer_shape(sizes, shp[d], "unflatten", shp)
    return reshape(input, shp[:d] + tuple(sizes) + shp[d + 1:])


def squeeze(input: Tensor, dim=None) -> Tensor:
    shp = input._data.shape
    if dim is None:
        new = tuple(s for s in shp if s != 1)
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = {norm_dim(d, input._data.ndim, "squeeze") for d in dims}
        new = tuple(s for i, s in enumerate(shp) if not (i in dims and s == 1))
    return reshape(input, new)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    nd = input._data.ndim
    if not -nd - 1 <= dim <= nd:
        raise IndexError(f"unsqueeze: Dimension out of range (expected to be in range of "
                         f"[{-nd - 1}, {nd}], but got {dim})")
    d = dim % (nd + 1)
    shp = input._data.shape
    return Reshape.apply(input, shp[:d] + (1,) + shp[d:])


def atleast_1d(input: Tensor) -> Tensor:
    return reshape(input, 1) if input._data.ndim == 0 else input


class Permute(Op):
    """Reorder dims (a view). Backward: the inverse permutation."""

    complex_support = "linear"
    view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        return g.permute(_inverse(ctx.dims)), None

    @staticmethod
    def fast_backward(ctx, g):
        return g.transpose(_inverse(ctx.dims)), None


def _inverse(perm):
    inv = [0] * len(perm)
    for i, d in enumerate(perm):
        inv[d] = i
    return tuple(inv)


def permute(input: Tensor, *dims) -> Tensor:
    dims = _shape_arg(dims)
    nd = input._data.ndim
    if len(dims) != nd:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {nd} is not equal to len(dims) = {len(dims)}")
    dims = tuple(norm_dim(d, nd, "permute") for d in dims)
    if len(set(dims)) != nd:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, dims)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    nd = input._data.ndim
    if nd == 0:
        return _view_of(input)
    d0, d1 = norm_dim(dim0, nd, "transpose"), norm_dim(dim1, nd, "transpose")
    dims = list(range(nd))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(input, tuple(dims))


swapaxes = transpose


def t(input: Tensor) -> Tensor:
    """Transpose a tensor of at most 2 dims."""
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input._data.ndim}D")
    return transpose(input, 0, 1) if input._data.ndim == 2 else _view_of(input)


def movedim(input: Tensor, source, destination) -> Tensor:
    nd = input._data.ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    src = [norm_dim(s, nd, "movedim") for s in src]
    dst = [norm_dim(d, nd, "movedim") for d in dst]
    order = [d for d in range(nd) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return Permute.apply(input, tuple(order))


class Expand(Op):
    """Broadcast to a larger shape (a read-only view). Backward: the engine sums back."""

    complex_support = "linear"
    view = True

    @staticmethod
    def forward(ctx, x, shape):
        return xp_of(x).broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g, None

    @staticmethod
    def fast_backward(ctx, g):
        return g, None


def expand(input: Tensor, *sizes) -> Tensor:
    sizes = _shape_arg(sizes)
    shp = input._data.shape
    if len(sizes) < len(shp):
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater "
                           f"or equal to the number of dimensions in the tensor ({len(shp)})")
    lead = len(sizes) - len(shp)
    out = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError("expand: -1 is not allowed in a leading, non-existing dimension")
            out.append(s)
            continue
        cur = shp[i - lead]
        if s == -1:
            s = cur
        if cur != s and cur != 1:
            raise RuntimeError(f"expand: The expanded size of the tensor ({s}) must match the "
                               f"existing size ({cur}) at non-singleton dimension {i}.  Target "
                               f"sizes: {list(sizes)}.  Tensor sizes: {list(shp)}")
        out.append(s)
    out = tuple(out)
    if out == shp:
        return _view_of(input)
    return Expand.apply(input, out)


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, other._data.shape)


def broadcast_to(input: Tensor, size) -> Tensor:
    return expand(input, tuple(size))


def broadcast_tensors(*tensors):
    shape = np.broadcast_shapes(*[t._data.shape for t in tensors])
    return tuple(expand(t, shape) for t in tensors)


class Repeat(Op):
    """Tile the tensor ``reps`` times along each dim (PyTorch's ``repeat``).

    Backward: view g as (r0, s0, r1, s1, ...) and sum over the r axes.
    """

    complex_support = "linear"

    @staticmethod
    def forward(ctx, x, reps):
        xp = xp_of(x)
        lead = len(reps) - x.ndim
        xs = x.reshape((1,) * lead + x.shape)
        ctx.xs_shape, ctx.reps, ctx.in_shape = xs.shape, reps, x.shape
        return xp.tile(xs, reps)

    @staticmethod
    def backward(ctx, g):
        inter = []
        for r, s in zip(ctx.reps, ctx.xs_shape):
            inter += [r, s]
        gs = g.reshape(inter).sum(tuple(range(0, len(inter), 2)))
        return gs.reshape(ctx.in_shape), None


def repeat(input: Tensor, *sizes) -> Tensor:
    reps = _shape_arg(sizes)
    if len(reps) < input._data.ndim:
        raise RuntimeError("repeat: Number of dimensions of repeat dims can not be smaller than "
                           "number of dimensions of tensor")
    return Repeat.apply(input, tuple(int(r) for r in reps))


def tile(input: Tensor, dims) -> Tensor:
    dims = tuple(dims)
    if len(dims) < input._data.ndim:
        dims = (1,) * (input._data.ndim - len(dims)) + dims
    return repeat(input, dims)


class Cat(Op):
    """Concatenate along a dim. Backward: slice g back into the pieces."""

    complex_support = "linear"

    @staticmethod
    def forward(ctx, dim, *xs):
        ctx.dim = dim
        ctx.sizes = [x.shape[dim] for x in xs]
        return xp_of(xs[0]).concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx, g):
        out = [None]
        start = 0
        idx = [slice(None)] * g.ndim
        for i, n in enumerate(ctx.sizes):
            if ctx.needs_input_grad[i + 1]:
                idx[ctx.dim] = slice(start, start + n)
                out.append(g[tuple(idx)])
            else:
                out.append(None)
            start += n
        return tuple(out)


def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing dim (1-D empty tensors are skipped, as PyTorch)."""
    from ._util import result_dtype  # noqa: PLC0415

    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("cat(): expected a non-empty list of Tensors")
    ts = [x for x in tensors if not (x._data.ndim == 1 and x._data.shape[0] == 0)] or tensors[:1]
    ref = ts[0]
    if ref._data.ndim == 0:
        raise RuntimeError("cat(): zero-dimensional tensor (at position 0) cannot be concatenated")
    d = norm_dim(dim, ref._data.ndim, "cat")
    for i, x in enumerate(ts):
        if x._data.ndim != ref._data.ndim or any(
                a != b for k, (a, b) in enumerate(zip(x._data.shape, ref._data.shape)) if k != d):
            raise RuntimeError(
                f"cat(): Sizes of tensors must match except in dimension {d}. Expected size "
                f"{list(ref.shape)} but got size {list(x.shape)} for tensor number {i} in the list.")
    dt = ref._data.dtype
    for x in ts[1:]:
        dt = result_dtype(_wrap(np.empty((1,), dt), False, None, 0), x) if x._data.dtype != dt else dt
    ts = [x if x._data.dtype == dt else x.to(dt) for x in ts]
    return Cat.apply(d, *ts)


concat = concatenate = cat


def stack(tensors, dim: int = 0) -> Tensor:
    """Join tensors of equal shape along a new dim."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shp = tensors[0]._data.shape
    for i, x in enumerate(tensors):
        if x._data.shape != shp:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shp)} "
                               f"at entry 0 and {list(x.shape)} at entry {i}")
    nd = len(shp) + 1
    if not -nd <= dim < nd:
        raise IndexError(f"stack: Dimension out of range (expected to be in range of [{-nd}, "
                         f"{nd - 1}], but got {dim})")
    d = dim % nd
    return cat([unsqueeze(x, d) for x in tensors], d)


def hstack(tensors):
    tensors = [atleast_1d(x) for x in tensors]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    return cat([x.reshape(1, -1) if x.ndim < 2 else x for x in tensors], 0)


class Split(Op):
    """Cut along a dim into pieces of the given sizes (views). Backward: concatenate the grads."""

    complex_support = "linear"
    view = True  # each piece shares x's memory (and version counter)

    @staticmethod
    def forward(ctx, x, sizes, dim):
        ctx.dim = dim
        bounds = np.cumsum(sizes)[:-1].tolist()
        return tuple(xp_of(x).split(x, bounds, axis=dim))

    @staticmethod
    def backward(ctx, *gs):
        return cat(list(gs), ctx.dim), None, None


def split(tensor: Tensor, split_size_or_sections, dim: int = 0):
    """Pieces of ``split_size`` (last one smaller) or of the listed sizes, along ``dim``."""
    d = norm_dim(dim, tensor._data.ndim, "split")
    n = tensor._data.shape[d]
    if isinstance(split_size_or_sections, int):
        s = split_size_or_sections
        if s <= 0 and n:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        sizes = [s] * (n // s) + ([n % s] if n % s else []) if s else [0]
    else:
        sizes = [int(v) for v in split_size_or_sections]
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {d}), but got split_sizes="
                               f"{sizes}")
    if len(sizes) == 1:
        return (_view_of(tensor),)
    return Split.apply(tensor, tuple(sizes), d)


def chunk(input: Tensor, chunks: int, dim: int = 0):
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0")
    d = norm_dim(dim, input._data.ndim, "chunk")
    n = input._data.shape[d]
    size = -(-n // chunks) if n else 1
    return split(input, size, d)


def unbind(input: Tensor, dim: int = 0):
    d = norm_dim(dim, input._data.ndim, "unbind")
    if input._data.shape[d] == 0:
        return ()
    return tuple(squeeze(p, d) for p in split(input, 1, d))


def split_with_sizes(input: Tensor, split_sizes, dim: int = 0):
    """Pieces of the listed sizes along ``dim`` (``split`` with a list)."""
    return split(input, list(split_sizes), dim)


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at ``index`` along ``dim``, that dim removed (a view)."""
    d = norm_dim(dim, input._data.ndim, "select")
    n = input._data.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input._data.shape)} at dimension {dim}")
    return input[(slice(None),) * d + (index,)]


def tensor_split(input: Tensor, indices_or_sections, dim: int = 0):
    """Views cut along ``dim``: into n nearly equal pieces (the first ``size % n`` one
    longer) for an int n, or at the listed indices (NumPy's ``array_split``)."""
    d = norm_dim(dim, input._data.ndim, "tensor_split")
    n = input._data.shape[d]
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        if spec._data.dtype.kind not in "iu" or spec._data.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a "
                               "zero-dimensional or one-dimensional tensor of integers, but "
                               f"got a tensor with {spec._data.ndim} dims of dtype "
                               f"{spec.dtype}")
        spec = int(spec._data) if spec._data.ndim == 0 else [int(v) for v in spec._data.tolist()]
    if isinstance(spec, int):
        if spec <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {spec}")
        small, extra = divmod(n, spec)
        cuts, at = [], 0
        for k in range(spec - 1):
            at += small + (1 if k < extra else 0)
            cuts.append(at)
    else:
        cuts = [int(v) for v in spec]
    bounds = [0] + cuts + [n]
    lead = (slice(None),) * d
    return tuple(input[lead + (slice(a, b),)] for a, b in zip(bounds[:-1], bounds[1:]))


def _split_along(name, input, spec, dim, min_ndim):
    nd = input._data.ndim
    if nd < min_ndim:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_ndim} "
                           f"dimension, but got a tensor with {nd} dimensions!")
    if isinstance(spec, int):
        size = input._data.shape[dim]
        if spec == 0 or size % spec:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but "
                               f"the size of the dimension {size} is not divisible by the "
                               f"split_size {spec}!")
    return tensor_split(input, spec, dim)


def hsplit(input: Tensor, indices_or_sections):
    """``tensor_split`` along dim 1 (dim 0 for a 1-D tensor); an int must divide evenly."""
    return _split_along("hsplit", input, indices_or_sections,
                        0 if input._data.ndim == 1 else 1, 1)


def vsplit(input: Tensor, indices_or_sections):
    """``tensor_split`` along dim 0 of a tensor of 2 or more dims."""
    return _split_along("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input: Tensor, indices_or_sections):
    """``tensor_split`` along dim 2 of a tensor of 3 or more dims."""
    return _split_along("dsplit", input, indices_or_sections, 2, 3)


def ravel(input: Tensor) -> Tensor:
    """The elements as one dim (a view where the memory allows, as ``flatten``)."""
    return flatten(input)


def moveaxis(input: Tensor, source, destination) -> Tensor:
    """NumPy's name for ``movedim``."""
    return movedim(input, source, destination)


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    d = norm_dim(dim, input._data.ndim, "narrow")
    idx = [slice(None)] * input._data.ndim
    start = start % input._data.shape[d] if start < 0 else start
    idx[d] = slice(start, start + length)
    return input[tuple(idx)]


class Flip(Op):
    """Reverse the order along dims. Backward: flip g along the same dims."""

    complex_support = "linear"

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return xp_of(x).flip(x, axis=dims).copy()

    @staticmethod
    def backward(ctx, g):
        return g.flip(ctx.dims), None


def flip(input: Tensor, dims) -> Tensor:
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    dims = tuple(norm_dim(d, input._data.ndim, "flip") for d in dims)
    if input._data.ndim == 0:
        return input * 1
    return Flip.apply(input, dims)


class Roll(Op):
    """Shift elements cyclically along dims. Backward: roll g back."""

    complex_support = "linear"

    @staticmethod
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return xp_of(x).roll(x, shifts, axis=dims)

    @staticmethod
    def backward(ctx, g):
        if ctx.dims is None:
            return g.roll(tuple(-s for s in ctx.shifts)), None, None
        return g.roll(tuple(-s for s in ctx.shifts), ctx.dims), None, None


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError("roll: without dims, shifts must be a single int")
        flat = Roll.apply(flatten(input), shifts, (0,))
        return flat.reshape(input._data.shape)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(dims) != len(shifts):
        raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}")
    dims = tuple(norm_dim(d, input._data.ndim, "roll") for d in dims)
    return Roll.apply(input, shifts, dims)


class Pad(Op):
    """Constant padding (negative amounts crop). Backward: the matching slice of g."""

    complex_support = "linear"

    @staticmethod
    def forward(ctx, x, widths, value):
        xp = xp_of(x)
        crop = tuple(slice(-lo if lo < 0 else 0, (x.shape[i] + hi) if hi < 0 else None)
                     for i, (lo, hi) in enumerate(widths))
        xc = x[crop]
        pos = [(builtin_max(lo, 0), builtin_max(hi, 0)) for lo, hi in widths]
        ctx.widths = widths
        ctx.in_shape = x.shape
        # a filled array with the input copied in: several times faster than xp.pad
        out = xp.full(tuple(n + lo + hi for n, (lo, hi) in zip(xc.shape, pos)), value,
                      dtype=xc.dtype)
        out[tuple(slice(lo, lo + n) for n, (lo, _) in zip(xc.shape, pos))] = xc
        return out

    @staticmethod
    def backward(ctx, g):
        # Inverse: pad with the negated widths (crop what was added, zero-fill what was cut).
        neg = []
        for lo, hi in reversed(ctx.widths):
            neg += [-lo, -hi]
        return pad(g, neg), None, None


def builtin_max(a, b):
    return a if a > b else b


def pad(input: Tensor, pad, mode: str = "constant", value=None) -> Tensor:  # noqa: A002
    """Pad the last dims: ``pad = (left, right, top, bottom, ...)`` from the last dim backwards."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("pad: Padding length must be divisible by 2")
    nd = input._data.ndim
    if len(pad) // 2 > nd:
        raise RuntimeError(f"pad: Padding length should be less than or equal to two times the "
                           f"input dimension but got padding length {len(pad)} and input of "
                           f"dimension {nd}")
    if mode != "constant":
        if amp_state.on:
            return autocast_call(f"{mode}_pad", _pad_indexed, input, pad, mode)
        return _pad_indexed(input, pad, mode)
    widths = [(0, 0)] * nd
    for k in range(len(pad) // 2):
        widths[nd - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    for i, (lo, hi) in enumerate(widths):
        if input._data.shape[i] + lo + hi < 0:
            raise RuntimeError(f"pad: the padded size of dim {i} would be negative "
                               f"(input shape {list(input.shape)}, pad {list(pad)})")
    return Pad.apply(input, tuple(widths), 0 if value is None else value)


def _pad_indexed(input: Tensor, pad, mode: str) -> Tensor:
    """reflect / replicate / circular padding as a gather along each padded dim.

    The gather (advanced indexing) carries the gradient back, summing where a
    source element was copied several times.
    """
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"pad: mode={mode!r} is not one of 'constant', 'reflect', "
                                  "'replicate', 'circular'")
    n_dims = len(pad) // 2
    if input.ndim < n_dims + 1:
        raise NotImplementedError(f"pad: {mode} padding of {n_dims} dims needs a batched or "
                                  f"channel dim in front (input shape {list(input.shape)})")
    out = input
    for k in range(n_dims):
        dim = input.ndim - 1 - k
        lo, hi = pad[2 * k], pad[2 * k + 1]
        if lo == 0 and hi == 0:
            continue
        n = input.shape[dim]
        pos = np.arange(-lo, n + hi)
        if mode == "reflect":
            if lo >= n or hi >= n:
                raise RuntimeError(f"pad: Padding size should be less than the corresponding "
                                   f"input dimension, but got: padding ({lo}, {hi}) at dimension "
                                   f"{dim} of input {list(input.shape)}")
            pos = np.abs(pos)
            pos = np.where(pos > n - 1, 2 * (n - 1) - pos, pos)
        elif mode == "replicate":
            pos = np.clip(pos, 0, n - 1)
        else:
            if lo > n or hi > n:
                raise RuntimeError(f"pad: Padding value causes wrapping around more than once "
                                   f"(padding ({lo}, {hi}), dimension {dim} of size {n})")
            pos = pos % n
        idx = (slice(None),) * dim + (xp_of(input._data).asarray(pos),)
        out = out[idx]
    return out


def contiguous(input: Tensor, *, memory_format=None) -> Tensor:
    """The tensor itself when contiguous in ``memory_format`` (row-major by default, or
    ``channels_last``/``channels_last_3d``), else a copy laid out so."""
    if memory_format is None or memory_format is MF.contiguous_format:
        if input._data.flags.c_contiguous:
            return input
        memory_format = MF.contiguous_format
    fmt = MF.check(memory_format, "contiguous")
    arr = input._data
    if MF.is_contiguous_as(arr.shape, MF.elem_strides(arr), fmt):
        return input
    if fmt is MF.preserve_format:
        raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
    from .elementwise import clone  # noqa: PLC0415

    return clone(input, memory_format=fmt)
