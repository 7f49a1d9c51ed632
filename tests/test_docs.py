"""The code blocks in docs/*.md run."""
from __future__ import annotations

import pathlib
import re

import pytest

DOCS = sorted((pathlib.Path(__file__).parents[1] / "docs").glob("*.md"))
BLOCKS = [(p.name, i, b) for p in DOCS
          for i, b in enumerate(re.findall(r"```python\n(.*?)```", p.read_text(), re.S))]


@pytest.mark.parametrize("name,i,code", BLOCKS, ids=[f"{n}[{i}]" for n, i, _ in BLOCKS])
def test_doc_block_runs(name, i, code):
    exec(compile(code, f"{name}[{i}]", "exec"), {})


def test_some_blocks_were_found():
    assert BLOCKS
