"""Lazy modules against PyTorch: uninitialized parameters, materialisation on the first call
(shapes, initial distributions, the class change), optimizers built before it, state dicts
loaded into a lazy module, dtype changes before it, and the errors."""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import ember
import ember.nn as enn
from ember.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy

torch = pytest.importorskip("torch")
tnn = torch.nn

LAZY = [
    ("LazyLinear", (3,), (2, 5), "Linear"),
    ("LazyConv1d", (4, 3), (2, 3, 7), "Conv1d"),
    ("LazyConv2d", (4, 3), (1, 2, 5, 5), "Conv2d"),
    ("LazyConv3d", (4, (1, 2, 2)), (1, 2, 3, 4, 4), "Conv3d"),
    ("LazyConvTranspose1d", (4, 3), (2, 3, 5), "ConvTranspose1d"),
    ("LazyConvTranspose2d", (4, 3), (1, 2, 3, 3), "ConvTranspose2d"),
    ("LazyConvTranspose3d", (2, 2), (1, 3, 2, 2, 2), "ConvTranspose3d"),
    ("LazyBatchNorm1d", (), (4, 3), "BatchNorm1d"),
    ("LazyBatchNorm2d", (), (2, 3, 2, 2), "BatchNorm2d"),
    ("LazyBatchNorm3d", (), (2, 3, 2, 2, 2), "BatchNorm3d"),
    ("LazyInstanceNorm1d", (), (2, 3, 4), "InstanceNorm1d"),
    ("LazyInstanceNorm2d", (), (2, 3, 4, 4), "InstanceNorm2d"),
    ("LazyInstanceNorm3d", (), (2, 3, 2, 3, 2), "InstanceNorm3d"),
]


def _keys(sd):
    return [(k, type(v).__name__.replace("Tensor", "T")) for k, v in sd.items()]


