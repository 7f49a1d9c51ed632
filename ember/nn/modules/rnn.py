"""Recurrent layers: RNN, LSTM, GRU and their single-step cells, with PyTorch's parameters.

A layer's input projections for all time steps are one GEMM (``linear`` on (T, B, in)); its
recurrence runs as one fused op per layer and direction (``ember.ops.recurrent_layer``), which
back-propagates through time by hand. Parameter names, shapes, gate order and initialisation
(U(-1/sqrt(H), 1/sqrt(H)) for every weight and bias) are PyTorch's, so state dicts move both
ways. Every layer takes a ``PackedSequence`` as well as a padded tensor.
"""
from __future__ import annotations

import math

from ... import ops
from ...ops._autocast import amp_state, autocast_call
from ...ops.creation import empty, zeros
from ...ops.rnn import fused_recurrent_layer
from ...tensor import Tensor
from .. import init
from ..module import Module
from ..parameter import Parameter
from ..utils.rnn import PackedSequence, _padded

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class RNNBase(Module):
    """The multi-layer, optionally bidirectional recurrence shared by RNN, LSTM and GRU.

    Layer k reads layer k-1's output sequence (both directions concatenated); dropout (in
    training) applies to every layer's output but the last.
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        if not isinstance(hidden_size, int) or hidden_size <= 0:
            raise ValueError(f"{name}: hidden_size must be a positive integer, got {hidden_size}")
        if not isinstance(num_layers, int) or num_layers <= 0:
            raise ValueError(f"{name}: num_layers must be a positive integer, got {num_layers}")
        if isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout should be a number in range [0, 1] representing "
                             f"the probability of an element being zeroed, got {dropout}")
        if proj_size < 0:
            raise ValueError(f"{name}: proj_size should be a positive integer or zero to "
                             "disable projections")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if proj_size >= hidden_size:
            raise ValueError(f"{name}: proj_size has to be smaller than hidden_size")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        dirs = 2 if bidirectional else 1
        gate = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        names = []
        for layer in range(num_layers):
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                layer_in = input_size if layer == 0 else real_hidden * dirs
                params = [(f"weight_ih{sfx}", (gate, layer_in)),
                          (f"weight_hh{sfx}", (gate, real_hidden))]
                if bias:
                    params += [(f"bias_ih{sfx}", (gate,)), (f"bias_hh{sfx}", (gate,))]
                if proj_size > 0:
                    params.append((f"weight_hr{sfx}", (proj_size, hidden_size)))
                for pname, shape in params:
                    setattr(self, pname, Parameter(empty(*shape, device=device, dtype=dtype)))
                    names.append(pname)
        self._flat_weights_names = names
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        per = len(self._flat_weights_names) // (self.num_layers * (2 if self.bidirectional
                                                                    else 1))
        w = self._flat_weights
        return [w[i:i + per] for i in range(0, len(w), per)]

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """Kept for PyTorch code (cuDNN's packed weights); ember needs no repacking."""

    def _mode(self):
        return {"RNN_TANH": "rnn_tanh", "RNN_RELU": "rnn_relu", "LSTM": "lstm",
                "GRU": "gru"}[self.mode]

    def _check_input(self, x: Tensor):
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"{type(self).__name__}: input.size(-1) must be equal to "
                               f"input_size. Expected {self.input_size}, got {x.shape[-1]} "
                               f"(input shape {list(x.shape)})")

    def _state(self, hx, batch, unbatched, size, what):
        dirs = 2 if self.bidirectional else 1
        want = (self.num_layers * dirs, batch, size)
        if hx is None:
            return None
        if unbatched:
            if hx.ndim != 2:
                raise RuntimeError(f"{type(self).__name__}: for unbatched 2-D input, {what} "
                                   f"should also be 2-D but got {hx.ndim}-D tensor")
            hx = hx.unsqueeze(1)
        elif hx.ndim != 3:
            raise RuntimeError(f"{type(self).__name__}: for batched 3-D input, {what} should "
                               f"also be 3-D but got {hx.ndim}-D tensor")
        if tuple(hx.shape) != want:
            raise RuntimeError(f"{type(self).__name__}: Expected {what} size {want}, got "
                               f"{tuple(hx.shape)}")
        return hx

    def forward(self, input, hx=None):
        if amp_state.on:  # autocast: PyTorch's policy of the layer (LSTM, GRU, RNN_TANH...)
            return autocast_call(self.mode, RNNBase.forward, self, input, hx)
        name = type(self).__name__
        packed = isinstance(input, PackedSequence)
        lengths = None
        unbatched = False
        if packed:
            x, lengths = _padded(input)
            if lengths.size and lengths.min() == x.shape[0]:
                lengths = None  # every sequence is full length: no masks needed
        else:
            if input.ndim not in (2, 3):
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D "
                                 f"tensor (shape {list(input.shape)})")
            unbatched = input.ndim == 2
            x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if self.batch_first
                                                      else input)
        self._check_input(x)
        batch = x.shape[1]
        dirs = 2 if self.bidirectional else 1
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        lstm = self.mode == "LSTM"
        if lstm and hx is not None:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise RuntimeError("LSTM: hx must be a tuple (h_0, c_0)")
            h0 = self._state(hx[0], batch, unbatched, real_hidden, "hidden[0]")
            c0 = self._state(hx[1], batch, unbatched, self.hidden_size, "hidden[1]")
        else:
            if hx is not None and isinstance(hx, (tuple, list)):
                raise RuntimeError(f"{name}: hx must be a tensor, not a tuple")
            h0 = self._state(hx, batch, unbatched, real_hidden, "hx")
            c0 = None
        if packed and input.sorted_indices is not None:
            h0 = None if h0 is None else h0.index_select(1, input.sorted_indices)
            c0 = None if c0 is None else c0.index_select(1, input.sorted_indices)
        if h0 is None:
            h0 = zeros(self.num_layers * dirs, batch, real_hidden, dtype=x.dtype,
                       device=x.device)
        if lstm and c0 is None:
            c0 = zeros(self.num_layers * dirs, batch, self.hidden_size, dtype=x.dtype,
                       device=x.device)
        mode = self._mode()
        layer_in = x
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                w_ih = getattr(self, f"weight_ih{sfx}")
                w_hh = getattr(self, f"weight_hh{sfx}")
                b_ih = getattr(self, f"bias_ih{sfx}") if self.bias else None
                b_hh = getattr(self, f"bias_hh{sfx}") if self.bias else None
                w_hr = getattr(self, f"weight_hr{sfx}") if self.proj_size > 0 else None
                k = layer * dirs + d
                ck = c0[k] if lstm else None
                res = None
                if lengths is None:  # the whole layer as one oneDNN primitive, where it runs
                    res = fused_recurrent_layer(layer_in, w_ih, w_hh, b_ih, b_hh, h0[k], ck,
                                                w_hr, mode, reverse=bool(d))
                if res is None:
                    xproj = ops.linear(layer_in, w_ih, b_ih)  # every step's projection at once
                    res = ops.recurrent_layer(xproj, w_hh, b_hh, h0[k], ck, w_hr, mode, lengths,
                                              reverse=bool(d))
                outs.append(res[0])
                h_n.append(res[1])
                if lstm:
                    c_n.append(res[2])
            layer_in = outs[0] if dirs == 1 else ops.cat(outs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_in = ops.dropout(layer_in, self.dropout, True)
        h_n = ops.stack(h_n, 0)
        c_n = ops.stack(c_n, 0) if lstm else None
        if packed:
            if input.unsorted_indices is not None:
                h_n = h_n.index_select(1, input.unsorted_indices)
                c_n = c_n.index_select(1, input.unsorted_indices) if lstm else None
            out = PackedSequence(_repack(layer_in, input.batch_sizes), input.batch_sizes,
                                 input.sorted_indices, input.unsorted_indices)
        elif unbatched:
            out, h_n = layer_in.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if lstm else None
        else:
            out = layer_in.transpose(0, 1) if self.batch_first else layer_in
        return (out, (h_n, c_n)) if lstm else (out, h_n)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


def _repack(padded: Tensor, batch_sizes: Tensor) -> Tensor:
    """The packed rows of a (T, B, *) padded output, for the packing ``batch_sizes``."""
    import numpy as np  # noqa: PLC0415

    from ..utils.rnn import _index_tensor, _lengths_array, _steps  # noqa: PLC0415

    t_idx, b_idx = _steps(_lengths_array(batch_sizes))
    return padded[_index_tensor(t_idx, padded.device), _index_tensor(
        np.asarray(b_idx), padded.device)]


class RNN(RNNBase):
    """Elman RNN: h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), act = tanh or relu.

    Shape: input (T, B, in) (or (B, T, in) with batch_first, or (T, in) unbatched, or a
    PackedSequence), h_0 (layers * directions, B, hidden) -> output (T, B, directions *
    hidden), h_n like h_0.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device=None, dtype=None,
                 proj_size: int = 0):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device=device, dtype=dtype)


class LSTM(RNNBase):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997), PyTorch's gate order i, f, g, o.

    Shape: as RNN, with the state a pair (h_0, c_0); with ``proj_size`` P the hidden state
    (and the output) has size P, projected by ``weight_hr``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device=device, dtype=dtype)


class GRU(RNNBase):
    """Gated recurrent unit (Cho et al., 2014), PyTorch's gate order r, z, n."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device=None, dtype=None, proj_size: int = 0):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device=device, dtype=dtype)


# ---------------------------------------------------------------------------- cells


class RNNCellBase(Module):
    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = Parameter(empty(num_chunks * hidden_size, input_size, device=device,
                                         dtype=dtype))
        self.weight_hh = Parameter(empty(num_chunks * hidden_size, hidden_size, device=device,
                                         dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, device=device, dtype=dtype))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def _prepare(self, input, hx):
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}: input has inconsistent input_size: got "
                               f"{input.shape[-1]} expected {self.input_size}")
        unbatched = input.ndim == 1
        x = input.unsqueeze(0) if unbatched else input
        if hx is not None and hx.ndim != input.ndim:
            raise RuntimeError(f"{name}: expected hidden of {input.ndim}-D for a "
                               f"{input.ndim}-D input, got {hx.ndim}-D")
        if hx is None:
            hx = zeros(x.shape[0], self.hidden_size, dtype=x.dtype, device=x.device)
        elif unbatched:
            hx = hx.unsqueeze(0)
        if tuple(hx.shape) != (x.shape[0], self.hidden_size):
            raise RuntimeError(f"{name}: hidden has shape {list(hx.shape)}, expected "
                               f"{[x.shape[0], self.hidden_size]}")
        return x, hx, unbatched

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nl = getattr(self, "nonlinearity", "tanh")
        if nl != "tanh":
            s += f", nonlinearity={nl}"
        return s


