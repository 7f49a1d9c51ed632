"""The VAE of the older tutorials, as they were written: the reconstruction loss summed with
``size_average=False``, a DataLoader with ``pin_memory=True`` (and ``num_workers``) chosen for
a GPU, and the device picked with ``torch.cuda.is_available()``. On a machine without a GPU,
PyTorch warns about the pinning and trains on the CPU; the summed loss is per image, so its
scale is that of 784 pixels."""
import argparse
import json
import warnings

import torch
import torch.utils.data
from torch import nn, optim
from torch.nn import functional as F


class VAE(nn.Module):
    def __init__(self):
        super(VAE, self).__init__()
        self.fc1 = nn.Linear(784, 200)
        self.fc21 = nn.Linear(200, 10)
        self.fc22 = nn.Linear(200, 10)
        self.fc3 = nn.Linear(10, 200)
        self.fc4 = nn.Linear(200, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = logvar.mul(0.5).exp_()
        eps = torch.randn_like(std)
        return eps.mul(std).add_(mu)

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), size_average=False)
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


def main():
    parser = argparse.ArgumentParser(description='VAE MNIST Example (legacy arguments)')
    parser.add_argument('--epochs', type=int, default=3)
    parser.add_argument('--no-cuda', action='store_true', default=False)
    args = parser.parse_args()
    args.cuda = not args.no_cuda and torch.cuda.is_available()
    torch.manual_seed(1)
    device = torch.device("cuda" if args.cuda else "cpu")
    kwargs = {'num_workers': 1, 'pin_memory': True}
    images = (torch.rand(96, 1, 28, 28) > 0.7).float()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        train_loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images),
                                                   batch_size=32, shuffle=True, **kwargs)
        model = VAE().to(device)
        optimizer = optim.Adam(model.parameters(), lr=1e-3)
        epoch_losses, batch_sums = [], []
        for epoch in range(1, args.epochs + 1):
            model.train()
            train_loss = 0
            for batch_idx, (data,) in enumerate(train_loader):
                data = data.to(device)
                optimizer.zero_grad()
                recon_batch, mu, logvar = model(data)
                loss = loss_function(recon_batch, data, mu, logvar)
                loss.backward()
                train_loss += loss.item()
                optimizer.step()
                batch_sums.append(loss.item() / len(data))
            epoch_losses.append(train_loss / len(train_loader.dataset))
    with torch.no_grad():
        mean_bce = F.binary_cross_entropy(recon_batch, data.view(-1, 784)).item()
    print(json.dumps({
        "epoch_losses": epoch_losses, "first_batch_per_image": batch_sums[0],
        "mean_bce_last_batch": mean_bce, "device": str(device),
        "warnings": sorted({str(w.message) for w in caught if "pin_memory" in str(w.message)
                            or "size_average" in str(w.message)})}))


if __name__ == "__main__":
    main()
