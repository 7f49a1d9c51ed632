"""What the globals of a PyTorch file stand for in ember: the fixed allowlist.

A PyTorch pickle names globals such as ``collections.OrderedDict``,
``torch._utils._rebuild_tensor_v2``, ``torch.FloatStorage``, ``torch.float16`` or, in a file
of a whole module, ``torch.nn.modules.linear.Linear``. :class:`Globals` maps each allowed
name to an object of ember's own (a :class:`~.pickle_vm.Global` whose ``call``/``new`` build
the value, or a plain value such as a dtype); every other name is refused with PyTorch's
wording. The ``torch.nn`` classes become ember's classes of the same path, made with
``object.__new__`` and filled from the file's state after translating PyTorch's private
bookkeeping (hook dictionaries and the like) into ember's.
"""
from __future__ import annotations

import collections
import types
from collections import OrderedDict

import numpy as np

from .. import backend
from ..nn.module import Module
from ..nn.parameter import Parameter
from ..size import Size
from ..tensor import Tensor
from . import allow
from .pickle_vm import Global, UnpicklingError, describe

# storage classes -> the ember dtype name of their elements
STORAGE_DTYPES = {
    "DoubleStorage": "float64", "FloatStorage": "float32", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
    "BoolStorage": "bool", "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128",
}
# torch dtype names (and aliases) -> ember's name
_DTYPE_ALIASES = {"float": "float32", "double": "float64", "half": "float16", "short": "int16",
                  "int": "int32", "long": "int64", "cfloat": "complex64",
                  "cdouble": "complex128", "chalf": "complex32"}
_TORCH_DTYPE_NAMES = {
    "float32", "float64", "float16", "bfloat16", "int8", "int16", "int32", "int64", "uint8",
    "bool", "complex32", "complex64", "complex128", "uint16", "uint32", "uint64",
    "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz", "float8_e8m0fnu",
    "float4_e2m1fn_x2", "qint8", "quint8", "qint32", "quint4x2", "quint2x4", "bits8",
    "bits16", "bits1x8", "bits2x4", "bits4x2", *_DTYPE_ALIASES,
    *(f"int{i}" for i in range(1, 8)), *(f"uint{i}" for i in range(1, 8)),
}
_UNSUPPORTED_REBUILDS = {
    "_rebuild_qtensor": "quantized tensors", "_rebuild_sparse_tensor": "sparse tensors",
    "_rebuild_nested_tensor": "nested tensors",
    "_rebuild_meta_tensor_no_storage": "tensors on the meta device",
    "_rebuild_wrapper_subclass": "tensor subclasses",
    "_rebuild_device_tensor_from_numpy": "tensors of devices without storage",
    "_rebuild_device_tensor_from_cpu_tensor": "tensors of devices without storage",
    "_rebuild_xla_tensor": "XLA tensors", "_rebuild_mtia_tensor": "MTIA tensors",
}
# PyTorch's private Module attributes that ember keeps (or not) in its own way: hook tables
# (loaded only when empty: hooks are functions) and caches PyTorch rebuilds itself.
_TORCH_HOOK_TABLES = {
    "_backward_pre_hooks", "_backward_hooks", "_forward_hooks", "_forward_hooks_with_kwargs",
    "_forward_hooks_always_called", "_forward_pre_hooks", "_forward_pre_hooks_with_kwargs",
    "_state_dict_hooks", "_state_dict_pre_hooks", "_load_state_dict_pre_hooks",
    "_load_state_dict_post_hooks",
}
_TORCH_DROPPED = {"_is_full_backward_hook", "_flat_weights", "_flat_weight_refs",
                  "_all_weights", "_compiled_call_impl"}
_NUMPY_MODULES = ("numpy.core.multiarray", "numpy._core.multiarray")


def ember_dtype(name: str, where: str):
    """The ember dtype of a PyTorch dtype name, or a clear refusal."""
    name = _DTYPE_ALIASES.get(name, name)
    try:
        return backend.to_dtype(name)
    except (TypeError, KeyError):
        raise UnpicklingError(f"the file holds a tensor of dtype torch.{name}, which ember does "
                              f"not have (ember's dtypes: float16, bfloat16, float32, float64, "
                              f"int8, int16, int32, int64, uint8, bool); convert it in PyTorch "
                              f"first{where}") from None


