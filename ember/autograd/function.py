"""How calls become graph records: the :class:`Function` base class and ember's :class:`Op`.

A differentiable op is a subclass of :class:`Function` whose ``forward`` and
``backward`` stand side by side. Calling ``Op.apply(...)`` runs forward and,
when gradients are being recorded, returns outputs whose ``grad_fn`` is a
:class:`Node` (``ember/autograd/node.py``): the record of that call. The node is
also the ``ctx`` that ``forward`` and ``backward`` see.

Two flavours share one node type and one engine:

* :class:`Function` (public, PyTorch's ``torch.autograd.Function``):
  ``forward(ctx, *args)`` receives Tensors and runs with recording off; or, in
  PyTorch 2's style, ``forward(*args)`` without ctx plus a static
  ``setup_context(ctx, inputs, output)``.
* :class:`Op` (ember's own ops): ``forward(ctx, *args)`` receives raw
  NumPy/CuPy arrays, which keeps the per-op cost low.

In both, ``backward(ctx, *grads)`` receives and returns Tensors and is written
with ember ops, so the same formula serves first-order gradients (run with
recording off) and higher-order ones (``create_graph=True``, recorded).
"""
from __future__ import annotations

import functools
import inspect
import traceback
import warnings

import numpy as np

from .._grad_mode import inference_users
from ..backend import BF16 as _BF16
from ..backend import C64 as _C64
from ..backend import C128 as _C128
from ..tensor import Tensor, _mark_inference, _wrap
from .grad_mode import state
from .node import _CONST, _IN, _OUT, Node  # noqa: F401 - _CONST/_IN/_OUT: saved-entry kinds

__all__ = ["Function", "FunctionCtx", "Op", "Node", "once_differentiable", "InplaceFunction"]


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


class FunctionCtx:
    """The ctx a :class:`Function` sees when the call records nothing (no input requires
    grad, or grad mode is off): it takes the same calls as a recording node."""

    materialize_grads = True
    _to_save = None
    _non_diff = None
    _dirty = None

    def __init__(self, needs=()):
        self.needs_input_grad = needs

    def save_for_backward(self, *tensors):
        self._to_save = tensors

    def save_for_forward(self, *tensors):
        Node.save_for_forward(self, *tensors)

    def mark_non_differentiable(self, *args):
        self._non_diff = args

    def mark_dirty(self, *args):
        self._dirty = args

    def set_materialize_grads(self, value: bool):
        self.materialize_grads = bool(value)


def _bind(cls, args, kwargs):
    """``forward``'s arguments bound to its signature with defaults applied, as PyTorch does
    for a Function with ``setup_context`` (so ``inputs`` holds every positional parameter)."""
    sig = cls.__dict__.get("_fwd_signature")
    if sig is None:
        sig = cls._fwd_signature = inspect.signature(cls.forward)
    bound = sig.bind(*args, **kwargs)
    bound.apply_defaults()
    return bound.args, bound.kwargs


def _run_forward(cls, ctx, args, kwargs):
    """forward (and setup_context, PyTorch 2's style) with recording off."""
    prev = state.enabled
    state.enabled = False
    try:
        if cls._setup_style:
            out = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, out)
        else:
            out = cls.forward(ctx, *args, **kwargs)
    finally:
        state.enabled = prev
    return out


def _mark_dirty_outputs(ctx, outs, recording):
    """Check the inputs forward changed in place (``ctx.mark_dirty``) and bump their versions."""
    dirty = ctx._dirty
    if not dirty:
        return
    for d in dirty:
        if not any(o is d for o in outs):
            raise RuntimeError(
                "Some elements marked as dirty during the forward method were not returned as "
                "output. The inputs that are modified inplace must all be outputs of the "
                "Function.")
        if recording:
            if d.requires_grad and d.grad_fn is None:
                raise RuntimeError("a leaf Variable that requires grad has been used in an "
                                   "in-place operation.")
            if d._base is not None and d._base.requires_grad:
                raise NotImplementedError(
                    "mark_dirty: in-place modification of a view of a tensor that requires grad "
                    "is not supported by ember (it does not rebase views); return a new tensor "
                    "from the Function instead")
        d._bump()


