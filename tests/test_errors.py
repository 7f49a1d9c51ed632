"""Bad input: errors name the op and the shapes, use PyTorch's exception types, change nothing."""
from __future__ import annotations

import pytest

import ember

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


CASES = [
    ("matmul", lambda m: m.matmul(m.ones(32, 784), m.ones(785, 256)), RuntimeError,
     r"matmul: shapes \(32, 784\) and \(785, 256\) cannot be multiplied"),
    ("mm", lambda m: m.mm(m.ones(2, 3), m.ones(4, 5)), RuntimeError, r"mm.*2x3 and 4x5"),
    ("add", lambda m: m.ones(2, 3) + m.ones(4), RuntimeError,
     r"add: The size of tensor a \(3\) must match the size of tensor b \(4\)"),
    ("mul", lambda m: m.ones(2, 3) * m.ones(3, 2), RuntimeError, r"mul: The size"),
    ("reshape", lambda m: m.ones(2, 3).reshape(4, 2), RuntimeError, r"shape '\[4, 2\]' is invalid"),
    ("cat", lambda m: m.cat([m.ones(2, 3), m.ones(3, 2)], 0), RuntimeError, r"cat\(\): Sizes"),
    ("stack", lambda m: m.stack([m.ones(2), m.ones(3)]), RuntimeError, r"stack expects"),
    ("sum_dim", lambda m: m.ones(2, 3).sum(2), IndexError, r"Dimension out of range"),
    ("getitem", lambda m: m.ones(3)[3], IndexError, r"out of bounds"),
    ("gather", lambda m: m.gather(m.ones(2, 3), 1, m.tensor([[5]])), RuntimeError, r"out of bounds"),
    ("expand", lambda m: m.ones(2, 3).expand(4, 3), RuntimeError, r"expanded size"),
    ("permute", lambda m: m.ones(2, 3).permute(0, 0), RuntimeError, r"duplicate dims"),
    ("mean_int", lambda m: m.tensor([1, 2]).mean(), RuntimeError, r"mean\(\): could not infer"),
    ("split", lambda m: m.split(m.ones(4), [1, 2]), RuntimeError, r"split_with_sizes"),
    ("dot", lambda m: m.dot(m.ones(3), m.ones(4)), RuntimeError, r"inconsistent tensor size"),
    ("squeeze_dim", lambda m: m.ones(2).unsqueeze(3), IndexError, r"Dimension out of range"),
    ("max_empty", lambda m: m.ones(0).max(), RuntimeError, r"numel\(\) == 0"),
    ("cross_entropy_target", lambda m: m.nn.functional.cross_entropy(
        m.zeros(3, 10), m.tensor([1, 10, 2])), IndexError, r"Target 10 is out of bounds"),
    ("nll_negative_target", lambda m: m.nn.functional.nll_loss(
        m.zeros(3, 4), m.tensor([1, -3, 2])), IndexError, r"Target -3 is out of bounds"),
    ("embedding_index", lambda m: m.nn.functional.embedding(m.tensor([5]), m.zeros(3, 2)),
     IndexError, r"index out of range in self"),
    ("masked_fill_int", lambda m: m.ones(2).masked_fill(m.tensor([1, 0]), 0.0), RuntimeError,
     r"boolean masks"),
]


@pytest.mark.parametrize("name,fn,exc,msg", CASES, ids=[c[0] for c in CASES])
def test_error_message_and_type(name, fn, exc, msg):
    with pytest.raises(exc, match=msg):
        fn(ember)
    if torch is not None:  # the same exception class as PyTorch
        with pytest.raises(exc):
            fn(torch)


@pytest.mark.skipif(not ember.cuda.is_available(), reason="no CUDA device or stand-in")
def test_device_mismatch_is_named():
    # On the CPU stand-in of CuPy where there is no GPU (tests/conftest.py selects it).
    with pytest.raises(RuntimeError, match="Add: expected all tensors to be on the same device.*"
                                           "cpu and cuda:0"):
        ember.ones(2) + ember.ones(2, device="cuda")


def test_failed_op_leaves_inputs_untouched():
    x = ember.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError):
        x @ ember.ones(4, 2)
    assert x.grad is None and x._version == 0
    y = ember.ones(3)
    with pytest.raises(RuntimeError):
        y.add_(ember.ones(2, 3))
    assert y.tolist() == [1.0, 1.0, 1.0] and y._version == 0
