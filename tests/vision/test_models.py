"""ember.vision.models against torchvision's: every builder's state-dict keys, shapes and
parameter count; outputs equal in float64 after loading torchvision's (randomly initialised)
weights, and the default initialisations drawn from the same distributions, for one model of
each family at a small input; the weights enums and their evaluation presets; the registry;
feature extraction by module names."""
from __future__ import annotations

import contextlib
import inspect
from collections import OrderedDict
from functools import partial

import numpy as np
import pytest

import ember
import ember.nn.init as EI
import ember.vision.models as EM
from ember.vision.models import feature_extraction as EF
from ember.vision.models import swin_transformer as ES
from ember.vision.models import vision_transformer as EV
from ember.vision.models._utils import IntermediateLayerGetter as EILG

from ._images import chw, pair, pil

torch = pytest.importorskip("torch")
tv = pytest.importorskip("torchvision")
TM = pytest.importorskip("torchvision.models")
TF = pytest.importorskip("torchvision.models.feature_extraction")
from torchvision.models import swin_transformer as TS  # noqa: E402
from torchvision.models import vision_transformer as TV  # noqa: E402
from torchvision.models._utils import IntermediateLayerGetter as TILG  # noqa: E402

# torchvision's classification builders ember leaves out (see docs/vision.md)
ABSENT = {"inception_v3", "maxvit_t"}
# built for the structure test only without their weights' memory being touched; these two
# (633M and 645M parameters) would still allocate gigabytes on the way: their families'
# other sizes stand for them
GIANTS = {"vit_h_14", "regnet_y_128gf"}


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """PyTorch's thread pool spins when the machine's cores are busy (the test runs share
    them): one thread keeps its reference computations from taking minutes."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _builders():
    return sorted(set(TM.list_models(module=TM)) - ABSENT)


# --------------------------------------------------------------------------- the registry

def test_list_models_is_torchvisions_classification_list():
    assert EM.list_models() == _builders()
    assert EM.list_models(module=EM) == _builders()
    for include, exclude in [("resnet*", None), (["vit*", "swin*"], "*_b*"),
                             ("*net*", ["efficient*", "reg*"])]:
        theirs = [n for n in TM.list_models(module=TM, include=include, exclude=exclude)
                  if n not in ABSENT]
        assert EM.list_models(include=include, exclude=exclude) == theirs


def test_get_model_and_weights_lookups():
    m = EM.get_model("SqueezeNet1_1", num_classes=7)
    assert isinstance(m, EM.SqueezeNet) and m.classifier[1].out_channels == 7
    assert EM.get_model_builder("resnet50") is EM.resnet50
    with pytest.raises(ValueError, match="Unknown model nope"):
        EM.get_model("nope")
    assert EM.get_model_weights("resnet50") is EM.ResNet50_Weights
    assert EM.get_model_weights(EM.swin_v2_t) is EM.Swin_V2_T_Weights
    assert EM.get_weight("ResNet50_Weights.IMAGENET1K_V2") is EM.ResNet50_Weights.IMAGENET1K_V2
    assert EM.get_weight("ViT_H_14_Weights.DEFAULT") is EM.ViT_H_14_Weights.IMAGENET1K_SWAG_E2E_V1
    with pytest.raises(ValueError, match="Invalid weight name provided: 'resnet50'"):
        EM.get_weight("resnet50")
    with pytest.raises(ValueError, match="The weight enum 'Nope_Weights'"):
        EM.get_weight("Nope_Weights.V1")
    with pytest.raises(ValueError, match="missing the 'weights' argument"):
        EM.get_model_weights(lambda x: x)
    # builders show torchvision's signature
    assert str(inspect.signature(EM.convnext_tiny)).startswith(
        "(*, weights: Optional[ember.vision.models.convnext.ConvNeXt_Tiny_Weights] = None, "
        "progress: bool = True, **kwargs: Any)")


def _legacy(tv_builder):
    """The weights torchvision's pretrained=True means (from its legacy decorator)."""
    inner = tv_builder.__closure__[0].cell_contents
    for cell in inner.__closure__ or ():
        if isinstance(cell.cell_contents, dict) and "weights" in cell.cell_contents:
            return cell.cell_contents["weights"][1]
    pytest.skip("torchvision's legacy decorator changed shape")


