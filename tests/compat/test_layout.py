"""The module layout PyTorch programs import: each name is looked up in ember and in PyTorch
and used the same way."""
from __future__ import annotations

import importlib
import inspect

import numpy as np
import pytest

import ember

from ._libs import LIBS, needs_torch, torch
from ._libs import as_np as _np


@pytest.mark.parametrize("m", LIBS)
def test_device_flags(m):
    t = m.ones(2)
    assert t.is_cpu and not t.is_cuda and not t.is_xpu and not t.is_mps and not t.is_meta
    assert not t.is_sparse and not t.is_quantized and not t.is_complex()


@pytest.mark.parametrize("m", LIBS)
def test_backends_flags(m):
    m.backends.cudnn.benchmark = True
    assert m.backends.cudnn.benchmark is True
    m.backends.cudnn.benchmark = False
    assert m.backends.mps.is_available() is False and m.backends.mps.is_built() in (True, False)


@pytest.mark.parametrize("m", LIBS)
def test_data_parallel_on_one_device_is_the_module(m):
    m.manual_seed(0)
    lin = m.nn.Linear(3, 2)
    dp = m.nn.parallel.DataParallel(lin)
    x = m.ones(4, 3)
    np.testing.assert_allclose(dp(x).detach().numpy(), lin(x).detach().numpy())
    assert dp.module is lin and list(dp.state_dict()) == ["module.weight", "module.bias"]
    if m is ember:  # PyTorch's functional form wants a CUDA device
        assert tuple(m.nn.parallel.data_parallel(lin, x).shape) == (4, 2)


def test_data_parallel_over_several_devices_is_refused():
    with pytest.raises(NotImplementedError, match="not supported by ember"):
        ember.nn.parallel.DataParallel(ember.nn.Linear(2, 2), device_ids=[0, 1])


def test_onnx_export_says_not_supported():
    with pytest.raises(NotImplementedError, match="not supported by ember"):
        ember.onnx.export(ember.nn.Linear(2, 2), ember.ones(1, 2), "model.onnx")


def test_compile_and_jit_return_what_they_get():
    lin = ember.nn.Linear(2, 2)

    def f(x):
        return x * 2
    assert ember.compile(lin) is lin and ember.compile(f) is f
    assert ember.compile(mode="max-autotune")(f) is f and ember.compiler.is_compiling() is False
    assert ember.jit.script(f) is f and ember.jit.trace(lin, ember.ones(1, 2)) is lin
    assert tuple(ember.compile(lin)(ember.ones(3, 2)).shape) == (3, 2)
    with pytest.raises(NotImplementedError, match="not supported by ember"):
        ember.jit.save(lin, "m.pt")


@pytest.mark.parametrize("m", LIBS)
def test_num_threads(m):
    before = m.get_num_threads()
    m.set_num_threads(1)
    assert m.get_num_threads() == 1
    m.set_num_threads(before)
    assert m.get_num_threads() == before


