"""``functional_call`` and ``stack_module_state`` (``torch.func``): modules as functions of
their parameters and buffers."""
from __future__ import annotations

from collections.abc import Sequence

from .. import ops
from ..nn.utils.stateless import _functional_call

__all__ = ["functional_call", "stack_module_state"]


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """``module(*args, **kwargs)`` with the given tensors in place of its parameters and
    buffers (by their ``state_dict`` names); the module's own come back afterwards.

    Args:
        module: the module to call.
        parameter_and_buffer_dicts: one ``{name: tensor}`` dict, or a sequence of them
            (a name may appear in only one); names not given keep the module's tensors.
        args: the positional arguments (a tuple; anything else is one argument).
        kwargs: the keyword arguments.
        tie_weights: names that hold one tensor in the module (tied weights) take the
            value given for any of them; different values for them raise ``ValueError``.
        strict: the names given must be exactly the module's parameters and buffers.

    Differentiating the result with respect to the given tensors (``ember.func.grad``,
    ``ember.autograd.grad``) gives the gradients of the module's output for those weights.
    """
    if isinstance(parameter_and_buffer_dicts, dict):
        merged = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, Sequence):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be "
                             "dictionaries")
        counts: dict = {}
        for d in parameter_and_buffer_dicts:
            for k in d:
                counts[k] = counts.get(k, 0) + 1
        repeated = [k for k, n in counts.items() if n > 1]
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of "
                             "functional call is ambiguous")
        merged = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of "
                         f"dicts, but got {type(parameter_and_buffer_dicts)}")
    return _functional_call(module, merged, args, kwargs, tie_weights=tie_weights,
                            strict=strict)


def stack_module_state(models):
    """``(params, buffers)``: each parameter and buffer of ``models`` (modules of one class)
    stacked along a new first dimension, by name — the inputs ``vmap`` over
    ``functional_call`` needs to run an ensemble as one batched model. The stacked
    tensors are new leaves, which require grad where the models' tensors do."""
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if any(m.training for m in models) and not all(m.training for m in models):
        raise RuntimeError("stack_module_state: Expected all models to have the same training/"
                           "eval mode.")
    if any(type(m) is not type(models[0]) for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")

    def stacked(named):
        tables = [dict(named(m)) for m in models]
        out = {}
        for name in tables[0]:
            ts = [t[name] for t in tables]
            req = {t.requires_grad for t in ts}
            if len(req) > 1:
                raise RuntimeError(f"Expected {name} from each model to have the same "
                                   ".requires_grad")
            out[name] = ops.stack([t.detach() for t in ts])
            if req == {True}:
                out[name].requires_grad_()
        return out

    return stacked(lambda m: m.named_parameters()), stacked(lambda m: m.named_buffers())