def _preset(member) -> dict:
    p = member.transforms()
    return {k: getattr(p, k) for k in ("crop_size", "resize_size", "mean", "std",
                                        "antialias")} | {"interpolation": p.interpolation.value}


@pytest.mark.parametrize("name", _builders())
def test_weights_enums_are_torchvisions(name):
    ours, theirs = EM.get_model_weights(name), TM.get_model_weights(name)
    assert ours.__name__ == theirs.__name__
    assert [m.name for m in ours] == [m.name for m in theirs]
    assert ours.DEFAULT.name == theirs.DEFAULT.name
    for member in ours:
        other = theirs[member.name]
        assert member.url == other.url and repr(member) == repr(other)
        # (repr: the SSD features' accuracies are nan)
        assert {k: repr(v) for k, v in member.meta.items()} == \
            {k: repr(v) for k, v in other.meta.items() if k != "_docs"}
        assert _preset(member) == _preset(other)
        assert repr(member.transforms()) == repr(other.transforms())
    legacy = _legacy(TM.get_model_builder(name))
    mine = EM.get_model_builder(name).legacy_weights
    assert (mine.name if mine is not None else None) == (legacy.name if legacy else None)


def _preset_pairs():
    seen = {}
    for name in _builders():
        for member in EM.get_model_weights(name):
            seen.setdefault(tuple(sorted(map(str, _preset(member).items()))), member)
    return list(seen.values())


@pytest.mark.parametrize("member", _preset_pairs(), ids=repr)
def test_weights_transforms_are_torchvisions_preset(member):
    """Each distinct preset (sizes, interpolation, mean/std) on PIL images and tensors."""
    ours = member.transforms()
    theirs = TM.get_weight(repr(member)).transforms()
    size = ours.resize_size[0]
    for img in (pil(size + 21, size + 5), pil(size - 7, size + 40, "RGB", 1)):
        np.testing.assert_allclose(ours(img).numpy(), theirs(img).numpy(), atol=2e-5)
    e, t = pair(chw(size + 9, size + 30, batch=2))
    grey = 1.01 / 255 / min(ours.std)  # within one grey level (antialiased tensor resizing)
    np.testing.assert_allclose(ours(e).numpy(), theirs(t).numpy(), atol=grey)
    e, t = pair(chw(size - 3, size + 1, dtype="float32"))
    np.testing.assert_allclose(ours(e).numpy(), theirs(t).numpy(), atol=1e-4)


# --------------------------------------------------------------------- every builder's layout

@contextlib.contextmanager
def _without_init(monkeypatch):
    """Builders whose initialisers are no-ops (and torch's allocations untouched), so that
    even the 300M-parameter models build at once: for comparing layouts only."""
    for lib in (EI, torch.nn.init):
        for name in dir(lib):
            if name.endswith("_") and not name.startswith("__") and callable(getattr(lib, name)):
                monkeypatch.setattr(lib, name, lambda t, *a, **k: t)
    yield


def _layout(sd):
    return [(k, tuple(v.shape), str(v.dtype).rsplit(".", 1)[-1]) for k, v in sd.items()]


@pytest.mark.parametrize("name", sorted(set(_builders()) - GIANTS))
def test_builder_layout_and_parameter_count_are_torchvisions(name, monkeypatch):
    kw = {"init_weights": True} if name == "googlenet" else {}
    with _without_init(monkeypatch):
        ours = EM.get_model(name, **kw)
        theirs = TM.get_model(name, **kw)
    assert _layout(ours.state_dict()) == _layout(theirs.state_dict())
    count = sum(p.numel() for p in ours.parameters())
    assert count == sum(p.numel() for p in theirs.parameters())
    if name == "googlenet":  # the weights' count is without the auxiliary classifiers
        count -= sum(p.numel() for k, p in ours.named_parameters() if k.startswith("aux"))
    assert count == EM.get_model_weights(name).DEFAULT.meta["num_params"]
    assert type(ours).__name__ == type(theirs).__name__


