"""The `ember` command end to end on a tiny fake MNIST, and the Trainer's resume and callbacks."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import ember
from ember import cli
from ember.datasets import write_idx
from ember.train import EarlyStopping, Trainer
from ember.utils.data import DataLoader, TensorDataset


@pytest.fixture
def fake_mnist(tmp_path, monkeypatch):
    """Small learnable IDX files where ember.datasets.MNIST looks for them."""
    rng = np.random.default_rng(0)
    raw = tmp_path / "data" / "MNIST" / "raw"

    def split(n):
        y = rng.integers(0, 10, n)
        x = rng.integers(0, 40, (n, 28, 28))
        for i, c in enumerate(y):  # a bright bar whose row is the class
            x[i, 2 + 2 * c, 4:24] = 250
        return x.astype(np.uint8), y.astype(np.uint8)

    for prefix, n in (("train", 400), ("t10k", 100)):
        x, y = split(n)
        write_idx(str(raw / f"{prefix}-images-idx3-ubyte.gz"), x)
        write_idx(str(raw / f"{prefix}-labels-idx1-ubyte.gz"), y)
    monkeypatch.setenv("EMBER_DATA", str(tmp_path / "data"))
    return tmp_path


def test_cli_train_and_evaluate_in_a_subprocess(fake_mnist):
    out = fake_mnist / "runs"
    env = dict(os.environ, EMBER_DATA=str(fake_mnist / "data"))
    r = subprocess.run([sys.executable, "-m", "ember.cli", "train", "--epochs", "3", "--limit",
                        "300", "--val-size", "50", "--out", str(out), "--quiet", "--scheduler",
                        "cosine"], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "test error" in r.stdout
    (run,) = list(out.iterdir())
    names = set(os.listdir(run))
    assert {"config.json", "metrics.csv", "metrics.jsonl", "last.safetensors",
            "best.safetensors", "test.json", "loss.png", "confusion.png",
            "misclassified.png"} <= names
    for png in ("loss.png", "confusion.png", "misclassified.png"):
        data = (run / png).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 500
    rows = [json.loads(line) for line in open(run / "metrics.jsonl")]
    assert [r_["epoch"] for r_ in rows] == [1, 2, 3] and rows[-1]["train_loss"] < rows[0][
        "train_loss"]
    assert json.load(open(run / "test.json"))["accuracy"] > 0.5
    r = subprocess.run([sys.executable, "-m", "ember.cli", "evaluate", str(run)],
                       capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0 and "test error" in r.stdout, r.stderr
    # predict a PNG drawn like the class-3 samples (bright bar on row 8)
    from PIL import Image

    a = np.full((28, 28), 10, np.uint8)
    a[8, 4:24] = 250
    Image.fromarray(a).save(fake_mnist / "three.png")
    res = cli.run(["predict", str(run), str(fake_mnist / "three.png")])
    assert res[0][1] == 3


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"], ["evaluate", "--help"],
                                  ["predict", "--help"],
                                  ["data", "fetch", "--help"], ["models", "--help"],
                                  ["sample", "--help"]])
def test_help_everywhere(argv, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(argv)
    assert e.value.code == 0 and "usage: ember" in capsys.readouterr().out


def test_models_listing(capsys):
    assert cli.main(["models"]) == 0
    out = capsys.readouterr().out
    assert "mlp" in out and "lenet5" in out and "logistic" in out


@pytest.mark.parametrize("device", [
    "cpu", pytest.param("cuda", marks=pytest.mark.skipif(not ember.cuda.is_available(),
                                                         reason="no CUDA device or stand-in"))])
def test_resume_continues_exactly(fake_mnist, device):
    """Dropout draws on the device too: a resumed run equals one that ran through."""
    common = ["--limit", "200", "--val-size", "40", "--quiet", "--dropout", "0.3", "--seed", "3",
              "--device", device, "--out"]
    full = cli.run(["train", "--epochs", "3"] + common + [str(fake_mnist / "a")])
    part = cli.run(["train", "--epochs", "2"] + common + [str(fake_mnist / "b")])
    cli.run(["train", "--resume", part, "--epochs", "3", "--quiet", "--device", device])
    a = ember.load(os.path.join(full, "last.safetensors"))
    b = ember.load(os.path.join(part, "last.safetensors"))
    assert a["epoch"] == b["epoch"] == 3
    for k, v in a["model"].items():
        np.testing.assert_array_equal(v.numpy(), b["model"][k].numpy(), err_msg=k)


def test_trainer_early_stopping_predict_confusion():
    ember.manual_seed(0)
    x = ember.randn(64, 4)
    y = (x[:, 0] > 0).long()
    model = ember.nn.Linear(4, 2)
    opt = ember.optim.SGD(model.parameters(), lr=0.0)  # nothing improves
    t = Trainer(model, opt, callbacks=[EarlyStopping(patience=2)])
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    hist = t.fit(loader, loader, epochs=10)
    assert len(hist) == 3  # the first epoch sets the best, two more without improvement
    assert t.predict(loader).shape == (64, 2)
    cm = t.confusion_matrix(loader, 2)
    assert cm.sum() == 64 and cm.shape == (2, 2)


def test_summary_table():
    from ember.train import summary

    text = summary(ember.models.LeNet5(), (1, 28, 28))
    assert "conv1 (Conv2d)" in text and "(1, 6, 24, 24)" in text
    assert "fc3 (Linear)" in text and "(1, 10)" in text
    assert "Total params: 44,426" in text


def test_run_without_validation_evaluates_last(fake_mnist, capsys):
    run = cli.run(["train", "logistic", "--epochs", "1", "--limit", "100", "--val-size", "0",
                   "--quiet", "--out", str(fake_mnist / "nv")])
    assert not os.path.exists(os.path.join(run, "best.safetensors"))
    res = cli.run(["evaluate", run])
    assert 0 <= res["accuracy"] <= 1


@pytest.mark.skipif(not ember.cuda.is_available(), reason="no CUDA device or stand-in")
def test_cli_train_on_the_device_equals_the_cpu(fake_mnist):
    """``ember train --device cuda`` (the GPU, or the stand-in in CI) gives the CPU's run."""
    results = {}
    for dev in ("cpu", "cuda"):
        out = fake_mnist / f"runs-{dev}"
        r = subprocess.run([sys.executable, "-m", "ember.cli", "train", "--epochs", "2",
                            "--limit", "200", "--val-size", "50", "--out", str(out), "--quiet",
                            "--device", dev], capture_output=True, text=True, timeout=300,
                           env=dict(os.environ, EMBER_DATA=str(fake_mnist / "data")))
        assert r.returncode == 0, r.stderr
        assert (" on cuda" in r.stdout) == (dev == "cuda"), r.stdout
        (run,) = list(out.iterdir())
        results[dev] = [json.loads(line)["train_loss"] for line in open(run / "metrics.jsonl")]
    np.testing.assert_allclose(results["cuda"], results["cpu"], rtol=1e-5)


