"""``ember train autoencoder|vae|gan|dcgan|wgan-gp`` and ``ember sample`` for them.

Each epoch trains on the (Fashion-)MNIST training images, appends the losses (both players'
for GANs) to ``metrics.csv``/``metrics.jsonl``, writes ``last.safetensors`` (every model and
optimizer, epoch, history and random state: ``--resume`` continues exactly), a sample grid
``samples.png`` (and ``samples-epoch<N>.png``) and the loss curves ``loss.png``. With
``--score`` each epoch also logs ``ember.metrics`` scores of 1,000 samples (classifier
confidence, class entropy, Fréchet distance to the test images).
"""
from __future__ import annotations

import math
import os

import numpy as np

from .. import backend, models, nn, ops
from .._grad_mode import no_grad
from ..serialization import save
from ..vision.utils import save_image

__all__ = ["GENERATIVE", "train", "sample"]

GENERATIVE = ("autoencoder", "vae", "gan", "dcgan", "wgan-gp")
_TANH = ("gan", "dcgan", "wgan-gp")  # generators writing [-1, 1]


def _images(ds, limit):
    x = ds.data.numpy()
    if limit:
        x = x[:limit]
    return (x.astype(np.float32) / 255.0)[:, None]


def build(name, latent):
    """The run's modules, by role: {'model'} or {'G', 'D'}."""
    if name == "autoencoder":
        return {"model": models.ConvAutoencoder(1, latent)}
    if name == "vae":
        return {"model": models.VAE(784, 400, latent)}
    if name == "gan":
        return {"G": models.MLPGenerator(latent, (256, 512), 784),
                "D": models.MLPDiscriminator(784, (512, 256))}
    return {"G": models.DCGANGenerator(latent, 32),
            "D": models.DCGANDiscriminator(1, 32, "layer" if name == "wgan-gp" else "batch")}


def _optimizers(name, mods, lr):
    from .. import optim  # noqa: PLC0415

    if "model" in mods:
        return {"model": optim.Adam(mods["model"].parameters(), lr=lr)}
    betas = (0.0, 0.9) if name == "wgan-gp" else (0.5, 0.999)
    return {k: optim.Adam(m.parameters(), lr=lr, betas=betas) for k, m in mods.items()}


def _generate(name, mods, n, latent, generator=None):
    """n samples in [0, 1] on the host; the noise is drawn on the host (seeded) and moved."""
    model = mods.get("model") or mods["G"]
    dev = next(model.parameters()).device
    with no_grad():
        z = ops.randn(n, latent, generator=generator).to(dev)
        if name == "vae":
            return model.decode(z).reshape(n, 1, 28, 28).cpu()
        return ((model(z).reshape(n, 1, 28, 28) + 1) / 2).cpu()


def _step(name, mods, opts, x, step, latent):
    """One optimisation step on the batch x (in [0, 1]); returns the losses to log."""
    if name == "autoencoder":
        loss = nn.functional.binary_cross_entropy(mods["model"](x), x)
        opts["model"].zero_grad()
        loss.backward()
        opts["model"].step()
        return {"loss": loss.item()}
    if name == "vae":
        recon, mu, logvar = mods["model"](x)
        loss = models.vae_loss(recon, x, mu, logvar) / x.shape[0]
        opts["model"].zero_grad()
        loss.backward()
        opts["model"].step()
        return {"loss": loss.item()}
    G, D = mods["G"], mods["D"]
    real = x * 2 - 1
    z = ops.randn(x.shape[0], latent, device=x.device)
    fake = G(z)
    if name == "wgan-gp":
        d_loss = models.critic_loss(D(real), D(fake.detach())) + \
            10.0 * models.gradient_penalty(D, real, fake)
    else:
        d_loss = models.discriminator_loss(D(real), D(fake.detach()))
    opts["D"].zero_grad()
    d_loss.backward()
    opts["D"].step()
    logs = {"d_loss": d_loss.item()}
    if name != "wgan-gp" or step % 5 == 0:  # WGAN-GP: five critic steps per generator step
        score = D(fake)
        g_loss = -score.mean() if name == "wgan-gp" else models.generator_loss(score)
        opts["G"].zero_grad()
        g_loss.backward()
        opts["G"].step()
        logs["g_loss"] = g_loss.item()
    return logs


def _state(mods, opts, epoch, history, step):
    return {"models": {k: m.state_dict() for k, m in mods.items()},
            "optimizers": {k: o.state_dict() for k, o in opts.items()},
            "epoch": epoch, "step": step, "history": history,
            "rng": backend.get_rng_state()}


