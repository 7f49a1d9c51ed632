"""Image captioning in miniature (after Vinyals et al., "Show and tell", 2015): a small CNN
encodes the image into a vector that starts an LSTM, which then writes the caption one word
at a time, each step reading the previous word."""
from __future__ import annotations

from .. import nn, ops
from .._grad_mode import no_grad
from ..tensor import Tensor

__all__ = ["Captioner"]


class Captioner(nn.Module):
    """CNN encoder -> (h_0, c_0) of an LSTM decoder over caption words.

    Shape: images (N, C, H, W), captions (T, N) ids starting with <bos> -> logits (T - 1, N,
    vocab_size) for each next word (teacher forcing).
    """

    def __init__(self, vocab_size: int, in_channels: int = 3, embed_dim: int = 32,
                 hidden_size: int = 64, bos_id: int = 1, eos_id: int = 2):
        super().__init__()
        self.bos_id, self.eos_id = bos_id, eos_id
        self.encoder = nn.Sequential(
            nn.Conv2d(in_channels, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(6), nn.Flatten(), nn.Linear(32 * 36, 2 * hidden_size))
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.decoder = nn.LSTM(embed_dim, hidden_size)
        self.head = nn.Linear(hidden_size, vocab_size)

    def _state(self, images: Tensor):
        h, c = ops.tanh(self.encoder(images)).chunk(2, dim=1)
        return h.unsqueeze(0).contiguous(), c.unsqueeze(0).contiguous()

    def forward(self, images: Tensor, captions: Tensor) -> Tensor:
        out, _ = self.decoder(self.embed(captions[:-1]), self._state(images))
        return self.head(out)

    def caption(self, images: Tensor, max_len: int = 10) -> list:
        """Greedy captions: one list of word ids per image (without <bos>/<eos>)."""
        was_training = self.training
        self.eval()
        with no_grad():
            state = self._state(images)
            n = images.shape[0]
            word = ops.full((1, n), self.bos_id, device=images.device)  # int64: an int fill
            words, done = [[] for _ in range(n)], [False] * n
            for _ in range(max_len):
                out, state = self.decoder(self.embed(word), state)
                word = self.head(out).argmax(-1)
                for i, w in enumerate(word[0].tolist()):
                    if not done[i]:
                        if w == self.eos_id:
                            done[i] = True
                        else:
                            words[i].append(w)
                if all(done):
                    break
        self.train(was_training)
        return words
