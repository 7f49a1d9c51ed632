"""DataLoader: batches from a dataset through a sampler and a collate function."""
from __future__ import annotations

import queue
import threading
import warnings

import numpy as np


from ... import backend
from ...tensor import Tensor
from ._collate import default_collate, default_convert
from .dataset import IterableDataset, TensorDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader"]

_END = object()


class DataLoader:
    """Iterate over ``dataset`` in batches, as ``torch.utils.data.DataLoader``.

    Each ``iter()`` is a new epoch (a new shuffle with ``shuffle=True``, drawn from
    ``generator``). Over a TensorDataset with the default collate, a batch is one
    fancy-index per tensor (no per-sample Python calls); so is any dataset with
    ``__getitems__``. ``num_workers > 0`` prefetches batches in background threads
    (``prefetch_factor`` batches per worker). ``pin_memory=True`` puts each batch's
    tensors in page-locked host memory (with a CUDA device), so that
    ``x.to("cuda", non_blocking=True)`` copies asynchronously; pinning happens in
    the worker thread when there is one.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers: int = 0, collate_fn=None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None,
                 persistent_workers: bool = False, pin_memory_device: str = "",
                 in_order: bool = True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing. "
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if multiprocessing_context is not None:
            raise NotImplementedError("DataLoader: ember's workers are threads; "
                                      "multiprocessing_context is not supported")
        self.dataset = dataset
        self.num_workers, self.pin_memory, self.timeout = num_workers, pin_memory, timeout
        self.pin_memory_device, self.in_order = pin_memory_device, in_order
        self.persistent_workers, self._workers_initialized = persistent_workers, False
        self.worker_init_fn, self.generator = worker_init_fn, generator
        self.prefetch_factor = 2 if prefetch_factor is None and num_workers else prefetch_factor
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None or batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 "sampler/batch_sampler option")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None and not self._iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else \
                SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size, self.drop_last = batch_size, drop_last
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self._auto_collation = batch_sampler is not None or (self._iterable and
                                                             batch_size is not None)
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if self._auto_collation else default_convert)

    # -- fetching ----------------------------------------------------------------
    def _fetch(self, indices):
        ds = self.dataset
        if self.collate_fn is default_collate:
            if type(ds) is TensorDataset:  # fast path: one gather per tensor
                idx = np.asarray(indices, dtype=np.int64)
                return [t[idx] for t in ds.tensors]
            if hasattr(ds, "__getitems__"):
                return self.collate_fn(ds.__getitems__(list(indices)))
        return self.collate_fn([ds[i] for i in indices])

    def _batches(self):
        if self._iterable:
            it = iter(self.dataset)
            if self.batch_size is None:
                for x in it:
                    yield self.collate_fn(x)
                return
            batch = []
            for x in it:
                batch.append(x)
                if len(batch) == self.batch_size:
                    yield self.collate_fn(batch)
                    batch = []
            if batch and not self.drop_last:
                yield self.collate_fn(batch)
            return
        if self.batch_sampler is not None:
            for indices in self.batch_sampler:
                yield self._fetch(indices)
        else:
            for i in self.sampler:
                yield self.collate_fn(self.dataset[i])

    def _pinned_batches(self):
        for b in self._batches():
            yield _pin(b)

    def _pin_memory_now(self) -> bool:
        """Whether this epoch pins its batches; PyTorch's warnings where it cannot or where
        ``pin_memory_device`` is given (PyTorch 2.13 pins on the current accelerator)."""
        if not self.pin_memory:
            return False
        if self.pin_memory_device:
            warnings.warn("pin_memory_device is deprecated, the current accelerator will be "
                          f"used as the device,ignore pin_memory_device="
                          f"'{self.pin_memory_device}'.", stacklevel=2)
        if not backend.cuda_is_available():
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, "
                          "then device pinned memory won't be used.", stacklevel=2)
            return False
        return True

    def __iter__(self):
        batches = self._pinned_batches() if self._pin_memory_now() else self._batches()
        if self.num_workers == 0:
            return batches
        gen = self.generator if self.generator is not None else backend.default_generator
        seed = gen.initial_seed()  # read, not drawn: batches stay those of num_workers=0
        init = self.worker_init_fn
        if self.persistent_workers:  # kept-alive workers are initialised once
            init = None if self._workers_initialized else init
            self._workers_initialized = True
        return _Prefetcher(batches, self.num_workers * self.prefetch_factor,
                           self.timeout, init, self.dataset, seed)

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)


def _pin(obj):
    """The batch with every CPU tensor in it moved to pinned memory (structure kept)."""
    if isinstance(obj, Tensor):
        return obj.pin_memory() if obj.device.type == "cpu" else obj
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # namedtuple
        return type(obj)(*(_pin(o) for o in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(_pin(o) for o in obj)
    if isinstance(obj, dict):
        return {k: _pin(v) for k, v in obj.items()}
    return obj


class _Prefetcher:
    """Produce batches in a background thread into a bounded queue."""

    def __init__(self, batches, depth, timeout, worker_init_fn, dataset, seed):
        self._q = queue.Queue(maxsize=max(1, depth))
        self._timeout = timeout or None
        self._stop = threading.Event()

        def run():
            _worker.info = WorkerInfo(id=0, num_workers=1, seed=seed, dataset=dataset)
            try:
                if worker_init_fn is not None:
                    worker_init_fn(0)
                for b in batches:
                    if self._stop.is_set():
                        return
                    self._q.put(b)
                self._q.put(_END)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer
                self._q.put(_Failure(exc))

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def __iter__(self):
        return self

    def __next__(self):
        try:
            item = self._q.get(timeout=self._timeout)
        except queue.Empty:
            raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds") from None
        if item is _END:
            raise StopIteration
        if isinstance(item, _Failure):
            raise item.exc
        return item

    def __del__(self):
        self._stop.set()


_worker = threading.local()


class WorkerInfo:
    """What ``get_worker_info()`` tells code running in a DataLoader worker."""

    def __init__(self, id: int, num_workers: int, seed: int, dataset):  # noqa: A002
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


def get_worker_info():
    """In a DataLoader worker: its ``WorkerInfo`` (id, num_workers, seed, dataset); else None.

    ember's loader fills its batches in one background thread whatever ``num_workers`` is,
    so that thread reports ``id=0, num_workers=1``: an IterableDataset that splits its stream
    by worker then yields every item exactly once, as it should.
    """
    return getattr(_worker, "info", None)


class _Failure:
    def __init__(self, exc):
        self.exc = exc



