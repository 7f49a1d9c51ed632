"""``ember train`` / ``evaluate`` / ``predict`` / ``data`` as a new user and an adversary use
them: run folders, resume semantics, Ctrl-C, argument validation, one-line errors, which
checkpoint a figure comes from, the test evaluation, dataset cache repair."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import ember
from ember import cli
from ember.train import Checkpoint, EarlyStopping, MetricsLogger, Trainer
from ember.utils.data import DataLoader, Dataset, TensorDataset
from tests.fakes import write_fake_mnist

# A run that takes a few seconds on the fake MNIST (300 train / 100 test images).
SMALL = ["--limit", "200", "--val-size", "40", "--batch-size", "32", "--quiet"]


@pytest.fixture
def data(tmp_path, monkeypatch):
    root = tmp_path / "data"
    write_fake_mnist(str(root))
    monkeypatch.setenv("EMBER_DATA", str(root))
    return root


def _env(data, **extra):
    return dict(os.environ, EMBER_DATA=str(data), PYTHONPATH=os.getcwd(), **extra)


def _only_run(out):
    (run,) = list(out.iterdir())
    return run


def _metrics(run):
    return [json.loads(line) for line in open(os.path.join(run, "metrics.jsonl"))]


def _weights(run, which="last"):
    return {k: v.numpy() for k, v in ember.load(os.path.join(run, f"{which}.safetensors"))
            ["model"].items()}


# ---------------------------------------------------------------- 1. a folder for every run

def test_runs_started_together_get_their_own_folders(data, tmp_path):
    """Two processes started at once (same second): two folders, neither log mixed."""
    out = tmp_path / "runs"
    argv = [sys.executable, "-m", "ember.cli", "train", "logistic", "--epochs", "2", "--out",
            str(out)] + SMALL
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=_env(data)) for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    runs = sorted(out.iterdir())
    assert len(runs) == 2
    for run in runs:
        assert [r["epoch"] for r in _metrics(run)] == [1, 2]
        assert json.load(open(run / "config.json"))["model"] == "logistic"
        assert (run / "loss.png").exists() and (run / "test.json").exists()
    assert not [n for run in runs for n in os.listdir(run) if "tmp" in n]


# ---------------------------------------------------------------- 2. resume semantics

class _ScriptedVal(Trainer):
    """A Trainer whose validation losses follow a script (one per epoch)."""

    script: list = []

    def evaluate(self, loader, topk=(1,), progress=False):
        return {"loss": self.script[self.epoch - 1]}


def _scripted(folder, losses, patience=None):
    ember.manual_seed(0)
    model = ember.nn.Linear(4, 2)
    cbs = [Checkpoint(str(folder)), MetricsLogger(str(folder))]
    if patience:
        cbs.append(EarlyStopping(patience=patience))
    t = _ScriptedVal(model, ember.optim.SGD(model.parameters(), lr=0.1), callbacks=cbs)
    t.script = losses
    x = ember.randn(16, 4)
    loader = DataLoader(TensorDataset(x, (x[:, 0] > 0).long()), batch_size=8)
    return t, loader


def test_resume_keeps_the_best_checkpoint_and_early_stopping_state(tmp_path):
    losses = [1.0, 0.5, 0.8, 0.9, 0.95, 0.99]
    t, loader = _scripted(tmp_path, losses, patience=3)
    t.fit(loader, loader, epochs=3)  # best at epoch 2; epoch 3 is one without improvement
    t2, _ = _scripted(tmp_path, losses, patience=3)
    t2.load_checkpoint(str(tmp_path / "last.safetensors"))
    ckpt, stop = (next(c for c in t2.callbacks if isinstance(c, k))
                  for k in (Checkpoint, EarlyStopping))
    assert ckpt.best == 0.5 and ckpt.best_epoch == 2 and stop.bad == 1
    # every other callback runs before Checkpoint, which saves before the log is written
    assert [type(c) for c in t2.callbacks] == [EarlyStopping, Checkpoint, MetricsLogger]
    t2.fit(loader, loader, epochs=6)
    # the worse epochs 4, 5 did not overwrite best; patience 3 counted across the resume
    assert ember.load(str(tmp_path / "best.safetensors"))["epoch"] == 2
    assert t2.epoch == 5 and t2.stop
    assert [r["epoch"] for r in _metrics(tmp_path)] == [1, 2, 3, 4, 5]


def test_an_early_stopped_run_resumes_to_nothing(tmp_path):
    losses = [1.0, 1.1, 1.2, 1.3]
    t, loader = _scripted(tmp_path, losses, patience=2)
    t.fit(loader, loader, epochs=4)
    assert t.epoch == 3 and t.stop
    t2, _ = _scripted(tmp_path, losses, patience=2)
    t2.load_checkpoint(str(tmp_path / "last.safetensors"))
    t2.fit(loader, loader, epochs=4)
    assert t2.epoch == 3


@pytest.mark.parametrize("scheduler", ["cosine", "onecycle", "step"])
@pytest.mark.slow
def test_resume_with_more_epochs_follows_the_longer_schedule(data, tmp_path, scheduler):
    """--resume RUN --epochs 4 after 2 epochs: from epoch 3 on, the learning rates are those
    of a run planned for 4 epochs (no lr 0 mid-run, no OneCycle overrun)."""
    common = ["train", "--scheduler", scheduler, "--optimizer", "sgd"] + SMALL
    whole = cli.run(common + ["--epochs", "4", "--out", str(tmp_path / "a")])
    part = cli.run(common + ["--epochs", "2", "--out", str(tmp_path / "b")])
    cli.run(["train", "--resume", part, "--epochs", "4", "--quiet"])
    lr_whole = [r["lr"] for r in _metrics(whole)]
    lr_part = [r["lr"] for r in _metrics(part)]
    assert len(lr_part) == 4 and all(v > 0 for v in lr_part[2:])
    np.testing.assert_allclose(lr_part[2:], lr_whole[2:], rtol=1e-6)
    assert json.load(open(os.path.join(part, "config.json")))["epochs"] == 4
    # the optimizer's other scheduled value (OneCycle cycles SGD's momentum) follows too
    ck = ember.load(os.path.join(part, "last.safetensors"))["optimizer"]["param_groups"][0]
    ref = ember.load(os.path.join(whole, "last.safetensors"))["optimizer"]["param_groups"][0]
    assert math.isclose(ck["momentum"], ref["momentum"]) and math.isclose(ck["lr"], ref["lr"])


def test_resume_refuses_changes_and_fewer_epochs(data, tmp_path, capsys):
    run = cli.run(["train", "--epochs", "2", "--out", str(tmp_path / "r")] + SMALL)
    before = open(os.path.join(run, "config.json")).read()
    for argv, says in [(["--lr", "0.1"], "--lr 0.1 (the run has 0.001)"),
                       (["--hidden", "64"], "--hidden 64 (the run has [256, 128])"),
                       (["--optimizer", "sgd"], "--optimizer sgd"),
                       (["lenet5"], "the model lenet5"),
                       (["--epochs", "1"], "--epochs 1: " + run + " has already trained 2")]:
        with pytest.raises(SystemExit) as e:
            cli.main(["train", "--resume", run, "--quiet"] + argv)
        err = capsys.readouterr().err
        assert e.value.code == 2 and says in err and err.count("\n") == 1, err
    assert open(os.path.join(run, "config.json")).read() == before
    # the same values again, and the flags that change nothing, are accepted
    cli.run(["train", "--resume", run, "--lr", "0.001", "--device", "cpu", "--quiet",
             "--test-limit", "20"])
    assert "nothing more to train" in capsys.readouterr().out


def test_the_log_agrees_with_the_checkpoint_after_a_resume(data, tmp_path):
    """An interrupt between the checkpoint and the log (either order of old) is repaired."""
    run = cli.run(["train", "logistic", "--epochs", "2", "--out", str(tmp_path / "r")] + SMALL)
    lines = open(os.path.join(run, "metrics.jsonl")).read().splitlines(True)
    with open(os.path.join(run, "metrics.jsonl"), "w") as f:  # a row logged twice
        f.writelines(lines + lines[-1:])
    with open(os.path.join(run, "metrics.csv"), "a") as f:
        f.write("2,9,9,9,9,9\n")
    cli.run(["train", "--resume", run, "--epochs", "3", "--quiet"])
    assert [r["epoch"] for r in _metrics(run)] == [1, 2, 3]
    assert [line.split(",")[0] for line in open(os.path.join(run, "metrics.csv"))][1:] == \
        ["1", "2", "3"]


# ---------------------------------------------------------------- 3. Ctrl-C

DRIVER = r"""
import os, signal, sys
from ember import cli
from ember.train import trainer as T
point = os.environ["POINT"]

