"""The optimisation algorithms, each following PyTorch's documented update step by step.

Every step works on raw arrays in place (``p._data``), outside the graph.
Notation: g gradient, p parameter, lr learning rate, t step count.
"""
from __future__ import annotations

import math

import numpy as np

from .. import _kernels, backend
from .._grad_mode import no_grad
from ..tensor import _wrap
from .optimizer import Optimizer, _grads, _step_tensor, _zeros_like

__all__ = ["SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad", "Adadelta"]

def _check_impl(name, **flags):
    for k, v in flags.items():
        if v:
            raise NotImplementedError(f"{name}: {k}=True is not supported by ember")


def _check_common(lr, eps=0.0, weight_decay=0.0):
    # ``not 0 <= v`` refuses NaN as well (PyTorch does so for every optimizer but SGD;
    # ember for SGD too: a NaN learning rate only ever trains to NaN).
    if isinstance(lr, (int, float)) and not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def _betas(betas):
    b1, b2 = betas
    if not 0.0 <= b1 < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {b1}")
    if not 0.0 <= b2 < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {b2}")


def _count(state):
    """Advance and return the step counter (a float32 0-d tensor, as PyTorch keeps it)."""
    s = state["step"]
    s._data += 1
    return float(s._data)


def _xp(p):
    return backend.xp(p._data)


def _decay(p, g, lr, wd, decoupled=False):
    """Apply weight decay: L2 (g + wd p, the default) or decoupled (p <- p (1 - lr wd))."""
    if not wd:
        return g
    if decoupled:
        p._data *= 1 - lr * wd
        return g
    return g + wd * p._data


def _init_state(st, p, *names):
    """First step: the step counter and zero buffers named ``names``, shaped like p."""
    if not st:
        st["step"] = _step_tensor()
        for n in names:
            st[n] = _zeros_like(p)
    return st


class SGD(Optimizer):
    """Stochastic gradient descent, with momentum (heavy ball or Nesterov) and L2 weight decay.

    g <- g + wd p;  b <- mu b + (1 - dampening) g (b = g at the first step);
    g <- g + mu b (Nesterov) or b;  p <- p - lr g.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        _check_common(lr, weight_decay=weight_decay)
        if momentum < 0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _check_impl("SGD", differentiable=differentiable, fused=fused)
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    @no_grad()
    def step(self, closure=None):
        loss = self._closure(closure)
        for gr in self.param_groups:
            lr, mu, damp, wd = gr["lr"], gr["momentum"], gr["dampening"], gr["weight_decay"]
            for p, g in _grads(gr, gr["maximize"]):
                g = _decay(p, g, lr, wd)
                if mu:
                    st = self.state[p]
                    buf = st.get("momentum_buffer")
                    if buf is None:
                        buf = st["momentum_buffer"] = _zeros_like(p)
                        buf._data[...] = g
                    else:
                        buf._data *= mu
                        buf._data += (1 - damp) * g
                    g = g + mu * buf._data if gr["nesterov"] else buf._data
                p._data -= lr * g
                p._bump()
        return loss


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015): moment estimates with bias correction.

    m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
    p <- p - lr/(1 - b1^t) m / (sqrt(v)/sqrt(1 - b2^t) + eps).
    ``weight_decay`` adds wd p to g (L2 regularisation, coupled with the adaptive
    scaling); AdamW and ``decoupled_weight_decay=True`` shrink p directly instead.
    """

    _decoupled_default = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=None):
        _check_common(lr, eps, weight_decay)
        _betas(betas)
        _check_impl(type(self).__name__, capturable=capturable, differentiable=differentiable,
                    fused=fused)
        if decoupled_weight_decay is None:
            decoupled_weight_decay = self._decoupled_default
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused)
        defaults["decoupled_weight_decay"] = decoupled_weight_decay
        self._decoupled = decoupled_weight_decay
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure=None):
        loss = self._closure(closure)
        for gr in self.param_groups:
            lr, (b1, b2), eps, wd = gr["lr"], gr["betas"], gr["eps"], gr["weight_decay"]
            # (from the group: an optimizer unpickled in another process has only the state
            # Optimizer.__getstate__ keeps)
            decoupled = gr["decoupled_weight_decay"] if "decoupled_weight_decay" in gr else \
                self._decoupled
            for p, g in _grads(gr, gr["maximize"]):
                st = self.state[p]
                if not st:
                    st["step"] = _step_tensor()
                    st["exp_avg"] = _zeros_like(p)
                    st["exp_avg_sq"] = _zeros_like(p)
                    if gr["amsgrad"]:
                        st["max_exp_avg_sq"] = _zeros_like(p)
                t = _count(st)
                g = _decay(p, g, lr, wd, decoupled)
                # Every pass writes into a reused scratch array: no allocation, so no
                # fresh pages to fault in on each step (it halves the step's time).
                m, v = st["exp_avg"]._data, st["exp_avg_sq"]._data
                if type(m) is not np.ndarray and not gr["amsgrad"] and _kernels.adam(p._data, g, m, v, b1, b2,
                                                       lr / (1 - b1 ** t),
                                                       math.sqrt(1 - b2 ** t), eps):
                    p._bump()  # one fused pass on the GPU
                    continue
                xp = _xp(p)
                buf = self._scratch(p)
                vmax = st["max_exp_avg_sq"]._data if gr["amsgrad"] else None
                step_size = lr / (1 - b1 ** t)
                bc2_sqrt = math.sqrt(1 - b2 ** t)
                for a in _chunks(p._data, g, m, v, buf, vmax):
                    _adam_pass(xp, *a, b1, b2, eps, step_size, bc2_sqrt)
                p._bump()
        return loss


