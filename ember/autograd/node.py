"""The graph's record of one call: :class:`Node`, PyTorch's ``grad_fn`` and the ``ctx`` of the call.

A node keeps the edges towards the inputs, what forward saved for backward (checked against
in-place changes when unpacked), and the hooks that run around its backward.
"""
from __future__ import annotations

import itertools
from collections import OrderedDict

from ..tensor import Tensor, _wrap
from .hooks import RemovableHandle

__all__ = ["Node"]

_IN, _OUT, _CONST = 0, 1, 2
# Keys of a node's ``_hooks`` dict beside the output numbers (tensor hooks): node-level
# pre- and post-hooks (``Node.register_prehook`` / ``Node.register_hook``).
_PRE, _POST = "pre", "post"
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
    _dirty = None
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

    def mark_dirty(self, *args):
        """Inputs that forward modified in place; forward must return them (a Function's)."""
        self._dirty = args

    def save_for_forward(self, *tensors):
        """Keep tensors for ``jvp`` (forward-mode AD, which ember does not run)."""
        for t in tensors:
            if not (t is None or isinstance(t, Tensor)):
                raise AssertionError("save_for_forward expects all arguments to be tensors; you "
                                     "should save non-tensors as attributes on ctx.")
        self.saved_for_forward = tensors

    # -- what backward calls ------------------------------------------------
    def _freed_error(self):
        return RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward.")

    def _stale_error(self, kind, obj, vc, ver, nr):
        from .._tensor_types import type_name  # noqa: PLC0415

        t = obj if isinstance(obj, Tensor) else _wrap(obj, False, None, 0)
        if kind == _OUT:
            what = f", which is output {nr} of {self.name()},"
        elif nr < 0:  # an intermediate a custom Function saved
            what = ""
        else:
            what = f", which is an input of {self.name()},"
        return RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{type_name(t)} {list(t.shape)}]{what} is at version {vc[0]}; "
            f"expected version {ver} instead.")

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
        return self._fn._grad_fn_name

    @property
    def next_functions(self):
        return tuple(e if e is not None else (None, 0) for e in self._edges)

    def register_hook(self, fn):
        """Call ``fn(grad_inputs, grad_outputs)`` after this node's backward has run.

        ``grad_inputs`` has one entry per entry of ``next_functions`` (None where no gradient
        flows); ``fn`` may return a tuple of the same length to use in its place.
        Returns a handle whose ``remove()`` unregisters it.
        """
        return self._add_node_hook(_POST, fn)

    def register_prehook(self, fn):
        """Call ``fn(grad_outputs)`` before this node's backward runs; it may return a tuple of
        new gradients (one per output). Returns a handle whose ``remove()`` unregisters it."""
        return self._add_node_hook(_PRE, fn)

    def _add_node_hook(self, kind, fn):
        if self._hooks is None:
            self._hooks = {}
        d = self._hooks.get(kind)
        if d is None:
            d = self._hooks[kind] = OrderedDict()
        handle = RemovableHandle(d)
        d[handle.id] = fn
        return handle

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
