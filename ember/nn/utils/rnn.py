"""Variable-length batches for recurrent layers, as ``torch.nn.utils.rnn``.

A ``PackedSequence`` holds the steps of a batch of sequences sorted by decreasing length,
time-major: ``data`` (sum of lengths, *) is step 0 of every sequence, then step 1 of those
that are long enough, and so on; ``batch_sizes[t]`` says how many sequences have a step t.
``sorted_indices``/``unsorted_indices`` map between the caller's batch order and that one.
Packing and unpacking are indexing ops, so gradients flow through them.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ... import ops
from ...tensor import Tensor, _wrap

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "pack_sequence", "unpad_sequence", "unpack_sequence", "invert_permutation"]


class PackedSequence(NamedTuple):
    """The packed steps of a batch of sequences (see the module docstring)."""

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    def to(self, *args, **kwargs) -> PackedSequence:
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        dev = data.device
        move = (lambda t: None if t is None else t.to(dev))
        return PackedSequence(data, self.batch_sizes, move(self.sorted_indices),
                              move(self.unsorted_indices))

    def cpu(self) -> PackedSequence:
        return self.to("cpu")

    def cuda(self, *args, **kwargs) -> PackedSequence:
        """On the CUDA device that ``Tensor.cuda(*args, **kwargs)`` names (default: the
        current one)."""
        data = self.data.cuda(*args, **kwargs)
        return self.to(data.device, dtype=data.dtype)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return self.data.is_pinned()


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    if permutation is None:
        return None
    perm = np.asarray(permutation.tolist(), dtype=np.int64)
    out = np.empty_like(perm)
    out[perm] = np.arange(perm.size)
    return _index_tensor(out, permutation.device)


def _index_tensor(arr, device):
    t = _wrap(np.ascontiguousarray(arr, dtype=np.int64), False, None, 0)
    return t if device.type == "cpu" else t.to(device)


def _lengths_array(lengths) -> np.ndarray:
    if isinstance(lengths, Tensor):
        lengths = lengths.tolist()
    arr = np.asarray(lengths, dtype=np.int64).reshape(-1)
    return arr


def _steps(batch_sizes: np.ndarray):
    """(time index, batch index) of every row of packed data."""
    t_idx = np.repeat(np.arange(batch_sizes.size), batch_sizes)
    b_idx = np.concatenate([np.arange(n) for n in batch_sizes]) if batch_sizes.size else \
        np.zeros(0, dtype=np.int64)
    return t_idx, b_idx


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, B, *) (or (B, T, *) with ``batch_first``) of sequences of
    ``lengths``. Unsorted lengths need ``enforce_sorted=False``."""
    lens = _lengths_array(lengths)
    batch_dim = 0 if batch_first else 1
    if lens.size != input.shape[batch_dim]:
        raise RuntimeError(f"pack_padded_sequence: expected {input.shape[batch_dim]} lengths "
                           f"for an input of shape {list(input.shape)}, got {lens.size}")
    if lens.size and lens.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           f"element in 'lengths' that is <= 0 (lengths {lens.tolist()})")
    if enforce_sorted:
        if np.any(np.diff(lens) > 0):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability.")
        sorted_indices = None
    else:
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
        sorted_indices = _index_tensor(order, input.device)
        input = input.index_select(batch_dim, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    if lens.size and lens[0] > input.shape[0]:
        raise RuntimeError(f"pack_padded_sequence: a length of {int(lens[0])} exceeds the "
                           f"{input.shape[0]} steps of the input")
    n_steps = int(lens[0]) if lens.size else 0
    batch_sizes = np.array([(lens > t).sum() for t in range(n_steps)], dtype=np.int64)
    t_idx, b_idx = _steps(batch_sizes)
    data = input[_index_tensor(t_idx, input.device), _index_tensor(b_idx, input.device)]
    return PackedSequence(data, _wrap(batch_sizes, False, None, 0), sorted_indices,
                          invert_permutation(sorted_indices))


def _padded(sequence: PackedSequence, padding_value: float = 0.0, total_length=None):
    """(T, B, *) padded steps in the packed (sorted) order, and the lengths in that order."""
    data = sequence.data
    bs = _lengths_array(sequence.batch_sizes)
    n_steps, batch = bs.size, int(bs[0]) if bs.size else 0
    if total_length is not None:
        if total_length < n_steps:
            raise ValueError(f"Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {n_steps}")
        n_steps = total_length
    t_idx, b_idx = _steps(bs)
    where = np.full((n_steps, batch), data.shape[0], dtype=np.int64)  # the padding row
    where[t_idx, b_idx] = np.arange(t_idx.size)
    pad_row = ops.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype,
                       device=data.device)
    padded = ops.cat([data, pad_row], 0)[_index_tensor(where, data.device)]
    lengths = np.array([(bs > b).sum() for b in range(batch)], dtype=np.int64)
    return padded, lengths


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: int | None = None):
    """The inverse of packing: ``(padded, lengths)`` in the caller's original batch order."""
    padded, lengths = _padded(sequence, padding_value, total_length)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[np.asarray(sequence.unsorted_indices.tolist(), dtype=np.int64)]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, _wrap(lengths, False, None, 0)


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack sequences of shapes (L_i, *) into (L_max, B, *) (or (B, L_max, *)), padded."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"padding_side must be 'left' or 'right', got {padding_side!r}")
    seqs = list(sequences)
    if not seqs:
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    longest = max(s.shape[0] for s in seqs)
    rows = []
    for s in seqs:
        short = longest - s.shape[0]
        if short:
            fill = ops.full((short,) + tuple(s.shape[1:]), padding_value, dtype=s.dtype,
                            device=s.device)
            s = ops.cat([s, fill] if padding_side == "right" else [fill, s], 0)
        rows.append(s)
    return ops.stack(rows, 0 if batch_first else 1)


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (L_i, *)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list:
    """The list of sequences of a padded batch."""
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[i, :int(n)] for i, n in enumerate(_lengths_array(lengths))]


def unpack_sequence(packed_sequences: PackedSequence) -> list:
    """The list of sequences of a packed batch, in the caller's order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
