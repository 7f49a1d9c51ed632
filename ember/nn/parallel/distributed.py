"""``DistributedDataParallel`` over ``ember.distributed`` (MPI): each process trains a replica
on its share of the batch; after every backward the gradients are averaged over the
processes, so every replica takes the same optimizer step."""
from __future__ import annotations

import contextlib
import time

import numpy as np

from ... import backend
from ...autograd.engine import queue_callback
from ...tensor import Tensor, _wrap
from ..module import Module
from .data_parallel import _one_device


def _moved(obj, device):
    """``obj`` with every tensor in it (through tuples, lists and dicts) on ``device``."""
    if isinstance(obj, Tensor):
        return obj.to(device)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_moved(o, device) for o in obj)
    if isinstance(obj, dict):
        return {k: _moved(v, device) for k, v in obj.items()}
    return obj


class DistributedDataParallel(Module):
    """PyTorch's ``nn.parallel.DistributedDataParallel``, on MPI processes.

    At construction every parameter and buffer is broadcast from rank 0 (so the replicas
    start equal); ``broadcast_buffers`` repeats that for buffers at each forward (batch
    norm's running statistics). During each ``backward()`` outside ``no_sync()``, the
    parameters' ``.grad`` are averaged over the processes in flat buckets of about
    ``bucket_cap_mb`` MB, in reverse registration order: a bucket's all-reduce starts as
    soon as the last of its gradients is final (a post-accumulate-grad hook), while backward
    goes on with the layers below; buckets start in order, so every process issues the same
    collectives in the same order. Once backward has finished, the averages are written
    into ``.grad``. Averaging the whole ``.grad`` makes ``no_sync()`` accumulation exact:
    the next synchronised backward averages the sum. A parameter that a backward did not
    reach is an error unless ``find_unused_parameters=True`` (then it contributes its
    ``.grad`` as it stands, zero where it has none, and gets the average wherever some
    process had a gradient). The wrapper adds the ``module.`` prefix to state-dict keys, as
    PyTorch's does: save ``ddp.module``'s state dict, or strip the prefix, to load it into an
    unwrapped model.
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
        if not bucket_cap_mb > 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be > 0, got "
                             f"{bucket_cap_mb}")
        if process_group is not None and process_group is not dist.group.WORLD:
            raise NotImplementedError("DistributedDataParallel(process_group=...): ember has "
                                      "one process group, the whole job")
        devices = {p.device for p in module.parameters()}
        if (device_ids is not None or output_device is not None) and (
                len(devices) != 1 or next(iter(devices)).type == "cpu"):
            raise ValueError(f"DistributedDataParallel device_ids and output_device arguments "
                             f"only work with single-device/multiple-device GPU modules or CPU "
                             f"modules, but got device_ids {device_ids}, output_device "
                             f"{output_device}, and module parameters {devices}.")
        _one_device(device_ids, output_device, "DistributedDataParallel")
        # one device per process: inputs go to it (as PyTorch moves them); ``dim`` is kept as
        # PyTorch keeps it, though with one device there is nothing to split along it
        self.device_ids = [backend.as_device(d if not isinstance(d, int) else f"cuda:{d}")
                           for d in device_ids] if device_ids else None
        self.output_device, self.dim = output_device, dim
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.bucket_cap_mb = bucket_cap_mb
        self.require_backward_grad_sync = True
        params = [p for p in module.parameters() if p.requires_grad]
        self._buckets = _buckets(params[::-1], int(bucket_cap_mb * 2 ** 20))
        self._bucket_of = {id(p): i for i, b in enumerate(self._buckets) for p in b}
        self._flats: list = [None] * len(self._buckets)
        for t in list(module.parameters()) + list(module.buffers()):
            dist.broadcast(t, src=0)
        self._reset()
        self.comm_wait_seconds = 0.0  # time backward's end spent waiting for the averages
        for p in params:
            p.register_post_accumulate_grad_hook(self._grad_ready)

    def _reset(self):
        self._queued = False
        self._fired: set = set()  # parameters whose gradient this backward computed
        self._ready = [0] * len(self._buckets)
        self._started: list = []  # (work, flat tensor) of the buckets started, in order

    def forward(self, *inputs, **kwargs):
        self._reset()  # (a backward that failed half-way leaves nothing behind)
        if self.broadcast_buffers:
            from ... import distributed as dist  # noqa: PLC0415

            for b in self.module.buffers():
                dist.broadcast(b, src=0)
        if self.device_ids:
            inputs, kwargs = _moved(inputs, self.device_ids[0]), _moved(kwargs, self.device_ids[0])
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

    def _grad_ready(self, p):
        """``p.grad`` is final for this backward: start every bucket, in order, whose
        gradients are now all final; let MPI progress the ones under way."""
        if not self.require_backward_grad_sync:
            return
        if not self._queued:
            self._queued = True
            queue_callback(self._average)
        self._fired.add(id(p))
        b = self._bucket_of[id(p)]
        self._ready[b] += 1
        started = self._started
        while (len(started) < len(self._buckets)
               and self._ready[len(started)] == len(self._buckets[len(started)])):
            self._start(len(started))
        for work, _ in started:  # MPI moves non-blocking collectives on inside its calls
            work.is_completed()

    def _start(self, i):
        from ... import distributed as dist  # noqa: PLC0415

        bucket = self._buckets[i]
        t = self._flats[i]
        if t is None:  # one flat buffer per bucket, kept: [gradients..., reached flags]
            n = sum(p.numel() for p in bucket) + len(bucket)
            t = self._flats[i] = _wrap(np.empty(n, bucket[0]._data.dtype), False, None, 0)
        flat, offset = t._data, 0
        for p in bucket:
            k = p.numel()
            if p.grad is None:
                flat[offset:offset + k] = 0
            else:
                flat[offset:offset + k] = p.grad._data.reshape(-1)
            offset += k
        flat[offset:] = [id(p) in self._fired for p in bucket]
        self._started.append((dist.all_reduce(t, dist.ReduceOp.SUM, async_op=True), t))

    def _average(self):
        """After backward: start the buckets not started yet (some parameter unused), wait
        for all, write the averages into ``.grad``."""
        from ... import distributed as dist  # noqa: PLC0415

        t0 = time.perf_counter()
        while len(self._started) < len(self._buckets):
            self._start(len(self._started))
        started = self._started
        self._reset()
        n = dist.get_world_size()
        unused = []
        for bucket, (work, t) in zip(self._buckets, started):
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
        self.comm_wait_seconds += time.perf_counter() - t0
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
        if cur and (size + nbytes > cap_bytes or p._data.dtype != cur[0]._data.dtype):
            out.append(cur)
            cur, size = [], 0
        cur.append(p)
        size += nbytes
    if cur:
        out.append(cur)
    return out
