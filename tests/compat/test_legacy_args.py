"""The deprecated ``size_average``/``reduce`` arguments of every loss, functional and module:
each pair selects the reduction PyTorch selects, with PyTorch's warning, and never is ignored.

Every case runs the same call with ember and with PyTorch on the same float64 inputs and
compares the values; a table lists each loss with the inputs it takes, and a meta-test fails
when a loss of ``nn.functional`` or ``nn`` that accepts the pair has no row here.
"""
from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import ember

from ._libs import LIBS, needs_torch, torch
from ._libs import as_np as _np

PAIRS = [(None, True), (None, False), (True, None), (False, None), (True, True), (True, False),
         (False, True), (False, False)]


def _expected(size_average, reduce):
    """PyTorch's documented mapping, written out (``None`` counts as True)."""
    sa = True if size_average is None else size_average
    rd = True if reduce is None else reduce
    return "none" if not rd else "sum" if not sa else "mean"


def _inputs(m, rng):
    """Named inputs of both libraries, drawn once (float64)."""
    t = lambda a, **k: m.tensor(a, **k)  # noqa: E731
    x = rng.standard_normal((4, 5))
    return {
        "x": t(x), "y": t(rng.standard_normal((4, 5))), "p": t(rng.uniform(0.05, 0.95, (4, 5))),
        "bits": t(rng.integers(0, 2, (4, 5)).astype(np.float64)),
        "cls": t(rng.integers(0, 5, 4)), "logp": t(np.log(np.exp(x) / np.exp(x).sum(1, keepdims=True))),
        "sign": t(np.where(rng.standard_normal(4) > 0, 1.0, -1.0)),
        "sign45": t(np.where(rng.standard_normal((4, 5)) > 0, 1.0, -1.0)),
        "v1": t(rng.standard_normal(4)), "v2": t(rng.standard_normal(4)),
        "counts": t(rng.poisson(2.0, (4, 5)).astype(np.float64)),
        "ml": t(np.array([[1, 3, -1, 0, 0], [0, -1, 0, 0, 0], [4, 2, 1, -1, 0],
                          [2, -1, 0, 0, 0]])),
        "w5": t(rng.uniform(0.5, 2.0, 5)),
    }


# (functional name, module name, the inputs' names, extra keyword options)
LOSSES = [
    ("binary_cross_entropy", "BCELoss", ("p", "bits"), {}),
    ("binary_cross_entropy_with_logits", "BCEWithLogitsLoss", ("x", "bits"), {}),
    ("cross_entropy", "CrossEntropyLoss", ("x", "cls"), {}),
    ("nll_loss", "NLLLoss", ("logp", "cls"), {}),
    ("mse_loss", "MSELoss", ("x", "y"), {}),
    ("l1_loss", "L1Loss", ("x", "y"), {}),
    ("smooth_l1_loss", "SmoothL1Loss", ("x", "y"), {"beta": 0.5}),
    ("kl_div", "KLDivLoss", ("logp", "p"), {}),
    ("poisson_nll_loss", "PoissonNLLLoss", ("x", "counts"), {}),
    ("margin_ranking_loss", "MarginRankingLoss", ("v1", "v2", "sign"), {"margin": 0.3}),
    ("hinge_embedding_loss", "HingeEmbeddingLoss", ("x", "sign45"), {"margin": 0.5}),
    ("cosine_embedding_loss", "CosineEmbeddingLoss", ("x", "y", "sign"), {"margin": 0.1}),
    ("triplet_margin_loss", "TripletMarginLoss", ("x", "y", "p"), {"margin": 2.0}),
    ("soft_margin_loss", "SoftMarginLoss", ("x", "sign45"), {}),
    ("multilabel_soft_margin_loss", "MultiLabelSoftMarginLoss", ("x", "bits"), {}),
    ("multi_margin_loss", "MultiMarginLoss", ("x", "cls"), {"margin": 0.7}),
    ("multilabel_margin_loss", "MultiLabelMarginLoss", ("x", "ml"), {}),
]


def _run(m, fn, names, opts, **legacy):
    ins = _inputs(m, np.random.default_rng(7))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(*(ins[n] for n in names), **opts, **legacy)
    return out, [w for w in caught if "size_average" in str(w.message)]


def _as_module(m, module, opts):
    def call(*inputs, size_average=None, reduce=None):
        return getattr(m.nn, module)(size_average=size_average, reduce=reduce, **opts)(*inputs)
    return call


@needs_torch
@pytest.mark.parametrize("kind", ["functional", "module"])
@pytest.mark.parametrize("name,module,names,opts", LOSSES, ids=[row[0] for row in LOSSES])
def test_legacy_pair_selects_pytorchs_reduction(kind, name, module, names, opts):
    for size_average, reduce in PAIRS:
        results = {}
        for m in (ember, torch):
            fn = getattr(m.nn.functional, name) if kind == "functional" else \
                _as_module(m, module, opts)
            o = opts if kind == "functional" else {}
            out, warned = _run(m, fn, names, o, size_average=size_average, reduce=reduce)
            want = _expected(size_average, reduce)
            assert len(warned) == 1 and warned[0].category is UserWarning, (m.__name__, warned)
            assert str(warned[0].message) == ("size_average and reduce args will be deprecated, "
                                              f"please use reduction='{want}' instead.")
            results[m.__name__] = _np(out)
        ours, theirs = results["ember"], results["torch"]
        assert ours.shape == theirs.shape, (size_average, reduce, ours.shape, theirs.shape)
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12,
                                   err_msg=f"{name} size_average={size_average} reduce={reduce}")
        # and it equals the same loss with the reduction written out
        m = ember
        fn = getattr(m.nn.functional, name) if kind == "functional" else None
        if fn is not None:
            plain, _ = _run(m, fn, names, opts, reduction=_expected(size_average, reduce))
            np.testing.assert_array_equal(_np(plain), ours)


