"""The Trainer: fit / evaluate / predict with callbacks, metrics logs and resumable checkpoints.

A convenience over the plain PyTorch-style loop, not a requirement: everything it
does is ``model(x)``, ``loss.backward()``, ``optimizer.step()``.
"""
from __future__ import annotations

import csv
import json
import math
import os
import time

import numpy as np

from .. import backend, nn
from .._grad_mode import no_grad
from ..serialization import load, save
from ..tensor import Tensor

__all__ = ["Trainer", "Callback", "ProgressBar", "MetricsLogger", "Checkpoint", "EarlyStopping"]


class Callback:
    """Hooks called by the Trainer; override what you need."""

    def on_fit_start(self, trainer):
        pass

    def on_epoch_start(self, trainer, epoch):
        pass

    def on_batch_end(self, trainer, step_loss, batch_size):
        pass

    def on_epoch_end(self, trainer, epoch, logs: dict):
        pass

    def on_fit_end(self, trainer):
        pass


class ProgressBar(Callback):
    """A tqdm bar per epoch with the running loss and throughput (``quiet`` prints one line)."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.bar = None

    def on_epoch_start(self, trainer, epoch):
        self.t0, self.seen, self.loss_sum = time.time(), 0, 0.0
        if not self.quiet:
            from tqdm import tqdm  # noqa: PLC0415 - only where a bar is shown

            self.bar = tqdm(total=trainer.steps_per_epoch, desc=f"epoch {epoch}",
                            unit="batch", leave=True, dynamic_ncols=True)

    def on_batch_end(self, trainer, step_loss, batch_size):
        self.seen += batch_size
        self.loss_sum += step_loss * batch_size
        if self.bar is not None:
            rate = self.seen / max(time.time() - self.t0, 1e-9)
            self.bar.set_postfix(loss=f"{self.loss_sum / self.seen:.4f}",
                                 samples_s=f"{rate:.0f}", refresh=False)
            self.bar.update(1)

    def on_epoch_end(self, trainer, epoch, logs):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        parts = [f"{k} {v:.4f}" for k, v in logs.items() if isinstance(v, float)]
        print(f"epoch {epoch}: " + "  ".join(parts), flush=True)


class MetricsLogger(Callback):
    """Append each epoch's metrics to ``metrics.csv`` and ``metrics.jsonl`` in ``folder``."""

    def __init__(self, folder: str):
        self.folder = folder

    def on_epoch_end(self, trainer, epoch, logs):
        os.makedirs(self.folder, exist_ok=True)
        row = {"epoch": epoch, **logs}
        with open(os.path.join(self.folder, "metrics.jsonl"), "a") as f:
            f.write(json.dumps(row) + "\n")
        path = os.path.join(self.folder, "metrics.csv")
        new = not os.path.exists(path)
        with open(path, "a", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(row))
            if new:
                w.writeheader()
            w.writerow(row)


