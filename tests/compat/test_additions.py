"""Layers and options PyTorch users expect, beyond what the op table checks."""
from __future__ import annotations

import numpy as np
import pytest

import ember

from ._libs import LIBS
from ._libs import as_np as _np


@pytest.mark.parametrize("m", LIBS)
def test_rrelu_training_draws_slopes_in_range(m):
    m.manual_seed(0)
    x = m.full((2000,), -1.0, requires_grad=True)
    y = m.nn.RReLU(0.1, 0.3)(x)  # training mode: a slope per element
    slopes = -_np(y)
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.04
    y.sum().backward()
    np.testing.assert_allclose(-_np(x.grad), -slopes, rtol=1e-6)  # dy/dx = the slope
    pos = m.nn.RReLU()(m.ones(5))
    assert _np(pos).tolist() == [1.0] * 5


@pytest.mark.parametrize("m", LIBS)
def test_loss_constructors_take_pytorchs_positional_order(m):
    assert m.nn.MarginRankingLoss(0.5).margin == 0.5
    assert m.nn.HingeEmbeddingLoss(2.0).margin == 2.0
    assert m.nn.CosineEmbeddingLoss(0.3).margin == 0.3
    t = m.nn.TripletMarginLoss(2.0, 1.0)
    assert t.margin == 2.0 and t.p == 1.0
    assert m.nn.HuberLoss("sum", 2.0).delta == 2.0
    assert m.nn.SmoothL1Loss(None, None, "sum", 0.5).beta == 0.5
    p = m.nn.PoissonNLLLoss(False, True)
    assert p.log_input is False and p.full is True
    mm = m.nn.MultiMarginLoss(2, 0.5)
    assert mm.p == 2 and mm.margin == 0.5
    c = m.nn.CTCLoss(3, "sum", True)
    assert c.blank == 3 and c.reduction == "sum" and c.zero_infinity


@pytest.mark.parametrize("m", LIBS)
def test_loss_modules_match_their_functions(m):
    rng = np.random.default_rng(0)
    x = m.tensor(rng.standard_normal((4, 5)))
    y = m.tensor(rng.integers(0, 5, 4))
    sign = m.tensor(np.sign(rng.standard_normal((4, 5))))
    F = m.nn.functional
    pairs = [
        (m.nn.MultiMarginLoss()(x, y), F.multi_margin_loss(x, y)),
        (m.nn.SoftMarginLoss()(x, sign), F.soft_margin_loss(x, sign)),
        (m.nn.MultiLabelSoftMarginLoss()(x, (sign + 1) / 2),
         F.multilabel_soft_margin_loss(x, (sign + 1) / 2)),
        (m.nn.MultiLabelMarginLoss()(x, m.tensor([[1, -1, 0, 0, 0]] * 4)),
         F.multilabel_margin_loss(x, m.tensor([[1, -1, 0, 0, 0]] * 4))),
        (m.nn.TripletMarginWithDistanceLoss(margin=0.5)(x, x * 2, -x),
         F.triplet_margin_with_distance_loss(x, x * 2, -x, margin=0.5)),
    ]
    for a, b in pairs:
        np.testing.assert_allclose(_np(a), _np(b))


def test_ctc_loss_trains_a_tiny_aligner():
    """CTC on a fixed frame sequence: the model learns to emit the target."""
    ember.manual_seed(0)
    logits = ember.zeros(6, 1, 4, requires_grad=True)
    opt = ember.optim.Adam([logits], lr=0.3)
    ctc = ember.nn.CTCLoss()
    for _ in range(60):
        opt.zero_grad()
        loss = ctc(logits.log_softmax(2), ember.tensor([[1, 2, 2]]), [6], [3])
        loss.backward()
        opt.step()
    best = logits.argmax(2)[:, 0].tolist()
    collapsed = [k for i, k in enumerate(best) if k != 0 and (i == 0 or best[i - 1] != k)]
    assert collapsed == [1, 2, 2] and float(loss) < 0.3
