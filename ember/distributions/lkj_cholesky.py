"""The LKJ distribution over Cholesky factors of correlation matrices."""
from __future__ import annotations

import math

import numpy as np

from ..autograd import no_grad
from ..ops import creation as _cr
from ..ops import elementwise as _ew
from ..ops import shape as _sh
from ..size import Size
from . import constraints
from ._linalg import diag_embed, diagonal
from ._special import lgamma, mvlgamma
from .beta import Beta
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    r"""The LKJ distribution (Lewandowski, Kurowicka & Joe, 2009) over lower Cholesky factors
    L of ``dim`` x ``dim`` correlation matrices: the density of :math:`M = L L^T` is
    proportional to :math:`\det(M)^{\eta - 1}`. Drawn by the onion method.

    Args:
        dim (int): the dimension of the matrices (>= 2).
        concentration (float or Tensor): eta (> 0). Default: 1 (uniform over correlation
            matrices).
        validate_args (bool, optional): check the arguments.
    """

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError("Expected dim to be an integer greater than or equal to 2. "
                             f"Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        # the marginal Beta draws of the onion method, all rows at once
        marginal_conc = self.concentration + 0.5 * (self.dim - 2)
        offset = _cr.arange(self.dim - 1, dtype=self.concentration.dtype,
                            device=self.concentration.device)
        offset = _sh.cat([offset.new_zeros((1,)), offset])
        self._beta = Beta(offset + 0.5, marginal_conc.unsqueeze(-1) - 0.5 * offset)
        super().__init__(self.concentration.size(), Size((dim, dim)), validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expand_into(LKJCholesky, batch_shape, _instance, ("concentration",))
        new.dim = self.dim
        new._beta = self._beta.expand(tuple(batch_shape) + (self.dim,))
        return new

    def sample(self, sample_shape=Size()):
        with no_grad():
            y = self._beta.sample(sample_shape).unsqueeze(-1)
            u = _cr.randn(*self._extended_shape(sample_shape), dtype=y.dtype,
                          device=y.device).tril(-1)
            norm = (u * u).sum(-1, keepdim=True).sqrt()
            # the first row has no entries below the diagonal: its direction is zero
            u_sphere = _ew.where(norm > 0, u / _ew.where(norm > 0, norm, 1.0), 0.0)
            w = y.sqrt() * u_sphere
            tiny = float(np.finfo(w._data.dtype).tiny)
            return w + diag_embed((1 - (w ** 2).sum(-1)).clamp(min=tiny).sqrt())

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        diag_elems = diagonal(value)[..., 1:]
        order = _cr.arange(2, self.dim + 1, device=self.concentration.device)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized = (order * diag_elems.log()).sum(-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        normalize = 0.5 * dm1 * math.log(math.pi) + mvlgamma(alpha - 0.5, dm1) - \
            lgamma(alpha) * dm1
        return unnormalized - normalize
