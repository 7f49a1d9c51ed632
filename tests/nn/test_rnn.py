"""Recurrent layers and cells against PyTorch in float64: state-dict names and shapes, outputs,
final states, and the gradients of inputs, initial states and every parameter."""
from __future__ import annotations

import numpy as np
import pytest

import ember

from ..torchsync import copy_torch_state

torch = pytest.importorskip("torch")
rnn_utils_t = torch.nn.utils.rnn
rnn_utils_e = ember.nn.utils.rnn

LAYERS = [
    ("RNN", {}), ("RNN", dict(nonlinearity="relu", num_layers=2)),
    ("RNN", dict(bidirectional=True, bias=False)),
    ("LSTM", {}), ("LSTM", dict(num_layers=2, bidirectional=True)),
    ("LSTM", dict(proj_size=2, num_layers=2, bidirectional=True)),
    ("LSTM", dict(batch_first=True)), ("LSTM", dict(bias=False, proj_size=3)),
    ("GRU", {}), ("GRU", dict(num_layers=3, bidirectional=True)),
    ("GRU", dict(batch_first=True, bias=False)),
    ("LSTM", dict(num_layers=2, dropout=0.5)),  # dropout acts in training only: eval here
]


def _pair(cls, kw, seed=0):
    torch.manual_seed(seed)
    tm = getattr(torch.nn, cls)(5, 4, **kw).double()
    em = getattr(ember.nn, cls)(5, 4, **kw).double()
    copy_torch_state(tm, em)
    tm.eval()
    em.eval()
    return tm, em


def _states(cls, kw, batch, rng, unbatched=False):
    dirs = 2 if kw.get("bidirectional") else 1
    layers = kw.get("num_layers", 1)
    h = kw.get("proj_size") or 4
    shape = (layers * dirs, h) if unbatched else (layers * dirs, batch, h)
    h0 = rng.standard_normal(shape)
    if cls != "LSTM":
        return [h0]
    c_shape = shape[:-1] + (4,)
    return [h0, rng.standard_normal(c_shape)]


def _run(m, lib, x, states, cls, packed=None):
    xs = lib.tensor(x, requires_grad=True)
    hs = [lib.tensor(s, requires_grad=True) for s in states]
    inp = xs if packed is None else packed(lib, xs)
    hx = None if not hs else ((hs[0], hs[1]) if cls == "LSTM" else hs[0])
    out, hn = m(inp, hx)
    if packed is not None:
        out = out.data
    finals = list(hn) if cls == "LSTM" else [hn]
    return xs, hs, out, finals


def _compare(tm, em, x, states, cls, packed=None):
    tx, th, to, tf = _run(tm, torch, x, states, cls, packed)
    ex, eh, eo, ef = _run(em, ember, x, states, cls, packed)
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), rtol=1e-7, atol=1e-10)
    for a, b in zip(ef, tf):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-7,
                                   atol=1e-10)
    rng = np.random.default_rng(3)
    ws = [rng.standard_normal(tuple(t.shape)) for t in [to] + tf]
    sum(((t * torch.tensor(w)).sum() for t, w in zip([to] + tf, ws))).backward()
    sum(((t * ember.tensor(w)).sum() for t, w in zip([eo] + ef, ws))).backward()
    for a, b in zip([ex] + eh, [tx] + th):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-6, atol=1e-10)
    ep = dict(em.named_parameters())
    for name, p in tm.named_parameters():
        np.testing.assert_allclose(ep[name].grad.numpy(), p.grad.numpy(), rtol=1e-6,
                                   atol=1e-10, err_msg=name)


@pytest.mark.parametrize("cls,kw", LAYERS, ids=[f"{c}-{kw}" for c, kw in LAYERS])
@pytest.mark.parametrize("with_states", [False, True], ids=["zero_state", "given_state"])
def test_layer_matches_pytorch(cls, kw, with_states):
    rng = np.random.default_rng(0)
    tm, em = _pair(cls, kw)
    shape = (3, 6, 5) if kw.get("batch_first") else (6, 3, 5)
    states = _states(cls, kw, 3, rng) if with_states else []
    _compare(tm, em, rng.standard_normal(shape), states, cls)


