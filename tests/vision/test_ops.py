"""ember.vision.ops against torchvision.ops and, for the compiled kernels torchvision cannot
load beside the CPU torch of the tests (nms, roi_align, roi_pool), against references
written here from the kernels' definitions, plus hand-computed cases. The op table
(tests/ops/cases_vision.py) compares values and gradients row by row; this file covers
selection (nms), the RoI ops' corner cases, the modules and the signatures."""
from __future__ import annotations

import inspect
import math
import sys
import warnings

import numpy as np
import pytest

import ember
import ember.vision.ops as EV

from ._references import roi_align_reference, roi_pool_reference

torch = pytest.importorskip("torch")
TV = pytest.importorskip("torchvision.ops")
RNG = np.random.default_rng(0)
D = ember.float64


def boxes(n, dtype=np.float32, spread=30.0, seed=0):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, spread, (n, 2))
    return np.concatenate([xy, xy + rng.uniform(1, 12, (n, 2))], 1).astype(dtype)


def nms_reference(b, s, threshold):
    """torchvision's CPU kernel, loop for loop: boxes by decreasing score (stable), each kept
    box suppresses the later ones whose IoU with it exceeds the threshold."""
    order = sorted(range(len(s)), key=lambda i: (not math.isnan(s[i]), -s[i] if not
                                                 math.isnan(s[i]) else 0, i))
    areas = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    suppressed, keep = set(), []
    for pos, i in enumerate(order):
        if i in suppressed:
            continue
        keep.append(i)
        for j in order[pos + 1:]:
            if j in suppressed:
                continue
            w = max(b.dtype.type(0), min(b[i, 2], b[j, 2]) - max(b[i, 0], b[j, 0]))
            h = max(b.dtype.type(0), min(b[i, 3], b[j, 3]) - max(b[i, 1], b[j, 1]))
            inter = w * h
            with np.errstate(invalid="ignore", divide="ignore"):
                if inter / (areas[i] + areas[j] - inter) > threshold:
                    suppressed.add(j)
    return keep


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.7])
def test_nms_matches_the_kernel(dtype, threshold):
    b = boxes(120, dtype, spread=25)
    s = np.random.default_rng(1).random(120).astype(dtype)
    s[::7] = s[3]  # ties: kept in index order
    b[5] = [4, 4, 4, 9]  # zero area: its IoUs are NaN and suppress nothing
    keep = EV.nms(ember.tensor(b), ember.tensor(s), threshold)
    assert keep.dtype == ember.int64
    assert keep.tolist() == nms_reference(b, s, threshold)


def test_nms_edge_cases():
    empty = EV.nms(ember.zeros(0, 4), ember.zeros(0), 0.5)
    assert empty.shape == (0,) and empty.dtype == ember.int64
    one = EV.nms(ember.tensor([[0.0, 0, 1, 1]]), ember.tensor([0.3]), 0.5)
    assert one.tolist() == [0]
    with pytest.raises(RuntimeError, match="boxes should have 4 elements in dimension 1"):
        EV.nms(ember.zeros(3, 5), ember.zeros(3), 0.5)
    with pytest.raises(RuntimeError, match="same number of elements"):
        EV.nms(ember.zeros(3, 4), ember.zeros(2), 0.5)
    with pytest.raises(RuntimeError, match="same type"):
        EV.nms(ember.zeros(3, 4), ember.zeros(3, dtype=ember.float64), 0.5)


@pytest.mark.parametrize("n", [40, 1200])  # the coordinate trick (<= 4000 numbers), per class
def test_batched_nms_keeps_classes_apart(n):
    b = boxes(n, np.float32, spread=20, seed=3)
    rng = np.random.default_rng(4)
    s = rng.random(n).astype(np.float32)
    c = rng.integers(0, 4, n)
    keep = EV.batched_nms(ember.tensor(b), ember.tensor(s), ember.tensor(c), 0.4).tolist()
    want = []
    for k in range(4):
        idx = np.nonzero(c == k)[0]
        want += [int(idx[i]) for i in nms_reference(b[idx], s[idx], 0.4)]
    want.sort(key=lambda i: (-s[i], i))
    assert keep == want
    assert EV.batched_nms(ember.zeros(0, 4), ember.zeros(0), ember.zeros(0, dtype=ember.int64),
                          0.5).shape == (0,)