@pytest.mark.parametrize("name,kwargs", [
    ("mobilenet_v3_large", {"reduced_tail": True, "dilated": True, "width_mult": 0.75}),
    ("mobilenet_v3_small", {"reduced_tail": True}),
    ("mobilenet_v2", {"width_mult": 1.4, "num_classes": 10}),
    ("resnet50", {"replace_stride_with_dilation": [False, True, True]}),
    ("vit_b_32", {"image_size": 96, "representation_size": 32}),
    ("efficientnet_b0", {"dropout": 0.5, "stochastic_depth_prob": 0.3}),
    ("convnext_tiny", {"stochastic_depth_prob": 0.0, "layer_scale": 0.5}),
])
def test_builder_options_are_torchvisions(name, kwargs, monkeypatch):
    with _without_init(monkeypatch):
        ours = EM.get_model(name, **kwargs)
        theirs = TM.get_model(name, **kwargs)
    assert _layout(ours.state_dict()) == _layout(theirs.state_dict())


# ------------------------------------------------------- outputs and initialisations, per family

def _perturbed(model):
    """torchvision's model in float64 and eval mode, with every parameter moved off its
    initial value (zero-initialised heads would hide the features) and batch-norm statistics
    away from 0 and 1."""
    model = model.double().eval()
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=g, dtype=p.dtype) * 0.05)
        for n, b in model.named_buffers():
            if n.endswith("running_mean"):
                b.copy_(torch.randn(b.shape, generator=g, dtype=b.dtype) * 0.1)
            elif n.endswith("running_var"):
                b.copy_(torch.rand(b.shape, generator=g, dtype=b.dtype) + 0.5)
    return model


def _load(ours, theirs_state):
    """``theirs_state`` as ember tensors, with its version metadata (MNASNet needs it)."""
    state = OrderedDict((k, ember.tensor(v.numpy())) for k, v in theirs_state.items())
    state._metadata = theirs_state._metadata
    ours.load_state_dict(state)
    return ours


def _same_init(ours, theirs):
    """Each parameter and buffer drawn as torchvision draws it: constants equal; large
    random tensors with the same mean, standard deviation and mean |x| / std (which tells
    normal, uniform and truncated normal apart); deterministic buffers equal."""
    ours_sd = {k: v.detach().numpy() for k, v in ours.state_dict().items()}
    params = {k for k, _ in theirs.named_parameters()}
    for k, v in theirs.state_dict().items():
        # the first million values of the largest (i.i.d.) tensors are sample enough
        t = v.detach().reshape(-1)[:10**6].double().numpy()
        e = ours_sd[k].reshape(-1)[:10**6].astype(np.float64)
        if k not in params or t.size == 0 or t.min() == t.max():
            np.testing.assert_allclose(e, t, rtol=1e-6, atol=1e-7, err_msg=k)
        elif t.size >= 2000:
            ts, es = t.std(), e.std()
            assert abs(es / ts - 1) < 0.1, (k, es, ts)
            assert abs(e.mean() - t.mean()) < 6 * ts * np.sqrt(2 / t.size) + 1e-12, k
            assert abs(np.abs(e - e.mean()).mean() / es
                       - np.abs(t - t.mean()).mean() / ts) < 0.03, k


