"""ember.metrics: the cached scoring classifier, the classifier score and the Fréchet
distance, on a small fake MNIST (real MNIST is not needed)."""
from __future__ import annotations

import os

import numpy as np
import pytest

import ember
from ember import metrics

from .fakes import write_fake_mnist


@pytest.fixture
def fake_root(tmp_path):
    write_fake_mnist(tmp_path, train=600, test=200)
    return str(tmp_path)


def test_classifier_is_trained_once_and_cached(fake_root):
    model = metrics.classifier("mnist", root=fake_root, epochs=8, verbose=False)
    path = os.path.join(fake_root, "metrics", "mnist-classifier.safetensors")
    assert os.path.exists(path)
    metrics._CACHE.clear()
    again = metrics.classifier("mnist", root=fake_root)  # loaded, not retrained
    for a, b in zip(model.parameters(), again.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    with pytest.raises(ValueError, match="mnist"):
        metrics.classifier("cifar10")


def test_scores_tell_real_from_noise_and_collapse(fake_root):
    model = metrics.classifier("mnist", root=fake_root, epochs=8, verbose=False)
    test = ember.datasets.MNIST(fake_root, train=False)
    real = test.data.float().unsqueeze(1) / 255
    s_real = metrics.classifier_score(real, model=model)
    assert s_real["confidence"] > 0.9 and s_real["class_entropy"] > 2.1  # ~log 10
    collapsed = real[test.targets == 3]
    s_coll = metrics.classifier_score(collapsed, model=model)
    assert s_coll["class_entropy"] < 0.3
    noise = ember.rand(200, 1, 28, 28)
    half = real[:100]
    fd_same = metrics.frechet_distance(half, half, model=model)
    fd_other = metrics.frechet_distance(half, real[100:], model=model)
    fd_noise = metrics.frechet_distance(real, noise, model=model)
    assert fd_same < 1e-6 and fd_other < fd_noise / 5
    tanh_real = real * 2 - 1  # the same images as a tanh generator writes them
    np.testing.assert_allclose(metrics.features(tanh_real, model=model, value_range=(-1, 1)),
                               metrics.features(real, model=model), rtol=1e-4, atol=1e-4)
    f = metrics.features(real[:7], model=model)
    assert f.shape == (7, 84)


def test_frechet_distance_of_known_gaussians():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((20000, 3))
    b = rng.standard_normal((20000, 3)) * 2 + [1, 0, 0]
    # ||mu||^2 = 1; each dim: 1 + 4 - 2 * 2 = 1 -> 1 + 3 = 4
    assert abs(metrics.frechet_distance(a, b) - 4.0) < 0.1
    with pytest.raises(ValueError, match="two images"):
        metrics.frechet_distance(a[:1], b)
