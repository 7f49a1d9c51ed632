"""ember.utils.tensorboard: event files that TensorBoard's own reader reads back."""
from __future__ import annotations

import numpy as np
import pytest

import ember

pytest.importorskip("tensorboardX", reason="the optional extra: pip install 'ember[tensorboard]'")
ea = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator",
                         reason="the tensorboard package (its event reader) is not installed")


def _read(folder):
    acc = ea.EventAccumulator(str(folder), size_guidance={ea.SCALARS: 0, ea.HISTOGRAMS: 0,
                                                          ea.IMAGES: 0})
    acc.Reload()
    return acc


def test_scalars_histograms_images_graph(tmp_path):
    from ember.utils.tensorboard import SummaryWriter

    model = ember.models.LeNet5()
    with SummaryWriter(str(tmp_path)) as w:
        for step in range(5):
            w.add_scalar("loss/train", ember.tensor(1.0 / (step + 1)), step)
            w.add_scalars("acc", {"train": 0.5 + step / 10, "val": ember.tensor(0.4)}, step)
        w.add_histogram("conv1.weight", model.conv1.weight, 3)
        w.add_image("digit", ember.rand(1, 28, 28), 0)
        w.add_images("batch", ember.rand(4, 1, 28, 28), 0)
        w.add_graph(model, ember.zeros(1, 1, 28, 28))
    acc = _read(tmp_path)
    loss = acc.Scalars("loss/train")
    assert [e.step for e in loss] == [0, 1, 2, 3, 4]
    np.testing.assert_allclose([e.value for e in loss], [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5],
                               rtol=1e-6)
    hist = acc.Histograms("conv1.weight")[0]
    assert hist.step == 3 and hist.histogram_value.num == model.conv1.weight.numel()
    assert len(acc.Images("digit")) == 1 and acc.Images("digit")[0].width == 28
    assert len(acc.Images("batch")) == 1
    graph = acc.Graph()
    names = [n.name for n in graph.node]
    assert "params/conv1.weight" in names and "input/input.0" in names
    assert any(n.op == "Conv2d" for n in graph.node) and "output/output.0" in names
    # add_scalars writes one run per series, as PyTorch's
    series = _read(tmp_path / "acc_val").Scalars("acc")
    assert [e.value for e in series] == pytest.approx([0.4] * 5)


def test_hparams_and_default_log_dir(tmp_path, monkeypatch):
    from ember.utils.tensorboard import SummaryWriter

    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="-lenet")
    assert w.get_logdir().startswith("runs") and w.get_logdir().endswith("-lenet")
    w.add_hparams({"lr": 1e-3, "optimizer": "adam"}, {"hparam/accuracy": ember.tensor(0.97)},
                  run_name="trial")
    w.close()
    acc = _read(tmp_path / w.get_logdir() / "trial")
    assert "_hparams_/experiment" in acc.summary_metadata or \
        any("hparams" in m.plugin_data.plugin_name for m in acc.summary_metadata.values())


def test_add_scalar_refuses_a_tensor_of_many_values(tmp_path):
    from ember.utils.tensorboard import SummaryWriter

    with SummaryWriter(str(tmp_path)) as w, pytest.raises(ValueError, match="single value"):
        w.add_scalar("x", ember.ones(3), 0)
