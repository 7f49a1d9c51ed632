"""``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``linearize``, ``jacrev``, ``jacfwd`` and
``hessian`` (``torch.func``), built on ember's reverse-mode autograd.

Each call of a transformed function is one *level*: the tensors it differentiates with respect
to are replaced by fresh aliases (a new leaf for a tensor that needs no gradient, a view for
one that does), the function runs with gradients recorded, and ``ember.autograd.grad``
differentiates its outputs with respect to those aliases. Tensors the function closes over,
and the aliases of enclosing levels, are constants for this level, which is what makes
``grad(grad(f))``, ``jacrev(jacrev(f))`` and ``vmap(grad(f))`` compose. A level records the
graph of its own backward (``create_graph``) only when something outside it — an enclosing
level, or a tensor of the caller that requires grad — can differentiate the result; its
results stay attached to the caller's graph exactly when they depend on such a tensor, as in
PyTorch.

ember has no forward-mode AD: ``jvp`` and ``linearize`` compute ``J @ t`` by differentiating
a vector-Jacobian product ``u -> J^T u`` once more with respect to ``u`` (the "double vjp"),
which needs one backward pass more than a forward-mode JVP; ``jacfwd`` builds the Jacobian row
by row as ``jacrev`` does (the same matrix; its cost grows with the number of outputs rather
than of inputs).
"""
from __future__ import annotations

import functools

from .. import ops
from .._grad_mode import enable_grad, is_grad_enabled
from ..autograd.engine import grad as _autograd_grad
from ..autograd.node import Node, _next_seq
from ._rng import _fingerprint
from ..tensor import Tensor
from ..utils._pytree import tree_flatten, tree_map, tree_unflatten, treespec_pprint

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "linearize", "jacrev", "jacfwd", "hessian"]


class _Level:
    """One call of a transformed function (see the module docstring)."""

    def __init__(self):
        self.outer = is_grad_enabled()  # read before the function runs with grad on
        self.start = _next_seq()        # nodes numbered above this are made by this level
        self.leaves: dict = {}          # id -> the fresh leaves standing for inputs
        self.alias_nodes: set = set()   # ids of the view nodes standing for inputs
        self.inputs: list = []

    def input(self, t):
        """The alias that this level differentiates with respect to, in place of ``t``."""
        if not isinstance(t, Tensor):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(t)}")
        if not t.dtype.is_floating_point:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        if t.requires_grad:
            a = t.view_as(t)
            self.alias_nodes.add(id(a.grad_fn))
        else:
            a = t.detach().requires_grad_()
            self.leaves[id(a)] = a
        self.inputs.append(a)
        return a

    def _walk(self, tensors, stop):
        """Walk the graph of ``tensors`` through this level's nodes; True when ``stop``
        says so of an edge."""
        stack, seen = [], set()
        for t in tensors:
            if isinstance(t, Tensor) and t.requires_grad:
                if t.grad_fn is None:
                    if stop(t, None):
                        return True
                else:
                    stack.append(t.grad_fn)
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if stop(None, node):
                return True
            if node._seq < self.start:
                continue
            for e in node._edges:
                if e is None:
                    continue
                target = e[0]
                if isinstance(target, Node):
                    stack.append(target)
                elif stop(target, None):
                    return True
        return False

    def reaches_outside(self, tensors) -> bool:
        """Whether the graph of ``tensors`` leads to something made outside this level: a
        caller's tensor that requires grad, or an enclosing level's alias."""
        def stop(leaf, node):
            if leaf is not None:
                return id(leaf) not in self.leaves
            return node._seq < self.start
        return self._walk(tensors, stop)

    def depends(self, t) -> bool:
        """Whether ``t`` depends on this level's inputs."""
        def stop(leaf, node):
            if leaf is not None:
                return id(leaf) in self.leaves
            return id(node) in self.alias_nodes
        return self._walk([t], stop)

    def result(self, x):
        """``x`` as the transform returns it: cut from this level unless it depends on a
        tensor outside the level that can still be differentiated."""
        if not isinstance(x, Tensor):
            return x
        if self.outer and x.requires_grad and self.reaches_outside([x]):
            return x
        return x.detach()

    def vjp(self, outputs, cotangents, create_graph: bool):
        """``J^T v`` for each input of this level, zeros where an output does not reach it."""
        pairs = [(o, c) for o, c in zip(outputs, cotangents) if o.requires_grad]
        grads = [None] * len(self.inputs)
        if pairs:
            with enable_grad():
                grads = _autograd_grad([o for o, _ in pairs], self.inputs,
                                       [c for _, c in pairs], retain_graph=True,
                                       create_graph=create_graph, allow_unused=True)
        return [ops.zeros_like(x) if g is None else g for g, x in zip(grads, self.inputs)]


