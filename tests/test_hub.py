"""``ember.hub`` and pretrained weights: PyTorch's cache layout, downloads from a local HTTP
server (hash-prefix check, temporary file, progress bar), offline use of cached files, the one
line that names the file to fetch when there is no network, and torchvision's builders with
``weights=`` / ``pretrained=`` computing as torchvision's models do."""
from __future__ import annotations

import functools
import hashlib
import http.server
import io
import os
import threading
import urllib.error
import urllib.request
import warnings
import zipfile

import numpy as np
import pytest

import ember
from ember import hub
from ember.vision import models as VM
from ember.vision.models._weights import WeightsEnum, builder, imagenet_weights


@pytest.fixture
def caches(tmp_path, monkeypatch):
    """PyTorch's and ember's caches in a temporary folder (and no set_dir override)."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("EMBER_DATA", str(tmp_path / "ember"))
    monkeypatch.setattr(hub, "_hub_dir", None)
    return tmp_path


@pytest.fixture
def offline(monkeypatch):
    def refuse(*a, **k):
        raise urllib.error.URLError("Temporary failure in name resolution")
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """A local HTTP server over ``tmp_path/served`` (standard library, 127.0.0.1)."""
    root = tmp_path / "served"
    root.mkdir()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                            functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _torch_file(path, obj, **kw):
    torch = pytest.importorskip("torch")
    torch.save(obj, path, **kw)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tiny_state(prefix=""):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    return {prefix + k: v for k, v in torch.nn.Linear(3, 2).state_dict().items()}


def test_cache_folders_are_pytorchs(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(hub, "_hub_dir", None)
    monkeypatch.setattr(torch.hub, "_hub_dir", None)
    for env in ({"TORCH_HOME": str(tmp_path / "th")}, {"XDG_CACHE_HOME": str(tmp_path / "x")},
                {}):
        for k in ("TORCH_HOME", "XDG_CACHE_HOME"):
            monkeypatch.delenv(k, raising=False)
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        assert hub.get_dir() == torch.hub.get_dir()
    hub.set_dir(tmp_path / "mine")
    assert hub.get_dir() == str(tmp_path / "mine")


def test_download_check_hash_and_offline_cache(caches, server):
    root, url = server
    digest = _torch_file(root / "w.pth", _tiny_state())
    name = f"tiny-{digest[:10]}.pth"
    os.rename(root / "w.pth", root / name)
    sd = hub.load_state_dict_from_url(f"{url}/{name}", check_hash=True, progress=False)
    assert list(sd) == ["weight", "bias"]
    cached = caches / "torch" / "hub" / "checkpoints" / name
    assert cached.exists() and os.listdir(cached.parent) == [name]  # no partial file left
    os.remove(root / name)  # the server no longer has it: the cache serves, offline
    again = hub.load_state_dict_from_url(f"{url}/{name}", check_hash=True)
    np.testing.assert_array_equal(again["weight"].numpy(), sd["weight"].numpy())
    (root / "w.pth").write_bytes(cached.read_bytes())
    other = caches / "elsewhere"
    got = hub.load_state_dict_from_url(f"{url}/w.pth", model_dir=other, file_name="x.pth",
                                       map_location="cpu", weights_only=True, progress=False)
    assert list(got) == ["weight", "bias"] and os.listdir(other) == ["x.pth"]


def test_a_wrong_hash_keeps_nothing(caches, server):
    root, url = server
    _torch_file(root / "tiny-deadbeef.pth", _tiny_state())
    with pytest.raises(RuntimeError, match=r'invalid hash value \(expected "deadbeef", got '):
        hub.load_state_dict_from_url(f"{url}/tiny-deadbeef.pth", check_hash=True,
                                     progress=False)
    folder = caches / "torch" / "hub" / "checkpoints"
    assert os.listdir(folder) == []
    sd = hub.load_state_dict_from_url(f"{url}/tiny-deadbeef.pth", progress=False)
    assert list(sd) == ["weight", "bias"]  # check_hash=False, as PyTorch's default


def test_download_url_to_file_and_progress(tmp_path, server, capsys):
    root, url = server
    (root / "blob.bin").write_bytes(bytes(range(256)) * 400)
    want = hashlib.sha256((root / "blob.bin").read_bytes()).hexdigest()
    hub.download_url_to_file(f"{url}/blob.bin", tmp_path / "out.bin", hash_prefix=want[:12],
                             progress=True)
    assert (tmp_path / "out.bin").read_bytes() == (root / "blob.bin").read_bytes()
    assert "100%" in capsys.readouterr().err  # the bar, on stderr
    hub.download_url_to_file(f"{url}/blob.bin", tmp_path / "quiet.bin", progress=False)
    assert capsys.readouterr().err == ""
    with pytest.raises(urllib.error.HTTPError):
        hub.download_url_to_file(f"{url}/missing.bin", tmp_path / "none.bin", progress=False)
    assert sorted(os.listdir(tmp_path)) == ["out.bin", "quiet.bin", "served"]
    hub.download_url_to_file((root / "blob.bin").as_uri(), tmp_path / "file.bin",
                             progress=False)  # a file:// URL
    assert (tmp_path / "file.bin").stat().st_size == 102400


def test_no_network_is_one_line_naming_what_to_fetch(caches, offline):
    with pytest.raises(urllib.error.URLError) as info:
        hub.load_state_dict_from_url("https://example.org/models/net-0123abcd.pth")
    msg = str(info.value)
    want = caches / "torch" / "hub" / "checkpoints" / "net-0123abcd.pth"
    assert "\n" not in msg and "net-0123abcd.pth is not on this machine" in msg
    assert "download https://example.org/models/net-0123abcd.pth" in msg and str(want) in msg
    assert os.listdir(want.parent) == []


def test_a_legacy_hub_zip(caches, server):
    """Hub files zipped by hand before PyTorch 1.6: one member, read without extracting."""
    root, url = server
    inner = io.BytesIO()
    pytest.importorskip("torch").save(_tiny_state(), inner,
                                      _use_new_zipfile_serialization=False)
    with zipfile.ZipFile(root / "old.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("../escape/old.pth", inner.getvalue())
    sd = hub.load_state_dict_from_url(f"{url}/old.zip", progress=False)
    assert list(sd) == ["weight", "bias"]
    assert os.listdir(caches / "torch" / "hub" / "checkpoints") == ["old.zip"]
    assert not (caches / "torch" / "hub" / "escape").exists()


def test_hub_load_list_help_are_refused():
    for fn, args in ((hub.load, ("pytorch/vision", "resnet18")), (hub.list, ("pytorch/vision",)),
                     (hub.help, ("pytorch/vision", "resnet18"))):
        with pytest.raises(NotImplementedError, match="runs its hubconf.py.*never runs code"):
            fn(*args)


# ---------------------------------------------------------------------------- pretrained


class _Tiny(ember.nn.Module):
    def __init__(self, num_classes=2):
        super().__init__()
        self.fc = ember.nn.Linear(3, num_classes)

    def forward(self, x):
        return self.fc(x)


def _tiny_weights(url):
    class Tiny_Weights(WeightsEnum):
        V1 = imagenet_weights(url, 8, 1.0, 2.0, 0.0, 0.0, "recipe", categories=["a", "b"])
        DEFAULT = V1

    @builder(Tiny_Weights, legacy=Tiny_Weights.V1)
    def tiny(**kw):
        return _Tiny(**kw)
    return Tiny_Weights, tiny


def test_the_weights_mechanism(caches, server, monkeypatch):
    root, url = server
    digest = _torch_file(root / "w.pth", _tiny_state("fc."))
    name = f"tiny-{digest[:8]}.pth"
    os.rename(root / "w.pth", root / name)
    weights, tiny = _tiny_weights(f"{url}/{name}")
    model = tiny(weights="DEFAULT", progress=False)  # downloaded into PyTorch's cache
    torch_path = caches / "torch" / "hub" / "checkpoints" / name
    assert torch_path.exists() and model.fc.out_features == 2
    np.testing.assert_array_equal(model.fc.weight.detach().numpy(),
                                  _tiny_state()["weight"].numpy())  # the file's
    os.remove(root / name)
    assert tiny(weights=weights.V1).fc.bias.shape == (2,)  # offline, from the cache
    ember_dir = caches / "ember" / "checkpoints"
    ember_dir.mkdir(parents=True)
    os.replace(torch_path, ember_dir / name)  # only in ember's cache now
    assert tiny(weights=weights.DEFAULT).fc.weight.shape == (2, 3)
    (ember_dir / name).write_bytes(b"corrupt")  # a file that is not the published one
    with pytest.raises(RuntimeError, match=f"SHA-256 .* does not start with {digest[:8]}"):
        tiny(weights=weights.DEFAULT)
    with pytest.raises(ValueError, match="The parameter 'num_classes' expected value 2 but "
                                         "got 5 instead."):
        tiny(weights=weights.DEFAULT, num_classes=5)
    with pytest.raises(TypeError, match="expected Tiny_Weights but received"):
        tiny(weights=VM.ResNet18_Weights.DEFAULT)
    os.remove(ember_dir / name)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(urllib.error.URLError, match=f"download {url}/{name}"):
            tiny(pretrained=True)
    assert "'pretrained' is deprecated" in str(seen[0].message)
    assert "equivalent to passing `weights=Tiny_Weights.V1`" in str(seen[1].message)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert tiny(pretrained=False).fc.out_features == 2
    assert "weights=None" in str(seen[-1].message)


def test_enums_are_torchvisions():
    tv = pytest.importorskip("torchvision")
    for name in VM.__all__:
        if name.endswith("_Weights"):
            ours, theirs = getattr(VM, name), getattr(tv.models, name)
            assert [m.name for m in ours] == [m.name for m in theirs], name
            for member in ours:
                other = theirs[member.name]
                assert member.url == other.url and repr(member) == repr(other)
                assert member.meta["categories"] == other.meta["categories"]
                for k in ("num_params", "min_size", "_ops", "_file_size"):
                    assert member.meta[k] == other.meta[k], (name, k)
            assert ours.DEFAULT.name == theirs.DEFAULT.name


def test_transforms_build_the_weights_preset():
    preset = VM.ResNet50_Weights.DEFAULT.transforms()
    assert (preset.resize_size, preset.crop_size) == ([232], [224])
    out = preset((ember.rand(3, 250, 300) * 255).to(ember.uint8))
    assert out.shape == (3, 224, 224) and out.dtype == ember.float32


def _place(caches, url, state):
    path = caches / "torch" / "hub" / "checkpoints" / url.rsplit("/", 1)[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    pytest.importorskip("torch").save(state, path)


@pytest.mark.parametrize("arch", ["resnet18", "googlenet"])
def test_pretrained_builders_compute_as_torchvision(arch, caches, monkeypatch):
    """torchvision's weight file (here one torchvision's own model wrote, as the published
    one cannot be downloaded in tests) gives ember's model torchvision's outputs."""
    torch = pytest.importorskip("torch")
    tv = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    if arch == "googlenet":
        tmodel = tv.models.GoogLeNet(aux_logits=True, transform_input=True, init_weights=True)
    else:
        tmodel = tv.models.resnet18()
    with torch.no_grad():  # running statistics that are not the identity
        for m in tmodel.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    weights = getattr(VM, {"resnet18": "ResNet18_Weights",
                           "googlenet": "GoogLeNet_Weights"}[arch]).DEFAULT
    _place(caches, weights.url, tmodel.state_dict())
    prefix = weights.url.rsplit("-", 1)[1].split(".")[0]
    monkeypatch.setattr(hub, "file_sha256", lambda path: prefix + "0" * (64 - len(prefix)))
    ours = getattr(VM, arch)(weights=weights).eval()
    tmodel.eval()
    x = np.random.default_rng(0).standard_normal((2, 3, 64, 64)).astype(np.float32)
    with torch.no_grad(), ember.no_grad():
        want = tmodel(torch.tensor(x)).numpy()
        got = ours(ember.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        getattr(VM, arch)(pretrained=True)
    assert len(seen) == 2 and str(seen[0].message).startswith("The parameter 'pretrained'")
    assert f"weights={type(weights).__name__}.IMAGENET1K_V1`" in str(seen[1].message)
    if arch == "googlenet":  # the file's auxiliary classifiers: dropped unless asked for
        assert ours.aux1 is None and ours.aux2 is None and not ours.aux_logits
        with pytest.warns(UserWarning, match="auxiliary heads in the pretrained googlenet"):
            kept = VM.googlenet(weights=weights, aux_logits=True)
        assert kept.aux_logits and type(kept.aux1).__name__ == "InceptionAux"


@pytest.mark.parametrize("arch,file", [
    ("resnet34", "resnet34-b627a593.pth"), ("resnet50", "resnet50-11ad3fa6.pth"),
    ("alexnet", "alexnet-owt-7be5be79.pth"), ("vgg11", "vgg11-8a719046.pth"),
    ("vgg16_bn", "vgg16_bn-6c64b313.pth"), ("vgg19", "vgg19-dcbb9e9d.pth")])
def test_every_builder_names_torchvisions_file(arch, file, caches, offline):
    with pytest.raises(urllib.error.URLError) as info:
        getattr(VM, arch)(weights="DEFAULT")
    msg = str(info.value)
    assert f"download https://download.pytorch.org/models/{file}" in msg
    assert str(caches / "torch" / "hub" / "checkpoints" / file) in msg
    assert str(caches / "ember" / "checkpoints" / file) in msg


def test_builder_errors_match_torchvision(caches, offline):
    tv = pytest.importorskip("torchvision")
    for lib in (VM, tv.models):
        with pytest.raises(ValueError, match="The parameter 'num_classes' expected value 1000 "
                                             "but got 10 instead."):
            lib.resnet18(weights=lib.ResNet18_Weights.DEFAULT, num_classes=10)
        with pytest.raises(KeyError):
            lib.resnet18(weights="NOT_A_WEIGHT")
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        VM.resnet18(pretrained=False)
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        tv.models.resnet18(pretrained=False)
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
