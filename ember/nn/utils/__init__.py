"""``ember.nn.utils``: gradient clipping, parameter/vector conversion, packed sequences."""
from .clip_grad import clip_grad_norm_, clip_grad_value_
from . import rnn
from .convert_parameters import parameters_to_vector, vector_to_parameters
from . import stateless

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters", "rnn"]
__all__ += ["stateless"]