FAMILY = [  # (builder, input shape): one model of each family at a small input
    ("resnet50", (2, 3, 32, 32)), ("resnext50_32x4d", (1, 3, 32, 32)),
    ("mobilenet_v2", (2, 3, 32, 32)), ("mobilenet_v3_small", (2, 3, 32, 32)),
    ("mobilenet_v3_large", (1, 3, 40, 40)), ("efficientnet_b0", (2, 3, 32, 32)),
    ("efficientnet_v2_s", (1, 3, 33, 33)), ("densenet121", (1, 3, 32, 32)),
    ("squeezenet1_0", (2, 3, 33, 33)), ("squeezenet1_1", (2, 3, 32, 32)),
    ("shufflenet_v2_x1_0", (2, 3, 32, 32)), ("convnext_tiny", (1, 3, 32, 32)),
    ("vit_b_16", (1, 3, 224, 224)), ("swin_t", (1, 3, 64, 64)), ("swin_v2_t", (1, 3, 64, 72)),
    ("regnet_y_400mf", (2, 3, 32, 32)), ("regnet_x_400mf", (1, 3, 32, 32)),
    ("mnasnet0_75", (2, 3, 32, 32)),
    ("vgg11_bn", (1, 3, 32, 32)),
]


@pytest.mark.parametrize("name,shape", FAMILY, ids=[f[0] for f in FAMILY])
def test_family_computes_and_initialises_as_torchvision(name, shape):
    ember.manual_seed(0)
    torch.manual_seed(0)
    ours, theirs = EM.get_model(name), TM.get_model(name)
    _same_init(ours, theirs)
    theirs = _perturbed(theirs)
    ours = _load(ours.double(), theirs.state_dict()).eval()
    x = np.random.default_rng(0).standard_normal(shape)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    got = ours(ember.tensor(x)).detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9 * np.abs(expected).max())
    if name in ("vit_b_16", "vgg11_bn"):  # too big to differentiate here (see TINY for ViT)
        return
    # training mode, at 64x64 (smaller last feature maps make batch norm's statistics
    # ill-conditioned): one step with the random layers on runs and reaches every parameter...
    x = np.random.default_rng(1).standard_normal((2, 3, 64, 64))
    ours.train()
    ours(ember.tensor(x)).sum().backward()
    assert all(p.grad is not None for p in ours.parameters())
    ours.zero_grad()
    # ... and with them off, batch statistics and every gradient are torchvision's
    for model in (ours, theirs.train()):
        for m in model.modules():
            if type(m).__name__ in ("Dropout", "StochasticDepth"):
                m.p = 0.0
    tx = torch.from_numpy(x).requires_grad_()
    out = theirs(tx)
    w = np.random.default_rng(2).standard_normal(tuple(out.shape))
    (out * torch.from_numpy(w)).sum().backward()
    ex = ember.tensor(x, requires_grad=True)
    (ours(ex) * ember.tensor(w)).sum().backward()
    # PyTorch's hardsigmoid backward multiplies by 1/6 rounded to float32 even in float64
    # (ember's by 1/6): MobileNetV3's squeeze-excitations carry that 3e-8 relative error
    tol = 1e-7 if name.startswith("mobilenet_v3") else 1e-10
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-7,
                               atol=tol * np.abs(tx.grad.numpy()).max())
    grads = dict(ours.named_parameters())
    # (a shift before a training-mode batch norm has a zero gradient: rounding noise there)
    scale = max(float(p.grad.abs().max()) for p in theirs.parameters())
    for k, p in theirs.named_parameters():
        np.testing.assert_allclose(grads[k].grad.numpy(), p.grad.numpy(), rtol=1e-7,
                                   atol=tol * scale, err_msg=k)


