"""The logistic-normal distribution."""
from __future__ import annotations

from . import constraints
from ._bijections import StickBreakingTransform
from .normal import Normal
from .transformed_distribution import TransformedDistribution

__all__ = ["LogisticNormal"]


class LogisticNormal(TransformedDistribution):
    r"""A distribution on the simplex: the stick-breaking transform of a normal vector,
    X ~ Normal(loc, scale), Y = StickBreakingTransform()(X) (so K-1 normals give a point of
    the K-simplex).

    Args:
        loc (float or Tensor): the mean of the base normal.
        scale (float or Tensor): its standard deviation (> 0).
        validate_args (bool, optional): check the arguments.
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        base = Normal(loc, scale, validate_args=validate_args)
        if not base.batch_shape:
            base = base.expand([1])
        super().__init__(base, StickBreakingTransform(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LogisticNormal, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def loc(self):
        return self.base_dist.base_dist.loc

    @property
    def scale(self):
        return self.base_dist.base_dist.scale
