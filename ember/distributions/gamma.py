"""The gamma distribution."""
from __future__ import annotations

import numbers
import numpy as np
from ..ops import creation as _cr
from ..ops import elementwise as _ew
from ..size import Size
from ..tensor import Tensor
from . import constraints
from ._samplers import gammainc, standard_gamma
from ._special import digamma, lgamma, xlogy
from .exp_family import ExponentialFamily
from .utils import broadcast_all

__all__ = ["Gamma"]


class Gamma(ExponentialFamily):
    r"""The gamma distribution with shape ``concentration`` and ``rate`` (inverse scale):
    density :math:`\beta^\alpha x^{\alpha-1} e^{-\beta x} / \Gamma(\alpha)`.

    ``rsample`` is differentiable in both parameters: the standard gamma draw moves with
    the concentration by implicit reparameterisation (dx/da = -(dF/da)/p).

    Args:
        concentration (float or Tensor): the shape alpha (> 0).
        rate (float or Tensor): the rate beta (> 0).
        validate_args (bool, optional): check the arguments.
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        if isinstance(concentration, numbers.Number) and isinstance(rate, numbers.Number):
            batch_shape = Size()
        else:
            batch_shape = self.concentration.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_into(Gamma, batch_shape, _instance, ("concentration", "rate"))

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        value = standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        tiny = float(np.finfo(value._data.dtype).tiny)
        return _ew.where(value.detach() < tiny, value - value.detach() + tiny, value)

    def log_prob(self, value):
        if not isinstance(value, Tensor):
            value = _cr.tensor(value, dtype=self.rate.dtype, device=self.rate.device)
        if self._validate_args:
            self._validate_sample(value)
        return (xlogy(self.concentration, self.rate) + xlogy(self.concentration - 1, value) -
                self.rate * value - lgamma(self.concentration))

    def entropy(self):
        return (self.concentration - _ew.log(self.rate) + lgamma(self.concentration) +
                (1.0 - self.concentration) * digamma(self.concentration))

    @property
    def _natural_params(self):
        return (self.concentration - 1, -self.rate)

    def _log_normalizer(self, x, y):
        return lgamma(x + 1) + (x + 1) * _ew.log(-y.reciprocal())

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a, x = broadcast_all(self.concentration, self.rate * value)
        return gammainc(a, x)
