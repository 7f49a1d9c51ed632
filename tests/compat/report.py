"""The name tables of docs/pytorch-compat.md: for each PyTorch namespace, which public names
ember has, which it lacks, and which are ember's own. Written from the two libraries
themselves, so the page cannot drift from the code (``test_compat_doc.py`` checks it).

    python -m tests.compat.report          # rewrite the tables in docs/pytorch-compat.md
"""
from __future__ import annotations

import importlib
import pathlib
import re
import types

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "pytorch-compat.md"
NAMESPACES = [
    "torch", "torch.Tensor", "torch.nn", "torch.nn.functional", "torch.nn.init", "torch.nn.utils",
    "torch.optim", "torch.optim.lr_scheduler", "torch.utils.data", "torch.autograd", "torch.cuda",
    "torch.jit", "torch.onnx",
    "torch.amp", "torch.cuda.amp", "torch.cpu.amp",
    "torch.special",
    "torch.serialization", "torch.hub",
    "torch.nn.attention", "torch.random",
    "torch.distributions",
    "torchvision.datasets", "torchvision.io", "torchvision.ops", "torchvision.utils",
    "torchvision.models", "torchvision.models.feature_extraction",
    "torch.linalg", "torch.fft",
    "torch.func", "torch.testing", "torch.multiprocessing", "torch.utils.checkpoint",
]
_BLOCK = re.compile(r"<!-- names: (?P<ns>[\w.]+) -->\n(?P<body>.*?)<!-- end names -->\n",
                    re.S)
_SKIP_MODULES = ("typing", "collections", "__future__", "abc", "enum", "functools")


def _ember_name(ns: str) -> str:
    """``torch.nn`` -> ``ember.nn``; ``torchvision.ops`` -> ``ember.vision.ops``."""
    if ns.startswith("torchvision"):
        return "ember.vision" + ns[len("torchvision"):]
    return "ember" + ns[len("torch"):]


def _resolve(path: str, lib: str):
    """``torch.Tensor`` -> the Tensor class of ``lib``; ``torch.nn`` -> ``lib``.nn;
    ``torchvision.X`` -> itself or ``ember.vision.X``."""
    if path.startswith("torchvision"):
        if lib == "ember":
            return importlib.import_module(_ember_name(path))
        import tests.conftest  # noqa: F401, PLC0415 - PyPI's torchvision beside the CPU torch
        return importlib.import_module(path)
    name = lib + path[len("torch"):]
    if name.endswith(".Tensor"):
        return importlib.import_module(name[:-len(".Tensor")]).Tensor
    return importlib.import_module(name)


def public_names(obj, ns: str) -> set:
    """Public names of namespace ``ns``: functions, classes, dtypes and constants, without
    submodules, ALL-CAPS settings, ``from __future__`` features, or what a sub-namespace
    merely imports: classes from elsewhere (``lr_scheduler.Optimizer``), functions from
    other libraries (``lr_scheduler.bisect_right``), plain numbers and strings. ember's
    private homes (``ember.ops``, ``ember._*``) count as its own."""
    root = ns.split(".")[0]
    homes = (ns, f"{root}._C") + (("ember.ops", "ember._") if root == "ember" else ())
    if ns == "ember.vision.datasets":  # the torchvision-named classes of ember.datasets
        homes += ("ember.datasets",)
    out = set()
    for n in dir(obj):
        if n.startswith("_") or n == "annotations":
            continue
        try:
            v = getattr(obj, n)
        except Exception:  # noqa: BLE001 - a property that needs an instance
            out.add(n)
            continue
        if isinstance(v, types.ModuleType) or (n.isupper() and not isinstance(v, type)):
            continue
        if not isinstance(obj, type) and ns != root:
            mod = getattr(v, "__module__", None)
            if isinstance(v, type) and not (isinstance(mod, str) and mod.startswith(homes)):
                continue
            if callable(v) and not isinstance(v, type) and isinstance(mod, str) and \
                    mod.split(".")[0] != root:
                continue
            if isinstance(v, (bool, int, float, str)):
                continue
        out.add(n)
    return out


def _names_line(label, names):
    if not names:
        return f"{label} (0): none.\n"
    return f"{label} ({len(names)}): " + ", ".join(f"`{n}`" for n in sorted(names)) + ".\n"


def block(ns: str) -> str:
    """The markdown body of one namespace's table (needs PyTorch installed)."""
    ember_ns = _ember_name(ns)
    theirs = public_names(_resolve(ns, "torch"), ns)
    ours = public_names(_resolve(ns, "ember"), ember_ns)
    lines = [f"**`{ns}`** → **`{ember_ns}`**\n", "\n",
             _names_line("Supported", theirs & ours), "\n"]
    absent = theirs - ours
    if len(absent) > 150:  # the long lists fold away
        lines += [f"<details><summary>Absent ({len(absent)})</summary>\n\n",
                  ", ".join(f"`{n}`" for n in sorted(absent)) + ".\n", "\n</details>\n", "\n"]
    else:
        lines += [_names_line("Absent", absent), "\n"]
    lines.append(_names_line("ember only", ours - theirs))
    return "".join(lines)


def render(text: str) -> str:
    """``text`` with every ``<!-- names: NS -->`` block regenerated."""
    return _BLOCK.sub(lambda m: f"<!-- names: {m['ns']} -->\n{block(m['ns'])}<!-- end names -->\n",
                      text)


def blocks(text: str) -> dict:
    return {m["ns"]: m["body"] for m in _BLOCK.finditer(text)}


if __name__ == "__main__":
    DOC.write_text(render(DOC.read_text()))
    print(f"rewrote the name tables of {DOC}")
