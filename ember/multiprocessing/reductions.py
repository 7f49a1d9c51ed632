"""How ember's tensors travel between processes: through shared memory, never as a copy of
their data in the pickle.

The reducers are registered with ``multiprocessing.reduction.ForkingPickler``, the pickler
that ``multiprocessing`` uses for queues, pipes and the arguments of processes it spawns, and
only there: ``pickle.dumps`` and ``copy.deepcopy`` keep copying the data, and ``ember.save``
never pickles at all. A CPU tensor that is not yet in shared memory is moved there first (in
place, as ``share_memory_()`` does), so the receiving process maps the sender's memory: a write
by either is seen by both.
"""
from __future__ import annotations

from multiprocessing import reduction

import numpy as np

from .. import _shared_memory
from ..nn.parameter import Buffer, Parameter
from ..tensor import Tensor, _wrap

__all__ = ["reduce_tensor", "rebuild_tensor", "init_reductions"]


def reduce_tensor(tensor):
    """``(rebuild_tensor, args)`` for ``tensor``: a handle on its shared segment and where
    the tensor lies in it."""
    if tensor.requires_grad and tensor.grad_fn is not None:
        raise RuntimeError(
            "Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd "
            "does not support crossing process boundaries.  If you just want to transfer the "
            "data, call detach() on the tensor before serializing (e.g., putting it on the "
            "queue).")
    arr = tensor._data
    if not isinstance(arr, np.ndarray):
        raise NotImplementedError(
            f"sending a {tensor.device} tensor to another process is not supported by ember "
            "(PyTorch uses CUDA IPC); send tensor.cpu() and move it back in the receiver")
    found = _shared_memory.segment_of(arr)
    if found is None:  # not in shared memory yet: moved there in place, as PyTorch does
        # (a mapping made elsewhere, that another process cannot map, is copied out first)
        src = arr.copy() if _shared_memory.is_shared(arr) else arr
        tensor._data = arr = _shared_memory.share(src)
        found = _shared_memory.segment_of(arr)
    seg, offset = found
    if seg.name is not None:  # made by the file_system strategy: a name for this message
        handle = ("name", _shared_memory.message_name(seg))
    else:
        handle = ("fd", reduction.DupFd(seg.fd))
    layout = (arr.dtype, arr.shape, arr.strides, offset)
    extra = {"persistent": tensor.persistent} if isinstance(tensor, Buffer) else None
    return rebuild_tensor, (type(tensor), handle, len(seg), layout, tensor.requires_grad, extra)


def rebuild_tensor(cls, handle, size, layout, requires_grad, extra=None):
    """The tensor :func:`reduce_tensor` described, on the same shared memory."""
    kind, h = handle
    seg = _shared_memory.attach(kind, h.detach() if kind == "fd" else h, size)
    dtype, shape, strides, offset = layout
    arr = np.ndarray(shape, dtype=dtype, buffer=memoryview(seg), offset=offset,
                     strides=strides)
    if cls is Parameter:
        return Parameter(_wrap(arr, False, None, 0), requires_grad=requires_grad)
    t = _wrap(arr, False, None, 0)
    if cls is not Tensor:
        t.__class__ = cls
        t.__dict__.update(extra or {})
    if requires_grad:
        t.requires_grad_(True)
    return t


def init_reductions() -> None:
    """Register the reducers with ``ForkingPickler`` (done on importing ember)."""
    for cls in (Tensor, Parameter, Buffer):
        reduction.ForkingPickler.register(cls, reduce_tensor)
