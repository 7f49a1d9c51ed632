"""The model registry, as ``torchvision.models._api``: ``list_models``, ``get_model``,
``get_model_builder``, ``get_model_weights``, ``get_weight`` and ``register_model``."""
from __future__ import annotations

import fnmatch
import importlib
import inspect
import typing
from collections.abc import Iterable
from types import ModuleType
from typing import Any, Callable

from ._weights import Weights, WeightsEnum

__all__ = ["WeightsEnum", "Weights", "get_model", "get_model_builder", "get_model_weights",
           "get_weight", "list_models", "register_model"]

BUILTIN_MODELS: dict[str, Callable] = {}


def register_model(name: str | None = None) -> Callable[[Callable], Callable]:
    """A decorator entering a model builder into the registry under ``name`` (the
    builder's own name by default); a name registered twice is an error."""
    def wrapper(fn: Callable) -> Callable:
        key = name if name is not None else fn.__name__
        if key in BUILTIN_MODELS:
            raise ValueError(f"An entry is already registered under the name '{key}'.")
        BUILTIN_MODELS[key] = fn
        return fn
    return wrapper


def _filtered(names: set, filters) -> set:
    if isinstance(filters, str):
        filters = [filters]
    out: set = set()
    for f in filters:
        out |= set(fnmatch.filter(names, f))
    return out


def list_models(module: ModuleType | None = None, include: Iterable[str] | str | None = None,
                exclude: Iterable[str] | str | None = None) -> list[str]:
    """The sorted names of the registered models: those whose builder is defined in a file
    of the package ``module`` (all when None), kept when they match any of the
    ``include`` shell-style patterns (all when None), dropped when they match any of the
    ``exclude`` ones."""
    names = {k for k, fn in BUILTIN_MODELS.items()
             if module is None or fn.__module__.rsplit(".", 1)[0] == module.__name__}
    if include:
        names = _filtered(names, include)
    if exclude:
        names -= _filtered(names, exclude)
    return sorted(names)


def get_model_builder(name: str) -> Callable:
    """The builder registered as ``name`` (case-insensitive)."""
    name = name.lower()
    try:
        return BUILTIN_MODELS[name]
    except KeyError:
        raise ValueError(f"Unknown model {name}") from None


def get_model(name: str, **config: Any):
    """The model registered as ``name``, built with ``config``
    (``get_model("resnet50", weights="DEFAULT")``)."""
    return get_model_builder(name)(**config)


def get_model_weights(name: Callable | str) -> type:
    """The weights enum of a builder, given the builder or its registered name."""
    fn = get_model_builder(name) if isinstance(name, str) else name
    sig = inspect.signature(fn)
    if "weights" not in sig.parameters:
        raise ValueError("The method is missing the 'weights' argument.")
    ann = sig.parameters["weights"].annotation
    for t in (ann, *typing.get_args(ann)):
        if isinstance(t, type) and issubclass(t, WeightsEnum):
            return t
    raise ValueError("The WeightsEnum class for the specific method couldn't be retrieved. "
                     "Make sure the typing info is correct.")


def get_weight(name: str) -> WeightsEnum:
    """A weights enum member by its full name (``"ResNet50_Weights.IMAGENET1K_V2"``)."""
    try:
        enum_name, value_name = name.split(".")
    except ValueError:
        raise ValueError(f"Invalid weight name provided: '{name}'.") from None
    models = importlib.import_module(__name__.rsplit(".", 1)[0])
    found = getattr(models, enum_name, None)
    if not (isinstance(found, type) and issubclass(found, WeightsEnum)):
        raise ValueError(f"The weight enum '{enum_name}' for the specific method couldn't be "
                         "retrieved.")
    return found[value_name]
