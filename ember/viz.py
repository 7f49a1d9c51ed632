"""Pictures of networks: the autograd graph behind a tensor, and a model's layer diagram.

Both return a ``Graph`` holding Graphviz DOT text (``.source``), which needs nothing to
build; ``.render(path)`` turns it into SVG or PNG through Graphviz's ``dot`` program
(Debian/Ubuntu: ``apt-get install graphviz``), and notebooks show it inline.

    g = ember.viz.draw_graph(loss, params=dict(model.named_parameters()))
    g.render("graph.svg")
    ember.viz.draw_model(model, (1, 28, 28)).render("layers.png")
"""
from __future__ import annotations

import os
import shutil
import subprocess

from .autograd.explain import forward_values, graph_nodes, walk
from .autograd.function import _CONST, _IN, _OUT, Node
from .serialization import atomic_write_bytes
from .tensor import Tensor

__all__ = ["Graph", "draw_graph", "draw_model"]


class Graph:
    """DOT text of a drawing, with ways to write and render it."""

    def __init__(self, source: str):
        self.source = source

    def __str__(self):
        return self.source

    def save(self, path: str) -> str:
        """Write the DOT text to ``path`` (atomically)."""
        atomic_write_bytes(path, self.source.encode())
        return path

    def pipe(self, format: str = "svg") -> bytes:  # noqa: A002 - graphviz's name
        """The drawing as bytes in ``format`` (svg, png, pdf...), through Graphviz's dot."""
        dot = shutil.which("dot")
        if dot is None:
            raise RuntimeError("ember.viz: rendering needs Graphviz's `dot` program (apt-get "
                               "install graphviz); the DOT text is in Graph.source / save()")
        r = subprocess.run([dot, f"-T{format}"], input=self.source.encode(),
                           capture_output=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"ember.viz: dot failed: {r.stderr.decode(errors='replace')}")
        return r.stdout

    def render(self, path: str, format: str | None = None) -> str:  # noqa: A002
        """Write the drawing to ``path``; the format is the extension's (``.svg``, ``.png``,
        ``.pdf``; ``.dot``/``.gv`` write the DOT text) unless ``format`` says."""
        fmt = format or os.path.splitext(path)[1].lstrip(".").lower() or "svg"
        if fmt in ("dot", "gv"):
            return self.save(path)
        atomic_write_bytes(path, self.pipe(fmt))
        return path

    def _repr_svg_(self):  # notebooks
        try:
            return self.pipe("svg").decode()
        except RuntimeError:
            return None