class Checkpoint(Callback):
    """Save ``last.safetensors`` every epoch and ``best.safetensors`` when ``monitor`` improves
    (atomic writes; model, optimizer, scheduler, epoch and RNG states: resumable)."""

    def __init__(self, folder: str, monitor: str = "val_loss", mode: str = "min"):
        self.folder, self.monitor, self.mode = folder, monitor, mode
        self.best = math.inf if mode == "min" else -math.inf

    def on_epoch_end(self, trainer, epoch, logs):
        os.makedirs(self.folder, exist_ok=True)
        trainer.save_checkpoint(os.path.join(self.folder, "last.safetensors"))
        v = logs.get(self.monitor)
        if v is not None and (v < self.best if self.mode == "min" else v > self.best):
            self.best = v
            trainer.save_checkpoint(os.path.join(self.folder, "best.safetensors"))


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs."""

    def __init__(self, monitor: str = "val_loss", patience: int = 3, mode: str = "min",
                 min_delta: float = 0.0):
        self.monitor, self.patience, self.mode, self.min_delta = monitor, patience, mode, min_delta
        self.best = math.inf if mode == "min" else -math.inf
        self.bad = 0

    def on_epoch_end(self, trainer, epoch, logs):
        v = logs.get(self.monitor)
        if v is None:
            return
        better = v < self.best - self.min_delta if self.mode == "min" else \
            v > self.best + self.min_delta
        if better:
            self.best, self.bad = v, 0
        else:
            self.bad += 1
            if self.bad >= self.patience:
                trainer.stop = True


class Trainer:
    """Train a classifier-style model.

    Args:
        model: the Module.
        optimizer: an ``ember.optim`` optimizer over the model's parameters.
        loss_fn: callable ``(output, target) -> scalar`` (default cross-entropy).
        scheduler: an LR scheduler stepped once per epoch (``ReduceLROnPlateau`` with
            the validation loss), or per batch when ``scheduler_per_batch``.
        callbacks: list of Callback.
        clip_grad_norm: clip the gradients' global 2-norm to this value.
        seed: seeds the shuffling generator.
        device: where to train (``"cpu"``, ``"cuda"``...): the model is moved there
            (build the optimizer after that, or pass a model already there) and each
            batch is copied there as it is used. Default: where the model's
            parameters are.
    """

    def __init__(self, model: nn.Module, optimizer, loss_fn=None, scheduler=None,
                 callbacks=None, clip_grad_norm: float | None = None,
                 scheduler_per_batch: bool = False, seed: int = 0, device=None):
        if device is None:
            p = next(iter(model.parameters()), None)
            device = p.device if p is not None else backend.CPU
        self.device = backend.as_device(device)
        model.to(self.device)
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.loss_fn = loss_fn or nn.functional.cross_entropy
        self.callbacks = list(callbacks or [])
        self.clip_grad_norm, self.scheduler_per_batch = clip_grad_norm, scheduler_per_batch
        self.generator = backend.Generator().manual_seed(seed)
        self.seed = seed
        self.epoch = 0
        self.history: list[dict] = []
        self.stop = False
        self.steps_per_epoch = 0

    # -- loops -------------------------------------------------------------------
    def _call(self, name, *args):
        for cb in self.callbacks:
            getattr(cb, name)(self, *args)

    def _to_device(self, t):
        if isinstance(t, Tensor) and t.device != self.device:
            return t.to(self.device, non_blocking=True)
        return t

    def train_epoch(self, loader) -> float:
        self.model.train()
        total, n = 0.0, 0
        for x, y in loader:
            x, y = self._to_device(x), self._to_device(y)
            out = self.model(x)
            loss = self.loss_fn(out, y)
            self.optimizer.zero_grad()
            loss.backward()
            if self.clip_grad_norm:
                nn.utils.clip_grad_norm_(self.model.parameters(), self.clip_grad_norm)
            self.optimizer.step()
            if self.scheduler is not None and self.scheduler_per_batch:
                self.scheduler.step()
            b = y.shape[0] if isinstance(y, Tensor) and y.ndim else 1
            v = loss.item()
            total += v * b
            n += b
            self._call("on_batch_end", v, b)
        return total / max(n, 1)

    def evaluate(self, loader, topk=(1,)) -> dict:
        """Mean loss and top-k accuracy over ``loader``, in eval mode and without a graph."""
        self.model.eval()
        total, n, targets = 0.0, 0, 0
        correct = {k: 0 for k in topk}
        with no_grad():
            for x, y in loader:
                out = self.model(self._to_device(x))
                b = y.shape[0]
                total += self.loss_fn(out, self._to_device(y)).item() * b
                n += b
                targets += y.numel()  # (N,) class labels, or (N, d...) per-position targets
                order = np.argsort(-out.cpu().numpy(), axis=1)
                yy = y.cpu().numpy()[:, None]
                for k in topk:
                    correct[k] += int((order[:, :k] == yy).any(axis=1).sum())
        res = {"loss": total / max(n, 1)}
        for k in topk:
            res["accuracy" if k == 1 else f"top{k}_accuracy"] = correct[k] / max(targets, 1)
        return res

    def predict(self, loader):
        """Stacked model outputs over ``loader`` (batches of ``x`` or ``(x, y)``)."""
        from .. import ops  # noqa: PLC0415

        self.model.eval()
        outs = []
        with no_grad():
            for batch in loader:
                x = batch[0] if isinstance(batch, (tuple, list)) else batch
                outs.append(self.model(self._to_device(x)))
        return ops.cat(outs)

    def confusion_matrix(self, loader, num_classes: int) -> np.ndarray:
        """counts[true, predicted] over ``loader``."""
        m = np.zeros((num_classes, num_classes), dtype=np.int64)
        self.model.eval()
        with no_grad():
            for x, y in loader:
                pred = self.model(self._to_device(x)).argmax(1).cpu().numpy()
                np.add.at(m, (y.cpu().numpy(), pred), 1)
        return m

    def fit(self, train_loader, val_loader=None, epochs: int = 1) -> list[dict]:
        """Train until epoch ``epochs`` (continuing from ``self.epoch`` after a resume)."""
        self.steps_per_epoch = len(train_loader)
        self._call("on_fit_start")
        while self.epoch < epochs and not self.stop:
            self.epoch += 1
            if self.device.type == "cuda":
                # A GPU generator's state cannot be saved (CuPy cannot export it), so each
                # epoch's GPU stream is seeded from (seed, epoch): a resumed run draws the
                # same dropout masks as an uninterrupted one.
                backend.generator_for(self.device).manual_seed(self.seed * 1_000_003 + self.epoch)
            self._call("on_epoch_start", self.epoch)
            t0 = time.time()
            logs = {"train_loss": self.train_epoch(train_loader)}
            if val_loader is not None:
                v = self.evaluate(val_loader)
                logs.update({f"val_{k}": val for k, val in v.items()})
            logs["lr"] = float(self.optimizer.param_groups[0]["lr"])
            logs["seconds"] = round(time.time() - t0, 3)
            if self.scheduler is not None and not self.scheduler_per_batch:
                from ..optim.lr_scheduler import ReduceLROnPlateau  # noqa: PLC0415

                if isinstance(self.scheduler, ReduceLROnPlateau):
                    self.scheduler.step(logs.get("val_loss", logs["train_loss"]))
                else:
                    self.scheduler.step()
            self.history.append({"epoch": self.epoch, **logs})
            self._call("on_epoch_end", self.epoch, logs)
        self._call("on_fit_end")
        return self.history

    # -- checkpoints -----------------------------------------------------------------
    def save_checkpoint(self, path: str) -> None:
        """Model, optimizer, scheduler, epoch, history and RNG states, written atomically."""
        state = {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                 "epoch": self.epoch, "history": self.history,
                 "rng": {"default": backend.get_rng_state(),
                         "shuffle": self.generator.get_state()}}
        if self.scheduler is not None:
            state["scheduler"] = self.scheduler.state_dict()
        save(state, path)

    def load_checkpoint(self, path: str) -> None:
        """Restore everything ``save_checkpoint`` wrote, so training continues identically."""
        state = load(path)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and "scheduler" in state:
            self.scheduler.load_state_dict(state["scheduler"])
        self.epoch = int(state["epoch"])
        self.history = [dict(h) for h in state["history"]]
        backend.set_rng_state(state["rng"]["default"])
        self.generator.set_state(state["rng"]["shuffle"])
