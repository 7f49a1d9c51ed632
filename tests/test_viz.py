"""Pictures of networks (ember.viz) and the backprop explainer (ember.autograd.explain)."""
from __future__ import annotations

import io
import shutil

import numpy as np
import pytest

import ember
from ember import cli

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed (.ci/run installs the "
                                      "Debian package graphviz)")


def _lecture():
    x = ember.tensor(-2.0, requires_grad=True)
    y = ember.tensor(5.0, requires_grad=True)
    z = ember.tensor(-4.0, requires_grad=True)
    return (x + y) * z, {"x": x, "y": y, "z": z}


def test_explain_prints_the_lectures_worked_example():
    f, names = _lecture()
    buf = io.StringIO()
    ember.autograd.explain(f, names, file=buf)
    assert buf.getvalue().splitlines() == [
        "MulBackward  (output -12)",
        "  upstream gradient 1",
        "  to AddBackward (value 3): local -4 x upstream 1 = -4",
        "  to z (value -4): local 3 x upstream 1 = 3",
        "AddBackward  (output 3)",
        "  upstream gradient -4",
        "  to x (value -2): local 1 x upstream -4 = -4",
        "  to y (value 5): local 1 x upstream -4 = -4"]
    assert all(t.grad is None for t in names.values())  # explaining accumulates nothing
    f.backward()  # and the graph is still there
    assert [names[k].grad.item() for k in "xyz"] == [-4.0, -4.0, 3.0]


def test_explain_agrees_with_backward_on_a_network():
    ember.manual_seed(0)
    model = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.Tanh(), ember.nn.Linear(4, 1))
    x = ember.randn(5, 3)
    loss = (model(x) ** 2).mean()
    records = ember.autograd.explain(loss, dict(model.named_parameters()), file=io.StringIO())
    got = {}
    for r in records:
        for (t, _), g in r["downstream"]:
            if isinstance(t, ember.Tensor):
                got[id(t)] = got.get(id(t), 0) + g.numpy()
    loss.backward()
    for p in model.parameters():
        np.testing.assert_allclose(got[id(p)], p.grad.numpy(), rtol=1e-6)


def test_explain_refuses_what_it_cannot_explain():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="give grad="):
        ember.autograd.explain(w * 2)
    with pytest.raises(RuntimeError, match="no graph"):
        ember.autograd.explain(ember.tensor(1.0))
    y = (w * w).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="freed"):
        ember.autograd.explain(y)


def test_draw_graph_dot_with_values_and_saved_tensors():
    f, names = _lecture()
    src = ember.viz.draw_graph(f, names, show_values=True).source
    assert src.startswith("digraph") and src.count("Backward") == 2
    for label in ('"x\\n()"', '"3\\ngrad -4"', '"-4\\ngrad 3"', '"-2\\ngrad -4"', "-12"):
        assert label in src, label
    model = ember.models.LeNet5()
    out = model(ember.zeros(2, 1, 28, 28))
    src = ember.viz.draw_graph(out, dict(model.named_parameters()), show_saved=True).source
    for name, p in model.named_parameters():
        assert f'"{name}\\n{tuple(p.shape)}'.replace(",)", ")") in src or name in src
    assert "saved output 0" in src and "Conv2dBackward" in src and "(2, 10)" in src


def test_draw_model_clusters_nested_modules():
    src = ember.viz.draw_model(ember.models.resnet18(small_input=True), (3, 32, 32)).source
    assert "subgraph cluster_" in src and '"layer1: Sequential"' in src
    assert "-> (1, 1000)" in src and "input" in src


@needs_dot
def test_render_svg_and_png(tmp_path):
    f, names = _lecture()
    g = ember.viz.draw_graph(f, names, show_values=True)
    assert g.render(str(tmp_path / "g.svg")).endswith("g.svg")
    assert (tmp_path / "g.svg").read_text().lstrip().startswith("<?xml")
    g.render(str(tmp_path / "g.png"))
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert g._repr_svg_().lstrip().startswith("<?xml")


def test_graph_command(tmp_path, monkeypatch, capsys):
    out = cli.run(["graph", "lenet5", "--out", str(tmp_path / "l.dot")])
    assert open(out).read().startswith("digraph") and "Conv2dBackward" in open(out).read()
    cli.run(["graph", "mlp", "--layers", "--out", str(tmp_path / "m.dot")])
    assert '"0: Linear' in (tmp_path / "m.dot").read_text()
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(SystemExit, match="DOT text was written to .*l.dot.*apt-get install "
                       "graphviz"):
        cli.run(["graph", "lenet5", "--out", str(tmp_path / "l.svg")])
    assert not (tmp_path / "l.svg").exists() and (tmp_path / "l.dot").exists()


@needs_dot
def test_graph_command_renders(tmp_path):
    path = cli.run(["graph", "resnet18", "--layers", "--out", str(tmp_path / "r.png")])
    assert open(path, "rb").read(4) == b"\x89PNG"
