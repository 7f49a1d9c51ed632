"""``torch.distributed``'s collectives over MPI (Open MPI, driven through mpi4py).

Start the processes with an MPI launcher (``mpirun -n 4 python train.py``); each calls
``init_process_group(backend="mpi")`` and learns its rank and the world size from MPI.
Tensors travel as their arrays' buffers (MPI's typed point-to-point and collective
calls), never pickled. ``async_op=True`` returns a work handle whose ``wait()`` completes
the operation (MPI's non-blocking collectives).

    import ember.distributed as dist
    dist.init_process_group("mpi")
    t = ember.ones(3) * dist.get_rank()
    dist.all_reduce(t, op=dist.ReduceOp.SUM)      # in place, on every rank

mpi4py is an optional dependency (``pip install "ember[mpi]"`` on a machine with MPI,
e.g. Debian's ``openmpi-bin libopenmpi-dev``).
"""
from __future__ import annotations

import datetime
import os
import sys
import time

import numpy as np

from .tensor import Tensor

__all__ = ["ReduceOp", "Work", "group", "init_process_group", "destroy_process_group", "is_available",
           "is_initialized", "is_mpi_available", "is_nccl_available",
           "is_gloo_available", "get_rank", "get_world_size", "get_backend",
           "barrier", "broadcast", "all_reduce", "reduce", "all_gather",
           "all_gather_into_tensor", "reduce_scatter_tensor", "gather", "scatter", "send",
           "recv", "isend", "irecv", "broadcast_object_list"]


