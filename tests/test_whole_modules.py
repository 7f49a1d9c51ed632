"""Whole modules, optimizers and checkpoint dicts saved by ember without pickle: every model of
``ember.models``, a user module with attributes of every describable kind, tied weights and
shared submodules, a Transformer holding an activation function, training resumed from a
whole-object checkpoint; classes that are not allowed are refused, and what cannot be
described makes saving fail naming where it is."""
from __future__ import annotations

import io
import types

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember import models as M


def _roundtrip(obj, **kw):
    buf = io.BytesIO()
    ember.save(obj, buf)
    buf.seek(0)
    return ember.load(buf, **kw)


def _same_module(a, b):
    """Same classes, registrations, settings and tensors, submodule by submodule."""
    assert type(a) is type(b) and repr(a) == repr(b)
    mods_a, mods_b = dict(a.named_modules()), dict(b.named_modules())
    assert list(mods_a) == list(mods_b)
    for name, ma in mods_a.items():
        mb = mods_b[name]
        assert type(ma) is type(mb) and ma.training == mb.training, name
        skip = {"_parameters", "_buffers", "_modules"}
        assert set(vars(ma)) - skip == set(vars(mb)) - skip, name
        for k, v in vars(ma).items():
            w = vars(mb)[k]
            if isinstance(v, types.MethodType):
                assert w.__func__ is v.__func__ and w.__self__ is mb, f"{name}.{k}"
            elif k not in skip and not isinstance(v, (ember.Tensor, np.ndarray)):
                assert v == w or v is w, f"{name}.{k}"
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for k in sa:
        assert sa[k].dtype == sb[k].dtype
        np.testing.assert_array_equal(sa[k].numpy(), sb[k].numpy(), err_msg=k)


MODELS = {
    "LeNet5": lambda: M.LeNet5(pool="max", activation="relu"),
    "AlexNet": lambda: M.alexnet(num_classes=10),
    "VGG11_bn": lambda: M.vgg11_bn(num_classes=10, init_weights=False),
    "GoogLeNet": lambda: M.googlenet(num_classes=10, init_weights=True),
    "ResNet18": lambda: M.resnet18(num_classes=10, small_input=True),
    "ResNet50": lambda: M.resnet50(num_classes=10),
    "ResidualBlock": lambda: M.ResidualBlock(4, 8, stride=2),
    "CharLM_lstm": lambda: M.CharLM(20, embed_dim=8, hidden_size=16),
    "CharLM_transformer": lambda: M.CharLM(20, embed_dim=8, cell="transformer", nhead=2,
                                           max_len=16),
    "Seq2Seq": lambda: M.Seq2Seq(10, 12, embed_dim=8, hidden_size=16),
    "Captioner": lambda: M.Captioner(20, embed_dim=8, hidden_size=16),
    "LinearAutoencoder": lambda: M.LinearAutoencoder(16, 4),
    "Autoencoder": lambda: M.Autoencoder(),
    "ConvAutoencoder": lambda: M.ConvAutoencoder(),
    "DenoisingAutoencoder": lambda: M.DenoisingAutoencoder(M.Autoencoder(), sigma=0.2),
    "VAE": lambda: M.VAE(),
    "ConvVAE": lambda: M.ConvVAE(),
    "MLPGenerator": lambda: M.MLPGenerator(),
    "MLPDiscriminator": lambda: M.MLPDiscriminator(),
    "DCGANGenerator": lambda: M.DCGANGenerator(),
    "DCGANDiscriminator": lambda: M.DCGANDiscriminator(norm="layer"),
}


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_round_trips(name):
    model = MODELS[name]()
    model.eval() if name.startswith("Res") else model.train()
    back = _roundtrip(model)
    _same_module(model, back)
    assert all(isinstance(p, nn.Parameter) for p in back.parameters())


