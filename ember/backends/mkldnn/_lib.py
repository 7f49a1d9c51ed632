"""The oneDNN library through its C API: loading, the C signatures, engine and streams.

``load()`` finds ``libdnnl.so.3`` (installed by the ``onednn-cpu-gomp`` wheel into the
environment's ``lib`` folder, or wherever the system's loader finds it), checks its version
and declares the argument and result types of every function ember calls, so that ctypes
never guesses an integer for a pointer. It returns None, once and for all, where the library
is missing or unusable; the reason is kept for ``ember bench`` to say.

The constants are oneDNN v3's enum values, checked against v3.2's headers (``dnnl_types.h``,
``dnnl_common_types.h``) and by the tests against its behaviour (a result that depends on
each value is compared with the NumPy path). oneDNN keeps its ABI within a major version, so
any 3.x from 3.2 on is accepted.
"""
from __future__ import annotations

import ctypes
import os
import sys
import threading

# OpenMP threads that finish a kernel sleep instead of spinning (unless the environment says
# otherwise): NumPy's BLAS keeps a pool of its own, and two pools spinning on the same cores
# slowed 2-thread training steps several-fold (measured: docs/performance.md). Read by
# libgomp when it loads, so it is set when ember is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# ---------------------------------------------------------------------------- constants
SUCCESS, OUT_OF_MEMORY, INVALID_ARGUMENTS, UNIMPLEMENTED = 0, 1, 2, 3
F32, U8 = 3, 6                                   # dnnl_data_type_t
ENGINE_CPU = 1                                   # dnnl_engine_kind_t
STREAM_DEFAULT = 1                               # dnnl_stream_flags_t (in order)
TAG_ANY, TAG_A, TAG_AB, TAG_ABC, TAG_ABCD, TAG_ABCDE = 1, 2, 3, 4, 5, 6   # dnnl_format_tag_t
FORWARD_TRAINING, FORWARD_INFERENCE = 64, 96     # dnnl_prop_kind_t
BACKWARD, BACKWARD_DATA, BACKWARD_WEIGHTS = 128, 160, 192
CONV_DIRECT, DECONV_DIRECT = 0x1, 0xA            # dnnl_alg_kind_t
ELTWISE_RELU, ELTWISE_TANH = 0x20, 0x21          # (v2 had relu at 0x1f)
POOL_MAX, POOL_AVG_INCLUDE, POOL_AVG_EXCLUDE = 0x1FF, 0x2FF, 0x3FF
CELL_RNN, CELL_LSTM, CELL_LBR_GRU = 0x1FFF, 0x2FFF, 0x4FFF
USE_GLOBAL_STATS, USE_SCALE, USE_SHIFT = 1, 2, 4   # dnnl_normalization_flags_t
RNN_FLAGS_NONE = 0                               # backward adds into the weight gradients
L2R, R2L = 1, 2                                  # dnnl_rnn_direction_t (v3: undef is 0)
SCRATCHPAD_USER = 1                              # dnnl_scratchpad_mode_t
Q_SRC, Q_DIFF_SRC, Q_WEIGHTS, Q_DIFF_WEIGHTS = 129, 130, 131, 132   # dnnl_query_t
Q_DST, Q_DIFF_DST, Q_WORKSPACE, Q_SCRATCHPAD = 133, 134, 135, 136
Q_EXEC_ARG = 255
Q_IMPL_INFO = 8
# DNNL_ARG_*
ARG_SRC, ARG_SRC_ITER, ARG_SRC_ITER_C = 1, 2, 3
ARG_DST, ARG_DST_ITER, ARG_DST_ITER_C = 17, 18, 19
ARG_WEIGHTS, ARG_WEIGHTS_ITER, ARG_WEIGHTS_PROJECTION = 33, 34, 36
ARG_BIAS, ARG_MEAN, ARG_VARIANCE, ARG_SCALE, ARG_SHIFT = 41, 49, 50, 51, 52
ARG_WORKSPACE, ARG_SCRATCHPAD = 64, 80
ARG_DIFF_SRC, ARG_DIFF_SRC_ITER, ARG_DIFF_SRC_ITER_C = 129, 130, 131
ARG_DIFF_DST, ARG_DIFF_DST_ITER, ARG_DIFF_DST_ITER_C = 145, 146, 147
ARG_DIFF_WEIGHTS, ARG_DIFF_WEIGHTS_ITER, ARG_DIFF_WEIGHTS_PROJECTION = 161, 162, 164
ARG_DIFF_BIAS, ARG_DIFF_SCALE, ARG_DIFF_SHIFT = 169, 255, 256
ARG_FROM, ARG_TO = 1, 17
MAX_NDIMS = 12

