"""Gradient mode (defined in ``ember._grad_mode`` so that ``ember.tensor`` can use it without a cycle)."""
from .._grad_mode import (enable_grad, inference_mode, is_grad_enabled,  # noqa: F401
                          is_inference_mode_enabled, no_grad, set_grad_enabled, state)
