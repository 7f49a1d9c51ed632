"""The op-table checker: one ``OpCase`` row per op, one checker for all rows.

For each row and each input set the checker runs, in float64:
  a) the forward against PyTorch on the same NumPy inputs (where torch imports);
  b) the backward against PyTorch with a random upstream gradient (never all ones);
  c) ember's own finite-difference gradcheck (element by element for small
     inputs, a random direction otherwise), independent of torch;
  d) a double-backward check (gradgradcheck, random direction) unless the row
     says the op has no second derivative worth checking.
Complex inputs and outputs (complex128) get complex upstream gradients; the finite-difference
checks run on the function seen through real pairs (``view_as_real``/``view_as_complex``), which
checks PyTorch's convention for complex gradients.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np

import ember
from ember.autograd.function import Node

try:  # the oracle; optional
    import torch

except ImportError:  # pragma: no cover - exercised where torch is absent
    torch = None


@dataclasses.dataclass
class In:
    """An input spec: a random array of ``shape`` drawn by ``kind``."""

    shape: tuple
    kind: str = "normal"  # normal | pos | away0 | unit | int:<hi> | bool | T (non-contiguous)
    #                       | complex | complexT (complex128, the second non-contiguous)
    grad: bool = True
    value: Any = None

    def make(self, rng):
        return np.asarray(self._draw(rng))

    def _draw(self, rng):
        if self.value is not None:
            return np.array(self.value)
        s = self.shape
        if self.kind == "normal":
            return rng.standard_normal(s)
        if self.kind == "pos":
            return rng.uniform(0.5, 2.0, s)
        if self.kind == "away0":
            return rng.choice([-1.0, 1.0], s) * rng.uniform(0.3, 2.0, s)
        if self.kind == "prob":
            return rng.uniform(0.05, 0.95, s)
        if self.kind == "unit":
            return rng.uniform(-0.9, 0.9, s)
        if self.kind == "T":  # a non-contiguous view: transpose of the reversed shape
            return rng.standard_normal(s[::-1]).T
        if self.kind in ("complex", "complexT"):
            shape = s[::-1] if self.kind == "complexT" else s
            z = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
            return z.T if self.kind == "complexT" else z
        if self.kind.startswith("int:"):
            return rng.integers(0, int(self.kind[4:]), s).astype(np.int64)
        if self.kind == "perm":  # distinct indices along the last axis (scatter without ties)
            n = s[-1]
            return np.stack([rng.permutation(n) for _ in range(int(np.prod(s[:-1])))]).reshape(s)
        if self.kind == "bool":
            return rng.random(s) > 0.5
        raise ValueError(self.kind)


def N(*shape, **kw):
    return In(tuple(shape), "normal", **kw)


def P(*shape, **kw):
    return In(tuple(shape), "pos", **kw)


def A0(*shape, **kw):
    return In(tuple(shape), "away0", **kw)


def U(*shape, **kw):
    return In(tuple(shape), "unit", **kw)


def PR(*shape, **kw):
    return In(tuple(shape), "prob", **kw)


def T(*shape, **kw):
    return In(tuple(shape), "T", **kw)


def I(hi, *shape):  # noqa: E743
    return In(tuple(shape), f"int:{hi}", grad=False)


def B(*shape):
    return In(tuple(shape), "bool", grad=False)


def C(value):
    return In((), grad=False, value=value)


def Z(*shape, **kw):
    """A complex128 input (normal real and imaginary parts)."""
    return In(tuple(shape), "complex", **kw)


def ZT(*shape, **kw):
    """A non-contiguous complex128 input (the transpose of the reversed shape)."""
    return In(tuple(shape), "complexT", **kw)


@dataclasses.dataclass
class OpCase:
    name: str
    fn: Callable
    torch_fn: Callable | None
    inputs: list  # list of input sets; each a tuple of In
    double: bool = True
    gradcheck: bool = True
    atol: float = 1e-8
    rtol: float = 1e-6


def make_inputs(case: OpCase, k: int, seed: int = 0):
    rng = np.random.default_rng(abs(hash((case.name, k))) % 2**32 + seed)
    return [(spec, spec.make(rng)) for spec in case.inputs[k]]


def ember_inputs(arrays):
    out = []
    for spec, a in arrays:
        t = ember.from_numpy(a)  # kind "T" stays a non-contiguous view
        if spec.grad and a.dtype.kind in "fc":
            t.requires_grad_(True)
        out.append(t)
    return out


def torch_inputs(arrays):
    out = []
    for spec, a in arrays:
        t = torch.from_numpy(np.array(a, copy=True, order="C"))
        if spec.grad and a.dtype.kind in "fc":
            t.requires_grad_(True)
        out.append(t)
    return out


def as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def float_outputs(outs):
    return [o for o in outs if (o.dtype.is_floating_point or o.dtype.is_complex) and
            o.requires_grad]


def _draw_like(rng, o):
    w = rng.standard_normal(tuple(o.shape))
    return np.asarray(w + 1j * rng.standard_normal(tuple(o.shape)) if o.dtype.is_complex else w)


def graph_ops(outputs):
    """The Function classes found in the graph that made ``outputs``."""
    found, seen = set(), set()
    stack = [o.grad_fn for o in outputs if isinstance(o, ember.Tensor) and o.grad_fn is not None]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        found.add(n._fn)
        for e in n._edges:
            if e is not None and isinstance(e[0], Node):
                stack.append(e[0])
    return found


def _close(name, what, got, want, atol, rtol):
    kind = np.asarray(got).dtype.kind
    got = np.asarray(got, dtype=np.complex128 if kind == "c" else np.float64) \
        if kind != "b" else np.asarray(got)
    want = np.asarray(want)
    assert (kind == "c") == (want.dtype.kind == "c"), \
        f"{name}: {what} complex {kind == 'c'}, torch's {want.dtype.kind == 'c'}"
    assert got.shape == want.shape, f"{name}: {what} shape {got.shape} != torch {want.shape}"
    if want.dtype.kind in "biu":
        np.testing.assert_array_equal(got, want, err_msg=f"{name}: {what}")
    else:
        np.testing.assert_allclose(got, want, atol=atol, rtol=rtol, err_msg=f"{name}: {what}")


def check_case(case: OpCase, k: int):
    arrays = make_inputs(case, k)
    ins = ember_inputs(arrays)
    outs = as_tuple(case.fn(*ins))
    rng = np.random.default_rng(7 + k)
    fouts = float_outputs(outs)
    ws = [_draw_like(rng, o) for o in fouts]
    diff = [t for t in ins if t.requires_grad]
    grads = ()
    if fouts and diff:
        grads = ember.autograd.grad(fouts, diff, [ember.from_numpy(w) for w in ws],
                                    allow_unused=True, retain_graph=True)
    if grads:  # the fused first-order path agrees with the composite (create_graph) one
        slow = ember.autograd.grad(fouts, diff, [ember.from_numpy(w) for w in ws],
                                   allow_unused=True, create_graph=True)
        for j, (g, h) in enumerate(zip(grads, slow)):
            assert (g is None) == (h is None), f"{case.name}: input {j} grad presence differs"
            if g is not None:
                np.testing.assert_allclose(g.numpy(), h.detach().numpy(), rtol=1e-10, atol=1e-12,
                                           err_msg=f"{case.name}: fast vs composite backward")
    if torch is not None and case.torch_fn is not None:
        tins = torch_inputs(arrays)
        touts = as_tuple(case.torch_fn(*tins))
        assert len(touts) == len(outs), f"{case.name}: {len(outs)} outputs, torch {len(touts)}"
        for i, (o, to) in enumerate(zip(outs, touts)):
            _close(case.name, f"output {i}", o.detach().numpy(), to.detach().resolve_conj().numpy(),
                   case.atol, case.rtol)
        tf = [o for o in touts if (o.dtype.is_floating_point or o.dtype.is_complex) and
              o.requires_grad]
        tdiff = [t for t in tins if t.requires_grad]
        if tf and tdiff:
            tg = torch.autograd.grad(tf, tdiff, [torch.from_numpy(w) for w in ws],
                                     allow_unused=True)
            for j, (g, t) in enumerate(zip(grads, tg)):
                gv = np.zeros(diff[j].shape) if g is None else g.numpy()
                tv = np.zeros(tuple(tdiff[j].shape)) if t is None else t.resolve_conj().numpy()
                _close(case.name, f"grad of input {j}", gv, tv, case.atol, case.rtol)
    if case.gradcheck and diff and fouts:
        fn, rins = _float_fn(case.fn, ins)
        small = sum(t.numel() for t in rins if t.requires_grad) <= 40
        assert ember.autograd.gradcheck(fn, rins, fast_mode=not small, atol=1e-5, rtol=1e-4)
        if case.double:
            assert ember.autograd.gradgradcheck(fn, rins, fast_mode=True, atol=1e-4, rtol=1e-3)
    return graph_ops(outs)


def _float_fn(fn, ins):
    """``fn`` as a function of real tensors with real outputs: a complex input becomes its
    real pairs (..., 2), a complex output ``view_as_real`` of it (the Jacobian of this real
    function is what PyTorch's complex gradients encode)."""
    cplx = [t.is_complex() for t in ins]
    rins = [ember.view_as_real(t.detach()).clone().requires_grad_(t.requires_grad) if c else t
            for t, c in zip(ins, cplx)]

    def f(*args):
        xs = [ember.view_as_complex(a) if c else a for a, c in zip(args, cplx)]
        outs = float_outputs(as_tuple(fn(*xs)))
        return tuple(ember.view_as_real(o) if o.is_complex() else o for o in outs)
    return f, rins
