"""``DistributedDataParallel`` over ``ember.distributed`` (MPI): each process trains a replica
on its share of the batch; after every backward the gradients are averaged over the
processes, so every replica takes the same optimizer step."""
from __future__ import annotations

import contextlib

import numpy as np

from ...autograd.engine import queue_callback
from ...tensor import _wrap
from ..module import Module


class DistributedDataParallel(Module):
    """PyTorch's ``nn.parallel.DistributedDataParallel``, on MPI processes.

    At construction every parameter and buffer is broadcast from rank 0 (so the replicas
    start equal); ``broadcast_buffers`` repeats that for buffers at each forward (batch
    norm's running statistics). After each ``backward()`` outside ``no_sync()``, every
    parameter's ``.grad`` is averaged over the processes with all-reduces of flat buckets
    of about ``bucket_cap_mb`` MB, in reverse registration order, all started before the
    first is awaited. (The averaging runs when backward has finished: ember does not yet
    overlap it with the backward computation.) Averaging the whole ``.grad`` makes
    ``no_sync()`` accumulation exact: the next synchronised backward averages the sum.
    A parameter that a backward did not reach is an error unless
    ``find_unused_parameters=True`` (then it contributes its ``.grad`` as it stands, zero
    where it has none, and gets the average wherever some process had a gradient). The
    wrapper adds the ``module.`` prefix to state-dict keys, as PyTorch's does: save
    ``ddp.module``'s state dict, or strip the prefix, to load it into an unwrapped model.
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, process_group=None,
                 bucket_cap_mb: float = 25, find_unused_parameters: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False):
        super().__init__()
        from ... import distributed as dist  # noqa: PLC0415

        if not dist.is_initialized():
            raise RuntimeError("DistributedDataParallel: call ember.distributed."
                               "init_process_group('mpi') first (under mpirun)")
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.bucket_cap_mb = bucket_cap_mb
        self.require_backward_grad_sync = True
        self._queued = False
        params = [p for p in module.parameters() if p.requires_grad]
        self._buckets = _buckets(params[::-1], int(bucket_cap_mb * 2 ** 20))
        for t in list(module.parameters()) + list(module.buffers()):
            dist.broadcast(t, src=0)
        self._fired: set = set()  # parameters whose gradient this backward computed
        for p in params:
            p.register_hook(lambda g, p=p: self._hook(p, g))

    def forward(self, *inputs, **kwargs):
        self._queued = False  # (a backward that failed half-way left nothing queued)
        self._fired = set()
        if self.broadcast_buffers:
            from ... import distributed as dist  # noqa: PLC0415

            for b in self.module.buffers():
                dist.broadcast(b, src=0)
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Backward passes inside accumulate gradients locally, without averaging."""
        prev = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = prev

    def _hook(self, p, grad):
        if self.require_backward_grad_sync:
            self._fired.add(id(p))
            if not self._queued:
                self._queued = True
                queue_callback(self._average)
        return grad

    def _average(self):
        from ... import distributed as dist  # noqa: PLC0415

        self._queued = False
        fired, self._fired = self._fired, set()
        n = dist.get_world_size()
        works, flats = [], []
        for bucket in self._buckets:  # start every bucket, then wait: the sends overlap
            dtype = bucket[0]._data.dtype
            flat = np.concatenate(
                [(p.grad._data if p.grad is not None else np.zeros(p.shape, dtype)).ravel()
                 for p in bucket]
                + [np.array([id(p) in fired for p in bucket], dtype=dtype)])
            t = _wrap(flat, False, None, 0)
            works.append(dist.all_reduce(t, dist.ReduceOp.SUM, async_op=True))
            flats.append(t)
        unused = []
        for bucket, work, t in zip(self._buckets, works, flats):
            work.wait()  # every process takes part, whatever it finds afterwards
            flat, offset = t._data, 0
            reached = flat[-len(bucket):]
            for p, count in zip(bucket, reached):
                k = p.numel()
                if count < n:
                    unused.append(p)
                if count > 0 or p.grad is not None:
                    avg = (flat[offset:offset + k] / n).reshape(p.shape)
                    if p.grad is None:
                        p.grad = _wrap(avg.astype(p._data.dtype), False, None, 0)
                    else:
                        p.grad._data[...] = avg
                        p.grad._bump()
                offset += k
        if unused and not self.find_unused_parameters:  # the same verdict on every process
            names = {id(p): k for k, p in self.module.named_parameters()}
            raise RuntimeError(
                "DistributedDataParallel: some process's backward did not reach parameters "
                f"{[names.get(id(p), '?') for p in unused]}; pass find_unused_parameters=True "
                "if the model does not use them all")


def _buckets(params, cap_bytes):
    out, cur, size = [], [], 0
    for p in params:
        nbytes = p.numel() * p._data.itemsize
        if cur and size + nbytes > cap_bytes:
            out.append(cur)
            cur, size = [], 0
        cur.append(p)
        size += nbytes
    if cur:
        out.append(cur)
    return out