class _Call(Global):
    """A global whose call builds plain data with a fixed function of ember's choosing."""

    def __init__(self, name, fn):
        super().__init__(name)
        self.fn = fn

    def call(self, args):
        try:
            return self.fn(*args)
        except TypeError as exc:
            raise UnpicklingError(f"{self.name}: wrong arguments ({exc})") from None


class Marker(Global):
    """A global that is only ever an argument (``torch.Tensor``, ``builtins.object``...)."""


class StorageType(Marker):
    def __init__(self, name, dtype_name):
        super().__init__(name)
        self.dtype_name = dtype_name  # None: untyped (bytes)


def _ordered_dict(*args):
    if len(args) > 1 or (args and not isinstance(args[0], (list, tuple, dict))):
        raise UnpicklingError("collections.OrderedDict takes at most one list of pairs")
    return OrderedDict(*args)


def _counter(*args):
    if len(args) > 1 or (args and not isinstance(args[0], dict)):
        raise UnpicklingError("collections.Counter takes at most one dict")
    return collections.Counter(*args)


def _set(*args, kind=set):
    if len(args) > 1 or (args and not isinstance(args[0], (list, tuple, set, frozenset))):
        raise UnpicklingError(f"builtins.{kind.__name__} takes at most one list")
    return kind(*args)


def _bytearray(*args):
    if len(args) > 1 or (args and not isinstance(args[0], (bytes, bytearray, list))):
        raise UnpicklingError("builtins.bytearray takes bytes")
    if args and isinstance(args[0], list) and not all(
            isinstance(v, int) and 0 <= v < 256 for v in args[0]):
        raise UnpicklingError("builtins.bytearray takes a list of bytes")
    return bytearray(*args)


def _complex(*args):
    if len(args) > 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                for v in args):
        raise UnpicklingError("builtins.complex takes two numbers")
    return complex(*args)


def _encode(text, encoding="utf-8"):
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnpicklingError("_codecs.encode is only read for latin1 byte strings")
    return text.encode("latin-1")


def _size(*args):
    if len(args) > 1 or (args and not (isinstance(args[0], (list, tuple)) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in args[0]))):
        raise UnpicklingError("torch.Size takes one tuple of ints")
    return Size(*args)


def _device(*args):
    if not 1 <= len(args) <= 2 or not isinstance(args[0], str) or (
            len(args) == 2 and not (args[1] is None or isinstance(args[1], int))):
        raise UnpicklingError("torch.device takes a type string and an optional index")
    return backend.device(*args)


class _NpDtype:
    """A NumPy dtype being read: ``numpy.dtype(code, align, copy)`` then ``BUILD`` with its
    byte order. Only numbers, booleans and strings: never object or structured dtypes."""

    def __init__(self, code):
        if not isinstance(code, str):
            raise UnpicklingError("numpy.dtype takes a type code")
        try:
            dt = np.dtype(code)
        except TypeError:
            raise UnpicklingError(f"numpy dtype {code!r} is not understood") from None
        if dt.kind not in "biufcUS" or dt.fields is not None or dt.subdtype is not None:
            raise UnpicklingError(f"numpy dtype {code!r} is not plain data; ember reads only "
                                  "numbers, booleans and strings")
        self.dt = dt

    def build(self, state):
        if not isinstance(state, tuple) or len(state) < 2 or state[1] not in "<>|=" or \
                any(s is not None for s in state[2:5]):
            raise UnpicklingError("numpy dtype state is not that of a plain dtype")
        if state[1] in "<>":
            self.dt = self.dt.newbyteorder(state[1])
        return self


def _np_dt(obj):
    if not isinstance(obj, _NpDtype):
        raise UnpicklingError(f"expected a numpy dtype, got {type(obj).__name__}")
    return obj.dt


class _NpArray:
    """``numpy.core.multiarray._reconstruct(ndarray, (0,), b'b')``: an array until its
    ``BUILD`` (version, shape, dtype, fortran order, raw bytes) makes the real one."""

    def build(self, state):
        if not isinstance(state, tuple) or len(state) != 5:
            raise UnpicklingError("numpy array state is not (version, shape, dtype, fortran, "
                                  "data)")
        _, shape, dt, fortran, raw = state
        dt = _np_dt(dt)
        if not isinstance(shape, tuple) or not all(
                isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape):
            raise UnpicklingError(f"numpy array shape {shape!r} is not a tuple of sizes")
        if not isinstance(raw, (bytes, bytearray)):
            raise UnpicklingError("numpy array data is not bytes")
        count = int(np.prod(shape, dtype=object))
        if count * dt.itemsize != len(raw):
            raise UnpicklingError(f"numpy array of shape {shape} and dtype {dt} needs "
                                  f"{count * dt.itemsize} bytes, the file has {len(raw)}")
        arr = np.frombuffer(bytearray(raw), dtype=dt).reshape(shape, order="F" if fortran
                                                               else "C")
        return arr.astype(dt.newbyteorder("="), copy=False) if dt.byteorder not in "=|" else arr


