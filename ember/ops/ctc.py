"""Connectionist temporal classification (Graves et al., 2006): one fused op.

The loss of a sample is -log p(l | x), summed over every alignment of the target l to the
T frames that collapses to l once repeats are merged and blanks removed. The forward
variables alpha_t(s) run over the target extended with blanks (b l1 b l2 ... b), in log
space; backward runs the beta recursion and gives, as PyTorch does, the gradient for
log-probabilities that come out of a log_softmax:

    d/dlp_t(k) = exp(lp_t(k)) - exp(log sum_{s: l'_s = k} alpha_t(s) beta_t(s) + nll - lp_t(k))
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd.function import Op, op_once_differentiable
from ..tensor import Tensor, _wrap
from ._autocast import with_policy
from ._util import add_at, xp_of
from .loss import _reduce

__all__ = ["ctc_loss"]

_NEG = -np.inf


def _shift(a, k, xp):
    """a[..., s - k] (with -inf shifted in) along the last axis."""
    out = xp.full(a.shape, _NEG, dtype=a.dtype)
    if k < a.shape[-1]:
        out[..., k:] = a[..., :a.shape[-1] - k]
    return out


def _unshift(a, k, xp):
    """a[..., s + k] (with -inf shifted in)."""
    out = xp.full(a.shape, _NEG, dtype=a.dtype)
    if k < a.shape[-1]:
        out[..., :a.shape[-1] - k] = a[..., k:]
    return out


def _lse3(a, b, c, xp):
    return xp.logaddexp(xp.logaddexp(a, b), c)


class CTCLoss(Op):
    """Per-sample CTC negative log-likelihoods. Shape: lp (T, N, C) -> (N,)."""

    @staticmethod
    def forward(ctx, lp, ext, skip, in_len, ext_len, zero_infinity):
        xp = xp_of(lp)
        t_max, n, _ = lp.shape
        width = ext.shape[1]
        rows = xp.arange(n)[:, None]
        lpe = lp[:, rows, ext]  # (T, N, S'): lp_t(l'_s)
        valid = xp.arange(width)[None, :] < ext_len[:, None]  # s < 2 L + 1
        with backend.errstate(xp, invalid="ignore", divide="ignore", over="ignore"):
            alpha = xp.full((t_max, n, width), _NEG, dtype=lp.dtype)
            if t_max:
                alpha[0, :, 0] = lpe[0, :, 0]
                if width > 1:
                    alpha[0, :, 1] = xp.where(ext_len > 1, lpe[0, :, 1], _NEG)
            for t in range(1, t_max):
                prev = alpha[t - 1]
                two = xp.where(skip, _shift(prev, 2, xp), _NEG)
                alpha[t] = xp.where(valid, _lse3(prev, _shift(prev, 1, xp), two, xp) + lpe[t],
                                    _NEG)
            last_t = xp.maximum(in_len - 1, 0)
            end = alpha[last_t, xp.arange(n)]  # (N, S') at each sample's last frame
            e1 = end[xp.arange(n), ext_len - 1]
            e2 = xp.where(ext_len > 1, end[xp.arange(n), xp.maximum(ext_len - 2, 0)], _NEG)
            nll = -xp.logaddexp(e1, e2)
            nll = xp.where(in_len == 0, xp.where(ext_len == 1, 0.0, np.inf), nll).astype(lp.dtype)
        if zero_infinity:
            nll = xp.where(xp.isinf(nll), xp.zeros((), dtype=nll.dtype), nll)
        ctx.save_for_backward(lp)
        ctx.alpha, ctx.lpe, ctx.ext, ctx.skip, ctx.nll = alpha, lpe, ext, skip, nll
        ctx.in_len, ctx.ext_len, ctx.valid, ctx.zero_inf = in_len, ext_len, valid, zero_infinity
        return nll

    @staticmethod
    @op_once_differentiable
    def backward(ctx, g):
        lp, = ctx.saved_tensors
        grad = CTCLoss._grad(ctx, lp._data, g._data)
        return _wrap(grad, False, None, 0), None, None, None, None, None

    @staticmethod
    def fast_backward(ctx, g):
        lp, = ctx.saved_arrays
        return CTCLoss._grad(ctx, lp, g), None, None, None, None, None

    @staticmethod
    def _grad(ctx, lp, g):
        xp = xp_of(lp)
        t_max, n, c = lp.shape
        alpha, lpe, ext, skip = ctx.alpha, ctx.lpe, ctx.ext, ctx.skip
        in_len, ext_len, valid, nll = ctx.in_len, ctx.ext_len, ctx.valid, ctx.nll
        width = ext.shape[1]
        rows = xp.arange(n)
        skip_next = _unshift(skip, 2, xp)  # s -> s + 2 allowed
        grad = xp.zeros(lp.shape, dtype=lp.dtype)
        beta = xp.full((n, width), _NEG, dtype=lp.dtype)
        with backend.errstate(xp, invalid="ignore", divide="ignore", over="ignore"):
            for t in range(t_max - 1, -1, -1):
                two = xp.where(skip_next, _unshift(beta, 2, xp), _NEG)
                rec = _lse3(beta, _unshift(beta, 1, xp), two, xp) + lpe[t]
                start = xp.full((n, width), _NEG, dtype=lp.dtype)
                start[rows, ext_len - 1] = lpe[t, rows, ext_len - 1]
                two_back = xp.maximum(ext_len - 2, 0)
                start[rows, two_back] = xp.where(ext_len > 1, lpe[t, rows, two_back],
                                                 start[rows, two_back])
                beta = xp.where((t == in_len - 1)[:, None], start,
                                xp.where((t < in_len - 1)[:, None], rec, _NEG))
                beta = xp.where(valid, beta, _NEG)
                ab = alpha[t] + beta  # (N, S')
                m = ab.max(axis=1)
                m = xp.where(xp.isfinite(m), m, 0.0)
                acc = xp.zeros((n, c), dtype=lp.dtype)
                add_at(xp, acc, (rows[:, None], ext), xp.exp(ab - m[:, None]))
                log_acc = xp.log(acc) + m[:, None]
                gt = xp.exp(lp[t]) - xp.exp(log_acc + nll[:, None] - lp[t])
                live = (t < in_len)[:, None]
                if ctx.zero_inf:
                    live = live & ~xp.isinf(nll)[:, None]
                grad[t] = xp.where(live, gt, 0.0) * g[:, None]
        return grad


def _lengths(v, n, name):
    if isinstance(v, Tensor):
        arr = backend.to_host(v._data).astype(np.int64).reshape(-1)
    else:
        arr = np.asarray(v, dtype=np.int64).reshape(-1)
    if arr.shape[0] != n:
        raise RuntimeError(f"ctc_loss: {name} must have one entry per sample ({n}), got "
                           f"{arr.shape[0]}")
    if (arr < 0).any():
        raise RuntimeError(f"ctc_loss: {name} must be non-negative, got {arr.tolist()}")
    return arr


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """The CTC loss of frame log-probabilities against unaligned target sequences.

    Shape: log_probs (T, N, C) (or (T, C) unbatched), log_softmax outputs; targets (N, S)
    padded or (sum(target_lengths),) concatenated; input_lengths and target_lengths (N,).
    ``'mean'`` divides each loss by its target length, then averages over the batch.
    """
    batched = log_probs.ndim == 3
    if log_probs.ndim not in (2, 3):
        raise RuntimeError(f"ctc_loss: expected log_probs of shape (T, N, C) or (T, C), got "
                           f"{list(log_probs.shape)}")
    lp = log_probs if batched else log_probs.unsqueeze(1)
    t_max, n, c = lp.shape
    if not 0 <= blank < c:
        raise RuntimeError(f"ctc_loss: blank must be in label range [0, {c}), got {blank}")
    in_len = _lengths(input_lengths, n, "input_lengths")
    tg_len = _lengths(target_lengths, n, "target_lengths")
    if (in_len > t_max).any():
        raise RuntimeError(f"ctc_loss: input_lengths {in_len.tolist()} exceed the {t_max} "
                           "frames of log_probs")
    tg = backend.to_host(targets._data).astype(np.int64)
    if not batched and tg.ndim == 1:
        tg = tg[None, :]
    s_max = int(tg_len.max()) if n else 0
    padded = np.full((n, s_max), blank, dtype=np.int64)
    if tg.ndim == 2:
        if tg.shape[0] != n or (s_max and tg.shape[1] < s_max):
            raise RuntimeError(f"ctc_loss: targets of shape {list(targets.shape)} do not hold "
                               f"{n} sequences of lengths {tg_len.tolist()}")
        for b in range(n):
            padded[b, :tg_len[b]] = tg[b, :tg_len[b]]
    else:
        if tg.shape[0] != tg_len.sum():
            raise RuntimeError(f"ctc_loss: {tg.shape[0]} concatenated targets but "
                               f"target_lengths sum to {int(tg_len.sum())}")
        offs = np.concatenate([[0], np.cumsum(tg_len)])
        for b in range(n):
            padded[b, :tg_len[b]] = tg[offs[b]:offs[b + 1]]
    used = np.concatenate([padded[b, :tg_len[b]] for b in range(n)]) if n else padded
    if used.size and (used.min() < 0 or used.max() >= c or (used == blank).any()):
        raise RuntimeError(f"ctc_loss: target labels must be in [0, {c}) and not the blank "
                           f"({blank})")
    ext = np.full((n, 2 * s_max + 1), blank, dtype=np.int64)
    ext[:, 1::2] = padded
    skip = np.zeros(ext.shape, dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    dev = lp.device
    to = (lambda a: backend.to_device(a, dev)) if dev.type != "cpu" else (lambda a: a)
    nll = CTCLoss.apply(lp, to(ext), to(skip), to(in_len), to(2 * tg_len + 1), zero_infinity)
    if reduction == "mean":
        div = _wrap(to(np.maximum(tg_len, 1).astype(lp._data.dtype)), False, None, 0)
        return (nll / div).mean()
    if not batched and reduction == "none":
        return nll.reshape(())
    return _reduce(nll, reduction, "ctc_loss")


# Under autocast these run as PyTorch lists them (float32 for the losses): ember.ops._autocast.
ctc_loss = with_policy("ctc_loss", ctc_loss)
