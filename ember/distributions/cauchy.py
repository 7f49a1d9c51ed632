"""The Cauchy distribution."""
from __future__ import annotations

import math
import numbers
from ..ops import creation as _cr
from ..ops import elementwise as _ew
from ..size import Size
from . import constraints
from ._special import atan
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Cauchy"]


class _LocScale(Distribution):
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        if isinstance(loc, numbers.Number) and isinstance(scale, numbers.Number):
            batch_shape = Size()
        else:
            batch_shape = self.loc.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def _uniform(self, shape):
        return _cr.rand(*shape, dtype=self.loc.dtype, device=self.loc.device)


class Cauchy(_LocScale):
    r"""The Cauchy (Lorentz) distribution: the ratio of two independent standard normals,
    scaled by ``scale`` and shifted by ``loc``.

    Args:
        loc (float or Tensor): the mode (median).
        scale (float or Tensor): the half width at half maximum (> 0).
        validate_args (bool, optional): check the arguments.
    """

    def expand(self, batch_shape, _instance=None):
        return self._expand_into(Cauchy, batch_shape, _instance, ("loc", "scale"))

    @property
    def mean(self):
        return _cr.full(self._extended_shape(), math.nan, dtype=self.loc.dtype,
                        device=self.loc.device)

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return _cr.full(self._extended_shape(), math.inf, dtype=self.loc.dtype,
                        device=self.loc.device)

    def rsample(self, sample_shape=Size()):
        eps = _ew.tan(math.pi * (self._uniform(self._extended_shape(sample_shape)) - 0.5))
        return self.loc + eps * self.scale

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return -math.log(math.pi) - self.scale.log() - \
            _ew.log1p(((value - self.loc) / self.scale) ** 2)

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return atan((value - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value):
        return _ew.tan(math.pi * (value - 0.5)) * self.scale + self.loc

    def entropy(self):
        return math.log(4 * math.pi) + self.scale.log()
