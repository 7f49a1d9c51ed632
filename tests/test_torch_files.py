"""Files written by the real ``torch.save`` load in ember equal to what was saved: every
format PyTorch writes (the zip archive, the legacy stream, pickle protocols 1-5, the old tar
archive), every layer of the layer table (state dicts and whole modules), optimizers and
schedulers, dtypes, and views that share a storage."""
from __future__ import annotations

import io
import pickle
import struct
import tarfile
import zipfile

import numpy as np
import pytest

import ember
import ember.nn as enn

from .nn.layer_cases import LAYERS, layer_inputs

torch = pytest.importorskip("torch")
tnn = torch.nn

FORMATS = [pytest.param({}, id="zip"),
           pytest.param({"_use_new_zipfile_serialization": False}, id="legacy")]
PROTOCOLS = [pytest.param({"pickle_protocol": p, "_use_new_zipfile_serialization": z},
                          id=f"protocol{p}-{'zip' if z else 'legacy'}")
             for p in (1, 2, 3, 4, 5) for z in (True, False)]


def _saved(obj, **kw):
    buf = io.BytesIO()
    torch.save(obj, buf, **kw)
    return buf.getvalue()


def _load(data, **kw):
    return ember.load(io.BytesIO(data), **kw)


def _np(t):
    """Either library's tensor as a NumPy array, bit for bit (bfloat16 as its bits)."""
    if isinstance(t, torch.Tensor):
        t = t.detach()
        return t.view(torch.int16).numpy() if t.dtype == torch.bfloat16 else t.numpy()
    a = t.numpy()
    return a.view(np.int16) if a.dtype == ember.backend.BF16 else a


def _same(a, b, name=""):
    assert tuple(a.shape) == tuple(b.shape), name
    assert a.dtype == getattr(ember, str(b.dtype).replace("torch.", "")), name
    np.testing.assert_array_equal(_np(a), _np(b), err_msg=name)


def _unwrap(m):
    """The layer table wraps recurrent layers in a local class (which pickle cannot name)."""
    m = m.rnn if type(m).__name__ == "Output" else m
    if "<locals>" in type(m).__qualname__:
        pytest.skip("the layer table wraps this layer in a local class, which pickle (and so "
                    "torch.save) cannot name")
    return m


def _ember_module_of(torch_module: str) -> str:
    if torch_module.startswith("torchvision."):
        return "ember.vision." + torch_module[len("torchvision."):]
    return torch_module.replace("torch.", "ember.", 1)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("make,shapes,kind,train", LAYERS)
def test_every_layers_state_dict(make, shapes, kind, train, fmt):
    tm = make(tnn)
    sd = _load(_saved(tm.state_dict(), **fmt))
    want = tm.state_dict()
    assert list(sd) == list(want)
    for k, v in want.items():
        _same(sd[k], v, k)
    em = make(enn)
    em.load_state_dict(sd)  # the names and shapes are ember's layer's


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("make,shapes,kind,train", LAYERS)
def test_every_layer_as_a_whole_module(make, shapes, kind, train, fmt):
    """torch.save(layer) loads as ember's layer of the same class, computing the same."""
    tm = _unwrap(make(tnn)).train(train)
    try:
        data = _saved(tm, **fmt)
    except RuntimeError as exc:  # PyTorch's own refusal (parametrized modules)
        pytest.skip(f"torch.save refuses it: {str(exc).splitlines()[0]}")
    if any(hasattr(h, "n_power_iterations") or type(h).__name__ == "WeightNorm"
           for h in tm._forward_pre_hooks.values()):
        with pytest.raises(Exception, match="not an allowed global"):
            _load(data)
        return
    em = _load(data)
    assert type(em).__name__ == type(tm).__name__ and isinstance(em, enn.Module)
    assert type(em).__module__ == _ember_module_of(type(tm).__module__) or \
        type(em) is getattr(enn, type(tm).__name__)
    assert em.training == train
    for k, v in tm.state_dict().items():
        _same(em.state_dict()[k], v, k)
    fresh = _unwrap(make(enn))
    assert repr(em) == repr(fresh)  # the settings ember's own layer would have
    assert set(vars(em)) >= set(vars(fresh))  # every attribute ember's layer uses
    rng = np.random.default_rng(0)
    xs = layer_inputs(rng, shapes, kind)
    with torch.no_grad(), ember.no_grad():
        to = tm(*[torch.tensor(x, dtype=torch.float32) for x in xs])
        eo = em(*[ember.tensor(x, dtype=ember.float32) for x in xs])
    if isinstance(to, tuple):
        to, eo = to[0], eo[0]
    np.testing.assert_allclose(eo.numpy(), to.numpy(), rtol=2e-5, atol=2e-6)


