"""What ``ember train`` builds from a run's config: datasets as tensors, models, optimizers,
learning-rate schedules (and how a schedule follows a longer resumed run), devices."""
from __future__ import annotations

import numpy as np

__all__ = ["DATASETS", "STATS", "dataset", "tensors", "build_model", "build_optimizer",
           "build_scheduler", "reschedule", "resolve_device", "device_name"]

DATASETS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST", "cifar10": "CIFAR10"}
STATS = {"mnist": ((0.1307,), (0.3081,)), "fashion-mnist": ((0.2860,), (0.3530,)),
         "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616))}


def dataset(name, train, root):
    import ember  # noqa: PLC0415

    cls = getattr(ember.datasets, DATASETS[name])
    return cls(root, train=train, download=True)


def tensors(ds, name, flat, limit=None):
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
    from . import best  # noqa: PLC0415

    if best.is_recipe(name):
        return best.build_model(cfg)
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
    # OneCycle cycles the momentum (SGD, RMSprop) or beta1 (the Adam family) where the
    # optimizer has one in use; Adagrad has neither, and plain SGD/RMSprop stay plain.
    g = opt.defaults
    cycle = "betas" in g or bool(g.get("momentum"))
    return L.OneCycleLR(opt, max_lr=cfg["lr"], epochs=cfg["epochs"],
                        steps_per_epoch=steps_per_epoch, cycle_momentum=cycle), True


def reschedule(cfg, opt, sched, steps_per_epoch: int, epochs_done: int) -> None:
    """After a resume with a new ``--epochs``: put ``sched`` and the optimizer's scheduled
    hyperparameters where a run planned for ``cfg['epochs']`` from the start would have
    them after ``epochs_done`` epochs (ReduceLROnPlateau has no length: left as it is)."""
    import warnings  # noqa: PLC0415

    import ember  # noqa: PLC0415
    from ember.optim import lr_scheduler as L  # noqa: PLC0415

    if sched is None or isinstance(sched, L.ReduceLROnPlateau):
        return
    dummy = ember.nn.Parameter(ember.zeros(1))
    dopt = build_optimizer(cfg, [dummy])
    dsched, per_batch = build_scheduler(cfg, dopt, steps_per_epoch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(epochs_done * steps_per_epoch if per_batch else epochs_done):
            dopt.step()  # no gradient: changes nothing, but counts as a step
            dsched.step()
    sched.load_state_dict(dsched.state_dict())
    for g, dg in zip(opt.param_groups, dopt.param_groups):
        g.update({k: v for k, v in dg.items() if k != "params"})


def resolve_device(name):
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


def device_name(device):
    import ember  # noqa: PLC0415

    if device.type == "cpu":
        return "the CPU"
    return f"{device} ({ember.cuda.get_device_name(device.index or 0)})"