def _np_reconstruct(cls, shape, code):
    if not isinstance(cls, Marker) or cls.name != "numpy.ndarray":
        raise UnpicklingError("numpy _reconstruct is only read for numpy.ndarray")
    return _NpArray()


def _np_scalar(dt, raw=None):
    dt = _np_dt(dt)
    if not isinstance(raw, bytes) or len(raw) != dt.itemsize:
        raise UnpicklingError(f"numpy scalar of dtype {dt} needs {dt.itemsize} bytes")
    return np.frombuffer(raw, dtype=dt)[0]


class _ClassGlobal(Global):
    """An allowed class: ``new`` makes an empty instance with ``object.__new__`` (its
    ``__init__`` never runs); ``BUILD`` fills it in (see :meth:`Globals.build`)."""

    def __init__(self, name, cls, created):
        super().__init__(name)
        self.cls = cls
        self.created = created

    def new(self, args, kwargs):
        if args or kwargs:
            raise UnpicklingError(f"{self.name} would be created with arguments; ember only "
                                  "fills in instances created empty")
        obj = object.__new__(self.cls)
        if isinstance(obj, Module):
            Module.__init__(obj)  # ember's own bookkeeping, filled from the file by BUILD
        self.created[id(obj)] = obj
        return obj


def instantiable(cls) -> bool:
    """A class whose instances ember can create empty and fill: a plain Python class (no
    ``__new__`` of its own, no ``__slots__`` only, not a builtin type)."""
    if not isinstance(cls, type) or cls.__new__ is not object.__new__:
        return False
    if any(b.__module__ == "builtins" and b is not object for b in cls.__mro__):
        return False
    return any("__dict__" in vars(b) for b in cls.__mro__ if b is not object)


