"""The Wishart distribution over positive-definite matrices."""
from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from ..ops import creation as _cr
from ..ops import elementwise as _ew
from ..size import Size
from . import constraints
from ._linalg import cholesky, diag_embed, diagonal, solve_triangular
from ._special import digamma, mvlgamma
from .chi2 import Chi2
from .exp_family import ExponentialFamily
from .multivariate_normal import _broadcast_shape, _half_log_det, _precision_to_scale_tril
from .utils import lazy_property

__all__ = ["Wishart"]

_LOG_2 = math.log(2)


def _mvdigamma(x, p):
    if not bool((x > (p - 1) / 2).all()):
        raise AssertionError("Wrong domain for multivariate digamma function.")
    return sum(digamma(x - i / 2) for i in range(p))


def _logdet_pd(m):
    """log det of positive-definite matrices, through their Cholesky factors."""
    return 2 * _half_log_det(cholesky(m))


def _chol_solve(b, low):
    """(L L^T)^-1 B."""
    return solve_triangular(low.mT, solve_triangular(low, b, upper=False), upper=True)


class Wishart(ExponentialFamily):
    r"""The Wishart distribution over p x p positive-definite matrices with ``df`` degrees of
    freedom and scale matrix :math:`\Sigma` (given by exactly one of ``covariance_matrix``,
    ``precision_matrix`` or ``scale_tril``): the distribution of :math:`\sum_i x_i x_i^T`
    for df normal vectors of covariance :math:`\Sigma`. Drawn by the Bartlett decomposition.

    Args:
        df (float or Tensor): the degrees of freedom (> p - 1).
        covariance_matrix (Tensor): positive-definite (*, p, p).
        precision_matrix (Tensor): positive-definite (*, p, p).
        scale_tril (Tensor): lower-triangular with a positive diagonal (*, p, p).
        validate_args (bool, optional): check the arguments.
    """

    support = constraints.positive_definite
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def arg_constraints(self):
        return {"covariance_matrix": constraints.positive_definite,
                "precision_matrix": constraints.positive_definite,
                "scale_tril": constraints.lower_cholesky,
                "df": constraints.greater_than(self.event_shape[-1] - 1)}

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        given = [m for m in (covariance_matrix, precision_matrix, scale_tril) if m is not None]
        if len(given) != 1:
            raise AssertionError("Exactly one of covariance_matrix or precision_matrix or "
                                 "scale_tril may be specified.")
        param = given[0]
        if param.dim() < 2:
            raise ValueError("scale_tril must be at least two-dimensional, with optional "
                             "leading batch dimensions")
        if isinstance(df, numbers.Number):
            batch_shape = Size(param.shape[:-2])
            self.df = _cr.tensor(df, dtype=param.dtype, device=param.device)
        else:
            batch_shape = _broadcast_shape(param.shape[:-2], df.shape)
            self.df = df.expand(batch_shape)
        event_shape = param.shape[-2:]
        p = event_shape[-1]
        if bool((self.df <= p - 1).any()):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {p - 1}.")
        full = param.expand(tuple(batch_shape) + (-1, -1))
        if scale_tril is not None:
            self.scale_tril = full
        elif covariance_matrix is not None:
            self.covariance_matrix = full
        else:
            self.precision_matrix = full
        if bool((self.df < p).any()):
            warnings.warn("Low df values detected. Singular samples are highly likely to occur "
                          "for ndim - 1 < df < ndim.", stacklevel=2)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        self._batch_dims = [-(x + 1) for x in range(len(self._batch_shape))]
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)
        self._dist_chi2 = self._chi2(batch_shape)

    def _chi2(self, batch_shape):
        low = self._unbroadcasted_scale_tril
        steps = _cr.arange(self._event_shape[-1], dtype=low.dtype, device=low.device)
        return Chi2(df=self.df.unsqueeze(-1) - steps.expand(tuple(batch_shape) + (-1,)))

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Wishart, _instance)
        batch_shape = Size(batch_shape)
        cov_shape = tuple(batch_shape) + tuple(self.event_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril.expand(cov_shape)
        new.df = self.df.expand(batch_shape)
        new._batch_dims = [-(x + 1) for x in range(len(batch_shape))]
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(cov_shape))
        ExponentialFamily.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        new._dist_chi2 = new._chi2(batch_shape)
        return new

    def _matrix_shape(self):
        return tuple(self._batch_shape) + tuple(self._event_shape)

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(self._matrix_shape())

    @lazy_property
    def covariance_matrix(self):
        low = self._unbroadcasted_scale_tril
        return (low @ low.transpose(-2, -1)).expand(self._matrix_shape())

    @lazy_property
    def precision_matrix(self):
        low = self._unbroadcasted_scale_tril
        eye = _cr.eye(self._event_shape[-1], dtype=low.dtype, device=low.device)
        return _chol_solve(eye, low).expand(self._matrix_shape())

    def _df_matrix(self, df=None):
        return (self.df if df is None else df).reshape(tuple(self._batch_shape) + (1, 1))

    @property
    def mean(self):
        return self._df_matrix() * self.covariance_matrix

    @property
    def mode(self):
        factor = self.df - self.covariance_matrix.shape[-1] - 1
        factor = _ew.where(factor <= 0, math.nan, factor)
        return self._df_matrix(factor) * self.covariance_matrix

    @property
    def variance(self):
        v = self.covariance_matrix
        d = diagonal(v)
        return self._df_matrix() * (v.pow(2) + d.unsqueeze(-1) * d.unsqueeze(-2))

    def _bartlett_sampling(self, sample_shape=Size()):
        p = self._event_shape[-1]
        eps = float(np.finfo(self.df._data.dtype).eps)
        diag = self._dist_chi2.rsample(sample_shape).sqrt().clamp(min=eps)
        below = _cr.randn(*(tuple(sample_shape) + tuple(self._batch_shape) + (p, p)),
                          dtype=diag.dtype, device=diag.device).tril(-1)
        chol = self._unbroadcasted_scale_tril @ (diag_embed(diag) + below)
        return chol @ chol.transpose(-2, -1)

    def rsample(self, sample_shape=Size(), max_try_correction=None):
        """A reparameterised draw; singular draws (possible for df < p) are drawn again, at
        most ``max_try_correction`` times (default 10)."""
        tries = 10 if max_try_correction is None else max_try_correction
        sample_shape = Size(sample_shape)
        sample = self._bartlett_sampling(sample_shape)
        singular = self._singular(sample)
        if bool(singular.any()):
            warnings.warn("Singular sample detected.", stacklevel=2)
            for _ in range(tries):
                fresh = self._bartlett_sampling(sample_shape)
                sample = _ew.where(self._spread(singular), fresh, sample)
                singular = singular & self._singular(fresh)
                if not bool(singular.any()):
                    break
        return sample

    def _singular(self, sample):
        """Which draws (over the sample dims) are not positive-definite in some batch entry."""
        bad = ~self.support.check(sample)
        return bad.any(self._batch_dims) if self._batch_shape else bad

    def _spread(self, mask):
        n = len(self._batch_shape) + 2
        return mask.reshape(tuple(mask.shape) + (1,) * n)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        nu, p = self.df, self._event_shape[-1]
        low = self._unbroadcasted_scale_tril
        return (-nu * (p * _LOG_2 / 2 + _half_log_det(low)) - mvlgamma(nu / 2, p) +
                (nu - p - 1) / 2 * _logdet_pd(value) -
                diagonal(_chol_solve(value, low)).sum(-1) / 2)

    def entropy(self):
        nu, p = self.df, self._event_shape[-1]
        return ((p + 1) * (p * _LOG_2 / 2 + _half_log_det(self._unbroadcasted_scale_tril)) +
                mvlgamma(nu / 2, p) - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p) + nu * p / 2)

    @property
    def _natural_params(self):
        return -self.precision_matrix / 2, (self.df - self._event_shape[-1] - 1) / 2

    def _log_normalizer(self, x, y):
        p = self._event_shape[-1]
        return (y + (p + 1) / 2) * (-_logdet_pd(-2 * x) + _LOG_2 * p) + \
            mvlgamma(y + (p + 1) / 2, p)
