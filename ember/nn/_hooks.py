"""Module hooks: the global hooks of every Module and the call path that runs hooks.

``Module.__call__`` runs ``forward`` directly while no hook is registered anywhere (the
common case costs four dict checks); otherwise :func:`call_with_hooks` runs, in PyTorch's
order: global then module forward pre-hooks, the backward-hook setup on the inputs,
``forward``, global then module forward hooks, the backward-hook setup on the outputs.

Full backward hooks work as PyTorch's: the module's tensor inputs and outputs pass through
an identity Function (:class:`BackwardHookFunction`), whose graph nodes carry hooks. The
node on the outputs sees the gradients of the outputs (``grad_output``; the backward
pre-hooks may replace them), the node on the inputs sees the gradients of the inputs
(``grad_input``; the backward hooks may replace them). Because the module's forward gets
these identities' outputs, changing an input or an output in place is an error, as in
PyTorch.
"""
from __future__ import annotations

import functools
import os
import sys
import warnings
import weakref
from collections import OrderedDict

from .._grad_mode import state as _grad_state
from ..autograd.function import Function
from ..autograd.hooks import RemovableHandle
from ..tensor import Tensor

__all__ = ["register_module_forward_pre_hook", "register_module_forward_hook",
           "register_module_backward_hook", "register_module_full_backward_pre_hook",
           "register_module_full_backward_hook", "register_module_buffer_registration_hook",
           "register_module_module_registration_hook",
           "register_module_parameter_registration_hook", "RemovableHandle"]

# The hooks of every Module (PyTorch's globals of torch.nn.modules.module).
_global_backward_pre_hooks: OrderedDict = OrderedDict()
_global_backward_hooks: OrderedDict = OrderedDict()
_global_forward_pre_hooks: OrderedDict = OrderedDict()
_global_forward_hooks: OrderedDict = OrderedDict()
_global_forward_hooks_always_called: OrderedDict = OrderedDict()
_global_forward_hooks_with_kwargs: OrderedDict = OrderedDict()
_global_buffer_registration_hooks: OrderedDict = OrderedDict()
_global_module_registration_hooks: OrderedDict = OrderedDict()
_global_parameter_registration_hooks: OrderedDict = OrderedDict()
# None until a global backward hook is registered; then True (full) or False (deprecated).
_global_is_full = [None]
# Set while some global forward/backward hook may be registered (Module.__call__ reads it).
global_call_hooks = [False]


def _refresh_flags(module):
    """After a call found its hooks removed: clear the flags that send calls here."""
    global_call_hooks[0] = bool(_global_forward_pre_hooks or _global_forward_hooks
                                or _global_backward_hooks or _global_backward_pre_hooks)
    if not (module._forward_hooks or module._forward_pre_hooks or module._backward_hooks
            or module._backward_pre_hooks):
        module.__dict__["_call_hooks"] = False


_EMBER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _user_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning point at the first caller outside ember."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_EMBER_DIR):
        frame, level = frame.f_back, level + 1
    return level


def _register(store, hook, extra=None, call=False):
    handle = RemovableHandle(store, extra_dict=extra)
    store[handle.id] = hook
    if call:
        global_call_hooks[0] = True
    return handle


def _add(module, store, hook, extra=None, prepend=False):
    """Register a forward/backward hook of ``module`` in ``store``."""
    handle = RemovableHandle(store, extra_dict=extra)
    store[handle.id] = hook
    if prepend:
        store.move_to_end(handle.id, last=False)
    module.__dict__["_call_hooks"] = True
    return handle


def register_module_buffer_registration_hook(hook) -> RemovableHandle:
    """Call ``hook(module, name, buffer)`` whenever any Module registers a buffer; it may
    return a tensor to register instead."""
    return _register(_global_buffer_registration_hooks, hook)


def register_module_module_registration_hook(hook) -> RemovableHandle:
    """Call ``hook(module, name, submodule)`` whenever any Module registers a submodule; it
    may return a module to register instead."""
    return _register(_global_module_registration_hooks, hook)


def register_module_parameter_registration_hook(hook) -> RemovableHandle:
    """Call ``hook(module, name, param)`` whenever any Module registers a parameter; it may
    return a parameter to register instead."""
    return _register(_global_parameter_registration_hooks, hook)


def register_module_forward_pre_hook(hook) -> RemovableHandle:
    """A forward pre-hook of every Module (see ``Module.register_forward_pre_hook``); it runs
    before the module's own."""
    return _register(_global_forward_pre_hooks, hook, call=True)


