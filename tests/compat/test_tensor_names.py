"""The tensor names real programs use, against PyTorch: constants and dtype limits, the
diagonal family, grids and repeats, strided views (sharing memory and version counters as
PyTorch's views do), index updates, bitwise ops, in-place comparisons and clamps, dtype
conversions, storages and the legacy constructors, ``set_``/``resize_``, memory formats.

The gradients of the differentiable ones are in the op table (tests/ops/cases_tensor_names.py).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember

from ._libs import LIBS, needs_torch, torch
from ._libs import as_np as _np


def _same(a, b):
    """Equal values, shape and dtype name (ember's and torch's tensors)."""
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1], (a.dtype, b.dtype)
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_array_equal(_np(a), _np(b))


def _both(f):
    """``f(ember)`` and ``f(torch)``; each compared result pair must be equal tensors."""
    e, t = f(ember), f(torch)
    es, ts = (e, t) if isinstance(e, (tuple, list)) else ((e,), (t,))
    assert len(es) == len(ts)
    for a, b in zip(es, ts):
        _same(a, b)
    return e, t


def _raises(f, exc):
    """Both libraries raise ``exc`` (the same type) for ``f(m)``."""
    for m in (ember, torch):
        with pytest.raises(exc):
            f(m)


# ---------------------------------------------------------------------------- constants, limits


@needs_torch
def test_constants_are_pytorchs():
    for name in ("pi", "e", "inf"):
        assert getattr(ember, name) == getattr(torch, name)
    assert np.isnan(ember.nan) and ember.newaxis is torch.newaxis is None
    x = ember.arange(3.)
    assert tuple(x[ember.newaxis].shape) == (1, 3)


_FLOATS = ["float16", "bfloat16", "float32", "float64"]
_INTS = ["uint8", "int8", "int16", "int32", "int64"]


@needs_torch
@pytest.mark.parametrize("name", _FLOATS)
def test_finfo_fields_and_repr(name):
    e, t = ember.finfo(getattr(ember, name)), torch.finfo(getattr(torch, name))
    for f in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(e, f) == getattr(t, f), f
        assert type(getattr(e, f)) is type(getattr(t, f))
    assert repr(e) == repr(t)


@needs_torch
@pytest.mark.parametrize("name", _INTS)
def test_iinfo_fields_and_repr(name):
    e, t = ember.iinfo(getattr(ember, name)), torch.iinfo(getattr(torch, name))
    for f in ("bits", "max", "min", "dtype"):
        assert getattr(e, f) == getattr(t, f) and type(getattr(e, f)) is type(getattr(t, f))
    assert repr(e) == repr(t)


@pytest.mark.parametrize("m", LIBS)
def test_finfo_iinfo_defaults_errors_and_equality(m):
    assert m.finfo().dtype == "float32" and m.finfo(float).dtype == "float64"
    assert m.iinfo(int).dtype == "int64"
    m.set_default_dtype(m.float64)
    try:
        assert m.finfo().bits == 64
    finally:
        m.set_default_dtype(m.float32)
    for bad in (m.int64, m.bool):
        with pytest.raises(TypeError):
            m.finfo(bad)
    for bad in (m.float32, m.bool):
        with pytest.raises(TypeError):
            m.iinfo(bad)
    with pytest.raises(TypeError):
        m.finfo("float32")
    f = m.finfo(m.float32)
    assert f == m.finfo(m.float32) and f != m.finfo(m.float64) and not (f == 1)
    with pytest.raises(TypeError):
        hash(f)
    with pytest.raises(AttributeError):
        f.eps = 1.0


# ---------------------------------------------------------------------------- meshgrid & products


@needs_torch
def test_meshgrid_values_views_and_versions():
    for indexing in ("ij", "xy"):
        _both(lambda m: m.meshgrid(m.arange(3.), m.arange(2.), m.tensor(5.), indexing=indexing))
        _both(lambda m: m.meshgrid([m.arange(4), m.arange(2)], indexing=indexing))
        _both(lambda m: m.meshgrid((m.arange(2.),), indexing=indexing))
    for m in (ember, torch):
        x, y = m.arange(3.), m.arange(2.)
        gx, gy = m.meshgrid(x, y, indexing="ij")
        x.add_(10)  # the grids are views of the inputs
        assert _np(gx)[:, 0].tolist() == [10.0, 11.0, 12.0]
        assert gx._version == x._version == 1 and gy._version == y._version == 0


def test_meshgrid_warns_once_without_indexing():
    from ember.ops import grids

    grids._warned_meshgrid[0] = False
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        a, b = ember.meshgrid(ember.arange(3), ember.arange(2))
        ember.meshgrid(ember.arange(3), ember.arange(2))
    msgs = [str(x.message) for x in w if x.category is UserWarning]
    assert msgs == ["torch.meshgrid: in an upcoming release, it will be required to pass the "
                    "indexing argument."]
    assert tuple(a.shape) == (3, 2)  # 'ij'


@needs_torch
def test_meshgrid_products_errors():
    _raises(lambda m: m.meshgrid(), RuntimeError)
    _raises(lambda m: m.meshgrid(m.zeros(2, 2), indexing="ij"), RuntimeError)
    _raises(lambda m: m.meshgrid(m.arange(2), m.arange(2.), indexing="ij"), RuntimeError)
    _raises(lambda m: m.meshgrid(m.arange(2), indexing="yx"), RuntimeError)
    _raises(lambda m: m.cartesian_prod(m.zeros(2, 2)), RuntimeError)
    _raises(lambda m: m.cartesian_prod(m.tensor(1.), m.arange(2.)), RuntimeError)
    _raises(lambda m: m.combinations(m.zeros(2, 2)), RuntimeError)
    _raises(lambda m: m.combinations(m.arange(3), r=-1), RuntimeError)


@needs_torch
def test_cartesian_prod_and_combinations():
    _both(lambda m: m.cartesian_prod(m.arange(2), m.arange(3), m.tensor([7, 8])))
    for m in (ember, torch):
        x = m.arange(3.)
        assert m.cartesian_prod(x) is x
    for r in range(5):
        for rep in (False, True):
            _both(lambda m: m.combinations(m.arange(4) * 10, r=r, with_replacement=rep))
    _both(lambda m: m.combinations(m.zeros(0)))
    _both(lambda m: m.combinations(m.tensor([True, False, True]), 2))


@needs_torch
def test_repeat_interleave_forms_and_errors():
    y = np.arange(6.).reshape(2, 3)
    _both(lambda m: m.repeat_interleave(m.tensor([2, 0, 1])))
    _both(lambda m: m.repeat_interleave(m.tensor([2, 3], dtype=m.int32)))
    _both(lambda m: m.repeat_interleave(m.tensor([1, 2]), output_size=3))
    _both(lambda m: m.tensor(y).repeat_interleave(2))
    _both(lambda m: m.tensor(y).repeat_interleave(m.tensor([1, 2]), dim=0))
    _both(lambda m: m.tensor(y).repeat_interleave(m.tensor([2]), dim=1))
    _both(lambda m: m.tensor(y).repeat_interleave(m.tensor(2), dim=-1))
    _both(lambda m: m.repeat_interleave(m.tensor(y), 2, dim=0, output_size=4))
    _both(lambda m: m.tensor(5.).repeat_interleave(3))
    _both(lambda m: m.zeros(0, 2).repeat_interleave(2, 0))
    _raises(lambda m: m.repeat_interleave(m.tensor([[2, 0, 1]])), RuntimeError)
    _raises(lambda m: m.repeat_interleave(m.tensor([2.])), NotImplementedError)
    _raises(lambda m: m.tensor(y).repeat_interleave(m.tensor([1, 2, 3]), dim=0), RuntimeError)
    _raises(lambda m: m.tensor(y).repeat_interleave(-1), RuntimeError)
    _raises(lambda m: m.tensor(y).repeat_interleave(m.tensor([1, -2]), dim=0), RuntimeError)
    _raises(lambda m: m.tensor(y).repeat_interleave(m.tensor([[1, 2]]), dim=0), RuntimeError)
    _raises(lambda m: m.tensor(y).repeat_interleave(2, dim=0, output_size=5), RuntimeError)
    _raises(lambda m: m.tensor(y).repeat_interleave(m.tensor([1, 2]), dim=0, output_size=2),
            RuntimeError)


@needs_torch
def test_tril_triu_indices():
    for row, col in [(3, 4), (4, 3), (1, 1), (0, 4), (3, 0), (5, 5)]:
        for off in (-10, -2, -1, 0, 1, 3, 10):
            _both(lambda m: m.tril_indices(row, col, off))
            _both(lambda m: m.triu_indices(row, col, off))
    _both(lambda m: m.tril_indices(3, 3, dtype=m.int32))
    _raises(lambda m: m.tril_indices(3, 4, dtype=m.float32), NotImplementedError)
    _raises(lambda m: m.triu_indices(3, 4, dtype=m.int16), NotImplementedError)
    _raises(lambda m: m.tril_indices(-1, 4), RuntimeError)
    _raises(lambda m: m.triu_indices(3, -1), RuntimeError)


# ---------------------------------------------------------------------------- diagonal family


@needs_torch
def test_diag_family_values():
    a = np.arange(24.).reshape(2, 3, 4)
    for k in (-3, -1, 0, 1, 2, 5):
        _both(lambda m: m.diag(m.arange(3), k))
        _both(lambda m: m.diag(m.tensor(a[0]), k))
        _both(lambda m: m.tensor(a[0]).t().diag(k))
        _both(lambda m: m.diagonal(m.tensor(a), k, 2, 0))
        _both(lambda m: m.diagonal(m.tensor(a), k, -1, 1))
        _both(lambda m: m.diag_embed(m.tensor(a[0]), k, 0, 2))
        _both(lambda m: m.diagflat(m.tensor(a[0]), k))
    _both(lambda m: m.diag(m.zeros(0)))
    _both(lambda m: m.diagflat(m.tensor(3.)))
    _both(lambda m: m.trace(m.arange(6).reshape(2, 3)))
    _both(lambda m: m.trace(m.arange(6, dtype=m.int8).reshape(3, 2)))
    _both(lambda m: m.trace(m.zeros(0, 3)))


@needs_torch
def test_diag_family_errors():
    _raises(lambda m: m.diag(m.zeros(2, 2, 2)), RuntimeError)
    _raises(lambda m: m.diag(m.tensor(1.)), RuntimeError)
    _raises(lambda m: m.diagonal(m.arange(3.)), IndexError)
    _raises(lambda m: m.diagonal(m.zeros(3, 4), 0, 0, 0), RuntimeError)
    _raises(lambda m: m.diagonal(m.zeros(3, 4), 0, 0, 2), IndexError)
    _raises(lambda m: m.diag_embed(m.tensor(1.)), IndexError)
    _raises(lambda m: m.trace(m.zeros(3)), RuntimeError)
    _raises(lambda m: m.trace(m.ones(2, 2, dtype=m.bool)), NotImplementedError)


@needs_torch
def test_diagonal_and_unfold_are_views():
    for m in (ember, torch):
        x = m.arange(12.).reshape(3, 4)
        d = x.diagonal(1)
        assert d.stride() == (5,) and d.storage_offset() == 1
        d.mul_(-1)  # written through the view
        assert _np(x)[0, 1] == -1 and _np(x)[1, 2] == -6
        assert x._version == d._version == 1
        dg = m.diag(x)  # a copy
        dg.add_(100)
        assert _np(x)[0, 0] == 0 and x._version == 1
        u = x.unfold(1, 2, 1)
        assert tuple(u.shape) == (3, 3, 2) and u.stride() == (4, 1, 1)
        u[0, 0, 0] = 7.0
        assert _np(x)[0, 0] == 7 and x._version == u._version == 2
    _both(lambda m: m.arange(8.).reshape(2, 4).unfold(1, 3, 2))
    _both(lambda m: m.arange(8.).reshape(2, 4).t().unfold(0, 2, 2))
    assert ember.arange(8.).reshape(2, 4).t().unfold(0, 2, 2).stride() == \
        torch.arange(8.).reshape(2, 4).t().unfold(0, 2, 2).stride()
    _both(lambda m: m.tensor(5.).unfold(0, 1, 1))
    _both(lambda m: m.zeros(3, 0).unfold(1, 0, 1))
    _raises(lambda m: m.tensor(5.).unfold(0, 2, 1), RuntimeError)
    _raises(lambda m: m.arange(5.).unfold(0, 6, 1), RuntimeError)
    _raises(lambda m: m.arange(5.).unfold(0, 2, 0), RuntimeError)
    _raises(lambda m: m.arange(5.).unfold(1, 2, 1), IndexError)


# ---------------------------------------------------------------------------- as_strided & storage


@needs_torch
def test_as_strided_shares_memory_and_checks_bounds():
    for m in (ember, torch):
        x = m.arange(6.)
        y = x.as_strided((2, 2), (1, 2), 1)
        assert _np(y).tolist() == [[1.0, 3.0], [2.0, 4.0]] and y.storage_offset() == 1
        y[1, 1] = -4.0
        assert _np(x)[4] == -4 and x._version == y._version == 1
        z = x[2:]
        assert _np(z.as_strided((2,), (1,))).tolist() == [2.0, 3.0]
        assert _np(z.as_strided((2,), (1,), 0)).tolist() == [0.0, 1.0]
        w = x.as_strided_((3,), (2,))
        assert w is x and tuple(x.shape) == (3,) and x.stride() == (2,)
    _raises(lambda m: m.arange(6.).as_strided((2, 2), (1, 2), 3), RuntimeError)
    _raises(lambda m: m.arange(6.).as_strided((2, 2), (-1, 2)), RuntimeError)
    _raises(lambda m: m.arange(6.).as_strided((2,), (1,), -1), RuntimeError)
    _raises(lambda m: m.arange(6.).as_strided((2, 2), (1,)), RuntimeError)
    _both(lambda m: m.empty_strided((2, 3), (1, 2)).fill_(2))
    for m in (ember, torch):
        e = m.empty_strided((2, 3), (1, 2))
        assert e.stride() == (1, 2) and e.untyped_storage().nbytes() == 24
    _raises(lambda m: m.empty_strided((2, 3), (1,)), RuntimeError)


@needs_torch
def test_data_ptr_storage_offset_and_untyped_storage():
    for m in (ember, torch):
        x = m.arange(12.).reshape(3, 4)
        v = x[1:, 2:]
        s = x.untyped_storage()
        assert v.storage_offset() == 6 and v.data_ptr() == x.data_ptr() + 6 * 4
        assert v.untyped_storage().data_ptr() == s.data_ptr() == x.data_ptr()
        assert s.nbytes() == s.size() == len(s) == 48 and s.element_size() == 1
        assert s.device == m.device("cpu") and s[7] == 63
        assert s.tolist()[4:8] == [0, 0, 128, 63]
        assert x.t().data_ptr() == x.data_ptr() and x.clone().data_ptr() != x.data_ptr()
        assert m.zeros(0).data_ptr() == 0 and m.zeros(2, 0).data_ptr() == 0
        assert m.arange(5.)[2:2].data_ptr() == 0
        assert x.is_set_to(x[:]) and not x.is_set_to(v) and not x.is_set_to(x.view(12))
        assert m.is_storage(s) and not m.is_storage(x)
        assert x.storage_type() is m.FloatStorage and m.arange(3).storage_type() is m.LongStorage
        e = m.zeros(2, dtype=m.int64).new_empty_strided((2, 3), (1, 2))
        assert e.stride() == (1, 2) and e.dtype == m.int64
        assert m.fill_(m.zeros(2), 3.0).tolist() == [3.0, 3.0]


@needs_torch
def test_typed_storage_warns_once_and_legacy_byte_storage():
    from ember import _storage

    _storage._warned[0] = False
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        s = ember.arange(6.).storage()
        ember.arange(2.).storage()
    assert [str(x.message)[:28] for x in w] == ["TypedStorage is deprecated. "]
    t = torch.arange(6.).storage()
    assert s.dtype is ember.float32 and t.dtype is torch.float32
    for st in (s, t):
        assert st.size() == len(st) == 6 and st.nbytes() == 24 and st.element_size() == 4
        assert st[2] == 2.0 and st.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    img = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    for m in (ember, torch):  # the census's call
        out = m.ByteTensor(m.ByteStorage.from_buffer(img.tobytes())).view(2, 4, 3).numpy()
        np.testing.assert_array_equal(out, img)
        buf = bytearray(b"\x01\x02")
        bs = m.ByteStorage.from_buffer(buf)
        buf[0] = 9  # a copy of the buffer
        assert bs[0] == 1 and len(bs) == 2 and bs.dtype == m.uint8
        fs = m.FloatStorage.from_buffer(b"\x00\x00\x80\x3f", "little")
        assert fs[0] == 1.0
        with pytest.raises(RuntimeError):
            m.FloatStorage.from_buffer(b"\x00\x00\x80\x3f")
        with pytest.raises(RuntimeError):
            m.FloatTensor(bs)


@needs_torch
def test_set_shares_memory_and_bumps_version():
    for m in (ember, torch):
        p = m.randn(3, 4).t()
        q = p.contiguous()
        assert p.set_(q) is p  # the census's param.set_(param.contiguous())
        assert p.is_contiguous() and p.data_ptr() == q.data_ptr()
        assert p._version == 1 and q._version == 0
        q.fill_(2.0)
        assert float(p.sum()) == 24.0
        p.set_()
        assert tuple(p.shape) == (0,) and p.untyped_storage().nbytes() == 0
        base = m.arange(6.)
        r = m.zeros(2)
        r.set_(base.untyped_storage(), 2, (2, 2), (1, 1))
        assert _np(r).tolist() == [[2.0, 3.0], [3.0, 4.0]] and r.storage_offset() == 2
        r.set_(base.untyped_storage())
        assert tuple(r.shape) == (6,)
        r.set_(base, 1, (2,), (3,))
        assert _np(r).tolist() == [1.0, 4.0]
        with m.no_grad():
            g = m.zeros(2, requires_grad=True)
            g.set_(m.ones(3))
        assert g.requires_grad and tuple(g.shape) == (3,)
    _raises(lambda m: m.zeros(2).set_(m.zeros(2, dtype=m.int64)), RuntimeError)
    _raises(lambda m: m.zeros(2, requires_grad=True).set_(m.zeros(3)), RuntimeError)
    with pytest.raises(RuntimeError):  # PyTorch grows the storage; ember cannot grow shared memory
        ember.zeros(2).set_(ember.arange(6.).untyped_storage(), 5, (3,), (1,))


@needs_torch
def test_resize_shrinks_in_place_and_grows_keeping_bytes():
    for m in (ember, torch):
        t = m.arange(6.)
        ptr = t.data_ptr()
        assert t.resize_(2, 2) is t and t.data_ptr() == ptr and t._version == 1
        assert _np(t).tolist() == [[0.0, 1.0], [2.0, 3.0]]
        t = m.arange(6.)
        t.resize_(10)  # (before any .numpy(): PyTorch's storage shared with NumPy is fixed)
        assert tuple(t.shape) == (10,) and t.tolist()[:6] == [0, 1, 2, 3, 4, 5]
        assert t.untyped_storage().nbytes() == 40 and t._version == 1
        s = m.arange(6.)[2:]
        s.resize_(2)
        assert _np(s).tolist() == [2.0, 3.0] and s.storage_offset() == 2
        assert m.randn(2, 3).t().resize_(3, 2).stride() == (1, 3)
        assert m.zeros(2, 3, 4, 5).resize_(2, 3, 4, 5, memory_format=m.channels_last).stride() \
            == (60, 1, 15, 3)
        r = m.arange(4.)
        r.resize_as_(m.zeros(2, 2))
        assert _np(r).tolist() == [[0.0, 1.0], [2.0, 3.0]]
        cl = m.zeros(2, 2, 2, 2).contiguous(memory_format=m.channels_last)
        assert m.zeros(3).resize_as_(cl).stride() == (8, 4, 2, 1)
        assert m.zeros(3).resize_as_(cl, memory_format=m.preserve_format).stride() == \
            (8, 1, 4, 2)
    _raises(lambda m: m.randn(2, requires_grad=True).resize_(3), RuntimeError)
    _raises(lambda m: (m.randn(2, requires_grad=True) * 2).resize_(3), RuntimeError)
    _raises(lambda m: m.zeros(2).resize_(2, memory_format=m.preserve_format), RuntimeError)
    _raises(lambda m: m.zeros(2).resize_(2, 3, memory_format=m.channels_last), RuntimeError)
    _raises(lambda m: m.zeros(2).resize_(), TypeError)


@needs_torch
def test_legacy_new():
    for m in (ember, torch):
        x = m.tensor([1.0, 2.0])
        assert tuple(x.new(2, 3).shape) == (2, 3) and x.new(2, 3).dtype == m.float32
        assert tuple(x.new().shape) == (0,) and tuple(x.new(m.Size([4])).shape) == (4,)
        assert tuple(x.new((2, 3)).shape) == (2,)  # a tuple is data
        assert x.new([1, 2]).dtype == m.float32
        assert m.tensor([1, 2]).new([1.5]).dtype == m.int64
        y = x.new(x)
        assert y.data_ptr() == x.data_ptr()
        assert not m.tensor([1.0], requires_grad=True).new(2).requires_grad
        assert tuple(x.new(2, device="cpu").shape) == (2,)
        assert x.new(m.arange(3.).untyped_storage()).tolist() == [0.0, 1.0, 2.0]
        with pytest.raises(TypeError):
            x.new(m.tensor([1, 2]))
        with pytest.raises(TypeError):
            x.new(3.5)


# ---------------------------------------------------------------------------- in-place geometry


@needs_torch
def test_inplace_view_changes():
    for m in (ember, torch):
        x = m.randn(2, 3)
        v = x.view(6)
        assert x.transpose_(0, 1) is x and tuple(x.shape) == (3, 2) and x.stride() == (1, 3)
        assert x._version == v._version == 1
        y = m.randn(1, 3)
        assert tuple(y.squeeze_().shape) == (3,) and tuple(y.unsqueeze_(1).shape) == (3, 1)
        assert tuple(y.squeeze_(1).shape) == (3,) and y._version == 3
        z = m.randn(2, 1, 1)
        assert tuple(z.squeeze_((1, 2)).shape) == (2,)
        w = m.randn(2, 3)
        assert tuple(w.t_().shape) == (3, 2) and tuple(w.swapdims_(0, 1).shape) == (2, 3)
        assert tuple(w.swapaxes_(0, 1).shape) == (3, 2)
        s = m.tensor(3.)
        assert tuple(s.t_().shape) == () and tuple(s.unsqueeze_(0).shape) == (1,)
        a = m.randn(2, 3, requires_grad=True)
        b = a * 1
        b.t_()
        assert b.grad_fn is not None
        b.backward(m.ones(3, 2))
        assert _np(a.grad).tolist() == [[1.0] * 3] * 2
    _raises(lambda m: m.randn(2, 3, requires_grad=True).transpose_(0, 1), RuntimeError)
    _raises(lambda m: m.randn(2, 3, 4).t_(), RuntimeError)
    _raises(lambda m: m.zeros(3).transpose_(0, 1), IndexError)


# ---------------------------------------------------------------------------- index updates


@needs_torch
def test_index_updates_values_and_inplace_returns_self():
    x = np.arange(12., dtype=np.float32).reshape(3, 4)
    i2 = [0, 2]
    _both(lambda m: m.tensor(x).index_add(0, m.tensor([0, 0]), m.ones(2, 4), alpha=2))
    _both(lambda m: m.zeros(3, dtype=m.int64).index_add(0, m.tensor([0]), m.ones(1, dtype=m.int64),
                                                       alpha=1.5))
    _both(lambda m: m.tensor(1.).index_add(0, m.tensor([0]), m.tensor(2.)))
    _both(lambda m: m.tensor(x).index_copy(1, m.tensor([3, 0]), m.ones(3, 2)))
    _both(lambda m: m.tensor(x).index_fill(1, m.tensor(i2), -1))
    _both(lambda m: m.tensor(x).index_fill(1, m.tensor(2), m.tensor(1.5)))
    _both(lambda m: m.zeros(3, dtype=m.int64).index_fill(0, m.tensor([0]), 1.7))
    _both(lambda m: m.tensor(x).index_put((m.tensor([0, 0]), m.tensor([1, 1])), m.tensor(1.),
                                          accumulate=True))
    _both(lambda m: m.tensor(x).index_put([m.tensor([0])], m.tensor([1., 2., 3., 4.])))
    _both(lambda m: m.tensor(x).index_put((m.tensor(x) > 5,), m.tensor([5.])))
    _both(lambda m: m.zeros(2, 3).masked_scatter(m.tensor([True, False, True]), m.arange(10.)))
    _both(lambda m: m.zeros(3).masked_scatter(m.tensor([[True, False, True],
                                                         [False, True, True]]), m.arange(10.)))
    _both(lambda m: m.zeros(2, 3).put(m.tensor([-1, 0]), m.tensor([1., 2.])))
    _both(lambda m: m.zeros(2, 3).put(m.tensor([[1], [1]]), m.tensor([1., 2.]), accumulate=True))
    for m in (ember, torch):
        t = m.tensor(x)
        for call in (lambda: t.index_add_(0, m.tensor([1]), m.ones(1, 4)),
                     lambda: t.index_copy_(0, m.tensor([2]), m.zeros(1, 4)),
                     lambda: t.index_fill_(1, m.tensor([0]), 3.0),
                     lambda: t.index_put_((m.tensor([0]),), m.tensor(9.)),
                     lambda: t.masked_scatter_(t > 10, m.arange(12.)),
                     lambda: t.put_(m.tensor([5]), m.tensor([-5.])),
                     lambda: t.scatter_reduce_(0, m.tensor([[0, 1, 2, 0]]), m.ones(1, 4),
                                               "amax")):
            v = t._version
            assert call() is t and t._version == v + 1
    _both(lambda m: _chain(m, x))
    _both(lambda m: m.index_put_(m.zeros(3), (m.tensor([1]),), m.tensor(2.)))


def _chain(m, x):
    t = m.tensor(x)
    t.index_add_(0, m.tensor([1]), m.ones(1, 4))
    t.index_copy_(0, m.tensor([2]), m.zeros(1, 4))
    t.index_fill_(1, m.tensor([0]), 3.0)
    t.masked_scatter_(t > 10, m.arange(12.))
    return t.put_(m.tensor([5]), m.tensor([-5.]))


@needs_torch
def test_index_update_errors():
    z = lambda m: m.zeros(3, 4)  # noqa: E731
    _raises(lambda m: z(m).index_add(0, m.tensor([[0]]), m.ones(1, 4)), IndexError)
    _raises(lambda m: z(m).index_add(0, m.tensor([0.]), m.ones(1, 4)), RuntimeError)
    _raises(lambda m: z(m).index_add(0, m.tensor([0, 1]), m.ones(1, 4)), RuntimeError)
    _raises(lambda m: z(m).index_add(0, m.tensor([0]), m.ones(1, 5)), RuntimeError)
    _raises(lambda m: z(m).index_add(0, m.tensor([5]), m.ones(1, 4)), RuntimeError)
    _raises(lambda m: z(m).index_add(0, m.tensor([-1]), m.ones(1, 4)), RuntimeError)
    _raises(lambda m: z(m).index_add(0, m.tensor([0]), m.ones(1, 4, dtype=m.float64)),
            RuntimeError)
    _raises(lambda m: z(m).index_copy(0, m.tensor([1]), m.ones(2, 4)), (IndexError,
                                                                          RuntimeError))
    _raises(lambda m: z(m).index_fill(1, m.tensor([0, 2]), m.tensor([2.])), RuntimeError)
    _raises(lambda m: z(m).index_fill(1, m.tensor([[0, 2]]), 1), RuntimeError)
    _raises(lambda m: z(m).index_put((m.tensor([0]),), m.tensor([1, 2, 3, 4])), RuntimeError)
    _raises(lambda m: z(m).index_put((m.tensor([5]),), m.tensor(1.)), IndexError)
    _raises(lambda m: z(m).index_put((None, m.tensor([1])), m.tensor(1.)), TypeError)
    _raises(lambda m: z(m).index_put((m.tensor([0.]),), m.tensor(1.)), IndexError)
    _raises(lambda m: z(m).index_put(m.tensor([0]), m.tensor(1.)), TypeError)
    _raises(lambda m: z(m).index_put((m.tensor([0]),) * 3, m.tensor(1.)), IndexError)
    _raises(lambda m: z(m).masked_scatter(m.tensor([True] * 4), m.arange(3.)), RuntimeError)
    _raises(lambda m: z(m).masked_scatter(m.tensor([1, 0, 1, 0]), m.arange(9.)), RuntimeError)
    _raises(lambda m: z(m).masked_scatter(m.tensor([True] * 4), m.arange(9.).double()),
            RuntimeError)
    _raises(lambda m: z(m).put(m.tensor([12]), m.tensor([1.])), IndexError)
    _raises(lambda m: z(m).put(m.tensor([-13]), m.tensor([1.])), IndexError)
    _raises(lambda m: z(m).put(m.tensor([1, 2]), m.tensor([1., 2., 3.])), IndexError)
    _raises(lambda m: z(m).put(m.tensor([1]), m.tensor([1])), RuntimeError)
    _raises(lambda m: z(m).put(m.tensor([1.]), m.tensor([1.])), RuntimeError)
    _raises(lambda m: m.zeros(3, requires_grad=True).index_add_(0, m.tensor([0]), m.ones(1)),
            RuntimeError)


@needs_torch
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_forward(reduce, include_self):
    rng = np.random.default_rng(3)
    x = rng.integers(-5, 6, (3, 4))
    src = rng.integers(-5, 6, (3, 5))  # larger than the index: only its leading part is used
    idx = rng.integers(0, 3, (2, 4))
    for dt in ("float64", "int64", "int32"):
        _both(lambda m: m.tensor(x, dtype=getattr(m, dt)).scatter_reduce(
            0, m.tensor(idx), m.tensor(src, dtype=getattr(m, dt)), reduce,
            include_self=include_self))
    _both(lambda m: m.scatter_reduce(m.tensor(x[0] * 1.0), 0, m.tensor([0, 0, 3]),
                                     m.tensor([1.0, float("nan"), 2.0], dtype=m.float64),
                                     reduce,
                                     include_self=include_self))


@needs_torch
def test_scatter_reduce_aliases_and_errors():
    _both(lambda m: m.zeros(3).scatter_reduce(0, m.tensor([0, 0, 2]), m.arange(4.), "max"))
    _both(lambda m: m.zeros(3).scatter_reduce(0, m.tensor([0, 0, 2]), m.arange(4.), "min"))
    _raises(lambda m: m.zeros(3).scatter_reduce(0, m.tensor([0]), m.arange(4.), "add"),
            RuntimeError)
    _raises(lambda m: m.zeros(3).scatter_reduce(0, m.tensor([0]), m.arange(4.).double(), "sum"),
            RuntimeError)
    _raises(lambda m: m.zeros(3).scatter_reduce(0, m.tensor([0]), 1.0, "sum"), TypeError)


# ---------------------------------------------------------------------------- bitwise


_INT_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64"]


@needs_torch
@pytest.mark.parametrize("da", _INT_DTYPES)
@pytest.mark.parametrize("db", _INT_DTYPES)
def test_bitwise_promotion_and_values(da, db):
    rng = np.random.default_rng(0)
    a = rng.integers(0, 2 if da == "bool" else 100, (3, 4))
    b = rng.integers(0, 2 if db == "bool" else 100, (4,))
    for op in ("bitwise_and", "bitwise_or", "bitwise_xor"):
        _both(lambda m: getattr(m, op)(m.tensor(a).to(getattr(m, da)),
                                       m.tensor(b).to(getattr(m, db))))
    _both(lambda m: m.tensor(a).to(getattr(m, da)) & m.tensor(b).to(getattr(m, db)))
    _both(lambda m: m.tensor(b[0]).to(getattr(m, db)) ^ m.tensor(a).to(getattr(m, da)))
    if "bool" not in (da, db):
        _both(lambda m: m.tensor(a).to(getattr(m, da)) << m.tensor(b % 9).to(getattr(m, db)))
        _both(lambda m: m.tensor(a).to(getattr(m, da)) >> m.tensor(b % 9).to(getattr(m, db)))


@needs_torch
def test_bitwise_scalars_shifts_inplace_and_errors():
    i32 = np.array([1, 2, 12, -7], dtype=np.int32)
    for s in (3, True, -1):
        _both(lambda m: m.tensor(i32) & s)
        _both(lambda m: s | m.tensor(i32))
        _both(lambda m: m.tensor([True, False]) ^ s)
    _both(lambda m: m.tensor(i32) << 2)
    _both(lambda m: 2 << m.tensor(i32).abs())
    _both(lambda m: 64 >> m.tensor([1, 3]))
    _both(lambda m: m.tensor([True, False]) << 1)
    _both(lambda m: m.bitwise_left_shift(m.tensor([3, 5, 7]), 70))
    _both(lambda m: m.bitwise_right_shift(m.tensor([-3, 5, -7]), 70))
    _both(lambda m: m.bitwise_left_shift(m.tensor([3, 5, 7]), -1))
    _both(lambda m: m.bitwise_right_shift(m.tensor([-8, 8]), m.tensor([-1, 1])))
    _both(lambda m: m.tensor([200], dtype=m.uint8) << 1)
    _both(lambda m: m.tensor([100], dtype=m.int8) << 1)
    _both(lambda m: m.tensor([-100], dtype=m.int8) >> 10)
    _both(lambda m: m.tensor([200], dtype=m.uint8) >> 9)
    for m in (ember, torch):
        x = m.tensor(i32)
        assert x.__iand__(6) is x and x.dtype == m.int32
        x <<= 1
        x >>= 1
        x |= m.tensor(1)
        x ^= m.tensor([1, 1, 1, 1])
        assert x.bitwise_and_(m.tensor(3, dtype=m.int64)) is x and x.dtype == m.int32
        with pytest.raises(RuntimeError):
            m.tensor([True]).bitwise_or_(2)
        with pytest.raises(RuntimeError):
            m.tensor(i32).bitwise_xor_(1.5)
    _both(lambda m: _ichain(m, i32))
    f = np.array([1.5, 2.0, 0.5, 1.0])
    _raises(lambda m: m.tensor(f) & 1, NotImplementedError)
    _raises(lambda m: m.tensor(i32) & 3.5, NotImplementedError)
    _raises(lambda m: m.tensor(f) << 1, NotImplementedError)
    _raises(lambda m: m.bitwise_or(m.tensor(i32), m.tensor(f)), NotImplementedError)
    _raises(lambda m: m.bitwise_and(3, 5), TypeError)
    _raises(lambda m: m.bitwise_and(m.tensor([1, 2]), m.tensor([1, 2, 3])), RuntimeError)


def _ichain(m, i32):
    x = m.tensor(i32)
    x &= 6
    x <<= 2
    x |= 1
    x ^= 3
    x >>= 1
    return x


# ---------------------------------------------------------------------------- comparisons, clamps


@needs_torch
def test_inplace_comparisons():
    for op in ("eq_", "ne_", "lt_", "le_", "gt_", "ge_", "greater_", "greater_equal_", "less_",
               "less_equal_", "not_equal_", "logical_and_", "logical_or_", "logical_xor_"):
        if not op.startswith("logical"):
            _both(lambda m: getattr(m.tensor([0.2, 0.7, 0.5]), op)(0.5))
        _both(lambda m: getattr(m.tensor([1, 5, 3]), op)(m.tensor([3, 3, 3])))
        _both(lambda m: getattr(m.tensor([True, False]), op)(m.tensor([True, True])))
    _both(lambda m: m.tensor([0.0, 2.0]).logical_not_())
    for m in (ember, torch):
        x = m.tensor([0.2, 0.7])
        assert x.gt_(0.5) is x and x._version == 1 and x.dtype == m.float32
        with pytest.raises(RuntimeError):
            m.tensor([1.0, 2.0]).lt_(m.tensor([[1.0, 3.0], [0.0, 0.0]]))
        with pytest.raises(RuntimeError):
            m.randn(3, requires_grad=True).gt_(0)
        a = m.randn(3, requires_grad=True)
        b = a * 2
        b.ge_(0)
        assert b.requires_grad
        b.sum().backward()
        assert _np(a.grad).tolist() == [0.0, 0.0, 0.0]


@needs_torch
def test_clamp_min_max():
    x = np.array([1, 5, 3])
    _both(lambda m: m.clamp_min(m.tensor(x), 2.5))
    _both(lambda m: m.clamp_max(m.tensor(x), 2))
    _both(lambda m: m.tensor(x).clamp_min(m.tensor([2, 2, 4])))
    _both(lambda m: m.tensor(x * 1.0).clamp_max_(m.tensor(2.5)))
    _both(lambda m: m.clamp_min_(m.tensor(x), 4))
    for m in (ember, torch):
        t = m.tensor([1.0, -1.0])
        assert t.clamp_min_(0.0) is t and t._version == 1
    _raises(lambda m: m.tensor(x).clamp_min_(2.5), RuntimeError)
    _raises(lambda m: m.clamp_min(m.tensor(x), None), TypeError)


# ---------------------------------------------------------------------------- conversions, fill, range


@needs_torch
def test_dtype_conversions():
    x = np.array([[1.7, -2.2, 300.0]])
    for name in ("byte", "char", "short", "int", "long", "half", "bfloat16", "float", "double",
                 "bool"):
        _both(lambda m: getattr(m.tensor(x), name)().float() if name == "bfloat16" else
              getattr(m.tensor(x), name)())
    _both(lambda m: m.tensor([3, -1]).byte())
    _raises(lambda m: m.randn(3).byte(m.channels_last), TypeError)
    for m in (ember, torch):
        t = m.randn(2, 3, 4, 5)
        assert t.float(memory_format=m.channels_last).stride() == (60, 1, 15, 3)
        assert t.double(memory_format=m.preserve_format).stride() == (60, 20, 5, 1)
        assert t.float() is t


@needs_torch
def test_fill_and_range():
    _both(lambda m: m.fill(m.zeros(2, dtype=m.int64), 1.7))
    _both(lambda m: m.fill(m.zeros(2, 3), m.tensor(2.5)))
    _raises(lambda m: m.fill(m.zeros(2), m.tensor([1., 2.])), RuntimeError)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        _both(lambda m: m.range(0, 4))
        _both(lambda m: m.range(1, 2, 0.3))
        _both(lambda m: m.range(0, 4, dtype=m.int64))
        _both(lambda m: m.range(4, 0, -1))
        _both(lambda m: m.range(0.0, 1.0, 0.5, requires_grad=True).detach())
    mine = [x for x in w if "ember" in str(x.filename) or "test_tensor_names" in x.filename]
    assert mine and all(x.category is UserWarning and "torch.range is deprecated" in
                        str(x.message) for x in mine)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _raises(lambda m: m.range(4, 0), RuntimeError)
        _raises(lambda m: m.range(0, 4, 0), RuntimeError)
        _raises(lambda m: m.range(5), TypeError)


@needs_torch
def test_assert_and_reinforce():
    for m in (ember, torch):
        m._assert(True, "fine")
        m._assert(m.tensor(True), "fine")
        with pytest.raises(AssertionError, match="boom"):
            m._assert(False, "boom")
        with pytest.raises(RuntimeError):
            m._assert(m.tensor([1, 1]), "boom")
        with pytest.raises(RuntimeError, match="reinforce\\(\\) was removed"):
            m.randn(2).reinforce(1.0)


# ---------------------------------------------------------------------------- memory formats


@needs_torch
def test_memory_format_objects():
    for name in ("preserve_format", "contiguous_format", "channels_last", "channels_last_3d"):
        e, t = getattr(ember, name), getattr(torch, name)
        assert isinstance(e, ember.memory_format) and repr(e) == repr(t).replace("torch",
                                                                                 "ember")


def _geometries(m):
    """Tensors of several layouts (the same values in both libraries)."""
    x = m.arange(120.).reshape(2, 3, 4, 5)
    return {
        "nchw": x,
        "nhwc": x.contiguous(memory_format=m.channels_last),
        "permuted": x.permute(0, 2, 3, 1),
        "transposed": m.arange(12.).reshape(3, 4).t(),
        "strided": m.arange(24.).reshape(4, 6)[:, ::2],
        "cl_sliced": m.arange(144.).reshape(2, 4, 6, 3).permute(0, 3, 1, 2)[..., ::2],
        "n111": m.arange(3.).reshape(1, 3, 1, 1),
        "expanded": m.arange(6.).reshape(2, 3, 1, 1).expand(2, 3, 4, 5),
        "ncdhw": m.arange(240.).reshape(2, 3, 2, 4, 5),
    }


@needs_torch
@pytest.mark.parametrize("key", list(_geometries(ember)))
def test_memory_formats_follow_pytorchs_strides(key):
    e, t = _geometries(ember)[key], _geometries(torch)[key]
    assert e.stride() == t.stride()
    fmts = ["preserve_format", "contiguous_format", "channels_last", "channels_last_3d"]
    for f in fmts:
        ef, tf = getattr(ember, f), getattr(torch, f)
        assert e.is_contiguous(memory_format=ef) == t.is_contiguous(memory_format=tf), f
        for call in (lambda m, x, fm: x.clone(memory_format=fm),
                     lambda m, x, fm: m.empty_like(x, memory_format=fm),
                     lambda m, x, fm: m.zeros_like(x, memory_format=fm),
                     lambda m, x, fm: m.ones_like(x, memory_format=fm),
                     lambda m, x, fm: m.full_like(x, 2.0, memory_format=fm),
                     lambda m, x, fm: m.rand_like(x, memory_format=fm),
                     lambda m, x, fm: x.contiguous(memory_format=fm),
                     lambda m, x, fm: x.to(memory_format=fm),
                     lambda m, x, fm: x.to(m.float64, memory_format=fm)):
            try:
                want = call(torch, t, tf)
            except RuntimeError:
                with pytest.raises(RuntimeError):
                    call(ember, e, ef)
                continue
            got = call(ember, e, ef)
            assert got.stride() == want.stride(), (f, got.stride(), want.stride())
            assert (got is e) == (want is t)
    assert e.clone().stride() == t.clone().stride()
    np.testing.assert_array_equal(_np(e.contiguous(memory_format=ember.channels_last))
                                  if e.ndim == 4 else _np(e), _np(t.contiguous(
                                      memory_format=torch.channels_last)) if t.ndim == 4
                                  else _np(t))


@needs_torch
def test_ops_work_on_channels_last_inputs():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 6, 6))
    w = rng.standard_normal((4, 3, 3, 3))
    lw = rng.standard_normal((5, 3))
    out = {}
    for m in (ember, torch):
        F = m.nn.functional
        xc = m.tensor(x).contiguous(memory_format=m.channels_last).requires_grad_(True)
        wc = m.tensor(w).contiguous(memory_format=m.channels_last).requires_grad_(True)
        y = F.conv2d(xc, wc, padding=1)
        y = F.batch_norm(y, None, None, training=True)
        y = F.max_pool2d(F.relu(y + 1), 2)
        y = F.avg_pool2d(y, 1) * y.clone().sum()
        z = F.linear(xc.permute(0, 2, 3, 1), m.tensor(lw))
        loss = y.sum() + z.reshape(2, -1).sum() + xc.mean((2, 3)).sum()
        loss.backward()
        out[m] = (_np(loss), _np(xc.grad), _np(wc.grad))
        with pytest.raises(RuntimeError):
            xc.detach().view(2, -1)
        assert tuple(xc.detach().reshape(2, 3, 36).shape) == (2, 3, 36)
    for a, b in zip(out[ember], out[torch]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


@needs_torch
def test_memory_format_errors():
    _raises(lambda m: m.randn(2, 3, 4).contiguous(memory_format=m.channels_last), RuntimeError)
    _raises(lambda m: m.randn(2, 3, 4).to(memory_format=m.channels_last), RuntimeError)
    _raises(lambda m: m.randn(2, 3, 4, 5).float(memory_format=m.channels_last_3d),
            RuntimeError)
    _raises(lambda m: m.randn(3, 4).t().contiguous(memory_format=m.preserve_format),
            RuntimeError)
    _raises(lambda m: m.randn(2, 3).clone(memory_format=m.channels_last), RuntimeError)
    _raises(lambda m: m.zeros_like(m.randn(2, 3), memory_format=m.channels_last), RuntimeError)
    _raises(lambda m: m.randn(2, 3, 4, 5).contiguous(m.channels_last), TypeError)
    for m in (ember, torch):
        assert m.randn(2, 3, 4).is_contiguous(memory_format=m.channels_last) is False


@pytest.mark.skipif(not ember.cuda.is_available(), reason="no CUDA device or stand-in")
def test_non_differentiable_names_on_the_device():
    """The names the op table does not run (no gradient) on ``device='cuda'`` (the strict
    stand-in in CI: an op that reached for NumPy would fail), equal to the CPU's."""
    def run(dev):
        x = ember.arange(24, device=dev).reshape(2, 3, 4)
        f = ember.arange(120., device=dev).reshape(2, 3, 4, 5)
        cl = f.contiguous(memory_format=ember.channels_last)
        t = ember.arange(6., device=dev)
        t.resize_(2, 2)
        t.resize_(9)
        u = ember.zeros(2, device=dev)
        u.set_(f.untyped_storage(), 3, (2, 2), (1, 5))
        w = f.clone()
        w.transpose_(1, 2).unsqueeze_(0)
        g = ember.zeros(3, 4, device=dev)
        g.gt_(ember.ones(4, device=dev))
        return [x & 5, x | ember.tensor(3, device=dev), x ^ x.flip(0), x << 2, (-x) >> 3,
                ember.bitwise_left_shift(x, 70), ember.tril_indices(3, 4, 1, device=dev),
                ember.triu_indices(4, 3, -1, device=dev), ember.repeat_interleave(
                    ember.tensor([1, 0, 2], device=dev)), ember.combinations(x[0, 0], 2),
                cl, f.to(memory_format=ember.channels_last), ember.zeros_like(cl),
                t[:6], u, w, g, x.byte(), x.short(), x.char(), f.as_strided((3, 2), (7, 1), 4),
                ember.range(0, 3, device=dev), ember.fill(x, 7),
                x.scatter_reduce(0, ember.zeros(1, 3, 4, dtype=ember.int64, device=dev), x[:1],
                                 "amax"),
                ember.empty_strided((2, 3), (1, 2), device=dev).fill_(1)]
    cpu, dev = run("cpu"), run("cuda")
    for a, b in zip(cpu, dev):
        assert b.device.type == "cuda" and b.stride() == a.stride() and a.dtype == b.dtype
        np.testing.assert_array_equal(_np(a), _np(b))
    d = ember.arange(6., device="cuda")
    assert d[2:].data_ptr() == d.data_ptr() + 8 and d[2:].storage_offset() == 2
    assert d.untyped_storage().nbytes() == 24 and d.untyped_storage().device.type == "cuda"


