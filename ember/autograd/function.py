"""Graph nodes and the Function base class.

A differentiable op is a subclass of :class:`Function` whose ``forward`` and
``backward`` stand side by side. Calling ``Op.apply(...)`` runs forward and,
when gradients are being recorded, returns outputs whose ``grad_fn`` is a
:class:`Node`: the record of that call. The node is also the ``ctx`` that
``forward`` and ``backward`` see.

Two flavours share one node type and one engine:

* :class:`Function` (public, PyTorch's ``torch.autograd.Function``):
  ``forward(ctx, *args)`` receives Tensors and runs with recording off.
* :class:`Op` (ember's own ops): ``forward(ctx, *args)`` receives raw
  NumPy/CuPy arrays, which keeps the per-op cost low.

In both, ``backward(ctx, *grads)`` receives and returns Tensors and is written
with ember ops, so the same formula serves first-order gradients (run with
recording off) and higher-order ones (``create_graph=True``, recorded).
"""
from __future__ import annotations

import itertools
import traceback

import numpy as np

from ..backend import BF16 as _BF16
from ..tensor import Tensor, _wrap
from .grad_mode import state

__all__ = ["Function", "Op", "Node", "once_differentiable"]

_IN, _OUT, _CONST = 0, 1, 2
_next_seq = itertools.count().__next__


class Node:
    """A recorded call of a Function: PyTorch's ``grad_fn``, and the ``ctx`` of that call.

    ``next_functions`` gives the edges towards the inputs: ``(node, output_nr)``
    for an input made by another op, ``(tensor, 0)`` for a leaf that requires
    grad, ``(None, 0)`` for an input that needs no gradient.
    """

    # What every node has lives in slots; the rest (and what forward stores on
    # ctx) goes to the instance dict, with these class defaults.
    __slots__ = ("_fn", "_edges", "needs_input_grad", "_in_meta", "_n_out", "_seq", "__dict__",
                 "__weakref__")
    _released = False
    _to_save = None
    _saved = None
    _hooks = None
    _trace = None
    _non_diff = None
    _out_meta = None
    materialize_grads = True

    def __init__(self, fn, edges, needs, in_meta):
        self._fn = fn
        self._edges = edges
        self.needs_input_grad = needs
        self._in_meta = in_meta
        self._n_out = 1
        # Creation order: a node's inputs are always older, so running nodes
        # newest-first is a topological order (the engine's priority).
        self._seq = _next_seq()

    # -- what forward calls -------------------------------------------------
    def save_for_backward(self, *items):
        """Keep what backward needs: inputs, outputs, or other arrays/tensors."""
        self._to_save = items

    def mark_non_differentiable(self, *outputs):
        """Outputs (arrays in an Op, Tensors in a Function) that get no gradient."""
        self._non_diff = outputs

    def set_materialize_grads(self, value: bool):
        """Whether missing output gradients reach backward as zeros (True) or None."""
        self.materialize_grads = bool(value)

    def mark_dirty(self, *tensors):
        raise NotImplementedError(
            "ctx.mark_dirty(): in-place custom Functions are not supported by ember; return a new tensor")

    # -- what backward calls ------------------------------------------------
    def _freed_error(self):
        return RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward.")

    def _stale_error(self, kind, obj, vc, ver, nr):
        shape = list(obj.shape)
        what = f"output {nr} of {self.name()}" if kind == _OUT else "an input"
        return RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{obj.dtype} {shape}], which is {what} of {self.name()}, is at "
            f"version {vc[0]}; expected version {ver} instead.")

    @property
    def saved_tensors(self):
        """What forward saved, checked against in-place changes since."""
        if self._released:
            raise self._freed_error()
        saved = self._saved
        if saved is None:
            return ()
        out = []
        for kind, obj, vc, ver, nr in saved:
            if kind == _CONST:
                out.append(obj)
                continue
            if vc is not None and vc[0] != ver:
                raise self._stale_error(kind, obj, vc, ver, nr)
            if kind == _IN:
                out.append(obj)
            else:  # an output: rebuild it as a tensor made by this node
                t = _wrap(obj, True, self, nr)
                t._vc = vc
                out.append(t)
        return tuple(out)

    @property
    def saved_arrays(self):
        """What forward saved, as raw arrays (for an op's ``fast_backward``), checked alike."""
        if self._released:
            raise self._freed_error()
        saved = self._saved
        if saved is None:
            return ()
        out = []
        for kind, obj, vc, ver, nr in saved:
            if vc is not None and vc[0] != ver:
                raise self._stale_error(kind, obj, vc, ver, nr)
            out.append(obj._data if kind == _IN else obj)
        return out

    # -- introspection --------------------------------------------------------
    def name(self) -> str:
        return self._fn.__name__ + "Backward"

    @property
    def next_functions(self):
        return tuple(e if e is not None else (None, 0) for e in self._edges)

    def register_hook(self, fn):
        raise NotImplementedError("Node.register_hook(): register hooks on tensors instead")

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    # -- engine side ----------------------------------------------------------
    def _add_hook(self, nr, fn):
        if self._hooks is None:
            self._hooks = {}
        self._hooks.setdefault(nr, []).append(fn)

    def _release(self):
        self._released = True
        self._saved = None

    def _resolve_saved(self, raw_inputs, inputs, outputs, raw_outputs=()):
        """Turn what forward passed to save_for_backward into saved entries.

        An item that is one of the inputs is kept as that input Tensor (with its
        version); one of the outputs is kept as its array and rebuilt as a tensor
        made by this node when unpacked (no reference cycle); anything else is a
        constant.
        """
        entries = []
        for item in self._to_save:
            entry = None
            if item is not None and type(item) not in (int, float, bool, tuple, str):
                for i, r in enumerate(raw_inputs):
                    if item is r and isinstance(inputs[i], Tensor):
                        t = inputs[i]
                        vc = t._vc
                        if vc is None:
                            vc = t._vc = [0]
                        entry = (_IN, t, vc, vc[0], 0)
                        break
                else:
                    for j, o in enumerate(outputs):
                        if item is o._data or item is o or (
                                j < len(raw_outputs) and item is raw_outputs[j]):
                            vc = o._vc
                            if vc is None:
                                vc = o._vc = [0]
                            entry = (_OUT, o._data, vc, vc[0], j)
                            break
            if entry is None:
                entry = (_CONST, item, None, 0, 0)
            entries.append(entry)
        self._saved = entries
        self._to_save = None


