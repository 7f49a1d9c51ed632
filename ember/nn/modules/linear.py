"""Affine layers: Linear, Bilinear, and the lectures' Maxout."""
from __future__ import annotations

import math

from ... import ops
from ...ops.creation import empty
from ...tensor import Tensor
from .. import init
from ..module import Module
from ..parameter import Parameter, UninitializedParameter
from .lazy import LazyModuleMixin
from .container import Identity  # noqa: F401 - torch.nn.modules.linear.Identity

__all__ = ["Linear", "Bilinear", "Maxout", "LazyLinear"]


def _check_features(layer: str, in_features: int, input: Tensor) -> None:
    """Raise naming the layer and the shape when the input's last dim is not in_features."""
    if input.ndim == 0 or input.shape[-1] != in_features:
        raise RuntimeError(f"{layer}: expected input with last dimension {in_features}, got "
                           f"shape {tuple(input.shape)}")


class Linear(Module):
    """y = x W^T + b.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: learn an additive bias (default True).

    Shape:
        Input: (*, in_features). Output: (*, out_features).

    Parameters ``weight`` (out_features, in_features) and ``bias`` (out_features,)
    start as PyTorch's: kaiming_uniform(a=sqrt(5)) and U(-1/sqrt(in), 1/sqrt(in)).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(empty(out_features, in_features, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init._default_(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        _check_features(f"Linear(in_features={self.in_features}, "
                        f"out_features={self.out_features})", self.in_features, input)
        return ops.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class LazyLinear(LazyModuleMixin, Linear):
    """A :class:`Linear` whose ``in_features`` is read from the first input's last dim
    (``weight`` and ``bias`` are uninitialized until then); it then becomes a Linear.

    Shape: Input (*, H_in); Output (*, out_features).
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__(0, 0, False)  # no bias yet: nothing to be replaced
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input) -> None:
        if self.in_features == 0:  # (also after a state dict gave the parameters their shapes)
            self.in_features = input.shape[-1]
        if self.has_uninitialized_params():
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()


class Bilinear(Module):
    """y_k = x1^T W_k x2 + b_k. Shape: (*, in1), (*, in2) -> (*, out)."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        self.weight = Parameter(empty(out_features, in1_features, in2_features, device=device,
                                      dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return ops.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class Maxout(Module):
    """The lectures' maxout unit: the max over ``pieces`` affine maps (Goodfellow et al., 2013).

    y_j = max_k (x W_{j,k}^T + b_{j,k}). Not in PyTorch. Parameters ``weight``
    (out_features * pieces, in_features) and ``bias`` (out_features * pieces,),
    initialised like Linear; row j * pieces + k holds piece k of unit j.

    Shape: Input (*, in_features). Output (*, out_features).
    """

    def __init__(self, in_features: int, out_features: int, pieces: int, bias: bool = True,
                 device=None, dtype=None):
        super().__init__()
        if pieces < 1:
            raise ValueError(f"Maxout: pieces must be >= 1, got {pieces}")
        self.in_features, self.out_features, self.pieces = in_features, out_features, pieces
        self.weight = Parameter(empty(out_features * pieces, in_features, device=device,
                                      dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features * pieces, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        init._default_(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        _check_features(f"Maxout(in_features={self.in_features}, out_features="
                        f"{self.out_features}, pieces={self.pieces})", self.in_features, input)
        z = ops.linear(input, self.weight, self.bias)
        z = z.reshape(tuple(input.shape[:-1]) + (self.out_features, self.pieces))
        return z.max(-1).values

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"pieces={self.pieces}, bias={self.bias is not None}")


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under the name PyTorch gives MultiheadAttention's ``out_proj``."""
