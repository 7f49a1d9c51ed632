"""ember.vision.transforms' classes against torchvision's: deterministic transforms on PIL
images and tensors, random transforms given the same parameters, the get_params and
constructor signatures, reprs, Module-ness, and the random draws (ember's generator)."""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import ember
import ember.vision.transforms as ET
from ember.vision.transforms import autoaugment as EA

from ._images import SIZES, assert_same_image, chw, pair, pil

torch = pytest.importorskip("torch")
TT = pytest.importorskip("torchvision.transforms")
TA = pytest.importorskip("torchvision.transforms.autoaugment")


def _inputs(kinds):
    """(ember input, torch input) pairs: PIL RGB/L images and uint8/float tensors."""
    for h, w in SIZES:
        if "pil" in kinds:
            for mode in ("RGB", "L"):
                img = pil(h, w, mode)
                yield img, img
        if "uint8" in kinds:
            yield pair(chw(h, w, 3))
            yield pair(chw(h, w, 3, batch=2))
        if "float" in kinds:
            yield pair(chw(h, w, 3, dtype="float32"))


def _same(ours, theirs, tol, outliers=0.0):
    if isinstance(theirs, (tuple, list)):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _same(a, b, tol, outliers)
    else:
        assert_same_image(ours, theirs, tol, outliers)


ALL = ("pil", "uint8", "float")
TENSORS = ("uint8", "float")
# (name, build with T the transforms module, input kinds, uint8/PIL tolerance)
DETERMINISTIC = [
    ("Resize", lambda T: T.Resize(24), ALL, 1),
    ("Resize_bicubic", lambda T: T.Resize((20, 17), interpolation=T.InterpolationMode.BICUBIC),
     ALL, 1),
    ("Resize_max_size", lambda T: T.Resize(20, max_size=30), ALL, 1),
    ("Resize_nearest_int", lambda T: T.Resize([19], interpolation=0), ALL, 0),
    ("CenterCrop", lambda T: T.CenterCrop(20), ALL, 0),
    ("CenterCrop_padded", lambda T: T.CenterCrop((70, 21)), ALL, 0),
    ("Pad", lambda T: T.Pad(3), ALL, 0),
    ("Pad_fill", lambda T: T.Pad((1, 2), fill=9), ALL, 0),
    ("Pad_reflect", lambda T: T.Pad([1, 2, 3, 4], padding_mode="reflect"), ALL, 0),
    ("Pad_edge", lambda T: T.Pad(2, padding_mode="edge"), ALL, 0),
    ("Pad_symmetric", lambda T: T.Pad([4, 1], padding_mode="symmetric"), ALL, 0),
    ("FiveCrop", lambda T: T.FiveCrop(15), ALL, 0),
    ("TenCrop", lambda T: T.TenCrop((15, 11), vertical_flip=True), ALL, 0),
    ("Grayscale", lambda T: T.Grayscale(), ("pil", "uint8", "float"), 1),
    ("Grayscale_3", lambda T: T.Grayscale(3), ALL, 1),
    ("GaussianBlur_fixed_sigma", lambda T: T.GaussianBlur(5, sigma=1.2), ALL, 1),
    ("Compose", lambda T: T.Compose([T.CenterCrop(20), T.Resize(10), T.RandomHorizontalFlip(1.0)]),
     ALL, 1),
    ("RandomApply_1", lambda T: T.RandomApply([T.Pad(2), T.CenterCrop(9)], p=1.0), ALL, 0),
    ("RandomApply_0", lambda T: T.RandomApply([T.Pad(2)], p=0.0), ALL, 0),
    ("RandomHorizontalFlip", lambda T: T.RandomHorizontalFlip(p=1.0), ALL, 0),
    ("RandomVerticalFlip", lambda T: T.RandomVerticalFlip(p=1.0), ALL, 0),
    ("RandomVerticalFlip_0", lambda T: T.RandomVerticalFlip(p=0.0), ALL, 0),
    ("RandomGrayscale", lambda T: T.RandomGrayscale(p=1.0), ALL, 1),
    ("RandomInvert", lambda T: T.RandomInvert(p=1.0), ALL, 0),
    ("RandomPosterize", lambda T: T.RandomPosterize(3, p=1.0), ("pil", "uint8"), 0),
    ("RandomSolarize", lambda T: T.RandomSolarize(100, p=1.0), ("pil", "uint8"), 0),
    ("RandomAdjustSharpness", lambda T: T.RandomAdjustSharpness(2.0, p=1.0), ALL, 1),
    ("RandomAutocontrast", lambda T: T.RandomAutocontrast(p=1.0), ALL, 1),
    ("RandomEqualize", lambda T: T.RandomEqualize(p=1.0), ("pil", "uint8"), 0),
    ("RandomPerspective_0", lambda T: T.RandomPerspective(p=0.0), ALL, 0),
    ("RandomErasing_0", lambda T: T.RandomErasing(p=0.0), TENSORS, 0),
    ("ConvertImageDtype", lambda T: T.ConvertImageDtype((ember if T is ET else torch).float64),
     TENSORS, 1e-12),
    ("Normalize", lambda T: T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
     ("float",), 1e-6),
]


