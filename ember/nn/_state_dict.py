"""Loading a state dict, as PyTorch does it, without ever leaving a module half-updated.

``Module.load_state_dict`` walks the module tree and calls each module's overridable
``_load_from_state_dict`` (subclasses rename keys or fill in missing ones there, then call
``super()``), then its load-state-dict post-hooks. The default step copies what it finds
into the module's own parameters and buffers at once, as PyTorch's does, but records what
it overwrote: if the load then fails (a missing or unexpected key under ``strict``, a
shape mismatch, an exception in a hook), every change is undone before the error is raised.
"""
from __future__ import annotations

import collections
import itertools
import threading
from collections import OrderedDict

from .. import backend
from .._grad_mode import no_grad
from ..tensor import Tensor, _wrap
from .parameter import Parameter

class IncompatibleKeys(collections.namedtuple("IncompatibleKeys",
                                              ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it missed and those it did not expect."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__
EXTRA_STATE_SUFFIX = "_extra_state"


class _Undo(threading.local):
    log = None  # list of undo steps while a load_state_dict runs in this thread


_undo = _Undo()


def _size(shape):
    return "ember.Size(" + str(list(shape)) + ")"


def _as_array(src):
    if isinstance(src, Tensor):
        return src._data
    if hasattr(src, "dtype") and hasattr(src, "shape"):  # a NumPy/CuPy array
        return src if backend.is_array(src) else backend.xp(src).asarray(src)
    return None


def load_local(module, state_dict, prefix, local_metadata, strict, missing_keys,
               unexpected_keys, error_msgs):
    """The body of ``Module._load_from_state_dict`` (this module's own tensors only)."""
    for hook in module._load_state_dict_pre_hooks.values():
        hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
             error_msgs)
    persistent = {k: v for k, v in module._buffers.items()
                  if k not in module._non_persistent_buffers_set}
    local_state = {k: v for k, v in itertools.chain(module._parameters.items(),
                                                    persistent.items()) if v is not None}
    assign = local_metadata.get("assign_to_params_buffers", False)
    for name, param in local_state.items():
        key = prefix + name
        if key not in state_dict:
            if strict:
                missing_keys.append(key)
            continue
        src = state_dict[key]
        arr = _as_array(src)
        if arr is None:
            error_msgs.append(f'While copying the parameter named "{key}", expected ember.Tensor '
                              f"or Tensor-like object from checkpoint but received {type(src)}")
            continue
        if param._data.ndim == 0 and arr.shape == (1,):  # checkpoints of 0-d tensors as (1,)
            arr = arr.reshape(())
        if tuple(arr.shape) != tuple(param._data.shape):
            error_msgs.append(f"size mismatch for {key}: copying a param with shape "
                              f"{_size(arr.shape)} from checkpoint, the shape in current model "
                              f"is {_size(param._data.shape)}.")
            continue
        try:
            with no_grad():
                if assign:
                    _assign(module, name, param, src, arr)
                else:
                    _copy_into(param, arr)
        except Exception as ex:  # noqa: BLE001 - reported as PyTorch reports it
            error_msgs.append(f'While copying the parameter named "{key}", whose dimensions in '
                              f"the model are {_size(param._data.shape)} and whose dimensions "
                              f"in the checkpoint are {_size(arr.shape)}, an exception occurred "
                              f": {ex.args}.")
    from .module import Module  # noqa: PLC0415 - module.py imports this file

    extra_key = prefix + EXTRA_STATE_SUFFIX
    if type(module).set_extra_state is not Module.set_extra_state:
        if extra_key in state_dict:
            module.set_extra_state(state_dict[extra_key])
        elif strict:
            missing_keys.append(extra_key)
    elif strict and extra_key in state_dict:
        unexpected_keys.append(extra_key)
    if strict:
        for key in state_dict:
            if key.startswith(prefix) and key != extra_key:
                head = key[len(prefix):].split(".", 1)
                if len(head) > 1:
                    if head[0] not in module._modules:
                        unexpected_keys.append(key)
                elif head[0] not in local_state:
                    unexpected_keys.append(key)


def _copy_into(t, arr):
    """``t.copy_(arr)`` in place (converting device and dtype), remembering the old values."""
    if type(arr) is not type(t._data):
        arr = backend.to_device(arr, t.device)
    log = _undo.log
    if log is not None:
        old = t._data.copy()
        log.append(lambda: t._data.__setitem__(Ellipsis, old))
    t._data[...] = arr
    t._bump()


def _assign(module, name, param, src, arr):
    """``assign=True``: the module takes the checkpoint's tensor itself (as a Parameter, with
    the old one's ``requires_grad``, where it replaces one)."""
    new = src if isinstance(src, Tensor) else _wrap(arr, False, None, 0)
    if isinstance(param, Parameter):
        if isinstance(new, Parameter):
            new.requires_grad_(param.requires_grad)
        else:
            new = Parameter(new, requires_grad=param.requires_grad)
    store = module._parameters if name in module._parameters else module._buffers
    log = _undo.log
    if log is not None:
        log.append(lambda: store.__setitem__(name, param))
    setattr(module, name, new)


def load_state_dict(root, state_dict, strict, assign):
    """``Module.load_state_dict``: PyTorch's walk, all or nothing."""
    if not isinstance(state_dict, collections.abc.Mapping):
        raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
    missing, unexpected, errors = [], [], []
    metadata = getattr(state_dict, "_metadata", None)
    state_dict = OrderedDict(state_dict)  # a copy the modules' overrides may change
    if metadata is not None:
        state_dict._metadata = metadata
    incompatible = IncompatibleKeys(missing, unexpected)

    def load(module, local_sd, prefix=""):
        local_metadata = {} if metadata is None else metadata.get(prefix[:-1], {})
        if assign:
            local_metadata["assign_to_params_buffers"] = assign
        module._load_from_state_dict(local_sd, prefix, local_metadata, True, missing,
                                     unexpected, errors)
        for name, child in module._modules.items():
            if child is not None:
                child_prefix = prefix + name + "."
                load(child, {k: v for k, v in local_sd.items() if k.startswith(child_prefix)},
                     child_prefix)
        for hook in module._load_state_dict_post_hooks.values():
            if hook(module, incompatible) is not None:
                raise AssertionError(
                    "Hooks registered with ``register_load_state_dict_post_hook`` are not "
                    "expected to return new values, if incompatible_keys need to be modified, it "
                    "should be done inplace.")

    outer, log = _undo.log, []
    _undo.log = log
    try:
        load(root, state_dict)
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(root).__name__}:\n\t"
                               + "\n\t".join(errors))
    except BaseException:
        for step in reversed(log):
            step()
        raise
    finally:
        _undo.log = outer
    if outer is not None:  # a load inside a load: the outer one may still undo these
        outer.extend(log)
    return incompatible