def register_module_forward_hook(hook, *, with_kwargs: bool = False,
                                 always_call: bool = False) -> RemovableHandle:
    """A forward hook of every Module (see ``Module.register_forward_hook``); it runs before
    the module's own."""
    handle = _register(_global_forward_hooks, hook, _global_forward_hooks_always_called, True)
    if with_kwargs:
        _global_forward_hooks_with_kwargs[handle.id] = True
    if always_call:
        _global_forward_hooks_always_called[handle.id] = True
    return handle


def _set_global_kind(full: bool):
    if _global_is_full[0] is (not full):
        raise RuntimeError("Cannot use both regular backward hooks and full backward hooks as a "
                           "global Module hook. Please use only one of them.")
    _global_is_full[0] = full


def register_module_backward_hook(hook) -> RemovableHandle:
    """The deprecated backward hook (see ``Module.register_backward_hook``) for every Module."""
    _set_global_kind(False)
    return _register(_global_backward_hooks, hook, call=True)


def register_module_full_backward_pre_hook(hook) -> RemovableHandle:
    """A backward pre-hook of every Module (see ``Module.register_full_backward_pre_hook``);
    it runs before the module's own."""
    return _register(_global_backward_pre_hooks, hook, call=True)


def register_module_full_backward_hook(hook) -> RemovableHandle:
    """A full backward hook of every Module (see ``Module.register_full_backward_hook``); it
    runs before the module's own."""
    _set_global_kind(True)
    return _register(_global_backward_hooks, hook, call=True)


class _WrappedHook:
    """A hook called with the module (held weakly) in front of its arguments."""

    def __init__(self, hook, module=None):
        self.hook = hook
        functools.update_wrapper(self, hook)
        self.module = None if module is None else weakref.ref(module)

    def __call__(self, *args, **kwargs):
        if self.module is None:
            return self.hook(*args, **kwargs)
        module = self.module()
        if module is None:
            raise RuntimeError("You are trying to call the hook of a dead Module!")
        return self.hook(module, *args, **kwargs)


# ---------------------------------------------------------------------------- registration


