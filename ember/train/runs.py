"""Run folders of ``ember train``: creating one, its config and checkpoints, which checkpoint
a figure comes from, resuming, and the ``Status`` the command reports when it is interrupted
or fails."""
from __future__ import annotations

import json
import math
import os
import signal

from .recipes import reschedule

__all__ = ["Status", "lock_run", "new_run_folder", "write_config", "read_config", "load_checkpoint",
           "checkpoint_label", "run_status", "fit_with_notes", "resume_trainer", "one_line",
           "Diverged", "stop_on_divergence", "short", "Terminated", "terminate_like_ctrl_c",
           "load_model_state"]


class Status:
    """What a running command has done, for the line printed when it is interrupted or
    fails: the run folder, whether this command created it, the last saved epoch, and
    what it was doing."""

    run: str | None = None
    created = False
    saved_epoch: int | None = None
    phase = "while starting"
    lock = None  # the run folder's lock file, held while the command runs
    nproc = 1  # processes of the training (a resume needs as many)
    validating = False  # interrupted while validating an epoch whose training finished

    @classmethod
    def release(cls):
        if cls.lock is not None:
            try:  # (still holding the lock: no other process can be between its open and
                os.remove(cls.lock.name)  # lock of this file; lock_run checks the inode)
            except OSError:
                pass
            cls.lock.close()
            cls.lock = None

    @classmethod
    def reset(cls):
        cls.release()
        cls.run, cls.created, cls.saved_epoch, cls.phase = None, False, None, "while starting"
        cls.lock, cls.nproc, cls.validating = None, 1, False


def new_run_folder(base: str) -> str:
    """Create and return a folder of its own for a run: ``base``, or ``base-2``, ``base-3``...
    when runs start in the same second (mkdir is atomic: two runs never share one)."""
    parent = os.path.dirname(os.path.abspath(base))
    try:
        os.makedirs(parent, exist_ok=True)
    except OSError as exc:
        raise SystemExit(f"ember: --out {parent}: cannot create the folder "
                         f"({exc.strerror or exc})") from None
    for k in range(1, 10_000):
        run = base if k == 1 else f"{base}-{k}"
        try:
            os.mkdir(run)
            return run
        except FileExistsError:
            continue
        except OSError as exc:
            raise SystemExit(f"ember: --out {parent}: cannot create a run folder there "
                             f"({exc.strerror or exc})") from None
    raise SystemExit(f"ember: could not create a run folder next to {base}")


def lock_run(run: str):
    """Hold ``run`` for this process (an advisory lock on ``run/.lock``, released when the
    process ends): a second ``ember train --resume`` of a run in training is refused
    instead of writing the same files. Returns the open lock file (keep it)."""
    try:
        import fcntl  # noqa: PLC0415
    except ImportError:  # no advisory locks on this system
        return None
    path = os.path.join(run, ".lock")
    while True:
        f = open(path, "a+")  # noqa: SIM115 - held for the process's life
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.seek(0)
            holder = f.read().strip()
            f.close()
            raise SystemExit(f"ember: {run} is being trained by another process"
                             f"{f' (pid {holder})' if holder else ''}; wait for it to finish "
                             "or stop it first") from None
        try:  # the holder removes the file when it is done: lock the file that is there now
            same = os.stat(path).st_ino == os.fstat(f.fileno()).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        f.close()
    f.seek(0)
    f.truncate()
    f.write(str(os.getpid()))
    f.flush()
    return f


def write_config(run: str, cfg: dict) -> None:
    from ember.serialization import atomic_write_bytes  # noqa: PLC0415

    atomic_write_bytes(os.path.join(run, "config.json"), json.dumps(cfg, indent=2).encode())


