"""Functions the processes started by tests/test_multiprocessing.py run (they must be
importable by a spawned child, which imports this module and ember, nothing heavier)."""
from __future__ import annotations

import os

import ember.nn as nn


class Net(nn.Module):
    """The A3C test's model."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(1, 16), nn.Linear(16, 1)

    def forward(self, x):
        return self.fc2(self.fc1(x).tanh())


def fill_slot(i, shared, value):
    """Write into this process's slot of a tensor in shared memory."""
    shared[i] = value + i


def echo_and_touch(i, inbox, outbox, done):
    """Take a tensor from ``inbox``, change it in place, send a new one back, and stay until
    the parent has it (its memory is handed over by this process)."""
    import ember  # noqa: PLC0415

    t = inbox.get()
    t.mul_(2)
    outbox.put((i, ember.full((3,), float(i)), t.is_shared(), os.getpid()))
    done.wait(60)


def pipe_round_trip(i, conn):
    import ember  # noqa: PLC0415

    w = conn.recv()
    w.data.add_(1)
    conn.send((type(w).__name__, w.requires_grad, w.grad is None, ember.ones(2) * 7))
    conn.recv()  # the parent says it has the reply


def send_and_exit(i, queue, strategy):
    """Put a tensor in the queue and exit at once (before the parent reads it)."""
    import ember  # noqa: PLC0415
    import ember.multiprocessing as mp  # noqa: PLC0415

    mp.set_sharing_strategy(strategy)
    queue.put(ember.full((4,), float(i)))


def fail_with(i, which, lib="ember"):
    """Process 1 fails: by an exception or by an exit code."""
    if i != 1:
        return
    if which == "raise":
        raise ValueError(f"worker {i} gave up")
    os._exit(3)


def a3c_worker(rank, shared_model, optimizer, steps, lock, counter):
    """A3C's loop: sync a local copy from the shared model, compute gradients locally, hand
    them to the shared parameters and step the shared optimizer (whose state is shared)."""
    import ember  # noqa: PLC0415
    import ember.nn.functional as F  # noqa: PLC0415

    ember.manual_seed(100 + rank)
    local = type(shared_model)()
    x = ember.linspace(-2, 2, 64).reshape(-1, 1)
    y = (3 * x).sin()
    for _ in range(steps):
        local.load_state_dict(shared_model.state_dict())
        idx = ember.randint(0, 64, (16,))
        loss = F.mse_loss(local(x[idx]), y[idx])
        optimizer.zero_grad()
        local.zero_grad()
        loss.backward()
        for p, sp in zip(local.parameters(), shared_model.parameters()):
            sp._grad = p.grad  # as the A3C code does: the local gradient becomes the shared one
        optimizer.step()
        with lock:
            counter.value += 1
