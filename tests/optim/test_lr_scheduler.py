"""Every learning-rate scheduler follows PyTorch's schedule (lr and momentum per step)."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import ember
import ember.optim as eo
from ember.optim import lr_scheduler as els

torch = pytest.importorskip("torch")
tls = torch.optim.lr_scheduler


def _pair(opt_name="SGD", **kw):
    kw = kw or dict(lr=0.1, momentum=0.9)
    e = getattr(eo, opt_name)([ember.ones(2, requires_grad=True)], **kw)
    t = getattr(torch.optim, opt_name)([torch.ones(2, requires_grad=True)], **kw)
    return e, t


def _sched(lib, opt, spec):
    name, kw = spec
    kw = dict(kw)
    if callable(kw.get("lr_lambda")):
        pass
    if name in ("SequentialLR", "ChainedScheduler"):
        subs = [getattr(lib, n)(opt, **k) for n, k in kw.pop("schedulers")]
        if name == "ChainedScheduler":
            return lib.ChainedScheduler(subs)
        return lib.SequentialLR(opt, subs, **kw)
    return getattr(lib, name)(opt, **kw)


SPECS = [
    ("LambdaLR", dict(lr_lambda=lambda e: 0.95 ** e)),
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.9)),
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 9], gamma=0.3)),
    ("ConstantLR", dict(factor=0.5, total_iters=4)),
    ("LinearLR", dict(start_factor=0.1, end_factor=1.0, total_iters=6)),
    ("LinearLR", dict(start_factor=1.0, end_factor=0.2, total_iters=10)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("PolynomialLR", dict(total_iters=8, power=2.0)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.001)),
    ("CosineAnnealingWarmRestarts", dict(T_0=4, T_mult=2, eta_min=0.01)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=4)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=5,
                      mode="triangular2")),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=3, mode="exp_range", gamma=0.9)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=31)),
    ("OneCycleLR", dict(max_lr=0.5, epochs=3, steps_per_epoch=11, anneal_strategy="linear",
                        three_phase=True)),
    ("SequentialLR", dict(schedulers=[("LinearLR", dict(start_factor=0.1, total_iters=5)),
                                      ("ExponentialLR", dict(gamma=0.9))], milestones=[5])),
    ("SequentialLR", dict(schedulers=[("ConstantLR", dict(factor=0.5, total_iters=3)),
                                      ("StepLR", dict(step_size=4, gamma=0.5)),
                                      ("CosineAnnealingLR", dict(T_max=10))],
                          milestones=[6, 15])),
    ("ChainedScheduler", dict(schedulers=[("ConstantLR", dict(factor=0.5, total_iters=4)),
                                          ("ExponentialLR", dict(gamma=0.9))])),
]


@pytest.mark.parametrize("spec", SPECS, ids=[f"{s[0]}-{i}" for i, s in enumerate(SPECS)])
@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_schedule_matches_torch(spec, opt_name):
    kw = dict(lr=0.1, momentum=0.9) if opt_name == "SGD" else dict(lr=0.1)
    eopt, topt = _pair(opt_name, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        es, ts = _sched(els, eopt, spec), _sched(tls, topt, spec)
        for step in range(30):
            assert es.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-9, abs=1e-15), step
            for eg, tg in zip(eopt.param_groups, topt.param_groups):
                assert eg["lr"] == pytest.approx(tg["lr"], rel=1e-9, abs=1e-15), step
                if "momentum" in tg:
                    assert eg["momentum"] == pytest.approx(tg["momentum"], rel=1e-12)
                if "betas" in tg:
                    assert eg["betas"] == pytest.approx(tg["betas"], rel=1e-12)
            if spec[0] == "OneCycleLR" and step >= es.total_steps - 1:
                break
            eopt.step()
            topt.step()
            es.step()
            ts.step()


def test_reduce_on_plateau_matches_torch():
    eopt, topt = _pair()
    es = els.ReduceLROnPlateau(eopt, factor=0.5, patience=2, cooldown=1, min_lr=0.01)
    ts = tls.ReduceLROnPlateau(topt, factor=0.5, patience=2, cooldown=1, min_lr=0.01)
    metrics = [1.0, 0.9, 0.9, 0.9, 0.9, 0.85, 0.86, 0.87, 0.88, 0.89, 0.9, 0.91, 0.5, 0.6, 0.7,
               0.8, 0.9, 1.0, 1.1]
    for m in metrics:
        es.step(m)
        ts.step(m)
        assert eopt.param_groups[0]["lr"] == pytest.approx(topt.param_groups[0]["lr"])
    assert es.get_last_lr() == pytest.approx(ts.get_last_lr())
    mx = els.ReduceLROnPlateau(_pair()[0], mode="max", threshold_mode="abs", patience=0)
    mx.step(1.0)
    mx.step(0.5)
    assert mx.get_last_lr() == [pytest.approx(0.01)]


def test_scheduler_state_dict_roundtrip():
    eopt, _ = _pair()
    s = els.OneCycleLR(eopt, max_lr=1.0, total_steps=20)
    for _ in range(7):
        eopt.step()
        s.step()
    sd = s.state_dict()
    assert "optimizer" not in sd
    e2, _ = _pair()
    e2.load_state_dict(eopt.state_dict())
    s2 = els.OneCycleLR(e2, max_lr=1.0, total_steps=20)
    s2.load_state_dict(sd)
    for _ in range(5):
        s.step()
        s2.step()
    assert s2.get_last_lr() == s.get_last_lr()


def test_lectures_two_strategies():
    # start large and decay
    opt, _ = _pair()
    s = els.StepLR(opt, step_size=10, gamma=0.1)
    lrs = []
    for _ in range(25):
        lrs.append(s.get_last_lr()[0])
        opt.step()
        s.step()
    assert lrs[0] == 0.1 and math.isclose(lrs[10], 0.01) and math.isclose(lrs[20], 0.001)
    # start small, increase, then decrease
    opt, _ = _pair()
    s = els.OneCycleLR(opt, max_lr=1.0, total_steps=100)
    lrs = []
    for _ in range(100):
        lrs.append(s.get_last_lr()[0])
        opt.step()
        s.step()
    peak = int(np.argmax(lrs))
    assert lrs[0] < 0.05 and lrs[peak] == pytest.approx(1.0) and lrs[-1] < 1e-4
    assert 25 <= peak <= 31


def test_bad_arguments():
    opt, _ = _pair()
    with pytest.raises(ValueError):
        els.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError):
        els.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError):
        els.SequentialLR(opt, [els.StepLR(opt, 2)], milestones=[3])
    with pytest.raises(TypeError):
        els.StepLR(object(), 3)