class ModuleHooks:
    """The hook registration methods of :class:`~ember.nn.Module` (its base class)."""

    def register_forward_pre_hook(self, hook, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Call ``hook(module, args)`` before every ``forward``.

        ``args`` holds the positional arguments only (keyword arguments go to ``forward``
        alone). The hook may return a new ``args`` (a single value is wrapped in a tuple).
        With ``with_kwargs=True`` it is called as ``hook(module, args, kwargs)`` and may
        return ``(new_args, new_kwargs)``. ``prepend=True`` runs it before the hooks already
        registered (global hooks still run first). Returns a handle whose ``remove()``
        unregisters it.
        """
        handle = _add(self, self._forward_pre_hooks, hook, self._forward_pre_hooks_with_kwargs,
                      prepend)
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        return handle

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after every ``forward``; a value it returns
        replaces the output.

        ``with_kwargs=True`` calls it as ``hook(module, args, kwargs, output)``;
        ``always_call=True`` runs it even when the call raises (with ``output`` None; an
        error of the hook itself is then only warned about). ``prepend=True`` runs it before
        the hooks already registered. Returns a handle whose ``remove()`` unregisters it.
        """
        handle = _add(self, self._forward_hooks, hook, [self._forward_hooks_with_kwargs,
                                                         self._forward_hooks_always_called],
                      prepend)
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        return handle

    def register_full_backward_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, grad_output)`` when the gradients of the module's outputs are
        known; it may return a new ``grad_output`` (a tuple of the same length) to use
        instead. ``grad_output`` has one entry per output, None for outputs that are not
        Tensors or received no gradient. Changing the module's inputs or outputs in place is
        an error while such a hook is registered. Returns a handle."""
        return _add(self, self._backward_pre_hooks, hook, prepend=prepend)

    def register_full_backward_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` when the gradients of the module's
        inputs are known; it may return a new ``grad_input`` (a tuple of the same length).

        ``grad_input`` has one entry per positional argument of the call: the gradient for
        a Tensor (zeros for a Tensor that needs none, when another input does), None for
        anything else. When no input requires grad the hook fires once the outputs'
        gradients are known, with ``grad_input`` all None (and a warning, as in PyTorch); it
        must then return None. When no output requires grad it never fires. Changing the
        module's inputs or outputs in place is an error while such a hook is registered.
        Returns a handle.
        """
        if self._is_full_backward_hook is False:
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks "
                               "on a single Module. Please use only one of them.")
        self.__dict__["_is_full_backward_hook"] = True
        return _add(self, self._backward_hooks, hook, prepend=prepend)

    def register_backward_hook(self, hook) -> RemovableHandle:
        """Deprecated (use :meth:`register_full_backward_hook`): ``hook(module, grad_input,
        grad_output)`` runs after the backward of the op that made the module's (first)
        output, with that op's gradients; a FutureWarning says when it will miss some."""
        if self._is_full_backward_hook is True:
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks "
                               "on a single Module. Please use only one of them.")
        self.__dict__["_is_full_backward_hook"] = False
        return _add(self, self._backward_hooks, hook)

    def register_state_dict_pre_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, prefix, keep_vars)`` before :meth:`state_dict` writes this
        module's part."""
        handle = RemovableHandle(self._state_dict_pre_hooks)
        self._state_dict_pre_hooks[handle.id] = hook
        return handle

    def register_state_dict_post_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, state_dict, prefix, local_metadata)`` after :meth:`state_dict`
        wrote this module's part; it may change ``state_dict`` in place and must return
        None."""
        hook._from_public_api = True
        handle = RemovableHandle(self._state_dict_hooks)
        self._state_dict_hooks[handle.id] = hook
        return handle

    def _register_state_dict_hook(self, hook) -> RemovableHandle:
        """The older form of :meth:`register_state_dict_post_hook`: a value the hook returns
        replaces the state dict (for the module ``state_dict()`` was called on)."""
        if getattr(hook, "_from_public_api", False):
            raise RuntimeError("Cannot register the same function as the state dict post hook "
                               "that was previously registered via register_state_dict_post_hook")
        handle = RemovableHandle(self._state_dict_hooks)
        self._state_dict_hooks[handle.id] = hook
        return handle

    def register_load_state_dict_pre_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` before this module's :meth:`_load_from_state_dict`."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def _register_load_state_dict_pre_hook(self, hook, with_module=False) -> RemovableHandle:
        handle = RemovableHandle(self._load_state_dict_pre_hooks)
        self._load_state_dict_pre_hooks[handle.id] = _WrappedHook(
            hook, self if with_module else None)
        return handle

    def register_load_state_dict_post_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, incompatible_keys)`` after this module and its children were
        loaded; it may change ``incompatible_keys`` (missing/unexpected) in place and must
        return None."""
        handle = RemovableHandle(self._load_state_dict_post_hooks)
        self._load_state_dict_post_hooks[handle.id] = hook
        return handle


# ---------------------------------------------------------------------------- backward hooks


class BackwardHookFunction(Function):
    """The identity on a module's tensor inputs or outputs, whose node carries the module's
    backward hooks; inputs that need no gradient come out non-differentiable."""

    @staticmethod
    def forward(ctx, *args):
        ctx.mark_non_differentiable(*[a for a in args if not a.requires_grad])
        return args

    @staticmethod
    def backward(ctx, *args):
        return args


def _pack_with_none(indices, values, size):
    res = [None] * size
    for i, v in zip(indices, values):
        res[i] = v
    return tuple(res)


