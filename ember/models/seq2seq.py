"""Encoder-decoder with attention (Bahdanau, Cho & Bengio, 2015), the lectures' translation
model, for sequences of token ids.

The encoder is a bidirectional GRU over the source; the decoder is a GRU cell that, at each
output step t, scores every encoder state h_j against its previous state s_{t-1} with the
additive score e_tj = v^T tanh(W s_{t-1} + U h_j), turns the scores into weights
a_t = softmax(e_t) (padding excluded), reads the context c_t = sum_j a_tj h_j, and predicts
the next token from (s_t, c_t, the previous token's embedding).
"""
from __future__ import annotations

from .. import nn, ops
from .._grad_mode import no_grad
from ..tensor import Tensor

__all__ = ["Seq2Seq"]


class Seq2Seq(nn.Module):
    """Bidirectional-GRU encoder, additive-attention GRU decoder.

    Args:
        src_vocab, tgt_vocab: vocabulary sizes; ``pad_id`` marks padding in the source,
            ``sos_id``/``eos_id`` start and end target sequences.
    Shape: src (S, B) ids, tgt (T, B) ids (starting with sos) -> logits (T - 1, B, tgt_vocab)
    for the tokens after each target prefix (teacher forcing).
    """

    def __init__(self, src_vocab: int, tgt_vocab: int, embed_dim: int = 32,
                 hidden_size: int = 64, pad_id: int = 0, sos_id: int = 1, eos_id: int = 2):
        super().__init__()
        self.pad_id, self.sos_id, self.eos_id = pad_id, sos_id, eos_id
        self.hidden_size = hidden_size
        self.src_embed = nn.Embedding(src_vocab, embed_dim, padding_idx=pad_id)
        self.encoder = nn.GRU(embed_dim, hidden_size, bidirectional=True)
        self.bridge = nn.Linear(2 * hidden_size, hidden_size)
        self.tgt_embed = nn.Embedding(tgt_vocab, embed_dim)
        self.attn_state = nn.Linear(hidden_size, hidden_size, bias=False)   # W
        self.attn_memory = nn.Linear(2 * hidden_size, hidden_size)         # U
        self.attn_v = nn.Linear(hidden_size, 1, bias=False)                 # v
        self.decoder = nn.GRUCell(embed_dim + 2 * hidden_size, hidden_size)
        self.out = nn.Linear(hidden_size + 2 * hidden_size + embed_dim, tgt_vocab)

    def encode(self, src: Tensor):
        """Encoder states (S, B, 2H), their attention keys U h_j, the padding mask (S, B) and
        the decoder's first state."""
        mem, h_n = self.encoder(self.src_embed(src))
        state = ops.tanh(self.bridge(ops.cat([h_n[0], h_n[1]], -1)))
        return mem, self.attn_memory(mem), src == self.pad_id, state

    def step(self, token: Tensor, state: Tensor, mem, keys, pad):
        """One decoder step from the previous token (B,): (logits, new state, weights (B, S))."""
        emb = self.tgt_embed(token)
        scores = self.attn_v(ops.tanh(keys + self.attn_state(state))).squeeze(-1)  # (S, B)
        scores = scores.masked_fill(pad, float("-inf"))
        weights = ops.softmax(scores, 0)
        context = (weights.unsqueeze(-1) * mem).sum(0)  # (B, 2H)
        state = self.decoder(ops.cat([emb, context], -1), state)
        logits = self.out(ops.cat([state, context, emb], -1))
        return logits, state, weights.t()

    def forward(self, src: Tensor, tgt: Tensor) -> Tensor:
        mem, keys, pad, state = self.encode(src)
        logits = []
        for t in range(tgt.shape[0] - 1):
            out, state, _ = self.step(tgt[t], state, mem, keys, pad)
            logits.append(out)
        return ops.stack(logits, 0)

    def translate(self, src: Tensor, max_len: int = 50):
        """Greedy decoding of a (S, B) batch: the output ids (B lists, without sos/eos) and the
        attention weights (B, steps, S) of each output step over the source."""
        was_training = self.training
        self.eval()
        with no_grad():
            mem, keys, pad, state = self.encode(src)
            batch = src.shape[1]
            token = ops.full((batch,), self.sos_id, dtype=src.dtype, device=src.device)
            outs, attn = [], []
            done = [False] * batch
            for _ in range(max_len):
                logits, state, w = self.step(token, state, mem, keys, pad)
                token = logits.argmax(-1)
                outs.append(token.tolist())
                attn.append(w)
                done = [d or t == self.eos_id for d, t in zip(done, outs[-1])]
                if all(done):
                    break
        self.train(was_training)
        seqs = []
        for b in range(batch):
            seq = []
            for step in outs:
                if step[b] == self.eos_id:
                    break
                seq.append(step[b])
            seqs.append(seq)
        return seqs, ops.stack(attn, 1)
