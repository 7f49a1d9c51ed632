"""ember.utils.data against torch.utils.data's semantics (orders may differ: RNG streams do)."""
from __future__ import annotations

import collections
import itertools
import time

import numpy as np
import pytest

import ember
from ember.utils import data as ed

try:
    import torch
    from torch.utils import data as td
except ImportError:  # pragma: no cover
    torch = td = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")


class Squares(ed.Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        return {"x": np.full((2,), float(i)), "y": i, "name": f"s{i}"}


def _shapes(batches):
    out = []
    for b in batches:
        if isinstance(b, dict):
            out.append({k: (tuple(v.shape) if hasattr(v, "shape") else len(v))
                        for k, v in b.items()})
        else:
            out.append([tuple(t.shape) if hasattr(t, "shape") else len(t) for t in b])
    return out


@needs_torch
@pytest.mark.parametrize("kw", [dict(batch_size=3), dict(batch_size=3, drop_last=True),
                                dict(batch_size=4, shuffle=True), dict(batch_size=10)])
def test_batch_structure_matches_torch(kw):
    class TSquares(td.Dataset):
        __len__ = Squares.__len__
        __getitem__ = Squares.__getitem__

    e = list(ed.DataLoader(Squares(), **kw))
    t = list(td.DataLoader(TSquares(), **kw))
    assert len(e) == len(t) == len(ed.DataLoader(Squares(), **kw))
    assert _shapes(e) == _shapes(t)
    assert e[0]["y"].dtype == ember.int64 and e[0]["x"].dtype == ember.float64
    if not kw.get("shuffle"):
        for eb, tb in zip(e, t):
            np.testing.assert_array_equal(eb["x"].numpy(), tb["x"].numpy())
            assert eb["name"] == tb["name"]


def test_tensor_dataset_fast_path_and_epochs():
    x = ember.arange(20).float().reshape(10, 2)
    y = ember.arange(10)
    loader = ed.DataLoader(ed.TensorDataset(x, y), batch_size=4, shuffle=True,
                           generator=ember.Generator().manual_seed(3))
    e1 = [b[1].tolist() for b in loader]
    e2 = [b[1].tolist() for b in loader]
    assert sorted(sum(e1, [])) == list(range(10)) and e1 != e2  # a new shuffle each epoch
    again = ed.DataLoader(ed.TensorDataset(x, y), batch_size=4, shuffle=True,
                          generator=ember.Generator().manual_seed(3))
    assert [b[1].tolist() for b in again] == e1  # reproducible with a seeded generator
    for xb, yb in loader:
        np.testing.assert_array_equal(xb.numpy()[:, 0], yb.numpy() * 2)


def test_collate_rules():
    P = collections.namedtuple("P", "a b")
    b = ed.default_collate([P(1, np.ones(3)), P(2, np.zeros(3))])
    assert isinstance(b, P) and b.a.tolist() == [1, 2] and b.b.shape == (2, 3)
    b = ed.default_collate([(ember.ones(2), True), (ember.zeros(2), False)])
    assert b[0].shape == (2, 2) and b[1].dtype == ember.bool
    with pytest.raises(RuntimeError, match="equal size"):
        ed.default_collate([[1, 2], [3]])
    with pytest.raises(TypeError):
        ed.default_collate([object(), object()])


def test_samplers():
    assert list(ed.SequentialSampler(range(4))) == [0, 1, 2, 3]
    t0 = time.perf_counter()
    big = ed.RandomSampler(range(5), replacement=True, num_samples=10 ** 10)
    first = list(itertools.islice(iter(big), 7))
    assert time.perf_counter() - t0 < 1 and len(big) == 10 ** 10
    assert all(0 <= i < 5 for i in first)
    perm = list(ed.RandomSampler(range(6), generator=ember.Generator().manual_seed(0)))
    assert sorted(perm) == list(range(6))
    assert len(list(ed.RandomSampler(range(4), num_samples=9))) == 9
    w = list(ed.WeightedRandomSampler([0.0, 1.0, 3.0], 4000,
                                      generator=ember.Generator().manual_seed(1)))
    assert w.count(0) == 0 and 0.70 < w.count(2) / 4000 < 0.80
    bs = ed.BatchSampler(ed.SequentialSampler(range(7)), 3, drop_last=False)
    assert list(bs) == [[0, 1, 2], [3, 4, 5], [6]] and len(bs) == 3
    assert len(ed.BatchSampler(range(7), 3, True)) == 2
    with pytest.raises(ValueError):
        ed.BatchSampler(range(3), 0, False)


def test_datasets_split_concat_subset():
    ds = ed.TensorDataset(ember.arange(10))
    a, b = ed.random_split(ds, [7, 3], generator=ember.Generator().manual_seed(0))
    got = sorted([int(a[i][0]) for i in range(7)] + [int(b[i][0]) for i in range(3)])
    assert got == list(range(10))
    a, b, c = ed.random_split(range(10), [0.5, 0.3, 0.2])
    assert (len(a), len(b), len(c)) == (5, 3, 2)
    with pytest.raises(ValueError):
        ed.random_split(ds, [5, 6])
    cat = ed.ConcatDataset([ed.Subset(ds, [1, 2]), ed.Subset(ds, [9])])
    assert len(cat) == 3 and int(cat[2][0]) == 9 and int(cat[-1][0]) == 9


def test_iterable_dataset_and_no_batching():
    class Stream(ed.IterableDataset):
        def __iter__(self):
            return iter(range(7))

        def __len__(self):
            return 7

    batches = list(ed.DataLoader(Stream(), batch_size=3))
    assert [b.tolist() for b in batches] == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(ed.DataLoader(Stream(), batch_size=3, drop_last=True)) == 2
    with pytest.raises(ValueError):
        ed.DataLoader(Stream(), shuffle=True)
    single = list(ed.DataLoader([np.ones(2), np.zeros(2)], batch_size=None))
    assert isinstance(single[0], ember.Tensor) and single[0].shape == (2,)


def test_worker_threads_give_the_same_batches_and_propagate_errors():
    x = ember.arange(50).float()
    ds = ed.TensorDataset(x)
    plain = [b[0].tolist() for b in ed.DataLoader(ds, batch_size=8)]
    threaded = [b[0].tolist() for b in ed.DataLoader(ds, batch_size=8, num_workers=2)]
    assert plain == threaded

    class Bad(ed.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            if i == 2:
                raise KeyError("broken sample 2")
            return i

    with pytest.raises(KeyError, match="broken sample 2"):
        list(ed.DataLoader(Bad(), batch_size=1, num_workers=1))


def test_bad_arguments():
    ds = ed.TensorDataset(ember.arange(4))
    with pytest.raises(ValueError):
        ed.DataLoader(ds, sampler=ed.SequentialSampler(ds), shuffle=True)
    with pytest.raises(ValueError):
        ed.DataLoader(ds, batch_sampler=ed.BatchSampler(range(4), 2, False), batch_size=2)
    with pytest.raises(ValueError):
        ed.DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError):
        ed.TensorDataset(ember.ones(3), ember.ones(4))
