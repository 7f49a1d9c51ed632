"""Back-propagation step by step, as the lectures draw it on a computational graph.

``explain(output)`` walks the graph behind ``output`` the way ``backward`` does (newest
node first, contributions summed before a node runs) without touching any ``.grad``, and
reports for each node the upstream gradient it receives, its local gradient (the
derivative of its output with respect to each input, where the tensors are single
numbers) and their product, the gradient it sends to each input. The forward values are
shown where the graph holds them (leaves, the output, and whatever the ops saved for
their backward — a product saves its factors, tanh its output).
"""
from __future__ import annotations

from heapq import heappop, heappush

from ..tensor import Tensor, _wrap
from .engine import _unbroadcast
from .function import _IN, _OUT, Node
from .grad_mode import no_grad

__all__ = ["explain", "walk", "graph_nodes"]


def _label(t: Tensor, names: dict) -> str:
    return names.get(id(t)) or f"leaf {tuple(t.shape)}"


def graph_nodes(root_nodes):
    """(nodes, shapes): every node reachable from ``root_nodes`` (each once, roots first)
    and {(id(node or leaf), output number): shape} as the consumers recorded it."""
    order, seen, shapes, stack = [], set(), {}, list(root_nodes)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        for i, e in enumerate(node._edges):
            if e is not None:
                shapes[(id(e[0]), e[1])] = node._in_meta[i][0]
                if isinstance(e[0], Node):
                    stack.append(e[0])
    return order, shapes


def forward_values(root_nodes):
    """{(id(node), output number): array} for every node output the graph holds: outputs an
    op saved, inputs a consumer saved (those are other nodes' outputs)."""
    values = {}
    seen = set()
    stack = list(root_nodes)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for kind, obj, _, _, nr in node._saved or ():
            if kind == _OUT:
                values[(id(node), nr)] = obj
            elif kind == _IN and isinstance(obj, Tensor) and obj.grad_fn is not None:
                values[(id(obj.grad_fn), obj._out_nr)] = obj._data
        for e in node._edges:
            if e is not None and isinstance(e[0], Node):
                stack.append(e[0])
    return values


def walk(output: Tensor, grad: Tensor | None = None):
    """The backward pass of ``output`` as records, one per node in the order it runs:
    ``{"node", "name", "upstream": [Tensor per output], "downstream": [(edge, Tensor)],
    "local": [Tensor or None per edge]}``. Nothing is accumulated into ``.grad``; the graph
    is kept (it must not have been freed by a backward without ``retain_graph``)."""
    if not isinstance(output, Tensor) or output.grad_fn is None:
        raise RuntimeError("explain: the output has no graph behind it (no input requires "
                           "grad, or it was computed under no_grad)")
    if grad is None:
        if output.numel() != 1:
            raise RuntimeError(f"explain: the output has shape {tuple(output.shape)}; give "
                               "grad= for a non-scalar output")
        grad = _ones_like(output)
    root = output.grad_fn
    buffers = {id(root): [None] * root._n_out}
    buffers[id(root)][output._out_nr] = grad
    heap = [(-root._seq, root)]
    records = []
    with no_grad():
        while heap:
            node = heappop(heap)[1]
            if node._released:
                raise RuntimeError("explain: the graph was freed by a backward() call; "
                                   "explain before it, or call backward(retain_graph=True)")
            buf = buffers.pop(id(node))
            upstream = [b if b is not None else _wrap(
                _zeros(node._out_meta[j] if node._out_meta else None, buf), False, None, 0)
                for j, b in enumerate(buf)]
            grads = node._fn.backward(node, *upstream)
            if not isinstance(grads, tuple):
                grads = (grads,)
            scalar = all(u.numel() == 1 for u in upstream) and len(upstream) == 1
            local = [None] * len(node._edges)
            if scalar:  # the local derivatives: the same backward with upstream 1
                ones = node._fn.backward(node, _ones_like(upstream[0]))
                ones = ones if isinstance(ones, tuple) else (ones,)
                local = [o if isinstance(o, Tensor) and o.numel() == 1 else None
                         for o in ones[:len(node._edges)]]
            down = []
            for i, e in enumerate(node._edges):
                g = grads[i] if i < len(grads) else None
                if e is None or g is None:
                    continue
                if not isinstance(g, Tensor):
                    g = _wrap(g, False, None, 0)
                shape = node._in_meta[i][0]
                if tuple(g.shape) != tuple(shape):  # broadcast: summed back, as backward does
                    g = _unbroadcast(g, shape, node, i, False)
                down.append((e, g))
                nxt, nr = e
                if isinstance(nxt, Node):
                    b = buffers.get(id(nxt))
                    if b is None:
                        b = buffers[id(nxt)] = [None] * nxt._n_out
                        heappush(heap, (-nxt._seq, nxt))
                    b[nr] = g if b[nr] is None else b[nr] + g
            records.append({"node": node, "name": node.name(), "upstream": upstream,
                            "downstream": down, "local": local})
    return records


