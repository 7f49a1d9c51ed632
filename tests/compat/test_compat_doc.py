"""docs/pytorch-compat.md tells the truth: its name tables are what the two libraries have."""
from __future__ import annotations

import re

import pytest

from . import report
from ._libs import needs_torch

TEXT = report.DOC.read_text()
BLOCKS = report.blocks(TEXT)


def test_every_namespace_has_a_table():
    assert list(BLOCKS) == report.NAMESPACES


@needs_torch
@pytest.mark.parametrize("ns", report.NAMESPACES)
def test_table_is_up_to_date(ns):
    assert BLOCKS[ns] == report.block(ns), (
        f"the {ns} table of docs/pytorch-compat.md is out of date: run "
        "`python -m tests.compat.report` and commit the result")


@pytest.mark.parametrize("ns", report.NAMESPACES)
def test_names_said_to_be_in_ember_are(ns):
    """Without PyTorch too: every name the page gives ember exists in ember."""
    obj = report._resolve(ns, "ember")
    for label in ("Supported", "ember only"):
        line = re.search(rf"^{label} \(\d+\): (.*)$", BLOCKS[ns], re.M)
        assert line, f"{ns}: no '{label}' line"
        for name in re.findall(r"`([^`]+)`", line.group(1)):
            assert hasattr(obj, name), f"{ns}: the page says ember has {name}"
