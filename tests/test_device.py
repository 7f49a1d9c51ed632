"""The whole op table and every layer on ``device="cuda"``, against the CPU.

On a machine with CuPy and a GPU this runs on the GPU; elsewhere (CI) on the
strict CPU stand-in (``EMBER_STANDIN_CUDA=1``, set by tests/conftest.py), whose
arrays refuse to mix with NumPy's the way CuPy's do, so an op that reaches for
NumPy directly or mixes devices fails here. Each row: forward outputs, the
first-order gradients (fused path) and the recorded (create_graph) gradients
on the device equal the CPU's, and stay on the device.
"""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember import backend

from .opcheck import as_tuple, float_outputs, make_inputs
from .ops.cases import CASES

pytestmark = pytest.mark.skipif(not ember.cuda.is_available(),
                                reason="no CUDA device and the stand-in is not selected")

REAL_GPU = ember.cuda.is_available() and not backend.is_standin()
# The stand-in computes with NumPy: bit-equal to the CPU. A GPU's libraries
# (cuBLAS, its own exp/log) differ in the last bits.
RTOL, ATOL = (1e-7, 1e-9) if REAL_GPU else (1e-12, 1e-14)

# Rows whose expression itself builds a CPU tensor (a constant made without a
# device, not a 0-d scalar): on the device that is a device mix, which must
# raise PyTorch's error rather than compute anything.
CPU_CONSTANT_ROWS = {"prod_with_zero", "amax_ties", "grad_of_gather", "cross_entropy_unbatched"}

PARAMS = [pytest.param(c, k, id=f"{c.name}[{k}]") for c in CASES for k in range(len(c.inputs))
          if c.name not in CPU_CONSTANT_ROWS]
MIXED = [pytest.param(c, id=c.name) for c in CASES if c.name in CPU_CONSTANT_ROWS]


def _device_inputs(arrays, dev):
    out = []
    for spec, a in arrays:
        if spec.kind in ("T", "complexT"):  # keep the non-contiguous layout: move the base,
            t = ember.from_numpy(np.ascontiguousarray(a.T)).to(dev).T  # transpose there
        else:
            t = ember.from_numpy(a).to(dev)
        if spec.grad and a.dtype.kind in "fc":
            t.requires_grad_(True)
        out.append(t)
    return out


def _run(case, arrays, seed, dev):
    """Outputs, first-order and recorded gradients; the random upstream gradients are
    drawn from ``seed``, so both devices get the same ones."""
    ins = _device_inputs(arrays, dev)
    outs = as_tuple(case.fn(*ins))
    fouts = float_outputs(outs)
    diff = [t for t in ins if t.requires_grad]
    fast = slow = ()
    if fouts and diff:
        rng = np.random.default_rng(seed)
        gw = [ember.tensor(_draw(rng, o), device=dev) for o in fouts]
        fast = ember.autograd.grad(fouts, diff, gw, allow_unused=True, retain_graph=True)
        slow = ember.autograd.grad(fouts, diff, gw, allow_unused=True, create_graph=True)
    return outs, fast, slow


def _draw(rng, o):
    w = rng.standard_normal(tuple(o.shape))
    return w + 1j * rng.standard_normal(tuple(o.shape)) if o.dtype.is_complex else w


def _host(t):
    return None if t is None else t.detach().cpu().numpy()


@pytest.mark.parametrize("case,k", PARAMS)
def test_op_on_device_equals_cpu(case, k):
    arrays = make_inputs(case, k)
    c_outs, c_fast, c_slow = _run(case, arrays, 7 + k, "cpu")
    g_outs, g_fast, g_slow = _run(case, arrays, 7 + k, "cuda")
    for i, (c, g) in enumerate(zip(c_outs, g_outs)):
        if isinstance(c, ember.Tensor):
            assert g.device.type == "cuda", f"{case.name}: output {i} left the device"
            assert g.dtype == c.dtype, f"{case.name}: output {i} dtype {g.dtype} != {c.dtype}"
            np.testing.assert_allclose(_host(g), _host(c), rtol=RTOL, atol=ATOL,
                                       err_msg=f"{case.name}: output {i}")
        else:
            assert g == c
    for what, cs, gs in (("gradient", c_fast, g_fast), ("recorded gradient", c_slow, g_slow)):
        for j, (c, g) in enumerate(zip(cs, gs)):
            assert (c is None) == (g is None), f"{case.name}: {what} {j} presence differs"
            if g is not None:
                assert g.device.type == "cuda", f"{case.name}: {what} {j} left the device"
                np.testing.assert_allclose(_host(g), _host(c), rtol=RTOL, atol=ATOL,
                                           err_msg=f"{case.name}: {what} of input {j}")


@pytest.mark.parametrize("case", MIXED)
def test_cpu_constant_meets_device_tensor(case):
    with pytest.raises(RuntimeError, match="same device"):
        _run(case, make_inputs(case, 0), 0, "cuda")