class _BackwardHook:
    """The backward hooks of one call of a module: links the gradients of its outputs with
    those of its inputs and calls the user's hooks once both are known."""

    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs = None
        self.n_outputs = -1
        self.output_tensors_index = None
        self.n_inputs = -1
        self.input_tensors_index = None

    def _apply_on_tensors(self, fn, args):
        idx = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tensors = [args[i] for i in idx]
        if not (_grad_state.enabled and any(t.requires_grad for t in tensors)):
            return args, None
        new = BackwardHookFunction.apply(*tensors)
        fn(next(t.grad_fn for t in new if t.grad_fn is not None))
        out = list(args)
        for i, t in zip(idx, new):
            out[i] = t
        return (tuple(out) if type(args) is tuple else type(args)(*out)), idx

    def _input_hook(self, grad_inputs, _):
        if self.grad_outputs is None:  # reached without passing through the outputs
            return None
        res = _pack_with_none(self.input_tensors_index, grad_inputs, self.n_inputs)
        for hook in self.user_hooks:
            out = hook(self.module, res, self.grad_outputs)
            if out is None:
                continue
            if len(out) != len(res):
                raise RuntimeError("Backward hook returned an invalid number of grad_input, got "
                                   f"{len(out)}, but expected {len(res)}")
            res = out
        self.grad_outputs = None
        return tuple(res[i] for i in self.input_tensors_index)

    def _output_hook(self, _, grad_outputs):
        self.grad_outputs = _pack_with_none(self.output_tensors_index, grad_outputs,
                                            self.n_outputs)
        for hook in self.user_pre_hooks:
            res = hook(self.module, self.grad_outputs)
            if res is None:
                continue
            if len(res) != len(self.grad_outputs):
                raise RuntimeError("Backward pre hook returned an invalid number of grad_output, "
                                   f"got {len(res)}, but expected {len(self.grad_outputs)}")
            self.grad_outputs = res
        local = self.grad_outputs
        if self.input_tensors_index is None:  # no input requires grad: the hooks fire here
            warnings.warn(
                "Full backward hook is firing when gradients are computed with respect to module "
                "outputs since no inputs require gradients. See https://docs.pytorch.org/docs/"
                "main/generated/torch.nn.Module.html#torch.nn.Module.register_full_backward_hook "
                "for more details.", stacklevel=_user_stacklevel())
            grad_inputs = (None,) * self.n_inputs
            for hook in self.user_hooks:
                res = hook(self.module, grad_inputs, self.grad_outputs)
                if res is not None and not (isinstance(res, tuple)
                                            and all(r is None for r in res)):
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for all "
                                       "gradients.")
            self.grad_outputs = None
        return tuple(local[i] for i in self.output_tensors_index)

    def setup_input_hook(self, args):
        res, idx = self._apply_on_tensors(lambda node: node.register_hook(self._input_hook), args)
        self.n_inputs = len(args)
        self.input_tensors_index = idx
        return res

    def setup_output_hook(self, result):
        single = not isinstance(result, tuple)
        args = (result,) if single else result
        res, idx = self._apply_on_tensors(lambda node: node.register_hook(self._output_hook), args)
        self.n_outputs = len(args)
        self.output_tensors_index = idx
        return res[0] if single else res


def _first_tensor(result):
    var = result
    while not isinstance(var, Tensor):
        var = next(v for v in var.values() if isinstance(v, Tensor)) if isinstance(var, dict) \
            else var[0]
    return var


class _DeprecatedBackwardHook:
    """``register_backward_hook``: a post-hook of the node of the module's last op. Its
    ``grad_input`` holds the gradients for that op's inputs that receive one."""

    def __init__(self, hook, module):
        self.hook = _WrappedHook(hook, module)
        functools.update_wrapper(self, hook)

    def __call__(self, grad_inputs, grad_outputs):
        idx = [i for i, g in enumerate(grad_inputs) if g is not None]
        out = self.hook(tuple(grad_inputs[i] for i in idx), grad_outputs)
        if out is None:
            return None
        out = out if isinstance(out, tuple) else (out,)
        if len(out) != len(idx):
            name = getattr(self.hook, "__name__", "hook")
            raise RuntimeError(f"hook '{name}' has returned an incorrect number of values (got "
                               f"{len(out)}, but expected {len(idx)})")
        res = list(grad_inputs)
        for i, g in zip(idx, out):
            res[i] = g
        return tuple(res)


def _warn_non_full(inputs, result, grad_fn):
    """PyTorch's warnings for a deprecated backward hook that will miss gradients."""
    msg = None
    if not (isinstance(result, Tensor) or (isinstance(result, tuple)
                                           and all(isinstance(r, Tensor) for r in result))):
        msg = ("Using non-full backward hooks on a Module that does not return a single Tensor "
               "or a tuple of Tensors is deprecated and will be removed in future versions. This "
               "hook will be missing some of the grad_output. Please use "
               "register_full_backward_hook to get the documented behavior.")
    elif not all(isinstance(i, Tensor) for i in inputs):
        msg = ("Using non-full backward hooks on a Module that does not take as input a single "
               "Tensor or a tuple of Tensors is deprecated and will be removed in future "
               "versions. This hook will be missing some of the grad_input. Please use "
               "register_full_backward_hook to get the documented behavior.")
    else:
        result = (result,) if isinstance(result, Tensor) else result
        out_fns = {id(r.grad_fn) for r in result if r.grad_fn is not None}
        if not out_fns or (len(out_fns) == 1 and id(grad_fn) not in out_fns):
            msg = ("Using a non-full backward hook when outputs are nested in python data "
                   "structure is deprecated and will be removed in future versions. This hook "
                   "will be missing some grad_output.")
        elif len(out_fns) > 1:
            msg = ("Using a non-full backward hook when outputs are generated by different "
                   "autograd Nodes is deprecated and will be removed in future versions. This "
                   "hook will be missing some grad_output. Please use register_full_backward_hook "
                   "to get the documented behavior.")
        else:
            in_fns = {id(i.grad_fn) for i in inputs if i.grad_fn is not None}
            edges = {id(e[0]) for e in grad_fn._edges if e is not None}
            if in_fns != edges:
                msg = ("Using a non-full backward hook when the forward contains multiple "
                       "autograd Nodes is deprecated and will be removed in future versions. "
                       "This hook will be missing some grad_input. Please use "
                       "register_full_backward_hook to get the documented behavior.")
    if msg is not None:
        warnings.warn(msg, FutureWarning, stacklevel=_user_stacklevel())


