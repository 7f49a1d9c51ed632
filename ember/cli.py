"""The ``ember`` command: train, evaluate, fetch data, list models.

    ember train                      # the lectures' MLP 784-256-128-10 on MNIST
    ember train lenet5 --dataset fashion-mnist --epochs 5
    ember train --resume runs/<run> --epochs 20   # continue a run, here to 20 epochs
    ember evaluate runs/<run>
    ember predict runs/<run> digit.png
    ember train vae --epochs 10                # autoencoder, vae, gan, dcgan, wgan-gp
    ember sample runs/<run> -n 64 --out grid.png
    ember train charlm --cell gru --epochs 2   # a character-level language model
    ember sample runs/<run> --prompt "The " --temperature 0.8
    ember data fetch mnist [--force]
    ember models
    ember bench [--threads 2] [--only lenet-max mlp]   # speed and memory against PyTorch
    ember graph lenet5 [--layers] [--out lenet5.svg]   # the autograd graph / layer diagram
    ember convert resnet18-f37072fd.pth resnet18.safetensors   # a PyTorch file, without pickle
    ember train lenet5 --dashboard; ember dashboard runs/A runs/B   # live / side-by-side
    ember train lenet5 --nproc 2       # data-parallel over 2 processes (MPI; or mpirun -n 2)

Exit status: 0 done, 1 failed (one line on stderr saying what and where; ``--debug`` or
``EMBER_DEBUG=1`` shows the traceback), 2 bad arguments (refused before any data loads),
130 interrupted (Ctrl-C; the line says what the run folder keeps).
"""
from __future__ import annotations

import argparse
import datetime
import errno
import json
import math
import os
import shutil
import sys

import numpy as np

from ember.datasets._sources import SourceMissing
from ember.train import best, parallel
from ember.train.recipes import (  # noqa: F401
    DATASETS,
    STATS,
    build_model,
    build_optimizer,
    build_scheduler,
    device_name,
    reschedule,
    resolve_device,
    tensors,
)
from ember.train.recipes import dataset as _dataset  # (a module global: tests replace it)
from ember.train.runs import (
    Diverged,
    Status,
    Terminated,
    checkpoint_label,
    fit_with_notes,
    load_checkpoint,
    load_model_state,
    lock_run,
    new_run_folder,
    one_line,
    read_config,
    resume_trainer,
    run_status,
    short,
    stop_on_divergence,
    terminate_like_ctrl_c,
    write_config,
)

MODELS = {
    "mlp": "multilayer perceptron (--hidden 256,128, --activation, --dropout)",
    "logistic": "multinomial logistic regression (a single Linear layer)",
    "lenet5": "LeNet-5 (two 5x5 convolutions, pooling, three fully connected layers)",
    "resnet18": "ResNet-18 with the small-input stem (for 28x28 / 32x32 images)",
    "autoencoder": "convolutional autoencoder (writes reconstructions' loss; --latent 64)",
    "vae": "variational autoencoder 784-400-20 (--latent); then `ember sample RUN`",
    "gan": "MLP GAN (non-saturating loss); then `ember sample RUN`",
    "dcgan": "DCGAN (transposed convolutions + batch norm); then `ember sample RUN`",
    "wgan-gp": "Wasserstein GAN with gradient penalty (DCGAN players, layer-norm critic)",
    "charlm": "character-level language model (--cell lstm|gru|rnn|transformer, --text FILE; "
              "default text: Debian's fortunes); then `ember sample RUN`",
    # the named recipes (ember/train/best.py): the flags they set may still be given
    "mlp-best": "recipe: MLP 784-1024-1024-10, dropout, random affine images, AdamW, "
                "1cycle, label smoothing (MNIST)",
    "mnist-best": "recipe: VGG-style convolutions with batch norm, random affine images, "
                  "AdamW, 1cycle, label smoothing (MNIST)",
    "fashion-best": "recipe: VGG-style convolutions with batch norm, random crops and flips, "
                    "AdamW, 1cycle, label smoothing (Fashion-MNIST)",
}
GENERATIVE = ("autoencoder", "vae", "gan", "dcgan", "wgan-gp")
CLASSIFIERS = ("mlp", "logistic", "lenet5", "resnet18", "mlp-best", "mnist-best",
               "fashion-best")
# The config.json keys of a run (``ember train`` flags, by their dest).
CONFIG_KEYS = ("model", "dataset", "epochs", "batch_size", "lr", "optimizer", "momentum",
               "dropout", "weight_decay", "scheduler", "seed", "activation", "limit",
               "val_size", "early_stopping", "clip_grad_norm", "hidden")
# What a resumed run may be given besides --epochs: nothing that changes the training.
RESUME_FREE = {"resume", "epochs", "device", "data", "quiet", "debug", "test_limit",
               "dashboard", "port", "nproc"}
# ``ember train`` flags that a model family does not use (refused when given).
UNUSED = {
    "classifier": {"latent", "score", "cell", "text", "seq_len", "embed", "layers"},
    "generative": {"optimizer", "momentum", "dropout", "weight_decay", "scheduler", "hidden",
                   "activation", "clip_grad_norm", "early_stopping", "val_size", "test_limit",
                   "cell", "text", "seq_len", "embed", "layers"},
    "charlm": {"dataset", "activation", "val_size", "latent", "score"},
}
MLP_ONLY = {"hidden", "activation", "dropout"}


def _refuse(command: str, msg: str):
    """A bad argument found after parsing: one line, exit status 2 (as argparse's own)."""
    print(f"ember {command}: error: {msg}", file=sys.stderr)
    raise SystemExit(2)


def _flag(dest: str) -> str:
    if dest in ("model", "n"):
        return "the model" if dest == "model" else "-n"
    return "--" + dest.replace("_", "-")


def _check_train_args(args):
    """Combinations the parser cannot see; all refused before anything loads or is written."""
    given = args.given
    if args.resume:
        return
    family = ("generative" if args.model in GENERATIVE else "charlm" if args.model == "charlm"
              else "classifier")
    unused = UNUSED[family] | (MLP_ONLY if family == "classifier" and args.model != "mlp"
                               else set())
    bad = sorted(given & unused)
    if bad:
        _refuse("train", f"{', '.join(_flag(d) for d in bad)}: not used by {args.model} "
                         f"(see `ember train --help`)")
    if "momentum" in given and args.optimizer != "sgd":
        _refuse("train", f"--momentum: used by --optimizer sgd only (not {args.optimizer})")
    if family == "classifier" and args.early_stopping and args.val_size == 0:
        _refuse("train", "--early-stopping needs validation images: --val-size must be > 0")
    if family == "charlm" and len(args.hidden) != 1:
        _refuse("train", "--hidden: charlm takes one size (the recurrent state), e.g. 256")
    if args.model == "lenet5" and args.dataset == "cifar10":
        _refuse("train", "lenet5 expects 28x28 images: --dataset mnist or fashion-mnist")
    if family == "generative" and args.dataset == "cifar10":
        _refuse("train", f"{args.model} needs 28x28 grey images: --dataset mnist or "
                         "fashion-mnist")
    if args.model == "charlm" and args.text:
        problem = _not_text(args.text)
        if problem:
            _refuse("train", f"--text {args.text}: {problem}")


