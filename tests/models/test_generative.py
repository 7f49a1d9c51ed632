"""Autoencoders, VAEs and GANs: PyTorch agreement where the layers are the same, the second
derivatives WGAN-GP needs, and learning tests on small data (seconds)."""
from __future__ import annotations

import io
import math

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import models as M

from ..torchsync import copy_torch_state

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")


@needs_torch
def test_vae_matches_the_pytorch_example_vae():
    class TorchVAE(torch.nn.Module):  # the classic example's layers
        def __init__(self):
            super().__init__()
            self.fc1, self.fc21 = torch.nn.Linear(784, 400), torch.nn.Linear(400, 20)
            self.fc22, self.fc3 = torch.nn.Linear(400, 20), torch.nn.Linear(20, 400)
            self.fc4 = torch.nn.Linear(400, 784)

    tm, em = TorchVAE().double(), M.VAE().double()
    copy_torch_state(tm, em)
    rng = np.random.default_rng(0)
    x = rng.random((3, 784))
    eps = rng.standard_normal((3, 20))
    outs = []
    for lib, m in ((torch, tm), (ember, em)):
        xs = lib.tensor(x)
        if lib is torch:
            h = torch.relu(m.fc1(xs))
            mu, lv = m.fc21(h), m.fc22(h)
            z = mu + torch.exp(0.5 * lv) * torch.tensor(eps)
            rec = torch.sigmoid(m.fc4(torch.relu(m.fc3(z))))
            loss = torch.nn.functional.binary_cross_entropy(rec, xs, reduction="sum") \
                - 0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp())
        else:
            mu, lv = m.encode(xs)
            rec = m.decode(mu + ember.exp(0.5 * lv) * ember.tensor(eps))
            loss = M.vae_loss(rec, xs, mu, lv)
        loss.backward()
        outs.append([loss.detach().numpy(), rec.detach().numpy(), m.fc1.weight.grad.numpy(),
                     m.fc22.bias.grad.numpy()])
    for a, b in zip(outs[1], outs[0]):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10)


@needs_torch
@pytest.mark.parametrize("norm", ["batch", "layer"])
def test_dcgan_modules_match_pytorch_builds(norm):
    tn = torch.nn
    ngf, ndf, nz = 4, 4, 8
    tg = tn.Sequential(
        tn.ConvTranspose2d(nz, ngf * 4, 7, 1, 0, bias=False), tn.BatchNorm2d(ngf * 4),
        tn.ReLU(True), tn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
        tn.BatchNorm2d(ngf * 2), tn.ReLU(True),
        tn.ConvTranspose2d(ngf * 2, 1, 4, 2, 1, bias=False), tn.Tanh()).double()
    mid = tn.BatchNorm2d(ndf * 2) if norm == "batch" else tn.LayerNorm([ndf * 2, 7, 7])
    td = tn.Sequential(tn.Conv2d(1, ndf, 4, 2, 1, bias=False), tn.LeakyReLU(0.2),
                       tn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), mid, tn.LeakyReLU(0.2),
                       tn.Conv2d(ndf * 2, 1, 7, 1, 0, bias=False)).double()
    eg, ed = M.DCGANGenerator(nz, ngf).double(), M.DCGANDiscriminator(1, ndf, norm).double()
    copy_torch_state(tg, eg.main)
    copy_torch_state(td, ed.main)
    z = np.random.default_rng(1).standard_normal((3, nz, 1, 1))
    res = []
    for lib, g, d in ((torch, tg, td), (ember, eg, ed)):
        zs = lib.tensor(z, requires_grad=True)
        img = g(zs)
        score = d(img).reshape(-1)
        (score ** 2).sum().backward()
        res.append([img.detach().numpy(), score.detach().numpy(), zs.grad.numpy()] +
                   [p.grad.numpy() for p in list(g.parameters()) + list(d.parameters())])
    for a, b in zip(res[1], res[0]):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("name", ["conv2d", "conv_transpose2d", "leaky_relu", "batch_norm",
                                  "layer_norm", "linear"])
def test_second_derivatives_of_every_wgan_gp_layer(name):
    """gradgradcheck in float64 through each layer a WGAN-GP critic (or generator) uses."""
    rng = np.random.default_rng(2)

    def t(*s):
        return ember.tensor(rng.standard_normal(s), requires_grad=True)
    cases = {
        "conv2d": (lambda x, w: F.conv2d(x, w, stride=2, padding=1), (t(2, 1, 6, 6),
                                                                     t(3, 1, 3, 3))),
        "conv_transpose2d": (lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1),
                             (t(2, 3, 3, 3), t(3, 2, 4, 4))),
        "leaky_relu": (lambda x: F.leaky_relu(x * 3 + 0.37, 0.2), (t(3, 4),)),
        "batch_norm": (lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True),
                       (t(4, 3, 2, 2), t(3), t(3))),
        "layer_norm": (lambda x, g, b: F.layer_norm(x, (3, 2, 2), g, b),
                       (t(4, 3, 2, 2), t(3, 2, 2), t(3, 2, 2))),
        "linear": (lambda x, w, b: F.linear(x, w, b), (t(4, 5), t(3, 5), t(3))),
    }
    fn, ins = cases[name]
    assert ember.autograd.gradgradcheck(fn, ins, atol=1e-4, rtol=1e-3)


