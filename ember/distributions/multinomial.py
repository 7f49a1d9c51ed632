"""The multinomial distribution."""
from __future__ import annotations

import math

from ..autograd import no_grad
from ..nn import functional as F
from ..ops import creation as _cr
from ..ops import elementwise as _ew
from ..size import Size
from . import constraints
from ._special import lgamma
from .binomial import Binomial
from .categorical import Categorical
from .distribution import Distribution, _as_size
from .utils import broadcast_all

__all__ = ["Multinomial"]


class Multinomial(Distribution):
    r"""Counts of ``total_count`` independent draws from a categorical distribution over
    the last dim of ``probs`` (or ``logits``). ``total_count`` is one int for the whole
    batch; ``log_prob`` does not need it (any counts are scored).

    Args:
        total_count (int): the number of draws. Default: 1.
        probs (Tensor): event probabilities.
        logits (Tensor): event log-probabilities (give one of the two).
        validate_args (bool, optional): check the arguments.
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expand_into(Multinomial, batch_shape, _instance)
        new.total_count = self.total_count
        new._categorical = self._categorical.expand(batch_shape)
        return new

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return constraints.multinomial(self.total_count)

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def param_shape(self):
        return self._categorical.param_shape

    def sample(self, sample_shape=Size()):
        sample_shape = _as_size(sample_shape)
        with no_grad():
            draws = self._categorical.sample(Size((self.total_count,) + tuple(sample_shape)))
            counts = F.one_hot(draws, self._categorical._num_events).sum(0)
            return counts.reshape(tuple(self._extended_shape(sample_shape))).to(
                self.probs.dtype)

    def entropy(self):
        n = _cr.tensor(float(self.total_count), dtype=self.probs.dtype)
        term1 = n * self._categorical.entropy() - lgamma(n + 1)
        support = self._binomial.enumerate_support(expand=False)[1:]
        binomial_probs = _ew.exp(self._binomial.log_prob(support))
        term2 = (binomial_probs * lgamma(support + 1)).sum((0, -1))
        return term1 + term2

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_factorial_n = lgamma(value.sum(-1) + 1)
        log_factorial_xs = lgamma(value + 1).sum(-1)
        logits = _ew.where((value == 0) & (logits == -math.inf), 0.0, logits)
        return log_factorial_n - log_factorial_xs + (logits * value).sum(-1)
