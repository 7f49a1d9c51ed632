"""The backward pass: one iterative walk of the graph in reverse topological order.

Nodes run newest first (creation order is a topological order), so a graph
of any depth works without recursion. Gradients reaching a node from several
consumers are summed in a buffer before the node's backward runs; broadcast
gradients are reduced to each input's shape here and only here
(``_unbroadcast``); leaves accumulate into ``.grad`` with ``+=`` semantics.
"""
from __future__ import annotations

import numpy as np

from heapq import heappop, heappush

from .. import backend
from ..backend import is_array, writeable
from ..tensor import Tensor, _to_array, _wrap
from .function import Op, refresh_view
from .grad_mode import state
from .node import _POST, _PRE, Node

__all__ = ["backward", "grad", "queue_callback"]

# How many post-accumulate-grad hooks exist (Tensor.register_post_accumulate_grad_hook):
# while there are none, backward does not count the edges into each leaf.
_post_hooks = [0]
# One entry per backward in progress (innermost last): False for autograd.grad() and for
# backward(inputs=...), where a reentrant checkpoint cannot deliver its gradients.
_checkpoint_valid: list = []


def _is_checkpoint_valid() -> bool:
    """Whether the backward in progress accumulates into ``.grad`` (``backward()`` without
    ``inputs``): a reentrant checkpoint's nested backward only works there
    (``torch.autograd._is_checkpoint_valid``)."""
    return not _checkpoint_valid or _checkpoint_valid[-1]


def _needed_nodes(roots, target_ids):
    """Ids of the nodes through which some target is reached (for ``grad(inputs=...)``).

    An iterative depth-first post-order walk (no recursion limit); a node is
    needed when it is a target or one of its inputs leads to a target.
    """
    order = []
    seen = set()
    stack = [(r, False) for r in roots]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for e in node._edges:
            if e is not None and isinstance(e[0], Node) and id(e[0]) not in seen:
                stack.append((e[0], False))
    needed = set()
    for node in order:  # inputs come before their consumers in post-order
        if id(node) in target_ids:
            needed.add(id(node))
            continue
        for e in node._edges:
            if e is not None and (id(e[0]) in needed or id(e[0]) in target_ids):
                needed.add(id(node))
                break
    return needed


def _unbroadcast(g: Tensor, shape, node: Node, index: int, create_graph: bool) -> Tensor:
    """Sum ``g`` down to ``shape`` (undo broadcasting); the one place this happens."""
    gshape = g._data.shape
    lead = len(gshape) - len(shape)
    if lead < 0:
        _bad_grad(node, index, gshape, shape)
    dims = list(range(lead))
    for i, s in enumerate(shape):
        if s == 1 and gshape[lead + i] != 1:
            dims.append(lead + i)
        elif s != gshape[lead + i]:
            _bad_grad(node, index, gshape, shape)
    if not create_graph:  # plain arrays: one reduction, no graph
        arr = g._data.sum(axis=tuple(dims), keepdims=True) if dims else g._data
        return _wrap(arr.reshape(shape) if lead else arr, False, None, 0)
    if dims:
        g = g.sum(dim=tuple(dims), keepdim=True)
    if lead:
        g = g.reshape(shape)
    return g


def _bad_grad(node, index, got, expected):
    raise RuntimeError(
        f"Function {node.name()} returned an invalid gradient at index {index} - got "
        f"{list(got)} but expected shape compatible with {list(expected)}")


def _check_finite(node, index, g):
    xp_mod = np if isinstance(g._data, np.ndarray) else None
    if xp_mod is None:
        from ..backend import xp  # noqa: PLC0415

        xp_mod = xp(g._data)
    if g._data.dtype.kind in "fc" and not bool(xp_mod.isfinite(g._data).all()):
        bad = "nan" if bool(xp_mod.isnan(g._data).any()) else "inf"
        where = ""
        if node._trace:
            where = ("\nThe forward call that created it:\n" + "".join(node._trace[-6:]))
        raise RuntimeError(
            f"Function '{node.name()}' returned {bad} values in its {index}th output.{where}")


def _as_grad_tensor(g, node, i):
    if isinstance(g, Tensor):
        return g
    if is_array(g):
        return _wrap(g, False, None, 0)
    raise TypeError(f"Function {node.name()} returned a non-Tensor gradient at index {i}: "
                    f"{type(g).__name__}")


def _zeros_for(meta, like):
    from ..backend import xp  # noqa: PLC0415

    shape, dt = meta
    return _wrap(xp(like._data).zeros(shape, dtype=dt), False, None, 0)


