"""``vmap`` (``torch.func.vmap``, ``torch.vmap``): a function over samples made a function over
batches.

ember's ``vmap`` calls the function once per sample — the mapped dimension taken away from
each batched input with a view — and stacks the results: the values and gradients are those
of PyTorch's vectorized ``vmap``, at the cost of a Python loop over the batch (keep it off the
hot path of a training step). Being a loop, it also runs what PyTorch's batching refuses:
``.item()``, data-dependent control flow, in-place writes into unbatched tensors. The checks of
the arguments, the batch sizes and the outputs raise PyTorch's errors; an output whose
``out_dims`` entry is None must come out the same for every sample (ember judges this by
value). ``randomness`` works as PyTorch's: ``"error"`` refuses random draws inside the
function, ``"different"`` lets each sample draw its own, ``"same"`` replays one draw for
every sample.
"""
from __future__ import annotations

import functools

from .. import ops
from ._rng import _fingerprint, _restore, _snapshot
from ..tensor import Tensor
from ..utils._pytree import _broadcast_to_and_flatten, tree_flatten, tree_map_, tree_unflatten

__all__ = ["vmap"]

_RANDOM_ERROR = ("vmap: called random operation while in randomness error mode. Please either "
                 "use the 'same' or 'different' randomness flags on vmap or perform the "
                 "randomness operation out of vmap")


def _get_name(func) -> str:
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_get_name(func.func)}, ...)"
    return repr(func)


