"""Convolution layers: Conv1d/2d/3d, ConvTranspose1d/2d/3d and their lazy forms."""
from __future__ import annotations

from ... import ops
from ...ops.conv import _pair
from ...ops.creation import empty
from ...tensor import Tensor
from .. import init
from ..module import Module
from ..parameter import Parameter, UninitializedParameter
from .lazy import LazyModuleMixin

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
           "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
           "LazyConvTranspose2d", "LazyConvTranspose3d"]


class _ConvNd(Module):
    _nd = 2
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None,
                 output_padding=0):
        super().__init__()
        n = self._nd
        if groups <= 0 or in_channels % groups or out_channels % groups:
            raise ValueError(f"{type(self).__name__}: in_channels ({in_channels}) and "
                             f"out_channels ({out_channels}) must be divisible by groups "
                             f"({groups})")
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(f"padding_mode must be one of 'zeros', 'reflect', 'replicate' or "
                             f"'circular', but got padding_mode='{padding_mode}'")
        if isinstance(padding, str) and padding not in ("same", "valid"):
            raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                             "{'valid', 'same'}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _pair(kernel_size, "kernel_size", n)
        self.stride = _pair(stride, "stride", n)
        self.padding = padding if isinstance(padding, str) else _pair(padding, "padding", n)
        self.dilation = _pair(dilation, "dilation", n)
        self.output_padding = _pair(output_padding, "output_padding", n)
        self.groups, self.padding_mode, self.transposed = groups, padding_mode, self._transposed
        if self._transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(empty(*shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init._default_(self.weight, self.bias)

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * self._nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self._nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self._nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def _check(self, input: Tensor):
        n = self._nd
        name = f"{type(self).__name__}({self.extra_repr()})"
        if input.ndim not in (n + 1, n + 2):
            raise RuntimeError(f"{name}: expected a {n + 1}D (unbatched) or {n + 2}D (batched) "
                               f"input, got shape {tuple(input.shape)}")
        c = input.shape[-n - 1]
        if c != self.in_channels:
            raise RuntimeError(f"{name}: expected input with {self.in_channels} channels, got "
                               f"shape {tuple(input.shape)}")
        return name

    def _reversed_padding(self):
        if isinstance(self.padding, str):
            if self.padding == "valid":
                return (0,) * (2 * self._nd)
            out = []
            for k, d in zip(reversed(self.kernel_size), reversed(self.dilation)):
                tot = d * (k - 1)
                out += [tot // 2, tot - tot // 2]
            return tuple(out)
        out = []
        for p in reversed(self.padding):
            out += [p, p]
        return tuple(out)


class _Conv(_ConvNd):
    _fn = None

    def _conv_forward(self, input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        """The convolution of ``input`` with ``weight`` and ``bias`` under this layer's
        stride, padding (and padding mode), dilation and groups."""
        if self.padding_mode != "zeros":
            x = ops.pad(input, self._reversed_padding(), mode=self.padding_mode)
            return type(self)._fn(x, weight, bias, self.stride, 0, self.dilation, self.groups)
        return type(self)._fn(input, weight, bias, self.stride, self.padding, self.dilation,
                              self.groups)

    def forward(self, input: Tensor) -> Tensor:
        name = self._check(input)
        try:
            return self._conv_forward(input, self.weight, self.bias)
        except RuntimeError as exc:
            raise RuntimeError(f"{name}: {exc}") from None


class Conv2d(_Conv):
    """2-D convolution layer (the lectures' local weighted sum, slid over the image).

    Shape: Input (N, C_in, H, W) or (C_in, H, W); Output (N, C_out, H_out, W_out),
    H_out = (H + 2 padding - dilation (kernel - 1) - 1) // stride + 1.
    ``weight``: (C_out, C_in / groups, kh, kw); ``bias``: (C_out,).
    """

    _fn = staticmethod(ops.conv2d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)


class Conv1d(_Conv):
    """1-D convolution layer. Shape: (N, C_in, L) -> (N, C_out, L_out);
    weight (C_out, C_in/g, k)."""

    _nd = 1
    _fn = staticmethod(ops.conv1d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)


class Conv3d(_Conv):
    """3-D convolution layer over volumes or clips.

    Shape: Input (N, C_in, D, H, W) or (C_in, D, H, W); Output (N, C_out, D_out, H_out,
    W_out), D_out = (D + 2 padding - dilation (kernel - 1) - 1) // stride + 1 (likewise
    H_out, W_out). ``weight``: (C_out, C_in / groups, kd, kh, kw); ``bias``: (C_out,).
    """

    _nd = 3
    _fn = staticmethod(ops.conv3d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)


class _ConvTranspose(_ConvNd):
    _transposed = True
    _fn = None

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        name = self._check(input)
        op = self.output_padding
        if output_size is not None:
            op = self._output_padding_for(input, output_size)
        try:
            return type(self)._fn(input, self.weight, self.bias, self.stride, self.padding, op,
                                  self.groups, self.dilation)
        except RuntimeError as exc:
            raise RuntimeError(f"{name}: {exc}") from None

    def _output_padding_for(self, input, output_size):
        n = self._nd
        want = tuple(output_size)[-n:]
        res = []
        for i in range(n):
            base = ((input.shape[-n + i] - 1) * self.stride[i] - 2 * self.padding[i]
                    + self.dilation[i] * (self.kernel_size[i] - 1) + 1)
            extra = want[i] - base
            if not 0 <= extra < max(self.stride[i], self.dilation[i]):
                raise ValueError(f"requested an output size of {list(want)}, but valid sizes "
                                 f"range from {base} to {base + self.stride[i] - 1} "
                                 f"(for an input of {list(input.shape[-n:])})")
            res.append(extra)
        return tuple(res)


class ConvTranspose2d(_ConvTranspose):
    """Transposed 2-D convolution (up-convolution). Shape: (N, C_in, H, W) -> (N, C_out, Ho, Wo),
    Ho = (H - 1) stride - 2 padding + dilation (kernel - 1) + output_padding + 1.
    ``weight``: (C_in, C_out / groups, kh, kw).
    """

    _fn = staticmethod(ops.conv_transpose2d)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype, output_padding)


class ConvTranspose1d(ConvTranspose2d):
    """Transposed 1-D convolution. ``weight``: (C_in, C_out / groups, k)."""

    _nd = 1
    _fn = staticmethod(ops.conv_transpose1d)


class ConvTranspose3d(ConvTranspose2d):
    """Transposed 3-D convolution. Shape: (N, C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out),
    D_out = (D - 1) stride - 2 padding + dilation (kernel - 1) + output_padding + 1.
    ``weight``: (C_in, C_out / groups, kd, kh, kw).
    """

    _nd = 3
    _fn = staticmethod(ops.conv_transpose3d)


class _LazyConvMixin(LazyModuleMixin):
    """The lazy convolutions: ``in_channels`` (and the weight's shape) from the first input."""

    def _lazy_init(self, out_channels, bias, device, dtype):
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args, **kwargs) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            return
        n = self._nd + 1  # the channels and the spatial dims
        if input.ndim not in (n, n + 1):
            raise RuntimeError(f"Expected {n}D (unbatched) or {n + 1}D (batched) input to "
                               f"{type(self).__name__}, but got input of size: "
                               f"{list(input.shape)}")
        self.in_channels = input.shape[1] if input.ndim == n + 1 else input.shape[0]
        if not self.has_uninitialized_params():  # a state dict gave the shapes
            return
        if self.in_channels % self.groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if self.transposed:
            shape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size
        else:
            shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        self.weight.materialize(shape)
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()


class LazyConv1d(_LazyConvMixin, Conv1d):
    """A :class:`Conv1d` whose ``in_channels`` is read from the first input (``weight``
    and ``bias`` are uninitialized until then); it then becomes a :class:`Conv1d`."""

    cls_to_become = Conv1d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None,
                 dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False,
                         padding_mode, device, dtype)
        self._lazy_init(out_channels, bias, device, dtype)


class LazyConv2d(_LazyConvMixin, Conv2d):
    """A :class:`Conv2d` whose ``in_channels`` is read from the first input (``weight``
    and ``bias`` are uninitialized until then); it then becomes a :class:`Conv2d`."""

    cls_to_become = Conv2d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None,
                 dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False,
                         padding_mode, device, dtype)
        self._lazy_init(out_channels, bias, device, dtype)


