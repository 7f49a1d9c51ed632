"""Layer 3: ``ember.nn`` — Module, Parameter, layers, losses, init, functional, utils."""
from . import functional, init, parallel, utils  # noqa: F401
from .module import Module
from .modules import *  # noqa: F401,F403
from .parameter import Buffer, Parameter

__all__ = ["Module", "Parameter", "Buffer", "functional", "init", "parallel", "utils"]