_CHUNK = 1 << 16  # elements (256 KiB of float32): the pass's arrays stay in the core's cache


def _chunks(*arrays):
    """The arrays (same shape; None passes through) as matching flat pieces of ``_CHUNK``
    elements: Adam's dozen passes then run over each piece while it is in cache, instead of
    streaming whole large tensors through memory a dozen times (a tenth off the MLP's
    Adam step). Contiguous arrays only; others come whole."""
    first = arrays[0]
    n = first.size
    if n <= _CHUNK or not all(a is None or (type(a) is np.ndarray and a.flags.c_contiguous)
                              for a in arrays):
        yield arrays
        return
    flat = [None if a is None else a.reshape(-1) for a in arrays]
    for i in range(0, n, _CHUNK):
        yield tuple(None if a is None else a[i:i + _CHUNK] for a in flat)


def _adam_pass(xp, p, g, m, v, buf, vmax, b1, b2, eps, step_size, bc2_sqrt):
    """PyTorch's Adam update, in place, in its order of operations (no allocation)."""
    xp.subtract(g, m, out=buf)
    buf *= 1 - b1
    m += buf
    v *= b2
    xp.multiply(g, g, out=buf)
    buf *= 1 - b2
    v += buf
    if vmax is not None:
        xp.maximum(vmax, v, out=vmax)
        xp.sqrt(vmax, out=buf)
    else:
        xp.sqrt(v, out=buf)
    buf /= bc2_sqrt
    buf += eps
    xp.divide(m, buf, out=buf)
    buf *= step_size
    p -= buf


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): p <- p (1 - lr wd) before
    the Adam step, so the decay is not rescaled by the adaptive denominator."""

    _decoupled_default = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)


class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm. u <- max(b2 u, |g| + eps); p <- p - lr/(1-b1^t) m/u."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        _check_common(lr, eps, weight_decay)
        _betas(betas)
        _check_impl("Adamax", differentiable=differentiable, capturable=capturable)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    @no_grad()
    def step(self, closure=None):
        loss = self._closure(closure)
        for gr in self.param_groups:
            lr, (b1, b2), eps, wd = gr["lr"], gr["betas"], gr["eps"], gr["weight_decay"]
            for p, g in _grads(gr, gr["maximize"]):
                st = _init_state(self.state[p], p, "exp_avg", "exp_inf")
                t = _count(st)
                g = _decay(p, g, lr, wd)
                m, u = st["exp_avg"]._data, st["exp_inf"]._data
                m += (1 - b1) * (g - m)
                u *= b2
                _xp(p).maximum(u, _xp(p).abs(g) + eps, out=u)
                p._data -= (lr / (1 - b1 ** t)) * (m / u)
                p._bump()
        return loss


class NAdam(Optimizer):
    """Adam with Nesterov momentum (Dozat, 2016), with PyTorch's momentum-decay schedule mu_t."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        _check_common(lr, eps, weight_decay)
        _betas(betas)
        _check_impl("NAdam", capturable=capturable, differentiable=differentiable)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      foreach=foreach, maximize=maximize, capturable=capturable,
                                      differentiable=differentiable))

    @no_grad()
    def step(self, closure=None):
        loss = self._closure(closure)
        for gr in self.param_groups:
            lr, (b1, b2), eps, wd = gr["lr"], gr["betas"], gr["eps"], gr["weight_decay"]
            psi = gr["momentum_decay"]
            for p, g in _grads(gr, gr["maximize"]):
                st = self.state[p]
                if not st:
                    st["step"] = _step_tensor()
                    st["mu_product"] = _wrap(np.ones((), np.float32), False, None, 0)
                    st["exp_avg"] = _zeros_like(p)
                    st["exp_avg_sq"] = _zeros_like(p)
                t = _count(st)
                bc2 = 1 - b2 ** t
                g = _decay(p, g, lr, wd, gr["decoupled_weight_decay"])
                mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
                mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
                st["mu_product"]._data *= mu
                mu_prod = float(st["mu_product"]._data)
                m, v = st["exp_avg"]._data, st["exp_avg_sq"]._data
                m += (1 - b1) * (g - m)
                v *= b2
                v += (1 - b2) * g * g
                denom = _xp(p).sqrt(v / bc2) + eps
                p._data -= (lr * (1.0 - mu) / (1.0 - mu_prod)) * (g / denom)
                p._data -= (lr * mu_next / (1.0 - mu_prod * mu_next)) * (m / denom)
                p._bump()
        return loss