def sigint():
    os.kill(os.getpid(), signal.SIGINT)

if point == "data":
    real = cli._dataset
    def dataset(*a, **k):
        sigint()
        return real(*a, **k)
    cli._dataset = dataset
elif point.startswith("batch:"):
    _, e, b = point.split(":")
    real = T.Trainer._call
    def call(self, name, *args):
        real(self, name, *args)
        if name == "on_batch_end" and self.epoch == int(e) and self.batch == int(b):
            sigint()
    T.Trainer._call = call
elif point.startswith("log:"):  # after the epoch's checkpoint, before its metrics row
    real = T.MetricsLogger.on_epoch_end
    def log(self, trainer, epoch, logs):
        if epoch == int(point[4:]):
            sigint()
        real(self, trainer, epoch, logs)
    T.MetricsLogger.on_epoch_end = log
elif point.startswith("step:"):  # generative runs: at their global step N
    from ember.train import generative as G
    real = G._step
    def step(name, mods, opts, x, n, latent):
        if n == int(point[5:]):
            sigint()
        return real(name, mods, opts, x, n, latent)
    G._step = step
elif point == "test":
    real = cli._evaluate_test
    def test(*a, **k):
        sigint()
        return real(*a, **k)
    cli._evaluate_test = test
sys.exit(cli.main(sys.argv[1:]))
"""


def _interrupted(data, tmp_path, point, *argv, model="mlp"):
    out = tmp_path / f"runs-{point.replace(':', '-')}"
    flags = ["--limit", "64", "--quiet"] if model == "vae" else SMALL
    r = subprocess.run([sys.executable, "-c", DRIVER, "train", model, "--epochs", "3", "--out",
                        str(out), *flags, *argv], capture_output=True, text=True, timeout=300,
                       env=_env(data, POINT=point))
    assert r.returncode == 130, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ember: interrupted"), r.stderr
    return out, lines[0]


@pytest.mark.parametrize("point", ["data", "batch:1:2"])
def test_ctrl_c_before_the_first_epoch_is_saved_removes_the_run(data, tmp_path, point):
    out, line = _interrupted(data, tmp_path, point)
    assert "nothing was trained" in line and "removed" in line
    assert not out.exists() or not list(out.iterdir())


@pytest.mark.parametrize("point,saved", [("batch:3:2", 2), ("log:2", 2)])
@pytest.mark.slow
def test_ctrl_c_mid_run_resumes_to_the_uninterrupted_result(data, tmp_path, point, saved):
    whole = cli.run(["train", "--epochs", "3", "--dropout", "0.2", "--out",
                     str(tmp_path / "whole")] + SMALL)
    out, line = _interrupted(data, tmp_path, point, "--dropout", "0.2")
    run = _only_run(out)
    assert f"keeps epoch {saved}" in line and f"--resume {run}" in line
    assert ember.load(str(run / "last.safetensors"))["epoch"] == saved
    # evaluate and predict work on the interrupted folder
    assert 0 <= cli.run(["evaluate", str(run), "--quiet"])["accuracy"] <= 1
    cli.run(["train", "--resume", str(run), "--quiet"])
    assert [r["epoch"] for r in _metrics(run)] == [1, 2, 3]
    a, b = _weights(whole), _weights(run)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


@pytest.mark.slow
def test_ctrl_c_in_a_generative_run(data, tmp_path):
    whole = cli.run(["train", "vae", "--epochs", "3", "--limit", "64", "--batch-size", "32",
                     "--quiet", "--out", str(tmp_path / "whole")])
    out, line = _interrupted(data, tmp_path, "step:3", "--batch-size", "32", model="vae")
    run = _only_run(out)
    assert "in epoch 2" in line and "keeps epoch 1" in line
    cli.run(["train", "--resume", str(run), "--quiet"])
    assert [r["epoch"] for r in _metrics(run)] == [1, 2, 3]
    a = ember.load(os.path.join(whole, "last.safetensors"))["models"]["model"]
    b = ember.load(str(run / "last.safetensors"))["models"]["model"]
    for k in a:
        np.testing.assert_array_equal(a[k].numpy(), b[k].numpy(), err_msg=k)


def test_ctrl_c_during_the_test_evaluation(data, tmp_path):
    out, line = _interrupted(data, tmp_path, "test")
    run = _only_run(out)
    assert "evaluating the test set" in line and f"ember evaluate {run}" in line
    assert not (run / "test.json").exists() and (run / "last.safetensors").exists()


# ---------------------------------------------------------------- 4. argument validation

BAD = [
    (["--epochs", "0"], "--epochs: expected an integer >= 1, got '0'"),
    (["--epochs", "-1"], "--epochs: expected an integer >= 1"),
    (["--batch-size", "0"], "--batch-size: expected an integer >= 1"),
    (["--lr", "nan"], "--lr: expected a number > 0, got 'nan'"),
    (["--lr", "inf"], "--lr: expected a number > 0"),
    (["--lr", "0"], "--lr: expected a number > 0"),
    (["--limit", "-5"], "--limit: expected an integer >= 1"),
    (["--limit", "0"], "--limit: expected an integer >= 1"),
    (["--val-size", "-10"], "--val-size: expected an integer >= 0"),
    (["--clip-grad-norm", "-1"], "--clip-grad-norm: expected a number > 0"),
    (["--hidden", ""], "--hidden: expected comma-separated sizes >= 1"),
    (["--hidden", "256,0"], "--hidden: expected comma-separated sizes >= 1"),
    (["--dropout", "1"], "--dropout: expected a number >= 0 and < 1"),
    (["--momentum", "-0.5"], "--momentum: expected a number >= 0 and < 1"),
    (["--weight-decay", "-0.01"], "--weight-decay: expected a number >= 0"),
    (["--seed", "-1"], "--seed: expected an integer >= 0"),
    (["--test-limit", "0"], "--test-limit: expected an integer >= 1"),
    (["--early-stopping", "3", "--val-size", "0"], "--early-stopping needs validation"),
    (["--momentum", "0.5", "--optimizer", "adam"], "--momentum: used by --optimizer sgd"),
    (["lenet5", "--hidden", "64"], "--hidden: not used by lenet5"),
    (["vae", "--scheduler", "cosine"], "--scheduler: not used by vae"),
    (["mlp", "--latent", "8"], "--latent: not used by mlp"),
    (["lenet5", "--dataset", "cifar10"], "lenet5 expects 28x28 images"),
    (["charlm", "--hidden", "64,64"], "charlm takes one size"),
    (["--optimizer", "lion"], "--optimizer: invalid choice: 'lion'"),
]


@pytest.mark.parametrize("argv,says", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_flags_are_refused_before_anything_loads(tmp_path, monkeypatch, capsys, argv, says):
    monkeypatch.setenv("EMBER_DATA", str(tmp_path / "no-data"))
    monkeypatch.setattr(cli, "_dataset", lambda *a: pytest.fail("data loaded"))
    with pytest.raises(SystemExit) as e:
        cli.main(["train", *argv, "--out", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert e.value.code == 2 and says in err and err.count("\n") == 1, err
    assert not (tmp_path / "runs").exists() and not (tmp_path / "no-data").exists()


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "NAdam",
                                  "RAdam", "Adamax", "Adadelta", "LBFGS"])
def test_optimizers_refuse_a_nan_learning_rate(name):
    p = [ember.nn.Parameter(ember.zeros(2))]
    for lr in (float("nan"), -1.0):
        with pytest.raises(ValueError, match="Invalid learning rate"):
            getattr(ember.optim, name)(p, lr=lr)


@pytest.mark.parametrize("optimizer", ["adagrad", "sgd", "rmsprop", "adam"])
def test_onecycle_works_with_every_optimizer_offered(data, tmp_path, optimizer):
    run = cli.run(["train", "logistic", "--epochs", "1", "--optimizer", optimizer,
                   "--scheduler", "onecycle", "--out", str(tmp_path / optimizer)] + SMALL)
    assert math.isfinite(_metrics(run)[0]["train_loss"])


def test_help_shows_every_default(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split("options:", 1)[1].split())
    train = cli.make_parser()._subparsers._group_actions[0].choices["train"]
    for action in train._actions:
        if not action.option_strings or action.dest in ("help", "debug") or \
                action.default is False:  # switches: off unless given
            continue
        entry = cli._Help("ember")._get_help_string(action)
        assert "default" in entry, (action.option_strings, entry)
        assert " ".join(entry.split()).replace("%%", "%") in text
    for flag, default in [("epochs", "10"), ("batch-size", "128"), ("optimizer", "adam"),
                          ("val-size", "5000"), ("out", "runs"), ("seq-len", "64"),
                          ("hidden", "256,128")]:
        assert f"default: {default}" in text.split(f" --{flag} {flag.upper().replace('-', '_')}"
                                                     if flag != "optimizer" else
                                                     " --optimizer {", 1)[1][:300], flag


# ---------------------------------------------------------------- 5. one-line errors

def _cli(data, *argv, **env):
    return subprocess.run([sys.executable, "-m", "ember.cli", *argv], capture_output=True,
                          text=True, timeout=300, env=_env(data, **env))


def _one_line_failure(r, *says):
    assert r.returncode == 1, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    for s in says:
        assert s in lines[0], lines[0]


@pytest.mark.slow
def test_failures_are_one_line_and_debug_shows_the_traceback(data, tmp_path):
    run = cli.run(["train", "logistic", "--epochs", "1", "--out", str(tmp_path / "r")] + SMALL)
    _one_line_failure(_cli(data, "evaluate", str(tmp_path / "nope")), "no such run folder")
    _one_line_failure(_cli(data, "predict", str(tmp_path), "x.png"), "not a run folder")
    _one_line_failure(_cli(data, "train", "--resume", str(tmp_path / "nope")),
                      "no such run folder")
    best = os.path.join(run, "best.safetensors")
    with open(best, "r+b") as f:
        f.truncate(100)
    _one_line_failure(_cli(data, "evaluate", run), best, "cannot read the checkpoint")
    (tmp_path / "bad.png").write_bytes(b"not an image")
    _one_line_failure(_cli(data, "predict", run, str(tmp_path / "bad.png"), "--checkpoint",
                           "last"), "bad.png: cannot read the image")
    (tmp_path / "file").write_text("x")
    _one_line_failure(_cli(data, "train", "--out", str(tmp_path / "file" / "sub"), "--quiet"),
                      "--out", "cannot create")
    r = _cli(data, "evaluate", run, "--debug")
    assert r.returncode == 1 and "Traceback" in r.stderr
    r = _cli(data, "evaluate", run, EMBER_DEBUG="1")
    assert "Traceback" in r.stderr


DISK_FULL = r"""
import errno, sys
import ember.serialization as S
def full(path, payload):
    raise OSError(errno.ENOSPC, "No space left on device", str(path))
