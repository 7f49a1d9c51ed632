"""A small FNet-style sequence model with rotary position embeddings, written as PyTorch
programs write them: the token mixer is the real part of a 2-D FFT over (sequence, hidden),
the positions enter as complex phasors (``polar``/``view_as_complex``/``view_as_real``, the
LLaMA style), an orthogonality penalty with ``linalg.matrix_norm`` keeps a projection near
orthogonal, and a ridge probe fitted with ``linalg.solve`` reads the features at the end.
Weights and data are deterministic (no random stream), so both libraries compute the same
numbers."""
import json
import math

import torch
import torch.nn as nn

B, T, D, V = 8, 12, 16, 10


def det(*shape, k=1.0):
    """A deterministic tensor of the given shape (sines of a ramp)."""
    n = math.prod(shape)
    return torch.sin(torch.arange(n, dtype=torch.float64) * 0.7 * k + k).reshape(shape)


def rope(x):
    """Rotary embeddings: each pair of features turned by a position-dependent angle."""
    inv = 1.0 / (10000 ** (torch.arange(0, D, 2, dtype=torch.float64) / D))
    freqs = torch.outer(torch.arange(x.shape[1], dtype=torch.float64), inv)
    freqs_cis = torch.polar(torch.ones_like(freqs), freqs)
    x_ = torch.view_as_complex(x.reshape(*x.shape[:-1], -1, 2))
    return torch.view_as_real(x_ * freqs_cis).flatten(2)


class FNetBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm1 = nn.LayerNorm(D)
        self.norm2 = nn.LayerNorm(D)
        self.ff = nn.Sequential(nn.Linear(D, 2 * D), nn.GELU(), nn.Linear(2 * D, D))

    def forward(self, x):
        x = self.norm1(x + torch.fft.fft2(x, norm="ortho").real)
        return self.norm2(x + self.ff(x))


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, D)
        self.block = FNetBlock()
        self.proj = nn.Linear(D, D, bias=False)
        self.head = nn.Linear(D, V)

    def features(self, tok):
        return self.proj(self.block(rope(self.emb(tok))))

    def forward(self, tok):
        return self.head(self.features(tok))


model = Model().double()
with torch.no_grad():
    for i, (name, p) in enumerate(model.named_parameters()):
        if not name.endswith("norm1.weight") and not name.endswith("norm2.weight"):
            p.copy_(det(*p.shape, k=i + 1) * 0.3)

pos = torch.arange(B * T).reshape(B, T)
tok = (pos * 7 + (pos // T) * 3 + (pos * pos) // 5) % V
target = torch.roll(tok, 1, dims=1)  # the previous token: needs mixing along the sequence

opt = torch.optim.Adam(model.parameters(), lr=1e-2)
eye = torch.eye(D, dtype=torch.float64)
losses, penalties = [], []
for step in range(120):
    opt.zero_grad()
    logits = model(tok)
    loss = nn.functional.cross_entropy(logits.reshape(-1, V), target.reshape(-1))
    w = model.proj.weight
    penalty = torch.linalg.matrix_norm(w.T @ w - eye)  # Frobenius
    (loss + 0.1 * penalty).backward()
    opt.step()
    losses.append(loss.item())
    penalties.append(penalty.item())

with torch.no_grad():
    h = model.features(tok).reshape(-1, D)
    y = nn.functional.one_hot(target.reshape(-1), V).double()
    ridge = torch.linalg.solve(h.T @ h + 1e-2 * eye, h.T @ y)
    probe_acc = ((h @ ridge).argmax(1) == target.reshape(-1)).double().mean().item()
    acc = (model(tok).argmax(-1) == target).double().mean().item()
    sv = torch.linalg.svdvals(model.proj.weight)
    spectrum = torch.fft.rfft(model.emb.weight, dim=0).abs()

print(json.dumps({
    "first_loss": losses[0], "last_loss": losses[-1], "first_penalty": penalties[0],
    "last_penalty": penalties[-1], "accuracy": acc, "probe_accuracy": probe_acc,
    "sv_ratio": (sv.max() / sv.min()).item(), "spectrum_shape": list(spectrum.shape),
    "spectrum_sum": spectrum.sum().item(), "grad_dtype": str(model.emb.weight.grad.dtype),
    "losses": losses[::20]}))
