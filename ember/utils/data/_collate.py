"""default_collate: stack a list of samples into a batch, field by field (PyTorch's rules)."""
from __future__ import annotations

import collections.abc

import numpy as np

from ...tensor import Tensor, _wrap

__all__ = ["default_collate", "default_convert"]


def default_collate(batch):
    """Tensors and arrays are stacked; Python ints become int64, floats float64, bools bool;
    strings stay a list; dicts, namedtuples and sequences are collated field-wise."""
    from ... import ops  # noqa: PLC0415

    elem = batch[0]
    if isinstance(elem, Tensor):
        return ops.stack(list(batch), 0)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "OSU":
            raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, "
                            f"numbers, dicts or lists; found {elem.dtype}")
        return _wrap(np.stack(batch), False, None, 0)
    if isinstance(elem, np.generic):
        return _wrap(np.asarray(batch), False, None, 0)
    if isinstance(elem, bool):
        return _wrap(np.asarray(batch, dtype=np.bool_), False, None, 0)
    if isinstance(elem, int):
        return _wrap(np.asarray(batch, dtype=np.int64), False, None, 0)
    if isinstance(elem, float):
        return _wrap(np.asarray(batch, dtype=np.float64), False, None, 0)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return type(elem)({k: default_collate([d[k] for d in batch]) for k in elem}) \
            if not isinstance(elem, dict) or type(elem) is dict else \
            {k: default_collate([d[k] for d in batch]) for k in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(e) != len(elem) for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(s)) for s in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                    f"or lists; found {type(elem).__name__}")


def default_convert(data):
    """Without batching: arrays become tensors, containers are converted element-wise."""
    if isinstance(data, np.ndarray) and data.dtype.kind not in "OSU":
        return _wrap(data, False, None, 0)
    if isinstance(data, collections.abc.Mapping):
        return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, (list, tuple)):
        return [default_convert(d) for d in data]
    return data