def _not_text(path):
    """Why ``path`` is not a UTF-8 text file (None when its start reads as one)."""
    if os.path.isdir(path):
        return "a folder; give a UTF-8 text file"
    if not os.path.isfile(path):
        return "no such file"
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
    except OSError as exc:
        return f"cannot read it ({exc.strerror or exc})"
    if not head:
        return "the file is empty"
    if b"\0" in head:
        return "not a text file (it holds NUL bytes: binary data, e.g. an image)"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:  # (not only a character cut at the end of the head)
            return (f"not UTF-8 text (byte 0x{head[exc.start]:02x} at offset {exc.start}); "
                    "give a UTF-8 text file")
    return None


def _new_config(args) -> dict:
    cfg = {k: getattr(args, k) for k in CONFIG_KEYS}
    if cfg["model"] == "charlm":
        cfg.update(cell=args.cell, text=args.text and os.path.abspath(args.text),
                   seq_len=args.seq_len, embed=args.embed, layers=args.layers, dataset="text")
    if cfg["model"] in GENERATIVE:
        if "lr" not in args.given:  # the model's usual rate, stored as the one used
            cfg["lr"] = {"gan": 2e-4, "dcgan": 2e-4, "wgan-gp": 1e-4}.get(cfg["model"], 1e-3)
        cfg.update(latent=args.latent or (20 if cfg["model"] == "vae" else 64), score=args.score)
    if best.is_recipe(cfg):
        cfg.update(best.recipe_config(cfg["model"]))
    return cfg


def _resume_config(args):
    """The resumed run's config, with ``--epochs`` applied; refuses anything else that would
    change the training. Returns (cfg, epochs done, epochs planned before)."""
    run = args.resume
    cfg = read_config(run)
    changed = []
    for dest in sorted(args.given - RESUME_FREE):
        new = getattr(args, dest)
        if dest == "text" and new:
            new = os.path.abspath(new)
        if dest not in cfg or cfg[dest] != new:
            changed.append(f"{_flag(dest)} {new if dest != 'hidden' else args.hidden_text}"
                           + (f" (the run has {cfg[dest]})" if dest in cfg else ""))
    if changed:
        _refuse("train", f"--resume {run} continues the same training, so it takes only "
                         f"--epochs, --device, --data, --quiet, --test-limit, --dashboard and "
                         f"--port; not {'; '.join(changed)}")
    state, _, _ = load_checkpoint(run, "last")
    done = int(state["epoch"])
    planned = int(cfg["epochs"])
    if "epochs" in args.given:
        if args.epochs < done:
            _refuse("train", f"--epochs {args.epochs}: {run} has already trained {done} "
                             f"epochs (give --epochs {done} or more)")
        cfg["epochs"] = args.epochs
        if cfg["epochs"] != planned:
            write_config(run, cfg)
    return cfg, done, planned


def _check_world(args, world):
    """``ember train`` in an MPI job of ``world`` processes: what it can and cannot do."""
    if "nproc" in args.given and args.nproc != world:
        _refuse("train", f"--nproc {args.nproc}, but the MPI launcher started {world} "
                         "processes")
    if not args.resume and args.model not in CLASSIFIERS:
        _refuse("train", f"{args.model} trains in one process; several processes (--nproc, "
                         f"mpirun) train the classifiers: {', '.join(CLASSIFIERS)}")
    if not args.resume and args.batch_size % world:
        _refuse("train", f"--batch-size {args.batch_size} is the global batch, split evenly "
                         f"over the {world} processes: give a multiple of {world}")


def _check_run_world(run, cfg, world):
    trained = int(cfg.get("nproc", 1))
    if trained != world:
        _refuse("train", f"--resume {run}: the run was trained with {trained} process"
                         f"{'es' if trained > 1 else ''}, this job has {world}; resume it "
                         f"with the same number (--nproc {trained})")


def cmd_train(args):
    world = parallel.launched_size()
    if world == 1 and args.nproc > 1:  # start the MPI job, which runs this command again
        _check_world(args, args.nproc)
        raise SystemExit(parallel.launch(args.argv, args.nproc))
    rank = 0
    if world > 1:
        _check_world(args, world)
        rank, world = parallel.join()
        if rank:  # rank 0 alone reports; the others' errors still reach stderr
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the process's life
    device = resolve_device(args.device)  # before anything is written: no run for a bad one
    Status.reset()
    Status.nproc = world
    if world == 1:  # SIGTERM ends a single process as Ctrl-C does (what MPI jobs do is mpirun's)
        restore = terminate_like_ctrl_c()
        try:
            return _train(args, device, rank, world)
        finally:
            restore()
    return _train(args, device, rank, world)


def _train(args, device, rank, world):
    if rank:
        run, cfg, planned = _from_rank0(None)
        return _train_classifier(args, cfg, run, device, planned, rank, world)
    try:
        if args.resume:
            read_config(args.resume)  # (a one-line error for a folder that is not a run)
            Status.lock = lock_run(args.resume)
            cfg, done, planned = _resume_config(args)
            _check_run_world(args.resume, cfg, world)
            run = args.resume
            Status.run, Status.saved_epoch = run, done
        else:
            cfg, planned = _new_config(args), args.epochs
            cfg["nproc"] = world
            stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
            run = new_run_folder(os.path.join(args.out,
                                              f"{stamp}-{cfg['model']}-{cfg['dataset']}"))
            Status.run, Status.created = run, True
            Status.lock = lock_run(run)
    except SystemExit:
        Status.release()
        raise
    if world > 1:
        _from_rank0((run, cfg, planned))
    server = None
    try:
        if not args.resume:
            write_config(run, cfg)
        if args.dashboard:
            from ember.train import dashboard  # noqa: PLC0415

            server, url = _dashboard(dashboard, [run], args)
        if cfg["model"] == "charlm":
            from ember.train import charlm  # noqa: PLC0415

            result = charlm.train(args, cfg, run, device, bool(args.resume), planned)
        elif cfg["model"] in GENERATIVE:
            from ember.train import generative  # noqa: PLC0415

            result = generative.train(args, cfg, run, device, bool(args.resume))
        else:
            result = _train_classifier(args, cfg, run, device, planned, rank, world)
        if server is not None and world == 1:
            _linger(url)
        elif server is not None:  # (an MPI job ends when training does: mpirun is waiting)
            print(f"training done; `ember dashboard {run}` shows the run again", flush=True)
        return result
    except BaseException:
        if Status.created and Status.saved_epoch is None:  # nothing trained was saved
            shutil.rmtree(run, ignore_errors=True)
        raise
    finally:
        Status.release()
        if server is not None:
            server.shutdown()


