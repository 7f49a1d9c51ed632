"""Tensor creation: from data, filled, ranges and random draws."""
from __future__ import annotations

import numbers

import numpy as np

from .. import _memory_format as MF
from .. import _settings, backend
from ..backend import Generator, as_device, generator_for, module_for, np_dtype
from .._grad_mode import inference_users
from .._grad_mode import state as _grad_state
from ..tensor import Tensor, _mark_inference, _to_array, _wrap

__all__ = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "zeros_like",
    "ones_like", "full_like", "empty_like", "arange", "linspace", "logspace", "eye", "rand",
    "randn", "randint", "randperm", "normal", "bernoulli", "rand_like", "randn_like",
    "randint_like", "scalar_tensor", "multinomial",
]


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor (a copy) from Python data, a NumPy array or a tensor.

    Python floats become the default dtype (float32), ints int64, bools bool;
    NumPy arrays keep their dtype.

    Example::

        >>> import ember
        >>> ember.tensor([[1., 2.], [3., 4.]])
        tensor([[1., 2.],
                [3., 4.]])
    """
    t = _wrap(_to_array(data, dtype, _settings.factory_device(device)), False, None, 0)
    if inference_users[0] and _grad_state.inference:
        _mark_inference(t)
    if requires_grad:
        t.requires_grad_(True)
    return t


def scalar_tensor(s, dtype=None, device=None, requires_grad=False) -> Tensor:
    return tensor(float(s), dtype=dtype, device=device, requires_grad=requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like :func:`tensor` but shares memory with a tensor or array when no conversion is needed."""
    device = _settings.factory_device(device)
    if isinstance(data, Tensor):
        if (dtype is None or data.dtype == backend.to_dtype(dtype)) and (
                device is None or data.device == as_device(device)):
            return data
        out = data.to(device=device, dtype=dtype) if device is not None else data.to(dtype)
        return out
    return _wrap(_to_array(data, dtype, device, copy=False), False, None, 0)