def test_googlenet_training_outputs_are_torchvisions():
    """Initialised from torchvision's distributions; in training mode with the auxiliary
    classifiers: GoogLeNetOutputs(logits, aux2, aux1) (dropout off, batch statistics), and
    the logits alone without them."""
    torch.manual_seed(0)
    theirs, ours = TM.googlenet(init_weights=True), EM.googlenet(init_weights=True)
    _same_init(ours, theirs)
    theirs = _perturbed(theirs).train()
    ours = _load(ours.double(), theirs.state_dict()).train()
    for lib, m in ((torch.nn, theirs), (ember.nn, ours)):
        for d in m.modules():
            if isinstance(d, lib.Dropout):
                d.p = 0.0
    x = np.random.default_rng(0).standard_normal((2, 3, 64, 64))
    got, expected = ours(ember.tensor(x)), theirs(torch.from_numpy(x))
    assert type(got).__name__ == "GoogLeNetOutputs" and got._fields == expected._fields
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g.detach().numpy(), e.detach().numpy(), rtol=1e-9,
                                   atol=1e-12)
    ours.aux_logits = False
    assert ours(ember.tensor(x)).shape == (2, 1000)


def _tiny_vit(lib, **kw):
    return lib.VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2,
                                 hidden_dim=16, mlp_dim=24, num_classes=5, **kw)


def _tiny_swin(lib, v2=False, window=4):
    extra = {"block": lib.SwinTransformerBlockV2,
             "downsample_layer": lib.PatchMergingV2} if v2 else {}
    return lib.SwinTransformer(patch_size=[4, 4], embed_dim=8, depths=[2, 2], num_heads=[2, 4],
                               window_size=[window, window], num_classes=5, **extra)


TINY = [  # small configurations (odd sizes, padding, one-window stages), with gradients
    ("swin", partial(_tiny_swin, ES), partial(_tiny_swin, TS), (2, 3, 40, 44)),
    ("swin-window3", partial(_tiny_swin, ES, window=3), partial(_tiny_swin, TS, window=3),
     (1, 3, 36, 28)),
    ("swin-v2", partial(_tiny_swin, ES, True), partial(_tiny_swin, TS, True), (2, 3, 40, 44)),
    ("swin-v2-one-window", partial(_tiny_swin, ES, True, 8), partial(_tiny_swin, TS, True, 8),
     (1, 3, 32, 32)),
    ("vit", partial(_tiny_vit, EV), partial(_tiny_vit, TV), (2, 3, 32, 32)),
    ("vit-representation", partial(_tiny_vit, EV, representation_size=6),
     partial(_tiny_vit, TV, representation_size=6), (2, 3, 32, 32)),
    ("vit-conv-stem", partial(_tiny_vit, EV, conv_stem_configs=[EV.ConvStemConfig(4, 3, 2),
                                                                EV.ConvStemConfig(8, 3, 4)]),
     partial(_tiny_vit, TV, conv_stem_configs=[TV.ConvStemConfig(4, 3, 2),
                                               TV.ConvStemConfig(8, 3, 4)]), (2, 3, 32, 32)),
]


@pytest.mark.parametrize("make_ours,make_theirs,shape", [t[1:] for t in TINY],
                         ids=[t[0] for t in TINY])
def test_attention_models_outputs_and_gradients(make_ours, make_theirs, shape):
    torch.manual_seed(0)
    theirs = _perturbed(make_theirs())
    ours = _load(make_ours().double(), theirs.state_dict()).eval()
    assert _layout(ours.state_dict()) == _layout(theirs.state_dict())
    x = np.random.default_rng(1).standard_normal(shape)
    w = np.random.default_rng(2).standard_normal((shape[0], 5))
    tx = torch.from_numpy(x).requires_grad_()
    (theirs(tx) * torch.from_numpy(w)).sum().backward()
    ex = ember.tensor(x, requires_grad=True)
    out = ours(ex)
    (out * ember.tensor(w)).sum().backward()
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-8, atol=1e-12)
    grads = dict(ours.named_parameters())
    for k, p in theirs.named_parameters():
        np.testing.assert_allclose(grads[k].grad.numpy(), p.grad.numpy(), rtol=1e-7,
                                   atol=1e-12, err_msg=k)


