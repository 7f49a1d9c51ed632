"""BLAS-style fused forms: ``beta * input + alpha * (product)`` for the matrix products
(``addmm``, ``addmv``, ``addr``, ``baddbmm``, ``addbmm``), and pairwise distances (``cdist``).

The products are ember's matmul ops (their gradients are theirs); one small Op,
:class:`AddScaled`, adds the scaled input, ignoring it entirely when ``beta`` is 0
(NaN and inf in ``input`` do not reach the result), as PyTorch and BLAS do.
"""
from __future__ import annotations

import numbers

import numpy as np

from ..autograd.function import Op
from ..tensor import Tensor
from ._autocast import amp_state, autocast_call
from . import elementwise as E
from . import products as L
from ._util import xp_of

__all__ = ["addmm", "addmv", "addr", "baddbmm", "addbmm", "cdist"]


class AddScaled(Op):
    """beta * input + alpha * prod, input broadcast to prod's shape; input unread when beta = 0
    and prod unread when alpha = 0. Backward: (g beta, g alpha)."""

    @staticmethod
    def forward(ctx, inp, prod, beta, alpha):
        ctx.beta, ctx.alpha = beta, alpha
        if alpha == 0:
            out = xp_of(prod).zeros_like(prod)
        else:
            out = prod if alpha == 1 else prod * alpha
        if beta != 0:
            return out + (inp if beta == 1 else inp * beta)
        return out.copy() if out is prod else out

    @staticmethod
    def backward(ctx, g):
        n = ctx.needs_input_grad
        beta, alpha = ctx.beta, ctx.alpha
        return (g * beta if n[0] else None, g * alpha if n[1] else None, None, None)


def _check_scalars(name, inp, beta, alpha):
    for arg, v in (("beta", beta), ("alpha", alpha)):
        if isinstance(v, bool) or not isinstance(v, numbers.Number):
            raise TypeError(f"{name}(): argument '{arg}' must be Number, not {type(v).__name__}")
    if inp._data.dtype.kind in "iub":  # PyTorch casts the scalars to the integer type
        return int(beta), int(alpha)
    return beta, alpha


def _same_dtype(name, pairs):
    for (na, a), (nb, b) in pairs:
        if a._data.dtype != b._data.dtype:
            raise RuntimeError(f"{na} and {nb} must have the same dtype, but got {a.dtype} and "
                               f"{b.dtype}")


def _expand_check(inp, shape):
    """PyTorch's error when ``input`` cannot be broadcast to the product's shape."""
    s = tuple(inp.shape)
    ok = len(s) <= len(shape) and all(a == b or a == 1 for a, b in zip(s[::-1], shape[::-1]))
    if not ok:
        if len(s) > len(shape):
            raise RuntimeError(f"expand: the number of sizes provided ({len(shape)}) must be "
                               f"greater or equal to the number of dimensions in the tensor "
                               f"({len(s)})")
        for i in range(1, len(s) + 1):
            if s[-i] != shape[-i] and s[-i] != 1:
                d = len(shape) - i
                raise RuntimeError(
                    f"The expanded size of the tensor ({shape[-i]}) must match the existing size "
                    f"({s[-i]}) at non-singleton dimension {d}.  Target sizes: {list(shape)}.  "
                    f"Tensor sizes: {list(s)}")


def _combine(name, inp, prod, beta, alpha):
    if not isinstance(inp, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(inp).__name__}")
    beta, alpha = _check_scalars(name, inp, beta, alpha)
    _expand_check(inp, tuple(prod.shape))
    return AddScaled.apply(inp, prod, beta, alpha)


