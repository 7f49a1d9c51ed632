"""Activation modules: thin wrappers over ``ember.nn.functional``."""
from __future__ import annotations

from ... import ops
from ...ops.creation import full
from ...tensor import Tensor
from ..module import Module
from ..parameter import Parameter

__all__ = ["ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish",
           "Sigmoid", "LogSigmoid", "Tanh", "Hardtanh", "Hardsigmoid", "Hardswish", "Softplus",
           "Softsign", "Tanhshrink", "Threshold", "Softmax", "LogSoftmax", "Softmin", "Abs",
           "GLU", "Hardshrink", "Softshrink", "RReLU", "Softmax2d"]


def _simple(name, fn, doc):
    def forward(self, input: Tensor) -> Tensor:
        return fn(input)

    def __init__(self, inplace: bool = False):
        Module.__init__(self)
        self.inplace = inplace

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""

    cls = type(name, (Module,), {"forward": forward, "__init__": __init__,
                                 "extra_repr": extra_repr, "__doc__": doc,
                                 "__module__": __name__})
    return cls


ReLU = _simple("ReLU", ops.relu, "max(0, x), elementwise (the lectures' rectified linear unit).")
ReLU6 = _simple("ReLU6", ops.relu6, "min(max(0, x), 6).")
SELU = _simple("SELU", ops.selu, "Scaled ELU with the self-normalising constants.")
SiLU = _simple("SiLU", ops.silu, "x sigmoid(x).")
Mish = _simple("Mish", ops.mish, "x tanh(softplus(x)).")
Hardsigmoid = _simple("Hardsigmoid", ops.hardsigmoid, "relu6(x + 3) / 6.")
Hardswish = _simple("Hardswish", ops.hardswish, "x relu6(x + 3) / 6.")


class _NoArgs(Module):
    _fn = None

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input)


class Sigmoid(_NoArgs):
    """1 / (1 + e^-x)."""

    _fn = staticmethod(ops.sigmoid)


class Tanh(_NoArgs):
    """tanh(x)."""

    _fn = staticmethod(ops.tanh)


class LogSigmoid(_NoArgs):
    """log(sigmoid(x)), stable."""

    _fn = staticmethod(ops.logsigmoid)


class Softsign(_NoArgs):
    """x / (1 + |x|)."""

    _fn = staticmethod(ops.softsign)


class Tanhshrink(_NoArgs):
    """x - tanh(x)."""

    _fn = staticmethod(ops.tanhshrink)


class Abs(_NoArgs):
    """|x|: the lectures' absolute-value rectification (not in PyTorch)."""

    _fn = staticmethod(ops.abs)


class LeakyReLU(Module):
    """x for x > 0, negative_slope x otherwise."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return ops.leaky_relu(input, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class RReLU(Module):
    """Randomized leaky ReLU: slope drawn from U(lower, upper) per element in training, the
    mean slope (lower + upper) / 2 in evaluation."""

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False):
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input):
        return ops.rrelu(input, self.lower, self.upper, self.training)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace
                                                             else "")


class PReLU(Module):
    """max(0, x) + a min(0, x) with a learned slope ``a`` (one, or one per channel)."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(full((num_parameters,), float(init), device=device, dtype=dtype))

    def forward(self, input):
        return ops.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    """x for x > 0, alpha (e^x - 1) otherwise."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return ops.elu(input, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(ELU):
    """max(0, x) + min(0, alpha (e^(x/alpha) - 1))."""

    def forward(self, input):
        return ops.celu(input, self.alpha)


class GELU(Module):
    """x Phi(x); ``approximate='tanh'`` for the tanh approximation."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return ops.gelu(input, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Hardtanh(Module):
    """x clipped to [min_val, max_val]."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input):
        return ops.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}"


class Softplus(Module):
    """log(1 + e^(beta x)) / beta, linear above ``threshold``."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return ops.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Threshold(Module):
    """x where x > threshold, else ``value``."""

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):
        return ops.threshold(input, self.threshold, self.value)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}"


class Hardshrink(Module):
    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return ops.hardshrink(input, self.lambd)


class Softshrink(Hardshrink):
    def forward(self, input):
        return ops.softshrink(input, self.lambd)


class GLU(Module):
    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return ops.glu(input, self.dim)


class _DimSoftmax(Module):
    _fn = None

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return type(self)._fn(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_DimSoftmax):
    """Exponentials normalised to sum to 1 along ``dim``."""

    _fn = staticmethod(ops.softmax)


class LogSoftmax(_DimSoftmax):
    """log(softmax(x)) along ``dim``, computed stably."""

    _fn = staticmethod(ops.log_softmax)


class Softmin(_DimSoftmax):
    """softmax(-x) along ``dim``."""

    _fn = staticmethod(ops.softmin)


class Softmax2d(Module):
    """Softmax over the channels at every location. Shape: (N, C, H, W) or (C, H, W)."""

    def forward(self, input):
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input of 3 or 4 dimensions, got shape "
                             f"{list(input.shape)}")
        return ops.softmax(input, -3)


from .attention import MultiheadAttention  # noqa: E402,F401 - torch.nn.modules.activation
