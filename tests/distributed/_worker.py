"""Run under mpirun by tests/distributed/test_distributed.py: each collective against
NumPy's result on every rank; each rank writes "OK" to $EMBER_TEST_OUT/rank<r> when every
check passed (a file each: mpirun merges the ranks' stdout)."""
from __future__ import annotations

import os
import sys

import numpy as np

import ember
import ember.distributed as dist


def main():
    dist.init_process_group("mpi")
    r, n = dist.get_rank(), dist.get_world_size()
    assert dist.is_initialized() and dist.get_backend() == "mpi"
    base = np.arange(6, dtype=np.float64).reshape(2, 3)
    mine = base + 10 * r
    every = [base + 10 * k for k in range(n)]
    for op, ref in [(dist.ReduceOp.SUM, np.sum), (dist.ReduceOp.PRODUCT, np.prod),
                    (dist.ReduceOp.MIN, np.min), (dist.ReduceOp.MAX, np.max),
                    (dist.ReduceOp.AVG, np.mean)]:
        t = ember.tensor(mine.copy())
        same = t._data
        dist.all_reduce(t, op=op)
        np.testing.assert_allclose(t.numpy(), ref(np.stack(every), axis=0), err_msg=op)
        assert t._data is same  # in place
        t = ember.tensor(mine.copy())
        work = dist.all_reduce(t, op=op, async_op=True)
        work.wait()
        np.testing.assert_allclose(t.numpy(), ref(np.stack(every), axis=0), err_msg=op)
    t = ember.tensor(mine.copy())
    dist.broadcast(t, src=n - 1)
    np.testing.assert_array_equal(t.numpy(), every[n - 1])
    t = ember.tensor(mine.copy())
    dist.reduce(t, dst=0, op=dist.ReduceOp.SUM)
    np.testing.assert_array_equal(t.numpy(), sum(every) if r == 0 else mine)
    outs = [ember.zeros(2, 3, dtype=ember.float64) for _ in range(n)]
    dist.all_gather(outs, ember.tensor(mine))
    for k in range(n):
        np.testing.assert_array_equal(outs[k].numpy(), every[k])
    big = ember.zeros(2 * n, 3, dtype=ember.float64)
    dist.all_gather_into_tensor(big, ember.tensor(mine))
    np.testing.assert_array_equal(big.numpy(), np.concatenate(every))
    chunk = ember.zeros(1, 3, dtype=ember.float64)
    src = np.arange(3 * n, dtype=np.float64).reshape(n, 3) * (r + 1)
    dist.reduce_scatter_tensor(chunk, ember.tensor(src))
    total = sum(np.arange(3 * n, dtype=np.float64).reshape(n, 3) * (k + 1) for k in range(n))
    np.testing.assert_array_equal(chunk.numpy()[0], total[r])
    got = [ember.zeros(2, 3, dtype=ember.float64) for _ in range(n)] if r == 0 else None
    dist.gather(ember.tensor(mine), got, dst=0)
    if r == 0:
        for k in range(n):
            np.testing.assert_array_equal(got[k].numpy(), every[k])
    t = ember.zeros(2, 3, dtype=ember.float64)
    dist.scatter(t, [ember.tensor(e) for e in every] if r == 0 else None, src=0)
    np.testing.assert_array_equal(t.numpy(), every[r])
    if n > 1:  # a ring of send/recv
        t = ember.zeros(2, 3, dtype=ember.float64)
        if r % 2 == 0:
            dist.send(ember.tensor(mine), dst=(r + 1) % n)
            sender = dist.recv(t, src=(r - 1) % n)
        else:
            sender = dist.recv(t)
            dist.send(ember.tensor(mine), dst=(r + 1) % n)
        assert sender == (r - 1) % n
        np.testing.assert_array_equal(t.numpy(), every[(r - 1) % n])
    dist.barrier()
    from ember.utils.data import DistributedSampler
    data = list(range(11))
    shares = [list(DistributedSampler(data, n, k, shuffle=True, seed=3)) for k in range(n)]
    assert list(DistributedSampler(data, shuffle=True, seed=3)) == shares[r]
    dist.destroy_process_group()
    with open(os.path.join(os.environ["EMBER_TEST_OUT"], f"rank{r}"), "w") as f:
        f.write("OK")


if __name__ == "__main__":
    sys.exit(main())
