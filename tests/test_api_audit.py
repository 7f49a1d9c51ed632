"""Never silently ignore an argument: every parameter of ember's public functions and methods
is read by the body (used, checked, passed on, or named in a ``NotImplementedError``).

The audit walks every public module of ember (no ``_`` in its dotted name), takes the
functions found there (and the methods of every class found there, through its bases), reads
each one's source with ``ast`` and lists the parameters that no expression of the body reads.
A parameter counts as read when its name is loaded anywhere in the body, nested functions and
lambdas included (so ``*args``/``**kwargs`` passed on count, as does a flag tested only to
raise ``NotImplementedError``). A body that is a single ``raise NotImplementedError`` (an
abstract method, or a function ember does not provide) reads nothing and needs nothing.

Exempt by rule, because Python or ember's own protocols fix the signature:
  * ``self``/``cls``; the parameters of the protocol dunders in ``PROTOCOL_DUNDERS``;
  * an autograd ``Function``'s ``ctx``; in its backward, the gradient of an output marked
    non-differentiable, and in its forward an argument that only sibling ops of a shared
    calling convention use, each named with a leading ``_`` (``def backward(ctx, g, _gidx)``);
  * a ``Trainer`` callback's hooks (``on_*``), which the trainer calls with every argument;
  * the ``cmd_*`` handlers of the command line, called with the parsed arguments.
Anything else needs an entry in ``ALLOWED`` with the reason the argument can have no effect.
"""
from __future__ import annotations

import ast
import functools
import importlib
import inspect
import pathlib
import pkgutil
import sys
import textwrap

import ember

ROOT = pathlib.Path(ember.__file__).resolve().parent.parent

PROTOCOL_DUNDERS = {"__exit__", "__aexit__", "__reduce_ex__", "__deepcopy__", "__get__",
                    "__set_name__", "__init_subclass__", "__class_getitem__", "__format__"}

