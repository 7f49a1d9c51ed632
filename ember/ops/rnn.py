"""Recurrent layers as fused ops: the lectures' recurrences over a whole sequence.

With x_t's input projection ``xp_t = W_ih x_t + b_ih`` computed for every step at once (one
GEMM, outside these ops, recorded by autograd), one op runs a layer's recurrence over all T
steps on raw arrays and back-propagates through time by hand:

* Elman RNN:  h_t = act(xp_t + W_hh h_{t-1} + b_hh), act = tanh or relu;
* LSTM:       (i, f, g, o) = (sig, sig, tanh, sig)(xp_t + W_hh h_{t-1} + b_hh),
              c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)   (then W_hr h_t with proj_size);
* GRU:        r, z = sig(xp_t[r, z] + W_hh h_{t-1}[r, z] + b_hh[r, z]),
              n = tanh(xp_t[n] + r * (W_hh h_{t-1} + b_hh)[n]),   h_t = (1 - z) * n + z * h_{t-1}.

Gate order is PyTorch's (i, f, g, o for LSTM; r, z, n for GRU), so weights move both ways.
Backward keeps only what it needs (the activated gates and the states) and forms the weight
gradients as one GEMM over all steps. ``lengths`` gives each sequence's length (padded or
packed batches): past its end a sequence's state is carried unchanged and its output is 0.
``reverse`` runs the sequence backwards in time (the second direction of a bidirectional
layer). These ops are differentiable once (``create_graph`` through them raises).

The single-step cells (``LSTMCell``/``GRUCell``) are fused ops too, with composite backwards
written with ember ops, so they also serve higher-order gradients.
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd.function import Op, op_once_differentiable
from ..autograd.grad_mode import state as _grad_state
from ..backends.mkldnn import rnn as _dnn_rnn
from ..backends.mkldnn._flags import use as _use_dnnl
from ..tensor import Tensor, _wrap
from ._util import xp_of

__all__ = ["recurrent_layer", "lstm_step", "gru_step"]

_GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}


def _sigmoid(x, xp):
    out = xp.negative(x)
    with backend.errstate(xp, over="ignore"):  # exp(-x) = inf for x << 0 gives 0, as it should
        xp.exp(out, out=out)
    out += 1
    return xp.reciprocal(out, out=out)


def _active(lengths, t_max, reverse, xp, dtype):
    """(T, B, 1) masks: 1 where step k of the (possibly reversed) run is inside a sequence."""
    if lengths is None:
        return None
    k = xp.arange(t_max)[:, None]
    on = k >= (t_max - lengths)[None, :] if reverse else k < lengths[None, :]
    return on[:, :, None].astype(dtype)


class RecurrentLayer(Op):
    """One direction of one layer over a whole sequence (see the module docstring).

    Inputs: xp (T, B, G*H), w_hh (G*H, P), b_hh (G*H,) or None, h0 (B, P), c0 (B, H) or None,
    w_hr (P, H) or None, then constants mode, lengths (B,) or None, reverse.
    Outputs: out (T, B, P), h_n (B, P), and c_n (B, H) for the LSTM. P = H without projection.

    The loops write into preallocated arrays (``out=``): a fresh array per elementwise step
    would cost more than the arithmetic at these sizes.
    """

    @staticmethod
    def forward(ctx, xp_all, w_hh, b_hh, h0, c0, w_hr, mode, lengths, reverse):
        xp = xp_of(xp_all)
        t_max, batch = xp_all.shape[0], xp_all.shape[1]
        hid = xp_all.shape[2] // _GATES[mode]
        dt = xp_all.dtype
        seq = xp_all[::-1] if reverse else xp_all
        empty = backend.scratch.empty  # reused between steps: fresh pages cost ~0.3 ms/MB
        masks = _active(lengths, t_max, reverse, xp, dt)
        # one copy: the per-step GEMMs run faster on it (the LSTM's run transposed instead)
        w_t = xp.ascontiguousarray(w_hh.T) if mode != "lstm" else None
        hs = empty(xp, (t_max + 1,) + h0.shape, dt)  # states before/after each step
        hs[0] = h0
        save = {}
        errs = backend.errstate(xp, over="ignore")  # exp(-x) = inf for x << 0: sigmoid 0
        errs.__enter__()
        try:
            if mode == "lstm":
                save = _lstm_forward(xp, seq, w_hh, b_hh, h0, c0, w_hr, masks, hs, empty)
            elif mode == "gru":
                acts = xp.empty((t_max, batch, 3 * hid), dtype=dt)  # r, z, n
                ghn = xp.empty((t_max, batch, hid), dtype=dt)
                gh = xp.empty((batch, 3 * hid), dtype=dt)
                for k in range(t_max):
                    xp.matmul(hs[k], w_t, out=gh)
                    if b_hh is not None:
                        gh += b_hh
                    x, a = seq[k], acts[k]
                    rz = a[:, :2 * hid]
                    xp.add(x[:, :2 * hid], gh[:, :2 * hid], out=rz)
                    xp.negative(rz, out=rz)
                    xp.exp(rz, out=rz)
                    rz += 1
                    xp.reciprocal(rz, out=rz)
                    n = a[:, 2 * hid:]
                    ghn[k] = gh[:, 2 * hid:]
                    xp.multiply(a[:, :hid], ghn[k], out=n)
                    n += x[:, 2 * hid:]
                    xp.tanh(n, out=n)
                    h_new = hs[k + 1]
                    xp.subtract(hs[k], n, out=h_new)  # h' = n + z (h - n)
                    h_new *= a[:, hid:2 * hid]
                    h_new += n
                    if masks is not None:
                        _blend(h_new, hs[k], masks[k])
                save.update(acts=acts, ghn=ghn)
            else:
                if b_hh is not None:
                    seq = seq + b_hh
                relu = mode == "rnn_relu"
                for k in range(t_max):
                    h_new = hs[k + 1]
                    xp.matmul(hs[k], w_t, out=h_new)
                    h_new += seq[k]
                    if relu:
                        xp.maximum(h_new, 0, out=h_new)
                    else:
                        xp.tanh(h_new, out=h_new)
                    if masks is not None:
                        _blend(h_new, hs[k], masks[k])
        finally:
            errs.__exit__(None, None, None)
        out = hs[1:] if masks is None else hs[1:] * masks
        if reverse:
            out = out[::-1]
        out = xp.ascontiguousarray(out)
        if ctx.needs_input_grad:
            ctx.save_for_backward(w_hh, w_hr)
            ctx.hs, ctx.masks, ctx.mode, ctx.reverse, ctx.hid = hs, masks, mode, reverse, hid
            ctx.state = save
        if mode == "lstm":
            return out, hs[t_max].copy(), save["cs"][t_max].T.copy()
        return out, hs[t_max].copy()

    @staticmethod
    @op_once_differentiable
    def backward(ctx, *grads):
        w_hh, w_hr = ctx.saved_tensors
        raws = [None if g is None else g._data for g in grads]
        res = RecurrentLayer._bptt(ctx, w_hh._data, None if w_hr is None else w_hr._data, raws)
        return tuple(None if r is None else _wrap(r, False, None, 0) for r in res)

    @staticmethod
    def fast_backward(ctx, *grads):
        w_hh, w_hr = ctx.saved_arrays
        return RecurrentLayer._bptt(ctx, w_hh, w_hr, list(grads))

    @staticmethod
    def _bptt(ctx, w_hh, w_hr, grads):
        """Back-propagation through time on raw arrays: the gradients of every input."""
        hs, masks, mode, hid = ctx.hs, ctx.masks, ctx.mode, ctx.hid
        xp = xp_of(hs)
        t_max, batch, dt = hs.shape[0] - 1, hs.shape[1], hs.dtype
        d_out = grads[0]
        if d_out is not None and ctx.reverse:
            d_out = d_out[::-1]
        if d_out is not None and masks is not None:
            d_out = d_out * masks
        dh = xp.zeros_like(hs[0]) if grads[1] is None else grads[1].copy()
        need = ctx.needs_input_grad
        st = ctx.state
        gates = _GATES[mode]
        dgate = backend.scratch.empty(xp, (t_max, batch, gates * hid), dt)
        t1 = xp.empty((batch, hid), dtype=dt)
        t2 = xp.empty((batch, hid), dtype=dt)
        keep = xp.empty_like(dh) if masks is not None else None  # what passes by off steps
        offs = None if masks is None else 1 - masks

        def step_in(k):
            """Add step k's output gradient to dh; at a masked step, set aside in ``keep``
            the part of dh that passes by untouched and keep only the rest in dh."""
            if d_out is not None:
                xp.add(dh, d_out[k], out=dh)
            if masks is None:
                return None
            xp.multiply(dh, offs[k], out=keep)
            xp.multiply(dh, masks[k], out=dh)
            return masks[k]
        d_w_hr = None
        if mode == "lstm":
            dh, dc0, d_w_hr = _lstm_bptt(xp, st, w_hh, w_hr, d_out, grads[1], grads[2], masks,
                                         dgate, need[5])
        elif mode == "gru":
            acts, ghn = st["acts"], st["ghn"]
            d_hh = xp.empty_like(dgate)  # the gradient of W_hh h + b_hh
            dhz = xp.empty_like(dh)
            for k in range(t_max - 1, -1, -1):
                m = step_in(k)
                a = acts[k]
                r, z, n = a[:, :hid], a[:, hid:2 * hid], a[:, 2 * hid:]
                dg, dgh = dgate[k], d_hh[k]
                d_r, d_z, d_n = dg[:, :hid], dg[:, hid:2 * hid], dg[:, 2 * hid:]
                xp.multiply(n, n, out=t1)  # dn = dh (1 - z) (1 - n^2)
                xp.subtract(1, t1, out=t1)
                xp.subtract(1, z, out=t2)
                xp.multiply(dh, t2, out=d_n)
                d_n *= t1
                xp.subtract(hs[k], n, out=t1)  # dz = dh (h - n) z (1 - z)
                xp.multiply(dh, t1, out=d_z)
                d_z *= z
                d_z *= t2
                xp.subtract(1, r, out=t2)  # dr = dn ghn r (1 - r)
                xp.multiply(d_n, ghn[k], out=d_r)
                d_r *= r
                d_r *= t2
                dgh[:, :2 * hid] = dg[:, :2 * hid]
                xp.multiply(d_n, r, out=dgh[:, 2 * hid:])
                xp.multiply(dh, z, out=dhz)
                xp.matmul(dgh, w_hh, out=dh)
                dh += dhz
                if m is not None:
                    dh += keep
            dc0 = None
        else:
            relu = mode == "rnn_relu"
            for k in range(t_max - 1, -1, -1):
                m = step_in(k)
                h_new, dg = hs[k + 1], dgate[k]
                if relu:
                    xp.multiply(dh, h_new > 0, out=dg)
                else:
                    xp.multiply(h_new, h_new, out=dg)
                    xp.subtract(1, dg, out=dg)
                    dg *= dh
                xp.matmul(dg, w_hh, out=dh)
                if m is not None:
                    dh += keep
            dc0 = None
        d_rec = d_hh if mode == "gru" else dgate  # what multiplies W_hh h_{t-1}
        flat = d_rec.reshape(-1, d_rec.shape[2])
        d_w_hh = flat.T @ hs[:-1].reshape(-1, hs.shape[2]) if need[1] else None
        d_b_hh = flat.sum(axis=0) if need[2] else None
        d_xp = None
        if need[0]:
            d_xp = xp.ascontiguousarray(dgate[::-1]) if ctx.reverse else dgate
        return (d_xp, d_w_hh, d_b_hh, dh if need[3] else None,
                dc0 if need[4] else None, d_w_hr, None, None, None)


def _blend(new, old, m):
    """new <- old + m (new - old), in place: off rows (m = 0) keep the old state."""
    new -= old
    new *= m
    new += old


def _row_chunks(xp, rows, k, batch, dtype):
    """Into how many row blocks a per-step product W (rows, k) @ h^T (k, batch) is split.

    On OpenBLAS cores with small-matrix sgemm kernels, single-threaded, a block of at most
    2^19 multiply-adds is computed without packing W, which otherwise costs about as much
    as the arithmetic at these sizes (32 x 256 x 1024: 167 -> 102 us). Blocks under 32
    rows lose more than they gain; with more threads one product parallelizes better.
    """
    if xp is not np or dtype != np.float32 or not backend.blas_small_gemm():
        return 1
    m = rows
    while m % 2 == 0 and m * k * batch > 1 << 19:
        m //= 2
    return rows // m if m >= 32 and m * k * batch <= 1 << 19 else 1


def _lstm_forward(xp, seq, w_hh, b_hh, h0, c0, w_hr, masks, hs, empty):
    """The LSTM recurrence, transposed: features x batch.

    Each step's gates are the (4H, B) product W_hh (4H, P) @ h^T (P, B) plus x_t^T; the
    product with the big operand first runs faster on 2 threads (82 vs 101 us at
    32 x 256 x 1024) and splits into row blocks for small-matrix kernels on one. The
    four gates are contiguous (H, B) blocks. Sigmoid and tanh take one exp each:
    tanh(x) = 2 sigmoid(2x) - 1, and the scale -1 (-2 for g) is folded into a copy of W_hh
    and the bias, so a step is exp, +1, reciprocal. Fills ``hs`` (T+1, B, P) and returns
    what backward needs: the activated gates, the cell states c and tanh(c) (transposed).
    """
    t_max, batch = seq.shape[0], seq.shape[1]
    hid, proj, dt = c0.shape[1], h0.shape[1], seq.dtype
    g = 4 * hid
    scale = xp.ones((g, 1), dtype=dt)
    scale[2 * hid:3 * hid] = 2
    wn = xp.multiply(w_hh, -scale)  # -s W_hh
    bn = None if b_hh is None else xp.multiply(b_hh[:, None], -scale)
    nc = _row_chunks(xp, g, proj, batch, dt)
    wn_c = wn.reshape(nc, g // nc, proj)
    acts = empty(xp, (t_max, 4, hid, batch), dt)
    cs = empty(xp, (t_max + 1, hid, batch), dt)
    tcs = empty(xp, (t_max, hid, batch), dt)  # tanh(c_t), for backward
    raws = empty(xp, (t_max, hid, batch), dt) if w_hr is not None else None
    cs[0] = c0.T
    h_t = xp.empty((proj, batch), dtype=dt)
    h_t[...] = h0.T
    tmp = xp.empty((hid, batch), dtype=dt)
    for k in range(t_max):
        a = acts[k]
        a2 = a.reshape(g, batch)
        xp.matmul(wn_c, h_t, out=a.reshape(nc, g // nc, batch))
        x = seq[k].T
        a2 -= x
        a[2] -= x[2 * hid:3 * hid]
        if bn is not None:
            a2 += bn
        xp.exp(a, out=a)  # a = 1 / (1 + exp(-s pre)) = sigmoid(s pre)
        a += 1
        xp.reciprocal(a, out=a)
        ag = a[2]
        ag *= 2
        ag -= 1
        c_new = cs[k + 1]
        xp.multiply(a[1], cs[k], out=c_new)
        xp.multiply(a[0], ag, out=tmp)
        c_new += tmp
        xp.tanh(c_new, out=tcs[k])
        if raws is not None:
            xp.multiply(a[3], tcs[k], out=raws[k])
            xp.matmul(w_hr, raws[k], out=h_t)
        else:
            xp.multiply(a[3], tcs[k], out=h_t)
        if masks is not None:
            m = masks[k].T
            _blend(c_new, cs[k], m)
            _blend(h_t, hs[k].T, m)
        hs[k + 1] = h_t.T
    return {"acts": acts, "cs": cs, "tcs": tcs, "raw": raws}


def _lstm_bptt(xp, st, w_hh, w_hr, d_out, dh_n, dc_n, masks, dgate, need_w_hr):
    """Back-propagation through the transposed LSTM recurrence of ``_lstm_forward``.

    Writes each step's gate gradients into ``dgate`` (T, B, 4H) and returns the gradients
    of h0 and c0 and of W_hr (or None).
    """
    acts, cs, tcs, raws = st["acts"], st["cs"], st["tcs"], st["raw"]
    t_max, _, hid, batch = acts.shape
    dt, g = acts.dtype, 4 * hid
    proj = w_hh.shape[1]
    dh = xp.zeros((proj, batch), dtype=dt) if dh_n is None else xp.ascontiguousarray(dh_n.T)
    dc = xp.zeros((hid, batch), dtype=dt) if dc_n is None else xp.ascontiguousarray(dc_n.T)
    w_t = xp.ascontiguousarray(w_hh.T)  # (P, 4H)
    nc = _row_chunks(xp, proj, g, batch, dt)
    w_tc = w_t.reshape(nc, proj // nc, g)
    dh_c = dh.reshape(nc, proj // nc, batch)
    dg4 = xp.empty((4, hid, batch), dtype=dt)  # a step's gate gradients
    d_i, d_f, d_g, d_o = dg4
    dg2 = dg4.reshape(g, batch)
    t1 = xp.empty((hid, batch), dtype=dt)
    t2 = xp.empty((hid, batch), dtype=dt)
    d_proj = xp.empty((t_max, proj, batch), dtype=dt) if raws is not None else None
    dhr = xp.empty((hid, batch), dtype=dt) if raws is not None else None
    if masks is not None:  # off columns carry dh and dc through unchanged
        keep, keep_c = xp.empty_like(dh), xp.empty_like(dc)
    for k in range(t_max - 1, -1, -1):
        if masks is not None:
            m = masks[k].T
            off = 1 - m
            xp.multiply(dc, off, out=keep_c)
        if d_out is not None:
            dh += d_out[k].T
        if masks is not None:
            xp.multiply(dh, off, out=keep)
            dh *= m
        i, f, gg, o = acts[k]
        tc = tcs[k]
        if raws is not None:
            d_proj[k] = dh
            xp.matmul(w_hr.T, dh, out=dhr)
            dho = dhr
        else:
            dho = dh
        xp.multiply(tc, tc, out=t1)  # dc += dh o (1 - tanh(c)^2)
        xp.subtract(1, t1, out=t1)
        t1 *= o
        t1 *= dho
        dc += t1
        if masks is not None:
            dc *= m
        xp.subtract(1, i, out=t2)
        xp.multiply(dc, gg, out=d_i)
        d_i *= i
        d_i *= t2
        xp.subtract(1, f, out=t2)
        xp.multiply(dc, cs[k], out=d_f)
        d_f *= f
        d_f *= t2
        xp.multiply(gg, gg, out=t2)
        xp.subtract(1, t2, out=t2)
        xp.multiply(dc, i, out=d_g)
        d_g *= t2
        xp.subtract(1, o, out=t2)
        xp.multiply(dho, tc, out=d_o)
        d_o *= o
        d_o *= t2
        dc *= f
        dgate[k] = dg2.T  # (B, 4H): the layout of the input projection's gradient
        xp.matmul(w_tc, dg2, out=dh_c)
        if masks is not None:
            dh += keep
            dc += keep_c
    d_w_hr = None
    if raws is not None and need_w_hr:  # sum over steps and batch of dh_t raw_t^T
        d_w_hr = xp.tensordot(d_proj, raws, axes=([0, 2], [0, 2]))
    return dh.T.copy(), dc.T.copy(), d_w_hr


def recurrent_layer(xproj: Tensor, w_hh: Tensor, b_hh, h0: Tensor, c0, w_hr, mode: str,
              lengths=None, reverse: bool = False):
    """Run one direction of one recurrent layer over ``xproj`` = (T, B, G*H) input projections.

    Returns ``(out, h_n)`` or, for ``mode='lstm'``, ``(out, h_n, c_n)``.
    """
    if mode not in _GATES:
        raise ValueError(f"recurrent_layer: unknown mode {mode!r} (expected one of {sorted(_GATES)})")
    lens = None
    if lengths is not None:
        lens = np.asarray(lengths, dtype=np.int64)
        if type(xproj._data) is not np.ndarray:
            lens = backend.to_device(lens, xproj.device)
    return RecurrentLayer.apply(xproj, w_hh, b_hh, h0, c0, w_hr, mode, lens, reverse)


class FusedRecurrentLayer(Op):
    """One direction of one recurrent layer on oneDNN, its input projection included: one
    primitive for the whole sequence forward (keeping oneDNN's workspace), one for its
    backward. Inputs: x (T, B, in), w_ih, w_hh, b_ih, b_hh (or None), h0 (B, P), c0 (B, H)
    or None, w_hr (P, H) or None, then the plan. Outputs as ``RecurrentLayer``'s: out
    (T, B, P), h_n, and c_n for the LSTM. Differentiable once, like the NumPy path."""

    @staticmethod
    def forward(ctx, x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_hr, plan):
        out, hn, cn, st = _dnn_rnn.forward(plan, x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_hr)
        if st is not None:
            ctx.save_for_backward(x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_hr)
            ctx.dnnl = st
        return (out, hn, cn) if cn is not None else (out, hn)

    @staticmethod
    @op_once_differentiable
    def backward(ctx, *grads):
        raws = [None if g is None else g._data for g in grads]
        res = FusedRecurrentLayer.fast_backward(ctx, *raws)
        return tuple(None if r is None else _wrap(r, False, None, 0) for r in res)

    @staticmethod
    def fast_backward(ctx, *grads):
        ctx.saved_arrays  # noqa: B018 - raises if an input was modified in place since
        if getattr(ctx, "dnnl", None) is None:
            raise RuntimeError("recurrent layer: backward through a forward run without "
                               "gradients")
        d_cn = grads[2] if len(grads) > 2 else None
        res = _dnn_rnn.backward(ctx.dnnl, grads[0], grads[1], d_cn)
        need = ctx.needs_input_grad
        return tuple(r if n else None for r, n in zip(res, need)) + (None,)


def fused_recurrent_layer(x: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih, b_hh, h0: Tensor, c0,
                          w_hr, mode: str, reverse: bool = False):
    """One direction of one recurrent layer over x (T, B, in) as one oneDNN primitive, or None
    where oneDNN does not run it (switched off, missing, float64, CuPy, a shape it does not
    cover): then the caller projects the inputs and runs ``recurrent_layer``.

    Returns ``(out, h_n)`` or, for ``mode='lstm'``, ``(out, h_n, c_n)``.
    """
    ts = [t for t in (x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_hr) if t is not None]
    if not _use_dnnl(*[t._data for t in ts]):
        return None
    training = _grad_state.enabled and any(t.requires_grad for t in ts)
    plan = _dnn_rnn.plan_for(mode, x._data, w_ih._data, w_hh._data,
                             None if w_hr is None else w_hr._data, h0._data,
                             None if c0 is None else c0._data, reverse, training)
    if plan is None:
        return None
    return FusedRecurrentLayer.apply(x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_hr, plan)


# ---------------------------------------------------------------------------- single steps


class LSTMCellOp(Op):
    """One LSTM step from the summed gate pre-activations ``gates`` (B, 4H) and ``c`` (B, H).

    Outputs (h, c'). Backward keeps the activated gates and tanh(c').
    """

    @staticmethod
    def forward(ctx, gates, c):
        xp = xp_of(gates)
        hid = c.shape[-1]
        a = _sigmoid(gates, xp)
        a[..., 2 * hid:3 * hid] = xp.tanh(gates[..., 2 * hid:3 * hid])
        i, f, g, o = (a[..., :hid], a[..., hid:2 * hid], a[..., 2 * hid:3 * hid],
                      a[..., 3 * hid:])
        c_new = f * c + i * g
        tc = xp.tanh(c_new)
        if ctx.needs_input_grad:
            ctx.save_for_backward(gates, c)
            ctx.a, ctx.tc = a, tc
        return o * tc, c_new

    @staticmethod
    def backward(ctx, dh, dc):
        from . import elementwise as E  # noqa: PLC0415
        from .shape import cat  # noqa: PLC0415

        gates, c = ctx.saved_tensors
        hid = c.shape[-1]
        i = E.sigmoid(gates[..., :hid])
        f = E.sigmoid(gates[..., hid:2 * hid])
        g = E.tanh(gates[..., 2 * hid:3 * hid])
        o = E.sigmoid(gates[..., 3 * hid:])
        c_new = f * c + i * g
        tc = E.tanh(c_new)
        dc_t = dc + dh * o * (1 - tc * tc)
        d_gates = cat([dc_t * g * i * (1 - i), dc_t * c * f * (1 - f), dc_t * i * (1 - g * g),
                       dh * tc * o * (1 - o)], -1)
        return d_gates, dc_t * f

    @staticmethod
    def fast_backward(ctx, dh, dc):
        a, tc = ctx.a, ctx.tc
        gates, c = ctx.saved_arrays
        xp = xp_of(a)
        hid = c.shape[-1]
        i, f, g, o = a[..., :hid], a[..., hid:2 * hid], a[..., 2 * hid:3 * hid], a[..., 3 * hid:]
        if dh is None:
            dh = xp.zeros_like(c)
        dc_t = dh * o * (1 - tc * tc)
        if dc is not None:
            dc_t += dc
        d = xp.empty_like(a)
        d[..., :hid] = dc_t * g * i * (1 - i)
        d[..., hid:2 * hid] = dc_t * c * f * (1 - f)
        d[..., 2 * hid:3 * hid] = dc_t * i * (1 - g * g)
        d[..., 3 * hid:] = dh * tc * o * (1 - o)
        return d, dc_t * f


class GRUCellOp(Op):
    """One GRU step from gi = W_ih x + b_ih and gh = W_hh h + b_hh (B, 3H), and h (B, H)."""

    @staticmethod
    def forward(ctx, gi, gh, h):
        xp = xp_of(gi)
        hid = h.shape[-1]
        rz = _sigmoid(gi[..., :2 * hid] + gh[..., :2 * hid], xp)
        r, z = rz[..., :hid], rz[..., hid:]
        n = xp.tanh(gi[..., 2 * hid:] + r * gh[..., 2 * hid:])
        if ctx.needs_input_grad:
            ctx.save_for_backward(gi, gh, h)
            ctx.r, ctx.z, ctx.n = r, z, n
        return n + z * (h - n)

    @staticmethod
    def backward(ctx, dh_new):
        from . import elementwise as E  # noqa: PLC0415
        from .shape import cat  # noqa: PLC0415

        gi, gh, h = ctx.saved_tensors
        hid = h.shape[-1]
        r = E.sigmoid(gi[..., :hid] + gh[..., :hid])
        z = E.sigmoid(gi[..., hid:2 * hid] + gh[..., hid:2 * hid])
        ghn = gh[..., 2 * hid:]
        n = E.tanh(gi[..., 2 * hid:] + r * ghn)
        dn = dh_new * (1 - z) * (1 - n * n)
        dz = dh_new * (h - n) * z * (1 - z)
        dr = dn * ghn * r * (1 - r)
        return cat([dr, dz, dn], -1), cat([dr, dz, dn * r], -1), dh_new * z

    @staticmethod
    def fast_backward(ctx, dh_new):
        r, z, n = ctx.r, ctx.z, ctx.n
        gi, gh, h = ctx.saved_arrays
        xp = xp_of(r)
        hid = h.shape[-1]
        dn = dh_new * (1 - z) * (1 - n * n)
        dz = dh_new * (h - n) * z * (1 - z)
        dr = dn * gh[..., 2 * hid:] * r * (1 - r)
        d_gi = xp.concatenate([dr, dz, dn], -1)
        d_gh = xp.concatenate([dr, dz, dn * r], -1)
        return d_gi, d_gh, dh_new * z


def lstm_step(gates: Tensor, c: Tensor):
    """(h', c') of one LSTM step from the gate pre-activations (B, 4H) and the cell (B, H)."""
    return LSTMCellOp.apply(gates, c)


def gru_step(gi: Tensor, gh: Tensor, h: Tensor) -> Tensor:
    """h' of one GRU step from the input and hidden projections (B, 3H) and h (B, H)."""
    return GRUCellOp.apply(gi, gh, h)