def _run(roots, root_grads, retain_graph, create_graph, targets=None):
    """Run backward from ``roots`` seeded with ``root_grads`` (first order without hooks on
    the way: ``_run_raw``, on raw arrays).

    Nodes run newest first (a max-heap on their creation number): every
    consumer of a node's output is newer than the node, so all gradient
    contributions are summed in its buffer before it runs.

    Returns ``(leaf_grads, captured, borrowed)``: the summed gradient per leaf
    (by id), the gradient reaching each non-leaf target, and the ids of arrays
    the engine does not own (never stored into ``.grad`` without a copy).
    """
    if not create_graph and targets is None and not state.anomaly:
        return _run_raw(roots, root_grads, retain_graph)
    buffers: dict[int, list] = {}
    leaf_grads: dict[int, list] = {}  # id -> [tensor, grad]
    borrowed: set[int] = set()
    captured: dict[int, Tensor] = {}
    target_nodes = needed = None
    heap = []
    for t, g in zip(roots, root_grads):
        borrowed.add(id(g._data))
        if t.grad_fn is None:
            _add_leaf(leaf_grads, t, g)
        else:
            _send(buffers, heap, t.grad_fn, t._out_nr, g)
    if targets is not None:
        target_nodes = {}
        for t in targets:
            if t.grad_fn is not None:
                target_nodes.setdefault(id(t.grad_fn), []).append(t)
        tids = {id(t) for t in targets if t.grad_fn is None} | set(target_nodes)
        needed = _needed_nodes([n for _, n in heap], tids)

    prev = state.enabled
    state.enabled = bool(create_graph)
    anomaly = state.anomaly
    try:
        while heap:
            node = heappop(heap)[1]
            buf = buffers.pop(id(node))
            if needed is not None and id(node) not in needed:
                continue
            hooks = node._hooks
            if hooks:
                _node_pre_hooks(node, hooks, buf, False, borrowed)
                seen = tuple(buf)
            if target_nodes is not None and id(node) in target_nodes:
                for t in target_nodes[id(node)]:
                    g = buf[t._out_nr]
                    captured[id(t)] = g
                    if g is not None:
                        borrowed.add(id(g._data))
            _materialize(node, buf, False)
            fn = node._fn
            fast = fn.fast_backward
            grads = None
            if fast is not None and not create_graph:
                raw = fast(node, *[None if b is None else b._data for b in buf])
                if raw is not None:
                    grads = tuple(None if r is None else _wrap(
                        np.asarray(r) if isinstance(r, np.generic) else r, False, None, 0)
                        for r in raw)
            if grads is None:
                grads = fn.backward(node, *buf)
                if type(grads) is not tuple:
                    grads = (grads,)
                if not issubclass(fn, Op):  # a user's backward may return arrays it holds
                    for r in grads:
                        if isinstance(r, Tensor):
                            borrowed.add(id(r._data))
            edges = _checked_edges(node, grads)
            if hooks and _POST in hooks:
                grads = _node_post_hooks(node, hooks[_POST], grads, seen, False, borrowed)
            meta = node._in_meta
            for i, e in enumerate(edges):
                g = grads[i]
                if e is None or g is None:
                    continue
                if type(g) is not Tensor:
                    g = _as_grad_tensor(g, node, i)
                shape, dt = meta[i]
                if g._data.shape != shape:
                    g = _unbroadcast(g, shape, node, i, create_graph)
                if g._data.dtype != dt:
                    if g._data.dtype.kind == "c" and dt.kind != "c":
                        g = g.real  # a real input's share of a complex gradient
                    g = g.to(dt)
                if anomaly:
                    _check_finite(node, i, g)
                _send_edge(buffers, heap, leaf_grads, e, g)
            if not retain_graph:
                node._release()
        _leaf_hooks(leaf_grads, borrowed)
    finally:
        state.enabled = prev
    return leaf_grads, captured, borrowed