@pytest.mark.parametrize("m", LIBS)
def test_the_census_calls_run(m):
    """The real calls of the census of PyTorch programs (one per name), as written there."""
    torch_ = m
    yv, xv = torch_.meshgrid([torch_.arange(3), torch_.arange(4)], indexing="ij")
    assert tuple(yv.shape) == (3, 4) and _np(xv)[0].tolist() == [0, 1, 2, 3]
    assert -torch_.finfo(torch_.randn(2).dtype).max < -3e38
    cov_z = torch_.randn(4, 4)
    assert tuple(torch_.diag(cov_z).shape) == (4,)
    emb = torch_.randn(2, 3)
    assert tuple(torch_.repeat_interleave(emb, 5, dim=0).shape) == (10, 3)
    assert tuple(emb.reshape(3, -1).repeat_interleave(2, -1).shape) == (3, 4)
    param = torch_.randn(3, 4).t()
    state = torch_.zeros_like(param, memory_format=torch_.preserve_format)
    assert state.stride() == param.stride()
    image = torch_.randn(2, 3, 4, 5)
    image = image.to(device=torch_.device("cpu"), dtype=torch_.float32,
                     memory_format=torch_.channels_last)
    assert image.is_contiguous(memory_format=torch_.channels_last)
    assert not image.is_contiguous(memory_format=torch_.contiguous_format)
    log_var = torch_.randn(3, 3)
    cov = torch_.mean(torch_.diagonal((2. * log_var).exp(), dim1=0), dim=0)
    assert tuple(cov.shape) == ()
    assert _np(torch_.fill(torch_.zeros(4), 1).long()).tolist() == [1, 1, 1, 1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _np(torch_.range(0, 5 - 1).long()).tolist() == [0, 1, 2, 3, 4]
    kv = torch_.randn(1, 2, 8, 8)
    out = kv.unfold(2, 4, 2).unfold(3, 4, 2).reshape(1, 2, 9, 16)
    assert tuple(out.shape) == (1, 2, 9, 16)
    power_two = 2 ** torch_.arange(3)
    codes = (torch_.arange(8)[:, None].bitwise_and(power_two) != 0).byte().bool()
    assert _np(codes)[5].tolist() == [True, False, True]
    out_flat = torch_.zeros(4, 3)
    expert_out = torch_.randn(2, 3, requires_grad=True)
    out_flat.index_add_(0, torch_.tensor([1, 3]), expert_out * torch_.rand(2).unsqueeze(-1))
    out_flat.sum().backward()
    assert tuple(expert_out.grad.shape) == (2, 3)
    one_hot = torch_.zeros(2, 3)
    assert tuple(one_hot.resize_(4 * 2, 5).zero_().shape) == (8, 5)
    kernel = torch_.randn(3, 3)
    assert abs(float(kernel.sum() - kernel.diag().sum()) - float(kernel.sum() - kernel.trace())
               ) < 1e-5
    gt_masks = torch_.rand(4)
    assert _np(gt_masks.gt_(0.5)).dtype == np.float32
    features = torch_.zeros(4, 2)
    features.index_copy_(0, torch_.tensor([2, 0]), torch_.cat([torch_.ones(1, 2),
                                                               torch_.ones(1, 2) * 2]))
    assert _np(features)[:, 0].tolist() == [2.0, 0.0, 1.0, 0.0]
    reachable = torch_.zeros(2, 3, dtype=torch_.int64)
    reachable[:, 0] = 1
    reachable.scatter_add_(1, torch_.tensor([[1, 1], [2, 0]]), reachable.clone()).clamp_max_(1)
    assert _np(reachable).max() == 1
    assert float(torch_.tensor([0.0, 2.0]).clamp_min(1e-6).log()[0]) < -13
    assert int(image.data_ptr()) > 0
    true_dist = torch_.ones(3, 2)
    true_dist.index_fill_(0, torch_.tensor([[1]]).squeeze(), 0.0)
    assert _np(true_dist)[1].tolist() == [0.0, 0.0]
    x = torch_.randn(2, 3)
    assert tuple(x.new(x.shape).shape) == (2, 3)
    with pytest.raises(RuntimeError):
        x.reinforce(1.0)
    p = torch_.randn(3, 4).t()
    with torch_.no_grad():
        p.set_(p.contiguous())
    assert p.is_contiguous()
    y = torch_.randn(2, 3, 4, 5)
    assert tuple(y.transpose_(1, 2).transpose_(2, 3).contiguous().shape) == (2, 4, 5, 3)
    assert torch_.pi > 3.14 and m.inf > 1e308 and m._assert(True, "") is None
    img = np.arange(12, dtype=np.uint8)
    seg = torch_.ByteTensor(torch_.ByteStorage.from_buffer(img.tobytes())).view(2, 2, 3).numpy()
    assert seg.shape == (2, 2, 3)
    assert tuple(torch_.cartesian_prod(torch_.arange(2), torch_.arange(3)).shape) == (6, 2)
