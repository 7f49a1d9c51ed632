"""Pretrained weights for torchvision's model builders: ``weights=``, the old ``pretrained=``.

A model file declares its weights as a :class:`WeightsEnum` of :class:`Weights` (torchvision's
URLs, so its file names and hash prefixes) and wraps its builder with :func:`builder`.
``resnet18(weights=ResNet18_Weights.DEFAULT)`` then loads the weight file from PyTorch's hub
cache (``$TORCH_HOME/hub/checkpoints``, where torchvision keeps it), else from ember's cache
(``~/.cache/ember/checkpoints``), else downloads it as torchvision does; without network the
error is one line naming the file and where to put it. The file is checked against the hash
prefix in its name and read by :func:`ember.load`, which runs no code from it.
"""
from __future__ import annotations

import functools
import inspect
import os
import warnings
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable, Optional

from ... import hub
from ...serialization import load
from ..transforms._presets import ImageClassification
from ..transforms.functional import InterpolationMode
from ._meta import IMAGENET_CATEGORIES

__all__ = ["Weights", "WeightsEnum", "ImageClassification", "builder", "imagenet_weights"]


@dataclass(frozen=True, eq=False)
class Weights:
    """One set of pretrained weights: where the file is, how to prepare inputs, and facts
    about it (``meta["categories"]``, ``num_params``, the reported accuracies...)."""

    url: str
    transforms: Callable
    meta: dict

    def __eq__(self, other):
        if not isinstance(other, Weights):
            return NotImplemented
        if (self.url, self.meta) != (other.url, other.meta):
            return False
        a, b = self.transforms, other.transforms
        if isinstance(a, functools.partial) and isinstance(b, functools.partial):
            # a deep copy of a partial is a new object: compare what it would build
            return (a.func, a.args, a.keywords) == (b.func, b.args, b.keywords)
        return a == b

    def __hash__(self):
        return hash(self.url)


class WeightsEnum(Enum):
    """The weights a builder accepts (``ResNet18_Weights.IMAGENET1K_V1``, ``.DEFAULT``)."""

    @classmethod
    def verify(cls, obj: Any) -> Any:
        """``obj`` as a member of this enum: None, a member, or its name as a string
        (``"IMAGENET1K_V1"`` or ``"ResNet18_Weights.IMAGENET1K_V1"``)."""
        if obj is not None:
            if type(obj) is str:
                obj = cls[obj.replace(cls.__name__ + ".", "")]
            elif not isinstance(obj, cls):
                raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but "
                                f"received {obj.__class__.__name__}.")
        return obj

    def get_state_dict(self, progress: bool = True, check_hash: bool = True, **kwargs):
        """The state dict in the weight file (found in a cache, or downloaded); ``kwargs``
        go to :func:`ember.load` (``map_location``, ``weights_only``)."""
        path = hub.cached_file(self.url, os.path.join(hub.get_dir(), "checkpoints"),
                               check_hash=check_hash, progress=progress,
                               verify_cached=check_hash, also_in=(hub.ember_checkpoints_dir(),),
                               what=repr(self))
        return load(path, **kwargs)

    def __repr__(self):
        return f"{self.__class__.__name__}.{self._name_}"

    @property
    def url(self) -> str:
        return self.value.url

    @property
    def transforms(self) -> Callable:
        return self.value.transforms

    @property
    def meta(self) -> dict:
        return self.value.meta


