"""Run under mpirun by test_sync_batchnorm.py: SyncBatchNorm against one process on the
global batch (float64): outputs, input gradients, the summed parameter gradients, second
derivatives, running statistics, unequal and empty local batches, evaluation mode, and a
small convolutional network trained with DistributedDataParallel. Each rank writes "OK" to
$EMBER_TEST_OUT/rank<r> when every check passed."""
from __future__ import annotations

import os

import numpy as np

import ember
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel as DDP


def close(a, b, what, rtol=1e-9):
    np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-12, err_msg=what)


def summed(t):
    """The sum over ranks of a tensor (a copy)."""
    s = ember.tensor(t.detach().numpy().copy())
    dist.all_reduce(s)
    return s.numpy()


def check_layer(sizes, make, shape, r):
    """SyncBatchNorm on each rank's part of a global batch (rank k holds sizes[k] samples)
    against the plain layer on the whole batch in one process."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((sum(sizes),) + shape)
    w = rng.standard_normal(x.shape)
    start = sum(sizes[:r])
    mine = slice(start, start + sizes[r])
    ref = make().double()
    with ember.no_grad():
        ref.weight.copy_(ember.tensor(rng.uniform(0.5, 1.5, ref.weight.shape)))
        ref.bias.copy_(ember.tensor(rng.standard_normal(ref.bias.shape)))
    sync = nn.SyncBatchNorm.convert_sync_batchnorm(make().double())
    sync.load_state_dict(ref.state_dict())
    assert type(sync) is nn.SyncBatchNorm
    for step in range(2):
        xr = ember.tensor(x, requires_grad=True)
        xs = ember.tensor(x[mine], requires_grad=True)
        yr, ys = ref(xr), sync(xs)
        close(ys.detach().numpy(), yr.detach().numpy()[mine], f"output, step {step}")
        (yr * ember.tensor(w)).sum().backward()
        (ys * ember.tensor(w[mine])).sum().backward()
        close(xs.grad.numpy(), xr.grad.numpy()[mine], f"input gradient, step {step}")
        for name in ("weight", "bias"):  # each rank's part; DDP would sum them
            close(summed(getattr(sync, name).grad), getattr(ref, name).grad.numpy(), name)
            getattr(sync, name).grad = getattr(ref, name).grad = None
        for name in ("running_mean", "running_var"):
            close(getattr(sync, name).numpy(), getattr(ref, name).numpy(), name)
        assert int(sync.num_batches_tracked) == int(ref.num_batches_tracked) == step + 1
    # second derivatives: the all-reduce's gradient is recorded too
    xr = ember.tensor(x, requires_grad=True)
    xs = ember.tensor(x[mine], requires_grad=True)
    gr = ember.autograd.grad((ref(xr) ** 3).sum(), xr, create_graph=True)[0]
    gs = ember.autograd.grad((sync(xs) ** 3).sum(), xs, create_graph=True)[0]
    close(gs.detach().numpy(), gr.detach().numpy()[mine], "gradient (create_graph)", 1e-8)
    (gr ** 2).sum().backward()
    (gs ** 2).sum().backward()
    close(summed(sync.weight.grad), ref.weight.grad.numpy(), "second-order weight gradient",
          1e-7)
    # evaluation: the running statistics, no communication
    ref.eval()
    sync.eval()
    close(sync(ember.tensor(x[mine])).detach().numpy(),
          ref(ember.tensor(x)).detach().numpy()[mine], "eval")


def net(seed):
    ember.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.Flatten(), nn.Linear(4 * 5 * 5, 3)).double()


def check_training(r, n):
    """Three SGD steps of a small CNN: one process on the global batch, and n processes
    with SyncBatchNorm and DistributedDataParallel on their parts of it."""
    rng = np.random.default_rng(1)
    x = ember.tensor(rng.standard_normal((4 * n, 2, 5, 5)))
    y = ember.tensor(rng.integers(0, 3, 4 * n))
    mine = slice(4 * r, 4 * r + 4)
    ref = net(7)
    ddp = DDP(nn.SyncBatchNorm.convert_sync_batchnorm(net(7)))
    o_ref = ember.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    o_ddp = ember.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        o_ref.zero_grad()
        nn.functional.cross_entropy(ref(x), y).backward()
        o_ref.step()
        o_ddp.zero_grad()
        nn.functional.cross_entropy(ddp(x[mine]), y[mine]).backward()
        o_ddp.step()
    for (k, p), q in zip(ddp.module.state_dict().items(), ref.state_dict().values()):
        close(p.numpy(), q.numpy(), k, 1e-7)


def main():
    dist.init_process_group("mpi")
    r, n = dist.get_rank(), dist.get_world_size()
    check_layer([3] * n, lambda: nn.BatchNorm1d(3), (3, 4), r)
    check_layer([r + 1 for r in range(n)], lambda: nn.BatchNorm2d(2), (2, 3, 3), r)
    check_layer([0] + [4] * (n - 1), lambda: nn.BatchNorm3d(2), (2, 2, 2, 3), r)  # rank 0: none
    check_training(r, n)
    dist.destroy_process_group()
    with open(os.path.join(os.environ["EMBER_TEST_OUT"], f"rank{r}"), "w") as f:
        f.write("OK")


if __name__ == "__main__":
    main()
