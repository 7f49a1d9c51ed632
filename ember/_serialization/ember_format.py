"""ember's own file: a safetensors file whose metadata describes the saved object in JSON.

Every tensor (and NumPy array) is a safetensors entry named by where it was found
(``encoder.weight``, ``model.layers.0.bias``); ``__metadata__['ember']`` holds the structure:
plain values as JSON, and tagged nodes for the rest --

* ``{"__tensor__": key}`` (``parameter``/``requires_grad`` flags), ``{"__ndarray__": key}``;
* ``{"__module__": n, "class": "module:QualName", "training", "parameters", "buffers",
  "non_persistent", "children", "attributes"}`` for a Module, ``{"__object__": n, "class",
  "attributes"}`` for another object (an optimizer, a scheduler, an allowed class);
  ``{"__ref__": n}`` for the same object met again (so tied weights and an optimizer's
  parameters stay the model's);
* ``{"__function__": "module:QualName"}`` (by name only), ``{"__method__": [obj, name]}``;
* tuples, sets, frozensets, dtypes, devices, sizes, complex numbers, bytes, non-finite
  floats, dicts with keys other than strings, ``Counter``/``defaultdict``.

Decoding rebuilds objects only from allowed classes (see :mod:`.allow`), created with
``object.__new__`` and filled in; it imports nothing and calls nothing the file names.
"""
from __future__ import annotations

import base64
import inspect
import json
import math
import struct
import types
from collections import Counter, OrderedDict, defaultdict

import numpy as np

from .. import backend
from ..nn.module import Module
from ..nn.parameter import Parameter
from ..size import Size
from ..tensor import Tensor, _wrap
from . import allow
from .torch_globals import instantiable

__all__ = ["serialize", "parse_safetensors", "decode", "DTYPES"]

DTYPES = {"F16": np.float16, "F32": np.float32, "F64": np.float64, "I8": np.int8,
          "I16": np.int16, "I32": np.int32, "I64": np.int64, "U8": np.uint8, "BOOL": np.bool_,
          "BF16": backend.BF16, "C64": np.complex64}
_CODES = {np.dtype(v): k for k, v in DTYPES.items()}
_MAX_HEADER = 100 * 1024 * 1024
_STORES = ("_parameters", "_buffers", "_modules", "_non_persistent_buffers_set", "training")
_FACTORIES = {"dict": dict, "list": list, "int": int, "float": float, "set": set,
              "OrderedDict": OrderedDict}


# ---------------------------------------------------------------------------- encoding


