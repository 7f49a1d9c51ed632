"""select, tensor_split, hsplit/vsplit/dsplit, split_with_sizes, ravel and moveaxis against
PyTorch: the pieces, the gradient of a weighted sum of them, and the errors; the pieces
are views (an in-place op on one reaches the input's history)."""
from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch", reason="PyTorch 2.13 (the oracle) is not installed")

CASES = {
    "select": lambda L, x: x.select(1, -2),
    "select_function": lambda L, x: L.select(x, 2, 0),
    "select_out_of_range": lambda L, x: x.select(1, 7),
    "tensor_split_sections": lambda L, x: x.tensor_split(3, dim=1),
    "tensor_split_function": lambda L, x: L.tensor_split(x, 4, 1),
    "tensor_split_indices": lambda L, x: x.tensor_split([2, 5], dim=1),
    "tensor_split_unordered_indices": lambda L, x: x.tensor_split([4, 2, 9], dim=1),
    "tensor_split_index_tensor": lambda L, x: x.tensor_split(L.tensor([1, 3]), dim=1),
    "tensor_split_sections_tensor": lambda L, x: x.tensor_split(L.tensor(2), dim=2),
    "tensor_split_zero_sections": lambda L, x: x.tensor_split(0, dim=1),
    "hsplit_indices": lambda L, x: x.hsplit([2, 3]),
    "hsplit_uneven": lambda L, x: x.hsplit(2),
    "hsplit_1d": lambda L, x: x.flatten().hsplit(6),
    "vsplit": lambda L, x: L.vsplit(x, 2),
    "vsplit_1d": lambda L, x: x.flatten().vsplit(2),
    "dsplit": lambda L, x: x.dsplit([1]),
    "dsplit_2d": lambda L, x: x[0].dsplit([1]),
    "split_with_sizes": lambda L, x: x.split_with_sizes([3, 4], 1),
    "ravel": lambda L, x: x.transpose(0, 1).ravel(),
    "moveaxis": lambda L, x: L.moveaxis(x, 0, -1),
    "inplace_on_a_piece": lambda L, x: (lambda y: (y.tensor_split(2, 1)[1].mul_(2), y)[1])(
        x * 1),
    "inplace_on_select": lambda L, x: (lambda y: (y.select(2, 1).sub_(x[:, :, 0]), y)[1])(
        x * 1),
}


def _run(lib, case):
    x = lib.tensor(np.arange(2 * 7 * 3.0).reshape(2, 7, 3), requires_grad=True)
    try:
        out = case(lib, x)
        out = out if isinstance(out, tuple) else (out,)
        sum((p * (k + 1)).sum() for k, p in enumerate(out)).backward()
        return [p.detach().numpy().tolist() for p in out], x.grad.numpy().tolist()
    except Exception as e:  # noqa: BLE001 - the error is what is compared
        return type(e).__name__, str(e)


@pytest.mark.parametrize("name", list(CASES))
def test_same_as_pytorch(name):
    assert _run(ember, CASES[name]) == _run(torch, CASES[name])


def test_pieces_are_views_sharing_the_version():
    x = ember.arange(12.0).reshape(3, 4)
    pieces = x.tensor_split(2, dim=1)
    pieces[0][0, 0] = 100.0
    assert x[0, 0].item() == 100.0
    assert pieces[1]._version == x._version == 1