# ---------------------------------------------------------------------------- the call


def call_with_hooks(module, args, kwargs):
    """``module(*args, **kwargs)`` with its hooks and the global ones (PyTorch's order)."""
    _refresh_flags(module)
    result = None
    called_always = set()
    try:
        full_bw, old_bw = [], []
        if module._backward_hooks or _global_backward_hooks:
            if _global_is_full[0] is True:
                full_bw += _global_backward_hooks.values()
            elif _global_is_full[0] is False:
                old_bw += _global_backward_hooks.values()
            if module._is_full_backward_hook is True:
                full_bw += module._backward_hooks.values()
            elif module._is_full_backward_hook is False:
                old_bw += module._backward_hooks.values()
        bw_pre = [*_global_backward_pre_hooks.values(), *module._backward_pre_hooks.values()]
        for hook_id, hook in (*_global_forward_pre_hooks.items(),
                              *module._forward_pre_hooks.items()):
            if hook_id in module._forward_pre_hooks_with_kwargs:
                res = hook(module, args, kwargs)
                if res is not None:
                    if isinstance(res, tuple) and len(res) == 2:
                        args, kwargs = res
                    else:
                        raise RuntimeError("forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {res}.")
            else:
                res = hook(module, args)
                if res is not None:
                    args = res if isinstance(res, tuple) else (res,)
        bw_hook = None
        if full_bw or bw_pre:
            bw_hook = _BackwardHook(module, full_bw, bw_pre)
            args = bw_hook.setup_input_hook(args)
        result = module.forward(*args, **kwargs)
        for hook_id, hook in (*_global_forward_hooks.items(), *module._forward_hooks.items()):
            if hook_id in module._forward_hooks_always_called or \
                    hook_id in _global_forward_hooks_always_called:
                called_always.add(hook_id)
            if hook_id in module._forward_hooks_with_kwargs or \
                    hook_id in _global_forward_hooks_with_kwargs:
                res = hook(module, args, kwargs, result)
            else:
                res = hook(module, args, result)
            if res is not None:
                result = res
        if bw_hook is not None:
            if not isinstance(result, (Tensor, tuple)):
                warnings.warn("For backward hooks to be called, module output should be a "
                              "Tensor or a tuple of Tensors but received "
                              f"{type(result)}", stacklevel=_user_stacklevel())
            result = bw_hook.setup_output_hook(result)
        if old_bw:
            grad_fn = _first_tensor(result).grad_fn
            if grad_fn is not None:
                for hook in old_bw:
                    grad_fn.register_hook(_DeprecatedBackwardHook(hook, module))
                _warn_non_full(args, result, grad_fn)
        return result
    except Exception:
        for hook_id, hook in _global_forward_hooks.items():
            if hook_id in _global_forward_hooks_always_called and hook_id not in called_always:
                try:
                    res = hook(module, args, result)
                    if res is not None:
                        result = res
                except Exception as e:  # noqa: BLE001 - PyTorch silences it with a warning
                    warnings.warn("global module forward hook with ``always_call=True`` raised "
                                  "an exception that was silenced as another error was raised "
                                  f"in forward: {e}", stacklevel=_user_stacklevel())
        for hook_id, hook in module._forward_hooks.items():
            if hook_id in module._forward_hooks_always_called and hook_id not in called_always:
                try:
                    if hook_id in module._forward_hooks_with_kwargs:
                        res = hook(module, args, kwargs, result)
                    else:
                        res = hook(module, args, result)
                    if res is not None:
                        result = res
                except Exception as e:  # noqa: BLE001
                    warnings.warn("module forward hook with ``always_call=True`` raised an "
                                  "exception that was silenced as another error was raised in "
                                  f"forward: {e}", stacklevel=_user_stacklevel())
        raise