@pytest.mark.parametrize("cls,kw", [("RNN", {}), ("LSTM", dict(bidirectional=True)),
                                    ("GRU", dict(num_layers=2))])
def test_unbatched_input(cls, kw):
    rng = np.random.default_rng(1)
    tm, em = _pair(cls, kw)
    _compare(tm, em, rng.standard_normal((6, 5)), _states(cls, kw, 1, rng, unbatched=True), cls)


@pytest.mark.parametrize("cls,kw", [("RNN", dict(bidirectional=True)),
                                    ("LSTM", dict(num_layers=2, bidirectional=True)),
                                    ("LSTM", dict(proj_size=2, bidirectional=True)),
                                    ("GRU", dict(num_layers=2, bidirectional=True))])
@pytest.mark.parametrize("sort", [True, False], ids=["sorted", "unsorted"])
def test_packed_sequences(cls, kw, sort):
    rng = np.random.default_rng(2)
    tm, em = _pair(cls, kw)
    lengths = [7, 5, 5, 2] if sort else [3, 7, 1, 5]

    def packed(lib, x):
        utils = rnn_utils_t if lib is torch else rnn_utils_e
        return utils.pack_padded_sequence(x, lengths, enforce_sorted=sort)

    _compare(tm, em, rng.standard_normal((7, 4, 5)), _states(cls, kw, 4, rng), cls, packed)


def test_packed_output_pads_back_like_pytorch():
    rng = np.random.default_rng(4)
    tm, em = _pair("LSTM", dict(bidirectional=True))
    x = rng.standard_normal((4, 6, 5))
    lengths = [2, 6, 4, 1]
    outs = []
    for lib, m, utils in [(torch, tm, rnn_utils_t), (ember, em, rnn_utils_e)]:
        packed = utils.pack_padded_sequence(lib.tensor(x), lengths, batch_first=True,
                                            enforce_sorted=False)
        out, _ = m(packed)
        padded, lens = utils.pad_packed_sequence(out, batch_first=True, total_length=7)
        outs.append((padded.detach().numpy(), lens.tolist()))
    np.testing.assert_allclose(outs[1][0], outs[0][0], rtol=1e-7, atol=1e-12)
    assert outs[1][1] == outs[0][1] == lengths


def test_pack_and_pad_utilities_match_pytorch():
    rng = np.random.default_rng(5)
    seqs = [rng.standard_normal((n, 3)) for n in (4, 1, 3)]
    for lib, utils in [(torch, rnn_utils_t), (ember, rnn_utils_e)]:
        ts = [lib.tensor(s) for s in seqs]
        p = utils.pack_sequence(ts, enforce_sorted=False)
        assert p.batch_sizes.tolist() == [3, 2, 2, 1]
        assert p.sorted_indices.tolist() == [0, 2, 1]
        assert p.unsorted_indices.tolist() == [0, 2, 1]
        padded = utils.pad_sequence(ts, batch_first=True, padding_value=-1.0)
        assert tuple(padded.shape) == (3, 4, 3) and float(padded[1, 1, 0]) == -1.0
        left = utils.pad_sequence(ts, padding_side="left")
        assert tuple(left.shape) == (4, 3, 3) and float(left[0, 1, 0]) == 0.0
        back = utils.unpack_sequence(p)
        for a, b in zip(back, seqs):
            np.testing.assert_allclose(a.numpy(), b)
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        rnn_utils_e.pack_padded_sequence(ember.zeros(3, 2, 1), [1, 3])


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("batched", [True, False])
def test_cells_match_pytorch(cls, batched):
    rng = np.random.default_rng(6)
    torch.manual_seed(0)
    tm = getattr(torch.nn, cls)(5, 4).double()
    em = getattr(ember.nn, cls)(5, 4).double()
    assert list(em.state_dict()) == list(tm.state_dict())
    em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    lead = (3,) if batched else ()
    x = rng.standard_normal(lead + (5,))
    h = [rng.standard_normal(lead + (4,)) for _ in range(2 if cls == "LSTMCell" else 1)]
    res = []
    for lib, m in [(torch, tm), (ember, em)]:
        xs = lib.tensor(x, requires_grad=True)
        hs = [lib.tensor(a, requires_grad=True) for a in h]
        outs = m(xs, tuple(hs) if cls == "LSTMCell" else hs[0])
        outs = list(outs) if cls == "LSTMCell" else [outs]
        # two steps, to send gradients through the state
        outs2 = m(xs * 0.5, tuple(outs) if cls == "LSTMCell" else outs[0])
        outs2 = list(outs2) if cls == "LSTMCell" else [outs2]
        sum((o ** 2).sum() for o in outs + outs2).backward()
        res.append([o.detach().numpy() for o in outs2] + [xs.grad.numpy()] +
                   [a.grad.numpy() for a in hs] + [p.grad.numpy() for p in m.parameters()])
    for a, b in zip(res[1], res[0]):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10)


