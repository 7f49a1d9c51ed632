"""The tuples with named fields that ops with several results return, as ``torch.return_types``.

``ember.sort(x)`` returns ``ember.return_types.sort(values=..., indices=...)``: a tuple of two
tensors that also has ``.values`` and ``.indices``, unpacks as ``values, indices = ...``,
indexes as ``r[0]``/``r[-1]``, prints field by field and pickles, like PyTorch's structseqs.
"""
from __future__ import annotations

__all__ = ["max", "min", "sort", "topk", "kthvalue", "median", "nanmedian", "mode", "cummax",
           "cummin", "linalg_inv_ex", "linalg_solve_ex", "triangular_solve", "linalg_slogdet",
           "slogdet", "linalg_svd", "svd", "linalg_qr", "qr", "linalg_eigh", "linalg_eig",
           "linalg_cholesky_ex", "linalg_lstsq", "linalg_lu_factor", "linalg_lu_factor_ex",
           "linalg_lu", "lu_unpack", "geqrf"]


class _StructSeq(tuple):
    """A fixed-length tuple whose items are also named attributes."""

    __slots__ = ()
    _fields_names: tuple = ()
    n_fields = n_sequence_fields = 2
    n_unnamed_fields = 0

    def __new__(cls, sequence):
        try:
            items = tuple(sequence)
        except TypeError:
            raise TypeError("constructor requires a sequence") from None
        n = len(cls._fields_names)
        if len(items) != n:
            raise TypeError(f"ember.return_types.{cls.__name__}() takes a {n}-sequence "
                            f"({len(items)}-sequence given)")
        return super().__new__(cls, items)

    def __repr__(self):
        body = ",\n".join(f"{k}={v!r}" for k, v in zip(self._fields_names, self))
        return f"ember.return_types.{type(self).__name__}(\n{body})"

    def __reduce__(self):
        return type(self), (tuple(self),)


def _struct(name: str, fields=("values", "indices")):
    def getter(i):
        return property(lambda self: tuple.__getitem__(self, i), doc=f"Item {i}.")
    ns = {f: getter(i) for i, f in enumerate(fields)}
    ns.update(__slots__=(), _fields_names=tuple(fields), n_fields=len(fields),
              n_sequence_fields=len(fields), __module__=__name__, __qualname__=name,
              __doc__=f"The ``({', '.join(fields)})`` result of ``{name}``.")
    return type(name, (_StructSeq,), ns)


max = _struct("max")  # noqa: A001 - PyTorch's names
min = _struct("min")  # noqa: A001
sort = _struct("sort")
topk = _struct("topk")
kthvalue = _struct("kthvalue")
median = _struct("median")
nanmedian = _struct("nanmedian")
mode = _struct("mode")
cummax = _struct("cummax")
cummin = _struct("cummin")
# linear algebra
linalg_inv_ex = _struct("linalg_inv_ex", ("inverse", "info"))
linalg_solve_ex = _struct("linalg_solve_ex", ("result", "info"))
triangular_solve = _struct("triangular_solve", ("solution", "cloned_coefficient"))
linalg_slogdet = _struct("linalg_slogdet", ("sign", "logabsdet"))
slogdet = _struct("slogdet", ("sign", "logabsdet"))
linalg_svd = _struct("linalg_svd", ("U", "S", "Vh"))
svd = _struct("svd", ("U", "S", "V"))
linalg_qr = _struct("linalg_qr", ("Q", "R"))
qr = _struct("qr", ("Q", "R"))
linalg_eigh = _struct("linalg_eigh", ("eigenvalues", "eigenvectors"))
linalg_eig = _struct("linalg_eig", ("eigenvalues", "eigenvectors"))
linalg_cholesky_ex = _struct("linalg_cholesky_ex", ("L", "info"))
linalg_lstsq = _struct("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))
linalg_lu_factor = _struct("linalg_lu_factor", ("LU", "pivots"))
linalg_lu_factor_ex = _struct("linalg_lu_factor_ex", ("LU", "pivots", "info"))
linalg_lu = _struct("linalg_lu", ("P", "L", "U"))
lu_unpack = _struct("lu_unpack", ("P", "L", "U"))
geqrf = _struct("geqrf", ("a", "tau"))
