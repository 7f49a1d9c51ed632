"""The photometric transforms of ``torchvision.transforms`` (colour, blur, the random
per-image ops of AutoAugment's family), ``RandomErasing``, ``LinearTransformation`` and
``ElasticTransform``; ``transforms.py`` re-exports them."""
from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence

import numpy as np

from ... import backend
from ...nn.module import Module
from ...ops.products import matmul
from ...ops.shape import cat
from ...tensor import Tensor, _wrap
from . import functional as F
from ._params import RandomP, rng, setup_size
from .functional import InterpolationMode, _interpolation_modes_from_int


class ColorJitter(Module):
    """Change brightness, contrast, saturation and hue by random factors, in a random order.

    Each of ``brightness``, ``contrast``, ``saturation`` is a number x (factor drawn from
    [max(0, 1 - x), 1 + x]) or a (min, max) pair; ``hue`` a number x in [0, 0.5] (shift from
    [-x, x]) or a pair within [-0.5, 0.5].
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0, *, generator=None):
        super().__init__()
        self.brightness = self._check_input(brightness, "brightness")
        self.contrast = self._check_input(contrast, "contrast")
        self.saturation = self._check_input(saturation, "saturation")
        self.hue = self._check_input(hue, "hue", center=0, bound=(-0.5, 0.5),
                                     clip_first_on_zero=False)
        self.generator = generator

    def _check_input(self, value, name, center=1, bound=(0, float("inf")),
                     clip_first_on_zero=True):
        if isinstance(value, numbers.Number):
            if value < 0:
                raise ValueError(f"If {name} is a single number, it must be non negative.")
            value = [center - float(value), center + float(value)]
            if clip_first_on_zero:
                value[0] = max(value[0], 0.0)
        elif isinstance(value, (tuple, list)) and len(value) == 2:
            value = [float(value[0]), float(value[1])]
        else:
            raise TypeError(f"{name} should be a single number or a list/tuple with length 2.")
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            raise ValueError(f"{name} values should be between {bound}, but got {value}.")
        if value[0] == value[1] == center:
            return None
        return tuple(value)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue, *, generator=None):
        """(order, brightness_factor, contrast_factor, saturation_factor, hue_factor): the
        order a permutation of 0..3 (an int64 tensor), each factor drawn uniformly from its
        range or None where the range is None."""
        r = rng(generator)
        order = _wrap(r.permutation(4).astype(np.int64), False, None, 0)

        def draw(rng_range):
            return None if rng_range is None else float(r.uniform(rng_range[0], rng_range[1]))

        return order, draw(brightness), draw(contrast), draw(saturation), draw(hue)

    def forward(self, img):
        order, b, c, s, h = self.get_params(self.brightness, self.contrast, self.saturation,
                                            self.hue, generator=self.generator)
        for fn_id in order._data.tolist():
            if fn_id == 0 and b is not None:
                img = F.adjust_brightness(img, b)
            elif fn_id == 1 and c is not None:
                img = F.adjust_contrast(img, c)
            elif fn_id == 2 and s is not None:
                img = F.adjust_saturation(img, s)
            elif fn_id == 3 and h is not None:
                img = F.adjust_hue(img, h)
        return img

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(brightness={self.brightness}, contrast={self.contrast}"
                f", saturation={self.saturation}, hue={self.hue})")


class Grayscale(Module):
    """Convert to grayscale with ``num_output_channels`` (1 or 3) channels."""

    def __init__(self, num_output_channels=1):
        super().__init__()
        self.num_output_channels = num_output_channels

    def forward(self, img):
        return F.rgb_to_grayscale(img, num_output_channels=self.num_output_channels)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(num_output_channels={self.num_output_channels})"


class RandomGrayscale(RandomP):
    """Convert to grayscale with probability ``p``, keeping the number of channels."""

    def __init__(self, p=0.1, *, generator=None):
        super().__init__(p, generator=generator)

    def forward(self, img):
        channels, _, _ = F.get_dimensions(img)
        if self._draw():
            return F.rgb_to_grayscale(img, num_output_channels=channels)
        return img


class GaussianBlur(Module):
    """Gaussian blur of ``kernel_size`` with sigma drawn uniformly from ``sigma`` (a pair)
    or fixed (a number)."""

    def __init__(self, kernel_size, sigma=(0.1, 2.0), *, generator=None):
        super().__init__()
        self.kernel_size = setup_size(kernel_size, "Kernel size should be a tuple/list of two "
                                                   "integers")
        for ks in self.kernel_size:
            if ks <= 0 or ks % 2 == 0:
                raise ValueError("Kernel size value should be an odd and positive number.")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError("If sigma is a single number, it must be positive.")
            sigma = (sigma, sigma)
        elif isinstance(sigma, Sequence) and len(sigma) == 2:
            if not 0.0 < sigma[0] <= sigma[1]:
                raise ValueError("sigma values should be positive and of the form (min, max).")
        else:
            raise ValueError("sigma should be a single number or a list/tuple with length 2.")
        self.sigma, self.generator = sigma, generator

    @staticmethod
    def get_params(sigma_min: float, sigma_max: float, *, generator=None) -> float:
        """A sigma drawn uniformly from [sigma_min, sigma_max]."""
        return float(rng(generator).uniform(sigma_min, sigma_max))

    def forward(self, img):
        sigma = self.get_params(self.sigma[0], self.sigma[1], generator=self.generator)
        return F.gaussian_blur(img, self.kernel_size, [sigma, sigma])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kernel_size={self.kernel_size}, sigma={self.sigma})"


class RandomInvert(RandomP):
    """Invert the colours with probability ``p``."""

    def forward(self, img):
        return F.invert(img) if self._draw() else img


class RandomPosterize(RandomP):
    """Keep ``bits`` bits per channel with probability ``p``."""

    def __init__(self, bits, p=0.5, *, generator=None):
        super().__init__(p, generator=generator)
        self.bits = bits

    def forward(self, img):
        return F.posterize(img, self.bits) if self._draw() else img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(bits={self.bits},p={self.p})"


class RandomSolarize(RandomP):
    """Invert the values at or above ``threshold`` with probability ``p``."""

    def __init__(self, threshold, p=0.5, *, generator=None):
        super().__init__(p, generator=generator)
        self.threshold = threshold

    def forward(self, img):
        return F.solarize(img, self.threshold) if self._draw() else img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(threshold={self.threshold},p={self.p})"


class RandomAdjustSharpness(RandomP):
    """Adjust the sharpness by ``sharpness_factor`` with probability ``p``."""

    def __init__(self, sharpness_factor, p=0.5, *, generator=None):
        super().__init__(p, generator=generator)
        self.sharpness_factor = sharpness_factor

    def forward(self, img):
        return F.adjust_sharpness(img, self.sharpness_factor) if self._draw() else img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(sharpness_factor={self.sharpness_factor},p={self.p})"


class RandomAutocontrast(RandomP):
    """Autocontrast with probability ``p``."""

    def forward(self, img):
        return F.autocontrast(img) if self._draw() else img


class RandomEqualize(RandomP):
    """Histogram-equalize with probability ``p``."""

    def forward(self, img):
        return F.equalize(img) if self._draw() else img


class RandomErasing(Module):
    """With probability ``p``, erase a random box of a tensor image (area fraction from
    ``scale``, aspect ratio log-uniform in ``ratio``; Zhong et al., 2017) with ``value``: a
    number, one per channel, or 'random' (standard normal noise)."""

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False, *,
                 generator=None):
        super().__init__()
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError("Argument value should be either a number or str or a sequence")
        if isinstance(value, str) and value != "random":
            raise ValueError("If value is str, it should be 'random'")
        if not isinstance(scale, Sequence):
            raise TypeError("Scale should be a sequence")
        if not isinstance(ratio, Sequence):
            raise TypeError("Ratio should be a sequence")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError("Scale should be between 0 and 1")
        if p < 0 or p > 1:
            raise ValueError("Random erasing probability should be between 0 and 1")
        self.p, self.scale, self.ratio, self.value, self.inplace = p, scale, ratio, value, inplace
        self.generator = generator

    @staticmethod
    def get_params(img, scale, ratio, value=None, *, generator=None):
        """(i, j, h, w, v): a box of random area and aspect ratio (ten tries; else the whole
        image with ``v`` the image itself) and its values ``v`` (normal noise when ``value``
        is None)."""
        img_c, img_h, img_w = img.shape[-3], img.shape[-2], img.shape[-1]
        area = img_h * img_w
        r = rng(generator)
        log_ratio = (np.log(ratio[0]), np.log(ratio[1]))
        for _ in range(10):
            erase_area = area * r.uniform(scale[0], scale[1])
            aspect = float(np.exp(r.uniform(log_ratio[0], log_ratio[1])))
            h = int(round(np.sqrt(erase_area * aspect)))
            w = int(round(np.sqrt(erase_area / aspect)))
            if not (h < img_h and w < img_w):
                continue
            if value is None:
                v = r.standard_normal((img_c, h, w), dtype=np.float32)
            else:
                v = np.asarray(value, dtype=backend.get_default_dtype().np)[:, None, None]
            i = int(r.integers(0, img_h - h + 1))
            j = int(r.integers(0, img_w - w + 1))
            xp = backend.xp(img._data)
            return i, j, h, w, _wrap(xp.asarray(v), False, None, 0)
        return 0, 0, img_h, img_w, img

    def forward(self, img):
        if rng(self.generator).random() < self.p:
            if isinstance(self.value, (int, float)):
                value = [float(self.value)]
            elif isinstance(self.value, str):
                value = None
            elif isinstance(self.value, (list, tuple)):
                value = [float(v) for v in self.value]
            else:
                value = self.value
            if value is not None and len(value) not in (1, img.shape[-3]):
                raise ValueError(f"If value is a sequence, it should have either a single value "
                                 f"or {img.shape[-3]} (number of input channels)")
            x, y, h, w, v = self.get_params(img, scale=self.scale, ratio=self.ratio, value=value,
                                            generator=self.generator)
            return F.erase(img, x, y, h, w, v, self.inplace)
        return img

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(p={self.p}, scale={self.scale}, ratio={self.ratio}, "
                f"value={self.value}, inplace={self.inplace})")


class LinearTransformation(Module):
    """Flatten a (..., C, H, W) tensor image to D = C H W values, subtract ``mean_vector``
    (D,) and multiply by ``transformation_matrix`` (D, D) (e.g. ZCA whitening)."""

    def __init__(self, transformation_matrix, mean_vector):
        super().__init__()
        m, v = transformation_matrix, mean_vector
        if m.shape[0] != m.shape[1]:
            raise ValueError(f"transformation_matrix should be square. Got {tuple(m.shape)} "
                             "rectangular matrix.")
        if v.shape[0] != m.shape[0]:
            raise ValueError(f"mean_vector should have the same length {v.shape[0]} as any one "
                             f"of the dimensions of the transformation_matrix [{tuple(m.shape)}]")
        if m.device != v.device:
            raise ValueError(f"Input tensors should be on the same device. Got {m.device} and "
                             f"{v.device}")
        if m.dtype != v.dtype:
            raise ValueError(f"Input tensors should have the same dtype. Got {m.dtype} and "
                             f"{v.dtype}")
        self.transformation_matrix, self.mean_vector = m, v

    def forward(self, tensor: Tensor) -> Tensor:
        shape = tensor.shape
        n = shape[-3] * shape[-2] * shape[-1]
        if n != self.transformation_matrix.shape[0]:
            raise ValueError(f"Input tensor and transformation matrix have incompatible shape."
                             f"[{shape[-3]} x {shape[-2]} x {shape[-1]}] != "
                             f"{self.transformation_matrix.shape[0]}")
        if tensor.device.type != self.mean_vector.device.type:
            raise ValueError(f"Input tensor should be on the same device as transformation "
                             f"matrix and mean vector. Got {tensor.device} vs "
                             f"{self.mean_vector.device}")
        flat = tensor.reshape(-1, n) - self.mean_vector
        return matmul(flat, self.transformation_matrix.to(flat.dtype)).reshape(*shape)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(transformation_matrix="
                f"{self.transformation_matrix.tolist()}, mean_vector={self.mean_vector.tolist()})")


def _pair_of_floats(x, name):
    if not isinstance(x, (float, Sequence)):
        raise TypeError(f"{name} should be float or a sequence of floats. Got {type(x)}")
    if isinstance(x, Sequence) and len(x) != 2:
        raise ValueError(f"If {name} is a sequence its length should be 2. Got {len(x)}")
    if isinstance(x, Sequence):
        for element in x:
            if not isinstance(element, float):
                raise TypeError(f"{name} should be a sequence of floats. Got {type(element)}")
    return [float(x), float(x)] if isinstance(x, float) else x


class ElasticTransform(Module):
    """Displace every pixel by a random field (uniform noise blurred by a Gaussian of
    ``sigma``, scaled by ``alpha`` pixels) and resample with ``interpolation``."""

    def __init__(self, alpha=50.0, sigma=5.0, interpolation=InterpolationMode.BILINEAR, fill=0,
                 *, generator=None):
        super().__init__()
        self.alpha = _pair_of_floats(alpha, "alpha")
        self.sigma = _pair_of_floats(sigma, "sigma")
        if isinstance(interpolation, int):
            interpolation = _interpolation_modes_from_int(interpolation)
        self.interpolation = interpolation
        if isinstance(fill, (int, float)):
            fill = [float(fill)]
        elif isinstance(fill, (list, tuple)):
            fill = [float(f) for f in fill]
        else:
            raise TypeError(f"fill should be int or float or a list or tuple of them. Got "
                            f"{type(fill)}")
        self.fill, self.generator = fill, generator

    @staticmethod
    def get_params(alpha, sigma, size, *, generator=None) -> Tensor:
        """A displacement field (1, H, W, 2) for an image of ``size`` [H, W]."""
        r = rng(generator)

        def field(k, extent):
            d = _wrap(r.random([1, 1] + list(size), dtype=np.float32) * 2 - 1, False, None, 0)
            if sigma[k] > 0.0:
                ks = int(8 * sigma[k] + 1)
                ks += 1 - ks % 2
                d = F.gaussian_blur(d, [ks, ks], sigma)
            return d * alpha[k] / extent

        dx = field(0, size[1])
        dy = field(1, size[0])
        return cat([dx, dy], 1).permute(0, 2, 3, 1)

    def forward(self, tensor):
        _, height, width = F.get_dimensions(tensor)
        displacement = self.get_params(self.alpha, self.sigma, [height, width],
                                       generator=self.generator)
        return F.elastic_transform(tensor, displacement, self.interpolation, self.fill)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(alpha={self.alpha}, sigma={self.sigma}, "
                f"interpolation={self.interpolation}, fill={self.fill})")
