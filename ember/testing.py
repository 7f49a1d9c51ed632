"""``ember.testing``: ``assert_close`` and ``make_tensor``, as ``torch.testing``.

``assert_close(actual, expected)`` passes and fails exactly where PyTorch's does: the same
pairing of inputs (tensors, NumPy arrays, Python and NumPy numbers, booleans, None, and
sequences and mappings of those, compared item by item), the same default tolerances per
dtype, the same attribute checks (shape, device, dtype, and stride when asked), and error
messages of the same layout (mismatched elements, greatest absolute and relative difference
with their index, the item of a sequence or mapping that failed). Tensors print as ember's
(``ember.float32``, ``ember.Size([2])``) where PyTorch's print ``torch.``.
"""
from __future__ import annotations

import cmath
import collections.abc
import contextlib
import math
import warnings

import numpy as np

from . import backend
from . import ops
from .tensor import Tensor

__all__ = ["assert_close", "assert_allclose", "make_tensor"]

# {dtype: (rtol, atol)}; dtypes not listed (integers, bool) compare exactly
_DTYPE_PRECISIONS = {backend.float16: (0.001, 1e-5), backend.bfloat16: (0.016, 1e-5),
                     backend.float32: (1.3e-6, 1e-5), backend.float64: (1e-7, 1e-7)}
_NUMBER_DTYPES = {int: backend.int64, float: backend.float64}


class _Unsupported(Exception):
    """A pair type does not take these inputs."""


class _Mismatch(Exception):
    """A failed comparison: the exception type to raise, its message, and where it happened."""

    def __init__(self, kind, msg, path=()):
        super().__init__(msg)
        self.kind, self.msg, self.path = kind, msg, path

    def to_error(self, msg=None):
        if not isinstance(msg, str):
            text = self.msg
            if self.path:
                text += ("\n\nThe failure occurred for item "
                         + "".join(str([p]) for p in self.path))
            msg = msg(text) if callable(msg) else text
        return self.kind(msg)


def _default_tolerances(*dtypes, table=None):
    table = _DTYPE_PRECISIONS if table is None else table
    rtols, atols = zip(*[table.get(d, (0.0, 0.0)) for d in dtypes])
    return max(rtols), max(atols)


def _tolerances(*dtypes, rtol, atol, path):
    if (rtol is None) != (atol is None):
        raise _Mismatch(ValueError, "Both 'rtol' and 'atol' must be either specified or omitted, "
                                    f"but got no {'rtol' if rtol is None else 'atol'}.", path)
    if rtol is not None:
        return rtol, atol
    return _default_tolerances(*dtypes)


def _mismatch_msg(default_identifier, extra, abs_diff, abs_idx, atol, rel_diff, rel_idx, rtol):
    equality = rtol == 0 and atol == 0

    def line(kind, diff, idx, tol):
        text = (f"{kind.title()} difference: {diff}" if idx is None
                else f"Greatest {kind} difference: {diff} at index {idx}")
        return text + ("" if equality else f" (up to {tol} allowed)") + "\n"
    msg = f"{default_identifier} are not {'equal' if equality else 'close'}!\n\n"
    if extra:
        msg += extra.strip() + "\n"
    msg += line("absolute", abs_diff, abs_idx, atol) + line("relative", rel_diff, rel_idx, rtol)
    return msg.strip()


def _scalar_msg(actual, expected, rtol, atol):
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    return _mismatch_msg("Scalars", f"Expected {expected} but got {actual}.", abs_diff, None,
                         atol, rel_diff, None, rtol)


def _tensor_msg(actual, expected, matches, rtol, atol):
    """The message for two arrays (host NumPy, one dtype) where ``matches`` is False
    somewhere: the differences are computed in their dtype (in int64, and the relative one in
    float32, for integers and booleans), as PyTorch does."""
    n = matches.size
    bad = n - int(matches.sum())
    extra = f"Mismatched elements: {bad} / {n} ({bad / n:.1%})"
    a, e, m = actual.reshape(-1), expected.reshape(-1), matches.reshape(-1)
    if a.dtype.kind not in "fc" and a.dtype != backend.BF16:
        a, e = a.astype(np.int64), e.astype(np.int64)
    with np.errstate(all="ignore"):
        abs_diff = np.abs(a - e)
        abs_diff[m] = 0
        if a.dtype == np.int64:
            rel = abs_diff.astype(np.float32) / np.abs(e).astype(np.float32)
        else:
            rel = abs_diff / np.abs(e)
        rel[m] = 0
    ai, ri = int(np.argmax(abs_diff)), int(np.argmax(rel))

    def unravel(i):
        return tuple(int(k) for k in np.unravel_index(i, matches.shape)) if matches.shape else ()
    return _mismatch_msg("Tensor-likes", extra, abs_diff[ai].item(), unravel(ai), atol,
                         rel[ri].item(), unravel(ri), rtol)


