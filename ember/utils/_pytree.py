"""Nested containers as trees of leaves (``torch.utils._pytree``).

A pytree is a value built from containers — ``tuple``, ``list``, ``dict``, ``OrderedDict``,
``defaultdict``, ``deque``, named tuples, ``ember.Size`` and ``ember.return_types`` — with
anything else at the leaves (``None`` included, as in PyTorch 2.13). ``tree_flatten`` lists
the leaves depth first, in the containers' own order (a dict's insertion order), and returns
a :class:`TreeSpec` that ``tree_unflatten`` rebuilds the tree from. Other container types join
with :func:`register_pytree_node`. A subclass of a container type is a leaf unless it is
registered itself (named tuples excepted), as in PyTorch.

Not here: the key-path functions (``tree_flatten_with_path``, ``keystr``) and treespec
serialization (``treespec_dumps``/``treespec_loads``).
"""
from __future__ import annotations

import dataclasses
from collections import OrderedDict, defaultdict, deque
from typing import Any, Callable, Iterable

from ..return_types import _StructSeq
from ..size import Size

__all__ = ["PyTree", "Context", "FlattenFn", "UnflattenFn", "TreeSpec", "LeafSpec",
           "register_pytree_node", "tree_flatten", "tree_unflatten", "tree_leaves",
           "tree_structure", "tree_iter", "tree_is_leaf", "tree_map", "tree_map_",
           "tree_map_only", "tree_map_only_", "tree_all", "tree_any", "tree_all_only",
           "tree_any_only", "treespec_pprint", "is_namedtuple", "is_namedtuple_class",
           "is_namedtuple_instance", "is_structseq", "is_structseq_class",
           "is_structseq_instance"]

PyTree = Any
Context = Any
FlattenFn = Callable[[PyTree], "tuple[list, Context]"]
UnflattenFn = Callable[[Iterable, Context], PyTree]


@dataclasses.dataclass(frozen=True)
class NodeDef:
    """How one container type is taken apart and put back together."""

    type: type
    flatten_fn: FlattenFn
    unflatten_fn: UnflattenFn


SUPPORTED_NODES: dict = {}
SUPPORTED_SERIALIZED_TYPES: dict = {}  # type -> the serialized_type_name it was registered with


def register_pytree_node(cls, flatten_fn, unflatten_fn, *, serialized_type_name=None,
                         to_dumpable_context=None, from_dumpable_context=None,
                         flatten_with_keys_fn=None) -> None:
    """Make ``cls`` a container of pytrees.

    Args:
        cls: the container type (exact type: subclasses are not covered).
        flatten_fn: ``obj -> (children, context)``; ``children`` a list of sub-trees,
            ``context`` anything ``unflatten_fn`` needs besides them (compared by ``==``).
        unflatten_fn: ``(children, context) -> obj``.
        serialized_type_name: the name a serialized treespec would use; recorded in
            ``SUPPORTED_SERIALIZED_TYPES`` (ember has no treespec serialization to use it).
        to_dumpable_context, from_dumpable_context, flatten_with_keys_fn: the hooks of
            treespec serialization and key paths, which ember does not have: passing one
            raises ``NotImplementedError``.
    """
    for name, fn in (("to_dumpable_context", to_dumpable_context),
                     ("from_dumpable_context", from_dumpable_context),
                     ("flatten_with_keys_fn", flatten_with_keys_fn)):
        if fn is not None:
            raise NotImplementedError(
                f"register_pytree_node({name}=...): ember's pytree has no treespec "
                "serialization or key paths; register the node without it")
    if cls in SUPPORTED_NODES:
        raise ValueError(f"{cls} is already registered as pytree node.")
    if serialized_type_name is not None and not isinstance(serialized_type_name, str):
        raise TypeError(f"serialized_type_name must be a string, got "
                        f"{type(serialized_type_name).__name__}")
    SUPPORTED_NODES[cls] = NodeDef(cls, flatten_fn, unflatten_fn)
    if serialized_type_name is not None:
        SUPPORTED_SERIALIZED_TYPES[cls] = serialized_type_name


# ---------------------------------------------------------------- named tuples, structseqs
def is_namedtuple_class(cls) -> bool:
    """A class made by ``collections.namedtuple`` / ``typing.NamedTuple``."""
    return (isinstance(cls, type) and issubclass(cls, tuple)
            and isinstance(getattr(cls, "_fields", None), tuple)
            and all(isinstance(f, str) for f in cls._fields)
            and callable(getattr(cls, "_make", None)) and callable(getattr(cls, "_asdict", None)))


def is_namedtuple_instance(obj) -> bool:
    return is_namedtuple_class(type(obj))


