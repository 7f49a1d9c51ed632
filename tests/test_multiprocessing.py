"""``ember.multiprocessing`` with real processes (the ``spawn`` start method, two processes):
tensors travel through queues, pipes and process arguments as shared memory, ``spawn``
reports a child's failure as PyTorch's does, and an A3C-style shared model and shared
optimizer train from two processes. (The Hogwild program of tests/compat/programs runs under
both libraries.)"""
from __future__ import annotations

import multiprocessing
import pickle
import re
from multiprocessing.reduction import ForkingPickler

import numpy as np
import pytest

import ember
import ember.multiprocessing as mp
import ember.nn as nn

from . import _mp_workers as workers
from .compat._libs import needs_torch, torch

CTX = mp.get_context("spawn")


def test_names_are_pythons_multiprocessing():
    for name in ("Process", "Queue", "SimpleQueue", "Pipe", "get_context", "set_start_method",
                 "get_start_method", "cpu_count", "Lock", "Event"):
        assert getattr(mp, name) is getattr(multiprocessing, name)
    assert set(mp.__all__) >= {"set_sharing_strategy", "Process", "Queue", "Pipe"}
    assert mp.get_sharing_strategy() == "file_descriptor"
    assert mp.get_all_sharing_strategies() == {"file_descriptor", "file_system"}
    with pytest.raises(AssertionError, match="invalid sharing strategy"):
        mp.set_sharing_strategy("carrier pigeon")


@needs_torch
def test_sharing_strategies_match_torch():
    import torch.multiprocessing as tmp  # noqa: PLC0415

    assert mp.get_all_sharing_strategies() == tmp.get_all_sharing_strategies()
    assert mp.get_sharing_strategy() == tmp.get_sharing_strategy()


def test_spawn_writes_into_shared_memory():
    t = ember.zeros(2).share_memory_()
    assert mp.spawn(workers.fill_slot, args=(t, 10.0), nprocs=2) is None
    assert t.tolist() == [10.0, 11.0]


def test_queues_carry_shared_tensors_both_ways():
    inbox, outbox, done = CTX.Queue(), CTX.Queue(), CTX.Event()
    ctx = mp.start_processes(workers.echo_and_touch, args=(inbox, outbox, done), nprocs=2,
                             join=False)
    sent = [ember.arange(3.0), ember.arange(3.0) + 10]  # not shared yet: moved on sending
    for t in sent:
        inbox.put(t)
    replies = sorted(outbox.get(timeout=120) for _ in range(2))
    done.set()
    assert ctx.join(timeout=120) or ctx.join()
    for t in sent:
        assert t.is_shared()
    assert sorted(t.tolist() for t in sent) == [[0.0, 2.0, 4.0], [20.0, 22.0, 24.0]]
    for i, (rank, t, child_saw_shared, pid) in enumerate(replies):
        assert rank == i and t.tolist() == [float(i)] * 3 and t.is_shared() and child_saw_shared
        assert pid in ctx.pids()


def test_pipes_carry_parameters():
    ours, theirs = CTX.Pipe()
    p = CTX.Process(target=workers.pipe_round_trip, args=(0, theirs))
    p.start()
    w = nn.Parameter(ember.zeros(2))
    w.grad = ember.ones(2)
    ours.send(w)
    kind, requires_grad, no_grad, seven = ours.recv()
    ours.send("thanks")
    p.join(120)
    assert p.exitcode == 0
    assert (kind, requires_grad, no_grad) == ("Parameter", True, True)
    assert w.tolist() == [1.0, 1.0] and seven.tolist() == [7.0, 7.0]


@pytest.mark.parametrize("strategy", ["file_system"])
def test_a_sender_may_exit_before_the_receiver_reads(strategy):
    """With 'file_system' the segment outlives its sender (with 'file_descriptor' the
    receiver fetches the descriptor from the sender, which must still run: PyTorch's rule)."""
    q = CTX.Queue()
    mp.spawn(workers.send_and_exit, args=(q, strategy), nprocs=2)
    got = sorted(q.get(timeout=60).tolist() for _ in range(2))
    assert got == [[0.0] * 4, [1.0] * 4]


def test_a_non_leaf_that_requires_grad_is_refused():
    y = ember.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="Cowardly refusing to serialize non-leaf tensor"):
        ForkingPickler.dumps(y)
    ForkingPickler.dumps(y.detach())


