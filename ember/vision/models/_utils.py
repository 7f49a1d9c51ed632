"""Helpers of the model files, as ``torchvision.models._utils``: ``IntermediateLayerGetter``
and the channel rounding of the mobile networks."""
from __future__ import annotations

from collections import OrderedDict

from ... import nn

__all__ = ["IntermediateLayerGetter"]


class IntermediateLayerGetter(nn.ModuleDict):
    """The model's direct children up to the last one named in ``return_layers``, run in
    registration order; the forward returns an ``OrderedDict`` of the outputs of the
    children named in ``return_layers`` (``{child name: output name}``), under the output
    names.

    The model must call its children once each, in the order it registered them, and only
    direct children can be returned (``layer1``, not ``layer1.0``); for nested modules use
    :func:`ember.vision.models.feature_extraction.create_feature_extractor`.

    Shape:
        - Input: the model's input; Output: a dict of the named children's outputs.
    """

    _version = 2

    def __init__(self, model: nn.Module, return_layers: dict) -> None:
        children = [name for name, _ in model.named_children()]
        if not set(return_layers).issubset(children):
            raise ValueError("return_layers are not present in model")
        wanted = {str(k) for k in return_layers}
        layers = OrderedDict()
        for name, module in model.named_children():
            layers[name] = module
            wanted.discard(name)
            if not wanted:
                break
        super().__init__(layers)
        self.return_layers = return_layers

    def forward(self, x):
        out = OrderedDict()
        for name, module in self.items():
            x = module(x)
            if name in self.return_layers:
                out[self.return_layers[name]] = x
        return out


def _make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    """``v`` rounded to the nearest multiple of ``divisor`` (at least ``min_value``, by
    default ``divisor``), moved up a step when rounding took away more than 10%."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v
