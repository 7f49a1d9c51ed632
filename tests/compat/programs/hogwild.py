"""Hogwild training, after PyTorch's multiprocessing example: two processes train one model
whose parameters live in shared memory, each with its own SGD optimizer and its own batches,
updating the shared weights without locks. The training data reaches the workers through
the spawn start method's pickling."""
import json

import torch
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F

STEPS = 150


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 32)
        self.fc2 = nn.Linear(32, 1)

    def forward(self, x):
        return self.fc2(torch.tanh(self.fc1(x)))


def train(rank, model, x, y, done):
    torch.manual_seed(1 + rank)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.5)
    for _ in range(STEPS):
        idx = torch.randint(0, x.size(0), (32,))
        optimizer.zero_grad()
        loss = F.mse_loss(model(x[idx]), y[idx])
        loss.backward()
        optimizer.step()
        done[rank] += 1


def full_loss(model, x, y):
    with torch.no_grad():
        return F.mse_loss(model(x), y).item()


if __name__ == "__main__":
    torch.manual_seed(0)
    x = torch.randn(512, 2)
    y = torch.sin(2 * x[:, :1]) + 0.5 * x[:, 1:] ** 2
    model = Net()
    model.share_memory()
    done = torch.zeros(2, dtype=torch.long).share_memory_()
    before = [p.detach().clone() for p in model.parameters()]
    first = full_loss(model, x, y)
    ctx = mp.get_context("spawn")
    processes = [ctx.Process(target=train, args=(rank, model, x, y, done)) for rank in range(2)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    print(json.dumps({
        "first_loss": first, "last_loss": full_loss(model, x, y),
        "exitcodes": [p.exitcode for p in processes], "steps": done.tolist(),
        "shared": all(p.is_shared() for p in model.parameters()),
        "changed": all(not torch.equal(a, b) for a, b in zip(before, model.parameters())),
    }))