class _Encoder:
    def __init__(self):
        self.tensors: OrderedDict = OrderedDict()
        self.memo: dict = {}  # id(obj) -> the node that refers to it again
        self.alive: list = []  # keeps encoded objects alive so their ids stay theirs
        self.path_ids: set = set()  # containers on the current path (a cycle is an error)

    def tensor_key(self, path):
        key = path if path else "tensor"
        while key in self.tensors:
            key += "_"
        return key

    def encode(self, obj, path: str, top_level: bool = False):
        seen = self.memo.get(id(obj))
        if seen is not None:
            return seen
        if isinstance(obj, Tensor) or backend.is_array(obj):
            return self._tensor(obj, path)
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, (int, np.integer)):
            return int(obj)
        if isinstance(obj, (float, np.floating)):
            f = float(obj)
            return f if math.isfinite(f) else {"__float__": repr(f)}
        if isinstance(obj, complex):
            return {"__complex__": [self.encode(obj.real, path), self.encode(obj.imag, path)]}
        if isinstance(obj, (bytes, bytearray)):
            return {"__bytes__": base64.b64encode(bytes(obj)).decode("ascii")}
        if isinstance(obj, backend.dtype):
            return {"__dtype__": obj.name}
        if isinstance(obj, backend.device):
            return {"__device__": str(obj)}
        if isinstance(obj, Module):
            return self._module(obj, path)
        if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)):
            return {"__function__": self._name(obj, path, "function")}
        if isinstance(obj, types.MethodType):
            return {"__method__": [self.encode(obj.__self__, path), obj.__func__.__name__]}
        if isinstance(obj, (list, tuple, dict, set, frozenset)):
            if id(obj) in self.path_ids:
                raise TypeError(f"ember.save(): the {type(obj).__name__} at '{path or '<root>'}' "
                                "contains itself")
            self.path_ids.add(id(obj))
            try:
                return self._container(obj, path, top_level)
            finally:
                self.path_ids.discard(id(obj))
        if type(obj).__module__ != "builtins" and instantiable(type(obj)):
            return self._object(obj, path)
        what = "a lambda or a function defined inside another function" if isinstance(
            obj, types.FunctionType) else f"a {type(obj).__name__}"
        raise TypeError(f"ember.save(): cannot store {what} at '{path or '<root>'}' "
                        "(supported: tensors, arrays, numbers, strings, None, dtypes, devices, "
                        "modules, optimizers, objects of importable classes, named functions, "
                        "and lists/tuples/dicts/sets of them)")

    def _tensor(self, obj, path):
        key = self.tensor_key(path)
        if not isinstance(obj, Tensor):  # a NumPy (or CuPy) array comes back as a NumPy array
            self.tensors[key] = _wrap(obj, False, None, 0)
            node = {"__ndarray__": key}
        else:
            self.tensors[key] = obj
            node = {"__tensor__": key}
            if isinstance(obj, Parameter):
                node["parameter"] = True
            if obj.requires_grad:
                node["requires_grad"] = True
        self.memo[id(obj)] = node
        self.alive.append(obj)
        return node

    def _container(self, obj, path, top_level):
        if isinstance(obj, Size):
            return {"__size__": [int(v) for v in obj]}
        if isinstance(obj, tuple):
            return {"__tuple__": [self.encode(v, f"{path}.{i}") for i, v in enumerate(obj)]}
        if isinstance(obj, list):
            return [self.encode(v, f"{path}.{i}") for i, v in enumerate(obj)]
        if isinstance(obj, (set, frozenset)):
            tag = "__set__" if isinstance(obj, set) else "__frozenset__"
            return {tag: [self.encode(v, f"{path}.{i}") for i, v in enumerate(obj)]}
        if isinstance(obj, Counter):
            return {"__counter__": [[self.encode(k, f"{path}.{k}"), v] for k, v in obj.items()]}
        pairs = [[self.encode(k, f"{path}.k{i}"), self.encode(v, f"{path}.{k}")]
                 for i, (k, v) in enumerate(obj.items())] \
            if isinstance(obj, defaultdict) or not all(isinstance(k, str) for k in obj) else None
        if isinstance(obj, defaultdict):
            name = getattr(obj.default_factory, "__name__", None)
            if obj.default_factory is not None and _FACTORIES.get(name) is not \
                    obj.default_factory:
                raise TypeError(f"ember.save(): cannot store the defaultdict at "
                                f"'{path or '<root>'}': its factory is not one of "
                                f"{', '.join(_FACTORIES)}")
            return {"__defaultdict__": name, "pairs": pairs}
        if pairs is not None:
            return {"__pairs__": pairs}
        sep = "" if top_level else "."
        return {"__dict__": {k: self.encode(v, f"{path}{sep}{k}" if path else k)
                             for k, v in obj.items()}}

    def _name(self, obj, path, kind):
        module, qual = getattr(obj, "__module__", None), getattr(obj, "__qualname__", "")
        if isinstance(module, str) and allow.lookup(module, qual) is obj:
            return f"{module}:{qual}"
        name = getattr(obj, "__name__", None)
        if kind == "function" and isinstance(name, str):  # made by a factory, found by name
            for space in (module, "ember.nn.functional", "ember"):
                if isinstance(space, str) and allow.lookup(space, name) is obj:
                    return f"{space}:{name}"
        raise TypeError(f"ember.save(): cannot store the {kind} at '{path or '<root>'}' "
                        f"({qual or obj!r}): it has no name a file could refer to (a lambda, a "
                        "closure, or defined inside a function)")

    def _register(self, obj, path):
        n = len(self.memo)
        self.memo[id(obj)] = {"__ref__": n}
        self.alive.append(obj)
        return n, self._name(type(obj), path, "class")

    def _module(self, mod, path):
        n, cls = self._register(mod, path)
        d = mod.__getstate__() if hasattr(mod, "__getstate__") else mod.__dict__
        sub = f"{path}." if path else ""
        node = {"__module__": n, "class": cls, "training": bool(d.get("training", True))}
        node["parameters"] = {k: self.encode(v, sub + k) for k, v in d["_parameters"].items()}
        node["buffers"] = {k: self.encode(v, sub + k) for k, v in d["_buffers"].items()}
        node["non_persistent"] = sorted(d["_non_persistent_buffers_set"])
        node["children"] = {k: self.encode(v, sub + k) for k, v in d["_modules"].items()}
        node["attributes"] = {k: self.encode(v, sub + k) for k, v in d.items()
                              if k not in _STORES}
        return node

    def _object(self, obj, path):
        n, cls = self._register(obj, path)
        state = obj.__getstate__() if hasattr(obj, "__getstate__") else obj.__dict__
        state = {} if state is None else state
        if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
            raise TypeError(f"ember.save(): cannot store the {type(obj).__name__} at "
                            f"'{path or '<root>'}': its state is not a dict of attributes")
        sub = f"{path}." if path else ""
        return {"__object__": n, "class": cls,
                "attributes": {k: self.encode(v, sub + k) for k, v in state.items()}}


