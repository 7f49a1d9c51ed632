"""The examples run and learn (small, seeded)."""
from __future__ import annotations

import pathlib
import runpy


def test_spiral_example_learns(capsys):
    path = pathlib.Path(__file__).parents[1] / "examples" / "spiral.py"
    main = runpy.run_path(str(path))["main"]
    loss, acc = main(["--steps", "2000", "--seed", "0"])
    assert loss < 0.05 and acc >= 0.98
    out = capsys.readouterr().out
    assert out.count("loss") == 21


def test_spiral_nn_example_learns_and_reloads(tmp_path, capsys):
    """The learning test of the nn/optim issue: an MLP with Adam reaches >= 98% on two spirals."""
    path = pathlib.Path(__file__).parents[1] / "examples" / "spiral_nn.py"
    main = runpy.run_path(str(path))["main"]
    acc, same = main(["--epochs", "300", "--out", str(tmp_path / "w.safetensors")])
    assert acc >= 0.98 and same
    assert (tmp_path / "w.safetensors").exists()
