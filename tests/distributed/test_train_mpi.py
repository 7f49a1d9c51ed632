"""``ember train --nproc N`` and ``mpirun -n N ember train``: an MPI job of N processes on a
fake MNIST, rank 0 alone writing the run folder, metrics averaged over the processes,
resume with the same number of processes, Ctrl-C."""
from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import ember
import ember.distributed as dist
from ember.cli import main
from tests.fakes import write_fake_mnist


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    write_fake_mnist(str(root), train=300, test=100)
    return root


def _env(data):
    return dict(os.environ, EMBER_DATA=str(data), PYTHONPATH=os.getcwd(),
                OMPI_MCA_btl="self,vader,tcp", OMPI_MCA_plm_rsh_agent="false",
                OMP_NUM_THREADS="1")


def _ember(data, *argv, **kw):
    return subprocess.run([sys.executable, "-m", "ember.cli", *argv], capture_output=True,
                          text=True, timeout=240, env=_env(data), **kw)


def _needs_mpi():
    if shutil.which("mpirun") is None:
        pytest.skip("no mpirun here (.ci/run installs Debian's openmpi-bin)")
    if not dist.is_available():
        pytest.skip("mpi4py cannot load an MPI library here (pip install 'ember[mpi]')")


def _started(r):
    """Skip where mpirun is installed but cannot start a job in this environment."""
    if r.returncode != 0 and "ember" not in r.stderr and "Traceback" not in r.stderr:
        pytest.skip(f"mpirun could not start a job here: {r.stderr.strip()[-300:]}")


def _rows(run):
    with open(os.path.join(run, "metrics.csv")) as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_nproc_trains_one_run_with_metrics_of_all_processes(data, tmp_path):
    _needs_mpi()
    out = tmp_path / "runs"
    r = _ember(data, "train", "--nproc", "3", "--epochs", "2", "--batch-size", "30",
               "--val-size", "50", "--out", str(out), "--quiet")
    _started(r)
    assert r.returncode == 0, r.stdout + r.stderr
    (run,) = [str(p) for p in out.iterdir()]  # one folder, written by rank 0 alone
    assert r.stdout.count("3 processes (MPI)") == 1 and r.stdout.count("epoch 2:") == 1
    with open(os.path.join(run, "config.json")) as f:
        cfg = json.load(f)
    assert cfg["nproc"] == 3 and cfg["batch_size"] == 30
    assert not [f for f in os.listdir(run) if f.endswith(".tmp")]
    # the logged validation loss is the whole validation set's (each process evaluated a
    # third of its 50 images: 17, 17, 16), not one process's
    from ember.train.recipes import build_model, dataset, tensors

    model = build_model(cfg)
    model.load_state_dict(ember.load(os.path.join(run, "last.safetensors"))["model"])
    x, y = tensors(dataset("mnist", True, str(data)), "mnist", True, None)
    model.eval()
    with ember.no_grad():
        out_ = model(x[-50:])
        loss = float(ember.nn.functional.cross_entropy(out_, y[-50:]))
        acc = float((out_.argmax(1) == y[-50:]).float().mean())
    last = _rows(run)[-1]
    np.testing.assert_allclose(float(last["val_loss"]), loss, rtol=1e-5)
    np.testing.assert_allclose(float(last["val_accuracy"]), acc, rtol=1e-6)

    # resume: the same number of processes, or a clear refusal
    r = _ember(data, "train", "--resume", run, "--epochs", "3", "--nproc", "2", "--quiet")
    assert r.returncode == 2
    assert "trained with 3 processes, this job has 2; resume it with the same number " \
           "(--nproc 3)" in r.stderr
    r = _ember(data, "train", "--resume", run, "--epochs", "3", "--quiet")
    assert r.returncode == 2 and "--nproc 3" in r.stderr
    r = _ember(data, "train", "--resume", run, "--epochs", "3", "--nproc", "3", "--quiet")
    assert r.returncode == 0, r.stdout + r.stderr
    assert [row["epoch"] for row in _rows(run)] == ["1", "2", "3"]


@pytest.mark.slow
def test_mpirun_ember_train_is_the_same_job(data, tmp_path):
    """Started by the user's own mpirun (what multi-machine runs do): the same run."""
    _needs_mpi()
    flags = ["--oversubscribe"] + (["--allow-run-as-root"] if os.geteuid() == 0 else [])
    r = subprocess.run(["mpirun", *flags, "-n", "2", sys.executable, "-m", "ember.cli", "train",
                        "lenet5", "--epochs", "1", "--batch-size", "32", "--out",
                        str(tmp_path / "runs"), "--quiet"],
                       capture_output=True, text=True, timeout=240, env=_env(data))
    _started(r)
    assert r.returncode == 0, r.stdout + r.stderr
    (run,) = list((tmp_path / "runs").iterdir())
    assert json.loads((run / "config.json").read_text())["nproc"] == 2
    assert (run / "test.json").exists() and len(_rows(str(run))) == 1


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
@pytest.mark.slow
def test_ctrl_c_stops_every_process_and_says_how_to_resume(how, data, tmp_path):
    """Ctrl-C (SIGINT to the terminal's process group) or SIGTERM to `ember train --nproc`
    alone: every rank stops, none is left running, rank 0 says how to resume."""
    _needs_mpi()
    out = tmp_path / "runs"
    p = subprocess.Popen([sys.executable, "-m", "ember.cli", "train", "--nproc", "2",
                          "--epochs", "10000", "--batch-size", "30", "--out", str(out),
                          "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=_env(data), start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and p.poll() is None:  # until epoch 2 is saved
        runs = list(out.iterdir()) if out.exists() else []
        if runs and (runs[0] / "metrics.csv").exists() and len(_rows(str(runs[0]))) >= 2:
            break
        time.sleep(0.2)
    if p.poll() is not None:
        o, e = p.communicate()
        pytest.skip(f"the job ended before it could be interrupted: {e.strip()[-300:]}")
    if how == "ctrl-c":
        os.killpg(p.pid, signal.SIGINT)  # as a terminal's: every process of the group
    else:
        os.kill(p.pid, signal.SIGTERM)  # as a job scheduler's: the launcher alone
    o, e = p.communicate(timeout=60)
    assert p.returncode == (130 if how == "ctrl-c" else 128 + signal.SIGTERM), o + e
    (run,) = list(out.iterdir())
    assert f"`ember train --resume {run} --nproc 2` continues from there" in e, e
    assert e.count("ember: interrupted") == 1
    assert (run / "last.safetensors").exists()
    if shutil.which("pgrep"):  # no rank left running (their command lines name --out)
        left = None
        for _ in range(50):
            left = subprocess.run(["pgrep", "-f", str(out)], capture_output=True, text=True)
            if left.returncode == 1:
                break
            time.sleep(0.2)
        assert left.returncode == 1, f"processes left running: {left.stdout}"


@pytest.mark.parametrize("argv,says", [
    (["vae", "--nproc", "2"], "vae trains in one process"),
    (["--nproc", "2", "--batch-size", "33"], "--batch-size 33 is the global batch"),
])
@pytest.mark.slow
def test_what_several_processes_cannot_do_is_refused_before_launching(argv, says, capsys,
                                                                      tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["train", *argv, "--out", str(tmp_path)])
    assert exc.value.code == 2 and says in capsys.readouterr().err
    assert not os.listdir(tmp_path)