class _NullCtx:
    """The ctx of a call that records nothing: saving is a no-op."""

    needs_input_grad = ()
    materialize_grads = True

    def save_for_backward(self, *items):
        pass

    def mark_non_differentiable(self, *outputs):
        pass

    def set_materialize_grads(self, value):
        pass


def _check_devices(name, arrays):
    kinds = {type(a) for a in arrays}
    if len(kinds) > 1:
        from ..backend import device_of  # noqa: PLC0415

        devs = sorted({str(device_of(a)) for a in arrays})
        raise RuntimeError(
            f"{name}: expected all tensors to be on the same device, but found at least two "
            f"devices, {devs[0]} and {devs[1]}!")


def _mixed_devices(name, args):
    """The raw arguments of a call whose tensors sit on different devices.

    As in PyTorch, a 0-d CPU tensor that needs no gradient (a scalar) may meet
    tensors of another device: it is copied there. Any other mix is an error.
    """
    from ..backend import device_of, is_device_array, to_device  # noqa: PLC0415

    dev = next(device_of(a._data) for a in args
               if isinstance(a, Tensor) and is_device_array(a._data))
    out = []
    for a in args:
        if isinstance(a, Tensor) and device_of(a._data) != dev:
            d = a._data
            if type(d) is not np.ndarray or d.ndim or a.requires_grad:
                _check_devices(name, [x._data for x in args if isinstance(x, Tensor)])
            a = _wrap(to_device(d, dev), False, None, 0)
        out.append(a)
    return tuple(out)


def _as_array(out, _nd=np.ndarray):
    if type(out) is _nd:
        return out
    if isinstance(out, np.generic):
        return np.asarray(out)
    return out


