"""``ember.multiprocessing``: Python's ``multiprocessing`` with ember's tensors shared between
processes, as ``torch.multiprocessing``.

Every name of ``multiprocessing`` is here (``Process``, ``Queue``, ``SimpleQueue``, ``Pipe``,
``get_context``, ``set_start_method``, ``cpu_count``...), the same objects. Importing ember
registers reducers (``ember.multiprocessing.reductions``) with the pickler ``multiprocessing``
uses for queues, pipes and spawned processes' arguments: a CPU tensor sent that way travels as
a handle on shared memory (moved there first if it was not), so both processes see one copy
— a model whose ``share_memory()`` was called before starting the workers is trained by all
of them at once (Hogwild). ``spawn``/``start_processes`` run ``fn(i, *args)`` in new
processes and raise a child's failure in the parent. GPU tensors cannot be sent (PyTorch uses
CUDA IPC): send ``.cpu()`` copies.
"""
import multiprocessing
from multiprocessing import *  # noqa: F401,F403

from .reductions import init_reductions
from .spawn import (ProcessContext, ProcessExitedException, ProcessRaisedException,  # noqa: F401
                    SpawnContext, spawn, start_processes)
from .sharing import get_all_sharing_strategies, get_sharing_strategy, set_sharing_strategy

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies"]
__all__ += multiprocessing.__all__

init_reductions()
