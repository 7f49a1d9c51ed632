"""The new layers and functions against PyTorch beyond the tables: signatures, reprs, default
initial distributions, errors and warnings, SyncBatchNorm without a process group and its
conversion, the private names programs import, and grid sampling's gradients w.r.t. the grid."""
from __future__ import annotations

import inspect
import math
import warnings

import numpy as np
import pytest

import ember
import ember.nn as enn
import ember.nn.functional as EF

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional

FUNCTIONS = ["conv3d", "conv_transpose3d", "max_pool3d", "avg_pool3d", "adaptive_avg_pool3d",
             "adaptive_max_pool3d", "max_unpool3d", "dropout3d", "rms_norm", "embedding_bag",
             "grid_sample", "affine_grid", "gumbel_softmax", "interpolate", "unfold", "fold"]
LAYERS = ["Conv3d", "ConvTranspose3d", "MaxPool3d", "AvgPool3d", "AdaptiveAvgPool3d",
          "AdaptiveMaxPool3d", "MaxUnpool3d", "BatchNorm3d", "InstanceNorm3d", "Dropout3d",
          "RMSNorm", "Unfold", "Fold", "EmbeddingBag", "SyncBatchNorm", "LazyLinear",
          "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
          "LazyConvTranspose2d", "LazyConvTranspose3d", "LazyBatchNorm1d", "LazyBatchNorm2d",
          "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"]


def _params(fn):
    return [(p.name, p.default, p.kind) for p in inspect.signature(fn).parameters.values()]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_function_signatures_equal_pytorchs(name):
    """Where PyTorch's signature can be read (not for its C builtins, nor for the
    ``*args, **kwargs`` of its return_indices dispatchers); ember's dropouts take a
    ``generator`` after PyTorch's parameters."""
    try:
        theirs = _params(getattr(TF, name))
    except ValueError:
        pytest.skip(f"torch.nn.functional.{name} is a builtin without a signature")
    if theirs[0][0] == "args":
        pytest.skip(f"torch.nn.functional.{name} dispatches on *args, **kwargs")
    mine = _params(getattr(EF, name))
    assert mine[:len(theirs)] == theirs
    assert [p[0] for p in mine[len(theirs):]] in ([], ["generator"])


@pytest.mark.parametrize("name", LAYERS)
def test_layer_signatures_equal_pytorchs(name):
    assert _params(getattr(enn, name).__init__) == _params(getattr(tnn, name).__init__)
    assert _params(getattr(enn, name).forward) == _params(getattr(tnn, name).forward)


def test_utility_signatures_equal_pytorchs():
    import torch.nn.utils.prune as tprune
    for e, t in [(enn.utils.weight_norm, tnn.utils.weight_norm),
                 (enn.utils.spectral_norm, tnn.utils.spectral_norm),
                 (enn.utils.remove_weight_norm, tnn.utils.remove_weight_norm),
                 (enn.utils.remove_spectral_norm, tnn.utils.remove_spectral_norm),
                 (enn.utils.parametrizations.weight_norm, tnn.utils.parametrizations.weight_norm),
                 (enn.utils.parametrizations.spectral_norm,
                  tnn.utils.parametrizations.spectral_norm),
                 (enn.utils.parametrize.register_parametrization,
                  tnn.utils.parametrize.register_parametrization),
                 (enn.utils.parametrize.remove_parametrizations,
                  tnn.utils.parametrize.remove_parametrizations),
                 (enn.EmbeddingBag.from_pretrained, tnn.EmbeddingBag.from_pretrained),
                 (enn.SyncBatchNorm.convert_sync_batchnorm,
                  tnn.SyncBatchNorm.convert_sync_batchnorm),
                 (enn.init.dirac_, torch.nn.init.dirac_),
                 (enn.init.sparse_, torch.nn.init.sparse_)]:
        assert _params(e) == _params(t), e.__name__
    for name in enn.utils.prune.__all__:
        assert _params(getattr(enn.utils.prune, name)) == _params(getattr(tprune, name)), name


