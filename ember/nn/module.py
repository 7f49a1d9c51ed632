"""``Module``: the base of every layer and model, with PyTorch's registration and state dicts."""
from __future__ import annotations

import warnings
from collections import OrderedDict
from typing import Any, Callable, Iterator

from .. import backend
from .._grad_mode import no_grad
from ..tensor import Tensor
from . import _hooks, _state_dict
from ._hooks import global_call_hooks as _GLOBAL_CALL_HOOKS
from .parameter import Buffer, Parameter, zero_grads

__all__ = ["Module"]

_IncompatibleKeys = _state_dict.IncompatibleKeys
# The per-module hook stores (ordered dicts keyed by handle id), as in PyTorch.
_HOOK_STORES = ("_forward_hooks", "_forward_hooks_with_kwargs", "_forward_hooks_always_called",
                "_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_backward_hooks",
                "_backward_pre_hooks", "_state_dict_hooks", "_state_dict_pre_hooks",
                "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks")


class Module(_hooks.ModuleHooks):
    """Base class of all layers and models.

    Assigning a :class:`Parameter`, a Module or a registered buffer to an
    attribute registers it, in assignment order; ``parameters()``,
    ``state_dict()`` and friends walk those registrations with dotted names
    (``layer1.0.conv1.weight``), exactly as PyTorch does.
    """

    training: bool
    _version = 1
    _call_hooks = False  # see __call__

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = OrderedDict()
        for name in _HOOK_STORES:
            d[name] = OrderedDict()
        d["_is_full_backward_hook"] = None

    forward: Callable[..., Any]

    def forward(self, *args, **kwargs):  # noqa: F811 - documented override point
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  '"forward" function')

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._drop(name, keep="_parameters")
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(ember.nn.Parameter or None expected)")
            params[name] = None
        elif isinstance(value, Module):
            if d.get("_modules") is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._drop(name, keep="_modules")
            for hook in _hooks._global_module_registration_hooks.values():
                out = hook(self, name, value)
                if out is not None:
                    value = out
            d["_modules"][name] = value
        elif d.get("_modules") is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module "
                                f"'{name}' (ember.nn.Module or None expected)")
            d["_modules"][name] = None
        elif isinstance(value, Buffer):
            self._drop(name, keep="_buffers")
            self.register_buffer(name, value, value.persistent)
        elif d.get("_buffers") is not None and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(ember.Tensor or None expected)")
            for hook in _hooks._global_buffer_registration_hooks.values():
                out = hook(self, name, value)
                if out is not None:
                    value = out
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def _drop(self, name, keep):
        """Forget ``name`` everywhere but in the store ``keep``, where a reassignment keeps
        its position (PyTorch's order of children, parameters and state-dict keys)."""
        d = self.__dict__
        d.pop(name, None)
        for key in ("_parameters", "_buffers", "_modules"):
            if key != keep:
                d[key].pop(name, None)
        d["_non_persistent_buffers_set"].discard(name)

    def __getattr__(self, name: str):
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            store = d.get(key)
            if store is not None and name in store:
                return store[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str):
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            if name in d[key]:
                del d[key][name]
                d["_non_persistent_buffers_set"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    @staticmethod
    def _check_name(name, kind):
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or None, for an optional one that is absent) under ``name``."""
        self._check_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (ember.nn.Parameter or None required)")
        if param is not None and param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model "
                             "parameters must be created explicitly.")
        for hook in _hooks._global_parameter_registration_hooks.values():
            out = hook(self, name, param)
            if out is not None:
                param = out
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a tensor that is state but not a parameter (e.g. running statistics).

        Non-persistent buffers are left out of ``state_dict()``.
        """
        self._check_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                            "(ember.Tensor or None required)")
        if isinstance(tensor, Buffer):
            tensor = tensor.detach()
        for hook in _hooks._global_buffer_registration_hooks.values():
            out = hook(self, name, tensor)
            if out is not None:
                tensor = out
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name(name, "module")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        for hook in _hooks._global_module_registration_hooks.values():
            out = hook(self, name, module)
            if out is not None:
                module = out
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        mod = self
        if target == "":
            return mod
        for item in target.split("."):
            if item not in mod._modules:
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = mod._modules[item]
        return mod

    def get_parameter(self, target: str) -> Parameter:
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if name not in mod._parameters:
            raise AttributeError(f"{mod._get_name()} has no parameter `{name}`")
        return mod._parameters[name]

    def get_buffer(self, target: str) -> Tensor:
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if name not in mod._buffers:
            raise AttributeError(f"{mod._get_name()} has no buffer `{name}`")
        return mod._buffers[name]

    # ------------------------------------------------------------------ iteration
    def named_modules(self, memo=None, prefix: str = "", remove_duplicate: bool = True):
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(self, getter, prefix="", recurse=True, remove_duplicate=True):
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse \
            else [(prefix, self)]
        for mod_prefix, mod in mods:
            for name, v in getter(mod):
                if v is None or (remove_duplicate and id(v) in seen):
                    continue
                if remove_duplicate:
                    seen.add(id(v))
                yield mod_prefix + ("." if mod_prefix else "") + name, v

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True):
        yield from self._named_members(lambda m: m._parameters.items(), prefix, recurse,
                                       remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True):
        yield from self._named_members(lambda m: m._buffers.items(), prefix, recurse,
                                       remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ------------------------------------------------------------------ state dicts
    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """Parameters and persistent buffers by dotted name, in registration order.

        Each module's part is written by its :meth:`_save_to_state_dict`, between its
        state-dict pre-hooks and post-hooks. The dict carries ``_metadata`` (each
        module's ``version``), which :meth:`load_state_dict` hands to the modules.
        """
        if args:
            warnings.warn("Positional args are being deprecated, use kwargs instead. Refer to "
                          "https://pytorch.org/docs/main/generated/torch.nn.Module.html"
                          "#torch.nn.Module.state_dict for details.", FutureWarning, stacklevel=2)
            if destination is None:
                destination = args[0]
            if len(args) > 1 and prefix == "":
                prefix = args[1]
            if len(args) > 2 and keep_vars is False:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local_metadata = dict(version=self._version)
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=prefix + name + ".",
                             keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            result = hook(self, destination, prefix, local_metadata)
            if not getattr(hook, "_from_public_api", False):
                if result is not None:
                    destination = result
            elif result is not None:
                raise RuntimeError("state_dict post-hook must return None")
        return destination

    def _save_to_state_dict(self, destination, prefix: str, keep_vars: bool) -> None:
        """Write this module's own parameters and persistent buffers (not its children's)
        into ``destination`` under ``prefix``; override to change what is saved."""
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        if type(self).get_extra_state is not Module.get_extra_state:
            destination[prefix + _state_dict.EXTRA_STATE_SUFFIX] = self.get_extra_state()

    def get_extra_state(self):
        """Override (with :meth:`set_extra_state`) to save state beyond tensors."""
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never be "
                           "called. Please file an issue at https://github.com/pytorch/pytorch/"
                           "issues/new?template=bug-report.yml to report this bug.")

    def set_extra_state(self, state) -> None:
        """Override (with :meth:`get_extra_state`) to load state beyond tensors."""
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never be "
                           f"called (got {type(state).__name__}). Please file an issue at "
                           "https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml "
                           "to report this bug.")

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs) -> None:
        """Load this module's own parameters and buffers from ``state_dict`` (keys under
        ``prefix``), appending to ``missing_keys``/``unexpected_keys``/``error_msgs``.

        :meth:`load_state_dict` calls it on every module; override it to rename or fill in
        keys (``local_metadata["version"]`` is the saving module's ``_version``) and call
        ``super()._load_from_state_dict(...)``.
        """
        _state_dict.load_local(self, state_dict, prefix, local_metadata, strict, missing_keys,
                               unexpected_keys, error_msgs)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy parameters and buffers from ``state_dict`` into this module and its children.

        Each module's :meth:`_load_from_state_dict` runs, then its load-state-dict
        post-hooks. Returns ``(missing_keys, unexpected_keys)``; with ``strict`` (default)
        any missing or unexpected key is an error. On any error nothing is changed: what
        was already copied is restored. ``assign=True`` makes the module take the
        checkpoint's tensors themselves instead of copying into its own.
        """
        return _state_dict.load_state_dict(self, state_dict, strict, assign)

    # ------------------------------------------------------------------ modes and devices
    def train(self, mode: bool = True) -> Module:
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the parameters' gradients (to None by default, as PyTorch 2)."""
        zero_grads(self.parameters(), set_to_none)

    def _apply(self, fn, recurse: bool = True) -> Module:
        """Apply ``fn`` (a Tensor -> Tensor function) to every parameter, gradient and buffer:
        the one path of ``to()``, ``float()``, ``cuda()``, ``share_memory()``...

        Parameters stay the same objects (their data is replaced, as ``p.data = fn(p)``),
        and so do their ``.grad`` tensors; buffers become what ``fn`` returns. Subclasses
        holding other tensors override it and call ``super()._apply(fn)``.
        """
        if recurse:
            for m in self.children():
                m._apply(fn)
        for p in self._parameters.values():
            if p is None:
                continue
            with no_grad():
                applied = fn(p)
            if applied is not p:
                p.data = applied
            g = p._grad
            if g is not None:
                with no_grad():
                    g_applied = fn(g)
                if g_applied is not g:
                    g.data = g_applied
        for name, b in self._buffers.items():
            if b is not None:
                self._buffers[name] = fn(b)
        return self

    def to(self, *args, **kwargs) -> Module:
        """Move and/or cast parameters and buffers in place (floating ones only for a dtype):
        ``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)``, with
        ``non_blocking`` and ``memory_format`` passed on to each tensor's ``to``."""
        dev = kwargs.pop("device", None)
        dt = kwargs.pop("dtype", None)
        non_blocking = kwargs.pop("non_blocking", False)
        memory_format = kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"to() received an invalid combination of arguments: {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                dev, dt = a.device, a.dtype
            elif isinstance(a, bool):
                non_blocking = a
            elif isinstance(a, (str, backend.device, int)) and not (
                    isinstance(a, str) and a.replace("ember.", "") in backend._BY_NAME):
                dev = a
            else:
                dt = a
        d = backend.as_device(dev) if dev is not None else None
        npdt = backend.np_dtype(dt) if dt is not None else None
        if npdt is not None and npdt == backend.BF16:
            raise TypeError("nn.Module.to(bfloat16) is not supported by ember: bfloat16 is a "
                            "storage and conversion dtype here (no gradients); keep the model "
                            "in float32 or float16 and convert tensors with .bfloat16() to store "
                            "them")
        if npdt is not None and npdt.kind != "f":
            raise TypeError("nn.Module.to only accepts floating point or complex dtypes, but "
                            f"got desired dtype={backend.to_dtype(dt)}")
        tdt = None if npdt is None else backend.to_dtype(dt)

        def convert(t):
            kw = {} if memory_format is None or t.dim() not in (4, 5) else \
                {"memory_format": memory_format}
            return t.to(device=d, dtype=tdt if t.is_floating_point() else None,
                        non_blocking=non_blocking, **kw)
        return self._apply(convert)

    def float(self) -> Module:
        return self._apply(lambda t: t.float() if t.is_floating_point() else t)

    def double(self) -> Module:
        return self._apply(lambda t: t.double() if t.is_floating_point() else t)

    def half(self) -> Module:
        return self._apply(lambda t: t.half() if t.is_floating_point() else t)

    def bfloat16(self) -> Module:
        return self.to(backend.bfloat16)  # refused with the reason, see to()

    def cpu(self) -> Module:
        return self._apply(lambda t: t.cpu())

    def cuda(self, device=None) -> Module:
        return self._apply(lambda t: t.cuda(device))

    def type(self, dst_type) -> Module:
        return self._apply(lambda t: t.type(dst_type))

    def share_memory(self) -> Module:
        """Move every CPU parameter, gradient and buffer into shared memory
        (``Tensor.share_memory_()``): processes forked afterwards see one copy, so their
        updates are seen by all. Returns self."""
        return self._apply(lambda t: t.share_memory_())

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every submodule (children first) and on self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ hooks and calling
    def __call__(self, *args, **kwargs):
        # Two flags, set when a forward/backward hook is registered here or globally (and
        # cleared by the slow path once the hooks are gone): a call without hooks costs
        # two lookups.
        if self._call_hooks or _GLOBAL_CALL_HOOKS[0]:
            return _hooks.call_with_hooks(self, args, kwargs)
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------ printing
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """One-line description of this module's own settings (for ``print(model)``)."""
        return ""

    def __repr__(self):
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        child_lines = []
        for name, m in self._modules.items():
            s = repr(m).replace("\n", "\n  ")
            child_lines.append(f"({name}): {s}")
        lines = lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra.split("\n")) == 1 and not child_lines:
                main += extra
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __getstate__(self):
        return self.__dict__

    def __setstate__(self, state):
        self.__dict__.update(state)
        d = self.__dict__
        for name in _HOOK_STORES:  # a module saved before these stores existed
            d.setdefault(name, OrderedDict())
        d.setdefault("_is_full_backward_hook", None)
        d.setdefault("_non_persistent_buffers_set", set())


