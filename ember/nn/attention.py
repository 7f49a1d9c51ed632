"""``ember.nn.attention``: the choice of backend for ``scaled_dot_product_attention``, as
``torch.nn.attention``.

ember has one attention implementation (the one PyTorch's ``MATH`` backend computes); see
``SDPBackend`` for what each choice means in ember and when a choice makes the call raise.
"""
from __future__ import annotations

from ..backends.cuda import SDPBackend
from ..backends.cuda import sdp_backends as _sdp_backends

__all__ = ["SDPBackend", "sdpa_kernel"]

SDPBackend.__module__ = __name__  # PyTorch names it torch.nn.attention.SDPBackend too


def sdpa_kernel(backends, set_priority: bool = False):
    """A context manager (or decorator) that allows only ``backends`` (an ``SDPBackend`` or a
    list of them) in ``scaled_dot_product_attention`` inside it; with ``set_priority`` they
    are tried in the order given. The previous choice comes back on exit.

    Example::

        >>> import ember
        >>> from ember.nn.attention import SDPBackend, sdpa_kernel
        >>> q = ember.randn(2, 4, 5, 8)
        >>> with sdpa_kernel(SDPBackend.MATH):
        ...     out = ember.nn.functional.scaled_dot_product_attention(q, q, q)
        >>> tuple(out.shape)
        (2, 4, 5, 8)
    """
    return _sdp_backends(backends, set_priority)