REPRS = [
    lambda nn: nn.Conv3d(3, 4, (1, 2, 3), stride=2, padding="same" if False else 1, groups=1),
    lambda nn: nn.Conv3d(4, 4, 3, padding="same", groups=2, bias=False, padding_mode="circular"),
    lambda nn: nn.ConvTranspose3d(3, 4, 3, stride=2, output_padding=1, dilation=2),
    lambda nn: nn.MaxPool3d((2, 3, 2), 1, 1, ceil_mode=True), lambda nn: nn.AvgPool3d(3, 2),
    lambda nn: nn.AdaptiveAvgPool3d((2, None, 3)), lambda nn: nn.AdaptiveMaxPool3d(2, True),
    lambda nn: nn.MaxUnpool3d(2, 1), lambda nn: nn.BatchNorm3d(3, momentum=None, affine=False),
    lambda nn: nn.InstanceNorm3d(3, affine=True), lambda nn: nn.InstanceNorm1d(3),
    lambda nn: nn.Dropout3d(0.2, True), lambda nn: nn.RMSNorm([3, 4], 1e-5, False),
    lambda nn: nn.Unfold((2, 3), padding=1), lambda nn: nn.Fold(4, 2, stride=2),
    lambda nn: nn.EmbeddingBag(10, 3, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True,
                               mode="sum", padding_idx=-1),
    lambda nn: nn.SyncBatchNorm(3, affine=False, bias=False),
    lambda nn: nn.BatchNorm1d(3, affine=True, bias=False),
]


@pytest.mark.parametrize("k", range(len(REPRS)))
def test_reprs_equal_pytorchs(k):
    assert repr(REPRS[k](enn)) == repr(REPRS[k](tnn))


def test_default_initialisations_draw_pytorchs_distributions():
    conv = enn.Conv3d(8, 16, (3, 4, 5))
    fan_in = 8 * 3 * 4 * 5
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform(a=sqrt(5)): U(-1/sqrt(fan_in), ...)
    w = conv.weight.detach().numpy()
    assert w.shape == (16, 8, 3, 4, 5) and np.abs(w).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.03 * bound
    assert np.abs(conv.bias.detach().numpy()).max() <= bound
    tconv = enn.ConvTranspose3d(8, 6, 3, groups=2)
    fan_in = 3 * 27  # weight (in, out/groups, k...): PyTorch's fan_in is dim 1 times the kernel
    assert tconv.weight.shape == (8, 3, 3, 3, 3)
    assert np.abs(tconv.weight.detach().numpy()).max() <= 1 / math.sqrt(fan_in)
    bag = enn.EmbeddingBag(500, 40, padding_idx=3)
    b = bag.weight.detach().numpy()
    assert (b[3] == 0).all() and abs(b.std() - 1.0) < 0.03 and abs(b.mean()) < 0.03
    np.testing.assert_array_equal(enn.RMSNorm(5).weight.detach().numpy(), np.ones(5))


def _errors(f_ember, f_torch):
    with pytest.raises(Exception) as te:
        f_torch()
    with pytest.raises(type(te.value)) as ee:
        f_ember()
    return str(ee.value), str(te.value)


