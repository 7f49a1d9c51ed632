"""The Laplace distribution."""
from __future__ import annotations

import numpy as np
from ..ops import elementwise as _ew
from ..size import Size
from .cauchy import _LocScale

__all__ = ["Laplace"]


class Laplace(_LocScale):
    r"""The Laplace (double exponential) distribution, density
    :math:`e^{-|x - \mu| / b} / (2b)`.

    Args:
        loc (float or Tensor): the mean mu.
        scale (float or Tensor): the scale b (> 0).
        validate_args (bool, optional): check the arguments.
    """

    def expand(self, batch_shape, _instance=None):
        return self._expand_into(Laplace, batch_shape, _instance, ("loc", "scale"))

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return 2 * self.scale.pow(2)

    @property
    def stddev(self):
        return (2 ** 0.5) * self.scale

    def rsample(self, sample_shape=Size()):
        eps = float(np.finfo(self.loc._data.dtype).eps)
        u = self._uniform(self._extended_shape(sample_shape)) * (2 - eps) + (eps - 1)
        return self.loc - self.scale * u.sign() * _ew.log1p(-u.abs())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -_ew.log(2 * self.scale) - (value - self.loc).abs() / self.scale

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        d = value - self.loc
        return 0.5 - 0.5 * d.sign() * _ew.expm1(-d.abs() / self.scale)

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * _ew.log1p(-2 * term.abs())

    def entropy(self):
        return 1 + _ew.log(2 * self.scale)
