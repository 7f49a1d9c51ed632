"""Building blocks of torchvision's models, as ``torchvision.ops.misc``: frozen batch norm,
convolution-norm-activation blocks, squeeze-and-excitation, the MLP block and ``Permute``.
State-dict keys and shapes are torchvision's, so its weights load."""
from __future__ import annotations

import warnings
from collections.abc import Sequence

from ... import nn, ops
from ...nn import functional as F
from ...tensor import Tensor

__all__ = ["interpolate", "FrozenBatchNorm2d", "ConvNormActivation", "Conv2dNormActivation",
           "Conv3dNormActivation", "SqueezeExcitation", "MLP", "Permute"]

interpolate = F.interpolate


def _make_ntuple(x, n: int) -> tuple:
    if isinstance(x, Sequence) and not isinstance(x, str):
        return tuple(x)
    return (x,) * n


def _missing(name: str):
    """The default layer of a 3-D block while ember.nn lacks it: building one says so."""
    def build(*args, **kwargs):
        raise NotImplementedError(f"Conv3dNormActivation: ember.nn has no {name}; pass your own "
                                  "conv/norm layers or use Conv2dNormActivation")
    build.__name__ = build.__qualname__ = name
    return build


class FrozenBatchNorm2d(nn.Module):
    """BatchNorm2d with fixed statistics and affine parameters, all buffers (none trains):
    ``y = (x - running_mean) / sqrt(running_var + eps) * weight + bias``.

    Args:
        num_features: C of an (N, C, H, W) input.
        eps: added to the variance.

    State-dict keys: ``weight``, ``bias``, ``running_mean``, ``running_var`` (a
    ``num_batches_tracked`` entry from a BatchNorm2d's state dict is dropped on loading).

    Shape:
        - Input: (N, C, H, W); Output: the same.
    """

    def __init__(self, num_features: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.register_buffer("weight", ops.ones(num_features))
        self.register_buffer("bias", ops.zeros(num_features))
        self.register_buffer("running_mean", ops.zeros(num_features))
        self.register_buffer("running_var", ops.ones(num_features))

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        state_dict.pop(prefix + "num_batches_tracked", None)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)

    def forward(self, x: Tensor) -> Tensor:
        w = self.weight.reshape(1, -1, 1, 1)
        b = self.bias.reshape(1, -1, 1, 1)
        rv = self.running_var.reshape(1, -1, 1, 1)
        rm = self.running_mean.reshape(1, -1, 1, 1)
        scale = w * (rv + self.eps).rsqrt()
        return x * scale + (b - rm * scale)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.weight.shape[0]}, eps={self.eps})"


class ConvNormActivation(nn.Sequential):
    """Convolution, then normalization, then activation, as one ``Sequential`` (children
    ``0``, ``1``, ``2``). Use :class:`Conv2dNormActivation` or :class:`Conv3dNormActivation`.

    ``padding`` defaults to ``(kernel_size - 1) // 2 * dilation`` ("same" for odd kernels);
    ``bias`` defaults to True only without a norm layer; ``inplace`` is passed to the
    activation (not at all when None).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size=3, stride=1,
                 padding=None, groups: int = 1, norm_layer=nn.BatchNorm2d,
                 activation_layer=nn.ReLU, dilation=1, inplace=True, bias=None,
                 conv_layer=nn.Conv2d) -> None:
        if padding is None:
            if isinstance(kernel_size, int) and isinstance(dilation, int):
                padding = (kernel_size - 1) // 2 * dilation
            else:
                n = len(kernel_size) if isinstance(kernel_size, Sequence) else len(dilation)
                kernel_size = _make_ntuple(kernel_size, n)
                dilation = _make_ntuple(dilation, n)
                padding = tuple((kernel_size[i] - 1) // 2 * dilation[i] for i in range(n))
        if bias is None:
            bias = norm_layer is None
        layers = [conv_layer(in_channels, out_channels, kernel_size, stride, padding,
                             dilation=dilation, groups=groups, bias=bias)]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            layers.append(activation_layer(**({} if inplace is None else {"inplace": inplace})))
        super().__init__(*layers)
        self.out_channels = out_channels
        if type(self) is ConvNormActivation:
            warnings.warn("Don't use ConvNormActivation directly, please use Conv2dNormActivation "
                          "and Conv3dNormActivation instead.")


class Conv2dNormActivation(ConvNormActivation):
    """``Conv2d`` -> ``norm_layer`` (default ``BatchNorm2d``) -> ``activation_layer``
    (default ``ReLU``), torchvision's block. See :class:`ConvNormActivation` for the
    defaults.

    Shape:
        - Input: (N, C_in, H, W); Output: (N, C_out, H_out, W_out).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size=3, stride=1,
                 padding=None, groups: int = 1, norm_layer=nn.BatchNorm2d,
                 activation_layer=nn.ReLU, dilation=1, inplace=True, bias=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, groups,
                         norm_layer, activation_layer, dilation, inplace, bias, nn.Conv2d)


