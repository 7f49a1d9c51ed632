"""`ember train charlm` and `ember sample` end to end on a small text file, and the fortunes
corpus (Debian's package, fetched without installing it)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ember import cli
from ember.datasets import TextCorpus

TEXT = "the quick brown fox jumps over the lazy dog.\n" * 300


@pytest.fixture
def text_file(tmp_path):
    p = tmp_path / "fox.txt"
    p.write_text(TEXT, encoding="utf-8")
    return p


def _train(tmp_path, text_file, *extra):
    out = tmp_path / "runs"
    cli.run(["train", "charlm", "--text", str(text_file), "--cell", "lstm", "--epochs", "12",
             "--batch-size", "16", "--lr", "1e-2", "--hidden", "64", "--out", str(out),
             "--quiet", *extra])
    (run,) = list(out.iterdir())
    return run


@pytest.mark.slow
def test_train_charlm_writes_a_run_that_samples(tmp_path, text_file, capsys):
    run = _train(tmp_path, text_file)
    assert {"config.json", "vocab.json", "metrics.jsonl", "last.safetensors",
            "best.safetensors", "test.json", "loss.png"} <= set(os.listdir(run))
    rows = [json.loads(line) for line in open(run / "metrics.jsonl")]
    assert len(rows) == 12 and rows[-1]["val_bpc"] < 0.5 < rows[0]["val_bpc"]
    test = json.load(open(run / "test.json"))
    assert test["test_bits_per_char"] < 0.5 and test["test_accuracy"] > 0.9
    out = capsys.readouterr().out
    assert "bits per character" in out and "sample:" in out
    text = cli.run(["sample", str(run), "--prompt", "the quick", "--length", "35",
                    "--temperature", "0"])
    assert text.startswith("the quick brown fox jumps over the lazy")
    a = cli.run(["sample", str(run), "--length", "50", "--seed", "3"])
    b = cli.run(["sample", str(run), "--length", "50", "--seed", "3"])
    # no prompt: the model starts a line; 50 characters, then on to the end of the line
    assert a == b and a.endswith("\n") and 50 <= len(a) <= 250


@pytest.mark.slow
def test_charlm_resumes_for_more_epochs(tmp_path, text_file):
    run = _train(tmp_path, text_file)
    cli.run(["train", "--resume", str(run), "--epochs", "14", "--quiet"])
    rows = [json.loads(line) for line in open(run / "metrics.jsonl")]
    assert [r["epoch"] for r in rows] == list(range(1, 15))


def test_sample_errors_are_one_line(tmp_path, text_file, capsys):
    run = _train(tmp_path, text_file, "--epochs", "1")
    for argv, msg in [(["sample", str(tmp_path)], "not a run folder"),
                      (["sample", str(run), "--prompt", "XYZ"], "never saw")]:
        with pytest.raises(SystemExit, match=msg):
            cli.run(argv)
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:  # refused by the parser: status 2, one line
        cli.run(["sample", str(run), "--temperature", "-1"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "--temperature: expected a number >= 0" in err
    assert err.count("\n") == 1
    with pytest.raises(SystemExit) as e:
        cli.run(["train", "charlm", "--text", str(tmp_path / "missing.txt"), "--out",
                 str(tmp_path / "r2"), "--quiet"])
    assert e.value.code == 2 and "missing.txt: no such file" in capsys.readouterr().err
    assert not (tmp_path / "r2").exists()


def test_charlm_in_a_subprocess(tmp_path, text_file):
    r = subprocess.run([sys.executable, "-m", "ember.cli", "train", "charlm", "--text",
                        str(text_file), "--cell", "transformer", "--epochs", "1", "--limit",
                        "20", "--batch-size", "8", "--hidden", "32", "--embed", "16",
                        "--out", str(tmp_path / "runs"), "--quiet"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "bits per character" in r.stdout


def test_fortunes_corpus(tmp_path):
    try:
        corpus = TextCorpus.fortunes(str(tmp_path))
    except RuntimeError as exc:
        pytest.skip(f"Debian's fortunes package cannot be fetched here: {exc}")
    assert corpus.train.shape[0] > 1_000_000 and corpus.vocab_size > 60
    assert corpus.test.shape[0] > 10_000 and corpus.valid.shape[0] > 10_000
    assert "the" in corpus.decode(corpus.train[:5000])