@pytest.mark.parametrize("m", LIBS)
def test_the_headline_cases(m):
    """Old tutorials' calls: a summed BCE, and per-element squared errors."""
    rng = np.random.default_rng(0)
    p = m.tensor(rng.uniform(0.1, 0.9, (8, 6)))
    t = m.tensor((rng.uniform(size=(8, 6)) > 0.5).astype(np.float64))
    with pytest.warns(UserWarning, match="reduction='sum'"):
        summed = m.nn.functional.binary_cross_entropy(p, t, size_average=False)
    mean = m.nn.functional.binary_cross_entropy(p, t)
    np.testing.assert_allclose(_np(summed), _np(mean) * 48, rtol=1e-12)
    with pytest.warns(UserWarning, match="reduction='none'"):
        per = m.nn.functional.mse_loss(p, t, reduce=False)
    assert tuple(per.shape) == (8, 6)
    np.testing.assert_allclose(_np(per), (_np(p) - _np(t)) ** 2, rtol=1e-12)
    with pytest.warns(UserWarning, match="reduction='sum'"):
        crit = m.nn.MSELoss(size_average=False)
    assert crit.reduction == "sum"


@pytest.mark.parametrize("m", LIBS)
def test_legacy_pair_overrides_an_explicit_reduction(m):
    x, y = m.ones(3, 2), m.zeros(3, 2)
    with pytest.warns(UserWarning):
        out = m.nn.functional.l1_loss(x, y, reduce=False, reduction="sum")
    assert tuple(out.shape) == (3, 2)
    with pytest.warns(UserWarning):
        assert m.nn.L1Loss(size_average=True, reduction="sum").reduction == "mean"


@pytest.mark.parametrize("m", LIBS)
def test_no_warning_without_the_pair(m):
    x, y = m.ones(3, 2), m.zeros(3, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.nn.functional.mse_loss(x, y)
        m.nn.MSELoss(reduction="sum")(x, y)


@needs_torch
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_weight_argument(name, reduction):
    """PyTorch 2.13's per-element ``weight`` of mse_loss, l1_loss and huber_loss."""
    rng = np.random.default_rng(3)
    a, b, w = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.uniform(0, 2, (3, 4))
    outs = []
    for m in (ember, torch):
        x = m.tensor(a, requires_grad=True)
        out = getattr(m.nn.functional, name)(x, m.tensor(b), reduction=reduction,
                                            weight=m.tensor(w))
        out.backward(m.ones_like(out))
        outs.append((_np(out), _np(x.grad)))
    np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-12)
    np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-12)
    for m in (ember, torch):
        with pytest.raises(ValueError, match="Weights and input must have the same size"):
            getattr(m.nn.functional, name)(m.ones(3, 4), m.ones(3, 4), weight=m.ones(4))


@pytest.mark.parametrize("m", LIBS)
def test_kl_div_mean_warns_as_pytorch(m):
    logp, p = m.log(m.full((2, 3), 1 / 3)), m.full((2, 3), 1 / 3)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        m.nn.functional.kl_div(logp, p)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.nn.functional.kl_div(logp, p, reduction="batchmean")


def _takes_pair(fn):
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "size_average" in params and "reduce" in params


def test_every_loss_with_the_pair_has_a_row():
    """A loss added later that takes size_average/reduce needs a row in LOSSES."""
    functional = {n for n in dir(ember.nn.functional) if _takes_pair(getattr(ember.nn.functional, n))}
    modules = {n for n in dir(ember.nn) if isinstance(getattr(ember.nn, n), type)
               and _takes_pair(getattr(ember.nn, n).__init__)}
    assert functional - {r[0] for r in LOSSES} == set()
    assert modules - {r[1] for r in LOSSES} == set()
    assert len(functional) == len(modules) == len(LOSSES)


@pytest.mark.parametrize("lib", LIBS)
def test_deprecated_number_first_add_and_sub(lib):
    """``p.data.add_(-lr, p.grad)``: older programs' SGD step (PyTorch's deprecated overload
    still works; it warns once per process)."""
    a, b = lib.ones(3), lib.full((3,), 3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a.add_(-0.5, b)
        c = a.sub(2, b)
        d = lib.add(a, 2, b)
    np.testing.assert_array_equal(_np(a), [-0.5] * 3)
    np.testing.assert_array_equal(_np(c), [-6.5] * 3)
    np.testing.assert_array_equal(_np(d), [5.5] * 3)
    with pytest.raises(TypeError):
        a.add_(2, b, alpha=3)


def test_deprecated_overload_warns_once(monkeypatch):
    from ember.ops import elementwise  # noqa: PLC0415

    monkeypatch.setattr(elementwise, "_LEGACY_WARNED", set())
    a, b = ember.ones(3), ember.ones(3)
    with pytest.warns(UserWarning, match=r"This overload of add is deprecated:\n\tadd\(Number "
                                         r"alpha, Tensor other\)"):
        a.add_(2, b)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a.add_(2, b)