class RAdam(Optimizer):
    """Rectified Adam (Liu et al., 2020): the adaptive step only once the variance of the
    adaptive learning rate is tractable (rho_t > 5), plain momentum before."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        _check_common(lr, eps, weight_decay)
        _betas(betas)
        _check_impl("RAdam", capturable=capturable, differentiable=differentiable)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      foreach=foreach, maximize=maximize, capturable=capturable,
                                      differentiable=differentiable))

    @no_grad()
    def step(self, closure=None):
        loss = self._closure(closure)
        for gr in self.param_groups:
            lr, (b1, b2), eps, wd = gr["lr"], gr["betas"], gr["eps"], gr["weight_decay"]
            for p, g in _grads(gr, gr["maximize"]):
                st = _init_state(self.state[p], p, "exp_avg", "exp_avg_sq")
                t = _count(st)
                g = _decay(p, g, lr, wd, gr["decoupled_weight_decay"])
                m, v = st["exp_avg"]._data, st["exp_avg_sq"]._data
                m += (1 - b1) * (g - m)
                v *= b2
                v += (1 - b2) * g * g
                bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
                m_hat = m / bc1
                rho_inf = 2 / (1 - b2) - 1
                rho_t = rho_inf - 2 * t * (b2 ** t) / bc2
                if rho_t > 5.0:
                    rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                                     / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                    adaptive = math.sqrt(bc2) / (_xp(p).sqrt(v) + eps)
                    p._data -= m_hat * lr * adaptive * rect
                else:
                    p._data -= m_hat * lr
                p._bump()
        return loss


class RMSprop(Optimizer):
    """RMSprop (Hinton): v <- a v + (1 - a) g^2; p <- p - lr g / (sqrt(v) + eps), optionally
    centred (subtract the squared running mean of g) and with momentum."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        _check_common(lr, eps, weight_decay)
        if momentum < 0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if alpha < 0:
            raise ValueError(f"Invalid alpha value: {alpha}")
        _check_impl("RMSprop", capturable=capturable, differentiable=differentiable)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered,
                                      capturable=capturable, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable))

    @no_grad()
    def step(self, closure=None):
        loss = self._closure(closure)
        for gr in self.param_groups:
            lr, a, eps, wd, mu = (gr["lr"], gr["alpha"], gr["eps"], gr["weight_decay"],
                                  gr["momentum"])
            for p, g in _grads(gr, gr["maximize"]):
                st = self.state[p]
                if not st:
                    st["step"] = _step_tensor()
                    st["square_avg"] = _zeros_like(p)
                    if mu > 0:
                        st["momentum_buffer"] = _zeros_like(p)
                    if gr["centered"]:
                        st["grad_avg"] = _zeros_like(p)
                _count(st)
                g = _decay(p, g, lr, wd)
                v = st["square_avg"]._data
                v *= a
                v += (1 - a) * g * g
                if gr["centered"]:
                    ga = st["grad_avg"]._data
                    ga += (1 - a) * (g - ga)
                    avg = _xp(p).sqrt(v - ga * ga) + eps
                else:
                    avg = _xp(p).sqrt(v) + eps
                if mu > 0:
                    buf = st["momentum_buffer"]._data
                    buf *= mu
                    buf += g / avg
                    p._data -= lr * buf
                else:
                    p._data -= lr * (g / avg)
                p._bump()
        return loss


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011): s <- s + g^2; p <- p - lr_t g / (sqrt(s) + eps)."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_common(lr, eps, weight_decay)
        if lr_decay < 0:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        _check_impl("Adagrad", differentiable=differentiable, fused=fused)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, fused=fused))
        for gr in self.param_groups:
            for p in gr["params"]:
                st = self.state[p]
                st["step"] = _step_tensor()
                st["sum"] = _zeros_like(p)
                st["sum"]._data += gr["initial_accumulator_value"]

    @no_grad()
    def step(self, closure=None):
        loss = self._closure(closure)
        for gr in self.param_groups:
            for p, g in _grads(gr, gr["maximize"]):
                st = self.state[p]
                t = _count(st)
                g = _decay(p, g, gr["lr"], gr["weight_decay"])
                clr = gr["lr"] / (1 + (t - 1) * gr["lr_decay"])
                s = st["sum"]._data
                s += g * g
                p._data -= clr * (g / (_xp(p).sqrt(s) + gr["eps"]))
                p._bump()
        return loss


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012): a step whose units match p, from running RMS of g and steps."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        _check_common(lr, eps, weight_decay)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_impl("Adadelta", capturable=capturable, differentiable=differentiable)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      foreach=foreach, capturable=capturable, maximize=maximize,
                                      differentiable=differentiable))

    @no_grad()
    def step(self, closure=None):
        loss = self._closure(closure)
        for gr in self.param_groups:
            lr, rho, eps, wd = gr["lr"], gr["rho"], gr["eps"], gr["weight_decay"]
            for p, g in _grads(gr, gr["maximize"]):
                st = _init_state(self.state[p], p, "square_avg", "acc_delta")
                _count(st)
                g = _decay(p, g, lr, wd)
                v, acc = st["square_avg"]._data, st["acc_delta"]._data
                v *= rho
                v += (1 - rho) * g * g
                xp = _xp(p)
                delta = xp.sqrt(acc + eps) / xp.sqrt(v + eps) * g
                acc *= rho
                acc += (1 - rho) * delta * delta
                p._data -= lr * delta
                p._bump()
        return loss