@needs_torch
def test_refusals_match_torch():
    def outcome(lib):
        try:
            ForkingPickler.dumps(lib.ones(2, requires_grad=True) * 2)
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e)
    assert outcome(ember) == outcome(torch)


def test_the_pickle_data_is_a_handle_not_the_array():
    t = ember.ones(100_000)
    assert len(ForkingPickler.dumps(t)) < 2000 and t.is_shared()
    # plain pickling (not multiprocessing's) still copies the data, unshared
    back = pickle.loads(pickle.dumps(ember.ones(3).share_memory_()))
    assert not back.is_shared() and back.tolist() == [1.0] * 3


def test_views_travel_with_their_offset_and_strides():
    base = ember.arange(12.0).reshape(3, 4).share_memory_()
    view = base.t()[1:]
    back = ForkingPickler.loads(ForkingPickler.dumps(view))
    assert back.tolist() == view.tolist()
    back.fill_(-1)  # the same memory
    assert base[:, 1:].tolist() == [[-1.0] * 3] * 3


def test_gpu_tensors_are_refused():
    if not ember.cuda.is_available():
        pytest.skip("needs a GPU or the CPU stand-in")
    with pytest.raises(NotImplementedError, match="send tensor.cpu"):
        ForkingPickler.dumps(ember.ones(2).cuda())


# ---------------------------------------------------------------- spawn's failures
def _failure(lib, which):
    spawn = ember.multiprocessing.spawn if lib is ember else torch.multiprocessing.spawn
    try:
        spawn(workers.fail_with, args=(which,), nprocs=2)
    except Exception as e:  # noqa: BLE001
        return e
    return None


@needs_torch
def test_a_raising_child_is_reported_as_in_torch():
    ours, theirs = _failure(ember, "raise"), _failure(torch, "raise")
    assert type(ours).__name__ == type(theirs).__name__ == "ProcessRaisedException"
    assert ours.error_index == theirs.error_index == 1

    def shape(msg):  # the traceback's paths and line numbers are each library's own
        return re.sub(r'File ".*?", line \d+', "File", msg)
    assert shape(str(ours)) == shape(str(theirs))
    assert str(ours).startswith("\n\n-- Process 1 terminated with the following error:\n")
    assert str(ours).rstrip().endswith("ValueError: worker 1 gave up")


def test_an_exiting_child_is_reported():
    e = _failure(ember, "exit")
    assert isinstance(e, mp.ProcessExitedException)
    assert str(e) == "process 1 terminated with exit code 3"
    assert (e.error_index, e.exit_code, e.signal_name) == (1, 3, None)


def test_spawn_warns_for_another_start_method():
    t = ember.zeros(2).share_memory_()
    with pytest.warns(FutureWarning, match="only supports start_method=spawn"):
        mp.spawn(workers.fill_slot, args=(t, 1.0), nprocs=1, start_method="fork")
    assert t.tolist() == [1.0, 0.0]


# ---------------------------------------------------------------- A3C
def test_a3c_style_shared_model_and_optimizer():
    ember.manual_seed(0)
    model = workers.Net().share_memory()
    optimizer = ember.optim.Adam(model.parameters(), lr=0.02)
    for p in model.parameters():  # A3C's SharedAdam: the state exists and is shared up front
        state = optimizer.state[p]
        state["step"] = ember.zeros(()).share_memory_()
        state["exp_avg"] = ember.zeros_like(p).share_memory_()
        state["exp_avg_sq"] = ember.zeros_like(p).share_memory_()
    x = ember.linspace(-2, 2, 64).reshape(-1, 1)
    y = (3 * x).sin()
    first = ember.nn.functional.mse_loss(model(x), y).item()
    lock, counter = CTX.Lock(), CTX.Value("i", 0)
    mp.start_processes(workers.a3c_worker, args=(model, optimizer, 60, lock, counter), nprocs=2)
    last = ember.nn.functional.mse_loss(model(x), y).item()
    assert counter.value == 120
    steps = [optimizer.state[p]["step"].item() for p in model.parameters()]
    assert steps == [120.0] * 4  # both processes stepped the one shared optimizer state
    assert last < 0.8 * first and np.isfinite(last)
