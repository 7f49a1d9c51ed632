"""ember.transforms: values, shapes and reproducible randomness."""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember import transforms as T

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def test_to_tensor_and_normalize():
    img = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    t = T.ToTensor()(img)
    assert t.shape == (3, 2, 2) and t.dtype == ember.float32
    np.testing.assert_allclose(t.numpy(), img.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    assert T.ToTensor()(ember.tensor(np.zeros((4, 5), np.uint8))).shape == (1, 4, 5)
    n = T.Normalize((0.5, 0.25, 0.0), (0.5, 0.5, 2.0))(t)
    want = (img.transpose(2, 0, 1) / 255.0 - np.array([0.5, 0.25, 0])[:, None, None]) / \
        np.array([0.5, 0.5, 2.0])[:, None, None]
    np.testing.assert_allclose(n.numpy(), want, rtol=1e-6)
    with pytest.raises(ValueError):
        T.Normalize(0.1, 0.0)


@pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")
def test_normalize_matches_torch_formula():
    x = np.random.default_rng(0).random((3, 4, 4)).astype(np.float32)
    e = T.Normalize((0.1, 0.2, 0.3), (0.3, 0.2, 0.1))(ember.tensor(x)).numpy()
    m = torch.tensor([0.1, 0.2, 0.3])[:, None, None]
    s = torch.tensor([0.3, 0.2, 0.1])[:, None, None]
    np.testing.assert_allclose(e, ((torch.tensor(x) - m) / s).numpy(), rtol=1e-6)


def test_compose_lambda_crop_flip():
    img = ember.tensor(np.arange(16.0, dtype=np.float32).reshape(1, 4, 4))
    pipe = T.Compose([T.RandomCrop(4, padding=2), T.RandomHorizontalFlip(p=1.0),
                      T.Lambda(lambda t: t * 2)])
    ember.manual_seed(0)
    a = pipe(img)
    ember.manual_seed(0)
    b = pipe(img)
    assert a.shape == (1, 4, 4) and np.array_equal(a.numpy(), b.numpy())
    flipped = T.RandomHorizontalFlip(p=1.0)(img)
    assert flipped[0, 0].tolist() == [3.0, 2.0, 1.0, 0.0]
    assert T.RandomHorizontalFlip(p=0.0)(img) is img
    with pytest.raises(ValueError, match="larger than the input"):
        T.RandomCrop(5)(img)
    crops = {tuple(T.RandomCrop(2)(img).numpy().ravel()) for _ in range(50)}
    assert len(crops) > 3  # different positions


def test_rotation():
    img = ember.tensor(np.arange(25.0, dtype=np.float32).reshape(1, 5, 5))
    np.testing.assert_array_equal(T.rotate(img, 0).numpy(), img.numpy())
    r90 = T.rotate(img, 90).numpy()[0]
    np.testing.assert_array_equal(r90, np.rot90(img.numpy()[0]))  # counter-clockwise
    r = T.RandomRotation(10, generator=ember.Generator().manual_seed(0))(img)
    assert r.shape == img.shape


def test_random_erasing():
    img = ember.ones(3, 16, 16)
    out = T.RandomErasing(p=1.0, value=0.0, generator=ember.Generator().manual_seed(0))(img)
    erased = (out.numpy() == 0).all(axis=0)
    assert 0 < erased.sum() < 16 * 16 * 0.4
    assert T.RandomErasing(p=0.0)(img) is img


def test_batched_augmentation():
    x = ember.tensor(np.arange(2 * 1 * 4 * 4, dtype=np.float32).reshape(2, 1, 4, 4))
    g = ember.Generator().manual_seed(1)
    c = T.batch_random_crop(x, 4, padding=1, generator=g)
    assert c.shape == (2, 1, 4, 4)
    for k in range(2):  # every crop is a window of the zero-padded image
        padded = np.pad(x.numpy()[k, 0], 1)
        assert any(np.array_equal(c.numpy()[k, 0], padded[i:i + 4, j:j + 4])
                   for i in range(3) for j in range(3))
    f = T.batch_random_horizontal_flip(x, p=1.0)
    np.testing.assert_array_equal(f.numpy(), x.numpy()[..., ::-1])
    assert np.array_equal(T.batch_random_horizontal_flip(x, p=0.0).numpy(), x.numpy())