def _transformers():
    return {
        "encoder_layer_relu": lambda nn: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0),
        "encoder_layer_gelu_fn": lambda nn: nn.TransformerEncoderLayer(
            8, 2, 16, dropout=0.0, activation=nn.functional.gelu, batch_first=True),
        "encoder_layer_tanh": lambda nn: nn.TransformerEncoderLayer(
            8, 2, 16, dropout=0.0, activation=(torch.tanh if nn is tnn else ember.tanh)),
        "decoder_layer_norm_first": lambda nn: nn.TransformerDecoderLayer(
            8, 2, 16, dropout=0.0, norm_first=True),
        "transformer": lambda nn: nn.Transformer(8, 2, 1, 1, 16, dropout=0.0),
        "multihead_attention": lambda nn: nn.MultiheadAttention(8, 2, kdim=4, vdim=4),
        "embedding": lambda nn: nn.Embedding(7, 3, padding_idx=0),
        "lstm_cell": lambda nn: nn.LSTMCell(3, 4),
    }


@pytest.mark.parametrize("name", list(_transformers()))
def test_transformers_and_their_activation_functions(name):
    make = _transformers()[name]
    tm = make(tnn).eval()
    em = _load(_saved(tm))
    assert type(em) is type(make(enn))
    rng = np.random.default_rng(1)
    if name == "embedding":
        args = [rng.integers(0, 7, (2, 5))]
    elif name == "lstm_cell":
        args = [rng.standard_normal((2, 3))]
    elif name == "multihead_attention":
        args = [rng.standard_normal((5, 2, 8)), rng.standard_normal((4, 2, 4)),
                rng.standard_normal((4, 2, 4))]
    elif name.startswith("decoder") or name == "transformer":
        args = [rng.standard_normal((5, 2, 8)), rng.standard_normal((4, 2, 8))]
    else:
        args = [rng.standard_normal((2, 5, 8))]
    with torch.no_grad(), ember.no_grad():
        to = tm(*[torch.tensor(a) if a.dtype.kind == "i" else torch.tensor(a).float()
                  for a in args])
        eo = em(*[ember.tensor(a) if a.dtype.kind == "i" else ember.tensor(a).float()
                  for a in args])
    to, eo = (to[0], eo[0]) if isinstance(to, tuple) else (to, eo)
    np.testing.assert_allclose(eo.numpy(), to.numpy(), rtol=1e-4, atol=1e-5)
    if name == "encoder_layer_gelu_fn":
        assert em.activation is enn.functional.gelu
    if name == "encoder_layer_tanh":
        assert em.activation is ember.tanh


@pytest.mark.parametrize("kw", PROTOCOLS)
def test_every_pickle_protocol_and_container(kw):
    obj = {"w": torch.arange(6.0).reshape(2, 3), "n": 3, "f": 0.5, "s": "text", "b": b"\x00\xff",
           "none": None, "flags": [True, False], "t": (1, (2, 3)), "set": {1, 2},
           "big": 2 ** 70, "neg": -(2 ** 40), "c": complex(1, 2),
           "size": torch.Size([2, 3]), "dtype": torch.float16, "device": torch.device("cpu")}
    back = _load(_saved(obj, **kw))
    _same(back["w"], obj["w"])
    for k in ("n", "f", "s", "b", "none", "flags", "t", "set", "big", "neg", "c"):
        assert back[k] == obj[k] and type(back[k]) is type(obj[k]), k
    assert back["size"] == (2, 3) and isinstance(back["size"], ember.Size)
    assert back["dtype"] is ember.float16 and back["device"] == ember.device("cpu")


