"""Run a PyTorch program with ``torch`` (``--lib torch``) or with ember in its place.

With ``--lib ember`` every ``ember`` module is registered under the same name with ``torch``
in place of ``ember`` (``torch.nn.functional`` is ``ember.nn.functional``...), and
``torchvision`` is ``ember.vision`` (its datasets, transforms, models, utils, ops and io), before
the program runs.
Nothing else changes: the program's text is PyTorch's.

    python tests/compat/programs/_run.py --lib ember tests/compat/programs/vae.py [args...]

Processes the program starts with the ``spawn`` method import it again from scratch: for them
a ``torch`` package placed first on ``sys.path`` (which they inherit) installs the same
mapping when they ``import torch``.
"""
import atexit
import importlib
import importlib.util
import os
import pathlib
import pkgutil
import runpy
import shutil
import sys
import tempfile

_SHIM = """import sys
sys.path.insert(0, {here!r})
import _run
_run.install_ember_as_torch()
"""


def install_ember_as_torch():
    import ember

    for info in pkgutil.walk_packages(ember.__path__, "ember."):
        if info.name.split(".")[-1] == "__main__":
            continue
        importlib.import_module(info.name)
    for name, mod in list(sys.modules.items()):
        if name == "ember" or name.startswith("ember."):
            sys.modules["torch" + name[len("ember"):]] = mod
    for name, mod in list(sys.modules.items()):
        if name == "ember.vision" or name.startswith("ember.vision."):
            sys.modules["torchvision" + name[len("ember.vision"):]] = mod


def make_torchvision_importable():
    """PyPI's torchvision beside a CPU torch: the tests' conftest declares its compiled
    operators first (see tests/conftest.py), so its Python parts import."""
    root = pathlib.Path(__file__).resolve().parents[3]
    if str(root) not in sys.path:  # the conftest imports its helpers as ``tests.<name>``
        sys.path.insert(0, str(root))
    path = root / "tests" / "conftest.py"
    spec = importlib.util.spec_from_file_location("_tests_conftest", path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))


if __name__ == "__main__":
    lib, program, args = sys.argv[2], sys.argv[3], sys.argv[4:]
    if sys.argv[1] != "--lib" or lib not in ("torch", "ember"):
        sys.exit("usage: _run.py --lib torch|ember PROGRAM [ARGS...]")
    if lib == "ember":
        install_ember_as_torch()
        shim = tempfile.mkdtemp(prefix="ember-as-torch-")
        atexit.register(shutil.rmtree, shim, True)
        for pkg in ("torch", "torchvision"):
            os.makedirs(os.path.join(shim, pkg), exist_ok=True)
            with open(os.path.join(shim, pkg, "__init__.py"), "w") as f:
                f.write(_SHIM.format(here=os.path.dirname(os.path.abspath(__file__))))
        sys.path.insert(0, shim)
    else:
        make_torchvision_importable()
    sys.argv = [program] + args
    sys.path.insert(0, str(pathlib.Path(program).resolve().parent))  # as `python program.py`
    runpy.run_path(program, run_name="__main__")