class RNNCell(RNNCellBase):
    """h' = act(W_ih x + b_ih + W_hh h + b_hh). Shape: (B, in), (B, hidden) -> (B, hidden)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)

    def forward(self, input, hx=None):
        x, h, unbatched = self._prepare(input, hx)
        pre = ops.linear(x, self.weight_ih, self.bias_ih) + ops.linear(h, self.weight_hh,
                                                                      self.bias_hh)
        out = ops.tanh(pre) if self.nonlinearity == "tanh" else ops.relu(pre)
        return out.squeeze(0) if unbatched else out


class LSTMCell(RNNCellBase):
    """One LSTM step: returns (h', c'). Shape: (B, in), ((B, hidden), (B, hidden))."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise RuntimeError("LSTMCell: hx must be a tuple (h_0, c_0)")
        x, h, unbatched = self._prepare(input, None if hx is None else hx[0])
        _, c, _ = self._prepare(input, None if hx is None else hx[1])
        gates = ops.linear(x, self.weight_ih, self.bias_ih) + ops.linear(h, self.weight_hh,
                                                                        self.bias_hh)
        h_new, c_new = ops.lstm_step(gates, c)
        if unbatched:
            return h_new.squeeze(0), c_new.squeeze(0)
        return h_new, c_new


class GRUCell(RNNCellBase):
    """One GRU step. Shape: (B, in), (B, hidden) -> (B, hidden)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        x, h, unbatched = self._prepare(input, hx)
        gi = ops.linear(x, self.weight_ih, self.bias_ih)
        gh = ops.linear(h, self.weight_hh, self.bias_hh)
        out = ops.gru_step(gi, gh, h)
        return out.squeeze(0) if unbatched else out