def imagenet_weights(url: str, num_params: int, acc1: float, acc5: float, ops: float,
                     file_size: float, recipe: str, min_size=(1, 1), crop_size: int = 224,
                     resize_size: int = 256, categories=IMAGENET_CATEGORIES,
                     mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225),
                     interpolation: InterpolationMode = InterpolationMode.BILINEAR,
                     license: str | None = None) -> Weights:
    """An ImageNet-1K classifier's weights, with torchvision's facts about them: parameter
    count, top-1/top-5 accuracy (%), GFLOPs (``_ops``), file size in MB (``_file_size``),
    and its evaluation preset (``weights.transforms()`` builds an
    :class:`ImageClassification` with ``crop_size``, ``resize_size``, ``mean``, ``std`` and
    ``interpolation``). ``license`` is the weights' licence page where it is not the
    models' own (SWAG)."""
    preset = {"crop_size": crop_size}
    if resize_size != 256:
        preset["resize_size"] = resize_size
    if interpolation != InterpolationMode.BILINEAR:
        preset["interpolation"] = interpolation
    if tuple(mean) != (0.485, 0.456, 0.406) or tuple(std) != (0.229, 0.224, 0.225):
        preset["mean"], preset["std"] = tuple(mean), tuple(std)
    meta = {"min_size": tuple(min_size), "categories": categories, "num_params": num_params,
            "recipe": recipe, "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}},
            "_ops": ops, "_file_size": file_size}
    if license is not None:
        meta["license"] = license
    return Weights(url=url, transforms=functools.partial(ImageClassification, **preset),
                   meta=meta)


def _overwrite(kwargs: dict, param: str, value) -> None:
    if param in kwargs:
        if kwargs[param] != value:
            raise ValueError(f"The parameter '{param}' expected value {value} but got "
                             f"{kwargs[param]} instead.")
    else:
        kwargs[param] = value


def builder(weights_enum: type | None = None, legacy=None, prepare=None, adapt=None,
            finish=None):
    """Give a model builder torchvision's keywords ``weights`` and ``progress`` (and the old
    ``pretrained=True``, meaning ``legacy``: the weights torchvision chose for it).

    ``prepare(kwargs, weights)`` sets the constructor arguments the weights need;
    ``adapt(state_dict, kwargs)`` fits the file's state dict to the model built;
    ``finish(model, given_kwargs)`` adjusts the loaded model (``given_kwargs``: the caller's).
    """
    def wrap(fn):
        name = fn.__name__

        @functools.wraps(fn)
        def build(*, weights=None, progress: bool = True, **kwargs):
            if "pretrained" in kwargs:
                pretrained = kwargs.pop("pretrained")
                if weights is not None:
                    raise ValueError(f"{name}(): give weights= or the deprecated pretrained=, "
                                     "not both")
                warnings.warn("The parameter 'pretrained' is deprecated since 0.13 and may be "
                              "removed in the future, please use 'weights' instead.")
                weights = legacy if pretrained else None
                if pretrained and legacy is None:
                    raise ValueError(f"No weights available for model {name}")
                msg = ("Arguments other than a weight enum or `None` for 'weights' are "
                       "deprecated since 0.13 and may be removed in the future. The current "
                       f"behavior is equivalent to passing `weights={weights}`.")
                if pretrained:
                    msg += (f" You can also use `weights={type(weights).__name__}.DEFAULT` to "
                            "get the most up-to-date weights.")
                warnings.warn(msg)
            if weights_enum is None:
                if weights is not None:
                    raise ValueError(f"No weights available for model {name}")
            else:
                weights = weights_enum.verify(weights)
            given = dict(kwargs)
            if weights is not None:
                if weights.meta.get("categories") is not None:
                    _overwrite(kwargs, "num_classes", len(weights.meta["categories"]))
                if prepare is not None:
                    prepare(kwargs, weights)
            model = fn(**kwargs)
            if weights is not None:
                state = weights.get_state_dict(progress=progress, check_hash=True)
                if adapt is not None:
                    state = adapt(state, kwargs)
                model.load_state_dict(state)
                if finish is not None:
                    finish(model, given)
            return model
        build.weights_enum = weights_enum
        build.legacy_weights = legacy  # what pretrained=True means
        # torchvision's signature, ``(*, weights: Optional[<Enum>] = None, progress=True,
        # **kwargs)``: get_model_weights() reads the enum from the annotation
        kw_only = inspect.Parameter.KEYWORD_ONLY
        build.__signature__ = inspect.Signature([
            inspect.Parameter("weights", kw_only, default=None,
                              annotation=None if weights_enum is None else
                              Optional[weights_enum]),  # noqa: UP007 - as torchvision
            inspect.Parameter("progress", kw_only, default=True, annotation=bool),
            inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD, annotation=Any)],
            return_annotation=inspect.signature(fn).return_annotation)
        return build
    return wrap
