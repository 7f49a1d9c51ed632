"""Autocast at the ops' public entries: PyTorch's cast policy of each op, per device type.

An op that PyTorch's autocast lists starts with one line::

    if amp_state.on: return autocast_call("linear", linear, input, weight, bias)

``amp_state.on`` is False unless an ``autocast`` region is active in this thread, so
outside one the op pays one attribute read. Inside one, :func:`autocast_call` casts the
inputs as the op's policy on their device says, then calls the op again with autocast
suspended, so that the op's own inner calls are not cast a second time (in PyTorch the
listed ops are single kernels). The policies:

* ``lower``: compute in the autocast dtype (bfloat16 on the CPU, float16 on CUDA by
  default). On a GPU the inputs are cast and the op runs in that dtype (cuBLAS and CuPy
  accumulate float16 products in float32). NumPy has no bfloat16 or float16 GEMM, so on
  the CPU the inputs are rounded to the autocast dtype, the op runs in float32 (products
  summed in float32) and its result is rounded: what PyTorch's CPU kernels compute. The
  gradients flowing back through the roundings are rounded as PyTorch's low-precision
  backward kernels round them.
* ``fp32``: cast floating inputs to float32.
* ``fp32_dtype``: the op has a ``dtype`` argument; unless given, it becomes float32 when the
  first input is eligible (softmax, sum... on CUDA).
* ``promote``: run in the widest floating dtype among the inputs.
* ``banned``: refused, as PyTorch refuses ``binary_cross_entropy`` under CUDA autocast.

A tensor is eligible when it is floating, not float64, and on the region's device type.
Parameters (float32 leaves that require grad) cast to the lower dtype are cached until the
outermost region ends, as PyTorch caches them (``cache_enabled``); ember does not cache
casts made with gradient recording off, whose results carry no graph.
"""
from __future__ import annotations

import functools

import numpy as np

from .. import backend
from .._amp_state import refresh, state as amp_state
from .._grad_mode import state as grad_state
from ..autograd.function import Convert, Op
from ..tensor import Tensor

__all__ = ["amp_state", "autocast_call", "with_policy", "POLICIES"]

LOWER, FP32, FP32_DTYPE, PROMOTE, BANNED = "lower", "fp32", "fp32_dtype", "promote", "banned"


def _table(**groups):
    return {name: policy for policy, names in groups.items() for name in names.split()}


