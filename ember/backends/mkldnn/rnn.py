"""Recurrent layers on oneDNN: one primitive runs a whole sequence of one layer and direction.

PyTorch's parameters map onto oneDNN's without copies of the activations:

* weights: PyTorch's ``weight_ih`` (G*H, in) is oneDNN's ``ldgoi`` layout of the logical
  (layers=1, directions=1, in, gates=G, H) tensor, ``weight_hh`` (G*H, P) likewise, and
  ``weight_hr`` (P, H) is ``ldoi``; each is reordered into the layout oneDNN picks.
* gates: the LSTM's order i, f, g, o is oneDNN's. The GRU is oneDNN's linear-before-reset
  GRU (``lbr_gru``), whose candidate tanh(W_o x + b_o + r (U_o h + b_u')) is PyTorch's n
  gate; its gate order is u (PyTorch's z), r, o (n), so the first two gate blocks swap.
* bias: oneDNN has one bias per gate, b_ih + b_hh (the RNN and the LSTM); the GRU's has four
  parts, (b_z, b_r) summed, then b_in and b_hn apart.

Training keeps oneDNN's workspace (the gates and states of every step) for backward, which
writes the weight gradients (``diff_weights_overwrite``) rather than adding to them.
Variable lengths (packed sequences) are not covered: the caller runs its NumPy path.
"""
from __future__ import annotations

import threading

import numpy as np

from . import _lib
from ._prim import MD, Cache, PrimitiveDesc, Primitive, Reorder, any_md, md_equal

__all__ = ["forward", "backward"]

_TAG_LDGOI, _TAG_LDOI = 31, 20  # dnnl_abdec, dnnl_abdc
_OVERWRITE = 1                                # dnnl_rnn_flags_diff_weights_overwrite
_CELL = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}
_plans = Cache(128)
_NO_PLAN = object()


