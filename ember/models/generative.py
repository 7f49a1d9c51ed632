"""Unsupervised and generative models: autoencoders, variational autoencoders, GANs.

The lectures' objectives, next to the code that implements them:

* Autoencoder: minimise ||x - g(f(x))||^2 (or the cross-entropy of x under g(f(x)) for
  pixels in [0, 1]). A *linear* autoencoder with squared error learns the span of the top
  principal components of the (centred) data: the PCA subspace.
* Denoising autoencoder: reconstruct x from a corrupted x~ = x + sigma * noise.
* Variational autoencoder (Kingma & Welling, 2014): the encoder gives q(z|x) = N(mu,
  diag(exp(logvar))); z = mu + exp(logvar / 2) * eps with eps ~ N(0, I) (reparameterization);
  maximise the ELBO = E_q[log p(x|z)] - KL(q(z|x) || N(0, I)), with the analytic
  KL = -1/2 sum(1 + logvar - mu^2 - exp(logvar)). ``vae_loss`` is the negative ELBO.
* GAN (Goodfellow et al., 2014): min_G max_D E[log D(x)] + E[log(1 - D(G(z)))]; the
  generator is trained with the non-saturating loss -log D(G(z)) (``generator_loss``).
* Wasserstein GAN (Arjovsky et al., 2017): the critic maximises E[D(x)] - E[D(G(z))] under a
  Lipschitz constraint: weight clipping (``clip_weights``, with RMSprop), or the gradient
  penalty lambda E[(||grad D(x^)|| - 1)^2] at random interpolates x^ (WGAN-GP, Gulrajani et
  al., 2017; ``gradient_penalty``, differentiated twice through the critic).
"""
from __future__ import annotations

from .. import nn, ops
from .._grad_mode import no_grad
from ..autograd import grad as _grad
from ..tensor import Tensor

__all__ = ["LinearAutoencoder", "Autoencoder", "ConvAutoencoder", "DenoisingAutoencoder",
           "VAE", "ConvVAE", "vae_loss", "MLPGenerator", "MLPDiscriminator",
           "DCGANGenerator", "DCGANDiscriminator", "discriminator_loss", "generator_loss",
           "critic_loss", "clip_weights", "gradient_penalty"]


# ---------------------------------------------------------------------------- autoencoders


class LinearAutoencoder(nn.Module):
    """x -> W_d (W_e x + b_e) + b_d with a k-dimensional code: PCA, learned.

    Shape: (N, in_features) -> (N, in_features).
    """

    def __init__(self, in_features: int, latent: int):
        super().__init__()
        self.encoder = nn.Linear(in_features, latent)
        self.decoder = nn.Linear(latent, in_features)

    def forward(self, x):
        return self.decoder(self.encoder(x))


def _mlp(sizes, act, last_act=None):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act())
        elif last_act is not None:
            layers.append(last_act())
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """A deep MLP autoencoder: in -> hidden... -> latent -> ...hidden -> in, ReLU between,
    a sigmoid at the end (pixels in [0, 1]) unless ``output='linear'``.

    Shape: (N, in_features) (or images, flattened) -> (N, in_features).
    """

    def __init__(self, in_features: int = 784, hidden=(256,), latent: int = 32,
                 output: str = "sigmoid"):
        super().__init__()
        sizes = [in_features, *hidden, latent]
        self.encoder = _mlp(sizes, nn.ReLU)
        self.decoder = _mlp(sizes[::-1], nn.ReLU,
                            nn.Sigmoid if output == "sigmoid" else None)

    def forward(self, x):
        shape = x.shape
        return self.decoder(self.encoder(x.flatten(1))).reshape(shape)


class ConvAutoencoder(nn.Module):
    """Strided convolutions down to a code, transposed convolutions back up, for 28x28
    images. Shape: (N, C, 28, 28) -> (N, C, 28, 28) in [0, 1]."""

    def __init__(self, in_channels: int = 1, latent: int = 32):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(in_channels, 16, 3, stride=2, padding=1), nn.ReLU(),   # 14x14
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),            # 7x7
            nn.Flatten(), nn.Linear(32 * 7 * 7, latent))
        self.decoder = nn.Sequential(
            nn.Linear(latent, 32 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (32, 7, 7)),
            nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1), nn.ReLU(),   # 14x14
            nn.ConvTranspose2d(16, in_channels, 4, stride=2, padding=1),      # 28x28
            nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))


