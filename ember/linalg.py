"""PyTorch's ``torch.linalg``: linear algebra on batches of matrices, with gradients.

A namespace over ember's ops (``ember/ops/linsolve.py``, ``decomp.py``, ``detnorm.py``,
``matfn.py``, ``products.py``): every name here is the op itself. Matrices are the last two dims, any
leading dims are a batch; real (float32/float64) and complex (complex64/complex128) inputs;
the work runs in NumPy's (or CuPy's) ``linalg`` on whole batches. Gradients follow PyTorch's
formulas and conventions, complex ones included. A failed factorisation raises
:class:`LinAlgError` with PyTorch's message; the ``*_ex`` functions return ``info`` instead.
"""
from __future__ import annotations

from .ops import decomp as _D
from .ops import detnorm as _N
from .ops import linsolve as _S
from .ops import matfn as _F
from .ops import products as _P

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eig",
           "eigh", "eigvals", "eigvalsh", "householder_product", "inv", "inv_ex", "lstsq", "lu",
           "lu_factor", "lu_factor_ex", "lu_solve", "matmul", "matrix_exp", "matrix_norm",
           "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr", "slogdet", "solve",
           "solve_ex", "solve_triangular", "svd", "svdvals", "tensorinv", "tensorsolve",
           "vander", "vecdot", "vector_norm"]

LinAlgError = _S.LinAlgError

cholesky = _D.linalg_cholesky
cholesky_ex = _D.linalg_cholesky_ex
cond = _N.linalg_cond
cross = _F.linalg_cross
det = _N.linalg_det
diagonal = _F.linalg_diagonal
eig = _D.linalg_eig
eigh = _D.linalg_eigh
eigvals = _D.linalg_eigvals
eigvalsh = _D.linalg_eigvalsh
householder_product = _F.linalg_householder_product
inv = _S.linalg_inv
inv_ex = _S.linalg_inv_ex
lstsq = _F.linalg_lstsq
lu = _D.linalg_lu
lu_factor = _D.linalg_lu_factor
lu_factor_ex = _D.linalg_lu_factor_ex
lu_solve = _F.linalg_lu_solve
matmul = _P.matmul
matrix_exp = _F.linalg_matrix_exp
matrix_norm = _N.linalg_matrix_norm
matrix_power = _F.linalg_matrix_power
matrix_rank = _F.linalg_matrix_rank
multi_dot = _F.linalg_multi_dot
norm = _N.linalg_norm
pinv = _F.linalg_pinv
qr = _D.linalg_qr
slogdet = _N.linalg_slogdet
solve = _S.linalg_solve
solve_ex = _S.linalg_solve_ex
solve_triangular = _S.linalg_solve_triangular
svd = _D.linalg_svd
svdvals = _D.linalg_svdvals
tensorinv = _F.linalg_tensorinv
tensorsolve = _F.linalg_tensorsolve
vander = _F.linalg_vander
vecdot = _F.linalg_vecdot
vector_norm = _N.linalg_vector_norm