def _need(name, arg, t, ndim, what):
    if not isinstance(t, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' must be Tensor, not {type(t).__name__}")
    if t._data.ndim != ndim:
        raise RuntimeError(f"{arg} must be a {what}, got {t._data.ndim}-D tensor")


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2); ``input`` broadcasts to the (n, p) result."""
    if amp_state.on:
        return autocast_call("addmm", addmm, input, mat1, mat2, beta=beta, alpha=alpha)
    _need("addmm", "mat1", mat1, 2, "matrix")
    _need("addmm", "mat2", mat2, 2, "matrix")
    if mat1.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({mat1.shape[0]}x"
                           f"{mat1.shape[1]} and {mat2.shape[0]}x{mat2.shape[1]})")
    _same_dtype("addmm", [(("mat1", mat1), ("mat2", mat2)), (("self", input), ("mat2", mat2))])
    return _combine("addmm", input, L.mm(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta * input + alpha * (mat @ vec); ``input`` broadcasts to the (n,) result."""
    if amp_state.on:
        return autocast_call("addmv", addmv, input, mat, vec, beta=beta, alpha=alpha)
    if not (isinstance(mat, Tensor) and isinstance(vec, Tensor) and isinstance(input, Tensor)):
        raise TypeError("addmv(): input, mat and vec must be Tensors")
    if mat._data.ndim != 2 or vec._data.ndim != 1 or input._data.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input._data.ndim}, "
                           f"{mat._data.ndim}, {vec._data.ndim}")
    if mat.shape[1] != vec.shape[0] or input._data.ndim == 1 and input.shape[0] not in (
            1, mat.shape[0]):
        raise RuntimeError(f"size mismatch, got input ({', '.join(map(str, input.shape))}), "
                           f"mat ({mat.shape[0]}x{mat.shape[1]}), vec ({vec.shape[0]})")
    _same_dtype("addmv", [(("mat", mat), ("vec", vec)), (("self", input), ("mat", mat))])
    return _combine("addmv", input, L.mv(mat, vec), beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta * input + alpha * outer(vec1, vec2); ``input`` broadcasts to the (n, m) result."""
    if amp_state.on:
        return autocast_call("addr", addr, input, vec1, vec2, beta=beta, alpha=alpha)
    for arg, v in (("vec1", vec1), ("vec2", vec2)):
        if not isinstance(v, Tensor):
            raise TypeError(f"addr(): argument '{arg}' must be Tensor, not {type(v).__name__}")
        if v._data.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {arg}, but got {v._data.ndim}-D")
    _same_dtype("addr", [(("vec1", vec1), ("vec2", vec2)), (("self", input), ("vec1", vec1))])
    return _combine("addr", input, L.outer(vec1, vec2), beta, alpha)


def _check_batches(name, batch1, batch2):
    _need(name, "batch1", batch1, 3, "3D tensor")
    _need(name, "batch2", batch2, 3, "3D tensor")
    b, n, m = batch1.shape
    if batch2.shape[0] != b:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {b} and "
                           f"{batch2.shape[0]}")
    if batch2.shape[1] != m:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{b}, {m}] but got: [{batch2.shape[0]}, {batch2.shape[1]}].")


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * (batch1 @ batch2) per batch; ``input`` broadcasts to (b, n, p)."""
    if amp_state.on:
        return autocast_call("baddbmm", baddbmm, input, batch1, batch2, beta=beta, alpha=alpha)
    _check_batches("baddbmm", batch1, batch2)
    _same_dtype("baddbmm", [(("batch1", batch1), ("batch2", batch2)),
                            (("self", input), ("batch2", batch2))])
    return _combine("baddbmm", input, L.bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * sum_b (batch1[b] @ batch2[b]), one (n, m b) x (m b, p) product."""
    if amp_state.on:
        return autocast_call("addbmm", addbmm, input, batch1, batch2, beta=beta, alpha=alpha)
    _check_batches("addbmm", batch1, batch2)
    _same_dtype("addbmm", [(("batch1", batch1), ("batch2", batch2)),
                           (("self", input), ("batch2", batch2))])
    b, n, m = batch1.shape
    p = batch2.shape[2]
    lhs = batch1.permute(1, 0, 2).reshape(n, b * m)
    prod = L.mm(lhs, batch2.reshape(b * m, p))
    return _combine("addbmm", input, prod, beta, alpha)


# ---------------------------------------------------------------------------- distances


_MODES = {"use_mm_for_euclid_dist_if_necessary": 0, "use_mm_for_euclid_dist": 1,
          "donot_use_mm_for_euclid_dist": 2}
_BLOCK = 1 << 22  # elements of the (rows, r, m) difference block formed at once


def _pairwise_raw(x1, x2, p, use_mm):
    """Distances between the rows of x1 (..., P, M) and x2 (..., R, M), batch dims equal."""
    xp = xp_of(x1)
    if use_mm:  # |a|^2 + |b|^2 - 2 a.b, clamped at 0 (PyTorch's matrix-product path)
        n1 = (x1 * x1).sum(-1)[..., :, None]
        n2 = (x2 * x2).sum(-1)[..., None, :]
        sq = n1 + n2 - 2.0 * xp.matmul(x1, xp.swapaxes(x2, -1, -2))
        return xp.sqrt(xp.maximum(sq, 0.0))
    P, R, M = x1.shape[-2], x2.shape[-2], x1.shape[-1]
    batch = int(np.prod(x1.shape[:-2], dtype=np.int64))
    rows = max(1, _BLOCK // max(1, R * M * max(batch, 1)))
    parts = []
    for s in range(0, P, rows):
        d = x1[..., s:s + rows, None, :] - x2[..., None, :, :]
        if p == 0:
            parts.append((d != 0).sum(-1).astype(x1.dtype))
        elif p == 1:
            parts.append(xp.abs(d).sum(-1))
        elif p == 2:
            parts.append(xp.sqrt((d * d).sum(-1)))
        elif p == np.inf:
            parts.append(xp.abs(d).max(-1) if M else xp.zeros(d.shape[:-1], x1.dtype))
        else:
            parts.append((xp.abs(d) ** p).sum(-1) ** (1.0 / p))
    if not parts:
        return xp.zeros(x1.shape[:-2] + (P, R), dtype=x1.dtype)
    return xp.concatenate(parts, axis=-2) if len(parts) > 1 else parts[0]


class Cdist(Op):
    """The p-norm distance between each row of x1 and each row of x2.

    Backward (PyTorch's subgradients): p = 2: g (x1_i - x2_j) / d_ij, 0 where d = 0 (as
    matrix products); p = inf: g sign(diff) where |diff| = d; p = 0: zero; other p:
    g sign(diff) |diff|^(p-1) / d^(p-1), 0 where d = 0 (and where diff = 0 for p < 1).
    """

    @staticmethod
    def forward(ctx, x1, x2, p, use_mm):
        out = _pairwise_raw(x1, x2, p, use_mm)
        ctx.save_for_backward(x1, x2, out)
        ctx.p = p
        return out

    @staticmethod
    def backward(ctx, g):
        x1, x2, d = ctx.saved_tensors
        n = ctx.needs_input_grad
        p = ctx.p
        if p == 0:
            return (x1 * 0.0 if n[0] else None), (x2 * 0.0 if n[1] else None), None, None
        if p == 2:
            zero = d == 0
            ratio = E.where(zero, 0.0, g / E.where(zero, 1.0, d))
            g1 = x1 * ratio.sum(-1, keepdim=True) - L.matmul(ratio, x2) if n[0] else None
            g2 = (x2 * ratio.sum(-2).unsqueeze(-1) - L.matmul(ratio.transpose(-1, -2), x1)
                  if n[1] else None)
            return g1, g2, None, None
        diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)  # (..., P, R, M)
        dd = d.unsqueeze(-1)
        gg = g.unsqueeze(-1)
        if p == 1:
            w = gg * E.sign(diff)
        elif p == float("inf"):
            w = gg * E.sign(diff) * (E.abs(diff) == dd)
        else:
            zero = (dd == 0) | ((diff == 0) & (p < 1))
            safe_d = E.where(dd == 0, 1.0, dd)
            safe_a = E.where(diff == 0, 1.0, E.abs(diff))
            w = E.where(zero, 0.0, gg * E.sign(diff) * safe_a ** (p - 1) / safe_d ** (p - 1))
        return (w.sum(-2) if n[0] else None), (-w.sum(-3) if n[1] else None), None, None


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Distances between each pair of rows of x1 (B, P, M) and x2 (B, R, M): a (B, P, R) tensor.

    ``p`` = 0 counts differing coordinates, inf takes the largest; ``compute_mode`` chooses,
    for p = 2, the matrix-product form (fast, less exact for near-equal rows) as PyTorch does:
    by default when P or R exceeds 25.
    """
    if amp_state.on:
        return autocast_call("cdist", cdist, x1, x2, p, compute_mode)
    for arg, t in (("x1", x1), ("x2", x2)):
        if not isinstance(t, Tensor):
            raise TypeError(f"cdist(): argument '{arg}' must be Tensor, not {type(t).__name__}")
    if compute_mode not in _MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    for name, t in (("X1", x1), ("X2", x2)):
        if t._data.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{_torch_type(t)}")
        if t._data.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: "
                               f"{t._data.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if x1._data.dtype != x2._data.dtype:
        raise RuntimeError(f"expected scalar type {_torch_type(x1)} but found {_torch_type(x2)}")
    p = float(p)
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    batch = np.broadcast_shapes(tuple(x1.shape[:-2]), tuple(x2.shape[:-2])) if (
        _broadcastable(x1.shape[:-2], x2.shape[:-2])) else None
    if batch is None:
        _raise_batch(x1.shape[:-2], x2.shape[:-2])
    a = x1.expand(*batch, *x1.shape[-2:]) if tuple(x1.shape[:-2]) != batch else x1
    b = x2.expand(*batch, *x2.shape[-2:]) if tuple(x2.shape[:-2]) != batch else x2
    mode = _MODES[compute_mode]
    P, R = x1.shape[-2], x2.shape[-2]
    use_mm = p == 2 and (mode == 1 or (mode == 0 and (P > 25 or R > 25)))
    return Cdist.apply(a, b, p, use_mm)


def _torch_type(t):
    names = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
             "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
    return names.get(str(t._data.dtype), str(t.dtype))


def _broadcastable(s1, s2):
    return all(a == b or a == 1 or b == 1 for a, b in zip(tuple(s1)[::-1], tuple(s2)[::-1]))


def _raise_batch(s1, s2):
    r1, r2 = tuple(s1)[::-1], tuple(s2)[::-1]
    for i in range(min(len(r1), len(r2))):
        if r1[i] != r2[i] and r1[i] != 1 and r2[i] != 1:
            dim = max(len(r1), len(r2)) - 1 - i
            raise RuntimeError(f"The size of tensor a ({r1[i]}) must match the size of tensor b "
                               f"({r2[i]}) at non-singleton dimension {dim}")