@pytest.mark.parametrize("fmt", FORMATS)
def test_dtypes_come_back(fmt):
    obj = {str(dt): torch.tensor([0, 1, 2, 127], dtype=dt) for dt in (
        torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.int8, torch.uint8,
        torch.int16, torch.int32, torch.int64)}
    obj["bool"] = torch.tensor([True, False, True])
    obj["scalar"] = torch.tensor(2.5, dtype=torch.float64)
    obj["empty"] = torch.zeros(0, 3)
    back = _load(_saved(obj, **fmt))
    for k, v in obj.items():
        _same(back[k], v, k)


def test_a_dtype_ember_does_not_have_is_named():
    for dt in (torch.complex32, torch.uint16, torch.float8_e4m3fn):
        with pytest.raises(RuntimeError, match=f"torch.{str(dt)[6:]}.*ember does not have"):
            _load(_saved({"x": torch.zeros(2, dtype=dt)}))


@pytest.mark.parametrize("fmt", FORMATS)
def test_views_share_their_storage(fmt):
    base = torch.arange(24.0).reshape(4, 6)
    obj = {"base": base, "t": base.t(), "strided": base[1:, ::2], "row": base[2],
           "expanded": base[0, :1].expand(3, 5), "other": torch.ones(3)}
    back = _load(_saved(obj, **fmt))
    for k, v in obj.items():
        _same(back[k], v, k)
        assert back[k].stride() == v.stride(), k
    back["base"][2, 2] = -1.0  # one storage: every view sees the write
    assert back["t"][2, 2].item() == -1.0 and back["strided"][1, 1].item() == -1.0
    assert back["row"][2].item() == -1.0
    assert back["other"].tolist() == [1.0, 1.0, 1.0]


def test_parameters_and_tied_weights_stay_shared():
    emb = tnn.Embedding(5, 3)
    dec = tnn.Linear(3, 5)
    dec.weight = emb.weight
    back = _load(_saved({"emb": emb, "dec": dec, "p": emb.weight}))
    assert back["dec"].weight is back["emb"].weight is back["p"]
    assert isinstance(back["p"], enn.Parameter) and back["p"].requires_grad
    frozen = _load(_saved(tnn.Parameter(torch.ones(2), requires_grad=False)))
    assert isinstance(frozen, enn.Parameter) and not frozen.requires_grad
    t = torch.ones(2, requires_grad=True)
    assert _load(_saved(t)).requires_grad


def test_tensor_with_python_attributes():
    t = torch.ones(2)
    t.note = "kept"
    back = _load(_saved(t))
    assert back.note == "kept" and back.tolist() == [1.0, 1.0]
    p = tnn.Parameter(torch.ones(2))
    p.tag = "p"  # written with _rebuild_parameter_with_state
    back = _load(_saved(p))
    assert isinstance(back, enn.Parameter) and back.tag == "p"


