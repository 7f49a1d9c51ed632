"""``ember.testing`` against ``torch.testing``: ``assert_close`` passes and fails on the same
inputs with messages of the same text (``torch.`` read as ``ember.``); ``make_tensor`` draws
from the same ranges with the same options."""
from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

import ember

from .compat._libs import needs_torch, torch

NAN, INF = float("nan"), float("inf")

CASES = {
    "close-fail": lambda L: L.testing.assert_close(L.tensor([1., 2., 3.]),
                                                   L.tensor([1., 2.1, 3.])),
    "within-tol": lambda L: L.testing.assert_close(L.tensor([1., 2., 3.]),
                                                   L.tensor([1., 2., 3.]) + 1e-6),
    "all-off": lambda L: L.testing.assert_close(L.tensor([1., 2., 3.]),
                                                L.tensor([1., 2., 3.]) + 1e-4),
    "2d-index": lambda L: L.testing.assert_close(L.tensor([[1., 2.], [0., 4.]]),
                                                 L.tensor([[1., 2.5], [1e-3, 4.]])),
    "int": lambda L: L.testing.assert_close(L.tensor([1, 2, 3]), L.tensor([1, 2, 4])),
    "0-d": lambda L: L.testing.assert_close(L.tensor(1.), L.tensor(1.1)),
    "dtype": lambda L: L.testing.assert_close(L.tensor([1.]), L.tensor([1.], dtype=L.float64)),
    "dtype-off": lambda L: L.testing.assert_close(L.tensor([1.]), L.tensor([1.], dtype=L.float64),
                                                  check_dtype=False),
    "shape": lambda L: L.testing.assert_close(L.tensor([1.]), L.tensor([1., 2.])),
    "tensor-number": lambda L: L.testing.assert_close(L.tensor([1.]), 1.0),
    "int-float": lambda L: L.testing.assert_close(1, 1.0),
    "float-close": lambda L: L.testing.assert_close(1.0, 1.0 + 1e-8),
    "float-far": lambda L: L.testing.assert_close(1.0, 1.1),
    "numpy-number": lambda L: L.testing.assert_close(np.float32(1.0), np.float32(1.5)),
    "sequence": lambda L: L.testing.assert_close([L.tensor(1.), L.tensor([2.])],
                                                 [L.tensor(1.), L.tensor([2.5])]),
    "sequence-length": lambda L: L.testing.assert_close([1, 2], [1, 2, 3]),
    "mapping-keys": lambda L: L.testing.assert_close({"a": L.tensor(1.)},
                                                     {"a": L.tensor(1.), "b": 2}),
    "nan": lambda L: L.testing.assert_close({"a": L.tensor([1., NAN])}, {"a": L.tensor([1., NAN])}),
    "equal-nan": lambda L: L.testing.assert_close(L.tensor([1., NAN]), L.tensor([1., NAN]),
                                                  equal_nan=True),
    "lone-rtol": lambda L: L.testing.assert_close(L.tensor([1.]), L.tensor([1.5]), rtol=0.1),
    "exact": lambda L: L.testing.assert_close(L.tensor([1.]), L.tensor([1.5]), rtol=0, atol=0),
    "loose": lambda L: L.testing.assert_close(L.tensor([1.]), L.tensor([1.5]), rtol=0.5, atol=0),
    "msg-str": lambda L: L.testing.assert_close(L.tensor([1.]), L.tensor([1.5]), msg="custom"),
    "msg-callable": lambda L: L.testing.assert_close(L.tensor([1.]), L.tensor([1.5]),
                                                     msg=lambda m: m + " !!"),
    "msg-callable-item": lambda L: L.testing.assert_close([1.0, 2.0], [1.0, 3.0],
                                                          msg=lambda m: "<" + m + ">"),
    "none": lambda L: L.testing.assert_close(None, None),
    "none-1": lambda L: L.testing.assert_close(None, 1),
    "bool": lambda L: L.testing.assert_close(True, False),
    "numpy-arrays": lambda L: L.testing.assert_close(np.array([1., 2.]), np.array([1., 2.0001])),
    "bool-tensor": lambda L: L.testing.assert_close(L.tensor([True, False]),
                                                    L.tensor([True, True])),
    "near-zero": lambda L: L.testing.assert_close(L.tensor([0., 1.]), L.tensor([1e-6, 1.])),
    "zero-expected": lambda L: L.testing.assert_close(L.tensor([1., 1.]), L.tensor([0., 1.])),
    "inf": lambda L: L.testing.assert_close(L.tensor([1., INF]), L.tensor([1., INF])),
    "inf-sign": lambda L: L.testing.assert_close(L.tensor([1., INF]), L.tensor([1., -INF])),
    "half": lambda L: L.testing.assert_close(L.tensor([1., 2.]).half(),
                                             L.tensor([1., 2.001]).half()),
    "half-fail": lambda L: L.testing.assert_close(L.tensor([1., 2.]).half(),
                                                  L.tensor([1., 2.01]).half()),
    "bfloat16": lambda L: L.testing.assert_close(L.tensor([1., 2.]).bfloat16(),
                                                 L.tensor([1., 2.02]).bfloat16()),
    "stride": lambda L: L.testing.assert_close(L.ones(2, 3).t(), L.ones(2, 3).t().contiguous(),
                                               check_stride=True),
    "stride-off": lambda L: L.testing.assert_close(L.ones(2, 3).t(),
                                                   L.ones(2, 3).t().contiguous()),
    "parameter": lambda L: L.testing.assert_close(L.nn.Parameter(L.ones(2)), L.ones(2)),
    "no-subclasses": lambda L: L.testing.assert_close(L.nn.Parameter(L.ones(2)), L.ones(2),
                                                      allow_subclasses=False),
    "int-float-tensors": lambda L: L.testing.assert_close(L.tensor([1, 2]), L.tensor([1., 2.]),
                                                          check_dtype=False),
    "ints-off": lambda L: L.testing.assert_close(L.tensor([0, 5]), L.tensor([1, 2]),
                                                 check_dtype=False),
    "size": lambda L: L.testing.assert_close(L.Size([2, 3]), L.Size([2, 4])),
    "empty": lambda L: L.testing.assert_close(L.ones(0, 3), L.ones(0, 3)),
    "device": lambda L: L.testing.assert_close(L.ones(2), L.ones(2).cuda()),
    "device-off": lambda L: L.testing.assert_close(L.ones(2), L.ones(2).cuda(),
                                                   check_device=False),
    "layout-off": lambda L: L.testing.assert_close(L.ones(2), L.ones(2), check_layout=False),
    "grad-ignored": lambda L: L.testing.assert_close(L.ones(2, requires_grad=True), L.ones(2)),
    "allclose": lambda L: L.testing.assert_allclose(L.tensor([1., 2.]), L.tensor([1., 2.0001])),
    "allclose-list": lambda L: L.testing.assert_allclose(L.tensor([1., 2.]), [1., 2.1]),
    "allclose-nan": lambda L: L.testing.assert_allclose(L.tensor([NAN]), L.tensor([NAN])),
    "allclose-dtypes": lambda L: L.testing.assert_allclose(L.tensor([1.]),
                                                           L.tensor([1.], dtype=L.float64)),
    "allclose-msg": lambda L: L.testing.assert_allclose(L.tensor([1.]), L.tensor([2.]),
                                                        msg="m"),
}


