"""Run a PyTorch program with ``torch`` (``--lib torch``) or with ember in its place.

With ``--lib ember`` every ``ember`` module is registered under the same name with ``torch``
in place of ``ember`` (``torch.nn.functional`` is ``ember.nn.functional``...), and
``torchvision`` is ``ember.vision`` (its datasets, transforms, models, utils, ops and io), before
the program runs.
Nothing else changes: the program's text is PyTorch's.

    python tests/compat/programs/_run.py --lib ember tests/compat/programs/vae.py [args...]
"""
import importlib
import importlib.util
import pathlib
import pkgutil
import runpy
import sys


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
    path = pathlib.Path(__file__).resolve().parents[2] / "conftest.py"
    spec = importlib.util.spec_from_file_location("_tests_conftest", path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))


if __name__ == "__main__":
    lib, program, args = sys.argv[2], sys.argv[3], sys.argv[4:]
    if sys.argv[1] != "--lib" or lib not in ("torch", "ember"):
        sys.exit("usage: _run.py --lib torch|ember PROGRAM [ARGS...]")
    if lib == "ember":
        install_ember_as_torch()
    else:
        make_torchvision_importable()
    sys.argv = [program] + args
    runpy.run_path(program, run_name="__main__")
