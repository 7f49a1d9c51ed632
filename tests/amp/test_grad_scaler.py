"""GradScaler against PyTorch's GradScaler('cpu'): the same gradients (some made inf/NaN on
purpose) give the same scale after every update, the same skipped steps and the same
parameters; its state machine, state dict and errors; the two ``torch._amp_*`` functions."""
from __future__ import annotations

import math

import numpy as np
import pytest

import ember

from ..compat._libs import LIBS, as_np, needs_torch, torch

RNG = np.random.default_rng(0)
W0 = RNG.standard_normal((3, 4)).astype(np.float32)
X = RNG.standard_normal((5, 4)).astype(np.float32)
# Per step: the loss factor and the gradient made non-finite (None, "inf" or "nan").
SCHEDULE = [(1.0, None), (2.0, None), (0.5, "inf"), (1.0, None), (3.0, None), (1.0, None),
            (1.0, None), (1.0, "nan"), (0.25, None), (1.0, None), (1.0, None), (1.0, None),
            (2.0, "inf"), (2.0, "inf"), (1.0, None), (1.0, None), (1.0, None), (1.0, None)]


def _train(m, schedule, unscale_first=False):
    lin = m.nn.Linear(4, 3, bias=False)
    with m.no_grad():
        lin.weight.copy_(m.tensor(W0))
    opt = m.optim.SGD(lin.parameters(), lr=0.1, momentum=0.9)
    scaler = m.amp.GradScaler("cpu", init_scale=2.0 ** 10, growth_factor=4.0,
                              backoff_factor=0.25, growth_interval=3)
    x = m.tensor(X)
    scales, returned, weights, trackers = [], [], [], []
    for factor, bad in schedule:
        opt.zero_grad()
        loss = (lin(x) * factor).square().mean()
        scaler.scale(loss).backward()
        if bad is not None:
            with m.no_grad():
                lin.weight.grad[1, 2] = float(bad)
        if unscale_first:
            scaler.unscale_(opt)
            m.nn.utils.clip_grad_norm_(lin.parameters(), 1.0)
        returned.append(scaler.step(opt))
        scaler.update()
        scales.append(scaler.get_scale())
        trackers.append(scaler._get_growth_tracker())
        weights.append(as_np(lin.weight).copy())
    return scales, returned, weights, trackers, scaler


@needs_torch
@pytest.mark.parametrize("unscale_first", [False, True], ids=["step", "unscale_clip_step"])
def test_scale_sequence_and_skipped_steps_match_pytorch(unscale_first):
    s_t, r_t, w_t, k_t, _ = _train(torch, SCHEDULE, unscale_first)
    s_e, r_e, w_e, k_e, _ = _train(ember, SCHEDULE, unscale_first)
    assert s_e == s_t and k_e == k_t
    assert [r is None for r in r_e] == [r is None for r in r_t]
    assert s_t[:4] == [1024.0, 1024.0, 256.0, 256.0]  # backoff after the inf
    assert s_t[5] == 1024.0  # growth after three good steps
    for a, b in zip(w_e, w_t):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert np.isfinite(w_e[-1]).all()


@pytest.mark.parametrize("m", LIBS)
def test_skipped_step_leaves_parameters_and_returns_none(m):
    lin = m.nn.Linear(2, 1)
    opt = m.optim.SGD(lin.parameters(), lr=1.0)
    scaler = m.amp.GradScaler("cpu")
    before = as_np(lin.weight).copy()
    scaler.scale(lin(m.ones(1, 2)).sum()).backward()
    with m.no_grad():
        lin.bias.grad.fill_(float("inf"))
    assert scaler.step(opt) is None
    np.testing.assert_array_equal(as_np(lin.weight), before)
    scaler.update()
    assert scaler.get_scale() == 2.0 ** 15


@pytest.mark.parametrize("m", LIBS)
def test_step_returns_the_optimizers_value(m):
    lin = m.nn.Linear(2, 1)

    class Opt(m.optim.SGD):
        def step(self, closure=None):
            super().step()
            return "stepped"

    opt = Opt(lin.parameters(), lr=0.1)
    scaler = m.amp.GradScaler("cpu")
    scaler.scale(lin(m.ones(1, 2)).sum()).backward()
    assert scaler.step(opt) == "stepped"


