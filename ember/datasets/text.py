"""A character- or word-level text corpus for language models."""
from __future__ import annotations

import collections
import os

import numpy as np

from ..tensor import Tensor, _wrap

__all__ = ["TextCorpus"]


def _looks_like_path(source: str) -> bool:
    """A short one-line string ending in a file suffix or naming a folder: meant as a path."""
    if "\n" in source or len(source) > 4096 or " " in source.strip():
        return False
    return os.sep in source or os.path.splitext(source)[1] in (".txt", ".md", ".text", ".csv")


class TextCorpus:
    """Tokens, vocabulary and train/valid splits of a text, batched for language models.

    Args:
        source: a path to a UTF-8 text file, or the text itself.
        level: ``'char'`` or ``'word'`` (whitespace-separated).
        valid_fraction: the last part of the token stream used for validation.
        min_freq: words rarer than this become ``'<unk>'`` (word level).
        lower: lower-case the text first.

    ``stoi``/``itos`` map tokens to ids (by decreasing frequency, ties in order of
    the token); ``train``/``valid``/``test`` are int64 id tensors (the last parts of the
    stream are validation, then test). A ``source`` that looks like a file path but does not
    exist is an error, never a one-line corpus of its characters.
    """

    def __init__(self, source: str, level: str = "char", valid_fraction: float = 0.1,
                 min_freq: int = 1, lower: bool = False, test_fraction: float = 0.0):
        if level not in ("char", "word"):
            raise ValueError(f"TextCorpus: level must be 'char' or 'word', got {level!r}")
        if not 0 <= valid_fraction < 1 or not 0 <= test_fraction < 1 or \
                valid_fraction + test_fraction >= 1:
            raise ValueError("TextCorpus: valid_fraction and test_fraction must be in [0, 1) "
                             "and leave some text for training")
        if os.path.exists(source):
            with open(source, encoding="utf-8") as f:
                text = f.read()
        elif _looks_like_path(source):
            raise FileNotFoundError(f"TextCorpus: no such file: {source!r} (to use a string "
                                    "as the text itself, it must not look like a file path)")
        else:
            text = source
        if lower:
            text = text.lower()
        self.level = level
        tokens = list(text) if level == "char" else text.split()
        if not tokens:
            raise ValueError("TextCorpus: the text is empty")
        counts = collections.Counter(tokens)
        vocab = sorted((t for t, c in counts.items() if c >= min_freq),
                       key=lambda t: (-counts[t], t))
        if level == "word" and len(vocab) < len(counts):
            vocab.append("<unk>")
        self.itos = vocab
        self.stoi = {t: i for i, t in enumerate(vocab)}
        ids = self.encode(tokens)
        n_valid = int(len(tokens) * valid_fraction)
        n_test = int(len(tokens) * test_fraction)
        n_train = len(tokens) - n_valid - n_test
        self.train = ids[:n_train]
        self.valid = ids[n_train:n_train + n_valid]
        self.test = ids[n_train + n_valid:]

    @classmethod
    def fortunes(cls, root=None, level: str = "char", valid_fraction: float = 0.05,
                 test_fraction: float = 0.05, download: bool = True, **kwargs) -> TextCorpus:
        """English text from Debian's ``fortunes`` package (about 2.5 million characters),
        read from ``<root>/fortunes``, the installed package, or fetched with
        ``apt-get download`` (nothing is installed)."""
        from ._sources import fortunes_text  # noqa: PLC0415

        return cls(fortunes_text(root, download), level=level, valid_fraction=valid_fraction,
                   test_fraction=test_fraction, **kwargs)

    @property
    def vocab_size(self) -> int:
        return len(self.itos)

    def encode(self, text) -> Tensor:
        """A string (or a list of tokens) as int64 ids."""
        tokens = (list(text) if self.level == "char" else text.split()) if isinstance(text, str) \
            else list(text)
        unk = self.stoi.get("<unk>")
        try:
            ids = [self.stoi[t] if t in self.stoi or unk is None else unk for t in tokens]
        except KeyError as exc:
            raise KeyError(f"TextCorpus.encode: token {exc.args[0]!r} is not in the "
                           "vocabulary") from None
        return _wrap(np.asarray(ids, dtype=np.int64), False, None, 0)

    def decode(self, ids) -> str:
        seq = ids.tolist() if isinstance(ids, Tensor) else list(ids)
        return ("" if self.level == "char" else " ").join(self.itos[int(i)] for i in seq)

    def batchify(self, data: Tensor, batch_size: int) -> Tensor:
        """The id stream cut into ``batch_size`` parallel columns: (steps, batch_size)."""
        n = data.shape[0] // batch_size
        if n == 0:
            raise ValueError(f"TextCorpus.batchify: {data.shape[0]} tokens are fewer than the "
                             f"batch size {batch_size}")
        return data[:n * batch_size].reshape(batch_size, n).t().contiguous()

    def sequences(self, data: Tensor, seq_len: int, batch_size: int):
        """(input, target) pairs of shape (seq_len, batch) for back-propagation through time;
        the target is the input shifted by one token."""
        cols = self.batchify(data, batch_size)
        for i in range(0, cols.shape[0] - 1, seq_len):
            k = min(seq_len, cols.shape[0] - 1 - i)
            yield cols[i:i + k], cols[i + 1:i + 1 + k]