def _promote(a, b):
    """PyTorch's type promotion for two dtypes (a floating dtype wins over integers)."""
    if a is b:
        return a
    fa, fb = a.is_floating_point, b.is_floating_point
    if fa and fb:
        if {a, b} == {backend.float16, backend.bfloat16}:
            return backend.float32
        return a if a.itemsize > b.itemsize else b
    if fa or fb:
        return a if fa else b
    return backend.from_np(np.result_type(a.np, b.np))


def _host(t):
    d = t._data
    return d if isinstance(d, np.ndarray) else d.get()


# ---------------------------------------------------------------- the pairs
def _none_pair(actual, expected, path, **_):
    if not (actual is None or expected is None):
        raise _Unsupported
    if not (actual is None and expected is None):
        raise _Mismatch(AssertionError, f"None mismatch: {actual} is not {expected}", path)


def _bool_pair(actual, expected, path, **_):
    kinds = (bool, np.bool_)
    if not (isinstance(actual, kinds) and isinstance(expected, kinds)):
        raise _Unsupported
    a, e = bool(actual), bool(expected)
    if a is not e:
        raise _Mismatch(AssertionError, f"Booleans mismatch: {a} is not {e}", path)


def _number_pair(actual, expected, path, rtol, atol, equal_nan, check_dtype, **_):
    kinds = (int, float, complex, np.number)
    if not (isinstance(actual, kinds) and isinstance(expected, kinds)) \
            or isinstance(actual, bool) or isinstance(expected, bool):
        raise _Unsupported
    a = actual.item() if isinstance(actual, np.number) else actual
    e = expected.item() if isinstance(expected, np.number) else expected
    if isinstance(a, complex) or isinstance(e, complex):
        raise _Mismatch(TypeError, "ember has no complex dtype to compare complex numbers in",
                        path)
    rtol, atol = _tolerances(_NUMBER_DTYPES[type(a)], _NUMBER_DTYPES[type(e)], rtol=rtol,
                             atol=atol, path=path)
    if check_dtype and type(a) is not type(e):
        raise _Mismatch(AssertionError,
                        f"The (d)types do not match: {type(a)} != {type(e)}.", path)
    if a == e or (equal_nan and cmath.isnan(a) and cmath.isnan(e)):
        return
    diff = abs(a - e)
    if cmath.isfinite(diff) and diff <= atol + rtol * abs(e):
        return
    raise _Mismatch(AssertionError, _scalar_msg(a, e, rtol, atol), path)


def _tensor_pair(actual, expected, path, allow_subclasses, rtol, atol, equal_nan,
                 check_device, check_dtype, check_layout, check_stride, **_):
    related = isinstance(actual, type(expected)) or isinstance(expected, type(actual))
    if not related or (not allow_subclasses and type(actual) is not type(expected)):
        raise _Unsupported
    try:
        a, e = (x if isinstance(x, Tensor) else ops.as_tensor(x) for x in (actual, expected))
    except Exception:  # noqa: BLE001 - not a tensor-like: no pair for these inputs
        raise _Unsupported from None
    rtol, atol = _tolerances(a.dtype, e.dtype, rtol=rtol, atol=atol, path=path)

    def differ(name, x, y):
        raise _Mismatch(AssertionError,
                        f"The values for attribute '{name}' do not match: {x} != {y}.", path)
    if a.shape != e.shape:
        differ("shape", a.shape, e.shape)
    # ember's tensors are all strided, so this check passes (as PyTorch's does for them)
    la, le = getattr(a, "layout", "strided"), getattr(e, "layout", "strided")
    if check_layout and la != le:
        differ("layout", la, le)
    if check_stride and a.stride() != e.stride():
        differ("stride()", a.stride(), e.stride())
    if check_device and a.device != e.device:
        differ("device", a.device, e.device)
    if check_dtype and a.dtype != e.dtype:
        differ("dtype", a.dtype, e.dtype)
    av, ev = _host(a), _host(e)
    if a.dtype != e.dtype:
        common = _promote(a.dtype, e.dtype).np
        av, ev = av.astype(common), ev.astype(common)
    if av.dtype == backend.BF16:  # NumPy has no bfloat16 arithmetic of its own
        av, ev = av.astype(np.float32), ev.astype(np.float32)
    if av.dtype.kind in "f":
        with np.errstate(all="ignore"):
            matches = np.isclose(av, ev, rtol=rtol, atol=atol, equal_nan=equal_nan)
    elif rtol == 0 and atol == 0:
        matches = av == ev
    else:
        matches = np.isclose(av.astype(np.float64), ev.astype(np.float64), rtol=rtol, atol=atol)
    if matches.all():
        return
    if a.dim() == 0:
        msg = _scalar_msg(av.item(), ev.item(), rtol, atol)
    else:
        msg = _tensor_msg(av, ev, matches, rtol, atol)
    raise _Mismatch(AssertionError, msg, path)