# ---------------------------------------------------------------- argument handling
def _check_argnums(argnums, nargs):
    if isinstance(argnums, int) and not isinstance(argnums, bool):
        nums = (argnums,)
    elif isinstance(argnums, tuple):
        if not argnums:
            raise RuntimeError("argnums must be non-empty")
        if not all(isinstance(a, int) and not isinstance(a, bool) for a in argnums):
            raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {argnums}")
        if len(set(argnums)) != len(argnums):
            raise RuntimeError(f"argnums elements must be unique, got {argnums}")
        nums = argnums
    else:
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    for a in nums:
        if not -nargs <= a < nargs:
            raise RuntimeError(f"Got argnum={a}, but only {nargs} positional inputs")


def _differentiate(level, args, argnums):
    """``(args with aliases in place of the differentiated arguments, their spec)``."""
    _check_argnums(argnums, len(args))
    picked = args[argnums] if isinstance(argnums, int) else tuple(args[i] for i in argnums)
    flat, spec = tree_flatten(picked)
    aliases = tree_unflatten([level.input(t) for t in flat], spec)
    new = list(args)
    if isinstance(argnums, int):
        new[argnums] = aliases
    else:
        for i, a in zip(argnums, aliases):
            new[i] = a
    return tuple(new), spec


def _split_aux(out, api):
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) "
                           "if has_aux is True")
    return out


# ---------------------------------------------------------------- grad
def grad_and_value(func, argnums=0, has_aux: bool = False):
    """A function returning ``(gradient, value)`` of ``func``, whose output must be a 0-d
    Tensor (``(gradient, (value, aux))`` with ``has_aux``).

    Args:
        func: the function; the arguments at ``argnums`` must be Tensors or pytrees of them.
        argnums: which positional argument(s) to differentiate with respect to: an int
            (the gradient has that argument's structure) or a tuple of ints (a tuple of
            gradients).
        has_aux: ``func`` returns ``(output, aux)``; ``aux`` is returned beside, not
            differentiated.
    """
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        level = _Level()
        with enable_grad():
            args, spec = _differentiate(level, args, argnums)
            out = func(*args, **kwargs)
            aux = None
            if has_aux:
                out, aux = _split_aux(out, "grad_and_value(f)(*args)")
            if not isinstance(out, Tensor):
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"Tensor, got {type(out)}")
            if out.dim() != 0:
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"scalar Tensor, got tensor with {out.dim()} dims. Maybe you "
                                   "wanted to use the vjp or jacrev APIs instead?")
            cg = level.outer and level.reaches_outside([out])
            grads = level.vjp([out], [ops.ones_like(out)], create_graph=cg)
        g = tree_unflatten([level.result(x) for x in grads], spec)
        value = level.result(out)
        if has_aux:
            return g, (value, tree_map(level.result, aux))
        return g, value
    return wrapper


def grad(func, argnums=0, has_aux: bool = False):
    """A function computing the gradient of ``func`` with respect to the argument(s) at
    ``argnums`` (``(gradient, aux)`` with ``has_aux``). See :func:`grad_and_value`.

    Example::

        >>> import ember
        >>> x = ember.tensor([1.0, 2.0])
        >>> ember.func.grad(lambda x: (x ** 3).sum())(x)
        tensor([ 3., 12.])
    """
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


