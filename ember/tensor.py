"""The Tensor: one array of its device's array module plus the autograd bookkeeping.

The arithmetic, reduction, shape and indexing methods are the functions of
``ember.ops`` bound as methods there (``ember/ops/_methods.py``); this file
holds what is the Tensor's own: construction, properties, autograd entry
points, in-place machinery, conversion and printing.
"""
from __future__ import annotations

import warnings

import numpy as np

from . import _memory_format as _MF
from . import _shared_memory, _storage, backend
from ._grad_mode import _InferenceVersion, _mark_inference, is_inference  # noqa: F401
from ._grad_mode import state as _grad_state

__all__ = ["Tensor"]


def _infer_np_dtype(arr):
    kind = arr.dtype.kind
    if kind == "f":
        return None  # float arrays from Python data become the default dtype (handled by caller)
    if kind == "b":
        return np.bool_
    if kind in "iu":
        return np.int64
    raise TypeError(f"ember: can't convert data of dtype {arr.dtype} to a tensor "
                    "(supported: bool, integers, floats, complex)")


def _to_array(data, dtype=None, device=None, copy=True):
    """Build the array for a new tensor from Python data, arrays or tensors."""
    dev = None if device is None else backend.as_device(device)
    if isinstance(data, Tensor):
        arr = data._data
        if copy:
            arr = arr.copy()
    elif backend.is_array(data):
        arr = data.copy() if copy else data
        if arr.dtype.kind not in "biuf" and arr.dtype != backend.BF16 and \
                arr.dtype not in (backend.C64, backend.C128):
            raise TypeError(f"ember: can't convert an array of dtype {arr.dtype} to a tensor "
                            "(supported: bool, integers, floats, complex64, complex128)")
        if arr.dtype.kind in "iu" and arr.dtype not in (np.uint8, np.int8, np.int16, np.int32,
                                                        np.int64):
            arr = arr.astype(np.int64)
    else:
        try:
            host = np.asarray(data)
        except ValueError as exc:
            raise ValueError(f"tensor(): could not build a tensor from the data: {exc}") from None
        kind = host.dtype.kind
        target = _infer_np_dtype(host) if kind not in "fc" else None
        if kind in "fc" and not isinstance(data, np.generic) and dtype is None:
            # Python floats and complex numbers: the default dtype, or its complex counterpart
            # (with a dtype: straight to it, no rounding)
            target = backend.get_default_dtype().np if kind == "f" else \
                backend.default_complex_dtype().np
        elif isinstance(data, np.generic) and kind in "fc":
            target = host.dtype
        arr = host.astype(target, copy=False) if target is not None else host
        if dev is None and not copy:
            pass
    if dtype is not None:
        nd = backend.np_dtype(dtype)
        if arr.dtype != nd:
            arr = arr.astype(nd)
    if dev is not None:
        arr = backend.to_device(arr, dev)
    return arr


