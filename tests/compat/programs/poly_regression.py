"""Polynomial regression with manual updates, after the classic example: fit a degree-4
polynomial with an nn.Linear on polynomial features, updating p.data by hand."""
import json

import torch
import torch.nn.functional as F

torch.manual_seed(0)
POLY_DEGREE = 4
W_target = torch.randn(POLY_DEGREE, 1) * 5
b_target = torch.randn(1) * 5


def make_features(x):
    """Builds features i.e. a matrix with columns [x, x^2, x^3, x^4]."""
    x = x.unsqueeze(1)
    return torch.cat([x ** i for i in range(1, POLY_DEGREE + 1)], 1)


def f(x):
    """Approximated function."""
    return x.mm(W_target) + b_target.item()


def get_batch(batch_size=32):
    """Builds a batch i.e. (x, f(x)) pair."""
    random = torch.randn(batch_size)
    x = make_features(random)
    y = f(x)
    return x, y


fc = torch.nn.Linear(W_target.size(0), 1)
losses = []
for batch_idx in range(500):
    batch_x, batch_y = get_batch()
    fc.zero_grad()
    output = F.smooth_l1_loss(fc(batch_x), batch_y)
    loss = output.item()
    output.backward()
    for param in fc.parameters():
        param.data.add_(-0.1 * param.grad)
    losses.append(loss)

err = (fc.weight.view(-1) - W_target.view(-1)).abs().max().item()
print(json.dumps({"first_loss": losses[0], "tail_loss": sum(losses[-50:]) / 50,
                  "weight_error": err, "batches": batch_idx + 1}))