class Conv3dNormActivation(ConvNormActivation):
    """``Conv3d`` -> ``norm_layer`` (default ``BatchNorm3d``) -> ``activation_layer``
    (default ``ReLU``). ember.nn has no Conv3d yet: building one raises
    ``NotImplementedError`` until it does.

    Shape:
        - Input: (N, C_in, D, H, W); Output: (N, C_out, D_out, H_out, W_out).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size=3, stride=1,
                 padding=None, groups: int = 1,
                 norm_layer=getattr(nn, "BatchNorm3d", None) or _missing("BatchNorm3d"),
                 activation_layer=nn.ReLU, dilation=1, inplace=True, bias=None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, groups,
                         norm_layer, activation_layer, dilation, inplace, bias,
                         getattr(nn, "Conv3d", None) or _missing("Conv3d"))


class SqueezeExcitation(nn.Module):
    """Squeeze-and-excitation (Hu et al., 2018): channels rescaled by
    ``scale_activation(fc2(activation(fc1(avgpool(x)))))``, the fcs being 1x1 convolutions.

    Args:
        input_channels: C of the input.
        squeeze_channels: channels of the bottleneck.
        activation: the ``delta`` activation (default ``ReLU``).
        scale_activation: the ``sigma`` activation (default ``Sigmoid``).

    Shape:
        - Input: (N, C, H, W); Output: the same.
    """

    def __init__(self, input_channels: int, squeeze_channels: int, activation=nn.ReLU,
                 scale_activation=nn.Sigmoid) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(input_channels, squeeze_channels, 1)
        self.fc2 = nn.Conv2d(squeeze_channels, input_channels, 1)
        self.activation = activation()
        self.scale_activation = scale_activation()

    def _scale(self, input: Tensor) -> Tensor:
        scale = self.fc1(self.avgpool(input))
        return self.scale_activation(self.fc2(self.activation(scale)))

    def forward(self, input: Tensor) -> Tensor:
        return self._scale(input) * input


class MLP(nn.Sequential):
    """Linear layers with ``norm_layer`` (optional), ``activation_layer`` and ``Dropout``
    between them, and a final ``Linear`` and ``Dropout``.

    Args:
        in_channels: input features.
        hidden_channels: the width of each linear layer; the last is the output size.
        norm_layer: stacked after each hidden linear layer when given.
        activation_layer: after each hidden layer (default ``ReLU``).
        inplace: passed to the activation and dropout layers (not at all when None).
        bias: linear layers with biases.
        dropout: the dropout probability.

    Shape:
        - Input: (*, in_channels); Output: (*, hidden_channels[-1]).
    """

    def __init__(self, in_channels: int, hidden_channels, norm_layer=None,
                 activation_layer=nn.ReLU, inplace=None, bias: bool = True,
                 dropout: float = 0.0):
        params = {} if inplace is None else {"inplace": inplace}
        layers = []
        in_dim = in_channels
        for hidden_dim in hidden_channels[:-1]:
            layers.append(nn.Linear(in_dim, hidden_dim, bias=bias))
            if norm_layer is not None:
                layers.append(norm_layer(hidden_dim))
            layers.append(activation_layer(**params))
            layers.append(nn.Dropout(dropout, **params))
            in_dim = hidden_dim
        layers.append(nn.Linear(in_dim, hidden_channels[-1], bias=bias))
        layers.append(nn.Dropout(dropout, **params))
        super().__init__(*layers)


class Permute(nn.Module):
    """The input with its dimensions permuted to ``dims``.

    Shape:
        - Input: any, with ``len(dims)`` dimensions; Output: the permuted shape.
    """

    def __init__(self, dims):
        super().__init__()
        self.dims = dims

    def forward(self, x: Tensor) -> Tensor:
        return ops.permute(x, self.dims)