ERRORS = [
    ("conv3d_same_strided", lambda m: F(m).conv3d(m.randn(1, 2, 4, 4, 4), m.randn(3, 2, 3, 3, 3),
                                                   stride=2, padding="same")),
    ("conv3d_rank", lambda m: F(m).conv3d(m.randn(3, 5), m.randn(3, 2, 3, 3, 3))),
    ("conv3d_channels", lambda m: F(m).conv3d(m.randn(1, 3, 4, 4, 4), m.randn(4, 2, 3, 3, 3))),
    ("conv3d_pad_string", lambda m: F(m).conv3d(m.randn(1, 2, 4, 4, 4), m.randn(3, 2, 3, 3, 3),
                                                padding="full")),
    ("max_pool3d_pad", lambda m: F(m).max_pool3d(m.randn(1, 1, 4, 4, 4), 2, padding=2)),
    ("max_pool3d_rank", lambda m: F(m).max_pool3d(m.randn(2, 3, 4), 2)),
    ("max_pool3d_small", lambda m: F(m).max_pool3d(m.randn(1, 1, 1, 1, 1), 2)),
    ("avg_pool3d_divisor", lambda m: F(m).avg_pool3d(m.randn(1, 1, 4, 4, 4), 2,
                                                     divisor_override=0)),
    ("adaptive_pool3d_size", lambda m: F(m).adaptive_avg_pool3d(m.randn(1, 2, 3, 3, 3), (2, 2))),
    ("max_unpool3d_index", lambda m: F(m).max_unpool3d(m.randn(1, 1, 2, 2, 2),
                                                       m.full((1, 1, 2, 2, 2), 100), 2)),
    ("max_unpool3d_size", lambda m: F(m).max_unpool3d(m.randn(1, 1, 2, 2, 2),
                                                      m.zeros(1, 1, 2, 2, 2, dtype=m.int64), 2,
                                                      output_size=(9, 9, 9))),
    ("interpolate_mode_rank", lambda m: F(m).interpolate(m.randn(1, 2, 3, 4), scale_factor=2,
                                                         mode="trilinear")),
    ("interpolate_bicubic_5d", lambda m: F(m).interpolate(m.randn(1, 2, 3, 4, 5),
                                                          scale_factor=2, mode="bicubic")),
    ("interpolate_area_align", lambda m: F(m).interpolate(m.randn(1, 2, 3, 4), scale_factor=2,
                                                          mode="area", align_corners=True)),
    ("interpolate_size_rank", lambda m: F(m).interpolate(m.randn(1, 2, 3, 4), size=(2, 3, 4))),
    ("interpolate_zero_size", lambda m: F(m).interpolate(m.randn(1, 2, 3, 4), size=(0, 2))),
    ("interpolate_antialias_nearest", lambda m: F(m).interpolate(
        m.randn(1, 2, 3, 4), scale_factor=2, antialias=True)),
    ("grid_sample_mode", lambda m: F(m).grid_sample(m.randn(1, 2, 3, 4), m.randn(1, 2, 2, 2),
                                                    mode="area", align_corners=False)),
    ("grid_sample_padding", lambda m: F(m).grid_sample(m.randn(1, 2, 3, 4), m.randn(1, 2, 2, 2),
                                                       padding_mode="wrap",
                                                       align_corners=False)),
    ("grid_sample_bicubic_5d", lambda m: F(m).grid_sample(
        m.randn(1, 2, 3, 4, 5), m.randn(1, 2, 2, 2, 3), mode="bicubic", align_corners=False)),
    ("grid_sample_batch", lambda m: F(m).grid_sample(m.randn(1, 2, 3, 4), m.randn(2, 2, 2, 2),
                                                     align_corners=False)),
    ("grid_sample_last_dim", lambda m: F(m).grid_sample(m.randn(1, 2, 3, 4), m.randn(1, 2, 2, 3),
                                                        align_corners=False)),
    ("grid_sample_empty", lambda m: F(m).grid_sample(m.randn(1, 2, 0, 4), m.randn(1, 2, 2, 2),
                                                     align_corners=False)),
    ("affine_grid_shape", lambda m: F(m).affine_grid(m.randn(1, 2, 4), (1, 2, 3, 4), False)),
    ("affine_grid_rank", lambda m: F(m).affine_grid(m.randn(1, 2, 3), (1, 2, 3), False)),
    ("affine_grid_int", lambda m: F(m).affine_grid(m.ones(1, 2, 3, dtype=m.int32), (1, 2, 3, 4),
                                                   False)),
    ("affine_grid_zero", lambda m: F(m).affine_grid(m.randn(1, 2, 3), (1, 2, 0, 4), False)),
    ("rms_norm_shape", lambda m: F(m).rms_norm(m.randn(2, 3), (4,))),
    ("rms_norm_weight", lambda m: F(m).rms_norm(m.randn(2, 3), (3,), m.randn(2))),
    ("rms_norm_int", lambda m: F(m).rms_norm(m.randn(2, 3), 3)),
    ("bag_offsets_start", lambda m: F(m).embedding_bag(m.tensor([1, 2, 3]), m.randn(5, 2),
                                                       m.tensor([1, 2]))),
    ("bag_offsets_end", lambda m: F(m).embedding_bag(m.tensor([1, 2, 3]), m.randn(5, 2),
                                                     m.tensor([0, 4]), include_last_offset=True)),
    ("bag_2d_offsets", lambda m: F(m).embedding_bag(m.tensor([[1, 2]]), m.randn(5, 2),
                                                    m.tensor([0]))),
    ("bag_no_offsets", lambda m: F(m).embedding_bag(m.tensor([1, 2]), m.randn(5, 2))),
    ("bag_mode", lambda m: F(m).embedding_bag(m.tensor([[1, 2]]), m.randn(5, 2), mode="min")),
    ("bag_max_freq", lambda m: F(m).embedding_bag(m.tensor([[1, 2]]), m.randn(5, 2), mode="max",
                                                  scale_grad_by_freq=True)),
    ("bag_psw_mode", lambda m: F(m).embedding_bag(m.tensor([[1, 2]]), m.randn(5, 2),
                                                  per_sample_weights=m.ones(1, 2))),
    ("bag_psw_shape", lambda m: F(m).embedding_bag(m.tensor([[1, 2]]), m.randn(5, 2),
                                                   mode="sum", per_sample_weights=m.ones(2))),
    ("bag_index", lambda m: F(m).embedding_bag(m.tensor([-1, 2]), m.randn(5, 2), m.tensor([0]))),
    ("bag_padding_idx", lambda m: F(m).embedding_bag(m.tensor([[1, 2]]), m.randn(5, 2),
                                                     padding_idx=7)),
    ("bag_weight_rank", lambda m: F(m).embedding_bag(m.tensor([[1, 2]]), m.randn(5, 2, 1))),
    ("unfold_rank", lambda m: F(m).unfold(m.randn(2, 3), 2)),
    ("unfold_blocks", lambda m: F(m).unfold(m.randn(1, 2, 3, 3), 4)),
    ("unfold_padding", lambda m: F(m).unfold(m.randn(1, 2, 3, 3), 2, padding=-1)),
    ("unfold_stride", lambda m: F(m).unfold(m.randn(1, 2, 3, 3), 2, stride=0)),
    ("fold_blocks", lambda m: F(m).fold(m.randn(1, 12, 21), (5, 6), 2)),
    ("fold_channels", lambda m: F(m).fold(m.randn(1, 13, 20), (5, 6), 2)),
    ("fold_rank", lambda m: F(m).fold(m.randn(1, 2, 12, 20), (5, 6), 2)),
    ("sync_bn_rank", lambda m: m.nn.SyncBatchNorm(3)(m.randn(3))),
    ("sync_bn_channels", lambda m: m.nn.SyncBatchNorm(3)(m.randn(2, 0, 4))),
    ("instance_norm_channels", lambda m: m.nn.InstanceNorm3d(3, affine=True)(
        m.randn(1, 2, 2, 2, 2))),
    ("embedding_bag_padding", lambda m: m.nn.EmbeddingBag(5, 2, padding_idx=5)),
]


