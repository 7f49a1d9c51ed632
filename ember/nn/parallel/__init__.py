"""``ember.nn.parallel``: ``DataParallel`` on one device (a pass-through, as PyTorch's on one
device or none) and ``DistributedDataParallel`` over ``ember.distributed``'s processes."""
from .data_parallel import DataParallel, data_parallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "data_parallel", "DistributedDataParallel"]