def test_cli_device_cuda_without_one_says_so(fake_mnist):
    env = dict(os.environ, EMBER_DATA=str(fake_mnist / "data"), EMBER_STANDIN_CUDA="0")
    r = subprocess.run([sys.executable, "-c", "import sys, ember.backend as b; "
                        "b._cupy_checked = True; b._cupy = None; "
                        "from ember import cli; sys.exit(cli.main(['train', '--device', 'cuda', "
                        "'--quiet', '--epochs', '1', '--limit', '100']))"],
                       capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode != 0 and "no CUDA device is available" in r.stderr, r.stderr


@pytest.mark.parametrize("bad,says", [("gpu", "expected cpu, cuda, cuda:N or auto"),
                                      ("cuda:7", "CUDA device")])
def test_cli_bad_device_is_one_line_and_writes_nothing(fake_mnist, capsys, bad, says):
    if bad.startswith("cuda") and not ember.cuda.is_available():
        says = "no CUDA device is available"
    with pytest.raises(SystemExit) as e:
        cli.main(["train", "--device", bad, "--quiet", "--out", str(fake_mnist / "bad")])
    if bad == "gpu":  # not a device name: an argument error (status 2), from the parser
        assert e.value.code == 2 and says in capsys.readouterr().err
    else:
        assert says in str(e.value.code)
    assert not (fake_mnist / "bad").exists()
