"""Op-table rows of spatial sampling and random relaxations: grid_sample, affine_grid
(ember/ops/grid_sample.py) and gumbel_softmax; SyncBatchNorm's all-reduce is exempt here (it
needs an MPI job: tests/distributed/test_sync_batchnorm.py runs it under mpirun).

Grids are drawn in [-1.35, 1.35], so samples fall inside, on the border region and outside
the input, where the padding modes differ; gradients flow to the input and to the grid.
"""
from __future__ import annotations

import warnings

import ember

from ..opcheck import N, OpCase, T, U, torch
from .cases import F, row


def _sample(mode, padding, align):
    def f(m, x, g):
        return F(m).grid_sample(x, g * 1.5, mode=mode, padding_mode=padding,
                                align_corners=align)
    return f


_GRID_2D = [(N(2, 3, 4, 5), U(2, 3, 4, 2)), (N(1, 2, 3, 3), U(1, 5, 2, 2)),
            (T(1, 2, 4, 3), U(1, 2, 3, 2)), (N(0, 2, 3, 3), U(0, 2, 2, 2)),
            (N(1, 1, 1, 1), U(1, 2, 2, 2)), (N(2, 2, 3, 4), U(2, 0, 3, 2))]
_GRID_3D = [(N(2, 2, 3, 4, 3), U(2, 2, 3, 2, 3)), (N(1, 1, 2, 2, 2), U(1, 3, 1, 2, 3)),
            (T(1, 2, 3, 2, 3), U(1, 2, 2, 2, 3))]

CASES = []
for _mode in ("bilinear", "nearest", "bicubic"):
    for _padding in ("zeros", "border", "reflection"):
        for _align in (False, True):
            CASES.append(row(f"grid_sample_{_mode}_{_padding}{'_ac' if _align else ''}",
                             _sample(_mode, _padding, _align),
                             _GRID_2D if (_padding, _align) == ("zeros", False)
                             else _GRID_2D[:2]))
for _mode in ("bilinear", "nearest"):
    for _padding in ("zeros", "border", "reflection"):
        CASES.append(row(f"grid_sample_3d_{_mode}_{_padding}", _sample(_mode, _padding, False),
                         _GRID_3D if _padding == "zeros" else _GRID_3D[:1]))
CASES.append(row("grid_sample_3d_bilinear_reflection_ac",
                 _sample("bilinear", "reflection", True), _GRID_3D[:2]))


def _quiet(fn, *args, **kwargs):
    """``fn`` with its warnings silenced (align_corners not given, unit-size grids)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _default_align(m, x, g):
    """align_corners not given: False (PyTorch warns; the warning tests are elsewhere)."""
    return _quiet(F(m).grid_sample, x, g)


CASES += [
    row("grid_sample_default_align", _default_align, [(N(1, 2, 3, 4), U(1, 2, 2, 2))]),
    row("affine_grid_2d", lambda m, t: F(m).affine_grid(t, (2, 3, 4, 5), align_corners=False),
        [(N(2, 2, 3),), (T(2, 2, 3),)]),
    row("affine_grid_2d_ac_unit", lambda m, t: _quiet(F(m).affine_grid, t, (1, 1, 3, 1),
                                                       align_corners=True),
        [(N(1, 2, 3),)]),
    row("affine_grid_3d", lambda m, t: F(m).affine_grid(t, (2, 1, 3, 2, 4), align_corners=False),
        [(N(2, 3, 4),)]),
    row("affine_grid_3d_ac", lambda m, t: F(m).affine_grid(t, (1, 2, 2, 3, 2),
                                                           align_corners=True),
        [(N(1, 3, 4),)]),
    row("spatial_transformer", lambda m, x, t: F(m).grid_sample(
        x, F(m).affine_grid(t, tuple(x.shape), align_corners=False), align_corners=False),
        [(N(2, 3, 5, 4), N(2, 2, 3))]),
]


def _gumbel(hard, dim):
    """gumbel_softmax with ember's generator reseeded on every call (one draw of the noise
    for the finite differences)."""
    def f(x):
        ember.manual_seed(11)
        return ember.nn.functional.gumbel_softmax(x, tau=0.7, hard=hard, dim=dim)
    return f


def _gumbel_torch(hard, dim):
    """PyTorch's formula (softmax of (logits + gumbels) / tau; straight-through one-hot when
    ``hard``) on the gumbel noise ember draws after the same reseeding."""
    def f(x):
        ember.manual_seed(11)
        u = torch.from_numpy(ember.default_generator.rng.random(tuple(x.shape)))
        y = ((x - (-(-u).log1p()).log()) / 0.7).softmax(dim)
        if not hard:
            return y
        one_hot = torch.zeros_like(x).scatter_(dim, y.max(dim, keepdim=True)[1], 1.0)
        return one_hot - y.detach() + y
    return f if torch is not None else None


CASES += [
    OpCase("gumbel_softmax_seeded", _gumbel(False, -1), _gumbel_torch(False, -1),
           [(N(3, 5),), (N(2, 3, 4),)]),
    # the straight-through gradient is the soft sample's, not the derivative of the one-hot
    OpCase("gumbel_softmax_hard_seeded", _gumbel(True, 1), _gumbel_torch(True, 1),
           [(N(3, 4),), (N(2, 4, 3),)], gradcheck=False),
]

EXEMPT = {
    "AllReduceSum": "needs an MPI job: tests/distributed/test_sync_batchnorm.py runs "
                    "SyncBatchNorm (and so this op, forward and backward) under mpirun -n 2 "
                    "against one process on the global batch",
}
