"""Layer 3: ``ember.nn`` — Module, Parameter, layers, losses, init, functional, utils."""
from . import functional, init, parallel, utils  # noqa: F401
from .module import Module
from .modules import *  # noqa: F401,F403
from .parameter import Buffer, Parameter
from .parallel import DataParallel
from . import attention  # noqa: F401  (torch.nn.attention: sdpa_kernel, SDPBackend)

__all__ = ["Module", "Parameter", "Buffer", "DataParallel", "functional", "init", "parallel", "utils"]