def test_loaded_models_compute_the_same():
    ember.manual_seed(0)
    for make, x in [(MODELS["LeNet5"], ember.randn(2, 1, 28, 28)),
                    (MODELS["ResNet18"], ember.randn(2, 3, 32, 32)),
                    (MODELS["CharLM_lstm"], ember.tensor([[1, 2, 3], [4, 5, 6]]))]:
        model = make().eval()
        back = _roundtrip(model)
        out_a, out_b = model(x), back(x)
        out_a = out_a[0] if isinstance(out_a, tuple) else out_a
        out_b = out_b[0] if isinstance(out_b, tuple) else out_b
        np.testing.assert_array_equal(out_a.detach().numpy(), out_b.detach().numpy())


class Custom(nn.Module):
    """A user module with attributes of every kind ember describes."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Embedding(10, 4)
        self.decoder = nn.Linear(4, 10)
        self.decoder.weight = self.encoder.weight  # tied
        self.shared = nn.Linear(4, 4)
        self.stack = nn.Sequential(self.shared, nn.GELU(), self.shared)  # used twice
        self.act = F.gelu
        self.norm = ember.tanh
        self.scale, self.name, self.flag, self.nothing = 0.5, "net", True, None
        self.shape = (2, (3, 4))
        self.sizes = [1, 2.5, "x", [None, False]]
        self.table = {"a": 1, 2: "two", (1, 2): [3]}
        self.tags = {"x", "y"}
        self.frozen = frozenset({1, 2})
        self.dtype, self.device = ember.float16, ember.device("cpu")
        self.size = ember.Size([2, 3])
        self.big, self.inf, self.z, self.raw = 2 ** 80, float("-inf"), 1 + 2j, b"\x00\xff"
        self.extra = ember.arange(3.0)  # a plain (unregistered) tensor
        self.array = np.arange(4, dtype=np.int16)
        self.register_buffer("steps", ember.tensor(7))
        self.register_buffer("cache", ember.zeros(2), persistent=False)
        self.hook_fn = self.describe  # a bound method of this module

    def describe(self):
        return f"{self.name}:{self.scale}"

    def forward(self, x):
        return self.decoder(self.act(self.stack(self.encoder(x)))) * self.scale


def test_a_user_module_needs_safe_globals():
    model = Custom()
    with pytest.raises(RuntimeError, match=r"Unsupported global: class "
                                           r"tests\.test_whole_modules\.Custom.*"
                                           r"add_safe_globals\(\[tests\.test_whole_modules"
                                           r"\.Custom\]\)"):
        _roundtrip(model)
    with ember.serialization.safe_globals([Custom]):
        back = _roundtrip(model)
    assert Custom not in ember.serialization.get_safe_globals()
    _same_module(model, back)
    assert back.decoder.weight is back.encoder.weight
    assert back.stack[0] is back.stack[2] is back.shared
    assert back.act is F.gelu and back.norm is ember.tanh
    for k in ("shape", "sizes", "table", "tags", "frozen", "big", "inf", "z", "raw", "nothing"):
        assert getattr(back, k) == getattr(model, k) and \
            type(getattr(back, k)) is type(getattr(model, k)), k
    assert back.dtype is ember.float16 and back.device == ember.device("cpu")
    assert isinstance(back.size, ember.Size) and back.size == (2, 3)
    assert back.extra.tolist() == [0.0, 1.0, 2.0] and back.array.dtype == np.int16
    assert "cache" not in back.state_dict() and "cache" in dict(back.named_buffers())
    assert isinstance(back.hook_fn, types.MethodType) and back.hook_fn() == "net:0.5"
    x = ember.tensor([[1, 2]])
    np.testing.assert_array_equal(back(x).detach().numpy(), model(x).detach().numpy())
    ember.serialization.add_safe_globals([(Custom, "tests.test_whole_modules.Custom")])
    try:
        assert isinstance(_roundtrip(model), Custom)
    finally:
        ember.serialization.clear_safe_globals()
    assert _roundtrip(model, weights_only=False).name == "net"  # trusted: no allow-list


def test_a_transformer_holding_an_activation_function():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation=F.gelu,
                                       batch_first=True)
    enc = nn.TransformerEncoder(layer, 2).eval()
    back = _roundtrip(enc)
    assert back.layers[0].activation is F.gelu and back.layers[1].activation is F.gelu
    x = ember.randn(2, 5, 8)
    np.testing.assert_allclose(back(x).detach().numpy(), enc(x).detach().numpy(), rtol=1e-6)
    mod_act = _roundtrip(nn.TransformerEncoderLayer(8, 2, activation=nn.GELU()))
    assert isinstance(mod_act.activation, nn.GELU)


def test_training_resumes_from_a_whole_object_checkpoint():
    def build():
        ember.manual_seed(0)
        net = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1))
        opt = ember.optim.Adam(net.parameters(), lr=0.05)
        sched = ember.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        return net, opt, sched

    x = ember.tensor(np.linspace(-1, 1, 24, dtype=np.float32).reshape(8, 3))

    def train(net, opt, sched, steps):
        for _ in range(steps):
            opt.zero_grad()
            net(x).pow(2).mean().backward()
            opt.step()
            sched.step()

    net, opt, sched = build()
    train(net, opt, sched, 6)
    want = net[0].weight.detach().numpy().copy()
    net, opt, sched = build()
    train(net, opt, sched, 3)
    ck = _roundtrip({"model": net, "optimizer": opt, "scheduler": sched, "epoch": 3})
    assert ck["epoch"] == 3
    net, opt, sched = ck["model"], ck["optimizer"], ck["scheduler"]
    assert opt.param_groups[0]["params"][0] is net[0].weight  # the model's own parameters
    assert sched.optimizer is opt and next(iter(opt.state)) is net[0].weight
    train(net, opt, sched, 3)
    np.testing.assert_array_equal(net[0].weight.detach().numpy(), want)


def test_what_cannot_be_described_names_its_path(tmp_path):
    model = nn.Sequential(nn.Linear(2, 2))
    model[0].fn = lambda x: x
    with pytest.raises(TypeError, match=r"'model\.0\.fn'.*lambda"):
        ember.save({"model": model}, tmp_path / "m.st")

    def outer():
        def inner(x):
            return x
        return inner

    model[0].fn = outer()
    with pytest.raises(TypeError, match=r"'0\.fn'.*closure"):
        ember.save(model, tmp_path / "m.st")
    with open(tmp_path / "f.txt", "w") as handle:
        model[0].fn = handle
        with pytest.raises(TypeError, match=r"cannot store a TextIOWrapper at '0\.fn'"):
            ember.save(model, tmp_path / "m.st")
    del model[0].fn
    net = nn.Linear(2, 2)
    opt = ember.optim.SGD(net.parameters(), lr=0.1)
    sched = ember.optim.lr_scheduler.LambdaLR(opt, lambda epoch: 0.9 ** epoch)
    with pytest.raises(TypeError, match=r"'sched\.lr_lambdas\.0'"):
        ember.save({"sched": sched}, tmp_path / "m.st")
    loop = [1]
    loop.append(loop)
    with pytest.raises(TypeError, match="contains itself"):
        ember.save({"loop": loop}, tmp_path / "m.st")
    assert not (tmp_path / "m.st").exists()


def test_a_module_that_refers_to_its_parent():
    parent = nn.Sequential(nn.Linear(2, 2))
    parent[0].owner = parent  # a plain attribute, not a registration
    back = _roundtrip(parent)
    assert back[0].owner is back


def test_state_dicts_stay_plain_safetensors(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    model = Custom()
    ember.save(model.state_dict(), tmp_path / "sd.safetensors")
    assert sorted(st.load_file(str(tmp_path / "sd.safetensors"))) == sorted(model.state_dict())
    with ember.serialization.safe_globals([Custom]):
        ember.save(model, tmp_path / "whole.safetensors")
    keys = st.load_file(str(tmp_path / "whole.safetensors"))
    assert "encoder.weight" in keys and "decoder.weight" not in keys  # tied: stored once


def test_modules_on_a_device_come_back_on_the_cpu_or_where_asked():
    if not ember.cuda.is_available():
        pytest.skip("no CUDA device (nor the stand-in)")
    model = nn.Linear(3, 2).to("cuda")
    back = _roundtrip(model)
    assert back.weight.device.type == "cpu"
    back = _roundtrip(model, map_location="cuda")
    assert back.weight.device.type == "cuda" and isinstance(back.weight, nn.Parameter)