class DenoisingAutoencoder(nn.Module):
    """Wraps an autoencoder: in training its input is corrupted by Gaussian noise of
    ``sigma`` (clamped back to [0, 1] when ``clamp``); the target stays the clean input."""

    def __init__(self, autoencoder: nn.Module, sigma: float = 0.3, clamp: bool = True):
        super().__init__()
        self.autoencoder, self.sigma, self.clamp = autoencoder, sigma, clamp

    def corrupt(self, x):
        noisy = x + ops.randn_like(x) * self.sigma
        return ops.clamp(noisy, 0.0, 1.0) if self.clamp else noisy

    def forward(self, x):
        return self.autoencoder(self.corrupt(x) if self.training else x)


# ---------------------------------------------------------------------------- VAEs


class _VAEBase(nn.Module):
    latent = 2

    def reparameterize(self, mu, logvar):
        """z = mu + sigma * eps, eps ~ N(0, I): sampling that gradients pass through."""
        return mu + ops.exp(0.5 * logvar) * ops.randn_like(mu)

    def forward(self, x):
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar

    def sample(self, n: int, generator=None) -> Tensor:
        """Decodes of n draws from the prior N(0, I)."""
        with no_grad():
            z = ops.randn(n, self.latent, generator=generator,
                          device=next(self.parameters()).device)
            return self.decode(z)

    def reconstruct(self, x) -> Tensor:
        """The decode of each input's posterior mean."""
        with no_grad():
            return self.decode(self.encode(x)[0])

    def interpolate(self, x1, x2, steps: int = 8) -> Tensor:
        """Decodes along the straight line between two inputs' posterior means."""
        with no_grad():
            a, b = self.encode(x1.unsqueeze(0))[0], self.encode(x2.unsqueeze(0))[0]
            t = ops.linspace(0, 1, steps, device=a.device).unsqueeze(1)
            return self.decode(a + (b - a) * t)


class VAE(_VAEBase):
    """The MLP VAE of the classic example: 784 -> 400 -> (mu, logvar) of size 20 -> 400 ->
    784 with a Bernoulli decoder (sigmoid). Shape: (N, 1, 28, 28) or (N, 784) -> (N, 784),
    mu, logvar (N, latent)."""

    def __init__(self, in_features: int = 784, hidden: int = 400, latent: int = 20):
        super().__init__()
        self.in_features, self.latent = in_features, latent
        self.fc1 = nn.Linear(in_features, hidden)
        self.fc21 = nn.Linear(hidden, latent)
        self.fc22 = nn.Linear(hidden, latent)
        self.fc3 = nn.Linear(latent, hidden)
        self.fc4 = nn.Linear(hidden, in_features)

    def encode(self, x):
        h = ops.relu(self.fc1(x.reshape(-1, self.in_features)))
        return self.fc21(h), self.fc22(h)

    def decode(self, z):
        return ops.sigmoid(self.fc4(ops.relu(self.fc3(z))))


class ConvVAE(_VAEBase):
    """A convolutional VAE for 28x28 images: the ConvAutoencoder's layers with (mu, logvar)
    heads. Shape: (N, C, 28, 28) -> (N, C, 28, 28), mu, logvar (N, latent)."""

    def __init__(self, in_channels: int = 1, latent: int = 16):
        super().__init__()
        self.latent = latent
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 32, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten())
        self.mu = nn.Linear(64 * 7 * 7, latent)
        self.logvar = nn.Linear(64 * 7 * 7, latent)
        self.decoder = nn.Sequential(
            nn.Linear(latent, 64 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
            nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(32, in_channels, 4, stride=2, padding=1), nn.Sigmoid())

    def encode(self, x):
        h = self.features(x)
        return self.mu(h), self.logvar(h)

    def decode(self, z):
        return self.decoder(z)


def vae_loss(recon, x, mu, logvar, likelihood: str = "bernoulli", beta: float = 1.0):
    """The negative ELBO, summed over the batch: reconstruction term (binary cross-entropy
    for a Bernoulli decoder, half the squared error for a unit Gaussian) plus beta times the
    analytic KL(N(mu, exp(logvar)) || N(0, I)) = -1/2 sum(1 + logvar - mu^2 - exp(logvar))."""
    target = x.reshape(recon.shape)
    if likelihood == "bernoulli":
        rec = ops.binary_cross_entropy(recon, target, reduction="sum")
    elif likelihood == "gaussian":
        rec = 0.5 * ((recon - target) ** 2).sum()
    else:
        raise ValueError(f"vae_loss: likelihood must be 'bernoulli' or 'gaussian', got "
                         f"{likelihood!r}")
    kld = -0.5 * ops.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return rec + beta * kld


# ---------------------------------------------------------------------------- GANs


class MLPGenerator(nn.Module):
    """z (N, latent) -> samples (N, out_features): Linear-ReLU layers, tanh at the end unless
    ``output='linear'`` (e.g. for points in the plane)."""

    def __init__(self, latent: int = 64, hidden=(256, 256), out_features: int = 784,
                 output: str = "tanh"):
        super().__init__()
        self.latent = latent
        self.net = _mlp([latent, *hidden, out_features], nn.ReLU,
                        nn.Tanh if output == "tanh" else None)

    def forward(self, z):
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """x (N, in_features) -> one logit per sample (no sigmoid: use the *_with_logits losses),
    LeakyReLU(0.2) between Linear layers."""

    def __init__(self, in_features: int = 784, hidden=(256, 256)):
        super().__init__()
        self.net = _mlp([in_features, *hidden, 1], lambda: nn.LeakyReLU(0.2))

    def forward(self, x):
        return self.net(x.flatten(1)).squeeze(1)


class DCGANGenerator(nn.Module):
    """DCGAN generator for 28x28 images (Radford et al., 2016): z (N, nz, 1, 1) ->
    ConvTranspose2d + BatchNorm2d + ReLU up to (N, nc, 28, 28) in [-1, 1] (tanh)."""

    def __init__(self, nz: int = 64, ngf: int = 32, nc: int = 1):
        super().__init__()
        self.nz = nz
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 4, 7, 1, 0, bias=False), nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),                                                      # 7x7
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2), nn.ReLU(True),                            # 14x14
            nn.ConvTranspose2d(ngf * 2, nc, 4, 2, 1, bias=False), nn.Tanh())   # 28x28

    def forward(self, z):
        return self.main(z.reshape(z.shape[0], self.nz, 1, 1))