def is_namedtuple(obj) -> bool:
    """Whether ``obj`` is a named tuple class or an instance of one."""
    return is_namedtuple_class(obj if isinstance(obj, type) else type(obj))


def is_structseq_class(cls) -> bool:
    """A tuple class with fixed named fields in the manner of ``time.struct_time`` and
    ``ember.return_types`` (their ``n_fields``/``n_sequence_fields``/``n_unnamed_fields``)."""
    return (isinstance(cls, type) and issubclass(cls, tuple) and not is_namedtuple_class(cls)
            and all(isinstance(getattr(cls, a, None), int)
                    for a in ("n_fields", "n_sequence_fields", "n_unnamed_fields")))


def is_structseq_instance(obj) -> bool:
    return is_structseq_class(type(obj))


def is_structseq(obj) -> bool:
    return is_structseq_class(obj if isinstance(obj, type) else type(obj))


def namedtuple():  # the node type of every named tuple, as PyTorch names it  # noqa: D103
    raise TypeError("the pytree node type of named tuples is not callable")


def structseq():  # the node type of other structseqs  # noqa: D103
    raise TypeError("the pytree node type of structseqs is not callable")


def _node_type(obj):
    t = type(obj)
    if t in SUPPORTED_NODES:
        return t
    if is_namedtuple_class(t):
        return namedtuple
    if is_structseq_class(t):
        return structseq
    return t


# ---------------------------------------------------------------- the built-in nodes
def _seq_flatten(seq):
    return list(seq), None


def _dict_flatten(d):
    return list(d.values()), list(d.keys())


register_pytree_node(tuple, _seq_flatten, lambda ch, ctx: tuple(ch))
register_pytree_node(list, _seq_flatten, lambda ch, ctx: list(ch))
register_pytree_node(dict, _dict_flatten, lambda ch, ctx: dict(zip(ctx, ch)))
register_pytree_node(OrderedDict, _dict_flatten, lambda ch, ctx: OrderedDict(zip(ctx, ch)))
register_pytree_node(defaultdict, lambda d: (list(d.values()), [d.default_factory, list(d)]),
                     lambda ch, ctx: defaultdict(ctx[0], zip(ctx[1], ch)))
register_pytree_node(deque, lambda d: (list(d), d.maxlen),
                     lambda ch, ctx: deque(ch, maxlen=ctx))
register_pytree_node(namedtuple, lambda t: (list(t), type(t)), lambda ch, ctx: ctx(*ch))
register_pytree_node(structseq, lambda t: (list(t), type(t)), lambda ch, ctx: ctx(ch))
register_pytree_node(Size, _seq_flatten, lambda ch, ctx: Size(ch))
for _cls in _StructSeq.__subclasses__():  # ember.return_types, each its own node (PyTorch's)
    register_pytree_node(_cls, _seq_flatten, lambda ch, ctx, _c=_cls: _c(ch))

_DICT_TYPES = (dict, OrderedDict, defaultdict)
_BUILTIN = frozenset({tuple, list, dict, OrderedDict, defaultdict, deque, namedtuple, structseq})


