"""L-BFGS against PyTorch: same iterates, losses and function-evaluation counts in float64."""
from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _problem(m, seed=0):
    rng = np.random.default_rng(seed)
    x = m.tensor(rng.standard_normal((20, 3)))
    y = m.tensor(rng.standard_normal((20, 1)))
    m.manual_seed(0)
    w1 = m.tensor(rng.standard_normal((3, 5)) * 0.5, requires_grad=True)
    w2 = m.tensor(rng.standard_normal((5, 1)) * 0.5, requires_grad=True)
    return x, y, [w1, w2]


def _run(m, steps, **kw):
    x, y, params = _problem(m)
    opt = m.optim.LBFGS(params, **kw)

    def closure():
        opt.zero_grad()
        loss = ((m.tanh(x @ params[0]) @ params[1] - y) ** 2).mean()
        loss.backward()
        return loss

    losses = [float(opt.step(closure).detach()) for _ in range(steps)]
    evals = opt.state[params[0]]["func_evals"]
    return np.array(losses), [p.detach().numpy().copy() for p in params], evals


@pytest.mark.parametrize("kw", [
    dict(), dict(line_search_fn="strong_wolfe"), dict(lr=0.5, max_iter=5, history_size=2),
    dict(line_search_fn="strong_wolfe", max_iter=4, history_size=3, tolerance_change=1e-12),
], ids=["fixed", "wolfe", "fixed_short_history", "wolfe_short_history"])
def test_lbfgs_trajectory_equals_pytorch(kw):
    le, pe, ne = _run(ember, 4, **kw)
    lt, pt, nt = _run(torch, 4, **kw)
    assert ne == nt, "function evaluations differ"
    np.testing.assert_allclose(le, lt, rtol=1e-8, atol=1e-12)
    for a, b in zip(pe, pt):  # 80 iterations far from the start: rounding has grown a little
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-8)


def test_lbfgs_rosenbrock_converges_with_the_line_search():
    p = ember.tensor([-1.2, 1.0], dtype=ember.float64, requires_grad=True)
    opt = ember.optim.LBFGS([p], line_search_fn="strong_wolfe", max_iter=100)

    def closure():
        opt.zero_grad()
        loss = (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
    np.testing.assert_allclose(p.detach().numpy(), [1.0, 1.0], atol=1e-4)


def test_lbfgs_state_dict_resumes_identically(tmp_path):
    full = _run(ember, 4, line_search_fn="strong_wolfe", max_iter=3)
    x, y, params = _problem(ember)
    opt = ember.optim.LBFGS(params, line_search_fn="strong_wolfe", max_iter=3)

    def closure():
        opt.zero_grad()
        loss = ((ember.tanh(x @ params[0]) @ params[1] - y) ** 2).mean()
        loss.backward()
        return loss

    for _ in range(2):
        opt.step(closure)
    ember.save({"opt": opt.state_dict(), "p": [p.detach() for p in params]},
               str(tmp_path / "ck"))
    ck = ember.load(str(tmp_path / "ck"))
    x, y, params = _problem(ember)
    for p, v in zip(params, ck["p"]):
        p.data = v.clone()
    opt = ember.optim.LBFGS(params, line_search_fn="strong_wolfe", max_iter=3)
    opt.load_state_dict(ck["opt"])
    for _ in range(2):
        opt.step(closure)
    for a, b in zip(params, full[1]):
        np.testing.assert_allclose(a.detach().numpy(), b, rtol=1e-12)


def test_lbfgs_errors():
    p = ember.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="parameter groups"):
        ember.optim.LBFGS([{"params": [p]}, {"params": [ember.zeros(1, requires_grad=True)]}])
    with pytest.raises(ValueError, match="strong_wolfe"):
        ember.optim.LBFGS([p], line_search_fn="backtracking")
    with pytest.raises(RuntimeError, match="closure"):
        ember.optim.LBFGS([p]).step(None)