# ---------------------------------------------------------------- vjp
def vjp(func, *primals, has_aux: bool = False):
    """``(func(*primals), vjp_fn)``: ``vjp_fn(cotangents)`` returns, for each primal, the
    vector-Jacobian product with ``cotangents`` (which have the output's structure). The
    graph is kept, so ``vjp_fn`` may be called any number of times. With ``has_aux``,
    ``func`` returns ``(output, aux)`` and ``(output, vjp_fn, aux)`` is returned."""
    level = _Level()
    with enable_grad():
        flat, spec = tree_flatten(primals)
        out = func(*tree_unflatten([level.input(t) for t in flat], spec))
        aux = None
        if has_aux:
            out, aux = _split_aux(out, "vjp(f, *primals)")
    flat_out, out_spec = tree_flatten(out)
    for o in flat_out:
        if not isinstance(o, Tensor):
            raise RuntimeError("vjp(f, *primals): expected f(*primals) to return only tensors, "
                               f"got unsupported type {type(o)}")

    def vjp_fn(cotangents):
        flat_c, c_spec = tree_flatten(cotangents)
        if c_spec != out_spec:
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure of "
                f"outputs to the function. cotangents: {treespec_pprint(c_spec)}, primal "
                f"output: {treespec_pprint(out_spec)}")
        cg = is_grad_enabled() and (level.reaches_outside(flat_out) or any(
            isinstance(c, Tensor) and c.requires_grad for c in flat_c))
        grads = level.vjp(flat_out, flat_c, create_graph=cg)
        return tree_unflatten([level.result(g) if cg else g.detach() for g in grads], spec)

    result = tree_unflatten([level.result(o) for o in flat_out], out_spec)
    if has_aux:
        return result, vjp_fn, tree_map(level.result, aux)
    return result, vjp_fn


# ---------------------------------------------------------------- jvp (double vjp)
def _check_primals_tangents(primals, tangents):
    api = "jvp(f, primals, tangents)"
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{api}: Expected primals to be a tuple. E.g. it should be valid to "
                           "call f(*primals).")
    flat_p, p_spec = tree_flatten(primals)
    flat_t, t_spec = tree_flatten(tangents)
    if p_spec != t_spec:
        raise RuntimeError(
            f"{api}: Expected primals and tangents to have the same python structure. For "
            "example, if primals is a tuple of 3 tensors, tangents also must be. Got primals "
            f"with structure {p_spec} and tangents with structure {t_spec}")
    for name, flat in (("primals", flat_p), ("tangents", flat_t)):
        if not flat:
            raise RuntimeError(f"{api}: Expected {name} to contain at least one Tensor.")
        for x in flat:
            if not isinstance(x, Tensor):
                raise RuntimeError(f"{api}: Expected {name} to only contain Tensors, got "
                                   f"{type(x)}")
    for p, t in zip(flat_p, flat_t):
        if tuple(p.shape) != tuple(t.shape):
            raise RuntimeError(
                "Trying to set a forward gradient that has a different size than that of the "
                "original Tensor, this is not supported. Tensor is of size "
                f"{list(p.shape)} while the given forward gradient is of size {list(t.shape)}.")
    return flat_p, p_spec, flat_t


