"""torchvision's builder arguments: ``weights=None, progress=True`` (and the old ``pretrained``).

ember cannot download torchvision's pretrained weights (and reads no pickled checkpoints), so
asking for them is a clear error; a state dict converted to safetensors loads with
``model.load_state_dict(ember.load(path))``, the keys being torchvision's.
"""
from __future__ import annotations

import functools


def builder(fn):
    """Give a model builder torchvision's keyword arguments ``weights`` and ``progress``."""
    @functools.wraps(fn)
    def build(*, weights=None, progress: bool = True, **kwargs):
        pretrained = kwargs.pop("pretrained", False)
        if weights is not None or pretrained:
            asked = weights if weights is not None else "pretrained=True"
            raise RuntimeError(
                f"ember.models.{fn.__name__}: pretrained weights ({asked}) cannot be downloaded "
                "by ember. Build the model with weights=None; to start from torchvision's "
                "weights, save them with safetensors in PyTorch and load them with "
                "model.load_state_dict(ember.load(path)) (the keys are the same).")
        return fn(**kwargs)
    return build
