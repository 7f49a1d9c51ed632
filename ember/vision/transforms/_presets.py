"""The evaluation presets that pretrained weights hand out (``weights.transforms()``), as
``torchvision.transforms._presets``."""
from __future__ import annotations

from ... import backend, nn
from ...tensor import Tensor
from . import functional as F
from .functional import InterpolationMode

__all__ = ["ImageClassification"]


class ImageClassification(nn.Module):
    """Prepare images for an ImageNet classifier: resize the shorter side to ``resize_size``
    (``interpolation``, antialiased when ``antialias``), crop the centre ``crop_size``
    square, scale to float in [0, 1] and normalise with ``mean``/``std``.

    Accepts PIL images and (C, H, W) or batched (B, C, H, W) tensors (uint8 or float).

    Shape:
        - Input: (..., C, H, W) tensor or a PIL image.
        - Output: (..., C, crop_size, crop_size) float32 tensor.
    """

    def __init__(self, *, crop_size: int, resize_size: int = 256,
                 mean: tuple = (0.485, 0.456, 0.406), std: tuple = (0.229, 0.224, 0.225),
                 interpolation: InterpolationMode = InterpolationMode.BILINEAR,
                 antialias: bool | None = True) -> None:
        super().__init__()
        self.crop_size = [crop_size]
        self.resize_size = [resize_size]
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = interpolation
        self.antialias = antialias

    def forward(self, img) -> Tensor:
        img = F.resize(img, self.resize_size, interpolation=self.interpolation,
                       antialias=self.antialias)
        img = F.center_crop(img, self.crop_size)
        if not isinstance(img, Tensor):
            img = F.pil_to_tensor(img)
        img = F.convert_image_dtype(img, backend.float32)
        return F.normalize(img, mean=self.mean, std=self.std)

    def __repr__(self) -> str:
        fields = [f"crop_size={self.crop_size}", f"resize_size={self.resize_size}",
                  f"mean={self.mean}", f"std={self.std}", f"interpolation={self.interpolation}"]
        return type(self).__name__ + "(" + "".join("\n    " + f for f in fields) + "\n)"

