"""``ember.nn.utils``: gradient clipping, parameter/vector conversion, packed sequences,
weight and spectral normalization, parametrizations, pruning."""
from .clip_grad import clip_grad_norm_, clip_grad_value_
from . import rnn
from .convert_parameters import parameters_to_vector, vector_to_parameters
from . import parametrizations, parametrize, prune  # noqa: E402
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters", "rnn",
           "parametrizations", "parametrize", "prune", "spectral_norm", "remove_spectral_norm",
           "weight_norm", "remove_weight_norm"]