def train(args, cfg, run, device, resume):
    """Train a generative model as ``ember train NAME`` asks; returns the run folder."""
    import ember  # noqa: PLC0415

    from . import MetricsLogger  # noqa: PLC0415
    from .plots import plot_curves  # noqa: PLC0415
    from .recipes import dataset as _dataset  # noqa: PLC0415
    from .runs import Diverged, Status, divergence_hint, load_checkpoint, short  # noqa
    from .trainer import write_metrics  # noqa: PLC0415

    name, latent = cfg["model"], cfg["latent"]
    if cfg["dataset"] not in ("mnist", "fashion-mnist"):
        raise SystemExit(f"ember: {name} needs 28x28 grey images: --dataset mnist or "
                         "fashion-mnist")
    Status.phase = "while loading the data"
    ember.manual_seed(cfg["seed"])
    x = _images(_dataset(cfg["dataset"], True, args.data), cfg["limit"])
    test = _images(_dataset(cfg["dataset"], False, args.data), None)[:1000]
    mods = {k: m.to(device) for k, m in build(name, latent).items()}
    # Runs store the rate they use; older ones kept 1e-3 with lr_given False for the default.
    lr = cfg["lr"] if cfg.get("lr_given", True) else (2e-4 if name in ("gan", "dcgan") else
                                                      1e-4 if name == "wgan-gp" else 1e-3)
    opts = _optimizers(name, mods, lr)
    history, epoch, step = [], 0, 0
    if resume:
        ck = load_checkpoint(run, "last")[0]
        for k, m in mods.items():
            m.load_state_dict(ck["models"][k])
        for k, o in opts.items():
            o.load_state_dict(ck["optimizers"][k])
        epoch, step, history = int(ck["epoch"]), int(ck["step"]), list(ck["history"])
        backend.set_rng_state(ck["rng"])
        write_metrics(run, history)  # the log agrees with the checkpoint, whatever happened
        print(f"resuming {run} after epoch {epoch} of {cfg['epochs']}")
    logger = MetricsLogger(run)
    fixed = ember.Generator().manual_seed(cfg["seed"] + 1)
    bs = cfg["batch_size"]
    print(f"ember: training {name} on {cfg['dataset']} ({len(x)} images) on {device} -> {run}")
    if epoch >= cfg["epochs"]:
        print(f"{run} has trained its {epoch} epochs: nothing more to train (give --epochs N "
              "to train longer)")
    while epoch < cfg["epochs"]:
        epoch += 1
        Status.phase = f"in epoch {epoch}"
        for m in mods.values():
            m.train()
        order = ember.Generator().manual_seed(cfg["seed"] * 1_000_003 + epoch)  # resumable
        perm = ember.randperm(len(x), generator=order).numpy()
        sums: dict = {}
        counts: dict = {}
        bar = None
        if not args.quiet:
            from tqdm import tqdm  # noqa: PLC0415

            bar = tqdm(total=math.ceil(len(x) / bs), desc=f"epoch {epoch}", unit="batch")
        try:
            for i in range(0, len(x), bs):
                step += 1
                batch = ember.tensor(x[perm[i:i + bs]], device=device)
                logs = _step(name, mods, opts, batch, step, latent)
                bad = next((k for k, v in logs.items() if not math.isfinite(v)), None)
                if bad is not None:  # diverged: stop before anything of it is saved
                    raise Diverged(_LOSS_NAMES[bad], logs[bad], epoch, i // bs + 1, lr,
                                   divergence_hint(cfg))
                for k, v in logs.items():
                    sums[k] = sums.get(k, 0.0) + v
                    counts[k] = counts.get(k, 0) + 1
                if bar is not None:
                    bar.set_postfix({k: f"{v:.3f}" for k, v in logs.items()}, refresh=False)
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()
        keys = ("d_loss", "g_loss") if "G" in mods else ("loss",)
        row = {f"train_{k}": sums[k] / counts[k] if k in sums else float("nan") for k in keys}
        if name in ("autoencoder", "vae"):
            row["val_loss"] = _val_loss(name, mods["model"], test, device)
            if not math.isfinite(row["val_loss"]):
                raise Diverged("validation loss", row["val_loss"], epoch, None, lr,
                               divergence_hint(cfg))
        if name == "autoencoder":  # no prior to sample: show reconstructions of test images
            mods["model"].eval()
            with no_grad():
                samples = mods["model"](ember.tensor(test[:64], device=device)).cpu()
        else:
            samples = _generate(name, mods, 64, latent,
                                generator=ember.Generator().manual_seed(cfg["seed"] + 1))
        if cfg.get("score") and name != "autoencoder":
            from .. import metrics  # noqa: PLC0415

            announce_scoring(cfg["dataset"], "--score")
            many = _generate(name, mods, 1000, latent, generator=fixed)
            sc = metrics.classifier_score(many, cfg["dataset"])
            row.update(score_confidence=sc["confidence"], score_class_entropy=sc["class_entropy"],
                       frechet_distance=metrics.frechet_distance(ember.tensor(test), many,
                                                                 cfg["dataset"]))
        history.append({"epoch": epoch, **row})
        save_image(samples, os.path.join(run, f"samples-epoch{epoch}.png"), nrow=8)
        save_image(samples, os.path.join(run, "samples.png"), nrow=8)
        save(_state(mods, opts, epoch, history, step), os.path.join(run, "last.safetensors"))
        Status.saved_epoch = epoch
        Status.phase = f"after epoch {epoch} was saved"
        logger.on_epoch_end(None, epoch, row)
        plot_curves(history, os.path.join(run, "loss.png"), title=name)
        print(f"epoch {epoch}: " + "  ".join(f"{k} {short(v)}" for k, v in row.items()),
              flush=True)
    print(f"samples -> {os.path.join(run, 'samples.png')}; run folder {run}")
    return run