def read_config(run: str) -> dict:
    """A run folder's config.json, or a one-line error saying what is wrong with ``run``."""
    if not os.path.isdir(run):
        raise SystemExit(f"ember: {run}: no such run folder")
    path = os.path.join(run, "config.json")
    try:
        with open(path, encoding="utf-8") as f:
            cfg = json.load(f)
    except FileNotFoundError:
        raise SystemExit(f"ember: {run}: not a run folder (no config.json)") from None
    except (OSError, ValueError) as exc:
        raise SystemExit(f"ember: {path}: unreadable ({exc})") from None
    if not isinstance(cfg, dict) or "model" not in cfg:
        raise SystemExit(f"ember: {path}: not an ember run config (no model)")
    return cfg


def load_checkpoint(run: str, which: str = "best"):
    """``(state, name, path)`` of a run's checkpoint: ``which`` ("best" or "last", or the
    path of a checkpoint file); a run without validation has no best, and then its last is
    used (and named so)."""
    import ember  # noqa: PLC0415

    name = which
    path = os.path.join(run, f"{which}.safetensors")
    if which not in ("best", "last"):  # a checkpoint file given by its path
        path, name = which, os.path.basename(which)
    if which == "best" and not os.path.exists(path):
        name, path = "last", os.path.join(run, "last.safetensors")
    if not os.path.exists(path):
        raise SystemExit(f"ember: {run}: no checkpoint yet ({os.path.basename(path)} is "
                         "missing): the run has not finished an epoch")
    try:
        return ember.load(path), name, path
    except (OSError, RuntimeError, ValueError) as exc:
        raise SystemExit(f"ember: {path}: cannot read the checkpoint ({one_line(exc)}); "
                         "the file is damaged") from None


def checkpoint_label(name, state, cfg, run) -> str:
    epoch = int(state["epoch"])
    if name == "best":
        return f"best checkpoint (epoch {epoch} of {cfg['epochs']}: lowest val_loss)"
    if name not in ("best", "last"):
        return f"checkpoint {name} (epoch {epoch})"
    note = ""
    if "pending" in state:
        note = ", not validated: its validation was interrupted"
    if not os.path.exists(os.path.join(run, "best.safetensors")):
        validated = any("val_loss" in h for h in state.get("history", []))
        note += ("; no best: no epoch had a finite val_loss" if validated else
                 "; no best: the run has no validated epoch yet" if "pending" in state else
                 "; the run had no validation, so no best")
    return f"last checkpoint (epoch {epoch}{note})"


def run_status():
    """A Trainer callback (after Checkpoint, before MetricsLogger) keeping ``Status``."""
    from ember.train import Callback  # noqa: PLC0415

    class RunStatus(Callback):
        order = 150

        def on_epoch_start(self, trainer, epoch):
            Status.phase = f"in epoch {epoch}"

        def on_epoch_end(self, trainer, epoch, logs):
            Status.saved_epoch = epoch
            Status.phase = f"after epoch {epoch} was saved"

        def on_interrupt(self, trainer):
            if trainer.pending is not None:  # (Checkpoint, before this, saved it)
                Status.saved_epoch = trainer.epoch
                Status.phase = f"while validating epoch {trainer.epoch}"
                Status.validating = True

    return RunStatus()


def short(v) -> str:
    """A number as the epoch lines print it: 4 decimals in the usual range, else 4
    significant digits in exponent form (1e+308, 2.5e-06)."""
    if isinstance(v, float) and v != 0 and math.isfinite(v) and not 1e-4 <= abs(v) < 1e6:
        return f"{v:.4g}"
    return f"{v:.4f}" if isinstance(v, float) else str(v)


class Diverged(Exception):
    """The training's loss became NaN or infinite: training stopped there."""

    def __init__(self, what, value, epoch, step, lr, hint):
        self.epoch, self.hint = epoch, hint
        where = f"epoch {epoch}, step {step}" if step else f"epoch {epoch}"
        super().__init__(f"training diverged: the {what} is {value} at {where} (lr "
                         f"{short(float(lr))})")


