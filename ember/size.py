"""``ember.Size``: the shape of a tensor, a tuple of ints as ``torch.Size``."""
from __future__ import annotations


class Size(tuple):
    """A tuple of dimension sizes that prints as ``ember.Size([2, 3])``."""

    __slots__ = ()

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self):
        return f"ember.Size({list(self)})"

    def __getitem__(self, item):
        r = tuple.__getitem__(self, item)
        return Size(r) if isinstance(item, slice) else r
