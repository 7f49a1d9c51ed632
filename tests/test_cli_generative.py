"""`ember train autoencoder|vae|gan|dcgan|wgan-gp` and `ember sample` on a tiny fake MNIST."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
from PIL import Image

import ember
from ember import cli

from .fakes import write_fake_mnist


@pytest.fixture
def fake_mnist(tmp_path, monkeypatch):
    write_fake_mnist(tmp_path / "data")
    monkeypatch.setenv("EMBER_DATA", str(tmp_path / "data"))
    return tmp_path


def _train(tmp_path, name, *extra, out="runs"):
    before = set(os.listdir(tmp_path / out)) if (tmp_path / out).exists() else set()
    cli.run(["train", name, "--epochs", "1", "--limit", "128", "--batch-size", "32",
             "--quiet", "--out", str(tmp_path / out), *extra])
    (run,) = set(os.listdir(tmp_path / out)) - before
    return tmp_path / out / run


@pytest.mark.parametrize("name", ["autoencoder", "vae", "gan", "dcgan", "wgan-gp"])
def test_generative_runs_write_their_folder(fake_mnist, name):
    run = _train(fake_mnist, name)
    names = set(os.listdir(run))
    assert {"config.json", "metrics.csv", "metrics.jsonl", "last.safetensors", "loss.png",
            "samples.png", "samples-epoch1.png"} <= names
    row = json.loads(open(run / "metrics.jsonl").readline())
    keys = {"train_loss", "val_loss"} if name in ("autoencoder", "vae") else \
        {"train_d_loss", "train_g_loss"}
    assert keys <= set(row)
    grid = np.asarray(Image.open(run / "samples.png"))
    assert grid.shape == (8 * 30 + 2, 8 * 30 + 2, 3)


@pytest.mark.slow
def test_resume_continues_exactly(fake_mnist):
    whole = _train(fake_mnist, "dcgan", "--epochs", "2", out="a")
    part = _train(fake_mnist, "dcgan", "--epochs", "1", out="b")
    cli.run(["train", "--resume", str(part), "--epochs", "2", "--quiet"])
    a, b = ember.load(str(whole / "last.safetensors")), ember.load(str(part / "last.safetensors"))
    for role in ("G", "D"):
        for k, v in a["models"][role].items():
            np.testing.assert_array_equal(v.numpy(), b["models"][role][k].numpy(), err_msg=k)
    rows = [json.loads(line) for line in open(part / "metrics.jsonl")]
    assert [r["epoch"] for r in rows] == [1, 2]


@pytest.mark.slow
def test_sample_grids_interpolation_and_scores(fake_mnist, capsys):
    vae = _train(fake_mnist, "vae", "--score")
    row = json.loads(open(vae / "metrics.jsonl").readline())
    assert {"frechet_distance", "score_confidence", "score_class_entropy"} <= set(row)
    out = fake_mnist / "grid.png"
    cli.run(["sample", str(vae), "-n", "16", "--out", str(out), "--seed", "3", "--score"])
    assert np.asarray(Image.open(out)).shape == (4 * 30 + 2, 4 * 30 + 2, 3)
    assert "Fréchet distance" in capsys.readouterr().out
    cli.run(["sample", str(vae), "--interpolate", "--out", str(fake_mnist / "line.png")])
    assert np.asarray(Image.open(fake_mnist / "line.png")).shape == (32, 10 * 30 + 2, 3)
    ae = _train(fake_mnist, "autoencoder")
    with pytest.raises(SystemExit, match="no prior"):
        cli.run(["sample", str(ae)])
    gan = _train(fake_mnist, "gan")
    with pytest.raises(SystemExit) as e:  # an argument error (status 2), as train's are
        cli.run(["sample", str(gan), "--interpolate"])
    assert e.value.code == 2 and "--interpolate: needs a vae run" in capsys.readouterr().err


def test_vae_latent_map(fake_mnist):
    run = _train(fake_mnist, "vae", "--latent", "2")
    out = fake_mnist / "map.png"
    cli.run(["sample", str(run), "--latent-map", "--out", str(out)])
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    wide = _train(fake_mnist, "vae")
    with pytest.raises(SystemExit, match="2-D code"):
        cli.run(["sample", str(wide), "--latent-map"])


def test_classifier_commands_refuse_generative_runs(fake_mnist):
    run = _train(fake_mnist, "gan")
    with pytest.raises(SystemExit, match="scores classifiers"):
        cli.run(["evaluate", str(run)])
    with pytest.raises(SystemExit, match="needs a classifier run"):
        cli.run(["predict", str(run), "x.png"])


def test_runs_started_in_the_same_second_get_their_own_folders(fake_mnist):
    runs = {_train(fake_mnist, "vae", "--limit", "32") for _ in range(3)}
    assert len(runs) == 3 and all((r / "config.json").exists() for r in runs)
    base = str(fake_mnist / "same-second")
    assert [cli.new_run_folder(base) for _ in range(3)] == [base, base + "-2", base + "-3"]
