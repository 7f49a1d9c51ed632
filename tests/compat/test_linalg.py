"""``ember.linalg``, ``ember.fft`` and complex tensors against PyTorch, name by name: the
namespaces, the warnings of PyTorch's deprecated linear-algebra names, the errors of its
removed ones and of bad inputs, complex dtypes, promotion and printing. Values and gradients
are the op table's (tests/ops/cases_linalg.py, cases_fft.py, cases_complex.py).
"""
from __future__ import annotations

import inspect
import re
import warnings

import numpy as np
import pytest

import ember

from ._libs import needs_torch, torch

pytestmark = needs_torch


def _public(mod):
    """The functions of a namespace (torch.fft's ``__all__`` leaves some of them out)."""
    return {n for n in dir(mod) if not n.startswith("_") and
            inspect.isroutine(getattr(mod, n))}


@pytest.mark.parametrize("ns,absent", [("linalg", {"ldl_factor", "ldl_factor_ex", "ldl_solve"}),
                                       ("fft", set())])
def test_namespace_has_pytorchs_names(ns, absent):
    ours, theirs = _public(getattr(ember, ns)), _public(getattr(torch, ns))
    assert ours <= theirs, f"ember.{ns} has names torch.{ns} lacks: {ours - theirs}"
    assert theirs - ours == absent


def _mats(m):
    rng = np.random.default_rng(0)
    a = m.tensor(rng.standard_normal((3, 3)))
    pd = a @ a.T + 3 * m.eye(3, dtype=m.float64)
    return a, pd, m.tensor(rng.standard_normal((3, 2))), m.tensor(rng.standard_normal((4, 3)))


DEPRECATED = {
    "qr": lambda m, a, pd, b, v: m.qr(a),
    "cholesky": lambda m, a, pd, b, v: m.cholesky(pd),
    "triangular_solve": lambda m, a, pd, b, v: m.triangular_solve(b, pd),
    "lu": lambda m, a, pd, b, v: m.lu(a),
    "lu_solve": lambda m, a, pd, b, v: m.lu_solve(b, *m.linalg.lu_factor(a)),
    "chain_matmul": lambda m, a, pd, b, v: m.chain_matmul(a, a, a),
    "cross_without_dim": lambda m, a, pd, b, v: m.cross(v, v),
    "Tensor.cholesky": lambda m, a, pd, b, v: pd.cholesky(),
    "Tensor.qr": lambda m, a, pd, b, v: a.qr(),
    "Tensor.lu": lambda m, a, pd, b, v: a.lu(),
    "Tensor.triangular_solve": lambda m, a, pd, b, v: b.triangular_solve(pd),
    "Tensor.cross": lambda m, a, pd, b, v: v.cross(v),
}


def _warnings(m, fn):
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        fn(m, *_mats(m))
    # PyTorch's C++ warnings end with where they were raised
    return [(w.category, re.sub(r" \(Triggered internally at .*\)$", "", str(w.message),
                                flags=re.S)) for w in got]


@pytest.mark.parametrize("name", list(DEPRECATED))
def test_deprecated_names_warn_as_pytorch(name):
    """Each warning is compared in a process where PyTorch has not warned yet for the name
    (its C++ warnings come once per process), so the ember side is checked alone when
    PyTorch stays silent."""
    ours = _warnings(ember, DEPRECATED[name])
    assert ours and all(c is UserWarning for c, _ in ours), ours
    theirs = _warnings(torch, DEPRECATED[name])
    if theirs:
        assert ours == theirs


REMOVED = {
    "symeig": lambda m, a: m.symeig(a), "eig": lambda m, a: m.eig(a),
    "lstsq": lambda m, a: m.lstsq(a, a), "solve": lambda m, a: m.solve(a, a),
    "matrix_rank": lambda m, a: m.matrix_rank(a),
    "Tensor.symeig": lambda m, a: a.symeig(), "Tensor.eig": lambda m, a: a.eig(),
    "Tensor.lstsq": lambda m, a: a.lstsq(a), "Tensor.solve": lambda m, a: a.solve(a),
}


def _error(m, fn, *args):
    with pytest.raises(Exception) as info:
        fn(m, *args)
    return type(info.value).__name__, str(info.value)


@pytest.mark.parametrize("name", list(REMOVED))
def test_removed_names_raise_pytorchs_errors(name):
    fn = REMOVED[name]
    assert _error(ember, fn, ember.eye(3)) == _error(torch, fn, torch.eye(3))


BAD = {
    "inv_singular_batch": lambda m: m.linalg.inv(m.stack([m.eye(3), m.zeros(3, 3)])),
    "inv_not_square": lambda m: m.linalg.inv(m.ones(2, 3)),
    "cholesky_not_pd": lambda m: m.linalg.cholesky(m.tensor([[1.0, 2.0], [2.0, 1.0]])),
    "cholesky_batch": lambda m: m.linalg.cholesky(m.stack([m.eye(2), -m.eye(2)])),
    "solve_singular": lambda m: m.linalg.solve(m.zeros(2, 2), m.ones(2)),
    "det_int": lambda m: m.linalg.det(m.ones(2, 2, dtype=m.int64)),
    "det_1d": lambda m: m.linalg.det(m.ones(3)),
    "matrix_norm_ord": lambda m: m.linalg.matrix_norm(m.ones(2, 2), ord=3),
    "vector_norm_int": lambda m: m.linalg.vector_norm(m.ones(2, dtype=m.int64)),
    "svd_1d": lambda m: m.linalg.svd(m.ones(3)),
    "view_as_complex_shape": lambda m: m.view_as_complex(m.ones(3, 3)),
    "view_as_real_real": lambda m: m.view_as_real(m.ones(3)),
    "fft_norm": lambda m: m.fft.fft(m.ones(4), norm="bad"),
    "irfft_n": lambda m: m.fft.irfft(m.ones(4, dtype=m.complex64), n=0),
    "complex_of_doubles_and_floats": lambda m: m.complex(m.ones(2), m.ones(2, dtype=m.float64)),
}


@pytest.mark.parametrize("name", list(BAD))
def test_errors_as_pytorch(name):
    ours, theirs = _error(ember, BAD[name]), _error(torch, BAD[name])
    assert ours[0] == theirs[0] or (ours[0], theirs[0]) == ("LinAlgError", "_LinAlgError")
    assert ours[1] == theirs[1]


DTYPES = ["float32", "float64", "complex64", "complex128", "int64", "bool"]


@pytest.mark.parametrize("left", DTYPES)
@pytest.mark.parametrize("right", DTYPES)
def test_complex_promotion_as_pytorch(left, right):
    def result(m):
        a = m.ones(2, dtype=getattr(m, left))
        return str((a + m.ones(2, dtype=getattr(m, right))).dtype).split(".")[1], \
            str((a * 2j).dtype).split(".")[1], str((a + m.tensor(1.5 + 0j)).dtype).split(".")[1]
    assert result(ember) == result(torch)


@pytest.mark.parametrize("value", [[1 + 2j, -3.25 - 0.5j], [[0.1 + 1e-5j, 1e6 + 0j]], 2j,
                                   [[1.0 + 1.0j] * 3] * 2,
                                   [float("nan") + 1j, 1 - float("inf") * 1j]])
@pytest.mark.parametrize("dtype", [None, "complex128"])
def test_complex_tensors_print_as_pytorch(value, dtype):
    def text(m):
        t = m.tensor(value, dtype=None if dtype is None else getattr(m, dtype))
        return repr(t).replace("torch.", "").replace("ember.", ""), t.dtype.is_complex
    assert text(ember) == text(torch)
