"""Embedding (PyTorch"s module path ``torch.nn.modules.sparse``).

The classes live in ``embedding.py``; this module gives programs that import them by
PyTorch"s path the same objects."""
from .embedding import Embedding, EmbeddingBag

__all__ = ["Embedding", "EmbeddingBag"]
