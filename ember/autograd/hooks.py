"""The handle every ``register_*hook`` method returns (``torch.utils.hooks.RemovableHandle``).

Hooks live in ordered dicts keyed by the handle's ``id``; ``remove()`` deletes that key from
the dict (and from the extra dicts that record per-hook options, such as ``with_kwargs``).
The handle holds the dicts weakly, so it never keeps a module or a graph node alive.
"""
from __future__ import annotations

import itertools
import weakref

__all__ = ["RemovableHandle"]


class RemovableHandle:
    """A handle whose ``remove()`` unregisters the hook it was returned for.

    Args:
        hooks_dict (dict): the dict of hooks, indexed by hook ``id``.
        extra_dict (dict or list of dicts): dicts whose entry for this ``id`` is deleted
            along with the hook.

    Also a context manager: the hook is removed on leaving the ``with`` block.
    """

    _ids = itertools.count()

    def __init__(self, hooks_dict, *, extra_dict=None) -> None:
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(RemovableHandle._ids)
        if isinstance(extra_dict, dict):
            extra_dict = [extra_dict]
        self.extra_dict_ref = tuple(weakref.ref(d) for d in (extra_dict or ()))

    def remove(self) -> None:
        for ref in (self.hooks_dict_ref, *self.extra_dict_ref):
            d = ref()
            if d is not None:
                d.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    def __repr__(self):
        return f"<RemovableHandle id={self.id}>"