def test_swin_v2_keys_bias_starts_and_stays_zero():
    attn = ES.ShiftedWindowAttentionV2(8, [4, 4], [2, 2], 2)
    third = 8
    assert np.all(attn.qkv.bias.detach().numpy()[third:2 * third] == 0)
    ref = TS.ShiftedWindowAttentionV2(8, [4, 4], [2, 2], 2)
    np.testing.assert_array_equal(attn.relative_position_index.numpy(),
                                  ref.relative_position_index.numpy())
    np.testing.assert_allclose(attn.relative_coords_table.numpy(),
                               ref.relative_coords_table.numpy(), rtol=1e-6)


def test_vgg_configurations_are_torchvisions():
    from ember.vision.models import vgg as EG
    from torchvision.models import vgg as TGG
    x = np.random.default_rng(0).standard_normal((1, 3, 32, 32))
    for cfg in "ABDE":
        for bn in (False, True):
            theirs = _perturbed(TGG.make_layers(TGG.cfgs[cfg], bn))
            ours = _load(EG.make_layers(EG._CFGS[cfg], bn).double(), theirs.state_dict()).eval()
            with torch.no_grad():
                expected = theirs(torch.from_numpy(x)).numpy()
            np.testing.assert_allclose(ours(ember.tensor(x)).detach().numpy(), expected,
                                       rtol=1e-10, atol=1e-12)


def test_interpolate_embeddings_is_torchvisions():
    g = torch.Generator().manual_seed(0)
    state = {"encoder.pos_embedding": torch.randn(1, 1 + 7 * 7, 6, generator=g,
                                                  dtype=torch.float64),
             "heads.head.weight": torch.randn(3, 6, generator=g, dtype=torch.float64),
             "conv_proj.weight": torch.randn(6, 3, 4, 4, generator=g, dtype=torch.float64)}
    for size, mode, reset in [(44, "bicubic", False), (20, "bicubic", True),
                              (40, "bilinear", False), (28, "bicubic", False)]:
        theirs = TV.interpolate_embeddings(size, 4, dict(state), mode, reset)
        ours = EV.interpolate_embeddings(size, 4, {k: ember.tensor(v.numpy())
                                                   for k, v in state.items()}, mode, reset)
        assert list(ours) == list(theirs)
        for k in theirs:
            np.testing.assert_allclose(ours[k].numpy(), theirs[k].numpy(), rtol=1e-12,
                                       atol=1e-12, err_msg=(size, mode, k))
    with pytest.raises(ValueError, match="seq_length is not a perfect square"):
        EV.interpolate_embeddings(16, 4, {"encoder.pos_embedding": ember.zeros(1, 12, 2)})


def test_constructor_errors_are_torchvisions():
    with pytest.raises(ValueError, match="BasicBlock only supports groups=1"):
        EM.BasicBlock(4, 4, groups=2)
    with pytest.raises(NotImplementedError, match="Dilation > 1 not supported"):
        EM.resnet18(replace_stride_with_dilation=[False, False, True])
    with pytest.raises(ValueError, match="replace_stride_with_dilation should be None"):
        EM.resnet50(replace_stride_with_dilation=[True])
    with pytest.raises(ValueError, match="Unsupported SqueezeNet version 2_0"):
        EM.SqueezeNet("2_0")
    with pytest.raises(ValueError, match="expected stages_repeats as list of 3"):
        EM.ShuffleNetV2([4, 8], [24, 48, 96, 192, 1024])
    with pytest.raises(TypeError, match="List\\[CNBlockConfig\\]"):
        EM.ConvNeXt([1, 2])
    with pytest.raises(ValueError, match="The parameter 'groups' expected value 32 but got 4"):
        EM.resnext50_32x4d(groups=4)
    with pytest.raises(RuntimeError, match="Wrong image height! Expected 224 but got 32!"):
        EM.vit_b_32()(ember.zeros(1, 3, 32, 224))
    with pytest.raises(NotImplementedError, match="memory_efficient=True"):
        EM.densenet121(memory_efficient=True)
    with pytest.raises(ValueError, match="No weights available for model vit_h_14"):
        with pytest.warns(UserWarning):
            EM.vit_h_14(pretrained=True)
    with pytest.raises(TypeError, match="expected Swin_T_Weights but received"):
        EM.swin_t(weights=EM.Swin_S_Weights.DEFAULT)