def test_cpu_scalar_tensor_meets_device_tensor():
    """A 0-d CPU tensor is a scalar to PyTorch: it may meet a device tensor; a CPU index may
    index a device tensor."""
    x = ember.arange(6.0, device="cuda").reshape(2, 3).requires_grad_()
    y = x * ember.tensor(2.0)
    assert y.device.type == "cuda"
    assert y[ember.tensor([1, 0])].device.type == "cuda"
    y.sum().backward()
    assert x.grad.device.type == "cuda"
    with pytest.raises(RuntimeError, match="same device"):
        x * ember.tensor(2.0, requires_grad=True)


# ---------------------------------------------------------------------------- layers

from .nn.layer_cases import LAYERS, layer_inputs  # noqa: E402
from .optim.optim_cases import CONFIGS, SHAPES, _loss  # noqa: E402


def _layer_step(make, shapes, kind, train, dev):
    rng = np.random.default_rng(0)
    m = make(ember.nn).double()
    ember.manual_seed(0)
    for p in m.parameters():
        p.detach().copy_(ember.from_numpy(rng.standard_normal(tuple(p.shape))))
    for _, b in m.named_buffers():
        if b.dtype.is_floating_point:
            b.detach().copy_(ember.from_numpy(rng.uniform(0.5, 1.5, tuple(b.shape))))
    m = m.to(dev)
    m.train(train)
    xs = layer_inputs(rng, shapes, kind)
    ins = [ember.tensor(x, device=dev, requires_grad=True) for x in xs]
    out = m(*ins)
    w = ember.tensor(rng.standard_normal(tuple(out.shape)), device=dev)
    (out * w).sum().backward()
    grads = {n: p.grad for n, p in m.named_parameters()}
    return out, [t.grad for t in ins], grads, m.state_dict()


@pytest.mark.parametrize("make,shapes,kind,train", LAYERS)
def test_layer_on_device_equals_cpu(make, shapes, kind, train):
    c = _layer_step(make, shapes, kind, train, "cpu")
    g = _layer_step(make, shapes, kind, train, "cuda")
    assert g[0].device.type == "cuda"
    np.testing.assert_allclose(_host(g[0]), _host(c[0]), rtol=RTOL, atol=ATOL)
    for a, b in zip(g[1], c[1]):
        assert a.device.type == "cuda"
        np.testing.assert_allclose(_host(a), _host(b), rtol=RTOL, atol=ATOL)
    for name in c[2]:
        assert g[2][name].device.type == "cuda", name
        np.testing.assert_allclose(_host(g[2][name]), _host(c[2][name]), rtol=RTOL, atol=ATOL,
                                   err_msg=name)
    assert list(g[3]) == list(c[3])
    for k in c[3]:  # parameters and running statistics after the step
        assert g[3][k].device.type == "cuda", k
        np.testing.assert_allclose(_host(g[3][k]), _host(c[3][k]), rtol=RTOL, atol=ATOL,
                                   err_msg=k)


# ---------------------------------------------------------------------------- optimizers


def _trajectory(name, kw, dev):
    rng = np.random.default_rng(0)
    ps = [ember.tensor(rng.standard_normal(s), device=dev, requires_grad=True) for s in SHAPES]
    x = ember.tensor(rng.standard_normal((5, 3)), device=dev)
    opt = getattr(ember.optim, name)(ps, **kw)
    for _ in range(10):
        opt.zero_grad()
        _loss(ember, ps, x).backward()
        opt.step()
    return ps, opt


@pytest.mark.parametrize("name,kw", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
def test_optimizer_on_device_equals_cpu(name, kw):
    cps, copt = _trajectory(name, kw, "cpu")
    gps, gopt = _trajectory(name, kw, "cuda")
    for a, b in zip(gps, cps):
        assert a.device.type == "cuda"
        np.testing.assert_allclose(_host(a), _host(b), rtol=RTOL, atol=ATOL)
    for gs, cs in zip(gopt.state_dict()["state"].values(), copt.state_dict()["state"].values()):
        for k, v in cs.items():
            if isinstance(v, ember.Tensor) and v.ndim:  # per-parameter buffers live on the device
                assert gs[k].device.type == "cuda", (name, k)


# ---------------------------------------------------------------------------- modules, files, Trainer


def _mlp(seed=0):
    ember.manual_seed(seed)
    return ember.nn.Sequential(ember.nn.Linear(6, 8), ember.nn.ReLU(), ember.nn.Linear(8, 3))


def test_module_to_device_moves_parameters_and_buffers():
    m = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.BatchNorm1d(4))
    assert m.cuda() is m and m.to("cuda") is m
    assert {t.device.type for t in m.state_dict().values()} == {"cuda"}
    m.cpu()
    assert {t.device.type for t in m.state_dict().values()} == {"cpu"}


