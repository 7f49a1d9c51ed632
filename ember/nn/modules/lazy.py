"""Lazy modules: layers whose input size is read from their first input.

A lazy layer (``LazyLinear``, ``LazyConv2d``, ``LazyBatchNorm1d``...) starts with
:class:`~ember.nn.parameter.UninitializedParameter` s (and buffers). A forward pre-hook
calls its ``initialize_parameters(input)`` on the first call, which gives them their shapes
and PyTorch's initial values; the hook then removes itself and the module becomes its
``cls_to_become`` (``LazyLinear`` becomes ``Linear``). Parameters keep their identity
through this, so an optimizer built on the lazy module's ``parameters()`` before the first
call updates them afterwards. Loading a state dict into a lazy module materialises its
parameters with the loaded shapes (the class changes at the first call).
"""
from __future__ import annotations

import itertools

from ..._grad_mode import no_grad
from ..parameter import is_lazy

__all__ = ["LazyModuleMixin"]


class LazyModuleMixin:
    """The mixin of lazy layers: put it first among the bases, e.g.
    ``class LazyMLP(LazyModuleMixin, MLP)``, and define ``initialize_parameters``."""

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters,
                                                               with_kwargs=True)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        """Uninitialized parameters and buffers are saved as they are (not detached)."""
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if is_lazy(param) or keep_vars else \
                    param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if is_lazy(buf) or keep_vars else buf.detach()

    def _lazy_load_hook(self, state_dict, prefix, local_metadata, strict, missing_keys,
                        unexpected_keys, error_msgs):
        """Materialise each uninitialized parameter/buffer that the state dict holds with
        the shape it has there (the values are then copied by the loading itself)."""
        for name, param in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if key in state_dict and param is not None:
                given = state_dict[key]
                if is_lazy(param) and not is_lazy(given):
                    with no_grad():
                        param.materialize(tuple(given.shape))

    def initialize_parameters(self, *args, **kwargs):
        """Give the uninitialized parameters their shapes from the first input (each lazy
        class defines it)."""
        raise NotImplementedError(f"initialize_parameters is not implemented for "
                                  f"{self.__class__.__name__}")

    def has_uninitialized_params(self) -> bool:
        """Whether some parameter or buffer of this module is still uninitialized."""
        return any(is_lazy(p) for p in itertools.chain(self._parameters.values(),
                                                       self._buffers.values()))

    def _infer_parameters(self, module, args, kwargs=None):
        """The first call's pre-hook: initialise from the input, then become the plain class."""
        kwargs = kwargs if kwargs else {}
        module.initialize_parameters(*args, **kwargs)
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        module._load_hook.remove()
        delattr(module, "_initialize_hook")
        delattr(module, "_load_hook")
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _replicate_for_data_parallel(self):
        raise RuntimeError("Modules with uninitialized parameters can't be used with "
                           "`DataParallel`. Run a dummy forward pass to correctly initialize "
                           "the modules")