def serialize(obj) -> bytes:
    """The safetensors bytes of ``obj`` with its structure in the metadata."""
    enc = _Encoder()
    structure = enc.encode(obj, "", True)
    header = {}
    offset = 0
    chunks = []
    for key, t in enc.tensors.items():
        arr = t._data if isinstance(t._data, np.ndarray) else backend.to_host(t._data)
        if not arr.flags.c_contiguous:  # (np.ascontiguousarray would turn 0-d into 1-d)
            arr = arr.copy(order="C")
        code = _CODES.get(arr.dtype)
        if code is None and arr.dtype == np.complex128:
            raise TypeError(f"ember.save(): tensor {key!r} is complex128, which safetensors has "
                            f"no dtype for (it stores complex64 as C64): save "
                            f"ember.view_as_real(t) (float64 pairs) or t.to(ember.complex64)")
        if code is None:
            raise TypeError(f"ember.save(): unsupported dtype {arr.dtype} for tensor {key!r}")
        raw = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        header[key] = {"dtype": code, "shape": list(arr.shape),
                       "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        chunks.append(raw)
    header["__metadata__"] = {"format": "pt", "ember": json.dumps(structure)}
    hbytes = json.dumps(header, separators=(",", ":")).encode()
    hbytes += b" " * (-len(hbytes) % 8)
    return struct.pack("<Q", len(hbytes)) + hbytes + b"".join(chunks)


# ---------------------------------------------------------------------------- parsing


def _fail(where, msg):
    raise RuntimeError(f"ember.load({where}): {msg}")


def parse_safetensors(data, where: str):
    """``(arrays by key, metadata)`` of a safetensors file; arrays are views of ``data`` when
    it is writable and the bytes are little-endian, else copies."""
    if len(data) < 8:
        _fail(where, f"file is {len(data)} bytes, too short for a safetensors header "
                     "(truncated?)")
    (n,) = struct.unpack("<Q", bytes(data[:8]))
    if n > _MAX_HEADER or 8 + n > len(data):
        _fail(where, f"header claims {n} bytes but the file has {len(data) - 8} after the "
                     "length field (truncated or not a safetensors file)")
    try:
        header = json.loads(bytes(data[8:8 + n]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        _fail(where, f"header is not valid JSON ({type(exc).__name__}); the file is corrupt")
    if not isinstance(header, dict):
        _fail(where, "header is not a JSON object; the file is corrupt")
    meta = header.pop("__metadata__", None) or {}
    if not isinstance(meta, dict):
        _fail(where, "__metadata__ is not a JSON object; the file is corrupt")
    body = 8 + n
    size = len(data) - body
    arrays = {}
    end_max = 0
    for key, info in header.items():
        if isinstance(info, dict) and isinstance(info.get("dtype"), str) and \
                info["dtype"] not in DTYPES:
            dt = info["dtype"] if allow.plain_name(info["dtype"]) else repr(info["dtype"])
            _fail(where, f"tensor {key!r} has dtype {dt}, unsupported by ember "
                         f"(it reads {', '.join(sorted(DTYPES))})")
        try:
            dt = np.dtype(DTYPES[info["dtype"]])
            shape = tuple(int(s) for s in info["shape"])
            start, end = (int(v) for v in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            _fail(where, f"bad header entry for tensor {key!r}: {repr(info)[:100]}")
        if any(s < 0 for s in shape):
            _fail(where, f"tensor {key!r} has a negative dimension in {list(shape)}")
        want = int(np.prod(shape, dtype=object)) * dt.itemsize
        if not 0 <= start <= end or end - start != want:
            _fail(where, f"tensor {key!r} of shape {list(shape)} and dtype {info['dtype']} needs "
                         f"{want} bytes but its offsets are [{start}, {end}]")
        if end > size:
            _fail(where, f"tensor {key!r} ends at byte {end} of the data but the file has only "
                         f"{size} (truncated)")
        end_max = max(end_max, end)
        arr = np.frombuffer(data, dt.newbyteorder("<"), want // dt.itemsize, body + start)
        if arr.dtype != dt or not arr.flags.writeable:
            arr = arr.astype(dt)  # (a copy: big-endian machines, read-only buffers)
        arrays[key] = arr.reshape(shape)
    if end_max != size:
        _fail(where, f"{size - end_max} bytes after the last tensor: the file is corrupt")
    return arrays, meta


# ---------------------------------------------------------------------------- decoding


class _Decoder:
    def __init__(self, tensors: dict, where: str, weights_only: bool):
        self.tensors, self.where, self.weights_only = tensors, where, weights_only
        self.objects: dict = {}  # n -> object
        self.made: dict = {}  # tensor key -> the tensor/Parameter/array made from it

    def fail(self, msg):
        _fail(self.where, msg)

    def decode(self, node):
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict):
            return node
        for tag in ("__tensor__", "__ndarray__"):
            if tag in node:
                return self._tensor(node, node[tag], tag)
        if "__ref__" in node:
            if node["__ref__"] not in self.objects:
                self.fail(f"the structure refers to object {node['__ref__']!r} before "
                          "describing it")
            return self.objects[node["__ref__"]]
        if "__module__" in node:
            return self._module(node)
        if "__object__" in node:
            return self._object(node)
        if "__function__" in node:
            return self._function(node["__function__"])
        if "__method__" in node:
            return self._method(node["__method__"])
        if "__float__" in node:
            return float(node["__float__"])
        if "__complex__" in node:
            re, im = node["__complex__"]
            return complex(re, im)
        if "__bytes__" in node:
            return base64.b64decode(node["__bytes__"])
        if "__dtype__" in node:
            return backend.to_dtype(node["__dtype__"])
        if "__device__" in node:
            return backend.device(node["__device__"])
        if "__size__" in node:
            return Size(int(v) for v in node["__size__"])
        if "__tuple__" in node:
            return tuple(self.decode(v) for v in node["__tuple__"])
        if "__set__" in node:
            return {self.decode(v) for v in node["__set__"]}
        if "__frozenset__" in node:
            return frozenset(self.decode(v) for v in node["__frozenset__"])
        if "__counter__" in node:
            return Counter({self.decode(k): v for k, v in node["__counter__"]})
        if "__defaultdict__" in node:
            name = node["__defaultdict__"]
            if name is not None and name not in _FACTORIES:
                self.fail(f"defaultdict factory {name!r} is not allowed")
            out = defaultdict(_FACTORIES.get(name))
            out.update((self.decode(k), self.decode(v)) for k, v in node["pairs"])
            return out
        if "__pairs__" in node:
            return {self.decode(k): self.decode(v) for k, v in node["__pairs__"]}
        if "__dict__" in node:
            return OrderedDict((k, self.decode(v)) for k, v in node["__dict__"].items())
        self.fail(f"unknown entry in the structure: {sorted(node)[:5]}")

    def _tensor(self, node, key, tag):
        if key in self.made:
            return self.made[key]
        try:
            t = self.tensors[key]
        except (KeyError, TypeError):
            self.fail(f"the structure names a tensor {key!r} that is not in the file")
        if tag == "__ndarray__":
            out = backend.to_host(t._data)
        elif node.get("parameter"):
            out = Parameter(t, requires_grad=bool(node.get("requires_grad")))
        else:
            out = t.requires_grad_(True) if node.get("requires_grad") else t
        self.made[key] = out
        return out

    def _class(self, name):
        module, _, qual = name.partition(":") if isinstance(name, str) else ("", "", "")
        dotted = f"{module}.{qual}"
        cls = allow.allowed_by_user(dotted)
        if cls is None:
            found = allow.lookup(module, qual)
            if allow.ember_own(found) or (not self.weights_only and
                                          allow.loadable_untrusted(found)):
                cls = found
        if not isinstance(cls, type) or not instantiable(cls):
            raise _refused(self.where, dotted)
        return cls

    def _new(self, node, n):
        if not isinstance(n, int) or n in self.objects:
            self.fail(f"object number {n!r} is repeated or not a number")
        cls = self._class(node.get("class"))
        obj = object.__new__(cls)
        if isinstance(obj, Module):
            Module.__init__(obj)
        self.objects[n] = obj
        return obj

    def _attributes(self, node):
        attrs = node.get("attributes", {})
        if not isinstance(attrs, dict):
            self.fail("an object's attributes are not a dict")
        return {k: self.decode(v) for k, v in attrs.items()}

    def _module(self, node):
        mod = self._new(node, node["__module__"])
        if not isinstance(mod, Module):
            self.fail(f"{type(mod).__name__} is described as a module but is not one")
        d = mod.__dict__
        for store, kind in (("parameters", Parameter), ("buffers", Tensor),
                            ("children", Module)):
            values = {k: self.decode(v) for k, v in node.get(store, {}).items()}
            bad = [k for k, v in values.items() if v is not None and not isinstance(v, kind)]
            if bad:
                self.fail(f"{type(mod).__name__}'s {store} {bad} are not {kind.__name__}s")
            d["_" + {"children": "modules"}.get(store, store)] = OrderedDict(values)
        d["_non_persistent_buffers_set"] = set(node.get("non_persistent", []))
        d["training"] = bool(node.get("training", True))
        attrs = self._attributes(node)
        if any(k in _STORES for k in attrs):
            self.fail(f"{type(mod).__name__}'s attributes overwrite its registrations")
        d.update(attrs)
        return mod

    def _object(self, node):
        obj = self._new(node, node["__object__"])
        obj.__dict__.update(self._attributes(node))
        return obj

    def _function(self, name):
        module, _, qual = name.partition(":") if isinstance(name, str) else ("", "", "")
        dotted = f"{module}.{qual}"
        fn = allow.allowed_by_user(dotted)
        if fn is None:
            found = allow.lookup(module, qual)
            if allow.is_ember_function(found) or (not self.weights_only and
                                                  allow.loadable_untrusted(found)):
                fn = found
        if not isinstance(fn, (types.FunctionType, types.BuiltinFunctionType)):
            raise _refused(self.where, dotted)
        return fn

    def _method(self, spec):
        if not isinstance(spec, list) or len(spec) != 2 or not isinstance(spec[1], str):
            self.fail("a bound method is not [object, name]")
        obj = self.decode(spec[0])
        if not any(o is obj for o in self.objects.values()):
            self.fail("a bound method's object is not one the file describes")
        fn = inspect.getattr_static(type(obj), spec[1], None)
        if not isinstance(fn, types.FunctionType):
            self.fail(f"{type(obj).__name__} has no method {spec[1]!r}")
        return types.MethodType(fn, obj)


def _refused(where, dotted):
    from .pickle_vm import UnpicklingError  # noqa: PLC0415

    return UnpicklingError(f"ember.load({where}): {allow.refusal(dotted, 'class')}")


def decode(structure, tensors: dict, where: str, weights_only: bool):
    """The object a file's structure describes (tensors by key already made)."""
    try:
        return _Decoder(tensors, where, weights_only).decode(structure)
    except RecursionError:
        _fail(where, "the structure nests too deep")
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        _fail(where, f"malformed structure ({type(exc).__name__}: {repr(str(exc))[1:101]})")
    except RuntimeError as exc:  # (a device or dtype the structure names, say)
        if str(exc).startswith("ember.load("):
            raise
        _fail(where, f"malformed structure: {repr(str(exc))[1:101]}")