def _outcome(lib, case):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            CASES[case](lib)
    except Exception as e:  # noqa: BLE001 - the comparison is the point
        text = str(e).replace("torch.", "ember.").replace("<class 'ember.Tensor'>",
                                                          "<class 'ember.tensor.Tensor'>")
        return type(e).__name__, text
    return "pass"


@needs_torch
@pytest.mark.parametrize("case", list(CASES))
def test_assert_close_matches_torch(case):
    if case.startswith("device") and not (ember.cuda.is_available() and
                                          torch.cuda.is_available()):
        ours = _outcome(ember, case)
        if ember.cuda.is_available():  # the stand-in: PyTorch's message with ember's devices
            assert ours == ("AssertionError", "The values for attribute 'device' do not match: "
                            "cpu != cuda:0.") if case == "device" else ours == "pass"
        return
    assert _outcome(ember, case) == _outcome(torch, case)


def test_assert_allclose_is_deprecated():
    with pytest.warns(FutureWarning, match=r"`torch.testing.assert_allclose\(\)` is deprecated"):
        ember.testing.assert_allclose(ember.ones(1), ember.ones(1))


def test_failing_pairs_report_the_first_failure_in_order():
    with pytest.raises(AssertionError) as info:
        ember.testing.assert_close({"b": ember.ones(1), "a": ember.zeros(1)},
                                   {"b": ember.zeros(1), "a": ember.ones(1)})
    assert str(info.value).endswith("The failure occurred for item ['a']")