class Globals:
    """The allowlist of one load (``weights_only`` and the user's ``safe_globals`` decide the
    optional parts). ``rebuilders`` maps ``torch._utils`` names to the reader's tensor
    rebuilding functions; ``where`` names the file in messages."""

    def __init__(self, rebuilders: dict, weights_only: bool, where: str):
        self.rebuilders = rebuilders
        self.weights_only = weights_only
        self.where = where
        self.created: dict = {}
        self._cache: dict = {}

    # ------------------------------------------------------------------ resolving names
    def resolve(self, module: str, name: str):
        if not (allow.plain_name(module) and allow.plain_name(name)):
            raise UnpicklingError(f"a global named {module!r} {name!r} is not allowed")
        key = (module, name)
        if key not in self._cache:
            self._cache[key] = self._resolve(module, name)
        return self._cache[key]

    def _resolve(self, module, name):
        dotted = f"{module}.{name}"
        fixed = self._fixed(module, name, dotted)
        if fixed is not None:
            return fixed
        if module.startswith(_NUMPY_MODULES) or module == "numpy":
            if not self.weights_only or allow.allowed_by_user(dotted) is not None:
                np_global = self._numpy(module, name, dotted)
                if np_global is not None:
                    return np_global
            raise UnpicklingError(allow.refusal(dotted))
        if module.startswith("torch.nn.") or module == "torch.nn":
            return self._torch_nn(module, name, dotted)
        if module.startswith("torchvision.") and allow.allowed_by_user(dotted) is None:
            cls = allow.lookup("ember.vision" + module[len("torchvision"):], name)
            if isinstance(cls, type) and issubclass(cls, Module):  # torchvision's layers
                return _ClassGlobal(dotted, cls, self.created)
        user = allow.allowed_by_user(dotted)
        if user is None and not self.weights_only:
            found = allow.lookup(module, name)
            user = found if allow.loadable_untrusted(found) else None
        if user is not None:
            if isinstance(user, type) and instantiable(user):
                return _ClassGlobal(dotted, user, self.created)
            if isinstance(user, (types.FunctionType, types.BuiltinFunctionType)):
                return user  # a reference, never called by loading
        raise UnpicklingError(allow.refusal(dotted))

    def _fixed(self, module, name, dotted):
        if module == "collections":
            if name == "OrderedDict":
                return _Call(dotted, _ordered_dict)
            if name == "Counter":
                return _Call(dotted, _counter)
        if module == "builtins":
            calls = {"set": _set, "frozenset": lambda *a: _set(*a, kind=frozenset),
                     "bytearray": _bytearray, "complex": _complex}
            if name in calls:
                return _Call(dotted, calls[name])
            if name == "object":
                return Marker(dotted)
            if name == "getattr":
                return _Call(dotted, self._getattr)
        if module == "_codecs" and name == "encode":
            return _Call(dotted, _encode)
        if module == "copyreg" and name == "_reconstructor":
            return _Call(dotted, self._reconstructor)
        if module == "torch._utils":
            if name in self.rebuilders:
                return self.rebuilders[name]
            if name in _UNSUPPORTED_REBUILDS:
                raise UnpicklingError(f"the file holds {_UNSUPPORTED_REBUILDS[name]} "
                                      f"({dotted}), which ember cannot load")
        if module == "torch._tensor" and name == "_rebuild_from_type_v2":
            return self.rebuilders["_rebuild_from_type_v2"]
        if module in ("torch", "torch.cuda") and name.endswith("Tensor") and \
                name[:-len("Tensor")] + "Storage" in STORAGE_DTYPES:
            return Marker(dotted)  # the legacy tensor types (torch.FloatTensor...)
        if module in ("torch", "torch.cuda") and name in STORAGE_DTYPES:
            return StorageType(dotted, STORAGE_DTYPES[name])
        if module in ("torch", "torch.storage") and name in ("UntypedStorage", "TypedStorage"):
            return StorageType(dotted, None)
        if module == "torch":
            if name == "Size":
                return _Call(dotted, _size)
            if name == "device":
                return _Call(dotted, _device)
            if name == "Tensor":
                return Marker(dotted)
            if name in _TORCH_DTYPE_NAMES:
                return ember_dtype(name, f" ({self.where})")
        if (module, name) == ("torch.nn.parameter", "Parameter"):
            return Marker(dotted)
        if (module, name) == ("torch._C", "_VariableFunctionsClass"):
            return Marker(dotted)
        if module == "torch._C._nn":  # functions such as F.gelu live here in PyTorch
            return self._function("ember.nn.functional", name, dotted)
        return None

    def _torch_nn(self, module, name, dotted):
        if module == "torch.nn.functional":
            return self._function("ember.nn.functional", name, dotted)
        user = allow.allowed_by_user(dotted)
        if user is not None and isinstance(user, type) and instantiable(user):
            return _ClassGlobal(dotted, user, self.created)
        cls = allow.lookup("ember" + module[len("torch"):], name)
        if not isinstance(cls, type):  # (a path ember's package does not import by itself)
            cls = allow.lookup("ember.nn", name)
        if isinstance(cls, type) and issubclass(cls, Module):
            return _ClassGlobal(dotted, cls, self.created)
        raise UnpicklingError(f"{allow.refusal(dotted)} (ember has no class "
                              f"ember{module[len('torch'):]}.{name} to load it as)")

    def _function(self, module, name, dotted):
        fn = allow.lookup(module, name)
        if allow.is_ember_function(fn):
            return fn
        user = allow.allowed_by_user(dotted)
        if user is not None and isinstance(user, (types.FunctionType,
                                                  types.BuiltinFunctionType)):
            return user
        raise UnpicklingError(f"{allow.refusal(dotted)} (ember has no function "
                              f"{module}.{name})")

    def _getattr(self, obj, name):
        if not isinstance(obj, Marker) or obj.name != "torch._C._VariableFunctionsClass" or \
                not isinstance(name, str):
            raise UnpicklingError("builtins.getattr is only read for PyTorch's functions "
                                  "(torch._C._VariableFunctionsClass)")
        for module in ("ember", "ember.nn.functional"):
            fn = allow.lookup(module, name)
            if allow.is_ember_function(fn):
                return fn
        raise UnpicklingError(f"the file refers to torch.{name}, which ember does not have")

    def _reconstructor(self, cls, base, state):
        if not isinstance(base, Marker) or base.name != "builtins.object" or state is not None:
            raise UnpicklingError("copyreg._reconstructor is only read for plain objects")
        if not isinstance(cls, _ClassGlobal):
            raise UnpicklingError(f"copyreg._reconstructor of {describe(cls)}, which is not an "
                                  "allowed class")
        return cls.new((), {})

    def _numpy(self, module, name, dotted):
        if module.startswith(_NUMPY_MODULES):
            if name == "_reconstruct":
                return _Call(dotted, _np_reconstruct)
            if name == "scalar":
                return _Call(dotted, _np_scalar)
        if module == "numpy":
            if name == "ndarray":
                return Marker(dotted)
            if name == "dtype":
                return _Call(dotted, lambda code, *a: _NpDtype(code))
        if module == "numpy.dtypes" and name.endswith("DType"):
            return Marker(dotted)
        return None

    # ------------------------------------------------------------------ BUILD
    def build(self, obj, state):
        """Fill an object this load created (or finish a NumPy value) from its state."""
        if isinstance(obj, (_NpDtype, _NpArray)):
            return obj.build(state)
        if type(obj) is OrderedDict and isinstance(state, dict) and all(
                isinstance(k, str) and not k.startswith("__") for k in state):
            obj.__dict__.update(state)  # a state dict's ``_metadata`` (module versions)
            return obj
        if self.created.get(id(obj)) is not obj:
            raise UnpicklingError(f"BUILD of {describe(obj)}, which the file did not create "
                                  "from an allowed class")
        slots = None
        if isinstance(state, tuple) and len(state) == 2:
            state, slots = state
        if slots is not None or not isinstance(state, dict) or not all(
                isinstance(k, str) for k in state):
            raise UnpicklingError(f"the state of a {type(obj).__name__} is not a dict of "
                                  "attributes")
        if isinstance(obj, Module):
            _fill_module(obj, state)
        else:
            obj.__dict__.update(state)
        return obj