def test_fused_cell_ops_gradcheck():
    rng = np.random.default_rng(7)
    g = ember.tensor(rng.standard_normal((3, 8)), requires_grad=True)
    c = ember.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    assert ember.autograd.gradcheck(lambda a, b: ember.ops.lstm_step(a, b), (g, c))
    assert ember.autograd.gradgradcheck(lambda a, b: ember.ops.lstm_step(a, b), (g, c))
    gi = ember.tensor(rng.standard_normal((3, 6)), requires_grad=True)
    gh = ember.tensor(rng.standard_normal((3, 6)), requires_grad=True)
    h = ember.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    assert ember.autograd.gradcheck(lambda a, b, c_: ember.ops.gru_step(a, b, c_), (gi, gh, h))
    assert ember.autograd.gradgradcheck(lambda a, b, c_: ember.ops.gru_step(a, b, c_),
                                        (gi, gh, h))


@pytest.mark.parametrize("mode", ["rnn_tanh", "rnn_relu", "lstm", "gru"])
@pytest.mark.parametrize("reverse", [False, True])
def test_recurrent_layer_op_gradcheck(mode, reverse):
    """The fused whole-sequence op, with ragged lengths, against finite differences."""
    rng = np.random.default_rng(8)
    gates = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}[mode] * 2
    args = [ember.tensor(rng.standard_normal(s) * 0.7, requires_grad=True)
            for s in [(4, 3, gates), (gates, 2), (gates,), (3, 2)]]
    c0 = ember.tensor(rng.standard_normal((3, 2)), requires_grad=True) if mode == "lstm" \
        else None
    ins = args + ([c0] if c0 is not None else [])

    def f(xp, w, b, h0, *rest):
        outs = ember.ops.recurrent_layer(xp, w, b, h0, rest[0] if rest else None, None, mode,
                                   [4, 2, 3], reverse)
        return outs

    assert ember.autograd.gradcheck(f, ins, atol=1e-6, rtol=1e-5)


def test_double_backward_through_a_layer_says_so():
    lstm = ember.nn.LSTM(2, 3).double()
    x = ember.randn(4, 1, 2, dtype=ember.float64, requires_grad=True)
    out, _ = lstm(x)
    (g,) = ember.autograd.grad(out.sum(), x, create_graph=True)
    with pytest.raises(RuntimeError):
        g.sum().backward()


def test_errors_name_the_layer_and_shapes():
    lstm = ember.nn.LSTM(5, 4, num_layers=2)
    with pytest.raises(RuntimeError, match="input_size. Expected 5, got 3"):
        lstm(ember.zeros(6, 2, 3))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(2, 2, 4\)"):
        lstm(ember.zeros(6, 2, 5), (ember.zeros(1, 2, 4), ember.zeros(2, 2, 4)))
    with pytest.raises(ValueError, match="proj_size has to be smaller"):
        ember.nn.LSTM(5, 4, proj_size=4)
    with pytest.raises(ValueError, match="only supported for LSTM"):
        ember.nn.GRU(5, 4, proj_size=2)
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D"):
        ember.nn.GRU(5, 4)(ember.zeros(5))


