"""Gradient mode: a thread-local flag that says whether ops record the graph."""
from __future__ import annotations

import functools
import threading

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled", "is_inference"]


class _State(threading.local):
    """Per-thread switches; the class attributes are every new thread's defaults."""

    enabled = True
    inference = False
    anomaly = False
    anomaly_check_nan = True


state = _State()
# How many inference_mode(True) blocks are open, in all threads: while none is, the ops'
# no-grad path skips the thread-local check of whether its outputs are inference tensors.
inference_users = [0]


def is_grad_enabled() -> bool:
    """True when ops record the graph in this thread."""
    return state.enabled


def is_inference_mode_enabled() -> bool:
    return state.inference


class _InferenceVersion(list):
    """The version cell of an inference tensor (made under ``inference_mode``), shared by its
    views. Such a tensor keeps no version, so reading one — which saving it for backward
    does — raises PyTorch's error."""

    __slots__ = ()

    def __getitem__(self, i):
        raise RuntimeError(
            "Inference tensors cannot be saved for backward. Please do not use Tensors created "
            "in inference mode in computation tracked by autograd. To work around this, you can "
            "make a clone to get a normal tensor and use it in autograd, or use "
            "`torch.no_grad()` instead of `torch.inference_mode()`.")


def is_inference(input) -> bool:
    """True for a tensor made under ``inference_mode`` (``input.is_inference()``)."""
    return input.is_inference()


def _mark_inference(t):
    """Make ``t`` an inference tensor (it was made under ``inference_mode``)."""
    t._vc = _InferenceVersion((0,))


class _Mode:
    """Base of the grad-mode context managers; each also works as a decorator."""

    _target = True

    def __enter__(self):
        self._prev = state.enabled
        state.enabled = self._target
        return self

    def __exit__(self, *exc):
        state.enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_Mode):
    """Context manager and decorator: ops inside record no graph.

    Example::

        >>> import ember
        >>> x = ember.ones(2, requires_grad=True)
        >>> with ember.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    _target = False


class enable_grad(_Mode):
    """Context manager and decorator: re-enable recording inside a ``no_grad`` block."""

    _target = True


class set_grad_enabled:
    """Set recording on or off: at once when called, and restored on leaving a ``with`` block."""

    def __init__(self, mode: bool):
        self._prev = state.enabled
        state.enabled = bool(mode)
        self._mode = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        state.enabled = self._prev
        return False

    def __call__(self, fn):
        mode = self._mode
        state.enabled = self._prev  # used as a decorator: undo the immediate switch

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper


class inference_mode:
    """Context manager and decorator: like ``no_grad``, and every tensor made inside is an
    *inference tensor* (``Tensor.is_inference()``), as in PyTorch.

    Inference tensors (and views of them) can be read anywhere, but autograd refuses them
    outside the block: saving one for backward (an op that records and needs it, such as a
    matmul with a weight that requires grad) raises "Inference tensors cannot be saved for
    backward", and changing one in place raises. ``clone()`` one outside the block for a
    normal tensor. ``inference_mode(False)`` turns the mode off inside an enclosing block
    and turns recording on.
    """

    def __init__(self, mode: bool = True):
        self._mode = bool(mode)

    def __enter__(self):
        self._prev = (state.enabled, state.inference)
        if self._mode:
            state.enabled = False
            state.inference = True
            inference_users[0] += 1
        else:
            state.enabled = True
            state.inference = False
        return self

    def __exit__(self, *exc):
        state.enabled, state.inference = self._prev
        if self._mode:
            inference_users[0] -= 1
        return False

    def __call__(self, fn):
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)
        return wrapper

    def clone(self) -> inference_mode:
        return self.__class__(self._mode)