_PAIRS = (_none_pair, _bool_pair, _number_pair, _tensor_pair)


def _compare(actual, expected, path, options):
    """Compare, recursing through sequences and mappings; raises :class:`_Mismatch`."""
    seq = collections.abc.Sequence
    if isinstance(actual, seq) and isinstance(expected, seq) and not isinstance(actual, str) \
            and not isinstance(expected, str):
        if len(actual) != len(expected):
            raise _Mismatch(AssertionError, "The length of the sequences mismatch: "
                                            f"{len(actual)} != {len(expected)}", path)
        for i in range(len(actual)):
            _compare(actual[i], expected[i], path + (i,), options)
        return
    mapping = collections.abc.Mapping
    if isinstance(actual, mapping) and isinstance(expected, mapping):
        ka, ke = set(actual.keys()), set(expected.keys())
        if ka != ke:
            raise _Mismatch(AssertionError,
                            "The keys of the mappings do not match:\n"
                            f"Missing keys in the actual mapping: {sorted(ke - ka)}\n"
                            f"Additional keys in the actual mapping: {sorted(ka - ke)}", path)
        keys = ka
        with contextlib.suppress(Exception):
            keys = sorted(keys)
        for k in keys:
            _compare(actual[k], expected[k], path + (k,), options)
        return
    for pair in _PAIRS:
        try:
            pair(actual, expected, path, **options)
            return
        except _Unsupported:
            continue
    raise _Mismatch(TypeError, f"No comparison pair was able to handle inputs of type "
                               f"{type(actual)} and {type(expected)}.", path)


def assert_close(actual, expected, *, allow_subclasses: bool = True, rtol=None, atol=None,
                 equal_nan: bool = False, check_device: bool = True, check_dtype: bool = True,
                 check_layout: bool = True, check_stride: bool = False, msg=None) -> None:
    """Raise unless ``actual`` and ``expected`` are close, as ``torch.testing.assert_close``.

    Tensors (and NumPy arrays, compared as tensors) must have the same shape, and, unless
    turned off, the same device, dtype and (``check_stride=True``) strides; their values are
    close when ``|actual - expected| <= atol + rtol * |expected|`` everywhere (NaNs equal only
    with ``equal_nan``). Without ``rtol``/``atol`` (give both or neither) the tolerances are
    the loosest of the two dtypes': float16 ``(1e-3, 1e-5)``, bfloat16 ``(1.6e-2, 1e-5)``,
    float32 ``(1.3e-6, 1e-5)``, float64 ``(1e-7, 1e-7)``, exact for integers and booleans.
    Python numbers compare the same way (``int`` as int64, ``float`` as float64; an ``int``
    and a ``float`` differ in type when ``check_dtype``), booleans and None by identity;
    sequences and mappings item by item. ``msg`` (a string, or a callable given the
    generated message) replaces the message. ``check_layout``: ember has only strided
    tensors. Raises ``AssertionError`` (``TypeError`` for inputs that cannot be compared,
    ``ValueError`` for a lone ``rtol`` or ``atol``).
    """
    options = dict(allow_subclasses=allow_subclasses, rtol=rtol, atol=atol, equal_nan=equal_nan,
                   check_device=check_device, check_dtype=check_dtype,
                   check_layout=check_layout, check_stride=check_stride)
    try:
        _compare(actual, expected, (), options)
    except _Mismatch as m:
        raise m.to_error(msg) from None


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan: bool = True,
                    msg: str = "") -> None:
    """Deprecated (as in PyTorch): ``assert_close`` with the old default tolerances
    (float16 ``(1e-3, 1e-3)``, float32 ``(1e-4, 1e-5)``, float64 ``(1e-5, 1e-8)``), NaNs
    equal, and dtypes allowed to differ."""
    warnings.warn("`torch.testing.assert_allclose()` is deprecated since 1.12 and will be "
                  "removed in a future release. Please use `torch.testing.assert_close()` "
                  "instead. You can find detailed upgrade instructions in "
                  "https://github.com/pytorch/pytorch/issues/61844.", FutureWarning, stacklevel=2)
    if not isinstance(actual, Tensor):
        actual = ops.tensor(actual)
    if not isinstance(expected, Tensor):
        expected = ops.tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        rtol, atol = _default_tolerances(actual.dtype, expected.dtype, table={
            backend.float16: (1e-3, 1e-3), backend.float32: (1e-4, 1e-5),
            backend.float64: (1e-5, 1e-8)})
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan,
                 check_device=True, check_dtype=False, check_stride=False, msg=msg or None)