# "module:qualname" of the code -> ({parameters}, why they cannot change what happens)
ALLOWED = {
    "ember.nn.modules.conv:_LazyConvMixin.initialize_parameters": (
        {"args", "kwargs"}, "PyTorch's lazy-module hook passes forward's whole call; a "
        "convolution's shapes come from the input alone"),
    "ember.nn.utils.prune:BasePruningMethod.__call__": (
        {"inputs"}, "a forward pre-hook's signature: the mask is applied whatever the inputs"),
    "ember.nn.utils.prune:Identity.compute_mask": (
        {"t"}, "the identity method keeps the current mask whatever the tensor"),
    "ember.nn.utils.prune:CustomFromMask.compute_mask": (
        {"t"}, "the mask is the one given at construction, combined with the current one"),
    "ember.nn.utils.spectral_norm:SpectralNormLoadStateDictPreHook.__call__": (
        {"error_msgs", "unexpected_keys"}, "a load-state-dict pre-hook's signature: the hook "
        "rewrites old-version keys and reports nothing itself"),
    "ember.nn.utils.spectral_norm:SpectralNormStateDictHook.__call__": (
        {"module", "prefix", "state_dict"}, "a state-dict hook's signature: it only records "
        "the version in the metadata"),
    "ember.nn.utils.spectral_norm:SpectralNorm.__call__": (
        {"inputs"}, "a forward pre-hook's signature: the weight is recomputed whatever the "
        "inputs"),
    "ember.nn.utils.weight_norm:WeightNorm.__call__": (
        {"inputs"}, "a forward pre-hook's signature: the weight is recomputed whatever the "
        "inputs"),
    "ember.distributions.constraints:_Dependent.check": (
        {"x"}, "a dependent constraint cannot be checked: it raises PyTorch's ValueError for "
        "any value"),
    "ember.ops.strided:reinforce": (
        {"reward"}, "PyTorch removed reinforce(): the method only raises its RuntimeError with "
        "the migration advice, as PyTorch's does"),
    "ember.nn.modules.container:Identity.__init__": (
        {"args", "kwargs"}, "PyTorch documents them: 'any argument (unused)'"),
    "ember.cuda:is_bf16_supported": (
        {"including_emulation"}, "ember keeps bfloat16 off the GPU (CuPy has none): the answer "
        "is False whether emulation counts or not"),
    "ember.compiler:disable": (
        {"recursive"}, "nothing is compiled, so there are no callees to keep from compiling"),
    "ember.jit:script": (
        {"_frames_up", "_rcb", "example_inputs"}, "TorchScript's name resolution and type "
        "inference; ember compiles nothing, so they have nothing to act on"),
    "ember.jit:trace": (
        {"example_inputs", "example_kwarg_inputs", "check_trace", "check_inputs",
         "check_tolerance", "strict"}, "inputs to record a trace from and checks of that "
        "trace; ember records none and returns the function itself"),
    "ember.utils.tensorboard:SummaryWriter.add_graph": (
        {"use_strict_trace"}, "decides whether PyTorch's tracer refuses some outputs; ember "
        "draws the graph the forward pass records, whatever the outputs are"),
    "ember.distributed:init_process_group": (
        {"group_name", "device_id"}, "PyTorch documents group_name as ignored, and uses "
        "device_id only under NCCL; ember runs on MPI"),
    "ember.distributed:broadcast_object_list": (
        {"device"}, "where PyTorch stages the pickled bytes for NCCL; MPI sends them from "
        "host memory, and the objects received are the same"),
    "ember.nn.parallel.data_parallel:data_parallel": (
        {"dim"}, "the dimension to split a batch along over several devices; ember runs one "
        "device, and so does PyTorch with one (it does not split)"),
    "ember.nn.parallel.distributed:DistributedDataParallel.__init__": (
        {"gradient_as_bucket_view", "static_graph"}, "PyTorch's memory and scheduling "
        "optimisations: the averaged gradients are the same either way"),
    "ember.nn.utils.clip_grad:clip_grad_norm_": (
        {"foreach"}, "chooses PyTorch's multi-tensor kernels or a loop; the result is the same"),
    "ember.nn.utils.clip_grad:clip_grad_value_": (
        {"foreach"}, "chooses PyTorch's multi-tensor kernels or a loop; the result is the same"),
    "ember.autograd.function:Function.__init__": (
        {"args", "kwargs"}, "PyTorch's Function.__init__ takes any arguments and only warns that "
        "Functions are used through apply(), as ember's does"),
    "ember.autograd.function:Function.__call__": (
        {"args", "kwargs"}, "calling a Function instance raises PyTorch's error whatever the "
        "arguments"),
    "ember.ops.decomp:symeig": (
        {"input", "eigenvectors", "upper", "out"}, "removed in PyTorch 2: raises PyTorch's error "
        "(naming the replacement) whatever the arguments"),
    "ember.ops.decomp:eig": (
        {"input", "eigenvectors", "out"}, "removed in PyTorch 2: raises PyTorch's error "
        "whatever the arguments"),
    "ember.ops.matfn:lstsq": (
        {"input", "A", "out"}, "removed in PyTorch 2: raises PyTorch's error whatever the "
        "arguments"),
    "ember.ops.matfn:solve": (
        {"input", "A", "out"}, "removed in PyTorch 2: raises PyTorch's error whatever the "
        "arguments"),
    "ember.ops.matfn:matrix_rank": (
        {"input", "tol", "symmetric", "out"}, "removed in PyTorch 2: raises PyTorch's error "
        "whatever the arguments"),
}


# ---------------------------------------------------------------------------- collecting
def public_modules(package=ember):
    """The package and its submodules whose dotted names have no ``_`` component."""
    mods = [package]
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue
        mods.append(importlib.import_module(info.name))
    return mods


def _ours(obj, root: str) -> bool:
    """Written in ember's source: its module is ember's, and a function's code comes from a
    file (not, say, the ``__new__`` that ``collections.namedtuple`` generates)."""
    mod = getattr(obj, "__module__", None) or ""
    code = getattr(obj, "__code__", None)
    if code is not None and not pathlib.Path(code.co_filename).is_file():
        return False
    return mod == root or mod.startswith(root + ".")


def _functions_of(attr):
    if isinstance(attr, (staticmethod, classmethod)):
        return [attr.__func__]
    if isinstance(attr, property):
        return [f for f in (attr.fget, attr.fset, attr.fdel) if f is not None]
    if isinstance(attr, functools.cached_property):
        return [attr.func]
    return _unwrapped(attr) if inspect.isfunction(attr) else []


def _unwrapped(f):
    """``f`` and, for a ``functools.wraps`` wrapper, the functions it wraps (the wrapper passes
    its arguments on; the wrapped body is what reads them)."""
    chain = [f]
    while inspect.isfunction(getattr(chain[-1], "__wrapped__", None)):
        chain.append(chain[-1].__wrapped__)
    return chain