def _run_raw(roots, root_grads, retain_graph):
    """``_run`` for the common case — first order, no ``inputs=``, no anomaly mode — with
    the gradients kept as raw arrays between nodes: no Tensor is made for an intermediate
    gradient, and sums of contributions are plain array additions. Tensors appear only
    where user code sees them (hooks, a backward without ``fast_backward``, the leaves)."""
    buffers: dict[int, list] = {}
    leaf_grads: dict[int, list] = {}  # id -> [tensor, raw grad]
    borrowed: set[int] = set()
    heap = []
    for t, g in zip(roots, root_grads):
        g = g._data
        borrowed.add(id(g))
        if t.grad_fn is None:
            _add_leaf(leaf_grads, t, g)
        else:
            _send(buffers, heap, t.grad_fn, t._out_nr, g)
    pending = _pending_leaves([n for _, n in heap]) if _post_hooks[0] else None
    prev = state.enabled
    state.enabled = False
    try:
        while heap:
            node = heappop(heap)[1]
            buf = buffers.pop(id(node))
            hooks = node._hooks
            if hooks:
                _node_pre_hooks(node, hooks, buf, True, borrowed)
                seen = tuple(buf)
            _materialize(node, buf, True)
            fn = node._fn
            fast = fn.fast_backward
            grads = fast(node, *buf) if fast is not None else None
            if grads is None:
                grads = fn.backward(node, *[None if b is None else _wrap(b, False, None, 0)
                                            for b in buf])
                if type(grads) is not tuple:
                    grads = (grads,)
                user = not issubclass(fn, Op)
                out = []
                for i, r in enumerate(grads):
                    if r is not None:
                        r = _as_grad_tensor(r, node, i)._data
                        if user:  # a user's backward may return arrays it holds
                            borrowed.add(id(r))
                    out.append(r)
                grads = out
            edges = _checked_edges(node, grads)
            if hooks and _POST in hooks:
                grads = _node_post_hooks(node, hooks[_POST], grads, seen, True, borrowed)
            meta = node._in_meta
            for i, e in enumerate(edges):
                g = grads[i]
                if e is None or g is None:
                    continue
                if isinstance(g, np.generic):
                    g = np.asarray(g)
                shape, dt = meta[i]
                if g.shape != shape:
                    g = _unbroadcast(_wrap(g, False, None, 0), shape, node, i, False)._data
                if g.dtype != dt:
                    if g.dtype.kind == "c" and dt.kind != "c":
                        g = g.real  # a real input's share of a complex gradient
                    g = _wrap(g, False, None, 0).to(dt)._data
                _send_edge(buffers, heap, leaf_grads, e, g)
                if pending and id(e[0]) in pending:
                    _leaf_arrived(pending, leaf_grads, e[0], borrowed)
            if not retain_graph:
                node._release()
        for entry in leaf_grads.values():
            entry[1] = _wrap(entry[1], False, None, 0)
        _leaf_hooks(leaf_grads, borrowed)
    finally:
        state.enabled = prev
    return leaf_grads, {}, borrowed


def _pending_leaves(nodes):
    """For each leaf with post-accumulate-grad hooks that this backward reaches, how many
    edges lead into it: its ``.grad`` is final (and its hooks may run, before backward
    ends) once that many gradients have arrived."""
    pending: dict[int, int] = {}
    seen = {id(n) for n in nodes}
    stack = list(nodes)
    while stack:
        for e in stack.pop()._edges:
            if e is None:
                continue
            nxt = e[0]
            if type(nxt) is Node or isinstance(nxt, Node):
                if id(nxt) not in seen:
                    seen.add(id(nxt))
                    stack.append(nxt)
            elif nxt._post_acc_hooks:
                pending[id(nxt)] = pending.get(id(nxt), 0) + 1
    return pending


def _leaf_arrived(pending, leaf_grads, t, borrowed):
    """One more gradient reached leaf ``t``; after the last, accumulate it into ``.grad``
    now (hooks first) and run its post-accumulate-grad hooks, while backward goes on."""
    key = id(t)
    pending[key] -= 1
    if pending[key]:
        return
    del pending[key]
    _, g = leaf_grads.pop(key)
    entry = {key: [t, _wrap(g, False, None, 0)]}
    _leaf_hooks(entry, borrowed)
    if t.requires_grad:
        _accumulate(t, entry[key][1], False, borrowed)
        _post_accumulate(t)


def _post_accumulate(t):
    if t._post_acc_hooks:
        for h in list(t._post_acc_hooks):
            h(t)


def _materialize(node, buf, raw):
    """Zeros for the outputs of a multi-output node that received no gradient (unless the
    function turned that off); ``raw``: the buffer holds arrays, not Tensors."""
    if node._n_out > 1 and node.materialize_grads:
        for j in range(node._n_out):
            if buf[j] is None and node._out_meta[j] is not None:  # None: not a Tensor output
                ref = next(b for b in buf if b is not None)
                z = _zeros_for(node._out_meta[j], _wrap(ref, False, None, 0) if raw else ref)
                buf[j] = z._data if raw else z


