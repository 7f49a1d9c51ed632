"""``ember.utils.hooks``: the handle hooks return (PyTorch's ``torch.utils.hooks``)."""
from ..autograd.hooks import RemovableHandle

__all__ = ["RemovableHandle"]