def collect(modules, root: str = "ember"):
    """{code object: (function, where it was reached, owning class or None)} for every public
    function of ``modules`` and every method of their public classes (through their bases)."""
    found, classes = {}, {}
    for mod in modules:
        for name in dir(mod):
            if name.startswith("_"):
                continue
            obj = getattr(mod, name)
            if inspect.isfunction(obj) and _ours(obj, root):
                for f in _unwrapped(obj):
                    if _ours(f, root):
                        found.setdefault(f.__code__, (f, f"{mod.__name__}.{name}", None))
            elif isinstance(obj, type) and _ours(obj, root):
                for cls in obj.__mro__:
                    if _ours(cls, root):
                        classes.setdefault(cls, f"{mod.__name__}.{name}")
    for cls, where in classes.items():
        for name, attr in vars(cls).items():
            dunder = name.startswith("__") and name.endswith("__")
            if name.startswith("_") and not dunder:
                continue
            for f in _functions_of(attr):
                if _ours(f, root):
                    found.setdefault(f.__code__, (f, f"{where} ({cls.__qualname__}.{name})", cls))
    return found


# ---------------------------------------------------------------------------- reading
_trees: dict = {}


def _node(f):
    """The ``def`` (or lambda) node of ``f`` in its file's syntax tree."""
    code = f.__code__
    path = code.co_filename
    if path not in _trees:
        _trees[path] = ast.parse(pathlib.Path(path).read_text())
    for node in ast.walk(_trees[path]):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            if first == code.co_firstlineno and getattr(node, "name", "<lambda>") == code.co_name:
                return node
    raise LookupError(f"no source for {code.co_qualname} in {path}:{code.co_firstlineno}")


