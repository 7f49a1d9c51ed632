"""The multivariate normal distribution, its covariance given as a covariance matrix, a
precision matrix or a lower Cholesky factor."""
from __future__ import annotations

import math
import numpy as np
from ..ops import creation as _cr
from ..size import Size
from . import constraints
from ._linalg import cholesky, diagonal, solve_triangular
from .distribution import Distribution
from .utils import _standard_normal, lazy_property

__all__ = ["MultivariateNormal"]


def _batch_mv(bmat, bvec):
    return (bmat @ bvec.unsqueeze(-1)).squeeze(-1)


def _batch_mahalanobis(bL, bx):
    """|L^-1 x|^2 over the last dim, L broadcast against x's batch dims."""
    return solve_triangular(bL, bx.unsqueeze(-1), upper=False).pow(2).sum((-2, -1))


def _half_log_det(scale_tril):
    return diagonal(scale_tril).log().sum(-1)


def _precision_to_scale_tril(P):
    # the Cholesky factor of P^-1 from a Cholesky of P with rows and columns reversed
    lf = cholesky(P.flip((-2, -1)))
    l_inv = lf.flip((-2, -1)).transpose(-2, -1)
    eye = _cr.eye(P.shape[-1], dtype=P.dtype, device=P.device)
    return solve_triangular(l_inv, eye, upper=False)


def _broadcast_shape(*shapes):
    return Size(np.broadcast_shapes(*[tuple(s) for s in shapes]))  # shape arithmetic only


class MultivariateNormal(Distribution):
    r"""The multivariate normal distribution with mean ``loc`` and covariance
    :math:`\Sigma`, given by exactly one of ``covariance_matrix``, ``precision_matrix``
    (:math:`\Sigma^{-1}`) or ``scale_tril`` (the lower Cholesky factor L, :math:`\Sigma =
    L L^T`; the cheapest, as the others are factored first).

    Args:
        loc (Tensor): the mean, (*, k).
        covariance_matrix (Tensor): positive-definite (*, k, k).
        precision_matrix (Tensor): positive-definite (*, k, k).
        scale_tril (Tensor): lower-triangular with a positive diagonal (*, k, k).
        validate_args (bool, optional): check the arguments.
    """

    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [m is not None for m in (covariance_matrix, scale_tril, precision_matrix)]
        if sum(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or "
                             "scale_tril may be specified.")
        for name, m in (("scale_tril matrix", scale_tril), ("covariance_matrix",
                        covariance_matrix), ("precision_matrix", precision_matrix)):
            if m is not None:
                if m.dim() < 2:
                    raise ValueError(f"{name} must be at least two-dimensional, with optional "
                                     "leading batch dimensions")
                batch_shape = _broadcast_shape(m.shape[:-2], loc.shape[:-1])
                full = m.expand(tuple(batch_shape) + (-1, -1))
        if scale_tril is not None:
            self.scale_tril = full
        elif covariance_matrix is not None:
            self.covariance_matrix = full
        else:
            self.precision_matrix = full
        self.loc = loc.expand(tuple(batch_shape) + (-1,))
        super().__init__(batch_shape, self.loc.shape[-1:], validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)

    def expand(self, batch_shape, _instance=None):
        new = self._expand_into(MultivariateNormal, batch_shape, _instance)
        loc_shape = tuple(batch_shape) + tuple(self.event_shape)
        cov_shape = loc_shape + tuple(self.event_shape)
        new.loc = self.loc.expand(loc_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(cov_shape))
        return new

    def _matrix_shape(self):
        return tuple(self._batch_shape) + tuple(self._event_shape) * 2

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(self._matrix_shape())

    @lazy_property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return (L @ L.mT).expand(self._matrix_shape())

    @lazy_property
    def precision_matrix(self):
        L = self._unbroadcasted_scale_tril
        eye = _cr.eye(L.shape[-1], dtype=L.dtype, device=L.device)
        l_inv = solve_triangular(L, eye, upper=False)
        return (l_inv.mT @ l_inv).expand(self._matrix_shape())

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(
            tuple(self._batch_shape) + tuple(self._event_shape))

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        eps = _standard_normal(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + _batch_mv(self._unbroadcasted_scale_tril, eps)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        m = _batch_mahalanobis(self._unbroadcasted_scale_tril, value - self.loc)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + m) - \
            _half_log_det(self._unbroadcasted_scale_tril)

    def entropy(self):
        h = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + \
            _half_log_det(self._unbroadcasted_scale_tril)
        return h if len(self._batch_shape) == 0 else h.expand(self._batch_shape)