@pytest.mark.parametrize("m", LIBS)
def test_state_machine_errors(m):
    lin = m.nn.Linear(2, 1)
    opt = m.optim.SGD(lin.parameters(), lr=0.1)
    scaler = m.amp.GradScaler("cpu")
    with pytest.raises(AssertionError, match="Attempted unscale_ but _scale is None"):
        scaler.unscale_(opt)
    with pytest.raises(AssertionError, match="Attempted step but _scale is None"):
        scaler.step(opt)
    scaler.scale(lin(m.ones(1, 2)).sum()).backward()
    with pytest.raises(AssertionError, match="No inf checks were recorded prior to update"):
        scaler.update()
    scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called"):
        scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
        scaler.step(opt, closure=lambda: 0.0)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match="unscale_\\(\\) is being called after step"):
        scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        scaler.step(opt)
    scaler.update()
    empty = m.optim.SGD([m.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(AssertionError, match="No inf checks were recorded for this optimizer"):
        scaler.step(empty)
    with pytest.raises(AssertionError, match="growth factor must be > 1.0"):
        m.amp.GradScaler("cpu", growth_factor=1.0)
    with pytest.raises(AssertionError, match="backoff factor must be < 1.0"):
        m.amp.GradScaler("cpu", backoff_factor=1.0)


@pytest.mark.parametrize("m", LIBS)
def test_float16_gradients_are_refused(m):
    p = m.zeros(2, dtype=m.float16, requires_grad=True)
    (p.float() * 2).sum().backward()
    opt = m.optim.SGD([p], lr=0.1)
    scaler = m.amp.GradScaler("cpu")
    scaler.scale(m.ones(()))
    with pytest.raises(ValueError, match="Attempting to unscale FP16 gradients"):
        scaler.unscale_(opt)


@pytest.mark.parametrize("m", LIBS)
def test_scale_of_nested_outputs(m):
    scaler = m.amp.GradScaler("cpu", init_scale=4.0)
    a, b, c = m.ones(2), m.full((1,), 2.0), m.full((), 3.0)
    out = scaler.scale([a, (b, [c])])
    assert isinstance(out, list) and isinstance(out[1], tuple) and isinstance(out[1][1], list)
    assert as_np(out[0]).tolist() == [4.0, 4.0] and out[1][1][0].item() == 12.0
    gen = scaler.scale(iter([a]))
    assert not isinstance(gen, (list, tuple)) and next(gen).sum().item() == 8.0
    with pytest.raises(ValueError, match="outputs must be a Tensor or an iterable of Tensors"):
        scaler.scale([1.0])
    assert scaler.scale(a.bfloat16()).dtype == m.bfloat16


@pytest.mark.parametrize("m", LIBS)
def test_update_with_a_new_scale(m):
    scaler = m.amp.GradScaler("cpu")
    scaler.scale(m.ones(()))
    scaler.update(8.0)
    assert scaler.get_scale() == 8.0
    scaler.update(m.tensor(3.0))
    assert scaler.get_scale() == 3.0
    with pytest.raises(AssertionError, match="new_scale should be a float or a 1-element"):
        scaler.update(m.tensor([1.0, 2.0]))
    with pytest.raises(AssertionError, match="new_scale should be a float or a 1-element"):
        scaler.update(m.tensor([1.0], requires_grad=True))


@pytest.mark.parametrize("m", LIBS)
def test_state_dict_round_trip_and_accessors(m):
    *_, scaler = _train(m, SCHEDULE[:5])
    sd = scaler.state_dict()
    assert sorted(sd) == ["_growth_tracker", "backoff_factor", "growth_factor",
                          "growth_interval", "scale"]
    assert sd["growth_factor"] == 4.0 and sd["backoff_factor"] == 0.25
    assert sd["growth_interval"] == 3 and isinstance(sd["scale"], float)
    fresh = m.amp.GradScaler("cpu")
    fresh.load_state_dict(sd)
    assert fresh.state_dict() == sd and fresh.get_scale() == sd["scale"]
    assert (fresh.get_growth_factor(), fresh.get_backoff_factor(),
            fresh.get_growth_interval()) == (4.0, 0.25, 3)
    fresh.set_growth_factor(3.0)
    fresh.set_backoff_factor(0.75)
    fresh.set_growth_interval(7)
    assert (fresh.get_growth_factor(), fresh.get_backoff_factor(),
            fresh.get_growth_interval()) == (3.0, 0.75, 7)
    fresh.scale(m.ones(()))
    fresh.load_state_dict(sd)  # also into an initialised scaler
    assert fresh.get_scale() == sd["scale"] and fresh._get_growth_tracker() == \
        sd["_growth_tracker"]
    with pytest.raises(RuntimeError, match="The source state dict is empty"):
        fresh.load_state_dict({})
    off = m.amp.GradScaler("cpu", enabled=False)
    assert off.state_dict() == {} and off.get_scale() == 1.0 and not off.is_enabled()
    off.load_state_dict(sd)
    assert off.state_dict() == {}


@pytest.mark.parametrize("m", LIBS)
def test_disabled_scaler_passes_through(m):
    lin = m.nn.Linear(2, 1)
    opt = m.optim.SGD(lin.parameters(), lr=0.1)
    scaler = m.amp.GradScaler("cpu", enabled=False)
    loss = lin(m.ones(1, 2)).sum()
    assert scaler.scale(loss) is loss
    loss.backward()
    before = as_np(lin.weight).copy()
    assert scaler.step(opt) is None
    assert not np.array_equal(as_np(lin.weight), before)
    assert scaler.unscale_(opt) is None and scaler.update() is None


@pytest.mark.parametrize("m", LIBS)
def test_pickling_only_between_iterations(m):
    import pickle

    scaler = m.amp.GradScaler("cpu", init_scale=8.0)
    scaler.scale(m.ones(()))
    scaler.update(16.0)
    clone = pickle.loads(pickle.dumps(scaler))
    assert clone.get_scale() == 16.0 and clone._scale is None


@pytest.mark.parametrize("m", LIBS)
def test_foreach_non_finite_check_and_unscale(m):
    grads = [m.tensor([1.0, 2.0]), m.tensor([float("inf"), 4.0]),
             m.tensor([2.0, 6.0], dtype=m.float16), m.tensor([8.0], dtype=m.float64)]
    found = m.zeros(())
    assert m._amp_foreach_non_finite_check_and_unscale_(grads, found, m.tensor(0.5)) is None
    assert found.item() == 1.0
    assert [as_np(g).tolist() for g in grads] == [[0.5, 1.0], [math.inf, 2.0], [1.0, 3.0], [4.0]]
    found = m.zeros(())
    m._amp_foreach_non_finite_check_and_unscale_([m.tensor([float("nan")])], found,
                                                 m.tensor(1.0))
    assert found.item() == 1.0
    found = m.zeros(())
    m._amp_foreach_non_finite_check_and_unscale_([m.full((1000,), 3e38)], found, m.tensor(1.0))
    assert found.item() == 0.0  # large but finite
    with pytest.raises(RuntimeError, match="found_inf must be a 1-element tensor"):
        m._amp_foreach_non_finite_check_and_unscale_([m.ones(2)], m.zeros(2), m.tensor(0.5))
    with pytest.raises(RuntimeError, match="inv_scale must be a 1-element tensor"):
        m._amp_foreach_non_finite_check_and_unscale_([m.ones(2)], m.zeros(()),
                                                     m.tensor([0.5, 1.0]))
    with pytest.raises(RuntimeError, match="inv_scale must be a float tensor"):
        m._amp_foreach_non_finite_check_and_unscale_([m.ones(2)], m.zeros(()),
                                                     m.tensor(0.5, dtype=m.float64))
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'|int64"):
        m._amp_foreach_non_finite_check_and_unscale_([m.ones(2, dtype=m.int64)], m.zeros(()),
                                                     m.tensor(0.5))
    with pytest.raises(TypeError, match="must be tuple of Tensors"):
        m._amp_foreach_non_finite_check_and_unscale_(m.ones(2), m.zeros(()), m.tensor(0.5))


@pytest.mark.parametrize("m", LIBS)
def test_update_scale_function(m):
    scale = m.tensor(8.0)
    tracker = m.tensor(0, dtype=m.int32)
    seen = []
    for found in [0, 0, 0, 1, 0, 2]:
        out = m._amp_update_scale_(scale, tracker, m.tensor(float(found)), 2.0, 0.5, 2)
        assert out is scale
        seen.append((scale.item(), tracker.item()))
    assert seen == [(8.0, 1), (16.0, 0), (16.0, 1), (8.0, 0), (8.0, 1), (4.0, 0)]
    big = m.tensor(3e38)
    m._amp_update_scale_(big, tracker, m.zeros(()), 2.0, 0.5, 1)
    assert big.item() == pytest.approx(3e38) and tracker.item() == 0  # growth would overflow
    with pytest.raises(RuntimeError, match="growth_tracker must be an int tensor"):
        m._amp_update_scale_(m.tensor(8.0), m.tensor(0), m.zeros(()), 2.0, 0.5, 2)
    with pytest.raises(RuntimeError, match="current_scale must be a float tensor"):
        m._amp_update_scale_(m.tensor(8.0, dtype=m.float64), m.tensor(0, dtype=m.int32),
                             m.zeros(()), 2.0, 0.5, 2)


def test_scaler_on_the_device():
    if not ember.cuda.is_available():
        pytest.skip("no CUDA device or stand-in")
    lin = ember.nn.Linear(4, 2).to("cuda")
    opt = ember.optim.SGD(lin.parameters(), lr=0.1)
    scaler = ember.amp.GradScaler("cuda", init_scale=256.0)
    with ember.autocast("cuda"):
        loss = lin(ember.randn(3, 4, device="cuda")).float().square().mean()
    scaler.scale(loss).backward()
    assert lin.weight.grad.dtype is ember.float32 and lin.weight.grad.device.type == "cuda"
    before = lin.weight.detach().cpu().numpy().copy()
    scaler.step(opt)
    assert not np.array_equal(lin.weight.detach().cpu().numpy(), before)  # a finite step
    scaler.update()
    assert scaler._scale.device.type == "cuda" and scaler.get_scale() == 256.0
    with pytest.warns(FutureWarning, match=r"cuda.amp.GradScaler\(args...\)` is deprecated"):
        old = ember.cuda.amp.GradScaler()
    assert old.is_enabled()