@pytest.mark.parametrize("name,build,kinds,tol", DETERMINISTIC, ids=[d[0] for d in DETERMINISTIC])
def test_deterministic_transforms_match_torchvision(name, build, kinds, tol):
    ours, theirs = build(ET), build(TT)
    for e, t in _inputs(kinds):
        float_tol = 1e-5 if tol else 0
        is_float = hasattr(t, "dtype") and t.dtype.is_floating_point
        _same(ours(e), theirs(t), float_tol if is_float else tol)


def test_conversions():
    for h, w in SIZES:
        for mode in ("RGB", "L", "RGBA"):
            img = pil(h, w, mode)
            assert_same_image(ET.ToTensor()(img), TT.ToTensor()(img))
            assert_same_image(ET.PILToTensor()(img), TT.PILToTensor()(img))
        e, t = pair(chw(h, w, 3, dtype="float32"))
        assert_same_image(ET.ToPILImage()(e), TT.ToPILImage()(t))
        e, t = pair(chw(h, w, 4))
        assert_same_image(ET.ToPILImage("RGBX")(e), TT.ToPILImage("RGBX")(t))
        a = chw(h, w, 3).transpose(1, 2, 0)
        assert_same_image(ET.ToTensor()(a), TT.ToTensor()(a))


def test_linear_transformation():
    rng = np.random.default_rng(0)
    m = rng.standard_normal((48, 48)).astype(np.float32)
    v = rng.standard_normal(48).astype(np.float32)
    ours = ET.LinearTransformation(ember.tensor(m), ember.tensor(v))
    theirs = TT.LinearTransformation(torch.tensor(m), torch.tensor(v))
    e, t = pair(chw(4, 4, 3, dtype="float32", batch=2))
    assert_same_image(ours(e), theirs(t), tol=1e-5)
    assert repr(ours) == repr(theirs)
    with pytest.raises(ValueError):
        ET.LinearTransformation(ember.zeros(3, 4), ember.zeros(3))
    with pytest.raises(ValueError):
        ours(ember.zeros(3, 4, 5))


def test_transforms_are_modules_where_torchvisions_are():
    for name in TT.transforms.__all__ + TA.__all__:
        theirs = getattr(TT, name)
        if not isinstance(theirs, type) or issubclass(theirs, __import__("enum").Enum):
            continue
        ours = getattr(ET, name)
        assert issubclass(ours, ember.nn.Module) == issubclass(theirs, torch.nn.Module), name
    seq = ember.nn.Sequential(ET.CenterCrop(10), ET.ConvertImageDtype(ember.float32),
                              ET.Normalize((0.5,) * 3, (0.25,) * 3))
    tseq = torch.nn.Sequential(TT.CenterCrop(10), TT.ConvertImageDtype(torch.float32),
                               TT.Normalize((0.5,) * 3, (0.25,) * 3))
    e, t = pair(chw(17, 15, 3))
    assert_same_image(seq(e), tseq(t), tol=1e-6)


# ---------------------------------------------------------------- random, given parameters


