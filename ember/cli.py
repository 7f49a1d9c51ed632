"""The ``ember`` command: train, evaluate, fetch data, list models.

    ember train                      # the lectures' MLP 784-256-128-10 on MNIST
    ember train lenet5 --dataset fashion-mnist --epochs 5
    ember evaluate runs/<run>
    ember predict runs/<run> digit.png
    ember train vae --epochs 10                # autoencoder, vae, gan, dcgan, wgan-gp
    ember sample runs/<run> -n 64 --out grid.png
    ember train charlm --cell gru --epochs 2   # a character-level language model
    ember sample runs/<run> --prompt "The " --temperature 0.8
    ember data fetch mnist
    ember models
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import sys

import numpy as np

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
}
GENERATIVE = ("autoencoder", "vae", "gan", "dcgan", "wgan-gp")
DATASETS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST", "cifar10": "CIFAR10"}
STATS = {"mnist": ((0.1307,), (0.3081,)), "fashion-mnist": ((0.2860,), (0.3530,)),
         "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))}


def _dataset(name, train, root):
    import ember  # noqa: PLC0415

    cls = getattr(ember.datasets, DATASETS[name])
    return cls(root, train=train, download=True)


def _tensors(ds, name, flat, limit=None):
    """The whole split as one normalised float32 tensor (built once) and int64 labels."""
    import ember  # noqa: PLC0415

    x = ds.data.numpy()
    y = ds.targets.numpy()
    if limit:
        x, y = x[:limit], y[:limit]
    x = x.astype(np.float32) / 255.0
    x = x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)
    mean, std = STATS[name]
    x = (x - np.asarray(mean, np.float32)[:, None, None]) / np.asarray(std, np.float32)[:, None,
                                                                                       None]
    if flat:
        x = x.reshape(len(x), -1)
    return ember.tensor(np.ascontiguousarray(x)), ember.tensor(y.astype(np.int64))


def build_model(cfg):
    import ember  # noqa: PLC0415
    from ember import nn  # noqa: PLC0415

    channels = 3 if cfg["dataset"] == "cifar10" else 1
    side = 32 if cfg["dataset"] == "cifar10" else 28
    n_in = channels * side * side
    name = cfg["model"]
    if name == "logistic":
        return nn.Linear(n_in, 10)
    if name == "mlp":
        acts = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU,
                "elu": nn.ELU, "leaky_relu": nn.LeakyReLU}
        layers, prev = [], n_in
        for h in cfg["hidden"]:
            layers += [nn.Linear(prev, h), acts[cfg["activation"]]()]
            if cfg["dropout"]:
                layers.append(nn.Dropout(cfg["dropout"]))
            prev = h
        layers.append(nn.Linear(prev, 10))
        return nn.Sequential(*layers)
    if name == "lenet5":
        if side != 28:
            raise SystemExit("ember: lenet5 expects 28x28 images (mnist, fashion-mnist)")
        return ember.models.LeNet5(pool="max", activation="relu")
    if name == "resnet18":
        return ember.models.resnet18(small_input=True, in_channels=channels, num_classes=10)
    raise SystemExit(f"ember: unknown model {name!r}; see `ember models`")


def build_optimizer(cfg, params):
    import ember  # noqa: PLC0415

    o = cfg["optimizer"]
    wd = cfg["weight_decay"]
    if o == "sgd":
        return ember.optim.SGD(params, lr=cfg["lr"], momentum=cfg["momentum"], weight_decay=wd)
    cls = {"adam": ember.optim.Adam, "adamw": ember.optim.AdamW, "rmsprop": ember.optim.RMSprop,
           "adagrad": ember.optim.Adagrad, "nadam": ember.optim.NAdam,
           "radam": ember.optim.RAdam}[o]
    return cls(params, lr=cfg["lr"], weight_decay=wd)


def build_scheduler(cfg, opt, steps_per_epoch):
    from ember.optim import lr_scheduler as L  # noqa: PLC0415

    s = cfg["scheduler"]
    if s == "none":
        return None, False
    if s == "step":
        return L.StepLR(opt, step_size=max(1, cfg["epochs"] // 3), gamma=0.1), False
    if s == "cosine":
        return L.CosineAnnealingLR(opt, T_max=cfg["epochs"]), False
    if s == "plateau":
        return L.ReduceLROnPlateau(opt, factor=0.5, patience=1), False
    return L.OneCycleLR(opt, max_lr=cfg["lr"], epochs=cfg["epochs"],
                        steps_per_epoch=steps_per_epoch), True


def _device(name):
    """The device for ``--device``: auto is the GPU where CuPy sees one, else the CPU."""
    import ember  # noqa: PLC0415

    if name == "auto":
        real_gpu = ember.cuda.is_available() and not ember.backend.is_standin()
        return ember.device("cuda" if real_gpu else "cpu")
    try:
        d = ember.device(name)
    except RuntimeError:
        d = None
    if d is None or d.type not in ("cpu", "cuda"):
        raise SystemExit(f"ember: --device {name}: expected cpu, cuda, cuda:N or auto") from None
    if d.type == "cuda" and not ember.cuda.is_available():
        raise SystemExit(f"ember: --device {name}: no CUDA device is available (install "
                         "ember[gpu] on a machine with an NVIDIA GPU; EMBER_STANDIN_CUDA=1 "
                         "selects the CPU stand-in for testing)")
    if d.type == "cuda" and (d.index or 0) >= ember.cuda.device_count():
        raise SystemExit(f"ember: --device {name}: this machine has "
                         f"{ember.cuda.device_count()} CUDA device(s)")
    return d


def _device_name(device):
    import ember  # noqa: PLC0415

    if device.type == "cpu":
        return "the CPU"
    return f"{device} ({ember.cuda.get_device_name(device.index or 0)})"


def _new_run_folder(base: str) -> str:
    """Create and return a folder of its own for a run: ``base``, or ``base-2``, ``base-3``...
    when runs start in the same second (mkdir is atomic: two runs never share one)."""
    os.makedirs(os.path.dirname(os.path.abspath(base)), exist_ok=True)
    for k in range(1, 10_000):
        run = base if k == 1 else f"{base}-{k}"
        try:
            os.mkdir(run)
            return run
        except FileExistsError:
            continue
    raise SystemExit(f"ember: could not create a run folder next to {base}")


def cmd_train(args):
    import ember  # noqa: PLC0415
    from ember.train import Checkpoint, EarlyStopping, MetricsLogger, ProgressBar, Trainer  # noqa
    from ember.utils.data import DataLoader, TensorDataset  # noqa: PLC0415

    device = _device(args.device)  # before anything is written: a bad --device leaves no run
    if args.resume:
        with open(os.path.join(args.resume, "config.json")) as f:
            cfg = json.load(f)
        cfg["epochs"] = args.epochs if args.epochs_given else cfg["epochs"]
        run = args.resume
    else:
        cfg = {k: getattr(args, k) for k in ("model", "dataset", "epochs", "batch_size", "lr",
                                             "optimizer", "momentum", "dropout", "weight_decay",
                                             "scheduler", "seed", "activation", "limit",
                                             "val_size", "early_stopping", "clip_grad_norm")}
        cfg["hidden"] = [int(h) for h in args.hidden.split(",") if h]
        if cfg["model"] == "charlm":
            cfg.update(cell=args.cell, text=args.text and os.path.abspath(args.text),
                       seq_len=args.seq_len, embed=args.embed, layers=args.layers,
                       dataset="text")
        if cfg["model"] in GENERATIVE:
            cfg.update(latent=args.latent or (20 if cfg["model"] == "vae" else 64),
                       score=args.score, lr_given=args.lr_given)
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        run = _new_run_folder(os.path.join(args.out, f"{stamp}-{cfg['model']}-{cfg['dataset']}"))
        with open(os.path.join(run, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
    if cfg["model"] == "charlm":
        from ember.train import charlm  # noqa: PLC0415

        return charlm.train(args, cfg, run, device, bool(args.resume))
    if cfg["model"] in GENERATIVE:
        from ember.train import generative  # noqa: PLC0415

        return generative.train(args, cfg, run, device, bool(args.resume))
    ember.manual_seed(cfg["seed"])
    flat = cfg["model"] in ("mlp", "logistic")
    train = _dataset(cfg["dataset"], True, args.data)
    x, y = _tensors(train, cfg["dataset"], flat, cfg["limit"])
    nval = min(cfg["val_size"], len(x) // 5)
    xtr, ytr, xva, yva = x[:len(x) - nval], y[:len(y) - nval], x[len(x) - nval:], y[len(y) - nval:]
    model = build_model(cfg).to(device)
    opt = build_optimizer(cfg, model.parameters())
    steps = -(-len(xtr) // cfg["batch_size"])
    sched, per_batch = build_scheduler(cfg, opt, steps)
    callbacks = [ProgressBar(quiet=args.quiet), MetricsLogger(run), Checkpoint(run)]
    if cfg["early_stopping"]:
        callbacks.append(EarlyStopping(patience=cfg["early_stopping"]))
    trainer = Trainer(model, opt, scheduler=sched, scheduler_per_batch=per_batch,
                      callbacks=callbacks, clip_grad_norm=cfg["clip_grad_norm"], seed=cfg["seed"],
                      device=device)
    if args.resume:
        trainer.load_checkpoint(os.path.join(run, "last.safetensors"))
        print(f"resuming {run} after epoch {trainer.epoch}")
    loader = DataLoader(TensorDataset(xtr, ytr), batch_size=cfg["batch_size"], shuffle=True,
                        generator=trainer.generator, pin_memory=device.type == "cuda")
    val = DataLoader(TensorDataset(xva, yva), batch_size=1000) if nval else None
    if not args.quiet:
        from ember.train import summary  # noqa: PLC0415

        print(summary(model, tuple(xtr.shape[1:])))
    print(f"ember: training {cfg['model']} on {cfg['dataset']} ({len(xtr)} images, "
          f"{nval} for validation) on {_device_name(device)} -> {run}")
    trainer.fit(loader, val, epochs=cfg["epochs"])
    test = _evaluate_split(trainer, cfg, args.data)
    with open(os.path.join(run, "test.json"), "w") as f:
        json.dump(test, f, indent=2)
    _plots(trainer, cfg, args.data, run)
    print(f"test error {1 - test['accuracy']:.2%} (loss {test['loss']:.4f}); run folder {run}")
    return run


def _evaluate_split(trainer, cfg, data_root):
    from ember.utils.data import DataLoader, TensorDataset  # noqa: PLC0415

    flat = cfg["model"] in ("mlp", "logistic")
    x, y = _tensors(_dataset(cfg["dataset"], False, data_root), cfg["dataset"], flat)
    return trainer.evaluate(DataLoader(TensorDataset(x, y), batch_size=1000), topk=(1, 5))


def _plots(trainer, cfg, data_root, run):
    """loss.png, confusion.png and misclassified.png in the run folder."""
    from ember.train import plots  # noqa: PLC0415
    from ember.utils.data import DataLoader, TensorDataset  # noqa: PLC0415

    ds = _dataset(cfg["dataset"], False, data_root)
    x, y = _tensors(ds, cfg["dataset"], cfg["model"] in ("mlp", "logistic"))
    loader = DataLoader(TensorDataset(x, y), batch_size=1000)
    pred = trainer.predict(loader).argmax(1).cpu().numpy()
    truth = y.numpy()
    classes = [str(c) for c in getattr(ds, "classes", range(10))]
    plots.plot_history(trainer.history, os.path.join(run, "loss.png"))
    cm = np.zeros((10, 10), dtype=np.int64)
    np.add.at(cm, (truth, pred), 1)
    plots.plot_confusion(cm, classes, os.path.join(run, "confusion.png"))
    wrong = np.nonzero(pred != truth)[0][:25]
    plots.plot_misclassified(ds.data.numpy()[wrong], truth[wrong], pred[wrong], classes,
                             os.path.join(run, "misclassified.png"))


def cmd_predict(args):
    """Classify image files (PNG/JPEG) with a run's model; prints one line per image."""
    import ember  # noqa: PLC0415
    from PIL import Image  # noqa: PLC0415

    with open(os.path.join(args.run, "config.json")) as f:
        cfg = json.load(f)
    if cfg.get("model") in GENERATIVE + ("charlm",):
        raise SystemExit(f"ember: {args.run} is a {cfg['model']} run; `ember predict` needs a "
                         "classifier run")
    model = build_model(cfg)
    ckpt = os.path.join(args.run, f"{args.checkpoint}.safetensors")
    if not os.path.exists(ckpt):
        ckpt = os.path.join(args.run, "last.safetensors")
    model.load_state_dict(ember.load(ckpt)["model"])
    model.eval()
    ds_cls = getattr(ember.datasets, DATASETS[cfg["dataset"]])
    classes = [str(c) for c in getattr(ds_cls, "classes", range(10))]
    color = cfg["dataset"] == "cifar10"
    side = 32 if color else 28
    results = []
    for path in args.images:
        img = Image.open(path).convert("RGB" if color else "L").resize((side, side))
        a = np.asarray(img, dtype=np.uint8)
        if not color and args.invert:
            a = 255 - a  # MNIST digits are light on dark
        x, _ = _tensors(_Fake(a[None]), cfg["dataset"], cfg["model"] in ("mlp", "logistic"))
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


