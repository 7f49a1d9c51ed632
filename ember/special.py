"""PyTorch's ``torch.special``: special functions under their SciPy-style names.

A namespace over ember's ops (each function here is the op itself, or a one-line
call into it); the numerical kernels live in ``ember/ops/_specfun.py`` and need
no SciPy. Gradients are those of the ops: everywhere PyTorch has them.
"""
from __future__ import annotations

from .ops import activation as _A
from .ops import elementwise as _E
from .ops import reduce as _R
from .ops import specfun as _S

__all__ = ["digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit",
           "expm1", "gammainc", "gammaincc", "gammaln", "i0", "i0e", "i1", "i1e", "log1p",
           "log_ndtr", "log_softmax", "logit", "logsumexp", "multigammaln", "ndtr", "ndtri",
           "polygamma", "psi", "round", "sinc", "softmax", "xlog1py", "xlogy", "zeta"]

digamma = psi = _S.digamma
entr = _S.entr
erf = _E.erf
erfc = _S.erfc
erfcx = _S.erfcx
erfinv = _S.erfinv
exp2 = _E.exp2
expit = _S.expit
expm1 = _E.expm1
gammainc = _S.igamma
gammaincc = _S.igammac
gammaln = _S.lgamma
i0 = _S.i0
i0e = _S.i0e
i1 = _S.i1
i1e = _S.i1e
log1p = _E.log1p
log_ndtr = _S.log_ndtr
logit = _S.logit
logsumexp = _R.logsumexp
multigammaln = _S.mvlgamma
ndtr = _S.ndtr
ndtri = _S.ndtri
polygamma = _S.polygamma
sinc = _S.sinc
xlog1py = _S.xlog1py
xlogy = _S.xlogy
zeta = _S.zeta


def round(input, *, decimals=0):  # noqa: A001 - PyTorch's name
    """Round to ``decimals`` decimal places (half to even)."""
    return _E.round(input, decimals=decimals)


def softmax(input, dim, *, dtype=None):
    """Softmax along ``dim`` (computed in ``dtype`` when given)."""
    return _A.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    """Log-softmax along ``dim`` (computed in ``dtype`` when given)."""
    return _A.log_softmax(input, dim, dtype=dtype)