@pytest.mark.parametrize("opt_name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_optimizer_and_scheduler_state_dicts(opt_name):
    torch.manual_seed(0)
    net = tnn.Sequential(tnn.Linear(3, 4), tnn.ReLU(), tnn.Linear(4, 1))
    kw = {"momentum": 0.9} if opt_name in ("SGD", "RMSprop") else {}
    opt = getattr(torch.optim, opt_name)(net.parameters(), lr=0.1, **kw)
    sched = torch.optim.lr_scheduler.StepLR(opt, 2, 0.5)
    for _ in range(3):
        opt.zero_grad()
        net(torch.randn(8, 3)).pow(2).mean().backward()
        opt.step()
        sched.step()
    ck = {"model": net.state_dict(), "optimizer": opt.state_dict(),
          "scheduler": sched.state_dict(), "epoch": 3}
    back = _load(_saved(ck))
    want = opt.state_dict()
    assert back["optimizer"]["param_groups"] == want["param_groups"]
    assert sorted(back["optimizer"]["state"]) == sorted(want["state"])
    for i, st in want["state"].items():
        for k, v in st.items():
            if isinstance(v, torch.Tensor):
                _same(back["optimizer"]["state"][i][k], v, f"state[{i}][{k}]")
            else:
                assert back["optimizer"]["state"][i][k] == v
    assert back["scheduler"] == sched.state_dict() and back["epoch"] == 3
    # and ember's optimizer takes it
    enet = enn.Sequential(enn.Linear(3, 4), enn.ReLU(), enn.Linear(4, 1))
    enet.load_state_dict(back["model"])
    eopt = getattr(ember.optim, opt_name)(enet.parameters(), lr=0.1, **kw)
    eopt.load_state_dict(back["optimizer"])
    esched = ember.optim.lr_scheduler.StepLR(eopt, 2, 0.5)
    esched.load_state_dict(back["scheduler"])
    assert esched.get_last_lr() == sched.get_last_lr()


def test_nested_containers_and_numpy_values():
    ck = {"runs": [{"loss": torch.tensor([0.5, 0.25]), "tags": ("a", "b")}],
          "stats": {"mean": np.float64(0.5), "hist": np.arange(4, dtype=np.int32)}}
    data = _saved(ck)
    with pytest.raises(RuntimeError, match="Unsupported global.*numpy"):
        _load(data)  # as torch.load: NumPy values need weights_only=False or an allow-list
    back = _load(data, weights_only=False)
    _same(back["runs"][0]["loss"], ck["runs"][0]["loss"])
    assert back["runs"][0]["tags"] == ("a", "b")
    assert back["stats"]["mean"] == 0.5 and isinstance(back["stats"]["mean"], np.float64)
    np.testing.assert_array_equal(back["stats"]["hist"], np.arange(4, dtype=np.int32))
    assert back["stats"]["hist"].dtype == np.int32
    with ember.serialization.safe_globals([np.dtype, np.ndarray, np.dtypes.Float64DType,
                                           np.dtypes.Int32DType,
                                           (np.ndarray, "numpy._core.multiarray._reconstruct"),
                                           (np.ndarray, "numpy._core.multiarray.scalar")]):
        assert _load(data)["stats"]["mean"] == 0.5


def test_argparse_namespace_with_weights_only_false():
    import argparse

    ck = {"args": argparse.Namespace(lr=0.1, arch="resnet18"), "w": torch.ones(1)}
    data = _saved(ck)
    with pytest.raises(RuntimeError, match="argparse.Namespace"):
        _load(data)
    back = _load(data, weights_only=False)
    assert isinstance(back["args"], argparse.Namespace) and back["args"].lr == 0.1
    with ember.serialization.safe_globals([argparse.Namespace]):
        assert _load(data)["args"].arch == "resnet18"


def test_map_location_forms(tmp_path):
    base = torch.arange(3.0)
    data = _saved({"w": base, "v": base[1:]})
    seen = []

    def keep(storage, location):
        seen.append((tuple(storage.shape), location))
        return storage

    for loc in [None, "cpu", ember.device("cpu"), {"cpu": "cpu"}, keep,
                lambda storage, location: None]:
        back = _load(data, map_location=loc)
        assert back["w"].tolist() == [0.0, 1.0, 2.0] and back["v"].tolist() == [1.0, 2.0]
    assert seen == [((3,), "cpu")]
    cuda_file = _rezip(data, {"archive/data.pkl": _records(data)["archive/data.pkl"].replace(
        b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")})
    assert _load(cuda_file, map_location="cpu")["w"].tolist() == [0.0, 1.0, 2.0]
    assert _load(cuda_file, map_location={"cuda:0": "cpu"})["w"].device.type == "cpu"
    if ember.cuda.is_available():  # the CUDA stand-in on machines without a GPU
        back = _load(cuda_file)
        assert back["w"].device.type == "cuda" and back["v"].tolist() == [1.0, 2.0]
        back["w"][1] = 9.0
        assert back["v"][0].item() == 9.0  # still one storage on the device
    with pytest.raises(TypeError, match="map_location"):
        _load(data, map_location=3.5)
    mps_file = _rezip(data, {"archive/data.pkl": _records(data)["archive/data.pkl"].replace(
        b"X\x03\x00\x00\x00cpu", b"X\x03\x00\x00\x00mps")})
    with pytest.raises(RuntimeError, match="'mps'.*map_location='cpu'"):
        _load(mps_file)


def test_mmap(tmp_path):
    path = tmp_path / "w.pt"
    torch.save({"w": torch.arange(1000.0), "b": torch.ones(3, dtype=torch.bfloat16)}, path)
    back = ember.load(path, mmap=True)
    assert back["w"][999].item() == 999.0 and back["b"].dtype == ember.bfloat16
    back["w"][0] = 5.0  # copy-on-write: the file is not changed
    assert torch.load(path)["w"][0].item() == 0.0
    with pytest.raises(ValueError, match="file path"):
        ember.load(io.BytesIO(path.read_bytes()), mmap=True)
    torch.save({"w": torch.ones(2)}, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="mmap can only be used"):
        ember.load(tmp_path / "old.pt", mmap=True)
    ember.save({"w": ember.arange(5)}, tmp_path / "e.safetensors")
    assert ember.load(tmp_path / "e.safetensors", mmap=True)["w"].tolist() == [0, 1, 2, 3, 4]


def test_load_arguments_as_pytorch():
    data = _saved({"w": torch.ones(1)})
    with pytest.raises(NotImplementedError, match="pickle_module"):
        _load(data, pickle_module=pickle)
    with pytest.raises(TypeError, match="unexpected keyword"):
        _load(data, unknown=1)
    assert _load(data, encoding="latin1")["w"].tolist() == [1.0]


def test_python2_strings_follow_encoding():
    # a legacy-format file whose pickle spells a key as a Python 2 byte string (BINSTRING)
    head = b"".join(pickle.dumps(v, 2) for v in (0x1950A86A20F9469CFC6C, 1001, {}))
    body = b"\x80\x02}q\x00U\x04caf\xe9K\x01s." + pickle.dumps([], 2)
    assert list(_load(head + body, encoding="latin1")) == ["caf\xe9"]
    assert list(_load(head + body, encoding="bytes")) == [b"caf\xe9"]
    with pytest.raises(RuntimeError, match="UnicodeDecodeError"):
        _load(head + body, encoding="ascii")


def _records(data):
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def _rezip(data, replace):
    recs = _records(data)
    recs.update(replace)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for n, d in recs.items():
            z.writestr(n, d)
    return out.getvalue()


def test_big_endian_files():
    data = _saved({"w": torch.arange(4.0), "i": torch.tensor([1, -2], dtype=torch.int16)})
    recs = _records(data)
    swapped = {"archive/byteorder": b"big"}
    for name, d in recs.items():
        if name.startswith("archive/data/"):
            dt = ">f4" if len(d) == 16 else ">i2"
            swapped[name] = np.frombuffer(d, dt.replace(">", "<")).astype(dt).tobytes()
    back = _load(_rezip(data, swapped))
    assert back["w"].tolist() == [0.0, 1.0, 2.0, 3.0] and back["i"].tolist() == [1, -2]


def test_old_tar_format():
    """PyTorch's first file format (read by torch.load's tar branch), built here byte for
    byte: 'storages', 'tensors' and 'pickle' members."""
    w = np.arange(6, dtype=np.float32)
    storages = pickle.dumps(1, 2) + pickle.dumps(("s0", "cpu", torch.FloatStorage), 2) + \
        struct.pack("<q", 6) + w.tobytes() + pickle.dumps([], 2)
    tensors = pickle.dumps(2, 2)
    for key, size, stride, offset in (("t0", (2, 3), (3, 1), 0), ("t1", (3,), (2,), 1)):
        tensors += pickle.dumps((key, "s0", torch.FloatTensor), 2)
        tensors += struct.pack("<ii", len(size), 0) + struct.pack(f"<{len(size)}q", *size)
        tensors += struct.pack(f"<{len(stride)}q", *stride) + struct.pack("<q", offset)

    class Ref:  # a persistent id in the main pickle: the tensor's key
        def __init__(self, key):
            self.key = key

    class P(pickle.Pickler):
        def persistent_id(self, obj):
            return obj.key if isinstance(obj, Ref) else None

    main = io.BytesIO()
    P(main, 2).dump({"weight": Ref("t0"), "view": Ref("t1"), "epoch": 7})
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, payload in (("storages", storages), ("tensors", tensors),
                              ("pickle", main.getvalue())):
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    back = _load(buf.getvalue())
    assert back["epoch"] == 7 and back["weight"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert back["view"].tolist() == [1.0, 3.0, 5.0]
    back["weight"][0, 1] = 10.0
    assert back["view"][0].item() == 10.0  # the two tensors share their storage


def test_whole_module_of_a_user_class_needs_safe_globals():
    data = _saved(_UserNet())
    with pytest.raises(RuntimeError, match=r"Unsupported global: GLOBAL "
                                           r"tests\.test_torch_files\._UserNet.*safe_globals"):
        _load(data)
    with ember.serialization.safe_globals([_EmberUserNet_as_torch_path()]):
        net = _load(data)
    assert isinstance(net, _EmberUserNet) and net.scale == 3.0 and net.tag == "x"
    assert isinstance(net.fc, enn.Linear) and net.fc.weight is net.tied
    x = np.ones((2, 4), np.float32)
    with torch.no_grad():
        want = _UserNet.forward(_load_torch(data), torch.tensor(x)).numpy()
    np.testing.assert_allclose(net(ember.tensor(x)).detach().numpy(), want, rtol=1e-6)


class _UserNet(tnn.Module):
    def __init__(self):
        super().__init__()
        self.fc = tnn.Linear(4, 2)
        self.tied = self.fc.weight
        self.scale, self.tag = 3.0, "x"

    def forward(self, x):
        return self.fc(x) * self.scale


class _EmberUserNet(enn.Module):
    def forward(self, x):
        return self.fc(x) * self.scale


def _EmberUserNet_as_torch_path():
    # the class the program allows under the name its file uses (PyTorch's tuple form)
    return (_EmberUserNet, "tests.test_torch_files._UserNet")


def _load_torch(data):
    with torch.serialization.safe_globals([_UserNet, tnn.Linear]):
        return torch.load(io.BytesIO(data))


def test_the_interpreter_never_uses_pythons_unpickler(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("Python's unpickler was used")

    for name in ("load", "loads", "Unpickler", "_Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    import _pickle

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(_pickle, name, refuse)
    for fmt in ({}, {"_use_new_zipfile_serialization": False}):
        assert _load(_saved(tnn.Linear(2, 2), **fmt)).weight.shape == (2, 2)


def test_convert_command(tmp_path, capsys):
    from ember.cli import main

    torch.save({"state_dict": tnn.Linear(2, 3).state_dict(), "epoch": 4}, tmp_path / "ck.pt")
    assert main(["convert", str(tmp_path / "ck.pt"), str(tmp_path / "sd.safetensors"),
                 "--key", "state_dict"]) == 0
    assert "2 tensors" in capsys.readouterr().out
    st = pytest.importorskip("safetensors.torch")
    assert sorted(st.load_file(str(tmp_path / "sd.safetensors"))) == ["bias", "weight"]
    assert main(["convert", str(tmp_path / "ck.pt"), str(tmp_path / "all.safetensors")]) == 0
    assert ember.load(tmp_path / "all.safetensors")["epoch"] == 4
    with pytest.raises(SystemExit, match="no key 'model'"):
        main(["convert", str(tmp_path / "ck.pt"), str(tmp_path / "x.st"), "--key", "model"])
    (tmp_path / "evil.pt").write_bytes(_rezip(_saved({"w": torch.ones(1)}), {
        "archive/data.pkl": b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00ls\x85R."}))
    assert main(["convert", str(tmp_path / "evil.pt"), str(tmp_path / "e.st")]) == 1
    err = capsys.readouterr().err
    assert "Unsupported global: GLOBAL os.system" in err and err.count("\n") == 1
    assert not (tmp_path / "e.st").exists()