def _dashboard(dashboard, runs, args):
    """Start the dashboard: a --port given and in use is an error naming it; the default
    one in use gives way to a free one, and the line says so."""
    try:
        server, url = dashboard.start(runs, port=args.port, any_free="port" not in args.given)
    except OSError as exc:
        raise SystemExit(f"ember: --port {args.port}: cannot serve the dashboard on 127.0.0.1:"
                         f"{args.port} ({exc.strerror or exc}); give another port, or --port 0 "
                         "for any free one") from None
    busy = args.port and server.server_address[1] != args.port
    print(f"dashboard: {url}" + (f" (port {args.port} is in use)" if busy else ""), flush=True)
    return server, url


def _from_rank0(what):
    """Rank 0's ``(run folder, config, epochs planned)``, on every process of the job."""
    import ember.distributed as dist  # noqa: PLC0415

    box = [what]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def _linger(url):
    """After training: keep the dashboard up until Ctrl-C (which then ends the command
    normally: the run is complete)."""
    import threading  # noqa: PLC0415

    Status.phase = "while showing the dashboard"
    print(f"training done; the dashboard stays at {url} — Ctrl-C to stop", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("dashboard stopped", flush=True)


def _train_classifier(args, cfg, run, device, planned, rank=0, world=1):
    import ember  # noqa: PLC0415
    from ember.train import Checkpoint, EarlyStopping, MetricsLogger, ProgressBar, Trainer  # noqa
    from ember.utils.data import DataLoader, DistributedSampler, Subset, TensorDataset  # noqa

    Status.phase = "while loading the data"
    ember.manual_seed(cfg["seed"])
    flat = cfg["model"] in ("mlp", "logistic")
    train = _dataset(cfg["dataset"], True, args.data)
    x, y = tensors(train, cfg["dataset"], flat, cfg["limit"])
    nval = min(cfg["val_size"], len(x) // 5)
    xtr, ytr, xva, yva = x[:len(x) - nval], y[:len(y) - nval], x[len(x) - nval:], y[len(y) - nval:]
    if cfg["early_stopping"] and not nval:
        raise SystemExit(f"ember: --early-stopping needs validation images, but {len(x)} "
                         "training images leave none (a fifth at most is held out)")
    model = build_model(cfg).to(device)
    if world > 1:  # rank 0's initial weights on every process; gradients averaged
        from ember.nn.parallel import DistributedDataParallel  # noqa: PLC0415

        model = DistributedDataParallel(model)
    opt = build_optimizer(cfg, model.parameters())
    sampler = None
    if world > 1:  # each process its share of every (global) batch, reshuffled each epoch
        sampler = DistributedSampler(TensorDataset(xtr, ytr), world, rank, shuffle=True,
                                     seed=cfg["seed"])
        steps = -(-len(sampler) // (cfg["batch_size"] // world))
    else:
        steps = -(-len(xtr) // cfg["batch_size"])
    sched, per_batch = build_scheduler(cfg, opt, steps)
    val = DataLoader(TensorDataset(xva, yva), batch_size=1000) if nval else None
    if val is not None and world > 1:  # each process evaluates its part of the images
        val_all = val
        val = DataLoader(Subset(val.dataset, parallel.shard(nval, rank, world)),
                         batch_size=1000)
    callbacks = [run_status(), stop_on_divergence(cfg)]
    if rank == 0:
        callbacks += [ProgressBar(quiet=args.quiet), MetricsLogger(run), Checkpoint(run)]
        if args.dashboard:
            from ember.train.dashboard import DashboardLogger  # noqa: PLC0415

            callbacks.append(DashboardLogger(run, val_all if world > 1 and nval else val,
                                             num_classes=10))
    if cfg["early_stopping"]:
        callbacks.append(EarlyStopping(patience=cfg["early_stopping"]))
    recipe = best.is_recipe(cfg)  # a named recipe: its loss and batch augmentation
    trainer = Trainer(model, opt, loss_fn=best.loss_fn(cfg) if recipe else None,
                      scheduler=sched, scheduler_per_batch=per_batch,
                      callbacks=callbacks, clip_grad_norm=cfg["clip_grad_norm"], seed=cfg["seed"],
                      device=device)
    if args.resume:
        resume_trainer(trainer, run, cfg, opt, sched, steps, planned)
    if sampler is not None:
        loader = DataLoader(TensorDataset(xtr, ytr), batch_size=cfg["batch_size"] // world,
                            sampler=sampler)
    else:
        loader = DataLoader(TensorDataset(xtr, ytr), batch_size=cfg["batch_size"], shuffle=True,
                            generator=trainer.generator, pin_memory=device.type == "cuda")
    if recipe and best.augmenter(cfg) is not None:
        loader = best.AugmentedLoader(loader, best.augmenter(cfg))
    if not args.quiet and not args.resume:
        from ember.train import summary  # noqa: PLC0415

        print(summary(trainer.net, tuple(xtr.shape[1:])))
    on = device_name(device) + (f", {world} processes (MPI)" if world > 1 else "")
    print(f"ember: training {cfg['model']} on {cfg['dataset']} ({len(xtr)} images, "
          f"{nval} for validation) on {on} -> {run}")
    fit_with_notes(trainer, loader, val, cfg, run)
    if rank:
        return run
    test = _test_report(trainer, cfg, args, run)
    print(f"test error {1 - test['accuracy']:.2%} (loss {test['loss']:.4f}) on "
          f"{test['images']:,} test images, {test['label']}; run folder {run}")
    return run


def _evaluate_test(trainer, cfg, data_root, limit, quiet):
    """One pass over the test split: (metrics, outputs, labels, dataset)."""
    from ember.utils.data import DataLoader, TensorDataset  # noqa: PLC0415

    ds = _dataset(cfg["dataset"], False, data_root)
    x, y = tensors(ds, cfg["dataset"], cfg["model"] in ("mlp", "logistic"), limit)
    res, out, truth = trainer.evaluate_outputs(DataLoader(TensorDataset(x, y), batch_size=1000),
                                               topk=(1, 5), progress=not quiet)
    res["images"] = len(x)
    return res, out, truth, ds


def _test_report(trainer, cfg, args, run):
    """Evaluate the run's best checkpoint (its last without validation) on the test split
    once, and write test.json, loss.png, confusion.png and misclassified.png."""
    from ember.serialization import atomic_write_bytes  # noqa: PLC0415
    from ember.train import plots  # noqa: PLC0415

    state, name, _ = load_checkpoint(run, "best")
    trainer.net.load_state_dict(state["model"])
    limit = args.test_limit or cfg["limit"]
    res, out, truth, ds = _evaluate_test(trainer, cfg, args.data, limit, args.quiet)
    res.update(checkpoint=name, epoch=int(state["epoch"]),
               label=checkpoint_label(name, state, cfg, run))
    atomic_write_bytes(os.path.join(run, "test.json"), json.dumps(res, indent=2).encode())
    pred = out.argmax(1)
    classes = [str(c) for c in getattr(ds, "classes", range(10))]
    plots.plot_history(trainer.history, os.path.join(run, "loss.png"))
    cm = np.zeros((10, 10), dtype=np.int64)
    np.add.at(cm, (truth, pred), 1)
    plots.plot_confusion(cm, classes, os.path.join(run, "confusion.png"))
    wrong = np.nonzero(pred != truth)[0][:25]
    plots.plot_misclassified(ds.data.numpy()[wrong], truth[wrong], pred[wrong], classes,
                             os.path.join(run, "misclassified.png"))
    return res


def _read_image(path, mode, side):
    import warnings  # noqa: PLC0415

    from PIL import Image, UnidentifiedImageError  # noqa: PLC0415

    if os.path.isdir(path):
        raise SystemExit(f"ember: {path}: a folder; give PNG or JPEG files")
    try:
        with warnings.catch_warnings():  # PIL's warning for a very large image: refused
            warnings.simplefilter("ignore")  # (its others are about conversions it makes)
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                return np.asarray(img.convert(mode).resize((side, side)), dtype=np.uint8)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        import re  # noqa: PLC0415

        size = re.search(r"\((\d+) pixels\)", str(exc))
        size = f" ({int(size.group(1)):,} pixels)" if size else ""
        raise SystemExit(f"ember: {path}: the image is too large to read safely{size}: at "
                         f"most {Image.MAX_IMAGE_PIXELS:,} pixels; scale it down (to about "
                         f"{side} x {side}, what the model sees) first") from None
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise SystemExit(f"ember: {path}: cannot read the image ({one_line(exc)}); give "
                         "PNG or JPEG files") from None


def looks_inverted(a) -> bool:
    """A grey image whose border is mostly light: a dark drawing on a light background,
    the opposite of MNIST's (and Fashion-MNIST's) light objects on black."""
    border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    return float(np.median(border)) > 127


def cmd_predict(args):
    """Classify image files (PNG/JPEG) with a run's model; prints one line per image."""
    import ember  # noqa: PLC0415

    cfg, state, name = _run_checkpoint(args, "predict")
    model = build_model(cfg)
    load_model_state(model, state["model"], state["path"], cfg)
    model.eval()
    ds_cls = getattr(ember.datasets, DATASETS[cfg["dataset"]])
    classes = [str(c) for c in getattr(ds_cls, "classes", range(10))]
    color = cfg["dataset"] == "cifar10"
    side = 32 if color else 28
    results = []
    print(f"{args.run}: {checkpoint_label(name, state, cfg, args.run)}")
    for path in args.images:
        a = _read_image(path, "RGB" if color else "L", side)
        if not color:
            if not args.invert and looks_inverted(a):
                print(f"ember: warning: {path} looks like a dark drawing on a light background; "
                      f"{cfg['dataset']} images are light on black: add --invert",
                      file=sys.stderr)
            if args.invert:
                a = 255 - a
        x, _ = tensors(_Fake(a[None]), cfg["dataset"], cfg["model"] in ("mlp", "logistic"))
        with ember.no_grad():
            p = ember.softmax(model(x), 1).numpy()[0]
        k = int(p.argmax())
        results.append((path, k, float(p[k])))
        print(f"{path}: {classes[k]} ({p[k]:.1%})")
    return results


class _Fake:
    """Just enough of a dataset for _tensors: ``data`` and ``targets``."""

    def __init__(self, images):
        import ember  # noqa: PLC0415

        self.data = ember.tensor(images)
        self.targets = ember.zeros(len(images), dtype=ember.int64)


def _run_checkpoint(args, command):
    """(config, checkpoint state, its name) for ``ember predict|evaluate RUN``: RUN is a run
    folder, or a checkpoint file in one (``RUN/best.safetensors``), which is then used."""
    if os.path.isfile(args.run):
        folder = os.path.dirname(os.path.abspath(args.run))
        if not os.path.exists(os.path.join(folder, "config.json")):
            raise SystemExit(f"ember: {args.run}: a file outside any run folder; `ember "
                             f"{command}` wants a run folder (the one holding config.json), or "
                             "a checkpoint file in one")
        if "checkpoint" in args.given:
            _refuse(command, f"--checkpoint {args.checkpoint} with a checkpoint file "
                             f"({args.run}): give one or the other")
        args.run, which = os.path.dirname(args.run) or ".", os.path.abspath(args.run)
        stem = os.path.splitext(os.path.basename(which))[0]
        if os.path.dirname(which) == os.path.abspath(args.run) and stem in ("best", "last"):
            which = stem
    else:
        which = args.checkpoint
    cfg = read_config(args.run)
    if cfg.get("model") not in CLASSIFIERS:
        what = ("scores classifiers (use `ember sample RUN` for it: --score for generative "
                "models; charlm runs keep their test bits per character in test.json)"
                if command == "evaluate" else "needs a classifier run")
        raise SystemExit(f"ember: {args.run} is a {cfg['model']} run; `ember {command}` {what}")
    state, name, path = load_checkpoint(args.run, which)
    if not isinstance(state, dict) or "model" not in state or "epoch" not in state:
        raise SystemExit(f"ember: {path}: not a checkpoint written by `ember train` (it has "
                         "no model and epoch entries)")
    state["path"] = path
    return cfg, state, name


def cmd_evaluate(args):
    from ember.train import Trainer  # noqa: PLC0415

    device = resolve_device(args.device)
    cfg, state, name = _run_checkpoint(args, "evaluate")
    model = build_model(cfg)
    load_model_state(model, state["model"], state["path"], cfg)
    trainer = Trainer(model, None, device=device)
    res = _evaluate_test(trainer, cfg, args.data, args.limit, args.quiet)[0]
    res.update(checkpoint=name, epoch=int(state["epoch"]),
               label=checkpoint_label(name, state, cfg, args.run))
    which = f"the first {res['images']:,}" if args.limit else f"all {res['images']:,}"
    print(f"{args.run}, {res['label']}: test error {1 - res['accuracy']:.2%}, top-5 error "
          f"{1 - res['top5_accuracy']:.2%}, loss {res['loss']:.4f} on {which} test images"
          + _test_note(args, cfg, res))
    return res


def _test_note(args, cfg, res):
    """When the run was trained on part of the data: which test images its own figure
    (test.json) came from, so the two are not mistaken for each other."""
    try:
        with open(os.path.join(args.run, "test.json"), encoding="utf-8") as f:
            trained = int(json.load(f)["images"])
    except (OSError, ValueError, KeyError, TypeError):
        trained = None
    if trained is None or trained == res["images"]:
        if cfg.get("limit") and not args.limit:
            return f" (the run trained on its first {cfg['limit']:,} training images)"
        return ""
    return (f" (the run was trained with --limit {cfg['limit']}; its own test figure, in "
            f"test.json, is on the first {trained:,}: --limit {trained} gives that one)"
            if cfg.get("limit") else f" (test.json has the figure on the first {trained:,}: "
            f"--limit {trained} gives that one)")


def cmd_data(args):
    import ember  # noqa: PLC0415

    cls = getattr(ember.datasets, DATASETS[args.name])
    if args.force:
        for old, aside in cls._set_aside_cache(args.data):
            print(f"{old}: set aside as {aside}")
    ds = cls(args.data, train=True, download=True)
    cls(args.data, train=False, download=True)
    print(f"{args.name}: ready in {getattr(ds, 'raw_folder', ds.root)}")


# ``ember sample`` flags by the kind of run they are for (refused on the other kind).
SAMPLE_FLAGS = {"generative": {"n", "out", "interpolate", "score", "latent_map"},
                "charlm": {"prompt", "length", "temperature", "checkpoint"}}


def cmd_sample(args):
    from ember.train import charlm  # noqa: PLC0415

    cfg = read_config(args.run)
    if cfg.get("model") not in GENERATIVE + ("charlm",):
        raise SystemExit(f"ember: {args.run} is a {cfg['model']} run; `ember sample` needs a "
                         "vae, gan, dcgan, wgan-gp or charlm run (`ember predict` classifies)")
    kind = "charlm" if cfg["model"] == "charlm" else "generative"
    bad = sorted(args.given & SAMPLE_FLAGS["generative" if kind == "charlm" else "charlm"])
    if bad:
        _refuse("sample", f"{', '.join(_flag(d) for d in bad)}: not used by a {cfg['model']} "
                          f"run (see `ember sample --help`)")
    for dest, need in (("interpolate", "vae"), ("latent_map", "vae")):
        if dest in args.given and cfg["model"] != need:
            _refuse("sample", f"{_flag(dest)}: needs a {need} run, not {cfg['model']}")
    if cfg.get("model") in GENERATIVE:
        from ember.train import generative  # noqa: PLC0415

        return generative.sample(args, cfg)
    return charlm.sample(args)


def cmd_graph(args):
    """Draw a built-in model: its autograd graph for one input, or its layer diagram."""
    import ember  # noqa: PLC0415

    cfg = {"model": args.model, "dataset": "mnist", "hidden": [256, 128],
           "activation": "relu", "dropout": 0.0}
    model = build_model(cfg)
    shape = args.input_shape or ((784,) if args.model in ("mlp", "logistic") else (1, 28, 28))
    if args.layers:
        g = ember.viz.draw_model(model, shape)
    else:
        model.eval()
        out = model(ember.zeros((1,) + tuple(shape)))
        g = ember.viz.draw_graph(out, dict(model.named_parameters()),
                                 show_saved=args.show_saved)
    out_path = args.out or f"{args.model}-{'layers' if args.layers else 'graph'}.svg"
    what = "layer diagram" if args.layers else "autograd graph"
    fmt = os.path.splitext(out_path)[1].lstrip(".").lower() or "svg"
    if fmt not in ("dot", "gv") and shutil.which("dot") is None:
        # No Graphviz: the DOT text is the drawing; say how to render it.
        dot_path = os.path.splitext(out_path)[0] + ".dot"
        g.save(dot_path)
        print(f"{args.model}: {what} -> {dot_path}", flush=True)
        note = (f"Graphviz's `dot`, which draws {fmt.upper()}, is not installed, so the DOT "
                f"text was written to {dot_path}; render it with `dot -T{fmt} {dot_path} -o "
                f"{out_path}` after `apt-get install graphviz` (or paste it into any Graphviz "
                "viewer)")
        if args.out:  # the file asked for was not made
            raise SystemExit(f"ember: {note}")
        print(f"ember: note: {note}", file=sys.stderr)
        return dot_path
    try:
        g.render(out_path)
    except RuntimeError as exc:
        raise SystemExit(f"ember: {one_line(exc).removeprefix('ember.viz: ')} (or give --out "
                         "FILE.dot for the DOT text)") from None
    print(f"{args.model}: {what} -> {out_path}")
    return out_path


def _shape_arg(text):
    try:
        dims = tuple(int(d) for d in text.split(","))
    except ValueError:
        dims = ()
    if not dims or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"expected comma-separated sizes >= 1 like 1,28,28, "
                                         f"got {text!r}")
    return dims


def cmd_dashboard(args):
    from ember.train import dashboard  # noqa: PLC0415

    for run in args.runs:
        read_config(run)  # one line for a folder that is not a run
    try:
        return dashboard.serve(args.runs, port=args.port, any_free="port" not in args.given)
    except OSError as exc:
        raise SystemExit(f"ember: --port {args.port}: cannot serve the dashboard on 127.0.0.1:"
                         f"{args.port} ({exc.strerror or exc}); give another port, or --port 0 "
                         "for any free one") from None


def cmd_bench(args):
    from ember import bench  # noqa: PLC0415

    return bench.run(args.only, threads=args.threads, rounds=args.rounds,
                     memory=not args.no_memory)


def cmd_convert(args):
    from ember.serialization import load, save  # noqa: PLC0415
    from ember.tensor import Tensor  # noqa: PLC0415

    obj = load(args.source, map_location="cpu")
    for key in args.key or []:
        if not isinstance(obj, dict) or key not in obj:
            have = ", ".join(map(repr, list(obj)[:10])) if isinstance(obj, dict) else \
                type(obj).__name__
            raise SystemExit(f"ember convert: error: {args.source} has no key {key!r} there "
                             f"(it has {have})")
        obj = obj[key]
    save(obj, args.out)
    found = []

    def walk(v):
        if isinstance(v, Tensor):
            found.append(v.numel() * v.element_size())
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x)
    walk(obj)
    print(f"{args.out}: {len(found)} tensors, {sum(found) / 1e6:.1f} MB, from {args.source}")


def cmd_models(args):
    for k, v in MODELS.items():
        print(f"{k:10s} {v}")


# ---------------------------------------------------------------------------- arguments

def _number(kind, lo=None, hi=None, lo_open=False, hi_open=False):
    """An argparse type: an int/float in a range, finite; the error names the range."""
    parts = []
    if lo is not None:
        parts.append(f"{'>' if lo_open else '>='} {lo}")
    if hi is not None:
        parts.append(f"{'<' if hi_open else '<='} {hi}")
    what = f"{'an integer' if kind is int else 'a number'}" + (f" {' and '.join(parts)}"
                                                               if parts else "")

    def parse(text):
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if (kind is float and not math.isfinite(v)) or \
                (lo is not None and (v <= lo if lo_open else v < lo)) or \
                (hi is not None and (v >= hi if hi_open else v > hi)):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return v

    parse.__name__ = what  # argparse names the type in some messages
    return parse


def _sizes(text):
    """--hidden: comma-separated layer sizes, each >= 1."""
    try:
        sizes = [int(h) for h in text.split(",")]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected comma-separated sizes >= 1 like 256,128, "
                                         f"got {text!r}")
    return sizes


POSITIVE = _number(int, 1)
NONNEG = _number(int, 0)
PORT = _number(int, 0, 65535)


def _folder(text):
    """--data: a folder (an empty name would mean the current one, by accident)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a folder, got an empty name (leave --data "
                                         "out for $EMBER_DATA or ~/.cache/ember)")
    return text


def _device(text):
    """--device: auto, cpu, cuda or cuda:N (whether the machine has it is checked later)."""
    kind, colon, index = text.partition(":")
    if text == "auto" or (kind in ("cpu", "cuda") and (not colon or index.isdigit())):
        return text
    raise argparse.ArgumentTypeError(f"expected cpu, cuda, cuda:N or auto, got {text!r}")


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``ember train: error: argument --epochs: expected an
    integer >= 1, got '0' (see ember train --help)``, exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


class _Help(argparse.HelpFormatter):
    """Every option's help ends with its default (unless it says it already)."""

    def _get_help_string(self, action):
        text = action.help or ""
        d = action.default
        if "default" in text or d is None or d is False or d is argparse.SUPPRESS or \
                not action.option_strings:
            return text
        d = ",".join(map(str, d)) if isinstance(d, list) else d
        return f"{text} (default: {d})"


def make_parser():
    p = _Parser(prog="ember", description="ember: train and evaluate the lectures' networks.",
                formatter_class=_Help)
    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument("--debug", action="store_true",
                       help="show the Python traceback of a failure (also: EMBER_DEBUG=1)")
    p.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    from ember import __version__  # noqa: PLC0415

    p.add_argument("--version", action="version", version=f"ember {__version__}",
                   help="print ember's version and exit")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name, **kw):
        return sub.add_parser(name, parents=[debug], formatter_class=_Help, **kw)

    t = command("train", help="train a model (default: the MLP 784-256-128-10 on MNIST)",
                description="Train a model into a new run folder (--out/<time>-<model>-"
                "<dataset>), or continue one with --resume RUN.")
    t.add_argument("model", nargs="?", default="mlp", choices=sorted(MODELS),
                   help="what to train (default: mlp; `ember models` lists them)")
    t.add_argument("--dataset", default="mnist", choices=sorted(DATASETS), help="the images")
    t.add_argument("--epochs", type=POSITIVE, default=10,
                   help="epochs in all (with --resume: train on to this many)")
    t.add_argument("--batch-size", type=POSITIVE, default=128, help="images per step")
    t.add_argument("--lr", type=_number(float, 0, lo_open=True), default=1e-3,
                   help="learning rate (default: 1e-3; 2e-4 for gan/dcgan, 1e-4 for wgan-gp)")
    t.add_argument("--optimizer", default="adam",
                   choices=["sgd", "adam", "adamw", "rmsprop", "adagrad", "nadam", "radam"],
                   help="the optimizer")
    t.add_argument("--momentum", type=_number(float, 0, 1, hi_open=True), default=0.9,
                   help="momentum, for --optimizer sgd")
    t.add_argument("--dropout", type=_number(float, 0, 1, hi_open=True), default=0.0,
                   help="dropout probability after each hidden layer (mlp)")
    t.add_argument("--weight-decay", type=_number(float, 0), default=0.0,
                   help="L2 regularisation strength")
    t.add_argument("--scheduler", default="none",
                   choices=["none", "step", "cosine", "onecycle", "plateau"],
                   help="learning-rate schedule over the run's epochs")
    t.add_argument("--hidden", type=_sizes, default=[256, 128],
                   help="hidden layer sizes (mlp), or the state size (charlm: one size; "
                   "default: 256,128, and 256 for charlm)")
    t.add_argument("--activation", default="relu",
                   choices=["relu", "tanh", "sigmoid", "gelu", "elu", "leaky_relu"],
                   help="hidden activation (mlp)")
    t.add_argument("--clip-grad-norm", type=_number(float, 0, lo_open=True), default=None,
                   help="clip the gradients' global norm to this (default: no clipping; "
                   "1.0 for charlm)")
    t.add_argument("--early-stopping", type=NONNEG, default=0, metavar="PATIENCE",
                   help="stop after this many epochs without a better validation loss "
                   "(default: 0, off)")
    t.add_argument("--val-size", type=NONNEG, default=5000,
                   help="training images held out for validation (a fifth at most)")
    t.add_argument("--limit", type=POSITIVE, default=None,
                   help="use only the first N training images (default: all)")
    t.add_argument("--test-limit", type=POSITIVE, default=None,
                   help="evaluate only the first N test images (default: --limit's value "
                   "when given, else all)")
    t.add_argument("--seed", type=NONNEG, default=0, help="seed of every random choice")
    t.add_argument("--out", default="runs", help="folder for run folders")
    t.add_argument("--resume", default=None, metavar="RUN",
                   help="continue RUN from its last checkpoint (default: a new run)")
    t.add_argument("--data", type=_folder, default=None,
                   help="data folder (default: $EMBER_DATA or ~/.cache/ember)")
    t.add_argument("--quiet", action="store_true", help="no progress bars")
    t.add_argument("--device", type=_device, default="auto",
                   help="cpu, cuda or cuda:N (default: auto, the GPU where CuPy sees one)")
    t.add_argument("--dashboard", action="store_true",
                   help="serve a live dashboard of the run (curves, gradient norms, weight "
                   "histograms, confusion matrix, samples) on 127.0.0.1, kept up after "
                   "training until Ctrl-C (with --nproc: until training ends)")
    t.add_argument("--port", type=PORT, default=8765,
                   help="the dashboard's port (0: any free port; the default one, when in "
                   "use, gives way to a free one)")
    t.add_argument("--nproc", type=POSITIVE, default=1,
                   help="train the classifier data-parallel on this many processes of "
                   "this machine (an MPI job: needs Open MPI and ember[mpi]); --batch-size "
                   "stays the global batch. Under `mpirun -n N ember train` it is N")
    gm = t.add_argument_group("autoencoder, vae, gan, dcgan, wgan-gp")
    gm.add_argument("--latent", type=POSITIVE, default=None,
                    help="code / noise size (default: 20 for vae, else 64)")
    gm.add_argument("--score", action="store_true",
                    help="log classifier score and Fréchet distance of samples each epoch")
    lm = t.add_argument_group("charlm (character-level language model)")
    lm.add_argument("--cell", default="lstm", choices=["lstm", "gru", "rnn", "transformer"],
                    help="the sequence model")
    lm.add_argument("--text", default=None, metavar="FILE",
                    help="a UTF-8 text file (default: Debian's fortunes, fetched offline)")
    lm.add_argument("--seq-len", type=POSITIVE, default=64, help="characters per window")
    lm.add_argument("--embed", type=POSITIVE, default=64, help="embedding size")
    lm.add_argument("--layers", type=POSITIVE, default=1, help="recurrent/Transformer layers")
    t.set_defaults(func=cmd_train)
    e = command("evaluate", help="test error of a run's checkpoint")
    e.add_argument("run", help="the run folder")
    e.add_argument("--checkpoint", default="best", choices=["best", "last"],
                   help="which checkpoint (best: lowest val_loss; a run without validation "
                   "has only last; default: best)")
    e.add_argument("--limit", type=POSITIVE, default=None,
                   help="only the first N test images (default: all)")
    e.add_argument("--data", type=_folder, default=None,
                   help="data folder (default: $EMBER_DATA or ~/.cache/ember)")
    e.add_argument("--device", type=_device, default="auto",
                   help="cpu, cuda or cuda:N (default: auto)")
    e.add_argument("--quiet", action="store_true", help="no progress bar")
    e.set_defaults(func=cmd_evaluate)
    pr = command("predict", help="classify PNG/JPEG images with a run's model")
    pr.add_argument("run", help="the run folder")
    pr.add_argument("images", nargs="+", help="PNG or JPEG files")
    pr.add_argument("--checkpoint", default="best", choices=["best", "last"],
                    help="which checkpoint (default: best, else last)")
    pr.add_argument("--invert", action="store_true",
                    help="invert grey images (dark digits on a light background)")
    pr.set_defaults(func=cmd_predict)
    d = command("data", help="dataset commands")
    dsub = d.add_subparsers(dest="action", required=True, parser_class=_Parser)
    f = dsub.add_parser("fetch", parents=[debug], formatter_class=_Help,
                        help="prepare a dataset in the cache and print where it is")
    f.add_argument("name", choices=sorted(DATASETS), help="the dataset")
    f.add_argument("--data", type=_folder, default=None,
                   help="data folder (default: $EMBER_DATA or ~/.cache/ember)")
    f.add_argument("--force", action="store_true",
                   help="fetch again: the cached files are set aside (renamed *.old)")
    f.set_defaults(func=cmd_data)
    sa = command("sample", help="samples of a generative run (an image grid) or text of a "
                 "charlm run")
    sa.add_argument("run", help="the run folder")
    sa.add_argument("-n", type=POSITIVE, default=64, help="images in the grid (vae, gan, "
                    "dcgan, wgan-gp)")
    sa.add_argument("--out", default=None, help="grid PNG path (default: in the run folder; "
                    "vae, gan, dcgan, wgan-gp)")
    sa.add_argument("--interpolate", action="store_true",
                    help="vae: decodes between two test images instead")
    sa.add_argument("--score", action="store_true",
                    help="print the classifier score and Fréchet distance of the samples")
    sa.add_argument("--latent-map", action="store_true",
                    help="vae with --latent 2: the test set in latent space and the decoded "
                    "manifold")
    sa.add_argument("--prompt", default="", help="charlm: the text to continue (default: "
                    "none, the model starts a new line)")
    sa.add_argument("--length", type=NONNEG, default=300,
                    help="charlm: characters to write; the sample then runs on to the end of "
                    "its line (at most 200 more), so it ends with a newline")
    sa.add_argument("--temperature", type=_number(float, 0), default=0.8,
                    help="charlm: sampling temperature; 0 picks the likeliest character")
    sa.add_argument("--checkpoint", default="best", choices=["best", "last"],
                    help="charlm: which checkpoint (default: best)")
    sa.add_argument("--seed", type=NONNEG, default=0, help="seed of the samples")
    sa.set_defaults(func=cmd_sample)
    from ember.bench import WORKLOADS  # noqa: PLC0415

    b = command("bench", help="training-step speed and memory against PyTorch, on this "
                "machine", description="Times each workload with ember and (where it is "
                "installed) PyTorch in alternating rounds; prints samples/s, the ratio "
                "ember/PyTorch and each one's peak memory growth. Workloads: " +
                "; ".join(f"{k}: {v[2]}" for k, v in WORKLOADS.items()))
    b.add_argument("--only", nargs="+", choices=list(WORKLOADS), default=None,
                   metavar="NAME", help="these workloads (default: all)")
    b.add_argument("--threads", type=POSITIVE, default=1, help="threads for both libraries")
    b.add_argument("--rounds", type=POSITIVE, default=7, help="alternating rounds")
    b.add_argument("--no-memory", action="store_true",
                   help="skip the peak-memory measurement (a child process per library)")
    b.set_defaults(func=cmd_bench)
    da = command("dashboard", help="serve the dashboard of finished (or running) runs, side "
                 "by side")
    da.add_argument("runs", nargs="+", metavar="RUN", help="run folders")
    da.add_argument("--port", type=PORT, default=8765,
                    help="port on 127.0.0.1 (0: any free port; the default one, when in use, "
                    "gives way to a free one)")
    da.set_defaults(func=cmd_dashboard)
    gr = command("graph", help="draw a model's autograd graph or layer diagram (SVG/PNG "
                 "through Graphviz, or DOT text)")
    gr.add_argument("model", choices=list(CLASSIFIERS), help="a built-in classifier")
    gr.add_argument("--input-shape", type=_shape_arg, default=None, metavar="C,H,W",
                    help="one input's shape (default: 784 for mlp/logistic, else 1,28,28)")
    gr.add_argument("--out", default=None, help="the file: .svg, .png, .pdf (Graphviz) or "
                    ".dot (default: MODEL-graph.svg, MODEL-layers.svg)")
    gr.add_argument("--layers", action="store_true",
                    help="the layer diagram (modules as boxes, nested ones as clusters) "
                    "instead of the autograd graph")
    gr.add_argument("--show-saved", action="store_true",
                    help="also the tensors each op keeps for its backward")
    gr.set_defaults(func=cmd_graph)
    m = command("models", help="list the models `ember train` knows")
    m.set_defaults(func=cmd_models)
    cv = command("convert", help="convert a PyTorch checkpoint (.pt/.pth) to safetensors",
                 description="Read a file written by torch.save (zip or legacy format) with "
                 "ember's own pickle interpreter (no code in it runs) and write it as a "
                 "safetensors file; a state dict keeps its keys, so safetensors.torch.load_file "
                 "reads the result too.")
    cv.add_argument("source", help="the PyTorch file")
    cv.add_argument("out", help="the safetensors file to write")
    cv.add_argument("--key", action="append", metavar="KEY",
                    help="convert only this entry of a checkpoint dict (e.g. --key state_dict; "
                    "repeat to go deeper)")
    cv.set_defaults(func=cmd_convert)
    return p


