"""The categorical distribution."""
from __future__ import annotations

import math
import numpy as np
from ..autograd import no_grad
from ..ops import creation as _cr
from ..ops import shape as _sh
from ..size import Size
from . import constraints
from .distribution import Distribution, _as_size
from .utils import lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Categorical"]


class Categorical(Distribution):
    r"""Integers in {0, ..., K-1} drawn with the probabilities of the last dim of ``probs``
    (or ``logits``); the leading dims are batch dims.

    ``probs`` must be non-negative and finite with a non-zero sum; it is normalised to sum
    to 1 over the last dim (the ``probs`` attribute is the normalised value). ``logits`` are
    unnormalised log-probabilities, normalised likewise (``logits - logsumexp``).

    Args:
        probs (Tensor): event probabilities (at least 1-d).
        logits (Tensor): event log-probabilities (give one of the two).
        validate_args (bool, optional): check the arguments.
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.size()[-1]
        batch_shape = self._param.size()[:-1] if self._param.dim() > 1 else Size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expand_into(Categorical, batch_shape, _instance, ("probs", "logits"),
                                (self._num_events,))
        new._param = new.__dict__["probs" if "probs" in self.__dict__ else "logits"]
        new._num_events = self._num_events
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits)

    @property
    def param_shape(self):
        return self._param.size()

    @property
    def mean(self):
        return _cr.full(self._extended_shape(), math.nan, dtype=self.probs.dtype,
                        device=self.probs.device)

    @property
    def mode(self):
        return self.probs.argmax(dim=-1)

    @property
    def variance(self):
        return _cr.full(self._extended_shape(), math.nan, dtype=self.probs.dtype,
                        device=self.probs.device)

    def sample(self, sample_shape=Size()):
        sample_shape = _as_size(sample_shape)
        with no_grad():
            # inverse CDF, all draws at once: the first category whose cumulative
            # probability exceeds a uniform draw (the CDF is renormalised so it ends at 1)
            cdf = self.probs.cumsum(-1)
            cdf = cdf / cdf[..., -1:]
            shape = tuple(sample_shape) + tuple(self._batch_shape) + (1,)
            u = _cr.rand(*shape, dtype=cdf.dtype, device=cdf.device)
            idx = (cdf <= u).sum(-1)
            return idx.clamp(max=self._num_events - 1)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = _sh.broadcast_tensors(value, self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self):
        min_real = float(np.finfo(self.logits._data.dtype).min)
        p_log_p = self.logits.clamp(min=min_real) * self.probs
        return -p_log_p.sum(-1)

    def enumerate_support(self, expand=True):
        values = _cr.arange(self._num_events, device=self._param.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + tuple(self._batch_shape))
        return values