class ReduceOp:
    """The reductions of ``all_reduce``/``reduce``/``reduce_scatter_tensor``."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"


_DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)  # PyTorch's default_pg_timeout
_state = {"comm": None, "timeout": _DEFAULT_TIMEOUT.total_seconds(), "hook": None}


def _mpi():
    try:
        from mpi4py import MPI  # noqa: PLC0415
    except ImportError as exc:
        raise RuntimeError("ember.distributed needs mpi4py and an MPI library: pip install "
                           "'ember[mpi]' (with Debian's openmpi-bin and libopenmpi-dev) "
                           f"({exc})") from None
    return MPI


def is_available() -> bool:
    """Whether ember.distributed can run here (mpi4py importable)."""
    try:
        _mpi()
        return True
    except RuntimeError:
        return False


is_mpi_available = is_available


def is_nccl_available() -> bool:
    """False: ember.distributed's one backend is MPI (NCCL and Gloo are PyTorch's others)."""
    return False


def is_gloo_available() -> bool:
    """False: ember.distributed's one backend is MPI (NCCL and Gloo are PyTorch's others)."""
    return False


def init_process_group(backend: str = "mpi", init_method=None, timeout=None,
                       world_size: int = -1, rank: int = -1, store=None, group_name: str = "",
                       pg_options=None, device_id=None) -> None:
    """Join the job. ``backend`` must be ``"mpi"`` (the launcher sets rank and size; given
    ``rank``/``world_size`` — or ``RANK``/``WORLD_SIZE`` in the environment, as
    ``env://`` sets them — must agree with MPI's).

    Faults end the whole job instead of leaving processes waiting: an operation that does
    not complete within ``timeout`` (a ``datetime.timedelta``, 30 minutes by default, as
    PyTorch's) raises a RuntimeError naming it, and an exception that nothing catches in
    any process prints its traceback and aborts every process (``MPI_Abort``). A process
    killed outright is noticed by the launcher, which stops the others."""
    if backend not in ("mpi", None):
        raise ValueError(f"init_process_group: ember runs on MPI; backend {backend!r} is not "
                         "supported by ember (use backend='mpi' and an MPI launcher)")
    if init_method not in (None, "env://") or store is not None:
        raise NotImplementedError("init_process_group: ember's processes meet through the MPI "
                                  "launcher; init_method other than 'env://' and store are not "
                                  "supported")
    if pg_options is not None:
        raise NotImplementedError("init_process_group: pg_options (backend options for NCCL) "
                                  "are not supported by ember's MPI backend")
    if _state["comm"] is not None:
        raise RuntimeError("init_process_group: the default process group is already "
                           "initialized")
    MPI = _mpi()
    comm = MPI.COMM_WORLD
    want_rank = rank if rank >= 0 else int(os.environ.get("RANK", comm.rank))
    want_size = world_size if world_size > 0 else int(os.environ.get("WORLD_SIZE", comm.size))
    if (want_rank, want_size) != (comm.rank, comm.size):
        raise RuntimeError(f"init_process_group: rank {want_rank} of {want_size} was asked, "
                           f"but the MPI launcher started this process as rank {comm.rank} "
                           f"of {comm.size}")
    if timeout is not None:
        seconds = timeout.total_seconds() if hasattr(timeout, "total_seconds") else timeout
        if not seconds > 0:
            raise ValueError(f"init_process_group: timeout must be positive, got {timeout}")
        _state["timeout"] = float(seconds)
    _state["comm"] = comm
    if comm.size > 1 and _state["hook"] is None:
        _state["hook"] = sys.excepthook
        sys.excepthook = _abort_on_uncaught


def _abort_on_uncaught(kind, value, tb):
    """An exception nothing caught: report it, then stop every process of the job (one
    process leaving would keep the others waiting in their next collective for good)."""
    prev = _state["hook"] or sys.__excepthook__
    prev(kind, value, tb)
    comm = _state["comm"]
    if comm is None or kind is SystemExit:
        return
    sys.stderr.write(f"ember.distributed: rank {comm.rank} of {comm.size} stopped on "
                     f"{kind.__name__}; aborting the whole job\n")
    sys.stderr.flush()
    comm.Abort(1)


def destroy_process_group(group=None) -> None:
    if group is not None and group is not _WORLD:
        raise NotImplementedError(f"destroy_process_group(group={group!r}): ember has one "
                                  "process group, the whole job")
    _state["comm"] = None
    _state["timeout"] = _DEFAULT_TIMEOUT.total_seconds()
    if _state["hook"] is not None:
        sys.excepthook, _state["hook"] = _state["hook"], None


def is_initialized() -> bool:
    return _state["comm"] is not None


class _WorldGroup:
    """The default group, every process of the job (``dist.group.WORLD``)."""

    def __repr__(self):
        return "<ember.distributed world group>"


_WORLD = _WorldGroup()


class group:  # noqa: N801 - PyTorch's name (dist.group.WORLD)
    """The process groups: ember has one, ``group.WORLD``, every process of the job."""

    WORLD = _WORLD


def _comm(group=None, what: str = ""):
    """The job's communicator; ``group`` must be the default one (None or ``group.WORLD``)."""
    if group is not None and group is not _WORLD:
        raise NotImplementedError(f"{what}(group={group!r}): ember has one process group, the "
                                  "whole job (group=None or group.WORLD); subgroups are not "
                                  "supported")
    comm = _state["comm"]
    if comm is None:
        raise RuntimeError("Default process group has not been initialized, please make sure "
                           "to call init_process_group.")
    return comm


def get_rank(group=None) -> int:
    return _comm(group, "get_rank").rank


def get_world_size(group=None) -> int:
    return _comm(group, "get_world_size").size


def get_backend(group=None) -> str:
    _comm(group, "get_backend")
    return "mpi"


class Work:
    """The handle of an ``async_op=True`` operation: ``wait()`` completes it (and runs what
    must follow, e.g. an average's division); ``is_completed()`` asks without waiting."""

    def __init__(self, requests=(), then=None, what="operation", keep=(), pooled=()):
        self._requests, self._then, self._done = list(requests), then, False
        self._what = what
        # the arrays MPI reads and writes until the operation completes (mpi4py's requests
        # do not hold them), and those of them to reuse afterwards
        self._keep, self._pooled = keep, pooled

    def wait(self, timeout=None) -> bool:
        """Complete the operation; a RuntimeError if it takes longer than ``timeout``
        (a ``datetime.timedelta``; by default the process group's)."""
        if not self._done:
            if timeout is not None and hasattr(timeout, "total_seconds"):
                timeout = timeout.total_seconds()
            _wait_all(self._requests, self._what,
                      _state["timeout"] if timeout is None else timeout)
            if self._then is not None:
                self._then()
            self._done = True
            for a in self._pooled:
                _release(a)
            self._keep = self._pooled = ()
        return True

    def is_completed(self) -> bool:
        if self._done:
            return True
        if _mpi().Request.Testall(self._requests):
            self.wait()
        return self._done


def _wait_all(requests, what, seconds, status=None):
    """Wait for MPI requests: asking MPI (which moves the operation on) in a tight loop
    for the first 50 ms, then with growing pauses up to 2 ms, which leave the core to
    other processes; past ``seconds``, a RuntimeError instead of waiting for good
    (``status``: one request's MPI status, filled in)."""
    if status is not None:
        def Testall(reqs):
            return reqs[0].Test(status)
    else:
        Testall = _mpi().Request.Testall
    if Testall(requests):
        return
    now = time.monotonic()
    spin, deadline, pause = now + 0.05, now + seconds, 0.0
    while not Testall(requests):
        now = time.monotonic()
        if now > deadline:
            comm = _state["comm"]
            where = f"rank {comm.rank} of {comm.size}" if comm is not None else "this process"
            raise RuntimeError(
                f"ember.distributed: {what} on {where} did not complete within "
                f"{datetime.timedelta(seconds=round(seconds, 3))} (init_process_group's "
                "timeout): another process has stopped, is stuck, or is running a "
                "different collective")
        if now > spin:
            pause = min(2 * pause or 1e-5, 2e-3)
            time.sleep(pause)


_free: dict = {}  # (dtype, shape) -> receive buffers to reuse


def _scratch(shape, dtype) -> np.ndarray:
    """A receive buffer, reused across calls: a fresh one would cost the page faults of
    first touch (as long as the transfer itself for a megabyte between two processes)."""
    pool = _free.get((np.dtype(dtype).str, tuple(shape)))
    return pool.pop() if pool else np.empty(shape, dtype)


def _release(a) -> None:
    if isinstance(a, np.ndarray):
        pool = _free.setdefault((a.dtype.str, a.shape), [])
        if len(pool) < 4:
            pool.append(a)


def _buf(t: Tensor, name: str):
    if not isinstance(t, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(t).__name__}")
    a = t._data
    if not isinstance(a, np.ndarray):
        a = a.get()  # a GPU tensor goes through the host
    if not a.flags.c_contiguous:
        raise ValueError(f"{name}: tensors must be contiguous (shape {list(t.shape)})")
    return a


def _store(t: Tensor, host: np.ndarray) -> None:
    """Write a host result back into ``t`` (in place; a GPU tensor gets it copied over)."""
    if t._data is not host:
        if isinstance(t._data, np.ndarray):
            t._data[...] = host
        else:
            t._data.set(host)
    t._bump()


def _op(op):
    MPI = _mpi()
    table = {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
             ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX}
    if op not in table:
        raise ValueError(f"unknown reduce op {op!r}: use ember.distributed.ReduceOp")
    return table[op]


def _reduced(tensor, out, op, n):
    """Store a reduction's result in ``tensor``; AVG is the sum divided by the ranks."""
    if op == ReduceOp.AVG:
        out /= n
    _store(tensor, out)


def _finish(async_op, requests, then, what, keep=(), pooled=()):
    work = Work(requests, then, what, keep, pooled)
    if async_op:
        return work
    work.wait()
    return None


def barrier(group=None, async_op: bool = False, device_ids=None):
    if device_ids is not None and not isinstance(device_ids, list):
        raise TypeError("Invalid function argument: device_ids type should be List[int]")
    comm = _comm(group, "barrier")  # device_ids name GPUs for NCCL; MPI's barrier needs none
    return _finish(async_op, [comm.Ibarrier()], None, "barrier")


def broadcast(tensor: Tensor, src: int, group=None, async_op: bool = False):
    """``tensor`` on every rank becomes rank ``src``'s (in place)."""
    comm = _comm(group, "broadcast")
    a = _buf(tensor, "broadcast")
    return _finish(async_op, [comm.Ibcast(a, root=src)], lambda: _store(tensor, a),
                   "broadcast", (a,))


def all_reduce(tensor: Tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """``tensor`` on every rank becomes the reduction (``op``) over ranks (in place)."""
    comm = _comm(group, "all_reduce")
    a = _buf(tensor, "all_reduce")
    out = _scratch(a.shape, a.dtype)
    return _finish(async_op, [comm.Iallreduce(a, out, op=_op(op))],
                   lambda: _reduced(tensor, out, op, comm.size), "all_reduce", (a, out), (out,))


def reduce(tensor: Tensor, dst: int, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Rank ``dst``'s ``tensor`` becomes the reduction over ranks (the others keep theirs)."""
    comm = _comm(group, "reduce")
    a = _buf(tensor, "reduce")
    out = np.empty_like(a) if comm.rank == dst else None
    return _finish(async_op, [comm.Ireduce(a, out, op=_op(op), root=dst)],
                   lambda: comm.rank == dst and _reduced(tensor, out, op, comm.size), "reduce",
                   (a, out))


def all_gather(tensor_list: list, tensor: Tensor, group=None, async_op: bool = False):
    """``tensor_list[i]`` becomes rank i's ``tensor`` (same shapes on every rank)."""
    comm = _comm(group, "all_gather")
    if len(tensor_list) != comm.size:
        raise ValueError(f"all_gather: tensor_list has {len(tensor_list)} tensors for a world "
                         f"of {comm.size}")
    a = _buf(tensor, "all_gather")
    out = np.empty((comm.size,) + a.shape, dtype=a.dtype)

    def then():
        for i, t in enumerate(tensor_list):
            _store(t, np.ascontiguousarray(out[i]).reshape(t._data.shape))
    return _finish(async_op, [comm.Iallgather(a, out)], then, "all_gather", (a, out))


def all_gather_into_tensor(output_tensor: Tensor, input_tensor: Tensor, group=None,
                           async_op: bool = False):
    """The ranks' ``input_tensor``s concatenated along dim 0 into ``output_tensor``."""
    comm = _comm(group, "all_gather_into_tensor")
    a = _buf(input_tensor, "all_gather_into_tensor")
    out = _buf(output_tensor, "all_gather_into_tensor")
    if out.size != a.size * comm.size:
        raise ValueError(f"all_gather_into_tensor: output of {out.size} elements for "
                         f"{comm.size} x {a.size}")
    return _finish(async_op, [comm.Iallgather(a, out)], lambda: _store(output_tensor, out),
                   "all_gather_into_tensor", (a, out))


def reduce_scatter_tensor(output: Tensor, input: Tensor, op=ReduceOp.SUM, group=None,  # noqa: A002
                          async_op: bool = False):
    """Reduce ``input`` over ranks and give rank i the i-th of ``world_size`` equal chunks
    along dim 0."""
    comm = _comm(group, "reduce_scatter_tensor")
    a = _buf(input, "reduce_scatter_tensor")
    out = _buf(output, "reduce_scatter_tensor")
    if a.size != out.size * comm.size:
        raise ValueError(f"reduce_scatter_tensor: input of {a.size} elements for "
                         f"{comm.size} x {out.size}")
    return _finish(async_op, [comm.Ireduce_scatter_block(a, out, op=_op(op))],
                   lambda: _reduced(output, out, op, comm.size), "reduce_scatter_tensor",
                   (a, out))


def gather(tensor: Tensor, gather_list=None, dst: int = 0, group=None, async_op: bool = False):
    """Rank ``dst``'s ``gather_list[i]`` becomes rank i's ``tensor``."""
    comm = _comm(group, "gather")
    a = _buf(tensor, "gather")
    out = np.empty((comm.size,) + a.shape, dtype=a.dtype) if comm.rank == dst else None
    if comm.rank == dst and (gather_list is None or len(gather_list) != comm.size):
        raise ValueError(f"gather: rank {dst} needs a gather_list of {comm.size} tensors")

    def then():
        if comm.rank == dst:
            for i, t in enumerate(gather_list):
                _store(t, np.ascontiguousarray(out[i]))
    return _finish(async_op, [comm.Igather(a, out, root=dst)], then, "gather", (a, out))


def scatter(tensor: Tensor, scatter_list=None, src: int = 0, group=None,
            async_op: bool = False):
    """``tensor`` on rank i becomes rank ``src``'s ``scatter_list[i]``."""
    comm = _comm(group, "scatter")
    out = _buf(tensor, "scatter")
    send = None
    if comm.rank == src:
        if scatter_list is None or len(scatter_list) != comm.size:
            raise ValueError(f"scatter: rank {src} needs a scatter_list of {comm.size} tensors")
        send = np.stack([_buf(t, "scatter") for t in scatter_list])
    return _finish(async_op, [comm.Iscatter(send, out, root=src)],
                   lambda: _store(tensor, out), "scatter", (send, out))


def isend(tensor: Tensor, dst: int, group=None, tag: int = 0) -> Work:
    comm = _comm(group, "isend")
    a = _buf(tensor, "send")
    return Work([comm.Isend(a, dest=dst, tag=tag)], None, f"send to {dst}", (a,))


def irecv(tensor: Tensor, src: int | None = None, group=None, tag: int = 0) -> Work:
    comm = _comm(group, "irecv")
    a = _buf(tensor, "recv")
    src = _mpi().ANY_SOURCE if src is None else src
    return Work([comm.Irecv(a, source=src, tag=tag)], lambda: _store(tensor, a), "recv", (a,))


def send(tensor: Tensor, dst: int, group=None, tag: int = 0) -> None:
    isend(tensor, dst, group, tag).wait()


def recv(tensor: Tensor, src: int | None = None, group=None, tag: int = 0) -> int:
    """Receive into ``tensor`` (from any rank when ``src`` is None); returns the sender."""
    MPI = _mpi()
    a = _buf(tensor, "recv")
    status = MPI.Status()
    req = _comm(group, "recv").Irecv(a, source=MPI.ANY_SOURCE if src is None else src, tag=tag)
    _wait_all([req], "recv", _state["timeout"], status)
    _store(tensor, a)
    return status.Get_source()


def broadcast_object_list(object_list: list, src: int = 0, group=None, device=None) -> None:
    """``object_list``'s items on every rank become rank ``src``'s (in place). Objects go
    through pickle, as PyTorch's do: send only what you trust (tensors travel as buffers in
    ``broadcast``)."""
    import pickle  # noqa: PLC0415

    comm = _comm(group, "broadcast_object_list")
    data = None
    if comm.rank == src:
        data = np.frombuffer(pickle.dumps(list(object_list)), np.uint8).copy()
    size = np.array([0 if data is None else data.size], np.int64)
    Work([comm.Ibcast(size, root=src)], None, "broadcast_object_list", (size,)).wait()
    if data is None:
        data = np.empty(int(size[0]), np.uint8)
    Work([comm.Ibcast(data, root=src)], None, "broadcast_object_list", (data,)).wait()
    got = pickle.loads(data.tobytes())  # noqa: S301 - the job's own rank src sent it
    if len(got) != len(object_list):
        raise ValueError(f"broadcast_object_list: rank {src} sent {len(got)} objects for a "
                         f"list of {len(object_list)}")
    object_list[:] = got
