"""``ember.utils._pytree`` against ``torch.utils._pytree``: the same leaves in the same order,
specs that print and compare alike, the same errors."""
from __future__ import annotations

import re
from collections import OrderedDict, defaultdict, deque, namedtuple

import pytest

import ember
import ember.utils._pytree as ep

from ..compat._libs import needs_torch, torch

if torch is not None:
    import torch.utils._pytree as tp

Point = namedtuple("Point", "x y")

TREES = [
    1, None, "text", (1, 2), [1, [2, 3]], {"b": 1, "a": 2}, OrderedDict(b=1, a=2),
    Point(1, [2, 3]), defaultdict(list, {"x": 1, "y": (2, None)}), deque([1, 2], maxlen=4),
    (None, 1), {"a": None, "b": [None, ()]}, [], (), {}, {1: "a", "x": "b"},
    {"outer": [(1, 2), {"k": Point(3, 4)}, OrderedDict(z=5)], "n": None},
]




@needs_torch
@pytest.mark.parametrize("tree", TREES, ids=[type(t).__name__ for t in TREES])
def test_flatten_matches_torch(tree):
    leaves, spec = ep.tree_flatten(tree)
    t_leaves, t_spec = tp.tree_flatten(tree)
    assert leaves == t_leaves
    assert repr(spec) == repr(t_spec) and str(spec) == str(t_spec)
    assert (spec.num_leaves, spec.num_nodes, spec.num_children) == \
        (t_spec.num_leaves, t_spec.num_nodes, t_spec.num_children)
    assert ep.treespec_pprint(spec) == tp.treespec_pprint(t_spec)
    assert ep.tree_unflatten(leaves, spec) == tp.tree_unflatten(t_leaves, t_spec) == tree
    assert type(ep.tree_unflatten(leaves, spec)) is type(tree)
    assert ep.tree_leaves(tree) == tp.tree_leaves(tree)
    assert spec.is_leaf() == t_spec.is_leaf()
    assert ep.tree_is_leaf(tree) == tp.tree_is_leaf(tree)


@needs_torch
def test_specs_compare_and_hash_like_torch():
    a, b = ep.tree_structure({"a": [1, (2, 3)]}), ep.tree_structure({"a": [4, (5, 6)]})
    c = ep.tree_structure({"a": [4, [5, 6]]})
    assert a == b and hash(a) == hash(b) and a != c
    assert ep.tree_structure(3) == ep.LeafSpec() and repr(ep.LeafSpec()) == "*"
    assert str(ep.TreeSpec(tuple, None, [ep.LeafSpec(), ep.LeafSpec()])) == \
        str(tp.TreeSpec(tuple, None, [tp.LeafSpec(), tp.LeafSpec()]))
    spec = ep.tree_structure({"a": [1, (2, 3)], "b": None})
    assert repr(spec.child(0)) == repr(tp.tree_structure({"a": [1, (2, 3)], "b": None}).child(0))
    assert spec.context == ["a", "b"] and spec.type is dict


@needs_torch
def test_map_and_friends_match_torch():
    tree = {"a": [1, (2, 3)], "b": 5}
    assert ep.tree_map(lambda x: x * 2, tree) == tp.tree_map(lambda x: x * 2, tree)
    assert ep.tree_map(lambda x, y: x + y, [1, 2], [10, 20]) == [11, 22]
    # a rest may go deeper where the first tree has a leaf: the whole sub-tree is passed
    assert ep.tree_map(lambda x, y: (x, y), [1, 2], [[3, 4], 5]) == \
        tp.tree_map(lambda x, y: (x, y), [1, 2], [[3, 4], 5])
    mixed = [1, "a", 2.0, None]
    for only in (int, (int, float), lambda x: x is None):
        assert ep.tree_map_only(only, lambda x: ("hit", x), mixed) == \
            tp.tree_map_only(only, lambda x: ("hit", x), mixed)
    seen = []
    assert ep.tree_map_(seen.append, [1, {"x": 2}]) == [1, {"x": 2}] and seen == [1, 2]
    assert ep.tree_all(lambda x: x > 0, [1, 2]) and ep.tree_any(lambda x: x > 1, [1, 2])
    assert ep.tree_any_only(str, lambda s: s == "a", mixed)
    assert not ep.tree_all_only(int, lambda x: x > 1, mixed)
    assert ep.tree_flatten({"b": 1}, is_leaf=lambda x: isinstance(x, dict)) == \
        ([{"b": 1}], ep.LeafSpec())
    assert ep.tree_leaves([1, [2, 3]], is_leaf=lambda x: x == [2, 3]) == [1, [2, 3]]


