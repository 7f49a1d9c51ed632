"""The training dashboard end to end: a real run with --dashboard, its data API, and the
page in a real headless browser (Debian's chromium; skipped, saying so, without it)."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from ember import cli
from ember.train import dashboard
from tests.fakes import write_fake_mnist

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or \
    shutil.which("google-chrome")


def _browser(url, *args):
    r = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-dev-shm-usage", "--virtual-time-budget=5000", *args, url],
                       capture_output=True, text=True, timeout=180)
    if r.returncode != 0 and not r.stdout:
        pytest.skip(f"chromium is installed but could not run here: {r.stderr.strip()[-300:]}")
    return r


@pytest.fixture
def data(tmp_path):
    write_fake_mnist(str(tmp_path / "data"), train=300, test=100)
    return tmp_path / "data"


@pytest.mark.slow
def test_train_with_the_dashboard_in_a_browser(data, tmp_path):
    env = dict(os.environ, EMBER_DATA=str(data))
    p = subprocess.Popen([sys.executable, "-m", "ember.cli", "train", "lenet5", "--epochs", "3",
                          "--limit", "200", "--val-size", "40", "--dashboard", "--port", "0",
                          "--quiet", "--out", str(tmp_path / "runs")], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
    try:
        url, out = None, []
        deadline = time.time() + 240
        while time.time() < deadline:
            line = p.stdout.readline()
            if not line:
                break
            out.append(line)
            m = re.search(r"dashboard: (http://\S+)", line)
            url = url or (m and m.group(1))
            if "training done" in line:
                break
        assert url and "training done" in "".join(out), "".join(out) + p.stderr.read()
        runs = json.load(urllib.request.urlopen(url + "api/runs", timeout=30))
        (run,) = runs
        assert [m["epoch"] for m in run["metrics"]] == [1, 2, 3]
        last = run["dashboard"][-1]
        assert [d["epoch"] for d in run["dashboard"]] == [1, 2, 3]
        assert "conv1.weight" in last["grad_norms"] and "conv1.weight" in last["weights"]
        assert sum(map(sum, last["confusion"])) == 40 and "misclassified.png" in run["images"]
        png = urllib.request.urlopen(url + "runs/0/misclassified.png", timeout=30).read()
        assert png[:4] == b"\x89PNG"
        if CHROMIUM is None:
            pytest.skip("no chromium here (.ci/run installs Debian's chromium): the page was "
                        "not checked in a browser")
        dom = _browser(url, "--dump-dom").stdout
        assert re.search(r'id="loss" data-points="3" data-series="2"', dom), dom[:2000]
        assert re.search(r'id="accuracy" data-points="3"', dom)
        assert re.search(r'id="grads-0" data-points="3" data-series="10"', dom)
        assert 'id="cm-0" data-epoch="3"' in dom and "<svg" in dom
        run_dir = tmp_path / "runs" / run["name"]
        shot = run_dir / "dashboard.png"
        _browser(url, "--window-size=1280,2400", f"--screenshot={shot}")
        assert shot.read_bytes()[:4] == b"\x89PNG" and shot.stat().st_size > 20_000
    finally:
        p.send_signal(signal.SIGINT)
        rest, err = p.communicate(timeout=60)
    assert p.returncode == 0 and "dashboard stopped" in rest, err


def test_dashboard_command_serves_runs_side_by_side_and_nothing_else(data, tmp_path,
                                                                      monkeypatch):
    monkeypatch.setenv("EMBER_DATA", str(data))
    a = cli.run(["train", "logistic", "--epochs", "2", "--limit", "100", "--quiet", "--out",
                 str(tmp_path / "r")])
    b = cli.run(["train", "logistic", "--epochs", "1", "--limit", "100", "--quiet", "--lr",
                 "0.01", "--out", str(tmp_path / "r")])
    server, url = dashboard.start([a, b], port=0)
    try:
        runs = json.load(urllib.request.urlopen(url + "api/runs", timeout=30))
        assert [len(r["metrics"]) for r in runs] == [2, 1]
        assert runs[1]["config"]["lr"] == 0.01
        page = urllib.request.urlopen(url, timeout=30).read().decode()
        assert "/static/uPlot.iife.min.js" in page and "http" not in page.split("<script>")[0]
        assert urllib.request.urlopen(url + "static/uPlot.iife.min.js", timeout=30).read()
        for bad in ("runs/0/../config.json", "runs/5/loss.png", "static/../cli.py",
                    "runs/0/.hidden.png"):
            with pytest.raises(urllib.error.HTTPError):
                urllib.request.urlopen(url + bad, timeout=30)
    finally:
        server.shutdown()
    with pytest.raises(SystemExit, match="no such run folder"):
        cli.run(["dashboard", str(tmp_path / "nope")])


def test_resumed_run_keeps_the_dashboard_log_in_step(data, tmp_path, monkeypatch):
    monkeypatch.setenv("EMBER_DATA", str(data))
    monkeypatch.setattr(cli, "_linger", lambda url: None)  # no waiting for Ctrl-C here
    run = cli.run(["train", "logistic", "--epochs", "2", "--limit", "100", "--val-size", "20",
                   "--quiet", "--dashboard", "--port", "0", "--out", str(tmp_path / "r")])
    log = os.path.join(run, "dashboard.jsonl")
    with open(log, "a") as f:  # an epoch logged after the checkpoint it belongs to was lost
        f.write(json.dumps({"epoch": 3, "grad_norms": {}, "weights": {}}) + "\n")
    cli.run(["train", "--resume", run, "--epochs", "3", "--quiet", "--dashboard", "--port",
             "0"])
    assert [json.loads(line)["epoch"] for line in open(log)] == [1, 2, 3]