def _given(argv) -> set:
    """The dests of the options and positionals given on the command line (parsing again
    with every default suppressed)."""
    p = make_parser()
    stack = [p]
    while stack:
        parser = stack.pop()
        for a in parser._actions:
            if isinstance(a, argparse._SubParsersAction):
                stack.extend(a.choices.values())
            elif a.dest != "help":
                # (an optional positional's default is checked against its choices: None)
                a.default = argparse.SUPPRESS if a.option_strings else None
    given = {k for k, v in vars(p.parse_args(argv)).items() if v is not None}
    return given - {"func", "command", "action"}


def run(argv=None):
    """Parse ``argv`` and run the command; returns what the command returns (for tests)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = make_parser().parse_args(argv)
    args.given = _given(argv)
    if args.command == "train":
        args.argv = argv
        args.hidden_text = ",".join(map(str, args.hidden))
        if args.model == "charlm" and "hidden" not in args.given:
            args.hidden = [256]
        best.apply_defaults(args)
        _check_train_args(args)
    return args.func(args)


def describe(exc) -> str:
    """One line for an unexpected failure: what failed and where."""
    if isinstance(exc, OSError):
        where = exc.filename or ""
        if exc.errno == errno.ENOSPC:
            return (f"no space left on the device{f' writing {where}' if where else ''}: free "
                    f"some space{_after_failure()}")
        if where:
            return f"{where}: {exc.strerror or one_line(exc)}"
    if isinstance(exc, SourceMissing):
        return one_line(exc)
    return f"{type(exc).__name__}: {one_line(exc)}"


def _after_failure() -> str:
    """What a failed ``ember train`` left: the run folder, and whether it can go on."""
    run, epoch = Status.run, Status.saved_epoch
    if run is None:
        return " and run the command again"
    if epoch is None:
        return (f" and run the command again (nothing was trained, so the run folder {run} "
                "was removed)" if Status.created else " and run the command again")
    return (f"; {run} keeps epoch {epoch}: `ember train --resume {run}` goes on from there")


def _interrupted(how="interrupted") -> str:
    run, epoch = Status.run, Status.saved_epoch
    if run is None:
        return f"ember: {how}"
    if Status.created and epoch is None:
        return (f"ember: {how} {Status.phase}; nothing was trained, so the run "
                f"folder {run} was removed")
    if Status.phase == "while evaluating the test set":
        return (f"ember: {how} while evaluating the test set; {run} holds the trained "
                f"model (epoch {epoch}): `ember evaluate {run}` scores it")
    more = f" --nproc {Status.nproc}" if Status.nproc > 1 else ""
    if Status.validating:
        return (f"ember: {how} {Status.phase}; {run} keeps epoch {epoch}, trained but not "
                f"validated: `ember train --resume {run}{more}` validates it and goes on")
    return (f"ember: {how} {Status.phase}; {run} keeps epoch {epoch}: "
            f"`ember train --resume {run}{more}` continues from there")


def _diverged(exc) -> str:
    """The one line of a run stopped at a non-finite loss: where, and what the folder keeps."""
    run, epoch = Status.run, Status.saved_epoch
    if run is None:
        return f"ember: {exc}; {exc.hint}"
    if epoch is None:
        kept = (f"nothing was trained before it, so the run folder {run} was removed"
                if Status.created else f"{run} is as it was")
    else:
        kept = f"{run} keeps epoch {epoch}, the last good one"
    return f"ember: {exc}; {kept}; {exc.hint}"


def main(argv=None) -> int:
    """The console script: 0 done, 1 failed (a diverged training too), 2 bad arguments, 130
    interrupted (Ctrl-C), 143 terminated (SIGTERM)."""
    try:
        code = _main(argv)
    except SystemExit as exc:
        c = exc.code  # (in an MPI job: say it, then end every process)
        parallel.abort(1 if isinstance(c, str) else int(c or 0),
                       c if isinstance(c, str) else None)
        raise
    parallel.abort(code)  # in an MPI job, the others must not wait for a failed process
    return code


def _rank() -> int:
    import ember.distributed as dist  # noqa: PLC0415

    return dist.get_rank() if dist.is_initialized() else 0


def _main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("EMBER_DEBUG", "") not in ("", "0")
    Status.reset()
    try:
        # Overflow and NaN in the arrays: no NumPy warnings in the command's output (a
        # diverged training says so in one line of its own).
        with np.errstate(all="ignore"):
            run(argv)
    except Terminated:
        if debug:
            raise
        print(_interrupted("terminated (SIGTERM)"), file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        if debug:
            raise
        if _rank() == 0:  # (every process of a job is interrupted; one says so)
            print(_interrupted(), file=sys.stderr)
        return 130
    except Diverged as exc:
        if debug:
            raise
        if _rank() == 0:
            print(_diverged(exc), file=sys.stderr)
        return 1
    except SystemExit as exc:
        if debug and isinstance(exc.code, str):  # a one-line error: show what lies under it
            import traceback  # noqa: PLC0415

            traceback.print_exception(exc.__context__ or exc)
        raise
    except Exception as exc:  # noqa: BLE001 - the command line's one-line report
        if debug:
            raise
        where = f" (rank {_rank()})" if _rank() else ""
        more = "" if isinstance(exc, SourceMissing) else " (--debug shows the traceback)"
        print(f"ember{where}: {describe(exc)}{more}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