# ---------------------------------------------------------------- make_tensor
DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8",
          "uint8", "bool"]


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_make_tensor_ranges_and_options_match_torch(dtype):
    def draw(lib, **kw):
        return lib.testing.make_tensor(2000, dtype=getattr(lib, dtype), device="cpu", **kw)
    for kw in ({}, {"low": 2, "high": 5}, {"low": -3.5}, {"high": 1}):
        if dtype == "bool" and kw:
            continue
        if "low" in kw and "high" not in kw and dtype in ("uint8",):
            continue
        ours, theirs = draw(ember, **kw), draw(torch, **kw)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        o = ours.float().numpy() if dtype == "bfloat16" else ours.numpy().astype(np.float64)
        t = theirs.float().numpy().astype(np.float64)
        assert o.min() >= t.min() - 1 and o.max() <= t.max() + 1  # the same interval
        if dtype != "bool":
            lo = kw.get("low", 0 if dtype == "uint8" else -9)
            hi = kw.get("high", 9 if ours.is_floating_point() else 10)
            lo_i = math.ceil(lo) if not ours.is_floating_point() else lo
            if ours.is_floating_point():  # 16-bit draws may round up to ``high``
                assert o.min() >= lo_i and (o.max() < hi or dtype in ("float16", "bfloat16")
                                            and o.max() <= hi)
            else:
                assert o.min() >= lo_i and o.max() <= math.ceil(hi) - 1
    for lib in (ember, torch):
        t = lib.testing.make_tensor(3, 4, dtype=getattr(lib, dtype), device="cpu",
                                    noncontiguous=True, exclude_zero=True)
        assert tuple(t.shape) == (3, 4) and not t.is_contiguous()
        assert not (t == 0).any()


@needs_torch
@pytest.mark.parametrize("call", [
    lambda L: L.testing.make_tensor(2, dtype=L.int64, device="cpu", requires_grad=True),
    lambda L: L.testing.make_tensor(2, dtype=L.float32, device="cpu", low=3, high=1),
    lambda L: L.testing.make_tensor(2, dtype=L.float32, device="cpu", low=NAN),
    lambda L: L.testing.make_tensor(2, dtype=L.uint8, device="cpu", low=-5, high=-1),
    lambda L: L.testing.make_tensor(2, dtype=L.float32, device="cpu", noncontiguous=True,
                                    memory_format=L.contiguous_format),
])
def test_make_tensor_errors_match_torch(call):
    def outcome(lib):
        try:
            call(lib)
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, re.sub(r"torch\.|ember\.", "", str(e)).split(" and memory")[0]
        return None
    assert outcome(ember) == outcome(torch) is not None


def test_make_tensor_shapes_and_grad():
    t = ember.testing.make_tensor((2, 3), dtype=ember.float64, device="cpu", requires_grad=True)
    assert tuple(t.shape) == (2, 3) and t.requires_grad and t.is_leaf
    assert tuple(ember.testing.make_tensor(ember.Size([4]), dtype=ember.int8,
                                           device="cpu").shape) == (4,)
    assert tuple(ember.testing.make_tensor(dtype=ember.float32, device="cpu").shape) == ()


@needs_torch
def test_make_tensor_memory_format_matches_torch():
    for lib in (ember, torch):
        t = lib.testing.make_tensor(2, 3, 4, 5, dtype=lib.float32, device="cpu",
                                    memory_format=lib.channels_last)
        assert t.is_contiguous(memory_format=lib.channels_last) and t.stride() == (60, 1, 15, 3)
