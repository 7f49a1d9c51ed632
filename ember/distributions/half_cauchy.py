"""The half-Cauchy distribution."""
from __future__ import annotations

import math
from ..ops import creation as _cr
from ..tensor import Tensor
from ._bijections import AbsTransform
from .cauchy import Cauchy
from .half_normal import _Folded

__all__ = ["HalfCauchy"]


class HalfCauchy(_Folded):
    r"""|X| for X ~ Cauchy(0, scale).

    Args:
        scale (float or Tensor): the scale of the Cauchy (> 0).
        validate_args (bool, optional): check the arguments.
    """

    def __init__(self, scale, validate_args=None):
        super().__init__(Cauchy(0, scale, validate_args=False), AbsTransform(),
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(HalfCauchy, _instance)
        return super().expand(batch_shape, _instance=new)

    @property
    def mean(self):
        return _cr.full(self._extended_shape(), math.inf, dtype=self.scale.dtype,
                        device=self.scale.device)

    @property
    def variance(self):
        return self.base_dist.variance

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        if not isinstance(value, Tensor):
            value = _cr.tensor(value, dtype=self.scale.dtype, device=self.scale.device)
        return self._folded_log_prob(value)