class Function:
    """Base of a differentiable function with a custom backward, as in PyTorch.

    Subclass it with static methods and call ``.apply``::

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

    or in PyTorch 2's style, with ``forward`` free of ctx::

        class Cube(ember.autograd.Function):
            @staticmethod
            def forward(x):
                return x ** 3

            @staticmethod
            def setup_context(ctx, inputs, output):
                ctx.save_for_backward(inputs[0])

            @staticmethod
            def backward(ctx, grad):
                x, = ctx.saved_tensors
                return 3 * x ** 2 * grad

    ``forward`` receives the arguments as given (Tensors and anything else; recording is
    off inside it) and returns a Tensor, a tuple, or any other object; ``backward``
    receives one gradient per output (None for outputs that are not Tensors) and returns
    one per input (``None`` for inputs that need none). On ``ctx``: ``save_for_backward``
    (inputs, outputs or intermediate Tensors, checked against later in-place changes),
    ``saved_tensors``, ``needs_input_grad``, ``mark_non_differentiable``,
    ``set_materialize_grads`` and ``mark_dirty`` (forward changed an input in place and
    returns it). The output's ``grad_fn`` is named ``<ClassName>Backward``.

    ``generate_vmap_rule`` and ``vmap`` are read by nothing here, as in PyTorch outside
    ``torch.vmap`` (which ember does not have); ``jvp`` (forward-mode AD) is not run.
    """

    fast_backward = None  # see Op
    generate_vmap_rule = False
    _setup_style = False
    _grad_fn_name = "FunctionBackward"
    _backward_cls = Node

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._grad_fn_name = cls.__name__ + "Backward"
        if getattr(cls, "_raw_arrays", False):  # an Op: nodes are plain Nodes
            return
        # Each Function gets its own node class, so type(y.grad_fn).__name__ is
        # "<ClassName>Backward", as in PyTorch.
        cls._backward_cls = type(cls._grad_fn_name, (Node,), {"__slots__": (),
                                                               "__module__": cls.__module__})
        cls._setup_style = cls.setup_context is not Function.setup_context
        own_bw = cls.backward is not Function.backward
        own_vjp = cls.vjp is not Function.vjp
        if own_vjp and not own_bw:
            cls.backward = cls.vjp
        elif own_vjp and cls.vjp is not cls.backward:
            cls.backward = staticmethod(_both_backward_and_vjp)

    def __init__(self, *args, **kwargs):
        warnings.warn(
            f"{self.__class__} should not be instantiated. Methods on autograd functions are "
            "all static, so you should invoke them on the class itself. Instantiating an "
            "autograd function will raise an error in a future version of PyTorch.",
            DeprecationWarning, stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use "
            "new-style autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode "
                                  "AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom "
                                  "autograd.Function to use it with forward mode AD.")

    @staticmethod
    def vmap(info, in_dims, *args):
        raise NotImplementedError("To use autograd.Function with vmap, you must either override "
                                  "the vmap staticmethod or set generate_vmap_rule=True.")

    @classmethod
    def apply(cls, *args, **kwargs):
        if cls._setup_style:
            args, kwargs = _bind(cls, args, kwargs)
        _check_devices(cls.__name__, [a._data for a in args if isinstance(a, Tensor)])
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        if not (state.enabled and any(needs)):
            ctx = FunctionCtx(needs)
            out = _run_forward(cls, ctx, args, kwargs)
            outs = out if isinstance(out, tuple) else (out,)
            _mark_dirty_outputs(ctx, outs, False)
            if inference_users[0] and state.inference:
                for o in outs:
                    if isinstance(o, Tensor) and not any(o is a for a in args):
                        _mark_inference(o)
            return out
        edges = tuple(_edge(a) if n else None for a, n in zip(args, needs))
        meta = tuple((a._data.shape, a._data.dtype) if n else None for a, n in zip(args, needs))
        node = cls._backward_cls(cls, edges, needs, meta)
        if state.anomaly:
            node._trace = traceback.format_stack()[:-1]
        out = _run_forward(cls, node, args, kwargs)
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        _mark_dirty_outputs(node, outs, True)
        wrapped = _wrap_outputs(node, args, outs)
        if node._to_save is not None:
            _resolve_function_saved(node, args, outs, wrapped)
        return wrapped[0] if single else tuple(wrapped)


def _both_backward_and_vjp(ctx, *grads):
    raise RuntimeError("Implementing both 'backward' and 'vjp' for a custom Function is not "
                       "allowed. You should only implement one of them.")


