"""The von Mises distribution on the circle."""
from __future__ import annotations

import math
import warnings

from ..autograd import no_grad
from ..backend import bool_, float64
from ..ops import creation as _cr
from ..ops import elementwise as _ew
from ..size import Size
from . import constraints
from ._special import atan
from .distribution import Distribution
from .utils import broadcast_all, lazy_property

__all__ = ["VonMises"]

# Polynomial approximations of the modified Bessel functions I0 and I1 (Abramowitz & Stegun
# 9.8.1-9.8.4): in (x / 3.75)^2 below 3.75, in 3.75 / x above, where I_n(x) e^-x sqrt(x) is
# the polynomial. PyTorch's VonMises uses the same, so the densities agree to the last bit.
_I0_SMALL = (1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.360768e-1, 0.45813e-2)
_I0_LARGE = (0.39894228, 0.1328592e-1, 0.225319e-2, -0.157565e-2, 0.916281e-2, -0.2057706e-1,
             0.2635537e-1, -0.1647633e-1, 0.392377e-2)
_I1_SMALL = (0.5, 0.87890594, 0.51498869, 0.15084934, 0.2658733e-1, 0.301532e-2, 0.32411e-3)
_I1_LARGE = (0.39894228, -0.3988024e-1, -0.362018e-2, 0.163801e-2, -0.1031555e-1,
             0.2282967e-1, -0.2895312e-1, 0.1787654e-1, -0.420059e-2)


def _poly(y, coef):
    result = coef[-1]
    for c in coef[-2::-1]:
        result = c + y * result
    return result


def _log_modified_bessel_fn(x, order=0):
    """log I_order(x) for x > 0, order 0 or 1 (differentiable)."""
    if order not in (0, 1):
        raise AssertionError(f"order must be 0 or 1, got {order}")
    small_coef, large_coef = ((_I0_SMALL, _I0_LARGE) if order == 0 else (_I1_SMALL, _I1_LARGE))
    below = x < 3.75
    xs = _ew.where(below, x, 1.0)  # each branch sees only arguments where it is used
    xl = _ew.where(below, 3.75, x)
    small = _poly((xs / 3.75) ** 2, small_coef)
    if order == 1:
        small = xs.abs() * small
    large = xl - 0.5 * xl.log() + _poly(3.75 / xl, large_coef).log()
    return _ew.where(below, small.log(), large)


def _rejection_sample(loc, concentration, proposal_r, x):
    """Best & Fisher's rejection sampler, every draw at once: each round proposes for all
    elements and keeps the first acceptance of each."""
    done = _cr.zeros(tuple(x.shape), dtype=bool_, device=loc.device)
    with warnings.catch_warnings():
        # rejected proposals take logs of negative numbers (NaN, then refused), as PyTorch's
        warnings.simplefilter("ignore", RuntimeWarning)
        return _propose_until_accepted(loc, concentration, proposal_r, x, done)


def _propose_until_accepted(loc, concentration, proposal_r, x, done):
    while not bool(done.all()):
        u1, u2, u3 = _cr.rand(3, *x.shape, dtype=loc.dtype, device=loc.device).unbind(0)
        z = _ew.cos(math.pi * u1)
        f = (1 + proposal_r * z) / (proposal_r + z)
        c = concentration * (proposal_r - f)
        accept = ((c * (2 - c) - u2) > 0) | ((c / u2).log() + 1 - c >= 0)
        accept = accept & ~done
        x = _ew.where(accept, (u3 - 0.5).sign() * _acos(f), x)
        done = done | accept
    return (x + math.pi + loc) % (2 * math.pi) - math.pi


def _acos(f):
    # acos(f) from the arctangent: atan(sqrt(1 - f^2) / f), moved to (pi/2, pi] for f < 0
    s = (1 - f * f).clamp(min=0).sqrt()
    return _ew.where(f > 0, atan(s / f), _ew.where(f < 0, atan(s / f) + math.pi, math.pi / 2))


class VonMises(Distribution):
    r"""The von Mises distribution on the circle, density
    :math:`e^{\kappa \cos(x - \mu)} / (2 \pi I_0(\kappa))` on [-pi, pi).

    Args:
        loc (Tensor): the mean angle mu.
        concentration (Tensor): kappa (> 0).
        validate_args (bool, optional): check the arguments.
    """

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args=None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, Size(), validate_args)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return self.concentration * _ew.cos(value - self.loc) - math.log(2 * math.pi) - \
            _log_modified_bessel_fn(self.concentration, order=0)

    @lazy_property
    def _loc(self):
        return self.loc.to(float64)

    @lazy_property
    def _concentration(self):
        return self.concentration.to(float64)

    @lazy_property
    def _proposal_r(self):
        kappa = self._concentration
        tau = 1 + (1 + 4 * kappa ** 2).sqrt()
        rho = (tau - (2 * tau).sqrt()) / (2 * kappa)
        return _ew.where(kappa < 1e-5, 1 / kappa + kappa, (1 + rho ** 2) / (2 * rho))

    def sample(self, sample_shape=Size()):
        with no_grad():
            shape = tuple(self._extended_shape(sample_shape))
            x = _cr.zeros(shape, dtype=float64, device=self.loc.device)
            return _rejection_sample(self._loc, self._concentration, self._proposal_r,
                                     x).to(self.loc.dtype)

    def expand(self, batch_shape, _instance=None):
        # PyTorch's: a new distribution on the expanded parameters
        if _instance is not None:
            raise NotImplementedError("VonMises.expand(): _instance is not used by ember "
                                      "(the expanded distribution is built anew)")
        return type(self)(self.loc.expand(batch_shape),
                          self.concentration.expand(batch_shape),
                          validate_args=self.__dict__.get("_validate_args"))

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @lazy_property
    def variance(self):
        return 1 - (_log_modified_bessel_fn(self.concentration, order=1) -
                    _log_modified_bessel_fn(self.concentration, order=0)).exp()