S.atomic_write_bytes = full
from ember import cli
sys.exit(cli.main(sys.argv[1:]))
"""

NO_NETWORK = r"""
import sys, urllib.error, urllib.request
def offline(*a, **k):
    raise urllib.error.URLError("Temporary failure in name resolution")
urllib.request.urlopen = offline
from ember import cli
sys.exit(cli.main(sys.argv[1:]))
"""


def test_disk_full_and_no_network_are_one_line(data, tmp_path):
    r = subprocess.run([sys.executable, "-c", DISK_FULL, "train", "--out", str(tmp_path / "r"),
                        *SMALL], capture_output=True, text=True, timeout=300, env=_env(data))
    _one_line_failure(r, "no space left on the device", "config.json")
    assert not list((tmp_path / "r").iterdir())  # the run folder, holding nothing, is gone
    r = subprocess.run([sys.executable, "-c", NO_NETWORK, "data", "fetch", "cifar10", "--data",
                        str(tmp_path / "c")], capture_output=True, text=True, timeout=300,
                       env=_env(data))
    _one_line_failure(r, "could not download", "no offline source",
                      str(tmp_path / "c" / "downloads"))


# ---------------------------------------------------------------- 6, 7. which checkpoint, once

@pytest.mark.slow
def test_train_and_evaluate_agree_and_say_which_checkpoint(data, tmp_path, capsys,
                                                          monkeypatch):
    calls = []
    real = cli._dataset
    monkeypatch.setattr(cli, "_dataset", lambda name, train, root: calls.append(train) or
                        real(name, train, root))
    run = cli.run(["train", "--epochs", "3", "--test-limit", "60", "--out",
                   str(tmp_path / "v")] + SMALL)
    out = capsys.readouterr().out
    test = json.load(open(os.path.join(run, "test.json")))
    assert calls == [True, False] and test["images"] == 60  # the test split read once
    assert test["checkpoint"] == "best" and 1 <= test["epoch"] <= 3
    assert f"best checkpoint (epoch {test['epoch']} of 3" in out
    res = cli.run(["evaluate", run, "--limit", "60", "--quiet"])
    assert res["accuracy"] == test["accuracy"] and res["label"] == test["label"]
    assert f"test error {1 - test['accuracy']:.2%}" in capsys.readouterr().out
    # without validation there is no best, and nothing is called so
    run = cli.run(["train", "logistic", "--epochs", "1", "--val-size", "0", "--limit", "100",
                   "--quiet", "--out", str(tmp_path / "nv")])
    out = capsys.readouterr().out
    assert "last checkpoint (epoch 1; the run had no validation" in out and "best" not in \
        out.split("test error")[1].replace("no best", "")
    res = cli.run(["evaluate", run])
    assert res["checkpoint"] == "last"
    assert "(best)" not in capsys.readouterr().out


@pytest.mark.slow
def test_the_test_limit_defaults_to_the_limit_and_shows_a_bar(data, tmp_path):
    r = _cli(data, "train", "logistic", "--epochs", "1", "--limit", "50", "--out",
             str(tmp_path / "r"))
    assert r.returncode == 0, r.stderr
    assert "on 50 test images" in r.stdout and "evaluate" in r.stderr  # tqdm writes stderr


# ---------------------------------------------------------------- 8, 9. the dataset cache

@pytest.fixture
def fashion(tmp_path, monkeypatch):
    """FashionMNIST whose offline source (Debian's folder) is a folder of fake IDX files."""
    deb = tmp_path / "debian"
    write_fake_mnist(str(tmp_path / "src"))
    os.makedirs(deb)
    for name in os.listdir(tmp_path / "src" / "MNIST" / "raw"):
        os.replace(tmp_path / "src" / "MNIST" / "raw" / name, deb / name)
    monkeypatch.setattr(ember.datasets.FashionMNIST, "debian_folder", str(deb))
    monkeypatch.setattr(ember.datasets.FashionMNIST, "mirrors", [])
    return tmp_path / "cache"


def test_a_corrupt_cache_file_is_set_aside_and_fetched_again(fashion):
    ds = ember.datasets.FashionMNIST(str(fashion), train=True, download=True)
    good = ds.data.numpy().copy()
    path = os.path.join(ds.raw_folder, "train-images-idx3-ubyte.gz")
    with open(path, "r+b") as f:
        f.truncate(200)
    with pytest.raises(RuntimeError, match="fetch.*--force"):
        ember.datasets.FashionMNIST(str(fashion), train=True)
    ds = ember.datasets.FashionMNIST(str(fashion), train=True, download=True)
    np.testing.assert_array_equal(ds.data.numpy(), good)
    assert os.path.getsize(path + ".corrupt") == 200
    mask = os.umask(0)
    os.umask(mask)
    for name in os.listdir(ds.raw_folder):
        if name.endswith(".gz"):
            assert os.stat(os.path.join(ds.raw_folder, name)).st_mode & 0o777 == 0o666 & ~mask


def test_data_fetch_force(fashion, capsys):
    cli.run(["data", "fetch", "fashion-mnist", "--data", str(fashion)])
    raw = fashion / "FashionMNIST" / "raw"
    with open(raw / "t10k-labels-idx1-ubyte.gz", "r+b") as f:
        f.truncate(10)
    cli.run(["data", "fetch", "fashion-mnist", "--data", str(fashion), "--force"])
    out = capsys.readouterr().out
    assert "set aside" in out and "ready in" in out
    assert (raw / "t10k-labels-idx1-ubyte.gz.old").exists()
    assert len(ember.datasets.FashionMNIST(str(fashion), train=False)) == 100


def test_cifar_repairs_a_damaged_batch_from_its_archive(tmp_path, monkeypatch):
    import io
    import pickle
    import tarfile

    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            raw = pickle.dumps({b"data": rng.integers(0, 255, (4, 3072), dtype=np.uint8),
                                b"labels": [0, 1, 2, 3]}, protocol=2)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    os.makedirs(tmp_path / "downloads")
    (tmp_path / "downloads" / "cifar-10-python.tar.gz").write_bytes(buf.getvalue())
    monkeypatch.setattr(ember.datasets.CIFAR10, "archive", ("cifar-10-python.tar.gz", None))
    ds = ember.datasets.CIFAR10(str(tmp_path), train=True, download=True)
    assert len(ds) == 20
    batch = tmp_path / "cifar-10-batches-py" / "data_batch_3"
    batch.write_bytes(b"garbage")
    assert len(ember.datasets.CIFAR10(str(tmp_path), train=True, download=True)) == 20
    assert (tmp_path / "cifar-10-batches-py.corrupt" / "data_batch_3").read_bytes() == b"garbage"


# ---------------------------------------------------------------- 10. the small ones

def test_trainer_refuses_an_empty_loader():
    model = ember.nn.Linear(2, 2)
    t = Trainer(model, ember.optim.SGD(model.parameters(), lr=0.1))
    empty = DataLoader(TensorDataset(ember.zeros(0, 2), ember.zeros(0, dtype=ember.int64)),
                       batch_size=4)
    with pytest.raises(ValueError, match="no batches"):
        t.evaluate(empty)
    with pytest.raises(ValueError, match="no batches"):
        t.fit(empty, epochs=1)


def test_regression_reports_only_the_loss():
    ember.manual_seed(0)
    x = ember.randn(64, 3)
    y = x @ ember.tensor([[1.0], [-2.0], [0.5]])
    model = ember.nn.Linear(3, 1)
    t = Trainer(model, ember.optim.Adam(model.parameters(), lr=0.05),
                loss_fn=ember.nn.functional.mse_loss)
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    hist = t.fit(loader, loader, epochs=20)
    assert "val_accuracy" not in hist[-1] and hist[-1]["val_loss"] < hist[0]["val_loss"]
    assert set(t.evaluate(loader)) == {"loss"}


class _Dicts(Dataset):
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return {"image": self.x[i], "label": self.y[i]}


def test_dict_batches():
    ember.manual_seed(0)
    x = ember.randn(64, 4)
    y = (x[:, 0] > 0).long()
    model = ember.nn.Linear(4, 2)
    t = Trainer(model, ember.optim.Adam(model.parameters(), lr=0.1))
    loader = DataLoader(_Dicts(x, y), batch_size=16)
    hist = t.fit(loader, loader, epochs=5)
    assert hist[-1]["val_accuracy"] > 0.8
    assert t.predict(loader).shape == (64, 2)
    with pytest.raises(ValueError, match="target under one of"):
        t.evaluate([{"image": x}])


def test_predict_warns_about_an_inverted_image(data, tmp_path, capsys):
    from PIL import Image

    run = cli.run(["train", "logistic", "--epochs", "1", "--out", str(tmp_path / "r")] + SMALL)
    a = np.full((28, 28), 250, np.uint8)  # a dark bar on white paper
    a[8, 4:24] = 10
    Image.fromarray(a).save(tmp_path / "paper.png")
    capsys.readouterr()
    cli.run(["predict", run, str(tmp_path / "paper.png")])
    assert "add --invert" in capsys.readouterr().err
    cli.run(["predict", run, str(tmp_path / "paper.png"), "--invert"])
    assert "--invert" not in capsys.readouterr().err


def test_load_names_unsupported_dtypes_and_reads_torch_files(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    save_file({"w": torch.ones(2, dtype=torch.float8_e4m3fn)}, str(tmp_path / "f8.safetensors"))
    with pytest.raises(RuntimeError, match="dtype F8_E4M3, unsupported by ember"):
        ember.load(str(tmp_path / "f8.safetensors"))
    torch.save({"w": torch.ones(2)}, str(tmp_path / "m.pt"))
    assert ember.load(str(tmp_path / "m.pt"))["w"].tolist() == [1.0, 1.0]
    (tmp_path / "p.pkl").write_bytes(b"\x80\x02}q\x00.")  # a bare pickle: not a torch file
    with pytest.raises(RuntimeError, match=r"p\.pkl.*pickle"):
        ember.load(str(tmp_path / "p.pkl"))


def test_a_header_length_starting_like_a_pickle_still_loads(tmp_path):
    """A safetensors header of 0x..80 bytes begins with the byte pickles begin with."""
    for pad in range(300):
        path = str(tmp_path / "x.safetensors")
        ember.save({"x": ember.ones(2), "pad": "a" * pad}, path)
        if open(path, "rb").read(1) == b"\x80":
            break
    else:
        pytest.fail("no header length ending in 0x80 found")
    assert ember.load(path)["pad"] == "a" * pad


def test_text_corpus_refuses_a_path_that_does_not_exist(tmp_path):
    from ember.datasets import TextCorpus

    with pytest.raises(FileNotFoundError, match="no such file: 'missing/path.txt'"):
        TextCorpus("missing/path.txt")
    with pytest.raises(FileNotFoundError):
        TextCorpus(str(tmp_path / "corpus.txt"))
    assert TextCorpus("plain words, not a path", level="char", valid_fraction=0.0).vocab_size > 5


@pytest.mark.slow
def test_a_run_in_training_cannot_be_resumed_twice(data, tmp_path, capsys):
    from ember.train.runs import lock_run

    run = cli.run(["train", "logistic", "--epochs", "1", "--out", str(tmp_path / "r")] + SMALL)
    held = lock_run(run)  # as a training process holds it
    try:
        assert cli.main(["train", "--resume", run, "--epochs", "2", "--quiet"]) != 0
    except SystemExit as e:
        assert "is being trained by another process" in str(e.code)
    finally:
        held.close()
    assert [r["epoch"] for r in _metrics(run)] == [1]
    cli.run(["train", "--resume", run, "--epochs", "2", "--quiet"])  # free again
    assert [r["epoch"] for r in _metrics(run)] == [1, 2]


def test_a_new_metric_column_rewrites_the_csv(tmp_path):
    """A run resumed by an ember that logs one more metric keeps a well-formed CSV."""
    import csv

    from ember.train.trainer import write_metrics

    t, loader = _scripted(tmp_path, [1.0, 0.9, 0.8])
    t.fit(loader, loader, epochs=2)
    old = [{k: v for k, v in h.items() if k != "train_accuracy"} for h in t.history]
    write_metrics(str(tmp_path), old)  # as an older version wrote them
    t2, _ = _scripted(tmp_path, [1.0, 0.9, 0.8])
    t2.load_checkpoint(str(tmp_path / "last.safetensors"))
    t2.history = old
    t2.fit(loader, loader, epochs=3)
    rows = list(csv.DictReader(open(tmp_path / "metrics.csv")))
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]
    assert rows[2]["train_accuracy"] != "" and rows[0]["train_accuracy"] == ""
