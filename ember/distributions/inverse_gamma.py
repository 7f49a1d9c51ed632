"""The inverse gamma distribution."""
from __future__ import annotations

import math

from ..ops import elementwise as _ew
from . import constraints
from ._bijections import PowerTransform
from ._special import digamma, lgamma
from .gamma import Gamma
from .transformed_distribution import TransformedDistribution

__all__ = ["InverseGamma"]


class InverseGamma(TransformedDistribution):
    r"""1 / X for X ~ Gamma(concentration, rate): density
    :math:`\beta^\alpha x^{-\alpha-1} e^{-\beta/x} / \Gamma(\alpha)`.

    Args:
        concentration (float or Tensor): the shape alpha (> 0).
        rate (float or Tensor): beta (> 0), the scale of the inverse.
        validate_args (bool, optional): check the arguments.
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, concentration, rate, validate_args=None):
        base = Gamma(concentration, rate, validate_args=validate_args)
        neg_one = -base.rate.new_ones(())
        super().__init__(base, PowerTransform(neg_one), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(InverseGamma, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def concentration(self):
        return self.base_dist.concentration

    @property
    def rate(self):
        return self.base_dist.rate

    @property
    def mean(self):
        result = self.rate / (self.concentration - 1)
        return _ew.where(self.concentration > 1, result, math.inf)

    @property
    def mode(self):
        return self.rate / (self.concentration + 1)

    @property
    def variance(self):
        result = self.rate.square() / ((self.concentration - 1).square() *
                                       (self.concentration - 2))
        return _ew.where(self.concentration > 2, result, math.inf)

    def entropy(self):
        return (self.concentration + self.rate.log() + lgamma(self.concentration) -
                (1 + self.concentration) * digamma(self.concentration))