class DCGANDiscriminator(nn.Module):
    """DCGAN discriminator (or WGAN critic) for 28x28 images: strided convolutions with
    LeakyReLU(0.2) down to one logit per image. ``norm``: 'batch' (DCGAN), 'layer' (for
    WGAN-GP, whose penalty is per sample) or 'none'."""

    def __init__(self, nc: int = 1, ndf: int = 32, norm: str = "batch"):
        super().__init__()
        if norm not in ("batch", "layer", "none"):
            raise ValueError(f"DCGANDiscriminator: norm must be 'batch', 'layer' or 'none', "
                             f"got {norm!r}")
        middle = {"batch": nn.BatchNorm2d(ndf * 2), "layer": nn.LayerNorm([ndf * 2, 7, 7]),
                  "none": nn.Identity()}[norm]
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),  # 14
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), middle,
            nn.LeakyReLU(0.2, inplace=True),                                            # 7
            nn.Conv2d(ndf * 2, 1, 7, 1, 0, bias=False))                                  # 1

    def forward(self, x):
        return self.main(x).reshape(-1)


def discriminator_loss(real_logits, fake_logits):
    """-log D(x) - log(1 - D(G(z))), averaged: the discriminator's side of the minimax."""
    f = ops.binary_cross_entropy_with_logits
    return f(real_logits, ops.ones_like(real_logits)) + \
        f(fake_logits, ops.zeros_like(fake_logits))


def generator_loss(fake_logits):
    """The non-saturating generator loss -log D(G(z)), averaged."""
    return ops.binary_cross_entropy_with_logits(fake_logits, ops.ones_like(fake_logits))


def critic_loss(real_scores, fake_scores):
    """The WGAN critic's loss: E[D(G(z))] - E[D(x)] (it maximises the difference)."""
    return fake_scores.mean() - real_scores.mean()


def clip_weights(module: nn.Module, c: float = 0.01) -> None:
    """WGAN's Lipschitz constraint by weight clipping: every parameter into [-c, c]."""
    with no_grad():
        for p in module.parameters():
            p.data.clamp_(-c, c)


def gradient_penalty(critic: nn.Module, real, fake, generator=None):
    """WGAN-GP's E[(||grad_x^ D(x^)||_2 - 1)^2] at x^ = e real + (1 - e) fake, e ~ U(0, 1) per
    sample. Differentiable (``create_graph=True``): its gradient w.r.t. the critic's weights
    is a second derivative through every layer of the critic."""
    n = real.shape[0]
    eps = ops.rand(n, *([1] * (real.ndim - 1)), generator=generator, dtype=real.dtype,
                   device=real.device)
    mixed = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    scores = critic(mixed)
    (g,) = _grad(scores.sum(), mixed, create_graph=True)
    norms = ops.sqrt((g.reshape(n, -1) ** 2).sum(1) + 1e-12)
    return ((norms - 1) ** 2).mean()
