"""``ember train charlm`` and ``ember sample``: a character-level language model from a text.

The text (Debian's ``fortunes`` by default, or ``--text FILE``) is split into train,
validation and test parts; training reads non-overlapping windows of ``--seq-len``
characters (each starting from a zero state) in shuffled batches, with the Trainer's
progress bar, metrics, checkpoints and plots. Validation and test losses are reported in
bits per character. The run folder also keeps the vocabulary (``vocab.json``), so ``ember
sample RUN`` can write text from the trained model.
"""
from __future__ import annotations

import json
import math
import os

from .. import nn
from ..datasets import TextCorpus
from ..models import CharLM
from ..utils.data import DataLoader, TensorDataset
from .trainer import Callback

__all__ = ["WindowLM", "train", "sample"]
LOG2 = math.log(2)


class WindowLM(nn.Module):
    """A CharLM over batches of windows (N, T) for the Trainer: logits (N, vocab, T), the
    layout cross_entropy takes for per-position targets (N, T)."""

    def __init__(self, lm: CharLM):
        super().__init__()
        self.lm = lm

    def forward(self, x):
        logits, _ = self.lm(x.t())
        return logits.permute(1, 2, 0)


class BitsPerChar(Callback):
    """Adds ``val_bpc`` (validation loss in bits per character) to each epoch's logs."""

    def on_epoch_end(self, trainer, epoch, logs):
        if "val_loss" in logs:
            logs["val_bpc"] = logs["val_loss"] / LOG2


def _windows(ids, seq_len, limit=None):
    n = (ids.shape[0] - 1) // seq_len
    if limit:
        n = min(n, limit)
    if n <= 0:
        raise SystemExit(f"ember: the text part has {ids.shape[0]} characters, fewer than one "
                         f"window of --seq-len {seq_len} + 1")
    x = ids[:n * seq_len].reshape(n, seq_len)
    y = ids[1:n * seq_len + 1].reshape(n, seq_len)
    return TensorDataset(x, y)


def corpus_for(text_path, data_root):
    if text_path:
        if not os.path.isfile(text_path):
            raise SystemExit(f"ember: --text {text_path}: "
                             f"{'a folder' if os.path.isdir(text_path) else 'no such file'}")
        with open(text_path, "rb") as f:
            raw = f.read()
        try:
            text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
        except UnicodeDecodeError as exc:
            raise SystemExit(f"ember: --text {text_path}: not UTF-8 text (byte "
                             f"0x{raw[exc.start]:02x} at offset {exc.start}); give a UTF-8 "
                             "text file") from None
        if "\0" in text:
            raise SystemExit(f"ember: --text {text_path}: not a text file (it holds NUL "
                             "bytes: binary data)")
        return TextCorpus(text + "\n", level="char", valid_fraction=0.05, test_fraction=0.05)
    try:
        return TextCorpus.fortunes(data_root)
    except RuntimeError as exc:
        raise SystemExit(f"ember: {exc}") from None


def build(cfg, vocab_size):
    lm = CharLM(vocab_size, cfg["embed"], cfg["hidden"][0] if cfg["hidden"] else 256,
                num_layers=cfg["layers"], cell=cfg["cell"], dropout=cfg["dropout"],
                max_len=max(cfg["seq_len"], 16))
    return WindowLM(lm)