def _leaf_hooks(leaf_grads, borrowed):
    """Hooks on leaves run once, on the summed gradient (a Tensor by now)."""
    for entry in leaf_grads.values():
        t, g = entry
        if t._hooks:
            for h in list(t._hooks):
                r = h(g)
                if r is not None:
                    g = r
            entry[1] = g
            borrowed.add(id(g._data))


def _send_edge(buffers, heap, leaf_grads, edge, g):
    nxt, nr = edge
    if type(nxt) is Node or isinstance(nxt, Node):  # a custom Function's node is a subclass
        _send(buffers, heap, nxt, nr, g)
    else:
        _add_leaf(leaf_grads, nxt, g)


def _send(buffers, heap, node, nr, g):
    """Add ``g`` (a Tensor or a raw array) to ``node``'s buffer for output ``nr``,
    queueing the node the first time it receives a gradient."""
    b = buffers.get(id(node))
    if b is None:
        b = buffers[id(node)] = [None] * node._n_out
        heappush(heap, (-node._seq, node))
    b[nr] = g if b[nr] is None else b[nr] + g


def _checked_edges(node, grads):
    edges = node._edges
    if len(grads) != len(edges) and (len(grads) < len(edges) or any(
            g is not None for g in grads[len(edges):])):
        raise RuntimeError(
            f"function {node.name()} returned an incorrect number of gradients "
            f"(expected {len(edges)}, got {len(grads)})")
    return edges


def _hook_result(hook, result, expected):
    result = tuple(result)
    if len(result) != expected:
        name = getattr(hook, "__name__", type(hook).__name__)
        raise RuntimeError(f"hook '{name}' has returned an incorrect number of values (got "
                           f"{len(result)}, but expected {expected})")
    return result


def _node_pre_hooks(node, hooks, buf, raw, borrowed):
    """Before ``node``'s backward: the hooks of its output tensors (keys: output numbers),
    then its own pre-hooks (``Node.register_prehook``); each may replace gradients in
    ``buf`` (raw arrays when ``raw``, else Tensors)."""
    for nr, fns in hooks.items():
        if type(nr) is str or buf[nr] is None:
            continue
        g = _wrap(buf[nr], False, None, 0) if raw else buf[nr]
        for h in list(fns):
            r = h(g)
            if r is not None:
                g = r
        buf[nr] = g._data if raw else g
        borrowed.add(id(g._data))
    pre = hooks.get(_PRE)
    if pre:
        grads = tuple(b if b is None or not raw else _wrap(b, False, None, 0) for b in buf)
        for h in list(pre.values()):
            r = h(grads)
            if r is not None:
                grads = _hook_result(h, r, len(grads))
        for j, g in enumerate(grads):
            if g is not None:
                borrowed.add(id(g._data))
            buf[j] = g._data if raw and g is not None else g


def _node_post_hooks(node, post, grads, seen, raw, borrowed):
    """After ``node``'s backward: ``hook(grad_inputs, grad_outputs)`` (``Node.register_hook``),
    which may return new ``grad_inputs``; ``seen`` is what reached the node (None where
    nothing did)."""
    n = len(node._edges)
    ins = tuple(g if g is None or not raw else _wrap(g, False, None, 0) for g in grads[:n])
    outs = tuple(g if g is None or not raw else _wrap(g, False, None, 0) for g in seen)
    for h in list(post.values()):
        r = h(ins, outs)
        if r is not None:
            r = _hook_result(h, r, n)
            for old, new in zip(ins, r):
                if old is None and new is not None:
                    raise RuntimeError("can't replace a None gradient with a non-None value")
            ins = r
    out = []
    for g in ins:
        if g is not None:
            if not isinstance(g, Tensor):
                raise TypeError(f"hook returned a gradient of type {type(g).__name__}, "
                                "expected a Tensor or None")
            borrowed.add(id(g._data))
            g = g._data if raw else g
        out.append(g)
    return out


def _add_leaf(leaf_grads, t, g):
    entry = leaf_grads.get(id(t))
    if entry is None:
        leaf_grads[id(t)] = [t, g]
    else:
        entry[1] = entry[1] + g


def _root_grads(tensors, grad_tensors, name):
    out = []
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}: expected Tensors as outputs, got {type(t).__name__}")
        g = None if grad_tensors is None else grad_tensors[i]
        if g is None:
            if t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if t._data.dtype.kind == "c":
                raise RuntimeError("grad can be implicitly created only for real scalar outputs")
            g = _wrap(_ones(t), False, None, 0)
        else:
            if not isinstance(g, Tensor):
                g = _wrap(_to_array(g, t.dtype, t.device), False, None, 0)
            if tuple(g._data.shape) != tuple(t._data.shape):
                raise RuntimeError(
                    f"{name}: Mismatch in shape: grad_output[{i}] has a shape of "
                    f"{list(g._data.shape)} and output[{i}] has a shape of {list(t._data.shape)}.")
            if type(g._data) is not type(t._data):
                raise RuntimeError(f"{name}: grad_output[{i}] is on a different device than "
                                   f"output[{i}]")
        out.append(g)
    return out