def from_numpy(arr: np.ndarray) -> Tensor:
    """A tensor sharing memory with the NumPy array ``arr``."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(arr).__name__})")
    backend.from_np(arr.dtype)  # raises for unsupported dtypes
    return _finish(arr, False)


def clone_array(t: Tensor):
    return t._data.copy()


# ---------------------------------------------------------------------------- filled


def _size(args, name):
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    try:
        size = tuple(int(s) for s in args)
    except TypeError:
        raise TypeError(f"{name}(): size must be ints or a tuple of ints, got {args!r}") from None
    if any(s < 0 for s in size):
        raise RuntimeError(f"{name}(): Trying to create tensor with negative dimension: {list(size)}")
    return size


def _finish(arr, requires_grad):
    t = _wrap(arr, False, None, 0)
    if inference_users[0] and _grad_state.inference:
        _mark_inference(t)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _float_dtype(dtype):
    return np_dtype(dtype) if dtype is not None else backend.get_default_dtype().np


def _xp_for(device):
    return module_for(as_device(_settings.factory_device(device)))


def _uninitialized(arr):
    """``empty``'s memory: as it comes, or filled as PyTorch fills it under deterministic
    algorithms (NaN, the largest integer, True), so that reading it is repeatable."""
    if _settings.are_deterministic_algorithms_enabled():
        kind = arr.dtype.kind
        arr.fill(True if kind == "b" else np.iinfo(arr.dtype).max if kind in "iu" else np.nan)
    return arr


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(_xp_for(device).zeros(_size(size, "zeros"), dtype=_float_dtype(dtype)),
                   requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(_xp_for(device).ones(_size(size, "ones"), dtype=_float_dtype(dtype)),
                   requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(_uninitialized(_xp_for(device).empty(_size(size, "empty"),
                                                        dtype=_float_dtype(dtype))), requires_grad)


def _fill_dtype(value, dtype):
    if dtype is not None:
        return np_dtype(dtype)
    if isinstance(value, bool):
        return np.bool_
    if isinstance(value, numbers.Integral):
        return np.int64
    return backend.get_default_dtype().np


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _finish(_xp_for(device).full(_size((size,), "full"), fill_value,
                                        dtype=_fill_dtype(fill_value, dtype)), requires_grad)


def _like(t, dtype, device):
    return (np_dtype(dtype) if dtype is not None else t._data.dtype,
            module_for(as_device(device)) if device is not None else backend.xp(t._data))


def _like_array(t, dtype, device, memory_format, name, zero=False):
    """An array shaped as ``t`` in the layout ``memory_format`` asks for (by default ``t``'s
    own when it is dense, as PyTorch's ``preserve_format``): uninitialised, or zeros."""
    dt, mod = _like(t, dtype, device)
    return MF.empty_as(mod, t._data, MF.check(memory_format, name), dt, zero)


def _laid_out(arr, t, memory_format, name):
    """``arr`` (shaped as ``t``) moved to the layout ``memory_format`` asks for, if another."""
    fmt = MF.check(memory_format, name)
    if MF.target_strides(t._data, fmt) is None:
        return arr
    out = MF.empty_as(backend.xp(arr), t._data, fmt, arr.dtype)
    out[...] = arr
    return out


def zeros_like(t: Tensor, dtype=None, device=None, requires_grad=False, *,
               memory_format=None) -> Tensor:
    return _finish(_like_array(t, dtype, device, memory_format, "zeros_like", zero=True),
                   requires_grad)


def ones_like(t: Tensor, dtype=None, device=None, requires_grad=False, *,
              memory_format=None) -> Tensor:
    arr = _like_array(t, dtype, device, memory_format, "ones_like")
    arr.fill(1)
    return _finish(arr, requires_grad)


def empty_like(t: Tensor, dtype=None, device=None, requires_grad=False, *,
               memory_format=None) -> Tensor:
    return _finish(_uninitialized(_like_array(t, dtype, device, memory_format, "empty_like")),
                   requires_grad)


def full_like(t: Tensor, fill_value, dtype=None, device=None, requires_grad=False, *,
              memory_format=None) -> Tensor:
    arr = _like_array(t, dtype, device, memory_format, "full_like")
    arr.fill(fill_value)
    return _finish(arr, requires_grad)


# ---------------------------------------------------------------------------- ranges


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from ``start`` to ``end`` (excluded) by ``step``; ints give int64 unless a float is involved."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if vals[2] == 0:
        raise RuntimeError("arange(): step must be nonzero")
    if dtype is None:
        dt = np.int64 if all(isinstance(v, numbers.Integral) for v in vals) else \
            backend.get_default_dtype().np
    else:
        dt = np_dtype(dtype)
    n = int(np.ceil((vals[1] - vals[0]) / vals[2]))
    mod = _xp_for(device)
    arr = (vals[0] + mod.arange(max(n, 0), dtype=np.float64) * vals[2]) if \
        np.dtype(dt).kind == "f" else mod.arange(vals[0], vals[1], vals[2], dtype=np.int64)
    return _finish(arr.astype(dt, copy=False), requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(_xp_for(device).linspace(start, end, int(steps)).astype(_float_dtype(dtype)),
                   requires_grad)


def logspace(start, end, steps, base=10.0, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(_xp_for(device).logspace(start, end, int(steps), base=base)
                   .astype(_float_dtype(dtype)), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(_xp_for(device).eye(int(n), None if m is None else int(m),
                                       dtype=_float_dtype(dtype)), requires_grad)


# ---------------------------------------------------------------------------- random


def _gen(device, generator, default_device: bool = True):
    """The stream to draw from: on ``device``, else the generator's, else the default device
    (``default_device``; PyTorch's ``normal`` with float arguments ignores it), else the CPU."""
    if device is None:
        device = generator.device if generator is not None else \
            _settings.factory_device(None) if default_device else None
    return generator_for(as_device(device), generator).rng


def rand(*size, generator: Generator | None = None, dtype=None, device=None,
         requires_grad=False) -> Tensor:
    """Uniform draws on [0, 1)."""
    dt = _float_dtype(dtype)
    arr = _gen(device, generator).random(_size(size, "rand"), dtype=np.float64).astype(dt)
    return _finish(arr, requires_grad)


def randn(*size, generator: Generator | None = None, dtype=None, device=None,
          requires_grad=False) -> Tensor:
    """Standard normal draws."""
    dt = _float_dtype(dtype)
    arr = _gen(device, generator).standard_normal(_size(size, "randn"), dtype=np.float64)
    return _finish(arr.astype(dt), requires_grad)


def randint(*args, size=None, generator=None, dtype=None, device=None,
            requires_grad=False) -> Tensor:
    """``randint(high, size)`` or ``randint(low, high, size)``: integers in [low, high)."""
    args = list(args)
    if size is None:
        size = args.pop()
    if len(args) == 1:
        low, high = 0, args[0]
    elif len(args) == 2:
        low, high = args
    else:
        raise TypeError("randint(): expected (high, size) or (low, high, size)")
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    dt = np_dtype(dtype) if dtype is not None else np.int64
    arr = _gen(device, generator).integers(int(low), int(high), size=_size((size,), "randint"))
    return _finish(arr.astype(dt), requires_grad)


def randperm(n, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    dt = np_dtype(dtype) if dtype is not None else np.int64
    rng = _gen(device, generator)
    # CuPy's generators have no permutation: the order of n uniform draws is one
    perm = rng.permutation(int(n)) if hasattr(rng, "permutation") else \
        rng.random(int(n)).argsort()
    return _finish(perm.astype(dt), requires_grad)


def normal(mean=0.0, std=1.0, size=None, generator=None, dtype=None, device=None,
           requires_grad=False) -> Tensor:
    """Normal draws; ``mean``/``std`` may be tensors (elementwise) or floats with a ``size``."""
    if isinstance(std, numbers.Number) and std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        ref = mean if isinstance(mean, Tensor) else std
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        z = _gen(ref.device, generator).standard_normal(shape)
        return _finish((m + s * z).astype(ref._data.dtype), requires_grad)
    if size is None:
        raise TypeError("normal(): with float mean and std, give a size")
    z = _gen(device, generator, default_device=False).standard_normal(_size((size,), "normal"))
    return _finish((mean + std * z).astype(_float_dtype(dtype)), requires_grad)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator=None) -> Tensor:
    """Indices drawn with probabilities proportional to the rows of ``input`` (weights >= 0,
    not necessarily normalized); without replacement, each index at most once per row.

    Shape: (C,) -> (num_samples,); (N, C) -> (N, num_samples), int64.
    """
    if input.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got shape "
                           f"{list(input.shape)}")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got "
                           f"{input.dtype}")
    n_cat = input.shape[-1]
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample {num_samples} (<= 0) samples")
    if not replacement and num_samples > n_cat:
        raise RuntimeError("multinomial: cannot sample n_sample > prob_dist.size(-1) samples "
                           f"without replacement ({num_samples} > {n_cat})")
    w = backend.to_host(input._data).astype(np.float64).reshape(-1, n_cat)
    if not np.isfinite(w).all() or (w < 0).any():
        raise RuntimeError("multinomial: invalid multinomial distribution (encountering "
                           "probability entry < 0, inf or nan)")
    sums = w.sum(axis=1)
    if (sums <= 0).any():
        raise RuntimeError("multinomial: invalid multinomial distribution (sum of probabilities "
                           "<= 0)")
    rng = _gen("cpu", generator)  # drawn on the host (also for device inputs), then moved
    rows = []
    for row, total in zip(w, sums):
        p = row / total
        if not replacement and np.count_nonzero(p) < num_samples:
            raise RuntimeError("multinomial: invalid multinomial distribution (with replacement"
                               "=False, not enough non-negative category to sample)")
        rows.append(rng.choice(n_cat, size=num_samples, replace=replacement, p=p))
    out = np.stack(rows).astype(np.int64)
    if input.ndim == 1:
        out = out[0]
    t = _wrap(out, False, None, 0)
    return t if input.device.type == "cpu" else t.to(input.device)


def bernoulli(input: Tensor, p=None, generator=None) -> Tensor:
    """Draw 1 with probability ``input`` (or ``p``) elementwise, as floats of the input's dtype."""
    probs = input._data if p is None else p
    u = _gen(input.device, generator).random(input._data.shape)
    return _wrap((u < probs).astype(input._data.dtype), False, None, 0)


def rand_like(t, dtype=None, device=None, requires_grad=False, generator=None, *,
              memory_format=None):
    out = rand(*t.shape, generator=generator, dtype=dtype or t.dtype,
               device=device or t.device, requires_grad=False)
    return _finish(_laid_out(out._data, t, memory_format, "rand_like"), requires_grad)


def randn_like(t, dtype=None, device=None, requires_grad=False, generator=None, *,
               memory_format=None):
    out = randn(*t.shape, generator=generator, dtype=dtype or t.dtype,
                device=device or t.device, requires_grad=False)
    return _finish(_laid_out(out._data, t, memory_format, "randn_like"), requires_grad)


def randint_like(t, low=0, high=None, dtype=None, device=None, generator=None, *,
                 memory_format=None):
    if high is None:
        low, high = 0, low
    out = randint(low, high, tuple(t.shape), generator=generator, dtype=dtype or t.dtype,
                  device=device or t.device)
    return _finish(_laid_out(out._data, t, memory_format, "randint_like"), False)
