"""Autocast compared with PyTorch: the dtype each op computes in, op by op, and whole modules
(an MLP, a conv net, attention) giving PyTorch's outputs and float32 master-weight gradients
within bfloat16's precision. The ``'cuda'`` rows run on the device (the CPU stand-in of CuPy
in CI) and check float16 against PyTorch's CUDA lists."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember

from ..compat._libs import LIBS, as_np, needs_torch, torch

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

F32 = np.float32
RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 8)).astype(F32)
W = RNG.standard_normal((6, 8)).astype(F32)
B = RNG.standard_normal(6).astype(F32)
IMG = RNG.standard_normal((2, 3, 8, 8)).astype(F32)
K = RNG.standard_normal((4, 3, 3, 3)).astype(F32)
W3 = RNG.standard_normal((3, 8, 8)).astype(F32)
Y4 = np.array([0, 1, 2, 3])

# (name, fn(m, x, *consts)), evaluated under autocast('cpu') with x float32 and with x bfloat16.
MATRIX_OPS = [
    ("linear", lambda m, x: m.nn.functional.linear(x, m.tensor(W), m.tensor(B))),
    ("matmul", lambda m, x: x @ m.tensor(W).t()),
    ("matmul_vector", lambda m, x: x @ m.tensor(X[0])),
    ("mm", lambda m, x: m.mm(x, m.tensor(W).t())),
    ("bmm", lambda m, x: m.bmm(x[None], m.tensor(W).t()[None])),
    ("mv", lambda m, x: m.mv(x.float(), m.tensor(X[0]))),
    ("inner", lambda m, x: m.inner(x, m.tensor(X))),
    ("outer", lambda m, x: m.outer(x[0], m.tensor(X[1]))),
    ("einsum_contraction", lambda m, x: m.einsum("ij,kj->ik", x, m.tensor(W))),
    ("einsum_elementwise", lambda m, x: m.einsum("ij,ij->ij", x, m.tensor(X))),
    ("bilinear", lambda m, x: m.nn.functional.bilinear(x, m.tensor(X), m.tensor(W3))),
    ("sdpa", lambda m, x: m.nn.functional.scaled_dot_product_attention(x[None], x[None],
                                                                         x[None])),
    ("prelu", lambda m, x: m.nn.functional.prelu(x, m.tensor([0.25]))),
    ("relu", lambda m, x: m.relu(x)),
    ("gelu", lambda m, x: m.nn.functional.gelu(x)),
    ("softmax", lambda m, x: m.softmax(x, -1)),
    ("log_softmax", lambda m, x: m.log_softmax(x, -1)),
    ("layer_norm", lambda m, x: m.nn.functional.layer_norm(x, (8,))),
    ("layer_norm_affine", lambda m, x: m.nn.functional.layer_norm(x, (8,), m.ones(8),
                                                                  m.zeros(8))),
    ("exp", lambda m, x: x.exp()),
    ("pow", lambda m, x: x ** 2),
    ("sum", lambda m, x: x.sum()),
    ("mean", lambda m, x: x.mean()),
    ("prod", lambda m, x: x.prod()),
    ("cumsum", lambda m, x: x.cumsum(0)),
    ("norm", lambda m, x: x.norm()),
    ("logsumexp", lambda m, x: x.logsumexp(-1)),
    ("cross_entropy", lambda m, x: m.nn.functional.cross_entropy(x, m.tensor(Y4))),
    ("nll_loss", lambda m, x: m.nn.functional.nll_loss(x, m.tensor(Y4))),
    ("mse_loss", lambda m, x: m.nn.functional.mse_loss(x, m.tensor(X))),
    ("l1_loss", lambda m, x: m.nn.functional.l1_loss(x, m.tensor(X))),
    ("smooth_l1_loss", lambda m, x: m.nn.functional.smooth_l1_loss(x, m.tensor(X))),
    ("huber_loss", lambda m, x: m.nn.functional.huber_loss(x, m.tensor(X))),
    ("kl_div", lambda m, x: m.nn.functional.kl_div(x, m.tensor(X).softmax(-1),
                                                   reduction="batchmean")),
    ("bce_with_logits", lambda m, x: m.nn.functional.binary_cross_entropy_with_logits(
        x, m.tensor(np.abs(X) / 4))),
    ("bce", lambda m, x: m.nn.functional.binary_cross_entropy(x.sigmoid(),
                                                              m.tensor(np.abs(X) / 4))),
    ("soft_margin", lambda m, x: m.nn.functional.soft_margin_loss(x, m.tensor(np.sign(X)))),
    ("cosine_similarity", lambda m, x: m.nn.functional.cosine_similarity(x, m.tensor(X))),
    ("add_float32", lambda m, x: x + m.tensor(X)),
    ("mul_scalar", lambda m, x: x * 2.0),
    ("cat", lambda m, x: m.cat([x, m.tensor(X)])),
    ("sigmoid", lambda m, x: x.sigmoid()),
    ("tanh", lambda m, x: x.tanh()),
    ("dropout", lambda m, x: m.nn.functional.dropout(x, 0.5)),
    ("embedding", lambda m, x: m.nn.functional.embedding(m.tensor([0, 2]), x)),
    ("var", lambda m, x: x.var()),
    ("max", lambda m, x: x.max()),
    ("double_linear", lambda m, x: m.nn.functional.linear(x.double(), m.tensor(W).double())),
]
IMAGE_OPS = [
    ("conv2d", lambda m, x: m.nn.functional.conv2d(x, m.tensor(K))),
    ("conv1d", lambda m, x: m.nn.functional.conv1d(x[:, :, 0], m.tensor(K[:, :, 0]))),
    ("conv_transpose2d", lambda m, x: m.nn.functional.conv_transpose2d(
        x, m.tensor(K).transpose(0, 1))),
    ("batch_norm", lambda m, x: m.nn.functional.batch_norm(
        x, m.zeros(3), m.ones(3), m.ones(3), m.zeros(3), training=True)),
    ("max_pool2d", lambda m, x: m.nn.functional.max_pool2d(x, 2)),
    ("avg_pool2d", lambda m, x: m.nn.functional.avg_pool2d(x, 2)),
    ("adaptive_avg_pool2d", lambda m, x: m.nn.functional.adaptive_avg_pool2d(x, 1)),
    ("interpolate", lambda m, x: m.nn.functional.interpolate(x, scale_factor=2)),
    ("pad_reflect", lambda m, x: m.nn.functional.pad(x, (1, 1, 1, 1), mode="reflect")),
    ("pad_constant", lambda m, x: m.nn.functional.pad(x, (1, 1, 1, 1))),
    ("max_unpool2d", lambda m, x: m.nn.functional.max_unpool2d(
        *m.nn.functional.max_pool2d(x, 2, return_indices=True), 2)),
]
CASES = [(n, f, X) for n, f in MATRIX_OPS] + [(n, f, IMG) for n, f in IMAGE_OPS]


def _dtype_name(t):
    return str(t.dtype).split(".")[-1]


def _run(m, fn, x_np, low_input):
    x = m.tensor(x_np)
    if low_input:
        x = x.bfloat16()
    with m.autocast("cpu"):
        return fn(m, x)


@needs_torch
@pytest.mark.parametrize("low_input", [False, True], ids=["float32_in", "bfloat16_in"])
@pytest.mark.parametrize("name,fn,x", CASES, ids=[c[0] for c in CASES])
def test_op_dtype_and_value_under_cpu_autocast(name, fn, x, low_input):
    if name in ("mv", "inner", "bilinear") and low_input:
        pytest.skip(f"PyTorch refuses {name} of float32 and bfloat16 (not on its CPU list)")
    ember.manual_seed(0)
    torch.manual_seed(0)
    out_t = _run(torch, fn, x, low_input)
    out_e = _run(ember, fn, x, low_input)
    assert _dtype_name(out_e) == _dtype_name(out_t), name
    if name == "dropout":
        return
    a, b = as_np(out_t.float()), as_np(out_e.float())
    scale = max(1.0, float(np.abs(a).max()))
    np.testing.assert_allclose(b, a, rtol=0, atol=0.02 * scale, err_msg=name)


def _load(em, tm):
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})


def _mlp(m):
    nn = m.nn
    return nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 16), nn.GELU(),
                         nn.Linear(16, 5))


def _convnet(m):
    nn = m.nn
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Conv2d(8, 8, 3), nn.ReLU(), nn.Flatten(),
                         nn.Linear(8 * 2 * 2, 4))


def _attention(m):
    nn, F = m.nn, m.nn.functional

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln = nn.LayerNorm(16)
            self.qkv = nn.Linear(16, 48)
            self.proj = nn.Linear(16, 16)
            self.mha = nn.MultiheadAttention(16, 2, batch_first=True)
            self.head = nn.Linear(16, 7)

        def forward(self, x):
            h = self.ln(x)
            q, k, v = self.qkv(h).split(16, dim=-1)
            b, t, c = q.shape
            q, k, v = (z.view(b, t, 2, 8).transpose(1, 2) for z in (q, k, v))
            att = (q @ k.transpose(-2, -1)) * (1.0 / 8 ** 0.5)
            att = att.masked_fill(m.tril(m.ones(t, t)) == 0, float("-inf")).softmax(-1)
            y = (att @ v).transpose(1, 2).contiguous().view(b, t, c)
            x = x + self.proj(y)
            y2 = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.proj(y2.transpose(1, 2).reshape(b, t, c))
            x = x + self.mha(x, x, x, need_weights=False)[0]
            return self.head(x)
    return Block()


MODELS = [
    ("mlp", _mlp, (8, 20), (5,), 8),
    ("convnet", _convnet, (4, 3, 8, 8), (4,), 4),
    ("attention", _attention, (2, 6, 16), (7,), (2, 6)),
]


@needs_torch
@pytest.mark.parametrize("name,make,xshape,classes,yshape", MODELS, ids=[m[0] for m in MODELS])
def test_module_outputs_and_master_gradients_match_pytorch(name, make, xshape, classes, yshape):
    rng = np.random.default_rng(1)
    x_np = rng.standard_normal(xshape).astype(F32)
    y_np = rng.integers(0, classes[0], yshape)
    torch.manual_seed(0)
    tm = make(torch)
    em = make(ember)
    _load(em, tm)
    res = {}
    for m, model in ((torch, tm), (ember, em)):
        x, y = m.tensor(x_np), m.tensor(y_np)
        with m.autocast("cpu"):
            out = model(x)
            loss = m.nn.functional.cross_entropy(out.reshape(-1, classes[0]), y.reshape(-1))
        loss.backward()
        res[m.__name__] = (out, loss, {k: p.grad for k, p in model.named_parameters()},
                           {k: p.dtype for k, p in model.named_parameters()})
    (out_t, loss_t, g_t, _), (out_e, loss_e, g_e, p_e) = res["torch"], res["ember"]
    assert _dtype_name(out_e) == _dtype_name(out_t) == "bfloat16"
    assert _dtype_name(loss_e) == _dtype_name(loss_t) == "float32"
    assert set(map(str, p_e.values())) == {"ember.float32"}  # master weights stay float32
    a = as_np(out_t.float())
    np.testing.assert_allclose(as_np(out_e.float()), a, rtol=0.02,
                               atol=0.02 * np.abs(a).max())
    assert abs(loss_e.item() - loss_t.item()) < 0.01 * abs(loss_t.item()) + 1e-3
    for k, gt in g_t.items():
        ge = g_e[k]
        assert ge.dtype is ember.float32, k
        ref = as_np(gt)
        np.testing.assert_allclose(as_np(ge), ref, rtol=0.03, atol=0.03 * np.abs(ref).max(),
                                   err_msg=k)


@needs_torch
def test_float16_on_the_cpu_matches_pytorch():
    lin_t = torch.nn.Linear(8, 6)
    lin_e = ember.nn.Linear(8, 6)
    _load(lin_e, lin_t)
    outs = []
    for m, lin in ((torch, lin_t), (ember, lin_e)):
        with m.autocast("cpu", dtype=m.float16):
            out = lin(m.tensor(X))
        out.float().sum().backward()
        outs.append((out, lin.weight.grad))
    (ot, gt), (oe, ge) = outs
    assert _dtype_name(oe) == _dtype_name(ot) == "float16"
    np.testing.assert_allclose(as_np(oe.float()), as_np(ot.float()), atol=2e-3)
    np.testing.assert_allclose(as_np(ge), as_np(gt), atol=2e-3)


@needs_torch
def test_weights_are_rounded_once_and_gradients_reach_them_in_float32():
    # y = x W^T with W shared by two calls: PyTorch's cast cache makes one bfloat16 copy
    w_np = np.full((1, 1), 1.0 + 2 ** -10, F32)  # rounds to 1.0 in bfloat16
    for m in (torch, ember):
        w = m.tensor(w_np, requires_grad=True)
        x = m.ones(1, 1)
        with m.autocast("cpu"):
            y = m.nn.functional.linear(x, w) + m.nn.functional.linear(x, w)
        assert y.item() == 2.0  # computed with the rounded weight
        y.float().sum().backward()
        assert w.grad.dtype == m.float32 and w.grad.item() == 2.0


def test_parameter_casts_are_cached_inside_the_region_only():
    from ember._amp_state import state

    lin = ember.nn.Linear(4, 4)
    x = ember.randn(2, 4)
    with ember.autocast("cpu"):
        lin(x)
        lin(x)
        assert len(state.cache) == 2  # the weight and the bias, cast once each
        with ember.no_grad():
            lin(x)
        assert len(state.cache) == 2
    assert len(state.cache) == 0
    with ember.autocast("cpu", cache_enabled=False):
        lin(x)
        assert len(state.cache) == 0


@pytest.mark.parametrize("m", LIBS)
def test_disabled_region_inside_an_enabled_one_computes_in_float32(m):
    lin = m.nn.Linear(4, 3)
    x = m.randn(2, 4)
    with m.autocast("cpu"):
        assert lin(x).dtype == m.bfloat16
        with m.autocast("cpu", enabled=False):
            assert lin(x).dtype == m.float32
            with m.autocast("cpu"):
                assert lin(x).dtype == m.bfloat16
        assert lin(x).dtype == m.bfloat16
    assert lin(x).dtype == m.float32


@pytest.mark.parametrize("m", LIBS)
def test_autocast_as_a_decorator(m):
    lin = m.nn.Linear(4, 3)

    @m.autocast("cpu")
    def forward(x):
        return lin(x)

    assert forward(m.randn(2, 4)).dtype == m.bfloat16
    assert lin(m.randn(2, 4)).dtype == m.float32
    with pytest.raises(TypeError, match="requires a callable"):
        m.autocast("cpu")(3)


def test_cuda_autocast_casts_device_tensors_only():
    if not ember.cuda.is_available():
        pytest.skip("no CUDA device or stand-in")
    lin = ember.nn.Linear(8, 6).to("cuda")
    cpu_lin = ember.nn.Linear(8, 6)
    x = ember.tensor(X)
    with ember.autocast("cuda"):
        assert lin(x.to("cuda")).dtype == ember.float16
        assert cpu_lin(x).dtype == ember.float32  # the CPU is not in a CUDA region
    with ember.autocast("cpu"):
        assert lin(x.to("cuda")).dtype == ember.float32


# PyTorch's CUDA lists (aten/src/ATen/autocast_mode.h): the dtype each op gives on float32
# input inside autocast('cuda'), checked on ember's device. PyTorch's CPU build cannot run
# them, so the values are compared with PyTorch's float32 results at float16's precision.
CUDA_EXPECTED = [
    ("linear", "float16"), ("matmul", "float16"), ("mm", "float16"), ("bmm", "float16"),
    ("mv", "float16"), ("einsum_contraction", "float16"), ("einsum_elementwise", "float16"),
    ("sdpa", "float16"), ("prelu", "float16"), ("relu", "float32"), ("softmax", "float32"),
    ("log_softmax", "float32"), ("layer_norm", "float32"), ("exp", "float32"),
    ("pow", "float32"), ("sum", "float32"), ("prod", "float32"), ("cumsum", "float32"),
    ("norm", "float32"), ("logsumexp", "float32"), ("cross_entropy", "float32"),
    ("mse_loss", "float32"), ("bce_with_logits", "float32"), ("cosine_similarity", "float32"),
    ("conv2d", "float16"), ("conv1d", "float16"), ("conv_transpose2d", "float16"),
    ("interpolate", "float32"), ("max_pool2d", "float32"),
]
_ALL = {n: (f, x) for n, f, x in CASES}


@needs_torch
@pytest.mark.parametrize("name,expected", CUDA_EXPECTED, ids=[c[0] for c in CUDA_EXPECTED])
def test_op_dtype_under_cuda_autocast(name, expected):
    if not ember.cuda.is_available():
        pytest.skip("no CUDA device or stand-in")
    fn, x_np = _all = _ALL[name]

    class OnDevice:  # ember with every new tensor on the device
        def __getattr__(self, attr):
            return getattr(ember, attr)

        @staticmethod
        def tensor(data, **kw):
            return ember.tensor(data, **kw).to("cuda")

        @staticmethod
        def ones(*shape):
            return ember.ones(*shape, device="cuda")

        @staticmethod
        def zeros(*shape):
            return ember.zeros(*shape, device="cuda")

    with ember.autocast("cuda"):
        out = fn(OnDevice(), ember.tensor(x_np).to("cuda"))
    assert out.device.type == "cuda"
    assert _dtype_name(out) == expected
    ref = as_np(fn(torch, torch.tensor(x_np)))
    np.testing.assert_allclose(as_np(out.float()), ref, rtol=0,
                               atol=4e-3 * max(1.0, float(np.abs(ref).max())))


def test_binary_cross_entropy_is_refused_under_cuda_autocast():
    if not ember.cuda.is_available():
        pytest.skip("no CUDA device or stand-in")
    p = ember.rand(3, device="cuda")
    with ember.autocast("cuda"), pytest.raises(RuntimeError, match="unsafe to autocast"):
        ember.nn.functional.binary_cross_entropy(p, p)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ember.nn.functional.binary_cross_entropy(p, p).dtype == ember.float32


RECURRENT = ["LSTM", "GRU", "RNN", "LSTMCell", "GRUCell", "RNNCell"]


@needs_torch
@pytest.mark.parametrize("name", RECURRENT)
def test_recurrent_modules_follow_pytorchs_cpu_autocast(name):
    # PyTorch's CPU: LSTM is a oneDNN layer (bfloat16), RNN and RNNCell go through linear
    # (bfloat16), GRU and the LSTM/GRU cells meet their float32 state (float32).
    x_np = np.random.default_rng(2).standard_normal((5, 2, 8)).astype(F32)
    if name.endswith("Cell"):
        x_np = x_np[0]
    torch.manual_seed(0)
    tm = getattr(torch.nn, name)(8, 6)
    em = getattr(ember.nn, name)(8, 6)
    _load(em, tm)
    res = []
    for m, mod in ((torch, tm), (ember, em)):
        with m.autocast("cpu"):
            out = mod(m.tensor(x_np))
        out = out[0] if isinstance(out, tuple) else out
        out.float().sum().backward()
        w = mod.weight_ih if name.endswith("Cell") else mod.weight_ih_l0
        res.append((out, w.grad))
    (ot, gt), (oe, ge) = res
    assert _dtype_name(oe) == _dtype_name(ot)
    np.testing.assert_allclose(as_np(oe.float()), as_np(ot.float()), atol=0.02)
    ref = as_np(gt)
    np.testing.assert_allclose(as_np(ge), ref, atol=0.03 * np.abs(ref).max())


def test_lstm_takes_a_packed_sequence_under_autocast():
    from ember.nn.utils.rnn import pack_padded_sequence

    lstm = ember.nn.LSTM(8, 6)
    packed = pack_padded_sequence(ember.randn(5, 2, 8), [5, 3])
    with ember.autocast("cpu"):
        out, (h, c) = lstm(packed)
    assert type(out).__name__ == "PackedSequence" and out.data.dtype is ember.bfloat16
    assert h.dtype is c.dtype is ember.bfloat16
    assert out.batch_sizes.dtype is ember.int64
