"""Calling a module with other parameters and buffers (``torch.nn.utils.stateless``).

``functional_call(module, {"fc.weight": w, ...}, args)`` runs ``module(*args)`` with the given
tensors in place of the named parameters and buffers, then puts the module's own back, so a
module can serve as a pure function of its weights (``ember.func.functional_call``, the
current name, is the same function).
"""
from __future__ import annotations

import contextlib
import warnings

from ...tensor import Tensor

__all__ = ["functional_call"]

_MISSING = object()


def _submodule(module, path: str, memo: dict):
    if not path:
        return module
    if path not in memo:
        prefix, _, attr = path.rpartition(".")
        parent = _submodule(module, prefix, memo)
        try:
            memo[path] = getattr(parent, attr)
        except AttributeError:
            raise AttributeError(f"{parent._get_name()} has no attribute `{attr}`") from None
    return memo[path]


def _swap(module, name: str, tensor, memo: dict):
    """Put ``tensor`` (or, for ``_MISSING``, nothing) at dotted ``name``; return what was
    there (``_MISSING`` when nothing was)."""
    from ..module import Module  # noqa: PLC0415 - this file is imported by nn.module's package

    path, _, attr = name.rpartition(".")
    owner = _submodule(module, path, memo)
    if not isinstance(owner, Module):
        raise TypeError(f"{owner} is not an instance of ember.nn.Module")
    if tensor is not _MISSING and tensor is not None and not isinstance(tensor, Tensor):
        raise TypeError(f"{tensor} is not an instance of ember.Tensor")
    for store in (owner._parameters, owner._buffers):
        if attr in store:
            old = store[attr]
            if tensor is _MISSING:
                del store[attr]
            else:
                store[attr] = tensor
            return old
    old = getattr(owner, attr, _MISSING)
    if old is not _MISSING and old is not None and not isinstance(old, Tensor):
        raise TypeError(f"attribute `{attr}`: {old} is not an instance of ember.Tensor")
    if tensor is not _MISSING:
        setattr(owner, attr, tensor)
    elif hasattr(owner, attr):
        delattr(owner, attr)
    return old


def _tied(module, given: dict) -> dict:
    """``given`` with a value for every name tied (the same tensor) to a given name."""
    named = dict(module.named_parameters(remove_duplicate=False))
    named.update(module.named_buffers(remove_duplicate=False))
    groups: dict = {}
    for name, t in named.items():
        groups.setdefault(id(t), set()).add(name)
    out = dict(given)
    for names in groups.values():
        if len(names) < 2:
            continue
        chosen = [n for n in names if n in given]
        if not chosen:
            continue
        if len({id(given[n]) for n in chosen}) > 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(names)}, "
                             "which are tied. Consider using tie_weights=False")
        for n in names:
            out[n] = given[chosen[0]]
    return out


@contextlib.contextmanager
def _reparametrize_module(module, parameters_and_buffers: dict, tie_weights: bool = False,
                          strict: bool = False):
    """Inside the block, ``module``'s named tensors are those of ``parameters_and_buffers``
    (names the module lacks are set as plain attributes); on leaving, the originals come
    back, and what the module assigned to those names meanwhile goes into the dict."""
    values = _tied(module, parameters_and_buffers) if tie_weights else parameters_and_buffers
    if strict:
        valid = {n for n, _ in module.named_parameters(remove_duplicate=False)}
        valid |= {n for n, _ in module.named_buffers(remove_duplicate=False)}
        missing, unexpected = sorted(valid - set(values)), sorted(set(values) - valid)
        msgs = []
        if unexpected:
            msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            msgs.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if msgs:
            raise RuntimeError("Error(s) in reparametrizing for {}:\n\t{}".format(
                module._get_name(), "\n\t".join(msgs)))
    memo: dict = {}
    originals: dict = {}
    try:
        for name, t in values.items():
            originals[name] = _swap(module, name, t, memo)
        yield
    finally:
        now = {name: _swap(module, name, old, memo) for name, old in originals.items()}
        parameters_and_buffers.update({k: now[k] for k in parameters_and_buffers
                                       if k in now and now[k] is not _MISSING})


def _functional_call(module, parameters_and_buffers: dict, args=None, kwargs=None, *,
                     tie_weights: bool = True, strict: bool = False):
    from ..parallel import DataParallel  # noqa: PLC0415

    if isinstance(module, DataParallel):
        raise RuntimeError("The stateless API can't be used with nn.DataParallel module")
    kwargs = {} if kwargs is None else kwargs
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights,
                               strict=strict):
        return module(*args, **kwargs)


def functional_call(module, parameters_and_buffers: dict, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """``module(*args, **kwargs)`` with the tensors of ``parameters_and_buffers`` (dotted
    names as in ``state_dict``) in place of the module's parameters and buffers.

    Deprecated, as in PyTorch 2: use ``ember.func.functional_call``, the same function.

    Args:
        module: the module to call.
        parameters_and_buffers: ``{name: tensor}``; names not given keep the module's own.
        args: the positional arguments (a tuple; anything else is one argument).
        kwargs: the keyword arguments.
        tie_weights: names that hold one tensor in the module (tied weights) take the
            value given for any of them; different values for them raise ``ValueError``.
        strict: the names must be exactly the module's parameters and buffers.
    """
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 "
                  "and will be removed in a future version of PyTorch. Please use "
                  "`torch.func.functional_call` instead which is a drop-in replacement.",
                  FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs,
                            tie_weights=tie_weights, strict=strict)
