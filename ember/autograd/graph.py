"""``ember.autograd.graph``: the graph's node type and the saved-tensor contexts (PyTorch's
``torch.autograd.graph``)."""
from __future__ import annotations

from .. import cuda
from .node import Node

__all__ = ["Node", "increment_version", "saved_tensors_hooks", "save_on_cpu"]


def increment_version(tensor) -> None:
    """Bump the version counter of ``tensor`` (or of each tensor of an iterable), as an
    in-place change does, so that a graph that saved it refuses it in backward."""
    from ..tensor import Tensor  # noqa: PLC0415

    for t in ([tensor] if isinstance(tensor, Tensor) else tensor):
        t._bump()


class saved_tensors_hooks:
    """Not supported by ember: its ops save raw arrays for backward, and a pack/unpack pair
    would have to rebuild the graph links of every saved tensor (double backward
    included). Raises ``NotImplementedError``."""

    def __init__(self, pack_hook, unpack_hook):
        raise NotImplementedError(
            f"saved_tensors_hooks(pack_hook={getattr(pack_hook, '__name__', pack_hook)!s}, "
            f"unpack_hook={getattr(unpack_hook, '__name__', unpack_hook)!s}): ember does not "
            "run hooks on the tensors saved for backward; it keeps them as they are")


class save_on_cpu:
    """Keep the tensors saved for backward in CPU memory (PyTorch's ``save_on_cpu``).

    Where no GPU is available every saved tensor already lives in CPU memory, and this
    context changes nothing — the result PyTorch gives there too (with ``pin_memory=True``
    PyTorch also copies each one into unpinned CPU memory; ember keeps them where they
    are). With a GPU available it raises ``NotImplementedError``: moving saved GPU tensors
    needs the saved-tensor hooks ember does not have.
    """

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        if device_type == "cuda" and cuda.is_available():  # ember has no other device type
            raise NotImplementedError(
                f"save_on_cpu(pin_memory={pin_memory}): moving the tensors saved for backward "
                "off the GPU is not supported by ember")
        self.pin_memory = pin_memory

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