class Function:
    """Base of a differentiable function with a custom backward, as in PyTorch.

    Subclass it with two static methods and call ``.apply``::

        class Cube(ember.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            def backward(ctx, grad):
                x, = ctx.saved_tensors
                return 3 * x ** 2 * grad

        y = Cube.apply(x)

    ``forward`` receives Tensors (recording is off inside it) and returns a
    Tensor or a tuple of Tensors; ``backward`` receives one gradient per output
    and returns one per input (``None`` for inputs that need none).
    """

    fast_backward = None  # see Op

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError(f"{__class__.__name__}.forward() must be overridden")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError(f"{__class__.__name__}.backward() must be overridden")

    @classmethod
    def apply(cls, *args, **kwargs):
        tensors = [a for a in args if isinstance(a, Tensor)]
        _check_devices(cls.__name__, [t._data for t in tensors])
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        record = state.enabled and any(needs)
        if not record:
            prev = state.enabled
            state.enabled = False
            try:
                return cls.forward(_NullCtx(), *args, **kwargs)
            finally:
                state.enabled = prev
        edges = tuple(_edge(a) if n else None for a, n in zip(args, needs))
        meta = tuple((a._data.shape, a._data.dtype) if n else None for a, n in zip(args, needs))
        node = Node(cls, edges, needs, meta)
        if state.anomaly:
            node._trace = traceback.format_stack()[:-1]
        prev = state.enabled
        state.enabled = False
        try:
            out = cls.forward(node, *args, **kwargs)
        finally:
            state.enabled = prev
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        non_diff = node._non_diff or ()
        wrapped = []
        for j, o in enumerate(outs):
            if not isinstance(o, Tensor):
                wrapped.append(o)
                continue
            if any(o is nd for nd in non_diff) or not o.dtype.is_floating_point:
                wrapped.append(_wrap(o._data, False, None, 0))
            else:
                wrapped.append(_wrap(o._data, True, node, j))
        node._n_out = len(outs)
        node._out_meta = tuple((o._data.shape, o._data.dtype) if isinstance(o, Tensor) else None
                               for o in outs)
        if node._to_save is not None:
            # Map the forward's own tensors to the wrapped outputs before resolving.
            items = []
            for item in node._to_save:
                for j, o in enumerate(outs):
                    if item is o and isinstance(wrapped[j], Tensor):
                        item = wrapped[j]
                        break
                items.append(item)
            node._to_save = items
            node._resolve_saved(tuple(args), args, [w for w in wrapped if isinstance(w, Tensor)])
        return wrapped[0] if single else tuple(wrapped)

    @classmethod
    def _call_backward(cls, node, grads):
        return cls.backward(node, *grads)


def _edge(t):
    fn = t.grad_fn
    if fn is None:
        return (t, 0)
    return (fn, t._out_nr)


class Op(Function):
    """Base of ember's own ops: ``forward`` works on raw arrays, ``backward`` on Tensors.

    Class attribute ``view = True`` marks an op whose output shares memory with
    its first input (reshape, transpose, basic indexing): the output then shares
    the input's version counter, so in-place changes through either are seen.
    """

    view = False
    # bfloat16 has no fast arithmetic in NumPy (ml_dtypes' loops accumulate sums in bfloat16):
    # an op given a bfloat16 tensor runs in float32 and rounds its float results back, as
    # PyTorch's CPU kernels do, unless it only moves data (a view, a cast) and says so here.
    bf16_native = False
    # Optional ``fast_backward(ctx, *grad_arrays) -> tuple of arrays or None``:
    # the same gradient on raw arrays, used for first-order backward (no
    # create_graph) where it saves whole passes; ``backward`` stays the
    # reference and serves create_graph. The op table checks they agree.
    fast_backward = None

    @classmethod
    def apply(cls, *args):
        raw = []
        record = False
        kind = None
        for a in args:
            if isinstance(a, Tensor):
                d = a._data
                if d.dtype is _BF16 and not (cls.bf16_native or cls.view):
                    return _apply_in_float32(cls, args)
                raw.append(d)
                if a.requires_grad:
                    record = True
                if kind is None:
                    kind = type(d)
                elif type(d) is not kind:
                    args = _mixed_devices(cls.__name__, args)
                    raw = [x._data if isinstance(x, Tensor) else x for x in args]
                    record = any(isinstance(x, Tensor) and x.requires_grad for x in args)
                    break
            else:
                raw.append(a)
        if not (record and state.enabled):
            out = cls.forward(_NullCtx(), *raw)
            if type(out) is tuple:
                return tuple(_wrap(_as_array(o), False, None, 0) for o in out)
            t = _wrap(_as_array(out), False, None, 0)
            if cls.view:
                _share_version(t, args[0])
            return t
        needs = []
        edges = []
        meta = []
        for a in args:
            if isinstance(a, Tensor) and a.requires_grad:
                fn = a.grad_fn
                needs.append(True)
                edges.append((a, 0) if fn is None else (fn, a._out_nr))
                meta.append((a._data.shape, a._data.dtype))
            else:
                needs.append(False)
                edges.append(None)
                meta.append(None)
        node = Node(cls, tuple(edges), tuple(needs), tuple(meta))
        if state.anomaly:
            node._trace = traceback.format_stack()[:-1]
        out = cls.forward(node, *raw)
        non_diff = node._non_diff
        if type(out) is tuple:
            outs = []
            for j, o in enumerate(out):
                o = _as_array(o)
                if non_diff is not None and any(o is nd for nd in non_diff):
                    outs.append(_wrap(o, False, None, 0))
                else:
                    outs.append(_wrap(o, True, node, j))
            node._n_out = len(outs)
            node._out_meta = tuple((o._data.shape, o._data.dtype) for o in outs)
            if node._to_save is not None:
                node._resolve_saved(raw, args, outs, out)
            return tuple(outs)
        t = _wrap(_as_array(out), True, node, 0)
        if cls.view:
            _share_version(t, args[0])
        if node._to_save is not None:
            node._resolve_saved(raw, args, (t,), (out,))
        return t


