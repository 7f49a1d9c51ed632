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
from ..tensor import Tensor, _wrap

__all__ = ["Trainer", "Callback", "ProgressBar", "MetricsLogger", "Checkpoint", "EarlyStopping"]


class Callback:
    """Hooks called by the Trainer; override what you need.

    Callbacks run in the order given, except that those with a larger ``order`` run
    later: ``Checkpoint`` (100) saves after every other callback has updated its state,
    and ``MetricsLogger`` (200) logs an epoch only once its checkpoint is on disk.
    ``state_dict``/``load_state_dict`` carry a callback's state (best value so far,
    epochs without improvement...) in the Trainer's checkpoints, so a resumed run
    continues it.
    """

    order = 0

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass

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

    def on_interrupt(self, trainer):
        """Ctrl-C (KeyboardInterrupt) during ``fit``; the Trainer re-raises it afterwards."""


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

    def on_interrupt(self, trainer):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def on_epoch_end(self, trainer, epoch, logs):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        from .runs import short  # noqa: PLC0415

        parts = [f"{k} {short(v)}" for k, v in logs.items() if isinstance(v, float)]
        print(f"epoch {epoch}: " + "  ".join(parts), flush=True)


class MetricsLogger(Callback):
    """Append each epoch's metrics to ``metrics.csv`` and ``metrics.jsonl`` in ``folder``.

    It runs after ``Checkpoint`` (``order`` 200), so a logged epoch is always a saved one;
    when a fit starts from a restored checkpoint it rewrites both files from the
    checkpoint's history, so the logs and the checkpoint agree after any interruption.
    """

    order = 200

    def __init__(self, folder: str):
        self.folder = folder

    def on_fit_start(self, trainer):
        if trainer.history:
            write_metrics(self.folder, trainer.history)

    def on_epoch_end(self, trainer, epoch, logs):
        os.makedirs(self.folder, exist_ok=True)
        row = {"epoch": epoch, **logs}
        path = os.path.join(self.folder, "metrics.csv")
        new = not os.path.exists(path)
        if not new and trainer is not None and trainer.history:
            with open(path, newline="") as f:
                header = next(csv.reader(f), [])
            if header != list(row):  # a new column (e.g. a run resumed by a newer ember)
                write_metrics(self.folder, trainer.history)
                return
        with open(os.path.join(self.folder, "metrics.jsonl"), "a") as f:
            f.write(json.dumps(row) + "\n")
        with open(path, "a", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(row))
            if new:
                w.writeheader()
            w.writerow(row)


def write_metrics(folder: str, history: list) -> None:
    """Write ``metrics.jsonl`` and ``metrics.csv`` afresh from ``history`` (atomically)."""
    import io  # noqa: PLC0415

    from ..serialization import atomic_write_bytes  # noqa: PLC0415

    os.makedirs(folder, exist_ok=True)
    atomic_write_bytes(os.path.join(folder, "metrics.jsonl"),
                       "".join(json.dumps(dict(h)) + "\n" for h in history).encode())
    buf = io.StringIO(newline="")
    names: list = []
    for h in history:
        names += [k for k in h if k not in names]
    w = csv.DictWriter(buf, fieldnames=names)
    w.writeheader()
    for h in history:
        w.writerow(h)
    atomic_write_bytes(os.path.join(folder, "metrics.csv"), buf.getvalue().encode())