def _only_raises_not_implemented(body) -> bool:
    stmts = [s for s in body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
                                     and isinstance(s.value.value, str))]
    if len(stmts) != 1 or not isinstance(stmts[0], ast.Raise) or stmts[0].exc is None:
        return False
    exc = stmts[0].exc.func if isinstance(stmts[0].exc, ast.Call) else stmts[0].exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def unused_parameters(f) -> list:
    """The parameters of ``f`` that its body never reads (see the module docstring)."""
    node = _node(f)
    a = node.args
    params = [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs]
    params += [p.arg for p in (a.vararg, a.kwarg) if p is not None]
    body = node.body if isinstance(node.body, list) else [node.body]
    if _only_raises_not_implemented(body):
        return []
    read = {n.id for stmt in body for n in ast.walk(stmt)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    if "locals" in read:  # the body reads every local by name
        return []
    return [p for p in params if p not in read and p not in ("self", "cls", "mcs")]


# ---------------------------------------------------------------------------- the rules
_files: dict = {}  # resolved file path -> module name, for the modules loaded so far


def _module_of(code) -> str:
    """The dotted name of the module whose file holds ``code`` (a decorator's wrapper counts
    as its own module's, whatever name ``functools.wraps`` gave it)."""
    path = str(pathlib.Path(code.co_filename).resolve())
    if path not in _files:
        for name, mod in list(sys.modules.items()):
            file = getattr(mod, "__file__", None)
            if file:
                _files.setdefault(str(pathlib.Path(file).resolve()), name)
    return _files.get(path, pathlib.Path(path).stem)


def _exempt_by_rule(f, cls, param: str) -> bool:
    name = f.__code__.co_name
    if name in PROTOCOL_DUNDERS:
        return True
    from ember.autograd.function import Function  # noqa: PLC0415

    if cls is not None and issubclass(cls, Function) and name in (
            "forward", "backward", "fast_backward", "setup_context", "jvp", "vjp"):
        if param == "ctx" or (name in ("forward", "backward", "fast_backward") and
                              param.startswith("_")):
            return True
    transform = getattr(sys.modules.get("ember.distributions"), "Transform", None)
    if transform is not None and cls is not None and issubclass(cls, transform) and \
            name == "log_abs_det_jacobian" and param in ("x", "y"):
        return True  # the interface passes both ends; many Jacobians need only one of them
    trainer = sys.modules.get("ember.train.trainer")
    if cls is not None and trainer is not None and issubclass(cls, trainer.Callback) and (
            name.startswith("on_") or name == "load_state_dict") and \
            hasattr(trainer.Callback, name):
        return True
    return _module_of(f.__code__) == "ember.cli" and name.startswith("cmd_") and param == "args"


def audit(modules, root: str = "ember", allowed=None) -> list:
    """One line per parameter that is neither read nor exempt: where it is and how to fix it."""
    allowed = ALLOWED if allowed is None else allowed
    problems = []
    for code, (f, where, cls) in collect(modules, root).items():
        key = f"{_module_of(code)}:{code.co_qualname}"
        ok = allowed.get(key, (set(), ""))[0]
        for p in unused_parameters(f):
            if p in ok or _exempt_by_rule(f, cls, p):
                continue
            rel = pathlib.Path(code.co_filename).resolve()
            rel = rel.relative_to(ROOT) if rel.is_relative_to(ROOT) else rel
            problems.append(f"{rel}:{code.co_firstlineno} {code.co_qualname} (reached as "
                            f"{where}): parameter '{p}' is never read")
    return sorted(problems)


# ---------------------------------------------------------------------------- the tests
def test_every_public_parameter_is_read():
    problems = audit(public_modules())
    assert not problems, (
        "parameters that ember accepts and silently ignores (use each one, raise "
        "NotImplementedError naming it when it asks for what ember does not do, or add it to "
        "ALLOWED in tests/test_api_audit.py with the reason it cannot matter):\n  "
        + "\n  ".join(problems))


def test_the_audit_walks_ember_widely():
    """Guard against a vacuous pass: the walk reaches functions, layers, Tensor and optimizer
    methods, and the data loader."""
    reached = {f.__code__.co_qualname for f, _, _ in collect(public_modules()).values()}
    for name in ("mse_loss", "Linear.__init__", "Module.state_dict", "SGD.__init__",
                 "DataLoader.__init__", "Tensor.__array__", "clip_grad_norm_", "kaiming_uniform_",
                 "StepLR.__init__", "init_process_group", "Event.__init__"):
        assert name in reached, name
    assert len(reached) > 1000


def test_every_allowed_entry_is_still_needed():
    """An allow-list entry whose parameter is read now (or whose function is gone) goes."""
    found = {f"{_module_of(c)}:{c.co_qualname}": f for c, (f, _, _) in
             collect(public_modules()).items()}
    for key, (params, reason) in ALLOWED.items():
        assert key in found, f"ALLOWED names {key}, which the audit no longer reaches"
        assert reason, key
        assert params <= set(unused_parameters(found[key])), (key, params)


FIXTURE = textwrap.dedent('''
    """A stand-in package module with one ignored parameter."""
    __all__ = ["scale", "passes_on", "checks_flag", "not_provided", "Layer"]


    def scale(x, factor=2.0, inplace=False):
        return x * factor


    def passes_on(x, *args, **kwargs):
        return scale(x, *args, **kwargs)


    def checks_flag(x, sparse=False):
        if sparse:
            raise NotImplementedError("checks_flag(sparse=True) is not supported")
        return x


    def not_provided(x, y):
        """Not there at all."""
        raise NotImplementedError("not_provided")


    class Layer:
        def __init__(self, size, bias=True, device=None):
            self.size, self.bias = size, bias

        def forward(self, x, mask=None):
            return x if mask is None else x * mask
''')


def test_a_reintroduced_unused_parameter_is_flagged(tmp_path, monkeypatch):
    pkg = tmp_path / "fixturepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "layers.py").write_text(FIXTURE)
    monkeypatch.syspath_prepend(str(tmp_path))
    import fixturepkg  # noqa: PLC0415

    mods = public_modules(fixturepkg)
    problems = audit(mods, root="fixturepkg", allowed={})
    assert [p.split(" (reached")[0].split(" ", 1)[1] + p.split(":")[-1] for p in problems] == [
        "Layer.__init__ parameter 'device' is never read",
        "scale parameter 'inplace' is never read"]
    assert all(p.startswith(str(tmp_path / "fixturepkg" / "layers.py")) for p in problems)
    layers = importlib.import_module("fixturepkg.layers")
    assert unused_parameters(layers.passes_on) == []  # *args/**kwargs passed on
    assert unused_parameters(layers.checks_flag) == []  # read to raise
    assert unused_parameters(layers.not_provided) == []  # the whole function is not provided
    assert audit(mods, root="fixturepkg", allowed={
        "fixturepkg.layers:scale": ({"inplace"}, "a reason"),
        "fixturepkg.layers:Layer.__init__": ({"device"}, "a reason")}) == []