class LazyConv3d(_LazyConvMixin, Conv3d):
    """A :class:`Conv3d` whose ``in_channels`` is read from the first input (``weight``
    and ``bias`` are uninitialized until then); it then becomes a :class:`Conv3d`."""

    cls_to_become = Conv3d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None,
                 dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False,
                         padding_mode, device, dtype)
        self._lazy_init(out_channels, bias, device, dtype)


class LazyConvTranspose1d(_LazyConvMixin, ConvTranspose1d):
    """A :class:`ConvTranspose1d` whose ``in_channels`` is read from the first input (``weight``
    and ``bias`` are uninitialized until then); it then becomes a :class:`ConvTranspose1d`."""

    cls_to_become = ConvTranspose1d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros",
                 device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False,
                         dilation, padding_mode, device, dtype)
        self._lazy_init(out_channels, bias, device, dtype)


class LazyConvTranspose2d(_LazyConvMixin, ConvTranspose2d):
    """A :class:`ConvTranspose2d` whose ``in_channels`` is read from the first input (``weight``
    and ``bias`` are uninitialized until then); it then becomes a :class:`ConvTranspose2d`."""

    cls_to_become = ConvTranspose2d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros",
                 device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False,
                         dilation, padding_mode, device, dtype)
        self._lazy_init(out_channels, bias, device, dtype)


class LazyConvTranspose3d(_LazyConvMixin, ConvTranspose3d):
    """A :class:`ConvTranspose3d` whose ``in_channels`` is read from the first input (``weight``
    and ``bias`` are uninitialized until then); it then becomes a :class:`ConvTranspose3d`."""

    cls_to_become = ConvTranspose3d

    def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros",
                 device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False,
                         dilation, padding_mode, device, dtype)
        self._lazy_init(out_channels, bias, device, dtype)