# ---------------------------------------------------------------- TreeSpec
class TreeSpec:
    """The shape of a pytree: the root's node type, its context and one spec per child
    (a leaf's spec has type None). Compared with ``==``; ``num_leaves``, ``num_nodes``,
    ``num_children``, ``children()``, ``child(i)``, ``is_leaf()``; ``unflatten(leaves)``
    rebuilds a tree and ``flatten_up_to(tree)`` cuts ``tree`` at this structure."""

    __slots__ = ("type", "_context", "_children", "num_nodes", "num_leaves", "num_children")

    def __init__(self, type, context, children_specs):  # noqa: A002 - PyTorch's name
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "_context", context)
        object.__setattr__(self, "_children", list(children_specs))
        if type is None:
            if context is not None or self._children:
                raise AssertionError("leaf node should not have a context or children")
            nodes = leaves = 1
        else:
            nodes = 1 + sum(c.num_nodes for c in self._children)
            leaves = sum(c.num_leaves for c in self._children)
        object.__setattr__(self, "num_nodes", nodes)
        object.__setattr__(self, "num_leaves", leaves)
        object.__setattr__(self, "num_children", len(self._children))

    def __setattr__(self, name, value):
        raise dataclasses.FrozenInstanceError(f"cannot assign to field '{name}'")

    @property
    def context(self):
        return self._context

    def is_leaf(self) -> bool:
        return self.type is None

    def children(self) -> list:
        return list(self._children)

    def child(self, index: int) -> TreeSpec:
        return self._children[index]

    def __repr__(self, indent: int = 0) -> str:
        if self.type is None:
            return "*"
        inner = indent + 2
        parts = [c.__repr__(inner) for c in self._children]
        body = (",\n" + " " * inner).join(parts)
        return f"TreeSpec({self.type.__name__}, {self._context}, [{body}])"

    def __eq__(self, other):
        if self is other:
            return True
        if not isinstance(other, TreeSpec):
            return NotImplemented
        return (str(self.type) == str(other.type) and self._context == other._context
                and self._children == other._children)

    def __hash__(self):
        ctx = self._context
        if self.type is defaultdict:
            ctx = (ctx[0], tuple(ctx[1]))
        elif isinstance(ctx, list):
            ctx = tuple(ctx)
        try:
            hash(ctx)
        except TypeError:
            ctx = None  # a custom node's context need not be hashable
        return hash((self.type, ctx, tuple(self._children)))

    def unflatten(self, leaves: Iterable) -> PyTree:
        """The tree of this structure with ``leaves`` in place of its leaves."""
        if not isinstance(leaves, (list, tuple)):
            leaves = list(leaves)
        if len(leaves) != self.num_leaves:
            raise ValueError(
                f"treespec.unflatten(leaves): `leaves` has length {len(leaves)} but the spec "
                f"refers to a pytree that holds {self.num_leaves} items ({self}).")
        return self._build(leaves, 0)

    def _build(self, leaves, start):
        if self.type is None:
            return leaves[start]
        children = []
        for c in self._children:
            children.append(c._build(leaves, start))
            start += c.num_leaves
        return SUPPORTED_NODES[self.type].unflatten_fn(children, self._context)

    def flatten_up_to(self, tree: PyTree) -> list:
        """The sub-trees of ``tree`` found where this spec has its leaves (``tree`` must have
        this spec's containers down to there; dict keys may come in another order)."""
        out: list = []
        self._cut(tree, out)
        return out

    def _cut(self, node, out):
        if self.type is None:
            out.append(node)
            return
        t = _node_type(node)
        if self.type in _DICT_TYPES and t in _DICT_TYPES:
            keys = self._context[1] if self.type is defaultdict else self._context
            if len(node) != self.num_children:
                raise ValueError(f"Node arity mismatch; expected {self.num_children}, but got "
                                 f"{len(node)}.")
            if set(node) != set(keys):
                missing, extra = set(keys) - set(node), set(node) - set(keys)
                msg = (f"; missing key(s): {missing}" if missing else "") + (
                    f"; extra key(s): {extra}" if extra else "")
                raise ValueError(f"Node keys mismatch{msg}.")
            children = [node[k] for k in keys]
        else:
            if t != self.type:
                what = "Node type" if self.type in _BUILTIN else "Type"
                raise ValueError(f"{what} mismatch; expected {self.type!r}, but got {t!r}.")
            children, ctx = SUPPORTED_NODES[t].flatten_fn(node)
            if len(children) != self.num_children:
                raise ValueError(f"Node arity mismatch; expected {self.num_children}, but got "
                                 f"{len(children)}.")
            if t is not deque and ctx != self._context:
                raise ValueError(f"Node context mismatch for node type {self.type!r}; expected "
                                 f"{self._context!r}, but got {ctx!r}.")
        for spec, sub in zip(self._children, children):
            spec._cut(sub, out)


class LeafSpec(TreeSpec):
    """The spec of a leaf (printed ``*``)."""

    __slots__ = ()

    def __init__(self):
        super().__init__(None, None, [])


_LEAF = LeafSpec()


# ---------------------------------------------------------------- flattening and mapping
def tree_is_leaf(tree: PyTree, is_leaf: Callable | None = None) -> bool:
    """Whether ``tree`` is a leaf: ``is_leaf(tree)`` says so, or its type is no node type."""
    if is_leaf is not None and is_leaf(tree):
        return True
    return _node_type(tree) not in SUPPORTED_NODES


def tree_flatten(tree: PyTree, is_leaf: Callable | None = None) -> tuple:
    """``(leaves, spec)``: the leaves of ``tree`` depth first, and its structure."""
    leaves: list = []

    def walk(node):
        if tree_is_leaf(node, is_leaf):
            leaves.append(node)
            return _LEAF
        t = _node_type(node)
        children, ctx = SUPPORTED_NODES[t].flatten_fn(node)
        return TreeSpec(t, ctx, [walk(c) for c in children])

    spec = walk(tree)
    return leaves, spec


def tree_unflatten(leaves: Iterable, treespec: TreeSpec) -> PyTree:
    """The inverse of :func:`tree_flatten`: the tree of ``treespec`` holding ``leaves``."""
    if not isinstance(treespec, TreeSpec):
        if not isinstance(leaves, TreeSpec):
            raise TypeError(f"Expected `treespec` to be an instance of PyTreeSpec but got "
                            f"item of type {type(treespec)}.")
        leaves, treespec = treespec, leaves
    return treespec.unflatten(leaves)