def divergence_hint(cfg) -> str:
    """What to try after a diverged run, by what the model's training offers."""
    lr = short(float(cfg["lr"]))
    if cfg["model"] in ("autoencoder", "vae", "gan", "dcgan", "wgan-gp"):
        return f"start a new run with a lower --lr than {lr}"
    clip = cfg.get("clip_grad_norm") or (1.0 if cfg["model"] == "charlm" else None)
    more = f"a smaller --clip-grad-norm than {short(float(clip))}" if clip else \
        "--clip-grad-norm 1.0 (gradient clipping)"
    return f"start a new run with a lower --lr than {lr} or {more}"


def stop_on_divergence(cfg):
    """A Trainer callback (before Checkpoint: a non-finite epoch is never saved) raising
    ``Diverged`` at the first non-finite training or validation loss."""
    from ember.train import Callback, ProgressBar  # noqa: PLC0415

    class StopOnDivergence(Callback):
        order = 50

        def _stop(self, trainer, what, value, step):
            for cb in trainer.callbacks:  # (the bar ends before the line is printed)
                if isinstance(cb, ProgressBar):
                    cb.on_interrupt(trainer)
            raise Diverged(what, value, trainer.epoch, step,
                           trainer.optimizer.param_groups[0]["lr"], divergence_hint(cfg))

        def on_batch_end(self, trainer, step_loss, batch_size):
            if not math.isfinite(step_loss):
                self._stop(trainer, "training loss", step_loss, trainer.batch)

        def on_epoch_end(self, trainer, epoch, logs):
            for key in ("train_loss", "val_loss"):
                v = logs.get(key)
                if v is not None and not math.isfinite(v):
                    what = "validation loss" if key == "val_loss" else "training loss"
                    self._stop(trainer, what, v, None)

    return StopOnDivergence()


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process is: handled as Ctrl-C is."""


def terminate_like_ctrl_c():
    """In the main thread of a single process: SIGTERM raises ``Terminated`` (a
    KeyboardInterrupt) instead of ending the process where it is. Returns a function
    restoring the previous handler."""
    def handler(signum, frame):
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError):  # not the main thread
        return lambda: None
    return lambda: signal.signal(signal.SIGTERM, previous)


def load_model_state(module, state, path, cfg, what="model"):
    """``module.load_state_dict(state)``, or a one-line error naming the checkpoint file
    when it holds another model's weights than the run's config.json says."""
    try:
        module.load_state_dict(state)
    except (RuntimeError, KeyError, ValueError, TypeError) as exc:
        detail = one_line(exc).split(". ")[0][:200]
        raise SystemExit(f"ember: {path}: not a checkpoint of this run's {cfg.get('model')} "
                         f"{what} (config.json): its weights do not fit ({detail}); was "
                         "the file copied from another run?") from None


def fit_with_notes(trainer, loader, val, cfg, run):
    """trainer.fit, saying first when a resumed run has nothing left to train."""
    if trainer.stop:
        print(f"{run} stopped early at epoch {trainer.epoch} (no better val_loss for "
              f"{cfg['early_stopping']} epochs): nothing more to train")
    elif trainer.epoch >= cfg["epochs"] and trainer.pending is None:
        print(f"{run} has trained its {trainer.epoch} epochs: nothing more to train (give "
              "--epochs N to train longer)")
    trainer.fit(loader, val, epochs=cfg["epochs"])
    if trainer.stop and trainer.epoch < cfg["epochs"]:
        print(f"early stopping after epoch {trainer.epoch}: no better val_loss for "
              f"{cfg['early_stopping']} epochs")
    Status.phase = "while evaluating the test set"


def resume_trainer(trainer, run, cfg, opt, sched, steps, planned):
    path = os.path.join(run, "last.safetensors")
    try:
        trainer.load_checkpoint(path)
    except (OSError, RuntimeError, ValueError, KeyError) as exc:
        raise SystemExit(f"ember: {path}: cannot resume from it ({one_line(exc)})") from None
    if cfg["epochs"] != planned:
        reschedule(cfg, opt, sched, steps, trainer.epoch)
    more = "" if trainer.pending is None else \
        " (its validation was interrupted: validating it first)"
    print(f"resuming {run} after epoch {trainer.epoch} of {cfg['epochs']}{more}")


def one_line(exc) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
