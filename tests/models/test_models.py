"""The classic networks: architecture (parameter counts), torchvision key names, shapes, errors."""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember import models as M

# Parameter counts of torchvision's models (a checksum of the architecture).
COUNTS = [
    (M.resnet18, 11_689_512), (M.resnet34, 21_797_672), (M.resnet50, 25_557_032),
    (M.alexnet, 61_100_840), (M.vgg11, 132_863_336), (M.vgg16, 138_357_544),
    (M.vgg16_bn, 138_365_992), (M.vgg19, 143_667_240),
    (lambda: M.googlenet(aux_logits=False, init_weights=True), 6_624_904),
    (lambda: M.googlenet(init_weights=True), 13_004_888),  # with the auxiliary classifiers
]


@pytest.mark.parametrize("make,count", COUNTS,
                         ids=[c[0].__name__ + str(i) for i, c in enumerate(COUNTS)])
def test_parameter_counts_equal_torchvision(make, count):
    assert sum(p.numel() for p in make().parameters()) == count


def test_resnet_keys_follow_torchvision():
    keys = list(M.resnet18().state_dict())
    assert keys[:6] == ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean",
                        "bn1.running_var", "bn1.num_batches_tracked"]
    for k in ["layer1.0.conv1.weight", "layer2.0.downsample.0.weight",
              "layer2.0.downsample.1.running_var", "layer4.1.bn2.bias", "fc.weight", "fc.bias"]:
        assert k in keys
    assert "layer3.0.conv3.weight" in M.resnet50().state_dict()
    assert len(keys) == 122  # torchvision's resnet18 state dict has 122 entries


def test_vgg_alexnet_googlenet_keys():
    assert "features.0.weight" in M.vgg16().state_dict()
    assert "features.1.running_mean" in M.vgg11_bn().state_dict()
    assert list(M.alexnet().state_dict())[-2:] == ["classifier.6.weight", "classifier.6.bias"]
    with pytest.warns(FutureWarning, match="default weight initialization of GoogleNet"):
        g = M.googlenet().state_dict()
    assert "inception4a.branch2.1.conv.weight" in g and "conv1.bn.running_var" in g
    assert "aux1.fc2.weight" in g and "aux2.conv.bn.running_mean" in g
    assert not any(k.startswith("aux") for k in M.googlenet(aux_logits=False,
                                                             init_weights=True).state_dict())
    with pytest.raises(ValueError, match="blocks length should be 3 instead of 2"):
        M.googlenet(blocks=[None, None], init_weights=True)


@pytest.mark.parametrize("make,shape,classes", [
    (lambda: M.LeNet5(), (2, 1, 28, 28), 10),
    (lambda: M.LeNet5(pool="max", activation="relu"), (2, 1, 28, 28), 10),
    (lambda: M.resnet18(small_input=True, num_classes=10), (2, 3, 32, 32), 10),
    (lambda: M.resnet18(small_input=True, in_channels=1, num_classes=10), (2, 1, 28, 28), 10),
    (lambda: M.googlenet(num_classes=7, aux_logits=False, init_weights=True), (1, 3, 64, 64), 7),
])
def test_forward_backward_shapes(make, shape, classes):
    m = make()
    out = m(ember.randn(*shape))
    assert out.shape == (shape[0], classes)
    out.sum().backward()
    assert all(p.grad is not None for p in m.parameters())


def test_lenet_layout():
    m = M.LeNet5()
    assert [k for k in m.state_dict()] == ["conv1.weight", "conv1.bias", "conv2.weight",
                                           "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight",
                                           "fc2.bias", "fc3.weight", "fc3.bias"]
    assert m.fc1.weight.shape == (120, 256)
    assert sum(p.numel() for p in m.parameters()) == 44_426


def test_residual_block_alone():
    b = M.ResidualBlock(4, 8, stride=2)
    x = ember.randn(2, 4, 6, 6)
    assert b(x).shape == (2, 8, 3, 3)
    assert "downsample.0.weight" in b.state_dict()
    same = M.ResidualBlock(4, 4)
    assert same.downsample is None and same(x).shape == x.shape


def test_conv_layer_errors_name_layer_and_shapes():
    conv = ember.nn.Conv2d(3, 16, 5)
    with pytest.raises(RuntimeError, match=r"Conv2d\(3, 16, kernel_size=\(5, 5\).*expected "
                                           r"input with 3 channels, got shape \(8, 1, 28, 28\)"):
        conv(ember.ones(8, 1, 28, 28))
    with pytest.raises(RuntimeError, match=r"Conv2d\(3, 16.*expected a 3D \(unbatched\) or 4D "
                                           r"\(batched\) input, got shape \(8, 3\)"):
        conv(ember.ones(8, 3))
    with pytest.raises(RuntimeError, match=r"Conv2d\(3, 16.*Kernel size can't be greater than "
                                           r"actual input size"):
        conv(ember.ones(1, 3, 4, 4))
    assert conv(ember.ones(3, 8, 8)).shape == (16, 4, 4)  # unbatched (C, H, W)


def test_min_pool_module():
    x = ember.tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    assert ember.nn.MinPool2d(2)(x).tolist() == [[[[0.0, 2.0], [8.0, 10.0]]]]


def test_im2col_buffers_are_reused_only_when_free():
    from ember import backend
    from ember.ops.conv import Im2Col

    backend.empty_cache()
    x = ember.randn(8, 16, 32, 32)
    a = Im2Col.apply(x, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 0.0, True)
    b = Im2Col.apply(x, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 0.0, True)
    assert not np.shares_memory(a._data, b._data)  # both alive: two arrays
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    addr = a._data.__array_interface__["data"][0]
    del a
    c = Im2Col.apply(x, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 0.0, True)
    assert c._data.__array_interface__["data"][0] == addr  # the freed buffer is reused
    np.testing.assert_array_equal(c.numpy(), b.numpy())
    backend.empty_cache()
    assert not backend.scratch.free


def test_two_same_shape_convs_in_one_graph():
    # both im2col buffers must stay distinct until backward has used them
    rng = np.random.default_rng(5)
    x = ember.tensor(rng.standard_normal((2, 3, 8, 8)), requires_grad=True)
    w1 = ember.tensor(rng.standard_normal((3, 3, 3, 3)), requires_grad=True)
    w2 = ember.tensor(rng.standard_normal((3, 3, 3, 3)), requires_grad=True)
    f = lambda x, w1, w2: ember.conv2d(ember.conv2d(x, w1, padding=1).tanh(), w2, padding=1)  # noqa: E731
    assert ember.autograd.gradcheck(f, (x, w1, w2), fast_mode=True)
