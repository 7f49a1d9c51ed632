"""Loss functions. Cross-entropy is one fused, stable op; the others are compositions.

Every loss takes ``reduction`` = ``'mean'`` | ``'sum'`` | ``'none'`` as in PyTorch.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..autograd.function import Op
from ..tensor import Tensor, _wrap
from . import elementwise as E
from ._autocast import with_policy
from ._util import xp_of

__all__ = ["cross_entropy", "nll_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "mse_loss", "l1_loss", "smooth_l1_loss",
           "huber_loss", "kl_div", "gaussian_nll_loss", "poisson_nll_loss",
           "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss",
           "triplet_margin_loss", "cosine_similarity", "pairwise_distance"]


def legacy_reduction(size_average, reduce, reduction: str) -> str:
    """The ``reduction`` that PyTorch's deprecated ``size_average``/``reduce`` pair selects.

    Both None: ``reduction`` as given. Otherwise (None counting as True) ``reduce`` false gives
    ``'none'``, else ``size_average`` false gives ``'sum'``, else ``'mean'``; the pair then
    overrides ``reduction``, with PyTorch's deprecation warning (a ``UserWarning``).
    """
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn("size_average and reduce args will be deprecated, please use "
                  f"reduction='{ret}' instead.", stacklevel=2)
    return ret


def _reduce(loss: Tensor, reduction: str, name: str) -> Tensor:
    if reduction == "mean":
        return loss.mean() if loss.numel() else loss.sum() * float("nan")
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{name}: {reduction} is not a valid value for reduction")


def _check_targets(name, target, n_classes, ignore_index):
    t = target._data
    if t.dtype.kind not in "iu":
        raise RuntimeError(f"{name}: expected target of an integer dtype (class indices), got "
                           f"{target.dtype}")
    if t.size:
        bad = (t < 0) | (t >= n_classes)
        if ignore_index is not None:
            bad &= t != ignore_index
        if bool(bad.any()):
            v = int(t[bad].reshape(-1)[0])
            raise IndexError(f"{name}: Target {v} is out of bounds (the input has {n_classes} "
                             "classes).")


def _flatten_classes(input: Tensor, target: Tensor, name: str):
    """(N, C, d1, ...) logits and (N, d1, ...) targets -> (M, C) and (M,)."""
    if input.ndim == 1:  # unbatched (C,) with a 0-d target
        return input.unsqueeze(0), target.reshape(1)
    if input.ndim < 1:
        raise RuntimeError(f"{name}: input must have at least 1 dim, got {tuple(input.shape)}")
    expected = (input.shape[0],) + tuple(input.shape[2:])
    if tuple(target.shape) != expected:
        raise RuntimeError(f"{name}: expected target of shape {list(expected)} for input of shape "
                           f"{list(input.shape)}, got {list(target.shape)}")
    c = input.shape[1]
    x = input.movedim(1, -1).reshape(-1, c) if input.ndim > 2 else input
    return x, target.reshape(-1)


def _class_targets(name, input, target, weight, ignore_index):
    """Flatten to (M, C) scores and (M,) targets; per-sample weights, 0 for ignored targets.

    Returns ``(x, safe_targets, weights, keep_mask)`` (ignored targets replaced by 0).
    """
    for other in (target, weight):
        if other is not None and type(other._data) is not type(input._data):
            raise RuntimeError(
                f"{name}: expected all tensors to be on the same device, but found at least two "
                f"devices, {input.device} (input) and {other.device}!")
    c = input.shape[1] if input.ndim > 1 else input.shape[0]
    x, y = _flatten_classes(input, target, name)
    _check_targets(name, target, c, ignore_index)
    xp = xp_of(x._data)
    yd = y._data.astype(np.int64, copy=False)
    keep = yd != ignore_index
    ysafe = xp.where(keep, yd, 0)
    wv = weight._data[ysafe] if weight is not None else xp.ones(yd.shape, dtype=x._data.dtype)
    return x, ysafe, (wv * keep).astype(x._data.dtype, copy=False), keep


def _softmax_minus_onehot(x: Tensor, y) -> Tensor:
    """softmax(x) - onehot(y) over rows, recorded (the cross-entropy's gradient, for a
    backward that is itself differentiated)."""
    from .activation import softmax  # noqa: PLC0415

    xp = xp_of(x._data)
    onehot = xp.zeros(x.shape, dtype=x._data.dtype)
    onehot[xp.arange(x.shape[0]), y] = 1
    return softmax(x, 1) - _wrap(onehot, False, None, 0)


class CrossEntropy(Op):
    """Softmax cross-entropy with class indices, fused: -w_y log_softmax(x)_y.

    The log-softmax is formed stably (x - max - log sum exp) and never as
    log(softmax). ``wsum`` normalises a mean over the weights of the targets.
    Backward: (softmax(x) - onehot(y)) w_y times the upstream gradient.
    Shape: x (M, C), y (M,) -> (M,) per-sample losses (reduction applied outside).
    """

    @staticmethod
    def forward(ctx, x, y, w):
        xp = xp_of(x)
        m = x.max(axis=1, keepdims=True) if x.size else 0
        s = x - m
        lse = xp.log(xp.exp(s).sum(axis=1, keepdims=True))
        rows = xp.arange(x.shape[0])
        picked = s[rows, y] - lse[:, 0]
        ctx.save_for_backward(x)
        ctx.y, ctx.w = y, w
        return -picked * w

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        scale = (g * _wrap(ctx.w, False, None, 0)).unsqueeze(1)
        return _softmax_minus_onehot(x, ctx.y) * scale, None, None

    @staticmethod
    def fast_backward(ctx, g):
        x, = ctx.saved_arrays
        xp = xp_of(x)
        m = x.max(axis=1, keepdims=True)
        p = xp.exp(x - m)
        p /= p.sum(axis=1, keepdims=True)
        p[xp.arange(x.shape[0]), ctx.y] -= 1
        p *= (g * ctx.w)[:, None]
        return p, None, None


class CrossEntropyMean(Op):
    """``CrossEntropy`` in its most common use, fused with its mean: (N, C) scores, (N,)
    class indices, no weights, no ignored target — one graph node, no per-sample weights.
    Forward: mean over rows of logsumexp(x) - x_y. Backward: (softmax(x) - onehot(y)) g / N.
    Shape: x (N, C), y (N,) -> () scalar."""

    @staticmethod
    def forward(ctx, x, y):
        xp = xp_of(x)
        m = x.max(axis=1, keepdims=True)
        s = x - m
        lse = xp.log(xp.exp(s).sum(axis=1))
        picked = s[xp.arange(x.shape[0]), y]
        ctx.save_for_backward(x)
        ctx.y = y
        return xp.asarray((lse - picked).mean(dtype=x.dtype), dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return _softmax_minus_onehot(x, ctx.y) * (g / x.shape[0]), None

    @staticmethod
    def fast_backward(ctx, g):
        x, = ctx.saved_arrays
        xp = xp_of(x)
        p = x - x.max(axis=1, keepdims=True)
        xp.exp(p, out=p)
        p /= p.sum(axis=1, keepdims=True)
        p[xp.arange(x.shape[0]), ctx.y] -= 1
        p *= g / x.shape[0]
        return p, None


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between logits ``input`` and class indices or class probabilities.

    Shape: input (N, C) or (N, C, d1, ...) or (C,); target (N) / (N, d1, ...) / ()
    of class indices, or the input's shape for probabilities.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got "
                         f"{label_smoothing}")
    c = input.shape[1] if input.ndim > 1 else input.shape[0]
    if weight is not None and tuple(weight.shape) != (c,):
        raise RuntimeError(f"cross_entropy: weight must have shape ({c},), got "
                           f"{tuple(weight.shape)}")
    if target._data.dtype.kind == "f":  # class probabilities
        if tuple(target.shape) != tuple(input.shape):
            raise RuntimeError(f"cross_entropy: probability targets must match the input shape "
                               f"{list(input.shape)}, got {list(target.shape)}")
        from .activation import log_softmax  # noqa: PLC0415

        logp = log_softmax(input, 1 if input.ndim > 1 else 0)
        t = target * (1 - label_smoothing) + label_smoothing / c if label_smoothing else target
        if weight is not None:
            wshape = (c,) + (1,) * (input.ndim - 2) if input.ndim > 1 else (c,)
            t = t * weight.reshape(wshape)
        loss = -(logp * t).sum(1 if input.ndim > 1 else 0)
        return _reduce(loss, reduction, "cross_entropy")
    if (reduction == "mean" and weight is None and not label_smoothing and input.ndim == 2
            and target.ndim == 1 and input.shape[0] and target.shape[0] == input.shape[0]
            and type(target._data) is type(input._data)):
        _check_targets("cross_entropy", target, c, ignore_index)
        y = target._data
        if ignore_index is None or not (y == ignore_index).any():
            return CrossEntropyMean.apply(input, y)
    x, ysafe, wv, keep = _class_targets("cross_entropy", input, target, weight, ignore_index)
    per = CrossEntropy.apply(x, ysafe, wv)
    if label_smoothing:
        from .activation import log_softmax  # noqa: PLC0415

        logp = log_softmax(x, 1)
        wc = weight if weight is not None else None
        smooth = -(logp * wc).sum(1) if wc is not None else -logp.sum(1)
        smooth = smooth * _wrap(keep.astype(x._data.dtype), False, None, 0)
        eps = label_smoothing
        if reduction == "mean":
            denom = float(wv.sum()) if weight is not None else float(keep.sum())
            return (1 - eps) * per.sum() / float(wv.sum()) + smooth.sum() / denom * (eps / c)
        nll = per
        out = (1 - eps) * nll + smooth * (eps / c)
        out = out.reshape(target.shape) if reduction == "none" else out
        return _reduce(out, reduction, "cross_entropy")
    if reduction == "mean":
        return per.sum() / float(wv.sum())
    if reduction == "none":
        return per.reshape(target.shape)
    return _reduce(per, reduction, "cross_entropy")


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of the class ``target`` under log-probabilities ``input``."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    x, ysafe, wv, _ = _class_targets("nll_loss", input, target, weight, ignore_index)
    picked = x.gather(1, _wrap(ysafe[:, None], False, None, 0)).squeeze(1)
    per = -picked * _wrap(wv, False, None, 0)
    if reduction == "mean":
        return per.sum() / float(wv.sum())
    if reduction == "none":
        return per.reshape(target.shape)
    return _reduce(per, reduction, "nll_loss")


def _same_shape(name, input, target):
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"{name}: Using a target size ({list(target.shape)}) that is different "
                         f"to the input size ({list(input.shape)}) is not supported")


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """-(t log p + (1 - t) log(1 - p)) with each log clamped at -100, as PyTorch."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _same_shape("binary_cross_entropy", input, target)
    d = input._data
    if d.size and (float(d.min()) < 0 or float(d.max()) > 1):
        raise RuntimeError("binary_cross_entropy: all elements of input should be between 0 "
                           "and 1")
    lp = E.clamp(E.log(input), min=-100.0)
    lq = E.clamp(E.log(1 - input), min=-100.0)
    loss = -(target * lp + (1 - target) * lq)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """BCE on logits without forming sigmoid: (1 - t) x + (1 + (pw - 1) t) softplus(-x).

    softplus(-x) = max(-x, 0) + log1p(e^-|x|) stays finite for |x| of 1e4.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    _same_shape("binary_cross_entropy_with_logits", input, target)
    sp = E.clamp(-input, min=0.0) + E.log1p(E.exp(-E.abs(input)))
    if pos_weight is not None:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * sp
    else:
        loss = (1 - target) * input + sp
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


def _warn_size(name, input, target):
    """PyTorch's warning for the classic bug of a (N,) target against a (N, 1) output."""
    if isinstance(target, Tensor) and target._data.shape != input._data.shape:
        warnings.warn(f"{name}: Using a target size ({target.shape}) that is different to the "
                      f"input size ({input.shape}). This will likely lead to incorrect results "
                      "due to broadcasting. Please ensure they have the same size.", stacklevel=3)