def _wrap_outputs(node, args, outs):
    """The outputs a recording Function call returns: differentiable ones made by ``node``
    (an input changed in place keeps its identity and takes ``node`` as its history),
    the others cut from the graph. Each shares its version counter with what forward
    returned, since it shares the memory; an input returned as-is comes back as a view of
    it that may not be changed in place (PyTorch's rule)."""
    non_diff = node._non_diff or ()
    dirty = node._dirty or ()
    wrapped = []
    for j, o in enumerate(outs):
        if not isinstance(o, Tensor):
            wrapped.append(o)
            continue
        differentiable = (o.dtype.is_floating_point or o.dtype.is_complex) and \
            not any(o is nd for nd in non_diff)
        if any(o is d for d in dirty):
            if differentiable:
                o.grad_fn, o._out_nr, o.requires_grad = node, j, True
            wrapped.append(o)
            continue
        t = _wrap(o._data, differentiable, node if differentiable else None, j)
        if o._vc is None:
            o._vc = [0]
        t._vc = o._vc
        if differentiable and any(o is a for a in args):
            t._base = o if o._base is None else o._base
            t._view_h = t._base._hist
            t._custom_view = f"Output {j} of {node._fn.__name__}"
        wrapped.append(t)
    node._n_out = len(outs)
    node._out_meta = tuple((o._data.shape, o._data.dtype) if isinstance(o, Tensor) else None
                           for o in outs)
    return wrapped


def _resolve_function_saved(node, args, outs, wrapped):
    """Turn what a Function saved into saved entries: a differentiable output is kept as its
    array and rebuilt as a tensor of ``node`` when unpacked (no reference cycle); inputs and
    intermediate tensors are kept as they are; each is checked against its version."""
    entries = []
    for i, item in enumerate(node._to_save):
        if item is None:
            entries.append((_CONST, None, None, 0, 0))
            continue
        if not isinstance(item, Tensor):
            raise TypeError(f"save_for_backward can only save variables, but argument {i} is "
                            f"of type {type(item).__name__}")
        j = next((k for k, o in enumerate(outs) if item is o or item is wrapped[k]), None)
        t = item if j is None else wrapped[j]
        vc = t._vc
        if vc is None:
            vc = t._vc = [0]
        if j is not None and t.grad_fn is node:
            entries.append((_OUT, t._data, vc, vc[0], j))
        else:  # an input (nr 0) or an intermediate (nr -1: named so in a stale error)
            nr = 0 if j is not None or any(t is a for a in args) else -1
            entries.append((_IN, t, vc, vc[0], nr))
    node._saved = entries
    node._to_save = None


