"""A live training dashboard: a local web page over run folders.

``DashboardLogger`` (a Trainer callback) appends to ``dashboard.jsonl`` in the run folder,
each epoch: every parameter's mean gradient norm over the epoch, a histogram of its
weights, and the validation confusion matrix. ``serve(runs)`` serves a page (Python's
standard HTTP server; the charts are drawn by uPlot, shipped inside ember — nothing is
loaded from the internet) that reads the runs' ``metrics.jsonl``, ``dashboard.jsonl``,
``config.json`` and sample grids every two seconds: loss and accuracy curves for training
and validation, the learning rate, gradient norms per layer, weight histograms, the
confusion matrix and, for generative runs, the latest samples. Several runs are drawn in
the same charts, to compare them.

    ember train lenet5 --dashboard          # opens http://127.0.0.1:8765/ while it trains
    ember dashboard runs/A runs/B           # finished runs, side by side
"""
from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

from .trainer import Callback

__all__ = ["DashboardLogger", "serve", "start"]

STATIC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                      "dashboard_static")


class DashboardLogger(Callback):
    """Per-epoch gradient norms, weight histograms and the confusion matrix of ``val``
    (a loader of (x, class) batches, optional) into ``folder/dashboard.jsonl``."""

    order = 210  # after the metrics row of the epoch

    def __init__(self, folder: str, val=None, num_classes: int | None = None, bins: int = 30):
        self.folder, self.val, self.num_classes, self.bins = folder, val, num_classes, bins
        self._sums: dict = {}
        self._count = 0

    def on_fit_start(self, trainer):
        path = os.path.join(self.folder, "dashboard.jsonl")
        if trainer.history and os.path.exists(path):  # a resume: keep the saved epochs only
            keep = [line for line in open(path, encoding="utf-8")
                    if json.loads(line)["epoch"] <= trainer.epoch]
            from ..serialization import atomic_write_bytes  # noqa: PLC0415

            atomic_write_bytes(path, "".join(keep).encode())

    def on_epoch_start(self, trainer, epoch):
        self._sums, self._count = {}, 0

    def on_batch_end(self, trainer, step_loss, batch_size):
        self._count += 1
        for name, p in trainer.net.named_parameters():
            if p.grad is not None:
                g = p.grad._data
                self._sums[name] = self._sums.get(name, 0.0) + float((g * g).sum()) ** 0.5

    def on_epoch_end(self, trainer, epoch, logs):
        row = {"epoch": epoch,
               "grad_norms": {k: v / max(self._count, 1) for k, v in self._sums.items()},
               "weights": {}}
        for name, p in trainer.net.named_parameters():
            if p.ndim < 2:  # biases and norm scales: the weight matrices tell the story
                continue
            counts, edges = np.histogram(p.detach().cpu().numpy(), bins=self.bins)
            row["weights"][name] = {"counts": counts.tolist(),
                                    "edges": [float(e) for e in edges]}
        if self.val is not None:
            _, out, truth = trainer.evaluate_outputs(self.val)
            if out.ndim == 2 and truth.ndim == 1:
                k = self.num_classes or out.shape[1]
                cm = np.zeros((k, k), dtype=np.int64)
                np.add.at(cm, (truth, out.argmax(1)), 1)
                row["confusion"] = cm.tolist()
        with open(os.path.join(self.folder, "dashboard.jsonl"), "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")


def _jsonl(path):
    rows = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    rows.append(json.loads(line))
                except ValueError:  # a line being written right now
                    break
    except OSError:
        pass
    return rows


def _run_data(run):
    cfg = {}
    try:
        with open(os.path.join(run, "config.json"), encoding="utf-8") as f:
            cfg = json.load(f)
    except (OSError, ValueError):
        pass
    images = sorted(n for n in os.listdir(run) if n.endswith(".png")) if os.path.isdir(run) \
        else []
    return {"name": os.path.basename(os.path.normpath(run)), "config": cfg,
            "metrics": _jsonl(os.path.join(run, "metrics.jsonl")),
            "dashboard": _jsonl(os.path.join(run, "dashboard.jsonl")), "images": images}


def _handler(runs):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet: the training's output stays readable
            pass

        def _send(self, body: bytes, kind: str, code: int = 200):
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # noqa: N802 - http.server's name
            path = self.path.split("?", 1)[0]
            if path in ("/", "/index.html"):
                return self._send(_static("dashboard.html"), "text/html; charset=utf-8")
            if path.startswith("/static/"):
                name = path[len("/static/"):]
                kinds = {".js": "text/javascript", ".css": "text/css"}
                ext = os.path.splitext(name)[1]
                if "/" in name or ext not in kinds:
                    return self._send(b"not found", "text/plain", 404)
                return self._send(_static(name), kinds[ext])
            if path == "/api/runs":
                return self._send(json.dumps([_run_data(r) for r in runs]).encode(),
                                  "application/json")
            parts = path.strip("/").split("/")
            if len(parts) == 3 and parts[0] == "runs" and parts[1].isdigit() and \
                    int(parts[1]) < len(runs) and parts[2].endswith(".png") and \
                    "/" not in parts[2] and not parts[2].startswith("."):
                file = os.path.join(runs[int(parts[1])], parts[2])
                if os.path.isfile(file):
                    with open(file, "rb") as f:
                        return self._send(f.read(), "image/png")
            return self._send(b"not found", "text/plain", 404)

    return Handler


def _static(name):
    with open(os.path.join(STATIC, name), "rb") as f:
        return f.read()


def start(runs, host: str = "127.0.0.1", port: int = 8765, any_free: bool = True):
    """Serve ``runs`` (folders) in a background thread; returns (server, url). Port 0 takes
    a free port; so does a port in use when ``any_free`` (else its OSError is raised)."""
    runs = [os.path.abspath(r) for r in runs]
    try:
        server = ThreadingHTTPServer((host, port), _handler(runs))
    except OSError:
        if not any_free:
            raise
        server = ThreadingHTTPServer((host, 0), _handler(runs))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://{host}:{server.server_address[1]}/"


def serve(runs, host: str = "127.0.0.1", port: int = 8765, any_free: bool = True):
    """Serve ``runs`` until Ctrl-C (``ember dashboard RUN...``); ``any_free`` as in
    ``start``."""
    server, url = start(runs, host, port, any_free)
    busy = port and server.server_address[1] != port
    print(f"dashboard: {url}{f' (port {port} is in use)' if busy else ''}  (Ctrl-C to stop)",
          flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return url
