"""A character-level language model: the lectures' RNN/LSTM/GRU language model, or a small
decoder-only Transformer, predicting each next character; with temperature sampling.

The model reads a (T, B) batch of character ids, embeds them, runs the sequence model and
maps each step's output to logits over the vocabulary. Training minimises the cross-entropy
of the next character (the loss per character in bits is the lectures' bits-per-character);
generation samples one character at a time from softmax(logits / temperature).
"""
from __future__ import annotations

from .. import nn, ops
from .._grad_mode import no_grad
from ..tensor import Tensor

__all__ = ["CharLM"]


class CharLM(nn.Module):
    """Embedding -> recurrent layers (``cell`` = 'rnn', 'lstm', 'gru') or a causal Transformer
    encoder ('transformer') -> Linear to the vocabulary.

    Shape: input (T, B) int64 ids -> logits (T, B, vocab_size), and the recurrent state (None
    for the Transformer, which instead attends over at most ``max_len`` previous steps).
    """

    def __init__(self, vocab_size: int, embed_dim: int = 64, hidden_size: int = 256,
                 num_layers: int = 1, cell: str = "lstm", dropout: float = 0.0, nhead: int = 4,
                 max_len: int = 256):
        super().__init__()
        if cell not in ("rnn", "lstm", "gru", "transformer"):
            raise ValueError(f"CharLM: cell must be 'rnn', 'lstm', 'gru' or 'transformer', got "
                             f"{cell!r}")
        self.vocab_size, self.cell, self.max_len = vocab_size, cell, max_len
        self.embed = nn.Embedding(vocab_size, embed_dim)
        if cell == "transformer":
            self.pos = nn.Embedding(max_len, embed_dim)
            layer = nn.TransformerEncoderLayer(embed_dim, nhead, hidden_size, dropout,
                                               norm_first=True)
            # pre-norm layers cannot take PyTorch's packed-padding path: ask for none
            self.body = nn.TransformerEncoder(layer, num_layers, norm=nn.LayerNorm(embed_dim),
                                              enable_nested_tensor=False)
            out_dim = embed_dim
        else:
            rnn = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell]
            self.body = rnn(embed_dim, hidden_size, num_layers,
                            dropout=dropout if num_layers > 1 else 0.0)
            out_dim = hidden_size
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(out_dim, vocab_size)

    def forward(self, input: Tensor, state=None):
        x = self.drop(self.embed(input))
        if self.cell == "transformer":
            steps = input.shape[0]
            if steps > self.max_len:
                raise ValueError(f"CharLM: {steps} steps exceed max_len={self.max_len}")
            x = x + self.pos(ops.arange(steps, device=input.device)).unsqueeze(1)
            mask = nn.Transformer.generate_square_subsequent_mask(steps, device=input.device,
                                                                  dtype=x.dtype)
            out, state = self.body(x, mask=mask, is_causal=True), None
        else:
            out, state = self.body(x, state)
        return self.head(self.drop(out)), state

    @staticmethod
    def detach_state(state):
        """The state with its history cut (truncated back-propagation through time)."""
        if state is None:
            return None
        if isinstance(state, tuple):
            return tuple(s.detach() for s in state)
        return state.detach()

    def generate(self, prompt, length: int, temperature: float = 1.0, generator=None) -> list:
        """``length`` ids continuing ``prompt`` (a non-empty sequence of ids), each drawn from
        softmax(logits / temperature); temperature 0 takes the most likely character."""
        ids = [int(i) for i in (prompt.tolist() if isinstance(prompt, Tensor) else prompt)]
        if not ids:
            raise ValueError("CharLM.generate: the prompt must hold at least one id")
        if temperature < 0:
            raise ValueError(f"CharLM.generate: temperature must be >= 0, got {temperature}")
        was_training = self.training
        self.eval()
        device = self.head.weight.device
        out = []
        with no_grad():
            if self.cell == "transformer":
                context = list(ids)
                for _ in range(length):
                    window = ops.tensor(context[-self.max_len:], device=device).unsqueeze(1)
                    logits, _ = self(window)
                    nxt = _pick(logits[-1, 0], temperature, generator)
                    context.append(nxt)
                    out.append(nxt)
            else:
                logits, state = self(ops.tensor(ids, device=device).unsqueeze(1))
                for _ in range(length):
                    nxt = _pick(logits[-1, 0], temperature, generator)
                    out.append(nxt)
                    logits, state = self(ops.tensor([[nxt]], device=device), state)
        self.train(was_training)
        return out


def _pick(logits: Tensor, temperature: float, generator) -> int:
    if temperature == 0:
        return int(logits.argmax())
    probs = ops.softmax(logits.double() / temperature, -1)
    return int(ops.multinomial(probs, 1, generator=generator)[0])
