"""Activation checkpointing (``torch.utils.checkpoint``): trade compute for memory.

``checkpoint(fn, *args)`` runs ``fn`` without keeping the arrays its backward would need, and
runs it again during backward to get them back, with the random generators put back in the
state they had, so that dropout draws the same masks and the gradients are those of the plain
run (bit for bit on the CPU). A deep stack checkpointed block by block keeps only each
block's inputs between forward and backward.

The two variants of PyTorch:

* ``use_reentrant=True`` (PyTorch's default when ``use_reentrant`` is not given, with its
  warning): forward runs under ``no_grad``; backward recomputes the block and runs a nested
  ``backward()`` through it, which accumulates the block's parameter gradients straight
  into their ``.grad``. So it works only with ``Tensor.backward()``/``autograd.backward()``
  without ``inputs`` (``autograd.grad`` raises), takes no keyword arguments, and needs an
  input that requires grad (without one the output needs no grad, with PyTorch's warning).
* ``use_reentrant=False``: forward records the block's graph once to learn which tensors
  from outside it the block uses (its inputs, the parameters it closes over, any earlier
  tensor), then drops that graph and gives the outputs one node whose backward recomputes the
  block and sends the gradients to those tensors. It works with ``autograd.grad``,
  ``backward(inputs=...)``, keyword arguments, nested structures and nested checkpoints.
  Its outputs' ``grad_fn`` is that node (``CheckpointBackward``), not the block's last op.

``determinism_check="default"`` compares the operations recorded by the recomputation (their
names and the shapes and dtypes of their inputs) with the forward's and raises
:class:`CheckpointError` on a difference; ``debug=True`` adds both lists of operations to that
error. ember's recomputation always runs the whole function: ``early_stop`` (stop
recomputing once the saved tensors are back, a saving of PyTorch's hook-based
implementation) has nothing to stop and changes no result.
"""
from __future__ import annotations

import contextlib
import warnings

from .. import backend
from .. import _amp_state
from .._grad_mode import enable_grad as _enable_grad, is_grad_enabled as _is_grad_enabled
from ..amp import autocast as _autocast
from ..autograd import engine
from ..autograd.function import Function, Op
from ..autograd.node import _IN, Node, _next_seq
from ..random import fork_rng as _fork_rng
from ..tensor import Tensor, _wrap
from . import _pytree

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "CheckpointFunction",
           "check_backward_validity", "detach_variable", "get_device_states",
           "set_device_states", "noop_context_fn", "set_checkpoint_early_stop",
           "set_checkpoint_debug_enabled", "DefaultDeviceType"]

_checkpoint_debug_enabled = None
_enable_checkpoint_early_stop = None


class CheckpointError(RuntimeError):
    """The recomputation of a checkpointed block did not match its forward."""


def noop_context_fn():
    """The default ``context_fn``: no context around the forward or the recomputation."""
    return contextlib.nullcontext(), contextlib.nullcontext()


@contextlib.contextmanager
def set_checkpoint_debug_enabled(enabled):
    """Inside the block, ``debug`` of every non-reentrant checkpoint is ``enabled`` (None:
    each call's own)."""
    global _checkpoint_debug_enabled
    prev = _checkpoint_debug_enabled
    _checkpoint_debug_enabled = enabled
    try:
        yield
    finally:
        _checkpoint_debug_enabled = prev


@contextlib.contextmanager
def set_checkpoint_early_stop(enable: bool):
    """Inside the block, ``early_stop`` of every non-reentrant checkpoint is ``enable``
    (which changes nothing in ember: see the module docstring)."""
    global _enable_checkpoint_early_stop
    prev = _enable_checkpoint_early_stop
    _enable_checkpoint_early_stop = bool(enable)
    try:
        yield
    finally:
        _enable_checkpoint_early_stop = prev


def detach_variable(inputs):
    """``inputs`` (a tuple) with each tensor detached, keeping its ``requires_grad``."""
    if not isinstance(inputs, tuple):
        raise RuntimeError("Only tuple of tensors is supported. Got Unsupported input type: "
                           f"{type(inputs).__name__}")
    out = []
    for x in inputs:
        if isinstance(x, Tensor):
            d = x.detach()
            d.requires_grad = x.requires_grad
            x = d
        out.append(x)
    return tuple(out)