def _q(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _fmt(a) -> str:
    from .autograd.explain import _fmt as fmt  # noqa: PLC0415

    return fmt(a)


def _shape(s) -> str:
    return "(" + ", ".join(str(d) for d in s) + ")"


def draw_graph(output, params: dict | None = None, show_saved: bool = False,
               show_values: bool = False, rankdir: str = "BT") -> Graph:
    """The autograd graph behind ``output`` (a Tensor or a tuple of them).

    One box per op (its backward's name and its output's shape), one per leaf (named from
    ``params``, e.g. ``dict(model.named_parameters())``, else "input"), edges from each
    input to the op that used it — gradients travel them backwards. ``show_saved`` adds
    what each op saved for its backward; ``show_values`` writes on each edge the forward
    value (where the graph holds it) and the gradient flowing back along it (of the
    output's sum, for a non-scalar output), as the lectures draw them.
    """
    outputs = output if isinstance(output, (tuple, list)) else (output,)
    names = {id(t): n for n, t in (params or {}).items()}
    roots = [t.grad_fn for t in outputs if isinstance(t, Tensor) and t.grad_fn is not None]
    if not roots:
        raise RuntimeError("draw_graph: the output has no graph behind it (no input requires "
                           "grad, or it was computed under no_grad)")
    lines = ["digraph ember {", f"  rankdir={rankdir};",
             '  node [shape=box, style="rounded,filled", fillcolor="#eeeeee", '
             'fontname="Helvetica", fontsize=11];', '  edge [fontname="Helvetica", '
             'fontsize=10];']
    ids: dict = {}

    def nid(obj):
        if id(obj) not in ids:
            ids[id(obj)] = f"n{len(ids)}"
        return ids[id(obj)]

    values, grads = {}, {}
    if show_values:
        values = forward_values(roots)
        for t in outputs:
            if isinstance(t, Tensor) and t.grad_fn is not None:
                values[(id(t.grad_fn), t._out_nr)] = t._data
                from .autograd.explain import _ones_like  # noqa: PLC0415

                for r in walk(t, _ones_like(t)):
                    for e, g in r["downstream"]:
                        key = (id(e[0]), e[1])
                        grads[key] = g if key not in grads else grads[key] + g
    order, out_shape = graph_nodes(roots)
    leaves = {}
    for node in order:
        shapes = [out_shape.get((id(node), j)) for j in range(node._n_out)]
        for t in outputs:
            if isinstance(t, Tensor) and t.grad_fn is node:
                shapes[t._out_nr] = tuple(t.shape)
        label = node.name() + "".join(f"\n{_shape(s)}" for s in shapes if s is not None)
        lines.append(f"  {nid(node)} [label={_q(label)}];")
        for i, e in enumerate(node._edges):
            if e is None:
                continue
            src, nr = e
            if not isinstance(src, Node):
                leaves[id(src)] = src
            attrs = []
            if show_values:
                v = values.get((id(src), nr)) if isinstance(src, Node) else src._data
                g = grads.get((id(src), nr))
                parts = ([f"{_fmt(v)}"] if v is not None else []) + \
                    ([f"grad {_fmt(g)}"] if g is not None else [])
                if parts:
                    attrs.append(f"label={_q(chr(10).join(parts))}")
            lines.append(f"  {nid(src)} -> {nid(node)}"
                         + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
        if show_saved:
            for k, (kind, obj, _, _, nr) in enumerate(node._saved or ()):
                if kind == _CONST and not hasattr(obj, "shape"):
                    continue
                what = {_IN: "input", _OUT: f"output {nr}", _CONST: "array"}[kind]
                shape = tuple(obj.shape) if hasattr(obj, "shape") else ()
                sid = f"{nid(node)}s{k}"
                lines.append(f"  {sid} [label={_q(f'saved {what}' + chr(10) + _shape(shape))}, "
                             'shape=note, fillcolor="#fde9c9"];')
                lines.append(f"  {sid} -> {nid(node)} [style=dashed, arrowhead=none];")
    for t in leaves.values():
        name = names.get(id(t))
        label = (name or ("input" if not t.requires_grad else "leaf")) + f"\n{_shape(t.shape)}"
        color = "#cfe2f3" if name else "#d9ead3"
        lines.append(f"  {nid(t)} [label={_q(label)}, fillcolor={_q(color)}];")
    for k, t in enumerate(outputs):
        if isinstance(t, Tensor) and t.grad_fn is not None:
            label = "output" + (f" {k}" if len(outputs) > 1 else "") + f"\n{_shape(t.shape)}"
            if show_values:
                label += f"\n{_fmt(t._data)}"
            lines.append(f"  out{k} [label={_q(label)}, fillcolor=\"#b6d7a8\"];")
            lines.append(f"  {nid(t.grad_fn)} -> out{k};")
    lines.append("}")
    return Graph("\n".join(lines) + "\n")


def draw_model(model, input_shape=None, input=None) -> Graph:  # noqa: A002
    """A model's layer diagram: one box per layer (leaf module) with its class, its
    parameters' shapes and, given an input (``input``, or a zero batch of one of
    ``input_shape``), the shape each layer produces; layers linked in the order they run;
    nested modules drawn as clusters around their layers."""
    from . import ops  # noqa: PLC0415
    from ._grad_mode import no_grad  # noqa: PLC0415

    named = dict(model.named_modules())
    leaves = [(n, m) for n, m in named.items() if n and not list(m.children())]
    calls, shapes = [], {}
    if input is None and input_shape is not None:
        input = ops.zeros((1,) + tuple(input_shape))
    if input is not None:
        handles = []
        for n, m in leaves:
            def hook(mod, args, out, n=n):
                calls.append(n)
                o = out[0] if isinstance(out, (tuple, list)) else out
                if isinstance(o, Tensor):
                    shapes[n] = tuple(o.shape)
            handles.append(m.register_forward_hook(hook))
        was = model.training
        model.eval()
        try:
            with no_grad():
                model(input)
        finally:
            model.train(was)
            for h in handles:
                h.remove()
    order = calls or [n for n, _ in leaves]
    lines = ["digraph model {", "  rankdir=TB;", '  node [shape=box, style="rounded,filled", '
             'fillcolor="#eeeeee", fontname="Helvetica", fontsize=11];',
             '  graph [fontname="Helvetica", fontsize=10, style=rounded, color="#999999"];']
    ids = {n: f"l{i}" for i, n in enumerate(dict.fromkeys(order))}

    def box(n):
        m = named[n]
        params = [f"{p}: {_shape(t.shape)}" for p, t in m.named_parameters(recurse=False)]
        label = f"{n}: {type(m).__name__}" + "".join("\n" + p for p in params)
        if n in shapes:
            label += f"\n-> {_shape(shapes[n])}"
        return f"{ids[n]} [label={_q(label)}];"

    # clusters: group each layer under its ancestors' names
    tree: dict = {}
    for n in ids:
        parts = n.split(".")
        node = tree
        for depth in range(1, len(parts)):
            node = node.setdefault(".".join(parts[:depth]), {})
        node.setdefault(None, []).append(n)
    counter = [0]

    def emit(node, indent):
        for key, sub in node.items():
            if key is None:
                for n in sub:
                    lines.append(" " * indent + box(n))
                continue
            counter[0] += 1
            lines.append(" " * indent + f"subgraph cluster_{counter[0]} {{")
            lines.append(" " * (indent + 2) + f"label={_q(f'{key}: {type(named[key]).__name__}')};")
            emit(sub, indent + 2)
            lines.append(" " * indent + "}")

    emit(tree, 2)
    if input is not None:
        lines.append(f"  input [label={_q('input' + chr(10) + _shape(input.shape))}, "
                     'fillcolor="#d9ead3"];')
        seq = ["input"] + [ids[n] for n in order]
    else:
        seq = [ids[n] for n in order]
    for a, b in zip(seq, seq[1:]):
        if a != b:
            lines.append(f"  {a} -> {b};")
    lines.append("}")
    return Graph("\n".join(lines) + "\n")
