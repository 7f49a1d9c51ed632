"""init.dirac_, init.sparse_, the deprecated names without underscore, and the private fan
helpers, against PyTorch."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import ember
from ember.nn import init

torch = pytest.importorskip("torch")
tinit = torch.nn.init


@pytest.mark.parametrize("shape,groups", [((4, 2, 3), 1), ((6, 2, 3, 3), 3), ((4, 4, 3, 3, 3), 2),
                                          ((2, 5, 3, 3), 1), ((6, 1, 2, 4), 2), ((3, 3, 1), 3)])
def test_dirac_equals_pytorchs(shape, groups):
    a = init.dirac_(ember.empty(*shape), groups)
    b = tinit.dirac_(torch.empty(*shape), groups)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_dirac_is_the_identity_convolution():
    w = init.dirac_(ember.empty(3, 3, 3, 3, dtype=ember.float64))
    x = ember.randn(2, 3, 5, 5, dtype=ember.float64)
    np.testing.assert_allclose(ember.nn.functional.conv2d(x, w, padding=1).numpy(), x.numpy())


def test_dirac_and_sparse_errors_as_pytorch():
    for mod, lib in ((init, ember), (tinit, torch)):
        with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions"):
            mod.dirac_(lib.empty(3, 3))
        with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
            mod.dirac_(lib.empty(5, 2, 3), 2)
        with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
            mod.sparse_(lib.empty(3, 3, 3), 0.1)


def test_sparse_zeroes_a_fraction_of_each_column():
    ember.manual_seed(0)
    t = init.sparse_(ember.empty(200, 60), 0.25, std=0.5)
    a = t.numpy()
    assert ((a == 0).sum(0) == math.ceil(0.25 * 200)).all()  # ceil(sparsity * rows) per column
    kept = a[a != 0]
    assert abs(kept.std() - 0.5) < 0.02 and abs(kept.mean()) < 0.02
    # the zeroed rows differ between columns (drawn per column)
    assert len({tuple(np.flatnonzero(a[:, j] == 0)) for j in range(60)}) > 50


DEPRECATED = ["uniform", "normal", "constant", "eye", "dirac", "xavier_uniform",
              "xavier_normal", "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse"]
_ARGS = {"constant": (0.3,), "sparse": (0.2,)}


@pytest.mark.parametrize("name", DEPRECATED)
def test_deprecated_names_warn_as_pytorch(name):
    shape = (4, 3, 3) if name == "dirac" else (4, 3)
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        out = getattr(init, name)(ember.empty(*shape), *_ARGS.get(name, ()))
        getattr(tinit, name)(torch.empty(*shape), *_ARGS.get(name, ()))
    mine, theirs = got[0], got[1]
    assert mine.category is theirs.category is FutureWarning
    assert str(mine.message) == str(theirs.message) == \
        f"`nn.init.{name}` is now deprecated in favor of `nn.init.{name}_`."
    assert mine.filename == __file__  # points at the caller
    assert out.shape == shape and getattr(init, name).__name__ == name


def test_deprecated_names_fill_as_the_new_ones():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_array_equal(init.constant(ember.empty(2, 2), 1.5).numpy(), 1.5)
        np.testing.assert_array_equal(init.eye(ember.empty(2, 3)).numpy(), np.eye(2, 3))
        w = init.kaiming_normal(ember.empty(2000, 50), mode="fan_out")
    assert abs(w.numpy().std() - math.sqrt(2 / 2000)) < 0.003


def test_fan_helpers_equal_pytorchs():
    for shape in [(3, 4), (5, 4, 3), (6, 2, 3, 3), (2, 3, 1, 2, 2)]:
        assert init._calculate_fan_in_and_fan_out(ember.empty(*shape)) == \
            tinit._calculate_fan_in_and_fan_out(torch.empty(*shape))
        for mode in ("fan_in", "FAN_OUT"):
            assert init._calculate_correct_fan(ember.empty(*shape), mode) == \
                tinit._calculate_correct_fan(torch.empty(*shape), mode)
    for mod, lib in ((init, ember), (tinit, torch)):
        with pytest.raises(ValueError, match="Fan in and fan out can not be computed"):
            mod._calculate_fan_in_and_fan_out(lib.empty(3))
        with pytest.raises(ValueError, match="Mode fan_avg not supported"):
            mod._calculate_correct_fan(lib.empty(3, 2), "fan_avg")


def test_no_grad_fills_record_no_graph():
    p = ember.nn.Parameter(ember.empty(300, 40))
    for fn, args in ((init._no_grad_uniform_, (-2.0, 2.0)), (init._no_grad_normal_, (1.0, 0.5)),
                     (init._no_grad_trunc_normal_, (0.0, 1.0, -0.5, 0.5)),
                     (init._no_grad_fill_, (0.25,)), (init._no_grad_zero_, ())):
        out = fn(p, *args)
        assert out is p and p.grad_fn is None and p.requires_grad
    assert (p.detach().numpy() == 0).all()
    a = init._no_grad_trunc_normal_(p, 0.0, 1.0, -0.5, 0.5).detach().numpy()
    assert a.min() >= -0.5 and a.max() <= 0.5 and a.std() > 0.25


def test_trunc_normal_warns_when_the_mean_is_far_from_the_interval():
    for mod, lib in ((init, ember), (tinit, torch)):
        with pytest.warns(UserWarning, match="mean is more than 2 std from \\[a, b\\]"):
            mod.trunc_normal_(lib.empty(10), mean=5.0, std=1.0, a=-1.0, b=1.0)
