"""The layers contract: each layer of ember imports only from the layers below it.

Every import statement in the package is read (module level and inside
functions alike, since a lazy import is still a dependency), resolved to the
module it names, and checked against the order below. Within ``ember.ops`` the
op families have an order of their own, so they never import each other in a
circle. No module below the top imports the package root ``ember``.
"""
from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "ember"

# Lowest first. A module belongs to the entry with its longest prefix (ember.cuda.amp sits
# above ember.cuda).
LAYERS = [
    ("backend", ["ember.backend", "ember._standin", "ember._kernels", "ember._grad_mode",
                 "ember.size", "ember.cuda", "ember.accelerator", "ember.backends",
                 "ember.compiler", "ember.jit", "ember.onnx", "ember._shared_memory",
                 "ember._amp_state", "ember.random", "ember._settings",
                 "ember._assertions", "ember._memory_format", "ember._storage", "ember._typeinfo"]),
    ("tensor/autograd", ["ember.tensor", "ember._tensor_types", "ember._format",
                         "ember.autograd", "ember.distributed"]),
    ("ops", ["ember.ops", "ember.amp", "ember.cuda.amp", "ember.cpu", "ember.return_types",
             "ember.special", "ember.fft", "ember.linalg"]),
    ("nn", ["ember.nn"]),
    ("optim", ["ember.optim", "ember.serialization", "ember._serialization",
               "ember.distributions"]),
    ("data", ["ember.utils", "ember.datasets", "ember.vision.datasets", "ember.vision.transforms",
              "ember.vision.utils", "ember.hub"]),
    ("models", ["ember.models", "ember.vision"]),
    ("train", ["ember.train", "ember.metrics", "ember.bench", "ember.viz", "ember.cli"]),
]
OPS_ORDER = ["_autocast",
             "creation", "_util", "elementwise", "shape", "index", "reduce", "activation",
             "products", "conv", "conv3d", "loss", "margin_loss", "ctc", "normalization", "pool",
             "pool3d", "upsample", "grid_sample", "embedding", "sync_batch_norm",
             "dropout", "rnn", "attention",
             "sort", "scan", "search",
             "_specfun", "_gamma", "trig", "specfun", "pointwise", "blas",
             "strided", "index_update", "bitwise", "grids",
             "complex_ops", "spectral", "linsolve", "decomp", "detnorm", "matfn",
             "_methods"]


def _rank(mod):
    best = None
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (mod == p or mod.startswith(p + ".")) and (best is None or len(p) > best[1]):
                best = (i, len(p))
    return None if best is None else best[0]


def _modules():
    for p in sorted(ROOT.rglob("*.py")):
        parts = list(p.relative_to(ROOT.parent).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        yield ".".join(parts), is_pkg, p


def _imports(mod, is_pkg, path):
    """(target module, line) for every import in the file, relative ones resolved."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = mod.split(".")[:len(mod.split(".")) - node.level + (1 if is_pkg else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            for a in node.names:
                full = f"{target}.{a.name}"
                # `from pkg import name` names a submodule when one exists
                sub = ROOT.parent / pathlib.Path(*full.split("."))
                yield (full if sub.with_suffix(".py").exists() or sub.is_dir() else target), \
                    node.lineno


MODULES = list(_modules())
EDGES = [(m, t, line) for m, pkg, p in MODULES for t, line in _imports(m, pkg, p)
         if t == "ember" or t.startswith("ember.")]


def test_every_module_has_a_layer():
    missing = [m for m, _, _ in MODULES if m != "ember" and _rank(m) is None]
    assert not missing, f"modules outside the layer table: {missing}"


def test_layers_import_only_downwards():
    bad = []
    for src, tgt, line in EDGES:
        if src == "ember":
            continue
        if tgt == "ember":
            if _rank(src) < len(LAYERS) - 1:  # the command line (the top) may use the root
                bad.append(f"{src}:{line} imports the package root")
            continue
        rs, rt = _rank(src), _rank(tgt)
        if rt is not None and rt > rs:
            bad.append(f"{src}:{line} ({LAYERS[rs][0]}) imports {tgt} ({LAYERS[rt][0]})")
    assert not bad, "imports against the layer order:\n" + "\n".join(bad)


def test_op_families_do_not_import_in_a_circle():
    bad = []
    for src, tgt, line in EDGES:
        s, t = src.split("."), tgt.split(".")
        if s[:2] == ["ember", "ops"] == t[:2] and len(s) > 2 and len(t) > 2:
            if OPS_ORDER.index(t[2]) > OPS_ORDER.index(s[2]):
                bad.append(f"{src}:{line} imports {tgt}")
    assert not bad, "op families importing later ones:\n" + "\n".join(bad)


def test_backend_imports_nothing_of_ember_but_layer_0():
    for src, tgt, line in EDGES:
        if src == "ember.backend":
            assert _rank(tgt) == 0, f"backend.py:{line} imports {tgt}"


@pytest.mark.parametrize("planted", ["from .. import nn", "import ember", "from ..ops import add"])
def test_the_contract_sees_a_violation(planted, tmp_path):
    """Guard against a vacuous pass: a planted upward import is found."""
    f = tmp_path / "engine.py"
    f.write_text(planted + "\n")
    targets = [t for t, _ in _imports("ember.autograd.engine", False, f)]
    assert any(t == "ember" or _rank(t) > _rank("ember.autograd.engine") for t in targets)
