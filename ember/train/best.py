"""The named recipes of ``ember train`` (``mlp-best``, ``mnist-best``, ``fashion-best``):
each a fixed configuration (model, augmentation, optimizer, schedule, label smoothing,
epochs) that the usual flags may still override.

The augmentations work on whole (N, C, H, W) batches of normalised images, one random draw
per image and one resampling per batch (no Python loop over the images):
``BatchRandomAffine`` is ``transforms.RandomAffine(degrees, translate, scale)`` with
bilinear interpolation applied to each image (the same parameter distributions and the
same inverse matrix, sampled by ``grid_sample``), and ``crop_flip`` is
``RandomCrop(28, padding)`` + ``RandomHorizontalFlip`` (``transforms.batch_random_crop`` /
``batch_random_horizontal_flip``). Both pad with the images' background (black before
normalisation), as the per-image transforms do on the unnormalised image.
"""
from __future__ import annotations

import copy

import numpy as np

__all__ = ["RECIPES", "is_recipe", "apply_defaults", "recipe_config", "build_model",
           "loss_fn", "augmenter", "AugmentedLoader", "BatchRandomAffine", "conv_net",
           "vgg_net", "mlp_net"]

# The convolutional recipes' network: 3x3 convolutions per stage, a max pooling after each.
VGG_STAGES = [[32, 32], [64, 64], [128, 128]]
# Each recipe: ``ember train`` flag values (by their dest) it sets unless given on the
# command line, and its own keys (the model's, augmentation, label smoothing).
RECIPES = {
    "mlp-best": {
        "flags": {"dataset": "mnist", "epochs": 20, "batch_size": 128, "lr": 2e-3,
                  "optimizer": "adamw", "weight_decay": 5e-2, "scheduler": "onecycle"},
        "own": {"arch": "mlp", "width": 1024, "p_drop": 0.1, "label_smoothing": 0.1,
                "augment": "affine"},
    },
    "mnist-best": {
        "flags": {"dataset": "mnist", "epochs": 16, "batch_size": 128, "lr": 4e-3,
                  "optimizer": "adamw", "weight_decay": 5e-2, "scheduler": "onecycle"},
        "own": {"arch": "vgg", "stages": VGG_STAGES, "label_smoothing": 0.1,
                "augment": "affine"},
    },
    "fashion-best": {
        "flags": {"dataset": "fashion-mnist", "epochs": 15, "batch_size": 128, "lr": 4e-3,
                  "optimizer": "adamw", "weight_decay": 5e-2, "scheduler": "onecycle"},
        "own": {"arch": "vgg", "stages": VGG_STAGES, "label_smoothing": 0.1,
                "augment": "crop-flip"},
    },
}
# The augmentations' settings.
AFFINE = {"degrees": 10.0, "translate": (0.1, 0.1), "scale": (0.9, 1.1)}
CROP_PADDING = 2


def is_recipe(cfg_or_name) -> bool:
    name = cfg_or_name["model"] if isinstance(cfg_or_name, dict) else cfg_or_name
    return name in RECIPES


def apply_defaults(args) -> None:
    """Set the recipe's flag values on parsed ``ember train`` arguments where the command
    line did not give them (``args.given``)."""
    if not is_recipe(args.model) or getattr(args, "resume", None):
        return
    for dest, value in RECIPES[args.model]["flags"].items():
        if dest not in args.given:
            setattr(args, dest, value)


def recipe_config(name: str) -> dict:
    """The recipe's own config keys (stored in the run's config.json), a copy."""
    return copy.deepcopy(RECIPES[name]["own"])


def conv_net(width: int = 16, in_channels: int = 1, num_classes: int = 10):
    """The first recipes' network (runs made by them rebuild it): ``vgg_net`` with stages
    ``width, 2 width`` | ``4 width`` | ``4 width``."""
    w = width
    return vgg_net([[w, 2 * w], [4 * w], [4 * w]], in_channels, num_classes)


def vgg_net(stages=None, in_channels: int = 1, num_classes: int = 10, side: int = 28):
    """A VGG-style network with batch norm: for each stage its 3x3 convolutions (each
    followed by batch norm and ReLU), then a 2x2 max pooling; one linear layer on the last
    maps (3x3 for 28x28 images after three stages). ``stages``: ``VGG_STAGES`` by default."""
    from ember import nn  # noqa: PLC0415

    layers, cin = [], in_channels
    for stage in VGG_STAGES if stages is None else stages:
        for cout in stage:
            layers += [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                       nn.ReLU()]
            cin = cout
        layers.append(nn.MaxPool2d(2))
        side //= 2
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(cin * side * side, num_classes))


def mlp_net(width: int = 1024, p_drop: float = 0.2, n_in: int = 784, num_classes: int = 10):
    """Two hidden layers of ``width`` with ReLU and dropout; it takes images (flattened
    first), so it reads the same tensors as the convolutional recipes."""
    from ember import nn  # noqa: PLC0415

    return nn.Sequential(nn.Flatten(), nn.Linear(n_in, width), nn.ReLU(), nn.Dropout(p_drop),
                         nn.Linear(width, width), nn.ReLU(), nn.Dropout(p_drop),
                         nn.Linear(width, num_classes))


