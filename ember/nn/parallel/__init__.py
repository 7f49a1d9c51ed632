"""``ember.nn.parallel``: ``DataParallel`` on one device (a pass-through, as PyTorch's on one
device or none). Training over processes and machines is ``ember.distributed``'s work."""
from .data_parallel import DataParallel, data_parallel

__all__ = ["DataParallel", "data_parallel"]