def _fixed(monkeypatch, name, ours, theirs):
    """Make both classes' get_params return the given parameters."""
    monkeypatch.setattr(getattr(ET, name), "get_params", staticmethod(lambda *a, **k: ours))
    monkeypatch.setattr(getattr(TT, name), "get_params", staticmethod(lambda *a, **k: theirs))


RANDOM = [
    ("RandomCrop", lambda T: T.RandomCrop(20, padding=4), (3, 5, 20, 20), ALL, 0),
    ("RandomCrop", lambda T: T.RandomCrop((30, 60), pad_if_needed=True, fill=7), (0, 2, 30, 60),
     ALL, 0),
    ("RandomCrop", lambda T: T.RandomCrop(24, padding=(2, 3), padding_mode="reflect"),
     (1, 4, 24, 24), ALL, 0),
    ("RandomCrop", lambda T: T.RandomCrop(24, padding=2, padding_mode="symmetric"),
     (6, 0, 24, 24), ALL, 0),
    ("RandomCrop", lambda T: T.RandomCrop(24, padding=[1, 2, 3, 4], padding_mode="edge"),
     (2, 2, 24, 24), ALL, 0),
    ("RandomResizedCrop", lambda T: T.RandomResizedCrop(16), (3, 4, 20, 15), ALL, 1),
    ("RandomResizedCrop", lambda T: T.RandomResizedCrop(
        (12, 20), interpolation=T.InterpolationMode.BICUBIC, antialias=False), (0, 1, 31, 27),
     ALL, 1),
    ("RandomRotation", lambda T: T.RandomRotation(30), 17.5, ALL, 0),
    ("RandomRotation", lambda T: T.RandomRotation(
        (-40, 40), T.InterpolationMode.BILINEAR, expand=True, fill=5), -23.25, ALL, 1),
    ("RandomRotation", lambda T: T.RandomRotation(90, center=(4, 7), fill=(1, 2, 3)), 90.0,
     TENSORS, 0),
    ("RandomAffine", lambda T: T.RandomAffine(20, (0.1, 0.2), (0.8, 1.2), 10),
     (11.5, (2, -3), 1.07, (4.5, 0.0)), ALL, 0),
    ("RandomAffine", lambda T: T.RandomAffine(
        10, shear=(-5, 5, -3, 3), interpolation=T.InterpolationMode.BILINEAR, fill=9,
        center=(3, 3)), (-6.0, (0, 0), 1.0, (2.0, -1.5)), ALL, 1),
    ("RandomPerspective", lambda T: T.RandomPerspective(0.4, p=1.0, fill=3),
     ([[0, 0], [30, 0], [30, 30], [0, 30]], [[2, 3], [28, 1], [31, 29], [1, 27]]), ALL, 1),
    ("RandomPerspective", lambda T: T.RandomPerspective(
        p=1.0, interpolation=T.InterpolationMode.NEAREST),
     ([[0, 0], [20, 0], [20, 25], [0, 25]], [[1, 0], [19, 2], [20, 24], [0, 23]]), ALL, 0),
    ("GaussianBlur", lambda T: T.GaussianBlur((5, 3)), 1.37, ALL, 1),
]


@pytest.mark.filterwarnings("ignore:Anti-alias option is always applied")
@pytest.mark.parametrize("name,build,params,kinds,tol", RANDOM, ids=[r[0] for r in RANDOM])
def test_random_transforms_given_parameters(monkeypatch, name, build, params, kinds, tol):
    _fixed(monkeypatch, name, params, params)
    ours, theirs = build(ET), build(TT)
    for e, t in _inputs(kinds):
        is_float = hasattr(t, "dtype") and t.dtype.is_floating_point
        # interpolated floats: PyTorch's vectorised kernels (AVX2 or AVX-512, FMA) and NumPy
        # round differently, up to 4e-5 on values of a few units measured
        _same(ours(e), theirs(t), (1e-4 if tol else 0) if is_float else tol)


