"""Arguments that ember used to accept and ignore, now honoured as PyTorch honours them (or
refused by name where ember cannot do what they ask). Each runs under both libraries where
PyTorch can run it on this machine."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember

from ._libs import LIBS, needs_torch, torch
from ._libs import as_np as _np


@needs_torch
def test_transformer_encoder_zeroes_packed_padding_as_pytorch():
    """In inference with a key-padding mask, PyTorch's nested-tensor path leaves the padded
    positions 0 (before the final norm); ember gives the same output."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 5, 8)).astype(np.float32)
    masks = [[[False] * 5, [False] * 3 + [True] * 2, [False] * 4 + [True]],  # at the end
             [[False] * 5, [True] + [False] * 4, [False] * 5]]  # not left-aligned
    outs = {}
    for m in (torch, ember):
        layer = m.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
        outs[m.__name__] = []
        for nested, norm in [(True, None), (True, "norm"), (False, None)]:
            enc = m.nn.TransformerEncoder(layer, 2, norm=m.nn.LayerNorm(8) if norm else None,
                                          enable_nested_tensor=nested).eval()
            if m is ember:
                enc.load_state_dict({k: ember.tensor(v.numpy()) for k, v in
                                     outs["weights"][norm, nested].items()})
            else:
                outs.setdefault("weights", {})[norm, nested] = enc.state_dict()
            for mask in masks:
                with m.no_grad():
                    y = enc(m.tensor(x), src_key_padding_mask=m.tensor(mask))
                outs[m.__name__].append(_np(y))
    for ours, theirs in zip(outs["ember"], outs["torch"]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
    assert (outs["ember"][0][1, 3:] == 0).all() and (outs["ember"][4][1, 3:] != 0).any()


@pytest.mark.parametrize("m", LIBS)
def test_transformer_encoder_warns_about_an_ineligible_layer(m):
    with pytest.warns(UserWarning, match="enable_nested_tensor is True, but "
                                         "self.use_nested_tensor is False because "
                                         "encoder_layer.self_attn.batch_first was not True"):
        enc = m.nn.TransformerEncoder(m.nn.TransformerEncoderLayer(8, 2), 2)
    assert enc.enable_nested_tensor and not enc.use_nested_tensor and enc.mask_check
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.nn.TransformerEncoder(m.nn.TransformerEncoderLayer(8, 2), 2,
                                enable_nested_tensor=False)


@pytest.mark.parametrize("m", LIBS)
def test_gradcheck_takes_pytorchs_options(m):
    x = m.tensor(np.random.default_rng(1).standard_normal(3), requires_grad=True)
    assert m.autograd.gradcheck(lambda a: a * a, (x,), nondet_tol=1e-12, check_grad_dtypes=True,
                                check_undefined_grad=True)
    assert m.autograd.gradgradcheck(lambda a: a * a * a, (x,), gen_non_contig_grad_outputs=True)
    with pytest.raises(AssertionError, match="at least one of check_forward_ad or "
                                             "check_backward_ad"):
        m.autograd.gradcheck(lambda a: a * 2, (x,), check_backward_ad=False)
    with pytest.raises(AssertionError, match="check_undefined_grad=True requires "
                                             "check_rev_over_rev"):
        m.autograd.gradgradcheck(lambda a: a * a, (x,), check_rev_over_rev=False,
                                 check_fwd_over_rev=True)


def test_gradcheck_refuses_what_ember_cannot_check():
    x = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    for flag in ("check_forward_ad", "check_batched_grad", "check_batched_forward_grad"):
        with pytest.raises(NotImplementedError, match=flag):
            ember.autograd.gradcheck(lambda a: a * 2, (x,), **{flag: True})
    calls = []

    def drifting(a):  # each evaluation scales differently: two backward passes disagree
        calls.append(1)
        return a * len(calls)

    from ember.autograd.gradcheck import GradcheckError  # noqa: PLC0415

    with pytest.raises(GradcheckError, match="not reentrant"):
        ember.autograd.gradcheck(drifting, (x,))


@pytest.mark.parametrize("m", LIBS)
def test_sampler_takes_no_data_source(m):
    m.utils.data.Sampler()
    with pytest.raises(TypeError):
        m.utils.data.Sampler([1, 2])


@pytest.mark.parametrize("m", LIBS)
def test_compile_checks_its_arguments(m):
    lin = m.nn.Linear(2, 2)
    with pytest.raises(RuntimeError, match="Either mode or options can be specified"):
        m.compile(lin, mode="default", options={})
    with pytest.raises(RuntimeError, match="Unrecognized mode=fast"):
        m.compile(lin, mode="fast")
    with pytest.raises(RuntimeError, match="Invalid backend: 'nonexistent'"):
        m.compile(lin, backend="nonexistent")
    assert m.compile(lin, disable=True) is lin


@pytest.mark.parametrize("m", LIBS)
def test_jit_ignore_checks_and_warns(m):
    with pytest.raises(RuntimeError, match="must be a bool or a function"):
        m.jit.ignore(drop=1)
    with pytest.warns(FutureWarning, match=r"ignore\(True\) has been deprecated"):
        m.jit.ignore(True)
    with pytest.warns(FutureWarning, match=r"ignore\(drop_on_export=True\) has been deprecated"):
        m.jit.ignore(drop_on_export=True)


def test_jit_optimize_is_deprecated():
    with pytest.warns(FutureWarning, match="`optimize` is deprecated and has no effect"):
        assert ember.jit.script(len, optimize=True) is len


@pytest.mark.parametrize("m", LIBS)
def test_gather_sparse_grad(m):
    x = m.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    idx = m.tensor([[0], [1]])
    if m is ember:  # no sparse tensors: refused by name
        with pytest.raises(NotImplementedError, match="sparse_grad"):
            m.gather(x, 1, idx, sparse_grad=True)
    assert _np(m.gather(x, 1, idx, sparse_grad=False)).tolist() == [[1.0], [4.0]]


@pytest.mark.parametrize("m", LIBS)
def test_numpy_array_protocol_copies_when_asked(m):
    t = m.zeros(3)
    a = np.array(t, copy=True)
    a[0] = 5
    assert _np(t)[0] == 0  # a copy, not a view
    if m is ember:  # PyTorch's __array__ takes no copy argument (NumPy then refuses)
        b = np.asarray(t, copy=False)
        b[1] = 7
        assert _np(t)[1] == 7
    with pytest.raises(ValueError):
        np.asarray(t, dtype=np.float64, copy=False)


def test_memory_format_is_refused_by_name():
    x = ember.ones(2, 3)
    for call in (lambda: x.clone(memory_format="channels_last"),
                 lambda: x.contiguous(memory_format="channels_last"),
                 lambda: x.to(memory_format="channels_last")):
        with pytest.raises(TypeError, match="memory_format"):  # not a memory format, as torch
            call()
    assert x.clone(memory_format=None).shape == (2, 3)


def test_copy_and_type_pass_non_blocking_on():
    host = ember.arange(6.0).reshape(2, 3)
    dev = ember.zeros(2, 3, device="cuda")
    dev.copy_(host, non_blocking=True)
    assert dev.tolist() == host.tolist()
    assert host.type(ember.cuda.FloatTensor, non_blocking=True).device.type == "cuda"


def test_distributed_takes_the_world_group_only():
    import ember.distributed as dist  # noqa: PLC0415

    class Other:
        pass
    for call in (lambda: dist.all_reduce(ember.ones(1), group=Other()),
                 lambda: dist.get_rank(Other()),
                 lambda: dist.barrier(group=Other())):
        with pytest.raises(NotImplementedError, match="one process group"):
            call()
    with pytest.raises(RuntimeError, match="has not been initialized"):
        dist.get_rank(dist.group.WORLD)  # the world group is fine; the job is not started
    with pytest.raises(TypeError, match="device_ids type should be List"):
        dist.barrier(device_ids=0)
    with pytest.raises(NotImplementedError, match="init_method"):
        dist.init_process_group("mpi", init_method="tcp://127.0.0.1:23456")


def test_current_accelerator_check_available(monkeypatch):
    from ember import backend  # noqa: PLC0415

    assert ember.accelerator.current_accelerator(check_available=True) == ember.device("cuda")
    monkeypatch.setattr(backend, "_cupy", None)
    monkeypatch.setattr(backend, "_cupy_checked", True)
    monkeypatch.setenv("EMBER_STANDIN_CUDA", "0")
    built = ember.accelerator.current_accelerator()  # CuPy installed: "built with CUDA"
    import importlib.util  # noqa: PLC0415

    assert (built is not None) == (importlib.util.find_spec("cupy") is not None)
    assert ember.accelerator.current_accelerator(check_available=True) is None


def test_cuda_memory_queries_take_the_device():
    assert ember.cuda.memory_allocated(0) == ember.cuda.memory_allocated("cuda:0")
    for f in (ember.cuda.memory_allocated, ember.cuda.memory_reserved, ember.cuda.mem_get_info,
              ember.cuda.reset_peak_memory_stats):
        with pytest.raises(RuntimeError, match="invalid device ordinal"):
            f(3)
    assert ember.cuda.memory_summary(abbreviated=True).count("\n") == 0
    assert ember.cuda.memory_summary().count("\n") == 3


def test_transforms_inplace():
    img = ember.rand(3, 8, 8)
    out = ember.transforms.Normalize([0.5] * 3, [0.25] * 3, inplace=True)(img)
    assert out is img and float(img.min()) >= -2.0 - 1e-6
    img = ember.ones(3, 8, 8)
    kept = ember.transforms.RandomErasing(p=1.0, value=0.0)(img)
    assert kept is not img and float(img.min()) == 1.0 and float(kept.min()) == 0.0
    erased = ember.transforms.RandomErasing(p=1.0, value=0.0, inplace=True)(img)
    assert erased is img and float(img.min()) == 0.0


def test_tensorboard_refuses_what_its_writer_cannot_record(tmp_path):
    pytest.importorskip("tensorboardX")
    from ember.utils.tensorboard import SummaryWriter  # noqa: PLC0415

    with SummaryWriter(str(tmp_path)) as w:
        w.add_scalar("loss", 1.0, 0)
        with pytest.raises(NotImplementedError, match="new_style"):
            w.add_scalar("loss", 1.0, 1, new_style=True)
        with pytest.raises(NotImplementedError, match="hparam_domain_discrete"):
            w.add_hparams({"lr": 0.1}, {"acc": 0.5}, hparam_domain_discrete={"lr": [0.1]})