def F(m):
    return m.nn.functional


@pytest.mark.parametrize("name,call", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_have_pytorchs_types(name, call):
    """The same exception type as PyTorch (the messages are PyTorch's where they make sense;
    a few name the op and the shapes instead)."""
    mine, theirs = _errors(lambda: call(ember), lambda: call(torch))
    assert mine


def test_warnings_as_pytorch():
    for lib in (ember, torch):
        with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior"):
            F(lib).grid_sample(lib.randn(1, 1, 2, 2), lib.zeros(1, 1, 1, 2))
        with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior"):
            F(lib).affine_grid(lib.randn(1, 2, 3), (1, 1, 2, 2))
        with pytest.warns(UserWarning, match="affine_grid behavior has changed for unit-size"):
            F(lib).affine_grid(lib.randn(1, 2, 3), (1, 1, 1, 2), align_corners=True)
        with pytest.warns(UserWarning, match="Received a 3-D input to dropout3d"):
            F(lib).dropout3d(lib.randn(2, 3, 4))
        with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
            F(lib).gumbel_softmax(lib.randn(2, 3), eps=1e-3)
        with pytest.warns(UserWarning, match="does not match num_features"):
            lib.nn.InstanceNorm2d(3)(lib.randn(1, 2, 3, 3))
        with pytest.warns(UserWarning, match="Argument order of nn.functional.embedding_bag"):
            F(lib).embedding_bag(lib.randn(5, 2), lib.tensor([[1, 2]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        EF.grid_sample(ember.randn(1, 1, 2, 2), ember.zeros(1, 1, 1, 2), align_corners=False)


def test_dropout3d_zeroes_whole_channels():
    ember.manual_seed(0)
    x = ember.ones(8, 16, 2, 3, 2)
    y = EF.dropout3d(x, 0.25).numpy().reshape(8, 16, -1)
    assert ((y == 0).all(-1) | (y == 1 / 0.75).all(-1)).all()
    assert 0.15 < (y[:, :, 0] == 0).mean() < 0.35
    m = enn.Dropout3d(0.5).eval()
    assert m(x) is x
    y = EF.dropout3d(ember.ones(4, 2, 2, 2), 0.5).numpy().reshape(4, -1)  # unbatched
    assert ((y == 0).all(-1) | (y == 2).all(-1)).all()


def test_gumbel_softmax_samples_the_categorical_distribution():
    ember.manual_seed(0)
    logits = ember.tensor([[1.0, 2.0, 0.5, -1.0]])
    soft = EF.gumbel_softmax(logits.expand(40000, 4), tau=0.5)
    np.testing.assert_allclose(soft.sum(1).numpy(), 1.0, rtol=1e-6)
    freq = np.bincount(soft.argmax(1).numpy(), minlength=4) / 40000
    np.testing.assert_allclose(freq, torch.softmax(torch.tensor([1.0, 2.0, 0.5, -1.0]), 0),
                               atol=0.01)
    hard = EF.gumbel_softmax(logits.expand(5, 4).requires_grad_(), hard=True)
    assert set(np.unique(hard.detach().numpy())) <= {0.0, 1.0}
    np.testing.assert_array_equal(hard.detach().numpy().sum(1), 1.0)


def test_sync_batch_norm_without_a_process_group_is_batch_norm():
    """PyTorch's SyncBatchNorm falls back to plain batch norm when no process group is
    initialised (and in evaluation): so does ember's."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 3, 4))
    s, b = enn.SyncBatchNorm(3).double(), enn.BatchNorm1d(3).double()
    for train in (True, False):
        s.train(train)
        b.train(train)
        xs, xb = ember.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
        ys, yb = s(xs), b(xb)
        np.testing.assert_allclose(ys.detach().numpy(), yb.detach().numpy(), rtol=1e-12)
        (ys ** 3).sum().backward()
        (yb ** 3).sum().backward()
        np.testing.assert_allclose(xs.grad.numpy(), xb.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(s.running_var.numpy(), b.running_var.numpy())
    assert int(s.num_batches_tracked) == 1


def test_convert_sync_batchnorm_shares_parameters_and_buffers():
    net = enn.Sequential(enn.Conv2d(2, 4, 3), enn.BatchNorm2d(4),
                         enn.Sequential(enn.Linear(3, 3), enn.BatchNorm1d(3, affine=False)),
                         enn.InstanceNorm2d(4))
    bn = net[1]
    out = enn.SyncBatchNorm.convert_sync_batchnorm(net, process_group=None)
    tnet = tnn.Sequential(tnn.Conv2d(2, 4, 3), tnn.BatchNorm2d(4),
                          tnn.Sequential(tnn.Linear(3, 3), tnn.BatchNorm1d(3, affine=False)),
                          tnn.InstanceNorm2d(4))
    tout = tnn.SyncBatchNorm.convert_sync_batchnorm(tnet)
    assert repr(out) == repr(tout)
    assert out is net and type(net[1]) is enn.SyncBatchNorm
    assert type(net[2][1]) is enn.SyncBatchNorm and type(net[3]) is enn.InstanceNorm2d
    assert net[1].weight is bn.weight and net[1].running_mean is bn.running_mean
    assert list(net.state_dict()) == list(tout.state_dict())
    single = enn.SyncBatchNorm.convert_sync_batchnorm(enn.BatchNorm3d(2).eval())
    assert type(single) is enn.SyncBatchNorm and not single.training


def test_private_names_programs_import():
    from ember.nn.init import _calculate_correct_fan, _calculate_fan_in_and_fan_out  # noqa
    from ember.nn.modules.batchnorm import _BatchNorm, _NormBase
    from ember.nn.modules.conv import _ConvNd
    from ember.nn.modules.transformer import _get_activation_fn
    from ember.nn.modules.utils import _pair, _quadruple, _single, _triple
    import torch.nn.modules.utils as tu
    for layer in (enn.BatchNorm1d(2), enn.BatchNorm3d(2), enn.SyncBatchNorm(2)):
        assert isinstance(layer, _BatchNorm) and isinstance(layer, _NormBase)
    assert not isinstance(enn.InstanceNorm2d(2), _BatchNorm)
    assert isinstance(enn.InstanceNorm2d(2), _NormBase)
    assert not isinstance(tnn.InstanceNorm2d(2), torch.nn.modules.batchnorm._BatchNorm)
    for c in (enn.Conv1d(1, 1, 1), enn.Conv3d(1, 1, 1), enn.ConvTranspose3d(1, 1, 1)):
        assert isinstance(c, _ConvNd)
    assert _get_activation_fn("gelu") is EF.gelu and _get_activation_fn("relu") is EF.relu
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        _get_activation_fn("tanh")
    for mine, theirs in ((_single, tu._single), (_pair, tu._pair), (_triple, tu._triple),
                         (_quadruple, tu._quadruple)):
        for v in (3, (1, 2), [4, 5, 6]):
            assert mine(v) == theirs(v)
    assert enn.modules.utils._reverse_repeat_tuple((1, 2), 2) == \
        tu._reverse_repeat_tuple((1, 2), 2)
    assert enn.modules.utils._list_with_default([None, 3], [8, 9, 10]) == \
        tu._list_with_default([None, 3], [8, 9, 10])
    assert enn.modules.batchnorm.SyncBatchNorm is enn.SyncBatchNorm
    assert enn.modules.sparse.EmbeddingBag is enn.EmbeddingBag
    assert enn.utils.prune is not None and enn.utils is not enn.modules.utils


def test_embedding_bag_module_and_from_pretrained():
    w = ember.tensor([[1.0, 2.3, 3.0], [4.0, 5.1, 6.3]])
    bag = enn.EmbeddingBag.from_pretrained(w)
    assert not bag.weight.requires_grad and bag.mode == "mean"
    np.testing.assert_allclose(bag(ember.tensor([[1, 0]])).numpy(), [[2.5, 3.7, 4.65]],
                               rtol=1e-6)
    t = tnn.EmbeddingBag.from_pretrained(torch.tensor(w.numpy()), freeze=False, mode="max")
    e = enn.EmbeddingBag.from_pretrained(w, freeze=False, mode="max")
    assert e.weight.requires_grad == t.weight.requires_grad and repr(e) == repr(t)
    with pytest.raises(NotImplementedError, match="sparse gradients are not supported"):
        enn.EmbeddingBag(4, 2, sparse=True)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_spatial_transformer_trains_theta_as_pytorch(mode):
    """A spatial transformer's affine parameters get PyTorch's gradient through affine_grid
    and grid_sample (float32, a few steps of SGD)."""
    rng = np.random.default_rng(5)
    img = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    theta0 = (np.tile(np.eye(2, 3), (2, 1, 1)) + 0.1 * rng.standard_normal((2, 2, 3)))
    te = ember.tensor(theta0.astype(np.float32), requires_grad=True)
    tt = torch.tensor(theta0.astype(np.float32), requires_grad=True)
    target = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    for _ in range(3):
        for lib, th in ((ember, te), (torch, tt)):
            grid = F(lib).affine_grid(th, (2, 3, 6, 6), align_corners=False)
            out = F(lib).grid_sample(lib.tensor(img), grid, mode=mode, padding_mode="border",
                                     align_corners=False)
            loss = ((out - lib.tensor(target)) ** 2).mean()
            th.grad = None
            loss.backward()
            with (ember.no_grad() if lib is ember else torch.no_grad()):
                th -= 0.5 * th.grad
    np.testing.assert_allclose(te.detach().numpy(), tt.detach().numpy(), rtol=1e-4, atol=1e-5)
