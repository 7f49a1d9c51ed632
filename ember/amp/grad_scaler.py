"""``GradScaler``: loss scaling for float16 training, as ``torch.amp.GradScaler``.

Small float16 gradients underflow to zero. The scaler multiplies the loss by a large
factor before ``backward`` (so the gradients are that much larger), divides the
gradients by it again before the optimizer step, skips the step when some gradient came
out inf or NaN, and adapts the factor: ``backoff_factor`` times smaller after a skipped
step, ``growth_factor`` times larger after ``growth_interval`` steps in a row without one.
"""
from __future__ import annotations

import warnings
from collections import abc, defaultdict
from enum import Enum

import numpy as np

from .. import backend, cuda
from ..ops.creation import full
from ..tensor import Tensor

__all__ = ["OptState", "GradScaler", "_amp_foreach_non_finite_check_and_unscale_",
           "_amp_update_scale_"]


def _check_scalar(t: Tensor, name: str, dtype, kind: str):
    if t._data.size != 1:
        raise RuntimeError(f"{name} must be a 1-element tensor.")
    if t.dtype is not dtype:
        raise RuntimeError(f"{name} must be a{'n' if kind == 'int' else ''} {kind} tensor.")


def _all_finite(arr) -> bool:
    xp = backend.xp(arr)
    if arr.dtype == np.float64:
        return bool(xp.isfinite(arr).all())
    # One pass: a sum in float64 cannot overflow for narrower data, and inf/NaN propagate.
    return bool(xp.isfinite(arr.sum(dtype=np.float64)))


def _amp_foreach_non_finite_check_and_unscale_(self, found_inf: Tensor, inv_scale: Tensor):
    """Multiply each tensor of ``self`` by ``inv_scale`` in place, and set ``found_inf`` to
    1.0 if any of them holds an inf or NaN (PyTorch's ``torch._amp_foreach_...``)."""
    if not isinstance(self, (list, tuple)):
        raise TypeError("_amp_foreach_non_finite_check_and_unscale_(): argument 'self' "
                        f"(position 1) must be tuple of Tensors, not {type(self).__name__}")
    _check_scalar(found_inf, "found_inf", backend.float32, "float")
    _check_scalar(inv_scale, "inv_scale", backend.float32, "float")
    inv = float(inv_scale.item())
    found = False
    for t in self:
        arr = t._data
        if not t.is_floating_point():
            raise NotImplementedError('"_amp_foreach_non_finite_check_and_unscale_cpu" not '
                                      f"implemented for '{t.dtype}'")
        if not found and not _all_finite(arr):
            found = True
        if arr.dtype in (np.float32, np.float64):
            arr *= inv
        else:  # float16, bfloat16: the product in float32, rounded once
            arr[...] = (arr.astype(np.float32) * np.float32(inv)).astype(arr.dtype)
        t._bump()
    if found:
        found_inf._data[...] = 1.0
        found_inf._bump()


def _amp_update_scale_(self: Tensor, growth_tracker: Tensor, found_inf: Tensor,
                       scale_growth_factor: float, scale_backoff_factor: float,
                       growth_interval: int) -> Tensor:
    """The loss scale ``self`` and ``growth_tracker`` after one step, in place; returns ``self``.

    An inf/NaN found (``found_inf`` non-zero): the scale times ``scale_backoff_factor`` and
    the tracker back to 0. Otherwise the tracker counts the step; at ``growth_interval`` the
    scale grows by ``scale_growth_factor`` (if that stays finite) and the tracker restarts.
    """
    _check_scalar(growth_tracker, "growth_tracker", backend.int32, "int")
    _check_scalar(self, "current_scale", backend.float32, "float")
    scale = np.float32(self.item())
    tracker = int(growth_tracker.item())
    if float(found_inf.item()):
        scale = scale * np.float32(scale_backoff_factor)
        tracker = 0
    else:
        tracker += 1
        if tracker == growth_interval:
            with np.errstate(over="ignore"):
                grown = scale * np.float32(scale_growth_factor)
            if np.isfinite(grown):
                scale = grown
            tracker = 0
    self._data[...] = scale
    self._bump()
    growth_tracker._data[...] = tracker
    growth_tracker._bump()
    return self


class _PerDevice:
    """Copies of one tensor, made on first request for each device."""

    def __init__(self, master: Tensor):
        self.master = master
        self.copies: dict = {}

    def get(self, device) -> Tensor:
        out = self.copies.get(device)
        if out is None:
            out = self.copies[device] = self.master.to(device=device, copy=True)
        return out


class OptState(Enum):
    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _fresh_state() -> dict:
    return {"stage": OptState.READY, "found_inf_per_device": {}}


