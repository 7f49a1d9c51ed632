"""Runs every row of the op table (tests/ops/cases.py) through the checker."""
from __future__ import annotations

import inspect

import pytest

import ember.ops
from ember.autograd.function import Op

from ..opcheck import check_case, make_inputs, ember_inputs, graph_ops, as_tuple
from .cases import CASES, EXEMPT

PARAMS = [pytest.param(c, k, id=f"{c.name}[{k}]") for c in CASES for k in range(len(c.inputs))]


@pytest.mark.parametrize("case,k", PARAMS)
def test_op(case, k):
    check_case(case, k)


def _all_ops():
    found = set()
    stack = list(Op.__subclasses__())
    while stack:
        cls = stack.pop()
        if cls.__module__.startswith("ember.ops"):
            found.add(cls)
        stack.extend(cls.__subclasses__())
    return found


def test_every_op_has_a_case():
    """Meta-test: each Function in ember.ops appears in the graph of some row."""
    covered = set()
    for case in CASES:
        for k in range(len(case.inputs)):
            outs = as_tuple(case.fn(*ember_inputs(make_inputs(case, k))))
            covered |= graph_ops(outs)
    missing = sorted(c.__name__ for c in _all_ops() - covered if c.__name__ not in EXEMPT)
    assert not missing, f"ops without a row in tests/ops/cases.py: {missing}"


def test_ops_are_found():
    # guard against the meta-test passing vacuously
    names = {c.__name__ for c in _all_ops()}
    assert {"Add", "Matmul", "Softmax", "GetItem", "Sum"} <= names
    assert inspect.ismodule(ember.ops)