# ---------------------------------------------------------------- make_tensor
def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad: bool = False,
                noncontiguous: bool = False, exclude_zero: bool = False,
                memory_format=None) -> Tensor:
    """A tensor of ``shape`` filled with values drawn uniformly from ``[low, high)``, as
    ``torch.testing.make_tensor`` (ember's random stream, not PyTorch's).

    Defaults: floats in ``[-9, 9)``, integers in ``[-9, 10)`` (``[0, 10)`` for uint8), booleans
    False/True; ``low``/``high`` are clamped to what the dtype holds (integers rounded up).
    ``noncontiguous=True`` returns a strided view (every second element of a wider tensor),
    ``exclude_zero=True`` replaces zeros by 1 (integers, True for bool) or the dtype's
    smallest normal number, ``memory_format`` is passed to ``clone``.
    """
    if len(shape) == 1 and isinstance(shape[0], collections.abc.Sequence):
        shape = shape[0]
    shape = tuple(shape)
    dt = backend.to_dtype(dtype)
    if noncontiguous and memory_format is not None:
        raise ValueError("The parameters `noncontiguous` and `memory_format` are mutually "
                         f"exclusive, but got noncontiguous={noncontiguous!r} and "
                         f"memory_format={memory_format!r}")
    integral = not dt.is_floating_point
    if requires_grad and integral:
        raise ValueError("`requires_grad=True` is not supported for boolean and integral "
                         f"dtypes, but got dtype={dt}")

    def bounds(lowest, highest, default_low, default_high):
        lo = default_low if low is None else low
        hi = default_high if high is None else high
        if any(isinstance(v, float) and math.isnan(v) for v in (lo, hi)):
            raise ValueError(f"`low` and `high` cannot be NaN, but got low={lo} and high={hi}")
        if lo == hi and not integral:
            warnings.warn("Passing `low==high` to `torch.testing.make_tensor` for floating or "
                          "complex types is deprecated since 2.1 and will be removed in 2.3. "
                          "Use `torch.full(...)` instead.", FutureWarning, stacklevel=3)
        elif lo >= hi:
            raise ValueError(f"`low` must be less than `high`, but got {lo} >= {hi}")
        elif hi < lowest or lo >= highest:
            raise ValueError(f"The value interval specified by `low` and `high` is [{lo}, "
                             f"{hi}), but {dt} only supports [{lowest}, {highest})")
        lo, hi = min(max(lo, lowest), highest), min(max(hi, lowest), highest)
        return (math.ceil(lo), math.ceil(hi)) if integral else (lo, hi)

    numel = 1
    for s in shape:
        numel *= s
    noncontiguous = noncontiguous and numel > 1
    if noncontiguous:
        shape = shape[:-1] + (2 * shape[-1],)
    if dt is backend.bool_:
        lo, hi = bounds(0, 2, 0, 2)
        result = ops.randint(lo, hi, shape, device=device).to(dt)
    elif integral:
        info = np.iinfo(dt.np)
        top = info.max + (1 if dt is not backend.int64 else 0)
        lo, hi = bounds(int(info.min), int(top), 0 if dt is backend.uint8 else -9, 10)
        result = ops.randint(lo, hi, shape, dtype=dt, device=device)
    else:
        import ml_dtypes  # noqa: PLC0415 - finfo of bfloat16

        info = ml_dtypes.finfo(dt.np) if dt is backend.bfloat16 else np.finfo(dt.np)
        lo, hi = bounds(float(info.min), float(info.max), -9, 9)
        result = ops.empty(shape, dtype=dt, device=device)
        if hi - lo >= float(info.max):
            result.uniform_(lo / 2, hi / 2).mul_(2)
        else:
            result.uniform_(lo, hi)
    if noncontiguous:
        result = result[..., 1::2]
    elif memory_format is not None:
        result = result.clone(memory_format=memory_format)
    if exclude_zero:
        tiny = 1 if integral else float(info.tiny)
        result[result == 0] = tiny
    if not integral:
        result.requires_grad = requires_grad
    return result