def test_repr_and_flatten_parameters_match_pytorch():
    for kw in [{}, dict(num_layers=2, bidirectional=True, batch_first=True, dropout=0.1),
               dict(proj_size=2, bias=False)]:
        assert repr(ember.nn.LSTM(5, 4, **kw)) == repr(torch.nn.LSTM(5, 4, **kw))
    assert repr(ember.nn.RNN(3, 2, nonlinearity="relu")) == repr(
        torch.nn.RNN(3, 2, nonlinearity="relu"))
    assert repr(ember.nn.GRUCell(3, 2, bias=False)) == repr(torch.nn.GRUCell(3, 2, bias=False))
    m = ember.nn.GRU(3, 2)
    assert m.flatten_parameters() is None


def test_dropout_between_layers_in_training():
    ember.manual_seed(0)
    m = ember.nn.GRU(4, 8, num_layers=2, dropout=0.5)
    x = ember.randn(5, 2, 4)
    m.eval()
    a = m(x)[0]
    m.train()
    b, c = m(x)[0], m(x)[0]
    assert not np.allclose(b.detach().numpy(), c.detach().numpy())
    m.eval()
    np.testing.assert_array_equal(m(x)[0].detach().numpy(), a.detach().numpy())


def _split_in(blocks):
    """A stand-in for ``_row_chunks`` that always splits the per-step products."""
    def chunks(xp, rows, k, batch, dtype):
        return next(n for n in (blocks, 2, 1) if rows % n == 0)
    return chunks


@pytest.mark.parametrize("kw,packed", [({}, False), (dict(proj_size=2, num_layers=2), False),
                                       (dict(bidirectional=True), True)],
                         ids=["plain", "proj", "bidirectional-packed"])
def test_lstm_per_step_products_split_in_row_blocks_match_pytorch(monkeypatch, kw, packed):
    """The LSTM's per-step products run in row blocks on single-threaded OpenBLAS cores with
    small-matrix kernels; forced here, every output and gradient still equals PyTorch's."""
    monkeypatch.setattr(ember.ops.rnn, "_row_chunks", _split_in(4))
    rng = np.random.default_rng(4)
    tm, em = _pair("LSTM", kw)
    lengths = [6, 2, 4]

    def pack(lib, x):
        utils = rnn_utils_t if lib is torch else rnn_utils_e
        return utils.pack_padded_sequence(x, lengths, enforce_sorted=False)

    _compare(tm, em, rng.standard_normal((6, 3, 5)), _states("LSTM", kw, 3, rng), "LSTM",
             pack if packed else None)


def test_row_block_rule(monkeypatch):
    from ember import backend
    from ember.ops.rnn import _row_chunks

    monkeypatch.setattr(backend, "blas_small_gemm", lambda: True)
    f32 = np.float32
    # blocks of at most 2^19 multiply-adds and at least 32 rows, else one product
    assert _row_chunks(np, 1024, 256, 32, f32) == 16  # forward at batch 32: 64-row blocks
    assert _row_chunks(np, 1024, 256, 8, f32) == 4
    assert _row_chunks(np, 256, 1024, 32, f32) == 1  # 16-row blocks would be slower
    assert _row_chunks(np, 1024, 256, 128, f32) == 1
    assert _row_chunks(np, 1024, 256, 32, np.float64) == 1
    monkeypatch.setattr(backend, "blas_small_gemm", lambda: False)
    assert _row_chunks(np, 1024, 256, 32, f32) == 1


def test_lstm_float32_row_blocks_agree_with_one_product(monkeypatch):
    from ember import backend

    rng = np.random.default_rng(5)
    lstm = ember.nn.LSTM(16, 256)
    x = ember.tensor(rng.standard_normal((3, 32, 16)).astype(np.float32), requires_grad=True)

    def run():
        x.grad = None
        lstm.zero_grad()
        out, (h, c) = lstm(x)
        (out.sum() + c.sum()).backward()
        return [out.detach().numpy(), c.detach().numpy(), x.grad.numpy(),
                lstm.weight_hh_l0.grad.numpy()]

    monkeypatch.setattr(backend, "blas_small_gemm", lambda: False)
    one = run()
    monkeypatch.setattr(backend, "blas_small_gemm", lambda: True)
    assert ember.ops.rnn._row_chunks(np, 1024, 256, 32, np.float32) == 16
    for a, b in zip(run(), one):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