def test_gpu_model_saves_the_same_file_as_the_cpu_model(tmp_path):
    cpu = _mlp()
    gpu = _mlp().cuda()
    ember.save(cpu.state_dict(), tmp_path / "cpu.safetensors")
    ember.save(gpu.state_dict(), tmp_path / "gpu.safetensors")
    assert (tmp_path / "cpu.safetensors").read_bytes() == (tmp_path / "gpu.safetensors").read_bytes()
    sd = ember.load(tmp_path / "cpu.safetensors", map_location="cuda")
    assert {t.device.type for t in sd.values()} == {"cuda"}
    fresh = _mlp(1).cuda()
    fresh.load_state_dict(ember.load(tmp_path / "gpu.safetensors"))  # CPU tensors into a GPU model
    assert fresh[0].weight.device.type == "cuda"
    np.testing.assert_array_equal(_host(fresh[0].weight), _host(cpu[0].weight))


def test_optimizer_state_moves_with_load_state_dict(tmp_path):
    m = _mlp().cuda()
    opt = ember.optim.Adam(m.parameters(), lr=0.01)
    m(ember.randn(4, 6, device="cuda")).sum().backward()
    opt.step()
    ember.save(opt.state_dict(), tmp_path / "opt.safetensors")
    opt2 = ember.optim.Adam(m.parameters(), lr=0.01)
    opt2.load_state_dict(ember.load(tmp_path / "opt.safetensors"))
    m(ember.randn(4, 6, device="cuda")).sum().backward()
    opt2.step()  # the loaded CPU state must have followed the parameters to the device
    st = opt2.state_dict()["state"][0]
    assert st["exp_avg"].device.type == "cuda"


def test_pinned_loader_batches_reach_the_device():
    from ember.utils.data import DataLoader, TensorDataset

    ds = TensorDataset(ember.randn(10, 3), ember.arange(10))
    seen = 0
    for x, y in DataLoader(ds, batch_size=4, pin_memory=True, num_workers=1):
        assert x.is_pinned() and y.is_pinned()
        xg = x.to("cuda", non_blocking=True)
        assert xg.device.type == "cuda"
        np.testing.assert_array_equal(_host(xg), x.numpy())
        seen += len(x)
    assert seen == 10


def test_cuda_queries():
    assert ember.cuda.device_count() >= 1
    assert ember.accelerator.current_accelerator() == ember.device("cuda")
    assert isinstance(ember.cuda.get_device_name(), str)
    x = ember.ones(1000, device="cuda")
    ember.cuda.synchronize()
    assert ember.cuda.max_memory_allocated() >= ember.cuda.memory_allocated() >= 0
    del x
    ember.cuda.empty_cache()
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        ember.ones(2, device=f"cuda:{ember.cuda.device_count()}")


def test_seeded_device_random_streams_repeat():
    ember.manual_seed(3)
    a = ember.randn(5, device="cuda")
    ember.manual_seed(3)
    b = ember.randn(5, device="cuda")
    assert a.device.type == "cuda"
    np.testing.assert_array_equal(_host(a), _host(b))
    d = ember.nn.functional.dropout(ember.ones(1000, device="cuda"), 0.5)
    assert d.device.type == "cuda" and 300 < int((d == 0).sum()) < 700


def _fit(device, tmp_path, epochs):
    from ember.train import Checkpoint, Trainer
    from ember.utils.data import DataLoader, TensorDataset

    rng = np.random.default_rng(0)
    x = ember.tensor(rng.standard_normal((64, 6)).astype(np.float32))
    y = ember.tensor(rng.integers(0, 3, 64))
    model = _mlp().to(device)
    opt = ember.optim.Adam(model.parameters(), lr=0.01)
    tr = Trainer(model, opt, callbacks=[Checkpoint(str(tmp_path))], device=device, seed=1)
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, generator=tr.generator,
                        pin_memory=device == "cuda")
    tr.fit(loader, DataLoader(TensorDataset(x, y), batch_size=32), epochs=epochs)
    return tr, loader


def test_trainer_on_device_equals_cpu_and_resumes(tmp_path):
    cpu, _ = _fit("cpu", tmp_path / "cpu", 2)
    gpu, loader = _fit("cuda", tmp_path / "gpu", 2)
    assert gpu.model[0].weight.device.type == "cuda"
    for hc, hg in zip(cpu.history, gpu.history):
        np.testing.assert_allclose(hg["train_loss"], hc["train_loss"], rtol=1e-5)
        np.testing.assert_allclose(hg["val_loss"], hc["val_loss"], rtol=1e-5)
    resumed, loader = _fit("cuda", tmp_path / "resumed", 1)
    resumed.load_checkpoint(str(tmp_path / "gpu" / "last.safetensors"))
    assert resumed.epoch == 2 and resumed.model[0].weight.device.type == "cuda"
    resumed.fit(loader, epochs=3)  # a third epoch on the device after loading
    assert resumed.model[0].weight.device.type == "cuda"