class GradScaler:
    """Scale the loss, unscale the gradients, skip steps with inf/NaN gradients.

    Args:
        device: device type of the gradients (``'cuda'`` or ``'cpu'``). ``'cuda'`` on a
            machine without one warns and makes a disabled scaler.
        init_scale: the first scale factor.
        growth_factor: the scale's factor after ``growth_interval`` steps without inf/NaN.
        backoff_factor: the scale's factor after a step with inf/NaN gradients.
        growth_interval: steps in a row without inf/NaN before the scale grows.
        enabled: ``False``: :meth:`step` only calls ``optimizer.step()``, the rest do nothing.

    Example::

        scaler = ember.amp.GradScaler("cuda")
        for x, y in data:
            opt.zero_grad()
            with ember.autocast("cuda"):
                loss = loss_fn(model(x), y)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        self._device = device
        self._enabled = enabled
        if self._device == "cuda" and enabled and not cuda.is_available():
            warnings.warn("ember.cuda.amp.GradScaler is enabled, but CUDA is not available.  "
                          "Disabling.", stacklevel=2)
            self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
            self._init_scale = init_scale
            self._scale: Tensor | None = None
            self._growth_factor = growth_factor
            self._backoff_factor = backoff_factor
            self._growth_interval = growth_interval
            self._init_growth_tracker = 0
            self._growth_tracker: Tensor | None = None
            self._per_optimizer_states: dict = defaultdict(_fresh_state)

    def _check_scale_growth_tracker(self, funcname: str):
        fix = ("This may indicate your script did not use scaler.scale(loss or outputs) earlier "
               "in the iteration.")
        if self._scale is None:
            raise AssertionError(f"Attempted {funcname} but _scale is None.  " + fix)
        if self._growth_tracker is None:
            raise AssertionError(f"Attempted {funcname} but _growth_tracker is None.  " + fix)
        return self._scale, self._growth_tracker

    def _lazy_init_scale_growth_tracker(self, dev) -> None:
        self._scale = full((), self._init_scale, dtype=backend.float32, device=dev)
        self._growth_tracker = full((), self._init_growth_tracker, dtype=backend.int32,
                                    device=dev)

    def scale(self, outputs):
        """``outputs`` (a tensor, or tensors in nested lists/tuples/iterables) times the scale."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            if self._scale is None:
                self._lazy_init_scale_growth_tracker(outputs.device)
            return outputs * self._scale.to(device=outputs.device, non_blocking=True)
        stash: list = []  # one _PerDevice for the whole structure

        def apply_scale(val):
            if isinstance(val, Tensor):
                if not stash:
                    if self._scale is None:
                        self._lazy_init_scale_growth_tracker(val.device)
                    stash.append(_PerDevice(self._scale))
                return val * stash[0].get(val.device)
            if isinstance(val, abc.Iterable):
                scaled = map(apply_scale, val)
                return type(val)(scaled) if isinstance(val, (list, tuple)) else scaled
            raise ValueError("outputs must be a Tensor or an iterable of Tensors")
        return apply_scale(outputs)

    def _unscale_grads_(self, optimizer, inv_scale: Tensor, found_inf: Tensor,
                        allow_fp16: bool) -> dict:
        inv_per_device = _PerDevice(inv_scale)
        found_per_device = _PerDevice(found_inf)
        grads: dict = defaultdict(lambda: defaultdict(list))  # device -> dtype -> grads
        for group in optimizer.param_groups:
            for param in group["params"]:
                if not isinstance(param, Tensor):
                    raise AssertionError(f"expected param to be torch.Tensor, got "
                                         f"{type(param).__name__}")
                g = param.grad
                if g is None:
                    continue
                if not allow_fp16 and g.dtype is backend.float16:
                    raise ValueError("Attempting to unscale FP16 gradients.")
                grads[g.device][g.dtype].append(g)
        for device, per_dtype in grads.items():
            for same in per_dtype.values():
                _amp_foreach_non_finite_check_and_unscale_(
                    same, found_per_device.get(device), inv_per_device.get(device))
        return found_per_device.copies

    def unscale_(self, optimizer) -> None:
        """Divide ``optimizer``'s gradients by the scale, in place (once per :meth:`step`),
        recording whether any is inf/NaN; call it before clipping gradients."""
        if not self._enabled:
            return
        self._check_scale_growth_tracker("unscale_")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] is OptState.UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the "
                               "last update().")
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv_scale = full((), float(np.float32(1.0 / self._scale.double().item())),
                         dtype=backend.float32, device=self._scale.device)
        found_inf = full((), 0.0, dtype=backend.float32, device=self._scale.device)
        state["found_inf_per_device"] = self._unscale_grads_(optimizer, inv_scale, found_inf,
                                                             False)
        state["stage"] = OptState.UNSCALED

    def _maybe_opt_step(self, optimizer, optimizer_state, *args, **kwargs):
        if not sum(v.item() for v in optimizer_state["found_inf_per_device"].values()):
            return optimizer.step(*args, **kwargs)
        return None

    def step(self, optimizer, *args, **kwargs):
        """Unscale (unless :meth:`unscale_` did), then ``optimizer.step(*args, **kwargs)``
        unless a gradient is inf/NaN. Returns what ``optimizer.step`` returned, or None
        when the step was skipped."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale_growth_tracker("step")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] is OptState.READY:
            self.unscale_(optimizer)
        if len(state["found_inf_per_device"]) == 0:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        retval = self._maybe_opt_step(optimizer, state, *args, **kwargs)
        state["stage"] = OptState.STEPPED
        return retval

    def update(self, new_scale=None) -> None:
        """Adapt the scale (or set it to ``new_scale``, a float or a one-element tensor);
        call it once per iteration, after every :meth:`step`."""
        if not self._enabled:
            return
        _scale, _growth_tracker = self._check_scale_growth_tracker("update")
        if new_scale is not None:
            if isinstance(new_scale, float):
                self._scale.fill_(new_scale)
            else:
                reason = ("new_scale should be a float or a 1-element torch.cuda.FloatTensor or "
                          "torch.FloatTensor with requires_grad=False.")
                if new_scale.device.type != self._device:
                    raise AssertionError(reason)
                if new_scale.numel() != 1:
                    raise AssertionError(reason)
                if new_scale.requires_grad is True:
                    raise AssertionError(reason)
                self._scale.copy_(new_scale)
        else:
            found_infs = [found.to(device=_scale.device, non_blocking=True)
                          for state in self._per_optimizer_states.values()
                          for found in state["found_inf_per_device"].values()]
            if len(found_infs) == 0:
                raise AssertionError("No inf checks were recorded prior to update.")
            combined = found_infs[0]
            for f in found_infs[1:]:
                combined = combined + f
            _amp_update_scale_(_scale, _growth_tracker, combined, self._growth_factor,
                               self._backoff_factor, self._growth_interval)
        self._per_optimizer_states = defaultdict(_fresh_state)

    def _get_scale_async(self):
        return self._scale

    def get_scale(self) -> float:
        """The current scale as a Python float (1.0 when disabled)."""
        if self._enabled:
            scale = self._get_scale_async()
            return self._init_scale if scale is None else float(scale.item())
        return 1.0

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = new_interval

    def _get_growth_tracker(self) -> int:
        if self._enabled:
            tracker = self._growth_tracker
            return self._init_growth_tracker if tracker is None else int(tracker.item())
        return 0

    def is_enabled(self) -> bool:
        return self._enabled

    def state_dict(self) -> dict:
        """``scale``, ``growth_factor``, ``backoff_factor``, ``growth_interval`` and
        ``_growth_tracker`` (empty when disabled); take it after :meth:`update`."""
        if self._enabled:
            return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                    "backoff_factor": self._backoff_factor,
                    "growth_interval": self._growth_interval,
                    "_growth_tracker": self._get_growth_tracker()}
        return {}

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._init_scale = state_dict["scale"]
        if self._scale is not None:
            self._scale.fill_(state_dict["scale"])
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._init_growth_tracker = state_dict["_growth_tracker"]
        if self._growth_tracker is not None:
            self._growth_tracker.fill_(state_dict["_growth_tracker"])

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        if self._enabled:
            if len(self._per_optimizer_states) != 0:
                raise AssertionError("A GradScaler instance may only be pickled at the beginning "
                                     "of an iteration, or at the end after scaler.update().")
            state["_init_scale"] = self.get_scale()
            state["_init_growth_tracker"] = self._get_growth_tracker()
            state["_scale"] = None
            state["_growth_tracker"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    def _check_inf_per_device(self, optimizer) -> dict:
        _scale, _ = self._check_scale_growth_tracker("_check_inf_per_device")
        dummy_inv_scale = full((), 1.0, dtype=backend.float32, device=_scale.device)
        found_inf = full((), 0.0, dtype=backend.float32, device=_scale.device)
        self._per_optimizer_states[id(optimizer)]["found_inf_per_device"] = \
            self._unscale_grads_(optimizer, dummy_inv_scale, found_inf, True)
        return self._per_optimizer_states[id(optimizer)]["found_inf_per_device"]

    def _found_inf_per_device(self, optimizer) -> dict:
        return self._per_optimizer_states[id(optimizer)]["found_inf_per_device"]