class Tensor:
    """A multi-dimensional array that can record the operations applied to it.

    Attributes:
        data: a Tensor on the same memory, cut from the graph (PyTorch's ``.data``):
            writes through it are visible here and unseen by autograd; assigning a
            Tensor to it replaces this tensor's memory. ember's own code reaches the
            raw NumPy (CPU) or CuPy (GPU) array as ``_data``.
        requires_grad: whether operations on it are recorded for backward.
        grad: the accumulated gradient (a Tensor) after ``backward()``, or None.
        grad_fn: the node that made this tensor, None for leaves.
    """

    # The three attributes every op sets live in slots; the rest are class
    # defaults overridden per instance only when used (keeps op outputs cheap).
    __slots__ = ("_data", "requires_grad", "grad_fn", "__weakref__", "__dict__")
    __array_priority__ = 1000  # numpy defers ndarray <op> Tensor to Tensor's reflected op
    _grad = None  # the accumulated gradient (a Tensor), set by backward
    _out_nr = 0  # which output of grad_fn this tensor is
    _vc = None  # version counter cell [n], shared by views; created on first need
    _base = None  # the tensor this one is a view of
    _hist = 0  # (a base) recorded in-place changes of its memory, through it or a view
    _view_h = 0  # (a view) the base's _hist its history was recorded at (autograd._views)
    _hooks = None
    _post_acc_hooks = None  # hook(tensor) after .grad is accumulated (leaves only)
    _retains_grad = False
    _custom_view = None  # "Output j of F" for an input a custom Function F returned as-is

    def __init__(self, *args, device=None):
        """PyTorch's legacy constructor: ``Tensor(2, 3)`` or ``Tensor(Size)`` is an
        uninitialized tensor of that size, ``Tensor(data)`` a copy of a sequence or array in
        the default dtype (``Tensor([1, 2])`` is float32), ``Tensor(t)`` shares ``t``'s memory,
        ``Tensor()`` is empty. New code uses ``ember.tensor``/``ember.empty``."""
        self._data = _legacy_array(args, None, device, "Tensor")
        self.requires_grad = False
        self.grad_fn = None

    # ------------------------------------------------------------------ properties
    @property
    def grad(self):
        """The gradient accumulated by ``backward()`` (leaves and ``retain_grad()`` tensors)."""
        g = self._grad
        if g is None and self.grad_fn is not None and not self._retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its "
                ".grad attribute won't be populated during autograd.backward(). If you indeed "
                "want the .grad field to be populated for a non-leaf Tensor, use .retain_grad() "
                "on the non-leaf Tensor.", UserWarning, stacklevel=2)
        return g

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"attempting to assign a gradient of size "
                                   f"'{list(value._data.shape)}' to a tensor of size "
                                   f"'{list(self._data.shape)}'. Please ensure that the gradient "
                                   "and the tensor are the same size")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: grad "
                                   f"{value.dtype}, tensor {self.dtype}")
            if type(value._data) is not type(self._data):
                raise RuntimeError(f"assigned grad has data located on a different device: grad "
                                   f"{value.device}, tensor {self.device}")
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def data(self) -> Tensor:
        """This tensor's memory as a new leaf that autograd does not see (PyTorch's ``.data``).

        Its in-place writes change this tensor without bumping the version counter that
        autograd checks; prefer ``detach()`` or ``with ember.no_grad():`` in new code.
        """
        t = _wrap(self._data, False, None, 0)
        if type(self._vc) is _InferenceVersion:
            t._vc = self._vc
        return t

    @data.setter
    def data(self, value) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        if self.requires_grad and value._data.dtype.kind not in "fc":
            raise RuntimeError("data set to a tensor that requires gradients must be floating "
                               f"point or complex dtype (got {value.dtype})")
        self._data = value._data

    @property
    def shape(self):
        from .size import Size  # noqa: PLC0415

        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return self.shape
        return self._data.shape[_norm_dim(dim, self._data.ndim, "size")]

    @property
    def dtype(self):
        return backend.from_np(self._data.dtype)

    @property
    def device(self):
        return backend.device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        return self.device.type == "cpu"

    # Devices, layouts and kinds ember does not have: PyTorch code may ask.
    is_xpu = is_mps = is_meta = is_ipu = is_hpu = is_mtia = is_maia = is_vulkan = False
    is_sparse = is_sparse_csr = is_quantized = is_mkldnn = is_nested = False

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def stride(self, dim: int | None = None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[_norm_dim(dim, self._data.ndim, "stride")]

    def is_contiguous(self, memory_format=None) -> bool:
        """Whether the elements lie in memory in the order of ``memory_format``: row-major
        (the default), or ``channels_last``/``channels_last_3d`` (NHWC/NDHWC for an
        NCHW/NCDHW shape). The strides of size-1 dims do not count, as in PyTorch."""
        if memory_format is None or memory_format is _MF.contiguous_format or \
                memory_format is _MF.preserve_format:
            return bool(self._data.flags.c_contiguous)
        fmt = _MF.check(memory_format, "is_contiguous")
        return _MF.is_contiguous_as(self._data.shape, _MF.elem_strides(self._data), fmt)

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def _version(self) -> int:
        vc = self._vc
        if vc is None:
            return 0
        if type(vc) is not list:
            raise RuntimeError("Inference tensors do not track version counter.")
        return vc[0]

    def is_inference(self) -> bool:
        """True for a tensor made under ``inference_mode`` (or a view of one)."""
        return type(self._vc) is _InferenceVersion

    @property
    def output_nr(self) -> int:
        return self._out_nr

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __hash__(self):
        return id(self)

    # ------------------------------------------------------------------ autograd
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place (leaves only, floating dtypes only)."""
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if requires_grad and type(self._vc) is _InferenceVersion and not _grad_state.inference:
            raise RuntimeError("Setting requires_grad=True on inference tensor outside "
                               "InferenceMode is not allowed.")
        if requires_grad and self._data.dtype.kind not in "fc":
            if self._data.dtype == backend.BF16:
                raise RuntimeError("bfloat16 is a storage and conversion dtype in ember: "
                                   "convert with .float() to compute gradients")
            raise RuntimeError("only Tensors of floating point dtype can require gradients, "
                               f"got {self.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    def backward(self, gradient=None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into the ``.grad`` of every leaf that requires grad.

        Args:
            gradient: d(loss)/d(self); may be omitted only for a scalar.
            retain_graph: keep the graph for another backward (default: create_graph).
            create_graph: record the backward pass, for higher-order gradients.
            inputs: accumulate only into these tensors.
        """
        from .autograd.engine import backward  # noqa: PLC0415

        backward([self], None if gradient is None else [gradient], retain_graph, create_graph,
                 inputs=inputs)

    def detach(self) -> Tensor:
        """A tensor on the same data that is cut from the graph."""
        t = _wrap(self._data, False, None, 0)
        if self._vc is None:
            self._vc = [0]
        t._vc = self._vc
        return t

    def detach_(self) -> Tensor:
        if self._base is not None and self._base.requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self.requires_grad = False
        return self

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new grad.

        Returns a handle whose ``remove()`` unregisters the hook.
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(hook)
            return _HookHandle(self._hooks, hook)
        self.grad_fn._add_hook(self._out_nr, hook)
        return _HookHandle(self.grad_fn._hooks[self._out_nr], hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(self)`` once this leaf's ``.grad`` has been accumulated in a backward
        pass — as soon as its gradient is complete, while backward goes on with the rest of
        the graph (DistributedDataParallel starts averaging a bucket this way). The hook
        returns nothing; it may read and change ``self`` and ``self.grad``. Returns a handle
        whose ``remove()`` unregisters it."""
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._post_acc_hooks is None:
            self._post_acc_hooks = []
        self._post_acc_hooks.append(hook)
        return _PostHookHandle(self._post_acc_hooks, hook)

    def retain_grad(self) -> None:
        """Keep the gradient of this non-leaf in ``.grad`` after backward."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        import weakref  # noqa: PLC0415

        ref = weakref.ref(self)

        def keep(grad):
            t = ref()
            if t is not None:
                g = grad if _grad_state.enabled else grad.detach()
                t.grad = g if t.grad is None else t.grad + g
        self._retains_grad = True
        self._retain_hook = keep
        self.grad_fn._add_hook(self._out_nr, keep)

    def _set_history(self, fn, nr):
        """Make (fn, nr) this tensor's history (an in-place op changed it); ``retain_grad``
        follows to the new one, as in PyTorch (hooks registered before stay where they
        were: they see the gradient of the old values)."""
        old_fn, old_nr = self.grad_fn, self._out_nr
        self.grad_fn, self._out_nr, self.requires_grad = fn, nr, True
        keep = self.__dict__.get("_retain_hook")
        if keep is None or old_fn is fn:
            return
        hooks = old_fn._hooks.get(old_nr) if old_fn is not None and old_fn._hooks else None
        if hooks is not None and any(h is keep for h in hooks):
            hooks[:] = [h for h in hooks if h is not keep]
        fn._add_hook(nr, keep)

    # ------------------------------------------------------------------ in place
    def _bump(self):
        vc = self._vc
        if vc is None:
            self._vc = [1]
        elif type(vc) is list:  # inference tensors keep no version
            vc[0] += 1

    def _check_inplace(self, op: str):
        if _grad_state.enabled and self.requires_grad and self.grad_fn is None:
            raise RuntimeError(
                f"{op}: a leaf Variable that requires grad is being used in an in-place operation.")
        if type(self._vc) is _InferenceVersion and not _grad_state.inference:
            raise RuntimeError(
                "Inplace update to inference tensor outside InferenceMode is not allowed.You can "
                "make a clone to get a normal tensor before doing inplace update.See "
                "https://github.com/pytorch/rfcs/pull/17 for more details.")

    def _assign_result(self, result: Tensor, op: str) -> Tensor:
        """Write ``result`` into this tensor's memory and take over its history (in-place ops)."""
        self._check_inplace(op)
        if result._data.shape != self._data.shape:
            raise RuntimeError(
                f"{op}: output with shape {list(self._data.shape)} doesn't match the broadcast "
                f"shape {list(result._data.shape)}")
        if result._data.dtype != self._data.dtype and not np.can_cast(
                result._data.dtype, self._data.dtype, casting="same_kind"):
            raise RuntimeError(
                f"{op}: result type {backend.from_np(result._data.dtype)} can't be cast to the "
                f"desired output type {self.dtype}")
        base = self._base
        view_of_grad = base is not None and (base.requires_grad or result.requires_grad)
        recording = _grad_state.enabled and (result.requires_grad or self.requires_grad or
                                             view_of_grad)
        if recording and view_of_grad:
            if self._custom_view is not None:
                raise RuntimeError(
                    f"{self._custom_view} is a view and is being modified inplace. This view was "
                    "created inside a custom Function (or because an input was returned as-is) "
                    "and the autograd logic to handle view+inplace would override the custom "
                    "backward associated with the custom Function, leading to incorrect "
                    "gradients. This behavior is forbidden. You can fix this by cloning the "
                    "output of the custom Function.")
            if base.requires_grad and base.grad_fn is None:
                raise RuntimeError(
                    f"{op}: a view of a leaf Variable that requires grad is being used in an "
                    "in-place operation.")
        if not backend.writeable(self._data):
            raise RuntimeError(
                f"{op}: unsupported operation: more than one element of the written-to tensor "
                "refers to a single memory location (an expanded tensor). Please clone() the "
                "tensor before performing the operation.")
        if recording and view_of_grad:
            from .autograd import _views  # noqa: PLC0415

            found = _views.locate(self, op)  # before any write: a refusal changes nothing
            self._data[...] = result._data
            self._bump()
            _views.rebase(self, result, found)
            return self
        self._data[...] = result._data
        self._bump()
        if recording:
            if not result.requires_grad:  # overwritten by constants: nothing flows back
                from .autograd import _views  # noqa: PLC0415

                result = _views.Overwritten.apply(self, result)
            self._set_history(result.grad_fn, result._out_nr)
            self._hist += 1  # views of this tensor made before now describe its old values
        return self

    # ------------------------------------------------------------------ shared memory
    def share_memory_(self) -> Tensor:
        """Move this CPU tensor's data into shared memory, in place; returns self.

        The data is copied once into a shared segment: processes forked afterwards see the
        same memory, and so do processes it is sent to through ``ember.multiprocessing``
        (queues, pipes, the arguments of spawned processes), so a change made by one is seen
        by all. Tensors that already shared the old memory (views, ``.data``, ``detach()``
        taken before the call) keep the old copy. GPU tensors and tensors already in shared
        memory are left as they are.
        """
        self._data = _shared_memory.share(self._data)
        return self

    def is_shared(self) -> bool:
        """True when the data is in shared memory (always for GPU tensors, as in PyTorch)."""
        return _shared_memory.is_shared(self._data)

    # ------------------------------------------------------------------ conversion
    def numpy(self, *, force: bool = False):
        """The data as a NumPy array (shares memory on the CPU)."""
        if self.requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead.")
        if not isinstance(self._data, np.ndarray):
            if not force:
                raise TypeError(
                    f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() "
                    "to copy the tensor to host memory first.")
            return self._data.get()
        return self._data

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return _host(self._data).tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(
                "Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __array__(self, dtype=None, copy=None):
        """NumPy's array protocol: the CPU array itself (a view) unless ``copy=True``, a new
        dtype or the device needs a copy; ``copy=False`` where one is needed raises ValueError."""
        arr = _host(self._data)
        cast = dtype is not None and np.dtype(dtype) != arr.dtype
        if copy is False and (cast or arr is not self._data):
            raise ValueError(f"Tensor.__array__(copy=False): a NumPy array of this "
                             f"{'device ' if arr is not self._data else ''}tensor"
                             f"{' in ' + str(np.dtype(dtype)) if cast else ''} needs a copy")
        if cast:
            return arr.astype(dtype)
        return arr.copy() if copy and arr is self._data else arr

    def __reduce_ex__(self, protocol):
        return (_rebuild, (_host(self._data), self.requires_grad))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support "
                               "the deepcopy protocol at the moment.")
        t = type(self).__new__(type(self))
        t._data, t.requires_grad, t.grad_fn = self._data.copy(), self.requires_grad, None
        import copy  # noqa: PLC0415

        for k, v in self.__dict__.items():
            if k not in ("_vc", "_base", "_hooks", "_post_acc_hooks", "_grad"):
                t.__dict__[k] = copy.deepcopy(v, memo)
        if self.grad is not None:
            t.grad = self.grad.__deepcopy__(memo)
        memo[id(self)] = t
        return t

    # ------------------------------------------------------------------ printing
    def __repr__(self):
        from ._format import format_tensor  # noqa: PLC0415

        return format_tensor(self)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return repr(self)


backend.register_state_wrapper(lambda raw: _wrap(raw, False, None, 0))


def _rebuild(arr, requires_grad):
    t = _wrap(_to_array(arr), False, None, 0)
    return t.requires_grad_(True) if requires_grad else t


def _legacy_array(args, np_dtype, device, name):
    """The array of a legacy constructor call ``Tensor(*args)`` / ``FloatTensor(*args)``:
    sizes give an uninitialized array, one sequence or array its values in ``np_dtype``
    (default: the default dtype), one tensor its own memory."""
    from .size import Size  # noqa: PLC0415

    dev = backend.as_device("cpu" if device is None else device)
    xp = backend.module_for(dev)
    dt = backend.get_default_dtype().np if np_dtype is None else np.dtype(np_dtype)
    if len(args) == 1 and isinstance(args[0], Tensor):
        src = args[0]._data
        if np_dtype is not None and src.dtype != dt:
            raise TypeError(f"{name}(): expected a tensor of dtype {backend.from_np(dt)}, got "
                            f"{backend.from_np(src.dtype)}")
        return src
    if not args:
        return xp.empty((0,), dtype=dt)
    if len(args) == 1 and _storage.is_storage(args[0]):  # a 1-D tensor over the storage
        return _storage.typed_view(args[0], backend.from_np(dt))
    if len(args) == 1 and isinstance(args[0], Size):
        args = tuple(args[0])
    if all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
        if any(a < 0 for a in args):
            raise RuntimeError(f"{name}(): negative dimension in size {list(args)}")
        return xp.empty(tuple(int(a) for a in args), dtype=dt)
    if len(args) == 1:
        data = args[0]
        if isinstance(data, (bool, float, complex, np.generic)):
            raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
        if isinstance(data, str) or not hasattr(data, "__len__"):
            raise TypeError(f"{name}(): data must be a sequence or an array (got "
                            f"{type(data).__name__})")
        return _to_array(data, backend.from_np(dt), dev)
    raise TypeError(f"{name}(): expected sizes (ints), a Size, a sequence or a tensor, got "
                    f"({', '.join(type(a).__name__ for a in args)})")


def _host(arr):
    return arr if isinstance(arr, np.ndarray) else arr.get()


_new = object.__new__


def _wrap(data, requires_grad, grad_fn, out_nr) -> Tensor:
    """Make a Tensor around ``data`` without any checking (the ops' fast path)."""
    t = _new(Tensor)
    t._data = data
    t.requires_grad = requires_grad
    t.grad_fn = grad_fn
    if out_nr:
        t._out_nr = out_nr
    return t


def _norm_dim(dim, ndim, name="op"):
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"{name}: Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got "
            f"{dim})")
    return dim % n if ndim else 0


class _HookHandle:
    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        try:
            self._hooks.remove(self._hook)
        except ValueError:
            return False
        return True


class _PostHookHandle(_HookHandle):
    """Also keeps the engine's count of post-accumulate-grad hooks (while there are none,
    backward skips counting the edges into each leaf)."""

    def __init__(self, hooks, hook):
        from .autograd.engine import _post_hooks  # noqa: PLC0415

        super().__init__(hooks, hook)
        self._count = _post_hooks
        _post_hooks[0] += 1

    def remove(self):
        if super().remove():
            self._count[0] -= 1
