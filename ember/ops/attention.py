"""Attention (Bahdanau et al., 2015; Vaswani et al., 2017), composed from ember's ops.

    Attention(Q, K, V) = softmax(Q K^T / sqrt(d) + B) V

with B the mask bias: 0 where a query may attend to a key, -inf where it may not (a boolean
mask says which; a float mask is added as it is). Multi-head attention projects the inputs
into h heads of size d = E / h, attends in each, concatenates and projects back.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ..backends import cuda as _sdp
from ..tensor import Tensor, _wrap
from ._autocast import amp_state, autocast_call
from . import elementwise as E
from .activation import softmax
from .dropout import dropout
from .products import linear, matmul
from .shape import cat

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask=None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale=None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(Q K^T * scale + mask) V over the last two dims (PyTorch's SDPA).

    Shape: query (*, L, E), key (*, S, E), value (*, S, Ev) -> (*, L, Ev). ``attn_mask``
    (broadcastable to (*, L, S)): bool (True = takes part) or float (added). ``is_causal``:
    query i attends to keys 0..i. ``dropout_p`` drops attention weights (always, as PyTorch's
    functional form does: pass 0.0 in evaluation). The backend choice of
    ``ember.nn.attention.sdpa_kernel`` is honoured as ``SDPBackend`` describes: ember's one
    implementation runs when MATH is allowed, or FLASH_ATTENTION on inputs PyTorch's CPU flash
    kernel accepts; otherwise this raises ``RuntimeError`` as PyTorch does.
    """
    if amp_state.on:
        return autocast_call("scaled_dot_product_attention", scaled_dot_product_attention,
                             query, key, value, attn_mask, dropout_p, is_causal, scale,
                             enable_gqa)
    if _sdp.SDPBackend.MATH not in _sdp.sdp_enabled_backends():
        _check_fused_backend(query, key, value, dropout_p)
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise RuntimeError(f"scaled_dot_product_attention: query, key and value need at least "
                           f"2 dims, got {list(query.shape)}, {list(key.shape)}, "
                           f"{list(value.shape)}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention: query {list(query.shape)}, key "
                           f"{list(key.shape)} and value {list(value.shape)} do not fit "
                           "(need query/key feature sizes and key/value lengths to agree)")
    n_q, n_k = query.shape[-2], key.shape[-2]
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        rep = query.shape[-3] // key.shape[-3]
        key, value = _repeat_heads(key, rep), _repeat_heads(value, rep)
    factor = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    scores = matmul(query, key.transpose(-2, -1)) * factor
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("scaled_dot_product_attention: Explicit attn_mask should not be "
                               "set when is_causal=True")
        causal = np.tril(np.ones((n_q, n_k), dtype=bool))
        on_host = type(scores._data) is np.ndarray
        mask = _wrap(causal if on_host else _to_dev(causal, scores), False, None, 0)
        scores = E.where(mask, scores, -math.inf)
    elif attn_mask is not None:
        if attn_mask._data.dtype.kind == "b":
            scores = E.where(attn_mask, scores, -math.inf)
        else:
            scores = scores + attn_mask
    weights = softmax(scores, -1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return matmul(weights, value)


def _check_fused_backend(query: Tensor, key: Tensor, value: Tensor, dropout_p: float) -> None:
    """With the math backend off, run only where PyTorch's CPU flash kernel would (ember's
    implementation then computes the same function); raise as PyTorch does elsewhere."""
    if _sdp.SDPBackend.FLASH_ATTENTION not in _sdp.sdp_enabled_backends():
        raise RuntimeError("No viable backend for scaled_dot_product_attention was found. This "
                           "is likely due to turning off both the math kernel and the fused "
                           "kernels.")
    why = None
    if dropout_p > 0.0:
        why = "Both fused kernels do not support non-zero dropout."
    elif not query.ndim == key.ndim == value.ndim == 4:
        why = (f"All fused kernels requires query, key and value to be 4 dimensional, but got "
               f"Query dim: {query.ndim}, Key dim: {key.ndim}, Value dim: {value.ndim} instead.")
    elif not query.shape[-1] == key.shape[-1] == value.shape[-1]:
        why = (f"Flash attention requires q,k,v to have the same last dimension. Got "
               f"Query.size(-1): {query.shape[-1]}, Key.size(-1): {key.shape[-1]}, "
               f"Value.size(-1): {value.shape[-1]} instead.")
    elif not all(t.dtype.is_floating_point for t in (query, key, value)):
        why = (f"Expected query, key and value to all be of a floating dtype, got {query.dtype}, "
               f"{key.dtype} and {value.dtype}.")
    if why is not None:
        warnings.warn("Flash attention kernel not used because:", stacklevel=3)
        warnings.warn(why, stacklevel=3)
        raise RuntimeError("No available kernel.  Aborting execution.")


def _repeat_heads(t: Tensor, rep: int) -> Tensor:
    """Each of t's heads (dim -3) repeated ``rep`` times in a row (grouped-query attention)."""
    shape = tuple(t.shape)
    wide = t.unsqueeze(-3).expand(*shape[:-2], rep, *shape[-2:])
    return wide.reshape(*shape[:-3], shape[-3] * rep, *shape[-2:])


def _to_dev(arr, like: Tensor):
    from .. import backend  # noqa: PLC0415

    return backend.to_device(arr, like.device)


def _as_bias(mask, name, dtype_of: Tensor):
    """MHA's masks as float biases: bool True (masked out) -> -inf, float kept."""
    if mask is None:
        return None
    if mask._data.dtype.kind == "b":
        from .creation import zeros  # noqa: PLC0415

        z = zeros(tuple(mask.shape), dtype=dtype_of.dtype, device=dtype_of.device)
        return z.masked_fill(mask, -math.inf)
    if mask._data.dtype.kind != "f":
        raise RuntimeError(f"multi_head_attention_forward: only bool and floating types of "
                           f"{name} are supported, got {mask.dtype}")
    return mask


def _pad_last(t, what):
    from .shape import pad  # noqa: PLC0415

    return None if t is None else pad(t, (0, 1), value=what)


def multi_head_attention_forward(query: Tensor, key: Tensor, value: Tensor,
                                 embed_dim_to_check: int, num_heads: int, in_proj_weight,
                                 in_proj_bias, bias_k, bias_v, add_zero_attn: bool,
                                 dropout_p: float, out_proj_weight: Tensor, out_proj_bias,
                                 training: bool = True, key_padding_mask=None,
                                 need_weights: bool = True, attn_mask=None,
                                 use_separate_proj_weight: bool = False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights: bool = True,
                                 is_causal: bool = False):
    """PyTorch's functional multi-head attention on sequence-first inputs.

    Shape: query (L, N, E) or (L, E), key (S, N, Ek), value (S, N, Ev) -> output (L, N, E),
    weights (N, L, S) averaged over heads (or (N, h, L, S)) when ``need_weights``.
    ``key_padding_mask`` (N, S): True (or -inf) for keys to ignore; ``attn_mask`` (L, S) or
    (N * h, L, S): True (or -inf) for pairs that may not attend.
    """
    if static_k is not None or static_v is not None:
        raise NotImplementedError("multi_head_attention_forward: static_k/static_v are not "
                                  "supported by ember")
    unbatched = query.ndim == 2
    if unbatched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if key.shape[:2] != value.shape[:2]:
        raise AssertionError(f"key shape {list(key.shape)} does not match value shape "
                             f"{list(value.shape)}")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    # input projections
    if use_separate_proj_weight:
        b = [None] * 3 if in_proj_bias is None else [in_proj_bias[:embed_dim],
                                                     in_proj_bias[embed_dim:2 * embed_dim],
                                                     in_proj_bias[2 * embed_dim:]]
        q = linear(query, q_proj_weight, b[0])
        k = linear(key, k_proj_weight, b[1])
        v = linear(value, v_proj_weight, b[2])
    else:
        w = in_proj_weight
        b = in_proj_bias
        pieces = [slice(0, embed_dim), slice(embed_dim, 2 * embed_dim),
                  slice(2 * embed_dim, 3 * embed_dim)]
        q, k, v = (linear(x, w[s], None if b is None else b[s])
                   for x, s in zip((query, key, value), pieces))
    attn_mask = _as_bias(attn_mask, "attn_mask", q)
    key_padding_mask = _as_bias(key_padding_mask, "key_padding_mask", q)
    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {tuple(attn_mask.shape)},"
                                   f" but should be {(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
            raise RuntimeError(f"The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, but "
                               f"should be {(bsz * num_heads, tgt_len, src_len)}.")
    if bias_k is not None and bias_v is not None:
        k = cat([k, bias_k.expand(1, bsz, embed_dim)], 0)
        v = cat([v, bias_v.expand(1, bsz, embed_dim)], 0)
        attn_mask = _pad_last(attn_mask, 0.0)
        key_padding_mask = _pad_last(key_padding_mask, 0.0)
    # heads: (L, N, E) -> (N * h, L, d)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    v = v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    if add_zero_attn:
        from .creation import zeros  # noqa: PLC0415

        z = zeros(bsz * num_heads, 1, head_dim, dtype=q.dtype, device=q.device)
        k, v = cat([k, z], 1), cat([v, z], 1)
        attn_mask = _pad_last(attn_mask, 0.0)
        key_padding_mask = _pad_last(key_padding_mask, 0.0)
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"expecting key_padding_mask shape of {(bsz, src_len)}, but "
                                 f"got {tuple(key_padding_mask.shape)}")
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(
            bsz, num_heads, 1, src_len).reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    scores = matmul(q * (1.0 / math.sqrt(head_dim)), k.transpose(-2, -1))
    if attn_mask is not None:
        scores = scores + attn_mask
    weights = softmax(scores, -1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    out = matmul(weights, v)  # (N * h, L, d)
    out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    if unbatched:
        out = out.squeeze(1)
    if not need_weights:
        return out, None
    weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
    if average_attn_weights:
        weights = weights.mean(1)
    if unbatched:
        weights = weights.squeeze(0)
    return out, weights