class _Linearized:
    """The function of a level and the vjp ``u -> J^T u`` recorded with ``u`` as a leaf:
    differentiating it with respect to ``u`` in direction ``t`` gives ``J t``."""

    def __init__(self, func, flat_p, p_spec, has_aux, strict):
        self.level = level = _Level()
        with enable_grad():
            out = func(*tree_unflatten([level.input(p) for p in flat_p], p_spec))
            self.aux = None
            if has_aux:
                out, self.aux = _split_aux(out, "jvp(f, primals, tangents)")
            self.flat_out, self.out_spec = tree_flatten(out)
            for o in self.flat_out:
                if not isinstance(o, Tensor):
                    raise RuntimeError("jvp(f, primals, tangents): expected f(*args) to return "
                                       f"only tensors, got unsupported type {type(o)}")
            self.live = [level.depends(o) for o in self.flat_out]
            if strict and not all(self.live):
                raise RuntimeError("jvp(f, primals, tangents, strict=True): The output of f is "
                                   "independent of the inputs. This is not allowed with "
                                   "strict=True.")
            self.us = [ops.zeros_like(o).requires_grad_() if live else None
                       for o, live in zip(self.flat_out, self.live)]
            outs = [o for o, live in zip(self.flat_out, self.live) if live]
            us = [u for u in self.us if u is not None]
            self.vjps = level.vjp(outs, us, create_graph=True) if outs else []

    def jvp(self, flat_t):
        level = self.level
        pairs = [(g, t) for g, t in zip(self.vjps, flat_t) if g.requires_grad]
        us = [u for u in self.us if u is not None]
        cg = level.outer and (level.reaches_outside(self.flat_out) or any(
            t.requires_grad for t in flat_t))
        results = [None] * len(us)
        if pairs and us:
            with enable_grad():
                results = _autograd_grad([g for g, _ in pairs], us, [t for _, t in pairs],
                                         retain_graph=True, create_graph=cg, allow_unused=True)
        it = iter(results)
        out = []
        for o, u in zip(self.flat_out, self.us):
            r = next(it) if u is not None else None
            out.append(ops.zeros_like(o) if r is None else (level.result(r) if cg else
                                                            r.detach()))
        return tree_unflatten(out, self.out_spec)

    def primal_out(self):
        return tree_unflatten([self.level.result(o) for o in self.flat_out], self.out_spec)


