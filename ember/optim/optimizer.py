"""``Optimizer``: parameter groups, per-parameter state, and PyTorch's state-dict layout."""
from __future__ import annotations

import copy
import functools
from collections import defaultdict

import numpy as np

from .. import backend
from .._grad_mode import no_grad
from ..nn.parameter import zero_grads
from ..tensor import Tensor, _wrap

__all__ = ["Optimizer", "required"]


class _Required:
    def __repr__(self):
        return "<required parameter>"


required = _Required()


class Optimizer:
    """Base class: holds ``param_groups`` (each a dict with ``'params'`` and its options) and
    ``state`` (per parameter). Subclasses implement ``step``; updates run in place on the raw
    arrays, outside the graph, in each parameter's dtype and device.
    """

    _opt_called = False  # set by the first step(): schedulers warn when stepped before it

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_marks_called", False):
            @functools.wraps(step)
            def marked_step(self, *args, **kw):
                self._opt_called = True
                return step(self, *args, **kw)
            marked_step._marks_called = True
            cls.step = marked_step

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        self.state: dict = defaultdict(dict)
        self.param_groups: list[dict] = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own options (missing ones take the defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for k, v in self.defaults.items():
            if v is required and k not in group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {k}")
            group.setdefault(k, v)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients (to None by default, as PyTorch 2)."""
        zero_grads((p for g in self.param_groups for p in g["params"]), set_to_none)

    def step(self, closure=None):
        raise NotImplementedError

    def _scratch(self, p):
        """A reusable work array shaped like ``p`` (shared by parameters of one shape/dtype).

        Not part of the optimizer's state: it only spares each step the allocation
        (and page faults) of temporaries.
        """
        cache = self.__dict__.setdefault("_scratch_arrays", {})
        key = (p._data.shape, p._data.dtype.str, type(p._data))
        arr = cache.get(key)
        if arr is None:
            arr = cache[key] = backend.xp(p._data).empty_like(p._data)
        return arr

    def _closure(self, closure):
        if closure is None:
            return None
        from .._grad_mode import enable_grad  # noqa: PLC0415

        with enable_grad():
            return closure()

    # -- state dicts -----------------------------------------------------------
    def state_dict(self) -> dict:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``."""
        index = {}
        groups = []
        start = 0
        for g in self.param_groups:
            packed = {k: v for k, v in g.items() if k != "params"}
            ids = list(range(start, start + len(g["params"])))
            for i, p in zip(ids, g["params"]):
                index[id(p)] = i
            packed["params"] = ids
            start += len(g["params"])
            groups.append(packed)
        state = {}
        for p, s in self.state.items():
            if s and id(p) in index:
                state[index[id(p)]] = {k: (v.detach() if isinstance(v, Tensor) else v)
                                       for k, v in s.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore groups' options and per-parameter state (tensors cast to each param's dtype)."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for mine, theirs in zip(self.param_groups, groups):
            if len(mine["params"]) != len(theirs["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't "
                                 "match the size of optimizer's group")
        lookup = {}
        for mine, theirs in zip(self.param_groups, groups):
            for p, i in zip(mine["params"], theirs["params"]):
                lookup[i] = p
        new_state = defaultdict(dict)
        for key, s in state_dict["state"].items():
            p = lookup.get(int(key))
            if p is None:
                continue
            entry = {}
            for k, v in s.items():
                if isinstance(v, Tensor) or isinstance(v, np.ndarray):
                    arr = v._data if isinstance(v, Tensor) else v
                    if k == "step":
                        entry[k] = _wrap(np.asarray(arr, dtype=np.float32).copy(), False, None, 0)
                        continue
                    arr = backend.to_device(arr, p.device)
                    if arr.dtype.kind == "f":
                        arr = arr.astype(p._data.dtype)
                    entry[k] = _wrap(arr.copy(), False, None, 0)
                else:
                    entry[k] = copy.deepcopy(v)
            new_state[p] = entry
        for mine, theirs in zip(self.param_groups, groups):
            for k, v in theirs.items():
                if k != "params":
                    mine[k] = copy.deepcopy(v)
        self.state = new_state

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(g):
                if k != "params":
                    lines.append(f"    {k}: {g[k]}")
        lines.append(")")
        return "\n".join(lines)

    def __getstate__(self):
        # everything a subclass keeps (Adam's ``_decoupled``...), not the scratch arrays
        return {k: v for k, v in self.__dict__.items() if k != "_scratch_arrays"}

    def __setstate__(self, state):
        self.__dict__.update(state)


def _zeros_like(p):
    return _wrap(backend.xp(p._data).zeros_like(p._data), False, None, 0)


def _step_tensor():
    return _wrap(np.zeros((), dtype=np.float32), False, None, 0)


def _grads(group, maximize):
    """(param, grad array) for the group's params that have a gradient."""
    out = []
    for p in group["params"]:
        if p.grad is None:
            continue
        g = p.grad._data
        if maximize:
            g = -g
        out.append((p, g))
    return out


__all__ += ["_zeros_like", "_step_tensor", "_grads", "no_grad"]
