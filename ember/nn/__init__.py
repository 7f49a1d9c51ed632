"""Layer 3: ``ember.nn`` — Module, Parameter, layers, losses, init, functional, utils."""
import sys as _sys

from . import functional, init, parallel, utils  # noqa: F401
from .module import Module
from .modules import *  # noqa: F401,F403
from .parameter import Buffer, Parameter
from .parameter import UninitializedBuffer, UninitializedParameter  # noqa: F401
from .parallel import DataParallel
# torch.nn.attention (sdpa_kernel, SDPBackend): importing from it binds ember.nn.attention to
# that module, over the layer module of the same name that `from .modules import *` brought
from .attention import SDPBackend as _SDPBackend  # noqa: F401

__all__ = ["Module", "Parameter", "Buffer", "DataParallel", "functional", "init", "parallel", "utils"]
# ``from .modules import *`` also binds ``modules.utils`` (torch.nn.modules.utils) as ``utils``:
# ``ember.nn.utils`` is the package ``ember/nn/utils``, as torch.nn.utils.
utils = _sys.modules[__name__ + ".utils"]
