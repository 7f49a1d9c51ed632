"""``Module`` under PyTorch's module path ``torch.nn.modules.module``."""
from ..module import Module

__all__ = ["Module"]