_LOSS_NAMES = {"loss": "training loss", "d_loss": "discriminator's loss (d_loss)",
               "g_loss": "generator's loss (g_loss)"}


def announce_scoring(dataset, flag):
    """Before the first use of the scoring classifier: say why a classifier is trained now
    (``ember.metrics`` then says what, how long and where it is cached)."""
    from .. import metrics  # noqa: PLC0415

    if not metrics.is_cached(dataset):
        print(f"ember: {flag} measures the samples with a small classifier of {dataset} "
              "images, which is not cached yet: training it now, once", flush=True)


def _val_loss(name, model, test, device):
    from .. import tensor  # noqa: PLC0415

    model.eval()
    with no_grad():
        x = tensor(test, device=device)
        if name == "vae":
            recon, mu, logvar = model(x)
            out = models.vae_loss(recon, x, mu, logvar).item() / len(test)
        else:
            out = nn.functional.binary_cross_entropy(model(x), x).item()
    model.train()
    return out


def sample(args, cfg):
    """``ember sample RUN -n N [--out FILE] [--interpolate] [--score]`` for generative runs."""
    import ember  # noqa: PLC0415

    from .runs import load_checkpoint  # noqa: PLC0415

    name, latent = cfg["model"], cfg["latent"]
    ck = load_checkpoint(args.run, "last")[0]
    mods = build(name, latent)
    for k, m in mods.items():
        m.load_state_dict(ck["models"][k])
        m.eval()
    if name == "autoencoder":
        raise SystemExit("ember: an autoencoder has no prior to sample from; `ember sample` "
                         "works for vae, gan, dcgan and wgan-gp runs")
    gen = ember.Generator().manual_seed(args.seed)
    out = args.out or os.path.join(args.run, f"sample-seed{args.seed}.png")
    if getattr(args, "latent_map", False):
        return _latent_map(mods, cfg, latent, args.out or os.path.join(args.run,
                                                                       "latent-map.png"))
    if args.interpolate:
        if name != "vae":
            raise SystemExit("ember: --interpolate needs a vae run")
        from .recipes import dataset as _dataset  # noqa: PLC0415

        test = _images(_dataset(cfg["dataset"], False, None), None)
        rng = np.random.default_rng(args.seed)
        a, b = rng.choice(len(test), 2, replace=False)
        row = mods["model"].interpolate(ember.tensor(test[a]), ember.tensor(test[b]), 10)
        save_image(row.reshape(10, 1, 28, 28), out, nrow=10)
        print(f"interpolation between test images {a} and {b} -> {out}")
        return out
    images = _generate(name, mods, args.n, latent, generator=gen)
    save_image(images, out, nrow=int(math.ceil(math.sqrt(args.n))))
    print(f"{args.n} samples -> {out}")
    if args.score:
        from .. import metrics  # noqa: PLC0415
        from .recipes import dataset as _dataset  # noqa: PLC0415

        announce_scoring(cfg["dataset"], "--score")
        test = _images(_dataset(cfg["dataset"], False, None), None)[:1000]
        sc = metrics.classifier_score(images, cfg["dataset"])
        fd = metrics.frechet_distance(ember.tensor(test), images, cfg["dataset"])
        print(f"classifier confidence {sc['confidence']:.3f}, class entropy "
              f"{sc['class_entropy']:.3f} nats (uniform 2.303), Fréchet distance {fd:.2f}")
    return out


def _latent_map(mods, cfg, latent, out):
    """For a VAE with a 2-D code: the test set's posterior means coloured by label, and the
    decodes over a 15 x 15 grid of the latent plane."""
    import ember  # noqa: PLC0415

    from .plots import plot_latent_map  # noqa: PLC0415
    from .recipes import dataset as _dataset  # noqa: PLC0415

    if cfg["model"] != "vae" or latent != 2:
        raise SystemExit("ember: --latent-map needs a vae run with a 2-D code (ember train vae "
                         "--latent 2)")
    ds = _dataset(cfg["dataset"], False, None)
    x = _images(ds, None)[:5000]
    model = mods["model"]
    with no_grad():
        codes = model.encode(ember.tensor(x))[0].numpy()
        k, span = 15, 3.0
        axis = np.linspace(-span, span, k, dtype=np.float32)
        grid = np.stack(np.meshgrid(axis, axis[::-1]), -1).reshape(-1, 2)
        decodes = model.decode(ember.tensor(grid)).numpy().reshape(k, k, 28, 28)
    manifold = decodes.transpose(0, 2, 1, 3).reshape(k * 28, k * 28)
    plot_latent_map(codes, ds.targets.numpy()[:5000], manifold, out, span)
    print(f"latent map -> {out}")
    return out