def _flat_in_dims(func, in_dims, args):
    name = _get_name(func)
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to "
                         "be int or a (potentially nested) tuple matching the structure of "
                         f"inputs, got: {type(in_dims)}.")
    if not args:
        raise ValueError(f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, "
                         "or you are trying to vmap over a function with no inputs. The latter "
                         "is unsupported.")
    flat_args, args_spec = tree_flatten(args)
    flat_dims = _broadcast_to_and_flatten(in_dims, args_spec)
    if flat_dims is None:
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not "
                         "compatible with the structure of `inputs`. in_dims has structure "
                         f"{tree_flatten(in_dims)[1]} but inputs has structure {args_spec}.")
    for i, (arg, d) in enumerate(zip(flat_args, flat_dims)):
        if d is None:
            continue
        if not isinstance(d, int) or isinstance(d, bool):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} "
                             "for an input but in_dim must be either an integer dimension or "
                             "None.")
        if not isinstance(arg, Tensor):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} "
                             f"for an input but the input is of type {type(arg)}. We cannot "
                             "vmap over non-Tensor arguments, please use None as the respective "
                             "in_dim")
        n = arg.dim()
        if not -n <= d < n:
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} "
                             f"for some input, but that input is a Tensor of dimensionality {n} "
                             f"so expected in_dim to satisfy -{n} <= in_dim < {n}.")
        flat_dims[i] = d % n
    sizes = [a.shape[d] for a, d in zip(flat_args, flat_dims) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    return flat_args, args_spec, flat_dims, sizes[0]


def _check_out_dims(func, out_dims):
    def check(x):
        if x is not None and (not isinstance(x, int) or isinstance(x, bool)):
            raise ValueError(f"vmap({_get_name(func)}, ..., out_dims={out_dims}): `out_dims` must "
                             "be an int, None or a python collection of ints representing where "
                             "in the outputs the vmapped dimension should appear.")
    if not isinstance(out_dims, int):
        tree_map_(check, out_dims)


def _flat_out_dims(func, out_dims, out, spec):
    def incompatible():
        return ValueError(f"vmap({_get_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims "
                          "is not compatible with the structure of `outputs`. out_dims has "
                          f"structure {tree_flatten(out_dims)[1]} but outputs has structure "
                          f"{spec}.")
    if isinstance(out, Tensor):
        if isinstance(out_dims, int) or out_dims is None:
            return [out_dims]
        if isinstance(out_dims, tuple) and len(out_dims) == 1:
            return list(out_dims)
        raise incompatible()
    flat = _broadcast_to_and_flatten(out_dims, spec)
    if flat is None:
        raise incompatible()
    return flat


def _sample(flat_args, flat_dims, i):
    return [a if d is None else a[(slice(None),) * d + (i,)]
            for a, d in zip(flat_args, flat_dims)]


def _zero_sample(flat_args, flat_dims):
    """Inputs of one sample for an empty batch: zeros of a sample's shape."""
    out = []
    for a, d in zip(flat_args, flat_dims):
        if d is None:
            out.append(a)
        else:
            shape = tuple(a.shape[:d]) + tuple(a.shape[d + 1:])
            out.append(ops.zeros(shape, dtype=a.dtype, device=a.device))
    return out


def _same(a, b) -> bool:
    if a is b:
        return True
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return a.shape == b.shape and a.dtype == b.dtype and ops.equal(a.detach(), b.detach())
    return False


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None):
    """``func`` mapped over a dimension of its inputs: ``vmap(f)(x)[i] == f(x[i])``.

    Args:
        func: a function of Tensors (or pytrees of them) returning Tensors (or pytrees).
        in_dims: the mapped dimension of each positional input: an int for all, or a
            (nested) tuple matching the inputs with an int or None (not mapped) per input.
            Keyword arguments are passed to every call as they are.
        out_dims: where the mapped dimension goes in each output (int, None: the output is
            the same for every sample and returned once, or a tuple matching the outputs).
        randomness: ``"error"``, ``"different"`` or ``"same"`` (see the module docstring).
        chunk_size: how many samples PyTorch vectorizes at once (None: all). ember runs one
            sample at a time whatever it is; it must be None or positive.

    The function is called once per sample (see the module docstring); an empty batch calls
    it once on zeros of a sample's shape to learn the outputs' shapes.
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")
    if chunk_size is not None and not (isinstance(chunk_size, int) and chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        _check_out_dims(func, out_dims)
        flat_args, args_spec, flat_dims, size = _flat_in_dims(func, in_dims, args)
        snap = _snapshot() if randomness == "same" else None
        results = []
        for i in range(max(size, 1)):
            sample = _sample(flat_args, flat_dims, i) if size else _zero_sample(flat_args,
                                                                                flat_dims)
            if snap is not None:
                _restore(snap)
            before = _fingerprint() if randomness == "error" else None
            out = func(*tree_unflatten(sample, args_spec), **kwargs)
            if before is not None and _fingerprint() != before:
                raise RuntimeError(_RANDOM_ERROR)
            results.append(tree_flatten(out))
        spec = results[0][1]
        name = _get_name(func)
        for r in results[1:]:
            if r[1] != spec:
                raise ValueError(f"vmap({name}, ...): `{name}` returned outputs of different "
                                 f"structures for different samples: {spec} and {r[1]}")
        dims = _flat_out_dims(func, out_dims, spec.unflatten(results[0][0]), spec)
        merged = []
        for j, od in enumerate(dims):
            column = [r[0][j] for r in results]
            if od is None:
                if size and not all(_same(column[0], c) for c in column[1:]):
                    raise ValueError(f"vmap({name}, ...): `{name}` can not return a "
                                     "BatchedTensor when out_dim is None")
                merged.append(column[0])
                continue
            for c in column:
                if not isinstance(c, Tensor):
                    raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got "
                                     f"type {type(c)}. Did you mean to set out_dims= to None for "
                                     "output?")
            n = column[0].dim() + 1
            if not -n <= od < n:
                raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, "
                                 f"{n - 1}], but got {od})")
            d = od % n
            if size:
                merged.append(ops.stack(column, dim=d))
            else:
                shape = list(column[0].shape)
                shape.insert(d, 0)
                merged.append(ops.zeros(tuple(shape), dtype=column[0].dtype,
                                        device=column[0].device))
        return tree_unflatten(merged, spec)
    return wrapped