@needs_torch
def test_gradient_penalty_gradients_match_pytorch():
    rng = np.random.default_rng(3)
    td = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 4, 2, 1), torch.nn.LeakyReLU(0.2),
                             torch.nn.Flatten(), torch.nn.LayerNorm(2 * 3 * 3),
                             torch.nn.Linear(18, 1)).double()
    ed = ember.nn.Sequential(ember.nn.Conv2d(1, 2, 4, 2, 1), ember.nn.LeakyReLU(0.2),
                             ember.nn.Flatten(), ember.nn.LayerNorm(18),
                             ember.nn.Linear(18, 1)).double()
    copy_torch_state(td, ed)
    real, fake = rng.standard_normal((3, 1, 6, 6)), rng.standard_normal((3, 1, 6, 6))
    eps = rng.random((3, 1, 1, 1))
    grads = []
    for lib, d in ((torch, td), (ember, ed)):
        mixed = lib.tensor(eps * real + (1 - eps) * fake, requires_grad=True)
        (g,) = lib.autograd.grad(d(mixed).sum(), mixed, create_graph=True)
        gp = ((g.reshape(3, -1).norm(dim=1) - 1) ** 2).mean()
        gp.backward()
        grads.append([None if p.grad is None else p.grad.numpy() for p in d.parameters()])
    for a, b in zip(grads[1], grads[0]):  # None alike: biases after the last nonlinearity
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-10)


def test_linear_autoencoder_learns_the_pca_subspace():
    rng = np.random.default_rng(4)
    basis = np.linalg.qr(rng.standard_normal((6, 6)))[0]
    data = (rng.standard_normal((200, 6)) * [5.0, 3.0, 1.0, 0.5, 0.3, 0.1]) @ basis.T + 2.0
    x = ember.tensor(data)
    ember.manual_seed(0)
    model = M.LinearAutoencoder(6, 2).double()
    opt = ember.optim.LBFGS(model.parameters(), line_search_fn="strong_wolfe", max_iter=200,
                            tolerance_grad=1e-12, tolerance_change=1e-14)

    def closure():
        opt.zero_grad()
        loss = F.mse_loss(model(x), x)
        loss.backward()
        return loss
    for _ in range(5):
        opt.step(closure)
    centred = data - data.mean(0)
    pcs = np.linalg.svd(centred, full_matrices=False)[2][:2].T  # top-2 principal directions
    learned = np.linalg.qr(model.decoder.weight.detach().numpy())[0]
    cosines = np.linalg.svd(pcs.T @ learned, compute_uv=False)
    angles = np.arccos(np.clip(cosines, -1, 1))
    assert angles.max() < 1e-3  # radians: the same 2-D subspace


def test_vae_elbo_improves():
    rng = np.random.default_rng(5)
    protos = (rng.random((4, 64)) > 0.5).astype(np.float32)
    data = ember.tensor(np.abs(protos[rng.integers(0, 4, 256)] -
                               (rng.random((256, 64)) < 0.05)).astype(np.float32))
    ember.manual_seed(0)
    vae = M.VAE(64, 32, 4)
    opt = ember.optim.Adam(vae.parameters(), lr=1e-2)

    def neg_elbo():
        with ember.no_grad():
            rec, mu, lv = vae(data)
            return M.vae_loss(rec, data, mu, lv).item() / 256
    start = neg_elbo()
    for _ in range(200):
        rec, mu, lv = vae(data)
        loss = M.vae_loss(rec, data, mu, lv) / 256
        opt.zero_grad()
        loss.backward()
        opt.step()
    end = neg_elbo()
    assert end < 0.5 * start and end < 25  # nats per sample, from about 44
    assert tuple(vae.sample(5).shape) == (5, 64)
    assert tuple(vae.interpolate(data[0], data[1], 4).shape) == (4, 64)


@pytest.mark.slow
def test_gan_covers_every_mode_of_a_2d_mixture():
    ember.manual_seed(0)
    rng = np.random.default_rng(0)
    k = 8
    centers = np.array([[2 * math.cos(2 * math.pi * i / k), 2 * math.sin(2 * math.pi * i / k)]
                        for i in range(k)], np.float32)
    gen = M.MLPGenerator(8, (64, 64), 2, output="linear")
    disc = M.MLPDiscriminator(2, (64, 64))
    og = ember.optim.Adam(gen.parameters(), lr=1e-3, betas=(0.5, 0.999))
    od = ember.optim.Adam(disc.parameters(), lr=1e-3, betas=(0.5, 0.999))
    for _ in range(2500):
        idx = rng.integers(0, k, 128)
        real = ember.tensor(centers[idx] + rng.standard_normal((128, 2)).astype(np.float32)
                            * 0.05)
        fake = gen(ember.randn(128, 8))
        d_loss = M.discriminator_loss(disc(real), disc(fake.detach()))
        od.zero_grad()
        d_loss.backward()
        od.step()
        g_loss = M.generator_loss(disc(fake))
        og.zero_grad()
        g_loss.backward()
        og.step()
    with ember.no_grad():
        s = gen(ember.randn(2000, 8)).numpy()
    dist = np.linalg.norm(s[:, None] - centers[None], axis=2)
    near, label = dist.min(1) < 0.5, dist.argmin(1)
    share = [np.mean(near & (label == i)) for i in range(k)]
    assert min(share) > 0.03 and near.mean() > 0.75  # every mode (uniform: 0.125 each)


