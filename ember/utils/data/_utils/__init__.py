"""PyTorch's ``torch.utils.data._utils`` path, which programs import ``default_collate``
from (``from torch.utils.data._utils.collate import default_collate``)."""
from . import collate

__all__ = ["collate"]