@pytest.mark.parametrize("order", [[0, 1, 2, 3], [3, 1, 0, 2], [2, 3, 1, 0]])
def test_color_jitter_given_parameters(monkeypatch, order):
    factors = (1.3, 0.7, 1.6, -0.12)
    _fixed(monkeypatch, "ColorJitter", (ember.tensor(order), *factors),
           (torch.tensor(order), *factors))
    ours, theirs = ET.ColorJitter(0.4, 0.4, 0.6, 0.2), TT.ColorJitter(0.4, 0.4, 0.6, 0.2)
    for e, t in _inputs(ALL):
        _same(ours(e), theirs(t), 1e-5 if getattr(t, "dtype", None) == torch.float32 else 1)


def test_random_erasing_given_parameters(monkeypatch):
    v = np.float32([[[0.3]], [[0.5]], [[0.7]]])
    _fixed(monkeypatch, "RandomErasing", (2, 3, 5, 7, ember.tensor(v)),
           (2, 3, 5, 7, torch.tensor(v)))
    for e, t in _inputs(TENSORS):
        _same(ET.RandomErasing(p=1.0)(e), TT.RandomErasing(p=1.0)(t), 0)


def test_elastic_transform_given_parameters(monkeypatch):
    rng = np.random.default_rng(1)
    for h, w in SIZES:
        d = ((rng.random((1, h, w, 2)) - 0.5) * 0.1).astype(np.float32)
        _fixed(monkeypatch, "ElasticTransform", ember.tensor(d), torch.tensor(d))
        img = pil(h, w)
        _same(ET.ElasticTransform()(img), TT.ElasticTransform()(img), 1)
        e, t = pair(chw(h, w, 3, dtype="float32"))
        _same(ET.ElasticTransform(fill=0.5)(e), TT.ElasticTransform(fill=0.5)(t), 1e-5)


@pytest.mark.parametrize("policy", ["IMAGENET", "CIFAR10", "SVHN"])
def test_autoaugment_given_parameters(monkeypatch, policy):
    ours = ET.AutoAugment(getattr(ET.AutoAugmentPolicy, policy), fill=[3, 4, 5])
    theirs = TT.AutoAugment(getattr(TT.AutoAugmentPolicy, policy), fill=[3, 4, 5])
    assert ours.policies == theirs.policies
    img = pil(37, 53)
    e, t = pair(chw(37, 53, 3))
    for policy_id in range(len(theirs.policies)):
        for signs in ([0, 1], [1, 0]):
            probs = [0.0, 0.0]
            _fixed(monkeypatch, "AutoAugment",
                   (policy_id, ember.tensor(probs), ember.tensor(signs)),
                   (policy_id, torch.tensor(probs), torch.tensor(signs)))
            _same(ours(img), theirs(img), 0)
            # tensors: geometric ops resample with nearest neighbours, whose .5 ties round by
            # the CPU's arithmetic (20 of 5,883 values on an AVX-512 machine)
            _same(ours(e), theirs(t), 1, outliers=0.01)


def _spaces():
    size = (37, 53)
    yield "AutoAugment", EA.AutoAugment()._augmentation_space(10, size), \
        TA.AutoAugment()._augmentation_space(10, size)
    yield "RandAugment", EA.RandAugment()._augmentation_space(31, size), \
        TA.RandAugment()._augmentation_space(31, size)
    yield "TrivialAugmentWide", EA.TrivialAugmentWide()._augmentation_space(31), \
        TA.TrivialAugmentWide()._augmentation_space(31)
    for all_ops in (True, False):
        yield "AugMix", EA.AugMix(all_ops=all_ops)._augmentation_space(10, size), \
            TA.AugMix(all_ops=all_ops)._augmentation_space(10, size)


def test_augmentation_spaces_match():
    for name, ours, theirs in _spaces():
        assert list(ours) == list(theirs), name
        for op, (bins, signed) in theirs.items():
            assert ours[op][1] == signed, (name, op)
            if bins.ndim == 0:
                assert ours[op][0] is None, (name, op)
            else:
                np.testing.assert_array_equal(ours[op][0], bins.numpy(), err_msg=f"{name} {op}")