DIMS = ctypes.c_int64 * MAX_NDIMS


class ExecArg(ctypes.Structure):
    """dnnl_exec_arg_t: {int arg; dnnl_memory_t memory} (16 bytes on x86-64)."""

    _fields_ = [("arg", ctypes.c_int), ("memory", ctypes.c_void_p)]


class Version(ctypes.Structure):
    """dnnl_version_t."""

    _fields_ = [("major", ctypes.c_int), ("minor", ctypes.c_int), ("patch", ctypes.c_int),
                ("hash", ctypes.c_char_p), ("cpu_runtime", ctypes.c_uint),
                ("gpu_runtime", ctypes.c_uint)]


class DnnlError(RuntimeError):
    """A oneDNN call returned an error status (the caller falls back to NumPy)."""

    def __init__(self, func, status):
        names = {1: "out of memory", 2: "invalid arguments", 3: "unimplemented",
                 4: "last implementation reached", 5: "runtime error", 6: "not required"}
        super().__init__(f"oneDNN {func}: {names.get(status, status)}")
        self.status = status


# ---------------------------------------------------------------------------- signatures
_p, _i, _u, _f, _sz = ctypes.c_void_p, ctypes.c_int, ctypes.c_uint, ctypes.c_float, ctypes.c_size_t
_pp = ctypes.POINTER(ctypes.c_void_p)
_dims = ctypes.POINTER(ctypes.c_int64)
_md = _p  # (const) dnnl_memory_desc_t: an opaque pointer in v3

