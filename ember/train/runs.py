"""Run folders of ``ember train``: creating one, its config and checkpoints, which checkpoint
a figure comes from, resuming, and the ``Status`` the command reports when it is interrupted
or fails."""
from __future__ import annotations

import json
import os

from .recipes import reschedule

__all__ = ["Status", "lock_run", "new_run_folder", "write_config", "read_config", "load_checkpoint",
           "checkpoint_label", "run_status", "fit_with_notes", "resume_trainer", "one_line"]


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

    @classmethod
    def release(cls):
        if cls.lock is not None:
            cls.lock.close()
            cls.lock = None

    @classmethod
    def reset(cls):
        cls.release()
        cls.run, cls.created, cls.saved_epoch, cls.phase = None, False, None, "while starting"
        cls.lock, cls.nproc = None, 1


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
    f = open(os.path.join(run, ".lock"), "a+")  # noqa: SIM115 - held for the process's life
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.seek(0)
        holder = f.read().strip()
        f.close()
        raise SystemExit(f"ember: {run} is being trained by another process"
                         f"{f' (pid {holder})' if holder else ''}; wait for it to finish or "
                         "stop it first") from None
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
    """``(state, name, path)`` of a run's checkpoint: ``which`` ("best" or "last"); a run
    without validation has no best, and then its last is used (and named so)."""
    import ember  # noqa: PLC0415

    name = which
    path = os.path.join(run, f"{which}.safetensors")
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
    note = "" if os.path.exists(os.path.join(run, "best.safetensors")) else \
        "; the run had no validation, so no best"
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

    return RunStatus()


def fit_with_notes(trainer, loader, val, cfg, run):
    """trainer.fit, saying first when a resumed run has nothing left to train."""
    if trainer.stop:
        print(f"{run} stopped early at epoch {trainer.epoch} (no better val_loss for "
              f"{cfg['early_stopping']} epochs): nothing more to train")
    elif trainer.epoch >= cfg["epochs"]:
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
    print(f"resuming {run} after epoch {trainer.epoch} of {cfg['epochs']}")


def one_line(exc) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