def check_backward_validity(inputs) -> None:
    if not any(x.requires_grad for x in inputs if isinstance(x, Tensor)):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      stacklevel=2)


class DefaultDeviceType:
    """The device type whose generators checkpointing saves when no input is on a device
    (``"cuda"`` when a GPU, or the CPU stand-in of CuPy, is available, else ``"cpu"``)."""

    _default_device_type = None

    @staticmethod
    def set_device_type(device: str = "cuda") -> None:
        DefaultDeviceType._default_device_type = device

    @staticmethod
    def get_device_type() -> str:
        if not DefaultDeviceType._default_device_type:
            DefaultDeviceType._default_device_type = "cuda" if backend.cuda_is_available() \
                else "cpu"
        return DefaultDeviceType._default_device_type


def _device_type(*args) -> str:
    kinds = [t.device.type for t in _pytree.tree_leaves(args)
             if isinstance(t, Tensor) and t.device.type != "cpu"]
    return "cuda" if kinds else DefaultDeviceType.get_device_type()


def _generator(device_type: str, index):
    return backend.generator_for(backend.device(device_type, int(index or 0)))


def get_device_states(*args):
    """``(device_ids, states)``: the GPUs holding tensors among ``args`` and the state of each
    one's default generator (a snapshot of the generator object, where PyTorch gives a byte
    tensor: it is for :func:`set_device_states`, not for saving to a file)."""
    ids = []
    for t in _pytree.tree_leaves(args):
        if isinstance(t, Tensor) and t.device.type == "cuda":
            ids.append(t.device.index or 0)
    return ids, [_generator("cuda", i)._snapshot() for i in ids]


def set_device_states(devices, states, *, device_type=None) -> None:
    """Put back generator states from :func:`get_device_states`."""
    device_type = DefaultDeviceType.get_device_type() if device_type is None else device_type
    if device_type == "meta":
        return
    for d, s in zip(devices, states):
        _generator(device_type, d)._restore(s)


# ---------------------------------------------------------------- what a recomputation replays
class _Replay:
    """The state a recomputation must see again: the random generators (when
    ``preserve_rng_state``) and the autocast settings of the forward."""

    def __init__(self, args, preserve: bool):
        self.preserve = preserve
        self.device_type = _device_type(*args)
        self.autocast = {d: (_amp_state.is_autocast_enabled(d),
                             _amp_state.get_autocast_dtype(d)) for d in ("cpu", "cuda")}
        self.autocast_cache = _amp_state.is_autocast_cache_enabled()
        self.devices, self.device_states = [], []
        if preserve:
            self.cpu = backend.default_generator.get_state()
            if self.device_type == "cuda" and backend._cuda_generators:
                self.devices, self.device_states = get_device_states(*args)

    @contextlib.contextmanager
    def __call__(self):
        with _fork_rng(devices=self.devices, enabled=self.preserve,
                      device_type=self.device_type), contextlib.ExitStack() as stack:
            if self.preserve:
                backend.set_rng_state(self.cpu)
                set_device_states(self.devices, self.device_states, device_type="cuda")
            for dev, (on, dtype) in self.autocast.items():
                if on or _amp_state.is_autocast_enabled(dev):
                    stack.enter_context(_autocast(dev, dtype=dtype, enabled=on,
                                                 cache_enabled=self.autocast_cache))
            yield


# ---------------------------------------------------------------- the reentrant variant
class CheckpointFunction(Function):
    """The reentrant checkpoint: forward without a graph, backward by a nested backward."""

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        check_backward_validity(args)
        ctx.run_function = run_function
        ctx.replay = _Replay(args, preserve_rng_state)
        ctx.inputs = [None if isinstance(a, Tensor) else a for a in args]
        ctx.tensor_indices = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.save_for_backward(*[args[i] for i in ctx.tensor_indices])
        return run_function(*args)

    @staticmethod
    def backward(ctx, *grads):
        if not engine._is_checkpoint_valid():
            raise RuntimeError(
                "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() or "
                "passing an `inputs` parameter to .backward(). To resolve this error, you can "
                "either set use_reentrant=False, or call .backward() without passing the "
                "`inputs` argument.")
        inputs = list(ctx.inputs)
        for i, t in zip(ctx.tensor_indices, ctx.saved_tensors):
            inputs[i] = t
        with ctx.replay():
            detached = detach_variable(tuple(inputs))
            with _enable_grad():
                outputs = ctx.run_function(*detached)
        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        outs, gs = [], []
        for o, g in zip(outputs, grads):
            if isinstance(o, Tensor) and o.requires_grad:
                outs.append(o)
                gs.append(g)
        if not outs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not "
                               "necessary")
        engine.backward(outs, gs)
        return (None, None) + tuple(x.grad if isinstance(x, Tensor) else None
                                    for x in detached)


