"""The layer table: each row builds one layer with either library's ``nn`` module.

``make(nn)`` is called with ``ember.nn`` and with ``torch.nn``; the input shapes
and their kind (normal, away0: away from kinks, pos) follow. Used by
tests/nn/test_layers.py (against PyTorch) and tests/test_device.py (on the
CUDA device against the CPU); kept free of torch so the latter runs without it.
"""
from __future__ import annotations

import importlib
import pathlib

import pytest


def L(name, make, shapes, kind="normal", train=True):
    """make(nn) builds the layer with either library's nn module."""
    return pytest.param(make, shapes, kind, train, id=name)


LAYERS = [
    L("Linear", lambda nn: nn.Linear(5, 3), [(4, 5)]),
    L("Linear_3d_nobias", lambda nn: nn.Linear(5, 3, bias=False), [(2, 4, 5)]),
    L("Bilinear", lambda nn: nn.Bilinear(3, 4, 2), [(5, 3), (5, 4)]),
    L("Sequential_MLP", lambda nn: nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8),
                                                 nn.Tanh(), nn.Linear(8, 3), nn.LogSoftmax(1)),
      [(4, 6)], "away0"),
    L("ReLU", lambda nn: nn.ReLU(), [(4, 5)], "away0"),
    L("ReLU6", lambda nn: nn.ReLU6(), [(4, 5)], "away0"),
    L("LeakyReLU", lambda nn: nn.LeakyReLU(0.1), [(4, 5)], "away0"),
    L("PReLU", lambda nn: nn.PReLU(3), [(4, 3, 2)], "away0"),
    L("ELU", lambda nn: nn.ELU(0.5), [(4, 5)], "away0"),
    L("SELU", lambda nn: nn.SELU(), [(4, 5)], "away0"),
    L("CELU", lambda nn: nn.CELU(1.5), [(4, 5)], "away0"),
    L("GELU", lambda nn: nn.GELU(), [(4, 5)]),
    L("GELU_tanh", lambda nn: nn.GELU("tanh"), [(4, 5)]),
    L("SiLU", lambda nn: nn.SiLU(), [(4, 5)]),
    L("Mish", lambda nn: nn.Mish(), [(4, 5)]),
    L("Sigmoid", lambda nn: nn.Sigmoid(), [(4, 5)]),
    L("LogSigmoid", lambda nn: nn.LogSigmoid(), [(4, 5)]),
    L("Tanh", lambda nn: nn.Tanh(), [(4, 5)]),
    L("Hardtanh", lambda nn: nn.Hardtanh(-0.5, 0.5), [(4, 5)], "away0"),
    L("Hardsigmoid", lambda nn: nn.Hardsigmoid(), [(4, 5)], "away0"),
    L("Hardswish", lambda nn: nn.Hardswish(), [(4, 5)], "away0"),
    L("Softplus", lambda nn: nn.Softplus(2.0, 5.0), [(4, 5)]),
    L("Softsign", lambda nn: nn.Softsign(), [(4, 5)]),
    L("Tanhshrink", lambda nn: nn.Tanhshrink(), [(4, 5)]),
    L("Threshold", lambda nn: nn.Threshold(0.2, -1.0), [(4, 5)], "away0"),
    L("Softmax", lambda nn: nn.Softmax(dim=1), [(4, 5)]),
    L("LogSoftmax", lambda nn: nn.LogSoftmax(dim=-1), [(2, 4, 5)]),
    L("Softmin", lambda nn: nn.Softmin(dim=1), [(4, 5)]),
    L("GLU", lambda nn: nn.GLU(), [(4, 6)]),
    L("Identity", lambda nn: nn.Identity(), [(4, 5)]),
    L("Flatten", lambda nn: nn.Flatten(), [(2, 3, 4)]),
    L("Unflatten", lambda nn: nn.Unflatten(1, (2, 3)), [(4, 6)]),
    L("BatchNorm1d_train", lambda nn: nn.BatchNorm1d(3), [(6, 3)]),
    L("BatchNorm1d_3d", lambda nn: nn.BatchNorm1d(3, momentum=0.3), [(4, 3, 5)]),
    L("BatchNorm1d_eval", lambda nn: nn.BatchNorm1d(3), [(6, 3)], train=False),
    L("BatchNorm1d_noaffine", lambda nn: nn.BatchNorm1d(3, affine=False), [(6, 3)]),
    L("BatchNorm1d_nostats", lambda nn: nn.BatchNorm1d(3, track_running_stats=False), [(6, 3)],
      train=False),
    L("BatchNorm1d_cma", lambda nn: nn.BatchNorm1d(3, momentum=None), [(6, 3)]),
    L("BatchNorm2d", lambda nn: nn.BatchNorm2d(3), [(2, 3, 4, 4)]),
    L("LayerNorm", lambda nn: nn.LayerNorm(5), [(4, 5)]),
    L("LayerNorm_2d", lambda nn: nn.LayerNorm((3, 4), elementwise_affine=True), [(2, 3, 4)]),
    L("GroupNorm", lambda nn: nn.GroupNorm(2, 4), [(3, 4, 5)]),
    L("Dropout_eval", lambda nn: nn.Dropout(0.5), [(4, 5)], train=False),
    L("Conv2d", lambda nn: nn.Conv2d(3, 4, 3, stride=2, padding=1), [(2, 3, 7, 6)]),
    L("Conv2d_groups_dil", lambda nn: nn.Conv2d(4, 6, (3, 2), dilation=2, groups=2, bias=False),
      [(2, 4, 8, 7)]),
    L("Conv2d_same_reflect", lambda nn: nn.Conv2d(2, 3, 3, padding="same",
                                                  padding_mode="reflect"), [(1, 2, 5, 6)]),
    L("Conv2d_circular", lambda nn: nn.Conv2d(2, 3, 3, padding=1, padding_mode="circular"),
      [(1, 2, 5, 6)]),
    L("Conv2d_replicate_unbatched", lambda nn: nn.Conv2d(2, 3, 3, padding=(1, 2),
                                                         padding_mode="replicate"),
      [(2, 5, 6)]),
    L("Conv1d", lambda nn: nn.Conv1d(3, 5, 3, stride=2, padding=1), [(2, 3, 9)]),
    L("ConvTranspose2d", lambda nn: nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1,
                                                       output_padding=1), [(2, 3, 4, 5)]),
    L("ConvTranspose1d", lambda nn: nn.ConvTranspose1d(4, 2, 3, stride=2, groups=2),
      [(2, 4, 5)]),
    L("MaxPool2d", lambda nn: nn.MaxPool2d(3, 2, 1, ceil_mode=True), [(2, 3, 7, 8)]),
    L("MaxPool1d", lambda nn: nn.MaxPool1d(2), [(2, 3, 8)]),
    L("AvgPool2d", lambda nn: nn.AvgPool2d(2, count_include_pad=False, padding=1),
      [(2, 3, 6, 7)]),
    L("AvgPool1d", lambda nn: nn.AvgPool1d(3, 2), [(2, 3, 9)]),
    L("LPPool2d", lambda nn: nn.LPPool2d(2, 2), [(1, 2, 4, 6)], "pos"),
    L("AdaptiveAvgPool2d", lambda nn: nn.AdaptiveAvgPool2d((2, 3)), [(2, 3, 7, 8)]),
    L("AdaptiveAvgPool1d", lambda nn: nn.AdaptiveAvgPool1d(3), [(2, 3, 8)]),
    L("AdaptiveMaxPool2d", lambda nn: nn.AdaptiveMaxPool2d(3), [(2, 3, 7, 8)]),
    L("InstanceNorm2d", lambda nn: nn.InstanceNorm2d(3), [(2, 3, 4, 5)]),
    L("InstanceNorm2d_affine_stats", lambda nn: nn.InstanceNorm2d(3, affine=True,
                                                                  track_running_stats=True),
      [(2, 3, 4, 5)]),
    L("InstanceNorm1d", lambda nn: nn.InstanceNorm1d(3), [(2, 3, 6)]),
    L("InstanceNorm1d_affine_stats", lambda nn: nn.InstanceNorm1d(4, affine=True,
                                                                  track_running_stats=True),
      [(3, 4, 5)]),
    L("InstanceNorm1d_unbatched", lambda nn: nn.InstanceNorm1d(3), [(3, 7)]),
    L("LocalResponseNorm", lambda nn: nn.LocalResponseNorm(3), [(2, 5, 3, 3)]),
    L("RReLU_eval", lambda nn: nn.RReLU(0.1, 0.4), [(3, 4)], "away0", train=False),
    L("Softmax2d", lambda nn: nn.Softmax2d(), [(2, 3, 2, 2)]),
    L("PairwiseDistance", lambda nn: nn.PairwiseDistance(p=1.5), [(4, 3), (4, 3)]),
    L("CosineSimilarity", lambda nn: nn.CosineSimilarity(dim=0), [(4, 3), (4, 3)]),
    L("DataParallel", lambda nn: nn.DataParallel(nn.Linear(3, 2)), [(4, 3)]),
    L("LSTM_2layer_bidirectional", lambda nn: _output(nn, nn.LSTM(3, 4, 2, bidirectional=True)),
      [(5, 2, 3)]),
    L("LSTM_proj_batch_first", lambda nn: _output(nn, nn.LSTM(3, 4, proj_size=2,
                                                              batch_first=True)), [(2, 5, 3)]),
    L("GRU", lambda nn: _output(nn, nn.GRU(3, 4)), [(5, 2, 3)]),
    L("RNN_relu_2layer", lambda nn: _output(nn, nn.RNN(3, 4, 2, nonlinearity="relu")),
      [(5, 2, 3)]),
    L("GRUCell", lambda nn: nn.GRUCell(3, 4), [(2, 3)]),
    L("RNNCell", lambda nn: nn.RNNCell(3, 4), [(2, 3)]),
    L("Dropout2d_eval", lambda nn: nn.Dropout2d(0.5), [(2, 3, 4, 4)], train=False),
    L("Upsample_nearest", lambda nn: nn.Upsample(scale_factor=2), [(1, 2, 3, 4)]),
    L("Upsample_bilinear", lambda nn: nn.Upsample(size=(5, 7), mode="bilinear"),
      [(1, 2, 3, 4)]),
    L("UpsamplingBilinear2d", lambda nn: nn.UpsamplingBilinear2d(scale_factor=2),
      [(1, 2, 3, 3)]),
    L("UpsamplingNearest2d", lambda nn: nn.UpsamplingNearest2d(size=(5, 5)), [(1, 2, 3, 3)]),
    L("PixelShuffle", lambda nn: nn.PixelShuffle(2), [(2, 8, 3, 3)]),
    L("ZeroPad2d", lambda nn: nn.ZeroPad2d((1, 2, 0, 1)), [(1, 2, 3, 3)]),
    L("ConstantPad2d", lambda nn: nn.ConstantPad2d(1, 3.5), [(1, 2, 3, 3)]),
    L("ReflectionPad2d", lambda nn: nn.ReflectionPad2d(2), [(1, 2, 3, 4)]),
    L("ReplicationPad2d", lambda nn: nn.ReplicationPad2d((1, 0, 2, 1)), [(1, 2, 3, 4)]),
    L("BatchNorm2d_eval", lambda nn: nn.BatchNorm2d(3), [(2, 3, 4, 4)], train=False),
    L("ModuleList_in_Sequential", lambda nn: nn.Sequential(*nn.ModuleList([nn.Linear(3, 3)
                                                                           for _ in range(2)])),
      [(2, 3)]),
]


def _output(nn, layer):
    """A recurrent layer as a one-output module (its output sequence) for the layer table."""
    class Output(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = layer

        def forward(self, x):
            return self.rnn(x)[0]
    return Output()


def layer_inputs(rng, shapes, kind):
    """Random float64 inputs of ``shapes``: normal, away from 0 (``away0``) or positive."""
    if kind == "away0":
        return [rng.choice([-1.0, 1.0], s) * rng.uniform(0.2, 2.0, s) for s in shapes]
    if kind == "pos":
        return [rng.uniform(0.5, 2.0, s) for s in shapes]
    return [rng.standard_normal(s) for s in shapes]


# Each family of layers may keep its rows in a file of its own, ``layer_cases_<family>.py``
# beside this one, defining ``LAYERS`` with ``L``; they join the table here.
for _path in sorted(pathlib.Path(__file__).parent.glob("layer_cases_*.py")):
    LAYERS = LAYERS + list(importlib.import_module(f"{__package__}.{_path.stem}").LAYERS)