def cmd_evaluate(args):
    import ember  # noqa: PLC0415
    from ember.train import Trainer  # noqa: PLC0415

    with open(os.path.join(args.run, "config.json")) as f:
        cfg = json.load(f)
    if cfg.get("model") in GENERATIVE + ("charlm",):
        raise SystemExit(f"ember: {args.run} is a {cfg['model']} run; `ember evaluate` scores "
                         "classifiers (use `ember sample RUN` for it: --score for generative "
                         "models; charlm runs keep their test bits per character in test.json)")
    ckpt = os.path.join(args.run, f"{args.checkpoint}.safetensors")
    if not os.path.exists(ckpt):  # a run without validation has no "best"
        ckpt = os.path.join(args.run, "last.safetensors")
    device = _device(args.device)
    model = build_model(cfg)
    model.load_state_dict(ember.load(ckpt)["model"])
    model.to(device)
    trainer = Trainer(model, build_optimizer(cfg, model.parameters()), device=device)
    res = _evaluate_split(trainer, cfg, args.data)
    print(f"{args.run} ({args.checkpoint}): test error {1 - res['accuracy']:.2%}, top-5 error "
          f"{1 - res['top5_accuracy']:.2%}, loss {res['loss']:.4f}")
    return res


def cmd_data(args):
    ds = _dataset(args.name, True, args.data)
    _dataset(args.name, False, args.data)
    print(f"{args.name}: ready in {getattr(ds, 'raw_folder', ds.root)}")


