"""The oneDNN kernels against the NumPy path and against PyTorch, in float32.

Every convolution row of the op table (tests/ops/cases.py) and every convolution and
recurrent-layer row of the layer table (tests/nn/layer_cases.py) runs twice here, with
``ember.backends.mkldnn`` switched on and off: outputs and every gradient must agree with
each other and with PyTorch, the first-order (oneDNN) gradients with the composite backward
that serves ``create_graph``, and the oneDNN run must really have called oneDNN. (The op
table's ``recurrent_*`` rows test the NumPy recurrence on ragged lengths, which oneDNN does
not run: a layer given a packed batch keeps that path, checked below.) More recurrent
layers, and random shapes and options through both paths (hypothesis), follow.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ember
from ember.backends import mkldnn
from ember.backends.mkldnn import _prim

from ..nn.layer_cases import LAYERS, layer_inputs
from ..opcheck import as_tuple, ember_inputs, float_outputs, make_inputs
from ..ops.cases import CASES

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.skipif(not mkldnn.is_available(),
                                reason="oneDNN does not load here (the NumPy path is tested "
                                       "by the op and layer tables)")

ATOL, RTOL = 2e-4, 2e-4  # float32, sums of up to a few hundred products


class _Calls:
    """Counts the oneDNN primitive executions while it is active."""

    def __init__(self, monkeypatch):
        self.n = 0
        orig = _prim.Primitive.execute

        def counted(prim, args):
            self.n += 1
            return orig(prim, args)
        monkeypatch.setattr(_prim.Primitive, "execute", counted)


def _run_ember(fn, arrays, ws, on):
    """Outputs and the gradients of sum(out * w) of ``fn`` on float32 copies of ``arrays``,
    with oneDNN on or off; plus the composite (create_graph) gradients."""
    with mkldnn.flags(enabled=on):
        ins = []
        for spec, a in arrays:
            t = ember.from_numpy(a.astype(np.float32) if a.dtype.kind == "f" else a)
            if spec.grad and a.dtype.kind == "f":
                t.requires_grad_(True)
            ins.append(t)
        outs = float_outputs(as_tuple(fn(*ins)))
        diff = [t for t in ins if t.requires_grad]
        gw = [ember.from_numpy(w.astype(np.float32)) for w in ws]
        grads = ember.autograd.grad(outs, diff, gw, allow_unused=True, retain_graph=True)
        slow = ember.autograd.grad(outs, diff, gw, allow_unused=True, create_graph=True)
    return ([o.detach().numpy() for o in outs], [None if g is None else g.numpy() for g in grads],
            [None if g is None else g.detach().numpy() for g in slow])


def _run_torch(fn, arrays, ws):
    ins = []
    for spec, a in arrays:
        t = torch.from_numpy(np.array(a.astype(np.float32) if a.dtype.kind == "f" else a))
        if spec.grad and a.dtype.kind == "f":
            t.requires_grad_(True)
        ins.append(t)
    outs = [o for o in as_tuple(fn(*ins)) if o.dtype.is_floating_point and o.requires_grad]
    diff = [t for t in ins if t.requires_grad]
    grads = torch.autograd.grad(outs, diff, [torch.from_numpy(w.astype(np.float32)) for w in ws],
                                allow_unused=True)
    return [o.detach().numpy() for o in outs], [None if g is None else g.numpy() for g in grads]


def _close(got, want, what):
    if want is None:
        assert got is None or not np.any(got), what
        return
    np.testing.assert_allclose(got, want, atol=ATOL, rtol=RTOL, err_msg=what)


KERNEL_ROWS = [c for c in CASES if c.name.startswith(("conv", "max_pool", "avg_pool"))]
ROW_PARAMS = [pytest.param(c, k, id=f"{c.name}[{k}]") for c in KERNEL_ROWS
              for k in range(len(c.inputs))]
# pooling rows oneDNN does not run (PyTorch's indices, dilation, ceil-mode averages, a
# divisor): both paths must still agree (the NumPy path runs twice)
NUMPY_ONLY = {"max_pool2d_indices", "avg_pool2d_args", "avg_pool2d_divisor", "avg_pool1d",
              "max_pool3d_args_indices", "avg_pool3d_divisor"}


@pytest.mark.parametrize("case,k", ROW_PARAMS)
def test_op_rows_on_both_paths(case, k, monkeypatch):
    arrays = make_inputs(case, k)
    calls = _Calls(monkeypatch)
    probe = float_outputs(as_tuple(case.fn(*ember_inputs(arrays))))
    rng = np.random.default_rng(11 + k)
    ws = [rng.standard_normal(o.shape) for o in probe]
    calls.n = 0
    outs_on, grads_on, slow_on = _run_ember(case.fn, arrays, ws, True)
    numpy_only = case.name in NUMPY_ONLY or any(a.size == 0 for _, a in arrays)  # zero-size
    assert (calls.n > 0) != numpy_only, f"{case.name}: oneDNN calls {calls.n}"
    calls.n = 0
    outs_off, grads_off, slow_off = _run_ember(case.fn, arrays, ws, False)
    assert calls.n == 0, f"{case.name}: oneDNN was called while switched off"
    t_outs, t_grads = _run_torch(case.torch_fn, arrays, ws)
    for i, (a, b, t) in enumerate(zip(outs_on, outs_off, t_outs)):
        _close(a, b, f"{case.name}: output {i}, oneDNN vs NumPy")
        _close(a, t, f"{case.name}: output {i}, oneDNN vs torch")
    for j, (a, b, s, t) in enumerate(zip(grads_on, grads_off, slow_on, t_grads)):
        _close(a, b, f"{case.name}: grad {j}, oneDNN vs NumPy")
        _close(a, t, f"{case.name}: grad {j}, oneDNN vs torch")
        _close(s, t, f"{case.name}: grad {j}, composite backward after a oneDNN forward")


KERNEL_LAYERS = [p for p in LAYERS if p.id.startswith(("Conv", "LSTM", "GRU", "RNN_", "MaxPool",
                                                       "AvgPool"))
                 and "Cell" not in p.id and "divisor" not in p.id]  # divisor_override: NumPy


@pytest.mark.parametrize("make,shapes,kind,train", KERNEL_LAYERS)
def test_layer_rows_on_both_paths(make, shapes, kind, train, monkeypatch):
    calls = _Calls(monkeypatch)
    rng = np.random.default_rng(0)
    tm = make(torch.nn)
    with torch.no_grad():
        for p in tm.parameters():
            p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    tm.train(train)
    xs = [x.astype(np.float32) for x in layer_inputs(rng, shapes, kind)]
    tx = [torch.tensor(x, requires_grad=True) for x in xs]
    to = tm(*tx)
    w = rng.standard_normal(tuple(to.shape)).astype(np.float32)
    (to * torch.tensor(w)).sum().backward()
    results = {}
    for on in (True, False):
        calls.n = 0
        with mkldnn.flags(enabled=on):
            em = make(ember.nn)
            em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
            em.train(train)
            ex = [ember.tensor(x, requires_grad=True) for x in xs]
            eo = em(*ex)
            (eo * ember.tensor(w)).sum().backward()
        assert (calls.n > 0) == on, f"oneDNN calls: {calls.n} with enabled={on}"
        results[on] = (eo.detach().numpy(), [x.grad.numpy() for x in ex],
                       {n: p.grad.numpy() for n, p in em.named_parameters()})
    for on in (True, False):
        out, gx, gp = results[on]
        _close(out, to.detach().numpy(), f"output (oneDNN={on})")
        for a, b in zip(gx, tx):
            _close(a, b.grad.numpy(), f"input grad (oneDNN={on})")
        for name, p in tm.named_parameters():
            _close(gp[name], p.grad.numpy(), f"{name} grad (oneDNN={on})")


# ---------------------------------------------------------------------------- random cases
def _both_paths(f, arrays):
    """f(*tensors) with oneDNN on and off: outputs and gradients under a fixed upstream."""
    res = []
    for on in (True, False):
        with mkldnn.flags(enabled=on):
            ts = [ember.tensor(a, requires_grad=True) for a in arrays]
            out = f(*ts)
            w = np.random.default_rng(3).standard_normal(tuple(out.shape)).astype(np.float32)
            (out * ember.tensor(w)).sum().backward()
            res.append([out.detach().numpy()] + [t.grad.numpy() for t in ts])
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, atol=ATOL, rtol=RTOL)


@st.composite
def _conv_case(draw):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    cg = draw(st.integers(1, 3))
    og = draw(st.integers(1, 3))
    k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    p = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    n = draw(st.integers(1, 3))
    h = draw(st.integers(d[0] * (k[0] - 1) + 1, 9))
    w = draw(st.integers(d[1] * (k[1] - 1) + 1, 9))
    bias = draw(st.booleans())
    return n, cg * groups, h, w, og * groups, k, s, p, d, groups, bias


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_conv_case(), st.integers(0, 2 ** 31 - 1))
def test_random_convolutions_agree(case, seed):
    n, c, h, w, o, k, s, p, d, groups, bias = case
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((n, c, h, w)).astype(np.float32),
              rng.standard_normal((o, c // groups) + k).astype(np.float32)]
    if bias:
        arrays.append(rng.standard_normal(o).astype(np.float32))
    _both_paths(lambda *t: ember.nn.functional.conv2d(*t, stride=s, padding=p, dilation=d,
                                                      groups=groups), arrays)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_conv_case(), st.integers(0, 3), st.integers(0, 2 ** 31 - 1))
def test_random_transposed_convolutions_agree(case, op, seed):
    n, c, h, w, o, k, s, p, d, groups, bias = case
    out_pad = tuple(min(op, max(s[i], d[i]) - 1) for i in range(2))
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((n, c, h, w)).astype(np.float32),
              rng.standard_normal((c, o // groups) + k).astype(np.float32)]
    if bias:
        arrays.append(rng.standard_normal(o).astype(np.float32))
    hout = [(x - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + out_pad[i] + 1
            for i, x in enumerate((h, w))]
    if min(hout) <= 0:
        return
    _both_paths(lambda *t: ember.nn.functional.conv_transpose2d(
        *t, stride=s, padding=p, output_padding=out_pad, groups=groups, dilation=d), arrays)


# ---------------------------------------------------------------------------- recurrent layers
RNN_LAYERS = [
    ("lstm_h0_c0", lambda nn: nn.LSTM(3, 5), (4, 2, 3), True),
    ("lstm_nobias_unbatched", lambda nn: nn.LSTM(3, 5, bias=False), (4, 3), False),
    ("lstm_proj_2layer_bidirectional", lambda nn: nn.LSTM(3, 5, 2, proj_size=2,
                                                          bidirectional=True), (4, 2, 3), True),
    ("gru_bidirectional_batch_first_h0", lambda nn: nn.GRU(3, 4, bidirectional=True,
                                                           batch_first=True), (2, 6, 3), True),
    ("gru_nobias_3layer", lambda nn: nn.GRU(2, 3, 3, bias=False), (5, 3, 2), False),
    ("rnn_tanh_h0", lambda nn: nn.RNN(3, 4, 2), (5, 2, 3), True),
    ("rnn_relu_bidirectional", lambda nn: nn.RNN(3, 4, nonlinearity="relu",
                                                 bidirectional=True), (5, 2, 3), False),
]


def _rnn_both_paths(make, xshape, with_h0, seed=0, train_dropout=False):
    """Output, h_n (and c_n) and every gradient of a recurrent layer: oneDNN, NumPy, torch."""
    rng = np.random.default_rng(seed)
    tm = make(torch.nn)
    with torch.no_grad():
        for p in tm.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-0.5, 0.5, tuple(p.shape)).astype(np.float32)))
    x = rng.standard_normal(xshape).astype(np.float32)
    lstm = isinstance(tm, torch.nn.LSTM)
    batched = len(xshape) == 3
    n = (xshape[0] if tm.batch_first else xshape[1]) if batched else None
    hs = (tm.num_layers * (2 if tm.bidirectional else 1),) + ((n,) if batched else ()) + \
        (tm.proj_size or tm.hidden_size,)
    states = []
    if with_h0:
        states.append(rng.standard_normal(hs).astype(np.float32))
        if lstm:
            states.append(rng.standard_normal(hs[:-1] + (tm.hidden_size,)).astype(np.float32))

    def run(m, model, calls=None):
        xt = m.tensor(x, requires_grad=True)
        st = [m.tensor(s, requires_grad=True) for s in states]
        hx = None if not st else (tuple(st) if lstm else st[0])
        out, hn = model(xt, hx)
        outs = [out] + (list(hn) if lstm else [hn])
        loss = 0
        for k, o in enumerate(outs):
            w = np.random.default_rng(k).standard_normal(tuple(o.shape)).astype(np.float32)
            loss = loss + (o * m.tensor(w)).sum()
        loss.backward()
        grads = [xt.grad] + [s.grad for s in st] + [p.grad for _, p in model.named_parameters()]
        return [o.detach().numpy() for o in outs] + [g.numpy() for g in grads]

    want = run(torch, tm)
    got = {}
    for on in (True, False):
        with mkldnn.flags(enabled=on):
            em = make(ember.nn)
            em.load_state_dict({k: ember.tensor(v.numpy()) for k, v in tm.state_dict().items()})
            before = _prim.executions[0]
            got[on] = run(ember, em)
            assert (_prim.executions[0] > before) == on
    for on in (True, False):
        for i, (a, b) in enumerate(zip(got[on], want)):
            _close(a, b, f"oneDNN={on}: result {i}")


@pytest.mark.parametrize("name,make,xshape,with_h0", [pytest.param(*r, id=r[0])
                                                      for r in RNN_LAYERS])
def test_recurrent_layers_on_both_paths(name, make, xshape, with_h0):
    _rnn_both_paths(make, xshape, with_h0)


def test_recurrent_dropout_between_layers_is_the_same_on_both_paths():
    x = np.random.default_rng(0).standard_normal((6, 3, 4)).astype(np.float32)
    res = []
    for on in (True, False):
        with mkldnn.flags(enabled=on):
            ember.manual_seed(0)
            m = ember.nn.LSTM(4, 5, 3, dropout=0.5)
            ember.manual_seed(1)
            xt = ember.tensor(x, requires_grad=True)
            out, _ = m(xt)
            out.sum().backward()
            res.append([out.detach().numpy(), xt.grad.numpy(), m.weight_hh_l0.grad.numpy()])
    for a, b in zip(*res):
        _close(a, b, "dropout between layers")


def test_packed_sequences_and_inference_take_the_right_path():
    from ember.nn.utils.rnn import pack_padded_sequence

    m = ember.nn.GRU(3, 4, batch_first=True)
    x = ember.randn(3, 5, 3)
    before = _prim.executions[0]
    out, h = m(pack_padded_sequence(x, [5, 2, 4], batch_first=True, enforce_sorted=False))
    assert _prim.executions[0] == before, "a packed batch went to oneDNN"
    with ember.no_grad():  # inference: a forward-only primitive, no workspace kept
        out1, h1 = m(x)
    assert _prim.executions[0] > before and out1.grad_fn is None
    with mkldnn.flags(enabled=False), ember.no_grad():
        out2, h2 = m(x)
    _close(out1.numpy(), out2.numpy(), "inference output")


@st.composite
def _rnn_case(draw):
    mode = draw(st.sampled_from(["LSTM", "GRU", "RNN_TANH", "RNN_RELU"]))
    hidden = draw(st.integers(1, 6))
    kw = dict(num_layers=draw(st.integers(1, 2)), bias=draw(st.booleans()),
              batch_first=draw(st.booleans()), bidirectional=draw(st.booleans()))
    if mode == "LSTM" and hidden > 1 and draw(st.booleans()):
        kw["proj_size"] = draw(st.integers(1, hidden - 1))
    if mode.startswith("RNN"):
        kw["nonlinearity"] = "tanh" if mode == "RNN_TANH" else "relu"
    size = draw(st.integers(1, 5))
    t, n = draw(st.integers(1, 7)), draw(st.integers(1, 4))
    shape = (n, t, size) if kw["batch_first"] else (t, n, size)
    cls = mode.split("_")[0]
    return (lambda nn: getattr(nn, cls)(size, hidden, **kw)), shape, draw(st.booleans())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_rnn_case(), st.integers(0, 2 ** 31 - 1))
def test_random_recurrent_layers_agree(case, seed):
    make, shape, with_h0 = case
    _rnn_both_paths(make, shape, with_h0, seed=seed)


# ---------------------------------------------------------------------------- batch norm
BN_CASES = [
    ("2d_channels_last", (4, 16, 5, 6), True, True),
    ("2d_plain", (4, 16, 5, 6), False, True),
    ("2d_no_affine", (3, 8, 4, 4), True, False),
    ("1d_rows", (6, 12), False, True),
    ("1d_sequence", (3, 10, 7), True, True),
]


@pytest.mark.parametrize("name,shape,channels_last,affine",
                         [pytest.param(*c, id=c[0]) for c in BN_CASES])
def test_batch_norm_on_both_paths(name, shape, channels_last, affine):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    mem = np.moveaxis(np.ascontiguousarray(np.moveaxis(x, 1, -1)), -1, 1) if channels_last else x
    cls = "BatchNorm2d" if len(shape) == 4 else "BatchNorm1d"
    tm = getattr(torch.nn, cls)(shape[1], affine=affine)
    if affine:
        with torch.no_grad():
            tm.weight.uniform_(0.5, 1.5)
            tm.bias.uniform_(-1, 1)
    tx = torch.tensor(x, requires_grad=True)
    to = tm(tx)
    w = rng.standard_normal(shape).astype(np.float32)
    (to * torch.tensor(w)).sum().backward()
    for on in (True, False):
        with mkldnn.flags(enabled=on):
            em = getattr(ember.nn, cls)(shape[1], affine=affine)
            if affine:
                em.load_state_dict({k: ember.tensor(v.numpy())
                                    for k, v in tm.state_dict().items() if "weight" in k or
                                    "bias" in k}, strict=False)
            before = _prim.executions[0]
            xe = ember.from_numpy(mem).requires_grad_(True)
            eo = em(xe)
            (eo * ember.tensor(w)).sum().backward()
            assert (_prim.executions[0] > before) == on
            _close(eo.detach().numpy(), to.detach().numpy(), f"output (oneDNN={on})")
            _close(xe.grad.numpy(), tx.grad.numpy(), f"input grad (oneDNN={on})")
            _close(em.running_mean.numpy(), tm.running_mean.numpy(), "running mean")
            _close(em.running_var.numpy(), tm.running_var.numpy(), "running var")
            if affine:
                _close(em.weight.grad.numpy(), tm.weight.grad.numpy(), "weight grad")
                _close(em.bias.grad.numpy(), tm.bias.grad.numpy(), "bias grad")
            # create_graph after a oneDNN forward: the composite formula, recorded
            xe2 = ember.from_numpy(mem).requires_grad_(True)
            gx, = ember.autograd.grad((em(xe2) ** 2).sum(), xe2, create_graph=True)
            gx.sum().backward()
            assert xe2.grad is not None and np.isfinite(xe2.grad.numpy()).all()


@pytest.mark.parametrize("shape,stride", [((3, 16, 4, 4), 1), ((2, 8, 7, 7), 2),
                                          ((2, 8, 9, 9), 1)])
def test_small_outputs_in_blocked_layouts_agree(shape, stride):
    """Outputs of at most 16 pixels run in oneDNN's blocked layouts, reordered from and to
    NHWC around each primitive; larger ones in NHWC: both against the NumPy path."""
    from ember.backends.mkldnn import conv as dconv

    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal((12, shape[1], 3, 3)).astype(np.float32)
    b = rng.standard_normal(12).astype(np.float32)
    _both_paths(lambda *t: ember.nn.functional.conv2d(*t, stride=stride, padding=1), [x, w, b])
    plan = dconv.forward(x, w, b, (stride,) * 2, (1,) * 4, (1, 1), 1)[1][0]
    ho = (shape[2] - 1) // stride + 1
    assert plan.key[-1] == (ho * ho <= dconv.BLOCKED_MAX_PIXELS)


# ---------------------------------------------------------------------------- linear layers
@pytest.mark.parametrize("threads", [1, 2])
def test_large_linear_layers_go_to_onednn_only_with_threads(threads):
    """With more than one thread, products of 256K multiply-adds or more run on oneDNN (one
    thread pool for all multi-threaded kernels); at one thread, and below that size, NumPy's
    BLAS: both against PyTorch, transposed operands read in place."""
    before = ember.get_num_threads()
    ember.set_num_threads(threads)
    try:
        rng = np.random.default_rng(0)
        for xs, (o, i) in [((128, 784), (256, 784)), ((6, 32, 256), (65, 256)), ((4, 3), (2, 3))]:
            x = rng.standard_normal(xs).astype(np.float32)
            w = (rng.standard_normal((o, i)) * 0.05).astype(np.float32)
            b = rng.standard_normal(o).astype(np.float32)
            ts = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
            yt = torch.nn.functional.linear(*ts)
            g = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
            yt.backward(torch.tensor(g))
            es = [ember.tensor(a, requires_grad=True) for a in (x, w, b)]
            n0 = _prim.executions[0]
            ye = ember.nn.functional.linear(*es)
            ye.backward(ember.tensor(g))
            big = int(np.prod(xs[:-1])) * i * o >= (1 << 18)
            assert (_prim.executions[0] > n0) == (threads > 1 and big)
            _close(ye.detach().numpy(), yt.detach().numpy(), "linear output")
            for e, t in zip(es, ts):
                _close(e.grad.numpy(), t.grad.numpy(), "linear gradient")
    finally:
        ember.set_num_threads(before)
