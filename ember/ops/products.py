"""Matrix products: matmul (batched, broadcasting), mm, bmm, mv, dot, outer, einsum, linear."""
from __future__ import annotations

import string

from ..autograd.function import Op
from ..backends.mkldnn import matmul as _dnn_mm
from ..backends.mkldnn._flags import use as _use_dnnl
from ..tensor import Tensor
from ._autocast import amp_state, autocast_call
from ._util import binary_args, result_dtype, xp_of

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "einsum", "linear",
           "bilinear"]


def _mismatch(name, a, b):
    return RuntimeError(f"{name}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                        "multiplied")


class Matmul(Op):
    """a @ b with NumPy/PyTorch semantics (1-D operands, batch broadcasting).

    Backward (2-D and batched): dA = g B^T, dB = A^T g; the engine sums
    broadcast batch dims back; 1-D operands are promoted and squeezed again.
    """

    complex_support = "holomorphic"

    @staticmethod
    def forward(ctx, a, b):
        n = ctx.needs_input_grad
        if n:  # dA needs B, dB needs A: the first layer never keeps its input batch
            ctx.save_for_backward(a if n[1] else None, b if n[0] else None)
        ctx.a_vec, ctx.b_vec = a.ndim == 1, b.ndim == 1
        return xp_of(a).matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        n = ctx.needs_input_grad
        a_vec, b_vec = ctx.a_vec, ctx.b_vec
        if a_vec and b_vec:  # dot product
            return (g * b if n[0] else None), (g * a if n[1] else None)
        if b_vec:  # (..., n, k) @ (k,) -> (..., n)
            ga = g.unsqueeze(-1) * b if n[0] else None
            gb = matmul(a.mT, g.unsqueeze(-1)).squeeze(-1) if n[1] else None
            if gb is not None and gb.ndim > 1:
                gb = gb.sum(tuple(range(gb.ndim - 1)))
            return ga, gb
        if a_vec:  # (k,) @ (..., k, m) -> (..., m)
            ga = matmul(b, g.unsqueeze(-1)).squeeze(-1) if n[0] else None
            if ga is not None and ga.ndim > 1:
                ga = ga.sum(tuple(range(ga.ndim - 1)))
            gb = a.unsqueeze(-1) * g.unsqueeze(-2) if n[1] else None
            return ga, gb
        ga = matmul(g, b.mT) if n[0] else None
        gb = matmul(a.mT, g) if n[1] else None
        return ga, gb

    @staticmethod
    def fast_backward(ctx, g):
        if ctx.a_vec or ctx.b_vec:
            return None  # rare shapes: the composite backward
        a, b = ctx.saved_arrays
        n = ctx.needs_input_grad
        xp = xp_of(g)
        ga = xp.matmul(g, xp.swapaxes(b, -1, -2)) if n[0] else None
        gb = xp.matmul(xp.swapaxes(a, -1, -2), g) if n[1] else None
        return ga, gb


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with broadcasting over batch dims (``@``)."""
    if amp_state.on:
        return autocast_call("matmul", matmul, input, other)
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError("matmul(): both arguments must be tensors")
    a, b = input, other
    if a._data.ndim == 0 or b._data.ndim == 0:
        raise RuntimeError(f"matmul: both arguments to matmul need to be at least 1D, but they are "
                           f"{a._data.ndim}D and {b._data.ndim}D")
    if a._data.dtype != b._data.dtype:  # PyTorch does not promote in matrix products
        raise RuntimeError(f"matmul: expected m1 and m2 to have the same dtype, but got: "
                           f"{a.dtype} != {b.dtype} (shapes {tuple(a.shape)} and "
                           f"{tuple(b.shape)})")
    ka = a._data.shape[-1]
    kb = b._data.shape[0] if b._data.ndim == 1 else b._data.shape[-2]
    if ka != kb:
        raise _mismatch("matmul", a, b)
    try:
        return Matmul.apply(*binary_args(a, b, "matmul"))  # the device check
    except ValueError as exc:
        raise RuntimeError(f"matmul: batch dims of shapes {tuple(a.shape)} and {tuple(b.shape)} "
                           "are not broadcastable") from exc


def _need(t, ndim, name, which):
    if t._data.ndim != ndim:
        raise RuntimeError(f"{name}: {which} must be a {ndim}D tensor, got shape {tuple(t.shape)}")


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """(n, k) @ (k, m)."""
    if amp_state.on:
        return autocast_call("mm", mm, input, mat2)
    _need(input, 2, "mm", "self")
    _need(mat2, 2, "mm", "mat2")
    if input.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mm: mat1 and mat2 shapes cannot be multiplied ({input.shape[0]}x"
                           f"{input.shape[1]} and {mat2.shape[0]}x{mat2.shape[1]})")
    return matmul(input, mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """(b, n, k) @ (b, k, m), no broadcasting."""
    if amp_state.on:
        return autocast_call("bmm", bmm, input, mat2)
    _need(input, 3, "bmm", "batch1")
    _need(mat2, 3, "bmm", "batch2")
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise RuntimeError(f"bmm: shapes {tuple(input.shape)} and {tuple(mat2.shape)} cannot be "
                           "multiplied")
    return matmul(input, mat2)


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """(n, k) @ (k,)."""
    if amp_state.on:
        return autocast_call("mv", mv, input, vec)
    _need(input, 2, "mv", "self")
    _need(vec, 1, "mv", "vec")
    return matmul(input, vec)


def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """Inner product of two 1-D tensors of the same size."""
    if amp_state.on:
        return autocast_call("dot", dot, input, tensor)
    _need(input, 1, "dot", "self")
    _need(tensor, 1, "dot", "tensor")
    if input.shape[0] != tensor.shape[0]:
        raise RuntimeError(f"dot: inconsistent tensor size, expected tensor [{input.shape[0]}] and "
                           f"src [{tensor.shape[0]}] to have the same number of elements")
    return matmul(input, tensor)


vdot = dot


def inner(input: Tensor, other: Tensor) -> Tensor:
    if amp_state.on:
        return autocast_call("inner", inner, input, other)
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    return matmul(input, other.mT if other.ndim > 1 else other)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """(n,) x (m,) -> (n, m)."""
    _need(input, 1, "outer", "self")
    _need(vec2, 1, "outer", "vec2")
    return input.unsqueeze(1) * vec2.unsqueeze(0)


ger = outer


# ---------------------------------------------------------------------------- einsum


def _parse_einsum(equation, shapes):
    """Explicit subscripts for each operand and the output, with '...' expanded to letters."""
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, out = eq.split("->")
    else:
        lhs, out = eq, None
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise RuntimeError(f"einsum(): {len(ins)} operands in the equation, {len(shapes)} given")
    used = set(c for c in eq if c.isalpha())
    free = [c for c in string.ascii_letters if c not in used]
    ell_n = 0
    for sub, shape in zip(ins, shapes):
        if "..." in sub:
            ell_n = max(ell_n, len(shape) - (len(sub) - 3))
    ell = "".join(free[:ell_n])
    exp_ins = []
    for sub, shape in zip(ins, shapes):
        if "..." in sub:
            k = len(shape) - (len(sub) - 3)
            sub = sub.replace("...", ell[ell_n - k:] if k else "")
        if len(sub) != len(shape):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(sub)}) "
                               f"does not match the number of dimensions ({len(shape)}) for "
                               "an operand")
        exp_ins.append(sub)
    if out is None:
        counts = {}
        for s in exp_ins:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
    return exp_ins, out


class Einsum(Op):
    """Einstein summation. Backward for operand i: einsum of g with the other operands."""

    complex_support = "holomorphic"

    @staticmethod
    def forward(ctx, subs, out_sub, *ops):
        ctx.subs, ctx.out_sub = subs, out_sub
        ctx.save_for_backward(*ops)
        eq = ",".join(subs) + "->" + out_sub
        return xp_of(ops[0]).einsum(eq, *ops)

    @staticmethod
    def backward(ctx, g):
        ops = ctx.saved_tensors
        subs, out_sub = ctx.subs, ctx.out_sub
        grads = [None, None]
        for i, sub in enumerate(subs):
            if not ctx.needs_input_grad[i + 2]:
                grads.append(None)
                continue
            if len(set(sub)) != len(sub):
                raise NotImplementedError(
                    f"einsum: backward for an operand with a repeated subscript ('{sub}') is not "
                    "supported by ember")
            others = [(s, o) for j, (s, o) in enumerate(zip(subs, ops)) if j != i]
            avail = set(out_sub).union(*[set(s) for s, _ in others])
            target = "".join(c for c in sub if c in avail)
            eq = ",".join([out_sub] + [s for s, _ in others]) + "->" + target
            gi = einsum(eq, g, *[o for _, o in others])
            if target != sub:  # letters summed only inside this operand: broadcast back
                shape = ops[i].shape
                idx = [target.index(c) if c in target else None for c in sub]
                view = [shape[k] if idx[k] is not None else 1 for k in range(len(sub))]
                perm = [target.index(c) for c in sub if c in target]
                gi = gi.permute(perm).reshape(view).expand(tuple(shape))
            grads.append(gi)
        return tuple(grads)


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation, e.g. ``einsum('bij,bjk->bik', a, b)``."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if len({o._data.dtype for o in operands}) > 1:  # PyTorch promotes einsum's operands
        ref = operands[0]
        for o in operands[1:]:
            dt = result_dtype(ref, o)
            ref = o if o._data.dtype == dt else (ref if ref._data.dtype == dt else ref.to(dt))
        operands = tuple(o.to(ref.dtype) for o in operands)
    subs, out = _parse_einsum(equation, [o.shape for o in operands])
    for s, o in zip(subs, operands):
        sizes = {}
        for c, n in zip(s, o.shape):
            if sizes.setdefault(c, n) != n:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand with "
                                   f"different sizes {sizes[c]} and {n}")
    if amp_state.on:  # on the CPU only a contraction (PyTorch's bmm) runs in lower precision
        name = "einsum" if _contracts(subs, out) else "einsum_elementwise"
        return autocast_call(name, Einsum.apply, tuple(subs), out, *operands)
    return Einsum.apply(tuple(subs), out, *operands)


def _contracts(subs, out) -> bool:
    """Whether some index is summed over between two operands."""
    return any(c not in out and sum(c in s for s in subs) > 1 for s in subs for c in s)


# ---------------------------------------------------------------------------- linear layers


class Linear(Op):
    """y = x W^T + b in one pass (fused matmul and bias).

    Backward: dx = g W, dW = g^T x and db = sum of g over the batch dims.
    Shape: x (*, in), W (out, in), b (out,) -> (*, out).
    """

    complex_support = "holomorphic"

    @staticmethod
    def forward(ctx, x, w, b):
        n = ctx.needs_input_grad
        if n:
            ctx.save_for_backward(x if n[1] else None, w if n[0] else None)
        if x.ndim > 2:  # one GEMM over all rows, not a batched loop of small ones
            out = _flat_matmul(xp_of(x), x, w.T)
        else:
            out = _gemm(xp_of(x), x, w.T)
        if b is not None:
            out += b
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        n = ctx.needs_input_grad
        o = g.shape[-1] if g.ndim else 1
        rows = _rows(g.shape)
        g2 = g.reshape(rows, o)
        gx = matmul(g, w) if n[0] else None
        gw = matmul(g2.mT, x.reshape(rows, x.shape[-1])) if n[1] else None
        gb = g2.sum(0) if n[2] else None
        return gx, gw, gb

    @staticmethod
    def fast_backward(ctx, g):
        x, w = ctx.saved_arrays
        n = ctx.needs_input_grad
        xp = xp_of(g)
        rows = _rows(g.shape)
        g2 = g.reshape(rows, g.shape[-1])
        gx = (_flat_matmul(xp, g, w) if g.ndim > 2 else _gemm(xp, g, w)) if n[0] else None
        gw = _gemm(xp, g2.T, x.reshape(rows, x.shape[-1])) if n[1] else None
        gb = g2.sum(axis=0) if n[2] else None
        return gx, gw, gb


def _flat_matmul(xp, a, b):
    """a (*, k) @ b (k, n) as one 2-D GEMM (a copy of ``a`` only if it is not contiguous)."""
    lead = a.shape[:-1]
    out = _gemm(xp, a.reshape(_rows(a.shape), a.shape[-1]), b)
    return out.reshape(lead + (b.shape[-1],))


def _gemm(xp, a, b):
    """a (m, k) @ b (k, n): on oneDNN for large float32 products when ember runs more than
    one thread (one thread pool for every multi-threaded kernel; see
    ``ember.backends.mkldnn.matmul``), else NumPy's."""
    if (a.ndim == 2 and b.ndim == 2 and _dnn_mm.wanted(a.shape[0], a.shape[1], b.shape[1])
            and _use_dnnl(a, b)):
        out = _dnn_mm.matmul(a, b)
        if out is not None:
            return out
    return xp.matmul(a, b)


def _rows(shape) -> int:
    """How many vectors a (*, features) batch holds (explicit, so zero features work)."""
    r = 1
    for d in shape[:-1]:
        r *= d
    return r


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x W^T + b. Shape: input (*, in), weight (out, in), bias (out,) -> (*, out)."""
    if amp_state.on:
        return autocast_call("linear", linear, input, weight, bias)
    if weight.ndim != 2:
        raise RuntimeError(f"linear: weight must be 2-D (out, in), got shape {tuple(weight.shape)}")
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"linear: input shape {tuple(input.shape)} and weight shape "
                           f"{tuple(weight.shape)} cannot be multiplied (expected last input "
                           f"dimension {weight.shape[1]})")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"linear: bias shape {tuple(bias.shape)} does not match "
                           f"out_features {weight.shape[0]}")
    dt = input._data.dtype
    if weight._data.dtype != dt or (bias is not None and bias._data.dtype != dt):
        raise RuntimeError(f"linear: expected input, weight and bias of one dtype, got "
                           f"{input.dtype}, {weight.dtype}"
                           f"{', ' + str(bias.dtype) if bias is not None else ''}")
    return Linear.apply(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None):
    """y_k = x1^T W_k x2 + b_k. Shape: (*, in1), (*, in2), W (out, in1, in2) -> (*, out)."""
    if amp_state.on:
        return autocast_call("bilinear", bilinear, input1, input2, weight, bias)
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear: input1 {tuple(input1.shape)} and input2 "
                           f"{tuple(input2.shape)} must have the same batch dims")
    if weight.ndim != 3 or weight.shape[1] != input1.shape[-1] or \
            weight.shape[2] != input2.shape[-1]:
        raise RuntimeError(f"bilinear: weight {tuple(weight.shape)} does not fit inputs "
                           f"{tuple(input1.shape)} and {tuple(input2.shape)}")
    out = einsum("...i,kij,...j->...k", input1, weight, input2)
    return out + bias if bias is not None else out