def cmd_sample(args):
    from ember.train import charlm  # noqa: PLC0415

    cfg_path = os.path.join(args.run, "config.json")
    if os.path.isfile(cfg_path):
        with open(cfg_path) as f:
            cfg = json.load(f)
        if cfg.get("model") in GENERATIVE:
            from ember.train import generative  # noqa: PLC0415

            return generative.sample(args, cfg)
    return charlm.sample(args)


def cmd_models(args):
    for k, v in MODELS.items():
        print(f"{k:10s} {v}")


def make_parser():
    p = argparse.ArgumentParser(prog="ember", description="ember: train and evaluate the "
                                "lectures' networks.")
    sub = p.add_subparsers(dest="command", required=True)
    data_default = None
    t = sub.add_parser("train", help="train a model (default: the MLP 784-256-128-10 on MNIST)")
    t.add_argument("model", nargs="?", default="mlp", choices=sorted(MODELS))
    t.add_argument("--dataset", default="mnist", choices=sorted(DATASETS))
    t.add_argument("--epochs", type=int, default=None, help="epochs (default 10)")
    t.add_argument("--batch-size", type=int, default=128)
    t.add_argument("--lr", type=float, default=None,
                   help="learning rate (default 1e-3; 2e-4 for gan/dcgan, 1e-4 for wgan-gp)")
    t.add_argument("--optimizer", default="adam",
                   choices=["sgd", "adam", "adamw", "rmsprop", "adagrad", "nadam", "radam"])
    t.add_argument("--momentum", type=float, default=0.9, help="for sgd")
    t.add_argument("--dropout", type=float, default=0.0, help="dropout after hidden layers (mlp)")
    t.add_argument("--weight-decay", type=float, default=0.0, help="L2 regularisation strength")
    t.add_argument("--scheduler", default="none",
                   choices=["none", "step", "cosine", "onecycle", "plateau"])
    t.add_argument("--hidden", default="256,128", help="mlp hidden sizes (default 256,128)")
    t.add_argument("--activation", default="relu",
                   choices=["relu", "tanh", "sigmoid", "gelu", "elu", "leaky_relu"])
    t.add_argument("--clip-grad-norm", type=float, default=None)
    t.add_argument("--early-stopping", type=int, default=0,
                   help="stop after this many epochs without a better validation loss")
    t.add_argument("--val-size", type=int, default=5000, help="training images held out")
    t.add_argument("--limit", type=int, default=None, help="use only this many training images")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", default="runs", help="folder for run folders (default runs/)")
    t.add_argument("--resume", default=None, metavar="RUN", help="continue a run folder")
    t.add_argument("--data", default=data_default, help="data folder ($EMBER_DATA or "
                   "~/.cache/ember)")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.add_argument("--device", default="auto",
                   help="cpu, cuda or cuda:N (default auto: the GPU where CuPy sees one)")
    gm = t.add_argument_group("autoencoder, vae, gan, dcgan, wgan-gp")
    gm.add_argument("--latent", type=int, default=None,
                    help="code / noise size (default 20 for vae, else 64)")
    gm.add_argument("--score", action="store_true",
                    help="log classifier score and Fréchet distance of samples each epoch")
    lm = t.add_argument_group("charlm (character-level language model)")
    lm.add_argument("--cell", default="lstm", choices=["lstm", "gru", "rnn", "transformer"],
                    help="the sequence model (default lstm)")
    lm.add_argument("--text", default=None, metavar="FILE",
                    help="a UTF-8 text file (default: Debian's fortunes, fetched offline)")
    lm.add_argument("--seq-len", type=int, default=64, help="characters per window (64)")
    lm.add_argument("--embed", type=int, default=64, help="embedding size (64)")
    lm.add_argument("--layers", type=int, default=1, help="recurrent/Transformer layers (1)")
    t.set_defaults(func=cmd_train)
    e = sub.add_parser("evaluate", help="test error of a run's checkpoint")
    e.add_argument("run")
    e.add_argument("--checkpoint", default="best", choices=["best", "last"])
    e.add_argument("--data", default=data_default)
    e.add_argument("--device", default="auto", help="cpu, cuda or cuda:N (default auto)")
    e.set_defaults(func=cmd_evaluate)
    pr = sub.add_parser("predict", help="classify PNG/JPEG images with a run's model")
    pr.add_argument("run")
    pr.add_argument("images", nargs="+")
    pr.add_argument("--checkpoint", default="best", choices=["best", "last"])
    pr.add_argument("--invert", action="store_true",
                    help="invert grayscale images (dark digits on a light background)")
    pr.set_defaults(func=cmd_predict)
    d = sub.add_parser("data", help="dataset commands")
    dsub = d.add_subparsers(dest="action", required=True)
    f = dsub.add_parser("fetch", help="prepare a dataset in the cache and print where it is")
    f.add_argument("name", choices=sorted(DATASETS))
    f.add_argument("--data", default=data_default)
    f.set_defaults(func=cmd_data)
    sa = sub.add_parser("sample", help="samples of a generative run (an image grid) or text "
                        "of a charlm run")
    sa.add_argument("run")
    sa.add_argument("-n", type=int, default=64, help="images in the grid (64)")
    sa.add_argument("--out", default=None, help="grid PNG path (default: in the run folder)")
    sa.add_argument("--interpolate", action="store_true",
                    help="vae: decodes between two test images instead")
    sa.add_argument("--score", action="store_true",
                    help="print the classifier score and Fréchet distance of the samples")
    sa.add_argument("--latent-map", action="store_true",
                    help="vae with --latent 2: the test set in latent space and the decoded "
                    "manifold")
    sa.add_argument("--prompt", default="", help="the text to continue (default: a new line)")
    sa.add_argument("--length", type=int, default=300, help="characters to write (300)")
    sa.add_argument("--temperature", type=float, default=0.8,
                    help="sampling temperature; 0 picks the likeliest character (0.8)")
    sa.add_argument("--checkpoint", default="best", choices=["best", "last"])
    sa.add_argument("--seed", type=int, default=0)
    sa.set_defaults(func=cmd_sample)
    m = sub.add_parser("models", help="list the models `ember train` knows")
    m.set_defaults(func=cmd_models)
    return p


def run(argv=None):
    """Parse ``argv`` and run the command; returns what the command returns (for tests)."""
    args = make_parser().parse_args(argv)
    if args.command == "train":
        args.epochs_given = args.epochs is not None
        if args.epochs is None:
            args.epochs = 10
        args.lr_given = args.lr is not None
        if args.lr is None:
            args.lr = 1e-3
    return args.func(args)


def main(argv=None) -> int:
    """The console script: exit status 0 on success (errors raise SystemExit)."""
    run(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
