"""``torch.utils.data._utils.collate``: the data loader's collation functions, under
PyTorch's module path (the same objects as ``ember.utils.data.default_collate``)."""
from .._collate import default_collate, default_convert

__all__ = ["default_collate", "default_convert"]