def test_set_num_threads_limits_numpy_blas():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        blas = [p for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
        assert blas and all(p["num_threads"] == 1 for p in blas)
    finally:
        ember.set_num_threads(before)
    with pytest.raises(ValueError, match="positive integer"):
        ember.set_num_threads(0)


@pytest.mark.parametrize("m", LIBS)
def test_legacy_typed_constructors(m):
    assert m.FloatTensor(2, 3).dtype == m.float32 and tuple(m.FloatTensor(2, 3).shape) == (2, 3)
    assert m.LongTensor([1.7, 2]).tolist() == [1, 2] and m.LongTensor([1]).dtype == m.int64
    assert m.DoubleTensor(np.array([1, 2])).dtype == m.float64
    assert m.ByteTensor([1]).dtype == m.uint8 and m.BoolTensor([1, 0]).tolist() == [True, False]
    assert tuple(m.IntTensor(m.Size([2])).shape) == (2,)
    assert isinstance(m.ones(2), m.FloatTensor) and not isinstance(m.ones(2), m.LongTensor)
    x = m.ones(2)
    assert x.type() == f"{m.__name__}.FloatTensor"
    assert x.type(m.LongTensor).dtype == m.int64
    assert x.type(f"{m.__name__}.DoubleTensor").dtype == m.float64
    assert x.type(m.float16).dtype == m.float16
    with pytest.raises(TypeError):
        m.LongTensor(m.ones(2))


@pytest.mark.parametrize("m", LIBS)
def test_get_worker_info(m):
    from_lib = importlib.import_module(f"{m.__name__}.utils.data")
    assert from_lib.get_worker_info() is None

    class Stream(from_lib.IterableDataset):
        def __iter__(self):
            info = from_lib.get_worker_info()
            lo, step = (0, 1) if info is None else (info.id, info.num_workers)
            return iter([(i, info.id, info.num_workers) for i in range(lo, 8, step)])

    rows = [tuple(int(v) for v in r) for batch in from_lib.DataLoader(
        Stream(), batch_size=2, num_workers=1) for r in zip(*batch)]
    assert sorted(r[0] for r in rows) == list(range(8))  # every item once
    assert {r[1:] for r in rows} == {(0, 1)}


@pytest.mark.parametrize("m", LIBS)
def test_torchvision_style_model_builders(m):
    models = ember.models if m is ember else pytest.importorskip("torchvision").models
    net = models.resnet18(weights=None, num_classes=10)
    assert net.fc.out_features == 10 and [n for n, _ in net.named_children()][:2] == ["conv1",
                                                                                     "bn1"]
    assert models.vgg11(weights=None, num_classes=3).classifier[-1].out_features == 3


def test_pretrained_weights_offline_are_a_clear_error(tmp_path, monkeypatch):
    import urllib.error
    import urllib.request

    def offline(*a, **k):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setenv("EMBER_DATA", str(tmp_path))
    with pytest.raises(urllib.error.URLError, match="resnet18-f37072fd.pth is not on this "
                                                    "machine and cannot be downloaded"):
        ember.models.resnet18(weights="IMAGENET1K_V1")
    with pytest.warns(UserWarning), pytest.raises(urllib.error.URLError,
                                                  match="alexnet-owt-7be5be79.pth"):
        ember.models.alexnet(pretrained=True)


@needs_torch
def test_every_nn_class_is_where_pytorch_keeps_it():
    """``torch.nn.modules.<file>.<Class>`` paths (pickled-model allow lists name them)."""
    missing = []
    for name, obj in inspect.getmembers(ember.nn, inspect.isclass):
        if hasattr(torch.nn, name):
            path = getattr(torch.nn, name).__module__.replace("torch.", "ember.", 1)
            mod = importlib.import_module(path) if importlib.util.find_spec(path) else None
            if mod is None or getattr(mod, name, None) is not obj:
                missing.append(f"{path}.{name}")
    assert not missing


@pytest.mark.parametrize("m", LIBS)
def test_other_device_types_can_be_named(m):
    assert str(m.device("mps")) == "mps" and m.device("xpu", 0).type == "xpu"
    device = m.device("mps" if m.backends.mps.is_available() else "cpu")
    assert tuple(m.ones(2).to(device).shape) == (2,)


def test_using_an_unsupported_device_says_so():
    with pytest.raises(RuntimeError, match="'mps' is not supported by ember"):
        ember.ones(2).to("mps")
    with pytest.raises(RuntimeError, match="'xpu' is not supported by ember"):
        ember.zeros(2, device="xpu")


@pytest.mark.parametrize("m", LIBS)
def test_bfloat16_stores_and_converts(m, tmp_path):
    x = m.tensor([1.5, 2.25, 3.1, -7.0])
    b = x.to(m.bfloat16)
    assert b.dtype == m.bfloat16 and b.is_floating_point() and b.element_size() == 2
    assert _np(b.float()).tolist() == [1.5, 2.25, 3.09375, -7.0]  # 8 bits of mantissa
    assert (b + x).dtype == m.float32 and (b * 2).dtype == m.bfloat16
    assert repr(b).endswith(f"dtype={m.__name__}.bfloat16)")
    m.save({"b": b}, str(tmp_path / "b.pt"))
    back = m.load(str(tmp_path / "b.pt"))["b"]
    assert back.dtype == m.bfloat16 and _np(back.float()).tolist() == _np(b.float()).tolist()


def test_bfloat16_is_storage_only_in_ember():
    with pytest.raises(RuntimeError, match="storage and conversion dtype"):
        ember.ones(2, dtype=ember.bfloat16).requires_grad_()
    with pytest.raises(TypeError, match="not supported by ember"):
        ember.nn.Linear(2, 2).bfloat16()


def test_bfloat16_safetensors_interchange(tmp_path):
    st = pytest.importorskip("safetensors.torch")
    path = str(tmp_path / "w.safetensors")
    st.save_file({"w": torch.tensor([0.1, 1e30, -3.0]).bfloat16()}, path)
    w = ember.load(path)["w"]
    assert w.dtype == ember.bfloat16
    np.testing.assert_array_equal(w.float().numpy(),
                                  torch.tensor([0.1, 1e30, -3.0]).bfloat16().float().numpy())