# ---------------------------------------------------------------- the non-reentrant variant
def _inner_graph(outputs, start):
    """The nodes recorded after node number ``start`` that ``outputs`` lead to (in recording
    order), and the edges leaving them towards what was there before, each once, keyed by
    ``(id of the node or leaf, output number)``."""
    nodes, boundary, seen = [], {}, set()
    stack = [o.grad_fn for o in outputs]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        nodes.append(node)
        for i, e in enumerate(node._edges):
            if e is None:
                continue
            target = e[0]
            if isinstance(target, Node) and target._seq > start:
                stack.append(target)
            else:
                boundary.setdefault((id(target), e[1]), (e, node._in_meta[i]))
    nodes.sort(key=lambda n: n._seq)
    return nodes, boundary


def _describe(nodes):
    return [(n.name(), tuple(None if m is None else (tuple(m[0]), str(m[1])) for m in n._in_meta))
            for n in nodes]


def _describe_text(desc):
    return "\n".join(f"  {name}{list(metas)}" for name, metas in desc)


class _Checkpoint(Function):
    """The node of a non-reentrant checkpoint's outputs (its ``apply`` is not used: the node
    is made by :func:`_checkpoint_without_reentrant` around the recorded block)."""

    @staticmethod
    def backward(ctx, *grads):
        create_graph = _is_grad_enabled()  # the engine turns grad mode on for create_graph
        saved = ctx.saved_tensors         # raises once released, or if an input changed
        frame = ctx.frame
        flat = list(frame.flat_inputs)
        for i, t in zip(frame.tensor_positions, saved):
            flat[i] = t
        args, kwargs = _pytree.tree_unflatten(flat, frame.inputs_spec)
        # one stand-in per edge of this node, numbered before the recomputed nodes (the
        # engine runs nodes newest first: they must come after all of their consumers)
        stand_ins = []
        for e, meta in zip(ctx._edges, frame.edge_meta):
            s = Node(_StandIn, (e,), (True,), (meta,))
            s.sink = None
            stand_ins.append(s)
        with frame.replay(), frame.recompute_context, _enable_grad():
            start = _next_seq()
            out = frame.function(*args, **kwargs)
        flat_out = _pytree.tree_leaves(out)
        outs = []
        for pos, meta in zip(frame.output_positions, frame.output_meta):
            o = flat_out[pos] if pos < len(flat_out) else None
            if not (isinstance(o, Tensor) and o.grad_fn is not None and o.grad_fn._seq > start) \
                    or (tuple(o.shape), o._data.dtype) != meta:
                raise CheckpointError(
                    "torch.utils.checkpoint: the recomputation returned a different output "
                    f"at position {pos} than the original forward (expected a tensor of shape "
                    f"{list(meta[0])} and dtype {meta[1]} made inside the function).")
            outs.append(o)
        nodes, _ = _inner_graph(outs, start)
        if frame.check and _describe(nodes) != frame.description:
            msg = ("torch.utils.checkpoint: the recomputation recorded different operations "
                   "than the original forward (the operations and the shapes and dtypes of "
                   f"their inputs): {len(frame.description)} in the forward, {len(nodes)} in "
                   "the recomputation.")
            if frame.debug:
                msg += ("\nOperations of the original forward:\n"
                        f"{_describe_text(frame.description)}\nOperations of the "
                        f"recomputation:\n{_describe_text(_describe(nodes))}")
            else:
                msg += ("\nPass debug=True to checkpoint() (or use "
                        "set_checkpoint_debug_enabled(True)) to see both lists.")
            raise CheckpointError(msg)
        for node in nodes:  # what leaves the block now goes through the stand-ins
            edges = list(node._edges)
            changed = False
            for i, e in enumerate(edges):
                if e is None:
                    continue
                target = e[0]
                if isinstance(target, Node) and target._seq > start:
                    continue
                k = frame.edge_index.get((id(target), e[1]))
                if k is None:
                    raise CheckpointError(
                        "torch.utils.checkpoint: the recomputation used a tensor from outside "
                        "the checkpointed function that the original forward did not use.")
                edges[i] = (stand_ins[k], 0)
                changed = True
            if changed:
                node._edges = tuple(edges)
        pairs = [(o, g) for o, g in zip(outs, grads) if g is not None]
        if not pairs:
            return tuple(None for _ in stand_ins)
        roots = [o for o, _ in pairs]
        for s in stand_ins:
            s.sink = [None]
        try:
            engine._run(roots, engine._root_grads(roots, [g for _, g in pairs], "checkpoint"),
                        create_graph, create_graph)
            got = [s.sink[0] for s in stand_ins]
        finally:
            for s in stand_ins:
                s.sink = None
        return tuple(None if g is None else g if isinstance(g, Tensor) else _wrap(g, False, None, 0)
                     for g in got)


