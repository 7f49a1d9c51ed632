"""Layer-table rows of ``ember.vision.ops``' modules, built with torchvision's counterparts
on the PyTorch side (``make(nn)`` picks the library from the ``nn`` it is given; torchvision
is imported only then, so the device tests run without it)."""
from __future__ import annotations

from .layer_cases import L


def _ops(nn):
    if nn.__name__.startswith("ember"):
        import ember.vision.ops as ops  # noqa: PLC0415
    else:
        import torchvision.ops as ops  # noqa: PLC0415
    return ops


LAYERS = [
    L("FrozenBatchNorm2d", lambda nn: _ops(nn).FrozenBatchNorm2d(3), [(2, 3, 4, 4)]),
    L("Conv2dNormActivation", lambda nn: _ops(nn).Conv2dNormActivation(3, 4, 3, stride=2),
      [(2, 3, 7, 6)], "away0"),
    L("Conv2dNormActivation_plain", lambda nn: _ops(nn).Conv2dNormActivation(
        4, 6, (3, 1), groups=2, dilation=(1, 2), norm_layer=None,
        activation_layer=nn.Hardswish), [(1, 4, 6, 5)], "away0"),
    L("Conv2dNormActivation_eval", lambda nn: _ops(nn).Conv2dNormActivation(
        2, 3, 1, activation_layer=nn.SiLU, inplace=None), [(2, 2, 3, 3)], train=False),
    L("SqueezeExcitation", lambda nn: _ops(nn).SqueezeExcitation(4, 2), [(2, 4, 5, 5)]),
    L("MLP", lambda nn: _ops(nn).MLP(5, [8, 6, 3], norm_layer=nn.LayerNorm), [(4, 5)]),
    L("MLP_dropout_eval", lambda nn: _ops(nn).MLP(5, [3], bias=False, dropout=0.5,
                                                   inplace=False), [(2, 7, 5)], train=False),
    L("Permute", lambda nn: _ops(nn).Permute([0, 2, 3, 1]), [(2, 3, 4, 5)]),
    L("StochasticDepth_eval", lambda nn: _ops(nn).StochasticDepth(0.3, "row"), [(4, 3, 2)],
      train=False),
]