class InplaceFunction(Function):
    """Kept for old code, as in PyTorch: a :class:`Function` with an ``inplace`` flag."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace


def _edge(t):
    if t._base is not None and t._view_h != t._base._hist:
        refresh_view(t)
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
    # How the op treats complex tensors. None: it refuses them, with an error naming the op
    # and the dtype. "linear": its backward is a real-linear map of the gradient (sums,
    # reshapes, indexing, copies), right for complex gradients as written. "holomorphic": its
    # forward is complex-analytic in every input, so with PyTorch's convention (the gradient
    # is the conjugate Wirtinger derivative) its complex backward is conj(backward(conj(g)));
    # a variant class, made once per op, runs it so. "own": forward and backward handle
    # complex tensors themselves.
    complex_support = None
    # bfloat16 has no fast arithmetic in NumPy (ml_dtypes' loops accumulate sums in bfloat16):
    # an op given a bfloat16 tensor runs in float32 and rounds its float results back, as
    # PyTorch's CPU kernels do, unless it only moves data (a view, a cast) and says so here.
    bf16_native = False
    _raw_arrays = True
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
                dt = d.dtype
                if dt is _BF16 or dt is _C64 or dt is _C128:
                    if dt is _BF16:
                        if not (cls.bf16_native or cls.view):
                            return _apply_in_float32(cls, args)
                    elif cls.complex_support != "linear" and cls.complex_support != "own":
                        return _complex_variant(cls, dt).apply(*args)
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
                outs = tuple(_wrap(_as_array(o), False, None, 0) for o in out)
                if cls.view:
                    for t in outs:
                        _share_version(t, args[0])
                elif inference_users[0] and state.inference:
                    for t in outs:
                        _mark_inference(t)
                return outs
            t = _wrap(_as_array(out), False, None, 0)
            if cls.view:
                _share_version(t, args[0])
            elif inference_users[0] and state.inference:
                _mark_inference(t)
            return t
        needs = []
        edges = []
        meta = []
        for a in args:
            if isinstance(a, Tensor) and a.requires_grad:
                if a._base is not None and a._view_h != a._base._hist:
                    refresh_view(a)
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
            if cls.view:
                for t in outs:
                    _share_version(t, args[0])
            if node._to_save is not None:
                node._resolve_saved(raw, args, outs, out)
            return tuple(outs)
        t = _wrap(_as_array(out), True, node, 0)
        if cls.view:
            _share_version(t, args[0])
        if node._to_save is not None:
            node._resolve_saved(raw, args, (t,), (out,))
        return t


def _complex_variant(cls, dt):
    """The class that runs ``cls`` on complex tensors (see ``Op.complex_support``)."""
    if cls.complex_support != "holomorphic":
        from ..backend import from_np  # noqa: PLC0415

        raise NotImplementedError(f"{cls.__name__}: ember does not support complex tensors in "
                                  f"this op (got {from_np(dt)})")
    var = cls.__dict__.get("_complex_cls")
    if var is None:
        body = {"complex_support": "own", "__module__": cls.__module__,
                "__qualname__": cls.__qualname__, "__doc__": cls.__doc__,
                "backward": staticmethod(_conjugated(cls.backward, False))}
        if cls.fast_backward is not None:
            body["fast_backward"] = staticmethod(_conjugated(cls.fast_backward, True))
        var = type(cls.__name__, (cls,), body)
        cls._complex_cls = var
    return var


def _conjugated(backward, raw):
    """``conj(backward(conj(g)))``: the complex gradient of a holomorphic op from its real
    formula (on raw arrays when ``raw``, else on Tensors, recorded under create_graph)."""
    def conj(x):
        if x is None:
            return None
        if raw:
            return x.conj() if x.dtype.kind == "c" else x
        return x.conj() if x.is_complex() else x

    def run(ctx, *grads):
        out = backward(ctx, *[conj(g) for g in grads])
        if out is None:
            return None
        if type(out) is not tuple:
            return conj(out)
        return tuple(conj(g) for g in out)
    return run


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
    """Make view ``out`` share ``src``'s version counter and remember its base (and which
    of the base's histories its own belongs to: see ``_views``)."""
    vc = src._vc
    if vc is None:
        vc = src._vc = [0]
    out._vc = vc
    base = out._base = src._base if src._base is not None else src
    out._view_h = base._hist


def refresh_view(t):
    """Rebuild view ``t``'s history from its base's, changed in place since (``_views``)."""
    from . import _views  # noqa: PLC0415 - _views builds on this module

    _views.refresh(t)


def once_differentiable(fn):
    """Decorator for a ``backward`` that cannot itself be differentiated (PyTorch's).

    It runs ``fn`` with recording off. Under ``create_graph=True``, when a gradient it
    received requires grad, the gradients it returns require grad too but lead to a node
    whose backward raises. As in PyTorch, when none of the gradients it received requires
    grad its results are plain constants (what they owe to saved tensors is not recorded).
    """
    return _once(fn, strict=False)


def op_once_differentiable(fn):
    """``once_differentiable`` for ember's own ops, whose PyTorch counterparts can be
    differentiated twice: under ``create_graph=True`` the results always lead to the node
    that raises, so a second-order gradient through the op is an error, never a silently
    incomplete value."""
    return _once(fn, strict=True)


def _once(fn, strict):
    @functools.wraps(fn)
    def wrapper(ctx, *args, **kwargs):
        prev = state.enabled
        state.enabled = False
        try:
            outputs = fn(ctx, *args, **kwargs)
        finally:
            state.enabled = prev
        if not prev or not (strict or any(isinstance(a, Tensor) and a.requires_grad
                                          for a in args)):
            return outputs
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        err = Node(_DelayedError, (), (), ())
        err._n_out = len(outs)
        err._out_meta = tuple((o._data.shape, o._data.dtype) if isinstance(o, Tensor) else None
                              for o in outs)
        res = tuple(None if o is None else _wrap(o._data, True, err, j) if isinstance(o, Tensor)
                    else o for j, o in enumerate(outs))
        return res[0] if single else res
    return wrapper


class _DelayedError(Function):
    """The node behind the gradients a ``once_differentiable`` backward returned under
    ``create_graph=True``: differentiating them raises (PyTorch names it ``Error``)."""

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError("trying to differentiate twice a function that was marked with "
                           "@once_differentiable")


_DelayedError._grad_fn_name = "ember::autograd::Error"  # PyTorch's name, in ember's namespace
