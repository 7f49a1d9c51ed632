"""The named recipes of ``ember train`` (mlp-best, mnist-best, fashion-best): their batch
augmentation equals the per-image transform, their flags can be overridden, and a
shortened recipe still learns."""
from __future__ import annotations

import json
import os
import pathlib
import runpy

import numpy as np
import pytest

import ember
from ember import cli
from ember.datasets import write_idx
from ember.train import best
from ember.transforms import functional as TF


def test_batch_random_affine_is_functional_affine_per_image():
    """Each image of the batch is ``functional.affine`` (bilinear) of the unnormalised image
    with that image's parameters, then normalised; the border is black."""
    ember.manual_seed(0)
    raw = ember.rand(6, 1, 28, 28)
    mean, std = 0.1307, 0.3081
    aug = best.BatchRandomAffine(10.0, (0.1, 0.1), (0.9, 1.1), [-mean / std])
    state = ember.default_generator.get_state()
    angle, tx, ty, scale = aug.params(6, 28, 28)
    ember.default_generator.set_state(state)
    out = aug((raw - mean) / std).numpy()
    assert np.ptp(angle) > 1 and np.ptp(scale) > 0.01 and np.all(tx == np.round(tx))
    for i in range(6):
        ref = TF.affine(raw[i], float(angle[i]), [int(tx[i]), int(ty[i])], float(scale[i]),
                        [0.0, 0.0], interpolation=TF.InterpolationMode.BILINEAR)
        np.testing.assert_allclose(out[i], ((ref - mean) / std).numpy(), atol=3e-5)


def test_crop_flip_pads_with_black_and_keeps_pixels():
    bg = np.float32(-0.5)
    x = ember.tensor(np.arange(2 * 28 * 28, dtype=np.float32).reshape(2, 1, 28, 28))
    ember.manual_seed(1)
    y = best.crop_flip(2, [bg])(x).numpy()
    assert y.shape == (2, 1, 28, 28)
    for k in range(2):  # every value is an original pixel of that image, or the background
        assert np.isin(y[k], np.append(x.numpy()[k], bg)).all()


def test_recipe_flags_are_defaults_that_the_command_line_overrides():
    argv = ["train", "fashion-best", "--lr", "1e-3"]
    args = cli.make_parser().parse_args(argv)
    args.given = cli._given(argv)
    best.apply_defaults(args)
    flags = best.RECIPES["fashion-best"]["flags"]
    assert args.lr == 1e-3 and args.dataset == "fashion-mnist"
    assert (args.epochs, args.optimizer, args.scheduler) == (flags["epochs"], "adamw",
                                                             "onecycle")
    cfg = cli._new_config(args)
    assert cfg["label_smoothing"] == 0.1 and cfg["augment"] == "crop-flip"


def test_recipe_networks_and_the_first_recipes_network_for_old_runs():
    """The convolutional recipes build the VGG-style network of their config; a run made by
    the first version of the recipes (arch "conv", width 16 in its config.json) still gets
    the network its checkpoints hold."""
    def count(model):
        return sum(p.numel() for p in model.parameters())

    new = best.build_model({"model": "mnist-best"})
    assert count(new) == 298_410
    convs = [m.out_channels for m in new.modules() if isinstance(m, ember.nn.Conv2d)]
    assert convs == [32, 32, 64, 64, 128, 128]
    assert tuple(new(ember.zeros(2, 1, 28, 28)).shape) == (2, 10)
    old = best.build_model({"model": "fashion-best", "dataset": "fashion-mnist", "arch": "conv",
                            "width": 16})
    assert count(old) == 66_170


def _bars(n, rng):
    """A 10-class set that survives shifts, small rotations and mirroring: class c has
    c % 5 + 1 parallel bars, horizontal for c < 5, vertical otherwise, on noise."""
    y = rng.integers(0, 10, n)
    x = rng.integers(0, 60, (n, 28, 28))
    for i, c in enumerate(y):
        k = c % 5 + 1
        first = 14 - 2 * k + rng.integers(-2, 3)
        for b in range(k):
            r = first + 4 * b
            if c < 5:
                x[i, r:r + 2, 6:22] = 250
            else:
                x[i, 6:22, r:r + 2] = 250
    return x.astype(np.uint8), y.astype(np.uint8)


@pytest.fixture(scope="module")
def bars_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("bars")
    rng = np.random.default_rng(0)
    for folder in ("MNIST", "FashionMNIST"):
        for prefix, n in (("train", 800), ("t10k", 300)):
            x, y = _bars(n, rng)
            write_idx(str(root / folder / "raw" / f"{prefix}-images-idx3-ubyte.gz"), x)
            write_idx(str(root / folder / "raw" / f"{prefix}-labels-idx1-ubyte.gz"), y)
    return root


@pytest.mark.parametrize("recipe", ["mlp-best", "mnist-best", "fashion-best"])
def test_shortened_recipe_learns(recipe, bars_data, tmp_path):
    """Three epochs of the recipe (its model, augmentation, optimizer, schedule and loss;
    batches of 32) on 600 images of a set where chance is 90% error: the test error must
    fall below 10%."""
    run = cli.run(["train", recipe, "--epochs", "3", "--batch-size", "32", "--val-size", "200",
                   "--quiet", "--data", str(bars_data), "--out", str(tmp_path)])
    with open(os.path.join(run, "test.json")) as f:
        res = json.load(f)
    with open(os.path.join(run, "config.json")) as f:
        cfg = json.load(f)
    assert cfg["model"] == recipe and cfg["epochs"] == 3
    assert res["images"] == 300
    assert 1 - res["accuracy"] < 0.10, res


@pytest.mark.parametrize("lib", ["ember", "torch"])
def test_pytorch_style_script_learns_under_both_libraries(lib, bars_data):
    """examples/best_mnist.py, shortened, with ember and with PyTorch imported as torch."""
    if lib == "torch":
        pytest.importorskip("torch")
    path = pathlib.Path(__file__).parents[1] / "examples" / "best_mnist.py"
    main = runpy.run_path(str(path))["main"]
    err = main(["--lib", lib, "--epochs", "3", "--batch-size", "32", "--val-size", "200",
                "--threads", "1", "--data", str(bars_data)])
    assert err < 0.10
