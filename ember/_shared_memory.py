"""CPU arrays in memory shared between processes (``Tensor.share_memory_``, and the tensors
``ember.multiprocessing`` sends between processes).

An array is copied once into a shared segment — a file in memory — mapped with ``MAP_SHARED``:
processes forked afterwards map the same pages, and other processes (started with ``spawn``,
or reached through a queue or a pipe) map it again from a handle, so a write by one is seen
by all. How a segment is made follows the sharing strategy (``ember.multiprocessing``):

* ``"file_descriptor"`` (the default): an anonymous memory file (``memfd``). It has no name,
  is handed to other processes as a file descriptor, and disappears with the last process
  that maps it. Each segment keeps a descriptor open (two, counting the mapping's own).
* ``"file_system"`` (where ``/dev/shm`` exists): a file in ``/dev/shm`` kept open by no
  descriptor. Each process that maps it holds a name of its own for it, removed when that
  process frees the segment or exits; sending it makes one more name, for the message, which
  the receiver takes as its own. So a tensor may be sent by a process that exits before the
  receiver reads it (the descriptors of the other strategy are fetched from the sender), and
  the memory goes once every process has let go of it. Names left by a process that died
  are removed by Python's resource tracker when the program ends.

GPU arrays are not touched (PyTorch's ``share_memory_`` leaves CUDA tensors as they are too).
"""
from __future__ import annotations

import itertools
import mmap
import os
import secrets
import tempfile
import weakref

import numpy as np

__all__ = ["share", "is_shared", "segment_of", "attach", "message_name", "STRATEGIES"]

_SHM = "/dev/shm"
STRATEGIES = ("file_descriptor", "file_system") if os.path.isdir(_SHM) else ("file_descriptor",)
strategy = ["file_descriptor"]  # set by ember.multiprocessing.set_sharing_strategy
_counter = itertools.count()
# segments mapped in this process, by their identity ((device, inode) or name): a segment
# received twice, or sent back to its maker, is mapped once
_mapped: dict = {}


class _Segment(mmap.mmap):
    """A shared mapping with what another process needs to map it: ``fd`` (an open
    descriptor of its memory file) and/or ``name`` (its POSIX shared-memory name)."""

    fd = None
    name = None


def _remember(key, seg):
    _mapped[key] = weakref.ref(seg, lambda _, k=key: _mapped.pop(k, None))


def _fd_key(fd):
    st = os.fstat(fd)
    return ("fd", st.st_dev, st.st_ino)


def _new_fd_segment(size: int) -> _Segment:
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("ember-shared", os.MFD_CLOEXEC)
    else:  # no memfd: a temporary file, unlinked at once, in memory where there is one
        folder = "/dev/shm" if os.path.isdir("/dev/shm") else None
        fd, path = tempfile.mkstemp(prefix="ember-shared-", dir=folder)
        os.unlink(path)
    try:
        os.ftruncate(fd, size)
        seg = _Segment(fd, size)
    except BaseException:
        os.close(fd)
        raise
    seg.fd = fd
    weakref.finalize(seg, os.close, fd)
    _remember(_fd_key(fd), seg)
    return seg


def _new_name() -> str:
    return f"ember-{os.getpid()}-{next(_counter)}-{secrets.token_hex(4)}"


def _own(seg, name):
    """Make ``name`` this process's name for ``seg``: removed when ``seg`` is freed here."""
    seg.name = name
    weakref.finalize(seg, _unlink, name, os.getpid())
    _remember(("name", os.stat(os.path.join(_SHM, name)).st_ino), seg)


def _new_named_segment(size: int) -> _Segment:
    from multiprocessing import resource_tracker  # noqa: PLC0415

    name = _new_name()
    fd = os.open(os.path.join(_SHM, name), os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    resource_tracker.register("/" + name, "shared_memory")  # removed even if this process dies
    try:
        os.ftruncate(fd, size)
        seg = _Segment(fd, size)
    except BaseException:
        _unlink(name, os.getpid())
        raise
    finally:
        os.close(fd)
    _own(seg, name)
    return seg


def _unlink(name, pid):
    if os.getpid() != pid:  # a forked child's copy of the finalizer: not its name
        return
    from multiprocessing import resource_tracker  # noqa: PLC0415

    try:
        os.unlink(os.path.join(_SHM, name))
    except FileNotFoundError:
        pass
    resource_tracker.unregister("/" + name, "shared_memory")


def message_name(seg) -> str:
    """A new name for ``seg`` (a ``file_system`` segment), for one message to another
    process, which takes it over (:func:`attach`)."""
    from multiprocessing import resource_tracker  # noqa: PLC0415

    name = _new_name()
    os.link(os.path.join(_SHM, seg.name), os.path.join(_SHM, name))
    resource_tracker.register("/" + name, "shared_memory")
    return name


def share(arr):
    """``arr`` itself when it is already shared or not a NumPy array, else a copy of it in a
    new shared segment (made by the current strategy)."""
    if not isinstance(arr, np.ndarray) or is_shared(arr):
        return arr
    size = max(arr.nbytes, 1)
    seg = _new_named_segment(size) if strategy[0] == "file_system" else _new_fd_segment(size)
    out = np.frombuffer(seg, dtype=arr.dtype, count=arr.size).reshape(arr.shape)
    out[...] = arr
    return out


def _mapping(arr):
    while isinstance(arr, np.ndarray):
        arr = arr.base
    if isinstance(arr, memoryview) and isinstance(arr.obj, mmap.mmap):
        return arr.obj
    if isinstance(arr, mmap.mmap):
        return arr
    return None


def is_shared(arr) -> bool:
    """Whether ``arr`` lives in a shared mapping (True for non-NumPy arrays)."""
    if not isinstance(arr, np.ndarray):
        return True
    return _mapping(arr) is not None


def segment_of(arr):
    """``(segment, byte offset of arr's first element in it)`` for a shared array made here
    (None for an anonymous mapping another process cannot map)."""
    seg = _mapping(arr)
    if not isinstance(seg, _Segment):
        return None
    start = np.frombuffer(seg, dtype=np.uint8, count=0).__array_interface__["data"][0]
    return seg, arr.__array_interface__["data"][0] - start


def attach(kind: str, handle, size: int) -> _Segment:
    """The segment another process described as ``(kind, handle)``: ``("fd", fd)`` (this
    process now owns ``fd``) or ``("name", name)`` (from :func:`message_name`: this process
    now owns the name)."""
    if kind == "fd":
        key = _fd_key(handle)
        ref = _mapped.get(key)
        seg = ref() if ref is not None else None
        if seg is not None:
            os.close(handle)
            return seg
        try:
            seg = _Segment(handle, size)
        except BaseException:
            os.close(handle)
            raise
        seg.fd = handle
        weakref.finalize(seg, os.close, handle)
        _remember(key, seg)
        return seg
    path = os.path.join(_SHM, handle)
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        raise RuntimeError(f"shared memory segment {path} no longer exists") from None
    try:
        key = ("name", os.fstat(fd).st_ino)
        ref = _mapped.get(key)
        seg = ref() if ref is not None else None
        if seg is not None:  # mapped here already: the message's name is not needed
            _unlink(handle, os.getpid())
            return seg
        seg = _Segment(fd, size)
    finally:
        os.close(fd)
    _own(seg, handle)
    return seg
