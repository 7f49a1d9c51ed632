"""Which classes and functions a file may name: ember's own, and those the caller allows.

PyTorch's API (``safe_globals`` as a context manager, ``add_safe_globals``,
``get_safe_globals``, ``clear_safe_globals``) keeps the caller's list. A file names a class or
function by its module and qualified name; the name is only ever *looked up*: among the
allowed objects, or in modules already imported (``sys.modules``, reading module and class
dictionaries directly, so no module ``__getattr__`` runs and nothing is imported).
"""
from __future__ import annotations

import sys
import types

__all__ = ["safe_globals", "add_safe_globals", "get_safe_globals", "clear_safe_globals",
           "allowed_by_user", "lookup", "qualified_name", "refusal", "is_ember_function",
           "ember_own", "loadable_untrusted", "plain_name"]

_SAFE: list = []


class safe_globals:
    """Allow the classes (or functions) in ``safe_globals`` to be named by files loaded inside
    the ``with`` block: ``with ember.serialization.safe_globals([MyNet]): ember.load(f)``.

    An entry is the object, or ``(object, "module.Name")`` for an object that files name
    under another path. Allowing a class lets a file create instances of it (with
    ``cls.__new__``, filling in their attributes, never calling ``__init__``); a function is
    only ever referred to, never called by loading.
    """

    def __init__(self, safe_globals):
        self._globals = list(_checked(safe_globals))

    def __enter__(self):
        _SAFE.extend(self._globals)
        return self

    def __exit__(self, *exc):
        for g in self._globals:
            for i in range(len(_SAFE) - 1, -1, -1):
                if _SAFE[i] is g:
                    del _SAFE[i]
                    break
        return False


def _checked(entries):
    if not isinstance(entries, (list, tuple)):
        raise TypeError(f"safe_globals: expected a list of classes or functions, got "
                        f"{type(entries).__name__}")
    for g in entries:
        if isinstance(g, tuple) and not (len(g) == 2 and isinstance(g[1], str)):
            raise TypeError(f"safe_globals: a tuple entry is (object, 'module.Name'), got {g!r}")
        yield g


def add_safe_globals(safe_globals) -> None:
    """Allow these classes/functions to be named by every file loaded from now on."""
    _SAFE.extend(_checked(safe_globals))


def get_safe_globals() -> list:
    """The user-allowed classes and functions (entries as given)."""
    return list(_SAFE)


def clear_safe_globals() -> None:
    """Forget every class and function allowed with :func:`add_safe_globals`."""
    _SAFE.clear()


def qualified_name(obj) -> str | None:
    """``module.QualName`` of a class or function, or None when it has none."""
    module = getattr(obj, "__module__", None)
    qual = getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qual, str):
        return None
    return f"{module}.{qual}"


def allowed_by_user(dotted: str):
    """The user-allowed object that files name ``dotted`` (``module.QualName``), or None."""
    for g in reversed(_SAFE):
        if isinstance(g, tuple):
            if g[1] == dotted:
                return g[0]
        elif qualified_name(g) == dotted:
            return g
    return None


def lookup(module: str, qualname: str):
    """The object ``module.qualname`` among the modules already imported, or None. Reads
    ``vars()`` of the module and of each class on the way: no import, no ``__getattr__``."""
    mod = sys.modules.get(module)
    if not isinstance(mod, types.ModuleType):
        return None
    obj = mod
    for part in qualname.split("."):
        if not part or part == "<locals>":
            return None
        try:
            space = vars(obj)
        except TypeError:
            return None
        if part not in space:
            return None
        obj = space[part]
    return obj


def is_ember_function(fn) -> bool:
    """ember's own math: a function of ``ember.nn.functional`` or of the ops package. Only
    these (and what the caller allows) may stand in a loaded module's attributes: loading
    never calls them, but the module's ``forward`` will."""
    if not isinstance(fn, (types.FunctionType, types.BuiltinFunctionType)):
        return False
    module = getattr(fn, "__module__", None) or ""
    return module == "ember.nn.functional" or module.startswith("ember.ops.")


def _trainable_bases():
    from ..nn.module import Module  # noqa: PLC0415

    return [b for b in (Module, lookup("ember.optim.optimizer", "Optimizer"),
                        lookup("ember.optim.lr_scheduler", "LRScheduler")) if isinstance(b, type)]


def ember_own(cls) -> bool:
    """ember's own modules, optimizers and learning-rate schedulers: files may name them."""
    return isinstance(cls, type) and cls.__module__.startswith("ember.") and any(
        issubclass(cls, b) for b in _trainable_bases())


def loadable_untrusted(obj) -> bool:
    """What ``weights_only=False`` lets a file name without an allow-list: a Module,
    optimizer or scheduler class of any module already imported (or ``argparse.Namespace``)
    that defines no ``__del__``, ``__hash__``, ``__eq__`` or ``__getattr__`` of its own (so
    that no method of it runs while loading), or a function of such a module (a reference:
    loading never calls it)."""
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)):
        return True
    if not isinstance(obj, type):
        return False
    if qualified_name(obj) != "argparse.Namespace" and not any(
            issubclass(obj, b) for b in _trainable_bases()):
        return False
    hooks = ("__del__", "__hash__", "__eq__", "__getattr__")
    return not any(h in vars(k) for k in obj.__mro__[:-1] for h in hooks
                   if not k.__module__.startswith("ember.") and k.__module__ != "argparse")


def plain_name(text) -> bool:
    """A name that prints on one line as itself (no whitespace, nothing unprintable)."""
    return isinstance(text, str) and text.isprintable() and not any(c.isspace() for c in text)


def refusal(dotted: str, what: str = "GLOBAL") -> str:
    """The one-line refusal of a global that is not allowed (PyTorch's wording, ember's API)."""
    if not plain_name(dotted):
        return f"Unsupported global: {what} {dotted!r} is not the name of anything ember allows"
    return (f"Unsupported global: {what} {dotted} was not an allowed global by default. Please "
            f"use `ember.serialization.add_safe_globals([{dotted}])` or the "
            f"`ember.serialization.safe_globals([{dotted}])` context manager to allowlist this "
            "global if you trust this class/function.")