def _weighted(name, loss: Tensor, weight, reduction: str, input: Tensor) -> Tensor:
    """PyTorch's optional per-element ``weight`` of mse_loss and l1_loss: the weighted
    elements, their sum, or their sum over the weights' sum for 'mean'."""
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(f"{name}: Weights and input must have the same size (weight "
                         f"{list(weight.shape)}, input {list(input.shape)}).")
    loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / weight.sum()
    raise ValueError(f"{name}: Invalid reduction mode: {reduction}. Expected one of 'none', "
                     "'mean', 'sum'.")


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean squared error (the lectures' quadratic loss); ``weight`` (the input's shape)
    weighs each element, and 'mean' then divides by the weights' sum."""
    _warn_size("mse_loss", input, target)
    reduction = legacy_reduction(size_average, reduce, reduction)
    d = input - target
    if weight is not None:
        return _weighted("mse_loss", d * d, weight, reduction, input)
    return _reduce(d * d, reduction, "mse_loss")


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean absolute error; ``weight`` as in :func:`mse_loss`."""
    _warn_size("l1_loss", input, target)
    reduction = legacy_reduction(size_average, reduce, reduction)
    if weight is not None:
        return _weighted("l1_loss", E.abs(input - target), weight, reduction, input)
    return _reduce(E.abs(input - target), reduction, "l1_loss")


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    _warn_size("smooth_l1_loss", input, target)
    a = E.abs(input - target)
    if beta == 0:
        return _reduce(a, reduction, "smooth_l1_loss")
    loss = E.where(a < beta, 0.5 * a * a / beta, a - 0.5 * beta)
    return _reduce(loss, reduction, "smooth_l1_loss")


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean",
               delta: float = 1.0, weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| <= delta, delta (|d| - 0.5 delta) elsewhere; ``weight`` (the input's
    shape) multiplies each element before the reduction (a plain mean, as PyTorch)."""
    _warn_size("huber_loss", input, target)
    a = E.abs(input - target)
    loss = E.where(a <= delta, 0.5 * a * a, delta * (a - 0.5 * delta))
    if weight is not None:
        if tuple(weight.shape) != tuple(input.shape):
            raise ValueError(f"huber_loss: Weights and input must have the same size (weight "
                             f"{list(weight.shape)}, input {list(input.shape)}).")
        loss = loss * weight
    return _reduce(loss, reduction, "huber_loss")


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) pointwise: t (log t - x), 0 where t = 0; 'batchmean' divides by N.

    ``reduction='mean'`` (the default) divides by every element, not the batch size alone, and
    warns as PyTorch does.
    """
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    if log_target:
        loss = E.exp(target) * (target - input)
    else:
        safe = E.where(target > 0, target, 1.0)
        loss = E.where(target > 0, target * (E.log(safe) - input), 0.0 * input)
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction, "kl_div")


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """0.5 (log max(var, eps) + (x - t)^2 / max(var, eps)) (+ 0.5 log 2 pi when ``full``)."""
    if not isinstance(var, Tensor):
        var = _wrap(xp_of(input._data).full(input._data.shape[:-1] + (1,) if input.ndim else (),
                                           float(var), dtype=input._data.dtype), False, None, 0)
    if var.ndim == input.ndim - 1 and tuple(var.shape) == tuple(input.shape[:-1]):
        var = var.unsqueeze(-1)
    if bool((var._data < 0).any()):
        raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    from .._grad_mode import no_grad  # noqa: PLC0415

    with no_grad():
        floor = E.clamp(var, min=eps) - var
    v = var + floor  # clamp with the gradient of var passing through, as PyTorch
    loss = 0.5 * (E.log(v) + (input - target) ** 2 / v)
    if full:
        loss = loss + 0.5 * float(np.log(2 * np.pi))
    return _reduce(loss, reduction, "gaussian_nll_loss")


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """exp(x) - t x (log_input) or x - t log(x + eps); ``full`` adds Stirling's term."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if log_input:
        loss = E.exp(input) - target * input
    else:
        loss = input - target * E.log(input + eps)
    if full:
        t = target.detach()
        safe = E.where(t > 1, t, 1.0)
        stirling = safe * E.log(safe) - safe + 0.5 * E.log(2 * np.pi * safe)
        loss = loss + E.where(t > 1, stirling, 0.0)
    return _reduce(loss, reduction, "poisson_nll_loss")


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -y (x1 - x2) + margin)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    loss = E.clamp(-target * (input1 - input2) + margin, min=0.0)
    return _reduce(loss, reduction, "margin_ranking_loss")


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    pos = E.where(target == 1, input, 0.0)
    neg = E.where(target == -1, E.clamp(margin - input, min=0.0), 0.0)
    return _reduce(pos + neg, reduction, "hinge_embedding_loss")


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """x1 . x2 / max(||x1|| ||x2||, eps) along ``dim``."""
    dot = (x1 * x2).sum(dim)
    n1 = E.sqrt((x1 * x1).sum(dim))
    n2 = E.sqrt((x2 * x2).sum(dim))
    return dot / E.clamp(n1 * n2, min=eps)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p along the last dim."""
    from .reduce import norm  # noqa: PLC0415

    return norm(x1 - x2 + eps, p=p, dim=-1, keepdim=keepdim)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    eps = 1e-12
    dot = (input1 * input2).sum(-1)
    mag = E.sqrt(((input1 * input1).sum(-1) + eps) * ((input2 * input2).sum(-1) + eps))
    cos = dot / mag
    pos = E.where(target == 1, 1 - cos, 0.0)
    neg = E.where(target == -1, E.clamp(cos - margin, min=0.0), 0.0)
    return _reduce(pos + neg, reduction, "cosine_embedding_loss")


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2.0, eps: float = 1e-6, swap: bool = False, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0) with d the p-norm distance."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = E.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce(E.clamp(d_pos - d_neg + margin, min=0.0), reduction, "triplet_margin_loss")


# Under autocast these run as PyTorch lists them (float32 for the losses): ember.ops._autocast.
cross_entropy = with_policy("cross_entropy", cross_entropy)
nll_loss = with_policy("nll_loss", nll_loss)
binary_cross_entropy = with_policy("binary_cross_entropy", binary_cross_entropy)
binary_cross_entropy_with_logits = with_policy("binary_cross_entropy_with_logits",
                                               binary_cross_entropy_with_logits)
mse_loss = with_policy("mse_loss", mse_loss)
l1_loss = with_policy("l1_loss", l1_loss)
smooth_l1_loss = with_policy("smooth_l1_loss", smooth_l1_loss)
huber_loss = with_policy("huber_loss", huber_loss)
kl_div = with_policy("kl_div", kl_div)
poisson_nll_loss = with_policy("poisson_nll_loss", poisson_nll_loss)
margin_ranking_loss = with_policy("margin_ranking_loss", margin_ranking_loss)
hinge_embedding_loss = with_policy("hinge_embedding_loss", hinge_embedding_loss)
cosine_similarity = with_policy("cosine_similarity", cosine_similarity)
pairwise_distance = with_policy("pairwise_distance", pairwise_distance)
cosine_embedding_loss = with_policy("cosine_embedding_loss", cosine_embedding_loss)
triplet_margin_loss = with_policy("triplet_margin_loss", triplet_margin_loss)
