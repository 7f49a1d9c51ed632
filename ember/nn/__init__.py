"""Layer 3: ``ember.nn`` — Module, Parameter, layers, losses, init, functional, utils."""
from . import functional, init, parallel, utils  # noqa: F401
from .module import Module
from .modules import *  # noqa: F401,F403
from .parameter import Buffer, Parameter
from .parallel import DataParallel
# torch.nn.attention (sdpa_kernel, SDPBackend): importing from it binds ember.nn.attention to
# that module, over the layer module of the same name that `from .modules import *` brought
from .attention import SDPBackend as _SDPBackend  # noqa: F401

__all__ = ["Module", "Parameter", "Buffer", "DataParallel", "functional", "init", "parallel", "utils"]