def test_selection_and_conversion_match_torchvision():
    b = boxes(30, np.float64, seed=5)
    eb, tb = ember.tensor(b), torch.tensor(b)
    assert EV.remove_small_boxes(eb, 6.0).tolist() == TV.remove_small_boxes(tb, 6.0).tolist()
    masks = np.random.default_rng(6).random((4, 9, 11)) > 0.85
    masks[2] = False
    masks[3] = False
    masks[3, 4, 7] = True  # a single pixel: x1 == x2, y1 == y2
    got = EV.masks_to_boxes(ember.tensor(masks))
    want = TV.masks_to_boxes(torch.tensor(masks))
    assert got.dtype == ember.float32
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert EV.masks_to_boxes(ember.zeros(0, 3, 3)).shape == (0, 4)
    for fmt in ("xyxy", "xywh", "cxcywh"):
        c = EV.box_convert(eb, fmt, fmt)
        assert c is not eb and np.array_equal(c.numpy(), b)
    with pytest.raises(ValueError, match="Unsupported Bounding Box Conversions"):
        EV.box_convert(eb, "xyxy", "yxyx")
    with pytest.raises(NotImplementedError, match="atan2"):
        EV.box_convert(ember.zeros(2, 8), "xyxyxyxy", "xywhr")
    with pytest.raises(ValueError, match="Unsupported Bounding Box area"):
        EV.box_area(eb, fmt="xyxyxyxy")
    with pytest.raises(NotImplementedError, match="rotated"):
        EV.box_iou(ember.zeros(2, 5), ember.zeros(2, 5), fmt="cxcywhr")
    ints = np.rint(b).astype(np.int16)  # small ints are computed in int32, as torchvision's
    assert EV.box_area(ember.tensor(ints)).dtype == ember.int32
    np.testing.assert_array_equal(EV.box_area(ember.tensor(ints)).numpy(),
                                  TV.box_area(torch.tensor(ints)).numpy())


# ---------------------------------------------------------------------------- RoI Align

def _tv_roi_align_python():
    """torchvision's own pure-PyTorch transcription of its CUDA kernel, uncompiled. It lacks
    the kernel's rule that samples outside [-1, size] count zero, so it is used only for
    boxes inside the map."""
    return sys.modules["torchvision.ops.roi_align"]._roi_align.__wrapped__


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-6)])
@pytest.mark.parametrize("sampling_ratio,aligned", [(-1, False), (2, False), (-1, True),
                                                    (3, True)])
def test_roi_align_matches_torchvisions_python_version(dtype, tol, sampling_ratio, aligned):
    x = RNG.standard_normal((2, 4, 13, 15)).astype(dtype)
    b = boxes(9, dtype, spread=6)
    rois = np.concatenate([np.arange(9)[:, None] % 2, b], 1).astype(dtype)
    ours = EV.roi_align(ember.tensor(x), ember.tensor(rois), (3, 4), 0.75, sampling_ratio,
                        aligned).numpy()
    theirs = _tv_roi_align_python()(torch.tensor(x), torch.tensor(rois), 0.75, 3, 4,
                                    sampling_ratio, aligned).numpy()
    assert ours.dtype == dtype
    np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol)


def test_roi_align_by_hand():
    # a ramp x[h, w] = w is reproduced exactly by bilinear sampling inside the map, so each
    # bin holds the mean x of its samples: its centre
    ramp = ember.tensor(np.broadcast_to(np.arange(10.0), (1, 1, 6, 10)).copy())
    out = EV.roi_align(ramp, [ember.tensor([[1.0, 1.0, 7.0, 4.0]], dtype=D)], (1, 3), aligned=True)
    np.testing.assert_allclose(out.numpy().ravel(), [1.5, 3.5, 5.5])
    # a box entirely beyond the [-1, size] margin samples nothing
    far = EV.roi_align(ramp, ember.tensor([[0.0, 20.0, 20.0, 30.0, 30.0]], dtype=D), 2)
    assert far.shape == (1, 1, 2, 2) and not far.numpy().any()
    # a box sitting on the last column reads that column (the kernel's clamp)
    edge = EV.roi_align(ramp, ember.tensor([[0.0, 9.2, 1.0, 9.8, 5.0]], dtype=D), 1,
                        sampling_ratio=1)
    np.testing.assert_allclose(edge.numpy().ravel(), [9.0])