def jvp(func, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """``(func(*primals), J @ tangents)``: the Jacobian-vector product of ``func`` at
    ``primals`` in the direction ``tangents`` (a tuple of the primals' structure).

    Computed by differentiating a vector-Jacobian product once more (ember has no
    forward-mode AD), so the ops of ``func`` must have differentiable backward passes.

    Args:
        strict: raise when an output does not depend on the primals (its JVP is zeros).
        has_aux: ``func`` returns ``(output, aux)``; returns ``(output, jvp_out, aux)``.
    """
    flat_p, p_spec, flat_t = _check_primals_tangents(primals, tangents)
    lin = _Linearized(func, flat_p, p_spec, has_aux, strict)
    result = (lin.primal_out(), lin.jvp(flat_t))
    if has_aux:
        return result + (tree_map(lin.level.result, lin.aux),)
    return result


def linearize(func, *primals):
    """``(func(*primals), jvp_fn)``: ``jvp_fn(*tangents)`` returns the JVP at ``primals``
    (as :func:`jvp`, without running ``func`` again)."""
    flat_p, p_spec = tree_flatten(primals)
    lin = _Linearized(func, flat_p, p_spec, False, False)

    def jvp_fn(*tangents):
        flat_t, t_spec = tree_flatten(tangents)
        if t_spec != p_spec:
            raise RuntimeError(f"Expected the tangents {t_spec} to have the same argument "
                               f"structure as the primals {p_spec}")
        for p, t in zip(flat_p, flat_t):
            if tuple(p.shape) != tuple(t.shape) or p.dtype != t.dtype:
                raise RuntimeError(
                    f"Mismatch in tangent shape or dtype: expected {list(p.shape)} "
                    f"{p.dtype}, got {list(t.shape)} {t.dtype}")
        return lin.jvp(flat_t)
    return lin.primal_out(), jvp_fn


# ---------------------------------------------------------------- Jacobians and Hessians
def _jacobian(func, argnums, has_aux, api, random_check):
    # PyTorch builds jacrev on vjp and jacfwd on jvp, and its messages name those
    inner = "vjp(f, *primals)" if api == "jacrev" else "jvp(f, primals, tangents)"

    def wrapper(*args, **kwargs):
        level = _Level()
        before = _fingerprint() if random_check else None
        with enable_grad():
            args, spec = _differentiate(level, args, argnums)
            out = func(*args, **kwargs)
            aux = None
            if has_aux:
                out, aux = _split_aux(out, inner)
        if random_check and _fingerprint() != before:
            raise RuntimeError("vmap: called random operation while in randomness error mode. "
                               "Please either use the 'same' or 'different' randomness flags "
                               "on vmap or perform the randomness operation out of vmap")
        flat_out, out_spec = tree_flatten(out)
        if not flat_out:
            raise RuntimeError(f"{api}(f, ...)(*args): Expected f to be a function that has "
                               "non-empty output")
        called = "f(*primals)" if api == "jacrev" else "f(*args)"
        for o in flat_out:
            if not isinstance(o, Tensor):
                raise RuntimeError(f"{inner}: expected {called} to return only tensors, got "
                                   f"unsupported type {type(o)}")
        cg = level.outer and level.reaches_outside(flat_out)
        xs = level.inputs
        per_output = []
        for o in flat_out:
            n = o.numel()
            rows = []
            if o.requires_grad and n:
                for k in range(n):  # row k: the vjp with the k-th unit vector
                    unit = ops.zeros(n, dtype=o.dtype, device=o.device)
                    unit[k] = 1
                    rows.append(level.vjp([o], [unit.reshape(o.shape)], create_graph=cg))
            jacs = []
            for i, x in enumerate(xs):
                shape = tuple(o.shape) + tuple(x.shape)
                if rows:
                    j = ops.stack([r[i] for r in rows]).reshape(shape)
                else:
                    j = ops.zeros(shape, dtype=x.dtype, device=x.device)
                jacs.append(level.result(j) if cg else j.detach())
            per_output.append(tree_unflatten(jacs, spec))
        jac = tree_unflatten(per_output, out_spec)
        if has_aux:
            return jac, tree_map(level.result, aux)
        return jac
    return wrapper


def jacrev(func, argnums=0, *, has_aux: bool = False, chunk_size=None,
           _preallocate_and_copy: bool = False):
    """A function computing the Jacobian of ``func`` with respect to the argument(s) at
    ``argnums``, by reverse-mode AD: one backward pass per output element.

    For an output of shape ``O`` and an input of shape ``I`` the Jacobian has shape
    ``O + I``; with several outputs or inputs the result nests as the outputs' structure,
    then the inputs' (a tuple over ``argnums`` when it is a tuple).

    Args:
        has_aux: ``func`` returns ``(output, aux)``; returns ``(jacobian, aux)``.
        chunk_size: how many rows PyTorch computes at once (a memory/speed trade-off of its
            vectorized backward). ember computes the rows one at a time whatever it is;
            it must be None or positive.
        _preallocate_and_copy: PyTorch's private switch between two ways of assembling the
            rows; ember assembles them one way (the result is the same).
    """
    if chunk_size is not None and not (isinstance(chunk_size, int) and chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")
    if not isinstance(_preallocate_and_copy, bool):
        raise TypeError("jacrev: _preallocate_and_copy must be a bool")
    return functools.wraps(func)(_jacobian(func, argnums, has_aux, "jacrev", False))


def jacfwd(func, argnums=0, has_aux: bool = False, *, randomness: str = "error"):
    """The Jacobian of ``func`` (as :func:`jacrev`: the same values and layout).

    ember has no forward-mode AD, so the Jacobian is built from reverse-mode rows, like
    ``jacrev``'s; ``func`` runs once.

    Args:
        randomness: ``"error"`` (default) raises if ``func`` draws random numbers, as
            PyTorch's does; ``"same"`` allows it (``func`` runs once, so every column sees
            the same draws). ``"different"`` (other draws per column) is not supported.
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")
    if randomness == "different":
        raise NotImplementedError(
            "jacfwd(randomness='different'): ember builds the Jacobian from one run of the "
            "function, so all columns see the same random draws; use randomness='same'")
    return functools.wraps(func)(_jacobian(func, argnums, has_aux, "jacfwd",
                                           randomness == "error"))


def hessian(func, argnums=0):
    """The Hessian of ``func`` (whose output is a 0-d Tensor) with respect to the
    argument(s) at ``argnums``: ``jacfwd(jacrev(func, argnums), argnums)``, as in PyTorch."""
    return jacfwd(jacrev(func, argnums), argnums)
