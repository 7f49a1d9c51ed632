"""The generalized Pareto distribution."""
from __future__ import annotations

import math
import numbers

from ..ops import creation as _cr
from ..ops import elementwise as _ew
from ..size import Size
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["GeneralizedPareto"]


class GeneralizedPareto(Distribution):
    r"""The generalized Pareto distribution: survival function
    :math:`(1 + \xi z)^{-1/\xi}` with :math:`z = (x - \mu)/\sigma` (:math:`e^{-z}` at
    :math:`\xi = 0`); the exponential, Pareto and uniform are special cases.

    Args:
        loc (float or Tensor): the location mu.
        scale (float or Tensor): the scale sigma (> 0).
        concentration (float or Tensor): the shape xi.
        validate_args (bool, optional): check the arguments.
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive,
                       "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        if all(isinstance(v, numbers.Number) for v in (loc, scale, concentration)):
            batch_shape = Size()
        else:
            batch_shape = self.loc.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_into(GeneralizedPareto, batch_shape, _instance,
                                 ("loc", "scale", "concentration"))

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        return self.icdf(_cr.rand(*shape, dtype=self.loc.dtype, device=self.loc.device))

    def _safe_concentration(self):
        eq_zero = self.concentration.isclose(_cr.zeros_like(self.concentration))
        return eq_zero, _ew.where(eq_zero, _cr.ones_like(self.concentration),
                                  self.concentration)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        eq_zero, safe = self._safe_concentration()
        y = 1 / safe + _cr.ones_like(z)
        where_nonzero = _ew.where(y == 0, y, y * _ew.log1p(safe * z))
        return -self.scale.log() - _ew.where(eq_zero, z, where_nonzero)

    def log_survival_function(self, value):
        """log(1 - cdf(value))."""
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        eq_zero, safe = self._safe_concentration()
        return _ew.where(eq_zero, -z, -_ew.log1p(safe * z) / safe)

    def log_cdf(self, value):
        """log(cdf(value))."""
        return _ew.log1p(-_ew.exp(self.log_survival_function(value)))

    def cdf(self, value):
        return _ew.exp(self.log_cdf(value))

    def icdf(self, value):
        eq_zero, safe = self._safe_concentration()
        logu = _ew.log1p(-value)
        where_nonzero = self.loc + self.scale / safe * _ew.expm1(-safe * logu)
        return _ew.where(eq_zero, self.loc - self.scale * logu, where_nonzero)

    def _z(self, x):
        return (x - self.loc) / self.scale

    @property
    def mean(self):
        valid = self.concentration < 1
        safe = _ew.where(valid, self.concentration, 0.5)
        return _ew.where(valid, self.loc + self.scale / (1 - safe), math.nan)

    @property
    def variance(self):
        valid = self.concentration < 0.5
        safe = _ew.where(valid, self.concentration, 0.25)
        result = self.scale ** 2 / ((1 - safe) ** 2 * (1 - 2 * safe))
        return _ew.where(valid, result, math.nan)

    def entropy(self):
        return (_ew.log(self.scale) + self.concentration + 1).broadcast_to(
            tuple(self._batch_shape))

    @property
    def mode(self):
        return self.loc

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        lower = self.loc
        upper = _ew.where(self.concentration < 0, lower - self.scale / self.concentration,
                          math.inf)
        return constraints.interval(lower, upper)