def test_roi_align_corners_match_the_kernel_reference():
    x = RNG.standard_normal((2, 3, 7, 9))
    rois = np.array([[0, -3.0, -2.0, 2.0, 1.5], [1, 7.5, 5.0, 12.0, 11.0], [1, 2.0, 2.0, 2.0,
                                                                             2.0],
                     [0, 4.0, 1.0, 3.0, 0.5], [1, 0.0, 0.0, 8.9, 6.9]])
    for args in [((2, 3), 1.0, -1, False), ((2, 2), 1.0, -1, True), ((3, 2), 0.5, 2, False),
                 (1, 2.0, 4, True)]:
        ours = EV.roi_align(ember.tensor(x), ember.tensor(rois), *args).numpy()
        theirs = roi_align_reference(torch.tensor(x), torch.tensor(rois), *args).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12, err_msg=str(args))


def test_roi_align_gradient_and_chunks(monkeypatch):
    x = RNG.standard_normal((2, 3, 8, 9))
    rois = np.concatenate([np.arange(7)[:, None] % 2, boxes(7, np.float64, spread=5)], 1)
    ex = ember.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    w = RNG.standard_normal((7, 3, 2, 2))
    out = EV.roi_align(ex, ember.tensor(rois), 2)
    (out * ember.tensor(w)).sum().backward()
    (roi_align_reference(tx, torch.tensor(rois), 2) * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    roi_align_module = sys.modules["ember.vision.ops.roi_align"]
    monkeypatch.setattr(roi_align_module, "_CHUNK", 1)  # one box per chunk
    chunked = EV.roi_align(ember.tensor(x), ember.tensor(rois), 2)
    np.testing.assert_allclose(chunked.numpy(), out.detach().numpy(), rtol=1e-13, atol=1e-13)


def test_roi_ops_refuse_bad_calls_as_torchvision():
    x = ember.zeros(1, 2, 4, 4)
    for fn in (EV.roi_align, EV.roi_pool):
        with pytest.raises(AssertionError, match=r"Tensor\[K, 5\]"):
            fn(x, ember.zeros(3, 4), 2)
        with pytest.raises(AssertionError, match=r"List\[Tensor\[L, 4\]\]"):
            fn(x, [ember.zeros(3, 5)], 2)
        with pytest.raises(RuntimeError, match="same"):
            fn(x, ember.zeros(3, 5, dtype=ember.float64), 2)


# ---------------------------------------------------------------------------- RoI Pool

def test_roi_pool_by_hand_and_against_the_reference():
    x = np.arange(48.0).reshape(1, 1, 6, 8)
    out = EV.roi_pool(ember.tensor(x), ember.tensor([[0.0, 0.0, 0.0, 3.0, 3.0]], dtype=D), 2)
    np.testing.assert_array_equal(out.numpy(), [[[[9.0, 11.0], [25.0, 27.0]]]])
    # a box off the map has empty bins: zeros
    off = EV.roi_pool(ember.tensor(x), ember.tensor([[0.0, 20.0, 20.0, 30.0, 30.0]], dtype=D),
                      2)
    assert not off.numpy().any()
    x = RNG.standard_normal((2, 3, 9, 11))
    x[0, 1, 2:5, 3:6] = 0.5  # ties: the first maximum in row-major order wins
    rois = np.array([[0, 2.5, 1.5, 6.5, 5.4], [1, -2.0, -1.0, 4.0, 3.0], [1, 3.0, 3.0, 3.0,
                                                                         3.0],
                     [0, 0.0, 0.0, 10.0, 8.0], [1, 9.0, 7.0, 14.0, 12.0]])
    ex = ember.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    for size, scale in [((2, 3), 1.0), (3, 0.5), ((4, 4), 1.0)]:
        ours = EV.roi_pool(ex, ember.tensor(rois), size, scale)
        theirs = roi_pool_reference(tx, torch.tensor(rois), size, scale)
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
        w = RNG.standard_normal(tuple(theirs.shape))
        gx, = ember.autograd.grad((ours * ember.tensor(w)).sum(), [ex])
        tg, = torch.autograd.grad((theirs * torch.tensor(w)).sum(), [tx])
        np.testing.assert_allclose(gx.numpy(), tg.numpy(), rtol=1e-12, atol=1e-12)


def test_roi_modules_match_torchvision_reprs_and_results():
    x = RNG.standard_normal((1, 2, 6, 6))
    rois = np.array([[0, 1.0, 1.0, 4.0, 5.0]])
    ea, ta = EV.RoIAlign((2, 2), 0.5, 2, True), TV.RoIAlign((2, 2), 0.5, 2, True)
    assert repr(ea) == repr(ta)
    np.testing.assert_allclose(ea(ember.tensor(x), ember.tensor(rois)).numpy(),
                               roi_align_reference(torch.tensor(x), torch.tensor(rois), (2, 2),
                                                   0.5, 2, True).numpy(), rtol=1e-12)
    ep, tp = EV.RoIPool(3, 1.0), TV.RoIPool(3, 1.0)
    assert repr(ep) == repr(tp)
    np.testing.assert_array_equal(ep(ember.tensor(x), [ember.tensor(rois[:, 1:])]).numpy(),
                                  roi_pool_reference(torch.tensor(x), torch.tensor(rois),
                                                     3).numpy())


# ---------------------------------------------------------------------------- modules

def test_frozen_batch_norm_loads_a_batch_norm_state_dict():
    bn = torch.nn.BatchNorm2d(3)
    with torch.no_grad():
        bn.weight.uniform_(0.5, 2)
        bn.bias.normal_()
        bn.running_mean.normal_()
        bn.running_var.uniform_(0.5, 2)
    bn.eval()
    sd = bn.state_dict()
    assert "num_batches_tracked" in sd
    ef, tf = EV.FrozenBatchNorm2d(3), TV.FrozenBatchNorm2d(3)
    assert list(ef.state_dict()) == list(tf.state_dict())
    assert not list(ef.parameters()) and repr(ef) == repr(tf)
    ef.load_state_dict({k: ember.tensor(v.numpy()) for k, v in sd.items()})
    x = RNG.standard_normal((2, 3, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(ef(ember.tensor(x)).numpy(), bn(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_conv_norm_activation_blocks():
    with pytest.warns(UserWarning, match="Don't use ConvNormActivation directly"):
        sys.modules["ember.vision.ops.misc"].ConvNormActivation(2, 3)
    block = EV.Conv2dNormActivation(3, 8, 5, dilation=2)
    ref = TV.Conv2dNormActivation(3, 8, 5, dilation=2)
    assert block[0].padding == ref[0].padding and block[0].bias is None
    assert block.out_channels == 8 and repr(block) == repr(ref)
    if hasattr(ember.nn, "Conv3d"):
        assert list(EV.Conv3dNormActivation(2, 4).state_dict()) == \
            list(TV.Conv3dNormActivation(2, 4).state_dict())
    else:
        with pytest.raises(NotImplementedError, match="no BatchNorm3d|no Conv3d"):
            EV.Conv3dNormActivation(2, 4)
    se, tse = EV.SqueezeExcitation(8, 2), TV.SqueezeExcitation(8, 2)
    assert [(k, tuple(v.shape)) for k, v in se.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in tse.state_dict().items()]
    mlp = EV.MLP(4, [16, 16, 2], dropout=0.1)
    assert [(k, tuple(v.shape)) for k, v in mlp.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in TV.MLP(4, [16, 16, 2], dropout=0.1).state_dict().items()]
    assert EV.misc.interpolate is ember.nn.functional.interpolate


def test_stochastic_depth_draws_and_scales():
    x = ember.ones(4000, 3)
    ember.manual_seed(0)
    y = EV.stochastic_depth(x, 0.25, "row").numpy()
    kept = y[:, 0] != 0
    assert abs(kept.mean() - 0.75) < 0.03
    np.testing.assert_allclose(y[kept], 1 / 0.75)
    assert (y == y[:, :1]).all()  # whole rows
    z = EV.stochastic_depth(ember.ones(5, 2), 0.5, "batch").numpy()
    assert len(np.unique(z)) == 1 and z.flat[0] in (0.0, 2.0)
    assert not EV.stochastic_depth(x, 1.0, "row").numpy().any()
    assert EV.stochastic_depth(x, 0.5, "row", training=False) is x
    with pytest.raises(ValueError, match="drop probability"):
        EV.stochastic_depth(x, 1.5, "row")
    with pytest.raises(ValueError, match="mode has to be"):
        EV.stochastic_depth(x, 0.5, "col")
    m, t = EV.StochasticDepth(0.2, "batch"), TV.StochasticDepth(0.2, "batch")
    assert repr(m) == repr(t)
    m.eval()
    assert m(x) is x


def test_losses_refuse_bad_arguments():
    x = ember.zeros(3)
    with pytest.raises(ValueError, match="Invalid alpha value"):
        EV.sigmoid_focal_loss(x, x, alpha=2.0)
    for fn in (EV.sigmoid_focal_loss, EV.generalized_box_iou_loss):
        with pytest.raises(ValueError, match="Invalid Value for arg 'reduction'"):
            fn(ember.zeros(2, 4), ember.zeros(2, 4), reduction="max")
    empty = EV.generalized_box_iou_loss(ember.zeros(0, 4), ember.zeros(0, 4), reduction="mean")
    assert empty.item() == 0.0


def _params(obj):
    return [(p.name, p.kind, p.default) for p in inspect.signature(obj).parameters.values()]


@pytest.mark.parametrize("name", [n for n in EV.__all__ if n != "Conv3dNormActivation"])
def test_signatures_match_torchvision(name):
    ours, theirs = getattr(EV, name), getattr(TV, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mine = _params(ours)
        want = _params(theirs)
    swap = {id(getattr(torch.nn, n, None)): getattr(ember.nn, n, None)
            for n in ("BatchNorm2d", "ReLU", "Sigmoid", "Conv2d")}
    want = [(n, k, swap.get(id(d), d)) for n, k, d in want]
    assert mine == want


@pytest.mark.skipif(not ember.cuda.is_available(), reason="no CUDA device (nor its stand-in)")
def test_ops_run_on_the_device():
    x = RNG.standard_normal((2, 3, 8, 9))
    rois = np.concatenate([np.arange(5)[:, None] % 2, boxes(5, np.float64, spread=6)], 1)
    b, s = boxes(30, np.float64, seed=8), RNG.random(30)
    cpu = [EV.roi_align(ember.tensor(x), ember.tensor(rois), 2, 0.5, -1, True),
           EV.roi_pool(ember.tensor(x), ember.tensor(rois), 2),
           EV.nms(ember.tensor(b), ember.tensor(s), 0.3),
           EV.batched_nms(ember.tensor(b), ember.tensor(s), ember.tensor(np.arange(30) % 3), 0.3),
           EV.complete_box_iou(ember.tensor(b), ember.tensor(b[:4])),
           EV.masks_to_boxes(ember.tensor(x[0] > 0.5))]
    xd = ember.tensor(x, device="cuda", requires_grad=True)
    rd = ember.tensor(rois, device="cuda")
    bd, sd = ember.tensor(b, device="cuda"), ember.tensor(s, device="cuda")
    dev = [EV.roi_align(xd, rd, 2, 0.5, -1, True), EV.roi_pool(xd, rd, 2),
           EV.nms(bd, sd, 0.3),
           EV.batched_nms(bd, sd, ember.tensor(np.arange(30) % 3, device="cuda"), 0.3),
           EV.complete_box_iou(bd, bd[:4]), EV.masks_to_boxes(xd[0].detach() > 0.5)]
    for c, d in zip(cpu, dev):
        assert d.device.type == "cuda"
        np.testing.assert_allclose(d.detach().cpu().numpy(), c.numpy(), rtol=1e-12, atol=1e-12)
    (dev[0].sum() + dev[1].sum()).backward()
    assert xd.grad.device.type == "cuda"