@pytest.mark.parametrize("op", ["ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate",
                                "Brightness", "Color", "Contrast", "Sharpness", "Posterize",
                                "Solarize", "AutoContrast", "Equalize", "Invert", "Identity"])
def test_every_augmentation_op_matches(op):
    """The operations RandAugment, TrivialAugmentWide and AugMix draw from."""
    magnitudes = {"Posterize": [2.0, 5.0, 8.0], "Solarize": [0.0, 100.0, 255.0]}.get(
        op, [0.0, 0.11, -0.29, 0.9] if op not in ("TranslateX", "TranslateY", "Rotate")
        else [4.0, -13.0, 30.0])
    img = pil(37, 53)
    e, t = pair(chw(37, 53, 3))
    for m in magnitudes:
        for interp in ("NEAREST", "BILINEAR"):
            ei, ti = getattr(ET.InterpolationMode, interp), getattr(TT.InterpolationMode, interp)
            _same(EA._apply_op(img, op, m, ei, None), TA._apply_op(img, op, m, ti, None), 0)
            _same(EA._apply_op(e, op, m, ei, [1.0, 2.0, 3.0]),
                  TA._apply_op(t, op, m, ti, [1.0, 2.0, 3.0]), 1)


# ---------------------------------------------------------------- signatures and reprs


def _params(f):
    return [(p.name, p.kind, p.default) for p in inspect.signature(f).parameters.values()]


def _same_default(a, b):
    if hasattr(a, "value") and hasattr(b, "value"):
        return a.value == b.value
    return a == b


@pytest.mark.parametrize("name", TT.transforms.__all__ + TA.__all__)
def test_constructor_and_get_params_signatures(name):
    """torchvision's parameters, in order, with its defaults; ember adds only a keyword-only
    ``generator`` (to the random transforms)."""
    theirs = getattr(TT, name)
    if not isinstance(theirs, type) or issubclass(theirs, __import__("enum").Enum):
        return
    ours = getattr(ET, name)
    for method in ("__init__", "get_params"):
        if not hasattr(theirs, method) or (method == "__init__" and theirs.__init__ is
                                           object.__init__):
            continue
        a, b = _params(getattr(ours, method)), _params(getattr(theirs, method))
        assert [p[:2] for p in a[:len(b)]] == [p[:2] for p in b], (name, method)
        for (_, _, da), (_, _, db) in zip(a, b):
            assert _same_default(da, db), (name, method, da, db)
        extra = a[len(b):]
        assert extra in ([], [("generator", inspect.Parameter.KEYWORD_ONLY, None)]), extra


REPRS = [
    lambda T: T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                         T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]),
    lambda T: T.Resize((32, 48), interpolation=T.InterpolationMode.NEAREST, antialias=None),
    lambda T: T.Pad([1, 2], fill=3, padding_mode="edge"),
    lambda T: T.RandomCrop(32, padding=4),
    lambda T: T.RandomResizedCrop(224, scale=(0.2, 1.0)),
    lambda T: T.FiveCrop(10), lambda T: T.TenCrop((10, 12), True),
    lambda T: T.ColorJitter(0.4, (0.5, 1.5), 0.0, 0.1),
    lambda T: T.RandomRotation(10), lambda T: T.RandomRotation((0, 90), expand=True,
                                                               center=(1, 2), fill=3),
    lambda T: T.RandomAffine(15, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=5,
                             interpolation=T.InterpolationMode.BILINEAR, fill=1, center=(0, 0)),
    lambda T: T.Grayscale(3), lambda T: T.RandomGrayscale(),
    lambda T: T.RandomPerspective(), lambda T: T.RandomErasing(value="random"),
    lambda T: T.GaussianBlur(3), lambda T: T.RandomInvert(), lambda T: T.RandomPosterize(4),
    lambda T: T.RandomSolarize(192.0), lambda T: T.RandomAdjustSharpness(2),
    lambda T: T.RandomAutocontrast(), lambda T: T.RandomEqualize(),
    lambda T: T.ElasticTransform(), lambda T: T.RandomApply([T.RandomHorizontalFlip()], p=0.3),
    lambda T: T.RandomChoice([T.RandomVerticalFlip(), T.RandomInvert()], p=[0.2, 0.8]),
    lambda T: T.RandomOrder([T.RandomVerticalFlip(), T.RandomInvert()]),
    lambda T: T.ToPILImage(), lambda T: T.ToPILImage("RGB"), lambda T: T.PILToTensor(),
    lambda T: T.Lambda(abs), lambda T: T.AutoAugment(T.AutoAugmentPolicy.CIFAR10),
    lambda T: T.RandAugment(), lambda T: T.TrivialAugmentWide(fill=[1]),
    lambda T: T.AugMix(severity=2), lambda T: T.CenterCrop([5]),
]