class RnnPlan:
    """The primitives of one layer and direction: forward (training or inference) and,
    built on first use, backward; with the weight reorders between PyTorch's layouts and
    oneDNN's.

    ``key`` = (mode, T, N, in, H, P (projection size, or H), reverse, training).
    """

    def __init__(self, key):
        mode, T, N, I, H, P, reverse, training = key
        self.key = key
        G = _CELL[mode]
        Gb = 4 if mode == "gru" else G
        proj = P != H
        self.src = MD((T, N, I), tag=_lib.TAG_ABC)
        self.dst = MD((T, N, P), tag=_lib.TAG_ABC)
        self.h = MD((1, 1, N, P), tag=_lib.TAG_ABCD)
        self.c = MD((1, 1, N, H), tag=_lib.TAG_ABCD) if mode == "lstm" else None
        self.bias = MD((1, 1, Gb, H), tag=_lib.TAG_ABCD)
        self.wl_plain = MD((1, 1, I, G, H), tag=_TAG_LDGOI)
        self.wi_plain = MD((1, 1, P, G, H), tag=_TAG_LDGOI)
        self.wp_plain = MD((1, 1, H, P), tag=_TAG_LDOI) if proj else None
        self.wl_any, self.wi_any = any_md((1, 1, I, G, H)), any_md((1, 1, P, G, H))
        self.wp_any = any_md((1, 1, H, P)) if proj else None
        self.mode, self.training = mode, training
        self.direction = _lib.R2L if reverse else _lib.L2R
        prop = _lib.FORWARD_TRAINING if training else _lib.FORWARD_INFERENCE
        # (oneDNN's CPU RNN driver calls itself "ref" but runs its cells on jit GEMMs)
        self.fwd_pd = PrimitiveDesc(lambda pd, attr: self._create_fwd(pd, attr, prop))
        self.fwd = Primitive(self.fwd_pd)
        self.wl_fwd = self.fwd_pd.md(_lib.Q_WEIGHTS, 0)
        self.wi_fwd = self.fwd_pd.md(_lib.Q_WEIGHTS, 1)
        self.wp_fwd = self.fwd_pd.md(_lib.Q_EXEC_ARG, _lib.ARG_WEIGHTS_PROJECTION) if proj \
            else None
        self.to_fwd = [_reorder(a, b) for a, b in ((self.wl_plain, self.wl_fwd),
                                                   (self.wi_plain, self.wi_fwd),
                                                   (self.wp_plain, self.wp_fwd)) if a is not None]
        self.workspace = self.fwd_pd.md(_lib.Q_WORKSPACE) if training else None
        self._lock = threading.Lock()
        self._bwd = None
        if training:  # built now: where backward would fail, the NumPy path runs instead
            self.bwd()

    def _descs(self):
        """The forward descriptors in the order every creation function takes them."""
        c = self.c.ptr if self.c is not None else None
        return dict(src=self.src.ptr, h=self.h.ptr, c=c, wl=self.wl_any.ptr, wi=self.wi_any.ptr,
                    wp=self.wp_any.ptr if self.wp_any is not None else None, b=self.bias.ptr,
                    dst=self.dst.ptr)

    def _create_fwd(self, pd, attr, prop):
        eng = _lib.load()["engine"]
        d = self._descs()
        if self.mode == "lstm":
            _lib.call("dnnl_lstm_forward_primitive_desc_create", pd, eng, prop, self.direction,
                      d["src"], d["h"], d["c"], d["wl"], d["wi"], None, d["wp"], d["b"],
                      d["dst"], d["h"], d["c"], 0, attr)
        elif self.mode == "gru":
            _lib.call("dnnl_lbr_gru_forward_primitive_desc_create", pd, eng, prop,
                      self.direction, d["src"], d["h"], d["wl"], d["wi"], d["b"], d["dst"],
                      d["h"], 0, attr)
        else:
            act = _lib.ELTWISE_TANH if self.mode == "rnn_tanh" else _lib.ELTWISE_RELU
            _lib.call("dnnl_vanilla_rnn_forward_primitive_desc_create", pd, eng, prop, act,
                      self.direction, d["src"], d["h"], d["wl"], d["wi"], d["b"], d["dst"],
                      d["h"], 0, 0.0, 0.0, attr)

    def _create_bwd(self, pd, attr):
        eng = _lib.load()["engine"]
        d = self._descs()
        hint = self.fwd_pd.ptr
        if self.mode == "lstm":
            _lib.call("dnnl_lstm_backward_primitive_desc_create", pd, eng, _lib.BACKWARD,
                      self.direction, d["src"], d["h"], d["c"], d["wl"], d["wi"], None, d["wp"],
                      d["b"], d["dst"], d["h"], d["c"],
                      d["src"], d["h"], d["c"], d["wl"], d["wi"], None, d["wp"], d["b"],
                      d["dst"], d["h"], d["c"], _OVERWRITE, hint, attr)
        elif self.mode == "gru":
            _lib.call("dnnl_lbr_gru_backward_primitive_desc_create", pd, eng, _lib.BACKWARD,
                      self.direction, d["src"], d["h"], d["wl"], d["wi"], d["b"], d["dst"],
                      d["h"], d["src"], d["h"], d["wl"], d["wi"], d["b"], d["dst"], d["h"],
                      _OVERWRITE, hint, attr)
        else:
            act = _lib.ELTWISE_TANH if self.mode == "rnn_tanh" else _lib.ELTWISE_RELU
            _lib.call("dnnl_vanilla_rnn_backward_primitive_desc_create", pd, eng, _lib.BACKWARD,
                      act, self.direction, d["src"], d["h"], d["wl"], d["wi"], d["b"],
                      d["dst"], d["h"], d["src"], d["h"], d["wl"], d["wi"], d["b"], d["dst"],
                      d["h"], _OVERWRITE, 0.0, 0.0, hint, attr)

    def bwd(self):
        """(primitive, weights descs, reorders into them, diff-weights descs, reorders out
        of them), built once."""
        with self._lock:
            if self._bwd is None:
                pd = PrimitiveDesc(self._create_bwd)
                proj = self.wp_plain is not None
                w = [pd.md(_lib.Q_WEIGHTS, 0), pd.md(_lib.Q_WEIGHTS, 1)]
                dw = [pd.md(_lib.Q_DIFF_WEIGHTS, 0), pd.md(_lib.Q_DIFF_WEIGHTS, 1)]
                plain = [self.wl_plain, self.wi_plain]
                if proj:
                    w.append(pd.md(_lib.Q_EXEC_ARG, _lib.ARG_WEIGHTS_PROJECTION))
                    dw.append(pd.md(_lib.Q_EXEC_ARG, _lib.ARG_DIFF_WEIGHTS_PROJECTION))
                    plain.append(self.wp_plain)
                self._bwd = (Primitive(pd), w, [_reorder(p, d) for p, d in zip(plain, w)], dw,
                             [_reorder(d, p) for p, d in zip(plain, dw)])
            return self._bwd


def _reorder(a, b):
    return None if md_equal(a, b) else Reorder(a, b)


def _in(a, reorder, desc):
    return a if reorder is None else reorder(a, np.empty(desc.size, dtype=np.uint8))


def _plan(key):
    if _lib.load() is None:
        return None

    def make():
        try:
            return RnnPlan(key)
        except _lib.DnnlError:
            return _NO_PLAN
    p = _plans.get(key, make)
    return None if p is _NO_PLAN else p


def _f32(a):
    return np.ascontiguousarray(a, dtype=np.float32)