class Checkpoint(Callback):
    """Save ``last.safetensors`` every epoch and ``best.safetensors`` when ``monitor`` improves
    (atomic writes; model, optimizer, scheduler, epoch and RNG states: resumable)."""

    order = 100

    def __init__(self, folder: str, monitor: str = "val_loss", mode: str = "min"):
        self.folder, self.monitor, self.mode = folder, monitor, mode
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch = 0

    def state_dict(self):
        return {"best": self.best, "best_epoch": self.best_epoch}

    def load_state_dict(self, state):
        self.best, self.best_epoch = float(state["best"]), int(state["best_epoch"])

    def on_epoch_end(self, trainer, epoch, logs):
        os.makedirs(self.folder, exist_ok=True)
        v = logs.get(self.monitor)
        if v is not None and (v < self.best if self.mode == "min" else v > self.best):
            self.best, self.best_epoch = v, epoch
            # best before last: an interrupt between the two leaves ``last`` at the previous
            # epoch, whose resume repeats this one and writes ``best`` again.
            trainer.save_checkpoint(os.path.join(self.folder, "best.safetensors"))
        trainer.save_checkpoint(os.path.join(self.folder, "last.safetensors"))

    def on_interrupt(self, trainer):
        """Ctrl-C while an epoch whose training finished is being validated: keep that
        epoch in ``last`` (marked as not validated: ``fit`` validates it when it goes on)."""
        if trainer.pending is not None:
            os.makedirs(self.folder, exist_ok=True)
            trainer.save_checkpoint(os.path.join(self.folder, "last.safetensors"))


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs."""

    def __init__(self, monitor: str = "val_loss", patience: int = 3, mode: str = "min",
                 min_delta: float = 0.0):
        self.monitor, self.patience, self.mode, self.min_delta = monitor, patience, mode, min_delta
        self.best = math.inf if mode == "min" else -math.inf
        self.bad = 0

    def state_dict(self):
        return {"best": self.best, "bad": self.bad}

    def load_state_dict(self, state):
        self.best, self.bad = float(state["best"]), int(state["bad"])

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
        callbacks: list of Callback (run in their ``order``, then as given).
        clip_grad_norm: clip the gradients' global 2-norm to this value.
        seed: seeds the shuffling generator.
        device: where to train (``"cpu"``, ``"cuda"``...): the model is moved there
            (build the optimizer after that, or pass a model already there) and each
            batch is copied there as it is used. Default: where the model's
            parameters are.

    Batches are ``(x, y)`` pairs or dicts: a dict's target is under ``target``,
    ``targets``, ``label``, ``labels`` or ``y``, and the rest is the input (one
    entry: ``model(x)``; several: ``model(**rest)``).

    A model wrapped in ``nn.parallel.DistributedDataParallel`` trains on every process of
    an MPI job: give each process its share of the data (a ``DistributedSampler``, whose
    ``set_epoch`` the Trainer calls each epoch). The logged training loss and accuracy are
    then averaged over the processes, and so is the validation (each process evaluating its
    own part of ``val_loader``, weighted by its size), so every process takes the same
    decisions (early stopping, plateau schedules). Evaluation and checkpoints use the bare
    model (``trainer.net``): checkpoints load into an unwrapped model.

    Ctrl-C during ``fit`` abandons the current epoch: callbacks get
    ``on_interrupt``, ``self.epoch`` stays the last complete epoch (the one the
    checkpoints on disk hold; the model in memory keeps the partial epoch's
    updates), ``self.interrupted`` is set and the KeyboardInterrupt is re-raised.
    Ctrl-C while an epoch whose training finished is being validated keeps that epoch:
    ``self.epoch`` is that epoch, ``self.pending`` holds its training logs, ``Checkpoint``
    saves it as ``last`` (with ``pending``), and the next ``fit`` (after
    ``load_checkpoint`` or in the same Trainer) validates it first, then goes on: the
    result is the one of a run that was never interrupted.
    """

    TARGET_KEYS = ("target", "targets", "label", "labels", "y")

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
        self.callbacks = sorted(callbacks or [], key=lambda cb: getattr(cb, "order", 0))
        self.clip_grad_norm, self.scheduler_per_batch = clip_grad_norm, scheduler_per_batch
        self.generator = backend.Generator().manual_seed(seed)
        self.seed = seed
        self.epoch = 0
        self.batch = 0  # batches done in the current epoch
        self.history: list[dict] = []
        self.stop = False
        self.interrupted = False
        self.steps_per_epoch = 0
        self.train_accuracy = None
        self._validating = False
        self.pending: dict | None = None  # the logs of an epoch trained but not validated

    @property
    def net(self) -> nn.Module:
        """The model without its ``DistributedDataParallel`` wrapper, if it has one."""
        from ..nn.parallel import DistributedDataParallel  # noqa: PLC0415

        m = self.model
        return m.module if isinstance(m, DistributedDataParallel) else m

    def _sum_over_ranks(self, values):
        """``values`` summed over the processes when the model is distributed (else as
        they are): one all-reduce of a float64 vector."""
        if self.net is self.model:
            return values
        from .. import distributed as dist  # noqa: PLC0415

        t = _wrap(np.array(values, dtype=np.float64), False, None, 0)  # (Tensor() is float32)
        dist.all_reduce(t)
        return [float(v) for v in t._data]

    # -- loops -------------------------------------------------------------------
    def _call(self, name, *args):
        for cb in self.callbacks:
            getattr(cb, name)(self, *args)

    def _to_device(self, t):
        if isinstance(t, Tensor) and t.device != self.device:
            return t.to(self.device, non_blocking=True)
        return t

    def _split(self, batch):
        """(input, target) of a batch; the input is a tensor or a dict of keyword inputs."""
        if isinstance(batch, dict):
            key = next((k for k in self.TARGET_KEYS if k in batch), None)
            if key is None:
                raise ValueError(f"Trainer: a dict batch needs its target under one of "
                                 f"{list(self.TARGET_KEYS)}; got keys {sorted(batch)}")
            rest = {k: self._to_device(v) for k, v in batch.items() if k != key}
            if not rest:
                raise ValueError(f"Trainer: the dict batch holds only its target {key!r}")
            x = next(iter(rest.values())) if len(rest) == 1 else rest
            return x, self._to_device(batch[key])
        if isinstance(batch, (tuple, list)) and len(batch) == 2:
            return self._to_device(batch[0]), self._to_device(batch[1])
        raise ValueError(f"Trainer: a batch must be an (input, target) pair or a dict; got "
                         f"{type(batch).__name__}"
                         f"{f' of {len(batch)} items' if isinstance(batch, (tuple, list)) else ''}")

    def _forward(self, x, net=None):
        net = self.model if net is None else net
        return net(**x) if isinstance(x, dict) else net(x)

    @staticmethod
    def _batch_size(y):
        return y.shape[0] if isinstance(y, Tensor) and y.ndim else 1

    def train_epoch(self, loader) -> float:
        """One pass over ``loader``; returns the mean loss. With class-index targets it
        also counts the training accuracy (of each batch's prediction before its update:
        ``self.train_accuracy``, logged as ``train_accuracy``), else that is None."""
        self.model.train()
        total, n = 0.0, 0
        correct, targets, classify = 0, 0, None
        self.batch = 0
        for batch in loader:
            x, y = self._split(batch)
            out = self._forward(x)
            loss = self.loss_fn(out, y)
            self.optimizer.zero_grad()
            loss.backward()
            if self.clip_grad_norm:
                nn.utils.clip_grad_norm_(self.model.parameters(), self.clip_grad_norm)
            self.optimizer.step()
            if self.scheduler is not None and self.scheduler_per_batch:
                self.scheduler.step()
            b = self._batch_size(y)
            v = loss.item()
            total += v * b
            n += b
            if classify is None:
                classify = isinstance(y, Tensor) and isinstance(out, Tensor) and \
                    y._data.dtype.kind in "iu" and out._data.ndim == y._data.ndim + 1
            if classify:  # on the raw arrays: a few microseconds a batch
                correct += int((out._data.argmax(1) == y._data).sum())
                targets += y._data.size
            self.batch += 1
            self._call("on_batch_end", v, b)
        if n == 0:
            raise ValueError("Trainer.fit: the training loader yielded no batches (an empty "
                             "dataset, or drop_last with fewer samples than a batch?)")
        total, n, correct, targets = self._sum_over_ranks([total, n, correct, targets])
        self.train_accuracy = correct / targets if classify else None
        return total / n

    def evaluate(self, loader, topk=(1,), progress: bool = False) -> dict:
        """Mean loss over ``loader``, in eval mode and without a graph; with class-index
        targets (integer) also the top-k accuracies (``accuracy``, ``top5_accuracy``...).
        ``progress`` shows a progress bar."""
        return self.evaluate_outputs(loader, topk, progress, self._validating)[0]

    def evaluate_outputs(self, loader, topk=(1,), progress: bool = False, _ranks=False):
        """``evaluate``'s metrics and the stacked outputs and targets (on the host): one
        pass for everything computed from predictions (confusion matrix, errors...).
        (``_ranks``: the metrics of every process's ``loader`` together, in ``fit``.)"""
        net = self.net
        net.eval()
        total, n, targets = 0.0, 0, 0
        correct = {k: 0 for k in topk}
        classify = None
        outs, ys = [], []
        bar = None
        if progress:
            from tqdm import tqdm  # noqa: PLC0415

            bar = tqdm(total=len(loader) if hasattr(loader, "__len__") else None,
                       desc="evaluate", unit="batch", leave=False, dynamic_ncols=True)
        try:
            with no_grad():
                for batch in loader:
                    x, y = self._split(batch)
                    out = self._forward(x, net)
                    b = self._batch_size(y)
                    total += self.loss_fn(out, y).item() * b
                    n += b
                    o, t = out.cpu().numpy(), y.cpu().numpy()
                    outs.append(o)
                    ys.append(t)
                    if classify is None:  # class indices against per-class scores
                        classify = t.dtype.kind in "iu" and o.ndim == t.ndim + 1
                    if classify:
                        targets += t.size  # (N,) labels, or (N, d...) per-position targets
                        order = np.argsort(-o, axis=1)
                        tt = t[:, None]
                        for k in topk:
                            correct[k] += int((order[:, :k] == tt).any(axis=1).sum())
                    if bar is not None:
                        bar.update(1)
        finally:
            if bar is not None:
                bar.close()
        if n == 0 and not _ranks:
            raise ValueError("Trainer.evaluate: the loader yielded no batches (an empty "
                             "dataset?)")
        if _ranks:
            total, n, targets, *hits = self._sum_over_ranks(
                [total, n, targets] + [correct[k] for k in topk])
            correct = dict(zip(topk, hits))
            classify = classify or (classify is None and targets > 0)
            if n == 0:
                raise ValueError("Trainer.evaluate: no process's loader yielded a batch")
        res = {"loss": total / n}
        if classify:
            for k in topk:
                res["accuracy" if k == 1 else f"top{k}_accuracy"] = correct[k] / targets
        if not outs:  # (this process's part of a distributed validation was empty)
            return res, np.zeros((0,)), np.zeros((0,))
        return res, np.concatenate(outs), np.concatenate(ys)

    def predict(self, loader):
        """Stacked model outputs over ``loader`` (batches of ``x``, ``(x, y)`` or dicts)."""
        from .. import ops  # noqa: PLC0415

        net = self.net
        net.eval()
        outs = []
        with no_grad():
            for batch in loader:
                if isinstance(batch, dict) or (isinstance(batch, (tuple, list)) and
                                               len(batch) == 2):
                    x = self._split(batch)[0]
                else:
                    x = self._to_device(batch[0] if isinstance(batch, (tuple, list)) else batch)
                outs.append(self._forward(x, net))
        return ops.cat(outs)

    def confusion_matrix(self, loader, num_classes: int) -> np.ndarray:
        """counts[true, predicted] over ``loader``."""
        m = np.zeros((num_classes, num_classes), dtype=np.int64)
        net = self.net
        net.eval()
        with no_grad():
            for batch in loader:
                x, y = self._split(batch)
                pred = self._forward(x, net).argmax(1).cpu().numpy()
                np.add.at(m, (y.cpu().numpy(), pred), 1)
        return m

    def fit(self, train_loader, val_loader=None, epochs: int = 1) -> list[dict]:
        """Train until epoch ``epochs`` (continuing from ``self.epoch`` after a resume)."""
        self.steps_per_epoch = len(train_loader)
        self.interrupted = False
        self._call("on_fit_start")
        try:
            if self.pending is not None:  # resumed from a checkpoint saved while validating
                self._end_epoch(val_loader, time.time())
            while self.epoch < epochs and not self.stop:
                self._fit_epoch(train_loader, val_loader)
        except KeyboardInterrupt:
            recorded = self.history and self.history[-1]["epoch"] == self.epoch
            if not recorded and self.pending is None:
                self.epoch -= 1  # not recorded: the last complete epoch is the one before
            self.interrupted = True
            self._call("on_interrupt")
            raise
        self._call("on_fit_end")
        return self.history

    def _fit_epoch(self, train_loader, val_loader):
        self.epoch += 1
        if self.device.type == "cuda":
            # A GPU generator's state cannot be saved (CuPy cannot export it), so each
            # epoch's GPU stream is seeded from (seed, epoch): a resumed run draws the
            # same dropout masks as an uninterrupted one.
            backend.generator_for(self.device).manual_seed(self.seed * 1_000_003 + self.epoch)
        sampler = getattr(train_loader, "sampler", None)
        if hasattr(sampler, "set_epoch"):  # DistributedSampler: a new shuffle each epoch
            sampler.set_epoch(self.epoch)
        self._call("on_epoch_start", self.epoch)
        t0 = time.time()
        logs = {"train_loss": self.train_epoch(train_loader)}
        if self.train_accuracy is not None:
            logs["train_accuracy"] = self.train_accuracy
        logs["seconds"] = round(time.time() - t0, 3)
        self.pending = logs  # trained, not yet validated (Checkpoint keeps it on Ctrl-C)
        self._end_epoch(val_loader, time.time())

    def _end_epoch(self, val_loader, t0):
        """Validate the epoch just trained (``self.pending``'s logs), step the scheduler,
        record the epoch and call ``on_epoch_end``."""
        logs = {k: v for k, v in self.pending.items() if k != "seconds"}
        trained = self.pending.get("seconds", 0.0)
        if val_loader is not None:
            self._validating = True  # (a distributed model: every process's part together)
            try:
                v = self.evaluate(val_loader)
            finally:
                self._validating = False
            logs.update({f"val_{k}": val for k, val in v.items()})
        logs["lr"] = float(self.optimizer.param_groups[0]["lr"])
        logs["seconds"] = round(trained + time.time() - t0, 3)
        if self.scheduler is not None and not self.scheduler_per_batch:
            from ..optim.lr_scheduler import ReduceLROnPlateau  # noqa: PLC0415

            if isinstance(self.scheduler, ReduceLROnPlateau):
                self.scheduler.step(logs.get("val_loss", logs["train_loss"]))
            else:
                self.scheduler.step()
        self.history.append({"epoch": self.epoch, **logs})
        self.pending = None
        self._call("on_epoch_end", self.epoch, logs)

    # -- checkpoints -----------------------------------------------------------------
    def save_checkpoint(self, path: str) -> None:
        """Model, optimizer, scheduler, epoch, history and RNG states, written atomically."""
        state = {"model": self.net.state_dict(), "optimizer": self.optimizer.state_dict(),
                 "epoch": self.epoch, "history": self.history, "stopped": self.stop,
                 "callbacks": self._callback_states(),
                 "rng": {"default": backend.get_rng_state(),
                         "shuffle": self.generator.get_state()}}
        if self.scheduler is not None:
            state["scheduler"] = self.scheduler.state_dict()
        if self.pending is not None:  # validation interrupted: redone when training goes on
            state["pending"] = self.pending
        save(state, path)

    def _callback_keys(self):
        """(key, callback) for each callback with state: its class name, numbered from the
        second of a class on (``EarlyStopping``, ``EarlyStopping.2``)."""
        seen: dict = {}
        for cb in self.callbacks:
            name = type(cb).__name__
            seen[name] = seen.get(name, 0) + 1
            yield (name if seen[name] == 1 else f"{name}.{seen[name]}"), cb

    def _callback_states(self) -> dict:
        return {k: st for k, cb in self._callback_keys() if (st := cb.state_dict())}

    def load_checkpoint(self, path: str) -> None:
        """Restore everything ``save_checkpoint`` wrote, so training continues identically."""
        state = load(path)
        self.net.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and "scheduler" in state:
            self.scheduler.load_state_dict(state["scheduler"])
        self.epoch = int(state["epoch"])
        self.history = [dict(h) for h in state["history"]]
        self.stop = bool(state.get("stopped", False))
        self.pending = dict(state["pending"]) if "pending" in state else None
        saved = state.get("callbacks", {})
        for key, cb in self._callback_keys():
            if key in saved:
                cb.load_state_dict(saved[key])
        backend.set_rng_state(state["rng"]["default"])
        self.generator.set_state(state["rng"]["shuffle"])