@pytest.mark.parametrize("i", range(len(REPRS)))
def test_reprs(i):
    assert repr(REPRS[i](ET)) == repr(REPRS[i](TT))


# ---------------------------------------------------------------- ember's random draws


def test_draws_are_reproducible_with_manual_seed_or_a_generator():
    tf = ET.Compose([ET.RandomResizedCrop(12), ET.ColorJitter(0.4, 0.4, 0.4, 0.1),
                     ET.RandomRotation(20), ET.RandomHorizontalFlip(), ET.ToTensor(),
                     ET.RandomErasing(p=0.7, value="random")])
    img = pil(37, 53)
    ember.manual_seed(5)
    a = tf(img)
    ember.manual_seed(5)
    b = tf(img)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    g1, g2 = ember.Generator().manual_seed(3), ember.Generator().manual_seed(3)
    t1 = ET.RandomAffine(30, (0.2, 0.2), generator=g1)
    t2 = ET.RandomAffine(30, (0.2, 0.2), generator=g2)
    for _ in range(3):
        assert_same_image(t1(img), t2(img))


def test_random_crop_and_resized_crop_params():
    img = ember.zeros(3, 37, 53)
    seen = {ET.RandomCrop.get_params(img, (30, 50))[:2] for _ in range(400)}
    assert seen == {(i, j) for i in range(8) for j in range(4)}
    assert ET.RandomCrop.get_params(img, (37, 53)) == (0, 0, 37, 53)
    with pytest.raises(ValueError, match="larger than"):
        ET.RandomCrop.get_params(img, (38, 53))
    for _ in range(200):
        i, j, h, w = ET.RandomResizedCrop.get_params(img, (0.08, 1.0), (3 / 4, 4 / 3))
        assert 0 <= i <= 37 - h and 0 <= j <= 53 - w and h > 0 and w > 0
    # no box can have the ratio: the central crop of the widest/tallest allowed box
    assert ET.RandomResizedCrop.get_params(img, (1.0, 1.0), (10.0, 10.0)) == (16, 0, 5, 53)
    assert ET.RandomResizedCrop.get_params(img, (1.0, 1.0), (0.1, 0.1)) == (0, 24, 37, 4)


def test_param_ranges():
    for _ in range(100):
        angle = ET.RandomRotation.get_params([-10.0, 25.0])
        assert -10 <= angle <= 25
        a, (tx, ty), s, (sx, sy) = ET.RandomAffine.get_params(
            [-5.0, 5.0], [0.1, 0.2], [0.5, 2.0], [-3.0, 3.0, 1.0, 2.0], [50, 40])
        assert -5 <= a <= 5 and abs(tx) <= 5 and abs(ty) <= 8 and 0.5 <= s <= 2
        assert -3 <= sx <= 3 and 1 <= sy <= 2
        start, end = ET.RandomPerspective.get_params(50, 40, 0.5)
        assert start == [[0, 0], [49, 0], [49, 39], [0, 39]]
        assert all(0 <= x < 50 and 0 <= y < 40 for x, y in end)
        order, b, c, s2, h = ET.ColorJitter.get_params((0.5, 1.5), None, (0.9, 1.1), (-0.1, 0.1))
        assert sorted(order.tolist()) == [0, 1, 2, 3] and c is None
        assert 0.5 <= b <= 1.5 and 0.9 <= s2 <= 1.1 and -0.1 <= h <= 0.1
        assert 0.1 <= ET.GaussianBlur.get_params(0.1, 2.0) <= 2.0
    img = ember.zeros(3, 40, 50)
    i, j, h, w, v = ET.RandomErasing.get_params(img, (0.1, 0.2), (0.5, 2.0))
    assert 0 <= i <= 40 - h and 0 <= j <= 50 - w and tuple(v.shape) == (3, h, w)
    i, j, h, w, v = ET.RandomErasing.get_params(img, (0.1, 0.2), (0.5, 2.0), value=[0.5])
    assert tuple(v.shape) == (1, 1, 1)
    assert ET.RandomErasing.get_params(img, (0.99, 1.0), (1.0, 1.0))[:4] == (0, 0, 40, 50)
    d = ET.ElasticTransform.get_params([50.0, 50.0], [5.0, 5.0], [40, 50])
    assert tuple(d.shape) == (1, 40, 50, 2) and d.dtype == ember.float32
    policy_id, probs, signs = ET.AutoAugment.get_params(25)
    assert 0 <= policy_id < 25 and tuple(probs.shape) == (2,) and set(signs.tolist()) <= {0, 1}