def test_mnasnet_reads_first_version_state_dicts_as_torchvision():
    """A version-1 state dict (unscaled stem) of a 0.5 model loads into both after the stem
    is rebuilt, with the same warning and outputs; one without version metadata is refused."""
    from torchvision.models import mnasnet as TMN
    torch.manual_seed(0)
    theirs = TM.mnasnet0_5()
    for idx, layer in enumerate([torch.nn.Conv2d(3, 32, 3, padding=1, stride=2, bias=False),
                                 torch.nn.BatchNorm2d(32), torch.nn.ReLU(),
                                 torch.nn.Conv2d(32, 32, 3, padding=1, groups=32, bias=False),
                                 torch.nn.BatchNorm2d(32), torch.nn.ReLU(),
                                 torch.nn.Conv2d(32, 16, 1, bias=False), torch.nn.BatchNorm2d(16),
                                 TMN._stack(16, 16, 3, 2, 3, 3, 0.1)]):
        theirs.layers[idx] = layer
    state = theirs.state_dict()
    state._metadata[""]["version"] = 1
    fresh = TM.mnasnet0_5()
    with pytest.warns(UserWarning, match="A new version of MNASNet model"):
        fresh.load_state_dict(state)
    ours = EM.mnasnet0_5()
    with pytest.warns(UserWarning, match="A new version of MNASNet model"):
        _load(ours, state)
    assert ours._version == 1 and _layout(ours.state_dict()) == _layout(fresh.state_dict())
    x = np.random.default_rng(0).standard_normal((1, 3, 32, 32)).astype(np.float32)
    with torch.no_grad():
        expected = fresh.eval()(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours.eval()(ember.tensor(x)).detach().numpy(), expected,
                               rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="version should be set to 1 or 2 instead of None"):
        EM.mnasnet1_0().load_state_dict(dict(EM.mnasnet1_0().state_dict()))


def test_densenet_and_vit_read_the_older_key_names():
    from ember.vision.models.densenet import _renamed_keys
    old = {"features.denseblock1.denselayer1.norm.1.weight": 1,
           "features.denseblock1.denselayer1.conv.2.weight": 2, "features.norm5.bias": 3}
    assert _renamed_keys(old, {}) == {"features.denseblock1.denselayer1.norm1.weight": 1,
                                      "features.denseblock1.denselayer1.conv2.weight": 2,
                                      "features.norm5.bias": 3}
    block = EV.MLPBlock(4, 6, 0.0)
    state = {"linear_1.weight": ember.ones(6, 4), "linear_1.bias": ember.zeros(6),
             "linear_2.weight": ember.ones(4, 6), "linear_2.bias": ember.zeros(4)}
    state = type("SD", (dict,), {})(state)
    state._metadata = {"": {"version": 1}}
    block.load_state_dict(state)
    assert float(block[0].weight.sum()) == 24.0


# ------------------------------------------------------------------------- feature extraction

def _pair_models(name, **kw):
    torch.manual_seed(0)
    theirs = TM.get_model(name, **kw).eval()
    ours = _load(EM.get_model(name, **kw), theirs.state_dict()).eval()
    return ours, theirs


