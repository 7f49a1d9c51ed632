"""The continuous Bernoulli distribution (Loaiza-Ganem & Cunningham, 2019)."""
from __future__ import annotations

import math
import numbers

from ..nn import functional as F
from ..ops import creation as _cr
from ..ops import elementwise as _ew
from ..size import Size
from . import constraints
from .exp_family import ExponentialFamily
from .utils import broadcast_all, clamp_probs, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["ContinuousBernoulli"]


class ContinuousBernoulli(ExponentialFamily):
    r"""The continuous Bernoulli distribution on [0, 1], density proportional to
    :math:`\lambda^x (1-\lambda)^{1-x}`, with the normaliser written stably: within
    ``lims`` of 1/2 by its Taylor expansion.

    Args:
        probs (Number or Tensor): lambda in (0, 1).
        logits (Number or Tensor): its log-odds (give one of the two).
        lims (tuple of float): the interval around 1/2 where the Taylor expansions are used.
        validate_args (bool, optional): check the arguments.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    _mean_carrier_measure = 0
    has_rsample = True

    def __init__(self, probs=None, logits=None, lims=(0.499, 0.501), validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            is_scalar = isinstance(probs, numbers.Number)
            (self.probs,) = broadcast_all(probs)
            if validate_args is not None:
                if not bool(self.arg_constraints["probs"].check(self.probs).all()):
                    raise ValueError("The parameter probs has invalid values")
            self.probs = clamp_probs(self.probs)
        else:
            is_scalar = isinstance(logits, numbers.Number)
            (self.logits,) = broadcast_all(logits)
        self._param = self.probs if probs is not None else self.logits
        self._lims = lims
        super().__init__(Size() if is_scalar else self._param.size(),
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expand_into(ContinuousBernoulli, batch_shape, _instance,
                                ("probs", "logits"))
        new._lims = self._lims
        new._param = new.__dict__["probs" if "probs" in self.__dict__ else "logits"]
        return new

    def _outside_unstable_region(self):
        return (self.probs <= self._lims[0]) | (self.probs > self._lims[1])

    def _cut_probs(self):
        return _ew.where(self._outside_unstable_region(), self.probs,
                         self._lims[0] * _cr.ones_like(self.probs))

    def _cont_bern_log_norm(self):
        """log C(lambda), the log normaliser, Taylor-expanded near 1/2."""
        cut = self._cut_probs()
        below = _ew.where(cut <= 0.5, cut, _cr.zeros_like(cut))
        above = _ew.where(cut >= 0.5, cut, _cr.ones_like(cut))
        log_norm = _ew.log((_ew.log1p(-cut) - _ew.log(cut)).abs()) - _ew.where(
            cut <= 0.5, _ew.log1p(-2.0 * below), _ew.log(2.0 * above - 1.0))
        x = (self.probs - 0.5).pow(2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return _ew.where(self._outside_unstable_region(), log_norm, taylor)

    @property
    def mean(self):
        cut = self._cut_probs()
        mus = cut / (2.0 * cut - 1.0) + 1.0 / (_ew.log1p(-cut) - _ew.log(cut))
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x.pow(2)) * x
        return _ew.where(self._outside_unstable_region(), mus, taylor)

    @property
    def stddev(self):
        return self.variance.sqrt()

    @property
    def variance(self):
        cut = self._cut_probs()
        var = cut * (cut - 1.0) / (1.0 - 2.0 * cut).pow(2) + \
            1.0 / (_ew.log1p(-cut) - _ew.log(cut)).pow(2)
        x = (self.probs - 0.5).pow(2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return _ew.where(self._outside_unstable_region(), var, taylor)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    @property
    def param_shape(self):
        return self._param.size()

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        u = _cr.rand(*shape, dtype=self.probs.dtype, device=self.probs.device)
        return self.icdf(u)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -F.binary_cross_entropy_with_logits(logits, value, reduction="none") + \
            self._cont_bern_log_norm()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        cut = self._cut_probs()
        cdfs = (cut.pow(value) * (1.0 - cut).pow(1.0 - value) + cut - 1.0) / (2.0 * cut - 1.0)
        unbounded = _ew.where(self._outside_unstable_region(), cdfs, value)
        return _ew.where(value <= 0.0, _cr.zeros_like(value),
                         _ew.where(value >= 1.0, _cr.ones_like(value), unbounded))

    def icdf(self, value):
        cut = self._cut_probs()
        inverted = (_ew.log1p(-cut + value * (2.0 * cut - 1.0)) - _ew.log1p(-cut)) / \
            (_ew.log(cut) - _ew.log1p(-cut))
        return _ew.where(self._outside_unstable_region(), inverted, value)

    def entropy(self):
        log_probs0 = _ew.log1p(-self.probs)
        log_probs1 = _ew.log(self.probs)
        return self.mean * (log_probs0 - log_probs1) - self._cont_bern_log_norm() - log_probs0

    @property
    def _natural_params(self):
        return (self.logits,)

    def _log_normalizer(self, x):
        outside = (x <= self._lims[0] - 0.5) | (x > self._lims[1] - 0.5)
        cut = _ew.where(outside, x, (self._lims[0] - 0.5) * _cr.ones_like(x))
        log_norm = _ew.log(_ew.expm1(cut).abs()) - _ew.log(cut.abs())
        taylor = 0.5 * x + x.pow(2) / 24.0 - x.pow(4) / 2880.0
        return _ew.where(outside, log_norm, taylor)
