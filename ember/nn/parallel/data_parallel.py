"""``DataParallel`` for one device: PyTorch's wrapper without the scatter over several GPUs."""
from __future__ import annotations

from ... import backend
from ..module import Module


def _one_device(device_ids, output_device, name):
    ids = list(device_ids) if device_ids is not None else []
    devices = {str(backend.as_device(d if not isinstance(d, int) else f"cuda:{d}")) for d in ids}
    if output_device is not None:
        d = output_device
        devices.add(str(backend.as_device(d if not isinstance(d, int) else f"cuda:{d}")))
    if len(devices) > 1:
        raise NotImplementedError(
            f"{name}: splitting a batch over several devices ({sorted(devices)}) is not supported "
            "by ember; use one device, or data-parallel processes (ember.distributed)")


class DataParallel(Module):
    """Run ``module`` on its device; the wrapper adds the ``module.`` prefix to state-dict keys
    as PyTorch's does (load such a state dict into ``model.module`` or strip the prefix)."""

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0):
        super().__init__()
        _one_device(device_ids, output_device, "DataParallel")
        self.module = module
        self.device_ids = list(device_ids) if device_ids is not None else []
        self.output_device = output_device
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


def data_parallel(module: Module, inputs, device_ids=None, output_device=None, dim: int = 0,
                  module_kwargs=None):
    """``module(*inputs, **module_kwargs)`` on one device (PyTorch's functional form)."""
    _one_device(device_ids, output_device, "data_parallel")
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    return module(*inputs, **(module_kwargs or {}))
