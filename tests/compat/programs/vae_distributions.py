"""A variational autoencoder written with torch.distributions: the encoder's Normal
posterior sampled by rsample, its KL to the standard normal prior by kl_divergence, a
Bernoulli likelihood for binary data (synthetic: noisy copies of a few prototypes)."""
import argparse
import json

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Bernoulli, Independent, Normal, kl_divergence


class VAE(nn.Module):
    def __init__(self, n_in=64, n_hidden=64, n_latent=4):
        super().__init__()
        self.enc = nn.Linear(n_in, n_hidden)
        self.mu = nn.Linear(n_hidden, n_latent)
        self.logvar = nn.Linear(n_hidden, n_latent)
        self.dec1 = nn.Linear(n_latent, n_hidden)
        self.dec2 = nn.Linear(n_hidden, n_in)

    def posterior(self, x):
        h = F.relu(self.enc(x))
        mu, logvar = self.mu(h), self.logvar(h)
        return Normal(mu, torch.exp(0.5 * logvar)), mu, logvar

    def likelihood(self, z):
        return Bernoulli(logits=self.dec2(F.relu(self.dec1(z))))

    def forward(self, x):
        q, mu, logvar = self.posterior(x)
        z = q.rsample()
        prior = Normal(torch.zeros_like(mu), torch.ones_like(mu))
        kl = kl_divergence(q, prior).sum(-1)
        rec = self.likelihood(z).log_prob(x).sum(-1)
        return -(rec - kl).mean(), kl, mu, logvar


def make_data(n=256, dim=64, n_protos=4, flip=0.05):
    protos = (torch.rand(n_protos, dim) > 0.5).float()
    labels = torch.randint(0, n_protos, (n,))
    x = protos[labels]
    noise = (torch.rand(n, dim) < flip).float()
    return (x + noise) % 2


def main():
    parser = argparse.ArgumentParser(description='VAE with torch.distributions')
    parser.add_argument('--epochs', type=int, default=12)
    args = parser.parse_args()
    torch.manual_seed(0)
    data = make_data()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(data), batch_size=32,
                                         shuffle=True)
    model = VAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    epoch_losses = []
    for epoch in range(args.epochs):
        total = 0.0
        for (x,) in loader:
            optimizer.zero_grad()
            loss, kl, mu, logvar = model(x)
            loss.backward()
            optimizer.step()
            total += loss.item() * x.shape[0]
        epoch_losses.append(total / len(data))
    model.eval()
    with torch.no_grad():
        loss, kl, mu, logvar = model(data)
        closed_form = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=-1)
        q, _, _ = model.posterior(data)
        z = q.sample()
        joint = Independent(q, 1).log_prob(z)
        prior = Independent(Normal(torch.zeros(4), torch.ones(4)), 1)
        samples = model.likelihood(prior.sample((8,))).sample()
    print(json.dumps({
        "epoch_losses": epoch_losses, "final_loss": loss.item(),
        "mean_kl": kl.mean().item(),
        "kl_vs_closed_form": (kl - closed_form).abs().max().item(),
        "joint_shape": list(joint.shape), "sample_shape": list(samples.shape),
        "samples_binary": bool(((samples == 0) | (samples == 1)).all()),
        "rsample_has_grad": Normal(torch.zeros(2, requires_grad=True),
                                   torch.ones(2)).rsample().requires_grad}))


if __name__ == '__main__':
    main()