def test_random_choice_order_and_apply_frequencies():
    ember.manual_seed(0)
    picks = ET.RandomChoice([lambda x: 0, lambda x: 1, lambda x: 2], p=[0.2, 0.0, 0.8])
    counts = np.bincount([picks(None) for _ in range(2000)], minlength=3)
    assert counts[1] == 0 and abs(counts[0] / 2000 - 0.2) < 0.04
    trace = []
    order = ET.RandomOrder([lambda x: trace.append("a") or x, lambda x: trace.append("b") or x])
    orders = set()
    for _ in range(30):
        trace.clear()
        order(0)
        orders.add(tuple(trace))
    assert orders == {("a", "b"), ("b", "a")}
    applied = sum(ET.RandomApply([lambda x: x + 1], p=0.3)(0) for _ in range(2000))
    assert abs(applied / 2000 - 0.3) < 0.04


@pytest.mark.parametrize("cls", ["RandAugment", "TrivialAugmentWide", "AugMix", "AutoAugment"])
def test_policies_run_on_pil_and_tensors(cls):
    ember.manual_seed(1)
    tf = getattr(ET, cls)()
    img = pil(37, 53)
    for _ in range(5):
        out = tf(img)
        assert out.mode == "RGB" and out.size == img.size
    e = ember.tensor(chw(37, 53, 3, batch=2))
    for _ in range(5):
        out = tf(e)
        assert out.dtype == ember.uint8 and tuple(out.shape) == (2, 3, 37, 53)


def test_augmix_mixes_the_image_with_its_chains(monkeypatch):
    """With every chain an identity, the mix is the image itself (weights sum to one)."""
    monkeypatch.setattr(EA, "_apply_op", lambda img, *args, **kwargs: img)
    e = ember.tensor(chw(17, 15, 3, dtype="float32"))
    out = ET.AugMix(mixture_width=4)(e)
    np.testing.assert_allclose(out.numpy(), e.numpy(), atol=1e-6)


def test_ember_transforms_is_the_same_package():
    import ember.transforms.autoaugment
    import ember.transforms.functional
    import ember.transforms.transforms

    assert ember.transforms is ET and ember.transforms.functional is ET.functional
    assert ember.transforms.transforms.Resize is ET.Resize
    assert ember.transforms.autoaugment.AugMix is ET.AugMix
    assert ember.vision.transforms.InterpolationMode is ET.functional.InterpolationMode


@pytest.mark.skipif(not ember.cuda.is_available(), reason="no CUDA device (nor the stand-in)")
def test_random_transforms_on_the_device():
    x = ember.tensor(chw(23, 29, 3), device="cuda")
    for tf in (ET.RandomErasing(p=1.0, value="random"), ET.AugMix(), ET.ElasticTransform(),
               ET.RandomResizedCrop(9), ET.ColorJitter(0.3, 0.3, 0.3, 0.1)):
        out = tf(x)
        assert out.device.type == "cuda" and out.dtype == ember.uint8