class Convert(Op):
    """A floating dtype conversion, for the bfloat16 path of ``Op.apply`` and for autocast.
    Backward: g (the engine casts it to the input's dtype)."""

    bf16_native = True

    @staticmethod
    def forward(ctx, x, dt):
        return x.astype(dt)

    @staticmethod
    def backward(ctx, g):
        return g, None

    @staticmethod
    def fast_backward(ctx, g):
        return g, None


def _apply_in_float32(cls, args):
    """``cls`` applied to ``args`` with its bfloat16 tensors widened to float32, and its
    float32 results rounded to bfloat16 -- unless a wider floating tensor is among the
    inputs (then the result has its dtype, as type promotion gives it), or an argument asks
    for float32 by name, as ``sum(x, dtype=float32)`` does."""
    f32 = np.dtype(np.float32)
    wide = tuple(Convert.apply(a, f32) if isinstance(a, Tensor) and a._data.dtype is _BF16
                 else a for a in args)
    keep = any((isinstance(a, np.dtype) and a == f32) or (
        isinstance(a, Tensor) and a._data.dtype.kind == "f") for a in args)
    out = cls.apply(*wide)

    def narrow(o):
        if keep or not isinstance(o, Tensor) or o._data.dtype != f32:
            return o
        return Convert.apply(o, _BF16)
    return tuple(narrow(o) for o in out) if type(out) is tuple else narrow(out)


def _share_version(out, src):
    """Make view ``out`` share ``src``'s version counter and remember its base."""
    vc = src._vc
    if vc is None:
        vc = src._vc = [0]
    out._vc = vc
    out._base = src._base if src._base is not None else src


def once_differentiable(fn):
    """Decorator for a backward that cannot itself be differentiated.

    With ``create_graph=True`` the gradient it returns is a constant; trying to
    differentiate through it raises instead of silently giving a wrong answer.
    """
    import functools  # noqa: PLC0415

    @functools.wraps(fn)
    def wrapper(ctx, *grads):
        from .grad_mode import no_grad  # noqa: PLC0415

        recording = state.enabled  # create_graph: the result must not pass as differentiable
        with no_grad():
            out = fn(ctx, *grads)
        if recording:
            outs = out if isinstance(out, tuple) else (out,)
            res = tuple(_wrap(o._data, True, Node(_NotDifferentiable, (), (), ()), 0)
                        if isinstance(o, Tensor) else o for o in outs)
            return res if isinstance(out, tuple) else res[0]
        return out
    return wrapper


class _NotDifferentiable(Function):
    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("trying to differentiate twice a function that was marked with "
                           "@once_differentiable")