def tree_iter(tree: PyTree, is_leaf: Callable | None = None):
    """The leaves of ``tree``, one at a time, in :func:`tree_flatten`'s order."""
    if tree_is_leaf(tree, is_leaf):
        yield tree
        return
    children, _ = SUPPORTED_NODES[_node_type(tree)].flatten_fn(tree)
    for c in children:
        yield from tree_iter(c, is_leaf)


def tree_leaves(tree: PyTree, is_leaf: Callable | None = None) -> list:
    return list(tree_iter(tree, is_leaf))


def tree_structure(tree: PyTree, is_leaf: Callable | None = None) -> TreeSpec:
    return tree_flatten(tree, is_leaf)[1]


def tree_map(func: Callable, tree: PyTree, *rests: PyTree, is_leaf: Callable | None = None):
    """A tree of ``tree``'s structure holding ``func(leaf, *matching leaves of rests)``.

    Each of ``rests`` must have ``tree``'s containers (it may go deeper where ``tree`` has
    a leaf: that whole sub-tree is passed).
    """
    leaves, spec = tree_flatten(tree, is_leaf)
    columns = [leaves] + [spec.flatten_up_to(r) for r in rests]
    return spec.unflatten([func(*xs) for xs in zip(*columns)])


def tree_map_(func: Callable, tree: PyTree, *rests: PyTree, is_leaf: Callable | None = None):
    """Call ``func`` on the leaves as :func:`tree_map` does, for its side effects; returns
    ``tree``."""
    leaves, spec = tree_flatten(tree, is_leaf)
    columns = [leaves] + [spec.flatten_up_to(r) for r in rests]
    for xs in zip(*columns):
        func(*xs)
    return tree


def _predicate(type_or_types_or_pred):
    t = type_or_types_or_pred
    if isinstance(t, type) or (isinstance(t, tuple) and all(isinstance(x, type) for x in t)) \
            or type(t).__name__ == "UnionType":
        return lambda x: isinstance(x, t)
    if callable(t):
        return t
    raise TypeError("Argument must be a type, a tuple of types, or a callable.")


def _only(type_or_types_or_pred, func):
    pred = _predicate(type_or_types_or_pred)
    return lambda x: func(x) if pred(x) else x


def tree_map_only(type_or_types_or_pred, /, func: Callable, tree: PyTree,
                  is_leaf: Callable | None = None):
    """:func:`tree_map` applying ``func`` only to leaves of the given type(s) (or for which
    the predicate holds); other leaves are kept as they are."""
    return tree_map(_only(type_or_types_or_pred, func), tree, is_leaf=is_leaf)


def tree_map_only_(type_or_types_or_pred, /, func: Callable, tree: PyTree,
                   is_leaf: Callable | None = None):
    return tree_map_(_only(type_or_types_or_pred, func), tree, is_leaf=is_leaf)


def tree_all(pred: Callable, tree: PyTree, is_leaf: Callable | None = None) -> bool:
    return all(map(pred, tree_iter(tree, is_leaf)))


def tree_any(pred: Callable, tree: PyTree, is_leaf: Callable | None = None) -> bool:
    return any(map(pred, tree_iter(tree, is_leaf)))


def tree_all_only(type_or_types, /, pred: Callable, tree: PyTree,
                  is_leaf: Callable | None = None) -> bool:
    check = _predicate(type_or_types)
    return all(pred(x) for x in tree_iter(tree, is_leaf) if check(x))


def tree_any_only(type_or_types, /, pred: Callable, tree: PyTree,
                  is_leaf: Callable | None = None) -> bool:
    check = _predicate(type_or_types)
    return any(pred(x) for x in tree_iter(tree, is_leaf) if check(x))


def treespec_pprint(treespec: TreeSpec) -> str:
    """``treespec`` drawn as the tree it describes, with ``*`` for each leaf."""
    return repr(treespec.unflatten([_Star()] * treespec.num_leaves))


class _Star:
    def __repr__(self):
        return "*"


def _broadcast_to_and_flatten(tree: PyTree, treespec: TreeSpec, is_leaf=None):
    """``tree`` taken as a prefix of the tree ``treespec`` describes: each of its leaves
    repeated once per leaf of the sub-tree it stands for; None when it is no such prefix."""
    full = treespec.unflatten([0] * treespec.num_leaves)
    out: list = []
    try:
        tree_map_(lambda x, sub: out.extend([x] * tree_structure(sub, is_leaf).num_leaves),
                  tree, full, is_leaf=is_leaf)
    except ValueError:
        return None
    return out