class _StandIn(Op):
    """Where a recomputed block's graph reaches a tensor from outside it. While the
    checkpoint's backward runs, the gradient arriving here is caught (``ctx.sink``) and goes
    no further: the checkpoint's node hands it on. Afterwards the node passes gradients
    through unchanged, so a graph recorded with ``create_graph=True`` through the
    recomputed block still leads to the tensors outside it."""

    @staticmethod
    def backward(ctx, g):
        if ctx.sink is not None:
            ctx.sink[0] = g
            return (None,)
        return (g,)

    @staticmethod
    def fast_backward(ctx, g):
        if ctx.sink is not None:
            ctx.sink[0] = g
            return (None,)
        return (g,)


class _Frame:
    """What a non-reentrant checkpoint keeps for its recomputation."""

    def __init__(self, function, args, kwargs, replay, recompute_context, check, debug):
        self.function = function
        self.replay = replay
        self.recompute_context = recompute_context
        self.check = check
        self.debug = debug
        self.flat_inputs, self.inputs_spec = _pytree.tree_flatten((args, kwargs))
        self.tensor_positions = [i for i, x in enumerate(self.flat_inputs)
                                 if isinstance(x, Tensor)]
        self.flat_inputs = [None if isinstance(x, Tensor) else x for x in self.flat_inputs]