def test_wgan_pieces():
    ember.manual_seed(0)
    critic = M.DCGANDiscriminator(norm="layer")
    M.clip_weights(critic, 0.01)
    assert all(float(p.abs().max()) <= 0.01 for p in critic.parameters())
    real, fake = ember.rand(4, 1, 28, 28) * 2 - 1, M.DCGANGenerator()(ember.randn(4, 64))
    loss = M.critic_loss(critic(real), critic(fake.detach())) + \
        10 * M.gradient_penalty(critic, real, fake)
    loss.backward()
    assert all(p.grad is not None and np.isfinite(p.grad.numpy()).all()
               for n, p in critic.named_parameters() if not n.endswith("3.bias"))
    with pytest.raises(ValueError, match="norm must be"):
        M.DCGANDiscriminator(norm="group")


def test_autoencoders_reconstruct_shapes():
    x = ember.rand(3, 1, 28, 28)
    for m in (M.Autoencoder(), M.ConvAutoencoder(), M.DenoisingAutoencoder(M.Autoencoder()),
              M.ConvVAE()):
        out = m(x)
        out = out[0] if isinstance(out, tuple) else out
        assert tuple(out.shape) == (3, 1, 28, 28) and 0 <= float(out.min())


# ---------------------------------------------------------------------------- image utilities


def test_make_grid_layout():
    imgs = ember.tensor(np.arange(5 * 1 * 2 * 3, dtype=np.float32).reshape(5, 1, 2, 3))
    grid = ember.utils.make_grid(imgs, nrow=2, padding=1, pad_value=-1.0).numpy()
    assert grid.shape == (3, 3 * 3 + 1, 2 * 4 + 1)  # 3 rows of 2, one-channel made RGB
    expect = np.full((3, 10, 9), -1.0, np.float32)
    for k in range(5):
        r, c = divmod(k, 2)
        expect[:, 1 + 3 * r:3 + 3 * r, 1 + 4 * c:4 + 4 * c] = imgs.numpy()[k, 0]
    np.testing.assert_array_equal(grid, expect)
    norm = ember.utils.make_grid(imgs, normalize=True, value_range=(0.0, 10.0)).numpy()
    assert norm.min() == 0.0 and norm.max() == 1.0
    single = ember.utils.make_grid(imgs[0])
    assert tuple(single.shape) == (3, 2, 3)


@needs_torch
def test_save_image_matches_torchvision_when_available(tmp_path):
    tvu = pytest.importorskip("torchvision.utils")
    x = np.random.default_rng(6).random((6, 3, 5, 4)).astype(np.float32)
    ember.utils.save_image(ember.tensor(x), tmp_path / "e.png", nrow=4, padding=3,
                           pad_value=0.5)
    tvu.save_image(torch.tensor(x), str(tmp_path / "t.png"), nrow=4, padding=3, pad_value=0.5)
    from PIL import Image

    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "e.png")),
                                  np.asarray(Image.open(tmp_path / "t.png")))


def test_save_image_pixels(tmp_path):
    from PIL import Image

    x = ember.tensor(np.array([[[[0.0, 0.5], [1.0, 2.0]]]], dtype=np.float32))
    ember.utils.save_image(x, tmp_path / "one.png")
    px = np.asarray(Image.open(tmp_path / "one.png"))
    assert px.shape == (2, 2, 3) and px[:, :, 0].tolist() == [[0, 128], [255, 255]]
    buf = io.BytesIO()
    ember.utils.save_image(ember.rand(4, 3, 8, 8), buf, format="png")
    assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


def test_fake_data_like_torchvision():
    from ember.datasets import FakeData
    from ember.transforms import ToTensor

    d = FakeData(size=5, image_size=(3, 8, 6), num_classes=4, transform=ToTensor())
    (a, ya), (b, yb) = d[2], d[2]
    assert tuple(a.shape) == (3, 8, 6) and a.dtype == ember.float32
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert int(ya) == int(yb) and 0 <= int(ya) < 4 and len(d) == 5
    with pytest.raises(IndexError):
        d[5]
    ember.manual_seed(7)
    a1 = ember.rand(3).tolist()
    ember.manual_seed(7)
    d[0]
    assert ember.rand(3).tolist() == a1  # the global stream is untouched