def _gates(w, mode):
    """PyTorch's gate blocks in oneDNN's order (the GRU's r, z, n -> z, r, n)."""
    if mode != "gru":
        return _f32(w)
    h = w.shape[0] // 3
    return np.concatenate([w[h:2 * h], w[:h], w[2 * h:]])


def plan_for(mode, x, w_ih, w_hh, w_hr, h0, c0, reverse, training):
    """The plan that runs one layer and direction of ``mode`` over x (T, N, in) with these
    parameters and states, or None where oneDNN does not cover the case (shapes that do not
    fit each other, an unknown mode, the library missing)."""
    if mode not in _CELL or x.ndim != 3 or w_hh.ndim != 2 or w_ih.ndim != 2:
        return None
    T, N, I = x.shape
    G = _CELL[mode]
    H = w_hh.shape[0] // G
    P = w_hh.shape[1]
    if (min(T, N, I, H, P) < 1 or w_hh.shape[0] != G * H or w_ih.shape != (G * H, I)
            or (w_hr is None and P != H)
            or (w_hr is not None and (mode != "lstm" or w_hr.shape != (P, H)))
            or h0.shape != (N, P) or (mode == "lstm" and c0.shape != (N, H))):
        return None
    return _plan((mode, T, N, I, H, P, bool(reverse), bool(training)))


def forward(plan, x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_hr):
    """Run ``plan`` (from ``plan_for`` on the same arrays) over the whole sequence x.

    Returns (out (T, N, P), h_n (N, P), c_n (N, H) or None, state for ``backward``: None
    unless the plan is for training).
    """
    mode, T, N, I, H, P, _, training = plan.key
    if x.shape != (T, N, I):
        raise ValueError(f"recurrent forward: input of shape {x.shape} for a plan of "
                         f"{(T, N, I)}")
    # time-first memory: oneDNN 3.2's backward gets the input-weight gradient wrong when the
    # input is given batch-first (ntc), so a batch-first input is copied once here
    xs = _f32(x)
    wl = _in(_gates(w_ih, mode), plan.to_fwd[0], plan.wl_fwd)
    wi = _in(_gates(w_hh, mode), plan.to_fwd[1], plan.wi_fwd)
    bias = _bias(mode, b_ih, b_hh, H)
    out = np.empty((T, N, P), dtype=np.float32)
    hn = np.empty((1, 1, N, P), dtype=np.float32)
    h0c = _f32(h0)
    args = [(_lib.ARG_SRC, plan.src, xs), (_lib.ARG_SRC_ITER, plan.h, h0c),
            (_lib.ARG_WEIGHTS, plan.wl_fwd, wl), (_lib.ARG_WEIGHTS_ITER, plan.wi_fwd, wi),
            (_lib.ARG_BIAS, plan.bias, bias), (_lib.ARG_DST, plan.dst, out),
            (_lib.ARG_DST_ITER, plan.h, hn)]
    cn = c0c = None
    if mode == "lstm":
        c0c = _f32(c0)
        cn = np.empty((1, 1, N, H), dtype=np.float32)
        args += [(_lib.ARG_SRC_ITER_C, plan.c, c0c), (_lib.ARG_DST_ITER_C, plan.c, cn)]
    wp = None
    if w_hr is not None:
        wp = _in(_f32(w_hr), plan.to_fwd[2], plan.wp_fwd)
        args.append((_lib.ARG_WEIGHTS_PROJECTION, plan.wp_fwd, wp))
    ws = None
    if training:
        ws = np.empty(plan.workspace.size, dtype=np.uint8)
        args.append((_lib.ARG_WORKSPACE, plan.workspace, ws))
    plan.fwd.execute(args)
    state = None
    if training:
        state = (plan, xs, h0c, c0c, out, hn, cn, ws, bias, (w_ih, w_hh, w_hr))
    return out, hn.reshape(N, P), (cn.reshape(N, H) if cn is not None else None), state


def _bias(mode, b_ih, b_hh, H):
    """oneDNN's bias (1, 1, gates, H) from PyTorch's two (zeros without bias)."""
    G = _CELL[mode]
    if b_ih is None:
        return np.zeros((1, 1, 4 if mode == "gru" else G, H), dtype=np.float32)
    if mode != "gru":
        return (_f32(b_ih) + b_hh).reshape(1, 1, G, H)
    bi, bh = _f32(b_ih).reshape(3, H), _f32(b_hh).reshape(3, H)
    return np.stack([bi[1] + bh[1], bi[0] + bh[0], bi[2], bh[2]]).reshape(1, 1, 4, H)


