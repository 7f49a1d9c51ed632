"""Op-table entries of ``ember.ops._autocast`` (autocast's own op)."""
from __future__ import annotations

CASES: list = []

# Ops checked elsewhere, with the reason (the meta-test accepts only these).
EXEMPT = {
    "RoundTo": "rounds float32 to bfloat16/float16 precision (a step function: no finite "
               "differences); tests/amp compares it, under autocast, with PyTorch",
}