def _fill_module(mod: Module, state: dict) -> None:
    """Put a PyTorch module's ``__dict__`` into an ember module made by ``object.__new__``
    (and given ember's bookkeeping by ``Module.__init__``)."""
    d = mod.__dict__
    cls = type(mod).__name__
    for key, value in state.items():
        if key in _TORCH_HOOK_TABLES:
            if value:
                raise UnpicklingError(f"a {cls} module of the file carries hooks ({key}); "
                                      "ember does not load hooks (they are functions)")
            continue
        if key in _TORCH_DROPPED:
            continue
        if key in ("_parameters", "_buffers", "_modules"):
            if not isinstance(value, dict):
                raise UnpicklingError(f"{cls}.{key} is not a dict")
            kind = {"_parameters": Parameter, "_buffers": Tensor, "_modules": Module}[key]
            for name, v in value.items():
                if not isinstance(name, str) or not (v is None or isinstance(v, kind)):
                    raise UnpicklingError(f"{cls}.{key}[{name!r}] is a {type(v).__name__}, "
                                          f"not a {kind.__name__}")
            d[key] = OrderedDict(value)
        elif key == "_non_persistent_buffers_set":
            if not isinstance(value, (set, frozenset)):
                raise UnpicklingError(f"{cls}._non_persistent_buffers_set is not a set")
            d[key] = set(value)
        elif key == "training":
            d[key] = bool(value)
        else:
            d[key] = value
    _complete(mod)


def _complete(mod: Module) -> None:
    """Attributes ember's layers keep that PyTorch's do not (or that older PyTorch files
    lack), derived from what the file holds."""
    from ..nn.modules.normalization import GroupNorm, LayerNorm, _BatchNorm  # noqa: PLC0415
    from ..nn.modules.rnn import RNNBase  # noqa: PLC0415
    from ..nn.modules.vision import _Pad2d  # noqa: PLC0415
    from ..nn.parallel.data_parallel import DataParallel  # noqa: PLC0415

    d = mod.__dict__
    if isinstance(mod, (_BatchNorm, LayerNorm, GroupNorm)) and "_use_bias" not in d:
        params = d["_parameters"]
        d["_use_bias"] = params.get("weight") is None or params.get("bias") is not None
    elif isinstance(mod, _Pad2d) and "value" not in d:
        d["value"] = 0.0
    elif isinstance(mod, DataParallel):
        d.setdefault("dim", 0)
        d.setdefault("output_device", None)
        d.setdefault("device_ids", [])
    elif isinstance(mod, RNNBase):
        d.setdefault("proj_size", 0)
        d.setdefault("_flat_weights_names", list(d["_parameters"]))