def _checkpoint_without_reentrant(function, preserve, context_fn, determinism_check, debug,
                                  args, kwargs):
    debug = _checkpoint_debug_enabled if _checkpoint_debug_enabled is not None else debug
    if debug and context_fn is not noop_context_fn:
        raise ValueError("debug=True is incompatible with non-default context_fn")
    if determinism_check not in ("default", "none"):
        raise ValueError("determinism_check should be one of ['default', 'none'], but got "
                         f"{determinism_check}")
    forward_context, recompute_context = context_fn()
    if not _is_grad_enabled():
        with forward_context:
            return function(*args, **kwargs)
    replay = _Replay((args, kwargs), preserve)
    start = _next_seq()
    suppressed = True
    with forward_context:
        out = function(*args, **kwargs)
        suppressed = False
    if suppressed:
        raise RuntimeError("torch.utils.checkpoint: the forward context provided by context_fn "
                           "suppressed an exception raised during the checkpointed forward. "
                           "This is not supported because checkpoint cannot return a value for "
                           "a failed forward.")
    flat_out, out_spec = _pytree.tree_flatten(out)
    positions, outs, seen = [], [], {}
    for pos, o in enumerate(flat_out):
        if isinstance(o, Tensor) and o.grad_fn is not None and o.grad_fn._seq > start \
                and id(o) not in seen:
            seen[id(o)] = len(outs)
            positions.append(pos)
            outs.append(o)
    if not outs:  # nothing recorded inside reaches the outputs: nothing to recompute
        return out
    nodes, boundary = _inner_graph(outs, start)
    frame = _Frame(function, args, kwargs, replay, recompute_context,
                   determinism_check == "default", debug)
    frame.output_positions = positions
    frame.output_meta = [(tuple(o.shape), o._data.dtype) for o in outs]
    frame.description = _describe(nodes) if frame.check else None
    frame.edge_index = {key: k for k, key in enumerate(boundary)}
    frame.edge_meta = [meta for _, meta in boundary.values()]
    edges = tuple(e for e, _ in boundary.values())
    node = _Checkpoint._backward_cls(_Checkpoint, edges, (True,) * len(edges),
                                     tuple(frame.edge_meta))
    node.frame = frame
    inputs = [x for x in _pytree.tree_leaves((args, kwargs)) if isinstance(x, Tensor)]
    entries = []
    for t in inputs:
        if t._vc is None:
            t._vc = [0]
        entries.append((_IN, t, t._vc, t._vc[0], 0))
    node._saved = entries
    node._n_out = len(outs)
    node._out_meta = tuple((o._data.shape, o._data.dtype) for o in outs)
    for n in nodes:  # the block's graph is dropped: its saved arrays are what we spare
        n._release()
    wrapped = []
    for j, o in enumerate(outs):
        t = _wrap(o._data, True, node, j)
        if o._vc is None:
            o._vc = [0]
        t._vc = o._vc
        wrapped.append(t)
    flat_out = [wrapped[seen[id(o)]] if id(o) in seen else o for o in flat_out]
    return _pytree.tree_unflatten(flat_out, out_spec)


_Checkpoint._backward_cls.__name__ = _Checkpoint._backward_cls.__qualname__ = "CheckpointBackward"
_Checkpoint._grad_fn_name = "CheckpointBackward"


# ---------------------------------------------------------------- the public functions
def checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn,
               determinism_check: str = "default", debug: bool = False, early_stop: bool = True,
               **kwargs):
    """``function(*args, **kwargs)`` with its activations recomputed in backward instead of
    kept (see the module docstring for the two variants).

    Args:
        function: what to run (a module or any callable).
        args: its positional arguments.
        use_reentrant: which variant; pass it (without it, PyTorch's warning and
            ``True``). ``False`` is recommended.
        context_fn: a callable returning two context managers, entered around the forward and
            around the recomputation (non-reentrant only).
        determinism_check: ``"default"`` checks that the recomputation records the same
            operations on the same shapes and dtypes as the forward; ``"none"`` does not
            (non-reentrant only).
        debug: add the two lists of operations to a determinism error (non-reentrant only).
        early_stop: accepted as PyTorch's; ember always recomputes the whole function (the
            results do not depend on it).
        preserve_rng_state (keyword, default True): replay the random generators' state, so
            dropout and other random ops draw the same numbers in the recomputation.
        kwargs: keyword arguments of ``function`` (non-reentrant only).
    """
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
            "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an "
            "exception. use_reentrant=False is recommended, but if you need to preserve the "
            "current default behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when "
                             "use_reentrant=False.")
        return CheckpointFunction.apply(function, preserve, *args)
    return _checkpoint_without_reentrant(function, preserve, context_fn, determinism_check,
                                         debug, args, kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):  # noqa: A002
    """Run ``functions`` (a ``Sequential`` or a list of modules/functions) one after another
    on ``input``, in ``segments`` chunks, each but the last checkpointed.

    Args:
        functions: the modules or functions, applied in order.
        segments: how many chunks to cut them into.
        input: the tensor the first one takes.
        use_reentrant: as in :func:`checkpoint`.
        preserve_rng_state (keyword, default True): as in :func:`checkpoint`.
    """
    from ..nn.modules.container import Sequential  # noqa: PLC0415

    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should "
            "be passed explicitly. In version 2.9 we will raise an exception if use_reentrant "
            "is not passed. use_reentrant=False is recommended, but if you need to preserve "
            "the current default behavior, you can pass use_reentrant=True. Refer to docs for "
            "more details on the differences between the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))

    def run(start, end):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x
        return forward

    if isinstance(functions, Sequential):
        functions = list(functions.children())
    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant,  # noqa: A001
                           preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1)(input)