@pytest.mark.parametrize("name,args,shape,becomes", LAZY, ids=[c[0] for c in LAZY])
def test_lazy_module_materialises_like_pytorch(name, args, shape, becomes):
    em, tm = getattr(enn, name)(*args), getattr(tnn, name)(*args)
    assert repr(em) == repr(tm)
    assert [k for k, _ in _keys(em.state_dict())] == [k for k, _ in _keys(tm.state_dict())]
    assert [is_lazy(v) for v in em.state_dict().values()] == \
        [isinstance(v, tnn.parameter.UninitializedTensorMixin) for v in tm.state_dict().values()]
    assert em.has_uninitialized_params() == tm.has_uninitialized_params()
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    eo, to = em(ember.tensor(x)), tm(torch.tensor(x))
    assert type(em).__name__ == type(tm).__name__ == becomes
    assert type(em) is getattr(enn, becomes)
    assert repr(em) == repr(tm)
    assert tuple(eo.shape) == tuple(to.shape)
    for (k, v), (tk, tv) in zip(em.state_dict().items(), tm.state_dict().items()):
        assert k == tk and tuple(v.shape) == tuple(tv.shape) and type(v) is ember.Tensor
    for p in em.parameters():
        assert type(p) is enn.Parameter and p.requires_grad
    assert not hasattr(em, "_initialize_hook") and not em._forward_pre_hooks
    tm.load_state_dict(em.state_dict() and {k: torch.tensor(v.numpy())
                                            for k, v in em.state_dict().items()})
    np.testing.assert_allclose(em(ember.tensor(x)).detach().numpy(),
                               tm(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_lazy_linear_draws_pytorchs_initial_distribution():
    m = enn.LazyLinear(400)
    m(ember.zeros(1, 300))
    bound = 1 / math.sqrt(300)  # kaiming_uniform(a=sqrt(5)) and the bias: U(-b, b)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert np.abs(b).max() <= bound and abs(b.mean()) < 0.1 * bound
    n = enn.LazyBatchNorm2d()
    n(ember.randn(2, 5, 3, 3))
    np.testing.assert_array_equal(n.weight.detach().numpy(), np.ones(5))
    np.testing.assert_array_equal(n.bias.detach().numpy(), np.zeros(5))


def test_optimizer_built_before_materialisation_updates_the_parameters():
    """The parameters keep their identity through materialisation (as PyTorch's), so an
    optimizer made from the lazy module trains the materialised one."""
    em, tm = enn.LazyLinear(2), tnn.LazyLinear(2)
    eopt = ember.optim.Adam(em.parameters(), lr=0.1)
    topt = torch.optim.Adam(tm.parameters(), lr=0.1)
    ids = [id(p) for p in em.parameters()]
    x = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    em(ember.tensor(x))
    tm(torch.tensor(x))
    tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in em.state_dict().items()})
    assert [id(p) for p in em.parameters()] == ids
    for _ in range(3):
        eopt.zero_grad()
        topt.zero_grad()
        (em(ember.tensor(x)) ** 2).sum().backward()
        (tm(torch.tensor(x)) ** 2).sum().backward()
        eopt.step()
        topt.step()
    np.testing.assert_allclose(em.weight.detach().numpy(), tm.weight.detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    assert eopt.state[em.weight]["exp_avg"].shape == (2, 3)


def test_loading_a_state_dict_materialises_a_lazy_module():
    src = enn.Linear(5, 3)
    m = enn.LazyLinear(3)
    m.load_state_dict(src.state_dict())
    assert type(m) is enn.LazyLinear  # the class changes at the first call
    assert m.weight.shape == (5, 3)[::-1] and not m.has_uninitialized_params()
    np.testing.assert_array_equal(m.weight.detach().numpy(), src.weight.detach().numpy())
    m(ember.randn(2, 5))
    # ember's layers check their input against in_features, so the first call sets it (in
    # PyTorch it stays 0 after a state dict materialised the parameters)
    assert type(m) is enn.Linear and m.in_features == 5
    c = enn.LazyConv2d(3, 2)
    c.load_state_dict(enn.Conv2d(4, 3, 2).state_dict())
    c(ember.randn(1, 4, 3, 3))
    assert type(c) is enn.Conv2d and c.in_channels == 4


def test_dtype_and_copies_before_materialisation():
    m = enn.LazyConv2d(3, 2).double()
    m(ember.randn(1, 2, 4, 4, dtype=ember.float64))
    assert m.weight.dtype == ember.float64 and m.bias.dtype == ember.float64
    lazy = enn.LazyLinear(4, dtype=ember.float64)
    twin = copy.deepcopy(lazy)
    assert isinstance(twin.weight, UninitializedParameter) and twin.weight is not lazy.weight
    twin(ember.randn(2, 3, dtype=ember.float64))
    assert twin.weight.dtype == ember.float64 and is_lazy(lazy.weight)


def test_uninitialized_tensors_refuse_their_shape():
    p = UninitializedParameter()
    assert repr(p) == "<UninitializedParameter>" and repr(UninitializedBuffer()) == \
        "<UninitializedBuffer>"
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized"):
        p.shape
    with pytest.raises(RuntimeError, match="Can't share memory"):
        p.share_memory_()
    p.materialize((2, 3), dtype=ember.float64)
    assert type(p) is enn.Parameter and p.shape == (2, 3) and p.dtype == ember.float64
    b = UninitializedBuffer()
    b.materialize((4,))
    assert type(b) is ember.Tensor and not b.requires_grad


def test_lazy_errors_as_pytorch():
    for lib, nn in ((ember, enn), (torch, tnn)):
        with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
            nn.LazyConv1d(4, 3, groups=2)(lib.randn(1, 5, 5))
        with pytest.raises(RuntimeError, match="Expected 3D \\(unbatched\\) or 4D \\(batched\\)"):
            nn.LazyConv2d(4, 3)(lib.randn(5, 5))
        with pytest.raises(ValueError, match="can't have uninitialized parameters"):
            nn.utils.spectral_norm(nn.LazyLinear(3))
    with pytest.raises(RuntimeError, match="DataParallel"):
        enn.LazyLinear(3)._replicate_for_data_parallel()


def test_moving_or_casting_a_lazy_module_keeps_it_lazy():
    """Module.to/double/cuda replace buffers by their converted copies: an uninitialized
    buffer stays one (PyTorch's do too), with the new dtype and device."""
    m = enn.LazyBatchNorm1d().double()
    assert isinstance(m.running_mean, UninitializedBuffer)
    m(ember.randn(4, 3, dtype=ember.float64))
    assert m.running_mean.dtype == m.weight.dtype == ember.float64
    t = tnn.LazyBatchNorm1d().double()
    t(torch.randn(4, 3, dtype=torch.float64))
    assert str(t.running_mean.dtype) == "torch.float64"
    if ember.cuda.is_available():
        d = enn.LazyBatchNorm2d().to("cuda")
        d(ember.randn(2, 3, 2, 2, device="cuda"))
        assert d.running_var.device.type == "cuda" and type(d) is enn.BatchNorm2d