def build_model(cfg):
    """The recipe's model for ``cfg`` (a run's config; the recipe's keys where it lacks
    them)."""
    cfg = {**RECIPES[cfg["model"]]["own"], "dataset": "mnist", **cfg}
    channels = 3 if cfg["dataset"] == "cifar10" else 1
    side = 32 if cfg["dataset"] == "cifar10" else 28
    if cfg["arch"] == "mlp":
        return mlp_net(cfg["width"], cfg["p_drop"], channels * side * side)
    if side != 28:
        raise SystemExit(f"ember: {cfg['model']} expects 28x28 images (mnist, fashion-mnist)")
    if cfg["arch"] == "vgg":
        return vgg_net(cfg["stages"], channels)
    return conv_net(cfg["width"], channels)  # the first recipes' network (runs made by them)


def loss_fn(cfg):
    """Cross-entropy with the recipe's label smoothing."""
    from ember.nn import functional as F  # noqa: PLC0415

    eps = float(cfg["label_smoothing"])

    def loss(out, target):
        return F.cross_entropy(out, target, label_smoothing=eps)

    return loss


def _background(dataset):
    """A black pixel (0) after the dataset's normalisation, per channel."""
    from .recipes import STATS  # noqa: PLC0415

    mean, std = STATS[dataset]
    return np.asarray([-m / s for m, s in zip(mean, std)], np.float32)


class BatchRandomAffine:
    """``RandomAffine(degrees, translate, scale)`` with bilinear interpolation on each image
    of a normalised (N, C, H, W) batch: per image an angle uniform in ``[-degrees, degrees]``,
    whole-pixel shifts ``round(uniform(-t W, t W))`` (and H), a scale uniform in ``scale``
    (torchvision's ``RandomAffine.get_params``), drawn from ember's default generator (or
    ``generator``); the inverse matrices of ``functional.affine`` sampled with
    ``grid_sample`` in one call. Outside the image: ``background`` (per channel)."""

    def __init__(self, degrees, translate, scale, background, generator=None):
        self.degrees, self.translate, self.scale = float(degrees), translate, scale
        self.background = np.asarray(background, np.float32).reshape(-1)
        self.generator = generator

    def params(self, n: int, h: int, w: int):
        """(angles, tx, ty, scales) for ``n`` images, each an (n,) array."""
        from ember.vision.transforms._params import rng  # noqa: PLC0415

        r = rng(self.generator)
        angle = r.uniform(-self.degrees, self.degrees, n)
        tx = np.round(r.uniform(-self.translate[0] * w, self.translate[0] * w, n))
        ty = np.round(r.uniform(-self.translate[1] * h, self.translate[1] * h, n))
        s = r.uniform(self.scale[0], self.scale[1], n)
        return angle, tx, ty, s

    @staticmethod
    def theta(angle, tx, ty, s, h: int, w: int) -> np.ndarray:
        """(n, 2, 3) matrices for ``affine_grid`` (normalised coordinates, align_corners
        False) of the inverse maps that ``functional.affine`` samples with (no shear)."""
        rot = np.radians(angle)
        cos, sin = np.cos(rot) / s, np.sin(rot) / s
        # inverse in pixel units about the centre: [[cos, sin, -cos tx - sin ty],
        #                                           [-sin, cos, sin tx - cos ty]]
        t = np.empty((len(angle), 2, 3), np.float64)
        t[:, 0, 0], t[:, 0, 1] = cos, sin * h / w
        t[:, 1, 0], t[:, 1, 1] = -sin * w / h, cos
        t[:, 0, 2] = (-cos * tx - sin * ty) * 2.0 / w
        t[:, 1, 2] = (sin * tx - cos * ty) * 2.0 / h
        return t

    def __call__(self, x):
        import ember  # noqa: PLC0415
        from ember.nn import functional as F  # noqa: PLC0415

        n, c, h, w = x.shape
        theta = ember.tensor(self.theta(*self.params(n, h, w), h, w).astype(np.float32)
                             ).to(x.device)
        bg = ember.tensor(np.broadcast_to(self.background, (c,)).reshape(1, c, 1, 1)
                          .astype(np.float32)).to(x.device)
        grid = F.affine_grid(theta, (n, c, h, w), align_corners=False)
        return F.grid_sample(x - bg, grid, mode="bilinear", padding_mode="zeros",
                             align_corners=False) + bg


def crop_flip(padding: int, background):
    """RandomCrop(H, padding) + RandomHorizontalFlip() on each image of a normalised batch,
    padding with ``background``."""
    from ember import transforms  # noqa: PLC0415

    bgv = np.asarray(background, np.float32).reshape(1, -1, 1, 1)

    def run(x):
        import ember  # noqa: PLC0415

        bg = ember.tensor(bgv).to(x.device)
        y = transforms.batch_random_crop(x - bg, tuple(x.shape[-2:]), padding) + bg
        return transforms.batch_random_horizontal_flip(y)

    return run


def augmenter(cfg):
    """The recipe's batch augmentation (a callable on (N, C, H, W) tensors), or None."""
    aug = cfg["augment"]
    bg = _background(cfg["dataset"])
    if aug == "affine":
        return BatchRandomAffine(AFFINE["degrees"], AFFINE["translate"], AFFINE["scale"], bg)
    if aug == "crop-flip":
        return crop_flip(CROP_PADDING, bg)
    if aug == "none":
        return None
    raise ValueError(f"unknown augmentation {aug!r}")


class AugmentedLoader:
    """``loader``'s (x, y) batches with ``fn`` applied to x; its length and sampler."""

    def __init__(self, loader, fn):
        self.loader, self.fn = loader, fn
        self.sampler = getattr(loader, "sampler", None)

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        for x, y in self.loader:
            yield self.fn(x), y