# name: (argument types, result type); the result is a dnnl_status_t unless given
_STATUS = "status"
SIGNATURES = {
    "dnnl_version": ((), ctypes.POINTER(Version)),
    "dnnl_engine_create": ((_pp, _i, _sz), _STATUS),
    "dnnl_engine_destroy": ((_p,), _STATUS),
    "dnnl_stream_create": ((_pp, _p, _u), _STATUS),
    "dnnl_stream_wait": ((_p,), _STATUS),
    "dnnl_stream_destroy": ((_p,), _STATUS),
    "dnnl_memory_desc_create_with_tag": ((_pp, _i, _dims, _i, _i), _STATUS),
    "dnnl_memory_desc_create_with_strides": ((_pp, _i, _dims, _i, _dims), _STATUS),
    "dnnl_memory_desc_destroy": ((_md,), _STATUS),
    "dnnl_memory_desc_equal": ((_md, _md), ctypes.c_int),
    "dnnl_memory_desc_get_size": ((_md,), _sz),
    "dnnl_memory_create": ((_pp, _md, _p, _p), _STATUS),
    "dnnl_memory_destroy": ((_p,), _STATUS),
    "dnnl_primitive_attr_create": ((_pp,), _STATUS),
    "dnnl_primitive_attr_destroy": ((_p,), _STATUS),
    "dnnl_primitive_attr_set_scratchpad_mode": ((_p, _i), _STATUS),
    "dnnl_primitive_desc_destroy": ((_p,), _STATUS),
    "dnnl_primitive_desc_query": ((_p, _i, _i, _p), _STATUS),
    "dnnl_primitive_desc_query_md": ((_p, _i, _i), _md),
    "dnnl_primitive_create": ((_pp, _p), _STATUS),
    "dnnl_primitive_destroy": ((_p,), _STATUS),
    "dnnl_primitive_execute": ((_p, _p, _i, ctypes.POINTER(ExecArg)), _STATUS),
    "dnnl_reorder_primitive_desc_create": ((_pp, _md, _p, _md, _p, _p), _STATUS),
    # (pd, engine, prop, alg, src, weights, bias, dst, strides, dilates, pad_l, pad_r, attr)
    "dnnl_convolution_forward_primitive_desc_create":
        ((_pp, _p, _i, _i, _md, _md, _md, _md, _dims, _dims, _dims, _dims, _p), _STATUS),
    # (pd, engine, alg, diff_src, weights, diff_dst, strides, dilates, pad_l, pad_r, hint, attr)
    "dnnl_convolution_backward_data_primitive_desc_create":
        ((_pp, _p, _i, _md, _md, _md, _dims, _dims, _dims, _dims, _p, _p), _STATUS),
    # (pd, engine, alg, src, diff_weights, diff_bias, diff_dst, strides, dilates, pad_l,
    #  pad_r, hint, attr)
    "dnnl_convolution_backward_weights_primitive_desc_create":
        ((_pp, _p, _i, _md, _md, _md, _md, _dims, _dims, _dims, _dims, _p, _p), _STATUS),
    # (pd, engine, prop, activation, direction, src_layer, src_iter, weights_layer,
    #  weights_iter, bias, dst_layer, dst_iter, flags, alpha, beta, attr)
    "dnnl_vanilla_rnn_forward_primitive_desc_create":
        ((_pp, _p, _i, _i, _i) + (_md,) * 7 + (_u, _f, _f, _p), _STATUS),
    # (... 7 forward descs, 7 diff descs, flags, alpha, beta, hint, attr)
    "dnnl_vanilla_rnn_backward_primitive_desc_create":
        ((_pp, _p, _i, _i, _i) + (_md,) * 14 + (_u, _f, _f, _p, _p), _STATUS),
    # (pd, engine, prop, direction, src_layer, src_iter, src_iter_c, weights_layer,
    #  weights_iter, weights_peephole, weights_projection, bias, dst_layer, dst_iter,
    #  dst_iter_c, flags, attr)
    "dnnl_lstm_forward_primitive_desc_create":
        ((_pp, _p, _i, _i) + (_md,) * 11 + (_u, _p), _STATUS),
    # (... 11 forward descs, 11 diff descs, flags, hint, attr)
    "dnnl_lstm_backward_primitive_desc_create":
        ((_pp, _p, _i, _i) + (_md,) * 22 + (_u, _p, _p), _STATUS),
    # (pd, engine, prop, direction, src_layer, src_iter, weights_layer, weights_iter, bias,
    #  dst_layer, dst_iter, flags, attr)
    "dnnl_lbr_gru_forward_primitive_desc_create":
        ((_pp, _p, _i, _i) + (_md,) * 7 + (_u, _p), _STATUS),
    "dnnl_lbr_gru_backward_primitive_desc_create":
        ((_pp, _p, _i, _i) + (_md,) * 14 + (_u, _p, _p), _STATUS),
    # (pd, engine, prop, alg, src, dst, strides, kernel, dilation, pad_l, pad_r, attr)
    "dnnl_pooling_forward_primitive_desc_create":
        ((_pp, _p, _i, _i, _md, _md, _dims, _dims, _dims, _dims, _dims, _p), _STATUS),
    # (pd, engine, alg, diff_src, diff_dst, strides, kernel, dilation, pad_l, pad_r, hint,
    #  attr)
    "dnnl_pooling_backward_primitive_desc_create":
        ((_pp, _p, _i, _md, _md, _dims, _dims, _dims, _dims, _dims, _p, _p), _STATUS),
    # (pd, engine, src, weights, bias, dst, attr)
    "dnnl_matmul_primitive_desc_create": ((_pp, _p, _md, _md, _md, _md, _p), _STATUS),
    # (pd, engine, prop, src, dst, epsilon, flags, attr)
    "dnnl_batch_normalization_forward_primitive_desc_create":
        ((_pp, _p, _i, _md, _md, _f, _u, _p), _STATUS),
    # (pd, engine, prop, diff_src, diff_dst, src, epsilon, flags, hint, attr)
    "dnnl_batch_normalization_backward_primitive_desc_create":
        ((_pp, _p, _i, _md, _md, _md, _f, _u, _p, _p), _STATUS),
}


# ---------------------------------------------------------------------------- loading
_state: dict = {}
_load_lock = threading.Lock()
MIN_VERSION = (3, 2)


def _candidates():
    """Where the wheel puts the library (the environment's lib/), then the system's search."""
    names = ("libdnnl.so.3",)
    dirs = [os.path.join(sys.prefix, "lib")]
    try:
        import site  # noqa: PLC0415

        dirs.append(os.path.join(site.getuserbase(), "lib"))
    except Exception:  # noqa: BLE001 - no user site: nothing more to look in
        pass
    for d in dirs:
        for n in names:
            p = os.path.join(d, n)
            if os.path.exists(p):
                yield p
    yield from names  # LD_LIBRARY_PATH, ldconfig's cache