# PyTorch 2.13's lists, by ember's function names. A name ember does not have yet is listed so
# that its op only needs its entry line. Some entries follow what PyTorch's composite functions
# reach: on the CPU ``einsum`` with a contraction and ``inner`` run as ``bmm``/``mm`` there (in
# lower precision); ``einsum_elementwise`` (no index summed between operands) runs as ``mul``;
# on CUDA ``inner`` is ``tensordot`` (promote) and ``cross_entropy`` is ``log_softmax`` (float32)
# plus ``nll_loss``; ``reflect_pad``/``replicate_pad`` are ``pad``'s modes. The recurrent
# layers go by their mode: on the CPU PyTorch runs ``LSTM`` as a oneDNN layer and the
# ``RNN_TANH``/``RNN_RELU`` layers through ``linear`` (lower precision), while its GRU
# layer's float32 state makes its result float32; on CUDA ember runs all of them in float32
# (PyTorch runs cuDNN's layers in float16). The cells are not listed: their ``linear``
# calls are, as in PyTorch's CPU cells.
POLICIES = {
    "cpu": _table(
        lower="conv1d conv2d conv3d bmm mm linalg_vecdot baddbmm addmm addbmm linear matmul "
              "conv_tbc conv_transpose1d conv_transpose2d conv_transpose3d prelu "
              "scaled_dot_product_attention einsum inner LSTM RNN_TANH RNN_RELU",
        fp32="avg_pool3d binary_cross_entropy grid_sample polar prod quantile nanquantile stft "
             "cdist trace view_as_complex cholesky cholesky_inverse cholesky_solve inverse "
             "lu_solve orgqr ormqr pinverse max_pool3d max_unpool2d max_unpool3d "
             "adaptive_avg_pool3d reflect_pad replicate_pad mse_loss "
             "cosine_embedding_loss nll_loss hinge_embedding_loss poisson_nll_loss "
             "smooth_l1_loss cross_entropy l1_loss huber_loss margin_ranking_loss "
             "soft_margin_loss triplet_margin_loss multi_margin_loss ctc_loss kl_div "
             "multilabel_margin_loss binary_cross_entropy_with_logits fft_fft fft_ifft fft_fft2 "
             "fft_ifft2 fft_fftn fft_ifftn fft_rfft fft_irfft fft_rfft2 fft_irfft2 fft_rfftn "
             "fft_irfftn fft_hfft fft_ihfft linalg_cond linalg_matrix_rank linalg_solve "
             "linalg_cholesky linalg_svdvals linalg_eigvals linalg_eigvalsh linalg_inv "
             "linalg_householder_product linalg_tensorinv linalg_tensorsolve geqrf qr svd "
             "triangular_solve fractional_max_pool2d fractional_max_pool3d adaptive_max_pool3d "
             "linalg_qr linalg_cholesky_ex linalg_svd linalg_eig linalg_eigh linalg_lstsq "
             "linalg_inv_ex",
        promote="stack cat index_copy",
    ),
    "cuda": _table(
        lower="conv1d conv2d conv3d conv_tbc conv_transpose1d conv_transpose2d conv_transpose3d "
              "prelu addmm addmv addr matmul einsum einsum_elementwise mm mv linalg_vecdot linear "
              "addbmm baddbmm bmm chain_matmul linalg_multi_dot lstm_cell gru_cell rnn_tanh_cell "
              "rnn_relu_cell scaled_dot_product_attention",
        fp32="acos asin cosh erfinv exp expm1 log log10 log2 log1p reciprocal rsqrt sinh tan "
             "pow softplus layer_norm group_norm frobenius_norm nuclear_norm cosine_similarity "
             "poisson_nll_loss cosine_embedding_loss nll_loss hinge_embedding_loss kl_div "
             "l1_loss smooth_l1_loss huber_loss mse_loss margin_ranking_loss "
             "multilabel_margin_loss soft_margin_loss triplet_margin_loss multi_margin_loss "
             "binary_cross_entropy_with_logits dist pdist cdist renorm logsumexp interpolate "
             "cross_entropy",
        fp32_dtype="prod softmax log_softmax cumprod cumsum linalg_vector_norm "
                   "linalg_matrix_norm sum norm",
        promote="addcdiv addcmul atan2 bilinear cross dot vdot grid_sample index_put tensordot "
                "inner scatter_add",
        banned="binary_cross_entropy",
    ),
}

_BANNED_MESSAGE = (
    "torch.nn.functional.binary_cross_entropy and torch.nn.BCELoss are unsafe to autocast.\n"
    "Many models use a sigmoid layer right before the binary cross entropy layer.\n"
    "In this case, combine the two layers using torch.nn.functional."
    "binary_cross_entropy_with_logits\nor torch.nn.BCEWithLogitsLoss.  "
    "binary_cross_entropy_with_logits and BCEWithLogits are\nsafe to autocast.")

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)


def to_dtype(t: Tensor, dt) -> Tensor:
    """``t`` as NumPy dtype ``dt`` (recorded for autograd; ``t`` itself when it has it)."""
    return t if t._data.dtype == dt else Convert.apply(t, dt)


def _first_tensor(args, kwargs):
    for a in list(args) + list(kwargs.values()):
        if isinstance(a, Tensor):
            return a
        if isinstance(a, (list, tuple)):
            for b in a:
                if isinstance(b, Tensor):
                    return b
    return None


def _eligible(t, on_cpu: bool) -> bool:
    dt = t._data.dtype
    return ((dt.kind == "f" and dt != _F64) or dt == backend.BF16) and \
        (type(t._data) is np.ndarray) == on_cpu


class RoundTo(Op):
    """x rounded to a lower precision (``dt``: bfloat16 or float16), kept in float32.

    Backward: g rounded alike, as the low-precision kernel it stands in for would
    have produced its gradient in that precision.
    """

    @staticmethod
    def forward(ctx, x, dt):
        ctx.dt = dt
        return x.astype(dt).astype(x.dtype)

    @staticmethod
    def backward(ctx, g):
        return to_dtype(to_dtype(g, ctx.dt), g.dtype), None

    @staticmethod
    def fast_backward(ctx, g):
        return g.astype(ctx.dt).astype(g.dtype), None


def _cacheable(t: Tensor) -> bool:
    return (amp_state.cache_enabled and grad_state.enabled and t.requires_grad and
            t.grad_fn is None and t._base is None and t._data.dtype == _F32)