def train(args, cfg, run, device, resume, planned=None):
    """Train a char LM as ``ember train charlm`` asks; returns the run folder."""
    import ember  # noqa: PLC0415

    from . import Checkpoint, EarlyStopping, MetricsLogger, ProgressBar, Trainer  # noqa
    from .plots import plot_history  # noqa: PLC0415
    from .recipes import build_optimizer, build_scheduler  # noqa: PLC0415
    from .runs import (  # noqa
        Status,
        checkpoint_label,
        fit_with_notes,
        load_checkpoint,
        resume_trainer,
        run_status,
    )

    Status.phase = "while loading the text"
    corpus = corpus_for(cfg.get("text"), args.data)
    vocab_path = os.path.join(run, "vocab.json")
    if resume:
        with open(vocab_path, encoding="utf-8") as f:
            if json.load(f) != corpus.itos:
                raise SystemExit(f"ember: --resume {run}: the text's vocabulary differs from "
                                 "the run's (train on the same text to resume)")
    else:
        with open(vocab_path, "w", encoding="utf-8") as f:
            json.dump(corpus.itos, f)
    ember.manual_seed(cfg["seed"])
    model = build(cfg, corpus.vocab_size).to(device)
    opt = build_optimizer(cfg, model.parameters())
    train_set = _windows(corpus.train, cfg["seq_len"], cfg["limit"])
    loader = DataLoader(train_set, batch_size=cfg["batch_size"], shuffle=True,
                        generator=ember.Generator().manual_seed(cfg["seed"]))
    val = DataLoader(_windows(corpus.valid, cfg["seq_len"]), batch_size=256)
    sched, per_batch = build_scheduler(cfg, opt, len(loader))
    callbacks = [BitsPerChar(), ProgressBar(quiet=args.quiet), MetricsLogger(run),
                 Checkpoint(run), run_status()]
    if getattr(args, "dashboard", False):
        from .dashboard import DashboardLogger  # noqa: PLC0415

        callbacks.append(DashboardLogger(run))
    if cfg["early_stopping"]:
        callbacks.append(EarlyStopping(patience=cfg["early_stopping"]))
    trainer = Trainer(model, opt, scheduler=sched, scheduler_per_batch=per_batch,
                      callbacks=callbacks, clip_grad_norm=cfg["clip_grad_norm"] or 1.0,
                      seed=cfg["seed"], device=device)
    loader.generator = trainer.generator
    if resume:
        resume_trainer(trainer, run, cfg, opt, sched, len(loader), planned or cfg["epochs"])
    src = cfg.get("text") or "Debian's fortunes"
    print(f"ember: training a character-level {cfg['cell']} language model on {src} "
          f"({corpus.train.shape[0]:,} training characters, {len(train_set):,} windows of "
          f"{cfg['seq_len']}, vocabulary {corpus.vocab_size}) -> {run}")
    fit_with_notes(trainer, loader, val, cfg, run)
    state, name, _ = load_checkpoint(run, "best")
    model.load_state_dict(state["model"])
    test_set = _windows(corpus.test, cfg["seq_len"], args.test_limit)
    test = trainer.evaluate(DataLoader(test_set, batch_size=256), progress=not args.quiet)
    label = checkpoint_label(name, state, cfg, run)
    result = {"test_bits_per_char": test["loss"] / LOG2, "test_accuracy": test["accuracy"],
              "checkpoint": name, "epoch": int(state["epoch"]), "label": label,
              "windows": len(test_set)}
    from ..serialization import atomic_write_bytes  # noqa: PLC0415

    atomic_write_bytes(os.path.join(run, "test.json"), json.dumps(result, indent=2).encode())
    plot_history(trainer.history, os.path.join(run, "loss.png"))
    text = to_line_end(model.lm, corpus.encode("\n").tolist(), corpus.itos, 200, 0.8)
    print(f"test: {result['test_bits_per_char']:.3f} bits per character on {len(test_set):,} "
          f"windows, {label}; run folder {run}\nsample:\n{text}", end="")
    return run


def sample(args):
    """``ember sample RUN``: text from a trained char LM."""
    import ember  # noqa: PLC0415

    from .runs import load_checkpoint, read_config  # noqa: PLC0415

    cfg = read_config(args.run)
    if cfg.get("model") != "charlm":
        raise SystemExit(f"ember: {args.run}: a {cfg.get('model')} run; `ember sample` needs "
                         "a charlm run")
    with open(os.path.join(args.run, "vocab.json"), encoding="utf-8") as f:
        itos = json.load(f)
    model = build(cfg, len(itos))
    model.load_state_dict(load_checkpoint(args.run, args.checkpoint)[0]["model"])
    stoi = {c: i for i, c in enumerate(itos)}
    prompt = args.prompt if args.prompt else "\n"
    missing = sorted({c for c in prompt if c not in stoi})
    if missing:
        raise SystemExit(f"ember: the prompt has characters the model never saw: {missing}")
    gen = ember.Generator().manual_seed(args.seed)
    text = args.prompt + to_line_end(model.lm, [stoi[c] for c in prompt], itos, args.length,
                                     args.temperature, gen)
    print(text, end="")
    return text


RUN_ON = 200  # characters a sample may run on past its length to finish its line


def to_line_end(lm, prompt_ids, itos, length, temperature, generator=None) -> str:
    """``length`` sampled characters, then on to the end of the line (at most ``RUN_ON``
    more; a newline is added if none came): the text always ends with a newline."""
    ids = lm.generate(prompt_ids, length + RUN_ON, temperature=temperature,
                      generator=generator)
    text = "".join(itos[i] for i in ids)
    end = text.find("\n", max(length - 1, 0))
    return text[:end + 1] if end >= 0 else text[:length] + "\n"
