"""Training through a non-differentiable step with custom autograd Functions written in
PyTorch 2's style (``forward`` without ctx, ``setup_context``): weights quantized to a few
levels with a straight-through estimator, and a clamp whose gradient passes only inside the
range. A small MLP learns two interleaved spirals; its weights start from a seeded NumPy
generator so both libraries start from the same point."""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class QuantizeSTE(torch.autograd.Function):
    """Round to ``levels`` steps per unit in forward; identity gradient in backward."""

    @staticmethod
    def forward(x, levels):
        return torch.round(x * levels) / levels

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, levels = inputs
        ctx.levels = levels

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, None


class ClampGrad(torch.autograd.Function):
    """clamp(x, lo, hi) whose gradient is zero outside [lo, hi]."""

    @staticmethod
    def forward(x, lo, hi):
        return x.clamp(lo, hi)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, lo, hi = inputs
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        inside = (x >= ctx.lo) & (x <= ctx.hi)
        return grad_output * inside.to(grad_output.dtype), None, None


class QuantLinear(nn.Linear):
    def forward(self, x):
        w = QuantizeSTE.apply(self.weight, 4)
        return F.linear(x, w, self.bias)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = QuantLinear(2, 32)
        self.fc2 = QuantLinear(32, 32)
        self.fc3 = nn.Linear(32, 2)

    def forward(self, x):
        x = ClampGrad.apply(self.fc1(x), 0.0, 2.0)
        x = ClampGrad.apply(self.fc2(x), 0.0, 2.0)
        return self.fc3(x)


rng = np.random.default_rng(0)
n = 200
t = rng.uniform(0.5, 3.0, n)
cls = rng.integers(0, 2, n)
angle = t * 2.5 + np.pi * cls
points = np.stack([t * np.cos(angle), t * np.sin(angle)], 1) / 3 + rng.normal(0, 0.03, (n, 2))
x = torch.tensor(points, dtype=torch.float32)
y = torch.tensor(cls)

net = Net()
net.load_state_dict({k: torch.tensor((rng.standard_normal(tuple(v.shape)) * 0.5)
                                     .astype(np.float32)) for k, v in net.state_dict().items()})
opt = torch.optim.Adam(net.parameters(), lr=0.01)
losses = []
for epoch in range(150):
    opt.zero_grad()
    loss = F.cross_entropy(net(x), y)
    loss.backward()
    opt.step()
    losses.append(loss.item())

with torch.no_grad():
    acc = (net(x).argmax(1) == y).float().mean().item()
    q = QuantizeSTE.apply(net.fc1.weight, 4)
probe = torch.tensor([-1.0, 0.5, 3.0], requires_grad=True)
ClampGrad.apply(probe, 0.0, 2.0).sum().backward()
out = QuantizeSTE.apply(probe, 4)
print(json.dumps({
    "first_loss": losses[0], "last_loss": losses[-1], "accuracy": acc,
    "levels": sorted(set(np.round(q.numpy().ravel() * 4).astype(int).tolist()))[:3],
    "on_grid": bool(np.allclose(q.numpy() * 4, np.round(q.numpy() * 4))),
    "clamp_grad": probe.grad.tolist(), "grad_fn": type(out.grad_fn).__name__,
    "grad_fn_name": out.grad_fn.name()}))
