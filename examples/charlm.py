"""A character-level language model: learn a text one character at a time, then write more.

    python examples/charlm.py [--text FILE] [--cell lstm|gru|rnn|transformer] [--steps 600]
                              [--temperature 0.8] [--prompt "The "]

Trains ember.models.CharLM with truncated back-propagation through time (sequences of 64
characters, the hidden state carried from one batch to the next and detached) and Adam,
reports the validation loss in bits per character, and samples text at the given
temperature. Without --text it reads this repository's own documentation (README.md and
docs/*.md), so it runs offline.
"""
from __future__ import annotations

import argparse
import math
import pathlib

import ember
from ember.datasets import TextCorpus

ROOT = pathlib.Path(__file__).resolve().parents[1]


def default_text() -> str:
    files = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
    return "\n".join(f.read_text(encoding="utf-8") for f in files if f.exists())


def bits_per_char(model, corpus, seq_len=64, batch_size=16):
    model.eval()
    total, count, state = 0.0, 0, None
    with ember.no_grad():
        for x, y in corpus.sequences(corpus.valid, seq_len, batch_size):
            logits, state = model(x, state)
            total += ember.nn.functional.cross_entropy(
                logits.reshape(-1, corpus.vocab_size), y.reshape(-1), reduction="sum").item()
            count += y.numel()
    model.train()
    return total / max(count, 1) / math.log(2)


def main(argv=None):
    p = argparse.ArgumentParser(description="Train a character-level language model.")
    p.add_argument("--text", default=None, help="a UTF-8 text file (default: ember's docs)")
    p.add_argument("--cell", default="lstm", choices=["lstm", "gru", "rnn", "transformer"])
    p.add_argument("--steps", type=int, default=600, help="training steps (600)")
    p.add_argument("--hidden", type=int, default=256, help="hidden size (256)")
    p.add_argument("--temperature", type=float, default=0.8, help="sampling temperature (0.8)")
    p.add_argument("--prompt", default="The ", help="the start of the sample")
    p.add_argument("--length", type=int, default=300, help="characters to sample (300)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    ember.manual_seed(args.seed)
    text = pathlib.Path(args.text).read_text(encoding="utf-8") if args.text else default_text()
    corpus = TextCorpus(text, level="char", valid_fraction=0.05)
    model = ember.models.CharLM(corpus.vocab_size, 64, args.hidden, cell=args.cell,
                                max_len=64)
    opt = ember.optim.Adam(model.parameters(), lr=2e-3 if args.cell != "transformer" else 1e-3)
    step, state = 0, None
    while step < args.steps:
        for x, y in corpus.sequences(corpus.train, 64, 32):
            logits, state = model(x, state)
            state = model.detach_state(state)  # truncated BPTT: keep the values, cut the graph
            loss = ember.nn.functional.cross_entropy(logits.reshape(-1, corpus.vocab_size),
                                                     y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            ember.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            if step % 100 == 0 or step == args.steps:
                print(f"step {step:5d}  train {loss.item() / math.log(2):.3f} bits/char")
            if step == args.steps:
                break
        state = None
    bpc = bits_per_char(model, corpus)
    print(f"validation: {bpc:.3f} bits per character")
    prompt = [c for c in args.prompt if c in corpus.stoi] or [corpus.itos[0]]
    ids = model.generate(corpus.encode(prompt), args.length, temperature=args.temperature)
    print("".join(prompt) + corpus.decode(ids))
    return bpc


if __name__ == "__main__":
    main()