@pytest.mark.parametrize("name,nodes", [
    ("resnet18", ["layer1", "layer2.0.downsample", "layer3.1.bn2", "avgpool", "fc"]),
    ("resnet18", {"layer1.0.bn1": "early"}),
    ("mobilenet_v3_small", {"features.3": "c3", "features.1.block.1": "se", "classifier": "out"}),
    ("convnext_tiny", {"features.1.0": "block", "features.3": "down", "classifier.0": "ln"}),
])
def test_feature_extraction_returns_torchvisions_tensors(name, nodes):
    ours, theirs = _pair_models(name)
    tf, ef = TF.create_feature_extractor(theirs, nodes), EF.create_feature_extractor(ours, nodes)
    x = np.random.default_rng(0).standard_normal((2, 3, 64, 64)).astype(np.float32)
    expected, got = tf(torch.from_numpy(x)), ef(ember.tensor(x))
    assert list(got) == list(expected)
    for k in expected:
        np.testing.assert_allclose(got[k].detach().numpy(), expected[k].detach().numpy(),
                                   rtol=1e-4, atol=1e-5, err_msg=k)
    assert list(ef.state_dict()) == list(ours.state_dict())


def test_feature_extractor_modes_and_errors():
    ours, theirs = _pair_models("resnet18")
    nodes = EF.get_graph_node_names(ours)
    train_nodes, eval_nodes = TF.get_graph_node_names(theirs)
    assert nodes[0] == nodes[1] and "layer4.1.conv2" in nodes[0] and "" not in nodes[0]
    for n in nodes[0]:  # each one a node torchvision accepts too
        assert any(m == n or m.startswith(n + ".") for m in eval_nodes), n
    ef = EF.create_feature_extractor(ours, train_return_nodes=["layer1"],
                                     eval_return_nodes={"layer2": "l2", "layer1": "l1"})
    x = ember.randn(1, 3, 32, 32)
    assert list(ef(x)) == ["l1", "l2"]  # eval mode, as the model was
    ef.train()
    assert ours.training and ours.layer1.training and list(ef(x)) == ["layer1"]
    ef.eval()
    assert not ours.training
    ef.double()
    assert ours.bn1.running_mean.dtype == ember.float64 and ef.bn1.running_mean is \
        ours.bn1.running_mean
    with pytest.raises(ValueError, match="node: 'layer1.0.relu_1' is not present in model: "
                                         "ember has no FX tracing"):
        EF.create_feature_extractor(ours, ["layer1.0.relu_1"])
    with pytest.raises(ValueError, match="Either `return_nodes` or `train_return_nodes`"):
        EF.create_feature_extractor(ours)
    with pytest.raises(ValueError, match="then both should be specified"):
        EF.create_feature_extractor(ours, train_return_nodes=["fc"])
    with pytest.raises(NotImplementedError, match="tracer_kwargs: ember has no FX tracing"):
        EF.create_feature_extractor(ours, ["fc"], tracer_kwargs={"leaf_modules": []})
    with pytest.raises(NotImplementedError, match="concrete_args"):
        EF.get_graph_node_names(ours, concrete_args={})
    with pytest.raises(RuntimeError, match="did not call \\['unused'\\]"):
        EF.create_feature_extractor(_Skipping(), ["used", "unused"])(ember.zeros(1, 2))


class _Skipping(ember.nn.Module):
    def __init__(self):
        super().__init__()
        self.used = ember.nn.Linear(2, 2)
        self.unused = ember.nn.Linear(2, 2)

    def forward(self, x):
        return self.used(x)


def test_intermediate_layer_getter_is_torchvisions():
    ours, theirs = _pair_models("resnet18")
    layers = {"layer1": "feat1", "layer3": "feat2"}
    eg, tg = EILG(ours, layers), TILG(theirs, layers)
    assert list(eg.state_dict()) == list(tg.state_dict())
    x = np.random.default_rng(0).standard_normal((1, 3, 64, 64)).astype(np.float32)
    expected, got = tg(torch.from_numpy(x)), eg(ember.tensor(x))
    assert list(got) == list(expected) == ["feat1", "feat2"]
    for k in expected:
        np.testing.assert_allclose(got[k].detach().numpy(), expected[k].detach().numpy(),
                                   rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="return_layers are not present in model"):
        EILG(ours, {"layer1.0": "x"})