def _ones(t):
    from ..backend import xp  # noqa: PLC0415

    return xp(t._data).ones(t._data.shape, dtype=t._data.dtype)


def _refresh_views(tensors):
    """Views among the roots of a backward pass whose base was changed in place since their
    history was recorded get it rebuilt first (see ``_views``)."""
    for t in tensors:
        if isinstance(t, Tensor) and t._base is not None and t._view_h != t._base._hist:
            refresh_view(t)


def _as_list(x):
    if x is None:
        return None
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` into the leaves' ``.grad`` (``torch.autograd.backward``)."""
    tensors = _as_list(tensors)
    grad_tensors = _as_list(grad_tensors)
    _refresh_views(tensors)
    for t in tensors:
        if not t.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn")
    if retain_graph is None:
        retain_graph = create_graph
    grads = _root_grads(tensors, grad_tensors, "backward")
    targets = _as_list(inputs)
    if targets is not None and not targets:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    _checkpoint_valid.append(targets is None)
    try:
        leaf_grads, captured, borrowed = _run(tensors, grads, retain_graph, create_graph,
                                              targets)
    except BaseException:
        _callbacks.clear()  # what a failed backward queued must not run after the next one
        raise
    finally:
        _checkpoint_valid.pop()
    if targets is not None:
        for t in targets:
            if t.grad_fn is not None:
                g = captured.get(id(t))
                if g is not None:
                    _accumulate(t, g, create_graph, borrowed)
        wanted = {id(t) for t in targets}
    for key, (t, g) in leaf_grads.items():
        if targets is not None and key not in wanted:
            continue
        if t.requires_grad:
            _accumulate(t, g, create_graph, borrowed)
            _post_accumulate(t)
    _run_callbacks()


_callbacks: list = []


def queue_callback(fn) -> None:
    """Run ``fn()`` once the current ``backward()`` has written every ``.grad`` (PyTorch's
    ``Variable._execution_engine.queue_callback``; queue it from a hook during backward —
    DistributedDataParallel averages the gradients over processes this way)."""
    _callbacks.append(fn)


def _run_callbacks():
    while _callbacks:
        _callbacks.pop(0)()


def _accumulate(t, g, create_graph, borrowed):
    """``t._grad += g`` with PyTorch's semantics; never aliases an array the engine doesn't own."""
    if create_graph:
        t._grad = g if t._grad is None else t._grad + g
        return
    arr = g._data
    if t._grad is None:
        if id(arr) in borrowed or arr.base is not None or not writeable(arr):
            arr = arr.copy()
        borrowed.add(id(arr))  # a second leaf handed the same array copies it
        t._grad = _wrap(arr, False, None, 0)
    else:
        cur = t._grad
        if cur.requires_grad or not writeable(cur._data) or cur._data.shape != arr.shape:
            t._grad = _wrap((cur._data + arr), False, None, 0)
        else:
            cur._data += arr
            cur._bump()


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, without touching ``.grad``.

    As ``torch.autograd.grad``: returns a tuple with one gradient per input;
    ``create_graph=True`` makes the result itself differentiable.
    """
    outputs = _as_list(outputs)
    inputs = _as_list(inputs)
    _refresh_views(outputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    for t in outputs:
        if not t.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn")
    for t in inputs:
        if not isinstance(t, Tensor):
            raise TypeError(f"grad(): inputs must be Tensors, got {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    grads = _root_grads(outputs, _as_list(grad_outputs), "grad")
    _checkpoint_valid.append(False)
    try:
        leaf_grads, captured, _ = _run(outputs, grads, retain_graph, create_graph, inputs)
    finally:
        _checkpoint_valid.pop()
    result = []
    for i, t in enumerate(inputs):
        if t.grad_fn is None:
            entry = leaf_grads.get(id(t))
            g = entry[1] if entry is not None else None
        else:
            g = captured.get(id(t))
        if g is None:
            if materialize_grads:
                g = _wrap(backend.xp(t._data).zeros_like(t._data), False, None, 0)
            elif not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior.")
        elif not create_graph and g.requires_grad:
            g = g.detach()
        result.append(g)
    return tuple(result)