def _declare(lib):
    """Set argtypes/restype of every function in SIGNATURES (a missing symbol: unusable)."""
    funcs = {}
    for name, (args, res) in SIGNATURES.items():
        f = getattr(lib, name)
        f.argtypes = list(args)
        if res == _STATUS:
            f.restype = ctypes.c_int
        else:
            f.restype = res
        funcs[name] = f
    return funcs


def _open():
    """(library functions, engine) or raise OSError/AttributeError with the reason."""
    if sys.platform != "linux":
        raise OSError(f"the oneDNN wheel is for Linux x86-64 (this is {sys.platform})")
    errors = []
    lib = None
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
            break
        except OSError as e:
            errors.append(str(e))
    if lib is None:
        raise OSError("libdnnl.so.3 not found (pip install onednn-cpu-gomp==2023.2.0): "
                      + "; ".join(errors[:1]))
    funcs = _declare(lib)
    v = funcs["dnnl_version"]().contents
    version = (v.major, v.minor, v.patch)
    if v.major != MIN_VERSION[0] or (v.major, v.minor) < MIN_VERSION:
        raise OSError(f"oneDNN {'.'.join(map(str, version))} found; ember needs 3.x, x >= 2")
    engine = ctypes.c_void_p()
    st = funcs["dnnl_engine_create"](ctypes.byref(engine), ENGINE_CPU, 0)
    if st != SUCCESS:
        raise OSError(f"oneDNN: no CPU engine (status {st})")
    return lib, funcs, engine, version


def _omp():
    """libgomp's omp_set_num_threads (the OpenMP runtime libdnnl loaded: already in the
    process, shared with any other library that uses libgomp), or None."""
    try:
        f = ctypes.CDLL("libgomp.so.1").omp_set_num_threads
    except (OSError, AttributeError):
        return None
    f.argtypes = [ctypes.c_int]
    f.restype = None
    return f


def load():
    """The loaded library's state ({'f': functions, 'engine', 'version', 'path'}) or None.

    Tried once per process; where it fails, ``failure()`` says why.
    """
    st = _state.get("lib", False)
    if st is not False:
        return st
    with _load_lock:
        if "lib" in _state:
            return _state["lib"]
        try:
            lib, funcs, engine, version = _open()
            _state["lib"] = {"f": funcs, "engine": engine, "version": version,
                             "path": getattr(lib, "_name", "libdnnl"), "omp": _omp()}
        except (OSError, AttributeError) as e:  # missing, wrong version, missing symbol
            _state["lib"] = None
            _state["why"] = str(e)
    return _state["lib"]


def _after_fork_in_child():
    """A process forked from one that ran oneDNN takes the NumPy path: libgomp's threads do
    not survive a fork, and the child's first oneDNN call would hang instead of raise."""
    if _state.get("lib"):
        _state["lib"] = None
        _state["why"] = ("this process was forked from one that ran oneDNN, whose OpenMP "
                         "threads do not survive a fork")


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def loaded() -> bool:
    """Whether the library was loaded (without trying to)."""
    return bool(_state.get("lib"))


def failure() -> str | None:
    """Why the library did not load (None when it did, or was not tried yet)."""
    return _state.get("why")


def _forget_for_tests():
    """Drop the loaded state so that a test can load again under other conditions."""
    _state.clear()


def omp_set_num_threads(n: int) -> None:
    f = _state["lib"]["omp"]
    if f is not None:
        f(n)


def call(name, *args):
    """Call a status-returning function; raise DnnlError on a failure status."""
    st = _state["lib"]["f"][name](*args)
    if st != SUCCESS:
        raise DnnlError(name, st)


def fn(name):
    return _state["lib"]["f"][name]


# ---------------------------------------------------------------------------- streams
_tls = threading.local()


class _Stream:
    """A thread's own oneDNN stream (streams are not shared between threads)."""

    __slots__ = ("handle", "_destroy")

    def __init__(self):
        h = ctypes.c_void_p()
        call("dnnl_stream_create", ctypes.byref(h), _state["lib"]["engine"], STREAM_DEFAULT)
        self.handle = h
        self._destroy = fn("dnnl_stream_destroy")

    def __del__(self):
        try:
            self._destroy(self.handle)
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


def stream():
    s = getattr(_tls, "stream", None)
    if s is None:
        s = _tls.stream = _Stream()
    return s.handle
