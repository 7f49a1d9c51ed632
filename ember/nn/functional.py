"""``ember.nn.functional``: PyTorch's functional API, mapped onto ``ember.ops`` (no math here)."""
from __future__ import annotations

import numpy as np

from .. import backend, ops
from .._grad_mode import state as _grad_state
from ..ops import (alpha_dropout, batch_norm, bilinear, binary_cross_entropy,  # noqa: F401
                   binary_cross_entropy_with_logits, cosine_embedding_loss, cosine_similarity,
                   cross_entropy, gaussian_nll_loss, gelu, glu, group_norm, hardshrink,
                   hinge_embedding_loss, huber_loss, kl_div, l1_loss, layer_norm, linear,
                   log_softmax, logsigmoid, margin_ranking_loss, mse_loss, nll_loss, pad,
                   pairwise_distance, poisson_nll_loss, prelu, sigmoid, smooth_l1_loss,
                   softmax, softmin, softplus, softshrink, softsign, tanh, tanhshrink,
                   triplet_margin_loss)
from ..ops import (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool2d,  # noqa: F401
                   avg_pool1d, avg_pool2d, conv1d, conv2d, conv_transpose1d, conv_transpose2d,
                   dropout1d, dropout2d, fold, instance_norm, interpolate, local_response_norm,
                   lp_pool2d, max_pool1d, max_pool2d, max_unpool2d, min_pool2d, pixel_shuffle,
                   pixel_unshuffle, unfold, upsample)
from ..ops import (ctc_loss, multi_margin_loss, multilabel_margin_loss,  # noqa: F401
                   multilabel_soft_margin_loss, soft_margin_loss,
                   triplet_margin_with_distance_loss)
from ..ops import multi_head_attention_forward, scaled_dot_product_attention  # noqa: F401
from ..ops import dropout as _dropout
from ..ops import (adaptive_avg_pool3d, adaptive_max_pool3d, affine_grid,  # noqa: F401
                   avg_pool3d, conv3d, conv_transpose3d, dropout3d, grid_sample, gumbel_softmax,
                   max_pool3d, max_unpool3d, rms_norm)
from ..ops.embedding import _renorm_rows, embedding_bag  # noqa: F401 (torch.embedding_bag differs)
from ..tensor import Tensor, _wrap


def _inplace(input: Tensor, fn, inplace: bool, name: str, saves_input: bool = True) -> Tensor:
    """``fn(input)``, written into ``input`` where ``inplace``. An op whose backward reads
    its input then runs on a copy while gradients are recorded (as PyTorch keeps the
    original), so that the write does not invalidate what backward needs."""
    if not inplace:
        return fn(input)
    copy = saves_input and _grad_state.enabled and input.requires_grad
    return input._assign_result(fn(input.clone() if copy else input), name + "_")


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    return _inplace(input, ops.relu, inplace, "relu", saves_input=False)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    return _inplace(input, ops.relu6, inplace, "relu6")


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    return _inplace(input, lambda t: ops.leaky_relu(t, negative_slope),
                    inplace, "leaky_relu", saves_input=False)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _inplace(input, lambda t: ops.elu(t, alpha), inplace, "elu")


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    return _inplace(input, ops.selu, inplace, "selu")


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _inplace(input, lambda t: ops.celu(t, alpha), inplace, "celu")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    return _inplace(input, ops.silu, inplace, "silu")


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    return _inplace(input, ops.mish, inplace, "mish")


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    return _inplace(input, lambda t: ops.hardtanh(t, min_val, max_val), inplace, "hardtanh")


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    return _inplace(input, ops.hardsigmoid, inplace, "hardsigmoid",
                    saves_input=False)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    return _inplace(input, ops.hardswish, inplace, "hardswish")


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    return _inplace(input, lambda t: ops.threshold(t, threshold, value),
                    inplace, "threshold", saves_input=False)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    return _inplace(input, lambda t: ops.rrelu(t, lower, upper, training),
                    inplace, "rrelu", saves_input=False)


# PyTorch's in-place functional forms.
def relu_(input: Tensor) -> Tensor:
    return relu(input, inplace=True)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def selu_(input: Tensor) -> Tensor:
    return selu(input, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:  # noqa: A002
    return _inplace(input, lambda t: ops.threshold(t, threshold, value),
                    True, "threshold", saves_input=False)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    return rrelu(input, lower, upper, training, inplace=True)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    return _dropout(input, p, training, inplace)


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm=None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False,
              sparse: bool = False) -> Tensor:
    """Rows of ``weight`` picked by the integer ``input``; ``padding_idx`` rows get no gradient.

    ``max_norm``: the looked-up rows whose ``norm_type``-norm exceeds it are rescaled to it,
    in ``weight`` itself (as PyTorch does). ``scale_grad_by_freq``: each row's gradient is
    divided by how often its index occurs in ``input``.
    """
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported by ember "
                                  "(ember has no sparse tensors); use sparse=False")
    if input._data.dtype.kind not in "iu":
        raise RuntimeError(f"embedding: expected integer indices, got {input.dtype}")
    n = weight.shape[0]
    if input.numel() and (int(input._data.max()) >= n or int(input._data.min()) < 0):
        raise IndexError(f"embedding: index out of range in self (indices must be in [0, {n}), "
                         f"got min {int(input._data.min())}, max {int(input._data.max())})")
    if max_norm is not None:
        _renorm_rows(weight, input, float(max_norm), float(norm_type))
    out = weight[input]
    if padding_idx is not None and weight.requires_grad:
        keep = _wrap((input._data != padding_idx % n)[..., None], False, None, 0)
        out = ops.where(keep, out, out.detach())
    if scale_grad_by_freq and weight.requires_grad:
        xp = backend.xp(input._data)
        _, inverse, counts = xp.unique(input._data.reshape(-1), return_inverse=True,
                                       return_counts=True)
        scale = (1.0 / counts[inverse]).astype(weight._data.dtype).reshape(
            tuple(input.shape) + (1,))
        flat = out.detach()
        out = flat + (out - flat) * _wrap(scale, False, None, 0)  # same values, scaled gradient
    return out


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """(*,) class indices -> (*, num_classes) int64 one-hot rows."""
    if tensor._data.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    d = tensor._data
    if num_classes == -1:
        num_classes = int(d.max()) + 1 if d.size else 0
    if d.size and (int(d.min()) < 0 or int(d.max()) >= num_classes):
        raise RuntimeError("Class values must be smaller than num_classes.")
    xp = np if isinstance(d, np.ndarray) else backend.xp(d)
    out = (d[..., None] == xp.arange(num_classes)).astype(np.int64)
    return _wrap(out, False, None, 0)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """x / max(||x||_p, eps) along ``dim``."""
    return input / ops.clamp(ops.norm(input, p=p, dim=dim, keepdim=True), min=eps)
