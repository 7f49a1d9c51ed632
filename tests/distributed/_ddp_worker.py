"""Run under mpirun by test_distributed.py: DistributedDataParallel against one process on
the global batch (float64), no_sync accumulation, broadcast at construction, unused
parameters; each rank writes "OK" to $EMBER_TEST_OUT/rank<r> when every check passed."""
from __future__ import annotations

import os

import numpy as np

import ember
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel as DDP


def model(seed):
    ember.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3)).double()


def close(a, b):
    for (k, p), q in zip(a.named_parameters(), b.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-6,
                                   atol=1e-12, err_msg=k)


def main():
    dist.init_process_group("mpi")
    r, n = dist.get_rank(), dist.get_world_size()
    rng = np.random.default_rng(0)
    x = ember.tensor(rng.standard_normal((4 * n, 5)))
    y = ember.tensor(rng.integers(0, 3, 4 * n))
    mine = slice(4 * r, 4 * r + 4)
    for make, cap in ((lambda ps: ember.optim.SGD(ps, lr=0.1, momentum=0.9), 25),
                      (lambda ps: ember.optim.Adam(ps, lr=0.01), 25),
                      (lambda ps: ember.optim.Adam(ps, lr=0.01), 1e-4)):
        ref = model(100)  # one process on the whole batch, from rank 0's init
        ddp = DDP(model(100 + r), bucket_cap_mb=cap)  # different inits: rank 0's is broadcast
        close(ddp.module, ref)
        # when the first layer's weight gradient arrives, the buckets of the layer above
        # are already under way (1e-4 MB: a bucket per parameter) or not (25 MB: one bucket)
        started = []
        ddp.module[0].weight.register_hook(
            lambda g, started=started, ddp=ddp: started.append(len(ddp._started)))
        o_ref, o = make(ref.parameters()), make(ddp.parameters())
        for _ in range(5):
            o_ref.zero_grad()
            nn.functional.cross_entropy(ref(x), y).backward()
            o_ref.step()
            o.zero_grad()
            nn.functional.cross_entropy(ddp(x[mine]), y[mine]).backward()
            o.step()
        close(ddp.module, ref)
        assert started == [2 if cap < 1 else 0] * 5, started  # (bias2, weight2)
    # no_sync: the second backward averages the sum of both
    ref, ddp = model(0), DDP(model(0))
    half = [slice(2 * r, 2 * r + 2), slice(2 * n + 2 * r, 2 * n + 2 * r + 2)]
    with ddp.no_sync():
        nn.functional.cross_entropy(ddp(x[half[0]]), y[half[0]]).backward()
    nn.functional.cross_entropy(ddp(x[half[1]]), y[half[1]]).backward()
    for part in (slice(0, 2 * n), slice(2 * n, 4 * n)):
        nn.functional.cross_entropy(ref(x[part]), y[part]).backward()
    for p, q in zip(ddp.module.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6, atol=1e-12)
    assert list(ddp.state_dict())[0].startswith("module.")
    # a parameter some ranks do not use
    ember.manual_seed(0)
    two = nn.ModuleList([nn.Linear(5, 3).double(), nn.Linear(5, 3).double()])

    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.heads = two

        def forward(self, t):
            return self.heads[0](t) if r == 0 else self.heads[0](t) + self.heads[1](t)

    ddp = DDP(Branchy(), find_unused_parameters=True)
    ddp(x[mine]).sum().backward()
    assert ddp.module.heads[1].weight.grad is not None  # averaged with rank 0's zero
    if n > 1:
        strict = DDP(Branchy())
        try:
            strict(x[mine]).sum().backward()
            raise AssertionError("an unused parameter went unnoticed")
        except RuntimeError as exc:  # on every rank: the verdict is collective
            assert "heads.1.weight" in str(exc), exc
    with open(os.path.join(os.environ["EMBER_TEST_OUT"], f"rank{r}"), "w") as f:
        f.write("OK")


if __name__ == "__main__":
    main()