def _ones_like(t: Tensor) -> Tensor:
    from ..backend import xp  # noqa: PLC0415

    return _wrap(xp(t._data).ones_like(t._data), False, None, 0)


def _zeros(meta, buf):
    ref = next(b for b in buf if b is not None)
    from ..backend import xp  # noqa: PLC0415

    shape, dt = meta if meta is not None else (ref._data.shape, ref._data.dtype)
    return xp(ref._data).zeros(shape, dtype=dt)


def _fmt(t) -> str:
    if t is None:
        return "?"
    a = t._data if isinstance(t, Tensor) else t
    if a.size == 1:
        return f"{float(a.reshape(())):g}"
    if a.size <= 8:
        flat = ", ".join(f"{float(v):g}" for v in (a.get() if hasattr(a, "get") else a).ravel())
        return f"[{flat}]" + (f" {tuple(a.shape)}" if a.ndim > 1 else "")
    return f"array {tuple(a.shape)}"


def explain(output: Tensor, params: dict | None = None, grad: Tensor | None = None,
            file=None) -> list:
    """Print the backward pass of ``output`` step by step and return its records.

    ``params`` names leaves (e.g. ``dict(model.named_parameters())`` or ``{"x": x}``);
    ``grad`` seeds a non-scalar output. For each node, in the order backward runs it::

        MulBackward  (output -12)
          upstream gradient 1
          to z: local 3 x upstream 1 = 3
          to AddBackward (value 3): local -4 x upstream 1 = -4
    """
    import sys  # noqa: PLC0415

    file = file or sys.stdout
    names = {id(t): n for n, t in (params or {}).items()}
    records = walk(output, grad)
    values = forward_values([output.grad_fn])
    values[(id(output.grad_fn), output._out_nr)] = output._data
    for r in records:
        node = r["node"]
        outs = [_fmt(values.get((id(node), j))) for j in range(node._n_out)]
        print(f"{r['name']}  (output {', '.join(outs)})", file=file)
        print(f"  upstream gradient {', '.join(_fmt(u) for u in r['upstream'])}", file=file)
        for e, g in r["downstream"]:
            nxt, nr = e
            if isinstance(nxt, Node):
                v = values.get((id(nxt), nr))
                target = f"{nxt.name()}" + (f" (value {_fmt(v)})" if v is not None else "")
            else:
                target = f"{_label(nxt, names)} (value {_fmt(nxt)})"
            idx = [i for i, ed in enumerate(node._edges) if ed is e][0]
            loc = r["local"][idx]
            if loc is not None:
                print(f"  to {target}: local {_fmt(loc)} x upstream "
                      f"{_fmt(r['upstream'][0])} = {_fmt(g)}", file=file)
            else:
                print(f"  to {target}: gradient {_fmt(g)}", file=file)
    return records