@needs_torch
@pytest.mark.parametrize("call", [
    lambda p: p.tree_unflatten([1], p.tree_structure({"a": [1, (2, 3)], "b": None})),
    lambda p: p.tree_map(lambda x, y: x + y, [1, 2], [10, 20, 30]),
    lambda p: p.tree_map(lambda x, y: x + y, [1, 2], (10, 20)),
    lambda p: p.tree_map(lambda x, y: x + y, {"a": 1}, {"b": 2}),
    lambda p: p.tree_map(lambda x, y: x, Point(1, 2), namedtuple("Other", "x y")(1, 2)),
    lambda p: p.tree_map_only(3, lambda x: x, [1]),
    lambda p: p.tree_unflatten([1, 2], [1, 2]),
], ids=["unflatten-count", "arity", "type", "keys", "namedtuple-context", "only-type",
        "no-spec"])
def test_errors_match_torch(call):
    def outcome(p):
        try:
            call(p)
        except Exception as e:  # noqa: BLE001 - the comparison is the point
            return type(e), str(e)
        return None
    def plain(msg):  # addresses differ from run to run
        return re.sub(r" at 0x[0-9a-f]+", "", msg)
    ours, theirs = outcome(ep), outcome(tp)
    assert ours is not None and ours[0] is theirs[0]
    assert plain(ours[1]) == plain(theirs[1])


def test_registered_node_and_double_registration():
    class Pair:
        def __init__(self, a, b):
            self.a, self.b = a, b

    ep.register_pytree_node(Pair, lambda p: ([p.a, p.b], "ctx"), lambda ch, ctx: Pair(*ch),
                            serialized_type_name="tests.Pair")
    leaves, spec = ep.tree_flatten([Pair(1, (2, 3))])
    assert leaves == [1, 2, 3] and spec.child(0).type is Pair and spec.child(0).context == "ctx"
    back = ep.tree_unflatten([4, 5, 6], spec)[0]
    assert isinstance(back, Pair) and back.a == 4 and back.b == (5, 6)
    assert ep.SUPPORTED_SERIALIZED_TYPES[Pair] == "tests.Pair"
    with pytest.raises(ValueError, match="already registered as pytree node"):
        ep.register_pytree_node(Pair, lambda p: ([], None), lambda ch, ctx: Pair(0, 0))
    with pytest.raises(NotImplementedError, match="flatten_with_keys_fn"):
        ep.register_pytree_node(dict.__class__, list, list, flatten_with_keys_fn=list)


@needs_torch
def test_ember_containers_are_nodes_like_torch_ones():
    """``Size`` and the return types (``max``, ``sort``...) are nodes, as torch's are."""
    ours = ep.tree_flatten([ember.Size([2, 3]), ember.max(ember.tensor([[1.0, 3.0]]), 1)])
    theirs = tp.tree_flatten([torch.Size([2, 3]), torch.max(torch.tensor([[1.0, 3.0]]), 1)])
    assert repr(ours[1]) == repr(theirs[1])
    assert ours[0][:2] == theirs[0][:2] and len(ours[0]) == len(theirs[0]) == 4
    rebuilt = ep.tree_unflatten(ours[0], ours[1])
    assert type(rebuilt[0]) is ember.Size and type(rebuilt[1]).__name__ == "max"
    assert rebuilt[1].values.item() == 3.0


def test_tensors_are_leaves():
    t = ember.ones(2)
    leaves, spec = ep.tree_flatten({"w": t, "pair": (t, 1)})
    assert leaves[0] is t and leaves[1] is t and spec.num_leaves == 3
    doubled = ep.tree_map_only(ember.Tensor, lambda x: x * 2, {"w": t, "n": 1})
    assert doubled["n"] == 1 and doubled["w"].tolist() == [2.0, 2.0]
