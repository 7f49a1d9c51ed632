"""Loss modules: each holds its options and calls the functional form."""
from __future__ import annotations

import inspect

from ... import ops
from ...ops.loss import legacy_reduction
from ..module import Module

__all__ = ["CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "MSELoss", "L1Loss",
           "SmoothL1Loss", "HuberLoss", "KLDivLoss", "GaussianNLLLoss", "PoissonNLLLoss",
           "MarginRankingLoss", "HingeEmbeddingLoss", "CosineEmbeddingLoss",
           "TripletMarginLoss", "SoftMarginLoss", "MultiLabelMarginLoss",
           "MultiLabelSoftMarginLoss", "MultiMarginLoss", "TripletMarginWithDistanceLoss",
           "CTCLoss"]


class _Loss(Module):
    """The base of the losses. The deprecated ``size_average``/``reduce`` pair, when either is
    given, overrides ``reduction`` as in PyTorch (``reduce=False``: 'none'; else
    ``size_average=False``: 'sum'; else 'mean'), with PyTorch's deprecation warning."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__()
        reduction = legacy_reduction(size_average, reduce, reduction)
        if reduction not in ("mean", "sum", "none", "batchmean"):
            raise ValueError(f"{reduction} is not a valid value for reduction")
        self.reduction = reduction


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy of logits against class indices or class probabilities.

    Shape: input (N, C) or (N, C, d1, ...); target (N) / (N, d1, ...) indices
    in [0, C) or probabilities shaped like the input.
    """

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        return ops.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                                 reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices under log-probabilities."""

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return ops.nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                            reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities."""

    def forward(self, input, target):
        return ops.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of logits (stable; ``pos_weight`` weighs the positives)."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean",
                 pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return ops.binary_cross_entropy_with_logits(input, target, self.weight,
                                                    reduction=self.reduction,
                                                    pos_weight=self.pos_weight)


_STD = ("size_average", "reduce", "reduction")


def _simple(name, fn, doc, order=_STD, **opts):
    """A loss class over ``fn`` whose constructor takes PyTorch's arguments in PyTorch's order
    (``order``: the positional names; ``opts``: the options with their defaults)."""
    def __init__(self, *args, **kw):
        if len(args) > len(order):
            raise TypeError(f"{name}() takes at most {len(order)} positional arguments")
        for k, v in zip(order, args):
            if k in kw:
                raise TypeError(f"{name}() got multiple values for argument '{k}'")
            kw[k] = v
        _Loss.__init__(self, kw.pop("size_average", None), kw.pop("reduce", None),
                       kw.pop("reduction", "mean"))
        for k, v in opts.items():
            setattr(self, k, kw.pop(k, v))
        if kw:
            raise TypeError(f"{name}() got unexpected arguments {sorted(kw)}")

    def forward(self, *inputs):
        return fn(*inputs, reduction=self.reduction, **{k: getattr(self, k) for k in opts})

    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    defaults = dict(size_average=None, reduce=None, reduction="mean", **opts)
    params += [inspect.Parameter(k, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=defaults[k])
               for k in order]
    params += [inspect.Parameter(k, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=v)
               for k, v in opts.items() if k not in order]
    __init__.__signature__ = inspect.Signature(params)
    return type(name, (_Loss,), {"__init__": __init__, "forward": forward, "__doc__": doc,
                                 "__module__": __name__})


MSELoss = _simple("MSELoss", ops.mse_loss, "Mean squared error.")
L1Loss = _simple("L1Loss", ops.l1_loss, "Mean absolute error.")
SmoothL1Loss = _simple("SmoothL1Loss", ops.smooth_l1_loss, "Quadratic below beta, linear above.",
                       _STD + ("beta",), beta=1.0)
HuberLoss = _simple("HuberLoss", ops.huber_loss, "Quadratic below delta, linear above.",
                    ("reduction", "delta"), delta=1.0)
KLDivLoss = _simple("KLDivLoss", ops.kl_div, "KL divergence; input are log-probabilities.",
                    _STD + ("log_target",), log_target=False)
PoissonNLLLoss = _simple("PoissonNLLLoss", ops.poisson_nll_loss, "Poisson negative log-lik.",
                         ("log_input", "full", "size_average", "eps", "reduce", "reduction"),
                         log_input=True, full=False, eps=1e-8)
MarginRankingLoss = _simple("MarginRankingLoss", ops.margin_ranking_loss,
                            "max(0, -y (x1 - x2) + margin).", ("margin",) + _STD, margin=0.0)
HingeEmbeddingLoss = _simple("HingeEmbeddingLoss", ops.hinge_embedding_loss,
                             "x for y = 1, max(0, margin - x) for y = -1.", ("margin",) + _STD,
                             margin=1.0)
CosineEmbeddingLoss = _simple("CosineEmbeddingLoss", ops.cosine_embedding_loss,
                              "1 - cos for y = 1, max(0, cos - margin) for y = -1.",
                              ("margin",) + _STD, margin=0.0)
TripletMarginLoss = _simple("TripletMarginLoss", ops.triplet_margin_loss,
                            "max(d(a, p) - d(a, n) + margin, 0).",
                            ("margin", "p", "eps", "swap") + _STD, margin=1.0, p=2.0, eps=1e-6,
                            swap=False)
SoftMarginLoss = _simple("SoftMarginLoss", ops.soft_margin_loss,
                         "log(1 + exp(-y x)) for y in {-1, 1}, the two-class logistic loss.")
MultiLabelMarginLoss = _simple("MultiLabelMarginLoss", ops.multilabel_margin_loss,
                               "Hinge between each target class and each other class; targets "
                               "are class indices padded with -1.")


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """One logistic loss per class (targets 0/1), averaged over the classes.

    Shape: input (N, C), target (N, C) -> ().
    """

    def forward(self, input, target):
        return ops.multilabel_soft_margin_loss(input, target, self.weight,
                                               reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """The multi-class hinge (SVM) loss: sum_{j != y} max(0, margin - x_y + x_j)^p / C.

    Shape: input (N, C), target (N,) class indices -> ().
    """

    def __init__(self, p: int = 1, margin: float = 1.0, weight=None, size_average=None,
                 reduce=None, reduction: str = "mean"):
        if p not in (1, 2):
            raise ValueError("only p == 1 and p == 2 supported")
        super().__init__(weight, size_average, reduce, reduction)
        self.p, self.margin = p, margin

    def forward(self, input, target):
        return ops.multi_margin_loss(input, target, self.p, self.margin, self.weight,
                                     reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """max(d(a, p) - d(a, n) + margin, 0) with any distance function (default Euclidean)."""

    def __init__(self, *, distance_function=None, margin: float = 1.0, swap: bool = False,
                 reduction: str = "mean"):
        super().__init__(reduction=reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater "
                             f"than 0, got {margin} instead")
        self.distance_function, self.margin, self.swap = distance_function, margin, swap

    def forward(self, anchor, positive, negative):
        return ops.triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction)


class CTCLoss(_Loss):
    """Connectionist temporal classification of unaligned label sequences.

    Shape: log_probs (T, N, C) from log_softmax, targets (N, S) or concatenated,
    input_lengths (N,), target_lengths (N,) -> () (or (N,) with reduction='none').
    """

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False):
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return ops.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank,
                            self.reduction, self.zero_infinity)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood with a predicted variance."""

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean"):
        super().__init__(reduction=reduction)
        self.full, self.eps = full, eps

    def forward(self, input, target, var):
        return ops.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                     reduction=self.reduction)