def backward(state, d_out, d_hn, d_cn):
    """Gradients of x, w_ih, w_hh, the bias (as b_ih's and b_hh's), h0, c0 and w_hr for the
    upstream gradients of out, h_n and c_n (each may be None: zero)."""
    plan, xs, h0c, c0c, out, hn, cn, ws, bias, (w_ih, w_hh, w_hr) = state
    mode, T, N, I, H, P, _, _ = plan.key
    for g, want, what in ((d_out, (T, N, P), "output"), (d_hn, (N, P), "h_n"),
                          (d_cn, (N, H), "c_n")):
        if g is not None and tuple(g.shape) != want:
            raise ValueError(f"recurrent backward: gradient of the {what} has shape "
                             f"{tuple(g.shape)}, expected {want}")
    prim, w, to_w, dw, from_dw = plan.bwd()
    wl = _in(_gates(w_ih, mode), to_w[0], w[0])
    wi = _in(_gates(w_hh, mode), to_w[1], w[1])
    zeros_h = np.zeros((1, 1, N, P), dtype=np.float32)
    gout = _f32(d_out) if d_out is not None else np.zeros((T, N, P), dtype=np.float32)
    ghn = _f32(d_hn).reshape(1, 1, N, P) if d_hn is not None else zeros_h
    dx = np.empty(xs.shape, dtype=np.float32)
    dh0 = np.empty((1, 1, N, P), dtype=np.float32)
    dwl = np.empty(dw[0].size, dtype=np.uint8)
    dwi = np.empty(dw[1].size, dtype=np.uint8)
    db = np.empty(bias.shape, dtype=np.float32)
    args = [(_lib.ARG_SRC, plan.src, xs), (_lib.ARG_SRC_ITER, plan.h, h0c),
            (_lib.ARG_WEIGHTS, w[0], wl), (_lib.ARG_WEIGHTS_ITER, w[1], wi),
            (_lib.ARG_BIAS, plan.bias, bias), (_lib.ARG_DST, plan.dst, out),
            (_lib.ARG_DST_ITER, plan.h, hn), (_lib.ARG_WORKSPACE, plan.workspace, ws),
            (_lib.ARG_DIFF_DST, plan.dst, gout), (_lib.ARG_DIFF_DST_ITER, plan.h, ghn),
            (_lib.ARG_DIFF_SRC, plan.src, dx), (_lib.ARG_DIFF_SRC_ITER, plan.h, dh0),
            (_lib.ARG_DIFF_WEIGHTS, dw[0], dwl), (_lib.ARG_DIFF_WEIGHTS_ITER, dw[1], dwi),
            (_lib.ARG_DIFF_BIAS, plan.bias, db)]
    dc0 = None
    if mode == "lstm":
        gcn = _f32(d_cn).reshape(1, 1, N, H) if d_cn is not None else \
            np.zeros((1, 1, N, H), dtype=np.float32)
        dc0 = np.empty((1, 1, N, H), dtype=np.float32)
        args += [(_lib.ARG_SRC_ITER_C, plan.c, c0c), (_lib.ARG_DST_ITER_C, plan.c, cn),
                 (_lib.ARG_DIFF_DST_ITER_C, plan.c, gcn), (_lib.ARG_DIFF_SRC_ITER_C, plan.c, dc0)]
    dwp = None
    if w_hr is not None:
        wp = _in(_f32(w_hr), to_w[2], w[2])
        dwp = np.empty(dw[2].size, dtype=np.uint8)
        args += [(_lib.ARG_WEIGHTS_PROJECTION, w[2], wp),
                 (_lib.ARG_DIFF_WEIGHTS_PROJECTION, dw[2], dwp)]
    prim.execute(args)
    G = _CELL[mode]
    d_wih = _out_weights(dwl, from_dw[0], (G * H, I), mode)
    d_whh = _out_weights(dwi, from_dw[1], (G * H, P), mode)
    d_whr = _out_weights(dwp, from_dw[2], (P, H), "") if w_hr is not None else None
    if mode == "gru":
        db = db.reshape(4, H)
        d_bih = np.concatenate([db[1], db[0], db[2]])
        d_bhh = np.concatenate([db[1], db[0], db[3]])
    else:
        d_bih = db.reshape(G * H)
        d_bhh = d_bih.copy()
    return (dx, d_wih, d_whh, d_bih, d_bhh, dh0.reshape(N, P),
            dc0.reshape(N, H) if dc0 is not None else None, d_whr)


def _out_weights(buf, reorder, shape, mode):
    """A weight gradient in PyTorch's layout (and gate order) from oneDNN's buffer."""
    if reorder is None:
        g = buf.view(np.float32)[:int(np.prod(shape))].reshape(shape)
    else:
        g = reorder(buf, np.empty(shape, dtype=np.float32))
    return _gates(g, mode) if mode == "gru" else g


def clear_cache():
    _plans.clear()
