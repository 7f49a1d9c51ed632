"""Finite-difference checks of gradients in float64 (``gradcheck`` and ``gradgradcheck``)."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor, _wrap

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Analytic and numerical gradients disagree."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs(fn, inputs):
    # Evaluated with recording on: a function that itself takes gradients
    # (gradgradcheck) needs its graph; only the values are used here.
    out = _as_tuple(fn(*inputs))
    return [o.detach() for o in out if isinstance(o, Tensor) and o._data.dtype.kind == "f"]


def _flat_outputs(fn, inputs):
    return np.concatenate([np.asarray(o._data, dtype=np.float64).reshape(-1)
                           for o in _outputs(fn, inputs)] or [np.zeros(0)])


def _check_inputs(inputs, name):
    diff = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not diff:
        raise ValueError(f"{name}: at least one input tensor must require grad")
    for t in diff:
        if t._data.dtype != np.float64:
            raise GradcheckError(f"{name}: inputs that require grad must be float64 for a reliable "
                                 f"check, got {t.dtype}")
    return diff


def _analytic_vjp(fn, inputs, diff, v_list):
    from .engine import grad  # noqa: PLC0415

    outs = [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor) and o.requires_grad]
    if not outs:
        return [np.zeros(t._data.shape) for t in diff]
    gouts = [_wrap(v.reshape(o._data.shape).astype(o._data.dtype), False, None, 0)
             for o, v in zip(outs, v_list)]
    gs = grad(outs, diff, gouts, allow_unused=True)
    return [np.zeros(t._data.shape) if g is None else np.asarray(g._data, dtype=np.float64)
            for g, t in zip(gs, diff)]


def _fail(msg, raise_exception):
    if raise_exception:
        raise GradcheckError(msg)
    return False


def _unsupported(name: str, **flags) -> None:
    for flag, value in flags.items():
        if value:
            raise NotImplementedError(f"{name}({flag}=True): ember has no forward-mode AD, "
                                      "vmap or sparse tensors, so this check cannot run")


def _side_checks(func, inputs, diff, sizes, rng, nondet_tol, check_undefined_grad,
                 check_grad_dtypes, raise_exception):
    """PyTorch's checks beside the Jacobian: backward twice on the same gradient agrees within
    ``nondet_tol``; zero output gradients give zero input gradients (ember's stand-in for
    undefined ones); gradients have their inputs' dtypes."""
    from .engine import grad  # noqa: PLC0415

    vs = [rng.standard_normal(n) for n in sizes]
    first, again = _analytic_vjp(func, inputs, diff, vs), _analytic_vjp(func, inputs, diff, vs)
    for k, (a, b) in enumerate(zip(first, again)):
        if not np.allclose(a, b, rtol=0.0, atol=nondet_tol):
            return _fail(f"gradcheck: Backward is not reentrant, i.e., running backward with the "
                         f"same input and grad_output multiple times gives different values for "
                         f"input {k} (beyond nondet_tol={nondet_tol})", raise_exception)
    if check_undefined_grad:
        zeros = _analytic_vjp(func, inputs, diff, [np.zeros(n) for n in sizes])
        if any(np.any(z != 0) for z in zeros):
            return _fail("gradcheck: zero output gradients gave a nonzero input gradient",
                         raise_exception)
    ys = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor) and o.requires_grad] \
        if check_grad_dtypes else []
    if ys:
        gouts = [_wrap(np.ones(y._data.shape, y._data.dtype), False, None, 0) for y in ys]
        for k, (g, t) in enumerate(zip(grad(ys, diff, gouts, allow_unused=True), diff)):
            if g is not None and g.dtype != t.dtype:
                return _fail(f"gradcheck: gradient of input {k} has dtype {g.dtype}, the input "
                             f"{t.dtype}", raise_exception)
    return True


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked: bool | None = None, seed: int = 0):
    """Compare analytic gradients of ``func`` with central finite differences (float64).

    The full mode builds the whole Jacobian, element by element (for small
    inputs). ``fast_mode=True`` checks one random direction instead: the
    directional derivative ``v . J u`` from finite differences against the
    analytic ``(J^T v) . u`` (Chainer's check_backward). PyTorch's side checks run as
    there (``nondet_tol``, ``check_undefined_grad``, ``check_grad_dtypes``); the forward-mode,
    batched and masked checks need what ember lacks and raise ``NotImplementedError``.
    ``seed`` (ember's) fixes the random directions.
    """
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError("Expected at least one of check_forward_ad or check_backward_ad "
                             "to be True")
    _unsupported("gradcheck", check_batched_grad=check_batched_grad,
                 check_batched_forward_grad=check_batched_forward_grad,
                 check_forward_ad=check_forward_ad, masked=masked)
    inputs = _as_tuple(inputs)
    diff = _check_inputs(inputs, "gradcheck")
    outs = _outputs(func, inputs)
    sizes = [o._data.size for o in outs]
    rng = np.random.default_rng(seed)
    if not _side_checks(func, inputs, diff, sizes, rng, nondet_tol, check_undefined_grad,
                        check_grad_dtypes, raise_exception):
        return False
    if fast_mode:
        us = [rng.standard_normal(t._data.shape) for t in diff]
        vs = [rng.standard_normal(n) for n in sizes]
        v_all = np.concatenate(vs) if vs else np.zeros(0)
        saved = [t._data.copy() for t in diff]
        for t, u in zip(diff, us):
            t._data += eps * u
        fp = _flat_outputs(func, inputs)
        for t, s, u in zip(diff, saved, us):
            t._data[...] = s - eps * u
        fm = _flat_outputs(func, inputs)
        for t, s in zip(diff, saved):
            t._data[...] = s
        numeric = float(((fp - fm) / (2 * eps)) @ v_all)
        gs = _analytic_vjp(func, inputs, diff, vs)
        analytic = float(sum((g * u).sum() for g, u in zip(gs, us)))
        if not abs(analytic - numeric) <= atol + rtol * abs(numeric):
            return _fail(f"gradcheck (fast mode): directional derivative mismatch: analytic "
                         f"{analytic!r} vs numerical {numeric!r}", raise_exception)
        return True
    n_out = sum(sizes)
    for k, t in enumerate(diff):
        arr = t._data
        num = np.zeros((arr.size, n_out))
        for i, pos in enumerate(np.ndindex(arr.shape)):
            orig = arr[pos]
            arr[pos] = orig + eps
            fp = _flat_outputs(func, inputs)
            arr[pos] = orig - eps
            fm = _flat_outputs(func, inputs)
            arr[pos] = orig
            num[i] = (fp - fm) / (2 * eps)
        ana = np.zeros_like(num)
        offset = 0
        for j, n in enumerate(sizes):
            for e in range(n):
                vs = [np.zeros(m) for m in sizes]
                vs[j][e] = 1.0
                ana[:, offset + e] = _analytic_vjp(func, inputs, diff, vs)[k].reshape(-1)
            offset += n
        if not np.allclose(ana, num, atol=atol, rtol=rtol):
            bad = np.argwhere(~np.isclose(ana, num, atol=atol, rtol=rtol))[0]
            return _fail(
                f"gradcheck: Jacobian mismatch for output {bad[1]} with respect to input {k}, "
                f"element {bad[0]}:\nnumerical:{num[bad[0], bad[1]]!r}\nanalytical:"
                f"{ana[bad[0], bad[1]]!r}", raise_exception)
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, nondet_tol: float = 0.0,
                  check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
                  check_batched_grad: bool = False, check_fwd_over_rev: bool = False,
                  check_rev_over_rev: bool = True, fast_mode: bool = False, masked: bool = False,
                  seed: int = 0):
    """Check second derivatives: gradcheck of the (create_graph) gradient of ``func``.

    ``gen_non_contig_grad_outputs``: the random output gradients are non-contiguous views.
    The other options as in :func:`gradcheck`.
    """
    from .engine import grad  # noqa: PLC0415

    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError("Expected at least one of check_fwd_over_rev or check_rev_over_rev "
                             "to be True")
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_undefined_grad=True requires check_rev_over_rev to "
                             "be True")
    _unsupported("gradgradcheck", check_batched_grad=check_batched_grad,
                 check_fwd_over_rev=check_fwd_over_rev, masked=masked)
    inputs = _as_tuple(inputs)
    _check_inputs(inputs, "gradgradcheck")
    rng = np.random.default_rng(seed + 1)
    outs = [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor) and o.requires_grad]
    if grad_outputs is None:
        def draw(shape):
            if gen_non_contig_grad_outputs:  # every other element of a twice-as-long array
                return rng.standard_normal(tuple(shape) + (2,))[..., 0]
            return rng.standard_normal(shape)
        grad_outputs = tuple(_wrap(draw(o._data.shape), True, None, 0) for o in outs)
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def first_grad(*args):
        ins, gos = args[:n_in], args[n_in:]
        ys = [o for o in _as_tuple(func(*ins)) if isinstance(o, Tensor) and o.requires_grad]
        d = [t for t in ins if isinstance(t, Tensor) and t.requires_grad]
        gs = grad(ys, d, gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_grad, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_undefined_grad=check_undefined_grad,
                     check_grad_dtypes=check_grad_dtypes, fast_mode=fast_mode, seed=seed)