def _lower(t: Tensor, low, on_cpu: bool) -> Tensor:
    """``t`` ready for a lower-precision op: cast (device) or rounded in float32 (CPU)."""
    key = None
    if _cacheable(t):
        key = (id(t), low)
        hit = amp_state.cache.get(key)
        if hit is not None:
            return hit[1]
    dt = t._data.dtype
    if not on_cpu:
        out = to_dtype(t, low)
    elif dt == _F32:
        out = RoundTo.apply(t, low)
    elif dt == low:
        out = to_dtype(t, _F32)
    else:  # float16 data in a bfloat16 region, or the reverse
        out = RoundTo.apply(to_dtype(t, _F32), low)
    if key is not None:
        amp_state.cache[key] = (t, out)  # the tensor is kept: its id stays unique
    return out


def _map(args, kwargs, f):
    def one(a):
        if isinstance(a, Tensor):
            return f(a)
        if isinstance(a, (list, tuple)) and any(isinstance(b, Tensor) for b in a):
            items = [f(b) if isinstance(b, Tensor) else b for b in a]
            return type(a)(*items) if hasattr(a, "_fields") else type(a)(items)
        return a
    return tuple(one(a) for a in args), {k: one(v) for k, v in kwargs.items()}


def _tensors(args, kwargs):
    for a in list(args) + list(kwargs.values()):
        if isinstance(a, Tensor):
            yield a
        elif isinstance(a, (list, tuple)):
            yield from (b for b in a if isinstance(b, Tensor))


def _cast_args(policy, dev, low, args, kwargs):
    on_cpu = dev == "cpu"
    if policy == BANNED:
        raise RuntimeError(_BANNED_MESSAGE)
    if policy == LOWER:
        return _map(args, kwargs, lambda t: _lower(t, low, on_cpu) if _eligible(t, on_cpu)
                    else t)
    if policy == FP32:
        return _map(args, kwargs, lambda t: to_dtype(t, _F32) if _eligible(t, on_cpu) else t)
    if policy == FP32_DTYPE:
        first = _first_tensor(args, kwargs)
        if kwargs.get("dtype") is None and first is not None and _eligible(first, on_cpu):
            kwargs = dict(kwargs, dtype=backend.float32)
        return args, kwargs
    # PROMOTE: float32 when any eligible input is float32, else the lower dtype
    eligible = [t._data.dtype for t in _tensors(args, kwargs) if _eligible(t, on_cpu)]
    if not eligible:
        return args, kwargs
    to = _F32 if any(d == _F32 for d in eligible) or len(set(eligible)) > 1 else low
    return _map(args, kwargs, lambda t: to_dtype(t, to) if _eligible(t, on_cpu) else t)


def _narrow(out, low):
    """The float32 results of a lower-precision op emulated on the CPU, rounded to ``low``."""
    if isinstance(out, Tensor):
        return to_dtype(out, low) if out._data.dtype == _F32 else out
    if isinstance(out, tuple):
        items = [_narrow(o, low) for o in out]
        return type(out)(*items) if hasattr(out, "_fields") else type(out)(items)
    return out


def autocast_call(name: str, fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` under the autocast policy that op ``name`` has on its inputs'
    device type (none: called as is), with autocast suspended inside it."""
    first = _first_tensor(args, kwargs)
    dev = None if first is None else ("cpu" if type(first._data) is np.ndarray else "cuda")
    policy = POLICIES[dev].get(name) if dev is not None and amp_state.enabled.get(dev) else None
    low = None
    if policy is not None:
        low = amp_state.dtype[dev].np
        args, kwargs = _cast_args(policy, dev, low, args, kwargs)
    amp_state.inside += 1
    refresh()
    try:
        out = fn(*args, **kwargs)
    finally:
        amp_state.inside -= 1
        refresh()
    if policy == LOWER and dev == "cpu":
        out = _narrow(out, low)
    return out


def with_policy(name: str, fn):
    """``fn`` with its autocast entry check in front (for a family that lists its autocast
    ops in one place, at the end of its module, instead of a line in each)."""
    @functools.wraps(fn)
    def op(*args, **kwargs):
        if amp_state.on:
            return autocast_call(name, fn, *args, **kwargs)
        return fn(*args, **kwargs)
    return op
